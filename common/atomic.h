/*
 * Output files written atomically: a temporary file in the same folder,
 * flushed to disk, renamed over the target, the folder flushed.  Until
 * atomic_commit() nothing is visible under the target's name; a failed or
 * interrupted run (SIGINT, SIGTERM, SIGHUP, SIGPIPE) leaves no temporary
 * file behind.
 *
 * Devices, pipes, sockets, names under /proc and links under /dev
 * (/dev/stdout, /dev/null, /dev/full, /proc/self/fd/N) are written
 * directly, appending; a symbolic link to a file has that file replaced
 * and stays a link; a regular file (under /dev/shm too) is replaced.
 */
#ifndef INTEL_ATOMIC_H
#define INTEL_ATOMIC_H

#include <stdio.h>
#include <sys/types.h>

#include "err.h"

struct atomic;

/* Creates the temporary file for path with the given mode (0666 for
 * ordinary output; the umask applies).  EXIT_CANTCREAT on failure. */
int atomic_open(const char *path, mode_t mode, struct atomic **out,
    struct ierr *e);
FILE *atomic_file(struct atomic *a);
/* Flushes, syncs and renames; frees a.  EXIT_IOERR on failure, when the
 * temporary file is removed and the target is untouched. */
int atomic_commit(struct atomic *a, struct ierr *e);
/* Removes the temporary file; frees a.  NULL is allowed. */
void atomic_abort(struct atomic *a);

/* Flushes a folder's entry table to disk (after a rename into it). */
int atomic_sync_dir(const char *path, struct ierr *e);

#endif
