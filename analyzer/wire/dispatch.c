/* dispatch.c - one packet's way down: link layer → IP (with fragment
 * reassembly) → tunnels (GRE, ERSPAN, VXLAN on 4789 and 8472, Geneve,
 * IP-in-IP, MPLS pseudowires) → TCP/UDP/ICMP → the
 * protocol that follows it.  Traffic nobody follows costs these header
 * parses and a port comparison: no lookup, no allocation, no copy. */
#include "dispatch.h"

#include <string.h>

#include "base/limits.h"
#include "carriers.h"

/* ---- IP and tunnels ----------------------------------------------------- */

static void handle_l3(struct kf_run *r, struct kf_l3 l3, unsigned depth);

/* The flow key of a packet to or from a KDC, client first; *dir = 0 when it
 * runs client → KDC. */
static void kdc_key(struct kf_flow_key *k, const struct kf_ip *ip, uint8_t proto, uint16_t sport,
		    uint16_t dport, int *dir)
{
	memset(k, 0, sizeof *k);
	k->ipver = ip->version;
	k->proto = proto;
	*dir = dport == KF_KRB_PORT ? 0 : 1;
	k->cport = *dir ? dport : sport;
	k->sport = *dir ? sport : dport;
	memcpy(k->caddr, *dir ? ip->dst : ip->src, 16);
	memcpy(k->saddr, *dir ? ip->src : ip->dst, 16);
}

static void icmp_packet(struct kf_run *r, const struct kf_ip *ip, struct kf_span s)
{
	struct kf_icmp_unreach u;
	if (!kf_icmp_unreach_decode(ip->version, s, &u) || !u.has_ports)
		return;
	if (u.qdport != KF_KRB_PORT && u.qsport != KF_KRB_PORT)
		return;
	struct kf_flow_key k;
	int dir;
	kdc_key(&k, &u.quoted, u.quoted.proto, u.qsport, u.qdport, &dir);
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
	kf_run_tevent(r, &t);
}

static void handle_l4(struct kf_run *r, const struct kf_ip *ip, struct kf_span payload, uint32_t nfrags,
		      unsigned depth)
{
	switch (ip->proto) {
	case KF_IPPROTO_TCP: {
		struct kf_tcp t;
		if (!kf_tcp_decode(payload, &t, &r->ev))
			return;
		kf_conn_tcp(r, ip, &t);
		return;
	}
	case KF_IPPROTO_UDP: {
		struct kf_udp u;
		if (!kf_udp_decode(payload, &u, &r->ev))
			return;
		if (!r->numbering_only && kf_conn_udp(r, ip, &u, nfrags))
			return;
		struct kf_l3 inner;
		if (u.dport == KF_VXLAN_PORT || u.dport == KF_VXLAN_PORT_LINUX) {
			if (kf_vxlan_decode(u.payload, &inner, &r->ev))
				handle_l3(r, inner, depth + 1);
		} else if (u.dport == KF_GENEVE_PORT) {
			if (kf_geneve_decode(u.payload, &inner, &r->ev))
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
		struct kf_l3 inner = { .ethertype = ip->proto == KF_IPPROTO_IPIP ? KF_ETH_IPV4 : KF_ETH_IPV6,
				       .data = payload };
		handle_l3(r, inner, depth + 1);
		return;
	}
	case KF_IPPROTO_ICMP:
	case KF_IPPROTO_ICMPV6:
		if (!r->numbering_only)
			icmp_packet(r, ip, payload);
		return;
	default: return;
	}
}

/* A network layer that is not IP: counted by kind for the warning when it
 * may carry IP. */
static void undecoded(struct kf_run *r, const struct kf_l3 *l3)
{
	if (!kf_l3_worth_warning(l3))
		return;
	kf_events_add(&r->ev, KF_EV_ENCAP_UNDECODED);
	size_t i = 0;
	while (i < r->n_undecoded &&
	       (r->undecoded[i].space != l3->space || r->undecoded[i].type != l3->ethertype))
		i++;
	if (i == KF_LIMIT_UNDECODED_KINDS) { /* table full: count on the last */
		i--;
		r->undecoded[i].others = true;
	} else if (i == r->n_undecoded) {
		r->undecoded[i].space = l3->space;
		r->undecoded[i].type = l3->ethertype;
		r->n_undecoded++;
	}
	r->undecoded[i].packets++;
}

static void handle_l3(struct kf_run *r, struct kf_l3 l3, unsigned depth)
{
	if (depth > KF_LIMIT_ENCAP_DEPTH) {
		kf_events_add(&r->ev, KF_EV_ENCAP_TOO_DEEP);
		return;
	}
	if (l3.ethertype == KF_ETH_TEB && l3.space == KF_SPACE_ETHER) {
		/* an Ethernet frame (MPLS pseudowire): one level deeper */
		struct kf_l3 inner;
		if (kf_ether_decode(l3.data, &inner, &r->ev))
			handle_l3(r, inner, depth + 1);
		return;
	}
	if (l3.space != KF_SPACE_ETHER || (l3.ethertype != KF_ETH_IPV4 && l3.ethertype != KF_ETH_IPV6)) {
		undecoded(r, &l3);
		return;
	}
	struct kf_ip ip;
	if (!kf_ip_decode(l3.data, &ip, &r->ev))
		return;
	if (!ip.fragment) {
		handle_l4(r, &ip, ip.payload, 1, depth);
		return;
	}
	if (r->numbering_only) {
		/* not reassembled: the first fragment's TCP header is counted */
		if (ip.frag_offset == 0 && ip.proto == KF_IPPROTO_TCP)
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

void kf_wire_frag_incomplete(void *ctx, const struct kf_frag_incomplete *inc)
{
	struct kf_run *r = ctx;
	const struct kf_frag_key *fk = inc->key;
	if (inc->first_frag.n < 4 || (fk->proto != KF_IPPROTO_UDP && fk->proto != KF_IPPROTO_TCP))
		return;
	uint16_t sport = (uint16_t)(inc->first_frag.p[0] << 8 | inc->first_frag.p[1]);
	uint16_t dport = (uint16_t)(inc->first_frag.p[2] << 8 | inc->first_frag.p[3]);
	if (sport != KF_KRB_PORT && dport != KF_KRB_PORT)
		return;
	struct kf_ip ip;
	memset(&ip, 0, sizeof ip);
	ip.version = fk->version;
	memcpy(ip.src, fk->src, 16);
	memcpy(ip.dst, fk->dst, 16);
	struct kf_flow_key k;
	int dir;
	kdc_key(&k, &ip, fk->proto, sport, dport, &dir);
	struct kf_tevent t;
	memset(&t, 0, sizeof t);
	t.kind = KF_TEV_FRAG_INCOMPLETE;
	t.frame = inc->first_frame;
	kf_run_endpoint(&t.src, k.ipver, k.caddr, k.cport);
	kf_run_endpoint(&t.dst, k.ipver, k.saddr, k.sport);
	t.transport = fk->proto;
	t.count = inc->nfrags;
	t.from_kdc = dir == 1;
	kf_run_tevent(r, &t);
}

void kf_wire_dispatch(struct kf_run *r, const struct kf_pkt *p)
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
