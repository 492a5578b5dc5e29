#include "config.h"

#include <string.h>

#include "exitcodes.h"
#include "record.h"
#include "tap.h"

#define BASE \
	"\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\"," \
	"\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,\"data\":{}"

static void
good(const char *line, const char *what)
{
	struct ierr e = IERR_INIT;
	json_t *rec = NULL;
	int rc = record_parse(line, strlen(line), &rec, &e);

	ok(rc == 0, "accept: %s", what);
	if (rc)
		diag("%s", e.msg);
	json_decref(rec);
}

static void
bad(const char *line, const char *msg, const char *what)
{
	struct ierr e = IERR_INIT;
	json_t *rec = NULL;
	int rc = record_parse(line, strlen(line), &rec, &e);

	ok(rc == EXIT_DATAERR && strstr(e.msg, msg) != NULL, "refuse: %s",
	    what);
	if (rc != EXIT_DATAERR || strstr(e.msg, msg) == NULL)
		diag(
		    "status %d, message \"%s\", wanted \"%s\"", rc, e.msg, msg);
	json_decref(rec);
}

int
main(void)
{
	good("{" BASE "}", "minimal record");
	good("{" BASE ",\"classification\":\"SECRET\",\"purposes\":[\"a\"],"
	     "\"releasable_to\":[\"FR-DGSI\"],\"expires\":"
	     "\"2027-01-01T00:00:00+01:00\"}",
	    "every optional member");
	good("{" BASE ",\"withdrawn\":true}", "a tombstone");
	good("{" BASE ",\"received\":{\"from\":\"DE-BKA\",\"bundle\":\"b\","
	     "\"at\":\"2026-11-02T00:00:00Z\"}}",
	    "received");
	bad("[]", "must be an object", "an array");
	bad("{" BASE ",\"extra\":1}", "unknown member \"extra\"",
	    "an unknown member");
	bad("{\"origin\":\"DE-BKA\",\"type\":\"person\",\"created\":"
	    "\"2026-11-01T09:30:00Z\",\"version\":1,\"data\":{}}",
	    "missing member \"id\"", "no id");
	bad("{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	    "\"created\":\"2026-11-01T09:30:00Z\",\"version\":1}",
	    "missing member \"data\"", "no data");
	bad("{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	    "\"created\":\"2026-11-01T09:30:00Z\",\"version\":0,\"data\":{}}",
	    "\"version\" must be an integer >= 1", "version 0");
	bad("{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	    "\"created\":\"2026-11-01T09:30:00Z\",\"version\":1.5,\"data\":{}}",
	    "\"version\" must be an integer", "version 1.5");
	bad("{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	    "\"created\":\"2026-11-01\",\"version\":1,\"data\":{}}",
	    "\"created\" must be an RFC 3339 UTC time", "created a date");
	bad("{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	    "\"created\":\"2026-11-01T09:30:00+01:00\",\"version\":1,"
	    "\"data\":{}}",
	    "\"created\"", "created with an offset");
	bad("{\"id\":7,\"origin\":\"DE-BKA\",\"type\":\"person\","
	    "\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,\"data\":{}}",
	    "\"id\" must be a non-empty string", "numeric id");
	bad("{\"id\":\"\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	    "\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,\"data\":{}}",
	    "\"id\" must be a non-empty string", "empty id");
	bad("{" BASE ",\"data\":[]}", "duplicate", "duplicate key");
	bad("{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	    "\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,\"data\":[]}",
	    "\"data\" must be an object", "data an array");
	bad("{" BASE ",\"purposes\":\"smuggling\"}",
	    "\"purposes\" must be an "
	    "array",
	    "purposes a string");
	bad("{" BASE ",\"purposes\":[1]}", "\"purposes\" must be an array",
	    "purposes of numbers");
	bad("{" BASE ",\"releasable_to\":[\"\"]}", "\"releasable_to\"",
	    "empty party in releasable_to");
	bad("{" BASE ",\"classification\":5}", "\"classification\"",
	    "classification a number");
	bad("{" BASE ",\"expires\":\"soon\"}", "\"expires\"", "bad expires");
	bad("{" BASE ",\"withdrawn\":\"yes\"}",
	    "\"withdrawn\" must be a "
	    "boolean",
	    "withdrawn a string");
	bad("{\"id\":\"r1\",\"origin\":\"DE-BKA\",\"type\":\"person\","
	    "\"created\":\"2026-11-01T09:30:00Z\",\"version\":1,\"data\":"
	    "{\"a\":1},\"withdrawn\":true}",
	    "withdrawn record must have "
	    "empty data",
	    "tombstone with data");
	bad("{" BASE ",\"received\":{\"from\":\"x\"}}",
	    "missing member "
	    "\"received.",
	    "received incomplete");
	bad("{" BASE ",\"received\":{\"from\":\"x\",\"bundle\":\"b\","
	    "\"at\":\"now\"}}",
	    "received.at", "received.at not a time");
	bad("{" BASE ",\"received\":{\"from\":\"x\",\"bundle\":\"b\","
	    "\"at\":\"2026-11-02T00:00:00Z\",\"by\":\"me\"}}",
	    "unknown member \"received.by\"", "received with extra member");

	ok(record_is_pseudonym("pn:0123456789abcdef0123456789abcdef", 35),
	    "a pseudonym");
	ok(!record_is_pseudonym("pn:0123456789ABCDEF0123456789abcdef", 35),
	    "upper-case hex is not one");
	ok(!record_is_pseudonym("pn:0123456789abcdef0123456789abcde", 34),
	    "31 digits is not one");
	ok(record_envelope_member("releasable_to") &&
		!record_envelope_member("name"),
	    "envelope member names");
	return done_testing();
}
