/*
 * The age file format, age-encryption.org/v1 (the C2SP age specification),
 * with X25519 recipients: what SPEC 6a seals bundles with.
 *
 * Writing: age_writer_new() makes a random file key, wraps it for every
 * recipient (one X25519 stanza each, a fresh ephemeral key per stanza),
 * writes the header with its MAC and the payload nonce to the sink;
 * age_writer_write() encrypts in 64 KiB chunks as data comes;
 * age_writer_finish() writes the last chunk (an empty plain text is one
 * empty last chunk).  Only X25519 stanzas are written.
 *
 * Reading: age_reader_new() takes a source; age_reader_open() reads and
 * checks the whole header (at most AGE_HEADER_MAX bytes and AGE_STANZAS_MAX
 * stanzas, checked before any X25519 operation), skips stanzas of unknown
 * types (the hybrid ML-KEM one among them), refuses the ASCII armor and
 * passphrase (scrypt) stanzas, finds the file key with one of the given
 * identities, checks the header MAC in constant time and reads the payload
 * nonce.  age_reader_next() then hands out the plain text one chunk at a
 * time, each only after it authenticated: after a failure at chunk N, the
 * caller has had exactly the chunks before N.  Memory stays flat (two
 * chunk buffers).
 *
 * Every failure returns EXIT_REFUSED (or EXIT_IOERR when the source or the
 * sink fails; EXIT_DATAERR for an unfit recipient when writing) with a
 * message naming the step: "no stanza for this key", "header MAC does not
 * match", "chunk N: authentication failed", "truncated", "trailing data
 * after the last chunk", and age_reader_status() gives the class of the
 * failure for callers that report it (SPEC 6a's --report).
 *
 * Ownership: X25519 secrets (identities) are the caller's, 32 bytes each in
 * secure memory (secmem.h); the reader keeps only pointers to them until it
 * is freed.  The file key and every key derived from it live in secure
 * memory inside the reader and writer, wiped when they are freed.  The
 * plain text buffers are ordinary memory, wiped when freed.  Neither object
 * owns its source or sink.  Call secmem_init() first.
 */
#ifndef INTEL_AGE_H
#define INTEL_AGE_H

#include <stddef.h>

#include "err.h"

#define AGE_VERSION_LINE "age-encryption.org/v1"
#define AGE_CHUNK 65536	     /* plain text bytes per chunk */
#define AGE_HEADER_MAX 65536 /* bytes, MAC line included */
#define AGE_STANZAS_MAX 64
#define AGE_FILE_KEY_LEN 16
#define AGE_KEY_LEN 32 /* X25519 secrets and public keys */
/* "age1" + Bech32 of 32 bytes; "AGE-SECRET-KEY-1" + the same. */
#define AGE_RECIPIENT_LEN 62
#define AGE_IDENTITY_LEN 74

/*
 * Recipient and identity strings.  age_recipient_parse() decodes an
 * "age1..." string (lower case, as age writes it; upper case is accepted
 * too, mixed case is not) and refuses a key of small order; EXIT_CONFIG
 * with a message saying why.  age_identity_parse() decodes an
 * "AGE-SECRET-KEY-1..." string into secret (32 bytes, secure memory; on
 * failure it is wiped).  The _format functions write the string and its
 * NUL: a recipient in lower case, an identity in upper case as age-keygen
 * writes it (out holds a secret: put it in secure memory).
 */
int age_recipient_parse(
    const char *s, size_t len, unsigned char pub[32], struct ierr *e);
void age_recipient_format(
    const unsigned char pub[32], char out[AGE_RECIPIENT_LEN + 1]);
int age_identity_parse(
    const char *s, size_t len, unsigned char *secret, struct ierr *e);
void age_identity_format(const unsigned char *secret, char *out);

/* The sink of a writer: writes all n bytes or returns an exit status. */
typedef int (*age_sink_fn)(void *arg, const void *p, size_t n, struct ierr *e);
/* The source of a reader: up to n bytes into buf; returns how many, 0 at
 * the end, or -1 with e filled. */
typedef long (*age_source_fn)(void *arg, void *buf, size_t n, struct ierr *e);

struct age_writer;
/* recipients: n X25519 public keys (1 to AGE_STANZAS_MAX); a key of small
 * order is refused (EXIT_DATAERR).  Writes the header.  NULL on failure. */
struct age_writer *age_writer_new(const unsigned char (*recipients)[32],
    size_t n, age_sink_fn sink, void *arg, struct ierr *e);
int
age_writer_write(struct age_writer *w, const void *p, size_t n, struct ierr *e);
/* Writes the last chunk; after it only age_writer_free() is allowed. */
int age_writer_finish(struct age_writer *w, struct ierr *e);
/* Wipes and frees (NULL allowed).  Unfinished output is incomplete and
 * will be refused by any reader: the caller discards it. */
void age_writer_free(struct age_writer *w);

/* The class of a reader's failure, as the C2SP test vectors name them. */
enum age_status {
	AGE_OK,		 /* nothing failed (yet) */
	AGE_HEADER,	 /* header failure: syntax, limits, bad share */
	AGE_NO_MATCH,	 /* no stanza opens with the given identities */
	AGE_HMAC,	 /* header MAC does not match */
	AGE_PAYLOAD,	 /* a chunk, truncation, trailing data */
	AGE_UNSUPPORTED, /* ASCII armor or a passphrase (scrypt) stanza */
	AGE_IO		 /* the source failed */
};

struct age_reader;
struct age_reader *age_reader_new(age_source_fn source, void *arg);
/* Reads and checks the header with ids[0..nids) (each a 32-byte X25519
 * secret).  0, or EXIT_REFUSED / EXIT_IOERR. */
int age_reader_open(struct age_reader *r, const unsigned char *const *ids,
    size_t nids, struct ierr *e);
/* After a successful open: the index in ids of the identity that opened
 * the file, and the number of stanzas in the header (also after a failure
 * past the header limits: 0 when the header did not parse). */
size_t age_reader_identity(const struct age_reader *r);
size_t age_reader_stanzas(const struct age_reader *r);
enum age_status age_reader_status(const struct age_reader *r);
/*
 * The next chunk of plain text, authenticated: *p and *n (valid until the
 * next call; n may be 0 for an empty file).  *last is set with the final
 * chunk, once the source has also been seen to end right after it: the
 * whole stream is then authentic and complete.  A final chunk followed by
 * more bytes is handed out with *last clear, and the next call fails with
 * "trailing data after the last chunk".  0 or an exit status.
 */
int age_reader_next(struct age_reader *r, const unsigned char **p, size_t *n,
    int *last, struct ierr *e);
/* Wipes and frees (NULL allowed). */
void age_reader_free(struct age_reader *r);

/*
 * Convenience: the whole stream from source to sink, chunk by chunk; the
 * sink gets each chunk only after it authenticated.  *which (may be NULL)
 * receives the index of the identity that opened it.
 */
int
age_decrypt(age_source_fn source, void *sarg, const unsigned char *const *ids,
    size_t nids, age_sink_fn sink, void *karg, size_t *which, struct ierr *e);

#endif
