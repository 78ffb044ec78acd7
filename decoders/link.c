/* link.c - link-layer and tunnel headers down to IP.
 * Ethernet II + IEEE 802.1Q/802.1ad; Linux cooked capture v1/v2
 * (tcpdump.org/linktypes); BSD loopback (DLT_NULL/DLT_LOOP: 4-byte address
 * family); raw IP; GRE (RFC 2784, RFC 2890); ERSPAN types I-III
 * (draft-foschiano-erspan); VXLAN (RFC 7348). */
#include "net.h"

#include "base/cursor.h"
#include "base/limits.h"

bool kf_link_supported(int dlt)
{
	switch (dlt) {
	case KF_DLT_NULL:
	case KF_DLT_EN10MB:
	case KF_DLT_RAW:
	case 14: /* DLT_RAW on OpenBSD */
	case KF_DLT_RAW_LINKTYPE:
	case KF_DLT_LOOP:
	case KF_DLT_LINUX_SLL:
	case KF_DLT_IPV4:
	case KF_DLT_IPV6:
	case KF_DLT_LINUX_SLL2: return true;
	default: return false;
	}
}

static bool fail(struct kf_events *ev)
{
	kf_events_add(ev, KF_EV_LINK_MALFORMED);
	return false;
}

/* Skip VLAN tags starting at ethertype et; c is positioned after the type. */
static bool after_vlans(struct kf_cur *c, uint16_t et, struct kf_l3 *out, struct kf_events *ev)
{
	for (unsigned tags = 0; et == KF_ETH_VLAN || et == KF_ETH_QINQ || et == KF_ETH_QINQ_OLD; tags++) {
		if (tags >= KF_LIMIT_VLAN_TAGS)
			return fail(ev);
		kf_cur_skip(c, 2); /* TCI */
		et = kf_cur_be16(c);
	}
	if (!kf_cur_ok(c))
		return fail(ev);
	out->ethertype = et;
	out->data = kf_cur_rest(c);
	return true;
}

bool kf_ether_decode(struct kf_span frame, struct kf_l3 *out, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(frame);
	kf_cur_skip(&c, 12); /* destination and source MAC */
	uint16_t et = kf_cur_be16(&c);
	if (!kf_cur_ok(&c))
		return fail(ev);
	if (et <= 1500) {
		/* 802.3 length field: LLC/SNAP frames carry no IP we care about */
		out->ethertype = 0;
		out->data = kf_cur_rest(&c);
		return true;
	}
	return after_vlans(&c, et, out, ev);
}

static bool raw_ip(struct kf_span s, struct kf_l3 *out, struct kf_events *ev)
{
	if (s.n < 1)
		return fail(ev);
	uint8_t v = s.p[0] >> 4;
	out->ethertype = v == 4 ? KF_ETH_IPV4 : v == 6 ? KF_ETH_IPV6 : 0;
	out->data = s;
	return true;
}

bool kf_link_decode(int dlt, struct kf_span frame, struct kf_l3 *out, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(frame);
	switch (dlt) {
	case KF_DLT_EN10MB: return kf_ether_decode(frame, out, ev);
	case KF_DLT_NULL:
	case KF_DLT_LOOP: {
		/* address family in host order of the capturing machine (NULL) or
		 * network order (LOOP); AF_INET is 2 everywhere, AF_INET6 varies
		 * (10 Linux, 24 NetBSD/OpenBSD, 28 FreeBSD, 30 macOS), so trust the
		 * IP version nibble instead of the family value */
		kf_cur_skip(&c, 4);
		if (!kf_cur_ok(&c))
			return fail(ev);
		return raw_ip(kf_cur_rest(&c), out, ev);
	}
	case KF_DLT_RAW:
	case 14:
	case KF_DLT_RAW_LINKTYPE:
	case KF_DLT_IPV4:
	case KF_DLT_IPV6: return raw_ip(frame, out, ev);
	case KF_DLT_LINUX_SLL: {
		/* packet type, ARPHRD, addr len, 8-byte addr, protocol */
		kf_cur_skip(&c, 14);
		uint16_t et = kf_cur_be16(&c);
		if (!kf_cur_ok(&c))
			return fail(ev);
		return after_vlans(&c, et, out, ev);
	}
	case KF_DLT_LINUX_SLL2: {
		/* protocol first, then reserved, ifindex, ARPHRD, type, addr len, addr */
		uint16_t et = kf_cur_be16(&c);
		kf_cur_skip(&c, 18);
		if (!kf_cur_ok(&c))
			return fail(ev);
		return after_vlans(&c, et, out, ev);
	}
	default: kf_events_add(ev, KF_EV_UNSUPPORTED_LINKTYPE); return false;
	}
}

bool kf_gre_decode(struct kf_span s, struct kf_l3 *out, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(s);
	uint16_t flags = kf_cur_be16(&c);
	uint16_t proto = kf_cur_be16(&c);
	/* RFC 2784: version 0 with the routing bit and reserved bits clear
	 * (RFC 1701 routing is not implemented, so such packets are dropped) */
	if (!kf_cur_ok(&c) || (flags & 0x4000) || (flags & 0x0ff8) || (flags & 0x0007) > 1)
		return fail(ev);
	if (flags & 0x0007) /* GRE v1 (PPTP) carries PPP: not an anomaly, not decoded */
		return false;
	bool has_seq = flags & 0x1000;
	if (flags & 0x8000)
		kf_cur_skip(&c, 4); /* checksum + reserved */
	if (flags & 0x2000)
		kf_cur_skip(&c, 4); /* key */
	if (has_seq)
		kf_cur_skip(&c, 4);
	if (!kf_cur_ok(&c))
		return fail(ev);

	switch (proto) {
	case KF_ETH_IPV4:
	case KF_ETH_IPV6:
		out->ethertype = proto;
		out->data = kf_cur_rest(&c);
		return true;
	case KF_ETH_TEB: return kf_ether_decode(kf_cur_rest(&c), out, ev);
	case KF_ETH_ERSPAN2:
		/* type I has no sequence number and no ERSPAN header; type II has
		 * both and an 8-byte header */
		if (has_seq)
			kf_cur_skip(&c, 8);
		break;
	case KF_ETH_ERSPAN3: {
		/* 12-byte header; the O bit (last bit) adds an 8-byte platform
		 * specific subheader */
		struct kf_span hdr = kf_cur_bytes(&c, 12);
		if (kf_cur_ok(&c) && (hdr.p[11] & 0x01))
			kf_cur_skip(&c, 8);
		break;
	}
	default:
		out->ethertype = proto;
		out->data = kf_cur_rest(&c);
		return true;
	}
	if (!kf_cur_ok(&c))
		return fail(ev);
	return kf_ether_decode(kf_cur_rest(&c), out, ev);
}

bool kf_vxlan_decode(struct kf_span s, struct kf_l3 *out, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(s);
	uint8_t flags = kf_cur_u8(&c);
	kf_cur_skip(&c, 7);
	if (!kf_cur_ok(&c) || !(flags & 0x08)) /* I flag: VNI valid */
		return fail(ev);
	return kf_ether_decode(kf_cur_rest(&c), out, ev);
}
