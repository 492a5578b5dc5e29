/*
 * hits.h (SPEC 8): a pseudonym in records of two or more origins is a
 * hit; one origin is none; paths are written as in agreements (arrays
 * transparent); a pseudonymised id counts with the path ""; tombstones
 * and strings that only look like pseudonyms do not count; the output is
 * sorted and each (origin, id, path) appears once.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "exitcodes.h"
#include "hits.h"
#include "tap.h"

#define PN1 "pn:11111111111111111111111111111111"
#define PN2 "pn:22222222222222222222222222222222"
#define PN3 "pn:33333333333333333333333333333333"
#define PN4 "pn:4444444444444444444444444444444a"

/* A record of origin with id and data (JSON text). */
static json_t *
rec(const char *origin, const char *id, const char *data, int withdrawn)
{
	json_error_t jerr;
	json_t *d = json_loads(data, 0, &jerr), *r;

	if (d == NULL) {
		diag("bad data in the test: %s", jerr.text);
		abort();
	}
	r = json_pack("{s:s, s:s, s:s, s:o, s:i}", "origin", origin, "id", id,
	    "type", "person", "data", d, "version", 1);
	if (withdrawn)
		json_object_set_new(r, "withdrawn", json_true());
	return r;
}

/* Both passes over recs (NULL-terminated), then the output. */
static char *
hits_of(json_t **recs, size_t *count, size_t *distinct, int *rc)
{
	struct ierr e = IERR_INIT;
	struct hits *h = hits_new();
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	for (json_t **r = recs; *r != NULL; r++)
		hits_note(h, *r);
	*count = hits_count(h);
	*distinct = hits_distinct(h);
	for (json_t **r = recs; *r != NULL; r++)
		hits_collect(h, *r);
	f = open_memstream(&text, &len);
	*rc = hits_write(h, f, &e);
	fclose(f);
	hits_free(h);
	return text;
}

static void
free_recs(json_t **recs)
{
	for (json_t **r = recs; *r != NULL; r++)
		json_decref(*r);
}

static void
test_two_origins(void)
{
	json_t *recs[] = { rec("FR-DGSI", "fr-7",
			       "{\"vehicles\":[{\"plate\":\"AB-1\"},"
			       "{\"plate\":\"" PN1 "\"}],\"note\":\"" PN2 "\"}",
			       0),
		rec("DE-BKA", "de-1",
		    "{\"subject\":{\"passport\":\"" PN1 "\",\"name\":\"" PN3
		    "\"}}",
		    0),
		rec("DE-BKA", "de-2", "{\"subject\":{\"name\":\"" PN3 "\"}}",
		    0),
		NULL };
	size_t count, distinct;
	int rc;
	char *got = hits_of(recs, &count, &distinct, &rc);

	is_int(rc, 0, "two origins: written");
	is_int((long long)count, 1, "one pseudonym in two origins");
	is_int((long long)distinct, 3, "three distinct pseudonyms");
	is_str(got,
	    "{\"pseudonym\":\"" PN1 "\",\"records\":["
	    "{\"id\":\"de-1\",\"origin\":\"DE-BKA\",\"path\":"
	    "\"subject.passport\"},"
	    "{\"id\":\"fr-7\",\"origin\":\"FR-DGSI\",\"path\":"
	    "\"vehicles.plate\"}]}\n",
	    "the hit: records by origin, the path without array indices; "
	    "a pseudonym in two records of one origin is no hit");
	free(got);
	free_recs(recs);
}

static void
test_ids_and_skips(void)
{
	json_t *recs[] = {
		/* A pseudonymised id, and the same value in another origin. */
		rec("NL-KMAR", PN2, "{\"x\":1}", 0),
		rec("DE-BKA", "de-9", "{\"alias\":[\"" PN2 "\",\"" PN2 "\"]}",
		    0),
		/* A tombstone does not count. */
		rec("FR-DGSI", "fr-1", "{\"p\":\"" PN3 "\"}", 1),
		rec("DE-BKA", "de-3", "{\"p\":\"" PN3 "\"}", 0),
		/* Look-alikes: upper case, too short, with a suffix. */
		rec("FR-DGSI", "fr-2",
		    "{\"p\":\"PN:44444444444444444444444444"
		    "44444a\",\"q\":\"pn:4444\",\"r\":\"" PN4 " \"}",
		    0),
		rec("DE-BKA", "de-4", "{\"p\":\"" PN4 "\"}", 0),
		/* Not strings. */
		rec("FR-DGSI", "fr-3", "{\"" PN1 "\":5}", 0),
		rec("DE-BKA", "de-5", "{\"k\":\"" PN1 "\"}", 0), NULL
	};
	size_t count, distinct;
	int rc;
	char *got = hits_of(recs, &count, &distinct, &rc);

	is_int((long long)count, 1, "one hit");
	is_str(got,
	    "{\"pseudonym\":\"" PN2 "\",\"records\":["
	    "{\"id\":\"de-9\",\"origin\":\"DE-BKA\",\"path\":\"alias\"},"
	    "{\"id\":\"" PN2 "\",\"origin\":\"NL-KMAR\",\"path\":\"\"}]}\n",
	    "a pseudonymised id counts with the path \"\"; a value twice at "
	    "one path is listed once; tombstones, look-alikes and member "
	    "names do not count");
	free(got);
	free_recs(recs);
}

static void
test_order(void)
{
	json_t *recs[] = { rec("NL-KMAR", "nl-1",
			       "{\"a\":\"" PN3 "\",\"b\":\"" PN1 "\"}", 0),
		rec("DE-BKA", "de-2", "{\"z\":\"" PN3 "\"}", 0),
		rec("DE-BKA", "de-1", "{\"z\":\"" PN3 "\",\"y\":\"" PN3 "\"}",
		    0),
		rec("FR-DGSI", "fr-1", "{\"c\":\"" PN1 "\"}", 0), NULL };
	size_t count, distinct;
	int rc;
	char *got = hits_of(recs, &count, &distinct, &rc);

	is_int((long long)count, 2, "two hits");
	is_str(got,
	    "{\"pseudonym\":\"" PN1 "\",\"records\":["
	    "{\"id\":\"fr-1\",\"origin\":\"FR-DGSI\",\"path\":\"c\"},"
	    "{\"id\":\"nl-1\",\"origin\":\"NL-KMAR\",\"path\":\"b\"}]}\n"
	    "{\"pseudonym\":\"" PN3 "\",\"records\":["
	    "{\"id\":\"de-1\",\"origin\":\"DE-BKA\",\"path\":\"y\"},"
	    "{\"id\":\"de-1\",\"origin\":\"DE-BKA\",\"path\":\"z\"},"
	    "{\"id\":\"de-2\",\"origin\":\"DE-BKA\",\"path\":\"z\"},"
	    "{\"id\":\"nl-1\",\"origin\":\"NL-KMAR\",\"path\":\"a\"}]}\n",
	    "lines by pseudonym; records by origin, then id, then path");
	free(got);
	free_recs(recs);
}

static void
test_many_and_errors(void)
{
	struct ierr e = IERR_INIT;
	struct hits *h = hits_new();
	char pn[64];
	json_t *r;
	FILE *full;

	/* Enough pseudonyms to grow the table several times. */
	for (int i = 0; i < 5000; i++) {
		snprintf(pn, sizeof pn, "{\"v\":\"pn:%032x\"}", i);
		r = rec(i % 2 ? "DE-BKA" : "FR-DGSI", "x", pn, 0);
		hits_note(h, r);
		json_decref(r);
	}
	for (int i = 0; i < 5000; i += 2) {
		snprintf(pn, sizeof pn, "{\"w\":\"pn:%032x\"}", i);
		r = rec("DE-BKA", "y", pn, 0);
		hits_note(h, r);
		json_decref(r);
	}
	is_int((long long)hits_distinct(h), 5000,
	    "5000 distinct "
	    "pseudonyms");
	is_int((long long)hits_count(h), 2500,
	    "the 2500 seen in both "
	    "origins are hits");
	if ((full = fopen("/dev/full", "w")) != NULL) {
		for (int i = 0; i < 5000; i++) {
			snprintf(pn, sizeof pn, "{\"v\":\"pn:%032x\"}", i);
			r = rec(i % 2 ? "DE-BKA" : "FR-DGSI", "x", pn, 0);
			hits_collect(h, r);
			json_decref(r);
		}
		is_int(hits_write(h, full, &e), EXIT_IOERR,
		    "writing to a "
		    "full device: EXIT_IOERR");
		ok(e.msg[0] != '\0', "... with a message: %s", e.msg);
		fclose(full);
	} else
		diag("no /dev/full: the write error is not tried");
	hits_free(h);
	hits_free(NULL);
	ok(1, "hits_free(NULL) is allowed");
}

int
main(void)
{
	test_two_origins();
	test_ids_and_skips();
	test_order();
	test_many_and_errors();
	return done_testing();
}
