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
 *
 * Modes (SPEC 9): a new file gets the mode asked for exactly, whatever the
 * umask; a replaced file keeps its mode, and its owner and group where the
 * user may set them.  A symbolic link on the way to the name is followed
 * only if it belongs to the user, to root, or to the owner of the folder
 * that holds it; otherwise EXIT_CANTCREAT and nothing is created.
 */
#ifndef INTEL_ATOMIC_H
#define INTEL_ATOMIC_H

#include <stdio.h>
#include <sys/types.h>

#include "err.h"

struct atomic;

/* Creates the temporary file for path; mode is that of a new file (0600
 * for records and secrets).  EXIT_CANTCREAT on failure. */
int
atomic_open(const char *path, mode_t mode, struct atomic **out, struct ierr *e);
FILE *atomic_file(struct atomic *a);
/* Flushes, syncs and renames; frees a.  EXIT_IOERR on failure, when the
 * temporary file is removed and the target is untouched. */
int atomic_commit(struct atomic *a, struct ierr *e);
/* Removes the temporary file; frees a.  NULL is allowed. */
void atomic_abort(struct atomic *a);

/*
 * Resolves path as open() would, following every symbolic link on the way
 * (the last component, and folders after it, need not exist: they are
 * taken as they are).  With check set, a link that belongs to neither the
 * user, root nor the owner of its folder is refused (EXIT_CANTCREAT).
 * *real is an absolute name without links, for the caller to free.
 */
int atomic_resolve(const char *path, int check, char **real, struct ierr *e);

/* Flushes a folder's entry table to disk (after a rename into it). */
int atomic_sync_dir(const char *path, struct ierr *e);

#endif
