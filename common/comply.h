/*
 * Compliance without a parse tree: policy_complies() (SPEC 3: the rule
 * releases the record and redacting it again changes nothing) decided on
 * the scanner's walk over a canonical record line (scan.h).
 *
 * comply_line() answers COMPLY_YES exactly when record_parse() accepts the
 * line, the line is the record's canonical form, and policy_complies()
 * holds; COMPLY_NO when the line is a canonical valid record that does not
 * comply; COMPLY_UNSURE when the line is not canonical or not a valid
 * record, or when deciding would need the decoded text of an escaped
 * string that matters (an escaped member name inside data, an escaped
 * type, classification, origin, purpose or party code).  The caller takes
 * the jansson path for COMPLY_UNSURE, and for COMPLY_NO too when it needs
 * the message (policy_complies's "why"): this module never explains.
 *
 * Ownership: a comply borrows the policy (which must outlive it) and owns
 * its own compiled rule tree; comply_free() releases it.  One comply per
 * thread.  *r is filled on COMPLY_YES and COMPLY_NO and borrows the line.
 */
#ifndef INTEL_COMPLY_H
#define INTEL_COMPLY_H

#include <stddef.h>

#include "policy.h"
#include "scan.h"

#define COMPLY_NO 0
#define COMPLY_YES 1
#define COMPLY_UNSURE (-1)

struct comply;

struct comply *comply_new(const struct policy *p);
void comply_free(struct comply *c);

int comply_line(
    struct comply *c, const char *line, size_t len, struct scan_record *r);

#endif
