/* rules_deleg.c - findings about delegation: unconstrained delegation that
 * did not happen, constrained delegation (S4U, MS-SFU) refused, and
 * constrained delegation across realms (DIAGNOSES.md). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "krb5.h"
#include "krb5_decrypt.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"
#include "stories.h"

#define KDC_OPT_FORWARDED (0x80000000u >> 2)
#define KDC_OPT_CNAME_IN_ADDL_TKT (0x80000000u >> 14)
#define STATUS_CROSSREALM_DELEGATION_FAILURE 0xC000040Bu
#define KDC_ERR_BADOPTION 13

/* How long after a user's accepted AP-REQ the front end's back-end request
 * still counts as done for that user. */
#define DELEG_WINDOW_US (60ull * 1000000ull)

/* ---- helpers -------------------------------------------------------------- */

/* A growing list of frames, sorted once filled, for "is this frame taken". */
struct frames {
	uint64_t *f;
	size_t n, cap;
};

static bool frames_push(struct frames *s, uint64_t frame)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		uint64_t *f = kf_realloc(s->f, cap * sizeof *f);
		if (!f)
			return false;
		s->f = f;
		s->cap = cap;
	}
	s->f[s->n++] = frame;
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void frames_sort(struct frames *s)
{
	if (s->n)
		qsort(s->f, s->n, sizeof *s->f, cmp_u64);
}

static bool frames_has(const struct frames *s, uint64_t frame)
{
	return s->n && bsearch(&frame, s->f, s->n, sizeof *s->f, cmp_u64) != NULL;
}

/* Key part matching kf_princ_eq_norealm_nocase(): the name up to any "@REALM", case aside. */
static void key_base_name(struct kf_key *k, const char *s)
{
	size_t n = kf_princ_len_norealm(s);
	for (size_t i = 0; i < n; i++)
		kf_key_int(k, tolower((unsigned char)s[i]));
	kf_key_int(k, -1);
}

/* A cross-realm TGT: krbtgt/X issued by realm Y != X (a referral). */
static bool is_referral_ticket(const struct kf_ticket_rec *t)
{
	const char *to = t ? kf_sname_krbtgt_realm(t->sname) : NULL;
	return to && t->realm && !kf_name_eq_nocase(to, t->realm);
}

static bool is_s4u2proxy(const struct kf_message *m)
{
	return m->type == KF_KRB_TGS_REQ && m->carrier == KF_CARRIER_KERBEROS && m->krb.n_addl &&
	       m->krb.addl && m->krb.has_kdc_options && (m->krb.kdc_options & KDC_OPT_CNAME_IN_ADDL_TKT);
}

static bool is_s4u2self(const struct kf_message *m)
{
	return m->type == KF_KRB_TGS_REQ && m->carrier == KF_CARRIER_KERBEROS && m->krb.s4u_user;
}

static bool is_forwarded_tgt_req(const struct kf_message *m)
{
	return m->type == KF_KRB_TGS_REQ && m->carrier == KF_CARRIER_KERBEROS && m->krb.has_kdc_options &&
	       (m->krb.kdc_options & KDC_OPT_FORWARDED) && kf_sname_is_krbtgt(m->krb.sname);
}

static bool cross_ntstatus(const struct kf_message *rep)
{
	return rep && rep->type == KF_KRB_ERROR && rep->krb.has_ntstatus &&
	       rep->krb.ntstatus == STATUS_CROSSREALM_DELEGATION_FAILURE;
}

/* An S4U2Proxy that crosses a realm boundary: the target's realm differs from
 * the evidence ticket's, the request rides on (or carries) a cross-realm TGT,
 * the KDC answered with a referral, or a Windows KDC said so in its e-data. */
static bool s4u_cross_realm(const struct kf_result *r, const struct kf_message *req)
{
	if (!is_s4u2proxy(req))
		return false;
	const struct kf_ticket_rec *ev = &req->krb.addl[0];
	if (req->krb.realm && ev->realm && !kf_name_eq_nocase(req->krb.realm, ev->realm))
		return true;
	if (kf_sname_is_krbtgt(ev->sname) || is_referral_ticket(req->krb.ticket))
		return true;
	const struct kf_message *rep = kf_msg_reply(r, req);
	if (rep && rep->type == KF_KRB_TGS_REP && is_referral_ticket(rep->krb.ticket))
		return true;
	return cross_ntstatus(rep);
}

/* Windows services (WinRM, WMI, ...) on a machine not trusted for delegation
 * ask for S4U2Proxy to their own account to learn whether they may delegate:
 * the target is the evidence ticket's own service. */
static bool s4u_self_probe(const struct kf_message *req)
{
	return is_s4u2proxy(req) && kf_princ_eq_norealm_nocase(req->krb.sname, req->krb.addl[0].sname);
}

/* "sname@realm", unless the name already carries a realm (enterprise form). */
static const char *spn_at(struct kf_rule_ctx *ctx, const char *sname, const char *realm)
{
	if (!sname)
		return "?";
	if (!realm || strchr(sname, '@'))
		return sname;
	return kf_rule_fmt(ctx, "%s@%s", sname, realm);
}

static const char *err_text(struct kf_rule_ctx *ctx, const struct kf_message *rep)
{
	const char *en = kf_krb5_error_name(rep->krb.error_code);
	const char *nt = rep->krb.has_ntstatus ? kf_krb5_ntstatus_name(rep->krb.ntstatus) : NULL;
	return kf_rule_fmt(ctx, "%s (%d)%s%s%s%s%s", en ? en : "error", rep->krb.error_code,
			   rep->krb.e_text ? " \"" : "", rep->krb.e_text ? rep->krb.e_text : "",
			   rep->krb.e_text ? "\"" : "",
			   rep->krb.has_ntstatus ? kf_rule_fmt(ctx, " NTSTATUS 0x%08X", rep->krb.ntstatus)
						 : "",
			   nt ? kf_rule_fmt(ctx, " %s", nt) : "");
}

/* The user an S4U2Proxy acts for: the S4U2Self that produced its evidence
 * ticket, or a TGS-REP issuing that ticket to the requester. */
static const char *s4u_user_of(const struct kf_result *r, const struct kf_message *req, uint64_t *self_req,
			       uint64_t *self_rep)
{
	const struct kf_ticket_rec *ev = &req->krb.addl[0];
	const char *user = NULL;
	struct kf_at_addr at = kf_result_at_addr(r, &req->src, 0);
	for (size_t i = 0; i < at.n && KF_AT_ADDR_MSG(r, at.v[i])->frame < req->frame; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (!is_s4u2self(m) || !kf_endpoint_same_addr(&m->src, &req->src) ||
		    !kf_princ_eq_norealm_nocase(m->krb.sname, ev->sname))
			continue;
		const struct kf_message *rep = kf_msg_reply(r, m);
		if (!rep || rep->type != KF_KRB_TGS_REP)
			continue;
		user = m->krb.s4u_user;
		*self_req = m->frame;
		*self_rep = rep->frame;
	}
	return user;
}

/* The requester's account: the KDC names it in its error (MIT), else the
 * evidence ticket's service is the front end's own. */
static const char *front_account(struct kf_rule_ctx *ctx, const struct kf_message *req,
				 const struct kf_message *rep)
{
	if (rep && rep->type == KF_KRB_ERROR && rep->krb.cname)
		return rep->krb.crealm ? kf_rule_fmt(ctx, "%s@%s", rep->krb.cname, rep->krb.crealm)
				       : rep->krb.cname;
	if (is_s4u2proxy(req))
		return req->krb.addl[0].sname;
	return req->krb.sname;
}

/* ---- s4u-denied ------------------------------------------------------------ */

static const char S4U_FIX[] =
	"On the front-end service account (Active Directory Users and Computers, Delegation tab): \"Trust this "
	"user for delegation to specified services only\", add the back-end SPN (attribute "
	"msDS-AllowedToDelegateTo), and choose \"Use any authentication protocol\" when users do not reach the "
	"front end with Kerberos (protocol transition, S4U2Self). Or use resource-based constrained delegation "
	"on the back end: Set-ADComputer BACKEND -PrincipalsAllowedToDelegateToAccount FRONTEND$ (Set-ADUser "
	"for a service account). The user must not be \"Account is sensitive and cannot be delegated\" nor in "
	"Protected Users. Samba: samba-tool delegation add-service FRONTEND$ SPN and samba-tool delegation "
	"for-any-protocol FRONTEND$ on. MIT KDC (LDAP back end): krbAllowedToDelegateTo on the front end's "
	"principal, and kadmin modprinc +ok_to_auth_as_delegate for protocol transition.";

static const char *s4u_reason(const struct kf_message *req, const struct kf_message *rep, bool have_self)
{
	const char *et = rep->krb.e_text;
	bool self = is_s4u2self(req);
	if (et && strstr(et, "UNSUPPORTED_S4U2PROXY_REQUEST"))
		return "The KDC says the target is not one the front end may delegate to: the back-end SPN is not in "
		       "the front end's allowed list (msDS-AllowedToDelegateTo / krbAllowedToDelegateTo) and no "
		       "resource-based delegation rule on the back end names the front end.";
	if (et && strstr(et, "EVIDENCE_TKT_NOT_FORWARDABLE"))
		return "The KDC says the evidence ticket (the user's ticket to the front end) is not forwardable. "
		       "After S4U2Self that means the front end may not do protocol transition (\"Use any "
		       "authentication protocol\" / ok_to_auth_as_delegate is not set), so the KDC issued it a "
		       "non-forwardable ticket; it also happens when the user is \"sensitive and cannot be "
		       "delegated\" or in Protected Users.";
	if (self)
		return "The service asked the KDC for a ticket to itself on behalf of a user (S4U2Self, protocol "
		       "transition) and was refused: the user is unknown or disabled, the user may not be "
		       "delegated, or the KDC does not allow the account to act for users.";
	if (rep->krb.error_code == KDC_ERR_BADOPTION && have_self)
		return "The KDC refused with a bare KDC_ERR_BADOPTION (no e-text, as Windows and Samba DCs send it). "
		       "After protocol transition (the S4U2Self in the evidence) two causes look the same on the wire: "
		       "the back-end SPN is not in the front end's msDS-AllowedToDelegateTo (and no resource-based "
		       "rule allows it), or the front end may use Kerberos-only delegation and not \"any "
		       "authentication protocol\", so its S4U2Self ticket was not forwardable. Check both settings.";
	if (rep->krb.error_code == KDC_ERR_BADOPTION)
		return "The KDC refused with KDC_ERR_BADOPTION: the back-end SPN is not in the front end's allowed "
		       "list (msDS-AllowedToDelegateTo) and no resource-based rule allows it, or the user's ticket to "
		       "the front end is not forwardable (user sensitive, in Protected Users, or front end not "
		       "trusted for delegation).";
	return "The KDC refused the constrained-delegation request: the front end is not allowed to delegate to "
	       "that service, or the user may not be delegated.";
}

/* The refusal that puts req in s4u-denied (NULL when it does not belong). */
static const struct kf_message *s4u_refusal(const struct kf_result *r, const struct kf_message *req)
{
	bool proxy = is_s4u2proxy(req);
	if (!is_s4u2self(req) && !proxy)
		return NULL;
	if (proxy && s4u_cross_realm(r, req))
		return NULL; /* cross-realm-s4u explains it */
	const struct kf_message *rep = kf_msg_reply(r, req);
	if (!rep || rep->type != KF_KRB_ERROR || kf_error_recovered(r, rep))
		return NULL;
	return rep;
}

struct s4u_group {
	bool probe;
	struct kf_evidence fs;
	const struct kf_message *req, *rep;
	uint64_t self_req, self_rep;
};

static void rule_s4u_denied(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *req = &r->messages[i];
		const struct kf_message *rep = s4u_refusal(r, req);
		if (!rep)
			continue;
		bool probe = s4u_self_probe(req);
		/* One finding per (requester, target, error, probe), built at its
		 * first request from the requester's later messages.  A request
		 * without a target matches no other (kf_name_eq_nocase). */
		if (req->krb.sname) {
			struct kf_key k = kf_key_new();
			kf_key_addr(&k, &req->src);
			kf_key_name(&k, req->krb.sname);
			kf_key_int(&k, rep->krb.error_code);
			kf_key_int(&k, probe);
			if (!kf_seen_add(ctx, &seen, k))
				continue;
		}
		struct s4u_group g = { .probe = probe, .req = req, .rep = rep };
		struct s4u_group *x = &g;
		kf_evidence_add(&x->fs, req->frame);
		kf_evidence_add(&x->fs, rep->frame);
		struct kf_at_addr at = kf_result_at_addr(r, &req->src, req->frame);
		for (size_t j = 0; req->krb.sname && j < at.n; j++) {
			const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
			if (m <= req || !kf_endpoint_same_addr(&m->src, &req->src) ||
			    !kf_name_eq_nocase(m->krb.sname, req->krb.sname))
				continue;
			const struct kf_message *mrep = s4u_refusal(r, m);
			if (!mrep || mrep->krb.error_code != rep->krb.error_code ||
			    s4u_self_probe(m) != probe)
				continue;
			kf_evidence_add(&x->fs, m->frame);
			kf_evidence_add(&x->fs, mrep->frame);
		}
		bool self = is_s4u2self(req);
		char by[64];
		kf_endpoint_addr(&req->src, by, sizeof by);
		const char *user = self ? req->krb.s4u_user : s4u_user_of(r, req, &x->self_req, &x->self_rep);
		kf_evidence_add(&x->fs, x->self_req);
		kf_evidence_add(&x->fs, x->self_rep);
		const char *front = front_account(ctx, req, rep);
		const char *target = spn_at(ctx, req->krb.sname, req->krb.realm);
		const char *times = x->fs.n > 2 + (x->self_req ? 2 : 0) ? " (repeated)" : "";
		if (x->probe) {
			kf_finding_add(
				ctx, KF_SEV_INFO, KF_CONF_CERTAIN, x->fs.f, x->fs.n,
				kf_rule_fmt(
					ctx,
					"%s (%s) may not delegate: its S4U2Proxy check to its own account %s was "
					"refused: %s%s",
					front, by, target, err_text(ctx, rep), times),
				"The service asked the KDC for a constrained-delegation ticket (S4U2Proxy) to its own "
				"account, with a ticket to itself as evidence. Windows services such as WinRM and WMI do "
				"this to learn whether the logon they just accepted can be delegated further; the refusal "
				"means the account is not trusted for delegation. The user's own logon is not affected: "
				"this is only a problem if the service has to reach another server as the user (a "
				"double hop).",
				"Nothing to do unless the service must act for the user on another server. Then trust its "
				"account for delegation (Delegation tab: constrained delegation to the back-end SPNs, or "
				"resource-based delegation on the back end with -PrincipalsAllowedToDelegateToAccount), or "
				"use CredSSP / a different design for remote sessions.");
			continue;
		}
		kf_finding_add(
			ctx, KF_SEV_ERROR, KF_CONF_CERTAIN, x->fs.f, x->fs.n,
			kf_rule_fmt(ctx, "%s by %s (%s) for %s%s%s refused: %s%s",
				    self ? "S4U2Self" : "S4U2Proxy", front, by, target,
				    user ? " on behalf of " : "", user ? user : "", err_text(ctx, rep),
				    times),
			kf_rule_fmt(
				ctx, "%s %s",
				self ? "The front end asked for a ticket to itself in the user's name (S4U2Self, "
				       "protocol transition)."
				     : "The front end asked the KDC for a ticket to the back-end service in the user's "
				       "name (S4U2Proxy, constrained delegation), showing the user's ticket to itself "
				       "as evidence.",
				s4u_reason(req, rep, x->self_req != 0)),
			S4U_FIX);
	}
	kf_seen_free(&seen);
}

/* ---- cross-realm-s4u ------------------------------------------------------- */

struct xr_chain {
	struct kf_endpoint by;
	const char *sname;
	struct kf_evidence fs;
	const struct kf_message *first, *err;
	const char *other_realm;
	bool ntstatus, referral, success, last_unanswered;
};

/* Add a cross-realm S4U2Proxy request of the chain and what it got back. */
static void chain_add(const struct kf_result *r, struct xr_chain *x, const struct kf_message *req)
{
	const struct kf_message *rep = kf_msg_reply(r, req);
	kf_evidence_add(&x->fs, req->frame);
	x->last_unanswered = !rep;
	if (!rep)
		return;
	kf_evidence_add(&x->fs, rep->frame);
	const struct kf_ticket_rec *ev = &req->krb.addl[0];
	if (req->krb.realm && ev->realm && !kf_name_eq_nocase(req->krb.realm, ev->realm))
		x->other_realm = req->krb.realm;
	if (rep->type == KF_KRB_TGS_REP && is_referral_ticket(rep->krb.ticket)) {
		x->referral = true;
		x->other_realm = kf_sname_krbtgt_realm(rep->krb.ticket->sname);
	} else if (rep->type == KF_KRB_TGS_REP) {
		x->success = true;
	} else if (rep->type == KF_KRB_ERROR) {
		x->err = rep;
		x->ntstatus |= cross_ntstatus(rep);
	}
}

/* The finding of a chain that did not end in a ticket. */
static void chain_report(struct kf_rule_ctx *ctx, const struct kf_result *r, struct xr_chain *x)
{
	if (x->success)
		return; /* cross-realm delegation worked (resource-based) */
	if (!x->err && !x->last_unanswered && !x->referral)
		return;
	/* The front end's own tickets for the target on the way (referrals). */
	struct kf_at_addr at = kf_result_at_addr(r, &x->by, x->first->frame);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->type != KF_KRB_TGS_REQ || is_s4u2proxy(m) || !kf_endpoint_same_addr(&m->src, &x->by) ||
		    !kf_princ_eq_norealm_nocase(m->krb.sname, x->sname) || m->frame < x->first->frame)
			continue;
		const struct kf_message *rep = kf_msg_reply(r, m);
		kf_evidence_add(&x->fs, m->frame);
		if (rep)
			kf_evidence_add(&x->fs, rep->frame);
	}
	char by[64];
	kf_endpoint_addr(&x->by, by, sizeof by);
	const char *front = front_account(ctx, x->first, x->err);
	uint64_t sr = 0, sp = 0;
	const char *user = s4u_user_of(r, x->first, &sr, &sp);
	kf_evidence_add(&x->fs, sr);
	kf_evidence_add(&x->fs, sp);
	const char *from_realm = x->first->krb.addl[0].realm;
	const char *what = x->err ? kf_rule_fmt(ctx, "refused: %s", err_text(ctx, x->err))
				  : "the chain stops after the referral, with no ticket";
	bool certain = x->ntstatus || x->err != NULL;
	kf_finding_add(
		ctx, KF_SEV_ERROR, certain ? KF_CONF_CERTAIN : KF_CONF_LIKELY, x->fs.f, x->fs.n,
		kf_rule_fmt(ctx, "cross-realm constrained delegation by %s (%s) to %s%s%s%s%s: %s", front, by,
			    x->sname ? x->sname : "?", x->other_realm ? " in " : "",
			    x->other_realm ? x->other_realm : "", user ? " on behalf of " : "",
			    user ? user : "", what),
		kf_rule_fmt(
			ctx,
			"The front end (realm %s) asked for a constrained-delegation ticket (S4U2Proxy) to a service "
			"in another realm%s%s%s.%s%s Classic constrained delegation (the allowed-SPN list on the front "
			"end's account, msDS-AllowedToDelegateTo) only works when the front end and the back end "
			"are in the same domain; across a trust the back end's realm has to allow the front end "
			"itself, which only resource-based constrained delegation does.%s",
			from_realm ? from_realm : "?", x->other_realm ? " (" : "",
			x->other_realm ? x->other_realm : "", x->other_realm ? ")" : "",
			x->referral
				? " The front end's KDC answered with a referral (a cross-realm TGT), so the "
				  "request went on to the other realm's KDC."
				: "",
			x->ntstatus
				? " The domain controller's error data says it outright: NTSTATUS 0xC000040B, "
				  "STATUS_CROSSREALM_DELEGATION_FAILURE."
			: x->err ? " That realm's KDC refused it."
				 : "",
			certain ? ""
				: " (Likely: no refusal is in the capture; the chain just ends. A longer "
				  "capture would show the KDC's answer.)"),
		"Put the front-end and back-end accounts in one domain, or switch to resource-based "
		"constrained delegation, which works across domains and forests with a trust: on the back "
		"end's account, Set-ADComputer BACKEND -PrincipalsAllowedToDelegateToAccount "
		"(Get-ADComputer FRONTEND -Server front.domain) (Set-ADUser for a service account), run in the "
		"back end's domain. The trust must allow it (forest trust with TGT delegation / selective "
		"authentication granting the front end). MIT KDCs cannot store resource-based rules: keep "
		"both services in one MIT realm.");
}

static void rule_cross_realm_s4u(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *first = &r->messages[i];
		if (!s4u_cross_realm(r, first))
			continue;
		/* One chain per (front end, target), built at its first request from
		 * the front end's later messages.  A request without a target matches
		 * no other (kf_princ_eq_norealm_nocase). */
		if (first->krb.sname) {
			struct kf_key k = kf_key_new();
			kf_key_addr(&k, &first->src);
			key_base_name(&k, first->krb.sname);
			if (!kf_seen_add(ctx, &seen, k))
				continue;
		}
		struct xr_chain chain = { .by = first->src, .sname = first->krb.sname, .first = first };
		struct xr_chain *x = &chain;
		struct kf_at_addr at = kf_result_at_addr(r, &first->src, first->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *req = KF_AT_ADDR_MSG(r, at.v[j]);
			if (req < first || !kf_endpoint_same_addr(&req->src, &x->by) ||
			    (req != first && !kf_princ_eq_norealm_nocase(x->sname, req->krb.sname)) ||
			    !s4u_cross_realm(r, req))
				continue;
			chain_add(r, x, req);
		}
		chain_report(ctx, r, x);
	}
	kf_seen_free(&seen);
}

/* ---- missing-forwarded-tgt -------------------------------------------------- */

static const char FWD_FIX[] =
	"Let the front end receive the user's TGT: on its service account (Delegation tab) choose \"Trust this "
	"user for delegation to any service (Kerberos only)\" - or, better, constrained delegation to the "
	"back-end SPN (\"Trust this user for delegation to specified services only\"). Keep the site in the "
	"browser's Local intranet or Trusted sites zone (browsers only delegate there; Chrome/Edge also need "
	"AuthNegotiateDelegateAllowlist; curl needs --delegation always or policy). The user must not be "
	"\"Account is sensitive and cannot be delegated\" nor in Protected Users, and the TGT must be "
	"forwardable (klist shows the F flag; krb5.conf [libdefaults] forwardable = true, kinit -f). MIT KDC: "
	"kadmin modprinc +ok_as_delegate HTTP/front.host, and no -allow_forwardable on the user.";

/* The user of an AP-REQ: the TGS-REP that issued its ticket to the client,
 * else the client's story user when Kerberos named it. */
static const char *ap_user(struct kf_rule_ctx *ctx, const struct kf_result *r, const struct kf_message *ap)
{
	struct kf_at_addr at = kf_result_at_addr(r, &ap->src, 0);
	for (size_t i = 0; i < at.n && KF_AT_ADDR_MSG(r, at.v[i])->frame <= ap->frame; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->type == KF_KRB_TGS_REP && m->carrier == KF_CARRIER_KERBEROS &&
		    kf_endpoint_same_addr(&m->dst, &ap->src) && m->krb.cname && m->krb.ticket &&
		    ap->krb.ticket && kf_princ_eq_norealm_nocase(m->krb.ticket->sname, ap->krb.ticket->sname))
			return m->krb.crealm ? kf_rule_fmt(ctx, "%s@%s", m->krb.cname, m->krb.crealm)
					     : m->krb.cname;
	}
	const struct kf_story *st = kf_story_of(r, ap);
	if (st && st->user && strchr(st->user, '@') && !strchr(st->user, '\\'))
		return st->user;
	return NULL;
}

static bool user_eq(const char *cname, const char *crealm, const char *user)
{
	if (!cname || !user)
		return false;
	size_t lc = strlen(cname);
	if (strncasecmp(cname, user, lc) != 0)
		return false;
	if (user[lc] == 0)
		return true;
	return user[lc] == '@' && (!crealm || kf_name_eq_nocase(crealm, user + lc + 1));
}

/* A forwarded-TGT request refused and never retried with success. */
static bool fwd_refused(const struct kf_result *r, const struct kf_message *req,
			const struct kf_message **err)
{
	const struct kf_message *rep = kf_msg_reply(r, req);
	if (!rep || rep->type != KF_KRB_ERROR)
		return false;
	struct kf_at_addr at = kf_result_at_addr(r, &req->src, rep->frame + 1);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->frame <= rep->frame || !is_forwarded_tgt_req(m) ||
		    !kf_endpoint_same_addr(&m->src, &req->src))
			continue;
		if (m->ts_us > rep->ts_us + KF_RULE_RECOVERY_US)
			break;
		const struct kf_message *p = kf_msg_reply(r, m);
		if (p && p->type == KF_KRB_TGS_REP)
			return false;
	}
	*err = rep;
	return true;
}

/* With --keytab: the flags of the client's TGT before frame, from a TGS-REQ
 * whose TGT was opened or an AS-REP whose enc-part was; false when unseen. */
static bool tgt_flags(const struct kf_result *r, const struct kf_endpoint *client, uint64_t before,
		      uint32_t *flags, uint64_t *frame)
{
	bool found = false;
	struct kf_at_addr at = kf_result_at_addr(r, client, 0);
	for (size_t i = 0; i < at.n && KF_AT_ADDR_MSG(r, at.v[i])->frame < before; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		const struct kf_decrypted *d = m->dec;
		if (!d)
			continue;
		if (m->type == KF_KRB_TGS_REQ && kf_endpoint_same_addr(&m->src, client) && d->ticket &&
		    d->ticket->status == KF_OPEN_OK && d->ticket->server &&
		    kf_sname_is_krbtgt(d->ticket->server) &&
		    !(d->ticket->flags & KF_TKT_FLAG(KF_TKT_FORWARDED))) {
			*flags = d->ticket->flags;
			*frame = m->frame;
			found = true;
		} else if (m->type == KF_KRB_AS_REP && kf_endpoint_same_addr(&m->dst, client) && d->rep &&
			   d->rep->status == KF_OPEN_OK) {
			*flags = d->rep->flags;
			*frame = m->frame;
			found = true;
		}
	}
	return found;
}

/* With --keytab: what the AP-REQ's opened authenticator says about
 * delegation.  Sets *certain and returns the sentences to use instead of
 * the guess; NULL when the authenticator was not opened. */
static const char *deleg_seen(struct kf_rule_ctx *ctx, const struct kf_result *r, const struct kf_message *ap,
			      const char *front, const char **short_cause)
{
	const struct kf_dec_auth *au = ap->dec ? ap->dec->auth : NULL;
	if (!au || au->status != KF_OPEN_OK || !au->gss)
		return NULL;
	const struct kf_dec_ticket *tk = ap->dec->ticket;
	if (au->has_deleg && au->cred && au->cred->status == KF_OPEN_OK && au->cred->n_info) {
		const struct kf_dec_cred_info *ci = &au->cred->info[0];
		*short_cause = "the forwarded TGT reached the front end, which did not use it";
		return kf_rule_fmt(
			ctx,
			"Decrypted with the front end's key, the AP-REQ in frame %llu carries the user's forwarded TGT "
			"(%s@%s for %s@%s): the client did delegate. The front end then went to the back end as itself, "
			"so it did not use the delegated credentials: the application does not impersonate the caller "
			"(mod_auth_gssapi needs GssapiDelegCcacheDir and the application must use that ccache; IIS/ASP.NET "
			"needs impersonation), or its account is not trusted for delegation.",
			(unsigned long long)ap->frame, ci->sname ? ci->sname : "?",
			ci->srealm ? ci->srealm : "?", ci->pname ? ci->pname : "?",
			ci->prealm ? ci->prealm : "?");
	}
	if (au->has_deleg)
		return NULL; /* a delegation we could not open: nothing certain */
	const char *cause = "";
	*short_cause = "the client did not delegate (no delegation flag in the decrypted AP-REQ)";
	if (tk && tk->status == KF_OPEN_OK && !(tk->flags & KF_TKT_FLAG(KF_TKT_OK_AS_DELEGATE))) {
		*short_cause = "the client did not delegate: the front end's ticket is not ok-as-delegate";
		cause = kf_rule_fmt(
			ctx,
			" The service ticket for %s is not OK-AS-DELEGATE: the KDC does not mark the front end's account "
			"as trusted for delegation, and clients that honour the flag (Windows, and MIT/curl with "
			"--delegation policy) then do not delegate.",
			front);
	}
	uint32_t flags = 0;
	uint64_t tf = 0;
	if (tgt_flags(r, &ap->src, ap->frame, &flags, &tf) && !(flags & KF_TKT_FLAG(KF_TKT_FORWARDABLE))) {
		*short_cause = "the client could not delegate: its TGT is not forwardable";
		cause = kf_rule_fmt(
			ctx,
			"%s The user's TGT (decrypted in frame %llu) is not forwardable, so no forwarded TGT could be "
			"made from it (kinit -f / forwardable = true; the account must not be sensitive or in Protected "
			"Users).",
			cause, (unsigned long long)tf);
	}
	char gf[160] = "";
	size_t n = 0;
	static const char *const names[] = { "deleg", "mutual", "replay", "sequence", "conf", "integ" };
	for (unsigned b = 0; b < 6; b++)
		if (au->gss_flags & (1u << b))
			n += (size_t)snprintf(gf + n, sizeof gf - n, "%s%s", n ? " " : "", names[b]);
	return kf_rule_fmt(
		ctx,
		"Decrypted with the front end's key, the authenticator of the AP-REQ in frame %llu has GSS flags "
		"[%s], without the delegation flag, and carries no forwarded TGT: the client did not delegate.%s",
		(unsigned long long)ap->frame, gf, cause);
}

static void rule_missing_forwarded_tgt(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen done = { 0 };         /* (client, front end) pairs reported */
	struct frames used = { NULL, 0, 0 }; /* refusals those findings took */
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *hq = &r->messages[i];
		if (hq->type != KF_MSG_HTTP_REQUEST || hq->carrier != KF_CARRIER_HTTP)
			continue;
		const struct kf_message *ap = kf_rule_tok_at(r, hq->frame, KF_KRB_AP_REQ, hq->connection);
		const struct kf_message *hr = kf_rule_http_resp(r, hq);
		if (!ap || !hr || !hr->http || hr->http->status < 200 || hr->http->status >= 400)
			continue;
		if (kf_endpoint_same_addr(&hq->src, &hq->dst))
			continue;
		struct kf_key pk = kf_key_new();
		kf_key_addr(&pk, &hq->src);
		kf_key_addr(&pk, &hq->dst);
		if (!kf_seen_add(ctx, &done, pk))
			continue;

		const char *user = ap_user(ctx, r, ap);
		if (!user && ap->dec && ap->dec->auth && ap->dec->auth->status == KF_OPEN_OK &&
		    ap->dec->auth->cname)
			user = kf_rule_fmt(ctx, "%s@%s", ap->dec->auth->cname,
					   ap->dec->auth->crealm ? ap->dec->auth->crealm : "?");
		const char *presented = ap->krb.ticket ? ap->krb.ticket->sname : NULL;
		/* What the front end did next, as a Kerberos client. */
		bool named_user = false;
		const struct kf_message *own_req = NULL, *own_rep = NULL;
		struct kf_at_addr at = kf_result_at_addr(r, &hq->dst, hq->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
			if (m <= hq)
				continue;
			if (m->ts_us > hq->ts_us + DELEG_WINDOW_US)
				break;
			if (m->type != KF_KRB_TGS_REQ || m->carrier != KF_CARRIER_KERBEROS ||
			    !kf_endpoint_same_addr(&m->src, &hq->dst))
				continue;
			if (is_s4u2proxy(m) || is_s4u2self(m) || kf_sname_is_krbtgt(m->krb.sname) ||
			    kf_princ_eq_norealm_nocase(m->krb.sname, presented))
				continue;
			const struct kf_message *rep = kf_msg_reply(r, m);
			if (!rep || rep->type != KF_KRB_TGS_REP || !rep->krb.cname)
				continue;
			if (user_eq(rep->krb.cname, rep->krb.crealm, user)) {
				named_user = true;
				continue;
			}
			if (kf_princ_eq_norealm_nocase(m->krb.sname, rep->krb.cname))
				continue; /* a ticket to itself */
			bool own = user != NULL || kf_princ_eq_norealm_nocase(rep->krb.cname, presented) ||
				   rep->krb.cname[strlen(rep->krb.cname) - 1] == '$';
			if (own && !own_req) {
				own_req = m;
				own_rep = rep;
			}
		}
		/* The client's forwarded-TGT requests before it presented the ticket. */
		struct kf_evidence fs = { .n = 0 };
		const struct kf_message *refusal = NULL, *fwd_ok = NULL;
		at = kf_result_at_addr(r, &hq->src, 0);
		for (size_t j = 0; j < at.n && KF_AT_ADDR_MSG(r, at.v[j])->frame <= ap->frame; j++) {
			const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
			if (!is_forwarded_tgt_req(m) || !kf_endpoint_same_addr(&m->src, &hq->src))
				continue;
			const struct kf_message *err = NULL;
			const struct kf_message *rep = kf_msg_reply(r, m);
			if (fwd_refused(r, m, &err)) {
				refusal = err;
				kf_evidence_add(&fs, m->frame);
				kf_evidence_add(&fs, err->frame);
			} else if (rep && rep->type == KF_KRB_TGS_REP) {
				fwd_ok = rep;
			}
		}
		if (named_user || (!refusal && !own_req))
			continue;
		for (size_t u = 0; u < fs.n; u++)
			if (!frames_push(&used, fs.f[u])) {
				kf_rule_nomem(ctx);
				kf_seen_free(&done);
				kf_free(used.f);
				return;
			}
		kf_evidence_add(&fs, hq->frame);
		kf_evidence_add(&fs, hr->frame);
		if (own_req) {
			kf_evidence_add(&fs, own_req->frame);
			kf_evidence_add(&fs, own_rep->frame);
		}
		char cl[64], fe[64];
		kf_endpoint_addr(&hq->src, cl, sizeof cl);
		kf_endpoint_addr(&hq->dst, fe, sizeof fe);
		const char *uname = user ? user : "the user";
		const char *front =
			presented ? presented : (hq->http && hq->http->host ? hq->http->host : fe);
		const char *backend = own_req ? spn_at(ctx, own_req->krb.sname, own_req->krb.realm) : NULL;
		const char *own_name =
			own_rep ? (own_rep->krb.crealm ? kf_rule_fmt(ctx, "%s@%s", own_rep->krb.cname,
								     own_rep->krb.crealm)
						       : own_rep->krb.cname)
				: NULL;
		const struct kf_story *cs = kf_story_of(r, hq);
		bool tgt_in_capture = cs && cs->tgt_seen && cs->tgt_frame && cs->tgt_frame < ap->frame;
		enum kf_confidence conf;
		const char *why, *summary, *seen, *seen_cause = NULL;
		if (refusal) {
			conf = KF_CONF_CERTAIN;
			summary = kf_rule_fmt(
				ctx,
				"%s (%s) could not delegate to %s (%s): forwarded-TGT request refused: %s%s",
				uname, cl, front, fe, err_text(ctx, refusal),
				backend ? kf_rule_fmt(ctx, "; the front end then asked for %s as %s", backend,
						      own_name)
					: "");
			why = kf_rule_fmt(
				ctx,
				"To delegate, the client asks its KDC for a forwarded TGT (TGS-REQ for krbtgt with the "
				"'forwarded' option) and sends it to the front end inside the AP-REQ. The KDC refused that "
				"request, so %s reached %s without a TGT the front end could use.%s The usual causes: the "
				"user's TGT is not forwardable (the account is \"sensitive and cannot be delegated\", in "
				"Protected Users, or MIT -allow_forwardable), or the client asked for a non-forwardable TGT.",
				uname, front,
				backend ? kf_rule_fmt(
						  ctx,
						  " The front end then went to the back end %s under its own "
						  "account %s, so the back end sees the front end (or NT "
						  "AUTHORITY\\ANONYMOUS LOGON), not the user.",
						  backend, own_name)
					: "");
		} else if ((seen = deleg_seen(ctx, r, ap, front, &seen_cause)) != NULL) {
			conf = KF_CONF_CERTAIN;
			summary = kf_rule_fmt(ctx, "front end %s (%s) asked for %s as %s, not as %s: %s",
					      front, fe, backend, own_name, uname, seen_cause);
			why = kf_rule_fmt(
				ctx,
				"The front end accepted %s's Kerberos ticket, then asked the KDC for a ticket to the back "
				"end %s and the KDC issued it to %s: the front end used its own account, not the user's "
				"identity, so the back end sees the front end's account (or NT AUTHORITY\\ANONYMOUS LOGON). %s",
				uname, backend, own_name, seen);
		} else {
			conf = (fwd_ok || !tgt_in_capture) ? KF_CONF_LIKELY : KF_CONF_CERTAIN;
			summary = kf_rule_fmt(
				ctx, "front end %s (%s) asked for %s as %s, not as %s%s", front, fe, backend,
				own_name, uname,
				fwd_ok ? "" : kf_rule_fmt(ctx, ": %s (%s) sent no forwarded TGT", uname, cl));
			why = kf_rule_fmt(
				ctx,
				"The front end accepted %s's Kerberos ticket, then asked the KDC for a ticket to the back "
				"end %s and the KDC issued it to %s: the front end used its own account, not the user's "
				"identity. The back end therefore sees the front end's account (or NT AUTHORITY\\ANONYMOUS "
				"LOGON), not the user: unconstrained delegation did not happen. %s",
				uname, backend, own_name,
				fwd_ok ? "The client did obtain a forwarded TGT, so the front end did not use it: it is not "
					 "trusted for delegation, or the application does not impersonate the caller. "
					 "(Likely: whether the forwarded TGT travelled inside the encrypted AP-REQ cannot be "
					 "seen; a keytab of the front end would make it certain.)"
				: tgt_in_capture
					? "The client never asked for a forwarded TGT (a TGS-REQ for krbtgt with the "
					  "'forwarded' option) although its own logon is in the capture: it did not "
					  "delegate. Browsers delegate only to sites in the Intranet or Trusted zone and "
					  "only when the front end is trusted for delegation (ok-as-delegate); curl only "
					  "with --delegation."
					: "No forwarded-TGT request by the client is in the capture, so it most likely did "
					  "not delegate. (Likely: it may have got one before the capture began; a capture "
					  "started after 'klist purge' on the client makes this certain.) Browsers delegate "
					  "only to Intranet/Trusted-zone sites whose account is trusted for delegation; curl "
					  "only with --delegation.");
		}
		kf_finding_add(ctx, KF_SEV_ERROR, conf, fs.f, fs.n, summary, why, FWD_FIX);
	}
	/* Refused forwarded-TGT requests with no front end in the capture: one
	 * finding per client, built at its first such request. */
	frames_sort(&used);
	struct kf_seen clients = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *m = &r->messages[i];
		const struct kf_message *err = NULL;
		if (!is_forwarded_tgt_req(m) || !fwd_refused(r, m, &err) || frames_has(&used, m->frame))
			continue;
		struct kf_key ck = kf_key_new();
		kf_key_addr(&ck, &m->src);
		if (!kf_seen_add(ctx, &clients, ck))
			continue;
		struct kf_evidence fs = { .n = 0 };
		kf_evidence_add(&fs, m->frame);
		kf_evidence_add(&fs, err->frame);
		struct kf_at_addr at = kf_result_at_addr(r, &m->src, m->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
			const struct kf_message *qerr = NULL;
			if (q <= m || !is_forwarded_tgt_req(q) || !kf_endpoint_same_addr(&q->src, &m->src) ||
			    !fwd_refused(r, q, &qerr) || frames_has(&used, q->frame))
				continue;
			kf_evidence_add(&fs, q->frame);
			kf_evidence_add(&fs, qerr->frame);
		}
		char cl[64];
		kf_endpoint_addr(&m->src, cl, sizeof cl);
		const struct kf_message *e = err;
		const char *user =
			e->krb.cname ? (e->krb.crealm ? kf_rule_fmt(ctx, "%s@%s", e->krb.cname, e->krb.crealm)
						      : e->krb.cname)
				     : "the user";
		kf_finding_add(
			ctx, KF_SEV_ERROR, KF_CONF_CERTAIN, fs.f, fs.n,
			kf_rule_fmt(ctx, "%s (%s) cannot delegate: forwarded-TGT request refused: %s", user,
				    cl, err_text(ctx, e)),
			kf_rule_fmt(
				ctx,
				"The client asked its KDC for a forwarded TGT (TGS-REQ for krbtgt with the 'forwarded' "
				"option), which it would hand to a front end so that the front end can act as %s. The KDC "
				"refused, so no service can act for this user (unconstrained delegation fails). The usual "
				"causes: the TGT is not forwardable - the account is \"sensitive and cannot be delegated\", "
				"in Protected Users, MIT -allow_forwardable - or the client asked for a non-forwardable TGT.",
				user),
			FWD_FIX);
	}
	kf_seen_free(&clients);
	kf_seen_free(&done);
	kf_free(used.f);
}

const struct kf_rule kf_rules_deleg[] = {
	{ { "missing-forwarded-tgt", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "unconstrained delegation did not happen: the front end went to the back end without the user's TGT", NULL },
	  rule_missing_forwarded_tgt },
	{ { "s4u-denied", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_RECOVERY_US,
	    "S4U2Self or S4U2Proxy refused by the KDC", NULL },
	  rule_s4u_denied },
	{ { "cross-realm-s4u", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE, KF_RULE_WINDOW_WHOLE,
	    "constrained delegation (S4U2Proxy) across realms refused", NULL },
	  rule_cross_realm_s4u },
};
const size_t kf_rules_deleg_count = sizeof kf_rules_deleg / sizeof kf_rules_deleg[0];
