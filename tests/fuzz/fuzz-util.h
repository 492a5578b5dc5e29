/*
 * Shared by the libFuzzer targets in tests/fuzz/ (never linked into the
 * tools).  Everything set up here is made once per process, read-only
 * afterwards, and released at exit: the targets keep no state between
 * runs.
 *
 * The one LLVMFuzzerInitialize, in fuzz-util.c, calls fz_setup() then
 * the target's fz_init() when it has one.  fz_setup() initialises
 * libgcrypt's secure memory, seeds jansson's hash so that runs are
 * reproducible, and makes a private scratch folder (under
 * $TMPDIR, /dev/shm when it exists) that holds copies of the fixture
 * agreements and their pseudonym keys (mode 0600).  The folder is removed
 * at exit; one left by a target that crashed is removed by the next
 * target that starts.  With INTEL_KEEP_TMP=1 in the environment the
 * folder is kept at exit, its path printed on stderr, and the next target
 * leaves it alone.
 *
 * Fixtures are found under $top_srcdir/tests/fixtures, else under the
 * FUZZ_SRCDIR the targets were compiled with.
 */
#ifndef INTEL_FUZZ_UTIL_H
#define INTEL_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* What libFuzzer calls: LLVMFuzzerInitialize is fuzz-util.c's, each
 * target defines LLVMFuzzerTestOneInput. */
int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A target's own preparation (loading its agreement, keys, policies),
 * run once after fz_setup(); a target with nothing to prepare leaves it
 * out. */
void fz_init(void) __attribute__((weak));

/* Done by LLVMFuzzerInitialize (or lazily: it is idempotent). */
void fz_setup(void);

/* The scratch folder (absolute). */
const char *fz_dir(void);

/* A path inside the scratch folder: fz_dir()/name.  Static storage,
 * overwritten by the next call. */
const char *fz_path(const char *name);

/* Writes data to fz_dir()/name (created or truncated, mode 0600) and
 * returns its path (as fz_path).  Aborts on failure: the scratch folder
 * is ours, so a failure is a broken harness, not a finding. */
const char *fz_write(const char *name, const uint8_t *data, size_t size);

/* Reads a whole file into a fresh NUL-terminated buffer (free()); NULL
 * if it does not exist. */
char *fz_read(const char *path, size_t *len);

/* Removes every entry in the scratch folder whose name starts with
 * prefix (no recursion). */
void fz_clean(const char *prefix);

/* The absolute path of a fixture: $top_srcdir/tests/fixtures/rel. */
const char *fz_fixture(const char *rel);

/* Loads a copied fixture agreement ("redact.yaml" for redact/policy.yaml,
 * "trilateral.yaml" for agreements/trilateral.yaml) once; aborts if it
 * does not load. */
struct agreement;
const struct agreement *fz_agreement(const char *name);

/* The time every target acts at: 2026-11-26T05:00:00Z, inside the
 * fixture agreements' windows. */
#define FZ_NOW ((int64_t)1795669200)

/*
 * The policy invariants of SPEC 3, checked on one valid record (rec is not
 * changed): a record the rule withholds does not comply; a released one,
 * once redacted, is a valid record, complies, and redacting it again
 * changes nothing; a record that already complies is left as it is by
 * redaction.  Aborts (fz_fail) on a violation.  A policy without its key
 * (EXIT_CONFIG from policy_redact) checks compliance only.
 */
struct policy;
void fz_check_policy(struct policy *p, const json_t *rec);

/* abort() with a message on stderr: an invariant of the SPEC broke. */
void
fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
