/*
 * intel-pack: turn raw input (NDJSON, a JSON document, CSV) into
 * well-formed records with an envelope (SPEC 4).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agreement.h"
#include "buf.h"
#include "cli.h"
#include "crypto.h"
#include "err.h"
#include "exitcodes.h"
#include "input.h"
#include "jsonarena.h"
#include "jsonio.h"
#include "output.h"
#include "pack.h"
#include "secfile.h"
#include "secmem.h"
#include "timeutil.h"

static const char usage_text[] =
    "usage: intel-pack [-f ndjson|json|csv] [-a AGREEMENT] [--origin PARTY]\n"
    "                  [--type T] [--classification C] [--purpose P]...\n"
    "                  [--id-key FILE] [--skip-bad] [-j N] [-o FILE] [-q] [-v]\n"
    "                  [FILE...]\n";

struct run {
	struct pack_opts opts;
	struct output *out;
	int skip_bad, quiet, verbose, jobs;
	int warned; /* about random ids */
	unsigned long read, written, skipped;
	int status;
};

static int
bad_object(
    struct run *r, const char *name, unsigned long line, const struct ierr *why)
{
	diag_warn("%s:%lu: %s%s", name, line, why->msg,
	    r->skip_bad ? " (skipped)" : "");
	if (r->skip_bad) {
		r->skipped++;
		return 0;
	}
	return cli_status(&r->status, EXIT_DATAERR);
}

/* A worker's own copy of the options, with its own id key context. */
struct worker {
	struct pack_opts opts;
};

/* Packs one object into the item's line: in a worker thread under -j.
 * The item's data says whether the record got a random id. */
static void
work(void *arg, json_t *obj, struct par_item *it)
{
	struct worker *w = arg;
	int random_id = w->opts.id_key == NULL &&
	    json_object_get(obj, "id") == NULL;
	json_t *rec;

	if (pack_record(&w->opts, obj, &rec, &it->err) == 0) {
		if (jsonio_canon(&it->out, rec, &it->err) == 0)
			buf_addc(&it->out, '\n');
		json_decref(rec);
	}
	if (it->err.status != 0)
		it->status = it->err.status;
	*(int *)it->data = random_id;
}

/* In input order: writes, counts and reports. */
static int
commit(void *arg, struct par_item *it)
{
	struct run *r = arg;
	struct ierr e = IERR_INIT;

	r->read++;
	if (it->status != 0)
		return bad_object(r, it->name, it->lineno, &it->err);
	if (*(int *)it->data && !r->warned) {
		diag_warn(
		    "no id key (--id-key or INTEL_ID_KEY): records "
		    "without an id get random ones, so packing the same input "
		    "again gives other ids");
		r->warned = 1;
	}
	if (output_write(r->out, it->out.data, it->out.len, &e) != 0) {
		diag_err(&e);
		return cli_status(&r->status, e.status);
	}
	r->written++;
	return 0;
}

static void *
worker_new(void *arg, struct ierr *e)
{
	struct run *r = arg;
	struct worker *w = xcalloc(1, sizeof *w);

	(void)e;
	w->opts = r->opts;
	if (r->opts.id_key != NULL)
		w->opts.id_key = crypto_hmac_dup(r->opts.id_key);
	return w;
}

static void
worker_free(void *arg)
{
	struct worker *w = arg;

	crypto_hmac_free(w->opts.id_key);
	free(w);
}

static const struct input_ops pack_ops = {
	.data_size = sizeof(int),
	.worker_new = worker_new,
	.worker_free = worker_free,
	.work = work,
	.commit = commit,
};

static int
pack_file(struct run *r, const char *path, const char *format)
{
	struct ierr e = IERR_INIT;
	enum input_format fmt;
	int rc;

	if (format == NULL)
		fmt = input_format_guess(path);
	else
		input_format_parse(format, &fmt);
	/* A stop at a bad object was reported by commit(); an input that
	 * cannot be opened or read is in e, for this function to report. */
	rc = input_run(path, fmt, r->jobs, &pack_ops, r, &e);
	if (e.status != 0) {
		diag_err(&e);
		cli_status(&r->status, rc);
		return rc == EXIT_NOINPUT ? 0 : rc; /* go on after 66 */
	}
	return rc;
}

static int
finish(struct run *r)
{
	struct ierr e = IERR_INIT;

	/* With -o, a run that failed leaves no file (fail closed). */
	if (r->status != 0)
		output_abort(r->out);
	else if (output_close(r->out, &e) != 0) {
		diag_err(&e);
		cli_status(&r->status, e.status);
	}
	if (!r->quiet)
		diag_warn("%lu read, %lu written, %lu skipped", r->read,
		    r->written, r->skipped);
	return r->status;
}

enum {
	OPT_ORIGIN = 256,
	OPT_TYPE,
	OPT_CLASS,
	OPT_PURPOSE,
	OPT_IDKEY,
	OPT_SKIP
};

static const struct option longopts[] = { { "format", required_argument, NULL,
					      'f' },
	{ "agreement", required_argument, NULL, 'a' },
	{ "origin", required_argument, NULL, OPT_ORIGIN },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "classification", required_argument, NULL, OPT_CLASS },
	{ "purpose", required_argument, NULL, OPT_PURPOSE },
	{ "id-key", required_argument, NULL, OPT_IDKEY },
	{ "skip-bad", no_argument, NULL, OPT_SKIP }, CLI_COMMON_LONGOPTS,
	{ NULL, 0, NULL, 0 } };

/* Reads the id key (SPEC 4) into a keyed hash; the key itself is wiped. */
static int
load_id_key(const char *path, struct crypto_hmac **out)
{
	struct ierr e = IERR_INIT;
	unsigned char *key;
	size_t len;

	*out = NULL;
	if (path == NULL)
		return 0;
	if (secfile_read(path, &secfile_id_key, &key, &len, &e) != 0) {
		diag_err(&e);
		return e.status;
	}
	*out = crypto_hmac_new(key, len);
	secfile_free(key, len);
	return 0;
}

/* "unknown input format "xml" (ndjson, json or csv)" */
static void
unknown_format(const char *format)
{
	struct buf names = BUF_INIT;

	for (int i = 0; i < INPUT_NFORMATS; i++)
		buf_printf(&names, "%s%s",
		    i == 0			  ? ""
			: i + 1 == INPUT_NFORMATS ? " or "
						  : ", ",
		    input_format_name((enum input_format)i));
	diag_warn("unknown input format \"%s\" (%s)", format, names.data);
	buf_free(&names);
}

/* Checks the command-line fill-ins against the agreement, as input is. */
static int
check_fillins(const struct pack_opts *o)
{
	const struct agreement *a = o->agreement;

	if (a == NULL)
		return 0;
	if (o->classification != NULL &&
	    agreement_class_rank(a, o->classification) < 0) {
		diag_warn("--classification %s is not in the scale of "
			  "agreement %s",
		    o->classification, a->id);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < o->npurposes; i++)
		if (!agreement_has_purpose(a, o->purposes[i])) {
			diag_warn("--purpose %s is not among the purposes of "
				  "agreement %s",
			    o->purposes[i], a->id);
			return EXIT_USAGE;
		}
	return 0;
}

int
main(int argc, char **argv)
{
	struct run r = { .jobs = 1 };
	const char *format = NULL, *agreement = NULL, *output = NULL;
	const char *id_key = NULL;
	const char **purposes = xcalloc((size_t)argc, sizeof *purposes);
	struct agreement *ag = NULL;
	struct ierr e = IERR_INIT;
	const struct cli_common co = { &r.jobs, &output, &r.quiet, &r.verbose,
		usage_text };
	enum input_format fmt;
	int c, rc;

	if ((rc = cli_init(argv[0])) >= 0)
		goto out;
	while (
	    (c = getopt_long(argc, argv, "f:a:j:o:qvh", longopts, NULL)) != -1)
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case 'a':
			agreement = optarg;
			break;
		case OPT_ORIGIN:
			r.opts.origin = optarg;
			break;
		case OPT_TYPE:
			r.opts.type = optarg;
			break;
		case OPT_CLASS:
			r.opts.classification = optarg;
			break;
		case OPT_PURPOSE:
			purposes[r.opts.npurposes++] = optarg;
			break;
		case OPT_IDKEY:
			id_key = optarg;
			break;
		case OPT_SKIP:
			r.skip_bad = 1;
			break;
		default:
			if ((rc = cli_common_option(c, optarg, &co)) >= 0)
				goto out;
		}
	r.opts.purposes = purposes;
	if (format != NULL && input_format_parse(format, &fmt) != 0) {
		unknown_format(format);
		rc = cli_usage(usage_text, 0);
		goto out;
	}
	if ((rc = timeutil_now(&r.opts.now, &e)) != 0) {
		diag_err(&e);
		goto out;
	}
	agreement = cli_setting(agreement, "INTEL_AGREEMENT");
	if (agreement != NULL &&
	    (rc = cli_load_agreement(agreement, r.opts.now, &ag)) != 0)
		goto out;
	r.opts.agreement = ag;
	if ((rc = check_fillins(&r.opts)) != 0 ||
	    (rc = load_id_key(
		 cli_setting(id_key, "INTEL_ID_KEY"), &r.opts.id_key)) != 0)
		goto out;
	if ((rc = output_open(output, &r.out, &e)) != 0) {
		diag_err(&e);
		goto out;
	}
	if (optind == argc)
		rc = pack_file(&r, NULL, format);
	for (int i = optind; i < argc && rc == 0; i++)
		rc = pack_file(&r, argv[i], format);
	rc = finish(&r);
out:
	jsonarena_thread_end();
	agreement_free(ag);
	crypto_hmac_free(r.opts.id_key);
	free(purposes);
	return cli_finish(rc);
}
