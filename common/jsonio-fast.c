/*
 * The fast reader, for the common case: a text that jansson would accept.
 * It undoes escapes as jansson does and builds the same values, through
 * jansson's own constructors, in the same order.  At anything it does not
 * take (a syntax error, \u0000 or a lone surrogate, invalid UTF-8, a
 * duplicate key, a number strtod flags or that jsonio_check would refuse,
 * nesting at JSONIO_MAX_DEPTH) it gives up and jansson reads the text
 * again, so every error and its message come from the one careful path.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonio.h"
#include "jsonio-int.h"

struct jsonio_fast {
	const unsigned char *p;
	const unsigned char *end;
	struct buf tmp; /* escaped strings, undone */
};

#define FAST_RAW ((size_t)-1) /* a string that is the text's own bytes */

static inline void
jsonio_fast_ws(struct jsonio_fast *f)
{
	while (f->p < f->end &&
	    (*f->p == ' ' || *f->p == '\n' || *f->p == '\t' || *f->p == '\r'))
		f->p++;
}

/* Length of the UTF-8 sequence at s (RFC 3629: no overlong form, no
 * surrogate, nothing past U+10FFFF), or 0 if it is not one. */
static size_t
jsonio_fast_utf8(const unsigned char *s, const unsigned char *end)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if ((size_t)(end - s) < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	}
	return n;
}

/* Four hex digits at p (p + 4 <= end checked by the caller), or -1. */
static long
jsonio_fast_hex(const unsigned char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			v |= p[i] - '0';
		else if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f')
			v |= (p[i] | 0x20) - 'a' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * The rest of a string from its first backslash at p, undone into f->tmp
 * from offset *off (the bytes before it, from start, copied first).
 */
static int
jsonio_fast_escaped(struct jsonio_fast *f, const unsigned char *start,
    const unsigned char *p, const char **s, size_t *len, size_t *off)
{
	const unsigned char *end = f->end;
	struct buf *t = &f->tmp;
	unsigned char u[4];
	long cp, lo;
	size_t n;

	*off = t->len;
	buf_add(t, start, p - start);
	while (p < end) {
		if (*p == '"') {
			*s = t->data + *off;
			*len = t->len - *off;
			f->p = p + 1;
			return 0;
		}
		if (*p < 0x20)
			return -1;
		if (*p >= 0x80) {
			if ((n = jsonio_fast_utf8(p, end)) == 0)
				return -1;
			buf_add(t, p, n);
			p += n;
			continue;
		}
		if (*p != '\\') {
			buf_addc(t, (char)*p++);
			continue;
		}
		if (++p == end)
			return -1;
		switch (*p++) {
		case '"':
		case '\\':
		case '/':
			buf_addc(t, (char)p[-1]);
			continue;
		case 'b':
			buf_addc(t, '\b');
			continue;
		case 'f':
			buf_addc(t, '\f');
			continue;
		case 'n':
			buf_addc(t, '\n');
			continue;
		case 'r':
			buf_addc(t, '\r');
			continue;
		case 't':
			buf_addc(t, '\t');
			continue;
		case 'u':
			break;
		default:
			return -1;
		}
		if (end - p < 4 || (cp = jsonio_fast_hex(p)) <= 0)
			return -1; /* \u0000 too: jansson words it */
		p += 4;
		if (cp >= 0xdc00 && cp <= 0xdfff)
			return -1;
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
			    (lo = jsonio_fast_hex(p + 2)) < 0xdc00 ||
			    lo > 0xdfff)
				return -1;
			p += 6;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (cp < 0x80) {
			u[0] = (unsigned char)cp;
			n = 1;
		} else if (cp < 0x800) {
			u[0] = 0xc0 | (cp >> 6);
			u[1] = 0x80 | (cp & 0x3f);
			n = 2;
		} else if (cp < 0x10000) {
			u[0] = 0xe0 | (cp >> 12);
			u[1] = 0x80 | ((cp >> 6) & 0x3f);
			u[2] = 0x80 | (cp & 0x3f);
			n = 3;
		} else {
			u[0] = 0xf0 | (cp >> 18);
			u[1] = 0x80 | ((cp >> 12) & 0x3f);
			u[2] = 0x80 | ((cp >> 6) & 0x3f);
			u[3] = 0x80 | (cp & 0x3f);
			n = 4;
		}
		buf_add(t, u, n);
	}
	return -1;
}

/*
 * f->p is past the opening quote.  Sets *s, *len to the string's bytes
 * and leaves f->p past the closing quote; *off is FAST_RAW, or where in
 * f->tmp the string sits when it had escapes (*s moves if f->tmp grows).
 * Returns 0, or -1 to give up.
 */
static int
jsonio_fast_string(
    struct jsonio_fast *f, const char **s, size_t *len, size_t *off)
{
	const unsigned char *p = f->p, *end = f->end;
	uint64_t x;
	size_t n;

	*s = (const char *)p;
	for (;;) {
		/* Eight bytes at a time while none is special or above 0x7f,
		 * then byte by byte up to the one that is. */
		while (end - p >= 8) {
			memcpy(&x, p, 8);
			if ((((x - ONES * 0x20) & ~x & HIGHS) |
				HASZERO(x ^ (ONES * '"')) |
				HASZERO(x ^ (ONES * '\\')) | (x & HIGHS)) != 0)
				break;
			p += 8;
		}
		while (p < end && !jsonio_special[*p] && *p < 0x80)
			p++;
		if (p == end)
			return -1;
		if (*p == '"')
			break;
		if (*p == '\\')
			return jsonio_fast_escaped(
			    f, (const unsigned char *)*s, p, s, len, off);
		if (*p < 0x80)
			return -1; /* a control byte */
		if ((n = jsonio_fast_utf8(p, end)) == 0)
			return -1;
		p += n;
	}
	*len = p - (const unsigned char *)*s;
	*off = FAST_RAW;
	f->p = p + 1;
	return 0;
}

static json_t *
jsonio_fast_number(struct jsonio_fast *f)
{
	const unsigned char *p = f->p, *end = f->end, *start = f->p, *digits;
	char tmp[64], *stop;
	unsigned long long u = 0;
	size_t n;
	double d;
	int real = 0, neg = 0;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	digits = p;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9')
			u = u * 10 + (*p++ - '0');
	} else
		return NULL;
	if (p - digits > 18)
		real = -1; /* the slow reader judges the range */
	if (p < end && *p == '.') {
		real = 1;
		if (++p == end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		real = 1;
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || *p < '0' || *p > '9')
			return NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	f->p = p;
	if (real == 0)
		return json_integer(neg ? -(json_int_t)u : (json_int_t)u);
	n = p - start;
	if (real < 0 || n >= sizeof tmp)
		return NULL;
	memcpy(tmp, start, n);
	tmp[n] = '\0';
	errno = 0;
	d = strtod(tmp, &stop);
	if (stop != tmp + n || errno != 0 || !(d >= -0x1p63 && d < 0x1p63))
		return NULL;
	return json_real(d);
}

static json_t *
jsonio_fast_value(struct jsonio_fast *f, int depth)
{
	json_t *v, *kid;
	const char *s;
	size_t len, n, off;

	if (f->p == f->end)
		return NULL;
	switch (*f->p) {
	case '{':
		if (depth >= JSONIO_MAX_DEPTH || (v = json_object()) == NULL)
			return NULL;
		f->p++;
		jsonio_fast_ws(f);
		if (f->p < f->end && *f->p == '}') {
			f->p++;
			return v;
		}
		for (;;) {
			if (f->p == f->end || *f->p != '"')
				break;
			f->p++;
			if (jsonio_fast_string(f, &s, &len, &off) != 0)
				break;
			jsonio_fast_ws(f);
			if (f->p == f->end || *f->p != ':')
				break;
			f->p++;
			jsonio_fast_ws(f);
			if ((kid = jsonio_fast_value(f, depth + 1)) == NULL)
				break;
			n = json_object_size(v);
			if (off != FAST_RAW) {
				/* The value's strings came and went above. */
				s = f->tmp.data + off;
				f->tmp.len = off;
			}
			/* A duplicate replaces: the size tells. */
			if (json_object_setn_new_nocheck(v, s, len, kid) != 0 ||
			    json_object_size(v) != n + 1)
				break;
			jsonio_fast_ws(f);
			if (f->p == f->end)
				break;
			if (*f->p == '}') {
				f->p++;
				return v;
			}
			if (*f->p != ',')
				break;
			f->p++;
			jsonio_fast_ws(f);
		}
		json_decref(v);
		return NULL;
	case '[':
		if (depth >= JSONIO_MAX_DEPTH || (v = json_array()) == NULL)
			return NULL;
		f->p++;
		jsonio_fast_ws(f);
		if (f->p < f->end && *f->p == ']') {
			f->p++;
			return v;
		}
		for (;;) {
			if ((kid = jsonio_fast_value(f, depth + 1)) == NULL ||
			    json_array_append_new(v, kid) != 0)
				break;
			jsonio_fast_ws(f);
			if (f->p == f->end)
				break;
			if (*f->p == ']') {
				f->p++;
				return v;
			}
			if (*f->p != ',')
				break;
			f->p++;
			jsonio_fast_ws(f);
		}
		json_decref(v);
		return NULL;
	case '"':
		f->p++;
		if (jsonio_fast_string(f, &s, &len, &off) != 0)
			return NULL;
		v = json_stringn_nocheck(s, len);
		if (off != FAST_RAW)
			f->tmp.len = off;
		return v;
	case 't':
		if (f->end - f->p < 4 || memcmp(f->p, "true", 4) != 0)
			return NULL;
		f->p += 4;
		return json_true();
	case 'f':
		if (f->end - f->p < 5 || memcmp(f->p, "false", 5) != 0)
			return NULL;
		f->p += 5;
		return json_false();
	case 'n':
		if (f->end - f->p < 4 || memcmp(f->p, "null", 4) != 0)
			return NULL;
		f->p += 4;
		return json_null();
	default:
		return jsonio_fast_number(f);
	}
}

json_t *
jsonio_fast_parse(const char *text, size_t len)
{
	struct jsonio_fast f;
	json_t *v;

	f.p = (const unsigned char *)text;
	f.end = f.p + len;
	f.tmp = (struct buf)BUF_INIT;
	jsonio_fast_ws(&f);
	if ((v = jsonio_fast_value(&f, 0)) != NULL) {
		jsonio_fast_ws(&f);
		if (f.p != f.end) {
			json_decref(v);
			v = NULL;
		}
	}
	buf_free(&f.tmp);
	return v;
}
