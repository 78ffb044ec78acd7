/* ldap.h - one LDAPMessage (RFC 4511 §4.1.1), as far as authentication needs
 * it: bindRequest (version, name, simple or SASL credentials), bindResponse
 * (LDAPResult, serverSaslCreds) and the extended operation, for StartTLS
 * (RFC 4511 §4.14, OID 1.3.6.1.4.1.1466.20037).
 *
 * Input: one whole message, its outer SEQUENCE included (the carrier frames
 * it).  BER with definite lengths only: an indefinite length is refused
 * (event LDAP_INDEFINITE_LENGTH).  A simple bind's password is never
 * returned: only that one was present.  Every span points into the input;
 * nothing is allocated.
 */
#ifndef KF_LDAP_H
#define KF_LDAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/events.h"
#include "base/span.h"

/* protocolOp APPLICATION tag numbers krbflow reads */
enum kf_ldap_op {
	KF_LDAP_BIND_REQUEST = 0,
	KF_LDAP_BIND_RESPONSE = 1,
	KF_LDAP_EXTENDED_REQUEST = 23,
	KF_LDAP_EXTENDED_RESPONSE = 24,
};

enum kf_ldap_auth {
	KF_LDAP_AUTH_NONE = 0,
	KF_LDAP_AUTH_SIMPLE, /* [0] */
	KF_LDAP_AUTH_SASL,   /* [3] SaslCredentials */
	KF_LDAP_AUTH_SICILY, /* AD's [9]/[10]/[11]: NTLM outside SASL (MS-ADTS 5.1.1.1.3) */
	KF_LDAP_AUTH_OTHER,
};

#define KF_LDAP_RESULT_SUCCESS 0u
#define KF_LDAP_RESULT_SASL_BIND_IN_PROGRESS 14u
#define KF_LDAP_STARTTLS_OID "1.3.6.1.4.1.1466.20037"

struct kf_ldap_msg {
	uint32_t message_id;
	uint8_t op;   /* the protocolOp's APPLICATION tag number */
	bool body_ok; /* the op's body was read (else only the id and the tag) */

	/* bindRequest */
	uint8_t version;
	struct kf_span name; /* the bind DN (or a user name) */
	int auth;            /* enum kf_ldap_auth */
	bool simple_password;
	struct kf_span mechanism;   /* SASL mechanism */
	struct kf_span credentials; /* SASL credentials, or a sicily NTLMSSP message; may be empty */

	/* bindResponse, extendedResponse */
	bool has_result;
	uint32_t result_code;
	struct kf_span matched_dn, diagnostic;
	bool has_ad_data; /* AD's "data NNN" in the diagnostic */
	uint32_t ad_data_code;
	struct kf_span server_creds; /* serverSaslCreds [7], or the NTLMSSP CHALLENGE an AD sicily
				      * bind's response carries in matchedDN; may be empty */

	/* extended */
	struct kf_span oid; /* requestName [0] / responseName [10] */
	bool starttls;      /* that name is StartTLS */

	const char *why; /* NULL, or why the body was not read: --debug-decode */
};

/* Decode one LDAPMessage.  False when it is not one (no SEQUENCE, no
 * messageID, no protocolOp, an indefinite length); true when the id and the
 * op tag were read.  Only the ops above get their body read; a damaged one
 * keeps body_ok false (event LDAP_MALFORMED). */
bool kf_ldap_decode(struct kf_span msg, struct kf_ldap_msg *out, struct kf_events *ev);

/* From a message's first bytes: its whole length (outer header included)
 * and its protocolOp tag.  Returns 1 when both are known, 0 when more bytes
 * are needed (at most 18 are ever needed), -1 when these bytes do not open
 * an LDAPMessage (not a SEQUENCE, an indefinite or over-long length, no
 * INTEGER id). */
struct kf_ldap_peek {
	uint64_t total;
	uint32_t message_id;
	uint8_t op_tag; /* the raw identifier octet: 0x60 bindRequest, 0x61 bindResponse, ... */
	uint8_t op_at;  /* its offset in the message */
};
int kf_ldap_peek(struct kf_span first, struct kf_ldap_peek *out);

/* Do these bytes (the start of a TCP stream on a port LDAP does not own)
 * open a bindRequest of version 2 or 3 (1: the client's) or a bindResponse
 * with its resultCode (2: the server's)?  0 otherwise.  Strict on purpose:
 * a probe must not claim other BER protocols. */
int kf_ldap_probe_bind(struct kf_span first);

/* AD's "..., data 52e, ..." in a diagnostic message: the hex code after
 * "data ".  False when there is none. */
bool kf_ldap_ad_data(struct kf_span diagnostic, uint32_t *code);

/* "invalidCredentials" etc. (RFC 4511 Appendix A, RFC 4513); NULL unknown. */
const char *kf_ldap_result_name(uint32_t code);
/* "bad password" etc. for AD's data codes; NULL unknown. */
const char *kf_ldap_ad_data_name(uint32_t code);
/* "bindRequest" etc.; NULL for ops krbflow does not read. */
const char *kf_ldap_op_name(uint8_t op);

#endif
