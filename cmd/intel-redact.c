/*
 * intel-redact: apply one agreement's release rule for one recipient to a
 * stream of records: withhold what the rule does not release, transform
 * the fields of what it does (SPEC 3 and 5).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "agreement.h"
#include "audit.h"
#include "buf.h"
#include "cli.h"
#include "crypto.h"
#include "err.h"
#include "exitcodes.h"
#include "jsonarena.h"
#include "jsonio.h"
#include "lines.h"
#include "output.h"
#include "parallel.h"
#include "policy.h"
#include "record.h"
#include "secmem.h"
#include "timeutil.h"

static const char usage_text[] =
    "usage: intel-redact -a AGREEMENT --from PARTY --to PARTY\n"
    "                    [--withheld FILE] [--explain] [--audit FILE]\n"
    "                    [-j N] [-o FILE] [-q] [-v] [FILE...]\n";

struct run {
	const char *agreement, *from, *to, *withheld_path, *output_path;
	const char *audit_path;
	int explain, quiet, verbose, jobs;
	int64_t now;
	struct agreement *ag;
	struct policy *pol; /* the rule, checked once at setup */
	struct output *out, *withheld;
	struct policy_stats st;
	struct crypto_sha512 *digest; /* --audit: of what was written */
	unsigned long written;
	int aborted; /* -o: nothing was written */
	int status;
};

/* A worker: its own policy (HMAC context) and explain list. */
struct worker {
	struct run *r;
	struct policy *pol;
	json_t *values; /* --explain: this record's values */
};

/* What one line came to; committed in input order. */
struct result {
	struct policy_stats st;
	int skip;    /* a blank line */
	int records; /* lines in out that are records or explain */
};

/* --explain: one value's decision. */
static void
on_value(void *arg, const char *path, const char *rule, const char *action,
    const char *outcome)
{
	struct worker *w = arg;
	json_t *v = json_object();

	json_object_set_new(v, "path", json_string(path ? path : "(id)"));
	json_object_set_new(v, "rule", rule ? json_string(rule) : json_null());
	json_object_set_new(v, "action", json_string(action));
	json_object_set_new(v, "outcome", json_string(outcome));
	json_array_append_new(w->values, v);
}

/* Appends the canonical line of v to b. */
static int
put_line(struct buf *b, const json_t *v, struct ierr *e)
{
	int rc = jsonio_canon(b, v, e);

	if (rc == 0)
		buf_addc(b, '\n');
	return rc;
}

static int
explain_line(struct worker *w, struct par_item *it, const char *id,
    const char *origin, int reason)
{
	json_t *x = json_object();
	int rc;

	json_object_set_new(x, "file", json_string(it->name));
	json_object_set_new(x, "line", json_integer((json_int_t)it->lineno));
	json_object_set_new(x, "id", json_string(id));
	json_object_set_new(x, "origin", json_string(origin));
	json_object_set_new(x, "decision",
	    json_string(reason == POLICY_RELEASED ? "released" : "withheld"));
	if (reason != POLICY_RELEASED)
		json_object_set_new(
		    x, "reason", json_string(policy_reason_name(reason)));
	else
		json_object_set(x, "values", w->values);
	rc = put_line(&it->out, x, &it->err);
	json_decref(x);
	return rc;
}

/* One record: decide, transform, serialise (in a worker thread). */
static int
redact_one(struct worker *w, struct par_item *it, json_t *rec)
{
	struct result *res = it->data;
	char *id = xstrdup(record_str(rec, "id"));
	const char *origin = record_str(rec, "origin");
	int reason = POLICY_RELEASED, rc;

	if (w->r->explain)
		w->values = json_array();
	rc = policy_redact(w->pol, rec, &reason, &res->st,
	    w->r->explain ? on_value : NULL, w, &it->err);
	if (rc == 0 && w->r->explain) {
		rc = explain_line(w, it, id, origin, reason);
		res->records = 1;
	} else if (rc == 0 && reason == POLICY_RELEASED) {
		rc = put_line(&it->out, rec, &it->err);
		res->records = 1;
	}
	if (rc == 0 && reason != POLICY_RELEASED && w->r->withheld != NULL) {
		json_t *x = json_pack("{s:s, s:s, s:s}", "id", id, "origin",
		    origin, "reason", policy_reason_name(reason));

		rc = put_line(&it->side, x, &it->err);
		json_decref(x);
	}
	json_decref(w->values);
	w->values = NULL;
	free(id);
	return rc;
}

static void
work(void *arg, struct par_item *it)
{
	struct worker *w = arg;
	struct result *res = it->data;
	json_t *rec;
	int rc;

	if (it->len == 0) {
		res->skip = 1; /* a blank line holds no record */
		return;
	}
	if ((rc = record_parse(it->line, it->len, &rec, &it->err)) == 0) {
		rc = redact_one(w, it, rec);
		json_decref(rec);
	}
	if (rc != 0) {
		it->status = rc;
		err_prefix(&it->err, "%s:%lu", it->name, it->lineno);
	}
}

static void *
worker_new(void *arg, struct ierr *e)
{
	struct run *r = arg;
	struct worker *w = xcalloc(1, sizeof *w);

	w->r = r;
	if (policy_new(r->ag, r->from, r->to, r->now, POLICY_KEY, &w->pol, e) !=
	    0) {
		free(w);
		return NULL;
	}
	return w;
}

static void
worker_free(void *arg)
{
	struct worker *w = arg;

	policy_free(w->pol);
	free(w);
}

/* In input order: everything the user sees. */
static int
commit(void *arg, struct par_item *it)
{
	struct run *r = arg;
	struct result *res = it->data;
	struct ierr e = IERR_INIT;

	if (res->skip)
		return 0;
	if (it->status != 0) {
		diag_err(&it->err);
		return cli_status(&r->status, it->status);
	}
	policy_stats_add(&r->st, &res->st);
	if (it->out.len > 0) {
		if (output_write(r->out, it->out.data, it->out.len, &e) != 0)
			goto fail;
		if (r->digest != NULL)
			crypto_sha512_update(
			    r->digest, it->out.data, it->out.len);
		r->written += (unsigned long)res->records;
	}
	if (it->side.len > 0 &&
	    output_write(r->withheld, it->side.data, it->side.len, &e) != 0)
		goto fail;
	return 0;
fail:
	diag_err(&e);
	return cli_status(&r->status, e.status);
}

static const struct par_ops redact_ops = {
	.data_size = sizeof(struct result),
	.worker_new = worker_new,
	.worker_free = worker_free,
	.work = work,
	.commit = commit,
};

static int
redact_file(struct run *r, const char *path)
{
	struct ierr e = IERR_INIT;
	struct lines *l;
	int rc;

	if ((rc = lines_open(path, &l, &e)) != 0) {
		diag_err(&e);
		cli_status(&r->status, rc);
		return 0; /* a file that cannot be opened: go on */
	}
	rc = par_run(l, r->jobs, &redact_ops, r, &e);
	if (rc != 0 && r->status == 0) {
		diag_err(&e); /* a read error */
		cli_status(&r->status, rc);
	}
	lines_close(l);
	return rc; /* 65, 74: stop */
}

static void
summary(const struct run *r)
{
	const struct policy_stats *s = &r->st;
	unsigned long withheld = 0;
	struct buf b = BUF_INIT, v = BUF_INIT;

	for (int i = 0; i < POLICY_NREASONS; i++) {
		withheld += s->withheld[i];
		buf_printf(&b, "%s%s %lu", i ? ", " : "", policy_reason_name(i),
		    s->withheld[i]);
	}
	/* Each action's word once, in the order of the table. */
	for (int i = 0; i < AG_NACTIONS; i++) {
		if (!action_word_first((enum ag_action)i))
			continue;
		buf_printf(&v, "%s%s %lu", v.len ? ", " : "",
		    action_defs[i].word,
		    policy_stats_word(s, (enum ag_action)i));
		if (i == AG_DROP)
			buf_printf(&v, " (unfit %lu)", s->unfit);
	}
	diag_warn("read %lu, released %lu, withheld %lu (%s); values: %s",
	    s->read, s->released, withheld, b.data, v.data);
	buf_free(&b);
	buf_free(&v);
}

/* SPEC 9: one line per run; counts, digests and codes, never values. */
static void
audit(struct run *r)
{
	struct audit_entry a = AUDIT_ENTRY_INIT;
	struct ierr e = IERR_INIT;
	unsigned char d[CRYPTO_SHA512_LEN];
	char hex[2 * CRYPTO_SHA512_LEN + 1];
	json_t *w = NULL;

	crypto_sha512_final(r->digest, d);
	r->digest = NULL;
	crypto_hex(d, sizeof d, hex);
	a.tool = "intel-redact";
	a.agreement = r->ag->id;
	a.at = r->now;
	a.from = r->from;
	a.to = r->to;
	a.records = (long long)r->st.read;
	if (!r->explain) {
		a.released = (long long)r->written;
		a.sha512 = r->aborted ? NULL : hex;
		w = json_object();
		for (int i = 0; i < POLICY_NREASONS; i++)
			json_object_set_new(w, policy_reason_name(i),
			    json_integer((json_int_t)r->st.withheld[i]));
		a.withheld = w;
	}
	if (audit_append(r->audit_path, &a, &e) != 0) {
		diag_err(&e);
		cli_status(&r->status, e.status);
	}
	json_decref(w);
}

static int
finish(struct run *r)
{
	struct ierr e = IERR_INIT;

	/* With -o, a failed run writes nothing (fail closed). */
	if (r->status != 0 && r->output_path != NULL) {
		r->written = 0;
		r->aborted = 1;
		output_abort(r->out);
		output_abort(r->withheld);
	} else {
		if (output_close(r->out, &e) != 0) {
			diag_err(&e);
			cli_status(&r->status, e.status);
		}
		if (r->withheld != NULL && output_close(r->withheld, &e)) {
			diag_err(&e);
			cli_status(&r->status, e.status);
		}
	}
	if (r->audit_path != NULL)
		audit(r);
	if (!r->quiet)
		summary(r);
	return r->status;
}

/* Everything before the first record: agreement, rule, key, outputs. */
static int
setup(struct run *r)
{
	struct ierr e = IERR_INIT;
	int rc;

	r->agreement = cli_setting(r->agreement, "INTEL_AGREEMENT");
	r->from = cli_setting(r->from, "INTEL_PARTY");
	if (r->agreement == NULL || r->from == NULL || r->to == NULL) {
		diag_warn("-a AGREEMENT, --from PARTY and --to PARTY are "
			  "needed (or INTEL_AGREEMENT, INTEL_PARTY)");
		return cli_usage(usage_text, 0);
	}
	if ((rc = timeutil_now(&r->now, &e)) != 0)
		goto fail;
	if ((rc = cli_load_agreement(r->agreement, r->now, &r->ag)) != 0)
		return rc;
	if ((rc = policy_new(
		 r->ag, r->from, r->to, r->now, POLICY_KEY, &r->pol, &e)) != 0)
		goto fail;
	if (r->verbose)
		diag_warn("agreement %s version %lld: rule at line %lu for "
			  "%s -> %s",
		    r->ag->id, (long long)r->ag->version,
		    policy_rule(r->pol)->line, r->from, r->to);
	if (r->withheld_path != NULL &&
	    (rc = output_open(r->withheld_path, &r->withheld, &e)) != 0)
		goto fail;
	if ((rc = output_open(r->output_path, &r->out, &e)) != 0) {
		output_abort(r->withheld);
		r->withheld = NULL;
		goto fail;
	}
	if (r->audit_path != NULL)
		r->digest = crypto_sha512_init();
	return 0;
fail:
	diag_err(&e);
	return rc;
}

enum { OPT_FROM = 256, OPT_TO, OPT_WITHHELD, OPT_EXPLAIN, OPT_AUDIT };

static const struct option longopts[] = { { "agreement", required_argument,
					      NULL, 'a' },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "to", required_argument, NULL, OPT_TO },
	{ "withheld", required_argument, NULL, OPT_WITHHELD },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "audit", required_argument, NULL, OPT_AUDIT }, CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 } };

/* Returns -1 to go on, else the status to exit with. */
static int
parse_args(struct run *r, int argc, char **argv)
{
	const struct cli_common co = { &r->jobs, &r->output_path, &r->quiet,
		&r->verbose, usage_text };
	int c, rc;

	while ((c = getopt_long(argc, argv, "a:j:o:qvh", longopts, NULL)) != -1)
		switch (c) {
		case 'a':
			r->agreement = optarg;
			break;
		case OPT_FROM:
			r->from = optarg;
			break;
		case OPT_TO:
			r->to = optarg;
			break;
		case OPT_WITHHELD:
			r->withheld_path = optarg;
			break;
		case OPT_EXPLAIN:
			r->explain = 1;
			break;
		case OPT_AUDIT:
			r->audit_path = optarg;
			break;
		default:
			if ((rc = cli_common_option(c, optarg, &co)) >= 0)
				return rc;
		}
	return -1;
}

int
main(int argc, char **argv)
{
	struct run r = { .jobs = 1 };
	int rc;

	if ((rc = cli_init(argv[0])) >= 0 ||
	    (rc = parse_args(&r, argc, argv)) >= 0)
		return cli_finish(rc);
	if ((rc = setup(&r)) == 0) {
		if (optind == argc)
			rc = redact_file(&r, NULL);
		for (int i = optind; i < argc && rc == 0; i++)
			rc = redact_file(&r, argv[i]);
		rc = finish(&r);
	}
	crypto_sha512_free(r.digest);
	jsonarena_thread_end();
	policy_free(r.pol);
	agreement_free(r.ag);
	return cli_finish(rc);
}
