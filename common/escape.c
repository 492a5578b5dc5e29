#include "config.h"

#include <stdint.h>
#include <string.h>

#include "escape.h"

/*
 * The length of the valid UTF-8 sequence at s (at most n bytes) and its
 * code point in *cp; 0 when the bytes there are not one (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF).
 */
static size_t
utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len, i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		c = s[0] & 0x07;
	} else
		return 0; /* continuation byte, C0, C1, F5-FF */
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

/* 1 for the code points SPEC 9 has written as \uXXXX. */
static int
must_escape(uint32_t c)
{
	return c <= 0x1f || (c >= 0x7f && c <= 0x9f) || c == 0x061c ||
	    c == 0x200e || c == 0x200f || c == 0x2028 || c == 0x2029 ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

size_t
escape_text(char *out, size_t outsz, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char tmp[8];
	size_t i = 0, len, k, total = 0, used = 0;
	int full = 0;
	uint32_t c;

	while (i < n) {
		if ((len = utf8_decode(p + i, n - i, &c)) == 0) {
			tmp[0] = '\\';
			tmp[1] = 'x';
			tmp[2] = hex[p[i] >> 4];
			tmp[3] = hex[p[i] & 0xf];
			k = 4;
			len = 1;
		} else if (must_escape(c)) {
			tmp[0] = '\\';
			tmp[1] = 'u';
			tmp[2] = hex[c >> 12 & 0xf];
			tmp[3] = hex[c >> 8 & 0xf];
			tmp[4] = hex[c >> 4 & 0xf];
			tmp[5] = hex[c & 0xf];
			k = 6;
		} else {
			memcpy(tmp, p + i, len);
			k = len;
		}
		/* Once something did not fit, nothing after it is written. */
		if (!full && outsz > 0 && used + k < outsz) {
			memcpy(out + used, tmp, k);
			used += k;
		} else
			full = 1;
		total += k;
		i += len;
	}
	if (outsz > 0)
		out[used] = '\0';
	return total;
}
