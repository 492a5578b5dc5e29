#include "config.h"

#include <stdlib.h>

#include "exitcodes.h"
#include "tap.h"
#include "timeutil.h"

static void
parse_ok(const char *s, int64_t want)
{
	int64_t t = 0;

	ok(timeutil_parse(s, &t) == 0 && t == want, "parse %s", s);
}

static void
parse_bad(const char *s)
{
	int64_t t;

	ok(timeutil_parse(s, &t) != 0, "refuse \"%s\"", s);
}

int
main(void)
{
	struct ierr e = IERR_INIT;
	char out[TIMEUTIL_LEN];
	int64_t t;

	parse_ok("1970-01-01T00:00:00Z", 0);
	parse_ok("2026-11-01T09:30:00Z", 1793525400);
	parse_ok("2026-11-01T09:30:00.999Z", 1793525400);
	parse_ok("2026-11-01t09:30:00z", 1793525400);
	parse_ok("2026-11-01T11:30:00+02:00", 1793525400);
	parse_ok("2026-11-01T04:00:00-05:30", 1793525400);
	parse_ok("2000-02-29T23:59:59Z", 951868799);
	parse_ok("1969-12-31T23:59:59Z", -1);
	parse_bad("");
	parse_bad("2026-11-01");
	parse_bad("2026-11-01 09:30:00Z");
	parse_bad("2026-11-01T09:30:00");
	parse_bad("2026-02-29T00:00:00Z");
	parse_bad("1900-02-29T00:00:00Z");
	parse_bad("2026-13-01T00:00:00Z");
	parse_bad("2026-11-31T00:00:00Z");
	parse_bad("2026-11-01T24:00:00Z");
	parse_bad("2026-11-01T23:60:00Z");
	parse_bad("2026-11-01T23:59:60Z");
	parse_bad("2026-11-01T09:30:00.Z");
	parse_bad("2026-11-01T09:30:00+0200");
	parse_bad("2026-11-01T09:30:00Zjunk");
	parse_bad("+026-11-01T09:30:00Z");

	ok(timeutil_parse_utc("2026-11-01T09:30:00Z", &t) == 0 &&
		t == 1793525400,
	    "strict UTC form accepted");
	ok(timeutil_parse_utc("2026-11-01T09:30:00.5Z", &t) != 0,
	    "strict form refuses a fraction");
	ok(timeutil_parse_utc("2026-11-01T09:30:00+00:00", &t) != 0,
	    "strict form refuses an offset");
	ok(timeutil_parse_date("2026-01-01", &t) == 0 && t == 1767225600,
	    "date is its first second");
	ok(timeutil_parse_date("2026-02-30", &t) != 0, "refuse 2026-02-30");
	ok(timeutil_parse_date("2026-1-01", &t) != 0, "refuse 2026-1-01");

	timeutil_format(1793525400, out);
	is_str(out, "2026-11-01T09:30:00Z", "format");
	timeutil_format(951868799, out);
	is_str(out, "2000-02-29T23:59:59Z", "format a leap day");
	timeutil_format(-1, out);
	is_str(out, "1969-12-31T23:59:59Z", "format before the epoch");
	for (t = -86400 * 400; t < 86400LL * 365 * 500; t += 86400 * 7 + 3607) {
		int64_t back;

		timeutil_format(t, out);
		if (timeutil_parse(out, &back) != 0 || back != t)
			break;
	}
	ok(t >= 86400LL * 365 * 500,
	    "format and parse round-trip over 500 "
	    "years");
	ok(timeutil_valid_date(2024, 2, 29) &&
		!timeutil_valid_date(2023, 2, 29) &&
		!timeutil_valid_date(2100, 2, 29) &&
		timeutil_valid_date(2000, 2, 29),
	    "leap years");

	setenv("INTEL_NOW", "2026-11-26T05:00:00Z", 1);
	ok(timeutil_now(&t, &e) == 0 && t == 1795669200, "INTEL_NOW is used");
	setenv("INTEL_NOW", "yesterday", 1);
	is_int(timeutil_now(&t, &e), EXIT_USAGE, "invalid INTEL_NOW is 64");
	ok(strstr(e.msg, "INTEL_NOW") != NULL, "message names INTEL_NOW");
	unsetenv("INTEL_NOW");
	ok(timeutil_now(&t, &e) == 0 && t > 1700000000, "clock otherwise");
	return done_testing();
}
