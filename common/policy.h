/*
 * The release policy engine (SPEC 3): one agreement's rule for one
 * (sender, recipient) pair, applied to records.  intel-redact transforms
 * records with it; intel-sign and intel-verify ask it whether a record
 * complies (the rule releases it and redacting it again changes nothing),
 * so that the three tools can never disagree.
 *
 * Ownership: a policy borrows the agreement (which must outlive it) and
 * owns its compiled rule tree and, when it was made with POLICY_KEY and the
 * rule pseudonymises, an HMAC context holding the pseudonym key in
 * libgcrypt secure memory; policy_free() wipes and releases both.
 * policy_redact() edits the caller's record in place and keeps no
 * reference to it.  Strings handed to callbacks live only for the call.
 *
 * A policy is not shared between threads while redacting; give each worker
 * its own (policy_new() again; it is cheap).
 */
#ifndef INTEL_POLICY_H
#define INTEL_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "agreement.h"
#include "err.h"

/* Withholding reasons, in the order SPEC 3 checks them. */
enum policy_reason {
	POLICY_TYPE,
	POLICY_CLASSIFICATION,
	POLICY_PURPOSE,
	POLICY_RELEASABLE_TO,
	POLICY_THIRD_PARTY,
	POLICY_EXPIRED,
	POLICY_NREASONS
};
#define POLICY_RELEASED (-1)

/* "type", "classification", ...; NULL for anything else. */
const char *policy_reason_name(int reason);

/*
 * Counters; policy_redact() adds to them.  A value is one member or array
 * element: dropping an object counts once, not once per leaf below it.
 * values[] is by action (action.h): values[AG_DROP] counts every value
 * removed, whatever the rule (unfit ones and default deny included); each
 * other action's counts the values it applied to, changed or not (under
 * AG_PSEUDONYMISE, ids too); values[AG_KEEP] stays 0.
 */
struct policy_stats {
	unsigned long read;
	unsigned long released;
	unsigned long withheld[POLICY_NREASONS];
	unsigned long values[AG_NACTIONS];
	unsigned long unfit; /* of the dropped: could not apply */
};

/* Adds every counter of from to to. */
void policy_stats_add(struct policy_stats *to, const struct policy_stats *from);
/* The count the summary shows under act's word: the sum over the actions
 * that share it (generalise:year and generalise:month). */
unsigned long
policy_stats_word(const struct policy_stats *s, enum ag_action act);

/* Flags for policy_new(). */
#define POLICY_KEY 0x1 /* load the pseudonym key if the rule needs it */

struct policy;

/*
 * Compiles the rule the agreement gives for (from, to), acting at `now`
 * (for expiry).  No rule for the pair: EXIT_CONFIG.  With POLICY_KEY and a
 * rule that pseudonymises (fields or ids), the pseudonym key file is read
 * (agreement_load_pseudonym_key: EXIT_CONFIG, EXIT_NOPERM); without it the
 * policy can check compliance but not redact values that need a pseudonym
 * (policy_redact() then fails with EXIT_CONFIG).  secmem_init() must have
 * been called.  On success *out is the caller's (policy_free).
 */
int policy_new(const struct agreement *a, const char *from, const char *to,
    int64_t now, int flags, struct policy **out, struct ierr *e);
void policy_free(struct policy *p);

/* The rule in use. */
const struct ag_rule *policy_rule(const struct policy *p);

/* The agreement, the pair and the time the policy was made for
 * (borrowed; for comply.c). */
void policy_pair(const struct policy *p, const struct agreement **a,
    const char **from, const char **to, int64_t *now);

/*
 * The explain callback: called once for every value policy_redact()
 * decides on, in document order.  path is written like an agreement path
 * with array positions added ("vehicles[0].plate"), a member name that
 * holds a dot in double quotes (subject."passport.number": SPEC 2, no
 * rule reaches it, so it is always dropped as unfit); rule is the path of
 * the field rule that decided, or NULL when none matched (default deny);
 * action is the rule's action as written ("keep", "mask:4", "drop");
 * outcome is what happened: "kept", "dropped", "pseudonymised", "masked",
 * "generalised", "rounded", "unchanged" (a transform that found the value
 * already in its released form) or "dropped: WHY" when the action could
 * not apply.  Never a value.
 */
typedef void policy_explain_fn(void *arg, const char *path, const char *rule,
    const char *action, const char *outcome);

/*
 * Decides on one valid record (record_validate) and, when the rule
 * releases it, transforms it in place: field rules applied to `data`,
 * `received` removed, `id` pseudonymised under `ids: pseudonymise`.
 * *reason is POLICY_RELEASED or the withholding reason (the record is then
 * left unchanged).  stats and explain may be NULL.  Returns 0, or an exit
 * status with e set (EXIT_CONFIG when a pseudonym is needed and the policy
 * has no key; EXIT_DATAERR for a record that is not an object with data);
 * on error the record may be half transformed and must not be written.
 */
int policy_redact(struct policy *p, json_t *rec, int *reason,
    struct policy_stats *stats, policy_explain_fn *explain, void *arg,
    struct ierr *e);

/*
 * Does the record comply with the rule: released, and redacting it again
 * changes nothing?  Needs no pseudonym key: a value under pseudonymise
 * complies exactly when it reads "pn:" and 32 lowercase hex digits (and so
 * does the id under ids: pseudonymise).  Returns 1, or 0 with why set to
 * "withheld: REASON", "received: never travels", "id: not a pseudonym",
 * "PATH: ACTION would change it" or "PATH: a name with "." no path can
 * address" (the first offending value's path, never the value).  The
 * record is not changed.
 */
int
policy_complies(struct policy *p, const json_t *rec, char *why, size_t whylen);

/*
 * Pseudonym of s[0..len) (a field's string, normalised per SPEC 3: a-z
 * upper-cased, spaces and hyphens removed) into out ("pn:" + 32 hex + NUL).
 * Returns 0, or EXIT_CONFIG when the policy has no key.
 */
#define POLICY_PN_LEN 36
int policy_pseudonym(struct policy *p, const char *s, size_t len,
    char out[POLICY_PN_LEN], struct ierr *e);

#endif
