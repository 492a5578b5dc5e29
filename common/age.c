#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>

#include "age.h"
#include "base64.h"
#include "bech32.h"
#include "buf.h"
#include "crypto.h"
#include "exitcodes.h"
#include "secmem.h"

#define CT_CHUNK (AGE_CHUNK + CRYPTO_AEAD_TAG_LEN)
#define NONCE_LEN 16 /* the payload nonce */
#define BODY_LEN (AGE_FILE_KEY_LEN + CRYPTO_AEAD_TAG_LEN)
#define LINE_COLS 64 /* base64 characters per body line */
#define X25519_INFO "age-encryption.org/v1/X25519"
#define RECIPIENT_HRP "age"
#define IDENTITY_HRP "age-secret-key-"

/* Everything secret, in one block of secure memory. */
struct age_keys {
	unsigned char file_key[AGE_FILE_KEY_LEN];
	unsigned char mac_key[32];
	unsigned char payload_key[32];
	unsigned char shared[32];
	unsigned char wrap[32];
	unsigned char eph[32];
	unsigned char mac[32];
};

static struct age_keys *
keys_new(void)
{
	struct age_keys *k;

	if ((k = gcry_calloc_secure(1, sizeof *k)) == NULL)
		abort();
	return k;
}

/* Secure memory is wiped when freed. */
static void
keys_free(struct age_keys *k)
{
	gcry_free(k);
}

static const unsigned char zero_nonce[CRYPTO_AEAD_NONCE_LEN];

/* HKDF-SHA-256 of the file key with an empty salt under info. */
static void
file_key_derive(const struct age_keys *k, const void *salt, size_t saltlen,
    const char *info, unsigned char out[32])
{
	crypto_hkdf_sha256(salt, saltlen, k->file_key, AGE_FILE_KEY_LEN, info,
	    strlen(info), out, 32);
}

/* The X25519 wrapping key of one stanza (C2SP age, "X25519 recipient"). */
static void
wrap_key(struct age_keys *k, const unsigned char share[32],
    const unsigned char recipient[32])
{
	unsigned char salt[64];

	memcpy(salt, share, 32);
	memcpy(salt + 32, recipient, 32);
	crypto_hkdf_sha256(salt, sizeof salt, k->shared, 32, X25519_INFO,
	    strlen(X25519_INFO), k->wrap, 32);
}

/* The 12-byte nonce of chunk counter: 11 bytes big endian, then the
 * last-chunk flag. */
static void
chunk_nonce(uint64_t counter, int last, unsigned char nonce[12])
{
	int i;

	memset(nonce, 0, 12);
	for (i = 10; i >= 3; i--) {
		nonce[i] = (unsigned char)(counter & 0xff);
		counter >>= 8;
	}
	nonce[11] = last ? 1 : 0;
}

/* Base64 without padding, as age writes it. */
static void
b64_append(struct buf *b, const void *p, size_t n)
{
	char tmp[BASE64_ENCODED_LEN(48) + 1];
	size_t len;

	/* Only keys, shares, bodies and the MAC: at most 48 bytes. */
	if (n > 48)
		abort();
	len = base64_encode(p, n, tmp);
	while (len > 0 && tmp[len - 1] == '=')
		len--;
	buf_add(b, tmp, len);
}

static int
b64_char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Decodes len (at most 64) characters of unpadded, canonical base64 into
 * out (outsize bytes); -1 when they are not.
 */
static int
b64_decode_line(const char *s, size_t len, unsigned char *out, size_t outsize,
    size_t *outlen)
{
	char tmp[LINE_COLS + 4];
	unsigned char dec[BASE64_DECODED_MAX(LINE_COLS + 4)];
	size_t i, n, dl;
	int rc;

	if (len > LINE_COLS || len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++)
		if (!b64_char((unsigned char)s[i]))
			return -1;
	memcpy(tmp, s, len);
	for (n = len; n % 4 != 0; n++)
		tmp[n] = '=';
	rc = base64_decode(tmp, n, dec, &dl);
	if (rc == 0 && dl > outsize)
		rc = -1;
	if (rc == 0) {
		memcpy(out, dec, dl);
		*outlen = dl;
	}
	secmem_wipe(dec, sizeof dec);
	return rc;
}

/*
 * Recipient and identity strings.
 */

int
age_recipient_parse(
    const char *s, size_t len, unsigned char pub[32], struct ierr *e)
{
	char hrp[sizeof IDENTITY_HRP];
	const char *why = NULL;
	size_t n;

	if (bech32_decode(s, len, hrp, sizeof hrp, pub, 32, &n, &why) != 0)
		return err_set(
		    e, EXIT_CONFIG, "age recipient does not decode: %s", why);
	if (strcmp(hrp, RECIPIENT_HRP) != 0)
		return err_set(e, EXIT_CONFIG,
		    "not an age X25519 recipient (it should start with age1)");
	if (n != 32)
		return err_set(
		    e, EXIT_CONFIG, "age recipient of %zu bytes, not 32", n);
	if (!crypto_x25519_public_check(pub))
		return err_set(
		    e, EXIT_CONFIG, "age recipient is a key of small order");
	return 0;
}

void
age_recipient_format(
    const unsigned char pub[32], char out[AGE_RECIPIENT_LEN + 1])
{
	if (bech32_encode(RECIPIENT_HRP, pub, 32, out, AGE_RECIPIENT_LEN + 1) !=
	    AGE_RECIPIENT_LEN)
		abort();
}

int
age_identity_parse(
    const char *s, size_t len, unsigned char *secret, struct ierr *e)
{
	char hrp[sizeof IDENTITY_HRP];
	const char *why = NULL;
	size_t n = 0;
	int rc;

	rc = bech32_decode(s, len, hrp, sizeof hrp, secret, 32, &n, &why);
	if (rc != 0)
		err_set(
		    e, EXIT_CONFIG, "age identity does not decode: %s", why);
	else if (strcmp(hrp, IDENTITY_HRP) != 0)
		rc = err_set(e, EXIT_CONFIG,
		    "not an age X25519 identity "
		    "(it should start with AGE-SECRET-KEY-1)");
	else if (n != 32)
		rc = err_set(
		    e, EXIT_CONFIG, "age identity of %zu bytes, not 32", n);
	if (rc != 0) {
		secmem_wipe(secret, 32);
		return EXIT_CONFIG;
	}
	return 0;
}

void
age_identity_format(const unsigned char *secret, char *out)
{
	size_t i;

	if (bech32_encode(IDENTITY_HRP, secret, 32, out,
		AGE_IDENTITY_LEN + 1) != AGE_IDENTITY_LEN)
		abort();
	for (i = 0; i < AGE_IDENTITY_LEN; i++)
		if (out[i] >= 'a' && out[i] <= 'z')
			out[i] = (char)(out[i] - 'a' + 'A');
}

/*
 * The writer.
 */

struct age_writer {
	age_sink_fn sink;
	void *arg;
	struct age_keys *k;
	unsigned char *pt; /* AGE_CHUNK bytes of plain text */
	unsigned char *ct; /* CT_CHUNK bytes of cipher text */
	size_t have;
	uint64_t counter;
	int done, failed;
};

static int
writer_stanza(struct age_writer *w, struct buf *h,
    const unsigned char recipient[32], size_t i, struct ierr *e)
{
	unsigned char share[32], body[BODY_LEN];
	int rc;

	crypto_x25519_keygen(w->k->eph, share);
	if (crypto_x25519(w->k->eph, recipient, w->k->shared, e) != 0)
		return err_set(e, EXIT_DATAERR,
		    "age recipient %zu is a key of small order", i + 1);
	wrap_key(w->k, share, recipient);
	rc = crypto_aead_seal(w->k->wrap, zero_nonce, sizeof zero_nonce, NULL,
	    0, w->k->file_key, AGE_FILE_KEY_LEN, body, e);
	if (rc != 0)
		return rc;
	buf_add(h, "-> X25519 ", 10);
	b64_append(h, share, sizeof share);
	buf_add(h, "\n", 1);
	b64_append(h, body, sizeof body);
	buf_add(h, "\n", 1);
	return 0;
}

struct age_writer *
age_writer_new(const unsigned char (*recipients)[32], size_t n,
    age_sink_fn sink, void *arg, struct ierr *e)
{
	struct age_writer *w;
	struct buf h = BUF_INIT;
	unsigned char nonce[NONCE_LEN];
	size_t i;
	int rc = 0;

	if (n == 0 || n > AGE_STANZAS_MAX) {
		err_set(e, EXIT_DATAERR,
		    "age needs 1 to %d recipients, not %zu", AGE_STANZAS_MAX,
		    n);
		return NULL;
	}
	for (i = 0; i < n; i++)
		if (!crypto_x25519_public_check(recipients[i])) {
			err_set(e, EXIT_DATAERR,
			    "age recipient %zu is a key of small order", i + 1);
			return NULL;
		}
	w = xcalloc(1, sizeof *w);
	w->sink = sink;
	w->arg = arg;
	w->k = keys_new();
	w->pt = xmalloc(AGE_CHUNK);
	w->ct = xmalloc(CT_CHUNK);
	crypto_random(w->k->file_key, AGE_FILE_KEY_LEN);
	buf_add(&h, AGE_VERSION_LINE "\n", sizeof AGE_VERSION_LINE);
	for (i = 0; i < n && rc == 0; i++)
		rc = writer_stanza(w, &h, recipients[i], i, e);
	if (rc == 0) {
		buf_add(&h, "---", 3);
		file_key_derive(w->k, NULL, 0, "header", w->k->mac_key);
		crypto_hmac_sha256_once(
		    w->k->mac_key, 32, h.data, h.len, w->k->mac);
		buf_add(&h, " ", 1);
		b64_append(&h, w->k->mac, 32);
		buf_add(&h, "\n", 1);
		crypto_random(nonce, sizeof nonce);
		buf_add(&h, nonce, sizeof nonce);
		file_key_derive(
		    w->k, nonce, sizeof nonce, "payload", w->k->payload_key);
		rc = sink(arg, h.data, h.len, e);
	}
	buf_free(&h);
	if (rc != 0) {
		age_writer_free(w);
		return NULL;
	}
	return w;
}

static int
writer_flush(struct age_writer *w, int last, struct ierr *e)
{
	unsigned char nonce[CRYPTO_AEAD_NONCE_LEN];
	int rc;

	chunk_nonce(w->counter, last, nonce);
	rc = crypto_aead_seal(w->k->payload_key, nonce, sizeof nonce, NULL, 0,
	    w->pt, w->have, w->ct, e);
	if (rc == 0)
		rc = w->sink(w->arg, w->ct, w->have + CRYPTO_AEAD_TAG_LEN, e);
	secmem_wipe(w->pt, w->have);
	w->have = 0;
	w->counter++;
	if (rc != 0)
		w->failed = 1;
	return rc;
}

int
age_writer_write(struct age_writer *w, const void *p, size_t n, struct ierr *e)
{
	const unsigned char *s = p;
	size_t take;
	int rc;

	if (w->done || w->failed)
		return err_set(e, EXIT_IOERR, "age writer used after %s",
		    w->failed ? "a failure" : "its end");
	while (n > 0) {
		/* A full chunk goes out only once more data follows it: the
		 * last chunk may be full, never empty (but for no data). */
		if (w->have == AGE_CHUNK && (rc = writer_flush(w, 0, e)) != 0)
			return rc;
		take = AGE_CHUNK - w->have;
		if (take > n)
			take = n;
		memcpy(w->pt + w->have, s, take);
		w->have += take;
		s += take;
		n -= take;
	}
	return 0;
}

int
age_writer_finish(struct age_writer *w, struct ierr *e)
{
	int rc;

	if (w->done || w->failed)
		return err_set(e, EXIT_IOERR, "age writer used after %s",
		    w->failed ? "a failure" : "its end");
	rc = writer_flush(w, 1, e);
	w->done = 1;
	return rc;
}

void
age_writer_free(struct age_writer *w)
{
	if (w == NULL)
		return;
	keys_free(w->k);
	secmem_wipe(w->pt, AGE_CHUNK);
	free(w->pt);
	free(w->ct);
	free(w);
}

/*
 * The reader.
 */

enum rstate { R_NEW, R_OPEN, R_TRAILING, R_TRUNCATED, R_DONE, R_FAILED };

struct stanza {
	size_t type, typelen; /* offsets into the header */
	size_t arg, arglen;   /* the first argument after the type */
	size_t nargs;	      /* arguments, the type included */
	size_t body, bodyend; /* the body lines */
};

struct age_reader {
	age_source_fn source;
	void *arg;
	unsigned char *buf; /* CT_CHUNK + 1 bytes read ahead */
	size_t len;
	int eof;
	unsigned char *pt; /* AGE_CHUNK bytes of plain text */
	struct age_keys *k;
	uint64_t counter;
	size_t stanzas, which;
	enum age_status status;
	enum rstate state;
};

struct age_reader *
age_reader_new(age_source_fn source, void *arg)
{
	struct age_reader *r;

	r = xcalloc(1, sizeof *r);
	r->source = source;
	r->arg = arg;
	r->buf = xmalloc(CT_CHUNK + 1);
	r->pt = xmalloc(AGE_CHUNK);
	r->k = keys_new();
	return r;
}

size_t
age_reader_identity(const struct age_reader *r)
{
	return r->which;
}

size_t
age_reader_stanzas(const struct age_reader *r)
{
	return r->stanzas;
}

enum age_status
age_reader_status(const struct age_reader *r)
{
	return r->status;
}

void
age_reader_free(struct age_reader *r)
{
	if (r == NULL)
		return;
	keys_free(r->k);
	secmem_wipe(r->pt, AGE_CHUNK);
	free(r->pt);
	free(r->buf);
	free(r);
}

ATTR_PRINTF(4, 5)
static int
fail(struct age_reader *r, enum age_status st, struct ierr *e, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_setv(e, st == AGE_IO ? EXIT_IOERR : EXIT_REFUSED, fmt, ap);
	va_end(ap);
	r->status = st;
	r->state = R_FAILED;
	return e->status;
}

/* Reads until the buffer is full or the source ends. */
static int
fill(struct age_reader *r, struct ierr *e)
{
	long n;

	while (r->len < CT_CHUNK + 1 && !r->eof) {
		n = r->source(
		    r->arg, r->buf + r->len, CT_CHUNK + 1 - r->len, e);
		if (n < 0) {
			r->status = AGE_IO;
			r->state = R_FAILED;
			if (e->status == 0)
				err_set(e, EXIT_IOERR, "cannot read");
			return e->status;
		}
		if (n == 0)
			r->eof = 1;
		r->len += (size_t)n;
	}
	return 0;
}

static int
vchar_only(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 33 || p[i] > 126)
			return 0;
	return 1;
}

static int
is_word(const unsigned char *h, size_t off, size_t len, const char *w)
{
	return len == strlen(w) && memcmp(h + off, w, len) == 0;
}

/* The end of the line starting at pos (the offset of its '\n'), or lim. */
static size_t
line_end(const unsigned char *h, size_t pos, size_t lim)
{
	const unsigned char *nl;

	nl = memchr(h + pos, '\n', lim - pos);
	return nl == NULL ? lim : (size_t)(nl - h);
}

/* Parses the arguments of a stanza line [pos, end) ("-> " included). */
static int
parse_args(struct age_reader *r, struct stanza *s, size_t pos, size_t end,
    unsigned long line, struct ierr *e)
{
	const unsigned char *h = r->buf;
	size_t a, b;

	s->nargs = 0;
	for (a = pos + 3;; a = b + 1) {
		for (b = a; b < end && h[b] != ' '; b++)
			;
		if (b == a)
			return fail(r, AGE_HEADER, e, "header line %lu: %s",
			    line,
			    s->nargs == 0 ? "stanza without a type"
					  : "empty stanza argument");
		if (!vchar_only(h + a, b - a))
			return fail(r, AGE_HEADER, e,
			    "header line %lu: "
			    "stanza argument with a character outside "
			    "33..126",
			    line);
		if (s->nargs == 0) {
			s->type = a;
			s->typelen = b - a;
		} else if (s->nargs == 1) {
			s->arg = a;
			s->arglen = b - a;
		}
		s->nargs++;
		if (b == end)
			return 0;
	}
}

/*
 * Parses the body lines from pos: full lines of 64 characters, then one
 * shorter (maybe empty).  Decodes each (canonical base64), keeping up to
 * outsize bytes in out (out may be NULL) and counting all in *total.
 * Returns the offset after the body, or 0 after a failure.
 */
static size_t
parse_body(struct age_reader *r, size_t pos, size_t macline,
    unsigned long *line, unsigned char *out, size_t outsize, size_t *total,
    struct ierr *e)
{
	const unsigned char *h = r->buf;
	unsigned char dec[48];
	size_t end, n;

	*total = 0;
	for (;;) {
		(*line)++;
		if (pos >= macline) {
			fail(r, AGE_HEADER, e,
			    "header line %lu: stanza body "
			    "without its final short line",
			    *line);
			return 0;
		}
		end = line_end(h, pos, macline);
		if (end - pos > LINE_COLS ||
		    b64_decode_line((const char *)h + pos, end - pos, dec,
			sizeof dec, &n) != 0) {
			fail(r, AGE_HEADER, e,
			    "header line %lu: stanza body "
			    "is not canonical base64 in lines of 64",
			    *line);
			return 0;
		}
		if (out != NULL && *total < outsize)
			memcpy(out + *total, dec,
			    n < outsize - *total ? n : outsize - *total);
		*total += n;
		if (end - pos < LINE_COLS)
			return end + 1;
		pos = end + 1;
	}
}

/*
 * Parses the header in r->buf[0..hlen), the MAC line starting at macline:
 * every stanza, before any X25519 operation.  X25519 stanzas go to x
 * (share and body decoded).
 */
struct xstanza {
	unsigned char share[32];
	unsigned char body[BODY_LEN];
	size_t index; /* among all stanzas, from 1 */
};

static int
parse_stanzas(struct age_reader *r, size_t first, size_t macline,
    struct xstanza *x, size_t *nx, struct ierr *e)
{
	const unsigned char *h = r->buf;
	struct stanza s = { 0, 0, 0, 0, 0, 0, 0 };
	unsigned char share[33], body[BODY_LEN + 1];
	unsigned long line = 1;
	size_t pos = first, end, n, total;

	*nx = 0;
	while (pos < macline) {
		line++;
		end = line_end(h, pos, macline);
		if (end - pos < 3 || memcmp(h + pos, "-> ", 3) != 0)
			return fail(r, AGE_HEADER, e,
			    "header line %lu: "
			    "expected a stanza (-> ) or the MAC line (--- )",
			    line);
		if (++r->stanzas > AGE_STANZAS_MAX)
			return fail(r, AGE_HEADER, e,
			    "header with more than "
			    "%d stanzas",
			    AGE_STANZAS_MAX);
		if (parse_args(r, &s, pos, end, line, e) != 0)
			return e->status;
		if (is_word(h, s.type, s.typelen, "scrypt"))
			return fail(r, AGE_UNSUPPORTED, e,
			    "header line %lu: "
			    "passphrase (scrypt) stanzas are refused",
			    line);
		if (!is_word(h, s.type, s.typelen, "X25519")) {
			/* Another type: checked as a stanza, then skipped. */
			pos = parse_body(
			    r, end + 1, macline, &line, NULL, 0, &total, e);
			if (pos == 0)
				return e->status;
			continue;
		}
		if (s.nargs != 2)
			return fail(r, AGE_HEADER, e,
			    "header line %lu: X25519 "
			    "stanza with %zu arguments, not 1",
			    line, s.nargs - 1);
		if (s.arglen > LINE_COLS ||
		    b64_decode_line((const char *)h + s.arg, s.arglen, share,
			sizeof share, &n) != 0 ||
		    n != 32)
			return fail(r, AGE_HEADER, e,
			    "header line %lu: X25519 "
			    "share is not 32 bytes in canonical base64",
			    line);
		pos = parse_body(
		    r, end + 1, macline, &line, body, sizeof body, &total, e);
		if (pos == 0)
			return e->status;
		if (total != BODY_LEN)
			return fail(r, AGE_HEADER, e,
			    "header line %lu: X25519 "
			    "stanza body of %zu bytes, not %d",
			    line, total, BODY_LEN);
		memcpy(x[*nx].share, share, 32);
		memcpy(x[*nx].body, body, BODY_LEN);
		x[*nx].index = r->stanzas;
		(*nx)++;
	}
	return 0;
}

/* Finds the file key: every X25519 stanza against every identity. */
static int
unwrap(struct age_reader *r, const struct xstanza *x, size_t nx,
    const unsigned char *const *ids, const unsigned char (*pubs)[32],
    size_t nids, struct ierr *e)
{
	struct ierr ignore = IERR_INIT;
	size_t i, j;

	for (i = 0; i < nx; i++) {
		for (j = 0; j < nids; j++) {
			if (crypto_x25519(
				ids[j], x[i].share, r->k->shared, &ignore) != 0)
				return fail(r, AGE_HEADER, e,
				    "stanza %zu: "
				    "X25519 share of small order",
				    x[i].index);
			wrap_key(r->k, x[i].share, pubs[j]);
			if (crypto_aead_open(r->k->wrap, zero_nonce,
				sizeof zero_nonce, NULL, 0, x[i].body, BODY_LEN,
				r->k->file_key, &ignore) == 0) {
				r->which = j;
				return 0;
			}
		}
	}
	return fail(r, AGE_NO_MATCH, e, "no stanza for %s (%zu stanza%s)",
	    nids == 1 ? "this key" : "these keys", r->stanzas,
	    r->stanzas == 1 ? "" : "s");
}

/* The first line: the version, or the armor, or something else. */
static int
check_first_line(struct age_reader *r, size_t *first, struct ierr *e)
{
	static const char armor[] = "-----BEGIN AGE ENCRYPTED FILE-----";
	const unsigned char *h = r->buf;
	size_t lim = r->len < AGE_HEADER_MAX ? r->len : AGE_HEADER_MAX;
	size_t end, i, n;

	end = line_end(h, 0, lim);
	for (i = 0; i < lim &&
	     (h[i] == ' ' || h[i] == '\t' || h[i] == '\r' || h[i] == '\n');
	     i++)
		;
	if (lim - i >= sizeof armor - 1 &&
	    memcmp(h + i, armor, sizeof armor - 1) == 0)
		return fail(r, AGE_UNSUPPORTED, e,
		    "the ASCII-armored age form is refused");
	if (r->len == 0)
		return fail(r, AGE_HEADER, e, "empty: not an age file");
	n = sizeof AGE_VERSION_LINE - 1;
	if (memcmp(h, AGE_VERSION_LINE, lim < n ? lim : n) != 0 ||
	    (end != lim && end != n)) {
		if (lim >= 19 && memcmp(h, "age-encryption.org/", 19) == 0)
			return fail(r, AGE_HEADER, e,
			    "header line 1: "
			    "unsupported age version");
		return fail(r, AGE_HEADER, e,
		    "header line 1: not an age "
		    "file (no " AGE_VERSION_LINE " line)");
	}
	if (end == lim)
		return fail(r, AGE_HEADER, e, "header line 1: %s",
		    lim == AGE_HEADER_MAX ? "header over 64 KiB"
					  : "truncated header");
	*first = end + 1;
	return 0;
}

/* Finds the MAC line ("---"); *macline its start, *hlen the header's
 * length with its newline. */
static int
find_mac_line(struct age_reader *r, size_t first, size_t *macline, size_t *hlen,
    struct ierr *e)
{
	const unsigned char *h = r->buf;
	size_t lim = r->len < AGE_HEADER_MAX ? r->len : AGE_HEADER_MAX;
	size_t pos, end;

	for (pos = first;; pos = end + 1) {
		end = line_end(h, pos, lim);
		if (end == lim)
			return fail(r, AGE_HEADER, e, "%s",
			    lim == AGE_HEADER_MAX
				? "header over 64 KiB"
				: "truncated header (no MAC line)");
		if (end - pos >= 3 && memcmp(h + pos, "---", 3) == 0)
			break;
	}
	*macline = pos;
	*hlen = end + 1;
	return 0;
}

int
age_reader_open(struct age_reader *r, const unsigned char *const *ids,
    size_t nids, struct ierr *e)
{
	struct xstanza *x = NULL;
	unsigned char(*pubs)[32] = NULL;
	unsigned char mac[32], nonce[NONCE_LEN];
	size_t first = 0, macline = 0, hlen = 0, nx = 0, n, i;
	int rc;

	if (r->state != R_NEW)
		return fail(r, AGE_HEADER, e, "age reader opened twice");
	if ((rc = fill(r, e)) != 0)
		return rc;
	if ((rc = check_first_line(r, &first, e)) != 0 ||
	    (rc = find_mac_line(r, first, &macline, &hlen, e)) != 0)
		return rc;
	/* The MAC line: "--- " and 43 characters, nothing else. */
	if (hlen - 1 - macline != 4 + 43 || r->buf[macline + 3] != ' ' ||
	    b64_decode_line((const char *)r->buf + macline + 4, 43, mac,
		sizeof mac, &n) != 0 ||
	    n != 32) {
		return fail(r, AGE_HEADER, e,
		    "header MAC line is not \"--- \" "
		    "and 32 bytes in canonical base64");
	}
	x = xcalloc(AGE_STANZAS_MAX, sizeof *x);
	if ((rc = parse_stanzas(r, first, macline, x, &nx, e)) != 0)
		goto out;
	/* Only now, the header within its limits: X25519. */
	pubs = xcalloc(nids ? nids : 1, sizeof *pubs);
	for (i = 0; i < nids; i++)
		if (crypto_x25519_public(ids[i], pubs[i], e) != 0) {
			rc = fail(
			    r, AGE_NO_MATCH, e, "identity %zu unusable", i + 1);
			goto out;
		}
	if ((rc = unwrap(r, x, nx, ids, (const unsigned char(*)[32])pubs, nids,
		 e)) != 0)
		goto out;
	file_key_derive(r->k, NULL, 0, "header", r->k->mac_key);
	crypto_hmac_sha256_once(
	    r->k->mac_key, 32, r->buf, macline + 3, r->k->mac);
	if (!crypto_memeq(r->k->mac, mac, 32)) {
		rc = fail(r, AGE_HMAC, e,
		    "header MAC does not match "
		    "(changed header)");
		goto out;
	}
	if (r->len - hlen < NONCE_LEN) {
		rc = fail(r, AGE_HEADER, e,
		    "truncated: no payload nonce "
		    "after the header");
		goto out;
	}
	memcpy(nonce, r->buf + hlen, NONCE_LEN);
	file_key_derive(r->k, nonce, NONCE_LEN, "payload", r->k->payload_key);
	r->len -= hlen + NONCE_LEN;
	memmove(r->buf, r->buf + hlen + NONCE_LEN, r->len);
	r->state = R_OPEN;
out:
	free(x);
	free(pubs);
	return rc;
}

static int
chunk_open(struct age_reader *r, size_t ctlen, int last)
{
	unsigned char nonce[CRYPTO_AEAD_NONCE_LEN];
	struct ierr ignore = IERR_INIT;

	chunk_nonce(r->counter, last, nonce);
	return crypto_aead_open(r->k->payload_key, nonce, sizeof nonce, NULL, 0,
	    r->buf, ctlen, r->pt, &ignore);
}

int
age_reader_next(struct age_reader *r, const unsigned char **p, size_t *n,
    int *last, struct ierr *e)
{
	unsigned long long c;
	size_t ctlen;
	int rc;

	*p = r->pt;
	*n = 0;
	*last = 0;
	switch (r->state) {
	case R_OPEN:
		break;
	case R_DONE:
		*last = 1;
		return 0;
	case R_TRAILING:
		return fail(r, AGE_PAYLOAD, e,
		    "trailing data after the last "
		    "chunk (chunk %llu)",
		    (unsigned long long)r->counter);
	case R_TRUNCATED:
		return fail(r, AGE_PAYLOAD, e, "truncated after chunk %llu",
		    (unsigned long long)r->counter);
	case R_NEW:
	case R_FAILED:
		return err_set(e, EXIT_REFUSED, "age reader not open");
	}
	if ((rc = fill(r, e)) != 0)
		return rc;
	c = (unsigned long long)r->counter + 1; /* from 1 */
	if (r->len == 0)
		return fail(r, AGE_PAYLOAD, e, "truncated: no payload chunk");
	if (r->len <= CT_CHUNK) {
		/* The source ended: this is the last chunk. */
		if (r->len < CRYPTO_AEAD_TAG_LEN)
			return fail(r, AGE_PAYLOAD, e,
			    "chunk %llu: truncated "
			    "(%zu bytes)",
			    c, r->len);
		if (chunk_open(r, r->len, 1) != 0) {
			if (r->len == CT_CHUNK &&
			    chunk_open(r, r->len, 0) == 0) {
				/*
				 * A full chunk, authentic and not the last,
				 * then the end: released like every chunk
				 * before a failure (C2SP stream_no_final_full);
				 * the next call fails.
				 */
				*n = AGE_CHUNK;
				r->counter++;
				r->len = 0;
				r->state = R_TRUNCATED;
				return 0;
			}
			return fail(r, AGE_PAYLOAD, e,
			    "chunk %llu: "
			    "authentication failed (changed, or truncated)",
			    c);
		}
		if (r->len == CRYPTO_AEAD_TAG_LEN && r->counter > 0)
			return fail(r, AGE_PAYLOAD, e,
			    "chunk %llu: empty last "
			    "chunk",
			    c);
		*n = r->len - CRYPTO_AEAD_TAG_LEN;
		*last = 1;
		r->len = 0;
		r->state = R_DONE;
		return 0;
	}
	/* A full chunk with more after it: not the last, or trailing data. */
	ctlen = CT_CHUNK;
	if (chunk_open(r, ctlen, 0) != 0) {
		if (chunk_open(r, ctlen, 1) != 0)
			return fail(r, AGE_PAYLOAD, e,
			    "chunk %llu: "
			    "authentication failed (changed data)",
			    c);
		r->state = R_TRAILING;
	}
	*n = AGE_CHUNK;
	r->counter++;
	r->len -= ctlen;
	memmove(r->buf, r->buf + ctlen, r->len);
	return 0;
}

int
age_decrypt(age_source_fn source, void *sarg, const unsigned char *const *ids,
    size_t nids, age_sink_fn sink, void *karg, size_t *which, struct ierr *e)
{
	struct age_reader *r;
	const unsigned char *p;
	size_t n;
	int last = 0, rc;

	r = age_reader_new(source, sarg);
	rc = age_reader_open(r, ids, nids, e);
	if (rc == 0 && which != NULL)
		*which = age_reader_identity(r);
	while (rc == 0 && !last) {
		rc = age_reader_next(r, &p, &n, &last, e);
		if (rc == 0 && n > 0)
			rc = sink(karg, p, n, e);
	}
	age_reader_free(r);
	return rc;
}
