/*
 * Private to store.c, store-batch.c and store-file.c: the batch of new
 * records (store-batch.c reads, checks and sorts them; store.c joins them
 * with the store) and the helpers around the store's files that the merge
 * in store.c calls (store-file.c).
 */
#ifndef INTEL_STORE_INT_H
#define INTEL_STORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "err.h"
#include "store.h"

/* One new record, kept in its canonical form. */
struct nrec {
	char *canon;
	size_t len;
	char *origin; /* copies, for sorting */
	char *id;
	int64_t version;
	int relayed; /* store_relayed() */
	int withdrawn;
	int has_expires;
	int64_t expires;
	char *where; /* "FILE:LINE" */
};

struct store_batch {
	struct nrec *r;
	size_t n, cap;
	int sorted;
	size_t *win; /* each identity's winner */
	size_t nwin;
};

/* Orders new records by (origin, id), then the one that stays first; for
 * qsort(3) over struct nrec. */
int store_nrec_cmp(const void *a, const void *b);

/* A new record parsed again from its canonical form; the caller owns it. */
json_t *store_nrec_json(const struct nrec *r);

/* Removes the temporary files a killed merge left beside the store at
 * path (resolved).  Only with the lock held. */
void store_remove_stale(const char *path);

/* Takes the exclusive lock PATH.lock beside the store at path (resolved):
 * 0 and *fd open, or the status with e set and *fd -1. */
int store_lock(const char *path, int *fd, struct ierr *e);

#endif
