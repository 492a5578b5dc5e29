#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "buf.h"
#include "ruletree.h"

static struct rt_node *
node_new(const char *name)
{
	struct rt_node *n = xcalloc(1, sizeof *n);

	n->name = name;
	return n;
}

const struct rt_node *
ruletree_kid(const struct rt_node *n, const char *name)
{
	for (size_t i = 0; i < n->nkids; i++)
		if (strcmp(n->kids[i]->name, name) == 0)
			return n->kids[i];
	return NULL;
}

/* The same, for building: the nodes are the tree's own. */
static struct rt_node *
node_kid(struct rt_node *n, const char *name)
{
	return (struct rt_node *)ruletree_kid(n, name);
}

static void
node_free(struct rt_node *n)
{
	if (n == NULL)
		return;
	for (size_t i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	node_free(n->star);
	free(n);
}

static void
node_add(struct rt_node *root, const struct ag_field *f)
{
	struct rt_node *n = root, *k;

	for (size_t i = 0; i < f->nsegs; i++) {
		const char *s = f->segs[i];

		if (strcmp(s, "*") == 0) {
			if (n->star == NULL)
				n->star = node_new(s);
			n = n->star;
			continue;
		}
		if ((k = node_kid(n, s)) == NULL) {
			k = node_new(s);
			n->kids = xrealloc(
			    n->kids, (n->nkids + 1) * sizeof *n->kids);
			n->kids[n->nkids++] = k;
		}
		n = k;
	}
	if (n->rule == NULL && f->nsegs > 0) { /* the first one stands */
		n->rule = f;
		action_format(f->action, f->arg, n->action, sizeof n->action);
	}
}

static void
node_count(const struct rt_node *n, size_t depth, size_t *perdepth)
{
	perdepth[depth]++;
	for (size_t i = 0; i < n->nkids; i++)
		node_count(n->kids[i], depth + 1, perdepth);
	if (n->star != NULL)
		node_count(n->star, depth + 1, perdepth);
}

void
ruletree_build(struct ruletree *t, const struct ag_rule *r)
{
	size_t *perdepth;

	t->root = node_new("");
	t->maxdepth = 0;
	for (size_t i = 0; i < r->nfields; i++) {
		node_add(t->root, &r->fields[i]);
		if (r->fields[i].nsegs > t->maxdepth)
			t->maxdepth = r->fields[i].nsegs;
	}
	perdepth = xcalloc(t->maxdepth + 1, sizeof *perdepth);
	node_count(t->root, 0, perdepth);
	t->width = 1;
	for (size_t d = 0; d <= t->maxdepth; d++)
		if (perdepth[d] > t->width)
			t->width = perdepth[d];
	free(perdepth);
}

void
ruletree_free(struct ruletree *t)
{
	node_free(t->root);
	t->root = NULL;
}

int
ruletree_more_specific(const struct ag_field *a, const struct ag_field *b)
{
	if (a->nsegs != b->nsegs)
		return a->nsegs > b->nsegs;
	for (size_t i = 0; i < a->nsegs; i++) {
		int as = strcmp(a->segs[i], "*") == 0;
		int bs = strcmp(b->segs[i], "*") == 0;

		if (as != bs)
			return bs;
	}
	return 0;
}
