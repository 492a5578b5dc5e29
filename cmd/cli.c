#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "err.h"
#include "exitcodes.h"
#include "parallel.h"

int
cli_version(void)
{
	printf("%s (%s) %s\n", diag_progname(), PACKAGE_NAME,
	    PACKAGE_VERSION);
	return EXIT_DONE;
}

int
cli_usage(const char *usage, int help)
{
	fputs(usage, help ? stdout : stderr);
	if (!help)
		fprintf(stderr, "Try '%s --help' or man %s.\n",
		    diag_progname(), diag_progname());
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
	return v != NULL && *v != '\0' ? v : NULL;
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
		return cli_jobs(arg, co->jobs) == 0 ? -1 :
		    cli_usage(co->usage, 0);
	case 'o':
		*co->output = arg;
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
		return cli_usage(co->usage, 0);
	}
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
