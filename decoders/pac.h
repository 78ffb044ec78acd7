/* pac.h - the Windows PAC (MS-PAC), the authorization data an Active
 * Directory KDC puts in every ticket (AD-WIN2K-PAC, ad-type 128).  It only
 * becomes readable once a ticket's EncTicketPart has been decrypted with a
 * keytab; this decoder takes those bytes and says who the ticket speaks for
 * (user, domain, SIDs), where it came from (S4U2proxy services, requestor)
 * and which signatures it carries.  Signature and key bytes are never
 * exposed, only their types. */
#ifndef KF_PAC_H
#define KF_PAC_H

#include <stdbool.h>
#include <stdint.h>

#include "base/events.h"
#include "base/limits.h"
#include "base/span.h"

/* ulType values (MS-PAC §2.4).  Credentials, claims and device info are
 * listed in types[] but not read. */
#define KF_PAC_LOGON_INFO 1u
#define KF_PAC_CREDENTIALS_INFO 2u /* encrypted with the reply key */
#define KF_PAC_SERVER_CHECKSUM 6u
#define KF_PAC_KDC_CHECKSUM 7u
#define KF_PAC_CLIENT_INFO 10u
#define KF_PAC_S4U_DELEGATION_INFO 11u
#define KF_PAC_UPN_DNS_INFO 12u
#define KF_PAC_CLIENT_CLAIMS_INFO 13u
#define KF_PAC_DEVICE_INFO 14u
#define KF_PAC_DEVICE_CLAIMS_INFO 15u
#define KF_PAC_TICKET_CHECKSUM 16u
#define KF_PAC_ATTRIBUTES_INFO 17u
#define KF_PAC_REQUESTOR 18u
#define KF_PAC_FULL_CHECKSUM 19u

/* Strings are printable UTF-8 (see base/text.h), cut at their array size
 * with event KRB_FIELD_TRUNCATED.  Times are seconds since the Unix epoch,
 * 0 when the FILETIME is 0 or "never" (0x7fffffffffffffff).  A buffer whose
 * has_* is false may still have fields filled up to where it went wrong;
 * read them only for diagnosis. */
struct kf_pac {
	uint32_t n_buffers; /* cBuffers as read (may exceed what was walked) */
	uint8_t n_types;
	uint32_t types[KF_LIMIT_PAC_BUFFERS]; /* ulType of each buffer walked, in order */

	/* KERB_VALIDATION_INFO (type 1, NDR); the first LOGON_INFO only (§2.4) */
	bool has_logon_info;
	char logon_user[KF_LIMIT_NAME]; /* EffectiveName */
	char logon_full_name[KF_LIMIT_NAME];
	char logon_domain[KF_LIMIT_NAME]; /* LogonDomainName (NetBIOS) */
	char logon_server[KF_LIMIT_NAME];
	char user_sid[KF_LIMIT_SID_TEXT];   /* LogonDomainId + UserId, "S-1-5-21-...-1104" */
	char domain_sid[KF_LIMIT_SID_TEXT]; /* LogonDomainId */
	uint32_t user_rid, primary_group_rid, user_flags, user_account_control;
	int64_t logon_time;
	uint32_t n_groups;        /* GroupCount as read */
	uint32_t n_extra_sids;    /* SidCount as read */
	bool has_resource_groups; /* ResourceGroupDomainSid present */
	char resource_domain_sid[KF_LIMIT_SID_TEXT];
	uint32_t n_resource_groups; /* ResourceGroupCount as read */
	/* SIDs kept, in this order: the groups (domain SID + RID), the extra
	 * SIDs, the resource groups (resource domain SID + RID).  Groups need
	 * the domain SID: without it they are counted but not listed. */
	uint8_t n_sids;
	char sids[KF_LIMIT_PAC_SIDS][KF_LIMIT_SID_TEXT];

	/* PAC_CLIENT_INFO (type 10) */
	bool has_client_info;
	int64_t client_time; /* ClientId: the ticket's authtime */
	char client_name[KF_LIMIT_NAME];

	/* UPN_DNS_INFO (type 12) */
	bool has_upn_dns;
	char upn[KF_LIMIT_NAME], dns_domain[KF_LIMIT_NAME];
	uint32_t upn_flags; /* bit 0: UPN constructed; bit 1: SamName+SID present */
	char upn_sam_name[KF_LIMIT_NAME], upn_sid[KF_LIMIT_SID_TEXT]; /* when bit 1 */

	/* S4U_DELEGATION_INFO (type 11, NDR) */
	bool has_s4u_delegation;
	char s4u_proxy_target[KF_LIMIT_NAME];
	uint32_t n_transited; /* TransitedListSize as read */
	uint8_t n_transited_kept;
	char transited[KF_LIMIT_PAC_TRANSITED][KF_LIMIT_NAME];

	bool has_attributes; /* PAC_ATTRIBUTES_INFO (type 17) */
	uint32_t attributes; /* first Flags word: 1 PAC requested, 2 given implicitly */
	bool has_requestor;  /* PAC_REQUESTOR (type 18) */
	char requestor_sid[KF_LIMIT_SID_TEXT];

	/* PAC_SIGNATURE_DATA buffers (types 6, 7, 16, 19): types only */
	bool has_server_checksum, has_kdc_checksum, has_ticket_checksum, has_full_checksum;
	int32_t server_checksum_type, kdc_checksum_type; /* -138 HMAC-MD5, 15/16 HMAC-SHA1-96-AES */
	int32_t ticket_checksum_type, full_checksum_type;

	/* Every buffer was walked and each one of a type read above decoded
	 * cleanly.  Buffers only listed (credentials, claims, device info,
	 * unknown types) and repeats of a type (the first counts) do not make
	 * it false; cBuffers above KF_LIMIT_PAC_BUFFERS does. */
	bool complete;
};

/* Decode PACTYPE bytes (the AD-WIN2K-PAC ad-data).  False, with event
 * PAC_MALFORMED, when the header itself is not a PAC: shorter than 8 bytes,
 * Version not 0, no buffers, or more PAC_INFO_BUFFERs than the bytes hold.
 * Otherwise true: a buffer that lies outside the PAC or does not decode
 * leaves its has_* false and complete false, and raises PAC_MALFORMED once
 * per call; a string or list cut at a cap raises KRB_FIELD_TRUNCATED once.
 * ev may be NULL.  Allocates nothing; out borrows nothing from pac. */
bool kf_pac_decode(struct kf_span pac, struct kf_pac *out, struct kf_events *ev);

/* "LOGON_INFO", "CLIENT_INFO", ... for a buffer type; NULL when unknown. */
const char *kf_pac_buffer_name(uint32_t type);

#endif
