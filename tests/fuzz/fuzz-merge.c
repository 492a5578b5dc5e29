/*
 * fuzz-merge: a merge of an input into a small store (SPEC 8).
 *
 * The first byte is the mode; the rest is split at its first empty line
 * into a part A and a part B, each NDJSON.
 *
 * Mode bit 0 clear (built stores): the valid lines of A and of B make two
 * batches (lines that store_batch_add() refuses are left out).  Three
 * stores in the scratch folder are built: A then B, B then A, and A and B
 * at once.  They must hold the same bytes (the result depends neither on
 * the order of the inputs nor on whether they are merged at once), and
 * every line must be a canonical record, sorted by (origin, id), each key
 * once.  A key that any valid input holds direct (SPEC 8: without
 * received, or received from its origin) must be direct in the result.
 * Bit 2 adds --hits: the hits file must be canonical JSON lines.
 *
 * Mode bit 0 set (raw store): A's bytes are the store file as found on
 * disk, B is merged into it.  On failure the store must be byte for byte
 * what it was; on success it must be well formed as above.  Bit 1 adds
 * --expire, bit 2 --hits.  The same merge is made again with every store
 * line parsed by jansson (store_opts.full, the path before the scanner)
 * in one thread, where the first had a worker thread check the store's
 * lines (store_opts.threads): status, message, counts, store and hits must
 * be the same.
 *
 * After every merge no temporary file may be left in the folder.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "err.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "record.h"
#include "store.h"
#include "fuzz-util.h"

/* Adds the lines of p[0..n) that are records; returns how many. */
static size_t
add_lines(struct store_batch *b, const char *p, size_t n, const char *tag)
{
	struct ierr e = IERR_INIT;
	const char *nl, *end = p + n;
	char where[64];
	unsigned long line = 0;
	size_t added = 0, len;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		line++;
		snprintf(where, sizeof where, "%s:%lu", tag, line);
		if (len > 0) {
			err_clear(&e);
			if (store_batch_add(b, p, len, where, &e) == 0)
				added++;
			else if (e.status != EXIT_DATAERR || e.msg[0] == '\0')
				fz_fail("store_batch_add: %d '%s'", e.status,
				    e.msg);
		}
		p += len + (nl != NULL);
	}
	return added;
}

/* No ".NAME.XXXXXX" or other stray file beside the stores. */
static void
check_no_temp(void)
{
	DIR *d;
	struct dirent *de;

	if ((d = opendir(fz_dir())) == NULL)
		abort();
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] == '.' && strncmp(de->d_name, ".m.", 3) == 0)
			fz_fail("a temporary file was left: %s", de->d_name);
	closedir(d);
}

/* Is line[0..n) a whole line of old[0..oldlen)? */
static int
has_line(const char *old, size_t oldlen, const char *line, size_t n)
{
	for (const char *p = old; p != NULL && p < old + oldlen;) {
		const char *nl = memchr(p, '\n', (size_t)(old + oldlen - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(old + oldlen - p);

		if (len == n && memcmp(p, line, n) == 0)
			return 1;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

/*
 * Every line a record, keys strictly ascending; canonical, or else a line
 * the old store held as it is (unchanged store lines are copied, not
 * re-serialised).
 */
static void
check_store(const char *path, const char *old, size_t oldlen)
{
	struct ierr e = IERR_INIT;
	struct buf c = BUF_INIT;
	char *text, *p, *nl;
	const char *po = NULL, *pi = NULL;
	json_t *rec, *prev = NULL;
	size_t len;

	if ((text = fz_read(path, &len)) == NULL)
		fz_fail("a merge that succeeded left no store");
	if (len > 0 && text[len - 1] != '\n')
		fz_fail("the store does not end with a newline");
	for (p = text; p < text + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		if (record_parse(p, (size_t)(nl - p), &rec, &e) != 0)
			fz_fail("a store line is not a record: %s", e.msg);
		buf_reset(&c);
		if ((jsonio_canon(&c, rec, &e) != 0 ||
			c.len != (size_t)(nl - p) ||
			memcmp(c.data, p, c.len) != 0) &&
		    !has_line(old, oldlen, p, (size_t)(nl - p)))
			fz_fail("a store line is neither canonical nor copied");
		if (prev != NULL &&
		    store_key_cmp(po, pi, record_str(rec, "origin"),
			record_str(rec, "id")) >= 0)
			fz_fail(
			    "store lines out of order or repeated: %s %s / %s %s\n%s",
			    po, pi, record_str(rec, "origin"),
			    record_str(rec, "id"), text);
		json_decref(prev);
		prev = rec;
		po = record_str(rec, "origin");
		pi = record_str(rec, "id");
	}
	json_decref(prev);
	buf_free(&c);
	free(text);
}

static void
check_hits(const char *path)
{
	struct ierr e = IERR_INIT;
	char *text, *p, *nl;
	json_t *v;
	size_t len;

	if ((text = fz_read(path, &len)) == NULL)
		return; /* nothing was written */
	for (p = text; p < text + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(text + len - p))) == NULL)
			fz_fail("a hits line without a newline");
		if (jsonio_parse(p, (size_t)(nl - p), &v, &e) != 0 ||
		    !json_is_object(v))
			fz_fail("a hits line is not a JSON object");
		json_decref(v);
	}
	free(text);
}

/* The record of store text[0..len) with rec's (origin, id), or NULL. */
static json_t *
find_key(const char *text, size_t len, const json_t *rec)
{
	struct ierr e = IERR_INIT;
	const char *p, *nl;
	json_t *r;

	for (p = text; p < text + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(text + len - p));
		if (record_parse(p, (size_t)(nl - p), &r, &e) != 0)
			fz_fail("a store line is not a record: %s", e.msg);
		if (store_key_cmp(record_str(r, "origin"), record_str(r, "id"),
			record_str(rec, "origin"), record_str(rec, "id")) == 0)
			return r;
		json_decref(r);
	}
	return NULL;
}

/* No valid direct input record of p[0..n) is held relayed in the store. */
static void
check_standing(const char *p, size_t n, const char *text, size_t len)
{
	struct ierr e = IERR_INIT;
	const char *nl, *end = p + n;
	json_t *rec, *kept;
	size_t l;

	for (; p < end; p += l + (nl != NULL)) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (l == 0 || record_parse(p, l, &rec, &e) != 0)
			continue;
		if (!store_relayed(rec)) {
			if ((kept = find_key(text, len, rec)) == NULL)
				fz_fail("a record's key is missing from the "
					"store");
			if (store_relayed(kept))
				fz_fail("a relayed record replaced a direct "
					"one");
			json_decref(kept);
		}
		json_decref(rec);
	}
}

static char last_msg[ERR_MSG_MAX];

static int
merge(struct store_batch *b, const char *path, const struct store_opts *o)
{
	struct ierr e = IERR_INIT;
	struct store_stats st;
	int rc;

	rc = store_merge(b, path, o, &st, &e);
	if (rc != 0 && (rc != EXIT_DATAERR || e.msg[0] == '\0'))
		fz_fail("store_merge: %d '%s'", rc, e.msg);
	check_no_temp();
	memcpy(last_msg, e.msg, sizeof last_msg);
	return rc;
}

static void
built(const char *a, size_t alen, const char *bpart, size_t blen, int hits)
{
	struct store_opts o;
	struct store_batch *ba = store_batch_new(), *bb = store_batch_new(),
			   *bab = store_batch_new();
	char *s1, *s2, *s3;
	size_t l1, l2, l3;
	char p1[4096], p2[4096], p3[4096], ph[4096];

	memset(&o, 0, sizeof o);
	o.now = FZ_NOW;
	snprintf(ph, sizeof ph, "%s", fz_path("m.hits"));
	if (hits)
		o.hits = ph;
	snprintf(p1, sizeof p1, "%s", fz_path("m.s1"));
	snprintf(p2, sizeof p2, "%s", fz_path("m.s2"));
	snprintf(p3, sizeof p3, "%s", fz_path("m.s3"));
	add_lines(ba, a, alen, "A");
	add_lines(bb, bpart, blen, "B");
	add_lines(bab, a, alen, "A");
	add_lines(bab, bpart, blen, "B");
	/* Valid records only: every merge must succeed. */
	if (merge(ba, p1, &o) != 0 || merge(bb, p1, &o) != 0 ||
	    merge(bb, p2, &o) != 0 || merge(ba, p2, &o) != 0 ||
	    merge(bab, p3, &o) != 0)
		fz_fail("a merge of valid records into a valid store "
			"failed: %s",
		    last_msg);
	if (hits)
		check_hits(ph);
	check_store(p1, "", 0);
	s1 = fz_read(p1, &l1);
	s2 = fz_read(p2, &l2);
	s3 = fz_read(p3, &l3);
	if (l1 != l2 || memcmp(s1, s2, l1) != 0)
		fz_fail("A then B differs from B then A:\n%s---\n%s", s1, s2);
	if (l1 != l3 || memcmp(s1, s3, l1) != 0)
		fz_fail("merged one after another differs from at once:\n"
			"%s---\n%s",
		    s1, s3);
	check_standing(a, alen, s1, l1);
	check_standing(bpart, blen, s1, l1);
	free(s1);
	free(s2);
	free(s3);
	store_batch_free(ba);
	store_batch_free(bb);
	store_batch_free(bab);
}

/* The merge of raw() again, the store read by jansson only. */
static void
raw_full(const char *a, size_t alen, struct store_batch *bb,
    struct store_opts *o, int rc, const struct store_stats *st, const char *ph)
{
	struct ierr e = IERR_INIT;
	struct store_stats st2;
	char p[4096], *s1, *s2, *h1 = NULL, *h2;
	size_t l1, l2, hl1 = 0, hl2;
	int rc2;

	snprintf(p, sizeof p, "%s", fz_path("m.store"));
	s1 = fz_read(p, &l1);
	if (o->hits != NULL)
		h1 = fz_read(ph, &hl1);
	fz_write("m.store", (const uint8_t *)a, alen);
	unlink(ph);
	o->full = 1;
	o->threads = 1;
	rc2 = store_merge(bb, p, o, &st2, &e);
	o->full = 0;
	o->threads = 2;
	check_no_temp();
	if (rc2 != rc || strcmp(e.msg, last_msg) != 0)
		fz_fail("the scanner's path: %d '%s'; jansson's: %d '%s'", rc,
		    last_msg, rc2, e.msg);
	s2 = fz_read(p, &l2);
	if (l1 != l2 || memcmp(s1, s2, l1) != 0)
		fz_fail("the scanner's path wrote another store:\n%s---\n%s",
		    s1, s2);
	if (rc == 0 && memcmp(st, &st2, sizeof st2) != 0)
		fz_fail("the scanner's path counted otherwise");
	if (o->hits != NULL) {
		h2 = fz_read(ph, &hl2);
		if ((h1 == NULL) != (h2 == NULL) ||
		    (h1 != NULL && (hl1 != hl2 || memcmp(h1, h2, hl1) != 0)))
			fz_fail("the scanner's path found other hits");
		free(h2);
	}
	free(h1);
	free(s1);
	free(s2);
}

static void
raw(const char *a, size_t alen, const char *bpart, size_t blen, int expire,
    int hits)
{
	struct ierr e = IERR_INIT;
	struct store_opts o;
	struct store_stats st;
	struct store_batch *bb = store_batch_new();
	const char *path;
	char p[4096], ph[4096], *after;
	size_t len;
	int rc;

	memset(&o, 0, sizeof o);
	o.now = FZ_NOW;
	o.expire = expire;
	o.threads = 2; /* a worker validates, whatever the CPUs */
	snprintf(ph, sizeof ph, "%s", fz_path("m.hits"));
	if (hits)
		o.hits = ph;
	path = fz_write("m.store", (const uint8_t *)a, alen);
	snprintf(p, sizeof p, "%s", path);
	add_lines(bb, bpart, blen, "B");
	rc = store_merge(bb, p, &o, &st, &e);
	if (rc != 0 && (rc != EXIT_DATAERR || e.msg[0] == '\0'))
		fz_fail("store_merge: %d '%s'", rc, e.msg);
	check_no_temp();
	memcpy(last_msg, e.msg, sizeof last_msg);
	if (rc != 0) {
		after = fz_read(p, &len);
		if (after == NULL || len != alen || memcmp(after, a, alen) != 0)
			fz_fail("a failed merge changed the store");
		free(after);
	} else
		check_store(p, a, alen);
	raw_full(a, alen, bb, &o, rc, &st, ph);
	store_batch_free(bb);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data + 1, *split;
	size_t n, alen;

	if (size < 1 || size > 65536)
		return 0;
	n = size - 1;
	split = n > 0 ? memmem(text, n, "\n\n", 2) : NULL;
	alen = split != NULL ? (size_t)(split - text) + 1 : n;
	if (data[0] & 1)
		raw(text, alen, text + alen, n - alen, data[0] & 2,
		    data[0] & 4);
	else
		built(text, alen, text + alen, n - alen, data[0] & 4);
	fz_clean("m.");
	return 0;
}
