/* rules_deleg.c - findings about delegation: unconstrained delegation that
 * did not happen, constrained delegation (S4U, MS-SFU) refused, and
 * constrained delegation across realms (DIAGNOSES.md). */
#include <stdio.h>
#include <string.h>

#include "krb5.h"
#include "rules.h"
#include "stories.h"

#define KDC_OPT_CNAME_IN_ADDL_TKT (0x80000000u >> 14)

static bool is_s4u2proxy(const struct kf_message *m)
{
	return m->type == KF_KRB_TGS_REQ && m->krb.n_addl && m->krb.has_kdc_options &&
	       (m->krb.kdc_options & KDC_OPT_CNAME_IN_ADDL_TKT);
}

/* ---- s4u-denied ---------------------------------------------------------- */

static void rule_s4u_denied(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *req = &r->messages[i];
		bool self = req->type == KF_KRB_TGS_REQ && req->krb.s4u_user;
		bool proxy = is_s4u2proxy(req);
		if (!self && !proxy)
			continue;
		const struct kf_message *rep = kf_msg_reply(r, req);
		if (!rep || rep->type != KF_KRB_ERROR)
			continue;
		char code[64], svc[64];
		const char *en = kf_krb5_error_name(rep->krb.error_code);
		snprintf(code, sizeof code, "%s (%d)", en ? en : "error", rep->krb.error_code);
		kf_endpoint_addr(&req->src, svc, sizeof svc);
		uint64_t frames[2] = { req->frame, rep->frame };
		const char *who = self ? req->krb.s4u_user : req->krb.addl[0].sname;
		kf_finding_add(ctx, KF_SEV_ERROR, KF_CONF_CERTAIN, frames, 2,
			kf_rule_fmt(ctx, "%s from %s for %s%s%s refused: %s%s%s%s", self ? "S4U2Self" : "S4U2Proxy", svc,
				    req->krb.sname ? req->krb.sname : "?", self ? " on behalf of " : "",
				    self ? who : "", code, rep->krb.e_text ? " \"" : "",
				    rep->krb.e_text ? rep->krb.e_text : "", rep->krb.e_text ? "\"" : ""),
			self ? "The service asked the KDC for a ticket to itself on behalf of a user (S4U2Self, protocol "
			       "transition) and was refused: the account is not allowed to act for users without their "
			       "Kerberos ticket, or the user may not be delegated." :
			       "The front-end service asked the KDC for a ticket to a back-end service on the user's "
			       "behalf (S4U2Proxy, constrained delegation) and was refused: the back-end SPN is not in the "
			       "front end's allowed list, the evidence ticket is not forwardable (protocol transition "
			       "without \"use any authentication protocol\", or the user is sensitive and cannot be "
			       "delegated), or the back end's resource-based policy does not name the front end.",
			"On the front-end service account: Delegation tab, \"Trust this user for delegation to specified "
			"services only\", add the back-end SPN (msDS-AllowedToDelegateTo) and choose \"Use any "
			"authentication protocol\" if users do not arrive with Kerberos; or configure resource-based "
			"constrained delegation on the back end (Set-ADComputer/Set-ADUser "
			"-PrincipalsAllowedToDelegateToAccount). Make sure the user is not \"Account is sensitive and cannot "
			"be delegated\" nor in Protected Users. MIT KDC: krbAllowedToDelegateTo and +ok_to_auth_as_delegate.");
	}
}

const struct kf_rule kf_rules_deleg[] = {
	{ "s4u-denied", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE,
	  "S4U2Self or S4U2Proxy refused by the KDC", rule_s4u_denied },
};
const size_t kf_rules_deleg_count = sizeof kf_rules_deleg / sizeof kf_rules_deleg[0];
