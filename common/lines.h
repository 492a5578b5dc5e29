/*
 * Line input of any length from a file or standard input, with line
 * numbers for diagnostics.
 */
#ifndef INTEL_LINES_H
#define INTEL_LINES_H

#include <stddef.h>

#include "err.h"

/* The longest line read: 256 MiB, four times the longest record any test
 * needs, and a bound on memory for input that has no newlines at all. */
#define LINES_MAX (256 * 1024 * 1024)

struct lines;

/* Opens path ("-" or NULL: standard input, named "<stdin>").  A file that
 * cannot be opened, or a directory: EXIT_NOINPUT with the reason. */
int lines_open(const char *path, struct lines **out, struct ierr *e);

/* The same over a source of bytes instead of a file: read() is called
 * for up to n bytes and returns how many, 0 at the end, or -1 with e set
 * (lines_next() then returns -1 with that error).  name is copied. */
typedef long (*lines_source_fn)(void *arg, void *buf, size_t n, struct ierr *e);
struct lines *
lines_open_source(const char *name, lines_source_fn read, void *arg);

/* Gives back n bytes (at most 256 KiB) read from lines_stream(), to be
 * read again first: only before the first lines_next(). */
void lines_unread(struct lines *l, const void *p, size_t n);

/* Reads the next line.  Returns 1 with *line (NUL-terminated, newline
 * removed, owned by the reader until the next call) and *len; 0 at end of
 * input; -1 on a read error (EXIT_IOERR) or a line longer than LINES_MAX
 * (EXIT_DATAERR, "FILE:LINE: line longer than ..."), message set.  A last
 * line without a newline is still a line.  Memory stays within about
 * LINES_MAX whatever the input. */
int lines_next(struct lines *l, char **line, size_t *len, struct ierr *e);

/* 1 when the line lines_next() last returned ended with a newline (every
 * line does but perhaps the last), else 0. */
int lines_newline(const struct lines *l);
/* Number of the line lines_next() last returned, from 1. */
unsigned long lines_lineno(const struct lines *l);
/* The name for diagnostics: the path, or "<stdin>". */
const char *lines_name(const struct lines *l);
/* The stream underneath, for readers that parse whole documents; only
 * before the first lines_next(). */
void *lines_stream(struct lines *l);
void lines_close(struct lines *l);

#endif
