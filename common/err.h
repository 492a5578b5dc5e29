/*
 * Error reports.  Code in common/ never prints and never exits: it fills a
 * struct ierr with an exit status (exitcodes.h) and a message, and returns
 * the status.  Only cmd/ decides what the user sees.
 *
 * A message says what is wrong; callers that know where (file, line) add
 * that in front with err_prefix().  Messages never contain a secret or a
 * clear value of a redacted field.
 *
 * Printing is cmd/'s: see cmd/diag.h.
 */
#ifndef INTEL_ERR_H
#define INTEL_ERR_H

#include <stdarg.h>

#define ERR_MSG_MAX 1024

struct ierr {
	int status; /* 0 when nothing went wrong */
	char msg[ERR_MSG_MAX];
};

#define IERR_INIT \
	{ \
		0, "" \
	}

#if defined(__GNUC__)
#define ATTR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ATTR_PRINTF(a, b)
#endif

/* Sets status and message; returns status.  Never fails. */
int err_set(struct ierr *e, int status, const char *fmt, ...) ATTR_PRINTF(3, 4);
int err_setv(struct ierr *e, int status, const char *fmt, va_list ap)
    ATTR_PRINTF(3, 0);
/* err_setv with the prefix "FILE:LINE:COLUMN" (an input at fault). */
int
err_setv_at(struct ierr *e, int status, const char *file, unsigned long line,
    unsigned long col, const char *fmt, va_list ap) ATTR_PRINTF(6, 0);
/* Sets status and the message "WHAT: strerror(errno)". */
int err_errno(struct ierr *e, int status, const char *what);
/* Puts "PREFIX: " in front of the message (e.g. "file.csv:12"). */
void err_prefix(struct ierr *e, const char *fmt, ...) ATTR_PRINTF(2, 3);
void err_clear(struct ierr *e);

#endif
