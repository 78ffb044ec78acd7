/* rules_krb5.c - findings about KDC traffic on port 88: unreachable KDCs,
 * the KDC and AP errors a user meets, clock skew, weak encryption types, UDP
 * size limits (DIAGNOSES.md; RFC 4120 §7.5.9 error codes, MS-KILE). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/limits.h"
#include "krb5.h"
#include "rules.h"
#include "stories.h"

/* ---- kdc-unreachable ---------------------------------------------------- */

static bool kdc_answered(const struct kf_result *r, const struct kf_endpoint *kdc)
{
	struct kf_at_addr at = kf_result_at_addr(r, kdc, 0);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->carrier == KF_CARRIER_KERBEROS && m->src.port == 88 && kf_endpoint_same_addr(&m->src, kdc))
			return true;
	}
	return false;
}

/* Did the client get a reply from any KDC after frame? (failover worked) */
static bool answered_elsewhere(const struct kf_result *r, const struct kf_endpoint *client, uint64_t frame)
{
	struct kf_at_addr at = kf_result_at_addr(r, client, frame + 1);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->carrier == KF_CARRIER_KERBEROS && m->src.port == 88 &&
		    kf_endpoint_same_addr(&m->dst, client) && (m->type == KF_KRB_AS_REP || m->type == KF_KRB_TGS_REP))
			return true;
	}
	return false;
}

static void rule_kdc_unreachable(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	/* which transport events an earlier finding already took */
	bool *done = r->n_tevents ? kf_calloc(r->n_tevents, sizeof(bool)) : NULL;
	if (r->n_tevents && !done) {
		kf_rule_nomem(ctx);
		return;
	}
	struct kf_seen kdcs = { 0 };
	for (size_t i = 0; i < r->n_tevents; i++) {
		const struct kf_tevent *t = &r->tevents[i];
		if (done[i] || t->kind == KF_TEV_FRAG_INCOMPLETE || t->dst.port != 88)
			continue;
		struct kf_key key = kf_key_new();
		kf_key_addr(&key, &t->dst);
		if (!kf_seen_add(ctx, &kdcs, key) || kdc_answered(r, &t->dst))
			continue; /* it answered something: not unreachable (other rules look at the rest) */
		uint64_t frames[KF_LIMIT_EVIDENCE_FRAMES];
		size_t nf = 0;
		unsigned udp = 0, syns = 0, resets = 0, icmp = 0;
		bool refused = false;
		uint64_t last = 0;
		for (size_t j = i; j < r->n_tevents; j++) {
			const struct kf_tevent *u = &r->tevents[j];
			if (u->kind == KF_TEV_FRAG_INCOMPLETE || !kf_endpoint_same_addr(&u->dst, &t->dst) || u->dst.port != 88)
				continue;
			done[j] = true;
			if (nf < KF_LIMIT_EVIDENCE_FRAMES)
				frames[nf++] = u->frame;
			last = u->frame > last ? u->frame : last;
			switch (u->kind) {
			case KF_TEV_UDP_NO_REPLY: udp++; break;
			case KF_TEV_TCP_NO_ANSWER: syns += u->count; break;
			case KF_TEV_TCP_RESET: resets++; refused = true; break;
			case KF_TEV_ICMP_UNREACHABLE: icmp++; refused = true; break;
			case KF_TEV_TCP_NO_REPLY: udp++; break;
			default: break;
			}
		}
		char kdc[64], what[256];
		kf_endpoint_addr(&t->dst, kdc, sizeof kdc);
		snprintf(what, sizeof what, "%s%s%s%s",
			 udp ? kf_rule_fmt(ctx, "%u request%s without a reply; ", udp, udp == 1 ? "" : "s") : "",
			 syns ? kf_rule_fmt(ctx, "%u TCP SYN%s never answered; ", syns, syns == 1 ? "" : "s") : "",
			 resets ? kf_rule_fmt(ctx, "%u TCP connection%s refused (RST); ", resets, resets == 1 ? "" : "s") : "",
			 icmp ? kf_rule_fmt(ctx, "%u ICMP unreachable; ", icmp) : "");
		size_t wl = strlen(what);
		if (wl >= 2)
			what[wl - 2] = 0;
		bool failover = answered_elsewhere(r, &t->src, last);
		const char *summary = kf_rule_fmt(ctx, "KDC %s does not answer Kerberos (port 88): %s", kdc, what);
		const char *expl = kf_rule_fmt(ctx,
			"The client sent Kerberos requests to %s and never got a Kerberos reply from it. %s%s",
			kdc,
			refused ? "The host refused them (ICMP unreachable or TCP reset): nothing listens on port 88 "
				  "there, or a firewall rejects it. " :
				  "No answer at all came back: the KDC is down, the address is wrong, or a firewall drops "
				  "port 88 silently. ",
			failover ? "The client then got its tickets from another KDC, so logons still work but each one "
				   "waits for this KDC's timeout first." :
				   "The client got no ticket from any KDC in the capture, so Kerberos authentication "
				   "failed (and Negotiate falls back to NTLM where it can).");
		kf_finding_add(ctx, failover ? KF_SEV_WARNING : KF_SEV_ERROR,
			       refused ? KF_CONF_CERTAIN : KF_CONF_LIKELY, frames, nf, summary, expl,
			       kf_rule_fmt(ctx,
				   "Check that the KDC service runs on %s and listens on UDP and TCP port 88, that "
				   "firewalls between client and KDC allow both, and that the client's KDC list "
				   "(DNS SRV records _kerberos._udp / _kerberos._tcp, or krb5.conf 'kdc =') names only "
				   "live KDCs.%s",
				   kdc, refused ? "" : " (Likely, not certain: a capture that runs until the client gives "
						       "up would show that no reply ever came.)"));
	}
	kf_seen_free(&kdcs);
	kf_free(done);
}

/* ---- shared helpers ------------------------------------------------------ */

#define WINDOW_US (30ull * 1000000ull)
#define MAX_EV KF_LIMIT_EVIDENCE_FRAMES

static bool name_eq(const char *a, const char *b) { return a && b && strcasecmp(a, b) == 0; }
static bool name_same(const char *a, const char *b) { return (!a && !b) || name_eq(a, b); }

static bool is_krb_error(const struct kf_message *m) { return m->type == KF_KRB_ERROR; }

/* The client end of a message (error: its destination; request: its source). */
static struct kf_endpoint client_of(const struct kf_message *m)
{
	struct kf_endpoint c;
	if (kf_message_client(m, &c))
		return c;
	bool reply = m->type == KF_KRB_ERROR || m->type == KF_KRB_AS_REP || m->type == KF_KRB_TGS_REP ||
		     m->type == KF_KRB_AP_REP || m->type == KF_MSG_HTTP_RESPONSE;
	return reply ? m->dst : m->src;
}

static void add_frame(uint64_t *frames, size_t *nf, uint64_t f)
{
	if (f && *nf < MAX_EV)
		frames[(*nf)++] = f;
}

static void add_msg_frames(uint64_t *frames, size_t *nf, const struct kf_message *m)
{
	if (!m)
		return;
	if (m->first_frame && m->first_frame != m->frame)
		add_frame(frames, nf, m->first_frame);
	add_frame(frames, nf, m->frame);
}

static const char *err_name(int32_t code)
{
	const char *n = kf_krb5_error_name(code);
	return n ? n : "KRB-ERROR";
}

/* "alice@LAB.TEST", "alice", or NULL. */
static const char *princ(struct kf_rule_ctx *ctx, const char *name, const char *realm)
{
	if (!name)
		return NULL;
	return realm && !strchr(name, '@') ? kf_rule_fmt(ctx, "%s@%s", name, realm) : name;
}

static const char *first_of(const char *a, const char *b) { return a ? a : b; }

/* The user of an error: its cname, the request's, or the story's. */
static const char *user_of(struct kf_rule_ctx *ctx, const struct kf_message *err, const struct kf_message *req)
{
	if (err->krb.cname)
		return princ(ctx, err->krb.cname, first_of(err->krb.crealm, err->krb.realm));
	if (req && req->krb.cname)
		return princ(ctx, req->krb.cname, first_of(req->krb.crealm, req->krb.realm));
	const struct kf_story *st = kf_story_of(kf_rule_result(ctx), err);
	return st && st->user ? st->user : NULL;
}

/* The principal asked for: the error's sname, the request's or its ticket's. */
static const char *service_of(struct kf_rule_ctx *ctx, const struct kf_message *err, const struct kf_message *req)
{
	if (err->krb.sname)
		return princ(ctx, err->krb.sname, err->krb.realm);
	if (req && req->krb.sname)
		return princ(ctx, req->krb.sname, req->krb.realm);
	if (req && req->krb.ticket)
		return princ(ctx, req->krb.ticket->sname, req->krb.ticket->realm);
	return NULL;
}

static void fmt_duration(char *buf, size_t len, uint64_t us)
{
	uint64_t s = (us + 500000) / 1000000;
	if (s < 60)
		snprintf(buf, len, "%llu s", (unsigned long long)s);
	else if (s < 3600)
		snprintf(buf, len, s % 60 ? "%llu min %llu s" : "%llu min", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(buf, len, (s / 60) % 60 ? "%llu h %llu min" : "%llu h", (unsigned long long)(s / 3600),
			 (unsigned long long)((s / 60) % 60));
	else
		snprintf(buf, len, "%llu d %llu h", (unsigned long long)(s / 86400),
			 (unsigned long long)((s / 3600) % 24));
}

static const char *ntstatus_text(struct kf_rule_ctx *ctx, const struct kf_message *err)
{
	if (!err->krb.has_ntstatus)
		return NULL;
	const char *n = kf_krb5_ntstatus_name(err->krb.ntstatus);
	return n ? kf_rule_fmt(ctx, "%s (0x%08X)", n, err->krb.ntstatus) : kf_rule_fmt(ctx, "0x%08X", err->krb.ntstatus);
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

static const char *first_component(const char *sname, size_t *len)
{
	const char *slash = sname ? strchr(sname, '/') : NULL;
	*len = sname ? (slash ? (size_t)(slash - sname) : strlen(sname)) : 0;
	return sname;
}

static bool same_service_kind(const char *a, const char *b)
{
	size_t la, lb;
	first_component(a, &la);
	first_component(b, &lb);
	if (!a || !b)
		return !a && !b;
	return la == lb && strncasecmp(a, b, la) == 0;
}

/* Did the client recover from this error at once?  KDC errors: the same
 * client got an AS-REP for the same user and the same kind of service
 * (krbtgt, not kadmin/changepw), or a TGS-REP for the same service, within
 * the window (kf_error_recovered looks only at the cname for AS).  Service
 * errors: the same server answered the same client with an AP-REP or a
 * non-error HTTP status within the window. */
static bool recovered(const struct kf_result *r, const struct kf_message *err)
{
	const struct kf_message *req = kf_msg_request(r, err);
	if (err->carrier == KF_CARRIER_KERBEROS) {
		int rt = req ? req->type : (err->krb.sname && strncasecmp(err->krb.sname, "krbtgt/", 7) == 0 &&
					   err->krb.cname ? KF_KRB_AS_REQ : KF_KRB_TGS_REQ);
		if (rt != KF_KRB_AS_REQ && rt != KF_KRB_TGS_REQ)
			return false;
		const char *cname = req && req->krb.cname ? req->krb.cname : err->krb.cname;
		const char *sname = req && req->krb.sname ? req->krb.sname : err->krb.sname;
		int want = rt == KF_KRB_AS_REQ ? KF_KRB_AS_REP : KF_KRB_TGS_REP;
		struct kf_at_addr at = kf_result_at_addr(r, &err->dst, err->frame + 1);
		for (size_t i = 0; i < at.n; i++) {
			const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
			if (m->ts_us > err->ts_us + WINDOW_US)
				break;
			if (!KF_AT_ADDR_IS_DST(at.v[i]) || m->type != want || m->carrier != KF_CARRIER_KERBEROS)
				continue;
			const struct kf_message *q = kf_msg_request(r, m);
			const char *qc = q && q->krb.cname ? q->krb.cname : m->krb.cname;
			const char *qs = q ? q->krb.sname : NULL;
			if (rt == KF_KRB_AS_REQ ? (name_eq(qc, cname) && (!qs || !sname || same_service_kind(qs, sname)))
						: name_eq(qs, sname))
				return true;
		}
		return false;
	}
	struct kf_at_addr at = kf_result_at_addr(r, &err->dst, err->frame + 1);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->ts_us > err->ts_us + WINDOW_US)
			break;
		if (!KF_AT_ADDR_IS_DST(at.v[i]) || !kf_endpoint_same_addr(&m->src, &err->src))
			continue;
		if (m->type == KF_KRB_AP_REP || (m->type == KF_MSG_HTTP_RESPONSE && m->http && m->http->status &&
						 m->http->status < 400))
			return true;
	}
	return false;
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
		return !sn || strncasecmp(sn, "krbtgt/", 7) == 0 || strchr(sn, '@') || (l && sn[l - 1] == '$') ||
		       name_eq(sn, err->krb.cname) || (err->krb.has_ntstatus && err->krb.ntstatus == 0xC00000BBu);
	}
	if (req->type != KF_KRB_TGS_REQ)
		return false;
	if (req->krb.s4u_user)
		return true;
	if (req->krb.n_addl && req->krb.has_kdc_options && (req->krb.kdc_options & KDC_OPT_CNAME_IN_ADDL_TKT))
		return true;
	return req->krb.sname && strncasecmp(req->krb.sname, "krbtgt/", 7) == 0 && req->krb.has_kdc_options &&
	       (req->krb.kdc_options & KDC_OPT_FORWARDED);
}

/* Which named rule reports this error (NULL: none of this group's). */
static const char *error_rule_of(const struct kf_result *r, const struct kf_message *err)
{
	const struct kf_message *req = kf_msg_request(r, err);
	switch (err->krb.error_code) {
	case 0:   /* KDC_ERR_NONE */
	case 25:  /* PREAUTH_REQUIRED: the normal first round of a login */
	case 91:  /* MORE_PREAUTH_DATA_REQUIRED: FAST/SPAKE round trip */
	case 52:  /* RESPONSE_TOO_BIG: udp-fragmentation */
	case 37:  /* SKEW: clock-skew */
		return NULL;
	case 31: case 41: case 44:
		/* A service's wrong key is ap-err-modified (rules_http.c).  On port 88 in
		 * answer to an AS-REQ it is the pre-authentication failing to decrypt:
		 * older MIT KDCs say BAD_INTEGRITY for a wrong password. */
		if (err->carrier == KF_CARRIER_KERBEROS && req && req->type == KF_KRB_AS_REQ)
			return "preauth-failed";
		return NULL;
	case 6: case 7: return "principal-unknown";
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
	if (a->krb.error_code != b->krb.error_code || !kf_endpoint_same_addr(&a->dst, &b->dst) || a->carrier != b->carrier)
		return false;
	if (a->krb.has_ntstatus != b->krb.has_ntstatus || (a->krb.has_ntstatus && a->krb.ntstatus != b->krb.ntstatus))
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
	return name_same(ca, cb) && name_same(sa, sb);
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
		if (m->ts_us > err->ts_us + WINDOW_US)
			break;
		if (m->type == KF_KRB_TGT_REQ || m->type == KF_KRB_TGT_REP ||
		    (m->type == KF_KRB_TGS_REQ && m->krb.has_kdc_options && (m->krb.kdc_options & KDC_OPT_ENC_TKT_IN_SKEY)))
			return true;
	}
	return false;
}

static bool error_counts(const struct kf_result *r, const struct kf_message *m, const char *id)
{
	if (!is_krb_error(m))
		return false;
	const char *rid = error_rule_of(r, m);
	return rid && strcmp(rid, id) == 0 && !recovered(r, m) && !went_user_to_user(r, m);
}

struct err_text {
	const char *summary, *explanation, *remediation;
	enum kf_severity sev;
};

static const char *from_whom(struct kf_rule_ctx *ctx, const struct kf_message *err)
{
	char a[64];
	kf_endpoint_addr(&err->src, a, sizeof a);
	return err->carrier == KF_CARRIER_KERBEROS ? kf_rule_fmt(ctx, "KDC %s", a) : kf_rule_fmt(ctx, "service %s", a);
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
	const char *user = user_of(ctx, err, req);
	const char *svc = service_of(ctx, err, req);
	const char *who = from_whom(ctx, err);
	char cl[64];
	struct kf_endpoint ce = client_of(err);
	kf_endpoint_addr(&ce, cl, sizeof cl);
	const char *times = count > 1 ? kf_rule_fmt(ctx, " (%zu times)", count) : "";
	const char *det = err_details(ctx, err);
	int32_t code = err->krb.error_code;
	const char *u = user ? user : kf_rule_fmt(ctx, "the user of client %s", cl);
	const char *s = svc ? svc : "the requested service";
	uint32_t nt = err->krb.has_ntstatus ? err->krb.ntstatus : 0;

	if (strcmp(id, "principal-unknown") == 0) {
		if (code == 6) {
			t.summary = kf_rule_fmt(ctx, "%s: user %s is unknown to the KDC (KDC_ERR_C_PRINCIPAL_UNKNOWN)%s%s",
						who, u, times, det);
			t.explanation = "The KDC has no account with this name in its realm: the user name is "
					"mistyped, the account was deleted or renamed, the realm (domain) is wrong, or the "
					"client asked a KDC of another realm. Authentication cannot start.";
			t.remediation = "Check the user name and realm the client used (klist, whoami /upn; on MIT: "
					"kinit user@REALM with the realm in capitals). In AD, look the account up "
					"(Get-ADUser -Filter \"UserPrincipalName -eq 'user@realm'\" or by sAMAccountName); "
					"on MIT, kadmin -q \"getprinc user\". Create or re-enable the account, or fix the "
					"name/realm mapping (krb5.conf default_realm, [domain_realm]).";
		} else if (err->krb.sname && strncasecmp(err->krb.sname, "DNS/", 4) == 0) {
			t.sev = KF_SEV_INFO;
			t.summary = kf_rule_fmt(ctx, "%s: no account owns the SPN %s (KDC_ERR_S_PRINCIPAL_UNKNOWN): a secure DNS update attempt by %s from %s%s",
						who, s, user ? user : "the client", cl, times);
			t.explanation = "Windows' DNS client tried a secure dynamic update (GSS-TSIG) against the DNS "
					"server it found authoritative for one of its zones, and that server has no "
					"account in the realm (typically a public server for a reverse zone). It does not "
					"affect logons or web authentication.";
			t.remediation = "Nothing to fix for authentication. To silence it, host the reverse zone on "
					"the AD DNS servers, or turn off registration for that adapter/zone "
					"(Register this connection's addresses in DNS).";
		} else if (err->krb.sname && !strchr(err->krb.sname, '/')) {
			t.sev = KF_SEV_WARNING;
			t.summary = kf_rule_fmt(ctx, "%s: no service principal %s (KDC_ERR_S_PRINCIPAL_UNKNOWN): %s asked for a ticket to an account name, not an SPN%s",
						who, s, user ? user : cl, times);
			t.explanation = "The client asked for a service ticket naming an account rather than an SPN "
					"(service/host). Windows does this when a service runs under a user account "
					"(RPC, SMB or HTTP with a UPN as target); without an SPN on that account the KDC "
					"cannot issue a ticket, and the client falls back to user-to-user Kerberos or "
					"NTLM. Authentication may still succeed, but not with a normal service ticket.";
			t.remediation = kf_rule_fmt(ctx, "If the service should use Kerberos, register an SPN on the "
					"account it runs as (setspn -S <service>/<host> <account>; setspn -L %s lists the "
					"account's SPNs) and make the client target that SPN.", err->krb.sname);
		} else {
			t.summary = kf_rule_fmt(ctx, "%s: no account owns the SPN %s (KDC_ERR_S_PRINCIPAL_UNKNOWN), asked by %s from %s%s%s",
						who, s, user ? user : "the client", cl, times, det);
			t.explanation = "The client asked for a service ticket for a service principal name (SPN) that "
					"is registered on no account in the realm, so the KDC cannot issue a ticket. "
					"HTTP Negotiate then falls back to NTLM (or fails where NTLM is not allowed). Common "
					"causes: the SPN was never registered for the site's host name (or the alias/CNAME "
					"the browser used), the name is misspelt, or the host belongs to another realm "
					"without a [domain_realm] mapping.";
			t.remediation = kf_rule_fmt(ctx,
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
		t.summary = kf_rule_fmt(ctx, "%s: %s is registered on more than one account (KDC_ERR_PRINCIPAL_NOT_UNIQUE)%s%s",
					who, svc ? svc : u, times, det);
		t.explanation = "The KDC found the principal on several accounts (a duplicate SPN or UPN) and will "
				"not choose: no ticket is issued.";
		t.remediation = "List duplicates with setspn -X (or setspn -Q <SPN>) and remove the SPN from every "
				"account but the one the service runs as: setspn -D <SPN> <wrong account>.";
	} else if (strcmp(id, "preauth-failed") == 0) {
		t.summary = kf_rule_fmt(ctx, "%s: pre-authentication failed for %s: wrong password (%s)%s%s", who, u,
					err_name(code), times, det);
		t.explanation = code == 24 ?
			"The client proved knowledge of the password with an encrypted timestamp (PA-ENC-TIMESTAMP) and "
			"the KDC could not decrypt it with the account's key: the password typed (or stored in a "
			"keytab, service or scheduled task, mapped drive, credential manager) is not the account's "
			"current password. Repeated failures lock the account out where a lockout policy applies." :
			"The KDC could not decrypt the pre-authentication data with the account's key (an integrity "
			"failure on the encrypted timestamp): the password or keytab used is not the account's current "
			"one. Older MIT KDCs report a wrong password this way.";
		t.remediation = "Use the current password (kinit user@REALM again, or re-enter it); update stored "
				"credentials (services, scheduled tasks, Credential Manager: cmdkey /list) and "
				"regenerate keytabs after a password change (ktpass on AD, kadmin ktadd on MIT). Check "
				"the account's badPwdCount/lockout state (Get-ADUser user -Properties "
				"badPwdCount,LockedOut) and event 4771 on the DC.";
	} else if (strcmp(id, "client-revoked") == 0) {
		const char *why =
			nt == 0xC0000072u ? "the account is disabled" :
			nt == 0xC0000234u ? "the account is locked out" :
			nt == 0xC0000193u ? "the account has expired" :
			nt == 0xC000006Fu ? "the account may not log on at this time (logon hours)" :
			nt == 0xC0000070u ? "the account may not log on from this workstation" :
			nt == 0xC000006Eu ? "an account restriction applies (e.g. Protected Users, blank password)" :
			nt == 0xC0000071u ? "the password has expired" :
			err->krb.has_ntstatus ? "the account is not allowed to log on" :
			"the account is disabled, locked out or expired (the KDC did not say which)";
		t.summary = kf_rule_fmt(ctx, "%s: credentials of %s revoked: %s (KDC_ERR_CLIENT_REVOKED)%s%s", who, u,
					why, times, det);
		t.explanation = err->krb.has_ntstatus ?
			"The KDC refused to issue tickets for this account; its NTSTATUS says why. The password may well "
			"be right: the account itself may not log on." :
			"The KDC refused to issue tickets for this account: it is disabled, locked out (too many bad "
			"passwords; Samba sends a lock-out without NTSTATUS, MIT says it in the e-text) or expired. The "
			"capture does not say which; the account's state in the directory does.";
		t.remediation = nt == 0xC0000234u || !err->krb.has_ntstatus ?
			"Check the account: Get-ADUser user -Properties Enabled,LockedOut,AccountExpirationDate,"
			"lockoutTime (Samba: samba-tool user show user). Unlock with Unlock-ADAccount user (samba-tool "
			"user unlock), enable with Enable-ADAccount (samba-tool user enable), or extend the expiry "
			"(Set-ADAccountExpiration; MIT: kadmin modprinc -unlock / -expire). Find the source of bad "
			"passwords (event 4740/4771 on the PDC emulator) before unlocking." :
			nt == 0xC0000072u ? "Enable the account if it should log on: Enable-ADAccount user (samba-tool user enable user; MIT: kadmin modprinc +allow_tix user)." :
			nt == 0xC0000193u ? "Extend or clear the account's expiry date: Set-ADAccountExpiration user -DateTime <date> or Clear-ADAccountExpiration user (samba-tool user setexpiry user --noexpiry)." :
			"Review the account's logon restrictions (logon hours, allowed workstations, Protected Users membership) in Active Directory Users and Computers.";
	} else if (strcmp(id, "key-expired") == 0) {
		const char *why = nt == 0xC0000224u ? "the user must change the password at next logon" :
				  "the password has expired";
		t.summary = kf_rule_fmt(ctx, "%s: %s for %s (KDC_ERR_KEY_EXPIRED)%s%s", who, why, u, times, det);
		t.explanation = "The KDC will not issue a TGT until the password is changed: it expired "
				"(maximum password age) or the account is flagged \"must change password at next "
				"logon\". Interactive clients then ask for a kadmin/changepw ticket to change it; "
				"services and scripts using this account simply fail.";
		t.remediation = "Change the password (Ctrl+Alt+Del on Windows, kpasswd or kinit prompting on "
				"Linux, Set-ADAccountPassword user -Reset for an administrator), then update every "
				"place that stores it. For service accounts, use a managed service account (gMSA) or "
				"set the password not to expire by policy rather than by hand.";
	} else if (strcmp(id, "etype-nosupp") == 0) {
		char offered[160] = "";
		size_t ol = 0;
		for (uint8_t i = 0; req && i < req->krb.n_etypes && ol + 32 < sizeof offered; i++) {
			const char *en = kf_krb5_etype_name(req->krb.etypes[i]);
			int n = snprintf(offered + ol, sizeof offered - ol, "%s%s", i ? ", " : "", en ? en : "?");
			if (n > 0)
				ol += (size_t)n;
		}
		t.summary = kf_rule_fmt(ctx, "%s: no common encryption type for %s%s%s (KDC_ERR_ETYPE_NOSUPP)%s%s%s%s", who,
					req && req->type == KF_KRB_AS_REQ ? "user " : "", req && req->type == KF_KRB_AS_REQ ? u : s,
					req && req->type == KF_KRB_AS_REQ ? "" : kf_rule_fmt(ctx, " asked by %s", user ? user : cl),
					times, det, ol ? "; client offered " : "", offered);
		t.explanation = "The KDC found no encryption type that the client offered, the account has keys "
				"for, and policy allows: the account may have only RC4/DES keys (password not changed "
				"since AES was enabled, msDS-SupportedEncryptionTypes limited), the client may offer "
				"only weak types that the KDC refuses (RC4 disabled on the DC, or MIT's allow_weak_crypto "
				"/ allow_rc4 off), or a service's session-key types exclude all the client's.";
		t.remediation = "Compare the etypes in the request with the account's keys: in AD check "
				"msDS-SupportedEncryptionTypes of the account (0x18 = AES128+AES256) and reset its "
				"password once so AES keys exist (for the krbtgt and service accounts too); on MIT "
				"kadmin getprinc shows the keys (cpw -randkey -e aes256-cts:normal to add AES). On the "
				"client, allow AES: GPO \"Network security: Configure encryption types allowed for "
				"Kerberos\", or krb5.conf permitted_enctypes/default_tkt_enctypes. Do not re-enable RC4 "
				"or DES as the fix.";
	} else if (strcmp(id, "ticket-expired") == 0) {
		t.summary = kf_rule_fmt(ctx, "%s: the ticket presented for %s has expired (KRB_AP_ERR_TKT_EXPIRED)%s%s",
					who, s, times, det);
		t.explanation = "The client used a ticket past its end time and did not get a fresh one: a "
				"long-running process holding an old ticket cache, a ticket cache that is never "
				"renewed (kinit -R, k5start, sssd), or clocks out of step with the KDC.";
		t.remediation = "Get fresh tickets (klist purge then retry on Windows; kinit or kinit -R on Linux); "
				"renew long-running service credentials automatically (keytab-based kinit via k5start or "
				"the service's own keytab, sssd for users); check the clocks if it keeps happening.";
	} else if (strcmp(id, "ticket-not-yet-valid") == 0) {
		t.summary = kf_rule_fmt(ctx, "%s: the ticket for %s is not yet valid (KRB_AP_ERR_TKT_NYV)%s%s", who, s,
					times, det);
		t.explanation = "The ticket's start time lies in the receiver's future: the clocks of KDC and "
				"service (or client) differ, or a post-dated ticket was used before its start time.";
		t.remediation = "Synchronise the clocks of KDC, service and client (w32tm /resync, chronyc "
				"makestep) and get a new ticket (klist purge / kinit).";
	} else if (strcmp(id, "not-us") == 0) {
		t.summary = kf_rule_fmt(ctx, "%s: the ticket for %s is for another service (KRB_AP_ERR_NOT_US)%s%s", who,
					s, times, det);
		t.explanation = "The service received a ticket issued for a different principal than its own: "
				"the client asked for the SPN of another host (an alias, a load-balanced name, a stale "
				"DNS record), or the service's keytab/account does not hold this SPN.";
		t.remediation = "Make the name the client uses resolve to the service that owns the SPN, register "
				"the SPN on the account the service actually runs as (setspn -S HTTP/name account; "
				"setspn -Q HTTP/name to find the owner), and put the matching key in its keytab.";
	} else if (strcmp(id, "policy") == 0) {
		t.summary = kf_rule_fmt(ctx, "%s: the KDC's policy refused %s for %s (KDC_ERR_POLICY)%s%s", who, s, u,
					times, det);
		t.explanation = "A KDC policy refused the request: in AD, for example, an authentication policy "
				"or silo, Protected Users restrictions, a smart-card-required account logging on with a "
				"password, or a delegation policy; on MIT a policy/flag on the principal. The "
				"NTSTATUS/e-text, when present, names it.";
		t.remediation = "Check the account's restrictions (Get-ADUser user -Properties "
				"SmartcardLogonRequired,msDS-AssignedAuthNPolicy,memberOf for Protected Users) and "
				"the DC's Kerberos operational log / events 4768/4769 with their failure code; on MIT, "
				"kadmin getprinc for the principal's flags.";
	} else if (strcmp(id, "badoption") == 0) {
		t.summary = kf_rule_fmt(ctx, "%s: the KDC cannot honour the options asked for %s (KDC_ERR_BADOPTION)%s%s",
					who, s, times, det);
		t.explanation = "The KDC refused an option of the request: a forwardable/renewable/proxiable "
				"ticket the account or policy does not allow, a renewal of a non-renewable ticket, or "
				"a user-to-user/validate request it cannot serve.";
		t.remediation = "Look at the KDC options of the request against the account's and realm's "
				"settings (AD: \"Account is sensitive and cannot be delegated\", delegation settings; "
				"MIT: principal flags -allow_forwardable / -allow_renewable, maxrenewlife).";
	} else if (strcmp(id, "wrong-realm") == 0) {
		t.summary = kf_rule_fmt(ctx, "%s: request for %s sent to the wrong realm (KDC_ERR_WRONG_REALM)%s%s", who,
					svc ? svc : u, times, det);
		t.explanation = "The KDC answered that the principal belongs to another realm (a referral) and "
				"the client did not follow it to that realm's KDC.";
		t.remediation = "Give the client the realm mapping ([domain_realm] in krb5.conf, or the right "
				"UPN suffix/trust routing in AD) and make the other realm's KDC reachable (DNS SRV "
				"records _kerberos._tcp.<realm>).";
	} else {
		t.summary = kf_rule_fmt(ctx, "%s: %s (%d) for %s%s%s", who, err_name(code), code,
					svc ? svc : u, times, det);
		t.explanation = code_meaning(code);
		t.remediation = "Look up the error and the e-text/NTSTATUS in the KDC's or service's log (Windows: "
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
		uint64_t frames[MAX_EV];
		size_t nf = 0, count = 0;
		struct kf_at_addr at = kf_result_at_addr(r, &err->dst, err->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *o = KF_AT_ADDR_MSG(r, at.v[j]);
			if (!KF_AT_ADDR_IS_DST(at.v[j]) || o < err ||
			    (o != err && !(error_counts(r, o, id) && same_error(r, o, err))))
				continue;
			count++;
			add_msg_frames(frames, &nf, kf_msg_request(r, o));
			add_frame(frames, &nf, o->frame);
		}
		const struct kf_message *req = kf_msg_request(r, err);
		struct err_text t = describe_error(ctx, id, err, req, count);
		kf_finding_add(ctx, t.sev, KF_CONF_CERTAIN, frames, nf, t.summary, t.explanation, t.remediation);
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

/* ---- clock-skew ---------------------------------------------------------- */

static int64_t krb_time_us(int64_t s, int32_t us) { return s * 1000000 + (us >= 0 && us < 1000000 ? us : 0); }

/* How far a KDC's clock is from the capture's, from any KDC error carrying
 * stime (other than from `not_from`); false when no KDC error says. */
static bool kdc_reference(const struct kf_result *r, const struct kf_endpoint *not_from, int64_t *off,
			  struct kf_endpoint *kdc)
{
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *m = &r->messages[i];
		if (m->type != KF_KRB_ERROR || m->carrier != KF_CARRIER_KERBEROS || !m->krb.has_stime ||
		    m->krb.error_code == 37)
			continue;
		if (not_from && kf_endpoint_same_addr(&m->src, not_from))
			continue;
		*off = krb_time_us(m->krb.stime, m->krb.susec) - (int64_t)m->ts_us;
		*kdc = m->src;
		return true;
	}
	return false;
}

#define AGREE_US (60ll * 1000000ll)

static void rule_clock_skew(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *err = &r->messages[i];
		if (!is_krb_error(err) || err->krb.error_code != 37)
			continue;
		struct kf_key key = kf_key_new();
		kf_key_addr(&key, &err->src);
		kf_key_addr(&key, &err->dst);
		if (!kf_seen_add(ctx, &seen, key))
			continue;
		uint64_t frames[MAX_EV];
		size_t nf = 0, count = 0, recovered_n = 0;
		const struct kf_message *first_t = NULL; /* first with stime */
		struct kf_at_addr at = kf_result_at_addr(r, &err->dst, err->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *o = KF_AT_ADDR_MSG(r, at.v[j]);
			if (!KF_AT_ADDR_IS_DST(at.v[j]) || o < err || !is_krb_error(o) || o->krb.error_code != 37 ||
			    !kf_endpoint_same_addr(&o->src, &err->src))
				continue;
			count++;
			recovered_n += recovered(r, o);
			add_msg_frames(frames, &nf, kf_msg_request(r, o));
			add_frame(frames, &nf, o->frame);
			if (!first_t && o->krb.has_stime)
				first_t = o;
		}
		const struct kf_message *req = kf_msg_request(r, err);
		bool kdc = err->carrier == KF_CARRIER_KERBEROS;
		char cl[64], sv[64], dur[48];
		kf_endpoint_addr(&err->dst, cl, sizeof cl);
		kf_endpoint_addr(&err->src, sv, sizeof sv);
		const char *svc = service_of(ctx, err, req);
		const char *user = user_of(ctx, err, req);
		const char *sender = kdc ? kf_rule_fmt(ctx, "the KDC (%s)", sv) :
				     kf_rule_fmt(ctx, "the service %s%s%s%s", svc ? svc : "", svc ? " (" : "", sv, svc ? ")" : "");
		const char *client = kf_rule_fmt(ctx, "client %s%s%s%s", cl, user ? " (" : "", user ? user : "", user ? ")" : "");
		const char *who = NULL;   /* "client clock 10 min behind the KDC" */
		const char *how = NULL;   /* how it was measured */
		if (first_t && first_t->krb.has_ctime) {
			int64_t d = krb_time_us(first_t->krb.stime, first_t->krb.susec) -
				    krb_time_us(first_t->krb.ctime, first_t->krb.cusec);
			fmt_duration(dur, sizeof dur, (uint64_t)(d < 0 ? -d : d));
			who = kf_rule_fmt(ctx, "%s clock %s %s %s", client, dur, d > 0 ? "behind" : "ahead of",
					  kdc ? "the KDC" : "the service");
			how = kf_rule_fmt(ctx, "The error's stime (%s's clock) and ctime (the time the client claimed "
					  "in its request) differ by %s.", kdc ? "the KDC" : "the service", dur);
		} else if (first_t) {
			int64_t e = krb_time_us(first_t->krb.stime, first_t->krb.susec) - (int64_t)first_t->ts_us;
			int64_t koff = 0;
			struct kf_endpoint kref;
			bool have_ref = !kdc && kdc_reference(r, &err->src, &koff, &kref);
			if (e > AGREE_US || e < -AGREE_US) {
				fmt_duration(dur, sizeof dur, (uint64_t)(e < 0 ? -e : e));
				if (!kdc && have_ref && koff < AGREE_US && koff > -AGREE_US) {
					who = kf_rule_fmt(ctx, "%s clock %s %s the KDC", kdc ? "KDC" : "service", dur,
							  e > 0 ? "ahead of" : "behind");
					char ka[64];
					kf_endpoint_addr(&kref, ka, sizeof ka);
					how = kf_rule_fmt(ctx, "The error's stime (the service's clock) is %s %s the capture's "
							  "time, while the KDC %s's own stime agrees with the capture: the "
							  "service's clock is wrong, not the client's.",
							  dur, e > 0 ? "after" : "before", ka);
				} else {
					who = kf_rule_fmt(ctx, "%s clock %s %s the capture's clock", kdc ? "KDC" : "service", dur,
							  e > 0 ? "ahead of" : "behind");
					how = kf_rule_fmt(ctx, "The error's stime (%s's clock) is %s %s the time the capture "
							  "recorded for the packet; whichever of the two is right, %s and "
							  "the client disagree by about that much.",
							  kdc ? "the KDC" : "the service", dur, e > 0 ? "after" : "before",
							  kdc ? "the KDC" : "the service");
				}
			} else {
				/* The sender agrees with the capture: the client is off.  Its
				 * timestamp is encrypted; an MIT/Heimdal-style request end time
				 * (now + whole hours by the client's clock) tells how far. */
				int64_t est = 0;
				bool have_est = false;
				if (req && req->krb.has_till) {
					int64_t life = req->krb.till * 1000000 - (int64_t)req->ts_us;
					if (life > 3600ll * 1000000 - 1800ll * 1000000 && life < 8ll * 86400 * 1000000) {
						int64_t hours = (life + 1800ll * 1000000) / (3600ll * 1000000);
						est = life - hours * 3600ll * 1000000;
						have_est = est > AGREE_US || est < -AGREE_US;
					}
				}
				if (have_est) {
					fmt_duration(dur, sizeof dur, (uint64_t)(est < 0 ? -est : est));
					who = kf_rule_fmt(ctx, "client clock about %s %s %s", dur, est < 0 ? "behind" : "ahead of",
							  kdc ? "the KDC" : "the service");
					how = kf_rule_fmt(ctx, "%s's stime agrees with the capture's time, so its clock is "
							  "right. The client's own timestamp is encrypted, but its request asks "
							  "for a ticket ending %s %s a whole number of hours after the capture's "
							  "time: the client computed \"now + lifetime\" from a clock %s %s "
							  "(an estimate, assuming a whole-hour ticket lifetime).",
							  kdc ? "The KDC" : "The service", dur, est < 0 ? "short of" : "beyond",
							  dur, est < 0 ? "behind" : "ahead");
				} else {
					who = kf_rule_fmt(ctx, "client clock off from %s by more than the tolerance",
							  kdc ? "the KDC" : "the service");
					how = kf_rule_fmt(ctx, "%s's stime agrees with the capture's time, so the client's "
							  "clock is the one that is off; the client's timestamp is encrypted, so "
							  "the amount is not visible (more than the 5-minute default).",
							  kdc ? "The KDC" : "The service");
				}
			}
		} else {
			who = kf_rule_fmt(ctx, "clocks of %s and %s differ by more than the tolerance", client, sender);
			how = "The error carries no time to measure the offset with.";
		}
		bool all_recovered = recovered_n == count;
		const char *summary = kf_rule_fmt(ctx, "KRB_AP_ERR_SKEW from %s for %s: %s%s%s", sender,
						  user ? user : client, who,
						  count > 1 ? kf_rule_fmt(ctx, " (%zu errors)", count) : "",
						  all_recovered ? "; the client retried at once and succeeded" : "");
		const char *expl = kf_rule_fmt(ctx,
			"%s refused the %s because the time in it is too far from its own clock (Kerberos accepts 5 "
			"minutes of difference by default; timestamps are UTC, so time zones do not matter). %s %s",
			kdc ? kf_rule_fmt(ctx, "The KDC (%s)", sv) : kf_rule_fmt(ctx, "The service at %s", sv),
			kdc ? "request (its pre-authentication timestamp or authenticator)" : "AP-REQ's authenticator",
			how,
			all_recovered ? "Each time the client then repeated the request and got its reply at once (Windows "
					"clients correct their time from the error's stime and retry), so authentication works, "
					"at the cost of an extra round trip and a fragile setup." :
			kdc ? "Without a TGT the client cannot get service tickets: Negotiate falls back to NTLM or the "
			      "user is prompted." :
			      "The service rejects every ticket from this client until the clocks agree (the 401 "
			      "carries the error inside SPNEGO).");
		kf_finding_add(ctx, all_recovered ? KF_SEV_WARNING : KF_SEV_ERROR, KF_CONF_CERTAIN, frames, nf, summary, expl,
			"Synchronise the clocks, don't widen the tolerance. Windows domain members follow the domain "
			"hierarchy: w32tm /resync (w32tm /query /status shows the source), and the PDC emulator should "
			"sync from a reliable source (w32tm /config /manualpeerlist:<ntp> /syncfromflags:manual "
			"/reliable:yes /update). Linux: run chrony or ntpd against the DCs (chronyc tracking; chronyc "
			"makestep to step at once). Virtual machines: stop the hypervisor's time sync fighting NTP. The "
			"tolerance is the GPO \"Maximum tolerance for computer clock synchronization\" (5 min) or "
			"krb5.conf clockskew = 300.");
	}
	kf_seen_free(&seen);
}

/* ---- weak-etype ---------------------------------------------------------- */

/* RC4 (23, 24 and Microsoft's negative RC4 variants) and single DES (1-3, and
 * Microsoft's DES_PLAIN -132). */
static bool etype_weak(int32_t e)
{
	return (e >= 1 && e <= 3) || e == 23 || e == 24 || (e <= -128 && e >= -141);
}

static bool etype_aes(int32_t e) { return e >= 17 && e <= 20; }

static const char *etype_text(struct kf_rule_ctx *ctx, int32_t e)
{
	const char *n = kf_krb5_etype_name(e);
	bool des = (e >= 1 && e <= 3) || e == -132;
	return kf_rule_fmt(ctx, "%s (%s, etype %d)", des ? "DES" : "RC4", n ? n : "?", e);
}

enum weak_kind { WEAK_NONE = 0, WEAK_TICKET, WEAK_REPLY_KEY, WEAK_ONLY_OFFER, WEAK_NOSUPP };

/* What makes m evidence of weak encryption (WEAK_NONE: nothing). */
static enum weak_kind weak_evidence(const struct kf_result *r, const struct kf_message *m, int32_t *etype)
{
	const struct kf_krb_rec *k = &m->krb;
	switch (m->type) {
	case KF_KRB_AS_REP: case KF_KRB_TGS_REP: case KF_KRB_AP_REQ: case KF_KRB_TGS_REQ:
		if (k->ticket && etype_weak(k->ticket->etype)) {
			*etype = k->ticket->etype;
			return WEAK_TICKET;
		}
		if (m->type == KF_KRB_AS_REP && k->has_enc_etype && etype_weak(k->enc_etype)) {
			*etype = k->enc_etype;
			return WEAK_REPLY_KEY;
		}
		break;
	default: break;
	}
	if ((m->type == KF_KRB_AS_REQ || m->type == KF_KRB_TGS_REQ) && k->n_etypes) {
		bool all = true;
		for (uint8_t i = 0; i < k->n_etypes && all; i++)
			all = etype_weak(k->etypes[i]);
		if (all) {
			*etype = k->etypes[0];
			return WEAK_ONLY_OFFER;
		}
	}
	if (m->type == KF_KRB_ERROR && k->error_code == 14 && m->carrier == KF_CARRIER_KERBEROS && !recovered(r, m)) {
		/* ETYPE_NOSUPP although the client offered AES: the account (or its
		 * session-key policy) has only weaker types. */
		const struct kf_message *req = kf_msg_request(r, m);
		if (!req || req->type != KF_KRB_TGS_REQ)
			return WEAK_NONE; /* AS: the user may simply have no key at all */
		bool aes = false;
		for (uint8_t i = 0; req && i < req->krb.n_etypes && !aes; i++)
			aes = etype_aes(req->krb.etypes[i]);
		if (aes) {
			*etype = 0;
			return WEAK_NOSUPP;
		}
	}
	return WEAK_NONE;
}

static void rule_weak_etype(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_seen seen = { 0 };
	for (size_t i = 0; i < r->n_messages; i++) {
		int32_t et;
		const struct kf_message *m = &r->messages[i];
		if (!weak_evidence(r, m, &et))
			continue;
		struct kf_endpoint c = client_of(m);
		struct kf_key key = kf_key_new();
		kf_key_addr(&key, &c);
		if (!kf_seen_add(ctx, &seen, key))
			continue;
		uint64_t frames[MAX_EV];
		size_t nf = 0;
		const char *tickets[6];
		size_t nt = 0, more_tickets = 0;
		const char *parts[4] = { NULL, NULL, NULL, NULL };
		bool certain = false, nosupp = false, only_offer = false;
		int32_t ticket_etype = 0, offer_etype = 0;
		const char *nosupp_svc = NULL, *reply_user = NULL, *offer_for = NULL;
		int32_t reply_etype = 0;
		struct kf_at_addr at = kf_result_at_addr(r, &c, m->frame);
		for (size_t j = 0; j < at.n; j++) {
			const struct kf_message *o = KF_AT_ADDR_MSG(r, at.v[j]);
			if (o < m)
				continue;
			enum weak_kind k = weak_evidence(r, o, &et);
			if (!k)
				continue;
			struct kf_endpoint c2 = client_of(o);
			if (!kf_endpoint_same_addr(&c, &c2))
				continue;
			add_msg_frames(frames, &nf, o);
			switch (k) {
			case WEAK_TICKET: {
				certain = true;
				const char *t = princ(ctx, o->krb.ticket->sname, o->krb.ticket->realm);
				bool dup = false;
				for (size_t x = 0; x < nt && !dup; x++)
					dup = name_eq(tickets[x], t);
				if (!dup) {
					if (nt < 6)
						tickets[nt++] = t;
					else
						more_tickets++;
				}
				if (!ticket_etype)
					ticket_etype = et;
				break;
			}
			case WEAK_REPLY_KEY:
				certain = true;
				if (!reply_user) {
					reply_user = o->krb.cname ? princ(ctx, o->krb.cname, o->krb.crealm) : "the user";
					reply_etype = et;
				}
				break;
			case WEAK_ONLY_OFFER:
				certain = true;
				if (!only_offer) {
					only_offer = true;
					offer_etype = et;
					offer_for = o->type == KF_KRB_AS_REQ ?
						(o->krb.cname ? princ(ctx, o->krb.cname, first_of(o->krb.crealm, o->krb.realm)) : "its TGT") :
						(o->krb.sname ? princ(ctx, o->krb.sname, o->krb.realm) : "a service");
				}
				add_msg_frames(frames, &nf, kf_msg_reply(r, o));
				break;
			case WEAK_NOSUPP:
				nosupp = true;
				if (!nosupp_svc)
					nosupp_svc = service_of(ctx, o, kf_msg_request(r, o));
				add_msg_frames(frames, &nf, kf_msg_request(r, o));
				break;
			default: break;
			}
		}
		char cl[64];
		kf_endpoint_addr(&c, cl, sizeof cl);
		size_t np = 0;
		if (nt) {
			char list[512] = "";
			size_t ll = 0;
			for (size_t x = 0; x < nt; x++) {
				int n = snprintf(list + ll, sizeof list - ll, "%s%s", x ? ", " : "", tickets[x]);
				if (n > 0 && (size_t)n < sizeof list - ll)
					ll += (size_t)n;
			}
			parts[np++] = kf_rule_fmt(ctx, "%s ticket%s for %s%s", etype_text(ctx, ticket_etype),
						  nt + more_tickets > 1 ? "s" : "", list,
						  more_tickets ? kf_rule_fmt(ctx, " and %zu more", more_tickets) : "");
		}
		if (reply_user)
			parts[np++] = kf_rule_fmt(ctx, "AS reply encrypted with %s's %s key", reply_user,
						  etype_text(ctx, reply_etype));
		if (only_offer)
			parts[np++] = kf_rule_fmt(ctx, "request for %s offered only %s", offer_for,
						  etype_text(ctx, offer_etype));
		if (nosupp)
			parts[np++] = kf_rule_fmt(ctx, "KDC_ERR_ETYPE_NOSUPP for %s although AES was offered",
						  nosupp_svc ? nosupp_svc : "a service");
		const char *summary = kf_rule_fmt(ctx, "weak Kerberos encryption for client %s: %s%s%s%s%s%s", cl,
			parts[0], np > 1 ? "; " : "", np > 1 ? parts[1] : "", np > 2 ? "; " : "", np > 2 ? parts[2] : "",
			np > 3 ? kf_rule_fmt(ctx, "; %s", parts[3]) : "");
		const char *expl = kf_rule_fmt(ctx, "%s%s%s%s",
			nt ? "Tickets were issued or presented encrypted with RC4-HMAC or DES: the service account "
			     "(or krbtgt for TGTs) has no AES key or is limited to these types "
			     "(msDS-SupportedEncryptionTypes), or the KDC is old. RC4 keys are the NT hash of the "
			     "password, so such tickets can be cracked offline (Kerberoasting), and Windows is "
			     "removing RC4 by default. " : "",
			reply_user ? "The AS reply was encrypted with the user's RC4/DES key: the account's "
				     "password predates AES keys (reset before the domain had 2008+ DCs) or the "
				     "client asked for RC4 first. " : "",
			only_offer ? "The client offered only RC4/DES types: its configuration (GPO \"Configure "
				     "encryption types allowed for Kerberos\", krb5.conf default_tkt_enctypes/"
				     "default_tgs_enctypes) excludes AES, or it is a tool using the NT hash "
				     "(pass-the-hash/over-pass-the-hash). " : "",
			nosupp ? "The KDC found no common encryption type although the client offered AES: the "
				 "service or user account most likely has only RC4/DES keys, or its allowed session "
				 "types exclude AES (likely, not certain: the account's keys are not on the wire; "
				 "its msDS-SupportedEncryptionTypes or kadmin getprinc would make it certain). " : "");
		kf_finding_add(ctx, KF_SEV_WARNING, certain ? KF_CONF_CERTAIN : KF_CONF_LIKELY, frames, nf, summary, expl,
			"Give the accounts AES keys and use them: reset the service account's password once (or "
			"krbtgt's, twice, for TGTs) after AES is supported, set msDS-SupportedEncryptionTypes to 0x18 "
			"(AES128+AES256) on the account (Set-ADUser/Set-ADComputer -KerberosEncryptionType "
			"AES128,AES256) and regenerate keytabs with AES (ktpass /crypto AES256-SHA1; MIT kadmin "
			"ktadd -e aes256-cts:normal). On clients, allow AES in the GPO or krb5.conf and drop "
			"rc4-hmac/des from the permitted list once every account has AES keys.");
	}
	kf_seen_free(&seen);
}

/* ---- udp-fragmentation --------------------------------------------------- */

/* A later request over TCP by the client answered with a ticket (the retry
 * MIT and Windows clients make after RESPONSE_TOO_BIG or a lost reply). */
static const struct kf_message *tcp_retry(const struct kf_result *r, const struct kf_endpoint *client,
					  uint64_t after, int want_type, const char *cname, const char *sname,
					  const struct kf_message **reply)
{
	const struct kf_message *any = NULL;
	*reply = NULL;
	struct kf_at_addr at = kf_result_at_addr(r, client, after + 1);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->carrier != KF_CARRIER_KERBEROS || m->transport != KF_TRANSPORT_TCP ||
		    !kf_endpoint_same_addr(&m->src, client) || (m->type != KF_KRB_AS_REQ && m->type != KF_KRB_TGS_REQ))
			continue;
		if (want_type && m->type != want_type)
			continue;
		if (want_type == KF_KRB_AS_REQ && cname && m->krb.cname && !name_eq(cname, m->krb.cname))
			continue;
		if (want_type == KF_KRB_TGS_REQ && sname && m->krb.sname && !name_eq(sname, m->krb.sname))
			continue;
		const struct kf_message *rep = kf_msg_reply(r, m);
		if (rep && (rep->type == KF_KRB_AS_REP || rep->type == KF_KRB_TGS_REP)) {
			*reply = rep;
			return m;
		}
		if (!any)
			any = m;
	}
	return any;
}

#define MAX_CLIENTS KF_LIMIT_RULE_GROUPS

static void rule_udp_fragmentation(struct kf_rule_ctx *ctx)
{
	const struct kf_result *r = kf_rule_result(ctx);
	struct kf_endpoint clients[MAX_CLIENTS];
	size_t nc = 0;
	/* Clients with any evidence, in order of appearance. */
	for (size_t i = 0; i < r->n_messages + r->n_tevents; i++) {
		struct kf_endpoint c;
		if (i < r->n_messages) {
			const struct kf_message *m = &r->messages[i];
			if (m->carrier != KF_CARRIER_KERBEROS || m->transport != KF_TRANSPORT_UDP)
				continue;
			if (!(m->ip_fragments > 1 || (m->type == KF_KRB_ERROR && m->krb.error_code == 52)))
				continue;
			c = client_of(m);
		} else {
			const struct kf_tevent *t = &r->tevents[i - r->n_messages];
			if (t->kind != KF_TEV_FRAG_INCOMPLETE || (t->dst.port != 88 && t->src.port != 88))
				continue;
			c = t->dst.port == 88 ? t->src : t->dst;
		}
		bool dup = false;
		for (size_t k = 0; k < nc && !dup; k++)
			dup = kf_endpoint_same_addr(&clients[k], &c);
		if (!dup && nc < MAX_CLIENTS)
			clients[nc++] = c;
	}
	for (size_t k = 0; k < nc; k++) {
		const struct kf_endpoint *c = &clients[k];
		uint64_t frames[MAX_EV];
		size_t nf = 0;
		unsigned too_big = 0, too_big_ok = 0, too_big_none = 0, too_big_failed = 0, frag_ok = 0, lost = 0,
			 lost_replies = 0, lost_retry_ok = 0;
		bool ends_early = false;
		char kdc[64] = "";
		uint64_t retry_frame = 0, retry_reply = 0;
		/* RESPONSE_TOO_BIG and completed fragmented messages. */
		struct kf_at_addr at = kf_result_at_addr(r, c, 0);
		for (size_t i = 0; i < at.n; i++) {
			const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
			if (m->carrier != KF_CARRIER_KERBEROS || m->transport != KF_TRANSPORT_UDP)
				continue;
			struct kf_endpoint mc = client_of(m);
			if (!kf_endpoint_same_addr(&mc, c))
				continue;
			if (m->type == KF_KRB_ERROR && m->krb.error_code == 52) {
				too_big++;
				if (!kdc[0])
					kf_endpoint_addr(&m->src, kdc, sizeof kdc);
				const struct kf_message *req = kf_msg_request(r, m), *rep;
				add_msg_frames(frames, &nf, req);
				add_frame(frames, &nf, m->frame);
				const struct kf_message *retry = tcp_retry(r, c, m->frame, req ? req->type : 0,
					req ? req->krb.cname : m->krb.cname, req ? req->krb.sname : m->krb.sname, &rep);
				if (retry && rep) {
					too_big_ok++;
					add_frame(frames, &nf, retry->frame);
					add_frame(frames, &nf, rep->frame);
					if (!retry_frame) {
						retry_frame = retry->frame;
						retry_reply = rep->frame;
					}
				} else if (retry) {
					too_big_failed++;
					add_frame(frames, &nf, retry->frame);
				} else {
					too_big_none++;
					if (r->last_ts_us && r->last_ts_us < m->ts_us + 2000000)
						ends_early = true;
				}
			} else if (m->ip_fragments > 1) {
				frag_ok++;
				if (!kdc[0])
					kf_endpoint_addr(m->src.port == 88 ? &m->src : &m->dst, kdc, sizeof kdc);
				add_msg_frames(frames, &nf, m);
			}
		}
		/* Fragments that never completed. */
		for (size_t i = 0; i < r->n_tevents; i++) {
			const struct kf_tevent *t = &r->tevents[i];
			if (t->kind != KF_TEV_FRAG_INCOMPLETE || (t->dst.port != 88 && t->src.port != 88))
				continue;
			const struct kf_endpoint *tc = t->dst.port == 88 ? &t->src : &t->dst;
			const struct kf_endpoint *tk = t->dst.port == 88 ? &t->dst : &t->src;
			if (!kf_endpoint_same_addr(tc, c))
				continue;
			lost++;
			lost_replies += t->from_kdc;
			if (!kdc[0])
				kf_endpoint_addr(tk, kdc, sizeof kdc);
			add_frame(frames, &nf, t->frame);
			/* The UDP request it belongs to. */
			const struct kf_message *req = t->request_frame ? kf_msg_at(r, t->request_frame, -1) : NULL;
			for (size_t j = 0; !t->request_frame && j < at.n; j++) {
				const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[j]);
				if (m->frame > t->frame)
					break;
				if (m->transport == KF_TRANSPORT_UDP && m->carrier == KF_CARRIER_KERBEROS &&
				    kf_endpoint_same_addr(&m->src, c) && kf_endpoint_same_addr(&m->dst, tk) && !m->reply_in &&
				    (m->type == KF_KRB_AS_REQ || m->type == KF_KRB_TGS_REQ))
					req = m; /* the last one before the lost datagram */
			}
			add_msg_frames(frames, &nf, req);
			const struct kf_message *rep;
			const struct kf_message *retry = tcp_retry(r, c, t->frame, req ? req->type : 0,
								   req ? req->krb.cname : NULL, req ? req->krb.sname : NULL, &rep);
			if (retry && rep) {
				lost_retry_ok++;
				add_frame(frames, &nf, retry->frame);
				add_frame(frames, &nf, rep->frame);
				if (!retry_frame) {
					retry_frame = retry->frame;
					retry_reply = rep->frame;
				}
			} else if (retry) {
				add_frame(frames, &nf, retry->frame);
			}
		}
		char cl[64];
		kf_endpoint_addr(c, cl, sizeof cl);
		enum kf_severity sev = KF_SEV_INFO;
		enum kf_confidence conf = KF_CONF_CERTAIN;
		const char *summary, *expl;
		const char *retry_txt = retry_frame ?
			kf_rule_fmt(ctx, " The client then retried over TCP (frame %llu) and got its reply (frame %llu), "
				    "so Kerberos works, only slower.", (unsigned long long)retry_frame,
				    (unsigned long long)retry_reply) : "";
		if (lost) {
			sev = KF_SEV_ERROR;
			conf = lost_retry_ok ? KF_CONF_CERTAIN : KF_CONF_LIKELY;
			summary = kf_rule_fmt(ctx, "%s between client %s and KDC %s never completed (IP fragments lost)%s",
					      lost_replies ? "Fragmented Kerberos reply" : "Fragmented Kerberos request", cl, kdc,
					      lost_retry_ok ? "; the TCP retry worked" : "; no TCP retry succeeded");
			expl = kf_rule_fmt(ctx,
				"A Kerberos %s over UDP was larger than the path MTU and travelled as IP fragments, and "
				"not all of them arrived: a firewall, NAT or VPN device on the path drops IP fragments "
				"(typically the non-first ones, which carry no UDP port). The %s waits for a reply that "
				"never comes and times out (about 1 s for MIT, longer for Windows) before trying again.%s%s",
				lost_replies ? "reply from the KDC" : "request to the KDC", "client", retry_txt,
				lost_retry_ok ? "" : " No successful TCP retry was seen, so authentication failed (likely: a "
						     "longer capture would show whether the client tried TCP later).");
		} else if (too_big_none) {
			sev = ends_early ? KF_SEV_WARNING : KF_SEV_ERROR;
			conf = KF_CONF_LIKELY;
			summary = kf_rule_fmt(ctx, "KDC %s answered KRB_ERR_RESPONSE_TOO_BIG to client %s and no TCP retry %s",
					      kdc, cl, too_big_failed ? "succeeded" : "followed");
			expl = kf_rule_fmt(ctx,
				"The KDC's reply did not fit the UDP size limit, so it asked the client to repeat the "
				"request over TCP (KRB_ERR_RESPONSE_TOO_BIG), but the capture shows no successful retry "
				"over TCP port 88: TCP 88 may be blocked between client and KDC, or the client does not "
				"fall back.%s",
				ends_early ? " The capture ends within 2 s of the error, so the retry may simply not have "
					     "been captured (a longer capture would tell)." :
					     " Likely rather than certain: it rests on the retry's absence.");
		} else if (too_big) {
			summary = kf_rule_fmt(ctx, "KDC %s answered KRB_ERR_RESPONSE_TOO_BIG to client %s; the retry over TCP %s",
					      kdc, cl, too_big_failed && !too_big_ok ? "reached the KDC" : "succeeded");
			expl = kf_rule_fmt(ctx,
				"The KDC's reply did not fit in a UDP datagram (MIT: kdc_max_dgram_reply_size; Windows "
				"clients switch to TCP above MaxPacketSize), so it answered KRB_ERR_RESPONSE_TOO_BIG and "
				"the client repeated the request over TCP.%s This is normal for large tickets (many group "
				"memberships, long names) and costs one round trip.%s",
				retry_txt, frag_ok ? " Other Kerberos messages of this client travelled as IP fragments and "
						     "arrived whole." : "");
		} else {
			summary = kf_rule_fmt(ctx, "%u Kerberos message%s over UDP between client %s and KDC %s arrived in IP fragments",
					      frag_ok, frag_ok == 1 ? "" : "s", cl, kdc);
			expl = "Kerberos messages larger than the path MTU were sent over UDP as IP fragments and were "
			       "reassembled: authentication works here, but any firewall, NAT or VPN on the path that "
			       "drops fragments will make these logons time out. Large tickets (PACs with many groups, "
			       "long names) make it worse.";
		}
		kf_finding_add(ctx, sev, conf, frames, nf, summary, expl,
			"Prefer Kerberos over TCP for large messages: MIT krb5.conf [libdefaults] udp_preference_limit = 1 "
			"(always TCP); Windows clients use TCP above MaxPacketSize (HKLM\\SYSTEM\\CurrentControlSet\\"
			"Control\\Lsa\\Kerberos\\Parameters, DWORD MaxPacketSize=1 forces TCP). Make sure TCP port 88 "
			"is open between clients and KDCs, and that firewalls/VPNs pass IP fragments (or fix the MTU "
			"on the path).");
	}
}

/* ---- the table ------------------------------------------------------------ */

const struct kf_rule kf_rules_krb5[] = {
	{ { "kdc-unreachable", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE,
	  "requests to a KDC on port 88 never get an answer" }, rule_kdc_unreachable },
	{ { "clock-skew", KF_SEV_ERROR, KF_RULE_ROOT_CAUSE,
	  "KRB_AP_ERR_SKEW: client, KDC or service clocks differ by more than the tolerance" }, rule_clock_skew },
	{ { "udp-fragmentation", KF_SEV_INFO, KF_RULE_PLAIN,
	  "Kerberos over UDP in IP fragments, lost fragments, or RESPONSE_TOO_BIG and the TCP retry" },
	  rule_udp_fragmentation },
	{ { "weak-etype", KF_SEV_WARNING, KF_RULE_PLAIN,
	  "tickets issued or presented with RC4/DES, or requests offering only those" }, rule_weak_etype },
	{ { "principal-unknown", KF_SEV_ERROR, KF_RULE_GENERIC,
	  "KDC_ERR_C/S_PRINCIPAL_UNKNOWN: unknown user or unregistered SPN" }, rule_principal_unknown },
	{ { "principal-not-unique", KF_SEV_ERROR, KF_RULE_GENERIC,
	  "KDC_ERR_PRINCIPAL_NOT_UNIQUE: duplicate SPN or UPN" }, rule_principal_not_unique },
	{ { "preauth-failed", KF_SEV_ERROR, KF_RULE_GENERIC,
	  "KDC_ERR_PREAUTH_FAILED: wrong password" }, rule_preauth_failed },
	{ { "client-revoked", KF_SEV_ERROR, KF_RULE_GENERIC,
	  "KDC_ERR_CLIENT_REVOKED: account disabled, locked out or expired" }, rule_client_revoked },
	{ { "key-expired", KF_SEV_ERROR, KF_RULE_GENERIC,
	  "KDC_ERR_KEY_EXPIRED: password expired or must be changed" }, rule_key_expired },
	{ { "etype-nosupp", KF_SEV_ERROR, KF_RULE_GENERIC,
	  "KDC_ERR_ETYPE_NOSUPP: no common encryption type" }, rule_etype_nosupp },
	{ { "ticket-expired", KF_SEV_ERROR, KF_RULE_GENERIC,
	  "KRB_AP_ERR_TKT_EXPIRED: an expired ticket was presented" }, rule_ticket_expired },
	{ { "ticket-not-yet-valid", KF_SEV_ERROR, KF_RULE_GENERIC,
	  "KRB_AP_ERR_TKT_NYV: a ticket presented before its start time" }, rule_ticket_nyv },
	{ { "not-us", KF_SEV_ERROR, KF_RULE_GENERIC,
	  "KRB_AP_ERR_NOT_US: ticket for another service" }, rule_not_us },
	{ { "policy", KF_SEV_ERROR, KF_RULE_GENERIC,
	  "KDC_ERR_POLICY: refused by KDC policy" }, rule_policy },
	{ { "badoption", KF_SEV_ERROR, KF_RULE_GENERIC,
	  "KDC_ERR_BADOPTION outside delegation: an option the KDC cannot honour" }, rule_badoption },
	{ { "wrong-realm", KF_SEV_ERROR, KF_RULE_GENERIC,
	  "KDC_ERR_WRONG_REALM not followed by the client" }, rule_wrong_realm },
	{ { "generic-kdc-error", KF_SEV_ERROR, KF_RULE_GENERIC,
	  "any other Kerberos error that is not benign" }, rule_generic_kdc_error },
};
const size_t kf_rules_krb5_count = sizeof kf_rules_krb5 / sizeof kf_rules_krb5[0];
