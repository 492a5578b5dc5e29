/*
 * The key reader for store lines the last merge wrote (store_scan_key):
 * the envelope members a merge needs, read backwards from the end of a
 * canonical line without looking at data.
 *
 * In a canonical record the members are in byte order, and every member
 * after data (expires, id, origin, purposes, received, releasable_to,
 * type, version, withdrawn) is a string, an integer, a boolean, an array
 * of strings or received's object of strings: flat values.  So the walk
 * starts at the closing brace, takes each member back to its key, and
 * stops once it has passed id (and expires before it, if there).  It
 * touches a line's last hundred bytes or so and never data, which is most
 * of it.
 *
 * It validates nothing it does not need: it is only used on a file that
 * is exactly the one the last merge wrote (store_trusted()), whose every
 * line that merge wrote canonical.  It never reads outside the line
 * whatever the bytes, and whatever it does not expect (another member,
 * another shape, an escape the canonical writer does not use in origin or
 * id) makes it say no, and the caller reads the line with the validating
 * scanner instead.
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "store-int.h"

/* The members that may follow data, in canonical order. */
enum {
	K_EXPIRES,
	K_ID,
	K_ORIGIN,
	K_PURPOSES,
	K_RECEIVED,
	K_RELEASABLE_TO,
	K_TYPE,
	K_VERSION,
	K_WITHDRAWN,
	K_N
};

static const struct {
	size_t len;
} keys[K_N] = {
	{ 7 },	/* expires */
	{ 2 },	/* id */
	{ 6 },	/* origin */
	{ 8 },	/* purposes */
	{ 8 },	/* received */
	{ 13 }, /* releasable_to */
	{ 4 },	/* type */
	{ 7 },	/* version */
	{ 9 },	/* withdrawn */
};

/*
 * The opening quote of the string whose closing quote is at s[q]: the
 * first quote before it not escaped (an odd run of backslashes before a
 * quote escapes it).  -1 if there is none.  s[0] is the line's opening
 * brace, never a quote.
 */
static long
str_start(const char *s, long q)
{
	long i = q - 1, k;

	for (;;) {
		while (i > 0 && s[i] != '"')
			i--;
		if (i <= 0)
			return -1;
		if (s[i - 1] != '\\')
			return i;
		for (k = i - 1; k > 0 && s[k] == '\\'; k--)
			;
		if ((i - 1 - k) % 2 == 0)
			return i;
		i--;
	}
}

/*
 * The key of the member whose value starts at s[vs] ("key": before it),
 * of those that may come before key last in canonical order: which, and
 * its opening quote in *kq; K_N if none.
 */
static int
which(const char *s, long vs, int last, long *kq)
{
	const char *p;
	long q;
	int same;

	if (vs < 3 || s[vs - 1] != ':' || s[vs - 2] != '"')
		return K_N;
	for (int k = last - 1; k >= 0; k--) {
		q = vs - 3 - (long)keys[k].len;
		if (q < 1 || s[q] != '"')
			continue;
		/* Constant lengths: the compiler compares in a word or two. */
		p = s + q + 1;
		switch (k) {
		case K_EXPIRES:
			same = memcmp(p, "expires", 7) == 0;
			break;
		case K_ID:
			same = memcmp(p, "id", 2) == 0;
			break;
		case K_ORIGIN:
			same = memcmp(p, "origin", 6) == 0;
			break;
		case K_PURPOSES:
			same = memcmp(p, "purposes", 8) == 0;
			break;
		case K_RECEIVED:
			same = memcmp(p, "received", 8) == 0;
			break;
		case K_RELEASABLE_TO:
			same = memcmp(p, "releasable_to", 13) == 0;
			break;
		case K_TYPE:
			same = memcmp(p, "type", 4) == 0;
			break;
		case K_VERSION:
			same = memcmp(p, "version", 7) == 0;
			break;
		default:
			same = memcmp(p, "withdrawn", 9) == 0;
			break;
		}
		if (same) {
			*kq = q;
			return k;
		}
	}
	return K_N;
}

/* A string that the merge unescapes: only the escapes the canonical writer
 * uses (\" \\ \b \f \n \r \t \u00xx in lower case). */
static int
plain_escapes(const char *s, size_t n, int *esc)
{
	const char *p = memchr(s, '\\', n), *end = s + n;

	*esc = p != NULL;
	while (p != NULL && p < end) {
		if (p + 1 >= end)
			return -1;
		switch (p[1]) {
		case '"':
		case '\\':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			p += 2;
			break;
		case 'u':
			if (p + 6 > end || p[2] != '0' || p[3] != '0')
				return -1;
			for (int i = 4; i < 6; i++)
				if (!((p[i] >= '0' && p[i] <= '9') ||
					(p[i] >= 'a' && p[i] <= 'f')))
					return -1;
			p += 6;
			break;
		default:
			return -1;
		}
		p = memchr(p, '\\', (size_t)(end - p));
	}
	return 0;
}

/*
 * The value that ends at s[e] (a string, a literal, or an array or object
 * of strings): its first byte's index, or -1.  For an object, the value
 * of its member "from" goes to *from, *flen (quotes excluded).
 */
static long
value_start(const char *s, long e, const char **from, size_t *flen)
{
	long i, q, kq;

	if (e < 1)
		return -1;
	if (s[e] == '"')
		return str_start(s, e);
	if (s[e] == ']') {
		i = e - 1;
		if (s[i] == '[')
			return i;
		for (;;) {
			if (s[i] != '"' || (q = str_start(s, i)) < 1)
				return -1;
			i = q - 1;
			if (s[i] == '[')
				return i;
			if (s[i] != ',')
				return -1;
			i--;
		}
	}
	if (s[e] == '}') {
		i = e - 1;
		if (s[i] == '{')
			return i;
		for (;;) {
			if (s[i] != '"' || (q = str_start(s, i)) < 3 ||
			    s[q - 1] != ':' || s[q - 2] != '"' ||
			    (kq = str_start(s, q - 2)) < 1)
				return -1;
			if (q - 2 - kq - 1 == 4 &&
			    memcmp(s + kq + 1, "from", 4) == 0) {
				*from = s + q + 1;
				*flen = (size_t)(i - q - 1);
			}
			i = kq - 1;
			if (s[i] == '{')
				return i;
			if (s[i] != ',')
				return -1;
			i--;
		}
	}
	/* A literal: true, false or an integer. */
	for (i = e; i >= 0 &&
	     ((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z'));
	     i--)
		;
	return i < e ? i + 1 : -1;
}

static int
take_version(const char *s, size_t n, int64_t *v)
{
	uint64_t x = 0;

	if (n == 0 || n > 19 || s[0] == '0')
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > INT64_MAX)
		return -1;
	*v = (int64_t)x;
	return 0;
}

int
store_scan_key(const char *line, size_t len, struct store_key *k)
{
	const char *from = NULL, *v;
	size_t flen = 0, vlen;
	long e, vs, kq = 0;
	int last = K_N, key, have = 0;

	memset(k, 0, sizeof *k);
	if (len < 2 || len > LONG_MAX / 2 || line[0] != '{' ||
	    line[len - 1] != '}')
		return -1;
	e = (long)len - 2; /* the last byte of the last value */
	for (;;) {
		from = NULL;
		/* Keys strictly falling, as canonical order has them. */
		if ((vs = value_start(line, e, &from, &flen)) < 3 ||
		    (key = which(line, vs, last, &kq)) == K_N)
			return -1;
		last = key;
		v = line + vs;
		vlen = (size_t)(e + 1 - vs);
		switch (key) {
		case K_WITHDRAWN:
			if (vlen == 4 && memcmp(v, "true", 4) == 0)
				k->withdrawn = 1;
			else if (vlen != 5 || memcmp(v, "false", 5) != 0)
				return -1;
			break;
		case K_VERSION:
			if (take_version(v, vlen, &k->version) != 0)
				return -1;
			have |= 1;
			break;
		case K_RECEIVED:
			if (v[0] != '{' || from == NULL)
				return -1;
			k->from = from;
			k->flen = flen;
			break;
		case K_ORIGIN:
		case K_ID:
		case K_EXPIRES:
			if (v[0] != '"' ||
			    plain_escapes(v + 1, vlen - 2,
				key == K_ID	      ? &k->id_esc
				    : key == K_ORIGIN ? &k->origin_esc
						      : &k->expires_esc) != 0)
				return -1;
			if (key == K_ID) {
				k->id = v + 1;
				k->idlen = vlen - 2;
				have |= 2;
			} else if (key == K_ORIGIN) {
				k->origin = v + 1;
				k->olen = vlen - 2;
				have |= 4;
			} else {
				k->expires = v + 1;
				k->elen = vlen - 2;
			}
			break;
		default: /* purposes, releasable_to, type: not needed */
			break;
		}
		if (line[kq - 1] == '{')
			return -1; /* no data before: not a record */
		if (line[kq - 1] != ',')
			return -1;
		e = kq - 2;
		if (key == K_EXPIRES)
			break;
		/* Before id: expires (a string), or data's closing brace. */
		if (key == K_ID && line[e] != '"')
			break;
	}
	return have == 7 ? 0 : -1;
}
