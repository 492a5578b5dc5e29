#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "action.h"

const struct action_def action_defs[AG_NACTIONS] = {
#define ACTION_DEF(e, nm, lo, hi, an, wd, ea, fn) \
	[AG_##e] = { .name = nm, \
		.argmin = lo, \
		.argmax = hi, \
		.argname = an, \
		.word = wd, \
		.each = ea },
	ACTION_TABLE(ACTION_DEF)
#undef ACTION_DEF
};

/* Decimal digits, no sign, no leading zero, from min to max. */
static int
parse_arg(const char *s, int min, int max, int *out)
{
	int64_t v = 0;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
	}
	if (v < min)
		return -1;
	*out = (int)v;
	return 0;
}

int
action_parse(const char *s, enum ag_action *act, int *arg)
{
	const struct action_def *d;
	size_t n;

	*arg = 0;
	for (int i = 0; i < AG_NACTIONS; i++) {
		d = &action_defs[i];
		n = strlen(d->name);
		if (strncmp(s, d->name, n) != 0)
			continue;
		if (d->argmin < 0 && s[n] != '\0')
			continue;
		if (d->argmin >= 0 &&
		    (s[n] != ':' ||
			parse_arg(s + n + 1, d->argmin, d->argmax, arg) != 0))
			continue;
		*act = (enum ag_action)i;
		return 0;
	}
	return -1;
}

void
action_format(enum ag_action act, int arg, char *out, size_t len)
{
	const struct action_def *d = &action_defs[act];

	if (d->argmin < 0)
		snprintf(out, len, "%s", d->name);
	else
		snprintf(out, len, "%s:%d", d->name, arg);
}

void
action_list(char *out, size_t len)
{
	const struct action_def *d;
	size_t o = 0;
	int n;

	out[0] = '\0';
	for (int i = 0; i < AG_NACTIONS && o < len; i++) {
		d = &action_defs[i];
		if (d->argmin < 0)
			n = snprintf(
			    out + o, len - o, "%s%s", i ? ", " : "", d->name);
		else if (d->argname != NULL)
			n = snprintf(out + o, len - o, "%s%s:%s", i ? ", " : "",
			    d->name, d->argname);
		else
			n = snprintf(out + o, len - o, "%s%s:%d to %s:%d",
			    i ? ", " : "", d->name, d->argmin, d->name,
			    d->argmax);
		if (n < 0)
			break;
		o += (size_t)n;
	}
}

int
action_word_first(enum ag_action act)
{
	const char *w = action_defs[act].word;

	if (w == NULL)
		return 0;
	for (int i = 0; i < (int)act; i++)
		if (action_defs[i].word != NULL &&
		    strcmp(action_defs[i].word, w) == 0)
			return 0;
	return 1;
}
