/*
 * Unit tests for common/base64.c: RFC 4648 vectors, strict decoding,
 * round trips.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "tap.h"

static const struct {
	const char *plain;
	const char *enc;
} vec[] = {
	{ "", "" },
	{ "f", "Zg==" },
	{ "fo", "Zm8=" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" },
	{ "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};

/* Not strict base64: each must be refused. */
static const char *const refused[] = {
	"Zg=", /* length not a multiple of 4 */
	"Zg",  /* padding missing */
	"Zm9",
	"Zh==", /* unused bits set */
	"Zm9=",
	"Zm8=Zm8=", /* padding in the middle */
	"Zm 9",	    /* white space */
	"Zm9v\n",
	"Zm9v\r\n",
	" Zm9v",
	"====",
	"Z===",
	"Zm=v",
	"Z=m9",
	"Zm9v====",
	"Zm9-", /* base64url, not standard */
	"Zm9_",
	"Zm9\x80",
	"Zm9.",
};

int
main(void)
{
	unsigned char in[256], out[256];
	char enc[BASE64_ENCODED_LEN(256) + 1];
	size_t i, n, len, outlen;
	int good = 1;

	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		len = base64_encode(vec[i].plain, strlen(vec[i].plain), enc);
		is_str(enc, vec[i].enc, "encode \"%s\"", vec[i].plain);
		is_int(len, strlen(vec[i].enc), "encoded length");
		memset(out, 0xaa, sizeof out);
		ok(base64_decode(
		       vec[i].enc, strlen(vec[i].enc), out, &outlen) == 0 &&
			outlen == strlen(vec[i].plain) &&
			memcmp(out, vec[i].plain, outlen) == 0,
		    "decode \"%s\"", vec[i].enc);
	}
	for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		outlen = 99;
		ok(base64_decode(
		       refused[i], strlen(refused[i]), out, &outlen) == -1 &&
			outlen == 0,
		    "refuse \"%s\"",
		    refused[i][0] == ' ' || strchr(refused[i], '\n') ||
			    strchr(refused[i], '\x80')
			? "(white space or 8 bit)"
			: refused[i]);
	}

	/* Every byte value in every position, every length to 256. */
	srand(42);
	for (n = 0; n <= sizeof in && good; n++) {
		for (i = 0; i < n; i++)
			in[i] = (unsigned char)(n == 256 ? (int)i : rand());
		len = base64_encode(in, n, enc);
		if (len != BASE64_ENCODED_LEN(n) || strlen(enc) != len ||
		    base64_decode(enc, len, out, &outlen) != 0 || outlen != n ||
		    memcmp(in, out, n) != 0)
			good = 0;
	}
	ok(good, "round trips of 0 to 256 bytes");
	is_str(enc + 336, "/P3+/w==", "the last characters of bytes 0..255");

	/* Every single character in every place of a quantum. */
	good = 1;
	for (i = 0; i < 256; i++) {
		char q[5] = "AAAA";
		int valid = (i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z') ||
		    (i >= '0' && i <= '9') || i == '+' || i == '/';

		if (i == 0)
			continue;
		q[1] = (char)i;
		if ((base64_decode(q, 4, out, &outlen) == 0) != valid)
			good = 0;
	}
	ok(good, "exactly the 64 characters are accepted");
	return done_testing();
}
