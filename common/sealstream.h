/*
 * A stream that seals what is written to it (SPEC 6a): a FILE whose bytes
 * go through an age writer (age.h) to X25519 recipients and on, as age
 * ciphertext, to another FILE.  intel-sign hands it to bundle_sign_write()
 * in place of its output, so that the bundle is encrypted as it is
 * produced: header, records and trailer in order, in 64 KiB chunks,
 * memory flat, and the plain bundle never written anywhere.
 *
 * sealstream_open() writes the age header to out at once.  Write the
 * plain text to sealstream_file(); sealstream_finish() flushes it and
 * writes the last chunk.  A write error (or a failure of the age writer)
 * makes the FILE's writes fail; sealstream_error() then gives the
 * message (EXIT_IOERR).  Without sealstream_finish() the output is an
 * unfinished age file that any reader refuses: the caller discards it.
 *
 * Ownership: the recipients are copied; out is borrowed and stays the
 * caller's to close.  sealstream_free() closes the sealing FILE (NULL is
 * allowed).  Call secmem_init() first.
 */
#ifndef INTEL_SEALSTREAM_H
#define INTEL_SEALSTREAM_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

struct sealstream;

/* n recipients (1 to AGE_STANZAS_MAX).  EXIT_DATAERR for an unfit
 * recipient, EXIT_IOERR when out fails. */
int sealstream_open(FILE *out, const unsigned char (*recipients)[32], size_t n,
    struct sealstream **out_ss, struct ierr *e);
FILE *sealstream_file(struct sealstream *ss);
/* After a write to sealstream_file() failed: why, in e; returns the
 * status (EXIT_IOERR). */
int sealstream_error(const struct sealstream *ss, struct ierr *e);
/* Flushes the plain text and writes the last chunk.  0 or EXIT_IOERR. */
int sealstream_finish(struct sealstream *ss, struct ierr *e);
void sealstream_free(struct sealstream *ss);

#endif
