#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "exitcodes.h"
#include "hits.h"
#include "jsonio.h"
#include "lines.h"
#include "output.h"
#include "parallel.h"
#include "record.h"
#include "scan.h"
#include "store.h"
#include "store-int.h"
#include "timeutil.h"

#define OUT_BUF (1024 * 1024)

/* One merge: the sorted batch joined with the store, line by line. */
struct merge {
	struct store_batch *b;
	const struct store_opts *o;
	struct store_stats *st;
	struct ierr *e;
	int collect; /* pass 2: hits only */
	FILE *out;   /* pass 1 */
	const char *outname;
	struct hits *hits;
	int changed;

	struct lines *l; /* the store, or NULL */
	int threads;	 /* reading the store (store_opts.threads) */
	size_t next;	 /* the batch's next winner to go out */
	json_t *srec;	 /* current line parsed, or NULL */
	const char *sline;
	size_t slen;
	unsigned long slineno;
	int snewline;	       /* it ended with a newline */
	int scanned;	       /* the scanner took it (canonical) */
	int keyed;	       /* only its key was read (trusted) */
	int trusted;	       /* the store is the last merge's file */
	struct buf origin, id; /* its key */
	int64_t version;
	int relayed, withdrawn, has_expires;
	int64_t expires;
	struct buf prev_origin, prev_id;

	/* Unchanged store lines go out as runs of the store file's bytes,
	 * copied by the kernel: [run, run_end) is the run not yet written;
	 * line_off and next_off bound the current line in the file. */
	int infd; /* -1: write every line */
	off_t line_off, next_off, run, run_end;
	off_t synced; /* the output up to here is being written back */
	int have_prev;
	struct buf tmp1;
};

static void
report(const struct merge *m, enum store_event ev, const char *origin,
    const char *id, int64_t version, const char *where)
{
	if (m->collect || m->o->report == NULL)
		return;
	m->o->report(m->o->report_arg, ev, origin, id, version, where);
}

/*
 * Sorts the batch and finds the winner of each (origin, id): the first of
 * its run.  The others are counted as unchanged, and reported.
 */
static void
batch_reduce(struct store_batch *b, const struct merge *m)
{
	struct nrec *w, *x;
	json_t *wj, *xj;
	size_t i, j;
	int conflict;

	if (!b->sorted) {
		if (b->n > 1)
			qsort(b->r, b->n, sizeof *b->r, store_nrec_cmp);
		b->sorted = 1;
	}
	free(b->win);
	b->win = xmalloc((b->n ? b->n : 1) * sizeof *b->win);
	b->nwin = 0;
	for (i = 0; i < b->n; i = j) {
		w = &b->r[i];
		b->win[b->nwin++] = i;
		wj = NULL;
		for (j = i + 1; j < b->n &&
		     store_key_cmp(
			 w->origin, w->id, b->r[j].origin, b->r[j].id) == 0;
		     j++) {
			x = &b->r[j];
			m->st->unchanged++;
			if (x->relayed != w->relayed) {
				report(m, STORE_EV_RELAYED, x->origin, x->id,
				    x->version, x->where);
				continue;
			}
			if (x->version != w->version) {
				report(m, STORE_EV_OLDER, x->origin, x->id,
				    x->version, x->where);
				continue;
			}
			if (wj == NULL)
				wj = store_nrec_json(w);
			xj = store_nrec_json(x);
			store_pick(wj, w->canon, w->len, xj, x->canon, x->len,
			    &conflict);
			json_decref(xj);
			if (conflict) {
				m->st->conflicts++;
				report(m, STORE_EV_CONFLICT, x->origin, x->id,
				    x->version, x->where);
			} else
				report(m, STORE_EV_DUPLICATE, x->origin, x->id,
				    x->version, x->where);
		}
		json_decref(wj);
	}
}

static int
is_expired(
    const struct merge *m, int withdrawn, int has_expires, int64_t expires)
{
	return m->o->expire && !withdrawn && has_expires && expires < m->o->now;
}

/* A string member of a scanned record, unescaped, into b: its value as
 * written, quotes and all, at line[at], vlen bytes. */
static void
slot_string(struct buf *b, const char *line, size_t at, size_t vlen)
{
	const char *s = line + at + 1;
	size_t n = vlen - 2;

	buf_reset(b);
	buf_reserve(b, n);
	if (memchr(s, '\\', n) == NULL) {
		memcpy(b->data, s, n);
		b->len = n;
	} else
		b->len = scan_unescape(s, n, b->data);
	b->data[b->len] = '\0';
}

/* A string the key reader found, unescaped if esc, into b. */
static void
key_string(struct buf *b, const char *s, size_t n, int esc)
{
	buf_reset(b);
	buf_reserve(b, n);
	b->len = esc ? scan_unescape(s, n, b->data)
		     : (memcpy(b->data, s, n), n);
	b->data[b->len] = '\0';
}

/* The facts of a line the scanner or the key reader took, as the current
 * line's. */
static void
set_facts(struct merge *m, const char *line, const struct sfacts *f)
{
	if (f->state == SF_KEYED) {
		key_string(&m->origin, line + f->oat, f->olen, f->oesc);
		key_string(&m->id, line + f->idat, f->idlen, f->idesc);
	} else {
		slot_string(&m->origin, line, f->oat, f->olen);
		slot_string(&m->id, line, f->idat, f->idlen);
	}
	m->version = f->version;
	m->withdrawn = f->withdrawn;
	m->relayed = f->relayed;
	m->has_expires = f->has_expires;
	m->expires = f->expires;
	m->scanned = f->state == SF_SCANNED;
	m->keyed = f->state == SF_KEYED;
}

/* What the merge needs of a canonical line, from the scanner.  -1 if the
 * line is not canonical. */
static int
scan_line(struct merge *m, const char *line, size_t len)
{
	struct sfacts f;

	if (store_scan_facts(m->o, line, len, &f) != 0)
		return -1;
	set_facts(m, line, &f);
	return 0;
}

/* The same into the current line's. */
static int
key_line(struct merge *m, const char *line, size_t len)
{
	struct sfacts f;

	if (store_key_facts(m->o, line, len, &f) != 0)
		return -1;
	set_facts(m, line, &f);
	return 0;
}

/* What the merge needs of a line that is not canonical, from jansson, as
 * before the scanner: the same checks, the same messages. */
static int
parse_line(struct merge *m, const char *line, size_t len)
{
	const char *exp;

	if (record_parse(line, len, &m->srec, m->e) != 0) {
		m->srec = NULL;
		err_prefix(m->e, "%s:%lu", lines_name(m->l), m->slineno);
		return -1;
	}
	buf_reset(&m->origin);
	buf_adds(&m->origin, record_str(m->srec, "origin"));
	buf_reset(&m->id);
	buf_adds(&m->id, record_str(m->srec, "id"));
	m->version = record_version(m->srec);
	m->withdrawn = record_withdrawn(m->srec);
	m->relayed = store_relayed(m->srec);
	m->has_expires = 0;
	if ((exp = record_str(m->srec, "expires")) != NULL) {
		if (timeutil_parse(exp, &m->expires) != 0)
			return err_set(m->e, EXIT_DATAERR,
			    "%s:%lu: member \"expires\" is not an RFC 3339 "
			    "time",
			    lines_name(m->l), m->slineno);
		m->has_expires = 1;
	}
	m->scanned = 0;
	m->keyed = 0;
	return 0;
}

/* Reads a line as an untrusted store's: the scanner, or jansson where the
 * scanner says no (its messages). */
static int
check_line(struct merge *m, const char *line, size_t len)
{
	if ((m->o->full || scan_line(m, line, len) != 0) &&
	    parse_line(m, line, len) != 0)
		return -1;
	return 0;
}

/* The current store line, parsed (a line the scanner took is parsed only
 * when its key meets a new record's and the rules need more). */
static json_t *
srec_json(struct merge *m)
{
	struct ierr e = IERR_INIT;

	/* The scanner took it: it parses. */
	if (m->srec == NULL &&
	    record_parse(m->sline, m->slen, &m->srec, &e) != 0)
		abort();
	return m->srec;
}

/* Takes in the store line lineno (ending with a newline if newline is
 * set), valid until the next: checks it and its order.  f: what a worker
 * found of it, or NULL when nothing was looked for (then a trusted
 * store's line is read by the key reader, any other by the scanner, here).
 * 0, or -1 with m->e set.  A canonical line is read by the scanner; any
 * other by jansson, as it always was (so its messages do not change). */
static int
store_line(struct merge *m, const char *line, size_t len, unsigned long lineno,
    int newline, const struct sfacts *f)
{
	struct buf t;
	int c;

	json_decref(m->srec);
	m->srec = NULL;
	/* The last line's key is the one before now (no copy: the buffers
	 * change places). */
	t = m->prev_origin;
	m->prev_origin = m->origin;
	m->origin = t;
	t = m->prev_id;
	m->prev_id = m->id;
	m->id = t;
	m->sline = line;
	m->slen = len;
	m->slineno = lineno;
	if (f != NULL && (f->state == SF_SCANNED || f->state == SF_KEYED))
		set_facts(m, line, f);
	else if (f != NULL && f->state == SF_REFUSED) {
		if (parse_line(m, line, len) != 0)
			return -1;
	} else if ((!m->trusted || key_line(m, line, len) != 0) &&
	    check_line(m, line, len) != 0)
		return -1;
	if (m->have_prev &&
	    (c = store_key_cmp(m->prev_origin.data, m->prev_id.data,
		 m->origin.data, m->id.data)) >= 0) {
		err_set(m->e, EXIT_DATAERR, "%s:%lu: %s", lines_name(m->l),
		    lineno,
		    c == 0
			? "the same origin and id as the line before: the store "
			  "holds each record once"
			: "out of order: the store is sorted by origin, then id");
		return -1;
	}
	m->have_prev = 1;
	m->snewline = newline;
	m->line_off = m->next_off;
	m->next_off += (off_t)len + (newline != 0);
	return 0;
}

static int
write_error(struct merge *m, int err)
{
	return err_set(m->e, EXIT_IOERR, "%s: write error: %s", m->outname,
	    strerror(err ? err : EIO));
}

/*
 * Starts the disk on the output written so far, every WRITEBACK bytes, so
 * that it writes while the merge reads on, and the flush at the end finds
 * little left to do.  Only a hint: errors show at the flush.
 */
#define WRITEBACK (8 * 1024 * 1024)

static void
writeback(struct merge *m, int outfd)
{
	off_t at = lseek(outfd, 0, SEEK_CUR);

	if (at < 0 || at - m->synced < WRITEBACK)
		return;
	if (sync_file_range(
		outfd, m->synced, at - m->synced, SYNC_FILE_RANGE_WRITE) == 0 ||
	    errno != EINTR)
		m->synced = at;
}

/* Writes the run of unchanged store lines: copy_file_range(2), or, where
 * the kernel cannot (another file system type), read and write. */
static int
flush_run(struct merge *m)
{
	char buf[65536];
	off_t from = m->run;
	size_t left = (size_t)(m->run_end - m->run);
	ssize_t n, w;
	int outfd;

	if (left == 0)
		return 0;
	m->run = m->run_end = 0;
	if (fflush(m->out) != 0)
		return write_error(m, errno);
	outfd = fileno(m->out);
	while (left > 0) {
		n = copy_file_range(m->infd, &from, outfd, NULL, left, 0);
		if (n > 0) {
			left -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EXDEV && errno != ENOSYS &&
		    errno != EINVAL && errno != EOPNOTSUPP && errno != EBADF)
			return write_error(m, errno);
		break;
	}
	while (left > 0) {
		n = pread(
		    m->infd, buf, left < sizeof buf ? left : sizeof buf, from);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_set(m->e, EXIT_IOERR, "%s: read error: %s",
			    m->outname,
			    n < 0 ? strerror(errno) : "the store got shorter");
		from += n;
		left -= (size_t)n;
		for (char *p = buf; n > 0; p += w, n -= w)
			if ((w = write(outfd, p, (size_t)n)) < 0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				return write_error(m, errno);
			}
	}
	writeback(m, outfd);
	return 0;
}

static int
put(struct merge *m, const char *p, size_t len)
{
	int rc;

	if ((rc = flush_run(m)) != 0)
		return rc;
	if (fwrite(p, 1, len, m->out) != len || putc('\n', m->out) == EOF)
		return write_error(m, errno);
	return 0;
}

/* The current store line goes out as it is. */
static int
put_store(struct merge *m)
{
	int rc;

	if (m->infd < 0 || !m->snewline)
		return put(m, m->sline, m->slen);
	if (m->run_end != m->line_off || m->run_end == m->run) {
		if ((rc = flush_run(m)) != 0)
			return rc;
		m->run = m->line_off;
	}
	m->run_end = m->next_off;
	return 0;
}

/* The pseudonyms of the current store line, to the hits. */
static void
store_hits(struct merge *m)
{
	if (m->scanned) {
		if (m->collect)
			hits_collect_line(m->hits, m->sline, m->slen);
		else
			hits_note_line(m->hits, m->sline, m->slen);
	} else if (m->collect)
		hits_collect(m->hits, m->srec);
	else
		hits_note(m->hits, m->srec);
}

/* The current store line stays (or expires). */
static int
keep_store(struct merge *m)
{
	if (is_expired(m, m->withdrawn, m->has_expires, m->expires)) {
		if (!m->collect) {
			m->st->expired++;
			m->changed = 1;
			report(m, STORE_EV_EXPIRED, m->origin.data, m->id.data,
			    m->version, NULL);
		}
		return 0;
	}
	if (m->collect) {
		store_hits(m);
		return 0;
	}
	m->st->stored++;
	if (m->hits != NULL)
		store_hits(m);
	return put_store(m);
}

/* The new record w goes in, replacing the store's if replaced is set. */
static int
put_new(struct merge *m, const struct nrec *w, int replaced)
{
	json_t *rec;

	if (is_expired(m, w->withdrawn, w->has_expires, w->expires)) {
		if (!m->collect) {
			m->st->expired++;
			m->changed = 1;
			report(m, STORE_EV_EXPIRED, w->origin, w->id,
			    w->version, w->where);
		}
		return 0;
	}
	if (m->hits != NULL) {
		rec = store_nrec_json(w);
		if (m->collect)
			hits_collect(m->hits, rec);
		else
			hits_note(m->hits, rec);
		json_decref(rec);
	}
	if (m->collect)
		return 0;
	m->changed = 1;
	m->st->stored++;
	if (w->withdrawn) {
		m->st->withdrawn++;
		report(m, STORE_EV_WITHDRAWN, w->origin, w->id, w->version,
		    w->where);
	} else if (replaced) {
		m->st->updated++;
		report(m, STORE_EV_UPDATED, w->origin, w->id, w->version,
		    w->where);
	} else {
		m->st->added++;
		report(
		    m, STORE_EV_ADDED, w->origin, w->id, w->version, w->where);
	}
	return put(m, w->canon, w->len);
}

/* A new record meets the store's record of the same (origin, id). */
static int
meet(struct merge *m, const struct nrec *w)
{
	int c, conflict = 0, rc, srelayed = m->relayed;
	int64_t sversion;
	enum store_event ev;
	json_t *wj;

	/* A line of a trusted store that meets a new record is read in
	 * full, as any store line: a decision rests on checked bytes. */
	if (m->keyed) {
		if (check_line(m, m->sline, m->slen) != 0)
			return m->e->status;
		srelayed = m->relayed;
	}
	sversion = m->version;
	if (srelayed != w->relayed) {
		c = srelayed ? 1 : -1;
	} else if (sversion != w->version) {
		c = sversion > w->version ? -1 : 1;
	} else {
		/* Only here is a line the scanner took parsed. */
		buf_reset(&m->tmp1);
		if (m->scanned)
			buf_add(&m->tmp1, m->sline, m->slen);
		else if ((rc = jsonio_canon(&m->tmp1, m->srec, m->e)) != 0)
			return rc;
		wj = store_nrec_json(w);
		c = store_pick(srec_json(m), m->tmp1.data, m->tmp1.len, wj,
		    w->canon, w->len, &conflict);
		json_decref(wj);
	}
	if (c <= 0) {
		/* The stored record stays. */
		if (!m->collect) {
			m->st->unchanged++;
			if (conflict)
				m->st->conflicts++;
			if (conflict)
				ev = STORE_EV_CONFLICT;
			else if (srelayed != w->relayed)
				ev = STORE_EV_RELAYED;
			else if (c == 0 || w->version == sversion)
				ev = STORE_EV_DUPLICATE;
			else
				ev = STORE_EV_OLDER;
			report(m, ev, w->origin, w->id, w->version, w->where);
		}
		return keep_store(m);
	}
	if (conflict && !m->collect) {
		m->st->conflicts++;
		report(m, STORE_EV_CONFLICT, w->origin, w->id, w->version,
		    w->where);
	}
	return put_new(m, w, 1);
}

/* One step of the merge-join: the new records before the current store
 * line go in, then the line stays or meets its new record. */
static int
join_step(struct merge *m)
{
	struct store_batch *b = m->b;
	const struct nrec *w;
	int c, rc;

	while (m->next < b->nwin) {
		w = &b->r[b->win[m->next]];
		c = store_key_cmp(m->origin.data, m->id.data, w->origin, w->id);
		if (c < 0)
			break;
		m->next++;
		if (c == 0)
			return meet(m, w);
		if ((rc = put_new(m, w, 0)) != 0)
			return rc;
	}
	return keep_store(m);
}

/* The store line by line in this thread. */
static int
join_serial(struct merge *m)
{
	char *line;
	size_t len;
	int n, rc;

	while ((n = lines_next(m->l, &line, &len, m->e)) > 0) {
		if (store_line(m, line, len, lines_lineno(m->l),
			lines_newline(m->l), NULL) != 0)
			return m->e->status;
		if ((rc = join_step(m)) != 0)
			return rc;
	}
	return n < 0 ? m->e->status : 0;
}

/* par_run_blocks()'s work: what store_line() would read of a line, into
 * its data, and nothing else: the key reader's (trusted store), else the
 * scanner's; SF_REFUSED leaves the line to jansson. */
static void
par_work(void *arg, struct par_line *pl)
{
	/* read only: m->o and m->trusted do not change */
	const struct merge *m = arg;
	struct sfacts *f = pl->data;

	if (m->trusted && store_key_facts(m->o, pl->line, pl->len, f) == 0)
		return;
	if (m->o->full || store_scan_facts(m->o, pl->line, pl->len, f) != 0)
		f->state = SF_REFUSED;
}

/* In input order, in this thread: the rest of the line's work, as
 * join_serial() does it. */
static int
par_commit(void *arg, struct par_line *pl)
{
	struct merge *m = arg;

	if (store_line(
		m, pl->line, pl->len, pl->lineno, pl->newline, pl->data) != 0)
		return m->e->status;
	return join_step(m);
}

/* The store's lines validated by m->threads - 1 workers, the rest of the
 * work committed in order here: the same result, messages and statuses
 * as join_serial(), whatever the number of threads. */
static int
join_parallel(struct merge *m)
{
	static const struct par_line_ops ops = { sizeof(struct sfacts),
		par_work, par_commit };

	return par_run_blocks(fileno(lines_stream(m->l)), lines_name(m->l),
	    m->threads - 1, &ops, m, m->e);
}

/* The merge-join of the sorted batch with the store: each store line
 * pushed through join_step(), then the new records after the last. */
static int
join(struct merge *m)
{
	struct store_batch *b = m->b;
	int rc = 0;

	m->next = 0;
	if (m->l != NULL)
		rc = m->threads <= 1 ? join_serial(m) : join_parallel(m);
	json_decref(m->srec);
	m->srec = NULL;
	while (rc == 0 && m->next < b->nwin)
		rc = put_new(m, &b->r[b->win[m->next++]], 0);
	if (rc == 0 && !m->collect)
		rc = flush_run(m);
	return rc;
}

static void
merge_free(struct merge *m)
{
	json_decref(m->srec);
	lines_close(m->l);
	buf_free(&m->prev_origin);
	buf_free(&m->prev_id);
	buf_free(&m->tmp1);
	buf_free(&m->origin);
	buf_free(&m->id);
}

/* Runs the join again over the same inputs to collect the hits. */
static int
collect_hits(struct merge *m, const char *path, int exists)
{
	struct merge m2 = *m;
	int rc;

	memset(&m2.prev_origin, 0, sizeof m2.prev_origin);
	memset(&m2.prev_id, 0, sizeof m2.prev_id);
	memset(&m2.tmp1, 0, sizeof m2.tmp1);
	memset(&m2.origin, 0, sizeof m2.origin);
	memset(&m2.id, 0, sizeof m2.id);
	m2.srec = NULL;
	m2.l = NULL;
	m2.have_prev = 0;
	m2.collect = 1;
	m2.out = NULL;
	m2.infd = -1;
	m2.next_off = 0;
	if (hits_count(m->hits) == 0)
		return 0;
	if (exists && (rc = lines_open(path, &m2.l, m->e)) != 0)
		return rc;
	rc = join(&m2);
	merge_free(&m2);
	return rc;
}

/* Opens the hits file and writes what was collected; not committed. */
static int
hits_out(struct merge *m, struct output **out)
{
	int rc;

	if ((rc = output_open(m->o->hits, out, m->e)) != 0)
		return rc;
	if ((rc = hits_write(m->hits, output_file(*out), m->e)) != 0) {
		output_abort(*out);
		*out = NULL;
	}
	return rc;
}

static int
merge_stdout(struct merge *m)
{
	struct output *out = NULL, *hout = NULL;
	int rc;

	if ((rc = output_open(NULL, &out, m->e)) != 0)
		return rc;
	m->out = output_file(out);
	m->outname = "<stdout>";
	rc = join(m);
	if (rc == 0 && m->hits != NULL && (rc = collect_hits(m, NULL, 0)) == 0)
		rc = hits_out(m, &hout);
	if (rc == 0) {
		rc = output_close(out, m->e);
		out = NULL;
	}
	if (rc == 0 && hout != NULL) {
		rc = output_close(hout, m->e);
		hout = NULL;
	}
	output_abort(hout);
	output_abort(out);
	return rc;
}

static int
merge_store(struct merge *m, const char *name)
{
	struct atomic *a = NULL;
	struct output *hout = NULL;
	struct stat st, pre;
	mode_t mode = 0600;
	char *path, *obuf = NULL;
	int lockfd = -1, exists = 0, outfd = -1, rc;

	/* Every name of one store shares one lock: that of the file. */
	if ((rc = atomic_resolve(name, 1, &path, m->e)) != 0)
		return rc;
	if ((rc = store_lock(path, &lockfd, m->e)) != 0)
		goto out;
	store_remove_stale(path);
	if (stat(path, &st) == 0) {
		exists = 1;
		mode = st.st_mode & 07777;
		if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
			rc = err_set(m->e, EXIT_CANTCREAT,
			    "%s: the store has "
			    "%lu hard links: a merge would split its names",
			    name, (unsigned long)st.st_nlink);
			goto out;
		}
		if ((rc = lines_open(path, &m->l, m->e)) != 0)
			goto out;
		m->infd = fileno(lines_stream(m->l));
		/* Only the key of each line, if this is the file the last
		 * merge wrote (--hits reads every line whole anyway). */
		m->trusted = !m->o->full && m->o->hits == NULL &&
		    store_trusted(lockfd, m->infd);
	} else if (errno != ENOENT) {
		rc = err_errno(m->e, EXIT_NOINPUT, name);
		goto out;
	}
	if ((rc = atomic_open(path, mode, &a, m->e)) != 0)
		goto out;
	m->out = atomic_file(a);
	/* Big writes: the copy of the store is most of the work. */
	obuf = xmalloc(OUT_BUF);
	setvbuf(m->out, obuf, _IOFBF, OUT_BUF);
	m->outname = name;
	if ((rc = join(m)) != 0)
		goto out;
	lines_close(m->l);
	m->l = NULL;
	if (m->hits != NULL) {
		if ((rc = collect_hits(m, path, exists)) != 0 ||
		    (rc = hits_out(m, &hout)) != 0)
			goto out;
	}
	if (m->changed || !exists) {
		/* The new store's identity, for the next merge's trust: its
		 * descriptor outlives the commit, which closes the file. */
		if (fflush(m->out) == 0 && (outfd = dup(fileno(m->out))) >= 0 &&
		    fstat(outfd, &pre) != 0) {
			close(outfd);
			outfd = -1;
		}
		store_untrust(lockfd);
		rc = atomic_commit(a, m->e);
		if (rc == 0 && outfd >= 0)
			store_trust(lockfd, outfd, &pre);
	} else
		atomic_abort(a);
	a = NULL;
	if (rc == 0 && hout != NULL) {
		rc = output_close(hout, m->e);
		hout = NULL;
	}
out:
	output_abort(hout);
	atomic_abort(a);
	free(obuf);
	if (outfd >= 0)
		close(outfd);
	if (lockfd >= 0)
		close(lockfd);
	free(path);
	return rc;
}

/* One worker beside the calling thread where there are two CPUs: the
 * reading, the key order and the writing that stay in the calling thread
 * are about as much work as the validation.  More workers would take a
 * CPU from it. */
static int
default_threads(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set) == 0)
		return CPU_COUNT(&set) >= 2 ? 2 : 1;
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;
}

int
store_merge(struct store_batch *b, const char *path, const struct store_opts *o,
    struct store_stats *st, struct ierr *e)
{
	struct merge m;
	int rc;

	memset(&m, 0, sizeof m);
	memset(st, 0, sizeof *st);
	m.infd = -1;
	m.b = b;
	m.o = o;
	m.st = st;
	m.e = e;
	m.threads = o->threads > 0 ? o->threads : default_threads();
	st->read = b->n;
	batch_reduce(b, &m);
	if (o->hits != NULL)
		m.hits = hits_new();
	if (path == NULL)
		rc = merge_stdout(&m);
	else
		rc = merge_store(&m, path);
	merge_free(&m);
	hits_free(m.hits);
	return rc;
}
