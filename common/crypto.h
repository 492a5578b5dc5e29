/*
 * Hashes, HMAC, Ed25519, Argon2id and ChaCha20-Poly1305, all through
 * libgcrypt.  Call secmem_init() (secmem.h) once before any function here.
 *
 * Ownership: buffers are the caller's.  Secret inputs (HMAC keys, Ed25519
 * seeds, passphrases) should live in secure memory (secmem_dup(),
 * gcry_malloc_secure()); the contexts made here keep their own copies in
 * secure memory and wipe them when freed.  Contexts are not shared between
 * threads: give each worker its own (crypto_hmac_dup()).
 *
 * Functions that can only fail when memory is exhausted or libgcrypt is
 * broken abort the process, as xmalloc() does; the others return an exit
 * status (exitcodes.h) and fill a struct ierr.
 */
#ifndef INTEL_CRYPTO_H
#define INTEL_CRYPTO_H

#include <stddef.h>

#include "err.h"

#define CRYPTO_SHA256_LEN 32
#define CRYPTO_SHA512_LEN 64
#define CRYPTO_ED25519_PUB_LEN 32
#define CRYPTO_ED25519_SEED_LEN 32
#define CRYPTO_ED25519_SIG_LEN 64
#define CRYPTO_KEY_ID_LEN 16 /* hex digits, without the NUL */
/* The longest message that can be signed or verified.  libgcrypt 1.10
 * keeps S-expression lengths in 16 bits: from 65,473 bytes on, signing
 * fails or crashes the process.  Sign trailers or digests, never inputs. */
#define CRYPTO_ED25519_MSG_MAX 32768

/* One-shot digests. */
void crypto_sha256(const void *p, size_t n, unsigned char out[32]);
void crypto_sha512(const void *p, size_t n, unsigned char out[64]);

/* Streaming SHA-512, for bundles.  crypto_sha512_final() writes the digest
 * and frees the context; crypto_sha512_free() drops one without a digest
 * (NULL is allowed). */
struct crypto_sha512;
struct crypto_sha512 *crypto_sha512_init(void);
void crypto_sha512_update(struct crypto_sha512 *c, const void *p, size_t n);
void crypto_sha512_final(struct crypto_sha512 *c, unsigned char out[64]);
void crypto_sha512_free(struct crypto_sha512 *c);

/* HMAC-SHA256 with a key set once and kept in secure memory inside
 * libgcrypt; crypto_hmac() resets the context for every message.  The
 * context copies the key: the caller keeps and wipes its own.
 * crypto_hmac_dup() gives another thread its own context.  free wipes;
 * NULL is allowed. */
struct crypto_hmac;
struct crypto_hmac *crypto_hmac_new(const void *key, size_t keylen);
struct crypto_hmac *crypto_hmac_dup(const struct crypto_hmac *c);
void crypto_hmac(
    struct crypto_hmac *c, const void *msg, size_t len, unsigned char out[32]);
void crypto_hmac_free(struct crypto_hmac *c);

/* Random bytes (a strong generator; for salts, nonces, bundle ids). */
void crypto_random(void *p, size_t n);

/*
 * Ed25519 (RFC 8032, pure).  The seed is the 32-byte secret key of the RFC;
 * keep it in secure memory.
 *
 * crypto_ed25519_keygen() fills seed (from the strongest generator) and
 * pub.  crypto_ed25519_public_from_seed() derives pub.  crypto_ed25519_sign()
 * takes the seed and its public key; EXIT_DATAERR for a message longer than
 * CRYPTO_ED25519_MSG_MAX, EXIT_CONFIG if libgcrypt refuses the key.
 */
int crypto_ed25519_keygen(
    unsigned char pub[32], unsigned char *seed, struct ierr *e);
int crypto_ed25519_public_from_seed(
    const unsigned char *seed, unsigned char pub[32], struct ierr *e);
int crypto_ed25519_sign(const unsigned char *seed, const unsigned char pub[32],
    const void *msg, size_t len, unsigned char sig[64], struct ierr *e);
/*
 * Returns 1 only for a valid signature; 0 for anything else: a public key
 * or R that does not decode, S not below the group order L (libgcrypt 1.10
 * would accept S + L), a message longer than CRYPTO_ED25519_MSG_MAX.
 */
int crypto_ed25519_verify(const unsigned char pub[32], const void *msg,
    size_t len, const unsigned char sig[64]);

/* Key id: the first 16 hex digits of SHA-256 of the 32-byte public key,
 * NUL-terminated. */
void crypto_key_id(const unsigned char pub[32], char out[17]);

/*
 * Argon2id (RFC 9106, version 0x13): t passes, m KiB of memory, p lanes.
 * EXIT_CONFIG for parameters out of range (t 1..64, m 8*p..4194304,
 * p 1..64) or when libgcrypt fails (memory).  out may be secure memory.
 */
int crypto_argon2id(const void *pass, size_t passlen, const void *salt,
    size_t saltlen, unsigned long t, unsigned long m, unsigned long p,
    void *out, size_t outlen, struct ierr *e);

/*
 * ChaCha20-Poly1305 (RFC 8439): a 32-byte key, a 12-byte nonce (other
 * lengths are refused here, libgcrypt would only warn), associated data
 * authenticated but not encrypted.  seal writes len bytes of ciphertext
 * then the 16-byte tag to out (len + 16 bytes).  open takes len bytes of
 * ciphertext + tag and writes len - 16 bytes; it returns EXIT_CONFIG when
 * the tag does not match (wrong key or changed data) and then leaves no
 * plaintext in out.  out may be secure memory.
 */
#define CRYPTO_AEAD_KEY_LEN 32
#define CRYPTO_AEAD_NONCE_LEN 12
#define CRYPTO_AEAD_TAG_LEN 16
int crypto_aead_seal(const unsigned char *key, const unsigned char *nonce,
    size_t noncelen, const void *ad, size_t adlen, const void *in, size_t len,
    unsigned char *out, struct ierr *e);
int crypto_aead_open(const unsigned char *key, const unsigned char *nonce,
    size_t noncelen, const void *ad, size_t adlen, const void *in, size_t len,
    unsigned char *out, struct ierr *e);

/* Lower-case hex of n bytes into out (2n + 1 bytes, NUL-terminated). */
void crypto_hex(const void *p, size_t n, char *out);
/* Decodes exactly 2 * outlen hex digits (either case) from hex[0..hexlen);
 * returns 0, or -1 when hexlen is wrong or a digit is not hex. */
int
crypto_unhex(const char *hex, size_t hexlen, unsigned char *out, size_t outlen);
/* 1 when the n bytes are equal, else 0; time depends only on n. */
int crypto_memeq(const void *a, const void *b, size_t n);

/*
 * For age (SPEC 6a) and for checking keys before libgcrypt sees them.
 */

/*
 * HKDF-SHA-256 (RFC 5869): extract with salt (an empty salt is 32 zero
 * bytes, as the RFC says), then expand to outlen bytes under info.  outlen
 * is at most 255 * 32 (CRYPTO_HKDF_MAX); the intermediate key stays in
 * secure memory and is wiped.  out may be secure memory.  Aborts on a
 * longer outlen (a programming error) or when libgcrypt fails.
 */
#define CRYPTO_HKDF_MAX (255 * CRYPTO_SHA256_LEN)
void crypto_hkdf_sha256(const void *salt, size_t saltlen, const void *ikm,
    size_t ikmlen, const void *info, size_t infolen, void *out, size_t outlen);

/*
 * X25519 (RFC 7748) through libgcrypt's gcry_ecc_mul_point().  Secrets are
 * 32 bytes, clamped as the RFC says (by these functions: the caller may
 * pass any 32 bytes); keep them in secure memory.  The high bit of a
 * public u is ignored, as the RFC says.
 *
 * crypto_x25519_keygen() fills secret from the strong generator and pub.
 * crypto_x25519_public() derives pub from secret.  crypto_x25519() writes
 * the shared secret (32 bytes, may be secure memory) and returns 0, or
 * EXIT_DATAERR when it is all zero (pub is of small order: no secret is
 * shared) and then leaves zeros in shared.
 *
 * crypto_x25519_public_check() returns 1 for a u that is not of small
 * order, 0 for one of the small-order values (0, 1, p - 1, the two points
 * of order 8, and their encodings plus p or with the high bit set), with
 * which every shared secret would be all zero.
 */
#define CRYPTO_X25519_LEN 32
void crypto_x25519_keygen(unsigned char *secret, unsigned char pub[32]);
int crypto_x25519_public(
    const unsigned char *secret, unsigned char pub[32], struct ierr *e);
int crypto_x25519(const unsigned char *secret, const unsigned char pub[32],
    unsigned char *shared, struct ierr *e);
int crypto_x25519_public_check(const unsigned char pub[32]);

/*
 * Ed25519 public key check, done with libgcrypt's generic MPI arithmetic
 * (never its Ed25519 code, which aborts the process on the identity and
 * on points of order 2 and 4).  crypto_ed25519_public_check() returns 1
 * for a key fit to verify with, else 0; crypto_ed25519_public_why() returns
 * NULL for such a key, else a static phrase for a message: the encoding is
 * not canonical (y not below p, or x = 0 with the sign bit set), the point
 * is not on the curve, it is of small order (one of the eight points P with
 * 8P the identity, the identity included), or it has a small-order
 * component (L*P is not the identity).  Call it on every key before
 * crypto_ed25519_verify() sees it.
 */
int crypto_ed25519_public_check(const unsigned char pub[32]);
const char *crypto_ed25519_public_why(const unsigned char pub[32]);

/* HMAC-SHA256 of one message under a key used once (the HMAC of the age
 * header); the key schedule lives in secure memory and is wiped. */
void crypto_hmac_sha256_once(const void *key, size_t keylen, const void *msg,
    size_t len, unsigned char out[32]);

#endif
