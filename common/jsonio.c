#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "jsonio.h"

/* Eight bytes at a time: a word with a zero byte, and friends. */
#define ONES	0x0101010101010101ULL
#define HIGHS	0x8080808080808080ULL
#define HASZERO(x)	(((x) - ONES) & ~(x) & HIGHS)

/* Bytes that a JSON string cannot hold raw. */
static const unsigned char jsonio_special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1
};

/*
 * Reading.
 *
 * The fast reader below takes the texts it can read exactly as jansson
 * would; any other text goes the careful way, which alone words errors.
 * There a scan refuses NUL bytes and nesting deeper than JSONIO_MAX_DEPTH
 * before jansson starts.  jansson does the lexing and refuses duplicate
 * keys, invalid UTF-8, "\u0000", integers beyond long long and reals that
 * overflow.  One walk over the result then refuses integral reals outside
 * the signed 64-bit range (1e19).  The walk stops descending at
 * JSONIO_MAX_DEPTH (again), so its recursion is bounded.
 */

#define KEY_SHOWN 32		/* bytes of a duplicate key put in a message */

static void
jsonio_where(char *w, size_t size, const json_error_t *je)
{
	if (je->line > 1)
		snprintf(w, size, "at line %d, column %d", je->line,
		    je->column);
	else
		snprintf(w, size, "at column %d", je->column < 0 ? 0 :
		    je->column);
}

/*
 * jansson ends its messages with "near '<up to 20 bytes of input>'".
 * Input may be a record's data, so that part is never repeated.
 */
static void
jsonio_strip_near(char *text)
{
	char *p;

	if ((p = strstr(text, " near '")) != NULL)
		*p = '\0';
}

/*
 * After a duplicate key jansson stops just past the key's closing quote:
 * walk back to the opening quote (a quote preceded by an even number of
 * backslashes) and show at most KEY_SHOWN bytes of the key's text.
 */
static void
jsonio_dup_key(const char *text, size_t len, const json_error_t *je,
    char *key, size_t size)
{
	size_t end, i, n, bs;

	key[0] = '\0';
	if (je->position < 2 || (size_t)je->position > len)
		return;
	end = (size_t)je->position - 1;
	if (text[end] != '"')
		return;
	for (i = end; i-- > 0;) {
		if (text[i] != '"')
			continue;
		for (bs = 0; bs < i && text[i - 1 - bs] == '\\'; bs++)
			;
		if (bs % 2 == 0)
			break;
	}
	if (i == (size_t)-1 || i >= end)
		return;
	n = end - i - 1;
	if (n > KEY_SHOWN) {
		n = KEY_SHOWN;
		/* Do not cut a UTF-8 sequence. */
		while (n > 0 && ((unsigned char)text[i + 1 + n] & 0xc0) == 0x80)
			n--;
	}
	if (n + 4 > size)
		return;
	memcpy(key, text + i + 1, n);
	key[n] = '\0';
	if (n < end - i - 1)
		strcat(key, "...");
}

static int
jsonio_load_error(const char *text, size_t len, json_error_t *je,
    struct ierr *e)
{
	char where[64], key[KEY_SHOWN + 8];
	size_t i;

	jsonio_where(where, sizeof where, je);
	switch (json_error_code(je)) {
	case json_error_duplicate_key:
		jsonio_dup_key(text, len, je, key, sizeof key);
		if (key[0] != '\0')
			return err_set(e, EXIT_DATAERR,
			    "duplicate key \"%s\" %s", key, where);
		return err_set(e, EXIT_DATAERR, "duplicate key %s", where);
	case json_error_null_character:
		return err_set(e, EXIT_DATAERR, "\\u0000 in a string %s",
		    where);
	case json_error_null_byte_in_key:
		return err_set(e, EXIT_DATAERR, "\\u0000 in a key %s", where);
	case json_error_invalid_utf8:
		return err_set(e, EXIT_DATAERR, "invalid UTF-8 %s", where);
	case json_error_numeric_overflow:
		return err_set(e, EXIT_DATAERR, "number out of range %s",
		    where);
	case json_error_stack_overflow:
		return err_set(e, EXIT_DATAERR,
		    "nesting deeper than %d levels %s", JSONIO_MAX_DEPTH,
		    where);
	case json_error_out_of_memory:
		return err_set(e, EXIT_DATAERR,
		    "out of memory reading JSON %s", where);
	default:
		break;
	}
	for (i = 0; i < len; i++) {
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' &&
		    text[i] != '\r')
			break;
	}
	if (i == len)
		return err_set(e, EXIT_DATAERR, "no JSON value");
	jsonio_strip_near(je->text);
	return err_set(e, EXIT_DATAERR, "invalid JSON %s: %s", where,
	    je->text);
}

/*
 * Where a bad number sits, e.g. "data.tags[2]", built from the inside out
 * while the walk unwinds: only an error pays for it.  Keys are not secret.
 */
#define PATH_MAX_SHOWN 96

struct jsonio_path {
	char	s[PATH_MAX_SHOWN + 1];
	size_t	start;		/* the path is s[start..PATH_MAX_SHOWN) */
	int	cut;		/* some of the outer part did not fit */
};

static void
jsonio_path_key(struct jsonio_path *p, const char *key, size_t len)
{
	if (p->cut)
		return;
	if (len > KEY_SHOWN || len + 1 > p->start) {
		p->cut = 1;
		return;
	}
	p->start -= len;
	memcpy(p->s + p->start, key, len);
	p->s[--p->start] = '.';
}

static void
jsonio_path_index(struct jsonio_path *p, size_t i)
{
	char tmp[32];
	int n;

	if (p->cut)
		return;
	n = snprintf(tmp, sizeof tmp, "[%zu]", i);
	if ((size_t)n > p->start) {
		p->cut = 1;
		return;
	}
	p->start -= n;
	memcpy(p->s + p->start, tmp, n);
}

/* Returns 0, 1 for a bad number (path being built), or -1 for depth. */
static int
jsonio_check(const json_t *v, int depth, struct jsonio_path *p)
{
	double d;
	size_t i, n;
	void *it;
	int rc;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (depth >= JSONIO_MAX_DEPTH)
			return -1;
		for (it = json_object_iter((json_t *)v); it != NULL;
		    it = json_object_iter_next((json_t *)v, it)) {
			rc = jsonio_check(json_object_iter_value(it), depth + 1,
			    p);
			if (rc > 0)
				jsonio_path_key(p, json_object_iter_key(it),
				    json_object_iter_key_len(it));
			if (rc != 0)
				return rc;
		}
		return 0;
	case JSON_ARRAY:
		if (depth >= JSONIO_MAX_DEPTH)
			return -1;
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			rc = jsonio_check(json_array_get(v, i), depth + 1, p);
			if (rc > 0)
				jsonio_path_index(p, i);
			if (rc != 0)
				return rc;
		}
		return 0;
	case JSON_REAL:
		/*
		 * Every double of magnitude 2^53 or more is an integer, so
		 * this is exactly "an integer outside the signed 64-bit
		 * range"; the negated test also catches NaN.
		 */
		d = json_real_value(v);
		if (!(d >= -0x1p63 && d < 0x1p63))
			return 1;
		return 0;
	default:
		return 0;
	}
}

static int
jsonio_check_top(const json_t *v, struct ierr *e)
{
	struct jsonio_path p;
	const char *path;
	int rc;

	p.start = PATH_MAX_SHOWN;
	p.s[PATH_MAX_SHOWN] = '\0';
	p.cut = 0;
	rc = jsonio_check(v, 0, &p);
	if (rc == 0)
		return 0;
	if (rc < 0)
		return err_set(e, EXIT_DATAERR, "nesting deeper than %d levels",
		    JSONIO_MAX_DEPTH);
	path = p.s + p.start;
	if (*path == '.')
		path++;
	if (*path == '\0')
		return err_set(e, EXIT_DATAERR, "number out of range (an "
		    "integer beyond the signed 64-bit range)");
	return err_set(e, EXIT_DATAERR, "number out of range (an integer "
	    "beyond the signed 64-bit range) at %s%s", p.cut ? "..." : "",
	    path);
}

/* Where text[at] is, counted as jansson does: characters, from 1. */
static void
jsonio_where_at(char *w, size_t size, const char *text, const char *at)
{
	json_error_t je;
	const char *p;

	je.line = 1;
	je.column = 1;
	for (p = text; p < at; p++) {
		if (*p == '\n') {
			je.line++;
			je.column = 1;
		} else if (((unsigned char)*p & 0xc0) != 0x80)
			je.column++;
	}
	jsonio_where(w, size, &je);
}

/*
 * jansson recurses once per level up to its limit of 2048, which takes
 * some 200 KB of stack: more than a small thread stack may have.  So
 * nesting is checked before jansson sees the text.  A count of '[' and
 * '{' bytes (one cheap pass) settles it for any text with at most
 * JSONIO_MAX_DEPTH of them; only others are scanned with strings skipped.
 * Returns 0 or EXIT_DATAERR.
 */
static int
jsonio_prescan(const char *text, size_t len, struct ierr *e)
{
	const unsigned char *s = (const unsigned char *)text;
	char where[64];
	size_t i, opens = 0;
	int depth = 0, instr = 0;

	for (i = 0; i < len; i++)
		opens += (s[i] | 0x20) == '{';	/* '[' is 0x5b, '{' 0x7b */
	if (opens <= JSONIO_MAX_DEPTH)
		return 0;
	for (i = 0; i < len; i++) {
		if (instr) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				instr = 0;
			continue;
		}
		switch (s[i]) {
		case '"':
			instr = 1;
			break;
		case '[':
		case '{':
			if (++depth > JSONIO_MAX_DEPTH) {
				jsonio_where_at(where, sizeof where, text,
				    text + i);
				return err_set(e, EXIT_DATAERR,
				    "nesting deeper than %d levels %s",
				    JSONIO_MAX_DEPTH, where);
			}
			break;
		case ']':
		case '}':
			depth--;
			break;
		}
	}
	return 0;
}

/*
 * The fast reader, for the common case: a text that jansson would accept.
 * It undoes escapes as jansson does and builds the same values, through
 * jansson's own constructors, in the same order.  At anything it does not
 * take (a syntax error, \u0000 or a lone surrogate, invalid UTF-8, a
 * duplicate key, a number strtod flags or that jsonio_check would refuse,
 * nesting at JSONIO_MAX_DEPTH) it gives up and jansson reads the text
 * again, so every error and its message come from the one careful path.
 */
struct jsonio_fast {
	const unsigned char	*p;
	const unsigned char	*end;
	struct buf		 tmp;	/* escaped strings, undone */
};

#define FAST_RAW ((size_t)-1)	/* a string that is the text's own bytes */

static inline void
jsonio_fast_ws(struct jsonio_fast *f)
{
	while (f->p < f->end && (*f->p == ' ' || *f->p == '\n' ||
	    *f->p == '\t' || *f->p == '\r'))
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
			return -1;	/* \u0000 too: jansson words it */
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
jsonio_fast_string(struct jsonio_fast *f, const char **s, size_t *len,
    size_t *off)
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
			if ((((x - ONES * 0x20) & ~x & HIGHS) | HASZERO(x ^
			    (ONES * '"')) | HASZERO(x ^ (ONES * '\\')) |
			    (x & HIGHS)) != 0)
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
			return jsonio_fast_escaped(f, (const unsigned char *)*s,
			    p, s, len, off);
		if (*p < 0x80)
			return -1;	/* a control byte */
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
		real = -1;	/* the slow reader judges the range */
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

static json_t *
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

int
jsonio_parse(const char *text, size_t len, json_t **out, struct ierr *e)
{
	json_error_t je;
	char where[64];
	const char *nul;
	json_t *v;

	*out = NULL;
	/*
	 * The fast reader takes no NUL byte, nests no deeper than
	 * JSONIO_MAX_DEPTH and takes no number jsonio_check refuses: what it
	 * reads passes every test below.
	 */
	if ((v = jsonio_fast_parse(text, len)) != NULL) {
		*out = v;
		return 0;
	}
	/*
	 * A NUL byte is valid nowhere in JSON, but jansson takes one after
	 * a top-level number ("123\0") for the end of the text.
	 */
	if ((nul = memchr(text, '\0', len)) != NULL) {
		jsonio_where_at(where, sizeof where, text, nul);
		return err_set(e, EXIT_DATAERR, "NUL byte %s", where);
	}
	if (jsonio_prescan(text, len, e) != 0)
		return e->status;
	v = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	    &je);
	if (v == NULL)
		return jsonio_load_error(text, len, &je, e);
	if (jsonio_check_top(v, e) != 0) {
		json_decref(v);
		return e->status;
	}
	*out = v;
	return 0;
}

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
	char	d[24];		/* significant digits, no trailing zeros */
	int	k;		/* how many */
	int	e;		/* value is 0.d * 10^e (ECMAScript's n) */
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
static const double jsonio_pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
	1e13, 1e14, 1e15, 1e16, 1e17
};

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

	if (d == 0 || !isfinite(d)) {	/* -0 too; non-finite is a misuse */
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
		if ((((x - ONES * 0x20) & ~x & HIGHS) | HASZERO(x ^ (ONES *
		    '"')) | HASZERO(x ^ (ONES * '\\'))) != 0)
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
	const char	*key;
	size_t		 len;
	json_t		*value;
};

#define CANON_INLINE 64

struct jsonio_canon {
	struct buf		*b;
	struct ierr		*e;
	struct jsonio_member	*m;
	size_t			 used;
	size_t			 cap;
	struct jsonio_member	 inl[CANON_INLINE];
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
		m = c->m + base + i;	/* c->m moves as inner objects grow it */
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
			if (jsonio_value(c, json_array_get(v, i),
			    depth + 1) != 0)
				return -1;
		}
		jsonio_putc(c->b, ']');
		return 0;
	case JSON_STRING:
		jsonio_putstring(c->b, json_string_value(v),
		    json_string_length(v));
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
