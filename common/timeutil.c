#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

#include "exitcodes.h"
#include "timeutil.h"

/* Days from 1970-01-01 to year-month-day (proleptic Gregorian). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
timeutil_valid_date(int year, int month, int day)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int leap, max;

	if (year < 0 || year > 9999 || month < 1 || month > 12 || day < 1)
		return 0;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	max = mdays[month - 1] + (month == 2 && leap);
	return day <= max;
}

static int
digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Reads "YYYY-MM-DD" at s; returns days since the epoch through *days. */
static int
parse_date(const char *s, int64_t *days)
{
	int y, m, d;

	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &m) ||
	    s[7] != '-' || digits(s + 8, 2, &d))
		return -1;
	if (!timeutil_valid_date(y, m, d))
		return -1;
	*days = days_from_civil(y, m, d);
	return 0;
}

/* Reads "HH:MM:SS" at s. */
static int
parse_clock(const char *s, int64_t *secs)
{
	int h, mi, se;

	if (digits(s, 2, &h) || s[2] != ':' || digits(s + 3, 2, &mi) ||
	    s[5] != ':' || digits(s + 6, 2, &se))
		return -1;
	/* A leap second (:60) is not representable in our arithmetic. */
	if (h > 23 || mi > 59 || se > 59)
		return -1;
	*secs = h * 3600 + mi * 60 + se;
	return 0;
}

int
timeutil_parse(const char *s, int64_t *t)
{
	int64_t days, secs, off = 0;
	const char *p;
	int oh, om;

	if (strlen(s) < 20 || parse_date(s, &days) ||
	    (s[10] != 'T' && s[10] != 't') || parse_clock(s + 11, &secs))
		return -1;
	p = s + 19;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		off = 0;
	else if ((*p == '+' || *p == '-') && strlen(p) == 6 &&
	    digits(p + 1, 2, &oh) == 0 && p[3] == ':' &&
	    digits(p + 4, 2, &om) == 0 && oh <= 23 && om <= 59)
		off = (*p == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
	else
		return -1;
	*t = days * 86400 + secs - off;
	return 0;
}

int
timeutil_parse_utc(const char *s, int64_t *t)
{
	int64_t days, secs;

	if (strlen(s) != 20 || parse_date(s, &days) || s[10] != 'T' ||
	    parse_clock(s + 11, &secs) || s[19] != 'Z')
		return -1;
	*t = days * 86400 + secs;
	return 0;
}

int
timeutil_parse_date(const char *s, int64_t *t)
{
	int64_t days;

	if (strlen(s) != 10 || parse_date(s, &days))
		return -1;
	*t = days * 86400;
	return 0;
}

static void
put(char *p, int v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
timeutil_format(int64_t t, char out[TIMEUTIL_LEN])
{
	int64_t z, era, doe, yoe, y, doy, mp, d, m, secs;

	z = (t >= 0 ? t : t - 86399) / 86400;
	secs = t - z * 86400;
	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp + (mp < 10 ? 3 : -9);
	y += m <= 2;
	if (y < 0 || y > 9999) {
		/* Out of the four-digit range: clamp, never overflow out. */
		strcpy(out,
		    y < 0 ? "0000-01-01T00:00:00Z" : "9999-12-31T23:59:59Z");
		return;
	}
	put(out, (int)y, 4);
	out[4] = '-';
	put(out + 5, (int)m, 2);
	out[7] = '-';
	put(out + 8, (int)d, 2);
	out[10] = 'T';
	put(out + 11, (int)(secs / 3600), 2);
	out[13] = ':';
	put(out + 14, (int)(secs / 60 % 60), 2);
	out[16] = ':';
	put(out + 17, (int)(secs % 60), 2);
	out[19] = 'Z';
	out[20] = '\0';
}

int
timeutil_now(int64_t *now, struct ierr *e)
{
	const char *env = getenv("INTEL_NOW");

	if (env != NULL && *env != '\0') {
		if (timeutil_parse(env, now) != 0)
			return err_set(e, EXIT_USAGE,
			    "INTEL_NOW is not an RFC 3339 time: \"%.40s\"",
			    env);
		return 0;
	}
	*now = (int64_t)time(NULL);
	return 0;
}
