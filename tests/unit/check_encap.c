/* check_encap.c - the encapsulations of issue 17 end to end: two Kerberos
 * datagrams of a lab sample (an AS-REQ and its KRB-ERROR) wrapped by hand in
 * MPLS, PPPoE, PPP, Cisco HDLC, Geneve and VXLAN on 8472, written to a pcap
 * and analyzed; and the warnings for what krbflow does not decode. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "base/limits.h"
#include "net.h"
#include "report.h"
#include "testutil.h"

/* ---- the two IPv4 packets of samples/kerberos-udp.pcap ------------------- */

static uint8_t ipkt[2][2048];
static size_t ipkt_n[2];

static void load_packets(void)
{
	size_t len;
	uint8_t *f = kf_test_read_file(KF_SAMPLES_DIR "/kerberos-udp.pcap", &len);
	ck_assert_uint_ge(len, 24);
	ck_assert_uint_eq(f[0], 0xd4); /* little-endian classic pcap, Ethernet */
	size_t at = 24;
	for (int i = 0; i < 2; i++) {
		uint32_t caplen = (uint32_t)f[at + 8] | (uint32_t)f[at + 9] << 8 |
				  (uint32_t)f[at + 10] << 16 | (uint32_t)f[at + 11] << 24;
		ck_assert_uint_le(caplen - 14, sizeof ipkt[i]);
		memcpy(ipkt[i], f + at + 16 + 14, caplen - 14);
		ipkt_n[i] = caplen - 14;
		at += 16 + caplen;
	}
	free(f);
}

/* ---- building frames ---------------------------------------------------- */

struct fb {
	uint8_t d[8192];
	size_t n;
};

static void b8(struct fb *b, unsigned v) { b->d[b->n++] = (uint8_t)v; }
static void b16(struct fb *b, unsigned v)
{
	b8(b, v >> 8);
	b8(b, v);
}
static void b32(struct fb *b, uint32_t v)
{
	b16(b, v >> 16);
	b16(b, v & 0xffff);
}
static void bbytes(struct fb *b, const void *p, size_t n)
{
	memcpy(b->d + b->n, p, n);
	b->n += n;
}
static void bmacs(struct fb *b)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01 };
	bbytes(b, macs, sizeof macs);
}
static void beth(struct fb *b, unsigned type)
{
	bmacs(b);
	b16(b, type);
}
/* labels MPLS entries, the last with the bottom-of-stack bit when bos */
static void bmpls(struct fb *b, unsigned labels, bool bos)
{
	for (unsigned i = 0; i < labels; i++)
		b32(b, (16 + i) << 12 | (bos && i + 1 == labels ? 0x100 : 0) | 64);
}
static void bpppoe(struct fb *b, size_t payload)
{
	b8(b, 0x11);
	b8(b, 0);
	b16(b, 0x1234);
	b16(b, (unsigned)payload);
}

/* Outer Ethernet, IPv4 10.9.0.1 → 10.9.0.2, UDP to dport; the tunnel header
 * and inner frame follow; outer_end fills in the lengths. */
static size_t outer_begin(struct fb *b, unsigned dport)
{
	beth(b, KF_ETH_IPV4);
	size_t ip = b->n;
	static const uint8_t hdr[20] = {
		0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 9, 0, 1, 10, 9, 0, 2
	};
	bbytes(b, hdr, sizeof hdr);
	b16(b, 40000);
	b16(b, dport);
	b32(b, 0);
	return ip;
}
static void outer_end(struct fb *b, size_t ip)
{
	size_t tot = b->n - ip, udp = tot - 20;
	b->d[ip + 2] = (uint8_t)(tot >> 8);
	b->d[ip + 3] = (uint8_t)tot;
	b->d[ip + 24] = (uint8_t)(udp >> 8);
	b->d[ip + 25] = (uint8_t)udp;
}

enum wrap {
	W_MPLS,
	W_MPLS_MC,
	W_MPLS_CW_ETH,
	W_MPLS_VLAN,
	W_PPPOE,
	W_PPPOE_PFC,
	W_GENEVE_ETH,
	W_GENEVE_IP_OPTS,
	W_VXLAN_8472,
	W_GRE_MPLS,
	W_DLT_PPP,
	W_DLT_PPP_ACFC,
	W_DLT_PPP_SERIAL,
	W_DLT_PPP_SERIAL_CISCO,
	W_DLT_C_HDLC,
	W_DLT_PPP_ETHER,
	W_DLT_MPLS,
};

static const struct wrap_case {
	const char *name;
	enum wrap w;
	int dlt;
} WRAPS[] = {
	{ "mpls two labels", W_MPLS, KF_DLT_EN10MB },
	{ "mpls multicast", W_MPLS_MC, KF_DLT_EN10MB },
	{ "mpls control word + ethernet", W_MPLS_CW_ETH, KF_DLT_EN10MB },
	{ "vlan then mpls", W_MPLS_VLAN, KF_DLT_EN10MB },
	{ "pppoe session", W_PPPOE, KF_DLT_EN10MB },
	{ "pppoe session, compressed protocol", W_PPPOE_PFC, KF_DLT_EN10MB },
	{ "geneve ethernet", W_GENEVE_ETH, KF_DLT_EN10MB },
	{ "geneve ipv4 with options", W_GENEVE_IP_OPTS, KF_DLT_EN10MB },
	{ "vxlan on 8472", W_VXLAN_8472, KF_DLT_EN10MB },
	{ "gre mpls", W_GRE_MPLS, KF_DLT_EN10MB },
	{ "DLT_PPP", W_DLT_PPP, KF_DLT_PPP },
	{ "DLT_PPP without address and control", W_DLT_PPP_ACFC, KF_DLT_PPP },
	{ "DLT_PPP_SERIAL", W_DLT_PPP_SERIAL, KF_DLT_PPP_SERIAL },
	{ "DLT_PPP_SERIAL cisco hdlc", W_DLT_PPP_SERIAL_CISCO, KF_DLT_PPP_SERIAL },
	{ "DLT_C_HDLC", W_DLT_C_HDLC, KF_DLT_C_HDLC },
	{ "DLT_PPP_ETHER", W_DLT_PPP_ETHER, KF_DLT_PPP_ETHER },
	{ "DLT_MPLS", W_DLT_MPLS, KF_DLT_MPLS },
};
#define N_WRAPS ((int)(sizeof WRAPS / sizeof WRAPS[0]))

static void wrap(struct fb *b, enum wrap w, const uint8_t *ip, size_t n)
{
	size_t o;
	switch (w) {
	case W_MPLS:
		beth(b, KF_ETH_MPLS);
		bmpls(b, 2, true);
		break;
	case W_MPLS_MC:
		beth(b, KF_ETH_MPLS_MC);
		bmpls(b, 1, true);
		break;
	case W_MPLS_CW_ETH:
		beth(b, KF_ETH_MPLS);
		bmpls(b, 3, true);
		b32(b, 0); /* control word */
		beth(b, KF_ETH_IPV4);
		break;
	case W_MPLS_VLAN:
		beth(b, KF_ETH_VLAN);
		b16(b, 7);
		b16(b, KF_ETH_MPLS);
		bmpls(b, KF_LIMIT_MPLS_LABELS, true);
		break;
	case W_PPPOE:
		beth(b, KF_ETH_PPPOE_SESS);
		bpppoe(b, n + 2);
		b16(b, KF_PPP_IPV4);
		break;
	case W_PPPOE_PFC:
		beth(b, KF_ETH_PPPOE_SESS);
		bpppoe(b, n + 1);
		b8(b, KF_PPP_IPV4);
		break;
	case W_GENEVE_ETH:
		o = outer_begin(b, KF_GENEVE_PORT);
		b8(b, 0);
		b8(b, 0);
		b16(b, KF_ETH_TEB);
		b32(b, 0x00abcd00);
		beth(b, KF_ETH_IPV4);
		bbytes(b, ip, n);
		outer_end(b, o);
		return;
	case W_GENEVE_IP_OPTS:
		o = outer_begin(b, KF_GENEVE_PORT);
		b8(b, 2); /* two 4-byte words of options */
		b8(b, 0);
		b16(b, KF_ETH_IPV4);
		b32(b, 0x00abcd00);
		b32(b, 0x01020304);
		b32(b, 0x05060708);
		bbytes(b, ip, n);
		outer_end(b, o);
		return;
	case W_VXLAN_8472:
		o = outer_begin(b, KF_VXLAN_PORT_LINUX);
		b32(b, 0x08000000);
		b32(b, 0x00123400);
		beth(b, KF_ETH_IPV4);
		bbytes(b, ip, n);
		outer_end(b, o);
		return;
	case W_GRE_MPLS: {
		beth(b, KF_ETH_IPV4);
		size_t at = b->n;
		static const uint8_t hdr[20] = { 0x45, 0, 0,  0, 0, 1, 0x40, 0, 64, 47,
						 0,    0, 10, 9, 0, 1, 10,   9, 0,  2 };
		bbytes(b, hdr, sizeof hdr);
		b16(b, 0);
		b16(b, KF_ETH_MPLS);
		bmpls(b, 1, true);
		bbytes(b, ip, n);
		size_t tot = b->n - at;
		b->d[at + 2] = (uint8_t)(tot >> 8);
		b->d[at + 3] = (uint8_t)tot;
		return;
	}
	case W_DLT_PPP:
	case W_DLT_PPP_SERIAL:
		b8(b, 0xff);
		b8(b, 0x03);
		b16(b, KF_PPP_IPV4);
		break;
	case W_DLT_PPP_ACFC: b16(b, KF_PPP_IPV4); break;
	case W_DLT_PPP_SERIAL_CISCO:
	case W_DLT_C_HDLC:
		b8(b, 0x0f);
		b8(b, 0);
		b16(b, KF_ETH_IPV4);
		break;
	case W_DLT_PPP_ETHER:
		bpppoe(b, n + 2);
		b16(b, KF_PPP_IPV4);
		break;
	case W_DLT_MPLS: bmpls(b, 1, true); break;
	}
	bbytes(b, ip, n);
}

/* ---- a pcap writer and the analysis ------------------------------------- */

static char dir[128];

struct pcap_w {
	FILE *f;
	uint32_t t;
	char path[192];
};

static void pw_open(struct pcap_w *w, int linktype)
{
	static unsigned seq;
	snprintf(w->path, sizeof w->path, "%s/c%u.pcap", dir, seq++);
	w->f = fopen(w->path, "wb");
	ck_assert_ptr_nonnull(w->f);
	uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 262144, (uint32_t)linktype };
	fwrite(hdr, 4, 6, w->f);
	w->t = 0;
}

static void pw_packet(struct pcap_w *w, const struct fb *b)
{
	w->t += 1000;
	uint32_t rec[4] = { 1700000000, w->t, (uint32_t)b->n, (uint32_t)b->n };
	fwrite(rec, 4, 4, w->f);
	fwrite(b->d, 1, b->n, w->f);
}

static void analyze(struct pcap_w *w, struct kf_result *res)
{
	fclose(w->f);
	struct kf_config cfg = { 0 };
	char err[256];
	ck_assert_int_eq(kf_analyze(w->path, &cfg, res, err, sizeof err), KF_OK);
}

static const struct kf_warning *warning(const struct kf_result *r, const char *code)
{
	for (size_t i = 0; i < r->n_warnings; i++)
		if (strcmp(r->warnings[i].code, code) == 0)
			return &r->warnings[i];
	return NULL;
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(t_wrapped_kerberos)
{
	const struct wrap_case *c = &WRAPS[_i];
	load_packets();
	struct pcap_w w;
	pw_open(&w, c->dlt);
	for (int i = 0; i < 2; i++) {
		struct fb b = { .n = 0 };
		wrap(&b, c->w, ipkt[i], ipkt_n[i]);
		pw_packet(&w, &b);
	}
	struct kf_result r;
	analyze(&w, &r);
	ck_assert_msg(r.n_messages == 2, "%s: %zu messages", c->name, r.n_messages);
	ck_assert_msg(r.n_warnings == 0, "%s: warning %s", c->name,
		      r.n_warnings ? r.warnings[0].message : "");
	kf_result_free(&r);
}
END_TEST

/* VXLAN inside VXLAN: KF_LIMIT_ENCAP_DEPTH tunnels are followed, one more is
 * a warning and no message. */
static void nested(struct fb *out, const uint8_t *ip, size_t n, unsigned tunnels)
{
	struct fb cur = { .n = 0 };
	beth(&cur, KF_ETH_IPV4);
	bbytes(&cur, ip, n);
	for (unsigned t = 0; t < tunnels; t++) {
		struct fb next = { .n = 0 };
		size_t o = outer_begin(&next, t % 2 ? KF_VXLAN_PORT : KF_VXLAN_PORT_LINUX);
		b32(&next, 0x08000000);
		b32(&next, 0x00123400);
		bbytes(&next, cur.d, cur.n);
		outer_end(&next, o);
		cur = next;
	}
	*out = cur;
}

START_TEST(t_nesting_to_the_cap)
{
	load_packets();
	for (unsigned tunnels = KF_LIMIT_ENCAP_DEPTH; tunnels <= KF_LIMIT_ENCAP_DEPTH + 1; tunnels++) {
		struct pcap_w w;
		pw_open(&w, KF_DLT_EN10MB);
		for (int i = 0; i < 2; i++) {
			struct fb b;
			nested(&b, ipkt[i], ipkt_n[i], tunnels);
			pw_packet(&w, &b);
		}
		struct kf_result r;
		analyze(&w, &r);
		bool deep = tunnels > KF_LIMIT_ENCAP_DEPTH;
		ck_assert_uint_eq(r.n_messages, deep ? 0 : 2);
		ck_assert(!!warning(&r, "encap-too-deep") == deep);
		kf_result_free(&r);
	}
}
END_TEST

START_TEST(t_mpls_without_bottom_of_stack)
{
	load_packets();
	struct pcap_w w;
	pw_open(&w, KF_DLT_EN10MB);
	struct fb b = { .n = 0 };
	beth(&b, KF_ETH_MPLS);
	bmpls(&b, KF_LIMIT_MPLS_LABELS + 1, false);
	bbytes(&b, ipkt[0], ipkt_n[0]);
	pw_packet(&w, &b);
	struct kf_result r;
	analyze(&w, &r);
	ck_assert_uint_eq(r.n_messages, 0);
	const struct kf_warning *x = warning(&r, "mpls-too-many-labels");
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->frame, 1);
	kf_result_free(&r);
}
END_TEST

/* Headers cut short: link-malformed, never a read past the end. */
START_TEST(t_truncated_headers)
{
	static const struct {
		const char *name;
		int dlt;
		const char *hex;
	} rows[] = {
		{ "mpls half an entry", KF_DLT_EN10MB, "020000000002 020000000001 8847 0001" },
		{ "mpls nothing after the stack", KF_DLT_EN10MB, "020000000002 020000000001 8847 00010140" },
		{ "mpls control word short", KF_DLT_EN10MB, "020000000002 020000000001 8847 00010140 0000" },
		{ "pppoe header short", KF_DLT_EN10MB, "020000000002 020000000001 8864 1100 1234" },
		{ "pppoe wrong version", KF_DLT_EN10MB,
		  "020000000002 020000000001 8864 2100 1234 0002 0021" },
		{ "pppoe no protocol", KF_DLT_EN10MB, "020000000002 020000000001 8864 1100 1234 0000 0021" },
		{ "ppp even protocol", KF_DLT_PPP, "ff03 0020 45" },
		{ "c_hdlc short", KF_DLT_C_HDLC, "0f00 08" },
		{ "DLT_MPLS empty", KF_DLT_MPLS, "" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		uint8_t buf[64];
		size_t n = kf_test_hex(rows[i].hex, buf, sizeof buf);
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, buf, n);
		struct kf_l3 l3;
		struct kf_events ev = { 0 };
		bool ok = kf_link_decode(rows[i].dlt, kf_span_make(copy, n), &l3, &ev);
		free(copy);
		ck_assert_msg(!ok, "%s: decoded", rows[i].name);
		ck_assert_msg(kf_test_has_event(&ev, KF_EV_LINK_MALFORMED), "%s: no event", rows[i].name);
	}
	/* geneve: version 1, options longer than the packet, header short */
	static const char *const geneve[] = { "40006558 00abcd00", "3f006558 00abcd00 00000000",
					      "00006558 00ab" };
	for (size_t i = 0; i < sizeof geneve / sizeof geneve[0]; i++) {
		uint8_t buf[64];
		size_t n = kf_test_hex(geneve[i], buf, sizeof buf);
		struct kf_l3 l3;
		struct kf_events ev = { 0 };
		ck_assert_msg(!kf_geneve_decode(kf_span_make(buf, n), &l3, &ev), "geneve row %zu", i);
		ck_assert(kf_test_has_event(&ev, KF_EV_LINK_MALFORMED));
	}
}
END_TEST

/* What is not IP is told apart from what is not decoded. */
START_TEST(t_l3_kinds)
{
	struct kf_l3 l3;
	struct kf_events ev = { 0 };
	uint8_t buf[64];
	size_t n = kf_test_hex("0f00 88e7 00", buf, sizeof buf); /* PBB on Cisco HDLC */
	ck_assert(kf_link_decode(KF_DLT_C_HDLC, kf_span_make(buf, n), &l3, &ev));
	ck_assert_uint_eq(l3.ethertype, 0x88e7);
	ck_assert(kf_l3_worth_warning(&l3));
	n = kf_test_hex("ff03 c021 0101", buf, sizeof buf); /* LCP */
	ck_assert(kf_link_decode(KF_DLT_PPP, kf_span_make(buf, n), &l3, &ev));
	ck_assert(!kf_l3_worth_warning(&l3));
	n = kf_test_hex("ff03 002b ffff", buf, sizeof buf); /* IPX over PPP */
	ck_assert(kf_link_decode(KF_DLT_PPP, kf_span_make(buf, n), &l3, &ev));
	ck_assert_uint_eq(l3.space, KF_SPACE_PPP);
	ck_assert_uint_eq(l3.ethertype, 0x002b);
	ck_assert(kf_l3_worth_warning(&l3));
	n = kf_test_hex("00010140 a0", buf, sizeof buf); /* MPLS: no IP, no control word */
	ck_assert(kf_link_decode(KF_DLT_MPLS, kf_span_make(buf, n), &l3, &ev));
	ck_assert_uint_eq(l3.space, KF_SPACE_MPLS);
	ck_assert(kf_l3_worth_warning(&l3));
	n = kf_test_hex("020000000002 020000000001 0806 0001", buf, sizeof buf); /* ARP */
	ck_assert(kf_link_decode(KF_DLT_EN10MB, kf_span_make(buf, n), &l3, &ev));
	ck_assert(!kf_l3_worth_warning(&l3));
	ck_assert_uint_eq(ev.n, 0);
}
END_TEST

START_TEST(t_undecoded_ethertype_warning)
{
	load_packets();
	struct pcap_w w;
	pw_open(&w, KF_DLT_EN10MB);
	struct fb b = { .n = 0 };
	beth(&b, 0x0806); /* ARP: quiet */
	b32(&b, 0x00010800);
	pw_packet(&w, &b);
	b.n = 0;
	beth(&b, KF_ETH_PPPOE_DISC); /* PPPoE discovery: quiet */
	bpppoe(&b, 0);
	b.d[15] = 0x09; /* PADI */
	pw_packet(&w, &b);
	for (int i = 0; i < 3; i++) {
		b.n = 0;
		beth(&b, 0x88e7); /* 802.1ah: carries Ethernet, not decoded */
		b32(&b, 0);
		beth(&b, KF_ETH_IPV4);
		bbytes(&b, ipkt[0], ipkt_n[0]);
		pw_packet(&w, &b);
	}
	b.n = 0;
	beth(&b, KF_ETH_PPPOE_SESS);
	bpppoe(&b, 4);
	b16(&b, 0x002b); /* IPX over PPP */
	b16(&b, 0xffff);
	pw_packet(&w, &b);
	struct kf_result r;
	analyze(&w, &r);
	ck_assert_uint_eq(r.n_messages, 0);
	ck_assert_uint_eq(r.n_warnings, 1);
	const struct kf_warning *x = warning(&r, "encap-undecoded");
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->frame, 3);
	ck_assert_uint_eq(x->count, 4);
	ck_assert_str_eq(
		x->message,
		"ethertype 0x88e7 not decoded (3 packets); PPP protocol 0x002b not decoded (1 packet)");
	kf_result_free(&r);
}
END_TEST

START_TEST(t_undecoded_kinds_capped)
{
	struct pcap_w w;
	pw_open(&w, KF_DLT_EN10MB);
	for (unsigned k = 0; k < KF_LIMIT_UNDECODED_KINDS + 3; k++) {
		struct fb b = { .n = 0 };
		beth(&b, 0x7000 + k);
		b32(&b, 0);
		pw_packet(&w, &b);
	}
	struct kf_result r;
	analyze(&w, &r);
	const struct kf_warning *x = warning(&r, "encap-undecoded");
	ck_assert_ptr_nonnull(x);
	ck_assert_uint_eq(x->count, KF_LIMIT_UNDECODED_KINDS + 3);
	ck_assert_ptr_nonnull(strstr(x->message, "ethertype 0x7000 not decoded (1 packet); "));
	ck_assert_ptr_nonnull(strstr(x->message, "ethertype 0x7007 and others not decoded (4 packets)"));
	kf_result_free(&r);
}
END_TEST

START_TEST(t_unsupported_link_type_warning)
{
	struct pcap_w w;
	pw_open(&w, 127); /* DLT_IEEE802_11_RADIO */
	struct fb b = { .n = 0 };
	b32(&b, 0);
	for (int i = 0; i < 3; i++)
		pw_packet(&w, &b);
	struct kf_result r;
	analyze(&w, &r);
	ck_assert_uint_eq(r.n_messages, 0);
	const struct kf_warning *x = warning(&r, "unsupported-linktype");
	ck_assert_ptr_nonnull(x);
	ck_assert_str_eq(x->message, "link type IEEE802_11_RADIO (127) is not decoded: 3 packets ignored");
	/* the text report says it under the message count, not only at the end */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_int_eq(kf_report_text(&r, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(
		strstr(text, "Authentication messages: 0; 0 stories\n"
			     "  but: link type IEEE802_11_RADIO (127) is not decoded: 3 packets ignored\n"));
	free(text);
	kf_result_free(&r);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("encap");
	TCase *tc = tcase_create("decoded");
	tcase_add_loop_test(tc, t_wrapped_kerberos, 0, N_WRAPS);
	tcase_add_test(tc, t_nesting_to_the_cap);
	suite_add_tcase(s, tc);
	tc = tcase_create("bad");
	tcase_add_test(tc, t_mpls_without_bottom_of_stack);
	tcase_add_test(tc, t_truncated_headers);
	suite_add_tcase(s, tc);
	tc = tcase_create("warnings");
	tcase_add_test(tc, t_l3_kinds);
	tcase_add_test(tc, t_undecoded_ethertype_warning);
	tcase_add_test(tc, t_undecoded_kinds_capped);
	tcase_add_test(tc, t_unsupported_link_type_warning);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run_in_dir(suite, "encap", dir, sizeof dir); }
