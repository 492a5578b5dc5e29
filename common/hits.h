/*
 * Pseudonym hits (SPEC 8, intel-merge --hits): a pseudonym value
 * ("pn:" and 32 lowercase hex digits) that occurs in records of two or
 * more origins.
 *
 * Two passes over the same records keep memory to the number of distinct
 * pseudonyms plus the hits themselves: hits_note() on every record finds
 * which pseudonyms occur under two or more origins; hits_collect() on the
 * same records again keeps the occurrences of just those; hits_write()
 * writes them.
 *
 * What counts: every string inside `data`, with its path written as in
 * agreements (names joined by dots, arrays transparent: "vehicles.plate"),
 * and the record's own `id` when it is a pseudonym (ids: pseudonymise),
 * with the empty path "".  Tombstones (withdrawn: true) are skipped: a
 * recalled record is not to be matched against.
 *
 * Output: one canonical JSON line per pseudonym,
 * {"pseudonym":...,"records":[{"id":...,"origin":...,"path":...},...]},
 * lines sorted by pseudonym, records inside by origin, then id, then path
 * (UTF-8 byte order), each (origin, id, path) once.
 *
 * Ownership: the hits object copies what it keeps from the records;
 * hits_free() releases everything.
 */
#ifndef INTEL_HITS_H
#define INTEL_HITS_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

#include "err.h"

struct hits;

struct hits *hits_new(void);
void hits_free(struct hits *h);

/* Pass 1: notes the pseudonyms of rec under its origin. */
void hits_note(struct hits *h, const json_t *rec);
/* Number of pseudonyms noted so far under two or more origins. */
size_t hits_count(const struct hits *h);
/* Number of distinct pseudonyms noted. */
size_t hits_distinct(const struct hits *h);

/* Pass 2: keeps the occurrences in rec of the pseudonyms that pass 1
 * found under two or more origins. */
void hits_collect(struct hits *h, const json_t *rec);

/* The same two passes over a record line that scan_record() accepts
 * (a canonical record), walked by the scanner without a parse tree.  A
 * line it does not accept is parsed instead (and ignored if that fails). */
void hits_note_line(struct hits *h, const char *line, size_t len);
void hits_collect_line(struct hits *h, const char *line, size_t len);

/* Writes the hits collected, in the order above.  EXIT_IOERR if a write
 * fails (the message names what). */
int hits_write(struct hits *h, FILE *f, struct ierr *e);

#endif
