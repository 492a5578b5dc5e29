#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "pack.h"
#include "record.h"
#include "timeutil.h"

int
pack_id(struct crypto_hmac *id_key, const json_t *data, const char *origin,
    const char *type, char out[33], struct ierr *e)
{
	unsigned char md[32];
	struct buf b = BUF_INIT;
	json_t *o;
	int rc;

	if (id_key == NULL) {
		crypto_random(md, 16);
		crypto_hex(md, 16, out);
		return 0;
	}
	o = json_pack(
	    "{sOssss}", "data", (json_t *)data, "origin", origin, "type", type);
	if (o == NULL)
		return err_set(e, EXIT_DATAERR, "cannot derive an id");
	rc = jsonio_canon(&b, o, e);
	json_decref(o);
	if (rc == 0) {
		crypto_hmac(id_key, b.data, b.len, md);
		crypto_hex(md, 16, out);
	}
	buf_free(&b);
	return rc;
}

/* Splits a raw object into envelope and data (SPEC 4). */
static json_t *
envelope_of(json_t *obj)
{
	json_t *rec, *data, *v;
	const char *key;
	void *tmp;

	if (json_object_get(obj, "data") != NULL)
		return json_incref(obj);
	rec = json_object();
	data = json_object();
	json_object_foreach_safe(obj, tmp, key, v)
	    json_object_set(record_envelope_member(key) ? rec : data, key, v);
	json_object_set_new(rec, "data", data);
	return rec;
}

/*
 * The first member name holding a "." anywhere under v, inside arrays too
 * (SPEC 2), or NULL.  On the way back the names of the members that lead
 * to it are appended to *path, innermost first (n of them); nothing is
 * built while nothing is found, so that good records cost one walk.
 */
static const char *
dotted_name(const json_t *v, const char ***path, size_t *n)
{
	const char *key, *found;
	json_t *m;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, m) if ((found = dotted_name(m, path,
						     n)) != NULL) return found;
		return NULL;
	}
	if (!json_is_object(v))
		return NULL;
	json_object_foreach((json_t *)v, key, m)
	{
		if (strchr(key, '.') != NULL)
			return key;
		if ((found = dotted_name(m, path, n)) != NULL) {
			*path = xrealloc(*path, (*n + 1) * sizeof **path);
			(*path)[(*n)++] = key;
			return found;
		}
	}
	return NULL;
}

/* Refuses data that holds a dotted member name: no agreement path could
 * address it, so a rule on its parent's path would not reach it. */
static int
check_names(const json_t *data, struct ierr *e)
{
	const char **path = NULL, *name;
	struct buf where = BUF_INIT;
	size_t n = 0;
	int rc;

	if ((name = dotted_name(data, &path, &n)) == NULL)
		return 0;
	buf_adds(&where, "data");
	while (n > 0)
		buf_printf(&where, ".%s", path[--n]);
	rc = err_set(e, EXIT_DATAERR,
	    "member \"%.60s\" of %.200s has a "
	    "\".\" in its name: no agreement path can address it",
	    name, where.data);
	buf_free(&where);
	free(path);
	return rc;
}

static int
fill(json_t *rec, const char *member, const char *value)
{
	if (value == NULL || json_object_get(rec, member) != NULL)
		return 0;
	return json_object_set_new(rec, member, json_string(value));
}

static int
check_agreement(const struct pack_opts *o, const json_t *rec, struct ierr *e)
{
	const char *cls = record_str(rec, "classification");
	json_t *purposes = json_object_get(rec, "purposes"), *p;
	size_t i;

	if (o->agreement == NULL)
		return 0;
	if (cls != NULL && agreement_class_rank(o->agreement, cls) < 0)
		return err_set(e, EXIT_DATAERR,
		    "classification \"%.60s\" is "
		    "not in the scale of agreement %s",
		    cls, o->agreement->id);
	json_array_foreach(purposes, i,
	    p) if (!agreement_has_purpose(o->agreement,
		       json_string_value(p))) return err_set(e, EXIT_DATAERR,
	    "purpose \"%.60s\" is "
	    "not among the purposes of agreement %s",
	    json_string_value(p), o->agreement->id);
	return 0;
}

int
pack_record(
    const struct pack_opts *o, json_t *obj, json_t **out, struct ierr *e)
{
	char created[TIMEUTIL_LEN], id[33];
	json_t *rec, *data;
	int rc;

	if (!json_is_object(obj)) {
		json_decref(obj);
		return err_set(e, EXIT_DATAERR, "not a JSON object");
	}
	rec = envelope_of(obj);
	json_decref(obj);
	if ((rc = check_names(json_object_get(rec, "data"), e)) != 0)
		goto fail;

	fill(rec, "origin", o->origin);
	fill(rec, "type", o->type);
	fill(rec, "classification", o->classification);
	if (o->npurposes > 0 && json_object_get(rec, "purposes") == NULL) {
		json_t *list = json_array();

		for (size_t i = 0; i < o->npurposes; i++)
			json_array_append_new(
			    list, json_string(o->purposes[i]));
		json_object_set_new(rec, "purposes", list);
	}
	timeutil_format(o->now, created);
	fill(rec, "created", created);
	if (json_object_get(rec, "version") == NULL)
		json_object_set_new(rec, "version", json_integer(1));

	if (json_object_get(rec, "origin") == NULL) {
		rc = err_set(e, EXIT_DATAERR,
		    "no origin: give --origin or an "
		    "\"origin\" member");
		goto fail;
	}
	if (json_object_get(rec, "type") == NULL) {
		rc = err_set(e, EXIT_DATAERR,
		    "no type: give --type or a "
		    "\"type\" member");
		goto fail;
	}
	if (json_object_get(rec, "id") == NULL) {
		/* Validate first, so that the id is derived from sane parts. */
		json_object_set_new(rec, "id", json_string("-"));
		if ((rc = record_validate(rec, e)) != 0)
			goto fail;
		data = json_object_get(rec, "data");
		if ((rc = pack_id(o->id_key, data, record_str(rec, "origin"),
			 record_str(rec, "type"), id, e)) != 0)
			goto fail;
		json_object_set_new(rec, "id", json_string(id));
	}
	if ((rc = record_validate(rec, e)) != 0 ||
	    (rc = check_agreement(o, rec, e)) != 0)
		goto fail;
	*out = rec;
	return 0;
fail:
	json_decref(rec);
	return rc;
}
