/* check_smb_carrier.c - the SMB carrier (analyzer/wire/carrier_smb.c) and
 * SMB sessions (analyzer/model/sessions.c) through kf_analyze, on captures
 * this file writes: an SMB2 connection from NEGOTIATE through two-leg NTLM
 * to TREE_CONNECT with a 1 MiB READ counted off between, NetBIOS lengths
 * of 0xFFFFFF that never arrive, PDUs over KF_LIMIT_SMB_PDU, lost framing
 * found again, port 139's session service with SMB1 and an AndX chain,
 * anonymous NTLM and SMB3 encryption.  Messages built by smbfix.c. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer.h"
#include "base/arena.h"
#include "base/limits.h"
#include "result.h"
#include "sessions.h"
#include "smb.h"
#include "capfix.h"
#include "smbfix.h"
#include "testutil.h"

/* A PDU behind its session header: type 0 and a 24-bit length (445). */
static uint64_t send_pdu(struct tconn *t, int dir, const struct sb *pdu, size_t mss)
{
	struct sb w = { 0 };
	nbss(&w, 0, pdu->n);
	sb_put(&w, pdu->p, pdu->n);
	uint64_t f = tsend(t, dir, w.p, w.n, mss);
	sb_free(&w);
	return f;
}

#define SID 0x0000400000000011ull
#define SHARE "\\\\fs1.lab.test\\share"

/* The exchange of an SMB2 connection as far as the session: NEGOTIATE,
 * then NTLM in two legs; the second SESSION_SETUP request over two
 * segments.  Frames: 4-5 NEGOTIATE, 6-7 leg one, 8-9 leg two request,
 * 10 its response (when the connection opened at frame 1). */
static void smb2_logon(struct tconn *t, const char *user, bool anonymous)
{
	static const uint16_t d[] = { 0x0202, 0x0210, 0x0300, 0x0302, 0x0311 };
	struct sb pdu = { 0 }, tok = { 0 }, ntlm = { 0 };
	struct h2 h = req2(KF_SMB2_NEGOTIATE, 0, 0);
	neg2_req(&pdu, &h, d, 5, 1, 0x7f);
	send_pdu(t, 0, &pdu, 1460);
	sb_free(&pdu);
	spnego_init(&tok, NULL, 0);
	h = rsp2(KF_SMB2_NEGOTIATE, 0, 0, 0);
	neg2_rsp(&pdu, &h, 0x0311, 3, 0x6f, tok.p, tok.n);
	send_pdu(t, 1, &pdu, 1460);
	sb_free(&pdu);
	sb_free(&tok);

	ntlm_negotiate(&ntlm);
	spnego_init(&tok, ntlm.p, ntlm.n);
	h = req2(KF_SMB2_SESSION_SETUP, 1, 0);
	ss2_req(&pdu, &h, 1, tok.p, tok.n, 0);
	send_pdu(t, 0, &pdu, 1460);
	sb_free(&pdu);
	sb_free(&tok);
	sb_free(&ntlm);

	ntlm_challenge(&ntlm);
	spnego_resp(&tok, 1, ntlm.p, ntlm.n);
	h = rsp2(KF_SMB2_SESSION_SETUP, ST_MORE, 1, SID);
	ss2_rsp(&pdu, &h, 0, tok.p, tok.n);
	send_pdu(t, 1, &pdu, 1460);
	sb_free(&pdu);
	sb_free(&tok);
	sb_free(&ntlm);

	ntlm_authenticate(&ntlm, "LAB", user, anonymous);
	spnego_resp(&tok, 1, ntlm.p, ntlm.n);
	h = req2(KF_SMB2_SESSION_SETUP, 2, SID);
	ss2_req(&pdu, &h, 1, tok.p, tok.n, 0);
	send_pdu(t, 0, &pdu, (pdu.n + 4) / 2 + 1); /* two segments */
	sb_free(&pdu);
	sb_free(&tok);
	sb_free(&ntlm);

	spnego_resp(&tok, 0, NULL, 0);
	h = rsp2(KF_SMB2_SESSION_SETUP, 0, 2, SID);
	ss2_rsp(&pdu, &h, anonymous ? KF_SMB_SESSION_NULL : 0, tok.p, tok.n);
	send_pdu(t, 1, &pdu, 1460);
	sb_free(&pdu);
	sb_free(&tok);
}

/* A TREE_CONNECT request from the client or its response; the frame. */
static uint64_t smb2_tree(struct tconn *t, int dir, uint64_t mid, const char *path)
{
	struct sb pdu = { 0 };
	struct h2 h = dir ? rsp2(KF_SMB2_TREE_CONNECT, 0, mid, SID) : req2(KF_SMB2_TREE_CONNECT, mid, SID);
	h.tree = dir ? 1 : 0;
	if (dir)
		tc2_rsp(&pdu, &h, 1);
	else
		tc2_req(&pdu, &h, path);
	uint64_t f = send_pdu(t, dir, &pdu, 1460);
	sb_free(&pdu);
	return f;
}

/* A READ request and its response of n data bytes in full segments. */
static void smb2_read(struct tconn *t, uint64_t mid, size_t n)
{
	struct sb pdu = { 0 };
	struct h2 h = req2(8, mid, SID);
	h2_put(&pdu, &h);
	sb_le16(&pdu, 49);
	sb_zero(&pdu, 48);
	send_pdu(t, 0, &pdu, 1460);
	sb_free(&pdu);
	h = rsp2(8, 0, mid, SID);
	read2_rsp(&pdu, &h, n);
	send_pdu(t, 1, &pdu, 1460);
	sb_free(&pdu);
}

static void smb2_logoff(struct tconn *t, uint64_t mid)
{
	struct sb pdu = { 0 };
	struct h2 h = req2(KF_SMB2_LOGOFF, mid, SID);
	logoff2(&pdu, &h);
	send_pdu(t, 0, &pdu, 1460);
	sb_free(&pdu);
	h = rsp2(KF_SMB2_LOGOFF, 0, mid, SID);
	logoff2(&pdu, &h);
	send_pdu(t, 1, &pdu, 1460);
	sb_free(&pdu);
}

/* A TREE_CONNECT request to SHARE sits in frame, answered in reply. */
static void tree_answered(const struct kf_result *r, uint64_t frame, uint64_t reply)
{
	const struct kf_message *m = at(r, frame, KF_MSG_SMB_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->smb->command_name, "TREE_CONNECT");
	ck_assert_str_eq(m->smb->tree, SHARE);
	ck_assert_uint_eq(reply_frame(r, m), reply);
}

/* NEGOTIATE, two-leg NTLM, TREE_CONNECT, a READ of read_len bytes, LOGOFF. */
static void write_session(struct cap *c, size_t read_len)
{
	struct tconn t;
	cap_open(c);
	tconn_open(&t, c, 49700, 445);
	smb2_logon(&t, "alice", false);
	smb2_tree(&t, 0, 3, SHARE);
	smb2_tree(&t, 1, 3, NULL);
	smb2_read(&t, 4, read_len);
	smb2_logoff(&t, 5);
	tconn_close(&t);
	cap_close(c);
}

START_TEST(t_carrier_session)
{
	struct cap c;
	write_session(&c, 1u << 20);
	uint64_t frames = c.frames;
	struct kf_result r = analyze(&c);
	ck_assert_uint_eq(r.packets, frames);
	ck_assert_uint_eq(r.n_warnings, 0);

	/* NEGOTIATE 4 -> 5, the server's SPNEGO hint, dialect, signing, encryption */
	const struct kf_message *m = at(&r, 4, KF_MSG_SMB_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->carrier, KF_CARRIER_SMB2);
	ck_assert_str_eq(m->smb->command_name, "NEGOTIATE");
	ck_assert_uint_eq(m->smb->max_dialect, 0x0311);
	ck_assert_uint_eq(reply_frame(&r, m), 5);
	m = at(&r, 5, KF_MSG_SMB_RESPONSE);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->smb->dialect, 0x0311);
	ck_assert(m->smb->signing_enabled && m->smb->signing_required);
	ck_assert(m->smb->encryption_capable);
	ck_assert_ptr_nonnull(m->spnego);

	/* leg one: NTLM NEGOTIATE in 6, CHALLENGE in 7 */
	m = at(&r, 6, KF_MSG_NTLM_NEGOTIATE);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->carrier, KF_CARRIER_SMB2);
	ck_assert_int_eq(m->dst.port, 445);
	ck_assert_uint_eq(reply_frame(&r, m), 7);
	ck_assert_ptr_nonnull(at(&r, 7, KF_MSG_NTLM_CHALLENGE));
	m = at(&r, 6, KF_MSG_SMB_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->smb->command_name, "SESSION_SETUP");
	ck_assert_uint_gt(m->smb->token_bytes, 0);
	ck_assert_uint_eq(reply_frame(&r, m), 7);
	m = at(&r, 7, KF_MSG_SMB_RESPONSE);
	ck_assert_uint_eq(m->smb->status, ST_MORE);
	ck_assert_uint_eq(m->smb->session_id, SID);

	/* leg two: the request ends in 9, began in 8 */
	ck_assert_ptr_null(at(&r, 8, -1));
	m = at(&r, 9, KF_MSG_NTLM_AUTHENTICATE);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->first_frame, 8);
	ck_assert_str_eq(m->ntlm->user, "alice");
	m = at(&r, 9, KF_MSG_SMB_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->first_frame, 8);
	ck_assert_uint_eq(reply_frame(&r, m), 10);
	m = at(&r, 10, KF_MSG_SMB_RESPONSE);
	ck_assert(m->smb->has_status);
	ck_assert_uint_eq(m->smb->status, 0);

	/* TREE_CONNECT 11 -> 12, the path on both */
	m = at(&r, 11, KF_MSG_SMB_REQUEST);
	ck_assert_str_eq(m->smb->command_name, "TREE_CONNECT");
	ck_assert_str_eq(m->smb->tree, SHARE);
	ck_assert_uint_eq(reply_frame(&r, m), 12);
	ck_assert_str_eq(at(&r, 12, KF_MSG_SMB_RESPONSE)->smb->tree, SHARE);

	/* the READ (13, then 1 MiB from 14 on) left no message; LOGOFF after it did */
	const struct kf_message *last = &r.messages[r.n_messages - 1];
	ck_assert_str_eq(last->smb->command_name, "LOGOFF");
	ck_assert_uint_eq(last->frame, frames - 3);
	ck_assert_uint_eq(reply_frame(&r, &r.messages[r.n_messages - 2]), last->frame);
	for (size_t i = 0; i < r.n_messages; i++)
		ck_assert(r.messages[i].frame <= 12 || r.messages[i].frame >= frames - 4);
	ck_assert_uint_eq(count_type(&r, KF_MSG_SMB_REQUEST), 5);
	ck_assert_uint_eq(count_type(&r, KF_MSG_SMB_RESPONSE), 5);
	ck_assert_uint_eq(r.n_messages, 13);

	/* the session: NTLM as LAB\alice, ok, on the share */
	ck_assert_uint_eq(r.n_sessions, 1);
	const struct kf_session *s = &r.sessions[0];
	ck_assert_str_eq(s->mech, "ntlm");
	ck_assert_str_eq(s->as, "LAB\\alice");
	ck_assert_str_eq(s->outcome, "ok");
	ck_assert_str_eq(s->target, SHARE);
	ck_assert_uint_eq(s->session_id, SID);
	ck_assert_uint_eq(s->first_frame, 6);
	ck_assert_int_eq(s->carrier, KF_CARRIER_SMB2);
	ck_assert_int_eq(s->server.port, 445);
	kf_result_free(&r);
}
END_TEST

/* The 1 MiB READ is counted off, not gathered: the analysis makes as many
 * allocations as with a 4 KiB one. */
START_TEST(t_carrier_read_not_gathered)
{
	unsigned long calls[2];
	const size_t lens[2] = { 4096, 1u << 20 };
	for (int i = 0; i < 2; i++) {
		struct cap c;
		write_session(&c, lens[i]);
		unsigned long before = kf_alloc_calls();
		struct kf_result r = analyze(&c);
		calls[i] = kf_alloc_calls() - before;
		ck_assert_uint_eq(r.n_messages, 13);
		kf_result_free(&r);
	}
	ck_assert_uint_eq(calls[1], calls[0]);
}
END_TEST

/* A session header announcing 0xFFFFFF bytes whose data never comes: the
 * SESSION_SETUP it starts is too big to read (said once), and nothing
 * waits for the rest; the other direction goes on. */
START_TEST(t_carrier_endless_pdu)
{
	struct cap c;
	struct tconn t;
	cap_open(&c);
	tconn_open(&t, &c, 49701, 445);
	static const uint16_t d[] = { 0x0311 };
	struct sb pdu = { 0 };
	struct h2 h = req2(KF_SMB2_NEGOTIATE, 0, 0);
	neg2_req(&pdu, &h, d, 1, 1, 0);
	send_pdu(&t, 0, &pdu, 1460); /* 4 */
	sb_free(&pdu);
	h = rsp2(KF_SMB2_NEGOTIATE, 0, 0, 0);
	neg2_rsp(&pdu, &h, 0x0311, 1, 0, NULL, 0);
	send_pdu(&t, 1, &pdu, 1460); /* 5 */
	sb_free(&pdu);
	struct sb tok = { 0 };
	ntlm_negotiate(&tok);
	sb_put(&pdu, "\x00\xff\xff\xff", 4);
	h = req2(KF_SMB2_SESSION_SETUP, 1, 0);
	ss2_req(&pdu, &h, 1, tok.p, tok.n, 0);
	tsend(&t, 0, pdu.p, pdu.n, 1460); /* 6 */
	sb_free(&pdu);
	sb_free(&tok);
	h = rsp2(KF_SMB2_SESSION_SETUP, ST_LOGON_FAILURE, 1, 0);
	err2_rsp(&pdu, &h);
	send_pdu(&t, 1, &pdu, 1460); /* 7 */
	sb_free(&pdu);
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	ck_assert(warned(&r, "smb-pdu-too-big"));
	ck_assert_uint_eq(r.n_warnings, 1);
	ck_assert_ptr_nonnull(at(&r, 4, KF_MSG_SMB_REQUEST));
	ck_assert_ptr_nonnull(at(&r, 5, KF_MSG_SMB_RESPONSE));
	ck_assert_ptr_null(at(&r, 6, -1));
	const struct kf_message *m = at(&r, 7, KF_MSG_SMB_RESPONSE);
	ck_assert_ptr_nonnull(m);
	ck_assert_uint_eq(m->smb->status, ST_LOGON_FAILURE);
	ck_assert_ptr_null(kf_msg_request(&r, m));
	kf_result_free(&r);

	/* the same length in front of a READ: skipped without a word */
	cap_open(&c);
	tconn_open(&t, &c, 49702, 445);
	sb_put(&pdu, "\x00\xff\xff\xff", 4);
	h = rsp2(8, 0, 1, SID);
	read2_rsp(&pdu, &h, 3000);
	tsend(&t, 1, pdu.p, pdu.n, 1460);
	sb_free(&pdu);
	tconn_close(&t);
	cap_close(&c);
	r = analyze(&c);
	ck_assert_uint_eq(r.n_warnings, 0);
	ck_assert_uint_eq(r.n_messages, 0);
	kf_result_free(&r);
}
END_TEST

/* A SESSION_SETUP larger than KF_LIMIT_SMB_PDU is skipped whole (one
 * event); the PDUs after it are read. */
START_TEST(t_carrier_pdu_too_big)
{
	struct cap c;
	struct tconn t;
	cap_open(&c);
	tconn_open(&t, &c, 49703, 445);
	size_t big = KF_LIMIT_SMB_PDU + 1000;
	uint8_t *blob = calloc(1, big);
	struct sb pdu = { 0 };
	struct h2 h = req2(KF_SMB2_SESSION_SETUP, 1, 0);
	ss2_req(&pdu, &h, 1, blob, 0xffff, 0); /* the length field holds 16 bits */
	sb_put(&pdu, blob, big - 0xffff);
	ck_assert_uint_gt(pdu.n, KF_LIMIT_SMB_PDU);
	uint64_t f = send_pdu(&t, 0, &pdu, 1460);
	sb_free(&pdu);
	free(blob);
	uint64_t g = smb2_tree(&t, 0, 2, SHARE);
	uint64_t k = smb2_tree(&t, 1, 2, NULL);
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	ck_assert(warned(&r, "smb-pdu-too-big"));
	ck_assert_uint_eq(r.n_warnings, 1);
	for (uint64_t i = 4; i <= f; i++)
		ck_assert_ptr_null(at(&r, i, -1));
	tree_answered(&r, g, k);
	ck_assert_uint_eq(r.n_messages, 2);
	kf_result_free(&r);
}
END_TEST

/* Bytes missing in the middle of a SESSION_SETUP: framing lost (said once),
 * the rest of that PDU passed over, the next SMB header found again. */
START_TEST(t_carrier_gap_resync)
{
	struct cap c;
	struct tconn t;
	cap_open(&c);
	tconn_open(&t, &c, 49704, 445);
	struct sb pdu = { 0 }, tok = { 0 }, ntlm = { 0 };
	ntlm_authenticate(&ntlm, "LAB", "erin", false);
	spnego_resp(&tok, 1, ntlm.p, ntlm.n);
	struct h2 h = req2(KF_SMB2_SESSION_SETUP, 2, SID);
	ss2_req(&pdu, &h, 1, tok.p, tok.n, 0);
	struct sb w = { 0 };
	nbss(&w, 0, pdu.n);
	sb_put(&w, pdu.p, pdu.n);
	tsend(&t, 0, w.p, 40, 1460);              /* 4: the start */
	t.seq[0] += 60;                           /* 60 bytes never captured */
	tsend(&t, 0, w.p + 100, w.n - 100, 1460); /* 5: the rest */
	sb_free(&w);
	sb_free(&pdu);
	sb_free(&tok);
	sb_free(&ntlm);
	smb2_tree(&t, 0, 3, SHARE);                   /* 6 */
	uint64_t ack = segment(&t, 1, 0x10, NULL, 0); /* 7: the server has it all, so the hole is a gap */
	uint64_t g = smb2_tree(&t, 1, 3, NULL);
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	ck_assert(warned(&r, "smb-framing-lost"));
	ck_assert_ptr_null(at(&r, 4, -1));
	ck_assert_ptr_null(at(&r, 5, KF_MSG_NTLM_AUTHENTICATE));
	tree_answered(&r, ack, g); /* what followed the hole waited for the acknowledgement */
	ck_assert_uint_eq(r.n_messages, 2);
	kf_result_free(&r);
}
END_TEST

/* Port 139: the NetBIOS session request (0x81) and positive response
 * (0x82), a keepalive (0x85), then SMB1 with 17-bit lengths: NEGOTIATE
 * with extended security and an AndX SESSION_SETUP + TREE_CONNECT. */
START_TEST(t_carrier_netbios_139)
{
	struct cap c;
	struct tconn t;
	cap_open(&c);
	tconn_open(&t, &c, 49705, 139);
	struct sb w = { 0 };
	sb_put(&w, "\x81\x00\x00\x44", 4);
	sb_u8(&w, 0x20);
	for (int i = 0; i < 32; i++)
		sb_u8(&w, (uint8_t)('A' + (i & 7)));
	sb_u8(&w, 0);
	sb_u8(&w, 0x20);
	for (int i = 0; i < 32; i++)
		sb_u8(&w, (uint8_t)('C' + (i & 3)));
	sb_u8(&w, 0);
	tsend(&t, 0, w.p, w.n, 1460); /* 4 */
	sb_free(&w);
	tsend(&t, 1, (const uint8_t *)"\x82\x00\x00\x00", 4, 1460); /* 5 */
	tsend(&t, 0, (const uint8_t *)"\x85\x00\x00\x00", 4, 1460); /* 6 */

	struct sb pdu = { 0 };
	struct h1 h = { .cmd = KF_SMB1_NEGOTIATE, .flags2 = F2_EXT | F2_NT | F2_UNICODE, .mid = 1 };
	neg1_req(&pdu, &h);
	send_pdu(&t, 0, &pdu, 1460); /* 7 */
	sb_free(&pdu);
	struct sb tok = { 0 };
	spnego_init(&tok, NULL, 0);
	h.flags = F1_REPLY;
	neg1_rsp(&pdu, &h, 0x0f, 0x8000f3fd, tok.p, tok.n);
	send_pdu(&t, 1, &pdu, 1460); /* 8 */
	sb_free(&pdu);
	sb_free(&tok);

	h = (struct h1){ .cmd = KF_SMB1_SESSION_SETUP_ANDX, .flags2 = F2_NT, .mid = 2 };
	size_t hdr = h1_put(&pdu, &h);
	size_t andx = ss1_req_plain(&pdu, hdr, 24, 24, "frank", "LAB", false);
	h1_chain(&pdu, hdr, andx, KF_SMB1_TREE_CONNECT_ANDX);
	tc1_req(&pdu, hdr, "\\\\FS1\\PUBLIC", false);
	send_pdu(&t, 0, &pdu, 1460); /* 9 */
	sb_free(&pdu);
	h = (struct h1){
		.cmd = KF_SMB1_SESSION_SETUP_ANDX, .flags = F1_REPLY, .flags2 = F2_NT, .uid = 0x64, .mid = 2
	};
	hdr = h1_put(&pdu, &h);
	andx = ss1_rsp(&pdu, 0, false, NULL, 0);
	h1_chain(&pdu, hdr, andx, KF_SMB1_TREE_CONNECT_ANDX);
	sb_u8(&pdu, 3);
	andx_put(&pdu);
	sb_le16(&pdu, 1);
	sb_le16(&pdu, 3);
	sb_put(&pdu, "A:", 3);
	send_pdu(&t, 1, &pdu, 1460); /* 10 */
	sb_free(&pdu);
	tconn_close(&t);
	cap_close(&c);

	struct kf_result r = analyze(&c);
	ck_assert_uint_eq(r.n_warnings, 0);
	const struct kf_message *m = at(&r, 7, KF_MSG_SMB_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->carrier, KF_CARRIER_SMB);
	ck_assert_int_eq(m->dst.port, 139);
	ck_assert_str_eq(m->smb->command_name, "NEGOTIATE");
	ck_assert_uint_eq(reply_frame(&r, m), 8);
	ck_assert_ptr_nonnull(at(&r, 8, KF_MSG_SMB_RESPONSE)->spnego);
	m = at(&r, 9, KF_MSG_SMB_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(m->smb->command_name, "SESSION_SETUP_ANDX");
	ck_assert_str_eq(m->smb->account, "frank");
	ck_assert_str_eq(m->smb->domain, "LAB");
	ck_assert(m->smb->compound);
	ck_assert_uint_eq(count_type(&r, KF_MSG_SMB_REQUEST), 3);
	ck_assert_uint_eq(count_type(&r, KF_MSG_SMB_RESPONSE), 3);
	/* the chain's responses pair with their own requests, though they
	 * share one MID; the TREE_CONNECT_ANDX response names its share */
	for (size_t i = 0; i < r.n_messages; i++) {
		const struct kf_message *q = &r.messages[i];
		if (q->frame != 10)
			continue;
		const struct kf_message *req = kf_msg_request(&r, q);
		ck_assert_ptr_nonnull(req);
		ck_assert_uint_eq(req->frame, 9);
		ck_assert_uint_eq(req->smb->command, q->smb->command);
		if (q->smb->command == KF_SMB1_TREE_CONNECT_ANDX)
			ck_assert_str_eq(q->smb->tree, "\\\\FS1\\PUBLIC");
		else
			ck_assert_ptr_null(q->smb->tree);
	}
	ck_assert_uint_eq(r.n_sessions, 1);
	ck_assert_str_eq(r.sessions[0].mech, "none");
	ck_assert_str_eq(r.sessions[0].as, "LAB\\frank");
	ck_assert_str_eq(r.sessions[0].outcome, "ok");
	ck_assert_str_eq(r.sessions[0].target, "\\\\FS1\\PUBLIC");
	ck_assert_int_eq(r.sessions[0].carrier, KF_CARRIER_SMB);
	kf_result_free(&r);

	/* a length over 17 bits on 139 is no session message: framing lost */
	cap_open(&c);
	tconn_open(&t, &c, 49706, 139);
	tsend(&t, 0, (const uint8_t *)"\x00\x02\x00\x00xxxxxxxx", 12, 1460);
	tconn_close(&t);
	cap_close(&c);
	r = analyze(&c);
	ck_assert(warned(&r, "smb-framing-lost"));
	ck_assert_uint_eq(r.n_messages, 0);
	kf_result_free(&r);
}
END_TEST

START_TEST(t_carrier_anonymous)
{
	struct cap c;
	struct tconn t;
	cap_open(&c);
	tconn_open(&t, &c, 49707, 445);
	smb2_logon(&t, "", true);
	smb2_tree(&t, 0, 3, "\\\\fs1.lab.test\\IPC$");
	smb2_tree(&t, 1, 3, NULL);
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	const struct kf_message *m = at(&r, 9, KF_MSG_NTLM_AUTHENTICATE);
	ck_assert_ptr_nonnull(m);
	ck_assert(m->ntlm->anonymous);
	ck_assert_uint_eq(r.n_sessions, 1);
	ck_assert_str_eq(r.sessions[0].mech, "ntlm");
	ck_assert_str_eq(r.sessions[0].as, "anonymous");
	ck_assert_str_eq(r.sessions[0].outcome, "ok");
	ck_assert_str_eq(r.sessions[0].target, "\\\\fs1.lab.test\\IPC$");
	ck_assert_uint_eq(at(&r, 10, KF_MSG_SMB_RESPONSE)->smb->session_flags, KF_SMB_SESSION_NULL);
	kf_result_free(&r);
}
END_TEST

/* After the session, SMB3 encryption: one "encrypted" record for the
 * connection, however many transform headers follow in either direction;
 * a second connection gets its own. */
START_TEST(t_carrier_encrypted)
{
	struct cap c;
	struct tconn t[2];
	cap_open(&c);
	uint64_t first[2];
	for (int k = 0; k < 2; k++) {
		tconn_open(&t[k], &c, (uint16_t)(49710 + k), 445);
		smb2_logon(&t[k], "grace", false);
		for (int i = 0; i < 6; i++) {
			struct sb pdu = { 0 };
			smb3_transform(&pdu, SID, 100 + (size_t)i);
			uint64_t f = send_pdu(&t[k], i & 1, &pdu, 1460);
			if (i == 0)
				first[k] = f;
			sb_free(&pdu);
		}
	}
	tconn_close(&t[0]);
	tconn_close(&t[1]);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	size_t enc = 0;
	for (size_t i = 0; i < r.n_messages; i++) {
		const struct kf_message *m = &r.messages[i];
		if (!m->smb || !m->smb->encrypted)
			continue;
		ck_assert_uint_eq(m->frame, first[enc]);
		ck_assert_uint_eq(m->smb->session_id, SID);
		ck_assert_int_eq(m->type, KF_MSG_SMB_REQUEST);
		enc++;
	}
	ck_assert_uint_eq(enc, 2);
	ck_assert_uint_eq(r.n_sessions, 2);
	ck_assert_str_eq(r.sessions[1].as, "LAB\\grace");
	kf_result_free(&r);
}
END_TEST

/* Multi-protocol negotiate: an SMB1 NEGOTIATE offering "SMB 2.???" is
 * answered by an SMB2 NEGOTIATE response with the same id (MS-SMB2
 * §3.3.5.3.1), then the SMB2 NEGOTIATE follows. */
START_TEST(t_carrier_negotiate_upgrade)
{
	struct cap c;
	struct tconn t;
	cap_open(&c);
	tconn_open(&t, &c, 49712, 445);
	static const char d[] = "\x02NT LM 0.12\0\x02SMB 2.002\0\x02SMB 2.???";
	struct sb pdu = { 0 };
	struct h1 h1 = { .cmd = KF_SMB1_NEGOTIATE, .flags2 = F2_EXT | F2_NT | F2_UNICODE };
	h1_put(&pdu, &h1);
	sb_u8(&pdu, 0);
	sb_le16(&pdu, sizeof d);
	sb_put(&pdu, d, sizeof d);
	send_pdu(&t, 0, &pdu, 1460); /* 4 */
	sb_free(&pdu);
	struct h2 h = rsp2(KF_SMB2_NEGOTIATE, 0, 0, 0);
	neg2_rsp(&pdu, &h, 0x02ff, 1, 0, NULL, 0);
	send_pdu(&t, 1, &pdu, 1460); /* 5 */
	sb_free(&pdu);
	static const uint16_t dialects[] = { 0x0202, 0x0210 };
	h = req2(KF_SMB2_NEGOTIATE, 1, 0);
	neg2_req(&pdu, &h, dialects, 2, 1, 0);
	send_pdu(&t, 0, &pdu, 1460); /* 6 */
	sb_free(&pdu);
	h = rsp2(KF_SMB2_NEGOTIATE, 0, 1, 0);
	neg2_rsp(&pdu, &h, 0x0210, 1, 0, NULL, 0);
	send_pdu(&t, 1, &pdu, 1460); /* 7 */
	sb_free(&pdu);
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	const struct kf_message *m = at(&r, 4, KF_MSG_SMB_REQUEST);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->carrier, KF_CARRIER_SMB);
	ck_assert_uint_eq(reply_frame(&r, m), 5);
	ck_assert_int_eq(at(&r, 5, KF_MSG_SMB_RESPONSE)->carrier, KF_CARRIER_SMB2);
	ck_assert_uint_eq(at(&r, 5, KF_MSG_SMB_RESPONSE)->smb->dialect, 0x02ff);
	ck_assert_uint_eq(reply_frame(&r, at(&r, 6, KF_MSG_SMB_REQUEST)), 7);
	ck_assert_uint_eq(r.n_messages, 4);
	kf_result_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("smb-carrier");
	TCase *tc = tcase_create("carrier");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_carrier_session);
	tcase_add_test(tc, t_carrier_read_not_gathered);
	tcase_add_test(tc, t_carrier_endless_pdu);
	tcase_add_test(tc, t_carrier_pdu_too_big);
	tcase_add_test(tc, t_carrier_gap_resync);
	tcase_add_test(tc, t_carrier_netbios_139);
	tcase_add_test(tc, t_carrier_negotiate_upgrade);
	tcase_add_test(tc, t_carrier_anonymous);
	tcase_add_test(tc, t_carrier_encrypted);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
