/* gss.h - GSS-API token framing (RFC 2743 §3.1), SPNEGO (RFC 4178, and the
 * Microsoft variations of MS-SPNG), and what the tokens inside are.
 *
 * Pure functions over spans; nothing is allocated.  Mechanism OIDs are
 * named: Kerberos 1.2.840.113554.1.2.2, MS-Kerberos 1.2.840.48018.1.2.2,
 * NTLMSSP 1.3.6.1.4.1.311.2.2.10, NEGOEX 1.3.6.1.4.1.311.2.2.30, SPNEGO
 * 1.3.6.1.5.5.2, IAKERB 1.3.6.1.5.2.5, Kerberos user-to-user 1.2.840.113554.1.2.2.3.
 */
#ifndef KF_GSS_H
#define KF_GSS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/events.h"
#include "base/limits.h"
#include "base/span.h"

enum kf_mech {
	KF_MECH_UNKNOWN = 0,
	KF_MECH_KRB5,
	KF_MECH_MS_KRB5,
	KF_MECH_NTLMSSP,
	KF_MECH_NEGOEX,
	KF_MECH_SPNEGO,
	KF_MECH_IAKERB,
	KF_MECH_KRB5_U2U,
};

/* "kerberos", "ms-kerberos", "ntlmssp", "negoex", "spnego", "iakerb",
 * "kerberos-u2u"; NULL for unknown (print the OID instead). */
const char *kf_mech_name(enum kf_mech m);
enum kf_mech kf_mech_from_oid(struct kf_span oid_contents);
/* Dotted form of an OID's contents into buf ("1.2.840.48018.1.2.2").
 * Returns buf, or NULL (buf = "") when the OID is malformed or buf too small. */
const char *kf_oid_to_string(struct kf_span oid_contents, char *buf, size_t len);

/* What a token is, from its first bytes: a GSS InitialContextToken (0x60),
 * a raw SPNEGO NegTokenInit [0] / NegTokenResp [1], a raw NTLMSSP message,
 * a raw Kerberos message (APPLICATION tag), or unknown. */
enum kf_token_kind {
	KF_TOKEN_UNKNOWN = 0,
	KF_TOKEN_GSS_FRAMED,  /* 0x60 ... mech OID ... inner */
	KF_TOKEN_SPNEGO_INIT, /* a0 ... (NegTokenInit without the GSS header) */
	KF_TOKEN_SPNEGO_RESP, /* a1 ... */
	KF_TOKEN_NTLMSSP,     /* "NTLMSSP\0" */
	KF_TOKEN_KRB5_RAW,    /* an unframed Kerberos message */
};
enum kf_token_kind kf_token_classify(struct kf_span s);

/* An InitialContextToken: the mech OID and what follows it.  For Kerberos
 * mechs, tok_id is the 2-byte token id (0x0100 AP-REQ, 0x0200 AP-REP,
 * 0x0300 KRB-ERROR, RFC 4121 §4.1) and krb_msg the Kerberos message after it. */
struct kf_gss_token {
	enum kf_mech mech;
	struct kf_span mech_oid; /* OID contents */
	struct kf_span inner;    /* everything after the OID */
	bool has_tok_id;
	uint16_t tok_id;
	struct kf_span krb_msg; /* Kerberos mechs: inner after tok_id */
};
bool kf_gss_unwrap(struct kf_span s, struct kf_gss_token *t, struct kf_events *ev);

enum kf_neg_state {
	KF_NEG_ACCEPT_COMPLETED = 0,
	KF_NEG_ACCEPT_INCOMPLETE = 1,
	KF_NEG_REJECT = 2,
	KF_NEG_REQUEST_MIC = 3,
};
/* "accept-completed", ... */
const char *kf_neg_state_name(int state);

/* ContextFlags bits (RFC 4178 §4.2.1) as kf_der_bits32 numbers them:
 * delegFlag(0) is the most significant bit. */
#define KF_SPNEGO_FLAG_DELEG (1u << 31)
#define KF_SPNEGO_FLAG_MUTUAL (1u << 30)
#define KF_SPNEGO_FLAG_REPLAY (1u << 29)
#define KF_SPNEGO_FLAG_SEQUENCE (1u << 28)
#define KF_SPNEGO_FLAG_ANON (1u << 27)
#define KF_SPNEGO_FLAG_CONF (1u << 26)
#define KF_SPNEGO_FLAG_INTEG (1u << 25)

struct kf_spnego {
	bool is_init; /* NegTokenInit (true) or NegTokenResp */
	/* NegTokenInit */
	uint8_t n_mech_types;
	bool mech_types_truncated;
	enum kf_mech mech_types[KF_LIMIT_SPNEGO_MECHS];
	struct kf_span mech_type_oids[KF_LIMIT_SPNEGO_MECHS];
	bool has_req_flags;
	uint32_t req_flags; /* ContextFlags, wire bit order (KF_SPNEGO_FLAG_*) */
	bool has_mech_token;
	struct kf_span mech_token; /* the optimistic token of the first mech */
	bool has_mech_list_mic;    /* NegTokenInit or NegTokenResp; the MIC itself is not exposed */
	/* NegTokenInit2 (MS-SPNG §2.2.1): negHints, usually from a server */
	bool has_neg_hints;
	bool has_hint_name;
	struct kf_span hint_name; /* GeneralString ("not_defined_in_RFC4178@please_ignore") */
	/* NegTokenResp */
	bool has_neg_state;
	int neg_state; /* enum kf_neg_state */
	bool has_supported_mech;
	enum kf_mech supported_mech;
	struct kf_span supported_mech_oid;
	bool has_response_token;
	struct kf_span response_token;
};

/* Decode a SPNEGO token: GSS-framed (0x60 with the SPNEGO OID, then
 * NegTokenInit) or raw NegTokenInit/NegTokenResp (also the NegTokenInit2
 * Windows servers send).  False (with an event) when it is not SPNEGO. */
bool kf_spnego_decode(struct kf_span s, struct kf_spnego *sp, struct kf_events *ev);

/* Per-message tokens (recognised, never decrypted): what a signed or
 * sealed connection sends once the context is up.  RFC 4121 §4.2.6 (MIC
 * TOK_ID 04 04, Wrap 05 04: Flags, EC, RRC, SND_SEQ in clear), RFC 1964
 * §1.2 (GSS-framed, MIC 01 01, Wrap 02 01: SGN_ALG, SEAL_ALG 0xffff = not
 * sealed; its SND_SEQ is encrypted) and the NTLMSSP signature (MS-NLMP
 * §2.2.2.9: version 1, 16 bytes).  Only the header is read, so a prefix of
 * the token is enough: callers pass the bytes they kept. */
enum kf_gss_perm_mech {
	KF_GSS_PERM_NONE = 0,
	KF_GSS_PERM_KRB5_4121, /* "kerberos-rfc4121" */
	KF_GSS_PERM_KRB5_1964, /* "kerberos-rfc1964" */
	KF_GSS_PERM_NTLM,      /* "ntlm" */
};
#define KF_GSS_4121_SENT_BY_ACCEPTOR 0x01u
#define KF_GSS_4121_SEALED 0x02u
#define KF_GSS_4121_ACCEPTOR_SUBKEY 0x04u
#define KF_GSS_1964_SEAL_NONE 0xffffu
#define KF_GSS_NTLM_SIGNATURE_LEN 16u

struct kf_gss_perm {
	enum kf_gss_perm_mech mech;
	bool wrap;         /* a Wrap token; false: a MIC token (NTLM: a signature, either) */
	bool sealed_known; /* Kerberos says it in the header; an NTLM signature does not */
	bool sealed;
	bool sent_by_acceptor, acceptor_subkey; /* RFC 4121 Flags */
	uint8_t flags;                          /* RFC 4121 Flags, as sent */
	uint16_t ec, rrc;                       /* RFC 4121 Wrap */
	uint16_t sgn_alg, seal_alg;             /* RFC 1964 */
	bool has_seq;                           /* RFC 4121: SND_SEQ is in clear */
	uint64_t seq;
	size_t header_len; /* bytes of the token the header took (NTLM: the signature) */
};
/* "kerberos-rfc4121", "kerberos-rfc1964", "ntlm"; NULL for none. */
const char *kf_gss_perm_mech_name(enum kf_gss_perm_mech m);
/* Recognise a per-message token from its first bytes.  False (perm->mech
 * NONE) when they are not one krbflow knows, or too few to tell. */
bool kf_gss_perm_decode(struct kf_span prefix, struct kf_gss_perm *perm);

#endif
