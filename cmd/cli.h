/*
 * What the five commands share at their surface: usage, version, the end
 * of a run (closing standard output), and settings taken from the
 * environment (SPEC 9).  Linked into every binary from cmd/libcli.a.
 */
#ifndef INTEL_CLI_H
#define INTEL_CLI_H

#include <getopt.h>
#include <stdint.h>

#include "agreement.h"
#include "diag.h" /* every command prints through it */

/*
 * The start of every command, before its options are read: the program's
 * name for diagnostics (diag_init()), core dumps off (cli_no_core_dumps()),
 * the INTEL_* settings checked (cli_check_env()), jansson (the arena of
 * jsonarena.h, a random hash seed) and libgcrypt with its secure memory
 * set up.  Returns -1 to go on, else the status to exit with, the message
 * printed.
 */
int cli_init(const char *argv0);
/* RLIMIT_CORE 0 and not dumpable (SPEC 9: no secret in a core file); so
 * that it is done before any secret is read, cli_init() does it for every
 * command.  Returns 0, else 78 with a message. */
int cli_no_core_dumps(void);
/* 64 with a message naming it when one of the INTEL_* settings of SPEC 9
 * is set but empty; else 0. */
int cli_check_env(void);

/* Prints "PROG (intel-share) VERSION" to stdout; returns 0. */
int cli_version(void);
/* Prints usage to stdout (help: returns 0) or stderr (returns 64). */
int cli_usage(const char *usage, int help);
/* Flushes and closes standard output; a write error turns a status of 0
 * into 74 with a message.  Returns the final status. */
int cli_finish(int status);
/* The value of an option, else of the environment variable, else NULL. */
const char *cli_setting(const char *option, const char *envvar);
/* Reads a decimal option value in [min, max]; -1 if it is not one. */
int cli_number(const char *s, long long min, long long max, long long *out);
/*
 * The options every filter shares (SPEC 9: -j, -o, -q, -v, -h, --version),
 * as entries of a getopt_long table; cli_common_option() handles them.
 */
#define CLI_OPT_VERSION 0x1000
#define CLI_BASIC_LONGOPTS \
	{ "quiet", no_argument, NULL, 'q' }, \
	    { "verbose", no_argument, NULL, 'v' }, \
	    { "help", no_argument, NULL, 'h' }, \
	{ \
		"version", no_argument, NULL, CLI_OPT_VERSION \
	}
#define CLI_COMMON_LONGOPTS \
	{ "jobs", required_argument, NULL, 'j' }, \
	    { "output", required_argument, NULL, 'o' }, CLI_BASIC_LONGOPTS

/* Where the shared options go (the tool's own fields).  A command without
 * -j and -o (intel-merge: CLI_BASIC_LONGOPTS) leaves jobs and output NULL.
 * "-o -" is standard output: *output is set to NULL. */
struct cli_common {
	int *jobs;
	const char **output;
	int *quiet;
	int *verbose;
	const char *usage;
};

/*
 * For an option the tool's own switch did not take: returns -1 when it was
 * one of CLI_COMMON_LONGOPTS and the run goes on, else the status to exit
 * with (0 after --help or --version; 64 with usage on stderr for a bad -j
 * or an unknown option).
 */
int cli_common_option(int c, const char *arg, const struct cli_common *co);

/* Reads the value of -j (1 to PAR_MAX_JOBS); -1 with a message if it is
 * not one. */
int cli_jobs(const char *s, int *jobs);
/* Keeps the first failure's status (SPEC 9): returns *status. */
int cli_status(int *status, int rc);

/*
 * Loads the agreement named by -a or INTEL_AGREEMENT, checks its window at
 * now, and reports any failure on stderr.  Returns 0 or the status.
 */
int cli_load_agreement(const char *path, int64_t now, struct agreement **out);

/*
 * The passphrase for a key file: the first line of --passphrase-file
 * FILE, or with ask (--ask-passphrase) one typed on the terminal (twice
 * when confirm is set, for a new key); *pass is NULL when neither is
 * given, else the caller's (keys_free_passphrase()).  Reports a failure
 * on stderr; returns 0 or the status (keys.h).
 */
int cli_passphrase(const char *file, int ask, int confirm, char **pass);
/* Refuses --passphrase-file with --ask-passphrase: the usage on stderr
 * and EXIT_USAGE; -1 when at most one is given. */
int cli_passphrase_options(const char *file, int ask, const char *usage);

#endif
