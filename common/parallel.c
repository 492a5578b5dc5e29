#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "jsonarena.h"
#include "parallel.h"

#define BATCH_LINES 512
#define BATCH_BYTES (1024 * 1024)

enum { EMPTY, READY, DONE };

struct batch {
	struct buf text; /* the lines, each NUL-terminated */
	size_t *offs;
	struct par_item *items;
	char *data;
	size_t n;
	int state;
};

struct engine {
	const struct par_ops *ops;
	void *arg;
	struct batch *batches;
	size_t nbatches;
	pthread_mutex_t mu;
	pthread_cond_t work_cv, done_cv;
	unsigned long published; /* batches handed to workers */
	unsigned long taken;	 /* batches workers have taken */
	int quit;
};

struct worker {
	struct engine *en;
	void *ctx;
	pthread_t tid;
};

static void
item_prepare(const struct par_ops *ops, struct par_item *it)
{
	buf_reset(&it->out);
	buf_reset(&it->side);
	it->status = 0;
	err_clear(&it->err);
	if (ops->data_size)
		memset(it->data, 0, ops->data_size);
}

static void
item_free(struct par_item *it)
{
	buf_free(&it->out);
	buf_free(&it->side);
}

/* One line's work, in an arena of the calling thread (jsonarena.h). */
static void
work_one(const struct par_ops *ops, void *w, struct par_item *it)
{
	jsonarena_begin();
	ops->work(w, it);
	jsonarena_reset();
	jsonarena_end();
}

/* ---- one job: no threads ---- */

static int
run_serial(
    struct lines *l, const struct par_ops *ops, void *arg, struct ierr *e)
{
	struct par_item it;
	void *w;
	char *line;
	size_t len;
	int r, rc = 0;

	if ((w = ops->worker_new(arg, e)) == NULL)
		return e->status ? e->status : EXIT_IOERR;
	memset(&it, 0, sizeof it);
	it.data = ops->data_size ? xcalloc(1, ops->data_size) : NULL;
	it.name = lines_name(l);
	while ((r = lines_next(l, &line, &len, e)) == 1) {
		item_prepare(ops, &it);
		it.line = line;
		it.len = len;
		it.lineno = lines_lineno(l);
		work_one(ops, w, &it);
		if ((rc = ops->commit(arg, &it)) != 0)
			break;
	}
	if (r < 0 && rc == 0)
		rc = e->status;
	item_free(&it);
	free(it.data);
	ops->worker_free(w);
	return rc;
}

/* ---- N jobs ---- */

static void
process(struct engine *en, void *ctx, struct batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct par_item *it = &b->items[i];

		item_prepare(en->ops, it);
		it->line = b->text.data + b->offs[i];
		work_one(en->ops, ctx, it);
	}
}

static void *
worker_main(void *p)
{
	struct worker *wk = p;
	struct engine *en = wk->en;

	pthread_mutex_lock(&en->mu);
	for (;;) {
		struct batch *b;

		while (!en->quit && en->taken == en->published)
			pthread_cond_wait(&en->work_cv, &en->mu);
		if (en->quit)
			break;
		b = &en->batches[en->taken++ % en->nbatches];
		pthread_mutex_unlock(&en->mu);
		process(en, wk->ctx, b);
		pthread_mutex_lock(&en->mu);
		b->state = DONE;
		pthread_cond_broadcast(&en->done_cv);
	}
	pthread_mutex_unlock(&en->mu);
	jsonarena_thread_end();
	return NULL;
}

/* Fills b with the next lines; returns 1 at the end of the input, -1 on a
 * read error, else 0. */
static int
fill(struct lines *l, struct batch *b, struct ierr *e)
{
	char *line;
	size_t len;
	int r = 1;

	buf_reset(&b->text);
	b->n = 0;
	while (b->n < BATCH_LINES && b->text.len < BATCH_BYTES &&
	    (r = lines_next(l, &line, &len, e)) == 1) {
		struct par_item *it = &b->items[b->n];

		b->offs[b->n] = b->text.len;
		buf_add(&b->text, line, len);
		buf_addc(&b->text, '\0');
		it->len = len;
		it->lineno = lines_lineno(l);
		it->name = lines_name(l);
		b->n++;
	}
	return r == 1 ? 0 : r == 0 ? 1 : -1;
}

static void
engine_free(struct engine *en)
{
	for (size_t i = 0; i < en->nbatches; i++) {
		struct batch *b = &en->batches[i];

		for (size_t k = 0; k < BATCH_LINES; k++)
			item_free(&b->items[k]);
		buf_free(&b->text);
		free(b->offs);
		free(b->items);
		free(b->data);
	}
	free(en->batches);
	pthread_mutex_destroy(&en->mu);
	pthread_cond_destroy(&en->work_cv);
	pthread_cond_destroy(&en->done_cv);
}

static void
engine_init(struct engine *en, int jobs, const struct par_ops *ops, void *arg)
{
	memset(en, 0, sizeof *en);
	en->ops = ops;
	en->arg = arg;
	en->nbatches = (size_t)jobs * 2 + 1;
	en->batches = xcalloc(en->nbatches, sizeof *en->batches);
	for (size_t i = 0; i < en->nbatches; i++) {
		struct batch *b = &en->batches[i];

		b->offs = xcalloc(BATCH_LINES, sizeof *b->offs);
		b->items = xcalloc(BATCH_LINES, sizeof *b->items);
		if (ops->data_size) {
			b->data = xcalloc(BATCH_LINES, ops->data_size);
			for (size_t k = 0; k < BATCH_LINES; k++)
				b->items[k].data = b->data + k * ops->data_size;
		}
	}
	pthread_mutex_init(&en->mu, NULL);
	pthread_cond_init(&en->work_cv, NULL);
	pthread_cond_init(&en->done_cv, NULL);
}

/* Commits the batches in order while reading ahead. */
static int
pump(struct engine *en, struct lines *l, struct ierr *e)
{
	unsigned long filled = 0, committed = 0;
	int end = 0, readerr = 0, rc = 0;

	for (;;) {
		while (!end && filled - committed < en->nbatches) {
			struct batch *b = &en->batches[filled % en->nbatches];
			int r = fill(l, b, e);

			if (r != 0) {
				end = 1;
				readerr = r < 0;
			}
			if (b->n == 0)
				break;
			pthread_mutex_lock(&en->mu);
			b->state = READY;
			en->published = ++filled;
			pthread_cond_signal(&en->work_cv);
			pthread_mutex_unlock(&en->mu);
		}
		if (committed == filled)
			break;
		struct batch *b = &en->batches[committed % en->nbatches];

		pthread_mutex_lock(&en->mu);
		while (b->state != DONE)
			pthread_cond_wait(&en->done_cv, &en->mu);
		pthread_mutex_unlock(&en->mu);
		for (size_t i = 0; i < b->n && rc == 0; i++)
			rc = en->ops->commit(en->arg, &b->items[i]);
		b->state = EMPTY;
		committed++;
		if (rc != 0)
			return rc;
	}
	return readerr ? e->status : 0;
}

int
par_run(struct lines *l, int jobs, const struct par_ops *ops, void *arg,
    struct ierr *e)
{
	struct worker *wk;
	struct engine en;
	int n = 0, rc;

	if (jobs <= 1)
		return run_serial(l, ops, arg, e);
	if (jobs > PAR_MAX_JOBS)
		jobs = PAR_MAX_JOBS;
	wk = xcalloc((size_t)jobs, sizeof *wk);
	engine_init(&en, jobs, ops, arg);
	for (; n < jobs; n++) {
		wk[n].en = &en;
		if ((wk[n].ctx = ops->worker_new(arg, e)) == NULL)
			break;
		if (pthread_create(&wk[n].tid, NULL, worker_main, &wk[n])) {
			ops->worker_free(wk[n].ctx);
			break;
		}
	}
	if (n < jobs) {
		rc = e->status ? e->status
			       : err_set(e, EXIT_IOERR,
				     "cannot start %d worker threads", jobs);
	} else {
		rc = pump(&en, l, e);
	}
	pthread_mutex_lock(&en.mu);
	en.quit = 1;
	pthread_cond_broadcast(&en.work_cv);
	pthread_mutex_unlock(&en.mu);
	for (int i = 0; i < n; i++) {
		pthread_join(wk[i].tid, NULL);
		ops->worker_free(wk[i].ctx);
	}
	engine_free(&en);
	free(wk);
	return rc;
}
