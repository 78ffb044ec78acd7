/* rules_http_token.c - what HTTP did with the credentials a client sent: 401
 * after 401 (auth-loop), a token too large for the server's header limits
 * (token-too-large), a new AP-REQ on every request of a keep-alive
 * connection (request-based-kerberos) (DIAGNOSES.md; RFC 4559, RFC 7235). */
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "gss.h"
#include "krb5.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"
#include "stories.h"

/* ---- auth-loop ------------------------------------------------------------ */

static void rule_auth_loop(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *first = &r->messages[i];
		if (!kf_rule_is_http_req(first) || !first->http->auth_scheme)
			continue;
		char host[256];
		kf_rule_host_name(first->http->host, host, sizeof host);
		if (!kf_seen_add(ctx, &seen, kf_rule_host_key(&first->src, host, first->dst.port)))
			continue;
		struct kf_evidence e = { .n = 0 };
		unsigned refused = 0, with_aprep = 0, with_err = 0;
		int32_t err_code = 0;
		int last_status = 0;
		bool proxy = false;
		const char *scheme = first->http->auth_scheme;
		struct kf_at_addr at = kf_result_at_addr(r, &first->src, first->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
			if (q < first || !kf_rule_is_http_req(q) || !q->http->auth_scheme ||
			    !kf_endpoint_same_addr(&q->src, &first->src) || q->dst.port != first->dst.port)
				continue;
			char qh[256];
			kf_rule_host_name(q->http->host, qh, sizeof qh);
			if (!kf_host_eq(qh, host))
				continue;
			const struct kf_message *resp = kf_rule_http_resp(r, q);
			if (!resp)
				continue;
			/* NTLM's first leg and SPNEGO continuations are handshakes, not refusals. */
			if (kf_rule_tok_at(r, q->frame, KF_MSG_NTLM_NEGOTIATE, q->connection) ||
			    kf_rule_tok_at(r, resp->frame, KF_MSG_NTLM_CHALLENGE, resp->connection))
				continue;
			const struct kf_message *ke =
				kf_rule_tok_at(r, resp->frame, KF_KRB_ERROR, resp->connection);
			const struct kf_message *rep =
				kf_rule_tok_at(r, resp->frame, KF_KRB_AP_REP, resp->connection);
			last_status = resp->http->status;
			if (resp->http->status != 401 && resp->http->status != 407)
				continue;
			if (!ke && !rep && resp->spnego && resp->spnego->has_neg_state &&
			    resp->spnego->neg_state == KF_NEG_ACCEPT_INCOMPLETE)
				continue;
			refused++;
			proxy |= resp->http->status == 407;
			kf_evidence_add(&e, q->frame);
			kf_evidence_add(&e, resp->frame);
			if (rep)
				with_aprep++;
			if (ke) {
				with_err++;
				err_code = ke->krb.error_code;
			}
		}
		if (refused < 2 || (last_status != 401 && last_status != 407))
			continue;
		char srv[64];
		kf_endpoint_addr(&first->dst, srv, sizeof srv);
		const char *expl, *fix;
		if (with_aprep) {
			expl = kf_rule_fmt(
				ctx,
				"The client sent credentials (%s) %u times and got %u each time. %s of those answers carry the "
				"server's Kerberos AP-REP (SPNEGO accept-completed): Kerberos authentication succeeded, the "
				"server knows who the user is, and then refused access. This is an authorization problem, "
				"not an SPN or ticket problem (the browser's \"three prompts, then 401\").",
				scheme, refused, proxy ? 407 : 401, with_aprep == refused ? "All" : "Some");
			fix = "Check the authorization rules of the resource: IIS authorization rules / NTFS permissions "
			      "for the user or its groups, Apache `Require user`/`Require group`/`Require valid-user`, "
			      "the application's role checks; check the user's group membership (`whoami /groups`, log "
			      "off and on after a group change, since groups come with the ticket's PAC) and the server's "
			      "log for the refusal.";
		} else if (with_err) {
			expl = kf_rule_fmt(
				ctx,
				"The client sent credentials (%s) %u times and got %u each time; the server's token in the 401 "
				"carries a Kerberos error (%s, %d): the server cannot accept the ticket, and retrying with "
				"the same ticket cannot help.",
				scheme, refused, proxy ? 407 : 401, kf_rule_err_name(err_code), err_code);
			fix = kf_rule_fmt(
				ctx,
				"Fix the %s reported for this server (see that finding), then `klist purge` "
				"on the client and retry.",
				kf_rule_err_name(err_code));
		} else {
			expl = kf_rule_fmt(
				ctx,
				"The client sent credentials (%s) %u times and got %u each time, with no Kerberos token "
				"explaining why: the credentials are refused (wrong password for Basic, a user the server "
				"does not accept) or the server rejects the token without saying why.",
				scheme, refused, proxy ? 407 : 401);
			fix = "Read the server's log for the reason of the 401 (IIS: the sub-status code in the W3C log, "
			      "401.1 logon failed, 401.2 configuration, 401.3 ACL; Apache: error_log with LogLevel "
			      "auth_gssapi:debug); check the account and the authorization rules.";
		}
		kf_finding_add(
			ctx, KF_SEV_ERROR, KF_CONF_CERTAIN, e.f, e.n,
			kf_rule_fmt(
				ctx, "%s (%s) answered %u requests with credentials by %d%s",
				first->http->host ? first->http->host : srv, srv, refused, proxy ? 407 : 401,
				with_aprep ? ": Kerberos succeeded (AP-REP in the 401), authorization refused"
				: with_err ? kf_rule_fmt(ctx, ": %s", kf_rule_err_name(err_code))
					   : ""),
			expl, fix);
	}
	kf_seen_free(&seen);
}

/* ---- token-too-large ---------------------------------------------------- */

static void rule_token_too_large(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *req = &r->messages[i];
		if (!kf_rule_is_http_req(req) || !req->http->auth_scheme)
			continue;
		const struct kf_message *resp = kf_rule_http_resp(r, req);
		if (!resp)
			continue;
		int st = resp->http->status;
		if (st != 400 && st != 413 && st != 431)
			continue;
		bool kerberos = kf_rule_tok_at(r, req->frame, KF_KRB_AP_REQ, req->connection) != NULL;
		if (st == 400) {
			/* A 400 that answered the authentication (Persistent-Auth, a token) is about something else. */
			if (resp->http->persistent_auth || resp->http->token_bytes ||
			    (!kerberos && req->http->header_bytes < 4096))
				continue;
		}
		char host[256];
		kf_rule_host_name(req->http->host, host, sizeof host);
		if (!kf_seen_add(ctx, &seen, kf_rule_host_key(&req->src, host, req->dst.port)))
			continue;
		/* A smaller request to the same server answered normally makes the size certain. */
		uint64_t smaller = 0;
		struct kf_at_addr at = kf_result_at_addr(r, &req->dst, 0);
		for (size_t j = 0; j < at.n && !smaller; j++) {
			const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
			if (!kf_rule_is_http_req(q) || !kf_endpoint_same_addr(&q->dst, &req->dst) ||
			    q->dst.port != req->dst.port || q->http->header_bytes >= req->http->header_bytes)
				continue;
			const struct kf_message *qr = kf_rule_http_resp(r, q);
			if (qr && qr->http->status != 400 && qr->http->status != 413 &&
			    qr->http->status != 431)
				smaller = q->frame;
		}
		uint64_t frames[3] = { req->frame, resp->frame, smaller };
		unsigned b64 = (req->http->token_bytes + 2) / 3 * 4;
		unsigned line =
			b64 + (unsigned)strlen(req->http->auth_scheme) + 17; /* "Authorization: X " + CRLF */
		char srv[64];
		kf_endpoint_addr(&req->dst, srv, sizeof srv);
		kf_finding_add(
			ctx, KF_SEV_ERROR, smaller ? KF_CONF_CERTAIN : KF_CONF_LIKELY, frames,
			smaller ? 3 : 2,
			kf_rule_fmt(
				ctx,
				"%s (%s) answered HTTP %d to a request with a %u-byte %s token (request header %u bytes)",
				req->http->host ? req->http->host : srv, srv, st, req->http->token_bytes,
				req->http->auth_scheme, req->http->header_bytes),
			kf_rule_fmt(
				ctx,
				"The request in frame %llu carried %s%s with a %u-byte token (an Authorization line of about "
				"%u bytes, %u bytes of request header in all), and the server refused it with HTTP %d before "
				"authenticating%s. Kerberos tokens grow with the user's group memberships (the PAC in the "
				"ticket); once the header exceeds the server's limit for one field or for the whole request "
				"header, the server answers 400 (\"Request header too long\", \"Size of a request header "
				"field exceeds server limit\").%s",
				(unsigned long long)req->frame,
				req->http->proxy ? "Proxy-Authorization: " : "Authorization: ",
				req->http->auth_scheme, req->http->token_bytes, line, req->http->header_bytes,
				st, kerberos ? " (the token is a Kerberos AP-REQ)" : "",
				smaller ? kf_rule_fmt(
						  ctx,
						  " A smaller request to the same server (frame %llu) was answered "
						  "normally, so the size is the cause.",
						  (unsigned long long)smaller)
					: " (Likely, not certain: no smaller request to this server is in the capture; the "
					  "server's log names the limit that was hit.)"),
			"Raise the server's header limits above the largest token: IIS/http.sys registry values "
			"MaxFieldLength and MaxRequestBytes under HKLM\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters "
			"(e.g. 65534 and 16777216, then restart http.sys; KB2020943); Apache LimitRequestFieldSize (and "
			"LimitRequestLine); nginx large_client_header_buffers (e.g. 4 64k). Reduce the token: fewer group "
			"memberships for the user, resource SID compression, and keep the Kerberos MaxTokenSize in line.");
	}
	kf_seen_free(&seen);
}

/* ---- request-based-kerberos ---------------------------------------------- */

/* A keep-alive connection on which the client sent a new AP-REQ with every
 * request, each accepted: the server does not keep the connection
 * authenticated, so every request costs a ticket check (and the client a
 * larger header). */
static void rule_request_based(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_conn_ix ci;
	if (!kf_conn_ix_build(r, &ci)) {
		kf_rule_nomem(ctx);
		return;
	}
	for (size_t s = 0; s < r->n_stories; s++) {
		const struct kf_story *st = &r->stories[s];
		for (size_t h = 0; h < st->n_http; h++) {
			const struct kf_story_http *c = &st->http[h];
			uint64_t frames[KF_LIMIT_EVIDENCE_FRAMES];
			size_t nf = 0, accepted = 0, n_conn;
			const struct kf_conn_msg *cm = kf_conn_ix_find(&ci, c->connection, &n_conn);
			for (size_t i = 0; i < n_conn; i++) {
				const struct kf_message *m = &r->messages[cm[i].ix];
				if (m->connection != c->connection || !kf_rule_is_http_req(m) ||
				    !m->http->auth_scheme)
					continue;
				const struct kf_message *ap =
					kf_rule_tok_at(r, m->frame, KF_KRB_AP_REQ, m->connection);
				const struct kf_message *resp = kf_rule_http_resp(r, m);
				if (!ap || !resp || resp->http->status >= 400)
					continue;
				accepted++;
				if (nf < KF_LIMIT_EVIDENCE_FRAMES)
					frames[nf++] = m->frame;
			}
			if (accepted < 2)
				continue;
			char srv[64];
			kf_endpoint_addr(&c->server, srv, sizeof srv);
			kf_finding_add(
				ctx, KF_SEV_INFO, KF_CONF_CERTAIN, frames, nf,
				kf_rule_fmt(
					ctx,
					"%zu requests on one connection to %s (%s) each carried a new Kerberos AP-REQ",
					accepted, c->host ? c->host : srv, srv),
				"The connection stayed open (keep-alive) but every request was authenticated again with a "
				"fresh Kerberos ticket in its Authorization header. It works, but each request carries a "
				"large header and the server validates a ticket each time: request-based rather than "
				"connection-based authentication.",
				"On IIS, set authPersistNonNTLM=\"true\" on windowsAuthentication (the default since IIS 7) "
				"so the connection stays authenticated; with Apache mod_auth_gssapi, use "
				"GssapiConnectionBound On or GssapiUseSessions On.");
		}
	}
	kf_free(ci.v);
}

/* ---- the table ------------------------------------------------------------ */

const struct kf_rule kf_rules_http_token[] = {
	{ { "auth-loop", KF_SEV_ERROR, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE,
	    "the client keeps getting 401 after sending credentials", NULL },
	  rule_auth_loop },
	{ { "token-too-large", KF_SEV_ERROR, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE,
	    "a large Authorization header answered by HTTP 400 (token bloat)", NULL },
	  rule_token_too_large },
	{ { "request-based-kerberos", KF_SEV_INFO, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE,
	    "a keep-alive connection re-sends an AP-REQ on every request", NULL },
	  rule_request_based },
};
const size_t kf_rules_http_token_count = sizeof kf_rules_http_token / sizeof kf_rules_http_token[0];
