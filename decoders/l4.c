/* l4.c - TCP (RFC 9293), UDP (RFC 768) and ICMP/ICMPv6 destination
 * unreachable (RFC 792, RFC 4443) headers. */
#include "net.h"

#include "base/cursor.h"

bool kf_tcp_decode(struct kf_span s, struct kf_tcp *t, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(s);
	t->sport = kf_cur_be16(&c);
	t->dport = kf_cur_be16(&c);
	t->seq = kf_cur_be32(&c);
	t->ack = kf_cur_be32(&c);
	uint8_t off = kf_cur_u8(&c);
	t->flags = kf_cur_u8(&c);
	kf_cur_skip(&c, 6); /* window, checksum, urgent pointer */
	size_t hlen = (size_t)(off >> 4) * 4;
	if (!kf_cur_ok(&c) || hlen < 20) {
		kf_events_add(ev, KF_EV_TCP_MALFORMED);
		return false;
	}
	kf_cur_skip(&c, hlen - 20); /* options */
	if (!kf_cur_ok(&c)) {
		kf_events_add(ev, KF_EV_TCP_MALFORMED);
		return false;
	}
	t->payload = kf_cur_rest(&c);
	return true;
}

bool kf_udp_decode(struct kf_span s, struct kf_udp *u, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(s);
	u->sport = kf_cur_be16(&c);
	u->dport = kf_cur_be16(&c);
	uint16_t len = kf_cur_be16(&c);
	kf_cur_skip(&c, 2);
	if (!kf_cur_ok(&c) || (len != 0 && len < 8)) {
		kf_events_add(ev, KF_EV_UDP_MALFORMED);
		return false;
	}
	size_t want = len ? (size_t)len - 8 : kf_cur_left(&c); /* 0: jumbogram/TSO */
	if (want > kf_cur_left(&c))
		want = kf_cur_left(&c); /* snapped: keep what is there */
	u->payload = kf_cur_bytes(&c, want);
	return true;
}

bool kf_icmp_unreach_decode(uint8_t ipver, struct kf_span s, struct kf_icmp_unreach *u)
{
	struct kf_cur c = kf_cur_make(s);
	u->type = kf_cur_u8(&c);
	u->code = kf_cur_u8(&c);
	kf_cur_skip(&c, 6); /* checksum + unused/MTU */
	if (!kf_cur_ok(&c))
		return false;
	if ((ipver == 4 && u->type != 3) || (ipver == 6 && u->type != 1))
		return false;
	if (!kf_ip_decode(kf_cur_rest(&c), &u->quoted, NULL) || u->quoted.version != ipver)
		return false;
	u->has_ports = false;
	if ((u->quoted.proto == KF_IPPROTO_UDP || u->quoted.proto == KF_IPPROTO_TCP) &&
	    u->quoted.frag_offset == 0 && u->quoted.payload.n >= 4) {
		struct kf_cur q = kf_cur_make(u->quoted.payload);
		u->qsport = kf_cur_be16(&q);
		u->qdport = kf_cur_be16(&q);
		u->has_ports = true;
	}
	return true;
}
