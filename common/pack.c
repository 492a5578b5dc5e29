#include "config.h"

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
	o = json_pack("{sOssss}", "data", (json_t *)data, "origin", origin,
	    "type", type);
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
		json_object_set(record_envelope_member(key) ? rec : data, key,
		    v);
	json_object_set_new(rec, "data", data);
	return rec;
}

/*
 * Refuses a member name holding a "." anywhere in data, inside arrays too
 * (SPEC 2): no agreement path could address it, so a rule on its parent's
 * path would not reach it.  path is where v is, for the message.
 */
static int
check_names(const json_t *v, struct buf *path, struct ierr *e)
{
	const char *key;
	json_t *m;
	size_t i, len = path->len;
	int rc = 0;

	if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			if ((rc = check_names(m, path, e)) != 0)
				return rc;
		return 0;
	}
	if (!json_is_object(v))
		return 0;
	json_object_foreach((json_t *)v, key, m) {
		if (strchr(key, '.') != NULL)
			return err_set(e, EXIT_DATAERR, "member \"%.60s\" of "
			    "%.200s has a \".\" in its name: no agreement "
			    "path can address it", key, path->data);
		buf_printf(path, ".%s", key);
		rc = check_names(m, path, e);
		path->len = len;
		path->data[len] = '\0';
		if (rc != 0)
			return rc;
	}
	return 0;
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
		return err_set(e, EXIT_DATAERR, "classification \"%.60s\" is "
		    "not in the scale of agreement %s", cls,
		    o->agreement->id);
	json_array_foreach(purposes, i, p)
		if (!agreement_has_purpose(o->agreement, json_string_value(p)))
			return err_set(e, EXIT_DATAERR, "purpose \"%.60s\" is "
			    "not among the purposes of agreement %s",
			    json_string_value(p), o->agreement->id);
	return 0;
}

int
pack_record(const struct pack_opts *o, json_t *obj, json_t **out,
    struct ierr *e)
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
	if ((data = json_object_get(rec, "data")) != NULL) {
		struct buf path = BUF_INIT;

		buf_adds(&path, "data");
		rc = check_names(data, &path, e);
		buf_free(&path);
		if (rc != 0)
			goto fail;
	}

	fill(rec, "origin", o->origin);
	fill(rec, "type", o->type);
	fill(rec, "classification", o->classification);
	if (o->npurposes > 0 && json_object_get(rec, "purposes") == NULL) {
		json_t *list = json_array();

		for (size_t i = 0; i < o->npurposes; i++)
			json_array_append_new(list,
			    json_string(o->purposes[i]));
		json_object_set_new(rec, "purposes", list);
	}
	timeutil_format(o->now, created);
	fill(rec, "created", created);
	if (json_object_get(rec, "version") == NULL)
		json_object_set_new(rec, "version", json_integer(1));

	if (json_object_get(rec, "origin") == NULL) {
		rc = err_set(e, EXIT_DATAERR, "no origin: give --origin or an "
		    "\"origin\" member");
		goto fail;
	}
	if (json_object_get(rec, "type") == NULL) {
		rc = err_set(e, EXIT_DATAERR, "no type: give --type or a "
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
