/*
 * common/bech32.c and the age key strings of common/age.c: vectors made
 * for this test with an independent implementation of BIP 173 (its "a"
 * with no data, "a12uel5l", is the one BIP 173 lists), round trips, every
 * kind of refusal, and the identities of the C2SP age vectors against the
 * recipients age-keygen -y derives from them.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>

#include "age.h"
#include "bech32.h"
#include "crypto.h"
#include "exitcodes.h"
#include "secmem.h"
#include "tap.h"

static void
decodes(const char *s, const char *hrp, const unsigned char *data, size_t len)
{
	char h[100];
	unsigned char d[100];
	const char *why = NULL;
	size_t n = 0;
	int rc;

	rc = bech32_decode(s, strlen(s), h, sizeof h, d, sizeof d, &n, &why);
	ok(rc == 0 && strcmp(h, hrp) == 0 && n == len &&
		(len == 0 || memcmp(d, data, len) == 0),
	    "decodes %s (%s)", s, rc == 0 ? "ok" : why);
}

static void
refused(const char *s, const char *reason)
{
	char h[100];
	unsigned char d[100];
	const char *why = NULL;
	size_t n = 0;
	int rc;

	rc = bech32_decode(s, strlen(s), h, sizeof h, d, sizeof d, &n, &why);
	ok(rc == -1 && why != NULL && strstr(why, reason) != NULL,
	    "refuses %s: %s", s, why ? why : "(accepted)");
}

static void
encodes(
    const char *hrp, const unsigned char *data, size_t len, const char *want)
{
	char out[200];
	long n;

	n = bech32_encode(hrp, data, len, out, sizeof out);
	ok(n == (long)strlen(want) && strcmp(out, want) == 0 &&
		(size_t)n == BECH32_ENCODED_LEN(strlen(hrp), len),
	    "encodes to %s", want);
}

static void
test_bech32(void)
{
	unsigned char d[40], ff[5];
	char out[200], up[200];
	size_t i;

	for (i = 0; i < sizeof d; i++)
		d[i] = (unsigned char)i;
	memset(ff, 0xff, sizeof ff);
	encodes("a", NULL, 0, "a12uel5l");
	decodes("a12uel5l", "a", NULL, 0);
	decodes("A12UEL5L", "a", NULL, 0);
	encodes(
	    "abcdef", d, 20, "abcdef1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnlnj6mu");
	decodes(
	    "abcdef1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnlnj6mu", "abcdef", d, 20);
	decodes(
	    "ABCDEF1QQQSYQCYQ5RQWZQFPG9SCRGWPUGPZYSNLNJ6MU", "abcdef", d, 20);
	encodes("an83characterlonghumanreadablepart", ff, 5,
	    "an83characterlonghumanreadablepart1llllllllv8lg43");
	/* The separator is the last '1': the hrp may hold one. */
	decodes("an83characterlonghumanreadablepart1llllllllv8lg43",
	    "an83characterlonghumanreadablepart", ff, 5);
	decodes("a1qypqvrg2cf", "a", (const unsigned char *)"\001\002", 2);
	/* Refusals. */
	refused("a1qypqelcxat", "checksum"); /* Bech32m */
	refused("a1qypqvrg2cg", "checksum"); /* one character */
	refused("a1qypqvrg2fc", "checksum"); /* two swapped */
	refused("A12uel5l", "mixed");
	refused("abcdef1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnlnj6mU", "mixed");
	refused("a1qypqvrg2cb", "alphabet"); /* b is not Bech32 */
	refused("a1qypqvrg2ci", "alphabet");
	refused("a1qypqvrg2co", "alphabet");
	refused("a12uel5l ", "printable");
	refused("a 12uel5l", "printable");
	refused("a2uel5l", "separator");
	refused("1qq3vk6tv", "empty human-readable");
	refused("a1uel5l", "too short");
	refused("a1lacwuu8k", "padding");  /* non-zero padding */
	refused("a1luq25lfhf", "padding"); /* a whole group of it */
	/* Output too small, an unfit hrp. */
	ok(bech32_encode("a", d, 20, out, BECH32_ENCODED_LEN(1, 20)) == -1,
	    "encode refuses a buffer without room for the NUL");
	ok(bech32_encode("A", d, 1, out, sizeof out) == -1 &&
		bech32_encode("", d, 1, out, sizeof out) == -1 &&
		bech32_encode("a b", d, 1, out, sizeof out) == -1,
	    "encode refuses an upper-case, empty or spaced hrp");
	{
		char h[2];
		unsigned char small[4];
		size_t n;
		const char *why;

		ok(bech32_decode(
		       "abcdef1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnlnj6mu", 45, h,
		       sizeof h, small, sizeof small, &n, &why) == -1,
		    "decode refuses an hrp longer than its buffer");
		ok(bech32_decode("a1qypqvrg2cf", 12, h, sizeof h, small, 1, &n,
		       &why) == -1 &&
			strstr(why, "more data") != NULL,
		    "decode refuses more data than its buffer");
	}
	/* Round trips of every length up to 40, both cases. */
	for (i = 0; i <= 40; i++) {
		char h[10];
		unsigned char back[40];
		size_t n = 99, j;
		long len;
		int pass;

		len = bech32_encode("rt", d, i, out, sizeof out);
		for (j = 0; j <= (size_t)len; j++)
			up[j] = (char)(out[j] >= 'a' && out[j] <= 'z'
				? out[j] - 32
				: out[j]);
		pass = len > 0 &&
		    strspn(out,
			"rt1qpzry9x8gf2tvdw0s3jn54khce6"
			"mua7l") == (size_t)len;
		pass = pass &&
		    bech32_decode(out, (size_t)len, h, sizeof h, back,
			sizeof back, &n, NULL) == 0 &&
		    n == i && memcmp(back, d, i) == 0;
		pass = pass &&
		    bech32_decode(up, (size_t)len, h, sizeof h, back,
			sizeof back, &n, NULL) == 0 &&
		    n == i;
		if (!pass || i == 40)
			ok(pass,
			    "round trips of 0 to %zu bytes, lower case "
			    "out, both cases in",
			    i);
	}
}

/* Identity of the C2SP vectors, and the recipient `age-keygen -y` gives. */
static const struct {
	const char *identity, *recipient;
} known[] = {
	{ "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0",
	    "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef" },
	{ "AGE-SECRET-KEY-143WN7DCXU4G8R5AXQSSYD9AEPYDNT3HXSLWSPK36CDU6E8M59SSSAGZ3KG",
	    "age1f3ygt5e2d2h7d6dae2tnwgy4y6f0kwhvpa64cre0k2gprv2r8qnst4j00y" },
};

static void
test_age_strings(void)
{
	struct ierr e = IERR_INIT;
	unsigned char *sk, pub[32], pub2[32];
	char *out;
	char rcpt[AGE_RECIPIENT_LEN + 1];
	const char *s;
	size_t i;

	sk = gcry_malloc_secure(32);
	out = gcry_malloc_secure(AGE_IDENTITY_LEN + 1);
	for (i = 0; i < sizeof known / sizeof known[0]; i++) {
		s = known[i].identity;
		ok(age_identity_parse(s, strlen(s), sk, &e) == 0,
		    "identity %zu parses", i + 1);
		age_identity_format(sk, out);
		is_str(out, s, "identity %zu formats back, upper case", i + 1);
		ok(crypto_x25519_public(sk, pub, &e) == 0, "public key");
		age_recipient_format(pub, rcpt);
		is_str(rcpt, known[i].recipient,
		    "recipient %zu as age-keygen "
		    "-y writes it",
		    i + 1);
		s = known[i].recipient;
		ok(age_recipient_parse(s, strlen(s), pub2, &e) == 0 &&
			memcmp(pub, pub2, 32) == 0,
		    "recipient %zu parses", i + 1);
	}
	/* The lower-case identity decodes too (BIP 173: one case). */
	s = "age-secret-key-1egtzvffv20835nwyv6270lxyvk2vknx2mmdkwyklmgr48uawx40q2p2lm0";
	ok(age_identity_parse(s, strlen(s), sk, &e) == 0,
	    "lower-case identity");
	s = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40q2P2LM0";
	ok(age_identity_parse(s, strlen(s), sk, &e) == EXIT_CONFIG &&
		strstr(e.msg, "mixed") != NULL,
	    "mixed-case identity: %s", e.msg);
	s = known[0].recipient;
	ok(age_identity_parse(s, strlen(s), sk, &e) == EXIT_CONFIG &&
		strstr(e.msg, "AGE-SECRET-KEY-1") != NULL,
	    "a recipient is not an identity: %s", e.msg);
	s = known[0].identity;
	ok(age_recipient_parse(s, strlen(s), pub, &e) == EXIT_CONFIG &&
		strstr(e.msg, "age1") != NULL,
	    "an identity is not a recipient: %s", e.msg);
	/* Refused recipients. */
	s = "age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z";
	ok(age_recipient_parse(s, strlen(s), pub, &e) == EXIT_CONFIG &&
		strstr(e.msg, "small order") != NULL,
	    "u = 0: %s", e.msg);
	s = "age1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc535lh4";
	ok(age_recipient_parse(s, strlen(s), pub, &e) == EXIT_CONFIG &&
		strstr(e.msg, "31 bytes") != NULL,
	    "31 bytes: %s", e.msg);
	s = "age1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0jqtdny4t";
	ok(age_recipient_parse(s, strlen(s), pub, &e) == EXIT_CONFIG,
	    "33 bytes: %s", e.msg);
	s = "agf1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5z5tpwxqergd3c8g7rusqnn238p";
	ok(age_recipient_parse(s, strlen(s), pub, &e) == EXIT_CONFIG &&
		strstr(e.msg, "age1") != NULL,
	    "another hrp: %s", e.msg);
	s = "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryeg";
	ok(age_recipient_parse(s, strlen(s), pub, &e) == EXIT_CONFIG &&
		strstr(e.msg, "checksum") != NULL,
	    "one character changed: %s", e.msg);
	/* Fresh keys round trip. */
	crypto_x25519_keygen(sk, pub);
	age_identity_format(sk, out);
	age_recipient_format(pub, rcpt);
	ok(strlen(out) == AGE_IDENTITY_LEN &&
		strlen(rcpt) == AGE_RECIPIENT_LEN &&
		strncmp(rcpt, "age1", 4) == 0 &&
		strncmp(out, "AGE-SECRET-KEY-1", 16) == 0,
	    "fresh key strings");
	ok(age_identity_parse(out, strlen(out), sk, &e) == 0 &&
		crypto_x25519_public(sk, pub2, &e) == 0 &&
		memcmp(pub, pub2, 32) == 0,
	    "fresh identity round trips");
	gcry_free(out);
	gcry_free(sk);
}

int
main(void)
{
	struct ierr e = IERR_INIT;

	if (!ok(secmem_init(&e) == 0, "secmem_init"))
		return done_testing();
	test_bech32();
	test_age_strings();
	return done_testing();
}
