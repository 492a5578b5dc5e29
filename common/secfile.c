#include "config.h"

#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gcrypt.h>

#include "exitcodes.h"
#include "keys.h"
#include "secfile.h"
#include "secmem.h"

/* The kinds of secret file, with the bounds and statuses SPEC 3, 4 and 6
 * give them.  A key file is about 300 bytes. */
const struct secfile_kind secfile_signing_key = {
	.what = "secret key file",
	.min = 0,
	.max = 4096,
	.missing = EXIT_NOINPUT,
};
const struct secfile_kind secfile_public_key = {
	.what = "public key file",
	.min = 0,
	.max = 1024,
	.missing = EXIT_NOINPUT,
	.public = 1,
};
/* The first line is the passphrase: one byte more than the longest, to
 * tell a passphrase that is too long. */
const struct secfile_kind secfile_passphrase = {
	.what = "passphrase file",
	.min = 0,
	.max = KEYS_PASSPHRASE_MAX + 1,
	.missing = EXIT_NOINPUT,
	.head = 1,
};
const struct secfile_kind secfile_pseudonym_key = {
	.what = "pseudonym key",
	.min = 32,
	.max = 4096,
	.missing = EXIT_CONFIG,
};
const struct secfile_kind secfile_id_key = {
	.what = "id key",
	.min = 32,
	.max = 4096,
	.missing = EXIT_NOINPUT,
};

int
secfile_read(const char *path, const struct secfile_kind *k,
    unsigned char **out, size_t *outlen, struct ierr *e)
{
	const char *what = k->what;
	unsigned char *buf;
	struct stat st;
	size_t n = 0, cap = k->max + 2;
	ssize_t r;
	int fd, rc = 0;

	*out = NULL;
	*outlen = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1)
		return err_set(e, k->missing, "cannot open %s %s: %s", what,
		    path, strerror(errno));
	if (fstat(fd, &st) == -1)
		rc = err_set(e, k->missing, "cannot open %s %s: %s", what, path,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode))
		rc = err_set(
		    e, k->missing, "%s %s is not a regular file", what, path);
	else if (!k->public && (st.st_mode & 077) != 0)
		rc = err_set(e, EXIT_NOPERM,
		    "%s: permissions %04o are too "
		    "open: a %s must not be accessible by group or others "
		    "(chmod 600)",
		    path, (unsigned int)(st.st_mode & 07777), what);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	if ((buf = gcry_calloc_secure(1, cap)) == NULL)
		abort(); /* as secmem_dup() does */
	while (n < k->max + 1) {
		r = read(fd, buf + n, k->max + 1 - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			rc = err_set(e, EXIT_IOERR, "cannot read %s %s: %s",
			    what, path, strerror(errno));
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (rc == 0 && n > k->max) {
		if (k->head) {
			secmem_wipe(buf + k->max, n - k->max);
			n = k->max;
		} else
			rc = err_set(e, EXIT_CONFIG,
			    "%s %s is longer than "
			    "%zu bytes",
			    what, path, k->max);
	}
	if (rc == 0 && n < k->min)
		rc = err_set(e, EXIT_CONFIG, "%s %s is shorter than %zu bytes",
		    what, path, k->min);
	if (rc != 0) {
		secfile_free(buf, cap);
		return rc;
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return 0;
}

void
secfile_free(unsigned char *p, size_t len)
{
	if (p == NULL)
		return;
	secmem_wipe(p, len);
	gcry_free(p);
}
