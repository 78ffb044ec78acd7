/* der.h - DER TLV reading on top of kf_cur (X.690 §8, §10).
 *
 * Accepted subset: definite lengths of at most 4 length octets, tag numbers
 * up to 2^21 in high-tag form, every class.  BER indefinite length (0x80) is
 * rejected with `indefinite` set so callers can raise DER_INDEFINITE_LENGTH.
 * Nothing here recurses; callers that descend count their own depth against
 * KF_LIMIT_DER_DEPTH.
 */
#ifndef KF_DER_H
#define KF_DER_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"

enum kf_der_class { KF_DER_UNIVERSAL = 0, KF_DER_APPLICATION = 1, KF_DER_CONTEXT = 2, KF_DER_PRIVATE = 3 };

/* Universal tags krbflow meets. */
#define KF_DER_INTEGER 2u
#define KF_DER_BIT_STRING 3u
#define KF_DER_OCTET_STRING 4u
#define KF_DER_OID 6u
#define KF_DER_ENUMERATED 10u
#define KF_DER_UTF8_STRING 12u
#define KF_DER_SEQUENCE 16u
#define KF_DER_IA5_STRING 22u
#define KF_DER_GENERALIZED 24u
#define KF_DER_GENERAL_STRING 27u

struct kf_der_tlv {
	uint8_t cls; /* enum kf_der_class */
	bool constructed;
	bool indefinite; /* set when reading failed on a BER indefinite length */
	uint32_t tag;
	struct kf_span value; /* the contents octets, inside the input */
	size_t header_len;    /* identifier + length octets */
};

/* Read one TLV from the cursor and move past it.  On malformed input the
 * cursor fails (sticky) and false is returned. */
bool kf_der_read(struct kf_cur *c, struct kf_der_tlv *out);

/* Read one TLV and require the given class/tag; on a match *inner covers its
 * contents.  On a mismatch the cursor is left untouched and false returned. */
bool kf_der_read_if(struct kf_cur *c, uint8_t cls, uint32_t tag, struct kf_cur *inner);

/* Peek at the next TLV's identifier without consuming. */
bool kf_der_peek(const struct kf_cur *c, uint8_t *cls, bool *constructed, uint32_t *tag);

/* Contents of an INTEGER that fits in int64 (DER minimal encoding not required). */
bool kf_der_int(struct kf_span v, int64_t *out);

/* The first 32 bits of a BIT STRING, bit 0 = most significant bit of the
 * first content octet (the numbering RFC 4120 flags use). */
bool kf_der_bits32(struct kf_span v, uint32_t *out);

/* Shortcuts for [n] EXPLICIT wrappers, common throughout Kerberos:
 * read context tag n and then the single universal TLV inside it. */
bool kf_der_ctx_int(struct kf_cur *fields, uint32_t n, int64_t *out);

#endif
