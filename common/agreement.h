/*
 * Sharing agreements (SPEC 3), loaded from YAML with libyaml and validated
 * completely at load time: among the rest, every signing key is a
 * canonical Ed25519 point of the prime-order subgroup other than the
 * identity, no two keys share a key id, every recipient is an age X25519
 * recipient not of small order and listed once, and a rule with
 * seal: required names only parties with recipients.  Every error is reported as
 * "FILE:LINE:COLUMN: what is wrong" (from 1) with EXIT_CONFIG; a file that
 * cannot be opened is EXIT_NOINPUT.
 *
 * The loaded agreement is read-only for its users; agreement_free()
 * releases it and everything it points to.
 */
#ifndef INTEL_AGREEMENT_H
#define INTEL_AGREEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "action.h"
#include "err.h"

#define AG_KEY_LEN 32 /* an Ed25519 public key */

struct ag_field {
	char *path;  /* as written: "subject.passport", "*" */
	char **segs; /* the path split at dots; "*" is a wildcard */
	size_t nsegs;
	enum ag_action action; /* action.h */
	int arg;	       /* its argument, 0 for none */
	unsigned long line;    /* where the rule stands in the file */
};

struct ag_party {
	char *code;			   /* "DE-BKA" */
	char *name;			   /* NULL when absent */
	unsigned char (*keys)[AG_KEY_LEN]; /* each fit to verify with */
	size_t nkeys;
	unsigned char (*recipients)[AG_KEY_LEN]; /* X25519, SPEC 6a */
	size_t nrecipients; /* 0 when the party lists none */
};

enum ag_third_party { AG_THIRD_DENY, AG_THIRD_IF_RELEASABLE };
enum ag_seal { AG_SEAL_OPTIONAL, AG_SEAL_REQUIRED };

struct ag_rule {
	char *from; /* NULL: any sender */
	char **to;
	size_t nto;
	size_t ceiling; /* index into classifications */
	char **purposes;
	size_t npurposes;
	char **types;
	size_t ntypes;
	enum ag_third_party third_party;
	int pseudonymise_ids; /* ids: pseudonymise */
	enum ag_seal seal;    /* seal: required: every party in to has
				 * recipients */
	struct ag_field *fields;
	size_t nfields;
	unsigned long line;
};

struct agreement {
	char *file; /* the path it was loaded from */
	char *id;
	int64_t version;
	char *title;		/* NULL when absent */
	int64_t valid_from;	/* first second, UTC */
	int64_t valid_until;	/* last second, inclusive */
	char **classifications; /* lowest first */
	size_t nclassifications;
	char **purposes;
	size_t npurposes;
	int64_t retention_days; /* -1 when absent */
	char *pseudonym_key; /* resolved against the file's folder; or NULL */
	struct ag_party *parties;
	size_t nparties;
	struct ag_rule *rules;
	size_t nrules;
};

/* Loads and validates path.  On success *out is the caller's. */
int agreement_load(const char *path, struct agreement **out, struct ierr *e);
void agreement_free(struct agreement *a);

/* EXIT_CONFIG unless valid_from <= now <= valid_until. */
int
agreement_check_window(const struct agreement *a, int64_t now, struct ierr *e);

/* The party with this code, or NULL. */
const struct ag_party *
agreement_party(const struct agreement *a, const char *code);
/* Does this party hold this public key? */
int agreement_party_has_key(
    const struct ag_party *p, const unsigned char key[AG_KEY_LEN]);
/* The position of a classification in the scale, or -1. */
int agreement_class_rank(const struct agreement *a, const char *cls);
/* Is this purpose among the agreement's? */
int agreement_has_purpose(const struct agreement *a, const char *purpose);

/* The first rule whose from/to match, or NULL (no rule: callers exit 78). */
const struct ag_rule *
agreement_rule(const struct agreement *a, const char *from, const char *to);
/* Does the rule use pseudonymise (on a field or on ids)? */
int agreement_rule_pseudonymises(const struct ag_rule *r);

/*
 * Reads the pseudonym key file into libgcrypt secure memory.  Missing, not
 * readable, or shorter than 32 bytes: EXIT_CONFIG (EXIT_NOINPUT is not
 * used: the key is part of the agreement); readable by group or others:
 * EXIT_NOPERM.  The caller wipes and frees *key with gcry_free() (which
 * wipes secure memory).
 */
int agreement_load_pseudonym_key(const struct agreement *a, unsigned char **key,
    size_t *len, struct ierr *e);

#endif
