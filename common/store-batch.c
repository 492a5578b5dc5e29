/*
 * The batch of new records for a merge (store.h): each read and checked
 * (record_parse), kept in canonical form, then sorted by (origin, id) and
 * the record that stays.  Here too are the rules that decide which of two
 * records with one (origin, id) stays (store_pick, store_relayed) and the
 * key order (store_key_cmp), which the merge-join in store.c follows.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "lines.h"
#include "record.h"
#include "store.h"
#include "store-int.h"
#include "timeutil.h"

static int
bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

int
store_key_cmp(
    const char *origin1, const char *id1, const char *origin2, const char *id2)
{
	int c;

	/* strcmp compares as unsigned char: UTF-8 byte order. */
	if ((c = strcmp(origin1, origin2)) != 0)
		return c;
	return strcmp(id1, id2);
}

/* The canonical form of rec without received and expires. */
static void
core_canon(const json_t *rec, struct buf *b)
{
	json_t *c = json_copy((json_t *)rec);
	struct ierr e = IERR_INIT;

	if (c == NULL)
		abort();
	json_object_del(c, "received");
	json_object_del(c, "expires");
	buf_reset(b);
	/* Parsed records have no value without a canonical form. */
	if (jsonio_canon(b, c, &e) != 0)
		abort();
	json_decref(c);
}

int
store_relayed(const json_t *rec)
{
	const json_t *recv = json_object_get(rec, "received");
	const char *from, *origin;

	if (!json_is_object(recv))
		return 0;
	from = json_string_value(json_object_get(recv, "from"));
	origin = record_str(rec, "origin");
	return from != NULL && origin != NULL && strcmp(from, origin) != 0;
}

int
store_pick(const json_t *r1, const char *canon1, size_t len1, const json_t *r2,
    const char *canon2, size_t len2, int *conflict)
{
	struct buf c1 = BUF_INIT, c2 = BUF_INIT;
	int64_t v1 = record_version(r1), v2 = record_version(r2);
	int rel1 = store_relayed(r1), rel2 = store_relayed(r2);
	int c;

	*conflict = 0;
	/* Only the originator speaks for its records. */
	if (rel1 != rel2)
		return rel1 ? 1 : -1;
	if (v1 != v2)
		return v1 > v2 ? -1 : 1;
	if ((c = bytes_cmp(canon1, len1, canon2, len2)) == 0)
		return 0;
	core_canon(r1, &c1);
	core_canon(r2, &c2);
	*conflict = bytes_cmp(c1.data, c1.len, c2.data, c2.len) != 0;
	buf_free(&c1);
	buf_free(&c2);
	return c;
}

struct store_batch *
store_batch_new(void)
{
	return xcalloc(1, sizeof(struct store_batch));
}

void
store_batch_free(struct store_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		free(b->r[i].canon);
		free(b->r[i].origin);
		free(b->r[i].id);
		free(b->r[i].where);
	}
	free(b->r);
	free(b->win);
	free(b);
}

size_t
store_batch_count(const struct store_batch *b)
{
	return b->n;
}

int
store_batch_add(struct store_batch *b, const char *line, size_t len,
    const char *where, struct ierr *e)
{
	struct buf canon = BUF_INIT;
	const char *exp;
	struct nrec *r;
	json_t *rec;
	int rc;

	if ((rc = record_parse(line, len, &rec, e)) != 0) {
		err_prefix(e, "%s", where);
		return rc;
	}
	if ((rc = jsonio_canon(&canon, rec, e)) != 0) {
		json_decref(rec);
		buf_free(&canon);
		err_prefix(e, "%s", where);
		return rc;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->r = xrealloc(b->r, b->cap * sizeof *b->r);
	}
	r = &b->r[b->n];
	memset(r, 0, sizeof *r);
	r->canon = canon.data;
	r->len = canon.len;
	r->origin = xstrdup(record_str(rec, "origin"));
	r->id = xstrdup(record_str(rec, "id"));
	r->version = record_version(rec);
	r->relayed = store_relayed(rec);
	r->withdrawn = record_withdrawn(rec);
	if ((exp = record_str(rec, "expires")) != NULL) {
		if (timeutil_parse(exp, &r->expires) != 0) {
			/* record_validate checks it; be safe anyway. */
			json_decref(rec);
			free(r->canon);
			free(r->origin);
			free(r->id);
			return err_set(e, EXIT_DATAERR,
			    "%s: member \"expires\" is not an RFC 3339 time",
			    where);
		}
		r->has_expires = 1;
	}
	r->where = xstrdup(where);
	json_decref(rec);
	b->n++;
	b->sorted = 0;
	return 0;
}

int
store_batch_read(struct store_batch *b, const char *path, struct ierr *e)
{
	struct buf where = BUF_INIT;
	struct lines *l;
	char *line;
	size_t len;
	int rc = 0, n;

	if ((rc = lines_open(path, &l, e)) != 0)
		return rc;
	while ((n = lines_next(l, &line, &len, e)) > 0) {
		buf_reset(&where);
		buf_printf(&where, "%s:%lu", lines_name(l), lines_lineno(l));
		if ((rc = store_batch_add(b, line, len, where.data, e)) != 0)
			break;
	}
	if (n < 0)
		rc = e->status;
	lines_close(l);
	buf_free(&where);
	return rc;
}

/* (origin, id), then the one that stays first: direct before relayed,
 * then the higher version, then the canonical bytes (store_pick). */
int
store_nrec_cmp(const void *a, const void *b)
{
	const struct nrec *x = a, *y = b;
	int c;

	if ((c = store_key_cmp(x->origin, x->id, y->origin, y->id)) != 0)
		return c;
	if (x->relayed != y->relayed)
		return x->relayed ? 1 : -1;
	if (x->version != y->version)
		return x->version > y->version ? -1 : 1;
	return bytes_cmp(x->canon, x->len, y->canon, y->len);
}

json_t *
store_nrec_json(const struct nrec *r)
{
	struct ierr e = IERR_INIT;
	json_t *rec;

	/* It was parsed once already: it parses again. */
	if (jsonio_parse(r->canon, r->len, &rec, &e) != 0)
		abort();
	return rec;
}
