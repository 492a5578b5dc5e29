/*
 * common/crypto.c: digests and HMAC against published answers, Ed25519
 * against Wycheproof, RFC 8032 and the sign.input set, the S >= L check,
 * ChaCha20-Poly1305 (RFC 8439) and Argon2id sanity, hex helpers.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gcrypt.h>
#include <jansson.h>

#include "buf.h"
#include "crypto.h"
#include "exitcodes.h"
#include "secmem.h"
#include "tap.h"
#include "util.h"

static const char *srcdir;

static char *
fixture(const char *name)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/tests/fixtures/ed25519/%s", srcdir, name);
	return b.data;
}

/* Decodes hex of any (even) length into a fresh buffer; NULL if bad. */
static unsigned char *
unhex_alloc(const char *hex, size_t *n)
{
	size_t len = strlen(hex);
	unsigned char *p;

	if (len % 2 != 0)
		return NULL;
	p = xmalloc(len / 2 + 1);
	if (crypto_unhex(hex, len, p, len / 2) != 0) {
		free(p);
		return NULL;
	}
	*n = len / 2;
	return p;
}

static void
test_digests(void)
{
	unsigned char d[64], d2[64];
	struct crypto_sha512 *c;
	char *million;
	size_t i;

	crypto_sha256("abc", 3, d);
	util_is_hex(d, 32,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	    "SHA-256 of abc");
	crypto_sha256("", 0, d);
	util_is_hex(d, 32,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	    "SHA-256 of the empty string");
	crypto_sha512("abc", 3, d);
	util_is_hex(d, 64,
	    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
	    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	    "SHA-512 of abc");

	c = crypto_sha512_init();
	crypto_sha512_update(c, "a", 1);
	crypto_sha512_update(c, "", 0);
	crypto_sha512_update(c, "bc", 2);
	crypto_sha512_final(c, d2);
	ok(memcmp(d, d2, 64) == 0,
	    "streaming SHA-512 of a, bc equals one-shot");

	million = xmalloc(1000000);
	memset(million, 'a', 1000000);
	c = crypto_sha512_init();
	for (i = 0; i < 1000000; i += 999)
		crypto_sha512_update(
		    c, million + i, 1000000 - i < 999 ? 1000000 - i : 999);
	crypto_sha512_final(c, d);
	util_is_hex(d, 64,
	    "e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973eb"
	    "de0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b",
	    "streaming SHA-512 of a million a (999-byte pieces)");
	free(million);
	crypto_sha512_free(crypto_sha512_init());
	crypto_sha512_free(NULL);
}

static void
test_hmac(void)
{
	unsigned char key[20], out[32];
	struct crypto_hmac *h, *h2;
	const char *case1 =
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7";

	memset(key, 0x0b, sizeof key);
	h = crypto_hmac_new(key, sizeof key);
	crypto_hmac(h, "Hi There", 8, out);
	util_is_hex(out, 32, case1, "HMAC-SHA256 RFC 4231 test case 1");
	crypto_hmac(h, "Hi There", 8, out);
	util_is_hex(out, 32, case1, "HMAC-SHA256 context reused: same answer");
	h2 = crypto_hmac_dup(h);
	crypto_hmac(h, "something else", 14, out);
	crypto_hmac(h2, "Hi There", 8, out);
	util_is_hex(out, 32, case1, "HMAC-SHA256 duplicated context");
	crypto_hmac_free(h2);
	crypto_hmac_free(h);

	h = crypto_hmac_new("Jefe", 4);
	crypto_hmac(h, "what do ya want for nothing?", 28, out);
	util_is_hex(out, 32,
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    "HMAC-SHA256 RFC 4231 test case 2");
	crypto_hmac_free(h);

	h = crypto_hmac_new("", 0);
	crypto_hmac(h, "", 0, out);
	util_is_hex(out, 32,
	    "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad",
	    "HMAC-SHA256 with empty key and message");
	crypto_hmac_free(h);
	crypto_hmac_free(NULL);
}

static void
test_wycheproof(void)
{
	char *path = fixture("wycheproof_ed25519_test.json");
	json_error_t jerr;
	json_t *root, *groups, *g, *tests, *t;
	size_t gi, ti, n = 0, valid = 0, agree = 0;

	root = json_load_file(path, 0, &jerr);
	if (!ok(root != NULL, "Wycheproof file parses")) {
		diag("%s: %s", path, jerr.text);
		free(path);
		return;
	}
	groups = json_object_get(root, "testGroups");
	json_array_foreach(groups, gi, g)
	{
		const char *pkhex = json_string_value(
		    json_object_get(json_object_get(g, "publicKey"), "pk"));
		unsigned char pub[32];
		int pkok;

		pkok = pkhex != NULL &&
		    crypto_unhex(pkhex, strlen(pkhex), pub, 32) == 0;
		tests = json_object_get(g, "tests");
		json_array_foreach(tests, ti, t)
		{
			const char *mhex, *shex, *result;
			unsigned char *msg, *sig;
			size_t mlen = 0, slen = 0;
			int got, want;

			mhex = json_string_value(json_object_get(t, "msg"));
			shex = json_string_value(json_object_get(t, "sig"));
			result = json_string_value(
			    json_object_get(t, "result"));
			want = result != NULL && strcmp(result, "valid") == 0;
			msg = unhex_alloc(mhex ? mhex : "", &mlen);
			sig = unhex_alloc(shex ? shex : "", &slen);
			/* The API takes 64 bytes: anything else is invalid. */
			got = pkok && msg != NULL && sig != NULL &&
			    slen == 64 &&
			    crypto_ed25519_verify(pub, msg, mlen, sig);
			n++;
			valid += want;
			agree += got == want;
			ok(got == want, "Wycheproof tcId %lld (%s): %s",
			    json_integer_value(json_object_get(t, "tcId")),
			    json_string_value(json_object_get(t, "comment")),
			    result ? result : "?");
			free(msg);
			free(sig);
		}
	}
	is_int(n, 151, "151 Wycheproof cases run");
	is_int(valid, 88, "88 of them valid");
	is_int(agree, n, "all Wycheproof results agree");
	json_decref(root);
	free(path);
}

struct inp {
	char *tst, *alg, *sk, *pk, *msg, *sig;
	int other; /* CTX, PH, FLAGS or anything else */
};

static void
inp_clear(struct inp *v)
{
	free(v->tst);
	free(v->alg);
	free(v->sk);
	free(v->pk);
	free(v->msg);
	free(v->sig);
	memset(v, 0, sizeof *v);
}

/* Checks one set: keygen from SK gives PK, signing MSG gives SIG, the
 * signature verifies and (with changed set) fails for a changed message.
 * Returns 1 when all holds; *why says what failed. */
static int
check_set(const struct inp *v, int changed, const char **why)
{
	unsigned char *seed = NULL, pk[32], want_pk[32], sig[64], want_sig[64];
	unsigned char *msg = NULL;
	size_t mlen = 0;
	struct ierr e = IERR_INIT;
	int pass = 0;

	*why = "bad hex";
	seed = gcry_malloc_secure(32);
	if (v->sk == NULL || v->pk == NULL || v->sig == NULL || seed == NULL ||
	    crypto_unhex(v->sk, strlen(v->sk), seed, 32) != 0 ||
	    crypto_unhex(v->pk, strlen(v->pk), want_pk, 32) != 0 ||
	    crypto_unhex(v->sig, strlen(v->sig), want_sig, 64) != 0 ||
	    (msg = unhex_alloc(v->msg ? v->msg : "", &mlen)) == NULL)
		goto out;
	*why = "public key from SK differs";
	if (crypto_ed25519_public_from_seed(seed, pk, &e) != 0 ||
	    memcmp(pk, want_pk, 32) != 0)
		goto out;
	*why = "signature differs";
	if (crypto_ed25519_sign(seed, pk, msg, mlen, sig, &e) != 0 ||
	    memcmp(sig, want_sig, 64) != 0)
		goto out;
	*why = "signature does not verify";
	if (!crypto_ed25519_verify(pk, msg, mlen, sig))
		goto out;
	*why = "signature verifies for a changed message";
	msg = xrealloc(msg, mlen + 1);
	msg[mlen] = 'x';
	if (changed && crypto_ed25519_verify(pk, msg, mlen + 1, sig))
		goto out;
	pass = 1;
out:
	free(msg);
	gcry_free(seed);
	return pass;
}

/* Reads a libgcrypt .inp file; calls fn for every set. */
static void
read_inp(const char *path, void (*fn)(const struct inp *, void *), void *arg)
{
	FILE *f = fopen(path, "r");
	struct inp v = { 0 };
	char *line = NULL, *val;
	size_t cap = 0;
	ssize_t n;
	char **slot;

	if (!ok(f != NULL, "open %s", path))
		return;
	for (;;) {
		n = getline(&line, &cap, f);
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (n <= 0) {
			if (v.tst != NULL)
				fn(&v, arg);
			inp_clear(&v);
			if (n < 0)
				break;
			continue;
		}
		if (line[0] == '#' || (val = strchr(line, ':')) == NULL)
			continue;
		*val++ = '\0';
		val += strspn(val, " ");
		slot = NULL;
		if (strcmp(line, "TST") == 0) {
			if (v.tst != NULL) {
				fn(&v, arg);
				inp_clear(&v);
			}
			slot = &v.tst;
		} else if (strcmp(line, "ALG") == 0)
			slot = &v.alg;
		else if (strcmp(line, "SK") == 0)
			slot = &v.sk;
		else if (strcmp(line, "PK") == 0)
			slot = &v.pk;
		else if (strcmp(line, "MSG") == 0)
			slot = &v.msg;
		else if (strcmp(line, "SIG") == 0)
			slot = &v.sig;
		else
			v.other = 1;
		if (slot != NULL) {
			free(*slot);
			*slot = xstrdup(val);
		}
	}
	free(line);
	fclose(f);
}

struct rfc_count {
	int run, skipped;
};

static void
rfc8032_one(const struct inp *v, void *arg)
{
	struct rfc_count *c = arg;
	const char *why;

	if (v->alg == NULL || strcmp(v->alg, "Ed25519") != 0 || v->other) {
		c->skipped++;
		return;
	}
	c->run++;
	if (!ok(check_set(v, 1, &why), "RFC 8032 TEST %s", v->tst))
		diag("%s", why);
}

struct sign_count {
	int seen, stride, run, passed, skipped;
};

static void
sign_input_one(const struct inp *v, void *arg)
{
	struct sign_count *c = arg;
	const char *why;

	/* The last two sets are libgcrypt-specific PK encodings. */
	if (v->pk == NULL || strlen(v->pk) != 64) {
		c->skipped++;
		return;
	}
	if (c->seen++ % c->stride != 0)
		return;
	c->run++;
	if (check_set(v, 0, &why))
		c->passed++;
	else
		diag("sign.input TST %s: %s", v->tst, why);
}

static void
test_rfc8032(void)
{
	char *path = fixture("rfc8032.inp");
	struct rfc_count c = { 0, 0 };

	read_inp(path, rfc8032_one, &c);
	is_int(c.run, 5, "5 pure Ed25519 sets in RFC 8032 input");
	is_int(c.skipped, 5, "5 ctx/ph sets skipped");
	free(path);
}

static void
test_sign_input(void)
{
	char *path = fixture("sign-input-1024.inp");
	struct sign_count c = { 0, 1, 0, 0, 0 };
	const char *vg = getenv("INTEL_VALGRIND");

	/* Under valgrind all 1024 take minutes: every 16th set then. */
	if (vg != NULL && *vg != '\0') {
		c.stride = 16;
		diag("under valgrind: every 16th sign.input set only");
	}
	read_inp(path, sign_input_one, &c);
	is_int(c.seen, 1024, "1024 sign.input sets read");
	is_int(
	    c.run, 1024 / c.stride, "%d sign.input sets run", 1024 / c.stride);
	is_int(c.passed, c.run, "all of them: PK from SK, SIG, verify");
	is_int(c.skipped, 2, "2 libgcrypt-specific encodings skipped");
	free(path);
}

/* RFC 8032 TEST 1. */
static const char
    *t1_pk = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
static const char *t1_sig =
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

static int
gcrypt_raw_verify(const unsigned char *pub, const unsigned char *sig)
{
	gcry_sexp_t k, d, s;
	int rv;

	gcry_sexp_build(&k, NULL,
	    "(public-key(ecc(curve Ed25519)(flags eddsa)(q %b)))", 32, pub);
	gcry_sexp_build(
	    &d, NULL, "(data(flags eddsa)(hash-algo sha512)(value %b))", 0, "");
	gcry_sexp_build(
	    &s, NULL, "(sig-val(eddsa(r %b)(s %b)))", 32, sig, 32, sig + 32);
	rv = gcry_pk_verify(s, d, k) == 0;
	gcry_sexp_release(k);
	gcry_sexp_release(d);
	gcry_sexp_release(s);
	return rv;
}

static void
test_malleability(void)
{
	static const unsigned char order[32] = { 0xed, 0xd3, 0xf5, 0x5c, 0x1a,
		0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
		0x14, [31] = 0x10 };
	unsigned char pub[32], sig[64], big[64];
	unsigned int carry = 0, i;

	crypto_unhex(t1_pk, 64, pub, 32);
	crypto_unhex(t1_sig, 128, sig, 64);
	ok(crypto_ed25519_verify(pub, "", 0, sig), "RFC 8032 TEST 1 verifies");
	/* S + L, little endian. */
	memcpy(big, sig, 64);
	for (i = 0; i < 32; i++) {
		carry += big[32 + i] + order[i];
		big[32 + i] = carry & 0xff;
		carry >>= 8;
	}
	ok(carry == 0, "S + L fits in 32 bytes");
	ok(gcrypt_raw_verify(pub, big),
	    "libgcrypt alone accepts the signature with S + L");
	ok(!crypto_ed25519_verify(pub, "", 0, big),
	    "crypto_ed25519_verify rejects S + L");
	memcpy(big + 32, order, 32);
	ok(!crypto_ed25519_verify(pub, "", 0, big), "S = L rejected");
	memset(big + 32, 0xff, 32);
	ok(!crypto_ed25519_verify(pub, "", 0, big), "S = 2^256 - 1 rejected");
	memcpy(big, sig, 64);
	big[0] ^= 1;
	ok(!crypto_ed25519_verify(pub, "", 0, big), "changed R rejected");
	memset(big, 0xff, 32);
	ok(!crypto_ed25519_verify(pub, "", 0, big),
	    "R that does not decode rejected");
	memset(big, 0xff, 32);
	ok(!crypto_ed25519_verify(big, "", 0, sig),
	    "public key that does not decode rejected");
}

static void
test_ed25519_api(void)
{
	unsigned char *seed, pub[32], pub2[32], sig[64];
	char id[17];
	struct ierr e = IERR_INIT;
	unsigned char *longmsg;
	int rv;

	crypto_unhex(t1_pk, 64, pub, 32);
	crypto_key_id(pub, id);
	is_str(id, "21fe31dfa154a261", "key id of RFC 8032 TEST 1 public key");

	seed = gcry_malloc_secure(32);
	is_int(crypto_ed25519_keygen(pub, seed, &e), 0, "keygen");
	ok(gcry_is_secure(seed), "seed buffer is secure memory");
	crypto_ed25519_public_from_seed(seed, pub2, &e);
	ok(memcmp(pub, pub2, 32) == 0, "keygen public key matches the seed");
	is_int(crypto_ed25519_sign(seed, pub, "hello", 5, sig, &e), 0,
	    "sign a short message");
	ok(crypto_ed25519_verify(pub, "hello", 5, sig), "and it verifies");
	ok(!crypto_ed25519_verify(pub, "hellO", 5, sig),
	    "not for another message");

	longmsg = xcalloc(1, 65536);
	is_int(crypto_ed25519_sign(
		   seed, pub, longmsg, CRYPTO_ED25519_MSG_MAX, sig, &e),
	    0, "a %d-byte message can be signed", CRYPTO_ED25519_MSG_MAX);
	ok(crypto_ed25519_verify(pub, longmsg, CRYPTO_ED25519_MSG_MAX, sig),
	    "and verified");
	rv = crypto_ed25519_sign(
	    seed, pub, longmsg, CRYPTO_ED25519_MSG_MAX + 1, sig, &e);
	is_int(rv, EXIT_DATAERR, "a message one byte longer is refused");
	ok(strstr(e.msg, "too long") != NULL, "with a message: %s", e.msg);
	is_int(crypto_ed25519_sign(seed, pub, longmsg, 65536, sig, &e),
	    EXIT_DATAERR, "a 65536-byte message is refused (no crash)");
	ok(!crypto_ed25519_verify(pub, longmsg, 65536, sig),
	    "verify says invalid for a 65536-byte message (no crash)");
	free(longmsg);
	gcry_free(seed);
}

static void
test_aead(void)
{
	unsigned char key[32], nonce[12], ad[12], ct[114 + 16], pt[114];
	const char *p =
	    "Ladies and Gentlemen of the class of '99: If I could "
	    "offer you only one tip for the future, sunscreen would be it.";
	struct ierr e = IERR_INIT;
	int i;

	for (i = 0; i < 32; i++)
		key[i] = 0x80 + i;
	crypto_unhex("070000004041424344454647", 24, nonce, 12);
	crypto_unhex("50515253c0c1c2c3c4c5c6c7", 24, ad, 12);
	is_int(crypto_aead_seal(key, nonce, 12, ad, 12, p, 114, ct, &e), 0,
	    "ChaCha20-Poly1305 seal");
	util_is_hex(ct, sizeof ct,
	    "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	    "3ff4def08e4b7a9de576d26586cec64b6116"
	    "1ae10b594f09e26a7e902ecbd0600691",
	    "RFC 8439 2.8.2 ciphertext and tag");
	is_int(crypto_aead_open(key, nonce, 12, ad, 12, ct, sizeof ct, pt, &e),
	    0, "open");
	ok(memcmp(pt, p, 114) == 0, "plaintext back");
	ad[0] ^= 1;
	is_int(crypto_aead_open(key, nonce, 12, ad, 12, ct, sizeof ct, pt, &e),
	    EXIT_CONFIG, "changed associated data refused");
	ad[0] ^= 1;
	ct[3] ^= 0x40;
	is_int(crypto_aead_open(key, nonce, 12, ad, 12, ct, sizeof ct, pt, &e),
	    EXIT_CONFIG, "changed ciphertext refused");
	ok(pt[3] == 0 && pt[100] == 0, "no plaintext left after a failure");
	ct[3] ^= 0x40;
	is_int(crypto_aead_open(key, nonce, 11, ad, 12, ct, sizeof ct, pt, &e),
	    EXIT_CONFIG, "11-byte nonce refused");
	is_int(crypto_aead_seal(key, nonce, 24, ad, 12, p, 114, ct, &e),
	    EXIT_CONFIG, "24-byte nonce refused");
}

static void
test_argon2id(void)
{
	unsigned char a[32], b[32], c[32];
	struct ierr e = IERR_INIT;

	is_int(
	    crypto_argon2id("pass", 4, "saltsaltsalt", 12, 1, 64, 1, a, 32, &e),
	    0, "Argon2id t=1 m=64 p=1");
	crypto_argon2id("pass", 4, "saltsaltsalt", 12, 1, 64, 1, b, 32, &e);
	ok(memcmp(a, b, 32) == 0, "Argon2id is deterministic");
	crypto_argon2id("pass", 4, "saltsaltsalT", 12, 1, 64, 1, c, 32, &e);
	ok(memcmp(a, c, 32) != 0, "another salt gives another key");
	crypto_argon2id("pass", 4, "saltsaltsalt", 12, 2, 64, 1, c, 32, &e);
	ok(memcmp(a, c, 32) != 0, "another t gives another key");
	is_int(
	    crypto_argon2id("pass", 4, "saltsaltsalt", 12, 0, 64, 1, c, 32, &e),
	    EXIT_CONFIG, "t=0 refused");
	is_int(
	    crypto_argon2id("pass", 4, "saltsaltsalt", 12, 1, 4, 1, c, 32, &e),
	    EXIT_CONFIG, "m below 8 KiB per lane refused");
	is_int(crypto_argon2id("pass", 4, "salt", 4, 1, 64, 1, c, 32, &e),
	    EXIT_CONFIG, "4-byte salt refused");
}

static void
test_hex(void)
{
	unsigned char b[4];
	char h[9];

	crypto_hex("\x00\xab\xff\x10", 4, h);
	is_str(h, "00abff10", "hex encodes lower case");
	ok(crypto_unhex("00ABff10", 8, b, 4) == 0 &&
		memcmp(b, "\x00\xab\xff\x10", 4) == 0,
	    "unhex either case");
	ok(crypto_unhex("00abff1", 7, b, 4) == -1, "odd length refused");
	ok(crypto_unhex("00abfg10", 8, b, 4) == -1, "non-hex digit refused");
	ok(crypto_memeq("abcd", "abcd", 4), "memeq: equal");
	ok(!crypto_memeq("abcd", "abce", 4), "memeq: last byte differs");
	ok(!crypto_memeq("xbcd", "abcd", 4), "memeq: first byte differs");
	ok(crypto_memeq("a", "b", 0), "memeq: empty is equal");
}

int
main(void)
{
	struct ierr e = IERR_INIT;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	srcdir = getenv("top_srcdir");
	if (srcdir == NULL || *srcdir == '\0')
		srcdir = ".";
	if (!ok(secmem_init(&e) == 0, "secmem_init"))
		diag("%s", e.msg);
	test_digests();
	test_hmac();
	test_hex();
	test_wycheproof();
	test_rfc8032();
	test_sign_input();
	test_malleability();
	test_ed25519_api();
	test_aead();
	test_argon2id();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	diag("took %.2f s",
	    (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return done_testing();
}
