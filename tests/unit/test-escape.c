/*
 * Unit tests for common/escape.c: the edges of every range SPEC 9 escapes,
 * invalid UTF-8 of every kind, and output cut to the buffer.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "escape.h"
#include "tap.h"

static char out[256];

static const char *
esc(const char *s, size_t n)
{
	escape_text(out, sizeof out, s, n);
	return out;
}

/* The UTF-8 encoding of c (below U+10000 here) in b; returns its length. */
static size_t
utf8(uint32_t c, char *b)
{
	if (c < 0x80) {
		b[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	b[0] = (char)(0xe0 | c >> 12);
	b[1] = (char)(0x80 | (c >> 6 & 0x3f));
	b[2] = (char)(0x80 | (c & 0x3f));
	return 3;
}

/* Every edge of the escaped ranges, with its neighbours outside. */
static const struct {
	uint32_t c;
	int escaped;
} edge[] = {
	{ 0x0000, 1 },
	{ 0x0001, 1 },
	{ 0x0009, 1 },
	{ 0x000a, 1 },
	{ 0x001b, 1 },
	{ 0x001f, 1 },
	{ 0x0020, 0 },
	{ 0x007e, 0 },
	{ 0x007f, 1 },
	{ 0x0080, 1 },
	{ 0x009b, 1 },
	{ 0x009f, 1 },
	{ 0x00a0, 0 },
	{ 0x061b, 0 },
	{ 0x061c, 1 },
	{ 0x061d, 0 },
	{ 0x200d, 0 },
	{ 0x200e, 1 },
	{ 0x200f, 1 },
	{ 0x2010, 0 },
	{ 0x2027, 0 },
	{ 0x2028, 1 },
	{ 0x2029, 1 },
	{ 0x202a, 1 },
	{ 0x202d, 1 },
	{ 0x202e, 1 },
	{ 0x202f, 0 },
	{ 0x2065, 0 },
	{ 0x2066, 1 },
	{ 0x2069, 1 },
	{ 0x206a, 0 },
	{ 0xfeff, 0 },
	{ 0xffff, 0 },
};

/* Bytes that are not valid UTF-8, and how each comes out. */
static const struct {
	const char *in, *want, *what;
} bad[] = {
	{ "\x80", "\\x80", "a lone continuation byte" },
	{ "\xbf", "\\xbf", "the last continuation byte" },
	{ "\xc0\x80", "\\xc0\\x80", "overlong NUL (C0 80)" },
	{ "\xc1\xbf", "\\xc1\\xbf", "overlong U+007F (C1 BF)" },
	{ "\xe0\x9f\xbf", "\\xe0\\x9f\\xbf", "overlong U+07FF (E0 9F BF)" },
	{ "\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf",
	    "overlong U+FFFF (F0 8F BF BF)" },
	{ "\xed\xa0\x80", "\\xed\\xa0\\x80", "the first surrogate U+D800" },
	{ "\xed\xbf\xbf", "\\xed\\xbf\\xbf", "the last surrogate U+DFFF" },
	{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80", "U+110000" },
	{ "\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80", "lead byte F5" },
	{ "\xfe", "\\xfe", "byte FE" },
	{ "\xff", "\\xff", "byte FF" },
	{ "\xe2\x80", "\\xe2\\x80", "a sequence cut short at the end" },
	{ "\xe2\x80"
	  "A",
	    "\\xe2\\x80"
	    "A",
	    "a sequence cut short by ASCII" },
	{ "\xc3"
	  "\xc3\xa9",
	    "\\xc3"
	    "\xc3\xa9",
	    "a lead byte before a valid character" },
	{ "\xe2\x80\xae", "\\u202e", "U+202E itself is valid and escaped" },
};

int
main(void)
{
	char in[8], want[16];
	size_t i, n, r;

	for (i = 0; i < sizeof edge / sizeof edge[0]; i++) {
		n = utf8(edge[i].c, in);
		if (edge[i].escaped)
			snprintf(want, sizeof want, "\\u%04x", edge[i].c);
		else {
			memcpy(want, in, n);
			want[n] = '\0';
		}
		is_str(esc(in, n), want, "U+%04X is %s", (unsigned)edge[i].c,
		    edge[i].escaped ? "escaped" : "kept");
	}
	ok(strcmp(esc("\x1b", 1), "\\u001b") == 0,
	    "ESC is \\u001b (lower "
	    "case, four digits)");
	is_str(esc("\xe2\x80\xaa", 3), "\\u202a", "hex digits are lower case");

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		is_str(esc(bad[i].in, strlen(bad[i].in)), bad[i].want, "%s",
		    bad[i].what);

	is_str(esc("a\\u001b\\x41", 11), "a\\u001b\\x41",
	    "a backslash is written as it is");
	is_str(esc("\xf0\x9f\x98\x80 caf\xc3\xa9 \xe4\xb8\xad \xf4\x8f\xbf\xbf",
		   19),
	    "\xf0\x9f\x98\x80 caf\xc3\xa9 \xe4\xb8\xad \xf4\x8f\xbf\xbf",
	    "valid text of 1 to 4 bytes (U+10FFFF too) is kept");
	is_str(esc("file\nname\r", 10), "file\\u000aname\\u000d",
	    "newline and return keep a message on one line");
	is_str(esc("a\0b", 3), "a\\u0000b", "NUL inside the given length");
	is_str(esc("", 0), "", "empty text");

	/* Output cut to the buffer: whole escapes only, NUL-terminated,
	 * the full length returned. */
	r = escape_text(out, 5,
	    "ab\x1b"
	    "cd",
	    5);
	is_int((long long)r, 10, "returns the whole length (10)");
	is_str(out, "ab", "an escape that does not fit is left out whole");
	r = escape_text(out, 3, "abcd", 4);
	is_str(out, "ab", "plain text is cut before the NUL");
	r = escape_text(out, 8,
	    "a\x1b"
	    "b",
	    3);
	is_str(out, "a\\u001b", "an escape that just fits is written");
	r = escape_text(out, 4, "a\xc3\xa9", 3);
	is_str(out, "a\xc3\xa9", "a character that just fits is written");
	r = escape_text(out, 3, "a\xc3\xa9", 3);
	is_str(out, "a", "a character is never cut in two");
	r = escape_text(out, 3,
	    "a\x1b"
	    "b",
	    3);
	is_str(out, "a", "nothing after a part that did not fit");
	memset(out, 'X', sizeof out);
	r = escape_text(out, 0, "abc", 3);
	ok(r == 3 && out[0] == 'X', "outsz 0 writes nothing");

	/* cmd/diag.c: a report of several lines, each escaped. */
	{
		struct buf b = BUF_INIT;
		static const char rep[] = "bundle a\x1b"
					  "b\n  from  X\xe2\x80"
					  "\xaeY\xff\n\n  end\n";
		static const char want_rep[] = "bundle a\\u001bb\n  from  "
					       "X\\u202eY\\xff\n\n  end\n";

		buf_add(&b, rep, sizeof rep - 1);
		diag_escape_lines(&b);
		is_str(b.data, want_rep,
		    "diag_escape_lines: each line "
		    "escaped, newlines kept");
		diag_escape_lines(&b);
		is_str(b.data, want_rep,
		    "diag_escape_lines: escaped text "
		    "comes out the same");
		buf_reset(&b);
		diag_escape_lines(&b);
		is_str(b.data, "", "diag_escape_lines: empty text");
		buf_free(&b);
	}
	return done_testing();
}
