#include "config.h"

#include <stdint.h>
#include <string.h>

#include "bech32.h"

static const char alphabet[33] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

/* The BCH checksum step of BIP 173 over one 5-bit value. */
static uint32_t
polymod_step(uint32_t c, unsigned int v)
{
	static const uint32_t gen[5] = { 0x3b6a57b2, 0x26508e6d, 0x1ea119fa,
		0x3d4233dd, 0x2a1462b3 };
	uint32_t top = c >> 25;
	int i;

	c = ((c & 0x1ffffff) << 5) ^ v;
	for (i = 0; i < 5; i++)
		c ^= (uint32_t)(-(int32_t)((top >> i) & 1)) & gen[i];
	return c;
}

/* The checksum state after the expanded human-readable part. */
static uint32_t
polymod_hrp(const char *hrp, size_t n)
{
	uint32_t c = 1;
	size_t i;

	for (i = 0; i < n; i++)
		c = polymod_step(c, (unsigned char)hrp[i] >> 5);
	c = polymod_step(c, 0);
	for (i = 0; i < n; i++)
		c = polymod_step(c, (unsigned char)hrp[i] & 31);
	return c;
}

/* The character for v (0..31), without an index into a table by v. */
static char
to_char(unsigned int v)
{
	unsigned int i, m;
	char r = 0;

	for (i = 0; i < 32; i++) {
		m = -(unsigned int)(i == v);
		r |= (char)(m & (unsigned char)alphabet[i]);
	}
	return r;
}

/* The value of lower-case c, or -1; time does not depend on c. */
static int
from_char(int c)
{
	unsigned int i, m, hit = 0, v = 0;

	for (i = 0; i < 32; i++) {
		m = -(unsigned int)((unsigned char)alphabet[i] == c);
		v |= m & i;
		hit |= m;
	}
	return hit ? (int)v : -1;
}

long
bech32_encode(const char *hrp, const unsigned char *data, size_t len, char *out,
    size_t outsize)
{
	size_t hl = strlen(hrp), i, o, need;
	uint32_t c, acc = 0;
	unsigned int bits = 0, v;

	if (hl == 0)
		return -1;
	for (i = 0; i < hl; i++)
		if (hrp[i] < '!' || hrp[i] > '~' ||
		    (hrp[i] >= 'A' && hrp[i] <= 'Z'))
			return -1;
	need = BECH32_ENCODED_LEN(hl, len);
	if (outsize < need + 1)
		return -1;
	memcpy(out, hrp, hl);
	out[hl] = '1';
	o = hl + 1;
	c = polymod_hrp(hrp, hl);
	for (i = 0; i < len; i++) {
		acc = (acc << 8 | data[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			v = (acc >> bits) & 31;
			c = polymod_step(c, v);
			out[o++] = to_char(v);
		}
	}
	if (bits > 0) {
		v = (acc << (5 - bits)) & 31;
		c = polymod_step(c, v);
		out[o++] = to_char(v);
	}
	acc = 0;
	for (i = 0; i < 6; i++)
		c = polymod_step(c, 0);
	c ^= 1;
	for (i = 0; i < 6; i++)
		out[o++] = alphabet[(c >> (5 * (5 - i))) & 31];
	out[o] = '\0';
	return (long)o;
}

int
bech32_decode(const char *s, size_t slen, char *hrp, size_t hrpsize,
    unsigned char *data, size_t datasize, size_t *datalen, const char **why)
{
	const char *w;
	size_t sep, i, n = 0;
	uint32_t c, acc = 0;
	unsigned int bits = 0;
	int lower = 0, upper = 0, ch, v;

	*datalen = 0;
	for (i = 0; i < slen; i++) {
		ch = (unsigned char)s[i];
		if (ch < '!' || ch > '~') {
			w = "a character outside the printable range";
			goto bad;
		}
		if (ch >= 'a' && ch <= 'z')
			lower = 1;
		if (ch >= 'A' && ch <= 'Z')
			upper = 1;
	}
	if (lower && upper) {
		w = "mixed upper and lower case";
		goto bad;
	}
	for (sep = slen; sep > 0 && s[sep - 1] != '1'; sep--)
		;
	if (sep == 0) {
		w = "no separator '1'";
		goto bad;
	}
	sep--;
	if (sep == 0) {
		w = "an empty human-readable part";
		goto bad;
	}
	if (slen - sep - 1 < 6) {
		w = "too short for a checksum";
		goto bad;
	}
	if (sep + 1 > hrpsize) {
		w = "human-readable part too long";
		goto bad;
	}
	for (i = 0; i < sep; i++) {
		ch = (unsigned char)s[i];
		hrp[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
	}
	hrp[sep] = '\0';
	c = polymod_hrp(hrp, sep);
	for (i = sep + 1; i < slen; i++) {
		ch = (unsigned char)s[i];
		if (ch >= 'A' && ch <= 'Z')
			ch = ch - 'A' + 'a';
		if ((v = from_char(ch)) < 0) {
			w = "a character outside the Bech32 alphabet";
			goto bad;
		}
		c = polymod_step(c, (unsigned int)v);
		if (i >= slen - 6)
			continue;
		acc = (acc << 5 | (unsigned int)v) & 0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (n == datasize) {
				w = "more data than expected";
				goto bad;
			}
			data[n++] = (unsigned char)(acc >> bits);
		}
	}
	if (c != 1) {
		w = "a bad checksum";
		goto bad;
	}
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0) {
		w = "padding bits that are not zero";
		goto bad;
	}
	*datalen = n;
	return 0;
bad:
	if (why != NULL)
		*why = w;
	return -1;
}
