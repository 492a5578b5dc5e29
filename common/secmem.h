/*
 * libgcrypt initialisation, done once per process before any other
 * libgcrypt call: version check, a secure memory pool for secret keys and
 * pseudonym keys (locked in RAM where the system allows; the "using
 * insecure memory" warning is suppressed), and initialisation finished.
 * Thread-safe to call more than once.
 */
#ifndef INTEL_SECMEM_H
#define INTEL_SECMEM_H

#include "err.h"

#define SECMEM_POOL (256 * 1024)

/* Returns 0, or EXIT_CONFIG if libgcrypt is too old. */
int secmem_init(struct ierr *e);

/* Copies n bytes into fresh secure memory (aborts if the pool is full). */
void *secmem_dup(const void *p, size_t n);
/* n zeroed bytes of secure memory (aborts if the pool is full). */
void *secmem_alloc(size_t n);
/* Wipes the n bytes at p and gives them back; NULL is allowed. */
void secmem_free(void *p, size_t n);
/* Wipes n bytes of ordinary memory so that the compiler keeps the wipe. */
void secmem_wipe(void *p, size_t n);

#endif
