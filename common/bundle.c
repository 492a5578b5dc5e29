/*
 * The bundle format (SPEC 6, intel-bundle(5)), shared by signing
 * (bundle-sign.c) and verifying (bundle-verify.c): canonical lines, the
 * members of a header and a trailer, and the report's layout.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "buf.h"
#include "bundle.h"
#include "bundle-int.h"
#include "crypto.h"
#include "escape.h"
#include "exitcodes.h"
#include "jsonio.h"
#include "timeutil.h"

/* ---- canonical lines ---- */

int
bundle_is_lchex(const char *s, size_t len, size_t want)
{
	if (len != want)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* Copies an untrusted string for display, escaped as SPEC 9 says
 * (escape.h), so that a forged header cannot drive a terminal and shows
 * what it holds; cut, at a whole character, to fit. */
void
bundle_copy_clean(char *dst, size_t size, const char *src)
{
	escape_text(dst, size, src, strlen(src));
}

/* Canonical serialisation of v followed by a newline, into b. */
int
bundle_canon_line(struct buf *b, const json_t *v, struct ierr *e)
{
	int rc;

	buf_reset(b);
	if ((rc = jsonio_canon(b, v, e)) != 0)
		return rc;
	buf_addc(b, '\n');
	return 0;
}

json_t *
bundle_parse_canonical(
    struct buf *scratch, const char *text, size_t len, char *why, size_t whylen)
{
	struct ierr pe = IERR_INIT;
	json_t *o;

	if (jsonio_parse(text, len, &o, &pe) != 0) {
		snprintf(why, whylen, "not JSON: %s", pe.msg);
		return NULL;
	}
	if (!json_is_object(o)) {
		snprintf(why, whylen, "not a JSON object");
		json_decref(o);
		return NULL;
	}
	buf_reset(scratch);
	if (jsonio_canon(scratch, o, &pe) != 0 || scratch->len != len ||
	    memcmp(scratch->data, text, len) != 0) {
		snprintf(why, whylen, "not canonical JSON");
		json_decref(o);
		return NULL;
	}
	return o;
}

const char *const bundle_header_members[] = { "agreement", "agreement_version",
	"created", "from", "id", "intel_bundle", "seq", "to", NULL };
const char *const bundle_trailer_members[] = { "intel_signature", "key",
	"records", "sha512", "sig", NULL };

/* Every member known, every known one present. */
int
bundle_members_exact(
    const json_t *o, const char *const *names, char *why, size_t whylen)
{
	const char *k;
	json_t *val;
	size_t i;

	json_object_foreach((json_t *)o, k, val)
	{
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(names[i], k) == 0)
				break;
		if (names[i] == NULL) {
			snprintf(why, whylen, "unknown member \"%.64s\"", k);
			return 0;
		}
	}
	for (i = 0; names[i] != NULL; i++)
		if (json_object_get(o, names[i]) == NULL) {
			snprintf(
			    why, whylen, "member \"%s\" is missing", names[i]);
			return 0;
		}
	return 1;
}

int
bundle_str_member(const json_t *o, const char *name, size_t max,
    const char **out, char *why, size_t whylen)
{
	json_t *m = json_object_get(o, name);

	if (!json_is_string(m)) {
		snprintf(why, whylen, "%s: not a string", name);
		return 0;
	}
	if (json_string_length(m) == 0 || json_string_length(m) >= max) {
		snprintf(why, whylen, "%s: empty or longer than %zu bytes",
		    name, max - 1);
		return 0;
	}
	*out = json_string_value(m);
	return 1;
}

int
bundle_int_member(const json_t *o, const char *name, int64_t min, int64_t *out,
    char *why, size_t whylen)
{
	json_t *m = json_object_get(o, name);

	if (!json_is_integer(m) || json_integer_value(m) < min) {
		snprintf(why, whylen, "%s: not an integer of at least %" PRId64,
		    name, min);
		return 0;
	}
	*out = json_integer_value(m);
	return 1;
}

/* ---- header and trailer ---- */

int
bundle_parse_header(struct buf *scratch, const char *text, size_t len,
    struct bundle_report *r, json_t **out, char *why, size_t whylen)
{
	const char *ag, *from, *to, *id, *created;
	int64_t fmt, t;
	json_t *h;

	h = bundle_parse_canonical(scratch, text, len, why, whylen);
	if (h == NULL)
		return 0;
	*out = h;
	if (!json_is_integer(json_object_get(h, "intel_bundle"))) {
		snprintf(why, whylen, "not a bundle header (no intel_bundle)");
		return 0;
	}
	if ((fmt = json_integer_value(json_object_get(h, "intel_bundle"))) !=
	    BUNDLE_FORMAT) {
		snprintf(why, whylen,
		    "unsupported bundle format %" PRId64 " (%d expected)", fmt,
		    BUNDLE_FORMAT);
		return 0;
	}
	if (!bundle_members_exact(h, bundle_header_members, why, whylen) ||
	    !bundle_str_member(
		h, "agreement", BUNDLE_NAME_MAX, &ag, why, whylen) ||
	    !bundle_int_member(h, "agreement_version", INT64_MIN,
		&r->agreement_version, why, whylen) ||
	    !bundle_str_member(
		h, "created", TIMEUTIL_LEN, &created, why, whylen) ||
	    !bundle_str_member(
		h, "from", BUNDLE_NAME_MAX, &from, why, whylen) ||
	    !bundle_str_member(h, "id", BUNDLE_ID_LEN + 1, &id, why, whylen) ||
	    !bundle_int_member(h, "seq", 0, &r->seq, why, whylen) ||
	    !bundle_str_member(h, "to", BUNDLE_NAME_MAX, &to, why, whylen))
		return 0;
	if (!bundle_is_lchex(id, strlen(id), BUNDLE_ID_LEN)) {
		snprintf(why, whylen, "id: not %d lowercase hex digits",
		    BUNDLE_ID_LEN);
		return 0;
	}
	if (timeutil_parse_utc(created, &t) != 0) {
		snprintf(why, whylen, "created: not an RFC 3339 UTC time");
		return 0;
	}
	r->have_header = 1;
	memcpy(r->id, id, BUNDLE_ID_LEN + 1);
	bundle_copy_clean(r->agreement, sizeof r->agreement, ag);
	bundle_copy_clean(r->from, sizeof r->from, from);
	bundle_copy_clean(r->to, sizeof r->to, to);
	memcpy(r->created, created, TIMEUTIL_LEN);
	return 1;
}

int
bundle_parse_trailer(struct buf *scratch, const char *line, size_t len,
    int newline, struct bundle_report *r, json_t **out, char *why,
    size_t whylen)
{
	const char *key, *sha, *sig;
	unsigned char raw[BASE64_DECODED_MAX(BUNDLE_SIG_B64_LEN)];
	size_t rawlen;
	int64_t fmt, n;
	json_t *t;

	if (!newline) {
		snprintf(why, whylen,
		    "the last line has no newline "
		    "(truncated?)");
		return 0;
	}
	t = bundle_parse_canonical(scratch, line, len, why, whylen);
	if (t == NULL)
		return 0;
	*out = t;
	if (!json_is_integer(json_object_get(t, "intel_signature"))) {
		snprintf(why, whylen,
		    "the last line is not a trailer "
		    "(no intel_signature)");
		return 0;
	}
	fmt = json_integer_value(json_object_get(t, "intel_signature"));
	if (fmt != BUNDLE_SIG_FORMAT) {
		snprintf(why, whylen,
		    "unsupported signature format %" PRId64 " (%d expected)",
		    fmt, BUNDLE_SIG_FORMAT);
		return 0;
	}
	if (!bundle_members_exact(t, bundle_trailer_members, why, whylen) ||
	    !bundle_str_member(t, "key", 64, &key, why, whylen) ||
	    !bundle_int_member(t, "records", 0, &n, why, whylen) ||
	    !bundle_str_member(t, "sha512", 256, &sha, why, whylen) ||
	    !bundle_str_member(
		t, "sig", BUNDLE_SIG_B64_LEN + 1, &sig, why, whylen))
		return 0;
	if (!bundle_is_lchex(key, strlen(key), CRYPTO_KEY_ID_LEN)) {
		snprintf(why, whylen, "key: not %d lowercase hex digits",
		    CRYPTO_KEY_ID_LEN);
		return 0;
	}
	if (!bundle_is_lchex(sha, strlen(sha), BUNDLE_SHA512_HEX)) {
		snprintf(why, whylen, "sha512: not %d lowercase hex digits",
		    BUNDLE_SHA512_HEX);
		return 0;
	}
	/* The length first: raw has room for a signature, nothing more. */
	if (strlen(sig) != BUNDLE_SIG_B64_LEN ||
	    base64_decode(sig, strlen(sig), raw, &rawlen) != 0 ||
	    rawlen != CRYPTO_ED25519_SIG_LEN) {
		snprintf(why, whylen, "sig: not the base64 of %d bytes",
		    CRYPTO_ED25519_SIG_LEN);
		return 0;
	}
	r->have_trailer = 1;
	memcpy(r->key_id, key, sizeof r->key_id);
	r->records = n;
	return 1;
}

/* ---- the report ---- */

static const char *const outcome_names[] = {
	[BUNDLE_NOT_REACHED] = "not reached",
	[BUNDLE_PASSED] = "ok",
	[BUNDLE_FAILED] = "FAILED",
	[BUNDLE_NOT_CHECKED] = "not checked"
};

/* Appends s escaped (SPEC 9): every text the report shows may come from
 * the bundle, its name or a message about it. */
static void
add_text(struct buf *b, const char *s)
{
	size_t n = escape_text(NULL, 0, s, strlen(s));

	buf_reserve(b, n);
	escape_text(b->data + b->len, n + 1, s, strlen(s));
	b->len += n;
}

/* "  NAME        TEXT" and a newline, TEXT escaped. */
static void
add_field(struct buf *b, const char *name, const char *text)
{
	buf_printf(b, "  %-12s", name);
	add_text(b, text);
	buf_addc(b, '\n');
}

void
bundle_report_format(const struct bundle_report *r, struct buf *b)
{
	buf_adds(b, "bundle ");
	add_text(b, r->name);
	buf_addc(b, '\n');
	if (r->have_header) {
		add_field(b, "id", r->id);
		buf_printf(b, "  %-12s", "agreement");
		add_text(b, r->agreement);
		buf_printf(b, " version %" PRId64 "\n", r->agreement_version);
		add_field(b, "from", r->from);
		add_field(b, "to", r->to);
		add_field(b, "created", r->created);
		buf_printf(b, "  seq         %" PRId64 "\n", r->seq);
	}
	if (r->have_trailer) {
		buf_printf(b, "  %-12s", "key");
		add_text(b, r->key_id);
		buf_adds(b, " (");
		add_text(b,
		    r->key_party[0] != '\0' ? r->key_party
					    : "no party of the agreement");
		buf_adds(b, ")\n");
		if ((unsigned long long)r->records == r->lines_read)
			buf_printf(b, "  records     %lld\n", r->records);
		else
			buf_printf(b,
			    "  records     %llu (the trailer says "
			    "%lld)\n",
			    r->lines_read, r->records);
	}
	if (r->sha512[0] != '\0')
		add_field(b, "sha512", r->sha512);
	buf_printf(b, "  checks\n");
	for (int c = 0; c < BUNDLE_NCHECKS; c++) {
		buf_printf(b, "    %-11s %s",
		    bundle_check_name((enum bundle_check)c),
		    outcome_names[r->outcome[c]]);
		if (r->outcome[c] == BUNDLE_FAILED) {
			buf_adds(b, ": ");
			add_text(b, r->note[c]);
		} else if (r->outcome[c] != BUNDLE_NOT_REACHED &&
		    r->note[c][0]) {
			buf_adds(b, " (");
			add_text(b, r->note[c]);
			buf_addc(b, ')');
		}
		buf_addc(b, '\n');
	}
	if (r->accepted)
		buf_printf(b, "  result      ACCEPTED\n");
	else if (r->failed_line == 0) {
		/* Not the bundle: the state folder failed at its check. */
		buf_printf(b, "  result      REFUSED (%s: ",
		    bundle_check_name(r->failed));
		add_text(b, r->note[r->failed]);
		buf_adds(b, ")\n");
	} else
		buf_printf(b, "  result      REFUSED (%s, line %lu)\n",
		    bundle_check_name(r->failed), r->failed_line);
}
