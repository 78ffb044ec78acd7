/* krb_conn.c - Kerberos on port 88: TCP connections (RFC 4120 §7.2.2 record
 * marks, through krb_stream.c) and UDP datagrams, decoded into messages with
 * request/reply matching, and what never got an answer (transport events for
 * the unreachable-KDC rules). */
#include "krb_conn.h"

#include <string.h>

#include "base/limits.h"
#include "krb_stream.h"

#define KRB_PORT 88
#define PENDING_MAX KF_LIMIT_KRB_PENDING

/* Per-flow state for a TCP connection or a UDP client/KDC pair. */
struct krb_conn {
	enum kf_conn_kind kind; /* KF_CONN_KRB: first, see run.h */
	bool tcp;
	bool syn_seen, synack_seen, rst_from_server, data_from_server, got_reply, midstream;
	bool fin[2];
	uint32_t syn_count;
	uint32_t isn;
	uint64_t syn_frame, syn_ts, rst_frame, rst_ts, last_frame, last_ts;
	struct kf_reasm_dir *dir[2]; /* 0: client → KDC, 1: KDC → client */
	struct kf_krb_stream ks[2];
	uint32_t pend[PENDING_MAX];  /* message indices awaiting a reply, FIFO */
	uint8_t pend_head, pend_n;
};

/* Delivery context of one direction of one connection. */
struct deliver_ctx {
	struct kf_run *r;
	struct kf_flow *f;
	struct krb_conn *c;
	int dir;
};

static bool is_request(int type)
{
	return type == KF_KRB_AS_REQ || type == KF_KRB_TGS_REQ || type == KF_KRB_TGT_REQ ||
	       type == KF_KRB_AP_REQ;
}

static bool is_reply(int type)
{
	return type == KF_KRB_AS_REP || type == KF_KRB_TGS_REP || type == KF_KRB_ERROR ||
	       type == KF_KRB_TGT_REP || type == KF_KRB_AP_REP;
}

static void add_tevent(struct kf_run *r, enum kf_tevent_kind kind, uint64_t frame, uint64_t ts,
		       const struct kf_flow_key *k, uint32_t count, uint64_t request_frame)
{
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
	kf_run_tevent(r, &t);
}

/* ---- connections -------------------------------------------------------- */

static struct krb_conn *conn_new(bool tcp)
{
	struct krb_conn *c = kf_calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->kind = KF_CONN_KRB;
	c->tcp = tcp;
	kf_krb_stream_init(&c->ks[0]);
	kf_krb_stream_init(&c->ks[1]);
	return c;
}

static void pending_push(struct krb_conn *c, uint32_t idx)
{
	if (c->pend_n == PENDING_MAX) { /* oldest request forgotten */
		c->pend_head = (uint8_t)((c->pend_head + 1) % PENDING_MAX);
		c->pend_n--;
	}
	c->pend[(c->pend_head + c->pend_n) % PENDING_MAX] = idx;
	c->pend_n++;
}

static bool pending_pop(struct krb_conn *c, uint32_t *idx)
{
	if (!c->pend_n)
		return false;
	*idx = c->pend[c->pend_head];
	c->pend_head = (uint8_t)((c->pend_head + 1) % PENDING_MAX);
	c->pend_n--;
	return true;
}

/* Record a decoded Kerberos message and match it with its request. */
static void emit_message(struct kf_run *r, struct kf_flow *f, struct krb_conn *c, int dir,
			 const struct kf_krb_msg *m, struct kf_span raw, uint64_t first_frame, uint32_t nfrags)
{
	const struct kf_flow_key *k = &f->key;
	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.frame = r->frame;
	msg.ts_us = r->ts_us;
	msg.first_frame = first_frame;
	if (dir == 0) {
		kf_run_endpoint(&msg.src, k->ipver, k->caddr, k->cport);
		kf_run_endpoint(&msg.dst, k->ipver, k->saddr, k->sport);
	} else {
		kf_run_endpoint(&msg.src, k->ipver, k->saddr, k->sport);
		kf_run_endpoint(&msg.dst, k->ipver, k->caddr, k->cport);
	}
	msg.transport = k->proto;
	msg.carrier = KF_CARRIER_KERBEROS;
	msg.type = m->type;
	msg.ip_fragments = nfrags;
	msg.connection = c->tcp ? f->id : 0;
	msg.raw = raw.p;
	msg.raw_len = raw.n <= UINT32_MAX ? (uint32_t)raw.n : 0;

	uint32_t idx;
	enum kf_status st = kf_msgstore_add(&r->store, &msg, m, &idx);
	if (st == KF_LIMIT) {
		kf_events_add(&r->ev, KF_EV_MESSAGE_LIMIT);
		return;
	}
	if (st != KF_OK) {
		kf_events_add(&r->ev, KF_EV_OUT_OF_MEMORY);
		return;
	}
	if (dir == 0 && is_request(m->type)) {
		pending_push(c, idx);
	} else if (dir == 1 && is_reply(m->type)) {
		c->got_reply = true;
		uint32_t req;
		if (pending_pop(c, &req))
			kf_msgstore_link(&r->store, req, idx);
	}
}

static void on_record(void *ctx, struct kf_span rec, uint64_t first_frame)
{
	struct deliver_ctx *d = ctx;
	struct kf_krb_msg m;
	if (!kf_krb5_decode(rec, &m, &d->r->ev)) {
		kf_run_debug(d->r, "TCP record on port 88 is not a Kerberos message");
		return;
	}
	emit_message(d->r, d->f, d->c, d->dir, &m, rec, first_frame, 1);
}

static void on_stream(void *ctx, struct kf_span data, uint32_t gap_len)
{
	struct deliver_ctx *d = ctx;
	struct kf_krb_stream *ks = &d->c->ks[d->dir];
	if (gap_len) {
		kf_events_add(&d->r->ev, KF_EV_TCP_GAP);
		kf_krb_stream_gap(ks, gap_len);
		return;
	}
	if (d->dir == 1)
		d->c->data_from_server = true;
	kf_krb_stream_data(ks, data, d->r->frame, on_record, d, &d->r->ev);
}

static void flush_dir(struct kf_run *r, struct kf_flow *f, struct krb_conn *c, int dir)
{
	if (!c->dir[dir])
		return;
	struct deliver_ctx d = { r, f, c, dir };
	kf_reasm_flush(c->dir[dir], on_stream, &d, &r->ev);
}

/* A flow leaves the table: finish it and report what never got an answer. */
void kf_krb_release(struct kf_run *r, struct kf_flow *f)
{
	struct krb_conn *c = f->user;
	uint64_t saved_frame = r->frame, saved_ts = r->ts_us;
	if (c->tcp) {
		/* data flushed now completed in the flow's last frame */
		r->frame = c->last_frame;
		r->ts_us = c->last_ts;
		flush_dir(r, f, c, 0);
		flush_dir(r, f, c, 1);
		r->frame = saved_frame;
		r->ts_us = saved_ts;
		/* a RST is an answer (port closed, or the KDC gave up): say so first;
		 * but only for a connection whose SYN is in the capture (a lone RST
		 * may end a connection that began, and worked, before it) */
		if (c->rst_from_server && !c->got_reply && c->syn_seen)
			add_tevent(r, KF_TEV_TCP_RESET, c->rst_frame, c->rst_ts, &f->key, 1, 0);
		else if (c->syn_seen && !c->synack_seen && !c->data_from_server)
			add_tevent(r, KF_TEV_TCP_NO_ANSWER, c->syn_frame, c->syn_ts, &f->key, c->syn_count, 0);
	}
	uint32_t idx;
	while (pending_pop(c, &idx)) {
		const struct kf_message *m = kf_msgstore_get(&r->store, idx);
		add_tevent(r, c->tcp ? KF_TEV_TCP_NO_REPLY : KF_TEV_UDP_NO_REPLY, m->frame, m->ts_us,
			   &f->key, 1, m->frame);
	}
	for (int i = 0; i < 2; i++) {
		kf_reasm_free(c->dir[i]);
		kf_krb_stream_free(&c->ks[i]);
	}
	kf_free(c);
	f->user = NULL;
}

static struct kf_flow *flow_for(struct kf_run *r, const struct kf_flow_key *k, bool create)
{
	bool reversed;
	struct kf_flow *f = kf_flow_find(r->flows, k, &reversed);
	if (f || !create)
		return f;
	f = kf_flow_insert(r->flows, k, r->ts_us, &r->ev);
	if (!f) {
		kf_events_add(&r->ev, KF_EV_OUT_OF_MEMORY);
		return NULL;
	}
	f->user = conn_new(k->proto == KF_IPPROTO_TCP);
	if (!f->user) {
		kf_events_add(&r->ev, KF_EV_OUT_OF_MEMORY);
		kf_flow_remove(r->flows, f, KF_FLOW_CLOSED);
		return NULL;
	}
	return f;
}

/* The key of a packet, client first; *dir = 0 when it runs client → KDC. */
void kf_krb_key(struct kf_flow_key *k, const struct kf_ip *ip, uint8_t proto, uint16_t sport, uint16_t dport,
		int *dir)
{
	memset(k, 0, sizeof *k);
	k->ipver = ip->version;
	k->proto = proto;
	if (dport == KRB_PORT) {
		*dir = 0;
		k->cport = sport;
		k->sport = dport;
		memcpy(k->caddr, ip->src, 16);
		memcpy(k->saddr, ip->dst, 16);
	} else {
		*dir = 1;
		k->cport = dport;
		k->sport = sport;
		memcpy(k->caddr, ip->dst, 16);
		memcpy(k->saddr, ip->src, 16);
	}
}

/* ---- TCP ---------------------------------------------------------------- */

static bool reasm_ready(struct kf_run *r, struct krb_conn *c, int dir)
{
	if (c->dir[dir])
		return true;
	c->dir[dir] = kf_reasm_new(&r->pool);
	if (!c->dir[dir]) {
		kf_events_add(&r->ev, KF_EV_OUT_OF_MEMORY);
		return false;
	}
	return true;
}

void kf_krb_tcp_packet(struct kf_run *r, const struct kf_ip *ip, const struct kf_tcp *t)
{
	struct kf_flow_key k;
	int dir;
	kf_krb_key(&k, ip, KF_IPPROTO_TCP, t->sport, t->dport, &dir);
	bool syn = t->flags & KF_TCP_SYN, ack = t->flags & KF_TCP_ACK, rst = t->flags & KF_TCP_RST;

	struct kf_flow *f = flow_for(r, &k, false);
	struct krb_conn *c = f ? f->user : NULL;
	if (f && syn && !ack && dir == 0 && c && c->syn_seen && t->seq != c->isn &&
	    (c->fin[0] || c->fin[1] || c->rst_from_server || c->got_reply)) {
		/* the client port was reused for a new connection */
		kf_flow_remove(r->flows, f, KF_FLOW_CLOSED);
		f = NULL;
	}
	if (!f) {
		/* follow a connection from its SYN, or from data when picked up mid-way */
		if (!syn && t->payload.n == 0 && !rst)
			return;
		f = flow_for(r, &k, true);
		if (!f)
			return;
		c = f->user;
	}
	kf_flow_touch(r->flows, f, r->ts_us);
	c->last_frame = r->frame;
	c->last_ts = r->ts_us;

	if (syn && !ack && dir == 0) {
		if (!c->syn_seen) {
			c->syn_seen = true;
			c->syn_frame = r->frame;
			c->syn_ts = r->ts_us;
			c->isn = t->seq;
			if (reasm_ready(r, c, 0) && !kf_reasm_started(c->dir[0]))
				kf_reasm_start(c->dir[0], t->seq, true);
		}
		c->syn_count++;
	} else if (syn && ack && dir == 1) {
		c->synack_seen = true;
		if (reasm_ready(r, c, 1) && !kf_reasm_started(c->dir[1]))
			kf_reasm_start(c->dir[1], t->seq, true);
	}
	if (rst && dir == 1 && !c->rst_from_server) {
		c->rst_from_server = true;
		c->rst_frame = r->frame;
		c->rst_ts = r->ts_us;
	}

	struct deliver_ctx d = { r, f, c, dir };
	if (t->payload.n && reasm_ready(r, c, dir)) {
		if (!kf_reasm_started(c->dir[dir])) {
			kf_reasm_start(c->dir[dir], syn ? t->seq + 1 : t->seq, false);
			if (!c->midstream) {
				c->midstream = true;
				kf_events_add(&r->ev, KF_EV_TCP_MIDSTREAM);
			}
		}
		/* a SYN takes a sequence number: its data starts one later */
		uint32_t dseq = syn ? t->seq + 1 : t->seq;
		kf_reasm_segment(c->dir[dir], dseq, t->payload, on_stream, &d, &r->ev);
	}
	if (ack && !syn && c->dir[!dir] && kf_reasm_started(c->dir[!dir])) {
		struct deliver_ctx od = { r, f, c, !dir };
		kf_reasm_ack(c->dir[!dir], t->ack, on_stream, &od, &r->ev);
	}
	if ((t->flags & KF_TCP_FIN) || rst) {
		c->fin[dir] = true;
		flush_dir(r, f, c, dir);
	}
}

/* ---- UDP ---------------------------------------------------------------- */

void kf_krb_udp_packet(struct kf_run *r, const struct kf_ip *ip, const struct kf_udp *u, uint32_t nfrags)
{
	struct kf_krb_msg m;
	if (!kf_krb5_decode(u->payload, &m, &r->ev)) {
		kf_run_debug(r, "UDP payload on port 88 is not a Kerberos message");
		return;
	}
	struct kf_flow_key k;
	int dir;
	kf_krb_key(&k, ip, KF_IPPROTO_UDP, u->sport, u->dport, &dir);
	if (u->sport == KRB_PORT && u->dport == KRB_PORT) /* KDC to KDC: by message type */
		dir = is_reply(m.type) ? 1 : 0;
	struct kf_flow *f = flow_for(r, &k, true);
	if (!f)
		return;
	kf_flow_touch(r->flows, f, r->ts_us);
	emit_message(r, f, f->user, dir, &m, u->payload, r->frame, nfrags);
}

