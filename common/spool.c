/*
 * The spool (spool.h): an unlinked temporary file, plain or sealed under
 * AES-256-OCB (RFC 7253) with a key of its own in secure memory.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gcrypt.h>

#include "buf.h"
#include "crypto.h"
#include "exitcodes.h"
#include "secmem.h"
#include "spool.h"

/* Plain bytes gathered before a write (plain) or a chunk (sealed). */
#define SPOOL_CHUNK 65536
#define SPOOL_TAG 16
#define SPOOL_AD 4

struct spool {
	int fd;
	enum spool_kind kind;
	gcry_cipher_hd_t h; /* sealed: its key set, secure memory */
	int have_h;
	/* SPOOL_AD bytes of room, then up to SPOOL_CHUNK waiting, then
	 * SPOOL_TAG of room: a sealed chunk is made in place. */
	unsigned char *buf;
	size_t have;
	unsigned char *big; /* a chunk larger than SPOOL_CHUNK */
	size_t bigcap;
	uint64_t chunks; /* sealed: chunks written */
	size_t maxchunk; /* the largest, in plain bytes */
	off_t size;	 /* bytes written to the file */
	int failed;	 /* a write failed: the spool is not whole */
};

static int
spool_file(int *fd, struct ierr *e)
{
	const char *dir = getenv("TMPDIR");
	struct buf path = BUF_INIT;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	buf_printf(&path, "%s/intel-spool.XXXXXX", dir);
	if ((*fd = mkstemp(path.data)) < 0) {
		err_set(e, EXIT_IOERR, "cannot make a spool file in %s: %s",
		    dir, strerror(errno));
		buf_free(&path);
		return EXIT_IOERR;
	}
	unlink(path.data);
	buf_free(&path);
	return 0;
}

/* A fresh key for a sealed spool: no nonce is ever used twice with it. */
static int
spool_key(struct spool *s, struct ierr *e)
{
	unsigned char *key;
	gcry_error_t rc;

	if (!s->have_h) {
		rc = gcry_cipher_open(&s->h, GCRY_CIPHER_AES256,
		    GCRY_CIPHER_MODE_OCB, GCRY_CIPHER_SECURE);
		if (rc != 0)
			return err_set(e, EXIT_IOERR, "spool cipher: %s",
			    gcry_strerror(rc));
		s->have_h = 1;
	}
	key = secmem_alloc(32);
	crypto_random(key, 32);
	rc = gcry_cipher_setkey(s->h, key, 32);
	secmem_free(key, 32);
	if (rc != 0)
		return err_set(
		    e, EXIT_IOERR, "spool cipher: %s", gcry_strerror(rc));
	return 0;
}

int
spool_new(enum spool_kind k, struct spool **out, struct ierr *e)
{
	struct spool *s = xcalloc(1, sizeof *s);
	int rc;

	s->fd = -1;
	s->buf = xmalloc(SPOOL_AD + SPOOL_CHUNK + SPOOL_TAG);
	if ((rc = spool_reset(s, k, e)) != 0) {
		spool_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int
spool_reset(struct spool *s, enum spool_kind k, struct ierr *e)
{
	int rc;

	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	secmem_wipe(s->buf + SPOOL_AD, s->have);
	s->have = 0;
	s->chunks = 0;
	s->maxchunk = 0;
	s->size = 0;
	s->failed = 0;
	s->kind = k;
	if ((rc = spool_file(&s->fd, e)) != 0)
		return rc;
	return k == SPOOL_SEALED ? spool_key(s, e) : 0;
}

enum spool_kind
spool_kind(const struct spool *s)
{
	return s->kind;
}

static int
put(struct spool *s, const void *p, size_t n, struct ierr *e)
{
	const unsigned char *c = p;
	ssize_t k;

	while (n > 0) {
		if ((k = write(s->fd, c, n)) < 0) {
			if (errno == EINTR)
				continue;
			s->failed = 1;
			return err_set(e, EXIT_IOERR,
			    "spool file: write error: %s", strerror(errno));
		}
		c += k;
		n -= (size_t)k;
		s->size += k;
	}
	return 0;
}

static void
nonce_of(uint64_t n, unsigned char nonce[12])
{
	memset(nonce, 0, 12);
	for (int i = 0; i < 8; i++)
		nonce[11 - i] = (unsigned char)(n >> (8 * i));
}

static void
ad_of(size_t len, unsigned char ad[SPOOL_AD])
{
	ad[0] = (unsigned char)(len >> 24);
	ad[1] = (unsigned char)(len >> 16);
	ad[2] = (unsigned char)(len >> 8);
	ad[3] = (unsigned char)len;
}

/* Starts chunk number n of len plain bytes on the handle. */
static gcry_error_t
chunk_start(struct spool *s, uint64_t n, size_t len)
{
	unsigned char nonce[12], ad[SPOOL_AD];
	gcry_error_t rc;

	nonce_of(n, nonce);
	ad_of(len, ad);
	if ((rc = gcry_cipher_reset(s->h)) == 0 &&
	    (rc = gcry_cipher_setiv(s->h, nonce, sizeof nonce)) == 0)
		rc = gcry_cipher_authenticate(s->h, ad, sizeof ad);
	if (rc == 0)
		rc = gcry_cipher_final(s->h); /* OCB: one call per chunk */
	return rc;
}

/*
 * Seals len plain bytes as the next chunk into out (SPOOL_AD + len +
 * SPOOL_TAG bytes), from in (NULL: they are at out + SPOOL_AD already),
 * and writes it.
 */
static int
seal_chunk(struct spool *s, unsigned char *out, const void *in, size_t len,
    struct ierr *e)
{
	gcry_error_t rc;

	if (len > UINT32_MAX)
		return err_set(e, EXIT_IOERR, "spool file: a line too long");
	if ((rc = chunk_start(s, s->chunks, len)) == 0)
		rc = in == NULL
		    ? gcry_cipher_encrypt(s->h, out + SPOOL_AD, len, NULL, 0)
		    : gcry_cipher_encrypt(s->h, out + SPOOL_AD, len, in, len);
	if (rc == 0)
		rc = gcry_cipher_gettag(s->h, out + SPOOL_AD + len, SPOOL_TAG);
	if (rc != 0) {
		s->failed = 1;
		return err_set(
		    e, EXIT_IOERR, "spool cipher: %s", gcry_strerror(rc));
	}
	ad_of(len, out);
	s->chunks++;
	if (len > s->maxchunk)
		s->maxchunk = len;
	return put(s, out, SPOOL_AD + len + SPOOL_TAG, e);
}

/* Writes what waits in buf. */
static int
flush(struct spool *s, struct ierr *e)
{
	int rc;

	if (s->have == 0)
		return 0;
	if (s->kind == SPOOL_PLAIN)
		rc = put(s, s->buf + SPOOL_AD, s->have, e);
	else
		rc = seal_chunk(s, s->buf, NULL, s->have, e);
	s->have = 0;
	return rc;
}

static unsigned char *
big(struct spool *s, size_t n)
{
	if (s->bigcap < n) {
		if (s->big != NULL)
			secmem_wipe(s->big, s->bigcap);
		free(s->big);
		s->big = xmalloc(n);
		s->bigcap = n;
	}
	return s->big;
}

int
spool_write(struct spool *s, const void *p, size_t n, struct ierr *e)
{
	int rc;

	if (s->failed)
		return err_set(e, EXIT_IOERR,
		    "spool file: an earlier write "
		    "failed");
	if (s->have + n > SPOOL_CHUNK && (rc = flush(s, e)) != 0)
		return rc;
	if (n > SPOOL_CHUNK) {
		if (s->kind == SPOOL_PLAIN)
			return put(s, p, n, e);
		return seal_chunk(s, big(s, SPOOL_AD + n + SPOOL_TAG), p, n, e);
	}
	memcpy(s->buf + SPOOL_AD + s->have, p, n);
	s->have += n;
	return 0;
}

static int
get(struct spool *s, off_t off, void *p, size_t n, struct ierr *e)
{
	unsigned char *c = p;
	ssize_t k;

	while (n > 0) {
		if ((k = pread(s->fd, c, n, off)) < 0) {
			if (errno == EINTR)
				continue;
			return err_set(e, EXIT_IOERR,
			    "spool file: read error: %s", strerror(errno));
		}
		if (k == 0)
			return err_set(e, EXIT_IOERR,
			    "spool file: shorter than was written");
		c += k;
		off += k;
		n -= (size_t)k;
	}
	return 0;
}

static int
out_write(FILE *out, const void *p, size_t n, struct ierr *e)
{
	if (fwrite(p, 1, n, out) != n)
		return err_set(e, EXIT_IOERR, "write error: %s",
		    strerror(errno ? errno : EIO));
	return 0;
}

/*
 * A plain spool to a FILE with a descriptor, not hashed: the kernel
 * copies it (sendfile).  1 when sendfile cannot be used here (nothing was
 * copied), else 0 or EXIT_IOERR.
 */
static int
copy_kernel(struct spool *s, FILE *out, struct ierr *e)
{
	off_t off = 0;
	ssize_t k;
	int fd = fileno(out);

	if (fd < 0)
		return 1;
	if (fflush(out) != 0)
		return err_set(e, EXIT_IOERR, "write error: %s",
		    strerror(errno ? errno : EIO));
	while (off < s->size) {
		size_t want = (size_t)(s->size - off);

		if (want > (size_t)1 << 30)
			want = (size_t)1 << 30;
		if ((k = sendfile(fd, s->fd, &off, want)) < 0) {
			if (errno == EINTR)
				continue;
			if (off == 0 && (errno == EINVAL || errno == ENOSYS))
				return 1;
			return err_set(
			    e, EXIT_IOERR, "write error: %s", strerror(errno));
		}
		if (k == 0)
			return err_set(e, EXIT_IOERR,
			    "spool file: shorter than was written");
	}
	return 0;
}

static int
copy_plain(struct spool *s, FILE *out, struct crypto_sha512 *d, struct ierr *e)
{
	unsigned char *chunk = s->buf + SPOOL_AD;
	off_t off = 0;
	size_t n;
	int rc;

	if (d == NULL && (rc = copy_kernel(s, out, e)) != 1)
		return rc;
	while (off < s->size) {
		n = (size_t)(s->size - off) < SPOOL_CHUNK
		    ? (size_t)(s->size - off)
		    : SPOOL_CHUNK;
		if ((rc = get(s, off, chunk, n, e)) != 0)
			return rc;
		off += (off_t)n;
		if (d != NULL)
			crypto_sha512_update(d, chunk, n);
		if ((rc = out_write(out, chunk, n, e)) != 0)
			return rc;
	}
	return 0;
}

static int
copy_sealed(struct spool *s, FILE *out, struct crypto_sha512 *d, struct ierr *e)
{
	unsigned char ad[SPOOL_AD], *c;
	off_t off = 0;
	size_t len;
	gcry_error_t grc;
	int rc = 0;

	for (uint64_t i = 0; i < s->chunks; i++) {
		if ((rc = get(s, off, ad, sizeof ad, e)) != 0)
			return rc;
		len = (size_t)ad[0] << 24 | (size_t)ad[1] << 16 |
		    (size_t)ad[2] << 8 | ad[3];
		if (len == 0 || len > s->maxchunk)
			return err_set(e, EXIT_IOERR,
			    "spool file: chunk %llu "
			    "was changed on disk",
			    (unsigned long long)i);
		c = len <= SPOOL_CHUNK ? s->buf
				       : big(s, SPOOL_AD + len + SPOOL_TAG);
		if ((rc = get(s, off + SPOOL_AD, c + SPOOL_AD, len + SPOOL_TAG,
			 e)) != 0)
			return rc;
		off += (off_t)(SPOOL_AD + len + SPOOL_TAG);
		if ((grc = chunk_start(s, i, len)) == 0 &&
		    (grc = gcry_cipher_decrypt(
			 s->h, c + SPOOL_AD, len, NULL, 0)) == 0)
			grc = gcry_cipher_checktag(
			    s->h, c + SPOOL_AD + len, SPOOL_TAG);
		if (grc != 0) {
			secmem_wipe(c + SPOOL_AD, len);
			return err_set(e, EXIT_IOERR,
			    "spool file: chunk %llu "
			    "was changed on disk",
			    (unsigned long long)i);
		}
		if (d != NULL)
			crypto_sha512_update(d, c + SPOOL_AD, len);
		rc = out_write(out, c + SPOOL_AD, len, e);
		secmem_wipe(c + SPOOL_AD, len);
		if (rc != 0)
			return rc;
	}
	if (off != s->size)
		return err_set(e, EXIT_IOERR,
		    "spool file: more than was "
		    "written");
	return 0;
}

int
spool_copy(struct spool *s, FILE *out, struct crypto_sha512 *d, struct ierr *e)
{
	struct stat st;
	int rc;

	if (s->failed)
		return err_set(e, EXIT_IOERR,
		    "spool file: an earlier write "
		    "failed");
	if ((rc = flush(s, e)) != 0)
		return rc;
	if (fstat(s->fd, &st) != 0)
		return err_set(
		    e, EXIT_IOERR, "spool file: %s", strerror(errno));
	if (st.st_size != s->size)
		return err_set(e, EXIT_IOERR, "spool file: %s than was written",
		    st.st_size < s->size ? "shorter" : "longer");
	if (s->kind == SPOOL_PLAIN)
		return copy_plain(s, out, d, e);
	return copy_sealed(s, out, d, e);
}

void
spool_free(struct spool *s)
{
	if (s == NULL)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->have_h)
		gcry_cipher_close(s->h);
	secmem_wipe(s->buf, SPOOL_AD + SPOOL_CHUNK + SPOOL_TAG);
	free(s->buf);
	if (s->big != NULL)
		secmem_wipe(s->big, s->bigcap);
	free(s->big);
	free(s);
}
