#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "exitcodes.h"
#include "input.h"
#include "jsonio.h"
#include "tap.h"
#include "util.h"

/* Collects what the reader hands over: "LINE:canonical" or "LINE!msg". */
static int
collect(void *arg, const char *name, unsigned long line, json_t *obj,
    const struct ierr *bad)
{
	struct buf *b = arg;
	struct ierr e = IERR_INIT;

	(void)name;
	if (b->len)
		buf_addc(b, '|');
	if (obj == NULL) {
		buf_printf(b, "%lu!%s", line, bad->msg);
		return 0;
	}
	buf_printf(b, "%lu:", line);
	jsonio_canon(b, obj, &e);
	json_decref(obj);
	return 0;
}

static char *
read_text(const char *text, enum input_format fmt, int *rc)
{
	struct ierr e = IERR_INIT;
	struct buf b = BUF_INIT;
	char *path = util_path("input");

	if (util_write_str(path, text, 0600) != 0)
		abort();
	*rc = input_read(path, fmt, collect, &b, &e);
	free(path);
	buf_addc(&b, '\0');
	return b.data;
}

static void
check(
    const char *text, enum input_format fmt, const char *want, const char *what)
{
	int rc;
	char *got = read_text(text, fmt, &rc);

	is_str(got, want, "%s", what);
	free(got);
}

/* input_run(): work() writes "LINE:canonical", commit() collects it. */
static void
run_work(void *w, json_t *obj, struct par_item *it)
{
	(void)w;
	buf_printf(&it->out, "%lu:", it->lineno);
	if (jsonio_canon(&it->out, obj, &it->err) != 0)
		it->status = it->err.status;
	*(int *)it->data = 1;
	json_decref(obj);
}

static int
run_commit(void *arg, struct par_item *it)
{
	struct buf *b = arg;

	if (b->len)
		buf_addc(b, '|');
	if (it->status != 0)
		buf_printf(b, "%lu!%s", it->lineno, it->err.msg);
	else if (*(int *)it->data != 1)
		buf_printf(b, "%lu?work not called", it->lineno);
	else
		buf_add(b, it->out.data, it->out.len);
	return 0;
}

static void *
run_worker_new(void *arg, struct ierr *e)
{
	(void)e;
	return arg;
}

static void
run_worker_free(void *w)
{
	(void)w;
}

static const struct input_ops run_ops = {
	.data_size = sizeof(int),
	.worker_new = run_worker_new,
	.worker_free = run_worker_free,
	.work = run_work,
	.commit = run_commit,
};

/* input_run() with 1 and 3 jobs hands commit() what input_read() hands
 * its callback. */
static void
check_run(const char *text, enum input_format fmt, const char *what)
{
	char path[] = "/tmp/intel-input-XXXXXX";
	struct ierr e = IERR_INIT;
	int fd = mkstemp(path), rc, jobs;
	char *want = read_text(text, fmt, &rc);

	if (write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
	for (jobs = 1; jobs <= 3; jobs += 2) {
		struct buf b = BUF_INIT;

		is_int(input_run(path, fmt, jobs, &run_ops, &b, &e), rc,
		    "input_run -j %d (%s): status", jobs, what);
		buf_addc(&b, '\0');
		is_str(b.data, want, "input_run -j %d (%s): as input_read",
		    jobs, what);
		buf_free(&b);
	}
	unlink(path);
	free(want);
}

static void
check_has(
    const char *text, enum input_format fmt, const char *want, const char *what)
{
	int rc;
	char *got = read_text(text, fmt, &rc);

	ok(strstr(got, want) != NULL, "%s", what);
	if (strstr(got, want) == NULL)
		diag("got \"%s\", wanted \"%s\" in it", got, want);
	free(got);
}

int
main(void)
{
	enum input_format f;
	struct ierr e = IERR_INIT;
	struct buf b = BUF_INIT;

	util_tmpdir("test-input");

	check("{\"a\":1}\n\n  \n{\"b\":2}", INPUT_NDJSON,
	    "1:{\"a\":1}|4:{\"b\":2}",
	    "NDJSON: blank lines skipped, lines "
	    "counted");
	check_has("{\"a\":1}\n{\"a\":\n", INPUT_NDJSON, "2!",
	    "NDJSON: a broken line reported at its line");
	check("{\"a\":1}\n[1]\n", INPUT_NDJSON,
	    "1:{\"a\":1}|2!not a JSON "
	    "object",
	    "NDJSON: a non-object");
	check("[\n {\"a\":1},\n\n {\"b\":\n  2}\n]\n", INPUT_JSON,
	    "2:{\"a\":1}|4:{\"b\":2}", "JSON array: elements at their lines");
	check("{\"a\":\"x]\\\"}\"}\n", INPUT_JSON, "1:{\"a\":\"x]\\\"}\"}",
	    "JSON object with brackets in a string");
	check("[]", INPUT_JSON, "", "empty array");
	check_has("", INPUT_JSON, "1!empty input", "empty document");
	check_has("[{\"a\":1} {\"b\":2}]", INPUT_JSON, "expected ','",
	    "missing comma");
	check_has("[{\"a\":1},]", INPUT_JSON, "1!", "trailing comma");
	check_has("[{\"a\":1}", INPUT_JSON, "1!", "unterminated array");
	check_has("{\"a\":1} x", INPUT_JSON, "after the document",
	    "text after the document");
	check_has(
	    "[{\"a\":[}]", INPUT_JSON, "unbalanced", "mismatched brackets");
	check("[{\"a\":1},2,{\"b\":3}]", INPUT_JSON,
	    "1:{\"a\":1}|1!not a JSON object|1:{\"b\":3}",
	    "a non-object element reported, the rest read");

	check("id,subject.name,subject.dob,note\n"
	      "1,\"Doe, John\",1980-02-03,\"said \"\"hi\"\"\"\n",
	    INPUT_CSV,
	    "2:{\"id\":\"1\",\"note\":\"said \\\"hi\\\"\","
	    "\"subject\":{\"dob\":\"1980-02-03\",\"name\":\"Doe, John\"}}",
	    "CSV: quotes, commas, dotted columns");
	check("a,b\n\"x\ny\",2\n3,4\n", INPUT_CSV,
	    "2:{\"a\":\"x\\ny\",\"b\":\"2\"}|4:{\"a\":\"3\",\"b\":\"4\"}",
	    "CSV: a newline inside a cell, rows at their first lines");
	check("a,b\r\n1,\r\n,\"\"\r\n", INPUT_CSV, "2:{\"a\":\"1\"}|3:{}",
	    "CSV: CRLF, empty cells absent");
	check("version,purposes,releasable_to\n2,a;b,FR-DGSI\n", INPUT_CSV,
	    "2:{\"purposes\":[\"a\",\"b\"],\"releasable_to\":[\"FR-DGSI\"],"
	    "\"version\":2}",
	    "CSV: version number, lists");
	check(" a , b \n x , y \n", INPUT_CSV,
	    "2:{\" a \":\" x \",\" b \":\" y \"}", "CSV: spaces kept");
	check("\xef\xbb\xbf"
	      "a\n1\n",
	    INPUT_CSV, "2:{\"a\":\"1\"}", "CSV: a byte-order mark is skipped");
	check("a,b\n1\n1,2\n", INPUT_CSV,
	    "2!row has 1 cells, the header has 2 columns|3:{\"a\":\"1\","
	    "\"b\":\"2\"}",
	    "CSV: short row reported, the rest read");
	check_has("version\nx\n", INPUT_CSV,
	    "2!column \"version\" must be "
	    "an integer",
	    "CSV: version not a number");
	check_has("a,a\n1,2\n", INPUT_CSV, "1!column \"a\" clashes",
	    "CSV: duplicate column");
	check_has("s,s.n\n1,2\n", INPUT_CSV, "1!column \"s.n\" clashes",
	    "CSV: column inside another");
	check_has("a..b\n1\n", INPUT_CSV,
	    "1!column name \"a..b\" has an "
	    "empty part",
	    "CSV: empty path part");
	check_has("a\n\"x\n", INPUT_CSV, "2!invalid CSV",
	    "CSV: unclosed "
	    "quote");
	check_has("a\nx\"y\n", INPUT_CSV, "2!invalid CSV", "CSV: stray quote");
	check_has("a\n\xff\n", INPUT_CSV, "2!column \"a\": invalid UTF-8",
	    "CSV: invalid UTF-8");
	check("", INPUT_CSV, "", "CSV: empty input");

	check_run("{\"a\":1}\n\n  \n{\"b\":2}\n[1]\n{\"a\":\n{\"c\":3}",
	    INPUT_NDJSON, "NDJSON: blank, good and bad lines");
	{
		struct buf big = BUF_INIT;

		/* More lines than one batch of the parallel engine. */
		for (int i = 0; i < 3000; i++)
			buf_printf(&big,
			    i % 700 == 5       ? "{\"n\":\n"
				: i % 300 == 7 ? "\n"
					       : "{\"n\":%d}\n",
			    i);
		buf_addc(&big, '\0');
		check_run(big.data, INPUT_NDJSON, "NDJSON: 3,000 lines");
		buf_free(&big);
	}
	check_run("[\n {\"a\":1},\n\n 2, {\"b\":\n  2}\n]\n", INPUT_JSON,
	    "JSON: good and bad elements");
	check_run("[{\"a\":1}, {\"b\":", INPUT_JSON, "JSON: broken");
	check_run(
	    "a,b\n\"x\ny\",2\n3\n3,4\n", INPUT_CSV, "CSV: good and bad rows");

	for (int i = 0; i < INPUT_NFORMATS; i++) {
		char name[32];

		snprintf(name, sizeof name, "x.%s", input_format_name(i));
		ok(input_format_parse(input_format_name(i), &f) == 0 &&
			(int)f == i && input_format_guess(name) == f,
		    "format %s: its name parses, its suffix guesses it",
		    input_format_name(i));
	}
	ok(input_format_parse("csv", &f) == 0 && f == INPUT_CSV &&
		input_format_parse("xml", &f) != 0,
	    "format names");
	ok(input_format_guess("a.CSV") == INPUT_CSV &&
		input_format_guess("a.json") == INPUT_JSON &&
		input_format_guess("a.ndjson") == INPUT_NDJSON &&
		input_format_guess(NULL) == INPUT_NDJSON,
	    "format guessed from the name");
	is_int(input_read("/nonexistent", INPUT_NDJSON, collect, &b, &e),
	    EXIT_NOINPUT, "missing file is 66");
	buf_free(&b);
	return done_testing();
}
