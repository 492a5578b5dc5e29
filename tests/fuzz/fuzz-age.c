/*
 * fuzz-age: the age reader (common/age.c), on any bytes, with the X25519
 * identity of the C2SP age test vectors and a second one of our own.
 *
 * Invariants: age_reader_open() and age_reader_next() return 0 or
 * EXIT_REFUSED, never crash, and their status agrees (AGE_OK exactly while
 * nothing failed); every chunk handed out but the last is 64 KiB; a
 * success ends with *last; the outcome and the plain text are the same
 * when the source hands out 1 to 255 bytes at a time; and a plain text
 * that opened, sealed again by our writer to the same identity, opens to
 * the same bytes.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>

#include "age.h"
#include "buf.h"
#include "crypto.h"
#include "err.h"
#include "exitcodes.h"
#include "fuzz-util.h"
#include "age-mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static unsigned char *ids[2];
static unsigned char pubs[2][32];

void
fz_init(void)
{
	static const char vector_id[] = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270"
					"LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0";
	struct ierr e = IERR_INIT;
	int i;

	for (i = 0; i < 2; i++)
		if ((ids[i] = gcry_malloc_secure(32)) == NULL)
			abort();
	if (age_identity_parse(vector_id, strlen(vector_id), ids[0], &e) != 0)
		fz_fail("vector identity: %s", e.msg);
	memset(ids[1], 0x42, 32);
	for (i = 0; i < 2; i++)
		if (crypto_x25519_public(ids[i], pubs[i], &e) != 0)
			fz_fail("public key: %s", e.msg);
}

/* Opens data; the plain text handed out goes to out.  The status. */
static int
open_all(const uint8_t *data, size_t size, size_t step, struct buf *out,
    enum age_status *st, size_t *which)
{
	struct msrc s = { data, size, 0, step, 0 };
	struct ierr e = IERR_INIT;
	struct age_reader *r;
	const unsigned char *p;
	size_t n;
	int rc, last = 0, sawshort = 0;

	r = age_reader_new(msrc_read, &s);
	rc = age_reader_open(r, (const unsigned char *const *)ids, 2, &e);
	if (rc == 0)
		*which = age_reader_identity(r);
	while (rc == 0 && !last) {
		rc = age_reader_next(r, &p, &n, &last, &e);
		if (rc != 0)
			break;
		if (sawshort)
			fz_fail("a chunk after a short one");
		if (n != AGE_CHUNK)
			sawshort = 1;
		buf_add(out, p, n);
	}
	*st = age_reader_status(r);
	if (rc != 0 && rc != EXIT_REFUSED)
		fz_fail("status %d: %s", rc, e.msg);
	if (rc != 0 && (*st == AGE_OK || e.msg[0] == '\0'))
		fz_fail("refused without a class or message");
	if (rc == 0 && (*st != AGE_OK || !last))
		fz_fail("success without the last chunk");
	age_reader_free(r);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a = BUF_INIT, b = BUF_INIT, sealed = BUF_INIT;
	struct ierr e = IERR_INIT;
	struct age_writer *w;
	enum age_status sa, sb;
	size_t wa = 0, wb = 0, step;
	int ra, rb;

	step = size > 0 ? (size_t)data[size - 1] % 255 + 1 : 1;
	ra = open_all(data, size, 0, &a, &sa, &wa);
	rb = open_all(data, size, step, &b, &sb, &wb);
	if (ra != rb || sa != sb || a.len != b.len ||
	    (a.len > 0 && memcmp(a.data, b.data, a.len) != 0) ||
	    (ra == 0 && wa != wb))
		fz_fail("outcome depends on the read size (%zu)", step);
	if (ra == 0) {
		w = age_writer_new((const unsigned char(*)[32]) & pubs[wa], 1,
		    buf_sink, &sealed, &e);
		if (w == NULL || age_writer_write(w, a.data, a.len, &e) != 0 ||
		    age_writer_finish(w, &e) != 0)
			fz_fail("cannot seal again: %s", e.msg);
		age_writer_free(w);
		b.len = 0;
		if (open_all((const uint8_t *)sealed.data, sealed.len, 0, &b,
			&sb, &wb) != 0 ||
		    b.len != a.len ||
		    (a.len > 0 && memcmp(a.data, b.data, a.len) != 0) ||
		    wb != wa)
			fz_fail("sealed again, it does not open the same");
	}
	buf_free(&a);
	buf_free(&b);
	buf_free(&sealed);
	return 0;
}
