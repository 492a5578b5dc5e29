/*
 * A scanner for canonical record lines (SPEC 2), without a parse tree.
 *
 * scan_json() and scan_record() read one line (no newline) in one pass
 * and allocate nothing.  They accept a text only when it is exactly what
 * the canonical writer (jsonio_canon) writes for the value jsonio_parse
 * reads from it: no white space, object keys in strictly rising UTF-8
 * byte order (so no duplicates), strings with only the escapes the
 * writer uses, valid UTF-8 and no \u0000, integers as plain digits within
 * the signed 64-bit range, other numbers exactly as jsonio_number writes
 * them, nesting no deeper than JSONIO_MAX_DEPTH.  Anything else is "not
 * canonical" (SCAN_NOT_CANONICAL): the caller then takes the jansson path
 * (record_parse and friends), which says what is wrong exactly as it
 * always has.  The scanner never explains; it only says yes or "ask the
 * other path".
 *
 * scan_record() also checks the envelope rules of record_validate() and
 * hands out the envelope members as slices of the line (borrowed: they
 * live as long as the line), and walks the values inside `data` with a
 * callback.
 *
 * Reentrant; no state is kept between calls.
 */
#ifndef INTEL_SCAN_H
#define INTEL_SCAN_H

#include <stddef.h>
#include <stdint.h>

#define SCAN_OK 0
#define SCAN_NOT_CANONICAL 1 /* or not a valid record */

/* The envelope members of SPEC 2, in canonical (byte) order. */
enum scan_member {
	SCAN_CLASSIFICATION,
	SCAN_CREATED,
	SCAN_DATA,
	SCAN_EXPIRES,
	SCAN_ID,
	SCAN_ORIGIN,
	SCAN_PURPOSES,
	SCAN_RECEIVED,
	SCAN_RELEASABLE_TO,
	SCAN_TYPE,
	SCAN_VERSION,
	SCAN_WITHDRAWN,
	SCAN_NMEMBERS
};

/* A member as it sits in the line. */
struct scan_slot {
	const char *member; /* its key's opening quote; NULL: absent */
	size_t mlen;	    /* "key":value, to the end of the value */
	const char *value;  /* its value's text (a string: quotes too) */
	size_t vlen;
};

struct scan_record {
	struct scan_slot m[SCAN_NMEMBERS];
	int64_t version;
	int withdrawn; /* withdrawn: true */
};

/* What the walk over data reports. */
enum scan_kind {
	SCAN_OBJECT,
	SCAN_ARRAY,
	SCAN_STRING,
	SCAN_INTEGER,
	SCAN_REAL,
	SCAN_TRUE,
	SCAN_FALSE,
	SCAN_NULL
};

enum scan_event {
	SCAN_KEY,   /* a member name; the value follows */
	SCAN_BEGIN, /* an object or array starts (empty: {} or []) */
	SCAN_END,   /* the innermost open object or array ends */
	SCAN_LEAF   /* a string, number, boolean or null */
};

struct scan_val {
	enum scan_kind kind;
	const char *p; /* a string's or key's bytes between the
				 * quotes, as written (escaped); a number's
				 * text; a container's opening bracket */
	size_t len;
	int esc;    /* a string or key holds an escape */
	int empty;  /* SCAN_BEGIN: {} or [] */
	double num; /* SCAN_REAL: its value */
};

/*
 * Called for every event inside data, in document order (data itself is
 * not reported).  A non-zero return stops the calls; the scan still
 * validates the rest of the line.
 */
typedef int scan_fn(void *arg, enum scan_event ev, const struct scan_val *v);

/* Is text[0..len) a canonical JSON text?  SCAN_OK or SCAN_NOT_CANONICAL. */
int scan_json(const char *text, size_t len);

/*
 * Is line[0..len) a canonical record that record_parse() accepts?  On
 * SCAN_OK *r describes it.  fn (may be NULL) walks data.
 */
int scan_record(const char *line, size_t len, struct scan_record *r,
    scan_fn *fn, void *arg);

/*
 * A string member's text between its quotes, when it holds no escape:
 * 1 and *s, *len set; 0 when absent, not a string or escaped.
 */
int scan_plain(const struct scan_record *r, enum scan_member m, const char **s,
    size_t *len);

/*
 * The strings of a canonical array of strings (purposes, releasable_to),
 * one at a time: start with *pos = 0; returns 1 with the next element's
 * bytes between its quotes (escaped as written) in *s, *len and *esc, or 0
 * at the end.
 */
int scan_next_string(const char *arr, size_t alen, size_t *pos, const char **s,
    size_t *len, int *esc);

/*
 * Compares two strings as written (escaped) by the bytes they stand
 * for: <0, 0, >0, memcmp order, a prefix first.
 */
int scan_strcmp(const char *a, size_t alen, const char *b, size_t blen);

/*
 * scan_record() with the leaves of data handed out with their paths as
 * intel-merge --hits writes them: member names (unescaped) joined with
 * '.', array positions left out ("vehicles.plate").  fn gets every
 * string, number, boolean and null, in document order, with the path in
 * path->data[0..pathlen) (path is the caller's, reused: it grows to the
 * longest path, never per value).  A non-zero return stops the calls.
 */
struct buf;
typedef int scan_leaf_fn(
    void *arg, const char *path, size_t pathlen, const struct scan_val *v);
int scan_paths(const char *line, size_t len, struct scan_record *r,
    struct buf *path, scan_leaf_fn *fn, void *arg);

/*
 * Appends the record to b, canonical, with members set: set[m], when not
 * NULL, is the canonical JSON text that member m gets (added where it was
 * absent); every other member is copied as it is.  No newline.
 */
void scan_rewrite(struct buf *b, const struct scan_record *r,
    const char *const set[SCAN_NMEMBERS]);

/* Unescapes a canonical string's bytes into out (room for len bytes);
 * returns the length written. */
size_t scan_unescape(const char *s, size_t len, char *out);

#endif
