/*
 * The canonical-line scanner (scan.c) and tree-less compliance (comply.c)
 * against the jansson path they stand in for:
 *
 *   scanner:  scan_json/scan_record say SCAN_OK exactly when jsonio_parse
 *             (record_parse) accepts the text and jsonio_canon writes it
 *             back byte for byte;
 *   comply:   comply_line says COMPLY_YES exactly when, in addition,
 *             policy_complies holds, COMPLY_NO only when it does not, and
 *             COMPLY_UNSURE only for a line that is not canonical or holds
 *             an escape.
 *
 * Inputs: every file of the JSONTestSuite, every line of every fixture
 * (and its canonical form), the policy test cases of test-policy.c,
 * their redacted forms under every rule of the fixture agreements, hand
 * cases at every rule of SPEC 2, and every one-byte change of a few
 * records.
 */
#include "config.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

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
#include "secmem.h"
#include "tap.h"
#include "timeutil.h"
#include "util.h"

static const char *srcdir;
static const char *tmpdir;
static int64_t now;
static unsigned long mismatches;

/* The jansson path's verdict: parses (as a record) and is canonical. */
static int
tree_canonical(const char *t, size_t len, int asrecord, json_t **out)
{
	struct ierr e = IERR_INIT;
	struct buf b = BUF_INIT;
	json_t *v = NULL;
	int good;

	if (out != NULL)
		*out = NULL;
	if ((asrecord ? record_parse(t, len, &v, &e)
		      : jsonio_parse(t, len, &v, &e)) != 0)
		return 0;
	good = jsonio_canon(&b, v, &e) == 0 && b.len == len &&
	    memcmp(b.data, t, len) == 0;
	buf_free(&b);
	if (good && out != NULL)
		*out = v;
	else
		json_decref(v);
	return good;
}

static void
show(const char *what, const char *t, size_t len)
{
	struct buf b = BUF_INIT;

	for (size_t i = 0; i < len && i < 300; i++) {
		unsigned char c = (unsigned char)t[i];

		if (c < 0x20 || c >= 0x7f)
			buf_printf(&b, "\\x%02x", c);
		else
			buf_addc(&b, (char)c);
	}
	diag("%s: %s%s", what, b.data ? b.data : "", len > 300 ? "..." : "");
	buf_free(&b);
}

/* Both scanners against the tree on one text; 1 if they agree. */
static int
same_json(const char *t, size_t len)
{
	int tree = tree_canonical(t, len, 0, NULL);
	int fast = scan_json(t, len) == SCAN_OK;

	if (tree == fast)
		return 1;
	mismatches++;
	show(tree ? "scan_json refuses a canonical text"
		  : "scan_json accepts a text jansson does not write",
	    t, len);
	return 0;
}

static int
same_record(const char *t, size_t len)
{
	struct scan_record r;
	int tree = tree_canonical(t, len, 1, NULL);
	int fast = scan_record(t, len, &r, NULL, NULL) == SCAN_OK;

	if (tree == fast)
		return 1;
	mismatches++;
	show(tree ? "scan_record refuses a canonical record"
		  : "scan_record accepts what record_parse + canon does not",
	    t, len);
	return 0;
}

/* The policies: every pair of the two fixture agreements. */
static const struct {
	const char *agreement, *from, *to;
} pairs[] = {
	{ "policy.yaml", "DE-BKA", "FR-DGSI" },
	{ "policy.yaml", "DE-BKA", "NL-KMAR" },
	{ "policy.yaml", "FR-DGSI", "DE-BKA" },
	{ "trilateral.yaml", "DE-BKA", "FR-DGSI" },
	{ "trilateral.yaml", "FR-DGSI", "NL-KMAR" },
	{ "trilateral.yaml", "FR-DGSI", "DE-BKA" },
	{ "trilateral.yaml", "NL-KMAR", "FR-DGSI" },
};
#define NPAIRS (sizeof pairs / sizeof pairs[0])

static struct agreement *ags[2];
static struct policy *keyed[NPAIRS]; /* to redact */
static struct policy *pols[NPAIRS];  /* to check, without a key */
static struct comply *comps[NPAIRS];

static unsigned long n_yes, n_no, n_unsure, n_cmp;

/* comply_line against policy_complies on one line, under policy i. */
static int
same_verdict(size_t i, const char *t, size_t len)
{
	struct scan_record r;
	json_t *rec = NULL;
	char why[256];
	int tree, fast, canon;

	canon = tree_canonical(t, len, 1, &rec);
	tree = canon && policy_complies(pols[i], rec, why, sizeof why);
	fast = comply_line(comps[i], t, len, &r);
	json_decref(rec);
	n_cmp++;
	if (fast == COMPLY_YES)
		n_yes++;
	else if (fast == COMPLY_NO)
		n_no++;
	else
		n_unsure++;
	if ((fast == COMPLY_YES && tree) ||
	    (fast == COMPLY_NO && canon && !tree) ||
	    (fast == COMPLY_UNSURE && (!canon || memchr(t, '\\', len) != NULL)))
		return 1;
	mismatches++;
	diag("pair %s %s->%s: comply_line %d, canonical %d, complies %d%s%s",
	    pairs[i].agreement, pairs[i].from, pairs[i].to, fast, canon, tree,
	    canon && !tree ? ": " : "", canon && !tree ? why : "");
	show("line", t, len);
	return 0;
}

/* Every pair on the line, and on its redacted forms. */
static int
verdicts(const char *t, size_t len)
{
	struct ierr e = IERR_INIT;
	struct buf b = BUF_INIT;
	json_t *rec;
	int good = 1, reason;

	for (size_t i = 0; i < NPAIRS; i++) {
		good &= same_verdict(i, t, len);
		if (record_parse(t, len, &rec, &e) != 0)
			continue;
		if (policy_redact(
			keyed[i], rec, &reason, NULL, NULL, NULL, &e) == 0 &&
		    reason == POLICY_RELEASED) {
			buf_reset(&b);
			if (jsonio_canon(&b, rec, &e) == 0)
				for (size_t j = 0; j < NPAIRS; j++)
					good &= same_verdict(j, b.data, b.len);
		}
		json_decref(rec);
	}
	buf_free(&b);
	return good;
}

/* The line, and its canonical form when it is a record. */
static int
both_forms(const char *t, size_t len)
{
	struct ierr e = IERR_INIT;
	struct buf b = BUF_INIT;
	json_t *rec;
	int good;

	good = same_json(t, len) & same_record(t, len) & verdicts(t, len);
	if (record_parse(t, len, &rec, &e) == 0) {
		if (jsonio_canon(&b, rec, &e) == 0) {
			good &= same_json(b.data, b.len);
			good &= same_record(b.data, b.len);
			if (scan_json(b.data, b.len) != SCAN_OK ||
			    scan_record(b.data, b.len,
				&(struct scan_record){ 0 }, NULL,
				NULL) != SCAN_OK) {
				show("the canonical form is refused", b.data,
				    b.len);
				good = 0;
			}
			good &= verdicts(b.data, b.len);
		}
		json_decref(rec);
	}
	buf_free(&b);
	return good;
}

static void
setup(void)
{
	static const char *const files[][2] = {
		{ "redact/policy.yaml", "policy.yaml" },
		{ "redact/policy.psk", "policy.psk" },
		{ "agreements/trilateral.yaml", "trilateral.yaml" },
		{ "agreements/trilateral.psk", "trilateral.psk" },
	};
	char from[PATH_MAX], to[PATH_MAX];
	struct ierr e = IERR_INIT;

	if ((srcdir = getenv("top_srcdir")) == NULL)
		srcdir = ".";
	tmpdir = util_tmpdir("test-scan");
	for (size_t i = 0; i < 4; i++) {
		snprintf(from, sizeof from, "%s/tests/fixtures/%s", srcdir,
		    files[i][0]);
		snprintf(to, sizeof to, "%s/%s", tmpdir, files[i][1]);
		if (util_copy_file(from, to, 0600) != 0) {
			diag("copy %s", from);
			exit(99);
		}
	}
	secmem_init(&e);
	timeutil_parse("2026-11-26T05:00:00Z", &now);
	for (size_t i = 0; i < 2; i++) {
		snprintf(to, sizeof to, "%s/%s", tmpdir, files[2 * i][1]);
		if (agreement_load(to, &ags[i], &e) != 0) {
			diag("%s", e.msg);
			exit(99);
		}
	}
	for (size_t i = 0; i < NPAIRS; i++) {
		struct agreement *a = ags[pairs[i].agreement[0] == 't'];

		if (policy_new(a, pairs[i].from, pairs[i].to, now, POLICY_KEY,
			&keyed[i], &e) != 0 ||
		    policy_new(a, pairs[i].from, pairs[i].to, now, 0, &pols[i],
			&e) != 0) {
			diag("policy %s %s: %s", pairs[i].from, pairs[i].to,
			    e.msg);
			exit(99);
		}
		comps[i] = comply_new(pols[i]);
	}
}

static void
teardown(void)
{
	for (size_t i = 0; i < NPAIRS; i++) {
		comply_free(comps[i]);
		policy_free(pols[i]);
		policy_free(keyed[i]);
	}
	agreement_free(ags[0]);
	agreement_free(ags[1]);
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
test_suite(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 256];
	char **names = NULL;
	size_t n = 0, len, bad = 0, accepted = 0;
	struct dirent *de;
	char *text;
	DIR *d;

	snprintf(dir, sizeof dir,
	    "%s/tests/fixtures/json-test-suite/test_parsing", srcdir);
	if ((d = opendir(dir)) == NULL) {
		diag("%s", dir);
		exit(99);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (n + 1) * sizeof *names);
		names[n++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, namecmp);
	for (size_t i = 0; i < n; i++) {
		struct ierr e = IERR_INIT;
		struct buf b = BUF_INIT;
		json_t *v;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if ((text = util_read_file(path, &len)) == NULL) {
			diag("%s", path);
			exit(99);
		}
		if (!same_json(text, len) || !same_record(text, len)) {
			diag("in %s", names[i]);
			bad++;
		}
		/* Its canonical form, as a value and as a record's data. */
		if (jsonio_parse(text, len, &v, &e) == 0 &&
		    jsonio_canon(&b, v, &e) == 0) {
			accepted++;
			if (scan_json(b.data, b.len) != SCAN_OK) {
				diag("%s: canonical form refused", names[i]);
				bad++;
			}
			if (json_is_object(v)) {
				char *rec;
				size_t rl = b.len + 200;

				rec = malloc(rl);
				rl = (size_t)snprintf(rec, rl,
				    "{\"created\":"
				    "\"2026-11-01T09:30:00Z\",\"data\":%s,"
				    "\"id\":\"r1\",\"origin\":\"DE-BKA\","
				    "\"type\":\"person\",\"version\":1}",
				    b.data);
				if (!same_record(rec, rl) ||
				    !verdicts(rec, rl)) {
					diag("in %s as data", names[i]);
					bad++;
				}
				free(rec);
			}
		}
		json_decref(v);
		buf_free(&b);
		free(text);
		free(names[i]);
	}
	free(names);
	ok(n > 300, "JSONTestSuite: %zu files", n);
	ok(accepted > 50, "... %zu of them parse", accepted);
	is_int((long)bad, 0,
	    "... scanner and jansson agree on every one, "
	    "and on every canonical form");
}

/* Every line of every fixture file that starts with '{'. */
static void
fixtures_in(const char *dir, size_t *lines, size_t *bad)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	char *text, *p, *nl;
	size_t len;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' ||
		    strcmp(de->d_name, "json-test-suite") == 0)
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			fixtures_in(path, lines, bad);
			continue;
		}
		if (!S_ISREG(st.st_mode) || st.st_size > 4 << 20 ||
		    (text = util_read_file(path, &len)) == NULL)
			continue;
		for (p = text; p < text + len; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(text + len - p))) ==
			    NULL)
				nl = text + len;
			if (*p != '{')
				continue;
			(*lines)++;
			if (!both_forms(p, (size_t)(nl - p))) {
				diag("in %s", path);
				(*bad)++;
			}
		}
		free(text);
	}
	closedir(d);
}

static void
test_fixtures(void)
{
	char dir[PATH_MAX];
	size_t lines = 0, bad = 0;

	snprintf(dir, sizeof dir, "%s/tests/fixtures", srcdir);
	fixtures_in(dir, &lines, &bad);
	ok(lines > 30, "fixtures: %zu lines", lines);
	is_int((long)bad, 0,
	    "... scanner, compliance and jansson agree on "
	    "each, as it is and canonical");
}

#define ENV(data) \
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\"," \
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1," \
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"]," \
	"\"data\":" data "}"

/* The records of test-policy.c's cases (made canonical by both_forms). */
static const char *const policy_cases[] = {
	ENV("{\"keep\":{\"a\":[1,true,null,\"x\"],\"b\":{}}}"),
	ENV("{\"keep\":{\"k\":[1.25,\"x\"]},\"drop\":1,"
	    "\"pn\":[\"a\",3,{\"q\":\"b\",\"t\":true}],\"mask\":\"abcdefg\","
	    "\"mask0\":[\"x\",\"\xc3\xa9\xc3\xa9\"],\"year\":"
	    "\"2001-02-03T04:05:06Z\",\"month\":[\"2001-02-03\"],\"r2\":"
	    "[3.14159,2],\"r0\":{\"v\":0.5},\"list\":[[\"ab\"]],\"subject\":"
	    "{\"name\":\"N\xc3\xa4me\",\"passport\":\"P-1\",\"x\":null},"
	    "\"a\":{\"b\":{\"c\":1},\"z\":{\"c\":2}},\"nested\":{\"x\":{\"y\":1,"
	    "\"z\":2}},\"vehicles\":[{\"plate\":\"AB 1\",\"colour\":\"c\"}],"
	    "\"zz\":{\"secret\":1}}"),
	ENV("{\"pn\":\"pn:0123456789abcdef0123456789abcdef\"}"),
	ENV("{\"pn\":\"pn:0123456789ABCDEF0123456789abcdef\"}"),
	ENV("{\"pn\":\"clear\"}"),
	ENV("{\"pn\":12}"),
	ENV("{\"pn\":[]}"),
	ENV("{\"pn\":{\"a\":[],\"b\":{}}}"),
	ENV("{\"vehicles\":[{\"plate\":\"pn:0123456789abcdef0123456789abcdef\"},"
	    "{\"plate\":\"AB\"}]}"),
	ENV("{\"mask\":\"****\"}"),
	ENV("{\"mask\":\"***1234\"}"),
	ENV("{\"mask\":\"**\xc3\xa9\"}"),
	ENV("{\"mask\":\"1234\"}"),
	ENV("{\"mask\":\"*\\n**\"}"),
	ENV("{\"mask\":\"**\\n\\u001f*\"}"),
	ENV("{\"mask0\":[\"\",\"*\",\"**\"]}"),
	ENV("{\"year\":\"1999-01\"}"),
	ENV("{\"year\":\"1999\"}"),
	ENV("{\"year\":\"199x\"}"),
	ENV("{\"month\":\"1999-01\"}"),
	ENV("{\"month\":\"1999-13\"}"),
	ENV("{\"month\":\"1999-00\"}"),
	ENV("{\"month\":\"1999\"}"),
	ENV("{\"r2\":1.234}"),
	ENV("{\"r2\":1.23}"),
	ENV("{\"r2\":[1.5,7,-0.01,1e-7]}"),
	ENV("{\"r0\":{\"v\":2,\"w\":0.5}}"),
	ENV("{\"vehicles\":[]}"),
	ENV("{\"keep\":{}}"),
	ENV("{\"subject\":{\"x\":true}}"),
	ENV("{\"subject\":{\"name\":\"N\"}}"),
	ENV("{\"subject\":{\"passport\":\"pn:0123456789abcdef0123456789abcdef\","
	    "\"phone\":\"**89\"}}"),
	ENV("{\"keep\":{\"a.b\":1}}"),
	ENV("{\"keep\":[1,{\"x\":{\"y.z\":1}}]}"),
	ENV("{\"subject\":{\"passport.number\":\"**1X\"}}"),
	ENV("{\"keep\":{\"a\":1}}"),
	ENV("{\"keep\":{\"a\\nb\":1}}"),
	ENV("{\".\":\"Clear\",\"keep\":1}"),
	ENV("{\"nested\":{\"x\":{\"w\":1}}}"),
	ENV("{}"),
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"classification\":\"SECRET\",\"purposes\":[\"terrorism\"],"
	"\"data\":{}}",
	"{\"id\":\"pn:0123456789abcdef0123456789abcdef\",\"origin\":\"DE-BKA\","
	"\"type\":\"person\",\"created\":\"2026-11-01T09:30:00Z\","
	"\"version\":1,\"classification\":\"SECRET\",\"purposes\":"
	"[\"terrorism\"],\"data\":{}}",
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
	"\"received\":{\"from\":\"FR-DGSI\",\"bundle\":\"b\",\"at\":"
	"\"2026-11-02T00:00:00Z\"},\"data\":{}}",
	/* withholding, each reason */
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"ship\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
	"\"data\":{}}",
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"purposes\":[\"smuggling\"],\"data\":{}}",
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"classification\":\"TOP\",\"purposes\":[\"smuggling\"],"
	"\"data\":{}}",
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"fishing\","
	"\"smuggling\"],\"data\":{}}",
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"fishing\"],"
	"\"data\":{}}",
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
	"\"releasable_to\":[\"NL-KMAR\"],\"data\":{}}",
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
	"\"releasable_to\":[\"FR-DGSI\",\"NL-KMAR\",\"DE-BKA\"],"
	"\"data\":{}}",
	"{\"id\":\"r1\",\"origin\":\"NL-KMAR\",\"type\":\"person\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
	"\"releasable_to\":[\"FR-DGSI\",\"DE-BKA\"],\"data\":{}}",
	"{\"id\":\"r1\",\"origin\":\"FR-DGSI\",\"type\":\"person\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
	"\"data\":{}}",
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
	"\"expires\":\"2026-11-26T04:59:59Z\",\"data\":{}}",
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
	"\"expires\":\"2026-11-26T06:00:00+01:00\",\"data\":{}}",
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
	"\"expires\":\"2026-11-26T05:00:00.5Z\",\"data\":{}}",
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"pers\\u001fon\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
	"\"data\":{}}",
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":2,"
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
	"\"withdrawn\":true,\"data\":{}}",
};

static void
test_policy_cases(void)
{
	size_t bad = 0;
	unsigned long y = n_yes, no = n_no;

	for (size_t i = 0; i < sizeof policy_cases / sizeof policy_cases[0];
	     i++)
		if (!both_forms(policy_cases[i], strlen(policy_cases[i]))) {
			diag("policy case %zu", i);
			bad++;
		}
	is_int((long)bad, 0,
	    "policy cases: comply_line and policy_complies "
	    "agree under every rule, raw, canonical and redacted");
	ok(n_yes > y && n_no > no,
	    "... with both verdicts reached (%lu yes, "
	    "%lu no)",
	    n_yes - y, n_no - no);
}

/* Texts at the edges of SPEC 2: want is 1 for canonical. */
static const struct {
	const char *text;
	int want;
} edges[] = {
	{ "{}", 1 },
	{ "[]", 1 },
	{ "{ }", 0 },
	{ " {}", 0 },
	{ "{}\n", 0 },
	{ "0", 1 },
	{ "-0", 0 },
	{ "-1", 1 },
	{ "01", 0 },
	{ "1.0", 0 },
	{ "1.5", 1 },
	{ "1.50", 0 },
	{ "0.5", 1 },
	{ ".5", 0 },
	{ "1e2", 0 },
	{ "100", 1 },
	{ "1E-7", 0 },
	{ "1e-7", 1 },
	{ "1.5e-7", 1 },
	{ "0.000001", 1 },
	{ "1e-6", 0 },
	{ "1e+21", 0 },
	{ "8.68", 1 },
	{ "8.6799999999999997", 0 },
	{ "-0.0", 0 },
	{ "9223372036854775807", 1 },
	{ "9223372036854775808", 0 },
	{ "-9223372036854775808", 1 },
	{ "-9223372036854775809", 0 },
	{ "123456789012345680", 1 },
	{ "1e400", 0 },
	{ "1e-400", 0 },
	{ "1.7976931348623157e+308", 0 },
	{ "5e-324", 1 },
	{ "\"\"", 1 },
	{ "\"a\\/b\"", 0 },
	{ "\"\\u0041\"", 0 },
	{ "\"\\u001f\"", 1 },
	{ "\"\\u001F\"", 0 },
	{ "\"\\u0008\"", 0 },
	{ "\"\\b\\f\\n\\r\\t\\\"\\\\\"", 1 },
	{ "\"\\u0000\"", 0 },
	{ "\"\\u007f\"", 0 },
	{ "\"\x7f\"", 1 },
	{ "\"\xc3\xa9\"", 1 },
	{ "\"\\u00e9\"", 0 },
	{ "\"\xc0\x80\"", 0 },
	{ "\"\xed\xa0\x80\"", 0 },
	{ "\"\xef\xbf\xbf\"", 1 },
	{ "\"\xf4\x8f\xbf\xbf\"", 1 },
	{ "\"\xf4\x90\x80\x80\"", 0 },
	{ "\"\xe0\x9f\xbf\"", 0 },
	{ "\"\xf0\x8f\xbf\xbf\"", 0 },
	{ "\"\x80\"", 0 },
	{ "\"\xc3\"", 0 },
	{ "\"\\ud83d\\ude00\"", 0 },
	{ "\"\xf0\x9f\x98\x80\"", 1 },
	{ "\"\t\"", 0 },
	{ "\"\\t\"", 1 },
	{ "{\"a\":1,\"b\":2}", 1 },
	{ "{\"b\":1,\"a\":2}", 0 },
	{ "{\"a\":1,\"a\":2}", 0 },
	{ "{\"a\":1,\"ab\":2}", 1 },
	{ "{\"ab\":1,\"a\":2}", 0 },
	{ "{\"B\":1,\"a\":2}", 1 },
	{ "{\"\xc3\xa9\":1,\"z\":2}", 0 },
	{ "{\"z\":1,\"\xc3\xa9\":2}", 1 },
	{ "{\"\\n\":1,\"\\t\":2}", 0 },
	{ "{\"\\t\":1,\"\\n\":2}", 1 },
	{ "{\"\\u001f\":1,\" \":2}", 1 },
	{ "{\"a\\n\":1,\"a\":2}", 0 },
	{ "[1,2]", 1 },
	{ "[1,]", 0 },
	{ "[1 ,2]", 0 },
	{ "true", 1 },
	{ "tru", 0 },
	{ "null", 1 },
	{ "nul", 0 },
	{ "[true,false,null]", 1 },
	{ "", 0 },
	{ "[", 0 },
	{ "\"", 0 },
	{ "\"\\", 0 },
	{ "\"\\u00", 0 },
	{ "{\"a\"}", 0 },
	{ "{\"a\":}", 0 },
	{ "{\"a\":1", 0 },
};

static void
test_edges(void)
{
	size_t bad = 0;
	char *deep;

	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
		size_t len = strlen(edges[i].text);

		if (!same_json(edges[i].text, len) ||
		    (scan_json(edges[i].text, len) == SCAN_OK) !=
			edges[i].want) {
			diag("edge case %zu wants %d", i, edges[i].want);
			bad++;
		}
	}
	is_int((long)bad, 0,
	    "edge cases of SPEC 2: each as expected, and "
	    "as jansson + jsonio_canon say");
	/* Nesting: 512 levels are canonical, 513 are not. */
	deep = malloc(2 * 513 + 1);
	for (int n = 511; n <= 513; n++) {
		memset(deep, '[', (size_t)n);
		memset(deep + n, ']', (size_t)n);
		ok(same_json(deep, 2 * (size_t)n) &&
			(scan_json(deep, 2 * (size_t)n) == SCAN_OK) ==
			    (n <= JSONIO_MAX_DEPTH),
		    "%d levels of arrays: %s", n,
		    n <= JSONIO_MAX_DEPTH ? "canonical" : "refused");
	}
	free(deep);
	ok(scan_json("{\"a\":1}\0", 8) != SCAN_OK,
	    "a NUL byte after the "
	    "value");
}

/*
 * Numbers: random decimals of up to 20 digits, with and without a
 * fraction, leading zeros after the point and an exponent, each judged
 * by both paths (scan.c settles most reals without strtod).
 */
static void
test_numbers(void)
{
	char t[64], canon[JSONIO_NUMBER_MAX];
	size_t bad = 0, yes = 0, n, i;
	const char *vg = getenv("INTEL_VALGRIND");
	/* A tenth under valgrind, where each is a hundred times slower. */
	const int tries = vg != NULL && *vg != '\0' ? 20000 : 200000;

	for (int k = 0; k < tries; k++) {
		n = 0;
		if (util_rnd(2))
			t[n++] = '-';
		if (util_rnd(3) == 0)
			t[n++] = '0';
		else {
			t[n++] = (char)('1' + util_rnd(9));
			for (i = util_rnd(16); i > 0; i--)
				t[n++] = (char)('0' + util_rnd(10));
		}
		if (util_rnd(8) != 0) {
			t[n++] = '.';
			for (i = util_rnd(8); i > 0; i--)
				t[n++] = '0';
			for (i = 1 + util_rnd(17); i > 0; i--)
				t[n++] = (char)('0' + util_rnd(10));
		}
		if (util_rnd(6) == 0)
			n += (size_t)snprintf(t + n, sizeof t - n, "e%s%u",
			    util_rnd(2) ? "-" : "+", util_rnd(30));
		t[n] = '\0';
		if (!same_json(t, n))
			bad++;
		else if (scan_json(t, n) == SCAN_OK)
			yes++;
		/* the writer's own text of the same double must scan */
		jsonio_number(strtod(t, NULL), canon);
		if (fabs(strtod(t, NULL)) < 0x1p63 &&
		    scan_json(canon, strlen(canon)) != SCAN_OK) {
			diag("%s: jsonio_number writes %s, refused", t, canon);
			bad++;
		}
	}
	is_int((long)bad, 0,
	    "%d random numbers: scanner and jansson agree "
	    "(%zu canonical)",
	    tries, yes);
}

/* Every one-byte change of a few records. */
static void
test_mutations(void)
{
	static const char repl[] = { '"', '\\', ',', ':', '{', '}', '[', ']',
		'0', '1', '.', 'e', '-', ' ', 'a', 'z', '\x80', '\xc3', '*' };
	static const char *const base[] = {
		"{\"classification\":\"RESTRICTED\",\"created\":"
		"\"2026-11-01T09:30:00Z\",\"data\":{\"mask\":\"***4\","
		"\"pn\":[\"pn:0123456789abcdef0123456789abcdef\"],\"r2\":"
		"[1.5,-2],\"subject\":{\"dob\":\"1999\"},\"year\":\"2001\"},"
		"\"expires\":\"2027-01-01T00:00:00Z\",\"id\":\"r1\","
		"\"origin\":\"DE-BKA\",\"purposes\":[\"smuggling\"],"
		"\"releasable_to\":[\"FR-DGSI\"],\"type\":\"person\","
		"\"version\":12,\"withdrawn\":false}",
		"{\"created\":\"2026-11-01T09:30:00Z\",\"data\":{\"keep\":"
		"{\"a\":[1,true,null,\"x\\n\"],\"b\":{}}},\"id\":\"r1\","
		"\"origin\":\"DE-BKA\",\"received\":{\"at\":"
		"\"2026-11-02T00:00:00Z\",\"bundle\":\"b\",\"from\":"
		"\"FR-DGSI\"},\"type\":\"person\",\"version\":1}",
	};
	char line[1024];
	size_t bad = 0, tried = 0, len;

	for (size_t b = 0; b < sizeof base / sizeof base[0]; b++) {
		len = strlen(base[b]);
		ok(scan_record(base[b], len, &(struct scan_record){ 0 }, NULL,
		       NULL) == SCAN_OK,
		    "mutation base %zu is canonical", b);
		for (size_t i = 0; i < len; i++) {
			for (size_t j = 0; j < sizeof repl; j++) {
				if (base[b][i] == repl[j])
					continue;
				memcpy(line, base[b], len);
				line[i] = repl[j];
				tried++;
				if (!same_record(line, len) ||
				    !same_json(line, len))
					bad++;
				for (size_t k = 0; k < 2; k++)
					if (!same_verdict(k, line, len))
						bad++;
			}
			/* and with the byte removed */
			memcpy(line, base[b], i);
			memcpy(line + i, base[b] + i + 1, len - i - 1);
			tried++;
			if (!same_record(line, len - 1) ||
			    !same_verdict(0, line, len - 1))
				bad++;
		}
	}
	is_int(
	    (long)bad, 0, "%zu one-byte changes: every verdict agrees", tried);
}

/* The slices handed out. */
static void
test_slices(void)
{
	const char *line =
	    "{\"classification\":\"RESTRICTED\",\"created\":"
	    "\"2026-11-01T09:30:00Z\",\"data\":{\"a\":1},\"id\":\"r\\n1\","
	    "\"origin\":\"DE-BKA\",\"purposes\":[\"a\",\"b\\\\c\"],"
	    "\"type\":\"person\",\"version\":7}";
	struct scan_record r;
	const char *s;
	size_t len, pos = 0;
	int esc;

	ok(scan_record(line, strlen(line), &r, NULL, NULL) == SCAN_OK,
	    "slices: the record scans");
	ok(scan_plain(&r, SCAN_ORIGIN, &s, &len) && len == 6 &&
		memcmp(s, "DE-BKA", 6) == 0,
	    "origin is DE-BKA");
	ok(!scan_plain(&r, SCAN_ID, &s, &len), "an escaped id is not plain");
	ok(!scan_plain(&r, SCAN_EXPIRES, &s, &len), "an absent member");
	ok(r.version == 7 && !r.withdrawn, "version 7, not withdrawn");
	ok(r.m[SCAN_DATA].vlen == 7 &&
		memcmp(r.m[SCAN_DATA].value, "{\"a\":1}", 7) == 0,
	    "data's text");
	ok(r.m[SCAN_ID].mlen == 11 &&
		memcmp(r.m[SCAN_ID].member, "\"id\":\"r\\n1\"", 11) == 0,
	    "the id member's span");
	ok(scan_next_string(r.m[SCAN_PURPOSES].value, r.m[SCAN_PURPOSES].vlen,
	       &pos, &s, &len, &esc) &&
		len == 1 && *s == 'a' && !esc,
	    "first purpose a");
	ok(scan_next_string(r.m[SCAN_PURPOSES].value, r.m[SCAN_PURPOSES].vlen,
	       &pos, &s, &len, &esc) &&
		len == 4 && esc,
	    "second purpose escaped");
	ok(!scan_next_string(r.m[SCAN_PURPOSES].value, r.m[SCAN_PURPOSES].vlen,
	       &pos, &s, &len, &esc),
	    "no third");
	{
		char out[8];

		is_int((long)scan_unescape("b\\\\c\\u001f", 10, out), 4,
		    "unescape: 4 bytes");
		ok(memcmp(out, "b\\c\x1f", 4) == 0, "... the right ones");
	}
}

/*
 * test-scan --bench FILE AGREEMENT FROM TO: times both paths over every
 * line of FILE (canonical records, e.g. intel-redact's output), one
 * thread, and checks that they agree on each.  Not run by make check.
 */
static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
bench(const char *file, const char *agfile, const char *from, const char *to)
{
	struct ierr e = IERR_INIT;
	struct scan_record r;
	struct agreement *a;
	struct policy *p;
	struct comply *c;
	size_t len, fast = 0, scanned = 0, yes = 0, differ = 0;
	double t0, tj, ts, tv;
	char *text, *l, *nl, why[256];
	json_t *rec;
	int tree, pass;

	secmem_init(&e);
	if ((text = util_read_file(file, &len)) == NULL ||
	    agreement_load(agfile, &a, &e) != 0 ||
	    timeutil_now(&now, &e) != 0 ||
	    policy_new(a, from, to, now, 0, &p, &e) != 0) {
		fprintf(stderr, "bench: %s\n", e.msg[0] ? e.msg : file);
		return 1;
	}
	c = comply_new(p);
	for (pass = 0; pass < 3; pass++) {
		t0 = seconds();
		for (l = text; l < text + len; l = nl + 1) {
			nl = memchr(l, '\n', (size_t)(text + len - l));
			tree = tree_canonical(l, (size_t)(nl - l), 1, &rec) &&
			    policy_complies(p, rec, why, sizeof why);
			json_decref(rec);
			yes += tree;
		}
		tj = seconds() - t0;
		t0 = seconds();
		for (l = text; l < text + len; l = nl + 1) {
			nl = memchr(l, '\n', (size_t)(text + len - l));
			fast += comply_line(c, l, (size_t)(nl - l), &r) ==
			    COMPLY_YES;
		}
		ts = seconds() - t0;
		t0 = seconds();
		for (l = text; l < text + len; l = nl + 1) {
			nl = memchr(l, '\n', (size_t)(text + len - l));
			scanned += scan_record(l, (size_t)(nl - l), &r, NULL,
				       NULL) == SCAN_OK;
		}
		tv = seconds() - t0;
		printf("pass %d: %zu bytes; jansson parse + canon + "
		       "policy_complies %.3f s (%.0f MB/s); comply_line %.3f s "
		       "(%.0f MB/s, %.1fx); scan_record alone %.3f s "
		       "(%.0f MB/s)\n",
		    pass + 1, len, tj, len / tj / 1e6, ts, len / ts / 1e6,
		    tj / ts, tv, len / tv / 1e6);
	}
	for (l = text; l < text + len; l = nl + 1) {
		nl = memchr(l, '\n', (size_t)(text + len - l));
		tree = tree_canonical(l, (size_t)(nl - l), 1, &rec) &&
		    policy_complies(p, rec, why, sizeof why);
		json_decref(rec);
		if ((comply_line(c, l, (size_t)(nl - l), &r) == COMPLY_YES) !=
		    tree)
			differ++;
		if ((scan_record(l, (size_t)(nl - l), &r, NULL, NULL) ==
			SCAN_OK) !=
		    tree_canonical(l, (size_t)(nl - l), 1, NULL))
			differ++;
	}
	printf("per pass: %zu lines comply (jansson), %zu (comply_line), "
	       "%zu canonical (scan_record); %zu lines differ\n",
	    yes / 3, fast / 3, scanned / 3, differ);
	comply_free(c);
	policy_free(p);
	agreement_free(a);
	free(text);
	return differ != 0;
}

/* scan_paths against a walk of the tree as hits.c makes it. */
static int
leaf_path(void *arg, const char *path, size_t pathlen, const struct scan_val *v)
{
	struct buf *out = arg;

	leaf_write(out, path, pathlen, v);
	return 0;
}

static void
test_paths(void)
{
	static const char *const lines[] = {
		"{\"created\":\"2026-11-01T09:30:00Z\",\"data\":{\"a\":"
		"{\"b\":[1,{\"c\":\"pn:x\",\"d\":[[true]]},[]],\"e\":{}},"
		"\"f\\n\":null,\"g\":[{\"h\":1.5},{\"h\":\"x\\\"\"}]},"
		"\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
		"\"version\":1}",
		"{\"created\":\"2026-11-01T09:30:00Z\",\"data\":{},\"id\":"
		"\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
		"\"version\":1}",
	};
	struct ierr e = IERR_INIT;
	struct buf a = BUF_INIT, b = BUF_INIT, path = BUF_INIT;
	struct scan_record r;
	json_t *rec;

	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		buf_reset(&a);
		buf_reset(&b);
		buf_reset(&path);
		buf_adds(&a, "");
		buf_adds(&b, "");
		buf_adds(&path, "");
		if (record_parse(lines[i], strlen(lines[i]), &rec, &e) != 0) {
			ok(0, "paths %zu: the record parses", i);
			continue;
		}
		tree_paths(&a, &path, json_object_get(rec, "data"));
		json_decref(rec);
		ok(scan_paths(lines[i], strlen(lines[i]), &r, &path, leaf_path,
		       &b) == SCAN_OK,
		    "paths %zu: the record scans", i);
		is_str(b.data, a.data,
		    "paths %zu: every leaf with its path, "
		    "as hits.c renders them",
		    i);
	}
	buf_free(&a);
	buf_free(&b);
	buf_free(&path);
}

/* scan_rewrite against json_object_set + jsonio_canon. */
static void
test_rewrite(void)
{
	static const char *const lines[] = {
		"{\"created\":\"2026-11-01T09:30:00Z\",\"data\":{\"a\":1},"
		"\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
		"\"version\":1}",
		"{\"classification\":\"SECRET\",\"created\":"
		"\"2026-11-01T09:30:00Z\",\"data\":{},\"expires\":"
		"\"2027-01-01T00:00:00Z\",\"id\":\"r\\n1\",\"origin\":"
		"\"DE-BKA\",\"purposes\":[\"a\"],\"releasable_to\":[\"X\"],"
		"\"type\":\"person\",\"version\":3,\"withdrawn\":true}",
	};
	const char *set[SCAN_NMEMBERS];
	const char *recv = "{\"at\":\"2026-11-26T05:00:00Z\",\"bundle\":"
			   "\"b\\\"1\",\"from\":\"FR-DGSI\"}";
	struct ierr e = IERR_INIT;
	struct buf b = BUF_INIT, c = BUF_INIT;
	struct scan_record r;
	json_t *rec, *v;

	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		for (int k = 0; k < 3; k++) {
			memset(set, 0, sizeof set);
			if (scan_record(lines[i], strlen(lines[i]), &r, NULL,
				NULL) != SCAN_OK ||
			    record_parse(
				lines[i], strlen(lines[i]), &rec, &e) != 0) {
				ok(0, "rewrite %zu: the line scans", i);
				continue;
			}
			set[SCAN_RECEIVED] = recv;
			jsonio_parse(recv, strlen(recv), &v, &e);
			json_object_set_new(rec, "received", v);
			if (k > 0) {
				set[SCAN_EXPIRES] = "\"2026-12-01T00:00:00Z\"";
				json_object_set_new(rec, "expires",
				    json_string("2026-12-01T00:00:00Z"));
			}
			if (k > 1) {
				set[SCAN_ID] = "\"pn:x\"";
				json_object_set_new(
				    rec, "id", json_string("pn:x"));
			}
			buf_reset(&b);
			buf_reset(&c);
			scan_rewrite(&b, &r, set);
			jsonio_canon(&c, rec, &e);
			is_str(b.data, c.data,
			    "rewrite %zu, %d members set: "
			    "the bytes jsonio_canon writes",
			    i, k + 1);
			json_decref(rec);
		}
	}
	buf_free(&b);
	buf_free(&c);
}

int
main(int argc, char **argv)
{
	if (argc == 6 && strcmp(argv[1], "--bench") == 0)
		return bench(argv[2], argv[3], argv[4], argv[5]);
	setup();
	test_edges();
	test_slices();
	test_rewrite();
	test_paths();
	test_policy_cases();
	test_fixtures();
	test_suite();
	test_mutations();
	test_numbers();
	diag("comply_line: %lu checks, %lu yes, %lu no, %lu unsure", n_cmp,
	    n_yes, n_no, n_unsure);
	is_int((long)mismatches, 0, "no difference between the paths at all");
	teardown();
	done_testing();
}
