/*
 * Exit statuses of the intel-share tools (SPEC 9).  The values are those of
 * sysexits.h; they are spelt out here because partners' scripts depend on
 * the numbers, not on a system header.
 */
#ifndef INTEL_EXITCODES_H
#define INTEL_EXITCODES_H

enum {
	EXIT_DONE = 0,	   /* done; withheld records are not an error */
	EXIT_REFUSED = 1,  /* bundle failed, record not allowed, broken chain */
	EXIT_USAGE = 64,   /* usage error, invalid INTEL_NOW */
	EXIT_DATAERR = 65, /* malformed or invalid input data */
	EXIT_NOINPUT = 66, /* a named file cannot be opened */
	EXIT_CANTCREAT = 73, /* output cannot be created, or exists */
	EXIT_IOERR = 74,     /* I/O error, full disk included */
	EXIT_NOPERM = 77,    /* a secret file's permissions are too open */
	EXIT_CONFIG = 78     /* agreement or key invalid, no rule, passphrase */
};

#endif
