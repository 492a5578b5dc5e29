/*
 * fuzz-audit: the audit-log checker (SPEC 9, intel-verify --check-audit).
 *
 * Invariants: audit_check() returns 0 or EXIT_REFUSED (with the first bad
 * line, from 1, and "FILE:LINE: ..."); for a chain it accepts, changing
 * any byte of a line but the last is refused, and audit_append() to a copy
 * keeps the chain valid (or refuses a log whose last line has no newline,
 * leaving it as it was).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit.h"
#include "err.h"
#include "exitcodes.h"
#include "fuzz-util.h"

static int
check(const uint8_t *data, size_t size, unsigned long *bad, struct ierr *e)
{
	const char *path = fz_write("audit.log", data, size);
	size_t pl = strlen(path);
	int rc;

	err_clear(e);
	rc = audit_check(path, bad, e);
	if (rc == 0 && *bad != 0)
		fz_fail("audit_check: 0 with a bad line %lu", *bad);
	if (rc == EXIT_REFUSED &&
	    (*bad == 0 || strncmp(e->msg, path, pl) != 0 || e->msg[pl] != ':'))
		fz_fail("audit_check: refused without FILE:LINE: %lu '%s'",
		    *bad, e->msg);
	if (rc != 0 && rc != EXIT_REFUSED)
		fz_fail("audit_check: status %d: %s", rc, e->msg);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ierr e = IERR_INIT;
	struct audit_entry ent = AUDIT_ENTRY_INIT;
	json_t *withheld;
	unsigned long bad;
	uint8_t *copy;
	const uint8_t *nl;
	char *after;
	size_t pos, len;
	int rc;

	if (check(data, size, &bad, &e) != 0)
		return 0;

	/* Change one byte of the first line when another follows it. */
	nl = memchr(data, '\n', size);
	if (nl != NULL && (size_t)(nl - data) + 1 < size && nl > data) {
		if ((copy = malloc(size)) == NULL)
			abort();
		memcpy(copy, data, size);
		pos = (size_t)data[size - 1] % (size_t)(nl - data);
		copy[pos] ^= 0x01;
		if (copy[pos] == '\n')
			copy[pos] ^= 0x03;
		if (check(copy, size, &bad, &e) != EXIT_REFUSED)
			fz_fail("a changed first line went unnoticed "
				"(byte %zu)",
			    pos);
		if (bad > 2)
			fz_fail("a change in line 1 reported at line %lu", bad);
		free(copy);
	}

	/* Append to the accepted chain. */
	fz_write("audit.log", data, size);
	ent.tool = "intel-fuzz";
	ent.agreement = "fuzz";
	ent.at = FZ_NOW;
	ent.records = 3;
	ent.released = 2;
	withheld = json_pack("{s:i}", "type", 1);
	ent.withheld = withheld;
	rc = audit_append(fz_path("audit.log"), &ent, &e);
	json_decref(withheld);
	if (rc == EXIT_DATAERR) {
		if (size == 0 || data[size - 1] == '\n')
			fz_fail(
			    "audit_append refused a complete log: %s", e.msg);
		after = fz_read(fz_path("audit.log"), &len);
		if (after == NULL || len != size ||
		    memcmp(after, data, size) != 0)
			fz_fail("audit_append changed a log it refused");
		free(after);
		return 0;
	}
	if (rc != 0)
		fz_fail("audit_append: %d %s", rc, e.msg);
	after = fz_read(fz_path("audit.log"), &len);
	if (after == NULL || len <= size || memcmp(after, data, size) != 0)
		fz_fail("audit_append did not append");
	if (check((const uint8_t *)after, len, &bad, &e) != 0)
		fz_fail("audit_append broke a valid chain: %s", e.msg);
	free(after);
	return 0;
}
