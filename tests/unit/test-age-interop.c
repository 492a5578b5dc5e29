/*
 * common/age.c against Debian's age (1.1.1): what our writer seals,
 * `age -d -i` opens; what `age -r` seals, our reader opens; at 0, 1, 65535,
 * 65536, 65537 and 200000 bytes, with our keys and with age-keygen's.
 * Skipped when age is not installed (AGE names another binary).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gcrypt.h>

#include "age.h"
#include "buf.h"
#include "crypto.h"
#include "exitcodes.h"
#include "secmem.h"
#include "tap.h"

static char dir[] = "/tmp/test-age-interop.XXXXXX";
static const char *age = "age";

static char *
path(const char *name)
{
	static char p[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
	return p[k];
}

static int sh(const char *fmt, ...) ATTR_PRINTF(1, 2);

static int
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int
file_sink(void *arg, const void *p, size_t n, struct ierr *e)
{
	if (fwrite(p, 1, n, arg) != n)
		return err_errno(e, EXIT_IOERR, "write");
	return 0;
}

static long
file_source(void *arg, void *buf, size_t n, struct ierr *e)
{
	size_t k = fread(buf, 1, n, arg);

	if (k == 0 && ferror(arg))
		return err_errno(e, EXIT_IOERR, "read"), -1;
	return (long)k;
}

static void
put(const char *name, const void *p, size_t n)
{
	FILE *f = fopen(path(name), "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		abort();
}

static int
same_file(const char *name, const void *p, size_t n)
{
	struct buf b = BUF_INIT;
	char tmp[8192];
	FILE *f;
	size_t k;
	int same;

	if ((f = fopen(path(name), "rb")) == NULL)
		return 0;
	while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_add(&b, tmp, k);
	fclose(f);
	same = b.len == n && (n == 0 || memcmp(b.data, p, n) == 0);
	buf_free(&b);
	return same;
}

static int
seal_file(const unsigned char (*rcpt)[32], size_t nr, const void *p, size_t n,
    const char *name)
{
	struct ierr e = IERR_INIT;
	struct age_writer *w;
	FILE *f = fopen(path(name), "wb");
	int rc;

	if (f == NULL)
		return -1;
	if ((w = age_writer_new(rcpt, nr, file_sink, f, &e)) == NULL) {
		fclose(f);
		return -1;
	}
	rc = age_writer_write(w, p, n, &e);
	if (rc == 0)
		rc = age_writer_finish(w, &e);
	age_writer_free(w);
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

static int
buf_sink(void *arg, const void *p, size_t n, struct ierr *e)
{
	(void)e;
	buf_add(arg, p, n);
	return 0;
}

static int
open_into(const char *name, const unsigned char *const *ids, size_t nids,
    struct buf *out, size_t *which, struct ierr *e)
{
	FILE *f = fopen(path(name), "rb");
	int rc;

	out->len = 0;
	if (f == NULL)
		return err_errno(e, EXIT_NOINPUT, name);
	rc = age_decrypt(file_source, f, ids, nids, buf_sink, out, which, e);
	fclose(f);
	return rc;
}

int
main(void)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 200000 };
	struct ierr e = IERR_INIT;
	struct buf out = BUF_INIT;
	unsigned char *sk, *sk2, pub[2][32], *pt;
	const unsigned char *ids[2];
	char *idstr, rcpt[AGE_RECIPIENT_LEN + 1], line[256];
	size_t i, which = 9;
	FILE *f;
	int rc;

	if (getenv("AGE") != NULL)
		age = getenv("AGE");
	if (sh("%s --version >/dev/null 2>&1", age) != 0) {
		printf("1..0 # SKIP %s is not installed\n", age);
		return 0;
	}
	if (!ok(secmem_init(&e) == 0, "secmem_init"))
		return done_testing();
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp: %s", strerror(errno));
		return done_testing();
	}
	sk = gcry_malloc_secure(32);
	sk2 = gcry_malloc_secure(32);
	idstr = gcry_malloc_secure(AGE_IDENTITY_LEN + 2);
	/* Our key pair, written as age-keygen would. */
	crypto_x25519_keygen(sk, pub[0]);
	age_identity_format(sk, idstr);
	age_recipient_format(pub[0], rcpt);
	umask(077);
	f = fopen(path("ours.txt"), "w");
	fprintf(f, "# ours\n%s\n", idstr);
	fclose(f);
	/* age-keygen's pair, read with our parsers. */
	rc = sh("age-keygen -o %s 2>/dev/null", path("theirs.txt"));
	ok(rc == 0, "age-keygen makes an identity");
	f = fopen(path("theirs.txt"), "r");
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "AGE-SECRET-KEY-1", 16) == 0)
			break;
	if (f != NULL)
		fclose(f);
	line[strcspn(line, "\n")] = '\0';
	ok(age_identity_parse(line, strlen(line), sk2, &e) == 0,
	    "we parse age-keygen's identity");
	memset(line, 0, sizeof line);
	ok(crypto_x25519_public(sk2, pub[1], &e) == 0, "its public key");
	sh("age-keygen -y %s > %s 2>/dev/null", path("theirs.txt"),
	    path("theirs.pub"));
	{
		char theirs[100] = "";
		unsigned char p2[32];

		f = fopen(path("theirs.pub"), "r");
		if (f != NULL) {
			if (fgets(theirs, sizeof theirs, f) == NULL)
				theirs[0] = '\0';
			fclose(f);
		}
		theirs[strcspn(theirs, "\n")] = '\0';
		ok(age_recipient_parse(theirs, strlen(theirs), p2, &e) == 0 &&
			memcmp(p2, pub[1], 32) == 0,
		    "age-keygen -y agrees with our public key");
	}
	pt = xmalloc(200000);
	crypto_random(pt, 200000);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t n = sizes[i];

		put("pt", pt, n);
		/* We seal, age opens, with either identity. */
		ok(seal_file(pub, 2, pt, n, "ours.age") == 0,
		    "%zu bytes: "
		    "sealed to both",
		    n);
		rc = sh("%s -d -i %s %s > %s", age, path("ours.txt"),
		    path("ours.age"), path("out1"));
		ok(rc == 0 && same_file("out1", pt, n),
		    "%zu bytes: age -d "
		    "opens ours with our identity",
		    n);
		rc = sh("%s -d -i %s %s > %s", age, path("theirs.txt"),
		    path("ours.age"), path("out2"));
		ok(rc == 0 && same_file("out2", pt, n),
		    "%zu bytes: age -d "
		    "opens ours with age-keygen's identity",
		    n);
		/* age seals, we open. */
		rc = sh("%s -r %s -o %s %s", age, rcpt, path("theirs.age"),
		    path("pt"));
		ids[0] = sk;
		ok(rc == 0 &&
			open_into("theirs.age", ids, 1, &out, &which, &e) ==
			    0 &&
			out.len == n &&
			(n == 0 || memcmp(out.data, pt, n) == 0),
		    "%zu bytes: we open what "
		    "age -r seals %s",
		    n, e.msg);
	}
	/* Two recipients by age (-R with age-keygen's, then ours). */
	put("pt", pt, 200000);
	sh("%s -R %s -r %s -o %s %s", age, path("theirs.pub"), rcpt,
	    path("two.age"), path("pt"));
	ids[0] = sk2;
	ok(open_into("two.age", ids, 1, &out, &which, &e) == 0 &&
		out.len == 200000 && memcmp(out.data, pt, 200000) == 0,
	    "age's two-recipient file opens with age-keygen's identity");
	{
		unsigned char *stranger = gcry_malloc_secure(32), sp[32];

		crypto_x25519_keygen(stranger, sp);
		ids[0] = stranger;
		ids[1] = sk;
		ok(open_into("two.age", ids, 2, &out, &which, &e) == 0 &&
			which == 1 && out.len == 200000,
		    "and with ours, second "
		    "of two identities: index %zu told",
		    which);
		ok(open_into("two.age", ids, 1, &out, &which, &e) ==
			    EXIT_REFUSED &&
			strstr(e.msg, "no stanza for this key") != NULL &&
			out.len == 0,
		    "a stranger's key: %s", e.msg);
		gcry_free(stranger);
	}
	/* age refuses a file of ours with one byte changed in its MAC. */
	seal_file(pub, 1, pt, 10, "bad.age");
	/* (Y where the MAC already has an X there: one file in 64.) */
	sh("f='%s'; c=X; [ \"$(dd if=\"$f\" bs=1 skip=150 count=1 2>/dev/null)\" = X ] "
	   "&& c=Y; printf $c | dd of=\"$f\" bs=1 seek=150 conv=notrunc "
	   "2>/dev/null",
	    path("bad.age"));
	rc = sh("%s -d -i %s -o %s %s 2>/dev/null", age, path("ours.txt"),
	    path("out3"), path("bad.age"));
	ok(rc != 0, "age refuses our file with a byte changed");
	ids[0] = sk;
	ok(open_into("bad.age", ids, 1, &out, &which, &e) == EXIT_REFUSED,
	    "and so do we: %s", e.msg);
	sh("rm -rf '%s'", dir);
	free(pt);
	buf_free(&out);
	gcry_free(idstr);
	gcry_free(sk);
	gcry_free(sk2);
	return done_testing();
}
