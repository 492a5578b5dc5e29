/*
 * par_run_blocks() (parallel.h): the lines of a file read in blocks of
 * whole lines.  The calling thread reads each block with read(2) into a
 * buffer of its own (the bytes after its last newline go to the start of
 * the next), workers cut it into lines and do each line's work, and the
 * calling thread commits the lines in order.  So reading costs the
 * calling thread one copy, and no look at the bytes but for the last
 * newline of a block.
 *
 * The lines, their numbers and the errors are those of lines_next() over
 * the same file: a last line without a newline is still a line; a line
 * longer than LINES_MAX, or a read error, stops the run after the lines
 * before it are committed, with lines_next()'s message.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "jsonarena.h"
#include "parallel.h"

#define BLOCK (1024 * 1024)

enum { B_EMPTY, B_READY, B_DONE };

struct block {
	char *text; /* len bytes of whole lines, and room for a NUL */
	size_t len, cap;
	int last_nl; /* the last line ends with a newline */
	struct par_line *lines;
	size_t n, lcap;
	char *data; /* data_size bytes a line */
	size_t dcap;
	/* After the lines: 0, or the run stops with this status; read
	 * error: err says why; EXIT_DATAERR: the next line is too long. */
	int stop;
	struct ierr err;
	int state;
};

struct bengine {
	const struct par_line_ops *ops;
	void *arg;
	struct block *blocks;
	size_t nblocks;
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	unsigned long published, taken;
	int quit;
	int inline_work; /* no thread could be started: work here */
};

/* Cuts b into lines and does their work (a worker thread). */
static void
cut(const struct par_line_ops *ops, void *arg, struct block *b)
{
	char *p = b->text, *end = b->text + b->len, *nl;
	struct par_line *pl;

	b->n = 0;
	jsonarena_begin();
	while (p < end) {
		if (b->n == b->lcap) {
			b->lcap = b->lcap ? b->lcap * 2 : 4096;
			b->lines = xrealloc(
			    b->lines, b->lcap * sizeof *b->lines);
			if (ops->data_size) {
				b->dcap = b->lcap;
				b->data = xrealloc(
				    b->data, b->dcap * ops->data_size);
			}
		}
		pl = &b->lines[b->n];
		pl->line = p;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL) {
			/* Only the last line of the file (b->last_nl unset). */
			pl->len = (size_t)(end - p);
			pl->newline = 0;
			*end = '\0';
			p = end;
		} else {
			pl->len = (size_t)(nl - p);
			pl->newline = 1;
			*nl = '\0';
			p = nl + 1;
		}
		pl->lineno = 0;
		pl->data = ops->data_size ? b->data + b->n * ops->data_size
					  : NULL;
		ops->work(arg, pl);
		b->n++;
	}
	jsonarena_reset();
	jsonarena_end();
}

static void *
bworker_main(void *p)
{
	struct bengine *en = p;
	struct block *b;

	pthread_mutex_lock(&en->mu);
	for (;;) {
		while (!en->quit && en->taken == en->published)
			pthread_cond_wait(&en->work_cv, &en->mu);
		if (en->quit)
			break;
		b = &en->blocks[en->taken++ % en->nblocks];
		pthread_mutex_unlock(&en->mu);
		cut(en->ops, en->arg, b);
		pthread_mutex_lock(&en->mu);
		b->state = B_DONE;
		pthread_cond_broadcast(&en->done_cv);
	}
	pthread_mutex_unlock(&en->mu);
	jsonarena_thread_end();
	return NULL;
}

/* What the reader has in hand beyond the blocks: the start of a line that
 * the last block did not end, and whether the file has ended. */
struct reader {
	int fd;
	const char *name;
	struct buf carry;
	int eof;
};

/* Reads into b at b->len, up to its capacity: 0, or -1 with b->err set.
 * Sets r->eof at the end of the file. */
static int
read_more(struct reader *r, struct block *b)
{
	ssize_t n;

	while (b->len < b->cap && !r->eof) {
		n = read(r->fd, b->text + b->len, b->cap - b->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_set(&b->err, EXIT_IOERR, "%s: read error: %s",
			    r->name, strerror(errno ? errno : EIO));
			return -1;
		}
		if (n == 0)
			r->eof = 1;
		b->len += (size_t)n;
	}
	return 0;
}

/*
 * Fills b with the next whole lines.  Returns 1 when b holds lines or
 * ends the run (b->stop), 0 at the end of the file with nothing left.
 */
static int
fill_block(struct reader *r, struct block *b)
{
	char *nl;
	size_t start;

	b->len = 0;
	b->n = 0;
	b->stop = 0;
	b->last_nl = 1;
	err_clear(&b->err);
	/* A block that a long line made big is made small again. */
	if (b->cap > 4 * BLOCK) {
		free(b->text);
		b->text = NULL;
		b->cap = 0;
	}
	if (b->cap < BLOCK || b->cap < r->carry.len + BLOCK / 2) {
		b->cap = r->carry.len + BLOCK > BLOCK ? r->carry.len + BLOCK
						      : BLOCK;
		free(b->text);
		b->text = xmalloc(b->cap + 1);
	}
	if (r->carry.len > 0)
		memcpy(b->text, r->carry.data, r->carry.len);
	b->len = r->carry.len;
	buf_reset(&r->carry);
	for (start = 0;;) {
		if (read_more(r, b) != 0) {
			/* The lines before the error go in first. */
			b->stop = EXIT_IOERR;
			nl = memrchr(b->text, '\n', b->len);
			b->len = nl ? (size_t)(nl - b->text) + 1 : 0;
			return 1;
		}
		nl = b->len > start
		    ? memrchr(b->text + start, '\n', b->len - start)
		    : NULL;
		if (nl != NULL || r->eof)
			break;
		/* No newline in the whole block: one long line. */
		if (b->len > LINES_MAX) {
			b->len = 0;
			b->stop = EXIT_DATAERR;
			return 1;
		}
		start = b->len;
		/* Room for one byte more than the longest line, to tell. */
		b->cap = b->cap < (LINES_MAX + 1) / 2 ? b->cap * 2
						      : LINES_MAX + 1;
		b->text = xrealloc(b->text, b->cap + 1);
	}
	if (nl == NULL || (r->eof && (size_t)(nl - b->text) + 1 < b->len)) {
		/* The end of the file, the last line without a newline. */
		if (b->len - (nl ? (size_t)(nl - b->text) + 1 : 0) >
		    LINES_MAX) {
			b->len = nl ? (size_t)(nl - b->text) + 1 : 0;
			b->stop = EXIT_DATAERR;
			return 1;
		}
		b->last_nl = 0;
		return b->len > 0;
	}
	/* The start of the next line waits for the next block. */
	start = (size_t)(nl - b->text) + 1;
	buf_add(&r->carry, b->text + start, b->len - start);
	b->len = start;
	return 1;
}

static void
bengine_free(struct bengine *en)
{
	for (size_t i = 0; i < en->nblocks; i++) {
		free(en->blocks[i].text);
		free(en->blocks[i].lines);
		free(en->blocks[i].data);
	}
	free(en->blocks);
	pthread_mutex_destroy(&en->mu);
	pthread_cond_destroy(&en->work_cv);
	pthread_cond_destroy(&en->done_cv);
}

/* Commits b's lines from line number *lineno on; then its stop. */
static int
commit_block(struct bengine *en, struct reader *r, struct block *b,
    unsigned long *lineno, struct ierr *e)
{
	int rc;

	for (size_t i = 0; i < b->n; i++) {
		/* (data may have moved as the block's arrays grew) */
		if (en->ops->data_size)
			b->lines[i].data = b->data + i * en->ops->data_size;
		b->lines[i].lineno = ++*lineno;
		if ((rc = en->ops->commit(en->arg, &b->lines[i])) != 0)
			return rc;
	}
	if (b->stop == EXIT_DATAERR)
		return err_set(e, EXIT_DATAERR,
		    "%s:%lu: line longer than %d MiB", r->name, *lineno + 1,
		    LINES_MAX >> 20);
	if (b->stop != 0) {
		*e = b->err;
		return b->stop;
	}
	return 0;
}

static int
bpump(struct bengine *en, struct reader *r, struct ierr *e)
{
	unsigned long filled = 0, committed = 0, lineno = 0;
	struct block *b;
	int end = 0, rc;

	for (;;) {
		while (!end && filled - committed < en->nblocks) {
			b = &en->blocks[filled % en->nblocks];
			if (!fill_block(r, b)) {
				end = 1;
				break;
			}
			if (b->stop != 0)
				end = 1;
			pthread_mutex_lock(&en->mu);
			b->state = B_READY;
			en->published = ++filled;
			pthread_cond_signal(&en->work_cv);
			pthread_mutex_unlock(&en->mu);
		}
		if (committed == filled)
			return 0;
		b = &en->blocks[committed % en->nblocks];
		if (en->inline_work)
			cut(en->ops, en->arg, b);
		pthread_mutex_lock(&en->mu);
		while (!en->inline_work && b->state != B_DONE) {
			/* Rather than wait, cut the next block no worker has
			 * taken: so this thread's spare time is used too. */
			if (en->taken < en->published) {
				struct block
				    *w = &en->blocks[en->taken++ % en->nblocks];

				pthread_mutex_unlock(&en->mu);
				cut(en->ops, en->arg, w);
				pthread_mutex_lock(&en->mu);
				w->state = B_DONE;
				continue;
			}
			pthread_cond_wait(&en->done_cv, &en->mu);
		}
		pthread_mutex_unlock(&en->mu);
		rc = commit_block(en, r, b, &lineno, e);
		b->state = B_EMPTY;
		committed++;
		if (rc != 0)
			return rc;
	}
}

int
par_run_blocks(int fd, const char *name, int workers,
    const struct par_line_ops *ops, void *arg, struct ierr *e)
{
	struct reader r;
	struct bengine en;
	pthread_t *tid;
	int n = 0, rc;

	if (workers < 0)
		workers = 0;
	if (workers > PAR_MAX_JOBS)
		workers = PAR_MAX_JOBS;
	memset(&r, 0, sizeof r);
	r.fd = fd;
	r.name = name;
	memset(&en, 0, sizeof en);
	en.ops = ops;
	en.arg = arg;
	en.nblocks = workers > 0 ? (size_t)workers * 2 + 1 : 1;
	en.blocks = xcalloc(en.nblocks, sizeof *en.blocks);
	pthread_mutex_init(&en.mu, NULL);
	pthread_cond_init(&en.work_cv, NULL);
	pthread_cond_init(&en.done_cv, NULL);
	tid = xcalloc((size_t)workers + 1, sizeof *tid);
	for (; n < workers; n++)
		if (pthread_create(&tid[n], NULL, bworker_main, &en) != 0)
			break;
	/* Fewer threads only take longer; none: the work is done here. */
	if (n == 0)
		en.inline_work = 1;
	rc = bpump(&en, &r, e);
	pthread_mutex_lock(&en.mu);
	en.quit = 1;
	pthread_cond_broadcast(&en.work_cv);
	pthread_mutex_unlock(&en.mu);
	for (int i = 0; i < n; i++)
		pthread_join(tid[i], NULL);
	free(tid);
	bengine_free(&en);
	buf_free(&r.carry);
	return rc;
}
