/*
 * Checking the records of a bundle for bundle-verify.c (SPEC 7): each
 * record line is checked by one of the -j workers (parallel.h), well
 * formed, canonical and complying with the release rule, and stamped
 * with received and expires when it is accepted; in input order, each
 * line is held back until the next arrives (the last is the trailer),
 * hashed, and its first failure noted, or it is spooled.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "agreement.h"
#include "buf.h"
#include "bundle.h"
#include "bundle-int.h"
#include "comply.h"
#include "crypto.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "parallel.h"
#include "policy.h"
#include "record.h"
#include "spool.h"
#include "timeutil.h"

/* What checking a record line found (par_item data). */
enum { REC_OK, REC_BAD, REC_NONCOMPLIANT, REC_SKIPPED };

/* Sets received and expires (SPEC 7) on an accepted record. */
static void
stamp(struct bundle_verifier *v, struct bundle_pass *p, json_t *rec)
{
	json_t *exp = json_object_get(rec, "expires");
	int64_t t;

	json_object_set_new(rec, "received",
	    json_pack("{s:s, s:s, s:s}", "from",
		json_string_value(json_object_get(p->header, "from")), "bundle",
		p->r->id, "at", v->at));
	if (v->o.agreement->retention_days < 0)
		return;
	if (json_is_string(exp) &&
	    timeutil_parse(json_string_value(exp), &t) == 0 && t <= v->limit_t)
		return; /* the record's own is earlier: kept */
	json_object_set_new(rec, "expires", json_string(v->limit));
}

/* A worker (-j N) or the calling thread: its own policy and buffer. */
struct vworker {
	struct bundle_pass *p;
	struct policy *pol;    /* NULL: records are not checked for it */
	struct comply *comply; /* the same check, without a tree */
	struct buf canon;
	struct buf received; /* stamp()'s "received", canonical */
	struct buf limit;    /* and its "expires" */
};

static void *
vworker_new(void *arg, struct ierr *e)
{
	struct bundle_pass *p = arg;
	struct vworker *w = xcalloc(1, sizeof *w);
	const struct agreement *a = p->v->o.agreement;
	const char *from, *to;

	w->p = p;
	if (p->header_bad || p->no_rule)
		return w;
	from = json_string_value(json_object_get(p->header, "from"));
	to = json_string_value(json_object_get(p->header, "to"));
	if (policy_new(a, from, to, p->v->o.now, 0, &w->pol, e) != 0) {
		free(w); /* the pass made one: memory, at worst */
		return NULL;
	}
	w->comply = comply_new(w->pol);
	buf_adds(&w->received, "{\"at\":");
	jsonio_string(&w->received, p->v->at, strlen(p->v->at));
	buf_adds(&w->received, ",\"bundle\":");
	jsonio_string(&w->received, p->r->id, strlen(p->r->id));
	buf_adds(&w->received, ",\"from\":");
	jsonio_string(&w->received, from, strlen(from));
	buf_addc(&w->received, '}');
	jsonio_string(&w->limit, p->v->limit, strlen(p->v->limit));
	return w;
}

static void
vworker_free(void *arg)
{
	struct vworker *w = arg;

	comply_free(w->comply);
	policy_free(w->pol);
	buf_free(&w->canon);
	buf_free(&w->received);
	buf_free(&w->limit);
	free(w);
}

/*
 * stamp() for a line the scanner took (comply.h): the same bytes as
 * stamp() and bundle_canon_line() make of the tree.
 */
static void
stamp_line(struct vworker *w, const struct scan_record *r, struct buf *out)
{
	const char *set[SCAN_NMEMBERS] = { NULL };
	const struct bundle_verifier *v = w->p->v;
	const char *s;
	char t[TIMEUTIL_LEN + 16];
	size_t len;
	int64_t when;

	set[SCAN_RECEIVED] = w->received.data;
	if (v->o.agreement->retention_days >= 0) {
		set[SCAN_EXPIRES] = w->limit.data;
		/* The scanner took expires for a plain RFC 3339 time. */
		if (scan_plain(r, SCAN_EXPIRES, &s, &len) && len < sizeof t) {
			memcpy(t, s, len);
			t[len] = '\0';
			if (timeutil_parse(t, &when) == 0 && when <= v->limit_t)
				set[SCAN_EXPIRES] = NULL; /* kept */
		}
	}
	buf_reset(out);
	scan_rewrite(out, r, set);
	buf_addc(out, '\n');
}

/* Checks one record line (no newline); on success it->out gets the line
 * to write, stamped.  The kind goes to it->data, the reason to it->err. */
static void
vwork(void *arg, struct par_item *it)
{
	struct vworker *w = arg;
	struct bundle_pass *p = w->p;
	int *kind = it->data;
	char why[BUNDLE_NOTE_MAX];
	struct scan_record r;
	json_t *rec;

	if (p->header_bad) {
		*kind = REC_SKIPPED; /* refused anyway: only hashed */
		return;
	}
	/* A canonical line that complies takes no tree; any other does,
	 * and is judged and explained as it always was. */
	if (w->comply != NULL &&
	    comply_line(w->comply, it->line, it->len, &r) == COMPLY_YES) {
		*kind = REC_OK;
		stamp_line(w, &r, &it->out);
		return;
	}
	if (record_parse(it->line, it->len, &rec, &it->err) != 0) {
		*kind = REC_BAD;
		err_prefix(&it->err, "malformed record");
		return;
	}
	buf_reset(&w->canon);
	if (jsonio_canon(&w->canon, rec, &it->err) != 0 ||
	    w->canon.len != it->len ||
	    memcmp(w->canon.data, it->line, it->len) != 0) {
		*kind = REC_BAD;
		err_set(&it->err, EXIT_REFUSED,
		    "record not canonical (it was "
		    "changed after signing or not written by intel-sign)");
	} else if (w->pol == NULL) {
		*kind = REC_SKIPPED; /* no rule: compliance fails */
	} else if (!policy_complies(w->pol, rec, why, sizeof why)) {
		*kind = REC_NONCOMPLIANT;
		err_set(&it->err, EXIT_REFUSED,
		    "record not allowed from %s "
		    "to %s: %s",
		    p->r->from, p->r->to, why);
	} else {
		stamp(p->v, p, rec);
		if (bundle_canon_line(&it->out, rec, &it->err) != 0)
			*kind = REC_BAD;
	}
	json_decref(rec);
}

#define PEND_HASH 65536

void
bundle_records_flush(struct bundle_pass *p)
{
	if (p->held_off == 0)
		return;
	crypto_sha512_update(p->digest, p->pend.data, p->held_off);
	memmove(p->pend.data, p->pend.data + p->held_off,
	    p->pend.len - p->held_off);
	p->pend.len -= p->held_off;
	p->pend.data[p->pend.len] = '\0';
	p->held_off = 0;
}

/*
 * In input order: the line held back is a record, since one follows.  A
 * line that checked out is spooled at once, unless a record before it
 * failed: should it be the last line, the trailer, the bundle fails
 * anyway (a record is no trailer), and its spool is never copied out.
 */
static int
vcommit(void *arg, struct par_item *it)
{
	struct bundle_pass *p = arg;
	int kind = *(int *)it->data;

	if (p->have_held) {
		buf_addc(&p->pend, '\n');
		p->held_off = p->pend.len;
		if (p->held_off >= PEND_HASH)
			bundle_records_flush(p);
		p->r->lines_read++;
		if (p->held_kind == REC_BAD && p->rec_line == 0) {
			p->rec_line = p->held_line;
			snprintf(p->rec_why, sizeof p->rec_why, "%s",
			    p->held_why.data);
		} else if (p->held_kind == REC_NONCOMPLIANT &&
		    p->cmp_line == 0) {
			p->cmp_line = p->held_line;
			snprintf(p->cmp_why, sizeof p->cmp_why, "%s",
			    p->held_why.data);
		}
	}
	p->have_held = 1;
	p->held_line = it->lineno;
	p->held_kind = kind;
	buf_add(&p->pend, it->line, it->len);
	if (kind == REC_OK && p->rec_line == 0 && p->cmp_line == 0 &&
	    spool_write(p->v->spool, it->out.data, it->out.len, &p->err) != 0)
		return p->err.status;
	if (kind == REC_BAD || kind == REC_NONCOMPLIANT) {
		buf_reset(&p->held_why);
		buf_adds(&p->held_why, it->err.msg);
	}
	return 0;
}

const struct par_ops bundle_records_ops = {
	.data_size = sizeof(int),
	.worker_new = vworker_new,
	.worker_free = vworker_free,
	.work = vwork,
	.commit = vcommit,
};
