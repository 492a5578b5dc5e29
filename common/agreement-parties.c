/*
 * The parties of an agreement (SPEC 3): party codes, names, signing keys
 * and age recipients, each checked at load so that no weak key ever
 * reaches libgcrypt and no key of small order is ever sealed to.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "age.h"
#include "agreement.h"
#include "agreement-int.h"
#include "base64.h"
#include "buf.h"
#include "crypto.h"
#include "exitcodes.h"
#include "yamltree.h"

static int
party_code_ok(const char *s)
{
	const char *p;

	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		(*s >= '0' && *s <= '9')))
		return 0;
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
			*p == '-'))
			return 0;
	return p - s <= 64;
}

static int
keyent_cmp(const void *a, const void *b)
{
	const struct keyent *x = a, *y = b;
	int c = memcmp(x->cmp, y->cmp, sizeof x->cmp);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Of the entries that share cmp with an earlier one, the one that comes
 * first in the file, and in *first the earliest it repeats; NULL if
 * there is none.
 */
static const struct keyent *
first_twice(struct keyent *v, size_t n, const struct keyent **first)
{
	const struct keyent *best = NULL;
	size_t i;

	if (n < 2)
		return NULL;
	qsort(v, n, sizeof *v, keyent_cmp);
	for (i = 1; i < n; i++)
		if (memcmp(v[i - 1].cmp, v[i].cmp, sizeof v->cmp) == 0 &&
		    (best == NULL || v[i].order < best->order)) {
			best = &v[i];
			*first = best - 1;
			while (*first > v &&
			    memcmp((*first)[-1].cmp, best->cmp,
				sizeof v->cmp) == 0)
				(*first)--;
		}
	return best;
}

/* No two keys may share a key id (SPEC 6): the same key twice, in one
 * party or in two, included.  Refused at the second place in the file. */
static int
check_keys_unique(struct ld *l)
{
	const struct keyent *best, *first = NULL;
	const char *code;
	char id[CRYPTO_KEY_ID_LEN + 1];

	if ((best = first_twice(l->keys, l->nkeys, &first)) == NULL)
		return 0;
	code = ag_q(l, l->a->parties[first->party].code);
	if (memcmp(first->key, best->key, AG_KEY_LEN) != 0) {
		crypto_key_id(best->key, id);
		return ag_lerr(l, best->n,
		    "key id %s is already that of "
		    "another key of party %s: no two keys may share one",
		    id, code);
	}
	if (first->party == best->party)
		return ag_lerr(
		    l, best->n, "key appears twice in party %s", code);
	return ag_lerr(l, best->n, "key is already a key of party %s", code);
}

static int
check_recipients_unique(struct ld *l)
{
	const struct keyent *best, *first = NULL;
	const char *code;

	if ((best = first_twice(l->rcpts, l->nrcpts, &first)) == NULL)
		return 0;
	code = ag_q(l, l->a->parties[first->party].code);
	if (first->party == best->party)
		return ag_lerr(l, best->n,
		    "recipient appears twice in party "
		    "%s",
		    code);
	return ag_lerr(l, best->n,
	    "recipient is already a recipient of "
	    "party %s",
	    code);
}

static struct keyent *
keyent_add(struct keyent **v, size_t *n, size_t *cap)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xrealloc(*v, *cap * sizeof **v);
	}
	memset(&(*v)[*n], 0, sizeof **v);
	(*v)[*n].order = *n;
	return &(*v)[(*n)++];
}

static int
load_key(struct ld *l, const struct yt_node *n, size_t np, size_t k)
{
	unsigned char raw[BASE64_DECODED_MAX(64)];
	char id[CRYPTO_KEY_ID_LEN + 1];
	struct ag_party *p = &l->a->parties[np];
	struct keyent *ke;
	const char *s, *why;
	size_t len, got;
	int rc;

	if ((rc = ag_text(l, n, "key", &s)) != 0)
		return rc;
	len = strlen(s);
	if (strncmp(s, "ed25519:", 8) != 0 || len - 8 > 64 ||
	    base64_decode(s + 8, len - 8, raw, &got) != 0 || got != AG_KEY_LEN)
		return ag_lerr(l, n,
		    "key must read \"ed25519:\" and the "
		    "base64 of 32 bytes");
	/* Before libgcrypt ever sees it: a weak key would let anyone
	 * forge the party's bundles, or abort the process. */
	if ((why = crypto_ed25519_public_why(raw)) != NULL)
		return ag_lerr(l, n,
		    "key of party %s is not a safe Ed25519 "
		    "public key: %s",
		    ag_q(l, p->code), why);
	memcpy(p->keys[k], raw, AG_KEY_LEN);
	p->nkeys = k + 1;
	ke = keyent_add(&l->keys, &l->nkeys, &l->capkeys);
	ke->key = p->keys[k];
	crypto_key_id(raw, id);
	memcpy(ke->cmp, id, CRYPTO_KEY_ID_LEN);
	ke->n = n;
	ke->party = np;
	return 0;
}

/* The field element an X25519 u encodes (the high bit ignored, reduced
 * below p = 2^255 - 19), so that two spellings of one key compare equal. */
static void
x25519_reduce(const unsigned char u[32], unsigned char out[32])
{
	int i, big;

	memcpy(out, u, 32);
	out[31] &= 0x7f;
	big = out[31] == 0x7f && out[0] >= 0xed;
	for (i = 1; big && i < 31; i++)
		big = out[i] == 0xff;
	if (big) {
		memset(out, 0, 32);
		out[0] = (unsigned char)(u[0] - 0xed);
	}
}

static int
load_recipient(struct ld *l, const struct yt_node *n, size_t np, size_t k)
{
	struct ierr why = IERR_INIT;
	struct ag_party *p = &l->a->parties[np];
	struct keyent *ke;
	const char *s, *c;
	int rc;

	if ((rc = ag_text(l, n, "recipient", &s)) != 0)
		return rc;
	for (c = s; *c != '\0'; c++)
		if (*c >= 'A' && *c <= 'Z')
			return ag_lerr(l, n,
			    "recipient %s must be written in "
			    "lower case, as age writes it",
			    ag_q(l, s));
	if (age_recipient_parse(s, strlen(s), p->recipients[k], &why) != 0)
		return ag_lerr(l, n, "recipient %s of party %s is refused: %s",
		    ag_q(l, s), ag_q(l, p->code), why.msg);
	p->nrecipients = k + 1;
	ke = keyent_add(&l->rcpts, &l->nrcpts, &l->caprcpts);
	ke->key = p->recipients[k];
	x25519_reduce(p->recipients[k], ke->cmp);
	ke->n = n;
	ke->party = np;
	return 0;
}

/* A list member of a party: a sequence with at least one item. */
static int
party_list(struct ld *l, const struct yt_node *n, const char *what,
    const char *example, const char *where)
{
	int rc;

	if (n->kind == YT_SCALAR && !(n->plain && n->s[0] == '\0'))
		return ag_lerr(l, n,
		    "%s must be a list, not a scalar "
		    "(write [ \"%s\" ])",
		    what, example);
	if ((rc = ag_want(l, n, YT_SEQ, what)) != 0)
		return rc;
	if (n->nkid == 0)
		return ag_lerr(l, n, "%s has no %s", where, what);
	return 0;
}

static int
load_party(
    struct ld *l, const struct yt_node *kn, const struct yt_node *vn, size_t np)
{
	static const char *const names[] = { "name", "+keys", "recipients",
		NULL };
	const struct yt_node *v[4];
	struct ag_party *p = &l->a->parties[np];
	char where[128];
	const char *s;
	size_t i;
	int rc;

	if ((rc = ag_word(l, kn, "party code", &s)) != 0)
		return rc;
	if (!party_code_ok(s))
		return ag_lerr(l, kn,
		    "party code %s may only hold letters, "
		    "digits, \".\", \"_\" and \"-\", and starts with a letter "
		    "or a digit",
		    ag_q(l, s));
	p->code = xstrdup(s);
	snprintf(where, sizeof where, "party %s", ag_q(l, s));
	if ((rc = ag_want(l, vn, YT_MAP, where)) != 0 ||
	    (rc = ag_members(l, vn, names, v, where)) != 0 ||
	    (rc = ag_required(l, vn, names, v, where)) != 0)
		return rc;
	if (v[0] != NULL) {
		if ((rc = ag_text(l, v[0], "name", &s)) != 0)
			return rc;
		p->name = xstrdup(s);
	}
	if ((rc = party_list(l, v[1], "keys", "ed25519:...", where)) != 0)
		return rc;
	p->keys = xcalloc(v[1]->nkid, sizeof *p->keys);
	for (i = 0; i < v[1]->nkid; i++)
		if ((rc = load_key(l, v[1]->kid[i], np, i)) != 0)
			return rc;
	if (v[2] == NULL)
		return 0;
	if ((rc = party_list(l, v[2], "recipients", "age1...", where)) != 0)
		return rc;
	p->recipients = xcalloc(v[2]->nkid, sizeof *p->recipients);
	for (i = 0; i < v[2]->nkid; i++)
		if ((rc = load_recipient(l, v[2]->kid[i], np, i)) != 0)
			return rc;
	return 0;
}

int
ag_load_parties(struct ld *l, const struct yt_node *n)
{
	size_t i;
	int rc;

	if ((rc = ag_want(l, n, YT_MAP, "parties")) != 0)
		return rc;
	if (n->nkid == 0)
		return ag_lerr(l, n, "parties is empty");
	l->a->parties = xcalloc(n->nkid / 2, sizeof *l->a->parties);
	l->a->nparties = n->nkid / 2;
	for (i = 0; i + 1 < n->nkid; i += 2)
		if ((rc = load_party(l, n->kid[i], n->kid[i + 1], i / 2)) != 0)
			return rc;
	if ((rc = check_keys_unique(l)) != 0)
		return rc;
	return check_recipients_unique(l);
}
