/* conn.c - the one connection layer: every TCP segment and UDP datagram
 * that some carrier may want goes through here.  It finds or makes the
 * flow (client first), keeps the TCP facts (SYNs, resets, FINs), reassembles
 * each direction, hands in-order bytes to the flow's carrier, and finishes
 * the flow when it closes, idles out or the capture ends.
 *
 * Cost model: a segment of a flow nobody follows costs a port comparison
 * (no carrier claims its ports) and, on other TCP ports, one flow lookup or
 * cheap probes of its first bytes; a flow found to carry nothing of interest
 * keeps only its table entry.  Payload is never copied here: reassembly
 * hands in-order segments straight through.
 */
#include "conn.h"

#include <string.h>

#include "base/limits.h"
#include "carrier.h"

/* Reassembly delivery context: one direction of one connection. */
struct deliver {
	struct kf_run *r;
	struct kf_conn *c;
	int dir;
};

void kf_conn_ends(const struct kf_conn *c, int dir, struct kf_endpoint *src, struct kf_endpoint *dst)
{
	const struct kf_flow_key *k = &c->flow->key;
	struct kf_endpoint cl, sv;
	kf_run_endpoint(&cl, k->ipver, k->caddr, k->cport);
	kf_run_endpoint(&sv, k->ipver, k->saddr, k->sport);
	*src = dir == 0 ? cl : sv;
	*dst = dir == 0 ? sv : cl;
}

/* The carrier that claims a flow by its server port, with *client_is_src
 * telling which end is the client. */
static const struct kf_carrier_ops *by_port(uint16_t sport, uint16_t dport, bool tcp, bool *client_is_src)
{
	for (size_t i = 0; i < kf_n_carriers; i++) {
		const struct kf_carrier_ops *ca = kf_carriers[i];
		if (!ca->port || !(tcp ? ca->tcp : ca->udp))
			continue;
		if (dport == ca->port || sport == ca->port) {
			*client_is_src = dport == ca->port;
			return ca;
		}
	}
	return NULL;
}

/* A content carrier for bytes at the start of a direction (dir -1: not
 * known yet, the flow is picked up mid-way). */
static const struct kf_carrier_ops *by_content(struct kf_span first, int dir, enum kf_probe *how)
{
	for (size_t i = 0; i < kf_n_carriers; i++) {
		const struct kf_carrier_ops *ca = kf_carriers[i];
		if (ca->port || !ca->probe)
			continue;
		*how = ca->probe(first, dir);
		if (*how != KF_PROBE_NO)
			return ca;
	}
	return NULL;
}

static void make_key(struct kf_flow_key *k, const struct kf_ip *ip, uint8_t proto, uint16_t sport,
		     uint16_t dport, bool client_is_src)
{
	memset(k, 0, sizeof *k);
	k->ipver = ip->version;
	k->proto = proto;
	k->cport = client_is_src ? sport : dport;
	k->sport = client_is_src ? dport : sport;
	memcpy(k->caddr, client_is_src ? ip->src : ip->dst, 16);
	memcpy(k->saddr, client_is_src ? ip->dst : ip->src, 16);
}

/* Set the carrier of a connection and open its state. */
static bool attach(struct kf_run *r, struct kf_conn *c, const struct kf_carrier_ops *ca)
{
	c->carrier = ca;
	if (ca->open && !ca->open(r, c)) {
		c->carrier = NULL;
		c->done = true;
		kf_run_nomem(r);
		return false;
	}
	return true;
}

static struct kf_conn *conn_new(struct kf_run *r, const struct kf_flow_key *k)
{
	struct kf_flow *f = kf_flow_insert(r->flows, k, r->ts_us, &r->ev);
	if (!f) {
		kf_run_nomem(r);
		return NULL;
	}
	struct kf_conn *c = kf_calloc(1, sizeof(*c));
	if (!c) {
		kf_run_nomem(r);
		kf_flow_remove(r->flows, f, KF_FLOW_CLOSED);
		return NULL;
	}
	c->flow = f;
	c->tcp = k->proto == KF_IPPROTO_TCP;
	f->user = c;
	return c;
}

/* Nothing more to follow: drop reassembly, keep the table entry so later
 * segments cost one lookup. */
static void drop_reasm(struct kf_conn *c)
{
	for (int i = 0; i < 2; i++) {
		kf_reasm_free(c->dir[i]);
		c->dir[i] = NULL;
	}
}

/* ---- TCP ------------------------------------------------------------------ */

/* First bytes of a direction of a stream nobody has claimed yet. */
static void classify(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span first)
{
	enum kf_probe how;
	const struct kf_carrier_ops *ca = by_content(first, dir, &how);
	if (ca)
		attach(r, c, ca);
	else if (c->syn_seen[dir] || ++c->probes >= KF_LIMIT_PROBE_SEGMENTS)
		c->done = true; /* the stream's real start is not something we follow */
}

static void on_stream(void *ctx, struct kf_span data, uint32_t gap_len)
{
	struct deliver *d = ctx;
	struct kf_conn *c = d->c;
	if (c->done)
		return;
	if (!gap_len && data.n)
		c->data_seen[d->dir] = true;
	if (!c->carrier) {
		if (gap_len || !data.n)
			return;
		classify(d->r, c, d->dir, data);
		if (!c->carrier)
			return;
	}
	c->carrier->stream(d->r, c, d->dir, data, gap_len);
}

static void flush(struct kf_run *r, struct kf_conn *c, int dir)
{
	if (!c->dir[dir])
		return;
	struct deliver d = { r, c, dir };
	kf_reasm_flush(c->dir[dir], on_stream, &d, &r->ev);
}

/* Reassembly of dir, started from its SYN when seen, else from this segment. */
static bool reasm_ready(struct kf_run *r, struct kf_conn *c, int dir, uint32_t seq, bool syn)
{
	if (!c->dir[dir]) {
		c->dir[dir] = kf_reasm_new(&r->pool);
		if (!c->dir[dir]) {
			kf_run_nomem(r);
			return false;
		}
	}
	if (!kf_reasm_started(c->dir[dir])) {
		if (c->syn_seen[dir]) {
			kf_reasm_start(c->dir[dir], c->isn[dir], true);
		} else {
			kf_reasm_start(c->dir[dir], syn ? seq + 1 : seq, false);
			if (!c->midstream) {
				c->midstream = true;
				kf_events_add(&r->ev, KF_EV_TCP_MIDSTREAM);
			}
		}
	}
	return true;
}

/* A client's new SYN on a finished connection's ports: a new connection. */
static bool port_reused(const struct kf_conn *c, const struct kf_tcp *t, int dir)
{
	bool syn = t->flags & KF_TCP_SYN, ack = t->flags & KF_TCP_ACK;
	return syn && !ack && dir == 0 && c->syn_seen[0] && t->seq != c->isn[0] &&
	       (c->fin[0] || c->fin[1] || c->rst_from_server || c->data_seen[1]);
}

/* The flow of a segment that has none: claimed by port, or from a SYN (the
 * carrier found later by content), or by content when picked up mid-way. */
static struct kf_conn *tcp_open(struct kf_run *r, const struct kf_ip *ip, const struct kf_tcp *t, int *dir)
{
	bool syn = t->flags & KF_TCP_SYN, ack = t->flags & KF_TCP_ACK, rst = t->flags & KF_TCP_RST;
	bool client_is_src;
	const struct kf_carrier_ops *ca = by_port(t->sport, t->dport, true, &client_is_src);
	if (ca) {
		if (!syn && t->payload.n == 0 && !rst)
			return NULL;
	} else if (syn) {
		client_is_src = !ack; /* the SYN's sender is the client */
	} else if (t->payload.n) {
		enum kf_probe how;
		ca = by_content(t->payload, -1, &how);
		if (!ca)
			return NULL; /* not the start of anything we follow */
		client_is_src = how == KF_PROBE_CLIENT;
	} else {
		return NULL;
	}
	struct kf_flow_key k;
	make_key(&k, ip, KF_IPPROTO_TCP, t->sport, t->dport, client_is_src);
	struct kf_conn *c = conn_new(r, &k);
	if (c && ca)
		attach(r, c, ca);
	*dir = client_is_src ? 0 : 1;
	return c;
}

void kf_conn_tcp(struct kf_run *r, const struct kf_ip *ip, const struct kf_tcp *t)
{
	uint32_t stream = kf_stream_number(r->streams, r->file, ip->version, ip->src, ip->dst, t->sport,
					   t->dport, t->seq, t->ack, t->flags);
	if (stream == UINT32_MAX)
		kf_run_nomem(r);
	if (r->numbering_only)
		return;
	bool syn = t->flags & KF_TCP_SYN, ack = t->flags & KF_TCP_ACK, rst = t->flags & KF_TCP_RST;
	struct kf_flow_key k;
	make_key(&k, ip, KF_IPPROTO_TCP, t->sport, t->dport, true);
	bool reversed = false;
	struct kf_flow *f = kf_flow_find(r->flows, &k, &reversed);
	struct kf_conn *c = f ? f->user : NULL;
	int dir = reversed ? 1 : 0;
	if (c && port_reused(c, t, dir)) {
		kf_flow_remove(r->flows, f, KF_FLOW_CLOSED);
		c = NULL;
	}
	if (!c && !(c = tcp_open(r, ip, t, &dir)))
		return;
	kf_flow_touch(r->flows, c->flow, r->ts_us);
	c->last_frame = r->frame;
	c->last_ts = r->ts_us;
	c->tcp_stream = stream;

	if (syn && !c->syn_seen[dir] && (dir == 0 ? !ack : ack)) {
		c->syn_seen[dir] = true;
		c->isn[dir] = t->seq;
		if (dir == 0) {
			c->syn_frame = r->frame;
			c->syn_ts = r->ts_us;
		}
	}
	if (syn && !ack && dir == 0)
		c->syn_count++;
	if (rst && dir == 1 && !c->rst_from_server) {
		c->rst_from_server = true;
		c->rst_frame = r->frame;
		c->rst_ts = r->ts_us;
	}
	bool fin = (t->flags & KF_TCP_FIN) || rst;
	if (c->done) {
		drop_reasm(c);
	} else {
		if (!c->carrier && !c->syn_seen[dir]) {
			/* picked up mid-way: judge segment by segment */
			if (t->payload.n)
				classify(r, c, dir, t->payload);
			if (!c->carrier && !c->done)
				return;
		}
		struct deliver d = { r, c, dir };
		uint32_t dseq = syn ? t->seq + 1 : t->seq; /* a SYN takes a sequence number */
		const struct kf_carrier_ops *ca = c->carrier;
		if (!t->payload.n || c->done)
			; /* nothing to reassemble */
		else if (ca && ca->skippable && c->dir[dir] && ca->skippable(c, dir, t->payload.n) &&
			 kf_reasm_skip_next(c->dir[dir], dseq, t->payload.n))
			ca->skipped(r, c, dir, t->payload.n); /* the middle of a body, in order */
		else if (reasm_ready(r, c, dir, t->seq, syn))
			kf_reasm_segment(c->dir[dir], dseq, t->payload, on_stream, &d, &r->ev);
		if (c->done) {
			drop_reasm(c);
		} else if (ack && !syn && c->dir[!dir] && kf_reasm_started(c->dir[!dir])) {
			struct deliver od = { r, c, !dir };
			kf_reasm_ack(c->dir[!dir], t->ack, on_stream, &od, &r->ev);
		}
		if (fin)
			flush(r, c, dir);
	}
	if (fin) {
		/* closed both ways, or reset: finish it now rather than hold its
		 * state until it idles out or the table fills */
		if (!c->fin[dir]) {
			c->fin_frame[dir] = r->frame;
			c->fin_ts[dir] = r->ts_us;
		}
		c->fin[dir] = true;
		if ((c->fin[0] && c->fin[1]) || rst)
			kf_flow_remove(r->flows, c->flow, KF_FLOW_CLOSED);
	}
}

/* ---- UDP ------------------------------------------------------------------ */

bool kf_conn_udp(struct kf_run *r, const struct kf_ip *ip, const struct kf_udp *u, uint32_t nfrags)
{
	bool client_is_src;
	const struct kf_carrier_ops *ca = by_port(u->sport, u->dport, false, &client_is_src);
	if (!ca)
		return false;
	/* a datagram gets a flow only when its carrier asks (kf_conn_udp_keep):
	 * until then it is described by a connection on the stack */
	struct kf_flow tmp;
	memset(&tmp, 0, sizeof tmp);
	make_key(&tmp.key, ip, KF_IPPROTO_UDP, u->sport, u->dport, client_is_src);
	struct kf_conn c;
	memset(&c, 0, sizeof c);
	c.carrier = ca;
	c.flow = &tmp;
	ca->datagram(r, &c, client_is_src ? 0 : 1, u->payload, nfrags);
	return true;
}

struct kf_conn *kf_conn_udp_keep(struct kf_run *r, const struct kf_conn *probe)
{
	bool reversed;
	struct kf_flow *f = kf_flow_find(r->flows, &probe->flow->key, &reversed);
	struct kf_conn *c = f ? f->user : NULL;
	if (!c) {
		c = conn_new(r, &probe->flow->key);
		if (!c || !attach(r, c, probe->carrier))
			return NULL;
	}
	kf_flow_touch(r->flows, c->flow, r->ts_us);
	c->last_frame = r->frame;
	c->last_ts = r->ts_us;
	return c;
}

/* ---- the end of a flow ------------------------------------------------------ */

void kf_conn_release(void *ctx, struct kf_flow *f, enum kf_flow_release_reason why)
{
	struct kf_run *r = ctx;
	struct kf_conn *c = f->user;
	(void)why;
	if (!c)
		return;
	if (c->tcp) {
		/* data flushed now completed in the flow's last frame */
		uint64_t frame = r->frame, ts = r->ts_us;
		r->frame = c->last_frame;
		r->ts_us = c->last_ts;
		flush(r, c, 0);
		flush(r, c, 1);
		r->frame = frame;
		r->ts_us = ts;
	}
	if (c->carrier && c->carrier->release)
		c->carrier->release(r, c);
	drop_reasm(c);
	kf_free(c);
	f->user = NULL;
}
