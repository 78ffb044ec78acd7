/* check_analyze.c - the whole pipeline on captures written by the test:
 * Kerberos messages encoded by libkrb5's own encoders, carried over UDP,
 * TCP (split, reordered, retransmitted), IP fragments, IPv6 and tunnels. */
#include <check.h>
#include <krb5/krb5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "analyzer.h"
#include "result.h"
#include "stories.h"

/* libkrb5's exported encoders (declared only in its private k5-int.h). */
krb5_error_code encode_krb5_as_req(const krb5_kdc_req *, krb5_data **);
krb5_error_code encode_krb5_tgs_req(const krb5_kdc_req *, krb5_data **);
krb5_error_code encode_krb5_as_rep(const krb5_kdc_rep *, krb5_data **);
krb5_error_code encode_krb5_error(const krb5_error *, krb5_data **);

/* The frame of a message's reply / request, 0 when it has none. */
static uint64_t reply_frame(const struct kf_result *r, const struct kf_message *m)
{
	const struct kf_message *o = kf_msg_reply(r, m);
	return o ? o->frame : 0;
}

static uint64_t request_frame(const struct kf_result *r, const struct kf_message *m)
{
	const struct kf_message *o = kf_msg_request(r, m);
	return o ? o->frame : 0;
}

static krb5_context kctx;

/* ---- Kerberos messages ---- */

static krb5_data *as_req(const char *client, uint32_t nonce)
{
	static krb5_enctype etypes[] = { 18, 17 };
	krb5_kdc_req r;
	memset(&r, 0, sizeof r);
	r.msg_type = KRB5_AS_REQ;
	r.kdc_options = 0x40810010; /* forwardable, renewable, canonicalize, renewable-ok */
	ck_assert_int_eq(krb5_parse_name(kctx, client, &r.client), 0);
	ck_assert_int_eq(krb5_parse_name(kctx, "krbtgt/LAB.TEST@LAB.TEST", &r.server), 0);
	r.till = 2000000000;
	r.nonce = (krb5_int32)nonce;
	r.nktypes = 2;
	r.ktype = etypes;
	krb5_data *out;
	ck_assert_int_eq(encode_krb5_as_req(&r, &out), 0);
	krb5_free_principal(kctx, r.client);
	krb5_free_principal(kctx, r.server);
	return out;
}

static krb5_data *krb_error(int code, const char *client)
{
	krb5_error e;
	memset(&e, 0, sizeof e);
	e.stime = 1700000000;
	e.susec = 123456;
	e.error = (krb5_ui_4)code;
	ck_assert_int_eq(krb5_parse_name(kctx, client, &e.client), 0);
	ck_assert_int_eq(krb5_parse_name(kctx, "krbtgt/LAB.TEST@LAB.TEST", &e.server), 0);
	krb5_data *out;
	ck_assert_int_eq(encode_krb5_error(&e, &out), 0);
	krb5_free_principal(kctx, e.client);
	krb5_free_principal(kctx, e.server);
	return out;
}

/* An AS-REP whose ticket and enc-part hold `cipher_len` bytes each (a big
 * PAC makes real tickets this large). */
static krb5_data *as_rep(const char *client, size_t cipher_len)
{
	krb5_ticket t;
	krb5_kdc_rep r;
	memset(&t, 0, sizeof t);
	memset(&r, 0, sizeof r);
	ck_assert_int_eq(krb5_parse_name(kctx, "krbtgt/LAB.TEST@LAB.TEST", &t.server), 0);
	t.enc_part.enctype = 18;
	t.enc_part.kvno = 7;
	t.enc_part.ciphertext.length = (unsigned)cipher_len;
	t.enc_part.ciphertext.data = calloc(1, cipher_len);
	r.msg_type = KRB5_AS_REP;
	ck_assert_int_eq(krb5_parse_name(kctx, client, &r.client), 0);
	r.ticket = &t;
	r.enc_part.enctype = 18;
	r.enc_part.ciphertext.length = 64;
	r.enc_part.ciphertext.data = calloc(1, 64);
	krb5_data *out;
	ck_assert_int_eq(encode_krb5_as_rep(&r, &out), 0);
	free(t.enc_part.ciphertext.data);
	free(r.enc_part.ciphertext.data);
	krb5_free_principal(kctx, t.server);
	krb5_free_principal(kctx, r.client);
	return out;
}

/* ---- a pcap writer ---- */

struct pcap_w {
	FILE *f;
	uint32_t t; /* microseconds since the start */
	char path[64];
};

static void pw_open(struct pcap_w *w, int linktype)
{
	strcpy(w->path, "/tmp/kf-analyze-XXXXXX");
	int fd = mkstemp(w->path);
	ck_assert_int_ge(fd, 0);
	w->f = fdopen(fd, "wb");
	uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 262144, (uint32_t)linktype };
	fwrite(hdr, 4, 6, w->f);
	w->t = 0;
}

static void pw_packet(struct pcap_w *w, const uint8_t *p, size_t n)
{
	w->t += 1000;
	uint32_t rec[4] = { 1700000000 + w->t / 1000000, w->t % 1000000, (uint32_t)n, (uint32_t)n };
	fwrite(rec, 4, 4, w->f);
	fwrite(p, 1, n, w->f);
}

static void pw_close(struct pcap_w *w) { fclose(w->f); }

static size_t put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return 2;
}

static size_t put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
	return 4;
}

static size_t ether(uint8_t *p, uint16_t type)
{
	memset(p, 0x02, 12);
	return 12 + put16(p + 12, type);
}

/* IPv4 header for hosts 10.88.0.a → 10.88.0.b. */
static size_t ipv4(uint8_t *p, uint8_t a, uint8_t b, uint8_t proto, size_t payload, uint16_t id,
		   uint16_t frag)
{
	p[0] = 0x45;
	p[1] = 0;
	put16(p + 2, (uint16_t)(20 + payload));
	put16(p + 4, id);
	put16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	put16(p + 10, 0);
	uint8_t src[4] = { 10, 88, 0, a }, dst[4] = { 10, 88, 0, b };
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	return 20;
}

static size_t udp(uint8_t *p, uint16_t sp, uint16_t dp, size_t payload)
{
	put16(p, sp);
	put16(p + 2, dp);
	put16(p + 4, (uint16_t)(8 + payload));
	put16(p + 6, 0);
	return 8;
}

static size_t tcp(uint8_t *p, uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack, uint8_t flags)
{
	put16(p, sp);
	put16(p + 2, dp);
	put32(p + 4, seq);
	put32(p + 8, ack);
	p[12] = 0x50;
	p[13] = flags;
	put16(p + 14, 65535);
	put32(p + 16, 0);
	return 20;
}

static uint8_t pkt[70000];

static void udp_msg(struct pcap_w *w, uint8_t a, uint8_t b, uint16_t sp, uint16_t dp, const krb5_data *d)
{
	size_t n = ether(pkt, 0x0800);
	n += ipv4(pkt + n, a, b, 17, 8 + d->length, 1, 0x4000);
	n += udp(pkt + n, sp, dp, d->length);
	memcpy(pkt + n, d->data, d->length);
	pw_packet(w, pkt, n + d->length);
}

static void tcp_seg(struct pcap_w *w, uint8_t a, uint8_t b, uint16_t sp, uint16_t dp, uint32_t seq,
		    uint32_t ack, uint8_t flags, const uint8_t *data, size_t len)
{
	size_t n = ether(pkt, 0x0800);
	n += ipv4(pkt + n, a, b, 6, 20 + len, 1, 0x4000);
	n += tcp(pkt + n, sp, dp, seq, ack, flags);
	if (len)
		memcpy(pkt + n, data, len);
	pw_packet(w, pkt, n + len);
}

/* A Kerberos TCP record: 4-byte length then the message. */
static uint8_t *record(const krb5_data *d, size_t *len)
{
	uint8_t *r = malloc(4 + d->length);
	put32(r, d->length);
	memcpy(r + 4, d->data, d->length);
	*len = 4 + d->length;
	return r;
}

static void analyze(const char *path, const char *filter, struct kf_result *res)
{
	struct kf_config cfg = { .filter = filter };
	char err[256];
	ck_assert_int_eq(kf_analyze(path, &cfg, res, err, sizeof err), KF_OK);
}

static bool has_warning(const struct kf_result *r, const char *code)
{
	for (size_t i = 0; i < r->n_warnings; i++)
		if (strcmp(r->warnings[i].code, code) == 0)
			return true;
	return false;
}

/* ---- tests ---- */

START_TEST(t_udp_exchange_matched)
{
	struct pcap_w w;
	pw_open(&w, 1);
	krb5_data *req = as_req("alice@LAB.TEST", 111);
	krb5_data *err = krb_error(25, "alice@LAB.TEST");
	krb5_data *rep = as_rep("alice@LAB.TEST", 300);
	udp_msg(&w, 2, 1, 40000, 88, req);
	udp_msg(&w, 1, 2, 88, 40000, err);
	udp_msg(&w, 2, 1, 40001, 88, req);
	udp_msg(&w, 1, 2, 88, 40001, rep);
	pw_close(&w);

	struct kf_result r;
	analyze(w.path, NULL, &r);
	ck_assert_uint_eq(r.packets, 4);
	ck_assert_uint_eq(r.n_messages, 4);
	const struct kf_message *m = r.messages;
	ck_assert_int_eq(m[0].type, 10);
	ck_assert_uint_eq(m[0].frame, 1);
	ck_assert_uint_eq(reply_frame(&r, &m[0]), 2);
	ck_assert_str_eq(m[0].krb.cname, "alice");
	ck_assert_str_eq(m[0].krb.sname, "krbtgt/LAB.TEST");
	ck_assert_str_eq(m[0].krb.realm, "LAB.TEST");
	ck_assert_uint_eq(m[0].krb.nonce, 111);
	ck_assert_uint_eq(m[0].krb.n_etypes, 2);
	ck_assert_int_eq(m[0].krb.etypes[0], 18);
	ck_assert_uint_eq(m[0].krb.kdc_options, 0x40810010);
	ck_assert_int_eq(m[0].src.port, 40000);
	ck_assert_int_eq(m[0].dst.port, 88);
	ck_assert_int_eq(m[0].transport, KF_TRANSPORT_UDP);
	ck_assert_int_eq(m[1].type, 30);
	ck_assert_int_eq(m[1].krb.error_code, 25);
	ck_assert_uint_eq(request_frame(&r, &m[1]), 1);
	ck_assert_uint_eq(reply_frame(&r, &m[2]), 4);
	ck_assert_int_eq(m[3].type, 11);
	ck_assert_uint_eq(request_frame(&r, &m[3]), 3);
	for (uint32_t i = 0; i < 4; i++) /* ids in order of appearance, links by id */
		ck_assert_uint_eq(m[i].id, i + 1);
	ck_assert_uint_eq(m[0].reply_id, 2);
	ck_assert_uint_eq(m[1].request_id, 1);
	ck_assert_ptr_eq(kf_result_message(&r, 3), &m[2]);
	ck_assert_ptr_null(kf_result_message(&r, 0));
	ck_assert_ptr_null(kf_result_message(&r, 5));
	ck_assert_ptr_nonnull(m[3].krb.ticket);
	ck_assert_str_eq(m[3].krb.ticket->sname, "krbtgt/LAB.TEST");
	ck_assert_uint_eq(m[3].krb.ticket->kvno, 7);
	ck_assert_uint_eq(r.n_tevents, 0);
	ck_assert_uint_eq(r.n_warnings, 0);
	kf_result_free(&r);
	unlink(w.path);
	krb5_free_data(kctx, req);
	krb5_free_data(kctx, err);
	krb5_free_data(kctx, rep);
}
END_TEST

/* A 40 KB AS-REP over TCP in 1000-byte segments sent out of order, one
 * retransmitted; the request and a second request share one segment. */
START_TEST(t_tcp_big_record_reordered)
{
	struct pcap_w w;
	pw_open(&w, 1);
	krb5_data *req = as_req("bob@LAB.TEST", 5);
	krb5_data *rep = as_rep("bob@LAB.TEST", 40000);
	size_t qlen, plen;
	uint8_t *q = record(req, &qlen);
	uint8_t *p = record(rep, &plen);
	uint8_t two[4096];
	memcpy(two, q, qlen);
	memcpy(two + qlen, q, qlen);

	uint32_t cseq = 1000, sseq = 5000;
	tcp_seg(&w, 2, 1, 40100, 88, cseq, 0, 0x02, NULL, 0);                  /* 1 SYN */
	tcp_seg(&w, 1, 2, 88, 40100, sseq, cseq + 1, 0x12, NULL, 0);           /* 2 SYN-ACK */
	tcp_seg(&w, 2, 1, 40100, 88, cseq + 1, sseq + 1, 0x10, NULL, 0);       /* 3 ACK */
	tcp_seg(&w, 2, 1, 40100, 88, cseq + 1, sseq + 1, 0x18, two, 2 * qlen); /* 4: two requests */
	size_t nseg = (plen + 999) / 1000;
	/* order: 1, 0, 3, 2, 5, 4, ... then the first again */
	uint64_t frame = 4;
	for (size_t i = 0; i < nseg; i += 2) {
		for (int k = 1; k >= 0; k--) {
			size_t s = i + (size_t)k;
			if (s >= nseg)
				continue;
			size_t len = s == nseg - 1 ? plen - s * 1000 : 1000;
			tcp_seg(&w, 1, 2, 88, 40100, sseq + 1 + (uint32_t)(s * 1000),
				cseq + 1 + (uint32_t)(2 * qlen), 0x18, p + s * 1000, len);
			frame++;
		}
	}
	tcp_seg(&w, 1, 2, 88, 40100, sseq + 1, cseq + 1, 0x18, p, 1000); /* retransmission */
	pw_close(&w);

	struct kf_result r;
	analyze(w.path, NULL, &r);
	ck_assert_uint_eq(r.n_messages, 3);
	ck_assert_int_eq(r.messages[0].type, 10);
	ck_assert_int_eq(r.messages[1].type, 10);
	ck_assert_uint_eq(r.messages[0].frame, 4);
	ck_assert_uint_eq(r.messages[1].frame, 4);
	const struct kf_message *m = &r.messages[2];
	ck_assert_int_eq(m->type, 11);
	ck_assert(m->krb.complete);
	ck_assert_str_eq(m->krb.cname, "bob");
	ck_assert_ptr_nonnull(m->krb.ticket);
	ck_assert_uint_eq(m->krb.ticket->kvno, 7);
	ck_assert_int_eq(m->transport, KF_TRANSPORT_TCP);
	ck_assert_uint_eq(m->connection, 1);
	/* complete in the frame of the last missing segment: the last one sent
	 * before the retransmission, whether nseg is even or odd */
	ck_assert_uint_eq(m->frame, frame);
	ck_assert_uint_eq(m->first_frame, 6); /* segment 0 came second */
	ck_assert_uint_eq(request_frame(&r, m), 4);
	ck_assert_uint_eq(reply_frame(&r, &r.messages[0]), m->frame);
	/* the second request got no reply */
	ck_assert_uint_eq(r.n_tevents, 1);
	ck_assert_int_eq(r.tevents[0].kind, KF_TEV_TCP_NO_REPLY);
	ck_assert(!has_warning(&r, "tcp-gap"));
	kf_result_free(&r);
	unlink(w.path);
	free(q);
	free(p);
	krb5_free_data(kctx, req);
	krb5_free_data(kctx, rep);
}
END_TEST

START_TEST(t_truncated_capture_keeps_messages)
{
	struct pcap_w w;
	pw_open(&w, 1);
	krb5_data *req = as_req("carol@LAB.TEST", 9);
	udp_msg(&w, 2, 1, 40000, 88, req);
	udp_msg(&w, 2, 1, 40001, 88, req);
	udp_msg(&w, 2, 1, 40002, 88, req);
	long size = ftell(w.f);
	pw_close(&w);
	ck_assert_int_eq(truncate(w.path, size - 30), 0);

	struct kf_result r;
	analyze(w.path, NULL, &r);
	ck_assert(r.read_error);
	ck_assert_uint_eq(r.packets, 2);
	ck_assert_uint_eq(r.n_messages, 2);
	ck_assert(has_warning(&r, "truncated"));
	kf_result_free(&r);
	unlink(w.path);
	krb5_free_data(kctx, req);
}
END_TEST

START_TEST(t_filter_keeps_frame_numbers)
{
	struct pcap_w w;
	pw_open(&w, 1);
	krb5_data *req = as_req("dave@LAB.TEST", 1);
	udp_msg(&w, 2, 1, 40000, 88, req);
	udp_msg(&w, 3, 1, 40000, 88, req);
	udp_msg(&w, 2, 1, 40001, 88, req);
	pw_close(&w);
	struct kf_result r;
	analyze(w.path, "src host 10.88.0.2", &r);
	ck_assert_uint_eq(r.packets, 3);
	ck_assert_uint_eq(r.filtered_out, 1);
	ck_assert_uint_eq(r.n_messages, 2);
	ck_assert_uint_eq(r.messages[0].frame, 1);
	ck_assert_uint_eq(r.messages[1].frame, 3);
	kf_result_free(&r);
	unlink(w.path);
	krb5_free_data(kctx, req);
}
END_TEST

START_TEST(t_unanswered_requests)
{
	struct pcap_w w;
	pw_open(&w, 1);
	krb5_data *req = as_req("erin@LAB.TEST", 1);
	udp_msg(&w, 2, 1, 40000, 88, req); /* 1: never answered */
	for (int i = 0; i < 3; i++)        /* 2-4: SYNs, no answer */
		tcp_seg(&w, 2, 1, 40200, 88, 77, 0, 0x02, NULL, 0);
	tcp_seg(&w, 2, 1, 40300, 88, 10, 0, 0x02, NULL, 0); /* 5: SYN */
	tcp_seg(&w, 1, 2, 88, 40300, 0, 11, 0x14, NULL, 0); /* 6: RST-ACK */
	/* 7: ICMP port unreachable quoting a UDP datagram to port 88 */
	size_t n = ether(pkt, 0x0800);
	size_t icmp_len = 8 + 20 + 8;
	n += ipv4(pkt + n, 1, 2, 1, icmp_len, 2, 0);
	pkt[n] = 3;
	pkt[n + 1] = 3;
	memset(pkt + n + 2, 0, 6);
	size_t q = n + 8;
	q += ipv4(pkt + q, 2, 1, 17, 8 + 200, 3, 0);
	udp(pkt + q, 40400, 88, 200);
	pw_packet(&w, pkt, n + icmp_len);
	pw_close(&w);

	struct kf_result r;
	analyze(w.path, NULL, &r);
	ck_assert_uint_eq(r.n_tevents, 4);
	ck_assert_int_eq(r.tevents[0].kind, KF_TEV_UDP_NO_REPLY);
	ck_assert_uint_eq(r.tevents[0].frame, 1);
	ck_assert_int_eq(r.tevents[1].kind, KF_TEV_TCP_NO_ANSWER);
	ck_assert_uint_eq(r.tevents[1].frame, 2);
	ck_assert_uint_eq(r.tevents[1].count, 3);
	ck_assert_int_eq(r.tevents[2].kind, KF_TEV_TCP_RESET);
	ck_assert_uint_eq(r.tevents[2].frame, 6);
	ck_assert_int_eq(r.tevents[3].kind, KF_TEV_ICMP_UNREACHABLE);
	ck_assert_uint_eq(r.tevents[3].frame, 7);
	ck_assert_int_eq(r.tevents[3].dst.port, 88);
	ck_assert_int_eq(r.tevents[3].src.port, 40400);
	kf_result_free(&r);
	unlink(w.path);
	krb5_free_data(kctx, req);
}
END_TEST

/* A KDC's reply over krbflow's record cap is an answer (a message of its type
 * saying its length, the request matched), never an unanswered request; a
 * record whose first byte is not a Kerberos message tag gives only the
 * warning. */
START_TEST(t_record_over_cap_is_an_answer)
{
	struct pcap_w w;
	pw_open(&w, 1);
	krb5_data *req = as_req("fay@LAB.TEST", 9);
	size_t qlen;
	uint8_t *q = record(req, &qlen);
	uint32_t big = KF_LIMIT_KRB_RECORD + 5000;
	uint8_t head[5] = { (uint8_t)(big >> 24), (uint8_t)(big >> 16), (uint8_t)(big >> 8), (uint8_t)big,
			    0x6b };
	uint32_t cseq = 100, sseq = 900;
	tcp_seg(&w, 2, 1, 40500, 88, cseq, 0, 0x02, NULL, 0);                                 /* 1 SYN */
	tcp_seg(&w, 1, 2, 88, 40500, sseq, cseq + 1, 0x12, NULL, 0);                          /* 2 SYN-ACK */
	tcp_seg(&w, 2, 1, 40500, 88, cseq + 1, sseq + 1, 0x18, q, qlen);                      /* 3 AS-REQ */
	tcp_seg(&w, 1, 2, 88, 40500, sseq + 1, cseq + 1 + (uint32_t)qlen, 0x18, head, 4);     /* 4 mark */
	tcp_seg(&w, 1, 2, 88, 40500, sseq + 5, cseq + 1 + (uint32_t)qlen, 0x18, head + 4, 1); /* 5 tag */
	/* the near miss: a second connection whose huge "reply" is no Kerberos message */
	tcp_seg(&w, 2, 1, 40501, 88, cseq, 0, 0x02, NULL, 0);            /* 6 SYN */
	tcp_seg(&w, 1, 2, 88, 40501, sseq, cseq + 1, 0x12, NULL, 0);     /* 7 SYN-ACK */
	tcp_seg(&w, 2, 1, 40501, 88, cseq + 1, sseq + 1, 0x18, q, qlen); /* 8 AS-REQ */
	head[4] = 0x30;
	tcp_seg(&w, 1, 2, 88, 40501, sseq + 1, cseq + 1 + (uint32_t)qlen, 0x18, head, 5); /* 9 */
	pw_close(&w);

	struct kf_result r;
	analyze(w.path, NULL, &r);
	ck_assert_uint_eq(r.n_messages, 3);
	const struct kf_message *m = &r.messages[1];
	ck_assert_int_eq(m->type, KF_KRB_AS_REP);
	ck_assert_uint_eq(m->krb_record_over_cap, big);
	ck_assert_uint_eq(m->first_frame, 4); /* where its mark was */
	ck_assert_uint_eq(request_frame(&r, m), 3);
	ck_assert_uint_eq(m->tcp_stream, 0);
	ck_assert_int_eq(r.messages[2].type, KF_KRB_AS_REQ);
	ck_assert_uint_eq(r.messages[2].krb_record_over_cap, 0);
	ck_assert_uint_eq(r.messages[2].tcp_stream, 1);
	/* only the second request is unanswered */
	ck_assert_uint_eq(r.n_tevents, 1);
	ck_assert_int_eq(r.tevents[0].kind, KF_TEV_TCP_NO_REPLY);
	ck_assert_uint_eq(r.tevents[0].frame, 8);
	ck_assert(r.tevents[0].has_tcp_stream);
	ck_assert_uint_eq(r.tevents[0].tcp_stream, 1);
	ck_assert(has_warning(&r, "krb-record-too-big"));
	kf_result_free(&r);

	/* a filter that drops the first connection: its stream still counts */
	analyze(w.path, "tcp port 40501", &r);
	ck_assert_uint_eq(r.n_messages, 1);
	ck_assert_uint_eq(r.messages[0].tcp_stream, 1);
	kf_result_free(&r);
	unlink(w.path);
	free(q);
	krb5_free_data(kctx, req);
}
END_TEST

/* tcp.stream does not depend on krbflow's flow table: a connection evicted
 * (flow-limit) and picked up again keeps Wireshark's number (checked with
 * tshark on the same shape). */
START_TEST(t_tcp_stream_survives_flow_eviction)
{
	struct pcap_w w;
	pw_open(&w, 1);
	krb5_data *req = as_req("gus@LAB.TEST", 3);
	krb5_data *err = krb_error(25, "gus@LAB.TEST");
	size_t qlen, elen;
	uint8_t *q = record(req, &qlen);
	uint8_t *e = record(err, &elen);
	tcp_seg(&w, 2, 1, 40600, 88, 100, 0, 0x02, NULL, 0);   /* 1 SYN: stream 0 */
	tcp_seg(&w, 1, 2, 88, 40600, 500, 101, 0x12, NULL, 0); /* 2 */
	tcp_seg(&w, 2, 1, 40600, 88, 101, 501, 0x18, q, qlen); /* 3 AS-REQ */
	uint32_t others = KF_LIMIT_FLOWS + 10;                 /* more followed flows than the table holds */
	for (uint32_t i = 0; i < others; i++)
		tcp_seg(&w, (uint8_t)(3 + i / 40000), 1, (uint16_t)(1024 + i % 40000), 88, 7, 0, 0x02, NULL,
			0);
	tcp_seg(&w, 1, 2, 88, 40600, 501, 101 + (uint32_t)qlen, 0x18, e, elen); /* the answer, much later */
	pw_close(&w);

	struct kf_result r;
	analyze(w.path, NULL, &r);
	ck_assert(has_warning(&r, "flow-limit"));
	ck_assert_uint_eq(r.n_messages, 2);
	ck_assert_uint_eq(r.messages[1].frame, 3 + others + 1);
	ck_assert_uint_ne(r.messages[1].connection, r.messages[0].connection); /* krbflow's flow was new */
	ck_assert_uint_eq(r.messages[0].tcp_stream, 0);
	ck_assert_uint_eq(r.messages[1].tcp_stream, 0); /* Wireshark's is not */
	kf_result_free(&r);
	unlink(w.path);
	free(q);
	free(e);
	krb5_free_data(kctx, req);
	krb5_free_data(kctx, err);
}
END_TEST

/* A 3000-byte AS-REP over UDP in three IPv4 fragments, last one first. */
START_TEST(t_ip_fragmented_reply)
{
	struct pcap_w w;
	pw_open(&w, 1);
	krb5_data *rep = as_rep("frank@LAB.TEST", 2800);
	uint8_t dgram[4000];
	size_t dl = udp(dgram, 88, 40000, rep->length);
	memcpy(dgram + dl, rep->data, rep->length);
	dl += rep->length;
	size_t offs[3] = { 0, 1480, 2960 };
	int order[3] = { 2, 0, 1 };
	for (int i = 0; i < 3; i++) {
		size_t o = offs[order[i]];
		size_t len = order[i] == 2 ? dl - o : 1480;
		size_t n = ether(pkt, 0x0800);
		uint16_t frag = (uint16_t)((o / 8) | (order[i] == 2 ? 0 : 0x2000));
		n += ipv4(pkt + n, 1, 2, 17, len, 0x4242, frag);
		memcpy(pkt + n, dgram + o, len);
		pw_packet(&w, pkt, n + len);
	}
	pw_close(&w);
	struct kf_result r;
	analyze(w.path, NULL, &r);
	ck_assert_uint_eq(r.n_messages, 1);
	ck_assert_int_eq(r.messages[0].type, 11);
	ck_assert_uint_eq(r.messages[0].frame, 3);
	ck_assert_uint_eq(r.messages[0].ip_fragments, 3);
	ck_assert_str_eq(r.messages[0].krb.cname, "frank");
	kf_result_free(&r);
	unlink(w.path);
	krb5_free_data(kctx, rep);
}
END_TEST

/* IPv6, and IPv4 inside GRE inside a VLAN-tagged frame. */
START_TEST(t_ipv6_and_tunnels)
{
	struct pcap_w w;
	pw_open(&w, 1);
	krb5_data *req = as_req("gina@LAB.TEST", 3);
	size_t n = ether(pkt, 0x86DD);
	uint8_t *ip6 = pkt + n;
	memset(ip6, 0, 40);
	ip6[0] = 0x60;
	put16(ip6 + 4, (uint16_t)(8 + req->length));
	ip6[6] = 17;
	ip6[7] = 64;
	ip6[8] = 0xfd;
	ip6[23] = 2;
	ip6[24] = 0xfd;
	ip6[39] = 1;
	n += 40;
	n += udp(pkt + n, 40000, 88, req->length);
	memcpy(pkt + n, req->data, req->length);
	pw_packet(&w, pkt, n + req->length);

	n = 12 + put16(pkt + 12, 0x8100);
	memset(pkt, 0x02, 12);
	n += put16(pkt + n, 100); /* TCI */
	n += put16(pkt + n, 0x0800);
	size_t inner = 20 + 8 + req->length;
	n += ipv4(pkt + n, 9, 8, 47, 4 + inner, 1, 0);
	n += put16(pkt + n, 0);
	n += put16(pkt + n, 0x0800);
	n += ipv4(pkt + n, 2, 1, 17, 8 + req->length, 1, 0);
	n += udp(pkt + n, 40001, 88, req->length);
	memcpy(pkt + n, req->data, req->length);
	pw_packet(&w, pkt, n + req->length);
	pw_close(&w);

	struct kf_result r;
	analyze(w.path, NULL, &r);
	ck_assert_uint_eq(r.n_messages, 2);
	ck_assert_int_eq(r.messages[0].src.ipver, 6);
	ck_assert_int_eq(r.messages[0].dst.addr[15], 1);
	ck_assert_int_eq(r.messages[1].src.ipver, 4);
	ck_assert_int_eq(r.messages[1].src.addr[3], 2);
	ck_assert_int_eq(r.messages[1].src.port, 40001);
	kf_result_free(&r);
	unlink(w.path);
	krb5_free_data(kctx, req);
}
END_TEST

/* ---- HTTP on any port ---- */

static void tcp_text(struct pcap_w *w, bool from_client, uint32_t *cseq, uint32_t *sseq, const char *text)
{
	size_t n = strlen(text);
	if (from_client) {
		tcp_seg(w, 2, 9, 40500, 3128, *cseq, *sseq, 0x18, (const uint8_t *)text, n);
		*cseq += (uint32_t)n;
	} else {
		tcp_seg(w, 9, 2, 3128, 40500, *sseq, *cseq, 0x18, (const uint8_t *)text, n);
		*sseq += (uint32_t)n;
	}
}

static const struct kf_message *msg_at(const struct kf_result *r, uint64_t frame, int type)
{
	for (size_t i = 0; i < r->n_messages; i++)
		if (r->messages[i].frame == frame && r->messages[i].type == type)
			return &r->messages[i];
	return NULL;
}

/* Where an HTTP message sits: the frame where Wireshark shows it, that is
 * where its body ends.  A request with a body over two segments (3-4), a
 * 401 whose body runs to the connection's close (5-6, then the server's FIN
 * in 7): the request, its NTLM token, the 401 and its token move there;
 * first_frame keeps the head's frame. */
START_TEST(t_http_message_frame_is_body_end)
{
	static const char neg_b64[] = "TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=";
	struct pcap_w w;
	pw_open(&w, 1);
	uint32_t cseq = 100, sseq = 900;
	tcp_seg(&w, 2, 9, 40500, 3128, cseq - 1, 0, 0x02, NULL, 0);    /* 1 SYN */
	tcp_seg(&w, 9, 2, 3128, 40500, sseq - 1, cseq, 0x12, NULL, 0); /* 2 SYN-ACK */
	char req[512];
	snprintf(req, sizeof req,
		 "POST /wsman HTTP/1.1\r\nHost: x.lab.test\r\nAuthorization: NTLM %s\r\n"
		 "Content-Length: 10\r\n\r\n01234",
		 neg_b64);
	tcp_text(&w, true, &cseq, &sseq, req);     /* 3 */
	tcp_text(&w, true, &cseq, &sseq, "56789"); /* 4 */
	tcp_text(&w, false, &cseq, &sseq,
		 "HTTP/1.0 401 Unauthorized\r\nWWW-Authenticate: NTLM\r\n\r\n<html>"); /* 5 */
	tcp_text(&w, false, &cseq, &sseq, "</html>");                                  /* 6 */
	tcp_seg(&w, 9, 2, 3128, 40500, sseq, cseq, 0x11, NULL, 0); /* 7 FIN from the server */
	pw_close(&w);

	struct kf_result r;
	analyze(w.path, NULL, &r);
	const struct kf_message *q = msg_at(&r, 4, KF_MSG_HTTP_REQUEST);
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq(q->first_frame, 3);
	const struct kf_message *neg = msg_at(&r, 4, KF_MSG_NTLM_NEGOTIATE);
	ck_assert_ptr_nonnull(neg);
	ck_assert_uint_eq(neg->first_frame, 3);
	ck_assert_ptr_null(msg_at(&r, 3, KF_MSG_HTTP_REQUEST));
	const struct kf_message *a = msg_at(&r, 7, KF_MSG_HTTP_RESPONSE);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->http->status, 401);
	ck_assert_uint_eq(a->first_frame, 5);
	ck_assert_ptr_null(msg_at(&r, 5, KF_MSG_HTTP_RESPONSE));
	ck_assert_uint_eq(reply_frame(&r, q), 7);
	kf_result_free(&r);
	unlink(w.path);
}
END_TEST

/* A proxy on port 3128: 407 with two challenges and a body cut over two
 * segments, credentials in a header split mid-line, a chunked 200, then two
 * pipelined requests (HEAD and a conditional GET) answered in one segment
 * (HEAD's Content-Length has no body; 304 has none). */
START_TEST(t_http_proxy_pipelining)
{
	/* NTLM NEGOTIATE (MS-NLMP §2.2.1.1): signature, type 1, flags, two empty fields */
	static const char neg_b64[] = "TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=";
	struct pcap_w w;
	pw_open(&w, 1);
	uint32_t cseq = 100, sseq = 900;
	tcp_seg(&w, 2, 9, 40500, 3128, cseq - 1, 0, 0x02, NULL, 0);    /* 1 SYN */
	tcp_seg(&w, 9, 2, 3128, 40500, sseq - 1, cseq, 0x12, NULL, 0); /* 2 SYN-ACK */
	tcp_text(&w, true, &cseq, &sseq,
		 "GET http://x.lab.test/ HTTP/1.1\r\nHost: x.lab.test\r\n\r\n"); /* 3 */
	tcp_text(&w, false, &cseq, &sseq,
		 "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\n"
		 "Proxy-Authenticate: Basic realm=\"p, q\"\r\nContent-Length: 5\r\n\r\nhe"); /* 4 */
	tcp_text(&w, false, &cseq, &sseq, "llo");                                            /* 5 */
	char req[512];
	snprintf(req, sizeof req, "GET http://x.lab.test/ HTTP/1.1\r\nHost: x.lab.test\r\nProxy-Auth");
	tcp_text(&w, true, &cseq, &sseq, req); /* 6 */
	snprintf(req, sizeof req, "orization: NTLM %s\r\n\r\n", neg_b64);
	tcp_text(&w, true, &cseq, &sseq, req); /* 7 */
	tcp_text(&w, false, &cseq, &sseq,
		 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n0\r\n\r\n"); /* 8 */
	tcp_text(&w, true, &cseq, &sseq,
		 "HEAD /a HTTP/1.1\r\nHost: x.lab.test\r\n\r\nGET /b HTTP/1.1\r\nHost: x.lab.test\r\n"
		 "If-None-Match: \"1\"\r\n\r\n"); /* 9 */
	tcp_text(&w, false, &cseq, &sseq,
		 "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\n"); /* 10 */
	pw_close(&w);

	struct kf_result r;
	analyze(w.path, NULL, &r);
	ck_assert_uint_eq(r.n_warnings, 0);
	const struct kf_message *m = msg_at(&r, 3, KF_MSG_HTTP_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_null(m->http->auth_scheme);
	ck_assert_str_eq(m->http->uri, "http://x.lab.test/");
	/* the 407 shows where its body ends (frame 5), as Wireshark shows it;
	 * its head came in frame 4 */
	ck_assert_uint_eq(reply_frame(&r, m), 5);
	ck_assert_ptr_null(msg_at(&r, 4, KF_MSG_HTTP_RESPONSE));
	m = msg_at(&r, 5, KF_MSG_HTTP_RESPONSE);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->first_frame, 4);
	ck_assert_int_eq(m->http->status, 407);
	ck_assert(m->http->proxy);
	ck_assert_uint_eq(m->http->n_challenges, 2);
	ck_assert_str_eq(m->http->www_authenticate[0], "NTLM");
	ck_assert_str_eq(m->http->www_authenticate[1], "Basic");
	/* credentials completed in frame 7, the header having been cut in 6 */
	m = msg_at(&r, 7, KF_MSG_NTLM_NEGOTIATE);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->carrier, KF_CARRIER_HTTP);
	ck_assert_int_eq(m->src.port, 40500);
	m = msg_at(&r, 7, KF_MSG_HTTP_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->http->auth_scheme, "NTLM");
	ck_assert(m->http->proxy);
	ck_assert_uint_eq(m->http->token_bytes, 32);
	ck_assert_uint_eq(reply_frame(&r, m), 8);
	m = msg_at(&r, 8, KF_MSG_HTTP_RESPONSE);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->http->status, 200);
	/* the chunked body was skipped exactly: both pipelined requests parsed */
	m = msg_at(&r, 9, KF_MSG_HTTP_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->http->method, "HEAD");
	const struct kf_message *second = NULL;
	for (size_t i = 0; i < r.n_messages; i++)
		if (r.messages[i].frame == 9 && r.messages[i].type == KF_MSG_HTTP_REQUEST &&
		    r.messages[i].http && strcmp(r.messages[i].http->method, "GET") == 0)
			second = &r.messages[i];
	ck_assert_ptr_nonnull(second);
	ck_assert_str_eq(second->http->uri, "/b");
	size_t responses10 = 0;
	int statuses[2] = { 0, 0 };
	for (size_t i = 0; i < r.n_messages; i++)
		if (r.messages[i].frame == 10 && r.messages[i].type == KF_MSG_HTTP_RESPONSE &&
		    responses10 < 2)
			statuses[responses10++] = r.messages[i].http->status;
	ck_assert_uint_eq(responses10, 2); /* HEAD's Content-Length: 100 announced no body */
	ck_assert_int_eq(statuses[0], 200);
	ck_assert_int_eq(statuses[1], 304);
	/* one story: the proxy client, its connection reached with NTLM */
	ck_assert_uint_eq(r.n_stories, 1);
	ck_assert_uint_eq(r.stories[0].n_http, 1);
	ck_assert_str_eq(r.stories[0].http[0].mech, "ntlm");
	kf_result_free(&r);
	unlink(w.path);
}
END_TEST

/* A connection that is not HTTP (a binary protocol from its SYN) costs no
 * messages and no warnings, and an HTTP-looking segment later in it does not
 * start a false HTTP parse. */
START_TEST(t_non_http_ignored)
{
	struct pcap_w w;
	pw_open(&w, 1);
	uint32_t cseq = 100, sseq = 900;
	tcp_seg(&w, 2, 9, 40500, 3128, cseq - 1, 0, 0x02, NULL, 0);
	tcp_seg(&w, 9, 2, 3128, 40500, sseq - 1, cseq, 0x12, NULL, 0);
	tcp_text(&w, true, &cseq, &sseq, "\x16\x01binary-protocol-hello");
	tcp_text(
		&w, true, &cseq, &sseq,
		"GET / HTTP/1.1\r\nAuthorization: NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n");
	pw_close(&w);
	struct kf_result r;
	analyze(w.path, NULL, &r);
	ck_assert_uint_eq(r.n_messages, 0);
	ck_assert_uint_eq(r.n_warnings, 0);
	kf_result_free(&r);
	unlink(w.path);
}
END_TEST

/* A TLS ClientHello (RFC 8446 §4.1.2) naming web.lab.test (RFC 6066 §3). */
static size_t client_hello(uint8_t *p, const char *name)
{
	size_t nl = strlen(name), n = 0;
	uint8_t body[512];
	size_t b = 0;
	body[b++] = 3;
	body[b++] = 3; /* legacy_version TLS 1.2 */
	memset(body + b, 0x11, 32);
	b += 32;       /* random */
	body[b++] = 0; /* session id */
	body[b++] = 0;
	body[b++] = 2;
	body[b++] = 0x13;
	body[b++] = 0x01; /* one cipher suite */
	body[b++] = 1;
	body[b++] = 0; /* compression: null */
	size_t ext_len = 4 + 2 + 1 + 2 + nl;
	b += put16(body + b, (uint16_t)ext_len);
	b += put16(body + b, 0); /* server_name */
	b += put16(body + b, (uint16_t)(2 + 1 + 2 + nl));
	b += put16(body + b, (uint16_t)(1 + 2 + nl));
	body[b++] = 0; /* host_name */
	b += put16(body + b, (uint16_t)nl);
	memcpy(body + b, name, nl);
	b += nl;
	p[n++] = 0x16;
	p[n++] = 3;
	p[n++] = 1; /* handshake record */
	n += put16(p + n, (uint16_t)(4 + b));
	p[n++] = 1; /* client_hello */
	p[n++] = 0;
	n += put16(p + n, (uint16_t)b);
	memcpy(p + n, body, b);
	return n + b;
}

/* HTTPS: the HTTP is encrypted, but the story shows the server name next
 * to the ticket the client got for it just before. */
START_TEST(t_https_story)
{
	struct pcap_w w;
	pw_open(&w, 1);
	krb5_data *req = as_req("ivy@LAB.TEST", 1);
	udp_msg(&w, 2, 1, 40000, 88, req); /* 1 */
	uint8_t hello[600];
	size_t hl = client_hello(hello, "web.lab.test");
	tcp_seg(&w, 2, 20, 40600, 443, 1000, 0, 0x02, NULL, 0);      /* 2 SYN */
	tcp_seg(&w, 20, 2, 443, 40600, 5000, 1001, 0x12, NULL, 0);   /* 3 SYN-ACK */
	tcp_seg(&w, 2, 20, 40600, 443, 1001, 5001, 0x18, hello, hl); /* 4 ClientHello */
	pw_close(&w);
	struct kf_result r;
	analyze(w.path, NULL, &r);
	ck_assert_uint_eq(r.n_tls, 1);
	ck_assert_uint_eq(r.tls[0].frame, 4);
	ck_assert_str_eq(r.tls[0].sni, "web.lab.test");
	ck_assert_int_eq(r.tls[0].dst.port, 443);
	ck_assert_uint_eq(r.n_stories, 1);
	ck_assert_uint_eq(r.stories[0].n_tls, 1);
	ck_assert_str_eq(r.stories[0].tls[0].sni, "web.lab.test");
	ck_assert_uint_eq(r.stories[0].n_frames, 2);
	kf_result_free(&r);
	unlink(w.path);
	krb5_free_data(kctx, req);
}
END_TEST

START_TEST(t_unreadable_inputs)
{
	struct kf_result r;
	struct kf_config cfg = { 0 };
	char err[256];
	ck_assert_int_eq(kf_analyze("/nonexistent/x.pcap", &cfg, &r, err, sizeof err), KF_IO);
	kf_result_free(&r);
	ck_assert_int_eq(kf_analyze("/tmp", &cfg, &r, err, sizeof err), KF_IO);
	ck_assert_str_eq(err, "is a directory");
	kf_result_free(&r);
	char path[] = "/tmp/kf-notpcap-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_eq(write(fd, "hello, this is not a capture file at all\n", 41), 41);
	close(fd);
	ck_assert_int_eq(kf_analyze(path, &cfg, &r, err, sizeof err), KF_IO);
	ck_assert_ptr_nonnull(strstr(err, "not a pcap"));
	kf_result_free(&r);
	unlink(path);
}
END_TEST

/* The lab's SMB double hop: the front end's TGS-REP for cifs/ names the
 * client WELLKNOWN/ANONYMOUS (the KDC hid it: a Heimdal FAST request); the
 * ticket chain (that request presented alice's forwarded TGT) says alice.
 * The session is alice's, and it is the back-end hop of alice's story. */
START_TEST(t_smb_back_end_hop_hidden_name)
{
	struct kf_result r;
	analyze(KF_SAMPLES_DIR "/smb-double-hop.pcap", NULL, &r);
	ck_assert_uint_eq(r.n_sessions, 1);
	const struct kf_session *s = &r.sessions[0];
	ck_assert_str_eq(s->mech, "kerberos");
	ck_assert_str_eq(s->as, "alice@LAB.TEST");
	ck_assert_str_eq(s->outcome, "ok");
	ck_assert_str_eq(s->target, "\\\\files.lab.test\\share");
	/* the TGS-REP itself still says what the KDC sent */
	const struct kf_message *rep = NULL;
	for (size_t i = 0; i < r.n_messages && !rep; i++)
		if (r.messages[i].type == KF_KRB_TGS_REP && r.messages[i].krb.ticket &&
		    !strncmp(r.messages[i].krb.ticket->sname, "cifs/", 5))
			rep = &r.messages[i];
	ck_assert_ptr_nonnull(rep);
	ck_assert(kf_name_is_anonymous(rep->krb.cname, rep->krb.crealm));
	const char *cname, *crealm;
	ck_assert(kf_reply_client(&r, rep, &cname, &crealm));
	ck_assert_str_eq(cname, "alice");
	size_t back = 0;
	for (size_t i = 0; i < r.n_stories; i++)
		if (r.stories[i].n_backend) {
			ck_assert_str_eq(r.stories[i].user, "alice@LAB.TEST");
			ck_assert_ptr_eq(r.stories[i].backend[0], s);
			back++;
		}
	ck_assert_uint_eq(back, 1);
	ck_assert_uint_eq(r.n_findings, 0);
	kf_result_free(&r);
}
END_TEST

int main(void)
{
	if (krb5_init_context(&kctx) != 0) {
		fprintf(stderr, "cannot create a krb5 context\n");
		return EXIT_FAILURE;
	}
	Suite *s = suite_create("analyze");
	TCase *tc = tcase_create("pipeline");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_udp_exchange_matched);
	tcase_add_test(tc, t_tcp_big_record_reordered);
	tcase_add_test(tc, t_truncated_capture_keeps_messages);
	tcase_add_test(tc, t_filter_keeps_frame_numbers);
	tcase_add_test(tc, t_unanswered_requests);
	tcase_add_test(tc, t_record_over_cap_is_an_answer);
	tcase_add_test(tc, t_tcp_stream_survives_flow_eviction);
	tcase_add_test(tc, t_ip_fragmented_reply);
	tcase_add_test(tc, t_ipv6_and_tunnels);
	tcase_add_test(tc, t_unreadable_inputs);
	tcase_add_test(tc, t_http_proxy_pipelining);
	tcase_add_test(tc, t_http_message_frame_is_body_end);
	tcase_add_test(tc, t_non_http_ignored);
	tcase_add_test(tc, t_https_story);
	tcase_add_test(tc, t_smb_back_end_hop_hidden_name);
	suite_add_tcase(s, tc);
	int failed = kf_test_run(s);
	krb5_free_context(kctx);
	return failed;
}
