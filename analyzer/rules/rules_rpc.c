/* rules_rpc.c - rpc-bind-failed: a DCE/RPC binding phase the server refused
 * for a reason no Kerberos rule names (C706 §12.6.4.4 bind_nak reject
 * reasons; MS-RPCE §3.3.1.5.2 the third leg, AUTH3, answered only through
 * the next call).  It reads the DCE/RPC sessions (sessions.h): one binding
 * phase per connection or named pipe, with the interface, the mechanism,
 * the user and how the server refused it (rpc_status_kind).  A fault to the
 * first call after an AUTH3 is the verdict on an NTLM AUTHENTICATE (the
 * AUTH3 carries it); after Kerberos, whose AP-REQ the bind_ack already
 * accepted, it is the call's authorization, not a logon: not this rule's. */
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "dcerpc.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"
#include "sessions.h"

#define REJECT_AUTH_TYPE_NOT_RECOGNIZED 8u
#define REJECT_INVALID_CHECKSUM 9u
#define FAULT_ACCESS_DENIED 5u
#define FAULT_NCA_PROTO_ERROR 0x1c01000bu /* Samba's answer to a refused NTLM AUTH3 */

enum rpc_cause { RB_NTLM_LOGON, RB_AUTH_TYPE, RB_CHECKSUM, RB_ACCESS_DENIED, RB_OTHER, RB__COUNT };
static const char *const rpc_causes[] = {
	"ntlm-logon-refused", "auth-type-refused", "invalid-checksum", "access-denied", "other", NULL
};

static const struct {
	const char *phrase, *explanation, *fix;
} rpc_words[RB__COUNT] = {
	[RB_NTLM_LOGON] = {
		"the NTLM logon was refused",
		"The bind's third leg (AUTH3) carried the NTLM AUTHENTICATE, which the server answers only "
		"through the next call: a fault there is its verdict on the logon. A wrong password, an unknown "
		"user or an account that may not log on (Samba answers nca_proto_error, Windows access denied, "
		"which can also be the call's own authorization; neither says which).",
		"Check the user name, domain and password the client uses (a tool's command line, a stored "
		"credential); the server's Security log (event 4625, and 4776 on the domain controller) records "
		"the failure with its status.",
	},
	[RB_AUTH_TYPE] = {
		"the authentication type is not accepted",
		"The server rejected the bind because it does not take the authentication type the client "
		"asked for (bind_nak: authentication type not recognized), e.g. NTLMSSP where the server "
		"requires Kerberos or the reverse, or a security provider it lacks.",
		"Let the client negotiate (authentication type SPNEGO, 9) or use the type the interface "
		"requires; on Windows, check policies that restrict NTLM for the server.",
	},
	[RB_CHECKSUM] = {
		"the authentication did not verify",
		"The server rejected the bind's authentication: invalid checksum (bind_nak reason 9), the "
		"client's credentials or signature did not verify.",
		"Check the credentials and the clocks, then the server's System and Security logs.",
	},
	[RB_ACCESS_DENIED] = {
		"access denied to the bind",
		"The server refused the bind itself with access denied: the authentication level is below "
		"what the interface requires (many require packet integrity or privacy), or the caller may not "
		"use the interface.",
		"Raise the client's authentication level (sign or seal), and check the interface's access "
		"rules (DCOM launch and access permissions, the service's security descriptor).",
	},
	[RB_OTHER] = {
		"bind refused",
		"The status names the reason; krbflow has no explanation of its own for it.",
		"Look the status up (MS-RPCE, MS-ERREF) and read the server's System log.",
	},
};

static enum rpc_cause rpc_verdict(const struct kf_session *s)
{
	if (!strcmp(s->rpc_status_kind, "auth3_fault"))
		return RB_NTLM_LOGON;
	if (!strcmp(s->rpc_status_kind, "bind_nak"))
		return s->rpc_status == REJECT_AUTH_TYPE_NOT_RECOGNIZED ? RB_AUTH_TYPE
		       : s->rpc_status == REJECT_INVALID_CHECKSUM       ? RB_CHECKSUM
									: RB_OTHER;
	return s->rpc_status == FAULT_ACCESS_DENIED ? RB_ACCESS_DENIED : RB_OTHER;
}

/* A refused binding phase this rule judges. */
static bool rpc_judged(const struct kf_session *s)
{
	if (s->carrier != KF_CARRIER_DCERPC || !s->has_rpc_status || !s->rpc_status_kind ||
	    s->krb_error != 0 || !s->outcome || strcmp(s->outcome, "error") != 0)
		return false;
	if (!strcmp(s->rpc_status_kind, "context"))
		return false; /* an interface or transfer syntax refused: not authentication */
	if (!strcmp(s->rpc_status_kind, "auth3_fault")) /* only these two say "not logged on" */
		return s->mech && !strcmp(s->mech, "ntlm") && !(s->as && !strcmp(s->as, "anonymous")) &&
		       (s->rpc_status == FAULT_NCA_PROTO_ERROR || s->rpc_status == FAULT_ACCESS_DENIED);
	return true;
}

static bool is_refusal(const struct kf_message *m)
{
	return m->type == KF_MSG_DCERPC_RESPONSE && m->dcerpc && m->dcerpc->has_status &&
	       (m->dcerpc->ptype == 3 || m->dcerpc->ptype == 13);
}

/* "fault nca_s_fault_access_denied (0x00000005)" */
static const char *status_words(struct kf_rule_ctx *ctx, const struct kf_session *s)
{
	bool nak = !strcmp(s->rpc_status_kind, "bind_nak");
	const char *n = nak ? kf_dcerpc_reject_name(s->rpc_status) : kf_dcerpc_status_name(s->rpc_status);
	return nak ? kf_rule_fmt(ctx, "bind_nak %s (reason %u)", n ? n : "?", s->rpc_status)
		   : kf_rule_fmt(ctx, "fault %s (0x%08X)%s", n ? n : "?", s->rpc_status,
				 !strcmp(s->rpc_status_kind, "auth3_fault") ? " to the first call after AUTH3"
									    : "");
}

struct rpc_group {
	struct kf_session_group g; /* first: kf_rule_session_group */
	const struct kf_session *s;
	const struct kf_message *resp;
};

static void rpc_emit(struct kf_rule_ctx *ctx, const struct rpc_group *g)
{
	const struct kf_session *s = g->s;
	enum rpc_cause c = rpc_verdict(s);
	char srv[64], cl[64];
	kf_endpoint_addr(&s->server, srv, sizeof srv);
	kf_endpoint_addr(&s->client, cl, sizeof cl);
	const char *iface = s->target ? s->target : "an interface";
	const char *via = s->pipe ? kf_rule_fmt(ctx, " (pipe \\%s)", s->pipe) : "";
	const char *who = s->as ? s->as : "a client";
	const char *st = status_words(ctx, s);
	const char *times = g->g.count > 1 ? kf_rule_fmt(ctx, " (%zu times)", g->g.count) : "";
	struct kf_subject_b b = { .n = { 0 } };
	kf_subject_addr(ctx, &b, KF_SUBJECT_CLIENT, &s->client, false);
	kf_subject_addr(ctx, &b, KF_SUBJECT_SERVER, &s->server, true);
	kf_subject_add(ctx, &b, KF_SUBJECT_USER, s->as);
	/* access denied to the first call may also be the call's own authorization */
	enum kf_confidence conf =
		c == RB_NTLM_LOGON && s->rpc_status == FAULT_ACCESS_DENIED ? KF_CONF_LIKELY : KF_CONF_CERTAIN;
	kf_rule_emit(
		ctx, rpc_causes, (struct kf_rule_verdict){ c, KF_SEV_ERROR, conf },
		(struct kf_rule_words){
			kf_rule_fmt(ctx, "DCE/RPC server %s refused %s's bind to %s%s from %s: %s, %s%s", srv,
				    who, iface, via, cl, st, rpc_words[c].phrase, times),
			kf_rule_fmt(
				ctx,
				"The client %s bound to %s%s on %s with %s (from frame %llu) and the server "
				"answered %s (frame %llu). %s",
				cl, iface, via, srv,
				s->mech && !strcmp(s->mech, "ntlm")       ? "NTLM"
				: s->mech && !strcmp(s->mech, "kerberos") ? "Kerberos"
									  : "its authentication",
				(unsigned long long)s->first_frame, st,
				(unsigned long long)(g->resp ? g->resp->frame : 0), rpc_words[c].explanation),
			rpc_words[c].fix },
		&g->g.e, &b);
}

static void rule_rpc_bind_failed(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_groups gs = { .size = sizeof(struct rpc_group) };
	for (size_t i = 0; i < r->n_sessions; i++) {
		const struct kf_session *s = &r->sessions[i];
		if (!rpc_judged(s))
			continue;
		const struct kf_message *resp = kf_rule_session_msg(r, s, is_refusal);
		if (resp && kf_rule_session_recovered(r, s, resp->ts_us))
			continue;
		struct kf_key k = kf_key_new();
		kf_key_addr(&k, &s->client);
		kf_key_addr(&k, &s->server);
		kf_key_name(&k, s->as);
		kf_key_name(&k, s->target);
		kf_key_int(&k, rpc_verdict(s));
		kf_key_int(&k, s->rpc_status);
		bool fresh;
		struct rpc_group *g = kf_rule_session_group(
			ctx, &gs, k, s, resp ? kf_msg_request(r, resp) : NULL, resp, &fresh);
		if (!g)
			break;
		if (fresh) {
			g->s = s;
			g->resp = resp;
		}
	}
	for (size_t j = 0; j < gs.n; j++)
		rpc_emit(ctx, (const struct rpc_group *)gs.v + j);
	kf_free(gs.v);
}

const struct kf_rule kf_rules_rpc[] = {
	{ { "rpc-bind-failed", KF_SEV_ERROR, KF_RULE_OUTCOME, KF_RULE_RECOVERY_US,
	    "a DCE/RPC bind refused (bind_nak, a fault to the bind, or an NTLM AUTH3 answered by a fault) for a "
	    "reason no Kerberos rule names",
	    rpc_causes },
	  rule_rpc_bind_failed },
};
const size_t kf_rules_rpc_count = sizeof kf_rules_rpc / sizeof kf_rules_rpc[0];
