/*
 * Private to bundle.c (the format), bundle-sign.c, bundle-verify.c,
 * bundle-records.c and bundle-open.c: what signing and verifying share,
 * and what verifying shares with the checking of records and the
 * opening of sealed bundles.  Not for the rest of the
 * toolkit, whose contract is bundle.h.
 *
 * The member lists say which members a header and a
 * trailer have, no more and no fewer.  Messages written to why never
 * hold a record's values.
 */
#ifndef INTEL_BUNDLE_INT_H
#define INTEL_BUNDLE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "age.h"
#include "base64.h"
#include "buf.h"
#include "crypto.h"
#include "bundle.h"
#include "err.h"
#include "parallel.h"
#include "spool.h"
#include "timeutil.h"

#define BUNDLE_COPY_CHUNK 65536
#define BUNDLE_SIG_B64_LEN BASE64_ENCODED_LEN(CRYPTO_ED25519_SIG_LEN)

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
int bundle_members_exact(
    const json_t *o, const char *const *names, char *why, size_t whylen);
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

/* ---- verifying (bundle-verify.c), and opening sealed bundles
 * (bundle-open.c) ---- */

struct state_run;

struct bundle_verifier {
	struct bundle_verify_opts o;
	struct spool *spool; /* sealed for a sealed bundle (spool.h) */
	int ready;	     /* the spool holds an accepted bundle */
	struct buf canon;
	char at[TIMEUTIL_LEN];
	char limit[TIMEUTIL_LEN]; /* at + retention_days */
	int64_t limit_t;
	struct state_run *run; /* the accepted counters, with --state */
};

/* How many bytes are looked at to tell a sealed bundle from a plain one:
 * its first line, "age-encryption.org/v1" (or the armor's). */
#define BUNDLE_PEEK 64

/* The bytes of a bundle: those peeked at, then the rest of the file. */
struct bundle_insrc {
	FILE *f;
	const char *name;
	unsigned char pre[BUNDLE_PEEK];
	size_t npre, pos;
};

/* A sealed bundle's plain text, as a source of lines. */
struct bundle_opened {
	struct age_reader *ar;
	const unsigned char *p;
	size_t n, off;
	int last; /* the whole stream authenticated */
	int failed;
	struct ierr err; /* why it failed */
};

/* A sealed bundle: opened (ok says how), or why not. */
struct bundle_seal {
	int failed;
	char why[ERR_MSG_MAX + 64];
	char ok[ERR_MSG_MAX + 64];
};

struct ag_party;
struct policy;

/* What one pass over a bundle found; decided on at the end. */
struct bundle_pass {
	struct bundle_report *r;
	json_t *header;
	json_t *trailer;
	const struct ag_party *sender;
	const unsigned char *pub; /* the key that signed it */
	struct policy *pol;
	int header_ok; /* line 1 is a well-formed header */
	char header_why[BUNDLE_NOTE_MAX];
	int header_bad;		   /* an early check failed */
	int early[BUNDLE_NCHECKS]; /* their results, by check */
	int no_rule;		   /* no release rule for (from, to) */
	char no_rule_why[ERR_MSG_MAX];
	/* The first record that is malformed or not canonical, and the
	 * first that does not comply (checking stops at the first). */
	unsigned long rec_line, cmp_line;
	char rec_why[ERR_MSG_MAX], cmp_why[ERR_MSG_MAX];
	unsigned long trailer_line;
	int trailer_ok;
	char trailer_why[BUNDLE_NOTE_MAX];
	/* The last line committed, with its result: a record, unless no
	 * line follows it (then it is the trailer).  pend holds the lines
	 * still to be hashed, each with its newline, then the held line
	 * from held_off on (without one): hashing waits for 64 KiB. */
	struct bundle_verifier *v;
	struct crypto_sha512 *digest;
	int have_held, held_kind;
	unsigned long held_line;
	struct buf pend, held_why;
	size_t held_off;
	struct ierr err; /* a spool write error in commit */
	/* A sealed bundle: opened, or why not. */
	struct bundle_seal seal;
};

/* The work on the records of a pass (bundle-records.c): par_run()'s
 * ops, its argument the bundle_pass. */
extern const struct par_ops bundle_records_ops;
/* After par_run(): hashes what waits in p->pend but the held line. */
void bundle_records_flush(struct bundle_pass *p);

/* What the first bytes say a bundle is. */
enum bundle_kind { BUNDLE_PLAIN, BUNDLE_SEALED, BUNDLE_ARMORED };

/* Reads the first bytes of f (named name) into in.  EXIT_IOERR. */
int bundle_open_peek(
    struct bundle_insrc *in, FILE *f, const char *name, struct ierr *e);
/* What those bytes say the bundle is. */
enum bundle_kind bundle_open_kind(const unsigned char *pre, size_t n);

/*
 * Opens a sealed bundle read from in: the header, with the limits
 * checked before any X25519 operation.  0 (the header is open, or s->failed says why not), or
 * EXIT_IOERR.
 */
int bundle_open_seal(struct bundle_verifier *v, struct bundle_report *r,
    struct bundle_insrc *in, struct bundle_opened *op, struct bundle_seal *s,
    struct ierr *e);
/* The opened plain text, a lines.h source (arg: the bundle_opened). */
long bundle_open_read(void *arg, void *buf, size_t n, struct ierr *e);
/* Reads and authenticates the rest of the stream, unused: 0 or -1. */
int bundle_open_drain(struct bundle_opened *o);
/* The stream failed: s says so, unless the file could not be read at
 * all.  0 or EXIT_IOERR. */
int bundle_open_broken(
    struct bundle_seal *s, struct bundle_opened *op, struct ierr *e);

#endif
