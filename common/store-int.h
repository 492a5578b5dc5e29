/*
 * Private to store.c and its helpers: the batch of new records
 * (store-batch.c reads, checks and sorts them; store.c joins them with the
 * store), what a merge reads of a store line (store-line.c) and the
 * helpers around the store's files that the merge in store.c calls
 * (store-file.c).
 */
#ifndef INTEL_STORE_INT_H
#define INTEL_STORE_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
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

/* What a merge needs of a store line, as store_scan_key() finds it: slices
 * of the line (strings as written, escaped when *_esc), borrowed. */
struct store_key {
	const char *origin, *id;
	size_t olen, idlen;
	int origin_esc, id_esc;
	int64_t version;
	int withdrawn;
	const char *from; /* received.from, or NULL without received */
	size_t flen;
	const char *expires; /* or NULL */
	size_t elen;
	int expires_esc;
};

/* What the merge needs of a store line, and how it was found: by the
 * scanner, by the key reader, neither (SF_REFUSED: jansson reads it), or
 * not yet (SF_NONE).  par_run_blocks()'s workers leave it in the line's
 * data; the key as offsets into the line, which lives until its commit. */
enum { SF_NONE, SF_SCANNED, SF_KEYED, SF_REFUSED };

struct sfacts {
	int state;
	int64_t version, expires;
	int withdrawn, relayed, has_expires;
	/* origin's and id's values: SF_SCANNED, as written, quotes and
	 * all; SF_KEYED, between the quotes, escaped if *esc */
	size_t oat, olen, idat, idlen;
	int oesc, idesc;
};

/* What the merge needs of a canonical line, from the scanner, into f.  -1
 * if the line is not canonical (store-line.c). */
int store_scan_facts(
    const struct store_opts *o, const char *line, size_t len, struct sfacts *f);

/* What the merge needs of a line of a trusted store, from the key reader
 * alone, into f.  -1 if it cannot say (the line then goes to the
 * scanner). */
int store_key_facts(
    const struct store_opts *o, const char *line, size_t len, struct sfacts *f);

/* Reads the key members of a canonical store line without validating it
 * (store-scan.c): 0 and *k set, or -1 when the line is not what it
 * expects, when the validating scanner must read it.  Only for a store
 * that store_trusted() vouches for. */
int store_scan_key(const char *line, size_t len, struct store_key *k);

/* 1 if the store open as fd is exactly the file the last merge wrote, as
 * the record in its lock file (lockfd) says: nothing has changed it
 * since, so its lines are canonical and need no validation; else 0. */
int store_trusted(int lockfd, int fd);

/* Removes the record from the lock file, before the store is replaced. */
void store_untrust(int lockfd);

/* Records in the lock file the identity of fd, the store this merge has
 * just renamed into place, if it is still the file it wrote (pre: its
 * fstat after the last write) and the file system's clock has moved past
 * its times, so that any later change shows; else leaves no record. */
void store_trust(int lockfd, int fd, const struct stat *pre);

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
