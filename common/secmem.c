#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>

#include "exitcodes.h"
#include "secmem.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int init_ok;

static void
init_once(void)
{
	if (gcry_check_version("1.10.0") == NULL)
		return;
	gcry_control(GCRYCTL_SUSPEND_SECMEM_WARN);
	gcry_control(GCRYCTL_INIT_SECMEM, SECMEM_POOL, 0);
	gcry_control(GCRYCTL_RESUME_SECMEM_WARN);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	init_ok = 1;
}

int
secmem_init(struct ierr *e)
{
	pthread_once(&once, init_once);
	if (!init_ok)
		return err_set(e, EXIT_CONFIG,
		    "libgcrypt 1.10.0 or later is needed (found %s)",
		    gcry_check_version(NULL));
	return 0;
}

void *
secmem_dup(const void *p, size_t n)
{
	void *s = gcry_malloc_secure(n ? n : 1);

	if (s == NULL)
		abort();
	memcpy(s, p, n);
	return s;
}

void *
secmem_alloc(size_t n)
{
	void *p = gcry_calloc_secure(1, n ? n : 1);

	if (p == NULL)
		abort();
	return p;
}

void
secmem_free(void *p, size_t n)
{
	if (p == NULL)
		return;
	secmem_wipe(p, n);
	gcry_free(p);
}

void
secmem_wipe(void *p, size_t n)
{
#if defined(__GNUC__)
	/* memset at full speed; the barrier tells the compiler the zeros
	 * are read, so the store is not dropped as dead. */
	if (n == 0)
		return;
	memset(p, 0, n);
	__asm__ __volatile__("" : : "r"(p) : "memory");
#else
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
#endif
}
