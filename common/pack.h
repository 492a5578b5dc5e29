/*
 * Turning raw input objects into records (SPEC 4).
 */
#ifndef INTEL_PACK_H
#define INTEL_PACK_H

#include <stdint.h>
#include <jansson.h>

#include "agreement.h"
#include "crypto.h"
#include "err.h"

struct pack_opts {
	const char *origin; /* fill-ins from the command line, */
	const char *type;   /* each NULL when not given */
	const char *classification;
	const char *const *purposes; /* npurposes strings */
	size_t npurposes;
	int64_t now; /* created, when the input has none */
	const struct agreement *agreement; /* NULL: no -a checks */
	struct crypto_hmac *id_key;	   /* the id key's HMAC (the caller's,
					 * one per thread); NULL: random ids */
};

/*
 * Makes a record of obj, which it consumes.  On success *rec is the
 * caller's; otherwise EXIT_DATAERR says what is wrong.  A record gets an
 * id of pack_id()'s exactly when obj has no "id" member.
 */
int pack_record(
    const struct pack_opts *o, json_t *obj, json_t **rec, struct ierr *e);

/*
 * The id of a record that has none (SPEC 4): with an id key, the first 32
 * hex digits of HMAC-SHA256(id key, the canonical JSON of {"data",
 * "origin","type"}), the same for the same data at any time; without
 * one (id_key NULL), 32 random hex digits.  Never an unkeyed digest of
 * the data, which would let anyone test guesses of withheld values
 * against it.  out has 33 bytes.
 */
int pack_id(struct crypto_hmac *id_key, const json_t *data, const char *origin,
    const char *type, char out[33], struct ierr *e);

#endif
