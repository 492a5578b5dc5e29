/*
 * Line input of any length from a file or standard input, with line
 * numbers for diagnostics.
 */
#ifndef INTEL_LINES_H
#define INTEL_LINES_H

#include <stddef.h>

#include "err.h"

struct lines;

/* Opens path ("-" or NULL: standard input, named "<stdin>").  A file that
 * cannot be opened, or a directory: EXIT_NOINPUT with the reason. */
int lines_open(const char *path, struct lines **out, struct ierr *e);

/* Reads the next line.  Returns 1 with *line (NUL-terminated, newline
 * removed, owned by the reader until the next call) and *len; 0 at end of
 * input; -1 on a read error (EXIT_IOERR, message set).  A last line
 * without a newline is still a line. */
int lines_next(struct lines *l, char **line, size_t *len, struct ierr *e);

/* 1 when the line lines_next() last returned ended with a newline (every
 * line does but perhaps the last), else 0. */
int lines_newline(const struct lines *l);
/* Number of the line lines_next() last returned, from 1. */
unsigned long lines_lineno(const struct lines *l);
/* The name for diagnostics: the path, or "<stdin>". */
const char *lines_name(const struct lines *l);
/* The stream underneath, for readers that parse whole documents. */
void *lines_stream(struct lines *l);
void lines_close(struct lines *l);

#endif
