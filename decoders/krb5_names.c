/* krb5_names.c - printable names for Kerberos numbers (declared in krb5.h).
 *
 * Sources: message types RFC 4120 §5.10 plus draft-ietf-cat-user2user
 * (16/17); encryption types and pre-authentication types from IANA's
 * "Kerberos Parameters" registry (RFC 3961 §10 et seq.), Microsoft's
 * private negative etypes from the Windows SDK's KERB_ETYPE_* list; error
 * codes RFC 4120 §7.5.9 (spelled as there), RFC 4556 §3.1.3 (PKINIT 77-81),
 * RFC 6113 §5.2-5.4 (FAST 90-93), RFC 8636 (100), MIT krb5_err.et (85, 86)
 * and Heimdal (94, 95); flag bits RFC 4120 §5.4.1 / §5.5.1, RFC 6806 §3
 * (canonicalize), RFC 8062 (request-anonymous), MS-SFU §2.2.3
 * (cname-in-addl-tkt), MS-KILE §2.2.10 (PA-PAC-OPTIONS); NTSTATUS values
 * MS-ERREF §2.3.1.
 *
 * Every function returns NULL for a value it does not know; callers print
 * the number ("etype-N", "PA-N", "bit-N").  The tables are sorted by value
 * only for the reader: lookups are linear and the tables are small.
 */
#include "krb5.h"

#include <stddef.h>

struct name_i32 {
	int32_t v;
	const char *name;
};

struct name_u32 {
	uint32_t v;
	const char *name;
};

static const char *find_i32(const struct name_i32 *t, size_t n, int32_t v)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].v == v)
			return t[i].name;
	return NULL;
}

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

const char *kf_krb5_type_name(int type)
{
	switch (type) {
	case KF_KRB_AS_REQ: return "AS-REQ";
	case KF_KRB_AS_REP: return "AS-REP";
	case KF_KRB_TGS_REQ: return "TGS-REQ";
	case KF_KRB_TGS_REP: return "TGS-REP";
	case KF_KRB_AP_REQ: return "AP-REQ";
	case KF_KRB_AP_REP: return "AP-REP";
	case KF_KRB_TGT_REQ: return "TGT-REQ";
	case KF_KRB_TGT_REP: return "TGT-REP";
	case KF_KRB_SAFE: return "KRB-SAFE";
	case KF_KRB_PRIV: return "KRB-PRIV";
	case KF_KRB_CRED: return "KRB-CRED";
	case KF_KRB_ERROR: return "KRB-ERROR";
	default: return NULL;
	}
}

static const struct name_i32 etypes[] = {
	/* Windows SDK private values (KERB_ETYPE_*); "Values over 127 are local". */
	{ -141, "rc4-plain-exp" },
	{ -140, "rc4-plain" },
	{ -136, "rc4-plain-old-exp" },
	{ -135, "rc4-hmac-old-exp" },
	{ -134, "rc4-plain-old" },
	{ -133, "rc4-hmac-old" },
	{ -132, "des-plain" },
	{ -131, "rc4-sha" },
	{ -130, "rc4-lm" },
	{ -129, "rc4-plain2" },
	{ -128, "rc4-md4" },
	/* IANA */
	{ 1, "des-cbc-crc" },
	{ 2, "des-cbc-md4" },
	{ 3, "des-cbc-md5" },
	{ 5, "des3-cbc-md5" },
	{ 7, "des3-cbc-sha1" },
	{ 9, "dsaWithSHA1-CmsOID" },
	{ 10, "md5WithRSAEncryption-CmsOID" },
	{ 11, "sha1WithRSAEncryption-CmsOID" },
	{ 12, "rc2CBC-EnvOID" },
	{ 13, "rsaEncryption-EnvOID" },
	{ 14, "rsaES-OAEP-ENV-OID" },
	{ 15, "des-ede3-cbc-Env-OID" },
	{ 16, "des3-cbc-sha1-kd" },
	{ 17, "aes128-cts-hmac-sha1-96" },
	{ 18, "aes256-cts-hmac-sha1-96" },
	{ 19, "aes128-cts-hmac-sha256-128" },
	{ 20, "aes256-cts-hmac-sha384-192" },
	{ 23, "rc4-hmac" },
	{ 24, "rc4-hmac-exp" },
	{ 25, "camellia128-cts-cmac" },
	{ 26, "camellia256-cts-cmac" },
	{ 65, "subkey-keymaterial" },
};

const char *kf_krb5_etype_name(int32_t etype) { return find_i32(etypes, N_ELEMS(etypes), etype); }

static const struct name_i32 errors[] = {
	{ 0, "KDC_ERR_NONE" },
	{ 1, "KDC_ERR_NAME_EXP" },
	{ 2, "KDC_ERR_SERVICE_EXP" },
	{ 3, "KDC_ERR_BAD_PVNO" },
	{ 4, "KDC_ERR_C_OLD_MAST_KVNO" },
	{ 5, "KDC_ERR_S_OLD_MAST_KVNO" },
	{ 6, "KDC_ERR_C_PRINCIPAL_UNKNOWN" },
	{ 7, "KDC_ERR_S_PRINCIPAL_UNKNOWN" },
	{ 8, "KDC_ERR_PRINCIPAL_NOT_UNIQUE" },
	{ 9, "KDC_ERR_NULL_KEY" },
	{ 10, "KDC_ERR_CANNOT_POSTDATE" },
	{ 11, "KDC_ERR_NEVER_VALID" },
	{ 12, "KDC_ERR_POLICY" },
	{ 13, "KDC_ERR_BADOPTION" },
	{ 14, "KDC_ERR_ETYPE_NOSUPP" },
	{ 15, "KDC_ERR_SUMTYPE_NOSUPP" },
	{ 16, "KDC_ERR_PADATA_TYPE_NOSUPP" },
	{ 17, "KDC_ERR_TRTYPE_NOSUPP" },
	{ 18, "KDC_ERR_CLIENT_REVOKED" },
	{ 19, "KDC_ERR_SERVICE_REVOKED" },
	{ 20, "KDC_ERR_TGT_REVOKED" },
	{ 21, "KDC_ERR_CLIENT_NOTYET" },
	{ 22, "KDC_ERR_SERVICE_NOTYET" },
	{ 23, "KDC_ERR_KEY_EXPIRED" },
	{ 24, "KDC_ERR_PREAUTH_FAILED" },
	{ 25, "KDC_ERR_PREAUTH_REQUIRED" },
	{ 26, "KDC_ERR_SERVER_NOMATCH" },
	{ 27, "KDC_ERR_MUST_USE_USER2USER" },
	{ 28, "KDC_ERR_PATH_NOT_ACCEPTED" },
	{ 29, "KDC_ERR_SVC_UNAVAILABLE" },
	{ 31, "KRB_AP_ERR_BAD_INTEGRITY" },
	{ 32, "KRB_AP_ERR_TKT_EXPIRED" },
	{ 33, "KRB_AP_ERR_TKT_NYV" },
	{ 34, "KRB_AP_ERR_REPEAT" },
	{ 35, "KRB_AP_ERR_NOT_US" },
	{ 36, "KRB_AP_ERR_BADMATCH" },
	{ 37, "KRB_AP_ERR_SKEW" },
	{ 38, "KRB_AP_ERR_BADADDR" },
	{ 39, "KRB_AP_ERR_BADVERSION" },
	{ 40, "KRB_AP_ERR_MSG_TYPE" },
	{ 41, "KRB_AP_ERR_MODIFIED" },
	{ 42, "KRB_AP_ERR_BADORDER" },
	{ 43, "KRB_AP_ERR_ILL_CR_TKT" }, /* RFC 1510; unlisted in RFC 4120 */
	{ 44, "KRB_AP_ERR_BADKEYVER" },
	{ 45, "KRB_AP_ERR_NOKEY" },
	{ 46, "KRB_AP_ERR_MUT_FAIL" },
	{ 47, "KRB_AP_ERR_BADDIRECTION" },
	{ 48, "KRB_AP_ERR_METHOD" },
	{ 49, "KRB_AP_ERR_BADSEQ" },
	{ 50, "KRB_AP_ERR_INAPP_CKSUM" },
	{ 51, "KRB_AP_PATH_NOT_ACCEPTED" },
	{ 52, "KRB_ERR_RESPONSE_TOO_BIG" },
	{ 60, "KRB_ERR_GENERIC" },
	{ 61, "KRB_ERR_FIELD_TOOLONG" },
	{ 62, "KDC_ERROR_CLIENT_NOT_TRUSTED" },
	{ 63, "KDC_ERROR_KDC_NOT_TRUSTED" },
	{ 64, "KDC_ERROR_INVALID_SIG" },
	{ 65, "KDC_ERR_KEY_TOO_WEAK" },
	{ 66, "KDC_ERR_CERTIFICATE_MISMATCH" },
	{ 67, "KRB_AP_ERR_NO_TGT" },
	{ 68, "KDC_ERR_WRONG_REALM" },
	{ 69, "KRB_AP_ERR_USER_TO_USER_REQUIRED" },
	{ 70, "KDC_ERR_CANT_VERIFY_CERTIFICATE" },
	{ 71, "KDC_ERR_INVALID_CERTIFICATE" },
	{ 72, "KDC_ERR_REVOKED_CERTIFICATE" },
	{ 73, "KDC_ERR_REVOCATION_STATUS_UNKNOWN" },
	{ 74, "KDC_ERR_REVOCATION_STATUS_UNAVAILABLE" },
	{ 75, "KDC_ERR_CLIENT_NAME_MISMATCH" },
	{ 76, "KDC_ERR_KDC_NAME_MISMATCH" },
	{ 77, "KDC_ERR_INCONSISTENT_KEY_PURPOSE" },
	{ 78, "KDC_ERR_DIGEST_IN_CERT_NOT_ACCEPTED" },
	{ 79, "KDC_ERR_PA_CHECKSUM_MUST_BE_INCLUDED" },
	{ 80, "KDC_ERR_DIGEST_IN_SIGNED_DATA_NOT_ACCEPTED" },
	{ 81, "KDC_ERR_PUBLIC_KEY_ENCRYPTION_NOT_SUPPORTED" },
	{ 85, "KRB_AP_ERR_IAKERB_KDC_NOT_FOUND" },
	{ 86, "KRB_AP_ERR_IAKERB_KDC_NO_RESPONSE" },
	{ 90, "KDC_ERR_PREAUTH_EXPIRED" },
	{ 91, "KDC_ERR_MORE_PREAUTH_DATA_REQUIRED" },
	{ 92, "KDC_ERR_PREAUTH_BAD_AUTHENTICATION_SET" },
	{ 93, "KDC_ERR_UNKNOWN_CRITICAL_FAST_OPTIONS" },
	{ 94, "KDC_ERR_INVALID_HASH_ALG" },
	{ 95, "KDC_ERR_INVALID_ITERATION_COUNT" },
	{ 100, "KDC_ERR_NO_ACCEPTABLE_KDF" },
};

const char *kf_krb5_error_name(int32_t code) { return find_i32(errors, N_ELEMS(errors), code); }

static const struct name_i32 padata[] = {
	{ 1, "PA-TGS-REQ" },
	{ 2, "PA-ENC-TIMESTAMP" },
	{ 3, "PA-PW-SALT" },
	{ 5, "PA-ENC-UNIX-TIME" },
	{ 6, "PA-SANDIA-SECUREID" },
	{ 7, "PA-SESAME" },
	{ 8, "PA-OSF-DCE" },
	{ 9, "PA-CYBERSAFE-SECUREID" },
	{ 10, "PA-AFS3-SALT" },
	{ 11, "PA-ETYPE-INFO" },
	{ 12, "PA-SAM-CHALLENGE" },
	{ 13, "PA-SAM-RESPONSE" },
	{ 14, "PA-PK-AS-REQ_OLD" },
	{ 15, "PA-PK-AS-REP_OLD" },
	{ 16, "PA-PK-AS-REQ" },
	{ 17, "PA-PK-AS-REP" },
	{ 18, "PA-PK-OCSP-RESPONSE" },
	{ 19, "PA-ETYPE-INFO2" },
	{ 20, "PA-SVR-REFERRAL-INFO" }, /* also PA-USE-SPECIFIED-KVNO (RFC 4120) */
	{ 21, "PA-SAM-REDIRECT" },
	{ 22, "PA-GET-FROM-TYPED-DATA" },
	{ 23, "PA-SAM-ETYPE-INFO" },
	{ 24, "PA-ALT-PRINC" },
	{ 25, "PA-SERVER-REFERRAL" },
	{ 30, "PA-SAM-CHALLENGE2" },
	{ 31, "PA-SAM-RESPONSE2" },
	{ 41, "PA-EXTRA-TGT" },
	{ 101, "TD-PKINIT-CMS-CERTIFICATES" },
	{ 102, "TD-KRB-PRINCIPAL" },
	{ 103, "TD-KRB-REALM" },
	{ 104, "TD-TRUSTED-CERTIFIERS" },
	{ 105, "TD-CERTIFICATE-INDEX" },
	{ 106, "TD-APP-DEFINED-ERROR" },
	{ 107, "TD-REQ-NONCE" },
	{ 108, "TD-REQ-SEQ" },
	{ 109, "TD-DH-PARAMETERS" },
	{ 111, "TD-CMS-DIGEST-ALGORITHMS" },
	{ 112, "TD-CERT-DIGEST-ALGORITHMS" },
	{ 128, "PA-PAC-REQUEST" },
	{ 129, "PA-FOR-USER" },
	{ 130, "PA-S4U-X509-USER" }, /* IANA: PA-FOR-X509-USER; OUTPUT.md spelling */
	{ 131, "PA-FOR-CHECK_DUPS" },
	{ 132, "PA-AS-CHECKSUM" },
	{ 133, "PA-FX-COOKIE" },
	{ 134, "PA-AUTHENTICATION-SET" },
	{ 135, "PA-AUTH-SET-SELECTED" },
	{ 136, "PA-FX-FAST" },
	{ 137, "PA-FX-ERROR" },
	{ 138, "PA-ENCRYPTED-CHALLENGE" },
	{ 141, "PA-OTP-CHALLENGE" },
	{ 142, "PA-OTP-REQUEST" },
	{ 143, "PA-OTP-CONFIRM" },
	{ 144, "PA-OTP-PIN-CHANGE" },
	{ 145, "PA-EPAK-AS-REQ" },
	{ 146, "PA-EPAK-AS-REP" },
	{ 147, "PA_PKINIT_KX" },
	{ 148, "PA_PKU2U_NAME" },
	{ 149, "PA-REQ-ENC-PA-REP" },
	{ 150, "PA-AS-FRESHNESS" },
	{ 151, "PA-SPAKE" },
	{ 152, "PA-REDHAT-IDP-OAUTH2" },
	{ 153, "PA-REDHAT-PASSKEY" },
	{ 161, "KERB-KEY-LIST-REQ" }, /* MS-KILE §2.2.11 */
	{ 162, "KERB-KEY-LIST-REP" }, /* MS-KILE §2.2.12 */
	{ 165, "PA-SUPPORTED-ETYPES" },
	{ 166, "PA-EXTENDED-ERROR" },
	{ 167, "PA-PAC-OPTIONS" },
};

const char *kf_krb5_padata_name(int32_t type) { return find_i32(padata, N_ELEMS(padata), type); }

/* KDCOptions bits, RFC 4120 §5.4.1; bit 0 is the most significant bit. */
static const char *const kdc_options[32] = {
	[0] = "reserved",
	[1] = "forwardable",
	[2] = "forwarded",
	[3] = "proxiable",
	[4] = "proxy",
	[5] = "allow-postdate",
	[6] = "postdated",
	[8] = "renewable",
	[11] = "opt-hardware-auth",
	[14] = "cname-in-addl-tkt", /* MS-SFU §2.2.3 (S4U2Proxy) */
	[15] = "canonicalize",      /* RFC 6806 §3 */
	[16] = "request-anonymous", /* RFC 8062 §4.1 */
	[26] = "disable-transited-check",
	[27] = "renewable-ok",
	[28] = "enc-tkt-in-skey",
	[30] = "renew",
	[31] = "validate",
};

const char *kf_krb5_kdc_option_name(unsigned bit) { return bit < 32 ? kdc_options[bit] : NULL; }

/* APOptions, RFC 4120 §5.5.1. */
const char *kf_krb5_ap_option_name(unsigned bit)
{
	switch (bit) {
	case 0: return "reserved";
	case 1: return "use-session-key";
	case 2: return "mutual-required";
	default: return NULL;
	}
}

/* PA-PAC-OPTIONS KerberosFlags, MS-KILE §2.2.10. */
const char *kf_krb5_pac_option_name(unsigned bit)
{
	switch (bit) {
	case 0: return "claims";
	case 1: return "branch-aware";
	case 2: return "forward-to-full-dc";
	case 3: return "resource-based-constrained-delegation";
	default: return NULL;
	}
}

/* The NTSTATUS values a KDC puts in KERB-EXT-ERROR, checked against
 * MS-ERREF §2.3.1 / ntstatus.h: logon, account, trust and delegation
 * failures, and the Kerberos-specific 0xC00002xx/0xC00004xx ranges. */
static const struct name_u32 ntstatus[] = {
	{ 0x00000000u, "STATUS_SUCCESS" },
	{ 0xC000000Du, "STATUS_INVALID_PARAMETER" },
	{ 0xC0000016u, "STATUS_MORE_PROCESSING_REQUIRED" },
	{ 0xC0000022u, "STATUS_ACCESS_DENIED" },
	{ 0xC0000023u, "STATUS_BUFFER_TOO_SMALL" },
	{ 0xC000005Eu, "STATUS_NO_LOGON_SERVERS" },
	{ 0xC000005Fu, "STATUS_NO_SUCH_LOGON_SESSION" },
	{ 0xC0000062u, "STATUS_INVALID_ACCOUNT_NAME" },
	{ 0xC0000064u, "STATUS_NO_SUCH_USER" },
	{ 0xC000006Au, "STATUS_WRONG_PASSWORD" },
	{ 0xC000006Bu, "STATUS_ILL_FORMED_PASSWORD" },
	{ 0xC000006Cu, "STATUS_PASSWORD_RESTRICTION" },
	{ 0xC000006Du, "STATUS_LOGON_FAILURE" },
	{ 0xC000006Eu, "STATUS_ACCOUNT_RESTRICTION" },
	{ 0xC000006Fu, "STATUS_INVALID_LOGON_HOURS" },
	{ 0xC0000070u, "STATUS_INVALID_WORKSTATION" },
	{ 0xC0000071u, "STATUS_PASSWORD_EXPIRED" },
	{ 0xC0000072u, "STATUS_ACCOUNT_DISABLED" },
	{ 0xC0000073u, "STATUS_NONE_MAPPED" },
	{ 0xC000009Au, "STATUS_INSUFFICIENT_RESOURCES" },
	{ 0xC00000BBu, "STATUS_NOT_SUPPORTED" },
	{ 0xC00000DCu, "STATUS_INVALID_SERVER_STATE" },
	{ 0xC00000DDu, "STATUS_INVALID_DOMAIN_STATE" },
	{ 0xC00000DEu, "STATUS_INVALID_DOMAIN_ROLE" },
	{ 0xC00000DFu, "STATUS_NO_SUCH_DOMAIN" },
	{ 0xC00000E4u, "STATUS_INTERNAL_DB_CORRUPTION" },
	{ 0xC00000E5u, "STATUS_INTERNAL_ERROR" },
	{ 0xC00000FEu, "STATUS_NO_SUCH_PACKAGE" },
	{ 0xC000010Bu, "STATUS_INVALID_LOGON_TYPE" },
	{ 0xC0000133u, "STATUS_TIME_DIFFERENCE_AT_DC" },
	{ 0xC0000155u, "STATUS_LOGON_NOT_GRANTED" },
	{ 0xC000015Bu, "STATUS_LOGON_TYPE_NOT_GRANTED" },
	{ 0xC000018Bu, "STATUS_NO_TRUST_SAM_ACCOUNT" },
	{ 0xC000018Cu, "STATUS_TRUSTED_DOMAIN_FAILURE" },
	{ 0xC000018Du, "STATUS_TRUSTED_RELATIONSHIP_FAILURE" },
	{ 0xC0000190u, "STATUS_TRUST_FAILURE" },
	{ 0xC0000192u, "STATUS_NETLOGON_NOT_STARTED" },
	{ 0xC0000193u, "STATUS_ACCOUNT_EXPIRED" },
	{ 0xC0000198u, "STATUS_NOLOGON_INTERDOMAIN_TRUST_ACCOUNT" },
	{ 0xC0000199u, "STATUS_NOLOGON_WORKSTATION_TRUST_ACCOUNT" },
	{ 0xC000019Au, "STATUS_NOLOGON_SERVER_TRUST_ACCOUNT" },
	{ 0xC000019Bu, "STATUS_DOMAIN_TRUST_INCONSISTENT" },
	{ 0xC0000224u, "STATUS_PASSWORD_MUST_CHANGE" },
	{ 0xC0000225u, "STATUS_NOT_FOUND" },
	{ 0xC0000233u, "STATUS_DOMAIN_CONTROLLER_NOT_FOUND" },
	{ 0xC0000234u, "STATUS_ACCOUNT_LOCKED_OUT" },
	{ 0xC0000247u, "STATUS_LOGIN_TIME_RESTRICTION" },
	{ 0xC0000248u, "STATUS_LOGIN_WKSTA_RESTRICTION" },
	{ 0xC0000272u, "STATUS_NO_MATCH" },
	{ 0xC00002C3u, "STATUS_MUTUAL_AUTHENTICATION_FAILED" },
	{ 0xC00002EFu, "STATUS_NO_TGT_REPLY" },
	{ 0xC00002F2u, "STATUS_WRONG_CREDENTIAL_HANDLE" },
	{ 0xC00002F3u, "STATUS_CRYPTO_SYSTEM_INVALID" },
	{ 0xC00002F4u, "STATUS_MAX_REFERRALS_EXCEEDED" },
	{ 0xC00002F5u, "STATUS_MUST_BE_KDC" },
	{ 0xC00002F6u, "STATUS_STRONG_CRYPTO_NOT_SUPPORTED" },
	{ 0xC00002F7u, "STATUS_TOO_MANY_PRINCIPALS" },
	{ 0xC00002F8u, "STATUS_NO_PA_DATA" },
	{ 0xC00002F9u, "STATUS_PKINIT_NAME_MISMATCH" },
	{ 0xC00002FAu, "STATUS_SMARTCARD_LOGON_REQUIRED" },
	{ 0xC00002FBu, "STATUS_KDC_INVALID_REQUEST" },
	{ 0xC00002FCu, "STATUS_KDC_UNABLE_TO_REFER" },
	{ 0xC00002FDu, "STATUS_KDC_UNKNOWN_ETYPE" },
	{ 0xC000030Cu, "STATUS_PASSWORD_CHANGE_REQUIRED" },
	{ 0xC0000320u, "STATUS_PKINIT_FAILURE" },
	{ 0xC0000322u, "STATUS_NO_KERB_KEY" },
	{ 0xC0000351u, "STATUS_UNSUPPORTED_PREAUTH" },
	{ 0xC000035Bu, "STATUS_BAD_BINDINGS" },
	{ 0xC0000388u, "STATUS_DOWNGRADE_DETECTED" },
	{ 0xC000038Cu, "STATUS_PKINIT_CLIENT_FAILURE" },
	{ 0xC0000408u, "STATUS_USER2USER_REQUIRED" },
	{ 0xC000040Au, "STATUS_NO_S4U_PROT_SUPPORT" },
	{ 0xC000040Bu, "STATUS_CROSSREALM_DELEGATION_FAILURE" },
	{ 0xC000040Cu, "STATUS_REVOCATION_OFFLINE_KDC" },
	{ 0xC000040Du, "STATUS_ISSUING_CA_UNTRUSTED_KDC" },
	{ 0xC000040Eu, "STATUS_KDC_CERT_EXPIRED" },
	{ 0xC000040Fu, "STATUS_KDC_CERT_REVOKED" },
	{ 0xC0000413u, "STATUS_AUTHENTICATION_FIREWALL_FAILED" },
	{ 0xC000041Cu, "STATUS_INVALID_USER_PRINCIPAL_NAME" },
	{ 0xC000042Fu, "STATUS_PKU2U_CERT_FAILURE" },
};

const char *kf_krb5_ntstatus_name(uint32_t status)
{
	for (size_t i = 0; i < N_ELEMS(ntstatus); i++)
		if (ntstatus[i].v == status)
			return ntstatus[i].name;
	return NULL;
}
