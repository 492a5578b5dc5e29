/*
 * pack.h (SPEC 4): a raw object is split into envelope and data; the
 * command line fills only what the input lacks; created, version and id
 * have defaults; origin and type are required; an object with "data" is a
 * record already; with an agreement, classification and purposes are
 * checked against it.  (How a missing id is made is the id key's
 * business: here only that it is 32 hex digits, apart per record.)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agreement.h"
#include "buf.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "pack.h"
#include "secmem.h"
#include "tap.h"

#define NOW ((int64_t)1795669200) /* 2026-11-26T05:00:00Z */

static const char *const smuggling[] = { "smuggling" };

/* Packs the JSON text with o; the canonical record, or NULL with *rc and
 * e set. */
static char *
pack_text(const struct pack_opts *o, const char *text, int *rc, struct ierr *e)
{
	json_error_t jerr;
	json_t *obj = json_loads(text, JSON_DECODE_ANY, &jerr), *r = NULL;
	struct buf b = BUF_INIT;

	if (obj == NULL) {
		diag("bad JSON in the test: %s", jerr.text);
		abort();
	}
	err_clear(e);
	if ((*rc = pack_record(o, obj, &r, e)) != 0) {
		if (r != NULL)
			ok(0, "a refused object gives no record");
		return NULL;
	}
	if (jsonio_canon(&b, r, e) != 0)
		abort();
	json_decref(r);
	return b.data;
}

/* The value of member name in the canonical record text (a copy). */
static char *
member(const char *text, const char *name)
{
	json_t *r = json_loads(text, 0, NULL), *v;
	struct buf b = BUF_INIT;
	struct ierr e = IERR_INIT;

	if (r == NULL || (v = json_object_get(r, name)) == NULL) {
		json_decref(r);
		return NULL;
	}
	jsonio_canon(&b, v, &e);
	json_decref(r);
	return b.data;
}

static int
is_hex32(const char *s)
{
	size_t i;

	if (s == NULL || strlen(s) != 34 || s[0] != '"' || s[33] != '"')
		return 0;
	for (i = 1; i < 33; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static void
test_split(void)
{
	struct pack_opts o = {
		.origin = "DE-BKA",
		.type = "person",
		.classification = "RESTRICTED",
		.purposes = smuggling,
		.npurposes = 1,
		.now = NOW,
	};
	struct ierr e = IERR_INIT;
	char *got, *m;
	int rc;

	got = pack_text(&o,
	    "{\"id\":\"de-1\",\"name\":\"Anna\","
	    "\"subject\":{\"dob\":\"1991-02-03\"},\"expires\":"
	    "\"2027-01-01T00:00:00Z\"}",
	    &rc, &e);
	is_str(got,
	    "{\"classification\":\"RESTRICTED\",\"created\":"
	    "\"2026-11-26T05:00:00Z\",\"data\":{\"name\":\"Anna\",\"subject\":"
	    "{\"dob\":\"1991-02-03\"}},\"expires\":\"2027-01-01T00:00:00Z\","
	    "\"id\":\"de-1\",\"origin\":\"DE-BKA\",\"purposes\":"
	    "[\"smuggling\"],\"type\":\"person\",\"version\":1}",
	    "envelope members stay in the envelope, the rest goes to data; "
	    "the command line fills origin, type, classification and "
	    "purposes; created is now, version 1");
	free(got);

	got = pack_text(&o,
	    "{\"id\":\"fr-1\",\"origin\":\"FR-DGSI\","
	    "\"type\":\"vehicle\",\"classification\":\"SECRET\","
	    "\"purposes\":[\"trafficking\"],\"created\":"
	    "\"2026-01-02T03:04:05Z\",\"version\":4,\"plate\":\"AB-1\"}",
	    &rc, &e);
	is_str(got,
	    "{\"classification\":\"SECRET\",\"created\":"
	    "\"2026-01-02T03:04:05Z\",\"data\":{\"plate\":\"AB-1\"},\"id\":"
	    "\"fr-1\",\"origin\":\"FR-DGSI\",\"purposes\":[\"trafficking\"],"
	    "\"type\":\"vehicle\",\"version\":4}",
	    "what the input has wins over the command line");
	free(got);

	/* An object with "data" is taken as a record. */
	got = pack_text(&o,
	    "{\"id\":\"r\",\"data\":{\"origin\":\"inside\","
	    "\"version\":\"x\"}}",
	    &rc, &e);
	m = got != NULL ? member(got, "data") : NULL;
	is_str(m, "{\"origin\":\"inside\",\"version\":\"x\"}",
	    "an object "
	    "with data is a record: its data is not split again");
	free(m);
	m = got != NULL ? member(got, "origin") : NULL;
	is_str(m, "\"DE-BKA\"",
	    "... and the command line fills its "
	    "envelope");
	free(m);
	free(got);

	/* A record with a member outside the envelope is refused. */
	got = pack_text(
	    &o, "{\"id\":\"r\",\"data\":{},\"name\":\"x\"}", &rc, &e);
	ok(got == NULL && rc == EXIT_DATAERR,
	    "a record with a member "
	    "outside the envelope: EXIT_DATAERR");
	ok(strstr(e.msg, "name") != NULL, "... naming it: %s", e.msg);
	free(got);
}

static void
test_defaults_and_refusals(void)
{
	struct pack_opts bare = { .now = NOW };
	struct pack_opts o = {
		.origin = "DE-BKA", .type = "person", .now = NOW
	};
	struct ierr e = IERR_INIT;
	char *a, *b, *c, *ia, *ib, *ic;
	int rc;

	a = pack_text(&bare, "{\"name\":\"Anna\"}", &rc, &e);
	ok(a == NULL && rc == EXIT_DATAERR && strstr(e.msg, "origin") != NULL,
	    "no origin anywhere: EXIT_DATAERR, saying so: %s", e.msg);
	bare.origin = "DE-BKA";
	a = pack_text(&bare, "{\"name\":\"Anna\"}", &rc, &e);
	ok(a == NULL && rc == EXIT_DATAERR && strstr(e.msg, "type") != NULL,
	    "no type anywhere: EXIT_DATAERR, saying so: %s", e.msg);
	a = pack_text(&o, "[{\"name\":\"Anna\"}]", &rc, &e);
	ok(a == NULL && rc == EXIT_DATAERR,
	    "an array is not an object: "
	    "EXIT_DATAERR (%s)",
	    e.msg);
	a = pack_text(&o, "\"text\"", &rc, &e);
	ok(a == NULL && rc == EXIT_DATAERR, "nor is a string");
	a = pack_text(&o, "{\"name\":\"Anna\",\"version\":\"2\"}", &rc, &e);
	ok(a == NULL && rc == EXIT_DATAERR && strstr(e.msg, "version") != NULL,
	    "an envelope member of the wrong type: EXIT_DATAERR (%s)", e.msg);
	a = pack_text(
	    &o, "{\"name\":\"Anna\",\"created\":\"yesterday\"}", &rc, &e);
	ok(a == NULL && rc == EXIT_DATAERR,
	    "a created that is no time: "
	    "EXIT_DATAERR (%s)",
	    e.msg);

	/* A missing id: 32 hex digits, apart for apart data. */
	a = pack_text(&o, "{\"name\":\"Anna\"}", &rc, &e);
	b = pack_text(&o, "{\"name\":\"Berta\"}", &rc, &e);
	c = pack_text(&o, "{\"id\":\"own\",\"name\":\"Anna\"}", &rc, &e);
	ia = a ? member(a, "id") : NULL;
	ib = b ? member(b, "id") : NULL;
	ic = c ? member(c, "id") : NULL;
	ok(is_hex32(ia),
	    "a missing id is made: 32 lowercase hex digits "
	    "(%s)",
	    ia ? ia : "none");
	ok(is_hex32(ib) && strcmp(ia ? ia : "", ib) != 0,
	    "another record "
	    "gets another id");
	is_str(ic, "\"own\"", "an id given is kept");
	free(a);
	free(b);
	free(c);
	free(ia);
	free(ib);
	free(ic);
}

static void
test_agreement(void)
{
	const char *top = getenv("top_srcdir");
	struct agreement *ag = NULL;
	struct ierr e = IERR_INIT;
	struct buf path = BUF_INIT;
	struct pack_opts o = {
		.origin = "DE-BKA", .type = "person", .now = NOW
	};
	char *got;
	int rc;

	buf_printf(&path, "%s/tests/fixtures/agreements/trilateral.yaml",
	    top != NULL ? top : ".");
	if (!ok(agreement_load(path.data, &ag, &e) == 0,
		"the fixture "
		"agreement loads")) {
		diag("%s", e.msg);
		buf_free(&path);
		return;
	}
	o.agreement = ag;
	got = pack_text(&o,
	    "{\"id\":\"a\",\"classification\":\"SECRET\","
	    "\"purposes\":[\"smuggling\",\"terrorism\"]}",
	    &rc, &e);
	ok(got != NULL,
	    "a classification and purposes of the agreement "
	    "pass");
	free(got);
	got = pack_text(
	    &o, "{\"id\":\"a\",\"classification\":\"TOP SECRET\"}", &rc, &e);
	ok(got == NULL && rc == EXIT_DATAERR,
	    "a classification outside "
	    "its scale: EXIT_DATAERR");
	ok(strstr(e.msg, "TOP SECRET") != NULL &&
		strstr(e.msg, "de-fr-nl-border-2026") != NULL,
	    "... naming it and the "
	    "agreement: %s",
	    e.msg);
	got = pack_text(&o,
	    "{\"id\":\"a\",\"purposes\":[\"smuggling\","
	    "\"fishing\"]}",
	    &rc, &e);
	ok(got == NULL && rc == EXIT_DATAERR &&
		strstr(e.msg, "fishing") != NULL,
	    "a purpose outside it: EXIT_DATAERR, named: %s", e.msg);
	o.classification = "PUBLIC";
	got = pack_text(&o, "{\"id\":\"a\"}", &rc, &e);
	ok(got == NULL && rc == EXIT_DATAERR,
	    "a filled-in classification "
	    "is checked too");
	o.agreement = NULL;
	got = pack_text(&o, "{\"id\":\"a\"}", &rc, &e);
	ok(got != NULL, "without an agreement it is not checked");
	free(got);
	agreement_free(ag);
	buf_free(&path);
}

int
main(void)
{
	struct ierr e = IERR_INIT;

	secmem_init(&e);
	test_split();
	test_defaults_and_refusals();
	test_agreement();
	return done_testing();
}
