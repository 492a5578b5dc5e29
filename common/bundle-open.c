/*
 * Opening sealed bundles (SPEC 6a) for bundle-verify.c: the first bytes
 * of a bundle are peeked at to tell a sealed one from a plain one; a
 * sealed one is read through age.c, its lines coming from the
 * authenticated chunks, and the seal check's messages are made here.
 * The records of a sealed bundle are spooled as an age stream to the
 * verifier's own X25519 key (made for the run, its secret in secure
 * memory), so that no plain text of it is ever written to the spool;
 * bundle_open_emit() opens that stream again, writing whole lines only.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "age.h"
#include "buf.h"
#include "bundle.h"
#include "bundle-int.h"
#include "err.h"
#include "exitcodes.h"

#define ARMOR_LINE "-----BEGIN AGE ENCRYPTED FILE-----"

/* ---- sources ---- */

static long
insrc_read(void *arg, void *buf, size_t n, struct ierr *e)
{
	struct bundle_insrc *s = arg;
	size_t k;

	if (s->pos < s->npre) {
		k = s->npre - s->pos < n ? s->npre - s->pos : n;
		memcpy(buf, s->pre + s->pos, k);
		s->pos += k;
		return (long)k;
	}
	k = fread(buf, 1, n, s->f);
	if (k == 0 && ferror(s->f)) {
		err_set(e, EXIT_IOERR, "%s: read error: %s", s->name,
		    strerror(errno ? errno : EIO));
		return -1;
	}
	return (long)k;
}

/* The next authenticated chunk, when the last one is used up: 0, 1 at
 * the end of the stream, or -1 (o->err says why). */
static int
opened_more(struct bundle_opened *o)
{
	if (o->failed)
		return -1;
	while (o->off == o->n) {
		if (o->last)
			return 1;
		if (age_reader_next(o->ar, &o->p, &o->n, &o->last, &o->err) !=
		    0) {
			o->failed = 1;
			return -1;
		}
		o->off = 0;
	}
	return 0;
}

long
bundle_open_read(void *arg, void *buf, size_t n, struct ierr *e)
{
	struct bundle_opened *o = arg;
	size_t k;
	int r;

	if ((r = opened_more(o)) != 0) {
		if (r < 0)
			*e = o->err;
		return r < 0 ? -1 : 0;
	}
	k = o->n - o->off < n ? o->n - o->off : n;
	memcpy(buf, o->p + o->off, k);
	o->off += k;
	return (long)k;
}

/* Reads and authenticates the rest of the stream, unused: 0 or -1. */
int
bundle_open_drain(struct bundle_opened *o)
{
	int r;

	while ((r = opened_more(o)) == 0)
		o->off = o->n;
	return r < 0 ? -1 : 0;
}

/* The spool: plain, or an age stream to the verifier's key. */
static int
spool_sink(void *arg, const void *p, size_t n, struct ierr *e)
{
	return bundle_spool_write(arg, p, n, e);
}

static long
spool_source(void *arg, void *buf, size_t n, struct ierr *e)
{
	FILE *f = arg;
	size_t k = fread(buf, 1, n, f);

	if (k == 0 && ferror(f)) {
		err_set(e, EXIT_IOERR, "spool file: read error");
		return -1;
	}
	return (long)k;
}

static int
out_sink(void *arg, const void *p, size_t n, struct ierr *e)
{
	if (fwrite(p, 1, n, arg) != n)
		return err_set(e, EXIT_IOERR, "write error: %s",
		    strerror(errno ? errno : EIO));
	return 0;
}

int
bundle_open_spool_put(
    struct bundle_verifier *v, const void *p, size_t n, struct ierr *e)
{
	if (v->sw != NULL)
		return age_writer_write(v->sw, p, n, e);
	return bundle_spool_write(v->spool, p, n, e);
}

int
bundle_open_peek(
    struct bundle_insrc *in, FILE *f, const char *name, struct ierr *e)
{
	in->f = f;
	in->name = name;
	in->npre = fread(in->pre, 1, sizeof in->pre, in->f);
	if (in->npre < sizeof in->pre && ferror(in->f))
		return err_set(e, EXIT_IOERR, "%s: read error: %s", name,
		    strerror(errno ? errno : EIO));
	return 0;
}

enum bundle_kind
bundle_open_kind(const unsigned char *pre, size_t n)
{
	static const char *const lines[] = { AGE_VERSION_LINE, ARMOR_LINE };

	for (int i = 0; i < 2; i++) {
		size_t len = strlen(lines[i]);

		if (n >= len && memcmp(pre, lines[i], len) == 0 &&
		    (n == len || pre[len] == '\n'))
			return i == 0 ? BUNDLE_SEALED : BUNDLE_ARMORED;
	}
	return BUNDLE_PLAIN;
}

/*
 * Opens a sealed bundle: the header, with the limits checked before any
 * X25519 operation, then the spool's own age stream.  0 (the header is
 * open, or s->failed says why not), or EXIT_IOERR.
 */
int
bundle_open_seal(struct bundle_verifier *v, struct bundle_report *r,
    struct bundle_insrc *in, struct bundle_opened *op, struct bundle_seal *s,
    struct ierr *e)
{
	struct ierr ae = IERR_INIT;
	size_t which;

	op->ar = age_reader_new(insrc_read, in);
	if (age_reader_open(op->ar, v->o.ids, v->o.nids, &ae) != 0) {
		r->stanzas = age_reader_stanzas(op->ar);
		if (age_reader_status(op->ar) == AGE_IO) {
			*e = ae;
			return e->status;
		}
		s->failed = 1;
		snprintf(s->why, sizeof s->why, "%s", ae.msg);
		return 0;
	}
	r->stanzas = age_reader_stanzas(op->ar);
	which = age_reader_identity(op->ar);
	snprintf(s->ok, sizeof s->ok,
	    "age, %zu stanza%s, opened "
	    "with %s",
	    r->stanzas, r->stanzas == 1 ? "" : "s",
	    v->o.id_names != NULL && v->o.id_names[which] != NULL
		? v->o.id_names[which]
		: "the key given");
	v->sw = age_writer_new((const unsigned char(*)[32])v->spool_pub, 1,
	    spool_sink, v->spool, e);
	return v->sw == NULL ? e->status : 0;
}

/* A sealed bundle's stream failed: the seal check says so, unless the
 * file could not be read at all.  0 or EXIT_IOERR. */
int
bundle_open_broken(
    struct bundle_seal *s, struct bundle_opened *op, struct ierr *e)
{
	if (op->err.status == EXIT_IOERR) {
		*e = op->err;
		return EXIT_IOERR;
	}
	s->failed = 1;
	snprintf(s->why, sizeof s->why, "%s", op->err.msg);
	return 0;
}

/*
 * Writes the spool of a sealed bundle to out, opening it chunk by chunk
 * and writing only whole lines: should a chunk of it fail (the spool is
 * the run's own file, so only a damaged disk or another process of this
 * user could do that), no partial record reaches out.
 */
int
bundle_open_emit(struct bundle_verifier *v, FILE *out, struct ierr *e)
{
	const unsigned char *ids[1] = { v->spool_secret };
	struct age_reader *ar;
	struct buf carry = BUF_INIT;
	const unsigned char *p, *nl;
	size_t n;
	int last = 0, rc;

	if (fflush(v->spool) != 0 || fseeko(v->spool, 0, SEEK_SET) != 0)
		return err_errno(e, EXIT_IOERR, "spool file");
	ar = age_reader_new(spool_source, v->spool);
	if ((rc = age_reader_open(ar, ids, 1, e)) != 0)
		goto out;
	while (!last) {
		if ((rc = age_reader_next(ar, &p, &n, &last, e)) != 0)
			goto out;
		if (n == 0)
			continue;
		/* Up to the chunk's last newline; the rest waits. */
		for (nl = p + n; nl > p && nl[-1] != '\n'; nl--)
			;
		if (nl > p) {
			if ((carry.len > 0 &&
				(rc = out_sink(
				     out, carry.data, carry.len, e)) != 0) ||
			    (rc = out_sink(out, p, (size_t)(nl - p), e)) != 0)
				goto out;
			buf_reset(&carry);
		}
		buf_add(&carry, nl, (size_t)(p + n - nl));
	}
	if (carry.len > 0)
		rc = err_set(e, EXIT_IOERR,
		    "spool file: a line without a "
		    "newline");
out:
	age_reader_free(ar);
	buf_free(&carry);
	if (rc != 0 && rc != EXIT_IOERR) {
		err_prefix(e, "spool file");
		rc = EXIT_IOERR;
	}
	return rc;
}
