#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>

#include "action.h"
#include "buf.h"
#include "crypto.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "policy.h"
#include "record.h"
#include "ruletree.h"
#include "secmem.h"
#include "timeutil.h"

/*
 * The field rules are compiled into a tree of path segments (ruletree.c).
 * Walking a record's data, the engine keeps the set of tree nodes the
 * current path reaches (at most one per rule) and the most specific rule
 * met so far.  Where no node of the set has children, nothing below can
 * match a deeper rule, and the best rule acts on the whole subtree.
 */
struct policy {
	const struct agreement *a;
	const struct ag_rule *rule;
	char *from;
	char *to;
	int64_t now;
	struct ruletree tree;
	const struct rt_node **act; /* (maxdepth + 2) * width */
	size_t *nact;		    /* maxdepth + 2 */
	struct crypto_hmac *hmac;   /* NULL without a key */
	struct buf norm;	    /* scratch: normalised text */
	struct buf tmp;		    /* scratch: transformed text */
	struct buf path;	    /* scratch: rendered paths */
};

static const char *const reason_names[POLICY_NREASONS] = { "type",
	"classification", "purpose", "releasable_to", "third_party",
	"expired" };

const char *
policy_reason_name(int reason)
{
	if (reason < 0 || reason >= POLICY_NREASONS)
		return NULL;
	return reason_names[reason];
}

void
policy_stats_add(struct policy_stats *to, const struct policy_stats *from)
{
	to->read += from->read;
	to->released += from->released;
	for (int i = 0; i < POLICY_NREASONS; i++)
		to->withheld[i] += from->withheld[i];
	for (int i = 0; i < AG_NACTIONS; i++)
		to->values[i] += from->values[i];
	to->unfit += from->unfit;
}

unsigned long
policy_stats_word(const struct policy_stats *s, enum ag_action act)
{
	const char *w = action_defs[act].word;
	unsigned long n = 0;

	if (w == NULL)
		return 0;
	for (int i = 0; i < AG_NACTIONS; i++)
		if (action_defs[i].word != NULL &&
		    strcmp(action_defs[i].word, w) == 0)
			n += s->values[i];
	return n;
}

/* Rule tree. */

static void
compile(struct policy *p)
{
	const struct ruletree *t = &p->tree;

	ruletree_build(&p->tree, p->rule);
	p->act = xcalloc((t->maxdepth + 2) * t->width, sizeof *p->act);
	p->nact = xcalloc(t->maxdepth + 2, sizeof *p->nact);
}

/* Life cycle. */

int
policy_new(const struct agreement *a, const char *from, const char *to,
    int64_t now, int flags, struct policy **out, struct ierr *e)
{
	const struct ag_rule *r;
	struct policy *p;
	unsigned char *key;
	size_t keylen;
	int rc;

	if (agreement_party(a, from) == NULL)
		return err_set(e, EXIT_CONFIG,
		    "%s: sender %s is not a party "
		    "to agreement %s",
		    a->file, from, a->id);
	if (agreement_party(a, to) == NULL)
		return err_set(e, EXIT_CONFIG,
		    "%s: recipient %s is not a party "
		    "to agreement %s",
		    a->file, to, a->id);
	if ((r = agreement_rule(a, from, to)) == NULL)
		return err_set(e, EXIT_CONFIG,
		    "%s: agreement %s has no release "
		    "rule from %s to %s",
		    a->file, a->id, from, to);
	p = xcalloc(1, sizeof *p);
	p->a = a;
	p->rule = r;
	p->from = xstrdup(from);
	p->to = xstrdup(to);
	p->now = now;
	compile(p);
	if ((flags & POLICY_KEY) && agreement_rule_pseudonymises(r)) {
		if ((rc = agreement_load_pseudonym_key(a, &key, &keylen, e)) !=
		    0) {
			policy_free(p);
			return rc;
		}
		p->hmac = crypto_hmac_new(key, keylen);
		gcry_free(key);
	}
	*out = p;
	return 0;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	crypto_hmac_free(p->hmac);
	ruletree_free(&p->tree);
	free(p->act);
	free(p->nact);
	free(p->from);
	free(p->to);
	if (p->norm.data != NULL)
		secmem_wipe(p->norm.data, p->norm.cap);
	buf_free(&p->norm);
	buf_free(&p->tmp);
	buf_free(&p->path);
	free(p);
}

const struct ag_rule *
policy_rule(const struct policy *p)
{
	return p->rule;
}

void
policy_pair(const struct policy *p, const struct agreement **a,
    const char **from, const char **to, int64_t *now)
{
	*a = p->a;
	*from = p->from;
	*to = p->to;
	*now = p->now;
}

/* Pseudonyms. */

static int
hmac_pn(struct policy *p, const char *msg, size_t len, char out[POLICY_PN_LEN],
    struct ierr *e)
{
	unsigned char mac[CRYPTO_SHA256_LEN];

	if (p->hmac == NULL)
		return err_set(e, EXIT_CONFIG, "no pseudonym key loaded");
	crypto_hmac(p->hmac, msg, len, mac);
	memcpy(out, "pn:", 3);
	crypto_hex(mac, 16, out + 3);
	return 0;
}

int
policy_pseudonym(struct policy *p, const char *s, size_t len,
    char out[POLICY_PN_LEN], struct ierr *e)
{
	struct buf *n = &p->norm;

	buf_reset(n);
	buf_reserve(n, len);
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if (c == ' ' || c == '-')
			continue;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		n->data[n->len++] = c;
	}
	n->data[n->len] = '\0';
	return hmac_pn(p, n->data, n->len, out, e);
}

/* Record-level decisions, in SPEC order. */

static int
in_list(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

static int
json_list_has(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) if (json_is_string(v) &&
	    strcmp(json_string_value(v), s) == 0) return 1;
	return 0;
}

static int
decide(const struct policy *p, const json_t *rec)
{
	const struct ag_rule *r = p->rule;
	const char *type = record_str(rec, "type");
	const char *cls = record_str(rec, "classification");
	const char *origin = record_str(rec, "origin");
	const char *expires = record_str(rec, "expires");
	json_t *purposes = json_object_get(rec, "purposes");
	json_t *rel = json_object_get(rec, "releasable_to");
	int rank, found = 0;
	int64_t t;
	size_t i;
	json_t *v;

	if (type == NULL || !in_list(r->types, r->ntypes, type))
		return POLICY_TYPE;
	if (cls == NULL || (rank = agreement_class_rank(p->a, cls)) < 0 ||
	    (size_t)rank > r->ceiling)
		return POLICY_CLASSIFICATION;
	json_array_foreach(purposes, i, v) if (json_is_string(v) &&
	    in_list(r->purposes, r->npurposes, json_string_value(v))) found = 1;
	if (!found)
		return POLICY_PURPOSE;
	if (rel != NULL && !json_list_has(rel, p->to))
		return POLICY_RELEASABLE_TO;
	/* No partner speaks for the recipient's own records, whoever sends
	 * them: a relayed version or recall would replace the originals. */
	if (origin == NULL || strcmp(origin, p->to) == 0 ||
	    (strcmp(origin, p->from) != 0 &&
		(r->third_party == AG_THIRD_DENY || rel == NULL ||
		    !json_list_has(rel, p->to))))
		return POLICY_THIRD_PARTY;
	/* An expiry that does not read as a time fails closed. */
	if (expires != NULL && (timeutil_parse(expires, &t) != 0 || t < p->now))
		return POLICY_EXPIRED;
	if (expires == NULL && json_object_get(rec, "expires") != NULL)
		return POLICY_EXPIRED;
	return POLICY_RELEASED;
}

/* The walk over data. */

struct seg {
	const struct seg *up;
	const char *name; /* NULL: an array position */
	size_t index;
};

struct walk {
	struct policy *p;
	struct policy_stats *st;
	policy_explain_fn *fn;
	void *arg;
	int check; /* compliance: change nothing, stop at a change */
	int stop;
	char *why;
	size_t whylen;
	struct ierr *e;
	int rc;
};

enum { W_KEEP, W_DROP, W_REPLACE };

/* A member name with a dot: no agreement path can address it (SPEC 2). */
static int
dotted(const struct seg *s)
{
	return s != NULL && s->name != NULL && strchr(s->name, '.') != NULL;
}

/* A dotted name is written quoted, so that the path reads one way. */
static void
path_render(struct buf *b, const struct seg *s)
{
	if (s == NULL)
		return;
	path_render(b, s->up);
	if (s->name == NULL) {
		buf_printf(b, "[%zu]", s->index);
		return;
	}
	if (b->len > 0)
		buf_addc(b, '.');
	if (!dotted(s)) {
		buf_adds(b, s->name);
		return;
	}
	buf_addc(b, '"');
	for (const char *c = s->name; *c != '\0'; c++) {
		if (*c == '"' || *c == '\\')
			buf_addc(b, '\\');
		buf_addc(b, *c);
	}
	buf_addc(b, '"');
}

static const char *
path_text(struct walk *w, const struct seg *s)
{
	struct buf *b = &w->p->path;

	buf_reset(b);
	path_render(b, s);
	if (b->len == 0)
		buf_adds(b, "(data)");
	return b->data;
}

static void
tell(struct walk *w, const struct seg *s, const struct rt_node *best,
    const char *outcome)
{
	if (w->fn == NULL)
		return;
	w->fn(w->arg, path_text(w, s), best ? best->rule->path : NULL,
	    best ? best->action : "drop", outcome);
}

/* Compliance: the value at s would change; remember where and stop. */
static int
changed(struct walk *w, const struct seg *s, const struct rt_node *best)
{
	if (w->why != NULL)
		snprintf(w->why, w->whylen, "%s: %s would change it",
		    path_text(w, s), best ? best->action : "default deny");
	w->stop = 1;
	return W_KEEP;
}

static int
fail(struct walk *w, int rc)
{
	w->rc = rc;
	w->stop = 1;
	return W_KEEP;
}

static int
dropped(struct walk *w, const struct seg *s, const struct rt_node *best,
    const char *why)
{
	if (w->check)
		return changed(w, s, best);
	if (w->st != NULL) {
		w->st->values[AG_DROP]++;
		if (why != NULL)
			w->st->unfit++;
	}
	if (w->fn != NULL) {
		char o[96];

		snprintf(o, sizeof o, "dropped%s%s", why ? ": " : "",
		    why ? why : "");
		tell(w, s, best, o);
	}
	return W_DROP;
}

#define DOTTED_WHY "a name with \".\" no path can address"

/*
 * A dotted member: dropped with everything below it whatever rule matches
 * its parent (best), counted once as unfit; never compliant.
 */
static int
unaddressable(struct walk *w, const struct seg *s, const struct rt_node *best)
{
	if (!w->check)
		return dropped(w, s, best, DOTTED_WHY);
	if (w->why != NULL)
		snprintf(
		    w->why, w->whylen, "%s: %s", path_text(w, s), DOTTED_WHY);
	w->stop = 1;
	return W_KEEP;
}

/* Counts and explains a transform that applied; same: nothing changed. */
static void
applied(
    struct walk *w, const struct seg *s, const struct rt_node *best, int same)
{
	enum ag_action a = best->rule->action;

	if (w->st != NULL)
		w->st->values[a]++;
	tell(w, s, best, same ? "unchanged" : action_defs[a].word);
}

static const char *
type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* The action cannot apply to a value of this type. */
static int
unfit(struct walk *w, const struct seg *s, const struct rt_node *best,
    const json_t *v, const char *what)
{
	char why[64];

	snprintf(why, sizeof why, "%s cannot %s", type_name(v), what);
	return dropped(w, s, best, why);
}

static int
act_pseudonymise(struct walk *w, json_t *v, const struct seg *s,
    const struct rt_node *best, json_t **repl)
{
	char pn[POLICY_PN_LEN], num[JSONIO_NUMBER_MAX];
	int rc;

	if (json_is_string(v)) {
		const char *t = json_string_value(v);
		size_t len = json_string_length(v);

		if (record_is_pseudonym(t, len)) {
			applied(w, s, best, 1);
			return W_KEEP;
		}
		if (w->check)
			return changed(w, s, best);
		if ((rc = policy_pseudonym(w->p, t, len, pn, w->e)) != 0)
			return fail(w, rc);
		json_string_setn_nocheck(v, pn, POLICY_PN_LEN - 1);
		applied(w, s, best, 0);
		return W_KEEP;
	}
	if (!json_is_number(v))
		return unfit(w, s, best, v, "be pseudonymised");
	if (w->check)
		return changed(w, s, best);
	/* A number: its canonical JSON text as it is. */
	if (json_is_integer(v))
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
	else
		jsonio_number(json_real_value(v), num);
	if ((rc = hmac_pn(w->p, num, strlen(num), pn, w->e)) != 0)
		return fail(w, rc);
	*repl = json_stringn_nocheck(pn, POLICY_PN_LEN - 1);
	applied(w, s, best, 0);
	return W_REPLACE;
}

static int
act_mask(struct walk *w, json_t *v, const struct seg *s,
    const struct rt_node *best, json_t **repl)
{
	struct buf *b = &w->p->tmp;
	const unsigned char *t;
	size_t len, nchars = 0, keep, i, c;
	int same;

	(void)repl;
	if (!json_is_string(v))
		return unfit(w, s, best, v, "be masked");
	t = (const unsigned char *)json_string_value(v);
	len = json_string_length(v);
	for (i = 0; i < len; i++)
		if ((t[i] & 0xc0) != 0x80)
			nchars++;
	keep = nchars <= (size_t)best->rule->arg ? 0 : (size_t)best->rule->arg;
	/* Find the byte where the last `keep` characters start. */
	for (i = 0, c = 0; i < len && c < nchars - keep; i++)
		if ((t[i] & 0xc0) != 0x80)
			c++;
	while (i < len && (t[i] & 0xc0) == 0x80)
		i++;
	buf_reset(b);
	buf_reserve(b, nchars - keep + (len - i));
	memset(b->data, '*', nchars - keep);
	b->len = nchars - keep;
	buf_add(b, t + i, len - i);
	same = b->len == len && memcmp(b->data, t, len) == 0;
	if (!same) {
		if (w->check)
			return changed(w, s, best);
		json_string_setn_nocheck(v, b->data, b->len);
	}
	applied(w, s, best, same);
	return W_KEEP;
}

static int
two_digits(const char *s, int lo, int hi)
{
	int v;

	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return -1;
	v = (s[0] - '0') * 10 + (s[1] - '0');
	return v < lo || v > hi ? -1 : v;
}

/* 4: YYYY, 7: YYYY-MM, 10: YYYY-MM-DD or an RFC 3339 time; 0: none. */
static size_t
date_form(const char *s, size_t len)
{
	int64_t t;
	int y, m;

	for (int i = 0; i < 4; i++)
		if (i >= (int)len || s[i] < '0' || s[i] > '9')
			return 0;
	if (len == 4)
		return 4;
	if (len < 7 || s[4] != '-' || (m = two_digits(s + 5, 1, 12)) < 0)
		return 0;
	if (len == 7)
		return 7;
	if (len < 10 || s[7] != '-' || two_digits(s + 8, 1, 31) < 0)
		return 0;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	if (!timeutil_valid_date(y, m, (s[8] - '0') * 10 + (s[9] - '0')))
		return 0;
	if (len == 10)
		return 10;
	return timeutil_parse(s, &t) == 0 ? 10 : 0;
}

/* Cuts a date or time down to its first `want` characters (4, 7). */
static int
generalise(struct walk *w, json_t *v, const struct seg *s,
    const struct rt_node *best, size_t want)
{
	size_t form, len;

	if (!json_is_string(v))
		return unfit(w, s, best, v, "be generalised");
	len = json_string_length(v);
	if ((form = date_form(json_string_value(v), len)) == 0)
		return dropped(w, s, best, "not a date");
	if (form < want)
		return dropped(w, s, best, "a bare year has no month");
	if (len != want) {
		if (w->check)
			return changed(w, s, best);
		json_string_setn_nocheck(v, json_string_value(v), want);
	}
	applied(w, s, best, len == want);
	return W_KEEP;
}

static int
act_generalise_year(struct walk *w, json_t *v, const struct seg *s,
    const struct rt_node *best, json_t **repl)
{
	(void)repl;
	return generalise(w, v, s, best, 4);
}

static int
act_generalise_month(struct walk *w, json_t *v, const struct seg *s,
    const struct rt_node *best, json_t **repl)
{
	(void)repl;
	return generalise(w, v, s, best, 7);
}

static int
act_round(struct walk *w, json_t *v, const struct seg *s,
    const struct rt_node *best, json_t **repl)
{
	char text[512];
	double d, r;
	int same;

	(void)repl;
	if (json_is_integer(v)) {
		applied(w, s, best, 1);
		return W_KEEP;
	}
	if (!json_is_real(v))
		return unfit(w, s, best, v, "be rounded");
	d = json_real_value(v);
	snprintf(text, sizeof text, "%.*f", best->rule->arg, d);
	r = strtod(text, NULL);
	same = r == d;
	if (!same) {
		if (w->check)
			return changed(w, s, best);
		json_real_set(v, r);
	}
	applied(w, s, best, same);
	return W_KEEP;
}

typedef int
child_fn(struct walk *, json_t *, const struct seg *, const void *, json_t **);

/*
 * Walks the members or elements of a non-empty container with fn on each,
 * replacing what fn replaces and removing what it drops.  W_DROP when the
 * container was emptied (no empty shell stays).
 */
static int
each_child(struct walk *w, json_t *v, const struct seg *s, child_fn *fn,
    const void *ctx)
{
	struct seg sub = { s, NULL, 0 };
	json_t *repl;
	size_t n, i, pos;
	void *it, *next;
	int r;

	if (json_is_object(v)) {
		for (it = json_object_iter(v); it != NULL && !w->stop;
		     it = next) {
			next = json_object_iter_next(v, it);
			sub.name = json_object_iter_key(it);
			repl = NULL;
			r = fn(w, json_object_iter_value(it), &sub, ctx, &repl);
			if (r == W_REPLACE)
				json_object_iter_set_new(v, it, repl);
			else if (r == W_DROP)
				json_object_del(v, sub.name);
		}
		return json_object_size(v) == 0 && !w->stop ? W_DROP : W_KEEP;
	}
	n = json_array_size(v);
	for (i = 0, pos = 0; pos < n && !w->stop; pos++) {
		sub.index = pos;
		repl = NULL;
		r = fn(w, json_array_get(v, i), &sub, ctx, &repl);
		if (r == W_REPLACE)
			json_array_set_new(v, i, repl);
		if (r == W_DROP)
			json_array_remove(v, i);
		else
			i++;
	}
	return json_array_size(v) == 0 && !w->stop ? W_DROP : W_KEEP;
}

static int
is_filled(const json_t *v)
{
	return (json_is_object(v) && json_object_size(v) > 0) ||
	    (json_is_array(v) && json_array_size(v) > 0);
}

/* keep: the value as it is, but for the dotted members inside it. */
static int
keep_walk(struct walk *w, json_t *v, const struct seg *s, const void *ctx,
    json_t **repl)
{
	const struct rt_node *best = ctx;

	(void)repl;
	if (dotted(s))
		return unaddressable(w, s, best);
	if (is_filled(v))
		return each_child(w, v, s, keep_walk, best);
	tell(w, s, best, "kept");
	return W_KEEP;
}

static int
act_keep(struct walk *w, json_t *v, const struct seg *s,
    const struct rt_node *best, json_t **repl)
{
	return keep_walk(w, v, s, best, repl);
}

static int
act_drop(struct walk *w, json_t *v, const struct seg *s,
    const struct rt_node *best, json_t **repl)
{
	(void)v;
	(void)repl;
	return dropped(w, s, best, NULL);
}

/*
 * Applies best's action to v at s: W_KEEP, W_DROP, or W_REPLACE with the
 * new value in *repl.  An action whose row in action.h says EACH is given
 * each string, number, boolean and null inside an object or array, one at
 * a time; any other the whole value.
 */
typedef int act_fn(struct walk *, json_t *, const struct seg *,
    const struct rt_node *, json_t **);

static act_fn *const act_fns[AG_NACTIONS] = {
#define ACTION_FN(e, name, lo, hi, argname, word, each, fn) [AG_##e] = fn,
	ACTION_TABLE(ACTION_FN)
#undef ACTION_FN
};

/* An EACH action on a value and everything inside it. */
static int
transform(struct walk *w, json_t *v, const struct seg *s, const void *ctx,
    json_t **repl)
{
	const struct rt_node *best = ctx;

	if (dotted(s))
		return unaddressable(w, s, best);
	if (is_filled(v))
		return each_child(w, v, s, transform, best);
	if (json_is_object(v) || json_is_array(v)) {
		/* Empty in the input: it stays. */
		tell(w, s, best, "kept");
		return W_KEEP;
	}
	return act_fns[best->rule->action](w, v, s, best, repl);
}

/* The best rule acts on the whole subtree at s. */
static int
apply(struct walk *w, json_t *v, const struct seg *s,
    const struct rt_node *best, json_t **repl)
{
	if (best == NULL)
		return dropped(w, s, NULL, NULL);
	if (action_defs[best->rule->action].each)
		return transform(w, v, s, best, repl);
	return act_fns[best->rule->action](w, v, s, best, repl);
}

/*
 * Where the walk stands: the value sits at `depth` (array positions do not
 * count), p->act[depth] holds the rule-tree nodes its path reaches, and
 * some of them have children (rules deeper down); best is the most
 * specific rule met so far.
 */
struct at {
	size_t depth;
	const struct rt_node *best;
};

static int walk_member(
    struct walk *, json_t *, const struct seg *, const void *, json_t **);

static int
walk_node(struct walk *w, json_t *v, const struct seg *s, const void *ctx,
    json_t **repl)
{
	const struct at *at = ctx;

	if (!is_filled(v))
		return apply(w, v, s, at->best, repl);
	if (json_is_array(v)) /* elements stand where the array stands */
		return each_child(w, v, s, walk_node, at);
	return each_child(w, v, s, walk_member, at);
}

/* The member s->name of an object at at->depth. */
static int
walk_member(struct walk *w, json_t *v, const struct seg *s, const void *ctx,
    json_t **repl)
{
	const struct at *at = ctx;
	struct policy *p = w->p;
	const struct rt_node **cur = p->act + at->depth * p->tree.width;
	const struct rt_node **nxt = cur + p->tree.width;
	const struct rt_node *k, *pair[2];
	struct at sub = { at->depth + 1, NULL };
	size_t n = 0;
	int deeper = 0;

	if (dotted(s))
		return unaddressable(w, s, at->best);
	for (size_t i = 0; i < p->nact[at->depth]; i++) {
		pair[0] = ruletree_kid(cur[i], s->name);
		pair[1] = cur[i]->star;
		for (int j = 0; j < 2; j++) {
			if ((k = pair[j]) == NULL)
				continue;
			nxt[n++] = k;
			if (k->nkids > 0 || k->star != NULL)
				deeper = 1;
			if (k->rule != NULL &&
			    (sub.best == NULL ||
				ruletree_more_specific(
				    k->rule, sub.best->rule)))
				sub.best = k;
		}
	}
	if (sub.best == NULL)
		sub.best = at->best;
	if (!deeper)
		return apply(w, v, s, sub.best, repl);
	p->nact[sub.depth] = n;
	return walk_node(w, v, s, &sub, repl);
}

/* Walks `data`, which itself always stays, empty or not. */
static void
walk_data(struct walk *w, json_t *data)
{
	struct policy *p = w->p;
	struct at at = { 0, NULL };

	p->act[0] = p->tree.root;
	p->nact[0] = 1;
	if (json_object_size(data) == 0)
		return;
	(void)each_child(w, data, NULL, walk_member, &at);
}

int
policy_redact(struct policy *p, json_t *rec, int *reason,
    struct policy_stats *stats, policy_explain_fn *explain, void *arg,
    struct ierr *e)
{
	struct walk w = { p, stats, explain, arg, 0, 0, NULL, 0, e, 0 };
	json_t *data = json_object_get(rec, "data"), *id;
	char pn[POLICY_PN_LEN];
	int rc;

	if (!json_is_object(data))
		return err_set(e, EXIT_DATAERR, "a record needs data");
	if (stats != NULL)
		stats->read++;
	*reason = decide(p, rec);
	if (*reason != POLICY_RELEASED) {
		if (stats != NULL)
			stats->withheld[*reason]++;
		return 0;
	}
	id = json_object_get(rec, "id");
	if (p->rule->pseudonymise_ids && json_is_string(id) &&
	    !record_is_pseudonym(
		json_string_value(id), json_string_length(id))) {
		if ((rc = hmac_pn(p, json_string_value(id),
			 json_string_length(id), pn, e)) != 0)
			return rc;
		json_string_setn_nocheck(id, pn, POLICY_PN_LEN - 1);
		if (stats != NULL)
			stats->values[AG_PSEUDONYMISE]++;
		if (explain != NULL)
			explain(
			    arg, NULL, "ids", "pseudonymise", "pseudonymised");
	} else if (p->rule->pseudonymise_ids && explain != NULL)
		explain(arg, NULL, "ids", "pseudonymise", "unchanged");
	json_object_del(rec, "received");
	walk_data(&w, data);
	if (w.rc != 0)
		return w.rc;
	if (stats != NULL)
		stats->released++;
	return 0;
}

int
policy_complies(struct policy *p, const json_t *rec, char *why, size_t whylen)
{
	struct ierr e = IERR_INIT;
	struct walk w = { p, NULL, NULL, NULL, 1, 0, why, whylen, &e, 0 };
	json_t *data = json_object_get(rec, "data"), *id;
	int reason;

	if (whylen > 0)
		why[0] = '\0';
	if (!json_is_object(data)) {
		snprintf(why, whylen, "data: not an object");
		return 0;
	}
	if ((reason = decide(p, rec)) != POLICY_RELEASED) {
		snprintf(why, whylen, "withheld: %s", reason_names[reason]);
		return 0;
	}
	if (json_object_get(rec, "received") != NULL) {
		snprintf(why, whylen, "received: never travels");
		return 0;
	}
	id = json_object_get(rec, "id");
	if (p->rule->pseudonymise_ids &&
	    (!json_is_string(id) ||
		!record_is_pseudonym(
		    json_string_value(id), json_string_length(id)))) {
		snprintf(why, whylen, "id: not a pseudonym");
		return 0;
	}
	/* The walk changes nothing in check mode. */
	walk_data(&w, (json_t *)data);
	return !w.stop;
}
