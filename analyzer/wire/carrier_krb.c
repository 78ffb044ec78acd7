/* carrier_krb.c - Kerberos on port 88 (RFC 4120 §7.2): TCP records behind
 * 4-byte marks (krb_stream.c) and UDP datagrams, each decoded into a
 * message and matched with its request; and, when the flow ends, what never
 * got an answer (transport events for the unreachable-KDC rules). */
#include <string.h>

#include "carriers.h"
#include "emit.h"

struct krb_state {
	bool got_reply;
	struct kf_records rec;  /* TCP record framing */
	struct kf_pending pend; /* requests awaiting a reply, FIFO */
};

static void add_tevent(struct kf_run *r, enum kf_tevent_kind kind, uint64_t frame, uint64_t ts,
		       const struct kf_conn *c, uint32_t count, uint64_t request_frame)
{
	const struct kf_flow_key *k = &c->flow->key;
	struct kf_tevent t;
	memset(&t, 0, sizeof t);
	t.kind = kind;
	t.frame = frame;
	t.ts_us = ts;
	kf_run_endpoint(&t.src, k->ipver, k->caddr, k->cport);
	kf_run_endpoint(&t.dst, k->ipver, k->saddr, k->sport);
	t.transport = k->proto;
	t.count = count;
	t.request_frame = request_frame;
	t.has_tcp_stream = c->tcp;
	t.tcp_stream = c->tcp_stream;
	kf_run_tevent(r, &t);
}

static void on_oversize(struct kf_run *r, struct kf_conn *c, int dir, uint32_t length, uint8_t tag,
			uint64_t first_frame);

static bool krb_open(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	struct krb_state *s = kf_calloc(1, sizeof(*s));
	if (!s)
		return false;
	kf_records_init(&s->rec);
	s->rec.oversize = on_oversize;
	c->cs = s;
	return true;
}

/* Record a decoded Kerberos message and match it with its request. */
static void emit_message(struct kf_run *r, struct kf_conn *c, int dir, const struct kf_krb_msg *m,
			 struct kf_span raw, uint64_t first_frame, uint32_t nfrags, uint32_t oversized)
{
	struct krb_state *s = c->cs;
	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.first_frame = first_frame;
	msg.krb_record_over_cap = oversized;
	msg.type = m->type;
	msg.ip_fragments = nfrags;
	msg.raw = raw.p;
	msg.raw_len = raw.n <= UINT32_MAX ? (uint32_t)raw.n : 0;
	uint32_t id;
	if (!kf_emit(r, c, dir, KF_CARRIER_KERBEROS, &msg, m, &id))
		return;
	if (dir == 0 && kf_krb_is_request(m->type)) {
		kf_pending_push(&s->pend, id);
	} else if (dir == 1 && kf_krb_is_reply(m->type)) {
		s->got_reply = true;
		uint32_t req;
		if (kf_pending_pop(&s->pend, &req))
			kf_msgstore_link(&r->store, req, id);
	}
}

static void on_record(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span rec, uint64_t first_frame)
{
	struct kf_krb_msg m;
	if (!kf_krb5_decode(rec, &m, &r->ev)) {
		kf_run_debug(r, "TCP record on port 88 is not a Kerberos message");
		return;
	}
	emit_message(r, c, dir, &m, rec, first_frame, 1, 0);
}

/* A record too long to buffer: its tag still says what it is, and a reply
 * that size is an answer (the KDC is not unreachable) — a message without its
 * contents, saying the record's length. */
static void on_oversize(struct kf_run *r, struct kf_conn *c, int dir, uint32_t length, uint8_t tag,
			uint64_t first_frame)
{
	struct kf_krb_msg m;
	memset(&m, 0, sizeof m);
	if ((tag & 0xe0) != 0x60) /* not [APPLICATION n] constructed: not a Kerberos message */
		return;
	m.type = tag & 0x1f;
	if (!kf_krb_is_request(m.type) && !kf_krb_is_reply(m.type))
		return;
	emit_message(r, c, dir, &m, kf_span_make(NULL, 0), first_frame, 1, length);
}

static void krb_stream(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span data, uint32_t gap_len)
{
	kf_records_feed(r, &((struct krb_state *)c->cs)->rec, c, dir, data, gap_len, on_record);
}

static void krb_datagram(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span payload,
			 uint32_t nfrags)
{
	struct kf_krb_msg m;
	if (!kf_krb5_decode(payload, &m, &r->ev)) {
		kf_run_debug(r, "UDP payload on port 88 is not a Kerberos message");
		return;
	}
	const struct kf_flow_key *k = &c->flow->key;
	if (k->cport == KF_KRB_PORT && k->sport == KF_KRB_PORT) /* KDC to KDC: by message type */
		dir = kf_krb_is_reply(m.type) ? 1 : 0;
	struct kf_conn *kept = kf_conn_udp_keep(r, c);
	if (kept)
		emit_message(r, kept, dir, &m, payload, r->frame, nfrags, 0);
}

/* The flow ends: report what never got an answer. */
static void krb_release(struct kf_run *r, struct kf_conn *c)
{
	struct krb_state *s = c->cs;
	if (c->tcp) {
		/* a RST is an answer (port closed, or the KDC gave up): say so first;
		 * but only for a connection whose SYN is in the capture (a lone RST
		 * may end a connection that began, and worked, before it) */
		if (c->rst_from_server && !s->got_reply && c->syn_seen[0])
			add_tevent(r, KF_TEV_TCP_RESET, c->rst_frame, c->rst_ts, c, 1, 0);
		else if (c->syn_seen[0] && !c->syn_seen[1] && !c->data_seen[1])
			add_tevent(r, KF_TEV_TCP_NO_ANSWER, c->syn_frame, c->syn_ts, c, c->syn_count, 0);
	}
	uint32_t id;
	while (kf_pending_pop(&s->pend, &id)) {
		const struct kf_message *m = kf_msgstore_get(&r->store, id);
		add_tevent(r, c->tcp ? KF_TEV_TCP_NO_REPLY : KF_TEV_UDP_NO_REPLY, m->frame, m->ts_us, c, 1,
			   m->frame);
	}
	kf_records_free(&s->rec);
	kf_free(s);
	c->cs = NULL;
}

const struct kf_carrier_ops kf_carrier_kerberos = {
	.name = "kerberos",
	.port = KF_KRB_PORT,
	.tcp = true,
	.udp = true,
	.open = krb_open,
	.stream = krb_stream,
	.datagram = krb_datagram,
	.release = krb_release,
};
