#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "escape.h"

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

/*
 * Messages carry text from input (file names, party codes, ids, member
 * names).  The whole message is escaped here (SPEC 9) rather than each
 * piece where it is put in: the messages' own words never hold a control,
 * a separator, a bidirectional control or invalid UTF-8, so escaping them
 * changes nothing, and no message can be printed unescaped.
 */
static void
print(const char *msg)
{
	char line[ESCAPE_MAX_GROWTH * ERR_MSG_MAX + 1];

	escape_text(line, sizeof line, msg, strlen(msg));
	fprintf(stderr, "%s: %s\n", progname, line);
}

void
diag_warn(const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	print(msg);
}

void
diag_err(const struct ierr *e)
{
	print(e->msg);
}

void
diag_escape_lines(struct buf *b)
{
	struct buf t = BUF_INIT;
	size_t i = 0, j, n;

	buf_add(&t, "", 0);
	while (i < b->len) {
		for (j = i; j < b->len && b->data[j] != '\n'; j++)
			continue;
		n = escape_text(NULL, 0, b->data + i, j - i);
		buf_reserve(&t, n);
		escape_text(t.data + t.len, n + 1, b->data + i, j - i);
		t.len += n;
		if (j < b->len)
			buf_addc(&t, '\n');
		i = j + 1;
	}
	buf_free(b);
	*b = t;
}
