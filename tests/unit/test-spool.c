/*
 * spool.h: lines go in and come out the same, through a FILE without a
 * descriptor, a pipe-like file with one (sendfile) and a digest; a sealed
 * spool holds no plain text, and a changed, shortened or lengthened spool
 * file is an error that lets only whole lines out; a reset starts empty.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "exitcodes.h"
#include "secmem.h"
#include "spool.h"
#include "tap.h"
#include "util.h"

/* n lines of about 300 bytes, each naming its number; one of 200 KB. */
static void
make_lines(struct buf *b, int n, int huge)
{
	buf_reset(b);
	for (int i = 0; i < n; i++) {
		buf_printf(b, "{\"id\":\"rec-%06d\",\"origin\":\"DE-BKA\"", i);
		buf_adds(b, ",\"text\":\"");
		for (int k = 0; k < 250 + i % 40; k++)
			buf_addc(b, (char)('a' + (i + k) % 26));
		if (huge && i == n / 2)
			for (int k = 0; k < 200000; k++)
				buf_addc(b, 'x');
		buf_adds(b, "\"}\n");
	}
}

static int
fill(struct spool *s, const struct buf *lines)
{
	struct ierr e = IERR_INIT;
	const char *p = lines->data, *nl;

	while (p < lines->data + lines->len) {
		nl = memchr(p, '\n', (size_t)(lines->data + lines->len - p));
		if (spool_write(s, p, (size_t)(nl + 1 - p), &e) != 0) {
			diag("%s", e.msg);
			return -1;
		}
		p = nl + 1;
	}
	return 0;
}

/* Copies s out through a memory stream (no descriptor). */
static int
copy_mem(struct spool *s, struct buf *out, struct ierr *e)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	int rc = spool_copy(s, f, NULL, e);

	fclose(f);
	buf_reset(out);
	buf_add(out, mem, len);
	free(mem);
	return rc;
}

/* Copies s out to a file (a descriptor: the kernel's copy). */
static int
copy_file(
    struct spool *s, struct crypto_sha512 *d, struct buf *out, struct ierr *e)
{
	char *path = util_path("out");
	FILE *f = fopen(path, "w");
	char *got;
	size_t len = 0;
	int rc;

	if (f == NULL)
		abort();
	rc = spool_copy(s, f, d, e);
	if (fclose(f) != 0 && rc == 0)
		rc = EXIT_IOERR;
	got = util_read_file(path, &len);
	free(path);
	buf_reset(out);
	if (got != NULL)
		buf_add(out, got, len);
	free(got);
	return rc;
}

/* The descriptor of this process's spool file, opened for writing. */
static int
spool_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char link[512], path[300];
	ssize_t n;
	int fd = -1;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && fd < 0) {
		snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
		if ((n = readlink(path, link, sizeof link - 1)) < 0)
			continue;
		link[n] = '\0';
		if (strstr(link, "intel-spool.") != NULL)
			fd = open(path, O_RDWR);
	}
	closedir(d);
	return fd;
}

static void
test_round_trip(enum spool_kind k, const char *what)
{
	struct buf lines = BUF_INIT, out = BUF_INIT;
	struct ierr e = IERR_INIT;
	struct crypto_sha512 *d;
	unsigned char want[64], got[64];
	struct spool *s;
	int rc;

	make_lines(&lines, 900, 1);
	ok(spool_new(k, &s, &e) == 0, "%s: made", what);
	is_int(spool_kind(s), k, "... of its kind");
	ok(fill(s, &lines) == 0, "... %zu bytes written", lines.len);
	rc = copy_mem(s, &out, &e);
	ok(rc == 0 && out.len == lines.len &&
		memcmp(out.data, lines.data, lines.len) == 0,
	    "... out the same through a FILE without a descriptor");
	d = crypto_sha512_init();
	rc = copy_file(s, d, &out, &e);
	crypto_sha512_final(d, got);
	ok(rc == 0 && out.len == lines.len &&
		memcmp(out.data, lines.data, lines.len) == 0,
	    "... and again, to a file, hashed");
	d = crypto_sha512_init();
	crypto_sha512_update(d, lines.data, lines.len);
	crypto_sha512_final(d, want);
	ok(memcmp(want, got, 64) == 0, "... the digest of the same bytes");
	rc = copy_file(s, NULL, &out, &e);
	ok(rc == 0 && out.len == lines.len &&
		memcmp(out.data, lines.data, lines.len) == 0,
	    "... and to a file, not hashed");
	ok(spool_reset(s, k, &e) == 0, "... reset");
	rc = copy_mem(s, &out, &e);
	ok(rc == 0 && out.len == 0, "... and empty after it");
	spool_free(s);
	buf_free(&lines);
	buf_free(&out);
}

static int
holds(int fd, const char *needle)
{
	struct stat st;
	char *all;
	int found;

	if (fstat(fd, &st) != 0 || st.st_size == 0)
		return 0;
	all = malloc((size_t)st.st_size);
	found = pread(fd, all, (size_t)st.st_size, 0) == st.st_size &&
	    memmem(all, (size_t)st.st_size, needle, strlen(needle)) != NULL;
	free(all);
	return found;
}

static void
test_no_plain_text(void)
{
	struct buf lines = BUF_INIT;
	struct ierr e = IERR_INIT;
	struct spool *s;
	int fd;

	make_lines(&lines, 600, 0);
	if (spool_new(SPOOL_PLAIN, &s, &e) != 0 || fill(s, &lines) != 0)
		abort();
	fd = spool_fd();
	ok(fd >= 0 && holds(fd, "\"origin\":\"DE-BKA\""),
	    "a plain spool holds its lines (the probe works)");
	close(fd);
	ok(spool_reset(s, SPOOL_SEALED, &e) == 0, "... reset, sealed");
	if (fill(s, &lines) != 0)
		abort();
	fd = spool_fd();
	ok(fd >= 0 && !holds(fd, "DE-BKA") && !holds(fd, "rec-0000"),
	    "a sealed spool holds none of them in the clear");
	close(fd);
	spool_free(s);
	buf_free(&lines);
}

/* A spool of kind k holding lines, written out to its file (copied once
 * to out); its file's descriptor, open for writing, in *fd. */
static struct spool *
spool_filled(
    enum spool_kind k, const struct buf *lines, struct buf *out, int *fd)
{
	struct ierr e = IERR_INIT;
	struct spool *s;

	if (spool_new(k, &s, &e) != 0 || fill(s, lines) != 0 ||
	    copy_mem(s, out, &e) != 0 || (*fd = spool_fd()) < 0)
		abort();
	return s;
}

/* A changed byte at off: the copy fails, and lets out only whole lines,
 * the first ones. */
static void
test_changed(off_t off, const char *what)
{
	struct buf lines = BUF_INIT, out = BUF_INIT;
	struct ierr e = IERR_INIT;
	struct spool *s;
	unsigned char c;
	int fd, rc;

	make_lines(&lines, 900, 0);
	s = spool_filled(SPOOL_SEALED, &lines, &out, &fd);
	if (off < 0) {
		struct stat st;

		fstat(fd, &st);
		off += st.st_size;
	}
	if (pread(fd, &c, 1, off) != 1)
		abort();
	c ^= 0x01;
	if (pwrite(fd, &c, 1, off) != 1)
		abort();
	close(fd);
	rc = copy_mem(s, &out, &e);
	is_int(rc, EXIT_IOERR, "%s: refused", what);
	ok(strstr(e.msg, "spool file: chunk ") != NULL &&
		strstr(e.msg, "changed on disk") != NULL,
	    "... message: %s", e.msg);
	ok(out.len < lines.len && memcmp(out.data, lines.data, out.len) == 0 &&
		(out.len == 0 || out.data[out.len - 1] == '\n'),
	    "... %zu bytes out before it, whole lines only", out.len);
	spool_free(s);
	buf_free(&lines);
	buf_free(&out);
}

static void
test_length(int longer)
{
	struct buf lines = BUF_INIT, out = BUF_INIT;
	struct ierr e = IERR_INIT;
	struct spool *s;
	struct stat st;
	int fd, rc;

	make_lines(&lines, 500, 0);
	for (int k = 0; k < 2; k++) {
		s = spool_filled(
		    k ? SPOOL_SEALED : SPOOL_PLAIN, &lines, &out, &fd);
		fstat(fd, &st);
		if (ftruncate(fd, longer ? st.st_size + 1 : st.st_size - 1) !=
		    0)
			abort();
		close(fd);
		rc = copy_mem(s, &out, &e);
		is_int(rc, EXIT_IOERR, "%s spool %s: refused",
		    k ? "sealed" : "plain", longer ? "longer" : "shorter");
		is_str(e.msg,
		    longer ? "spool file: longer than was written"
			   : "spool file: shorter than was written",
		    "... message");
		is_int((long long)out.len, 0, "... nothing out");
		spool_free(s);
	}
	buf_free(&lines);
	buf_free(&out);
}

int
main(void)
{
	struct ierr e = IERR_INIT;

	if (secmem_init(&e) != 0)
		return 1;
	setenv("TMPDIR", util_tmpdir("test-spool"), 1);
	test_round_trip(SPOOL_PLAIN, "plain");
	test_round_trip(SPOOL_SEALED, "sealed");
	test_no_plain_text();
	test_changed(0, "the first chunk's length changed");
	test_changed(10, "the first chunk's ciphertext changed");
	test_changed(140000, "a middle chunk changed");
	test_changed(-1, "the last chunk's tag changed");
	test_length(0);
	test_length(1);
	return done_testing();
}
