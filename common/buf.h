/*
 * A growable byte buffer.  The buffer owns its bytes; buf_free() releases
 * them.  Allocation failure aborts the process (there is no sensible way to
 * go on, and no output has been committed at that point).
 */
#ifndef INTEL_BUF_H
#define INTEL_BUF_H

#include <stddef.h>

struct buf {
	char *data; /* NUL-terminated after every buf_* call */
	size_t len;
	size_t cap;
};

#define BUF_INIT \
	{ \
		NULL, 0, 0 \
	}

void buf_reserve(struct buf *b, size_t more);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addc(struct buf *b, char c);
void buf_adds(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

/* xmalloc-style helpers: abort on exhaustion. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
