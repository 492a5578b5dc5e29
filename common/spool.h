/*
 * The spool: an unlinked temporary file (mode 0600, under $TMPDIR or
 * /tmp, named intel-spool.XXXXXX until it is unlinked) that holds the
 * lines of a bundle between checking and writing, so that memory does not
 * grow with the bundle and nothing is written before the last check.
 *
 * A plain spool holds the lines as they will be written (the lines of a
 * plain bundle, which travels in the clear anyway).  A sealed spool
 * (SPEC 6a: no plain text of a sealed bundle in any file, an unlinked one
 * included) holds them encrypted with AES-256-OCB under a key drawn for
 * that spool alone and kept in secure memory: chunks of whole lines, each
 * a 4-byte big-endian length (authenticated as associated data), the
 * ciphertext and the tag, the nonce the chunk's number.  Reading it back
 * checks every tag and the number of chunks, and writes a chunk only
 * after it authenticated, so that only whole lines reach the output.
 *
 * Lines are given whole, newline included.  spool_reset() starts a fresh
 * file (and a fresh key) rather than truncating the old one: ext4 writes
 * a truncated file's later data to disk when it is closed, which an
 * unlinked file that is about to vanish does not need.  Call
 * secmem_init() first.
 */
#ifndef INTEL_SPOOL_H
#define INTEL_SPOOL_H

#include <stddef.h>
#include <stdio.h>

#include "crypto.h"
#include "err.h"

enum spool_kind { SPOOL_PLAIN, SPOOL_SEALED };

struct spool;

/* An empty spool of kind k.  EXIT_IOERR when no file can be made. */
int spool_new(enum spool_kind k, struct spool **out, struct ierr *e);
/* Empties it for the next bundle, as kind k.  EXIT_IOERR. */
int spool_reset(struct spool *s, enum spool_kind k, struct ierr *e);
enum spool_kind spool_kind(const struct spool *s);
/* Appends whole lines (n bytes, the last one a newline).  EXIT_IOERR. */
int spool_write(struct spool *s, const void *p, size_t n, struct ierr *e);
/*
 * Copies what was written to out, feeding d (NULL: none) with the same
 * bytes.  EXIT_IOERR, the message naming the side that failed ("spool
 * file: ..." for the spool, "write error: ..." for out).  The spool can
 * be copied again.
 */
int
spool_copy(struct spool *s, FILE *out, struct crypto_sha512 *d, struct ierr *e);
void spool_free(struct spool *s); /* NULL is allowed */

#endif
