#include "config.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "buf.h"
#include "jsonio.h"
#include "scan.h"
#include "timeutil.h"

/*
 * One recursive descent over the bytes, bounded by JSONIO_MAX_DEPTH as
 * jsonio is.  Every check answers "would the canonical writer have
 * written exactly this byte here?"; the first no ends the scan.
 */

struct sc {
	const unsigned char *p;
	const unsigned char *end;
	scan_fn *fn;
	void *arg;
	int live;   /* fn is being called */
	double num; /* the last real number read */
};

#define BAD (-1)

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define HASZERO(x) (((x)-ONES) & ~(x)&HIGHS)

static void
emit(struct sc *s, enum scan_event ev, enum scan_kind kind,
    const unsigned char *p, size_t len, int esc, int empty)
{
	struct scan_val v;

	if (!s->live)
		return;
	v.kind = kind;
	v.p = (const char *)p;
	v.len = len;
	v.esc = esc;
	v.empty = empty;
	v.num = kind == SCAN_REAL ? s->num : 0;
	if (s->fn(s->arg, ev, &v) != 0)
		s->live = 0;
}

/* The length of a valid UTF-8 sequence of 2 to 4 bytes at p, or 0. */
static size_t
utf8(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n = (size_t)(end - p);

	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))
			return 0; /* overlong; a surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
			return 0; /* overlong; beyond U+10FFFF */
		return 4;
	}
	return 0;
}

/* Bytes a string holds raw and that need no look: ASCII from 0x20 but
 * '"' and '\\'. */
/* clang-format off */
static const unsigned char plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x80 to 0xff: 0 */
};
/* clang-format on */

static int
lowhex(unsigned c)
{
	if (c >= '0' && c <= '9')
		return (int)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (int)(c - 'a' + 10);
	return -1;
}

/*
 * A string at s->p (its opening quote): its bytes between the quotes in
 * *cp, *clen, whether it holds an escape in *esc; s->p past the closing
 * quote.  Only what jsonio_string writes: \" \\ \b \f \n \r \t, other
 * bytes below 0x20 as \u00xx in lower case, every other byte raw.
 */
static int
string(struct sc *s, const unsigned char **cp, size_t *clen, int *esc)
{
	const unsigned char *p = s->p + 1, *end = s->end;
	uint64_t x, m;
	size_t n;
	int e = 0, hi, lo, v;

	*cp = p;
	for (;;) {
#ifdef __SSE2__
		/*
		 * Sixteen bytes at a time: as signed bytes, those below 0x20
		 * are the control characters and every byte from 0x80.
		 */
		while (end - p >= 16) {
			__m128i w = _mm_loadu_si128((const __m128i *)p);
			unsigned bits = (unsigned)_mm_movemask_epi8(
			    _mm_or_si128(
				_mm_or_si128(
				    _mm_cmpeq_epi8(w, _mm_set1_epi8('"')),
				    _mm_cmpeq_epi8(w, _mm_set1_epi8('\\'))),
				_mm_cmplt_epi8(w, _mm_set1_epi8(0x20))));

			if (bits != 0) {
				p += __builtin_ctz(bits);
				goto special;
			}
			p += 16;
		}
#endif
		/*
		 * Eight bytes at a time; the lowest byte flagged is the first
		 * byte that is not plain ASCII (a borrow or a false hit only
		 * ever lands above a true one).
		 */
		while (end - p >= 8) {
			memcpy(&x, p, 8);
			m = ((((x - ONES * 0x20) & ~x) | x) & HIGHS) |
			    HASZERO(x ^ (ONES * '"')) |
			    HASZERO(x ^ (ONES * '\\'));
			if (m != 0) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				p += __builtin_ctzll(m) >> 3;
#else
				while (plain[*p])
					p++;
#endif
				goto special;
			}
			p += 8;
		}
		while (p < end && plain[*p])
			p++;
		if (p >= end)
			return BAD;
special:
		if (*p == '"')
			break;
		if (*p < 0x20)
			return BAD;
		if (*p == '\\') {
			e = 1;
			if (end - p < 2)
				return BAD;
			switch (p[1]) {
			case '"':
			case '\\':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				p += 2;
				continue;
			case 'u':
				break;
			default:
				return BAD;
			}
			if (end - p < 6 || p[2] != '0' || p[3] != '0' ||
			    (hi = lowhex(p[4])) < 0 || hi > 1 ||
			    (lo = lowhex(p[5])) < 0)
				return BAD;
			v = hi * 16 + lo;
			if (v == 0 || v == '\b' || v == '\f' || v == '\n' ||
			    v == '\r' || v == '\t')
				return BAD;
			p += 6;
			continue;
		}
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((n = utf8(p, end)) == 0)
			return BAD;
		p += n;
	}
	*clen = (size_t)(p - *cp);
	*esc = e;
	s->p = p + 1;
	return 0;
}

static int
digit(const unsigned char *p, const unsigned char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
	1e22 };

/*
 * The common real, such as 49.05, settled without strtod and
 * jsonio_number: a grammatical number with a fraction, no exponent, no
 * trailing zero, at most 15 significant digits and, below 1, at most five
 * zeros after the point.  At most 15 digits (DBL_DIG), no other decimal
 * of as few digits reads as the same double, so the text is the
 * shortest, the one jsonio_number writes, and the fixed layout is the one
 * it uses from 1e-6 up.  Its value is m / 10^k with m below 2^53 and k at
 * most 22, both exact doubles, so the division rounds it as strtod does.
 * Returns 0 when the text is not of that form (then strtod decides).
 */
static int
fast_real(const unsigned char *t, size_t len, int neg, double *d)
{
	const unsigned char *p = t + neg, *end = t + len;
	uint64_t m = 0;
	int sig = 0, k = -1, lead = 0;

	for (; p < end; p++) {
		if (*p == '.') {
			k = 0;
			continue;
		}
		if (*p < '0' || *p > '9')
			return 0; /* an exponent */
		if (k >= 0)
			k++;
		if (sig == 0 && *p == '0') {
			if (k >= 0)
				lead++;
			continue;
		}
		if (++sig > 15)
			return 0;
		m = m * 10 + (uint64_t)(*p - '0');
	}
	if (k <= 0 || end[-1] == '0' || sig == 0 || lead > 5 || k > 22)
		return 0;
	*d = (double)m / p10[k];
	if (neg)
		*d = -*d;
	return 1;
}

/*
 * A number: an integer as plain digits within int64 (no "-0"), any
 * other exactly as jsonio_number writes the double it reads as.
 */
static int
number(struct sc *s, enum scan_kind *kind)
{
	const unsigned char *p = s->p, *end = s->end, *d0;
	char text[48], canon[JSONIO_NUMBER_MAX];
	size_t len, nd;
	int neg = 0, isint = 1;
	double d;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	d0 = p;
	if (!digit(p, end))
		return BAD;
	if (*p == '0') {
		if (digit(++p, end))
			return BAD;
	} else {
		while (digit(p, end))
			p++;
	}
	nd = (size_t)(p - d0);
	if (p < end && *p == '.') {
		isint = 0;
		if (!digit(++p, end))
			return BAD;
		while (digit(p, end))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		isint = 0;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!digit(p, end))
			return BAD;
		while (digit(p, end))
			p++;
	}
	len = (size_t)(p - s->p);
	if (isint) {
		if (neg && nd == 1 && *d0 == '0')
			return BAD;
		if (nd > 19 ||
		    (nd == 19 &&
			memcmp(d0,
			    neg ? "9223372036854775808" : "9223372036854775807",
			    19) > 0))
			return BAD;
		*kind = SCAN_INTEGER;
	} else if (fast_real(s->p, len, neg, &s->num)) {
		*kind = SCAN_REAL;
	} else {
		if (len >= sizeof text)
			return BAD;
		memcpy(text, s->p, len);
		text[len] = '\0';
		d = strtod(text, NULL);
		/* An integral real beyond int64 (and inf) is an error. */
		if (!(d >= -0x1p63 && d < 0x1p63))
			return BAD;
		jsonio_number(d, canon);
		if (strlen(canon) != len || memcmp(canon, text, len) != 0)
			return BAD;
		s->num = d;
		*kind = SCAN_REAL;
	}
	s->p = p;
	return 0;
}

static int
literal(struct sc *s, const char *word, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return BAD;
	s->p += n;
	return 0;
}

static int
keycmp(const unsigned char *a, size_t alen, int aesc, const unsigned char *b,
    size_t blen, int besc)
{
	size_t n = alen < blen ? alen : blen;
	int c;

	if (aesc || besc)
		return scan_strcmp(
		    (const char *)a, alen, (const char *)b, blen);
	/* Keys are short and differ early. */
	for (size_t i = 0; i < n; i++)
		if ((c = a[i] - b[i]) != 0)
			return c;
	return (alen > blen) - (alen < blen);
}

static int value(struct sc *, int);

/* An object at s->p; self: report its own begin and end. */
static int
object(struct sc *s, int depth, int self)
{
	const unsigned char *k, *pk = NULL;
	size_t klen, pklen = 0;
	int kesc, pkesc = 0;

	if (depth >= JSONIO_MAX_DEPTH)
		return BAD;
	if (++s->p >= s->end)
		return BAD;
	if (*s->p == '}') {
		if (self) {
			emit(s, SCAN_BEGIN, SCAN_OBJECT, s->p - 1, 2, 0, 1);
			emit(s, SCAN_END, SCAN_OBJECT, s->p, 1, 0, 0);
		}
		s->p++;
		return 0;
	}
	if (self)
		emit(s, SCAN_BEGIN, SCAN_OBJECT, s->p - 1, 1, 0, 0);
	for (;;) {
		if (*s->p != '"' || string(s, &k, &klen, &kesc) != 0)
			return BAD;
		if (pk != NULL && keycmp(pk, pklen, pkesc, k, klen, kesc) >= 0)
			return BAD;
		pk = k;
		pklen = klen;
		pkesc = kesc;
		emit(s, SCAN_KEY, SCAN_STRING, k, klen, kesc, 0);
		if (s->end - s->p < 2 || *s->p != ':')
			return BAD;
		s->p++;
		if (value(s, depth + 1) != 0 || s->p >= s->end)
			return BAD;
		if (*s->p == '}')
			break;
		if (*s->p != ',' || ++s->p >= s->end)
			return BAD;
	}
	if (self)
		emit(s, SCAN_END, SCAN_OBJECT, s->p, 1, 0, 0);
	s->p++;
	return 0;
}

static int
array(struct sc *s, int depth)
{
	if (depth >= JSONIO_MAX_DEPTH)
		return BAD;
	if (++s->p >= s->end)
		return BAD;
	if (*s->p == ']') {
		emit(s, SCAN_BEGIN, SCAN_ARRAY, s->p - 1, 2, 0, 1);
		emit(s, SCAN_END, SCAN_ARRAY, s->p, 1, 0, 0);
		s->p++;
		return 0;
	}
	emit(s, SCAN_BEGIN, SCAN_ARRAY, s->p - 1, 1, 0, 0);
	for (;;) {
		if (value(s, depth + 1) != 0 || s->p >= s->end)
			return BAD;
		if (*s->p == ']')
			break;
		if (*s->p != ',' || ++s->p >= s->end)
			return BAD;
	}
	emit(s, SCAN_END, SCAN_ARRAY, s->p, 1, 0, 0);
	s->p++;
	return 0;
}

/* Any value at s->p (s->p < s->end). */
static int
value(struct sc *s, int depth)
{
	const unsigned char *start = s->p, *c;
	enum scan_kind kind;
	size_t clen;
	int esc;

	switch (*s->p) {
	case '{':
		return object(s, depth, 1);
	case '[':
		return array(s, depth);
	case '"':
		if (string(s, &c, &clen, &esc) != 0)
			return BAD;
		emit(s, SCAN_LEAF, SCAN_STRING, c, clen, esc, 0);
		return 0;
	case 't':
		if (literal(s, "true", 4) != 0)
			return BAD;
		emit(s, SCAN_LEAF, SCAN_TRUE, start, 4, 0, 0);
		return 0;
	case 'f':
		if (literal(s, "false", 5) != 0)
			return BAD;
		emit(s, SCAN_LEAF, SCAN_FALSE, start, 5, 0, 0);
		return 0;
	case 'n':
		if (literal(s, "null", 4) != 0)
			return BAD;
		emit(s, SCAN_LEAF, SCAN_NULL, start, 4, 0, 0);
		return 0;
	default:
		if (*s->p != '-' && (*s->p < '0' || *s->p > '9'))
			return BAD;
		if (number(s, &kind) != 0)
			return BAD;
		emit(s, SCAN_LEAF, kind, start, (size_t)(s->p - start), 0, 0);
		return 0;
	}
}

int
scan_json(const char *text, size_t len)
{
	struct sc s;

	s.p = (const unsigned char *)text;
	s.end = s.p + len;
	s.fn = NULL;
	s.arg = NULL;
	s.live = 0;
	if (len == 0 || value(&s, 0) != 0 || s.p != s.end)
		return SCAN_NOT_CANONICAL;
	return SCAN_OK;
}

/*
 * The envelope (record_validate's rules).
 */

static const struct {
	const char *name;
	size_t len;
} names[SCAN_NMEMBERS] = {
#define N(s) \
	{ \
		s, sizeof s - 1 \
	}
	[SCAN_CLASSIFICATION] = N("classification"),
	[SCAN_CREATED] = N("created"),
	[SCAN_DATA] = N("data"),
	[SCAN_EXPIRES] = N("expires"),
	[SCAN_ID] = N("id"),
	[SCAN_ORIGIN] = N("origin"),
	[SCAN_PURPOSES] = N("purposes"),
	[SCAN_RECEIVED] = N("received"),
	[SCAN_RELEASABLE_TO] = N("releasable_to"),
	[SCAN_TYPE] = N("type"),
	[SCAN_VERSION] = N("version"),
	[SCAN_WITHDRAWN] = N("withdrawn"),
#undef N
};

static int
member_of(const unsigned char *k, size_t len)
{
	int i;

	switch (k[0]) {
	case 'c':
		i = len == 7 ? SCAN_CREATED : SCAN_CLASSIFICATION;
		break;
	case 'd':
		i = SCAN_DATA;
		break;
	case 'e':
		i = SCAN_EXPIRES;
		break;
	case 'i':
		i = SCAN_ID;
		break;
	case 'o':
		i = SCAN_ORIGIN;
		break;
	case 'p':
		i = SCAN_PURPOSES;
		break;
	case 'r':
		i = len == 8 ? SCAN_RECEIVED : SCAN_RELEASABLE_TO;
		break;
	case 't':
		i = SCAN_TYPE;
		break;
	case 'v':
		i = SCAN_VERSION;
		break;
	case 'w':
		i = SCAN_WITHDRAWN;
		break;
	default:
		return -1;
	}
	if (names[i].len == len && memcmp(names[i].name, k, len) == 0)
		return i;
	return -1;
}

/* The end of a canonical string starting at p (its opening quote). */
static const char *
string_end(const char *p, const char *end)
{
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return end;
}

/* A non-empty string without escapes: its text into buf (NUL ended). */
static int
plain_text(const char *v, size_t vlen, char *buf, size_t size)
{
	if (vlen < 3 || v[0] != '"' || vlen - 2 >= size ||
	    memchr(v + 1, '\\', vlen - 2) != NULL)
		return -1;
	memcpy(buf, v + 1, vlen - 2);
	buf[vlen - 2] = '\0';
	return 0;
}

/* An array of non-empty strings. */
static int
check_list(const char *v, size_t vlen)
{
	const char *p = v + 1, *end = v + vlen - 1;

	if (vlen < 2 || v[0] != '[')
		return -1;
	if (p == end)
		return 0;
	for (;;) {
		if (*p != '"' || p[1] == '"')
			return -1;
		p = string_end(p, end);
		if (p == end)
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

/* {"at":TIME,"bundle":NAME,"from":NAME}, nothing else. */
static int
check_received(const char *v, size_t vlen)
{
	static const char *const keys[3] = {
		"{\"at\":", ",\"bundle\":", ",\"from\":"
	};
	const char *p = v, *end = v + vlen, *q;
	char t[64];
	int64_t when;
	size_t n;

	for (int i = 0; i < 3; i++) {
		n = strlen(keys[i]);
		if ((size_t)(end - p) < n || memcmp(p, keys[i], n) != 0)
			return -1;
		p += n;
		if (p >= end || *p != '"' || p + 1 >= end || p[1] == '"')
			return -1;
		q = string_end(p, end);
		if (i == 0 &&
		    (plain_text(p, (size_t)(q - p), t, sizeof t) != 0 ||
			timeutil_parse(t, &when) != 0))
			return -1;
		p = q;
	}
	return p + 1 == end && *p == '}' ? 0 : -1;
}

static int
check_member(int m, const char *v, size_t vlen, struct scan_record *r)
{
	char t[64];
	int64_t when, ver;

	switch ((enum scan_member)m) {
	case SCAN_CLASSIFICATION:
	case SCAN_ID:
	case SCAN_ORIGIN:
	case SCAN_TYPE:
		return v[0] == '"' && vlen > 2 ? 0 : -1;
	case SCAN_CREATED:
		if (plain_text(v, vlen, t, sizeof t) != 0 ||
		    timeutil_parse_utc(t, &when) != 0)
			return -1;
		return 0;
	case SCAN_EXPIRES:
		if (plain_text(v, vlen, t, sizeof t) != 0 ||
		    timeutil_parse(t, &when) != 0)
			return -1;
		return 0;
	case SCAN_DATA:
		return v[0] == '{' ? 0 : -1;
	case SCAN_PURPOSES:
	case SCAN_RELEASABLE_TO:
		return check_list(v, vlen);
	case SCAN_RECEIVED:
		return check_received(v, vlen);
	case SCAN_VERSION:
		/* Canonical digits: no sign, no leading zero; >= 1. */
		if (v[0] < '1' || v[0] > '9')
			return -1;
		ver = 0;
		for (size_t i = 0; i < vlen; i++) {
			if (v[i] < '0' || v[i] > '9')
				return -1;
			/* At most 19 digits, within int64: number() saw. */
			ver = ver * 10 + (v[i] - '0');
		}
		r->version = ver;
		return 0;
	case SCAN_WITHDRAWN:
		if (vlen == 4 && memcmp(v, "true", 4) == 0)
			r->withdrawn = 1;
		else if (!(vlen == 5 && memcmp(v, "false", 5) == 0))
			return -1;
		return 0;
	case SCAN_NMEMBERS:
		break;
	}
	return -1;
}

int
scan_record(
    const char *line, size_t len, struct scan_record *r, scan_fn *fn, void *arg)
{
	const unsigned char *k, *mstart, *vstart;
	struct scan_slot *sl;
	struct sc s;
	size_t klen;
	int kesc, m, prev = -1;

	memset(r, 0, sizeof *r);
	s.p = (const unsigned char *)line;
	s.end = s.p + len;
	s.fn = fn;
	s.arg = arg;
	s.live = 0;
	if (len < 2 || *s.p != '{')
		return SCAN_NOT_CANONICAL;
	s.p++;
	for (;;) {
		mstart = s.p;
		if (*s.p != '"' || string(&s, &k, &klen, &kesc) != 0 || kesc ||
		    (m = member_of(k, klen)) < 0 || m <= prev)
			return SCAN_NOT_CANONICAL;
		prev = m;
		if (s.end - s.p < 2 || *s.p != ':')
			return SCAN_NOT_CANONICAL;
		vstart = ++s.p;
		if (m == SCAN_DATA) {
			if (*s.p != '{')
				return SCAN_NOT_CANONICAL;
			s.live = fn != NULL;
			if (object(&s, 1, 0) != 0)
				return SCAN_NOT_CANONICAL;
			s.live = 0;
		} else if (value(&s, 1) != 0)
			return SCAN_NOT_CANONICAL;
		sl = &r->m[m];
		sl->member = (const char *)mstart;
		sl->mlen = (size_t)(s.p - mstart);
		sl->value = (const char *)vstart;
		sl->vlen = (size_t)(s.p - vstart);
		if (check_member(m, sl->value, sl->vlen, r) != 0)
			return SCAN_NOT_CANONICAL;
		if (s.p >= s.end)
			return SCAN_NOT_CANONICAL;
		if (*s.p == '}')
			break;
		if (*s.p != ',' || ++s.p >= s.end)
			return SCAN_NOT_CANONICAL;
	}
	if (s.p + 1 != s.end)
		return SCAN_NOT_CANONICAL;
	if (r->m[SCAN_CREATED].member == NULL ||
	    r->m[SCAN_DATA].member == NULL || r->m[SCAN_ID].member == NULL ||
	    r->m[SCAN_ORIGIN].member == NULL ||
	    r->m[SCAN_TYPE].member == NULL || r->m[SCAN_VERSION].member == NULL)
		return SCAN_NOT_CANONICAL;
	if (r->withdrawn && r->m[SCAN_DATA].vlen != 2)
		return SCAN_NOT_CANONICAL;
	return SCAN_OK;
}

int
scan_plain(const struct scan_record *r, enum scan_member m, const char **s,
    size_t *len)
{
	const struct scan_slot *sl = &r->m[m];

	if (sl->member == NULL || sl->value[0] != '"' ||
	    memchr(sl->value + 1, '\\', sl->vlen - 2) != NULL)
		return 0;
	*s = sl->value + 1;
	*len = sl->vlen - 2;
	return 1;
}

int
scan_next_string(const char *arr, size_t alen, size_t *pos, const char **s,
    size_t *len, int *esc)
{
	const char *end = arr + alen, *p = arr + *pos, *q;

	if (*pos == 0)
		p = arr + 1; /* past '[' */
	if (p >= end || *p != '"')
		return 0;
	q = string_end(p, end);
	*s = p + 1;
	*len = (size_t)(q - p) - 2;
	*esc = memchr(p + 1, '\\', *len) != NULL;
	if (q < end && *q == ',')
		q++;
	*pos = (size_t)(q - arr);
	return 1;
}

/* The next byte a canonical string's text stands for; *p moves on. */
static unsigned
unesc(const unsigned char **p)
{
	const unsigned char *q = *p;

	if (*q != '\\') {
		*p = q + 1;
		return *q;
	}
	*p = q + 2;
	switch (q[1]) {
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'u':
		*p = q + 6;
		return (unsigned)(lowhex(q[4]) * 16 + lowhex(q[5]));
	default:
		return q[1];
	}
}

int
scan_strcmp(const char *a, size_t alen, const char *b, size_t blen)
{
	const unsigned char *p = (const unsigned char *)a, *pe = p + alen;
	const unsigned char *q = (const unsigned char *)b, *qe = q + blen;
	unsigned x, y;

	while (p < pe && q < qe) {
		x = unesc(&p);
		y = unesc(&q);
		if (x != y)
			return (int)x - (int)y;
	}
	return (p < pe) - (q < qe);
}

size_t
scan_unescape(const char *s, size_t len, char *out)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n = 0;

	while (p < end)
		out[n++] = (char)unesc(&p);
	return n;
}

void
scan_rewrite(struct buf *b, const struct scan_record *r,
    const char *const set[SCAN_NMEMBERS])
{
	const struct scan_slot *sl;
	int first = 1;

	buf_addc(b, '{');
	for (int m = 0; m < SCAN_NMEMBERS; m++) {
		sl = &r->m[m];
		if (set[m] == NULL && sl->member == NULL)
			continue;
		if (!first)
			buf_addc(b, ',');
		first = 0;
		if (set[m] == NULL) {
			buf_add(b, sl->member, sl->mlen);
			continue;
		}
		buf_addc(b, '"');
		buf_add(b, names[m].name, names[m].len);
		buf_add(b, "\":", 2);
		buf_adds(b, set[m]);
	}
	buf_addc(b, '}');
}

/* scan_paths(): the path of each open object or array, by length. */
struct paths {
	struct buf *b;
	scan_leaf_fn *fn;
	void *arg;
	size_t base[JSONIO_MAX_DEPTH + 2];
	unsigned char obj[JSONIO_MAX_DEPTH + 2];
	int n;
};

static void
path_cut(struct paths *w, size_t len)
{
	w->b->len = len;
	w->b->data[len] = '\0';
}

static int
path_event(void *arg, enum scan_event ev, const struct scan_val *v)
{
	struct paths *w = arg;
	size_t top = w->base[w->n - 1];

	switch (ev) {
	case SCAN_KEY:
		path_cut(w, top);
		if (top > 0)
			buf_addc(w->b, '.');
		if (!v->esc)
			buf_add(w->b, v->p, v->len);
		else {
			buf_reserve(w->b, v->len);
			w->b->len += scan_unescape(
			    v->p, v->len, w->b->data + w->b->len);
			w->b->data[w->b->len] = '\0';
		}
		return 0;
	case SCAN_BEGIN:
		if (!w->obj[w->n - 1])
			path_cut(w, top);
		w->base[w->n] = w->b->len;
		w->obj[w->n] = v->kind == SCAN_OBJECT;
		w->n++;
		return 0;
	case SCAN_END:
		w->n--;
		return 0;
	case SCAN_LEAF:
		break;
	}
	if (!w->obj[w->n - 1])
		path_cut(w, top);
	return w->fn(w->arg, w->b->data, w->b->len, v);
}

int
scan_paths(const char *line, size_t len, struct scan_record *r,
    struct buf *path, scan_leaf_fn *fn, void *arg)
{
	struct paths w;

	w.b = path;
	w.fn = fn;
	w.arg = arg;
	w.base[0] = 0;
	w.obj[0] = 1;
	w.n = 1;
	buf_reset(path);
	buf_reserve(path, 64);
	return scan_record(line, len, r, path_event, &w);
}
