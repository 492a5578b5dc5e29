/*
 * parallel.h: with N workers the output, the side output, the error and
 * its line number are exactly those of one job; commit() runs in input
 * order in the calling thread and stops the run; each worker has its own
 * context; an item's data is zeroed before every work().  par_run_blocks():
 * the lines, numbers, newlines and errors of lines_next() over the same
 * file, with any number of workers, whatever the lines' lengths against
 * its blocks; data from work() reaches commit(); a commit that stops.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "exitcodes.h"
#include "jsonarena.h"
#include "lines.h"
#include "parallel.h"
#include "tap.h"
#include "util.h"

#define NLINES 3000 /* several batches of the engine */

struct wdata {
	int touched;
};

struct worker {
	int id;
	unsigned long done;
};

struct run {
	struct buf out, side, errors;
	unsigned long last;    /* the last line committed */
	unsigned long stop_at; /* commit returns 42 there; 0: never */
	int out_of_order, wrong_thread, dirty, fail_new_at;
	int news, frees;
	pthread_t main;
	pthread_mutex_t mu;
};

static void *
worker_new(void *arg, struct ierr *e)
{
	struct run *r = arg;
	struct worker *w;
	int n;

	pthread_mutex_lock(&r->mu);
	n = ++r->news;
	pthread_mutex_unlock(&r->mu);
	if (r->fail_new_at != 0 && n == r->fail_new_at) {
		err_set(e, EXIT_CONFIG, "worker %d: no context", n);
		return NULL;
	}
	w = calloc(1, sizeof *w);
	w->id = n;
	return w;
}

static struct run *freeing;

static void
worker_free(void *w)
{
	pthread_mutex_lock(&freeing->mu);
	freeing->frees++;
	pthread_mutex_unlock(&freeing->mu);
	free(w);
}

/* A line is {"n":N,"s":"..."}: the output is "LINE N S-upper", every
 * third line also goes to the side output; anything else is an error. */
static void
work(void *wp, struct par_item *it)
{
	struct worker *w = wp;
	struct wdata *d = it->data;
	json_error_t jerr;
	json_t *v;
	const char *s;
	char *up;
	json_int_t n;

	if (d->touched)
		freeing->dirty = 1;
	d->touched = 1;
	w->done++;
	/* Uneven work, so that workers finish out of order. */
	if (it->lineno % 7 == 3)
		usleep(200);
	v = json_loadb(it->line, it->len, 0, &jerr);
	if (v == NULL || json_unpack(v, "{s:I, s:s}", "n", &n, "s", &s) != 0) {
		it->status = err_set(&it->err, EXIT_DATAERR,
		    "%s:%lu: not a "
		    "test line",
		    it->name, it->lineno);
		json_decref(v);
		return;
	}
	up = strdup(s);
	for (char *p = up; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			*p -= 32;
	buf_printf(&it->out, "%lu %lld %s\n", it->lineno, (long long)n, up);
	if (n % 3 == 0)
		buf_printf(&it->side, "%lld\n", (long long)n);
	free(up);
	json_decref(v);
}

static int
commit(void *arg, struct par_item *it)
{
	struct run *r = arg;

	if (!pthread_equal(pthread_self(), r->main))
		r->wrong_thread = 1;
	if (it->lineno != r->last + 1)
		r->out_of_order = 1;
	r->last = it->lineno;
	if (it->status != 0) {
		buf_printf(&r->errors, "%d %s\n", it->status, it->err.msg);
		return it->status;
	}
	if (r->stop_at != 0 && it->lineno == r->stop_at)
		return 42;
	buf_add(&r->out, it->out.data, it->out.len);
	buf_add(&r->side, it->side.data, it->side.len);
	return 0;
}

static const struct par_ops ops = {
	.data_size = sizeof(struct wdata),
	.worker_new = worker_new,
	.worker_free = worker_free,
	.work = work,
	.commit = commit,
};

/* Writes the test input: NLINES lines, with bad lines at the given
 * numbers (0-terminated list). */
static char *
make_input(const char *name, const unsigned long *bad)
{
	struct buf b = BUF_INIT;
	char *path = util_path(name);

	for (unsigned long i = 1; i <= NLINES; i++) {
		int isbad = 0;

		for (const unsigned long *p = bad; *p != 0; p++)
			isbad |= *p == i;
		if (isbad)
			buf_printf(&b, "{\"n\":%lu,\"s\":broken}\n", i);
		else
			buf_printf(&b,
			    "{\"n\":%lu,\"s\":\"line %lu of "
			    "the input\"}\n",
			    i * 10, i);
	}
	if (util_write_file(path, b.data, b.len, 0600) != 0)
		abort();
	buf_free(&b);
	return path;
}

/* Runs path with jobs workers, commit stopping at line stop_at (0: never)
 * and the fail_new_at-th worker context failing (0: none); returns
 * par_run's status. */
static int
run(const char *path, int jobs, unsigned long stop_at, int fail_new_at,
    struct run *r, struct ierr *e)
{
	struct lines *l;
	int rc;

	memset(r, 0, sizeof *r);
	pthread_mutex_init(&r->mu, NULL);
	r->main = pthread_self();
	r->stop_at = stop_at;
	r->fail_new_at = fail_new_at;
	freeing = r;
	if (lines_open(path, &l, e) != 0)
		return -1;
	rc = par_run(l, jobs, &ops, r, e);
	lines_close(l);
	return rc;
}

static void
free_run(struct run *r)
{
	buf_free(&r->out);
	buf_free(&r->side);
	buf_free(&r->errors);
	pthread_mutex_destroy(&r->mu);
}

static int
same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len &&
	    (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static const int jobs_list[] = { 1, 2, 3, 8 };
#define NJOBS (sizeof jobs_list / sizeof jobs_list[0])

static void
test_ordered(void)
{
	static const unsigned long none[] = { 0 };
	struct ierr e = IERR_INIT;
	struct buf want = BUF_INIT, wside = BUF_INIT;
	struct run r;
	char *path = make_input("good.ndjson", none);

	/* What one job must give, computed here without the engine. */
	for (unsigned long i = 1; i <= NLINES; i++) {
		buf_printf(
		    &want, "%lu %lu LINE %lu OF THE INPUT\n", i, i * 10, i);
		if (i * 10 % 3 == 0)
			buf_printf(&wside, "%lu\n", i * 10);
	}
	for (size_t j = 0; j < NJOBS; j++) {
		int jobs = jobs_list[j];

		is_int(run(path, jobs, 0, 0, &r, &e), 0,
		    "-j %d: the run ends "
		    "at the end of the input",
		    jobs);
		ok(same(&r.out, &want),
		    "-j %d: the output, every line in "
		    "input order",
		    jobs);
		ok(same(&r.side, &wside), "-j %d: the side output likewise",
		    jobs);
		is_int((long long)r.last, NLINES,
		    "-j %d: every line "
		    "committed",
		    jobs);
		ok(!r.out_of_order, "-j %d: commits in input order", jobs);
		ok(!r.wrong_thread, "-j %d: commits in the calling thread",
		    jobs);
		ok(!r.dirty, "-j %d: an item's data is zeroed before work",
		    jobs);
		is_int(r.news, jobs, "-j %d: one context per worker", jobs);
		is_int(r.frees, r.news, "-j %d: every context freed", jobs);
		free_run(&r);
	}
	buf_free(&want);
	buf_free(&wside);
	free(path);
}

static void
test_errors(void)
{
	static const unsigned long bad[] = { 1700, 2500, 0 };
	struct ierr e = IERR_INIT;
	struct buf one = BUF_INIT, oneerr = BUF_INIT;
	struct run r;
	static const unsigned long none[] = { 0 };
	char *path = make_input("bad.ndjson", bad);
	char *good = make_input("good.ndjson", none);
	char want[4200];

	snprintf(want, sizeof want, "65 %s:1700: not a test line\n", path);
	for (size_t j = 0; j < NJOBS; j++) {
		int jobs = jobs_list[j];

		is_int(run(path, jobs, 0, 0, &r, &e), EXIT_DATAERR,
		    "-j %d: a "
		    "bad line stops the run with its status",
		    jobs);
		is_str(r.errors.data, want,
		    "-j %d: one error, the first bad "
		    "line's, with its number",
		    jobs);
		is_int((long long)r.last, 1700,
		    "-j %d: nothing committed "
		    "after it",
		    jobs);
		if (jobs == 1) {
			buf_add(&one, r.out.data, r.out.len);
			buf_add(&oneerr, r.side.data, r.side.len);
			ok(r.out.len > 0,
			    "-j 1: the lines before it were "
			    "written");
		} else {
			ok(same(&r.out, &one) && same(&r.side, &oneerr),
			    "-j %d: the output before it is -j 1's", jobs);
		}
		is_int(r.frees, r.news, "-j %d: every context freed", jobs);
		free_run(&r);
	}
	buf_free(&one);
	buf_free(&oneerr);

	/* A commit that says stop is obeyed at once. */
	for (size_t j = 0; j < NJOBS; j++) {
		static const char last[] = "599 5990 LINE 599 OF THE INPUT\n";
		size_t n = sizeof last - 1;
		int jobs = jobs_list[j];

		is_int(run(good, jobs, 600, 0, &r, &e), 42,
		    "-j %d: commit's "
		    "status is par_run's",
		    jobs);
		is_int((long long)r.last, 600,
		    "-j %d: no commit after the "
		    "one that stopped",
		    jobs);
		ok(r.out.len >= n &&
			memcmp(r.out.data + r.out.len - n, last, n) == 0,
		    "-j %d: the output ends with line 599", jobs);
		free_run(&r);
	}
	free(good);
	free(path);
}

static void
test_worker_new_fails(void)
{
	static const unsigned long none[] = { 0 };
	struct ierr e = IERR_INIT;
	struct run r;
	char *path = make_input("good.ndjson", none);

	is_int(run(path, 4, 0, 2, &r, &e), EXIT_CONFIG,
	    "a worker context "
	    "that cannot be made: its status");
	ok(strstr(e.msg, "no context") != NULL, "... and its message: %s",
	    e.msg);
	is_int((long long)r.last, 0, "... before any line is committed");
	is_int(r.frees, r.news - 1, "... the contexts made are freed");
	free_run(&r);
	free(path);
}

/* ---- par_run_blocks() ---- */

/* The lines as lines_next() reads them. */
struct ref {
	struct buf *lines;
	int *newline;
	size_t n;
	int status;
	char msg[ERR_MSG_MAX];
};

struct bdata {
	size_t len;
	unsigned sum;
};

struct brun {
	const struct ref *ref;
	unsigned long last, stop_at;
	int bad, wrong_thread;
	pthread_t main;
};

/* A hash of the first bytes and the last of a line. */
static unsigned
sum_of(const char *p, size_t n)
{
	unsigned h = 2166136261u;

	if (n > 0)
		h = (h ^ (unsigned char)p[n - 1]) * 16777619u;
	for (size_t i = 0; i < n && i < 16; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

static void
bwork(void *arg, struct par_line *pl)
{
	struct bdata *d = pl->data;

	(void)arg;
	d->len = pl->len;
	d->sum = sum_of(pl->line, pl->len);
}

static int
bcommit(void *arg, struct par_line *pl)
{
	struct brun *r = arg;
	const struct bdata *d = pl->data;
	size_t i = pl->lineno - 1;

	if (!pthread_equal(pthread_self(), r->main))
		r->wrong_thread = 1;
	if (pl->lineno != r->last + 1 || i >= r->ref->n ||
	    pl->len != r->ref->lines[i].len ||
	    memcmp(pl->line, r->ref->lines[i].data, pl->len) != 0 ||
	    pl->line[pl->len] != '\0' || pl->newline != r->ref->newline[i] ||
	    d->len != pl->len || d->sum != sum_of(pl->line, pl->len))
		r->bad = 1;
	r->last = pl->lineno;
	return r->stop_at != 0 && pl->lineno == r->stop_at ? 42 : 0;
}

static const struct par_line_ops bops = { sizeof(struct bdata), bwork,
	bcommit };

static void
ref_read(const char *path, struct ref *ref)
{
	struct ierr e = IERR_INIT;
	struct lines *l;
	char *line;
	size_t len;
	int r;

	memset(ref, 0, sizeof *ref);
	if (lines_open(path, &l, &e) != 0)
		abort();
	while ((r = lines_next(l, &line, &len, &e)) == 1) {
		ref->lines = xrealloc(
		    ref->lines, (ref->n + 1) * sizeof *ref->lines);
		ref->newline = xrealloc(
		    ref->newline, (ref->n + 1) * sizeof *ref->newline);
		memset(&ref->lines[ref->n], 0, sizeof ref->lines[ref->n]);
		buf_add(&ref->lines[ref->n], line, len);
		ref->newline[ref->n++] = lines_newline(l);
	}
	ref->status = r < 0 ? e.status : 0;
	snprintf(ref->msg, sizeof ref->msg, "%s", r < 0 ? e.msg : "");
	lines_close(l);
}

static void
ref_free(struct ref *ref)
{
	for (size_t i = 0; i < ref->n; i++)
		buf_free(&ref->lines[i]);
	free(ref->lines);
	free(ref->newline);
}

/* par_run_blocks() over path against lines_next(), with 0 (the calling
 * thread) to maxw workers. */
static void
blocks_like_lines(
    const char *what, const char *path, unsigned long stop_at, int maxw)
{
	struct ierr e = IERR_INIT;
	struct brun r;
	struct ref ref;
	int fd, rc;

	ref_read(path, &ref);
	for (int w = 0; w <= maxw; w++) {
		memset(&r, 0, sizeof r);
		r.ref = &ref;
		r.main = pthread_self();
		r.stop_at = stop_at;
		err_clear(&e);
		if ((fd = open(path, O_RDONLY)) < 0)
			abort();
		rc = par_run_blocks(fd, path, w, &bops, &r, &e);
		close(fd);
		if (stop_at != 0) {
			is_int(
			    rc, 42, "%s, %d workers: commit's status", what, w);
			is_int((long long)r.last, (long long)stop_at,
			    "%s, %d workers: no commit after it", what, w);
		} else {
			is_int(rc, ref.status,
			    "%s, %d workers: lines_next's status", what, w);
			is_str(e.msg, ref.status ? ref.msg : "",
			    "%s, %d workers: and message", what, w);
			is_int((long long)r.last, (long long)ref.n,
			    "%s, %d workers: every line", what, w);
		}
		ok(!r.bad,
		    "%s, %d workers: each line, number, newline and data "
		    "as lines_next() has it",
		    what, w);
		ok(!r.wrong_thread, "%s, %d workers: commits in this thread",
		    what, w);
	}
	ref_free(&ref);
}

static void
test_blocks(void)
{
	struct buf b = BUF_INIT;
	char *path = util_path("blocks");
	struct ierr e = IERR_INIT;
	struct brun r;
	const char *vg;
	int fd;

	util_write_file(path, "", 0, 0600);
	blocks_like_lines("an empty file", path, 0, 3);
	util_write_str(path, "a\n", 0600);
	blocks_like_lines("one line", path, 0, 3);
	util_write_str(path, "a", 0600);
	blocks_like_lines("one line without its newline", path, 0, 3);
	util_write_str(path, "\n\n\n", 0600);
	blocks_like_lines("empty lines", path, 0, 3);
	util_write_file(path, "a\0b\nc\0\n\0", 7, 0600);
	blocks_like_lines("NUL bytes", path, 0, 3);

	/* Lines across, before and after the 1 MiB blocks, one of them
	 * longer than one, the last without its newline. */
	for (int i = 0; i < 6000; i++) {
		size_t n = (size_t)(i * 7919 % 601);

		if (i == 4000)
			n = 1536 * 1024 + 17;
		for (size_t k = 0; k < n; k++)
			buf_addc(&b, (char)('a' + (i + k) % 26));
		buf_addc(&b, '\n');
	}
	buf_adds(&b, "the end");
	util_write_file(path, b.data, b.len, 0600);
	blocks_like_lines("lines of all lengths", path, 0, 3);
	blocks_like_lines("a commit that stops", path, 4500, 3);

	/* A line that ends the first block exactly. */
	buf_reset(&b);
	for (size_t k = 0; k < 1024 * 1024 - 1; k++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\nnext\n");
	util_write_file(path, b.data, b.len, 0600);
	blocks_like_lines("a block of one line", path, 0, 3);
	buf_free(&b);
	free(path);

	/* A line without end (256 MiB read: not under valgrind, slow there,
	 * where test-lines has lines_next()'s half); a read error. */
	vg = getenv("INTEL_VALGRIND");
	if (vg == NULL || *vg == '\0') {
		memset(&r, 0, sizeof r);
		r.main = pthread_self();
		if ((fd = open("/dev/zero", O_RDONLY)) < 0)
			abort();
		is_int(par_run_blocks(fd, "/dev/zero", 2, &bops, &r, &e),
		    EXIT_DATAERR, "a line past LINES_MAX: 65");
		is_str(e.msg, "/dev/zero:1: line longer than 256 MiB",
		    "... named as lines_next() names it");
		is_int((long long)r.last, 0, "... and no line committed");
		close(fd);
	}
	memset(&r, 0, sizeof r);
	r.main = pthread_self();
	if ((fd = open(util_tmp, O_RDONLY)) < 0)
		abort();
	is_int(par_run_blocks(fd, "DIR", 2, &bops, &r, &e), EXIT_IOERR,
	    "a read error: EXIT_IOERR");
	is_str(e.msg, "DIR: read error: Is a directory", "... and why");
	close(fd);
}

int
main(void)
{
	jsonarena_init();
	util_tmpdir("test-parallel");
	test_ordered();
	test_errors();
	test_worker_new_fails();
	test_blocks();
	return done_testing();
}
