#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <jansson.h>

#include "cli.h"
#include "err.h"
#include "exitcodes.h"
#include "jsonarena.h"
#include "keys.h"
#include "parallel.h"
#include "secmem.h"

/* The settings of SPEC 9 that an empty value must not turn off. */
static const char *const cli_env[] = { "INTEL_NOW", "INTEL_ID_KEY",
	"INTEL_AGREEMENT", "INTEL_KEY", "INTEL_PARTY" };

int
cli_no_core_dumps(void)
{
	const struct rlimit none = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &none) != 0) {
		diag_warn("cannot turn off core dumps: setrlimit: %s",
		    strerror(errno));
		return EXIT_CONFIG;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		diag_warn(
		    "cannot turn off core dumps: prctl: %s", strerror(errno));
		return EXIT_CONFIG;
	}
	return 0;
}

int
cli_check_env(void)
{
	const char *v;

	for (size_t i = 0; i < sizeof cli_env / sizeof cli_env[0]; i++)
		if ((v = getenv(cli_env[i])) != NULL && *v == '\0') {
			diag_warn("%s is set but empty: give it a value or "
				  "unset it",
			    cli_env[i]);
			return EXIT_USAGE;
		}
	return 0;
}

int
cli_init(const char *argv0)
{
	struct ierr e = IERR_INIT;
	int rc;

	diag_init(argv0);
	if ((rc = cli_no_core_dumps()) != 0 || (rc = cli_check_env()) != 0)
		return rc;
	jsonarena_init();
	json_object_seed(0);
	if ((rc = secmem_init(&e)) != 0) {
		diag_err(&e);
		return rc;
	}
	return -1;
}

int
cli_version(void)
{
	printf("%s (%s) %s\n", diag_progname(), PACKAGE_NAME, PACKAGE_VERSION);
	return EXIT_DONE;
}

int
cli_usage(const char *usage, int help)
{
	fputs(usage, help ? stdout : stderr);
	if (!help)
		fprintf(stderr, "Try '%s --help' or man %s.\n", diag_progname(),
		    diag_progname());
	return help ? EXIT_DONE : EXIT_USAGE;
}

int
cli_finish(int status)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);

	if (fclose(stdout) != 0)
		failed = 1;
	if (failed && status == 0) {
		diag_warn("standard output: write error: %s",
		    strerror(errno ? errno : EIO));
		status = EXIT_IOERR;
	}
	return status;
}

const char *
cli_setting(const char *option, const char *envvar)
{
	const char *v;

	if (option != NULL)
		return option;
	v = getenv(envvar);
	return v != NULL && *v != '\0' ? v : NULL; /* cli_check_env() */
}

int
cli_number(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
cli_jobs(const char *s, int *jobs)
{
	long long n;

	if (cli_number(s, 1, PAR_MAX_JOBS, &n) != 0) {
		diag_warn("-j takes a number of worker threads from 1 to %d",
		    PAR_MAX_JOBS);
		return -1;
	}
	*jobs = (int)n;
	return 0;
}

int
cli_common_option(int c, const char *arg, const struct cli_common *co)
{
	switch (c) {
	case 'j':
		if (co->jobs == NULL)
			break;
		return cli_jobs(arg, co->jobs) == 0 ? -1
						    : cli_usage(co->usage, 0);
	case 'o':
		if (co->output == NULL)
			break;
		/* The one place where "-" for standard output is read. */
		*co->output = strcmp(arg, "-") == 0 ? NULL : arg;
		return -1;
	case 'q':
		*co->quiet = 1;
		return -1;
	case 'v':
		*co->verbose = 1;
		return -1;
	case 'h':
		return cli_usage(co->usage, 1);
	case CLI_OPT_VERSION:
		return cli_version();
	default:
		break;
	}
	return cli_usage(co->usage, 0);
}

int
cli_status(int *status, int rc)
{
	if (*status == 0 && rc != 0)
		*status = rc;
	return *status;
}

int
cli_load_agreement(const char *path, int64_t now, struct agreement **out)
{
	struct ierr e = IERR_INIT;
	int rc;

	if ((rc = agreement_load(path, out, &e)) != 0) {
		diag_err(&e);
		return rc;
	}
	if ((rc = agreement_check_window(*out, now, &e)) != 0) {
		diag_err(&e);
		agreement_free(*out);
		*out = NULL;
	}
	return rc;
}

int
cli_passphrase_options(const char *file, int ask, const char *usage)
{
	if (file == NULL || !ask)
		return -1;
	diag_warn("--passphrase-file and --ask-passphrase exclude each other");
	return cli_usage(usage, 0);
}

int
cli_passphrase(const char *file, int ask, int confirm, char **pass)
{
	struct ierr e = IERR_INIT;
	int rc = 0;

	*pass = NULL;
	if (file != NULL)
		rc = keys_read_passphrase_file(file, pass, &e);
	else if (ask)
		rc = keys_prompt_passphrase(
		    confirm ? "New passphrase: " : "Passphrase: ", confirm,
		    pass, &e);
	if (rc != 0)
		diag_err(&e);
	return rc;
}
