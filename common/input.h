/*
 * Raw input for intel-pack (SPEC 4): NDJSON, a JSON document (an object or
 * an array of objects), or CSV with a header row.  Each input object is
 * handed to a callback together with the line it starts on.
 */
#ifndef INTEL_INPUT_H
#define INTEL_INPUT_H

#include <jansson.h>

#include "err.h"

enum input_format { INPUT_NDJSON, INPUT_JSON, INPUT_CSV };

/*
 * Called once per input object.  obj is the callback's to keep or release
 * (json_decref); when obj is NULL the object at this line is malformed and
 * bad says why (the message has no location: the callback adds it).
 * Returning non-zero stops the reading, and input_read() returns that.
 */
typedef int (*input_cb)(void *arg, const char *name, unsigned long line,
    json_t *obj, const struct ierr *bad);

/*
 * One NDJSON line: 1 for a blank line (skipped), 0 with *obj (the
 * caller's) for an object, -1 with bad set for anything else.  What
 * input_read() does for each line; exported for -j workers.
 */
int input_ndjson_line(const char *line, size_t len, json_t **obj,
    struct ierr *bad);

/* Parses a format name: "ndjson", "json", "csv".  -1 if unknown. */
int input_format_parse(const char *s, enum input_format *fmt);
/* The format a file name suggests (.csv, .json), else NDJSON. */
enum input_format input_format_guess(const char *path);

/*
 * Reads path ("-" or NULL: standard input).  Returns 0 when the input was
 * read to its end or a malformed part ended it (the callback was told),
 * the callback's non-zero value, EXIT_NOINPUT if the file cannot be opened,
 * or EXIT_IOERR on a read error; e is set for the last two.
 */
int input_read(const char *path, enum input_format fmt, input_cb cb,
    void *arg, struct ierr *e);

#endif
