/*
 * Helpers for the libFuzzer targets: a scratch folder with fixture copies,
 * files written per run, invariant failures.
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "agreement.h"
#include "buf.h"
#include "exitcodes.h"
#include "jsonarena.h"
#include "jsonio.h"
#include "policy.h"
#include "record.h"
#include "err.h"
#include "secmem.h"
#include "fuzz-util.h"

#ifndef FUZZ_SRCDIR
#define FUZZ_SRCDIR "."
#endif

static char scratch[PATH_MAX];
static char pathbuf[PATH_MAX];
static char fixbuf[PATH_MAX];
static int ready;

static struct {
	const char *name;
	struct agreement *a;
} loaded[4];

void
fz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz invariant violated: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* Removes a scratch folder (it holds files only). */
static void
rm_dir(const char *path)
{
	DIR *d;
	struct dirent *de;

	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			unlinkat(dirfd(d), de->d_name, 0);
		}
		closedir(d);
	}
	rmdir(path);
}

/* INTEL_KEEP_TMP=1: scratch folders are kept for a look. */
static int
keep_tmp(void)
{
	const char *k = getenv("INTEL_KEEP_TMP");

	return k != NULL && *k != '\0' && strcmp(k, "0") != 0;
}

static void
rm_scratch(void)
{
	size_t i;

	for (i = 0; i < sizeof loaded / sizeof loaded[0]; i++) {
		agreement_free(loaded[i].a);
		loaded[i].a = NULL;
	}
	if (scratch[0] == '\0')
		return;
	if (keep_tmp()) {
		fprintf(stderr, "INTEL_KEEP_TMP: kept %s\n", scratch);
		return;
	}
	rm_dir(scratch);
	scratch[0] = '\0';
}

/*
 * A target that crashed (a finding) left its folder "intel-fuzz.PID.XXXXXX"
 * behind: remove those of processes that are gone.
 */
static void
rm_stale(const char *tmp)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	long pid;
	char *end;

	if (keep_tmp() || (d = opendir(tmp)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "intel-fuzz.", 11) != 0)
			continue;
		pid = strtol(de->d_name + 11, &end, 10);
		if (end == de->d_name + 11 || *end != '.' || pid <= 0 ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if ((size_t)snprintf(path, sizeof path, "%s/%s", tmp,
			de->d_name) < sizeof path)
			rm_dir(path);
	}
	closedir(d);
}

const char *
fz_dir(void)
{
	return scratch;
}

const char *
fz_path(const char *name)
{
	if ((size_t)snprintf(pathbuf, sizeof pathbuf, "%s/%s", scratch, name) >=
	    sizeof pathbuf)
		fz_fail("path too long: %s", name);
	return pathbuf;
}

const char *
fz_write(const char *name, const uint8_t *data, size_t size)
{
	const char *p = fz_path(name);
	int fd;
	size_t off = 0;
	ssize_t n;

	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) ==
	    -1)
		fz_fail("harness: cannot write %s: %s", p, strerror(errno));
	while (off < size) {
		n = write(fd, data + off, size - off);
		if (n <= 0)
			fz_fail("harness: write %s: %s", p, strerror(errno));
		off += (size_t)n;
	}
	close(fd);
	return p;
}

char *
fz_read(const char *path, size_t *len)
{
	FILE *f;
	char *data = NULL;
	size_t cap = 0, n = 0, r;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 8192;
			if ((data = realloc(data, cap)) == NULL)
				abort();
		}
		r = fread(data + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	data[n] = '\0';
	if (len != NULL)
		*len = n;
	return data;
}

void
fz_clean(const char *prefix)
{
	DIR *d;
	struct dirent *de;
	size_t pl = strlen(prefix);

	if ((d = opendir(scratch)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, pl) == 0 &&
		    strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			unlinkat(dirfd(d), de->d_name, 0);
	closedir(d);
}

const char *
fz_fixture(const char *rel)
{
	const char *top = getenv("top_srcdir");

	if (top == NULL || *top == '\0')
		top = FUZZ_SRCDIR;
	snprintf(fixbuf, sizeof fixbuf, "%s/tests/fixtures/%s", top, rel);
	return fixbuf;
}

static void
copy_fixture(const char *rel, const char *name)
{
	size_t len;
	char *data = fz_read(fz_fixture(rel), &len);

	if (data == NULL)
		fz_fail("harness: fixture %s missing (set top_srcdir)",
		    fz_fixture(rel));
	fz_write(name, (const uint8_t *)data, len);
	free(data);
}

void
fz_setup(void)
{
	struct ierr e = IERR_INIT;
	const char *tmp = getenv("TMPDIR");
	struct stat st;

	if (ready)
		return;
	ready = 1;
	if (secmem_init(&e) != 0)
		fz_fail("harness: %s", e.msg);
	json_object_seed(1);
	jsonarena_init(); /* as the tools do (off under ASan) */
	if (tmp == NULL || *tmp == '\0')
		tmp = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
			access("/dev/shm", W_OK) == 0
		    ? "/dev/shm"
		    : "/tmp";
	rm_stale(tmp);
	snprintf(scratch, sizeof scratch, "%s/intel-fuzz.%ld.XXXXXX", tmp,
	    (long)getpid());
	if (mkdtemp(scratch) == NULL)
		fz_fail("harness: mkdtemp %s: %s", scratch, strerror(errno));
	atexit(rm_scratch);
	copy_fixture("agreements/trilateral.yaml", "trilateral.yaml");
	copy_fixture("agreements/trilateral.psk", "trilateral.psk");
	copy_fixture("redact/policy.yaml", "redact.yaml");
	copy_fixture("redact/policy.psk", "policy.psk");
	copy_fixture("bundle/DE-BKA.key", "DE-BKA.key");
	copy_fixture("bundle/FR-DGSI.key", "FR-DGSI.key");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_setup();
	if (fz_init != NULL)
		fz_init();
	return 0;
}

const struct agreement *
fz_agreement(const char *name)
{
	struct ierr e = IERR_INIT;
	size_t i;

	fz_setup();
	for (i = 0; i < sizeof loaded / sizeof loaded[0]; i++) {
		if (loaded[i].name == NULL) {
			if (agreement_load(fz_path(name), &loaded[i].a, &e) !=
			    0)
				fz_fail("harness: %s", e.msg);
			loaded[i].name = name;
			return loaded[i].a;
		}
		if (strcmp(loaded[i].name, name) == 0)
			return loaded[i].a;
	}
	fz_fail("harness: too many agreements");
}

static char *
canon_of(const json_t *v, size_t *len)
{
	struct buf b = BUF_INIT;
	struct ierr e = IERR_INIT;

	if (jsonio_canon(&b, v, &e) != 0)
		fz_fail("jsonio_canon refused a value it made: %s", e.msg);
	*len = b.len;
	if (b.data == NULL)
		return xstrdup("");
	return b.data;
}

void
fz_check_policy(struct policy *p, const json_t *rec)
{
	struct ierr e = IERR_INIT;
	json_t *once, *twice;
	int reason, reason2, rc, complies;
	char why[512], why2[512];
	char *c0, *c1, *c2;
	size_t l0, l1, l2;

	why[0] = why2[0] = '\0';
	complies = policy_complies(p, rec, why, sizeof why);
	once = json_deep_copy(rec);
	if (once == NULL)
		abort();
	rc = policy_redact(p, once, &reason, NULL, NULL, NULL, &e);
	if (rc == EXIT_CONFIG) { /* no pseudonym key */
		json_decref(once);
		return;
	}
	if (rc != 0)
		fz_fail(
		    "policy_redact failed on a valid record: %d %s", rc, e.msg);
	if (reason != POLICY_RELEASED) {
		if (complies)
			fz_fail("a withheld record (%s) complies",
			    policy_reason_name(reason));
		json_decref(once);
		return;
	}
	c0 = canon_of(rec, &l0);
	c1 = canon_of(once, &l1);
	if (complies && (l0 != l1 || memcmp(c0, c1, l0) != 0))
		fz_fail("a complying record is changed by redaction:\n%s\n%s",
		    c0, c1);
	if (record_validate(once, &e) != 0)
		fz_fail("redaction made an invalid record: %s\n%s", e.msg, c1);
	if (!policy_complies(p, once, why2, sizeof why2))
		fz_fail("a redacted record does not comply: %s\n%s", why2, c1);
	twice = json_deep_copy(once);
	if (twice == NULL)
		abort();
	rc = policy_redact(p, twice, &reason2, NULL, NULL, NULL, &e);
	if (rc != 0 || reason2 != POLICY_RELEASED)
		fz_fail("redacting a redacted record: %d %d %s", rc, reason2,
		    e.msg);
	c2 = canon_of(twice, &l2);
	if (l1 != l2 || memcmp(c1, c2, l1) != 0)
		fz_fail("redaction is not idempotent:\n%s\n%s", c1, c2);
	free(c0);
	free(c1);
	free(c2);
	json_decref(once);
	json_decref(twice);
}
