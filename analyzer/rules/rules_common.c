/* rules_common.c - helpers the rule files share (rules_common.h). */
#include "rules_common.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "krb5.h"
#include "krb5_decrypt.h"
#include "names.h"
#include "sessions.h"
#include "smb.h"
#include "stories.h"

/* ---- evidence ------------------------------------------------------------ */

void kf_evidence_add(struct kf_evidence *e, uint64_t frame)
{
	if (!frame)
		return;
	for (size_t i = 0; i < e->n; i++)
		if (e->f[i] == frame)
			return;
	if (e->n < KF_LIMIT_EVIDENCE_FRAMES)
		e->f[e->n++] = frame;
}

void kf_evidence_add_msg(struct kf_evidence *e, const struct kf_message *m)
{
	if (m)
		kf_evidence_add(e, m->frame);
}

void kf_rule_frame_add(uint64_t *frames, size_t *nf, uint64_t f)
{
	if (f && *nf < KF_LIMIT_EVIDENCE_FRAMES)
		frames[(*nf)++] = f;
}

void kf_rule_msg_frames_add(uint64_t *frames, size_t *nf, const struct kf_message *m)
{
	if (!m)
		return;
	if (m->first_frame && m->first_frame != m->frame)
		kf_rule_frame_add(frames, nf, m->first_frame);
	kf_rule_frame_add(frames, nf, m->frame);
}

/* ---- who and what -------------------------------------------------------- */

struct kf_endpoint kf_rule_client_of(const struct kf_message *m)
{
	struct kf_endpoint c;
	if (kf_message_client(m, &c))
		return c;
	bool reply = m->type == KF_KRB_ERROR || m->type == KF_KRB_AS_REP || m->type == KF_KRB_TGS_REP ||
		     m->type == KF_KRB_AP_REP || m->type == KF_MSG_HTTP_RESPONSE ||
		     m->type == KF_MSG_SMB_RESPONSE;
	return reply ? m->dst : m->src;
}

const char *kf_rule_err_name(int32_t code)
{
	const char *n = kf_krb5_error_name(code);
	return n ? n : "KRB-ERROR";
}

const char *kf_rule_princ(struct kf_rule_ctx *ctx, const char *name, const char *realm)
{
	if (!name)
		return NULL;
	return realm && !strchr(name, '@') ? kf_rule_fmt(ctx, "%s@%s", name, realm) : name;
}

const char *kf_rule_user_of(struct kf_rule_ctx *ctx, const struct kf_message *err,
			    const struct kf_message *req)
{
	if (err->krb.cname)
		return kf_rule_princ(ctx, err->krb.cname, kf_rule_first_of(err->krb.crealm, err->krb.realm));
	if (req && req->krb.cname)
		return kf_rule_princ(ctx, req->krb.cname, kf_rule_first_of(req->krb.crealm, req->krb.realm));
	const struct kf_story *st = kf_story_of(kf_rule_result(ctx), err);
	return st && st->user ? st->user : NULL;
}

const char *kf_rule_service_of(struct kf_rule_ctx *ctx, const struct kf_message *err,
			       const struct kf_message *req)
{
	if (err->krb.sname)
		return kf_rule_princ(ctx, err->krb.sname, err->krb.realm);
	if (req && req->krb.sname)
		return kf_rule_princ(ctx, req->krb.sname, req->krb.realm);
	if (req && req->krb.ticket)
		return kf_rule_princ(ctx, req->krb.ticket->sname, req->krb.ticket->realm);
	return NULL;
}

const char *kf_rule_ticket_holder(struct kf_rule_ctx *ctx, const struct kf_message *ap)
{
	const struct kf_result *r = kf_rule_result(ctx);
	const struct kf_ticket_rec *t = ap->krb.ticket;
	const char *holder = NULL, *cname, *crealm;
	/* the reply that issued this very ticket, through hidden names */
	if (kf_ticket_client(r, t, &cname, &crealm) && !kf_name_is_anonymous(cname, crealm))
		return kf_rule_princ(ctx, cname, crealm);
	struct kf_at_addr at = kf_result_at_addr(r, &ap->src, 0);
	for (size_t i = 0; t && i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->frame > ap->frame)
			break;
		if (!KF_AT_ADDR_IS_DST(at.v[i]) || m->carrier != KF_CARRIER_KERBEROS ||
		    (m->type != KF_KRB_AS_REP && m->type != KF_KRB_TGS_REP) || !m->krb.ticket ||
		    !m->krb.cname || !kf_name_eq_nocase(m->krb.ticket->sname, t->sname) ||
		    !kf_name_same_nocase(m->krb.ticket->realm, t->realm))
			continue;
		holder = kf_rule_princ(ctx, m->krb.cname, kf_rule_first_of(m->krb.crealm, m->krb.realm));
	}
	return holder;
}

const char *kf_rule_carried_in(const struct kf_message *m)
{
	switch (m->carrier) {
	case KF_CARRIER_HTTP: return "the 401";
	case KF_CARRIER_SMB:
	case KF_CARRIER_SMB2: return "the SMB SESSION_SETUP response";
	case KF_CARRIER_KPASSWD: return "the kpasswd reply";
	case KF_CARRIER_LDAP: return "the LDAP bindResponse";
	case KF_CARRIER_DCERPC: return "the DCE/RPC bind answer";
	case KF_CARRIER_DNS: return "the DNS TKEY response";
	case KF_CARRIER_TDS: return "the SQL Server login response";
	default: return "the service's reply";
	}
}

/* ---- SMB ----------------------------------------------------------------- */

bool kf_rule_smb_cmd(const struct kf_message *m, int type, unsigned smb2_command)
{
	static const uint8_t smb1[] = { [KF_SMB2_NEGOTIATE] = KF_SMB1_NEGOTIATE,
					[KF_SMB2_SESSION_SETUP] = KF_SMB1_SESSION_SETUP_ANDX,
					[KF_SMB2_LOGOFF] = KF_SMB1_LOGOFF_ANDX,
					[KF_SMB2_TREE_CONNECT] = KF_SMB1_TREE_CONNECT_ANDX };
	if (m->type != type || !m->smb || smb2_command >= sizeof smb1)
		return false;
	return m->carrier == KF_CARRIER_SMB2  ? m->smb->command == smb2_command
	       : m->carrier == KF_CARRIER_SMB ? m->smb->command == smb1[smb2_command]
					      : false;
}

bool kf_rule_unc_server(const char *path, char *buf, size_t len)
{
	buf[0] = 0;
	if (!path || (path[0] != '\\' && path[0] != '/') || (path[1] != '\\' && path[1] != '/') || !len)
		return false;
	size_t k = 0;
	for (const char *p = path + 2; *p && *p != '\\' && *p != '/' && k + 1 < len; p++)
		buf[k++] = *p;
	buf[k] = 0;
	return k > 0;
}

bool kf_rule_name_is_address(const char *name)
{
	static const char v6[] = ".ipv6-literal.net";
	size_t n = strlen(name), l = sizeof v6 - 1;
	return kf_rule_is_ip_literal(name) || (n > l && strcasecmp(name + n - l, v6) == 0);
}

bool kf_rule_offers_kerberos(const struct kf_spnego_rec *sp)
{
	for (uint8_t i = 0; sp && i < sp->n_mech_types; i++)
		if (sp->mech_types[i] && (strcmp(sp->mech_types[i], "kerberos") == 0 ||
					  strcmp(sp->mech_types[i], "ms-kerberos") == 0))
			return true;
	return false;
}

bool kf_rule_smb_session_ok(const struct kf_message *m)
{
	return kf_rule_smb_cmd(m, KF_MSG_SMB_RESPONSE, KF_SMB2_SESSION_SETUP) && m->smb->has_status &&
	       m->smb->status == 0 && !(m->smb->session_flags & (KF_SMB_SESSION_GUEST | KF_SMB_SESSION_NULL));
}

/* ---- recovery ------------------------------------------------------------ */

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

/* An LDAP bind, a DCE/RPC bind or a SQL Server login that the server accepted: after a
 * Kerberos error on the same connection, the client got in after all. */
static bool app_bind_ok(const struct kf_message *m)
{
	if (m->type == KF_MSG_LDAP_RESPONSE && m->ldap)
		return m->ldap->operation == 1 && m->ldap->has_result && m->ldap->result_code == 0;
	if (m->type == KF_MSG_DCERPC_RESPONSE && m->dcerpc)
		return (m->dcerpc->ptype == 12 || m->dcerpc->ptype == 15) && m->dcerpc->has_status &&
		       m->dcerpc->status == 0;
	if (m->type == KF_MSG_TDS_RESPONSE && m->tds)
		return m->tds->login_ack;
	return false;
}

#define KRB_AP_ERR_TKT_EXPIRED 32

bool kf_rule_error_recovered(const struct kf_result *r, const struct kf_message *err)
{
	const struct kf_message *req = kf_msg_request(r, err);
	if (err->carrier == KF_CARRIER_KERBEROS) {
		int rt = req                                                    ? req->type
			 : kf_sname_is_krbtgt(err->krb.sname) && err->krb.cname ? KF_KRB_AS_REQ
										: KF_KRB_TGS_REQ;
		if (rt != KF_KRB_AS_REQ && rt != KF_KRB_TGS_REQ)
			return false;
		const char *cname = req && req->krb.cname ? req->krb.cname : err->krb.cname;
		const char *sname = req && req->krb.sname ? req->krb.sname : err->krb.sname;
		int want = rt == KF_KRB_AS_REQ ? KF_KRB_AS_REP : KF_KRB_TGS_REP;
		struct kf_at_addr at = kf_result_at_addr(r, &err->dst, err->frame + 1);
		for (size_t i = 0; i < at.n; i++) {
			const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
			if (m->ts_us > err->ts_us + KF_RULE_RECOVERY_US)
				break;
			if (!KF_AT_ADDR_IS_DST(at.v[i]) || m->carrier != KF_CARRIER_KERBEROS)
				continue;
			/* an expired TGT (32 to a TGS-REQ) is renewed by a fresh one: an AS-REP */
			if (err->krb.error_code == KRB_AP_ERR_TKT_EXPIRED && rt == KF_KRB_TGS_REQ &&
			    m->type == KF_KRB_AS_REP)
				return true;
			if (m->type != want)
				continue;
			const struct kf_message *q = kf_msg_request(r, m);
			const char *qc = q && q->krb.cname ? q->krb.cname : m->krb.cname;
			const char *qs = q ? q->krb.sname : NULL;
			if (rt == KF_KRB_AS_REQ ? (kf_name_eq_nocase(qc, cname) &&
						   (!qs || !sname || same_service_kind(qs, sname)))
						: kf_name_eq_nocase(qs, sname))
				return true;
		}
		return false;
	}
	/* the service whose ticket expired: the error's sname, else the ticket the AP-REQ presented */
	const char *expired = err->krb.sname           ? err->krb.sname
			      : req && req->krb.ticket ? req->krb.ticket->sname
						       : NULL;
	struct kf_at_addr at = kf_result_at_addr(r, &err->dst, err->frame + 1);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->ts_us > err->ts_us + KF_RULE_RECOVERY_US)
			break;
		if (!KF_AT_ADDR_IS_DST(at.v[i]))
			continue;
		/* an expired service ticket is renewed: a TGS-REP for the same service */
		const struct kf_message *q = m->type == KF_KRB_TGS_REP ? kf_msg_request(r, m) : NULL;
		if (err->krb.error_code == KRB_AP_ERR_TKT_EXPIRED && q && m->carrier == KF_CARRIER_KERBEROS &&
		    expired && kf_name_eq_nocase(q->krb.sname, expired))
			return true;
		if (!kf_endpoint_same_addr(&m->src, &err->src))
			continue;
		if (m->type == KF_KRB_AP_REP ||
		    (m->type == KF_MSG_HTTP_RESPONSE && m->http && m->http->status &&
		     m->http->status < 400) ||
		    (kf_rule_is_smb(err) && m->connection == err->connection && kf_rule_smb_session_ok(m)) ||
		    (m->connection == err->connection && app_bind_ok(m)))
			return true;
	}
	return false;
}

/* ---- facts, verdict, words ------------------------------------------------ */

void kf_rule_emit(struct kf_rule_ctx *ctx, const char *const *causes, struct kf_rule_verdict v,
		  struct kf_rule_words w, const struct kf_evidence *e, const struct kf_subject_b *b)
{
	kf_finding_emit(ctx, &(struct kf_finding_in){ .severity = v.sev,
						      .confidence = v.conf,
						      .cause = causes[v.cause],
						      .frames = e->f,
						      .n_frames = e->n,
						      .subject = b,
						      .summary = w.summary,
						      .explanation = w.explanation,
						      .remediation = w.fix });
}

/* ---- groups ------------------------------------------------------------- */

void *kf_groups_slot(struct kf_rule_ctx *ctx, struct kf_groups *g, struct kf_key k, bool *fresh)
{
	unsigned char *v = g->v;
	for (size_t j = 0; j < g->n; j++) {
		const struct kf_key *o = (const struct kf_key *)(void *)(v + j * g->size);
		if (o->a == k.a && o->b == k.b) {
			*fresh = false;
			return v + j * g->size;
		}
	}
	if (g->n == g->cap) {
		size_t nc = g->cap ? g->cap * 2 : 8;
		unsigned char *nv = kf_realloc(g->v, nc * g->size);
		if (!nv) {
			kf_rule_nomem(ctx);
			return NULL;
		}
		g->v = v = nv;
		g->cap = nc;
	}
	unsigned char *slot = v + g->n++ * g->size;
	memset(slot, 0, g->size);
	memcpy(slot, &k, sizeof k);
	*fresh = true;
	return slot;
}

/* ---- sessions ------------------------------------------------------------- */

const struct kf_message *kf_rule_session_msg(const struct kf_result *r, const struct kf_session *s,
					     bool (*is)(const struct kf_message *))
{
	for (size_t i = s->n_frames; i--;)
		for (const struct kf_message *m = kf_msg_at(r, s->frames[i], -1);
		     m && m < r->messages + r->n_messages && m->frame == s->frames[i]; m++)
			if (m->connection == s->connection && is(m))
				return m;
	return NULL;
}

static bool session_ok(const struct kf_session *o) { return o->outcome && !strcmp(o->outcome, "ok"); }
static bool session_anonymous(const struct kf_session *o) { return o->as && !strcmp(o->as, "anonymous"); }

bool kf_rule_session_recovered(const struct kf_result *r, const struct kf_session *s, uint64_t fail_us)
{
	size_t at = (size_t)(s - r->sessions), end = r->n_sessions;
	if (end - at > KF_LIMIT_RECOVERY_SCAN)
		end = at + KF_LIMIT_RECOVERY_SCAN;
	for (size_t i = at + 1; i < end; i++) {
		const struct kf_session *o = &r->sessions[i];
		const struct kf_message *first = kf_msg_at(r, o->first_frame, -1);
		if (first && first->ts_us > fail_us + KF_RULE_RECOVERY_US)
			break;
		if (o->carrier != s->carrier || !session_ok(o) || session_anonymous(o) ||
		    !kf_endpoint_same_addr(&o->client, &s->client) ||
		    !kf_endpoint_same_addr(&o->server, &s->server))
			continue;
		if (!s->as || (o->as && kf_name_eq_nocase(o->as, s->as)))
			return true;
	}
	return false;
}

void *kf_rule_session_group(struct kf_rule_ctx *ctx, struct kf_groups *gs, struct kf_key k,
			    const struct kf_session *s, const struct kf_message *req,
			    const struct kf_message *resp, bool *fresh)
{
	struct kf_session_group *g = kf_groups_slot(ctx, gs, k, fresh);
	if (!g)
		return NULL;
	if (*fresh) {
		for (size_t n = 0; n < s->n_frames; n++)
			kf_evidence_add(&g->e, s->frames[n]);
	} else {
		kf_evidence_add_msg(&g->e, req);
		kf_evidence_add_msg(&g->e, resp);
	}
	g->count++;
	return g;
}

/* ---- HTTP ---------------------------------------------------------------- */

/* The first message of type in frame on connection conn (0: any) that is
 * what `is` asks for. */
static const struct kf_message *in_frame(const struct kf_result *r, uint64_t frame, int type, uint32_t conn,
					 bool (*is)(const struct kf_message *))
{
	if (!frame)
		return NULL;
	for (const struct kf_message *m = kf_msg_at(r, frame, -1);
	     m && m < r->messages + r->n_messages && m->frame == frame; m++)
		if (m->type == type && (!conn || m->connection == conn) && is(m))
			return m;
	return NULL;
}

static bool is_http_record(const struct kf_message *m) { return m->carrier == KF_CARRIER_HTTP && m->http; }
static bool is_smb_record(const struct kf_message *m) { return kf_rule_is_smb(m) && m->smb; }

const struct kf_message *kf_rule_tok_at(const struct kf_result *r, uint64_t frame, int type, uint32_t conn)
{
	return in_frame(r, frame, type, conn, kf_msg_in_app_protocol);
}

const struct kf_message *kf_rule_http_at(const struct kf_result *r, uint64_t frame, int type, uint32_t conn)
{
	return in_frame(r, frame, type, conn, is_http_record);
}

const struct kf_message *kf_rule_smb_at(const struct kf_result *r, uint64_t frame, int type, uint32_t conn)
{
	return in_frame(r, frame, type, conn, is_smb_record);
}

const struct kf_message *kf_rule_http_resp(const struct kf_result *r, const struct kf_message *req)
{
	const struct kf_message *m = kf_msg_reply(r, req);
	return m && m->type == KF_MSG_HTTP_RESPONSE && m->http ? m : NULL;
}

void kf_rule_host_name(const char *host, char *buf, size_t len)
{
	buf[0] = 0;
	if (!host || !len)
		return;
	size_t k = 0;
	if (host[0] == '[') {
		for (const char *p = host + 1; *p && *p != ']' && k + 1 < len; p++)
			buf[k++] = (char)tolower((unsigned char)*p);
	} else {
		const char *colon = strchr(host, ':');
		if (colon && strchr(colon + 1, ':'))
			colon = NULL; /* a bare IPv6 address */
		for (const char *p = host; *p && p != colon && k + 1 < len; p++)
			buf[k++] = (char)tolower((unsigned char)*p);
	}
	while (k && buf[k - 1] == '.')
		k--;
	buf[k] = 0;
}

struct kf_key kf_rule_host_key(const struct kf_endpoint *client, const char *host, int64_t port)
{
	struct kf_key k = kf_key_new();
	kf_key_addr(&k, client);
	kf_key_name(&k, host);
	kf_key_int(&k, port);
	return k;
}

bool kf_rule_is_key_error(int32_t code) { return code == 31 || code == 41 || code == 44; }

bool kf_rule_etype_weak(int32_t e)
{
	return (e >= 1 && e <= 3) || e == 23 || e == 24 || (e <= -128 && e >= -141);
}

unsigned kf_rule_req_port(const struct kf_message *req)
{
	const char *h = req->http ? req->http->host : NULL;
	if (h) {
		const char *p = h[0] == '[' ? strstr(h, "]:") : strchr(h, ':');
		if (p && h[0] == '[')
			p++;
		if (p && !strchr(p + 1, ':')) {
			long v = strtol(p + 1, NULL, 10);
			if (v > 0 && v < 65536)
				return (unsigned)v;
		}
	}
	return req->dst.port;
}

const char *kf_rule_http_spn_host(const char *sname)
{
	if (!sname || strncasecmp(sname, "HTTP/", 5) != 0)
		return NULL;
	return sname + 5;
}

bool kf_rule_spn_host_is(const char *sname, const char *name)
{
	const char *h = kf_rule_http_spn_host(sname);
	if (!h)
		return false;
	char buf[256];
	kf_rule_host_name(h, buf, sizeof buf);
	return kf_host_eq(buf, name);
}

bool kf_rule_is_ip_literal(const char *name)
{
	if (!*name)
		return false;
	if (strchr(name, ':'))
		return true;
	for (const char *p = name; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			return false;
	return true;
}

bool kf_rule_offers(const struct kf_http_rec *h, const char *scheme)
{
	for (size_t i = 0; h && i < h->n_challenges; i++)
		if (h->www_authenticate[i] && strcasecmp(h->www_authenticate[i], scheme) == 0)
			return true;
	return false;
}

const struct kf_message *kf_rule_tgs_req_for(const struct kf_result *r, const struct kf_endpoint *client,
					     const char *sname, uint64_t before)
{
	const struct kf_message *best = NULL;
	struct kf_at_addr at = kf_result_at_addr(r, client, 0);
	for (size_t i = 0; i < at.n; i++) {
		const struct kf_message *m = KF_AT_ADDR_MSG(r, at.v[i]);
		if (m->frame >= before)
			break;
		if (m->carrier == KF_CARRIER_KERBEROS && m->type == KF_KRB_TGS_REQ && m->krb.sname &&
		    kf_endpoint_same_addr(&m->src, client) && kf_name_eq_nocase(m->krb.sname, sname))
			best = m;
	}
	return best;
}

void kf_rule_subject_tgs(struct kf_rule_ctx *ctx, struct kf_subject_b *b, const struct kf_message *tgs,
			 const struct kf_message *rep)
{
	if (!tgs)
		return;
	kf_subject_principal(ctx, b, KF_SUBJECT_SERVICE, tgs->krb.sname, tgs->krb.realm);
	kf_subject_addr(ctx, b, KF_SUBJECT_KDC, &tgs->dst, false);
	if (rep)
		kf_subject_principal(ctx, b, KF_SUBJECT_USER, rep->krb.cname,
				     kf_rule_first_of(rep->krb.crealm, rep->krb.realm));
}

void kf_rule_subject_ticket_user(struct kf_rule_ctx *ctx, struct kf_subject_b *b, const struct kf_message *m)
{
	const struct kf_dec_ticket *d = m && m->dec ? m->dec->ticket : NULL;
	if (d && d->status == KF_OPEN_OK)
		kf_subject_principal(ctx, b, KF_SUBJECT_USER, d->cname, d->crealm);
}

static int cmp_conn_msg(const void *a, const void *b)
{
	const struct kf_conn_msg *x = a, *y = b;
	if (x->conn != y->conn)
		return x->conn < y->conn ? -1 : 1;
	return x->ix < y->ix ? -1 : x->ix > y->ix;
}

bool kf_conn_ix_build(const struct kf_result *r, struct kf_conn_ix *ci)
{
	ci->n = 0;
	ci->v = kf_malloc((r->n_messages ? r->n_messages : 1) * sizeof *ci->v);
	if (!ci->v)
		return false;
	for (size_t i = 0; i < r->n_messages; i++)
		if (r->messages[i].carrier == KF_CARRIER_HTTP || kf_rule_is_smb(&r->messages[i]))
			ci->v[ci->n++] = (struct kf_conn_msg){ r->messages[i].connection, (uint32_t)i };
	qsort(ci->v, ci->n, sizeof *ci->v, cmp_conn_msg);
	return true;
}

const struct kf_conn_msg *kf_conn_ix_find(const struct kf_conn_ix *ci, uint32_t conn, size_t *n)
{
	size_t lo = 0, hi = ci->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ci->v[mid].conn < conn)
			lo = mid + 1;
		else
			hi = mid;
	}
	size_t end = ci->n, first = lo; /* the end too by halving: one connection may hold them all */
	while (lo < end) {
		size_t mid = (lo + end) / 2;
		if (ci->v[mid].conn <= conn)
			lo = mid + 1;
		else
			end = mid;
	}
	*n = end - first;
	return ci->v + first;
}

/* ---- fixes in the capture's names ---------------------------------------- */

/* The account part of DOMAIN\user or user@REALM, into buf. */
static const char *account_part(const char *user, char *buf, size_t cap)
{
	const char *bs = strrchr(user, '\\');
	const char *p = bs ? bs + 1 : user;
	size_t n = strcspn(p, "@");
	if (!n || n >= cap)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

/* The domain part of DOMAIN\user or user@REALM, into buf. */
static const char *domain_part(const char *user, char *buf, size_t cap)
{
	const char *bs = strchr(user, '\\'), *at = strrchr(user, '@');
	const char *p = bs ? user : at ? at + 1 : NULL;
	size_t n = bs ? (size_t)(bs - user) : p ? strlen(p) : 0;
	if (!n || n >= cap)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

const char *kf_rule_subst(struct kf_rule_ctx *ctx, const char *tpl, const char *const *slots,
			  const char *const *vals, size_t n)
{
	char buf[4096];
	size_t k = 0;
	for (const char *p = tpl; *p && k + 1 < sizeof buf;) {
		const char *val = NULL;
		size_t len = 0;
		for (size_t i = 0; !val && i < n; i++) {
			len = strlen(slots[i]);
			if (vals[i] && !strncmp(p, slots[i], len))
				val = vals[i];
		}
		if (!val) {
			buf[k++] = *p++;
			continue;
		}
		size_t l = strlen(val);
		if (l > sizeof buf - 1 - k)
			l = sizeof buf - 1 - k;
		memcpy(buf + k, val, l);
		k += l;
		p += len;
	}
	buf[k] = 0;
	return kf_rule_fmt(ctx, "%s", buf);
}

const char *kf_rule_fix_fill(struct kf_rule_ctx *ctx, const char *fix, const struct kf_fix_names *n)
{
	if (!fix || !strchr(fix, '<'))
		return fix;
	char acct[KF_LIMIT_NAME], dom[KF_LIMIT_NAME];
	const char *user = n->user ? account_part(n->user, acct, sizeof acct) : NULL;
	const char *domain = n->domain ? n->domain : n->user ? domain_part(n->user, dom, sizeof dom) : NULL;
	static const char *const slots[] = {
		"<user>", "<server>", "<share>", "<domain>", "<host>", "<port>"
	};
	const char *vals[] = { user, n->server, n->share, domain, n->host, n->port };
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
		if (!kf_rule_name_cmd_safe(vals[i]))
			vals[i] = NULL; /* the placeholder stays */
	return kf_rule_subst(ctx, fix, slots, vals, sizeof vals / sizeof vals[0]);
}

/* ---- HTTP to a forward proxy --------------------------------------------------- */

bool kf_rule_http_is_proxy(const struct kf_result *r, const struct kf_message *req)
{
	const struct kf_http_rec *h = req->http;
	if (!h)
		return false;
	if (h->proxy ||
	    (h->uri && (strncasecmp(h->uri, "http://", 7) == 0 || strncasecmp(h->uri, "https://", 8) == 0)))
		return true;
	const struct kf_message *resp = kf_msg_reply(r, req);
	return resp && resp->http && (resp->http->status == 407 || resp->http->proxy);
}

void kf_rule_http_proxy_name(const struct kf_result *r, const struct kf_message *req, char *buf, size_t len)
{
	const struct kf_message *ap = kf_rule_tok_at(r, req->frame, KF_KRB_AP_REQ, req->connection);
	const char *sh = ap && ap->krb.ticket ? kf_rule_http_spn_host(ap->krb.ticket->sname) : NULL;
	if (sh) {
		kf_rule_host_name(sh, buf, len);
		return;
	}
	kf_endpoint_addr(&req->dst, buf, len);
}
