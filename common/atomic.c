#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "exitcodes.h"

struct atomic {
	FILE *f;
	char *path;		/* the target */
	char *tmp;		/* the temporary file beside it; NULL when
				 * the target is a device or a pipe */
	int slot;
};

/*
 * Temporary files still open, removed by the signal handler.  A fixed
 * table: a process has only a handful of outputs at once.
 */
#define SLOTS 16
static char *volatile pending[SLOTS];
static volatile sig_atomic_t handlers_set;

static void
on_signal(int sig)
{
	for (int i = 0; i < SLOTS; i++)
		if (pending[i] != NULL)
			unlink(pending[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
set_handlers(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa;

	if (handlers_set)
		return;
	handlers_set = 1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		struct sigaction old;

		/* Respect a signal the caller's parent chose to ignore. */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

static int
claim_slot(char *tmp)
{
	for (int i = 0; i < SLOTS; i++)
		if (__sync_bool_compare_and_swap(&pending[i], NULL, tmp))
			return i;
	return -1;
}

static void
release_slot(int slot)
{
	if (slot >= 0)
		pending[slot] = NULL;
}

/*
 * Where writing atomically makes no sense, the target is written directly
 * (appending, so that a shared stream such as /dev/stderr is not cut):
 * devices, pipes and sockets; names under /proc; and links under /dev
 * (/dev/stdout, /dev/fd/1), which lead to such streams or to a file open
 * in another process.  Renaming a file over any of them would replace the
 * name, not write to it.  A regular file, under /dev/shm too, is replaced
 * atomically.
 */
static int
is_direct(const char *path)
{
	struct stat st;

	if (strncmp(path, "/proc/", 6) == 0)
		return 1;
	if (lstat(path, &st) != 0)
		return 0;
	if (S_ISLNK(st.st_mode))
		return strncmp(path, "/dev/", 5) == 0;
	return !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

static int
open_direct(const char *path, struct atomic **out, struct ierr *e)
{
	struct atomic *a;
	FILE *f = fopen(path, "a");

	if (f == NULL)
		return err_errno(e, EXIT_CANTCREAT, path);
	a = xcalloc(1, sizeof *a);
	a->f = f;
	a->path = xstrdup(path);
	a->slot = -1;
	*out = a;
	return 0;
}

int
atomic_open(const char *path, mode_t mode, struct atomic **out,
    struct ierr *e)
{
	struct atomic *a;
	char *copy, *dir, *base, *real = NULL;
	struct stat st;
	mode_t mask;
	int fd;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return err_set(e, EXIT_CANTCREAT, "%s: is a directory", path);
	if (is_direct(path))
		return open_direct(path, out, e);
	/* A symbolic link: replace the file it names, keep the link. */
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
	    (real = realpath(path, NULL)) != NULL) {
		if (is_direct(real) || strncmp(real, "/dev/", 5) == 0) {
			free(real);
			return open_direct(path, out, e);
		}
		path = real;
	}
	copy = xstrdup(path);
	dir = xstrdup(dirname(copy));
	free(copy);
	copy = xstrdup(path);
	base = basename(copy);

	a = xcalloc(1, sizeof *a);
	a->slot = -1;
	a->path = xstrdup(path);
	a->tmp = xmalloc(strlen(dir) + strlen(base) + 16);
	sprintf(a->tmp, "%s/.%s.XXXXXX", dir, base);
	free(copy);
	free(dir);
	free(real);

	set_handlers();
	if ((fd = mkstemp(a->tmp)) < 0) {
		err_errno(e, EXIT_CANTCREAT, a->path);
		free(a->tmp);
		free(a->path);
		free(a);
		return EXIT_CANTCREAT;
	}
	a->slot = claim_slot(a->tmp);
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, mode & ~mask) != 0 ||
	    (a->f = fdopen(fd, "w")) == NULL) {
		err_errno(e, EXIT_CANTCREAT, a->path);
		close(fd);
		atomic_abort(a);
		return EXIT_CANTCREAT;
	}
	*out = a;
	return 0;
}

FILE *
atomic_file(struct atomic *a)
{
	return a->f;
}

int
atomic_sync_dir(const char *path, struct ierr *e)
{
	char *copy = xstrdup(path);
	int fd, rc = 0;

	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd < 0 || fsync(fd) != 0)
		rc = err_errno(e, EXIT_IOERR, path);
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

int
atomic_commit(struct atomic *a, struct ierr *e)
{
	FILE *f = a->f;
	int rc;

	a->f = NULL;
	if (a->tmp == NULL) {
		rc = 0;
		if (fflush(f) != 0 || ferror(f))
			rc = err_errno(e, EXIT_IOERR, a->path);
		if (fclose(f) != 0 && rc == 0)
			rc = err_errno(e, EXIT_IOERR, a->path);
		free(a->path);
		free(a);
		return rc;
	}
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0) {
		err_errno(e, EXIT_IOERR, a->path);
		fclose(f);
		atomic_abort(a);
		return EXIT_IOERR;
	}
	if (fclose(f) != 0) {
		err_errno(e, EXIT_IOERR, a->path);
		atomic_abort(a);
		return EXIT_IOERR;
	}
	if (rename(a->tmp, a->path) != 0) {
		err_errno(e, EXIT_IOERR, a->path);
		atomic_abort(a);
		return EXIT_IOERR;
	}
	release_slot(a->slot);
	rc = atomic_sync_dir(a->path, e);
	free(a->tmp);
	free(a->path);
	free(a);
	return rc;
}

void
atomic_abort(struct atomic *a)
{
	if (a == NULL)
		return;
	if (a->f != NULL)
		fclose(a->f);
	if (a->tmp != NULL)
		unlink(a->tmp);
	release_slot(a->slot);
	free(a->tmp);
	free(a->path);
	free(a);
}
