#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "exitcodes.h"
#include "lines.h"

struct lines {
	FILE *f;
	char *name;
	char *line;
	size_t cap;
	unsigned long lineno;
	int is_stdin;
	int newline;		/* the last line read ended with one */
};

int
lines_open(const char *path, struct lines **out, struct ierr *e)
{
	struct lines *l;
	struct stat st;
	FILE *f;

	if (path == NULL || strcmp(path, "-") == 0) {
		l = xcalloc(1, sizeof *l);
		l->f = stdin;
		l->is_stdin = 1;
		l->name = xstrdup("<stdin>");
		*out = l;
		return 0;
	}
	if ((f = fopen(path, "r")) == NULL)
		return err_errno(e, EXIT_NOINPUT, path);
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return err_set(e, EXIT_NOINPUT, "%s: is a directory", path);
	}
	l = xcalloc(1, sizeof *l);
	l->f = f;
	l->name = xstrdup(path);
	*out = l;
	return 0;
}

int
lines_next(struct lines *l, char **line, size_t *len, struct ierr *e)
{
	ssize_t n;

	errno = 0;
	n = getline(&l->line, &l->cap, l->f);
	if (n < 0) {
		if (ferror(l->f)) {
			err_set(e, EXIT_IOERR, "%s: read error: %s", l->name,
			    strerror(errno ? errno : EIO));
			return -1;
		}
		return 0;
	}
	l->lineno++;
	l->newline = n > 0 && l->line[n - 1] == '\n';
	if (l->newline)
		l->line[--n] = '\0';
	*line = l->line;
	*len = (size_t)n;
	return 1;
}

int
lines_newline(const struct lines *l)
{
	return l->newline;
}

unsigned long
lines_lineno(const struct lines *l)
{
	return l->lineno;
}

const char *
lines_name(const struct lines *l)
{
	return l->name;
}

void *
lines_stream(struct lines *l)
{
	return l->f;
}

void
lines_close(struct lines *l)
{
	if (l == NULL)
		return;
	if (!l->is_stdin)
		fclose(l->f);
	free(l->line);
	free(l->name);
	free(l);
}
