/*
 * Unit tests for common/store.c and common/hits.c: the order of keys, which
 * record stays, the merge-join against a store file, store checks, and
 * the pseudonym hits.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "exitcodes.h"
#include "hits.h"
#include "jsonio.h"
#include "output.h"
#include "record.h"
#include "store.h"
#include "tap.h"
#include "util.h"
#include "store-gen.h"

static const char *dir;

/* A canonical record when tail is empty or ",\"withdrawn\":true". */
#define REC(origin, id, version, data, tail) \
	"{\"created\":\"2026-01-01T00:00:00Z\",\"data\":" data ",\"id\":\"" id \
	"\",\"origin\":\"" origin \
	"\",\"type\":\"person\",\"version\":" #version tail "}"

/* A canonical record received from party from. */
#define RECV(origin, id, version, data, from, tail) \
	"{\"created\":\"2026-01-01T00:00:00Z\",\"data\":" data ",\"id\":\"" id \
	"\",\"origin\":\"" origin "\",\"received\":{\"at\":" \
	"\"2026-11-01T00:00:00Z\",\"bundle\":\"b\",\"from\":\"" from "\"}," \
	"\"type\":\"person\",\"version\":" #version tail "}"

static void
spit(const char *path, const char *text)
{
	if (util_write_str(path, text, 0644) != 0) {
		perror(path);
		exit(99);
	}
}

/* Merges the lines (NULL-terminated) into store; returns the status. */
static int
merge(const char *store, const char *const *lines, struct store_stats *st,
    struct ierr *e)
{
	struct store_opts o;
	struct store_batch *b = store_batch_new();
	int rc = 0;

	memset(&o, 0, sizeof o);
	for (size_t i = 0; lines[i] != NULL && rc == 0; i++)
		rc = store_batch_add(
		    b, lines[i], strlen(lines[i]), "test:1", e);
	if (rc == 0)
		rc = store_merge(b, store, &o, st, e);
	store_batch_free(b);
	return rc;
}

static json_t *
parse(const char *s)
{
	struct ierr e = IERR_INIT;
	json_t *v = NULL;

	if (record_parse(s, strlen(s), &v, &e) != 0)
		diag("parse: %s", e.msg);
	return v;
}

static int
pick(const char *a, const char *b, int *conflict)
{
	struct buf ca = BUF_INIT, cb = BUF_INIT;
	struct ierr e = IERR_INIT;
	json_t *ja = parse(a), *jb = parse(b);
	int c;

	jsonio_canon(&ca, ja, &e);
	jsonio_canon(&cb, jb, &e);
	c = store_pick(ja, ca.data, ca.len, jb, cb.data, cb.len, conflict);
	json_decref(ja);
	json_decref(jb);
	buf_free(&ca);
	buf_free(&cb);
	return c;
}

static void
test_keys(void)
{
	ok(store_key_cmp("DE", "x", "DE-BKA", "a") < 0,
	    "a shorter origin that is a prefix sorts first");
	ok(store_key_cmp("DE-BKA", "b", "DE-BKA", "a") > 0, "then by id");
	ok(store_key_cmp("DE-BKA", "Z", "DE-BKA", "a") < 0,
	    "byte order: upper case before lower case");
	ok(store_key_cmp("DE-BKA", "\xc3\xa9", "DE-BKA", "z") > 0,
	    "UTF-8 byte order: e-acute after z");
	ok(store_key_cmp("DE-BKA", "a", "DE-BKA", "a") == 0, "equal keys");
}

static void
test_pick(void)
{
	const char *v1 = REC("DE-BKA", "r", 1, "{\"a\":1}", "");
	const char *v2 = REC("DE-BKA", "r", 2, "{\"a\":0}", "");
	const char *v2b = REC("DE-BKA", "r", 2, "{\"a\":2}", "");
	const char *v2r = REC("DE-BKA", "r", 2, "{\"a\":0}",
	    ",\"received\":{\"from\":\"DE-BKA\",\"bundle\":\"x\","
	    "\"at\":\"2026-11-01T00:00:00Z\"},"
	    "\"expires\":\"2028-11-01T00:00:00Z\"");
	const char *v3w = REC("DE-BKA", "r", 3, "{}", ",\"withdrawn\":true");
	int conflict;

	is_int(pick(v1, v2, &conflict), 1, "the higher version stays");
	is_int(conflict, 0, "versions that differ are no conflict");
	is_int(pick(v2, v1, &conflict), -1, "whichever comes first");
	is_int(pick(v2, v3w, &conflict), 1, "a higher tombstone stays");
	is_int(pick(v2, v2, &conflict), 0, "the same bytes");
	ok(pick(v2, v2b, &conflict) < 0 && conflict,
	    "equal versions that differ: a conflict, smaller bytes stay");
	ok(pick(v2b, v2, &conflict) > 0 && conflict,
	    "the same winner the other way round");
	ok(pick(v2, v2r, &conflict) != 0 && !conflict,
	    "differing only in received and expires: no conflict");
	is_int(pick(v2, v2r, &conflict), -pick(v2r, v2, &conflict),
	    "delivered twice: the same copy stays either way");
}

static void
test_merge(void)
{
	const char *a[] = { REC("FR-DGSI", "f1", 1, "{}", ""),
		REC("DE-BKA", "r2", 1, "{\"v\":1}", ""),
		REC("DE-BKA", "r1", 1, "{\"v\":1}", ""),
		REC("DE-BKA", "r1", 1, "{\"v\":1}", ""), NULL };
	const char *b[] = { REC("DE-BKA", "r1", 2, "{}", ",\"withdrawn\":true"),
		REC("DE-BKA", "r2", 1, "{\"v\":0}", ""),
		REC("AT-BMI", "a", 1, "{}", ""), NULL };
	struct store_stats st;
	struct ierr e = IERR_INIT;
	char store[300], other[300];
	char *got;

	snprintf(store, sizeof store, "%s/store", dir);
	snprintf(other, sizeof other, "%s/other", dir);
	is_int(merge(store, a, &st, &e), 0, "merge into a new store");
	is_int((long long)st.added, 3, "three added");
	is_int((long long)st.unchanged, 1, "the duplicate changed nothing");
	got = util_read_file(store, NULL);
	is_str(got,
	    REC("DE-BKA", "r1", 1, "{\"v\":1}", "") "\n" REC("DE-BKA", "r2", 1,
		"{\"v\":1}", "") "\n" REC("FR-DGSI", "f1", 1, "{}", "") "\n",
	    "sorted by origin, then id");
	free(got);

	is_int(merge(store, b, &st, &e), 0, "merge a second batch");
	is_int((long long)st.withdrawn, 1, "one withdrawn");
	is_int((long long)st.updated, 1, "one updated (the conflict)");
	is_int((long long)st.conflicts, 1, "one conflict");
	is_int((long long)st.added, 1, "one added");
	got = util_read_file(store, NULL);
	is_str(got,
	    REC("AT-BMI", "a", 1, "{}", "") "\n" REC("DE-BKA", "r1", 2, "{}",
		",\"withdrawn\":true") "\n" REC("DE-BKA", "r2", 1, "{\"v\":0}",
		"") "\n" REC("FR-DGSI", "f1", 1, "{}", "") "\n",
	    "tombstone in place, conflict resolved by bytes");
	free(got);

	/* b then a gives the same store. */
	is_int(merge(other, b, &st, &e) || merge(other, a, &st, &e), 0,
	    "merge the other way round");
	got = util_read_file(other, NULL);
	{
		char *want = util_read_file(store, NULL);

		is_str(got, want, "b then a == a then b");
		free(want);
	}
	free(got);
}

/* Direct records (from their origin, or without received) over relayed
 * ones, whatever the versions (SPEC 8). */
static void
test_standing(void)
{
	const char *own = REC("NL-KMAR", "n", 1, "{\"a\":1}", "");
	const char *direct1 = RECV(
	    "NL-KMAR", "n", 1, "{\"a\":1}", "NL-KMAR", "");
	const char *direct2 = RECV(
	    "NL-KMAR", "n", 2, "{\"a\":2}", "NL-KMAR", "");
	const char *forged = RECV(
	    "NL-KMAR", "n", 999, "{}", "DE-BKA", ",\"withdrawn\":true");
	const char *relay3 = RECV("NL-KMAR", "n", 3, "{\"a\":3}", "DE-BKA", "");
	const char *relay3b = RECV(
	    "NL-KMAR", "n", 3, "{\"a\":4}", "FR-DGSI", "");
	const char *relay1 = RECV("NL-KMAR", "n", 1, "{\"a\":1}", "DE-BKA", "");
	const char *all[] = { direct1, direct2, forged, relay3, relay3b,
		relay1 };
	enum { NALL = sizeof all / sizeof all[0] };
	const char *one[2] = { NULL, NULL }, *batch[NALL + 1];
	struct store_stats st;
	struct ierr e = IERR_INIT;
	char store[300], other[300];
	char *got, *want;
	json_t *j;
	int conflict, bad, perm[NALL];

	j = parse(forged);
	ok(store_relayed(j), "received from another party: relayed");
	json_decref(j);
	j = parse(direct1);
	ok(!store_relayed(j), "received from its origin: direct");
	json_decref(j);
	j = parse(own);
	ok(!store_relayed(j), "without received: direct");
	json_decref(j);

	ok(pick(direct1, forged, &conflict) < 0 && !conflict,
	    "a relayed version 999 tombstone does not replace a direct "
	    "version 1");
	ok(pick(forged, direct1, &conflict) > 0 && !conflict,
	    "the same the other way round");
	ok(pick(relay3, own, &conflict) > 0 && !conflict,
	    "a relayed update does not replace the receiver's own record");
	ok(pick(relay1, direct1, &conflict) > 0 && !conflict,
	    "equal version and data: the direct copy stays");
	ok(pick(relay3, relay3b, &conflict) < 0 && conflict,
	    "two relayed records of one version that differ: a conflict");
	ok(pick(relay3, forged, &conflict) > 0 && !conflict,
	    "between relayed records the higher version wins");

	/* The attack through the store: the forged tombstone changes
	 * nothing, and the originator's real update still comes in. */
	snprintf(store, sizeof store, "%s/standing", dir);
	one[0] = direct1;
	is_int(merge(store, one, &st, &e), 0, "direct record stored");
	one[0] = forged;
	is_int(merge(store, one, &st, &e), 0, "relayed tombstone merged");
	ok(st.unchanged == 1 && st.withdrawn == 0 && st.updated == 0 &&
		st.conflicts == 0,
	    "it changed nothing");
	got = util_read_file(store, NULL);
	want = xmalloc(strlen(direct1) + 2);
	sprintf(want, "%s\n", direct1);
	is_str(got, want, "the store still holds NL-KMAR's direct record");
	free(got);
	free(want);
	one[0] = direct2;
	is_int(merge(store, one, &st, &e), 0, "the originator's update");
	is_int((long long)st.updated, 1, "it replaces the direct record");
	one[0] = relay3;
	is_int(merge(store, one, &st, &e), 0, "a relayed version 3");
	is_int((long long)st.unchanged, 1, "it changes nothing");
	got = util_read_file(store, NULL);
	want = xmalloc(strlen(direct2) + 2);
	sprintf(want, "%s\n", direct2);
	is_str(got, want, "the store holds the originator's version 2");
	free(got);

	/* A relayed tombstone held first does not bind the originator. */
	snprintf(other, sizeof other, "%s/standing2", dir);
	one[0] = forged;
	is_int(merge(other, one, &st, &e), 0, "relayed tombstone stored");
	one[0] = direct2;
	is_int(merge(other, one, &st, &e), 0, "then the direct record");
	is_int((long long)st.updated, 1, "it replaces the tombstone");
	got = util_read_file(other, NULL);
	is_str(got, want, "direct version 2 over relayed version 999");
	free(got);
	free(want);

	/* Every order, one by one, gives what all at once gives. */
	snprintf(store, sizeof store, "%s/standing-all", dir);
	for (int i = 0; i < NALL; i++)
		batch[i] = all[i];
	batch[NALL] = NULL;
	is_int(merge(store, batch, &st, &e), 0, "mixed standings at once");
	want = util_read_file(store, NULL);
	for (int i = 0; i < NALL; i++)
		perm[i] = i;
	bad = 0;
	for (int n = 0; n < 720; n++) {
		/* The n-th permutation, by its factorial digits. */
		int left[NALL], k = n;

		for (int i = 0; i < NALL; i++)
			left[i] = i;
		for (int i = 0; i < NALL; i++) {
			int pos = k % (NALL - i);

			k /= NALL - i;
			perm[i] = left[pos];
			memmove(&left[pos], &left[pos + 1],
			    (size_t)(NALL - i - pos - 1) * sizeof left[0]);
		}
		unlink(other);
		for (int i = 0; i < NALL; i++) {
			one[0] = all[perm[i]];
			if (merge(other, one, &st, &e) != 0)
				bad++;
		}
		got = util_read_file(other, NULL);
		if (got == NULL || strcmp(got, want) != 0)
			bad++;
		free(got);
	}
	is_int(bad, 0, "720 orders one by one: the same store");
	ok(want != NULL && strncmp(want, direct2, strlen(direct2)) == 0,
	    "and it is the direct version 2");
	free(want);
}
static void
test_bad_store(void)
{
	const char *a[] = { REC("DE-BKA", "z", 1, "{}", ""), NULL };
	struct store_stats st;
	struct ierr e = IERR_INIT;
	char store[300], want[600];
	const char *text;
	char *got;

	snprintf(store, sizeof store, "%s/bad", dir);
	text = REC("DE-BKA", "b", 1, "{}", "") "\n" REC(
	    "DE-BKA", "a", 1, "{}", "") "\n";
	spit(store, text);
	is_int(merge(store, a, &st, &e), EXIT_DATAERR, "out of order: 65");
	snprintf(want, sizeof want, "%s:2: out of order", store);
	ok(strncmp(e.msg, want, strlen(want)) == 0, "names line 2: %s", e.msg);
	got = util_read_file(store, NULL);
	is_str(got, text, "the store is untouched");
	free(got);

	text = REC("DE-BKA", "a", 1, "{}", "") "\n" REC(
	    "DE-BKA", "a", 2, "{}", "") "\n";
	spit(store, text);
	err_clear(&e);
	is_int(merge(store, a, &st, &e), EXIT_DATAERR, "duplicated: 65");
	ok(strstr(e.msg, ":2: the same origin and id") != NULL, "says so: %s",
	    e.msg);

	text = REC("DE-BKA", "a", 1, "{}", "") "\n{\"id\":\n";
	spit(store, text);
	err_clear(&e);
	is_int(merge(store, a, &st, &e), EXIT_DATAERR, "malformed: 65");
	snprintf(want, sizeof want, "%s:2: ", store);
	ok(strncmp(e.msg, want, strlen(want)) == 0, "names line 2: %s", e.msg);
	got = util_read_file(store, NULL);
	is_str(got, text, "the store is untouched");
	free(got);
}

static void
test_hits(void)
{
	const char *recs[] = {
		REC("DE-BKA", "d1", 1,
		    "{\"s\":{\"passport\":"
		    "\"pn:00000000000000000000000000000001\"},\"v\":[{\"plate\":"
		    "\"pn:00000000000000000000000000000002\"},{\"plate\":"
		    "\"pn:00000000000000000000000000000002\"}]}",
		    ""),
		REC("DE-BKA", "d2", 1,
		    "{\"x\":"
		    "\"pn:00000000000000000000000000000002\"}",
		    ""),
		REC("FR-DGSI", "pn:00000000000000000000000000000001", 1, "{}",
		    ""),
		REC("FR-DGSI", "f2", 2, "{}", ",\"withdrawn\":true"),
		REC("NL-KMAR", "n1", 1,
		    "{\"plate\":"
		    "\"pn:00000000000000000000000000000003\"}",
		    ""),
		REC("NL-KMAR", "n2", 1,
		    "{\"plate\":"
		    "\"pn:00000000000000000000000000000003\"}",
		    ""),
		NULL
	};
	struct hits *h = hits_new();
	struct ierr e = IERR_INIT;
	json_t *j;
	char path[300];
	char *got;
	FILE *f;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (size_t i = 0; recs[i] != NULL; i++) {
			j = parse(recs[i]);
			if (pass == 0)
				hits_note(h, j);
			else
				hits_collect(h, j);
			json_decref(j);
		}
	is_int((long long)hits_distinct(h), 3, "three distinct pseudonyms");
	is_int((long long)hits_count(h), 1, "one across origins");
	snprintf(path, sizeof path, "%s/hits", dir);
	f = fopen(path, "w");
	is_int(hits_write(h, f, &e), 0, "hits written");
	fclose(f);
	got = util_read_file(path, NULL);
	is_str(got,
	    "{\"pseudonym\":\"pn:00000000000000000000000000000001\","
	    "\"records\":[{\"id\":\"d1\",\"origin\":\"DE-BKA\",\"path\":"
	    "\"s.passport\"},{\"id\":\"pn:00000000000000000000000000000001\","
	    "\"origin\":\"FR-DGSI\",\"path\":\"\"}]}\n",
	    "a pseudonymised id counts, with the empty path; one origin is "
	    "no hit");
	free(got);
	hits_free(h);
}

/* Names resolved as open() would (atomic_resolve), and outputs compared
 * with inputs and one another (output_distinct). */
static void
test_names(void)
{
	struct ierr e = IERR_INIT;
	char base[300], p[400], want[400], *real = NULL;
	const char *outs[3], *ins[2];
	char store[400], other[400], link[400];

	snprintf(base, sizeof base, "%s/names", dir);
	mkdir(base, 0700);
	snprintf(p, sizeof p, "%s/real", base);
	mkdir(p, 0700);
	snprintf(p, sizeof p, "%s/ln", base);
	if (symlink("real", p) != 0)
		diag("symlink: %s", p);
	snprintf(p, sizeof p, "%s/ln/./x/../y", base);
	is_int(atomic_resolve(p, 1, &real, &e), 0, "resolve through a link");
	snprintf(want, sizeof want, "%s/real/x/../y", base);
	/* x does not exist: the rest is taken as it is. */
	is_str(real, want, "a missing folder is taken as it is");
	free(real);
	snprintf(p, sizeof p, "%s/ln/../real/./f", base);
	is_int(atomic_resolve(p, 1, &real, &e), 0, "resolve .. after a link");
	snprintf(want, sizeof want, "%s/real/f", base);
	is_str(real, want, ".. goes up from the link's target");
	free(real);
	snprintf(p, sizeof p, "%s/loop", base);
	if (symlink("loop", p) != 0)
		diag("symlink: %s", p);
	is_int(atomic_resolve(p, 1, &real, &e), EXIT_CANTCREAT,
	    "a loop of links: 73");
	ok(real == NULL, "and no name");

	snprintf(store, sizeof store, "%s/real/store", base);
	snprintf(other, sizeof other, "%s/real/other", base);
	snprintf(link, sizeof link, "%s/ln/store", base);
	spit(store, "");
	outs[0] = store;
	outs[1] = other;
	ins[0] = link;
	err_clear(&e);
	is_int(output_distinct(outs, NULL, 2, ins, 1, &e), EXIT_USAGE,
	    "an output that is an input through a link: 64");
	ok(strstr(e.msg, "the same file as the input") != NULL, "says so: %s",
	    e.msg);
	outs[0] = other;
	outs[1] = "/dev/null";
	outs[2] = "/dev/null";
	is_int(output_distinct(outs, NULL, 3, ins, 1, &e), 0,
	    "/dev/null twice and a new name: fine");
	snprintf(p, sizeof p, "%s/ln/other", base);
	outs[1] = p;
	is_int(output_distinct(outs, NULL, 2, ins, 0, &e), EXIT_USAGE,
	    "two names of one file not yet there: 64");
}

/*
 * The scanner's path against jansson's (store_opts.full) on generated
 * stores: mixed standings, tombstones, expiry, hits, escaped names and a
 * non-canonical line now and then.  Both must give the same store bytes,
 * statistics, reports, hits and messages.
 */
static void
gen_record(struct buf *b, unsigned keys)
{
	static const char *const org[] = { "AT-BMI", "DE-BKA", "FR-DGSI",
		"NL-KMAR" };
	unsigned k = util_rnd(keys), v = 1 + util_rnd(3), st = util_rnd(3),
		 o = k % 4;
	int wd = util_rnd(10) == 0;

	if (st == 2 && util_rnd(3) == 0)
		v = 990 + util_rnd(10);
	buf_printf(b, "{\"version\":%u,\"origin\":\"%s\",\"id\":", v, org[o]);
	/* Some ids need escapes; some are pseudonyms. */
	switch (k % 5) {
	case 0:
		buf_printf(b, "\"q\\\"%u\\\\\"", k);
		break;
	case 1:
		buf_printf(b, "\"pn:%032x\"", k % 7);
		break;
	default:
		buf_printf(b, "\"id%06u\\u00e9\"", k);
		break;
	}
	buf_adds(
	    b, ",\"type\":\"person\",\"created\":\"2026-01-01T00:00:00Z\"");
	if (wd)
		buf_adds(b, ",\"data\":{},\"withdrawn\":true");
	else
		buf_printf(b,
		    ",\"data\":{\"n\":%u,\"v\":[{\"plate\":"
		    "\"pn:%032x\"},[\"pn:%032x\",{}]],\"s\":{\"p\\u0001\":"
		    "\"pn:%032x\",\"e\":[]},\"var\":%u}",
		    k, util_rnd(9), util_rnd(9), (k * 7) % 11,
		    util_rnd(4) == 0);
	if (st > 0)
		buf_printf(b,
		    ",\"received\":{\"from\":\"%s\",\"bundle\":"
		    "\"b%u\",\"at\":\"2026-11-%02uT00:00:00Z\"}",
		    org[st == 2 ? (o + 1 + util_rnd(3)) % 4 : o], util_rnd(3),
		    1 + util_rnd(20));
	if (util_rnd(10) < 3)
		buf_printf(b, ",\"expires\":\"2027-%02u-01T00:00:00Z\"",
		    1 + util_rnd(12));
	buf_adds(b, "}");
}

/* Merges n generated records into store, the one way or the other. */
/* Spoils line k of the store's text into a form the scanner refuses but
 * jansson reads: a space after the opening brace. */
static char *
respace(const char *text, unsigned k)
{
	struct buf b = BUF_INIT;
	const char *p = text, *nl;
	unsigned i = 0;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (i++ == k) {
			buf_adds(&b, "{ ");
			buf_add(&b, p + 1, (size_t)(nl - p));
		} else
			buf_add(&b, p, (size_t)(nl - p) + 1);
		p = nl + 1;
	}
	return b.data != NULL ? b.data : xstrdup("");
}

static void
test_fast_full(void)
{
	char s0[300], sa[300], sb[300], ha[300], hb[300];
	struct buf la = BUF_INIT, lb = BUF_INIT;
	struct store_stats sta, stb;
	struct ierr ea = IERR_INIT, eb = IERR_INIT;
	char *base, *spoilt, *ga, *gb;
	int bad = 0, rounds = 60, ra, rb;

	snprintf(s0, sizeof s0, "%s/gen0", dir);
	snprintf(sa, sizeof sa, "%s/gena", dir);
	snprintf(sb, sizeof sb, "%s/genb", dir);
	snprintf(ha, sizeof ha, "%s/hitsa", dir);
	snprintf(hb, sizeof hb, "%s/hitsb", dir);
	for (int r = 0; r < rounds; r++) {
		unlink(s0);
		store_gen_merge(gen_record, s0, NULL, 1, 0, 1000 + (uint64_t)r,
		    300, 200, &la, &sta, &ea);
		base = util_read_file(s0, NULL);
		spoilt = r % 3 == 0 ? respace(base, (unsigned)r)
				    : xstrdup(base);
		spit(sa, spoilt);
		spit(sb, spoilt);
		buf_reset(&la);
		buf_reset(&lb);
		err_clear(&ea);
		err_clear(&eb);
		ra = store_gen_merge(gen_record, sa, r % 2 ? ha : NULL, 0,
		    r % 4 < 2, 7000 + (uint64_t)r, 60, 260, &la, &sta, &ea);
		rb = store_gen_merge(gen_record, sb, r % 2 ? hb : NULL, 1,
		    r % 4 < 2, 7000 + (uint64_t)r, 60, 260, &lb, &stb, &eb);
		ga = util_read_file(sa, NULL);
		gb = util_read_file(sb, NULL);
		if (ra != rb || ra != 0 || strcmp(ga, gb) != 0 ||
		    memcmp(&sta, &stb, sizeof sta) != 0 ||
		    strcmp(la.data ? la.data : "", lb.data ? lb.data : "") != 0)
			bad++;
		free(ga);
		free(gb);
		if (r % 2) {
			ga = util_read_file(ha, NULL);
			gb = util_read_file(hb, NULL);
			if (ga == NULL || gb == NULL || strcmp(ga, gb) != 0)
				bad++;
			if (r == 1)
				ok(ga != NULL && strlen(ga) > 100,
				    "generated stores have hits");
			free(ga);
			free(gb);
		}
		if (r == 0)
			ok(sta.updated > 0 && sta.unchanged > 0 &&
				sta.expired > 0 && sta.withdrawn > 0,
			    "generated merges update, keep, expire and "
			    "withdraw");
		free(base);
		free(spoilt);
	}
	is_int(bad, 0,
	    "%d generated merges: the scanner's path gives the "
	    "bytes, counts, reports and hits of jansson's",
	    rounds);
	buf_free(&la);
	buf_free(&lb);
}

/* A store line the scanner refuses goes to jansson, which says what is
 * wrong as it always did. */
static void
test_not_canonical(void)
{
	const char *a[] = { REC("DE-BKA", "z", 1, "{}", ""), NULL };
	const char *bad[] = { "{\"id\":\"b\",\"id\":\"c\"}",
		"{\"created\":\"2026-01-01T00:00:00Z\",\"data\":{},\"id\":"
		"\"b\",\"origin\":\"DE-BKA\",\"type\":\"person\","
		"\"version\":0}",
		"{\"created\":\"2026-01-01T00:00:00Z\",\"data\":{},\"id\":"
		"\"b\",\"origin\":\"DE-BKA\",\"type\":\"person\","
		"\"version\":1,\"colour\":1}",
		"{\"created\":\"2026-01-01T00:00:00Z\",\"data\":{},\"id\":"
		"\"b\",\"origin\":\"DE-BKA\",\"type\":\"person\","
		"\"version\":1,\"withdrawn\":true,\"data\":{\"x\":1}}",
		NULL };
	struct store_opts o;
	struct store_stats st;
	struct ierr e1 = IERR_INIT, e2 = IERR_INIT;
	struct store_batch *b;
	struct buf text = BUF_INIT;
	char store[300];
	char *got;
	int r1, r2, same = 0, n = 0;

	snprintf(store, sizeof store, "%s/notcanon", dir);
	for (size_t i = 0; bad[i] != NULL; i++) {
		buf_reset(&text);
		buf_printf(
		    &text, "%s\n%s\n", REC("DE-BKA", "a", 1, "{}", ""), bad[i]);
		memset(&o, 0, sizeof o);
		b = store_batch_new();
		store_batch_add(b, a[0], strlen(a[0]), "test:1", &e1);
		spit(store, text.data);
		err_clear(&e1);
		r1 = store_merge(b, store, &o, &st, &e1);
		o.full = 1;
		spit(store, text.data);
		err_clear(&e2);
		r2 = store_merge(b, store, &o, &st, &e2);
		got = util_read_file(store, NULL);
		n++;
		if (r1 == EXIT_DATAERR && r1 == r2 &&
		    strcmp(e1.msg, e2.msg) == 0 && strstr(e1.msg, ":2: ") &&
		    strcmp(got, text.data) == 0)
			same++;
		else
			diag("%s: %d %s / %d %s", bad[i], r1, e1.msg, r2,
			    e2.msg);
		free(got);
		store_batch_free(b);
	}
	is_int(same, n,
	    "bad store lines the scanner refuses: 65 with the "
	    "message jansson gives, the store untouched");

	/* Not canonical but a record: copied as it is, as before. */
	buf_reset(&text);
	buf_printf(&text, "%s\n%s\n", REC("DE-BKA", "a", 1, "{}", ""),
	    "{ \"created\":\"2026-01-01T00:00:00Z\",\"data\":{},\"id\":"
	    "\"b\",\"origin\":\"DE-BKA\",\"type\":\"person\",\"version\":1}");
	spit(store, text.data);
	is_int(merge(store, a, &st, &e1), 0, "a store line with a space: 0");
	got = util_read_file(store, NULL);
	ok(strstr(got, "\n{ \"created\"") != NULL &&
		strstr(got, "\"id\":\"z\"") != NULL,
	    "it is kept byte for byte beside the new record");
	free(got);
	buf_free(&text);
}

int
main(void)
{
	util_rng = 88172645463325252ULL; /* the seed these ran with */
	dir = util_tmpdir("test-store");
	umask(022);
	test_keys();
	test_pick();
	test_merge();
	test_standing();
	test_bad_store();
	test_hits();
	test_names();
	test_fast_full();
	test_not_canonical();
	return done_testing();
}
