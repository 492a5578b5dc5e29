/*
 * Records (SPEC 2): one JSON object per line, an envelope around `data`.
 */
#ifndef INTEL_RECORD_H
#define INTEL_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "err.h"

/* Checks the envelope of a record: required members present, every member
 * known and of its type (SPEC 2).  0, or EXIT_DATAERR naming the member. */
int record_validate(const json_t *rec, struct ierr *e);

/* Parses one line as a record (jsonio_parse, an object, record_validate).
 * On success *out is the caller's.  EXIT_DATAERR otherwise; the caller
 * puts FILE:LINE in front of the message. */
int record_parse(const char *line, size_t len, json_t **out, struct ierr *e);

/* A string member of the envelope, or NULL if absent or not a string. */
const char *record_str(const json_t *rec, const char *member);
/* The version, or 0 if absent. */
int64_t record_version(const json_t *rec);
/* Is this version a recall notice (withdrawn: true)? */
int record_withdrawn(const json_t *rec);

/* Does s read "pn:" and 32 lowercase hex digits (a pseudonym)? */
int record_is_pseudonym(const char *s, size_t len);

/* Is this one of the envelope member names of SPEC 2? */
int record_envelope_member(const char *name);

#endif
