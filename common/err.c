#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

int
err_setv(struct ierr *e, int status, const char *fmt, va_list ap)
{
	e->status = status;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	return status;
}

int
err_set(struct ierr *e, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_setv(e, status, fmt, ap);
	va_end(ap);
	return status;
}

int
err_errno(struct ierr *e, int status, const char *what)
{
	return err_set(e, status, "%s: %s", what, strerror(errno));
}

void
err_prefix(struct ierr *e, const char *fmt, ...)
{
	char pre[ERR_MSG_MAX];
	size_t n, m;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(pre, sizeof pre / 2, fmt, ap);
	va_end(ap);
	if (r < 0)
		return;
	n = strlen(pre);
	pre[n++] = ':';
	pre[n++] = ' ';
	m = strlen(e->msg);
	if (n + m >= sizeof e->msg)
		m = sizeof e->msg - n - 1;
	memmove(e->msg + n, e->msg, m);
	memcpy(e->msg, pre, n);
	e->msg[n + m] = '\0';
}

int
err_setv_at(struct ierr *e, int status, const char *file, unsigned long line,
    unsigned long col, const char *fmt, va_list ap)
{
	err_setv(e, status, fmt, ap);
	err_prefix(e, "%s:%lu:%lu", file, line, col);
	return status;
}

void
err_clear(struct ierr *e)
{
	e->status = 0;
	e->msg[0] = '\0';
}
