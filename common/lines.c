#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "exitcodes.h"
#include "lines.h"

#define CHUNK (256 * 1024)

/*
 * Lines are read in chunks; a line that lies whole in the chunk is handed
 * out in place (its newline replaced by a NUL), one that spans chunks is
 * gathered in a buffer of its own.
 */
struct lines {
	FILE *f;
	char *name;
	char *chunk;	 /* CHUNK bytes and room for a NUL */
	size_t pos, end; /* unread bytes: chunk[pos..end) */
	struct buf long_line;
	unsigned long lineno;
	int newline;
	int at_end;
	int is_stdin;
	lines_source_fn src; /* instead of f, when set */
	void *src_arg;
};

int
lines_open(const char *path, struct lines **out, struct ierr *e)
{
	struct lines *l;
	struct stat st;
	FILE *f;

	if (path == NULL || strcmp(path, "-") == 0) {
		f = stdin;
	} else {
		if ((f = fopen(path, "r")) == NULL)
			return err_errno(e, EXIT_NOINPUT, path);
		if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
			fclose(f);
			return err_set(
			    e, EXIT_NOINPUT, "%s: is a directory", path);
		}
	}
	l = xcalloc(1, sizeof *l);
	l->f = f;
	l->is_stdin = f == stdin;
	l->name = xstrdup(l->is_stdin ? "<stdin>" : path);
	l->chunk = xmalloc(CHUNK + 1);
	*out = l;
	return 0;
}

struct lines *
lines_open_source(const char *name, lines_source_fn read, void *arg)
{
	struct lines *l = xcalloc(1, sizeof *l);

	l->src = read;
	l->src_arg = arg;
	l->name = xstrdup(name);
	l->chunk = xmalloc(CHUNK + 1);
	return l;
}

void
lines_unread(struct lines *l, const void *p, size_t n)
{
	if (n > CHUNK)
		n = CHUNK;
	memcpy(l->chunk, p, n);
	l->pos = 0;
	l->end = n;
}

/* Reads the next chunk: 1, 0 at the end, -1 on an error. */
static int
refill(struct lines *l, struct ierr *e)
{
	size_t n;
	long got;

	if (l->at_end)
		return 0;
	if (l->src != NULL) {
		if ((got = l->src(l->src_arg, l->chunk, CHUNK, e)) < 0)
			return -1;
		l->pos = 0;
		l->end = (size_t)got;
		if (got == 0)
			l->at_end = 1;
		return got > 0;
	}
	n = fread(l->chunk, 1, CHUNK, l->f);
	l->pos = 0;
	l->end = n;
	if (n > 0)
		return 1;
	if (ferror(l->f)) {
		err_set(e, EXIT_IOERR, "%s: read error: %s", l->name,
		    strerror(errno ? errno : EIO));
		return -1;
	}
	l->at_end = 1;
	return 0;
}

static int
too_long(struct lines *l, struct ierr *e)
{
	return err_set(e, EXIT_DATAERR, "%s:%lu: line longer than %d MiB",
	    l->name, l->lineno + 1, LINES_MAX >> 20);
}

int
lines_next(struct lines *l, char **line, size_t *len, struct ierr *e)
{
	char *start, *nl;
	size_t n;
	int r;

	if (l->pos == l->end && (r = refill(l, e)) <= 0)
		return r;
	/* The fast way: the whole line is in the chunk. */
	start = l->chunk + l->pos;
	if ((nl = memchr(start, '\n', l->end - l->pos)) != NULL) {
		*nl = '\0';
		*line = start;
		*len = (size_t)(nl - start);
		l->pos += *len + 1;
		l->lineno++;
		l->newline = 1;
		return 1;
	}
	/* The line goes on past the chunk: gather it. */
	buf_reset(&l->long_line);
	for (;;) {
		start = l->chunk + l->pos;
		nl = memchr(start, '\n', l->end - l->pos);
		n = nl ? (size_t)(nl - start) : l->end - l->pos;
		if (l->long_line.len + n > LINES_MAX) {
			too_long(l, e);
			return -1;
		}
		buf_add(&l->long_line, start, n);
		l->pos += n;
		if (nl != NULL) {
			l->pos++;
			l->newline = 1;
			break;
		}
		if ((r = refill(l, e)) < 0)
			return -1;
		if (r == 0) {
			l->newline = 0; /* a last line without newline */
			break;
		}
	}
	l->lineno++;
	*line = l->long_line.data; /* at least one byte was gathered */
	*len = l->long_line.len;
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
	if (l->f != NULL && !l->is_stdin)
		fclose(l->f);
	buf_free(&l->long_line);
	free(l->chunk);
	free(l->name);
	free(l);
}
