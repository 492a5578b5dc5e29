#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "lines.h"
#include "tap.h"
#include "util.h"

int
main(void)
{
	char *path;
	struct ierr e = IERR_INIT;
	struct lines *l;
	size_t len, big = 64u << 20;
	char *line, *data;
	FILE *f;
	int r;

	/* A 64 MiB line between two short ones, the last without newline. */
	util_tmpdir("test-lines");
	path = util_path("lines");
	if ((f = fopen(path, "w")) == NULL)
		return 99;
	data = malloc(big);
	memset(data, 'x', big);
	fputs("first\n", f);
	fwrite(data, 1, big, f);
	fputs("\n\nlast", f);
	fclose(f);

	ok(lines_open(path, &l, &e) == 0, "open a file");
	r = lines_next(l, &line, &len, &e);
	ok(r == 1 && len == 5 && strcmp(line, "first") == 0, "first line");
	r = lines_next(l, &line, &len, &e);
	ok(r == 1 && len == big && memcmp(line, data, big) == 0 &&
		line[len] == '\0',
	    "a 64 MiB line whole");
	is_int((long long)lines_lineno(l), 2, "its line number");
	r = lines_next(l, &line, &len, &e);
	ok(r == 1 && len == 0, "an empty line");
	r = lines_next(l, &line, &len, &e);
	ok(r == 1 && strcmp(line, "last") == 0, "a last line without newline");
	is_int((long long)lines_lineno(l), 4, "line 4");
	is_int(lines_next(l, &line, &len, &e), 0, "end of input");
	is_str(lines_name(l), path, "name is the path");
	lines_close(l);
	free(path);
	free(data);

	/* Input without newlines does not take memory without bound. */
	ok(lines_open("/dev/zero", &l, &e) == 0, "open /dev/zero");
	is_int(lines_next(l, &line, &len, &e), -1,
	    "a line past LINES_MAX "
	    "is refused");
	is_int(e.status, EXIT_DATAERR, "... with 65");
	ok(strstr(e.msg, "/dev/zero:1: line longer than 256 MiB") != NULL,
	    "... named with its line: %s", e.msg);
	lines_close(l);

	is_int(lines_open("/nonexistent/x", &l, &e), EXIT_NOINPUT,
	    "a missing file is 66");
	ok(strstr(e.msg, "/nonexistent/x") != NULL, "message names it");
	is_int(lines_open("/tmp", &l, &e), EXIT_NOINPUT, "a directory is 66");
	ok(strstr(e.msg, "is a directory") != NULL, "message says so");
	ok(lines_open("-", &l, &e) == 0, "- is stdin");
	is_str(lines_name(l), "<stdin>", "named <stdin>");
	lines_close(l);
	return done_testing();
}
