#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gcrypt.h>

#include "age.h"
#include "atomic.h"
#include "base64.h"
#include "buf.h"
#include "crypto.h"
#include "exitcodes.h"
#include "keys.h"
#include "secfile.h"
#include "secmem.h"

#define SALT_LEN 16
/* What is sealed: version 1 the Ed25519 seed, version 2 the seed and
 * then the X25519 secret, as one plain text under one key and nonce. */
#define SECRETS_LEN (CRYPTO_ED25519_SEED_LEN + CRYPTO_X25519_LEN)
#define SEALED_MAX (SECRETS_LEN + CRYPTO_AEAD_TAG_LEN)
#define MAX_LINES 7
#define RECIPIENTS_MAX (64 * 1024) /* bytes of an age recipients file */

static const char key_magic[] = "intel-secret-key ";
static const char pub_prefix[] = "ed25519:";
static const char x_prefix[] = "x25519:";

struct keys_secret {
	char *party;
	unsigned char pub[KEYS_PUB_LEN];
	char id[CRYPTO_KEY_ID_LEN + 1];
	unsigned char *seed;	/* secure memory */
	unsigned char *xsecret; /* secure memory; NULL for version 1 */
	unsigned char xpub[CRYPTO_X25519_LEN];
};

/* One line of a file being parsed: not NUL-terminated. */
struct line {
	const char *p;
	size_t len;
};

int
keys_party_valid(const char *s, size_t len)
{
	size_t i;

	/* As intel-agreement(5) defines party codes. */
	if (len == 0 || len > KEYS_PARTY_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9'))
			continue;
		if (i == 0 || (c != '.' && c != '_' && c != '-'))
			return 0;
	}
	return 1;
}

int
keys_parse_public(const char *text, size_t len, unsigned char pub[32])
{
	size_t plen = sizeof pub_prefix - 1, n;
	unsigned char tmp[BASE64_DECODED_MAX(KEYS_PUBTEXT_LEN)];

	if (len != KEYS_PUBTEXT_LEN || memcmp(text, pub_prefix, plen) != 0)
		return -1;
	if (base64_decode(text + plen, len - plen, tmp, &n) != 0 ||
	    n != KEYS_PUB_LEN)
		return -1;
	memcpy(pub, tmp, KEYS_PUB_LEN);
	return 0;
}

void
keys_format_public(const unsigned char pub[32], char out[KEYS_PUBTEXT_LEN + 1])
{
	memcpy(out, pub_prefix, sizeof pub_prefix - 1);
	base64_encode(pub, KEYS_PUB_LEN, out + sizeof pub_prefix - 1);
}

/* Splits buf into lines; returns the number, or -1 when there are more
 * than max (the last newline ends the last line; no empty line after). */
static int
split_lines(const char *buf, size_t len, struct line *lines, int max)
{
	const char *p = buf, *end = buf + len, *nl;
	int n = 0;

	while (p < end) {
		if (n == max)
			return -1;
		nl = memchr(p, '\n', (size_t)(end - p));
		lines[n].p = p;
		lines[n].len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		n++;
		p = nl ? nl + 1 : end;
	}
	return n;
}

/* If line starts with lit, advances past it and returns 1. */
static int
eat(struct line *l, const char *lit)
{
	size_t n = strlen(lit);

	if (l->len < n || memcmp(l->p, lit, n) != 0)
		return 0;
	l->p += n;
	l->len -= n;
	return 1;
}

/* Decimal digits up to the next space or the end; 0, or -1. */
static int
eat_ulong(struct line *l, unsigned long *v)
{
	size_t i = 0;

	*v = 0;
	while (i < l->len && l->p[i] >= '0' && l->p[i] <= '9') {
		if (i == 9)
			return -1; /* far beyond any sane parameter */
		*v = *v * 10 + (unsigned long)(l->p[i] - '0');
		i++;
	}
	if (i == 0 || (i < l->len && l->p[i] != ' '))
		return -1;
	l->p += i;
	l->len -= i;
	return 0;
}

/* Decodes the rest of the line as base64 of 'min' to 'max' bytes into out
 * (max bytes of room + 2); 0, or -1. */
static int
eat_base64(
    struct line *l, unsigned char *out, size_t min, size_t max, size_t *n)
{
	if (l->len == 0 || l->len > BASE64_ENCODED_LEN(max))
		return -1;
	if (base64_decode(l->p, l->len, out, n) != 0 || *n < min || *n > max)
		return -1;
	l->len = 0;
	return 0;
}

static int
line_err(struct ierr *e, const char *path, int lineno, const char *what)
{
	return err_set(e, EXIT_CONFIG, "%s:%d: %s", path, lineno, what);
}

struct sealed {
	unsigned long t, m, p;
	unsigned char salt[64 + 2];
	size_t saltlen;
	unsigned char nonce[CRYPTO_AEAD_NONCE_LEN + 2];
	unsigned char ct[SEALED_MAX + 2];
	size_t ctlen;
};

static int
parse_kdf(
    struct line l, const char *path, int ln, struct sealed *s, struct ierr *e)
{
	if (!eat(&l, "kdf "))
		return line_err(e, path, ln, "expected `secret` or `kdf`");
	if (!eat(&l, "argon2id "))
		return line_err(e, path, ln, "unknown KDF (argon2id expected)");
	if (!eat(&l, "t=") || eat_ulong(&l, &s->t) != 0 || !eat(&l, " m=") ||
	    eat_ulong(&l, &s->m) != 0 || !eat(&l, " p=") ||
	    eat_ulong(&l, &s->p) != 0 || !eat(&l, " salt="))
		return line_err(e, path, ln,
		    "expected `kdf argon2id t=N m=N p=N salt=BASE64`");
	if (s->t < 1 || s->t > 64 || s->p < 1 || s->p > 64 || s->m < 8 * s->p ||
	    s->m > 4194304)
		return line_err(
		    e, path, ln, "Argon2id parameters out of range");
	if (eat_base64(&l, s->salt, 8, 64, &s->saltlen) != 0)
		return line_err(
		    e, path, ln, "salt: base64 of 8 to 64 bytes expected");
	return 0;
}

static int
parse_cipher(
    struct line l, const char *path, int ln, struct sealed *s, struct ierr *e)
{
	size_t n;

	if (!eat(&l, "cipher "))
		return line_err(e, path, ln, "expected `cipher`");
	if (!eat(&l, "chacha20-poly1305 "))
		return line_err(
		    e, path, ln, "unknown cipher (chacha20-poly1305 expected)");
	if (!eat(&l, "nonce="))
		return line_err(e, path, ln, "expected `nonce=BASE64`");
	/* libgcrypt would take a 24-byte nonce with only a warning. */
	if (eat_base64(&l, s->nonce, CRYPTO_AEAD_NONCE_LEN,
		CRYPTO_AEAD_NONCE_LEN, &n) != 0)
		return line_err(
		    e, path, ln, "nonce: base64 of 12 bytes expected");
	return 0;
}

static int
parse_sealed(struct line l, const char *path, int ln, size_t want,
    struct sealed *s, struct ierr *e)
{
	char why[64];

	snprintf(why, sizeof why,
	    "sealed secret: base64 of %zu bytes "
	    "expected",
	    want);
	if (!eat(&l, "sealed "))
		return line_err(e, path, ln, "expected `sealed BASE64`");
	if (eat_base64(&l, s->ct, want, want, &s->ctlen) != 0)
		return line_err(e, path, ln, why);
	return 0;
}

/* Opens the sealed secrets into out (s->ctlen - 16 bytes). */
static int
unseal(const char *path, const struct sealed *s, const char *aad, size_t aadlen,
    const char *passphrase, unsigned char *out, struct ierr *e)
{
	unsigned char *key;
	int rv;

	if (passphrase == NULL)
		return err_set(e, EXIT_CONFIG,
		    "%s: key is sealed: a passphrase is needed", path);
	key = secmem_alloc(CRYPTO_AEAD_KEY_LEN);
	rv = crypto_argon2id(passphrase, strlen(passphrase), s->salt,
	    s->saltlen, s->t, s->m, s->p, key, CRYPTO_AEAD_KEY_LEN, e);
	if (rv == 0 &&
	    crypto_aead_open(key, s->nonce, CRYPTO_AEAD_NONCE_LEN, aad, aadlen,
		s->ct, s->ctlen, out, e) != 0)
		rv = err_set(e, EXIT_CONFIG,
		    "%s: wrong passphrase or damaged key file", path);
	else if (rv != 0)
		err_prefix(e, "%s", path);
	secmem_free(key, CRYPTO_AEAD_KEY_LEN);
	return rv;
}

/* "secret PREFIX<base64 of 32 bytes>" into out (secure memory). */
static int
parse_clear(struct line l, const char *prefix, unsigned char *out)
{
	size_t plen = strlen(prefix), n;
	unsigned char *tmp;
	int rv = -1;

	if (!eat(&l, "secret ") || l.len != plen + 44 || !eat(&l, prefix))
		return -1;
	tmp = secmem_alloc(BASE64_DECODED_MAX(44));
	if (base64_decode(l.p, l.len, tmp, &n) == 0 && n == 32) {
		memcpy(out, tmp, 32);
		rv = 0;
	}
	secmem_free(tmp, BASE64_DECODED_MAX(44));
	return rv;
}

/* What a key file says, while it is being parsed. */
struct parsed {
	int version;
	unsigned char pub[KEYS_PUB_LEN];
	unsigned char xpub[CRYPTO_X25519_LEN];
	unsigned char *secrets; /* secure: seed, then the X25519 secret */
};

/* Lines 1 to 3 (4 for version 2); *h is the number of lines read. */
static int
parse_head(const char *path, const struct line *lines, int nl,
    struct parsed *pd, int *h, struct ierr *e)
{
	struct ierr ignored = IERR_INIT;
	struct line l;

	l = nl > 0 ? lines[0] : (struct line){ "", 0 };
	if (!eat(&l, key_magic))
		return line_err(
		    e, path, 1, "not an intel-share secret key file");
	if (l.len == 1 && (l.p[0] == '1' || l.p[0] == '2'))
		pd->version = l.p[0] - '0';
	else
		return line_err(e, path, 1,
		    "unsupported key file version (1 or 2 expected)");
	if (nl < 2 || (l = lines[1], !eat(&l, "party ")) ||
	    !keys_party_valid(l.p, l.len))
		return line_err(e, path, 2, "expected `party NAME`");
	if (nl < 3 || (l = lines[2], !eat(&l, "public ")) ||
	    keys_parse_public(l.p, l.len, pd->pub) != 0)
		return line_err(e, path, 3,
		    "expected `public ed25519:BASE64` "
		    "(32 bytes)");
	*h = 3;
	if (pd->version == 1)
		return 0;
	if (nl < 4 || (l = lines[3], !eat(&l, "recipient ")) ||
	    age_recipient_parse(l.p, l.len, pd->xpub, &ignored) != 0)
		return line_err(e, path, 4,
		    "expected `recipient age1...` "
		    "(an age X25519 recipient)");
	*h = 4;
	return 0;
}

/* The secret lines, from line h + 1 on: in the clear or sealed. */
static int
parse_secrets(const char *path, const char *buf, const struct line *lines,
    int nl, int h, const char *passphrase, struct parsed *pd, struct ierr *e)
{
	struct sealed s;
	size_t want = pd->version == 1 ? CRYPTO_ED25519_SEED_LEN : SECRETS_LEN;
	int rv, last;

	if (nl <= h)
		return line_err(e, path, h + 1, "expected `secret` or `kdf`");
	if (lines[h].len >= 7 && memcmp(lines[h].p, "secret ", 7) == 0) {
		if (parse_clear(lines[h], pub_prefix, pd->secrets) != 0)
			return line_err(e, path, h + 1,
			    "expected `secret "
			    "ed25519:BASE64` (32 bytes)");
		last = h + 1;
		if (pd->version == 2) {
			if (nl <= h + 1 ||
			    parse_clear(lines[h + 1], x_prefix,
				pd->secrets + CRYPTO_ED25519_SEED_LEN) != 0)
				return line_err(e, path, h + 2,
				    "expected "
				    "`secret x25519:BASE64` (32 bytes)");
			last = h + 2;
		}
		if (nl > last)
			return line_err(e, path, last + 1, "unexpected line");
		return 0;
	}
	memset(&s, 0, sizeof s);
	if ((rv = parse_kdf(lines[h], path, h + 1, &s, e)) != 0)
		goto out;
	if (nl <= h + 1) {
		rv = line_err(e, path, h + 2, "expected `cipher`");
		goto out;
	}
	if ((rv = parse_cipher(lines[h + 1], path, h + 2, &s, e)) != 0)
		goto out;
	if (nl <= h + 2) {
		rv = line_err(e, path, h + 3, "expected `sealed BASE64`");
		goto out;
	}
	if ((rv = parse_sealed(lines[h + 2], path, h + 3,
		 want + CRYPTO_AEAD_TAG_LEN, &s, e)) != 0)
		goto out;
	if (nl > h + 3) {
		rv = line_err(e, path, h + 4, "unexpected line");
		goto out;
	}
	/* Every byte before the sealed line is authenticated. */
	rv = unseal(path, &s, buf, (size_t)(lines[h + 2].p - buf), passphrase,
	    pd->secrets, e);
out:
	secmem_wipe(&s, sizeof s);
	return rv;
}

static int
parse_secret(const char *path, const char *buf, size_t len,
    const char *passphrase, struct keys_secret **out, struct ierr *e)
{
	struct line lines[MAX_LINES], l;
	struct keys_secret *k;
	struct parsed pd;
	unsigned char check[KEYS_PUB_LEN];
	int nl, h = 0, rv;

	memset(&pd, 0, sizeof pd);
	pd.secrets = secmem_alloc(SECRETS_LEN);
	nl = split_lines(buf, len, lines, MAX_LINES);
	if (nl < 0) {
		rv = line_err(e, path, MAX_LINES + 1, "unexpected line");
		goto out;
	}
	if ((rv = parse_head(path, lines, nl, &pd, &h, e)) != 0 ||
	    (rv = parse_secrets(path, buf, lines, nl, h, passphrase, &pd, e)) !=
		0)
		goto out;
	if ((rv = crypto_ed25519_public_from_seed(pd.secrets, check, e)) != 0)
		goto out;
	if (!crypto_memeq(check, pd.pub, KEYS_PUB_LEN)) {
		rv = err_set(e, EXIT_CONFIG,
		    "%s: the secret key does not match the public key", path);
		goto out;
	}
	if (pd.version == 2 &&
	    ((rv = crypto_x25519_public(
		  pd.secrets + CRYPTO_ED25519_SEED_LEN, check, e)) != 0 ||
		!crypto_memeq(check, pd.xpub, CRYPTO_X25519_LEN))) {
		rv = err_set(e, EXIT_CONFIG,
		    "%s: the X25519 secret does not "
		    "match the recipient",
		    path);
		goto out;
	}
	k = xcalloc(1, sizeof *k);
	l = lines[1];
	eat(&l, "party ");
	k->party = xstrndup(l.p, l.len);
	memcpy(k->pub, pd.pub, KEYS_PUB_LEN);
	crypto_key_id(pd.pub, k->id);
	k->seed = secmem_alloc(CRYPTO_ED25519_SEED_LEN);
	memcpy(k->seed, pd.secrets, CRYPTO_ED25519_SEED_LEN);
	if (pd.version == 2) {
		k->xsecret = secmem_alloc(CRYPTO_X25519_LEN);
		memcpy(k->xsecret, pd.secrets + CRYPTO_ED25519_SEED_LEN,
		    CRYPTO_X25519_LEN);
		memcpy(k->xpub, pd.xpub, CRYPTO_X25519_LEN);
	}
	*out = k;
	rv = 0;
out:
	secmem_free(pd.secrets, SECRETS_LEN);
	return rv;
}

int
keys_load_secret(const char *path, const char *passphrase,
    struct keys_secret **out, struct ierr *e)
{
	unsigned char *buf;
	size_t len;
	int rv;

	*out = NULL;
	if ((rv = secfile_read(path, &secfile_signing_key, &buf, &len, e)) != 0)
		return rv;
	rv = parse_secret(path, (const char *)buf, len, passphrase, out, e);
	secfile_free(buf, len);
	return rv;
}

void
keys_free_secret(struct keys_secret *k)
{
	if (k == NULL)
		return;
	secmem_free(k->seed, CRYPTO_ED25519_SEED_LEN);
	secmem_free(k->xsecret, CRYPTO_X25519_LEN);
	free(k->party);
	free(k);
}

const char *
keys_party(const struct keys_secret *k)
{
	return k->party;
}

const unsigned char *
keys_public(const struct keys_secret *k)
{
	return k->pub;
}

const char *
keys_key_id(const struct keys_secret *k)
{
	return k->id;
}

const unsigned char *
keys_x25519_secret(const struct keys_secret *k)
{
	return k->xsecret;
}

const unsigned char *
keys_x25519_public(const struct keys_secret *k)
{
	return k->xsecret != NULL ? k->xpub : NULL;
}

int
keys_sign(const struct keys_secret *k, const void *msg, size_t len,
    unsigned char sig[64], struct ierr *e)
{
	return crypto_ed25519_sign(k->seed, k->pub, msg, len, sig, e);
}

int
keys_load_public(
    const char *path, char **party, unsigned char pub[32], struct ierr *e)
{
	struct line lines[2], l;
	const char *sp;
	unsigned char *buf;
	size_t len;
	int nl, rv;

	*party = NULL;
	if ((rv = secfile_read(path, &secfile_public_key, &buf, &len, e)) != 0)
		return rv;
	nl = split_lines((const char *)buf, len, lines, 1);
	if (nl != 1) {
		rv = line_err(e, path, nl < 0 ? 2 : 1,
		    nl < 0 ? "unexpected line" : "empty public key file");
		goto out;
	}
	l = lines[0];
	sp = memchr(l.p, ' ', l.len);
	if (sp == NULL ||
	    keys_parse_public(l.p, (size_t)(sp - l.p), pub) != 0 ||
	    !keys_party_valid(sp + 1, l.len - (size_t)(sp + 1 - l.p))) {
		rv = line_err(e, path, 1, "expected `ed25519:BASE64 PARTY`");
		goto out;
	}
	*party = xstrndup(sp + 1, l.len - (size_t)(sp + 1 - l.p));
out:
	secfile_free(buf, len);
	return rv;
}

int
keys_load_recipients(
    const char *path, unsigned char (**out)[32], size_t *n, struct ierr *e)
{
	struct buf b = BUF_INIT;
	char chunk[4096];
	const char *p, *end, *nl;
	unsigned long lineno = 0;
	size_t got, cap = 0;
	FILE *f;
	int rv = 0;

	*out = NULL;
	*n = 0;
	if ((f = fopen(path, "rb")) == NULL)
		return err_errno(e, EXIT_NOINPUT, path);
	while ((got = fread(chunk, 1, sizeof chunk, f)) > 0 &&
	    b.len <= RECIPIENTS_MAX)
		buf_add(&b, chunk, got);
	if (ferror(f))
		rv = err_errno(e, EXIT_NOINPUT, path);
	else if (b.len > RECIPIENTS_MAX)
		rv = err_set(e, EXIT_CONFIG,
		    "%s: larger than %d bytes: not "
		    "an age recipients file",
		    path, RECIPIENTS_MAX);
	fclose(f);
	p = b.data;
	end = b.data + b.len;
	while (rv == 0 && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		got = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		/* As age reads such a file: comments and empty lines. */
		if (got > 0 && p[0] != '#') {
			if (*n == cap) {
				cap = cap ? cap * 2 : 4;
				*out = xrealloc(*out, cap * sizeof **out);
			}
			if (*n == AGE_STANZAS_MAX)
				rv = err_set(e, EXIT_CONFIG,
				    "more than %d "
				    "recipients",
				    AGE_STANZAS_MAX);
			else
				rv = age_recipient_parse(p, got, (*out)[*n], e);
			if (rv != 0)
				err_prefix(e, "%s:%lu", path, lineno);
			else
				(*n)++;
		}
		p = nl ? nl + 1 : end;
	}
	if (rv == 0 && *n == 0)
		rv = err_set(e, EXIT_CONFIG, "%s: no recipient in it", path);
	if (rv != 0) {
		free(*out);
		*out = NULL;
		*n = 0;
	}
	buf_free(&b);
	return rv;
}

/* Writes len bytes to a new file path (O_EXCL) and flushes it. */
static int
write_new(
    const char *path, mode_t mode, const char *data, size_t len, struct ierr *e)
{
	ssize_t w;
	size_t off = 0;
	int fd;

	fd = open(
	    path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd != -1 && fchmod(fd, mode) == -1) { /* whatever the umask */
		close(fd);
		unlink(path);
		fd = -1;
	}
	if (fd == -1)
		return err_set(e, EXIT_CANTCREAT, "cannot create %s: %s", path,
		    strerror(errno));
	while (off < len) {
		w = write(fd, data + off, len - off);
		if (w == -1 && errno == EINTR)
			continue;
		if (w == -1)
			break;
		off += (size_t)w;
	}
	if (off < len || fsync(fd) == -1) {
		err_set(e, EXIT_IOERR, "cannot write %s: %s", path,
		    strerror(errno));
		close(fd);
		unlink(path);
		return EXIT_IOERR;
	}
	if (close(fd) == -1) {
		err_set(e, EXIT_IOERR, "cannot write %s: %s", path,
		    strerror(errno));
		unlink(path);
		return EXIT_IOERR;
	}
	return 0;
}

static int
refuse_existing(const char *path, struct ierr *e)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return err_set(
		    e, EXIT_CANTCREAT, "%s exists: not overwritten", path);
	if (errno != ENOENT)
		return err_set(e, EXIT_CANTCREAT, "cannot create %s: %s", path,
		    strerror(errno));
	return 0;
}

/*
 * A set of new files made together: all or none.  files_prepare() names
 * them (NAME and a suffix each) and refuses if any exists;
 * files_commit() writes each to a temporary name and links them all into
 * place (link() never replaces), undoing every link on a failure.
 */
struct newfile {
	const char *suffix;
	mode_t mode;
	const char *data;
	size_t len;
	struct buf path, tmp;
	int made, linked;
};

static int
files_prepare(const char *name, struct newfile *f, size_t n, struct ierr *e)
{
	char rnd[17];
	unsigned char r[8];
	size_t i;
	int rv;

	if (*name == '\0')
		return err_set(e, EXIT_USAGE, "empty file name");
	crypto_random(r, sizeof r);
	crypto_hex(r, sizeof r, rnd);
	for (i = 0; i < n; i++) {
		buf_printf(&f[i].path, "%s%s", name, f[i].suffix);
		buf_printf(&f[i].tmp, "%s.tmp-%s", f[i].path.data, rnd);
	}
	for (i = 0; i < n; i++)
		if ((rv = refuse_existing(f[i].path.data, e)) != 0)
			return rv;
	return 0;
}

static int
files_commit(struct newfile *f, size_t n, struct ierr *e)
{
	size_t i;
	int rv = 0;

	for (i = 0; i < n && rv == 0; i++)
		if ((rv = write_new(f[i].tmp.data, f[i].mode, f[i].data,
			 f[i].len, e)) == 0)
			f[i].made = 1;
	for (i = 0; i < n && rv == 0; i++) {
		if (link(f[i].tmp.data, f[i].path.data) == -1)
			rv = err_set(e, EXIT_CANTCREAT, "cannot create %s: %s",
			    f[i].path.data, strerror(errno));
		else
			f[i].linked = 1;
	}
	if (rv == 0)
		rv = atomic_sync_dir(f[0].path.data, e);
	for (i = 0; i < n; i++) {
		if (rv != 0 && f[i].linked)
			unlink(f[i].path.data);
		if (f[i].made)
			unlink(f[i].tmp.data);
	}
	return rv;
}

static void
files_free(struct newfile *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		buf_free(&f[i].path);
		buf_free(&f[i].tmp);
	}
}

/* Text of a version 2 secret key file, in secure memory of size *cap. */
static int
secret_text(const char *party, const unsigned char *pub,
    const unsigned char *seed, const unsigned char *xsecret,
    const unsigned char *xpub, const char *passphrase, char **out, size_t *cap,
    size_t *outlen, struct ierr *e)
{
	char pubtext[KEYS_PUBTEXT_LEN + 1], rcpt[AGE_RECIPIENT_LEN + 1];
	char b64[BASE64_ENCODED_LEN(SEALED_MAX) + 1];
	char nonce64[BASE64_ENCODED_LEN(CRYPTO_AEAD_NONCE_LEN) + 1];
	unsigned char salt[SALT_LEN], nonce[CRYPTO_AEAD_NONCE_LEN];
	unsigned char sealed[SEALED_MAX], *key, *secrets;
	unsigned long t = KEYS_KDF_T, m = KEYS_KDF_M, p = KEYS_KDF_P;
	const char *fast = getenv("INTEL_KDF_TEST_FAST");
	char *buf;
	size_t n;
	int rv;

	*cap = 768 + KEYS_PARTY_MAX;
	buf = secmem_alloc(*cap);
	keys_format_public(pub, pubtext);
	age_recipient_format(xpub, rcpt);
	n = (size_t)snprintf(buf, *cap,
	    "%s2\nparty %s\npublic %s\n"
	    "recipient %s\n",
	    key_magic, party, pubtext, rcpt);
	if (passphrase == NULL) {
		base64_encode(seed, CRYPTO_ED25519_SEED_LEN, b64);
		n += (size_t)snprintf(
		    buf + n, *cap - n, "secret %s%s\n", pub_prefix, b64);
		base64_encode(xsecret, CRYPTO_X25519_LEN, b64);
		n += (size_t)snprintf(
		    buf + n, *cap - n, "secret %s%s\n", x_prefix, b64);
		secmem_wipe(b64, sizeof b64);
		*out = buf;
		*outlen = n;
		return 0;
	}
	if (fast != NULL && strcmp(fast, "1") == 0) {
		t = 1;
		m = 64;
	}
	crypto_random(salt, sizeof salt);
	crypto_random(nonce, sizeof nonce);
	base64_encode(salt, sizeof salt, b64);
	base64_encode(nonce, sizeof nonce, nonce64);
	n += (size_t)snprintf(buf + n, *cap - n,
	    "kdf argon2id t=%lu m=%lu p=%lu salt=%s\n"
	    "cipher chacha20-poly1305 nonce=%s\n",
	    t, m, p, b64, nonce64);
	/* One plain text, one key, one nonce: both secrets together. */
	secrets = secmem_alloc(SECRETS_LEN);
	memcpy(secrets, seed, CRYPTO_ED25519_SEED_LEN);
	memcpy(secrets + CRYPTO_ED25519_SEED_LEN, xsecret, CRYPTO_X25519_LEN);
	key = secmem_alloc(CRYPTO_AEAD_KEY_LEN);
	rv = crypto_argon2id(passphrase, strlen(passphrase), salt, sizeof salt,
	    t, m, p, key, CRYPTO_AEAD_KEY_LEN, e);
	if (rv == 0)
		rv = crypto_aead_seal(key, nonce, sizeof nonce, buf, n, secrets,
		    SECRETS_LEN, sealed, e);
	secmem_free(key, CRYPTO_AEAD_KEY_LEN);
	secmem_free(secrets, SECRETS_LEN);
	if (rv != 0) {
		secmem_free(buf, *cap);
		return rv;
	}
	base64_encode(sealed, sizeof sealed, b64);
	n += (size_t)snprintf(buf + n, *cap - n, "sealed %s\n", b64);
	*out = buf;
	*outlen = n;
	return 0;
}

/*
 * Writes NAME.key for (party, pub, seed) with a new X25519 pair, and
 * NAME.recipient; with pubfile set, NAME.pub too.
 */
static int
write_key_files(const char *party, const unsigned char *pub,
    const unsigned char *seed, const char *passphrase, const char *name,
    int pubfile, struct ierr *e)
{
	struct newfile f[3] = {
		{ .suffix = ".key", .mode = 0600 },
		{ .suffix = ".recipient", .mode = 0644 },
		{ .suffix = ".pub", .mode = 0644 },
	};
	struct buf rfile = BUF_INIT, pfile = BUF_INIT;
	char pubtext[KEYS_PUBTEXT_LEN + 1], rcpt[AGE_RECIPIENT_LEN + 1];
	unsigned char xpub[CRYPTO_X25519_LEN], *xsecret;
	char *keyfile = NULL;
	size_t nf = pubfile ? 3 : 2, keycap = 0, keylen = 0;
	int rv;

	if (passphrase != NULL && *passphrase == '\0')
		return err_set(e, EXIT_CONFIG, "empty passphrase");
	xsecret = secmem_alloc(CRYPTO_X25519_LEN);
	/* Every name is checked before any file is written. */
	if ((rv = files_prepare(name, f, nf, e)) != 0)
		goto out;
	crypto_x25519_keygen(xsecret, xpub);
	if ((rv = secret_text(party, pub, seed, xsecret, xpub, passphrase,
		 &keyfile, &keycap, &keylen, e)) != 0)
		goto out;
	age_recipient_format(xpub, rcpt);
	buf_printf(&rfile, "# %s\n%s\n", party, rcpt);
	keys_format_public(pub, pubtext);
	buf_printf(&pfile, "%s %s\n", pubtext, party);
	f[0].data = keyfile;
	f[0].len = keylen;
	f[1].data = rfile.data;
	f[1].len = rfile.len;
	f[2].data = pfile.data;
	f[2].len = pfile.len;
	rv = files_commit(f, nf, e);
out:
	files_free(f, 3);
	secmem_free(keyfile, keycap);
	secmem_free(xsecret, CRYPTO_X25519_LEN);
	buf_free(&rfile);
	buf_free(&pfile);
	return rv;
}

int
keys_generate(
    const char *party, const char *passphrase, const char *name, struct ierr *e)
{
	unsigned char pub[KEYS_PUB_LEN], *seed;
	int rv;

	if (!keys_party_valid(party, strlen(party)))
		return err_set(e, EXIT_USAGE,
		    "invalid party code: letters, "
		    "digits, '.', '_' and '-', starting with a letter or a "
		    "digit, at most %d characters",
		    KEYS_PARTY_MAX);
	if (*name == '\0')
		return err_set(e, EXIT_USAGE, "empty key file name");
	seed = secmem_alloc(CRYPTO_ED25519_SEED_LEN);
	rv = crypto_ed25519_keygen(pub, seed, e);
	if (rv == 0)
		rv = write_key_files(party, pub, seed, passphrase, name, 1, e);
	secmem_free(seed, CRYPTO_ED25519_SEED_LEN);
	return rv;
}

int
keys_upgrade(const struct keys_secret *k, const char *passphrase,
    const char *name, struct ierr *e)
{
	if (*name == '\0')
		return err_set(e, EXIT_USAGE, "empty key file name");
	return write_key_files(
	    k->party, k->pub, k->seed, passphrase, name, 0, e);
}

int
keys_export_identity(
    const struct keys_secret *k, const char *path, struct ierr *e)
{
	struct newfile f[1] = { { .suffix = "", .mode = 0600 } };
	char rcpt[AGE_RECIPIENT_LEN + 1], *text, *id;
	size_t cap = 256 + KEYS_PARTY_MAX + AGE_IDENTITY_LEN;
	int rv;

	if (k->xsecret == NULL)
		return err_set(e, EXIT_CONFIG,
		    "the key of %s has no X25519 "
		    "secret (it was made before sealing): make one with "
		    "intel-sign --upgrade-key",
		    k->party);
	if ((rv = files_prepare(path, f, 1, e)) != 0) {
		files_free(f, 1);
		return rv;
	}
	text = secmem_alloc(cap);
	id = secmem_alloc(AGE_IDENTITY_LEN + 1);
	age_identity_format(k->xsecret, id);
	age_recipient_format(k->xpub, rcpt);
	f[0].len = (size_t)snprintf(text, cap,
	    "# age identity of %s (key "
	    "%s), from intel-sign --export-age-identity\n# public key: %s\n"
	    "%s\n",
	    k->party, k->id, rcpt, id);
	f[0].data = text;
	rv = files_commit(f, 1, e);
	files_free(f, 1);
	secmem_free(id, AGE_IDENTITY_LEN + 1);
	secmem_free(text, cap);
	return rv;
}
