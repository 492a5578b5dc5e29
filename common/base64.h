/*
 * Standard base64 (RFC 4648, section 4: A-Z a-z 0-9 + /, padded with =).
 *
 * Decoding is strict: the length is a multiple of four, padding is
 * required, no white space or other character is accepted, and the unused
 * bits of the last character must be zero, so that every byte string has
 * exactly one accepted encoding.  Both directions run in time that depends
 * only on the length, not on the bytes (keys pass through here).
 *
 * The caller owns every buffer; nothing is allocated.
 */
#ifndef INTEL_BASE64_H
#define INTEL_BASE64_H

#include <stddef.h>

/* Characters needed to encode n bytes, without the NUL. */
#define BASE64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)
/* Bytes a string of len characters can decode to, at most. */
#define BASE64_DECODED_MAX(len) (((len) / 4) * 3)

/* Encodes n bytes into out, which holds BASE64_ENCODED_LEN(n) + 1
 * characters; writes the NUL and returns the length. */
size_t base64_encode(const void *in, size_t n, char *out);

/* Decodes len characters of in into out, which holds
 * BASE64_DECODED_MAX(len) bytes; stores the number of bytes in *outlen.
 * 0 on success, -1 if in is not strict base64 (out may then hold
 * partial output: wipe it if it is secret). */
int
base64_decode(const char *in, size_t len, unsigned char *out, size_t *outlen);

#endif
