/*
 * Bech32 (BIP 173; not Bech32m), as age writes its recipients ("age1...")
 * and identities ("AGE-SECRET-KEY-1...").
 *
 * Encoding writes lower case only; callers that want the upper-case form
 * (age identities) convert the whole string.  Decoding accepts a string in
 * one case, all lower or all upper, and refuses mixed case, characters
 * outside the alphabet, a missing separator, an empty human-readable part,
 * a wrong checksum (a Bech32m one included) and padding bits that are not
 * zero.  BIP 173's limit of 90 characters is not applied, as age does not
 * apply it; the caller's buffers bound the lengths.
 *
 * Data bytes may be secret (identities): both directions convert without
 * tables indexed by the data and leave no copy behind; the caller owns
 * every buffer and wipes its own.  Nothing is allocated.
 */
#ifndef INTEL_BECH32_H
#define INTEL_BECH32_H

#include <stddef.h>

/* Characters needed for hrp of hrplen bytes and len data bytes, without
 * the NUL. */
#define BECH32_ENCODED_LEN(hrplen, len) ((hrplen) + 1 + ((len)*8 + 4) / 5 + 6)

/*
 * Encodes: out (outsize bytes, NUL included) receives hrp, "1", the data
 * in 5-bit groups and the checksum, in lower case.  hrp must be 1 or more
 * characters from '!' to '~' without upper case letters.  Returns the
 * length, or -1 when hrp is unfit or out is too small.
 */
long bech32_encode(const char *hrp, const unsigned char *data, size_t len,
    char *out, size_t outsize);

/*
 * Decodes s[0..slen): the human-readable part goes to hrp (lower case,
 * NUL-terminated, hrpsize bytes with the NUL), the data to data (datasize
 * bytes; *datalen set).  Returns 0, or -1 with a static phrase in *why
 * (why may be NULL); on failure data may hold partial output: wipe it if
 * it is secret.
 */
int bech32_decode(const char *s, size_t slen, char *hrp, size_t hrpsize,
    unsigned char *data, size_t datasize, size_t *datalen, const char **why);

#endif
