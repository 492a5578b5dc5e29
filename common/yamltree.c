#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"
#include "exitcodes.h"
#include "yamltree.h"

/*
 * The text is turned into the tree by libyaml's event parser; the refusals
 * happen as the events come, so that each names the place where the
 * offending thing starts.
 */

struct yp {
	const char *file;
	const char *what;
	struct ierr *e;
	struct yt_node *root;
	size_t nnodes;
	char qbuf[YT_QUOTE_MAX];
};

void
yamltree_free(struct yt_node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkid; i++)
		yamltree_free(n->kid[i]);
	free(n->kid);
	free(n->s);
	free(n);
}

const char *
yamltree_kind_name(enum yt_kind kind)
{
	switch (kind) {
	case YT_SCALAR:
		return "a scalar";
	case YT_SEQ:
		return "a list";
	case YT_MAP:
		return "a mapping";
	}
	return "a scalar";
}

const char *
yamltree_quote(char out[YT_QUOTE_MAX], const char *s)
{
	size_t o = 0, room = YT_QUOTE_MAX;
	unsigned char c;

	out[o++] = '"';
	for (; *s != '\0'; s++) {
		if (o + 8 >= room) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(out + o, room - o, "\\x%02x", c);
		else if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else
			out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

static int ATTR_PRINTF(4, 5) yerr_at(
    struct yp *y, unsigned long line, unsigned long col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_setv_at(y->e, EXIT_CONFIG, y->file, line, col, fmt, ap);
	va_end(ap);
	return EXIT_CONFIG;
}

#define yerr(y, n, ...) yerr_at((y), (n)->line, (n)->col, __VA_ARGS__)
#define yerr_mark(y, m, ...) \
	yerr_at((y), (unsigned long)(m)->line + 1, \
	    (unsigned long)(m)->column + 1, __VA_ARGS__)

static int
yaml_fail(struct yp *y, const yaml_parser_t *p, const char *text, size_t len)
{
	unsigned long line = 1, col = 1;
	size_t i;
	const char *problem = p->problem ? p->problem : "unknown error";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return yerr_at(y, 1, 1, "out of memory");
	case YAML_READER_ERROR:
		/* No mark here, only a byte offset. */
		for (i = 0; i < p->problem_offset && i < len; i++) {
			if (text[i] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)text[i] & 0xc0) != 0x80)
				col++;
		}
		return yerr_at(
		    y, line, col, "not a readable YAML text: %s", problem);
	default:
		break;
	}
	if (p->context != NULL)
		return yerr_mark(y, &p->problem_mark,
		    "YAML syntax error: %s (%s at %lu:%lu)", problem,
		    p->context, (unsigned long)p->context_mark.line + 1,
		    (unsigned long)p->context_mark.column + 1);
	return yerr_mark(y, &p->problem_mark, "YAML syntax error: %s", problem);
}

struct keyref {
	const char *s;
	size_t i;
};

static int
keyref_cmp(const void *a, const void *b)
{
	const struct keyref *x = a, *y = b;
	int c = strcmp(x->s, y->s);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* The first key (in file order) that repeats an earlier one, or NULL. */
static const struct yt_node *
map_duplicate(const struct yt_node *m)
{
	struct keyref *k;
	size_t i, n = m->nkid / 2, best = SIZE_MAX;

	if (n < 2)
		return NULL;
	k = xcalloc(n, sizeof *k);
	for (i = 0; i < n; i++) {
		k[i].s = m->kid[2 * i]->s;
		k[i].i = 2 * i;
	}
	qsort(k, n, sizeof *k, keyref_cmp);
	for (i = 1; i < n; i++)
		if (strcmp(k[i - 1].s, k[i].s) == 0 && k[i].i < best)
			best = k[i].i;
	free(k);
	return best == SIZE_MAX ? NULL : m->kid[best];
}

static struct yt_node *
node_new(enum yt_kind kind, const yaml_mark_t *mark)
{
	struct yt_node *n = xcalloc(1, sizeof *n);

	n->kind = kind;
	n->line = (unsigned long)mark->line + 1;
	n->col = (unsigned long)mark->column + 1;
	return n;
}

static void
node_add(struct yt_node *parent, struct yt_node *n)
{
	if (parent->nkid == parent->capkid) {
		parent->capkid = parent->capkid ? parent->capkid * 2 : 8;
		parent->kid = xrealloc(
		    parent->kid, parent->capkid * sizeof *parent->kid);
	}
	parent->kid[parent->nkid++] = n;
}

/*
 * Puts n into the tree (so that it is freed with it) and checks where it
 * stands: a mapping key must be a scalar.
 */
static int
attach(struct yp *y, struct yt_node **stack, size_t depth, struct yt_node *n)
{
	struct yt_node *parent;

	if (++y->nnodes > YT_MAX_NODES) {
		int rc = yerr(y, n, "more than %d values: too large for %s",
		    YT_MAX_NODES, y->what);

		yamltree_free(n);
		return rc;
	}
	if (depth == 0) {
		y->root = n;
		return 0;
	}
	parent = stack[depth - 1];
	node_add(parent, n);
	if ((parent->kind == YT_MAP ? (parent->nkid + 1) / 2 : parent->nkid) >
	    YT_MAX_ENTRIES)
		return yerr(y, n, "more than %d entries in one %s",
		    YT_MAX_ENTRIES,
		    parent->kind == YT_MAP ? "mapping" : "list");
	if (parent->kind == YT_MAP && parent->nkid % 2 == 1 &&
	    n->kind != YT_SCALAR)
		return yerr(y, n, "a key must be a scalar, not a %s",
		    n->kind == YT_SEQ ? "list" : "mapping");
	return 0;
}

static int
refuse_props(struct yp *y, const yaml_event_t *ev, const yaml_char_t *anchor,
    const yaml_char_t *tag)
{
	const yaml_mark_t *m = &ev->start_mark;

	if (anchor != NULL)
		return yerr_mark(y, m, "anchors are not allowed (&%s)",
		    (const char *)anchor);
	if (tag != NULL)
		return yerr_mark(y, m, "tags are not allowed (%s)",
		    yamltree_quote(y->qbuf, (const char *)tag));
	return 0;
}

static int
on_event(struct yp *y, const yaml_event_t *ev, struct yt_node **stack,
    size_t *depth, int *docs)
{
	const yaml_mark_t *m = &ev->start_mark;
	struct yt_node *n;
	int rc;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if ((*docs)++ > 0)
			return yerr_mark(y, m, "more than one YAML document");
		if (ev->data.document_start.tag_directives.start !=
		    ev->data.document_start.tag_directives.end)
			return yerr_mark(y, m, "tags are not allowed (%%TAG)");
		return 0;
	case YAML_ALIAS_EVENT:
		return yerr_mark(y, m, "aliases are not allowed (*%s)",
		    (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		if ((rc = refuse_props(y, ev, ev->data.scalar.anchor,
			 ev->data.scalar.tag)) != 0)
			return rc;
		n = node_new(YT_SCALAR, m);
		n->s = xstrndup((const char *)ev->data.scalar.value,
		    ev->data.scalar.length);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if ((rc = attach(y, stack, *depth, n)) != 0)
			return rc;
		if (strlen(n->s) != ev->data.scalar.length)
			return yerr(y, n, "a scalar holds a NUL character");
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (ev->type == YAML_SEQUENCE_START_EVENT)
			rc = refuse_props(y, ev, ev->data.sequence_start.anchor,
			    ev->data.sequence_start.tag);
		else
			rc = refuse_props(y, ev, ev->data.mapping_start.anchor,
			    ev->data.mapping_start.tag);
		if (rc != 0)
			return rc;
		n = node_new(
		    ev->type == YAML_SEQUENCE_START_EVENT ? YT_SEQ : YT_MAP, m);
		if ((rc = attach(y, stack, *depth, n)) != 0)
			return rc;
		if (*depth == YT_MAX_DEPTH)
			return yerr(y, n, "nested more than %d levels deep",
			    YT_MAX_DEPTH);
		stack[(*depth)++] = n;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		n = stack[--(*depth)];
		if (n->kind == YT_MAP) {
			const struct yt_node *dup = map_duplicate(n);

			if (dup != NULL)
				return yerr(y, dup, "duplicate key %s",
				    yamltree_quote(y->qbuf, dup->s));
		}
		return 0;
	default:
		return 0;
	}
}

int
yamltree_parse(const char *file, const char *text, size_t len, const char *what,
    struct yt_node **root, struct ierr *e)
{
	struct yp y;
	yaml_parser_t p;
	yaml_event_t ev;
	struct yt_node *stack[YT_MAX_DEPTH];
	size_t depth = 0;
	int docs = 0, rc = 0, done = 0;

	*root = NULL;
	memset(&y, 0, sizeof y);
	y.file = file;
	y.what = what;
	y.e = e;
	if (!yaml_parser_initialize(&p))
		return yerr_at(&y, 1, 1, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = yaml_fail(&y, &p, text, len);
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT)
			done = 1;
		else
			rc = on_event(&y, &ev, stack, &depth, &docs);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc != 0) {
		yamltree_free(y.root);
		return rc;
	}
	*root = y.root;
	return 0;
}
