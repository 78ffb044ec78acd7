/* link.c - link-layer and tunnel headers down to IP.
 * Ethernet II + IEEE 802.1Q/802.1ad; MPLS label stacks (RFC 3032) with an
 * Ethernet pseudowire behind a control word (RFC 4385, RFC 4448); PPPoE
 * sessions (RFC 2516) and PPP (RFC 1661, RFC 1662 framing; Cisco HDLC);
 * Linux cooked capture v1/v2 (tcpdump.org/linktypes); BSD loopback
 * (DLT_NULL/DLT_LOOP: 4-byte address family); raw IP; GRE (RFC 2784,
 * RFC 2890); ERSPAN types I-III (draft-foschiano-erspan); VXLAN (RFC 7348);
 * Geneve (RFC 8926). */
#include "net.h"

#include "base/cursor.h"
#include "base/limits.h"

bool kf_link_supported(int dlt)
{
	switch (dlt) {
	case KF_DLT_NULL:
	case KF_DLT_EN10MB:
	case KF_DLT_PPP:
	case KF_DLT_PPP_SERIAL:
	case KF_DLT_PPP_ETHER:
	case KF_DLT_C_HDLC:
	case KF_DLT_MPLS:
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

static void set_out(struct kf_l3 *out, uint16_t et, uint8_t space, struct kf_span data)
{
	out->ethertype = et;
	out->space = space;
	out->data = data;
}

/* An MPLS label stack at c, to its bottom-of-stack entry.  What follows has
 * no type field: a first nibble of 4 or 6 is taken as IPv4 or IPv6, and a
 * first nibble of 0 as the pseudowire control word (RFC 4385 reserves that
 * nibble so it cannot be mistaken for IP) followed by an Ethernet frame, the
 * common Ethernet pseudowire (RFC 4448).  An Ethernet pseudowire without a
 * control word starts with a MAC address and cannot be told apart from other
 * payloads: it is left undecoded (space KF_SPACE_MPLS, a warning). */
static bool mpls(struct kf_cur *c, struct kf_l3 *out, struct kf_events *ev)
{
	for (unsigned labels = 0;; labels++) {
		if (labels >= KF_LIMIT_MPLS_LABELS) {
			kf_events_add(ev, KF_EV_MPLS_TOO_MANY_LABELS);
			return false;
		}
		uint32_t entry = kf_cur_be32(c);
		if (!kf_cur_ok(c))
			return fail(ev);
		if (entry & 0x100) /* S: bottom of stack */
			break;
	}
	if (kf_cur_left(c) < 1)
		return fail(ev);
	struct kf_span rest = kf_cur_rest(c);
	switch (rest.p[0] >> 4) {
	case 4: set_out(out, KF_ETH_IPV4, KF_SPACE_ETHER, rest); return true;
	case 6: set_out(out, KF_ETH_IPV6, KF_SPACE_ETHER, rest); return true;
	case 0: /* control word: flags, length, sequence number */
		if (rest.n < 4)
			return fail(ev);
		set_out(out, KF_ETH_TEB, KF_SPACE_ETHER, kf_span_make(rest.p + 4, rest.n - 4));
		return true;
	default: set_out(out, rest.p[0] >> 4, KF_SPACE_MPLS, rest); return true;
	}
}

/* A PPP protocol field at c (one byte when compressed: RFC 1661 makes
 * protocol numbers odd in their last byte and even in their first). */
static bool ppp(struct kf_cur *c, struct kf_l3 *out, struct kf_events *ev)
{
	uint16_t proto = kf_cur_u8(c);
	if (!(proto & 1))
		proto = (uint16_t)(proto << 8 | kf_cur_u8(c));
	if (!kf_cur_ok(c) || !(proto & 1))
		return fail(ev);
	switch (proto) {
	case KF_PPP_IPV4: set_out(out, KF_ETH_IPV4, KF_SPACE_ETHER, kf_cur_rest(c)); return true;
	case KF_PPP_IPV6: set_out(out, KF_ETH_IPV6, KF_SPACE_ETHER, kf_cur_rest(c)); return true;
	case KF_PPP_MPLS:
	case KF_PPP_MPLS_MC: return mpls(c, out, ev);
	default:
		/* 0x8000 and up: network and link control protocols, no IP */
		if (proto >= 0x8000)
			set_out(out, 0, KF_SPACE_ETHER, kf_cur_rest(c));
		else
			set_out(out, proto, KF_SPACE_PPP, kf_cur_rest(c));
		return true;
	}
}

/* A PPPoE header at c (RFC 2516): version and type 1, code 0 in a session. */
static bool pppoe_session(struct kf_cur *c, struct kf_l3 *out, struct kf_events *ev)
{
	uint8_t vt = kf_cur_u8(c);
	uint8_t code = kf_cur_u8(c);
	kf_cur_skip(c, 2); /* session id */
	uint16_t len = kf_cur_be16(c);
	if (!kf_cur_ok(c) || vt != 0x11 || code != 0)
		return fail(ev);
	struct kf_span rest = kf_cur_rest(c);
	if (len < rest.n) /* Ethernet padding after the payload */
		rest.n = len;
	struct kf_cur p = kf_cur_make(rest);
	return ppp(&p, out, ev);
}

/* After an ethertype et at c: VLAN tags, then MPLS, PPPoE or the type. */
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
	switch (et) {
	case KF_ETH_MPLS:
	case KF_ETH_MPLS_MC: return mpls(c, out, ev);
	case KF_ETH_PPPOE_SESS: return pppoe_session(c, out, ev);
	default: set_out(out, et, KF_SPACE_ETHER, kf_cur_rest(c)); return true;
	}
}

bool kf_l3_worth_warning(const struct kf_l3 *l3)
{
	if (l3->space != KF_SPACE_ETHER)
		return true;
	switch (l3->ethertype) {
	case 0:      /* 802.3 length: LLC, STP, CDP, ... */
	case 0x0806: /* ARP */
	case 0x0842: /* Wake-on-LAN */
	case 0x22F0: /* AVTP */
	case 0x6002: /* DEC MOP */
	case 0x6003: /* DECnet */
	case 0x6004: /* DEC LAT */
	case 0x8035: /* RARP */
	case 0x809B: /* AppleTalk */
	case 0x80F3: /* AARP */
	case 0x8137: /* IPX */
	case 0x8138: /* IPX */
	case 0x8808: /* Ethernet flow control */
	case 0x8809: /* slow protocols: LACP, OAM */
	case KF_ETH_PPPOE_DISC:
	case 0x888E: /* EAPOL */
	case 0x8892: /* PROFINET */
	case 0x8899: /* Realtek RRCP */
	case 0x88A4: /* EtherCAT */
	case 0x88B8: /* GOOSE */
	case 0x88B9: /* GSE */
	case 0x88BA: /* sampled values */
	case 0x88CC: /* LLDP */
	case 0x88D9: /* LLTD */
	case 0x88E1: /* HomePlug AV */
	case 0x88E3: /* MRP */
	case 0x88F7: /* PTP */
	case 0x8902: /* CFM */
	case 0x8906: /* FCoE */
	case 0x8914: /* FIP */
	case 0x893A: /* IEEE 1905.1 */
	case 0x9000: /* configuration test protocol (loopback) */ return false;
	default: return true;
	}
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
		set_out(out, 0, KF_SPACE_ETHER, kf_cur_rest(&c));
		return true;
	}
	return after_vlans(&c, et, out, ev);
}

static bool raw_ip(struct kf_span s, struct kf_l3 *out, struct kf_events *ev)
{
	if (s.n < 1)
		return fail(ev);
	uint8_t v = s.p[0] >> 4;
	set_out(out, v == 4 ? KF_ETH_IPV4 : v == 6 ? KF_ETH_IPV6 : 0, KF_SPACE_ETHER, s);
	return true;
}

/* Cisco HDLC: address, control, then an ethertype. */
static bool cisco_hdlc(struct kf_cur *c, struct kf_l3 *out, struct kf_events *ev)
{
	kf_cur_skip(c, 2);
	uint16_t et = kf_cur_be16(c);
	if (!kf_cur_ok(c))
		return fail(ev);
	return after_vlans(c, et, out, ev);
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
	case KF_DLT_PPP:
	case KF_DLT_PPP_SERIAL:
		/* RFC 1662 address 0xff, control 0x03 (absent when compressed) */
		if (frame.n >= 2 && frame.p[0] == 0xff && frame.p[1] == 0x03)
			kf_cur_skip(&c, 2);
		else if (dlt == KF_DLT_PPP_SERIAL && frame.n >= 1 &&
			 (frame.p[0] == 0x0f || frame.p[0] == 0x8f))
			return cisco_hdlc(&c, out, ev); /* DLT_PPP_SERIAL also holds these */
		return ppp(&c, out, ev);
	case KF_DLT_PPP_ETHER: return pppoe_session(&c, out, ev);
	case KF_DLT_MPLS: return mpls(&c, out, ev);
	case KF_DLT_C_HDLC: return cisco_hdlc(&c, out, ev);
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
	case KF_ETH_IPV6: set_out(out, proto, KF_SPACE_ETHER, kf_cur_rest(&c)); return true;
	case KF_ETH_TEB: return kf_ether_decode(kf_cur_rest(&c), out, ev);
	case KF_ETH_MPLS:
	case KF_ETH_MPLS_MC: return mpls(&c, out, ev);
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
	default: set_out(out, proto, KF_SPACE_ETHER, kf_cur_rest(&c)); return true;
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

bool kf_geneve_decode(struct kf_span s, struct kf_l3 *out, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(s);
	uint8_t ver_optlen = kf_cur_u8(&c);
	kf_cur_skip(&c, 1); /* O and C flags */
	uint16_t proto = kf_cur_be16(&c);
	kf_cur_skip(&c, 4);                        /* VNI, reserved */
	kf_cur_skip(&c, (ver_optlen & 0x3f) * 4u); /* options */
	if (!kf_cur_ok(&c) || (ver_optlen >> 6) != 0)
		return fail(ev);
	switch (proto) {
	case KF_ETH_TEB: return kf_ether_decode(kf_cur_rest(&c), out, ev);
	default: set_out(out, proto, KF_SPACE_ETHER, kf_cur_rest(&c)); return true;
	}
}
