/*
 * Verifying a bundle (SPEC 7): one pass over it hashes every byte, checks
 * the records (-j workers) and spools them stamped; then the table of
 * checks below is run in SPEC 7's order and the first that fails refuses
 * the bundle.  The checks that the header alone decides are made as soon
 * as it is read (when one fails, the records are only hashed) and
 * reported in their turn.
 *
 * A sealed bundle (SPEC 6a) is opened with age.c on the way in: the
 * lines are read from its authenticated chunks, and its records are
 * spooled as an age stream to the verifier's own X25519 key (made for
 * this run, its secret in secure memory), so that no plain text of it
 * is ever written to the spool; bundle_verify_emit() opens that again.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>
#include <jansson.h>

#include "age.h"
#include "agreement.h"
#include "base64.h"
#include "buf.h"
#include "bundle.h"
#include "bundle-int.h"
#include "crypto.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "lines.h"
#include "parallel.h"
#include "policy.h"
#include "record.h"
#include "secmem.h"
#include "state.h"
#include "timeutil.h"

struct bundle_verifier {
	struct bundle_verify_opts o;
	FILE *spool;
	int ready;		/* the spool holds an accepted bundle */
	struct buf canon;
	char at[TIMEUTIL_LEN];
	char limit[TIMEUTIL_LEN];	/* at + retention_days */
	int64_t limit_t;
	struct state_run *run;	/* the accepted counters, with --state */
	/* The spool of a sealed bundle is an age stream to this key. */
	unsigned char *spool_secret;	/* secure memory */
	unsigned char spool_pub[AGE_KEY_LEN];
	struct age_writer *sw;	/* while a sealed bundle is spooled */
	int spool_sealed;	/* the spool holds such a stream */
};

/* How many bytes are looked at to tell a sealed bundle from a plain one:
 * its first line, "age-encryption.org/v1" (or the armor's). */
#define PEEK 64
#define ARMOR_LINE "-----BEGIN AGE ENCRYPTED FILE-----"

/* The bytes of a bundle: those peeked at, then the rest of the file. */
struct insrc {
	FILE *f;
	const char *name;
	unsigned char pre[PEEK];
	size_t npre, pos;
};

/* A sealed bundle's plain text, as a source of lines. */
struct opened {
	struct age_reader *ar;
	const unsigned char *p;
	size_t n, off;
	int last;		/* the whole stream authenticated */
	int failed;
	struct ierr err;	/* why it failed */
};

/* What one pass over a bundle found; decided on at the end. */
struct pass {
	struct bundle_report *r;
	json_t *header;
	json_t *trailer;
	const struct ag_party *sender;
	const unsigned char *pub;	/* the key that signed it */
	struct policy *pol;
	int header_ok;		/* line 1 is a well-formed header */
	char header_why[BUNDLE_NOTE_MAX];
	int header_bad;		/* an early check failed */
	int early[BUNDLE_NCHECKS];	/* their results, by check */
	int no_rule;		/* no release rule for (from, to) */
	char no_rule_why[ERR_MSG_MAX];
	/* The first record that is malformed or not canonical, and the
	 * first that does not comply (checking stops at the first). */
	unsigned long rec_line, cmp_line;
	char rec_why[ERR_MSG_MAX], cmp_why[ERR_MSG_MAX];
	unsigned long trailer_line;
	int trailer_ok;
	char trailer_why[BUNDLE_NOTE_MAX];
	/* The last line committed, with its result: a record, unless no
	 * line follows it (then it is the trailer). */
	struct bundle_verifier *v;
	struct crypto_sha512 *digest;
	int have_held, held_kind;
	unsigned long held_line;
	struct buf held, held_out, held_why;
	struct ierr err;	/* a spool write error in commit */
	/* A sealed bundle: opened, or why not. */
	int seal_failed;
	char seal_why[ERR_MSG_MAX + 64];
	char seal_ok[ERR_MSG_MAX + 64];
};

/* What checking a record line found (par_item data). */
enum { REC_OK, REC_BAD, REC_NONCOMPLIANT, REC_SKIPPED };

int
bundle_verifier_new(const struct bundle_verify_opts *o,
    struct bundle_verifier **out, struct ierr *e)
{
	struct bundle_verifier *v = xcalloc(1, sizeof *v);
	const struct agreement *a = o->agreement;
	int rc;

	v->o = *o;
	timeutil_format(o->now, v->at);
	if (a->retention_days >= 0) {
		v->limit_t = o->now + a->retention_days * 86400;
		timeutil_format(v->limit_t, v->limit);
	}
	if ((rc = bundle_spool_open(&v->spool, e)) != 0) {
		free(v);
		return rc;
	}
	if ((v->spool_secret = gcry_malloc_secure(AGE_KEY_LEN)) == NULL)
		abort();	/* as secmem_dup() does */
	crypto_x25519_keygen(v->spool_secret, v->spool_pub);
	if (o->state_dir != NULL)
		v->run = state_run_new(o->state_dir);
	*out = v;
	return 0;
}

int
bundle_verifier_commit(struct bundle_verifier *v, struct ierr *e)
{
	if (v->run == NULL)
		return 0;
	if (v->o.record_seq)
		return state_run_commit(v->run, e);
	state_run_free(v->run);
	v->run = state_run_new(v->o.state_dir);
	return 0;
}

void
bundle_verifier_free(struct bundle_verifier *v)
{
	if (v == NULL)
		return;
	if (v->spool != NULL)
		fclose(v->spool);
	age_writer_free(v->sw);
	if (v->spool_secret != NULL) {
		secmem_wipe(v->spool_secret, AGE_KEY_LEN);
		gcry_free(v->spool_secret);
	}
	state_run_free(v->run);
	buf_free(&v->canon);
	free(v);
}

/* ---- sources ---- */

static long
insrc_read(void *arg, void *buf, size_t n, struct ierr *e)
{
	struct insrc *s = arg;
	size_t k;

	if (s->pos < s->npre) {
		k = s->npre - s->pos < n ? s->npre - s->pos : n;
		memcpy(buf, s->pre + s->pos, k);
		s->pos += k;
		return (long)k;
	}
	k = fread(buf, 1, n, s->f);
	if (k == 0 && ferror(s->f)) {
		err_set(e, EXIT_IOERR, "%s: read error: %s", s->name,
		    strerror(errno ? errno : EIO));
		return -1;
	}
	return (long)k;
}

/* The next authenticated chunk, when the last one is used up: 0, 1 at
 * the end of the stream, or -1 (o->err says why). */
static int
opened_more(struct opened *o)
{
	if (o->failed)
		return -1;
	while (o->off == o->n) {
		if (o->last)
			return 1;
		if (age_reader_next(o->ar, &o->p, &o->n, &o->last,
		    &o->err) != 0) {
			o->failed = 1;
			return -1;
		}
		o->off = 0;
	}
	return 0;
}

static long
opened_read(void *arg, void *buf, size_t n, struct ierr *e)
{
	struct opened *o = arg;
	size_t k;
	int r;

	if ((r = opened_more(o)) != 0) {
		if (r < 0)
			*e = o->err;
		return r < 0 ? -1 : 0;
	}
	k = o->n - o->off < n ? o->n - o->off : n;
	memcpy(buf, o->p + o->off, k);
	o->off += k;
	return (long)k;
}

/* Reads and authenticates the rest of the stream, unused: 0 or -1. */
static int
opened_drain(struct opened *o)
{
	int r;

	while ((r = opened_more(o)) == 0)
		o->off = o->n;
	return r < 0 ? -1 : 0;
}

/* The spool: plain, or an age stream to the verifier's key. */
static int
spool_sink(void *arg, const void *p, size_t n, struct ierr *e)
{
	return bundle_spool_write(arg, p, n, e);
}

static long
spool_source(void *arg, void *buf, size_t n, struct ierr *e)
{
	FILE *f = arg;
	size_t k = fread(buf, 1, n, f);

	if (k == 0 && ferror(f)) {
		err_set(e, EXIT_IOERR, "spool file: read error");
		return -1;
	}
	return (long)k;
}

static int
out_sink(void *arg, const void *p, size_t n, struct ierr *e)
{
	if (fwrite(p, 1, n, arg) != n)
		return err_set(e, EXIT_IOERR, "write error: %s",
		    strerror(errno ? errno : EIO));
	return 0;
}

static int
spool_put(struct bundle_verifier *v, const void *p, size_t n,
    struct ierr *e)
{
	if (v->sw != NULL)
		return age_writer_write(v->sw, p, n, e);
	return bundle_spool_write(v->spool, p, n, e);
}

static void ATTR_PRINTF(4, 5)
note(struct bundle_report *r, enum bundle_check c, enum bundle_outcome o,
    const char *fmt, ...)
{
	va_list ap;

	r->outcome[c] = o;
	if (fmt == NULL) {
		r->note[c][0] = '\0';
		return;
	}
	va_start(ap, fmt);
	vsnprintf(r->note[c], sizeof r->note[c], fmt, ap);
	va_end(ap);
}

/* Sets received and expires (SPEC 7) on an accepted record. */
static void
stamp(struct bundle_verifier *v, struct pass *p, json_t *rec)
{
	json_t *exp = json_object_get(rec, "expires");
	int64_t t;

	json_object_set_new(rec, "received", json_pack("{s:s, s:s, s:s}",
	    "from", json_string_value(json_object_get(p->header, "from")),
	    "bundle", p->r->id, "at", v->at));
	if (v->o.agreement->retention_days < 0)
		return;
	if (json_is_string(exp) &&
	    timeutil_parse(json_string_value(exp), &t) == 0 &&
	    t <= v->limit_t)
		return;		/* the record's own is earlier: kept */
	json_object_set_new(rec, "expires", json_string(v->limit));
}

/* A worker (-j N) or the calling thread: its own policy and buffer. */
struct vworker {
	struct pass *p;
	struct policy *pol;	/* NULL: records are not checked for it */
	struct buf canon;
};

static void *
vworker_new(void *arg, struct ierr *e)
{
	struct pass *p = arg;
	struct vworker *w = xcalloc(1, sizeof *w);
	const struct agreement *a = p->v->o.agreement;
	const char *from, *to;

	w->p = p;
	if (p->header_bad || p->no_rule)
		return w;
	from = json_string_value(json_object_get(p->header, "from"));
	to = json_string_value(json_object_get(p->header, "to"));
	if (policy_new(a, from, to, p->v->o.now, 0, &w->pol, e) != 0) {
		free(w);	/* the pass made one: memory, at worst */
		return NULL;
	}
	return w;
}

static void
vworker_free(void *arg)
{
	struct vworker *w = arg;

	policy_free(w->pol);
	buf_free(&w->canon);
	free(w);
}

/* Checks one record line (no newline); on success it->out gets the line
 * to write, stamped.  The kind goes to it->data, the reason to it->err. */
static void
vwork(void *arg, struct par_item *it)
{
	struct vworker *w = arg;
	struct pass *p = w->p;
	int *kind = it->data;
	char why[BUNDLE_NOTE_MAX];
	json_t *rec;

	if (p->header_bad) {
		*kind = REC_SKIPPED;	/* refused anyway: only hashed */
		return;
	}
	if (record_parse(it->line, it->len, &rec, &it->err) != 0) {
		*kind = REC_BAD;
		err_prefix(&it->err, "malformed record");
		return;
	}
	buf_reset(&w->canon);
	if (jsonio_canon(&w->canon, rec, &it->err) != 0 ||
	    w->canon.len != it->len ||
	    memcmp(w->canon.data, it->line, it->len) != 0) {
		*kind = REC_BAD;
		err_set(&it->err, EXIT_REFUSED, "record not canonical (it was "
		    "changed after signing or not written by intel-sign)");
	} else if (w->pol == NULL) {
		*kind = REC_SKIPPED;	/* no rule: compliance fails */
	} else if (!policy_complies(w->pol, rec, why, sizeof why)) {
		*kind = REC_NONCOMPLIANT;
		err_set(&it->err, EXIT_REFUSED, "record not allowed from %s "
		    "to %s: %s", p->r->from, p->r->to, why);
	} else {
		stamp(p->v, p, rec);
		if (bundle_canon_line(&it->out, rec, &it->err) != 0)
			*kind = REC_BAD;
	}
	json_decref(rec);
}

/* In input order: the line held back is a record, since one follows. */
static int
vcommit(void *arg, struct par_item *it)
{
	struct pass *p = arg;

	if (p->have_held) {
		crypto_sha512_update(p->digest, p->held.data, p->held.len);
		crypto_sha512_update(p->digest, "\n", 1);
		p->r->lines_read++;
		if (p->held_kind == REC_BAD && p->rec_line == 0) {
			p->rec_line = p->held_line;
			snprintf(p->rec_why, sizeof p->rec_why, "%s",
			    p->held_why.data);
		} else if (p->held_kind == REC_NONCOMPLIANT &&
		    p->cmp_line == 0) {
			p->cmp_line = p->held_line;
			snprintf(p->cmp_why, sizeof p->cmp_why, "%s",
			    p->held_why.data);
		} else if (p->held_kind == REC_OK && p->rec_line == 0 &&
		    p->cmp_line == 0 && spool_put(p->v, p->held_out.data,
		    p->held_out.len, &p->err) != 0)
			return p->err.status;
	}
	p->have_held = 1;
	p->held_line = it->lineno;
	p->held_kind = *(int *)it->data;
	buf_reset(&p->held);
	buf_add(&p->held, it->line, it->len);
	buf_reset(&p->held_out);
	if (p->held_kind == REC_OK)
		buf_add(&p->held_out, it->out.data, it->out.len);
	buf_reset(&p->held_why);
	if (p->held_kind == REC_BAD || p->held_kind == REC_NONCOMPLIANT)
		buf_adds(&p->held_why, it->err.msg);
	return 0;
}

static const struct par_ops verify_ops = {
	.data_size = sizeof(int),
	.worker_new = vworker_new,
	.worker_free = vworker_free,
	.work = vwork,
	.commit = vcommit,
};

/*
 * The checks.  Each notes its outcome in the report and returns 0 when
 * it holds (or has nothing to check against), EXIT_REFUSED when it fails
 * (*line then names the line at fault; it is 1 unless set), or another
 * status, with e set, when it could not be made at all.
 */
typedef int check_fn(struct bundle_verifier *, struct pass *,
    unsigned long *, struct ierr *);

static const char *
header_str(const struct pass *p, const char *name)
{
	return json_string_value(json_object_get(p->header, name));
}

/*
 * First: a sealed bundle was opened (and the whole stream authenticated),
 * or a plain one is allowed by its rule.
 */
static int
check_seal(struct bundle_verifier *v, struct pass *p, unsigned long *line,
    struct ierr *e)
{
	struct bundle_report *r = p->r;
	const struct ag_rule *rule;

	(void)line, (void)e;
	if (r->sealed) {
		if (p->seal_failed) {
			note(r, BUNDLE_SEAL, BUNDLE_FAILED, "%s", p->seal_why);
			return EXIT_REFUSED;
		}
		note(r, BUNDLE_SEAL, BUNDLE_PASSED, "%s", p->seal_ok);
		return 0;
	}
	if (p->pol == NULL) {
		/* No rule to ask: a later check refuses the bundle. */
		note(r, BUNDLE_SEAL, BUNDLE_NOT_CHECKED, "a plain bundle");
		return 0;
	}
	rule = policy_rule(p->pol);
	if (rule->seal == AG_SEAL_REQUIRED) {
		note(r, BUNDLE_SEAL, BUNDLE_FAILED, "a plain bundle, and the "
		    "rule at line %lu of %s requires sealed ones (seal: "
		    "required)", rule->line, v->o.agreement->file);
		return EXIT_REFUSED;
	}
	note(r, BUNDLE_SEAL, BUNDLE_NOT_CHECKED, "a plain bundle; its rule "
	    "does not require sealing");
	return 0;
}

static int
check_header(struct bundle_verifier *v, struct pass *p, unsigned long *line,
    struct ierr *e)
{
	(void)v, (void)line, (void)e;
	if (!p->header_ok) {
		note(p->r, BUNDLE_HEADER, BUNDLE_FAILED, "%s", p->header_why);
		return EXIT_REFUSED;
	}
	note(p->r, BUNDLE_HEADER, BUNDLE_PASSED, "format %d", BUNDLE_FORMAT);
	return 0;
}

static int
check_trailer(struct bundle_verifier *v, struct pass *p, unsigned long *line,
    struct ierr *e)
{
	(void)v, (void)e;
	*line = p->trailer_line;
	if (!p->trailer_ok) {
		note(p->r, BUNDLE_TRAILER, BUNDLE_FAILED, "%s", p->trailer_why);
		return EXIT_REFUSED;
	}
	note(p->r, BUNDLE_TRAILER, BUNDLE_PASSED, "format %d",
	    BUNDLE_SIG_FORMAT);
	return 0;
}

/* Early: from the header alone. */
static int
check_agreement(struct bundle_verifier *v, struct pass *p,
    unsigned long *line, struct ierr *e)
{
	const struct agreement *a = v->o.agreement;
	struct bundle_report *r = p->r;

	(void)line, (void)e;
	if (strcmp(header_str(p, "agreement"), a->id) != 0 ||
	    r->agreement_version != a->version) {
		note(r, BUNDLE_AGREEMENT, BUNDLE_FAILED, "the bundle is for "
		    "agreement %s version %" PRId64 ", not %s version %" PRId64,
		    r->agreement, r->agreement_version, a->id, a->version);
		return EXIT_REFUSED;
	}
	note(r, BUNDLE_AGREEMENT, BUNDLE_PASSED, "%s version %" PRId64,
	    a->id, a->version);
	return 0;
}

/* Early: from the header alone.  With --from, from is that party. */
static int
check_sender(struct bundle_verifier *v, struct pass *p, unsigned long *line,
    struct ierr *e)
{
	const struct agreement *a = v->o.agreement;
	struct bundle_report *r = p->r;

	(void)line, (void)e;
	if ((p->sender = agreement_party(a, header_str(p, "from"))) == NULL) {
		note(r, BUNDLE_SENDER, BUNDLE_FAILED, "%s is not a party of "
		    "agreement %s", r->from, a->id);
		return EXIT_REFUSED;
	}
	if (v->o.from != NULL && strcmp(v->o.from, p->sender->code) != 0) {
		note(r, BUNDLE_SENDER, BUNDLE_FAILED, "the bundle is from %s, "
		    "not from %s (--from)", r->from, v->o.from);
		return EXIT_REFUSED;
	}
	note(r, BUNDLE_SENDER, BUNDLE_PASSED, "%s", r->from);
	return 0;
}

/* Which party of the agreement holds the key with this id (or NULL);
 * *pub gets the key. */
static const struct ag_party *
key_owner(const struct agreement *a, const struct ag_party *prefer,
    const char *id, const unsigned char **pub)
{
	char kid[CRYPTO_KEY_ID_LEN + 1];

	if (prefer != NULL)
		for (size_t j = 0; j < prefer->nkeys; j++) {
			crypto_key_id(prefer->keys[j], kid);
			if (strcmp(kid, id) == 0) {
				*pub = prefer->keys[j];
				return prefer;
			}
		}
	for (size_t i = 0; i < a->nparties; i++)
		for (size_t j = 0; j < a->parties[i].nkeys; j++) {
			crypto_key_id(a->parties[i].keys[j], kid);
			if (strcmp(kid, id) == 0) {
				*pub = a->parties[i].keys[j];
				return &a->parties[i];
			}
		}
	return NULL;
}

static int
check_key(struct bundle_verifier *v, struct pass *p, unsigned long *line,
    struct ierr *e)
{
	const struct agreement *a = v->o.agreement;
	struct bundle_report *r = p->r;
	const struct ag_party *owner;

	(void)e;
	*line = p->trailer_line;
	owner = key_owner(a, p->sender, r->key_id, &p->pub);
	if (owner != NULL)
		bundle_copy_clean(r->key_party, sizeof r->key_party,
		    owner->code);
	if (owner == NULL) {
		note(r, BUNDLE_KEY, BUNDLE_FAILED, "key %s is not a key of any "
		    "party of agreement %s", r->key_id, a->id);
		return EXIT_REFUSED;
	}
	if (owner != p->sender) {
		note(r, BUNDLE_KEY, BUNDLE_FAILED, "key %s belongs to %s, not "
		    "to the sender %s", r->key_id, owner->code, r->from);
		return EXIT_REFUSED;
	}
	note(r, BUNDLE_KEY, BUNDLE_PASSED, "%s of %s", r->key_id, owner->code);
	return 0;
}

/* The signature over the trailer without sig. */
static int
signature_holds(struct bundle_verifier *v, struct pass *p,
    const unsigned char *pub)
{
	unsigned char sig[BASE64_DECODED_MAX(BUNDLE_SIG_B64_LEN)];
	const char *s = json_string_value(json_object_get(p->trailer, "sig"));
	struct ierr pe = IERR_INIT;
	size_t n;
	json_t *msg;
	int ok;

	if (s == NULL || strlen(s) != BUNDLE_SIG_B64_LEN ||
	    base64_decode(s, strlen(s), sig, &n) != 0 ||
	    n != CRYPTO_ED25519_SIG_LEN)
		return 0;
	msg = json_deep_copy(p->trailer);
	json_object_del(msg, "sig");
	buf_reset(&v->canon);
	ok = jsonio_canon(&v->canon, msg, &pe) == 0 &&
	    crypto_ed25519_verify(pub, v->canon.data, v->canon.len, sig);
	json_decref(msg);
	return ok;
}

static int
check_signature(struct bundle_verifier *v, struct pass *p,
    unsigned long *line, struct ierr *e)
{
	struct bundle_report *r = p->r;

	(void)e;
	*line = p->trailer_line;
	if (!signature_holds(v, p, p->pub)) {
		note(r, BUNDLE_SIGNATURE, BUNDLE_FAILED, "the Ed25519 "
		    "signature does not hold for key %s", r->key_id);
		return EXIT_REFUSED;
	}
	note(r, BUNDLE_SIGNATURE, BUNDLE_PASSED, "Ed25519, key %s", r->key_id);
	return 0;
}

static int
check_digest(struct bundle_verifier *v, struct pass *p, unsigned long *line,
    struct ierr *e)
{
	const char *sha = json_string_value(json_object_get(p->trailer,
	    "sha512"));

	(void)v, (void)e;
	*line = p->trailer_line;
	if (!crypto_memeq(sha, p->r->sha512, BUNDLE_SHA512_HEX)) {
		note(p->r, BUNDLE_DIGEST, BUNDLE_FAILED, "the SHA-512 of lines "
		    "1 to %lu does not match the trailer's",
		    p->trailer_line - 1);
		return EXIT_REFUSED;
	}
	note(p->r, BUNDLE_DIGEST, BUNDLE_PASSED, "SHA-512 of lines 1 to %lu",
	    p->trailer_line - 1);
	return 0;
}

static int
check_count(struct bundle_verifier *v, struct pass *p, unsigned long *line,
    struct ierr *e)
{
	struct bundle_report *r = p->r;

	(void)v, (void)e;
	*line = p->trailer_line;
	if ((unsigned long long)r->records != r->lines_read) {
		note(r, BUNDLE_COUNT, BUNDLE_FAILED, "the trailer says %lld "
		    "records, the bundle holds %llu", r->records,
		    r->lines_read);
		return EXIT_REFUSED;
	}
	note(r, BUNDLE_COUNT, BUNDLE_PASSED, "%llu records", r->lines_read);
	return 0;
}

/* Early: from the header alone. */
static int
check_recipient(struct bundle_verifier *v, struct pass *p,
    unsigned long *line, struct ierr *e)
{
	const struct agreement *a = v->o.agreement;
	struct bundle_report *r = p->r;
	const char *to = header_str(p, "to");

	(void)line, (void)e;
	if (agreement_party(a, to) == NULL) {
		note(r, BUNDLE_RECIPIENT, BUNDLE_FAILED, "%s is not a party of "
		    "agreement %s", r->to, a->id);
		return EXIT_REFUSED;
	}
	if (v->o.to != NULL && strcmp(v->o.to, to) != 0 && r->sealed) {
		note(r, BUNDLE_RECIPIENT, BUNDLE_FAILED, "the sealed bundle "
		    "is for %s, but it was opened with a key of %s", r->to,
		    v->o.to);
		return EXIT_REFUSED;
	}
	if (v->o.to != NULL && strcmp(v->o.to, to) != 0) {
		note(r, BUNDLE_RECIPIENT, BUNDLE_FAILED, "the bundle is for "
		    "%s, not for %s", r->to, v->o.to);
		return EXIT_REFUSED;
	}
	if (v->o.to != NULL)
		note(r, BUNDLE_RECIPIENT, BUNDLE_PASSED, "%s", r->to);
	else
		note(r, BUNDLE_RECIPIENT, BUNDLE_NOT_CHECKED, "bundle for %s; "
		    "no --to or INTEL_PARTY to check it against", r->to);
	return 0;
}

/* Early: from the header alone. */
static int
check_window(struct bundle_verifier *v, struct pass *p, unsigned long *line,
    struct ierr *e)
{
	const struct agreement *a = v->o.agreement;
	struct bundle_report *r = p->r;
	char from_t[TIMEUTIL_LEN], until_t[TIMEUTIL_LEN];
	int64_t created;

	(void)line, (void)e;
	timeutil_parse_utc(r->created, &created);
	timeutil_format(a->valid_from, from_t);
	timeutil_format(a->valid_until, until_t);
	if (created < a->valid_from || created > a->valid_until) {
		note(r, BUNDLE_WINDOW, BUNDLE_FAILED, "created %s lies outside "
		    "the agreement's validity, %s to %s", r->created, from_t,
		    until_t);
		return EXIT_REFUSED;
	}
	note(r, BUNDLE_WINDOW, BUNDLE_PASSED, "created %s, within %s to %s",
	    r->created, from_t, until_t);
	return 0;
}

static int
check_records(struct bundle_verifier *v, struct pass *p, unsigned long *line,
    struct ierr *e)
{
	(void)v, (void)e;
	if (p->rec_line != 0) {
		*line = p->rec_line;
		note(p->r, BUNDLE_RECORDS, BUNDLE_FAILED, "%s", p->rec_why);
		return EXIT_REFUSED;
	}
	note(p->r, BUNDLE_RECORDS, BUNDLE_PASSED, "%llu well formed and "
	    "canonical", p->r->lines_read);
	return 0;
}

static int
check_compliance(struct bundle_verifier *v, struct pass *p,
    unsigned long *line, struct ierr *e)
{
	(void)e;
	if (p->no_rule) {
		note(p->r, BUNDLE_COMPLIANCE, BUNDLE_FAILED, "%s",
		    p->no_rule_why);
		return EXIT_REFUSED;
	}
	if (p->cmp_line != 0) {
		*line = p->cmp_line;
		note(p->r, BUNDLE_COMPLIANCE, BUNDLE_FAILED, "%s", p->cmp_why);
		return EXIT_REFUSED;
	}
	note(p->r, BUNDLE_COMPLIANCE, BUNDLE_PASSED, "every record complies "
	    "with the rule at line %lu of %s", policy_rule(p->pol)->line,
	    v->o.agreement->file);
	return 0;
}

/* Under the counter's lock, held until bundle_verifier_commit(). */
static int
check_replay(struct bundle_verifier *v, struct pass *p, unsigned long *line,
    struct ierr *e)
{
	struct bundle_report *r = p->r;
	int64_t last;
	int rc, fresh;

	(void)line;
	if (v->run == NULL) {
		note(r, BUNDLE_REPLAY, BUNDLE_NOT_CHECKED, "seq %" PRId64
		    "; no --state folder", r->seq);
		return 0;
	}
	if ((rc = state_run_check(v->run, v->o.agreement->id,
	    header_str(p, "from"), header_str(p, "to"), r->seq, &last,
	    &fresh, e)) != 0) {
		note(r, BUNDLE_REPLAY, BUNDLE_FAILED, "%s", e->msg);
		return rc;
	}
	if (!fresh) {
		note(r, BUNDLE_REPLAY, BUNDLE_FAILED, "seq %" PRId64 " is not "
		    "above %" PRId64 ", the last accepted from %s to %s (a "
		    "replay, or bundles verified out of order)", r->seq, last,
		    r->from, r->to);
		return EXIT_REFUSED;
	}
	if (last == STATE_NONE)
		note(r, BUNDLE_REPLAY, BUNDLE_PASSED, "seq %" PRId64 ", the "
		    "first from %s to %s", r->seq, r->from, r->to);
	else
		note(r, BUNDLE_REPLAY, BUNDLE_PASSED, "seq %" PRId64 " above %"
		    PRId64 ", the last accepted", r->seq, last);
	return 0;
}

/*
 * The checks in SPEC 7's order, which is the order they are reported
 * in: the first that fails refuses the bundle and the later ones are
 * not reached.  An early check is decided as soon as the header is
 * read; when one fails, the records are not checked, only hashed.
 */
static const struct check {
	enum bundle_check check;
	const char *name;
	check_fn *fn;
	int early;
} checks[BUNDLE_NCHECKS] = {
	[BUNDLE_SEAL] = { BUNDLE_SEAL, "seal", check_seal, 0 },
	[BUNDLE_HEADER] = { BUNDLE_HEADER, "header", check_header, 0 },
	[BUNDLE_TRAILER] = { BUNDLE_TRAILER, "trailer", check_trailer, 0 },
	[BUNDLE_AGREEMENT] = { BUNDLE_AGREEMENT, "agreement",
	    check_agreement, 1 },
	[BUNDLE_SENDER] = { BUNDLE_SENDER, "sender", check_sender, 1 },
	[BUNDLE_KEY] = { BUNDLE_KEY, "key", check_key, 0 },
	[BUNDLE_SIGNATURE] = { BUNDLE_SIGNATURE, "signature",
	    check_signature, 0 },
	[BUNDLE_DIGEST] = { BUNDLE_DIGEST, "digest", check_digest, 0 },
	[BUNDLE_COUNT] = { BUNDLE_COUNT, "count", check_count, 0 },
	[BUNDLE_RECIPIENT] = { BUNDLE_RECIPIENT, "recipient",
	    check_recipient, 1 },
	[BUNDLE_WINDOW] = { BUNDLE_WINDOW, "window", check_window, 1 },
	[BUNDLE_RECORDS] = { BUNDLE_RECORDS, "records", check_records, 0 },
	[BUNDLE_COMPLIANCE] = { BUNDLE_COMPLIANCE, "compliance",
	    check_compliance, 0 },
	[BUNDLE_REPLAY] = { BUNDLE_REPLAY, "replay", check_replay, 0 },
};

const char *
bundle_check_name(enum bundle_check c)
{
	return (unsigned)c < BUNDLE_NCHECKS ? checks[c].name : "?";
}

/*
 * Runs the early checks on a well-formed header, and makes the policy
 * the records are checked against when they all hold.
 */
static void
early_checks(struct bundle_verifier *v, struct pass *p)
{
	struct ierr pe = IERR_INIT;
	unsigned long line;

	for (size_t i = 0; i < BUNDLE_NCHECKS; i++) {
		if (!checks[i].early)
			continue;
		line = 1;
		if ((p->early[i] = checks[i].fn(v, p, &line, &pe)) != 0)
			p->header_bad = 1;
	}
	if (p->header_bad)
		return;
	if (policy_new(v->o.agreement, header_str(p, "from"),
	    header_str(p, "to"), v->o.now, 0, &p->pol, &pe) != 0) {
		p->no_rule = 1;
		snprintf(p->no_rule_why, sizeof p->no_rule_why, "%s", pe.msg);
	}
}

/*
 * Runs the checks in order; the first failure ends the bundle.  Returns
 * 0 (accepted), EXIT_REFUSED, or a status from the state folder (the
 * report then says "REFUSED (replay: the state folder's problem)").
 */
static int
decide(struct bundle_verifier *v, struct pass *p, struct ierr *e)
{
	struct bundle_report *r = p->r;
	unsigned long line = 1;
	size_t i;
	int rc = 0;

	for (i = 0; i < BUNDLE_NCHECKS; i++) {
		line = 1;
		if (checks[i].early)
			rc = p->early[i];
		else
			rc = checks[i].fn(v, p, &line, e);
		if (rc == EXIT_REFUSED)
			break;
		if (rc != 0) {
			/* Not the bundle's fault: line 0, and its note. */
			r->failed = checks[i].check;
			r->failed_line = 0;
			return rc;
		}
	}
	if (i == BUNDLE_NCHECKS) {
		r->accepted = 1;
		return 0;
	}
	/* The checks stop here: later ones are not reported. */
	for (size_t j = i + 1; j < BUNDLE_NCHECKS; j++)
		note(r, checks[j].check, BUNDLE_NOT_REACHED, NULL);
	r->failed = checks[i].check;
	r->failed_line = line;
	return err_set(e, EXIT_REFUSED, "%s:%lu: %s: %s",
	    r->name, line, checks[i].name,
	    r->note[i]);
}

/* What the first bytes say a bundle is. */
enum kind { PLAIN, SEALED, ARMORED };

static enum kind
kind_of(const unsigned char *pre, size_t n)
{
	static const char *const lines[] = { AGE_VERSION_LINE, ARMOR_LINE };

	for (int i = 0; i < 2; i++) {
		size_t len = strlen(lines[i]);

		if (n >= len && memcmp(pre, lines[i], len) == 0 &&
		    (n == len || pre[len] == '\n'))
			return i == 0 ? SEALED : ARMORED;
	}
	return PLAIN;
}

/*
 * Opens a sealed bundle: the header, with the limits checked before any
 * X25519 operation, then the spool's own age stream.  0 (the header is
 * open, or p->seal_failed says why not), or EXIT_IOERR.
 */
static int
seal_open(struct bundle_verifier *v, struct pass *p, struct insrc *in,
    struct opened *op, struct ierr *e)
{
	struct bundle_report *r = p->r;
	struct ierr ae = IERR_INIT;
	size_t which;

	op->ar = age_reader_new(insrc_read, in);
	if (age_reader_open(op->ar, v->o.ids, v->o.nids, &ae) != 0) {
		r->stanzas = age_reader_stanzas(op->ar);
		if (age_reader_status(op->ar) == AGE_IO) {
			*e = ae;
			return e->status;
		}
		p->seal_failed = 1;
		snprintf(p->seal_why, sizeof p->seal_why, "%s", ae.msg);
		return 0;
	}
	r->stanzas = age_reader_stanzas(op->ar);
	which = age_reader_identity(op->ar);
	snprintf(p->seal_ok, sizeof p->seal_ok, "age, %zu stanza%s, opened "
	    "with %s", r->stanzas, r->stanzas == 1 ? "" : "s",
	    v->o.id_names != NULL && v->o.id_names[which] != NULL ?
	    v->o.id_names[which] : "the key given");
	v->sw = age_writer_new((const unsigned char (*)[32])v->spool_pub, 1,
	    spool_sink, v->spool, e);
	return v->sw == NULL ? e->status : 0;
}

/* A sealed bundle's stream failed: the seal check says so, unless the
 * file could not be read at all.  0 or EXIT_IOERR. */
static int
seal_broken(struct pass *p, struct opened *op, struct ierr *e)
{
	if (op->err.status == EXIT_IOERR) {
		*e = op->err;
		return EXIT_IOERR;
	}
	p->seal_failed = 1;
	snprintf(p->seal_why, sizeof p->seal_why, "%s", op->err.msg);
	return 0;
}

int
bundle_verify(struct bundle_verifier *v, const char *path,
    struct bundle_report *r, struct ierr *e)
{
	struct pass p;
	unsigned char digest[CRYPTO_SHA512_LEN];
	struct lines *raw, *l;
	struct insrc in;
	struct opened op;
	const char *name;
	char *line;
	size_t len;
	int rc, got;

	memset(r, 0, sizeof *r);
	memset(&p, 0, sizeof p);
	memset(&in, 0, sizeof in);
	memset(&op, 0, sizeof op);
	p.r = r;
	p.v = v;
	r->seq = -1;
	r->records = -1;
	v->ready = 0;
	v->spool_sealed = 0;
	age_writer_free(v->sw);
	v->sw = NULL;
	bundle_copy_clean(r->name, sizeof r->name, path ? path : "<stdin>");
	if ((rc = lines_open(path, &raw, e)) != 0)
		return rc;
	l = raw;
	name = lines_name(raw);
	if ((rc = bundle_spool_reset(v->spool, e)) != 0)
		goto out;

	/* Sealed or plain: the first line tells. */
	in.f = lines_stream(raw);
	in.name = name;
	in.npre = fread(in.pre, 1, sizeof in.pre, in.f);
	if (in.npre < sizeof in.pre && ferror(in.f)) {
		rc = err_set(e, EXIT_IOERR, "%s: read error: %s", name,
		    strerror(errno ? errno : EIO));
		goto out;
	}
	switch (kind_of(in.pre, in.npre)) {
	case PLAIN:
		lines_unread(raw, in.pre, in.npre);
		break;
	case ARMORED:
		r->sealed = 1;
		p.seal_failed = 1;
		snprintf(p.seal_why, sizeof p.seal_why, "the ASCII-armored "
		    "form of age is not supported");
		goto judge;
	case SEALED:
		r->sealed = 1;
		if (v->o.nids == 0) {
			for (int c = 0; c < BUNDLE_NCHECKS; c++)
				note(r, c, BUNDLE_NOT_REACHED, NULL);
			note(r, BUNDLE_SEAL, BUNDLE_FAILED, "a sealed bundle, "
			    "and no key (-k) to open it");
			r->failed = BUNDLE_SEAL;
			r->failed_line = 1;
			rc = err_set(e, EXIT_USAGE, "%s: a sealed bundle, and "
			    "no key to open it", name);
			goto out;
		}
		if ((rc = seal_open(v, &p, &in, &op, e)) != 0)
			goto out;
		if (p.seal_failed)
			goto judge;
		l = lines_open_source(name, opened_read, &op);
		break;
	}

	if ((got = lines_next(l, &line, &len, e)) < 0) {
		if (op.failed) {
			if ((rc = seal_broken(&p, &op, e)) != 0)
				goto out;
			goto judge;
		}
		rc = e->status;
		goto out;
	}
	if (got == 0) {
		snprintf(p.header_why, sizeof p.header_why,
		    "the file is empty");
		goto judge;
	}
	if (!(p.header_ok = bundle_parse_header(&v->canon, line, len, r,
	    &p.header, p.header_why, sizeof p.header_why)))
		goto judge;
	early_checks(v, &p);
	p.trailer_line = 2;
	snprintf(p.trailer_why, sizeof p.trailer_why, "missing (the bundle "
	    "has one line)");
	if (!lines_newline(l))
		goto judge;	/* the only line: no trailer either */
	p.digest = crypto_sha512_init();
	crypto_sha512_update(p.digest, line, len);
	crypto_sha512_update(p.digest, "\n", 1);

	/* Records are checked by -j workers; vcommit() holds each line back
	 * until the next arrives, and the last one is the trailer. */
	if ((rc = par_run(l, v->o.jobs > 0 ? v->o.jobs : 1, &verify_ops, &p,
	    e)) != 0) {
		if (p.err.status != 0)
			*e = p.err;
		else if (op.failed) {
			if ((rc = seal_broken(&p, &op, e)) != 0)
				goto out;
			rc = 0;
			goto judge;
		}
		goto out;
	}
	crypto_sha512_final(p.digest, digest);
	p.digest = NULL;
	crypto_hex(digest, sizeof digest, r->sha512);
	if (p.have_held) {
		p.trailer_line = p.held_line;
		p.trailer_ok = bundle_parse_trailer(&v->canon, p.held.data,
		    p.held.len, lines_newline(l), r, &p.trailer,
		    p.trailer_why, sizeof p.trailer_why);
	}
judge:
	/* A sealed bundle is judged only once all of it authenticated. */
	if (op.ar != NULL && !p.seal_failed && opened_drain(&op) != 0 &&
	    (rc = seal_broken(&p, &op, e)) != 0)
		goto out;
	if ((rc = decide(v, &p, e)) == 0) {
		if (v->sw != NULL) {
			if ((rc = age_writer_finish(v->sw, e)) != 0)
				goto out;
			v->spool_sealed = 1;
		}
		v->ready = 1;
	}
out:
	if (v->sw != NULL) {
		age_writer_free(v->sw);
		v->sw = NULL;
	}
	if (l != raw)
		lines_close(l);
	lines_close(raw);
	age_reader_free(op.ar);
	crypto_sha512_free(p.digest);
	policy_free(p.pol);
	json_decref(p.header);
	json_decref(p.trailer);
	buf_free(&p.held);
	buf_free(&p.held_out);
	buf_free(&p.held_why);
	return rc;
}

/*
 * Writes the spool of a sealed bundle to out, opening it chunk by chunk
 * and writing only whole lines: should a chunk of it fail (the spool is
 * the run's own file, so only a damaged disk or another process of this
 * user could do that), no partial record reaches out.
 */
static int
emit_sealed(struct bundle_verifier *v, FILE *out, struct ierr *e)
{
	const unsigned char *ids[1] = { v->spool_secret };
	struct age_reader *ar;
	struct buf carry = BUF_INIT;
	const unsigned char *p, *nl;
	size_t n;
	int last = 0, rc;

	if (fflush(v->spool) != 0 || fseeko(v->spool, 0, SEEK_SET) != 0)
		return err_errno(e, EXIT_IOERR, "spool file");
	ar = age_reader_new(spool_source, v->spool);
	if ((rc = age_reader_open(ar, ids, 1, e)) != 0)
		goto out;
	while (!last) {
		if ((rc = age_reader_next(ar, &p, &n, &last, e)) != 0)
			goto out;
		if (n == 0)
			continue;
		/* Up to the chunk's last newline; the rest waits. */
		for (nl = p + n; nl > p && nl[-1] != '\n'; nl--)
			;
		if (nl > p) {
			if ((carry.len > 0 && (rc = out_sink(out, carry.data,
			    carry.len, e)) != 0) ||
			    (rc = out_sink(out, p, (size_t)(nl - p), e)) != 0)
				goto out;
			buf_reset(&carry);
		}
		buf_add(&carry, nl, (size_t)(p + n - nl));
	}
	if (carry.len > 0)
		rc = err_set(e, EXIT_IOERR, "spool file: a line without a "
		    "newline");
out:
	age_reader_free(ar);
	buf_free(&carry);
	if (rc != 0 && rc != EXIT_IOERR) {
		err_prefix(e, "spool file");
		rc = EXIT_IOERR;
	}
	return rc;
}

int
bundle_verify_emit(struct bundle_verifier *v, FILE *out, struct ierr *e)
{
	if (!v->ready)
		return 0;
	v->ready = 0;
	if (!v->spool_sealed)
		return bundle_spool_copy(v->spool, out, NULL, e);
	v->spool_sealed = 0;
	return emit_sealed(v, out, e);
}
