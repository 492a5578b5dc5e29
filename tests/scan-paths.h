/*
 * Shared by tests/unit/test-scan.c and tests/fuzz/fuzz-scan.c: the leaves
 * of a record's data with their paths, once from a jansson tree
 * (tree_paths) and once from what scan_paths() reports (leaf_write),
 * written the same way ("PATH=VALUE" lines) so that the two can be
 * compared byte for byte.
 */
#ifndef INTEL_TESTS_SCAN_PATHS_H
#define INTEL_TESTS_SCAN_PATHS_H

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "jsonio.h"
#include "scan.h"

__attribute__((unused)) static void
tree_paths(struct buf *out, struct buf *path, const json_t *v)
{
	struct ierr e = IERR_INIT;
	const char *k;
	json_t *m;
	size_t i, len;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		len = path->len;
		json_object_foreach((json_t *)v, k, m)
		{
			if (len > 0)
				buf_addc(path, '.');
			buf_adds(path, k);
			tree_paths(out, path, m);
			path->len = len;
			path->data[len] = '\0';
		}
		return;
	case JSON_ARRAY:
		for (i = 0; i < json_array_size(v); i++)
			tree_paths(out, path, json_array_get(v, i));
		return;
	default:
		buf_add(out, path->data, path->len);
		buf_addc(out, '=');
		jsonio_canon(out, v, &e);
		buf_addc(out, '\n');
	}
}

__attribute__((unused)) static void
leaf_write(
    struct buf *out, const char *path, size_t pathlen, const struct scan_val *v)
{
	buf_add(out, path, pathlen);
	buf_addc(out, '=');
	if (v->kind == SCAN_STRING)
		buf_addc(out, '"');
	buf_add(out, v->p, v->len);
	if (v->kind == SCAN_STRING)
		buf_addc(out, '"');
	buf_addc(out, '\n');
}

#endif
