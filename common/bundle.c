#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "agreement.h"
#include "base64.h"
#include "buf.h"
#include "bundle.h"
#include "crypto.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "keys.h"
#include "lines.h"
#include "parallel.h"
#include "policy.h"
#include "record.h"
#include "state.h"
#include "timeutil.h"

#define COPY_CHUNK	65536
#define SIG_B64_LEN	BASE64_ENCODED_LEN(CRYPTO_ED25519_SIG_LEN)

/* ---- helpers ---- */

/* An unlinked temporary file under $TMPDIR (or /tmp), mode 0600: records
 * never stay on disk after the process ends. */
static int
spool_open(FILE **out, struct ierr *e)
{
	const char *dir = getenv("TMPDIR");
	struct buf path = BUF_INIT;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	buf_printf(&path, "%s/intel-spool.XXXXXX", dir);
	if ((fd = mkstemp(path.data)) < 0) {
		err_set(e, EXIT_IOERR, "cannot make a spool file in %s: %s",
		    dir, strerror(errno));
		buf_free(&path);
		return EXIT_IOERR;
	}
	unlink(path.data);
	buf_free(&path);
	if ((*out = fdopen(fd, "w+")) == NULL) {
		close(fd);
		return err_errno(e, EXIT_IOERR, "spool file");
	}
	return 0;
}

static int
spool_reset(FILE *f, struct ierr *e)
{
	clearerr(f);
	if (fflush(f) != 0 || ftruncate(fileno(f), 0) != 0 ||
	    fseeko(f, 0, SEEK_SET) != 0)
		return err_errno(e, EXIT_IOERR, "spool file");
	return 0;
}

static int
spool_write(FILE *f, const void *p, size_t n, struct ierr *e)
{
	if (fwrite(p, 1, n, f) != n)
		return err_set(e, EXIT_IOERR, "spool file: write error: %s",
		    strerror(errno ? errno : EIO));
	return 0;
}

/*
 * Copies the spool to out, feeding the digest too when there is one.
 * EXIT_IOERR names the side that failed.
 */
static int
spool_copy(FILE *f, FILE *out, struct crypto_sha512 *d, struct ierr *e)
{
	char *chunk;
	size_t n;
	int rc = 0;

	if (fflush(f) != 0 || fseeko(f, 0, SEEK_SET) != 0)
		return err_errno(e, EXIT_IOERR, "spool file");
	chunk = xmalloc(COPY_CHUNK);
	while ((n = fread(chunk, 1, COPY_CHUNK, f)) > 0) {
		if (d != NULL)
			crypto_sha512_update(d, chunk, n);
		if (fwrite(chunk, 1, n, out) != n) {
			rc = err_set(e, EXIT_IOERR, "write error: %s",
			    strerror(errno ? errno : EIO));
			break;
		}
	}
	if (rc == 0 && ferror(f))
		rc = err_set(e, EXIT_IOERR, "spool file: read error");
	free(chunk);
	return rc;
}

static int
is_lchex(const char *s, size_t len, size_t want)
{
	if (len != want)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Copies an untrusted string for display: control characters and DEL
 * become '?', so that a forged header cannot drive a terminal. */
static void
copy_clean(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < size; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	dst[i] = '\0';
}

/* Canonical serialisation of v followed by a newline, into b. */
static int
canon_line(struct buf *b, const json_t *v, struct ierr *e)
{
	int rc;

	buf_reset(b);
	if ((rc = jsonio_canon(b, v, e)) != 0)
		return rc;
	buf_addc(b, '\n');
	return 0;
}

/* ---- signing ---- */

struct bundle_screen {
	const struct bundle_sign *s;
	struct policy *pol;
};

struct bundle_sign {
	const struct agreement *a;
	const struct keys_secret *k;
	char *to;
	int64_t now;
	struct bundle_screen *check;	/* bundle_sign_add()'s */
	FILE *spool;
	struct buf canon;
	unsigned long long n;
};

int
bundle_sign_new(const struct agreement *a, const struct keys_secret *k,
    const char *to, int64_t now, struct bundle_sign **out, struct ierr *e)
{
	const char *from = keys_party(k);
	const struct ag_party *p = agreement_party(a, from);
	struct bundle_sign *s;
	int rc;

	if (p == NULL)
		return err_set(e, EXIT_CONFIG, "the key is for %s, which is "
		    "not a party of agreement %s", from, a->id);
	if (!agreement_party_has_key(p, keys_public(k)))
		return err_set(e, EXIT_CONFIG, "key %s is not among the keys "
		    "of %s in agreement %s", keys_key_id(k), from, a->id);
	if (agreement_party(a, to) == NULL)
		return err_set(e, EXIT_CONFIG, "recipient %s is not a party "
		    "of agreement %s", to, a->id);
	s = xcalloc(1, sizeof *s);
	s->a = a;
	s->k = k;
	s->to = xstrdup(to);
	s->now = now;
	if ((rc = bundle_screen_new(s, &s->check, e)) != 0 ||
	    (rc = spool_open(&s->spool, e)) != 0) {
		bundle_sign_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int
bundle_screen_new(const struct bundle_sign *s, struct bundle_screen **out,
    struct ierr *e)
{
	struct policy *pol;
	int rc;

	if ((rc = policy_new(s->a, keys_party(s->k), s->to, s->now, 0, &pol,
	    e)) != 0)
		return rc;
	*out = xcalloc(1, sizeof **out);
	(*out)->s = s;
	(*out)->pol = pol;
	return 0;
}

void
bundle_screen_free(struct bundle_screen *c)
{
	if (c == NULL)
		return;
	policy_free(c->pol);
	free(c);
}

int
bundle_screen_record(struct bundle_screen *c, const char *line, size_t len,
    struct buf *out, struct ierr *e)
{
	char why[ERR_MSG_MAX / 2];
	json_t *rec;
	int rc;

	buf_reset(out);
	if ((rc = record_parse(line, len, &rec, e)) != 0)
		return rc;
	if ((rc = canon_line(out, rec, e)) != 0) {
		json_decref(rec);
		return rc;
	}
	if (out->len - 1 != len || memcmp(out->data, line, len) != 0) {
		/* Check exactly what will be sent: its canonical form. */
		json_decref(rec);
		if ((rc = record_parse(out->data, out->len - 1, &rec, e)) != 0)
			return rc;
	}
	if (!policy_complies(c->pol, rec, why, sizeof why)) {
		json_decref(rec);
		buf_reset(out);
		return err_set(e, EXIT_REFUSED, "record not allowed to %s "
		    "under agreement %s: %s", c->s->to, c->s->a->id, why);
	}
	json_decref(rec);
	return 0;
}

int
bundle_sign_put(struct bundle_sign *s, const char *line, size_t len,
    struct ierr *e)
{
	int rc;

	if ((rc = spool_write(s->spool, line, len, e)) != 0)
		return rc;
	s->n++;
	return 0;
}

int
bundle_sign_add(struct bundle_sign *s, const char *line, size_t len,
    struct ierr *e)
{
	int rc;

	if ((rc = bundle_screen_record(s->check, line, len, &s->canon, e)))
		return rc;
	return bundle_sign_put(s, s->canon.data, s->canon.len, e);
}

unsigned long long
bundle_sign_count(const struct bundle_sign *s)
{
	return s->n;
}

int
bundle_sign_write(struct bundle_sign *s, int64_t seq, FILE *out,
    struct bundle_info *info, struct ierr *e)
{
	unsigned char rnd[BUNDLE_ID_LEN / 2], digest[CRYPTO_SHA512_LEN];
	unsigned char sig[CRYPTO_ED25519_SIG_LEN];
	char created[TIMEUTIL_LEN], sig64[SIG_B64_LEN + 1];
	struct crypto_sha512 *d;
	struct buf line = BUF_INIT;
	json_t *h, *t;
	int rc;

	memset(info, 0, sizeof *info);
	crypto_random(rnd, sizeof rnd);
	crypto_hex(rnd, sizeof rnd, info->id);
	timeutil_format(s->now, created);
	h = json_pack("{s:s, s:I, s:s, s:s, s:s, s:i, s:I, s:s}",
	    "agreement", s->a->id,
	    "agreement_version", (json_int_t)s->a->version,
	    "created", created,
	    "from", keys_party(s->k),
	    "id", info->id,
	    "intel_bundle", BUNDLE_FORMAT,
	    "seq", (json_int_t)seq,
	    "to", s->to);
	rc = canon_line(&line, h, e);
	json_decref(h);
	if (rc != 0)
		goto out;
	d = crypto_sha512_init();
	crypto_sha512_update(d, line.data, line.len);
	if (fwrite(line.data, 1, line.len, out) != line.len) {
		crypto_sha512_free(d);
		rc = err_set(e, EXIT_IOERR, "write error: %s",
		    strerror(errno ? errno : EIO));
		goto out;
	}
	if ((rc = spool_copy(s->spool, out, d, e)) != 0) {
		crypto_sha512_free(d);
		goto out;
	}
	crypto_sha512_final(d, digest);
	crypto_hex(digest, sizeof digest, info->sha512);

	/* The signed message: the trailer without sig, canonical. */
	t = json_pack("{s:i, s:s, s:I, s:s}",
	    "intel_signature", BUNDLE_SIG_FORMAT,
	    "key", keys_key_id(s->k),
	    "records", (json_int_t)s->n,
	    "sha512", info->sha512);
	buf_reset(&line);
	if ((rc = jsonio_canon(&line, t, e)) != 0 ||
	    (rc = keys_sign(s->k, line.data, line.len, sig, e)) != 0) {
		json_decref(t);
		goto out;
	}
	base64_encode(sig, sizeof sig, sig64);
	json_object_set_new(t, "sig", json_string(sig64));
	rc = canon_line(&line, t, e);
	json_decref(t);
	if (rc != 0)
		goto out;
	if (fwrite(line.data, 1, line.len, out) != line.len || ferror(out)) {
		rc = err_set(e, EXIT_IOERR, "write error: %s",
		    strerror(errno ? errno : EIO));
		goto out;
	}
	memcpy(info->key_id, keys_key_id(s->k), sizeof info->key_id);
	info->records = s->n;
	info->seq = seq;
out:
	buf_free(&line);
	return rc;
}

void
bundle_sign_free(struct bundle_sign *s)
{
	if (s == NULL)
		return;
	if (s->spool != NULL)
		fclose(s->spool);
	bundle_screen_free(s->check);
	buf_free(&s->canon);
	free(s->to);
	free(s);
}

/* ---- verifying ---- */

static const char *const check_names[BUNDLE_NCHECKS] = {
	"header", "trailer", "agreement", "sender", "key", "signature",
	"digest", "count", "recipient", "window", "records", "compliance",
	"replay"
};

const char *
bundle_check_name(enum bundle_check c)
{
	return (unsigned)c < BUNDLE_NCHECKS ? check_names[c] : "?";
}

struct bundle_verifier {
	struct bundle_verify_opts o;
	FILE *spool;
	int ready;		/* the spool holds an accepted bundle */
	struct buf canon;
	char at[TIMEUTIL_LEN];
	char limit[TIMEUTIL_LEN];	/* at + retention_days */
	int64_t limit_t;
};

/* What one pass over a bundle found; decided on at the end. */
struct pass {
	struct bundle_report *r;
	json_t *header;
	json_t *trailer;
	const struct ag_party *sender;
	struct policy *pol;
	int header_bad;		/* agreement, sender, recipient, window */
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
	if ((rc = spool_open(&v->spool, e)) != 0) {
		free(v);
		return rc;
	}
	*out = v;
	return 0;
}

void
bundle_verifier_free(struct bundle_verifier *v)
{
	if (v == NULL)
		return;
	if (v->spool != NULL)
		fclose(v->spool);
	buf_free(&v->canon);
	free(v);
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

/* Parses a header or trailer line (newline removed): a canonical JSON
 * object.  why gets what is wrong. */
static json_t *
parse_canonical(struct bundle_verifier *v, const char *text, size_t len,
    char *why, size_t whylen)
{
	struct ierr pe = IERR_INIT;
	json_t *o;

	if (jsonio_parse(text, len, &o, &pe) != 0) {
		snprintf(why, whylen, "not JSON: %s", pe.msg);
		return NULL;
	}
	if (!json_is_object(o)) {
		snprintf(why, whylen, "not a JSON object");
		json_decref(o);
		return NULL;
	}
	buf_reset(&v->canon);
	if (jsonio_canon(&v->canon, o, &pe) != 0 || v->canon.len != len ||
	    memcmp(v->canon.data, text, len) != 0) {
		snprintf(why, whylen, "not canonical JSON");
		json_decref(o);
		return NULL;
	}
	return o;
}

static const char *const header_members[] = {
	"agreement", "agreement_version", "created", "from", "id",
	"intel_bundle", "seq", "to", NULL
};
static const char *const trailer_members[] = {
	"intel_signature", "key", "records", "sha512", "sig", NULL
};

/* Every member known, every known one present. */
static int
members_exact(const json_t *o, const char *const *names, char *why,
    size_t whylen)
{
	const char *k;
	json_t *val;
	size_t i;

	json_object_foreach((json_t *)o, k, val) {
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(names[i], k) == 0)
				break;
		if (names[i] == NULL) {
			snprintf(why, whylen, "unknown member \"%.64s\"", k);
			return 0;
		}
	}
	for (i = 0; names[i] != NULL; i++)
		if (json_object_get(o, names[i]) == NULL) {
			snprintf(why, whylen, "member \"%s\" is missing",
			    names[i]);
			return 0;
		}
	return 1;
}

static int
str_member(const json_t *o, const char *name, size_t max, const char **out,
    char *why, size_t whylen)
{
	json_t *m = json_object_get(o, name);

	if (!json_is_string(m)) {
		snprintf(why, whylen, "%s: not a string", name);
		return 0;
	}
	if (json_string_length(m) == 0 || json_string_length(m) >= max) {
		snprintf(why, whylen, "%s: empty or longer than %zu bytes",
		    name, max - 1);
		return 0;
	}
	*out = json_string_value(m);
	return 1;
}

static int
int_member(const json_t *o, const char *name, int64_t min, int64_t *out,
    char *why, size_t whylen)
{
	json_t *m = json_object_get(o, name);

	if (!json_is_integer(m) || json_integer_value(m) < min) {
		snprintf(why, whylen, "%s: not an integer of at least %"
		    PRId64, name, min);
		return 0;
	}
	*out = json_integer_value(m);
	return 1;
}

/* Header: line 1 of a bundle, newline removed. */
static int
check_header(struct bundle_verifier *v, struct pass *p, const char *text,
    size_t len, char *why, size_t whylen)
{
	struct bundle_report *r = p->r;
	const char *ag, *from, *to, *id, *created;
	int64_t fmt, t;
	json_t *h;

	if ((h = parse_canonical(v, text, len, why, whylen)) == NULL)
		return 0;
	p->header = h;
	if (!json_is_integer(json_object_get(h, "intel_bundle"))) {
		snprintf(why, whylen, "not a bundle header (no intel_bundle)");
		return 0;
	}
	if ((fmt = json_integer_value(json_object_get(h, "intel_bundle"))) !=
	    BUNDLE_FORMAT) {
		snprintf(why, whylen, "unsupported bundle format %" PRId64
		    " (%d expected)", fmt, BUNDLE_FORMAT);
		return 0;
	}
	if (!members_exact(h, header_members, why, whylen) ||
	    !str_member(h, "agreement", BUNDLE_NAME_MAX, &ag, why, whylen) ||
	    !int_member(h, "agreement_version", INT64_MIN,
	    &r->agreement_version, why, whylen) ||
	    !str_member(h, "created", TIMEUTIL_LEN, &created, why, whylen) ||
	    !str_member(h, "from", BUNDLE_NAME_MAX, &from, why, whylen) ||
	    !str_member(h, "id", BUNDLE_ID_LEN + 1, &id, why, whylen) ||
	    !int_member(h, "seq", 0, &r->seq, why, whylen) ||
	    !str_member(h, "to", BUNDLE_NAME_MAX, &to, why, whylen))
		return 0;
	if (!is_lchex(id, strlen(id), BUNDLE_ID_LEN)) {
		snprintf(why, whylen, "id: not %d lowercase hex digits",
		    BUNDLE_ID_LEN);
		return 0;
	}
	if (timeutil_parse_utc(created, &t) != 0) {
		snprintf(why, whylen, "created: not an RFC 3339 UTC time");
		return 0;
	}
	r->have_header = 1;
	memcpy(r->id, id, BUNDLE_ID_LEN + 1);
	copy_clean(r->agreement, sizeof r->agreement, ag);
	copy_clean(r->from, sizeof r->from, from);
	copy_clean(r->to, sizeof r->to, to);
	memcpy(r->created, created, TIMEUTIL_LEN);
	return 1;
}

/*
 * The checks the header alone decides (agreement, sender, recipient,
 * window), noted now and reported in their turn; and the policy the
 * records are checked against.
 */
static void
header_checks(struct bundle_verifier *v, struct pass *p)
{
	const struct agreement *a = v->o.agreement;
	struct bundle_report *r = p->r;
	const char *from = json_string_value(json_object_get(p->header,
	    "from"));
	const char *to = json_string_value(json_object_get(p->header, "to"));
	struct ierr pe = IERR_INIT;
	char from_t[TIMEUTIL_LEN], until_t[TIMEUTIL_LEN];
	int64_t created;

	if (strcmp(json_string_value(json_object_get(p->header,
	    "agreement")), a->id) != 0 || r->agreement_version != a->version) {
		note(r, BUNDLE_AGREEMENT, BUNDLE_FAILED, "the bundle is for "
		    "agreement %s version %" PRId64 ", not %s version %" PRId64,
		    r->agreement, r->agreement_version, a->id, a->version);
		p->header_bad = 1;
	} else
		note(r, BUNDLE_AGREEMENT, BUNDLE_PASSED, "%s version %" PRId64,
		    a->id, a->version);

	if ((p->sender = agreement_party(a, from)) == NULL) {
		note(r, BUNDLE_SENDER, BUNDLE_FAILED, "%s is not a party of "
		    "agreement %s", r->from, a->id);
		p->header_bad = 1;
	} else
		note(r, BUNDLE_SENDER, BUNDLE_PASSED, "%s", r->from);

	if (agreement_party(a, to) == NULL) {
		note(r, BUNDLE_RECIPIENT, BUNDLE_FAILED, "%s is not a party of "
		    "agreement %s", r->to, a->id);
		p->header_bad = 1;
	} else if (v->o.to != NULL && strcmp(v->o.to, to) != 0) {
		note(r, BUNDLE_RECIPIENT, BUNDLE_FAILED, "the bundle is for "
		    "%s, not for %s", r->to, v->o.to);
		p->header_bad = 1;
	} else if (v->o.to != NULL)
		note(r, BUNDLE_RECIPIENT, BUNDLE_PASSED, "%s", r->to);
	else
		note(r, BUNDLE_RECIPIENT, BUNDLE_NOT_CHECKED, "bundle for %s; "
		    "no --to or INTEL_PARTY to check it against", r->to);

	timeutil_parse_utc(r->created, &created);
	timeutil_format(a->valid_from, from_t);
	timeutil_format(a->valid_until, until_t);
	if (created < a->valid_from || created > a->valid_until) {
		note(r, BUNDLE_WINDOW, BUNDLE_FAILED, "created %s lies outside "
		    "the agreement's validity, %s to %s", r->created, from_t,
		    until_t);
		p->header_bad = 1;
	} else
		note(r, BUNDLE_WINDOW, BUNDLE_PASSED, "created %s, within %s "
		    "to %s", r->created, from_t, until_t);

	if (p->header_bad)
		return;
	if (policy_new(a, from, to, v->o.now, 0, &p->pol, &pe) != 0) {
		p->no_rule = 1;
		snprintf(p->no_rule_why, sizeof p->no_rule_why, "%s", pe.msg);
	}
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
		if (canon_line(&it->out, rec, &it->err) != 0)
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
		    p->cmp_line == 0 && spool_write(p->v->spool,
		    p->held_out.data, p->held_out.len, &p->err) != 0)
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

static int
check_trailer(struct bundle_verifier *v, struct pass *p, const char *line,
    size_t len, int newline)
{
	char *why = p->trailer_why;
	size_t whylen = sizeof p->trailer_why;
	const char *key, *sha, *sig;
	unsigned char raw[BASE64_DECODED_MAX(SIG_B64_LEN)];
	size_t rawlen;
	int64_t fmt, n;
	json_t *t;

	if (!newline) {
		snprintf(why, whylen, "the last line has no newline "
		    "(truncated?)");
		return 0;
	}
	if ((t = parse_canonical(v, line, len, why, whylen)) == NULL)
		return 0;
	p->trailer = t;
	if (!json_is_integer(json_object_get(t, "intel_signature"))) {
		snprintf(why, whylen, "the last line is not a trailer "
		    "(no intel_signature)");
		return 0;
	}
	fmt = json_integer_value(json_object_get(t, "intel_signature"));
	if (fmt != BUNDLE_SIG_FORMAT) {
		snprintf(why, whylen, "unsupported signature format %" PRId64
		    " (%d expected)", fmt, BUNDLE_SIG_FORMAT);
		return 0;
	}
	if (!members_exact(t, trailer_members, why, whylen) ||
	    !str_member(t, "key", 64, &key, why, whylen) ||
	    !int_member(t, "records", 0, &n, why, whylen) ||
	    !str_member(t, "sha512", 256, &sha, why, whylen) ||
	    !str_member(t, "sig", SIG_B64_LEN + 1, &sig, why, whylen))
		return 0;
	if (!is_lchex(key, strlen(key), CRYPTO_KEY_ID_LEN)) {
		snprintf(why, whylen, "key: not %d lowercase hex digits",
		    CRYPTO_KEY_ID_LEN);
		return 0;
	}
	if (!is_lchex(sha, strlen(sha), BUNDLE_SHA512_HEX)) {
		snprintf(why, whylen, "sha512: not %d lowercase hex digits",
		    BUNDLE_SHA512_HEX);
		return 0;
	}
	/* The length first: raw has room for a signature, nothing more. */
	if (strlen(sig) != SIG_B64_LEN ||
	    base64_decode(sig, strlen(sig), raw, &rawlen) != 0 ||
	    rawlen != CRYPTO_ED25519_SIG_LEN) {
		snprintf(why, whylen, "sig: not the base64 of %d bytes",
		    CRYPTO_ED25519_SIG_LEN);
		return 0;
	}
	p->r->have_trailer = 1;
	memcpy(p->r->key_id, key, sizeof p->r->key_id);
	p->r->records = n;
	return 1;
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

/* The signature over the trailer without sig. */
static int
signature_holds(struct bundle_verifier *v, struct pass *p,
    const unsigned char *pub)
{
	unsigned char sig[BASE64_DECODED_MAX(SIG_B64_LEN)];
	const char *s = json_string_value(json_object_get(p->trailer, "sig"));
	struct ierr pe = IERR_INIT;
	size_t n;
	json_t *msg;
	int ok;

	if (s == NULL || strlen(s) != SIG_B64_LEN ||
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

/* Runs the checks in order; the first failure ends the bundle.  Returns
 * 0 (accepted), EXIT_REFUSED, or a status from the state folder. */
static int
decide(struct bundle_verifier *v, struct pass *p, struct ierr *e)
{
	const struct agreement *a = v->o.agreement;
	struct bundle_report *r = p->r;
	const struct ag_party *owner;
	const unsigned char *pub = NULL;
	enum bundle_check c;
	const char *sha;
	unsigned long line = 1;
	struct state *st;
	int64_t last;
	int rc;

	note(r, BUNDLE_HEADER, BUNDLE_PASSED, "format %d", BUNDLE_FORMAT);

	c = BUNDLE_TRAILER;
	line = p->trailer_line;
	if (!p->trailer_ok) {
		note(r, c, BUNDLE_FAILED, "%s", p->trailer_why);
		goto fail;
	}
	note(r, c, BUNDLE_PASSED, "format %d", BUNDLE_SIG_FORMAT);

	/* Decided from the header; reported in order. */
	line = 1;
	if (r->outcome[c = BUNDLE_AGREEMENT] == BUNDLE_FAILED ||
	    r->outcome[c = BUNDLE_SENDER] == BUNDLE_FAILED)
		goto fail;

	c = BUNDLE_KEY;
	line = p->trailer_line;
	owner = key_owner(a, p->sender, r->key_id, &pub);
	if (owner != NULL)
		copy_clean(r->key_party, sizeof r->key_party, owner->code);
	if (owner == NULL) {
		note(r, c, BUNDLE_FAILED, "key %s is not a key of any party "
		    "of agreement %s", r->key_id, a->id);
		goto fail;
	}
	if (owner != p->sender) {
		note(r, c, BUNDLE_FAILED, "key %s belongs to %s, not to the "
		    "sender %s", r->key_id, owner->code, r->from);
		goto fail;
	}
	note(r, c, BUNDLE_PASSED, "%s of %s", r->key_id, owner->code);

	c = BUNDLE_SIGNATURE;
	if (!signature_holds(v, p, pub)) {
		note(r, c, BUNDLE_FAILED, "the Ed25519 signature does not hold "
		    "for key %s", r->key_id);
		goto fail;
	}
	note(r, c, BUNDLE_PASSED, "Ed25519, key %s", r->key_id);

	c = BUNDLE_DIGEST;
	sha = json_string_value(json_object_get(p->trailer, "sha512"));
	if (!crypto_memeq(sha, r->sha512, BUNDLE_SHA512_HEX)) {
		note(r, c, BUNDLE_FAILED, "the SHA-512 of lines 1 to %lu does "
		    "not match the trailer's", p->trailer_line - 1);
		goto fail;
	}
	note(r, c, BUNDLE_PASSED, "SHA-512 of lines 1 to %lu",
	    p->trailer_line - 1);

	c = BUNDLE_COUNT;
	if ((unsigned long long)r->records != r->lines_read) {
		note(r, c, BUNDLE_FAILED, "the trailer says %lld records, the "
		    "bundle holds %llu", r->records, r->lines_read);
		goto fail;
	}
	note(r, c, BUNDLE_PASSED, "%llu records", r->lines_read);

	line = 1;
	if (r->outcome[c = BUNDLE_RECIPIENT] == BUNDLE_FAILED ||
	    r->outcome[c = BUNDLE_WINDOW] == BUNDLE_FAILED)
		goto fail;

	c = BUNDLE_RECORDS;
	if (p->rec_line != 0) {
		line = p->rec_line;
		note(r, c, BUNDLE_FAILED, "%s", p->rec_why);
		goto fail;
	}
	note(r, c, BUNDLE_PASSED, "%llu well formed and canonical",
	    r->lines_read);

	c = BUNDLE_COMPLIANCE;
	if (p->no_rule) {
		note(r, c, BUNDLE_FAILED, "%s", p->no_rule_why);
		goto fail;
	}
	if (p->cmp_line != 0) {
		line = p->cmp_line;
		note(r, c, BUNDLE_FAILED, "%s", p->cmp_why);
		goto fail;
	}
	note(r, c, BUNDLE_PASSED, "every record complies with the rule at "
	    "line %lu of %s", policy_rule(p->pol)->line, a->file);

	c = BUNDLE_REPLAY;
	if (v->o.state_dir == NULL) {
		note(r, c, BUNDLE_NOT_CHECKED, "seq %" PRId64 "; no --state "
		    "folder", r->seq);
	} else {
		const char *from = json_string_value(json_object_get(
		    p->header, "from"));
		const char *to = json_string_value(json_object_get(p->header,
		    "to"));

		if ((rc = state_lock(v->o.state_dir, STATE_ACCEPTED, a->id,
		    from, to, &st, e)) != 0) {
			note(r, c, BUNDLE_FAILED, "%s", e->msg);
			return rc;
		}
		last = state_value(st);
		if (last != STATE_NONE && r->seq <= last) {
			state_unlock(st);
			note(r, c, BUNDLE_FAILED, "seq %" PRId64 " is not above "
			    "%" PRId64 ", the last accepted from %s to %s "
			    "(a replay, or bundles verified out of order)",
			    r->seq, last, r->from, r->to);
			goto fail;
		}
		if (v->o.record_seq && (rc = state_store(st, r->seq, e)) != 0) {
			state_unlock(st);
			note(r, c, BUNDLE_FAILED, "%s", e->msg);
			return rc;
		}
		state_unlock(st);
		if (last == STATE_NONE)
			note(r, c, BUNDLE_PASSED, "seq %" PRId64 ", the first "
			    "from %s to %s", r->seq, r->from, r->to);
		else
			note(r, c, BUNDLE_PASSED, "seq %" PRId64 " above %"
			    PRId64 ", the last accepted", r->seq, last);
	}
	r->accepted = 1;
	return 0;
fail:
	/* The checks stop here: later ones are not reported. */
	for (int i = (int)c + 1; i < BUNDLE_NCHECKS; i++)
		note(r, (enum bundle_check)i, BUNDLE_NOT_REACHED, NULL);
	r->failed = c;
	r->failed_line = line;
	return err_set(e, EXIT_REFUSED, "%s:%lu: %s: %s", r->name, line,
	    check_names[c], r->note[c]);
}

int
bundle_verify(struct bundle_verifier *v, const char *path,
    struct bundle_report *r, struct ierr *e)
{
	struct pass p;
	unsigned char digest[CRYPTO_SHA512_LEN];
	char why[BUNDLE_NOTE_MAX];
	struct lines *l;
	const char *name;
	char *line;
	size_t len;
	int rc, got;

	memset(r, 0, sizeof *r);
	memset(&p, 0, sizeof p);
	p.r = r;
	p.v = v;
	r->seq = -1;
	r->records = -1;
	v->ready = 0;
	copy_clean(r->name, sizeof r->name, path ? path : "<stdin>");
	if ((rc = lines_open(path, &l, e)) != 0)
		return rc;
	name = lines_name(l);
	if ((rc = spool_reset(v->spool, e)) != 0)
		goto out;

	if ((got = lines_next(l, &line, &len, e)) < 0) {
		rc = e->status;
		goto out;
	}
	if (got == 0) {
		snprintf(why, sizeof why, "the file is empty");
		goto bad_header;
	}
	if (!check_header(v, &p, line, len, why, sizeof why))
		goto bad_header;
	header_checks(v, &p);
	p.trailer_line = 2;
	snprintf(p.trailer_why, sizeof p.trailer_why, "missing (the bundle "
	    "has one line)");
	if (!lines_newline(l))
		goto decide;	/* the only line: no trailer either */
	p.digest = crypto_sha512_init();
	crypto_sha512_update(p.digest, line, len);
	crypto_sha512_update(p.digest, "\n", 1);

	/* Records are checked by -j workers; vcommit() holds each line back
	 * until the next arrives, and the last one is the trailer. */
	if ((rc = par_run(l, v->o.jobs > 0 ? v->o.jobs : 1, &verify_ops, &p,
	    e)) != 0) {
		if (p.err.status != 0)
			*e = p.err;
		goto out;
	}
	crypto_sha512_final(p.digest, digest);
	p.digest = NULL;
	crypto_hex(digest, sizeof digest, r->sha512);
	if (p.have_held) {
		p.trailer_line = p.held_line;
		p.trailer_ok = check_trailer(v, &p, p.held.data, p.held.len,
		    lines_newline(l));
	}
decide:
	rc = decide(v, &p, e);
	if (rc == 0)
		v->ready = 1;
	goto out;

bad_header:
	note(r, BUNDLE_HEADER, BUNDLE_FAILED, "%s", why);
	r->failed = BUNDLE_HEADER;
	r->failed_line = 1;
	rc = err_set(e, EXIT_REFUSED, "%s:1: header: %s", name, why);
out:
	lines_close(l);
	crypto_sha512_free(p.digest);
	policy_free(p.pol);
	json_decref(p.header);
	json_decref(p.trailer);
	buf_free(&p.held);
	buf_free(&p.held_out);
	buf_free(&p.held_why);
	return rc;
}

int
bundle_verify_emit(struct bundle_verifier *v, FILE *out, struct ierr *e)
{
	if (!v->ready)
		return 0;
	v->ready = 0;
	return spool_copy(v->spool, out, NULL, e);
}

static const char *const outcome_names[] = {
	"not reached", "ok", "FAILED", "not checked"
};

void
bundle_report_format(const struct bundle_report *r, struct buf *b)
{
	buf_printf(b, "bundle %s\n", r->name);
	if (r->have_header) {
		buf_printf(b, "  id          %s\n", r->id);
		buf_printf(b, "  agreement   %s version %" PRId64 "\n",
		    r->agreement, r->agreement_version);
		buf_printf(b, "  from        %s\n", r->from);
		buf_printf(b, "  to          %s\n", r->to);
		buf_printf(b, "  created     %s\n", r->created);
		buf_printf(b, "  seq         %" PRId64 "\n", r->seq);
	}
	if (r->have_trailer) {
		buf_printf(b, "  key         %s (%s)\n", r->key_id,
		    r->key_party[0] != '\0' ? r->key_party :
		    "no party of the agreement");
		if ((unsigned long long)r->records == r->lines_read)
			buf_printf(b, "  records     %lld\n", r->records);
		else
			buf_printf(b, "  records     %llu (the trailer says "
			    "%lld)\n", r->lines_read, r->records);
	}
	if (r->sha512[0] != '\0')
		buf_printf(b, "  sha512      %s\n", r->sha512);
	buf_printf(b, "  checks\n");
	for (int c = 0; c < BUNDLE_NCHECKS; c++) {
		buf_printf(b, "    %-11s %s", check_names[c],
		    outcome_names[r->outcome[c]]);
		if (r->outcome[c] == BUNDLE_FAILED)
			buf_printf(b, ": %s", r->note[c]);
		else if (r->outcome[c] != BUNDLE_NOT_REACHED && r->note[c][0])
			buf_printf(b, " (%s)", r->note[c]);
		buf_addc(b, '\n');
	}
	if (r->accepted)
		buf_printf(b, "  result      ACCEPTED\n");
	else
		buf_printf(b, "  result      REFUSED (%s, line %lu)\n",
		    check_names[r->failed], r->failed_line);
}
