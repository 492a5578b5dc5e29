/*
 * Key files (SPEC 6, intel-keys(5)).
 *
 * NAME.pub is one line, "ed25519:<base64 of the public key> PARTY".
 * NAME.key holds the party, the public key and the 32-byte Ed25519 seed,
 * either in the clear or sealed with Argon2id and ChaCha20-Poly1305 under a
 * passphrase.  Secret key files and passphrase files that group or others
 * may access are refused (EXIT_NOPERM), as ssh does.
 *
 * Exit statuses: EXIT_NOINPUT when a named file cannot be opened,
 * EXIT_NOPERM for permissions, EXIT_CONFIG for a malformed file (message
 * "FILE:LINE: what is wrong"), a wrong passphrase or a damaged sealed key
 * ("wrong passphrase or damaged key file") and a sealed key without a
 * passphrase ("key is sealed: a passphrase is needed"), EXIT_CANTCREAT when
 * keys_generate() finds either file or cannot create it.
 *
 * Ownership: a struct keys_secret is the caller's, released (and its seed
 * wiped) by keys_free_secret().  The strings and bytes its accessors return
 * live as long as it does.  Passphrases returned here are in secure memory
 * and released with keys_free_passphrase().  Call secmem_init() first.
 *
 * Test hook: with INTEL_KDF_TEST_FAST=1 in the environment,
 * keys_generate() seals with t=1 and m=64 KiB instead of t=3 and m=64 MiB,
 * so that test suites stay fast.  Such keys are weak; loading honours
 * whatever parameters the file names.
 */
#ifndef INTEL_KEYS_H
#define INTEL_KEYS_H

#include <stddef.h>

#include "err.h"

#define KEYS_PUB_LEN		32
#define KEYS_SIG_LEN		64
#define KEYS_PARTY_MAX		64	/* characters of a party code */
#define KEYS_PASSPHRASE_MAX	1024	/* bytes of a passphrase */
/* "ed25519:" and the base64 of 32 bytes, without the NUL. */
#define KEYS_PUBTEXT_LEN	52

/* Default Argon2id parameters for sealed keys. */
#define KEYS_KDF_T		3
#define KEYS_KDF_M		65536	/* KiB: 64 MiB */
#define KEYS_KDF_P		1

struct keys_secret;

/*
 * Writes NAME.pub and NAME.key (mode 0600) for a new key of party.  With a
 * passphrase (not NULL) the secret is sealed.  Refuses with EXIT_CANTCREAT,
 * before writing anything, if either file exists; both are written through
 * temporary files and linked into place without replacing anything, so a
 * failure leaves neither.  EXIT_USAGE for an invalid party code.
 */
int keys_generate(const char *party, const char *passphrase,
    const char *name, struct ierr *e);

/* Loads a secret key file.  passphrase NULL: none given (a sealed key is
 * then refused); it is ignored for a key in the clear. */
int keys_load_secret(const char *path, const char *passphrase,
    struct keys_secret **out, struct ierr *e);
void keys_free_secret(struct keys_secret *k);	/* NULL is allowed */

const char *keys_party(const struct keys_secret *k);
const unsigned char *keys_public(const struct keys_secret *k);	/* 32 */
const char *keys_key_id(const struct keys_secret *k);	/* 16 hex */

/* Ed25519 signature of msg (at most CRYPTO_ED25519_MSG_MAX bytes). */
int keys_sign(const struct keys_secret *k, const void *msg, size_t len,
    unsigned char sig[64], struct ierr *e);

/* Reads the first line of a passphrase file, without the newline.
 * EXIT_NOINPUT, EXIT_NOPERM (group or others may access it), EXIT_CONFIG
 * for an empty first line, one longer than KEYS_PASSPHRASE_MAX or one
 * holding a NUL byte. */
int keys_read_passphrase_file(const char *path, char **pass, struct ierr *e);
/* Asks on /dev/tty with echo off (twice when confirm is set).  EXIT_USAGE
 * when there is no terminal; EXIT_CONFIG for an empty passphrase or two
 * that differ. */
int keys_prompt_passphrase(const char *prompt, int confirm, char **pass,
    struct ierr *e);
void keys_free_passphrase(char *pass);	/* wipes; NULL is allowed */

/* Reads NAME.pub: *party is the caller's (free()). */
int keys_load_public(const char *path, char **party, unsigned char pub[32],
    struct ierr *e);

/* "ed25519:<base64>" (exactly, len bytes) to 32 bytes: 0, or -1. */
int keys_parse_public(const char *text, size_t len, unsigned char pub[32]);
/* The same text, NUL-terminated, into out. */
void keys_format_public(const unsigned char pub[32],
    char out[KEYS_PUBTEXT_LEN + 1]);

/* 1 when s[0..len) is a valid party code (intel-agreement(5)): letters,
 * digits, '.', '_' and '-', starting with a letter or a digit, 1 to
 * KEYS_PARTY_MAX characters. */
int keys_party_valid(const char *s, size_t len);

#endif
