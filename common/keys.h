/*
 * Key files (SPEC 6, intel-keys(5)).
 *
 * NAME.pub is one line, "ed25519:<base64 of the public key> PARTY".
 * NAME.recipient is an age recipients file: "# PARTY", then "age1...".
 * NAME.key holds the party, the public key and the 32-byte Ed25519 seed
 * (version 1), and since version 2 also the X25519 recipient and its
 * secret (SPEC 6a), either in the clear or sealed with Argon2id and
 * ChaCha20-Poly1305 under a passphrase: both secrets are one plain text
 * under one derived key and one nonce.  Version 1 files still load and
 * sign; they have no X25519 secret.  Secret key files and passphrase
 * files that group or others may access are refused (EXIT_NOPERM), as ssh
 * does.
 *
 * Exit statuses: EXIT_NOINPUT when a named file cannot be opened,
 * EXIT_NOPERM for permissions, EXIT_CONFIG for a malformed file (message
 * "FILE:LINE: what is wrong"), a wrong passphrase or a damaged sealed key
 * ("wrong passphrase or damaged key file") and a sealed key without a
 * passphrase ("key is sealed: a passphrase is needed"), EXIT_CANTCREAT when
 * keys_generate(), keys_upgrade() or keys_export_identity() finds a file
 * it would write, or cannot create one.
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

#define KEYS_PUB_LEN 32
#define KEYS_SIG_LEN 64
#define KEYS_PARTY_MAX 64	 /* characters of a party code */
#define KEYS_PASSPHRASE_MAX 1024 /* bytes of a passphrase */
/* "ed25519:" and the base64 of 32 bytes, without the NUL. */
#define KEYS_PUBTEXT_LEN 52

/* Default Argon2id parameters for sealed keys. */
#define KEYS_KDF_T 3
#define KEYS_KDF_M 65536 /* KiB: 64 MiB */
#define KEYS_KDF_P 1

struct keys_secret;

/*
 * Writes NAME.pub (0644), NAME.key (0600, version 2) and NAME.recipient
 * (0644) for a new key of party: an Ed25519 pair and an X25519 pair.
 * With a passphrase (not NULL) the secrets are sealed.  Refuses with
 * EXIT_CANTCREAT, before writing anything, if any of the three exists;
 * all are written through temporary files and linked into place without
 * replacing anything, so a failure leaves none.  EXIT_USAGE for an
 * invalid party code.
 */
int keys_generate(const char *party, const char *passphrase, const char *name,
    struct ierr *e);
/*
 * Writes NAME.key (version 2) with k's party and signing key and a new
 * X25519 pair, and NAME.recipient, as keys_generate() does (EXIT_CANTCREAT
 * if either exists; none or both are written); sealed when passphrase is
 * not NULL.
 */
int keys_upgrade(const struct keys_secret *k, const char *passphrase,
    const char *name, struct ierr *e);
/*
 * Writes k's X25519 secret as an age identity file (comments, then
 * "AGE-SECRET-KEY-1..."), mode 0600, never replacing a file
 * (EXIT_CANTCREAT).  EXIT_CONFIG for a key without an X25519 secret.
 */
int keys_export_identity(
    const struct keys_secret *k, const char *path, struct ierr *e);

/* Loads a secret key file.  passphrase NULL: none given (a sealed key is
 * then refused); it is ignored for a key in the clear. */
int keys_load_secret(const char *path, const char *passphrase,
    struct keys_secret **out, struct ierr *e);
void keys_free_secret(struct keys_secret *k); /* NULL is allowed */

const char *keys_party(const struct keys_secret *k);
const unsigned char *keys_public(const struct keys_secret *k); /* 32 */
const char *keys_key_id(const struct keys_secret *k);	       /* 16 hex */
/* The X25519 secret (32 bytes, secure memory) and its public key (32
 * bytes); NULL for a key file made before sealing (version 1). */
const unsigned char *keys_x25519_secret(const struct keys_secret *k);
const unsigned char *keys_x25519_public(const struct keys_secret *k);

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
int keys_prompt_passphrase(
    const char *prompt, int confirm, char **pass, struct ierr *e);
void keys_free_passphrase(char *pass); /* wipes; NULL is allowed */

/* Reads NAME.pub: *party is the caller's (free()). */
int keys_load_public(
    const char *path, char **party, unsigned char pub[32], struct ierr *e);

/*
 * Reads an age recipients file (as age -R does: empty lines and lines
 * starting with '#' skipped, every other line one "age1..." recipient)
 * into *out (the caller's, free()), *n of them, 1 to AGE_STANZAS_MAX.
 * EXIT_NOINPUT when it cannot be read; EXIT_CONFIG, "FILE:LINE: why", for
 * a line that is not an X25519 recipient fit to seal to, or for a file
 * with none.
 */
int keys_load_recipients(
    const char *path, unsigned char (**out)[32], size_t *n, struct ierr *e);

/* "ed25519:<base64>" (exactly, len bytes) to 32 bytes: 0, or -1. */
int keys_parse_public(const char *text, size_t len, unsigned char pub[32]);
/* The same text, NUL-terminated, into out. */
void
keys_format_public(const unsigned char pub[32], char out[KEYS_PUBTEXT_LEN + 1]);

/* 1 when s[0..len) is a valid party code (intel-agreement(5)): letters,
 * digits, '.', '_' and '-', starting with a letter or a digit, 1 to
 * KEYS_PARTY_MAX characters. */
int keys_party_valid(const char *s, size_t len);

#endif
