#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <csv.h>

#include "buf.h"
#include "exitcodes.h"
#include "input.h"
#include "jsonio.h"
#include "lines.h"

static int read_json(struct lines *, input_cb, void *, struct ierr *);
static int read_csv(struct lines *, input_cb, void *, struct ierr *);

/*
 * The formats.  A format of one object per line has a line parser, which
 * -j N runs in worker threads; the others read the whole input and hand
 * each object over in the calling thread.
 */
static const struct format {
	const char *name;
	const char *suffix;
	int (*line)(const char *, size_t, json_t **, struct ierr *);
	int (*read)(struct lines *, input_cb, void *, struct ierr *);
} formats[INPUT_NFORMATS] = {
	[INPUT_NDJSON] = { "ndjson", ".ndjson", input_ndjson_line, NULL },
	[INPUT_JSON] = { "json", ".json", NULL, read_json },
	[INPUT_CSV] = { "csv", ".csv", NULL, read_csv },
};

#define INPUT_DEFAULT INPUT_NDJSON

int
input_format_parse(const char *s, enum input_format *fmt)
{
	for (int i = 0; i < INPUT_NFORMATS; i++)
		if (strcmp(s, formats[i].name) == 0) {
			*fmt = (enum input_format)i;
			return 0;
		}
	return -1;
}

const char *
input_format_name(enum input_format fmt)
{
	return formats[fmt].name;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && strcasecmp(s + n - m, suffix) == 0;
}

enum input_format
input_format_guess(const char *path)
{
	for (int i = 0; path != NULL && i < INPUT_NFORMATS; i++)
		if (ends_with(path, formats[i].suffix))
			return (enum input_format)i;
	return INPUT_DEFAULT;
}

static int
blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/* Hands a parsed value, or the reason it is none, to the callback. */
static int
deliver(input_cb cb, void *arg, const char *name, unsigned long line, json_t *v,
    struct ierr *bad)
{
	if (v != NULL && !json_is_object(v)) {
		json_decref(v);
		v = NULL;
		err_set(bad, EXIT_DATAERR, "not a JSON object");
	}
	return cb(arg, name, line, v, v ? NULL : bad);
}

int
input_ndjson_line(const char *line, size_t len, json_t **obj, struct ierr *bad)
{
	*obj = NULL;
	if (blank(line, len))
		return 1;
	if (jsonio_parse(line, len, obj, bad) != 0)
		return -1;
	if (!json_is_object(*obj)) {
		json_decref(*obj);
		*obj = NULL;
		err_set(bad, EXIT_DATAERR, "not a JSON object");
		return -1;
	}
	return 0;
}

/* A format of one object per line, through its line parser. */
static int
read_lines(struct lines *l, const struct format *f, input_cb cb, void *arg,
    struct ierr *e)
{
	struct ierr bad = IERR_INIT;
	size_t len;
	char *line;
	json_t *v;
	int r, rc;

	while ((r = lines_next(l, &line, &len, e)) == 1) {
		err_clear(&bad);
		if (f->line(line, len, &v, &bad) == 1)
			continue;
		if ((rc = cb(arg, lines_name(l), lines_lineno(l), v,
			 v ? NULL : &bad)) != 0)
			return rc;
	}
	return r < 0 ? e->status : 0;
}

/* ---- a JSON document: an object, or an array of objects ---- */

struct scan {
	const char *s;
	size_t len, pos;
	unsigned long line;
};

static void
skip_ws(struct scan *sc)
{
	while (sc->pos < sc->len) {
		char c = sc->s[sc->pos];

		if (c == '\n')
			sc->line++;
		else if (c != ' ' && c != '\t' && c != '\r')
			break;
		sc->pos++;
	}
}

/*
 * Skips one value without judging it (jsonio_parse does that), keeping
 * brackets balanced and strings whole so that the element's end is found.
 * Returns -1 if the document ends first or brackets do not match.
 */
static int
skip_value(struct scan *sc, struct buf *stack)
{
	buf_reset(stack);
	do {
		char c;

		if (sc->pos >= sc->len)
			return -1;
		c = sc->s[sc->pos];
		if (c == '"') {
			for (sc->pos++;
			     sc->pos < sc->len && sc->s[sc->pos] != '"';
			     sc->pos++) {
				if (sc->s[sc->pos] == '\\')
					sc->pos++;
				else if (sc->s[sc->pos] == '\n')
					sc->line++;
			}
			if (sc->pos >= sc->len)
				return -1;
			sc->pos++;
		} else if (c == '[' || c == '{') {
			buf_addc(stack, c == '[' ? ']' : '}');
			sc->pos++;
		} else if (c == ']' || c == '}') {
			if (stack->len == 0 || stack->data[stack->len - 1] != c)
				return -1;
			stack->len--;
			sc->pos++;
		} else if (c == '\n') {
			sc->line++;
			sc->pos++;
		} else if (stack->len == 0 &&
		    (c == ',' || c == ' ' || c == '\t' || c == '\r')) {
			break;
		} else {
			sc->pos++;
		}
	} while (stack->len > 0);
	return 0;
}

static int
doc_error(input_cb cb, void *arg, const char *name, unsigned long line,
    const char *what)
{
	struct ierr bad = IERR_INIT;

	err_set(&bad, EXIT_DATAERR, "%s", what);
	return cb(arg, name, line, NULL, &bad);
}

struct element {
	unsigned long line;
	json_t *v;
};

/*
 * Splits the document into its elements and parses each.  Any syntax
 * error makes the whole document invalid: the callback hears only of that
 * error and nothing of the document is delivered.
 */
static int
scan_elements(struct scan *sc, const char *name, input_cb cb, void *arg)
{
	struct ierr bad = IERR_INIT;
	struct buf stack = BUF_INIT;
	struct element *els = NULL;
	size_t nels = 0, cap = 0;
	unsigned long errline = 0;
	const char *what = NULL;
	int array, rc = 0;

	skip_ws(sc);
	if (sc->pos >= sc->len) {
		what = "empty input: expected a JSON object or an array of "
		       "objects";
		errline = sc->line;
		goto out;
	}
	array = sc->s[sc->pos] == '[';
	if (array) {
		sc->pos++;
		skip_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
			sc->pos++;
			goto tail;
		}
	}
	for (;;) {
		size_t start = sc->pos;
		unsigned long line = sc->line;
		json_t *v = NULL;

		if (skip_value(sc, &stack) != 0 || sc->pos == start) {
			what = "invalid JSON: unterminated or unbalanced value";
			errline = line;
			goto out;
		}
		if (jsonio_parse(sc->s + start, sc->pos - start, &v, &bad)) {
			what = bad.msg;
			errline = line;
			goto out;
		}
		if (nels == cap) {
			cap = cap ? 2 * cap : 64;
			els = xrealloc(els, cap * sizeof *els);
		}
		els[nels].line = line;
		els[nels++].v = v;
		skip_ws(sc);
		if (!array)
			break;
		if (sc->pos < sc->len && sc->s[sc->pos] == ',') {
			sc->pos++;
			skip_ws(sc);
			continue;
		}
		if (sc->pos < sc->len && sc->s[sc->pos] == ']') {
			sc->pos++;
			break;
		}
		what =
		    "invalid JSON: expected ',' or ']' after an array element";
		errline = sc->line;
		goto out;
	}
tail:
	skip_ws(sc);
	if (sc->pos < sc->len) {
		what = "invalid JSON: unexpected text after the document";
		errline = sc->line;
	}
out:
	if (what != NULL)
		rc = doc_error(cb, arg, name, errline, what);
	for (size_t i = 0; i < nels; i++) {
		if (what != NULL || rc != 0) {
			json_decref(els[i].v);
			continue;
		}
		err_clear(&bad);
		rc = deliver(cb, arg, name, els[i].line, els[i].v, &bad);
	}
	free(els);
	buf_free(&stack);
	return rc;
}

static int
read_json(struct lines *l, input_cb cb, void *arg, struct ierr *e)
{
	struct buf doc = BUF_INIT;
	FILE *f = lines_stream(l);
	struct scan sc;
	char chunk[65536];
	size_t n;
	int rc;

	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_add(&doc, chunk, n);
	if (ferror(f)) {
		buf_free(&doc);
		return err_set(e, EXIT_IOERR, "%s: read error: %s",
		    lines_name(l), strerror(errno ? errno : EIO));
	}
	sc.s = doc.data ? doc.data : "";
	sc.len = doc.len;
	sc.pos = 0;
	sc.line = 1;
	rc = scan_elements(&sc, lines_name(l), cb, arg);
	buf_free(&doc);
	return rc;
}

/* ---- CSV ---- */

struct column {
	char **segs;
	size_t nsegs;
};

struct csvstate {
	input_cb cb;
	void *arg;
	const char *name;
	struct column *cols; /* the header, once read */
	size_t ncols;
	int have_header;
	char **cells; /* the current row; NULL for an empty cell */
	size_t ncells, cap;
	unsigned long row_line; /* where the current row starts */
	int stop;		/* the callback's non-zero answer */
	int fatal;		/* the header was bad: nothing more to read */
};

static void
on_field(void *s, size_t len, void *data)
{
	struct csvstate *st = data;

	if (st->ncells == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 16;
		st->cells = xrealloc(st->cells, st->cap * sizeof *st->cells);
	}
	st->cells[st->ncells++] = (s == NULL || len == 0) ? NULL
							  : xstrndup(s, len);
	/* A NUL inside a cell would be cut here; note it as invalid. */
	if (s != NULL && len > 0 && memchr(s, '\0', len) != NULL) {
		free(st->cells[st->ncells - 1]);
		st->cells[st->ncells - 1] = xstrdup("\x01NUL");
	}
}

static void
free_cells(struct csvstate *st)
{
	for (size_t i = 0; i < st->ncells; i++)
		free(st->cells[i]);
	st->ncells = 0;
}

static int
header_error(struct csvstate *st, const char *fmt, ...) ATTR_PRINTF(2, 3);

static int
header_error(struct csvstate *st, const char *fmt, ...)
{
	struct ierr bad = IERR_INIT;
	va_list ap;

	va_start(ap, fmt);
	err_setv(&bad, EXIT_DATAERR, fmt, ap);
	va_end(ap);
	st->fatal = 1;
	st->stop = st->cb(st->arg, st->name, st->row_line, NULL, &bad);
	return -1;
}

static int
read_header(struct csvstate *st)
{
	st->cols = xcalloc(st->ncells, sizeof *st->cols);
	st->ncols = st->ncells;
	for (size_t i = 0; i < st->ncells; i++) {
		char *name = st->cells[i], *p, *dot;
		struct column *c = &st->cols[i];

		if (name == NULL)
			return header_error(st,
			    "empty column name in the "
			    "header");
		for (p = name;; p = dot + 1) {
			dot = strchr(p, '.');
			if (dot == p || *p == '\0')
				return header_error(st,
				    "column name \"%.60s\" "
				    "has an empty part",
				    name);
			c->segs = xrealloc(
			    c->segs, (c->nsegs + 1) * sizeof *c->segs);
			c->segs[c->nsegs++] = dot
			    ? xstrndup(p, (size_t)(dot - p))
			    : xstrdup(p);
			if (dot == NULL)
				break;
		}
		/* No column may repeat another or lie inside another. */
		for (size_t j = 0; j < i; j++) {
			struct column *o = &st->cols[j];
			size_t k, n = c->nsegs < o->nsegs ? c->nsegs : o->nsegs;

			for (k = 0; k < n; k++)
				if (strcmp(c->segs[k], o->segs[k]) != 0)
					break;
			if (k == n)
				return header_error(st,
				    "column \"%.60s\" "
				    "clashes with an earlier column",
				    name);
		}
	}
	st->have_header = 1;
	return 0;
}

static int
cell_value(
    const char *key, int top, const char *cell, json_t **out, struct ierr *bad)
{
	if (strcmp(cell, "\x01NUL") == 0)
		return err_set(bad, EXIT_DATAERR,
		    "column \"%.60s\": a NUL "
		    "byte in a cell",
		    key);
	if (top && strcmp(key, "version") == 0) {
		char *end;
		long long v;

		errno = 0;
		v = strtoll(cell, &end, 10);
		if (errno || *end != '\0' || end == cell ||
		    !(cell[0] >= '0' && cell[0] <= '9'))
			return err_set(bad, EXIT_DATAERR,
			    "column \"version\" "
			    "must be an integer");
		*out = json_integer(v);
		return 0;
	}
	if (top &&
	    (strcmp(key, "purposes") == 0 ||
		strcmp(key, "releasable_to") == 0)) {
		json_t *list = json_array();
		const char *p = cell, *semi;

		for (;; p = semi + 1) {
			semi = strchr(p, ';');
			json_t *s = json_stringn(
			    p, semi ? (size_t)(semi - p) : strlen(p));
			if (s == NULL) {
				json_decref(list);
				return err_set(bad, EXIT_DATAERR,
				    "column "
				    "\"%s\": invalid UTF-8",
				    key);
			}
			json_array_append_new(list, s);
			if (semi == NULL)
				break;
		}
		*out = list;
		return 0;
	}
	if ((*out = json_string(cell)) == NULL)
		return err_set(bad, EXIT_DATAERR,
		    "column \"%.60s\": invalid "
		    "UTF-8",
		    key);
	return 0;
}

static json_t *
row_object(struct csvstate *st, struct ierr *bad)
{
	json_t *obj = json_object();

	if (st->ncells != st->ncols) {
		err_set(bad, EXIT_DATAERR,
		    "row has %zu cells, the header has "
		    "%zu columns",
		    st->ncells, st->ncols);
		goto fail;
	}
	for (size_t i = 0; i < st->ncols; i++) {
		struct column *c = &st->cols[i];
		json_t *at = obj, *v;

		if (st->cells[i] == NULL)
			continue;
		for (size_t k = 0; k + 1 < c->nsegs; k++) {
			json_t *next = json_object_get(at, c->segs[k]);

			if (next == NULL) {
				next = json_object();
				json_object_set_new(at, c->segs[k], next);
			}
			at = next;
		}
		if (cell_value(c->segs[c->nsegs - 1], c->nsegs == 1,
			st->cells[i], &v, bad) != 0)
			goto fail;
		json_object_set_new(at, c->segs[c->nsegs - 1], v);
	}
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

static void
on_row(int c, void *data)
{
	struct csvstate *st = data;
	struct ierr bad = IERR_INIT;
	json_t *obj;

	(void)c;
	if (st->stop || st->fatal) {
		free_cells(st);
		return;
	}
	if (!st->have_header) {
		read_header(st);
		free_cells(st);
		return;
	}
	obj = row_object(st, &bad);
	st->stop = st->cb(
	    st->arg, st->name, st->row_line, obj, obj ? NULL : &bad);
	free_cells(st);
}

static int
no_space(unsigned char c)
{
	(void)c;
	return 0;
}

static int
read_csv(struct lines *l, input_cb cb, void *arg, struct ierr *e)
{
	struct csv_parser p;
	struct csvstate st;
	struct ierr bad = IERR_INIT;
	int r, in_row = 0, rc = 0;
	size_t len;
	char *line;

	memset(&st, 0, sizeof st);
	st.cb = cb;
	st.arg = arg;
	st.name = lines_name(l);
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI | CSV_EMPTY_IS_NULL) != 0)
		return err_set(e, EXIT_IOERR, "cannot start the CSV parser");
	csv_set_space_func(&p, no_space);
	while (
	    !st.stop && !st.fatal && (r = lines_next(l, &line, &len, e)) == 1) {
		unsigned long before = lines_lineno(l);

		if (before == 1 && len >= 3 &&
		    memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			line +=
			    3; /* a byte-order mark, as spreadsheets write */
			len -= 3;
		}
		if (!in_row) {
			if (len == 0 || blank(line, len))
				continue;
			st.row_line = before;
			in_row = 1;
		}
		if (csv_parse(&p, line, len, on_field, on_row, &st) != len ||
		    csv_parse(&p, "\n", 1, on_field, on_row, &st) != 1) {
			err_set(&bad, EXIT_DATAERR, "invalid CSV: %s",
			    csv_strerror(csv_error(&p)));
			st.stop = cb(arg, st.name, st.row_line, NULL, &bad);
			st.fatal = 1;
			break;
		}
		/* The row ended with this line unless a quoted cell goes on
		 * (the parser is then still inside a row). */
		in_row = p.pstate != 0;
	}
	if (r < 0)
		rc = e->status;
	else if (!st.stop && !st.fatal &&
	    csv_fini(&p, on_field, on_row, &st) != 0) {
		err_set(&bad, EXIT_DATAERR,
		    "invalid CSV: a quoted cell is "
		    "not closed");
		st.stop = cb(arg, st.name, st.row_line, NULL, &bad);
	}
	free_cells(&st);
	free(st.cells);
	for (size_t i = 0; i < st.ncols; i++) {
		for (size_t k = 0; k < st.cols[i].nsegs; k++)
			free(st.cols[i].segs[k]);
		free(st.cols[i].segs);
	}
	free(st.cols);
	csv_free(&p);
	return rc ? rc : st.stop;
}

int
input_read(const char *path, enum input_format fmt, input_cb cb, void *arg,
    struct ierr *e)
{
	const struct format *f = &formats[fmt];
	struct lines *l;
	int rc;

	if ((rc = lines_open(path, &l, e)) != 0)
		return rc;
	if (f->line != NULL)
		rc = read_lines(l, f, cb, arg, e);
	else
		rc = f->read(l, cb, arg, e);
	lines_close(l);
	return rc;
}

/* ---- work and commit (input_run) ---- */

struct run {
	const struct format *f;
	const struct input_ops *ops;
	void *arg;
	size_t skip_off; /* in an item's data, after the caller's */
};

/* A line-by-line format: each worker parses its lines, then works. */
struct lines_worker {
	const struct run *run;
	void *w;
};

static void *
lines_worker_new(void *arg, struct ierr *e)
{
	const struct run *run = arg;
	struct lines_worker *lw = xcalloc(1, sizeof *lw);

	lw->run = run;
	if ((lw->w = run->ops->worker_new(run->arg, e)) == NULL) {
		free(lw);
		return NULL;
	}
	return lw;
}

static void
lines_worker_free(void *p)
{
	struct lines_worker *lw = p;

	lw->run->ops->worker_free(lw->w);
	free(lw);
}

static void
lines_work(void *p, struct par_item *it)
{
	struct lines_worker *lw = p;
	const struct run *run = lw->run;
	json_t *obj;

	switch (run->f->line(it->line, it->len, &obj, &it->err)) {
	case 1:
		*(int *)((char *)it->data + run->skip_off) = 1;
		break;
	case 0:
		run->ops->work(lw->w, obj, it);
		break;
	default:
		it->status = it->err.status;
		break;
	}
}

static int
lines_commit(void *arg, struct par_item *it)
{
	const struct run *run = arg;

	if (*(int *)((char *)it->data + run->skip_off))
		return 0; /* a blank line */
	return run->ops->commit(run->arg, it);
}

/* A whole-input format: every object worked and committed in turn. */
struct serial {
	const struct run *run;
	void *w;
	struct par_item it;
};

static int
serial_object(void *arg, const char *name, unsigned long line, json_t *obj,
    const struct ierr *bad)
{
	struct serial *s = arg;
	const struct input_ops *ops = s->run->ops;
	struct par_item *it = &s->it;

	buf_reset(&it->out);
	buf_reset(&it->side);
	err_clear(&it->err);
	it->status = 0;
	if (ops->data_size)
		memset(it->data, 0, ops->data_size);
	it->name = name;
	it->lineno = line;
	if (obj != NULL)
		ops->work(s->w, obj, it);
	else {
		it->err = *bad;
		it->status = bad->status;
	}
	return ops->commit(s->run->arg, it);
}

static int
run_serial(struct lines *l, const struct run *run, struct ierr *e)
{
	struct serial s;
	int rc;

	memset(&s, 0, sizeof s);
	s.run = run;
	if ((s.w = run->ops->worker_new(run->arg, e)) == NULL)
		return e->status ? e->status : EXIT_IOERR;
	s.it.data = xcalloc(1, run->ops->data_size + 1);
	rc = run->f->read(l, serial_object, &s, e);
	buf_free(&s.it.out);
	buf_free(&s.it.side);
	free(s.it.data);
	run->ops->worker_free(s.w);
	return rc;
}

int
input_run(const char *path, enum input_format fmt, int jobs,
    const struct input_ops *ops, void *arg, struct ierr *e)
{
	struct run run = { &formats[fmt], ops, arg, 0 };
	struct lines *l;
	int rc;

	if ((rc = lines_open(path, &l, e)) != 0)
		return rc;
	if (run.f->line != NULL) {
		const size_t a = sizeof(int);
		struct par_ops po = {
			.worker_new = lines_worker_new,
			.worker_free = lines_worker_free,
			.work = lines_work,
			.commit = lines_commit,
		};

		run.skip_off = (ops->data_size + a - 1) / a * a;
		po.data_size = run.skip_off + sizeof(int);
		rc = par_run(l, jobs, &po, &run, e);
	} else
		rc = run_serial(l, &run, e);
	lines_close(l);
	return rc;
}
