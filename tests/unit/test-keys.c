/*
 * common/keys.c: key generation (plain and sealed), file modes, refusal to
 * overwrite, load + sign + verify, wrong passphrase, tampering, permission
 * checks, malformed files, passphrase files, .pub files, the prompt.
 */
#include "config.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <gcrypt.h>

#include "buf.h"
#include "crypto.h"
#include "exitcodes.h"
#include "age.h"
#include "base64.h"
#include "keys.h"
#include "secfile.h"
#include "secmem.h"
#include "tap.h"
#include "util.h"

static const char *dir;

static void
put_file(const char *name, mode_t mode, const char *text)
{
	char *p = util_path(name);

	if (util_write_str(p, text, mode) != 0) {
		diag("cannot write %s", p);
		exit(99);
	}
	free(p);
}

static char *
get_file(const char *name)
{
	char *p = util_path(name), *text = util_read_file(p, NULL);

	free(p);
	return text;
}

static int
file_mode(const char *name)
{
	char *p = util_path(name);
	struct stat st;
	int rv;

	rv = stat(p, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
	free(p);
	return rv;
}

static void
rm_file(const char *name)
{
	char *p = util_path(name);

	unlink(p);
	free(p);
}

static int
exists(const char *name)
{
	return file_mode(name) != -1;
}

static int
count_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* Replaces the first occurrence of from by to in s (same length). */
static void
patch(char *s, const char *from, const char *to)
{
	char *p = strstr(s, from);

	if (p != NULL)
		memcpy(p, to, strlen(to));
}

/* Loads name from the temp dir; returns the status, fills *e. */
static int
load(const char *name, const char *pass, struct ierr *e)
{
	struct keys_secret *k = NULL;
	char *p = util_path(name);
	int rv;

	err_clear(e);
	rv = keys_load_secret(p, pass, &k, e);
	keys_free_secret(k);
	free(p);
	return rv;
}

static int
has(const struct ierr *e, const char *what)
{
	if (strstr(e->msg, what) != NULL)
		return 1;
	diag("message: %s", e->msg);
	return 0;
}

static void
test_generate_plain(void)
{
	struct ierr e = IERR_INIT;
	struct keys_secret *k = NULL;
	char *name = util_path("plain"), *pubpath = util_path("plain.pub");
	char *keypath = util_path("plain.key"), *before, *after, *party = NULL;
	unsigned char pub[32], sig[64];
	char id[17];

	is_int(keys_generate("DE-BKA", NULL, name, &e), 0, "generate plain");
	is_int(file_mode("plain.key"), 0600, "plain.key has mode 0600");
	is_int(file_mode("plain.pub"), 0644, "plain.pub has mode 0644");
	is_int(file_mode("plain.recipient"), 0644,
	    "plain.recipient has mode 0644");
	ok(count_entries() == 3, "no temporary file left behind");
	before = get_file("plain.key");
	ok(before != NULL &&
		strncmp(before,
		    "intel-secret-key 2\nparty DE-BKA\n"
		    "public ed25519:",
		    47) == 0,
	    "key file starts as documented");
	ok(before != NULL && strstr(before, "\nsecret ed25519:") != NULL,
	    "plain key holds a secret line");

	is_int(keys_generate("DE-BKA", NULL, name, &e), EXIT_CANTCREAT,
	    "second generate refused (73)");
	ok(has(&e, "exists"), "saying the file exists");
	after = get_file("plain.key");
	ok(before && after && strcmp(before, after) == 0,
	    "existing key untouched");
	free(before);
	free(after);

	is_int(keys_load_public(pubpath, &party, pub, &e), 0, "load plain.pub");
	is_str(party, "DE-BKA", ".pub names the party");
	is_int(keys_load_secret(keypath, NULL, &k, &e), 0, "load plain.key");
	if (k == NULL) {
		free(party);
		free(name);
		free(pubpath);
		free(keypath);
		return;
	}
	is_str(keys_party(k), "DE-BKA", "secret key's party");
	ok(memcmp(keys_public(k), pub, 32) == 0, "same public key as .pub");
	crypto_key_id(pub, id);
	is_str(
	    keys_key_id(k), id, "key id is SHA-256 prefix of the public key");
	is_int((long long)strlen(keys_key_id(k)), 16, "key id has 16 digits");
	is_int(keys_sign(k, "trailer", 7, sig, &e), 0, "sign");
	ok(crypto_ed25519_verify(pub, "trailer", 7, sig),
	    "signature verifies with the .pub key");
	keys_free_secret(k);
	k = NULL;
	is_int(keys_load_secret(keypath, "ignored", &k, &e), 0,
	    "a passphrase given for a plain key is ignored");
	keys_free_secret(k);
	free(party);
	free(name);
	free(pubpath);
	free(keypath);
}

static void
test_half_pair(void)
{
	struct ierr e = IERR_INIT;
	char *name = util_path("half");

	put_file("half.pub", 0644, "something\n");
	is_int(keys_generate("DE-BKA", NULL, name, &e), EXIT_CANTCREAT,
	    "generate refused when only NAME.pub exists");
	ok(!exists("half.key") && !exists("half.recipient"),
	    "and no NAME.key or NAME.recipient was written");
	rm_file("half.pub");
	put_file("half.recipient", 0644, "something\n");
	is_int(keys_generate("DE-BKA", NULL, name, &e), EXIT_CANTCREAT,
	    "generate refused when only NAME.recipient exists");
	ok(has(&e, "half.recipient exists"), "naming it");
	ok(!exists("half.key") && !exists("half.pub"),
	    "and no NAME.key or NAME.pub was written");
	is_int(keys_generate("DE BKA", NULL, name, &e), EXIT_USAGE,
	    "party with a space refused");
	ok(!exists("half.key"), "and nothing written");
	is_int(keys_generate("DE-BKA", "", name, &e), EXIT_CONFIG,
	    "empty passphrase refused");
	ok(keys_party_valid("DE-BKA", 6), "DE-BKA is a party code");
	ok(keys_party_valid("de_bka.2", 8), "de_bka.2 is a party code");
	ok(!keys_party_valid("-DE", 3), "-DE is not (starts with -)");
	ok(!keys_party_valid("", 0), "empty is not");
	ok(!keys_party_valid("DE/BKA", 6), "DE/BKA is not");
	ok(keys_party_valid(
	       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	       64),
	    "64 characters are");
	ok(!keys_party_valid(
	       "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	       65),
	    "65 are not");
	free(name);
}

static void
test_sealed(void)
{
	struct ierr e = IERR_INIT;
	struct keys_secret *k = NULL;
	char *name = util_path("sealed"), *keypath = util_path("sealed.key");
	char *text, *copy;
	unsigned char sig[64];

	is_int(keys_generate("FR-DGSI", "correct horse", name, &e), 0,
	    "generate sealed");
	is_int(file_mode("sealed.key"), 0600, "sealed.key has mode 0600");
	text = get_file("sealed.key");
	if (!ok(text != NULL, "sealed.key readable")) {
		free(name);
		free(keypath);
		return;
	}
	ok(strstr(text, "\nkdf argon2id t=1 m=64 p=1 salt=") != NULL,
	    "kdf line (test parameters)");
	ok(strstr(text, "\ncipher chacha20-poly1305 nonce=") != NULL,
	    "cipher line");
	ok(strstr(text, "\nsealed ") != NULL &&
		strstr(text, "\nsecret ") == NULL,
	    "secret only in sealed form");

	is_int(keys_load_secret(keypath, "correct horse", &k, &e), 0,
	    "load with the passphrase");
	if (k != NULL) {
		is_str(keys_party(k), "FR-DGSI", "party");
		keys_sign(k, "x", 1, sig, &e);
		ok(crypto_ed25519_verify(keys_public(k), "x", 1, sig),
		    "sealed key signs");
		keys_free_secret(k);
	}
	is_int(load("sealed.key", NULL, &e), EXIT_CONFIG, "no passphrase: 78");
	ok(has(&e, "key is sealed: a passphrase is needed"), "says so");
	is_int(load("sealed.key", "correct horsE", &e), EXIT_CONFIG,
	    "wrong passphrase: 78");
	ok(has(&e, "wrong passphrase or damaged key file"), "says so");
	ok(strstr(e.msg, "horse") == NULL, "message holds no passphrase");

	copy = xstrdup(text);
	patch(copy, "party FR-DGSI", "party FR-DGSX");
	put_file("t1.key", 0600, copy);
	is_int(load("t1.key", "correct horse", &e), EXIT_CONFIG,
	    "changed party line: 78");
	ok(has(&e, "wrong passphrase or damaged key file"), "as damaged");
	free(copy);

	copy = xstrdup(text);
	patch(copy, "t=1 m=64", "t=2 m=64");
	put_file("t2.key", 0600, copy);
	is_int(load("t2.key", "correct horse", &e), EXIT_CONFIG,
	    "changed KDF parameters: 78");
	free(copy);

	copy = xstrdup(text);
	{
		char *s = strstr(copy, "\nsealed ") + 8;

		*s = *s == 'A' ? 'B' : 'A';
	}
	put_file("t3.key", 0600, copy);
	is_int(load("t3.key", "correct horse", &e), EXIT_CONFIG,
	    "changed ciphertext: 78");
	ok(has(&e, "wrong passphrase or damaged key file"), "as damaged");
	free(copy);

	copy = xstrdup(text);
	{
		/* Another public key: the first base64 digit changed. */
		char *s = strstr(copy, "public ed25519:") + 15;

		*s = *s == 'A' ? 'B' : 'A';
	}
	put_file("t4.key", 0600, copy);
	is_int(load("t4.key", "correct horse", &e), EXIT_CONFIG,
	    "changed public line: 78");
	free(copy);

	chmod(keypath, 0640);
	is_int(load("sealed.key", "correct horse", &e), EXIT_NOPERM,
	    "group-readable sealed key: 77");
	chmod(keypath, 0600);
	free(text);
	free(name);
	free(keypath);
}

static void
test_perms(void)
{
	struct ierr e = IERR_INIT;
	char *keypath = util_path("plain.key");

	chmod(keypath, 0640);
	is_int(
	    load("plain.key", NULL, &e), EXIT_NOPERM, "group-readable key: 77");
	ok(has(&e, "too open"), "says the permissions are too open");
	chmod(keypath, 0604);
	is_int(
	    load("plain.key", NULL, &e), EXIT_NOPERM, "world-readable key: 77");
	chmod(keypath, 0620);
	is_int(
	    load("plain.key", NULL, &e), EXIT_NOPERM, "group-writable key: 77");
	chmod(keypath, 0400);
	is_int(load("plain.key", NULL, &e), 0, "mode 0400 is fine");
	chmod(keypath, 0600);
	is_int(load("missing.key", NULL, &e), EXIT_NOINPUT,
	    "missing key file: 66");
	is_int(load(".", NULL, &e), EXIT_NOINPUT, "a folder: 66");
	free(keypath);
}

struct bad {
	const char *text;
	const char *where; /* ":LINE:" expected in the message */
	const char *why;
};

static void
test_malformed(void)
{
	struct ierr e = IERR_INIT;
	char *good = get_file("plain.key"), *sealed = get_file("sealed.key");
	char *pub = NULL, *secret = NULL, *kdf = NULL, *cipher, *p;
	struct buf b = BUF_INIT;
	size_t i;
	char orig;

	if (!ok(good != NULL && sealed != NULL, "fixtures for malformed tests"))
		return;
	/* Split the generated files into their lines. */
	pub = strstr(good, "public ");
	secret = strstr(good, "secret ");
	kdf = strstr(sealed, "kdf ");
	cipher = strstr(sealed, "cipher ");
	pub[strcspn(pub, "\n")] = '\0';
	secret[strcspn(secret, "\n")] = '\0';
	kdf[strcspn(kdf, "\n")] = '\0';
	cipher[strcspn(cipher, "\n")] = '\0';

	{
		struct bad cases[] = {
			{ "", ":1:", "empty file" },
			{ "intel-secret-key 3\n", ":1:", "version 3" },
			{ "-----BEGIN PRIVATE KEY-----\n", ":1:", "PEM" },
			{ "intel-secret-key 1\n", ":2:", "no party" },
			{ "intel-secret-key 1\nparty \n",
			    ":2:", "empty party" },
			{ "intel-secret-key 1\nparty DE-BKA\npublic ed25519:AAAA\n",
			    ":3:", "short public key" },
			{ NULL, ":4:", "no secret" },
			{ NULL, ":4:", "bad secret base64" },
			{ NULL, ":5:", "line after the secret" },
			{ NULL, ":4:", "unknown kdf" },
			{ NULL, ":5:", "24-byte nonce" },
			{ NULL, ":6:", "no sealed line" },
			{ NULL, ":4:", "Windows line ends" },
		};
		char *texts[sizeof cases / sizeof cases[0]] = { 0 };
		const char *head = "intel-secret-key 1\nparty DE-BKA\n";

		buf_printf(&b, "%s%s\n", head, pub);
		texts[6] = xstrdup(b.data);
		buf_reset(&b);
		buf_printf(&b, "%s%s\nsecret ed25519:!!!!\n", head, pub);
		texts[7] = xstrdup(b.data);
		buf_reset(&b);
		buf_printf(&b, "%s%s\n%s\n\n", head, pub, secret);
		texts[8] = xstrdup(b.data);
		buf_reset(&b);
		buf_printf(&b, "%s%s\nkdf scrypt n=1\n", head, pub);
		texts[9] = xstrdup(b.data);
		buf_reset(&b);
		buf_printf(&b,
		    "%s%s\n%s\ncipher chacha20-poly1305 nonce="
		    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nsealed AAAA\n",
		    head, pub, kdf);
		texts[10] = xstrdup(b.data);
		buf_reset(&b);
		buf_printf(&b, "%s%s\n%s\n%s\n", head, pub, kdf, cipher);
		texts[11] = xstrdup(b.data);
		buf_reset(&b);
		buf_printf(&b, "intel-secret-key 1\nparty DE-BKA\n%s\n%s\r\n",
		    pub, secret);
		texts[12] = xstrdup(b.data);
		buf_reset(&b);
		for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			put_file("bad.key", 0600,
			    cases[i].text ? cases[i].text : texts[i]);
			is_int(load("bad.key", NULL, &e), EXIT_CONFIG,
			    "malformed (%s): 78", cases[i].why);
			ok(has(&e, cases[i].where), "names bad.key%s",
			    cases[i].where);
			free(texts[i]);
		}
	}

	/* A secret that does not belong to the public key. */
	p = strstr(secret, "ed25519:") + 8;
	orig = *p;
	*p = *p == 'A' ? 'B' : 'A';
	buf_printf(
	    &b, "intel-secret-key 1\nparty DE-BKA\n%s\n%s\n", pub, secret);
	put_file("bad.key", 0600, b.data);
	is_int(load("bad.key", NULL, &e), EXIT_CONFIG,
	    "secret not matching the public key: 78");
	ok(has(&e, "does not match"), "says so");
	/* The file as generated but without its last newline still loads. */
	*p = orig;
	buf_reset(&b);
	buf_printf(&b, "intel-secret-key 1\nparty DE-BKA\n%s\n%s", pub, secret);
	put_file("bad.key", 0600, b.data);
	if (!is_int(load("bad.key", NULL, &e), 0, "no final newline: loads"))
		diag("%s", e.msg);
	buf_free(&b);
	free(good);
	free(sealed);
}

/* RFC 8032, section 7.1, TEST 1: a version 1 key file in the clear. */
static const char v1_pub[] =
    "ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
static const char v1_seed[] = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

/* Writes a version 1 key, sealed under pass as version 1 sealed it. */
static void
put_v1_sealed(const char *name, const char *pass)
{
	struct ierr e = IERR_INIT;
	struct buf b = BUF_INIT;
	unsigned char salt[16], nonce[12], key[32], seed[48], ct[48];
	char s64[64], n64[32], c64[80];
	size_t n;

	memset(salt, 7, sizeof salt);
	memset(nonce, 9, sizeof nonce);
	base64_decode(v1_seed, strlen(v1_seed), seed, &n);
	base64_encode(salt, sizeof salt, s64);
	base64_encode(nonce, sizeof nonce, n64);
	buf_printf(&b,
	    "intel-secret-key 1\nparty DE-BKA\npublic %s\n"
	    "kdf argon2id t=1 m=64 p=1 salt=%s\n"
	    "cipher chacha20-poly1305 nonce=%s\n",
	    v1_pub, s64, n64);
	if (crypto_argon2id(pass, strlen(pass), salt, sizeof salt, 1, 64, 1,
		key, 32, &e) != 0 ||
	    crypto_aead_seal(key, nonce, 12, b.data, b.len, seed, 32, ct, &e) !=
		0) {
		diag("cannot seal: %s", e.msg);
		exit(99);
	}
	base64_encode(ct, sizeof ct, c64);
	buf_printf(&b, "sealed %s\n", c64);
	put_file(name, 0600, b.data);
	buf_free(&b);
}

static struct keys_secret *
load_key(const char *name, const char *pass)
{
	struct ierr e = IERR_INIT;
	struct keys_secret *k = NULL;
	char *p = util_path(name);

	if (keys_load_secret(p, pass, &k, &e) != 0)
		diag("%s: %s", name, e.msg);
	free(p);
	return k;
}

/* Version 2: both secrets, the recipient line, the X25519 accessors. */
static void
test_v2(void)
{
	struct ierr e = IERR_INIT;
	struct keys_secret *k;
	char *name = util_path("v2"), *text, *rfile, *copy, *p;
	char rcpt[AGE_RECIPIENT_LEN + 1];
	unsigned char pub[32], *sec;

	is_int(keys_generate("FR-DGSI", "pw", name, &e), 0,
	    "generate sealed version 2");
	text = get_file("v2.key");
	rfile = get_file("v2.recipient");
	if (!ok(text != NULL && rfile != NULL, "v2.key and v2.recipient"))
		return;
	ok(strncmp(rfile, "# FR-DGSI\nage1", 14) == 0 &&
		strlen(rfile) == 10 + AGE_RECIPIENT_LEN + 1 &&
		rfile[strlen(rfile) - 1] == '\n',
	    ".recipient is `# PARTY` then the age1 line");
	ok((p = strstr(text, "\nrecipient age1")) != NULL &&
		strncmp(p + 11, rfile + 10, AGE_RECIPIENT_LEN + 1) == 0,
	    "the key file's recipient line is the .recipient's");
	/* One sealed text: 32 + 32 bytes and a tag, 108 base64 digits. */
	ok((p = strstr(text, "\nsealed ")) != NULL && strlen(p + 8) == 109 &&
		strstr(text, "\nsecret ") == NULL,
	    "one sealed line of 80 bytes, no secret in the clear");
	ok(strstr(text, "\ncipher ") != NULL &&
		strstr(strstr(text, "\ncipher ") + 1, "\ncipher ") == NULL,
	    "one cipher line: one nonce");
	k = load_key("v2.key", "pw");
	if (ok(k != NULL, "loads with the passphrase")) {
		sec = (unsigned char *)keys_x25519_secret(k);
		ok(sec != NULL && gcry_is_secure(sec),
		    "X25519 secret in secure memory");
		ok(keys_x25519_public(k) != NULL &&
			crypto_x25519_public(sec, pub, &e) == 0 &&
			memcmp(pub, keys_x25519_public(k), 32) == 0,
		    "X25519 public key matches the secret");
		age_recipient_format(keys_x25519_public(k), rcpt);
		ok(strncmp(rfile + 10, rcpt, AGE_RECIPIENT_LEN) == 0,
		    "and is the recipient written");
		keys_free_secret(k);
	}
	is_int(
	    load("v2.key", "wrong", &e), EXIT_CONFIG, "wrong passphrase: 78");
	/* Another recipient line: the tag covers it. */
	copy = xstrdup(text);
	p = strstr(copy, "\nrecipient age1") + 15;
	*p = *p == 'q' ? 'p' : 'q';
	put_file("t5.key", 0600, copy);
	is_int(load("t5.key", "pw", &e), EXIT_CONFIG,
	    "changed recipient line: 78");
	free(copy);

	/* In the clear: two secret lines, checked against the public lines. */
	k = load_key("plain.key", NULL);
	ok(k != NULL && keys_x25519_secret(k) != NULL &&
		keys_x25519_public(k) != NULL,
	    "plain version 2 key has X25519");
	keys_free_secret(k);
	free(text);
	text = get_file("plain.key");
	if (text != NULL && (p = strstr(text, "secret x25519:")) != NULL) {
		/* A middle character: X25519 clamps bits of the first and the
		 * last byte away, and a change there would be the same key. */
		p += 14 + 10;
		*p = *p == 'A' ? 'B' : 'A';
		put_file("t6.key", 0600, text);
		is_int(load("t6.key", NULL, &e), EXIT_CONFIG,
		    "X25519 secret not matching the recipient: 78");
		ok(has(&e, "does not match the recipient"), "says so");
		p = strstr(text, "\nsecret x25519:");
		p[1] = '\0';
		put_file("t6.key", 0600, text);
		is_int(load("t6.key", NULL, &e), EXIT_CONFIG,
		    "version 2 without its X25519 secret: 78");
		ok(has(&e, ":6:"), "at line 6");
	} else
		ok(0, "plain.key holds `secret x25519:`");
	free(text);
	free(rfile);
	free(name);
}

/* Version 1 files, in the clear and sealed, still load and sign. */
static void
test_v1(void)
{
	struct ierr e = IERR_INIT;
	struct keys_secret *k;
	struct buf b = BUF_INIT;
	unsigned char sig[64];

	buf_printf(&b,
	    "intel-secret-key 1\nparty DE-BKA\npublic %s\n"
	    "secret ed25519:%s\n",
	    v1_pub, v1_seed);
	put_file("v1.key", 0600, b.data);
	k = load_key("v1.key", NULL);
	if (ok(k != NULL, "version 1 key in the clear loads")) {
		is_str(keys_key_id(k), "21fe31dfa154a261", "its key id");
		ok(keys_x25519_secret(k) == NULL &&
			keys_x25519_public(k) == NULL,
		    "... and has no X25519");
		ok(keys_sign(k, "m", 1, sig, &e) == 0 &&
			crypto_ed25519_verify(keys_public(k), "m", 1, sig),
		    "... and signs");
		keys_free_secret(k);
	}
	put_v1_sealed("v1s.key", "old pass");
	k = load_key("v1s.key", "old pass");
	if (ok(k != NULL, "version 1 sealed key loads")) {
		ok(keys_x25519_secret(k) == NULL, "... without X25519");
		ok(keys_sign(k, "m", 1, sig, &e) == 0 &&
			crypto_ed25519_verify(keys_public(k), "m", 1, sig),
		    "... and signs");
		keys_free_secret(k);
	}
	is_int(load("v1s.key", "other", &e), EXIT_CONFIG,
	    "version 1 sealed, wrong passphrase: 78");
	buf_free(&b);
}

static void
test_upgrade(void)
{
	struct ierr e = IERR_INIT;
	struct keys_secret *old, *k;
	char *name = util_path("up"), *text;
	unsigned char sig[64];

	old = load_key("v1s.key", "old pass");
	if (!ok(old != NULL, "old key for the upgrade"))
		return;
	is_int(keys_upgrade(old, "old pass", name, &e), 0, "upgrade");
	is_int(file_mode("up.key"), 0600, "up.key 0600");
	is_int(file_mode("up.recipient"), 0644, "up.recipient 0644");
	ok(!exists("up.pub"), "no up.pub (the public key is unchanged)");
	text = get_file("up.key");
	ok(text != NULL && strstr(text, "\nsealed ") != NULL &&
		strstr(text, "\nsecret ") == NULL,
	    "sealed under the passphrase");
	free(text);
	k = load_key("up.key", "old pass");
	if (ok(k != NULL, "upgraded key loads with the same passphrase")) {
		ok(memcmp(keys_public(k), keys_public(old), 32) == 0,
		    "same signing key");
		ok(keys_x25519_secret(k) != NULL, "now with X25519");
		ok(keys_sign(k, "m", 1, sig, &e) == 0 &&
			crypto_ed25519_verify(keys_public(old), "m", 1, sig),
		    "signs as the old key");
		keys_free_secret(k);
	}
	text = get_file("up.key");
	is_int(keys_upgrade(old, "old pass", name, &e), EXIT_CANTCREAT,
	    "upgrade onto existing files: 73");
	rm_file("up.key");
	is_int(keys_upgrade(old, "old pass", name, &e), EXIT_CANTCREAT,
	    "upgrade with only NAME.recipient there: 73");
	ok(!exists("up.key"), "and no NAME.key written");
	free(text);
	rm_file("up.recipient");
	is_int(keys_upgrade(old, NULL, name, &e), 0,
	    "upgrade without a passphrase");
	k = load_key("up.key", NULL);
	ok(k != NULL && keys_x25519_secret(k) != NULL, "... in the clear");
	keys_free_secret(k);
	keys_free_secret(old);
	free(name);
}

static void
test_export(void)
{
	struct ierr e = IERR_INIT;
	struct keys_secret *k;
	char *path = util_path("id.txt"), *text, *line;
	unsigned char *sec;
	char rcpt[AGE_RECIPIENT_LEN + 1];

	k = load_key("v2.key", "pw");
	if (!ok(k != NULL, "key to export"))
		return;
	is_int(keys_export_identity(k, path, &e), 0, "export identity");
	is_int(file_mode("id.txt"), 0600, "identity file 0600");
	text = get_file("id.txt");
	line = text ? strstr(text, "\nAGE-SECRET-KEY-1") : NULL;
	sec = gcry_malloc_secure(32);
	ok(line != NULL &&
		age_identity_parse(line + 1, AGE_IDENTITY_LEN, sec, &e) == 0 &&
		memcmp(sec, keys_x25519_secret(k), 32) == 0,
	    "the identity is the key's X25519 secret");
	age_recipient_format(keys_x25519_public(k), rcpt);
	ok(text != NULL && strstr(text, rcpt) != NULL &&
		line[1 + AGE_IDENTITY_LEN] == '\n' &&
		line[2 + AGE_IDENTITY_LEN] == '\0',
	    "comment with the recipient, "
	    "then the identity line");
	gcry_free(sec);
	free(text);
	is_int(keys_export_identity(k, path, &e), EXIT_CANTCREAT,
	    "existing identity file: 73");
	keys_free_secret(k);
	free(path);
	path = util_path("id1.txt");
	k = load_key("v1.key", NULL);
	is_int(keys_export_identity(k, path, &e), EXIT_CONFIG,
	    "a version 1 key has no identity: 78");
	ok(has(&e, "--upgrade-key"), "says how to get one");
	ok(!exists("id1.txt"), "nothing written");
	keys_free_secret(k);
	free(path);
}

static void
test_recipients_file(void)
{
	struct ierr e = IERR_INIT;
	unsigned char(*r)[32] = NULL;
	char *p = util_path("r.txt"), *rfile = get_file("v2.recipient");
	struct buf b = BUF_INIT;
	size_t n = 0;

	is_int(keys_load_recipients(p, &r, &n, &e), EXIT_NOINPUT,
	    "missing recipients file: 66");
	if (rfile == NULL)
		return;
	buf_printf(&b, "%s\n# another\n%s", rfile, rfile + 10);
	put_file("r.txt", 0644, b.data);
	if (is_int(keys_load_recipients(p, &r, &n, &e), 0, "recipients file"))
		is_int((long long)n, 2, "two recipients, comments skipped");
	free(r);
	put_file("r.txt", 0644, "# nothing\n\n");
	is_int(keys_load_recipients(p, &r, &n, &e), EXIT_CONFIG,
	    "no recipient: 78");
	put_file("r.txt", 0644,
	    "# x\nage1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq\n");
	is_int(keys_load_recipients(p, &r, &n, &e), EXIT_CONFIG,
	    "a bad recipient: 78");
	ok(has(&e, "r.txt:2:"), "with FILE:LINE");
	put_file("r.txt", 0644, "ssh-ed25519 AAAA x\n");
	is_int(keys_load_recipients(p, &r, &n, &e), EXIT_CONFIG,
	    "an ssh recipient: 78");
	ok(r == NULL && n == 0, "nothing returned");
	buf_free(&b);
	free(rfile);
	free(p);
}

static void
test_passphrase_file(void)
{
	struct ierr e = IERR_INIT;
	char *p = util_path("pass"), *pass = NULL;

	put_file("pass", 0600, "s3cret phrase\nsecond line\n");
	is_int(keys_read_passphrase_file(p, &pass, &e), 0, "passphrase file");
	is_str(pass, "s3cret phrase", "first line without the newline");
	keys_free_passphrase(pass);
	put_file("pass", 0600, "no newline");
	keys_read_passphrase_file(p, &pass, &e);
	is_str(pass, "no newline", "a file without a newline");
	keys_free_passphrase(pass);
	put_file("pass", 0600, " spaces kept \n");
	keys_read_passphrase_file(p, &pass, &e);
	is_str(pass, " spaces kept ", "spaces are part of the passphrase");
	keys_free_passphrase(pass);
	put_file("pass", 0640, "s3cret phrase\n");
	is_int(keys_read_passphrase_file(p, &pass, &e), EXIT_NOPERM,
	    "group-readable passphrase file: 77");
	ok(pass == NULL, "no passphrase returned");
	put_file("pass", 0600, "\nsecond\n");
	is_int(keys_read_passphrase_file(p, &pass, &e), EXIT_CONFIG,
	    "empty first line: 78");
	put_file("pass", 0600, "");
	is_int(keys_read_passphrase_file(p, &pass, &e), EXIT_CONFIG,
	    "empty file: 78");
	free(p);
	p = util_path("nopass");
	is_int(keys_read_passphrase_file(p, &pass, &e), EXIT_NOINPUT,
	    "missing passphrase file: 66");
	free(p);
}

static void
test_public(void)
{
	struct ierr e = IERR_INIT;
	unsigned char pub[32], pub2[32];
	char text[KEYS_PUBTEXT_LEN + 1], *party = NULL, *p;
	char *file = get_file("plain.pub");

	ok(file != NULL && strncmp(file, "ed25519:", 8) == 0 &&
		strcmp(file + 52, " DE-BKA\n") == 0,
	    ".pub is `ed25519:<44 base64> PARTY`");
	ok(file != NULL && keys_parse_public(file, 52, pub) == 0,
	    "keys_parse_public");
	keys_format_public(pub, text);
	ok(file != NULL && strncmp(file, text, 52) == 0 && strlen(text) == 52,
	    "keys_format_public gives the same text");
	ok(keys_parse_public(text, 51, pub2) == -1, "short text refused");
	text[0] = 'E';
	ok(keys_parse_public(text, 52, pub2) == -1, "wrong prefix refused");
	free(file);

	p = util_path("bad.pub");
	put_file("bad.pub", 0644, "ed25519:AAAA DE-BKA\n");
	is_int(
	    keys_load_public(p, &party, pub, &e), EXIT_CONFIG, "bad .pub: 78");
	ok(has(&e, "bad.pub:1:"), "with FILE:LINE");
	put_file("bad.pub", 0644,
	    "ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n");
	is_int(keys_load_public(p, &party, pub, &e), EXIT_CONFIG,
	    ".pub without a party: 78");
	put_file("bad.pub", 0644,
	    "ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo= DE-BKA\n");
	is_int(keys_load_public(p, &party, pub, &e), 0,
	    "RFC 8032 TEST 1 key as .pub");
	is_str(party, "DE-BKA", "its party");
	crypto_key_id(pub, text);
	is_str(text, "21fe31dfa154a261", "its key id");
	free(party);
	put_file("bad.pub", 0644,
	    "ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo= DE-BKA\nmore\n");
	is_int(keys_load_public(p, &party, pub, &e), EXIT_CONFIG,
	    "second line in .pub: 78");
	ok(has(&e, "bad.pub:2:"), "at line 2");
	free(p);
	p = util_path("missing.pub");
	is_int(keys_load_public(p, &party, pub, &e), EXIT_NOINPUT,
	    "missing .pub: 66");
	free(p);
}

/* The prompt with no terminal, then on a pseudo-terminal. */
static void
test_prompt(void)
{
	struct ierr e = IERR_INIT;
	struct buf seen = BUF_INIT;
	char *pass = NULL, chunk[256];
	int status, master, answered = 0;
	pid_t pid;
	ssize_t n;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		setsid(); /* no controlling terminal */
		_exit(keys_prompt_passphrase("P: ", 0, &pass, &e));
	}
	waitpid(pid, &status, 0);
	is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, EXIT_USAGE,
	    "no terminal: 64");

	pid = forkpty(&master, NULL, NULL, NULL);
	if (pid == -1) {
		ok(1, "# SKIP no pseudo-terminal: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		int rv = keys_prompt_passphrase("Passphrase: ", 1, &pass, &e);

		if (rv == 0 && strcmp(pass, "hunter2") != 0)
			rv = 99;
		keys_free_passphrase(pass);
		_exit(rv);
	}
	for (;;) {
		struct pollfd pfd = { master, POLLIN, 0 };

		if (poll(&pfd, 1, 10000) <= 0)
			break;
		if ((n = read(master, chunk, sizeof chunk)) <= 0)
			break;
		buf_add(&seen, chunk, (size_t)n);
		if ((answered == 0 && strstr(seen.data, "Passphrase: ")) ||
		    (answered == 1 && strstr(seen.data, "Again: "))) {
			if (write(master, "hunter2\n", 8) != 8)
				break;
			answered++;
		}
	}
	waitpid(pid, &status, 0);
	close(master);
	is_int(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0,
	    "prompt on a terminal, confirmed");
	ok(seen.data != NULL && strstr(seen.data, "hunter2") == NULL,
	    "the passphrase was not echoed");
	buf_free(&seen);
}

/* The one reader of secret files (secfile.h), kind by kind. */
static void
test_secfile(void)
{
	static const struct {
		const struct secfile_kind *k;
		int missing;
	} kinds[] = {
		{ &secfile_signing_key, EXIT_NOINPUT },
		{ &secfile_passphrase, EXIT_NOINPUT },
		{ &secfile_pseudonym_key, EXIT_CONFIG },
		{ &secfile_id_key, EXIT_NOINPUT },
	};
	static const mode_t open_modes[] = { 0640, 0604, 0620, 0602, 0610, 0601,
		0644 };
	const char *key32 = "0123456789abcdef0123456789ABCDEF";
	struct ierr e = IERR_INIT;
	char *p = util_path("sf"), *folder = util_path("");
	unsigned char *got;
	struct buf big = BUF_INIT;
	size_t i, j, len;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		const struct secfile_kind *k = kinds[i].k;

		unlink(p);
		err_clear(&e);
		is_int(secfile_read(p, k, &got, &len, &e), kinds[i].missing,
		    "%s: missing: %d", k->what, kinds[i].missing);
		ok(got == NULL && strstr(e.msg, k->what) != NULL &&
			strstr(e.msg, p) != NULL,
		    "... names the kind and the "
		    "file: %s",
		    e.msg);
		is_int(secfile_read(folder, k, &got, &len, &e),
		    kinds[i].missing, "%s: a folder: %d", k->what,
		    kinds[i].missing);
		for (j = 0; j < sizeof open_modes / sizeof open_modes[0]; j++) {
			put_file("sf", open_modes[j], key32);
			err_clear(&e);
			is_int(secfile_read(p, k, &got, &len, &e), EXIT_NOPERM,
			    "%s: mode %04o: 77", k->what,
			    (unsigned int)open_modes[j]);
			ok(got == NULL && strstr(e.msg, "too open") != NULL &&
				strstr(e.msg, key32) == NULL,
			    "... says so, no "
			    "secret in it");
		}
		put_file("sf", 0400, key32);
		if (is_int(secfile_read(p, k, &got, &len, &e), 0,
			"%s: mode 0400: read", k->what)) {
			ok(len == 32 && memcmp(got, key32, 32) == 0 &&
				got[32] == '\0',
			    "... every byte, then a NUL");
			ok(gcry_is_secure(got), "... in secure memory");
			secfile_free(got, len);
		}
	}
	put_file("sf", 0644, "ed25519:x P\n");
	is_int(secfile_read(p, &secfile_public_key, &got, &len, &e), 0,
	    "a public key file may be 0644");
	secfile_free(got, len);

	/* Size bounds. */
	put_file("sf", 0600, "0123456789abcdef0123456789abcde");
	err_clear(&e);
	is_int(secfile_read(p, &secfile_id_key, &got, &len, &e), EXIT_CONFIG,
	    "id key of 31 bytes: 78");
	ok(got == NULL && strstr(e.msg, "shorter than 32 bytes") != NULL &&
		strstr(e.msg, "0123456789") == NULL,
	    "... says so: %s", e.msg);
	is_int(secfile_read(p, &secfile_pseudonym_key, &got, &len, &e),
	    EXIT_CONFIG, "pseudonym key of 31 bytes: 78");
	put_file("sf", 0600, "");
	is_int(secfile_read(p, &secfile_id_key, &got, &len, &e), EXIT_CONFIG,
	    "empty id key: 78");
	is_int(secfile_read(p, &secfile_signing_key, &got, &len, &e), 0,
	    "an empty key file is read (its parser says what is wrong)");
	secfile_free(got, len);
	for (i = 0; i < 4097; i++)
		buf_addc(&big, (char)('a' + i % 26));
	put_file("sf", 0600, big.data);
	err_clear(&e);
	is_int(secfile_read(p, &secfile_id_key, &got, &len, &e), EXIT_CONFIG,
	    "id key of 4,097 bytes: 78");
	ok(got == NULL && strstr(e.msg, "longer than 4096 bytes") != NULL,
	    "... says so: %s", e.msg);
	is_int(secfile_read(p, &secfile_signing_key, &got, &len, &e),
	    EXIT_CONFIG, "key file of 4,097 bytes: 78");
	if (is_int(secfile_read(p, &secfile_passphrase, &got, &len, &e), 0,
		"passphrase file of 4,097 bytes: its head is read"))
		ok(len == KEYS_PASSPHRASE_MAX + 1 && got[len] == '\0' &&
			memcmp(got, big.data, len) == 0,
		    "... %zu bytes", len);
	secfile_free(got, len);
	big.data[4096] = '\0';
	put_file("sf", 0600, big.data);
	is_int(secfile_read(p, &secfile_id_key, &got, &len, &e), 0,
	    "id key of 4,096 bytes: read");
	secfile_free(got, len);
	secfile_free(NULL, 0);
	buf_free(&big);
	unlink(p);
	free(p);
	free(folder);
}

int
main(void)
{
	struct ierr e = IERR_INIT;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	setenv("INTEL_KDF_TEST_FAST", "1", 1);
	umask(022);
	if (!ok(secmem_init(&e) == 0, "secmem_init") ||
	    !ok((dir = util_tmpdir("test-keys")) != NULL, "temporary folder"))
		return done_testing();
	test_generate_plain();
	test_half_pair();
	test_sealed();
	test_perms();
	test_malformed();
	test_v2();
	test_v1();
	test_upgrade();
	test_export();
	test_recipients_file();
	test_passphrase_file();
	test_public();
	test_prompt();
	test_secfile();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	diag("took %.2f s",
	    (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	return done_testing();
}
