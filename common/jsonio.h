/*
 * JSON in and out.
 *
 * jsonio_parse() reads one JSON text with the rules of SPEC 2: duplicate
 * keys, invalid UTF-8, "\u0000", a raw NUL byte, integers outside the
 * signed 64-bit range (an integral real such as 1e19 included), reals that
 * overflow, and nesting deeper than JSONIO_MAX_DEPTH are errors
 * (EXIT_DATAERR).  Reals that underflow read as 0.  The caller owns *out
 * (json_decref).  The message says what is wrong and, for errors jansson
 * finds, where ("at column N", or "at line L, column N" past the first
 * line; columns count characters from 1); a number out of range is
 * located by its path ("at data.tags[1]").  The caller adds file and line.
 * Messages never repeat input text other than a duplicate key (at most 32
 * bytes): jansson's "near '...'" context is dropped.
 *
 * jsonio_canon() appends the canonical form of a value (SPEC 2: RFC 8785
 * strings and numbers, no white space, object keys in UTF-8 byte order) to
 * a buffer.  It is the only serialiser any tool uses for what it writes.
 *
 * Nesting: jansson refuses past its own compiled limit (2048) without deep
 * recursion problems; a walk after parsing refuses 513 to 2048 levels and
 * never descends further than JSONIO_MAX_DEPTH.  jsonio_canon() refuses
 * values nested deeper than JSONIO_MAX_DEPTH too, so no walker of ours
 * recurses more than that, whatever the input (100,000 levels included).
 *
 * All functions are reentrant and keep no state; values may be shared
 * between threads only as jansson allows (read-only).
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
 * EXIT_DATAERR (message set) for a value with no JSON form (NaN, inf) or
 * nested deeper than JSONIO_MAX_DEPTH; then b is left as it was.  Strings
 * are written as they are held (jansson checks UTF-8 when it makes them). */
int jsonio_canon(struct buf *b, const json_t *v, struct ierr *e);

/* Writes the shortest text that reads back to d, laid out as RFC 8785
 * (ECMAScript Number.prototype.toString): 8.68, 1, 1e+21, 1.5e-7; -0 is
 * "0".  Among texts of the fewest digits, the one nearest d.  d must be
 * finite ("0" otherwise).  out has room for JSONIO_NUMBER_MAX bytes
 * (NUL included).  Independent of LC_NUMERIC. */
#define JSONIO_NUMBER_MAX 32
void jsonio_number(double d, char *out);

/* Appends s[0..len) as a canonical JSON string (quotes included): only
 * '"', '\\' and bytes below 0x20 are escaped (\b \f \n \r \t, else
 * \u00xx in lower case); other bytes are copied, and not checked. */
void jsonio_string(struct buf *b, const char *s, size_t len);

/* Compares two values by their canonical bytes (memcmp order, a prefix
 * first): <0, 0, >0.  1.0 and 1 compare equal.  A value with no canonical
 * form compares as empty. */
int jsonio_canon_cmp(const json_t *a, const json_t *b);

#endif
