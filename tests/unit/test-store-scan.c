/*
 * The key reader for trusted store lines (store-scan.c) and the trust
 * record in the lock file (store-file.c): the keys it reads are those the
 * validating scanner reads, on generated lines and on lines spoilt at
 * random (where it must never read outside the line); a merge into a
 * trusted store gives the bytes, counts and reports of a full check; any
 * change to the store file ends the trust.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "exitcodes.h"
#include "scan.h"
#include "store.h"
#include "store-int.h"
#include "tap.h"
#include "util.h"
#include "store-gen.h"

static const char *dir;
/* A record as a partner might send it: members in any order, escaped
 * ids, received from the origin or another party, expires, tombstones. */
static void
gen_record(struct buf *b, unsigned keys)
{
	static const char *const org[] = { "AT-BMI", "DE-BKA", "FR-DGSI",
		"NL-\\\"K\\u0001" };
	unsigned k = util_rnd(keys), v = 1 + util_rnd(3), st = util_rnd(3),
		 o = k % 4;
	int wd = util_rnd(10) == 0;

	if (st == 2 && util_rnd(3) == 0)
		v = 990 + util_rnd(10);
	buf_printf(b, "{\"version\":%u,\"origin\":\"%s\",\"id\":", v, org[o]);
	switch (k % 4) {
	case 0:
		buf_printf(b, "\"q\\\"%u\\\\\"", k);
		break;
	case 1:
		buf_printf(b, "\"i\\\\\\\"d%u\\n\\u001f\"", k);
		break;
	default:
		buf_printf(b, "\"id%06u\\u00e9\"", k);
		break;
	}
	buf_adds(
	    b, ",\"type\":\"person\",\"created\":\"2026-01-01T00:00:00Z\"");
	if (util_rnd(3) == 0)
		buf_adds(b, ",\"purposes\":[\"a\\\"],\",\"b\"]");
	if (util_rnd(4) == 0)
		buf_adds(b, ",\"releasable_to\":[]");
	if (util_rnd(3) == 0)
		buf_adds(b, ",\"classification\":\"R\\\\\"");
	if (wd)
		buf_adds(b, ",\"data\":{},\"withdrawn\":true");
	else
		buf_printf(b,
		    ",\"data\":{\"id\":\"x\",\"n\":%u,\"v\":[{\"origin\":"
		    "\"pn:%032x\"},[\"}\\\"\",{}]],\"version\":%u}",
		    k, util_rnd(9), util_rnd(4));
	if (st > 0)
		buf_printf(b,
		    ",\"received\":{\"from\":\"%s\",\"bundle\":"
		    "\"b\\\"%u\",\"at\":\"2026-11-%02uT00:00:00Z\"}",
		    org[st == 2 ? (o + 1 + util_rnd(3)) % 4 : o], util_rnd(3),
		    1 + util_rnd(20));
	if (util_rnd(10) < 3)
		buf_printf(b, ",\"expires\":\"2027-%02u-01T00:00:00Z\"",
		    1 + util_rnd(12));
	buf_adds(b, "}");
}

static int
same_slice(const char *a, size_t alen, const struct scan_slot *s)
{
	return s->member != NULL && alen + 2 == s->vlen &&
	    memcmp(a, s->value + 1, alen) == 0;
}

/* The key reader on one line: -1 it says no, 1 it agrees with the
 * scanner, 0 it disagrees; 2 the scanner refuses the line it read. */
static int
compare(const char *line, size_t len)
{
	static const char from[] = ",\"from\":";
	struct store_key k;
	struct scan_record r;
	const struct scan_slot *rv;
	const char *f;
	size_t flen = 0;

	if (store_scan_key(line, len, &k) != 0)
		return -1;
	if (scan_record(line, len, &r, NULL, NULL) != SCAN_OK)
		return 2;
	rv = &r.m[SCAN_RECEIVED];
	f = NULL;
	if (rv->member != NULL) {
		f = memmem(rv->value, rv->vlen, from, sizeof from - 1);
		if (f != NULL) {
			f += sizeof from; /* past the quote */
			flen = (size_t)(rv->value + rv->vlen - 2 - f);
		}
	}
	return same_slice(k.origin, k.olen, &r.m[SCAN_ORIGIN]) &&
	    same_slice(k.id, k.idlen, &r.m[SCAN_ID]) &&
	    k.origin_esc == (memchr(k.origin, '\\', k.olen) != NULL) &&
	    k.id_esc == (memchr(k.id, '\\', k.idlen) != NULL) &&
	    k.version == r.version && k.withdrawn == r.withdrawn &&
	    (k.expires == NULL
		    ? r.m[SCAN_EXPIRES].member == NULL
		    : same_slice(k.expires, k.elen, &r.m[SCAN_EXPIRES])) &&
	    (k.from == NULL ? f == NULL
			    : f != NULL && flen == k.flen &&
			memcmp(f, k.from, flen) == 0);
}

static void
test_keys(void)
{
	char store[300];
	struct buf log = BUF_INIT, sp = BUF_INIT;
	struct store_stats st;
	struct ierr e = IERR_INIT;
	char *text, *p, *nl;
	int lines = 0, agree = 0, spoilt = 0, wrong = 0, said_no = 0, c;
	static const char bytes[] = "\"\\{}[],:0a \x01\x80";
	size_t len;

	snprintf(store, sizeof store, "%s/keys", dir);
	is_int(store_gen_merge(
		   gen_record, store, NULL, 0, 0, 1, 600, 400, &log, &st, &e),
	    0, "a generated store");
	text = util_read_file(store, NULL);
	for (p = text; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		len = (size_t)(nl - p);
		lines++;
		if (compare(p, len) == 1)
			agree++;
		/* Spoilt: a byte changed, or the line cut short. */
		for (int i = 0; i < 40; i++) {
			buf_reset(&sp);
			buf_add(&sp, p, len);
			if (i % 4 == 0)
				sp.len = util_rnd((unsigned)len);
			else
				sp.data[util_rnd((unsigned)len)] =
				    bytes[util_rnd(sizeof bytes - 1)];
			/* Exactly the bytes, so that ASan sees a read past
			 * them. */
			char *exact = xmalloc(sp.len ? sp.len : 1);
			memcpy(exact, sp.data, sp.len);
			c = compare(exact, sp.len);
			free(exact);
			spoilt++;
			if (c == 0)
				wrong++;
			else if (c == -1)
				said_no++;
		}
	}
	ok(lines > 300, "%d store lines", lines);
	is_int(agree, lines,
	    "the key reader reads the keys the scanner reads on every line");
	is_int(wrong, 0, "%d spoilt lines: where both read one, the same key",
	    spoilt);
	ok(said_no > spoilt / 4, "... and it says no to many (%d)", said_no);
	free(text);
	buf_free(&log);
	buf_free(&sp);
}

static int
trusted(const char *store)
{
	char lock[320];
	int fd, lfd, t;

	snprintf(lock, sizeof lock, "%s.lock", store);
	fd = open(store, O_RDONLY);
	lfd = open(lock, O_RDWR);
	t = fd >= 0 && lfd >= 0 && store_trusted(lfd, fd);
	if (fd >= 0)
		close(fd);
	if (lfd >= 0)
		close(lfd);
	return t;
}

/* Trusted merges against full ones, from the same start. */
static void
test_trusted_merges(void)
{
	char sa[300], sb[300];
	struct buf la = BUF_INIT, lb = BUF_INIT;
	struct store_stats sta, stb;
	struct ierr ea = IERR_INIT, eb = IERR_INIT;
	char *ga, *gb;
	int bad = 0, untrusted = 0, rounds = 30, ra, rb;
	struct timespec ts[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };

	snprintf(sa, sizeof sa, "%s/ta", dir);
	snprintf(sb, sizeof sb, "%s/tb", dir);
	for (int r = 0; r < rounds; r++) {
		unlink(sa);
		unlink(sb);
		store_gen_merge(gen_record, sa, NULL, 0, 0, 100 + (uint64_t)r,
		    300, 200, &la, &sta, &ea);
		store_gen_merge(gen_record, sb, NULL, 1, 0, 100 + (uint64_t)r,
		    300, 200, &lb, &stb, &eb);
		if (!trusted(sa))
			untrusted++;
		buf_reset(&la);
		buf_reset(&lb);
		ra = store_gen_merge(gen_record, sa, NULL, 0, r % 2,
		    900 + (uint64_t)r, 60, 260, &la, &sta, &ea);
		rb = store_gen_merge(gen_record, sb, NULL, 1, r % 2,
		    900 + (uint64_t)r, 60, 260, &lb, &stb, &eb);
		ga = util_read_file(sa, NULL);
		gb = util_read_file(sb, NULL);
		if (ra != 0 || rb != 0 || strcmp(ga, gb) != 0 ||
		    memcmp(&sta, &stb, sizeof sta) != 0 ||
		    strcmp(la.data ? la.data : "", lb.data ? lb.data : "") != 0)
			bad++;
		free(ga);
		free(gb);
	}
	is_int(untrusted, 0, "after each merge its store is trusted");
	is_int(bad, 0,
	    "%d merges into trusted stores: the bytes, counts and reports "
	    "of a full check",
	    rounds);

	ok(trusted(sa), "the last store is trusted");
	utimensat(AT_FDCWD, sa, ts, 0);
	ok(!trusted(sa), "touched: no longer");
	ra = store_gen_merge(
	    gen_record, sa, NULL, 0, 0, 5, 10, 260, &la, &sta, &ea);
	ok(ra == 0 && trusted(sa), "the next merge's store is trusted again");
	chmod(sa, 0640);
	ok(!trusted(sa), "chmod: no longer");
	buf_free(&la);
	buf_free(&lb);
}

int
main(void)
{
	util_rng = 88172645463325252ULL; /* the seed these ran with */
	dir = util_tmpdir("test-store-scan");
	umask(022);
	test_keys();
	test_trusted_merges();
	return done_testing();
}
