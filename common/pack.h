/*
 * Turning raw input objects into records (SPEC 4).
 */
#ifndef INTEL_PACK_H
#define INTEL_PACK_H

#include <stdint.h>
#include <jansson.h>

#include "agreement.h"
#include "err.h"

struct pack_opts {
	const char *origin;		/* fill-ins from the command line, */
	const char *type;		/* each NULL when not given */
	const char *classification;
	const char *const *purposes;	/* npurposes strings */
	size_t npurposes;
	int64_t now;			/* created, when the input has none */
	const struct agreement *agreement; /* NULL: no -a checks */
};

/*
 * Makes a record of obj, which it consumes.  On success *rec is the
 * caller's; otherwise EXIT_DATAERR says what is wrong.
 */
int pack_record(const struct pack_opts *o, json_t *obj, json_t **rec,
    struct ierr *e);

/* The derived id: the first 32 hex digits of SHA-256 over the canonical
 * JSON of {"data","origin","type"}.  out has 33 bytes. */
int pack_derive_id(const json_t *data, const char *origin, const char *type,
    char out[33], struct ierr *e);

#endif
