/* dcerpc.h - DCE/RPC connection-oriented PDUs (C706 chapter 12, MS-RPCE
 * §2.2.2) as far as authentication needs them: the common header, the
 * presentation contexts of bind / alter_context (the first abstract syntax),
 * the first result of bind_ack / alter_context_resp, bind_nak's reject
 * reason, fault's status, and the auth_verifier at the end of the PDU (the
 * security provider, the level and the credentials span).  request and
 * response are read only as far as their header: their stubs are bulk.
 *
 * Input: one whole PDU (frag_length bytes; the carrier frames them).  The
 * header's data representation says the byte order of every integer after
 * it (drep[0] bit 4: little-endian), UUIDs' first three fields included.
 * The context list is walked forward only and at most
 * KF_LIMIT_DCERPC_CONTEXTS elements are looked at.  Every span points into
 * the input; nothing is allocated.
 */
#ifndef KF_DCERPC_H
#define KF_DCERPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/events.h"
#include "base/limits.h"
#include "base/span.h"

#define KF_DCERPC_HEADER 16u         /* bytes of the common header */
#define KF_DCERPC_VERIFIER 8u        /* bytes of an auth_verifier before its credentials */
#define KF_LIMIT_DCERPC_CONTEXTS 64u /* presentation context elements walked */

/* C706 12.6.4.1 PTYPE values of connection-oriented PDUs. */
enum kf_dcerpc_ptype {
	KF_DCERPC_REQUEST = 0,
	KF_DCERPC_RESPONSE = 2,
	KF_DCERPC_FAULT = 3,
	KF_DCERPC_BIND = 11,
	KF_DCERPC_BIND_ACK = 12,
	KF_DCERPC_BIND_NAK = 13,
	KF_DCERPC_ALTER_CONTEXT = 14,
	KF_DCERPC_ALTER_CONTEXT_RESP = 15,
	KF_DCERPC_AUTH3 = 16,
	KF_DCERPC_SHUTDOWN = 17,
	KF_DCERPC_CO_CANCEL = 18,
	KF_DCERPC_ORPHANED = 19,
};

/* MS-RPCE §2.2.1.1.7 security providers (auth_type). */
enum kf_dcerpc_auth_type {
	KF_DCERPC_AUTH_NONE = 0,
	KF_DCERPC_AUTH_SPNEGO = 9,
	KF_DCERPC_AUTH_NTLMSSP = 10,
	KF_DCERPC_AUTH_SCHANNEL = 14,
	KF_DCERPC_AUTH_KERBEROS = 16,
	KF_DCERPC_AUTH_NETLOGON = 68,
};

/* The common header, from the first 16 bytes of a PDU. */
#define KF_DCERPC_PFC_FIRST 0x01u /* C706 12.6.3.1: the first fragment of a PDU */
#define KF_DCERPC_PFC_LAST 0x02u  /* ... and its last */

struct kf_dcerpc_header {
	uint8_t vers, vers_minor, ptype, pfc_flags; /* KF_DCERPC_PFC_* */
	bool little_endian;                         /* drep[0] & 0x10 */
	uint16_t frag_length, auth_length;
	uint32_t call_id;
};

struct kf_dcerpc_pdu {
	struct kf_dcerpc_header h;
	bool body_ok; /* the PDU's body was read as its PTYPE says (else only the header) */

	/* bind / alter_context */
	uint8_t n_contexts;        /* n_context_elem */
	bool has_abstract;         /* the first element's abstract syntax was read */
	uint8_t abstract_uuid[16]; /* as on the wire, in the PDU's byte order */
	uint16_t abstract_major, abstract_minor;
	uint32_t assoc_group;

	/* bind_ack / alter_context_resp: the first result; bind_nak: the reason
	 * in status; fault: status */
	bool has_result;
	uint16_t result, reason; /* p_result_t: 0 acceptance (some context accepted), else the
				  * first: 1 user, 2 provider rejection, 3 negotiate_ack */
	bool has_status;
	uint32_t status;

	/* the auth_verifier (auth_length > 0) */
	bool has_auth;
	uint8_t auth_type, auth_level, auth_pad_length;
	uint32_t auth_context_id;
	struct kf_span credentials; /* auth_length bytes */

	const char *why; /* NULL, or why (part of) the PDU was not read: --debug-decode */
};

/* The header from the first bytes (n >= 16).  False when too few or not a
 * connection-oriented DCE/RPC header (version 5, minor 0 or 1, a known
 * PTYPE, frag_length at least the header, auth_length inside it). */
bool kf_dcerpc_header(struct kf_span first, struct kf_dcerpc_header *out);

/* The strict look a probe takes at a stream's first bytes: a bind from the
 * client (version 5.0/5.1, PTYPE bind, first and last fragment flags set, a
 * plausible frag_length, the data representation's reserved bits zero). */
bool kf_dcerpc_probe_bind(struct kf_span first);

/* Decode one PDU.  False when the header is not DCE/RPC or the input is
 * shorter than frag_length; true when the header was read (body_ok says
 * whether the body was; event DCERPC_MALFORMED when it was damaged). */
bool kf_dcerpc_decode(struct kf_span pdu, struct kf_dcerpc_pdu *out, struct kf_events *ev);

/* Names: "bind", "bind_ack", ... (NULL for others); "spnego", "ntlmssp",
 * "kerberos", "netlogon", "schannel"...; "connect", "call", "packet",
 * "integrity", "privacy"; fault statuses ("nca_s_fault_access_denied");
 * bind_nak reasons ("authentication_type_not_recognized"); interfaces
 * ("DRSUAPI"...) for a UUID as on the wire in the given byte order. */
const char *kf_dcerpc_ptype_name(uint8_t ptype);
const char *kf_dcerpc_auth_type_name(uint8_t auth_type);
const char *kf_dcerpc_auth_level_name(uint8_t auth_level);
const char *kf_dcerpc_status_name(uint32_t status);
const char *kf_dcerpc_reject_name(uint32_t reason);
const char *kf_dcerpc_interface_name(const uint8_t uuid[16], bool little_endian);
/* The UUID in its usual text form (36 characters and a NUL). */
void kf_dcerpc_uuid_text(const uint8_t uuid[16], bool little_endian, char out[37]);

#endif
