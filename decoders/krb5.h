/* krb5.h - Kerberos messages as krbflow sees them (RFC 4120 §5, MS-KILE, MS-SFU).
 *
 * struct kf_krb_msg is plain data filled in place by kf_krb5_decode(): every
 * field is documented, fixed-size and capped by limits.h, so a decode
 * allocates nothing the caller must free.  Only what a message carries in
 * the clear is filled; has_* flags say which fields are present.  Names are
 * principal components joined by '/', realms separate; strings are
 * NUL-terminated and cut at KF_LIMIT_NAME-1 bytes (event KRB_FIELD_TRUNCATED),
 * with non-printable bytes written as '?'.
 */
#ifndef KF_KRB5_H
#define KF_KRB5_H

#include <stdbool.h>
#include <stdint.h>

#include "base/events.h"
#include "base/limits.h"
#include "base/span.h"

/* Message types: the APPLICATION tag of the outer DER element. */
enum kf_krb_type {
	KF_KRB_NONE = 0,
	KF_KRB_AS_REQ = 10,
	KF_KRB_AS_REP = 11,
	KF_KRB_TGS_REQ = 12,
	KF_KRB_TGS_REP = 13,
	KF_KRB_AP_REQ = 14,
	KF_KRB_AP_REP = 15,
	KF_KRB_TGT_REQ = 16, /* user-to-user (draft-ietf-cat-user2user) */
	KF_KRB_TGT_REP = 17,
	KF_KRB_SAFE = 20,
	KF_KRB_PRIV = 21,
	KF_KRB_CRED = 22,
	KF_KRB_ERROR = 30,
};

/* A ticket as seen in the clear: server name, realm, enc-part etype and kvno. */
struct kf_krb_ticket {
	bool present;
	bool has_kvno;
	int32_t etype;
	uint32_t kvno;
	uint64_t cipher_hash; /* of the encrypted part: tells one ticket from another (0: none) */
	char sname[KF_LIMIT_NAME];
	char realm[KF_LIMIT_NAME];
};

struct kf_krb_etype_info {
	int32_t etype;
	bool has_salt;
	char salt[KF_LIMIT_NAME]; /* printable; bytes outside 0x20-0x7e as '?' */
};

struct kf_krb_msg {
	int type;      /* enum kf_krb_type; KF_KRB_NONE when not Kerberos */
	bool complete; /* every field decoded (false: type and what could be read) */
	int pvno;

	bool has_cname, has_crealm, has_sname, has_realm;
	char cname[KF_LIMIT_NAME];
	char crealm[KF_LIMIT_NAME];
	char sname[KF_LIMIT_NAME];
	char realm[KF_LIMIT_NAME];
	int32_t cname_type, sname_type;

	/* KDC-REQ body */
	bool has_kdc_options;
	uint32_t kdc_options; /* bit 0 (reserved) = 0x80000000 ... as on the wire */
	bool has_nonce;
	uint32_t nonce;
	bool has_from, has_till, has_rtime;
	int64_t from, till, rtime; /* seconds since the epoch, UTC */
	uint8_t n_etypes;
	int32_t etypes[KF_LIMIT_ETYPES];
	uint8_t n_addresses;
	char addresses[KF_LIMIT_ADDRESSES][48]; /* printable IPv4/IPv6/NetBIOS */

	/* PA-DATA types in order (request padata, reply padata) */
	uint8_t n_padata;
	int32_t padata[KF_LIMIT_PADATA];
	bool has_s4u_user;            /* PA-FOR-USER / PA-S4U-X509-USER */
	char s4u_user[KF_LIMIT_NAME]; /* "user@REALM" */
	bool has_pac_options;
	uint32_t pac_options; /* PA-PAC-OPTIONS KerberosFlags, wire bit order */
	bool has_pac_request;
	bool pac_request; /* PA-PAC-REQUEST include-pac */

	/* AP-REQ (or PA-TGS-REQ's AP-REQ) */
	bool has_ap_options;
	uint32_t ap_options;

	/* Tickets: PA-TGS-REQ's in a TGS-REQ, the issued one in AS-REP/TGS-REP,
	 * the presented one in an AP-REQ. */
	struct kf_krb_ticket ticket;
	uint8_t n_additional_tickets;
	struct kf_krb_ticket additional_tickets[KF_LIMIT_ADDL_TICKETS];

	/* enc-part etype (replies, AP-REQ authenticator, AP-REP, KRB-CRED) */
	bool has_enc_etype;
	int32_t enc_etype;

	/* KRB-ERROR */
	int32_t error_code;
	bool has_stime, has_ctime;
	int64_t stime, ctime;
	int32_t susec, cusec;
	bool has_e_text;
	char e_text[KF_LIMIT_ETEXT];
	bool has_e_data;
	uint8_t n_etype_info; /* ETYPE-INFO2 (or ETYPE-INFO) in e-data or reply padata */
	struct kf_krb_etype_info etype_info[KF_LIMIT_ETYPE_INFO];
	bool has_ntstatus; /* Windows KERB-EXT-ERROR */
	uint32_t ntstatus;
	uint8_t n_edata_padata; /* PA-DATA types listed in METHOD-DATA e-data (TYPED-DATA types too) */
	int32_t edata_padata[KF_LIMIT_PADATA];

	/* KRB-CRED: the tickets it carries (first one in `ticket`) */
	uint8_t n_cred_tickets;
};

/* True when s starts like a Kerberos message: a constructed APPLICATION tag
 * of a known message type with a plausible length.  Cheap; reads <= 6 bytes. */
bool kf_krb5_probe(struct kf_span s);

/* Decode one whole Kerberos message (a UDP payload, or one TCP record with
 * its 4-byte mark removed).  Fills *m (zeroed first).  Returns true when s is
 * a Kerberos message (m->type set); m->complete says whether every field was
 * read.  Malformed input never fails the program: it raises events
 * (KRB_NOT_KERBEROS, KRB_DECODE_FAILED, KRB_TRAILING_BYTES, ...).
 * Allocates only inside libkrb5, and frees that before returning. */
bool kf_krb5_decode(struct kf_span s, struct kf_krb_msg *m, struct kf_events *ev);

/* Names, for reports.  Unknown values give NULL (callers print "etype-N"). */
const char *kf_krb5_type_name(int type);            /* "AS-REQ", "KRB-ERROR" */
const char *kf_krb5_etype_name(int32_t etype);      /* "aes256-cts-hmac-sha1-96" */
const char *kf_krb5_error_name(int32_t code);       /* "KDC_ERR_S_PRINCIPAL_UNKNOWN" */
const char *kf_krb5_padata_name(int32_t type);      /* "PA-TGS-REQ" */
const char *kf_krb5_kdc_option_name(unsigned bit);  /* bit 1 = "forwardable" */
const char *kf_krb5_ap_option_name(unsigned bit);   /* bit 1 = "use-session-key" */
const char *kf_krb5_pac_option_name(unsigned bit);  /* bit 0 = "claims" */
const char *kf_krb5_ntstatus_name(uint32_t status); /* "STATUS_CROSSREALM_DELEGATION_FAILURE" */

#endif
