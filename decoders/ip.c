/* ip.c - IPv4 (RFC 791) and IPv6 (RFC 8200) headers, IPv6 extension-header
 * walk (hop-by-hop, routing, destination options, fragment, AH). */
#include <string.h>

#include "net.h"

#include "base/cursor.h"
#include "base/limits.h"

static bool ip_fail(struct kf_events *ev)
{
	kf_events_add(ev, KF_EV_IP_MALFORMED);
	return false;
}

/* Trim rest of cursor to `want` bytes; short packets keep what they have. */
static struct kf_span trimmed(struct kf_cur *c, size_t want, struct kf_events *ev)
{
	size_t have = kf_cur_left(c);
	if (want > have) {
		kf_events_add(ev, KF_EV_IP_LENGTH_SHORT);
		want = have;
	}
	return kf_cur_bytes(c, want);
}

static bool ipv4(struct kf_span s, struct kf_ip *ip, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(s);
	uint8_t vihl = kf_cur_u8(&c);
	kf_cur_skip(&c, 1); /* DSCP/ECN */
	uint16_t total = kf_cur_be16(&c);
	uint16_t id = kf_cur_be16(&c);
	uint16_t frag = kf_cur_be16(&c);
	kf_cur_skip(&c, 1); /* TTL */
	ip->proto = kf_cur_u8(&c);
	kf_cur_skip(&c, 2); /* checksum: captures with offload carry zeros */
	struct kf_span src = kf_cur_bytes(&c, 4);
	struct kf_span dst = kf_cur_bytes(&c, 4);
	size_t ihl = (size_t)(vihl & 0x0f) * 4;
	if (!kf_cur_ok(&c) || ihl < 20 || (total != 0 && total < ihl))
		return ip_fail(ev);
	kf_cur_skip(&c, ihl - 20); /* options */
	if (!kf_cur_ok(&c))
		return ip_fail(ev);
	ip->version = 4;
	memset(ip->src, 0, sizeof ip->src);
	memset(ip->dst, 0, sizeof ip->dst);
	memcpy(ip->src, src.p, 4);
	memcpy(ip->dst, dst.p, 4);
	/* total 0 happens with TSO on the capturing host: take the packet */
	ip->payload = total == 0 ? kf_cur_rest(&c) : trimmed(&c, total - ihl, ev);
	ip->frag_id = id;
	ip->more_fragments = (frag & 0x2000) != 0;
	ip->frag_offset = (uint32_t)(frag & 0x1fff) * 8;
	ip->fragment = ip->more_fragments || ip->frag_offset != 0;
	return true;
}

/* Walk IPv6 extension headers from next header `next`; sets ip->proto and
 * ip->payload, and the fragment fields when a fragment header is met.  A
 * fragment's headers past the fragment header belong to the fragmentable
 * part (RFC 8200 §4.5): the walk stops there and resumes after reassembly. */
static bool walk_ext(struct kf_cur *pl, uint8_t next, struct kf_ip *ip, struct kf_events *ev)
{
	for (unsigned i = 0;; i++) {
		switch (next) {
		case 0:   /* hop-by-hop */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 51:  /* AH: length in 4-octet units minus 2 */
		case 44:  /* fragment */
			if (i >= KF_LIMIT_IPV6_EXT_HDRS) {
				kf_events_add(ev, KF_EV_IPV6_EXT_TOO_MANY);
				return false;
			}
			break;
		default:
			ip->proto = next;
			ip->payload = kf_cur_rest(pl);
			return true;
		}
		uint8_t nh = kf_cur_u8(pl);
		if (next == 44) {
			kf_cur_skip(pl, 1);
			uint16_t off = kf_cur_be16(pl);
			uint32_t id = kf_cur_be32(pl);
			if (!kf_cur_ok(pl))
				return ip_fail(ev);
			ip->frag_offset = (uint32_t)(off & 0xfff8);
			ip->more_fragments = (off & 1) != 0;
			ip->frag_id = id;
			/* an atomic fragment (offset 0, M=0) is a whole datagram */
			ip->fragment = ip->more_fragments || ip->frag_offset != 0;
			if (ip->fragment) {
				ip->proto = nh;
				ip->payload = kf_cur_rest(pl);
				return true;
			}
		} else {
			uint8_t len = kf_cur_u8(pl);
			size_t hlen = next == 51 ? ((size_t)len + 2) * 4 : ((size_t)len + 1) * 8;
			kf_cur_skip(pl, hlen - 2);
			if (!kf_cur_ok(pl))
				return ip_fail(ev);
		}
		next = nh;
	}
}

static bool ipv6(struct kf_span s, struct kf_ip *ip, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(s);
	kf_cur_skip(&c, 4); /* version, class, flow label */
	uint16_t plen = kf_cur_be16(&c);
	uint8_t next = kf_cur_u8(&c);
	kf_cur_skip(&c, 1); /* hop limit */
	struct kf_span src = kf_cur_bytes(&c, 16);
	struct kf_span dst = kf_cur_bytes(&c, 16);
	if (!kf_cur_ok(&c))
		return ip_fail(ev);
	ip->version = 6;
	memcpy(ip->src, src.p, 16);
	memcpy(ip->dst, dst.p, 16);
	ip->fragment = false;
	ip->more_fragments = false;
	ip->frag_offset = 0;
	ip->frag_id = 0;
	/* payload length 0 with a jumbo option or TSO: take the packet */
	struct kf_cur pl = plen == 0 ? kf_cur_make(kf_cur_rest(&c)) : kf_cur_make(trimmed(&c, plen, ev));
	return walk_ext(&pl, next, ip, ev);
}

bool kf_ipv6_after_reassembly(uint8_t *proto, struct kf_span *payload, struct kf_events *ev)
{
	struct kf_ip inner;
	memset(&inner, 0, sizeof inner);
	struct kf_cur pl = kf_cur_make(*payload);
	if (!walk_ext(&pl, *proto, &inner, ev))
		return false;
	if (inner.fragment) /* a fragment inside a reassembled datagram */
		return ip_fail(ev);
	*proto = inner.proto;
	*payload = inner.payload;
	return true;
}

bool kf_ip_decode(struct kf_span s, struct kf_ip *ip, struct kf_events *ev)
{
	if (s.n < 1)
		return ip_fail(ev);
	switch (s.p[0] >> 4) {
	case 4: return ipv4(s, ip, ev);
	case 6: return ipv6(s, ip, ev);
	default: return ip_fail(ev);
	}
}
