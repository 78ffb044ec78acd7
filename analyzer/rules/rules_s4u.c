/* rules_s4u.c - findings about constrained delegation (S4U, MS-SFU): an
 * S4U2Self or S4U2Proxy the KDC refused (s4u-denied), and constrained
 * delegation across realms (cross-realm-s4u) (DIAGNOSES.md).  Their rows are
 * in rules_deleg.c's table. */
#include <ctype.h>
#include <string.h>

#include "names.h"
#include "rules_deleg.h"

#define STATUS_CROSSREALM_DELEGATION_FAILURE 0xC000040Bu
#define KDC_ERR_BADOPTION 13

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
	if (!kf_deleg_is_s4u2proxy(req))
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
	return kf_deleg_is_s4u2proxy(req) &&
	       kf_princ_eq_norealm_nocase(req->krb.sname, req->krb.addl[0].sname);
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
		if (!kf_deleg_is_s4u2self(m) || !kf_endpoint_same_addr(&m->src, &req->src) ||
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
		return kf_deleg_cname_at(ctx, rep->krb.cname, rep->krb.crealm);
	if (kf_deleg_is_s4u2proxy(req))
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

static const char PROBE_FIX[] =
	"Nothing to do unless the service must act for the user on another server. Then trust its account for "
	"delegation (Delegation tab: constrained delegation to the back-end SPNs, or resource-based delegation "
	"on the back end with -PrincipalsAllowedToDelegateToAccount), or use CredSSP / a different design for "
	"remote sessions.";

/* The causes, their ids (the row's cause list) and, for each, why the KDC
 * refused (after what the front end asked for). */
enum s4u_cause {
	S4U_TARGET_NOT_ALLOWED,
	S4U_EVIDENCE_NOT_FORWARDABLE,
	S4U_TARGET_OR_TRANSITION,
	S4U_TARGET_OR_EVIDENCE,
	S4U_SELF_REFUSED,
	S4U_PROXY_REFUSED,
	S4U_NOT_TRUSTED,
	S4U__N,
};
const char *const kf_s4u_denied_causes[S4U__N + 1] = {
	[S4U_TARGET_NOT_ALLOWED] = "target-not-allowed",
	[S4U_EVIDENCE_NOT_FORWARDABLE] = "evidence-not-forwardable",
	[S4U_TARGET_OR_TRANSITION] = "target-not-allowed-or-no-protocol-transition",
	[S4U_TARGET_OR_EVIDENCE] = "target-not-allowed-or-evidence-not-forwardable",
	[S4U_SELF_REFUSED] = "s4u2self-refused",
	[S4U_PROXY_REFUSED] = "s4u2proxy-refused",
	[S4U_NOT_TRUSTED] = "not-trusted-for-delegation",
};
static const char *const S4U_WHY[S4U__N] = {
	[S4U_TARGET_NOT_ALLOWED] =
		"The KDC says the target is not one the front end may delegate to: the back-end SPN is "
		"not in the front end's allowed list (msDS-AllowedToDelegateTo / krbAllowedToDelegateTo) "
		"and no resource-based delegation rule on the back end names the front end.",
	[S4U_EVIDENCE_NOT_FORWARDABLE] =
		"The KDC says the evidence ticket (the user's ticket to the front end) is not "
		"forwardable. After S4U2Self that means the front end may not do protocol transition "
		"(\"Use any authentication protocol\" / ok_to_auth_as_delegate is not set), so the KDC "
		"issued it a non-forwardable ticket; it also happens when the user is \"sensitive and "
		"cannot be delegated\" or in Protected Users.",
	[S4U_TARGET_OR_TRANSITION] =
		"The KDC refused with a bare KDC_ERR_BADOPTION (no e-text, as Windows and Samba DCs send "
		"it). After protocol transition (the S4U2Self in the evidence) two causes look the same "
		"on the wire: the back-end SPN is not in the front end's msDS-AllowedToDelegateTo (and "
		"no resource-based rule allows it), or the front end may use Kerberos-only delegation "
		"and not \"any authentication protocol\", so its S4U2Self ticket was not forwardable. "
		"Check both settings.",
	[S4U_TARGET_OR_EVIDENCE] =
		"The KDC refused with KDC_ERR_BADOPTION: the back-end SPN is not in the front end's "
		"allowed list (msDS-AllowedToDelegateTo) and no resource-based rule allows it, or the "
		"user's ticket to the front end is not forwardable (user sensitive, in Protected Users, "
		"or front end not trusted for delegation).",
	[S4U_SELF_REFUSED] =
		"The service asked the KDC for a ticket to itself on behalf of a user (S4U2Self, "
		"protocol transition) and was refused: the user is unknown or disabled, the user may not "
		"be delegated, or the KDC does not allow the account to act for users.",
	[S4U_PROXY_REFUSED] =
		"The KDC refused the constrained-delegation request: the front end is not allowed to "
		"delegate to that service, or the user may not be delegated.",
	[S4U_NOT_TRUSTED] =
		"The service asked the KDC for a constrained-delegation ticket (S4U2Proxy) to its own "
		"account, with a ticket to itself as evidence. Windows services such as WinRM and WMI do "
		"this to learn whether the logon they just accepted can be delegated further; the "
		"refusal means the account is not trusted for delegation. The user's own logon is not "
		"affected: this is only a problem if the service has to reach another server as the user "
		"(a double hop).",
};

/* The refusal that puts req in s4u-denied (NULL when it does not belong). */
static const struct kf_message *s4u_refusal(const struct kf_result *r, const struct kf_message *req)
{
	bool proxy = kf_deleg_is_s4u2proxy(req);
	if (!kf_deleg_is_s4u2self(req) && !proxy)
		return NULL;
	if (proxy && s4u_cross_realm(r, req))
		return NULL; /* cross-realm-s4u explains it */
	const struct kf_message *rep = kf_msg_reply(r, req);
	if (!rep || rep->type != KF_KRB_ERROR || kf_error_recovered(r, rep))
		return NULL;
	return rep;
}

/* What the capture shows of one group of refusals: the same requester,
 * target, error and kind (self-check or not). */
struct s4u_facts {
	const struct kf_message *req, *rep; /* the first request and its refusal */
	bool self;                          /* S4U2Self (else S4U2Proxy) */
	bool probe;                         /* an S4U2Proxy to the evidence ticket's own service */
	const char *user;                   /* whom the front end acted for; NULL when unknown */
	uint64_t self_req, self_rep;        /* the S4U2Self that made the evidence ticket (0: not seen) */
	struct kf_evidence fs;
};

static void s4u_gather(const struct kf_result *r, struct s4u_facts *f)
{
	const struct kf_message *req = f->req;
	f->self = kf_deleg_is_s4u2self(req);
	f->probe = s4u_self_probe(req);
	kf_evidence_add(&f->fs, req->frame);
	kf_evidence_add(&f->fs, f->rep->frame);
	struct kf_at_addr at = kf_result_at_addr(r, &req->src, req->frame);
	for (size_t j = 0; req->krb.sname && j < at.n; j++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
		if (m <= req || !kf_endpoint_same_addr(&m->src, &req->src) ||
		    !kf_name_eq_nocase(m->krb.sname, req->krb.sname))
			continue;
		const struct kf_message *mrep = s4u_refusal(r, m);
		if (!mrep || mrep->krb.error_code != f->rep->krb.error_code || s4u_self_probe(m) != f->probe)
			continue;
		kf_evidence_add(&f->fs, m->frame);
		kf_evidence_add(&f->fs, mrep->frame);
	}
	f->user = f->self ? req->krb.s4u_user : s4u_user_of(r, req, &f->self_req, &f->self_rep);
	kf_evidence_add(&f->fs, f->self_req);
	kf_evidence_add(&f->fs, f->self_rep);
}

/* The KDC's refusal is in the capture: always certain.  The cause is what
 * the KDC said (MIT's e-text), else what the request and the bare error
 * leave possible. */
static struct kf_deleg_verdict s4u_verdict(const struct s4u_facts *f)
{
	const char *et = f->rep->krb.e_text;
	struct kf_deleg_verdict v = { S4U_PROXY_REFUSED, KF_SEV_ERROR, KF_CONF_CERTAIN };
	if (f->probe) {
		v.cause = S4U_NOT_TRUSTED;
		v.severity = KF_SEV_INFO;
	} else if (et && strstr(et, "UNSUPPORTED_S4U2PROXY_REQUEST")) {
		v.cause = S4U_TARGET_NOT_ALLOWED;
	} else if (et && strstr(et, "EVIDENCE_TKT_NOT_FORWARDABLE")) {
		v.cause = S4U_EVIDENCE_NOT_FORWARDABLE;
	} else if (f->self) {
		v.cause = S4U_SELF_REFUSED;
	} else if (f->rep->krb.error_code == KDC_ERR_BADOPTION) {
		v.cause = f->self_req ? S4U_TARGET_OR_TRANSITION : S4U_TARGET_OR_EVIDENCE;
	}
	return v;
}

/* The requester's address, the user, the front end's service and the target. */
static void s4u_subject(struct kf_rule_ctx *ctx, const struct s4u_facts *f, struct kf_subject_b *who)
{
	const struct kf_message *req = f->req;
	kf_subject_addr(ctx, who, KF_SUBJECT_CLIENT, &req->src, false);
	kf_subject_add(ctx, who, KF_SUBJECT_USER, f->user);
	if (kf_deleg_is_s4u2proxy(req))
		kf_deleg_subject_name(ctx, who, KF_SUBJECT_SERVICE, req->krb.addl[0].sname,
				      req->krb.addl[0].realm);
	kf_deleg_subject_name(ctx, who, KF_SUBJECT_SERVICE, req->krb.sname, req->krb.realm);
	kf_deleg_subject_kdcs(ctx, who, &f->fs);
}

static void s4u_report(struct kf_rule_ctx *ctx, const struct s4u_facts *f)
{
	struct kf_deleg_verdict v = s4u_verdict(f);
	const struct kf_message *req = f->req, *rep = f->rep;
	char by[64];
	kf_endpoint_addr(&req->src, by, sizeof by);
	const char *front = front_account(ctx, req, rep);
	const char *target = kf_deleg_spn_at(ctx, req->krb.sname, req->krb.realm);
	const char *times = f->fs.n > 2 + (f->self_req ? 2 : 0) ? " (repeated)" : "";
	const char *summary, *why = S4U_WHY[v.cause];
	if (v.cause == S4U_NOT_TRUSTED) {
		summary =
			kf_rule_fmt(ctx,
				    "%s (%s) may not delegate: its S4U2Proxy check to its own account %s was "
				    "refused: %s%s",
				    front, by, target, kf_deleg_err_text(ctx, rep), times);
	} else {
		summary = kf_rule_fmt(ctx, "%s by %s (%s) for %s%s%s refused: %s%s",
				      f->self ? "S4U2Self" : "S4U2Proxy", front, by, target,
				      f->user ? " on behalf of " : "", f->user ? f->user : "",
				      kf_deleg_err_text(ctx, rep), times);
		why = kf_rule_fmt(
			ctx, "%s %s",
			f->self ? "The front end asked for a ticket to itself in the user's name (S4U2Self, "
				  "protocol transition)."
				: "The front end asked the KDC for a ticket to the back-end service in the "
				  "user's name (S4U2Proxy, constrained delegation), showing the user's ticket "
				  "to itself as evidence.",
			why);
	}
	struct kf_subject_b who = { .n = { 0 } };
	s4u_subject(ctx, f, &who);
	kf_deleg_emit(ctx, kf_s4u_denied_causes, v, &f->fs, &who, summary, why,
		      v.cause == S4U_NOT_TRUSTED ? PROBE_FIX : S4U_FIX);
}

void kf_rule_s4u_denied(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *req = &r->messages[i];
		const struct kf_message *rep = s4u_refusal(r, req);
		if (!rep)
			continue;
		/* One finding per (requester, target, error, probe), built at its
		 * first request from the requester's later messages.  A request
		 * without a target matches no other (kf_name_eq_nocase). */
		if (req->krb.sname) {
			struct kf_key k = kf_key_new();
			kf_key_addr(&k, &req->src);
			kf_key_name(&k, req->krb.sname);
			kf_key_int(&k, rep->krb.error_code);
			kf_key_int(&k, s4u_self_probe(req));
			if (!kf_seen_add(ctx, &seen, k))
				continue;
		}
		struct s4u_facts f = { .req = req, .rep = rep };
		s4u_gather(r, &f);
		s4u_report(ctx, &f);
	}
	kf_seen_free(&seen);
}

/* ---- cross-realm-s4u ------------------------------------------------------- */

/* The causes, their ids (the row's cause list) and, for each, what the
 * capture says of the refusal, and what would make it certain. */
enum xr_cause {
	XR_CLASSIC,
	XR_REFUSED,
	XR_UNDETERMINED,
	XR__N,
};
const char *const kf_cross_realm_s4u_causes[XR__N + 1] = {
	[XR_CLASSIC] = "classic-delegation-across-realms",
	[XR_REFUSED] = "cross-realm-refused",
	[XR_UNDETERMINED] = "undetermined",
};
static const char *const XR_SAID[XR__N] = {
	[XR_CLASSIC] = " The domain controller's error data says it outright: NTSTATUS 0xC000040B, "
		       "STATUS_CROSSREALM_DELEGATION_FAILURE.",
	[XR_REFUSED] = " That realm's KDC refused it.",
	[XR_UNDETERMINED] = "",
};
static const char *const XR_UNSURE[XR__N] = {
	[XR_CLASSIC] = "",
	[XR_REFUSED] = "",
	[XR_UNDETERMINED] =
		" (Likely: no refusal is in the capture; the chain just ends. A longer capture would show "
		"the KDC's answer.)",
};

/* The facts of one chain: a front end's cross-realm S4U2Proxy requests for
 * one target and what they got back. */
struct xr_chain {
	struct kf_endpoint by;
	const char *sname;
	struct kf_evidence fs;
	const struct kf_message *first, *err;
	const char *other_realm;
	bool ntstatus, referral, success, last_unanswered;
	const char *user; /* whom the front end acted for; NULL when unknown */
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

/* The rest of a failed chain's facts: the front end's own tickets for the
 * target on the way (referrals), and the S4U2Self that names the user. */
static void chain_context(const struct kf_result *r, struct xr_chain *x)
{
	struct kf_at_addr at = kf_result_at_addr(r, &x->by, x->first->frame);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->type != KF_KRB_TGS_REQ || kf_deleg_is_s4u2proxy(m) ||
		    !kf_endpoint_same_addr(&m->src, &x->by) ||
		    !kf_princ_eq_norealm_nocase(m->krb.sname, x->sname) || m->frame < x->first->frame)
			continue;
		const struct kf_message *rep = kf_msg_reply(r, m);
		kf_evidence_add(&x->fs, m->frame);
		if (rep)
			kf_evidence_add(&x->fs, rep->frame);
	}
	uint64_t sr = 0, sp = 0;
	x->user = s4u_user_of(r, x->first, &sr, &sp);
	kf_evidence_add(&x->fs, sr);
	kf_evidence_add(&x->fs, sp);
}

/* A KDC's refusal is certain (and the DC's NTSTATUS names the cause); a
 * chain that just stops cannot tell. */
static struct kf_deleg_verdict xr_verdict(const struct xr_chain *x)
{
	if (x->ntstatus)
		return (struct kf_deleg_verdict){ XR_CLASSIC, KF_SEV_ERROR, KF_CONF_CERTAIN };
	if (x->err)
		return (struct kf_deleg_verdict){ XR_REFUSED, KF_SEV_ERROR, KF_CONF_CERTAIN };
	return (struct kf_deleg_verdict){ XR_UNDETERMINED, KF_SEV_ERROR, KF_CONF_LIKELY };
}

/* The front end's address, the user, the front end's service and the target
 * in its realm. */
static void xr_subject(struct kf_rule_ctx *ctx, const struct xr_chain *x, struct kf_subject_b *who)
{
	const struct kf_ticket_rec *ev = &x->first->krb.addl[0];
	kf_subject_addr(ctx, who, KF_SUBJECT_CLIENT, &x->by, false);
	kf_subject_add(ctx, who, KF_SUBJECT_USER, x->user);
	kf_deleg_subject_name(ctx, who, KF_SUBJECT_SERVICE, ev->sname, ev->realm);
	kf_deleg_subject_name(ctx, who, KF_SUBJECT_SERVICE, x->sname,
			      kf_rule_first_of(x->other_realm, x->first->krb.realm));
	kf_deleg_subject_kdcs(ctx, who, &x->fs);
}

/* The finding of a chain that did not end in a ticket. */
static void chain_report(struct kf_rule_ctx *ctx, const struct kf_result *r, struct xr_chain *x)
{
	if (x->success)
		return; /* cross-realm delegation worked (resource-based) */
	if (!x->err && !x->last_unanswered && !x->referral)
		return;
	chain_context(r, x);
	struct kf_deleg_verdict v = xr_verdict(x);
	char by[64];
	kf_endpoint_addr(&x->by, by, sizeof by);
	const char *front = front_account(ctx, x->first, x->err);
	const char *from_realm = x->first->krb.addl[0].realm;
	const char *what = x->err ? kf_rule_fmt(ctx, "refused: %s", kf_deleg_err_text(ctx, x->err))
				  : "the chain stops after the referral, with no ticket";
	const char *summary = kf_rule_fmt(
		ctx, "cross-realm constrained delegation by %s (%s) to %s%s%s%s%s: %s", front, by,
		x->sname ? x->sname : "?", x->other_realm ? " in " : "", x->other_realm ? x->other_realm : "",
		x->user ? " on behalf of " : "", x->user ? x->user : "", what);
	const char *why = kf_rule_fmt(
		ctx,
		"The front end (realm %s) asked for a constrained-delegation ticket (S4U2Proxy) to a service in "
		"another realm%s%s%s.%s%s Classic constrained delegation (the allowed-SPN list on the front end's "
		"account, msDS-AllowedToDelegateTo) only works when the front end and the back end are in the same "
		"domain; across a trust the back end's realm has to allow the front end itself, which only "
		"resource-based constrained delegation does.%s",
		from_realm ? from_realm : "?", x->other_realm ? " (" : "",
		x->other_realm ? x->other_realm : "", x->other_realm ? ")" : "",
		x->referral
			? " The front end's KDC answered with a referral (a cross-realm TGT), so the request went "
			  "on to the other realm's KDC."
			: "",
		XR_SAID[v.cause], XR_UNSURE[v.cause]);
	struct kf_subject_b who = { .n = { 0 } };
	xr_subject(ctx, x, &who);
	kf_deleg_emit(
		ctx, kf_cross_realm_s4u_causes, v, &x->fs, &who, summary, why,
		"Put the front-end and back-end accounts in one domain, or switch to resource-based constrained "
		"delegation, which works across domains and forests with a trust: on the back end's account, "
		"Set-ADComputer BACKEND -PrincipalsAllowedToDelegateToAccount (Get-ADComputer FRONTEND -Server "
		"front.domain) (Set-ADUser for a service account), run in the back end's domain. The trust must allow "
		"it (forest trust with TGT delegation / selective authentication granting the front end). MIT KDCs "
		"cannot store resource-based rules: keep both services in one MIT realm.");
}

void kf_rule_cross_realm_s4u(struct kf_rule_ctx *ctx)
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
