/*
 * fuzz-verify: a bundle given to the verifier (SPEC 7), with the
 * trilateral fixture agreement and DE-BKA's test key.
 *
 * The first byte is the mode.  Mode % 3 == 0: the rest is the bundle as
 * received.  1: the rest is a header and records, and the harness appends
 * a correct trailer signed with DE-BKA's key (so that the fuzzer reaches
 * the checks behind the signature).  2: the rest is the records only; the
 * harness puts a correct header (DE-BKA to FR-DGSI) in front and a signed
 * trailer behind.  Bit 3 clear: the verifier expects FR-DGSI (--to).
 * Bit 2 set (SPEC 6a): in mode 0 the rest follows the line
 * "age-encryption.org/v1" (the opener's header parser, with the harness's
 * X25519 key); in modes 1 and 2 the bundle is sealed to that key with
 * age.c, and the verifier holds it.
 *
 * Invariants: bundle_verify() returns 0 or EXIT_REFUSED, a refusal with
 * its message and nothing to emit; an accepted bundle emits exactly as
 * many lines as it holds records, each a valid record whose received
 * names the sender and the bundle; verifying it again accepts it and
 * emits the same bytes; and a copy with one byte changed, or one line
 * dropped, duplicated or swapped with the next, is refused (the property
 * of issue 7).  A sealed bundle is judged exactly as the same bundle in
 * the clear, emits the same bytes, and with any byte of it changed is
 * refused by the seal check (or, in the first line, as a plain bundle).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gcrypt.h>
#include <jansson.h>

#include "age.h"
#include "agreement.h"
#include "base64.h"
#include "buf.h"
#include "bundle.h"
#include "crypto.h"
#include "err.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "keys.h"
#include "record.h"
#include "timeutil.h"
#include "fuzz-util.h"

static const struct agreement *ag;
static struct keys_secret *key;
/* The harness's X25519 key, that sealed bundles are sealed to. */
static unsigned char *xsecret;
static unsigned char xpub[AGE_KEY_LEN];

static void
free_key(void)
{
	keys_free_secret(key);
	gcry_free(xsecret);
}

void
fz_init(void)
{
	struct ierr e = IERR_INIT;

	ag = fz_agreement("trilateral.yaml");
	if (keys_load_secret(fz_path("DE-BKA.key"), NULL, &key, &e) != 0)
		fz_fail("harness: %s", e.msg);
	if ((xsecret = gcry_malloc_secure(AGE_KEY_LEN)) == NULL)
		abort();
	crypto_x25519_keygen(xsecret, xpub);
	atexit(free_key);
}

static int
buf_sink(void *arg, const void *p, size_t n, struct ierr *e)
{
	(void)e;
	buf_add(arg, p, n);
	return 0;
}

/* The bytes of in, sealed to the harness's key, into out. */
static void
seal(const struct buf *in, struct buf *out)
{
	struct ierr e = IERR_INIT;
	struct age_writer *w;

	buf_reset(out);
	if ((w = age_writer_new((const unsigned char(*)[32])xpub, 1, buf_sink,
		 out, &e)) == NULL ||
	    age_writer_write(w, in->data ? in->data : "", in->len, &e) != 0 ||
	    age_writer_finish(w, &e) != 0)
		fz_fail("harness: seal: %s", e.msg);
	age_writer_free(w);
}

/* Appends a canonical line of v and its newline. */
static void
add_canon(struct buf *b, json_t *v)
{
	struct ierr e = IERR_INIT;

	if (jsonio_canon(b, v, &e) != 0)
		fz_fail("harness: %s", e.msg);
	buf_addc(b, '\n');
	json_decref(v);
}

/* Appends the signed trailer for the b->len bytes before it. */
static void
sign(struct buf *b)
{
	struct ierr e = IERR_INIT;
	unsigned char digest[CRYPTO_SHA512_LEN], sig[CRYPTO_ED25519_SIG_LEN];
	char hex[2 * CRYPTO_SHA512_LEN + 1];
	char sig64[BASE64_ENCODED_LEN(CRYPTO_ED25519_SIG_LEN) + 1];
	struct buf msg = BUF_INIT;
	long long lines = 0;
	size_t i;
	json_t *t;

	if (b->len > 0 && b->data[b->len - 1] != '\n')
		buf_addc(b, '\n');
	for (i = 0; i < b->len; i++)
		lines += b->data[i] == '\n';
	crypto_sha512(b->data, b->len, digest);
	crypto_hex(digest, sizeof digest, hex);
	t = json_pack("{s:i, s:s, s:I, s:s}", "intel_signature", 1, "key",
	    keys_key_id(key), "records",
	    (json_int_t)(lines > 0 ? lines - 1 : 0), "sha512", hex);
	if (jsonio_canon(&msg, t, &e) != 0 ||
	    keys_sign(key, msg.data, msg.len, sig, &e) != 0)
		fz_fail("harness: %s", e.msg);
	base64_encode(sig, sizeof sig, sig64);
	json_object_set_new(t, "sig", json_string(sig64));
	add_canon(b, t);
	buf_free(&msg);
}

static void
header(struct buf *b, int seq)
{
	char created[TIMEUTIL_LEN];

	timeutil_format(FZ_NOW - 3600, created);
	add_canon(b,
	    json_pack("{s:s, s:I, s:s, s:s, s:s, s:i, s:i, s:s}", "agreement",
		ag->id, "agreement_version", (json_int_t)ag->version, "created",
		created, "from", "DE-BKA", "id",
		"00112233445566778899aabbccddeeff", "intel_bundle", 1, "seq",
		seq, "to", "FR-DGSI"));
}

/*
 * Verifies p[0..n).  Returns the status; *out (when accepted, the emitted
 * records, the caller's to free) and r are filled.
 */
static int sealing; /* the verifier holds the harness's X25519 key */

static int
verify_jobs(const char *p, size_t n, const char *to, int jobs, char **out,
    size_t *outlen, struct bundle_report *r)
{
	const unsigned char *ids[1] = { xsecret };
	const char *names[1] = { "harness.key" };
	struct bundle_verify_opts o;
	struct bundle_verifier *v;
	struct ierr e = IERR_INIT;
	const char *path;
	FILE *os;
	int rc;

	memset(&o, 0, sizeof o);
	o.agreement = ag;
	o.to = to;
	o.now = FZ_NOW;
	o.jobs = jobs;
	if (sealing) {
		o.ids = ids;
		o.id_names = names;
		o.nids = 1;
	}
	*out = NULL;
	*outlen = 0;
	if (bundle_verifier_new(&o, &v, &e) != 0)
		fz_fail("harness: bundle_verifier_new: %s", e.msg);
	path = fz_write("bundle", (const uint8_t *)p, n);
	rc = bundle_verify(v, path, r, &e);
	if ((os = open_memstream(out, outlen)) == NULL)
		abort();
	if (rc == 0) {
		if (!r->accepted)
			fz_fail("bundle_verify: 0 but not accepted");
		err_clear(&e);
		if (bundle_verify_emit(v, os, &e) != 0)
			fz_fail("bundle_verify_emit: %s", e.msg);
	} else {
		/* A sealed bundle and no key: not judged (64). */
		if (rc != EXIT_REFUSED &&
		    !(rc == EXIT_USAGE && r->sealed && !sealing))
			fz_fail("bundle_verify: status %d: %s", rc, e.msg);
		if (r->accepted || e.msg[0] == '\0')
			fz_fail("a refusal accepted or without a message");
		if (r->sealed && r->outcome[BUNDLE_SEAL] == BUNDLE_FAILED &&
		    r->outcome[BUNDLE_HEADER] != BUNDLE_NOT_REACHED)
			fz_fail("a bundle that did not open reached the "
				"header check");
		err_clear(&e);
		/* A refused bundle has nothing to emit. */
		bundle_verify_emit(v, os, &e);
	}
	fclose(os);
	if (rc != 0 && *outlen != 0)
		fz_fail("a refused bundle emitted %zu bytes", *outlen);
	if (rc == 0 &&
	    r->sealed !=
		(n >= strlen(AGE_VERSION_LINE) &&
		    memcmp(p, AGE_VERSION_LINE, strlen(AGE_VERSION_LINE)) == 0))
		fz_fail("sealed or not, not as its first line says");
	bundle_verifier_free(v);
	return rc;
}

static int
verify(const char *p, size_t n, const char *to, char **out, size_t *outlen,
    struct bundle_report *r)
{
	return verify_jobs(p, n, to, 1, out, outlen, r);
}

static void
check_emitted(const char *out, size_t len, const struct bundle_report *r)
{
	struct ierr e = IERR_INIT;
	const char *p, *nl;
	json_t *rec, *recv;
	unsigned long long n = 0;

	for (p = out; p < out + len; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(out + len - p))) == NULL)
			fz_fail("an emitted record without a newline");
		if (record_parse(p, (size_t)(nl - p), &rec, &e) != 0)
			fz_fail("an emitted line is not a record: %s", e.msg);
		recv = json_object_get(rec, "received");
		if (!json_is_object(recv) ||
		    strcmp(json_string_value(json_object_get(recv, "from"))
			    ? json_string_value(json_object_get(recv, "from"))
			    : "",
			r->from) != 0 ||
		    strcmp(json_string_value(json_object_get(recv, "bundle"))
			    ? json_string_value(json_object_get(recv, "bundle"))
			    : "",
			r->id) != 0)
			fz_fail("an emitted record without the right received");
		json_decref(rec);
		n++;
	}
	if (r->records < 0 || n != (unsigned long long)r->records ||
	    n != r->lines_read)
		fz_fail("emitted %llu records, trailer %lld, read %llu", n,
		    r->records, r->lines_read);
}

/* The changed copies of an accepted bundle must all be refused. */
static void
check_tampered(const char *p, size_t n, const char *to, uint32_t h)
{
	struct bundle_report r;
	struct buf b = BUF_INIT;
	const char *ls[64];
	size_t ll[64], nl = 0, i, pos, k;
	char *out, *c;
	size_t outlen;

	/* One byte changed. */
	pos = h % n;
	c = malloc(n);
	if (c == NULL)
		abort();
	memcpy(c, p, n);
	c[pos] ^= (char)(1u << (h >> 8) % 8);
	if (verify(c, n, to, &out, &outlen, &r) == 0)
		fz_fail("a bundle with byte %zu changed was accepted", pos);
	free(out);
	free(c);

	/* Lines dropped, duplicated or swapped. */
	for (i = 0; i < n && nl < 64; i = k + 1) {
		const char *e = memchr(p + i, '\n', n - i);

		k = e != NULL ? (size_t)(e - p) : n - 1;
		ls[nl] = p + i;
		ll[nl++] = k + 1 - i;
	}
	if (nl < 2 || nl == 64)
		return;
	pos = (h >> 12) % nl;
	for (k = 0; k < 3; k++) {
		buf_reset(&b);
		for (i = 0; i < nl; i++) {
			if (k == 0 && i == pos)
				continue; /* dropped */
			if (k == 1 && i == pos)
				buf_add(&b, ls[i], ll[i]); /* twice */
			if (k == 2 && i == pos && i + 1 < nl) {
				buf_add(&b, ls[i + 1], ll[i + 1]);
				buf_add(&b, ls[i], ll[i]);
				i++;
				continue;
			}
			buf_add(&b, ls[i], ll[i]);
		}
		if (k == 2 &&
		    (pos + 1 >= nl ||
			(ll[pos] == ll[pos + 1] &&
			    memcmp(ls[pos], ls[pos + 1], ll[pos]) == 0)))
			continue; /* no swap, or two equal lines */
		if (verify(b.data, b.len, to, &out, &outlen, &r) == 0)
			fz_fail("a bundle with line %zu %s was accepted",
			    pos + 1,
			    k == 0	 ? "dropped"
				: k == 1 ? "duplicated"
					 : "swapped with the next");
		free(out);
	}
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bundle_report r, r2;
	struct buf b = BUF_INIT, plain = BUF_INIT;
	const char *to;
	char *out, *out2;
	size_t outlen, outlen2, i;
	uint32_t h = 2166136261u;
	int rc, rc2;

	if (size < 1 || size > 65536)
		return 0;
	to = data[0] & 8 ? NULL : "FR-DGSI";
	sealing = (data[0] & 4) != 0;
	switch (data[0] % 3) {
	case 0:
		if (sealing)
			buf_adds(&b, AGE_VERSION_LINE "\n");
		buf_add(&b, data + 1, size - 1);
		break;
	case 1:
		buf_add(&b, data + 1, size - 1);
		sign(&b);
		break;
	default:
		header(&b, 1 + (data[0] >> 4));
		buf_add(&b, data + 1, size - 1);
		sign(&b);
		break;
	}
	if (sealing && data[0] % 3 != 0) {
		/* Sealed: judged as the same bundle in the clear. */
		rc = verify(b.data, b.len, to, &out, &outlen, &r);
		buf_add(&plain, b.data, b.len);
		seal(&plain, &b);
		rc2 = verify(b.data, b.len, to, &out2, &outlen2, &r2);
		if (rc2 != rc || outlen2 != outlen ||
		    memcmp(out, out2, outlen) != 0)
			fz_fail("sealed, judged otherwise than in the clear: "
				"%d, %d",
			    rc, rc2);
		if (r2.outcome[BUNDLE_SEAL] != BUNDLE_PASSED ||
		    (rc != 0 && r2.failed != r.failed))
			fz_fail("sealed: a check other than in the clear");
		free(out);
		free(out2);
	}
	rc = verify(b.data ? b.data : "", b.len, to, &out, &outlen, &r);
	if (rc == 0) {
		check_emitted(out, outlen, &r);
		if (verify(b.data, b.len, to, &out2, &outlen2, &r2) != 0 ||
		    outlen != outlen2 || memcmp(out, out2, outlen) != 0)
			fz_fail("verifying an accepted bundle again differs");
		free(out2);
		if (verify_jobs(b.data, b.len, to, 3, &out2, &outlen2, &r2) !=
			0 ||
		    outlen != outlen2 || memcmp(out, out2, outlen) != 0)
			fz_fail("verifying with -j 3 differs from -j 1");
		free(out2);
		for (i = 0; i < size; i++)
			h = (h ^ data[i]) * 16777619u;
		check_tampered(b.data, b.len, to, h);
	}
	free(out);
	buf_free(&b);
	buf_free(&plain);
	return 0;
}
