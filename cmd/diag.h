/*
 * Diagnostics on stderr, for cmd/ only (common/ never prints: it fills a
 * struct ierr, err.h).  Every line starts with the program's name, set by
 * diag_init() (cli_init() calls it).  The message is escaped as SPEC 9
 * says (common/escape.h), so text from input cannot drive the terminal and
 * a message stays one line.
 */
#ifndef INTEL_DIAG_H
#define INTEL_DIAG_H

#include "err.h"

/* Takes the program's name from argv[0] (the part after the last slash). */
void diag_init(const char *argv0);
const char *diag_progname(void);
/* Prints "PROG: MESSAGE" and a newline to stderr. */
void diag_warn(const char *fmt, ...) ATTR_PRINTF(1, 2);
/* Prints "PROG: " and the message of e. */
void diag_err(const struct ierr *e);
/*
 * Escapes each line of b in place (SPEC 9), keeping the newlines between
 * them: for text of several lines made from input, such as intel-verify's
 * reports.  Text that is escaped already comes out the same.
 */
struct buf;
void diag_escape_lines(struct buf *b);

#endif
