/*
 * common/crypto.c, the functions age needs and the key checks: HKDF-SHA-256
 * against RFC 5869 appendix A, X25519 against RFC 7748 with the small-order
 * u values refused, and the Ed25519 public key check against the eight
 * small-order points, non-canonical and off-curve encodings, a point with a
 * small-order component, and the valid keys of RFC 8032, the sign.input set
 * and Wycheproof.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>
#include <jansson.h>

#include "buf.h"
#include "crypto.h"
#include "exitcodes.h"
#include "secmem.h"
#include "tap.h"
#include "util.h"

static const char *srcdir;

static void
unhex(const char *hex, unsigned char *out, size_t n)
{
	if (crypto_unhex(hex, strlen(hex), out, n) != 0) {
		fprintf(stderr, "bad hex in test: %s\n", hex);
		exit(2);
	}
}

static void
fill(unsigned char *p, int from, int n)
{
	int i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)(from + i);
}

static void
test_hkdf(void)
{
	unsigned char ikm[80], salt[80], info[80], okm[82];
	unsigned char *big;

	/* RFC 5869 A.1 */
	memset(ikm, 0x0b, 22);
	fill(salt, 0, 13);
	fill(info, 0xf0, 10);
	crypto_hkdf_sha256(salt, 13, ikm, 22, info, 10, okm, 42);
	util_is_hex(okm, 42,
	    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db0"
	    "2d56ecc4c5bf34007208d5b887185865",
	    "HKDF RFC 5869 A.1");
	/* A.2: longer inputs, three blocks of output */
	fill(ikm, 0, 80);
	fill(salt, 0x60, 80);
	fill(info, 0xb0, 80);
	crypto_hkdf_sha256(salt, 80, ikm, 80, info, 80, okm, 82);
	util_is_hex(okm, 82,
	    "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050"
	    "cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b836779"
	    "3a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87",
	    "HKDF RFC 5869 A.2");
	/* A.3: empty salt and info */
	memset(ikm, 0x0b, 22);
	crypto_hkdf_sha256(NULL, 0, ikm, 22, NULL, 0, okm, 42);
	util_is_hex(okm, 42,
	    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec345"
	    "4e5f3c738d2d9d201395faa4b61a96c8",
	    "HKDF RFC 5869 A.3");
	/* An output of one byte is the first byte of a longer one. */
	crypto_hkdf_sha256(NULL, 0, ikm, 22, NULL, 0, okm, 1);
	ok(okm[0] == 0x8d, "HKDF: a 1-byte output is the prefix");
	/* Into secure memory, at the longest length allowed. */
	big = gcry_malloc_secure(CRYPTO_HKDF_MAX);
	crypto_hkdf_sha256(salt, 13, ikm, 22, info, 10, big, CRYPTO_HKDF_MAX);
	crypto_hkdf_sha256(salt, 13, ikm, 22, info, 10, okm, 42);
	ok(memcmp(big, okm, 42) == 0, "HKDF: 8160 bytes, same prefix");
	gcry_free(big);
}

static void
test_x25519(void)
{
	unsigned char *a, *b, pa[32], pb[32], s1[32], s2[32], want[32], u[32];
	struct ierr e = IERR_INIT;
	/* Small-order u (and the same plus p): every share is all zero. */
	static const char *small[] = {
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
		"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	};
	size_t i;
	int rc;

	a = gcry_malloc_secure(32);
	b = gcry_malloc_secure(32);
	/* RFC 7748, section 6.1 */
	unhex(
	    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	    a, 32);
	unhex(
	    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
	    b, 32);
	ok(crypto_x25519_public(a, pa, &e) == 0, "X25519 public of Alice");
	util_is_hex(pa, 32,
	    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98"
	    "eaa9b4e6a",
	    "RFC 7748 Alice's public key");
	ok(crypto_x25519_public(b, pb, &e) == 0, "X25519 public of Bob");
	util_is_hex(pb, 32,
	    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e1"
	    "46f882b4f",
	    "RFC 7748 Bob's public key");
	unhex(
	    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
	    want, 32);
	ok(crypto_x25519(a, pb, s1, &e) == 0 && memcmp(s1, want, 32) == 0,
	    "RFC 7748 shared secret (Alice)");
	ok(crypto_x25519(b, pa, s2, &e) == 0 && memcmp(s2, want, 32) == 0,
	    "RFC 7748 shared secret (Bob)");
	/* RFC 7748 section 5.2, one iteration: scalar = u = 9. */
	memset(u, 0, 32);
	u[0] = 9;
	ok(crypto_x25519(u, u, s1, &e) == 0, "X25519 iteration 1");
	util_is_hex(s1, 32,
	    "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80"
	    "311ae3079",
	    "RFC 7748 5.2 after one iteration");
	/* The high bit of u is ignored. */
	memcpy(u, pb, 32);
	u[31] |= 0x80;
	ok(crypto_x25519(a, u, s1, &e) == 0 && memcmp(s1, want, 32) == 0,
	    "X25519 ignores the high bit of u");
	ok(crypto_x25519_public_check(pa) && crypto_x25519_public_check(pb),
	    "X25519 check accepts the RFC 7748 keys");
	for (i = 0; i < sizeof small / sizeof small[0]; i++) {
		unhex(small[i], u, 32);
		ok(!crypto_x25519_public_check(u), "small-order u %s refused",
		    small[i]);
		err_clear(&e);
		memset(s1, 0xaa, 32);
		rc = crypto_x25519(a, u, s1, &e);
		ok(rc == EXIT_DATAERR && strstr(e.msg, "all-zero") != NULL,
		    "all-zero share refused (%s)", e.msg);
		u[31] |= 0x80;
		ok(!crypto_x25519_public_check(u),
		    "small-order u with the high bit set refused");
	}
	/* Fresh pairs agree. */
	crypto_x25519_keygen(a, pa);
	crypto_x25519_keygen(b, pb);
	ok(crypto_x25519(a, pb, s1, &e) == 0 &&
		crypto_x25519(b, pa, s2, &e) == 0 && memcmp(s1, s2, 32) == 0,
	    "generated pairs agree");
	gcry_free(a);
	gcry_free(b);
}

/* Every every-th key of an .inp file (valgrind runs these tests). */
static void
check_inp_keys(const char *name, int every)
{
	struct buf path = BUF_INIT;
	char line[4096], *p;
	unsigned char pub[32];
	FILE *f;
	int n = 0, good = 0, seen = 0;

	buf_printf(&path, "%s/tests/fixtures/ed25519/%s", srcdir, name);
	if ((f = fopen(path.data, "r")) == NULL) {
		ok(0, "open %s", path.data);
		buf_free(&path);
		return;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "PK:", 3) != 0)
			continue;
		for (p = line + 3; *p == ' '; p++)
			;
		p[strcspn(p, "\r\n")] = '\0';
		if (strlen(p) != 64)
			continue; /* other encodings of the same key */
		if (seen++ % every != 0)
			continue;
		n++;
		if (crypto_unhex(p, strlen(p), pub, 32) == 0 &&
		    crypto_ed25519_public_check(pub))
			good++;
		else
			diag("refused valid key %s", p);
	}
	fclose(f);
	ok(n > 0 && good == n, "%s: %d of %d valid keys accepted", name, good,
	    n);
	buf_free(&path);
}

static void
check_wycheproof_keys(void)
{
	struct buf path = BUF_INIT;
	json_t *root, *groups, *g;
	json_error_t je;
	const char *pk;
	unsigned char pub[32];
	size_t i;
	int n = 0, good = 0;

	buf_printf(&path,
	    "%s/tests/fixtures/ed25519/wycheproof_ed25519_test.json", srcdir);
	root = json_load_file(path.data, 0, &je);
	groups = json_object_get(root, "testGroups");
	json_array_foreach(groups, i, g)
	{
		pk = json_string_value(
		    json_object_get(json_object_get(g, "publicKey"), "pk"));
		if (pk == NULL)
			continue;
		n++;
		if (crypto_unhex(pk, strlen(pk), pub, 32) == 0 &&
		    crypto_ed25519_public_check(pub))
			good++;
		else
			diag("refused Wycheproof key %s", pk);
	}
	ok(n > 0 && good == n, "Wycheproof: %d of %d keys accepted", good, n);
	json_decref(root);
	buf_free(&path);
}

static void
refused(const char *hex, const char *reason, const char *what)
{
	unsigned char pub[32];
	const char *why;

	unhex(hex, pub, 32);
	why = crypto_ed25519_public_why(pub);
	ok(why != NULL && strstr(why, reason) != NULL &&
		!crypto_ed25519_public_check(pub),
	    "%s refused: %s", what, why ? why : "(accepted)");
}

static void
test_ed25519_check(void)
{
	/* The eight points of small order, in their canonical encodings. */
	static const char *small[8] = {
		"0100000000000000000000000000000000000000000000000000000000000000",
		"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
		"0000000000000000000000000000000000000000000000000000000000000000",
		"0000000000000000000000000000000000000000000000000000000000000080",
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
		"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
		"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	};
	int i;

	for (i = 0; i < 8; i++)
		refused(small[i], "small order", small[i]);
	/* Non-canonical: y = p, p + 1 (small order if reduced), 2^255 - 1,
	 * and x = 0 with the sign bit set (y = 1 and y = p - 1). */
	refused(
	    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "not canonical", "y = p");
	refused(
	    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "not canonical", "y = p + 1");
	refused(
	    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	    "not canonical", "y = 2^255 - 1");
	refused(
	    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	    "not canonical", "y = 2^255 - 1, sign set");
	refused(
	    "0100000000000000000000000000000000000000000000000000000000000080",
	    "not canonical", "identity with the sign bit");
	refused(
	    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
	    "not canonical", "order 2 with the sign bit");
	/* Off the curve: y = 2, 7 and 8 have no x. */
	refused(
	    "0200000000000000000000000000000000000000000000000000000000000000",
	    "not on the curve", "y = 2");
	refused(
	    "0700000000000000000000000000000000000000000000000000000000000000",
	    "not on the curve", "y = 7");
	refused(
	    "0800000000000000000000000000000000000000000000000000000000000080",
	    "not on the curve", "y = 8, sign set");
	/* The base point plus a point of order 8, and RFC 8032's first key
	 * plus the same: on the curve, large order, small component. */
	refused(
	    "da99e28ba529cdde35a25fba9059e78ecaee239f99755b9b1aa4f65df00803e2",
	    "small-order component", "B + T8");
	refused(
	    "3b5b475c4b82dd1572799fc546f4c6c03e478c6654aa4c7f945b347ea32af60d",
	    "small-order component", "RFC 8032 key 1 + T8");
	/* The base point itself is a fine key. */
	{
		unsigned char b[32];

		unhex(
		    "5866666666666666666666666666666666666666666666666666666666666666",
		    b, 32);
		ok(crypto_ed25519_public_check(b),
		    "the base point is accepted");
	}
	check_inp_keys("rfc8032.inp", 1);
	check_inp_keys("sign-input-1024.inp", 8);
	check_wycheproof_keys();
}

int
main(void)
{
	struct ierr e = IERR_INIT;

	srcdir = getenv("top_srcdir");
	if (srcdir == NULL)
		srcdir = ".";
	if (!ok(secmem_init(&e) == 0, "secmem_init"))
		return done_testing();
	test_hkdf();
	test_x25519();
	test_ed25519_check();
	return done_testing();
}
