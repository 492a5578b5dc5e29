/*
 * fuzz-record: one record line (SPEC 2).
 *
 * Invariants: record_parse() never crashes or leaks; a record it accepts
 * serialises canonically, and that text parses again to the same
 * canonical bytes; record_validate() agrees with record_parse(); and the
 * policy invariants of SPEC 3 (fz_check_policy) hold for the record under
 * every rule of the two fixture agreements.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agreement.h"
#include "buf.h"
#include "err.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "policy.h"
#include "record.h"
#include "fuzz-util.h"

static const struct {
	const char *agreement, *from, *to;
} pairs[] = {
	{ "redact.yaml", "DE-BKA", "FR-DGSI" },
	{ "redact.yaml", "DE-BKA", "NL-KMAR" },
	{ "redact.yaml", "FR-DGSI", "DE-BKA" },
	{ "trilateral.yaml", "DE-BKA", "FR-DGSI" },
	{ "trilateral.yaml", "FR-DGSI", "NL-KMAR" },
	{ "trilateral.yaml", "NL-KMAR", "FR-DGSI" },
};
#define NPAIRS (sizeof pairs / sizeof pairs[0])
static struct policy *policies[NPAIRS];

static void
free_policies(void)
{
	size_t i;

	for (i = 0; i < NPAIRS; i++)
		policy_free(policies[i]);
}

void
fz_init(void)
{
	struct ierr e = IERR_INIT;
	size_t i;

	for (i = 0; i < NPAIRS; i++)
		if (policy_new(fz_agreement(pairs[i].agreement), pairs[i].from,
			pairs[i].to, FZ_NOW, POLICY_KEY, &policies[i], &e) != 0)
			fz_fail("harness: policy %s: %s", pairs[i].agreement,
			    e.msg);
	atexit(free_policies);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ierr e = IERR_INIT;
	struct buf c1 = BUF_INIT, c2 = BUF_INIT;
	json_t *rec = NULL, *again = NULL;
	size_t i;
	int rc;

	rc = record_parse((const char *)data, size, &rec, &e);
	if (rc != 0) {
		if (rc != EXIT_DATAERR || e.msg[0] == '\0')
			fz_fail(
			    "record_parse: status %d, message '%s'", rc, e.msg);
		return 0;
	}
	if (record_validate(rec, &e) != 0)
		fz_fail("record_parse accepted what record_validate refuses");
	if (jsonio_canon(&c1, rec, &e) != 0)
		fz_fail("jsonio_canon refused a parsed record: %s", e.msg);
	if (record_parse(c1.data, c1.len, &again, &e) != 0)
		fz_fail(
		    "canonical form does not parse: %s\n%s", e.msg, c1.data);
	if (jsonio_canon(&c2, again, &e) != 0)
		fz_fail("jsonio_canon refused a reparsed record: %s", e.msg);
	if (c1.len != c2.len || memcmp(c1.data, c2.data, c1.len) != 0)
		fz_fail(
		    "canonical form is not stable:\n%s\n%s", c1.data, c2.data);
	if (jsonio_canon_cmp(rec, again) != 0)
		fz_fail("jsonio_canon_cmp: a record differs from itself");
	for (i = 0; i < NPAIRS; i++)
		fz_check_policy(policies[i], rec);
	json_decref(rec);
	json_decref(again);
	buf_free(&c1);
	buf_free(&c2);
	return 0;
}
