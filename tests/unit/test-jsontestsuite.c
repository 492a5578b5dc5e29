/*
 * JSONTestSuite (nst/JSONTestSuite, test_parsing/, MIT licence) against
 * jsonio_parse: every n_* file is refused with EXIT_DATAERR and a message,
 * every y_* file is accepted except those SPEC 2 refuses on purpose (listed
 * below with the reason), no i_* file crashes.  Everything accepted is
 * written canonically, read again and must be a fixed point.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "tap.h"
#include "util.h"

/* y_* files that SPEC 2 makes errors. */
static const struct {
	const char *name;
	const char *why;
} refused[] = {
	{ "y_number.json",
	    "123e65 is an integer beyond the signed 64-bit range" },
	{ "y_number_real_capital_e.json",
	    "1E22 is an integer beyond the signed 64-bit range" },
	{ "y_number_real_exponent.json",
	    "123e45 is an integer beyond the signed 64-bit range" },
	{ "y_number_real_fraction_exponent.json",
	    "123.456e78 is an integer beyond the signed 64-bit range" },
	{ "y_object_extreme_numbers.json",
	    "-1.0e+28 is an integer beyond the signed 64-bit range" },
	{ "y_object_duplicated_key.json", "duplicate key" },
	{ "y_object_duplicated_key_and_value.json",
	    "duplicate key (even with the same value)" },
	{ "y_object_escaped_null_in_key.json", "\\u0000 in a key" },
	{ "y_string_null_escape.json", "\\u0000 in a string" },
};

#define NREFUSED (sizeof refused / sizeof refused[0])

static int refused_seen[NREFUSED];

static int
refused_index(const char *name)
{
	size_t i;

	for (i = 0; i < NREFUSED; i++)
		if (strcmp(refused[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Canonical bytes of v re-read must give the same canonical bytes. */
static int
fixed_point(const json_t *v, const char *name)
{
	struct buf c1 = BUF_INIT, c2 = BUF_INIT;
	struct ierr e = IERR_INIT;
	json_t *w = NULL;
	int good = 0;

	if (jsonio_canon(&c1, v, &e) != 0)
		diag("%s: canon: %s", name, e.msg);
	else if (jsonio_parse(c1.data, c1.len, &w, &e) != 0)
		diag("%s: canon output %s does not parse: %s", name, c1.data,
		    e.msg);
	else if (jsonio_canon(&c2, w, &e) != 0)
		diag("%s: second canon: %s", name, e.msg);
	else if (c1.len != c2.len || memcmp(c1.data, c2.data, c1.len) != 0)
		diag("%s: %s then %s", name, c1.data, c2.data);
	else
		good = 1;
	json_decref(w);
	buf_free(&c1);
	buf_free(&c2);
	return good;
}

int
main(void)
{
	const char *top = getenv("top_srcdir");
	struct buf path = BUF_INIT;
	struct dirent *de;
	char **names = NULL;
	size_t nnames = 0, i;
	int ny = 0, nn = 0, ni = 0, iacc = 0, nfixed = 0, r;
	DIR *d;

	if (top == NULL || *top == '\0')
		top = ".";
	buf_printf(
	    &path, "%s/tests/fixtures/json-test-suite/test_parsing", top);
	if ((d = opendir(path.data)) == NULL) {
		ok(0, "open %s: %s", path.data, strerror(errno));
		buf_free(&path);
		return done_testing();
	}
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "y_", 2) != 0 &&
		    strncmp(de->d_name, "n_", 2) != 0 &&
		    strncmp(de->d_name, "i_", 2) != 0)
			continue;
		names = xrealloc(names, (nnames + 1) * sizeof *names);
		names[nnames++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, nnames, sizeof *names, namecmp);

	for (i = 0; i < nnames; i++) {
		struct ierr e = IERR_INIT;
		const char *name = names[i];
		json_t *v = NULL;
		size_t len;
		char *text;
		int rc;

		buf_reset(&path);
		buf_printf(&path,
		    "%s/tests/fixtures/json-test-suite/"
		    "test_parsing/%s",
		    top, name);
		if ((text = util_read_file(path.data, &len)) == NULL) {
			ok(0, "read %s: %s", name, strerror(errno));
			continue;
		}
		rc = jsonio_parse(text, len, &v, &e);
		free(text);
		if (rc == 0 && (v == NULL || e.status != 0))
			ok(0, "%s: success without a value", name);
		if (rc != 0 && (v != NULL || e.msg[0] == '\0'))
			ok(0, "%s: failure without a message", name);

		switch (name[0]) {
		case 'n':
			nn++;
			ok(rc == EXIT_DATAERR && e.msg[0] != '\0',
			    "%s rejected (%s)", name, e.msg);
			break;
		case 'y':
			ny++;
			r = refused_index(name);
			if (r >= 0) {
				refused_seen[r] = 1;
				ok(rc == EXIT_DATAERR && e.msg[0] != '\0',
				    "%s rejected by SPEC 2: %s (%s)", name,
				    refused[r].why, e.msg);
			} else
				ok(rc == 0, "%s accepted%s%s", name,
				    rc ? ": " : "", e.msg);
			break;
		default:
			ni++;
			ok(rc == 0 || (rc == EXIT_DATAERR && e.msg[0] != '\0'),
			    "%s: %s%s", name, rc ? "rejected: " : "accepted",
			    e.msg);
			if (rc == 0)
				iacc++;
			break;
		}
		if (rc == 0) {
			ok(fixed_point(v, name), "%s: canonical fixed point",
			    name);
			nfixed++;
		}
		json_decref(v);
	}
	for (i = 0; i < NREFUSED; i++)
		ok(refused_seen[i], "listed file %s exists", refused[i].name);
	diag("%d y_, %d n_, %d i_ files (%d i_ accepted), %d fixed points", ny,
	    nn, ni, iacc, nfixed);
	ok(ny == 95 && nn == 188 && ni == 35, "all 318 files were read");
	ok(NREFUSED == 9, "9 y_ files refused on purpose, %d accepted",
	    ny - (int)NREFUSED);

	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	buf_free(&path);
	return done_testing();
}
