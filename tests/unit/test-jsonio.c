#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>

#include "buf.h"
#include "err.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "tap.h"
#include "util.h"

static double
from_bits(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof d);
	return d;
}

static uint64_t
to_bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof u);
	return u;
}

/* Canonical form of a text, or NULL; the caller frees. */
static char *
canon_text(const char *text, size_t len, int *status, char *msg, size_t msz)
{
	struct ierr e = IERR_INIT;
	struct buf b = BUF_INIT;
	json_t *v;
	int rc;

	rc = jsonio_parse(text, len, &v, &e);
	if (status != NULL)
		*status = rc;
	if (msg != NULL)
		snprintf(msg, msz, "%s", e.msg);
	if (rc != 0)
		return NULL;
	rc = jsonio_canon(&b, v, &e);
	json_decref(v);
	if (rc != 0) {
		if (status != NULL)
			*status = rc;
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

static char *
canon_str(const char *text)
{
	return canon_text(text, strlen(text), NULL, NULL, 0);
}

/* ---------------------------------------------------------------- */

struct numcase {
	double d;
	const char *want;
};

static void
test_number_table(void)
{
	static const struct numcase cases[] = {
		{ 8.68, "8.68" },
		{ -8.68, "-8.68" },
		{ 50.110924, "50.110924" },
		{ -50.110924, "-50.110924" },
		{ 1.0, "1" },
		{ -1.0, "-1" },
		{ 0.0, "0" },
		{ -0.0, "0" },
		{ 0.1, "0.1" },
		{ 0.3, "0.3" },
		{ -0.5, "-0.5" },
		{ 4.50, "4.5" },
		{ 2e-3, "0.002" },
		{ 100.0, "100" },
		{ 123.456, "123.456" },
		{ 3.14159, "3.14159" },
		{ 1234567.0, "1234567" },
		{ 1e20, "100000000000000000000" },
		{ 1e21, "1e+21" },
		{ -1e21, "-1e+21" },
		{ 1.1e21, "1.1e+21" },
		{ 1e22, "1e+22" },
		{ 1e30, "1e+30" },
		{ 1e-5, "0.00001" },
		{ 1e-6, "0.000001" },
		{ 0.000001, "0.000001" },
		{ 0.0000012, "0.0000012" },
		{ 0.000001234, "0.000001234" },
		{ 1e-7, "1e-7" },
		{ -1e-7, "-1e-7" },
		{ 1.5e-7, "1.5e-7" },
		{ 0.0000001234, "1.234e-7" },
		{ 123e-20, "1.23e-18" },
		{ 1e-27, "1e-27" },
		{ 5e-324, "5e-324" },
		{ -5e-324, "-5e-324" },
		{ 2.2250738585072014e-308, "2.2250738585072014e-308" },
		{ 2.225073858507201e-308, "2.225073858507201e-308" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ -1.7976931348623157e308, "-1.7976931348623157e+308" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ 123456789012345680000.0, "123456789012345680000" },
		{ 9007199254740992.0, "9007199254740992" },
		{ -9007199254740992.0, "-9007199254740992" },
		{ 9223372036854775808.0, "9223372036854776000" },
		{ -9223372036854775808.0, "-9223372036854776000" },
		{ 295147905179352825856.0, "295147905179352830000" },
		{ 333333333.33333329, "333333333.3333333" },
		{ 1424953923781206.25, "1424953923781206.2" },
		{ 999999999999999868928.0, "999999999999999900000" },
		/* 2^534: 16 digits, from the decimal just above it */
		{ 0x1p534, "5.623642243178996e+160" },
		{ 0x1p-1074, "5e-324" },
	};
	/* RFC 8785 appendix B, given as bit patterns. */
	static const struct {
		uint64_t bits;
		const char *want;
	} rfc[] = {
		{ 0x0000000000000000ULL, "0" },
		{ 0x8000000000000000ULL, "0" },
		{ 0x0000000000000001ULL, "5e-324" },
		{ 0x8000000000000001ULL, "-5e-324" },
		{ 0x7fefffffffffffffULL, "1.7976931348623157e+308" },
		{ 0xffefffffffffffffULL, "-1.7976931348623157e+308" },
		{ 0x4340000000000000ULL, "9007199254740992" },
		{ 0xc340000000000000ULL, "-9007199254740992" },
		{ 0x4430000000000000ULL, "295147905179352830000" },
		{ 0x44b52d02c7e14af5ULL, "9.999999999999997e+22" },
		{ 0x44b52d02c7e14af6ULL, "1e+23" },
		{ 0x44b52d02c7e14af7ULL, "1.0000000000000001e+23" },
		{ 0x444b1ae4d6e2ef4eULL, "999999999999999700000" },
		{ 0x444b1ae4d6e2ef4fULL, "999999999999999900000" },
		{ 0x444b1ae4d6e2ef50ULL, "1e+21" },
		{ 0x3eb0c6f7a0b5ed8cULL, "9.999999999999997e-7" },
		{ 0x3eb0c6f7a0b5ed8dULL, "0.000001" },
		{ 0x41b3de4355555553ULL, "333333333.3333332" },
		{ 0x41b3de4355555554ULL, "333333333.33333325" },
		{ 0x41b3de4355555555ULL, "333333333.3333333" },
		{ 0x41b3de4355555556ULL, "333333333.3333334" },
		{ 0x41b3de4355555557ULL, "333333333.33333343" },
		{ 0xbecbf647612f3696ULL, "-0.0000033333333333333333" },
		{ 0x43143ff3c1cb0959ULL, "1424953923781206.2" },
	};
	char out[JSONIO_NUMBER_MAX];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		jsonio_number(cases[i].d, out);
		is_str(out, cases[i].want, "number %.17g -> %s", cases[i].d,
		    cases[i].want);
	}
	for (i = 0; i < sizeof rfc / sizeof rfc[0]; i++) {
		jsonio_number(from_bits(rfc[i].bits), out);
		is_str(out, rfc[i].want, "RFC 8785 %016llx -> %s",
		    (unsigned long long)rfc[i].bits, rfc[i].want);
	}
}

/*
 * Reference for the digit count: the smallest p for which the p-digit
 * decimal nearest d, or one of its two neighbours, reads back to d.
 */
static int
ref_digits(double d)
{
	char t[64], dig[32], c[64], *s;
	long long m;
	int p, k, ex, delta;

	for (p = 1; p <= 17; p++) {
		snprintf(t, sizeof t, "%.*e", p - 1, d);
		if (strtod(t, NULL) == d)
			return p;
		k = 0;
		for (s = t; *s != 'e'; s++)
			if (*s >= '0' && *s <= '9')
				dig[k++] = *s;
		dig[k] = '\0';
		ex = atoi(s + 1);
		m = atoll(dig);
		for (delta = -1; delta <= 1; delta += 2) {
			snprintf(
			    c, sizeof c, "%llde%d", m + delta, ex - (p - 1));
			if (strtod(c, NULL) == d)
				return p;
		}
	}
	return 17;
}

/* Significant digits in a jsonio_number text. */
static int
out_digits(const char *s)
{
	int n = 0, lead = 1, zeros = 0;

	for (; *s != '\0' && *s != 'e'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (lead && *s == '0')
			continue;
		lead = 0;
		if (*s == '0')
			zeros++;
		else {
			n += zeros + 1;
			zeros = 0;
		}
	}
	return n;
}

static void
test_number_roundtrip(void)
{
	char out[JSONIO_NUMBER_MAX];
	int i, tried = 0, bad = 0, shortbad = 0, shorttried = 0;
	double d, back;

	for (i = 0; i < 100000; i++) {
		d = from_bits(util_rand());
		if (!isfinite(d))
			continue;
		tried++;
		jsonio_number(d, out);
		back = strtod(out, NULL);
		if (to_bits(back) != to_bits(d) && !(d == 0 && back == 0)) {
			if (bad++ < 5)
				diag("%016llx -> %s does not read back",
				    (unsigned long long)to_bits(d), out);
		}
		if (strlen(out) >= JSONIO_NUMBER_MAX)
			bad++;
		if (i % 10 == 0) {
			shorttried++;
			if (out_digits(out) != ref_digits(fabs(d)) &&
			    shortbad++ < 5)
				diag("%.17g -> %s is not the shortest", d, out);
		}
	}
	ok(bad == 0 && tried > 99000, "%d random doubles read back bitwise",
	    tried);
	ok(shortbad == 0, "%d random doubles have the fewest digits",
	    shorttried);

	/* Decimals with few digits (the fast path), and their neighbours. */
	bad = shortbad = 0;
	for (i = 0; i < 12000; i++) {
		char t[64];

		snprintf(t, sizeof t, "%llde%d",
		    (long long)(util_rand() >> (11 + util_rand() % 53)),
		    (int)(util_rand() % 40) - 30);
		d = strtod(t, NULL);
		if (i % 3 == 1)
			d = nextafter(d, INFINITY);
		else if (i % 3 == 2)
			d = nextafter(d, 0);
		if (d == 0 || !isfinite(d))
			continue;
		jsonio_number(d, out);
		if (strtod(out, NULL) != d && bad++ < 5)
			diag("%s -> %s does not read back", t, out);
		if (out_digits(out) != ref_digits(d) && shortbad++ < 5)
			diag("%.17g -> %s is not the shortest", d, out);
	}
	ok(bad == 0 && shortbad == 0,
	    "12000 short decimals and neighbours "
	    "read back and are shortest");

	/* Every power of two, subnormals included, and some integers. */
	bad = shortbad = 0;
	for (i = -1074; i <= 1023; i++) {
		d = ldexp(1, i);
		jsonio_number(d, out);
		if (strtod(out, NULL) != d)
			bad++;
		if (out_digits(out) != ref_digits(d) && shortbad++ < 5)
			diag("2^%d -> %s is not the shortest", i, out);
	}
	ok(bad == 0 && shortbad == 0,
	    "every power of two reads back and is "
	    "shortest");

	bad = 0;
	for (i = 0; i < 20000; i++) {
		d = (double)(int64_t)(util_rand() >> (util_rand() % 64));
		jsonio_number(d, out);
		if (strtod(out, NULL) != d || strchr(out, '.') != NULL ||
		    (fabs(d) < 1e21 && strchr(out, 'e') != NULL))
			if (bad++ < 5)
				diag("%.17g -> %s", d, out);
	}
	ok(bad == 0, "integral doubles are written as plain digits");
}

/* ---------------------------------------------------------------- */

static void
string_is(const char *s, size_t len, const char *want, const char *name)
{
	struct buf b = BUF_INIT;

	jsonio_string(&b, s, len);
	is_str(b.data, want, "string: %s", name);
	ok(b.len == strlen(want), "string: %s: length", name);
	buf_free(&b);
}

static void
test_strings(void)
{
	struct buf b = BUF_INIT, want = BUF_INIT;
	char s[64];
	int c, pos, bad;

	string_is("", 0, "\"\"", "empty");
	string_is("abc", 3, "\"abc\"", "plain");
	string_is("a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"",
	    "quote, backslash, "
	    "slash not escaped");
	string_is("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"", "short escapes");
	string_is("\x01\x1f\x0b", 3, "\"\\u0001\\u001f\\u000b\"",
	    "other controls as lower-case \\u00xx");
	string_is("a\0b", 3, "\"a\\u0000b\"", "NUL when given a length");
	string_is("\x7f", 1, "\"\x7f\"", "DEL raw");
	string_is("\xe2\x80\xa8\xe2\x80\xa9", 6, "\"\xe2\x80\xa8\xe2\x80\xa9\"",
	    "U+2028 and U+2029 raw");
	string_is("M\xc3\xbcller \xf0\x9f\x98\x80", 12,
	    "\"M\xc3\xbcller \xf0\x9f\x98\x80\"", "non-ASCII raw");
	string_is("0123456789abcdefghij\n0123456789abcdefghij\"", 42,
	    "\"0123456789abcdefghij\\n0123456789abcdefghij\\\"\"",
	    "escapes after long runs");

	/* Every byte at every position of a 40-byte string. */
	bad = 0;
	for (c = 0; c < 256; c++) {
		for (pos = 0; pos < 40; pos++) {
			memset(s, 'x', 40);
			s[pos] = (char)c;
			buf_reset(&b);
			buf_reset(&want);
			jsonio_string(&b, s, 40);
			buf_addc(&want, '"');
			buf_add(&want, s, pos);
			if (c == '"' || c == '\\') {
				buf_addc(&want, '\\');
				buf_addc(&want, (char)c);
			} else if (c == '\b')
				buf_adds(&want, "\\b");
			else if (c == '\f')
				buf_adds(&want, "\\f");
			else if (c == '\n')
				buf_adds(&want, "\\n");
			else if (c == '\r')
				buf_adds(&want, "\\r");
			else if (c == '\t')
				buf_adds(&want, "\\t");
			else if (c < 0x20)
				buf_printf(&want, "\\u%04x", c);
			else
				buf_addc(&want, (char)c);
			buf_add(&want, s + pos + 1, 40 - pos - 1);
			buf_addc(&want, '"');
			if (b.len != want.len ||
			    memcmp(b.data, want.data, b.len) != 0) {
				if (bad++ < 5)
					diag("byte %02x at %d: %s", c, pos,
					    b.data);
			}
		}
	}
	ok(bad == 0, "every byte at every position of a string");

	/* Appends, keeps earlier content, stays NUL-terminated. */
	buf_reset(&b);
	buf_adds(&b, "x=");
	jsonio_string(&b, "\n", 1);
	is_str(b.data, "x=\"\\n\"", "jsonio_string appends");

	/* A long string of nothing but escapes. */
	buf_reset(&b);
	{
		char big[3000];

		memset(big, '\x01', sizeof big);
		jsonio_string(&b, big, sizeof big);
		ok(b.len == 2 + 6 * sizeof big &&
			strncmp(b.data + 1, "\\u0001\\u0001", 12) == 0 &&
			b.data[b.len] == '\0',
		    "3000 control bytes escaped");
	}
	buf_free(&b);
	buf_free(&want);
}

/* ---------------------------------------------------------------- */

static void
canon_is(const char *text, const char *want, const char *name)
{
	char *got = canon_str(text);

	is_str(got, want, "canon: %s", name);
	free(got);
}

static void
test_canon(void)
{
	struct buf b = BUF_INIT, want = BUF_INIT;
	struct ierr e = IERR_INIT;
	json_t *v, *inner, *a, *x;
	char key[32];
	int i, j, rc;

	canon_is("{ \"b\" : 1 , \"a\" : [ true , false , null ] }",
	    "{\"a\":[true,false,null],\"b\":1}", "white space and order");
	canon_is("{\"aa\":1,\"a\":2,\"ab\":3,\"\":4,\"A\":5}",
	    "{\"\":4,\"A\":5,\"a\":2,\"aa\":1,\"ab\":3}", "prefix order");
	/* UTF-8 byte order: U+FF61 before U+1F600 (UTF-16 order is the
	 * other way round), DEL before e-acute. */
	canon_is("{\"\xf0\x9f\x98\x80\":1,\"\xef\xbd\xa1\":2,\"\xc3\xa9\":3,"
		 "\"a\":4,\"\\u007f\":5,\"A\":6}",
	    "{\"A\":6,\"a\":4,\"\x7f\":5,\"\xc3\xa9\":3,\"\xef\xbd\xa1\":2,"
	    "\"\xf0\x9f\x98\x80\":1}",
	    "non-ASCII keys in UTF-8 byte order");
	canon_is("{\"\\ud83d\\ude00\":1,\"\\uff61\":2}",
	    "{\"\xef\xbd\xa1\":2,\"\xf0\x9f\x98\x80\":1}",
	    "escaped keys sort by their UTF-8 bytes");
	canon_is("[1.0, -0.0, 8.68, 1e2, 1E-7, 0.000001, 12345678901234567]",
	    "[1,0,8.68,100,1e-7,0.000001,12345678901234567]", "numbers");
	canon_is("[9223372036854775807,-9223372036854775808]",
	    "[9223372036854775807,-9223372036854775808]", "integer limits");
	canon_is("[9.2e18, -9223372036854775808.0, 1e-400]",
	    "[9200000000000000000,-9223372036854776000,0]",
	    "reals inside the 64-bit range; underflow is 0");
	canon_is("\"\\u00e9\\u2028\\/\\u001F\"",
	    "\"\xc3\xa9\xe2\x80\xa8/\\u001f\"", "escapes undone or lowered");
	canon_is("{\"k\":{}, \"l\":[], \"m\":\"\"}",
	    "{\"k\":{},\"l\":[],\"m\":\"\"}", "empty containers");
	canon_is("  42 \n", "42", "a bare number");

	/* Many keys (qsort path) and nested objects that outgrow the
	 * inline member array while outer members wait. */
	v = json_object();
	for (i = 49; i >= 0; i--) {
		inner = json_object();
		for (j = 0; j < 30; j++) {
			snprintf(key, sizeof key, "i%02d", (j * 7) % 30);
			json_object_set_new(inner, key, json_integer(j));
		}
		snprintf(key, sizeof key, "k%02d", (i * 13) % 50);
		json_object_set_new(v, key, inner);
	}
	buf_addc(&want, '{');
	for (i = 0; i < 50; i++) {
		buf_printf(&want, "%s\"k%02d\":{", i ? "," : "", i);
		for (j = 0; j < 30; j++) {
			int src = 0;

			while ((src * 7) % 30 != j)
				src++;
			buf_printf(
			    &want, "%s\"i%02d\":%d", j ? "," : "", j, src);
		}
		buf_addc(&want, '}');
	}
	buf_addc(&want, '}');
	buf_adds(&b, "prefix ");
	rc = jsonio_canon(&b, v, &e);
	ok(rc == 0 && strncmp(b.data, "prefix ", 7) == 0 &&
		strcmp(b.data + 7, want.data) == 0,
	    "50 objects of 30 keys each, sorted, appended");
	json_decref(v);

	/* canon refuses nesting beyond JSONIO_MAX_DEPTH, writes nothing. */
	v = a = json_array();
	for (i = 1; i < JSONIO_MAX_DEPTH; i++) {
		x = json_array();
		json_array_append_new(a, x);
		a = x;
	}
	buf_reset(&b);
	buf_adds(&b, "keep");
	err_clear(&e);
	rc = jsonio_canon(&b, v, &e);
	ok(rc == 0 && b.len == 4 + 2 * JSONIO_MAX_DEPTH,
	    "canon writes %d nested arrays", JSONIO_MAX_DEPTH);
	x = json_object();
	json_array_append_new(a, x);
	buf_reset(&b);
	buf_adds(&b, "keep");
	rc = jsonio_canon(&b, v, &e);
	is_int(
	    rc, EXIT_DATAERR, "canon refuses %d levels", JSONIO_MAX_DEPTH + 1);
	is_str(b.data, "keep", "canon leaves the buffer as it was");
	ok(strstr(e.msg, "nesting") != NULL, "message: %s", e.msg);
	json_decref(v);

	/* jsonio_canon_cmp */
	v = json_loads("{\"b\":1,\"a\":[1.0,\"x\"]}", 0, NULL);
	x = json_loads("{\"a\":[1,\"x\"],\"b\":1}", 0, NULL);
	is_int(jsonio_canon_cmp(v, x), 0, "canon_cmp: same canonical bytes");
	json_decref(x);
	x = json_loads("{\"a\":[1,\"y\"],\"b\":1}", 0, NULL);
	ok(jsonio_canon_cmp(v, x) < 0 && jsonio_canon_cmp(x, v) > 0,
	    "canon_cmp: byte order");
	json_decref(x);
	json_decref(v);
	v = json_integer(1);
	x = json_integer(12);
	ok(jsonio_canon_cmp(v, x) < 0 && jsonio_canon_cmp(x, v) > 0,
	    "canon_cmp: a prefix is smaller");
	json_decref(v);
	v = json_real(2.0);
	ok(jsonio_canon_cmp(v, x) > 0, "canon_cmp: 2 after 12 (bytes)");
	json_decref(x);
	json_decref(v);

	buf_free(&b);
	buf_free(&want);
}

/* ---------------------------------------------------------------- */

static void
reject(const char *text, size_t len, const char *part, const char *name)
{
	char msg[ERR_MSG_MAX];
	int status = 0;
	char *got;

	got = canon_text(text, len, &status, msg, sizeof msg);
	is_int(status, EXIT_DATAERR, "rejected: %s", name);
	ok(got == NULL && msg[0] != '\0' && strstr(msg, part) != NULL,
	    "message for %s: %s", name, msg);
	free(got);
}

static void
accept(const char *text, const char *want, const char *name)
{
	char msg[ERR_MSG_MAX];
	int status = -1;
	char *got;

	got = canon_text(text, strlen(text), &status, msg, sizeof msg);
	is_int(status, 0, "accepted: %s", name);
	is_str(got, want, "value of %s", name);
	free(got);
}

static char *
deep(int n, const char *open, const char *mid, const char *close, size_t *len)
{
	size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
	char *s = xmalloc(n * (lo + lc) + lm + 1), *p = s;
	int i;

	for (i = 0; i < n; i++, p += lo)
		memcpy(p, open, lo);
	memcpy(p, mid, lm);
	p += lm;
	for (i = 0; i < n; i++, p += lc)
		memcpy(p, close, lc);
	*p = '\0';
	*len = p - s;
	return s;
}

static void
test_parse(void)
{
	char msg[ERR_MSG_MAX];
	size_t len;
	char *s, *got;
	int status;

#define R(t, part, name) reject(t, sizeof(t) - 1, part, name)
	R("{\"a\":1,\"b\":2,\"a\":3}", "duplicate key \"a\" at column 16",
	    "duplicate key");
	R("{\"x\":{\"k\\\"q\":1,\"k\\\"q\":2}}", "duplicate key \"k\\\"q\"",
	    "duplicate key with an escaped quote");
	R("{\"a\":{\"a\":1},\"b\":{\"a\":1,\"a\":2}}", "duplicate key",
	    "duplicate key in a nested object");
	R("{\"a_very_long_key_name_of_forty_bytes_xx\":1,"
	  "\"a_very_long_key_name_of_forty_bytes_xx\":2}",
	    "...\"", "long duplicate key shortened");
	R("[\"a\\u0000b\"]", "\\u0000", "\\u0000 in a string");
	R("{\"a\\u0000\":1}", "\\u0000 in a key", "\\u0000 in a key");
	R("[\"\xc3\x28\"]", "invalid UTF-8", "invalid UTF-8");
	R("[\"\xc0\xaf\"]", "invalid UTF-8", "overlong UTF-8");
	R("[\"\xed\xa0\x80\"]", "invalid UTF-8", "UTF-8 surrogate");
	R("[\"\xf4\x90\x80\x80\"]", "invalid UTF-8", "beyond U+10FFFF");
	R("[\"\xff\"]", "invalid UTF-8", "byte 0xff");
	R("[\"\\ud800\"]", "invalid JSON", "lone surrogate escape");
	R("[1e19]", "number out of range", "1e19");
	R("[-1e19]", "number out of range", "-1e19");
	R("{\"data\":{\"ok\":1.5,\"tags\":[1,-1e19]}}",
	    "range) at data.tags[1]", "path of a number out of range");
	R("9223372036854775808.0", "number out of range", "2^63 as a real");
	R("[1.5e300]", "number out of range", "1.5e300");
	R("[1e400]", "number out of range", "1e400");
	R("[-1e400]", "number out of range", "-1e400");
	R("[-9223372036854775809]", "number out of range",
	    "-9223372036854775809");
	R("[9223372036854775808]", "number out of range",
	    "9223372036854775808");
	R("[NaN]", "invalid JSON", "NaN");
	R("[Infinity]", "invalid JSON", "Infinity");
	R("[1] x", "invalid JSON at column 5", "trailing data");
	R("[1]\0", "NUL byte at column 4", "trailing NUL byte");
	R("123\0", "NUL byte at column 4", "NUL byte after a number");
	R("[\"\xc3\xa9\", \"a\0\"]", "NUL byte at column 9",
	    "NUL byte in a string, column counts characters");
	R("[1,\n\0]", "NUL byte at line 2, column 1", "NUL byte, line 2");
	R("", "no JSON value", "empty text");
	R(" \n ", "no JSON value", "white space only");
	R("[1,\n2,\nx]", "at line 3, column 1", "line and column");
	R("\xef\xbb\xbf{}", "invalid JSON", "byte order mark");
	R("{\"name\":\"John Smith", "invalid JSON", "unterminated string");
#undef R
	got = canon_text("{\"name\":\"Smithson", 17, &status, msg, sizeof msg);
	ok(strstr(msg, "Smithson") == NULL, "messages do not repeat input");
	free(got);

	accept("[9223372036854775807, -9223372036854775808]",
	    "[9223372036854775807,-9223372036854775808]", "64-bit limits");
	accept("[-9223372036854775808.0, 9.2233720368547748e18]",
	    "[-9223372036854776000,9223372036854775000]",
	    "reals just inside the range");
	accept("\"\x7f\"", "\"\x7f\"", "DEL in a string");
	accept("[]", "[]", "empty array");

	/* Nesting: JSONIO_MAX_DEPTH levels pass, one more and 100,000 fail. */
	s = deep(JSONIO_MAX_DEPTH, "[", "", "]", &len);
	got = canon_text(s, len, &status, msg, sizeof msg);
	ok(status == 0 && got != NULL && strlen(got) == len,
	    "%d nested arrays accepted", JSONIO_MAX_DEPTH);
	free(got);
	free(s);
	s = deep(JSONIO_MAX_DEPTH + 1, "[", "", "]", &len);
	reject(s, len, "nesting deeper than", "513 nested arrays");
	free(s);
	s = deep(JSONIO_MAX_DEPTH + 1, "{\"a\":", "1", "}", &len);
	reject(s, len, "nesting deeper than", "513 nested objects");
	free(s);
	s = deep(2048, "[", "", "]", &len);
	reject(s, len, "nesting deeper than", "2048 nested arrays");
	free(s);
	s = deep(100000, "[", "", "]", &len);
	reject(s, len, "nesting deeper than", "100,000 nested arrays");
	free(s);
	s = deep(100000, "{\"a\":", "null", "}", &len);
	reject(s, len, "nesting deeper than", "100,000 nested objects");
	free(s);
	s = deep(100000, "[", "", "", &len);
	reject(s, len, "nesting deeper than", "100,000 unclosed arrays");
	free(s);
}

/*
 * Nesting is refused before jansson recurses, so a worker thread's stack
 * much smaller than the main thread's is enough.  1 MiB leaves room for
 * AddressSanitizer's larger frames (128 KiB does without it).
 */
#define SMALL_STACK (1024 * 1024)
struct deep_job {
	int ok512;
	int rc100k;
};

static void *
deep_thread(void *arg)
{
	struct deep_job *j = arg;
	struct ierr e = IERR_INIT;
	struct buf b = BUF_INIT;
	json_t *v;
	size_t len;
	char *s;

	s = deep(JSONIO_MAX_DEPTH / 2, "{\"a\":[", "1", "]}", &len);
	j->ok512 = jsonio_parse(s, len, &v, &e) == 0 &&
	    jsonio_canon(&b, v, &e) == 0 && b.len == len;
	if (v != NULL)
		json_decref(v);
	free(s);
	buf_free(&b);
	s = deep(100000, "[", "", "]", &len);
	j->rc100k = jsonio_parse(s, len, &v, &e);
	free(s);
	return NULL;
}

static void
test_small_stack(void)
{
	struct deep_job j = { 0, 0 };
	pthread_attr_t attr;
	pthread_t t;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, SMALL_STACK);
	if (pthread_create(&t, &attr, deep_thread, &j) != 0) {
		ok(0, "pthread_create");
		return;
	}
	pthread_join(t, NULL);
	pthread_attr_destroy(&attr);
	ok(j.ok512, "%d levels parse and write in a %d KiB thread stack",
	    JSONIO_MAX_DEPTH, SMALL_STACK / 1024);
	is_int(j.rc100k, EXIT_DATAERR,
	    "100,000 levels refused in a %d KiB "
	    "thread stack",
	    SMALL_STACK / 1024);
}

static void
test_brackets_in_strings(void)
{
	struct buf b = BUF_INIT;
	char *got;
	int i, status;

	/* 600 brackets inside strings are no nesting. */
	buf_adds(&b, "{\"a\":\"");
	for (i = 0; i < 600; i++)
		buf_adds(&b, i % 2 ? "[" : "{");
	buf_adds(&b, "\\\"\",\"b\":[\"\\\\\",[[\"]\"]]]}");
	got = canon_text(b.data, b.len, &status, NULL, 0);
	is_int(status, 0, "brackets in strings do not count as nesting");
	ok(got != NULL && strlen(got) == b.len, "and are written back");
	free(got);
	buf_free(&b);
}

/* ---------------------------------------------------------------- */

static void
test_fixed_point(void)
{
	static const char *texts[] = {
		("{\"id\":\"r-1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
		 "\"created\":\"2026-11-01T09:30:00Z\",\"version\":3,"
		 "\"data\":{\"name\":\"M\xc3\xbcller\",\"lat\":50.110924,"
		 "\"lon\":8.68,\"tags\":[\"a\",\"b\\n\"],\"n\":null}}"),
		("[0.1,0.2,0.30000000000000004,1e-7,-0.0,5e-324,"
		 "1.7976931348623157e-308,123456789.125]"),
		"{\"\\u0001\":\"\\t\\\"\\\\\",\"z\":{\"y\":{\"x\":[]}}}",
		"[true,false,null,\"\",{},[[]],-1,0,1]",
		"\"\\ud83d\\ude00 \\u2028 \\u007f\"",
	};
	struct buf r = BUF_INIT;
	size_t i;
	char *c1, *c2;
	int bad, n;

	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		c1 = canon_str(texts[i]);
		c2 = c1 ? canon_str(c1) : NULL;
		ok(c1 != NULL && c2 != NULL && strcmp(c1, c2) == 0,
		    "canon(parse(canon(x))) == canon(x): text %zu", i);
		free(c1);
		free(c2);
	}

	/* Random documents of random doubles and integers. */
	bad = 0;
	for (n = 0; n < 300; n++) {
		char num[JSONIO_NUMBER_MAX];
		double d;
		int k;

		buf_reset(&r);
		buf_addc(&r, '[');
		for (k = 0; k < 20; k++) {
			do
				d = from_bits(util_rand());
			while (!isfinite(d) || fabs(d) >= 0x1p63);
			jsonio_number(d, num);
			buf_printf(&r, "%s%s,%lld", k ? "," : "", num,
			    (long long)util_rand());
		}
		buf_addc(&r, ']');
		c1 = canon_str(r.data);
		c2 = c1 ? canon_str(c1) : NULL;
		if (c1 == NULL || c2 == NULL || strcmp(c1, c2) != 0 ||
		    strcmp(c1, r.data) != 0)
			if (bad++ < 3)
				diag("not a fixed point: %s", r.data);
		free(c1);
		free(c2);
	}
	ok(bad == 0, "300 random number arrays are canonical fixed points");
	buf_free(&r);
}

/* ---------------------------------------------------------------- */

/*
 * jsonio_parse reads most texts without jansson's reader.  Whatever it
 * takes must give the tree jansson gives (types, bytes, bits of reals,
 * member order), and it must refuse exactly what jansson refuses.
 */
static int
tree_same(const json_t *a, const json_t *b)
{
	void *ia, *ib;
	size_t i;
	double x, y;

	if (json_typeof(a) != json_typeof(b))
		return 0;
	switch (json_typeof(a)) {
	case JSON_OBJECT:
		if (json_object_size(a) != json_object_size(b))
			return 0;
		for (ia = json_object_iter((json_t *)a),
		    ib = json_object_iter((json_t *)b);
		     ia != NULL && ib != NULL;
		     ia = json_object_iter_next((json_t *)a, ia),
		    ib = json_object_iter_next((json_t *)b, ib)) {
			if (json_object_iter_key_len(ia) !=
				json_object_iter_key_len(ib) ||
			    memcmp(json_object_iter_key(ia),
				json_object_iter_key(ib),
				json_object_iter_key_len(ia)) != 0 ||
			    !tree_same(json_object_iter_value(ia),
				json_object_iter_value(ib)))
				return 0;
		}
		return ia == NULL && ib == NULL;
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return 0;
		for (i = 0; i < json_array_size(a); i++) {
			if (!tree_same(
				json_array_get(a, i), json_array_get(b, i)))
				return 0;
		}
		return 1;
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		    memcmp(json_string_value(a), json_string_value(b),
			json_string_length(a)) == 0;
	case JSON_INTEGER:
		return json_integer_value(a) == json_integer_value(b);
	case JSON_REAL:
		x = json_real_value(a);
		y = json_real_value(b);
		return memcmp(&x, &y, sizeof x) == 0;
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		return 1;
	}
	return 0;
}

/* An integral real outside the signed 64-bit range: jsonio refuses it. */
static int
big_real(const json_t *v)
{
	void *it;
	size_t i;
	double d;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		for (it = json_object_iter((json_t *)v); it != NULL;
		     it = json_object_iter_next((json_t *)v, it)) {
			if (big_real(json_object_iter_value(it)))
				return 1;
		}
		return 0;
	case JSON_ARRAY:
		for (i = 0; i < json_array_size(v); i++) {
			if (big_real(json_array_get(v, i)))
				return 1;
		}
		return 0;
	case JSON_REAL:
		d = json_real_value(v);
		return !(d >= -0x1p63 && d < 0x1p63);
	default:
		return 0;
	}
}

/* 1 if jsonio_parse reads text as jansson does, refusing what jansson
 * refuses and the integral reals beyond 64 bits. */
static int
same_as_jansson(const char *text, size_t len)
{
	struct ierr e = IERR_INIT;
	json_error_t je;
	json_t *a, *b;
	int rc, same;

	rc = jsonio_parse(text, len, &a, &e);
	b = memchr(text, '\0', len) != NULL
	    ? NULL
	    : json_loadb(
		  text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (b != NULL && big_real(b)) {
		json_decref(b);
		b = NULL;
	}
	if (rc != 0 || b == NULL)
		same = (rc != 0) == (b == NULL);
	else
		same = tree_same(a, b);
	json_decref(a);
	json_decref(b);
	return same;
}

static void
test_fast_reader(void)
{
	static const char *const texts[] = {
		"{\"classification\":\"CONFIDENTIAL\",\"data\":{\"a\":[1,2.5,"
		"\"x\",true,false,null,{},[]]},\"id\":\"de-1\","
		"\"version\":2}",
		" \t\r\n{ \"b\" : [ 1 , -2 ] , \"a\" :{ } } \n",
		"{\"z\":1,\"a\":2,\"m\":{\"y\":1,\"b\":2}}",
		"0",
		"-0",
		"7",
		"-7",
		"123456789012345678",
		"-123456789012345678",
		"1234567890123456789",
		"9223372036854775807",
		"-9223372036854775808",
		"9223372036854775808",
		"1.0",
		"-0.0",
		"1e2",
		"1E+2",
		"1e-2",
		"-1.5e-3",
		"0.1",
		"50.110924",
		"1e-400",
		"4.9e-324",
		"2.2250738585072011e-308",
		"9223372036854775807.0",
		"9.2233720368547748e18",
		"1e19",
		"1e400",
		"12345678901234567890"
		"12345678901234567890.5",
		"\"\"",
		"\"plain\"",
		"\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"",
		"\"a\\\"b\"",
		"\"\\u00e9\\n\"",
		"{\"k\\u0041\":1,\"kA\":2}",
		"{\"kA\":1,\"kA\":2}",
		"[{\"a\":1},{\"a\":1,\"b\":{\"a\":1,\"a\":2}}]",
		"true",
		"false",
		"null",
		"[]",
		"{}",
		"[[[[]]]]",
		"{\"a\":1,}",
		"[1,]",
		"[01]",
		"-",
		"-a",
		"1.",
		".5",
		"1e",
		"1e+",
		"tru",
		"nul",
		"fals",
		"{\"a\" 1}",
		"[1 2]",
		"{,}",
		"{\"a\":}",
		"[",
		"{",
		"\"open",
		"{\"a\":1",
		"[1,2",
		"{} x",
		"1 2",
		"",
		" ",
		"{\"a\":1}\n\n",
		"\xef\xbb\xbf{}",
		"[\"\x7f\"]",
		"{1:2}",
		"[1,\n2,\n3e]",
		"NaN",
		"-Infinity",
		"[-]",
		"[+1]",
		"[0x10]",
		"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
		"\"\\u0041\\u00e9\\u20AC\"",
		"\"\\ud83d\\ude00 \\uD83D\\uDE00\"",
		"\"\\uDBFF\\uDFFF\\u0001\\u001f\"",
		"\"\\u0000\"",
		"{\"\\u0000\":1}",
		"\"\\ud800\"",
		"\"\\udc00\"",
		"\"\\ud800\\u0041\"",
		"\"\\ud800\\ud800\"",
		"\"\\ud800x\"",
		"\"\\u12\"",
		"\"\\u12g4\"",
		"\"\\x41\"",
		"\"\\\"",
		"\"\\",
		"\"a\\'b\"",
		"\"\\U0041\"",
		"\"caf\xc3\xa9\\n\xe2\x82\xac\"",
		"\"\\n\xc3\"",
		"\"\\n\x01\"",
		"{\"a\\nb\":[\"x\\ty\",{\"c\\\"d\":\"\\u00e9\"}],"
		"\"e\\u0041\":\"z\"}",
		"{\"k\\n\":\"v\\n\",\"k\\n\":1}",
		"{\"k\\n\":\"v\",\"k\\u000a\":1}",
		"[\"\\u00e9\",\"\\u00e9\",{\"\\u00e9\":\"\\u00e9\","
		"\"\\u00e8\":[\"\\/\"]}]",
	};
	char t[8];
	size_t i;
	int b1, b2, b3, b4, bad;

	bad = 0;
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		if (!same_as_jansson(texts[i], strlen(texts[i]))) {
			diag("differs: %s", texts[i]);
			bad++;
		}
	}
	ok(bad == 0, "fast reader: %zu texts read as jansson reads them",
	    sizeof texts / sizeof texts[0]);

	/* Every byte alone in a string, then every pair after a lead byte. */
	bad = 0;
	for (b1 = 0; b1 < 256; b1++) {
		t[0] = '"';
		t[1] = (char)b1;
		t[2] = '"';
		bad += !same_as_jansson(t, 3);
		for (b2 = 0; b2 < 256 && b1 >= 0x80; b2++) {
			t[2] = (char)b2;
			t[3] = '"';
			bad += !same_as_jansson(t, 4);
		}
	}
	ok(bad == 0, "fast reader: every byte and byte pair in a string");

	/* Three- and four-byte forms at the edges of their ranges. */
	bad = 0;
	for (b1 = 0xe0; b1 < 256; b1++) {
		for (b2 = 0x70; b2 < 0xd0; b2++) {
			for (b3 = 0x70; b3 < 0xd0; b3 += 0x0f) {
				t[0] = '"';
				t[1] = (char)b1;
				t[2] = (char)b2;
				t[3] = (char)b3;
				t[4] = '"';
				bad += !same_as_jansson(t, 5);
				for (b4 = 0x7f; b4 <= 0xc0; b4 += 0x41 / 2) {
					t[4] = (char)b4;
					t[5] = '"';
					bad += !same_as_jansson(t, 6);
				}
			}
		}
	}
	ok(bad == 0, "fast reader: three- and four-byte sequences");

	/* A long string of each kind reaches the eight-byte loop. */
	bad = 0;
	for (b1 = 1; b1 < 256; b1++) {
		char s[40];

		memset(s, 'a', sizeof s);
		s[0] = '"';
		s[sizeof s - 1] = '"';
		s[9 + b1 % 17] = (char)b1;
		bad += !same_as_jansson(s, sizeof s);
	}
	ok(bad == 0, "fast reader: a byte inside a long string");

	/* Every \\u escape, alone and as the first of a pair. */
	bad = 0;
	for (b1 = 0; b1 < 0x10000; b1++) {
		char s[32];

		snprintf(s, sizeof s, "\"\\u%04x\"", b1);
		bad += !same_as_jansson(s, strlen(s));
		if (b1 >= 0xd800 && b1 < 0xe000) {
			snprintf(s, sizeof s, "[\"\\u%04X\\u%04x\"]", b1,
			    0xdc00 + (b1 * 7) % 0x400);
			bad += !same_as_jansson(s, strlen(s));
			snprintf(s, sizeof s, "{\"\\u%04x\\u%04X\":1}", b1,
			    0xdbf0 + b1 % 0x20);
			bad += !same_as_jansson(s, strlen(s));
		}
	}
	ok(bad == 0, "fast reader: every \\u escape, surrogate pairs too");
}

int
main(void)
{
	test_number_table();
	test_number_roundtrip();
	test_strings();
	test_canon();
	test_parse();
	test_small_stack();
	test_brackets_in_strings();
	test_fixed_point();
	test_fast_reader();
	return done_testing();
}
