/*
 * Unit tests for common/agreement.c: a good agreement read member by
 * member, broken agreements (status, line, column and message), the
 * pseudonym key file, the validity window and the choice of rule; and
 * common/action.c, the table of field actions the parser reads them by.
 */
#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gcrypt.h>

#include "action.h"
#include "agreement.h"
#include "buf.h"
#include "exitcodes.h"
#include "tap.h"
#include "util.h"
#include "timeutil.h"

static const char *srcdir;
static const char *tmpdir;

static void
fixture(char *out, size_t n, const char *rel)
{
	snprintf(out, n, "%s/tests/fixtures/agreements/%s", srcdir, rel);
}

static int64_t
at(const char *s)
{
	int64_t t = 0;

	if (timeutil_parse(s, &t) != 0)
		diag("bad time in the test: %s", s);
	return t;
}

/* ---------------------------------------------------------------- */

static void
test_good(void)
{
	char path[PATH_MAX], want[PATH_MAX + 256];
	struct ierr e = IERR_INIT;
	struct agreement *a = NULL;
	const struct ag_rule *r;
	const struct ag_party *p;
	unsigned char k[AG_KEY_LEN];
	int rc;

	fixture(path, sizeof path, "trilateral.yaml");
	rc = agreement_load(path, &a, &e);
	if (!is_int(rc, 0, "trilateral.yaml loads")) {
		diag("%s", e.msg);
		return;
	}
	is_str(a->file, path, "file");
	is_str(a->id, "de-fr-nl-border-2026", "id");
	is_int(a->version, 3, "version");
	is_str(a->title, "DE-FR-NL cooperation against cross-border smuggling",
	    "title");
	is_int(a->valid_from, at("2026-01-01T00:00:00Z"),
	    "valid_from is the "
	    "first second of the date");
	is_int(a->valid_until, at("2027-12-31T23:59:59Z"),
	    "valid_until is "
	    "the last second of the date");
	is_int(a->nclassifications, 4, "four classifications");
	is_str(a->classifications[0], "UNCLASSIFIED", "lowest first");
	is_str(a->classifications[3], "SECRET", "highest last");
	is_int(agreement_class_rank(a, "CONFIDENTIAL"), 2, "class rank");
	is_int(agreement_class_rank(a, "TOP SECRET"), -1, "unknown class");
	is_int(a->npurposes, 4, "four purposes");
	ok(agreement_has_purpose(a, "terrorism"), "has purpose terrorism");
	ok(agreement_has_purpose(a, "NO"), "\"NO\" is a purpose, a string");
	ok(!agreement_has_purpose(a, "fraud"), "fraud is not a purpose");
	is_int(a->retention_days, 730, "retention_days");
	snprintf(want, sizeof want,
	    "%s/tests/fixtures/agreements/"
	    "trilateral.psk",
	    srcdir);
	is_str(a->pseudonym_key, want,
	    "pseudonym_key resolved against the "
	    "agreement's folder");

	is_int(a->nparties, 3, "three parties");
	p = agreement_party(a, "DE-BKA");
	ok(p != NULL && p->nkeys == 2, "DE-BKA has two keys");
	if (p != NULL) {
		is_str(p->name, "Bundeskriminalamt", "DE-BKA name");
		/* ed25519:TDilcKH+... starts 4c 38 a5 70 */
		ok(p->keys[0][0] == 0x4c && p->keys[0][1] == 0x38 &&
			p->keys[0][2] == 0xa5 && p->keys[0][31] == 0x70,
		    "DE-BKA key 1 decoded");
		memcpy(k, p->keys[1], sizeof k);
		ok(agreement_party_has_key(p, k), "DE-BKA holds its key 2");
		k[5] ^= 1;
		ok(!agreement_party_has_key(p, k), "a changed key is not held");
	}
	p = agreement_party(a, "NL-KMAR");
	ok(p != NULL && p->name == NULL && p->nkeys == 1,
	    "NL-KMAR: no name, one key");
	ok(agreement_party(a, "US-FBI") == NULL, "no such party");

	is_int(a->nrules, 3, "three rules");
	r = &a->rules[0];
	is_str(r->from, "DE-BKA", "rule 1 from");
	ok(r->nto == 1 && strcmp(r->to[0], "FR-DGSI") == 0, "rule 1 to");
	is_int(r->ceiling, 2, "rule 1 ceiling CONFIDENTIAL");
	ok(r->npurposes == 2 && strcmp(r->purposes[1], "trafficking") == 0,
	    "rule 1 purposes");
	ok(r->ntypes == 2 && strcmp(r->types[0], "person") == 0,
	    "rule 1 types");
	is_int(r->third_party, AG_THIRD_DENY, "rule 1 third_party deny");
	is_int(r->pseudonymise_ids, 0, "rule 1 ids keep");
	is_int(r->line, 25, "rule 1 line");
	is_int(r->nfields, 9, "rule 1 has nine fields");
	if (r->nfields == 9) {
		is_str(r->fields[0].path, "subject.name", "field path");
		ok(r->fields[0].nsegs == 2 &&
			strcmp(r->fields[0].segs[0], "subject") == 0 &&
			strcmp(r->fields[0].segs[1], "name") == 0,
		    "field segments");
		is_int(r->fields[0].action, AG_KEEP, "keep");
		is_int(r->fields[0].line, 33, "field line");
		is_int(
		    r->fields[1].action, AG_GENERALISE_YEAR, "generalise:year");
		is_int(r->fields[2].action, AG_PSEUDONYMISE, "pseudonymise");
		ok(r->fields[3].action == AG_MASK && r->fields[3].arg == 4,
		    "mask:4");
		ok(r->fields[4].action == AG_ROUND && r->fields[4].arg == 2,
		    "round:2");
		is_int(r->fields[7].action, AG_DROP, "drop");
		ok(strcmp(r->fields[8].path, "*") == 0 &&
			r->fields[8].nsegs == 1 &&
			strcmp(r->fields[8].segs[0], "*") == 0,
		    "\"*\" path");
	}
	r = &a->rules[1];
	is_int(r->third_party, AG_THIRD_IF_RELEASABLE,
	    "rule 2 third_party if-releasable");
	is_int(r->pseudonymise_ids, 1, "rule 2 ids pseudonymise");
	is_int(r->ceiling, 3, "rule 2 ceiling SECRET");
	ok(r->nto == 2 && strcmp(r->to[1], "NL-KMAR") == 0, "rule 2 to");
	if (r->nfields == 6) {
		is_int(r->fields[1].action, AG_GENERALISE_MONTH,
		    "generalise:month");
		ok(r->fields[3].action == AG_MASK && r->fields[3].arg == 0 &&
			r->fields[3].nsegs == 3 &&
			strcmp(r->fields[3].segs[1], "*") == 0,
		    "event.*.note: mask:0");
		ok(r->fields[4].action == AG_ROUND && r->fields[4].arg == 0,
		    "round:0");
	} else
		ok(0, "rule 2 has six fields (%zu)", r->nfields);
	r = &a->rules[2];
	ok(r->from == NULL, "rule 3 has no from");
	is_int(r->third_party, AG_THIRD_DENY, "third_party defaults to deny");
	is_int(r->pseudonymise_ids, 0, "ids defaults to keep");

	ok(agreement_rule_pseudonymises(&a->rules[0]),
	    "rule 1 pseudonymises "
	    "(fields)");
	ok(agreement_rule_pseudonymises(&a->rules[1]),
	    "rule 2 pseudonymises "
	    "(ids and fields)");
	ok(!agreement_rule_pseudonymises(&a->rules[2]), "rule 3 does not");

	/* The choice of rule: the first whose from and to match. */
	ok(agreement_rule(a, "DE-BKA", "FR-DGSI") == &a->rules[0],
	    "DE-BKA to FR-DGSI: rule 1 (before the from-less rule 3)");
	ok(agreement_rule(a, "FR-DGSI", "DE-BKA") == &a->rules[1],
	    "FR-DGSI to DE-BKA: rule 2");
	ok(agreement_rule(a, "FR-DGSI", "NL-KMAR") == &a->rules[1],
	    "FR-DGSI to NL-KMAR: rule 2, not the from-less rule 3");
	ok(agreement_rule(a, "DE-BKA", "NL-KMAR") == &a->rules[2],
	    "DE-BKA to NL-KMAR: the from-less rule 3");
	ok(agreement_rule(a, "NL-KMAR", "FR-DGSI") == &a->rules[2],
	    "NL-KMAR to FR-DGSI: the from-less rule 3");
	ok(agreement_rule(a, "NL-KMAR", "DE-BKA") == NULL,
	    "NL-KMAR to DE-BKA: no rule");
	ok(agreement_rule(a, "DE-BKA", "DE-BKA") == NULL,
	    "DE-BKA to DE-BKA: no rule");
	ok(agreement_rule(a, "XX", "FR-DGSI") == &a->rules[2],
	    "an unknown sender meets only the from-less rule");

	/* The validity window, both ends inclusive. */
	err_clear(&e);
	is_int(agreement_check_window(a, at("2026-01-01T00:00:00Z"), &e), 0,
	    "window: first second");
	is_int(agreement_check_window(a, at("2027-12-31T23:59:59Z"), &e), 0,
	    "window: last second");
	is_int(agreement_check_window(a, at("2025-12-31T23:59:59Z"), &e),
	    EXIT_CONFIG, "window: a second before: 78");
	is_int(agreement_check_window(a, at("2028-01-01T00:00:00Z"), &e),
	    EXIT_CONFIG, "window: a second after: 78");
	is_int(agreement_check_window(a, at("2029-01-01T00:00:00Z"), &e),
	    EXIT_CONFIG, "window: 2029: 78");
	snprintf(want, sizeof want,
	    "%s: agreement de-fr-nl-border-2026 is "
	    "not valid at 2029-01-01T00:00:00Z (valid 2026-01-01T00:00:00Z "
	    "to 2027-12-31T23:59:59Z)",
	    path);
	is_str(e.msg, want, "window message");
	agreement_free(a);
}

static void
test_times(void)
{
	char path[PATH_MAX];
	struct ierr e = IERR_INIT;
	struct agreement *a = NULL;
	const struct ag_party *p;

	fixture(path, sizeof path, "times.yaml");
	if (!is_int(agreement_load(path, &a, &e), 0, "times.yaml loads")) {
		diag("%s", e.msg);
		return;
	}
	is_str(a->id, "0.times_test-1", "id with dot, digit, underscore");
	is_int(a->version, 12, "version read from a quoted scalar");
	is_int(a->valid_from, at("2026-01-01T10:00:00Z"),
	    "valid_from: an RFC 3339 time with its offset applied");
	is_int(a->valid_until, at("2026-06-30T23:00:00Z"),
	    "valid_until: that instant, not the end of the day");
	ok(a->nclassifications == 3 &&
		strcmp(a->classifications[0], "NO") == 0 &&
		strcmp(a->classifications[1], "on") == 0 &&
		strcmp(a->classifications[2], "2026-01-01") == 0,
	    "NO, on, 2026-01-01 are text");
	ok(a->title == NULL, "no title");
	is_int(a->retention_days, -1, "no retention_days: -1");
	ok(a->pseudonym_key == NULL, "no pseudonym_key");
	p = agreement_party(a, "b.2_x");
	ok(p != NULL && p->name != NULL && p->name[0] == '\0',
	    "an empty quoted name is kept");
	ok(a->nrules == 1 && a->rules[0].nfields == 0 &&
		a->rules[0].ceiling == 1,
	    "fields: {} is allowed");
	ok(a->rules[0].ntypes == 3 && strcmp(a->rules[0].types[1], "null") == 0,
	    "null is text");
	ok(agreement_rule(a, "A", "b.2_x") == &a->rules[0], "from-less rule");
	agreement_free(a);
}

/* ---------------------------------------------------------------- */

static const struct bad {
	const char *file;
	int status;
	const char *where; /* "LINE:COLUMN" */
	const char *what;  /* part of the message */
} bad[] = {
	{ "action-explode", 78, "20:10", "bad action \"explode\" for \"x\"" },
	{ "action-list", 78, "20:10", "action must be a scalar, not a list" },
	{ "action-mask", 78, "20:10", "bad action \"mask:x\"" },
	{ "action-round", 78, "20:10", "bad action \"round:16\"" },
	{ "alias", 78, "17:15", "aliases are not allowed (*ps)" },
	{ "anchor", 78, "7:11", "anchors are not allowed (&ps)" },
	{ "bad-utf8", 78, "2:6", "invalid leading UTF-8 octet" },
	{ "classification-twice", 78, "6:30",
	    "classification \"LOW\" appears twice" },
	{ "date-feb30", 78, "4:13",
	    "valid_from \"2026-02-30\" is neither "
	    "a calendar date" },
	{ "date-garbage", 78, "5:14", "valid_until \"next year\" is neither" },
	{ "deep", 78, "20:38", "nested more than 32 levels deep" },
	{ "dup-member", 78, "4:1", "duplicate key \"version\"" },
	{ "dup-party", 78, "11:3", "duplicate key \"A\"" },
	{ "dup-path", 78, "22:7", "duplicate key \"x\"" },
	{ "empty", 78, "1:1", "empty file" },
	{ "empty-value", 78, "2:4", "id has no value" },
	{ "format-2", 78, "1:18", "intel_agreement must be 1" },
	{ "from-after-until", 78, "4:13", "valid_from is after valid_until" },
	{ "id-upper", 78, "2:5", "id \"De-Fr\" may only hold a-z" },
	{ "ids", 78, "19:10",
	    "ids must be keep or pseudonymise, not \"hash\"" },
	{ "key-31-bytes", 78, "12:12", "the base64 of 32 bytes" },
	{ "key-not-scalar", 78, "3:1", "a key must be a scalar, not a list" },
	{ "key-prefix", 78, "12:12", "key must read \"ed25519:\"" },
	{ "key-shared", 78, "12:12", "key is already a key of party \"A\"" },
	{ "key-short", 78, "12:12", "key must read \"ed25519:\"" },
	{ "key-trailing-bits", 78, "12:12", "key must read \"ed25519:\"" },
	{ "missing-ceiling", 78, "14:5", "missing member \"ceiling\" in rule" },
	{ "missing-id", 78, "1:1", "missing member \"id\" in agreement" },
	{ "missing-keys", 78, "10:5",
	    "missing member \"keys\" in party \"A\"" },
	{ "no-keys", 78, "12:11", "party \"B\" has no keys" },
	{ "no-pseudonym-key", 78, "1:1",
	    "missing member \"pseudonym_key\" "
	    "in agreement (the rule at line 14 pseudonymises)" },
	{ "no-pseudonym-key-ids", 78, "1:1",
	    "missing member \"pseudonym_key\"" },
	{ "nul-in-scalar", 78, "2:5", "a scalar holds a NUL character" },
	{ "parties-empty", 78, "8:10", "parties is empty" },
	{ "party-code", 78, "11:3", "party code \"B/../x\" may only hold" },
	{ "path-empty-segment", 78, "20:7",
	    "bad path \"a..b\": an empty segment" },
	{ "path-leading-dot", 78, "20:7", "bad path \".a\": an empty segment" },
	{ "path-space", 78, "20:7", "bad path \"a b\": a character other" },
	{ "path-star-part", 78, "20:7",
	    "bad path \"a*.b\": \"*\" that is not a whole segment" },
	{ "path-trailing-dot", 78, "20:7",
	    "bad path \"a.\": an empty segment" },
	{ "releases-empty", 78, "13:11", "releases is empty" },
	{ "retention-negative", 78, "8:17",
	    "retention_days must be an "
	    "integer from 0" },
	{ "rule-not-map", 78, "14:5",
	    "a rule must be a mapping, not a "
	    "scalar" },
	{ "syntax-flow", 78, "7:9",
	    "YAML syntax error: did not find "
	    "expected ',' or ']'" },
	{ "syntax-indent", 78, "11:2",
	    "YAML syntax error: did not find "
	    "expected key" },
	{ "syntax-tab", 78, "16:1",
	    "YAML syntax error: found character "
	    "that cannot start any token" },
	{ "tag", 78, "2:5", "tags are not allowed" },
	{ "third-party", 78, "19:18",
	    "third_party must be deny or "
	    "if-releasable, not \"allow\"" },
	{ "to-empty", 78, "15:9", "to is empty" },
	{ "to-scalar", 78, "15:9", "to must be a list, not a scalar" },
	{ "top-list", 78, "1:1",
	    "the top level must be a mapping, not a "
	    "list" },
	{ "two-documents", 78, "21:1", "more than one YAML document" },
	{ "type-fields-list", 78, "19:13",
	    "fields must be a mapping, not a "
	    "list" },
	{ "type-id-list", 78, "2:5", "id must be a scalar, not a list" },
	{ "type-purposes-map", 78, "7:11",
	    "purposes must be a list, not a "
	    "mapping" },
	{ "unknown-classification", 78, "16:14",
	    "ceiling \"TOP\" is not among the classifications" },
	{ "unknown-from", 78, "14:11",
	    "from names \"C\", which is not a "
	    "party" },
	{ "unknown-party-member", 78, "12:5",
	    "unknown member \"nmae\" in party \"B\"" },
	{ "unknown-purpose", 78, "17:19",
	    "purpose \"q\" is not among the "
	    "agreement's purposes" },
	{ "unknown-rule", 78, "17:5", "unknown member \"purpose\" in rule" },
	{ "unknown-to", 78, "15:13", "to names \"C\", which is not a party" },
	{ "unknown-top", 78, "5:1",
	    "unknown member \"valid_untill\" in agreement" },
	{ "version-float", 78, "3:10",
	    "version must be a positive integer, "
	    "not \"1.0\"" },
	{ "version-huge", 78, "3:10", "version must be a positive integer" },
	{ "version-word", 78, "3:10",
	    "version must be a positive integer, "
	    "not \"two\"" },
	{ "version-zero", 78, "3:10",
	    "version must be a positive integer, "
	    "not \"0\"" },
};

static void
test_bad(void)
{
	static struct agreement sentinel;
	char path[PATH_MAX], rel[128], prefix[PATH_MAX + 64];
	struct ierr e;
	struct agreement *a;
	size_t i;
	int rc;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(rel, sizeof rel, "bad/%s.yaml", bad[i].file);
		fixture(path, sizeof path, rel);
		err_clear(&e);
		a = &sentinel; /* must come back NULL */
		rc = agreement_load(path, &a, &e);
		snprintf(prefix, sizeof prefix, "%s:%s: ", path, bad[i].where);
		ok(rc == bad[i].status && a == NULL &&
			strncmp(e.msg, prefix, strlen(prefix)) == 0 &&
			strstr(e.msg + strlen(prefix), bad[i].what) != NULL,
		    "%s: %d %s: ...%s...", rel, bad[i].status, bad[i].where,
		    bad[i].what);
		if (rc != bad[i].status ||
		    strncmp(e.msg, prefix, strlen(prefix)) != 0 ||
		    strstr(e.msg, bad[i].what) == NULL)
			diag("got %d %s", rc, e.msg);
		if (rc == 0)
			agreement_free(a);
	}
}

/* ---------------------------------------------------------------- */
/* Signing keys, recipients and seal (SPEC 3, 6a; issue 12 item 4) */

#define KA "\"ed25519:TDilcKH+e6WqwBldEstFEDPokQ1ZMueA9nvvDbED0XA=\""
#define KB "\"ed25519:uwGxs7e0CLPoFFRxABkrZY8GmbMTkcUaz06v8cm+6s8=\""
#define RA "age15zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5qgs79ca4k"
#define RB "age1kxcmrvd3kxcmrvd3kxcmrvd3kxcmrvd3kxcmrvd3kxcmrvd3ky3qvca5q9"

static const char key_template[] =
    "intel_agreement: 1\n"
    "id: t\n"
    "version: 1\n"
    "valid_from: 2026-01-01\n"
    "valid_until: 2026-12-31\n"
    "classifications: [LOW, HIGH]\n"
    "purposes: [p]\n"
    "parties:\n"
    "  A:\n"
    "    keys: [%s]\n" /* line 10, the list at column 12 */
    "    %s\n"	       /* line 11 */
    "  B:\n"
    "    keys: [" KB "]\n" /* line 13 */
    "    %s\n"		   /* line 14 */
    "releases:\n"
    "  - from: A\n"
    "    to: [B]\n" /* line 17, B at column 10 */
    "    ceiling: HIGH\n"
    "    purposes: [p]\n"
    "    types: [t]\n"
    "    %s\n" /* line 21 */
    "    fields:\n"
    "      x: keep\n";

static const struct keycase {
	const char *why;
	const char *akeys, *aextra, *bextra, *rextra;
	const char *where; /* "LINE:COLUMN", NULL: it loads */
	const char *what;
} keycases[] = {
	/* The eight points of small order. */
	{ "the identity",
	    "\"ed25519:AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"",
	    "name: a", "name: b", "ids: keep", "10:12", "of small order" },
	{ "order 2 (0, -1)",
	    "\"ed25519:7P///////////////////////////////////////38=\"",
	    "name: a", "name: b", "ids: keep", "10:12", "of small order" },
	{ "order 4, y = 0",
	    "\"ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"",
	    "name: a", "name: b", "ids: keep", "10:12", "of small order" },
	{ "order 4, y = 0, x odd",
	    "\"ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIA=\"",
	    "name: a", "name: b", "ids: keep", "10:12", "of small order" },
	{ "order 8 (1)",
	    "\"ed25519:JuiVj8KyJ7BFw/SJ8u+Y8NXfrAXTxjM5sTgCiG1T/AU=\"",
	    "name: a", "name: b", "ids: keep", "10:12", "of small order" },
	{ "order 8 (2)",
	    "\"ed25519:JuiVj8KyJ7BFw/SJ8u+Y8NXfrAXTxjM5sTgCiG1T/IU=\"",
	    "name: a", "name: b", "ids: keep", "10:12", "of small order" },
	{ "order 8 (3)",
	    "\"ed25519:xxdqcD1N2E+6PAt2DRBnDyogU/osOczGTsf9d5KsA3o=\"",
	    "name: a", "name: b", "ids: keep", "10:12", "of small order" },
	{ "order 8 (4)",
	    "\"ed25519:xxdqcD1N2E+6PAt2DRBnDyogU/osOczGTsf9d5KsA/o=\"",
	    "name: a", "name: b", "ids: keep", "10:12", "of small order" },
	/* A good key plus a point of order 8, and of order 2. */
	{ "a small-order component (8)",
	    "\"ed25519:uaH8cpgoLq6JseWD7eU+fi8IWynDj8oMZYe5dNDHwu0=\"",
	    "name: a", "name: b", "ids: keep", "10:12",
	    "small-order component" },
	{ "a small-order component (2)",
	    "\"ed25519:ocdaj14BhFpVP+ai7TS678wXbvKmzRh/CYQQ8k78Lo8=\"",
	    "name: a", "name: b", "ids: keep", "10:12",
	    "small-order component" },
	/* y = p and y = p + 1 (0 and 1 again), x = 0 with the sign bit. */
	{ "y = p", "\"ed25519:7f///////////////////////////////////////38=\"",
	    "name: a", "name: b", "ids: keep", "10:12",
	    "not canonical (y is not below p)" },
	{ "y = p + 1",
	    "\"ed25519:7v///////////////////////////////////////38=\"",
	    "name: a", "name: b", "ids: keep", "10:12",
	    "not canonical (y is not below p)" },
	{ "x = 0 with the sign bit",
	    "\"ed25519:AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIA=\"",
	    "name: a", "name: b", "ids: keep", "10:12",
	    "not canonical (x is 0" },
	{ "y = 2, off the curve",
	    "\"ed25519:AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"",
	    "name: a", "name: b", "ids: keep", "10:12", "not on the curve" },
	{ "a weak second key",
	    KA ", \"ed25519:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\"",
	    "name: a", "name: b", "ids: keep", "10:68",
	    "key of party \"A\" is not a safe Ed25519 public key: " },
	/* Key ids. */
	{ "one key twice in a party", KA ", " KA, "name: a", "name: b",
	    "ids: keep", "10:68", "key appears twice in party \"A\"" },
	{ "one key in two parties", KB, "name: a", "name: b", "ids: keep",
	    "13:12", "key is already a key of party \"A\"" },
	/* Recipients. */
	{ "recipients", KA, "recipients: [\"" RA "\"]",
	    "recipients: [\"" RB "\"]", "ids: keep", NULL, NULL },
	{ "a recipient of small order (0)", KA, "name: a",
	    "recipients: [\"age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z\"]",
	    "ids: keep", "14:18",
	    "is refused: age recipient is a key of small "
	    "order" },
	{ "a recipient of small order (1)", KA, "name: a",
	    "recipients: [\"age1qyqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqj7vrya\"]",
	    "ids: keep", "14:18", "small order" },
	{ "a Bech32m recipient", KA, "name: a",
	    "recipients: [\"age15zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5qgsteg3s5\"]",
	    "ids: keep", "14:18", "does not decode" },
	{ "a recipient of 31 bytes", KA, "name: a",
	    "recipients: [\"age15zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5quvfq9r\"]",
	    "ids: keep", "14:18", "of 31 bytes, not 32" },
	{ "another prefix", KA, "name: a",
	    "recipients: [\"agf15zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5qgskcpjma\"]",
	    "ids: keep", "14:18", "should start with age1" },
	{ "a changed character", KA, "name: a",
	    "recipients: [\"age1kxcmrvd3kxcmrvd3kxcmrvd3kxcmrvd3kxcmrvd3kxcmrvd3ky3qvca5q8\"]",
	    "ids: keep", "14:18", "does not decode" },
	{ "upper case", KA, "name: a",
	    "recipients: [\"AGE1KXCMRVD3KXCMRVD3KXCMRVD3KXCMRVD3KXCMRVD3KXCMRVD3KY3QVCA5Q9\"]",
	    "ids: keep", "14:18", "lower case" },
	{ "an age identity", KA, "name: a",
	    "recipients: [\"AGE-SECRET-KEY-1\"]", "ids: keep", "14:18",
	    "lower case" },
	{ "not a list", KA, "name: a", "recipients: " RB, "ids: keep", "14:17",
	    "recipients must be a list, not a scalar" },
	{ "an empty list", KA, "name: a", "recipients: []", "ids: keep",
	    "14:17", "party \"B\" has no recipients" },
	{ "a recipient twice in a party", KA, "name: a",
	    "recipients: [\"" RB "\", \"" RB "\"]", "ids: keep", "14:84",
	    "recipient appears twice in party \"B\"" },
	{ "a recipient in two parties", KA, "recipients: [\"" RA "\"]",
	    "recipients: [\"" RA "\"]", "ids: keep", "14:18",
	    "recipient is already a recipient of party \"A\"" },
	{ "one recipient spelt with the high bit", KA,
	    "recipients: [\"" RA "\"]",
	    "recipients: [\"age15zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5zs2pg9q5zgs6p26w0\"]",
	    "ids: keep", "14:18",
	    "recipient is already a recipient of party \"A\"" },
	/* seal. */
	{ "seal: required", KA, "name: a", "recipients: [\"" RB "\"]",
	    "seal: required", NULL, NULL },
	{ "seal: optional", KA, "name: a", "name: b", "seal: optional", NULL,
	    NULL },
	{ "seal: required without recipients", KA, "recipients: [\"" RA "\"]",
	    "name: b", "seal: required", "17:10",
	    "the rule says seal: "
	    "required (line 21), but party \"B\" lists no recipients" },
	{ "seal: maybe", KA, "name: a", "recipients: [\"" RB "\"]",
	    "seal: maybe", "21:11",
	    "seal must be optional or required, not \"maybe\"" },
	{ "seal: Required", KA, "name: a", "recipients: [\"" RB "\"]",
	    "seal: Required", "21:11", "seal must be optional or required" },
	{ "seal: a list", KA, "name: a", "recipients: [\"" RB "\"]",
	    "seal: [required]", "21:11", "seal must be a scalar" },
};

static void
test_keys(void)
{
	char path[PATH_MAX], prefix[PATH_MAX + 64];
	struct buf b = BUF_INIT;
	struct ierr e;
	struct agreement *a;
	const struct ag_party *p;
	size_t i;
	int rc;

	snprintf(path, sizeof path, "%s/keys.yaml", tmpdir);
	for (i = 0; i < sizeof keycases / sizeof keycases[0]; i++) {
		const struct keycase *c = &keycases[i];

		buf_reset(&b);
		buf_printf(&b, key_template, c->akeys, c->aextra, c->bextra,
		    c->rextra);
		if (util_write_str(path, b.data, 0644) != 0) {
			ok(0, "write %s", path);
			continue;
		}
		err_clear(&e);
		a = NULL;
		rc = agreement_load(path, &a, &e);
		if (c->where == NULL) {
			if (!is_int(rc, 0, "%s: loads", c->why))
				diag("%s", e.msg);
			agreement_free(a);
			continue;
		}
		snprintf(prefix, sizeof prefix, "%s:%s: ", path, c->where);
		ok(rc == EXIT_CONFIG && a == NULL &&
			strncmp(e.msg, prefix, strlen(prefix)) == 0 &&
			strstr(e.msg, c->what) != NULL,
		    "%s: 78 at %s: ...%s...", c->why, c->where, c->what);
		if (rc != EXIT_CONFIG ||
		    strncmp(e.msg, prefix, strlen(prefix)) != 0 ||
		    strstr(e.msg, c->what) == NULL)
			diag("got %d %s", rc, e.msg);
		agreement_free(a);
	}

	/* What a good one holds. */
	buf_reset(&b);
	buf_printf(&b, key_template, KA, "name: a", "recipients: [\"" RB "\"]",
	    "seal: required");
	util_write_str(path, b.data, 0644);
	if (!is_int(agreement_load(path, &a, &e), 0, "seal: required loads"))
		return;
	ok(a->rules[0].seal == AG_SEAL_REQUIRED, "rule: seal required");
	p = agreement_party(a, "A");
	ok(p != NULL && p->nrecipients == 0 && p->recipients == NULL,
	    "A lists no recipients");
	p = agreement_party(a, "B");
	ok(p != NULL && p->nrecipients == 1 && p->recipients[0][0] == 0xb1 &&
		p->recipients[0][31] == 0x22,
	    "B's recipient decoded");
	agreement_free(a);
	buf_reset(&b);
	buf_printf(&b, key_template, KA, "name: a", "name: b", "ids: keep");
	util_write_str(path, b.data, 0644);
	if (is_int(agreement_load(path, &a, &e), 0, "no seal member loads")) {
		ok(a->rules[0].seal == AG_SEAL_OPTIONAL,
		    "seal: optional by default");
		agreement_free(a);
	}
	buf_free(&b);
}

static void
test_missing(void)
{
	char path[PATH_MAX];
	struct ierr e = IERR_INIT;
	struct agreement *a = NULL;

	fixture(path, sizeof path, "no-such-agreement.yaml");
	is_int(agreement_load(path, &a, &e), EXIT_NOINPUT,
	    "a missing agreement file: 66");
	ok(a == NULL && strstr(e.msg, "no-such-agreement.yaml") != NULL,
	    "the message names the file");
	fixture(path, sizeof path, "bad");
	is_int(agreement_load(path, &a, &e), EXIT_NOINPUT,
	    "a folder as agreement: 66");
}

/* ---------------------------------------------------------------- */

static void
test_pseudonym_key(void)
{
	char src[PATH_MAX], yaml[PATH_MAX + 32], psk[PATH_MAX + 32];
	unsigned char *key = NULL;
	char *want;
	struct ierr e = IERR_INIT;
	struct agreement *a = NULL;
	size_t len = 0, wlen;
	long n;

	snprintf(yaml, sizeof yaml, "%s/trilateral.yaml", tmpdir);
	snprintf(psk, sizeof psk, "%s/trilateral.psk", tmpdir);
	fixture(src, sizeof src, "trilateral.yaml");
	if (!ok(util_copy_file(src, yaml, 0644) == 0, "copy the agreement"))
		return;
	if (!is_int(agreement_load(yaml, &a, &e), 0, "load the copy")) {
		diag("%s", e.msg);
		return;
	}
	is_str(a->pseudonym_key, psk, "key path beside the copy");

	fixture(src, sizeof src, "trilateral.psk");
	want = util_read_file(src, &wlen);
	n = want != NULL ? (long)wlen : -1;
	ok(util_copy_file(src, psk, 0600) == 0, "key copied, mode 0600");
	is_int(agreement_load_pseudonym_key(a, &key, &len, &e), 0,
	    "mode 0600: loaded");
	ok(key != NULL && n >= 32 && len == (size_t)n &&
		memcmp(key, want, len) == 0,
	    "every byte of the key (%zu)", len);
	ok(key != NULL && gcry_is_secure(key), "in secure memory");
	gcry_free(key);
	free(want);

	chmod(psk, 0644);
	err_clear(&e);
	is_int(agreement_load_pseudonym_key(a, &key, &len, &e), EXIT_NOPERM,
	    "mode 0644: 77");
	ok(key == NULL && strstr(e.msg, psk) != NULL,
	    "no key, the message names the file");
	chmod(psk, 0620);
	is_int(agreement_load_pseudonym_key(a, &key, &len, &e), EXIT_NOPERM,
	    "mode 0620 (group may write): 77");
	chmod(psk, 0604);
	is_int(agreement_load_pseudonym_key(a, &key, &len, &e), EXIT_NOPERM,
	    "mode 0604 (others may read): 77");
	chmod(psk, 0400);
	is_int(agreement_load_pseudonym_key(a, &key, &len, &e), 0,
	    "mode 0400: loaded");
	gcry_free(key);

	fixture(src, sizeof src, "short.psk");
	util_copy_file(src, psk, 0600);
	err_clear(&e);
	is_int(agreement_load_pseudonym_key(a, &key, &len, &e), EXIT_CONFIG,
	    "20 bytes: 78");
	ok(key == NULL && strstr(e.msg, psk) != NULL &&
		strstr(e.msg, "shorter than 32 bytes") != NULL,
	    "message: %s", e.msg);

	unlink(psk);
	err_clear(&e);
	is_int(agreement_load_pseudonym_key(a, &key, &len, &e), EXIT_CONFIG,
	    "missing: 78");
	ok(key == NULL && strstr(e.msg, psk) != NULL, "message: %s", e.msg);
	agreement_free(a);

	/* No pseudonym_key at all. */
	fixture(src, sizeof src, "times.yaml");
	if (agreement_load(src, &a, &e) == 0) {
		is_int(agreement_load_pseudonym_key(a, &key, &len, &e),
		    EXIT_CONFIG, "an agreement without pseudonym_key: 78");
		agreement_free(a);
	} else
		ok(0, "times.yaml loads: %s", e.msg);
}

/* The table of field actions (action.h): reading and writing them. */
static void
test_actions(void)
{
	static const struct {
		const char *text;
		int action; /* -1: refused */
		int arg;
	} cases[] = {
		{ "keep", AG_KEEP, 0 },
		{ "drop", AG_DROP, 0 },
		{ "pseudonymise", AG_PSEUDONYMISE, 0 },
		{ "mask:0", AG_MASK, 0 },
		{ "mask:1000000", AG_MASK, 1000000 },
		{ "generalise:year", AG_GENERALISE_YEAR, 0 },
		{ "generalise:month", AG_GENERALISE_MONTH, 0 },
		{ "round:0", AG_ROUND, 0 },
		{ "round:15", AG_ROUND, 15 },
		{ "mask:1000001", -1, 0 },
		{ "mask:99999999999999999999", -1, 0 },
		{ "round:16", -1, 0 },
		{ "mask:01", -1, 0 },
		{ "mask:", -1, 0 },
		{ "mask", -1, 0 },
		{ "mask:-1", -1, 0 },
		{ "mask:+1", -1, 0 },
		{ "keep:1", -1, 0 },
		{ "keeps", -1, 0 },
		{ "Keep", -1, 0 },
		{ "generalise", -1, 0 },
		{ "generalise:day", -1, 0 },
		{ "generalise:year:1", -1, 0 },
		{ "", -1, 0 },
	};
	char text[64], list[256];
	enum ag_action act;
	int arg;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = action_parse(cases[i].text, &act, &arg);

		if (cases[i].action < 0) {
			is_int(rc, -1, "action %s refused", cases[i].text);
			continue;
		}
		ok(rc == 0 && (int)act == cases[i].action &&
			arg == cases[i].arg,
		    "action %s read", cases[i].text);
		action_format(act, arg, text, sizeof text);
		is_str(text, cases[i].text, "action %s written back",
		    cases[i].text);
	}
	action_list(list, sizeof list);
	is_str(list,
	    "keep, drop, pseudonymise, mask:N, generalise:year, "
	    "generalise:month, round:0 to round:15",
	    "the list of actions");
	ok(action_word_first(AG_GENERALISE_YEAR) &&
		!action_word_first(AG_GENERALISE_MONTH) &&
		!action_word_first(AG_KEEP) && action_word_first(AG_DROP),
	    "generalise:year and :month share one word; keep has none");
}

int
main(void)
{
	srcdir = getenv("top_srcdir");
	if (srcdir == NULL || *srcdir == '\0')
		srcdir = ".";
	tmpdir = util_tmpdir("test-agreement");

	test_good();
	test_times();
	test_bad();
	test_keys();
	test_missing();
	test_pseudonym_key();
	test_actions();

	return done_testing();
}
