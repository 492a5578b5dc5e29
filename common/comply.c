#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "buf.h"
#include "comply.h"
#include "jsonio.h"
#include "record.h"
#include "ruletree.h"
#include "timeutil.h"

/*
 * The walk of policy.c in check mode, driven by the scanner's events
 * instead of a tree.  A frame stands for each open object or array inside
 * data and holds the context its members or elements are decided in:
 *
 *   NODE   the rule tree still has rules below: depth indexes the set of
 *          tree nodes the path reaches (act[depth]), best is the most
 *          specific rule met so far (walk_node and walk_member)
 *   APPLY  best acts on everything below (apply): keep looks only for
 *          dotted names, the EACH actions check each string and number
 *
 * In check mode policy.c never removes anything, so an emptied shell is
 * never reached there: the first value that would be dropped already
 * fails the check, and so it does here.
 */
enum { F_NODE, F_APPLY };

struct frame {
	int mode;
	int obj; /* an object, else an array */
	size_t depth;
	const struct rt_node *best;
};

/* The rule tree again, with the children's name lengths at hand. */
struct cnode;
struct ckid {
	const char *name;
	size_t len;
	struct cnode *node;
};

struct cnode {
	const struct rt_node *rt;
	struct ckid *kids;
	size_t nkids;
	struct cnode *star;
	int deeper; /* rules below */
};

struct comply {
	const struct agreement *a;
	const struct ag_rule *rule;
	const char *from;
	const char *to;
	int64_t now;
	struct ruletree tree;
	struct cnode *root;
	const struct cnode **act; /* (maxdepth + 2) * width */
	size_t *nact;
	struct frame fr[JSONIO_MAX_DEPTH + 2];
	int nfr;
	struct frame next; /* the context of a member's value */
	int no;		   /* a value does not comply */
	int unsure;	   /* cannot tell without decoding */
};

static struct cnode *
cnode_new(const struct rt_node *rt)
{
	struct cnode *n = xcalloc(1, sizeof *n);

	n->rt = rt;
	n->nkids = rt->nkids;
	n->kids = xcalloc(rt->nkids + 1, sizeof *n->kids);
	for (size_t i = 0; i < rt->nkids; i++) {
		n->kids[i].name = rt->kids[i]->name;
		n->kids[i].len = strlen(rt->kids[i]->name);
		n->kids[i].node = cnode_new(rt->kids[i]);
	}
	if (rt->star != NULL)
		n->star = cnode_new(rt->star);
	n->deeper = rt->nkids > 0 || rt->star != NULL;
	return n;
}

static void
cnode_free(struct cnode *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		cnode_free(n->kids[i].node);
	free(n->kids);
	cnode_free(n->star);
	free(n);
}

struct comply *
comply_new(const struct policy *p)
{
	struct comply *c = xcalloc(1, sizeof *c);
	const struct ruletree *t = &c->tree;

	policy_pair(p, &c->a, &c->from, &c->to, &c->now);
	c->rule = policy_rule(p);
	ruletree_build(&c->tree, c->rule);
	c->root = cnode_new(c->tree.root);
	c->act = xcalloc((t->maxdepth + 2) * t->width, sizeof *c->act);
	c->nact = xcalloc(t->maxdepth + 2, sizeof *c->nact);
	return c;
}

void
comply_free(struct comply *c)
{
	if (c == NULL)
		return;
	cnode_free(c->root);
	ruletree_free(&c->tree);
	free(c->act);
	free(c->nact);
	free(c);
}

static const struct cnode *
kid(const struct cnode *n, const char *name, size_t len)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (n->kids[i].len == len &&
		    memcmp(n->kids[i].name, name, len) == 0)
			return n->kids[i].node;
	return NULL;
}

/* walk_member: the context of the member `name` of the object at top. */
static void
member(struct comply *c, const struct frame *top, const char *name, size_t len)
{
	size_t w = c->tree.width, n = 0;
	const struct cnode **cur = c->act + top->depth * w;
	const struct cnode **nxt = cur + w;
	const struct cnode *k, *pair[2];
	const struct rt_node *best = NULL;
	int deeper = 0;

	for (size_t i = 0; i < c->nact[top->depth]; i++) {
		pair[0] = kid(cur[i], name, len);
		pair[1] = cur[i]->star;
		for (int j = 0; j < 2; j++) {
			if ((k = pair[j]) == NULL)
				continue;
			nxt[n++] = k;
			deeper |= k->deeper;
			if (k->rt->rule != NULL &&
			    (best == NULL ||
				ruletree_more_specific(
				    k->rt->rule, best->rule)))
				best = k->rt;
		}
	}
	if (best == NULL)
		best = top->best;
	c->next.best = best;
	c->next.depth = top->depth + 1;
	if (!deeper) {
		c->next.mode = F_APPLY;
		return;
	}
	c->nact[top->depth + 1] = n;
	c->next.mode = F_NODE;
}

/* mask:N leaves a string as it is: its first characters (all but the last
 * N, or all) are already '*'.  s is as written: an escape is one
 * character, and never '*'. */
static int
masked(const char *s, size_t len, int arg)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t nchars = 0, stars, i;

	for (i = 0; i < len; i++) {
		if (p[i] == '\\')
			i += p[i + 1] == 'u' ? 5 : 1;
		if ((p[i] & 0xc0) != 0x80)
			nchars++;
	}
	stars = nchars <= (size_t)arg ? nchars : nchars - (size_t)arg;
	for (i = 0; i < stars; i++)
		if (p[i] != '*')
			return 0;
	return 1;
}

/* generalise to want (4, 7) characters leaves s as it is. */
static int
generalised(const char *s, size_t len, size_t want)
{
	for (size_t i = 0; i < 4; i++)
		if (i >= len || s[i] < '0' || s[i] > '9')
			return 0;
	if (len != want)
		return 0;
	if (want == 4)
		return 1;
	return s[4] == '-' &&
	    ((s[5] == '0' && s[6] >= '1' && s[6] <= '9') ||
		(s[5] == '1' && s[6] >= '0' && s[6] <= '2'));
}

/* round:N leaves the real number d, written t[0..len), as it is. */
static int
rounded(const char *t, size_t len, double d, int arg)
{
	char text[512];
	const char *dot;
	int e2;

	/*
	 * A text of at most N decimals and no exponent is unchanged: it is
	 * on the grid of %.Nf, so the decimal nearest d on that grid is no
	 * farther from d than it and reads back to d, the gaps on both sides
	 * of d being equal unless d is a power of two (tried in full).
	 */
	if ((dot = memchr(t, '.', len)) != NULL &&
	    memchr(t, 'e', len) == NULL &&
	    (size_t)(t + len - dot - 1) <= (size_t)arg &&
	    frexp(d, &e2) != 0.5 && frexp(d, &e2) != -0.5)
		return 1;
	snprintf(text, sizeof text, "%.*f", arg, d);
	return strtod(text, NULL) == d;
}

/*
 * record_is_pseudonym(), eight bytes at a time: each of the 32 after
 * "pn:" is ASCII (checked first, so that the sums below carry into no
 * neighbour) and in '0'-'9' or 'a'-'f'.
 */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static int
pseudonym(const char *s, size_t len)
{
	uint64_t x, digit, letter;

	if (len != 35 || s[0] != 'p' || s[1] != 'n' || s[2] != ':')
		return 0;
	for (size_t i = 3; i < 35; i += 8) {
		memcpy(&x, s + i, 8);
		if ((x & HIGHS) != 0)
			return 0;
		digit = (x + ONES * (0x80 - '0')) &
		    ~(x + ONES * (0x80 - '9' - 1));
		letter = (x + ONES * (0x80 - 'a')) &
		    ~(x + ONES * (0x80 - 'f' - 1));
		if (((digit | letter) & HIGHS) != HIGHS)
			return 0;
	}
	return 1;
}

/* An EACH action's check on one string, number, boolean or null. */
static int
leaf(const struct ag_field *f, const struct scan_val *v)
{
	switch (f->action) {
	case AG_KEEP:
		return 1;
	case AG_DROP:
		return 0;
	case AG_PSEUDONYMISE:
		return v->kind == SCAN_STRING && pseudonym(v->p, v->len);
	case AG_MASK:
		return v->kind == SCAN_STRING && masked(v->p, v->len, f->arg);
	case AG_GENERALISE_YEAR:
		return v->kind == SCAN_STRING && generalised(v->p, v->len, 4);
	case AG_GENERALISE_MONTH:
		return v->kind == SCAN_STRING && generalised(v->p, v->len, 7);
	case AG_ROUND:
		if (v->kind == SCAN_INTEGER)
			return 1;
		return v->kind == SCAN_REAL &&
		    rounded(v->p, v->len, v->num, f->arg);
	case AG_NACTIONS:
		break;
	}
	return 0;
}

static int
no(struct comply *c)
{
	c->no = 1;
	return 1;
}

static int
visit(void *arg, enum scan_event ev, const struct scan_val *v)
{
	struct comply *c = arg;
	struct frame *top = &c->fr[c->nfr - 1], ctx;
	const struct rt_node *best;

	switch (ev) {
	case SCAN_KEY:
		if (v->esc) {
			c->unsure = 1;
			return 1;
		}
		for (size_t i = 0; i < v->len; i++)
			if (v->p[i] == '.')
				return no(c); /* SPEC 2: unaddressable */
		if (top->mode == F_APPLY)
			c->next = *top;
		else
			member(c, top, v->p, v->len);
		return 0;
	case SCAN_END:
		c->nfr--;
		return 0;
	case SCAN_BEGIN:
	case SCAN_LEAF:
		break;
	}
	/* A member's value, or an element standing where its array does. */
	ctx = top->obj ? c->next : *top;
	if (ev == SCAN_BEGIN && ctx.mode == F_NODE && !v->empty) {
		ctx.obj = v->kind == SCAN_OBJECT;
		c->fr[c->nfr++] = ctx;
		return 0;
	}
	best = ctx.best;
	if (best == NULL || best->rule->action == AG_DROP)
		return no(c);
	if (ev == SCAN_BEGIN) {
		/* Empty in the input it stays; else what is inside counts. */
		ctx.mode = F_APPLY;
		ctx.obj = v->kind == SCAN_OBJECT;
		c->fr[c->nfr++] = ctx;
		return 0;
	}
	return leaf(best->rule, v) ? 0 : no(c);
}

/* Is the string s (as written, no escape) in list? */
static int
listed(char *const *list, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(list[i], s, len) == 0 && list[i][len] == '\0')
			return 1;
	return 0;
}

/* Does the array member m hold the string want?  -1: cannot tell. */
static int
array_has(const struct scan_record *r, enum scan_member m, const char *want)
{
	const struct scan_slot *sl = &r->m[m];
	const char *s;
	size_t pos = 0, len, wl = strlen(want);
	int esc, unsure = 0;

	while (scan_next_string(sl->value, sl->vlen, &pos, &s, &len, &esc)) {
		if (esc)
			unsure = 1;
		else if (len == wl && memcmp(s, want, len) == 0)
			return 1;
	}
	return unsure ? -1 : 0;
}

/* decide() of policy.c: 1 released, 0 withheld, -1 cannot tell. */
static int
released(const struct comply *c, const struct scan_record *r)
{
	const struct ag_rule *ru = c->rule;
	const char *s;
	size_t len, pos = 0, i;
	int esc, found = 0, unsure = 0, rel = -1;
	int64_t t;
	char when[64];

	if (!scan_plain(r, SCAN_TYPE, &s, &len))
		return -1;
	if (!listed(ru->types, ru->ntypes, s, len))
		return 0;
	if (r->m[SCAN_CLASSIFICATION].member == NULL)
		return 0;
	if (!scan_plain(r, SCAN_CLASSIFICATION, &s, &len))
		return -1;
	for (i = 0; i < c->a->nclassifications && i <= ru->ceiling; i++)
		if (c->a->classifications[i] != NULL &&
		    strncmp(c->a->classifications[i], s, len) == 0 &&
		    c->a->classifications[i][len] == '\0')
			break;
	if (i >= c->a->nclassifications || i > ru->ceiling)
		return 0;
	if (r->m[SCAN_PURPOSES].member == NULL)
		return 0;
	while (scan_next_string(r->m[SCAN_PURPOSES].value,
	    r->m[SCAN_PURPOSES].vlen, &pos, &s, &len, &esc)) {
		if (esc)
			unsure = 1;
		else if (listed(ru->purposes, ru->npurposes, s, len))
			found = 1;
	}
	if (!found)
		return unsure ? -1 : 0;
	if (r->m[SCAN_RELEASABLE_TO].member != NULL) {
		if ((rel = array_has(r, SCAN_RELEASABLE_TO, c->to)) == 0)
			return 0;
		if (rel < 0)
			return -1;
	}
	if (!scan_plain(r, SCAN_ORIGIN, &s, &len))
		return -1;
	if (strlen(c->to) == len && memcmp(s, c->to, len) == 0)
		return 0;
	if (!(strlen(c->from) == len && memcmp(s, c->from, len) == 0) &&
	    (ru->third_party == AG_THIRD_DENY || rel != 1))
		return 0;
	if (r->m[SCAN_EXPIRES].member != NULL) {
		/* The scanner took it for a plain RFC 3339 time. */
		if (!scan_plain(r, SCAN_EXPIRES, &s, &len) ||
		    len >= sizeof when)
			return -1;
		memcpy(when, s, len);
		when[len] = '\0';
		if (timeutil_parse(when, &t) != 0 || t < c->now)
			return 0;
	}
	return 1;
}

int
comply_line(
    struct comply *c, const char *line, size_t len, struct scan_record *r)
{
	const char *id;
	size_t idlen;
	int rel;

	c->act[0] = c->root;
	c->nact[0] = 1;
	c->fr[0].mode = F_NODE;
	c->fr[0].obj = 1;
	c->fr[0].depth = 0;
	c->fr[0].best = NULL;
	c->nfr = 1;
	c->no = 0;
	c->unsure = 0;
	if (scan_record(line, len, r, visit, c) != SCAN_OK)
		return COMPLY_UNSURE;
	if (c->no)
		return COMPLY_NO;
	if (r->m[SCAN_RECEIVED].member != NULL)
		return COMPLY_NO;
	if (c->rule->pseudonymise_ids) {
		id = r->m[SCAN_ID].value + 1;
		idlen = r->m[SCAN_ID].vlen - 2;
		if (!pseudonym(id, idlen))
			return COMPLY_NO;
	}
	if ((rel = released(c, r)) == 0)
		return COMPLY_NO;
	if (rel < 0 || c->unsure)
		return COMPLY_UNSURE;
	return COMPLY_YES;
}
