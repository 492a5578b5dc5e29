/*
 * Private to agreement.c and agreement-parties.c: the state of one load
 * and the checking helpers both use.  Every helper that finds a fault
 * fills l->e with "FILE:LINE:COLUMN: what" (EXIT_CONFIG) and returns it.
 */
#ifndef INTEL_AGREEMENT_INT_H
#define INTEL_AGREEMENT_INT_H

#include <stddef.h>

#include "agreement.h"
#include "err.h"
#include "yamltree.h"

/* A key or a recipient seen, for the checks across parties. */
struct keyent {
	const unsigned char *key; /* the 32 bytes as listed */
	unsigned char cmp[32];	  /* what two equal ones share */
	const struct yt_node *n;
	size_t party;
	size_t order;
};

struct ld {
	const char *file;
	struct ierr *e;
	struct agreement *a;
	struct yt_node *root;
	struct keyent *keys; /* every party's keys (cmp: the key id) */
	size_t nkeys;
	size_t capkeys;
	struct keyent *rcpts; /* every party's recipients */
	size_t nrcpts;
	size_t caprcpts;
	char qbuf[2][YT_QUOTE_MAX];
	int qi;
};

/* Text from the file, made safe to show; two results can be alive. */
const char *ag_q(struct ld *l, const char *s);
int ag_lerr(struct ld *l, const struct yt_node *n, const char *fmt, ...)
    ATTR_PRINTF(3, 4);
/* n must be of this kind. */
int ag_want(
    struct ld *l, const struct yt_node *n, enum yt_kind kind, const char *what);
/* A scalar's text (a plain empty scalar is no value). */
int ag_text(
    struct ld *l, const struct yt_node *n, const char *what, const char **out);
/* A non-empty text without control characters. */
int ag_word(
    struct ld *l, const struct yt_node *n, const char *what, const char **out);
/* The values of a mapping's members named in names ("+" in front: the
 * member is required, see ag_required); an unknown member is an error. */
int ag_members(struct ld *l, const struct yt_node *m, const char *const *names,
    const struct yt_node **vals, const char *where);
int ag_required(struct ld *l, const struct yt_node *m, const char *const *names,
    const struct yt_node **vals, const char *where);

/* The parties (agreement-parties.c): codes, names, keys, recipients,
 * each checked (SPEC 3). */
int ag_load_parties(struct ld *l, const struct yt_node *n);

#endif
