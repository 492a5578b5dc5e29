/*
 * Unit tests for common/audit.c: the first line, the hash chain, canonical
 * members with null where they do not apply, the file mode, a damaged
 * tail, and audit_check() finding the first line that breaks the chain.
 */
#include "config.h"

#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "crypto.h"
#include "exitcodes.h"
#include "secmem.h"
#include "tap.h"
#include "util.h"

static const char *dir;
static char path[4200];

/* The log, as text, into OUT. */
static void
slurp(char *out, size_t max)
{
	char *p = util_read_file(path, NULL);

	snprintf(out, max, "%s", p ? p : "");
	free(p);
}

static void
spew(const char *text)
{
	if (util_write_str(path, text, 0600) != 0)
		diag("cannot write %s", path);
}

static void
sha_hex(const char *s, size_t n, char hex[65])
{
	unsigned char d[32];

	crypto_sha256(s, n, d);
	crypto_hex(d, 32, hex);
}

int
main(void)
{
	struct audit_entry a = AUDIT_ENTRY_INIT;
	struct ierr e = IERR_INIT;
	char text[8192], want[2048], hex[65], *nl;
	unsigned long bad;
	struct stat st;
	json_t *w;

	secmem_init(&e);
	dir = util_tmpdir("test-audit");
	snprintf(path, sizeof path, "%s/audit.log", dir);

	a.tool = "intel-redact";
	a.agreement = "de-fr";
	a.at = 1795669200; /* 2026-11-26T05:00:00Z */
	a.from = "DE-BKA";
	a.to = "FR-DGSI";
	a.records = 3;
	a.released = 2;
	w = json_pack("{s:i, s:i}", "type", 1, "expired", 0);
	a.withheld = w;
	is_int(audit_append(path, &a, &e), 0, "first append");
	slurp(text, sizeof text);
	is_str(text,
	    "{\"agreement\":\"de-fr\",\"at\":\"2026-11-26T05:00:00Z\","
	    "\"bundle\":null,\"from\":\"DE-BKA\",\"prev\":\"\",\"records\":3,"
	    "\"released\":2,\"sha512\":null,\"to\":\"FR-DGSI\",\"tool\":"
	    "\"intel-redact\",\"withheld\":{\"expired\":0,\"type\":1}}\n",
	    "a canonical line, prev empty, null where nothing applies");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "created with mode 0600");

	a.tool = "intel-verify";
	a.bundle = "0123";
	a.sha512 = "ab";
	a.withheld = NULL;
	a.records = AUDIT_NONE;
	is_int(audit_append(path, &a, &e), 0, "second append");
	slurp(text, sizeof text);
	nl = strchr(text, '\n');
	sha_hex(text, (size_t)(nl - text), hex);
	snprintf(want, sizeof want,
	    "{\"agreement\":\"de-fr\",\"at\":"
	    "\"2026-11-26T05:00:00Z\",\"bundle\":\"0123\",\"from\":\"DE-BKA\","
	    "\"prev\":\"%s\",\"records\":null,\"released\":2,\"sha512\":\"ab\","
	    "\"to\":\"FR-DGSI\",\"tool\":\"intel-verify\",\"withheld\":null}\n",
	    hex);
	is_str(nl + 1, want, "prev is the SHA-256 of the line before");
	is_int(audit_append(path, &a, &e), 0, "third append");
	is_int(audit_check(path, &bad, &e), 0, "the chain holds");
	is_int(bad, 0, "no bad line");

	/* Change the first line: the second breaks. */
	slurp(text, sizeof text);
	text[30] = text[30] == '1' ? '2' : '1';
	spew(text);
	is_int(audit_check(path, &bad, &e), EXIT_REFUSED,
	    "a changed line "
	    "breaks the chain");
	is_int(bad, 2, "at the line after it");
	ok(strstr(e.msg, "audit.log:2: ") != NULL, "the message names FILE:2");

	/* Remove the middle line. */
	spew("");
	audit_append(path, &a, &e);
	audit_append(path, &a, &e);
	audit_append(path, &a, &e);
	slurp(text, sizeof text);
	{
		char *l2 = strchr(text, '\n') + 1, *l3 = strchr(l2, '\n') + 1;

		memmove(l2, l3, strlen(l3) + 1);
	}
	spew(text);
	is_int(audit_check(path, &bad, &e), EXIT_REFUSED,
	    "a removed line "
	    "breaks the chain");
	is_int(bad, 2, "where it was");

	/* A first line with a prev. */
	spew("{\"prev\":\"00\"}\n");
	is_int(audit_check(path, &bad, &e), EXIT_REFUSED,
	    "a first line with "
	    "a prev");
	is_int(bad, 1, "line 1");
	spew("not json\n");
	is_int(audit_check(path, &bad, &e), EXIT_REFUSED,
	    "a line that is "
	    "not JSON");

	/* A cut-off tail is neither checked as whole nor appended to. */
	spew("{\"prev\":\"\"}\n{\"prev\":");
	is_int(audit_check(path, &bad, &e), EXIT_REFUSED,
	    "an incomplete "
	    "last line breaks the chain");
	is_int(bad, 2, "line 2");
	is_int(audit_append(path, &a, &e), EXIT_DATAERR,
	    "no append to a "
	    "damaged log");
	slurp(text, sizeof text);
	is_str(text, "{\"prev\":\"\"}\n{\"prev\":", "which is left as it was");

	spew("");
	is_int(audit_check(path, &bad, &e), 0, "an empty log holds");
	unlink(path);
	is_int(audit_check(path, &bad, &e), EXIT_NOINPUT,
	    "a missing log: "
	    "EXIT_NOINPUT");
	snprintf(text, sizeof text, "%s/no/such/dir/log", dir);
	is_int(audit_append(text, &a, &e), EXIT_CANTCREAT,
	    "a log that cannot "
	    "be created: EXIT_CANTCREAT");

	/* A device has nothing to flush: fsync() refusing /dev/null is not
	 * an error, a device that fails the write still is. */
	e = (struct ierr)IERR_INIT;
	is_int(audit_append("/dev/null", &a, &e), 0,
	    "a log on /dev/null: "
	    "written, its fsync refusal ignored");
	is_str(e.msg, "", "... and no message");
	if (access("/dev/full", W_OK) == 0) {
		is_int(audit_append("/dev/full", &a, &e), EXIT_IOERR,
		    "a log "
		    "on /dev/full: EXIT_IOERR");
		ok(strstr(e.msg, "/dev/full: write error") != NULL,
		    "... which "
		    "names it: %s",
		    e.msg);
	} else
		ok(1, "# SKIP no /dev/full");
	json_decref(w);
	return done_testing();
}
