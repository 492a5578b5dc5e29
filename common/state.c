#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "exitcodes.h"
#include "state.h"

#define STATE_FILE_MAX 64 /* a counter file: a number and a newline */

struct state {
	char *path; /* the counter file */
	int lockfd;
	int64_t value;
};

static const char *const kind_names[] = { "sent", "accepted" };

/* Appends s with every byte outside [A-Za-z0-9._-] written %XX. */
static void
add_escaped(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			buf_addc(b, (char)c);
		else
			buf_printf(b, "%%%02X", c);
	}
}

char *
state_path(const char *dir, enum state_kind kind, const char *agreement,
    const char *from, const char *to)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, dir);
	buf_addc(&b, '/');
	add_escaped(&b, agreement);
	buf_addc(&b, ',');
	add_escaped(&b, from);
	buf_addc(&b, ',');
	add_escaped(&b, to);
	buf_addc(&b, '.');
	buf_adds(&b, kind_names[kind]);
	return b.data;
}

/* Reads the counter file: STATE_NONE if it does not exist. */
static int
read_value(const char *path, int64_t *v, struct ierr *e)
{
	char text[STATE_FILE_MAX + 1], *end;
	size_t n;
	FILE *f;
	long long x;

	*v = STATE_NONE;
	if ((f = fopen(path, "r")) == NULL) {
		if (errno == ENOENT)
			return 0;
		return err_errno(e, EXIT_IOERR, path);
	}
	n = fread(text, 1, STATE_FILE_MAX, f);
	if (ferror(f)) {
		fclose(f);
		return err_errno(e, EXIT_IOERR, path);
	}
	fclose(f);
	text[n] = '\0';
	errno = 0;
	if (n == 0 || text[0] < '0' || text[0] > '9' ||
	    (x = strtoll(text, &end, 10), errno != 0) || strcmp(end, "\n") != 0)
		return err_set(e, EXIT_DATAERR,
		    "%s: not a sequence counter "
		    "(one decimal number and a newline expected)",
		    path);
	*v = x;
	return 0;
}

/* Opens and locks (flock, exclusive, waiting) the lock file path. */
static int
lock_file(const char *path, int *fd, struct ierr *e)
{
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0)
		return err_errno(e, EXIT_CANTCREAT, path);
	while (flock(*fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			close(*fd);
			*fd = -1;
			return err_errno(e, EXIT_IOERR, path);
		}
	return 0;
}

/*
 * The state folder, before anything in it is opened or created: every
 * symbolic link on the way to it is followed only if it may be (SPEC 9,
 * atomic_resolve()), so that a link planted in a shared folder fails here
 * (EXIT_CANTCREAT) and not at the first write, with a lock file already
 * made through it.  The folder is created (0700) if missing.  *real is the
 * folder without links, the caller's.
 */
static int
state_dir(const char *dir, char **real, struct ierr *e)
{
	struct stat st;
	int rc;

	if ((rc = atomic_resolve(dir, 1, real, e)) != 0)
		return rc;
	if (mkdir(*real, 0700) != 0 && errno != EEXIST)
		rc = err_errno(e, EXIT_CANTCREAT, dir);
	else if (stat(*real, &st) != 0)
		rc = err_errno(e, EXIT_CANTCREAT, dir);
	else if (!S_ISDIR(st.st_mode))
		rc = err_set(e, EXIT_CANTCREAT,
		    "%s: the state folder is not a "
		    "folder",
		    dir);
	if (rc != 0) {
		free(*real);
		*real = NULL;
	}
	return rc;
}

/* state_lock() in the folder real, checked by state_dir(). */
static int
lock_in(const char *real, enum state_kind kind, const char *agreement,
    const char *from, const char *to, struct state **out, struct ierr *e)
{
	struct state *s;
	struct buf lock = BUF_INIT;
	char *target;
	int rc;

	s = xcalloc(1, sizeof *s);
	s->lockfd = -1;
	s->path = state_path(real, kind, agreement, from, to);
	buf_printf(&lock, "%s.lock", s->path);
	/* A counter file that is a link is read through it: the same rule. */
	if ((rc = atomic_resolve(s->path, 1, &target, e)) != 0)
		goto fail;
	free(target);
	if ((rc = lock_file(lock.data, &s->lockfd, e)) != 0 ||
	    (rc = read_value(s->path, &s->value, e)) != 0)
		goto fail;
	buf_free(&lock);
	*out = s;
	return 0;
fail:
	buf_free(&lock);
	state_unlock(s);
	return rc;
}

int
state_lock(const char *dir, enum state_kind kind, const char *agreement,
    const char *from, const char *to, struct state **out, struct ierr *e)
{
	char *real;
	int rc;

	if ((rc = state_dir(dir, &real, e)) != 0)
		return rc;
	rc = lock_in(real, kind, agreement, from, to, out, e);
	free(real);
	return rc;
}

int64_t
state_value(const struct state *s)
{
	return s->value;
}

int
state_store(struct state *s, int64_t v, struct ierr *e)
{
	struct atomic *a;
	int rc;

	if ((rc = atomic_open(s->path, 0600, &a, e)) != 0)
		return rc;
	if (fprintf(atomic_file(a), "%" PRId64 "\n", v) < 0) {
		atomic_abort(a);
		return err_errno(e, EXIT_IOERR, s->path);
	}
	if ((rc = atomic_commit(a, e)) != 0)
		return rc;
	s->value = v;
	return 0;
}

void
state_unlock(struct state *s)
{
	if (s == NULL)
		return;
	if (s->lockfd >= 0)
		close(s->lockfd); /* releases the flock */
	free(s->path);
	free(s);
}

int
state_next_seq(const char *dir, const char *agreement, const char *from,
    const char *to, int64_t fixed, int64_t *seq, struct ierr *e)
{
	struct state *s;
	int64_t cur;
	int rc;

	if ((rc = state_lock(dir, STATE_SENT, agreement, from, to, &s, e)))
		return rc;
	cur = state_value(s);
	if (fixed >= 0) {
		*seq = fixed;
		if (cur == STATE_NONE || cur < fixed)
			rc = state_store(s, fixed, e);
	} else if (cur == INT64_MAX) {
		rc = err_set(
		    e, EXIT_DATAERR, "%s: the counter is exhausted", s->path);
	} else {
		*seq = cur == STATE_NONE ? 1 : cur + 1;
		rc = state_store(s, *seq, e);
	}
	state_unlock(s);
	return rc;
}

/* ---- the accepted counters of one intel-verify run ---- */

struct held {
	struct state *s;
	int64_t accepted; /* the highest seq accepted in the run */
};

struct state_run {
	const char *dir;
	char *real;  /* dir checked (state_dir), while held */
	int dirlock; /* DIR/accepted.lock while counters are held */
	struct held *h;
	size_t n, cap;
};

struct state_run *
state_run_new(const char *dir)
{
	struct state_run *r = xcalloc(1, sizeof *r);

	r->dir = dir;
	r->dirlock = -1;
	return r;
}

/* The counter for (agreement, from, to), locked: held already, or now. */
static int
run_counter(struct state_run *r, const char *agreement, const char *from,
    const char *to, struct held **out, struct ierr *e)
{
	struct buf lock = BUF_INIT;
	struct state *s;
	char *path;
	size_t i;
	int rc;

	if (r->real == NULL && (rc = state_dir(r->dir, &r->real, e)) != 0)
		return rc;
	path = state_path(r->real, STATE_ACCEPTED, agreement, from, to);
	for (i = 0; i < r->n; i++)
		if (strcmp(r->h[i].s->path, path) == 0)
			break;
	free(path);
	if (i < r->n) {
		*out = &r->h[i];
		return 0;
	}
	if (r->dirlock < 0) {
		buf_printf(&lock, "%s/accepted.lock", r->real);
		rc = lock_file(lock.data, &r->dirlock, e);
		buf_free(&lock);
		if (rc != 0)
			return rc;
	}
	if ((rc = lock_in(
		 r->real, STATE_ACCEPTED, agreement, from, to, &s, e)) != 0)
		return rc;
	if (r->n == r->cap) {
		r->cap = r->cap ? 2 * r->cap : 4;
		r->h = xrealloc(r->h, r->cap * sizeof *r->h);
	}
	r->h[r->n].s = s;
	r->h[r->n].accepted = STATE_NONE;
	*out = &r->h[r->n++];
	return 0;
}

int
state_run_check(struct state_run *r, const char *agreement, const char *from,
    const char *to, int64_t seq, int64_t *last, int *fresh, struct ierr *e)
{
	struct held *h;
	int rc;

	*fresh = 0;
	*last = STATE_NONE;
	if ((rc = run_counter(r, agreement, from, to, &h, e)) != 0)
		return rc;
	*last = state_value(h->s);
	if (h->accepted != STATE_NONE &&
	    (*last == STATE_NONE || h->accepted > *last))
		*last = h->accepted;
	if (*last == STATE_NONE || seq > *last) {
		h->accepted = seq;
		*fresh = 1;
	}
	return 0;
}

/* Releases every counter, then the folder's lock. */
static void
run_release(struct state_run *r)
{
	for (size_t i = 0; i < r->n; i++)
		state_unlock(r->h[i].s);
	r->n = 0;
	if (r->dirlock >= 0)
		close(r->dirlock);
	r->dirlock = -1;
	free(r->real); /* checked again at the next use */
	r->real = NULL;
}

int
state_run_commit(struct state_run *r, struct ierr *e)
{
	int64_t cur;
	int rc = 0;

	for (size_t i = 0; i < r->n && rc == 0; i++) {
		cur = state_value(r->h[i].s);
		if (r->h[i].accepted != STATE_NONE &&
		    (cur == STATE_NONE || r->h[i].accepted > cur))
			rc = state_store(r->h[i].s, r->h[i].accepted, e);
	}
	run_release(r);
	return rc;
}

void
state_run_free(struct state_run *r)
{
	if (r == NULL)
		return;
	run_release(r);
	free(r->h);
	free(r);
}
