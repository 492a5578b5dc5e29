/*
 * intel-sign: generate keys; refuse any record the agreement does not
 * allow to the recipient; wrap the records into a signed bundle (SPEC 6),
 * sealed to the recipient's age recipients when asked or required
 * (SPEC 6a).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "age.h"
#include "agreement.h"
#include "audit.h"
#include "bundle.h"
#include "cli.h"
#include "err.h"
#include "exitcodes.h"
#include "keys.h"
#include "jsonarena.h"
#include "lines.h"
#include "output.h"
#include "parallel.h"
#include "sealstream.h"
#include "secmem.h"
#include "state.h"
#include "timeutil.h"

static const char usage_text[] =
    "usage: intel-sign -a AGREEMENT -k KEY --to PARTY [--seq N] [--state DIR]\n"
    "                  [--passphrase-file FILE | --ask-passphrase]\n"
    "                  [--seal] [--seal-also RECIPIENT]...\n"
    "                  [--audit FILE] [-j N] [-o FILE] [-q] [-v] [FILE...]\n"
    "       intel-sign --keygen --party PARTY -o NAME\n"
    "                  [--passphrase-file FILE | --ask-passphrase]\n"
    "       intel-sign --upgrade-key -k KEY -o NAME\n"
    "                  [--passphrase-file FILE | --ask-passphrase]\n"
    "       intel-sign --export-age-identity -k KEY -o FILE\n"
    "                  [--passphrase-file FILE | --ask-passphrase]\n";

struct run {
	const char *agreement, *key, *to, *party, *state, *output, *audit;
	const char *passfile, *seqarg;
	int keygen, upgrade, export, ask, quiet, verbose, jobs, seal;
	const char **also; /* --seal-also, nalso of them */
	size_t nalso;
	unsigned char (*rcpts)[32]; /* sealed to these when nrcpts > 0 */
	size_t nrcpts;
	int64_t now;
	struct agreement *ag;
	struct keys_secret *k;
	struct bundle_sign *s;
	struct bundle_info info;
	unsigned long long read;
	int status;
};

/* The passphrase from --passphrase-file or the terminal, or NULL. */
static int
passphrase(struct run *r, int confirm, char **pass)
{
	return cli_passphrase(r->passfile, r->ask, confirm, pass);
}

static int
keygen(struct run *r)
{
	struct ierr e = IERR_INIT;
	char *pass;
	int rc;

	if (r->party == NULL || r->output == NULL || r->agreement != NULL ||
	    r->key != NULL || r->to != NULL || r->seqarg != NULL ||
	    r->state != NULL || r->audit != NULL || r->seal) {
		diag_warn("--keygen takes --party PARTY and -o NAME only");
		return cli_usage(usage_text, 0);
	}
	if ((rc = passphrase(r, 1, &pass)) != 0)
		return rc;
	if ((rc = keys_generate(r->party, pass, r->output, &e)) != 0)
		diag_err(&e);
	else if (!r->quiet)
		diag_warn("wrote %s.pub, %s.key%s and %s.recipient", r->output,
		    r->output,
		    pass != NULL ? " (sealed with the passphrase)" : "",
		    r->output);
	keys_free_passphrase(pass);
	return rc;
}

/* --upgrade-key and --export-age-identity: a key in, files out. */
static int
keyfiles(struct run *r)
{
	struct ierr e = IERR_INIT;
	const char *what = r->upgrade ? "--upgrade-key"
				      : "--export-age-identity";
	char *pass = NULL;
	int rc;

	r->key = cli_setting(r->key, "INTEL_KEY");
	if (r->key == NULL || r->output == NULL || r->party != NULL ||
	    r->agreement != NULL || r->to != NULL || r->seqarg != NULL ||
	    r->state != NULL || r->audit != NULL || r->seal) {
		diag_warn("%s takes -k KEY and -o %s only", what,
		    r->upgrade ? "NAME" : "FILE");
		return cli_usage(usage_text, 0);
	}
	if ((rc = passphrase(r, 0, &pass)) != 0)
		return rc;
	rc = keys_load_secret(r->key, pass, &r->k, &e);
	if (rc == 0 && r->upgrade)
		rc = keys_upgrade(r->k, pass, r->output, &e);
	else if (rc == 0)
		rc = keys_export_identity(r->k, r->output, &e);
	keys_free_passphrase(pass);
	if (rc != 0)
		diag_err(&e);
	else if (!r->quiet && r->upgrade)
		diag_warn("wrote %s.key and %s.recipient: the signing key of "
			  "%s with a new X25519 pair",
		    r->output, r->output, keys_party(r->k));
	else if (!r->quiet)
		diag_warn("wrote %s: the age identity of %s", r->output,
		    keys_party(r->k));
	return rc;
}

/* Adds a recipient unless it is there already. */
static int
add_recipient(struct run *r, const unsigned char pub[32])
{
	size_t i;

	for (i = 0; i < r->nrcpts; i++)
		if (memcmp(r->rcpts[i], pub, 32) == 0)
			return 0;
	if (r->nrcpts == AGE_STANZAS_MAX) {
		diag_warn("a bundle is sealed to at most %d recipients",
		    AGE_STANZAS_MAX);
		return EXIT_USAGE;
	}
	r->rcpts = xrealloc(r->rcpts, (r->nrcpts + 1) * sizeof *r->rcpts);
	memcpy(r->rcpts[r->nrcpts++], pub, 32);
	return 0;
}

/* --seal-also: an age1 string, else an age recipients file. */
static int
seal_also(struct run *r, const char *arg)
{
	struct ierr e = IERR_INIT;
	unsigned char pub[32], (*v)[32] = NULL;
	size_t i, n = 0;
	int rc;

	if (strncmp(arg, "age1", 4) == 0 || strncmp(arg, "AGE1", 4) == 0) {
		if (age_recipient_parse(arg, strlen(arg), pub, &e) != 0) {
			diag_warn("--seal-also %s: %s", arg, e.msg);
			return EXIT_USAGE;
		}
		return add_recipient(r, pub);
	}
	if ((rc = keys_load_recipients(arg, &v, &n, &e)) != 0) {
		diag_err(&e);
		return rc;
	}
	for (i = 0, rc = 0; i < n && rc == 0; i++)
		rc = add_recipient(r, v[i]);
	free(v);
	return rc;
}

/*
 * Whether and to whom the bundle is sealed: --seal, --seal-also or the
 * rule's seal: required; then to every recipient the agreement lists for
 * the recipient party, and to each --seal-also.
 */
static int
seal_setup(struct run *r)
{
	const struct ag_rule *rule = agreement_rule(
	    r->ag, keys_party(r->k), r->to);
	const struct ag_party *p = agreement_party(r->ag, r->to);
	size_t i;
	int rc;

	if (rule != NULL && rule->seal == AG_SEAL_REQUIRED)
		r->seal = 1;
	if (!r->seal)
		return 0;
	if (p == NULL || p->nrecipients == 0) {
		diag_warn("%s: %s lists no recipients in agreement %s: a "
			  "bundle for it cannot be sealed",
		    r->agreement, r->to, r->ag->id);
		return EXIT_CONFIG;
	}
	if (r->output == NULL && isatty(STDOUT_FILENO)) {
		diag_warn("a sealed bundle is binary: not written to a "
			  "terminal (use -o FILE or a redirection)");
		return EXIT_USAGE;
	}
	for (i = 0; i < p->nrecipients; i++)
		if ((rc = add_recipient(r, p->recipients[i])) != 0)
			return rc;
	for (i = 0; i < r->nalso; i++)
		if ((rc = seal_also(r, r->also[i])) != 0)
			return rc;
	return 0;
}

/* Agreement, key, rule: everything before the first record. */
static int
setup(struct run *r)
{
	struct ierr e = IERR_INIT;
	char *pass = NULL;
	int rc;

	r->agreement = cli_setting(r->agreement, "INTEL_AGREEMENT");
	r->key = cli_setting(r->key, "INTEL_KEY");
	if (r->agreement == NULL || r->key == NULL || r->to == NULL) {
		diag_warn("-a AGREEMENT, -k KEY and --to PARTY are needed "
			  "(or INTEL_AGREEMENT, INTEL_KEY)");
		return cli_usage(usage_text, 0);
	}
	if ((rc = cli_load_agreement(r->agreement, r->now, &r->ag)) != 0)
		return rc;
	if ((rc = passphrase(r, 0, &pass)) != 0)
		return rc;
	rc = keys_load_secret(r->key, pass, &r->k, &e);
	keys_free_passphrase(pass);
	if (rc == 0)
		rc = bundle_sign_new(r->ag, r->k, r->to, r->now, &r->s, &e);
	if (rc != 0) {
		diag_err(&e);
		return rc;
	}
	if ((rc = seal_setup(r)) != 0)
		return rc;
	if (r->nrcpts > 0 && (rc = bundle_sign_seal(r->s, &e)) != 0) {
		diag_err(&e);
		return rc;
	}
	if (r->verbose)
		diag_warn("agreement %s version %lld: key %s of %s, to %s%s",
		    r->ag->id, (long long)r->ag->version, keys_key_id(r->k),
		    keys_party(r->k), r->to, r->nrcpts > 0 ? ", sealed" : "");
	return 0;
}

/* -j N (parallel.h): records are checked by workers, spooled in order. */
static void *
worker_new(void *arg, struct ierr *e)
{
	struct run *r = arg;
	struct bundle_screen *sc;

	return bundle_screen_new(r->s, &sc, e) == 0 ? sc : NULL;
}

static void
worker_free(void *w)
{
	bundle_screen_free(w);
}

static void
work(void *w, struct par_item *it)
{
	if (it->len == 0) {
		*(int *)it->data = 1; /* a blank line holds no record */
		return;
	}
	it->status = bundle_screen_record(
	    w, it->line, it->len, &it->out, &it->err);
}

static int
commit(void *arg, struct par_item *it)
{
	struct run *r = arg;
	struct ierr e = IERR_INIT;
	int rc;

	if (*(int *)it->data)
		return 0;
	r->read++;
	if (it->status != 0) {
		err_prefix(&it->err, "%s:%lu", it->name, it->lineno);
		diag_err(&it->err);
		return it->status;
	}
	if ((rc = bundle_sign_put(r->s, it->out.data, it->out.len, &e)) != 0)
		diag_err(&e);
	return rc;
}

static const struct par_ops sign_ops = {
	.data_size = sizeof(int),
	.worker_new = worker_new,
	.worker_free = worker_free,
	.work = work,
	.commit = commit,
};

/* Checks and spools one input file; any failure refuses the whole run. */
static int
sign_file(struct run *r, const char *path)
{
	struct ierr e = IERR_INIT;
	struct lines *l;
	int rc;

	if ((rc = lines_open(path, &l, &e)) == 0) {
		rc = par_run(l, r->jobs, &sign_ops, r, &e);
		lines_close(l);
	}
	if (rc != 0 && e.status != 0)
		diag_err(&e); /* not reported by commit() */
	return rc;
}

/* --seq N, else the --state counter, else the time in milliseconds. */
static int
next_seq(struct run *r, int64_t *seq)
{
	struct ierr e = IERR_INIT;
	long long n = -1;
	struct timeval tv;
	int rc;

	if (r->seqarg != NULL)
		cli_number(r->seqarg, 0, INT64_MAX, &n);
	if (r->state != NULL) {
		if ((rc = state_next_seq(r->state, r->ag->id, keys_party(r->k),
			 r->to, n, seq, &e)) != 0)
			diag_err(&e);
		return rc;
	}
	if (n >= 0)
		*seq = n;
	else {
		gettimeofday(&tv, NULL);
		*seq = (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	}
	return 0;
}

/* The bundle through an age writer: sealed as it is produced. */
static int
write_sealed(struct run *r, int64_t seq, FILE *out, struct ierr *e)
{
	struct sealstream *ss;
	int rc;

	if ((rc = sealstream_open(out, (const unsigned char(*)[32])r->rcpts,
		 r->nrcpts, &ss, e)) != 0)
		return rc;
	rc = bundle_sign_write(r->s, seq, sealstream_file(ss), &r->info, e);
	if (rc == EXIT_IOERR && ferror(sealstream_file(ss)))
		sealstream_error(ss, e); /* the sealing side's reason */
	if (rc == 0)
		rc = sealstream_finish(ss, e);
	sealstream_free(ss);
	return rc;
}

static int
write_bundle(struct run *r)
{
	struct ierr e = IERR_INIT;
	struct output *o;
	int64_t seq;
	int rc;

	if ((rc = output_open(r->output, &o, &e)) != 0) {
		diag_err(&e);
		return rc;
	}
	if ((rc = next_seq(r, &seq)) != 0) {
		output_abort(o);
		return rc;
	}
	if (r->nrcpts > 0)
		rc = write_sealed(r, seq, output_file(o), &e);
	else
		rc = bundle_sign_write(r->s, seq, output_file(o), &r->info, &e);
	if (rc != 0) {
		err_prefix(&e, "%s", r->output ? r->output : "<stdout>");
		diag_err(&e);
		output_abort(o);
		return rc;
	}
	if ((rc = output_close(o, &e)) != 0)
		diag_err(&e);
	return rc;
}

static void
audit(struct run *r)
{
	struct audit_entry a = AUDIT_ENTRY_INIT;
	struct ierr e = IERR_INIT;
	int done = r->status == 0;

	a.tool = "intel-sign";
	a.agreement = r->ag->id;
	a.at = r->now;
	a.from = keys_party(r->k);
	a.to = r->to;
	a.records = (long long)r->read;
	a.released = done ? (long long)r->info.records : 0;
	a.bundle = done ? r->info.id : NULL;
	a.sha512 = done ? r->info.sha512 : NULL;
	if (audit_append(r->audit, &a, &e) != 0) {
		diag_err(&e);
		cli_status(&r->status, e.status);
	}
}

static void
run_sign(struct run *r, int argc, char **argv)
{
	if (optind == argc)
		r->status = sign_file(r, NULL);
	for (int i = optind; i < argc && r->status == 0; i++)
		r->status = sign_file(r, argv[i]);
	if (r->status == 0)
		r->status = write_bundle(r);
	if (r->audit != NULL && (r->status == 0 || r->status == EXIT_REFUSED))
		audit(r);
	if (r->status == 0 && !r->quiet && r->nrcpts > 0)
		diag_warn("bundle %s: %llu records for %s, seq %lld, key %s "
			  "of %s, sealed to %zu recipient%s",
		    r->info.id, r->info.records, r->to, (long long)r->info.seq,
		    r->info.key_id, keys_party(r->k), r->nrcpts,
		    r->nrcpts == 1 ? "" : "s");
	else if (r->status == 0 && !r->quiet)
		diag_warn("bundle %s: %llu records for %s, seq %lld, key %s "
			  "of %s",
		    r->info.id, r->info.records, r->to, (long long)r->info.seq,
		    r->info.key_id, keys_party(r->k));
	else if (r->status == EXIT_REFUSED)
		diag_warn("refused: nothing was signed");
}

enum {
	OPT_TO = 256,
	OPT_SEQ,
	OPT_STATE,
	OPT_KEYGEN,
	OPT_PARTY,
	OPT_PASSFILE,
	OPT_ASK,
	OPT_AUDIT,
	OPT_UPGRADE,
	OPT_EXPORT,
	OPT_SEAL,
	OPT_SEAL_ALSO
};

static const struct option longopts[] = { { "agreement", required_argument,
					      NULL, 'a' },
	{ "key", required_argument, NULL, 'k' },
	{ "to", required_argument, NULL, OPT_TO },
	{ "seq", required_argument, NULL, OPT_SEQ },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "keygen", no_argument, NULL, OPT_KEYGEN },
	{ "party", required_argument, NULL, OPT_PARTY },
	{ "passphrase-file", required_argument, NULL, OPT_PASSFILE },
	{ "ask-passphrase", no_argument, NULL, OPT_ASK },
	{ "audit", required_argument, NULL, OPT_AUDIT },
	{ "upgrade-key", no_argument, NULL, OPT_UPGRADE },
	{ "export-age-identity", no_argument, NULL, OPT_EXPORT },
	{ "seal", no_argument, NULL, OPT_SEAL },
	{ "seal-also", required_argument, NULL, OPT_SEAL_ALSO },
	CLI_COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };

/* Returns -1 to go on, else the status to exit with. */
static int
parse_args(struct run *r, int argc, char **argv)
{
	const struct cli_common co = { &r->jobs, &r->output, &r->quiet,
		&r->verbose, usage_text };
	long long n;
	int c, rc;

	while (
	    (c = getopt_long(argc, argv, "a:j:k:o:qvh", longopts, NULL)) != -1)
		switch (c) {
		case 'a':
			r->agreement = optarg;
			break;
		case 'k':
			r->key = optarg;
			break;
		case OPT_TO:
			r->to = optarg;
			break;
		case OPT_SEQ:
			r->seqarg = optarg;
			break;
		case OPT_STATE:
			r->state = optarg;
			break;
		case OPT_KEYGEN:
			r->keygen = 1;
			break;
		case OPT_PARTY:
			r->party = optarg;
			break;
		case OPT_PASSFILE:
			r->passfile = optarg;
			break;
		case OPT_ASK:
			r->ask = 1;
			break;
		case OPT_AUDIT:
			r->audit = optarg;
			break;
		case OPT_UPGRADE:
			r->upgrade = 1;
			break;
		case OPT_EXPORT:
			r->export = 1;
			break;
		case OPT_SEAL:
			r->seal = 1;
			break;
		case OPT_SEAL_ALSO:
			r->also = xrealloc(
			    r->also, (r->nalso + 1) * sizeof *r->also);
			r->also[r->nalso++] = optarg;
			r->seal = 1;
			break;
		default:
			if ((rc = cli_common_option(c, optarg, &co)) >= 0)
				return rc;
		}
	if (r->seqarg != NULL && cli_number(r->seqarg, 0, INT64_MAX, &n)) {
		diag_warn("--seq %s: not an integer from 0 to %lld", r->seqarg,
		    (long long)INT64_MAX);
		return cli_usage(usage_text, 0);
	}
	if (r->keygen + r->upgrade + r->export > 1) {
		diag_warn("--keygen, --upgrade-key and --export-age-identity "
			  "exclude each other");
		return cli_usage(usage_text, 0);
	}
	return cli_passphrase_options(r->passfile, r->ask, usage_text);
}

int
main(int argc, char **argv)
{
	struct run r = { .jobs = 1 };
	struct ierr e = IERR_INIT;
	int rc;

	if ((rc = cli_init(argv[0])) >= 0 ||
	    (rc = parse_args(&r, argc, argv)) >= 0)
		return cli_finish(rc);
	if ((rc = timeutil_now(&r.now, &e)) != 0) {
		diag_err(&e);
		return cli_finish(rc);
	}
	if (r.keygen || r.upgrade || r.export) {
		if (optind != argc) {
			diag_warn("%s reads no input files",
			    r.keygen	    ? "--keygen"
				: r.upgrade ? "--upgrade-key"
					    : "--export-age-identity");
			rc = cli_usage(usage_text, 0);
		} else
			rc = r.keygen ? keygen(&r) : keyfiles(&r);
	} else if ((rc = setup(&r)) == 0) {
		run_sign(&r, argc, argv);
		rc = r.status;
	}
	bundle_sign_free(r.s);
	free(r.also);
	free(r.rcpts);
	keys_free_secret(r.k);
	agreement_free(r.ag);
	jsonarena_thread_end();
	return cli_finish(rc);
}
