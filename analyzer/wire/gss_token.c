/* gss_token.c - authentication tokens from any carrier: (base64, RFC 4648,
 * for HTTP) → GSS-API framing (RFC 2743 §3.1) → SPNEGO (RFC 4178) →
 * Kerberos (RFC 4121 token ids, RFC 4120 messages) or NTLMSSP (MS-NLMP),
 * recorded as messages of the carrier that brought them. */
#include "gss_token.h"

#include <string.h>

#include "base/base64.h"
#include "gss.h"
#include "krb5.h"
#include "emit.h"
#include "ntlmssp.h"

static const char *mech_label(struct kf_arena *a, enum kf_mech m, struct kf_span oid)
{
	const char *n = kf_mech_name(m);
	if (n)
		return n;
	char buf[96];
	kf_oid_to_string(oid, buf, sizeof buf);
	return kf_arena_strndup(a, buf, strlen(buf));
}

static struct kf_spnego_rec *spnego_rec(struct kf_arena *a, const struct kf_spnego *sp)
{
	struct kf_spnego_rec *s = kf_arena_zalloc(a, sizeof(*s));
	if (!s)
		return NULL;
	if (sp->n_mech_types) {
		s->mech_types = kf_arena_alloc(a, sp->n_mech_types * sizeof(char *));
		if (!s->mech_types)
			return NULL;
		for (unsigned i = 0; i < sp->n_mech_types; i++)
			s->mech_types[i] = mech_label(a, sp->mech_types[i], sp->mech_type_oids[i]);
		s->n_mech_types = sp->n_mech_types;
	}
	s->has_neg_state = sp->has_neg_state;
	s->neg_state = sp->neg_state;
	if (sp->has_supported_mech)
		s->supported_mech = mech_label(a, sp->supported_mech, sp->supported_mech_oid);
	s->mech_list_mic = sp->has_mech_list_mic;
	return s;
}

static const char *ntlm_str(struct kf_arena *a, struct kf_span v, bool unicode)
{
	if (!v.n)
		return NULL;
	char buf[KF_LIMIT_NAME];
	size_t n = kf_ntlm_string(v, unicode, buf, sizeof buf);
	return kf_arena_strndup(a, buf, n);
}

static struct kf_ntlm_rec *ntlm_rec(struct kf_arena *a, const struct kf_ntlm_msg *m)
{
	struct kf_ntlm_rec *n = kf_arena_zalloc(a, sizeof(*n));
	if (!n)
		return NULL;
	n->flags = m->flags;
	n->domain = ntlm_str(a, m->domain, m->unicode);
	n->user = ntlm_str(a, m->user, m->unicode);
	n->workstation = ntlm_str(a, m->workstation, m->unicode);
	n->target_name = ntlm_str(a, m->target_name, m->unicode);
	if (m->type == 2) {
		/* target info strings are always UTF-16LE (MS-NLMP §2.2.2.1) */
		for (unsigned i = 0; i < m->n_av; i++) {
			const char *v = ntlm_str(a, m->av[i].value, true);
			switch (m->av[i].id) {
			case 1: n->nb_computer = v; break;
			case 2: n->nb_domain = v; break;
			case 3: n->dns_computer = v; break;
			case 4: n->dns_domain = v; break;
			default: break;
			}
		}
	}
	for (unsigned i = 0; m->type == 3 && i < m->n_av; i++)
		if (m->av[i].id == 9) /* MsvAvTargetName, UTF-16LE like all AV values */
			n->spn = ntlm_str(a, m->av[i].value, true);
	n->ntlmv2 = m->ntlmv2;
	n->mic = m->has_mic;
	n->anonymous = m->anonymous && !m->damaged;
	n->damaged = m->damaged;
	n->has_version = m->has_version;
	n->version_major = m->version_major;
	n->version_minor = m->version_minor;
	n->version_build = m->version_build;
	return n;
}

static int64_t record(struct kf_run *r, const struct kf_token_origin *o, int type,
		      const struct kf_krb_msg *krb, struct kf_span raw, struct kf_spnego_rec *sp,
		      struct kf_ntlm_rec *ntlm)
{
	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.type = type;
	msg.first_frame = o->first_frame;
	msg.sender = o->sender;
	msg.spnego = sp;
	msg.ntlm = ntlm;
	msg.raw = raw.p;
	msg.raw_len = (uint32_t)raw.n; /* a token is at most KF_LIMIT_TOKEN bytes */
	uint32_t id;
	return kf_emit(r, o->conn, o->dir, o->carrier, &msg, krb, &id) ? (int64_t)id : -1;
}

/* The mechanism token inside SPNEGO or a bare token: Kerberos (GSS-framed
 * with a token id, or raw) or NTLMSSP. */
static int64_t inner_message(struct kf_run *r, const struct kf_token_origin *o, struct kf_span t,
			     struct kf_spnego_rec *sp, struct kf_token_summary *sum)
{
	struct kf_arena *a = &r->res->arena;
	switch (kf_token_classify(t)) {
	case KF_TOKEN_GSS_FRAMED: {
		struct kf_gss_token g;
		if (!kf_gss_unwrap(t, &g, &r->ev))
			break;
		if (g.mech == KF_MECH_NTLMSSP)
			return inner_message(r, o, g.inner, sp, sum);
		/* IAKERB (draft-ietf-kitten-iakerb) frames the AP exchange as
		 * Kerberos does; its proxied KDC messages (token id 0x0501) sit
		 * behind a header and are not decoded here */
		if (g.mech != KF_MECH_KRB5 && g.mech != KF_MECH_MS_KRB5 && g.mech != KF_MECH_KRB5_U2U &&
		    g.mech != KF_MECH_IAKERB)
			break;
		if (g.mech == KF_MECH_IAKERB && g.has_tok_id && g.tok_id == 0x0501)
			return -1; /* a proxied KDC message: known, not read */
		struct kf_krb_msg m;
		if (!kf_krb5_decode(g.krb_msg, &m, &r->ev))
			break;
		return record(r, o, m.type, &m, g.krb_msg, sp, NULL);
	}
	case KF_TOKEN_KRB5_RAW: {
		struct kf_krb_msg m;
		if (!kf_krb5_decode(t, &m, &r->ev))
			break;
		return record(r, o, m.type, &m, t, sp, NULL);
	}
	case KF_TOKEN_NTLMSSP: {
		struct kf_ntlm_msg n;
		if (!kf_ntlmssp_decode(t, &n, &r->ev) || n.type < 1 || n.type > 3)
			break;
		struct kf_ntlm_rec *rec = ntlm_rec(a, &n);
		if (!rec) {
			kf_run_nomem(r);
			return -1;
		}
		return record(r, o, KF_MSG_NTLM_NEGOTIATE + (int)n.type - 1, NULL, kf_span_make(NULL, 0), sp,
			      rec);
	}
	default: break;
	}
	sum->invalid = true;
	return -1;
}

int64_t kf_gss_token_base64(struct kf_run *r, const struct kf_token_origin *o, struct kf_span token,
			    struct kf_token_summary *sum)
{
	memset(sum, 0, sizeof *sum);
	if (token.n == 0)
		return -1;
	if (kf_base64_decoded_max(token.n) > KF_LIMIT_TOKEN) {
		kf_events_add(&r->ev, KF_EV_TOKEN_TOO_BIG);
		sum->invalid = true;
		return -1;
	}
	if (!r->token_buf) {
		r->token_buf = kf_malloc(KF_LIMIT_TOKEN);
		if (!r->token_buf) {
			kf_run_nomem(r);
			return -1;
		}
	}
	size_t n;
	if (!kf_base64_decode(token, r->token_buf, KF_LIMIT_TOKEN, &n)) {
		kf_events_add(&r->ev, KF_EV_BASE64_INVALID);
		sum->invalid = true;
		return -1;
	}
	return kf_gss_token(r, o, kf_span_make(r->token_buf, n), sum);
}

int64_t kf_gss_token(struct kf_run *r, const struct kf_token_origin *o, struct kf_span t,
		     struct kf_token_summary *sum)
{
	memset(sum, 0, sizeof *sum);
	if (t.n > KF_LIMIT_TOKEN) {
		kf_events_add(&r->ev, KF_EV_TOKEN_TOO_BIG);
		sum->invalid = true;
		return -1;
	}
	sum->token_bytes = (uint32_t)t.n;
	enum kf_token_kind kind = kf_token_classify(t);

	bool spnego = kind == KF_TOKEN_SPNEGO_INIT || kind == KF_TOKEN_SPNEGO_RESP;
	if (kind == KF_TOKEN_GSS_FRAMED) {
		struct kf_gss_token g;
		spnego = kf_gss_unwrap(t, &g, NULL) && g.mech == KF_MECH_SPNEGO;
	}
	if (!spnego)
		return inner_message(r, o, t, NULL, sum);

	struct kf_spnego sp;
	if (!kf_spnego_decode(t, &sp, &r->ev)) {
		sum->invalid = true;
		return -1;
	}
	struct kf_spnego_rec *rec = spnego_rec(&r->res->arena, &sp);
	if (!rec) {
		kf_run_nomem(r);
		return -1;
	}
	struct kf_span inner = sp.is_init ? sp.mech_token : sp.response_token;
	bool has_inner = sp.is_init ? sp.has_mech_token : sp.has_response_token;
	if (!has_inner || inner.n == 0) {
		sum->bare_spnego = rec;
		return -1;
	}
	int64_t idx = inner_message(r, o, inner, rec, sum);
	if (idx < 0) /* the SPNEGO part is still worth showing on the HTTP record */
		sum->bare_spnego = rec;
	return idx;
}

bool kf_gss_perm_record(struct kf_run *r, const struct kf_token_origin *o, const struct kf_gss_perm *p,
			uint32_t token_bytes, bool from_client)
{
	struct kf_gsswrap_rec *g = kf_arena_zalloc(&r->res->arena, sizeof(*g));
	if (!g) {
		kf_run_nomem(r);
		return false;
	}
	g->mechanism = kf_gss_perm_mech_name(p->mech);
	g->sealed_known = p->wrap && p->sealed_known; /* a MIC never seals: nothing to say */
	g->sealed = p->sealed;
	g->sent_by_acceptor = p->sent_by_acceptor;
	g->acceptor_subkey = p->acceptor_subkey;
	g->has_seq = p->has_seq;
	g->seq = p->seq;
	g->token_bytes = token_bytes;
	g->from_client = from_client;
	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.type = p->wrap ? KF_MSG_GSS_WRAP : KF_MSG_GSS_MIC;
	msg.first_frame = o->first_frame;
	msg.gsswrap = g;
	uint32_t id;
	return kf_emit(r, o->conn, o->dir, o->carrier, &msg, NULL, &id);
}
