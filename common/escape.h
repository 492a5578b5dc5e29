/*
 * Escaping of text taken from input before it reaches a terminal or a log
 * (SPEC 9).  Control characters (U+0000-001F, U+007F-009F), the line and
 * paragraph separators (U+2028, U+2029) and the bidirectional controls
 * (U+061C, U+200E, U+200F, U+202A-202E, U+2066-2069) become "\u" and four
 * lower-case hex digits; each byte that does not belong to a valid UTF-8
 * sequence (overlong, surrogate, above U+10FFFF, cut short) becomes "\x"
 * and two lower-case hex digits.  Everything else, a backslash included,
 * is copied as it is.
 */
#ifndef INTEL_ESCAPE_H
#define INTEL_ESCAPE_H

#include <stddef.h>

/* The most one input byte can grow to (a control: "\u001b"); out needs
 * at most ESCAPE_MAX_GROWTH * n + 1 bytes for n bytes of input. */
#define ESCAPE_MAX_GROWTH 6

/*
 * Writes the escaped form of the n bytes at s into out (size outsz; the
 * caller's) and NUL-terminates it when outsz > 0.  Output that does not fit
 * is cut before the escape or character that would not fit whole.  Returns
 * the length of the whole escaped text (without the NUL), as snprintf does:
 * a result of outsz or more means it was cut.  Pure: no allocation, no
 * state.
 */
size_t escape_text(char *out, size_t outsz, const char *s, size_t n);

#endif
