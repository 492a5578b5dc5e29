/*
 * Signed bundles (SPEC 6 and 7, intel-bundle(5)):
 *
 *   {"agreement",...,"intel_bundle":1,"seq",...,"to"}      header
 *   <record>                                               canonical
 *   ...
 *   {"intel_signature":1,"key","records","sha512","sig"}   trailer
 *
 * sha512 covers every byte before the trailer line; the Ed25519 signature
 * covers the trailer line without its sig member, exactly those bytes.
 *
 * Signing (intel-sign): bundle_sign_new() checks the key and the rule,
 * bundle_sign_add() checks one input record and spools its canonical line
 * to an unlinked temporary file (memory does not grow with the input),
 * bundle_sign_write() writes header, records and trailer.  Nothing reaches
 * the output before every record was checked.
 *
 * Verifying (intel-verify): bundle_verify() reads one bundle in one pass,
 * hashing every byte and spooling the records (with received and expires
 * already set) to an unlinked temporary file; it runs every check of
 * SPEC 7 in the order of enum bundle_check and reports the first that
 * fails.  Only for an accepted bundle does bundle_verify_emit() copy the
 * spooled records out.  With a state folder, the replay counters of the
 * bundles checked stay locked until bundle_verifier_commit(), which the
 * caller calls once the records are safely written (SPEC 7), or
 * bundle_verifier_free(), which records nothing.  Memory holds a few
 * batches of lines (parallel.h), never the bundle.
 *
 * Ownership: the agreement and the key are borrowed and must outlive the
 * objects made here; a struct bundle_sign or bundle_verifier is the
 * caller's (bundle_*_free).  A struct bundle_report is the caller's and
 * holds copies.  Exit statuses as exitcodes.h; messages never hold a
 * record's values.
 */
#ifndef INTEL_BUNDLE_H
#define INTEL_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agreement.h"
#include "buf.h"
#include "err.h"
#include "keys.h"
#include "timeutil.h"

#define BUNDLE_FORMAT 1	    /* intel_bundle */
#define BUNDLE_SIG_FORMAT 1 /* intel_signature */
#define BUNDLE_ID_LEN 32    /* hex digits of a bundle id */
#define BUNDLE_SHA512_HEX 128
#define BUNDLE_NOTE_MAX 256
#define BUNDLE_NAME_MAX 256 /* party codes, agreement ids kept */

/* What a signed bundle is (for summaries and the audit log). */
struct bundle_info {
	char id[BUNDLE_ID_LEN + 1];
	char sha512[BUNDLE_SHA512_HEX + 1];
	char key_id[17];
	unsigned long long records;
	int64_t seq;
};

/* ---- signing ---- */

struct bundle_sign;

/*
 * Prepares a bundle from the key's party to `to` under agreement a at now.
 * EXIT_CONFIG when the key's party is not a party of the agreement, its
 * public key is not among that party's keys, `to` is not a party, or there
 * is no release rule for the pair; EXIT_IOERR if no spool can be made.
 */
int bundle_sign_new(const struct agreement *a, const struct keys_secret *k,
    const char *to, int64_t now, struct bundle_sign **out, struct ierr *e);

/*
 * The bundle will be sealed: its records wait encrypted (spool.h), not in
 * the clear.  Call it before the first record.  EXIT_IOERR.
 */
int bundle_sign_seal(struct bundle_sign *s, struct ierr *e);

/*
 * One input line (without its newline): a record (record_parse), which is
 * made canonical and must comply with the rule (policy_complies, on the
 * canonical form).  EXIT_DATAERR for a malformed or invalid record,
 * EXIT_REFUSED for one the rule does not allow (the message names the
 * first offending value's path or the withholding reason), EXIT_IOERR
 * when the spool cannot be written.  The caller puts FILE:LINE in front.
 */
int bundle_sign_add(
    struct bundle_sign *s, const char *line, size_t len, struct ierr *e);
unsigned long long bundle_sign_count(const struct bundle_sign *s);

/*
 * The same in two steps, for -j N: bundle_screen_record() is the work
 * (a struct bundle_screen per thread: it holds a policy of its own), and
 * bundle_sign_put() spools its result, in input order, in one thread.
 * bundle_screen_record() replaces out by the canonical line and a newline.
 */
struct bundle_screen;
int bundle_screen_new(
    const struct bundle_sign *s, struct bundle_screen **out, struct ierr *e);
void bundle_screen_free(struct bundle_screen *c); /* NULL is allowed */
int bundle_screen_record(struct bundle_screen *c, const char *line, size_t len,
    struct buf *out, struct ierr *e);
int bundle_sign_put(
    struct bundle_sign *s, const char *line, size_t len, struct ierr *e);

/* Writes the bundle with this seq to out; fills info.  EXIT_IOERR on a
 * write error, EXIT_CONFIG if the key cannot sign. */
int bundle_sign_write(struct bundle_sign *s, int64_t seq, FILE *out,
    struct bundle_info *info, struct ierr *e);
void bundle_sign_free(struct bundle_sign *s); /* NULL is allowed */

/* ---- verifying ---- */

/* The checks, in the order they are made and reported. */
enum bundle_check {
	BUNDLE_SEAL,	   /* sealed (SPEC 6a): opened; or not required */
	BUNDLE_HEADER,	   /* line 1 is a canonical, known header */
	BUNDLE_TRAILER,	   /* the last line is a canonical trailer */
	BUNDLE_AGREEMENT,  /* agreement id and version match */
	BUNDLE_SENDER,	   /* from is a party, and the one expected */
	BUNDLE_KEY,	   /* the key id is one of from's keys */
	BUNDLE_SIGNATURE,  /* Ed25519 over the trailer without sig */
	BUNDLE_DIGEST,	   /* SHA-512 of the bytes before the trailer */
	BUNDLE_COUNT,	   /* records as many as the trailer says */
	BUNDLE_RECIPIENT,  /* to is a party, and the one expected */
	BUNDLE_WINDOW,	   /* created in the agreement's window */
	BUNDLE_RECORDS,	   /* every record well formed and canonical */
	BUNDLE_COMPLIANCE, /* every record complies with the rule */
	BUNDLE_REPLAY,	   /* seq above the last accepted (--state) */
	BUNDLE_NCHECKS
};

enum bundle_outcome {
	BUNDLE_NOT_REACHED, /* an earlier check failed */
	BUNDLE_PASSED,
	BUNDLE_FAILED,
	BUNDLE_NOT_CHECKED /* nothing to check it against */
};

/* "seal", "header", "trailer", "agreement", "sender", "key", "signature",
 * "digest", "count", "recipient", "window", "records", "compliance",
 * "replay". */
const char *bundle_check_name(enum bundle_check c);

struct bundle_report {
	char name[BUNDLE_NAME_MAX]; /* the file, or "<stdin>" */
	int sealed;		    /* an age file (SPEC 6a) */
	size_t stanzas;		    /* in its header, when it parsed */
	int have_header, have_trailer;
	/* From the header (when have_header). */
	char id[BUNDLE_ID_LEN + 1];
	char agreement[BUNDLE_NAME_MAX];
	int64_t agreement_version;
	char from[BUNDLE_NAME_MAX], to[BUNDLE_NAME_MAX];
	char created[TIMEUTIL_LEN];
	int64_t seq;
	/* From the trailer (when have_trailer). */
	char key_id[17];
	char key_party[BUNDLE_NAME_MAX]; /* "" when no party holds it */
	long long records;		 /* as the trailer says */
	/* Computed. */
	unsigned long long lines_read;	    /* records read */
	char sha512[BUNDLE_SHA512_HEX + 1]; /* of the bytes read */
	enum bundle_outcome outcome[BUNDLE_NCHECKS];
	char note[BUNDLE_NCHECKS][BUNDLE_NOTE_MAX];
	int accepted;
	enum bundle_check failed; /* when !accepted */
	unsigned long failed_line;
};

struct bundle_verify_opts {
	const struct agreement *agreement;
	const char *to;	       /* expected recipient, or NULL */
	int64_t now;	       /* received.at, the window, expiry */
	const char *state_dir; /* replay protection, or NULL */
	int record_seq;	       /* store an accepted seq (not for --report) */
	int jobs;	       /* worker threads for the records (-j) */
	const char *from;      /* expected sender (--from), or NULL */
	/* X25519 secrets (32 bytes each, secure memory, the caller's) that
	 * open sealed bundles, and the names of their key files for the
	 * report; none: a sealed bundle is a usage error (EXIT_USAGE). */
	const unsigned char *const *ids;
	const char *const *id_names;
	size_t nids;
};

struct bundle_verifier;

/* The options are copied, the strings in them borrowed.  EXIT_IOERR if
 * no spool can be made. */
int bundle_verifier_new(const struct bundle_verify_opts *o,
    struct bundle_verifier **out, struct ierr *e);
/* Releases the replay counters without recording; NULL is allowed. */
void bundle_verifier_free(struct bundle_verifier *v);

/*
 * Records, under --state and with record_seq, the seq of every bundle
 * accepted since the last commit (each counter raised to the highest, never
 * lowered), then releases the counters' locks; without record_seq it only
 * releases them.  Call it only once the records of those bundles are
 * committed: a run that fails to write calls bundle_verifier_free()
 * instead, so that the same bundles are accepted again later.
 * EXIT_CANTCREAT or EXIT_IOERR from the state folder.
 */
int bundle_verifier_commit(struct bundle_verifier *v, struct ierr *e);

/*
 * Reads and checks the bundle in path (NULL or "-": standard input), plain
 * or sealed (its first line exactly "age-encryption.org/v1": opened with
 * o->ids, chunk by chunk; its records are spooled encrypted, under an
 * X25519 key made for the verifier and kept in secure memory).
 * Returns 0 when it was accepted (with a state folder its seq then counts
 * as accepted in this run, and its counter stays locked until
 * bundle_verifier_commit() or _free()); EXIT_REFUSED when a check
 * failed, with e "NAME:LINE: CHECK: what" (a sealed bundle that cannot be
 * opened fails the seal check); EXIT_USAGE for a sealed bundle when no
 * identity was given; EXIT_NOINPUT when path cannot
 * be opened; EXIT_IOERR when reading the bundle or writing the spool
 * failed, EXIT_CANTCREAT or EXIT_DATAERR from the state folder (the bundle
 * is then refused as well).  r is filled in every case.  The records are
 * checked by o->jobs worker threads; the result never depends on it.
 * jsonarena_init() must have been called.
 */
int bundle_verify(struct bundle_verifier *v, const char *path,
    struct bundle_report *r, struct ierr *e);

/* Copies the records of the bundle last accepted to out.  EXIT_IOERR. */
int bundle_verify_emit(struct bundle_verifier *v, FILE *out, struct ierr *e);

/* Appends a human-readable report (several lines) to b. */
void bundle_report_format(const struct bundle_report *r, struct buf *b);

#endif
