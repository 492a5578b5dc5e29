#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "age.h"
#include "buf.h"
#include "exitcodes.h"
#include "sealstream.h"
#include "secmem.h"

#define PLAIN_BUF AGE_CHUNK

struct sealstream {
	FILE *out;   /* the ciphertext's way */
	FILE *plain; /* what the caller writes to */
	char *buf;   /* plain's buffer, wiped when freed */
	struct age_writer *w;
	struct ierr err; /* the first failure */
	int failed;
	int finished;
};

static int
sink(void *arg, const void *p, size_t n, struct ierr *e)
{
	struct sealstream *ss = arg;

	if (fwrite(p, 1, n, ss->out) != n)
		return err_set(e, EXIT_IOERR, "write error: %s",
		    strerror(errno ? errno : EIO));
	return 0;
}

static ssize_t
cookie_write(void *arg, const char *p, size_t n)
{
	struct sealstream *ss = arg;

	if (ss->failed || ss->finished) {
		errno = EIO;
		return -1;
	}
	if (age_writer_write(ss->w, p, n, &ss->err) != 0) {
		ss->failed = 1;
		errno = EIO;
		return -1;
	}
	return (ssize_t)n;
}

static int
cookie_close(void *arg)
{
	(void)arg;
	return 0;
}

int
sealstream_open(FILE *out, const unsigned char (*recipients)[32], size_t n,
    struct sealstream **out_ss, struct ierr *e)
{
	static const cookie_io_functions_t io = {
		.write = cookie_write,
		.close = cookie_close,
	};
	struct sealstream *ss;

	*out_ss = NULL;
	ss = xcalloc(1, sizeof *ss);
	ss->out = out;
	if ((ss->w = age_writer_new(recipients, n, sink, ss, e)) == NULL) {
		free(ss);
		return e->status;
	}
	if ((ss->plain = fopencookie(ss, "w", io)) == NULL) {
		age_writer_free(ss->w);
		free(ss);
		return err_errno(e, EXIT_IOERR, "sealed output");
	}
	ss->buf = xmalloc(PLAIN_BUF);
	setvbuf(ss->plain, ss->buf, _IOFBF, PLAIN_BUF);
	*out_ss = ss;
	return 0;
}

FILE *
sealstream_file(struct sealstream *ss)
{
	return ss->plain;
}

int
sealstream_error(const struct sealstream *ss, struct ierr *e)
{
	if (ss->failed) {
		*e = ss->err;
		return e->status;
	}
	return err_set(
	    e, EXIT_IOERR, "write error: %s", strerror(errno ? errno : EIO));
}

int
sealstream_finish(struct sealstream *ss, struct ierr *e)
{
	int rc;

	if (fflush(ss->plain) != 0 || ferror(ss->plain))
		return sealstream_error(ss, e);
	if ((rc = age_writer_finish(ss->w, e)) != 0)
		return rc;
	ss->finished = 1;
	return 0;
}

void
sealstream_free(struct sealstream *ss)
{
	if (ss == NULL)
		return;
	/* Unflushed plain text goes nowhere once the stream is marked. */
	ss->finished = 1;
	fclose(ss->plain);
	secmem_wipe(ss->buf, PLAIN_BUF);
	free(ss->buf);
	age_writer_free(ss->w);
	free(ss);
}
