/*
 * Passphrases for sealed key files (keys.h): the first line of a
 * passphrase file, or a prompt on the terminal with echo off.  Both come
 * back in secure memory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <gcrypt.h>

#include "exitcodes.h"
#include "keys.h"
#include "secfile.h"
#include "secmem.h"

int
keys_read_passphrase_file(const char *path, char **pass, struct ierr *e)
{
	unsigned char *file;
	char *buf, *nl;
	size_t filelen, len;
	int rv;

	*pass = NULL;
	if ((rv = secfile_read(
		 path, &secfile_passphrase, &file, &filelen, e)) != 0)
		return rv;
	buf = (char *)file;
	len = filelen;
	if ((nl = memchr(buf, '\n', len)) != NULL)
		len = (size_t)(nl - buf);
	if (len > KEYS_PASSPHRASE_MAX)
		rv = err_set(e, EXIT_CONFIG,
		    "%s: the passphrase is longer "
		    "than %d bytes",
		    path, KEYS_PASSPHRASE_MAX);
	else if (len == 0)
		rv = err_set(e, EXIT_CONFIG,
		    "%s: the first line (the "
		    "passphrase) is empty",
		    path);
	else if (memchr(buf, '\0', len) != NULL)
		rv = err_set(e, EXIT_CONFIG,
		    "%s: the passphrase holds a NUL "
		    "byte",
		    path);
	if (rv != 0) {
		secfile_free(file, filelen);
		return rv;
	}
	/* Wipe the rest of the file (later lines) and end the string. */
	secmem_wipe(buf + len, filelen - len);
	*pass = buf;
	return 0;
}

void
keys_free_passphrase(char *pass)
{
	if (pass == NULL)
		return;
	secmem_wipe(pass, strlen(pass));
	gcry_free(pass);
}

static volatile sig_atomic_t tty_signal;

static void
tty_catch(int sig)
{
	tty_signal = sig;
}

/* Reads one line from the terminal into fresh secure memory. */
static int
tty_read(int fd, const char *prompt, char **out, struct ierr *e)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa, old[4];
	struct termios saved, quiet;
	char *buf, c;
	size_t n = 0;
	ssize_t r;
	int i, rv = 0, toolong = 0;

	*out = NULL;
	if (tcgetattr(fd, &saved) == -1)
		return err_set(
		    e, EXIT_USAGE, "no terminal to ask for a passphrase on");
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = tty_catch; /* no SA_RESTART: read() returns */
	sigemptyset(&sa.sa_mask);
	tty_signal = 0;
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	quiet = saved;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	quiet.c_lflag |= ICANON;
	if (tcsetattr(fd, TCSAFLUSH, &quiet) == -1) {
		rv = err_set(e, EXIT_USAGE,
		    "cannot turn the terminal's echo "
		    "off: %s",
		    strerror(errno));
		goto restore;
	}
	buf = secmem_alloc(KEYS_PASSPHRASE_MAX + 1);
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* The prompt is a courtesy; reading still works. */
	}
	for (;;) {
		r = read(fd, &c, 1);
		if (r == -1 && errno == EINTR && tty_signal == 0)
			continue;
		if (r != 1 || c == '\n' || c == '\r')
			break;
		if (n < KEYS_PASSPHRASE_MAX)
			buf[n++] = c;
		else
			toolong = 1;
	}
	c = 0;
	if (write(fd, "\n", 1) < 0) {
		/* As above. */
	}
	tcsetattr(fd, TCSAFLUSH, &saved);
	if (tty_signal != 0)
		rv = err_set(e, EXIT_USAGE, "interrupted");
	else if (r == -1)
		rv = err_set(e, EXIT_IOERR, "cannot read the passphrase: %s",
		    strerror(errno));
	else if (toolong)
		rv = err_set(e, EXIT_CONFIG,
		    "the passphrase is longer than "
		    "%d bytes",
		    KEYS_PASSPHRASE_MAX);
	else if (n == 0)
		rv = err_set(e, EXIT_CONFIG, "empty passphrase");
	if (rv != 0)
		secmem_free(buf, KEYS_PASSPHRASE_MAX + 1);
	else
		*out = buf;
restore:
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (tty_signal != 0)
		raise(tty_signal);
	return rv;
}

int
keys_prompt_passphrase(
    const char *prompt, int confirm, char **pass, struct ierr *e)
{
	char *again = NULL;
	int fd, rv;

	*pass = NULL;
	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		return err_set(
		    e, EXIT_USAGE, "no terminal to ask for a passphrase on");
	rv = tty_read(fd, prompt, pass, e);
	if (rv == 0 && confirm) {
		rv = tty_read(fd, "Again: ", &again, e);
		if (rv == 0 && strcmp(*pass, again) != 0)
			rv = err_set(
			    e, EXIT_CONFIG, "the passphrases do not match");
		keys_free_passphrase(again);
	}
	close(fd);
	if (rv != 0) {
		keys_free_passphrase(*pass);
		*pass = NULL;
	}
	return rv;
}
