/*
 * Ordered parallel processing of the lines of an input (SPEC 9, -j N).
 *
 * The main thread reads lines in batches and hands them to N worker
 * threads; each line's work is done by ops->work() into a struct
 * par_item, with no effect outside it; ops->commit() then takes the items
 * in input order, in the main thread, and does everything visible
 * (writing, counting, reporting).  So output, errors and line numbers are
 * exactly those of a run with one job, whatever N is: a commit that
 * returns non-zero stops the run there, and the work done ahead of it is
 * discarded unseen.  With N = 1 no thread is started: work() and commit()
 * alternate in the calling thread.
 *
 * work() runs inside the calling thread's jansson arena (jsonarena.h):
 * every jansson value it makes must be released before it returns.  A
 * worker thread releases its arena on its way out.
 *
 * Ownership: an item's line is the engine's, valid through work() and the
 * item's commit() (with N > 1 it lives in its batch, which is not read
 * again before all of it is committed; with N = 1 the reader keeps it
 * until the next line is read); its buffers and data are reused for later
 * lines: commit() must not keep pointers into any of them past its return.
 */
#ifndef INTEL_PARALLEL_H
#define INTEL_PARALLEL_H

#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "lines.h"

#define PAR_MAX_JOBS 64

struct par_item {
	const char *line; /* the line, NUL-terminated, no newline */
	size_t len;
	unsigned long lineno;
	int newline;	  /* it ended with a newline (lines_newline()) */
	int status;	  /* 0, or an exit status; err says why */
	const char *name; /* the input's name for diagnostics */
	void *data;	  /* ops->data_size bytes, zeroed before work */
	struct buf out;	  /* for the main output */
	struct buf side;  /* for a second output (withheld lines) */
	struct ierr err;  /* last: work() that succeeds touches its start */
};

struct par_ops {
	size_t data_size;
	/* A context per worker thread (or one for N = 1), made in the
	 * calling thread before work starts.  NULL return: e is set. */
	void *(*worker_new)(void *arg, struct ierr *e);
	void (*worker_free)(void *w);
	void (*work)(void *w, struct par_item *it);
	/* In input order, in the calling thread; non-zero stops the run
	 * and is returned by par_run(). */
	int (*commit)(void *arg, struct par_item *it);
};

/*
 * Runs the lines of l through ops.  Returns 0 at the end of the input,
 * commit's non-zero value, EXIT_IOERR on a read error, or the status of a
 * failed worker_new (e set for the last two).
 */
int par_run(struct lines *l, int jobs, const struct par_ops *ops, void *arg,
    struct ierr *e);

/* The same with jobs worker threads (at least one) whatever jobs is: for a
 * caller whose commit() is about as much work as work(), so that one
 * worker beside the calling thread keeps two CPUs busy. */
int par_run_threads(struct lines *l, int jobs, const struct par_ops *ops,
    void *arg, struct ierr *e);

#endif
