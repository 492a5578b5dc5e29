/*
 * Private to bundle.c (the format), bundle-sign.c and bundle-verify.c:
 * what signing and verifying share.  Not for the rest of the toolkit,
 * whose contract is bundle.h.
 *
 * The spool is an unlinked temporary file (mode 0600, under $TMPDIR or
 * /tmp) that holds a bundle's records between reading and writing, so
 * that memory does not grow with the bundle: the caller owns the FILE
 * and fclose()s it.  The member lists say which members a header and a
 * trailer have, no more and no fewer.  Messages written to why never
 * hold a record's values.
 */
#ifndef INTEL_BUNDLE_INT_H
#define INTEL_BUNDLE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "base64.h"
#include "buf.h"
#include "crypto.h"
#include "bundle.h"
#include "err.h"

#define BUNDLE_COPY_CHUNK	65536
#define BUNDLE_SIG_B64_LEN	BASE64_ENCODED_LEN(CRYPTO_ED25519_SIG_LEN)

/* ---- the spool ---- */

/* Makes the spool.  EXIT_IOERR. */
int bundle_spool_open(FILE **out, struct ierr *e);
/* Empties it for the next bundle.  EXIT_IOERR. */
int bundle_spool_reset(FILE *f, struct ierr *e);
/* Appends n bytes.  EXIT_IOERR. */
int bundle_spool_write(FILE *f, const void *p, size_t n, struct ierr *e);
/* Copies the whole spool to out, feeding d too (NULL: none).  EXIT_IOERR,
 * the message naming the side that failed. */
int bundle_spool_copy(FILE *f, FILE *out, struct crypto_sha512 *d,
    struct ierr *e);

/* ---- canonical lines ---- */

/* The canonical serialisation of v and a newline, replacing b. */
int bundle_canon_line(struct buf *b, const json_t *v, struct ierr *e);

/*
 * A header or trailer line (newline removed) that must be a canonical
 * JSON object; scratch is a buffer of the caller's.  NULL, with why
 * saying what is wrong, when it is not.  The object is the caller's.
 */
json_t *bundle_parse_canonical(struct buf *scratch, const char *text,
    size_t len, char *why, size_t whylen);

/* The members of a header and of a trailer, NULL-terminated. */
extern const char *const bundle_header_members[];
extern const char *const bundle_trailer_members[];

/* 1 when o has every member of names and no other; else 0 and why. */
int bundle_members_exact(const json_t *o, const char *const *names,
    char *why, size_t whylen);
/* A string member of 1 to max - 1 bytes; else 0 and why. */
int bundle_str_member(const json_t *o, const char *name, size_t max,
    const char **out, char *why, size_t whylen);
/* An integer member of at least min; else 0 and why. */
int bundle_int_member(const json_t *o, const char *name, int64_t min,
    int64_t *out, char *why, size_t whylen);

/*
 * Line 1 of a bundle (newline removed): a canonical header with every
 * member of the right type; r gets its values (have_header set).  The
 * last line: a canonical trailer (newline: the line had one); r gets the
 * key id and the record count (have_trailer set).  1 when well formed;
 * else 0 and why.  *out gets the object whenever it parsed (the
 * caller's, to json_decref()).
 */
int bundle_parse_header(struct buf *scratch, const char *text, size_t len,
    struct bundle_report *r, json_t **out, char *why, size_t whylen);
int bundle_parse_trailer(struct buf *scratch, const char *line, size_t len,
    int newline, struct bundle_report *r, json_t **out, char *why,
    size_t whylen);

/* 1 when s (len bytes) is exactly want lowercase hex digits. */
int bundle_is_lchex(const char *s, size_t len, size_t want);

/* Copies an untrusted string for display, escaped as SPEC 9 says
 * (escape.h: "\u001b", "\xff"), cut at a whole character to fit size. */
void bundle_copy_clean(char *dst, size_t size, const char *src);

#endif
