/* sessions.c - SMB, LDAP, SQL Server and DCE/RPC sessions from the message list (sessions.h).
 *
 * Messages come in frame order.  A SESSION_SETUP request starts a session on
 * its connection (or continues the one its session id names); the tokens of
 * that connection belong to the session being set up there; the response
 * names the session id, which TREE_CONNECT and LOGOFF then use.  As whom a
 * Kerberos session ran is the client of the presented ticket: from a keytab
 * that opened it, or from the reply that issued it (kf_ticket_client).
 *
 * LDAP: a bindRequest starts a session on its connection unless the
 * session there is a bind in progress (its last answer saslBindInProgress,
 * or the CHALLENGE of AD's sicily NTLM bind), which the request continues; tokens join it as on
 * SMB, and each bindResponse sets its outcome.  StartTLS is not a bind.
 *
 * TDS: a connection carries one login, its PRELOGIN to the server's
 * LOGINACK or ERROR; the LOGIN7 names the server and, without SSPI, the
 * user; SSPI tokens join it as on SMB.
 *
 * DCE/RPC: a bind starts a session on its connection and pipe (an SMB
 * connection carries several pipes); alter_context and auth3 continue it,
 * their tokens join it (the tokens of a frame go to the session its
 * DCE/RPC record named).  The last answer decides: bind_ack or
 * alter_context_resp accepting the first context is ok; bind_nak, a context
 * rejected, a fault answering the bind or alter_context, or a fault
 * answering the first request after an auth3 (the server refusing the third
 * leg: Samba's nca_proto_error for a wrong NTLM password) is an error.  A
 * bind without auth_verifier that did not fail is no session: the pipe rides
 * on the SMB session, the endpoint mapper needs none. */
#include "sessions.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dcerpc.h"
#include "smb.h"

#define STATUS_MORE_PROCESSING_REQUIRED 0xc0000016u

struct sess_w {
	struct kf_session s;
	bool bind_goes_on; /* LDAP: the last answer asked for another step */
	bool rpc_answered; /* DCE/RPC: its last bind / alter_context was answered */
	bool rpc_auth3;    /* ... its last PDU was an auth3 (the first call's fault is its verdict) */
	uint32_t rpc_call; /* ... the call_id of its last bind / alter_context */
	uint64_t *frames;
	size_t n_frames, cap_frames;
};

/* Open addressing from a 64-bit key to a session index + 1. */
struct table {
	uint64_t *key;
	uint32_t *val;
	size_t mask;
};

static bool table_init(struct table *t, size_t n)
{
	size_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	t->key = kf_calloc(cap, sizeof(*t->key));
	t->val = kf_calloc(cap, sizeof(*t->val));
	t->mask = cap - 1;
	return t->key && t->val;
}

static void table_free(struct table *t)
{
	kf_free(t->key);
	kf_free(t->val);
}

static uint64_t mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k;
}

static uint32_t *table_slot(struct table *t, uint64_t key)
{
	for (size_t i = mix(key) & t->mask;; i = (i + 1) & t->mask)
		if (!t->val[i] || t->key[i] == key) {
			t->key[i] = key;
			return &t->val[i];
		}
}

static uint64_t sid_key(uint32_t conn, uint64_t sid) { return mix(sid) ^ ((uint64_t)conn << 1) ^ 1; }

struct build {
	struct kf_result *r;
	struct sess_w *v;
	size_t n, cap;
	struct table current; /* connection -> the session being set up on it */
	struct table by_sid;  /* (connection, session id) -> session */
	struct table rpc;     /* (connection, pipe) -> its DCE/RPC binding phase */
	struct table rpc_tok; /* connection -> the DCE/RPC session of its last record: its tokens' */
	bool fail;
	uint64_t frames_dropped; /* past KF_LIMIT_SESSION_FRAMES */
};

static bool is_smb(const struct kf_message *m)
{
	return m->carrier == KF_CARRIER_SMB || m->carrier == KF_CARRIER_SMB2;
}

static bool is_followed(const struct kf_message *m)
{
	return is_smb(m) || m->carrier == KF_CARRIER_LDAP || m->carrier == KF_CARRIER_TDS ||
	       m->carrier == KF_CARRIER_DCERPC;
}

static bool frame_add(struct build *b, struct sess_w *w, uint64_t frame)
{
	if (w->n_frames && w->frames[w->n_frames - 1] == frame)
		return true;
	if (w->n_frames >= KF_LIMIT_SESSION_FRAMES) { /* an endless setup: the first frames tell it */
		b->frames_dropped++;
		return true;
	}
	if (w->n_frames == w->cap_frames) {
		size_t cap = w->cap_frames ? 2 * w->cap_frames : 8;
		uint64_t *nf = kf_realloc(w->frames, cap * sizeof(*nf));
		if (!nf) {
			b->fail = true;
			return false;
		}
		w->frames = nf;
		w->cap_frames = cap;
	}
	w->frames[w->n_frames++] = frame;
	return true;
}

static struct sess_w *session_new(struct build *b, const struct kf_message *m, bool from_client)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 16;
		struct sess_w *nv = kf_realloc(b->v, cap * sizeof(*nv));
		if (!nv) {
			b->fail = true;
			return NULL;
		}
		b->v = nv;
		b->cap = cap;
	}
	struct sess_w *w = &b->v[b->n++];
	memset(w, 0, sizeof *w);
	w->s.carrier = m->carrier;
	w->s.connection = m->connection;
	w->s.tcp_stream = m->tcp_stream;
	w->s.client = from_client ? m->src : m->dst;
	w->s.server = from_client ? m->dst : m->src;
	w->s.mech = "unknown";
	w->s.outcome = "unknown";
	w->s.first_frame = m->frame;
	if (m->carrier != KF_CARRIER_DCERPC) /* DCE/RPC: by connection and pipe (on_dcerpc_record) */
		*table_slot(&b->current, m->connection) = (uint32_t)b->n;
	return w;
}

static struct sess_w *current(struct build *b, const struct kf_message *m)
{
	uint32_t v = *table_slot(m->carrier == KF_CARRIER_DCERPC ? &b->rpc_tok : &b->current, m->connection);
	return v ? &b->v[v - 1] : NULL;
}

static struct sess_w *by_sid(struct build *b, uint32_t conn, uint64_t sid)
{
	if (!sid)
		return NULL;
	uint32_t v = *table_slot(&b->by_sid, sid_key(conn, sid));
	return v ? &b->v[v - 1] : NULL;
}

static const char *joined(struct build *b, const char *x, const char *sep, const char *y)
{
	char buf[2 * KF_LIMIT_NAME + 4];
	snprintf(buf, sizeof buf, "%s%s%s", x ? x : "", x ? sep : "", y);
	const char *s = kf_arena_strndup(&b->r->arena, buf, strlen(buf));
	if (!s)
		b->fail = true;
	return s;
}

/* Who the presented ticket was issued to, when the capture shows it. */
static const char *ticket_owner(struct build *b, const struct kf_message *ap)
{
	if (ap->dec && ap->dec->ticket && ap->dec->ticket->cname)
		return joined(b, ap->dec->ticket->cname, "@",
			      ap->dec->ticket->crealm ? ap->dec->ticket->crealm : "");
	const char *cname, *crealm;
	if (!kf_ticket_client(b->r, ap->krb.ticket, &cname, &crealm))
		return NULL;
	return crealm ? joined(b, cname, "@", crealm) : cname;
}

static void on_token(struct build *b, const struct kf_message *m)
{
	bool from_client = m->sender ? m->sender == KF_SENDER_CLIENT
				     : m->type == KF_KRB_AP_REQ || m->type == KF_MSG_NTLM_NEGOTIATE ||
					       m->type == KF_MSG_NTLM_AUTHENTICATE;
	struct sess_w *w = current(b, m);
	if (!w && m->carrier == KF_CARRIER_DCERPC)
		return; /* its record was not followed */
	if (!w && !(w = session_new(b, m, from_client)))
		return;
	frame_add(b, w, m->frame);
	switch (m->type) {
	case KF_KRB_AP_REQ:
		w->s.mech = "kerberos";
		if (m->krb.ticket) {
			w->s.ticket = joined(b, m->krb.ticket->sname, "@", m->krb.ticket->realm);
			const char *who = ticket_owner(b, m);
			if (who)
				w->s.as = who;
		}
		break;
	case KF_KRB_AP_REP: /* the AP-REQ unseen (a TDS login inside TLS): the answer says Kerberos */
		if (!strcmp(w->s.mech, "unknown"))
			w->s.mech = "kerberos";
		break;
	case KF_KRB_ERROR: w->s.krb_error = m->krb.error_code; break;
	case KF_MSG_NTLM_NEGOTIATE:
	case KF_MSG_NTLM_CHALLENGE: w->s.mech = "ntlm"; break;
	case KF_MSG_NTLM_AUTHENTICATE:
		w->s.mech = "ntlm";
		if (m->ntlm && m->ntlm->anonymous)
			w->s.as = "anonymous";
		else if (m->ntlm && m->ntlm->user)
			w->s.as = joined(b, m->ntlm->domain, "\\", m->ntlm->user);
		break;
	default: break;
	}
}

static bool is_cmd(const struct kf_message *m, uint16_t smb2, uint16_t smb1)
{
	return m->smb && m->smb->command == (m->carrier == KF_CARRIER_SMB ? smb1 : smb2);
}

#define LDAP_SASL_BIND_IN_PROGRESS 14u

static void on_ldap_record(struct build *b, const struct kf_message *m)
{
	const struct kf_ldap_rec *l = m->ldap;
	if (l->operation > 1)
		return; /* StartTLS: no bind */
	struct sess_w *w = current(b, m);
	if (m->type == KF_MSG_LDAP_REQUEST) {
		if (!w || !w->bind_goes_on)
			w = session_new(b, m, true);
		if (!w)
			return;
		frame_add(b, w, m->frame);
		if (l->bind_dn)
			w->s.target = l->bind_dn;
		if (l->mechanism && !strcmp(l->mechanism, "simple")) {
			w->s.mech = "simple";
			w->s.as = l->bind_dn && l->simple_password ? l->bind_dn : "anonymous";
		} else if (l->mechanism && !strcmp(l->mechanism, "EXTERNAL")) {
			w->s.mech = "external";
		}
		return;
	}
	if (!w && !(w = session_new(b, m, false)))
		return;
	frame_add(b, w, m->frame);
	w->s.has_result = l->has_result;
	w->s.result_code = l->result_code;
	w->s.ad_data_code = l->ad_data_code;
	/* AD's sicily NTLM answers its first step with success and the CHALLENGE */
	bool sicily_step =
		l->result_code == 0 && l->token_bytes && l->mechanism && !strcmp(l->mechanism, "sicily");
	w->bind_goes_on = l->result_code == LDAP_SASL_BIND_IN_PROGRESS || sicily_step;
	if (!l->has_result || w->bind_goes_on)
		return;
	w->s.outcome = l->result_code == 0 ? "ok" : "error";
}

#define TDS_LOGIN7 16u

static void on_tds_record(struct build *b, const struct kf_message *m)
{
	const struct kf_tds_rec *t = m->tds;
	struct sess_w *w = current(b, m);
	if (!w && !(w = session_new(b, m, m->type == KF_MSG_TDS_REQUEST)))
		return;
	frame_add(b, w, m->frame);
	if (t->server)
		w->s.target = t->server;
	if (t->packet_type == TDS_LOGIN7 && !t->integrated) {
		w->s.mech = "sql";
		w->s.as = t->user;
	}
	if (t->login_ack) {
		w->s.outcome = "ok";
	} else if (t->has_error) {
		w->s.outcome = "error";
		w->s.has_sql_error = true;
		w->s.sql_error = t->error_number;
		w->s.sql_state = t->error_state;
	}
}

/* A DCE/RPC binding phase on a connection and pipe: the pipe's name, hashed into the key. */
static uint64_t rpc_key(uint32_t conn, const char *pipe)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (const char *p = pipe; p && *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	return mix(h) ^ ((uint64_t)conn << 1) ^ (pipe != NULL); /* TCP apart from a pipe named "" */
}

static void rpc_refused(struct sess_w *w, uint32_t status, const char *kind)
{
	w->s.outcome = "error";
	w->s.has_rpc_status = true;
	w->s.rpc_status = status;
	w->s.rpc_status_kind = kind;
}

/* The mechanism an auth_verifier names, unless its tokens said (SPNEGO: they decide). */
static void rpc_mech(struct sess_w *w, uint8_t auth_type)
{
	const char *named = auth_type == KF_DCERPC_AUTH_KERBEROS   ? "kerberos"
			    : auth_type == KF_DCERPC_AUTH_NTLMSSP  ? "ntlm"
			    : auth_type == KF_DCERPC_AUTH_NETLOGON ? "netlogon"
			    : auth_type == KF_DCERPC_AUTH_SCHANNEL ? "schannel"
								   : NULL;
	bool unset = !strcmp(w->s.mech, "unknown") || !strcmp(w->s.mech, "none");
	if (auth_type == KF_DCERPC_AUTH_NONE) {
		if (!strcmp(w->s.mech, "unknown"))
			w->s.mech = "none";
	} else if (named && unset) {
		w->s.mech = named;
	} else if (!strcmp(w->s.mech, "none")) { /* authenticated after all: its tokens will say */
		w->s.mech = "unknown";
	}
}

/* Faults a server sends for a third leg it refused: Samba's nca_proto_error
 * (0x1c01000b), access denied (5), SEC_E-style package error (0x721). */
static bool auth3_verdict(uint32_t status)
{
	return status == 0x1c01000bu || status == 5u || status == 0x721u;
}

static void on_dcerpc_record(struct build *b, const struct kf_message *m)
{
	const struct kf_dcerpc_rec *d = m->dcerpc;
	uint32_t *slot = table_slot(&b->rpc, rpc_key(m->connection, d->pipe));
	struct sess_w *w = *slot ? &b->v[*slot - 1] : NULL;
	bool req = m->type == KF_MSG_DCERPC_REQUEST;
	if (d->ptype == KF_DCERPC_FAULT) {
		/* a fault is the session's only when it answers the bind phase */
		bool answers_bind = w && !w->rpc_answered && d->call_id == w->rpc_call;
		/* after AUTH3 only a status that can be the server's verdict on the
		 * third leg is the session's; nca_op_rng_error and the like are
		 * the call's own fault after a good logon */
		bool answers_auth3 = w && w->rpc_auth3 && d->first_call && auth3_verdict(d->status);
		if (!answers_bind && !answers_auth3)
			return;
		rpc_refused(w, d->status, answers_bind ? "fault" : "auth3_fault");
		w->rpc_answered = true;
		w->rpc_auth3 = false;
	} else {
		if ((req && d->ptype == KF_DCERPC_BIND) || !w) {
			if (!(w = session_new(b, m, req)))
				return;
			*slot = (uint32_t)(w - b->v) + 1;
		}
		if (!w->s.target)
			w->s.target = d->interface;
		if (!w->s.pipe)
			w->s.pipe = d->pipe;
	}
	frame_add(b, w, m->frame);
	*table_slot(&b->rpc_tok, m->connection) = (uint32_t)(w - b->v) + 1;
	if (d->ptype == KF_DCERPC_FAULT)
		return;
	if (req) {
		w->rpc_auth3 = d->ptype == KF_DCERPC_AUTH3;
		if (!w->rpc_auth3) {
			w->rpc_call = d->call_id;
			w->rpc_answered = false;
		}
		rpc_mech(w, d->auth_type);
		return;
	}
	w->rpc_answered = true;
	if (d->ptype == KF_DCERPC_BIND_NAK) {
		rpc_refused(w, d->has_status ? d->status : 0, "bind_nak");
	} else if (d->has_status) { /* bind_ack / alter_context_resp rejecting the first context */
		rpc_refused(w, d->status, "context");
	} else {
		w->s.outcome = "ok";
		w->s.has_rpc_status = false;
		w->s.rpc_status = 0;
		w->s.rpc_status_kind = NULL;
	}
}

static void on_record(struct build *b, const struct kf_message *m)
{
	if (m->dcerpc) {
		on_dcerpc_record(b, m);
		return;
	}
	if (m->ldap) {
		on_ldap_record(b, m);
		return;
	}
	if (m->tds) {
		on_tds_record(b, m);
		return;
	}
	const struct kf_smb_rec *s = m->smb;
	bool req = m->type == KF_MSG_SMB_REQUEST;
	if (!s || s->encrypted)
		return;
	if (is_cmd(m, KF_SMB2_SESSION_SETUP, KF_SMB1_SESSION_SETUP_ANDX)) {
		struct sess_w *w = req ? by_sid(b, m->connection, s->session_id) : current(b, m);
		if (req && w)
			*table_slot(&b->current, m->connection) = (uint32_t)(w - b->v) + 1;
		/* a request on a connection whose last session is settled starts another */
		if (req && !w) {
			w = current(b, m);
			if (w && (w->s.has_status && w->s.status != STATUS_MORE_PROCESSING_REQUIRED))
				w = NULL;
			if (w && w->s.session_id && w->s.session_id != s->session_id)
				w = NULL;
		}
		if (!w && !(w = session_new(b, m, req)))
			return;
		frame_add(b, w, m->frame);
		if (req) {
			if (s->account && !w->s.as) { /* SMB1 without extended security */
				w->s.as = joined(b, s->domain, "\\", s->account);
				w->s.mech = "none";
			}
			return;
		}
		if (s->session_id && !w->s.session_id) {
			w->s.session_id = s->session_id;
			*table_slot(&b->by_sid, sid_key(m->connection, s->session_id)) =
				(uint32_t)(w - b->v) + 1;
		}
		w->s.has_status = s->has_status;
		w->s.status = s->status;
		if (!s->has_status)
			return;
		if (s->status == 0) {
			w->s.outcome = "ok";
			if (s->session_flags & KF_SMB_SESSION_GUEST)
				w->s.as = "guest";
			else if ((s->session_flags & KF_SMB_SESSION_NULL) && !w->s.as)
				w->s.as = "anonymous";
		} else if (s->status != STATUS_MORE_PROCESSING_REQUIRED) {
			w->s.outcome = "error";
		}
		return;
	}
	struct sess_w *w = by_sid(b, m->connection, s->session_id);
	if (!w)
		return;
	if (is_cmd(m, KF_SMB2_TREE_CONNECT, KF_SMB1_TREE_CONNECT_ANDX) && s->tree) {
		bool ipc = strlen(s->tree) >= 5 && !strcmp(s->tree + strlen(s->tree) - 5, "\\IPC$");
		if (!w->s.target || (!ipc && strstr(w->s.target, "\\IPC$")))
			w->s.target = s->tree;
		frame_add(b, w, m->frame);
	} else if (is_cmd(m, KF_SMB2_LOGOFF, KF_SMB1_LOGOFF_ANDX)) {
		frame_add(b, w, m->frame);
	}
}

/* A DCE/RPC bind without authentication is worth a session only when it failed. */
static bool kept(const struct kf_session *s)
{
	return s->carrier != KF_CARRIER_DCERPC || strcmp(s->mech, "none") || !strcmp(s->outcome, "error");
}

static void freeze(struct build *b)
{
	struct kf_arena *a = &b->r->arena;
	struct kf_session *out = kf_arena_alloc(a, b->n * sizeof(*out) + 1);
	if (!out) {
		b->fail = true;
		return;
	}
	size_t n = 0;
	for (size_t i = 0; i < b->n; i++) {
		struct sess_w *w = &b->v[i];
		if (!kept(&w->s))
			continue;
		out[n] = w->s;
		out[n].frames = kf_arena_alloc(a, w->n_frames * sizeof(uint64_t) + 1);
		if (!out[n].frames) {
			b->fail = true;
			return;
		}
		memcpy(out[n].frames, w->frames, w->n_frames * sizeof(uint64_t));
		out[n].n_frames = w->n_frames;
		n++;
	}
	b->r->sessions = out;
	b->r->n_sessions = n;
}

enum kf_status kf_sessions_build(struct kf_result *r)
{
	struct build b = { .r = r };
	size_t n_followed = 0;
	for (size_t i = 0; i < r->n_messages; i++)
		n_followed += is_followed(&r->messages[i]);
	r->sessions = NULL;
	r->n_sessions = 0;
	if (!n_followed)
		return KF_OK;
	if (!table_init(&b.current, n_followed) || !table_init(&b.by_sid, n_followed) ||
	    !table_init(&b.rpc, n_followed) || !table_init(&b.rpc_tok, n_followed))
		b.fail = true;
	/* a frame's SMB, LDAP, TDS and DCE/RPC records before its tokens: the record says
	 * which session the PDU belongs to, the token (recorded first) what it held */
	for (size_t i = 0, end; i < r->n_messages && !b.fail; i = end) {
		for (end = i + 1; end < r->n_messages && r->messages[end].frame == r->messages[i].frame;
		     end++)
			;
		for (int pass = 0; pass < 2; pass++)
			for (size_t k = i; k < end; k++) {
				const struct kf_message *m = &r->messages[k];
				if (!is_followed(m) || !m->connection || m->type == KF_MSG_GSS_WRAP ||
				    m->type == KF_MSG_GSS_MIC)
					continue; /* per-message tokens: after the session, not part of it */
				bool record =
					m->type == KF_MSG_SMB_REQUEST || m->type == KF_MSG_SMB_RESPONSE ||
					m->type == KF_MSG_LDAP_REQUEST || m->type == KF_MSG_LDAP_RESPONSE ||
					m->type == KF_MSG_TDS_REQUEST || m->type == KF_MSG_TDS_RESPONSE ||
					m->type == KF_MSG_DCERPC_REQUEST || m->type == KF_MSG_DCERPC_RESPONSE;
				if (record && pass == 0)
					on_record(&b, m);
				else if (!record && pass == 1)
					on_token(&b, m);
			}
	}
	if (!b.fail)
		freeze(&b);
	r->session_frames_dropped = b.frames_dropped;
	for (size_t i = 0; i < b.n; i++)
		kf_free(b.v[i].frames);
	kf_free(b.v);
	table_free(&b.current);
	table_free(&b.by_sid);
	table_free(&b.rpc);
	table_free(&b.rpc_tok);
	return b.fail ? KF_NOMEM : KF_OK;
}
