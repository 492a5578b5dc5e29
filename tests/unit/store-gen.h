/*
 * What tests/unit/test-store.c and test-store-scan.c share: a store event
 * report into a struct buf, and a merge of n generated records (each
 * test has its own generator) into a store, with util_rng seeded first.
 * Header-only; include it after util.h and store-int.h.
 */
#ifndef INTEL_TEST_STORE_GEN_H
#define INTEL_TEST_STORE_GEN_H

#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "store-int.h"

/* One record of a test's own kind, appended to b (keys: how many). */
typedef void store_gen_fn(struct buf *b, unsigned keys);

__attribute__((unused)) static void
log_report(void *arg, enum store_event ev, const char *origin, const char *id,
    int64_t version, const char *where)
{
	buf_printf(arg, "%d %s %s %lld %s\n", (int)ev, origin, id,
	    (long long)version, where ? where : "-");
}

/* Merges n records of gen (from seed, over keys identities) into store,
 * reporting into log; hits NULL for none.  The status of store_merge. */
__attribute__((unused)) static int
store_gen_merge(store_gen_fn *gen, const char *store, const char *hits,
    int full, int expire, uint64_t seed, unsigned n, unsigned keys,
    struct buf *log, struct store_stats *st, struct ierr *e)
{
	struct store_batch *b = store_batch_new();
	struct store_opts o;
	struct buf line = BUF_INIT;
	int rc = 0;

	memset(&o, 0, sizeof o);
	o.full = full;
	o.expire = expire;
	o.now = 1811808000; /* 2027-06-01 */
	o.hits = hits;
	o.report = log_report;
	o.report_arg = log;
	util_rng = seed;
	for (unsigned i = 0; i < n && rc == 0; i++) {
		buf_reset(&line);
		gen(&line, keys);
		rc = store_batch_add(b, line.data, line.len, "gen:1", e);
	}
	if (rc == 0)
		rc = store_merge(b, store, &o, st, e);
	store_batch_free(b);
	buf_free(&line);
	return rc;
}

#endif
