/*
 * Where a tool writes its records: standard output, or with -o FILE a file
 * written atomically (atomic.h).  Write errors (a full disk, a closed pipe)
 * are reported as EXIT_IOERR; on failure nothing is left under FILE.
 */
#ifndef INTEL_OUTPUT_H
#define INTEL_OUTPUT_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

struct output;

/* path NULL or "-": standard output. */
int output_open(const char *path, struct output **out, struct ierr *e);
FILE *output_file(struct output *o);
/* Writes n bytes; EXIT_IOERR on failure. */
int output_write(struct output *o, const void *p, size_t n, struct ierr *e);
/* Flushes and, for a file, commits it; frees o.  EXIT_IOERR on failure. */
int output_close(struct output *o, struct ierr *e);
/* Discards: a file is removed, standard output is flushed; frees o. */
void output_abort(struct output *o);

/*
 * Refuses (EXIT_USAGE, nothing touched) an output that is the same file as
 * another output or as an input (SPEC 8): by device and inode, or for a
 * name that does not exist yet by its name after following links.  NULL
 * or "-" in outs is standard output, in ins standard input; each counts
 * only when it is a regular file.  Only regular files (and names not yet
 * there) are compared: /dev/null may take several outputs.  what, if not
 * NULL, says what each output is ("the store") for the message, which
 * names both files ("<stdout>", "<stdin>" for the streams).  An output
 * named through a symbolic link that may not be followed (atomic.h) is
 * refused first, with EXIT_CANTCREAT.
 */
int output_distinct(const char *const *outs, const char *const *what,
    size_t nout, const char *const *ins, size_t nin, struct ierr *e);

#endif
