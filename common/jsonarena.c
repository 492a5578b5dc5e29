#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <jansson.h>

#include "buf.h"
#include "jsonarena.h"

#if defined(__SANITIZE_ADDRESS__)
#define JSONARENA_OFF 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JSONARENA_OFF 1
#endif
#endif

#define JSONARENA_START (256 * 1024)

/* Each thread has its own arena; jansson's allocation functions are
 * process-wide and look at the calling thread's. */
static int enabled;
static __thread char *block;
static __thread size_t cap, used, spilled;
static __thread int active;

#ifndef JSONARENA_OFF
static void *
arena_malloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!active || n > cap - used) {
		if (active)
			spilled += n;
		return malloc(n);
	}
	used += n;
	return block + used - n;
}

static void
arena_free(void *p)
{
	if ((uintptr_t)p >= (uintptr_t)block &&
	    (uintptr_t)p < (uintptr_t)block + cap)
		return;
	free(p);
}
#endif

void
jsonarena_init(void)
{
#ifndef JSONARENA_OFF
	enabled = 1;
	json_set_alloc_funcs(arena_malloc, arena_free);
#endif
}

void
jsonarena_begin(void)
{
	if (enabled && block == NULL) {
		cap = JSONARENA_START;
		block = xmalloc(cap);
	}
	active = block != NULL;
}

void
jsonarena_reset(void)
{
	size_t want = cap;

	used = 0;
	if (spilled == 0 || block == NULL)
		return;
	while (want < cap + spilled && want < JSONARENA_MAX)
		want *= 2;
	spilled = 0;
	if (want == cap)
		return;
	free(block);
	block = xmalloc(want);
	cap = want;
}

void
jsonarena_end(void)
{
	active = 0;
}

void
jsonarena_thread_end(void)
{
	active = 0;
	free(block);
	block = NULL;
	cap = used = spilled = 0;
}
