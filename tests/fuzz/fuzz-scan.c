/*
 * fuzz-scan: the canonical-line scanner and tree-less compliance against
 * the jansson path (differential).
 *
 * The same bytes go to both paths, as they are and, when they parse as a
 * record, in their canonical form and redacted under each rule:
 *
 *   scan_json() says SCAN_OK exactly when jsonio_parse() accepts the text
 *   and jsonio_canon() writes it back byte for byte; scan_record() the
 *   same with record_parse(); every envelope slice it hands out is the
 *   canonical text of that member of the tree, and a member is absent
 *   from the slices exactly when it is absent from the tree;
 *   scan_paths() hands out every leaf of data with the path hits.c
 *   gives it;
 *   comply_line() says COMPLY_YES exactly when, in addition,
 *   policy_complies() holds, COMPLY_NO only when it does not (the
 *   message is then always the tree path's), COMPLY_UNSURE only for a
 *   line that is not canonical or holds an escape; a redacted record is
 *   COMPLY_YES under its own rule unless it holds an escape.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agreement.h"
#include "buf.h"
#include "comply.h"
#include "err.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "policy.h"
#include "record.h"
#include "scan.h"
#include "scan-paths.h"
#include "fuzz-util.h"

static const struct {
	const char *agreement, *from, *to;
} pairs[] = {
	{ "redact.yaml", "DE-BKA", "FR-DGSI" },
	{ "redact.yaml", "DE-BKA", "NL-KMAR" },
	{ "redact.yaml", "FR-DGSI", "DE-BKA" },
	{ "trilateral.yaml", "DE-BKA", "FR-DGSI" },
	{ "trilateral.yaml", "FR-DGSI", "NL-KMAR" },
	{ "trilateral.yaml", "NL-KMAR", "FR-DGSI" },
};
#define NPAIRS (sizeof pairs / sizeof pairs[0])
static struct policy *keyed[NPAIRS];
static struct policy *plain[NPAIRS];
static struct comply *comps[NPAIRS];

static const char *const members[SCAN_NMEMBERS] = { "classification", "created",
	"data", "expires", "id", "origin", "purposes", "received",
	"releasable_to", "type", "version", "withdrawn" };

static void
free_all(void)
{
	for (size_t i = 0; i < NPAIRS; i++) {
		comply_free(comps[i]);
		policy_free(plain[i]);
		policy_free(keyed[i]);
	}
}

void
fz_init(void)
{
	struct ierr e = IERR_INIT;

	for (size_t i = 0; i < NPAIRS; i++) {
		const struct agreement *a = fz_agreement(pairs[i].agreement);

		if (policy_new(a, pairs[i].from, pairs[i].to, FZ_NOW,
			POLICY_KEY, &keyed[i], &e) != 0 ||
		    policy_new(a, pairs[i].from, pairs[i].to, FZ_NOW, 0,
			&plain[i], &e) != 0)
			fz_fail("harness: policy %s: %s", pairs[i].agreement,
			    e.msg);
		comps[i] = comply_new(plain[i]);
	}
	atexit(free_all);
}

/* The jansson path: parsed (as a record) and written back the same. */
static int
tree(const char *t, size_t len, int asrecord, json_t **out)
{
	struct ierr e = IERR_INIT;
	struct buf b = BUF_INIT;
	json_t *v = NULL;
	int good;

	*out = NULL;
	if ((asrecord ? record_parse(t, len, &v, &e)
		      : jsonio_parse(t, len, &v, &e)) != 0) {
		if (e.status != EXIT_DATAERR || e.msg[0] == '\0')
			fz_fail(
			    "parse: status %d, message '%s'", e.status, e.msg);
		return 0;
	}
	good = jsonio_canon(&b, v, &e) == 0 && b.len == len &&
	    memcmp(b.data, t, len) == 0;
	buf_free(&b);
	if (good)
		*out = v;
	else
		json_decref(v);
	return good;
}

/* Every slice is the canonical text of the tree's member. */
static void
check_slices(const struct scan_record *r, const json_t *rec)
{
	struct ierr e = IERR_INIT;
	struct buf b = BUF_INIT;
	const struct scan_slot *sl;
	json_t *v;

	for (int m = 0; m < SCAN_NMEMBERS; m++) {
		sl = &r->m[m];
		v = json_object_get(rec, members[m]);
		if ((v == NULL) != (sl->member == NULL))
			fz_fail("scan_record: member %s %s", members[m],
			    v == NULL ? "invented" : "missed");
		if (v == NULL)
			continue;
		buf_reset(&b);
		if (jsonio_canon(&b, v, &e) != 0 || b.len != sl->vlen ||
		    memcmp(b.data, sl->value, b.len) != 0)
			fz_fail(
			    "scan_record: the slice of %s differs", members[m]);
		if (sl->mlen != strlen(members[m]) + 3 + sl->vlen ||
		    sl->member[0] != '"' ||
		    sl->value != sl->member + sl->mlen - sl->vlen)
			fz_fail(
			    "scan_record: the span of %s is wrong", members[m]);
	}
	if (r->version != record_version(rec) ||
	    r->withdrawn != record_withdrawn(rec))
		fz_fail("scan_record: version or withdrawn differ");
	buf_free(&b);
}

/* scan_paths callback: one leaf into the buffer, as tree_paths writes it. */
static int
leaf_path(void *arg, const char *path, size_t pathlen, const struct scan_val *v)
{
	struct buf *out = arg;

	if (strlen(path) != pathlen)
		fz_fail("scan_paths: the path is not NUL-terminated");
	leaf_write(out, path, pathlen, v);
	return 0;
}

static void
check_paths(const char *t, size_t len, const json_t *rec)
{
	struct buf a = BUF_INIT, b = BUF_INIT, path = BUF_INIT;
	struct scan_record r;

	buf_adds(&a, "");
	buf_adds(&b, "");
	buf_adds(&path, "");
	tree_paths(&a, &path, json_object_get(rec, "data"));
	if (scan_paths(t, len, &r, &path, leaf_path, &b) != SCAN_OK ||
	    strcmp(a.data, b.data) != 0)
		fz_fail("scan_paths differs from the tree:\n%s\n%s", a.data,
		    b.data);
	buf_free(&a);
	buf_free(&b);
	buf_free(&path);
}

/* Both paths on one line; returns 1 if it is a canonical record. */
static int
both(const char *t, size_t len)
{
	struct scan_record r;
	json_t *v, *rec;
	char why[256];
	int canon, fast, complies;

	canon = tree(t, len, 0, &v);
	if (canon != (scan_json(t, len) == SCAN_OK))
		fz_fail("scan_json says %d, jansson + canon %d", !canon, canon);
	json_decref(v);
	canon = tree(t, len, 1, &rec);
	if (canon != (scan_record(t, len, &r, NULL, NULL) == SCAN_OK))
		fz_fail("scan_record says %d, record_parse + canon %d", !canon,
		    canon);
	if (canon) {
		check_slices(&r, rec);
		check_paths(t, len, rec);
	}
	for (size_t i = 0; i < NPAIRS; i++) {
		complies = canon &&
		    policy_complies(plain[i], rec, why, sizeof why);
		fast = comply_line(comps[i], t, len, &r);
		if ((fast == COMPLY_YES && !complies) ||
		    (fast == COMPLY_NO && (!canon || complies)) ||
		    (fast == COMPLY_UNSURE && canon &&
			memchr(t, '\\', len) == NULL))
			fz_fail("pair %zu: comply_line %d, canonical %d, "
				"complies %d (%s)",
			    i, fast, canon, complies, why);
	}
	json_decref(rec);
	return canon;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ierr e = IERR_INIT;
	struct buf b = BUF_INIT;
	struct scan_record r;
	json_t *rec;
	int reason, fast;

	(void)both((const char *)data, size);
	if (record_parse((const char *)data, size, &rec, &e) != 0)
		return 0;
	if (jsonio_canon(&b, rec, &e) == 0 && !both(b.data, b.len))
		fz_fail("the canonical form of a record is not canonical");
	json_decref(rec);
	for (size_t i = 0; i < NPAIRS; i++) {
		if (record_parse((const char *)data, size, &rec, &e) != 0)
			fz_fail("record_parse is not deterministic");
		buf_reset(&b);
		if (policy_redact(
			keyed[i], rec, &reason, NULL, NULL, NULL, &e) == 0 &&
		    reason == POLICY_RELEASED &&
		    jsonio_canon(&b, rec, &e) == 0) {
			(void)both(b.data, b.len);
			fast = comply_line(comps[i], b.data, b.len, &r);
			if (fast != COMPLY_YES &&
			    !(fast == COMPLY_UNSURE &&
				memchr(b.data, '\\', b.len) != NULL))
				fz_fail("pair %zu: a redacted record gets %d",
				    i, fast);
		}
		json_decref(rec);
	}
	buf_free(&b);
	return 0;
}
