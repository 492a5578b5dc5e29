/*
 * Raw input for intel-pack (SPEC 4): NDJSON, a JSON document (an object or
 * an array of objects), or CSV with a header row.  Each input object is
 * handed to a callback together with the line it starts on.
 */
#ifndef INTEL_INPUT_H
#define INTEL_INPUT_H

#include <stddef.h>
#include <jansson.h>

#include "err.h"
#include "parallel.h"

/*
 * The formats, in the order of the table in input.c (name, file suffix,
 * reader).  To add one: a name here, a row there, and its reader.
 */
enum input_format { INPUT_NDJSON, INPUT_JSON, INPUT_CSV, INPUT_NFORMATS };

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
 * caller's) for an object, -1 with bad set for anything else.
 */
int
input_ndjson_line(const char *line, size_t len, json_t **obj, struct ierr *bad);

/* Parses a format name ("ndjson", "json", "csv").  -1 if unknown. */
int input_format_parse(const char *s, enum input_format *fmt);
/* The name of a format, as input_format_parse() takes it. */
const char *input_format_name(enum input_format fmt);
/* The format a file name's suffix names (.csv, .json, .ndjson, in any
 * case), else NDJSON. */
enum input_format input_format_guess(const char *path);

/*
 * Reads path ("-" or NULL: standard input).  Returns 0 when the input was
 * read to its end or a malformed part ended it (the callback was told),
 * the callback's non-zero value, EXIT_NOINPUT if the file cannot be opened,
 * or EXIT_IOERR on a read error; e is set for the last two.
 */
int input_read(const char *path, enum input_format fmt, input_cb cb, void *arg,
    struct ierr *e);

/*
 * The work done on each object, split as parallel.h splits it: work() in
 * a worker thread, commit() in input order in the calling thread.
 *
 * work() gets each well-formed object (it consumes obj) in an item whose
 * name and lineno say where the object starts; what it makes goes into
 * it->out, it->side and it->data (data_size bytes, zeroed), a failure
 * into it->status and it->err.  commit() sees every object, a malformed
 * one too: then work() was not called and it->status (EXIT_DATAERR) and
 * it->err, without a location, say what is wrong.  Blank NDJSON lines
 * reach neither.  worker_new() makes each worker's context (one for
 * jobs = 1), the argument work() gets.
 */
struct input_ops {
	size_t data_size;
	void *(*worker_new)(void *arg, struct ierr *e);
	void (*worker_free)(void *w);
	void (*work)(void *w, json_t *obj, struct par_item *it);
	int (*commit)(void *arg, struct par_item *it);
};

/*
 * Reads path as input_read() does, through ops.  A format read line by
 * line (NDJSON) runs work() in jobs threads (parallel.h, in a jansson
 * arena: work() releases every value it makes, obj included); the others
 * run work() and commit() in turn in the calling thread, whatever jobs
 * is.  Either way commit() sees the same items in the same order.
 * Returns as input_read() does, commit()'s non-zero value standing for
 * the callback's, or the status of a failed worker_new() (e set).
 */
int input_run(const char *path, enum input_format fmt, int jobs,
    const struct input_ops *ops, void *arg, struct ierr *e);

#endif
