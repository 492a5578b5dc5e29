#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gcrypt.h>
#include <yaml.h>

#include "agreement.h"
#include "base64.h"
#include "buf.h"
#include "exitcodes.h"
#include "secfile.h"
#include "secmem.h"
#include "timeutil.h"

/*
 * The file is read whole, turned into a small tree by libyaml's event
 * parser (which is where anchors, aliases, tags, second documents,
 * duplicate keys and excessive nesting are refused), and the tree is then
 * checked member by member against SPEC 3.  Every check names the node at
 * fault, so every message carries its line and column.
 */

#define AG_MAX_DEPTH	32		/* SPEC 3 needs 5 */
#define AG_MAX_NODES	20000		/* values in the whole file */
#define AG_MAX_ENTRIES	1000		/* in one list or mapping */
#define AG_MAX_FILE	(4 * 1024 * 1024)
#define AG_MAX_MASK	1000000
#define AG_MAX_RETENTION 1000000	/* days: about 2,700 years */

enum nkind { N_SCALAR, N_SEQ, N_MAP };

struct node {
	enum nkind kind;
	char *s;		/* scalar text */
	int plain;		/* written without quotes */
	unsigned long line;	/* from 1 */
	unsigned long col;
	struct node **kid;	/* list: items; mapping: key, value, ... */
	size_t nkid;
	size_t capkid;
};

struct keyent {
	const unsigned char *key;
	const struct node *n;
	size_t party;
	size_t order;
};

struct ld {
	const char *file;
	struct ierr *e;
	struct agreement *a;
	struct node *root;
	size_t nnodes;
	struct keyent *keys;	/* every party's keys, for the twice check */
	size_t nkeys;
	size_t capkeys;
	char qbuf[2][96];
	int qi;
};

/* Mapping values by member name, in the order of the names. */
#define MAX_MEMBERS 16

static void
node_free(struct node *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkid; i++)
		node_free(n->kid[i]);
	free(n->kid);
	free(n->s);
	free(n);
}

static void
node_add(struct node *parent, struct node *n)
{
	if (parent->nkid == parent->capkid) {
		parent->capkid = parent->capkid ? parent->capkid * 2 : 8;
		parent->kid = xrealloc(parent->kid,
		    parent->capkid * sizeof *parent->kid);
	}
	parent->kid[parent->nkid++] = n;
}

/*
 * Text from the file, made safe to show: at most about 60 characters,
 * control characters and quotes escaped.  Two results can be alive at
 * once.
 */
static const char *
q(struct ld *l, const char *s)
{
	char *out = l->qbuf[l->qi];
	size_t o = 0, room = sizeof l->qbuf[0];
	unsigned char c;

	l->qi ^= 1;
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

static int ATTR_PRINTF(5, 6)
lerr_at(struct ld *l, unsigned long line, unsigned long col, int status,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_setv(l->e, status, fmt, ap);
	va_end(ap);
	err_prefix(l->e, "%s:%lu:%lu", l->file, line, col);
	return status;
}

static int ATTR_PRINTF(3, 4)
lerr(struct ld *l, const struct node *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_setv(l->e, EXIT_CONFIG, fmt, ap);
	va_end(ap);
	err_prefix(l->e, "%s:%lu:%lu", l->file, n->line, n->col);
	return EXIT_CONFIG;
}

/* ---------------------------------------------------------------- */
/* From YAML events to a tree */

static int
yaml_fail(struct ld *l, const yaml_parser_t *p, const char *text, size_t len)
{
	unsigned long line = 1, col = 1;
	size_t i;
	const char *problem = p->problem ? p->problem : "unknown error";

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		return lerr_at(l, 1, 1, EXIT_CONFIG, "out of memory");
	case YAML_READER_ERROR:
		/* No mark here, only a byte offset. */
		for (i = 0; i < p->problem_offset && i < len; i++) {
			if (text[i] == '\n') {
				line++;
				col = 1;
			} else if (((unsigned char)text[i] & 0xc0) != 0x80)
				col++;
		}
		return lerr_at(l, line, col, EXIT_CONFIG,
		    "not a readable YAML text: %s", problem);
	default:
		break;
	}
	if (p->context != NULL)
		return lerr_at(l, p->problem_mark.line + 1,
		    p->problem_mark.column + 1, EXIT_CONFIG,
		    "YAML syntax error: %s (%s at %lu:%lu)", problem,
		    p->context, (unsigned long)p->context_mark.line + 1,
		    (unsigned long)p->context_mark.column + 1);
	return lerr_at(l, p->problem_mark.line + 1,
	    p->problem_mark.column + 1, EXIT_CONFIG, "YAML syntax error: %s",
	    problem);
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
static const struct node *
map_duplicate(const struct node *m)
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

static struct node *
node_new(enum nkind kind, const yaml_mark_t *mark)
{
	struct node *n = xcalloc(1, sizeof *n);

	n->kind = kind;
	n->line = (unsigned long)mark->line + 1;
	n->col = (unsigned long)mark->column + 1;
	return n;
}

/*
 * Puts n into the tree (so that it is freed with it) and checks where it
 * stands: a mapping key must be a scalar.
 */
static int
attach(struct ld *l, struct node **stack, size_t depth, struct node *n)
{
	struct node *parent;

	if (++l->nnodes > AG_MAX_NODES) {
		int rc = lerr(l, n, "more than %d values: too large for an "
		    "agreement", AG_MAX_NODES);

		node_free(n);
		return rc;
	}
	if (depth == 0) {
		l->root = n;
		return 0;
	}
	parent = stack[depth - 1];
	node_add(parent, n);
	if ((parent->kind == N_MAP ? (parent->nkid + 1) / 2 : parent->nkid) >
	    AG_MAX_ENTRIES)
		return lerr(l, n, "more than %d entries in one %s",
		    AG_MAX_ENTRIES, parent->kind == N_MAP ? "mapping" : "list");
	if (parent->kind == N_MAP && parent->nkid % 2 == 1 &&
	    n->kind != N_SCALAR)
		return lerr(l, n, "a key must be a scalar, not a %s",
		    n->kind == N_SEQ ? "list" : "mapping");
	return 0;
}

static int
refuse_props(struct ld *l, const yaml_event_t *ev, const yaml_char_t *anchor,
    const yaml_char_t *tag)
{
	const yaml_mark_t *m = &ev->start_mark;

	if (anchor != NULL)
		return lerr_at(l, m->line + 1, m->column + 1, EXIT_CONFIG,
		    "anchors are not allowed (&%s)", (const char *)anchor);
	if (tag != NULL)
		return lerr_at(l, m->line + 1, m->column + 1, EXIT_CONFIG,
		    "tags are not allowed (%s)", q(l, (const char *)tag));
	return 0;
}

static int
on_event(struct ld *l, const yaml_event_t *ev, struct node **stack,
    size_t *depth, int *docs)
{
	const yaml_mark_t *m = &ev->start_mark;
	struct node *n;
	int rc;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if ((*docs)++ > 0)
			return lerr_at(l, m->line + 1, m->column + 1,
			    EXIT_CONFIG, "more than one YAML document");
		if (ev->data.document_start.tag_directives.start !=
		    ev->data.document_start.tag_directives.end)
			return lerr_at(l, m->line + 1, m->column + 1,
			    EXIT_CONFIG, "tags are not allowed (%%TAG)");
		return 0;
	case YAML_ALIAS_EVENT:
		return lerr_at(l, m->line + 1, m->column + 1, EXIT_CONFIG,
		    "aliases are not allowed (*%s)",
		    (const char *)ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		if ((rc = refuse_props(l, ev, ev->data.scalar.anchor,
		    ev->data.scalar.tag)) != 0)
			return rc;
		n = node_new(N_SCALAR, m);
		n->s = xstrndup((const char *)ev->data.scalar.value,
		    ev->data.scalar.length);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if ((rc = attach(l, stack, *depth, n)) != 0)
			return rc;
		if (strlen(n->s) != ev->data.scalar.length)
			return lerr(l, n, "a scalar holds a NUL character");
		return 0;
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		if (ev->type == YAML_SEQUENCE_START_EVENT)
			rc = refuse_props(l, ev, ev->data.sequence_start.anchor,
			    ev->data.sequence_start.tag);
		else
			rc = refuse_props(l, ev, ev->data.mapping_start.anchor,
			    ev->data.mapping_start.tag);
		if (rc != 0)
			return rc;
		n = node_new(ev->type == YAML_SEQUENCE_START_EVENT ? N_SEQ :
		    N_MAP, m);
		if ((rc = attach(l, stack, *depth, n)) != 0)
			return rc;
		if (*depth == AG_MAX_DEPTH)
			return lerr(l, n, "nested more than %d levels deep",
			    AG_MAX_DEPTH);
		stack[(*depth)++] = n;
		return 0;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		n = stack[--(*depth)];
		if (n->kind == N_MAP) {
			const struct node *dup = map_duplicate(n);

			if (dup != NULL)
				return lerr(l, dup, "duplicate key %s",
				    q(l, dup->s));
		}
		return 0;
	default:
		return 0;
	}
}

static int
build_tree(struct ld *l, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	struct node *stack[AG_MAX_DEPTH];
	size_t depth = 0;
	int docs = 0, rc = 0, done = 0;

	if (!yaml_parser_initialize(&p))
		return lerr_at(l, 1, 1, EXIT_CONFIG, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = yaml_fail(l, &p, text, len);
			break;
		}
		if (ev.type == YAML_STREAM_END_EVENT)
			done = 1;
		else
			rc = on_event(l, &ev, stack, &depth, &docs);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc == 0 && l->root == NULL)
		rc = lerr_at(l, 1, 1, EXIT_CONFIG,
		    "empty file: no agreement in it");
	return rc;
}

/* ---------------------------------------------------------------- */
/* Checking the tree */

static const char *
kind_name(const struct node *n)
{
	switch (n->kind) {
	case N_SEQ:
		return "a list";
	case N_MAP:
		return "a mapping";
	default:
		return "a scalar";
	}
}

static int
want(struct ld *l, const struct node *n, enum nkind kind, const char *what)
{
	static const char *names[] = { "a scalar", "a list", "a mapping" };

	if (n->kind == kind)
		return 0;
	return lerr(l, n, "%s must be %s, not %s", what, names[kind],
	    kind_name(n));
}

/* A scalar's text; a plain scalar with nothing in it is no value. */
static int
text(struct ld *l, const struct node *n, const char *what, const char **out)
{
	int rc;

	if ((rc = want(l, n, N_SCALAR, what)) != 0)
		return rc;
	if (n->plain && n->s[0] == '\0')
		return lerr(l, n, "%s has no value", what);
	*out = n->s;
	return 0;
}

/* A name: a non-empty text without control characters. */
static int
word(struct ld *l, const struct node *n, const char *what, const char **out)
{
	const unsigned char *s;
	int rc;

	if ((rc = text(l, n, what, out)) != 0)
		return rc;
	if (**out == '\0')
		return lerr(l, n, "%s is empty", what);
	for (s = (const unsigned char *)*out; *s != '\0'; s++)
		if (*s < 0x20 || *s == 0x7f)
			return lerr(l, n, "%s %s holds a control character",
			    what, q(l, *out));
	return 0;
}

/* Decimal digits, no sign, no leading zero, at most max. */
static int
parse_uint(const char *s, int64_t max, int64_t *out)
{
	int64_t v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

/*
 * Fills vals[] with the values of the mapping's members named in names[]
 * (NULL-terminated; NULL where absent).  An unknown member is an error.
 */
static int
members(struct ld *l, const struct node *m, const char *const *names,
    const struct node **vals, const char *where)
{
	size_t i, j;

	for (j = 0; names[j] != NULL; j++)
		vals[j] = NULL;
	for (i = 0; i + 1 < m->nkid; i += 2) {
		for (j = 0; names[j] != NULL; j++)
			if (strcmp(names[j] + (names[j][0] == '+'),
			    m->kid[i]->s) == 0)
				break;
		if (names[j] == NULL)
			return lerr(l, m->kid[i], "unknown member %s in %s",
			    q(l, m->kid[i]->s), where);
		vals[j] = m->kid[i + 1];
	}
	return 0;
}

/* Every member whose name starts with '+' in names[] must be there. */
static int
required(struct ld *l, const struct node *m, const char *const *names,
    const struct node **vals, const char *where)
{
	size_t j;

	for (j = 0; names[j] != NULL; j++)
		if (vals[j] == NULL && names[j][0] == '+')
			return lerr(l, m, "missing member \"%s\" in %s",
			    names[j] + 1, where);
	return 0;
}

static int
strv_has(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] != NULL && strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/*
 * A list of names: not empty, no name twice.  check(), when given, looks
 * at each one.  *out is allocated at once with *n set, so that
 * agreement_free() can free a half-filled one.
 */
static int
wordlist(struct ld *l, const struct node *n, const char *what,
    const char *itemwhat, char ***out, size_t *nout,
    int (*check)(struct ld *, const struct node *, const char *))
{
	const char *s;
	size_t i;
	int rc;

	if (n->kind == N_SCALAR && !(n->plain && n->s[0] == '\0'))
		return lerr(l, n, "%s must be a list, not a scalar "
		    "(write [%s])", what, q(l, n->s));
	if ((rc = want(l, n, N_SEQ, what)) != 0)
		return rc;
	if (n->nkid == 0)
		return lerr(l, n, "%s is empty", what);
	*out = xcalloc(n->nkid, sizeof **out);
	*nout = n->nkid;
	for (i = 0; i < n->nkid; i++) {
		if ((rc = word(l, n->kid[i], itemwhat, &s)) != 0)
			return rc;
		if (strv_has(*out, i, s))
			return lerr(l, n->kid[i], "%s %s appears twice in %s",
			    itemwhat, q(l, s), what);
		if (check != NULL && (rc = check(l, n->kid[i], s)) != 0)
			return rc;
		(*out)[i] = xstrdup(s);
	}
	return 0;
}

static int
party_code_ok(const char *s)
{
	const char *p;

	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	    (*s >= '0' && *s <= '9')))
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			return 0;
	return p - s <= 64;
}

static int
id_ok(const char *s)
{
	const char *p;

	if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '.' || *p == '_' || *p == '-'))
			return 0;
	return p - s <= 128;
}

/* A date (first or last second) or an RFC 3339 time. */
static int
when(struct ld *l, const struct node *n, const char *what, int last,
    int64_t *t)
{
	const char *s;
	int rc;

	if ((rc = text(l, n, what, &s)) != 0)
		return rc;
	if (timeutil_parse_date(s, t) == 0) {
		if (last)
			*t += 86399;
		return 0;
	}
	if (strlen(s) > 10 && timeutil_parse(s, t) == 0)
		return 0;
	return lerr(l, n, "%s %s is neither a calendar date (YYYY-MM-DD) "
	    "nor an RFC 3339 time", what, q(l, s));
}

/* ---------------------------------------------------------------- */
/* Parties */

static int
keyent_cmp(const void *a, const void *b)
{
	const struct keyent *x = a, *y = b;
	int c = memcmp(x->key, y->key, AG_KEY_LEN);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* A key given twice, in one party or in two, is refused at its second
 * place in the file. */
static int
check_keys_unique(struct ld *l)
{
	const struct keyent *best = NULL, *first = NULL;
	size_t i;

	qsort(l->keys, l->nkeys, sizeof *l->keys, keyent_cmp);
	for (i = 1; i < l->nkeys; i++)
		if (memcmp(l->keys[i - 1].key, l->keys[i].key,
		    AG_KEY_LEN) == 0 && (best == NULL ||
		    l->keys[i].order < best->order)) {
			best = &l->keys[i];
			first = &l->keys[i - 1];
			while (first > l->keys && memcmp(first[-1].key,
			    best->key, AG_KEY_LEN) == 0)
				first--;
		}
	if (best == NULL)
		return 0;
	if (first->party == best->party)
		return lerr(l, best->n, "key appears twice in party %s",
		    q(l, l->a->parties[best->party].code));
	return lerr(l, best->n, "key is already a key of party %s",
	    q(l, l->a->parties[first->party].code));
}

static int
load_key(struct ld *l, const struct node *n, size_t np, size_t k)
{
	unsigned char raw[BASE64_DECODED_MAX(64)];
	const char *s;
	size_t len, got;
	int rc;

	if ((rc = text(l, n, "key", &s)) != 0)
		return rc;
	len = strlen(s);
	if (strncmp(s, "ed25519:", 8) != 0 || len - 8 > 64 ||
	    base64_decode(s + 8, len - 8, raw, &got) != 0 ||
	    got != AG_KEY_LEN)
		return lerr(l, n, "key must read \"ed25519:\" and the base64 "
		    "of 32 bytes");
	memcpy(l->a->parties[np].keys[k], raw, AG_KEY_LEN);
	l->a->parties[np].nkeys = k + 1;
	if (l->nkeys == l->capkeys) {
		l->capkeys = l->capkeys ? l->capkeys * 2 : 16;
		l->keys = xrealloc(l->keys, l->capkeys * sizeof *l->keys);
	}
	l->keys[l->nkeys].key = l->a->parties[np].keys[k];
	l->keys[l->nkeys].n = n;
	l->keys[l->nkeys].party = np;
	l->keys[l->nkeys].order = l->nkeys;
	l->nkeys++;
	return 0;
}

static int
load_party(struct ld *l, const struct node *kn, const struct node *vn,
    size_t np)
{
	static const char *const names[] = { "name", "+keys", NULL };
	const struct node *v[3];
	struct ag_party *p = &l->a->parties[np];
	char where[128];
	const char *s;
	size_t i;
	int rc;

	if ((rc = word(l, kn, "party code", &s)) != 0)
		return rc;
	if (!party_code_ok(s))
		return lerr(l, kn, "party code %s may only hold letters, "
		    "digits, \".\", \"_\" and \"-\", and starts with a letter "
		    "or a digit", q(l, s));
	p->code = xstrdup(s);
	snprintf(where, sizeof where, "party %s", q(l, s));
	if ((rc = want(l, vn, N_MAP, where)) != 0 ||
	    (rc = members(l, vn, names, v, where)) != 0 ||
	    (rc = required(l, vn, names, v, where)) != 0)
		return rc;
	if (v[0] != NULL) {
		if ((rc = text(l, v[0], "name", &s)) != 0)
			return rc;
		p->name = xstrdup(s);
	}
	if (v[1]->kind == N_SCALAR && !(v[1]->plain && v[1]->s[0] == '\0'))
		return lerr(l, v[1], "keys must be a list, not a scalar "
		    "(write [ \"ed25519:...\" ])");
	if ((rc = want(l, v[1], N_SEQ, "keys")) != 0)
		return rc;
	if (v[1]->nkid == 0)
		return lerr(l, v[1], "%s has no keys", where);
	p->keys = xcalloc(v[1]->nkid, sizeof *p->keys);
	for (i = 0; i < v[1]->nkid; i++)
		if ((rc = load_key(l, v[1]->kid[i], np, i)) != 0)
			return rc;
	return 0;
}

static int
load_parties(struct ld *l, const struct node *n)
{
	size_t i;
	int rc;

	if ((rc = want(l, n, N_MAP, "parties")) != 0)
		return rc;
	if (n->nkid == 0)
		return lerr(l, n, "parties is empty");
	l->a->parties = xcalloc(n->nkid / 2, sizeof *l->a->parties);
	l->a->nparties = n->nkid / 2;
	for (i = 0; i + 1 < n->nkid; i += 2)
		if ((rc = load_party(l, n->kid[i], n->kid[i + 1], i / 2)) != 0)
			return rc;
	return check_keys_unique(l);
}

/* ---------------------------------------------------------------- */
/* Rules */

static int
check_party(struct ld *l, const struct node *n, const char *what,
    const char *s)
{
	if (agreement_party(l->a, s) == NULL)
		return lerr(l, n, "%s names %s, which is not a party of this "
		    "agreement", what, q(l, s));
	return 0;
}

static int
check_to(struct ld *l, const struct node *n, const char *s)
{
	return check_party(l, n, "to", s);
}

static int
check_purpose(struct ld *l, const struct node *n, const char *s)
{
	if (!agreement_has_purpose(l->a, s))
		return lerr(l, n, "purpose %s is not among the agreement's "
		    "purposes", q(l, s));
	return 0;
}

static int
seg_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c >= 0x80;
}

/* Splits a path at dots into f->segs; a message in *why if it is bad. */
static int
split_path(struct ag_field *f, const char **why)
{
	const char *p = f->path, *start;
	size_t n = 1, i;

	for (; *p != '\0'; p++)
		n += *p == '.';
	f->segs = xcalloc(n, sizeof *f->segs);
	f->nsegs = n;
	p = f->path;
	for (i = 0; i < n; i++) {
		start = p;
		while (*p != '\0' && *p != '.')
			p++;
		if (p == start) {
			*why = "an empty segment";
			return -1;
		}
		f->segs[i] = xstrndup(start, (size_t)(p - start));
		if (strcmp(f->segs[i], "*") != 0) {
			const char *c;

			for (c = f->segs[i]; *c != '\0'; c++) {
				if (*c == '*') {
					*why = "\"*\" that is not a whole "
					    "segment";
					return -1;
				}
				if (!seg_char_ok((unsigned char)*c)) {
					*why = "a character other than "
					    "letters, digits, \"_\", \"-\"";
					return -1;
				}
			}
		}
		if (*p == '.')
			p++;
	}
	return 0;
}

static int
parse_action(const char *s, enum ag_action *act, int *arg)
{
	int64_t v;

	*arg = 0;
	if (strcmp(s, "keep") == 0)
		*act = AG_KEEP;
	else if (strcmp(s, "drop") == 0)
		*act = AG_DROP;
	else if (strcmp(s, "pseudonymise") == 0)
		*act = AG_PSEUDONYMISE;
	else if (strcmp(s, "generalise:year") == 0)
		*act = AG_GENERALISE_YEAR;
	else if (strcmp(s, "generalise:month") == 0)
		*act = AG_GENERALISE_MONTH;
	else if (strncmp(s, "mask:", 5) == 0 &&
	    parse_uint(s + 5, AG_MAX_MASK, &v) == 0) {
		*act = AG_MASK;
		*arg = (int)v;
	} else if (strncmp(s, "round:", 6) == 0 &&
	    parse_uint(s + 6, 15, &v) == 0) {
		*act = AG_ROUND;
		*arg = (int)v;
	} else
		return -1;
	return 0;
}

static int
load_fields(struct ld *l, struct ag_rule *r, const struct node *n)
{
	struct ag_field *f;
	const char *s, *why;
	size_t i;
	int rc;

	if ((rc = want(l, n, N_MAP, "fields")) != 0)
		return rc;
	r->fields = xcalloc(n->nkid / 2 + 1, sizeof *r->fields);
	for (i = 0; i + 1 < n->nkid; i += 2) {
		f = &r->fields[r->nfields++];
		f->path = xstrdup(n->kid[i]->s);
		f->line = n->kid[i]->line;
		if (split_path(f, &why) != 0)
			return lerr(l, n->kid[i], "bad path %s: %s",
			    q(l, f->path), why);
		if ((rc = text(l, n->kid[i + 1], "action", &s)) != 0)
			return rc;
		if (parse_action(s, &f->action, &f->arg) != 0)
			return lerr(l, n->kid[i + 1], "bad action %s for %s "
			    "(keep, drop, pseudonymise, mask:N, "
			    "generalise:year, generalise:month, round:0 to "
			    "round:15)", q(l, s), q(l, f->path));
	}
	return 0;
}

static int
load_rule(struct ld *l, const struct node *n, struct ag_rule *r)
{
	static const char *const names[] = { "from", "+to", "+ceiling",
	    "+purposes", "+types", "third_party", "ids", "+fields", NULL };
	const struct node *v[9];
	const char *s;
	int k, rc;

	if ((rc = want(l, n, N_MAP, "a rule")) != 0 ||
	    (rc = members(l, n, names, v, "rule")) != 0 ||
	    (rc = required(l, n, names, v, "rule")) != 0)
		return rc;
	r->line = n->line;
	if (v[0] != NULL) {
		if ((rc = word(l, v[0], "from", &s)) != 0 ||
		    (rc = check_party(l, v[0], "from", s)) != 0)
			return rc;
		r->from = xstrdup(s);
	}
	if ((rc = wordlist(l, v[1], "to", "party", &r->to, &r->nto,
	    check_to)) != 0)
		return rc;
	if ((rc = word(l, v[2], "ceiling", &s)) != 0)
		return rc;
	if ((k = agreement_class_rank(l->a, s)) < 0)
		return lerr(l, v[2], "ceiling %s is not among the "
		    "classifications", q(l, s));
	r->ceiling = (size_t)k;
	if ((rc = wordlist(l, v[3], "purposes", "purpose", &r->purposes,
	    &r->npurposes, check_purpose)) != 0 ||
	    (rc = wordlist(l, v[4], "types", "type", &r->types, &r->ntypes,
	    NULL)) != 0)
		return rc;
	r->third_party = AG_THIRD_DENY;
	if (v[5] != NULL) {
		if ((rc = text(l, v[5], "third_party", &s)) != 0)
			return rc;
		if (strcmp(s, "if-releasable") == 0)
			r->third_party = AG_THIRD_IF_RELEASABLE;
		else if (strcmp(s, "deny") != 0)
			return lerr(l, v[5], "third_party must be deny or "
			    "if-releasable, not %s", q(l, s));
	}
	if (v[6] != NULL) {
		if ((rc = text(l, v[6], "ids", &s)) != 0)
			return rc;
		if (strcmp(s, "pseudonymise") == 0)
			r->pseudonymise_ids = 1;
		else if (strcmp(s, "keep") != 0)
			return lerr(l, v[6], "ids must be keep or "
			    "pseudonymise, not %s", q(l, s));
	}
	return load_fields(l, r, v[7]);
}

static int
load_rules(struct ld *l, const struct node *n)
{
	size_t i;
	int rc;

	if ((rc = want(l, n, N_SEQ, "releases")) != 0)
		return rc;
	if (n->nkid == 0)
		return lerr(l, n, "releases is empty");
	l->a->rules = xcalloc(n->nkid, sizeof *l->a->rules);
	for (i = 0; i < n->nkid; i++) {
		l->a->nrules = i + 1;
		if ((rc = load_rule(l, n->kid[i], &l->a->rules[i])) != 0)
			return rc;
	}
	return 0;
}

/* ---------------------------------------------------------------- */
/* The agreement */

static char *
resolve(const char *file, const char *rel)
{
	const char *slash = strrchr(file, '/');
	struct buf b = BUF_INIT;

	if (rel[0] == '/' || slash == NULL)
		return xstrdup(rel);
	buf_add(&b, file, (size_t)(slash - file) + 1);
	buf_adds(&b, rel);
	return b.data;
}

enum {
	M_FORMAT, M_ID, M_VERSION, M_TITLE, M_FROM, M_UNTIL, M_CLASSES,
	M_PURPOSES, M_RETENTION, M_PSK, M_PARTIES, M_RELEASES, M_COUNT
};

static int
load_top(struct ld *l)
{
	static const char *const names[] = { "+intel_agreement", "+id",
	    "+version", "title", "+valid_from", "+valid_until",
	    "+classifications", "+purposes", "retention_days",
	    "pseudonym_key", "+parties", "+releases", NULL };
	const struct node *v[M_COUNT + 1], *root = l->root;
	struct agreement *a = l->a;
	const char *s;
	size_t i;
	int64_t t;
	int rc;

	if (root->kind != N_MAP)
		return lerr(l, root, "the top level must be a mapping, not %s",
		    kind_name(root));
	if ((rc = members(l, root, names, v, "agreement")) != 0 ||
	    (rc = required(l, root, names, v, "agreement")) != 0)
		return rc;

	if ((rc = text(l, v[M_FORMAT], "intel_agreement", &s)) != 0)
		return rc;
	if (strcmp(s, "1") != 0)
		return lerr(l, v[M_FORMAT], "intel_agreement must be 1 (the "
		    "only format this program reads), not %s", q(l, s));

	if ((rc = text(l, v[M_ID], "id", &s)) != 0)
		return rc;
	if (!id_ok(s))
		return lerr(l, v[M_ID], "id %s may only hold a-z, 0-9, \".\", "
		    "\"_\" and \"-\", and starts with a letter or a digit",
		    q(l, s));
	a->id = xstrdup(s);

	if ((rc = text(l, v[M_VERSION], "version", &s)) != 0)
		return rc;
	if (parse_uint(s, INT64_MAX, &a->version) != 0 || a->version < 1)
		return lerr(l, v[M_VERSION], "version must be a positive "
		    "integer, not %s", q(l, s));

	if (v[M_TITLE] != NULL) {
		if ((rc = text(l, v[M_TITLE], "title", &s)) != 0)
			return rc;
		a->title = xstrdup(s);
	}

	if ((rc = when(l, v[M_FROM], "valid_from", 0, &a->valid_from)) != 0 ||
	    (rc = when(l, v[M_UNTIL], "valid_until", 1, &a->valid_until)) != 0)
		return rc;
	if (a->valid_from > a->valid_until)
		return lerr(l, v[M_FROM], "valid_from is after valid_until");

	if ((rc = wordlist(l, v[M_CLASSES], "classifications",
	    "classification", &a->classifications, &a->nclassifications,
	    NULL)) != 0 ||
	    (rc = wordlist(l, v[M_PURPOSES], "purposes", "purpose",
	    &a->purposes, &a->npurposes, NULL)) != 0)
		return rc;

	a->retention_days = -1;
	if (v[M_RETENTION] != NULL) {
		if ((rc = text(l, v[M_RETENTION], "retention_days", &s)) != 0)
			return rc;
		if (parse_uint(s, AG_MAX_RETENTION, &t) != 0)
			return lerr(l, v[M_RETENTION], "retention_days must be "
			    "an integer from 0 to %d, not %s",
			    AG_MAX_RETENTION, q(l, s));
		a->retention_days = t;
	}

	if (v[M_PSK] != NULL) {
		if ((rc = text(l, v[M_PSK], "pseudonym_key", &s)) != 0)
			return rc;
		if (*s == '\0')
			return lerr(l, v[M_PSK], "pseudonym_key is empty");
		a->pseudonym_key = resolve(l->file, s);
	}

	if ((rc = load_parties(l, v[M_PARTIES])) != 0 ||
	    (rc = load_rules(l, v[M_RELEASES])) != 0)
		return rc;

	if (a->pseudonym_key == NULL)
		for (i = 0; i < a->nrules; i++)
			if (agreement_rule_pseudonymises(&a->rules[i]))
				return lerr(l, root, "missing member "
				    "\"pseudonym_key\" in agreement (the rule "
				    "at line %lu pseudonymises)",
				    a->rules[i].line);
	return 0;
}

static int
read_file(const char *path, struct buf *b, struct ierr *e)
{
	FILE *f;
	char chunk[8192];
	size_t n;

	if ((f = fopen(path, "rb")) == NULL)
		return err_errno(e, EXIT_NOINPUT, path);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		buf_add(b, chunk, n);
		if (b->len > AG_MAX_FILE) {
			fclose(f);
			return err_set(e, EXIT_CONFIG, "%s: larger than %d "
			    "bytes: not an agreement", path, AG_MAX_FILE);
		}
	}
	if (ferror(f)) {
		err_errno(e, EXIT_NOINPUT, path);
		fclose(f);
		return EXIT_NOINPUT;
	}
	fclose(f);
	return 0;
}

int
agreement_load(const char *path, struct agreement **out, struct ierr *e)
{
	struct buf b = BUF_INIT;
	struct ld l;
	int rc;

	*out = NULL;
	if ((rc = read_file(path, &b, e)) != 0) {
		buf_free(&b);
		return rc;
	}
	memset(&l, 0, sizeof l);
	l.file = path;
	l.e = e;
	l.a = xcalloc(1, sizeof *l.a);
	l.a->file = xstrdup(path);
	l.a->retention_days = -1;
	rc = build_tree(&l, b.data != NULL ? b.data : "", b.len);
	if (rc == 0)
		rc = load_top(&l);
	node_free(l.root);
	free(l.keys);
	buf_free(&b);
	if (rc != 0) {
		agreement_free(l.a);
		return rc;
	}
	*out = l.a;
	return 0;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
agreement_free(struct agreement *a)
{
	struct ag_rule *r;
	size_t i, j;

	if (a == NULL)
		return;
	for (i = 0; a->rules != NULL && i < a->nrules; i++) {
		r = &a->rules[i];
		free(r->from);
		strv_free(r->to, r->nto);
		strv_free(r->purposes, r->npurposes);
		strv_free(r->types, r->ntypes);
		for (j = 0; j < r->nfields; j++) {
			free(r->fields[j].path);
			strv_free(r->fields[j].segs, r->fields[j].nsegs);
		}
		free(r->fields);
	}
	free(a->rules);
	for (i = 0; a->parties != NULL && i < a->nparties; i++) {
		free(a->parties[i].code);
		free(a->parties[i].name);
		free(a->parties[i].keys);
	}
	free(a->parties);
	strv_free(a->classifications, a->nclassifications);
	strv_free(a->purposes, a->npurposes);
	free(a->pseudonym_key);
	free(a->title);
	free(a->id);
	free(a->file);
	free(a);
}

/* ---------------------------------------------------------------- */
/* Questions about a loaded agreement */

int
agreement_check_window(const struct agreement *a, int64_t now,
    struct ierr *e)
{
	char at[TIMEUTIL_LEN], from[TIMEUTIL_LEN], until[TIMEUTIL_LEN];

	if (now >= a->valid_from && now <= a->valid_until)
		return 0;
	timeutil_format(now, at);
	timeutil_format(a->valid_from, from);
	timeutil_format(a->valid_until, until);
	return err_set(e, EXIT_CONFIG, "%s: agreement %s is not valid at %s "
	    "(valid %s to %s)", a->file, a->id, at, from, until);
}

const struct ag_party *
agreement_party(const struct agreement *a, const char *code)
{
	size_t i;

	for (i = 0; i < a->nparties; i++)
		if (a->parties[i].code != NULL &&
		    strcmp(a->parties[i].code, code) == 0)
			return &a->parties[i];
	return NULL;
}

int
agreement_party_has_key(const struct ag_party *p,
    const unsigned char key[AG_KEY_LEN])
{
	size_t i;

	for (i = 0; i < p->nkeys; i++)
		if (memcmp(p->keys[i], key, AG_KEY_LEN) == 0)
			return 1;
	return 0;
}

int
agreement_class_rank(const struct agreement *a, const char *cls)
{
	size_t i;

	for (i = 0; i < a->nclassifications; i++)
		if (a->classifications[i] != NULL &&
		    strcmp(a->classifications[i], cls) == 0)
			return (int)i;
	return -1;
}

int
agreement_has_purpose(const struct agreement *a, const char *purpose)
{
	return strv_has(a->purposes, a->npurposes, purpose);
}

const struct ag_rule *
agreement_rule(const struct agreement *a, const char *from, const char *to)
{
	const struct ag_rule *r;
	size_t i;

	for (i = 0; i < a->nrules; i++) {
		r = &a->rules[i];
		if (r->from != NULL && strcmp(r->from, from) != 0)
			continue;
		if (strv_has(r->to, r->nto, to))
			return r;
	}
	return NULL;
}

int
agreement_rule_pseudonymises(const struct ag_rule *r)
{
	size_t i;

	if (r->pseudonymise_ids)
		return 1;
	for (i = 0; i < r->nfields; i++)
		if (r->fields[i].action == AG_PSEUDONYMISE)
			return 1;
	return 0;
}

int
agreement_load_pseudonym_key(const struct agreement *a,
    unsigned char **key, size_t *len, struct ierr *e)
{
	int rc;

	*key = NULL;
	*len = 0;
	if (a->pseudonym_key == NULL)
		return err_set(e, EXIT_CONFIG, "%s: the agreement names no "
		    "pseudonym_key", a->file);
	if ((rc = secmem_init(e)) != 0)
		return rc;
	return secfile_read(a->pseudonym_key, &secfile_pseudonym_key, key,
	    len, e);
}
