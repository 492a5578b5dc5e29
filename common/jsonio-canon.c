/*
 * The canonical writer (SPEC 2, RFC 8785): jsonio_canon(), jsonio_string(),
 * jsonio_number() and jsonio_canon_cmp() of jsonio.h.  Numbers as the
 * shortest text that reads back, strings with the fewest escapes, object
 * members in UTF-8 byte order of their keys, no white space.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "jsonio.h"
#include "jsonio-int.h"

/*
 * Numbers.
 *
 * The digits are the shortest (fewest significant digits) whose nearest
 * double is d, found with the C library's correctly rounded printf and
 * strtod.  For normal doubles three tries suffice instead of seventeen:
 * DBL_DIG is 15, so any decimal of 15 digits or fewer that reads back to
 * d is d rounded to 15 digits (trailing zeros removed); failing that, d
 * rounded to 16 digits (or, for a power of two, the 16-digit decimal just
 * above), then 17, which always reads back.  Subnormals
 * have fewer bits, so they try every precision from 1.
 *
 * printf and strtod follow LC_NUMERIC; only digits and the exponent are
 * taken from printf's text, so the decimal point character does not
 * matter.
 */

struct jsonio_digits {
	char d[24]; /* significant digits, no trailing zeros */
	int k;	    /* how many */
	int e;	    /* value is 0.d * 10^e (ECMAScript's n) */
};

/* d > 0 and finite.  Returns 1 if d rounded to p digits reads back. */
static int
jsonio_try(double d, int p, int check, struct jsonio_digits *dg)
{
	char tmp[48], *s;
	int k;

	snprintf(tmp, sizeof tmp, "%.*e", p - 1, d);
	if (check && strtod(tmp, NULL) != d)
		return 0;
	k = 0;
	for (s = tmp; *s != '\0' && *s != 'e'; s++) {
		if (*s >= '0' && *s <= '9' && k < (int)sizeof dg->d - 1)
			dg->d[k++] = *s;
	}
	while (k > 1 && dg->d[k - 1] == '0')
		k--;
	dg->d[k] = '\0';
	dg->k = k;
	dg->e = (*s == 'e' ? atoi(s + 1) : 0) + 1;
	return 1;
}

/*
 * A power of two has a gap to the next double down half the size of the
 * gap up, so when d rounded to 16 digits (below d) misses, the 16-digit
 * decimal one unit above may still read back (2^534 is one of 46 such).
 */
static int
jsonio_try_up(double d, struct jsonio_digits *dg)
{
	char tmp[48];
	int i, exp;

	jsonio_try(d, 16, 0, dg);
	while (dg->k < 16)
		dg->d[dg->k++] = '0';
	dg->d[16] = '\0';
	for (i = 15; i >= 0 && dg->d[i] == '9'; i--)
		dg->d[i] = '0';
	if (i < 0) {
		dg->d[0] = '1';
		dg->e++;
	} else
		dg->d[i]++;
	exp = dg->e - 16;
	/* No decimal point: strtod reads it in any locale. */
	snprintf(tmp, sizeof tmp, "%se%d", dg->d, exp);
	if (strtod(tmp, NULL) != d)
		return 0;
	while (dg->d[dg->k - 1] == '0')
		dg->k--;
	dg->d[dg->k] = '\0';
	return 1;
}

/*
 * The fast path, for values with few digits such as 50.110924: the
 * smallest k for which some integer m below 2^50 gives m / 10^k == d.
 * m and 10^k (k <= 17) are exact doubles and IEEE division rounds
 * correctly, as strtod does, so m * 10^-k reads back to d.  d * 10^k is
 * within one unit of m, so m is found at the first k that has one (and
 * it is the nearest such decimal).  Returns 0 when there is no such k.
 */
static const double jsonio_pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7,
	1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17 };

static int
jsonio_fast(double d, struct jsonio_digits *dg)
{
	char tmp[24], *p;
	double x, m, c;
	uint64_t u;
	int k, i, n;

	for (k = 0; k < (int)(sizeof jsonio_pow10 / sizeof jsonio_pow10[0]);
	     k++) {
		x = d * jsonio_pow10[k];
		if (x >= 0x1p50)
			return 0;
		m = rint(x);
		for (i = 0; i < 3; i++) {
			c = m + (i == 0 ? 0 : i == 1 ? 1 : -1);
			if (c > 0 && c / jsonio_pow10[k] == d)
				goto found;
		}
	}
	return 0;
found:
	u = (uint64_t)c;
	p = tmp + sizeof tmp;
	do {
		*--p = '0' + u % 10;
		u /= 10;
	} while (u != 0);
	n = tmp + sizeof tmp - p;
	memcpy(dg->d, p, n);
	dg->e = n - k;
	while (n > 1 && dg->d[n - 1] == '0')
		n--;
	dg->d[n] = '\0';
	dg->k = n;
	return 1;
}

static void
jsonio_shortest(double d, struct jsonio_digits *dg)
{
	int p, e2;

	if (jsonio_fast(d, dg))
		return;
	if (d >= 0x1p-1021) {
		if (jsonio_try(d, 15, 1, dg) || jsonio_try(d, 16, 1, dg))
			return;
		if (frexp(d, &e2) == 0.5 && jsonio_try_up(d, dg))
			return;
	} else {
		for (p = 1; p < 17; p++) {
			if (jsonio_try(d, p, 1, dg))
				return;
		}
	}
	jsonio_try(d, 17, 0, dg);
}

static char *
jsonio_zeros(char *o, int n)
{
	for (; n > 0; n--)
		*o++ = '0';
	return o;
}

void
jsonio_number(double d, char *out)
{
	struct jsonio_digits dg;
	char *o = out;
	int n, k, x;

	if (d == 0 || !isfinite(d)) { /* -0 too; non-finite is a misuse */
		strcpy(out, "0");
		return;
	}
	if (d < 0) {
		*o++ = '-';
		d = -d;
	}
	jsonio_shortest(d, &dg);
	n = dg.e;
	k = dg.k;
	if (k <= n && n <= 21) {
		/* 1e20 -> 100000000000000000000 */
		memcpy(o, dg.d, k);
		o = jsonio_zeros(o + k, n - k);
	} else if (0 < n && n <= 21) {
		/* 8.68 */
		memcpy(o, dg.d, n);
		o += n;
		*o++ = '.';
		memcpy(o, dg.d + n, k - n);
		o += k - n;
	} else if (-6 < n && n <= 0) {
		/* 0.000001 */
		*o++ = '0';
		*o++ = '.';
		o = jsonio_zeros(o, -n);
		memcpy(o, dg.d, k);
		o += k;
	} else {
		/* 1e+21, 1.5e-7 */
		*o++ = dg.d[0];
		if (k > 1) {
			*o++ = '.';
			memcpy(o, dg.d + 1, k - 1);
			o += k - 1;
		}
		*o++ = 'e';
		x = n - 1;
		*o++ = x < 0 ? '-' : '+';
		o += snprintf(o, 8, "%d", x < 0 ? -x : x);
	}
	*o = '\0';
}

/*
 * Writing.  The writer fills the buffer directly and keeps it
 * NUL-terminated only at the end; every write reserves first.
 */

static inline void
jsonio_put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n + 1 > b->cap)
		buf_reserve(b, n);
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline void
jsonio_putc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap)
		buf_reserve(b, 1);
	b->data[b->len++] = c;
}

/* Returns how many bytes of s[0..n) precede the first special byte. */
static inline size_t
jsonio_plain(const unsigned char *s, size_t n)
{
	uint64_t x;
	size_t i = 0;

	/* Eight bytes at a time: any byte < 0x20, '"' or '\\'? */
	for (; i + 8 <= n; i += 8) {
		memcpy(&x, s + i, 8);
		if ((((x - ONES * 0x20) & ~x & HIGHS) |
			HASZERO(x ^ (ONES * '"')) |
			HASZERO(x ^ (ONES * '\\'))) != 0)
			break;
	}
	while (i < n && !jsonio_special[s[i]])
		i++;
	return i;
}

static void
jsonio_putstring(struct buf *b, const char *str, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c;
	size_t i = 0, run;
	char *o;

	/* Room for the text and both quotes; escapes reserve more. */
	if (b->len + len + 3 > b->cap)
		buf_reserve(b, len + 2);
	b->data[b->len++] = '"';
	for (;;) {
		run = jsonio_plain(s + i, len - i);
		memcpy(b->data + b->len, s + i, run);
		b->len += run;
		i += run;
		if (i == len)
			break;
		/* One byte becomes up to six; the rest and a quote follow. */
		buf_reserve(b, 6 + (len - i - 1) + 1);
		o = b->data + b->len;
		c = s[i++];
		*o++ = '\\';
		switch (c) {
		case '"':
		case '\\':
			*o++ = c;
			break;
		case '\b':
			*o++ = 'b';
			break;
		case '\f':
			*o++ = 'f';
			break;
		case '\n':
			*o++ = 'n';
			break;
		case '\r':
			*o++ = 'r';
			break;
		case '\t':
			*o++ = 't';
			break;
		default:
			*o++ = 'u';
			*o++ = '0';
			*o++ = '0';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 0xf];
			break;
		}
		b->len = o - b->data;
	}
	b->data[b->len++] = '"';
}

void
jsonio_string(struct buf *b, const char *s, size_t len)
{
	jsonio_putstring(b, s, len);
	b->data[b->len] = '\0';
}

static void
jsonio_putint(struct buf *b, json_int_t v)
{
	char tmp[24], *p = tmp + sizeof tmp;
	unsigned long long u;

	u = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
	do {
		*--p = '0' + u % 10;
		u /= 10;
	} while (u != 0);
	if (v < 0)
		*--p = '-';
	jsonio_put(b, p, tmp + sizeof tmp - p);
}

/*
 * Members of the objects being written, sorted by key.  One array serves
 * every level: an object's members sit above those of the objects that
 * contain it, and are addressed by index because the array may move.
 */
struct jsonio_member {
	const char *key;
	size_t len;
	json_t *value;
};

#define CANON_INLINE 64

struct jsonio_canon {
	struct buf *b;
	struct ierr *e;
	struct jsonio_member *m;
	size_t used;
	size_t cap;
	struct jsonio_member inl[CANON_INLINE];
};

static inline int
jsonio_keycmp(const struct jsonio_member *a, const struct jsonio_member *b)
{
	const unsigned char *x = (const unsigned char *)a->key;
	const unsigned char *y = (const unsigned char *)b->key;
	size_t i, n = a->len < b->len ? a->len : b->len;

	/* Keys are short and differ early: no call to memcmp. */
	for (i = 0; i < n; i++) {
		if (x[i] != y[i])
			return x[i] - y[i];
	}
	return (a->len > b->len) - (a->len < b->len);
}

static int
jsonio_keycmp_q(const void *a, const void *b)
{
	return jsonio_keycmp(a, b);
}

static void
jsonio_sort(struct jsonio_member *m, size_t n)
{
	struct jsonio_member t;
	size_t i, j;

	if (n > 16) {
		qsort(m, n, sizeof *m, jsonio_keycmp_q);
		return;
	}
	for (i = 1; i < n; i++) {
		if (jsonio_keycmp(&m[i - 1], &m[i]) <= 0)
			continue;
		t = m[i];
		for (j = i; j > 0 && jsonio_keycmp(&m[j - 1], &t) > 0; j--)
			m[j] = m[j - 1];
		m[j] = t;
	}
}

static int jsonio_value(struct jsonio_canon *, const json_t *, int);

static int
jsonio_object(struct jsonio_canon *c, const json_t *v, int depth)
{
	struct jsonio_member *m;
	size_t base, n, i;
	void *it;

	n = json_object_size(v);
	if (n == 0) {
		jsonio_put(c->b, "{}", 2);
		return 0;
	}
	base = c->used;
	if (base + n > c->cap) {
		while (base + n > c->cap)
			c->cap *= 2;
		if (c->m == c->inl) {
			c->m = xmalloc(c->cap * sizeof *c->m);
			memcpy(c->m, c->inl, base * sizeof *c->m);
		} else
			c->m = xrealloc(c->m, c->cap * sizeof *c->m);
	}
	m = c->m + base;
	i = 0;
	for (it = json_object_iter((json_t *)v); it != NULL && i < n;
	     it = json_object_iter_next((json_t *)v, it)) {
		m[i].key = json_object_iter_key(it);
		m[i].len = json_object_iter_key_len(it);
		m[i].value = json_object_iter_value(it);
		i++;
	}
	n = i;
	c->used = base + n;
	jsonio_sort(m, n);

	jsonio_putc(c->b, '{');
	for (i = 0; i < n; i++) {
		m = c->m + base + i; /* c->m moves as inner objects grow it */
		if (i != 0)
			jsonio_putc(c->b, ',');
		jsonio_putstring(c->b, m->key, m->len);
		jsonio_putc(c->b, ':');
		if (jsonio_value(c, m->value, depth + 1) != 0)
			return -1;
	}
	jsonio_putc(c->b, '}');
	c->used = base;
	return 0;
}

/* Not inlined: keeps the number buffer off the recursive frames. */
static int __attribute__((noinline))
jsonio_putreal(struct jsonio_canon *c, double d)
{
	char num[JSONIO_NUMBER_MAX];

	if (!isfinite(d)) {
		err_set(c->e, EXIT_DATAERR,
		    "a number that is not finite has no JSON form");
		return -1;
	}
	jsonio_number(d, num);
	jsonio_put(c->b, num, strlen(num));
	return 0;
}

static int
jsonio_value(struct jsonio_canon *c, const json_t *v, int depth)
{
	size_t i, n;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (depth >= JSONIO_MAX_DEPTH)
			break;
		return jsonio_object(c, v, depth);
	case JSON_ARRAY:
		if (depth >= JSONIO_MAX_DEPTH)
			break;
		jsonio_putc(c->b, '[');
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			if (i != 0)
				jsonio_putc(c->b, ',');
			if (jsonio_value(c, json_array_get(v, i), depth + 1) !=
			    0)
				return -1;
		}
		jsonio_putc(c->b, ']');
		return 0;
	case JSON_STRING:
		jsonio_putstring(
		    c->b, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		jsonio_putint(c->b, json_integer_value(v));
		return 0;
	case JSON_REAL:
		return jsonio_putreal(c, json_real_value(v));
	case JSON_TRUE:
		jsonio_put(c->b, "true", 4);
		return 0;
	case JSON_FALSE:
		jsonio_put(c->b, "false", 5);
		return 0;
	case JSON_NULL:
		jsonio_put(c->b, "null", 4);
		return 0;
	}
	err_set(c->e, EXIT_DATAERR, "nesting deeper than %d levels",
	    JSONIO_MAX_DEPTH);
	return -1;
}

int
jsonio_canon(struct buf *b, const json_t *v, struct ierr *e)
{
	struct jsonio_canon c;
	size_t start = b->len;
	int rc;

	c.b = b;
	c.e = e;
	c.m = c.inl;
	c.used = 0;
	c.cap = CANON_INLINE;
	rc = jsonio_value(&c, v, 0);
	if (c.m != c.inl)
		free(c.m);
	if (rc != 0) {
		/* Nothing of a value that cannot be written stays. */
		b->len = start;
		if (b->data != NULL)
			b->data[start] = '\0';
		return e->status;
	}
	b->data[b->len] = '\0';
	return 0;
}

int
jsonio_canon_cmp(const json_t *a, const json_t *b)
{
	struct buf ba = BUF_INIT, bb = BUF_INIT;
	struct ierr e = IERR_INIT;
	size_t n;
	int c;

	/* A value with no canonical form compares as empty bytes. */
	jsonio_canon(&ba, a, &e);
	jsonio_canon(&bb, b, &e);
	n = ba.len < bb.len ? ba.len : bb.len;
	c = n ? memcmp(ba.data, bb.data, n) : 0;
	if (c == 0)
		c = (ba.len > bb.len) - (ba.len < bb.len);
	buf_free(&ba);
	buf_free(&bb);
	return c;
}
