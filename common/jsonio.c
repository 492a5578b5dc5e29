/*
 * Reading JSON (jsonio_parse of jsonio.h): the fast reader first, then,
 * for any text it does not take, the careful way through jansson with the
 * checks of SPEC 2 and the messages that say what is wrong and where.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exitcodes.h"
#include "jsonio.h"
#include "jsonio-int.h"

/* Bytes that a JSON string cannot hold raw. */
const unsigned char jsonio_special[256] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, ['"'] = 1, ['\\'] = 1 };

/*
 * Reading.
 *
 * The fast reader (jsonio-fast.c) takes the texts it can read exactly as
 * jansson would; any other text goes the careful way, which alone words
 * errors.  There a scan refuses NUL bytes and nesting deeper than
 * JSONIO_MAX_DEPTH before jansson starts.  jansson does the lexing and
 * refuses duplicate keys, invalid UTF-8, "\u0000", integers beyond long
 * long and reals that overflow.  One walk over the result then refuses
 * integral reals outside the signed 64-bit range (1e19).  The walk stops
 * descending at JSONIO_MAX_DEPTH (again), so its recursion is bounded.
 */

#define KEY_SHOWN 32 /* bytes of a duplicate key put in a message */

static void
jsonio_where(char *w, size_t size, const json_error_t *je)
{
	if (je->line > 1)
		snprintf(
		    w, size, "at line %d, column %d", je->line, je->column);
	else
		snprintf(
		    w, size, "at column %d", je->column < 0 ? 0 : je->column);
}

/*
 * jansson ends its messages with "near '<up to 20 bytes of input>'".
 * Input may be a record's data, so that part is never repeated.
 */
static void
jsonio_strip_near(char *text)
{
	char *p;

	if ((p = strstr(text, " near '")) != NULL)
		*p = '\0';
}

/*
 * After a duplicate key jansson stops just past the key's closing quote:
 * walk back to the opening quote (a quote preceded by an even number of
 * backslashes) and show at most KEY_SHOWN bytes of the key's text.
 */
static void
jsonio_dup_key(const char *text, size_t len, const json_error_t *je, char *key,
    size_t size)
{
	size_t end, i, n, bs;

	key[0] = '\0';
	if (je->position < 2 || (size_t)je->position > len)
		return;
	end = (size_t)je->position - 1;
	if (text[end] != '"')
		return;
	for (i = end; i-- > 0;) {
		if (text[i] != '"')
			continue;
		for (bs = 0; bs < i && text[i - 1 - bs] == '\\'; bs++)
			;
		if (bs % 2 == 0)
			break;
	}
	if (i == (size_t)-1 || i >= end)
		return;
	n = end - i - 1;
	if (n > KEY_SHOWN) {
		n = KEY_SHOWN;
		/* Do not cut a UTF-8 sequence. */
		while (n > 0 && ((unsigned char)text[i + 1 + n] & 0xc0) == 0x80)
			n--;
	}
	if (n + 4 > size)
		return;
	memcpy(key, text + i + 1, n);
	key[n] = '\0';
	if (n < end - i - 1)
		strcat(key, "...");
}

static int
jsonio_load_error(
    const char *text, size_t len, json_error_t *je, struct ierr *e)
{
	char where[64], key[KEY_SHOWN + 8];
	size_t i;

	jsonio_where(where, sizeof where, je);
	switch (json_error_code(je)) {
	case json_error_duplicate_key:
		jsonio_dup_key(text, len, je, key, sizeof key);
		if (key[0] != '\0')
			return err_set(e, EXIT_DATAERR,
			    "duplicate key \"%s\" %s", key, where);
		return err_set(e, EXIT_DATAERR, "duplicate key %s", where);
	case json_error_null_character:
		return err_set(
		    e, EXIT_DATAERR, "\\u0000 in a string %s", where);
	case json_error_null_byte_in_key:
		return err_set(e, EXIT_DATAERR, "\\u0000 in a key %s", where);
	case json_error_invalid_utf8:
		return err_set(e, EXIT_DATAERR, "invalid UTF-8 %s", where);
	case json_error_numeric_overflow:
		return err_set(
		    e, EXIT_DATAERR, "number out of range %s", where);
	case json_error_stack_overflow:
		return err_set(e, EXIT_DATAERR,
		    "nesting deeper than %d levels %s", JSONIO_MAX_DEPTH,
		    where);
	case json_error_out_of_memory:
		return err_set(
		    e, EXIT_DATAERR, "out of memory reading JSON %s", where);
	default:
		break;
	}
	for (i = 0; i < len; i++) {
		if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' &&
		    text[i] != '\r')
			break;
	}
	if (i == len)
		return err_set(e, EXIT_DATAERR, "no JSON value");
	jsonio_strip_near(je->text);
	return err_set(e, EXIT_DATAERR, "invalid JSON %s: %s", where, je->text);
}

/*
 * Where a bad number sits, e.g. "data.tags[2]", built from the inside out
 * while the walk unwinds: only an error pays for it.  Keys are not secret.
 */
#define PATH_MAX_SHOWN 96

struct jsonio_path {
	char s[PATH_MAX_SHOWN + 1];
	size_t start; /* the path is s[start..PATH_MAX_SHOWN) */
	int cut;      /* some of the outer part did not fit */
};

static void
jsonio_path_key(struct jsonio_path *p, const char *key, size_t len)
{
	if (p->cut)
		return;
	if (len > KEY_SHOWN || len + 1 > p->start) {
		p->cut = 1;
		return;
	}
	p->start -= len;
	memcpy(p->s + p->start, key, len);
	p->s[--p->start] = '.';
}

static void
jsonio_path_index(struct jsonio_path *p, size_t i)
{
	char tmp[32];
	int n;

	if (p->cut)
		return;
	n = snprintf(tmp, sizeof tmp, "[%zu]", i);
	if ((size_t)n > p->start) {
		p->cut = 1;
		return;
	}
	p->start -= n;
	memcpy(p->s + p->start, tmp, n);
}

/* Returns 0, 1 for a bad number (path being built), or -1 for depth. */
static int
jsonio_check(const json_t *v, int depth, struct jsonio_path *p)
{
	double d;
	size_t i, n;
	void *it;
	int rc;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (depth >= JSONIO_MAX_DEPTH)
			return -1;
		for (it = json_object_iter((json_t *)v); it != NULL;
		     it = json_object_iter_next((json_t *)v, it)) {
			rc = jsonio_check(
			    json_object_iter_value(it), depth + 1, p);
			if (rc > 0)
				jsonio_path_key(p, json_object_iter_key(it),
				    json_object_iter_key_len(it));
			if (rc != 0)
				return rc;
		}
		return 0;
	case JSON_ARRAY:
		if (depth >= JSONIO_MAX_DEPTH)
			return -1;
		n = json_array_size(v);
		for (i = 0; i < n; i++) {
			rc = jsonio_check(json_array_get(v, i), depth + 1, p);
			if (rc > 0)
				jsonio_path_index(p, i);
			if (rc != 0)
				return rc;
		}
		return 0;
	case JSON_REAL:
		/*
		 * Every double of magnitude 2^53 or more is an integer, so
		 * this is exactly "an integer outside the signed 64-bit
		 * range"; the negated test also catches NaN.
		 */
		d = json_real_value(v);
		if (!(d >= -0x1p63 && d < 0x1p63))
			return 1;
		return 0;
	default:
		return 0;
	}
}

static int
jsonio_check_top(const json_t *v, struct ierr *e)
{
	struct jsonio_path p;
	const char *path;
	int rc;

	p.start = PATH_MAX_SHOWN;
	p.s[PATH_MAX_SHOWN] = '\0';
	p.cut = 0;
	rc = jsonio_check(v, 0, &p);
	if (rc == 0)
		return 0;
	if (rc < 0)
		return err_set(e, EXIT_DATAERR, "nesting deeper than %d levels",
		    JSONIO_MAX_DEPTH);
	path = p.s + p.start;
	if (*path == '.')
		path++;
	if (*path == '\0')
		return err_set(e, EXIT_DATAERR,
		    "number out of range (an "
		    "integer beyond the signed 64-bit range)");
	return err_set(e, EXIT_DATAERR,
	    "number out of range (an integer "
	    "beyond the signed 64-bit range) at %s%s",
	    p.cut ? "..." : "", path);
}

/* Where text[at] is, counted as jansson does: characters, from 1. */
static void
jsonio_where_at(char *w, size_t size, const char *text, const char *at)
{
	json_error_t je;
	const char *p;

	je.line = 1;
	je.column = 1;
	for (p = text; p < at; p++) {
		if (*p == '\n') {
			je.line++;
			je.column = 1;
		} else if (((unsigned char)*p & 0xc0) != 0x80)
			je.column++;
	}
	jsonio_where(w, size, &je);
}

/*
 * jansson recurses once per level up to its limit of 2048, which takes
 * some 200 KB of stack: more than a small thread stack may have.  So
 * nesting is checked before jansson sees the text.  A count of '[' and
 * '{' bytes (one cheap pass) settles it for any text with at most
 * JSONIO_MAX_DEPTH of them; only others are scanned with strings skipped.
 * Returns 0 or EXIT_DATAERR.
 */
static int
jsonio_prescan(const char *text, size_t len, struct ierr *e)
{
	const unsigned char *s = (const unsigned char *)text;
	char where[64];
	size_t i, opens = 0;
	int depth = 0, instr = 0;

	for (i = 0; i < len; i++)
		opens += (s[i] | 0x20) == '{'; /* '[' is 0x5b, '{' 0x7b */
	if (opens <= JSONIO_MAX_DEPTH)
		return 0;
	for (i = 0; i < len; i++) {
		if (instr) {
			if (s[i] == '\\')
				i++;
			else if (s[i] == '"')
				instr = 0;
			continue;
		}
		switch (s[i]) {
		case '"':
			instr = 1;
			break;
		case '[':
		case '{':
			if (++depth > JSONIO_MAX_DEPTH) {
				jsonio_where_at(
				    where, sizeof where, text, text + i);
				return err_set(e, EXIT_DATAERR,
				    "nesting deeper than %d levels %s",
				    JSONIO_MAX_DEPTH, where);
			}
			break;
		case ']':
		case '}':
			depth--;
			break;
		}
	}
	return 0;
}

int
jsonio_parse(const char *text, size_t len, json_t **out, struct ierr *e)
{
	json_error_t je;
	char where[64];
	const char *nul;
	json_t *v;

	*out = NULL;
	/*
	 * The fast reader takes no NUL byte, nests no deeper than
	 * JSONIO_MAX_DEPTH and takes no number jsonio_check refuses: what it
	 * reads passes every test below.
	 */
	if ((v = jsonio_fast_parse(text, len)) != NULL) {
		*out = v;
		return 0;
	}
	/*
	 * A NUL byte is valid nowhere in JSON, but jansson takes one after
	 * a top-level number ("123\0") for the end of the text.
	 */
	if ((nul = memchr(text, '\0', len)) != NULL) {
		jsonio_where_at(where, sizeof where, text, nul);
		return err_set(e, EXIT_DATAERR, "NUL byte %s", where);
	}
	if (jsonio_prescan(text, len, e) != 0)
		return e->status;
	v = json_loadb(
	    text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (v == NULL)
		return jsonio_load_error(text, len, &je, e);
	if (jsonio_check_top(v, e) != 0) {
		json_decref(v);
		return e->status;
	}
	*out = v;
	return 0;
}
