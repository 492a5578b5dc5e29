/*
 * The store's files around a merge: the lock file beside the store
 * (store_lock) and the trust record in it (store_trusted, store_trust),
 * the temporary files a killed merge left (store_remove_stale)
 * and the check that the store, its lock, the hits file, the audit log and
 * standard output are distinct files and none is an input
 * (store_check_names).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
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

/*
 * The trust record: one line in STORE.lock naming the store file the last
 * merge wrote by device, inode, size, and modification and change times
 * to the nanosecond.  Any write, truncation, touch (touch -r and cp -p
 * too), chmod or rename of the file changes its change time, which no
 * one but the kernel sets; a file copied or restored in its place is
 * another inode.  So while the record matches, the store holds exactly
 * the bytes that merge wrote, every line canonical, and the next merge
 * reads only keys (store_scan_key).  A missing, stale or damaged record
 * only costs speed: the store is then validated in full, as always.
 */
#define TRUST_TAG "intel-merge store v1"

static void
trust_line(char *out, size_t n, const struct stat *st)
{
	snprintf(out, n,
	    TRUST_TAG " dev %ju ino %ju size %jd mtime %jd.%09ld ctime "
		      "%jd.%09ld\n",
	    (uintmax_t)st->st_dev, (uintmax_t)st->st_ino, (intmax_t)st->st_size,
	    (intmax_t)st->st_mtim.tv_sec, (long)st->st_mtim.tv_nsec,
	    (intmax_t)st->st_ctim.tv_sec, (long)st->st_ctim.tv_nsec);
}

int
store_trusted(int lockfd, int fd)
{
	char want[256], have[257];
	struct stat st;
	ssize_t n;
	size_t len;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
		return 0;
	trust_line(want, sizeof want, &st);
	len = strlen(want);
	n = pread(lockfd, have, sizeof have, 0);
	return n >= 0 && (size_t)n == len && memcmp(have, want, len) == 0;
}

void
store_untrust(int lockfd)
{
	if (ftruncate(lockfd, 0) != 0) {
		/* Then the record cannot match the new file either. */
	}
}

static int
ts_after(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

static int
ts_same(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

void
store_trust(int lockfd, int fd, const struct stat *pre)
{
	static const char none[] = TRUST_TAG " none\n";
	struct timespec nap = { 0, 1000000 };
	struct stat l, st;
	char rec[256];
	size_t len;

	/*
	 * A change to the store after the fstat below gets a change time
	 * no earlier than the clock at that fstat.  File times come from a
	 * coarse clock, and some file systems keep whole seconds only: so
	 * the record is written only once the file system's clock, as the
	 * lock file's modification time shows it (taken before the fstat),
	 * is past the store's times.  Then a later change cannot leave
	 * them as they are.  Right after a merge that is almost always so
	 * already; else wait a little, and give up after about 50 ms (at
	 * once where times are whole seconds).
	 */
	for (int tries = 0; tries < 50; tries++) {
		if (pwrite(lockfd, none, sizeof none - 1, 0) !=
			(ssize_t)(sizeof none - 1) ||
		    fstat(lockfd, &l) != 0 || fstat(fd, &st) != 0)
			break;
		/* Still the file this merge wrote, as it wrote it. */
		if (!S_ISREG(st.st_mode) || st.st_dev != pre->st_dev ||
		    st.st_ino != pre->st_ino || st.st_size != pre->st_size ||
		    st.st_nlink != 1 || !ts_same(&st.st_mtim, &pre->st_mtim))
			break;
		if (ts_after(&l.st_mtim, &st.st_ctim) &&
		    ts_after(&l.st_mtim, &st.st_mtim)) {
			trust_line(rec, sizeof rec, &st);
			len = strlen(rec);
			if (pwrite(lockfd, rec, len, 0) == (ssize_t)len &&
			    ftruncate(lockfd, (off_t)len) == 0)
				return;
			break;
		}
		/* Whole seconds only: not worth the wait. */
		if (l.st_mtim.tv_nsec == 0 && st.st_ctim.tv_nsec == 0)
			break;
		nanosleep(&nap, NULL);
	}
	store_untrust(lockfd);
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
