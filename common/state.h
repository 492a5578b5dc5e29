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
 * 0700) if it does not exist; its parent must.  Before anything in DIR is
 * opened or created, DIR and the counter file are resolved with the link
 * rule of SPEC 9 (atomic_resolve()): a link on the way that belongs to
 * neither the user, root nor its folder's owner is EXIT_CANTCREAT, with
 * nothing created anywhere.
 *
 * Ownership: a struct state is the caller's from state_lock() until
 * state_unlock(), which releases the lock and frees it.  Two struct state
 * for the same counter in one process would wait for each other forever:
 * hold one at a time, or hold them through a struct state_run.
 *
 * intel-verify's accepted counters (SPEC 7) go through a struct state_run:
 * the lock of each counter is taken at its first replay check and held
 * until the run records (state_run_commit) or gives up (state_run_free),
 * so that a check and its recording are one step for other runs.  A run
 * that holds counters first holds DIR/accepted.lock, so that two runs
 * never wait for each other's counters in opposite orders: runs on one
 * state folder take their turns from their first replay check to their
 * end.
 */
#ifndef INTEL_STATE_H
#define INTEL_STATE_H

#include <stdint.h>

#include "err.h"

enum state_kind { STATE_SENT, STATE_ACCEPTED };

#define STATE_NONE (-1) /* no value stored yet */

struct state;

/*
 * Locks the counter (waiting for other runs) and reads it.  EXIT_CANTCREAT
 * when DIR or the lock file cannot be created, or a link on the way may
 * not be followed, EXIT_DATAERR when the
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

/*
 * The accepted counters of one run.  dir is borrowed.  The caller owns
 * the struct state_run until state_run_free().
 */
struct state_run;
struct state_run *state_run_new(const char *dir);

/*
 * The replay check of seq for (agreement, from, to): the counter is
 * locked at its first use (waiting for other runs) and stays locked.
 * *last gets the highest seq accepted for it, stored or accepted earlier
 * in this run, or STATE_NONE; when seq is above it, *fresh is 1 and seq
 * counts as accepted from now on in this run, else *fresh is 0.  Errors
 * as state_lock() (the counter is then not held).
 */
int
state_run_check(struct state_run *r, const char *agreement, const char *from,
    const char *to, int64_t seq, int64_t *last, int *fresh, struct ierr *e);

/*
 * Records, for every counter held, the highest seq accepted in the run
 * when it is above the stored one (a counter only rises), then releases
 * them all.  EXIT_CANTCREAT or EXIT_IOERR: the counters from the failed
 * one on keep their old values.  The run holds nothing afterwards and
 * may check again.
 */
int state_run_commit(struct state_run *r, struct ierr *e);

/* Releases every counter without recording anything; NULL is allowed. */
void state_run_free(struct state_run *r);

/* The counter file's path for (dir, kind, ...): the caller's (free()). */
char *state_path(const char *dir, enum state_kind kind, const char *agreement,
    const char *from, const char *to);

#endif
