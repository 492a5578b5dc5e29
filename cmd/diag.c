#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

static const char *progname = "intel";

void
diag_init(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');

	progname = slash ? slash + 1 : argv0;
}

const char *
diag_progname(void)
{
	return progname;
}

void
diag_warn(const char *fmt, ...)
{
	char line[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", progname, line);
}

void
diag_err(const struct ierr *e)
{
	fprintf(stderr, "%s: %s\n", progname, e->msg);
}
