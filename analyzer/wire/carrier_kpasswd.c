/* carrier_kpasswd.c - Kerberos password change and set (RFC 3244) on port
 * 464, over UDP and TCP (records behind 4-byte marks, as Kerberos on 88).
 * Each message is recorded as the Kerberos message it carries — the
 * request's AP-REQ, the reply's AP-REP or KRB-ERROR — with what the kpasswd
 * framing adds: the protocol version, the encrypted KRB-PRIV's etype and
 * size, and the result code and text when the server sent them in the clear
 * (a KRB-ERROR's e-data). */
#include <string.h>

#include "base/text.h"
#include "carriers.h"
#include "emit.h"
#include "kpasswd.h"

struct kpw_state {
	struct kf_records rec;  /* TCP record framing */
	struct kf_pending pend; /* requests awaiting a reply */
};

/* The result text as sent, made printable (controls and malformed UTF-8 become '?'). */
static const char *result_text(struct kf_run *r, struct kf_span s)
{
	char buf[KF_LIMIT_KPASSWD_RESULT_TEXT];
	size_t n = kf_text_utf8(s, buf, sizeof buf, NULL);
	return n ? kf_arena_strndup(&r->res->arena, buf, n) : NULL;
}

static struct kf_kpasswd_rec *kpasswd_rec(struct kf_run *r, const struct kf_kpasswd_msg *k)
{
	struct kf_kpasswd_rec *rec = kf_arena_zalloc(&r->res->arena, sizeof(*rec));
	if (!rec)
		return NULL;
	rec->framed = k->framed;
	rec->version = k->version;
	rec->has_priv = k->priv.n != 0;
	rec->priv_etype = k->priv_enc.present ? k->priv_enc.etype : 0;
	rec->priv_bytes = k->priv_enc.present && k->priv_enc.cipher_len <= UINT32_MAX
				  ? (uint32_t)k->priv_enc.cipher_len
				  : 0;
	if (k->result.present && !k->result.ad_policy) {
		rec->has_result = true;
		rec->result_code = k->result.code;
		rec->result_text = result_text(r, k->result.string);
	} else if (k->result.present) {
		rec->has_result = true;
		rec->result_code = k->result.code;
		rec->ad_policy = true;
		rec->policy_min_length = k->result.policy.min_length;
		rec->policy_history = k->result.policy.history;
		rec->policy_properties = k->result.policy.properties;
	}
	return rec;
}

static void on_message(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span s, uint64_t first_frame,
		       uint32_t nfrags)
{
	struct kf_kpasswd_msg k;
	if (!kf_kpasswd_decode(s, &k, &r->ev)) {
		kf_run_debug(r, "message on port 464 is not a kpasswd message");
		return;
	}
	/* the Kerberos message it carries: AP-REQ, AP-REP, or the KRB-ERROR of a reply without AP-REP */
	struct kf_span inner = k.ap.n ? k.ap : k.error;
	struct kf_krb_msg m;
	struct kf_events ev = { .n = 0 };
	bool ok = inner.n && kf_krb5_decode(inner, &m, &ev);
	for (unsigned i = 0; i < ev.n;
	     i++) /* kpasswd's e-data is a result, not the PA-DATA Kerberos expects */
		if (!(ev.ev[i] == KF_EV_KRB_PADATA_MALFORMED && k.result.present))
			for (uint32_t j = 0; j <= ev.more[i]; j++)
				kf_events_add(&r->ev, (enum kf_event)ev.ev[i]);
	if (!ok) {
		kf_run_debug(r, "kpasswd message without a Kerberos message krbflow can read");
		return;
	}
	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.first_frame = first_frame;
	msg.type = m.type;
	msg.ip_fragments = nfrags;
	msg.raw = inner.p;
	msg.raw_len = inner.n <= UINT32_MAX ? (uint32_t)inner.n : 0;
	msg.kpasswd = kpasswd_rec(r, &k);
	if (!msg.kpasswd) {
		kf_run_nomem(r);
		return;
	}
	if (!c->tcp && !(c = kf_conn_udp_keep(r, c)))
		return;
	uint32_t id;
	if (!kf_emit(r, c, dir, KF_CARRIER_KPASSWD, &msg, &m, &id))
		return;
	struct kpw_state *st = c->cs;
	if (k.kind == KF_KPASSWD_REQUEST) {
		kf_pending_push(&st->pend, id);
	} else {
		uint32_t req;
		if (kf_pending_pop(&st->pend, &req))
			kf_msgstore_link(&r->store, req, id);
	}
}

static bool kpw_open(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	struct kpw_state *s = kf_calloc(1, sizeof(*s));
	if (!s)
		return false;
	kf_records_init(&s->rec);
	c->cs = s;
	return true;
}

static void on_record(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span rec, uint64_t first_frame)
{
	on_message(r, c, dir, rec, first_frame, 1);
}

static void kpw_stream(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span data, uint32_t gap_len)
{
	kf_records_feed(r, &((struct kpw_state *)c->cs)->rec, c, dir, data, gap_len, on_record);
}

static void kpw_datagram(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span payload,
			 uint32_t nfrags)
{
	on_message(r, c, dir, payload, r->frame, nfrags);
}

static void kpw_release(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	struct kpw_state *s = c->cs;
	kf_records_free(&s->rec);
	kf_free(s);
	c->cs = NULL;
}

const struct kf_carrier_ops kf_carrier_kpasswd = {
	.name = "kpasswd",
	.port = 464,
	.tcp = true,
	.udp = true,
	.open = kpw_open,
	.stream = kpw_stream,
	.datagram = kpw_datagram,
	.release = kpw_release,
};
