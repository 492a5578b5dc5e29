/*
 * What the C unit tests share besides TAP (tests/tap.h): a temporary
 * folder, reading and writing whole files, removing a tree.  Header-only,
 * included once by each test after tap.h.
 *
 * util_tmpdir() makes the test's folder and removes it, with what is in
 * it, when the program exits; with INTEL_KEEP_TMP=1 in the environment
 * it is kept and its path printed as a TAP comment.  util_is_hex() is
 * is_str() on bytes written as lowercase hex.  util_rand() is the
 * tests' one pseudo-random generator (xorshift64, util_rng its state,
 * which a test may seed), util_rnd(n) a number below n from it.
 */
#ifndef INTEL_TEST_UTIL_H
#define INTEL_TEST_UTIL_H

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"

static char util_tmp[4096];
static pid_t util_tmp_owner; /* a child that exits leaves it */

/* Removes PATH and, for a folder, everything under it (a folder without
 * permissions is opened first); 0, or -1 with errno. A missing PATH is 0. */
__attribute__((unused)) static int
util_rm_tree(const char *path)
{
	struct dirent *de;
	struct stat st;
	char *child;
	size_t n;
	DIR *d;
	int rv = 0;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	(void)chmod(path, 0700);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		n = strlen(path) + strlen(de->d_name) + 2;
		if ((child = malloc(n)) == NULL) {
			rv = -1;
			break;
		}
		snprintf(child, n, "%s/%s", path, de->d_name);
		if (util_rm_tree(child) == -1)
			rv = -1;
		free(child);
	}
	closedir(d);
	if (rv == 0)
		rv = rmdir(path);
	return rv;
}

static void
util_tmp_cleanup(void)
{
	const char *keep = getenv("INTEL_KEEP_TMP");

	if (util_tmp[0] == '\0' || getpid() != util_tmp_owner)
		return;
	if (keep != NULL && *keep != '\0' && strcmp(keep, "0") != 0) {
		printf("# INTEL_KEEP_TMP: kept %s\n", util_tmp);
		fflush(stdout);
		return;
	}
	if (util_rm_tree(util_tmp) == -1)
		printf(
		    "# could not remove %s: %s\n", util_tmp, strerror(errno));
}

/* Makes the test's folder, NAME.XXXXXX under $TMPDIR or /tmp, mode 0700,
 * removed at exit (see above); returns its path.  Bails out if it cannot. */
__attribute__((unused)) static const char *
util_tmpdir(const char *name)
{
	const char *t = getenv("TMPDIR");

	if (t == NULL || *t == '\0')
		t = "/tmp";
	snprintf(util_tmp, sizeof util_tmp, "%s/%s.XXXXXX", t, name);
	if (mkdtemp(util_tmp) == NULL) {
		printf("Bail out! mkdtemp %s: %s\n", util_tmp, strerror(errno));
		exit(99);
	}
	util_tmp_owner = getpid();
	atexit(util_tmp_cleanup);
	return util_tmp;
}

/* A malloc'd "DIR/NAME" in the test's folder. */
__attribute__((unused)) static char *
util_path(const char *name)
{
	size_t n = strlen(util_tmp) + strlen(name) + 2;
	char *p = malloc(n);

	if (p == NULL)
		abort();
	snprintf(p, n, "%s/%s", util_tmp, name);
	return p;
}

/* Reads the whole of PATH into a malloc'd buffer with a NUL after the
 * last byte; its length in *len unless len is NULL.  NULL, with errno,
 * when it cannot be read. */
__attribute__((unused)) static char *
util_read_file(const char *path, size_t *len)
{
	char *p = NULL, *np;
	size_t n = 0, cap = 0, r;
	FILE *f;
	int saved;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 4097) {
			cap = cap ? cap * 2 : 8192;
			if ((np = realloc(p, cap)) == NULL)
				abort();
			p = np;
		}
		r = fread(p + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	if (ferror(f)) {
		saved = errno;
		fclose(f);
		free(p);
		errno = saved;
		return NULL;
	}
	fclose(f);
	p[n] = '\0';
	if (len != NULL)
		*len = n;
	return p;
}

/* Replaces PATH (removed first, so a file of another owner or mode goes)
 * by the N bytes at P, with MODE; 0, or -1 with errno. */
__attribute__((unused)) static int
util_write_file(const char *path, const void *p, size_t n, mode_t mode)
{
	ssize_t w;
	size_t off = 0;
	int fd, saved;

	if (unlink(path) == -1 && errno != ENOENT)
		return -1;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1)
		return -1;
	while (off < n) {
		if ((w = write(fd, (const char *)p + off, n - off)) <= 0) {
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		off += (size_t)w;
	}
	if (close(fd) == -1)
		return -1;
	return chmod(path, mode);
}

/* util_write_file() of a string. */
__attribute__((unused)) static int
util_write_str(const char *path, const char *text, mode_t mode)
{
	return util_write_file(path, text, strlen(text), mode);
}

/* Copies FROM to TO with MODE; 0, or -1 with errno. */
__attribute__((unused)) static int
util_copy_file(const char *from, const char *to, mode_t mode)
{
	size_t n;
	char *p = util_read_file(from, &n);
	int rv;

	if (p == NULL)
		return -1;
	rv = util_write_file(to, p, n, mode);
	free(p);
	return rv;
}

/* is_str() on the lowercase hex of the n bytes at p. */
__attribute__((unused)) static int
util_is_hex(const void *p, size_t n, const char *want, const char *what)
{
	char *got = malloc(2 * n + 1);
	int pass;

	if (got == NULL)
		abort();
	crypto_hex(p, n, got);
	pass = is_str(got, want, "%s", what);
	free(got);
	return pass;
}

static uint64_t util_rng = 0x9e3779b97f4a7c15ULL;

__attribute__((unused)) static uint64_t
util_rand(void)
{
	util_rng ^= util_rng << 13;
	util_rng ^= util_rng >> 7;
	util_rng ^= util_rng << 17;
	return util_rng;
}

__attribute__((unused)) static unsigned
util_rnd(unsigned n)
{
	return (unsigned)(util_rand() % n);
}

#endif
