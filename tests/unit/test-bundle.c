/*
 * Unit tests of common/bundle.c and common/state.c: a bundle signed and
 * verified in process, every single-byte change to it refused, the order
 * of the checks, a signature with S + L, and the sequence counters.
 */
#include "config.h"

#include <sys/stat.h>
#include <dirent.h>
#include <sys/wait.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "age.h"
#include "agreement.h"
#include "base64.h"
#include "buf.h"
#include "bundle.h"
#include "crypto.h"
#include "exitcodes.h"
#include "jsonarena.h"
#include "jsonio.h"
#include "keys.h"
#include "secmem.h"
#include "state.h"
#include "tap.h"
#include "util.h"

#include <gcrypt.h>

#define NOW 1795669200 /* 2026-11-26T05:00:00Z */

static const char *srcdir;
static const char *tmpdir;
static struct agreement *ag;
static int jobs = 1; /* worker threads for bundle_verify() */

static char *
fixture(const char *rel)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/tests/fixtures/%s", srcdir, rel);
	return b.data;
}

/* Copies a fixture key to the temporary folder with mode 0600. */
static struct keys_secret *
load_key(const char *party)
{
	struct ierr e = IERR_INIT;
	struct keys_secret *k = NULL;
	struct buf src = BUF_INIT, dst = BUF_INIT;

	buf_printf(&src, "%s/tests/fixtures/bundle/%s.key", srcdir, party);
	buf_printf(&dst, "%s/%s.key", tmpdir, party);
	if (util_copy_file(src.data, dst.data, 0600) != 0)
		abort();
	if (keys_load_secret(dst.data, NULL, &k, &e) != 0)
		diag("%s", e.msg);
	buf_free(&src);
	buf_free(&dst);
	return k;
}

/* Signs the lines of a fixture file into b; returns the status. */
static int
sign_file(struct keys_secret *k, const char *to, const char *rel, int64_t seq,
    struct buf *b, struct ierr *e)
{
	struct bundle_sign *s;
	struct bundle_info info;
	char *path = fixture(rel), *line = NULL, *mem = NULL;
	size_t cap = 0, memlen = 0;
	ssize_t len;
	FILE *in, *out;
	int rc;

	if ((rc = bundle_sign_new(ag, k, to, NOW, &s, e)) != 0) {
		free(path);
		return rc;
	}
	in = fopen(path, "r");
	while ((len = getline(&line, &cap, in)) > 0) {
		if (line[len - 1] == '\n')
			len--;
		if ((rc = bundle_sign_add(s, line, (size_t)len, e)) != 0)
			break;
	}
	fclose(in);
	if (rc == 0) {
		out = open_memstream(&mem, &memlen);
		rc = bundle_sign_write(s, seq, out, &info, e);
		fclose(out);
		buf_reset(b);
		buf_add(b, mem, memlen);
		free(mem);
	}
	bundle_sign_free(s);
	free(line);
	free(path);
	return rc;
}

/* Verifies the bytes p[0..n), written to the file "b" in the temporary
 * folder; the records go to *records if not NULL. */
static int
verify_mem(struct bundle_verifier *v, const char *p, size_t n,
    struct bundle_report *r, struct buf *records, struct ierr *e)
{
	struct buf path = BUF_INIT;
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f;
	int rc;

	buf_printf(&path, "%s/b", tmpdir);
	if (util_write_file(path.data, p, n, 0644) != 0)
		abort();
	rc = bundle_verify(v, path.data, r, e);
	if (rc == 0 && records != NULL) {
		f = open_memstream(&mem, &memlen);
		bundle_verify_emit(v, f, e);
		fclose(f);
		buf_reset(records);
		buf_add(records, mem, memlen);
		free(mem);
	}
	buf_free(&path);
	return rc;
}

static struct bundle_verifier *
verifier(const char *to, const char *state, int record)
{
	struct bundle_verify_opts o = { ag, to, NOW, state, record, jobs, NULL,
		NULL, NULL, 0 };
	struct bundle_verifier *v = NULL;
	struct ierr e = IERR_INIT;

	if (bundle_verifier_new(&o, &v, &e) != 0)
		abort();
	return v;
}

/* Line `which` of b, without newline, into out. */
static void
get_line(const struct buf *b, int which, struct buf *out)
{
	const char *p = b->data, *nl;

	buf_reset(out);
	for (int n = 1; n < which; n++)
		p = strchr(p, '\n') + 1;
	nl = strchr(p, '\n');
	buf_add(out, p, (size_t)(nl - p));
}

static void
test_roundtrip(struct keys_secret *de, struct buf *bundle)
{
	static const char head[] =
	    "{\"agreement\":\"de-fr-nl-border-2026\","
	    "\"agreement_version\":3,\"created\":\"2026-11-26T05:00:00Z\","
	    "\"from\":\"DE-BKA\",\"id\":\"";
	static const char tail[] =
	    "{\"intel_signature\":1,\"key\":"
	    "\"defd6f7779192809\",\"records\":2,\"sha512\":\"";
	struct ierr e = IERR_INIT;
	struct bundle_report r;
	struct buf recs = BUF_INIT, rep = BUF_INIT, line = BUF_INIT;
	struct bundle_verifier *v = verifier("FR-DGSI", NULL, 0);
	int rc;

	rc = sign_file(de, "FR-DGSI", "bundle/records.ndjson", 17, bundle, &e);
	is_int(rc, 0, "sign two compliant records");
	get_line(bundle, 1, &line);
	ok(strncmp(line.data, head, sizeof head - 1) == 0,
	    "header starts as SPEC 6 says");
	ok(strstr(line.data,
	       "\"intel_bundle\":1,\"seq\":17,"
	       "\"to\":\"FR-DGSI\"}") != NULL,
	    "header ends as SPEC 6 says");
	get_line(bundle, 4, &line);
	ok(strncmp(line.data, tail, sizeof tail - 1) == 0,
	    "trailer as SPEC 6 says");

	rc = verify_mem(v, bundle->data, bundle->len, &r, &recs, &e);
	is_int(rc, 0, "the bundle verifies");
	if (rc != 0)
		diag("%s", e.msg);
	ok(r.accepted, "report says accepted");
	is_int(r.seq, 17, "seq in the report");
	is_str(r.key_party, "DE-BKA", "key party in the report");
	is_int(r.outcome[BUNDLE_REPLAY], BUNDLE_NOT_CHECKED,
	    "replay not checked without a state folder");
	ok(strstr(recs.data,
	       "\"received\":{\"at\":\"2026-11-26T05:00:00Z\","
	       "\"bundle\":\"") != NULL,
	    "records carry received");
	ok(strstr(recs.data, "\"expires\":\"2028-11-25T05:00:00Z\"") != NULL,
	    "expires = at + 730 days");
	ok(strstr(recs.data, "\"expires\":\"2027-01-01T00:00:00Z\"") != NULL,
	    "an earlier expires is kept");
	bundle_report_format(&r, &rep);
	ok(strstr(rep.data, "    signature   ok (Ed25519") != NULL &&
		strstr(rep.data, "  result      ACCEPTED") != NULL,
	    "report lists checks and the result");

	v = (bundle_verifier_free(v), verifier("NL-KMAR", NULL, 0));
	rc = verify_mem(v, bundle->data, bundle->len, &r, NULL, &e);
	is_int(rc, EXIT_REFUSED, "wrong recipient refused");
	is_int(r.failed, BUNDLE_RECIPIENT, "... by the recipient check");
	ok(strstr(e.msg,
	       "b:1: recipient: the bundle is for FR-DGSI, not for "
	       "NL-KMAR") != NULL,
	    "... message: %s", e.msg);

	v = (bundle_verifier_free(v), verifier(NULL, NULL, 0));
	rc = verify_mem(v, bundle->data, bundle->len, &r, NULL, &e);
	is_int(rc, 0, "no expected recipient: accepted");
	is_int(r.outcome[BUNDLE_RECIPIENT], BUNDLE_NOT_CHECKED,
	    "... recipient not checked");

	ag->version++;
	rc = verify_mem(v, bundle->data, bundle->len, &r, NULL, &e);
	ag->version--;
	is_int(r.failed, BUNDLE_AGREEMENT, "agreement version mismatch");
	ok(strstr(e.msg,
	       "agreement: the bundle is for agreement "
	       "de-fr-nl-border-2026 version 3, not de-fr-nl-border-2026 "
	       "version 4") != NULL,
	    "... message: %s", e.msg);

	bundle_verifier_free(v);
	buf_free(&recs);
	buf_free(&rep);
	buf_free(&line);
}

/* Every single-byte change, three ways, is refused and emits nothing. */
static void
test_tamper(const struct buf *bundle)
{
	static const unsigned char how[] = { 0x01, 0x80, 0x20 };
	struct bundle_verifier *v = verifier("FR-DGSI", NULL, 0);
	struct ierr e = IERR_INIT;
	struct bundle_report r;
	struct buf t = BUF_INIT;
	unsigned long tried = 0, accepted = 0, emitted = 0;
	int seen[BUNDLE_NCHECKS] = { 0 };
	/* Under valgrind each verification is slow: every 13th byte (a
	 * prime, so every kind of position is still met). */
	const char *vg = getenv("INTEL_VALGRIND");
	size_t step = vg != NULL && *vg != '\0' ? 13 : 1;

	if (step > 1)
		diag("under valgrind: every %zuth byte", step);
	for (size_t i = 0; i < bundle->len; i += step)
		for (size_t j = 0; j < sizeof how; j++) {
			buf_reset(&t);
			buf_add(&t, bundle->data, bundle->len);
			t.data[i] = (char)(t.data[i] ^ how[j]);
			tried++;
			if (verify_mem(v, t.data, t.len, &r, NULL, &e) == 0) {
				accepted++;
				diag("accepted with byte %zu ^ 0x%02x", i,
				    how[j]);
			}
			if (r.accepted)
				emitted++;
			else
				seen[r.failed]++;
		}
	is_int((long long)accepted, 0, "%lu single-byte changes all refused",
	    tried);
	is_int((long long)emitted, 0, "... none reported accepted");
	ok(seen[BUNDLE_HEADER] > 0 && seen[BUNDLE_TRAILER] > 0 &&
		seen[BUNDLE_SIGNATURE] > 0 && seen[BUNDLE_DIGEST] > 0,
	    "... caught by header, trailer, signature and digest checks");
	for (int c = 0; c < BUNDLE_NCHECKS; c++)
		if (seen[c])
			diag("%-11s %d", bundle_check_name(c), seen[c]);
	bundle_verifier_free(v);
	buf_free(&t);
}

/* Adds the group order L to S (little endian) in a signature. */
static void
add_l(unsigned char sig[64])
{
	static const unsigned char l[32] = { 0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63,
		0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10 };
	unsigned carry = 0;

	for (int i = 0; i < 32; i++) {
		carry += sig[32 + i] + l[i];
		sig[32 + i] = (unsigned char)carry;
		carry >>= 8;
	}
}

/* Expects the bundle in t to be refused by check, e.msg holding text. */
#define REFUSED(what, check, text) \
	do { \
		int rc_ = verify_mem(v, t.data, t.len, &r, NULL, &e); \
		is_int(rc_, EXIT_REFUSED, what); \
		is_int(r.failed, check, "... by the %s check", \
		    bundle_check_name(check)); \
		ok(strstr(e.msg, text) != NULL, "... message: %s", e.msg); \
	} while (0)

static void
test_lines(struct keys_secret *nl, const struct buf *bundle)
{
	struct bundle_verifier *v = verifier("FR-DGSI", NULL, 0);
	struct ierr e = IERR_INIT;
	struct bundle_report r;
	struct buf t = BUF_INIT, l1 = BUF_INIT, l2 = BUF_INIT, l3 = BUF_INIT,
		   l4 = BUF_INIT, msg = BUF_INIT;
	unsigned char sig[64];
	char sig64[BASE64_ENCODED_LEN(64) + 1], *p;
	size_t n;

	get_line(bundle, 1, &l1);
	get_line(bundle, 2, &l2);
	get_line(bundle, 3, &l3);
	get_line(bundle, 4, &l4);

	buf_reset(&t);
	buf_printf(&t, "%s\n%s\n%s\n%s\n", l1.data, l3.data, l2.data, l4.data);
	REFUSED("records reordered", BUNDLE_DIGEST, "b:4: digest: ");
	buf_reset(&t);
	buf_printf(&t, "%s\n%s\n%s\n", l1.data, l2.data, l4.data);
	REFUSED("a record dropped", BUNDLE_DIGEST, "b:3: digest:");
	buf_reset(&t);
	buf_printf(&t, "%s\n%s\n%s\n%s\n%s\n", l1.data, l2.data, l2.data,
	    l3.data, l4.data);
	REFUSED("a record duplicated", BUNDLE_DIGEST, "b:5: digest:");
	buf_reset(&t);
	buf_printf(&t, "%s\n%s\n%s\n", l1.data, l2.data, l3.data);
	REFUSED("trailer cut off", BUNDLE_TRAILER,
	    "b:3: trailer: the last "
	    "line is not a trailer");
	buf_reset(&t);
	buf_printf(&t, "%s\n%s\n%s\n%s", l1.data, l2.data, l3.data, l4.data);
	REFUSED("last newline cut off", BUNDLE_TRAILER,
	    "b:4: trailer: the "
	    "last line has no newline");
	buf_reset(&t);
	buf_printf(&t, "%s\n", l1.data);
	REFUSED("header only", BUNDLE_TRAILER, "b:2: trailer: missing");
	buf_reset(&t);
	REFUSED("empty file", BUNDLE_HEADER, "b:1: header: the file is empty");
	buf_reset(&t);
	buf_printf(&t, "%s\n%s\n%s\n%s\n%s\n", l1.data, l2.data, l3.data,
	    l4.data, l4.data);
	REFUSED("trailer twice", BUNDLE_DIGEST, "b:5: digest:");

	/* Header well formed. */
	buf_reset(&t);
	buf_printf(&t, "{\"a\":1,%s\n%s\n%s\n%s\n", l1.data + 1, l2.data,
	    l3.data, l4.data);
	REFUSED("unknown header member", BUNDLE_HEADER,
	    "b:1: header: unknown member \"a\"");
	p = strstr(l1.data, "\"intel_bundle\":1");
	p[15] = '2';
	buf_reset(&t);
	buf_printf(&t, "%s\n%s\n%s\n%s\n", l1.data, l2.data, l3.data, l4.data);
	p[15] = '1';
	REFUSED("bundle format 2", BUNDLE_HEADER,
	    "header: unsupported bundle format 2");
	buf_reset(&t);
	buf_printf(
	    &t, "{ %s\n%s\n%s\n%s\n", l1.data + 1, l2.data, l3.data, l4.data);
	REFUSED("header with a space", BUNDLE_HEADER,
	    "b:1: header: not canonical JSON");

	/* S + L: libgcrypt alone would accept it. */
	p = strstr(l4.data, "\"sig\":\"") + 7;
	base64_decode(p, strlen(p) - 2, sig, &n);
	add_l(sig);
	base64_encode(sig, 64, sig64);
	buf_reset(&t);
	buf_printf(&t, "%s\n%s\n%s\n%.*s%s\"}\n", l1.data, l2.data, l3.data,
	    (int)(p - l4.data), l4.data, sig64);
	REFUSED("signature with S + L", BUNDLE_SIGNATURE, "b:4: signature: ");

	/* A trailer signed by another party's key. */
	p = strstr(l4.data, ",\"sig\":");
	buf_reset(&msg);
	buf_printf(&msg, "%.*s}", (int)(p - l4.data), l4.data);
	p = strstr(msg.data, "\"key\":\"") + 7;
	memcpy(p, keys_key_id(nl), 16);
	keys_sign(nl, msg.data, msg.len, sig, &e);
	base64_encode(sig, 64, sig64);
	msg.data[--msg.len] = '\0';
	buf_reset(&t);
	buf_printf(&t, "%s\n%s\n%s\n%s,\"sig\":\"%s\"}\n", l1.data, l2.data,
	    l3.data, msg.data, sig64);
	REFUSED("trailer signed by NL-KMAR", BUNDLE_KEY,
	    "b:4: key: key "
	    "3517dee737039ee4 belongs to NL-KMAR, not to the sender DE-BKA");

	bundle_verifier_free(v);
	buf_free(&t);
	buf_free(&l1);
	buf_free(&l2);
	buf_free(&l3);
	buf_free(&l4);
	buf_free(&msg);
}

/* Signs body (header and records, each with its newline) with k into
 * out, as a sender that does not use intel-sign would. */
static void
forge(struct keys_secret *k, const char *body, int nrec, struct buf *out)
{
	unsigned char d[64], sig[64];
	char hex[129], sig64[BASE64_ENCODED_LEN(64) + 1];
	struct ierr e = IERR_INIT;
	struct buf msg = BUF_INIT;

	crypto_sha512(body, strlen(body), d);
	crypto_hex(d, 64, hex);
	buf_printf(&msg,
	    "{\"intel_signature\":1,\"key\":\"%s\",\"records\":"
	    "%d,\"sha512\":\"%s\"}",
	    keys_key_id(k), nrec, hex);
	keys_sign(k, msg.data, msg.len, sig, &e);
	base64_encode(sig, 64, sig64);
	msg.data[--msg.len] = '\0';
	buf_reset(out);
	buf_printf(out, "%s%s,\"sig\":\"%s\"}\n", body, msg.data, sig64);
	buf_free(&msg);
}

/* Bundles a sender signed properly but whose records are wrong. */
static void
test_signed_but_wrong(struct keys_secret *de, const struct buf *bundle)
{
	struct bundle_verifier *v = verifier("FR-DGSI", NULL, 0);
	struct ierr e = IERR_INIT;
	struct bundle_report r;
	struct buf t = BUF_INIT, body = BUF_INIT, l1 = BUF_INIT, l2 = BUF_INIT;
	int rc;

	get_line(bundle, 1, &l1);
	get_line(bundle, 2, &l2);

	buf_printf(&body, "%s\n%s\n", l1.data, l2.data);
	forge(de, body.data, 1, &t);
	rc = verify_mem(v, t.data, t.len, &r, NULL, &e);
	is_int(rc, 0, "a bundle made by hand (not intel-sign) verifies");

	buf_reset(&body);
	buf_printf(&body, "%s\n{ %s\n", l1.data, l2.data + 1);
	forge(de, body.data, 1, &t);
	REFUSED("signed record with a space", BUNDLE_RECORDS,
	    "b:2: records: record not canonical");

	buf_reset(&body);
	buf_printf(&body, "%s\n%s\n{\"x\n", l1.data, l2.data);
	forge(de, body.data, 2, &t);
	REFUSED("signed malformed record", BUNDLE_RECORDS,
	    "b:3: records: malformed record");

	buf_reset(&body);
	buf_printf(&body, "%s\n%s\n%s\n", l1.data, l2.data,
	    "{\"classification\":\"RESTRICTED\",\"created\":"
	    "\"2026-05-01T10:00:00Z\",\"data\":{\"subject\":{\"name\":"
	    "\"Ben Weber\",\"passport\":\"P1234567\"}},\"id\":\"x\","
	    "\"origin\":\"DE-BKA\",\"purposes\":[\"smuggling\"],"
	    "\"type\":\"person\",\"version\":1}");
	forge(de, body.data, 2, &t);
	REFUSED("signed non-compliant record", BUNDLE_COMPLIANCE,
	    "b:3: compliance: record not allowed from DE-BKA to FR-DGSI: "
	    "subject.passport: pseudonymise would change it");
	ok(strstr(e.msg, "P1234567") == NULL, "... never the value");

	/* Signature before records: a bad record under a forged trailer
	 * reports the signature. */
	t.data[t.len - 10] = t.data[t.len - 10] == 'A' ? 'B' : 'A';
	REFUSED("non-compliant and forged", BUNDLE_SIGNATURE, "b:4: signature");

	/* created outside the agreement's window. */
	buf_reset(&body);
	buf_printf(&body, "%s\n%s\n", l1.data, l2.data);
	memcpy(strstr(body.data, "2026-11-26T05:00:00Z"),
	    "2025-12-31T23:59:59Z", 20);
	forge(de, body.data, 1, &t);
	REFUSED("created before the window", BUNDLE_WINDOW,
	    "b:1: window: "
	    "created 2025-12-31T23:59:59Z lies outside the agreement's "
	    "validity, 2026-01-01T00:00:00Z to 2027-12-31T23:59:59Z");

	bundle_verifier_free(v);
	buf_free(&t);
	buf_free(&body);
	buf_free(&l1);
	buf_free(&l2);
}

static void
test_sign_refusals(struct keys_secret *de)
{
	struct ierr e = IERR_INIT;
	struct bundle_sign *s = NULL;
	struct keys_secret *k = NULL;
	struct buf b = BUF_INIT, name = BUF_INIT;
	int rc;

	rc = sign_file(de, "FR-DGSI", "bundle/noncompliant.ndjson", 1, &b, &e);
	is_int(rc, EXIT_REFUSED, "non-compliant record refused");
	ok(strstr(e.msg, "subject.passport: pseudonymise would change it") !=
		NULL,
	    "... naming the path: %s", e.msg);
	ok(strstr(e.msg, "P1234567") == NULL, "... never the value");

	rc = bundle_sign_new(ag, de, "XX-NONE", NOW, &s, &e);
	is_int(rc, EXIT_CONFIG, "recipient not a party: 78");
	rc = bundle_sign_new(ag, de, "DE-BKA", NOW, &s, &e);
	is_int(rc, EXIT_CONFIG, "no rule for DE-BKA -> DE-BKA: 78");

	buf_printf(&name, "%s/stranger", tmpdir);
	keys_generate("DE-BKA", NULL, name.data, &e);
	buf_addc(&name, '.');
	buf_adds(&name, "key");
	if (keys_load_secret(name.data, NULL, &k, &e) != 0)
		diag("%s", e.msg);
	rc = bundle_sign_new(ag, k, "FR-DGSI", NOW, &s, &e);
	is_int(rc, EXIT_CONFIG, "key not in the agreement: 78");
	ok(strstr(e.msg, "is not among the keys of DE-BKA") != NULL,
	    "... message: %s", e.msg);
	keys_free_secret(k);
	buf_free(&b);
	buf_free(&name);
}

/* The check names, in the order of enum bundle_check (SPEC 7's). */
static void
test_check_names(void)
{
	static const char *const want[] = { "seal", "header", "trailer",
		"agreement", "sender", "key", "signature", "digest", "count",
		"recipient", "window", "records", "compliance", "replay" };
	struct buf got = BUF_INIT, exp = BUF_INIT;

	is_int(BUNDLE_NCHECKS, sizeof want / sizeof want[0], "%d checks",
	    BUNDLE_NCHECKS);
	for (int c = 0; c < BUNDLE_NCHECKS; c++) {
		buf_printf(&got, "%s ", bundle_check_name(c));
		buf_printf(&exp, "%s ", want[c]);
	}
	is_str(got.data, exp.data, "check names in SPEC 7's order");
	is_str(bundle_check_name(BUNDLE_NCHECKS), "?", "no such check: ?");
	buf_free(&got);
	buf_free(&exp);
}

/* The accepted counter of (ag, DE-BKA, FR-DGSI) as stored, read without
 * its lock; STATE_NONE when there is none. */
static long long
stored(const char *dir)
{
	char *path = state_path(
	    dir, STATE_ACCEPTED, ag->id, "DE-BKA", "FR-DGSI");
	long long v = STATE_NONE;
	FILE *f = fopen(path, "r");

	if (f != NULL) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -2;
		fclose(f);
	}
	free(path);
	return v;
}

static void
test_state(struct keys_secret *de)
{
	struct ierr e = IERR_INIT;
	struct buf dir = BUF_INIT, b = BUF_INIT;
	struct bundle_verifier *v;
	struct bundle_report r;
	struct state *s;
	int64_t seq = 0;
	char *path;
	int rc;

	buf_printf(&dir, "%s/state", tmpdir);
	state_next_seq(dir.data, "ag", "A", "B", -1, &seq, &e);
	is_int(seq, 1, "first counted seq is 1");
	state_next_seq(dir.data, "ag", "A", "B", -1, &seq, &e);
	is_int(seq, 2, "then 2");
	state_next_seq(dir.data, "ag", "A", "C", -1, &seq, &e);
	is_int(seq, 1, "another pair has its own counter");
	state_next_seq(dir.data, "ag", "A", "B", 10, &seq, &e);
	is_int(seq, 10, "a fixed seq is used");
	state_next_seq(dir.data, "ag", "A", "B", -1, &seq, &e);
	is_int(seq, 11, "... and raises the counter");
	state_next_seq(dir.data, "ag", "A", "B", 3, &seq, &e);
	state_next_seq(dir.data, "ag", "A", "B", -1, &seq, &e);
	is_int(seq, 12, "a lower fixed seq does not lower it");

	path = state_path("/d", STATE_ACCEPTED, "a/b", "../x", "y z");
	is_str(path, "/d/a%2Fb,..%2Fx,y%20z.accepted",
	    "names are escaped into the folder");
	free(path);

	/* A damaged counter is an error, not a fresh start. */
	path = state_path(dir.data, STATE_SENT, "ag", "A", "B");
	FILE *f = fopen(path, "w");
	fputs("12x\n", f);
	fclose(f);
	rc = state_next_seq(dir.data, "ag", "A", "B", -1, &seq, &e);
	is_int(rc, EXIT_DATAERR, "damaged counter: 65");
	free(path);

	/* Concurrent counters never repeat. */
	for (int i = 0; i < 8; i++)
		if (fork() == 0) {
			int64_t got;

			for (int j = 0; j < 20; j++)
				if (state_next_seq(dir.data, "ag", "P", "Q", -1,
					&got, &e) != 0)
					_exit(1);
			_exit(0);
		}
	for (int i = 0; i < 8; i++)
		wait(NULL);
	state_next_seq(dir.data, "ag", "P", "Q", -1, &seq, &e);
	is_int(seq, 161, "8 processes x 20 increments, then 161");

	/* Replay through the verifier: the seqs are recorded only by
	 * bundle_verifier_commit(), and one accepted earlier in the run
	 * counts as accepted. */
	v = verifier("FR-DGSI", dir.data, 1);
	sign_file(de, "FR-DGSI", "bundle/records.ndjson", 5, &b, &e);
	rc = verify_mem(v, b.data, b.len, &r, NULL, &e);
	is_int(rc, 0, "seq 5 accepted");
	is_int(stored(dir.data), STATE_NONE, "... not recorded before commit");
	rc = verify_mem(v, b.data, b.len, &r, NULL, &e);
	is_int(rc, EXIT_REFUSED, "the same bundle again in the run: replay");
	is_int(r.failed, BUNDLE_REPLAY, "... by the replay check");
	sign_file(de, "FR-DGSI", "bundle/records.ndjson", 4, &b, &e);
	rc = verify_mem(v, b.data, b.len, &r, NULL, &e);
	is_int(r.failed, BUNDLE_REPLAY, "a lower seq: replay");
	sign_file(de, "FR-DGSI", "bundle/records.ndjson", 6, &b, &e);
	rc = verify_mem(v, b.data, b.len, &r, NULL, &e);
	is_int(rc, 0, "seq 6 accepted");
	is_int(bundle_verifier_commit(v, &e), 0, "commit");
	is_int(stored(dir.data), 6, "the highest accepted seq is recorded");
	/* The counter is released: another holder gets it at once. */
	state_lock(
	    dir.data, STATE_ACCEPTED, ag->id, "DE-BKA", "FR-DGSI", &s, &e);
	is_int(state_value(s), 6, "... and unlocked");
	state_unlock(s);
	sign_file(de, "FR-DGSI", "bundle/records.ndjson", 8, &b, &e);
	rc = verify_mem(v, b.data, b.len, &r, NULL, &e);
	is_int(rc, 0, "after a commit the verifier goes on: seq 8");
	bundle_verifier_free(v);
	is_int(stored(dir.data), 6, "freed without commit: nothing recorded");

	/* A failed write: the same bundle is accepted by the next run. */
	v = verifier("FR-DGSI", dir.data, 1);
	rc = verify_mem(v, b.data, b.len, &r, NULL, &e);
	is_int(rc, 0, "seq 8 accepted again by the next run");
	is_int(bundle_verifier_commit(v, &e), 0, "... and committed");
	is_int(stored(dir.data), 8, "... recorded");
	/* A commit with nothing accepted never lowers the counter. */
	sign_file(de, "FR-DGSI", "bundle/records.ndjson", 7, &b, &e);
	rc = verify_mem(v, b.data, b.len, &r, NULL, &e);
	is_int(rc, EXIT_REFUSED, "seq 7 below 8: replay");
	is_int(bundle_verifier_commit(v, &e), 0, "commit after a refusal");
	is_int(stored(dir.data), 8, "... the counter only rises");
	bundle_verifier_free(v);

	v = verifier("FR-DGSI", dir.data, 0);
	sign_file(de, "FR-DGSI", "bundle/records.ndjson", 9, &b, &e);
	verify_mem(v, b.data, b.len, &r, NULL, &e);
	ok(r.accepted, "without record_seq (--report): accepted");
	verify_mem(v, b.data, b.len, &r, NULL, &e);
	ok(!r.accepted, "... twice in one run: refused");
	is_int(bundle_verifier_commit(v, &e), 0, "... commit");
	is_int(stored(dir.data), 8, "... nothing is recorded");
	bundle_verifier_free(v);
	buf_free(&dir);
	buf_free(&b);
}

/* ---- a property: generated bundles ---- */

/* One record that complies with the DE-BKA -> FR-DGSI rule as it is. */
static void
gen_record(int i, struct buf *b)
{
	static const char *const names[] = { "Jan Kowalski", "Amira Haddad",
		"Łukasz Nowak", "Zoë Müller", "O'Brien, Sean" };
	char pn[33];

	for (int k = 0; k < 32; k++)
		pn[k] = "0123456789abcdef"[util_rnd(16)];
	pn[32] = '\0';
	buf_reset(b);
	if (util_rnd(2)) {
		buf_printf(b,
		    "{\"classification\":\"%s\",\"created\":"
		    "\"2026-11-0%uT10:00:00Z\",\"data\":{\"subject\":{\"dob\":"
		    "\"19%02u\",\"name\":\"%s\",\"passport\":\"pn:%s\","
		    "\"phone\":\"********%04u\"}},\"id\":\"gen-%d\","
		    "\"origin\":\"DE-BKA\",\"purposes\":[\"smuggling\"],"
		    "\"type\":\"person\",\"version\":%u}",
		    util_rnd(2) ? "RESTRICTED" : "CONFIDENTIAL",
		    1 + util_rnd(9), 50 + util_rnd(50), names[util_rnd(5)], pn,
		    util_rnd(10000), i, 1 + util_rnd(3));
	} else {
		buf_printf(b,
		    "{\"classification\":\"RESTRICTED\",\"created\":"
		    "\"2026-11-01T10:00:00Z\",\"data\":{\"location\":{\"lat\":"
		    "48.%02u,\"lon\":7.%02u},\"vehicles\":[{\"plate\":"
		    "\"pn:%s\"}]},\"id\":\"gen-%d\",\"origin\":\"DE-BKA\","
		    "\"purposes\":[\"trafficking\"],\"type\":\"vehicle\","
		    "\"version\":1}",
		    10 + util_rnd(89), 10 + util_rnd(89), pn, i);
	}
}

/* Signs n generated records into b. */
static int
gen_bundle(struct keys_secret *k, int n, struct buf *b, struct ierr *e)
{
	struct bundle_sign *s;
	struct bundle_info info;
	struct buf rec = BUF_INIT;
	char *mem = NULL;
	size_t memlen = 0;
	FILE *out;
	int rc;

	if ((rc = bundle_sign_new(ag, k, "FR-DGSI", NOW, &s, e)) != 0)
		return rc;
	for (int i = 0; i < n && rc == 0; i++) {
		gen_record(i, &rec);
		rc = bundle_sign_add(s, rec.data, rec.len, e);
	}
	if (rc == 0) {
		out = open_memstream(&mem, &memlen);
		rc = bundle_sign_write(
		    s, 1 + (int64_t)util_rnd(1000), out, &info, e);
		fclose(out);
		buf_reset(b);
		buf_add(b, mem, memlen);
		free(mem);
	}
	bundle_sign_free(s);
	buf_free(&rec);
	return rc;
}

/* The bundle's lines, each with its newline, as offsets into b. */
static size_t
split_lines(const struct buf *b, size_t *start, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < b->len && n < max; i++)
		if (i == 0 || b->data[i - 1] == '\n')
			start[n++] = i;
	start[n] = b->len;
	return n;
}

/* Counts a changed bundle that verifies or emits anything. */
static void
expect_refused(struct bundle_verifier *v, const struct buf *t,
    unsigned long *tried, unsigned long *wrong)
{
	struct ierr e = IERR_INIT;
	struct bundle_report r;
	struct buf out = BUF_INIT;

	(*tried)++;
	if (verify_mem(v, t->data, t->len, &r, &out, &e) == 0 || r.accepted ||
	    out.len > 0)
		(*wrong)++;
	buf_free(&out);
}

/*
 * For generated bundles of 0 to 5 records: each verifies as signed, and
 * every single-byte change, every dropped, duplicated or swapped line is
 * refused with no record written.
 */
static void
test_property(struct keys_secret *de)
{
	struct bundle_verifier *v = verifier("FR-DGSI", NULL, 1);
	struct buf b = BUF_INIT, t = BUF_INIT, out = BUF_INIT;
	struct ierr e = IERR_INIT;
	struct bundle_report r;
	unsigned long tried = 0, wrong = 0, good = 0, made = 0;
	const char *vg = getenv("INTEL_VALGRIND");
	size_t step = vg != NULL && *vg != '\0' ? 29 : 1, st[16], n;

	for (int round = 0; round < 6; round++) {
		if (gen_bundle(de, round, &b, &e) != 0) {
			diag("generating: %s", e.msg);
			continue;
		}
		made++;
		if (verify_mem(v, b.data, b.len, &r, &out, &e) == 0 &&
		    (out.len > 0) == (round > 0))
			good++;
		for (size_t i = round % step; i < b.len; i += step) {
			buf_reset(&t);
			buf_add(&t, b.data, b.len);
			t.data[i] = (char)(t.data[i] ^ (1 << util_rnd(8)));
			expect_refused(v, &t, &tried, &wrong);
		}
		n = split_lines(&b, st, 15);
		for (size_t i = 0; i < n; i++) {
			/* line i dropped */
			buf_reset(&t);
			buf_add(&t, b.data, st[i]);
			buf_add(&t, b.data + st[i + 1], b.len - st[i + 1]);
			expect_refused(v, &t, &tried, &wrong);
			/* line i twice */
			buf_reset(&t);
			buf_add(&t, b.data, st[i + 1]);
			buf_add(&t, b.data + st[i], b.len - st[i]);
			expect_refused(v, &t, &tried, &wrong);
			/* lines i and i + 1 swapped */
			if (i + 1 < n) {
				buf_reset(&t);
				buf_add(&t, b.data, st[i]);
				buf_add(&t, b.data + st[i + 1],
				    st[i + 2] - st[i + 1]);
				buf_add(&t, b.data + st[i], st[i + 1] - st[i]);
				buf_add(
				    &t, b.data + st[i + 2], b.len - st[i + 2]);
				if (memcmp(t.data, b.data, b.len) != 0)
					expect_refused(v, &t, &tried, &wrong);
			}
		}
	}
	is_int((long long)good, (long long)made,
	    "%lu generated bundles of "
	    "0 to 5 records verify as signed",
	    made);
	is_int((long long)wrong, 0,
	    "%lu changed copies (bytes flipped; lines "
	    "dropped, doubled, swapped) all refused, nothing written",
	    tried);
	bundle_verifier_free(v);
	buf_free(&b);
	buf_free(&t);
	buf_free(&out);
}

/* ---- sealed bundles (SPEC 6a) ---- */

/* ok() for a message that matches an extended regular expression. */
static int ATTR_PRINTF(3, 4)
    like(const char *got, const char *re, const char *fmt, ...)
{
	char name[1024];
	va_list ap;
	regex_t rx;
	int m;

	va_start(ap, fmt);
	vsnprintf(name, sizeof name, fmt, ap);
	va_end(ap);
	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		abort();
	m = regexec(&rx, got, 0, NULL, 0) == 0;
	regfree(&rx);
	if (!m)
		diag("'%s' does not match /%s/", got, re);
	return ok(m, "%s", name);
}

static struct bundle_verifier *
sverifier(const char *to, const unsigned char *const *ids,
    const char *const *names, size_t n)
{
	struct bundle_verify_opts o = { ag, to, NOW, NULL, 1, jobs, NULL, ids,
		names, n };
	struct bundle_verifier *v = NULL;
	struct ierr e = IERR_INIT;

	if (bundle_verifier_new(&o, &v, &e) != 0)
		abort();
	return v;
}

static int
buf_sink(void *arg, const void *p, size_t n, struct ierr *e)
{
	(void)e;
	buf_add(arg, p, n);
	return 0;
}

/* Seals the bytes of in to the n recipients into out. */
static void
seal(const struct buf *in, const unsigned char (*pubs)[32], size_t n,
    struct buf *out)
{
	struct ierr e = IERR_INIT;
	struct age_writer *w;

	buf_reset(out);
	if ((w = age_writer_new(pubs, n, buf_sink, out, &e)) == NULL ||
	    age_writer_write(w, in->data, in->len, &e) != 0 ||
	    age_writer_finish(w, &e) != 0)
		abort();
	age_writer_free(w);
}

/* 1 when an unlinked spool file of this process holds needle. */
static int
spool_holds(const char *needle)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char link[512], path[300];
	int found = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && !found) {
		struct buf b = BUF_INIT;
		ssize_t n;
		int fd;

		snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
		if ((n = readlink(path, link, sizeof link - 1)) < 0)
			continue;
		link[n] = '\0';
		if (strstr(link, "intel-spool.") == NULL)
			continue;
		if ((fd = open(path, O_RDONLY)) < 0)
			continue;
		{
			char chunk[65536];
			ssize_t got;

			while ((got = read(fd, chunk, sizeof chunk)) > 0)
				buf_add(&b, chunk, (size_t)got);
		}
		close(fd);
		if (b.len > 0 &&
		    memmem(b.data, b.len, needle, strlen(needle)) != NULL)
			found = 1;
		buf_free(&b);
	}
	closedir(d);
	return found;
}

static void
test_sealed(struct keys_secret *de, struct keys_secret *nl)
{
	unsigned char *sec[2], pubs[2][32];
	const char *names[2] = { "old.key", "new.key" };
	const unsigned char *ids[2];
	struct bundle_verifier *v;
	struct bundle_report r;
	struct ierr e = IERR_INIT;
	struct buf plain = BUF_INIT, sealed = BUF_INIT, t = BUF_INIT;
	struct buf recs = BUF_INIT, want = BUF_INIT, other = BUF_INIT;
	size_t start, hdr_end, body, nchunks, bad = 0, tried = 0;
	int rc;

	for (int i = 0; i < 2; i++) {
		sec[i] = gcry_malloc_secure(32);
		crypto_x25519_keygen(sec[i], pubs[i]);
		ids[i] = sec[i];
	}
	/* A bundle of three chunks and more. */
	if (gen_bundle(de, 700, &plain, &e) != 0) {
		diag("%s", e.msg);
		abort();
	}
	ok(plain.len > 2 * AGE_CHUNK, "a bundle of %zu bytes (%zu chunks)",
	    plain.len, plain.len / AGE_CHUNK + 1);
	seal(&plain, (const unsigned char(*)[32]) & pubs[1], 1, &sealed);

	/* The plain bundle's records, to compare with. */
	v = verifier("FR-DGSI", NULL, 1);
	rc = verify_mem(v, plain.data, plain.len, &r, &want, &e);
	ok(rc == 0 && !r.sealed, "the plain bundle verifies");
	rc = verify_mem(v, plain.data, plain.len, &r, NULL, &e);
	ok(rc == 0 && spool_holds("\"origin\":\"DE-BKA\""),
	    "... its spool holds its records (the probe works)");
	is_int(
	    r.outcome[BUNDLE_SEAL], BUNDLE_NOT_CHECKED, "... seal not checked");
	bundle_verifier_free(v);

	/* A rotation: the second key opens it. */
	v = sverifier("FR-DGSI", ids, names, 2);
	rc = verify_mem(v, sealed.data, sealed.len, &r, NULL, &e);
	ok(rc == 0 && r.accepted && r.sealed, "sealed: accepted");
	if (rc != 0)
		diag("%s", e.msg);
	is_int(r.outcome[BUNDLE_SEAL], BUNDLE_PASSED, "... seal passed");
	is_str(r.note[BUNDLE_SEAL], "age, 1 stanza, opened with new.key",
	    "... the second key opened it");
	ok(strcmp(r.id, "") != 0 && r.lines_read == 700,
	    "... the inner bundle's values in the report");
	ok(!spool_holds("\"origin\":\"DE-BKA\""),
	    "... the spool holds no plain text");
	{
		char *mem = NULL;
		size_t memlen = 0;
		FILE *f = open_memstream(&mem, &memlen);

		rc = bundle_verify_emit(v, f, &e);
		fclose(f);
		buf_reset(&recs);
		buf_add(&recs, mem, memlen);
		free(mem);
	}
	ok(rc == 0 && recs.len == want.len &&
		memcmp(recs.data, want.data, want.len) == 0,
	    "... the same records as the plain bundle's");
	{
		/* Its sha512 is the trailer's. */
		const char *tr = strrchr(plain.data, '{');
		ok(tr != NULL && strstr(tr, r.sha512) != NULL,
		    "... its sha512 is the trailer's");
	}
	/* Mixed: plain, then sealed, then plain again. */
	ok(verify_mem(v, plain.data, plain.len, &r, &recs, &e) == 0 &&
		recs.len == want.len && !r.sealed,
	    "... then a plain one");
	ok(verify_mem(v, sealed.data, sealed.len, &r, &recs, &e) == 0 &&
		recs.len == want.len && r.sealed,
	    "... and a sealed one again");
	bundle_verifier_free(v);

	/* No stanza for our key. */
	v = sverifier("FR-DGSI", ids, names, 1);
	rc = verify_mem(v, sealed.data, sealed.len, &r, NULL, &e);
	is_int(rc, EXIT_REFUSED, "sealed to another key: refused");
	is_int(r.outcome[BUNDLE_SEAL], BUNDLE_FAILED, "... by the seal check");
	is_int(r.outcome[BUNDLE_HEADER], BUNDLE_NOT_REACHED,
	    "... header not reached");
	like(e.msg, ":1: seal: no stanza for this key \\(1 stanza\\)$",
	    "... message: %s", e.msg);
	bundle_verifier_free(v);

	/* No key at all: a usage error. */
	v = sverifier("FR-DGSI", NULL, NULL, 0);
	rc = verify_mem(v, sealed.data, sealed.len, &r, NULL, &e);
	is_int(rc, EXIT_USAGE, "sealed, no key: 64");
	like(e.msg, "/b: a sealed bundle, and no key to open it$",
	    "... message: %s", e.msg);
	is_int(r.outcome[BUNDLE_SEAL], BUNDLE_FAILED, "... seal failed");
	ok(verify_mem(v, plain.data, plain.len, &r, NULL, &e) == 0,
	    "... a plain one still verifies");
	bundle_verifier_free(v);

	/* Every one-byte change: each byte of the header (version line,
	 * stanzas, MAC) and the payload nonce; bytes at the start, middle
	 * and end (the tag) of every chunk. */
	v = sverifier("FR-DGSI", ids, names, 2);
	hdr_end = (size_t)((char *)memmem(sealed.data, sealed.len, "\n---", 4) -
	    sealed.data);
	hdr_end = (size_t)((char *)memchr(sealed.data + hdr_end + 1, '\n',
			       sealed.len - hdr_end - 1) -
		      sealed.data) +
	    1;
	body = hdr_end + 16;
	nchunks = (sealed.len - body + AGE_CHUNK + 15) / (AGE_CHUNK + 16);
	ok(nchunks >= 3, "%zu chunks after a header of %zu bytes", nchunks,
	    hdr_end);
	for (size_t i = 0; i < sealed.len; i++) {
		size_t off = i < body ? 0 : (i - body) % (AGE_CHUNK + 16);

		if (i >= body && off > 8 && off < AGE_CHUNK + 8 &&
		    off != AGE_CHUNK / 2 && i < sealed.len - 24)
			continue;
		buf_reset(&t);
		buf_add(&t, sealed.data, sealed.len);
		t.data[i] ^= 1 << (i % 8);
		tried++;
		buf_reset(&recs);
		rc = verify_mem(v, t.data, t.len, &r, &recs, &e);
		/* A changed first line is no longer age's: a plain bundle
		 * whose header is not JSON. */
		if (rc != EXIT_REFUSED || r.accepted || recs.len > 0 ||
		    r.failed !=
			(i < strlen(AGE_VERSION_LINE) + 1 ? BUNDLE_HEADER
							  : BUNDLE_SEAL)) {
			if (bad++ < 3)
				diag("byte %zu: %d %s", i, rc, e.msg);
		}
	}
	is_int(bad, 0,
	    "%zu one-byte changes all refused (by the seal check "
	    "past the first line), nothing written",
	    tried);
	/* The messages name the step. */
	buf_reset(&t);
	buf_add(&t, sealed.data, sealed.len);
	t.data[hdr_end - 3] ^= 1;
	verify_mem(v, t.data, t.len, &r, NULL, &e);
	like(e.msg, "seal: .*header MAC", "MAC changed: %s", e.msg);
	t.data[hdr_end - 3] ^= 1;
	t.data[body + AGE_CHUNK + 16 + 100] ^= 1;
	verify_mem(v, t.data, t.len, &r, NULL, &e);
	like(e.msg, "seal: .*chunk 2", "second chunk changed: %s", e.msg);
	is_int(r.outcome[BUNDLE_HEADER], BUNDLE_NOT_REACHED,
	    "... header not reached");

	/* Truncation at every chunk boundary, and a byte short of it. */
	bad = tried = 0;
	for (size_t c = 0; c <= nchunks; c++) {
		size_t cut = body + c * (AGE_CHUNK + 16);

		for (size_t d = 0; d < 2; d++) {
			if (cut - d >= sealed.len)
				continue;
			tried++;
			rc = verify_mem(v, sealed.data, cut - d, &r, &recs, &e);
			if (rc != EXIT_REFUSED || r.accepted ||
			    r.outcome[BUNDLE_SEAL] != BUNDLE_FAILED) {
				if (bad++ < 3)
					diag("cut at %zu: %d %s", cut - d, rc,
					    e.msg);
			}
		}
	}
	for (size_t cut = 0; cut < body; cut += 7) {
		tried++;
		rc = verify_mem(v, sealed.data, cut, &r, &recs, &e);
		if (rc != EXIT_REFUSED || r.accepted) {
			if (bad++ < 3)
				diag("cut at %zu: %d %s", cut, rc, e.msg);
		}
	}
	is_int(bad, 0, "%zu truncations refused", tried);
	start = body + (nchunks - 1) * (AGE_CHUNK + 16);
	verify_mem(v, sealed.data, start, &r, NULL, &e);
	like(e.msg, "seal: .*truncated", "cut after chunk %zu: %s", nchunks - 1,
	    e.msg);
	/* A byte more: the last chunk no longer authenticates. */
	buf_reset(&t);
	buf_add(&t, sealed.data, sealed.len);
	buf_addc(&t, '\n');
	rc = verify_mem(v, t.data, t.len, &r, &recs, &e);
	is_int(rc, EXIT_REFUSED, "a byte after the last chunk: refused");
	like(e.msg, "seal: chunk [0-9]+: authentication failed",
	    "... message: %s", e.msg);
	/* Trailing data after a full last chunk: a bundle of exactly two
	 * chunks' bytes (its last record padded to fit). */
	{
		struct buf exact = BUF_INIT, full = BUF_INIT;

		buf_add(&exact, plain.data, 2 * AGE_CHUNK);
		seal(&exact, (const unsigned char(*)[32]) & pubs[0], 1, &full);
		buf_adds(&full, "x");
		rc = verify_mem(v, full.data, full.len, &r, &recs, &e);
		is_int(rc, EXIT_REFUSED,
		    "data after a full last chunk: "
		    "refused");
		like(e.msg, "seal: trailing data", "... message: %s", e.msg);
		buf_free(&exact);
		buf_free(&full);
	}
	/* The armored form. */
	buf_reset(&t);
	buf_adds(&t,
	    "-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n"
	    "-----END AGE ENCRYPTED FILE-----\n");
	rc = verify_mem(v, t.data, t.len, &r, &recs, &e);
	is_int(rc, EXIT_REFUSED, "armored: refused");
	like(e.msg, "seal: .*ASCII-armored", "... message: %s", e.msg);

	/* A bundle for NL-KMAR, sealed to our (FR-DGSI's) key: the inner to
	 * is not the party of the key that opened it. */
	{
		struct bundle_sign *bs;
		struct bundle_info info;
		char *mem = NULL;
		size_t memlen = 0;
		FILE *f;
		struct buf rec = BUF_INIT;

		if (bundle_sign_new(ag, de, "NL-KMAR", NOW, &bs, &e) != 0)
			abort();
		buf_adds(&rec,
		    "{\"classification\":\"RESTRICTED\","
		    "\"created\":\"2026-11-01T10:00:00Z\",\"data\":"
		    "{\"vehicles\":[{\"plate\":\"pn:0123456789abcdef0123456789"
		    "abcdef\"}]},\"id\":\"v-1\",\"origin\":\"DE-BKA\","
		    "\"purposes\":[\"smuggling\"],\"type\":\"vehicle\","
		    "\"version\":1}");
		f = open_memstream(&mem, &memlen);
		if (bundle_sign_add(bs, rec.data, rec.len, &e) != 0 ||
		    bundle_sign_write(bs, 3, f, &info, &e) != 0)
			diag("%s", e.msg);
		fclose(f);
		buf_reset(&other);
		buf_add(&other, mem, memlen);
		free(mem);
		buf_free(&rec);
		bundle_sign_free(bs);
	}
	seal(&other, (const unsigned char(*)[32]) & pubs[0], 1, &t);
	buf_reset(&recs);
	rc = verify_mem(v, t.data, t.len, &r, &recs, &e);
	is_int(rc, EXIT_REFUSED, "a bundle for NL-KMAR sealed to us: refused");
	is_int(r.outcome[BUNDLE_SEAL], BUNDLE_PASSED, "... it opened");
	is_int(r.failed, BUNDLE_RECIPIENT, "... by the recipient check");
	like(e.msg,
	    "recipient: the sealed bundle is for NL-KMAR, but it was "
	    "opened with a key of FR-DGSI",
	    "... message: %s", e.msg);
	ok(recs.len == 0, "... nothing written");
	bundle_verifier_free(v);
	(void)nl;

	/* Under seal: required, a plain bundle is refused; a sealed one of
	 * the same bytes is accepted. */
	{
		struct agreement *plain_ag = ag, *req = NULL;
		char *path = fixture("agreements/trilateral-sealed.yaml");

		if (agreement_load(path, &req, &e) != 0) {
			diag("%s", e.msg);
			abort();
		}
		free(path);
		ag = req;
		v = sverifier("FR-DGSI", ids, names, 2);
		buf_reset(&recs);
		rc = verify_mem(v, plain.data, plain.len, &r, &recs, &e);
		is_int(rc, EXIT_REFUSED,
		    "seal: required, a plain bundle: "
		    "refused");
		is_int(r.failed, BUNDLE_SEAL, "... by the seal check");
		like(e.msg,
		    ":1: seal: a plain bundle, and the rule at line "
		    "[0-9]+ of .*trilateral-sealed.yaml requires sealed ones "
		    "\\(seal: required\\)$",
		    "... message: %s", e.msg);
		ok(recs.len == 0, "... nothing written");
		rc = verify_mem(v, sealed.data, sealed.len, &r, &recs, &e);
		ok(rc == 0 && recs.len == want.len,
		    "... the same bundle sealed: accepted");
		bundle_verifier_free(v);
		ag = plain_ag;
		agreement_free(req);
	}

	for (int i = 0; i < 2; i++) {
		secmem_wipe(sec[i], 32);
		gcry_free(sec[i]);
	}
	buf_free(&plain);
	buf_free(&sealed);
	buf_free(&t);
	buf_free(&recs);
	buf_free(&want);
	buf_free(&other);
}

int
main(void)
{
	struct ierr e = IERR_INIT;
	struct keys_secret *de, *nl;
	struct buf bundle = BUF_INIT;
	char *path;

	setenv("INTEL_KDF_TEST_FAST", "1", 1);
	jsonarena_init();
	srcdir = getenv("top_srcdir") ? getenv("top_srcdir") : ".";
	if (secmem_init(&e) != 0)
		return 99;
	tmpdir = util_tmpdir("test-bundle");
	path = fixture("agreements/trilateral.yaml");
	if (agreement_load(path, &ag, &e) != 0) {
		diag("%s", e.msg);
		return 99;
	}
	free(path);
	de = load_key("DE-BKA");
	nl = load_key("NL-KMAR");
	ok(de != NULL && nl != NULL, "fixture keys load");
	if (de == NULL || nl == NULL)
		return done_testing();

	test_roundtrip(de, &bundle);
	test_tamper(&bundle);
	test_property(de);
	test_lines(nl, &bundle);
	test_signed_but_wrong(de, &bundle);
	/* The same with four worker threads: the same results. */
	jobs = 4;
	diag("with 4 worker threads");
	test_lines(nl, &bundle);
	test_signed_but_wrong(de, &bundle);
	jobs = 1;
	test_sign_refusals(de);
	test_state(de);
	test_check_names();
	test_sealed(de, nl);

	keys_free_secret(de);
	keys_free_secret(nl);
	agreement_free(ag);
	buf_free(&bundle);
	return done_testing();
}
