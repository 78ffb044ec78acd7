/* rules_kdc_errors.c - the KDC and AP errors a user meets, one GENERIC rule
 * per kind (principal-unknown, preauth-failed, ...), reported when the client
 * did not recover at once (DIAGNOSES.md; RFC 4120 §7.5.9 error codes, MS-KILE
 * NTSTATUS in e-data). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/limits.h"
#include "krb5.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"

/* ---- error details ------------------------------------------------------- */

static const char *ntstatus_text(struct kf_rule_ctx *ctx, const struct kf_message *err)
{
	if (!err->krb.has_ntstatus)
		return NULL;
	const char *n = kf_krb5_ntstatus_name(err->krb.ntstatus);
	return n ? kf_rule_fmt(ctx, "%s (0x%08X)", n, err->krb.ntstatus)
		 : kf_rule_fmt(ctx, "0x%08X", err->krb.ntstatus);
}

/* " (NTSTATUS ..., e-text "...")" or "". */
static const char *err_details(struct kf_rule_ctx *ctx, const struct kf_message *err)
{
	const char *nt = ntstatus_text(ctx, err);
	const char *et = err->krb.e_text;
	if (nt && et)
		return kf_rule_fmt(ctx, " (NTSTATUS %s, e-text \"%s\")", nt, et);
	if (nt)
		return kf_rule_fmt(ctx, " (NTSTATUS %s)", nt);
	if (et)
		return kf_rule_fmt(ctx, " (e-text \"%s\")", et);
	return "";
}

/* ---- the KDC and AP errors a user meets (GENERIC) ------------------------- */

#define KDC_OPT_FORWARDED (0x80000000u >> 2)
#define KDC_OPT_CNAME_IN_ADDL_TKT (0x80000000u >> 14)

/* BADOPTION that rules_deleg.c explains: S4U2Self, S4U2Proxy, forwarded TGT. */
static bool badoption_is_delegation(const struct kf_message *err, const struct kf_message *req)
{
	if (!req) {
		/* Without the request, stay out of the way of the delegation rules:
		 * a TGT request, Windows' S4U2Proxy probe to its own account (a
		 * name ending in $, an enterprise name, STATUS_NOT_SUPPORTED). */
		const char *sn = err->krb.sname;
		size_t l = sn ? strlen(sn) : 0;
		return !sn || kf_sname_is_krbtgt(sn) || strchr(sn, '@') || (l && sn[l - 1] == '$') ||
		       kf_name_eq_nocase(sn, err->krb.cname) ||
		       (err->krb.has_ntstatus && err->krb.ntstatus == 0xC00000BBu);
	}
	if (req->type != KF_KRB_TGS_REQ)
		return false;
	if (req->krb.s4u_user)
		return true;
	if (req->krb.n_addl && req->krb.has_kdc_options && (req->krb.kdc_options & KDC_OPT_CNAME_IN_ADDL_TKT))
		return true;
	return kf_sname_is_krbtgt(req->krb.sname) && req->krb.has_kdc_options &&
	       (req->krb.kdc_options & KDC_OPT_FORWARDED);
}

/* Which named rule reports this error (NULL: none of this group's). */
static const char *error_rule_of(const struct kf_result *r, const struct kf_message *err)
{
	const struct kf_message *req = kf_msg_request(r, err);
	switch (err->krb.error_code) {
	case 0:  /* KDC_ERR_NONE */
	case 25: /* PREAUTH_REQUIRED: the normal first round of a login */
	case 91: /* MORE_PREAUTH_DATA_REQUIRED: FAST/SPAKE round trip */
	case 52: /* RESPONSE_TOO_BIG: udp-fragmentation */
	case 37: /* SKEW: clock-skew */ return NULL;
	case 31:
	case 41:
	case 44:
		/* A service's wrong key is ap-err-modified (rules_http.c).  On port 88 in
		 * answer to an AS-REQ it is the pre-authentication failing to decrypt:
		 * older MIT KDCs say BAD_INTEGRITY for a wrong password. */
		if (err->carrier == KF_CARRIER_KERBEROS && req && req->type == KF_KRB_AS_REQ)
			return "preauth-failed";
		return NULL;
	case 6:
	case 7: return "principal-unknown";
	case 8: return "principal-not-unique";
	case 12: return "policy";
	case 13: return badoption_is_delegation(err, req) ? NULL : "badoption";
	case 14: return "etype-nosupp";
	case 18: return "client-revoked";
	case 23: return "key-expired";
	case 24: return "preauth-failed";
	case 32: return "ticket-expired";
	case 33: return "ticket-not-yet-valid";
	case 35: return "not-us";
	case 68: return "wrong-realm";
	default: return "generic-kdc-error";
	}
}

/* Two errors are one finding when the same client met the same error for the
 * same principals (and NTSTATUS). */
static bool same_error(const struct kf_result *r, const struct kf_message *a, const struct kf_message *b)
{
	if (a->krb.error_code != b->krb.error_code || !kf_endpoint_same_addr(&a->dst, &b->dst) ||
	    a->carrier != b->carrier)
		return false;
	if (a->krb.has_ntstatus != b->krb.has_ntstatus ||
	    (a->krb.has_ntstatus && a->krb.ntstatus != b->krb.ntstatus))
		return false;
	const struct kf_message *qa = kf_msg_request(r, a), *qb = kf_msg_request(r, b);
	const char *ca = a->krb.cname ? a->krb.cname : qa ? qa->krb.cname : NULL;
	const char *cb = b->krb.cname ? b->krb.cname : qb ? qb->krb.cname : NULL;
	const char *sa = a->krb.sname ? a->krb.sname : qa ? qa->krb.sname : NULL;
	const char *sb = b->krb.sname ? b->krb.sname : qb ? qb->krb.sname : NULL;
	if (!sa && qa && qa->krb.ticket)
		sa = qa->krb.ticket->sname;
	if (!sb && qb && qb->krb.ticket)
		sb = qb->krb.ticket->sname;
	return kf_name_same_nocase(ca, cb) && kf_name_same_nocase(sa, sb);
}

/* What same_error compares, as a group key. */
static struct kf_key error_key(const struct kf_result *r, const struct kf_message *e)
{
	const struct kf_message *q = kf_msg_request(r, e);
	const char *c = e->krb.cname ? e->krb.cname : q ? q->krb.cname : NULL;
	const char *sn = e->krb.sname ? e->krb.sname : q ? q->krb.sname : NULL;
	if (!sn && q && q->krb.ticket)
		sn = q->krb.ticket->sname;
	struct kf_key k = kf_key_new();
	kf_key_int(&k, e->krb.error_code);
	kf_key_int(&k, e->carrier);
	kf_key_addr(&k, &e->dst);
	kf_key_int(&k, e->krb.has_ntstatus ? (int64_t)e->krb.ntstatus : -1);
	kf_key_name(&k, c);
	kf_key_name(&k, sn);
	return k;
}

/* S_PRINCIPAL_UNKNOWN for a bare account name (no '/'): Windows asks for a
 * ticket to a service running as a user that way, then switches to
 * user-to-user (KRB_TGT_REQ, or a TGS-REQ with enc-tkt-in-skey). */
#define KDC_OPT_ENC_TKT_IN_SKEY (0x80000000u >> 28)
static bool went_user_to_user(const struct kf_result *r, const struct kf_message *err)
{
	if (err->krb.error_code != 7 || !err->krb.sname || strchr(err->krb.sname, '/'))
		return false;
	struct kf_at_addr at = kf_result_at_addr(r, &err->dst, err->frame + 1);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->ts_us > err->ts_us + KF_RULE_RECOVERY_US)
			break;
		if (m->type == KF_KRB_TGT_REQ || m->type == KF_KRB_TGT_REP ||
		    (m->type == KF_KRB_TGS_REQ && m->krb.has_kdc_options &&
		     (m->krb.kdc_options & KDC_OPT_ENC_TKT_IN_SKEY)))
			return true;
	}
	return false;
}

static bool error_counts(const struct kf_result *r, const struct kf_message *m, const char *id)
{
	if (!kf_rule_is_krb_error(m))
		return false;
	const char *rid = error_rule_of(r, m);
	return rid && strcmp(rid, id) == 0 && !kf_rule_error_recovered(r, m) && !went_user_to_user(r, m);
}

struct err_text {
	const char *summary, *explanation, *remediation;
	enum kf_severity sev;
};

static const char *from_whom(struct kf_rule_ctx *ctx, const struct kf_message *err)
{
	char a[64];
	kf_endpoint_addr(&err->src, a, sizeof a);
	return err->carrier == KF_CARRIER_KERBEROS ? kf_rule_fmt(ctx, "KDC %s", a)
						   : kf_rule_fmt(ctx, "service %s", a);
}

/* Generic explanations by error code (generic-kdc-error). */
/* clang-format off */
static const char *code_meaning(int32_t code)
{
	switch (code) {
	case 1: return "The client's entry in the KDC database has expired (MIT: principal expiration date passed).";
	case 2: return "The service principal's entry in the KDC database has expired.";
	case 3: return "The request is not Kerberos version 5 (wrong protocol version number): a broken or non-Kerberos client, or a middlebox mangling port 88.";
	case 4: case 5: return "The key is encrypted in an old master key: the KDC database needs its keys re-encrypted (kdb5_util update_princ_encryption).";
	case 9: return "The account has no key the KDC could use (a null key): the account has no password set, or none of its keys is usable.";
	case 10: return "The ticket may not be post-dated (policy or options).";
	case 11: return "The requested ticket would never be valid (start time after end time): often a client clock problem or a bad renew/lifetime request.";
	case 15: return "The KDC does not support the checksum type the client used.";
	case 16: return "The KDC does not support the pre-authentication type the client sent (for example PKINIT/smart card logon against a KDC without a certificate).";
	case 17: return "The KDC does not support the transited-realm encoding of a cross-realm request.";
	case 19: return "The service account is disabled or revoked: the KDC will not issue tickets for it.";
	case 20: return "The TGT presented is no longer valid: the user's or the krbtgt account changed (disabled, password or krbtgt key reset, RODC without the secret) since it was issued.";
	case 21: return "The client account is not yet valid (its validity starts in the future).";
	case 22: return "The service account is not yet valid.";
	case 26: return "The KDC could not match the requested server to the ticket (KDC_ERR_SERVER_NOMATCH).";
	case 27: return "The service has no long-term key: only user-to-user authentication works with it (a user account named as a service).";
	case 28: return "The trust path of a cross-realm request was not accepted by the KDC (transited-realm policy).";
	case 29: return "The KDC could not serve the request (service unavailable): an RODC that cannot forward it, a KDC without its database or under load.";
	case 34: return "The service saw this authenticator before (replay detected): a replay cache hit, usually two servers sharing an SPN behind a load balancer, a client re-sending the same token, or clock trouble.";
	case 36: return "The ticket and the authenticator do not match (KRB_AP_ERR_BADMATCH): the ticket was issued to another client.";
	case 38: return "The ticket carries client addresses that do not match the sender (NAT between client and service with address-bound tickets).";
	case 39: case 40: return "The service did not understand the message (wrong protocol version or message type): client and service disagree on the protocol.";
	case 42: return "Messages arrived out of order.";
	case 45: return "The service has no key for the ticket (KRB_AP_ERR_NOKEY): its keytab lacks the key for this SPN, key version or encryption type.";
	case 46: return "Mutual authentication failed: the client could not verify the service's reply.";
	case 47: case 49: case 50: return "The protected message failed a check (direction, sequence number or checksum type).";
	case 48: return "An alternative authentication method is required (KRB_AP_ERR_METHOD).";
	case 60: return "The KDC reported a generic error (KRB_ERR_GENERIC): the e-text or NTSTATUS, when present, names the reason (for Windows often PAC or group-membership processing, or an internal KDC error).";
	case 61: return "A field was too long for the KDC (KRB_ERR_FIELD_TOOLONG), typically a request larger than the KDC accepts.";
	case 62: case 63: case 64: case 65: case 66: case 70: case 71: case 72: case 73: case 74: case 75: case 76:
		return "Certificate (PKINIT / smart card) logon failed: the client's or the KDC's certificate is not trusted, revoked, its revocation status unknown, or its name does not match.";
	case 67: return "User-to-user authentication failed: no TGT was available for the service (KRB_AP_ERR_NO_TGT).";
	case 69: return "The service requires user-to-user authentication.";
	case 90: return "The pre-authentication data expired before the KDC checked it (FAST).";
	case 93: return "The KDC does not understand a critical FAST option.";
	default: return "The KDC or service refused the request with this Kerberos error.";
	}
}
/* clang-format on */

static struct err_text describe_error(struct kf_rule_ctx *ctx, const char *id, const struct kf_message *err,
				      const struct kf_message *req, size_t count)
{
	struct err_text t = { NULL, NULL, NULL, KF_SEV_ERROR };
	const char *user = kf_rule_user_of(ctx, err, req);
	const char *svc = kf_rule_service_of(ctx, err, req);
	const char *who = from_whom(ctx, err);
	char cl[64];
	struct kf_endpoint ce = kf_rule_client_of(err);
	kf_endpoint_addr(&ce, cl, sizeof cl);
	const char *times = count > 1 ? kf_rule_fmt(ctx, " (%zu times)", count) : "";
	const char *det = err_details(ctx, err);
	int32_t code = err->krb.error_code;
	const char *u = user ? user : kf_rule_fmt(ctx, "the user of client %s", cl);
	const char *s = svc ? svc : "the requested service";
	uint32_t nt = err->krb.has_ntstatus ? err->krb.ntstatus : 0;

	if (strcmp(id, "principal-unknown") == 0) {
		if (code == 6) {
			t.summary = kf_rule_fmt(
				ctx, "%s: user %s is unknown to the KDC (KDC_ERR_C_PRINCIPAL_UNKNOWN)%s%s",
				who, u, times, det);
			t.explanation =
				"The KDC has no account with this name in its realm: the user name is "
				"mistyped, the account was deleted or renamed, the realm (domain) is wrong, or the "
				"client asked a KDC of another realm. Authentication cannot start.";
			t.remediation =
				"Check the user name and realm the client used (klist, whoami /upn; on MIT: "
				"kinit user@REALM with the realm in capitals). In AD, look the account up "
				"(Get-ADUser -Filter \"UserPrincipalName -eq 'user@realm'\" or by sAMAccountName); "
				"on MIT, kadmin -q \"getprinc user\". Create or re-enable the account, or fix the "
				"name/realm mapping (krb5.conf default_realm, [domain_realm]).";
		} else if (err->krb.sname && strncasecmp(err->krb.sname, "DNS/", 4) == 0) {
			t.sev = KF_SEV_INFO;
			t.summary = kf_rule_fmt(
				ctx,
				"%s: no account owns the SPN %s (KDC_ERR_S_PRINCIPAL_UNKNOWN): a secure DNS update attempt by %s from %s%s",
				who, s, user ? user : "the client", cl, times);
			t.explanation =
				"Windows' DNS client tried a secure dynamic update (GSS-TSIG) against the DNS "
				"server it found authoritative for one of its zones, and that server has no "
				"account in the realm (typically a public server for a reverse zone). It does not "
				"affect logons or web authentication.";
			t.remediation =
				"Nothing to fix for authentication. To silence it, host the reverse zone on "
				"the AD DNS servers, or turn off registration for that adapter/zone "
				"(Register this connection's addresses in DNS).";
		} else if (err->krb.sname && !strchr(err->krb.sname, '/')) {
			t.sev = KF_SEV_WARNING;
			t.summary = kf_rule_fmt(
				ctx,
				"%s: no service principal %s (KDC_ERR_S_PRINCIPAL_UNKNOWN): %s asked for a ticket to an account name, not an SPN%s",
				who, s, user ? user : cl, times);
			t.explanation =
				"The client asked for a service ticket naming an account rather than an SPN "
				"(service/host). Windows does this when a service runs under a user account "
				"(RPC, SMB or HTTP with a UPN as target); without an SPN on that account the KDC "
				"cannot issue a ticket, and the client falls back to user-to-user Kerberos or "
				"NTLM. Authentication may still succeed, but not with a normal service ticket.";
			t.remediation = kf_rule_fmt(
				ctx,
				"If the service should use Kerberos, register an SPN on the "
				"account it runs as (setspn -S <service>/<host> <account>; setspn -L %s lists the "
				"account's SPNs) and make the client target that SPN.",
				err->krb.sname);
		} else {
			t.summary = kf_rule_fmt(
				ctx,
				"%s: no account owns the SPN %s (KDC_ERR_S_PRINCIPAL_UNKNOWN), asked by %s from %s%s%s",
				who, s, user ? user : "the client", cl, times, det);
			t.explanation =
				"The client asked for a service ticket for a service principal name (SPN) that "
				"is registered on no account in the realm, so the KDC cannot issue a ticket. "
				"HTTP Negotiate then falls back to NTLM (or fails where NTLM is not allowed). Common "
				"causes: the SPN was never registered for the site's host name (or the alias/CNAME "
				"the browser used), the name is misspelt, or the host belongs to another realm "
				"without a [domain_realm] mapping.";
			t.remediation = kf_rule_fmt(
				ctx,
				"Register the SPN on the account the service runs as: setspn -S %s <domain\\account> "
				"(-S checks for duplicates first); find whether and where it is registered with "
				"setspn -Q %s. For a web site on a custom host name register HTTP/<name> and "
				"HTTP/<name.fqdn>; on an MIT KDC: kadmin -q \"addprinc -randkey %s\" and add the key "
				"to the service's keytab (ktadd).",
				svc && err->krb.sname ? err->krb.sname : "HTTP/host.fqdn",
				svc && err->krb.sname ? err->krb.sname : "HTTP/host.fqdn",
				svc && err->krb.sname ? err->krb.sname : "HTTP/host.fqdn");
		}
	} else if (strcmp(id, "principal-not-unique") == 0) {
		t.summary = kf_rule_fmt(
			ctx,
			"%s: %s is registered on more than one account (KDC_ERR_PRINCIPAL_NOT_UNIQUE)%s%s",
			who, svc ? svc : u, times, det);
		t.explanation =
			"The KDC found the principal on several accounts (a duplicate SPN or UPN) and will "
			"not choose: no ticket is issued.";
		t.remediation =
			"List duplicates with setspn -X (or setspn -Q <SPN>) and remove the SPN from every "
			"account but the one the service runs as: setspn -D <SPN> <wrong account>.";
	} else if (strcmp(id, "preauth-failed") == 0) {
		t.summary = kf_rule_fmt(ctx, "%s: pre-authentication failed for %s: wrong password (%s)%s%s",
					who, u, kf_rule_err_name(code), times, det);
		t.explanation =
			code == 24
				? "The client proved knowledge of the password with an encrypted timestamp (PA-ENC-TIMESTAMP) and "
				  "the KDC could not decrypt it with the account's key: the password typed (or stored in a "
				  "keytab, service or scheduled task, mapped drive, credential manager) is not the account's "
				  "current password. Repeated failures lock the account out where a lockout policy applies."
				: "The KDC could not decrypt the pre-authentication data with the account's key (an integrity "
				  "failure on the encrypted timestamp): the password or keytab used is not the account's current "
				  "one. Older MIT KDCs report a wrong password this way.";
		t.remediation =
			"Use the current password (kinit user@REALM again, or re-enter it); update stored "
			"credentials (services, scheduled tasks, Credential Manager: cmdkey /list) and "
			"regenerate keytabs after a password change (ktpass on AD, kadmin ktadd on MIT). Check "
			"the account's badPwdCount/lockout state (Get-ADUser user -Properties "
			"badPwdCount,LockedOut) and event 4771 on the DC.";
	} else if (strcmp(id, "client-revoked") == 0) {
		const char *why =
			nt == 0xC0000072u   ? "the account is disabled"
			: nt == 0xC0000234u ? "the account is locked out"
			: nt == 0xC0000193u ? "the account has expired"
			: nt == 0xC000006Fu ? "the account may not log on at this time (logon hours)"
			: nt == 0xC0000070u ? "the account may not log on from this workstation"
			: nt == 0xC000006Eu
				? "an account restriction applies (e.g. Protected Users, blank password)"
			: nt == 0xC0000071u ? "the password has expired"
			: err->krb.has_ntstatus
				? "the account is not allowed to log on"
				: "the account is disabled, locked out or expired (the KDC did not say which)";
		t.summary = kf_rule_fmt(ctx, "%s: credentials of %s revoked: %s (KDC_ERR_CLIENT_REVOKED)%s%s",
					who, u, why, times, det);
		t.explanation =
			err->krb.has_ntstatus
				? "The KDC refused to issue tickets for this account; its NTSTATUS says why. The password may well "
				  "be right: the account itself may not log on."
				: "The KDC refused to issue tickets for this account: it is disabled, locked out (too many bad "
				  "passwords; Samba sends a lock-out without NTSTATUS, MIT says it in the e-text) or expired. The "
				  "capture does not say which; the account's state in the directory does.";
		t.remediation =
			nt == 0xC0000234u || !err->krb.has_ntstatus
				? "Check the account: Get-ADUser user -Properties Enabled,LockedOut,AccountExpirationDate,"
				  "lockoutTime (Samba: samba-tool user show user). Unlock with Unlock-ADAccount user (samba-tool "
				  "user unlock), enable with Enable-ADAccount (samba-tool user enable), or extend the expiry "
				  "(Set-ADAccountExpiration; MIT: kadmin modprinc -unlock / -expire). Find the source of bad "
				  "passwords (event 4740/4771 on the PDC emulator) before unlocking."
			: nt == 0xC0000072u
				? "Enable the account if it should log on: Enable-ADAccount user (samba-tool user enable user; MIT: kadmin modprinc +allow_tix user)."
			: nt == 0xC0000193u
				? "Extend or clear the account's expiry date: Set-ADAccountExpiration user -DateTime <date> or Clear-ADAccountExpiration user (samba-tool user setexpiry user --noexpiry)."
				: "Review the account's logon restrictions (logon hours, allowed workstations, Protected Users membership) in Active Directory Users and Computers.";
	} else if (strcmp(id, "key-expired") == 0) {
		const char *why = nt == 0xC0000224u ? "the user must change the password at next logon"
						    : "the password has expired";
		t.summary =
			kf_rule_fmt(ctx, "%s: %s for %s (KDC_ERR_KEY_EXPIRED)%s%s", who, why, u, times, det);
		t.explanation =
			"The KDC will not issue a TGT until the password is changed: it expired "
			"(maximum password age) or the account is flagged \"must change password at next "
			"logon\". Interactive clients then ask for a kadmin/changepw ticket to change it; "
			"services and scripts using this account simply fail.";
		t.remediation =
			"Change the password (Ctrl+Alt+Del on Windows, kpasswd or kinit prompting on "
			"Linux, Set-ADAccountPassword user -Reset for an administrator), then update every "
			"place that stores it. For service accounts, use a managed service account (gMSA) or "
			"set the password not to expire by policy rather than by hand.";
	} else if (strcmp(id, "etype-nosupp") == 0) {
		char offered[160] = "";
		size_t ol = 0;
		for (uint8_t i = 0; req && i < req->krb.n_etypes && ol + 32 < sizeof offered; i++) {
			const char *en = kf_krb5_etype_name(req->krb.etypes[i]);
			int n = snprintf(offered + ol, sizeof offered - ol, "%s%s", i ? ", " : "",
					 en ? en : "?");
			if (n > 0)
				ol += (size_t)n;
		}
		t.summary = kf_rule_fmt(
			ctx, "%s: no common encryption type for %s%s%s (KDC_ERR_ETYPE_NOSUPP)%s%s%s%s", who,
			req && req->type == KF_KRB_AS_REQ ? "user " : "",
			req && req->type == KF_KRB_AS_REQ ? u : s,
			req && req->type == KF_KRB_AS_REQ
				? ""
				: kf_rule_fmt(ctx, " asked by %s", user ? user : cl),
			times, det, ol ? "; client offered " : "", offered);
		t.explanation =
			"The KDC found no encryption type that the client offered, the account has keys "
			"for, and policy allows: the account may have only RC4/DES keys (password not changed "
			"since AES was enabled, msDS-SupportedEncryptionTypes limited), the client may offer "
			"only weak types that the KDC refuses (RC4 disabled on the DC, or MIT's allow_weak_crypto "
			"/ allow_rc4 off), or a service's session-key types exclude all the client's.";
		t.remediation =
			"Compare the etypes in the request with the account's keys: in AD check "
			"msDS-SupportedEncryptionTypes of the account (0x18 = AES128+AES256) and reset its "
			"password once so AES keys exist (for the krbtgt and service accounts too); on MIT "
			"kadmin getprinc shows the keys (cpw -randkey -e aes256-cts:normal to add AES). On the "
			"client, allow AES: GPO \"Network security: Configure encryption types allowed for "
			"Kerberos\", or krb5.conf permitted_enctypes/default_tkt_enctypes. Do not re-enable RC4 "
			"or DES as the fix.";
	} else if (strcmp(id, "ticket-expired") == 0) {
		t.summary = kf_rule_fmt(
			ctx, "%s: the ticket presented for %s has expired (KRB_AP_ERR_TKT_EXPIRED)%s%s", who,
			s, times, det);
		t.explanation =
			"The client used a ticket past its end time and did not get a fresh one: a "
			"long-running process holding an old ticket cache, a ticket cache that is never "
			"renewed (kinit -R, k5start, sssd), or clocks out of step with the KDC.";
		t.remediation =
			"Get fresh tickets (klist purge then retry on Windows; kinit or kinit -R on Linux); "
			"renew long-running service credentials automatically (keytab-based kinit via k5start or "
			"the service's own keytab, sssd for users); check the clocks if it keeps happening.";
	} else if (strcmp(id, "ticket-not-yet-valid") == 0) {
		t.summary =
			kf_rule_fmt(ctx, "%s: the ticket for %s is not yet valid (KRB_AP_ERR_TKT_NYV)%s%s",
				    who, s, times, det);
		t.explanation =
			"The ticket's start time lies in the receiver's future: the clocks of KDC and "
			"service (or client) differ, or a post-dated ticket was used before its start time.";
		t.remediation = "Synchronise the clocks of KDC, service and client (w32tm /resync, chronyc "
				"makestep) and get a new ticket (klist purge / kinit).";
	} else if (strcmp(id, "not-us") == 0) {
		t.summary = kf_rule_fmt(
			ctx, "%s: the ticket for %s is for another service (KRB_AP_ERR_NOT_US)%s%s", who, s,
			times, det);
		t.explanation =
			"The service received a ticket issued for a different principal than its own: "
			"the client asked for the SPN of another host (an alias, a load-balanced name, a stale "
			"DNS record), or the service's keytab/account does not hold this SPN.";
		t.remediation =
			"Make the name the client uses resolve to the service that owns the SPN, register "
			"the SPN on the account the service actually runs as (setspn -S HTTP/name account; "
			"setspn -Q HTTP/name to find the owner), and put the matching key in its keytab.";
	} else if (strcmp(id, "policy") == 0) {
		t.summary = kf_rule_fmt(ctx, "%s: the KDC's policy refused %s for %s (KDC_ERR_POLICY)%s%s",
					who, s, u, times, det);
		t.explanation =
			"A KDC policy refused the request: in AD, for example, an authentication policy "
			"or silo, Protected Users restrictions, a smart-card-required account logging on with a "
			"password, or a delegation policy; on MIT a policy/flag on the principal. The "
			"NTSTATUS/e-text, when present, names it.";
		t.remediation =
			"Check the account's restrictions (Get-ADUser user -Properties "
			"SmartcardLogonRequired,msDS-AssignedAuthNPolicy,memberOf for Protected Users) and "
			"the DC's Kerberos operational log / events 4768/4769 with their failure code; on MIT, "
			"kadmin getprinc for the principal's flags.";
	} else if (strcmp(id, "badoption") == 0) {
		t.summary = kf_rule_fmt(
			ctx, "%s: the KDC cannot honour the options asked for %s (KDC_ERR_BADOPTION)%s%s",
			who, s, times, det);
		t.explanation =
			"The KDC refused an option of the request: a forwardable/renewable/proxiable "
			"ticket the account or policy does not allow, a renewal of a non-renewable ticket, or "
			"a user-to-user/validate request it cannot serve.";
		t.remediation =
			"Look at the KDC options of the request against the account's and realm's "
			"settings (AD: \"Account is sensitive and cannot be delegated\", delegation settings; "
			"MIT: principal flags -allow_forwardable / -allow_renewable, maxrenewlife).";
	} else if (strcmp(id, "wrong-realm") == 0) {
		t.summary = kf_rule_fmt(
			ctx, "%s: request for %s sent to the wrong realm (KDC_ERR_WRONG_REALM)%s%s", who,
			svc ? svc : u, times, det);
		t.explanation =
			"The KDC answered that the principal belongs to another realm (a referral) and "
			"the client did not follow it to that realm's KDC.";
		t.remediation =
			"Give the client the realm mapping ([domain_realm] in krb5.conf, or the right "
			"UPN suffix/trust routing in AD) and make the other realm's KDC reachable (DNS SRV "
			"records _kerberos._tcp.<realm>).";
	} else {
		t.summary = kf_rule_fmt(ctx, "%s: %s (%d) for %s%s%s", who, kf_rule_err_name(code), code,
					svc ? svc : u, times, det);
		t.explanation = code_meaning(code);
		t.remediation =
			"Look up the error and the e-text/NTSTATUS in the KDC's or service's log (Windows: "
			"System and Kerberos operational logs, events 4768/4769/4771 with the failure code; "
			"MIT: krb5kdc.log) for the reason, then fix the account, key or policy it names.";
	}
	return t;
}

static void report_errors(struct kf_rule_ctx *ctx, const char *id)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *err = &r->messages[i];
		if (!error_counts(r, err, id) || !kf_seen_add(ctx, &seen, error_key(r, err)))
			continue;
		/* the same error again: among the client's later messages */
		uint64_t frames[KF_LIMIT_EVIDENCE_FRAMES];
		size_t nf = 0, count = 0;
		struct kf_at_addr at = kf_result_at_addr(r, &err->dst, err->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *o = KF_AT_ADDR_MSG(r, at.v[j]);
			if (!KF_AT_ADDR_IS_DST(at.v[j]) || o < err ||
			    (o != err && !(error_counts(r, o, id) && same_error(r, o, err))))
				continue;
			count++;
			kf_rule_msg_frames_add(frames, &nf, kf_msg_request(r, o));
			kf_rule_frame_add(frames, &nf, o->frame);
		}
		const struct kf_message *req = kf_msg_request(r, err);
		struct err_text t = describe_error(ctx, id, err, req, count);
		kf_finding_add(ctx, t.sev, KF_CONF_CERTAIN, frames, nf, t.summary, t.explanation,
			       t.remediation);
	}
	kf_seen_free(&seen);
}

static void rule_principal_unknown(struct kf_rule_ctx *ctx) { report_errors(ctx, "principal-unknown"); }
static void rule_principal_not_unique(struct kf_rule_ctx *ctx) { report_errors(ctx, "principal-not-unique"); }
static void rule_preauth_failed(struct kf_rule_ctx *ctx) { report_errors(ctx, "preauth-failed"); }
static void rule_client_revoked(struct kf_rule_ctx *ctx) { report_errors(ctx, "client-revoked"); }
static void rule_key_expired(struct kf_rule_ctx *ctx) { report_errors(ctx, "key-expired"); }
static void rule_etype_nosupp(struct kf_rule_ctx *ctx) { report_errors(ctx, "etype-nosupp"); }
static void rule_ticket_expired(struct kf_rule_ctx *ctx) { report_errors(ctx, "ticket-expired"); }
static void rule_ticket_nyv(struct kf_rule_ctx *ctx) { report_errors(ctx, "ticket-not-yet-valid"); }
static void rule_not_us(struct kf_rule_ctx *ctx) { report_errors(ctx, "not-us"); }
static void rule_policy(struct kf_rule_ctx *ctx) { report_errors(ctx, "policy"); }
static void rule_badoption(struct kf_rule_ctx *ctx) { report_errors(ctx, "badoption"); }
static void rule_wrong_realm(struct kf_rule_ctx *ctx) { report_errors(ctx, "wrong-realm"); }
static void rule_generic_kdc_error(struct kf_rule_ctx *ctx) { report_errors(ctx, "generic-kdc-error"); }

/* ---- the table ------------------------------------------------------------ */

const struct kf_rule kf_rules_kdc_errors[] = {
	{ { "principal-unknown", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "KDC_ERR_C/S_PRINCIPAL_UNKNOWN: unknown user or unregistered SPN", NULL },
	  rule_principal_unknown },
	{ { "principal-not-unique", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "KDC_ERR_PRINCIPAL_NOT_UNIQUE: duplicate SPN or UPN", NULL },
	  rule_principal_not_unique },
	{ { "preauth-failed", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "KDC_ERR_PREAUTH_FAILED: wrong password", NULL },
	  rule_preauth_failed },
	{ { "client-revoked", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "KDC_ERR_CLIENT_REVOKED: account disabled, locked out or expired", NULL },
	  rule_client_revoked },
	{ { "key-expired", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "KDC_ERR_KEY_EXPIRED: password expired or must be changed", NULL },
	  rule_key_expired },
	{ { "etype-nosupp", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "KDC_ERR_ETYPE_NOSUPP: no common encryption type", NULL },
	  rule_etype_nosupp },
	{ { "ticket-expired", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "KRB_AP_ERR_TKT_EXPIRED: an expired ticket was presented", NULL },
	  rule_ticket_expired },
	{ { "ticket-not-yet-valid", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "KRB_AP_ERR_TKT_NYV: a ticket presented before its start time", NULL },
	  rule_ticket_nyv },
	{ { "not-us", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "KRB_AP_ERR_NOT_US: ticket for another service", NULL },
	  rule_not_us },
	{ { "policy", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "KDC_ERR_POLICY: refused by KDC policy", NULL },
	  rule_policy },
	{ { "badoption", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "KDC_ERR_BADOPTION outside delegation: an option the KDC cannot honour", NULL },
	  rule_badoption },
	{ { "wrong-realm", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "KDC_ERR_WRONG_REALM not followed by the client", NULL },
	  rule_wrong_realm },
	{ { "generic-kdc-error", KF_SEV_ERROR, KF_RULE_GENERIC, KF_RULE_RECOVERY_US,
	    "any other Kerberos error that is not benign", NULL },
	  rule_generic_kdc_error },
};
const size_t kf_rules_kdc_errors_count = sizeof kf_rules_kdc_errors / sizeof kf_rules_kdc_errors[0];
