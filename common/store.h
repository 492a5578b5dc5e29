/*
 * The local record store (SPEC 8): an NDJSON file, one record per line,
 * sorted by (origin, id) in UTF-8 byte order, each (origin, id) once.
 *
 * A merge is a streaming merge-join.  The new records are read, validated
 * and sorted in memory first (struct store_batch: memory grows with the
 * new input only); then the store is read line by line, and every line
 * that does not change is copied byte for byte to a temporary file beside
 * the store, which is flushed and renamed over it.  The whole merge holds
 * an exclusive lock on STORE.lock beside the file STORE names (after
 * following links).
 *
 * Which record of two with one (origin, id) stays (store_pick): a direct
 * one over a relayed one (store_relayed), whatever their versions; between
 * two of the same standing the higher version; at equal versions the one
 * whose canonical bytes sort first (memcmp).  That is a total order, so
 * the result never depends on the order in which records arrive, nor on
 * how they are split into merges.  Two records of one standing and equal
 * version that are equal apart from `received` and `expires` are the same
 * record delivered twice; otherwise they are a conflict, reported through
 * the report callback.
 *
 * Ownership: a batch owns every record it holds; store_batch_free()
 * releases it.  Strings passed to the report callback are valid only
 * during the call.
 */
#ifndef INTEL_STORE_H
#define INTEL_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "err.h"

struct store_batch;

struct store_stats {
	unsigned long read;	 /* records read from the inputs */
	unsigned long added;	 /* (origin, id) new to the store */
	unsigned long updated;	 /* a stored record replaced */
	unsigned long withdrawn; /* stored or added as a tombstone */
	unsigned long unchanged; /* input records that changed nothing */
	unsigned long conflicts; /* equal versions that differ */
	unsigned long expired;	 /* records dropped by expire */
	unsigned long stored;	 /* records in the result */
};

enum store_event {
	STORE_EV_CONFLICT, /* always worth telling */
	STORE_EV_ADDED,
	STORE_EV_UPDATED,
	STORE_EV_WITHDRAWN,
	STORE_EV_OLDER,	    /* older than the record kept */
	STORE_EV_RELAYED,   /* relayed, and the store holds it direct */
	STORE_EV_DUPLICATE, /* the same record delivered again */
	STORE_EV_EXPIRED
};

/* origin and id of the record concerned, its version, and where the
 * input record came from ("FILE:LINE"), or NULL for a store record. */
typedef void store_report_fn(void *arg, enum store_event ev, const char *origin,
    const char *id, int64_t version, const char *where);

struct store_opts {
	int expire;		 /* drop what expires before now */
	int64_t now;		 /* the time for expire */
	const char *hits;	 /* pseudonym hits to this file, or NULL */
	int full;		 /* parse every store line with jansson, as
				 * before the scanner (tests compare) */
	int threads;		 /* threads reading a store a merge did
				  * not write last: 1 for the caller's
				  * alone, N > 1 for N - 1 validating
				  * beside it, 0 for the default (2 with
				  * 2 CPUs or more); the result never
				  * depends on it */
	store_report_fn *report; /* may be NULL */
	void *report_arg;
};

struct store_batch *store_batch_new(void);
void store_batch_free(struct store_batch *b);

/* Reads every record of path ("-" or NULL: standard input) into b.  A
 * malformed record: EXIT_DATAERR with "FILE:LINE: what"; a file that
 * cannot be opened: EXIT_NOINPUT; a read error: EXIT_IOERR.  After a
 * failure b is to be freed, not merged. */
int store_batch_read(struct store_batch *b, const char *path, struct ierr *e);

/* Adds one record line (tests, and callers with records in memory).
 * where names it in diagnostics ("FILE:LINE"). */
int store_batch_add(struct store_batch *b, const char *line, size_t len,
    const char *where, struct ierr *e);

/* Number of records held. */
size_t store_batch_count(const struct store_batch *b);

/*
 * Merges b into the store at path, in place, under the lock, as described
 * above; path NULL writes the merged records to standard output instead.
 * path is resolved first (atomic_resolve: trusted links only), and the
 * lock is the resolved file's, so every name of a store shares it.  The
 * store is created if missing (mode 0600), keeps its mode, owner and group
 * otherwise, and is not rewritten if nothing changes.  Statuses:
 * EXIT_DATAERR for a malformed, out-of-order or duplicated store line
 * ("STORE:LINE: what"), the store untouched; EXIT_CANTCREAT if the lock or
 * temporary file cannot be created, a link on the way may not be
 * followed, or the store has more than one hard link; EXIT_NOINPUT if
 * the store cannot be read; EXIT_IOERR on a write error (a full disk), the
 * store untouched.  b is sorted and reduced by the first call; it may be
 * merged again.
 */
int store_merge(struct store_batch *b, const char *path,
    const struct store_opts *o, struct store_stats *st, struct ierr *e);

/*
 * Refuses (EXIT_USAGE) outputs that are the same file as the store, its
 * lock, an input or one another (output_distinct): the store (or NULL),
 * the hits file and the audit log (each NULL if not asked for; hits "-"
 * is standard output), standard output otherwise, and the nin inputs
 * (none: standard input).
 */
int store_check_names(const char *store, const char *hits, const char *audit,
    const char *const *ins, size_t nin, struct ierr *e);

/* Compares two (origin, id) pairs in UTF-8 byte order. */
int store_key_cmp(
    const char *origin1, const char *id1, const char *origin2, const char *id2);

/* 1 if rec is relayed: it has `received` and `received.from` is not its
 * `origin`; 0 if it is direct (from its originator, or without
 * `received`). */
int store_relayed(const json_t *rec);

/* Which of two records with one (origin, id) stays: returns < 0 if the
 * first, > 0 if the second, 0 if they are byte for byte the same.  canon1
 * and canon2 are their canonical forms.  *conflict is set to 1 when they
 * have one standing and equal versions but differ in more than received
 * and expires. */
int store_pick(const json_t *r1, const char *canon1, size_t len1,
    const json_t *r2, const char *canon2, size_t len2, int *conflict);

#endif
