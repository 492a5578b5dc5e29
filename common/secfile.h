/*
 * Reading secret files: signing key files, passphrase files, pseudonym
 * keys, id keys (SPEC 3, 4, 6).  One reader, one rule for each failure:
 *
 * - a file that cannot be opened, or is not a regular file: the kind's
 *   missing status (EXIT_NOINPUT; EXIT_CONFIG for a pseudonym key, which
 *   SPEC 3 counts as part of the agreement);
 * - a file that group or others may access in any way: EXIT_NOPERM, as
 *   ssh does ("chmod 600");
 * - a read error: EXIT_IOERR;
 * - fewer than min or more than max bytes: EXIT_CONFIG (unless the kind
 *   reads only the first max bytes of a longer file).
 *
 * Every message names the kind and the file, never any of its bytes.
 *
 * Ownership: the bytes come back in fresh libgcrypt secure memory, with a
 * NUL after them (a passphrase is a string); release them with
 * secfile_free(), which wipes them.  Call secmem_init() first.
 */
#ifndef INTEL_SECFILE_H
#define INTEL_SECFILE_H

#include <stddef.h>

#include "err.h"

struct secfile_kind {
	const char *what; /* "pseudonym key", for messages */
	size_t min, max;  /* bytes */
	int missing;	  /* the status when it cannot be opened */
	int head;	  /* read only the first max bytes */
	int public;	  /* not a secret: any mode will do */
};

extern const struct secfile_kind secfile_signing_key; /* NAME.key */
extern const struct secfile_kind secfile_public_key;  /* NAME.pub */
extern const struct secfile_kind secfile_passphrase;  /* first line */
extern const struct secfile_kind secfile_pseudonym_key;
extern const struct secfile_kind secfile_id_key;

/* Reads path as kind says.  On success *out (the caller's, see above)
 * holds *len bytes; on failure *out is NULL and e says why. */
int secfile_read(const char *path, const struct secfile_kind *kind,
    unsigned char **out, size_t *len, struct ierr *e);
/* Wipes the len bytes secfile_read() returned and frees them; NULL is
 * allowed. */
void secfile_free(unsigned char *p, size_t len);

#endif
