/*
 * Times are seconds since the epoch, UTC, in an int64_t.
 */
#ifndef INTEL_TIMEUTIL_H
#define INTEL_TIMEUTIL_H

#include <stdint.h>

#include "err.h"

#define TIMEUTIL_LEN 21 /* "2026-11-01T09:30:00Z" and NUL */

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS, optional fraction (dropped),
 * then Z or +HH:MM / -HH:MM (applied).  0 on success, -1 if invalid. */
int timeutil_parse(const char *s, int64_t *t);
/* The strict form records use for created: YYYY-MM-DDTHH:MM:SSZ. */
int timeutil_parse_utc(const char *s, int64_t *t);
/* A calendar date YYYY-MM-DD: its first second. */
int timeutil_parse_date(const char *s, int64_t *t);
/* Formats t as YYYY-MM-DDTHH:MM:SSZ. */
void timeutil_format(int64_t t, char out[TIMEUTIL_LEN]);
/* Is YYYY-MM-DD a real calendar date (leap years included)? */
int timeutil_valid_date(int year, int month, int day);
/* The time tools act at: INTEL_NOW if set (invalid: EXIT_USAGE), else the
 * clock. */
int timeutil_now(int64_t *now, struct ierr *e);

#endif
