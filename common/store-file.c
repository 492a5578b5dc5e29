/*
 * The store's files around a merge: the lock file beside the store
 * (store_lock), the temporary files a killed merge left (store_remove_stale)
 * and the check that the store, its lock, the hits file, the audit log and
 * standard output are distinct files and none is an input
 * (store_check_names).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "exitcodes.h"
#include "output.h"
#include "store.h"
#include "store-int.h"

/*
 * Removes temporary files that a merge killed outright (SIGKILL, a power
 * cut) left beside the store: ".STORE.XXXXXX", the names atomic_open()
 * makes.  Only called with the lock held, when no other merge can be
 * writing one.
 */
void
store_remove_stale(const char *path)
{
	char *c1 = xstrdup(path), *c2 = xstrdup(path);
	const char *dir = dirname(c1), *base = basename(c2);
	size_t blen = strlen(base);
	struct buf p = BUF_INIT;
	struct dirent *d;
	DIR *dp;

	if ((dp = opendir(dir)) != NULL) {
		while ((d = readdir(dp)) != NULL) {
			if (strlen(d->d_name) != blen + 8 ||
			    d->d_name[0] != '.' ||
			    strncmp(d->d_name + 1, base, blen) != 0 ||
			    d->d_name[blen + 1] != '.')
				continue;
			buf_reset(&p);
			buf_printf(&p, "%s/%s", dir, d->d_name);
			unlink(p.data);
		}
		closedir(dp);
	}
	buf_free(&p);
	free(c1);
	free(c2);
}

/*
 * Locks STORE.lock beside the store (path resolved).  A new lock file
 * takes the store's mode, and its owner and group where we may set them,
 * so that whoever may write the store may lock it; a link in its place is
 * refused.
 */
int
store_lock(const char *path, int *fd, struct ierr *e)
{
	struct buf lock = BUF_INIT;
	struct stat st;
	mode_t mode = 0600;
	int rc = 0, have = stat(path, &st) == 0;

	if (have)
		mode = st.st_mode & 0666;
	buf_printf(&lock, "%s.lock", path);
	*fd = open(lock.data,
	    O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (*fd >= 0) {
		/* Its owner too where we may (as root). */
		if (have && fchown(*fd, st.st_uid, st.st_gid) != 0 &&
		    fchown(*fd, (uid_t)-1, st.st_gid) != 0 && errno != EPERM)
			rc = err_errno(e, EXIT_CANTCREAT, lock.data);
		else if (fchmod(*fd, mode) != 0)
			rc = err_errno(e, EXIT_CANTCREAT, lock.data);
	} else if (errno == EEXIST)
		*fd = open(lock.data, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0)
		rc = err_errno(e, EXIT_CANTCREAT, lock.data);
	while (rc == 0 && flock(*fd, LOCK_EX) != 0) {
		if (errno == EINTR)
			continue;
		rc = err_errno(e, EXIT_IOERR, lock.data);
	}
	if (rc != 0 && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	buf_free(&lock);
	return rc;
}

int
store_check_names(const char *store, const char *hits, const char *audit,
    const char *const *ins, size_t nin, struct ierr *e)
{
	const char *outs[5], *what[5], *stdin_only[1] = { NULL };
	struct buf lock = BUF_INIT;
	struct ierr ignore = IERR_INIT;
	size_t n = 0;
	char *real;
	int rc;

	if (store != NULL) {
		what[n] = "the store";
		outs[n++] = store;
		if (atomic_resolve(store, 0, &real, &ignore) == 0) {
			buf_printf(&lock, "%s.lock", real);
			free(real);
			what[n] = "the store's lock";
			outs[n++] = lock.data;
		}
	}
	if (hits != NULL) {
		what[n] = "the hits file";
		outs[n++] = hits;
	}
	if (audit != NULL) {
		what[n] = "the audit log";
		outs[n++] = audit;
	}
	/* Standard output, when --hits - does not name it already. */
	if (hits == NULL || strcmp(hits, "-") != 0) {
		what[n] = NULL; /* "<stdout>" says it */
		outs[n++] = NULL;
	}
	if (nin == 0) {
		ins = stdin_only;
		nin = 1;
	}
	rc = output_distinct(outs, what, n, ins, nin, e);
	buf_free(&lock);
	return rc;
}
