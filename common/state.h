/*
 * Sequence counters kept under a state folder (intel-sign --state,
 * intel-verify --state), one per (agreement, from, to) and kind:
 *
 *   DIR/AGREEMENT,FROM,TO.sent       the last seq intel-sign used
 *   DIR/AGREEMENT,FROM,TO.accepted   the highest seq intel-verify accepted
 *   DIR/AGREEMENT,FROM,TO.KIND.lock  the lock file (flock, exclusive)
 *
 * Bytes of the names outside [A-Za-z0-9._-] are written %XX, so that no
 * agreement id or party code can reach outside DIR.  A counter file holds
 * one decimal number and a newline; it is replaced atomically (temporary
 * file, fsync, rename, folder synced) while the lock is held, so that two
 * runs never see or write the same value.  The lock is on a file of its
 * own because the rename replaces the counter file.  DIR is created (mode
 * 0700) if it does not exist; its parent must.
 *
 * Ownership: a struct state is the caller's from state_lock() until
 * state_unlock(), which releases the lock and frees it.  Two struct state
 * for the same counter in one process would wait for each other forever:
 * hold one at a time.
 */
#ifndef INTEL_STATE_H
#define INTEL_STATE_H

#include <stdint.h>

#include "err.h"

enum state_kind { STATE_SENT, STATE_ACCEPTED };

#define STATE_NONE (-1)		/* no value stored yet */

struct state;

/*
 * Locks the counter (waiting for other runs) and reads it.  EXIT_CANTCREAT
 * when DIR or the lock file cannot be created, EXIT_DATAERR when the
 * counter file does not hold a number, EXIT_IOERR on a read error.
 */
int state_lock(const char *dir, enum state_kind kind, const char *agreement,
    const char *from, const char *to, struct state **out, struct ierr *e);
/* The value read by state_lock() or last stored, or STATE_NONE. */
int64_t state_value(const struct state *s);
/* Replaces the counter by v (>= 0), atomically and durably.  EXIT_CANTCREAT
 * or EXIT_IOERR, the old value then still in place. */
int state_store(struct state *s, int64_t v, struct ierr *e);
/* Releases the lock; NULL is allowed. */
void state_unlock(struct state *s);

/*
 * intel-sign's counter: under the lock, the next seq (1 for the first)
 * is stored and returned in *seq.  With fixed >= 0 (--seq N), *seq is
 * fixed and the counter is only raised to it if it is lower, so that a
 * later counted seq stays above every seq sent.
 */
int state_next_seq(const char *dir, const char *agreement, const char *from,
    const char *to, int64_t fixed, int64_t *seq, struct ierr *e);

/* The counter file's path for (dir, kind, ...): the caller's (free()). */
char *state_path(const char *dir, enum state_kind kind, const char *agreement,
    const char *from, const char *to);

#endif
