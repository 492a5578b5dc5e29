/*
 * output.h: "-" and NULL are standard output; a file appears whole at
 * output_close() and not before; output_abort() leaves nothing; write
 * errors are EXIT_IOERR; devices are written directly.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exitcodes.h"
#include "output.h"
#include "tap.h"
#include "util.h"

static int
missing(const char *path)
{
	struct stat st;

	return lstat(path, &st) != 0;
}

/* Entries in the folder besides "." and "..". */
static int
count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void
test_stdout(void)
{
	struct ierr e = IERR_INIT;
	struct output *o = NULL;

	is_int(output_open(NULL, &o, &e), 0, "NULL opens");
	ok(o != NULL && output_file(o) == stdout, "... as standard output");
	is_int(output_close(o, &e), 0, "... and closes");
	is_int(output_open("-", &o, &e), 0, "\"-\" opens");
	ok(o != NULL && output_file(o) == stdout,
	    "... as standard output, "
	    "not a file named -");
	output_abort(o);
	ok(missing("-"), "no file named - was made");
	output_abort(NULL);
	ok(1, "output_abort(NULL) is allowed");
}

static void
test_file(const char *dir)
{
	struct ierr e = IERR_INIT;
	struct output *o = NULL;
	char *path = util_path("records.ndjson"), *got;

	is_int(output_open(path, &o, &e), 0, "a file opens");
	is_int(output_write(o, "{\"a\":1}\n", 8, &e), 0, "a write");
	fprintf(output_file(o), "{\"b\":2}\n");
	fflush(output_file(o));
	ok(missing(path), "nothing under the name before the close");
	is_int(output_close(o, &e), 0, "close");
	got = util_read_file(path, NULL);
	is_str(got, "{\"a\":1}\n{\"b\":2}\n",
	    "the file holds both writes, "
	    "in order");
	free(got);
	is_int(count_entries(dir), 1, "and nothing beside it");

	is_int(output_open(path, &o, &e), 0, "open over it");
	output_write(o, "new\n", 4, &e);
	output_abort(o);
	got = util_read_file(path, NULL);
	is_str(got, "{\"a\":1}\n{\"b\":2}\n", "abort: the old file stays");
	free(got);
	is_int(count_entries(dir), 1, "abort: no temporary file");
	unlink(path);

	is_int(output_open(path, &o, &e), 0, "a new file");
	output_write(o, "x\n", 2, &e);
	output_abort(o);
	ok(missing(path),
	    "abort of a new file: nothing is left under the "
	    "name");
	is_int(count_entries(dir), 0, "... nor beside it");
	free(path);

	path = util_path("no/such/folder/out");
	o = NULL;
	is_int(output_open(path, &o, &e), EXIT_CANTCREAT,
	    "a file in a "
	    "missing folder: EXIT_CANTCREAT");
	ok(o == NULL && strstr(e.msg, path) != NULL, "... named: %s", e.msg);
	free(path);
}

static void
test_devices(void)
{
	struct ierr e = IERR_INIT;
	struct output *o = NULL;
	char line[64];
	int rc;

	is_int(output_open("/dev/null", &o, &e), 0, "/dev/null opens");
	is_int(output_write(o, "x\n", 2, &e), 0, "... takes a write");
	is_int(output_close(o, &e), 0, "... and closes: written directly");
	if (access("/dev/full", W_OK) != 0) {
		diag("no /dev/full: its checks are left out");
		return;
	}
	is_int(output_open("/dev/full", &o, &e), 0, "/dev/full opens");
	memset(line, 'x', sizeof line);
	rc = 0;
	for (int i = 0; i < 4096 && rc == 0; i++)
		rc = output_write(o, line, sizeof line, &e);
	if (rc == 0)
		rc = output_close(o, &e);
	else
		output_abort(o);
	is_int(rc, EXIT_IOERR, "a full device: EXIT_IOERR");
	ok(strstr(e.msg, "/dev/full") != NULL, "... named: %s", e.msg);
}

int
main(void)
{
	const char *dir = util_tmpdir("test-output");

	test_stdout();
	test_file(dir);
	test_devices();
	return done_testing();
}
