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
 * Ownership: an item's line is the engine's, valid during work() only;
 * its buffers and data are reused for later lines: commit() must not keep
 * pointers into them.
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
	const char *name; /* the input's name for diagnostics */
	struct buf out;	  /* for the main output */
	struct buf side;  /* for a second output (withheld lines) */
	int status;	  /* 0, or an exit status; err says why */
	struct ierr err;
	void *data; /* ops->data_size bytes, zeroed before work */
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

/*
 * Lines whose work is small, from a file: par_run_blocks() reads the file
 * in blocks of whole lines, and a worker cuts each block into lines and
 * does their work; the calling thread only reads (one copy) and commits.
 * No item buffers, no error per line: work() leaves what it finds in the
 * line's data, which is not zeroed (work() sets what commit() reads), and
 * commit() decides.  The line (NUL-terminated, no newline) and its data
 * are valid through commit(); lineno is set for commit() only.
 */
struct par_line {
	const char *line;
	size_t len;
	unsigned long lineno;
	int newline; /* it ended with a newline (every line but the last) */
	void *data;  /* ops->data_size bytes */
};

struct par_line_ops {
	size_t data_size;
	/* In a worker thread, as par_ops.work (jansson arena and all); arg
	 * is shared by all workers: read only. */
	void (*work)(void *arg, struct par_line *pl);
	/* In input order, in the calling thread; non-zero stops the run. */
	int (*commit)(void *arg, struct par_line *pl);
};

/*
 * Runs the lines of the file open as fd, from its offset, through ops
 * with workers threads (0, or should none start: the calling thread does
 * the work, block by block), name naming it in messages.  The
 * lines, their numbers and the errors are lines_next()'s over the same
 * file.  Returns 0 at the end of the file, commit's non-zero value, or,
 * after every line before it is committed, EXIT_IOERR on a read error and
 * EXIT_DATAERR on a line longer than LINES_MAX, e set.  Memory: a few
 * blocks of 1 MiB, more only while a line is longer.
 */
int par_run_blocks(int fd, const char *name, int workers,
    const struct par_line_ops *ops, void *arg, struct ierr *e);

#endif
