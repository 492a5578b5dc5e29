#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <gcrypt.h>

#include "atomic.h"
#include "base64.h"
#include "buf.h"
#include "crypto.h"
#include "exitcodes.h"
#include "keys.h"
#include "secfile.h"
#include "secmem.h"

#define SALT_LEN	16
#define SEALED_LEN	(CRYPTO_ED25519_SEED_LEN + CRYPTO_AEAD_TAG_LEN)
#define MAX_LINES	6

static const char key_magic[] = "intel-secret-key 1";
static const char pub_prefix[] = "ed25519:";

struct keys_secret {
	char *party;
	unsigned char pub[KEYS_PUB_LEN];
	char id[CRYPTO_KEY_ID_LEN + 1];
	unsigned char *seed;	/* secure memory */
};

/* One line of a file being parsed: not NUL-terminated. */
struct line {
	const char *p;
	size_t len;
};

static void *
sec_alloc(size_t n)
{
	void *p = gcry_calloc_secure(1, n ? n : 1);

	if (p == NULL)
		abort();
	return p;
}

static void
sec_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	secmem_wipe(p, n);
	gcry_free(p);
}

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
			return -1;	/* far beyond any sane parameter */
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
eat_base64(struct line *l, unsigned char *out, size_t min, size_t max,
    size_t *n)
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
	unsigned char ct[SEALED_LEN + 2];
};

static int
parse_kdf(struct line l, const char *path, struct sealed *s, struct ierr *e)
{
	if (!eat(&l, "kdf "))
		return line_err(e, path, 4, "expected `secret` or `kdf`");
	if (!eat(&l, "argon2id "))
		return line_err(e, path, 4, "unknown KDF (argon2id expected)");
	if (!eat(&l, "t=") || eat_ulong(&l, &s->t) != 0 ||
	    !eat(&l, " m=") || eat_ulong(&l, &s->m) != 0 ||
	    !eat(&l, " p=") || eat_ulong(&l, &s->p) != 0 ||
	    !eat(&l, " salt="))
		return line_err(e, path, 4,
		    "expected `kdf argon2id t=N m=N p=N salt=BASE64`");
	if (s->t < 1 || s->t > 64 || s->p < 1 || s->p > 64 ||
	    s->m < 8 * s->p || s->m > 4194304)
		return line_err(e, path, 4, "Argon2id parameters out of range");
	if (eat_base64(&l, s->salt, 8, 64, &s->saltlen) != 0)
		return line_err(e, path, 4,
		    "salt: base64 of 8 to 64 bytes expected");
	return 0;
}

static int
parse_cipher(struct line l, const char *path, struct sealed *s,
    struct ierr *e)
{
	size_t n;

	if (!eat(&l, "cipher "))
		return line_err(e, path, 5, "expected `cipher`");
	if (!eat(&l, "chacha20-poly1305 "))
		return line_err(e, path, 5,
		    "unknown cipher (chacha20-poly1305 expected)");
	if (!eat(&l, "nonce="))
		return line_err(e, path, 5, "expected `nonce=BASE64`");
	/* libgcrypt would take a 24-byte nonce with only a warning. */
	if (eat_base64(&l, s->nonce, CRYPTO_AEAD_NONCE_LEN,
	    CRYPTO_AEAD_NONCE_LEN, &n) != 0)
		return line_err(e, path, 5,
		    "nonce: base64 of 12 bytes expected");
	return 0;
}

static int
parse_sealed(struct line l, const char *path, struct sealed *s,
    struct ierr *e)
{
	size_t n;

	if (!eat(&l, "sealed "))
		return line_err(e, path, 6, "expected `sealed BASE64`");
	if (eat_base64(&l, s->ct, SEALED_LEN, SEALED_LEN, &n) != 0)
		return line_err(e, path, 6,
		    "sealed secret: base64 of 48 bytes expected");
	return 0;
}

static int
unseal(const char *path, const struct sealed *s, const char *aad,
    size_t aadlen, const char *passphrase, unsigned char *seed,
    struct ierr *e)
{
	unsigned char *key;
	int rv;

	if (passphrase == NULL)
		return err_set(e, EXIT_CONFIG,
		    "%s: key is sealed: a passphrase is needed", path);
	key = sec_alloc(CRYPTO_AEAD_KEY_LEN);
	rv = crypto_argon2id(passphrase, strlen(passphrase), s->salt,
	    s->saltlen, s->t, s->m, s->p, key, CRYPTO_AEAD_KEY_LEN, e);
	if (rv == 0 && crypto_aead_open(key, s->nonce, CRYPTO_AEAD_NONCE_LEN,
	    aad, aadlen, s->ct, SEALED_LEN, seed, e) != 0)
		rv = err_set(e, EXIT_CONFIG,
		    "%s: wrong passphrase or damaged key file", path);
	else if (rv != 0)
		err_prefix(e, "%s", path);
	sec_free(key, CRYPTO_AEAD_KEY_LEN);
	return rv;
}

static int
parse_secret(const char *path, const char *buf, size_t len,
    const char *passphrase, struct keys_secret **out, struct ierr *e)
{
	struct line lines[MAX_LINES], l;
	struct keys_secret *k = NULL;
	struct sealed s;
	unsigned char pub[KEYS_PUB_LEN], check[KEYS_PUB_LEN];
	unsigned char *seed, *tmp = NULL;
	size_t n;
	int nl, rv;

	seed = sec_alloc(CRYPTO_ED25519_SEED_LEN);
	nl = split_lines(buf, len, lines, MAX_LINES);
	if (nl < 0) {
		rv = line_err(e, path, MAX_LINES + 1, "unexpected line");
		goto out;
	}
	if (nl < 1 || lines[0].len != strlen(key_magic) ||
	    memcmp(lines[0].p, key_magic, lines[0].len) != 0) {
		l = nl > 0 ? lines[0] : (struct line){ "", 0 };
		rv = line_err(e, path, 1, eat(&l, "intel-secret-key ") ?
		    "unsupported key file version (1 expected)" :
		    "not an intel-share secret key file");
		goto out;
	}
	if (nl < 2 || (l = lines[1], !eat(&l, "party ")) ||
	    !keys_party_valid(l.p, l.len)) {
		rv = line_err(e, path, 2, "expected `party NAME`");
		goto out;
	}
	if (nl < 3 || (l = lines[2], !eat(&l, "public ")) ||
	    keys_parse_public(l.p, l.len, pub) != 0) {
		rv = line_err(e, path, 3, "expected `public ed25519:BASE64` "
		    "(32 bytes)");
		goto out;
	}
	if (nl < 4) {
		rv = line_err(e, path, 4, "expected `secret` or `kdf`");
		goto out;
	}
	l = lines[3];
	if (eat(&l, "secret ")) {
		if (nl > 4) {
			rv = line_err(e, path, 5, "unexpected line");
			goto out;
		}
		tmp = sec_alloc(BASE64_DECODED_MAX(KEYS_PUBTEXT_LEN));
		if (l.len != KEYS_PUBTEXT_LEN || !eat(&l, pub_prefix) ||
		    base64_decode(l.p, l.len, tmp, &n) != 0 ||
		    n != CRYPTO_ED25519_SEED_LEN) {
			rv = line_err(e, path, 4, "expected `secret "
			    "ed25519:BASE64` (32 bytes)");
			goto out;
		}
		memcpy(seed, tmp, CRYPTO_ED25519_SEED_LEN);
	} else {
		if ((rv = parse_kdf(l, path, &s, e)) != 0)
			goto out;
		if (nl < 5) {
			rv = line_err(e, path, 5, "expected `cipher`");
			goto out;
		}
		if ((rv = parse_cipher(lines[4], path, &s, e)) != 0)
			goto out;
		if (nl < 6) {
			rv = line_err(e, path, 6, "expected `sealed BASE64`");
			goto out;
		}
		if ((rv = parse_sealed(lines[5], path, &s, e)) != 0)
			goto out;
		/* Every byte before the sealed line is authenticated. */
		rv = unseal(path, &s, buf, (size_t)(lines[5].p - buf),
		    passphrase, seed, e);
		if (rv != 0)
			goto out;
	}
	if ((rv = crypto_ed25519_public_from_seed(seed, check, e)) != 0)
		goto out;
	if (!crypto_memeq(check, pub, KEYS_PUB_LEN)) {
		rv = err_set(e, EXIT_CONFIG,
		    "%s: the secret key does not match the public key", path);
		goto out;
	}
	k = xcalloc(1, sizeof *k);
	l = lines[1];
	eat(&l, "party ");
	k->party = xstrndup(l.p, l.len);
	memcpy(k->pub, pub, KEYS_PUB_LEN);
	crypto_key_id(pub, k->id);
	k->seed = seed;
	seed = NULL;
	*out = k;
	rv = 0;
out:
	sec_free(tmp, BASE64_DECODED_MAX(KEYS_PUBTEXT_LEN));
	sec_free(seed, CRYPTO_ED25519_SEED_LEN);
	secmem_wipe(&s, sizeof s);
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
	if ((rv = secfile_read(path, &secfile_signing_key, &buf, &len,
	    e)) != 0)
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
	sec_free(k->seed, CRYPTO_ED25519_SEED_LEN);
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

int
keys_sign(const struct keys_secret *k, const void *msg, size_t len,
    unsigned char sig[64], struct ierr *e)
{
	return crypto_ed25519_sign(k->seed, k->pub, msg, len, sig, e);
}

int
keys_load_public(const char *path, char **party, unsigned char pub[32],
    struct ierr *e)
{
	struct line lines[2], l;
	const char *sp;
	unsigned char *buf;
	size_t len;
	int nl, rv;

	*party = NULL;
	if ((rv = secfile_read(path, &secfile_public_key, &buf, &len,
	    e)) != 0)
		return rv;
	nl = split_lines((const char *)buf, len, lines, 1);
	if (nl != 1) {
		rv = line_err(e, path, nl < 0 ? 2 : 1, nl < 0 ?
		    "unexpected line" : "empty public key file");
		goto out;
	}
	l = lines[0];
	sp = memchr(l.p, ' ', l.len);
	if (sp == NULL || keys_parse_public(l.p, (size_t)(sp - l.p), pub) != 0 ||
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
keys_read_passphrase_file(const char *path, char **pass, struct ierr *e)
{
	unsigned char *file;
	char *buf, *nl;
	size_t filelen, len;
	int rv;

	*pass = NULL;
	if ((rv = secfile_read(path, &secfile_passphrase, &file, &filelen,
	    e)) != 0)
		return rv;
	buf = (char *)file;
	len = filelen;
	if ((nl = memchr(buf, '\n', len)) != NULL)
		len = (size_t)(nl - buf);
	if (len > KEYS_PASSPHRASE_MAX)
		rv = err_set(e, EXIT_CONFIG, "%s: the passphrase is longer "
		    "than %d bytes", path, KEYS_PASSPHRASE_MAX);
	else if (len == 0)
		rv = err_set(e, EXIT_CONFIG, "%s: the first line (the "
		    "passphrase) is empty", path);
	else if (memchr(buf, '\0', len) != NULL)
		rv = err_set(e, EXIT_CONFIG, "%s: the passphrase holds a NUL "
		    "byte", path);
	if (rv != 0) {
		secfile_free(file, filelen);
		return rv;
	}
	/* Wipe the rest of the file (later lines) and end the string. */
	secmem_wipe(buf + len, filelen - len);
	*pass = buf;
	return 0;
}

void
keys_free_passphrase(char *pass)
{
	if (pass == NULL)
		return;
	secmem_wipe(pass, strlen(pass));
	gcry_free(pass);
}

static volatile sig_atomic_t tty_signal;

static void
tty_catch(int sig)
{
	tty_signal = sig;
}

/* Reads one line from the terminal into fresh secure memory. */
static int
tty_read(int fd, const char *prompt, char **out, struct ierr *e)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa, old[4];
	struct termios saved, quiet;
	char *buf, c;
	size_t n = 0;
	ssize_t r;
	int i, rv = 0, toolong = 0;

	*out = NULL;
	if (tcgetattr(fd, &saved) == -1)
		return err_set(e, EXIT_USAGE,
		    "no terminal to ask for a passphrase on");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tty_catch;	/* no SA_RESTART: read() returns */
	sigemptyset(&sa.sa_mask);
	tty_signal = 0;
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) == -1) {
		rv = err_set(e, EXIT_USAGE, "cannot turn the terminal's echo "
		    "off: %s", strerror(errno));
		goto restore;
	}
	buf = sec_alloc(KEYS_PASSPHRASE_MAX + 1);
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* The prompt is a courtesy; reading still works. */
	}
	for (;;) {
		r = read(fd, &c, 1);
		if (r == -1 && errno == EINTR && tty_signal == 0)
			continue;
		if (r != 1 || c == '\n' || c == '\r')
			break;
		if (n < KEYS_PASSPHRASE_MAX)
			buf[n++] = c;
		else
			toolong = 1;
	}
	c = 0;
	if (write(fd, "\n", 1) < 0) {
		/* As above. */
	}
	tcsetattr(fd, TCSAFLUSH, &saved);
	if (tty_signal != 0)
		rv = err_set(e, EXIT_USAGE, "interrupted");
	else if (r == -1)
		rv = err_set(e, EXIT_IOERR, "cannot read the passphrase: %s",
		    strerror(errno));
	else if (toolong)
		rv = err_set(e, EXIT_CONFIG, "the passphrase is longer than "
		    "%d bytes", KEYS_PASSPHRASE_MAX);
	else if (n == 0)
		rv = err_set(e, EXIT_CONFIG, "empty passphrase");
	if (rv != 0)
		sec_free(buf, KEYS_PASSPHRASE_MAX + 1);
	else
		*out = buf;
restore:
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (tty_signal != 0)
		raise(tty_signal);
	return rv;
}

int
keys_prompt_passphrase(const char *prompt, int confirm, char **pass,
    struct ierr *e)
{
	char *again = NULL;
	int fd, rv;

	*pass = NULL;
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return err_set(e, EXIT_USAGE,
		    "no terminal to ask for a passphrase on");
	rv = tty_read(fd, prompt, pass, e);
	if (rv == 0 && confirm) {
		rv = tty_read(fd, "Again: ", &again, e);
		if (rv == 0 && strcmp(*pass, again) != 0)
			rv = err_set(e, EXIT_CONFIG,
			    "the passphrases do not match");
		keys_free_passphrase(again);
	}
	close(fd);
	if (rv != 0) {
		keys_free_passphrase(*pass);
		*pass = NULL;
	}
	return rv;
}

/* Writes len bytes to a new file path (O_EXCL) and flushes it. */
static int
write_new(const char *path, mode_t mode, const char *data, size_t len,
    struct ierr *e)
{
	ssize_t w;
	size_t off = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    mode);
	if (fd != -1 && fchmod(fd, mode) == -1) {	/* whatever the umask */
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
		return err_set(e, EXIT_CANTCREAT, "%s exists: not overwritten",
		    path);
	if (errno != ENOENT)
		return err_set(e, EXIT_CANTCREAT, "cannot create %s: %s", path,
		    strerror(errno));
	return 0;
}

/* Text of the secret key file, in secure memory of size *cap. */
static int
secret_text(const char *party, const unsigned char *pub,
    const unsigned char *seed, const char *passphrase, char **out,
    size_t *cap, size_t *outlen, struct ierr *e)
{
	char pubtext[KEYS_PUBTEXT_LEN + 1], b64[BASE64_ENCODED_LEN(64) + 1];
	char nonce64[BASE64_ENCODED_LEN(CRYPTO_AEAD_NONCE_LEN) + 1];
	unsigned char salt[SALT_LEN], nonce[CRYPTO_AEAD_NONCE_LEN];
	unsigned char sealed[SEALED_LEN], *key;
	unsigned long t = KEYS_KDF_T, m = KEYS_KDF_M, p = KEYS_KDF_P;
	const char *fast = getenv("INTEL_KDF_TEST_FAST");
	char *buf;
	size_t n;
	int rv;

	*cap = 512 + KEYS_PARTY_MAX;
	buf = sec_alloc(*cap);
	keys_format_public(pub, pubtext);
	n = (size_t)snprintf(buf, *cap, "%s\nparty %s\npublic %s\n", key_magic,
	    party, pubtext);
	if (passphrase == NULL) {
		base64_encode(seed, CRYPTO_ED25519_SEED_LEN, b64);
		n += (size_t)snprintf(buf + n, *cap - n, "secret %s%s\n",
		    pub_prefix, b64);
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
	    "cipher chacha20-poly1305 nonce=%s\n", t, m, p, b64, nonce64);
	key = sec_alloc(CRYPTO_AEAD_KEY_LEN);
	rv = crypto_argon2id(passphrase, strlen(passphrase), salt, sizeof salt,
	    t, m, p, key, CRYPTO_AEAD_KEY_LEN, e);
	if (rv == 0)
		rv = crypto_aead_seal(key, nonce, sizeof nonce, buf, n, seed,
		    CRYPTO_ED25519_SEED_LEN, sealed, e);
	sec_free(key, CRYPTO_AEAD_KEY_LEN);
	if (rv != 0) {
		sec_free(buf, *cap);
		return rv;
	}
	base64_encode(sealed, sizeof sealed, b64);
	n += (size_t)snprintf(buf + n, *cap - n, "sealed %s\n", b64);
	*out = buf;
	*outlen = n;
	return 0;
}

int
keys_generate(const char *party, const char *passphrase, const char *name,
    struct ierr *e)
{
	struct buf keypath = BUF_INIT, pubpath = BUF_INIT;
	struct buf keytmp = BUF_INIT, pubtmp = BUF_INIT, pubfile = BUF_INIT;
	char pubtext[KEYS_PUBTEXT_LEN + 1], rnd[17];
	unsigned char pub[KEYS_PUB_LEN], *seed, r[8];
	char *keyfile = NULL;
	size_t keycap = 0, keylen = 0;
	int rv, key_linked = 0, pub_linked = 0, key_made = 0, pub_made = 0;

	if (!keys_party_valid(party, strlen(party)))
		return err_set(e, EXIT_USAGE, "invalid party code: letters, "
		    "digits, '.', '_' and '-', starting with a letter or a "
		    "digit, at most %d characters", KEYS_PARTY_MAX);
	if (*name == '\0')
		return err_set(e, EXIT_USAGE, "empty key file name");
	if (passphrase != NULL && *passphrase == '\0')
		return err_set(e, EXIT_CONFIG, "empty passphrase");
	buf_printf(&keypath, "%s.key", name);
	buf_printf(&pubpath, "%s.pub", name);
	crypto_random(r, sizeof r);
	crypto_hex(r, sizeof r, rnd);
	buf_printf(&keytmp, "%s.tmp-%s", keypath.data, rnd);
	buf_printf(&pubtmp, "%s.tmp-%s", pubpath.data, rnd);
	seed = sec_alloc(CRYPTO_ED25519_SEED_LEN);

	/* Both names are checked before either file is written. */
	if ((rv = refuse_existing(keypath.data, e)) != 0 ||
	    (rv = refuse_existing(pubpath.data, e)) != 0)
		goto out;
	if ((rv = crypto_ed25519_keygen(pub, seed, e)) != 0)
		goto out;
	rv = secret_text(party, pub, seed, passphrase, &keyfile, &keycap,
	    &keylen, e);
	if (rv != 0)
		goto out;
	keys_format_public(pub, pubtext);
	buf_printf(&pubfile, "%s %s\n", pubtext, party);

	if ((rv = write_new(keytmp.data, 0600, keyfile, keylen, e)) != 0)
		goto out;
	key_made = 1;
	if ((rv = write_new(pubtmp.data, 0644, pubfile.data, pubfile.len,
	    e)) != 0)
		goto out;
	pub_made = 1;
	/* link() never replaces: a file that appeared meanwhile stays. */
	if (link(keytmp.data, keypath.data) == -1) {
		rv = err_set(e, EXIT_CANTCREAT, "cannot create %s: %s",
		    keypath.data, strerror(errno));
		goto out;
	}
	key_linked = 1;
	if (link(pubtmp.data, pubpath.data) == -1) {
		rv = err_set(e, EXIT_CANTCREAT, "cannot create %s: %s",
		    pubpath.data, strerror(errno));
		goto out;
	}
	pub_linked = 1;
	rv = atomic_sync_dir(keypath.data, e);
out:
	if (rv != 0 && key_linked)
		unlink(keypath.data);
	if (rv != 0 && pub_linked)
		unlink(pubpath.data);
	if (key_made)
		unlink(keytmp.data);
	if (pub_made)
		unlink(pubtmp.data);
	sec_free(keyfile, keycap);
	sec_free(seed, CRYPTO_ED25519_SEED_LEN);
	buf_free(&keypath);
	buf_free(&pubpath);
	buf_free(&keytmp);
	buf_free(&pubtmp);
	buf_free(&pubfile);
	return rv;
}
