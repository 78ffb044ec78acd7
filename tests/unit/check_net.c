/* check_net.c - link, tunnel, IP and transport decoders (decoders/net.h).
 *
 * Packets are assembled byte by byte with the small builder below, so every
 * expected offset is known.  STYLE.md 21: a table of malformed inputs, a
 * truncation sweep over every prefix of every valid vector (each prefix is
 * copied to a heap block of exactly that size so ASan sees any over-read),
 * and real bytes (a frame from the project's own lab capture).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/limits.h"
#include "net.h"
#include "testutil.h"

/* ---- packet builder ---------------------------------------------------- */

struct pb {
	uint8_t d[2048];
	size_t n;
};

static void p8(struct pb *b, unsigned v)
{
	ck_assert_uint_lt(b->n, sizeof b->d);
	b->d[b->n++] = (uint8_t)v;
}

static void p16(struct pb *b, unsigned v)
{
	p8(b, v >> 8);
	p8(b, v & 0xff);
}

static void p32(struct pb *b, uint32_t v)
{
	p16(b, v >> 16);
	p16(b, v & 0xffff);
}

static void pfill(struct pb *b, size_t n, unsigned byte)
{
	for (size_t i = 0; i < n; i++)
		p8(b, byte);
}

static void pbytes(struct pb *b, const void *p, size_t n)
{
	const uint8_t *q = p;
	for (size_t i = 0; i < n; i++)
		p8(b, q[i]);
}

static void patch16(struct pb *b, size_t at, size_t v)
{
	b->d[at] = (uint8_t)(v >> 8);
	b->d[at + 1] = (uint8_t)v;
}

static struct kf_span whole(const struct pb *b) { return kf_span_make(b->d, b->n); }

static const uint8_t V4_SRC[4] = { 10, 0, 0, 1 };
static const uint8_t V4_DST[4] = { 10, 0, 0, 2 };
static const uint8_t V6_SRC[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t V6_DST[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };
/* stands in for a Kerberos message: AS-REQ tag, short DER body */
static const uint8_t KRB[6] = { 0x6a, 0x04, 0x30, 0x02, 0x05, 0x00 };

static void eth_macs(struct pb *b)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };
	pbytes(b, macs, sizeof macs);
}

static void eth(struct pb *b, unsigned type)
{
	eth_macs(b);
	p16(b, type);
}

static void vlan(struct pb *b, unsigned tci, unsigned type)
{
	p16(b, tci);
	p16(b, type);
}

/* IPv4 header with optwords 32-bit words of options; returns its offset for
 * ip4_end, which fills in the total length. */
static size_t ip4_begin(struct pb *b, unsigned proto, unsigned id, unsigned frag, unsigned optwords)
{
	size_t at = b->n;
	p8(b, 0x40 | (5 + optwords));
	p8(b, 0);
	p16(b, 0); /* total length, patched */
	p16(b, id);
	p16(b, frag);
	p8(b, 64);
	p8(b, proto);
	p16(b, 0);
	pbytes(b, V4_SRC, 4);
	pbytes(b, V4_DST, 4);
	for (unsigned i = 0; i < optwords; i++) {
		/* NOP NOP NOP EOL, a harmless option word */
		p8(b, 1);
		p8(b, 1);
		p8(b, 1);
		p8(b, i + 1 == optwords ? 0 : 1);
	}
	return at;
}

static void ip4_end(struct pb *b, size_t at) { patch16(b, at + 2, b->n - at); }

static size_t ip6_begin(struct pb *b, unsigned next)
{
	size_t at = b->n;
	p32(b, 0x60000000u);
	p16(b, 0); /* payload length, patched */
	p8(b, next);
	p8(b, 64);
	pbytes(b, V6_SRC, 16);
	pbytes(b, V6_DST, 16);
	return at;
}

static void ip6_end(struct pb *b, size_t at) { patch16(b, at + 4, b->n - at - 40); }

/* A generic IPv6 option header (hop-by-hop, routing, destination options)
 * of (len8 + 1) * 8 bytes; the body is PadN-like filler. */
static void ip6_opthdr(struct pb *b, unsigned next, unsigned len8)
{
	p8(b, next);
	p8(b, len8);
	p8(b, 1);            /* PadN */
	p8(b, len8 * 8 + 4); /* its length: the rest of the header */
	pfill(b, len8 * 8 + 4, 0);
}

static void ip6_frag(struct pb *b, unsigned next, unsigned offset_bytes, bool more, uint32_t id)
{
	p8(b, next);
	p8(b, 0);
	p16(b, (offset_bytes & 0xfff8) | (more ? 1 : 0));
	p32(b, id);
}

static size_t udp_begin(struct pb *b, unsigned sport, unsigned dport)
{
	size_t at = b->n;
	p16(b, sport);
	p16(b, dport);
	p16(b, 0); /* length, patched */
	p16(b, 0);
	return at;
}

static void udp_end(struct pb *b, size_t at) { patch16(b, at + 4, b->n - at); }

static void tcp_hdr(struct pb *b, unsigned sport, unsigned dport, uint32_t seq, uint32_t ack, unsigned flags,
		    unsigned optwords)
{
	p16(b, sport);
	p16(b, dport);
	p32(b, seq);
	p32(b, ack);
	p8(b, (5 + optwords) << 4);
	p8(b, flags);
	p16(b, 65535);
	p16(b, 0);
	p16(b, 0);
	if (optwords) {
		/* MSS 1460, then NOP padding */
		p8(b, 2);
		p8(b, 4);
		p16(b, 1460);
		pfill(b, (optwords - 1) * 4, 1);
	}
}

/* IPv4/UDP datagram carrying KRB from sport to dport. */
static void ip4_udp(struct pb *b, unsigned sport, unsigned dport)
{
	size_t ip = ip4_begin(b, KF_IPPROTO_UDP, 0x1234, 0x4000, 0);
	size_t u = udp_begin(b, sport, dport);
	pbytes(b, KRB, sizeof KRB);
	udp_end(b, u);
	ip4_end(b, ip);
}

static void ip6_udp(struct pb *b, unsigned sport, unsigned dport)
{
	size_t ip = ip6_begin(b, KF_IPPROTO_UDP);
	size_t u = udp_begin(b, sport, dport);
	pbytes(b, KRB, sizeof KRB);
	udp_end(b, u);
	ip6_end(b, ip);
}

static bool has_ev(const struct kf_events *ev, enum kf_event e)
{
	for (unsigned i = 0; i < ev->n; i++)
		if (ev->ev[i] == e)
			return true;
	return false;
}

/* Decode an IPv4/UDP-with-KRB datagram at data and check every field. */
static void check_ip4_udp(struct kf_span data, unsigned sport, unsigned dport)
{
	struct kf_events ev = { 0 };
	struct kf_ip ip;
	ck_assert(kf_ip_decode(data, &ip, &ev));
	ck_assert_uint_eq(ip.version, 4);
	ck_assert_uint_eq(ip.proto, KF_IPPROTO_UDP);
	ck_assert_mem_eq(ip.src, V4_SRC, 4);
	ck_assert_mem_eq(ip.dst, V4_DST, 4);
	for (int i = 4; i < 16; i++)
		ck_assert_uint_eq(ip.src[i] | ip.dst[i], 0);
	ck_assert(!ip.fragment);
	ck_assert_ptr_eq(ip.payload.p, data.p + 20);
	ck_assert_uint_eq(ip.payload.n, 8 + sizeof KRB);
	struct kf_udp u;
	ck_assert(kf_udp_decode(ip.payload, &u, &ev));
	ck_assert_uint_eq(u.sport, sport);
	ck_assert_uint_eq(u.dport, dport);
	ck_assert_uint_eq(u.payload.n, sizeof KRB);
	ck_assert_mem_eq(u.payload.p, KRB, sizeof KRB);
	ck_assert_uint_eq(ev.n, 0);
}

static void check_ip6_udp(struct kf_span data, unsigned sport, unsigned dport)
{
	struct kf_events ev = { 0 };
	struct kf_ip ip;
	ck_assert(kf_ip_decode(data, &ip, &ev));
	ck_assert_uint_eq(ip.version, 6);
	ck_assert_uint_eq(ip.proto, KF_IPPROTO_UDP);
	ck_assert_mem_eq(ip.src, V6_SRC, 16);
	ck_assert_mem_eq(ip.dst, V6_DST, 16);
	ck_assert(!ip.fragment);
	ck_assert_ptr_eq(ip.payload.p, data.p + 40);
	struct kf_udp u;
	ck_assert(kf_udp_decode(ip.payload, &u, &ev));
	ck_assert_uint_eq(u.sport, sport);
	ck_assert_uint_eq(u.dport, dport);
	ck_assert_mem_eq(u.payload.p, KRB, sizeof KRB);
	ck_assert_uint_eq(ev.n, 0);
}

/* Decode a link frame; expect success with the network layer at offset. */
static struct kf_l3 link_ok(int dlt, const struct pb *b, uint16_t ethertype, size_t offset)
{
	struct kf_events ev = { 0 };
	struct kf_l3 l3;
	ck_assert(kf_link_supported(dlt));
	ck_assert_msg(kf_link_decode(dlt, whole(b), &l3, &ev), "dlt %d not decoded", dlt);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_uint_eq(l3.ethertype, ethertype);
	ck_assert_ptr_eq(l3.data.p, b->d + offset);
	ck_assert_uint_eq(l3.data.n, b->n - offset);
	return l3;
}

/* ---- real bytes -------------------------------------------------------- */

/* Frame 1 of the lab's kerberos-udp scenario (samples/lab/lab.sh): an AS-REQ
 * from 10.88.0.10:37707 to the KDC 10.88.0.2:88 over Ethernet. */
static const char LAB_AS_REQ[] =
	"02 88 00 00 00 02 02 88 00 00 00 10 08 00 45 00 00 cc e0 03 40 00 40 11 45 62 0a 58"
	"00 0a 0a 58 00 02 93 4b 00 58 00 b8 15 85 6a 81 ad 30 81 aa a1 03 02 01 05 a2 03 02"
	"01 0a a3 1a 30 18 30 0a a1 04 02 02 00 96 a2 02 04 00 30 0a a1 04 02 02 00 95 a2 02"
	"04 00 a4 81 81 30 7f a0 07 03 05 00 00 00 00 10 a1 12 30 10 a0 03 02 01 01 a1 09 30"
	"07 1b 05 61 6c 69 63 65 a2 0a 1b 08 4c 41 42 2e 54 45 53 54 a3 1d 30 1b a0 03 02 01"
	"02 a1 14 30 12 1b 06 6b 72 62 74 67 74 1b 08 4c 41 42 2e 54 45 53 54 a5 11 18 0f 32"
	"30 32 36 31 31 32 33 30 34 31 34 35 36 5a a7 06 02 04 22 f8 ff 42 a8 1a 30 18 02 01"
	"12 02 01 11 02 01 14 02 01 13 02 01 10 02 01 17 02 01 19 02 01 1a";

static void build_lab(struct pb *b) { b->n = kf_test_hex(LAB_AS_REQ, b->d, sizeof b->d); }

START_TEST(t_real_lab_frame)
{
	struct pb b = { .n = 0 };
	build_lab(&b);
	ck_assert_uint_eq(b.n, 218);
	struct kf_l3 l3 = link_ok(KF_DLT_EN10MB, &b, KF_ETH_IPV4, 14);
	struct kf_events ev = { 0 };
	struct kf_ip ip;
	ck_assert(kf_ip_decode(l3.data, &ip, &ev));
	static const uint8_t cli[4] = { 10, 88, 0, 10 }, kdc[4] = { 10, 88, 0, 2 };
	ck_assert_mem_eq(ip.src, cli, 4);
	ck_assert_mem_eq(ip.dst, kdc, 4);
	ck_assert_uint_eq(ip.proto, KF_IPPROTO_UDP);
	ck_assert(!ip.fragment); /* DF only */
	ck_assert_uint_eq(ip.frag_id, 0xe003);
	ck_assert_uint_eq(ip.payload.n, 0xcc - 20);
	struct kf_udp u;
	ck_assert(kf_udp_decode(ip.payload, &u, &ev));
	ck_assert_uint_eq(u.sport, 37707);
	ck_assert_uint_eq(u.dport, 88);
	ck_assert_uint_eq(u.payload.n, 0xb8 - 8);
	ck_assert_uint_eq(u.payload.p[0], 0x6a); /* [APPLICATION 10] AS-REQ */
	ck_assert_ptr_eq(u.payload.p + u.payload.n, b.d + b.n);
	ck_assert_uint_eq(ev.n, 0);
}
END_TEST

/* ---- link layer -------------------------------------------------------- */

START_TEST(t_ether_ipv4_and_ipv6)
{
	struct pb b = { .n = 0 };
	eth(&b, KF_ETH_IPV4);
	ip4_udp(&b, 50000, 88);
	check_ip4_udp(link_ok(KF_DLT_EN10MB, &b, KF_ETH_IPV4, 14).data, 50000, 88);

	struct pb c = { .n = 0 };
	eth(&c, KF_ETH_IPV6);
	ip6_udp(&c, 88, 50001);
	check_ip6_udp(link_ok(KF_DLT_EN10MB, &c, KF_ETH_IPV6, 14).data, 88, 50001);

	/* kf_ether_decode is the same decoder without the DLT switch */
	struct kf_l3 l3;
	ck_assert(kf_ether_decode(whole(&c), &l3, NULL));
	ck_assert_uint_eq(l3.ethertype, KF_ETH_IPV6);
	ck_assert_ptr_eq(l3.data.p, c.d + 14);
}
END_TEST

START_TEST(t_ether_trailer_trimmed_by_ip_length)
{
	/* a 60-byte minimum frame: Ethernet padding after the IP datagram */
	struct pb b = { .n = 0 };
	eth(&b, KF_ETH_IPV4);
	ip4_udp(&b, 50000, 88);
	pfill(&b, 8, 0);
	struct kf_l3 l3 = link_ok(KF_DLT_EN10MB, &b, KF_ETH_IPV4, 14);
	struct kf_ip ip;
	struct kf_events ev = { 0 };
	ck_assert(kf_ip_decode(l3.data, &ip, &ev));
	ck_assert_uint_eq(ip.payload.n, 8 + sizeof KRB);
	ck_assert_uint_eq(ev.n, 0);
}
END_TEST

START_TEST(t_vlan_8021q)
{
	struct pb b = { .n = 0 };
	eth(&b, KF_ETH_VLAN);
	vlan(&b, 0x2064, KF_ETH_IPV4); /* PCP 1, VID 100 */
	ip4_udp(&b, 50000, 88);
	check_ip4_udp(link_ok(KF_DLT_EN10MB, &b, KF_ETH_IPV4, 18).data, 50000, 88);
}
END_TEST

START_TEST(t_vlan_qinq)
{
	/* 802.1ad S-tag then 802.1Q C-tag */
	struct pb b = { .n = 0 };
	eth(&b, KF_ETH_QINQ);
	vlan(&b, 10, KF_ETH_VLAN);
	vlan(&b, 20, KF_ETH_IPV6);
	ip6_udp(&b, 50000, 88);
	check_ip6_udp(link_ok(KF_DLT_EN10MB, &b, KF_ETH_IPV6, 22).data, 50000, 88);

	/* the pre-standard 0x9100 outer tag */
	struct pb c = { .n = 0 };
	eth(&c, KF_ETH_QINQ_OLD);
	vlan(&c, 10, KF_ETH_VLAN);
	vlan(&c, 20, KF_ETH_IPV4);
	ip4_udp(&c, 50000, 88);
	check_ip4_udp(link_ok(KF_DLT_EN10MB, &c, KF_ETH_IPV4, 22).data, 50000, 88);
}
END_TEST

static void build_vlans(struct pb *b, unsigned ntags)
{
	eth(b, KF_ETH_QINQ);
	for (unsigned i = 0; i < ntags; i++)
		vlan(b, 100 + i, i + 1 == ntags ? KF_ETH_IPV4 : KF_ETH_VLAN);
	ip4_udp(b, 50000, 88);
}

START_TEST(t_vlan_tag_limit)
{
	struct pb b = { .n = 0 };
	build_vlans(&b, KF_LIMIT_VLAN_TAGS);
	check_ip4_udp(link_ok(KF_DLT_EN10MB, &b, KF_ETH_IPV4, 14 + 4 * KF_LIMIT_VLAN_TAGS).data, 50000, 88);

	struct pb c = { .n = 0 };
	build_vlans(&c, KF_LIMIT_VLAN_TAGS + 1);
	struct kf_events ev = { 0 };
	struct kf_l3 l3;
	ck_assert(!kf_link_decode(KF_DLT_EN10MB, whole(&c), &l3, &ev));
	ck_assert(has_ev(&ev, KF_EV_LINK_MALFORMED));
}
END_TEST

START_TEST(t_ieee8023_length_frame)
{
	/* 802.3 length field then LLC (STP BPDU): no ethertype */
	struct pb b = { .n = 0 };
	eth_macs(&b);
	p16(&b, 38);
	p8(&b, 0x42);
	p8(&b, 0x42);
	p8(&b, 0x03);
	pfill(&b, 35, 0);
	link_ok(KF_DLT_EN10MB, &b, 0, 14);

	/* 1500 is still a length; 1536 (0x0600) is a type */
	struct pb c = { .n = 0 };
	eth(&c, 1500);
	pfill(&c, 4, 0);
	link_ok(KF_DLT_EN10MB, &c, 0, 14);
	struct pb d = { .n = 0 };
	eth(&d, 0x0600);
	pfill(&d, 4, 0);
	link_ok(KF_DLT_EN10MB, &d, 0x0600, 14);
}
END_TEST

/* LINKTYPE_LINUX_SLL (tcpdump.org): packet type(2) ARPHRD(2) address
 * length(2) address(8, padded) protocol(2) = 16 bytes. */
static void sll_hdr(struct pb *b, unsigned proto)
{
	p16(b, 4); /* sent by us */
	p16(b, 1); /* ARPHRD_ETHER */
	p16(b, 6); /* address length */
	static const uint8_t addr[8] = { 0x02, 0x88, 0, 0, 0, 0x10, 0, 0 };
	pbytes(b, addr, 8);
	p16(b, proto);
}

/* LINKTYPE_LINUX_SLL2: protocol(2) reserved(2) ifindex(4) ARPHRD(2)
 * packet type(1) address length(1) address(8) = 20 bytes. */
static void sll2_hdr(struct pb *b, unsigned proto)
{
	p16(b, proto);
	p16(b, 0);
	p32(b, 3); /* interface index */
	p16(b, 1); /* ARPHRD_ETHER */
	p8(b, 0);  /* to us */
	p8(b, 6);
	static const uint8_t addr[8] = { 0x02, 0x88, 0, 0, 0, 0x02, 0, 0 };
	pbytes(b, addr, 8);
}

START_TEST(t_linux_sll)
{
	struct pb b = { .n = 0 };
	sll_hdr(&b, KF_ETH_IPV4);
	ip4_udp(&b, 50000, 88);
	check_ip4_udp(link_ok(KF_DLT_LINUX_SLL, &b, KF_ETH_IPV4, 16).data, 50000, 88);

	struct pb c = { .n = 0 };
	sll_hdr(&c, KF_ETH_IPV6);
	ip6_udp(&c, 50000, 88);
	check_ip6_udp(link_ok(KF_DLT_LINUX_SLL, &c, KF_ETH_IPV6, 16).data, 50000, 88);

	/* libpcap re-inserts a stripped VLAN tag before the protocol field */
	struct pb d = { .n = 0 };
	sll_hdr(&d, KF_ETH_VLAN);
	vlan(&d, 7, KF_ETH_IPV4);
	ip4_udp(&d, 50000, 88);
	check_ip4_udp(link_ok(KF_DLT_LINUX_SLL, &d, KF_ETH_IPV4, 20).data, 50000, 88);
}
END_TEST

START_TEST(t_linux_sll2)
{
	struct pb b = { .n = 0 };
	sll2_hdr(&b, KF_ETH_IPV4);
	ip4_udp(&b, 50000, 88);
	check_ip4_udp(link_ok(KF_DLT_LINUX_SLL2, &b, KF_ETH_IPV4, 20).data, 50000, 88);

	struct pb c = { .n = 0 };
	sll2_hdr(&c, KF_ETH_IPV6);
	ip6_udp(&c, 50000, 88);
	check_ip6_udp(link_ok(KF_DLT_LINUX_SLL2, &c, KF_ETH_IPV6, 20).data, 50000, 88);
}
END_TEST

static void put_family(struct pb *b, uint32_t af, bool swap)
{
	/* DLT_NULL stores the family in the capturing host's byte order */
	uint32_t v = swap ? __builtin_bswap32(af) : af;
	pbytes(b, &v, 4);
}

START_TEST(t_dlt_null)
{
	for (int swap = 0; swap < 2; swap++) {
		struct pb b = { .n = 0 };
		put_family(&b, 2, swap); /* AF_INET */
		ip4_udp(&b, 50000, 88);
		check_ip4_udp(link_ok(KF_DLT_NULL, &b, KF_ETH_IPV4, 4).data, 50000, 88);

		/* AF_INET6: Linux 10, NetBSD/OpenBSD 24, FreeBSD 28, macOS 30 */
		static const uint32_t af6[] = { 10, 24, 28, 30 };
		for (size_t i = 0; i < sizeof af6 / sizeof af6[0]; i++) {
			struct pb c = { .n = 0 };
			put_family(&c, af6[i], swap);
			ip6_udp(&c, 50000, 88);
			check_ip6_udp(link_ok(KF_DLT_NULL, &c, KF_ETH_IPV6, 4).data, 50000, 88);
		}
	}
	/* something that is not IP: decoded, ethertype 0 */
	struct pb d = { .n = 0 };
	put_family(&d, 7, false);
	pfill(&d, 10, 0);
	link_ok(KF_DLT_NULL, &d, 0, 4);
}
END_TEST

START_TEST(t_dlt_loop)
{
	struct pb b = { .n = 0 };
	p32(&b, 2); /* network order */
	ip4_udp(&b, 50000, 88);
	check_ip4_udp(link_ok(KF_DLT_LOOP, &b, KF_ETH_IPV4, 4).data, 50000, 88);

	struct pb c = { .n = 0 };
	p32(&c, 24);
	ip6_udp(&c, 50000, 88);
	check_ip6_udp(link_ok(KF_DLT_LOOP, &c, KF_ETH_IPV6, 4).data, 50000, 88);
}
END_TEST

START_TEST(t_dlt_raw)
{
	static const int dlts[] = { KF_DLT_RAW, 14, KF_DLT_RAW_LINKTYPE, KF_DLT_IPV4, KF_DLT_IPV6 };
	for (size_t i = 0; i < sizeof dlts / sizeof dlts[0]; i++) {
		struct pb b = { .n = 0 };
		ip4_udp(&b, 50000, 88);
		check_ip4_udp(link_ok(dlts[i], &b, KF_ETH_IPV4, 0).data, 50000, 88);
		struct pb c = { .n = 0 };
		ip6_udp(&c, 50000, 88);
		check_ip6_udp(link_ok(dlts[i], &c, KF_ETH_IPV6, 0).data, 50000, 88);
		/* neither version: decoded, ethertype 0 */
		struct pb d = { .n = 0 };
		pfill(&d, 20, 0x50);
		link_ok(dlts[i], &d, 0, 0);
	}
}
END_TEST

START_TEST(t_unsupported_linktype)
{
	static const int bad[] = { -1, 2, 10, 105, 127, 147, 228 + 2, 275, 65535 };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct pb b = { .n = 0 };
		eth(&b, KF_ETH_IPV4);
		ip4_udp(&b, 50000, 88);
		struct kf_events ev = { 0 };
		struct kf_l3 l3;
		ck_assert(!kf_link_supported(bad[i]));
		ck_assert(!kf_link_decode(bad[i], whole(&b), &l3, &ev));
		ck_assert_uint_eq(ev.n, 1);
		ck_assert_uint_eq(ev.ev[0], KF_EV_UNSUPPORTED_LINKTYPE);
	}
	static const int good[] = { 0, 1, 9, 12, 14, 50, 51, 101, 104, 108, 113, 219, 228, 229, 276 };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(kf_link_supported(good[i]), "dlt %d", good[i]);
}
END_TEST

/* ---- IPv4 -------------------------------------------------------------- */

START_TEST(t_ipv4_options)
{
	for (unsigned words = 1; words <= 10; words++) { /* ihl 6 .. 15 */
		struct pb b = { .n = 0 };
		size_t ip = ip4_begin(&b, KF_IPPROTO_UDP, 1, 0, words);
		size_t u = udp_begin(&b, 50000, 88);
		pbytes(&b, KRB, sizeof KRB);
		udp_end(&b, u);
		ip4_end(&b, ip);
		struct kf_ip dec;
		struct kf_events ev = { 0 };
		ck_assert(kf_ip_decode(whole(&b), &dec, &ev));
		ck_assert_ptr_eq(dec.payload.p, b.d + 20 + 4 * words);
		ck_assert_uint_eq(dec.payload.n, 8 + sizeof KRB);
		ck_assert_uint_eq(ev.n, 0);
	}
}
END_TEST

START_TEST(t_ipv4_length_short)
{
	/* total length claims 300 bytes; the snapped packet has 34 */
	struct pb b = { .n = 0 };
	ip4_udp(&b, 50000, 88);
	patch16(&b, 2, 300);
	struct kf_ip ip;
	struct kf_events ev = { 0 };
	ck_assert(kf_ip_decode(whole(&b), &ip, &ev));
	ck_assert(has_ev(&ev, KF_EV_IP_LENGTH_SHORT));
	ck_assert_ptr_eq(ip.payload.p, b.d + 20);
	ck_assert_uint_eq(ip.payload.n, b.n - 20);

	/* total length 0 (TSO on the capturing host): the whole packet */
	patch16(&b, 2, 0);
	kf_events_clear(&ev);
	ck_assert(kf_ip_decode(whole(&b), &ip, &ev));
	ck_assert_uint_eq(ip.payload.n, b.n - 20);
	ck_assert_uint_eq(ev.n, 0);
}
END_TEST

START_TEST(t_ipv4_bad_ihl)
{
	for (unsigned ihl = 0; ihl < 5; ihl++) {
		struct pb b = { .n = 0 };
		ip4_udp(&b, 50000, 88);
		b.d[0] = (uint8_t)(0x40 | ihl);
		struct kf_ip ip;
		struct kf_events ev = { 0 };
		ck_assert(!kf_ip_decode(whole(&b), &ip, &ev));
		ck_assert(has_ev(&ev, KF_EV_IP_MALFORMED));
	}
}
END_TEST

START_TEST(t_ipv4_fragments)
{
	static const struct {
		unsigned frag;
		bool fragment, more;
		uint32_t offset;
	} rows[] = {
		{ 0x2000, true, true, 0 },          /* first: MF, offset 0 */
		{ 0x2000 | 185, true, true, 1480 }, /* middle */
		{ 370, true, false, 2960 },         /* last */
		{ 0x4000, false, false, 0 },        /* DF only: whole datagram */
		{ 0x6000 | 0x1fff, true, true, 0x1fff * 8 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct pb b = { .n = 0 };
		size_t ip = ip4_begin(&b, KF_IPPROTO_UDP, 0xbeef, rows[i].frag, 0);
		pfill(&b, 64, 0xab);
		ip4_end(&b, ip);
		struct kf_ip dec;
		struct kf_events ev = { 0 };
		ck_assert(kf_ip_decode(whole(&b), &dec, &ev));
		ck_assert_uint_eq(dec.fragment, rows[i].fragment);
		ck_assert_uint_eq(dec.more_fragments, rows[i].more);
		ck_assert_uint_eq(dec.frag_offset, rows[i].offset);
		ck_assert_uint_eq(dec.frag_id, 0xbeef);
		ck_assert_uint_eq(dec.proto, KF_IPPROTO_UDP);
		ck_assert_uint_eq(dec.payload.n, 64);
	}
}
END_TEST

/* ---- IPv6 -------------------------------------------------------------- */

/* hop-by-hop → routing → destination options → fragment → UDP data */
static void build_ip6_chain(struct pb *b, unsigned offset, bool more)
{
	size_t ip = ip6_begin(b, 0);
	ip6_opthdr(b, 43, 0); /* hop-by-hop, 8 bytes */
	ip6_opthdr(b, 60, 2); /* routing, 24 bytes */
	ip6_opthdr(b, 44, 1); /* destination options, 16 bytes */
	ip6_frag(b, KF_IPPROTO_UDP, offset, more, 0x89abcdefu);
	if (offset == 0) {
		size_t u = udp_begin(b, 50000, 88);
		pbytes(b, KRB, sizeof KRB);
		udp_end(b, u);
		patch16(b, u + 4, 8 + 1000); /* the whole datagram's length */
	} else {
		pfill(b, 24, 0x11);
	}
	ip6_end(b, ip);
}

START_TEST(t_ipv6_extension_chain_fragment)
{
	struct pb b = { .n = 0 };
	build_ip6_chain(&b, 1448, true);
	struct kf_ip ip;
	struct kf_events ev = { 0 };
	ck_assert(kf_ip_decode(whole(&b), &ip, &ev));
	ck_assert_uint_eq(ip.version, 6);
	ck_assert_uint_eq(ip.proto, KF_IPPROTO_UDP);
	ck_assert(ip.fragment);
	ck_assert(ip.more_fragments);
	ck_assert_uint_eq(ip.frag_offset, 1448);
	ck_assert_uint_eq(ip.frag_id, 0x89abcdefu);
	size_t after = 40 + 8 + 24 + 16 + 8;
	ck_assert_ptr_eq(ip.payload.p, b.d + after);
	ck_assert_uint_eq(ip.payload.n, 24);
	ck_assert_uint_eq(ev.n, 0);

	/* last fragment: M clear, offset kept */
	struct pb c = { .n = 0 };
	build_ip6_chain(&c, 2896, false);
	ck_assert(kf_ip_decode(whole(&c), &ip, &ev));
	ck_assert(ip.fragment);
	ck_assert(!ip.more_fragments);
	ck_assert_uint_eq(ip.frag_offset, 2896);

	/* first fragment: offset 0, M set; the UDP header follows */
	struct pb d = { .n = 0 };
	build_ip6_chain(&d, 0, true);
	ck_assert(kf_ip_decode(whole(&d), &ip, &ev));
	ck_assert(ip.fragment);
	ck_assert_uint_eq(ip.frag_offset, 0);
	ck_assert_ptr_eq(ip.payload.p, d.d + after);
	struct kf_udp u;
	ck_assert(kf_udp_decode(ip.payload, &u, &ev));
	ck_assert_uint_eq(u.dport, 88);
	ck_assert_uint_eq(u.payload.n, sizeof KRB); /* UDP length 1008 is cut to what is here */
	ck_assert_uint_eq(ev.n, 0);
}
END_TEST

START_TEST(t_ipv6_atomic_fragment)
{
	/* RFC 8200 §4.5 / RFC 6946: offset 0 and M=0 is a whole datagram */
	struct pb b = { .n = 0 };
	size_t ip = ip6_begin(&b, 44);
	ip6_frag(&b, KF_IPPROTO_UDP, 0, false, 77);
	size_t u = udp_begin(&b, 50000, 88);
	pbytes(&b, KRB, sizeof KRB);
	udp_end(&b, u);
	ip6_end(&b, ip);
	struct kf_ip dec;
	struct kf_events ev = { 0 };
	ck_assert(kf_ip_decode(whole(&b), &dec, &ev));
	ck_assert(!dec.fragment);
	ck_assert(!dec.more_fragments);
	ck_assert_uint_eq(dec.frag_offset, 0);
	ck_assert_uint_eq(dec.proto, KF_IPPROTO_UDP);
	ck_assert_ptr_eq(dec.payload.p, b.d + 48);
	ck_assert_uint_eq(dec.payload.n, 8 + sizeof KRB);
}
END_TEST

static void build_ip6_n_ext(struct pb *b, unsigned n)
{
	size_t ip = ip6_begin(b, n ? 60 : KF_IPPROTO_UDP);
	for (unsigned i = 0; i < n; i++)
		ip6_opthdr(b, i + 1 == n ? KF_IPPROTO_UDP : 60, 0);
	size_t u = udp_begin(b, 50000, 88);
	pbytes(b, KRB, sizeof KRB);
	udp_end(b, u);
	ip6_end(b, ip);
}

START_TEST(t_ipv6_extension_limit)
{
	struct pb b = { .n = 0 };
	build_ip6_n_ext(&b, KF_LIMIT_IPV6_EXT_HDRS);
	struct kf_ip ip;
	struct kf_events ev = { 0 };
	ck_assert(kf_ip_decode(whole(&b), &ip, &ev));
	ck_assert_uint_eq(ip.proto, KF_IPPROTO_UDP);
	ck_assert_ptr_eq(ip.payload.p, b.d + 40 + 8 * KF_LIMIT_IPV6_EXT_HDRS);

	struct pb c = { .n = 0 };
	build_ip6_n_ext(&c, KF_LIMIT_IPV6_EXT_HDRS + 1);
	ck_assert(!kf_ip_decode(whole(&c), &ip, &ev));
	ck_assert(has_ev(&ev, KF_EV_IPV6_EXT_TOO_MANY));
}
END_TEST

START_TEST(t_ipv6_ah_and_length_short)
{
	/* AH: length in 4-octet units minus 2 (RFC 4302) */
	struct pb b = { .n = 0 };
	size_t ip = ip6_begin(&b, 51);
	p8(&b, KF_IPPROTO_TCP);
	p8(&b, 4); /* (4 + 2) * 4 = 24 bytes */
	pfill(&b, 22, 0);
	tcp_hdr(&b, 50000, 88, 1, 0, KF_TCP_SYN, 0);
	ip6_end(&b, ip);
	struct kf_ip dec;
	struct kf_events ev = { 0 };
	ck_assert(kf_ip_decode(whole(&b), &dec, &ev));
	ck_assert_uint_eq(dec.proto, KF_IPPROTO_TCP);
	ck_assert_ptr_eq(dec.payload.p, b.d + 64);
	ck_assert_uint_eq(ev.n, 0);

	/* payload length beyond the packet: kept, IP_LENGTH_SHORT */
	patch16(&b, 4, 1000);
	ck_assert(kf_ip_decode(whole(&b), &dec, &ev));
	ck_assert(has_ev(&ev, KF_EV_IP_LENGTH_SHORT));
	ck_assert_uint_eq(dec.payload.n, 20);
}
END_TEST

/* ---- TCP / UDP --------------------------------------------------------- */

START_TEST(t_tcp_options)
{
	struct pb b = { .n = 0 };
	tcp_hdr(&b, 50000, 88, 0x01020304u, 0xa0b0c0d0u, KF_TCP_PSH | KF_TCP_ACK, 3);
	pbytes(&b, KRB, sizeof KRB);
	struct kf_tcp t;
	struct kf_events ev = { 0 };
	ck_assert(kf_tcp_decode(whole(&b), &t, &ev));
	ck_assert_uint_eq(t.sport, 50000);
	ck_assert_uint_eq(t.dport, 88);
	ck_assert_uint_eq(t.seq, 0x01020304u);
	ck_assert_uint_eq(t.ack, 0xa0b0c0d0u);
	ck_assert_uint_eq(t.flags, KF_TCP_PSH | KF_TCP_ACK);
	ck_assert_ptr_eq(t.payload.p, b.d + 32);
	ck_assert_uint_eq(t.payload.n, sizeof KRB);

	/* data offset 15: 60-byte header, no payload */
	struct pb c = { .n = 0 };
	tcp_hdr(&c, 1, 2, 0, 0, KF_TCP_SYN, 10);
	ck_assert(kf_tcp_decode(whole(&c), &t, &ev));
	ck_assert_uint_eq(t.payload.n, 0);
	ck_assert_uint_eq(ev.n, 0);
}
END_TEST

START_TEST(t_tcp_bad_offset)
{
	for (unsigned off = 0; off < 5; off++) {
		struct pb b = { .n = 0 };
		tcp_hdr(&b, 50000, 88, 1, 2, KF_TCP_ACK, 0);
		pbytes(&b, KRB, sizeof KRB);
		b.d[12] = (uint8_t)(off << 4);
		struct kf_tcp t;
		struct kf_events ev = { 0 };
		ck_assert(!kf_tcp_decode(whole(&b), &t, &ev));
		ck_assert(has_ev(&ev, KF_EV_TCP_MALFORMED));
	}
	/* data offset 8 (32 bytes) on a 26-byte segment */
	struct pb c = { .n = 0 };
	tcp_hdr(&c, 50000, 88, 1, 2, KF_TCP_ACK, 0);
	pbytes(&c, KRB, sizeof KRB);
	c.d[12] = 8 << 4;
	struct kf_tcp t;
	struct kf_events ev = { 0 };
	ck_assert(!kf_tcp_decode(whole(&c), &t, &ev));
	ck_assert(has_ev(&ev, KF_EV_TCP_MALFORMED));
}
END_TEST

START_TEST(t_udp_length)
{
	struct pb b = { .n = 0 };
	size_t u = udp_begin(&b, 53, 88);
	pbytes(&b, KRB, sizeof KRB);
	udp_end(&b, u);
	pfill(&b, 10, 0xee); /* bytes past the UDP length */
	struct kf_udp d;
	struct kf_events ev = { 0 };
	ck_assert(kf_udp_decode(whole(&b), &d, &ev));
	ck_assert_uint_eq(d.sport, 53);
	ck_assert_uint_eq(d.dport, 88);
	ck_assert_ptr_eq(d.payload.p, b.d + 8);
	ck_assert_uint_eq(d.payload.n, sizeof KRB); /* trimmed */

	patch16(&b, 4, 8); /* empty datagram */
	ck_assert(kf_udp_decode(whole(&b), &d, &ev));
	ck_assert_uint_eq(d.payload.n, 0);

	patch16(&b, 4, 5000); /* longer than the packet: keep what is there */
	ck_assert(kf_udp_decode(whole(&b), &d, &ev));
	ck_assert_uint_eq(d.payload.n, b.n - 8);

	patch16(&b, 4, 0); /* jumbogram / TSO */
	ck_assert(kf_udp_decode(whole(&b), &d, &ev));
	ck_assert_uint_eq(d.payload.n, b.n - 8);
	ck_assert_uint_eq(ev.n, 0);

	for (unsigned len = 1; len < 8; len++) {
		patch16(&b, 4, len);
		ck_assert(!kf_udp_decode(whole(&b), &d, &ev));
		ck_assert(has_ev(&ev, KF_EV_UDP_MALFORMED));
	}
}
END_TEST

/* ---- tunnels ----------------------------------------------------------- */

static void gre_hdr(struct pb *b, unsigned flags, unsigned proto)
{
	p16(b, flags);
	p16(b, proto);
	if (flags & 0x8000)
		p32(b, 0xcccc0000u); /* checksum + reserved1 */
	if (flags & 0x2000)
		p32(b, 0x0000beefu); /* key */
	if (flags & 0x1000)
		p32(b, 42); /* sequence number */
}

START_TEST(t_gre_plain_ipv4)
{
	struct pb b = { .n = 0 };
	gre_hdr(&b, 0, KF_ETH_IPV4);
	ip4_udp(&b, 50000, 88);
	struct kf_l3 l3;
	struct kf_events ev = { 0 };
	ck_assert(kf_gre_decode(whole(&b), &l3, &ev));
	ck_assert_uint_eq(l3.ethertype, KF_ETH_IPV4);
	ck_assert_ptr_eq(l3.data.p, b.d + 4);
	check_ip4_udp(l3.data, 50000, 88);
	ck_assert_uint_eq(ev.n, 0);
}
END_TEST

START_TEST(t_gre_optional_fields)
{
	static const struct {
		unsigned flags;
		size_t hlen;
	} rows[] = {
		{ 0x8000, 8 }, { 0x2000, 8 }, { 0x1000, 8 }, { 0xa000, 12 }, { 0x3000, 12 }, { 0xb000, 16 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct pb b = { .n = 0 };
		gre_hdr(&b, rows[i].flags, KF_ETH_IPV6);
		ip6_udp(&b, 50000, 88);
		struct kf_l3 l3;
		struct kf_events ev = { 0 };
		ck_assert(kf_gre_decode(whole(&b), &l3, &ev));
		ck_assert_uint_eq(l3.ethertype, KF_ETH_IPV6);
		ck_assert_ptr_eq(l3.data.p, b.d + rows[i].hlen);
		check_ip6_udp(l3.data, 50000, 88);
	}
	/* version 1 (PPTP) is valid GRE but not decoded: false, no event */
	struct pb c = { .n = 0 };
	gre_hdr(&c, 0x3001, 0x880b);
	pfill(&c, 8, 0);
	struct kf_l3 l3;
	struct kf_events ev = { 0 };
	ck_assert(!kf_gre_decode(whole(&c), &l3, &ev));
	ck_assert_uint_eq(ev.n, 0);
	/* another protocol: passed up as found */
	struct pb d = { .n = 0 };
	gre_hdr(&d, 0, 0x0806);
	pfill(&d, 28, 0);
	ck_assert(kf_gre_decode(whole(&d), &l3, &ev));
	ck_assert_uint_eq(l3.ethertype, 0x0806);
	ck_assert_ptr_eq(l3.data.p, d.d + 4);
}
END_TEST

START_TEST(t_gre_transparent_ethernet)
{
	struct pb b = { .n = 0 };
	gre_hdr(&b, 0x2000, KF_ETH_TEB);
	eth(&b, KF_ETH_VLAN);
	vlan(&b, 5, KF_ETH_IPV4);
	ip4_udp(&b, 50000, 88);
	struct kf_l3 l3;
	struct kf_events ev = { 0 };
	ck_assert(kf_gre_decode(whole(&b), &l3, &ev));
	ck_assert_uint_eq(l3.ethertype, KF_ETH_IPV4);
	ck_assert_ptr_eq(l3.data.p, b.d + 8 + 18);
	check_ip4_udp(l3.data, 50000, 88);
}
END_TEST

/* ERSPAN (draft-foschiano-erspan-03).  Type I: GRE 0x88BE without a
 * sequence number and no ERSPAN header.  Type II: 0x88BE with S, then an
 * 8-byte header (Ver=1).  Type III: 0x22EB, a 12-byte header (Ver=2) whose
 * last bit O announces an 8-byte platform-specific subheader. */
static void build_erspan(struct pb *b, int type, bool obit)
{
	switch (type) {
	case 1: gre_hdr(b, 0, KF_ETH_ERSPAN2); break;
	case 2:
		gre_hdr(b, 0x1000, KF_ETH_ERSPAN2);
		p16(b, 0x1000 | 100); /* Ver 1, VLAN 100 */
		p16(b, 0x0000 | 7);   /* COS/En/T, session 7 */
		p32(b, 0x00012345u);  /* reserved, index */
		break;
	default:
		gre_hdr(b, 0x1000, KF_ETH_ERSPAN3);
		p16(b, 0x2000 | 100);           /* Ver 2, VLAN 100 */
		p16(b, 7);                      /* session 7 */
		p32(b, 0x11223344u);            /* timestamp */
		p16(b, 0);                      /* SGT */
		p16(b, obit ? 0x0001 : 0x0000); /* P FT HwID D Gra O */
		if (obit)
			pfill(b, 8, 0x5a);
		break;
	}
	eth(b, KF_ETH_IPV4);
	ip4_udp(b, 50000, 88);
}

START_TEST(t_erspan)
{
	static const struct {
		int type;
		bool obit;
		size_t eth_at; /* offset of the mirrored Ethernet frame */
	} rows[] = {
		{ 1, false, 4 },
		{ 2, false, 8 + 8 },
		{ 3, false, 8 + 12 },
		{ 3, true, 8 + 12 + 8 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct pb b = { .n = 0 };
		build_erspan(&b, rows[i].type, rows[i].obit);
		struct kf_l3 l3;
		struct kf_events ev = { 0 };
		ck_assert_msg(kf_gre_decode(whole(&b), &l3, &ev), "row %zu", i);
		ck_assert_uint_eq(l3.ethertype, KF_ETH_IPV4);
		ck_assert_ptr_eq(l3.data.p, b.d + rows[i].eth_at + 14);
		check_ip4_udp(l3.data, 50000, 88);
		ck_assert_uint_eq(ev.n, 0);
	}
}
END_TEST

static void build_vxlan(struct pb *b, unsigned flags)
{
	p8(b, flags);
	pfill(b, 3, 0);
	p32(b, 0x00123400u); /* VNI 0x1234, reserved */
	eth(b, KF_ETH_IPV6);
	ip6_udp(b, 50000, 88);
}

START_TEST(t_vxlan)
{
	struct pb b = { .n = 0 };
	build_vxlan(&b, 0x08);
	struct kf_l3 l3;
	struct kf_events ev = { 0 };
	ck_assert(kf_vxlan_decode(whole(&b), &l3, &ev));
	ck_assert_uint_eq(l3.ethertype, KF_ETH_IPV6);
	ck_assert_ptr_eq(l3.data.p, b.d + 8 + 14);
	check_ip6_udp(l3.data, 50000, 88);

	struct pb c = { .n = 0 };
	build_vxlan(&c, 0x00); /* I flag clear: VNI not valid */
	ck_assert(!kf_vxlan_decode(whole(&c), &l3, &ev));
	ck_assert(has_ev(&ev, KF_EV_LINK_MALFORMED));
}
END_TEST

/* ---- ICMP -------------------------------------------------------------- */

/* ICMP(v6) error quoting the start of a UDP datagram 50000 → 88 whose
 * original length was 300: only the IP header and 8 bytes are quoted. */
static void build_icmp(struct pb *b, int ipver, unsigned type, unsigned code)
{
	p8(b, type);
	p8(b, code);
	p16(b, 0);
	p32(b, 0);
	if (ipver == 4) {
		size_t ip = ip4_begin(b, KF_IPPROTO_UDP, 9, 0, 0);
		udp_begin(b, 50000, 88);
		patch16(b, b->n - 4, 280);
		patch16(b, ip + 2, 300);
	} else {
		size_t ip = ip6_begin(b, KF_IPPROTO_UDP);
		udp_begin(b, 50000, 88);
		patch16(b, b->n - 4, 260);
		patch16(b, ip + 4, 260);
	}
}

START_TEST(t_icmp4_unreachable)
{
	struct pb b = { .n = 0 };
	build_icmp(&b, 4, 3, 3); /* port unreachable */
	struct kf_icmp_unreach u;
	ck_assert(kf_icmp_unreach_decode(4, whole(&b), &u));
	ck_assert_uint_eq(u.type, 3);
	ck_assert_uint_eq(u.code, 3);
	ck_assert_uint_eq(u.quoted.version, 4);
	ck_assert_uint_eq(u.quoted.proto, KF_IPPROTO_UDP);
	ck_assert_mem_eq(u.quoted.src, V4_SRC, 4);
	ck_assert_mem_eq(u.quoted.dst, V4_DST, 4);
	ck_assert(u.has_ports);
	ck_assert_uint_eq(u.qsport, 50000);
	ck_assert_uint_eq(u.qdport, 88);
}
END_TEST

START_TEST(t_icmp6_unreachable)
{
	struct pb b = { .n = 0 };
	build_icmp(&b, 6, 1, 4); /* port unreachable */
	struct kf_icmp_unreach u;
	ck_assert(kf_icmp_unreach_decode(6, whole(&b), &u));
	ck_assert_uint_eq(u.type, 1);
	ck_assert_uint_eq(u.code, 4);
	ck_assert_uint_eq(u.quoted.version, 6);
	ck_assert_uint_eq(u.quoted.proto, KF_IPPROTO_UDP);
	ck_assert_mem_eq(u.quoted.dst, V6_DST, 16);
	ck_assert(u.has_ports);
	ck_assert_uint_eq(u.qsport, 50000);
	ck_assert_uint_eq(u.qdport, 88);
}
END_TEST

START_TEST(t_icmp_other_types_rejected)
{
	static const struct {
		int ipver;
		unsigned type;
	} rows[] = {
		{ 4, 0 },   { 4, 8 },   { 4, 11 }, { 4, 5 }, { 4, 1 },
		{ 6, 128 }, { 6, 129 }, { 6, 3 },  { 6, 2 }, { 6, 135 },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		struct pb b = { .n = 0 };
		build_icmp(&b, rows[i].ipver, rows[i].type, 0);
		struct kf_icmp_unreach u;
		ck_assert_msg(!kf_icmp_unreach_decode((uint8_t)rows[i].ipver, whole(&b), &u), "row %zu", i);
	}
	/* a quote too short for ports: decoded, no ports */
	struct pb c = { .n = 0 };
	build_icmp(&c, 4, 3, 1);
	c.n -= 6;
	struct kf_icmp_unreach u;
	ck_assert(kf_icmp_unreach_decode(4, whole(&c), &u));
	ck_assert(!u.has_ports);
	/* a quoted non-first fragment carries no transport header */
	struct pb d = { .n = 0 };
	build_icmp(&d, 4, 3, 1);
	patch16(&d, 8 + 6, 10);
	ck_assert(kf_icmp_unreach_decode(4, whole(&d), &u));
	ck_assert(!u.has_ports);
}
END_TEST

/* ---- malformed table --------------------------------------------------- */

enum layer { L_LINK, L_IP, L_TCP, L_UDP, L_GRE, L_VXLAN, L_ICMP4, L_ICMP6 };

static void mk_vlan5(struct pb *b) { build_vlans(b, KF_LIMIT_VLAN_TAGS + 1); }
static void mk_ext9(struct pb *b) { build_ip6_n_ext(b, KF_LIMIT_IPV6_EXT_HDRS + 1); }
static void mk_ext9_frag(struct pb *b)
{
	/* the fragment header counts towards the limit too */
	size_t ip = ip6_begin(b, 60);
	for (unsigned i = 0; i < KF_LIMIT_IPV6_EXT_HDRS; i++)
		ip6_opthdr(b, i + 1 == KF_LIMIT_IPV6_EXT_HDRS ? 44 : 60, 0);
	ip6_frag(b, KF_IPPROTO_UDP, 8, false, 1);
	pfill(b, 8, 0);
	ip6_end(b, ip);
}
static void mk_erspan3_no_sub(struct pb *b)
{
	gre_hdr(b, 0x1000, KF_ETH_ERSPAN3);
	p16(b, 0x2000);
	p16(b, 7);
	p32(b, 0);
	p16(b, 0);
	p16(b, 1); /* O set, subheader missing */
	pfill(b, 4, 0);
}

static const struct malformed {
	const char *name;
	enum layer layer;
	int dlt;
	const char *hex;             /* the input, or */
	void (*build)(struct pb *b); /* a builder */
	enum kf_event ev;            /* expected event; KF_EV_NONE: none */
} MALFORMED[] = {
	{ "eth empty", L_LINK, KF_DLT_EN10MB, "", NULL, KF_EV_LINK_MALFORMED },
	{ "eth 13 bytes", L_LINK, KF_DLT_EN10MB, "020000000002 020000000001 08", NULL, KF_EV_LINK_MALFORMED },
	{ "vlan tag cut", L_LINK, KF_DLT_EN10MB, "020000000002 020000000001 8100 0064 08", NULL,
	  KF_EV_LINK_MALFORMED },
	{ "qinq inner tag missing", L_LINK, KF_DLT_EN10MB, "020000000002 020000000001 88a8 000a", NULL,
	  KF_EV_LINK_MALFORMED },
	{ "five vlan tags", L_LINK, KF_DLT_EN10MB, NULL, mk_vlan5, KF_EV_LINK_MALFORMED },
	{ "null 3 bytes", L_LINK, KF_DLT_NULL, "020000", NULL, KF_EV_LINK_MALFORMED },
	{ "null family only", L_LINK, KF_DLT_NULL, "02000000", NULL, KF_EV_LINK_MALFORMED },
	{ "loop empty", L_LINK, KF_DLT_LOOP, "", NULL, KF_EV_LINK_MALFORMED },
	{ "raw empty", L_LINK, KF_DLT_RAW, "", NULL, KF_EV_LINK_MALFORMED },
	{ "ipv4 dlt empty", L_LINK, KF_DLT_IPV4, "", NULL, KF_EV_LINK_MALFORMED },
	{ "sll 15 bytes", L_LINK, KF_DLT_LINUX_SLL, "0004 0001 0006 0288000000100000 08", NULL,
	  KF_EV_LINK_MALFORMED },
	{ "sll vlan cut", L_LINK, KF_DLT_LINUX_SLL, "0004 0001 0006 0288000000100000 8100 00", NULL,
	  KF_EV_LINK_MALFORMED },
	{ "sll2 19 bytes", L_LINK, KF_DLT_LINUX_SLL2, "0800 0000 00000003 0001 00 06 02880000000200", NULL,
	  KF_EV_LINK_MALFORMED },
	{ "unsupported dlt", L_LINK, 105, "00", NULL, KF_EV_UNSUPPORTED_LINKTYPE },
	{ "negative dlt", L_LINK, -1, "", NULL, KF_EV_UNSUPPORTED_LINKTYPE },

	{ "ip empty", L_IP, 0, "", NULL, KF_EV_IP_MALFORMED },
	{ "ip version 5", L_IP, 0, "55000014 00000000 40110000 0a000001 0a000002", NULL, KF_EV_IP_MALFORMED },
	{ "ip version 0", L_IP, 0, "00", NULL, KF_EV_IP_MALFORMED },
	{ "ipv4 ihl 4", L_IP, 0, "44000014 00000000 40110000 0a000001 0a000002", NULL, KF_EV_IP_MALFORMED },
	{ "ipv4 19 bytes", L_IP, 0, "45000014 00000000 40110000 0a000001 0a0000", NULL, KF_EV_IP_MALFORMED },
	{ "ipv4 total < ihl", L_IP, 0, "45000013 00000000 40110000 0a000001 0a000002 00", NULL,
	  KF_EV_IP_MALFORMED },
	{ "ipv4 options cut", L_IP, 0, "46000018 00000000 40110000 0a000001 0a000002 0101", NULL,
	  KF_EV_IP_MALFORMED },
	{ "ipv6 39 bytes", L_IP, 0,
	  "60000000 0000 11 40 fd000000000000000000000000000001 fd0000000000000000000000000000", NULL,
	  KF_EV_IP_MALFORMED },
	{ "ipv6 hop-by-hop cut", L_IP, 0,
	  "60000000 0006 00 40 fd000000000000000000000000000001 fd000000000000000000000000000002 1100010400",
	  NULL, KF_EV_IP_MALFORMED },
	{ "ipv6 hop-by-hop len beyond", L_IP, 0,
	  "60000000 0008 00 40 fd000000000000000000000000000001 fd000000000000000000000000000002 1101010600000000",
	  NULL, KF_EV_IP_MALFORMED },
	{ "ipv6 fragment header cut", L_IP, 0,
	  "60000000 0006 2c 40 fd000000000000000000000000000001 fd000000000000000000000000000002 110000080000",
	  NULL, KF_EV_IP_MALFORMED },
	{ "ipv6 nine extension headers", L_IP, 0, NULL, mk_ext9, KF_EV_IPV6_EXT_TOO_MANY },
	{ "ipv6 nine with fragment", L_IP, 0, NULL, mk_ext9_frag, KF_EV_IPV6_EXT_TOO_MANY },

	{ "tcp 19 bytes", L_TCP, 0, "c35000580000000100000000501000000000 00", NULL, KF_EV_TCP_MALFORMED },
	{ "tcp offset 4", L_TCP, 0, "c3500058 00000001 00000000 4010ffff 00000000", NULL,
	  KF_EV_TCP_MALFORMED },
	{ "tcp offset 0", L_TCP, 0, "c3500058 00000001 00000000 0010ffff 00000000", NULL,
	  KF_EV_TCP_MALFORMED },
	{ "tcp options cut", L_TCP, 0, "c3500058 00000001 00000000 6010ffff 00000000 020405", NULL,
	  KF_EV_TCP_MALFORMED },
	{ "udp 7 bytes", L_UDP, 0, "c3500058000e00", NULL, KF_EV_UDP_MALFORMED },
	{ "udp length 7", L_UDP, 0, "c35000580007000000", NULL, KF_EV_UDP_MALFORMED },
	{ "udp length 1", L_UDP, 0, "c3500058000100006a", NULL, KF_EV_UDP_MALFORMED },

	{ "gre 3 bytes", L_GRE, 0, "000008", NULL, KF_EV_LINK_MALFORMED },
	{ "gre version 2", L_GRE, 0, "00020800 45", NULL, KF_EV_LINK_MALFORMED },
	{ "gre version 7", L_GRE, 0, "00070800 45", NULL, KF_EV_LINK_MALFORMED },
	{ "gre checksum cut", L_GRE, 0, "80000800 0000", NULL, KF_EV_LINK_MALFORMED },
	{ "gre key+seq cut", L_GRE, 0, "30000800 00000001 0000", NULL, KF_EV_LINK_MALFORMED },
	{ "erspan2 header cut", L_GRE, 0, "100088be 00000001 10640007 0000", NULL, KF_EV_LINK_MALFORMED },
	{ "erspan2 no frame", L_GRE, 0, "100088be 00000001 10640007 00012345", NULL, KF_EV_LINK_MALFORMED },
	{ "erspan3 11 bytes", L_GRE, 0, "100022eb 00000001 20640007 11223344 000000", NULL,
	  KF_EV_LINK_MALFORMED },
	{ "erspan3 subheader cut", L_GRE, 0, NULL, mk_erspan3_no_sub, KF_EV_LINK_MALFORMED },
	{ "gre teb short frame", L_GRE, 0, "00006558 0200000000020200000000", NULL, KF_EV_LINK_MALFORMED },

	{ "vxlan 7 bytes", L_VXLAN, 0, "08000000001234", NULL, KF_EV_LINK_MALFORMED },
	{ "vxlan I clear", L_VXLAN, 0, "00000000 00123400 020000000002 020000000001 0800", NULL,
	  KF_EV_LINK_MALFORMED },
	{ "vxlan only other flags", L_VXLAN, 0, "f7ffffff 00123400 020000000002 020000000001 0800", NULL,
	  KF_EV_LINK_MALFORMED },
	{ "vxlan inner frame short", L_VXLAN, 0, "08000000 00123400 0200000000", NULL, KF_EV_LINK_MALFORMED },

	{ "icmp4 7 bytes", L_ICMP4, 0, "03030000000000", NULL, KF_EV_NONE },
	{ "icmp4 echo", L_ICMP4, 0, "08000000 00000000 45000014 00000000 40110000 0a000001 0a000002", NULL,
	  KF_EV_NONE },
	{ "icmp4 no quote", L_ICMP4, 0, "03030000 00000000", NULL, KF_EV_NONE },
	{ "icmp4 quote ihl 4", L_ICMP4, 0, "03030000 00000000 44000014 00000000 40110000 0a000001 0a000002",
	  NULL, KF_EV_NONE },
	{ "icmp6 no quote", L_ICMP6, 0, "01040000 00000000", NULL, KF_EV_NONE },
	{ "icmp6 echo request", L_ICMP6, 0, "80000000 00000000 60", NULL, KF_EV_NONE },
};

#define N_MALFORMED ((int)(sizeof MALFORMED / sizeof MALFORMED[0]))

START_TEST(t_malformed)
{
	const struct malformed *m = &MALFORMED[_i];
	struct pb b = { .n = 0 };
	if (m->build)
		m->build(&b);
	else
		b.n = kf_test_hex(m->hex, b.d, sizeof b.d);
	/* an exact-size copy so reading past the end is caught by ASan */
	uint8_t *copy = malloc(b.n ? b.n : 1);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, b.d, b.n);
	struct kf_span s = kf_span_make(copy, b.n);
	struct kf_events ev = { 0 };
	struct kf_l3 l3;
	struct kf_ip ip;
	struct kf_tcp t;
	struct kf_udp u;
	struct kf_icmp_unreach icmp;
	bool ok = true;
	switch (m->layer) {
	case L_LINK: ok = kf_link_decode(m->dlt, s, &l3, &ev); break;
	case L_IP: ok = kf_ip_decode(s, &ip, &ev); break;
	case L_TCP: ok = kf_tcp_decode(s, &t, &ev); break;
	case L_UDP: ok = kf_udp_decode(s, &u, &ev); break;
	case L_GRE: ok = kf_gre_decode(s, &l3, &ev); break;
	case L_VXLAN: ok = kf_vxlan_decode(s, &l3, &ev); break;
	case L_ICMP4: ok = kf_icmp_unreach_decode(4, s, &icmp); break;
	case L_ICMP6: ok = kf_icmp_unreach_decode(6, s, &icmp); break;
	}
	free(copy);
	ck_assert_msg(!ok, "%s: decoded", m->name);
	if (m->ev == KF_EV_NONE)
		ck_assert_msg(ev.n == 0, "%s: unexpected event", m->name);
	else
		ck_assert_msg(has_ev(&ev, m->ev), "%s: expected event %s", m->name, kf_event_code(m->ev));
	ck_assert_uint_eq(ev.dropped, 0);
}
END_TEST

/* ---- truncation sweep -------------------------------------------------- */

/* Decode as far as krbflow would; true when a transport header (or an ICMP
 * error's quote) was reached. */
static bool decode_l3(struct kf_l3 l3, unsigned depth, struct kf_events *ev);

static bool decode_ip(struct kf_span s, unsigned depth, struct kf_events *ev)
{
	struct kf_ip ip;
	if (!kf_ip_decode(s, &ip, ev))
		return false;
	ck_assert(ip.payload.n == 0 || (ip.payload.p >= s.p && ip.payload.p + ip.payload.n <= s.p + s.n));
	if (ip.frag_offset != 0)
		return true; /* no header in a non-first fragment */
	struct kf_l3 inner;
	switch (ip.proto) {
	case KF_IPPROTO_TCP: {
		struct kf_tcp t;
		return kf_tcp_decode(ip.payload, &t, ev);
	}
	case KF_IPPROTO_UDP: {
		struct kf_udp u;
		if (!kf_udp_decode(ip.payload, &u, ev))
			return false;
		if (u.dport == KF_GENEVE_PORT)
			return kf_geneve_decode(u.payload, &inner, ev) && decode_l3(inner, depth + 1, ev);
		if (u.dport != KF_VXLAN_PORT && u.dport != KF_VXLAN_PORT_LINUX)
			return true;
		return kf_vxlan_decode(u.payload, &inner, ev) && decode_l3(inner, depth + 1, ev);
	}
	case KF_IPPROTO_GRE: return kf_gre_decode(ip.payload, &inner, ev) && decode_l3(inner, depth + 1, ev);
	case KF_IPPROTO_ICMP:
	case KF_IPPROTO_ICMPV6: {
		struct kf_icmp_unreach icmp;
		return kf_icmp_unreach_decode(ip.version, ip.payload, &icmp);
	}
	default: return false;
	}
}

static bool decode_l3(struct kf_l3 l3, unsigned depth, struct kf_events *ev)
{
	if (depth > KF_LIMIT_ENCAP_DEPTH || l3.space != KF_SPACE_ETHER)
		return false;
	if (l3.ethertype == KF_ETH_TEB) { /* an MPLS pseudowire's Ethernet frame */
		struct kf_l3 inner;
		return kf_ether_decode(l3.data, &inner, ev) && decode_l3(inner, depth + 1, ev);
	}
	if (l3.ethertype != KF_ETH_IPV4 && l3.ethertype != KF_ETH_IPV6)
		return false;
	return decode_ip(l3.data, depth, ev);
}

static bool decode_frame(int dlt, struct kf_span s, struct kf_events *ev)
{
	struct kf_l3 l3;
	if (!kf_link_decode(dlt, s, &l3, ev))
		return false;
	ck_assert(l3.data.n == 0 || (l3.data.p >= s.p && l3.data.p + l3.data.n <= s.p + s.n));
	return decode_l3(l3, 0, ev);
}

/* Outer Ethernet/IPv4 around a tunnel payload built by inner(). */
static void outer4(struct pb *b, unsigned proto, void (*inner)(struct pb *b))
{
	eth(b, KF_ETH_IPV4);
	size_t ip = ip4_begin(b, proto, 7, 0, 1);
	inner(b);
	ip4_end(b, ip);
}

static void in_gre(struct pb *b)
{
	gre_hdr(b, 0xb000, KF_ETH_IPV4);
	ip4_udp(b, 50000, 88);
}
static void in_gre_teb(struct pb *b)
{
	gre_hdr(b, 0, KF_ETH_TEB);
	eth(b, KF_ETH_IPV6);
	ip6_udp(b, 50000, 88);
}
static void in_erspan1(struct pb *b) { build_erspan(b, 1, false); }
static void in_erspan2(struct pb *b) { build_erspan(b, 2, false); }
static void in_erspan3(struct pb *b) { build_erspan(b, 3, false); }
static void in_erspan3o(struct pb *b) { build_erspan(b, 3, true); }
static void in_vxlan(struct pb *b)
{
	size_t u = udp_begin(b, 40000, KF_VXLAN_PORT);
	build_vxlan(b, 0x08);
	udp_end(b, u);
}
static void in_vxlan_linux(struct pb *b)
{
	size_t u = udp_begin(b, 40000, KF_VXLAN_PORT_LINUX);
	build_vxlan(b, 0x08);
	udp_end(b, u);
}
static void in_geneve(struct pb *b)
{
	size_t u = udp_begin(b, 40000, KF_GENEVE_PORT);
	p32(b, 0x01006558); /* one option word, Ethernet */
	p32(b, 0x00123400);
	p32(b, 0x01020304);
	eth(b, KF_ETH_IPV6);
	ip6_udp(b, 50000, 88);
	udp_end(b, u);
}
static void in_icmp4(struct pb *b) { build_icmp(b, 4, 3, 3); }

static void v_eth4(struct pb *b)
{
	eth(b, KF_ETH_IPV4);
	ip4_udp(b, 50000, 88);
}
static void v_eth6(struct pb *b)
{
	eth(b, KF_ETH_IPV6);
	ip6_udp(b, 50000, 88);
}
static void v_vlan4(struct pb *b) { build_vlans(b, KF_LIMIT_VLAN_TAGS); }
static void v_sll(struct pb *b)
{
	sll_hdr(b, KF_ETH_VLAN);
	vlan(b, 1, KF_ETH_IPV4);
	ip4_udp(b, 50000, 88);
}
static void v_sll2(struct pb *b)
{
	sll2_hdr(b, KF_ETH_IPV6);
	ip6_udp(b, 50000, 88);
}
static void v_null(struct pb *b)
{
	put_family(b, 30, false);
	ip6_udp(b, 50000, 88);
}
static void v_loop(struct pb *b)
{
	p32(b, 2);
	ip4_udp(b, 50000, 88);
}
static void v_raw4opt(struct pb *b)
{
	size_t ip = ip4_begin(b, KF_IPPROTO_TCP, 1, 0, 3);
	tcp_hdr(b, 50000, 88, 1, 2, KF_TCP_ACK, 4);
	pbytes(b, KRB, sizeof KRB);
	ip4_end(b, ip);
}
static void v_frag4(struct pb *b)
{
	size_t ip = ip4_begin(b, KF_IPPROTO_UDP, 5, 0x2000, 0);
	size_t u = udp_begin(b, 50000, 88);
	pbytes(b, KRB, sizeof KRB);
	udp_end(b, u);
	ip4_end(b, ip);
}
static void v_chain6(struct pb *b) { build_ip6_chain(b, 0, true); }
static void v_chain6_later(struct pb *b) { build_ip6_chain(b, 1448, true); }
static void v_ext8(struct pb *b) { build_ip6_n_ext(b, KF_LIMIT_IPV6_EXT_HDRS); }
static void v_gre(struct pb *b) { outer4(b, KF_IPPROTO_GRE, in_gre); }
static void v_gre_teb(struct pb *b) { outer4(b, KF_IPPROTO_GRE, in_gre_teb); }
static void v_erspan1(struct pb *b) { outer4(b, KF_IPPROTO_GRE, in_erspan1); }
static void v_erspan2(struct pb *b) { outer4(b, KF_IPPROTO_GRE, in_erspan2); }
static void v_erspan3(struct pb *b) { outer4(b, KF_IPPROTO_GRE, in_erspan3); }
static void v_erspan3o(struct pb *b) { outer4(b, KF_IPPROTO_GRE, in_erspan3o); }
static void v_vxlan(struct pb *b) { outer4(b, KF_IPPROTO_UDP, in_vxlan); }
static void v_vxlan_linux(struct pb *b) { outer4(b, KF_IPPROTO_UDP, in_vxlan_linux); }
static void v_geneve(struct pb *b) { outer4(b, KF_IPPROTO_UDP, in_geneve); }
static void v_mpls(struct pb *b)
{
	eth(b, KF_ETH_MPLS);
	p32(b, 0x00010040);
	p32(b, 0x00011140); /* bottom of stack */
	ip4_udp(b, 50000, 88);
}
static void v_mpls_cw(struct pb *b)
{
	eth(b, KF_ETH_MPLS);
	p32(b, 0x00010140);
	p32(b, 0); /* control word */
	eth(b, KF_ETH_IPV6);
	ip6_udp(b, 50000, 88);
}
static void v_pppoe(struct pb *b)
{
	eth(b, KF_ETH_PPPOE_SESS);
	p16(b, 0x1100);
	p16(b, 0x0001);
	size_t len = b->n;
	p16(b, 0);
	p16(b, KF_PPP_IPV4);
	ip4_udp(b, 50000, 88);
	patch16(b, len, b->n - len - 2);
}
static void v_ppp(struct pb *b)
{
	p16(b, 0xff03);
	p16(b, KF_PPP_IPV6);
	ip6_udp(b, 50000, 88);
}
static void v_icmp4(struct pb *b) { outer4(b, KF_IPPROTO_ICMP, in_icmp4); }
static void v_icmp6(struct pb *b)
{
	eth(b, KF_ETH_IPV6);
	size_t ip = ip6_begin(b, KF_IPPROTO_ICMPV6);
	build_icmp(b, 6, 1, 4);
	ip6_end(b, ip);
}

static const struct vector {
	const char *name;
	int dlt;
	void (*build)(struct pb *b);
} VECTORS[] = {
	{ "lab frame", KF_DLT_EN10MB, build_lab },
	{ "eth ipv4 udp", KF_DLT_EN10MB, v_eth4 },
	{ "eth ipv6 udp", KF_DLT_EN10MB, v_eth6 },
	{ "four vlan tags", KF_DLT_EN10MB, v_vlan4 },
	{ "sll vlan", KF_DLT_LINUX_SLL, v_sll },
	{ "sll2", KF_DLT_LINUX_SLL2, v_sll2 },
	{ "null af 30", KF_DLT_NULL, v_null },
	{ "loop", KF_DLT_LOOP, v_loop },
	{ "raw ipv4 options tcp options", KF_DLT_RAW_LINKTYPE, v_raw4opt },
	{ "ipv4 first fragment", KF_DLT_IPV4, v_frag4 },
	{ "ipv6 chain first fragment", KF_DLT_IPV6, v_chain6 },
	{ "ipv6 chain later fragment", KF_DLT_IPV6, v_chain6_later },
	{ "ipv6 eight extension headers", KF_DLT_RAW, v_ext8 },
	{ "gre c+k+s", KF_DLT_EN10MB, v_gre },
	{ "gre ethernet", KF_DLT_EN10MB, v_gre_teb },
	{ "erspan I", KF_DLT_EN10MB, v_erspan1 },
	{ "erspan II", KF_DLT_EN10MB, v_erspan2 },
	{ "erspan III", KF_DLT_EN10MB, v_erspan3 },
	{ "erspan III + subheader", KF_DLT_EN10MB, v_erspan3o },
	{ "vxlan", KF_DLT_EN10MB, v_vxlan },
	{ "vxlan on 8472", KF_DLT_EN10MB, v_vxlan_linux },
	{ "geneve with an option", KF_DLT_EN10MB, v_geneve },
	{ "mpls", KF_DLT_EN10MB, v_mpls },
	{ "mpls control word ethernet", KF_DLT_EN10MB, v_mpls_cw },
	{ "pppoe session", KF_DLT_EN10MB, v_pppoe },
	{ "ppp", KF_DLT_PPP, v_ppp },
	{ "icmp4 unreachable", KF_DLT_EN10MB, v_icmp4 },
	{ "icmp6 unreachable", KF_DLT_EN10MB, v_icmp6 },
};

#define N_VECTORS ((int)(sizeof VECTORS / sizeof VECTORS[0]))

START_TEST(t_truncation_sweep)
{
	const struct vector *v = &VECTORS[_i];
	struct pb b = { .n = 0 };
	v->build(&b);
	for (size_t len = 0; len <= b.n; len++) {
		uint8_t *copy = malloc(len ? len : 1);
		ck_assert_ptr_nonnull(copy);
		memcpy(copy, b.d, len);
		struct kf_events ev = { 0 };
		bool ok = decode_frame(v->dlt, kf_span_make(copy, len), &ev);
		free(copy);
		ck_assert_uint_le(ev.n, KF_EVENT_SINK_CAP);
		if (len == b.n)
			ck_assert_msg(ok, "%s: the whole vector did not decode", v->name);
	}
}
END_TEST

/* ---- known decoder bugs (left failing on purpose; see the report) ------ */

/* KNOWN BUG (decoders/ip.c:101-118): after a fragment header whose offset is
 * not 0, the bytes that follow are the middle of the original datagram's
 * fragmentable part (RFC 8200 §4.5), not an extension header.  ipv6() keeps
 * walking the chain with the fragment header's Next Header, so a later
 * fragment of a datagram whose fragmentable part starts with a Destination
 * Options header (60) is parsed as if its data were that header and is
 * rejected as IP_MALFORMED (or, with other data, has bytes skipped).  The
 * walk should stop at a fragment header with offset != 0 (and, for
 * reassembly to line up, arguably at every fragment header). */
START_TEST(t_bug_ipv6_later_fragment_walks_into_data)
{
	struct pb b = { .n = 0 };
	size_t ip = ip6_begin(&b, 44);
	ip6_frag(&b, 60, 8, false, 0x5151);
	pfill(&b, 16, 0x11); /* fragment data: bytes 8..23 of the fragmentable part */
	ip6_end(&b, ip);
	struct kf_ip dec;
	struct kf_events ev = { 0 };
	ck_assert_msg(kf_ip_decode(whole(&b), &dec, &ev), "later IPv6 fragment rejected");
	ck_assert(dec.fragment);
	ck_assert_uint_eq(dec.frag_offset, 8);
	ck_assert_uint_eq(dec.frag_id, 0x5151);
	ck_assert_ptr_eq(dec.payload.p, b.d + 48);
	ck_assert_uint_eq(dec.payload.n, 16);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("net");

	TCase *tc = tcase_create("link");
	tcase_add_test(tc, t_real_lab_frame);
	tcase_add_test(tc, t_ether_ipv4_and_ipv6);
	tcase_add_test(tc, t_ether_trailer_trimmed_by_ip_length);
	tcase_add_test(tc, t_vlan_8021q);
	tcase_add_test(tc, t_vlan_qinq);
	tcase_add_test(tc, t_vlan_tag_limit);
	tcase_add_test(tc, t_ieee8023_length_frame);
	tcase_add_test(tc, t_linux_sll);
	tcase_add_test(tc, t_linux_sll2);
	tcase_add_test(tc, t_dlt_null);
	tcase_add_test(tc, t_dlt_loop);
	tcase_add_test(tc, t_dlt_raw);
	tcase_add_test(tc, t_unsupported_linktype);
	suite_add_tcase(s, tc);

	tc = tcase_create("ip");
	tcase_add_test(tc, t_ipv4_options);
	tcase_add_test(tc, t_ipv4_length_short);
	tcase_add_test(tc, t_ipv4_bad_ihl);
	tcase_add_test(tc, t_ipv4_fragments);
	tcase_add_test(tc, t_ipv6_extension_chain_fragment);
	tcase_add_test(tc, t_ipv6_atomic_fragment);
	tcase_add_test(tc, t_ipv6_extension_limit);
	tcase_add_test(tc, t_ipv6_ah_and_length_short);
	suite_add_tcase(s, tc);

	tc = tcase_create("transport");
	tcase_add_test(tc, t_tcp_options);
	tcase_add_test(tc, t_tcp_bad_offset);
	tcase_add_test(tc, t_udp_length);
	tcase_add_test(tc, t_icmp4_unreachable);
	tcase_add_test(tc, t_icmp6_unreachable);
	tcase_add_test(tc, t_icmp_other_types_rejected);
	suite_add_tcase(s, tc);

	tc = tcase_create("tunnels");
	tcase_add_test(tc, t_gre_plain_ipv4);
	tcase_add_test(tc, t_gre_optional_fields);
	tcase_add_test(tc, t_gre_transparent_ethernet);
	tcase_add_test(tc, t_erspan);
	tcase_add_test(tc, t_vxlan);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, t_malformed, 0, N_MALFORMED);
	suite_add_tcase(s, tc);

	tc = tcase_create("truncation");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, t_truncation_sweep, 0, N_VECTORS);
	suite_add_tcase(s, tc);

	tc = tcase_create("known_bugs");
	tcase_add_test(tc, t_bug_ipv6_later_fragment_walks_into_data);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(suite()); }
