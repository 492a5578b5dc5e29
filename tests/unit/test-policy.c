/*
 * Unit tests for common/policy.c: every field action on strings, numbers,
 * dates, arrays, nested arrays, Unicode, missing values and wrong types;
 * rule specificity; each withholding reason; the third-party rule both
 * ways; ids; pseudonyms checked against an independent HMAC (gcry_mac);
 * idempotence and the compliance check intel-sign and intel-verify use.
 *
 * The agreement is tests/fixtures/redact/policy.yaml, copied with its key
 * into a temporary folder so that the key can have mode 0600.
 */
#include "config.h"

#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gcrypt.h>

#include "agreement.h"
#include "buf.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "policy.h"
#include "record.h"
#include "secmem.h"
#include "tap.h"
#include "timeutil.h"
#include "util.h"

static const char *tmpdir;
static char *psk;
static size_t psklen;
static struct agreement *ag;
static int64_t now;

/* The envelope every test record gets unless it brings its own. */
#define ENV(data) \
	"{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\"," \
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1," \
	"\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"]," \
	"\"data\":" data "}"

static void
setup(void)
{
	const char *src = getenv("top_srcdir");
	char from[PATH_MAX], to[PATH_MAX];
	struct ierr e = IERR_INIT;

	if (src == NULL)
		src = ".";
	tmpdir = util_tmpdir("test-policy");
	snprintf(
	    from, sizeof from, "%s/tests/fixtures/redact/policy.yaml", src);
	snprintf(to, sizeof to, "%s/policy.yaml", tmpdir);
	ok(util_copy_file(from, to, 0644) == 0, "copy the agreement");
	snprintf(from, sizeof from, "%s/tests/fixtures/redact/policy.psk", src);
	snprintf(to, sizeof to, "%s/policy.psk", tmpdir);
	ok(util_copy_file(from, to, 0600) == 0 &&
		(psk = util_read_file(to, &psklen)) != NULL,
	    "copy the key");
	secmem_init(&e);
	snprintf(to, sizeof to, "%s/policy.yaml", tmpdir);
	if (!ok(agreement_load(to, &ag, &e) == 0, "load the agreement")) {
		diag("%s", e.msg);
		exit(99);
	}
	timeutil_parse("2026-11-26T05:00:00Z", &now);
}

static void
teardown(void)
{
	free(psk);
	agreement_free(ag);
}

static struct policy *
mkpolicy(const char *from, const char *to, int flags)
{
	struct ierr e = IERR_INIT;
	struct policy *p = NULL;

	if (policy_new(ag, from, to, now, flags, &p, &e) != 0)
		diag("policy_new: %s", e.msg);
	return p;
}

/* Independent pseudonym: gcry_mac HMAC-SHA256 over msg as given. */
static void
expect_pn(const char *msg, char out[POLICY_PN_LEN])
{
	gcry_mac_hd_t h;
	unsigned char mac[32];
	size_t len = sizeof mac;

	gcry_mac_open(&h, GCRY_MAC_HMAC_SHA256, 0, NULL);
	gcry_mac_setkey(h, psk, psklen);
	gcry_mac_write(h, msg, strlen(msg));
	gcry_mac_read(h, mac, &len);
	gcry_mac_close(h);
	memcpy(out, "pn:", 3);
	for (int i = 0; i < 16; i++)
		snprintf(out + 3 + 2 * i, 3, "%02x", mac[i]);
}

/*
 * Redacts one record; returns the canonical text of what is released
 * (a static buffer), "withheld:REASON", or "error:STATUS".
 */
static struct policy_stats stats;

static const char *
redact(struct policy *p, const char *text)
{
	static struct buf out = BUF_INIT;
	struct ierr e = IERR_INIT;
	json_t *rec;
	int reason, rc;

	buf_reset(&out);
	if (record_parse(text, strlen(text), &rec, &e) != 0) {
		diag("bad test record: %s", e.msg);
		return "error:parse";
	}
	rc = policy_redact(p, rec, &reason, &stats, NULL, NULL, &e);
	if (rc != 0)
		buf_printf(&out, "error:%d", rc);
	else if (reason != POLICY_RELEASED)
		buf_printf(&out, "withheld:%s", policy_reason_name(reason));
	else
		jsonio_canon(&out, rec, &e);
	json_decref(rec);
	return out.data;
}

/* The released data member only. */
static const char *
data_of(struct policy *p, const char *text)
{
	static char d[8192];
	const char *r = redact(p, text), *s, *end;

	if ((s = strstr(r, "\"data\":")) == NULL)
		return r;
	s += 7;
	/* data is followed by ,"id": in canonical order */
	if ((end = strstr(s, ",\"id\":")) == NULL)
		return r;
	snprintf(d, sizeof d, "%.*s", (int)(end - s), s);
	return d;
}

static void
test_actions(struct policy *p)
{
	char want[512], pn1[POLICY_PN_LEN], pn2[POLICY_PN_LEN];

	/* keep, drop, default deny */
	is_str(
	    data_of(p, ENV("{\"keep\":{\"a\":[1,true,null,\"x\"],\"b\":{}}}")),
	    "{\"keep\":{\"a\":[1,true,null,\"x\"],\"b\":{}}}",
	    "keep releases a subtree unchanged, booleans and nulls too");
	is_str(data_of(p, ENV("{\"drop\":\"x\",\"keep\":1}")), "{\"keep\":1}",
	    "drop removes the member");
	is_str(data_of(p, ENV("{\"unknown\":\"x\",\"keep\":1}")),
	    "{\"keep\":1}", "a member no rule matches is dropped");
	is_str(data_of(p, ENV("{\"unknown\":\"x\"}")), "{}",
	    "data itself stays, empty");

	/* pseudonymise */
	expect_pn("ABCD", pn1);
	snprintf(want, sizeof want, "{\"pn\":\"%s\"}", pn1);
	is_str(data_of(p, ENV("{\"pn\":\"ab-c d\"}")), want,
	    "pseudonymise: a-z upper-cased, spaces and hyphens removed");
	is_str(data_of(p, ENV("{\"pn\":\"A B--CD\"}")), want,
	    "pseudonymise: the same identifier written otherwise collides");
	expect_pn("\xc3\xa9X\xc3\xa9\t_", pn1);
	snprintf(want, sizeof want, "{\"pn\":\"%s\"}", pn1);
	is_str(data_of(p, ENV("{\"pn\":\"\xc3\xa9-x \xc3\xa9\\t_\"}")), want,
	    "pseudonymise: only a-z change; other characters stay as bytes");
	expect_pn("42", pn1);
	snprintf(want, sizeof want, "{\"pn\":\"%s\"}", pn1);
	is_str(data_of(p, ENV("{\"pn\":42}")), want,
	    "pseudonymise: an integer by its canonical text");
	expect_pn("8.68", pn1);
	snprintf(want, sizeof want, "{\"pn\":\"%s\"}", pn1);
	is_str(data_of(p, ENV("{\"pn\":8.680}")), want,
	    "pseudonymise: a real by its canonical text");
	expect_pn("1.5e-7", pn1);
	snprintf(want, sizeof want, "{\"pn\":\"%s\"}", pn1);
	is_str(data_of(p, ENV("{\"pn\":15E-8}")), want,
	    "pseudonymise: 15E-8 as 1.5e-7");
	is_str(
	    data_of(p, ENV("{\"pn\":\"pn:0123456789abcdef0123456789abcdef\"}")),
	    "{\"pn\":\"pn:0123456789abcdef0123456789abcdef\"}",
	    "pseudonymise: a pseudonym stays");
	expect_pn("PN:0123456789ABCDEF0123456789ABCDEF", pn1);
	snprintf(want, sizeof want, "{\"pn\":\"%s\"}", pn1);
	is_str(
	    data_of(p, ENV("{\"pn\":\"pn:0123456789ABCDEF0123456789ABCDEF\"}")),
	    want, "pseudonymise: upper-case hex is no pseudonym");
	memset(&stats, 0, sizeof stats);
	expect_pn("A", pn1);
	expect_pn("B", pn2);
	snprintf(
	    want, sizeof want, "{\"pn\":{\"l\":[\"%s\",[\"%s\"]]}}", pn1, pn2);
	is_str(data_of(p,
		   ENV("{\"pn\":{\"l\":[\"a\",true,[\"b\",null]],"
		       "\"t\":false,\"e\":[null]}}")),
	    want,
	    "pseudonymise on an object: strings inside, booleans and nulls "
	    "dropped, emptied arrays removed");
	is_int(stats.unfit, 4, "those four drops counted as unfit");
	is_int(stats.values[AG_PSEUDONYMISE], 2, "two values pseudonymised");
	is_str(data_of(p, ENV("{\"pn\":true,\"keep\":1}")), "{\"keep\":1}",
	    "pseudonymise: a boolean is dropped");
	is_str(data_of(p, ENV("{\"pn\":{},\"keep\":1}")),
	    "{\"keep\":1,\"pn\":{}}",
	    "pseudonymise: an object empty in the input stays");

	/* mask */
	is_str(data_of(p, ENV("{\"mask\":\"+49 170 1234567\"}")),
	    "{\"mask\":\"***********4567\"}", "mask:4 keeps the last 4");
	is_str(data_of(p, ENV("{\"mask\":\"***********4567\"}")),
	    "{\"mask\":\"***********4567\"}", "mask:4 is idempotent");
	is_str(data_of(p, ENV("{\"mask\":\"1234\"}")), "{\"mask\":\"****\"}",
	    "mask:4 on 4 characters: all stars");
	is_str(data_of(p, ENV("{\"mask\":\"ab\"}")), "{\"mask\":\"**\"}",
	    "mask:4 on 2 characters: all stars");
	is_str(data_of(p, ENV("{\"mask\":\"\"}")), "{\"mask\":\"\"}",
	    "mask:4 on the empty string");
	is_str(data_of(p,
		   ENV("{\"mask\":\"M\xc3\xbcller-L\xc3\xbc"
		       "d\xc3\xa9nsch\xc3\xa9id\xc3\xa9\"}")),
	    "{\"mask\":\"***************\xc3\xa9id\xc3\xa9\"}",
	    "mask counts Unicode characters, not bytes");
	is_str(data_of(p,
		   ENV("{\"mask\":\"ab\xf0\x9f\x98\x80\xe2\x82\xac"
		       "cd\"}")),
	    "{\"mask\":\"**\xf0\x9f\x98\x80\xe2\x82\xac"
	    "cd\"}",
	    "mask: emoji and euro sign are one character each");
	is_str(data_of(p,
		   ENV("{\"mask\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		       "\xc3\xa9\"}")),
	    "{\"mask\":\"*\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}",
	    "mask: five two-byte characters");
	is_str(data_of(p, ENV("{\"mask\":1234567,\"keep\":1}")), "{\"keep\":1}",
	    "mask: a number is dropped");
	is_str(data_of(p, ENV("{\"mask0\":\"secret\"}")),
	    "{\"mask0\":\"******\"}", "mask:0 stars everything");
	is_str(data_of(p, ENV("{\"list\":[\"abc\",\"de\",true,[\"xyz\",7]]}")),
	    "{\"list\":[\"**c\",\"*e\",[\"**z\"]]}",
	    "mask on an array of strings and a nested array");

	/* generalise */
	is_str(data_of(p, ENV("{\"year\":\"1980-04-12\"}")),
	    "{\"year\":\"1980\"}", "generalise:year on a date");
	is_str(data_of(p, ENV("{\"year\":\"1980-04\"}")), "{\"year\":\"1980\"}",
	    "generalise:year on a month");
	is_str(data_of(p, ENV("{\"year\":\"1980\"}")), "{\"year\":\"1980\"}",
	    "generalise:year leaves a bare year");
	is_str(data_of(p, ENV("{\"year\":\"1980-12-31T23:30:00-02:00\"}")),
	    "{\"year\":\"1980\"}",
	    "generalise:year on a time, offset not "
	    "applied");
	is_str(
	    data_of(p,
		ENV("{\"year\":[\"2024-02-29\",\"2023-02-29\","
		    "\"1980-13\",\"12.04.1980\",\"1980-04-12 10:00\",1980,\"198\","
		    "\"1980-04-12T25:00:00Z\"]}")),
	    "{\"year\":[\"2024\"]}",
	    "generalise:year drops what is not a calendar date");
	is_str(data_of(p, ENV("{\"month\":\"1980-04-12T10:00:00Z\"}")),
	    "{\"month\":\"1980-04\"}", "generalise:month on a time");
	is_str(data_of(p, ENV("{\"month\":\"1980-04\"}")),
	    "{\"month\":\"1980-04\"}", "generalise:month is idempotent");
	is_str(data_of(p, ENV("{\"month\":\"1980\",\"keep\":1}")),
	    "{\"keep\":1}", "generalise:month drops a bare year");

	/* round */
	is_str(
	    data_of(p, ENV("{\"r2\":50.110924}")), "{\"r2\":50.11}", "round:2");
	is_str(data_of(p, ENV("{\"r2\":8.675}")), "{\"r2\":8.68}",
	    "round:2 as printf rounds the binary value (8.675 is above)");
	is_str(data_of(p, ENV("{\"r2\":1.005}")), "{\"r2\":1}",
	    "round:2 as printf rounds the binary value of 1.005");
	is_str(data_of(p, ENV("{\"r2\":[7,-3,123456789.987654,0.001,-0.004]}")),
	    "{\"r2\":[7,-3,123456789.99,0,0]}",
	    "round:2: integers unchanged, tiny "
	    "values become 0");
	is_str(data_of(p, ENV("{\"r0\":[2.5,3.5,-0.4,1.5e-7]}")),
	    "{\"r0\":[2,4,0,0]}", "round:0 rounds half to even as printf");
	is_str(data_of(p, ENV("{\"r2\":\"50.110924\",\"keep\":1}")),
	    "{\"keep\":1}", "round: a string is dropped");
}

static void
test_paths(struct policy *p)
{
	char want[512], pn[POLICY_PN_LEN];

	is_str(data_of(p, ENV("{\"subject\":\"whole\"}")),
	    "{\"subject\":\"whole\"}", "subject: keep on a string");
	expect_pn("X1234", pn);
	snprintf(want, sizeof want,
	    "{\"subject\":{\"name\":\"********ng\","
	    "\"passport\":\"%s\"}}",
	    pn);
	is_str(data_of(p,
		   ENV("{\"subject\":{\"name\":\"Zhang Ming\","
		       "\"passport\":\"x-1234\"}}")),
	    want, "subject.passport beats subject.*, which beats subject");
	is_str(data_of(p,
		   ENV("{\"subject\":{\"secret\":\"abcd\"},"
		       "\"other\":{\"secret\":1}}")),
	    "{\"subject\":{\"secret\":\"**cd\"}}",
	    "subject.* beats *.secret (a name beats * from the left)");
	is_str(data_of(p,
		   ENV("{\"a\":{\"b\":{\"c\":1,\"d\":2},"
		       "\"x\":{\"c\":3,\"d\":4}}}")),
	    "{\"a\":{\"x\":{\"c\":3}}}",
	    "a.b.* beats a.*.c; a.x.d matches nothing");
	is_str(data_of(p, ENV("{\"a\":{\"b\":{\"c\":1}}}")), "{}",
	    "objects emptied by drops are removed");
	is_str(data_of(p,
		   ENV("{\"nested\":{\"x\":{\"y\":1,\"z\":[{}]},"
		       "\"w\":[]}}")),
	    "{\"nested\":{\"w\":[],\"x\":{\"z\":[{}]}}}",
	    "a deeper drop inside a kept subtree; input empties stay");
	is_str(data_of(p,
		   ENV("{\"nested\":[{\"x\":{\"y\":1}},{\"x\":[{\"y\":"
		       "2,\"q\":3}]}]}")),
	    "{\"nested\":[{\"x\":[{\"q\":3}]}]}",
	    "rules below arrays apply to each element, nested arrays too");
	is_str(data_of(p,
		   ENV("{\"nested.x\":1,\"nested\":{\"x.y\":2,"
		       "\"z\":3}}")),
	    "{\"nested\":{\"z\":3}}",
	    "a member name holding a dot is no path's segment: dropped "
	    "(SPEC 2)");
}

static void
test_arrays(struct policy *p)
{
	char want[1024], a[POLICY_PN_LEN], b[POLICY_PN_LEN], c[POLICY_PN_LEN];

	expect_pn("FAB123", a);
	expect_pn("MXY9", b);
	expect_pn("7", c);
	snprintf(want, sizeof want,
	    "{\"vehicles\":[{\"owner\":{\"name\":"
	    "\"Ann\"},\"plate\":\"%s\"},{\"plate\":\"%s\"},[{\"plate\":[\"%s\"]}]"
	    "]}",
	    a, b, c);
	is_str(
	    data_of(p,
		ENV("{\"vehicles\":[{\"plate\":\"F-AB 123\","
		    "\"colour\":\"red\",\"owner\":{\"name\":\"Ann\",\"dob\":\"1970\"}},"
		    "{\"plate\":\"m-xy 9\"},{\"colour\":\"blue\"},\"loose\","
		    "[{\"plate\":[7,false]}]]}")),
	    want, "vehicles.plate on each element of an array of objects");
	is_str(data_of(p,
		   ENV("{\"vehicles\":[{\"colour\":\"blue\"}],"
		       "\"keep\":1}")),
	    "{\"keep\":1}", "an array emptied by drops is removed");
	is_str(data_of(p, ENV("{\"vehicles\":[],\"keep\":1}")), "{\"keep\":1}",
	    "an empty array no rule matches is dropped");
	is_str(data_of(p, ENV("{\"keep\":[[],{}],\"mask\":[[],{}]}")),
	    "{\"keep\":[[],{}],\"mask\":[[],{}]}",
	    "empty arrays and objects of the input stay under keep and mask");
}

static void
test_withhold(void)
{
	struct policy *p = mkpolicy("DE-BKA", "FR-DGSI", POLICY_KEY);
	struct policy *q = mkpolicy("DE-BKA", "NL-KMAR", POLICY_KEY);
	char why[256];
	json_t *rec;
	struct ierr e = IERR_INIT;

#define R(env) \
	"{\"id\":\"r1\",\"created\":\"2026-11-01T09:30:00Z\"," \
	"\"version\":1,\"data\":{\"keep\":1}," env "}"
	is_str(redact(p,
		   R("\"origin\":\"DE-BKA\",\"type\":\"event\","
		     "\"classification\":\"SECRET\",\"purposes\":[\"x\"]")),
	    "withheld:type", "type first");
	is_str(redact(p,
		   R("\"origin\":\"DE-BKA\",\"type\":\"person\","
		     "\"purposes\":[\"smuggling\"]")),
	    "withheld:classification", "no classification");
	is_str(
	    redact(p,
		R("\"origin\":\"DE-BKA\",\"type\":\"person\","
		  "\"classification\":\"restricted\",\"purposes\":[\"smuggling\"]")),
	    "withheld:classification", "a classification not in the scale");
	is_str(
	    redact(p,
		R("\"origin\":\"DE-BKA\",\"type\":\"person\","
		  "\"classification\":\"SECRET\",\"purposes\":[\"smuggling\"]")),
	    "withheld:classification", "above the ceiling");
	is_str(redact(p,
		   R("\"origin\":\"DE-BKA\",\"type\":\"vehicle\","
		     "\"classification\":\"CONFIDENTIAL\",\"purposes\":"
		     "[\"smuggling\"]")),
	    "{\"classification\":\"CONFIDENTIAL\","
	    "\"created\":\"2026-11-01T09:30:00Z\",\"data\":{\"keep\":1},"
	    "\"id\":\"r1\",\"origin\":\"DE-BKA\",\"purposes\":[\"smuggling\"],"
	    "\"type\":\"vehicle\",\"version\":1}",
	    "at the ceiling: released");
	is_str(redact(p,
		   R("\"origin\":\"DE-BKA\",\"type\":\"person\","
		     "\"classification\":\"RESTRICTED\"")),
	    "withheld:purpose", "no purposes");
	is_str(redact(p,
		   R("\"origin\":\"DE-BKA\",\"type\":\"person\","
		     "\"classification\":\"RESTRICTED\",\"purposes\":[]")),
	    "withheld:purpose", "an empty purpose list");
	is_str(
	    redact(p,
		R("\"origin\":\"DE-BKA\",\"type\":\"person\","
		  "\"classification\":\"RESTRICTED\",\"purposes\":[\"terrorism\"]")),
	    "withheld:purpose", "a purpose the rule does not allow");
	is_str(
	    redact(p,
		R("\"origin\":\"DE-BKA\",\"type\":\"person\","
		  "\"classification\":\"RESTRICTED\",\"purposes\":[\"terrorism\","
		  "\"trafficking\"],\"releasable_to\":[\"NL-KMAR\"]")),
	    "withheld:releasable_to", "recipient not in releasable_to");
	ok(strncmp(
	       redact(p,
		   R("\"origin\":\"DE-BKA\",\"type\":\"person\","
		     "\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
		     "\"releasable_to\":[\"NL-KMAR\",\"FR-DGSI\"]")),
	       "{", 1) == 0,
	    "recipient in releasable_to: released");
	is_str(
	    redact(p,
		R("\"origin\":\"NL-KMAR\",\"type\":\"person\","
		  "\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
		  "\"releasable_to\":[\"FR-DGSI\"]")),
	    "withheld:third_party",
	    "third_party deny: another origin is withheld even if releasable");
	ok(strncmp(
	       redact(q,
		   R("\"origin\":\"FR-DGSI\",\"type\":\"person\","
		     "\"classification\":\"SECRET\",\"purposes\":[\"terrorism\"],"
		     "\"releasable_to\":[\"NL-KMAR\"]")),
	       "{", 1) == 0,
	    "third_party if-releasable: released when the recipient is listed");
	is_str(
	    redact(q,
		R("\"origin\":\"FR-DGSI\",\"type\":\"person\","
		  "\"classification\":\"SECRET\",\"purposes\":[\"terrorism\"]")),
	    "withheld:third_party",
	    "third_party if-releasable: withheld without releasable_to");
	is_str(
	    redact(q,
		R("\"origin\":\"FR-DGSI\",\"type\":\"person\","
		  "\"classification\":\"SECRET\",\"purposes\":[\"terrorism\"],"
		  "\"releasable_to\":[\"DE-BKA\"]")),
	    "withheld:releasable_to",
	    "third_party if-releasable: a list without the recipient");
	/* No partner speaks for the recipient's own records (SPEC 3). */
	is_str(
	    redact(q,
		R("\"origin\":\"NL-KMAR\",\"type\":\"person\","
		  "\"classification\":\"SECRET\",\"purposes\":[\"terrorism\"],"
		  "\"releasable_to\":[\"NL-KMAR\"]")),
	    "withheld:third_party",
	    "the recipient's own record is withheld, releasable or not");
	is_str(redact(q,
		   "{\"id\":\"nl-1\",\"created\":\"2026-11-01T09:30:00Z\","
		   "\"version\":999,\"withdrawn\":true,\"data\":{},"
		   "\"origin\":\"NL-KMAR\",\"type\":\"person\","
		   "\"classification\":\"SECRET\",\"purposes\":[\"terrorism\"],"
		   "\"releasable_to\":[\"NL-KMAR\"]}"),
	    "withheld:third_party", "so is a recall of it");
	is_str(
	    redact(q,
		R("\"origin\":\"NL-KMAR\",\"type\":\"person\","
		  "\"classification\":\"SECRET\",\"purposes\":[\"terrorism\"],"
		  "\"releasable_to\":[\"NL-KMAR\"],"
		  "\"expires\":\"2020-01-01T00:00:00Z\"")),
	    "withheld:third_party", "third_party is checked before expired");
	is_str(
	    redact(q,
		R("\"origin\":\"NL-KMAR\",\"type\":\"person\","
		  "\"classification\":\"SECRET\",\"purposes\":[\"terrorism\"],"
		  "\"releasable_to\":[\"FR-DGSI\"]")),
	    "withheld:releasable_to",
	    "releasable_to is checked before third_party");
	record_parse(
	    R("\"origin\":\"NL-KMAR\",\"type\":\"person\","
	      "\"classification\":\"SECRET\",\"purposes\":[\"terrorism\"],"
	      "\"releasable_to\":[\"NL-KMAR\"]"),
	    strlen(
		R("\"origin\":\"NL-KMAR\",\"type\":\"person\","
		  "\"classification\":\"SECRET\",\"purposes\":[\"terrorism\"],"
		  "\"releasable_to\":[\"NL-KMAR\"]")),
	    &rec, &e);
	ok(!policy_complies(q, rec, why, sizeof why),
	    "the recipient's own "
	    "record does not comply (sign and verify refuse it)");
	is_str(why, "withheld: third_party", "and says why");
	json_decref(rec);
	is_str(
	    redact(p,
		R("\"origin\":\"DE-BKA\",\"type\":\"person\","
		  "\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
		  "\"expires\":\"2026-11-26T04:59:59Z\"")),
	    "withheld:expired", "expired one second before now");
	ok(strncmp(
	       redact(p,
		   R("\"origin\":\"DE-BKA\",\"type\":\"person\","
		     "\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
		     "\"expires\":\"2026-11-26T05:00:00Z\"")),
	       "{", 1) == 0,
	    "expires at now: released");
	is_str(
	    redact(p,
		R("\"origin\":\"DE-BKA\",\"type\":\"person\","
		  "\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
		  "\"expires\":\"2026-11-26T06:59:59+02:00\"")),
	    "withheld:expired", "expires with an offset, applied");
	/* Compliance gives the same reason. */
	record_parse(
	    R("\"origin\":\"DE-BKA\",\"type\":\"person\","
	      "\"classification\":\"SECRET\",\"purposes\":[\"smuggling\"]"),
	    strlen(R(
		"\"origin\":\"DE-BKA\",\"type\":\"person\","
		"\"classification\":\"SECRET\",\"purposes\":[\"smuggling\"]")),
	    &rec, &e);
	ok(!policy_complies(p, rec, why, sizeof why),
	    "a withheld record does "
	    "not comply");
	is_str(why, "withheld: classification", "and says why");
	json_decref(rec);
#undef R
	policy_free(p);
	policy_free(q);
}

static void
test_envelope(void)
{
	struct policy *p = mkpolicy("DE-BKA", "FR-DGSI", POLICY_KEY);
	struct policy *q = mkpolicy("DE-BKA", "NL-KMAR", POLICY_KEY);
	char want[1024], pn[POLICY_PN_LEN], pid[POLICY_PN_LEN];
	const char
	    *rec = "{\"id\":\"ru-inn-5920040846\",\"origin\":\"DE-BKA\","
		   "\"type\":\"person\",\"created\":\"2026-11-01T09:30:00Z\","
		   "\"version\":3,\"classification\":\"SECRET\",\"purposes\":"
		   "[\"terrorism\"],\"expires\":\"2027-01-01T00:00:00Z\","
		   "\"received\":{\"from\":\"FR-DGSI\",\"bundle\":\"b\",\"at\":"
		   "\"2026-11-02T00:00:00Z\"},\"data\":{\"subject\":{\"name\":"
		   "\"Ann Lee\",\"dob\":\"1970\"},\"notes\":\"x\",\"n\":1.50}}";

	expect_pn("ru-inn-5920040846", pid);
	expect_pn("ANNLEE", pn);
	snprintf(want, sizeof want,
	    "{\"classification\":\"SECRET\","
	    "\"created\":\"2026-11-01T09:30:00Z\",\"data\":{\"n\":1.5,"
	    "\"subject\":{\"dob\":\"1970\",\"name\":\"%s\"}},\"expires\":"
	    "\"2027-01-01T00:00:00Z\",\"id\":\"%s\",\"origin\":\"DE-BKA\","
	    "\"purposes\":[\"terrorism\"],\"type\":\"person\",\"version\":3}",
	    pn, pid);
	is_str(redact(q, rec), want,
	    "ids: pseudonymise hashes the id's exact "
	    "text; received never travels; the envelope passes");
	is_str(redact(q, want), want, "a pseudonymised id stays");
	is_str(
	    redact(p,
		"{\"id\":\"r9\",\"origin\":\"DE-BKA\",\"type\":"
		"\"person\",\"created\":\"2026-11-01T09:30:00Z\",\"version\":2,"
		"\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
		"\"withdrawn\":true,\"data\":{}}"),
	    "{\"classification\":"
	    "\"RESTRICTED\",\"created\":\"2026-11-01T09:30:00Z\",\"data\":{},"
	    "\"id\":\"r9\",\"origin\":\"DE-BKA\",\"purposes\":[\"smuggling\"],"
	    "\"type\":\"person\",\"version\":2,\"withdrawn\":true}",
	    "a withdrawn record passes with its empty data");
	policy_free(p);
	policy_free(q);
}

/* Redacting released output again gives the same bytes. */
static void
test_idempotence(void)
{
	struct policy *p = mkpolicy("DE-BKA", "FR-DGSI", POLICY_KEY);
	struct policy *c = mkpolicy("DE-BKA", "FR-DGSI", 0);
	const char *in = ENV(
	    "{\"keep\":{\"k\":[1.25,\"x\"]},\"drop\":1,"
	    "\"pn\":[\"a\",3,{\"q\":\"b\",\"t\":true}],\"mask\":\"abcdefg\","
	    "\"mask0\":[\"x\",\"\xc3\xa9\xc3\xa9\"],\"year\":"
	    "\"2001-02-03T04:05:06Z\",\"month\":[\"2001-02-03\"],\"r2\":"
	    "[3.14159,2],\"r0\":{\"v\":0.5},\"list\":[[\"ab\"]],\"subject\":"
	    "{\"name\":\"N\xc3\xa4me\",\"passport\":\"P-1\",\"x\":null},"
	    "\"a\":{\"b\":{\"c\":1},\"z\":{\"c\":2}},\"nested\":{\"x\":{\"y\":1,"
	    "\"z\":2}},\"vehicles\":[{\"plate\":\"AB 1\",\"colour\":\"c\"}],"
	    "\"zz\":{\"secret\":1}}");
	char first[4096], why[256];
	struct ierr e = IERR_INIT;
	json_t *rec;

	snprintf(first, sizeof first, "%s", redact(p, in));
	ok(first[0] == '{', "the mixed record is released");
	is_str(redact(p, first), first,
	    "redacting the output again changes "
	    "nothing");
	record_parse(first, strlen(first), &rec, &e);
	ok(policy_complies(c, rec, why, sizeof why),
	    "the output complies "
	    "(checked without a key)");
	is_str(why, "", "with no reason");
	json_decref(rec);
	record_parse(in, strlen(in), &rec, &e);
	ok(!policy_complies(c, rec, why, sizeof why), "the input does not");
	is_str(why, "drop: drop would change it", "the first offending path");
	json_decref(rec);
	policy_free(p);
	policy_free(c);
}

static void
complies(
    struct policy *c, const char *text, const char *want_why, const char *desc)
{
	struct ierr e = IERR_INIT;
	char why[256];
	json_t *rec;
	int r;

	if (record_parse(text, strlen(text), &rec, &e) != 0) {
		ok(0, "%s (bad record: %s)", desc, e.msg);
		return;
	}
	r = policy_complies(c, rec, why, sizeof why);
	if (want_why == NULL)
		ok(r == 1, "%s", desc);
	else {
		ok(r == 0, "%s", desc);
		is_str(why, want_why, "%s: why", desc);
	}
	json_decref(rec);
}

static void
test_complies(void)
{
	struct policy *c = mkpolicy("DE-BKA", "FR-DGSI", 0);
	struct policy *n = mkpolicy("DE-BKA", "NL-KMAR", 0);
	struct ierr e = IERR_INIT;
	json_t *rec;
	int reason;
	const char *in = ENV("{\"pn\":\"clear\"}");

	complies(c, ENV("{\"pn\":\"pn:0123456789abcdef0123456789abcdef\"}"),
	    NULL, "a pseudonym under pseudonymise complies");
	complies(c, ENV("{\"pn\":\"clear\"}"),
	    "pn: pseudonymise would change "
	    "it",
	    "a clear value under pseudonymise does not");
	complies(c, ENV("{\"pn\":12}"), "pn: pseudonymise would change it",
	    "a number under pseudonymise does not");
	complies(c,
	    ENV("{\"vehicles\":[{\"plate\":\"pn:0123456789abcdef01234"
		"56789abcdef\"},{\"plate\":\"AB\"}]}"),
	    "vehicles[1].plate: pseudonymise would change it",
	    "the path names the array position");
	complies(
	    c, ENV("{\"mask\":\"****\"}"), NULL, "a masked value complies");
	complies(c, ENV("{\"mask\":\"1234\"}"), "mask: mask:4 would change it",
	    "four clear characters under mask:4 do not");
	complies(c, ENV("{\"year\":\"1999-01\"}"),
	    "year: generalise:year would change it", "generalise");
	complies(
	    c, ENV("{\"r2\":1.234}"), "r2: round:2 would change it", "round");
	complies(c, ENV("{\"vehicles\":[]}"),
	    "vehicles: default deny would "
	    "change it",
	    "an empty array no rule keeps");
	complies(c, ENV("{\"keep\":{}}"), NULL, "an empty object under keep");
	complies(c, ENV("{\"subject\":{\"x\":true}}"),
	    "subject.x: mask:2 would change it", "a boolean under mask");
	complies(n,
	    "{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	    "\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	    "\"classification\":\"SECRET\",\"purposes\":[\"terrorism\"],"
	    "\"data\":{}}",
	    "id: not a pseudonym",
	    "ids: pseudonymise needs a "
	    "pseudonym id");
	complies(c,
	    "{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	    "\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,"
	    "\"classification\":\"RESTRICTED\",\"purposes\":[\"smuggling\"],"
	    "\"received\":{\"from\":\"FR-DGSI\",\"bundle\":\"b\",\"at\":"
	    "\"2026-11-02T00:00:00Z\"},\"data\":{}}",
	    "received: never travels",
	    "a record with received does not comply");
	/* Without a key, a redaction that needs a pseudonym fails closed. */
	record_parse(in, strlen(in), &rec, &e);
	is_int(policy_redact(c, rec, &reason, NULL, NULL, NULL, &e),
	    EXIT_CONFIG, "no key: redact refuses to pseudonymise");
	json_decref(rec);
	policy_free(c);
	policy_free(n);
}

static void
test_new(void)
{
	struct ierr e = IERR_INIT;
	struct policy *p = NULL;
	char path[PATH_MAX];

	is_int(policy_new(ag, "FR-DGSI", "NL-KMAR", now, 0, &p, &e),
	    EXIT_CONFIG, "no rule for the pair: EXIT_CONFIG");
	ok(strstr(e.msg, "no release rule from FR-DGSI to NL-KMAR") != NULL,
	    "the message names the pair");
	is_int(policy_new(ag, "DE-BKA", "XX-NONE", now, 0, &p, &e), EXIT_CONFIG,
	    "a recipient that is no party");
	is_int(policy_new(ag, "XX-NONE", "DE-BKA", now, 0, &p, &e), EXIT_CONFIG,
	    "a sender that is no party");
	p = mkpolicy("FR-DGSI", "DE-BKA", 0);
	ok(p != NULL, "a rule without from matches any sender");
	policy_free(p);
	snprintf(path, sizeof path, "%s/policy.psk", tmpdir);
	chmod(path, 0640);
	is_int(policy_new(ag, "DE-BKA", "FR-DGSI", now, POLICY_KEY, &p, &e),
	    EXIT_NOPERM, "a key readable by the group: EXIT_NOPERM");
	p = mkpolicy("DE-BKA", "FR-DGSI", 0);
	ok(p != NULL, "without POLICY_KEY the key is not read");
	policy_free(p);
	p = mkpolicy("NL-KMAR", "DE-BKA", POLICY_KEY);
	ok(p != NULL, "a rule that does not pseudonymise reads no key");
	policy_free(p);
	unlink(path);
	is_int(policy_new(ag, "DE-BKA", "FR-DGSI", now, POLICY_KEY, &p, &e),
	    EXIT_CONFIG, "a missing key: EXIT_CONFIG");
	util_copy_file("/dev/null", path, 0600);
	is_int(policy_new(ag, "DE-BKA", "FR-DGSI", now, POLICY_KEY, &p, &e),
	    EXIT_CONFIG, "an empty key: EXIT_CONFIG");
	snprintf(path, sizeof path, "%s/policy.psk", tmpdir);
	util_write_file(path, psk, psklen, 0600);
	is_str(policy_reason_name(POLICY_THIRD_PARTY), "third_party",
	    "reason names");
	ok(policy_reason_name(POLICY_NREASONS) == NULL &&
		policy_reason_name(POLICY_RELEASED) == NULL,
	    "no name past them");
}

static struct buf told = BUF_INIT;

static void
on_value(void *arg, const char *path, const char *rule, const char *action,
    const char *outcome)
{
	(void)arg;
	buf_printf(&told, "%s|%s|%s|%s\n", path ? path : "(id)",
	    rule ? rule : "-", action, outcome);
}

static void
test_explain(void)
{
	struct policy *p = mkpolicy("DE-BKA", "FR-DGSI", POLICY_KEY);
	struct ierr e = IERR_INIT;
	const char *in = ENV(
	    "{\"keep\":{\"a\":[1,{}]},\"zz\":1,\"mask\":true,"
	    "\"vehicles\":[{\"plate\":\"pn:0123456789abcdef0123456789abcdef\","
	    "\"c\":2}],\"year\":\"1990-01-01\",\"r2\":1}");
	json_t *rec;
	int reason;

	record_parse(in, strlen(in), &rec, &e);
	policy_redact(p, rec, &reason, NULL, on_value, NULL, &e);
	is_str(told.data,
	    "keep.a[0]|keep|keep|kept\n"
	    "keep.a[1]|keep|keep|kept\n"
	    "zz|-|drop|dropped\n"
	    "mask|mask|mask:4|dropped: a boolean cannot be masked\n"
	    "vehicles[0].plate|vehicles.plate|pseudonymise|unchanged\n"
	    "vehicles[0].c|-|drop|dropped\n"
	    "year|year|generalise:year|generalised\n"
	    "r2|r2|round:2|unchanged\n",
	    "explain names every value's path, "
	    "rule, action and outcome, never a value");
	json_decref(rec);
	buf_free(&told);
	policy_free(p);
}

/*
 * SPEC 2: a member name with a dot is one no agreement path can address
 * (a rule on subject.passport would not reach "passport.number"); it is
 * dropped with everything below it, whatever rule matches its parent, and
 * counted once as unfit.
 */
#define DOTTED "a name with \".\" no path can address"

static void
test_dotted(void)
{
	struct policy *p = mkpolicy("DE-BKA", "FR-DGSI", POLICY_KEY);
	struct policy *q = mkpolicy("DE-BKA", "NL-KMAR", POLICY_KEY);
	struct policy *c = mkpolicy("DE-BKA", "FR-DGSI", 0);
	char want[512], pn1[POLICY_PN_LEN];

	memset(&stats, 0, sizeof stats);
	is_str(data_of(p,
		   ENV("{\"keep\":{\"a.b\":{\"c\":\"Clear\",\"d\":[1]},"
		       "\"e\":1}}")),
	    "{\"keep\":{\"e\":1}}",
	    "keep: a dotted member is dropped with all below it");
	is_int(stats.values[AG_DROP], 1, "... counted once as dropped");
	is_int(stats.unfit, 1, "... and once as unfit");
	is_str(data_of(p,
		   ENV("{\"keep\":[{\"a.b\":\"Clear\"},2,"
		       "[{\"x.\":1}]]}")),
	    "{\"keep\":[2]}", "inside arrays, at any depth; emptied shells go");
	is_str(data_of(p,
		   ENV("{\"subject\":{\"passport.number\":\"C01X\"},"
		       "\"r0\":1}")),
	    "{\"r0\":1}",
	    "subject.\"passport.number\" is "
	    "neither masked by subject.* nor kept by subject");
	is_str(data_of(p,
		   ENV("{\"nested\":{\"x.y\":\"Clear\",\"x\":{\"y.z\":"
		       "\"Clear\",\"w\":1}}}")),
	    "{\"nested\":{\"x\":{\"w\":1}}}", "beside and below deeper rules");
	expect_pn("X", pn1);
	snprintf(want, sizeof want, "{\"pn\":{\"c\":\"%s\"}}", pn1);
	is_str(data_of(p, ENV("{\"pn\":{\"a.b\":\"Clear\",\"c\":\"x\"}}")),
	    want, "under a transform on an object");
	expect_pn("A", pn1);
	snprintf(want, sizeof want, "{\"subject\":{\"name\":\"%s\"}}", pn1);
	is_str(data_of(q,
		   ENV("{\"a.b\":\"Clear\",\"subject\":{\"name.x\":"
		       "\"Clear\",\"name\":\"a\"}}")),
	    want, "a `*` rule does not match a dotted name either");
	is_str(data_of(p, ENV("{\".\":\"Clear\",\"keep\":1}")), "{\"keep\":1}",
	    "a name that is only a dot");

	complies(c, ENV("{\"keep\":{\"a.b\":1}}"), "keep.\"a.b\": " DOTTED,
	    "a dotted member does not comply");
	complies(c, ENV("{\"keep\":[1,{\"x\":{\"y.z\":1}}]}"),
	    "keep[1].x.\"y.z\": " DOTTED, "nor one deep in an array");
	complies(c, ENV("{\"subject\":{\"passport.number\":\"**1X\"}}"),
	    "subject.\"passport.number\": " DOTTED,
	    "nor one that looks "
	    "transformed");
	complies(c, ENV("{\"keep\":{\"a\":1}}"), NULL,
	    "the same without the "
	    "dot complies");
	policy_free(p);
	policy_free(q);
	policy_free(c);
}

static void
test_dotted_explain(void)
{
	struct policy *p = mkpolicy("DE-BKA", "FR-DGSI", POLICY_KEY);
	struct ierr e = IERR_INIT;
	const char *in = ENV(
	    "{\"keep\":{\"a.b\":{\"c\":1},\"d\":2},"
	    "\"subject\":{\"passport.number\":\"x\"},\"q.\\\"\":1}");
	json_t *rec;
	int reason;

	buf_reset(&told);
	record_parse(in, strlen(in), &rec, &e);
	policy_redact(p, rec, &reason, NULL, on_value, NULL, &e);
	is_str(told.data,
	    "keep.\"a.b\"|keep|keep|dropped: " DOTTED "\n"
	    "keep.d|keep|keep|kept\n"
	    "subject.\"passport.number\"|subject|keep|dropped: " DOTTED "\n"
	    "\"q.\\\"\"|-|drop|dropped: " DOTTED "\n",
	    "explain shows a dotted member once, quoted, with its parent's "
	    "rule");
	json_decref(rec);
	buf_free(&told);
	policy_free(p);
}

int
main(void)
{
	struct policy *p;

	setup();
	p = mkpolicy("DE-BKA", "FR-DGSI", POLICY_KEY);
	if (!ok(p != NULL, "a policy for DE-BKA to FR-DGSI"))
		return done_testing();
	test_actions(p);
	test_paths(p);
	test_arrays(p);
	policy_free(p);
	test_withhold();
	test_envelope();
	test_idempotence();
	test_complies();
	test_new();
	test_explain();
	test_dotted();
	test_dotted_explain();
	teardown();
	return done_testing();
}
