/* check_dcerpc.c - the DCE/RPC decoder (decoders/dcerpc.c) on PDUs built
 * here field by field, in both byte orders, and the carrier
 * (analyzer/wire/carrier_dcerpc.c) through kf_analyze on captures this file
 * writes: NTLMSSP in three legs (bind, bind_ack, auth3) with a fault and
 * big request and response stubs counted off on 135; on dynamic ports
 * claimed by the probe a Kerberos bind (AP-REQ) and bind_ack (AP-REP) and a
 * big-endian bind answered by bind_nak; random bytes and a lone request on
 * other ports left alone; and DCE/RPC over SMB2 named pipes (WRITE, READ
 * continued after STATUS_BUFFER_OVERFLOW, FSCTL_PIPE_TRANSCEIVE), with
 * hostile pipes, and over SMB1 (WRITE_ANDX, READ_ANDX, TransactNmPipe).  The capture writer is capfix.c's. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer.h"
#include "base/limits.h"
#include "dcerpc.h"
#include "result.h"
#include "sessions.h"
#include "smb.h"
#include "smbfix.h"
#include "stories.h"
#include "testutil.h"

/* ------------------------------------------------------ PDU building ---- */

static const uint8_t DRSUAPI_LE[16] = { 0x35, 0x42, 0x51, 0xe3, 0x06, 0x4b, 0xd1, 0x11,
					0xab, 0x04, 0x00, 0xc0, 0x4f, 0xc2, 0xdc, 0xd2 };

static void put16(struct sb *b, uint16_t v, bool le)
{
	if (le)
		sb_le16(b, v);
	else
		sb_be16(b, v);
}

static void put32(struct sb *b, uint32_t v, bool le)
{
	if (le)
		sb_le32(b, v);
	else
		sb_be32(b, v);
}

/* The UUID e3514235-4b06-11d1-ab04-00c04fc2dcd2 in the byte order. */
static void put_drsuapi(struct sb *b, bool le)
{
	put32(b, 0xe3514235u, le);
	put16(b, 0x4b06, le);
	put16(b, 0x11d1, le);
	sb_put(b, DRSUAPI_LE + 8, 8);
}

static void header(struct sb *b, uint8_t ptype, uint32_t call_id, bool le)
{
	sb_u8(b, 5);
	sb_u8(b, 0);
	sb_u8(b, ptype);
	sb_u8(b, 0x03);
	sb_u8(b, le ? 0x10 : 0x00);
	sb_zero(b, 3);
	put16(b, 0, le); /* frag_length: finish() */
	put16(b, 0, le); /* auth_length */
	put32(b, call_id, le);
}

/* Pad to 4, add the verifier and credentials, set the lengths. */
static void finish(struct sb *b, bool le, uint8_t auth_type, uint8_t level, const uint8_t *cred, size_t n)
{
	if (auth_type) {
		uint8_t pad = (uint8_t)((4 - b->n % 4) % 4);
		sb_zero(b, pad);
		sb_u8(b, auth_type);
		sb_u8(b, level);
		sb_u8(b, pad);
		sb_u8(b, 0);
		put32(b, 0x1234, le);
		sb_put(b, cred, n);
	}
	uint16_t fl = (uint16_t)b->n, al = auth_type ? (uint16_t)n : 0;
	b->p[8] = le ? (uint8_t)fl : (uint8_t)(fl >> 8);
	b->p[9] = le ? (uint8_t)(fl >> 8) : (uint8_t)fl;
	b->p[10] = le ? (uint8_t)al : (uint8_t)(al >> 8);
	b->p[11] = le ? (uint8_t)(al >> 8) : (uint8_t)al;
}

static void bind_pdu(struct sb *b, uint8_t ptype, uint32_t call_id, bool le, uint8_t n_ctx)
{
	header(b, ptype, call_id, le);
	put16(b, 5840, le);
	put16(b, 5840, le);
	put32(b, 0, le);
	sb_u8(b, n_ctx);
	sb_zero(b, 3);
	for (uint8_t i = 0; i < n_ctx; i++) {
		put16(b, i, le);
		sb_u8(b, 1);
		sb_u8(b, 0);
		put_drsuapi(b, le);
		put16(b, 4, le);
		put16(b, 0, le);
		sb_zero(b, 20); /* one transfer syntax */
	}
}

/* result of the first context, acceptance for the second when accept2 */
static void bind_ack_pdu(struct sb *b, uint8_t ptype, uint32_t call_id, bool le, uint16_t first, bool accept2)
{
	header(b, ptype, call_id, le);
	put16(b, 5840, le);
	put16(b, 5840, le);
	put32(b, 0x5678, le);
	put16(b, 4, le);
	sb_put(b, "135", 4); /* 30 bytes: pad to 32 */
	sb_zero(b, 2);
	sb_u8(b, accept2 ? 2 : 1);
	sb_zero(b, 3);
	put16(b, first, le);
	put16(b, first ? 2 : 0, le);
	sb_zero(b, 20);
	if (accept2) {
		put16(b, 0, le);
		put16(b, 0, le);
		sb_zero(b, 20);
	}
}

static void fault_pdu(struct sb *b, uint32_t call_id, bool le, uint32_t status)
{
	header(b, KF_DCERPC_FAULT, call_id, le);
	put32(b, 32, le);
	put16(b, 0, le);
	sb_u8(b, 0);
	sb_u8(b, 0);
	put32(b, status, le);
	sb_zero(b, 4);
}

static void nak_pdu(struct sb *b, uint32_t call_id, bool le, uint16_t reason)
{
	header(b, KF_DCERPC_BIND_NAK, call_id, le);
	put16(b, reason, le);
	sb_u8(b, 1); /* one protocol version: 5.0 */
	sb_u8(b, 5);
	sb_u8(b, 0);
}

static void auth3_pdu(struct sb *b, uint32_t call_id, bool le)
{
	header(b, KF_DCERPC_AUTH3, call_id, le);
	sb_zero(b, 4);
}

/* request (opnum 0) or response with a stub of n bytes */
static void call_pdu(struct sb *b, uint8_t ptype, uint32_t call_id, size_t n)
{
	header(b, ptype, call_id, true);
	sb_le32(b, (uint32_t)n);
	sb_zero(b, 4);
	sb_zero(b, n);
	finish(b, true, 0, 0, NULL, 0);
}

/* A bare Kerberos AP-REP (RFC 4120 §5.5.2): enc-part etype 18. */
static void krb_ap_rep(struct sb *out)
{
	struct sb seq = { 0 }, ed = { 0 }, t = { 0 };
	static const uint8_t five = 5, fifteen = 15, etype = 18, cipher[16] = { 1 };
	der_add(&t, 0x02, &etype, 1);
	der_wrap(&t, 0xa0);
	sb_put(&ed, t.p, t.n);
	sb_free(&t);
	der_add(&t, 0x04, cipher, sizeof cipher);
	der_wrap(&t, 0xa2);
	sb_put(&ed, t.p, t.n);
	sb_free(&t);
	der_wrap(&ed, 0x30);
	der_wrap(&ed, 0xa2);
	der_add(&t, 0x02, &five, 1);
	der_wrap(&t, 0xa0);
	sb_put(&seq, t.p, t.n);
	sb_free(&t);
	der_add(&t, 0x02, &fifteen, 1);
	der_wrap(&t, 0xa1);
	sb_put(&seq, t.p, t.n);
	sb_free(&t);
	sb_put(&seq, ed.p, ed.n);
	der_wrap(&seq, 0x30);
	der_wrap(&seq, 0x6f);
	sb_put(out, seq.p, seq.n);
	sb_free(&seq);
	sb_free(&ed);
}

/* Append tag(inner) to out and free inner. */
static void wrap_into(struct sb *out, struct sb *inner, uint8_t tag)
{
	der_wrap(inner, tag);
	sb_put(out, inner->p, inner->n);
	sb_free(inner);
}

/* [n] INTEGER v (one byte) */
static void ctx_int(struct sb *out, uint8_t n, uint8_t v)
{
	struct sb t = { 0 };
	der_add(&t, 0x02, &v, 1);
	wrap_into(out, &t, (uint8_t)(0xa0 + n));
}

/* EncryptedData { etype 18, [kvno 2,] cipher } under [n] */
static void ctx_enc(struct sb *out, uint8_t n, bool kvno)
{
	static const uint8_t cipher[24] = { 7 };
	struct sb e = { 0 }, t = { 0 };
	ctx_int(&e, 0, 18);
	if (kvno)
		ctx_int(&e, 1, 2);
	der_add(&t, 0x04, cipher, sizeof cipher);
	wrap_into(&e, &t, 0xa2);
	der_wrap(&e, 0x30);
	wrap_into(out, &e, (uint8_t)(0xa0 + n));
}

/* A bare Kerberos AP-REQ (RFC 4120 §5.5.1) for host/dc1@LAB.TEST, mutual
 * authentication required. */
static void krb_ap_req(struct sb *out)
{
	static const uint8_t opts[5] = { 0, 0x20, 0, 0, 0 };
	struct sb req = { 0 }, tkt = { 0 }, t = { 0 }, names = { 0 }, pn = { 0 };
	ctx_int(&req, 0, 5);
	ctx_int(&req, 1, 14);
	der_add(&t, 0x03, opts, sizeof opts);
	wrap_into(&req, &t, 0xa2);
	ctx_int(&tkt, 0, 5);
	der_add(&t, 0x1b, "LAB.TEST", 8);
	wrap_into(&tkt, &t, 0xa1);
	ctx_int(&pn, 0, 2);
	der_add(&names, 0x1b, "host", 4);
	der_add(&names, 0x1b, "dc1", 3);
	der_wrap(&names, 0x30);
	wrap_into(&pn, &names, 0xa1);
	der_wrap(&pn, 0x30);
	wrap_into(&tkt, &pn, 0xa2);
	ctx_enc(&tkt, 3, true);
	der_wrap(&tkt, 0x30);
	der_wrap(&tkt, 0x61);
	wrap_into(&req, &tkt, 0xa3);
	ctx_enc(&req, 4, false);
	der_wrap(&req, 0x30);
	wrap_into(out, &req, 0x6e);
}

static struct kf_dcerpc_pdu decode_ok(const struct sb *b)
{
	struct kf_dcerpc_pdu p;
	struct kf_events ev = { 0 };
	ck_assert(kf_dcerpc_decode(kf_span_make(b->p, b->n), &p, &ev));
	return p;
}

/* ------------------------------------------------------ decoder tests ---- */

START_TEST(t_bind_both_orders)
{
	for (int le = 0; le < 2; le++) {
		struct sb b = { 0 }, tok = { 0 };
		ntlm_negotiate(&tok);
		bind_pdu(&b, KF_DCERPC_BIND, 7, le, 2);
		finish(&b, le, KF_DCERPC_AUTH_NTLMSSP, 6, tok.p, tok.n);
		struct kf_dcerpc_pdu p = decode_ok(&b);
		ck_assert(p.body_ok);
		ck_assert_int_eq(p.h.little_endian, le);
		ck_assert_uint_eq(p.h.ptype, KF_DCERPC_BIND);
		ck_assert_uint_eq(p.h.call_id, 7);
		ck_assert_uint_eq(p.h.frag_length, b.n);
		ck_assert_uint_eq(p.n_contexts, 2);
		ck_assert(p.has_abstract);
		ck_assert_uint_eq(p.abstract_major, 4);
		ck_assert_str_eq(kf_dcerpc_interface_name(p.abstract_uuid, p.h.little_endian), "DRSUAPI");
		char t[37];
		kf_dcerpc_uuid_text(p.abstract_uuid, p.h.little_endian, t);
		ck_assert_str_eq(t, "e3514235-4b06-11d1-ab04-00c04fc2dcd2");
		ck_assert(p.has_auth);
		ck_assert_uint_eq(p.auth_type, KF_DCERPC_AUTH_NTLMSSP);
		ck_assert_uint_eq(p.auth_level, 6);
		ck_assert_uint_eq(p.auth_context_id, 0x1234);
		ck_assert_uint_eq(p.credentials.n, tok.n);
		ck_assert(!memcmp(p.credentials.p, tok.p, tok.n));
		ck_assert(kf_dcerpc_probe_bind(kf_span_make(b.p, b.n)));
		sb_free(&b);
		sb_free(&tok);
	}
}
END_TEST

START_TEST(t_answers)
{
	for (int le = 0; le < 2; le++) {
		struct sb b = { 0 };
		bind_ack_pdu(&b, KF_DCERPC_BIND_ACK, 3, le, 2, true);
		finish(&b, le, 0, 0, NULL, 0);
		struct kf_dcerpc_pdu p = decode_ok(&b);
		ck_assert(p.body_ok && p.has_result);
		ck_assert_uint_eq(p.result, 0); /* the second context was accepted */
		ck_assert_uint_eq(p.assoc_group, 0x5678);
		ck_assert(!kf_dcerpc_probe_bind(kf_span_make(b.p, b.n)));
		sb_free(&b);

		bind_ack_pdu(&b, KF_DCERPC_ALTER_CONTEXT_RESP, 3, le, 2, false);
		finish(&b, le, 0, 0, NULL, 0);
		p = decode_ok(&b);
		ck_assert(p.body_ok && p.has_result);
		ck_assert_uint_eq(p.result, 2);
		ck_assert_uint_eq(p.reason, 2);
		sb_free(&b);

		nak_pdu(&b, 4, le, 8);
		finish(&b, le, 0, 0, NULL, 0);
		p = decode_ok(&b);
		ck_assert(p.body_ok && p.has_status);
		ck_assert_uint_eq(p.status, 8);
		ck_assert_str_eq(kf_dcerpc_reject_name(p.status), "authentication_type_not_recognized");
		sb_free(&b);

		fault_pdu(&b, 5, le, 5);
		finish(&b, le, 0, 0, NULL, 0);
		p = decode_ok(&b);
		ck_assert(p.body_ok && p.has_status);
		ck_assert_uint_eq(p.status, 5);
		ck_assert_str_eq(kf_dcerpc_status_name(p.status), "nca_s_fault_access_denied");
		sb_free(&b);

		struct sb tok = { 0 };
		ntlm_authenticate(&tok, "LAB", "alice", false);
		auth3_pdu(&b, 6, le);
		finish(&b, le, KF_DCERPC_AUTH_SPNEGO, 5, tok.p, tok.n);
		p = decode_ok(&b);
		ck_assert(p.body_ok && p.has_auth);
		ck_assert_uint_eq(p.auth_type, KF_DCERPC_AUTH_SPNEGO);
		ck_assert_uint_eq(p.credentials.n, tok.n);
		sb_free(&b);
		sb_free(&tok);

		bind_pdu(&b, KF_DCERPC_ALTER_CONTEXT, 9, le, 1);
		finish(&b, le, 0, 0, NULL, 0);
		p = decode_ok(&b);
		ck_assert(p.body_ok && p.has_abstract && !p.has_auth);
		sb_free(&b);
	}
	struct sb b = { 0 };
	call_pdu(&b, KF_DCERPC_REQUEST, 10, 100);
	struct kf_dcerpc_pdu p = decode_ok(&b);
	ck_assert(p.body_ok);
	ck_assert_uint_eq(p.h.frag_length, 124);
	sb_free(&b);
}
END_TEST

START_TEST(t_names)
{
	ck_assert_str_eq(kf_dcerpc_ptype_name(KF_DCERPC_ALTER_CONTEXT_RESP), "alter_context_resp");
	ck_assert_ptr_null(kf_dcerpc_ptype_name(1));
	ck_assert_str_eq(kf_dcerpc_auth_type_name(16), "kerberos");
	ck_assert_str_eq(kf_dcerpc_auth_type_name(68), "netlogon");
	ck_assert_ptr_null(kf_dcerpc_auth_type_name(200));
	ck_assert_str_eq(kf_dcerpc_auth_level_name(2), "connect");
	ck_assert_str_eq(kf_dcerpc_auth_level_name(6), "privacy");
	ck_assert_ptr_null(kf_dcerpc_auth_level_name(7));
	ck_assert_str_eq(kf_dcerpc_status_name(0x1c010002u), "nca_op_rng_error");
	ck_assert_ptr_null(kf_dcerpc_status_name(0x12345678u));
	ck_assert_ptr_null(kf_dcerpc_reject_name(10));
}
END_TEST

START_TEST(t_malformed)
{
	struct kf_dcerpc_pdu p;
	struct kf_events ev = { 0 };
	struct sb b = { 0 };
	bind_pdu(&b, KF_DCERPC_BIND, 1, true, 1);
	finish(&b, true, 0, 0, NULL, 0);
	/* cut short of frag_length: not decoded */
	ck_assert(!kf_dcerpc_decode(kf_span_make(b.p, b.n - 1), &p, &ev));
	/* a header only */
	ck_assert(!kf_dcerpc_decode(kf_span_make(b.p, 15), &p, &ev));
	/* a context list that runs past the PDU: header read, body not */
	b.p[24] = 200;
	ck_assert(kf_dcerpc_decode(kf_span_make(b.p, b.n), &p, &ev));
	ck_assert(!p.body_ok);
	ck_assert(kf_test_has_event(&ev, KF_EV_DCERPC_MALFORMED));
	b.p[24] = 1;
	/* wrong version, minor, ptype */
	b.p[0] = 4;
	ck_assert(!kf_dcerpc_decode(kf_span_make(b.p, b.n), &p, &ev));
	b.p[0] = 5;
	b.p[1] = 2;
	ck_assert(!kf_dcerpc_decode(kf_span_make(b.p, b.n), &p, &ev));
	b.p[1] = 0;
	b.p[2] = 42;
	ck_assert(!kf_dcerpc_decode(kf_span_make(b.p, b.n), &p, &ev));
	b.p[2] = KF_DCERPC_BIND;
	/* an auth_length larger than the PDU */
	b.p[10] = 0xff;
	ck_assert(!kf_dcerpc_decode(kf_span_make(b.p, b.n), &p, &ev));
	b.p[10] = 0;
	/* the probe wants both fragment flags and a zero drep tail */
	ck_assert(kf_dcerpc_probe_bind(kf_span_make(b.p, b.n)));
	b.p[3] = 0x01;
	ck_assert(!kf_dcerpc_probe_bind(kf_span_make(b.p, b.n)));
	b.p[3] = 0x03;
	b.p[7] = 1;
	ck_assert(!kf_dcerpc_probe_bind(kf_span_make(b.p, b.n)));
	sb_free(&b);

	/* a bind_ack cut inside its secondary address; a fault without status */
	bind_ack_pdu(&b, KF_DCERPC_BIND_ACK, 1, true, 0, false);
	finish(&b, true, 0, 0, NULL, 0);
	b.p[24] = 200;
	ck_assert(kf_dcerpc_decode(kf_span_make(b.p, b.n), &p, &ev));
	ck_assert(!p.body_ok);
	sb_free(&b);
	header(&b, KF_DCERPC_FAULT, 1, true);
	finish(&b, true, 0, 0, NULL, 0);
	ck_assert(kf_dcerpc_decode(kf_span_make(b.p, b.n), &p, &ev));
	ck_assert(!p.body_ok && !p.has_status);
	sb_free(&b);
}
END_TEST

/* More contexts than the cap: only the cap is walked, the first is read. */
START_TEST(t_context_cap)
{
	struct sb b = { 0 };
	bind_pdu(&b, KF_DCERPC_BIND, 1, true, 100);
	finish(&b, true, 0, 0, NULL, 0);
	struct kf_dcerpc_pdu p = decode_ok(&b);
	ck_assert(p.body_ok && p.has_abstract);
	ck_assert_uint_eq(p.n_contexts, 100);
	sb_free(&b);
}
END_TEST

/* ----------------------------------------------------- carrier tests ---- */

/* A PDU from dir in segments of at most mss bytes; the last frame. */
static uint64_t send_pdu(struct tconn *t, int dir, struct sb *pdu, size_t mss)
{
	uint64_t f = 0;
	for (size_t i = 0; i < pdu->n; i += mss)
		f = segment(t, dir, 0x18, pdu->p + i, pdu->n - i < mss ? pdu->n - i : mss);
	sb_free(pdu);
	return f;
}

static struct kf_result dce_analyze(struct cap *c)
{
	cap_close(c);
	struct kf_result r;
	struct kf_config cfg = { 0 };
	char err[256];
	ck_assert_int_eq(kf_analyze(c->path, &cfg, &r, err, sizeof err), KF_OK);
	unlink(c->path);
	return r;
}

static uint64_t dce_reply_frame(const struct kf_result *r, const struct kf_message *m)
{
	const struct kf_message *o = m ? kf_msg_reply(r, m) : NULL;
	return o ? o->frame : 0;
}

static size_t count_carrier(const struct kf_result *r, int carrier)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_messages; i++)
		n += r->messages[i].carrier == carrier;
	return n;
}

/* NTLMSSP in three legs on 135, the bind over two segments; then a request
 * and response of 200 KB stubs counted off; then a fault access denied. */
START_TEST(t_carrier_ntlm)
{
	struct cap c;
	cap_open(&c);
	struct tconn t;
	tconn_open(&t, &c, 50001, 135);
	struct sb b = { 0 }, tok = { 0 };
	ntlm_negotiate(&tok);
	bind_pdu(&b, KF_DCERPC_BIND, 2, true, 1);
	finish(&b, true, KF_DCERPC_AUTH_NTLMSSP, 5, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_bind = send_pdu(&t, 0, &b, 40);
	ntlm_challenge(&tok);
	bind_ack_pdu(&b, KF_DCERPC_BIND_ACK, 2, true, 0, false);
	finish(&b, true, KF_DCERPC_AUTH_NTLMSSP, 5, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_ack = send_pdu(&t, 1, &b, 1460);
	ntlm_authenticate(&tok, "LAB", "alice", false);
	auth3_pdu(&b, 2, true);
	finish(&b, true, KF_DCERPC_AUTH_NTLMSSP, 5, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_auth3 = send_pdu(&t, 0, &b, 1460);
	/* a request and a response of 60000-byte stubs, several each */
	for (int i = 0; i < 4; i++) {
		call_pdu(&b, KF_DCERPC_REQUEST, 3 + (uint32_t)i, 60000);
		send_pdu(&t, 0, &b, 1460);
		call_pdu(&b, KF_DCERPC_RESPONSE, 3 + (uint32_t)i, 60000);
		send_pdu(&t, 1, &b, 1460);
	}
	call_pdu(&b, KF_DCERPC_REQUEST, 9, 10);
	send_pdu(&t, 0, &b, 1460);
	fault_pdu(&b, 9, true, 5);
	finish(&b, true, 0, 0, NULL, 0);
	uint64_t f_fault = send_pdu(&t, 1, &b, 1460);
	struct kf_result r = dce_analyze(&c);

	const struct kf_message *m = kf_result_message_at(&r, f_bind, KF_MSG_DCERPC_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->carrier, KF_CARRIER_DCERPC);
	ck_assert_uint_eq(m->dcerpc->ptype, KF_DCERPC_BIND);
	ck_assert_str_eq(m->dcerpc->interface, "DRSUAPI");
	ck_assert_uint_eq(m->dcerpc->auth_type, KF_DCERPC_AUTH_NTLMSSP);
	ck_assert_uint_eq(m->dcerpc->auth_level, 5);
	ck_assert_uint_eq(dce_reply_frame(&r, m), f_ack);
	const struct kf_message *neg = kf_result_message_at(&r, f_bind, KF_MSG_NTLM_NEGOTIATE);
	ck_assert_ptr_nonnull(neg);
	ck_assert_int_eq(neg->carrier, KF_CARRIER_DCERPC);
	ck_assert_uint_eq(dce_reply_frame(&r, neg), f_ack);
	ck_assert_ptr_nonnull(kf_result_message_at(&r, f_ack, KF_MSG_NTLM_CHALLENGE));
	ck_assert_ptr_nonnull(kf_result_message_at(&r, f_ack, KF_MSG_DCERPC_RESPONSE));
	ck_assert_ptr_nonnull(kf_result_message_at(&r, f_auth3, KF_MSG_NTLM_AUTHENTICATE));
	m = kf_result_message_at(&r, f_auth3, KF_MSG_DCERPC_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->dcerpc->ptype, KF_DCERPC_AUTH3);
	ck_assert_str_eq(m->dcerpc->interface, "DRSUAPI");
	m = kf_result_message_at(&r, f_fault, KF_MSG_DCERPC_RESPONSE);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->dcerpc->ptype, KF_DCERPC_FAULT);
	ck_assert(m->dcerpc->has_status);
	ck_assert_uint_eq(m->dcerpc->status, 5);
	ck_assert_uint_eq(count_carrier(&r, KF_CARRIER_DCERPC), 7);
	kf_result_free(&r);
}
END_TEST

/* Kerberos on a dynamic port found by the probe: the bind carries an
 * AP-REQ, the bind_ack an AP-REP, linked.  Then a big-endian bind refused
 * by bind_nak on another port. */
START_TEST(t_carrier_kerberos_probe)
{
	struct cap c;
	cap_open(&c);
	struct tconn t;
	tconn_open(&t, &c, 50002, 49667);
	struct sb b = { 0 }, tok = { 0 };
	krb_ap_req(&tok);
	bind_pdu(&b, KF_DCERPC_BIND, 2, true, 1);
	finish(&b, true, KF_DCERPC_AUTH_KERBEROS, 6, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_bind = send_pdu(&t, 0, &b, 1460);
	krb_ap_rep(&tok);
	bind_ack_pdu(&b, KF_DCERPC_BIND_ACK, 2, true, 0, false);
	finish(&b, true, KF_DCERPC_AUTH_KERBEROS, 6, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_ack = send_pdu(&t, 1, &b, 1460);

	struct tconn u;
	tconn_open(&u, &c, 50003, 49668);
	bind_pdu(&b, KF_DCERPC_BIND, 1, false, 1);
	finish(&b, false, 0, 0, NULL, 0);
	uint64_t f_bind2 = send_pdu(&u, 0, &b, 1460);
	nak_pdu(&b, 1, false, 8);
	finish(&b, false, 0, 0, NULL, 0);
	uint64_t f_nak = send_pdu(&u, 1, &b, 1460);
	struct kf_result r = dce_analyze(&c);

	const struct kf_message *m = kf_result_message_at(&r, f_bind, KF_MSG_DCERPC_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(dce_reply_frame(&r, m), f_ack);
	const struct kf_message *ap = kf_result_message_at(&r, f_bind, KF_KRB_AP_REQ);
	ck_assert_ptr_nonnull(ap);
	ck_assert_int_eq(ap->carrier, KF_CARRIER_DCERPC);
	ck_assert_uint_eq(dce_reply_frame(&r, ap), f_ack);
	m = kf_result_message_at(&r, f_ack, KF_KRB_AP_REP);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->carrier, KF_CARRIER_DCERPC);
	m = kf_result_message_at(&r, f_ack, KF_MSG_DCERPC_RESPONSE);
	ck_assert_uint_eq(m->dcerpc->auth_type, KF_DCERPC_AUTH_KERBEROS);
	m = kf_result_message_at(&r, f_nak, KF_MSG_DCERPC_RESPONSE);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->dcerpc->ptype, KF_DCERPC_BIND_NAK);
	ck_assert_uint_eq(m->dcerpc->status, 8);
	ck_assert_str_eq(m->dcerpc->interface, "DRSUAPI"); /* big-endian UUID */
	ck_assert_uint_eq(dce_reply_frame(&r, kf_result_message_at(&r, f_bind2, KF_MSG_DCERPC_REQUEST)),
			  f_nak);
	kf_result_free(&r);
}
END_TEST

/* Random bytes and a request PDU (not a bind) on other ports: not claimed. */
START_TEST(t_carrier_not_claimed)
{
	struct cap c;
	cap_open(&c);
	struct tconn t;
	tconn_open(&t, &c, 50004, 40000);
	uint8_t junk[256];
	srand(17);
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (uint8_t)rand();
	junk[0] = 5; /* even with the version right */
	segment(&t, 0, 0x18, junk, sizeof junk);
	segment(&t, 1, 0x18, junk, sizeof junk);
	struct tconn u;
	tconn_open(&u, &c, 50005, 40001);
	struct sb b = { 0 };
	call_pdu(&b, KF_DCERPC_REQUEST, 1, 32);
	send_pdu(&u, 0, &b, 1460);
	struct kf_result r = dce_analyze(&c);
	ck_assert_uint_eq(count_carrier(&r, KF_CARRIER_DCERPC), 0);
	kf_result_free(&r);
}
END_TEST

/* A connection picked up without its handshake: the bind's first bytes
 * still claim it (the probe's direction unknown), its answer is linked. */
START_TEST(t_carrier_midstream)
{
	struct cap c;
	cap_open(&c);
	struct tconn t = { &c, 50006, 49670, { 0x10000000u, 0x70000000u } };
	struct sb b = { 0 }, tok = { 0 };
	ntlm_negotiate(&tok);
	bind_pdu(&b, KF_DCERPC_BIND, 4, true, 1);
	finish(&b, true, KF_DCERPC_AUTH_NTLMSSP, 2, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_bind = send_pdu(&t, 0, &b, 1460);
	ntlm_challenge(&tok);
	bind_ack_pdu(&b, KF_DCERPC_BIND_ACK, 4, true, 0, false);
	finish(&b, true, KF_DCERPC_AUTH_NTLMSSP, 2, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_ack = send_pdu(&t, 1, &b, 1460);
	struct kf_result r = dce_analyze(&c);
	const struct kf_message *m = kf_result_message_at(&r, f_bind, KF_MSG_DCERPC_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->dcerpc->auth_level, 2);
	ck_assert_uint_eq(dce_reply_frame(&r, m), f_ack);
	ck_assert_ptr_nonnull(kf_result_message_at(&r, f_ack, KF_MSG_NTLM_CHALLENGE));
	kf_result_free(&r);
}
END_TEST

/* ----------------------------------------------- SMB2 named pipes ---- */

#define PIPE_SID 0x77u
#define IPC_TREE 5u
#define DISK_TREE 6u

/* One SMB2 message in its session header from dir; the last frame. */
static uint64_t smb_send(struct tconn *t, int dir, struct sb *msg)
{
	struct sb f = { 0 };
	nbss(&f, 0, msg->n);
	sb_put(&f, msg->p, msg->n);
	sb_free(msg);
	return send_pdu(t, dir, &f, 1460);
}

static struct h2 on_tree(struct h2 h, uint32_t tree)
{
	h.tree = tree;
	return h;
}

/* TREE_CONNECT to IPC$ (tree 5, a pipe share) and to C$ (tree 6, a disk). */
static void connect_trees(struct tconn *t)
{
	struct sb m = { 0 };
	struct h2 h = req2(KF_SMB2_TREE_CONNECT, 1, PIPE_SID);
	tc2_req(&m, &h, "\\\\dc1\\IPC$");
	smb_send(t, 0, &m);
	h = on_tree(rsp2(KF_SMB2_TREE_CONNECT, 0, 1, PIPE_SID), IPC_TREE);
	tc2_rsp(&m, &h, 2);
	smb_send(t, 1, &m);
	h = req2(KF_SMB2_TREE_CONNECT, 2, PIPE_SID);
	tc2_req(&m, &h, "\\\\dc1\\C$");
	smb_send(t, 0, &m);
	h = on_tree(rsp2(KF_SMB2_TREE_CONNECT, 0, 2, PIPE_SID), DISK_TREE);
	tc2_rsp(&m, &h, 1);
	smb_send(t, 1, &m);
}

static void open_pipe(struct tconn *t, uint64_t mid, const char *name, uint64_t fid)
{
	struct sb m = { 0 };
	struct h2 h = on_tree(req2(KF_SMB2_CREATE, mid, PIPE_SID), IPC_TREE);
	create2_req(&m, &h, name);
	smb_send(t, 0, &m);
	h = on_tree(rsp2(KF_SMB2_CREATE, 0, mid, PIPE_SID), IPC_TREE);
	create2_rsp(&m, &h, fid);
	smb_send(t, 1, &m);
}

static uint64_t pipe_write(struct tconn *t, uint64_t mid, uint32_t tree, uint64_t fid, const uint8_t *p,
			   size_t n)
{
	struct sb m = { 0 };
	struct h2 h = on_tree(req2(KF_SMB2_WRITE, mid, PIPE_SID), tree);
	write2_req(&m, &h, fid, p, n);
	return smb_send(t, 0, &m);
}

/* A READ request and its response with the data and status. */
static uint64_t pipe_read(struct tconn *t, uint64_t mid, uint64_t fid, uint32_t status, const uint8_t *p,
			  size_t n)
{
	struct sb m = { 0 };
	struct h2 h = on_tree(req2(KF_SMB2_READ, mid, PIPE_SID), IPC_TREE);
	read2_req(&m, &h, fid, 4280);
	smb_send(t, 0, &m);
	h = on_tree(rsp2(KF_SMB2_READ, status, mid, PIPE_SID), IPC_TREE);
	read2_rsp_data(&m, &h, p, n);
	return smb_send(t, 1, &m);
}

static size_t count_pipe(const struct kf_result *r, const char *pipe)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_dcerpc_rec *d = r->messages[i].dcerpc;
		n += d && d->pipe && !strcmp(d->pipe, pipe);
	}
	return n;
}

/* lsarpc: NTLMSSP bind split over two WRITEs, bind_ack over two READs
 * (STATUS_BUFFER_OVERFLOW), auth3 by WRITE, then a call by transceive
 * answered by a READ: the pipe is let go, a later alter_context on it is
 * not read.  A bind written
 * to a FileId never created, and one on a disk tree, are not read. */
START_TEST(t_pipe_ntlm)
{
	struct cap c;
	cap_open(&c);
	struct tconn t;
	tconn_open(&t, &c, 50100, 445);
	connect_trees(&t);
	open_pipe(&t, 3, "lsarpc", 0x11);
	struct sb pdu = { 0 }, tok = { 0 }, m = { 0 };
	ntlm_negotiate(&tok);
	bind_pdu(&pdu, KF_DCERPC_BIND, 2, true, 1);
	finish(&pdu, true, KF_DCERPC_AUTH_NTLMSSP, 6, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_stray = pipe_write(&t, 4, IPC_TREE, 0x99, pdu.p, pdu.n); /* never created */
	uint64_t f_disk = pipe_write(&t, 5, DISK_TREE, 0x11, pdu.p, pdu.n); /* not a pipe tree */
	uint64_t f_part = pipe_write(&t, 6, IPC_TREE, 0x11, pdu.p, 30);
	uint64_t f_bind = pipe_write(&t, 7, IPC_TREE, 0x11, pdu.p + 30, pdu.n - 30);
	sb_free(&pdu);
	ntlm_challenge(&tok);
	bind_ack_pdu(&pdu, KF_DCERPC_BIND_ACK, 2, true, 0, false);
	finish(&pdu, true, KF_DCERPC_AUTH_NTLMSSP, 6, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_ack1 = pipe_read(&t, 8, 0x11, KF_NT_STATUS_BUFFER_OVERFLOW, pdu.p, 50);
	uint64_t f_ack = pipe_read(&t, 9, 0x11, 0, pdu.p + 50, pdu.n - 50);
	sb_free(&pdu);
	ntlm_authenticate(&tok, "LAB", "alice", false);
	auth3_pdu(&pdu, 2, true);
	finish(&pdu, true, KF_DCERPC_AUTH_NTLMSSP, 6, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_auth3 = pipe_write(&t, 10, IPC_TREE, 0x11, pdu.p, pdu.n);
	sb_free(&pdu);
	call_pdu(&pdu, KF_DCERPC_REQUEST, 3, 100);
	struct h2 h = on_tree(req2(KF_SMB2_IOCTL, 11, PIPE_SID), IPC_TREE);
	ioctl2(&m, &h, KF_SMB2_FSCTL_PIPE_TRANSCEIVE, 0x11, pdu.p, pdu.n);
	smb_send(&t, 0, &m);
	sb_free(&pdu);
	call_pdu(&pdu, KF_DCERPC_RESPONSE, 3, 100);
	pipe_read(&t, 12, 0x11, 0, pdu.p, pdu.n);
	sb_free(&pdu);
	ntlm_negotiate(&tok);
	bind_pdu(&pdu, KF_DCERPC_ALTER_CONTEXT, 4, true, 1);
	finish(&pdu, true, KF_DCERPC_AUTH_NTLMSSP, 6, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_late = pipe_write(&t, 13, IPC_TREE, 0x11, pdu.p, pdu.n);
	sb_free(&pdu);
	struct kf_result r = dce_analyze(&c);

	ck_assert_ptr_null(kf_result_message_at(&r, f_stray, KF_MSG_DCERPC_REQUEST));
	ck_assert_ptr_null(kf_result_message_at(&r, f_disk, KF_MSG_DCERPC_REQUEST));
	ck_assert_ptr_null(kf_result_message_at(&r, f_part, KF_MSG_DCERPC_REQUEST));
	const struct kf_message *bind = kf_result_message_at(&r, f_bind, KF_MSG_DCERPC_REQUEST);
	ck_assert_ptr_nonnull(bind);
	ck_assert_int_eq(bind->carrier, KF_CARRIER_DCERPC);
	ck_assert_str_eq(bind->dcerpc->pipe, "lsarpc");
	ck_assert_str_eq(bind->dcerpc->interface, "DRSUAPI");
	ck_assert_uint_eq(bind->dcerpc->auth_type, KF_DCERPC_AUTH_NTLMSSP);
	ck_assert_uint_eq(bind->dst.port, 445); /* the SMB connection */
	ck_assert_uint_eq(dce_reply_frame(&r, bind), f_ack);
	const struct kf_message *neg = kf_result_message_at(&r, f_bind, KF_MSG_NTLM_NEGOTIATE);
	ck_assert_ptr_nonnull(neg);
	ck_assert_int_eq(neg->carrier, KF_CARRIER_DCERPC);
	ck_assert_uint_eq(dce_reply_frame(&r, neg), f_ack);
	ck_assert_ptr_null(kf_result_message_at(&r, f_ack1, KF_MSG_DCERPC_RESPONSE));
	const struct kf_message *ack = kf_result_message_at(&r, f_ack, KF_MSG_DCERPC_RESPONSE);
	ck_assert_ptr_nonnull(ack);
	ck_assert_str_eq(ack->dcerpc->pipe, "lsarpc");
	ck_assert_ptr_nonnull(kf_result_message_at(&r, f_ack, KF_MSG_NTLM_CHALLENGE));
	ck_assert_ptr_nonnull(kf_result_message_at(&r, f_auth3, KF_MSG_NTLM_AUTHENTICATE));
	ck_assert_ptr_nonnull(kf_result_message_at(&r, f_auth3, KF_MSG_DCERPC_REQUEST));
	ck_assert_ptr_null(kf_result_message_at(&r, f_late, KF_MSG_DCERPC_REQUEST));
	ck_assert_uint_eq(count_pipe(&r, "lsarpc"), 3);
	ck_assert_uint_eq(count_carrier(&r, KF_CARRIER_DCERPC), 6);
	kf_result_free(&r);
}
END_TEST

/* samr: a Kerberos bind by FSCTL_PIPE_TRANSCEIVE, answered after an interim
 * STATUS_PENDING by an async response: AP-REQ and AP-REP linked. */
START_TEST(t_pipe_transceive_kerberos)
{
	struct cap c;
	cap_open(&c);
	struct tconn t;
	tconn_open(&t, &c, 50101, 445);
	connect_trees(&t);
	open_pipe(&t, 3, "samr", 0x22);
	struct sb pdu = { 0 }, tok = { 0 }, m = { 0 };
	krb_ap_req(&tok);
	bind_pdu(&pdu, KF_DCERPC_BIND, 1, true, 1);
	finish(&pdu, true, KF_DCERPC_AUTH_KERBEROS, 6, tok.p, tok.n);
	sb_free(&tok);
	struct h2 h = on_tree(req2(KF_SMB2_IOCTL, 4, PIPE_SID), IPC_TREE);
	ioctl2(&m, &h, KF_SMB2_FSCTL_PIPE_TRANSCEIVE, 0x22, pdu.p, pdu.n);
	uint64_t f_bind = smb_send(&t, 0, &m);
	sb_free(&pdu);
	h = rsp2(KF_SMB2_IOCTL, 0x103, 4, PIPE_SID);
	h.flags |= F_ASYNC;
	h.async_id = 9;
	err2_rsp(&m, &h);
	smb_send(&t, 1, &m);
	krb_ap_rep(&tok);
	bind_ack_pdu(&pdu, KF_DCERPC_BIND_ACK, 1, true, 0, false);
	finish(&pdu, true, KF_DCERPC_AUTH_KERBEROS, 6, tok.p, tok.n);
	sb_free(&tok);
	h = rsp2(KF_SMB2_IOCTL, 0, 4, PIPE_SID);
	h.flags |= F_ASYNC;
	h.async_id = 9;
	ioctl2(&m, &h, KF_SMB2_FSCTL_PIPE_TRANSCEIVE, 0x22, pdu.p, pdu.n);
	uint64_t f_ack = smb_send(&t, 1, &m);
	sb_free(&pdu);
	struct kf_result r = dce_analyze(&c);

	const struct kf_message *ap = kf_result_message_at(&r, f_bind, KF_KRB_AP_REQ);
	ck_assert_ptr_nonnull(ap);
	ck_assert_int_eq(ap->carrier, KF_CARRIER_DCERPC);
	ck_assert_uint_eq(dce_reply_frame(&r, ap), f_ack);
	const struct kf_message *m2 = kf_result_message_at(&r, f_ack, KF_MSG_DCERPC_RESPONSE);
	ck_assert_ptr_nonnull(m2);
	ck_assert_str_eq(m2->dcerpc->pipe, "samr");
	ck_assert_uint_eq(m2->dcerpc->auth_type, KF_DCERPC_AUTH_KERBEROS);
	ck_assert_ptr_nonnull(kf_result_message_at(&r, f_ack, KF_KRB_AP_REP));
	ck_assert_uint_eq(count_pipe(&r, "samr"), 2);
	kf_result_free(&r);
}
END_TEST

/* More pipes than followed at a time: the oldest gives way, its bind is not
 * read; a pipe whose first PDU says a frag_length longer than what is sent
 * swallows the next write and reports nothing; the newest pipe is read. */
START_TEST(t_pipe_hostile)
{
	struct cap c;
	cap_open(&c);
	struct tconn t;
	tconn_open(&t, &c, 50102, 445);
	connect_trees(&t);
	static const char *const names[] = { "p0", "p1", "p2", "p3", "p4", "p5" };
	for (unsigned i = 0; i < 6; i++)
		open_pipe(&t, 10 + i, names[i], 0x100 + i);
	struct sb pdu = { 0 }, tok = { 0 };
	ntlm_negotiate(&tok);
	bind_pdu(&pdu, KF_DCERPC_BIND, 2, true, 1);
	finish(&pdu, true, KF_DCERPC_AUTH_NTLMSSP, 6, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_old = pipe_write(&t, 20, IPC_TREE, 0x100, pdu.p, pdu.n);
	struct sb liar = { 0 };
	sb_put(&liar, pdu.p, pdu.n);
	liar.p[8] = 0xff; /* frag_length 0x7fff */
	liar.p[9] = 0x7f;
	pipe_write(&t, 21, IPC_TREE, 0x103, liar.p, liar.n);
	uint64_t f_swallowed = pipe_write(&t, 22, IPC_TREE, 0x103, pdu.p, pdu.n);
	sb_free(&liar);
	uint64_t f_new = pipe_write(&t, 23, IPC_TREE, 0x105, pdu.p, pdu.n);
	sb_free(&pdu);
	struct kf_result r = dce_analyze(&c);
	ck_assert_ptr_null(kf_result_message_at(&r, f_old, KF_MSG_DCERPC_REQUEST));
	ck_assert_ptr_null(kf_result_message_at(&r, f_swallowed, KF_MSG_DCERPC_REQUEST));
	const struct kf_message *m = kf_result_message_at(&r, f_new, KF_MSG_DCERPC_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->dcerpc->pipe, "p5");
	ck_assert_uint_eq(count_carrier(&r, KF_CARRIER_DCERPC), 2); /* p5's bind and its token */
	kf_result_free(&r);
}
END_TEST

/* SMB1 header of a request (reply: a response) on tree tid. */
static struct h1 h1_of(uint8_t cmd, uint16_t tid, uint16_t mid, bool reply)
{
	struct h1 h = { .cmd = cmd,
			.flags = reply ? F1_REPLY : 0,
			.flags2 = F2_UNICODE | F2_NT | F2_EXT,
			.tid = tid,
			.uid = 0x800,
			.mid = mid };
	return h;
}

/* SMB1: TREE_CONNECT_ANDX to IPC$ (service "IPC"), NT_CREATE_ANDX \samr,
 * an NTLMSSP bind by WRITE_ANDX answered by READ_ANDX, then an
 * alter_context by TRANSACTION TransactNmPipe and its answer. */
START_TEST(t_pipe_smb1)
{
	struct cap c;
	cap_open(&c);
	struct tconn t;
	tconn_open(&t, &c, 50103, 445);
	struct sb m = { 0 }, pdu = { 0 }, tok = { 0 };
	struct h1 h = h1_of(KF_SMB1_TREE_CONNECT_ANDX, 0, 1, false);
	size_t hdr = h1_put(&m, &h);
	tc1_req(&m, hdr, "\\\\DC1\\IPC$", true);
	smb_send(&t, 0, &m);
	h = h1_of(KF_SMB1_TREE_CONNECT_ANDX, 9, 1, true);
	h1_put(&m, &h);
	tc1_rsp(&m, "IPC");
	smb_send(&t, 1, &m);
	h = h1_of(KF_SMB1_NT_CREATE_ANDX, 9, 2, false);
	hdr = h1_put(&m, &h);
	ntcreate1_req(&m, hdr, "\\samr");
	smb_send(&t, 0, &m);
	h = h1_of(KF_SMB1_NT_CREATE_ANDX, 9, 2, true);
	h1_put(&m, &h);
	ntcreate1_rsp(&m, 0x4000);
	smb_send(&t, 1, &m);

	ntlm_negotiate(&tok);
	bind_pdu(&pdu, KF_DCERPC_BIND, 1, true, 1);
	finish(&pdu, true, KF_DCERPC_AUTH_NTLMSSP, 6, tok.p, tok.n);
	sb_free(&tok);
	h = h1_of(KF_SMB1_WRITE_ANDX, 9, 3, false);
	hdr = h1_put(&m, &h);
	write1_req(&m, hdr, 0x4000, pdu.p, pdu.n);
	uint64_t f_bind = smb_send(&t, 0, &m);
	sb_free(&pdu);
	h = h1_of(KF_SMB1_READ_ANDX, 9, 4, false);
	h1_put(&m, &h);
	read1_req(&m, 0x4000);
	smb_send(&t, 0, &m);
	ntlm_challenge(&tok);
	bind_ack_pdu(&pdu, KF_DCERPC_BIND_ACK, 1, true, 0, false);
	finish(&pdu, true, KF_DCERPC_AUTH_NTLMSSP, 6, tok.p, tok.n);
	sb_free(&tok);
	h = h1_of(KF_SMB1_READ_ANDX, 9, 4, true);
	hdr = h1_put(&m, &h);
	read1_rsp(&m, hdr, pdu.p, pdu.n);
	uint64_t f_ack = smb_send(&t, 1, &m);
	sb_free(&pdu);

	ntlm_negotiate(&tok);
	bind_pdu(&pdu, KF_DCERPC_ALTER_CONTEXT, 2, true, 1);
	finish(&pdu, true, KF_DCERPC_AUTH_NTLMSSP, 6, tok.p, tok.n);
	sb_free(&tok);
	h = h1_of(KF_SMB1_TRANSACTION, 9, 5, false);
	hdr = h1_put(&m, &h);
	trans1_pipe(&m, hdr, false, 0x4000, pdu.p, pdu.n);
	uint64_t f_alter = smb_send(&t, 0, &m);
	sb_free(&pdu);
	ntlm_challenge(&tok);
	bind_ack_pdu(&pdu, KF_DCERPC_ALTER_CONTEXT_RESP, 2, true, 0, false);
	finish(&pdu, true, KF_DCERPC_AUTH_NTLMSSP, 6, tok.p, tok.n);
	sb_free(&tok);
	h = h1_of(KF_SMB1_TRANSACTION, 9, 5, true);
	hdr = h1_put(&m, &h);
	trans1_pipe(&m, hdr, true, 0, pdu.p, pdu.n);
	uint64_t f_alter_rsp = smb_send(&t, 1, &m);
	sb_free(&pdu);
	struct kf_result r = dce_analyze(&c);

	const struct kf_message *bind = kf_result_message_at(&r, f_bind, KF_MSG_DCERPC_REQUEST);
	ck_assert_ptr_nonnull(bind);
	ck_assert_str_eq(bind->dcerpc->pipe, "samr");
	ck_assert_uint_eq(dce_reply_frame(&r, bind), f_ack);
	ck_assert_ptr_nonnull(kf_result_message_at(&r, f_bind, KF_MSG_NTLM_NEGOTIATE));
	ck_assert_ptr_nonnull(kf_result_message_at(&r, f_ack, KF_MSG_NTLM_CHALLENGE));
	const struct kf_message *alter = kf_result_message_at(&r, f_alter, KF_MSG_DCERPC_REQUEST);
	ck_assert_ptr_nonnull(alter);
	ck_assert_uint_eq(alter->dcerpc->ptype, KF_DCERPC_ALTER_CONTEXT);
	ck_assert_uint_eq(dce_reply_frame(&r, alter), f_alter_rsp);
	ck_assert_ptr_nonnull(kf_result_message_at(&r, f_alter_rsp, KF_MSG_NTLM_CHALLENGE));
	ck_assert_uint_eq(count_pipe(&r, "samr"), 4);
	kf_result_free(&r);
}
END_TEST

/* ------------------------------------------------------------ sessions ---- */

#define NCA_PROTO_ERROR 0x1c01000bu

/* The DCE/RPC session whose client port is cport, NULL if none. */
static const struct kf_session *rpc_session(const struct kf_result *r, uint16_t cport)
{
	for (size_t i = 0; i < r->n_sessions; i++)
		if (r->sessions[i].carrier == KF_CARRIER_DCERPC && r->sessions[i].client.port == cport)
			return &r->sessions[i];
	return NULL;
}

static size_t count_rpc_sessions(const struct kf_result *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_sessions; i++)
		n += r->sessions[i].carrier == KF_CARRIER_DCERPC;
	return n;
}

static void ntlm_three_legs(struct tconn *t, uint32_t call_id)
{
	struct sb b = { 0 }, tok = { 0 };
	ntlm_negotiate(&tok);
	bind_pdu(&b, KF_DCERPC_BIND, call_id, true, 1);
	finish(&b, true, KF_DCERPC_AUTH_NTLMSSP, 5, tok.p, tok.n);
	sb_free(&tok);
	send_pdu(t, 0, &b, 1460);
	ntlm_challenge(&tok);
	bind_ack_pdu(&b, KF_DCERPC_BIND_ACK, call_id, true, 0, false);
	finish(&b, true, KF_DCERPC_AUTH_NTLMSSP, 5, tok.p, tok.n);
	sb_free(&tok);
	send_pdu(t, 1, &b, 1460);
	ntlm_authenticate(&tok, "LAB", "alice", false);
	auth3_pdu(&b, call_id, true);
	finish(&b, true, KF_DCERPC_AUTH_NTLMSSP, 5, tok.p, tok.n);
	sb_free(&tok);
	send_pdu(t, 0, &b, 1460);
}

static uint64_t fault_on(struct tconn *t, uint32_t call_id, uint32_t status)
{
	struct sb b = { 0 };
	fault_pdu(&b, call_id, true, status);
	finish(&b, true, 0, 0, NULL, 0);
	return send_pdu(t, 1, &b, 1460);
}

/* Over TCP: NTLM whose first call after AUTH3 is refused (Samba's wrong
 * password) and a later call's fault that is not the bind's; Kerberos in
 * DCE style, its AUTH3 carrying the client's AP-REP; a bind without
 * authentication accepted (no session) and one refused by bind_nak; a bind
 * answered by a fault; a bare bind made a Netlogon secure channel by
 * alter_context. */
START_TEST(t_sessions_tcp)
{
	struct cap c;
	cap_open(&c);
	struct sb b = { 0 }, tok = { 0 };
	struct tconn ta;
	tconn_open(&ta, &c, 50010, 135);
	ntlm_three_legs(&ta, 2);
	call_pdu(&b, KF_DCERPC_REQUEST, 3, 10);
	send_pdu(&ta, 0, &b, 1460);
	uint64_t f_a_fault = fault_on(&ta, 3, NCA_PROTO_ERROR);
	call_pdu(&b, KF_DCERPC_REQUEST, 4, 10);
	send_pdu(&ta, 0, &b, 1460);
	uint64_t f_a_late = fault_on(&ta, 4, 5);

	struct tconn tb;
	tconn_open(&tb, &c, 50011, 49667);
	krb_ap_req(&tok);
	bind_pdu(&b, KF_DCERPC_BIND, 2, true, 1);
	finish(&b, true, KF_DCERPC_AUTH_KERBEROS, 5, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_b_bind = send_pdu(&tb, 0, &b, 1460);
	krb_ap_rep(&tok);
	bind_ack_pdu(&b, KF_DCERPC_BIND_ACK, 2, true, 0, false);
	finish(&b, true, KF_DCERPC_AUTH_KERBEROS, 5, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_b_ack = send_pdu(&tb, 1, &b, 1460);
	krb_ap_rep(&tok);
	auth3_pdu(&b, 2, true);
	finish(&b, true, KF_DCERPC_AUTH_KERBEROS, 5, tok.p, tok.n);
	sb_free(&tok);
	uint64_t f_b_auth3 = send_pdu(&tb, 0, &b, 1460);
	call_pdu(&b, KF_DCERPC_REQUEST, 3, 10);
	send_pdu(&tb, 0, &b, 1460);
	call_pdu(&b, KF_DCERPC_RESPONSE, 3, 10);
	send_pdu(&tb, 1, &b, 1460);

	struct tconn tc;
	tconn_open(&tc, &c, 50012, 135);
	bind_pdu(&b, KF_DCERPC_BIND, 1, true, 1);
	finish(&b, true, 0, 0, NULL, 0);
	send_pdu(&tc, 0, &b, 1460);
	bind_ack_pdu(&b, KF_DCERPC_BIND_ACK, 1, true, 0, false);
	finish(&b, true, 0, 0, NULL, 0);
	send_pdu(&tc, 1, &b, 1460);

	struct tconn td;
	tconn_open(&td, &c, 50013, 49668);
	bind_pdu(&b, KF_DCERPC_BIND, 1, true, 1);
	finish(&b, true, 0, 0, NULL, 0);
	send_pdu(&td, 0, &b, 1460);
	nak_pdu(&b, 1, true, 8);
	finish(&b, true, 0, 0, NULL, 0);
	uint64_t f_d_nak = send_pdu(&td, 1, &b, 1460);

	struct tconn te;
	tconn_open(&te, &c, 50014, 135);
	ntlm_negotiate(&tok);
	bind_pdu(&b, KF_DCERPC_BIND, 7, true, 1);
	finish(&b, true, KF_DCERPC_AUTH_NTLMSSP, 5, tok.p, tok.n);
	sb_free(&tok);
	send_pdu(&te, 0, &b, 1460);
	uint64_t f_e_fault = fault_on(&te, 7, 5);

	struct tconn tf; /* NETLOGON's way: bound bare, then the secure channel by alter_context */
	tconn_open(&tf, &c, 50015, 49669);
	bind_pdu(&b, KF_DCERPC_BIND, 1, true, 1);
	finish(&b, true, 0, 0, NULL, 0);
	uint64_t f_f_bind = send_pdu(&tf, 0, &b, 1460);
	bind_ack_pdu(&b, KF_DCERPC_BIND_ACK, 1, true, 0, false);
	finish(&b, true, 0, 0, NULL, 0);
	send_pdu(&tf, 1, &b, 1460);
	static const uint8_t nl_auth[12] = { 0 };
	bind_pdu(&b, KF_DCERPC_ALTER_CONTEXT, 2, true, 1);
	finish(&b, true, KF_DCERPC_AUTH_NETLOGON, 6, nl_auth, sizeof nl_auth);
	send_pdu(&tf, 0, &b, 1460);
	bind_ack_pdu(&b, KF_DCERPC_ALTER_CONTEXT_RESP, 2, true, 0, false);
	finish(&b, true, KF_DCERPC_AUTH_NETLOGON, 6, nl_auth, sizeof nl_auth);
	uint64_t f_f_resp = send_pdu(&tf, 1, &b, 1460);
	struct kf_result r = dce_analyze(&c);

	ck_assert_uint_eq(count_rpc_sessions(&r), 5);
	ck_assert_ptr_null(rpc_session(&r, 50012)); /* no authentication, accepted */

	const struct kf_session *s = rpc_session(&r, 50010);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->target, "DRSUAPI");
	ck_assert_ptr_null(s->pipe);
	ck_assert_str_eq(s->mech, "ntlm");
	ck_assert_str_eq(s->as, "LAB\\alice");
	ck_assert_str_eq(s->outcome, "error");
	ck_assert(s->has_rpc_status);
	ck_assert_uint_eq(s->rpc_status, NCA_PROTO_ERROR);
	ck_assert_str_eq(s->rpc_status_kind, "auth3_fault");
	ck_assert_uint_eq(s->n_frames, 4); /* bind, bind_ack, auth3, the fault */
	ck_assert_uint_eq(s->frames[3], f_a_fault);
	const struct kf_message *m = kf_result_message_at(&r, f_a_fault, KF_MSG_DCERPC_RESPONSE);
	ck_assert(m && m->dcerpc->first_call);
	m = kf_result_message_at(&r, f_a_late, KF_MSG_DCERPC_RESPONSE);
	ck_assert(m && !m->dcerpc->first_call);

	s = rpc_session(&r, 50011);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->mech, "kerberos");
	ck_assert_str_eq(s->ticket, "host/dc1@LAB.TEST");
	ck_assert_str_eq(s->outcome, "ok");
	ck_assert(!s->has_rpc_status);
	ck_assert_uint_eq(s->first_frame, f_b_bind);
	ck_assert_uint_eq(s->frames[s->n_frames - 1], f_b_auth3);
	/* the AP-REP of the bind_ack is the server's, AUTH3's is the client's */
	m = kf_result_message_at(&r, f_b_ack, KF_KRB_AP_REP);
	ck_assert(m && m->sender == KF_SENDER_SERVER);
	const struct kf_message *leg3 = kf_result_message_at(&r, f_b_auth3, KF_KRB_AP_REP);
	ck_assert(leg3 && leg3->sender == KF_SENDER_CLIENT);
	struct kf_endpoint client;
	ck_assert(kf_message_client(leg3, &client));
	ck_assert(kf_endpoint_same_addr(&client, &leg3->src));
	ck_assert(kf_message_client(m, &client));
	ck_assert(kf_endpoint_same_addr(&client, &m->dst));
	ck_assert_uint_eq(r.n_stories, 1); /* no story for the server */

	s = rpc_session(&r, 50013);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->mech, "none");
	ck_assert_str_eq(s->outcome, "error");
	ck_assert_str_eq(s->rpc_status_kind, "bind_nak");
	ck_assert_uint_eq(s->rpc_status, 8);
	ck_assert_uint_eq(s->frames[s->n_frames - 1], f_d_nak);

	s = rpc_session(&r, 50014);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->mech, "ntlm");
	ck_assert_str_eq(s->outcome, "error");
	ck_assert_str_eq(s->rpc_status_kind, "fault");
	ck_assert_uint_eq(s->rpc_status, 5);
	ck_assert_uint_eq(s->frames[s->n_frames - 1], f_e_fault);

	s = rpc_session(&r, 50015);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s->mech, "netlogon");
	ck_assert_str_eq(s->outcome, "ok");
	ck_assert_uint_eq(s->first_frame, f_f_bind);
	ck_assert_uint_eq(s->n_frames, 4);
	ck_assert_uint_eq(s->frames[3], f_f_resp);
	kf_result_free(&r);
}
END_TEST

/* One bind leg on a pipe by WRITE (client) or READ (server). */
static uint64_t pipe_pdu(struct tconn *t, uint64_t mid, uint64_t fid, int dir, struct sb *pdu)
{
	uint64_t f = dir == 0 ? pipe_write(t, mid, IPC_TREE, fid, pdu->p, pdu->n)
			      : pipe_read(t, mid, fid, 0, pdu->p, pdu->n);
	sb_free(pdu);
	return f;
}

/* Two pipes on one SMB2 connection, their binds interleaved: lsarpc's NTLM
 * is refused by a fault on the first call after AUTH3 (read although the
 * call ends the bind phase), samr's is accepted; a pipe bound without
 * authentication (it rides the SMB session) is no session. */
START_TEST(t_sessions_pipe)
{
	struct cap c;
	cap_open(&c);
	struct tconn t;
	tconn_open(&t, &c, 50110, 445);
	connect_trees(&t);
	open_pipe(&t, 3, "lsarpc", 0x11);
	open_pipe(&t, 4, "samr", 0x22);
	open_pipe(&t, 5, "srvsvc", 0x33);
	struct sb pdu = { 0 }, tok = { 0 };
	uint64_t mid = 10;
	for (uint64_t fid = 0x11; fid <= 0x22; fid += 0x11) {
		ntlm_negotiate(&tok);
		bind_pdu(&pdu, KF_DCERPC_BIND, 2, true, 1);
		finish(&pdu, true, KF_DCERPC_AUTH_NTLMSSP, 6, tok.p, tok.n);
		sb_free(&tok);
		pipe_pdu(&t, mid++, fid, 0, &pdu);
	}
	for (uint64_t fid = 0x11; fid <= 0x22; fid += 0x11) {
		ntlm_challenge(&tok);
		bind_ack_pdu(&pdu, KF_DCERPC_BIND_ACK, 2, true, 0, false);
		finish(&pdu, true, KF_DCERPC_AUTH_NTLMSSP, 6, tok.p, tok.n);
		sb_free(&tok);
		pipe_pdu(&t, mid++, fid, 1, &pdu);
	}
	for (uint64_t fid = 0x22; fid >= 0x11; fid -= 0x11) {
		ntlm_authenticate(&tok, "LAB", fid == 0x11 ? "alice" : "bob", false);
		auth3_pdu(&pdu, 2, true);
		finish(&pdu, true, KF_DCERPC_AUTH_NTLMSSP, 6, tok.p, tok.n);
		sb_free(&tok);
		pipe_pdu(&t, mid++, fid, 0, &pdu);
		call_pdu(&pdu, KF_DCERPC_REQUEST, 3, 40);
		pipe_pdu(&t, mid++, fid, 0, &pdu);
	}
	call_pdu(&pdu, KF_DCERPC_RESPONSE, 3, 40);
	pipe_pdu(&t, mid++, 0x22, 1, &pdu);
	fault_pdu(&pdu, 3, true, NCA_PROTO_ERROR);
	finish(&pdu, true, 0, 0, NULL, 0);
	uint64_t f_fault = pipe_pdu(&t, mid++, 0x11, 1, &pdu);
	bind_pdu(&pdu, KF_DCERPC_BIND, 1, true, 1);
	finish(&pdu, true, 0, 0, NULL, 0);
	pipe_pdu(&t, mid++, 0x33, 0, &pdu);
	bind_ack_pdu(&pdu, KF_DCERPC_BIND_ACK, 1, true, 0, false);
	finish(&pdu, true, 0, 0, NULL, 0);
	pipe_pdu(&t, mid++, 0x33, 1, &pdu);
	struct kf_result r = dce_analyze(&c);

	const struct kf_message *m = kf_result_message_at(&r, f_fault, KF_MSG_DCERPC_RESPONSE);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->dcerpc->pipe, "lsarpc");
	ck_assert(m->dcerpc->first_call);
	ck_assert_uint_eq(count_rpc_sessions(&r), 2);
	const struct kf_session *lsa = NULL, *samr = NULL;
	for (size_t i = 0; i < r.n_sessions; i++) {
		const struct kf_session *s = &r.sessions[i];
		if (s->carrier != KF_CARRIER_DCERPC)
			continue;
		ck_assert_ptr_nonnull(s->pipe);
		ck_assert_uint_eq(s->server.port, 445);
		if (!strcmp(s->pipe, "lsarpc"))
			lsa = s;
		else if (!strcmp(s->pipe, "samr"))
			samr = s;
	}
	ck_assert_ptr_nonnull(lsa);
	ck_assert_ptr_nonnull(samr);
	ck_assert_str_eq(lsa->target, "DRSUAPI");
	ck_assert_str_eq(lsa->mech, "ntlm");
	ck_assert_str_eq(lsa->as, "LAB\\alice");
	ck_assert_str_eq(lsa->outcome, "error");
	ck_assert_str_eq(lsa->rpc_status_kind, "auth3_fault");
	ck_assert_uint_eq(lsa->rpc_status, NCA_PROTO_ERROR);
	ck_assert_uint_eq(lsa->n_frames, 4);
	ck_assert_uint_eq(lsa->frames[3], f_fault);
	ck_assert_str_eq(samr->mech, "ntlm");
	ck_assert_str_eq(samr->as, "LAB\\bob");
	ck_assert_str_eq(samr->outcome, "ok");
	ck_assert(!samr->has_rpc_status);
	ck_assert_uint_eq(samr->n_frames, 3);
	kf_result_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dcerpc");
	TCase *tc = tcase_create("decoder");
	tcase_add_test(tc, t_bind_both_orders);
	tcase_add_test(tc, t_answers);
	tcase_add_test(tc, t_names);
	tcase_add_test(tc, t_malformed);
	tcase_add_test(tc, t_context_cap);
	suite_add_tcase(s, tc);
	TCase *tk = tcase_create("carrier");
	tcase_set_timeout(tk, 60);
	tcase_add_test(tk, t_carrier_ntlm);
	tcase_add_test(tk, t_carrier_kerberos_probe);
	tcase_add_test(tk, t_carrier_not_claimed);
	tcase_add_test(tk, t_carrier_midstream);
	tcase_add_test(tk, t_pipe_ntlm);
	tcase_add_test(tk, t_pipe_transceive_kerberos);
	tcase_add_test(tk, t_pipe_hostile);
	tcase_add_test(tk, t_pipe_smb1);
	tcase_add_test(tk, t_sessions_tcp);
	tcase_add_test(tk, t_sessions_pipe);
	suite_add_tcase(s, tk);
	return kf_test_run(s);
}
