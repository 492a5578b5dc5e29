/*
 * What a merge needs of a store line (declared in store-int.h): from
 * the validating scanner (scan.c) or, for a store the last merge wrote,
 * from the key reader (store-scan.c).  Nothing here touches anything but
 * the line and the struct sfacts it fills, so par_run_blocks()'s workers
 * call it.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "scan.h"
#include "store-int.h"
#include "timeutil.h"

/*
 * Whether a scanned record is relayed (store_relayed): received, which the
 * scanner holds to {"at":...,"bundle":...,"from":...}, names another party
 * than origin.  Canonical strings are escaped one way only, so the two
 * are the same string exactly when they are the same bytes as written.
 * Inside a canonical string every quote is escaped, so the first ,"from":
 * is the member's.
 */
static int
scan_relayed(const struct scan_record *r)
{
	static const char key[] = ",\"from\":";
	const struct scan_slot *rv = &r->m[SCAN_RECEIVED];
	const struct scan_slot *o = &r->m[SCAN_ORIGIN];
	const char *p, *end;

	if (rv->member == NULL)
		return 0;
	end = rv->value + rv->vlen - 1; /* its closing brace */
	for (p = rv->value; p + sizeof key - 1 < end; p++)
		if (memcmp(p, key, sizeof key - 1) == 0)
			break;
	if (p + sizeof key - 1 >= end)
		return 0; /* not what the scanner passes */
	p += sizeof key - 1;
	return (size_t)(end - p) != o->vlen ||
	    memcmp(p, o->value, o->vlen) != 0;
}

/* What the merge needs of a canonical line, from the scanner, into f.  -1
 * if the line is not canonical.  Touches nothing else (par_run_blocks()'s
 * workers call it). */
int
store_scan_facts(
    const struct store_opts *o, const char *line, size_t len, struct sfacts *f)
{
	const struct scan_slot *x;
	struct scan_record r;
	char t[64];

	if (scan_record(line, len, &r, NULL, NULL) != SCAN_OK)
		return -1;
	x = &r.m[SCAN_EXPIRES];
	f->has_expires = 0;
	f->expires = 0;
	/* Only --expire looks at the time. */
	if (x->member != NULL && o->expire) {
		/* The scanner parsed it: plain, short, a time. */
		if (x->vlen - 2 >= sizeof t ||
		    memchr(x->value + 1, '\\', x->vlen - 2) != NULL)
			return -1;
		memcpy(t, x->value + 1, x->vlen - 2);
		t[x->vlen - 2] = '\0';
		if (timeutil_parse(t, &f->expires) != 0)
			return -1;
		f->has_expires = 1;
	}
	f->oat = (size_t)(r.m[SCAN_ORIGIN].value - line);
	f->olen = r.m[SCAN_ORIGIN].vlen;
	f->idat = (size_t)(r.m[SCAN_ID].value - line);
	f->idlen = r.m[SCAN_ID].vlen;
	f->version = r.version;
	f->withdrawn = r.withdrawn;
	f->relayed = scan_relayed(&r);
	f->state = SF_SCANNED;
	return 0;
}

/* What the merge needs of a line of a trusted store, from the key reader
 * alone, into f.  -1 if it cannot say (the line then goes to the
 * scanner).  Touches nothing else (par_run_blocks()'s workers call it). */
int
store_key_facts(
    const struct store_opts *o, const char *line, size_t len, struct sfacts *f)
{
	struct store_key k;
	char t[64];

	if (store_scan_key(line, len, &k) != 0)
		return -1;
	f->has_expires = 0;
	f->expires = 0;
	if (k.expires != NULL && o->expire) {
		if (k.expires_esc || k.elen >= sizeof t)
			return -1;
		memcpy(t, k.expires, k.elen);
		t[k.elen] = '\0';
		if (timeutil_parse(t, &f->expires) != 0)
			return -1;
		f->has_expires = 1;
	}
	f->oat = (size_t)(k.origin - line);
	f->olen = k.olen;
	f->oesc = k.origin_esc;
	f->idat = (size_t)(k.id - line);
	f->idlen = k.idlen;
	f->idesc = k.id_esc;
	f->version = k.version;
	f->withdrawn = k.withdrawn;
	/* Canonical strings are the same string exactly when they are the
	 * same bytes. */
	f->relayed = k.from != NULL &&
	    (k.flen != k.olen || memcmp(k.from, k.origin, k.olen) != 0);
	f->state = SF_KEYED;
	return 0;
}
