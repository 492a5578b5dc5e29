#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "audit.h"
#include "buf.h"
#include "crypto.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "lines.h"
#include "timeutil.h"

#define AUDIT_CHUNK 4096

/* SHA-256 hex of p[0..n). */
static void
audit_hash(const void *p, size_t n, char hex[2 * CRYPTO_SHA256_LEN + 1])
{
	unsigned char d[CRYPTO_SHA256_LEN];

	crypto_sha256(p, n, d);
	crypto_hex(d, sizeof d, hex);
}

/*
 * The last line of the file (size bytes, ending with a newline) without
 * its newline, read backwards in chunks.
 */
static int
audit_last_line(
    int fd, const char *path, off_t size, struct buf *line, struct ierr *e)
{
	char chunk[AUDIT_CHUNK];
	off_t end = size - 1, pos = end; /* skip the final newline */
	ssize_t n;

	buf_reset(line);
	while (pos > 0) {
		off_t start = pos > AUDIT_CHUNK ? pos - AUDIT_CHUNK : 0;
		size_t want = (size_t)(pos - start);
		char *nl;

		if ((n = pread(fd, chunk, want, start)) != (ssize_t)want)
			return err_set(e, EXIT_IOERR, "%s: read error: %s",
			    path, n < 0 ? strerror(errno) : "short read");
		nl = memrchr(chunk, '\n', want);
		if (nl != NULL) {
			start += nl - chunk + 1;
			pos = start;
			break;
		}
		pos = start;
	}
	/* The line is [pos, end). */
	buf_reserve(line, (size_t)(end - pos));
	if (end > pos &&
	    (n = pread(fd, line->data, (size_t)(end - pos), pos)) != end - pos)
		return err_set(e, EXIT_IOERR, "%s: read error: %s", path,
		    n < 0 ? strerror(errno) : "short read");
	line->len = (size_t)(end - pos);
	line->data[line->len] = '\0';
	return 0;
}

static void
put_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, v ? json_string(v) : json_null());
}

static void
put_num(json_t *o, const char *key, long long v)
{
	json_object_set_new(
	    o, key, v == AUDIT_NONE ? json_null() : json_integer(v));
}

static int
audit_line(const struct audit_entry *ent, const char *prev, struct buf *b,
    struct ierr *e)
{
	char at[TIMEUTIL_LEN];
	json_t *o = json_object();
	int rc;

	timeutil_format(ent->at, at);
	put_str(o, "agreement", ent->agreement);
	put_str(o, "at", at);
	put_str(o, "bundle", ent->bundle);
	put_str(o, "from", ent->from);
	put_str(o, "prev", prev);
	put_num(o, "records", ent->records);
	put_num(o, "released", ent->released);
	put_str(o, "sha512", ent->sha512);
	put_str(o, "to", ent->to);
	put_str(o, "tool", ent->tool);
	json_object_set_new(o, "withheld",
	    ent->withheld ? json_deep_copy(ent->withheld) : json_null());
	rc = jsonio_canon(b, o, e);
	json_decref(o);
	if (rc == 0)
		buf_addc(b, '\n');
	return rc;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * Flushes the log to disk.  A log written to a device or a pipe
 * (/dev/null, /dev/stderr) has nothing to flush: fsync() refusing one
 * (EINVAL, ENOTSUP) is not an error there, only for a regular file.
 */
static int
sync_log(int fd, const struct stat *st)
{
	if (fsync(fd) == 0)
		return 0;
	if (!S_ISREG(st->st_mode) &&
	    (errno == EINVAL || errno == ENOTSUP || errno == EOPNOTSUPP))
		return 0;
	return -1;
}

static int
audit_locked(
    int fd, const char *path, const struct audit_entry *ent, struct ierr *e)
{
	char prev[2 * CRYPTO_SHA256_LEN + 1] = "";
	struct buf last = BUF_INIT, out = BUF_INIT;
	struct stat st;
	char c;
	int rc = 0;

	if (fstat(fd, &st) == -1)
		return err_errno(e, EXIT_IOERR, path);
	if (st.st_size > 0) {
		if (pread(fd, &c, 1, st.st_size - 1) != 1)
			return err_errno(e, EXIT_IOERR, path);
		if (c != '\n')
			return err_set(e, EXIT_DATAERR,
			    "%s: the last line is "
			    "incomplete; not appending to a damaged log",
			    path);
		if ((rc = audit_last_line(fd, path, st.st_size, &last, e)))
			goto out;
		audit_hash(last.data, last.len, prev);
	}
	if ((rc = audit_line(ent, prev, &out, e)) != 0)
		goto out;
	if (write_all(fd, out.data, out.len) != 0 || sync_log(fd, &st) != 0) {
		rc = err_set(e, EXIT_IOERR, "%s: write error: %s", path,
		    strerror(errno));
		/* Cut a partial line off again; the chain stays whole. */
		if (ftruncate(fd, st.st_size) == 0)
			(void)fsync(fd);
	}
out:
	buf_free(&last);
	buf_free(&out);
	return rc;
}

int
audit_append(const char *path, const struct audit_entry *ent, struct ierr *e)
{
	char *real;
	int fd, rc;

	/* Through links we trust only; a new log is 0600 whatever the
	 * umask. */
	if (strncmp(path, "/dev/", 5) == 0 || strncmp(path, "/proc/", 6) == 0)
		real = xstrdup(path); /* streams, as atomic.h writes them */
	else if ((rc = atomic_resolve(path, 1, &real, e)) != 0)
		return rc;
	fd = open(real, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd != -1 && fchmod(fd, 0600) != 0) {
		rc = err_errno(e, EXIT_CANTCREAT, path);
		close(fd);
		unlink(real);
		free(real);
		return rc;
	}
	if (fd == -1 && errno == EEXIST)
		fd = open(real, O_RDWR | O_APPEND | O_CLOEXEC);
	free(real);
	if (fd == -1)
		return err_errno(e, EXIT_CANTCREAT, path);
	while (flock(fd, LOCK_EX) == -1) {
		if (errno != EINTR) {
			rc = err_errno(e, EXIT_IOERR, path);
			close(fd);
			return rc;
		}
	}
	rc = audit_locked(fd, path, ent, e);
	if (close(fd) != 0 && rc == 0)
		rc = err_errno(e, EXIT_IOERR, path);
	return rc;
}

static int
audit_bad(const char *path, unsigned long n, unsigned long *bad_line,
    struct ierr *e, const char *why)
{
	*bad_line = n;
	return err_set(e, EXIT_REFUSED, "%s:%lu: %s", path, n, why);
}

int
audit_check(const char *path, unsigned long *bad_line, struct ierr *e)
{
	char prev[2 * CRYPTO_SHA256_LEN + 1] = "";
	struct ierr pe = IERR_INIT;
	struct lines *l;
	char *line;
	size_t len;
	json_t *v, *p;
	int r, rc = 0, ok;

	*bad_line = 0;
	if ((rc = lines_open(path, &l, e)) != 0)
		return rc;
	while ((r = lines_next(l, &line, &len, e)) == 1) {
		unsigned long n = lines_lineno(l);

		if (!lines_newline(l)) {
			rc = audit_bad(path, n, bad_line, e,
			    "incomplete line (no newline)");
			break;
		}
		if (jsonio_parse(line, len, &v, &pe) != 0) {
			rc = audit_bad(path, n, bad_line, e, "not a JSON line");
			break;
		}
		p = json_object_get(v, "prev");
		ok = json_is_string(p) &&
		    strcmp(json_string_value(p), prev) == 0;
		json_decref(v);
		if (!ok) {
			rc = audit_bad(path, n, bad_line, e,
			    n == 1
				? "prev of the first line is not \"\""
				: "prev is not the SHA-256 of the line before: the "
				  "line before was changed or removed");
			break;
		}
		audit_hash(line, len, prev);
	}
	if (r < 0 && rc == 0) {
		rc = e->status;
		if (rc == EXIT_DATAERR) { /* a line too long: broken */
			*bad_line = lines_lineno(l) + 1;
			rc = EXIT_REFUSED;
			e->status = rc;
		}
	}
	lines_close(l);
	return rc;
}
