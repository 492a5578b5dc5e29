/*
 * Opening sealed bundles (SPEC 6a) for bundle-verify.c: the first bytes
 * of a bundle are peeked at to tell a sealed one from a plain one; a
 * sealed one is read through age.c, its lines coming from the
 * authenticated chunks, and the seal check's messages are made here.
 * The records of a sealed bundle wait in a sealed spool (spool.h), so
 * that no plain text of it is ever written to a file.
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
	return 0;
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
