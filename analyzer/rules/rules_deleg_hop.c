/* rules_deleg_hop.c - missing-forwarded-tgt's other shape: after a user's
 * accepted Kerberos logon, the front end goes on to a back end without
 * Kerberos at all (rules_deleg.h).  It never answers the back end's 401
 * Negotiate, logs on with NTLM under its own account, or anonymously: an
 * HTTP request of its own, or a session of the sessions model (SMB, LDAP,
 * TDS, DCE/RPC).  A TGS-REQ or AP-REQ of the front end in the window means
 * it used Kerberos, and this shape does not apply. */
#include <ctype.h>
#include <string.h>

#include "rules_deleg.h"
#include "smb.h"
#include "sessions.h"

/* Back ends whose unanswered 401 one pass keeps track of. */
#define HOP_PENDING_MAX 8

/* A 401 asking for Kerberos: Negotiate or Kerberos offered (not a proxy's 407). */
static bool asks_kerberos(const struct kf_message *resp)
{
	return resp && resp->http && !resp->http->proxy && resp->http->status == 401 &&
	       (kf_rule_offers(resp->http, "Negotiate") || kf_rule_offers(resp->http, "Kerberos"));
}

/* An NTLM AUTHENTICATE: anonymous (the flag, or no user name), else NTLM as
 * DOMAIN\user. */
static enum kf_hop_kind ntlm_kind(struct kf_rule_ctx *ctx, const struct kf_message *au, const char **as)
{
	const struct kf_ntlm_rec *n = au->ntlm;
	if (!n || n->anonymous || !n->user || !n->user[0])
		return KF_HOP_ANONYMOUS;
	*as = n->domain && n->domain[0] ? kf_rule_fmt(ctx, "%s\\%s", n->domain, n->user) : n->user;
	return KF_HOP_NTLM;
}

/* The server's answer to a logon: an SMB SESSION_SETUP response, a
 * bindResponse, a TDS login answer, a DCE/RPC bind answer. */
static bool is_session_answer(const struct kf_message *m)
{
	return kf_rule_smb_cmd(m, KF_MSG_SMB_RESPONSE, KF_SMB2_SESSION_SETUP) ||
	       m->type == KF_MSG_LDAP_RESPONSE || m->type == KF_MSG_TDS_RESPONSE ||
	       m->type == KF_MSG_DCERPC_RESPONSE;
}

/* A TREE_CONNECT the SMB server refused. */
static bool is_tree_refused(const struct kf_message *m)
{
	return kf_rule_smb_cmd(m, KF_MSG_SMB_RESPONSE, KF_SMB2_TREE_CONNECT) && m->smb->has_status &&
	       m->smb->status != 0;
}

/* A session the front end opened: anonymous (as the sessions model says,
 * an NTLM AUTHENTICATE without a user, or SQL Server naming the login
 * ANONYMOUS LOGON), NTLM under a name, or neither (KF_HOP_NONE). */
static enum kf_hop_kind session_kind(struct kf_rule_ctx *ctx, const struct kf_result *r,
				     const struct kf_session *s, const struct kf_message *answer,
				     const char **as)
{
	if (s->as && !strcmp(s->as, "anonymous"))
		return KF_HOP_ANONYMOUS;
	if (!s->mech || strcmp(s->mech, "ntlm") != 0)
		return KF_HOP_NONE;
	if (answer && answer->tds && answer->tds->has_error && answer->tds->message &&
	    strstr(answer->tds->message, "ANONYMOUS LOGON"))
		return KF_HOP_ANONYMOUS;
	for (size_t i = s->n_frames; i--;) {
		const struct kf_message *au =
			kf_rule_tok_at(r, s->frames[i], KF_MSG_NTLM_AUTHENTICATE, s->connection);
		if (au)
			return ntlm_kind(ctx, au, as);
	}
	*as = s->as; /* NTLM begun, its AUTHENTICATE not in the capture */
	return KF_HOP_NTLM;
}

/* Keep h as the hop when it came before the one kept. */
static void hop_keep(struct kf_deleg_hop *kept, const struct kf_deleg_hop *h)
{
	uint64_t at = h->req ? h->req->frame : h->s->first_frame;
	uint64_t was = !kept->kind ? UINT64_MAX : kept->req ? kept->req->frame : kept->s->first_frame;
	if (at < was)
		*kept = *h;
}

/* The front end's HTTP calls to other hosts in the window: NTLM in them, and
 * 401s asking for Kerberos that it never answered with any Authorization.
 * False when the front end used Kerberos (a TGS-REQ, an AP-REQ of its own). */
static bool hop_http(struct kf_rule_ctx *ctx, const struct kf_result *r, const struct kf_message *hq,
		     uint64_t window_us, struct kf_deleg_hop *kept, struct kf_evidence *fs)
{
	const struct kf_endpoint *fe = &hq->dst, *cl = &hq->src;
	const struct kf_message *pending[HOP_PENDING_MAX];
	size_t n_pending = 0;
	const struct kf_message *prev = NULL; /* the front end's HTTP request before m */
	struct kf_at_addr at = kf_result_at_addr(r, fe, hq->frame);
	for (size_t j = 0; j < at.n; j++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
		if (m <= hq || KF_AT_ADDR_IS_DST(at.v[j]) || !kf_endpoint_same_addr(&m->src, fe))
			continue;
		if (m->ts_us > hq->ts_us + window_us)
			break;
		if (m->type == KF_KRB_TGS_REQ || m->type == KF_KRB_AP_REQ)
			return false;
		if (!kf_rule_is_http_req(m) || kf_endpoint_same_addr(&m->dst, cl) ||
		    kf_endpoint_same_addr(&m->dst, fe))
			continue;
		const struct kf_message *resp = kf_rule_http_resp(r, m);
		const struct kf_message *au =
			kf_rule_tok_at(r, m->frame, KF_MSG_NTLM_AUTHENTICATE, m->connection);
		if (au) {
			struct kf_deleg_hop h = { .req = m, .answer = resp, .server = m->dst };
			h.kind = ntlm_kind(ctx, au, &h.as);
			hop_keep(kept, &h);
			if (prev && prev->connection == m->connection) { /* the NEGOTIATE and CHALLENGE */
				kf_evidence_add_msg(fs, prev);
				kf_evidence_add_msg(fs, kf_rule_http_resp(r, prev));
			}
			kf_evidence_add_msg(fs, m);
			kf_evidence_add_msg(fs, resp);
		}
		prev = m;
		if (m->http->auth_scheme) { /* it answered that back end */
			size_t k = 0;
			for (size_t i = 0; i < n_pending; i++)
				if (!kf_endpoint_same_addr(&pending[i]->dst, &m->dst))
					pending[k++] = pending[i];
			n_pending = k;
		} else if (asks_kerberos(resp) && n_pending < HOP_PENDING_MAX) {
			pending[n_pending++] = m;
		}
	}
	for (size_t i = 0; i < n_pending; i++) {
		struct kf_deleg_hop h = { .kind = KF_HOP_UNANSWERED,
					  .req = pending[i],
					  .answer = kf_rule_http_resp(r, pending[i]),
					  .server = pending[i]->dst };
		hop_keep(kept, &h);
		kf_evidence_add_msg(fs, h.req);
		kf_evidence_add_msg(fs, h.answer);
	}
	return true;
}

/* The sessions (SMB, LDAP, TDS, DCE/RPC) the front end opened to other hosts
 * in the window: anonymous or NTLM ones.  False when one used Kerberos. */
static bool hop_sessions(struct kf_rule_ctx *ctx, const struct kf_result *r, const struct kf_message *hq,
			 uint64_t window_us, struct kf_deleg_hop *kept, struct kf_evidence *fs)
{
	size_t lo = 0, hi = r->n_sessions; /* the first session after the request */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->sessions[mid].first_frame <= hq->frame)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < r->n_sessions; i++) {
		const struct kf_session *s = &r->sessions[i];
		const struct kf_message *m0 = kf_msg_at(r, s->first_frame, -1);
		if (!m0 || m0->ts_us > hq->ts_us + window_us)
			break;
		if (!kf_endpoint_same_addr(&s->client, &hq->dst) ||
		    kf_endpoint_same_addr(&s->server, &hq->src))
			continue;
		if (s->mech && !strcmp(s->mech, "kerberos"))
			return false;
		struct kf_deleg_hop h = { .s = s, .server = s->server };
		h.answer = kf_rule_session_msg(r, s, is_session_answer);
		h.kind = session_kind(ctx, r, s, h.answer, &h.as);
		if (!h.kind)
			continue;
		hop_keep(kept, &h);
		for (size_t k = 0; k < s->n_frames; k++)
			kf_evidence_add(fs, s->frames[k]);
	}
	return true;
}

void kf_deleg_hop_find(struct kf_rule_ctx *ctx, const struct kf_message *hq, uint64_t window_us,
		       struct kf_deleg_hop *h, struct kf_evidence *fs)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_evidence before = *fs;
	*h = (struct kf_deleg_hop){ .kind = KF_HOP_NONE };
	if (!hop_http(ctx, r, hq, window_us, h, fs) || !hop_sessions(ctx, r, hq, window_us, h, fs)) {
		*h = (struct kf_deleg_hop){ .kind = KF_HOP_NONE };
		*fs = before;
	}
}

/* The back end of a hop: "http://host/uri (address)", "SMB \\server\share
 * (address)", "SQL Server name (address)". */
static const char *hop_backend(struct kf_rule_ctx *ctx, const struct kf_deleg_hop *h)
{
	char sv[64];
	kf_endpoint_addr(&h->server, sv, sizeof sv);
	if (h->req)
		return kf_rule_fmt(ctx, "http://%s%s (%s)", h->req->http->host ? h->req->http->host : sv,
				   h->req->http->uri ? h->req->http->uri : "/", sv);
	const char *proto = h->s->carrier == KF_CARRIER_LDAP     ? "LDAP"
			    : h->s->carrier == KF_CARRIER_TDS    ? "SQL Server"
			    : h->s->carrier == KF_CARRIER_DCERPC ? "DCE/RPC"
								 : "SMB";
	return h->s->target ? kf_rule_fmt(ctx, "%s %s (%s)", proto, h->s->target, sv)
			    : kf_rule_fmt(ctx, "%s %s", proto, sv);
}

/* How the front end went there, as a verb phrase. */
const char *kf_deleg_hop_how(struct kf_rule_ctx *ctx, const struct kf_deleg_hop *h)
{
	const char *backend = hop_backend(ctx, h);
	switch (h->kind) {
	case KF_HOP_UNANSWERED:
		return kf_rule_fmt(
			ctx, "called the back end %s without Kerberos and never answered its 401 Negotiate",
			backend);
	case KF_HOP_NTLM:
		return kf_rule_fmt(ctx, "logged on to the back end %s with NTLM as %s", backend,
				   h->as ? h->as : "an account the capture does not name");
	default: return kf_rule_fmt(ctx, "logged on to the back end %s anonymously", backend);
	}
}

/* An NTSTATUS: its name and number, the number alone when unnamed. */
static const char *status_words(struct kf_rule_ctx *ctx, uint32_t status)
{
	const char *n = kf_ntstatus_name(status);
	return n ? kf_rule_fmt(ctx, "%s (0x%08X)", n, status) : kf_rule_fmt(ctx, "NTSTATUS 0x%08X", status);
}

/* What the back end answered, in a sentence (frames included). */
const char *kf_deleg_hop_answer(struct kf_rule_ctx *ctx, const struct kf_deleg_hop *h)
{
	const struct kf_message *a = h->answer;
	if (h->kind == KF_HOP_UNANSWERED)
		return kf_rule_fmt(
			ctx,
			" The back end answered the request in frame %llu with 401 offering Negotiate "
			"(frame %llu), and no request with an Authorization header followed.",
			(unsigned long long)h->req->frame, (unsigned long long)a->frame);
	if (!h->s || !h->s->outcome)
		return "";
	if (!strcmp(h->s->outcome, "ok")) {
		const struct kf_message *t = kf_rule_session_msg(kf_rule_result(ctx), h->s, is_tree_refused);
		return kf_rule_fmt(ctx, "%s%s",
				   h->kind == KF_HOP_ANONYMOUS ? " The back end accepted the anonymous logon."
							       : " The back end accepted that account.",
				   t ? kf_rule_fmt(ctx, " It then refused the share %s (frame %llu): %s.",
						   t->smb->tree ? t->smb->tree : "asked for",
						   (unsigned long long)t->frame,
						   status_words(ctx, t->smb->status))
				     : "");
	}
	if (strcmp(h->s->outcome, "error") != 0 || !a)
		return "";
	if (a->tds && a->tds->has_error)
		return kf_rule_fmt(ctx, " The back end refused it (frame %llu): error %u state %u%s%s%s.",
				   (unsigned long long)a->frame, a->tds->error_number, a->tds->error_state,
				   a->tds->message ? " \"" : "", a->tds->message ? a->tds->message : "",
				   a->tds->message ? "\"" : "");
	if (a->smb && a->smb->has_status)
		return kf_rule_fmt(ctx, " The back end refused it (frame %llu): %s.",
				   (unsigned long long)a->frame, status_words(ctx, a->smb->status));
	return kf_rule_fmt(ctx, " The back end refused it (frame %llu).", (unsigned long long)a->frame);
}

/* A host name fit to print in a fix: letters, digits, dots and dashes. */
static bool plain_host(const char *h)
{
	if (!h || !*h)
		return false;
	for (const char *p = h; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return false;
	return true;
}

/* The SPN the back end needs for Kerberos from the front end: the service
 * class of its protocol and the host the front end named it by (a
 * placeholder when the capture does not give a plain host name). */
static const char *hop_backend_spn(struct kf_rule_ctx *ctx, const struct kf_deleg_hop *h)
{
	char host[256] = "";
	if (h->req) {
		kf_rule_host_name(h->req->http->host, host, sizeof host);
		return kf_rule_fmt(ctx, "HTTP/%s", plain_host(host) ? host : "<back end's host>");
	}
	switch (h->s->carrier) {
	case KF_CARRIER_TDS:
		return kf_rule_fmt(ctx, "MSSQLSvc/<SQL Server's host>:%u", (unsigned)h->server.port);
	case KF_CARRIER_LDAP: return "ldap/<directory server's host>";
	case KF_CARRIER_DCERPC: return "host/<back end's host>";
	default:
		kf_rule_unc_server(h->s->target, host, sizeof host);
		return kf_rule_fmt(
			ctx, "cifs/%s",
			plain_host(host) && !kf_rule_name_is_address(host) ? host : "<file server's host>");
	}
}

const char *kf_deleg_hop_fix(struct kf_rule_ctx *ctx, const struct kf_deleg_hop *h)
{
	return kf_rule_fmt(
		ctx,
		" Then the front end's application must go to the back end with Kerberos and the delegated "
		"credentials (the ccache mod_auth_gssapi writes to GssapiDelegCcacheDir: curl --negotiate, "
		"smbclient --use-kerberos=required; IIS/ASP.NET impersonation), not with NTLM, a password of its "
		"own or an anonymous logon; the back end's account needs the SPN %s for that.",
		hop_backend_spn(ctx, h));
}
