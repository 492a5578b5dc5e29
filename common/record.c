#include "config.h"

#include <string.h>

#include "exitcodes.h"
#include "jsonio.h"
#include "record.h"
#include "timeutil.h"

enum kind {
	K_STRING,
	K_NAME,
	K_TIME_UTC,
	K_TIME,
	K_VERSION,
	K_OBJECT,
	K_LIST,
	K_BOOL,
	K_RECEIVED
};

static const struct member {
	const char *name;
	enum kind kind;
	int required;
} members[] = {
	{ "classification", K_NAME, 0 },
	{ "created", K_TIME_UTC, 1 },
	{ "data", K_OBJECT, 1 },
	{ "expires", K_TIME, 0 },
	{ "id", K_NAME, 1 },
	{ "origin", K_NAME, 1 },
	{ "purposes", K_LIST, 0 },
	{ "received", K_RECEIVED, 0 },
	{ "releasable_to", K_LIST, 0 },
	{ "type", K_NAME, 1 },
	{ "version", K_VERSION, 1 },
	{ "withdrawn", K_BOOL, 0 },
};

static const struct member *
find_member(const char *name)
{
	for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
		if (strcmp(members[i].name, name) == 0)
			return &members[i];
	return NULL;
}

int
record_envelope_member(const char *name)
{
	return find_member(name) != NULL;
}

static int
check_received(const json_t *v, struct ierr *e)
{
	static const char *const need[] = { "at", "bundle", "from" };
	const char *key;
	json_t *m;
	int64_t t;

	if (!json_is_object(v))
		return err_set(
		    e, EXIT_DATAERR, "member \"received\" must be an object");
	json_object_foreach((json_t *)v, key, m)
	{
		int known = 0;

		for (size_t i = 0; i < 3; i++)
			known |= strcmp(key, need[i]) == 0;
		if (!known)
			return err_set(e, EXIT_DATAERR,
			    "unknown member \"received.%.60s\"", key);
		if (!json_is_string(m) || json_string_length(m) == 0)
			return err_set(e, EXIT_DATAERR,
			    "member \"received.%s\" must be a non-empty string",
			    key);
	}
	for (size_t i = 0; i < 3; i++)
		if (json_object_get(v, need[i]) == NULL)
			return err_set(e, EXIT_DATAERR,
			    "missing member \"received.%s\"", need[i]);
	if (timeutil_parse(json_string_value(json_object_get(v, "at")), &t))
		return err_set(e, EXIT_DATAERR,
		    "member \"received.at\" is not an RFC 3339 time");
	return 0;
}

static int
check_member(const struct member *m, const json_t *v, struct ierr *e)
{
	size_t i;
	json_t *el;
	int64_t t;

	switch (m->kind) {
	case K_STRING:
		if (!json_is_string(v))
			goto type;
		return 0;
	case K_NAME:
		if (!json_is_string(v) || json_string_length(v) == 0)
			return err_set(e, EXIT_DATAERR,
			    "member \"%s\" must be a non-empty string",
			    m->name);
		return 0;
	case K_TIME_UTC:
		if (!json_is_string(v) ||
		    timeutil_parse_utc(json_string_value(v), &t) != 0)
			return err_set(e, EXIT_DATAERR,
			    "member \"%s\" must be "
			    "an RFC 3339 UTC time like 2026-11-01T09:30:00Z",
			    m->name);
		return 0;
	case K_TIME:
		if (!json_is_string(v) ||
		    timeutil_parse(json_string_value(v), &t) != 0)
			return err_set(e, EXIT_DATAERR,
			    "member \"%s\" must be an RFC 3339 time", m->name);
		return 0;
	case K_VERSION:
		if (!json_is_integer(v) || json_integer_value(v) < 1)
			return err_set(e, EXIT_DATAERR,
			    "member \"%s\" must be an integer >= 1", m->name);
		return 0;
	case K_OBJECT:
		if (!json_is_object(v))
			goto type;
		return 0;
	case K_LIST:
		if (!json_is_array(v))
			return err_set(e, EXIT_DATAERR,
			    "member \"%s\" must be an array of strings",
			    m->name);
		json_array_foreach(v, i, el) if (!json_is_string(el) ||
		    json_string_length(el) == 0) return err_set(e, EXIT_DATAERR,
		    "member \"%s\" "
		    "must be an array of non-empty strings",
		    m->name);
		return 0;
	case K_BOOL:
		if (!json_is_boolean(v))
			goto type;
		return 0;
	case K_RECEIVED:
		return check_received(v, e);
	}
type:
	return err_set(e, EXIT_DATAERR, "member \"%s\" must be %s", m->name,
	    m->kind == K_OBJECT	    ? "an object"
		: m->kind == K_BOOL ? "a boolean"
				    : "a string");
}

int
record_validate(const json_t *rec, struct ierr *e)
{
	const char *key;
	json_t *v;
	int rc;

	if (!json_is_object(rec))
		return err_set(e, EXIT_DATAERR, "a record must be an object");
	json_object_foreach((json_t *)rec, key, v)
	{
		const struct member *m = find_member(key);

		if (m == NULL)
			return err_set(
			    e, EXIT_DATAERR, "unknown member \"%.60s\"", key);
		if ((rc = check_member(m, v, e)) != 0)
			return rc;
	}
	for (size_t i = 0; i < sizeof members / sizeof members[0]; i++)
		if (members[i].required &&
		    json_object_get(rec, members[i].name) == NULL)
			return err_set(e, EXIT_DATAERR, "missing member \"%s\"",
			    members[i].name);
	if (record_withdrawn(rec) &&
	    json_object_size(json_object_get(rec, "data")) != 0)
		return err_set(
		    e, EXIT_DATAERR, "a withdrawn record must have empty data");
	return 0;
}

int
record_parse(const char *line, size_t len, json_t **out, struct ierr *e)
{
	json_t *rec;
	int rc;

	if ((rc = jsonio_parse(line, len, &rec, e)) != 0)
		return rc;
	if ((rc = record_validate(rec, e)) != 0) {
		json_decref(rec);
		return rc;
	}
	*out = rec;
	return 0;
}

const char *
record_str(const json_t *rec, const char *member)
{
	return json_string_value(json_object_get(rec, member));
}

int64_t
record_version(const json_t *rec)
{
	json_t *v = json_object_get(rec, "version");

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

int
record_withdrawn(const json_t *rec)
{
	return json_is_true(json_object_get(rec, "withdrawn"));
}

int
record_is_pseudonym(const char *s, size_t len)
{
	if (len != 35 || memcmp(s, "pn:", 3) != 0)
		return 0;
	for (size_t i = 3; i < 35; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}
