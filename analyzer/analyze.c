/* analyze.c - the packet path: capture record → link → IP (+defrag, tunnels)
 * → TCP reassembly / UDP → Kerberos framing and decoding → messages, with
 * request/reply matching and the transport events later rules need.
 *
 * Traffic that is not Kerberos costs a link, IP and transport header parse
 * and a port comparison: no lookup, no allocation, no copy.
 */
#include "analyze.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "capture.h"
#include "decrypt.h"
#include "krb_stream.h"
#include "dns.h"
#include "run.h"
#include "source.h"
#include "rules.h"
#include "stories.h"

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

/* ---- events → warnings -------------------------------------------------- */

static void note_events(struct kf_run *r, uint64_t frame)
{
	for (unsigned i = 0; i < r->ev.n; i++) {
		unsigned e = r->ev.ev[i];
		if (e >= KF_EV__COUNT)
			continue;
		if (r->ev_count[e] == 0)
			r->ev_first[e] = frame;
		r->ev_count[e] += 1 + r->ev.more[i];
		if (e == KF_EV_OUT_OF_MEMORY)
			r->nomem = true;
	}
	kf_events_clear(&r->ev);
}

void kf_run_nomem(struct kf_run *r) { kf_events_add(&r->ev, KF_EV_OUT_OF_MEMORY); }

void kf_run_debug(struct kf_run *r, const char *what)
{
	if (r->cfg->debug_decode)
		fprintf(stderr, "krbflow: frame %llu: %s\n", (unsigned long long)r->frame, what);
}

/* ---- endpoints ---------------------------------------------------------- */

void kf_run_endpoint(struct kf_endpoint *e, uint8_t ipver, const uint8_t *addr, uint16_t port)
{
	e->ipver = ipver;
	memcpy(e->addr, addr, 16);
	e->port = port;
}

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

/* ---- transport events --------------------------------------------------- */

/* Keep a transport event; past the cap say so (once per packet is enough). */
static void tevent_store(struct kf_run *r, const struct kf_tevent *t)
{
	enum kf_status st = kf_msgstore_add_tevent(&r->store, t);
	if (st == KF_LIMIT)
		kf_events_add(&r->ev, KF_EV_TRANSPORT_EVENT_LIMIT);
	else if (st != KF_OK)
		kf_events_add(&r->ev, KF_EV_OUT_OF_MEMORY);
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
	tevent_store(r, &t);
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
static void release_flow(void *ctx, struct kf_flow *f, enum kf_flow_release_reason why)
{
	struct kf_run *r = ctx;
	struct krb_conn *c = f->user;
	(void)why;
	if (!c)
		return;
	if (c->kind == KF_CONN_APP) {
		kf_app_release(r, f);
		return;
	}
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
static void make_key(struct kf_flow_key *k, const struct kf_ip *ip, uint8_t proto, uint16_t sport,
		     uint16_t dport, int *dir)
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

static void tcp_packet(struct kf_run *r, const struct kf_ip *ip, const struct kf_tcp *t)
{
	struct kf_flow_key k;
	int dir;
	make_key(&k, ip, KF_IPPROTO_TCP, t->sport, t->dport, &dir);
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

static void udp_krb(struct kf_run *r, const struct kf_ip *ip, const struct kf_udp *u, uint32_t nfrags)
{
	struct kf_krb_msg m;
	if (!kf_krb5_decode(u->payload, &m, &r->ev)) {
		kf_run_debug(r, "UDP payload on port 88 is not a Kerberos message");
		return;
	}
	struct kf_flow_key k;
	int dir;
	make_key(&k, ip, KF_IPPROTO_UDP, u->sport, u->dport, &dir);
	if (u->sport == KRB_PORT && u->dport == KRB_PORT) /* KDC to KDC: by message type */
		dir = is_reply(m.type) ? 1 : 0;
	struct kf_flow *f = flow_for(r, &k, true);
	if (!f)
		return;
	kf_flow_touch(r->flows, f, r->ts_us);
	emit_message(r, f, f->user, dir, &m, u->payload, r->frame, nfrags);
}

/* ---- IP and tunnels ----------------------------------------------------- */

static void handle_l3(struct kf_run *r, struct kf_l3 l3, unsigned depth);

static void icmp_packet(struct kf_run *r, const struct kf_ip *ip, struct kf_span s)
{
	struct kf_icmp_unreach u;
	if (!kf_icmp_unreach_decode(ip->version, s, &u) || !u.has_ports)
		return;
	if (u.qdport != KRB_PORT && u.qsport != KRB_PORT)
		return;
	struct kf_flow_key k;
	int dir;
	make_key(&k, &u.quoted, u.quoted.proto, u.qsport, u.qdport, &dir);
	struct kf_tevent t;
	memset(&t, 0, sizeof t);
	t.kind = KF_TEV_ICMP_UNREACHABLE;
	t.frame = r->frame;
	t.ts_us = r->ts_us;
	kf_run_endpoint(&t.src, k.ipver, k.caddr, k.cport);
	kf_run_endpoint(&t.dst, k.ipver, k.saddr, k.sport);
	t.transport = u.quoted.proto;
	t.icmp_type = u.type;
	t.icmp_code = u.code;
	t.count = 1;
	tevent_store(r, &t);
}

static void handle_l4(struct kf_run *r, const struct kf_ip *ip, struct kf_span payload, uint32_t nfrags,
		      unsigned depth)
{
	switch (ip->proto) {
	case KF_IPPROTO_TCP: {
		struct kf_tcp t;
		if (!kf_tcp_decode(payload, &t, &r->ev))
			return;
		if (t.sport == KRB_PORT || t.dport == KRB_PORT)
			tcp_packet(r, ip, &t);
		else
			kf_app_tcp_packet(r, ip, &t);
		return;
	}
	case KF_IPPROTO_UDP: {
		struct kf_udp u;
		if (!kf_udp_decode(payload, &u, &r->ev))
			return;
		if (u.sport == KRB_PORT || u.dport == KRB_PORT) {
			udp_krb(r, ip, &u, nfrags);
		} else if (u.sport == 53 || u.dport == 53) {
			kf_dns_packet(r, ip, &u);
		} else if (u.dport == KF_VXLAN_PORT) {
			struct kf_l3 inner;
			if (kf_vxlan_decode(u.payload, &inner, &r->ev))
				handle_l3(r, inner, depth + 1);
		}
		return;
	}
	case KF_IPPROTO_GRE: {
		struct kf_l3 inner;
		if (kf_gre_decode(payload, &inner, &r->ev))
			handle_l3(r, inner, depth + 1);
		return;
	}
	case KF_IPPROTO_IPIP:
	case KF_IPPROTO_IPV6: {
		struct kf_l3 inner = { ip->proto == KF_IPPROTO_IPIP ? KF_ETH_IPV4 : KF_ETH_IPV6, payload };
		handle_l3(r, inner, depth + 1);
		return;
	}
	case KF_IPPROTO_ICMP:
	case KF_IPPROTO_ICMPV6:
		icmp_packet(r, ip, payload);
		return;
	default:
		return;
	}
}

static void handle_l3(struct kf_run *r, struct kf_l3 l3, unsigned depth)
{
	if (depth > KF_LIMIT_ENCAP_DEPTH) {
		kf_events_add(&r->ev, KF_EV_ENCAP_TOO_DEEP);
		return;
	}
	if (l3.ethertype != KF_ETH_IPV4 && l3.ethertype != KF_ETH_IPV6)
		return;
	struct kf_ip ip;
	if (!kf_ip_decode(l3.data, &ip, &r->ev))
		return;
	if (!ip.fragment) {
		handle_l4(r, &ip, ip.payload, 1, depth);
		return;
	}
	if (r->in_reassembled) {
		/* a fragment inside a reassembled tunnel datagram: the inner
		 * reassembly would reuse the buffer we are reading from */
		kf_events_add(&r->ev, KF_EV_FRAG_LIMIT);
		return;
	}
	struct kf_frag_key key;
	memset(&key, 0, sizeof key);
	key.version = ip.version;
	key.proto = ip.proto;
	memcpy(key.src, ip.src, 16);
	memcpy(key.dst, ip.dst, 16);
	key.id = ip.frag_id;
	struct kf_span whole;
	uint32_t nfrags = 0;
	enum kf_defrag_result dr = kf_defrag_add(r->defrag, &key, r->ts_us, r->frame, ip.frag_offset,
						 ip.more_fragments, ip.payload, &whole, &nfrags, &r->ev);
	if (dr == KF_DEFRAG_NOMEM)
		kf_events_add(&r->ev, KF_EV_OUT_OF_MEMORY);
	if (dr != KF_DEFRAG_DONE)
		return;
	if (ip.version == 6 && !kf_ipv6_after_reassembly(&ip.proto, &whole, &r->ev))
		return;
	r->in_reassembled = true;
	handle_l4(r, &ip, whole, nfrags, depth);
	r->in_reassembled = false;
}

static void on_frag_incomplete(void *ctx, const struct kf_frag_incomplete *inc)
{
	struct kf_run *r = ctx;
	const struct kf_frag_key *fk = inc->key;
	if (inc->first_frag.n < 4 || (fk->proto != KF_IPPROTO_UDP && fk->proto != KF_IPPROTO_TCP))
		return;
	uint16_t sport = (uint16_t)(inc->first_frag.p[0] << 8 | inc->first_frag.p[1]);
	uint16_t dport = (uint16_t)(inc->first_frag.p[2] << 8 | inc->first_frag.p[3]);
	if (sport != KRB_PORT && dport != KRB_PORT)
		return;
	struct kf_ip ip;
	memset(&ip, 0, sizeof ip);
	ip.version = fk->version;
	memcpy(ip.src, fk->src, 16);
	memcpy(ip.dst, fk->dst, 16);
	struct kf_flow_key k;
	int dir;
	make_key(&k, &ip, fk->proto, sport, dport, &dir);
	struct kf_tevent t;
	memset(&t, 0, sizeof t);
	t.kind = KF_TEV_FRAG_INCOMPLETE;
	t.frame = inc->first_frame;
	kf_run_endpoint(&t.src, k.ipver, k.caddr, k.cport);
	kf_run_endpoint(&t.dst, k.ipver, k.saddr, k.sport);
	t.transport = fk->proto;
	t.count = inc->nfrags;
	t.from_kdc = dir == 1;
	tevent_store(r, &t);
}

/* ---- DNS (UDP 53) -------------------------------------------------------- */

/* DNS responses with A/AAAA/CNAME answers become messages (the question is
 * inside them), so a story can show that a URL's host was an alias. */
void kf_dns_packet(struct kf_run *r, const struct kf_ip *ip, const struct kf_udp *u)
{
	struct kf_endpoint src, dst;
	kf_run_endpoint(&src, ip->version, ip->src, u->sport);
	kf_run_endpoint(&dst, ip->version, ip->dst, u->dport);
	kf_dns_record(r, &src, &dst, KF_TRANSPORT_UDP, 0, u->payload);
}

void kf_dns_record(struct kf_run *r, const struct kf_endpoint *src, const struct kf_endpoint *dst,
		   uint8_t transport, uint32_t connection, struct kf_span payload)
{
	struct kf_dns_msg d;
	if (!kf_dns_decode(payload, &d, &r->ev) || !d.response || !d.has_question)
		return;
	struct kf_arena *a = &r->res->arena;
	struct kf_dns_rec *rec = kf_arena_zalloc(a, sizeof(*rec));
	if (!rec) {
		kf_run_nomem(r);
		return;
	}
	rec->query = kf_arena_strndup(a, d.qname, strlen(d.qname));
	rec->qtype = d.qtype;
	rec->rcode = d.rcode;
	if (d.n_answers) {
		rec->answers = kf_arena_zalloc(a, d.n_answers * sizeof(*rec->answers));
		for (unsigned i = 0; rec->answers && i < d.n_answers; i++) {
			rec->answers[i].type = d.answers[i].type;
			rec->answers[i].name = kf_arena_strndup(a, d.answers[i].name, strlen(d.answers[i].name));
			rec->answers[i].data = kf_arena_strndup(a, d.answers[i].data, strlen(d.answers[i].data));
		}
		rec->n_answers = rec->answers ? d.n_answers : 0;
	}
	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.frame = r->frame;
	msg.ts_us = r->ts_us;
	msg.first_frame = r->frame;
	msg.src = *src;
	msg.dst = *dst;
	msg.transport = transport;
	msg.connection = connection;
	msg.carrier = KF_CARRIER_DNS;
	msg.type = KF_MSG_DNS;
	msg.dns = rec;
	uint32_t idx;
	enum kf_status st = kf_msgstore_add(&r->store, &msg, NULL, &idx);
	if (st == KF_LIMIT)
		kf_events_add(&r->ev, KF_EV_MESSAGE_LIMIT);
	else if (st != KF_OK)
		kf_run_nomem(r);
}

static int cmp_tls(const void *a, const void *b)
{
	const struct kf_tls_hello *x = a, *y = b;
	return x->frame < y->frame ? -1 : x->frame > y->frame;
}

/* Hand the TLS hellos to the result (copied into its arena, sorted). */
static enum kf_status kf_run_finish_tls(struct kf_run *r)
{
	if (!r->n_tls)
		return KF_OK;
	struct kf_tls_hello *t = kf_arena_alloc(&r->res->arena, r->n_tls * sizeof(*t));
	if (!t)
		return KF_NOMEM;
	memcpy(t, r->tls, r->n_tls * sizeof(*t));
	qsort(t, r->n_tls, sizeof(*t), cmp_tls);
	r->res->tls = t;
	r->res->n_tls = r->n_tls;
	return KF_OK;
}

/* ---- filters ------------------------------------------------------------ */

bool kf_filter_valid(const char *expr, char *err, size_t errlen)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, KF_LIMIT_SNAPLEN);
	if (!p) {
		snprintf(err, errlen, "cannot set up the BPF compiler");
		return false;
	}
	struct bpf_program prog;
	bool ok = pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) == 0;
	if (ok)
		pcap_freecode(&prog);
	else
		snprintf(err, errlen, "%s", pcap_geterr(p));
	pcap_close(p);
	return ok;
}

/* True when the packet passes the filter (compiled lazily per link type). */
static bool filter_pass(struct kf_run *r, const struct kf_pkt *p)
{
	struct kf_run_filter *fl = NULL;
	for (unsigned i = 0; i < r->n_filters; i++)
		if (r->filters[i].dlt == p->dlt)
			fl = &r->filters[i];
	if (!fl) {
		if (r->n_filters == KF_LIMIT_LINKTYPES)
			return false;
		fl = &r->filters[r->n_filters++];
		fl->dlt = p->dlt;
		pcap_t *dead = pcap_open_dead(p->dlt, KF_LIMIT_SNAPLEN);
		fl->ok = dead && pcap_compile(dead, &fl->prog, r->cfg->filter, 1, PCAP_NETMASK_UNKNOWN) == 0;
		if (dead)
			pcap_close(dead);
	}
	if (!fl->ok)
		return false; /* expression meaningless for this link type */
	struct pcap_pkthdr h;
	h.ts.tv_sec = (time_t)(p->ts_us / 1000000u);
	h.ts.tv_usec = (suseconds_t)(p->ts_us % 1000000u);
	h.caplen = p->caplen;
	h.len = p->wirelen;
	return pcap_offline_filter(&fl->prog, &h, p->data) != 0;
}

/* ---- driver ------------------------------------------------------------- */

static void process_packet(struct kf_run *r, const struct kf_pkt *p)
{
	r->frame = p->frame;
	r->ts_us = p->ts_us;
	if (p->caplen < p->wirelen)
		kf_events_add(&r->ev, KF_EV_SNAPLEN_SHORT);
	struct kf_l3 l3;
	if (!kf_link_decode(p->dlt, kf_span_make(p->data, p->caplen), &l3, &r->ev)) {
		if (!kf_link_supported(p->dlt) && r->unsupported_dlt < 0)
			r->unsupported_dlt = p->dlt;
		return;
	}
	handle_l3(r, l3, 0);
}

static const char *warning_message(struct kf_run *r, unsigned e, char *buf, size_t len)
{
	if (e == KF_EV_UNSUPPORTED_LINKTYPE) {
		char nb[32];
		snprintf(buf, len, "%llu packets of link type %s were not decoded",
			 (unsigned long long)r->ev_count[e], kf_capture_dlt_name(r->unsupported_dlt, nb, sizeof nb));
	} else if (r->ev_count[e] == 1) {
		snprintf(buf, len, "%s", kf_event_desc((enum kf_event)e));
	} else {
		snprintf(buf, len, "%s (%llu times)", kf_event_desc((enum kf_event)e),
			 (unsigned long long)r->ev_count[e]);
	}
	return buf;
}

/* The warnings of files that could not be read or ended early: one each. */
static size_t file_warnings(struct kf_run *r, const struct kf_source_file *files, size_t n_files,
			    struct kf_warning *w)
{
	struct kf_result *res = r->res;
	char buf[640];
	size_t k = 0;
	for (size_t i = 0; i < n_files; i++) {
		const struct kf_source_file *f = &files[i];
		if (!f->failed)
			continue;
		if (!w) {
			k++;
			continue;
		}
		struct kf_warning *x = &w[k++];
		if (!f->opened) {
			x->code = kf_event_code(KF_EV_CAPTURE_READ_ERROR);
			snprintf(buf, sizeof buf, "%s: cannot be read: %s", f->path, f->error);
		} else {
			x->code = kf_event_code(f->truncated ? KF_EV_TRUNCATED_CAPTURE : KF_EV_CAPTURE_READ_ERROR);
			snprintf(buf, sizeof buf, "%s%s%s after %llu packets: %s", res->multi ? f->path : "",
				 res->multi ? ": " : "", f->truncated ? "capture is truncated" : "capture is corrupt",
				 (unsigned long long)f->packets, f->error);
			x->frame = f->end_frame + 1; /* where the stream went on without it */
		}
		x->message = kf_arena_strndup(&res->arena, buf, strlen(buf));
		x->count = 1;
	}
	return k;
}

static enum kf_status build_warnings(struct kf_run *r, struct kf_source *src)
{
	struct kf_result *res = r->res;
	size_t n_files;
	const struct kf_source_file *files = kf_source_files(src, &n_files);
	uint64_t forgotten = kf_source_forgotten(src);
	bool map_full = kf_source_map_full(src);
	size_t n = file_warnings(r, files, n_files, NULL) + (forgotten ? 1 : 0) + (map_full ? 1 : 0);
	for (unsigned e = 1; e < KF_EV__COUNT; e++)
		n += r->ev_count[e] ? 1 : 0;
	if (!n)
		return KF_OK;
	res->warnings = kf_arena_zalloc(&res->arena, n * sizeof(*res->warnings));
	if (!res->warnings)
		return KF_NOMEM;
	char buf[512];
	size_t i = file_warnings(r, files, n_files, res->warnings);
	if (forgotten) {
		struct kf_warning *w = &res->warnings[i++];
		w->code = "merge-window-full";
		snprintf(buf, sizeof buf,
			 "more than %u packets within %u ms: %llu were forgotten before a copy of them could "
			 "arrive from another file, and such a copy is analyzed as a packet of its own",
			 KF_LIMIT_MERGE_RECENT, KF_SOURCE_COPY_WINDOW_US / 1000, (unsigned long long)forgotten);
		w->message = kf_arena_strndup(&res->arena, buf, strlen(buf));
		w->count = forgotten;
	}
	if (map_full) {
		struct kf_warning *w = &res->warnings[i++];
		w->code = "merge-map-full";
		snprintf(buf, sizeof buf, "more than %llu packets merged: later messages do not name their file",
			 (unsigned long long)KF_LIMIT_MERGE_MAP);
		w->message = kf_arena_strndup(&res->arena, buf, strlen(buf));
		w->count = 1;
	}
	for (unsigned e = 1; e < KF_EV__COUNT; e++) {
		if (!r->ev_count[e])
			continue;
		struct kf_warning *w = &res->warnings[i++];
		w->code = kf_event_code((enum kf_event)e);
		warning_message(r, e, buf, sizeof buf);
		w->message = kf_arena_strndup(&res->arena, buf, strlen(buf));
		w->frame = r->ev_first[e];
		w->count = r->ev_count[e];
	}
	res->n_warnings = i;
	for (size_t k = 0; k < i; k++)
		if (!res->warnings[k].message)
			return KF_NOMEM;
	for (size_t a = 1; a < i; a++) { /* insertion sort: few entries */
		struct kf_warning w = res->warnings[a];
		size_t b = a;
		while (b > 0 && (res->warnings[b - 1].frame > w.frame ||
				 (res->warnings[b - 1].frame == w.frame && strcmp(res->warnings[b - 1].code, w.code) > 0))) {
			res->warnings[b] = res->warnings[b - 1];
			b--;
		}
		res->warnings[b] = w;
	}
	return KF_OK;
}

/* Several files: the files list, and each message's file and file frame. */
static enum kf_status describe_files(struct kf_result *res, struct kf_source *src)
{
	size_t n;
	const struct kf_source_file *files = kf_source_files(src, &n);
	struct kf_arena *a = &res->arena;
	res->files = kf_arena_zalloc(a, n * sizeof(*res->files));
	if (!res->files)
		return KF_NOMEM;
	res->n_files = n;
	bool fail = false;
	for (size_t i = 0; i < n; i++) {
		const struct kf_source_file *f = &files[i];
		struct kf_capture_file *o = &res->files[i];
		char nb[32];
		o->name = kf_arena_strndup(a, f->path, strlen(f->path));
		o->format = f->format;
		if (f->first_dlt >= 0) {
			const char *ln = kf_capture_dlt_name(f->first_dlt, nb, sizeof nb);
			o->linktype = kf_arena_strndup(a, ln, strlen(ln));
			fail |= !o->linktype;
		}
		o->first_frame = f->first_frame;
		o->packets = f->packets;
		o->duplicates = f->duplicates;
		if (f->failed) {
			o->error = kf_arena_strndup(a, f->error, strlen(f->error));
			fail |= !o->error;
		}
		o->truncated = f->truncated;
		fail |= !o->name;
	}
	res->merged_duplicates = kf_source_duplicates(src);
	/* messages are in frame order: the source's cursor walks forward */
	for (size_t i = 0; i < res->n_messages; i++) {
		struct kf_message *m = &res->messages[i];
		if (!kf_source_locate(src, m->frame, &m->file, &m->file_frame))
			m->file_frame = 0;
	}
	return fail ? KF_NOMEM : KF_OK;
}

/* The analysis of src's packet stream into res (its file, multi set). */
static enum kf_status analyze_source(struct kf_source *src, const struct kf_config *cfg, struct kf_result *res,
				     char *err, size_t errlen)
{
	struct kf_run *r = kf_calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return KF_NOMEM;
	}
	r->cfg = cfg;
	r->res = res;
	r->unsupported_dlt = -1;
	r->pool.cap = KF_LIMIT_REASM_TOTAL;
	kf_msgstore_init(&r->store, &res->arena);
	r->store.keep_raw = cfg->keys != NULL;
	r->defrag = kf_defrag_new(on_frag_incomplete, r);
	r->flows = kf_flow_table_new(KF_LIMIT_FLOWS, release_flow, r);
	enum kf_status st = KF_OK;
	if (!r->defrag || !r->flows) {
		st = KF_NOMEM;
		goto out_free_run;
	}

	struct kf_source_pkt sp;
	const struct kf_pkt *p = &sp.p;
	int rc;
	while ((rc = kf_source_next(src, &sp)) == KF_CAP_PACKET) {
		res->packets++;
		res->bytes += p->wirelen;
		if (!res->have_ts || p->ts_us < res->first_ts_us)
			res->first_ts_us = p->ts_us;
		if (!res->have_ts || p->ts_us > res->last_ts_us)
			res->last_ts_us = p->ts_us;
		res->have_ts = true;
		if (cfg->filter && !filter_pass(r, p)) {
			res->filtered_out++;
			continue;
		}
		process_packet(r, p);
		note_events(r, p->frame);
		if (r->nomem) {
			st = KF_NOMEM;
			break;
		}
	}
	if (rc == KF_CAP_ERROR) /* the source ran out of memory */
		st = KF_NOMEM;

	/* end of capture: finish every flow and fragment train */
	r->frame = res->packets;
	kf_flow_table_drain(r->flows);
	kf_defrag_flush(r->defrag, &r->ev);
	note_events(r, 0);
	if (r->nomem) /* an allocation failed while finishing flows */
		st = KF_NOMEM;

	size_t n_files;
	const struct kf_source_file *files = kf_source_files(src, &n_files);
	for (size_t i = 0; i < n_files; i++)
		res->read_error |= files[i].failed;
	for (size_t i = 0; i < n_files; i++) { /* format and link type: the first file read */
		if (!files[i].opened)
			continue;
		char nb[32];
		const char *ln = kf_capture_dlt_name(files[i].first_dlt, nb, sizeof nb);
		res->format = files[i].format;
		res->linktype = kf_arena_strndup(&res->arena, ln, strlen(ln));
		break;
	}
	if (kf_msgstore_finish(&r->store, res) != KF_OK || kf_run_finish_tls(r) != KF_OK)
		st = KF_NOMEM;
	if (res->multi && describe_files(res, src) != KF_OK)
		st = KF_NOMEM;
	if (cfg->keys && st != KF_NOMEM && kf_decrypt_messages(res, cfg->keys) != KF_OK)
		st = KF_NOMEM;
	if (kf_stories_build(res) != KF_OK || kf_rules_run(res) != KF_OK)
		st = KF_NOMEM;
	if (res->findings_dropped) {
		r->ev_count[KF_EV_FINDING_LIMIT] = res->findings_dropped;
		r->ev_first[KF_EV_FINDING_LIMIT] = 0;
	}
	if (build_warnings(r, src) != KF_OK)
		st = KF_NOMEM;
	if (st == KF_NOMEM)
		snprintf(err, errlen, "out of memory; results are partial");

out_free_run:
	for (unsigned i = 0; i < r->n_filters; i++)
		if (r->filters[i].ok)
			pcap_freecode(&r->filters[i].prog);
	kf_flow_table_free(r->flows);
	kf_defrag_free(r->defrag);
	kf_msgstore_free(&r->store);
	kf_free(r->tls);
	kf_free(r->token_buf);
	kf_free(r);
	return st;
}

enum kf_status kf_analyze(const char *path, const struct kf_config *cfg, struct kf_result *res,
			  char *err, size_t errlen)
{
	memset(res, 0, sizeof *res);
	kf_arena_init(&res->arena, 0);
	res->file = path;
	struct kf_source *src;
	enum kf_status st = kf_source_open(&path, 1, 0, &src, err, errlen);
	if (st != KF_OK)
		return st;
	st = analyze_source(src, cfg, res, err, errlen);
	kf_source_close(src);
	return st;
}

enum kf_status kf_analyze_files(const char *const *paths, size_t n, enum kf_multi mode, const struct kf_config *cfg,
				struct kf_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof *res);
	kf_arena_init(&res->arena, 0);
	res->file = n ? paths[0] : "";
	res->multi = mode;
	if (mode != KF_MULTI_CONTINUOUS && mode != KF_MULTI_MERGE) {
		snprintf(err, errlen, "unknown way to read several captures (%d)", (int)mode);
		return KF_IO;
	}
	struct kf_source *src;
	enum kf_status st = kf_source_open(paths, n, mode, &src, err, errlen);
	if (st != KF_OK)
		return st;
	st = analyze_source(src, cfg, res, err, errlen);
	kf_source_close(src);
	return st;
}
