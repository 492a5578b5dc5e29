#include "config.h"

#include <stdint.h>

#include "base64.h"

/*
 * Character <-> value without tables and without branches on the data:
 * every range test is an arithmetic mask.
 */

/* All ones when lo <= c <= hi, else 0; c, lo, hi below 2^16. */
static uint32_t
range_mask(uint32_t c, uint32_t lo, uint32_t hi)
{
	return ((uint32_t)(c - lo) >> 31 ^ 1) *
	    (((uint32_t)(hi - c) >> 31) ^ 1) * 0xffffffffu;
}

static char
enc_char(uint32_t v)
{
	uint32_t c;

	c = (v + 'A') & range_mask(v, 0, 25);
	c |= (v - 26 + 'a') & range_mask(v, 26, 51);
	c |= (v - 52 + '0') & range_mask(v, 52, 61);
	c |= '+' & range_mask(v, 62, 62);
	c |= '/' & range_mask(v, 63, 63);
	return (char)c;
}

/* The value of c, or 0xff... in the upper bits when c is not base64. */
static uint32_t
dec_char(uint32_t c)
{
	uint32_t v, ok;

	ok = range_mask(c, 'A', 'Z');
	v = (c - 'A') & ok;
	v |= (c - 'a' + 26) & range_mask(c, 'a', 'z');
	ok |= range_mask(c, 'a', 'z');
	v |= (c - '0' + 52) & range_mask(c, '0', '9');
	ok |= range_mask(c, '0', '9');
	v |= 62 & range_mask(c, '+', '+');
	ok |= range_mask(c, '+', '+');
	v |= 63 & range_mask(c, '/', '/');
	ok |= range_mask(c, '/', '/');
	return v | (~ok & 0x100);
}

size_t
base64_encode(const void *in, size_t n, char *out)
{
	const unsigned char *p = in;
	size_t i, o = 0;
	uint32_t w;

	for (i = 0; i + 3 <= n; i += 3) {
		w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = enc_char(w >> 18);
		out[o++] = enc_char(w >> 12 & 63);
		out[o++] = enc_char(w >> 6 & 63);
		out[o++] = enc_char(w & 63);
	}
	if (n - i == 1) {
		w = (uint32_t)p[i] << 16;
		out[o++] = enc_char(w >> 18);
		out[o++] = enc_char(w >> 12 & 63);
		out[o++] = '=';
		out[o++] = '=';
	} else if (n - i == 2) {
		w = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = enc_char(w >> 18);
		out[o++] = enc_char(w >> 12 & 63);
		out[o++] = enc_char(w >> 6 & 63);
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

int
base64_decode(const char *in, size_t len, unsigned char *out, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i, o = 0, pad = 0;
	uint32_t bad = 0, w, v0, v1, v2, v3;

	*outlen = 0;
	if (len % 4 != 0)
		return -1;
	/* The padding is public (it follows from the length decoded). */
	if (len > 0 && s[len - 1] == '=')
		pad = (len > 1 && s[len - 2] == '=') ? 2 : 1;
	for (i = 0; i < len; i += 4) {
		v0 = dec_char(s[i]);
		v1 = dec_char(s[i + 1]);
		if (i + 4 == len && pad == 2) {
			bad |= (v0 | v1) & 0x100;
			bad |= v1 & 0x0f; /* unused bits must be zero */
			out[o++] = (unsigned char)(v0 << 2 | v1 >> 4);
			break;
		}
		v2 = dec_char(s[i + 2]);
		if (i + 4 == len && pad == 1) {
			bad |= (v0 | v1 | v2) & 0x100;
			bad |= v2 & 0x03;
			w = v0 << 18 | v1 << 12 | v2 << 6;
			out[o++] = (unsigned char)(w >> 16);
			out[o++] = (unsigned char)(w >> 8);
			break;
		}
		v3 = dec_char(s[i + 3]);
		bad |= (v0 | v1 | v2 | v3) & 0x100;
		w = (v0 & 63) << 18 | (v1 & 63) << 12 | (v2 & 63) << 6 |
		    (v3 & 63);
		out[o++] = (unsigned char)(w >> 16);
		out[o++] = (unsigned char)(w >> 8);
		out[o++] = (unsigned char)w;
	}
	if (bad)
		return -1;
	*outlen = o;
	return 0;
}
