/*
 * The audit log (SPEC 9): one canonical JSON line per run (per bundle for
 * intel-verify),
 *   {"agreement","at","bundle","from","prev","records","released","sha512",
 *    "to","tool","withheld"}
 * where prev is the SHA-256 hex of the previous line without its newline
 * ("" for the first), so that the log is a hash chain.  Appends are locked
 * (flock, exclusive) and flushed to disk.  Callers put no clear value of a
 * redacted field into an entry: ids, counts, digests, party codes only.
 *
 * Ownership: audit_append() borrows everything in the entry.
 */
#ifndef INTEL_AUDIT_H
#define INTEL_AUDIT_H

#include <stdint.h>
#include <jansson.h>

#include "err.h"

#define AUDIT_NONE (-1) /* a count that does not apply: null */

struct audit_entry {
	const char *tool;      /* "intel-redact"; required */
	const char *agreement; /* agreement id, or NULL */
	int64_t at;	       /* when (seconds, UTC); written RFC 3339 */
	const char *bundle;    /* bundle id, or NULL */
	const char *from;      /* party codes, or NULL */
	const char *to;
	long long records;	/* records read, or AUDIT_NONE */
	long long released;	/* records released/written, or AUDIT_NONE */
	const char *sha512;	/* bundle digest (hex), or NULL */
	const json_t *withheld; /* a number or an object, or NULL */
};

#define AUDIT_ENTRY_INIT \
	{ \
		NULL, NULL, 0, NULL, NULL, NULL, AUDIT_NONE, AUDIT_NONE, NULL, \
		    NULL \
	}

/*
 * Appends one line to the log at path (created with mode 0600 if missing,
 * whatever the umask; reached through trusted links only, atomic.h).
 * EXIT_CANTCREAT if it cannot be opened or created, EXIT_DATAERR if its
 * last line is incomplete (no newline: an earlier append was cut short;
 * nothing is appended to a damaged chain), EXIT_IOERR if reading, writing
 * or syncing fails (a partial line is then cut off again).
 */
int
audit_append(const char *path, const struct audit_entry *ent, struct ierr *e);

/*
 * Checks the chain.  0 when every line is a JSON object whose prev is the
 * SHA-256 of the line before it; else EXIT_REFUSED with *bad_line set to
 * the first line that breaks it (from 1) and the message saying why
 * ("FILE:LINE: ...").  EXIT_NOINPUT if the file cannot be opened,
 * EXIT_IOERR on a read error.
 */
int audit_check(const char *path, unsigned long *bad_line, struct ierr *e);

#endif
