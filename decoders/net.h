/* net.h - link, tunnel, IP and transport headers as pure functions.
 *
 * Each decoder takes a span and fills a plain struct whose spans point into
 * the input.  They allocate nothing and keep no state; fragment reassembly
 * and TCP streams live in analyzer/.  A false return means "not decodable":
 * the reason is an event in *ev.
 */
#ifndef KF_NET_H
#define KF_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "base/events.h"
#include "base/span.h"

/* libpcap DLT values krbflow decodes (from pcap/dlt.h, named here so the
 * decoders do not depend on libpcap). */
#define KF_DLT_NULL 0
#define KF_DLT_EN10MB 1
#define KF_DLT_PPP 9
#define KF_DLT_PPP_SERIAL 50 /* PPP in HDLC-like framing, or Cisco HDLC */
#define KF_DLT_PPP_ETHER 51  /* PPPoE session header, then PPP */
#define KF_DLT_C_HDLC 104    /* Cisco HDLC: address, control, ethertype */
#define KF_DLT_MPLS 219      /* an MPLS label stack first */
#define KF_DLT_RAW 12        /* some platforms number it 14; see kf_link_supported */
#define KF_DLT_LOOP 108
#define KF_DLT_LINUX_SLL 113
#define KF_DLT_RAW_LINKTYPE 101 /* LINKTYPE_RAW as stored in files */
#define KF_DLT_IPV4 228
#define KF_DLT_IPV6 229
#define KF_DLT_LINUX_SLL2 276

#define KF_ETH_IPV4 0x0800
#define KF_ETH_IPV6 0x86DD
#define KF_ETH_VLAN 0x8100
#define KF_ETH_QINQ 0x88A8
#define KF_ETH_QINQ_OLD 0x9100
#define KF_ETH_TEB 0x6558 /* transparent Ethernet bridging (GRE) */
#define KF_ETH_ERSPAN2 0x88BE
#define KF_ETH_ERSPAN3 0x22EB
#define KF_ETH_MPLS 0x8847
#define KF_ETH_MPLS_MC 0x8848
#define KF_ETH_PPPOE_DISC 0x8863
#define KF_ETH_PPPOE_SESS 0x8864

#define KF_PPP_IPV4 0x0021
#define KF_PPP_IPV6 0x0057
#define KF_PPP_MPLS 0x0281
#define KF_PPP_MPLS_MC 0x0283

/* Which number space kf_l3.ethertype is in when it is not IPv4 or IPv6. */
enum kf_l3_space {
	KF_SPACE_ETHER = 0, /* an ethertype (also GRE's and Geneve's protocol type) */
	KF_SPACE_PPP,       /* a PPP protocol number of a network layer */
	KF_SPACE_MPLS,      /* an MPLS payload that is neither IP nor a control word */
};

/* The network-layer payload found under a link or tunnel header.
 * ethertype KF_ETH_TEB means data is a whole Ethernet frame (an MPLS
 * pseudowire's): the caller decodes it with kf_ether_decode, one level of
 * encapsulation deeper.  Ethertype 0 with space KF_SPACE_ETHER is nothing
 * that carries IP (802.3 LLC frames, PPP link control, PPPoE discovery). */
struct kf_l3 {
	uint16_t ethertype;  /* KF_ETH_IPV4 / KF_ETH_IPV6, or what was found */
	uint8_t space;       /* enum kf_l3_space of a number that is not IP */
	struct kf_span data; /* starts at the IP header */
};

/* True when a kf_l3 that is not IP names a protocol that may carry IP (or is
 * unknown): krbflow should say it did not decode it.  False for protocols
 * that never carry IP (ARP, LLDP, EAPOL, PPPoE discovery, ...). */
bool kf_l3_worth_warning(const struct kf_l3 *l3);

/* A count of packets krbflow did not decode, by kind, for a warning: one
 * entry per kind (the analyzer keeps the first KF_LIMIT_UNDECODED_KINDS
 * kinds met; later kinds count on the last entry, whose `others` is set). */
struct kf_undecoded {
	uint8_t space; /* enum kf_l3_space */
	uint16_t type; /* ethertype, PPP protocol, or an MPLS payload's first nibble */
	bool others;
	uint64_t packets;
};

bool kf_link_supported(int dlt);
/* Decode a frame of link type dlt down to its network layer. */
bool kf_link_decode(int dlt, struct kf_span frame, struct kf_l3 *out, struct kf_events *ev);
/* Ethernet II with up to KF_LIMIT_VLAN_TAGS 802.1Q/802.1ad tags, then an
 * MPLS label stack (up to KF_LIMIT_MPLS_LABELS) or a PPPoE session. */
bool kf_ether_decode(struct kf_span frame, struct kf_l3 *out, struct kf_events *ev);

#define KF_IPPROTO_ICMP 1
#define KF_IPPROTO_IPIP 4
#define KF_IPPROTO_TCP 6
#define KF_IPPROTO_UDP 17
#define KF_IPPROTO_IPV6 41
#define KF_IPPROTO_GRE 47
#define KF_IPPROTO_ICMPV6 58

/* An IP packet header (v4, or v6 after its extension headers). */
struct kf_ip {
	uint8_t version;          /* 4 or 6 */
	uint8_t proto;            /* transport protocol (v6: after extension headers) */
	uint8_t src[16], dst[16]; /* v4 addresses in the first 4 bytes, rest zero */
	struct kf_span payload;   /* transport bytes, trimmed to the IP length */
	bool fragment;            /* part of a fragmented datagram */
	bool more_fragments;
	uint32_t frag_offset; /* bytes */
	uint32_t frag_id;
};

/* Decode an IPv4 or IPv6 header (by the version nibble). The payload is
 * trimmed to the header's length; a packet shorter than it claims is kept
 * (event IP_LENGTH_SHORT) so snapped captures still yield what they hold. */
bool kf_ip_decode(struct kf_span s, struct kf_ip *ip, struct kf_events *ev);

/* After IPv6 reassembly: walk the extension headers at the start of the
 * reassembled fragmentable part (Destination Options, Routing, ...), from the
 * fragment header's next header *proto; updates *proto and *payload. */
bool kf_ipv6_after_reassembly(uint8_t *proto, struct kf_span *payload, struct kf_events *ev);

#define KF_TCP_FIN 0x01
#define KF_TCP_SYN 0x02
#define KF_TCP_RST 0x04
#define KF_TCP_PSH 0x08
#define KF_TCP_ACK 0x10

struct kf_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	struct kf_span payload;
};
bool kf_tcp_decode(struct kf_span s, struct kf_tcp *t, struct kf_events *ev);

struct kf_udp {
	uint16_t sport, dport;
	struct kf_span payload; /* trimmed to the UDP length when it fits */
};
bool kf_udp_decode(struct kf_span s, struct kf_udp *u, struct kf_events *ev);

/* GRE (RFC 2784/2890) and the ERSPAN types I-III it may carry: on success
 * *out is the encapsulated network layer (an Ethernet frame is decoded
 * through kf_ether_decode).  GRE version 1 (PPTP's PPP) returns false with
 * no event: it is not an anomaly, just nothing krbflow reads. */
bool kf_gre_decode(struct kf_span s, struct kf_l3 *out, struct kf_events *ev);

#define KF_VXLAN_PORT 4789
#define KF_VXLAN_PORT_LINUX 8472 /* Linux's default before IANA's port */
/* VXLAN (RFC 7348): the inner Ethernet frame decoded to its network layer. */
bool kf_vxlan_decode(struct kf_span s, struct kf_l3 *out, struct kf_events *ev);

#define KF_GENEVE_PORT 6081
/* Geneve (RFC 8926): past the header and its options, an Ethernet frame
 * (protocol type 0x6558, decoded to its network layer) or IPv4/IPv6; any
 * other protocol type comes back as *out's ethertype, undecoded. */
bool kf_geneve_decode(struct kf_span s, struct kf_l3 *out, struct kf_events *ev);

/* ICMP/ICMPv6 destination unreachable, with the quoted datagram's header. */
struct kf_icmp_unreach {
	uint8_t type, code;
	struct kf_ip quoted;     /* the header of the datagram it quotes */
	uint16_t qsport, qdport; /* ports from the quoted transport header */
	bool has_ports;
};
/* True only for destination-unreachable messages whose quote is readable. */
bool kf_icmp_unreach_decode(uint8_t ipver, struct kf_span s, struct kf_icmp_unreach *u);

#endif
