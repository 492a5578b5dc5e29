#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "buf.h"
#include "exitcodes.h"
#include "hits.h"
#include "jsonio.h"
#include "lines.h"
#include "output.h"
#include "record.h"
#include "store.h"
#include "timeutil.h"

/* One new record, kept in its canonical form. */
struct nrec {
	char	*canon;
	size_t	 len;
	char	*origin;	/* copies, for sorting */
	char	*id;
	int64_t	 version;
	int	 relayed;	/* store_relayed() */
	int	 withdrawn;
	int	 has_expires;
	int64_t	 expires;
	char	*where;		/* "FILE:LINE" */
};

struct store_batch {
	struct nrec	*r;
	size_t		 n, cap;
	int		 sorted;
	size_t		*win;		/* each identity's winner */
	size_t		 nwin;
};

/* One merge: the sorted batch joined with the store, line by line. */
struct merge {
	struct store_batch	*b;
	const struct store_opts	*o;
	struct store_stats	*st;
	struct ierr		*e;
	int			 collect;	/* pass 2: hits only */
	FILE			*out;		/* pass 1 */
	const char		*outname;
	struct hits		*hits;
	int			 changed;

	struct lines		*l;		/* the store, or NULL */
	json_t			*srec;		/* current line */
	const char		*sline;
	size_t			 slen;
	struct buf		 prev_origin, prev_id;
	int			 have_prev;
	struct buf		 tmp1;
};

static void
report(const struct merge *m, enum store_event ev, const char *origin,
    const char *id, int64_t version, const char *where)
{
	if (m->collect || m->o->report == NULL)
		return;
	m->o->report(m->o->report_arg, ev, origin, id, version, where);
}

static int
bytes_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c != 0)
		return c;
	return alen < blen ? -1 : alen > blen;
}

int
store_key_cmp(const char *origin1, const char *id1, const char *origin2,
    const char *id2)
{
	int c;

	/* strcmp compares as unsigned char: UTF-8 byte order. */
	if ((c = strcmp(origin1, origin2)) != 0)
		return c;
	return strcmp(id1, id2);
}

/* The canonical form of rec without received and expires. */
static void
core_canon(const json_t *rec, struct buf *b)
{
	json_t *c = json_copy((json_t *)rec);
	struct ierr e = IERR_INIT;

	if (c == NULL)
		abort();
	json_object_del(c, "received");
	json_object_del(c, "expires");
	buf_reset(b);
	/* Parsed records have no value without a canonical form. */
	if (jsonio_canon(b, c, &e) != 0)
		abort();
	json_decref(c);
}

int
store_relayed(const json_t *rec)
{
	const json_t *recv = json_object_get(rec, "received");
	const char *from, *origin;

	if (!json_is_object(recv))
		return 0;
	from = json_string_value(json_object_get(recv, "from"));
	origin = record_str(rec, "origin");
	return from != NULL && origin != NULL && strcmp(from, origin) != 0;
}

int
store_pick(const json_t *r1, const char *canon1, size_t len1,
    const json_t *r2, const char *canon2, size_t len2, int *conflict)
{
	struct buf c1 = BUF_INIT, c2 = BUF_INIT;
	int64_t v1 = record_version(r1), v2 = record_version(r2);
	int rel1 = store_relayed(r1), rel2 = store_relayed(r2);
	int c;

	*conflict = 0;
	/* Only the originator speaks for its records. */
	if (rel1 != rel2)
		return rel1 ? 1 : -1;
	if (v1 != v2)
		return v1 > v2 ? -1 : 1;
	if ((c = bytes_cmp(canon1, len1, canon2, len2)) == 0)
		return 0;
	core_canon(r1, &c1);
	core_canon(r2, &c2);
	*conflict = bytes_cmp(c1.data, c1.len, c2.data, c2.len) != 0;
	buf_free(&c1);
	buf_free(&c2);
	return c;
}

struct store_batch *
store_batch_new(void)
{
	return xcalloc(1, sizeof(struct store_batch));
}

void
store_batch_free(struct store_batch *b)
{
	size_t i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n; i++) {
		free(b->r[i].canon);
		free(b->r[i].origin);
		free(b->r[i].id);
		free(b->r[i].where);
	}
	free(b->r);
	free(b->win);
	free(b);
}

size_t
store_batch_count(const struct store_batch *b)
{
	return b->n;
}

int
store_batch_add(struct store_batch *b, const char *line, size_t len,
    const char *where, struct ierr *e)
{
	struct buf canon = BUF_INIT;
	const char *exp;
	struct nrec *r;
	json_t *rec;
	int rc;

	if ((rc = record_parse(line, len, &rec, e)) != 0) {
		err_prefix(e, "%s", where);
		return rc;
	}
	if ((rc = jsonio_canon(&canon, rec, e)) != 0) {
		json_decref(rec);
		buf_free(&canon);
		err_prefix(e, "%s", where);
		return rc;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 256;
		b->r = xrealloc(b->r, b->cap * sizeof *b->r);
	}
	r = &b->r[b->n];
	memset(r, 0, sizeof *r);
	r->canon = canon.data;
	r->len = canon.len;
	r->origin = xstrdup(record_str(rec, "origin"));
	r->id = xstrdup(record_str(rec, "id"));
	r->version = record_version(rec);
	r->relayed = store_relayed(rec);
	r->withdrawn = record_withdrawn(rec);
	if ((exp = record_str(rec, "expires")) != NULL) {
		if (timeutil_parse(exp, &r->expires) != 0) {
			/* record_validate checks it; be safe anyway. */
			json_decref(rec);
			free(r->canon);
			free(r->origin);
			free(r->id);
			return err_set(e, EXIT_DATAERR,
			    "%s: member \"expires\" is not an RFC 3339 time",
			    where);
		}
		r->has_expires = 1;
	}
	r->where = xstrdup(where);
	json_decref(rec);
	b->n++;
	b->sorted = 0;
	return 0;
}

int
store_batch_read(struct store_batch *b, const char *path, struct ierr *e)
{
	struct buf where = BUF_INIT;
	struct lines *l;
	char *line;
	size_t len;
	int rc = 0, n;

	if ((rc = lines_open(path, &l, e)) != 0)
		return rc;
	while ((n = lines_next(l, &line, &len, e)) > 0) {
		buf_reset(&where);
		buf_printf(&where, "%s:%lu", lines_name(l), lines_lineno(l));
		if ((rc = store_batch_add(b, line, len, where.data, e)) != 0)
			break;
	}
	if (n < 0)
		rc = e->status;
	lines_close(l);
	buf_free(&where);
	return rc;
}

/* (origin, id), then the one that stays first: direct before relayed,
 * then the higher version, then the canonical bytes (store_pick). */
static int
nrec_cmp(const void *a, const void *b)
{
	const struct nrec *x = a, *y = b;
	int c;

	if ((c = store_key_cmp(x->origin, x->id, y->origin, y->id)) != 0)
		return c;
	if (x->relayed != y->relayed)
		return x->relayed ? 1 : -1;
	if (x->version != y->version)
		return x->version > y->version ? -1 : 1;
	return bytes_cmp(x->canon, x->len, y->canon, y->len);
}

static json_t *
nrec_json(const struct nrec *r)
{
	struct ierr e = IERR_INIT;
	json_t *rec;

	/* It was parsed once already: it parses again. */
	if (jsonio_parse(r->canon, r->len, &rec, &e) != 0)
		abort();
	return rec;
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
			qsort(b->r, b->n, sizeof *b->r, nrec_cmp);
		b->sorted = 1;
	}
	free(b->win);
	b->win = xmalloc((b->n ? b->n : 1) * sizeof *b->win);
	b->nwin = 0;
	for (i = 0; i < b->n; i = j) {
		w = &b->r[i];
		b->win[b->nwin++] = i;
		wj = NULL;
		for (j = i + 1; j < b->n && store_key_cmp(w->origin, w->id,
		    b->r[j].origin, b->r[j].id) == 0; j++) {
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
				wj = nrec_json(w);
			xj = nrec_json(x);
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
is_expired(const struct merge *m, int withdrawn, int has_expires,
    int64_t expires)
{
	return m->o->expire && !withdrawn && has_expires &&
	    expires < m->o->now;
}

/* Reads and checks the next store line into m->srec.  1, 0 at the end,
 * or -1 with m->e set. */
static int
store_next(struct merge *m)
{
	const char *origin, *id;
	char *line;
	size_t len;
	int n, c;

	json_decref(m->srec);
	m->srec = NULL;
	if (m->l == NULL)
		return 0;
	if ((n = lines_next(m->l, &line, &len, m->e)) <= 0)
		return n;
	if (record_parse(line, len, &m->srec, m->e) != 0) {
		m->srec = NULL;
		err_prefix(m->e, "%s:%lu", lines_name(m->l),
		    lines_lineno(m->l));
		return -1;
	}
	origin = record_str(m->srec, "origin");
	id = record_str(m->srec, "id");
	if (m->have_prev &&
	    (c = store_key_cmp(m->prev_origin.data, m->prev_id.data,
	    origin, id)) >= 0) {
		err_set(m->e, EXIT_DATAERR, "%s:%lu: %s", lines_name(m->l),
		    lines_lineno(m->l), c == 0 ?
		    "the same origin and id as the line before: the store "
		    "holds each record once" :
		    "out of order: the store is sorted by origin, then id");
		return -1;
	}
	buf_reset(&m->prev_origin);
	buf_adds(&m->prev_origin, origin);
	buf_reset(&m->prev_id);
	buf_adds(&m->prev_id, id);
	m->have_prev = 1;
	m->sline = line;
	m->slen = len;
	return 1;
}

static int
put(struct merge *m, const char *p, size_t len)
{
	if (fwrite(p, 1, len, m->out) != len || putc('\n', m->out) == EOF)
		return err_set(m->e, EXIT_IOERR, "%s: write error: %s",
		    m->outname, strerror(errno ? errno : EIO));
	return 0;
}

/* The current store line stays (or expires). */
static int
keep_store(struct merge *m)
{
	const char *exp = record_str(m->srec, "expires");
	int64_t t = 0;

	if (exp != NULL && timeutil_parse(exp, &t) != 0)
		return err_set(m->e, EXIT_DATAERR,
		    "%s:%lu: member \"expires\" is not an RFC 3339 time",
		    lines_name(m->l), lines_lineno(m->l));
	if (is_expired(m, record_withdrawn(m->srec), exp != NULL, t)) {
		if (!m->collect) {
			m->st->expired++;
			m->changed = 1;
			report(m, STORE_EV_EXPIRED, record_str(m->srec,
			    "origin"), record_str(m->srec, "id"),
			    record_version(m->srec), NULL);
		}
		return 0;
	}
	if (m->collect) {
		hits_collect(m->hits, m->srec);
		return 0;
	}
	m->st->stored++;
	if (m->hits != NULL)
		hits_note(m->hits, m->srec);
	return put(m, m->sline, m->slen);
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
		rec = nrec_json(w);
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
		report(m, STORE_EV_ADDED, w->origin, w->id, w->version,
		    w->where);
	}
	return put(m, w->canon, w->len);
}

/* A new record meets the store's record of the same (origin, id). */
static int
meet(struct merge *m, const struct nrec *w)
{
	int c, conflict = 0, rc, srelayed = store_relayed(m->srec);
	int64_t sversion = record_version(m->srec);
	enum store_event ev;
	json_t *wj;

	if (srelayed != w->relayed) {
		c = srelayed ? 1 : -1;
	} else if (sversion != w->version) {
		c = sversion > w->version ? -1 : 1;
	} else {
		buf_reset(&m->tmp1);
		if ((rc = jsonio_canon(&m->tmp1, m->srec, m->e)) != 0)
			return rc;
		wj = nrec_json(w);
		c = store_pick(m->srec, m->tmp1.data, m->tmp1.len, wj,
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

/* The merge-join of the sorted batch with the store. */
static int
join(struct merge *m)
{
	struct store_batch *b = m->b;
	const struct nrec *w;
	size_t i = 0;
	int have, c, rc = 0;

	if ((have = store_next(m)) < 0)
		return m->e->status;
	while (rc == 0 && (have > 0 || i < b->nwin)) {
		w = i < b->nwin ? &b->r[b->win[i]] : NULL;
		if (have == 0)
			c = 1;
		else if (w == NULL)
			c = -1;
		else
			c = store_key_cmp(record_str(m->srec, "origin"),
			    record_str(m->srec, "id"), w->origin, w->id);
		if (c < 0) {
			rc = keep_store(m);
		} else if (c > 0) {
			rc = put_new(m, w, 0);
			i++;
			continue;
		} else {
			rc = meet(m, w);
			i++;
		}
		if (rc == 0 && (have = store_next(m)) < 0)
			rc = m->e->status;
	}
	json_decref(m->srec);
	m->srec = NULL;
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
	m2.srec = NULL;
	m2.l = NULL;
	m2.have_prev = 0;
	m2.collect = 1;
	m2.out = NULL;
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

/*
 * Removes temporary files that a merge killed outright (SIGKILL, a power
 * cut) left beside the store: ".STORE.XXXXXX", the names atomic_open()
 * makes.  Only called with the lock held, when no other merge can be
 * writing one.
 */
static void
remove_stale(const char *path)
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
static int
lock_store(const char *path, int *fd, struct ierr *e)
{
	struct buf lock = BUF_INIT;
	struct stat st;
	mode_t mode = 0600;
	int rc = 0, have = stat(path, &st) == 0;

	if (have)
		mode = st.st_mode & 0666;
	buf_printf(&lock, "%s.lock", path);
	*fd = open(lock.data, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, mode);
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

static int
merge_store(struct merge *m, const char *name)
{
	struct atomic *a = NULL;
	struct output *hout = NULL;
	struct stat st;
	mode_t mode = 0600;
	char *path;
	int lockfd = -1, exists = 0, rc;

	/* Every name of one store shares one lock: that of the file. */
	if ((rc = atomic_resolve(name, 1, &path, m->e)) != 0)
		return rc;
	if ((rc = lock_store(path, &lockfd, m->e)) != 0)
		goto out;
	remove_stale(path);
	if (stat(path, &st) == 0) {
		exists = 1;
		mode = st.st_mode & 07777;
		if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
			rc = err_set(m->e, EXIT_CANTCREAT, "%s: the store has "
			    "%lu hard links: a merge would split its names",
			    name, (unsigned long)st.st_nlink);
			goto out;
		}
		if ((rc = lines_open(path, &m->l, m->e)) != 0)
			goto out;
	} else if (errno != ENOENT) {
		rc = err_errno(m->e, EXIT_NOINPUT, name);
		goto out;
	}
	if ((rc = atomic_open(path, mode, &a, m->e)) != 0)
		goto out;
	m->out = atomic_file(a);
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
	if (m->changed || !exists)
		rc = atomic_commit(a, m->e);
	else
		atomic_abort(a);
	a = NULL;
	if (rc == 0 && hout != NULL) {
		rc = output_close(hout, m->e);
		hout = NULL;
	}
out:
	output_abort(hout);
	atomic_abort(a);
	if (lockfd >= 0)
		close(lockfd);
	free(path);
	return rc;
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
		what[n] = NULL;		/* "<stdout>" says it */
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

int
store_merge(struct store_batch *b, const char *path,
    const struct store_opts *o, struct store_stats *st, struct ierr *e)
{
	struct merge m;
	int rc;

	memset(&m, 0, sizeof m);
	memset(st, 0, sizeof *st);
	m.b = b;
	m.o = o;
	m.st = st;
	m.e = e;
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
