#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "buf.h"
#include "exitcodes.h"
#include "output.h"

struct output {
	FILE *f;
	struct atomic *a;	/* NULL for standard output */
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
