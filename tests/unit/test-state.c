/*
 * state.h: the sequence counters of intel-sign and intel-verify.  A
 * counter rises by one per bundle and is never repeated, not even by runs
 * at the same time; --seq raises it and never lowers it; a damaged or
 * exhausted counter is an error, not a fresh start; names cannot reach
 * outside the folder; the lock keeps a second run waiting.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exitcodes.h"
#include "state.h"
#include "tap.h"
#include "util.h"

static int
is_file(const char *path, const char *want, const char *what)
{
	char *got = util_read_file(path, NULL);
	int pass = is_str(got, want, "%s", what);

	free(got);
	return pass;
}

static void
test_path(void)
{
	char *p, want[4200];

	p = state_path("/d", STATE_SENT, "de-fr.2026_x", "DE-BKA", "FR-DGSI");
	is_str(p, "/d/de-fr.2026_x,DE-BKA,FR-DGSI.sent",
	    "the sent counter's "
	    "name");
	free(p);
	p = state_path("/d", STATE_ACCEPTED, "a", "b", "c");
	is_str(p, "/d/a,b,c.accepted", "the accepted counter's name");
	free(p);
	p = state_path("/d", STATE_SENT, "../../etc/x", "A,B", "C D");
	is_str(p, "/d/..%2F..%2Fetc%2Fx,A%2CB,C%20D.sent",
	    "a slash, a comma "
	    "and a space are escaped: the name stays in the folder and "
	    "(agreement, from, to) stays one triple");
	free(p);
	p = state_path("/d", STATE_SENT, "\xc3\xa9", "%", "");
	snprintf(want, sizeof want, "/d/%%C3%%A9,%%25,.sent");
	is_str(p, want, "bytes outside ASCII and %% itself are escaped");
	free(p);
}

static void
test_counter(void)
{
	struct ierr e = IERR_INIT;
	char *dir = util_path("state"), *sent;
	struct stat st;
	int64_t seq = 0;

	sent = state_path(dir, STATE_SENT, "ag", "DE-BKA", "FR-DGSI");
	is_int(state_next_seq(dir, "ag", "DE-BKA", "FR-DGSI", -1, &seq, &e), 0,
	    "the first seq");
	is_int(seq, 1, "... is 1");
	ok(stat(dir, &st) == 0 && S_ISDIR(st.st_mode) &&
		(st.st_mode & 0777) == 0700,
	    "the folder was made, mode 0700");
	is_file(sent, "1\n", "the counter file: a number and a newline");
	state_next_seq(dir, "ag", "DE-BKA", "FR-DGSI", -1, &seq, &e);
	is_int(seq, 2, "then 2");
	state_next_seq(dir, "ag", "DE-BKA", "FR-DGSI", -1, &seq, &e);
	is_int(seq, 3, "then 3");
	is_file(sent, "3\n", "the file holds the last seq used");
	state_next_seq(dir, "ag", "DE-BKA", "NL-KMAR", -1, &seq, &e);
	is_int(seq, 1, "another pair has its own counter");

	is_int(state_next_seq(dir, "ag", "DE-BKA", "FR-DGSI", 10, &seq, &e), 0,
	    "--seq 10");
	is_int(seq, 10, "... is used as given");
	is_file(sent, "10\n", "... and raises the counter");
	state_next_seq(dir, "ag", "DE-BKA", "FR-DGSI", -1, &seq, &e);
	is_int(seq, 11, "the next counted seq is above it");
	is_int(state_next_seq(dir, "ag", "DE-BKA", "FR-DGSI", 5, &seq, &e), 0,
	    "--seq 5, below the counter");
	is_int(seq, 5, "... is used as given");
	is_file(sent, "11\n", "... and does not lower the counter");
	state_next_seq(dir, "ag", "DE-BKA", "FR-DGSI", -1, &seq, &e);
	is_int(seq, 12, "so no later counted seq repeats one sent");
	free(sent);
	free(dir);
}

static void
test_damaged(void)
{
	static const struct {
		const char *text, *what;
	} bad[] = {
		{ "12x\n", "a number with a letter" },
		{ "12", "no newline" },
		{ "", "an empty file" },
		{ " 12\n", "a leading space" },
		{ "-3\n", "a negative number" },
		{ "1\n2\n", "two lines" },
		{ "99999999999999999999\n", "a number past 64 bits" },
	};
	struct ierr e = IERR_INIT;
	char *dir = util_path("damaged"), *sent;
	int64_t seq;

	mkdir(dir, 0700);
	sent = state_path(dir, STATE_SENT, "ag", "A", "B");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		util_write_str(sent, bad[i].text, 0600);
		err_clear(&e);
		seq = -7;
		is_int(state_next_seq(dir, "ag", "A", "B", -1, &seq, &e),
		    EXIT_DATAERR, "%s: EXIT_DATAERR, not a fresh start",
		    bad[i].what);
		ok(strstr(e.msg, sent) != NULL,
		    "... the message names the "
		    "file: %s",
		    e.msg);
		is_file(sent, bad[i].text, "... which is left as it was");
	}
	util_write_str(sent, "9223372036854775807\n", 0600);
	is_int(state_next_seq(dir, "ag", "A", "B", -1, &seq, &e), EXIT_DATAERR,
	    "an exhausted counter: EXIT_DATAERR");
	ok(strstr(e.msg, "exhausted") != NULL, "... says so: %s", e.msg);
	is_file(sent, "9223372036854775807\n", "... and is left as it was");
	free(sent);
	free(dir);

	dir = util_path("no/such/parent");
	is_int(state_next_seq(dir, "ag", "A", "B", -1, &seq, &e),
	    EXIT_CANTCREAT,
	    "a folder whose parent is missing: "
	    "EXIT_CANTCREAT");
	ok(strstr(e.msg, dir) != NULL, "... named: %s", e.msg);
	free(dir);
}

static void
test_lock_store(void)
{
	struct ierr e = IERR_INIT;
	char *dir = util_path("accepted"), *acc, *lock;
	struct state *s = NULL;
	struct stat st;

	acc = state_path(dir, STATE_ACCEPTED, "ag", "A", "B");
	is_int(state_lock(dir, STATE_ACCEPTED, "ag", "A", "B", &s, &e), 0,
	    "lock a counter not yet stored");
	is_int(state_value(s), STATE_NONE, "... its value is STATE_NONE");
	is_int(state_store(s, 7, &e), 0, "store 7");
	is_int(state_value(s), 7, "... the value is 7");
	state_unlock(s);
	is_file(acc, "7\n", "the accepted counter holds 7");
	lock = malloc(strlen(acc) + 8);
	sprintf(lock, "%s.lock", acc);
	ok(stat(lock, &st) == 0, "the lock is a file of its own");
	is_int(state_lock(dir, STATE_ACCEPTED, "ag", "A", "B", &s, &e), 0,
	    "lock it again");
	is_int(state_value(s), 7, "... 7 is read back");

	/* A store that cannot be written (a file size limit of one byte,
	 * as a full disk would) leaves the old value. */
	{
		struct rlimit old, tiny;
		int rc;

		getrlimit(RLIMIT_FSIZE, &old);
		tiny = old;
		tiny.rlim_cur = 1;
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &tiny);
		rc = state_store(s, 80, &e);
		setrlimit(RLIMIT_FSIZE, &old);
		signal(SIGXFSZ, SIG_DFL);
		is_int(rc, EXIT_IOERR,
		    "a store that cannot be written: "
		    "EXIT_IOERR");
		is_int(state_value(s), 7, "... the value is still 7");
		is_file(acc, "7\n", "... and so is the file");
	}
	state_unlock(s);
	state_unlock(NULL);
	ok(1, "state_unlock(NULL) is allowed");
	free(lock);
	free(acc);
	free(dir);
}

static int
waited_ms(pid_t pid, int ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int st;

	for (int i = 0; i < ms / 10; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return 0;
		nanosleep(&ts, NULL);
	}
	return 1;
}

/* While one run holds the lock another waits; it then sees what the first
 * stored.  (The second run is forked before the lock is taken: a child
 * would inherit the lock's descriptor, and with it the lock.) */
static void
test_lock_waits(void)
{
	struct ierr e = IERR_INIT;
	char *dir = util_path("locked"), *sent;
	struct state *s;
	int go[2], st = 0;
	char c = 'g';
	pid_t pid;

	sent = state_path(dir, STATE_SENT, "ag", "A", "B");
	if (pipe(go) != 0) {
		ok(0, "pipe");
		goto out;
	}
	fflush(stdout);
	if ((pid = fork()) == 0) {
		struct ierr ce = IERR_INIT;
		int64_t seq = 0;

		alarm(20);
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(3);
		if (state_next_seq(dir, "ag", "A", "B", -1, &seq, &ce) != 0)
			_exit(2);
		_exit(seq == 101 ? 0 : 1);
	}
	close(go[0]);
	if (!is_int(state_lock(dir, STATE_SENT, "ag", "A", "B", &s, &e), 0,
		"hold the lock")) {
		close(go[1]);
		waitpid(pid, &st, 0);
		goto out;
	}
	if (write(go[1], &c, 1) != 1)
		diag("cannot start the second run");
	close(go[1]);
	ok(waited_ms(pid, 300), "a second run waits while the lock is held");
	ok(access(sent, F_OK) != 0, "... and has written nothing");
	state_store(s, 100, &e);
	state_unlock(s);
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "after the unlock it "
	    "takes 101, the seq after the one the first run stored");
out:
	free(sent);
	free(dir);
}

/* Eight runs at once, twenty seqs each: 1 to 160, each exactly once. */
static void
test_concurrent(void)
{
	enum { RUNS = 8, EACH = 20 };
	char *dir = util_path("busy"), *out;
	int seen[RUNS * EACH + 1] = { 0 };
	int fds[2], bad = 0, st;
	pid_t pids[RUNS];
	int64_t v;

	if (pipe(fds) != 0) {
		ok(0, "pipe");
		free(dir);
		return;
	}
	fflush(stdout);
	for (int i = 0; i < RUNS; i++)
		if ((pids[i] = fork()) == 0) {
			struct ierr e = IERR_INIT;
			int64_t seq;

			close(fds[0]);
			alarm(60);
			for (int j = 0; j < EACH; j++) {
				if (state_next_seq(
					dir, "ag", "A", "B", -1, &seq, &e) != 0)
					seq = -1;
				if (write(fds[1], &seq, sizeof seq) !=
				    (ssize_t)sizeof seq) {
					free(dir);
					_exit(2);
				}
			}
			free(dir); /* valgrind checks each child too */
			_exit(0);
		}
	close(fds[1]);
	while (read(fds[0], &v, sizeof v) == (ssize_t)sizeof v) {
		if (v < 1 || v > RUNS * EACH || seen[v]++)
			bad++;
	}
	close(fds[0]);
	for (int i = 0; i < RUNS; i++) {
		waitpid(pids[i], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad++;
	}
	for (int i = 1; i <= RUNS * EACH; i++)
		if (seen[i] != 1)
			bad++;
	is_int(bad, 0, "%d runs at once took the seqs 1 to %d, each once", RUNS,
	    RUNS * EACH);
	out = state_path(dir, STATE_SENT, "ag", "A", "B");
	is_file(out, "160\n", "the counter ends at 160");
	free(out);
	free(dir);
}

/* Entries in a folder (-1 if it cannot be read). */
static int
entries(const char *path)
{
	struct dirent *d;
	DIR *dp;
	int n = 0;

	if ((dp = opendir(path)) == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

/* A link at path to target, as made by uid. */
static int
plant(const char *target, const char *path, uid_t uid)
{
	return symlink(target, path) != 0 || lchown(path, uid, (gid_t)-1) != 0;
}

/*
 * SPEC 9: a state folder reached through a link planted by another user
 * in a shared folder is refused (EXIT_CANTCREAT) before anything is made
 * in it: no lock file, no counter, nothing beside the link.
 */
static void
test_links(void)
{
	struct ierr e = IERR_INIT;
	struct passwd *pw = getpwnam("nobody");
	uid_t nobody = pw != NULL ? pw->pw_uid : 65534;
	char *shared = util_path("shared"), *victim = util_path("victim");
	char *own = util_path("own"), *link, *deep, *gone, *missing, *ctr;
	struct state_run *run;
	struct state *st = NULL;
	int64_t seq = 0, last;
	int fresh;

	if (geteuid() != 0) {
		ok(1, "# SKIP links of other users need root (lchown)");
		free(shared);
		free(victim);
		free(own);
		return;
	}
	link = malloc(strlen(shared) + 32);
	deep = malloc(strlen(shared) + 32);
	gone = malloc(strlen(shared) + 32);
	sprintf(link, "%s/state", shared);
	sprintf(deep, "%s/state/sub", shared);
	sprintf(gone, "%s/gone", shared);
	missing = util_path("missing");
	if (mkdir(shared, 0700) != 0 || chmod(shared, 01777) != 0 ||
	    mkdir(victim, 0700) != 0 || plant(victim, link, nobody) != 0 ||
	    plant(missing, gone, nobody) != 0)
		diag("cannot set up %s: %s", shared, strerror(errno));

	is_int(state_next_seq(link, "ag", "A", "B", -1, &seq, &e),
	    EXIT_CANTCREAT,
	    "sign's counter through a planted folder link: "
	    "EXIT_CANTCREAT");
	ok(strstr(e.msg, "the symbolic link") != NULL &&
		strstr(e.msg, "not followed") != NULL,
	    "... naming the link: %s", e.msg);
	is_int(state_lock(link, STATE_ACCEPTED, "ag", "A", "B", &st, &e),
	    EXIT_CANTCREAT, "state_lock through it: EXIT_CANTCREAT") ||
	    (state_unlock(st), 0);
	run = state_run_new(link);
	is_int(state_run_check(run, "ag", "A", "B", 1, &last, &fresh, &e),
	    EXIT_CANTCREAT, "verify's replay check through it: EXIT_CANTCREAT");
	is_int(fresh, 0, "... and the seq is not taken as fresh");
	state_run_free(run);
	is_int(state_next_seq(deep, "ag", "A", "B", -1, &seq, &e),
	    EXIT_CANTCREAT,
	    "a planted link on the way to the folder: "
	    "EXIT_CANTCREAT");
	is_int(entries(victim), 0,
	    "nothing made in the link's target "
	    "(no lock file, no counter, no folder)");
	is_int(state_next_seq(gone, "ag", "A", "B", -1, &seq, &e),
	    EXIT_CANTCREAT,
	    "a planted link to a missing folder: "
	    "EXIT_CANTCREAT");
	ok(access(missing, F_OK) != 0, "... which is not created");
	is_int(entries(shared), 2, "nothing made beside the links");

	/* A planted counter file in a shared state folder: the same rule. */
	if (mkdir(own, 0700) != 0 || chmod(own, 01777) != 0)
		diag("cannot make %s: %s", own, strerror(errno));
	ctr = state_path(own, STATE_SENT, "ag", "A", "B");
	if (plant(victim, ctr, nobody) != 0)
		diag("cannot plant %s: %s", ctr, strerror(errno));
	is_int(state_next_seq(own, "ag", "A", "B", -1, &seq, &e),
	    EXIT_CANTCREAT, "a planted counter file: EXIT_CANTCREAT");
	is_int(entries(own), 1, "... and no lock file made beside it");
	free(ctr);

	/* The user's own link is followed. */
	if (lchown(link, 0, (gid_t)-1) != 0)
		diag("lchown %s: %s", link, strerror(errno));
	is_int(state_next_seq(link, "ag", "A", "B", -1, &seq, &e), 0,
	    "a link of the user's own is followed");
	is_int(seq, 1, "... seq 1");
	ctr = state_path(victim, STATE_SENT, "ag", "A", "B");
	is_file(ctr, "1\n", "... stored in the link's target");
	free(ctr);
	free(shared);
	free(victim);
	free(own);
	free(link);
	free(deep);
	free(gone);
	free(missing);
}

int
main(void)
{
	util_tmpdir("test-state");
	umask(022);
	test_path();
	test_counter();
	test_damaged();
	test_lock_store();
	test_lock_waits();
	test_concurrent();
	test_links();
	return done_testing();
}
