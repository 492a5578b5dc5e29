/*
 * Signing a bundle (SPEC 6): every input record checked against the
 * release rule and spooled, then header, records and trailer written.
 *
 * The records wait in a spool (spool.h): plain for a plain bundle, which
 * travels in the clear anyway; sealed, for a bundle that will be sealed,
 * so that no plain text of it is written to any file (SPEC 6a).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "agreement.h"
#include "base64.h"
#include "buf.h"
#include "bundle.h"
#include "bundle-int.h"
#include "comply.h"
#include "crypto.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "keys.h"
#include "policy.h"
#include "spool.h"
#include "record.h"
#include "timeutil.h"

struct bundle_screen {
	const struct bundle_sign *s;
	struct policy *pol;
	struct comply *comply; /* the same check, without a tree */
};

struct bundle_sign {
	const struct agreement *a;
	const struct keys_secret *k;
	char *to;
	int64_t now;
	struct bundle_screen *check; /* bundle_sign_add()'s */
	struct spool *spool;
	struct buf canon;
	unsigned long long n;
};

int
bundle_sign_new(const struct agreement *a, const struct keys_secret *k,
    const char *to, int64_t now, struct bundle_sign **out, struct ierr *e)
{
	const char *from = keys_party(k);
	const struct ag_party *p = agreement_party(a, from);
	struct bundle_sign *s;
	int rc;

	if (p == NULL)
		return err_set(e, EXIT_CONFIG,
		    "the key is for %s, which is "
		    "not a party of agreement %s",
		    from, a->id);
	if (!agreement_party_has_key(p, keys_public(k)))
		return err_set(e, EXIT_CONFIG,
		    "key %s is not among the keys "
		    "of %s in agreement %s",
		    keys_key_id(k), from, a->id);
	if (agreement_party(a, to) == NULL)
		return err_set(e, EXIT_CONFIG,
		    "recipient %s is not a party "
		    "of agreement %s",
		    to, a->id);
	s = xcalloc(1, sizeof *s);
	s->a = a;
	s->k = k;
	s->to = xstrdup(to);
	s->now = now;
	if ((rc = bundle_screen_new(s, &s->check, e)) != 0 ||
	    (rc = spool_new(SPOOL_PLAIN, &s->spool, e)) != 0) {
		bundle_sign_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int
bundle_screen_new(
    const struct bundle_sign *s, struct bundle_screen **out, struct ierr *e)
{
	struct policy *pol;
	int rc;

	if ((rc = policy_new(
		 s->a, keys_party(s->k), s->to, s->now, 0, &pol, e)) != 0)
		return rc;
	*out = xcalloc(1, sizeof **out);
	(*out)->s = s;
	(*out)->pol = pol;
	(*out)->comply = comply_new(pol);
	return 0;
}

void
bundle_screen_free(struct bundle_screen *c)
{
	if (c == NULL)
		return;
	comply_free(c->comply);
	policy_free(c->pol);
	free(c);
}

int
bundle_screen_record(struct bundle_screen *c, const char *line, size_t len,
    struct buf *out, struct ierr *e)
{
	char why[ERR_MSG_MAX / 2];
	struct scan_record r;
	json_t *rec;
	int rc;

	buf_reset(out);
	/*
	 * A canonical line that complies goes as it is (comply.h); any
	 * other takes the tree, which canonicalises it or says what is
	 * wrong, as it always has.
	 */
	if (comply_line(c->comply, line, len, &r) == COMPLY_YES) {
		buf_add(out, line, len);
		buf_addc(out, '\n');
		return 0;
	}
	if ((rc = record_parse(line, len, &rec, e)) != 0)
		return rc;
	if ((rc = bundle_canon_line(out, rec, e)) != 0) {
		json_decref(rec);
		return rc;
	}
	if (out->len - 1 != len || memcmp(out->data, line, len) != 0) {
		/* Check exactly what will be sent: its canonical form. */
		json_decref(rec);
		if ((rc = record_parse(out->data, out->len - 1, &rec, e)) != 0)
			return rc;
	}
	if (!policy_complies(c->pol, rec, why, sizeof why)) {
		json_decref(rec);
		buf_reset(out);
		return err_set(e, EXIT_REFUSED,
		    "record not allowed to %s "
		    "under agreement %s: %s",
		    c->s->to, c->s->a->id, why);
	}
	json_decref(rec);
	return 0;
}

int
bundle_sign_put(
    struct bundle_sign *s, const char *line, size_t len, struct ierr *e)
{
	int rc;

	if ((rc = spool_write(s->spool, line, len, e)) != 0)
		return rc;
	s->n++;
	return 0;
}

int
bundle_sign_add(
    struct bundle_sign *s, const char *line, size_t len, struct ierr *e)
{
	int rc;

	if ((rc = bundle_screen_record(s->check, line, len, &s->canon, e)))
		return rc;
	return bundle_sign_put(s, s->canon.data, s->canon.len, e);
}

int
bundle_sign_seal(struct bundle_sign *s, struct ierr *e)
{
	if (s->n > 0)
		abort(); /* records already spooled in the clear */
	return spool_reset(s->spool, SPOOL_SEALED, e);
}

unsigned long long
bundle_sign_count(const struct bundle_sign *s)
{
	return s->n;
}

int
bundle_sign_write(struct bundle_sign *s, int64_t seq, FILE *out,
    struct bundle_info *info, struct ierr *e)
{
	unsigned char rnd[BUNDLE_ID_LEN / 2], digest[CRYPTO_SHA512_LEN];
	unsigned char sig[CRYPTO_ED25519_SIG_LEN];
	char created[TIMEUTIL_LEN], sig64[BUNDLE_SIG_B64_LEN + 1];
	struct crypto_sha512 *d;
	struct buf line = BUF_INIT;
	json_t *h, *t;
	int rc;

	memset(info, 0, sizeof *info);
	crypto_random(rnd, sizeof rnd);
	crypto_hex(rnd, sizeof rnd, info->id);
	timeutil_format(s->now, created);
	h = json_pack("{s:s, s:I, s:s, s:s, s:s, s:i, s:I, s:s}", "agreement",
	    s->a->id, "agreement_version", (json_int_t)s->a->version, "created",
	    created, "from", keys_party(s->k), "id", info->id, "intel_bundle",
	    BUNDLE_FORMAT, "seq", (json_int_t)seq, "to", s->to);
	rc = bundle_canon_line(&line, h, e);
	json_decref(h);
	if (rc != 0)
		goto out;
	d = crypto_sha512_init();
	crypto_sha512_update(d, line.data, line.len);
	if (fwrite(line.data, 1, line.len, out) != line.len) {
		crypto_sha512_free(d);
		rc = err_set(e, EXIT_IOERR, "write error: %s",
		    strerror(errno ? errno : EIO));
		goto out;
	}
	if ((rc = spool_copy(s->spool, out, d, e)) != 0) {
		crypto_sha512_free(d);
		goto out;
	}
	crypto_sha512_final(d, digest);
	crypto_hex(digest, sizeof digest, info->sha512);

	/* The signed message: the trailer without sig, canonical. */
	t = json_pack("{s:i, s:s, s:I, s:s}", "intel_signature",
	    BUNDLE_SIG_FORMAT, "key", keys_key_id(s->k), "records",
	    (json_int_t)s->n, "sha512", info->sha512);
	buf_reset(&line);
	if ((rc = jsonio_canon(&line, t, e)) != 0 ||
	    (rc = keys_sign(s->k, line.data, line.len, sig, e)) != 0) {
		json_decref(t);
		goto out;
	}
	base64_encode(sig, sizeof sig, sig64);
	json_object_set_new(t, "sig", json_string(sig64));
	rc = bundle_canon_line(&line, t, e);
	json_decref(t);
	if (rc != 0)
		goto out;
	if (fwrite(line.data, 1, line.len, out) != line.len || ferror(out)) {
		rc = err_set(e, EXIT_IOERR, "write error: %s",
		    strerror(errno ? errno : EIO));
		goto out;
	}
	memcpy(info->key_id, keys_key_id(s->k), sizeof info->key_id);
	info->records = s->n;
	info->seq = seq;
out:
	buf_free(&line);
	return rc;
}

void
bundle_sign_free(struct bundle_sign *s)
{
	if (s == NULL)
		return;
	spool_free(s->spool);
	bundle_screen_free(s->check);
	buf_free(&s->canon);
	free(s->to);
	free(s);
}
