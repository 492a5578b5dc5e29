/*
 * fuzz-agreement: an agreement file (SPEC 3).
 *
 * The input is written to a file in the scratch folder, beside copies of
 * the fixture pseudonym keys (trilateral.psk, policy.psk, mode 0600), so
 * that an agreement naming one of them can redact.
 *
 * Invariants: agreement_load() refuses with EXIT_CONFIG and a message
 * "FILE:LINE:COLUMN: ..." or loads an agreement whose contents keep the
 * rules of SPEC 3 (at least one party and rule, every rule's parties,
 * ceiling and purposes known, valid_from <= valid_until, round 0..15);
 * for every (from, to) pair of its parties with a rule, the policy
 * invariants (fz_check_policy) hold on the fixture records.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "agreement.h"
#include "err.h"
#include "exitcodes.h"
#include "lines.h"
#include "policy.h"
#include "record.h"
#include "fuzz-util.h"

#define MAXREC 12
#define MAXPARTIES 4
static json_t *records[MAXREC];
static size_t nrecords;

static void
free_records(void)
{
	while (nrecords > 0)
		json_decref(records[--nrecords]);
}

static void
load_records(const char *rel)
{
	struct ierr e = IERR_INIT;
	char *text, *p, *nl;
	size_t len;

	if ((text = fz_read(fz_fixture(rel), &len)) == NULL)
		fz_fail("harness: fixture %s missing", rel);
	for (p = text; *p != '\0' && nrecords < MAXREC; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		if (record_parse(p, (size_t)(nl - p), &records[nrecords], &e) ==
		    0)
			nrecords++;
	}
	free(text);
}

void
fz_init(void)
{
	load_records("redact/records.ndjson");
	load_records("bundle/records.ndjson");
	atexit(free_records);
}

static void
check_loaded(const struct agreement *a)
{
	size_t i, j;
	const struct ag_rule *r;

	if (a->nparties < 1 || a->nrules < 1 || a->nclassifications < 1)
		fz_fail("loaded without parties, rules or classifications");
	if (a->valid_from > a->valid_until)
		fz_fail("loaded with valid_from after valid_until");
	if (a->version < 0)
		fz_fail("loaded with a negative version");
	for (i = 0; i < a->nparties; i++) {
		if (a->parties[i].nkeys < 1)
			fz_fail("a party without keys");
		if (agreement_party(a, a->parties[i].code) != &a->parties[i])
			fz_fail("party %zu is not found by its code", i);
	}
	for (i = 0; i < a->nrules; i++) {
		r = &a->rules[i];
		if (r->ceiling >= a->nclassifications)
			fz_fail("a rule's ceiling is off the scale");
		if (r->from != NULL && agreement_party(a, r->from) == NULL)
			fz_fail("a rule from an unknown party");
		if (r->nto < 1 || r->ntypes < 1 || r->npurposes < 1)
			fz_fail("a rule without to, types or purposes");
		for (j = 0; j < r->nto; j++)
			if (agreement_party(a, r->to[j]) == NULL)
				fz_fail("a rule to an unknown party");
		for (j = 0; j < r->npurposes; j++)
			if (!agreement_has_purpose(a, r->purposes[j]))
				fz_fail("a rule purpose not in the agreement");
		for (j = 0; j < r->nfields; j++) {
			if (r->fields[j].action == AG_ROUND &&
			    (r->fields[j].arg < 0 || r->fields[j].arg > 15))
				fz_fail("round:%d accepted", r->fields[j].arg);
			if (r->fields[j].action == AG_MASK &&
			    r->fields[j].arg < 0)
				fz_fail("mask:%d accepted", r->fields[j].arg);
			if (r->fields[j].nsegs < 1)
				fz_fail("an empty path accepted");
		}
		if (agreement_rule_pseudonymises(r) && a->pseudonym_key == NULL)
			fz_fail("a rule pseudonymises without pseudonym_key");
	}
}

static void
check_policies(const struct agreement *a)
{
	struct ierr e = IERR_INIT;
	struct policy *p;
	size_t i, j, k, n;
	int rc;

	n = a->nparties < MAXPARTIES ? a->nparties : MAXPARTIES;
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++) {
			const char *from = a->parties[i].code;
			const char *to = a->parties[j].code;

			rc = policy_new(
			    a, from, to, FZ_NOW, POLICY_KEY, &p, &e);
			if (rc != 0 && agreement_rule(a, from, to) != NULL &&
			    rc != EXIT_CONFIG && rc != EXIT_NOPERM)
				fz_fail("policy_new: %d %s", rc, e.msg);
			if (rc != 0) {
				/* No key: compliance only. */
				rc = policy_new(a, from, to, FZ_NOW, 0, &p, &e);
				if (rc != 0)
					continue;
			}
			for (k = 0; k < nrecords; k++)
				fz_check_policy(p, records[k]);
			policy_free(p);
		}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ierr e = IERR_INIT;
	struct agreement *a = NULL;
	const char *path;
	size_t pl;
	int rc;

	path = fz_write("fuzz.yaml", data, size);
	pl = strlen(path);
	rc = agreement_load(path, &a, &e);
	if (rc != 0) {
		if (rc != EXIT_CONFIG)
			fz_fail("agreement_load: status %d: %s", rc, e.msg);
		if (strncmp(e.msg, path, pl) != 0 || e.msg[pl] != ':')
			fz_fail("agreement error without FILE:LINE:COLUMN: %s",
			    e.msg);
		return 0;
	}
	check_loaded(a);
	agreement_check_window(a, FZ_NOW, &e);
	check_policies(a);
	agreement_free(a);
	return 0;
}
