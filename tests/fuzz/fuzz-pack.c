/*
 * fuzz-pack: a whole input to intel-pack (SPEC 4), NDJSON, JSON or CSV.
 *
 * The first byte chooses the format (bits 0-1: ndjson, json, csv), the
 * command-line fill-ins (bit 2: --origin and --type; bit 3:
 * --classification and --purpose) and the agreement check (bit 4: -a with
 * the trilateral fixture).  The rest is the input file.
 *
 * Invariants: input_read() reads a file to its end (status 0) and tells
 * of every malformed object with a message; every record pack_record()
 * makes is valid (record_validate), its canonical text parses as a record
 * and is stable; packing a copy of the same object gives the same bytes
 * (derived ids are deterministic); with -a, the classification and
 * purposes are the agreement's.
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
#include "input.h"
#include "jsonio.h"
#include "pack.h"
#include "record.h"
#include "fuzz-util.h"

static const char *const purposes[] = { "smuggling" };

static char *
canon(const json_t *v, size_t *len)
{
	struct buf b = BUF_INIT;
	struct ierr e = IERR_INIT;

	if (jsonio_canon(&b, v, &e) != 0)
		fz_fail("jsonio_canon refused a packed record: %s", e.msg);
	*len = b.len;
	return b.data;
}

static int
on_object(void *arg, const char *name, unsigned long line, json_t *obj,
    const struct ierr *bad)
{
	const struct pack_opts *o = arg;
	struct ierr e = IERR_INIT;
	json_t *copy, *rec = NULL, *rec2 = NULL, *again = NULL;
	char *c1, *c2, *c3;
	size_t l1, l2, l3;
	const char *cls;
	size_t i;
	int rc, rc2;

	if (line == 0 || name == NULL)
		fz_fail("input_read: object without a name or line");
	if (obj == NULL) {
		if (bad == NULL || bad->msg[0] == '\0')
			fz_fail("input_read: malformed object without a "
				"message at line %lu",
			    line);
		return 0;
	}
	if ((copy = json_deep_copy(obj)) == NULL)
		abort();
	rc = pack_record(o, obj, &rec, &e);
	rc2 = pack_record(o, copy, &rec2, &e);
	if (rc != rc2)
		fz_fail("pack_record differs on a copy: %d, %d", rc, rc2);
	if (rc != 0) {
		if (rc != EXIT_DATAERR || e.msg[0] == '\0')
			fz_fail("pack_record: status %d '%s'", rc, e.msg);
		return 0;
	}
	if (record_validate(rec, &e) != 0)
		fz_fail("pack_record made an invalid record: %s", e.msg);
	c1 = canon(rec, &l1);
	c2 = canon(rec2, &l2);
	if (l1 != l2 || memcmp(c1, c2, l1) != 0)
		fz_fail("pack_record is not deterministic:\n%s\n%s", c1, c2);
	if (record_parse(c1, l1, &again, &e) != 0)
		fz_fail("a packed record does not parse: %s\n%s", e.msg, c1);
	c3 = canon(again, &l3);
	if (l1 != l3 || memcmp(c1, c3, l1) != 0)
		fz_fail("a packed record is not canonical:\n%s\n%s", c1, c3);
	if (o->agreement != NULL) {
		json_t *p, *v;

		cls = record_str(rec, "classification");
		if (cls != NULL && agreement_class_rank(o->agreement, cls) < 0)
			fz_fail("-a let an unknown classification through");
		p = json_object_get(rec, "purposes");
		json_array_foreach(
		    p, i, v) if (!agreement_has_purpose(o->agreement,
				     json_string_value(v)))
		    fz_fail("-a let an unknown purpose through");
	}
	free(c1);
	free(c2);
	free(c3);
	json_decref(rec);
	json_decref(rec2);
	json_decref(again);
	return 0;
}

void
fz_init(void)
{
	fz_agreement("trilateral.yaml");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct crypto_hmac *id_key;
	static const enum input_format fmts[] = { INPUT_NDJSON, INPUT_JSON,
		INPUT_CSV, INPUT_NDJSON };
	struct pack_opts o;
	struct ierr e = IERR_INIT;
	const char *path;
	int rc;

	if (size < 1)
		return 0;
	memset(&o, 0, sizeof o);
	o.now = FZ_NOW;
	if (data[0] & 4) {
		o.origin = "DE-BKA";
		o.type = "person";
	}
	if (data[0] & 8) {
		o.classification = "RESTRICTED";
		o.purposes = purposes;
		o.npurposes = 1;
	}
	if (data[0] & 16)
		o.agreement = fz_agreement("trilateral.yaml");
	if (id_key == NULL) /* keyed ids, so packing is repeatable */
		id_key = crypto_hmac_new(
		    "fuzz-pack id key, 32 bytes long.", 32);
	o.id_key = id_key;
	path = fz_write("pack.in", data + 1, size - 1);
	rc = input_read(path, fmts[data[0] & 3], on_object, &o, &e);
	if (rc != 0)
		fz_fail("input_read on a readable file: %d %s", rc, e.msg);
	return 0;
}
