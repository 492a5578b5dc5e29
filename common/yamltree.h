/*
 * A YAML text read into a small tree that keeps where every value stands,
 * for files whose every error must name a line and a column (agreements,
 * SPEC 3).  Only the plain core of YAML passes: anchors, aliases, tags, a
 * second document, a key that is not a scalar, a key given twice in one
 * mapping, a scalar holding NUL and excessive size or nesting are refused
 * with "FILE:LINE:COLUMN: what is wrong" (from 1) and EXIT_CONFIG.  Every
 * scalar is kept as its text; nothing is typed.
 *
 * Ownership: yamltree_parse() gives the caller the tree, which
 * yamltree_free() releases; the text parsed is not referenced afterwards.
 */
#ifndef INTEL_YAMLTREE_H
#define INTEL_YAMLTREE_H

#include <stddef.h>

#include "err.h"

#define YT_MAX_DEPTH 32	    /* SPEC 3 needs 5 */
#define YT_MAX_NODES 20000  /* values in the whole text */
#define YT_MAX_ENTRIES 1000 /* in one list or mapping */

enum yt_kind { YT_SCALAR, YT_SEQ, YT_MAP };

struct yt_node {
	enum yt_kind kind;
	char *s;	    /* scalar text */
	int plain;	    /* written without quotes */
	unsigned long line; /* from 1 */
	unsigned long col;
	struct yt_node **kid; /* list: items; mapping: key, value, ... */
	size_t nkid;
	size_t capkid;
};

/*
 * Parses text[0..len), read from file (named in messages), into *root;
 * *root is NULL when the text holds no document.  what names the kind of
 * file in the message for one too large ("an agreement").  Returns 0 or
 * EXIT_CONFIG with e set.
 */
int yamltree_parse(const char *file, const char *text, size_t len,
    const char *what, struct yt_node **root, struct ierr *e);
void yamltree_free(struct yt_node *n);

/* "a scalar", "a list", "a mapping". */
const char *yamltree_kind_name(enum yt_kind kind);

/*
 * Text from a file, made safe to show in a message: quoted, at most about
 * 60 characters, control characters and quotes escaped.  Returns out.
 */
#define YT_QUOTE_MAX 96
const char *yamltree_quote(char out[YT_QUOTE_MAX], const char *s);

#endif
