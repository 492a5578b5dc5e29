/*
 * JSON in and out.
 *
 * jsonio_parse() reads one JSON text with the rules of SPEC 2: duplicate
 * keys, invalid UTF-8, "\u0000", integers outside the signed 64-bit range
 * (an integral real such as 1e19 included), reals that overflow, and
 * nesting deeper than JSONIO_MAX_DEPTH are errors (EXIT_DATAERR).  The
 * caller owns *out (json_decref).  The message says what is wrong and, for
 * syntax errors, at which column; the caller adds file and line.
 *
 * jsonio_canon() appends the canonical form of a value (SPEC 2: RFC 8785
 * strings and numbers, no white space, object keys in UTF-8 byte order) to
 * a buffer.  It is the only serialiser any tool uses for what it writes.
 */
#ifndef INTEL_JSONIO_H
#define INTEL_JSONIO_H

#include <stddef.h>
#include <jansson.h>

#include "buf.h"
#include "err.h"

#define JSONIO_MAX_DEPTH 512

/* Parses text[0..len); anything but white space after the value is an
 * error.  Any JSON value is accepted; callers check for objects. */
int jsonio_parse(const char *text, size_t len, json_t **out, struct ierr *e);

/* Appends the canonical serialisation of v to b.  Returns 0, or
 * EXIT_DATAERR (message set) for a value with no JSON form (NaN, inf). */
int jsonio_canon(struct buf *b, const json_t *v, struct ierr *e);

/* Writes the shortest text that reads back to d, laid out as RFC 8785
 * (ECMAScript Number.prototype.toString): 8.68, 1, 1e+21, 1.5e-7.
 * d must be finite.  out has room for JSONIO_NUMBER_MAX bytes. */
#define JSONIO_NUMBER_MAX 32
void jsonio_number(double d, char *out);

/* Appends s[0..len) as a canonical JSON string (quotes included). */
void jsonio_string(struct buf *b, const char *s, size_t len);

/* Compares two values by their canonical bytes (memcmp order). */
int jsonio_canon_cmp(const json_t *a, const json_t *b);

#endif
