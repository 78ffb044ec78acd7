/* gss_token.h - the token path, the same for every carrier: an
 * authentication token (GSS-API, usually SPNEGO; bare Kerberos or NTLMSSP)
 * turned into the message it carries: AP-REQ / AP-REP / KRB-ERROR or
 * NTLM-NEGOTIATE / CHALLENGE / AUTHENTICATE, recorded with the carrier that
 * brought it.  Internal to wire/. */
#ifndef KF_GSS_TOKEN_H
#define KF_GSS_TOKEN_H

#include <stdbool.h>
#include <stdint.h>

#include "carrier.h"

/* Where a token was seen: the connection, its direction, and the carrier
 * (enum kf_carrier) the message is recorded as riding on.  The frame is the
 * packet being processed. */
struct kf_token_origin {
	const struct kf_conn *conn;
	int dir;
	uint8_t carrier;
	uint64_t first_frame; /* where the carrying PDU began; 0: the current frame */
	uint8_t sender;       /* enum kf_sender: who sent the carrying record, when it says */
};

/* What the carrying record (an HTTP request, say) tells about the token. */
struct kf_token_summary {
	uint32_t token_bytes;              /* decoded size (0: no token or undecodable) */
	bool invalid;                      /* not base64, or not a token krbflow knows */
	struct kf_spnego_rec *bare_spnego; /* a SPNEGO token with no inner message (negState only) */
};

/* Decode a binary token and record its message.  Returns the message's id,
 * or -1 when it carried none (then *sum says why). */
int64_t kf_gss_token(struct kf_run *r, const struct kf_token_origin *o, struct kf_span token,
		     struct kf_token_summary *sum);
/* The same for a base64 token68 (HTTP's Authorization / WWW-Authenticate). */
int64_t kf_gss_token_base64(struct kf_run *r, const struct kf_token_origin *o, struct kf_span token,
			    struct kf_token_summary *sum);

/* A per-message token (decoders/gss.h kf_gss_perm) recorded as a GSS-WRAP
 * or GSS-MIC message: from_client says who sent it (stories), token_bytes
 * its size.  False past the store's cap or out of memory. */
struct kf_gss_perm;
bool kf_gss_perm_record(struct kf_run *r, const struct kf_token_origin *o, const struct kf_gss_perm *p,
			uint32_t token_bytes, bool from_client);

#endif
