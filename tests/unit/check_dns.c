/* check_dns.c - DNS messages: header, question, A/AAAA/CNAME answers and
 * bounded name decompression (decoders/dns.c; RFC 1035 §4.1, RFC 3596). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "testutil.h"

static bool has_event(const struct kf_events *ev, enum kf_event e)
{
	for (uint8_t i = 0; i < ev->n; i++)
		if (ev->ev[i] == e)
			return true;
	return false;
}

/* Decode bytes copied into an exact-size heap buffer (ASan sees overreads). */
static bool decode_exact(const uint8_t *p, size_t n, struct kf_dns_msg *m, struct kf_events *ev)
{
	uint8_t *buf = malloc(n ? n : 1);
	memcpy(buf, p, n);
	bool ok = kf_dns_decode(kf_span_make(buf, n), m, ev);
	free(buf);
	return ok;
}

/* ---------------------------------------------------------------- valid */

struct ans {
	uint16_t type;
	uint32_t ttl;
	const char *name, *data;
};

struct valid {
	const char *name;
	const char *hex;
	uint16_t id;
	bool response;
	uint8_t rcode;
	const char *qname;
	uint16_t qtype;
	uint8_t n_answers;
	struct ans a[3];
	size_t used; /* bytes the decoder reads (0: all) */
};

static const struct valid valid[] = {
	/* samples/web-cname-canon.pcap (dnsmasq answering curl's getaddrinfo), udp.payload via tshark */
	{ "real-query-a",
	  "e8250100000100000000000003777777036c616204746573740000010001",
	  0xe825,
	  false,
	  0,
	  "www.lab.test",
	  1,
	  0,
	  { { 0, 0, NULL, NULL } },
	  0 },
	{ "real-cname+a",
	  "e8258580000100020000000003777777036c616204746573740000010001c00c0005000100000000000e03776562036c6162"
	  "047465737400c02a000100010000000000040a580014",
	  0xe825,
	  true,
	  0,
	  "www.lab.test",
	  1,
	  2,
	  { { KF_DNS_CNAME, 0, "www.lab.test", "web.lab.test" },
	    { KF_DNS_A, 0, "web.lab.test", "10.88.0.20" } },
	  0 },
	{ "real-aaaa-cname-only",
	  "eaaa8580000100010000000003777777036c6162047465737400001c0001c00c0005000100000000000e03776562036c6162"
	  "047465737400",
	  0xeaaa,
	  true,
	  0,
	  "www.lab.test",
	  28,
	  1,
	  { { KF_DNS_CNAME, 0, "www.lab.test", "web.lab.test" } },
	  0 },
	/* synthetic */
	{ "aaaa",
	  "1234 8180 0001 0001 0000 0000 03776562 036c6162 0474657374 00 001c 0001"
	  " c00c 001c 0001 00000e10 0010 fd880000000000000000000000000020",
	  0x1234,
	  true,
	  0,
	  "web.lab.test",
	  28,
	  1,
	  { { KF_DNS_AAAA, 3600, "web.lab.test", "fd88::20" } },
	  0 },
	{ "root-ns",
	  "0000 0100 0001 0000 0000 0000 00 0002 0001",
	  0,
	  false,
	  0,
	  ".",
	  2,
	  0,
	  { { 0, 0, NULL, NULL } },
	  0 },
	{ "escapes",
	  "0001 0000 0001 0000 0000 0000 03612e62 0420ff5c41 00 0001 0001",
	  1,
	  false,
	  0,
	  "a\\.b.\\032\\255\\\\A",
	  1,
	  0,
	  { { 0, 0, NULL, NULL } },
	  0 },
	{ "nxdomain",
	  "beef 8183 0001 0000 0000 0000 01 78 00 0001 0001",
	  0xbeef,
	  true,
	  3,
	  "x",
	  1,
	  0,
	  { { 0, 0, NULL, NULL } },
	  0 },
	{ "skip-mx-ch-keep-mdns-a",
	  "0000 8400 0001 0003 0000 0000 01 78 00 00ff 0001"
	  " c00c 000f 0001 00000000 0004 0001 c00c"
	  " c00c 0001 8001 0000003c 0004 c0a80001"
	  " c00c 0001 0003 0000003c 0004 01020304",
	  0,
	  true,
	  0,
	  "x",
	  255,
	  1,
	  { { KF_DNS_A, 60, "x", "192.168.0.1" } },
	  0 },
	{ "uncompressed-cname",
	  "0007 8180 0001 0001 0000 0000 01 61 00 0001 0001"
	  " 01 61 00 0005 0001 00000001 0005 01 62 01 63 00",
	  7,
	  true,
	  0,
	  "a",
	  1,
	  1,
	  { { KF_DNS_CNAME, 1, "a", "b.c" } },
	  0 },
	{ "cname-target-compressed-suffix",
	  "0008 8180 0001 0001 0000 0000 03777777 036c6162 0474657374 00 0001 0001"
	  " c00c 0005 0001 00000001 0006 03776562 c010",
	  8,
	  true,
	  0,
	  "www.lab.test",
	  1,
	  1,
	  { { KF_DNS_CNAME, 1, "www.lab.test", "web.lab.test" } },
	  0 },
	/* an UPDATE (RFC 2136): zone as the question, prerequisites/updates are not answers */
	{ "update-not-read",
	  "000a 2800 0001 0001 0000 0000 01 7a 00 0006 0001 01 68 c00c 0001 0001 00000001 0004 0a000001",
	  10,
	  false,
	  0,
	  "z",
	  6,
	  0,
	  { { 0, 0, NULL, NULL } },
	  19 },
	{ "two-questions",
	  "0009 0100 0002 0000 0000 0000 01 61 00 0001 0001 01 62 00 001c 0001",
	  9,
	  false,
	  0,
	  "a",
	  1,
	  0,
	  { { 0, 0, NULL, NULL } },
	  0 },
};
#define N_VALID (sizeof valid / sizeof valid[0])

START_TEST(t_valid)
{
	const struct valid *v = &valid[_i];
	uint8_t raw[512];
	size_t n = kf_test_hex(v->hex, raw, sizeof raw);
	struct kf_dns_msg m;
	struct kf_events ev = { 0 };
	ck_assert_msg(decode_exact(raw, n, &m, &ev), "%s", v->name);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_uint_eq(m.id, v->id);
	ck_assert(m.response == v->response);
	ck_assert_uint_eq(m.rcode, v->rcode);
	ck_assert_uint_eq(m.opcode, v->used ? 5 : 0);
	ck_assert(m.has_question);
	ck_assert_str_eq(m.qname, v->qname);
	ck_assert_uint_eq(m.qtype, v->qtype);
	ck_assert_uint_eq(m.n_answers, v->n_answers);
	ck_assert(!m.answers_truncated);
	for (unsigned i = 0; i < v->n_answers; i++) {
		ck_assert_uint_eq(m.answers[i].type, v->a[i].type);
		ck_assert_uint_eq(m.answers[i].ttl, v->a[i].ttl);
		ck_assert_str_eq(m.answers[i].name, v->a[i].name);
		ck_assert_str_eq(m.answers[i].data, v->a[i].data);
	}
}
END_TEST

/* Every prefix of a valid vector shorter than what the decoder reads fails,
 * in an exact-size buffer, with an event and never a crash; longer ones
 * decode. */
START_TEST(t_truncation)
{
	const struct valid *v = &valid[_i];
	uint8_t raw[512];
	size_t n = kf_test_hex(v->hex, raw, sizeof raw);
	size_t used = v->used ? v->used : n;
	for (size_t k = 0; k < n; k++) {
		struct kf_dns_msg m;
		struct kf_events ev = { 0 };
		bool ok = decode_exact(raw, k, &m, &ev);
		ck_assert_msg(ok == (k >= used), "%s: prefix %zu: %d", v->name, k, ok);
		ck_assert_msg(ok || has_event(&ev, KF_EV_DNS_MALFORMED), "%s: prefix %zu", v->name, k);
	}
}
END_TEST

/* ------------------------------------------------------------- malformed */

struct bad {
	const char *name;
	const char *hex;
	enum kf_event ev;
};

#define HDR_Q1 "abcd 0100 0001 0000 0000 0000 "
#define HDR_R1 "abcd 8180 0001 0001 0000 0000 01 78 00 0001 0001 "

static const struct bad bad[] = {
	{ "empty", "", KF_EV_DNS_MALFORMED },
	{ "short-header", "1234 0100 0001 0000 0000", KF_EV_DNS_MALFORMED },
	{ "qname-cut", HDR_Q1 "03 7777", KF_EV_DNS_MALFORMED },
	{ "qname-no-root", HDR_Q1 "01 78", KF_EV_DNS_MALFORMED },
	{ "no-qtype", HDR_Q1 "01 78 00", KF_EV_DNS_MALFORMED },
	{ "qclass-cut", HDR_Q1 "01 78 00 0001 00", KF_EV_DNS_MALFORMED },
	{ "ptr-out-of-range", HDR_Q1 "c0ff 0001 0001", KF_EV_DNS_MALFORMED },
	{ "ptr-cut", HDR_Q1 "c0", KF_EV_DNS_MALFORMED },
	{ "ptr-self-loop", HDR_Q1 "c00c 0001 0001", KF_EV_DNS_NAME_LOOP },
	{ "ptr-two-loop", HDR_Q1 "c012 0001 0001 c00c", KF_EV_DNS_NAME_LOOP },
	{ "ptr-label-loop", HDR_Q1 "01 61 c00c 0001 0001", KF_EV_DNS_NAME_LOOP },
	{ "label-type-01", HDR_Q1 "41 00 0001 0001", KF_EV_DNS_MALFORMED },
	{ "label-type-10", HDR_Q1 "81 00 0001 0001", KF_EV_DNS_MALFORMED },
	{ "qdcount-2-one-question", "abcd 0100 0002 0000 0000 0000 01 78 00 0001 0001", KF_EV_DNS_MALFORMED },
	{ "ancount-no-answer", HDR_R1, KF_EV_DNS_MALFORMED },
	{ "ttl-cut", HDR_R1 "c00c 0001 0001 0000", KF_EV_DNS_MALFORMED },
	{ "rdlen-beyond", HDR_R1 "c00c 0001 0001 00000001 0004 0a00", KF_EV_DNS_MALFORMED },
	{ "a-rdlen-5", HDR_R1 "c00c 0001 0001 00000001 0005 0a000001 00", KF_EV_DNS_MALFORMED },
	{ "a-rdlen-0", HDR_R1 "c00c 0001 0001 00000001 0000", KF_EV_DNS_MALFORMED },
	{ "aaaa-rdlen-4", HDR_R1 "c00c 001c 0001 00000001 0004 0a000001", KF_EV_DNS_MALFORMED },
	{ "cname-trailing", HDR_R1 "c00c 0005 0001 00000001 0004 01 79 00 ff", KF_EV_DNS_MALFORMED },
	{ "cname-name-past-rdata", HDR_R1 "c00c 0005 0001 00000001 0002 03 77 6565 00", KF_EV_DNS_MALFORMED },
	{ "cname-loop", HDR_R1 "c00c 0005 0001 00000001 0002 c01f", KF_EV_DNS_NAME_LOOP },
	{ "answer-name-bad", HDR_R1 "c1ff 0001 0001 00000001 0004 0a000001", KF_EV_DNS_MALFORMED },
};
#define N_BAD (sizeof bad / sizeof bad[0])

START_TEST(t_bad)
{
	const struct bad *b = &bad[_i];
	uint8_t raw[512];
	size_t n = kf_test_hex(b->hex, raw, sizeof raw);
	struct kf_dns_msg m;
	struct kf_events ev = { 0 };
	ck_assert_msg(!decode_exact(raw, n, &m, &ev), "%s decoded", b->name);
	ck_assert_msg(ev.n == 1 && ev.ev[0] == b->ev, "%s: %u events, first %s", b->name, ev.n,
		      ev.n ? kf_event_code(ev.ev[0]) : "-");
	for (size_t k = 0; k < n; k++) {
		kf_events_clear(&ev);
		ck_assert(!decode_exact(raw, k, &m, &ev));
		ck_assert_uint_eq(ev.n, 1);
	}
}
END_TEST

/* A question name reached through a chain of `hops` pointers. */
static size_t build_chain(uint8_t *buf, size_t cap, unsigned hops)
{
	size_t n = 0;
	static const uint8_t hdr[12] = { 0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	ck_assert(cap >= 12 + 6 + 2 * hops + 5);
	memcpy(buf, hdr, 12);
	n = 12;
	/* question at 12: pointer to 18, type A, class IN */
	buf[n++] = 0xc0;
	buf[n++] = 18;
	buf[n++] = 0;
	buf[n++] = 1;
	buf[n++] = 0;
	buf[n++] = 1;
	for (unsigned i = 1; i < hops; i++) { /* each points at the next */
		size_t next = n + 2;
		buf[n++] = (uint8_t)(0xc0 | next >> 8);
		buf[n++] = (uint8_t)next;
	}
	memcpy(buf + n,
	       "\x03"
	       "end"
	       "\x00",
	       5);
	return n + 5;
}

START_TEST(t_pointer_cap)
{
	uint8_t buf[256];
	struct kf_dns_msg m;
	struct kf_events ev = { 0 };
	size_t n = build_chain(buf, sizeof buf, KF_LIMIT_DNS_POINTERS);
	ck_assert(decode_exact(buf, n, &m, &ev));
	ck_assert_str_eq(m.qname, "end");
	ck_assert_uint_eq(ev.n, 0);
	n = build_chain(buf, sizeof buf, KF_LIMIT_DNS_POINTERS + 1);
	ck_assert(!decode_exact(buf, n, &m, &ev));
	ck_assert(has_event(&ev, KF_EV_DNS_NAME_LOOP));
}
END_TEST

/* Names: 255 wire octets at most; printed form must fit KF_LIMIT_DNS_NAME. */
START_TEST(t_name_lengths)
{
	uint8_t buf[600];
	struct kf_dns_msg m;
	struct kf_events ev = { 0 };
	static const uint8_t hdr[12] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0 };

	/* 3 labels of 63 + one of 61: 4*64 - 2 + 1 = 255 octets, printed 253 chars */
	size_t n = 12;
	memcpy(buf, hdr, 12);
	for (int l = 0; l < 4; l++) {
		uint8_t len = l < 3 ? 63 : 61;
		buf[n++] = len;
		memset(buf + n, 'a' + l, len);
		n += len;
	}
	buf[n++] = 0;
	memcpy(buf + n, "\x00\x01\x00\x01", 4);
	n += 4;
	ck_assert(decode_exact(buf, n, &m, &ev));
	ck_assert_uint_eq(strlen(m.qname), 253);

	/* one more octet in the last label: 256 octets */
	n = 12 + 3 * 64;
	buf[n++] = 62;
	memset(buf + n, 'd', 62);
	n += 62;
	buf[n++] = 0;
	memcpy(buf + n, "\x00\x01\x00\x01", 4);
	n += 4;
	ck_assert(!decode_exact(buf, n, &m, &ev));
	ck_assert(has_event(&ev, KF_EV_DNS_MALFORMED));

	/* short on the wire, too long printed: 2 labels of 63 control bytes (\001 each) */
	kf_events_clear(&ev);
	n = 12;
	for (int l = 0; l < 2; l++) {
		buf[n++] = 63;
		memset(buf + n, 1, 63);
		n += 63;
	}
	buf[n++] = 0;
	memcpy(buf + n, "\x00\x01\x00\x01", 4);
	n += 4;
	ck_assert(!decode_exact(buf, n, &m, &ev));
	ck_assert(has_event(&ev, KF_EV_DNS_MALFORMED));
}
END_TEST

/* More answers than KF_LIMIT_DNS_ANSWERS: the first ones kept, flag set. */
START_TEST(t_many_answers)
{
	uint8_t buf[1024];
	unsigned count = KF_LIMIT_DNS_ANSWERS + 4;
	size_t n = kf_test_hex("0042 8180 0001 0000 0000 0000 01 78 00 0001 0001", buf, sizeof buf);
	buf[6] = 0;
	buf[7] = (uint8_t)count;
	for (unsigned i = 0; i < count; i++) {
		static const uint8_t rr[12] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4 };
		memcpy(buf + n, rr, sizeof rr);
		n += sizeof rr;
		buf[n++] = 10;
		buf[n++] = 0;
		buf[n++] = 0;
		buf[n++] = (uint8_t)i;
	}
	struct kf_dns_msg m;
	struct kf_events ev = { 0 };
	ck_assert(decode_exact(buf, n, &m, &ev));
	ck_assert_uint_eq(m.n_answers, KF_LIMIT_DNS_ANSWERS);
	ck_assert(m.answers_truncated);
	ck_assert_str_eq(m.answers[0].data, "10.0.0.0");
	ck_assert_str_eq(m.answers[KF_LIMIT_DNS_ANSWERS - 1].data, "10.0.0.15");
	ck_assert_uint_eq(ev.n, 0);
}
END_TEST

/* Any byte may be anything: flip every byte of a real response to a few
 * values; decoding must terminate without overreads. */
START_TEST(t_mutations)
{
	uint8_t raw[512];
	size_t n = kf_test_hex(valid[1].hex, raw, sizeof raw);
	static const uint8_t vals[] = { 0x00, 0x01, 0x3f, 0x40, 0x80, 0xc0, 0xc0 | 0x0c, 0xff };
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < sizeof vals; j++) {
			uint8_t save = raw[i];
			raw[i] = vals[j];
			struct kf_dns_msg m;
			struct kf_events ev = { 0 };
			bool ok = decode_exact(raw, n, &m, &ev);
			ck_assert(ok || ev.n == 1);
			if (ok) {
				ck_assert(memchr(m.qname, 0, sizeof m.qname) != NULL);
				for (unsigned a = 0; a < m.n_answers; a++)
					ck_assert(memchr(m.answers[a].data, 0, sizeof m.answers[a].data) !=
						  NULL);
			}
			raw[i] = save;
		}
	}
}
END_TEST

/* GSS-TSIG (RFC 3645): a TKEY query whose additional section carries the
 * token, and the same record cut, or with a key size past its RDATA. */
static size_t build_tkey(uint8_t *b, uint16_t key_size, uint16_t rdlen_adjust)
{
	static const uint8_t head[] = {
		0x12, 0x34, 0x00, 0x00, 0,    1,    0,    0,    0,    0, 0, 1, /* query, QD 1, AR 1 */
		3,    'k',  'e',  'y',  0,    0x00, 0xf9, 0x00, 0xff,          /* key. TKEY ANY */
		0xc0, 0x0c, 0x00, 0xf9, 0x00, 0xff, 0,    0,    0,    0,       /* key. TKEY ANY TTL 0 */
	};
	static const uint8_t alg[] = { 8, 'g', 's', 's', '-', 't', 's', 'i', 'g', 0 };
	size_t n = 0;
	memcpy(b, head, sizeof head);
	n = sizeof head;
	size_t rdlen = sizeof alg + 4 + 4 + 2 + 2 + 2 + 5 + 2;
	b[n++] = (uint8_t)((rdlen + rdlen_adjust) >> 8);
	b[n++] = (uint8_t)(rdlen + rdlen_adjust);
	memcpy(b + n, alg, sizeof alg);
	n += sizeof alg;
	memset(b + n, 0, 8); /* inception, expiration */
	n += 8;
	b[n++] = 0, b[n++] = 3; /* mode 3: GSS-API negotiation */
	b[n++] = 0, b[n++] = 0; /* error */
	b[n++] = (uint8_t)(key_size >> 8), b[n++] = (uint8_t)key_size;
	memcpy(b + n, "\x60\x03\x06\x01\x00", 5); /* the key data: a token's first bytes */
	n += 5;
	b[n++] = 0, b[n++] = 0; /* other size */
	return n;
}

START_TEST(t_tkey)
{
	uint8_t b[128];
	size_t n = build_tkey(b, 5, 0);
	struct kf_dns_msg m;
	struct kf_events ev = { 0 };
	uint8_t *buf = malloc(n);
	memcpy(buf, b, n);
	ck_assert(kf_dns_decode(kf_span_make(buf, n), &m, &ev));
	ck_assert(m.has_tkey);
	ck_assert_uint_eq(m.tkey_mode, KF_DNS_TKEY_MODE_GSSAPI);
	ck_assert_str_eq(m.tkey_algorithm, "gss-tsig");
	ck_assert_uint_eq(m.tkey_key.n, 5);
	ck_assert(m.tkey_key.p >= buf && m.tkey_key.p + 5 <= buf + n);
	ck_assert_uint_eq(m.tkey_key.p[0], 0x60);
	ck_assert_uint_eq(ev.n, 0);
	free(buf);
	/* every prefix is refused, none reads past its end */
	for (size_t k = 12; k < n; k++) {
		struct kf_events e2 = { 0 };
		ck_assert_msg(!decode_exact(b, k, &m, &e2) || !m.has_tkey, "prefix %zu", k);
	}
	/* a key size past the RDATA, and an RDATA longer than its fields */
	struct kf_events e3 = { 0 };
	n = build_tkey(b, 200, 0);
	ck_assert(!decode_exact(b, n, &m, &e3));
	ck_assert(has_event(&e3, KF_EV_DNS_MALFORMED));
	n = build_tkey(b, 5, 3);
	b[n++] = 0, b[n++] = 0, b[n++] = 0;
	ck_assert(!decode_exact(b, n, &m, &e3));
}
END_TEST

/* GSS-TSIG (RFC 3645 §2.2, RFC 8945): a secure dynamic UPDATE signed by a
 * TSIG whose MAC is a GSS MIC token; the TSIG must be the last record. */
static const uint8_t mic_4121[] = { 0x04, 0x04, 0x04, 0xff, 0xff, 0xff, 0xff, 0xff,
				    0x00, 0x00, 0x00, 0x00, 0x76, 0xfb, 0xc2, 0x04 };
static size_t build_tsig_update(uint8_t *b, uint16_t mac_size, uint16_t arcount)
{
	static const uint8_t head[] = {
		0x56, 0x78, 0x28, 0x00, 0,    1,    0,    0,    0,    1, 0, 0, /* UPDATE, ZO 1, UP 1, AR set below */
		3,    'l',  'a',  'b',  0,    0x00, 0x06, 0x00, 0x01,          /* zone lab. SOA IN */
		1,    'h',  0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0,    0, 0, 60, 0,
		4,    10,   0,    0,    1, /* h.lab. A */
	};
	static const uint8_t alg[] = { 8, 'g', 's', 's', '-', 't', 's', 'i', 'g', 0 };
	memcpy(b, head, sizeof head);
	b[11] = (uint8_t)arcount;
	size_t n = sizeof head;
	for (uint16_t r = 1; r < arcount; r++) { /* records before the TSIG: OPT-like, empty */
		static const uint8_t opt[] = { 0, 0x00, 0x29, 0x10, 0x00, 0, 0, 0, 0, 0, 0 };
		memcpy(b + n, opt, sizeof opt);
		n += sizeof opt;
	}
	memcpy(b + n, "\x04key1\xc0\x0c\x00\xfa\x00\xff\x00\x00\x00\x00", 15); /* key1.lab. TSIG ANY TTL 0 */
	n += 15;
	size_t rdlen = sizeof alg + 6 + 2 + 2 + sizeof mic_4121 + 2 + 2 + 2;
	b[n++] = (uint8_t)(rdlen >> 8), b[n++] = (uint8_t)rdlen;
	memcpy(b + n, alg, sizeof alg);
	n += sizeof alg;
	memset(b + n, 0, 8); /* time signed, fudge */
	n += 8;
	b[n++] = (uint8_t)(mac_size >> 8), b[n++] = (uint8_t)mac_size;
	memcpy(b + n, mic_4121, sizeof mic_4121);
	n += sizeof mic_4121;
	b[n++] = 0x56, b[n++] = 0x78; /* original ID */
	b[n++] = 0, b[n++] = 0;       /* error */
	b[n++] = 0, b[n++] = 0;       /* other len */
	return n;
}

START_TEST(t_tsig)
{
	uint8_t b[192];
	size_t n = build_tsig_update(b, sizeof mic_4121, 1);
	struct kf_dns_msg m;
	struct kf_events ev = { 0 };
	ck_assert(decode_exact(b, n, &m, &ev));
	ck_assert_uint_eq(m.opcode, 5);
	ck_assert(m.has_tsig);
	ck_assert_str_eq(m.tsig_algorithm, "gss-tsig");
	ck_assert_uint_eq(m.tsig_mac.n, sizeof mic_4121);
	ck_assert_uint_eq(ev.n, 0);
	/* after another additional record it is still the last one */
	n = build_tsig_update(b, sizeof mic_4121, 2);
	ck_assert(decode_exact(b, n, &m, &ev));
	ck_assert(m.has_tsig);
	/* a MAC size past the RDATA: no TSIG, the message is still read */
	n = build_tsig_update(b, 0xffff, 1);
	ck_assert(decode_exact(b, n, &m, &ev));
	ck_assert(!m.has_tsig);
	n = build_tsig_update(b, sizeof mic_4121 + 1, 1);
	ck_assert(decode_exact(b, n, &m, &ev));
	ck_assert(!m.has_tsig);
	/* a TSIG that is not last is not the message's signature */
	n = build_tsig_update(b, sizeof mic_4121, 1);
	b[11] = 2;
	ck_assert(decode_exact(b, n, &m, &ev));
	ck_assert(!m.has_tsig);
	/* every prefix: no read past its end, never a TSIG */
	n = build_tsig_update(b, sizeof mic_4121, 1);
	for (size_t k = 0; k < n; k++) {
		struct kf_events e2 = { 0 };
		(void)decode_exact(b, k, &m, &e2);
		ck_assert_msg(!m.has_tsig, "prefix %zu", k);
	}
}
END_TEST

static Suite *dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("dns");
	tcase_add_loop_test(tc, t_valid, 0, N_VALID);
	tcase_add_loop_test(tc, t_truncation, 0, N_VALID);
	tcase_add_loop_test(tc, t_bad, 0, N_BAD);
	tcase_add_test(tc, t_pointer_cap);
	tcase_add_test(tc, t_name_lengths);
	tcase_add_test(tc, t_many_answers);
	tcase_add_test(tc, t_mutations);
	tcase_add_test(tc, t_tkey);
	tcase_add_test(tc, t_tsig);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(dns_suite()); }
