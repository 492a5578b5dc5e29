/*
 * Verifying a bundle (SPEC 7): one pass over it hashes every byte, checks
 * the records (-j workers, bundle-records.c) and spools them stamped;
 * then the table of checks below is run in SPEC 7's order and the first
 * that fails refuses the bundle.  The checks that the header alone
 * decides are made as soon as it is read (when one fails, the records
 * are only hashed) and reported in their turn.
 *
 * A sealed bundle (SPEC 6a) is opened on the way in by bundle-open.c:
 * the lines are read from its authenticated chunks, and its records wait
 * in a sealed spool (spool.h), so that no plain text of it is ever
 * written to a file.
 */
#include "config.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "age.h"
#include "agreement.h"
#include "base64.h"
#include "buf.h"
#include "bundle.h"
#include "bundle-int.h"
#include "comply.h"
#include "crypto.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "lines.h"
#include "parallel.h"
#include "policy.h"
#include "record.h"
#include "spool.h"
#include "state.h"
#include "timeutil.h"

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
	if ((rc = spool_new(SPOOL_PLAIN, &v->spool, e)) != 0) {
		free(v);
		return rc;
	}
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
	spool_free(v->spool);
	state_run_free(v->run);
	buf_free(&v->canon);
	free(v);
}

static void ATTR_PRINTF(4, 5) note(struct bundle_report *r, enum bundle_check c,
    enum bundle_outcome o, const char *fmt, ...)
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

/*
 * The checks.  Each notes its outcome in the report and returns 0 when
 * it holds (or has nothing to check against), EXIT_REFUSED when it fails
 * (*line then names the line at fault; it is 1 unless set), or another
 * status, with e set, when it could not be made at all.
 */
typedef int check_fn(struct bundle_verifier *, struct bundle_pass *,
    unsigned long *, struct ierr *);

static const char *
header_str(const struct bundle_pass *p, const char *name)
{
	return json_string_value(json_object_get(p->header, name));
}

/*
 * First: a sealed bundle was opened (and the whole stream authenticated),
 * or a plain one is allowed by its rule.
 */
static int
check_seal(struct bundle_verifier *v, struct bundle_pass *p,
    unsigned long *line, struct ierr *e)
{
	struct bundle_report *r = p->r;
	const struct ag_rule *rule;

	(void)line, (void)e;
	if (r->sealed) {
		if (p->seal.failed) {
			note(r, BUNDLE_SEAL, BUNDLE_FAILED, "%s", p->seal.why);
			return EXIT_REFUSED;
		}
		note(r, BUNDLE_SEAL, BUNDLE_PASSED, "%s", p->seal.ok);
		return 0;
	}
	if (p->pol == NULL) {
		/* No rule to ask: a later check refuses the bundle. */
		note(r, BUNDLE_SEAL, BUNDLE_NOT_CHECKED, "a plain bundle");
		return 0;
	}
	rule = policy_rule(p->pol);
	if (rule->seal == AG_SEAL_REQUIRED) {
		note(r, BUNDLE_SEAL, BUNDLE_FAILED,
		    "a plain bundle, and the "
		    "rule at line %lu of %s requires sealed ones (seal: "
		    "required)",
		    rule->line, v->o.agreement->file);
		return EXIT_REFUSED;
	}
	note(r, BUNDLE_SEAL, BUNDLE_NOT_CHECKED,
	    "a plain bundle; its rule "
	    "does not require sealing");
	return 0;
}

static int
check_header(struct bundle_verifier *v, struct bundle_pass *p,
    unsigned long *line, struct ierr *e)
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
check_trailer(struct bundle_verifier *v, struct bundle_pass *p,
    unsigned long *line, struct ierr *e)
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
check_agreement(struct bundle_verifier *v, struct bundle_pass *p,
    unsigned long *line, struct ierr *e)
{
	const struct agreement *a = v->o.agreement;
	struct bundle_report *r = p->r;

	(void)line, (void)e;
	if (strcmp(header_str(p, "agreement"), a->id) != 0 ||
	    r->agreement_version != a->version) {
		note(r, BUNDLE_AGREEMENT, BUNDLE_FAILED,
		    "the bundle is for "
		    "agreement %s version %" PRId64 ", not %s version %" PRId64,
		    r->agreement, r->agreement_version, a->id, a->version);
		return EXIT_REFUSED;
	}
	note(r, BUNDLE_AGREEMENT, BUNDLE_PASSED, "%s version %" PRId64, a->id,
	    a->version);
	return 0;
}

/* Early: from the header alone.  With --from, from is that party. */
static int
check_sender(struct bundle_verifier *v, struct bundle_pass *p,
    unsigned long *line, struct ierr *e)
{
	const struct agreement *a = v->o.agreement;
	struct bundle_report *r = p->r;

	(void)line, (void)e;
	if ((p->sender = agreement_party(a, header_str(p, "from"))) == NULL) {
		note(r, BUNDLE_SENDER, BUNDLE_FAILED,
		    "%s is not a party of "
		    "agreement %s",
		    r->from, a->id);
		return EXIT_REFUSED;
	}
	if (v->o.from != NULL && strcmp(v->o.from, p->sender->code) != 0) {
		note(r, BUNDLE_SENDER, BUNDLE_FAILED,
		    "the bundle is from %s, "
		    "not from %s (--from)",
		    r->from, v->o.from);
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
check_key(struct bundle_verifier *v, struct bundle_pass *p, unsigned long *line,
    struct ierr *e)
{
	const struct agreement *a = v->o.agreement;
	struct bundle_report *r = p->r;
	const struct ag_party *owner;

	(void)e;
	*line = p->trailer_line;
	owner = key_owner(a, p->sender, r->key_id, &p->pub);
	if (owner != NULL)
		bundle_copy_clean(
		    r->key_party, sizeof r->key_party, owner->code);
	if (owner == NULL) {
		note(r, BUNDLE_KEY, BUNDLE_FAILED,
		    "key %s is not a key of any "
		    "party of agreement %s",
		    r->key_id, a->id);
		return EXIT_REFUSED;
	}
	if (owner != p->sender) {
		note(r, BUNDLE_KEY, BUNDLE_FAILED,
		    "key %s belongs to %s, not "
		    "to the sender %s",
		    r->key_id, owner->code, r->from);
		return EXIT_REFUSED;
	}
	note(r, BUNDLE_KEY, BUNDLE_PASSED, "%s of %s", r->key_id, owner->code);
	return 0;
}

/* The signature over the trailer without sig. */
static int
signature_holds(
    struct bundle_verifier *v, struct bundle_pass *p, const unsigned char *pub)
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
check_signature(struct bundle_verifier *v, struct bundle_pass *p,
    unsigned long *line, struct ierr *e)
{
	struct bundle_report *r = p->r;

	(void)e;
	*line = p->trailer_line;
	if (!signature_holds(v, p, p->pub)) {
		note(r, BUNDLE_SIGNATURE, BUNDLE_FAILED,
		    "the Ed25519 "
		    "signature does not hold for key %s",
		    r->key_id);
		return EXIT_REFUSED;
	}
	note(r, BUNDLE_SIGNATURE, BUNDLE_PASSED, "Ed25519, key %s", r->key_id);
	return 0;
}

static int
check_digest(struct bundle_verifier *v, struct bundle_pass *p,
    unsigned long *line, struct ierr *e)
{
	const char *sha = json_string_value(
	    json_object_get(p->trailer, "sha512"));

	(void)v, (void)e;
	*line = p->trailer_line;
	if (!crypto_memeq(sha, p->r->sha512, BUNDLE_SHA512_HEX)) {
		note(p->r, BUNDLE_DIGEST, BUNDLE_FAILED,
		    "the SHA-512 of lines "
		    "1 to %lu does not match the trailer's",
		    p->trailer_line - 1);
		return EXIT_REFUSED;
	}
	note(p->r, BUNDLE_DIGEST, BUNDLE_PASSED, "SHA-512 of lines 1 to %lu",
	    p->trailer_line - 1);
	return 0;
}

static int
check_count(struct bundle_verifier *v, struct bundle_pass *p,
    unsigned long *line, struct ierr *e)
{
	struct bundle_report *r = p->r;

	(void)v, (void)e;
	*line = p->trailer_line;
	if ((unsigned long long)r->records != r->lines_read) {
		note(r, BUNDLE_COUNT, BUNDLE_FAILED,
		    "the trailer says %lld "
		    "records, the bundle holds %llu",
		    r->records, r->lines_read);
		return EXIT_REFUSED;
	}
	note(r, BUNDLE_COUNT, BUNDLE_PASSED, "%llu records", r->lines_read);
	return 0;
}

/* Early: from the header alone. */
static int
check_recipient(struct bundle_verifier *v, struct bundle_pass *p,
    unsigned long *line, struct ierr *e)
{
	const struct agreement *a = v->o.agreement;
	struct bundle_report *r = p->r;
	const char *to = header_str(p, "to");

	(void)line, (void)e;
	if (agreement_party(a, to) == NULL) {
		note(r, BUNDLE_RECIPIENT, BUNDLE_FAILED,
		    "%s is not a party of "
		    "agreement %s",
		    r->to, a->id);
		return EXIT_REFUSED;
	}
	if (v->o.to != NULL && strcmp(v->o.to, to) != 0 && r->sealed) {
		note(r, BUNDLE_RECIPIENT, BUNDLE_FAILED,
		    "the sealed bundle "
		    "is for %s, but it was opened with a key of %s",
		    r->to, v->o.to);
		return EXIT_REFUSED;
	}
	if (v->o.to != NULL && strcmp(v->o.to, to) != 0) {
		note(r, BUNDLE_RECIPIENT, BUNDLE_FAILED,
		    "the bundle is for "
		    "%s, not for %s",
		    r->to, v->o.to);
		return EXIT_REFUSED;
	}
	if (v->o.to != NULL)
		note(r, BUNDLE_RECIPIENT, BUNDLE_PASSED, "%s", r->to);
	else
		note(r, BUNDLE_RECIPIENT, BUNDLE_NOT_CHECKED,
		    "bundle for %s; "
		    "no --to or INTEL_PARTY to check it against",
		    r->to);
	return 0;
}

/* Early: from the header alone. */
static int
check_window(struct bundle_verifier *v, struct bundle_pass *p,
    unsigned long *line, struct ierr *e)
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
		note(r, BUNDLE_WINDOW, BUNDLE_FAILED,
		    "created %s lies outside "
		    "the agreement's validity, %s to %s",
		    r->created, from_t, until_t);
		return EXIT_REFUSED;
	}
	note(r, BUNDLE_WINDOW, BUNDLE_PASSED, "created %s, within %s to %s",
	    r->created, from_t, until_t);
	return 0;
}

static int
check_records(struct bundle_verifier *v, struct bundle_pass *p,
    unsigned long *line, struct ierr *e)
{
	(void)v, (void)e;
	if (p->rec_line != 0) {
		*line = p->rec_line;
		note(p->r, BUNDLE_RECORDS, BUNDLE_FAILED, "%s", p->rec_why);
		return EXIT_REFUSED;
	}
	note(p->r, BUNDLE_RECORDS, BUNDLE_PASSED,
	    "%llu well formed and "
	    "canonical",
	    p->r->lines_read);
	return 0;
}

static int
check_compliance(struct bundle_verifier *v, struct bundle_pass *p,
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
	note(p->r, BUNDLE_COMPLIANCE, BUNDLE_PASSED,
	    "every record complies "
	    "with the rule at line %lu of %s",
	    policy_rule(p->pol)->line, v->o.agreement->file);
	return 0;
}

/* Under the counter's lock, held until bundle_verifier_commit(). */
static int
check_replay(struct bundle_verifier *v, struct bundle_pass *p,
    unsigned long *line, struct ierr *e)
{
	struct bundle_report *r = p->r;
	int64_t last;
	int rc, fresh;

	(void)line;
	if (v->run == NULL) {
		note(r, BUNDLE_REPLAY, BUNDLE_NOT_CHECKED,
		    "seq %" PRId64 "; no --state folder", r->seq);
		return 0;
	}
	if ((rc = state_run_check(v->run, v->o.agreement->id,
		 header_str(p, "from"), header_str(p, "to"), r->seq, &last,
		 &fresh, e)) != 0) {
		note(r, BUNDLE_REPLAY, BUNDLE_FAILED, "%s", e->msg);
		return rc;
	}
	if (!fresh) {
		note(r, BUNDLE_REPLAY, BUNDLE_FAILED,
		    "seq %" PRId64 " is not "
		    "above %" PRId64 ", the last accepted from %s to %s (a "
		    "replay, or bundles verified out of order)",
		    r->seq, last, r->from, r->to);
		return EXIT_REFUSED;
	}
	if (last == STATE_NONE)
		note(r, BUNDLE_REPLAY, BUNDLE_PASSED,
		    "seq %" PRId64 ", the "
		    "first from %s to %s",
		    r->seq, r->from, r->to);
	else
		note(r, BUNDLE_REPLAY, BUNDLE_PASSED,
		    "seq %" PRId64 " above %" PRId64 ", the last accepted",
		    r->seq, last);
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
	[BUNDLE_AGREEMENT] = { BUNDLE_AGREEMENT, "agreement", check_agreement,
	    1 },
	[BUNDLE_SENDER] = { BUNDLE_SENDER, "sender", check_sender, 1 },
	[BUNDLE_KEY] = { BUNDLE_KEY, "key", check_key, 0 },
	[BUNDLE_SIGNATURE] = { BUNDLE_SIGNATURE, "signature", check_signature,
	    0 },
	[BUNDLE_DIGEST] = { BUNDLE_DIGEST, "digest", check_digest, 0 },
	[BUNDLE_COUNT] = { BUNDLE_COUNT, "count", check_count, 0 },
	[BUNDLE_RECIPIENT] = { BUNDLE_RECIPIENT, "recipient", check_recipient,
	    1 },
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
early_checks(struct bundle_verifier *v, struct bundle_pass *p)
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
decide(struct bundle_verifier *v, struct bundle_pass *p, struct ierr *e)
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
	return err_set(e, EXIT_REFUSED, "%s:%lu: %s: %s", r->name, line,
	    checks[i].name, r->note[i]);
}

int
bundle_verify(struct bundle_verifier *v, const char *path,
    struct bundle_report *r, struct ierr *e)
{
	struct bundle_pass p;
	unsigned char digest[CRYPTO_SHA512_LEN];
	struct lines *raw, *l;
	struct bundle_insrc in;
	struct bundle_opened op;
	enum bundle_kind kind;
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
	bundle_copy_clean(r->name, sizeof r->name, path ? path : "<stdin>");
	if ((rc = lines_open(path, &raw, e)) != 0)
		return rc;
	l = raw;
	name = lines_name(raw);

	/* Sealed or plain: the first line tells. */
	if ((rc = bundle_open_peek(&in, lines_stream(raw), name, e)) != 0)
		goto out;
	kind = bundle_open_kind(in.pre, in.npre);
	if ((rc = spool_reset(v->spool,
		 kind == BUNDLE_PLAIN ? SPOOL_PLAIN : SPOOL_SEALED, e)) != 0)
		goto out;
	switch (kind) {
	case BUNDLE_PLAIN:
		lines_unread(raw, in.pre, in.npre);
		break;
	case BUNDLE_ARMORED:
		r->sealed = 1;
		p.seal.failed = 1;
		snprintf(p.seal.why, sizeof p.seal.why,
		    "the ASCII-armored "
		    "form of age is not supported");
		goto judge;
	case BUNDLE_SEALED:
		r->sealed = 1;
		if (v->o.nids == 0) {
			for (int c = 0; c < BUNDLE_NCHECKS; c++)
				note(r, c, BUNDLE_NOT_REACHED, NULL);
			note(r, BUNDLE_SEAL, BUNDLE_FAILED,
			    "a sealed bundle, "
			    "and no key (-k) to open it");
			r->failed = BUNDLE_SEAL;
			r->failed_line = 1;
			rc = err_set(e, EXIT_USAGE,
			    "%s: a sealed bundle, and "
			    "no key to open it",
			    name);
			goto out;
		}
		if ((rc = bundle_open_seal(v, r, &in, &op, &p.seal, e)) != 0)
			goto out;
		if (p.seal.failed)
			goto judge;
		l = lines_open_source(name, bundle_open_read, &op);
		break;
	}

	if ((got = lines_next(l, &line, &len, e)) < 0) {
		if (op.failed) {
			if ((rc = bundle_open_broken(&p.seal, &op, e)) != 0)
				goto out;
			goto judge;
		}
		rc = e->status;
		goto out;
	}
	if (got == 0) {
		snprintf(
		    p.header_why, sizeof p.header_why, "the file is empty");
		goto judge;
	}
	if (!(p.header_ok = bundle_parse_header(&v->canon, line, len, r,
		  &p.header, p.header_why, sizeof p.header_why)))
		goto judge;
	early_checks(v, &p);
	p.trailer_line = 2;
	snprintf(p.trailer_why, sizeof p.trailer_why,
	    "missing (the bundle "
	    "has one line)");
	if (!lines_newline(l))
		goto judge; /* the only line: no trailer either */
	p.digest = crypto_sha512_init();
	crypto_sha512_update(p.digest, line, len);
	crypto_sha512_update(p.digest, "\n", 1);

	/* Records are checked by -j workers; vcommit() holds each line back
	 * until the next arrives, and the last one is the trailer. */
	if ((rc = par_run(l, v->o.jobs > 0 ? v->o.jobs : 1, &bundle_records_ops,
		 &p, e)) != 0) {
		if (p.err.status != 0)
			*e = p.err;
		else if (op.failed) {
			if ((rc = bundle_open_broken(&p.seal, &op, e)) != 0)
				goto out;
			rc = 0;
			goto judge;
		}
		goto out;
	}
	bundle_records_flush(&p);
	crypto_sha512_final(p.digest, digest);
	p.digest = NULL;
	crypto_hex(digest, sizeof digest, r->sha512);
	if (p.have_held) {
		p.trailer_line = p.held_line;
		p.trailer_ok = bundle_parse_trailer(&v->canon,
		    p.pend.data + p.held_off, p.pend.len - p.held_off,
		    lines_newline(l), r, &p.trailer, p.trailer_why,
		    sizeof p.trailer_why);
	}
judge:
	/* A sealed bundle is judged only once all of it authenticated. */
	if (op.ar != NULL && !p.seal.failed && bundle_open_drain(&op) != 0 &&
	    (rc = bundle_open_broken(&p.seal, &op, e)) != 0)
		goto out;
	if ((rc = decide(v, &p, e)) == 0)
		v->ready = 1;
out:
	if (l != raw)
		lines_close(l);
	lines_close(raw);
	age_reader_free(op.ar);
	crypto_sha512_free(p.digest);
	policy_free(p.pol);
	json_decref(p.header);
	json_decref(p.trailer);
	buf_free(&p.pend);
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
