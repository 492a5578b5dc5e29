#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>

#include "crypto.h"
#include "exitcodes.h"
#include "secmem.h"

struct crypto_sha512 {
	gcry_md_hd_t h;
};

struct crypto_hmac {
	gcry_md_hd_t h;
};

/* The group order L = 2^252 + 27742317777372353535851937790883648493,
 * little endian, as S is encoded in a signature. */
static const unsigned char ed25519_order[32] = { 0xed, 0xd3, 0xf5, 0x5c, 0x1a,
	0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x10 };

/* Only memory exhaustion or a broken library get here. */
static void
gcrypt_fatal(void)
{
	abort();
}

void
crypto_sha256(const void *p, size_t n, unsigned char out[32])
{
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, p, n);
}

void
crypto_sha512(const void *p, size_t n, unsigned char out[64])
{
	gcry_md_hash_buffer(GCRY_MD_SHA512, out, p, n);
}

struct crypto_sha512 *
crypto_sha512_init(void)
{
	struct crypto_sha512 *c;
	gcry_error_t rc;

	c = malloc(sizeof *c);
	if (c == NULL)
		abort();
	if ((rc = gcry_md_open(&c->h, GCRY_MD_SHA512, 0)) != 0)
		gcrypt_fatal();
	return c;
}

void
crypto_sha512_update(struct crypto_sha512 *c, const void *p, size_t n)
{
	gcry_md_write(c->h, p, n);
}

void
crypto_sha512_final(struct crypto_sha512 *c, unsigned char out[64])
{
	const unsigned char *d;

	d = gcry_md_read(c->h, GCRY_MD_SHA512);
	if (d == NULL)
		gcrypt_fatal();
	memcpy(out, d, CRYPTO_SHA512_LEN);
	crypto_sha512_free(c);
}

void
crypto_sha512_free(struct crypto_sha512 *c)
{
	if (c == NULL)
		return;
	gcry_md_close(c->h);
	free(c);
}

struct crypto_hmac *
crypto_hmac_new(const void *key, size_t keylen)
{
	struct crypto_hmac *c;
	gcry_error_t rc;
	static const unsigned char nokey[1];

	c = malloc(sizeof *c);
	if (c == NULL)
		abort();
	rc = gcry_md_open(
	    &c->h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC | GCRY_MD_FLAG_SECURE);
	if (rc != 0)
		gcrypt_fatal();
	/* HMAC pads a short key with zeros: an empty key is one zero byte. */
	if (keylen == 0)
		rc = gcry_md_setkey(c->h, nokey, 1);
	else
		rc = gcry_md_setkey(c->h, key, keylen);
	if (rc != 0)
		gcrypt_fatal();
	return c;
}

struct crypto_hmac *
crypto_hmac_dup(const struct crypto_hmac *c)
{
	struct crypto_hmac *d;
	gcry_error_t rc;

	d = malloc(sizeof *d);
	if (d == NULL)
		abort();
	if ((rc = gcry_md_copy(&d->h, c->h)) != 0)
		gcrypt_fatal();
	return d;
}

void
crypto_hmac(
    struct crypto_hmac *c, const void *msg, size_t len, unsigned char out[32])
{
	const unsigned char *d;

	gcry_md_reset(c->h);
	gcry_md_write(c->h, msg, len);
	d = gcry_md_read(c->h, GCRY_MD_SHA256);
	if (d == NULL)
		gcrypt_fatal();
	memcpy(out, d, CRYPTO_SHA256_LEN);
}

void
crypto_hmac_free(struct crypto_hmac *c)
{
	if (c == NULL)
		return;
	gcry_md_close(c->h); /* wipes: the handle is in secure memory */
	free(c);
}

void
crypto_random(void *p, size_t n)
{
	gcry_randomize(p, n, GCRY_STRONG_RANDOM);
}

int
crypto_ed25519_public_from_seed(
    const unsigned char *seed, unsigned char pub[32], struct ierr *e)
{
	gcry_sexp_t key = NULL;
	gcry_ctx_t ctx = NULL;
	gcry_mpi_t q = NULL;
	const unsigned char *qp;
	unsigned int nbits;
	int rv = EXIT_CONFIG;

	if (gcry_sexp_build(&key, NULL,
		"(private-key(ecc(curve Ed25519)(flags eddsa)(d %b)))",
		CRYPTO_ED25519_SEED_LEN, seed) != 0)
		goto out;
	if (gcry_mpi_ec_new(&ctx, key, NULL) != 0)
		goto out;
	/* The EdDSA encoding of Q, computed from d. */
	q = gcry_mpi_ec_get_mpi("q@eddsa", ctx, 1);
	if (q == NULL || !gcry_mpi_get_flag(q, GCRYMPI_FLAG_OPAQUE))
		goto out;
	qp = gcry_mpi_get_opaque(q, &nbits);
	if (qp == NULL || nbits != 8 * CRYPTO_ED25519_PUB_LEN)
		goto out;
	memcpy(pub, qp, CRYPTO_ED25519_PUB_LEN);
	rv = 0;
out:
	if (rv != 0)
		err_set(e, rv, "cannot derive the Ed25519 public key");
	gcry_mpi_release(q);
	gcry_ctx_release(ctx);
	gcry_sexp_release(key);
	return rv;
}

int
crypto_ed25519_keygen(
    unsigned char pub[32], unsigned char *seed, struct ierr *e)
{
	/*
	 * GCRY_STRONG_RANDOM: both levels draw on the kernel generator here;
	 * GCRY_VERY_STRONG_RANDOM makes libgcrypt 1.10 keep a 128 KiB buffer
	 * where LeakSanitizer cannot see it, which fails sanitised test runs.
	 */
	gcry_randomize(seed, CRYPTO_ED25519_SEED_LEN, GCRY_STRONG_RANDOM);
	return crypto_ed25519_public_from_seed(seed, pub, e);
}

/* Copies the 32-byte value of token name in sexp s to out. */
static int
sexp_get32(gcry_sexp_t s, const char *name, unsigned char *out)
{
	gcry_sexp_t t;
	const char *d;
	size_t n;
	int rv = -1;

	if ((t = gcry_sexp_find_token(s, name, 0)) == NULL)
		return -1;
	d = gcry_sexp_nth_data(t, 1, &n);
	if (d != NULL && n == 32) {
		memcpy(out, d, 32);
		rv = 0;
	}
	gcry_sexp_release(t);
	return rv;
}

int
crypto_ed25519_sign(const unsigned char *seed, const unsigned char pub[32],
    const void *msg, size_t len, unsigned char sig[64], struct ierr *e)
{
	gcry_sexp_t key = NULL, data = NULL, s = NULL;
	int rv = EXIT_CONFIG;

	if (len > CRYPTO_ED25519_MSG_MAX)
		return err_set(e, EXIT_DATAERR,
		    "message too long to sign (%zu bytes, at most %d)", len,
		    CRYPTO_ED25519_MSG_MAX);
	/* Giving q as well as d spares libgcrypt a scalar multiplication. */
	if (gcry_sexp_build(&key, NULL,
		"(private-key(ecc(curve Ed25519)(flags eddsa)(q %b)(d %b)))",
		CRYPTO_ED25519_PUB_LEN, pub, CRYPTO_ED25519_SEED_LEN,
		seed) != 0)
		goto out;
	if (gcry_sexp_build(&data, NULL,
		"(data(flags eddsa)(hash-algo sha512)(value %b))", (int)len,
		len ? msg : "") != 0)
		goto out;
	if (gcry_pk_sign(&s, data, key) != 0)
		goto out;
	if (sexp_get32(s, "r", sig) != 0 || sexp_get32(s, "s", sig + 32) != 0)
		goto out;
	rv = 0;
out:
	if (rv != 0)
		err_set(e, rv, "Ed25519 signing failed (damaged key?)");
	gcry_sexp_release(s);
	gcry_sexp_release(data);
	gcry_sexp_release(key);
	return rv;
}

/* 1 when the little-endian 32-byte s is below the group order. */
static int
scalar_reduced(const unsigned char *s)
{
	int i;

	for (i = 31; i >= 0; i--) {
		if (s[i] < ed25519_order[i])
			return 1;
		if (s[i] > ed25519_order[i])
			return 0;
	}
	return 0; /* S == L */
}

int
crypto_ed25519_verify(const unsigned char pub[32], const void *msg, size_t len,
    const unsigned char sig[64])
{
	gcry_sexp_t key = NULL, data = NULL, s = NULL;
	int valid = 0;

	if (len > CRYPTO_ED25519_MSG_MAX || !scalar_reduced(sig + 32))
		return 0;
	if (gcry_sexp_build(&key, NULL,
		"(public-key(ecc(curve Ed25519)(flags eddsa)(q %b)))",
		CRYPTO_ED25519_PUB_LEN, pub) != 0)
		goto out;
	if (gcry_sexp_build(&data, NULL,
		"(data(flags eddsa)(hash-algo sha512)(value %b))", (int)len,
		len ? msg : "") != 0)
		goto out;
	if (gcry_sexp_build(&s, NULL, "(sig-val(eddsa(r %b)(s %b)))", 32, sig,
		32, sig + 32) != 0)
		goto out;
	valid = gcry_pk_verify(s, data, key) == 0;
out:
	gcry_sexp_release(s);
	gcry_sexp_release(data);
	gcry_sexp_release(key);
	return valid;
}

void
crypto_key_id(const unsigned char pub[32], char out[17])
{
	unsigned char d[CRYPTO_SHA256_LEN];

	crypto_sha256(pub, CRYPTO_ED25519_PUB_LEN, d);
	crypto_hex(d, CRYPTO_KEY_ID_LEN / 2, out);
}

int
crypto_argon2id(const void *pass, size_t passlen, const void *salt,
    size_t saltlen, unsigned long t, unsigned long m, unsigned long p,
    void *out, size_t outlen, struct ierr *e)
{
	gcry_kdf_hd_t h;
	unsigned long param[4];
	gcry_error_t rc;

	if (t < 1 || t > 64 || p < 1 || p > 64 || m < 8 * p || m > 4194304)
		return err_set(e, EXIT_CONFIG,
		    "Argon2id parameters out of range (t=%lu m=%lu p=%lu)", t,
		    m, p);
	if (outlen < 4 || saltlen < 8)
		return err_set(
		    e, EXIT_CONFIG, "Argon2id needs a salt of 8 bytes or more");
	param[0] = outlen;
	param[1] = t;
	param[2] = m;
	param[3] = p;
	rc = gcry_kdf_open(&h, GCRY_KDF_ARGON2, GCRY_KDF_ARGON2ID, param, 4,
	    pass, passlen, salt, saltlen, NULL, 0, NULL, 0);
	if (rc != 0)
		return err_set(
		    e, EXIT_CONFIG, "Argon2id: %s", gcry_strerror(rc));
	rc = gcry_kdf_compute(h, NULL);
	if (rc == 0)
		rc = gcry_kdf_final(h, outlen, out);
	gcry_kdf_close(h);
	if (rc != 0)
		return err_set(
		    e, EXIT_CONFIG, "Argon2id: %s", gcry_strerror(rc));
	return 0;
}

static int
aead_open_handle(gcry_cipher_hd_t *h, const unsigned char *key,
    const unsigned char *nonce, size_t noncelen, const void *ad, size_t adlen,
    struct ierr *e)
{
	gcry_error_t rc;

	if (noncelen != CRYPTO_AEAD_NONCE_LEN)
		return err_set(e, EXIT_CONFIG,
		    "ChaCha20-Poly1305 needs a %d-byte nonce, not %zu",
		    CRYPTO_AEAD_NONCE_LEN, noncelen);
	rc = gcry_cipher_open(h, GCRY_CIPHER_CHACHA20,
	    GCRY_CIPHER_MODE_POLY1305, GCRY_CIPHER_SECURE);
	if (rc != 0)
		return err_set(
		    e, EXIT_CONFIG, "ChaCha20-Poly1305: %s", gcry_strerror(rc));
	if ((rc = gcry_cipher_setkey(*h, key, CRYPTO_AEAD_KEY_LEN)) != 0 ||
	    (rc = gcry_cipher_setiv(*h, nonce, noncelen)) != 0 ||
	    (adlen > 0 &&
		(rc = gcry_cipher_authenticate(*h, ad, adlen)) != 0)) {
		gcry_cipher_close(*h);
		return err_set(
		    e, EXIT_CONFIG, "ChaCha20-Poly1305: %s", gcry_strerror(rc));
	}
	return 0;
}

int
crypto_aead_seal(const unsigned char *key, const unsigned char *nonce,
    size_t noncelen, const void *ad, size_t adlen, const void *in, size_t len,
    unsigned char *out, struct ierr *e)
{
	gcry_cipher_hd_t h;
	gcry_error_t rc;
	int rv;

	if ((rv = aead_open_handle(&h, key, nonce, noncelen, ad, adlen, e)) !=
	    0)
		return rv;
	if ((rc = gcry_cipher_encrypt(h, out, len, in, len)) == 0)
		rc = gcry_cipher_gettag(h, out + len, CRYPTO_AEAD_TAG_LEN);
	gcry_cipher_close(h);
	if (rc != 0)
		return err_set(
		    e, EXIT_CONFIG, "ChaCha20-Poly1305: %s", gcry_strerror(rc));
	return 0;
}

int
crypto_aead_open(const unsigned char *key, const unsigned char *nonce,
    size_t noncelen, const void *ad, size_t adlen, const void *in, size_t len,
    unsigned char *out, struct ierr *e)
{
	const unsigned char *c = in;
	gcry_cipher_hd_t h;
	gcry_error_t rc;
	size_t n;
	int rv;

	if (len < CRYPTO_AEAD_TAG_LEN)
		return err_set(e, EXIT_CONFIG, "sealed data too short");
	n = len - CRYPTO_AEAD_TAG_LEN;
	if ((rv = aead_open_handle(&h, key, nonce, noncelen, ad, adlen, e)) !=
	    0)
		return rv;
	if ((rc = gcry_cipher_decrypt(h, out, n, c, n)) == 0)
		rc = gcry_cipher_checktag(h, c + n, CRYPTO_AEAD_TAG_LEN);
	gcry_cipher_close(h);
	if (rc != 0) {
		secmem_wipe(out, n);
		return err_set(e, EXIT_CONFIG,
		    "authentication failed: wrong key or changed data");
	}
	return 0;
}

void
crypto_hex(const void *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
crypto_unhex(const char *hex, size_t hexlen, unsigned char *out, size_t outlen)
{
	size_t i;
	int hi, lo;

	if (hexlen != 2 * outlen)
		return -1;
	for (i = 0; i < outlen; i++) {
		hi = hexval((unsigned char)hex[2 * i]);
		lo = hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

int
crypto_memeq(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* HMAC-SHA256 of the concatenation of up to three parts, keyed by key. */
static void
hmac3(const void *key, size_t keylen, const void *a, size_t alen, const void *b,
    size_t blen, const void *c, size_t clen, unsigned char out[32])
{
	static const unsigned char nokey[1];
	gcry_md_hd_t h;
	const unsigned char *d;

	if (gcry_md_open(&h, GCRY_MD_SHA256,
		GCRY_MD_FLAG_HMAC | GCRY_MD_FLAG_SECURE) != 0)
		gcrypt_fatal();
	/* HMAC pads a short key with zeros: an empty key is one zero byte. */
	if (gcry_md_setkey(h, keylen ? key : nokey, keylen ? keylen : 1) != 0)
		gcrypt_fatal();
	if (alen > 0)
		gcry_md_write(h, a, alen);
	if (blen > 0)
		gcry_md_write(h, b, blen);
	if (clen > 0)
		gcry_md_write(h, c, clen);
	if ((d = gcry_md_read(h, GCRY_MD_SHA256)) == NULL)
		gcrypt_fatal();
	memcpy(out, d, CRYPTO_SHA256_LEN);
	gcry_md_close(h);
}

void
crypto_hkdf_sha256(const void *salt, size_t saltlen, const void *ikm,
    size_t ikmlen, const void *info, size_t infolen, void *out, size_t outlen)
{
	unsigned char *prk, *t, ctr;
	unsigned char *o = out;
	size_t done, n, tlen;

	if (outlen > CRYPTO_HKDF_MAX)
		abort();
	prk = gcry_malloc_secure(2 * CRYPTO_SHA256_LEN);
	if (prk == NULL)
		abort();
	t = prk + CRYPTO_SHA256_LEN;
	/* Extract: PRK = HMAC(salt, IKM). */
	hmac3(salt, saltlen, ikm, ikmlen, NULL, 0, NULL, 0, prk);
	/* Expand: T(i) = HMAC(PRK, T(i-1) | info | i), T(0) empty. */
	tlen = 0;
	for (done = 0, ctr = 1; done < outlen; done += n, ctr++) {
		hmac3(
		    prk, CRYPTO_SHA256_LEN, t, tlen, info, infolen, &ctr, 1, t);
		tlen = CRYPTO_SHA256_LEN;
		n = outlen - done < tlen ? outlen - done : tlen;
		memcpy(o + done, t, n);
	}
	gcry_free(prk); /* secure memory is wiped when freed */
}

static int
x25519_mul(const unsigned char *secret, const unsigned char *point,
    unsigned char out[32])
{
	unsigned char *k;
	gcry_error_t rc;

	k = gcry_malloc_secure(CRYPTO_X25519_LEN);
	if (k == NULL)
		abort();
	/* Clamp (RFC 7748, section 5); libgcrypt does too, but say it. */
	memcpy(k, secret, CRYPTO_X25519_LEN);
	k[0] &= 248;
	k[31] &= 127;
	k[31] |= 64;
	rc = gcry_ecc_mul_point(GCRY_ECC_CURVE25519, out, k, point);
	gcry_free(k);
	return rc == 0 ? 0 : -1;
}

int
crypto_x25519_public(
    const unsigned char *secret, unsigned char pub[32], struct ierr *e)
{
	if (x25519_mul(secret, NULL, pub) != 0)
		return err_set(e, EXIT_CONFIG, "X25519 failed");
	return 0;
}

void
crypto_x25519_keygen(unsigned char *secret, unsigned char pub[32])
{
	struct ierr e;

	gcry_randomize(secret, CRYPTO_X25519_LEN, GCRY_STRONG_RANDOM);
	if (crypto_x25519_public(secret, pub, &e) != 0)
		gcrypt_fatal();
}

static int
all_zero(const unsigned char *p, size_t n)
{
	unsigned char d = 0;
	size_t i;

	for (i = 0; i < n; i++)
		d |= p[i];
	return d == 0;
}

int
crypto_x25519(const unsigned char *secret, const unsigned char pub[32],
    unsigned char *shared, struct ierr *e)
{
	unsigned char u[CRYPTO_X25519_LEN];

	/* The high bit of u is ignored (RFC 7748, section 5). */
	memcpy(u, pub, sizeof u);
	u[31] &= 0x7f;
	if (x25519_mul(secret, u, shared) != 0) {
		secmem_wipe(shared, CRYPTO_X25519_LEN);
		return err_set(e, EXIT_DATAERR, "X25519 failed");
	}
	if (all_zero(shared, CRYPTO_X25519_LEN))
		return err_set(e, EXIT_DATAERR,
		    "X25519 share of small order (all-zero shared secret)");
	return 0;
}

int
crypto_x25519_public_check(const unsigned char pub[32])
{
	/* Any clamped scalar is a multiple of 8 and kills every point of
	 * small order: the product is zero exactly for those. */
	static const unsigned char eight[CRYPTO_X25519_LEN] = { 8 };
	unsigned char u[CRYPTO_X25519_LEN], r[CRYPTO_X25519_LEN];

	memcpy(u, pub, sizeof u);
	u[31] &= 0x7f;
	if (x25519_mul(eight, u, r) != 0)
		return 0;
	return !all_zero(r, sizeof r);
}

/*
 * Ed25519 points in projective coordinates (X:Y:Z), x = X/Z, y = Y/Z,
 * on -x^2 + y^2 = 1 + d x^2 y^2 over p = 2^255 - 19.  The addition law
 * used (a = -1, d not a square) is complete: no special cases, and
 * doubling is addition of a point to itself.
 */
struct ed_curve {
	gcry_mpi_t p, d;
	gcry_mpi_t t[8]; /* scratch for ed_add() */
};

struct ed_point {
	gcry_mpi_t x, y, z;
};

static gcry_mpi_t
mpi_hex(const char *hex)
{
	gcry_mpi_t m;

	if (gcry_mpi_scan(&m, GCRYMPI_FMT_HEX, hex, 0, NULL) != 0)
		gcrypt_fatal();
	return m;
}

static void
ed_curve_init(struct ed_curve *c)
{
	int i;

	c->p = mpi_hex("7fffffffffffffffffffffffffffffff"
		       "ffffffffffffffffffffffffffffffed");
	c->d = mpi_hex("52036cee2b6ffe738cc740797779e898"
		       "00700a4d4141d8ab75eb4dca135978a3");
	for (i = 0; i < 8; i++)
		c->t[i] = gcry_mpi_new(512);
}

static void
ed_curve_free(struct ed_curve *c)
{
	int i;

	gcry_mpi_release(c->p);
	gcry_mpi_release(c->d);
	for (i = 0; i < 8; i++)
		gcry_mpi_release(c->t[i]);
}

static void
ed_point_init(struct ed_point *q)
{
	q->x = gcry_mpi_new(256);
	q->y = gcry_mpi_new(256);
	q->z = gcry_mpi_new(256);
}

static void
ed_point_free(struct ed_point *q)
{
	gcry_mpi_release(q->x);
	gcry_mpi_release(q->y);
	gcry_mpi_release(q->z);
}

/* r = a + b; r may be a or b. */
static void
ed_add(struct ed_curve *c, struct ed_point *r, const struct ed_point *a,
    const struct ed_point *b)
{
	gcry_mpi_t A = c->t[0], B = c->t[1], C = c->t[2], D = c->t[3];
	gcry_mpi_t E = c->t[4], F = c->t[5], G = c->t[6], H = c->t[7];

	gcry_mpi_mulm(A, a->z, b->z, c->p); /* A = Z1 Z2 */
	gcry_mpi_mulm(B, A, A, c->p);	    /* B = A^2 */
	gcry_mpi_mulm(C, a->x, b->x, c->p); /* C = X1 X2 */
	gcry_mpi_mulm(D, a->y, b->y, c->p); /* D = Y1 Y2 */
	gcry_mpi_mulm(E, C, D, c->p);
	gcry_mpi_mulm(E, E, c->d, c->p); /* E = d C D */
	gcry_mpi_subm(F, B, E, c->p);	 /* F = B - E */
	gcry_mpi_addm(G, B, E, c->p);	 /* G = B + E */
	gcry_mpi_addm(H, a->x, a->y, c->p);
	gcry_mpi_addm(B, b->x, b->y, c->p);
	gcry_mpi_mulm(H, H, B, c->p);
	gcry_mpi_subm(H, H, C, c->p);
	gcry_mpi_subm(H, H, D, c->p); /* (X1+Y1)(X2+Y2) - C - D */
	gcry_mpi_mulm(H, H, F, c->p);
	gcry_mpi_mulm(r->x, H, A, c->p); /* X3 = A F H */
	gcry_mpi_addm(D, D, C, c->p);	 /* D + C (a = -1) */
	gcry_mpi_mulm(D, D, G, c->p);
	gcry_mpi_mulm(r->y, D, A, c->p); /* Y3 = A G (D + C) */
	gcry_mpi_mulm(r->z, F, G, c->p); /* Z3 = F G */
}

/* r = n P (left to right double and add; public values only). */
static void
ed_mul(struct ed_curve *c, struct ed_point *r, gcry_mpi_t n,
    const struct ed_point *p)
{
	int i;

	gcry_mpi_set_ui(r->x, 0);
	gcry_mpi_set_ui(r->y, 1);
	gcry_mpi_set_ui(r->z, 1);
	for (i = (int)gcry_mpi_get_nbits(n) - 1; i >= 0; i--) {
		ed_add(c, r, r, r);
		if (gcry_mpi_test_bit(n, (unsigned int)i))
			ed_add(c, r, r, p);
	}
}

static int
ed_is_identity(const struct ed_curve *c, const struct ed_point *q)
{
	(void)c;
	return gcry_mpi_cmp_ui(q->x, 0) == 0 && gcry_mpi_cmp(q->y, q->z) == 0;
}

/*
 * Decodes pub (RFC 8032, section 5.1.3) into q with Z = 1; NULL or the
 * reason it does not decode.
 */
static const char *
ed_decode(
    const struct ed_curve *c, const unsigned char pub[32], struct ed_point *q)
{
	unsigned char be[32];
	gcry_mpi_t u, v, w, t, e;
	const char *why = NULL;
	int i, sign;

	for (i = 0; i < 32; i++)
		be[i] = pub[31 - i];
	sign = be[0] >> 7;
	be[0] &= 0x7f;
	if (gcry_mpi_scan(&u, GCRYMPI_FMT_USG, be, sizeof be, NULL) != 0)
		gcrypt_fatal();
	gcry_mpi_set(q->y, u);
	gcry_mpi_release(u);
	gcry_mpi_set_ui(q->z, 1);
	if (gcry_mpi_cmp(q->y, c->p) >= 0)
		return "not canonical (y is not below p)";
	u = gcry_mpi_new(256);
	v = gcry_mpi_new(256);
	w = gcry_mpi_new(256);
	t = gcry_mpi_new(256);
	e = gcry_mpi_new(256);
	/* x^2 = (y^2 - 1) / (d y^2 + 1); the denominator is never 0. */
	gcry_mpi_mulm(t, q->y, q->y, c->p);
	gcry_mpi_set_ui(e, 1);
	gcry_mpi_subm(u, t, e, c->p);
	gcry_mpi_mulm(v, t, c->d, c->p);
	gcry_mpi_addm(v, v, e, c->p);
	if (!gcry_mpi_invm(v, v, c->p))
		gcrypt_fatal();
	gcry_mpi_mulm(w, u, v, c->p); /* w = x^2 */
	/* A square root candidate: w^((p + 3) / 8). */
	gcry_mpi_add_ui(e, c->p, 3);
	gcry_mpi_rshift(e, e, 3);
	gcry_mpi_powm(q->x, w, e, c->p);
	gcry_mpi_mulm(t, q->x, q->x, c->p);
	if (gcry_mpi_cmp(t, w) != 0) {
		gcry_mpi_subm(u, c->p, w, c->p); /* u = -w mod p */
		if (gcry_mpi_cmp(t, u) != 0) {
			why = "not on the curve";
			goto out;
		}
		/* Multiply by sqrt(-1) = 2^((p - 1) / 4). */
		gcry_mpi_sub_ui(e, c->p, 1);
		gcry_mpi_rshift(e, e, 2);
		gcry_mpi_set_ui(t, 2);
		gcry_mpi_powm(t, t, e, c->p);
		gcry_mpi_mulm(q->x, q->x, t, c->p);
	}
	if (gcry_mpi_cmp_ui(q->x, 0) == 0 && sign) {
		why = "not canonical (x is 0 and the sign bit is set)";
		goto out;
	}
	if ((int)gcry_mpi_test_bit(q->x, 0) != sign)
		gcry_mpi_sub(q->x, c->p, q->x);
out:
	gcry_mpi_release(u);
	gcry_mpi_release(v);
	gcry_mpi_release(w);
	gcry_mpi_release(t);
	gcry_mpi_release(e);
	return why;
}

const char *
crypto_ed25519_public_why(const unsigned char pub[32])
{
	struct ed_curve c;
	struct ed_point q, r;
	gcry_mpi_t n;
	const char *why;

	ed_curve_init(&c);
	ed_point_init(&q);
	ed_point_init(&r);
	if ((why = ed_decode(&c, pub, &q)) != NULL)
		goto out;
	n = gcry_mpi_set_ui(NULL, 8);
	ed_mul(&c, &r, n, &q);
	gcry_mpi_release(n);
	if (ed_is_identity(&c, &r)) {
		why = "of small order";
		goto out;
	}
	/* L = 2^252 + 27742317777372353535851937790883648493. */
	n = mpi_hex("10000000000000000000000000000000"
		    "14def9dea2f79cd65812631a5cf5d3ed");
	ed_mul(&c, &r, n, &q);
	gcry_mpi_release(n);
	if (!ed_is_identity(&c, &r))
		why = "with a small-order component (L*P is not the identity)";
out:
	ed_point_free(&q);
	ed_point_free(&r);
	ed_curve_free(&c);
	return why;
}

int
crypto_ed25519_public_check(const unsigned char pub[32])
{
	return crypto_ed25519_public_why(pub) == NULL;
}

void
crypto_hmac_sha256_once(const void *key, size_t keylen, const void *msg,
    size_t len, unsigned char out[32])
{
	hmac3(key, keylen, msg, len, NULL, 0, NULL, 0, out);
}
