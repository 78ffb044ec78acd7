/* rules_http_token.c - what HTTP did with the credentials a client sent: 401
 * after 401 (auth-loop), a token too large for the server's header limits
 * (token-too-large), a new AP-REQ on every request of a keep-alive
 * connection (request-based-kerberos) (DIAGNOSES.md; RFC 4559, RFC 7235).
 * Each rule gathers facts into a struct, decides with a pure verdict
 * function (cause, severity, confidence) and words the finding from the
 * cause (docs/rules.md lists each cause). */
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "gss.h"
#include "krb5.h"
#include "names.h"
#include "rules.h"
#include "rules_common.h"
#include "stories.h"

/* Whom an HTTP request with credentials concerns: its client and server,
 * the service of the ticket it presented, and the user (the ticket's
 * holder, or the NTLM user). */
static void subject_request(struct kf_rule_ctx *ctx, struct kf_subject_b *b, const struct kf_message *req)
{
	const struct kf_result *r = kf_rule_result(ctx);
	kf_subject_addr(ctx, b, KF_SUBJECT_CLIENT, &req->src, false);
	kf_subject_addr(ctx, b, KF_SUBJECT_SERVER, &req->dst, true);
	const struct kf_message *ap = kf_rule_tok_at(r, req->frame, KF_KRB_AP_REQ, req->connection);
	if (ap && ap->krb.ticket) {
		kf_subject_add(ctx, b, KF_SUBJECT_SERVICE,
			       kf_rule_princ(ctx, ap->krb.ticket->sname, ap->krb.ticket->realm));
		kf_subject_add(ctx, b, KF_SUBJECT_USER, kf_rule_ticket_holder(ctx, ap));
	}
	const struct kf_message *au =
		kf_rule_tok_at(r, req->frame, KF_MSG_NTLM_AUTHENTICATE, req->connection);
	if (au)
		kf_subject_message(ctx, b, au);
}

/* ---- auth-loop ------------------------------------------------------------ */

/* Who answered req, for a summary: "web.lab.test (10.0.0.20)", or a forward
 * proxy as such, "the proxy 10.0.0.24:8080 (proxy.lab.test)": never the
 * proxied site's Host. */
static const char *http_peer(struct kf_rule_ctx *ctx, const struct kf_message *req)
{
	const struct kf_result *r = kf_rule_result(ctx);
	char srv[64];
	kf_endpoint_addr(&req->dst, srv, sizeof srv);
	if (kf_rule_http_is_proxy(r, req)) {
		char name[256];
		kf_rule_http_proxy_name(r, req, name, sizeof name);
		return kf_rule_fmt(ctx, "the proxy %s:%u (%s)", srv, req->dst.port, name);
	}
	return kf_rule_fmt(ctx, "%s (%s)", req->http->host ? req->http->host : srv, srv);
}

/* Why the server kept refusing (docs/rules.md). */
enum loop_cause { LOOP_AUTHZ, LOOP_TICKET_REJECTED, LOOP_UNDETERMINED };
static const char *const loop_causes[] = { "authorization-refused", "ticket-rejected", "undetermined", NULL };

/* One client's credentialed requests to one host:port. */
struct loop_facts {
	unsigned refused;    /* answered 401/407 (handshake legs aside) */
	unsigned with_aprep; /* ... carrying the server's AP-REP: Kerberos succeeded */
	unsigned with_err;   /* ... carrying a Kerberos error */
	int32_t err_code;    /* the last such error */
	int last_status;     /* the answer to the last credentialed request */
	bool proxy;          /* a 407 among them */
};

static enum loop_cause loop_cause_of(const struct loop_facts *f)
{
	return f->with_aprep ? LOOP_AUTHZ : f->with_err ? LOOP_TICKET_REJECTED : LOOP_UNDETERMINED;
}

static struct kf_finding_in loop_verdict(const struct loop_facts *f)
{
	enum loop_cause c = loop_cause_of(f);
	return (struct kf_finding_in){ .cause = loop_causes[c],
				       .severity = KF_SEV_ERROR,
				       .confidence =
					       c == LOOP_UNDETERMINED ? KF_CONF_LIKELY : KF_CONF_CERTAIN };
}

static void loop_emit(struct kf_rule_ctx *ctx, const struct kf_message *first, const struct loop_facts *f,
		      const struct kf_evidence *e, const struct kf_subject_b *subject)
{
	struct kf_finding_in in = loop_verdict(f);
	const char *scheme = first->http->auth_scheme;
	int code = f->proxy ? 407 : 401;
	const char *expl, *fix, *tail;
	switch (loop_cause_of(f)) {
	case LOOP_AUTHZ:
		tail = ": Kerberos succeeded (AP-REP in the 401), authorization refused";
		expl = kf_rule_fmt(
			ctx,
			"The client sent credentials (%s) %u times and got %u each time. %s of those answers carry the "
			"server's Kerberos AP-REP (SPNEGO accept-completed): Kerberos authentication succeeded, the "
			"server knows who the user is, and then refused access. This is an authorization problem, "
			"not an SPN or ticket problem (the browser's \"three prompts, then 401\").",
			scheme, f->refused, code, f->with_aprep == f->refused ? "All" : "Some");
		fix = "Check the authorization rules of the resource: IIS authorization rules / NTFS permissions "
		      "for the user or its groups, Apache `Require user`/`Require group`/`Require valid-user`, "
		      "the application's role checks; check the user's group membership (`whoami /groups`, log "
		      "off and on after a group change, since groups come with the ticket's PAC) and the server's "
		      "log for the refusal.";
		break;
	case LOOP_TICKET_REJECTED:
		tail = kf_rule_fmt(ctx, ": %s", kf_rule_err_name(f->err_code));
		expl = kf_rule_fmt(
			ctx,
			"The client sent credentials (%s) %u times and got %u each time; the server's token in the 401 "
			"carries a Kerberos error (%s, %d): the server cannot accept the ticket, and retrying with "
			"the same ticket cannot help.",
			scheme, f->refused, code, kf_rule_err_name(f->err_code), f->err_code);
		fix = kf_rule_fmt(
			ctx,
			"Fix the %s reported for this server (see that finding), then `klist purge` "
			"on the client and retry.",
			kf_rule_err_name(f->err_code));
		break;
	case LOOP_UNDETERMINED:
	default:
		tail = "";
		expl = kf_rule_fmt(
			ctx,
			"The client sent credentials (%s) %u times and got %u each time, with no Kerberos token "
			"explaining why: the credentials are refused (wrong password for Basic, a user the server "
			"does not accept) or the server rejects the token without saying why.",
			scheme, f->refused, code);
		fix = "Read the server's log for the reason of the 401 (IIS: the sub-status code in the W3C log, "
		      "401.1 logon failed, 401.2 configuration, 401.3 ACL; Apache: error_log with LogLevel "
		      "auth_gssapi:debug); check the account and the authorization rules.";
		break;
	}
	in.frames = e->f;
	in.n_frames = e->n;
	in.subject = subject;
	in.summary = kf_rule_fmt(ctx, "%s answered %u requests with credentials by %d%s",
				 http_peer(ctx, first), f->refused, code, tail);
	in.explanation = expl;
	in.remediation = fix;
	kf_finding_emit(ctx, &in);
}

static void rule_auth_loop(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *first = &r->messages[i];
		if (!kf_rule_is_http_req(first) || !first->http->auth_scheme)
			continue;
		/* a proxy's requests count together whatever site they ask for */
		bool proxy = kf_rule_http_is_proxy(r, first);
		char host[256];
		if (proxy)
			kf_endpoint_addr(&first->dst, host, sizeof host);
		else
			kf_rule_host_name(first->http->host, host, sizeof host);
		if (!kf_seen_add(ctx, &seen,
				 kf_rule_host_key(&first->src, host,
						  proxy ? -(int64_t)first->dst.port - 1 : first->dst.port)))
			continue;
		struct kf_evidence e = { .n = 0 };
		struct loop_facts f = { 0 };
		struct kf_subject_b subject = { 0 };
		struct kf_at_addr at = kf_result_at_addr(r, &first->src, first->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
			if (q < first || !kf_rule_is_http_req(q) || !q->http->auth_scheme ||
			    !kf_endpoint_same_addr(&q->src, &first->src) || q->dst.port != first->dst.port)
				continue;
			if (proxy) {
				if (!kf_endpoint_same_addr(&q->dst, &first->dst) ||
				    !kf_rule_http_is_proxy(r, q))
					continue;
			} else {
				char qh[256];
				kf_rule_host_name(q->http->host, qh, sizeof qh);
				if (!kf_host_eq(qh, host) || kf_rule_http_is_proxy(r, q))
					continue;
			}
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
			f.last_status = resp->http->status;
			if (resp->http->status != 401 && resp->http->status != 407)
				continue;
			if (!ke && !rep && resp->spnego && resp->spnego->has_neg_state &&
			    resp->spnego->neg_state == KF_NEG_ACCEPT_INCOMPLETE)
				continue;
			f.refused++;
			f.proxy |= resp->http->status == 407;
			kf_evidence_add(&e, q->frame);
			kf_evidence_add(&e, resp->frame);
			subject_request(ctx, &subject, q);
			if (rep)
				f.with_aprep++;
			if (ke) {
				f.with_err++;
				f.err_code = ke->krb.error_code;
			}
		}
		if (f.refused < 2 || (f.last_status != 401 && f.last_status != 407))
			continue;
		loop_emit(ctx, first, &f, &e, &subject);
	}
	kf_seen_free(&seen);
}

/* ---- token-too-large ---------------------------------------------------- */

/* What made the header too large (docs/rules.md). */
enum big_cause { BIG_KERBEROS, BIG_HEADER };
static const char *const big_causes[] = { "kerberos-token-too-large", "header-too-large", NULL };

/* A credentialed request refused with 400/413/431. */
struct big_facts {
	int status;       /* 400, 413, 431 */
	bool kerberos;    /* its token is a Kerberos AP-REQ */
	uint64_t smaller; /* a smaller request to the same server answered normally (its frame), 0 */
};

static struct kf_finding_in big_verdict(const struct big_facts *f)
{
	return (struct kf_finding_in){ .cause = big_causes[f->kerberos ? BIG_KERBEROS : BIG_HEADER],
				       .severity = KF_SEV_ERROR,
				       .confidence = f->smaller ? KF_CONF_CERTAIN : KF_CONF_LIKELY };
}

/* What the explanation says of the token, by cause. */
static const char *const big_token_words[] = {
	[BIG_KERBEROS] = " (the token is a Kerberos AP-REQ)",
	[BIG_HEADER] = "",
};

static void big_emit(struct kf_rule_ctx *ctx, const struct kf_message *req, const struct kf_message *resp,
		     const struct big_facts *f)
{
	struct kf_finding_in in = big_verdict(f);
	struct kf_subject_b subject = { 0 };
	subject_request(ctx, &subject, req);
	uint64_t frames[3] = { req->frame, resp->frame, f->smaller };
	const struct kf_http_rec *h = req->http;
	unsigned b64 = (h->token_bytes + 2) / 3 * 4;
	unsigned line = b64 + (unsigned)strlen(h->auth_scheme) + 17; /* "Authorization: X " + CRLF */
	in.frames = frames;
	in.n_frames = f->smaller ? 3 : 2;
	in.subject = &subject;
	in.summary = kf_rule_fmt(
		ctx, "%s answered HTTP %d to a request with a %u-byte %s token (request header %u bytes)",
		http_peer(ctx, req), f->status, h->token_bytes, h->auth_scheme, h->header_bytes);
	in.explanation = kf_rule_fmt(
		ctx,
		"The request in frame %llu carried %s%s with a %u-byte token (an Authorization line of about "
		"%u bytes, %u bytes of request header in all), and the server refused it with HTTP %d before "
		"authenticating%s. Kerberos tokens grow with the user's group memberships (the PAC in the "
		"ticket); once the header exceeds the server's limit for one field or for the whole request "
		"header, the server answers 400 (\"Request header too long\", \"Size of a request header "
		"field exceeds server limit\").%s",
		(unsigned long long)req->frame,
		h->proxy ? "Proxy-Authorization: " : "Authorization: ", h->auth_scheme, h->token_bytes, line,
		h->header_bytes, f->status, big_token_words[f->kerberos ? BIG_KERBEROS : BIG_HEADER],
		f->smaller
			? kf_rule_fmt(ctx,
				      " A smaller request to the same server (frame %llu) was answered "
				      "normally, so the size is the cause.",
				      (unsigned long long)f->smaller)
			: " (Likely, not certain: no smaller request to this server is in the capture; the "
			  "server's log names the limit that was hit.)");
	in.remediation =
		"Raise the server's header limits above the largest token: IIS/http.sys registry values "
		"MaxFieldLength and MaxRequestBytes under HKLM\\SYSTEM\\CurrentControlSet\\Services\\HTTP\\Parameters "
		"(e.g. 65534 and 16777216, then restart http.sys; KB2020943); Apache LimitRequestFieldSize (and "
		"LimitRequestLine); nginx large_client_header_buffers (e.g. 4 64k). Reduce the token: fewer group "
		"memberships for the user, resource SID compression, and keep the Kerberos MaxTokenSize in line.";
	kf_finding_emit(ctx, &in);
}

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
		struct big_facts f = { .status = resp->http->status };
		if (f.status != 400 && f.status != 413 && f.status != 431)
			continue;
		f.kerberos = kf_rule_tok_at(r, req->frame, KF_KRB_AP_REQ, req->connection) != NULL;
		if (f.status == 400) {
			/* A 400 that answered the authentication (Persistent-Auth, a token) is about something else. */
			if (resp->http->persistent_auth || resp->http->token_bytes ||
			    (!f.kerberos && req->http->header_bytes < 4096))
				continue;
		}
		char host[256];
		kf_rule_host_name(req->http->host, host, sizeof host);
		if (!kf_seen_add(ctx, &seen, kf_rule_host_key(&req->src, host, req->dst.port)))
			continue;
		/* A smaller request to the same server answered normally makes the size certain. */
		struct kf_at_addr at = kf_result_at_addr(r, &req->dst, 0);
		for (size_t j = 0; j < at.n && !f.smaller; j++) {
			const struct kf_message *q = KF_AT_ADDR_MSG(r, at.v[j]);
			if (!kf_rule_is_http_req(q) || !kf_endpoint_same_addr(&q->dst, &req->dst) ||
			    q->dst.port != req->dst.port || q->http->header_bytes >= req->http->header_bytes)
				continue;
			const struct kf_message *qr = kf_rule_http_resp(r, q);
			if (qr && qr->http->status != 400 && qr->http->status != 413 &&
			    qr->http->status != 431)
				f.smaller = q->frame;
		}
		big_emit(ctx, req, resp, &f);
	}
	kf_seen_free(&seen);
}

/* ---- request-based-kerberos ---------------------------------------------- */

/* A keep-alive connection on which the client sent a new AP-REQ with every
 * request, each accepted: the server does not keep the connection
 * authenticated, so every request costs a ticket check (and the client a
 * larger header).  One cause: the capture shows every request
 * authenticated again (docs/rules.md). */
static const char *const per_request_causes[] = { "ap-req-every-request", NULL };

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
			const struct kf_message *first = NULL; /* the first accepted request */
			struct kf_subject_b subject = { 0 };
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
				first = first ? first : m;
				if (nf < KF_LIMIT_EVIDENCE_FRAMES)
					frames[nf++] = m->frame;
				subject_request(ctx, &subject, m);
			}
			if (accepted < 2)
				continue;
			/* the verdict: its one cause, info, certain (the capture shows each request) */
			struct kf_finding_in in = { .cause = per_request_causes[0],
						    .severity = KF_SEV_INFO,
						    .confidence = KF_CONF_CERTAIN };
			in.frames = frames;
			in.n_frames = nf;
			in.subject = &subject;
			in.summary = kf_rule_fmt(
				ctx,
				"%zu requests on one connection to %s each carried a new Kerberos AP-REQ",
				accepted, http_peer(ctx, first));
			in.explanation =
				"The connection stayed open (keep-alive) but every request was authenticated again "
				"with a fresh Kerberos ticket in its Authorization header. It works, but each request "
				"carries a large header and the server validates a ticket each time: request-based "
				"rather than connection-based authentication.";
			in.remediation =
				"On IIS, set authPersistNonNTLM=\"true\" on windowsAuthentication (the default since "
				"IIS 7) so the connection stays authenticated; with Apache mod_auth_gssapi, use "
				"GssapiConnectionBound On or GssapiUseSessions On.";
			kf_finding_emit(ctx, &in);
		}
	}
	kf_free(ci.v);
}

/* ---- the table ------------------------------------------------------------ */

const struct kf_rule kf_rules_http_token[] = {
	{ { "auth-loop", KF_SEV_ERROR, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE,
	    "the client keeps getting 401 after sending credentials", loop_causes },
	  rule_auth_loop },
	{ { "token-too-large", KF_SEV_ERROR, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE,
	    "a large Authorization header answered by HTTP 400 (token bloat)", big_causes },
	  rule_token_too_large },
	{ { "request-based-kerberos", KF_SEV_INFO, KF_RULE_PLAIN, KF_RULE_WINDOW_WHOLE,
	    "a keep-alive connection re-sends an AP-REQ on every request", per_request_causes },
	  rule_request_based },
};
const size_t kf_rules_http_token_count = sizeof kf_rules_http_token / sizeof kf_rules_http_token[0];
