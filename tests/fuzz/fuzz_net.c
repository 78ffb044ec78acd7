/* fuzz_net.c - link, tunnel, IP and transport headers (decoders/link.c,
 * ip.c, l4.c).  The first byte picks the link type; the rest is a frame
 * decoded down through IP to TCP/UDP/ICMP, into GRE, VXLAN (4789, 8472),
 * Geneve, IP-in-IP and MPLS pseudowire tunnels (up to KF_LIMIT_ENCAP_DEPTH),
 * as analyzer/wire/dispatch.c does. */
#include "fuzz.h"

#include "base/limits.h"
#include "net.h"

static const uint8_t *g_base;
static size_t g_size;

static void l3(struct kf_l3 *l, unsigned depth);

static void ip_packet(struct kf_span s, unsigned depth)
{
	struct kf_events ev = { 0 };
	struct kf_ip ip;
	memset(&ip, 0, sizeof ip);
	if (!kf_ip_decode(s, &ip, &ev))
		return;
	FUZZ_CHECK(ip.version == 4 || ip.version == 6);
	FUZZ_CHECK(fuzz_span_inside(ip.payload, g_base, g_size));
	struct kf_span pl = ip.payload;
	uint8_t proto = ip.proto;
	if (ip.version == 6 && ip.fragment) {
		/* as after reassembly: the payload is the fragmentable part */
		if (!kf_ipv6_after_reassembly(&proto, &pl, &ev))
			return;
		FUZZ_CHECK(fuzz_span_inside(pl, g_base, g_size));
	}
	if (ip.fragment && ip.frag_offset != 0)
		return; /* not the first fragment: no transport header */

	switch (proto) {
	case KF_IPPROTO_TCP: {
		struct kf_tcp t;
		if (kf_tcp_decode(pl, &t, &ev))
			FUZZ_CHECK(fuzz_span_inside(t.payload, g_base, g_size));
		break;
	}
	case KF_IPPROTO_UDP: {
		struct kf_udp u;
		if (!kf_udp_decode(pl, &u, &ev))
			break;
		FUZZ_CHECK(fuzz_span_inside(u.payload, g_base, g_size));
		struct kf_l3 inner;
		if (u.dport == KF_VXLAN_PORT || u.sport == KF_VXLAN_PORT || u.dport == KF_VXLAN_PORT_LINUX) {
			if (depth < KF_LIMIT_ENCAP_DEPTH && kf_vxlan_decode(u.payload, &inner, &ev))
				l3(&inner, depth + 1);
		} else if (u.dport == KF_GENEVE_PORT) {
			if (depth < KF_LIMIT_ENCAP_DEPTH && kf_geneve_decode(u.payload, &inner, &ev))
				l3(&inner, depth + 1);
		}
		break;
	}
	case KF_IPPROTO_GRE: {
		struct kf_l3 inner;
		if (depth < KF_LIMIT_ENCAP_DEPTH && kf_gre_decode(pl, &inner, &ev))
			l3(&inner, depth + 1);
		break;
	}
	case KF_IPPROTO_IPIP:
	case KF_IPPROTO_IPV6:
		if (depth < KF_LIMIT_ENCAP_DEPTH)
			ip_packet(pl, depth + 1);
		break;
	case KF_IPPROTO_ICMP:
	case KF_IPPROTO_ICMPV6: {
		struct kf_icmp_unreach u;
		if (kf_icmp_unreach_decode(ip.version, pl, &u))
			FUZZ_CHECK(fuzz_span_inside(u.quoted.payload, g_base, g_size));
		break;
	}
	default: break;
	}
	FUZZ_CHECK(ev.n <= KF_EVENT_SINK_CAP);
}

static void l3(struct kf_l3 *l, unsigned depth)
{
	FUZZ_CHECK(fuzz_span_inside(l->data, g_base, g_size));
	(void)kf_l3_worth_warning(l);
	if (l->space != KF_SPACE_ETHER)
		return;
	if (l->ethertype == KF_ETH_TEB) { /* an MPLS pseudowire's Ethernet frame */
		struct kf_events ev = { 0 };
		struct kf_l3 inner;
		if (depth < KF_LIMIT_ENCAP_DEPTH && kf_ether_decode(l->data, &inner, &ev))
			l3(&inner, depth + 1);
		return;
	}
	if (l->ethertype == KF_ETH_IPV4 || l->ethertype == KF_ETH_IPV6)
		ip_packet(l->data, depth);
}

static const int dlts[] = {
	KF_DLT_EN10MB,
	KF_DLT_NULL,
	KF_DLT_RAW,
	14,
	KF_DLT_LOOP,
	KF_DLT_LINUX_SLL,
	KF_DLT_RAW_LINKTYPE,
	KF_DLT_IPV4,
	KF_DLT_IPV6,
	KF_DLT_LINUX_SLL2,
	147 /* USER0: unsupported */,
	KF_DLT_PPP,
	KF_DLT_PPP_SERIAL,
	KF_DLT_PPP_ETHER,
	KF_DLT_C_HDLC,
	KF_DLT_MPLS,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	g_base = data;
	g_size = size;
	int dlt = dlts[data[0] % (sizeof dlts / sizeof dlts[0])];
	struct kf_span frame = kf_span_make(data + 1, size - 1);
	struct kf_events ev = { 0 };
	struct kf_l3 l;
	memset(&l, 0, sizeof l);
	(void)kf_link_supported(dlt);
	if (kf_link_decode(dlt, frame, &l, &ev))
		l3(&l, 0);
	/* the same bytes as Ethernet, and as a bare IP packet */
	if (dlt != KF_DLT_EN10MB && kf_ether_decode(frame, &l, &ev))
		l3(&l, 0);
	ip_packet(frame, 0);
	return 0;
}
