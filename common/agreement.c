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

#include "agreement.h"
#include "agreement-int.h"
#include "base64.h"
#include "buf.h"
#include "exitcodes.h"
#include "secfile.h"
#include "secmem.h"
#include "timeutil.h"
#include "yamltree.h"

/*
 * The file is read whole, turned into a tree that keeps every value's line
 * and column (yamltree.c, which is where anchors, aliases, tags, second
 * documents, duplicate keys and excessive nesting are refused), and the
 * tree is then checked member by member against SPEC 3.  Every check names
 * the node at fault, so every message carries its line and column.
 */

#define AG_MAX_FILE (4 * 1024 * 1024)
#define AG_MAX_RETENTION 1000000 /* days: about 2,700 years */

/*
 * Text from the file, made safe to show (yamltree_quote); two results can
 * be alive at once.
 */
const char *
ag_q(struct ld *l, const char *s)
{
	const char *r = yamltree_quote(l->qbuf[l->qi], s);

	l->qi ^= 1;
	return r;
}

static int ATTR_PRINTF(5, 6) lerr_at(struct ld *l, unsigned long line,
    unsigned long col, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_setv_at(l->e, status, l->file, line, col, fmt, ap);
	va_end(ap);
	return status;
}

int ATTR_PRINTF(3, 4)
    ag_lerr(struct ld *l, const struct yt_node *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_setv(l->e, EXIT_CONFIG, fmt, ap);
	va_end(ap);
	err_prefix(l->e, "%s:%lu:%lu", l->file, n->line, n->col);
	return EXIT_CONFIG;
}

/* ---------------------------------------------------------------- */
/* Checking the tree */

int
ag_want(
    struct ld *l, const struct yt_node *n, enum yt_kind kind, const char *what)
{
	if (n->kind == kind)
		return 0;
	return ag_lerr(l, n, "%s must be %s, not %s", what,
	    yamltree_kind_name(kind), yamltree_kind_name(n->kind));
}

/* A scalar's text; a plain scalar with nothing in it is no value. */
int
ag_text(
    struct ld *l, const struct yt_node *n, const char *what, const char **out)
{
	int rc;

	if ((rc = ag_want(l, n, YT_SCALAR, what)) != 0)
		return rc;
	if (n->plain && n->s[0] == '\0')
		return ag_lerr(l, n, "%s has no value", what);
	*out = n->s;
	return 0;
}

/* A name: a non-empty text without control characters. */
int
ag_word(
    struct ld *l, const struct yt_node *n, const char *what, const char **out)
{
	const unsigned char *s;
	int rc;

	if ((rc = ag_text(l, n, what, out)) != 0)
		return rc;
	if (**out == '\0')
		return ag_lerr(l, n, "%s is empty", what);
	for (s = (const unsigned char *)*out; *s != '\0'; s++)
		if (*s < 0x20 || *s == 0x7f)
			return ag_lerr(l, n, "%s %s holds a control character",
			    what, ag_q(l, *out));
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
int
ag_members(struct ld *l, const struct yt_node *m, const char *const *names,
    const struct yt_node **vals, const char *where)
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
			return ag_lerr(l, m->kid[i], "unknown member %s in %s",
			    ag_q(l, m->kid[i]->s), where);
		vals[j] = m->kid[i + 1];
	}
	return 0;
}

/* Every member whose name starts with '+' in names[] must be there. */
int
ag_required(struct ld *l, const struct yt_node *m, const char *const *names,
    const struct yt_node **vals, const char *where)
{
	size_t j;

	for (j = 0; names[j] != NULL; j++)
		if (vals[j] == NULL && names[j][0] == '+')
			return ag_lerr(l, m, "missing member \"%s\" in %s",
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
wordlist(struct ld *l, const struct yt_node *n, const char *what,
    const char *itemwhat, char ***out, size_t *nout,
    int (*check)(struct ld *, const struct yt_node *, const char *))
{
	const char *s;
	size_t i;
	int rc;

	if (n->kind == YT_SCALAR && !(n->plain && n->s[0] == '\0'))
		return ag_lerr(l, n,
		    "%s must be a list, not a scalar "
		    "(write [%s])",
		    what, ag_q(l, n->s));
	if ((rc = ag_want(l, n, YT_SEQ, what)) != 0)
		return rc;
	if (n->nkid == 0)
		return ag_lerr(l, n, "%s is empty", what);
	*out = xcalloc(n->nkid, sizeof **out);
	*nout = n->nkid;
	for (i = 0; i < n->nkid; i++) {
		if ((rc = ag_word(l, n->kid[i], itemwhat, &s)) != 0)
			return rc;
		if (strv_has(*out, i, s))
			return ag_lerr(l, n->kid[i],
			    "%s %s appears twice in %s", itemwhat, ag_q(l, s),
			    what);
		if (check != NULL && (rc = check(l, n->kid[i], s)) != 0)
			return rc;
		(*out)[i] = xstrdup(s);
	}
	return 0;
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
when(struct ld *l, const struct yt_node *n, const char *what, int last,
    int64_t *t)
{
	const char *s;
	int rc;

	if ((rc = ag_text(l, n, what, &s)) != 0)
		return rc;
	if (timeutil_parse_date(s, t) == 0) {
		if (last)
			*t += 86399;
		return 0;
	}
	if (strlen(s) > 10 && timeutil_parse(s, t) == 0)
		return 0;
	return ag_lerr(l, n,
	    "%s %s is neither a calendar date (YYYY-MM-DD) "
	    "nor an RFC 3339 time",
	    what, ag_q(l, s));
}

/* ---------------------------------------------------------------- */
/* Rules */

static int
check_party(
    struct ld *l, const struct yt_node *n, const char *what, const char *s)
{
	if (agreement_party(l->a, s) == NULL)
		return ag_lerr(l, n,
		    "%s names %s, which is not a party of this "
		    "agreement",
		    what, ag_q(l, s));
	return 0;
}

static int
check_to(struct ld *l, const struct yt_node *n, const char *s)
{
	return check_party(l, n, "to", s);
}

static int
check_purpose(struct ld *l, const struct yt_node *n, const char *s)
{
	if (!agreement_has_purpose(l->a, s))
		return ag_lerr(l, n,
		    "purpose %s is not among the agreement's "
		    "purposes",
		    ag_q(l, s));
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
load_fields(struct ld *l, struct ag_rule *r, const struct yt_node *n)
{
	struct ag_field *f;
	const char *s, *why;
	char list[256];
	size_t i;
	int rc;

	if ((rc = ag_want(l, n, YT_MAP, "fields")) != 0)
		return rc;
	r->fields = xcalloc(n->nkid / 2 + 1, sizeof *r->fields);
	for (i = 0; i + 1 < n->nkid; i += 2) {
		f = &r->fields[r->nfields++];
		f->path = xstrdup(n->kid[i]->s);
		f->line = n->kid[i]->line;
		if (split_path(f, &why) != 0)
			return ag_lerr(l, n->kid[i], "bad path %s: %s",
			    ag_q(l, f->path), why);
		if ((rc = ag_text(l, n->kid[i + 1], "action", &s)) != 0)
			return rc;
		if (action_parse(s, &f->action, &f->arg) != 0) {
			action_list(list, sizeof list);
			return ag_lerr(l, n->kid[i + 1],
			    "bad action %s for %s "
			    "(%s)",
			    ag_q(l, s), ag_q(l, f->path), list);
		}
	}
	return 0;
}

/* seal: optional (the default) or required; under required, every
 * party the rule sends to must list recipients (SPEC 6a). */
static int
load_seal(struct ld *l, struct ag_rule *r, const struct yt_node *n,
    const struct yt_node *to)
{
	const struct ag_party *p;
	const char *s;
	size_t i;
	int rc;

	r->seal = AG_SEAL_OPTIONAL;
	if (n == NULL)
		return 0;
	if ((rc = ag_text(l, n, "seal", &s)) != 0)
		return rc;
	if (strcmp(s, "required") == 0)
		r->seal = AG_SEAL_REQUIRED;
	else if (strcmp(s, "optional") != 0)
		return ag_lerr(l, n,
		    "seal must be optional or required, not "
		    "%s",
		    ag_q(l, s));
	for (i = 0; r->seal == AG_SEAL_REQUIRED && i < r->nto; i++) {
		p = agreement_party(l->a, r->to[i]);
		if (p != NULL && p->nrecipients == 0)
			return ag_lerr(l, to->kid[i],
			    "the rule says seal: "
			    "required (line %lu), but party %s lists no "
			    "recipients to seal to",
			    n->line, ag_q(l, r->to[i]));
	}
	return 0;
}

static int
load_rule(struct ld *l, const struct yt_node *n, struct ag_rule *r)
{
	static const char *const names[] = { "from", "+to", "+ceiling",
		"+purposes", "+types", "third_party", "ids", "+fields", "seal",
		NULL };
	const struct yt_node *v[10];
	const char *s;
	int k, rc;

	if ((rc = ag_want(l, n, YT_MAP, "a rule")) != 0 ||
	    (rc = ag_members(l, n, names, v, "rule")) != 0 ||
	    (rc = ag_required(l, n, names, v, "rule")) != 0)
		return rc;
	r->line = n->line;
	if (v[0] != NULL) {
		if ((rc = ag_word(l, v[0], "from", &s)) != 0 ||
		    (rc = check_party(l, v[0], "from", s)) != 0)
			return rc;
		r->from = xstrdup(s);
	}
	if ((rc = wordlist(
		 l, v[1], "to", "party", &r->to, &r->nto, check_to)) != 0 ||
	    (rc = load_seal(l, r, v[8], v[1])) != 0)
		return rc;
	if ((rc = ag_word(l, v[2], "ceiling", &s)) != 0)
		return rc;
	if ((k = agreement_class_rank(l->a, s)) < 0)
		return ag_lerr(l, v[2],
		    "ceiling %s is not among the "
		    "classifications",
		    ag_q(l, s));
	r->ceiling = (size_t)k;
	if ((rc = wordlist(l, v[3], "purposes", "purpose", &r->purposes,
		 &r->npurposes, check_purpose)) != 0 ||
	    (rc = wordlist(
		 l, v[4], "types", "type", &r->types, &r->ntypes, NULL)) != 0)
		return rc;
	r->third_party = AG_THIRD_DENY;
	if (v[5] != NULL) {
		if ((rc = ag_text(l, v[5], "third_party", &s)) != 0)
			return rc;
		if (strcmp(s, "if-releasable") == 0)
			r->third_party = AG_THIRD_IF_RELEASABLE;
		else if (strcmp(s, "deny") != 0)
			return ag_lerr(l, v[5],
			    "third_party must be deny or "
			    "if-releasable, not %s",
			    ag_q(l, s));
	}
	if (v[6] != NULL) {
		if ((rc = ag_text(l, v[6], "ids", &s)) != 0)
			return rc;
		if (strcmp(s, "pseudonymise") == 0)
			r->pseudonymise_ids = 1;
		else if (strcmp(s, "keep") != 0)
			return ag_lerr(l, v[6],
			    "ids must be keep or "
			    "pseudonymise, not %s",
			    ag_q(l, s));
	}
	return load_fields(l, r, v[7]);
}

static int
load_rules(struct ld *l, const struct yt_node *n)
{
	size_t i;
	int rc;

	if ((rc = ag_want(l, n, YT_SEQ, "releases")) != 0)
		return rc;
	if (n->nkid == 0)
		return ag_lerr(l, n, "releases is empty");
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
	M_FORMAT,
	M_ID,
	M_VERSION,
	M_TITLE,
	M_FROM,
	M_UNTIL,
	M_CLASSES,
	M_PURPOSES,
	M_RETENTION,
	M_PSK,
	M_PARTIES,
	M_RELEASES,
	M_COUNT
};

static int
load_top(struct ld *l)
{
	static const char *const names[] = { "+intel_agreement", "+id",
		"+version", "title", "+valid_from", "+valid_until",
		"+classifications", "+purposes", "retention_days",
		"pseudonym_key", "+parties", "+releases", NULL };
	const struct yt_node *v[M_COUNT + 1], *root = l->root;
	struct agreement *a = l->a;
	const char *s;
	size_t i;
	int64_t t;
	int rc;

	if (root->kind != YT_MAP)
		return ag_lerr(l, root,
		    "the top level must be a mapping, not %s",
		    yamltree_kind_name(root->kind));
	if ((rc = ag_members(l, root, names, v, "agreement")) != 0 ||
	    (rc = ag_required(l, root, names, v, "agreement")) != 0)
		return rc;

	if ((rc = ag_text(l, v[M_FORMAT], "intel_agreement", &s)) != 0)
		return rc;
	if (strcmp(s, "1") != 0)
		return ag_lerr(l, v[M_FORMAT],
		    "intel_agreement must be 1 (the "
		    "only format this program reads), not %s",
		    ag_q(l, s));

	if ((rc = ag_text(l, v[M_ID], "id", &s)) != 0)
		return rc;
	if (!id_ok(s))
		return ag_lerr(l, v[M_ID],
		    "id %s may only hold a-z, 0-9, \".\", "
		    "\"_\" and \"-\", and starts with a letter or a digit",
		    ag_q(l, s));
	a->id = xstrdup(s);

	if ((rc = ag_text(l, v[M_VERSION], "version", &s)) != 0)
		return rc;
	if (parse_uint(s, INT64_MAX, &a->version) != 0 || a->version < 1)
		return ag_lerr(l, v[M_VERSION],
		    "version must be a positive "
		    "integer, not %s",
		    ag_q(l, s));

	if (v[M_TITLE] != NULL) {
		if ((rc = ag_text(l, v[M_TITLE], "title", &s)) != 0)
			return rc;
		a->title = xstrdup(s);
	}

	if ((rc = when(l, v[M_FROM], "valid_from", 0, &a->valid_from)) != 0 ||
	    (rc = when(l, v[M_UNTIL], "valid_until", 1, &a->valid_until)) != 0)
		return rc;
	if (a->valid_from > a->valid_until)
		return ag_lerr(l, v[M_FROM], "valid_from is after valid_until");

	if ((rc = wordlist(l, v[M_CLASSES], "classifications", "classification",
		 &a->classifications, &a->nclassifications, NULL)) != 0 ||
	    (rc = wordlist(l, v[M_PURPOSES], "purposes", "purpose",
		 &a->purposes, &a->npurposes, NULL)) != 0)
		return rc;

	a->retention_days = -1;
	if (v[M_RETENTION] != NULL) {
		if ((rc = ag_text(l, v[M_RETENTION], "retention_days", &s)) !=
		    0)
			return rc;
		if (parse_uint(s, AG_MAX_RETENTION, &t) != 0)
			return ag_lerr(l, v[M_RETENTION],
			    "retention_days must be "
			    "an integer from 0 to %d, not %s",
			    AG_MAX_RETENTION, ag_q(l, s));
		a->retention_days = t;
	}

	if (v[M_PSK] != NULL) {
		if ((rc = ag_text(l, v[M_PSK], "pseudonym_key", &s)) != 0)
			return rc;
		if (*s == '\0')
			return ag_lerr(l, v[M_PSK], "pseudonym_key is empty");
		a->pseudonym_key = resolve(l->file, s);
	}

	if ((rc = ag_load_parties(l, v[M_PARTIES])) != 0 ||
	    (rc = load_rules(l, v[M_RELEASES])) != 0)
		return rc;

	if (a->pseudonym_key == NULL)
		for (i = 0; i < a->nrules; i++)
			if (agreement_rule_pseudonymises(&a->rules[i]))
				return ag_lerr(l, root,
				    "missing member "
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
			return err_set(e, EXIT_CONFIG,
			    "%s: larger than %d "
			    "bytes: not an agreement",
			    path, AG_MAX_FILE);
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
	rc = yamltree_parse(path, b.data != NULL ? b.data : "", b.len,
	    "an agreement", &l.root, e);
	if (rc == 0 && l.root == NULL)
		rc = lerr_at(
		    &l, 1, 1, EXIT_CONFIG, "empty file: no agreement in it");
	if (rc == 0)
		rc = load_top(&l);
	yamltree_free(l.root);
	free(l.keys);
	free(l.rcpts);
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
		free(a->parties[i].recipients);
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
agreement_check_window(const struct agreement *a, int64_t now, struct ierr *e)
{
	char at[TIMEUTIL_LEN], from[TIMEUTIL_LEN], until[TIMEUTIL_LEN];

	if (now >= a->valid_from && now <= a->valid_until)
		return 0;
	timeutil_format(now, at);
	timeutil_format(a->valid_from, from);
	timeutil_format(a->valid_until, until);
	return err_set(e, EXIT_CONFIG,
	    "%s: agreement %s is not valid at %s "
	    "(valid %s to %s)",
	    a->file, a->id, at, from, until);
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
agreement_party_has_key(
    const struct ag_party *p, const unsigned char key[AG_KEY_LEN])
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
agreement_load_pseudonym_key(
    const struct agreement *a, unsigned char **key, size_t *len, struct ierr *e)
{
	int rc;

	*key = NULL;
	*len = 0;
	if (a->pseudonym_key == NULL)
		return err_set(e, EXIT_CONFIG,
		    "%s: the agreement names no "
		    "pseudonym_key",
		    a->file);
	if ((rc = secmem_init(e)) != 0)
		return rc;
	return secfile_read(
	    a->pseudonym_key, &secfile_pseudonym_key, key, len, e);
}
