/*
 * One release rule's field paths (SPEC 3 "Paths") compiled into a tree of
 * path segments for the policy engine: a node has a child for each name
 * and one for `*`, and holds the rule whose path ends there (the first in
 * the file, when a path is given twice).
 *
 * Ownership: the tree borrows the rule's fields and their segments (the
 * agreement must outlive it); ruletree_free() releases the nodes.
 */
#ifndef INTEL_RULETREE_H
#define INTEL_RULETREE_H

#include <stddef.h>

#include "agreement.h"

struct rt_node {
	const char *name;      /* a path segment; "" at the root */
	struct rt_node **kids; /* children by name */
	size_t nkids;
	struct rt_node *star;	     /* the `*` child */
	const struct ag_field *rule; /* the rule ending here, or NULL */
	char action[32];	     /* the rule's action as written */
};

struct ruletree {
	struct rt_node *root;
	size_t width;	 /* most nodes at one depth */
	size_t maxdepth; /* longest rule path */
};

void ruletree_build(struct ruletree *t, const struct ag_rule *r);
void ruletree_free(struct ruletree *t);

/* n's child for this name (not the `*` child), or NULL. */
const struct rt_node *ruletree_kid(const struct rt_node *n, const char *name);

/*
 * Of two rules that both match the same path: is a more specific than b?
 * More segments win; at equal length, compared from the left, the first
 * segment where they differ is a name in one and `*` in the other, and
 * the name wins.
 */
int ruletree_more_specific(const struct ag_field *a, const struct ag_field *b);

#endif
