/*
 * intel-merge: merge record streams into a local store (SPEC 8).
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cli.h"
#include "err.h"
#include "exitcodes.h"
#include "jsonarena.h"
#include "store.h"
#include "timeutil.h"

static const char usage_text[] =
    "usage: intel-merge [-qv] [-s STORE] [--hits FILE] [--expire]\n"
    "                   [--audit FILE] [FILE...]\n";

static const struct option longopts[] = { { "store", required_argument, NULL,
					      's' },
	{ "hits", required_argument, NULL, 'H' },
	{ "expire", no_argument, NULL, 'E' },
	{ "audit", required_argument, NULL, 'A' }, CLI_BASIC_LONGOPTS,
	{ NULL, 0, NULL, 0 } };

static void
on_event(void *arg, enum store_event ev, const char *origin, const char *id,
    int64_t version, const char *where)
{
	static const char *const what[] = { [STORE_EV_ADDED] = "added",
		[STORE_EV_UPDATED] = "updated",
		[STORE_EV_WITHDRAWN] = "withdrawn",
		[STORE_EV_OLDER] = "older than the record kept",
		[STORE_EV_RELAYED] = "relayed by another party: the record "
				     "from its origin stays",
		[STORE_EV_DUPLICATE] = "delivered again",
		[STORE_EV_EXPIRED] = "expired" };
	int verbose = *(int *)arg;

	if (ev == STORE_EV_CONFLICT)
		diag_warn("%s%sconflict: origin %s id %s version %lld: two "
			  "different records of one version; the one whose "
			  "canonical bytes sort first stays",
		    where ? where : "", where ? ": " : "", origin, id,
		    (long long)version);
	else if (verbose)
		diag_warn("%s%sorigin %s id %s version %lld: %s",
		    where ? where : "", where ? ": " : "", origin, id,
		    (long long)version, what[ev]);
}

static int
audit(const char *path, int64_t now, const struct store_stats *st)
{
	struct audit_entry ent = AUDIT_ENTRY_INIT;
	struct ierr e = IERR_INIT;
	int rc;

	ent.tool = "intel-merge";
	ent.at = now;
	ent.records = (long long)st->read;
	if ((rc = audit_append(path, &ent, &e)) != 0)
		diag_err(&e);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct store_opts o = { 0 };
	struct store_stats st;
	struct store_batch *b;
	struct ierr e = IERR_INIT;
	const char *store = NULL, *auditlog = NULL, *env;
	int ch, quiet = 0, verbose = 0, rc = 0;
	const struct cli_common co = { NULL, NULL, &quiet, &verbose,
		usage_text };

	if ((rc = cli_init(argv[0])) >= 0)
		return cli_finish(rc);
	while ((ch = getopt_long(argc, argv, "hqs:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			store = optarg;
			break;
		case 'H':
			o.hits = optarg;
			break;
		case 'E':
			o.expire = 1;
			break;
		case 'A':
			auditlog = optarg;
			break;
		default:
			if ((rc = cli_common_option(ch, optarg, &co)) >= 0)
				return cli_finish(rc);
		}
	}
	if (store == NULL && o.hits != NULL && strcmp(o.hits, "-") == 0) {
		diag_warn("--hits - needs -s: standard output carries the "
			  "records");
		return cli_finish(cli_usage(usage_text, 0));
	}
	if ((rc = timeutil_now(&o.now, &e)) != 0) {
		diag_err(&e);
		return cli_finish(rc);
	}
	/* For tests only (tests/cli/merge-par.sh): how many threads
	 * validate the store's lines, 1 for none but this one. */
	if ((env = getenv("INTEL_MERGE_THREADS")) != NULL)
		o.threads = (int)strtol(env, NULL, 10);
	o.report = on_event;
	o.report_arg = &verbose;

	if ((rc = store_check_names(store, o.hits, auditlog,
		 (const char *const *)argv + optind, (size_t)(argc - optind),
		 &e)) != 0) {
		diag_err(&e);
		return rc;
	}
	/* All the new input is read and checked before the store is
	 * locked or touched. */
	b = store_batch_new();
	if (optind == argc)
		rc = store_batch_read(b, NULL, &e);
	for (int i = optind; i < argc && rc == 0; i++)
		rc = store_batch_read(b, argv[i], &e);
	if (rc == 0)
		rc = store_merge(b, store, &o, &st, &e);
	store_batch_free(b);
	if (rc != 0) {
		diag_err(&e);
		return cli_finish(rc);
	}
	if (!quiet)
		diag_warn("read %lu, added %lu, updated %lu, withdrawn %lu, "
			  "unchanged %lu, conflicts %lu, expired %lu",
		    st.read, st.added, st.updated, st.withdrawn, st.unchanged,
		    st.conflicts, st.expired);
	if (verbose)
		diag_warn("%lu records in the %s", st.stored,
		    store ? "store" : "result");
	if (auditlog != NULL)
		rc = audit(auditlog, o.now, &st);
	jsonarena_thread_end();
	return cli_finish(rc);
}
