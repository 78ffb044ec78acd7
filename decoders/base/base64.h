/* base64.h - strict base64 (RFC 4648 §4) for HTTP authentication tokens.
 * Padding is optional (some clients omit it); whitespace, the URL-safe
 * alphabet, misplaced '=' and non-zero bits left over in the final quantum
 * are rejected. */
#ifndef KF_BASE64_H
#define KF_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "span.h"

/* Bytes needed to decode n characters (an upper bound). */
static inline size_t kf_base64_decoded_max(size_t n) { return (n / 4 + 1) * 3; }

/* Decode s into out (capacity cap).  Returns true and *len on success; false
 * when s is not strict base64 or does not fit (nothing useful in out). */
bool kf_base64_decode(struct kf_span s, uint8_t *out, size_t cap, size_t *len);

#endif
