/*
 * intel-verify: check received bundles (signature, key, agreement, policy,
 * replay) and emit a bundle's records only if all of it holds (SPEC 7).
 * Sealed bundles (SPEC 6a) are opened with the X25519 secrets of the keys
 * given by -k, whose party is then the recipient of every bundle.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agreement.h"
#include "audit.h"
#include "buf.h"
#include "bundle.h"
#include "cli.h"
#include "err.h"
#include "exitcodes.h"
#include "jsonarena.h"
#include "keys.h"
#include "output.h"
#include "secmem.h"
#include "timeutil.h"

static const char usage_text[] =
    "usage: intel-verify -a AGREEMENT [--to PARTY] [--from PARTY]\n"
    "                    [-k KEY]... [--passphrase-file FILE | --ask-passphrase]\n"
    "                    [--state DIR] [--report] [--audit FILE] [-j N]\n"
    "                    [-o FILE] [-q] [-v] [FILE...]\n"
    "       intel-verify --check-audit FILE\n";

struct run {
	const char *agreement, *state, *output, *audit, *check_audit;
	int report, quiet, verbose;
	/* -k KEY (repeated for a rotation), the passphrase options. */
	const char **keyfiles;
	size_t nkeys;
	const char *passfile;
	int ask;
	struct keys_secret **keys;
	const unsigned char **ids;
	int out_failed;	   /* writing records failed: stop, keep none */
	int stdout_closed; /* by finish(): cli_finish() must not */
	struct bundle_verify_opts o;
	struct agreement *ag;
	struct bundle_verifier *v;
	struct output *out;
	unsigned long accepted, refused, records;
	int status;
};

static void
audit(struct run *r, const struct bundle_report *b, int written)
{
	struct audit_entry a = AUDIT_ENTRY_INIT;
	struct ierr e = IERR_INIT;
	json_t *w;

	a.tool = "intel-verify";
	a.agreement = b->have_header ? b->agreement : NULL;
	a.at = r->o.now;
	a.bundle = b->have_header ? b->id : NULL;
	a.from = b->have_header ? b->from : NULL;
	a.to = b->have_header ? b->to : NULL;
	a.records = (long long)b->lines_read;
	a.released = written ? (long long)b->lines_read : 0;
	a.sha512 = b->sha512[0] != '\0' ? b->sha512 : NULL;
	/* What was not released, and why: the check that failed. */
	w = b->accepted
	    ? NULL
	    : json_pack("{s:s}", "refused", bundle_check_name(b->failed));
	a.withheld = w;
	if (audit_append(r->audit, &a, &e) != 0) {
		diag_err(&e);
		cli_status(&r->status, e.status);
	}
	json_decref(w);
}

static void
report(struct run *r, const struct bundle_report *b)
{
	struct buf t = BUF_INIT;

	bundle_report_format(b, &t);
	diag_escape_lines(&t); /* SPEC 9: text from the bundle */
	if (r->report) {
		struct ierr e = IERR_INIT;

		buf_addc(&t, '\n');
		if (output_write(r->out, t.data, t.len, &e) != 0) {
			diag_err(&e);
			cli_status(&r->status, e.status);
		}
	} else
		fputs(t.data, stderr);
	buf_free(&t);
}

/* One bundle; returns nonzero when the run must stop (output failed). */
static int
verify_one(struct run *r, const char *path)
{
	struct ierr e = IERR_INIT;
	struct bundle_report b;
	int rc, written = 0;

	if ((rc = bundle_verify(r->v, path, &b, &e)) == EXIT_NOINPUT) {
		diag_err(&e); /* not a bundle at all: go on */
		cli_status(&r->status, rc);
		return 0;
	}
	if (rc != 0) {
		if (rc == EXIT_USAGE) /* sealed, and no key */
			diag_warn("%s (-k KEY, or INTEL_KEY)", e.msg);
		else
			diag_err(&e);
		cli_status(&r->status, rc);
		r->refused++;
	} else {
		r->accepted++;
		if (r->report)
			r->records += b.lines_read;
		else {
			if ((rc = bundle_verify_emit(
				 r->v, output_file(r->out), &e)) != 0) {
				err_prefix(&e, "%s",
				    r->output ? r->output : "<stdout>");
				diag_err(&e);
				cli_status(&r->status, rc);
				r->out_failed = 1;
			} else {
				written = 1;
				r->records += b.lines_read;
			}
		}
	}
	if (r->report || r->verbose)
		report(r, &b);
	if (r->audit != NULL)
		audit(r, &b, written);
	return r->out_failed;
}

static int
check_audit(struct run *r)
{
	struct ierr e = IERR_INIT;
	unsigned long bad = 0;
	int rc;

	if ((rc = audit_check(r->check_audit, &bad, &e)) != 0)
		diag_err(&e);
	else if (!r->quiet)
		diag_warn("%s: the chain holds", r->check_audit);
	return rc;
}

/*
 * Loads the keys of -k (or INTEL_KEY), with the passphrase options, for
 * their X25519 secrets: all of one party of the agreement, which is then
 * the recipient of every bundle.  0 or the status.
 */
static int
load_keys(struct run *r)
{
	struct ierr e = IERR_INIT;
	const char *party = NULL;
	char *pass = NULL;
	int rc;

	if (r->nkeys == 0 && (r->passfile != NULL || r->ask)) {
		diag_warn("--passphrase-file and --ask-passphrase are for a "
			  "key (-k KEY or INTEL_KEY)");
		return cli_usage(usage_text, 0);
	}
	if (r->nkeys == 0)
		return 0;
	if ((rc = cli_passphrase(r->passfile, r->ask, 0, &pass)) != 0)
		return rc;
	r->keys = xcalloc(r->nkeys, sizeof *r->keys);
	r->ids = xcalloc(r->nkeys, sizeof *r->ids);
	for (size_t i = 0; i < r->nkeys && rc == 0; i++) {
		const char *f = r->keyfiles[i], *kp;

		if ((rc = keys_load_secret(f, pass, &r->keys[i], &e)) != 0) {
			diag_err(&e);
			break;
		}
		kp = keys_party(r->keys[i]);
		if ((r->ids[i] = keys_x25519_secret(r->keys[i])) == NULL) {
			diag_warn(
			    "%s: the key has no X25519 secret (made before "
			    "sealing existed; intel-sign --upgrade-key adds "
			    "one)",
			    f);
			rc = EXIT_CONFIG;
		} else if (agreement_party(r->ag, kp) == NULL) {
			diag_warn("%s: a key of %s, not a party of agreement "
				  "%s",
			    f, kp, r->ag->id);
			rc = EXIT_CONFIG;
		} else if (party != NULL && strcmp(party, kp) != 0) {
			diag_warn("%s: a key of %s; the keys given (-k) must "
				  "be of one party, and %s is %s's",
			    f, kp, r->keyfiles[0], party);
			rc = cli_usage(usage_text, 0);
		}
		party = kp;
	}
	keys_free_passphrase(pass);
	if (rc != 0)
		return rc;
	if (r->o.to != NULL && strcmp(r->o.to, party) != 0) {
		diag_warn("--to %s: the key (-k %s) is %s's, and a sealed "
			  "bundle is opened for its recipient",
		    r->o.to, r->keyfiles[0], party);
		return cli_usage(usage_text, 0);
	}
	r->o.to = party;
	r->o.ids = r->ids;
	r->o.id_names = r->keyfiles;
	r->o.nids = r->nkeys;
	return 0;
}

static int
setup(struct run *r)
{
	struct ierr e = IERR_INIT;
	const char *key;
	int rc;

	r->agreement = cli_setting(r->agreement, "INTEL_AGREEMENT");
	r->o.to = cli_setting(r->o.to, "INTEL_PARTY");
	if (r->nkeys == 0 && (key = cli_setting(NULL, "INTEL_KEY")) != NULL) {
		r->keyfiles = xcalloc(1, sizeof *r->keyfiles);
		r->keyfiles[r->nkeys++] = key;
	}
	if (r->agreement == NULL) {
		diag_warn("-a AGREEMENT is needed (or INTEL_AGREEMENT)");
		return cli_usage(usage_text, 0);
	}
	if ((rc = cli_load_agreement(r->agreement, r->o.now, &r->ag)) != 0)
		return rc;
	if ((rc = load_keys(r)) != 0)
		return rc;
	if (r->o.to == NULL)
		diag_warn("warning: no --to or INTEL_PARTY: the recipient of "
			  "the bundles is not checked");
	else if (agreement_party(r->ag, r->o.to) == NULL) {
		diag_warn(
		    "--to %s: not a party of agreement %s", r->o.to, r->ag->id);
		return EXIT_CONFIG;
	}
	if (r->o.from != NULL && agreement_party(r->ag, r->o.from) == NULL) {
		diag_warn("--from %s: not a party of agreement %s", r->o.from,
		    r->ag->id);
		return EXIT_CONFIG;
	}
	r->o.agreement = r->ag;
	r->o.state_dir = r->state;
	r->o.record_seq = !r->report;
	if ((rc = bundle_verifier_new(&r->o, &r->v, &e)) != 0 ||
	    (rc = output_open(r->output, &r->out, &e)) != 0) {
		diag_err(&e);
		return rc;
	}
	return 0;
}

/*
 * Closes standard output, as cli_finish() would: 0, or EXIT_IOERR with
 * the message.  Records on standard output are only safe once it is
 * closed without error.
 */
static int
close_stdout(struct run *r)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);

	if (fclose(stdout) != 0)
		failed = 1;
	r->stdout_closed = 1;
	if (failed) {
		diag_warn("standard output: write error: %s",
		    strerror(errno ? errno : EIO));
		return EXIT_IOERR;
	}
	return 0;
}

static int
finish(struct run *r)
{
	struct ierr e = IERR_INIT;
	int committed = 0, rc;

	/* -o FILE holds the records of the bundles that verified; it is
	 * not written at all after a write error, or when bundles failed
	 * and none verified (with --report it holds the reports). */
	if (r->out_failed || (r->status != 0 && r->accepted == 0 && !r->report))
		output_abort(r->out);
	else if (output_close(r->out, &e) != 0) {
		diag_err(&e);
		cli_status(&r->status, e.status);
	} else
		committed = 1;
	if (committed && r->output == NULL && (rc = close_stdout(r)) != 0) {
		cli_status(&r->status, rc);
		committed = 0;
	}
	/* Only now are the seqs of the accepted bundles recorded: a run
	 * that failed to write leaves the counters for the next one. */
	if (committed && bundle_verifier_commit(r->v, &e) != 0) {
		diag_err(&e);
		cli_status(&r->status, e.status);
	}
	if (!r->quiet)
		diag_warn("%lu bundles accepted, %lu refused; %lu records %s",
		    r->accepted, r->refused, r->records,
		    r->report ? "checked" : "written");
	return r->status;
}

enum {
	OPT_TO = 256,
	OPT_FROM,
	OPT_STATE,
	OPT_REPORT,
	OPT_AUDIT,
	OPT_CHECK_AUDIT,
	OPT_PASSFILE,
	OPT_ASK
};

static const struct option longopts[] = { { "agreement", required_argument,
					      NULL, 'a' },
	{ "to", required_argument, NULL, OPT_TO },
	{ "from", required_argument, NULL, OPT_FROM },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "report", no_argument, NULL, OPT_REPORT },
	{ "audit", required_argument, NULL, OPT_AUDIT },
	{ "check-audit", required_argument, NULL, OPT_CHECK_AUDIT },
	{ "key", required_argument, NULL, 'k' },
	{ "passphrase-file", required_argument, NULL, OPT_PASSFILE },
	{ "ask-passphrase", no_argument, NULL, OPT_ASK }, CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 } };

/* Returns -1 to go on, else the status to exit with. */
static int
parse_args(struct run *r, int argc, char **argv)
{
	const struct cli_common co = { &r->o.jobs, &r->output, &r->quiet,
		&r->verbose, usage_text };
	int c, rc;

	while (
	    (c = getopt_long(argc, argv, "a:j:k:o:qvh", longopts, NULL)) != -1)
		switch (c) {
		case 'a':
			r->agreement = optarg;
			break;
		case OPT_TO:
			r->o.to = optarg;
			break;
		case OPT_FROM:
			r->o.from = optarg;
			break;
		case OPT_STATE:
			r->state = optarg;
			break;
		case OPT_REPORT:
			r->report = 1;
			break;
		case OPT_AUDIT:
			r->audit = optarg;
			break;
		case OPT_CHECK_AUDIT:
			r->check_audit = optarg;
			break;
		case 'k':
			r->keyfiles = xrealloc(
			    r->keyfiles, (r->nkeys + 1) * sizeof *r->keyfiles);
			r->keyfiles[r->nkeys++] = optarg;
			break;
		case OPT_PASSFILE:
			r->passfile = optarg;
			break;
		case OPT_ASK:
			r->ask = 1;
			break;
		default:
			if ((rc = cli_common_option(c, optarg, &co)) >= 0)
				return rc;
		}
	if (r->check_audit != NULL && optind != argc) {
		diag_warn("--check-audit takes no bundles");
		return cli_usage(usage_text, 0);
	}
	return cli_passphrase_options(r->passfile, r->ask, usage_text);
}

int
main(int argc, char **argv)
{
	struct run r = { .o.jobs = 1 };
	struct ierr e = IERR_INIT;
	int rc;

	if ((rc = cli_init(argv[0])) >= 0 ||
	    (rc = parse_args(&r, argc, argv)) >= 0)
		goto early;
	if (r.check_audit != NULL) {
		rc = check_audit(&r);
		goto early;
	}
	/* No FILE: the bundle is standard input, which is an input too. */
	if (output_distinct((const char *[]){ r.output, r.audit }, NULL,
		r.audit ? 2 : 1,
		optind == argc ? (const char *[]){ NULL }
			       : (const char *const *)argv + optind,
		optind == argc ? 1 : (size_t)(argc - optind), &e) != 0) {
		diag_err(&e);
		rc = EXIT_USAGE;
		goto early;
	}
	if ((rc = timeutil_now(&r.o.now, &e)) != 0) {
		diag_err(&e);
		goto early;
	}
	if ((rc = setup(&r)) == 0) {
		if (optind == argc)
			verify_one(&r, NULL);
		for (int i = optind; i < argc; i++)
			if (verify_one(&r, argv[i]) != 0)
				break;
		rc = finish(&r);
	} else
		output_abort(r.out);
	bundle_verifier_free(r.v);
	agreement_free(r.ag);
	for (size_t i = 0; r.keys != NULL && i < r.nkeys; i++)
		keys_free_secret(r.keys[i]);
	free(r.keys);
	free(r.ids);
	free(r.keyfiles);
	jsonarena_thread_end();
	return r.stdout_closed ? rc : cli_finish(rc);
early:
	free(r.keyfiles);
	return cli_finish(rc);
}
