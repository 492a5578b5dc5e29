/*
 * Private to jsonio.c, jsonio-fast.c and jsonio-canon.c: the fast reader's
 * entry and what the reader and the writer share to find, eight bytes at a
 * time, the bytes a JSON string cannot hold raw.
 */
#ifndef INTEL_JSONIO_INT_H
#define INTEL_JSONIO_INT_H

#include <stddef.h>
#include <jansson.h>

/* Eight bytes at a time: a word with a zero byte, and friends. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
#define HASZERO(x) (((x)-ONES) & ~(x)&HIGHS)

/* Bytes that a JSON string cannot hold raw (defined in jsonio.c): those
 * below 0x20, '"' and '\\'. */
extern const unsigned char jsonio_special[256];

/* Reads text[0..len) as jansson would, when it can: the value (the caller
 * owns it), or NULL when the text must go the careful way (jsonio_parse),
 * which alone words errors.  What it returns passes every check
 * jsonio_parse makes. */
json_t *jsonio_fast_parse(const char *text, size_t len);

#endif
