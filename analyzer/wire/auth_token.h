/* auth_token.h - an HTTP authentication token (RFC 4559 Negotiate, NTLM,
 * Kerberos) turned into the message it carries: AP-REQ / AP-REP / KRB-ERROR
 * (inside GSS-API and usually SPNEGO) or NTLM-NEGOTIATE / CHALLENGE /
 * AUTHENTICATE.  Internal to analyzer/. */
#ifndef KF_AUTH_TOKEN_H
#define KF_AUTH_TOKEN_H

#include <stdbool.h>
#include <stdint.h>

#include "run.h"

/* Where a token was seen. */
struct kf_token_origin {
	struct kf_endpoint src, dst;
	uint32_t connection;
	uint64_t frame, ts_us;
};

/* What the HTTP record says about the token it carried. */
struct kf_token_summary {
	uint32_t token_bytes;          /* decoded size (0: no token or undecodable) */
	bool invalid;                  /* not base64, or not a token krbflow knows */
	struct kf_spnego_rec *bare_spnego; /* a SPNEGO token with no inner message (negState only) */
};

/* Decode the base64 token68 and record its message.  Returns the message's
 * index in the store, or -1 when it carried none (then *sum says why). */
int64_t kf_auth_token(struct kf_run *r, const struct kf_token_origin *o, struct kf_span token,
		      struct kf_token_summary *sum);

#endif
