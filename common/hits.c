#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "exitcodes.h"
#include "hits.h"
#include "jsonio.h"
#include "record.h"
#include "scan.h"

#define PN_LEN 35 /* "pn:" and 32 hex digits */
#define PN_BYTES 16

struct pn_ent {
	unsigned char key[PN_BYTES];
	uint32_t origin; /* from 1; 0: free */
	int multi;	 /* in 2+ origins */
};

struct occ {
	unsigned char key[PN_BYTES];
	const char *origin; /* owned by hits->onames */
	char *id;
	char *path;
};

struct hits {
	struct pn_ent *tab;
	size_t cap; /* a power of two */
	size_t used;
	size_t nmulti;

	json_t *omap;  /* origin -> index from 1 */
	char **onames; /* index - 1 -> name */
	size_t norigins;

	struct occ *occ;
	size_t nocc, capocc;
};

struct hits *
hits_new(void)
{
	struct hits *h = xcalloc(1, sizeof *h);

	h->cap = 1024;
	h->tab = xcalloc(h->cap, sizeof *h->tab);
	h->omap = json_object();
	if (h->omap == NULL)
		abort();
	return h;
}

void
hits_free(struct hits *h)
{
	size_t i;

	if (h == NULL)
		return;
	free(h->tab);
	json_decref(h->omap);
	for (i = 0; i < h->norigins; i++)
		free(h->onames[i]);
	free(h->onames);
	for (i = 0; i < h->nocc; i++) {
		free(h->occ[i].id);
		free(h->occ[i].path);
	}
	free(h->occ);
	free(h);
}

size_t
hits_count(const struct hits *h)
{
	return h->nmulti;
}

size_t
hits_distinct(const struct hits *h)
{
	return h->used;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c - 'a' + 10;
}

/* s is a pseudonym (record_is_pseudonym); its 16 bytes to key. */
static void
pn_decode(const char *s, unsigned char key[PN_BYTES])
{
	size_t i;

	for (i = 0; i < PN_BYTES; i++)
		key[i] = (unsigned char)(hexval(s[3 + 2 * i]) << 4 |
		    hexval(s[4 + 2 * i]));
}

static void
pn_encode(const unsigned char key[PN_BYTES], char out[PN_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	memcpy(out, "pn:", 3);
	for (i = 0; i < PN_BYTES; i++) {
		out[3 + 2 * i] = hex[key[i] >> 4];
		out[4 + 2 * i] = hex[key[i] & 15];
	}
	out[PN_LEN] = '\0';
}

static size_t
pn_hash(const unsigned char key[PN_BYTES])
{
	uint64_t v;

	/* HMAC output: any 8 bytes are as good as a hash. */
	memcpy(&v, key, sizeof v);
	return (size_t)(v ^ (v >> 29));
}

/* The slot holding key, or the free slot where it would go. */
static struct pn_ent *
pn_slot(struct pn_ent *tab, size_t cap, const unsigned char key[PN_BYTES])
{
	size_t i = pn_hash(key) & (cap - 1);

	while (tab[i].origin != 0 && memcmp(tab[i].key, key, PN_BYTES) != 0)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

static void
pn_grow(struct hits *h)
{
	struct pn_ent *old = h->tab, *s;
	size_t oldcap = h->cap, i;

	h->cap *= 2;
	h->tab = xcalloc(h->cap, sizeof *h->tab);
	for (i = 0; i < oldcap; i++) {
		if (old[i].origin == 0)
			continue;
		s = pn_slot(h->tab, h->cap, old[i].key);
		*s = old[i];
	}
	free(old);
}

static uint32_t
origin_index(struct hits *h, const char *origin)
{
	json_t *v = json_object_get(h->omap, origin);

	if (v != NULL)
		return (uint32_t)json_integer_value(v);
	h->onames = xrealloc(h->onames, (h->norigins + 1) * sizeof *h->onames);
	h->onames[h->norigins++] = xstrdup(origin);
	if (json_object_set_new(
		h->omap, origin, json_integer((json_int_t)h->norigins)) != 0)
		abort();
	return (uint32_t)h->norigins;
}

enum pass { PASS_NOTE, PASS_COLLECT };

struct walk {
	struct hits *h;
	enum pass pass;
	uint32_t origin;
	const char *id;
	struct buf path;
};

static void
found(struct walk *w, const char *s)
{
	struct hits *h = w->h;
	unsigned char key[PN_BYTES];
	struct pn_ent *e;
	struct occ *o;

	pn_decode(s, key);
	if (w->pass == PASS_NOTE) {
		if ((h->used + 1) * 4 > h->cap * 3)
			pn_grow(h);
		e = pn_slot(h->tab, h->cap, key);
		if (e->origin == 0) {
			memcpy(e->key, key, PN_BYTES);
			e->origin = w->origin;
			h->used++;
		} else if (e->origin != w->origin && !e->multi) {
			e->multi = 1;
			h->nmulti++;
		}
		return;
	}
	e = pn_slot(h->tab, h->cap, key);
	if (e->origin == 0 || !e->multi)
		return;
	if (h->nocc == h->capocc) {
		h->capocc = h->capocc ? h->capocc * 2 : 64;
		h->occ = xrealloc(h->occ, h->capocc * sizeof *h->occ);
	}
	o = &h->occ[h->nocc++];
	memcpy(o->key, key, PN_BYTES);
	o->origin = h->onames[w->origin - 1];
	o->id = xstrdup(w->id);
	o->path = xstrdup(w->path.data ? w->path.data : "");
}

static void
walk(struct walk *w, const json_t *v)
{
	const char *k;
	json_t *m;
	size_t i, len;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		len = w->path.len;
		json_object_foreach((json_t *)v, k, m)
		{
			if (len > 0)
				buf_addc(&w->path, '.');
			buf_adds(&w->path, k);
			walk(w, m);
			w->path.len = len;
			w->path.data[len] = '\0';
		}
		break;
	case JSON_ARRAY:
		for (i = 0; i < json_array_size(v); i++)
			walk(w, json_array_get(v, i));
		break;
	case JSON_STRING:
		if (record_is_pseudonym(
			json_string_value(v), json_string_length(v)))
			found(w, json_string_value(v));
		break;
	default:
		break;
	}
}

static void
scan(struct hits *h, const json_t *rec, enum pass pass)
{
	struct walk w;
	const char *origin = record_str(rec, "origin");
	const char *id = record_str(rec, "id");

	if (origin == NULL || id == NULL || record_withdrawn(rec))
		return;
	if (pass == PASS_COLLECT && h->nmulti == 0)
		return;
	memset(&w, 0, sizeof w);
	w.h = h;
	w.pass = pass;
	w.origin = origin_index(h, origin);
	w.id = id;
	buf_adds(&w.path, "");
	if (record_is_pseudonym(id, strlen(id)))
		found(&w, id);
	walk(&w, json_object_get(rec, "data"));
	buf_free(&w.path);
}

void
hits_note(struct hits *h, const json_t *rec)
{
	scan(h, rec, PASS_NOTE);
}

void
hits_collect(struct hits *h, const json_t *rec)
{
	scan(h, rec, PASS_COLLECT);
}

/*
 * The scanner's walk over data: the path of each value as walk() builds
 * it, names unescaped and joined by dots, arrays transparent.  base[d] is
 * the length of the path where the d-th open container began.
 */
struct swalk {
	struct walk w;
	size_t base[JSONIO_MAX_DEPTH + 2];
	int isobj[JSONIO_MAX_DEPTH + 2];
	int depth;
	struct buf tmp;
};

static void
path_cut(struct buf *p, size_t len)
{
	p->len = len;
	if (p->data != NULL)
		p->data[len] = '\0';
}

static int
swalk_fn(void *arg, enum scan_event ev, const struct scan_val *v)
{
	struct swalk *s = arg;
	struct buf *p = &s->w.path;
	size_t n;

	switch (ev) {
	case SCAN_KEY:
		if (s->depth == 0)
			break;
		path_cut(p, s->base[s->depth - 1]);
		if (p->len > 0)
			buf_addc(p, '.');
		buf_reserve(p, v->len);
		n = v->esc ? scan_unescape(v->p, v->len, p->data + p->len)
			   : (memcpy(p->data + p->len, v->p, v->len), v->len);
		path_cut(p, p->len + n);
		break;
	case SCAN_BEGIN:
		if (s->depth >= JSONIO_MAX_DEPTH + 2)
			break;
		s->base[s->depth] = p->len;
		s->isobj[s->depth] = v->kind == SCAN_OBJECT;
		s->depth++;
		break;
	case SCAN_END:
		if (s->depth > 0) {
			s->depth--;
			path_cut(p, s->base[s->depth]);
		}
		break;
	case SCAN_LEAF:
		/* A pseudonym needs no escape. */
		if (v->kind == SCAN_STRING && !v->esc &&
		    record_is_pseudonym(v->p, v->len)) {
			buf_reset(&s->tmp);
			buf_add(&s->tmp, v->p, v->len);
			found(&s->w, s->tmp.data);
		}
		break;
	}
	return 0;
}

static void
scan_line(struct hits *h, const char *line, size_t len, enum pass pass)
{
	struct scan_record r;
	struct buf origin = BUF_INIT, id = BUF_INIT;
	struct ierr e = IERR_INIT;
	struct swalk s;
	json_t *rec;

	if (pass == PASS_COLLECT && h->nmulti == 0)
		return;
	/* A first look for the envelope: tombstones hold nothing. */
	if (scan_record(line, len, &r, NULL, NULL) != SCAN_OK) {
		if (jsonio_parse(line, len, &rec, &e) == 0) {
			scan(h, rec, pass);
			json_decref(rec);
		}
		return;
	}
	if (r.withdrawn)
		return;
	buf_reserve(&origin, r.m[SCAN_ORIGIN].vlen);
	origin.len = scan_unescape(
	    r.m[SCAN_ORIGIN].value + 1, r.m[SCAN_ORIGIN].vlen - 2, origin.data);
	origin.data[origin.len] = '\0';
	buf_reserve(&id, r.m[SCAN_ID].vlen);
	id.len = scan_unescape(
	    r.m[SCAN_ID].value + 1, r.m[SCAN_ID].vlen - 2, id.data);
	id.data[id.len] = '\0';
	memset(&s, 0, sizeof s);
	s.w.h = h;
	s.w.pass = pass;
	s.w.origin = origin_index(h, origin.data);
	s.w.id = id.data;
	buf_adds(&s.w.path, "");
	if (record_is_pseudonym(id.data, id.len))
		found(&s.w, id.data);
	/* data itself is not reported: it is the outermost object. */
	s.base[0] = 0;
	s.isobj[0] = 1;
	s.depth = 1;
	scan_record(line, len, &r, swalk_fn, &s);
	buf_free(&s.w.path);
	buf_free(&s.tmp);
	buf_free(&origin);
	buf_free(&id);
}

void
hits_note_line(struct hits *h, const char *line, size_t len)
{
	scan_line(h, line, len, PASS_NOTE);
}

void
hits_collect_line(struct hits *h, const char *line, size_t len)
{
	scan_line(h, line, len, PASS_COLLECT);
}

static int
occ_cmp(const void *a, const void *b)
{
	const struct occ *x = a, *y = b;
	int c;

	if ((c = memcmp(x->key, y->key, PN_BYTES)) != 0)
		return c;
	if ((c = strcmp(x->origin, y->origin)) != 0)
		return c;
	if ((c = strcmp(x->id, y->id)) != 0)
		return c;
	return strcmp(x->path, y->path);
}

static json_t *
occ_json(const struct occ *o)
{
	json_t *r = json_object();

	if (r == NULL ||
	    json_object_set_new(r, "id", json_string(o->id)) != 0 ||
	    json_object_set_new(r, "origin", json_string(o->origin)) != 0 ||
	    json_object_set_new(r, "path", json_string(o->path)) != 0)
		abort();
	return r;
}

int
hits_write(struct hits *h, FILE *f, struct ierr *e)
{
	struct buf b = BUF_INIT;
	char pn[PN_LEN + 1];
	json_t *line, *recs;
	size_t i, j;
	int r = 0;

	if (h->nocc > 1)
		qsort(h->occ, h->nocc, sizeof *h->occ, occ_cmp);
	for (i = 0; i < h->nocc && r == 0; i = j) {
		line = json_object();
		recs = json_array();
		if (line == NULL || recs == NULL)
			abort();
		for (j = i; j < h->nocc &&
		     memcmp(h->occ[j].key, h->occ[i].key, PN_BYTES) == 0;
		     j++) {
			if (j > i && occ_cmp(&h->occ[j], &h->occ[j - 1]) == 0)
				continue;
			json_array_append_new(recs, occ_json(&h->occ[j]));
		}
		pn_encode(h->occ[i].key, pn);
		json_object_set_new(line, "pseudonym", json_string(pn));
		json_object_set_new(line, "records", recs);
		buf_reset(&b);
		r = jsonio_canon(&b, line, e);
		json_decref(line);
		if (r != 0)
			break;
		buf_addc(&b, '\n');
		if (fwrite(b.data, 1, b.len, f) != b.len)
			r = err_errno(e, EXIT_IOERR, "writing hits");
	}
	buf_free(&b);
	return r;
}
