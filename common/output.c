#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "exitcodes.h"
#include "output.h"

struct output {
	FILE *f;
	struct atomic *a; /* NULL for standard output */
	const char *name;
};

int
output_open(const char *path, struct output **out, struct ierr *e)
{
	struct output *o = xcalloc(1, sizeof *o);
	int rc;

	if (path == NULL || strcmp(path, "-") == 0) {
		o->f = stdout;
		o->name = "<stdout>";
	} else {
		if ((rc = atomic_open(path, 0600, &o->a, e)) != 0) {
			free(o);
			return rc;
		}
		o->f = atomic_file(o->a);
		o->name = path;
	}
	*out = o;
	return 0;
}

FILE *
output_file(struct output *o)
{
	return o->f;
}

int
output_write(struct output *o, const void *p, size_t n, struct ierr *e)
{
	if (fwrite(p, 1, n, o->f) != n)
		return err_set(e, EXIT_IOERR, "%s: write error: %s", o->name,
		    strerror(errno ? errno : EIO));
	return 0;
}

int
output_close(struct output *o, struct ierr *e)
{
	int rc = 0;

	if (o->a != NULL) {
		rc = atomic_commit(o->a, e);
	} else if (fflush(o->f) != 0 || ferror(o->f)) {
		rc = err_set(e, EXIT_IOERR, "%s: write error: %s", o->name,
		    strerror(errno ? errno : EIO));
	}
	free(o);
	return rc;
}

void
output_abort(struct output *o)
{
	if (o == NULL)
		return;
	if (o->a != NULL)
		atomic_abort(o->a);
	else
		fflush(o->f);
	free(o);
}

/* What a name stands for, to compare with others. */
struct ident {
	const char *name;
	int kind; /* 0 not compared, 1 inode, 2 name */
	dev_t dev;
	ino_t ino;
	char *real;
};

static void
ident_of(const char *name, int fd, struct ident *id)
{
	struct ierr e = IERR_INIT;
	struct stat st;
	int have;

	memset(id, 0, sizeof *id);
	if (name == NULL || strcmp(name, "-") == 0) {
		id->name = fd == 0 ? "<stdin>" : "<stdout>";
		have = fstat(fd, &st) == 0;
	} else {
		id->name = name;
		have = stat(name, &st) == 0;
		if (!have && atomic_resolve(name, 0, &id->real, &e) == 0)
			id->kind = 2;
		if (!have)
			return;
	}
	if (have && S_ISREG(st.st_mode)) {
		id->kind = 1;
		id->dev = st.st_dev;
		id->ino = st.st_ino;
	}
}

static int
ident_same(const struct ident *a, const struct ident *b)
{
	if (a->kind != b->kind)
		return 0;
	if (a->kind == 1)
		return a->dev == b->dev && a->ino == b->ino;
	if (a->kind == 2)
		return strcmp(a->real, b->real) == 0;
	return 0;
}

/* What output i is ("the store"), or "". */
static const char *
label(const char *const *what, size_t i)
{
	return what != NULL && what[i] != NULL ? what[i] : "";
}

/* The space after a label, if there is one. */
static const char *
space(const char *const *what, size_t i)
{
	return *label(what, i) != '\0' ? " " : "";
}

int
output_distinct(const char *const *outs, const char *const *what, size_t nout,
    const char *const *ins, size_t nin, struct ierr *e)
{
	struct ident *o = xcalloc(nout + 1, sizeof *o), in;
	size_t i, j;
	int rc = 0;

	for (i = 0; i < nout && rc == 0; i++) {
		/* A link that may not be followed fails first (73). */
		if (outs[i] != NULL && strcmp(outs[i], "-") != 0 &&
		    strncmp(outs[i], "/dev/", 5) != 0 &&
		    strncmp(outs[i], "/proc/", 6) != 0) {
			char *real;

			if ((rc = atomic_resolve(outs[i], 1, &real, e)) != 0)
				break;
			free(real);
		}
		ident_of(outs[i], 1, &o[i]);
		for (j = 0; j < i && rc == 0; j++)
			if (ident_same(&o[i], &o[j]))
				rc = err_set(e, EXIT_USAGE,
				    "%s%s%s is the "
				    "same file as %s%s%s: each output needs its "
				    "own",
				    label(what, i), space(what, i), o[i].name,
				    label(what, j), space(what, j), o[j].name);
	}
	for (j = 0; j < nin && rc == 0; j++) {
		ident_of(ins[j], 0, &in);
		for (i = 0; i < nout && rc == 0; i++)
			if (ident_same(&o[i], &in))
				rc = err_set(e, EXIT_USAGE,
				    "%s%s%s is the "
				    "same file as the input %s",
				    label(what, i), space(what, i), o[i].name,
				    in.name);
		free(in.real);
	}
	for (i = 0; i < nout; i++)
		free(o[i].real);
	free(o);
	return rc;
}
