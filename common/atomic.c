#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
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
	char *path; /* the target */
	char *tmp;  /* the temporary file beside it; NULL when
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

/* Cuts res (a resolved name) back to its length before the last "/". */
static void
cut_to(struct buf *res, size_t len)
{
	res->len = len;
	res->data[len] = '\0';
}

/* May the link lst, in the folder dir (resolved), be followed? */
static int
link_trusted(const char *dir, const struct stat *lst)
{
	struct stat dst;

	if (lst->st_uid == geteuid() || lst->st_uid == 0)
		return 1;
	return stat(dir, &dst) == 0 && dst.st_uid == lst->st_uid;
}

int
atomic_resolve(const char *path, int check, char **real, struct ierr *e)
{
	struct buf res = BUF_INIT, todo = BUF_INIT, comp = BUF_INIT;
	char target[PATH_MAX], *cwd, *p;
	struct stat st;
	int links = 0, rc = 0, gone = 0;
	size_t len, dirlen;
	ssize_t n;

	*real = NULL;
	if (path[0] != '/') {
		if ((cwd = getcwd(NULL, 0)) == NULL)
			return err_errno(e, EXIT_CANTCREAT, path);
		buf_adds(&res, cwd);
		free(cwd);
	}
	/* res never ends in "/"; "" is the root. */
	if (res.len == 1)
		buf_reset(&res);
	buf_adds(&todo, path);
	while (rc == 0) {
		/* Take the first component off todo. */
		for (p = todo.data; *p == '/'; p++)
			;
		if ((len = strcspn(p, "/")) == 0)
			break;
		buf_reset(&comp);
		buf_add(&comp, p, len);
		memmove(todo.data, p + len, strlen(p + len) + 1);
		todo.len = strlen(todo.data);
		if (gone) {
			/* Taken as it is: the folder before it is missing. */
			buf_addc(&res, '/');
			buf_adds(&res, comp.data);
			continue;
		}
		if (strcmp(comp.data, ".") == 0)
			continue;
		if (strcmp(comp.data, "..") == 0) {
			if ((p = strrchr(res.data ? res.data : "", '/')) !=
			    NULL)
				cut_to(&res, (size_t)(p - res.data));
			continue;
		}
		dirlen = res.len;
		buf_addc(&res, '/');
		buf_adds(&res, comp.data);
		/* What does not exist yet is taken as it is. */
		if (lstat(res.data, &st) != 0) {
			gone = 1;
			continue;
		}
		if (!S_ISLNK(st.st_mode))
			continue;
		if (++links > 40) {
			rc = err_set(e, EXIT_CANTCREAT,
			    "%s: too many levels of symbolic links", path);
			break;
		}
		if (check) {
			char *dir = xstrdup(dirlen ? res.data : "/");

			if (dirlen)
				dir[dirlen] = '\0';
			if (!link_trusted(dir, &st))
				rc = err_set(e, EXIT_CANTCREAT,
				    "%s: the "
				    "symbolic link %s belongs to uid %lu, "
				    "neither you, root nor the owner of its "
				    "folder: not followed",
				    path, res.data, (unsigned long)st.st_uid);
			free(dir);
			if (rc != 0)
				break;
		}
		if ((n = readlink(res.data, target, sizeof target - 1)) < 0) {
			rc = err_errno(e, EXIT_CANTCREAT, res.data);
			break;
		}
		target[n] = '\0';
		cut_to(&res, dirlen);
		if (target[0] == '/')
			buf_reset(&res);
		buf_reset(&comp);
		buf_printf(&comp, "%s/%s", target, todo.data);
		buf_reset(&todo);
		buf_adds(&todo, comp.data);
	}
	if (rc == 0)
		*real = xstrdup(res.len ? res.data : "/");
	buf_free(&res);
	buf_free(&todo);
	buf_free(&comp);
	return rc;
}

/*
 * Gives the temporary file fd the mode, owner and group of the file it
 * replaces; a new file gets mode exactly, whatever the umask.
 */
static int
take_mode(int fd, const char *path, mode_t mode)
{
	struct stat st;

	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return fchmod(fd, mode);
	/* As root both; otherwise the group where the user is in it. */
	if (fchown(fd, st.st_uid, st.st_gid) != 0 &&
	    fchown(fd, (uid_t)-1, st.st_gid) != 0 && errno != EPERM)
		return -1;
	return fchmod(fd, st.st_mode & 07777);
}

int
atomic_open(const char *path, mode_t mode, struct atomic **out, struct ierr *e)
{
	struct atomic *a;
	char *copy, *dir, *base, *real = NULL;
	struct stat st;
	int fd, rc;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return err_set(e, EXIT_CANTCREAT, "%s: is a directory", path);
	if (is_direct(path))
		return open_direct(path, out, e);
	/* Follow links we trust; replace the file, keep the links. */
	if ((rc = atomic_resolve(path, 1, &real, e)) != 0)
		return rc;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode) &&
	    (is_direct(real) || strncmp(real, "/dev/", 5) == 0 ||
		strncmp(real, "/proc/", 6) == 0)) {
		free(real);
		return open_direct(path, out, e);
	}
	path = real;
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
	if (take_mode(fd, a->path, mode) != 0 ||
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
