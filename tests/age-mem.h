/*
 * An age source over bytes in memory, handing out at most step bytes a
 * call (0: as many as asked) and counting its calls, and an age sink into
 * a struct buf: what tests/unit/test-age.c and tests/fuzz/fuzz-age.c feed
 * the age reader and writer with.  Header-only; include it after buf.h
 * and err.h.
 */
#ifndef INTEL_TEST_AGE_MEM_H
#define INTEL_TEST_AGE_MEM_H

#include <stddef.h>
#include <string.h>

struct msrc {
	const unsigned char *p;
	size_t len, pos, step;
	unsigned long calls;
};

__attribute__((unused)) static long
msrc_read(void *arg, void *buf, size_t n, struct ierr *e)
{
	struct msrc *s = arg;
	size_t k = s->len - s->pos;

	(void)e;
	s->calls++;
	if (k > n)
		k = n;
	if (s->step > 0 && k > s->step)
		k = s->step;
	memcpy(buf, s->p + s->pos, k);
	s->pos += k;
	return (long)k;
}

/* A sink into a struct buf. */
__attribute__((unused)) static int
buf_sink(void *arg, const void *p, size_t n, struct ierr *e)
{
	(void)e;
	buf_add(arg, p, n);
	return 0;
}

#endif
