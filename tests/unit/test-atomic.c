/*
 * atomic.h: an output file is replaced by rename, never rewritten in
 * place; until the commit nothing changes under its name; a failed write
 * or an interrupted run leaves the old file and no temporary file; devices
 * are written directly.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "exitcodes.h"
#include "tap.h"
#include "util.h"

/*
 * fsync() interposed: the library's calls land here, counted, and fail
 * while fsync_fails is set.  (Not syncing makes the test no faster to
 * break: only whether and when the library asks matters here.)
 */
static int fsync_calls, fsync_fails;

int
fsync(int fd)
{
	(void)fd;
	fsync_calls++;
	if (fsync_fails) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/* The names in folder d, sorted, joined by spaces ("" when empty). */
static char *
entries(const char *d)
{
	struct dirent **list;
	size_t len = 1;
	char *s;
	int n, i;

	if ((n = scandir(d, &list, NULL, alphasort)) < 0)
		return NULL;
	for (i = 0; i < n; i++)
		len += strlen(list[i]->d_name) + 1;
	s = calloc(1, len);
	for (i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") != 0 &&
		    strcmp(list[i]->d_name, "..") != 0) {
			if (*s != '\0')
				strcat(s, " ");
			strcat(s, list[i]->d_name);
		}
		free(list[i]);
	}
	free(list);
	return s;
}

static int
is_entries(const char *d, const char *want, const char *what)
{
	char *got = entries(d);
	int pass = is_str(got, want, "%s", what);

	free(got);
	return pass;
}

static int
is_file(const char *path, const char *want, const char *what)
{
	char *got = util_read_file(path, NULL);
	int pass = is_str(got, want, "%s", what);

	free(got);
	return pass;
}

/* Writes text through atomic_open/atomic_commit; the commit's status. */
static int
put(const char *path, const char *text, struct ierr *e)
{
	struct atomic *a;
	int rc;

	if ((rc = atomic_open(path, 0644, &a, e)) != 0)
		return rc;
	fputs(text, atomic_file(a));
	return atomic_commit(a, e);
}

static void
test_replace(const char *dir)
{
	struct ierr e = IERR_INIT;
	struct atomic *a;
	char *path = util_path("out"), *sub;
	struct stat before, after;
	char old[16] = "";
	int fd;

	is_int(put(path, "one\n", &e), 0, "a new file: committed");
	is_file(path, "one\n", "... holds what was written");
	is_entries(dir, "out", "... and nothing beside it");

	/* Until the commit the old file is all there is under the name. */
	stat(path, &before);
	fd = open(path, O_RDONLY);
	is_int(atomic_open(path, 0644, &a, &e), 0, "open over it");
	fputs("two\n", atomic_file(a));
	fflush(atomic_file(a));
	is_file(path, "one\n", "before the commit the old content stays");
	is_int(atomic_commit(a, &e), 0, "commit");
	is_file(path, "two\n", "after it the new content is there");
	is_entries(dir, "out", "no temporary file is left");
	stat(path, &after);
	ok(before.st_ino != after.st_ino,
	    "the file was replaced (a new "
	    "inode), not rewritten in place");
	ok(fd >= 0 && read(fd, old, sizeof old - 1) == 4 &&
		strcmp(old, "one\n") == 0,
	    "a reader that had it open still "
	    "reads the old content whole");
	if (fd >= 0)
		close(fd);

	/* Aborted: the old file, and nothing else. */
	is_int(atomic_open(path, 0644, &a, &e), 0, "open, then abort");
	fputs("three\n", atomic_file(a));
	fflush(atomic_file(a));
	atomic_abort(a);
	is_file(path, "two\n", "abort leaves the old content");
	is_entries(dir, "out", "abort leaves no temporary file");
	atomic_abort(NULL);
	ok(1, "atomic_abort(NULL) is allowed");

	/* Refusals: a folder as target, a folder that does not exist. */
	sub = util_path("sub");
	mkdir(sub, 0700);
	a = NULL;
	is_int(atomic_open(sub, 0644, &a, &e), EXIT_CANTCREAT,
	    "a folder as target: EXIT_CANTCREAT");
	ok(a == NULL && strstr(e.msg, sub) != NULL, "... named: %s", e.msg);
	rmdir(sub);
	free(sub);
	sub = util_path("none/out");
	err_clear(&e);
	is_int(atomic_open(sub, 0644, &a, &e), EXIT_CANTCREAT,
	    "in a missing folder: EXIT_CANTCREAT");
	ok(strstr(e.msg, sub) != NULL, "... named: %s", e.msg);
	free(sub);
	is_entries(dir, "out", "the refusals left nothing");
	free(path);
}

/* A write that fails (a file size limit, as a full disk would): the old
 * file stays, no temporary file, EXIT_IOERR naming the file. */
static void
test_failed_write(const char *dir)
{
	struct ierr e = IERR_INIT;
	struct rlimit old, small;
	struct atomic *a;
	char *path = util_path("out"), *big;
	size_t n = 1 << 20;
	int rc;

	if (getrlimit(RLIMIT_FSIZE, &old) != 0) {
		ok(0, "getrlimit");
		free(path);
		return;
	}
	big = malloc(n);
	memset(big, 'x', n);
	signal(SIGXFSZ, SIG_IGN);
	small = old;
	small.rlim_cur = 4096;
	is_int(atomic_open(path, 0644, &a, &e), 0,
	    "open for a write that "
	    "will fail");
	setrlimit(RLIMIT_FSIZE, &small);
	fwrite(big, 1, n, atomic_file(a));
	rc = atomic_commit(a, &e);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	is_int(rc, EXIT_IOERR, "the commit of a failed write: EXIT_IOERR");
	ok(strstr(e.msg, path) != NULL, "... naming the file: %s", e.msg);
	is_file(path, "two\n", "the old content stays");
	is_entries(dir, "out", "no temporary file is left");
	free(big);
	free(path);
}

/* The file and then its folder are flushed to disk; a failed flush is a
 * failed commit. */
static void
test_fsync(const char *dir)
{
	struct ierr e = IERR_INIT;
	char *path = util_path("out");
	int before = fsync_calls;

	is_int(put(path, "two\n", &e), 0, "a commit");
	ok(fsync_calls - before >= 2,
	    "... fsyncs at least twice: the file "
	    "and its folder");
	fsync_fails = 1;
	is_int(put(path, "lost\n", &e), EXIT_IOERR,
	    "a commit whose fsync "
	    "fails: EXIT_IOERR");
	fsync_fails = 0;
	ok(strstr(e.msg, path) != NULL, "... naming the file: %s", e.msg);
	is_file(path, "two\n", "the file was not renamed over the old one");
	is_entries(dir, "out", "no temporary file is left");
	free(path);
}

/* A run killed (SIGTERM) before the commit leaves no temporary file. */
static void
test_signal(const char *dir)
{
	char *path = util_path("out");
	pid_t pid;
	int st = 0;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct ierr e = IERR_INIT;
		struct atomic *a;

		if (atomic_open(path, 0644, &a, &e) != 0)
			_exit(2);
		fputs("half", atomic_file(a));
		fflush(atomic_file(a));
		raise(SIGTERM);
		_exit(3);
	}
	waitpid(pid, &st, 0);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM,
	    "the writer died of "
	    "SIGTERM");
	is_file(path, "two\n", "the old content stays");
	is_entries(dir, "out",
	    "the signal handler removed the temporary "
	    "file");
	free(path);
}

static void
test_direct(void)
{
	struct ierr e = IERR_INIT;
	struct atomic *a;
	int rc;

	is_int(atomic_open("/dev/null", 0644, &a, &e), 0, "/dev/null opens");
	fputs("x", atomic_file(a));
	is_int(atomic_commit(a, &e), 0, "... is written directly");
	if (access("/dev/full", W_OK) != 0) {
		diag("no /dev/full: its checks are left out");
		return;
	}
	is_int(atomic_open("/dev/full", 0644, &a, &e), 0,
	    "/dev/full opens "
	    "(a device: no temporary file beside it in /dev)");
	for (int i = 0; i < 2000; i++)
		fputs("a line for a full device\n", atomic_file(a));
	rc = atomic_commit(a, &e);
	is_int(rc, EXIT_IOERR, "... and its commit reports the full device");
	ok(strstr(e.msg, "/dev/full") != NULL, "... named: %s", e.msg);
}

static void
test_sync_dir(void)
{
	struct ierr e = IERR_INIT;
	char *path = util_path("out"), *missing = util_path("no/such");

	is_int(atomic_sync_dir(path, &e), 0,
	    "atomic_sync_dir on the folder "
	    "of a file");
	is_int(atomic_sync_dir(missing, &e), EXIT_IOERR,
	    "... of a missing "
	    "folder: EXIT_IOERR");
	free(path);
	free(missing);
}

int
main(void)
{
	const char *dir = util_tmpdir("test-atomic");

	umask(022);
	test_replace(dir);
	test_failed_write(dir);
	test_fsync(dir);
	test_signal(dir);
	test_direct();
	test_sync_dir();
	return done_testing();
}
