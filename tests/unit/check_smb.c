/* check_smb.c - the SMB decoder (decoders/smb.c) on PDUs built field by
 * field from MS-SMB2 §2.2 (SMB2/3) and MS-CIFS §2.2.4 / MS-SMB §2.2.4
 * (SMB1): NEGOTIATE, SESSION_SETUP, TREE_CONNECT, error responses, the
 * async header, compounds and AndX chains (well formed, over the cap,
 * pointing backwards, into themselves or outside), the transform headers,
 * every prefix of every vector, a malformed-input table, kf_smb_peek and
 * the name tables.  The carrier: check_smb_carrier.c. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "smb.h"
#include "smbfix.h"
#include "testutil.h"

/* ------------------------------------------------------ checking help ---- */

static bool inside(struct kf_span s, const uint8_t *base, size_t n)
{
	if (s.n == 0)
		return true;
	return s.p >= base && s.p <= base + n && s.n <= (size_t)(base + n - s.p);
}

/* Every span of every command lies inside [base, base + n), and the
 * counts within their caps. */
static void check_spans(const struct kf_smb_pdu *pdu, const uint8_t *base, size_t n)
{
	ck_assert_uint_le(pdu->n_cmds, KF_LIMIT_SMB_CHAIN);
	for (unsigned i = 0; i < pdu->n_cmds; i++) {
		const struct kf_smb_cmd *c = &pdu->cmds[i];
		ck_assert(inside(c->security, base, n));
		ck_assert(inside(c->account, base, n));
		ck_assert(inside(c->domain, base, n));
		ck_assert(inside(c->path, base, n));
	}
}

/* One PDU at a time: the bytes built (b), an exact-size heap copy of them
 * (p, so ASan sees any read past the end) and what the decoder made of it. */
struct dec {
	struct sb b;
	uint8_t *p;
	struct kf_smb_pdu pdu;
	struct kf_events ev;
};

/* Decode a fresh copy of b; every decode is checked for spans inside the
 * copy and for the same answer without an event sink. */
static bool run(struct dec *d)
{
	size_t n = d->b.n;
	free(d->p);
	d->p = malloc(n ? n : 1);
	if (n)
		memcpy(d->p, d->b.p, n);
	memset(&d->ev, 0, sizeof d->ev);
	bool ok = kf_smb_decode(kf_span_make(d->p, n), &d->pdu, &d->ev);
	check_spans(&d->pdu, d->p, n);
	struct kf_smb_pdu again;
	ck_assert_int_eq(kf_smb_decode(kf_span_make(d->p, n), &again, NULL), ok);
	ck_assert_uint_eq(again.n_cmds, d->pdu.n_cmds);
	ck_assert_int_eq(again.kind, d->pdu.kind);
	ck_assert_int_eq(again.chain_cut, d->pdu.chain_cut);
	return ok;
}

/* Done with this PDU: the copy freed, b emptied for the next one. */
static void next(struct dec *d)
{
	free(d->p);
	d->p = NULL;
	sb_free(&d->b);
}

/* The span is the n bytes at offset off of the input. */
static void span_at(struct kf_span s, const uint8_t *base, size_t off, size_t n)
{
	ck_assert_uint_eq(s.n, n);
	if (n)
		ck_assert_ptr_eq(s.p, base + off);
}

static bool span_is_utf16(struct kf_span s, const char *ascii)
{
	if (s.n != 2 * strlen(ascii))
		return false;
	for (size_t i = 0; ascii[i]; i++)
		if (s.p[2 * i] != (uint8_t)ascii[i] || s.p[2 * i + 1] != 0)
			return false;
	return true;
}

static const uint8_t blob_a[] = { 0x60, 0x06, 0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02 };
static const uint8_t blob_b[] = "NTLMSSP\0\x01\0\0\0\x07\x82\x08\xa2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";

/* ----------------------------------------------------- valid vectors ---- */

/* Each builder writes one PDU; the truncation sweep and the malformed
 * table run over them. */
static void v_neg2_req(struct sb *b)
{
	static const uint16_t d[] = { 0x0202, 0x0210, 0x0300, 0x0302, 0x0311, 0x02ff };
	struct h2 h = req2(KF_SMB2_NEGOTIATE, 0, 0);
	neg2_req(b, &h, d, 6, 1, 0x7f);
}

static void v_neg2_rsp(struct sb *b)
{
	struct h2 h = rsp2(KF_SMB2_NEGOTIATE, 0, 0, 0);
	neg2_rsp(b, &h, 0x0311, 3, 0x6f, blob_a, sizeof blob_a);
}

static void v_ss2_req(struct sb *b)
{
	struct h2 h = req2(KF_SMB2_SESSION_SETUP, 2, 0x400000000041ull);
	ss2_req(b, &h, 1, blob_b, sizeof blob_b, 0x400000000039ull);
}

static void v_ss2_rsp_more(struct sb *b)
{
	struct h2 h = rsp2(KF_SMB2_SESSION_SETUP, ST_MORE, 2, 0x400000000041ull);
	ss2_rsp(b, &h, 0, blob_a, sizeof blob_a);
}

static void v_err2(struct sb *b)
{
	struct h2 h = rsp2(KF_SMB2_SESSION_SETUP, ST_LOGON_FAILURE, 3, 0x400000000041ull);
	err2_rsp(b, &h);
}

static void v_tc2_req(struct sb *b)
{
	struct h2 h = req2(KF_SMB2_TREE_CONNECT, 4, 0x400000000041ull);
	tc2_req(b, &h, "\\\\fs1.lab.test\\share");
}

static void v_compound2(struct sb *b)
{
	struct h2 h = rsp2(KF_SMB2_SESSION_SETUP, 0, 5, 0x41);
	size_t a = ss2_rsp(b, &h, 0, blob_a, sizeof blob_a);
	sb_zero(b, (8 - b->n % 8) % 8);
	h2_chain(b, a);
	h = rsp2(KF_SMB2_TREE_CONNECT, 0, 6, 0x41);
	tc2_rsp(b, &h, 1);
}

static void v_async(struct sb *b)
{
	struct h2 h = rsp2(KF_SMB2_SESSION_SETUP, 0x00000103, 7, 0x41);
	h.flags |= F_ASYNC;
	h.async_id = 0x1122334455667788ull;
	err2_rsp(b, &h);
}

static void v_neg1_rsp(struct sb *b)
{
	struct h1 h = { .cmd = KF_SMB1_NEGOTIATE, .flags = F1_REPLY, .flags2 = F2_EXT | F2_NT | F2_UNICODE };
	neg1_rsp(b, &h, 0x0f, 0x8000f3fd, blob_a, sizeof blob_a);
}

static void v_ss1_ext(struct sb *b)
{
	struct h1 h = { .cmd = KF_SMB1_SESSION_SETUP_ANDX, .flags2 = F2_EXT | F2_NT | F2_UNICODE, .mid = 2 };
	h1_put(b, &h);
	ss1_req_ext(b, blob_b, sizeof blob_b);
}

static void v_ss1_plain_unicode(struct sb *b)
{
	struct h1 h = { .cmd = KF_SMB1_SESSION_SETUP_ANDX, .flags2 = F2_NT | F2_UNICODE, .mid = 3 };
	size_t hdr = h1_put(b, &h);
	ss1_req_plain(b, hdr, 24, 24, "alice", "LAB", true);
}

static void v_andx_ss_tc(struct sb *b)
{
	struct h1 h = { .cmd = KF_SMB1_SESSION_SETUP_ANDX, .flags2 = F2_NT, .mid = 4 };
	size_t hdr = h1_put(b, &h);
	size_t andx = ss1_req_plain(b, hdr, 1, 0, "bob", "LAB", false);
	h1_chain(b, hdr, andx, KF_SMB1_TREE_CONNECT_ANDX);
	tc1_req(b, hdr, "\\\\FS1\\IPC$", false);
}

static void v_transform(struct sb *b) { smb3_transform(b, 0x400000000041ull, 40); }

static void (*const valid[])(struct sb *) = {
	v_neg2_req, v_neg2_rsp, v_ss2_req, v_ss2_rsp_more,      v_err2,       v_tc2_req,   v_compound2,
	v_async,    v_neg1_rsp, v_ss1_ext, v_ss1_plain_unicode, v_andx_ss_tc, v_transform,
};
#define N_VALID (sizeof valid / sizeof valid[0])

/* ------------------------------------------------------ SMB2 decoder ---- */

START_TEST(t_smb2_negotiate_request)
{
	struct dec d = { 0 };
	v_neg2_req(&d.b);
	ck_assert(run(&d));
	ck_assert_int_eq(d.pdu.kind, KF_SMB_2);
	ck_assert_uint_eq(d.pdu.n_cmds, 1);
	const struct kf_smb_cmd *c = &d.pdu.cmds[0];
	ck_assert_uint_eq(c->command, KF_SMB2_NEGOTIATE);
	ck_assert(!c->response);
	ck_assert(!c->has_status);
	ck_assert(c->body_ok);
	ck_assert_uint_eq(c->n_dialects, 6);
	ck_assert_uint_eq(c->max_dialect, 0x0311); /* the wildcard 0x02FF is no dialect */
	ck_assert_uint_eq(c->security_mode, KF_SMB_SIGNING_ENABLED);
	ck_assert_uint_eq(c->capabilities, 0x7f);
	ck_assert_uint_eq(c->security.n, 0);
	ck_assert_uint_eq(d.ev.n, 0);
	ck_assert(!d.pdu.chain_cut);
	ck_assert_ptr_null(d.pdu.why);
	next(&d);
}
END_TEST

START_TEST(t_smb2_negotiate_response)
{
	struct dec d = { 0 };
	v_neg2_rsp(&d.b);
	ck_assert(run(&d));
	const struct kf_smb_cmd *c = &d.pdu.cmds[0];
	ck_assert(c->response);
	ck_assert(c->has_status);
	ck_assert_uint_eq(c->status, 0);
	ck_assert(c->body_ok);
	ck_assert_uint_eq(c->dialect, 0x0311);
	ck_assert_uint_eq(c->security_mode, KF_SMB_SIGNING_ENABLED | KF_SMB_SIGNING_REQUIRED);
	ck_assert_uint_eq(c->capabilities & 0x40u, 0x40u); /* SMB2_GLOBAL_CAP_ENCRYPTION */
	span_at(c->security, d.p, 128, sizeof blob_a);     /* exactly the buffer, no more */
	ck_assert_uint_eq(d.ev.n, 0);

	/* the same without a buffer, and with signing off, no encryption */
	next(&d);
	struct h2 h = rsp2(KF_SMB2_NEGOTIATE, 0, 0, 0);
	neg2_rsp(&d.b, &h, 0x0210, 0, 0x07, NULL, 0);
	ck_assert(run(&d));
	ck_assert(d.pdu.cmds[0].body_ok);
	ck_assert_uint_eq(d.pdu.cmds[0].security.n, 0);
	ck_assert_uint_eq(d.pdu.cmds[0].security_mode, 0);
	ck_assert_uint_eq(d.pdu.cmds[0].dialect, 0x0210);
	next(&d);
}
END_TEST

START_TEST(t_smb2_session_setup)
{
	struct dec d = { 0 };
	v_ss2_req(&d.b);
	ck_assert(run(&d));
	const struct kf_smb_cmd *c = &d.pdu.cmds[0];
	ck_assert_uint_eq(c->command, KF_SMB2_SESSION_SETUP);
	ck_assert(c->body_ok);
	ck_assert_uint_eq(c->msg_id, 2);
	ck_assert_uint_eq(c->session, 0x400000000041ull);
	ck_assert_uint_eq(c->previous_session, 0x400000000039ull);
	ck_assert_uint_eq(c->security_mode, KF_SMB_SIGNING_ENABLED);
	span_at(c->security, d.p, 88, sizeof blob_b);
	next(&d);

	/* MORE_PROCESSING_REQUIRED carries the next leg's token */
	v_ss2_rsp_more(&d.b);
	ck_assert(run(&d));
	c = &d.pdu.cmds[0];
	ck_assert(c->response && c->has_status);
	ck_assert_uint_eq(c->status, ST_MORE);
	ck_assert(c->body_ok);
	ck_assert(!c->error_body);
	span_at(c->security, d.p, 72, sizeof blob_a);
	next(&d);

	/* success, each session flag; the encrypt flag too */
	static const uint16_t flags[] = { KF_SMB_SESSION_GUEST, KF_SMB_SESSION_NULL, KF_SMB_SESSION_ENCRYPT,
					  0 };
	for (unsigned i = 0; i < 4; i++) {
		struct h2 h = rsp2(KF_SMB2_SESSION_SETUP, 0, 3, 0x41);
		ss2_rsp(&d.b, &h, flags[i], NULL, 0);
		ck_assert(run(&d));
		ck_assert(d.pdu.cmds[0].body_ok);
		ck_assert_uint_eq(d.pdu.cmds[0].session_flags, flags[i]);
		ck_assert_uint_eq(d.pdu.cmds[0].security.n, 0);
		ck_assert_uint_eq(d.ev.n, 0);
		next(&d);
	}
}
END_TEST

/* An error response: StructureSize 9 like SESSION_SETUP's, ByteCount 0, so
 * no security buffer; a failed SESSION_SETUP that does hold a token (a
 * SPNEGO reject) keeps it. */
START_TEST(t_smb2_error_response)
{
	struct dec d = { 0 };
	v_err2(&d.b);
	ck_assert(run(&d));
	const struct kf_smb_cmd *c = &d.pdu.cmds[0];
	ck_assert(c->has_status);
	ck_assert_uint_eq(c->status, ST_LOGON_FAILURE);
	ck_assert(c->error_body);
	ck_assert(c->body_ok);
	ck_assert_uint_eq(c->security.n, 0);
	ck_assert_uint_eq(c->session_flags, 0);
	ck_assert_uint_eq(d.ev.n, 0);
	next(&d);

	struct h2 h = rsp2(KF_SMB2_SESSION_SETUP, ST_LOGON_FAILURE, 3, 0x41);
	ss2_rsp(&d.b, &h, 0, blob_a, sizeof blob_a);
	ck_assert(run(&d));
	ck_assert(!d.pdu.cmds[0].error_body);
	ck_assert(d.pdu.cmds[0].body_ok);
	span_at(d.pdu.cmds[0].security, d.p, 72, sizeof blob_a);
	next(&d);

	/* the error layout for another command, and a wrong StructureSize */
	h = rsp2(KF_SMB2_TREE_CONNECT, 0xc00000cc, 4, 0x41);
	err2_rsp(&d.b, &h);
	ck_assert(run(&d));
	ck_assert(d.pdu.cmds[0].error_body && d.pdu.cmds[0].body_ok);
	ck_assert_uint_eq(d.pdu.cmds[0].share_type, 0);
	d.b.p[64] = 8;
	ck_assert(run(&d));
	ck_assert(d.pdu.cmds[0].error_body && !d.pdu.cmds[0].body_ok);
	ck_assert(kf_test_has_event(&d.ev, KF_EV_SMB_MALFORMED));
	ck_assert_ptr_nonnull(d.pdu.why);
	next(&d);
}
END_TEST

START_TEST(t_smb2_tree_connect)
{
	struct dec d = { 0 };
	v_tc2_req(&d.b);
	ck_assert(run(&d));
	const struct kf_smb_cmd *c = &d.pdu.cmds[0];
	ck_assert(c->body_ok);
	ck_assert(c->path_unicode);
	span_at(c->path, d.p, 72, 2 * strlen("\\\\fs1.lab.test\\share"));
	ck_assert(span_is_utf16(c->path, "\\\\fs1.lab.test\\share"));
	next(&d);

	struct h2 h = rsp2(KF_SMB2_TREE_CONNECT, 0, 4, 0x41);
	h.tree = 5;
	tc2_rsp(&d.b, &h, 2);
	ck_assert(run(&d));
	ck_assert(d.pdu.cmds[0].body_ok);
	ck_assert_uint_eq(d.pdu.cmds[0].share_type, 2);
	ck_assert_uint_eq(d.pdu.cmds[0].tree_id, 5);
	next(&d);
}
END_TEST

/* The async header (§2.2.1.1): AsyncId where TreeId would be. */
START_TEST(t_smb2_async_header)
{
	struct dec d = { 0 };
	v_async(&d.b);
	ck_assert(run(&d));
	const struct kf_smb_cmd *c = &d.pdu.cmds[0];
	ck_assert_uint_eq(c->tree_id, 0);
	ck_assert_uint_eq(c->session, 0x41);
	ck_assert_uint_eq(c->msg_id, 7);
	ck_assert_uint_eq(c->status, 0x00000103); /* STATUS_PENDING: a success code, no error body */
	ck_assert(!c->error_body);
	next(&d);
}
END_TEST

START_TEST(t_smb2_compound)
{
	struct dec d = { 0 };
	v_compound2(&d.b);
	ck_assert(run(&d));
	ck_assert_uint_eq(d.pdu.n_cmds, 2);
	ck_assert(!d.pdu.chain_cut);
	ck_assert_uint_eq(d.pdu.cmds[0].command, KF_SMB2_SESSION_SETUP);
	span_at(d.pdu.cmds[0].security, d.p, 72, sizeof blob_a);
	ck_assert_uint_eq(d.pdu.cmds[1].command, KF_SMB2_TREE_CONNECT);
	ck_assert_uint_eq(d.pdu.cmds[1].msg_id, 6);
	ck_assert(d.pdu.cmds[1].body_ok);
	ck_assert_uint_eq(d.pdu.cmds[1].share_type, 1);
	ck_assert_uint_eq(d.ev.n, 0);
	next(&d);

	/* the second message's offsets count from its own header: a
	 * SESSION_SETUP request after a TREE_CONNECT */
	struct h2 h = req2(KF_SMB2_TREE_CONNECT, 1, 0x41);
	size_t a = tc2_req(&d.b, &h, "\\\\s\\x");
	sb_zero(&d.b, (8 - d.b.n % 8) % 8);
	h2_chain(&d.b, a);
	size_t second = d.b.n;
	h = req2(KF_SMB2_SESSION_SETUP, 2, 0x41);
	ss2_req(&d.b, &h, 1, blob_b, sizeof blob_b, 0);
	ck_assert(run(&d));
	ck_assert_uint_eq(d.pdu.n_cmds, 2);
	span_at(d.pdu.cmds[1].security, d.p, second + 88, sizeof blob_b);
	next(&d);
}
END_TEST

/* A compound of n TREE_CONNECT requests, message ids 0..n-1. */
static void tree_compound(struct sb *b, unsigned n)
{
	size_t at = 0;
	for (unsigned i = 0; i < n; i++) {
		if (i)
			h2_chain(b, at);
		struct h2 h = req2(KF_SMB2_TREE_CONNECT, i, 0x41);
		at = tc2_req(b, &h, "\\\\s\\x");
	}
}

/* More commands than KF_LIMIT_SMB_CHAIN: the cap's worth are read, the
 * rest is cut with an event. */
START_TEST(t_smb2_compound_over_cap)
{
	struct dec d = { 0 };
	tree_compound(&d.b, KF_LIMIT_SMB_CHAIN + 4);
	ck_assert(run(&d));
	ck_assert_uint_eq(d.pdu.n_cmds, KF_LIMIT_SMB_CHAIN);
	ck_assert(d.pdu.chain_cut);
	ck_assert(kf_test_has_event(&d.ev, KF_EV_SMB_CHAIN_LIMIT));
	ck_assert_ptr_nonnull(d.pdu.why);
	for (unsigned i = 0; i < KF_LIMIT_SMB_CHAIN; i++) {
		ck_assert_uint_eq(d.pdu.cmds[i].msg_id, i);
		ck_assert(d.pdu.cmds[i].body_ok);
	}
	next(&d);

	/* exactly the cap: nothing is cut */
	tree_compound(&d.b, KF_LIMIT_SMB_CHAIN);
	ck_assert(run(&d));
	ck_assert_uint_eq(d.pdu.n_cmds, KF_LIMIT_SMB_CHAIN);
	ck_assert(!d.pdu.chain_cut);
	ck_assert_uint_eq(d.ev.n, 0);
	next(&d);
}
END_TEST

/* NextCommand into its own header (1..63), "backwards" (a huge unsigned
 * value), past the end, and a chain of 64-byte headers each pointing at the
 * next one for 4,000 headers: always bounded, cut with an event. */
START_TEST(t_smb2_next_command_hostile)
{
	static const uint32_t bad[] = { 1, 32, 63, 0xffffffc0u, 0x80000000u, 0xffffffffu };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct dec d = { 0 };
		v_tc2_req(&d.b);
		sb_set32(&d.b, 20, bad[i]);
		ck_assert(run(&d));
		ck_assert_uint_eq(d.pdu.n_cmds, 1);
		ck_assert(d.pdu.chain_cut);
		ck_assert(kf_test_has_event(&d.ev, KF_EV_SMB_CHAIN_LIMIT));
		ck_assert(d.pdu.cmds[0].body_ok); /* read to the end of the PDU */
		next(&d);
	}
	/* past the end by one byte */
	struct dec d = { 0 };
	v_tc2_req(&d.b);
	sb_set32(&d.b, 20, (uint32_t)d.b.n + 1);
	ck_assert(run(&d));
	ck_assert(d.pdu.chain_cut);
	/* exactly to the end: no next command, nothing cut */
	sb_set32(&d.b, 20, (uint32_t)d.b.n);
	ck_assert(run(&d));
	ck_assert_uint_eq(d.pdu.n_cmds, 1);
	ck_assert(!d.pdu.chain_cut);
	next(&d);

	for (unsigned i = 0; i < 4000; i++) {
		struct h2 h = req2(KF_SMB2_LOGOFF, i, 0x41);
		size_t at = h2_put(&d.b, &h);
		sb_set32(&d.b, at + 20, 64);
	}
	ck_assert(run(&d));
	ck_assert_uint_eq(d.pdu.n_cmds, KF_LIMIT_SMB_CHAIN);
	ck_assert(d.pdu.chain_cut);
	for (unsigned i = 0; i < KF_LIMIT_SMB_CHAIN; i++)
		ck_assert(!d.pdu.cmds[i].body_ok); /* a 64-byte message has no body */
	/* sixteen damaged bodies are said once: the cap's event still fits the sink */
	ck_assert(kf_test_has_event(&d.ev, KF_EV_SMB_MALFORMED));
	ck_assert(kf_test_has_event(&d.ev, KF_EV_SMB_CHAIN_LIMIT));
	ck_assert_uint_eq(d.ev.n, 2);
	next(&d);

	/* a compound whose second header is garbage: the first stays */
	struct h2 h = req2(KF_SMB2_TREE_CONNECT, 1, 0x41);
	size_t at = tc2_req(&d.b, &h, "\\\\s\\x");
	h2_chain(&d.b, at);
	sb_zero(&d.b, 80);
	ck_assert(run(&d));
	ck_assert_uint_eq(d.pdu.n_cmds, 1);
	ck_assert_int_eq(d.pdu.kind, KF_SMB_2);
	ck_assert(kf_test_has_event(&d.ev, KF_EV_SMB_MALFORMED));
	next(&d);
}
END_TEST

/* ------------------------------------------------------ SMB1 decoder ---- */

START_TEST(t_smb1_negotiate)
{
	struct dec d = { 0 };
	struct h1 h = { .cmd = KF_SMB1_NEGOTIATE, .flags2 = F2_EXT | F2_NT | F2_UNICODE, .mid = 1 };
	neg1_req(&d.b, &h);
	ck_assert(run(&d));
	ck_assert_int_eq(d.pdu.kind, KF_SMB_1);
	ck_assert_uint_eq(d.pdu.cmds[0].command, KF_SMB1_NEGOTIATE);
	ck_assert_uint_eq(d.pdu.cmds[0].n_dialects, 2);
	ck_assert(d.pdu.cmds[0].body_ok);
	ck_assert(!d.pdu.cmds[0].has_status);
	next(&d);

	/* extended security: the blob after the 16-byte server GUID */
	v_neg1_rsp(&d.b);
	ck_assert(run(&d));
	const struct kf_smb_cmd *c = &d.pdu.cmds[0];
	ck_assert(c->response && c->has_status);
	ck_assert(c->body_ok);
	ck_assert(c->extended_security);
	ck_assert_uint_eq(c->dialect, 1);
	ck_assert_uint_eq(c->security_mode, KF_SMB_SIGNING_ENABLED | KF_SMB_SIGNING_REQUIRED);
	ck_assert_uint_eq(c->capabilities, 0x8000f3fd);
	span_at(c->security, d.p, 32 + 1 + 34 + 2 + 16, sizeof blob_a);
	ck_assert_uint_eq(d.ev.n, 0);
	next(&d);

	/* no FLAGS2_EXTENDED_SECURITY: the bytes are not a blob */
	h = (struct h1){ .cmd = KF_SMB1_NEGOTIATE, .flags = F1_REPLY, .flags2 = F2_NT };
	neg1_rsp(&d.b, &h, 0x03, 0x8000f3fd, blob_a, sizeof blob_a);
	ck_assert(run(&d));
	ck_assert(!d.pdu.cmds[0].extended_security);
	ck_assert_uint_eq(d.pdu.cmds[0].security.n, 0);
	ck_assert_uint_eq(d.pdu.cmds[0].security_mode, 0);
	next(&d);

	/* an older dialect chosen: one word, the index (0xFFFF: none) */
	h1_put(&d.b, &h);
	sb_u8(&d.b, 1);
	sb_le16(&d.b, 0xffff);
	sb_le16(&d.b, 0);
	ck_assert(run(&d));
	ck_assert(d.pdu.cmds[0].body_ok);
	ck_assert_uint_eq(d.pdu.cmds[0].dialect, 0xffff);
	next(&d);
}
END_TEST

START_TEST(t_smb1_session_setup_extended)
{
	struct dec d = { 0 };
	v_ss1_ext(&d.b);
	ck_assert(run(&d));
	const struct kf_smb_cmd *c = &d.pdu.cmds[0];
	ck_assert_uint_eq(c->command, KF_SMB1_SESSION_SETUP_ANDX);
	ck_assert(c->body_ok);
	ck_assert(c->extended_security);
	span_at(c->security, d.p, 32 + 1 + 24 + 2, sizeof blob_b);
	ck_assert_uint_eq(c->msg_id, 2);
	next(&d);

	/* the response: WordCount 4, guest action, MORE_PROCESSING as an NTSTATUS */
	struct h1 h = { .cmd = KF_SMB1_SESSION_SETUP_ANDX,
			.status = ST_MORE,
			.flags = F1_REPLY,
			.flags2 = F2_EXT | F2_NT,
			.uid = 0x800,
			.mid = 2 };
	h1_put(&d.b, &h);
	ss1_rsp(&d.b, 1, true, blob_a, sizeof blob_a);
	ck_assert(run(&d));
	c = &d.pdu.cmds[0];
	ck_assert(c->body_ok);
	ck_assert(c->has_status && !c->dos_error);
	ck_assert_uint_eq(c->status, ST_MORE);
	ck_assert_uint_eq(c->session_flags, KF_SMB_SESSION_GUEST);
	ck_assert_uint_eq(c->session, 0x800);
	span_at(c->security, d.p, 32 + 1 + 8 + 2, sizeof blob_a);
	next(&d);

	/* an error with no words; a DOS error class/code without NT status */
	h.status = ST_LOGON_FAILURE;
	h1_put(&d.b, &h);
	sb_u8(&d.b, 0);
	sb_le16(&d.b, 0);
	ck_assert(run(&d));
	ck_assert(d.pdu.cmds[0].body_ok);
	ck_assert_uint_eq(d.pdu.cmds[0].status, ST_LOGON_FAILURE);
	next(&d);
	h.flags2 = 0;
	h.status = 0x00050001; /* ERRDOS / ERRnoaccess (class 1, code 5) */
	h1_put(&d.b, &h);
	sb_u8(&d.b, 0);
	sb_le16(&d.b, 0);
	ck_assert(run(&d));
	ck_assert(d.pdu.cmds[0].dos_error);
	ck_assert(!d.pdu.cmds[0].has_status);
	next(&d);
}
END_TEST

/* Without extended security (WordCount 13): the account and domain as
 * sent, UTF-16 aligned to an even offset from the header or 8-bit. */
START_TEST(t_smb1_session_setup_plain)
{
	struct dec d = { 0 };
	v_ss1_plain_unicode(&d.b);
	ck_assert(run(&d));
	const struct kf_smb_cmd *c = &d.pdu.cmds[0];
	ck_assert(c->body_ok);
	ck_assert(!c->extended_security);
	ck_assert(c->names_unicode);
	/* bytes start at 32 + 1 + 26 + 2 = 61; the passwords end at 109, odd: one pad byte */
	span_at(c->account, d.p, 110, 10);
	ck_assert(span_is_utf16(c->account, "alice"));
	span_at(c->domain, d.p, 122, 6);
	ck_assert(span_is_utf16(c->domain, "LAB"));
	next(&d);

	/* passwords ending at an even offset: no pad */
	struct h1 h = { .cmd = KF_SMB1_SESSION_SETUP_ANDX, .flags2 = F2_NT | F2_UNICODE, .mid = 3 };
	size_t hdr = h1_put(&d.b, &h);
	ss1_req_plain(&d.b, hdr, 24, 23, "alice", "LAB", true);
	ck_assert(run(&d));
	span_at(d.pdu.cmds[0].account, d.p, 108, 10);
	ck_assert(span_is_utf16(d.pdu.cmds[0].account, "alice"));
	ck_assert(span_is_utf16(d.pdu.cmds[0].domain, "LAB"));
	next(&d);

	/* 8-bit names, never aligned */
	h.flags2 = F2_NT;
	hdr = h1_put(&d.b, &h);
	ss1_req_plain(&d.b, hdr, 24, 24, "carol", "LAB", false);
	ck_assert(run(&d));
	ck_assert(!d.pdu.cmds[0].names_unicode);
	span_at(d.pdu.cmds[0].account, d.p, 109, 5);
	ck_assert(kf_span_eq_str(d.pdu.cmds[0].account, "carol"));
	ck_assert(kf_span_eq_str(d.pdu.cmds[0].domain, "LAB"));
	next(&d);

	/* names without terminators, running to the end of the bytes */
	hdr = h1_put(&d.b, &h);
	ss1_req_plain(&d.b, hdr, 0, 0, "dave", "", false);
	d.b.n = 61 + 4; /* the bytes: "dave", without its NUL; no domain */
	sb_set16(&d.b, 32 + 1 + 26, 4);
	ck_assert(run(&d));
	ck_assert(kf_span_eq_str(d.pdu.cmds[0].account, "dave"));
	ck_assert_uint_eq(d.pdu.cmds[0].domain.n, 0);
	next(&d);

	/* the response without extended security: WordCount 3 */
	h = (struct h1){ .cmd = KF_SMB1_SESSION_SETUP_ANDX, .flags = F1_REPLY, .flags2 = F2_NT, .uid = 7 };
	h1_put(&d.b, &h);
	ss1_rsp(&d.b, 0, false, NULL, 0);
	ck_assert(run(&d));
	ck_assert(d.pdu.cmds[0].body_ok);
	ck_assert_uint_eq(d.pdu.cmds[0].session_flags, 0);
	ck_assert_uint_eq(d.pdu.cmds[0].security.n, 0);
	next(&d);
}
END_TEST

START_TEST(t_smb1_andx_chain)
{
	struct dec d = { 0 };
	v_andx_ss_tc(&d.b);
	ck_assert(run(&d));
	ck_assert_uint_eq(d.pdu.n_cmds, 2);
	ck_assert(!d.pdu.chain_cut);
	ck_assert_uint_eq(d.pdu.cmds[0].command, KF_SMB1_SESSION_SETUP_ANDX);
	ck_assert(kf_span_eq_str(d.pdu.cmds[0].account, "bob"));
	ck_assert_uint_eq(d.pdu.cmds[1].command, KF_SMB1_TREE_CONNECT_ANDX);
	ck_assert(d.pdu.cmds[1].body_ok);
	ck_assert(!d.pdu.cmds[1].path_unicode);
	ck_assert(kf_span_eq_str(d.pdu.cmds[1].path, "\\\\FS1\\IPC$"));
	ck_assert_uint_eq(d.pdu.cmds[1].msg_id, 4); /* the header's, shared */
	ck_assert_uint_eq(d.ev.n, 0);
	next(&d);

	/* the same chain in Unicode, the path aligned from the header */
	struct h1 h = { .cmd = KF_SMB1_SESSION_SETUP_ANDX, .flags2 = F2_EXT | F2_NT | F2_UNICODE, .mid = 5 };
	size_t hdr = h1_put(&d.b, &h);
	size_t andx = ss1_req_ext(&d.b, blob_b, sizeof blob_b);
	h1_chain(&d.b, hdr, andx, KF_SMB1_TREE_CONNECT_ANDX);
	tc1_req(&d.b, hdr, "\\\\FS1\\share", true);
	ck_assert(run(&d));
	ck_assert_uint_eq(d.pdu.n_cmds, 2);
	ck_assert(d.pdu.cmds[1].path_unicode);
	ck_assert(span_is_utf16(d.pdu.cmds[1].path, "\\\\FS1\\share"));
	ck_assert_uint_eq((size_t)(d.pdu.cmds[1].path.p - d.p) % 2, 0);
	next(&d);
}
END_TEST

/* AndX offsets to the command itself, into its words, backwards to the
 * header, past the end; a loop of two commands pointing at each other. */
START_TEST(t_smb1_andx_hostile)
{
	struct dec d = { 0 };
	v_andx_ss_tc(&d.b);
	size_t andx0 = 33, cmd1 = 0;
	cmd1 = (size_t)d.b.p[andx0 + 2] | (size_t)d.b.p[andx0 + 3] << 8;
	size_t andx1 = cmd1 + 1;
	const size_t offs[] = { 32, 0, 33, 40, 32 + 1 + 26, d.b.n, 0xffff };
	for (unsigned i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		sb_set16(&d.b, andx0 + 2, (uint16_t)offs[i]);
		ck_assert(run(&d));
		ck_assert_uint_eq(d.pdu.n_cmds, 1);
		ck_assert(d.pdu.chain_cut);
		ck_assert(kf_test_has_event(&d.ev, KF_EV_SMB_CHAIN_LIMIT));
		ck_assert(kf_span_eq_str(d.pdu.cmds[0].account, "bob"));
	}
	/* the second command points back at the first: two commands, then cut */
	sb_set16(&d.b, andx0 + 2, (uint16_t)cmd1);
	d.b.p[andx1] = KF_SMB1_SESSION_SETUP_ANDX;
	sb_set16(&d.b, andx1 + 2, 32);
	ck_assert(run(&d));
	ck_assert_uint_eq(d.pdu.n_cmds, 2);
	ck_assert(d.pdu.chain_cut);
	next(&d);

	/* 40 chained LOGOFF_ANDX commands, each pointing just past itself */
	struct h1 h = { .cmd = KF_SMB1_LOGOFF_ANDX, .flags2 = F2_NT, .mid = 9 };
	size_t hdr = h1_put(&d.b, &h);
	for (unsigned i = 0; i < 40; i++) {
		sb_u8(&d.b, 2);
		size_t a = andx_put(&d.b);
		sb_le16(&d.b, 0);
		h1_chain(&d.b, hdr, a, KF_SMB1_LOGOFF_ANDX);
	}
	sb_u8(&d.b, 0);
	sb_le16(&d.b, 0);
	ck_assert(run(&d));
	ck_assert_uint_eq(d.pdu.n_cmds, KF_LIMIT_SMB_CHAIN);
	ck_assert(d.pdu.chain_cut);
	ck_assert(kf_test_has_event(&d.ev, KF_EV_SMB_CHAIN_LIMIT));
	next(&d);

	/* WordCount and ByteCount running past the PDU */
	v_ss1_ext(&d.b);
	d.b.p[32] = 200;
	ck_assert(run(&d));
	ck_assert(kf_test_has_event(&d.ev, KF_EV_SMB_MALFORMED));
	ck_assert_uint_eq(d.pdu.cmds[0].security.n, 0);
	d.b.p[32] = 12;
	sb_set16(&d.b, 32 + 1 + 24, (uint16_t)(sizeof blob_b + 1));
	ck_assert(run(&d));
	ck_assert(kf_test_has_event(&d.ev, KF_EV_SMB_MALFORMED));
	/* a blob longer than the bytes */
	sb_set16(&d.b, 32 + 1 + 24, (uint16_t)sizeof blob_b);
	sb_set16(&d.b, 32 + 1 + 14, (uint16_t)(sizeof blob_b + 1));
	ck_assert(run(&d));
	ck_assert(!d.pdu.cmds[0].body_ok);
	ck_assert_uint_eq(d.pdu.cmds[0].security.n, 0);
	next(&d);
}
END_TEST

/* ------------------------------------------------ transform, framing ---- */

START_TEST(t_transform_and_others)
{
	struct dec d = { 0 };
	v_transform(&d.b);
	ck_assert(run(&d));
	ck_assert_int_eq(d.pdu.kind, KF_SMB_ENCRYPTED);
	ck_assert_uint_eq(d.pdu.transform_session, 0x400000000041ull);
	ck_assert_uint_eq(d.pdu.n_cmds, 0);
	d.b.n = 51; /* the session id cut */
	ck_assert(!run(&d));
	ck_assert_int_eq(d.pdu.kind, KF_SMB_ENCRYPTED);
	ck_assert(kf_test_has_event(&d.ev, KF_EV_SMB_MALFORMED));
	next(&d);

	/* the compression transform: known, not opened */
	sb_put(&d.b, "\xfcSMB", 4);
	sb_zero(&d.b, 12);
	ck_assert(run(&d));
	ck_assert_int_eq(d.pdu.kind, KF_SMB_COMPRESSED);
	ck_assert_uint_eq(d.pdu.n_cmds, 0);
	d.b.n = 15;
	ck_assert(!run(&d));
	next(&d);

	/* not SMB at all */
	sb_put(&d.b, "\xfeSMC", 4);
	sb_zero(&d.b, 80);
	ck_assert(!run(&d));
	ck_assert_int_eq(d.pdu.kind, KF_SMB_NONE);
	ck_assert_ptr_nonnull(d.pdu.why);
	next(&d);
	ck_assert(!kf_smb_decode(kf_span_make(NULL, 0), &d.pdu, NULL));

	/* an SMB2 header with a wrong StructureSize */
	v_tc2_req(&d.b);
	d.b.p[4] = 65;
	ck_assert(!run(&d));
	ck_assert_int_eq(d.pdu.kind, KF_SMB_NONE);
	ck_assert(kf_test_has_event(&d.ev, KF_EV_SMB_MALFORMED));
	next(&d);
}
END_TEST

/* Every prefix of every valid vector: headers cut short fail, the rest
 * decode what fits; no span leaves the prefix (ASan: no read past it). */
START_TEST(t_truncation)
{
	struct dec full = { 0 }, cut = { 0 };
	valid[_i](&full.b);
	ck_assert(run(&full));
	size_t header = full.b.p[0] == 0xfe ? 64 : full.b.p[0] == 0xff ? 32 : 52;
	for (size_t n = 0; n < full.b.n; n++) {
		sb_put(&cut.b, full.b.p, n);
		bool ok = run(&cut);
		if (n < header)
			ck_assert_msg(!ok, "prefix of %zu bytes accepted", n);
		else
			ck_assert_msg(ok, "prefix of %zu bytes refused", n);
		next(&cut);
	}
	next(&full);
}
END_TEST

/* The malformed-input table (STYLE.md 21a): a valid vector patched. */
struct bad {
	const char *name;
	unsigned vec;   /* index in valid[] */
	size_t off;     /* where the patch goes */
	uint32_t value; /* written little-endian */
	unsigned width; /* 1, 2 or 4 bytes */
	int ev;         /* the event it raises */
	bool decodes;   /* kf_smb_decode's answer */
};

static const struct bad bads[] = {
	{ "neg2 buffer before the body's end", 1, 64 + 56, 100, 2, KF_EV_SMB_MALFORMED, true },
	{ "neg2 buffer past the end", 1, 64 + 58, 200, 2, KF_EV_SMB_MALFORMED, true },
	{ "neg2 response structure size", 1, 64, 64, 2, KF_EV_SMB_MALFORMED, true },
	{ "neg2 request structure size", 0, 64, 35, 2, KF_EV_SMB_MALFORMED, true },
	{ "neg2 request dialect count past the end", 0, 66, 400, 2, KF_EV_SMB_MALFORMED, true },
	{ "ss2 request buffer at 0", 2, 64 + 12, 0, 2, KF_EV_SMB_MALFORMED, true },
	{ "ss2 request buffer inside the body", 2, 64 + 12, 80, 2, KF_EV_SMB_MALFORMED, true },
	{ "ss2 request length past the end", 2, 64 + 14, 0xffff, 2, KF_EV_SMB_MALFORMED, true },
	{ "ss2 response buffer offset 0xffff", 3, 64 + 4, 0xffff, 2, KF_EV_SMB_MALFORMED, true },
	{ "ss2 response structure size", 3, 64, 8, 2, KF_EV_SMB_MALFORMED, true },
	{ "tree path past the end", 5, 64 + 6, 0x1000, 2, KF_EV_SMB_MALFORMED, true },
	{ "tree path inside the body", 5, 64 + 4, 70, 2, KF_EV_SMB_MALFORMED, true },
	{ "compound next into itself", 6, 20, 16, 4, KF_EV_SMB_CHAIN_LIMIT, true },
	{ "compound next past the end", 6, 20, 0x10000, 4, KF_EV_SMB_CHAIN_LIMIT, true },
	{ "smb2 header size", 4, 4, 0, 2, KF_EV_SMB_MALFORMED, false },
	{ "neg1 blob past the bytes", 8, 32 + 1 + 34, 0x40, 2, KF_EV_SMB_MALFORMED, true },
	{ "ss1 word count past the end", 9, 32, 0x7f, 1, KF_EV_SMB_MALFORMED, true },
	{ "ss1 word count 11", 9, 32, 11, 1, KF_EV_SMB_MALFORMED, true },
	{ "ss1 plain password lengths past the bytes", 10, 32 + 1 + 14, 0x400, 2, KF_EV_SMB_MALFORMED, true },
	{ "andx offset to the header", 11, 32 + 3, 0, 2, KF_EV_SMB_CHAIN_LIMIT, true },
	{ "andx offset to itself", 11, 32 + 3, 32, 2, KF_EV_SMB_CHAIN_LIMIT, true },
	{ "andx offset past the end", 11, 32 + 3, 0x2000, 2, KF_EV_SMB_CHAIN_LIMIT, true },
	{ "tree connect andx word count", 11, 0, 3, 1, KF_EV_SMB_MALFORMED, true }, /* off: set below */
};
#define N_BAD (sizeof bads / sizeof bads[0])

START_TEST(t_bad)
{
	const struct bad *t = &bads[_i];
	struct dec d = { 0 };
	valid[t->vec](&d.b);
	size_t off = t->off;
	if (t->vec == 11 && off == 0) /* the TREE_CONNECT_ANDX's WordCount */
		off = (size_t)d.b.p[35] | (size_t)d.b.p[36] << 8;
	ck_assert_uint_le(off + t->width, d.b.n);
	for (unsigned k = 0; k < t->width; k++)
		d.b.p[off + k] = (uint8_t)(t->value >> (8 * k));
	bool ok = run(&d);
	ck_assert_msg(ok == t->decodes, "%s: decode said %d", t->name, ok);
	ck_assert_msg(kf_test_has_event(&d.ev, t->ev), "%s: no event %d", t->name, t->ev);
	ck_assert_msg(d.pdu.why != NULL, "%s: no reason", t->name);
	next(&d);
}
END_TEST

START_TEST(t_peek)
{
	struct kf_smb_peek pk;
	struct dec d = { 0 };
	v_compound2(&d.b);
	ck_assert(kf_smb_peek(kf_span_make(d.b.p, 64), &pk));
	ck_assert_int_eq(pk.kind, KF_SMB_2);
	ck_assert_uint_eq(pk.command, KF_SMB2_SESSION_SETUP);
	ck_assert(pk.response);
	ck_assert(pk.chained);
	ck_assert(!kf_smb_peek(kf_span_make(d.b.p, 23), &pk)); /* NextCommand not in yet */
	next(&d);

	v_tc2_req(&d.b);
	ck_assert(kf_smb_peek(kf_span_make(d.b.p, 64), &pk));
	ck_assert(!pk.response && !pk.chained);
	ck_assert_uint_eq(pk.command, KF_SMB2_TREE_CONNECT);
	next(&d);

	v_andx_ss_tc(&d.b);
	ck_assert(kf_smb_peek(kf_span_make(d.b.p, 64), &pk));
	ck_assert_int_eq(pk.kind, KF_SMB_1);
	ck_assert_uint_eq(pk.command, KF_SMB1_SESSION_SETUP_ANDX);
	ck_assert(pk.chained);
	ck_assert(!kf_smb_peek(kf_span_make(d.b.p, 33), &pk));
	next(&d);

	v_ss1_ext(&d.b);
	ck_assert(kf_smb_peek(kf_span_make(d.b.p, d.b.n), &pk));
	ck_assert(!pk.chained); /* AndXCommand 0xFF */
	next(&d);

	v_transform(&d.b);
	ck_assert(kf_smb_peek(kf_span_make(d.b.p, 4), &pk));
	ck_assert_int_eq(pk.kind, KF_SMB_ENCRYPTED);
	next(&d);
	ck_assert(!kf_smb_peek(kf_span_make("GET / HTTP/1.1\r\n", 16), &pk));
	ck_assert(!kf_smb_peek(kf_span_make(NULL, 0), &pk));
}
END_TEST

/* ------------------------------------------------------------ names ---- */

START_TEST(t_names)
{
	ck_assert_str_eq(kf_smb2_command_name(KF_SMB2_NEGOTIATE), "NEGOTIATE");
	ck_assert_str_eq(kf_smb2_command_name(KF_SMB2_SESSION_SETUP), "SESSION_SETUP");
	ck_assert_str_eq(kf_smb2_command_name(KF_SMB2_TREE_CONNECT), "TREE_CONNECT");
	ck_assert_str_eq(kf_smb2_command_name(8), "READ");
	ck_assert_str_eq(kf_smb2_command_name(18), "OPLOCK_BREAK");
	ck_assert_ptr_null(kf_smb2_command_name(19));
	ck_assert_ptr_null(kf_smb2_command_name(0xffff));
	ck_assert_str_eq(kf_smb1_command_name(KF_SMB1_SESSION_SETUP_ANDX), "SESSION_SETUP_ANDX");
	ck_assert_str_eq(kf_smb1_command_name(KF_SMB1_TREE_CONNECT_ANDX), "TREE_CONNECT_ANDX");
	ck_assert_str_eq(kf_smb1_command_name(KF_SMB1_NEGOTIATE), "NEGOTIATE");
	ck_assert_ptr_null(kf_smb1_command_name(0x00));
	ck_assert_ptr_null(kf_smb1_command_name(0xff));
	ck_assert_str_eq(kf_smb2_dialect_name(0x0202), "SMB 2.0.2");
	ck_assert_str_eq(kf_smb2_dialect_name(0x0311), "SMB 3.1.1");
	ck_assert_str_eq(kf_smb2_dialect_name(0x02ff), "SMB 2.???");
	ck_assert_ptr_null(kf_smb2_dialect_name(0x0301));
}
END_TEST

/* The NTSTATUS values smb.c names, as the rows of Wireshark 4.0's
 * smb2.nt_status table give them (`tshark -G values | awk -F'\t'
 * '$2=="smb2.nt_status"'`: the value in decimal, then the name). */
static const char tshark_ntstatus[] = "0\tSTATUS_SUCCESS\n"
				      "259\tSTATUS_PENDING\n"
				      "260\tSTATUS_REPARSE\n"
				      "2147483653\tSTATUS_BUFFER_OVERFLOW\n"
				      "3221225473\tSTATUS_UNSUCCESSFUL\n"
				      "3221225474\tSTATUS_NOT_IMPLEMENTED\n"
				      "3221225480\tSTATUS_INVALID_HANDLE\n"
				      "3221225485\tSTATUS_INVALID_PARAMETER\n"
				      "3221225487\tSTATUS_NO_SUCH_FILE\n"
				      "3221225488\tSTATUS_INVALID_DEVICE_REQUEST\n"
				      "3221225489\tSTATUS_END_OF_FILE\n"
				      "3221225494\tSTATUS_MORE_PROCESSING_REQUIRED\n"
				      "3221225495\tSTATUS_NO_MEMORY\n"
				      "3221225506\tSTATUS_ACCESS_DENIED\n"
				      "3221225507\tSTATUS_BUFFER_TOO_SMALL\n"
				      "3221225523\tSTATUS_OBJECT_NAME_INVALID\n"
				      "3221225524\tSTATUS_OBJECT_NAME_NOT_FOUND\n"
				      "3221225525\tSTATUS_OBJECT_NAME_COLLISION\n"
				      "3221225530\tSTATUS_OBJECT_PATH_NOT_FOUND\n"
				      "3221225539\tSTATUS_SHARING_VIOLATION\n"
				      "3221225566\tSTATUS_NO_LOGON_SERVERS\n"
				      "3221225567\tSTATUS_NO_SUCH_LOGON_SESSION\n"
				      "3221225570\tSTATUS_INVALID_ACCOUNT_NAME\n"
				      "3221225571\tSTATUS_USER_EXISTS\n"
				      "3221225572\tSTATUS_NO_SUCH_USER\n"
				      "3221225578\tSTATUS_WRONG_PASSWORD\n"
				      "3221225581\tSTATUS_LOGON_FAILURE\n"
				      "3221225582\tSTATUS_ACCOUNT_RESTRICTION\n"
				      "3221225583\tSTATUS_INVALID_LOGON_HOURS\n"
				      "3221225584\tSTATUS_INVALID_WORKSTATION\n"
				      "3221225585\tSTATUS_PASSWORD_EXPIRED\n"
				      "3221225586\tSTATUS_ACCOUNT_DISABLED\n"
				      "3221225626\tSTATUS_INSUFFICIENT_RESOURCES\n"
				      "3221225640\tSTATUS_BAD_TOKEN_TYPE\n"
				      "3221225653\tSTATUS_IO_TIMEOUT\n"
				      "3221225659\tSTATUS_NOT_SUPPORTED\n"
				      "3221225673\tSTATUS_NETWORK_NAME_DELETED\n"
				      "3221225676\tSTATUS_BAD_NETWORK_NAME\n"
				      "3221225695\tSTATUS_NO_SUCH_DOMAIN\n"
				      "3221225760\tSTATUS_CANCELLED\n"
				      "3221225779\tSTATUS_TIME_DIFFERENCE_AT_DC\n"
				      "3221225800\tSTATUS_INVALID_LEVEL\n"
				      "3221225814\tSTATUS_TOO_MANY_SECRETS\n"
				      "3221225819\tSTATUS_LOGON_TYPE_NOT_GRANTED\n"
				      "3221225867\tSTATUS_NO_TRUST_SAM_ACCOUNT\n"
				      "3221225868\tSTATUS_TRUSTED_DOMAIN_FAILURE\n"
				      "3221225869\tSTATUS_TRUSTED_RELATIONSHIP_FAILURE\n"
				      "3221225872\tSTATUS_TRUST_FAILURE\n"
				      "3221225874\tSTATUS_NETLOGON_NOT_STARTED\n"
				      "3221225875\tSTATUS_ACCOUNT_EXPIRED\n"
				      "3221225881\tSTATUS_NOLOGON_WORKSTATION_TRUST_ACCOUNT\n"
				      "3221225884\tSTATUS_FS_DRIVER_REQUIRED\n"
				      "3221225987\tSTATUS_USER_SESSION_DELETED\n"
				      "3221225989\tSTATUS_INSUFF_SERVER_RESOURCES\n"
				      "3221225996\tSTATUS_CONNECTION_DISCONNECTED\n"
				      "3221226020\tSTATUS_PASSWORD_MUST_CHANGE\n"
				      "3221226021\tSTATUS_NOT_FOUND\n"
				      "3221226036\tSTATUS_ACCOUNT_LOCKED_OUT\n"
				      "3221226071\tSTATUS_PATH_NOT_COVERED\n"
				      "3221226240\tSTATUS_NOT_SUPPORTED_ON_SBS\n"
				      "3221226332\tSTATUS_NETWORK_SESSION_EXPIRED\n";

/* Two it names that the table lacks, as MS-ERREF §2.3.1 gives them. */
static const struct {
	uint32_t code;
	const char *name;
} erref_only[] = {
	{ 0xc0000388u, "STATUS_DOWNGRADE_DETECTED" },
	{ 0xc0000413u, "STATUS_AUTHENTICATION_FIREWALL_FAILED" },
};

START_TEST(t_ntstatus_names)
{
	size_t n = 0;
	for (const char *row = tshark_ntstatus; *row; n++) {
		char *end;
		uint32_t code = (uint32_t)strtoul(row, &end, 10);
		const char *name = end + 1, *eol = strchr(name, '\n');
		const char *got = kf_ntstatus_name(code);
		ck_assert_msg(got && strlen(got) == (size_t)(eol - name) &&
				      !strncmp(got, name, (size_t)(eol - name)),
			      "0x%08x: %s, not %.*s", code, got ? got : "(none)", (int)(eol - name), name);
		row = eol + 1;
	}
	for (size_t i = 0; i < sizeof erref_only / sizeof erref_only[0]; i++, n++)
		ck_assert_str_eq(kf_ntstatus_name(erref_only[i].code), erref_only[i].name);
	/* and nothing else is named, in the ranges the table lives in */
	size_t named = 0;
	for (uint32_t c = 0xc0000000u; c < 0xc0000500u; c++)
		named += kf_ntstatus_name(c) != NULL;
	for (uint32_t c = 0; c < 0x200u; c++)
		named += kf_ntstatus_name(c) != NULL;
	named += kf_ntstatus_name(0x80000005u) != NULL;
	ck_assert_uint_eq(named, n);
	ck_assert_ptr_null(kf_ntstatus_name(0xffffffffu));
	ck_assert_ptr_null(kf_ntstatus_name(0xc0000015u));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("smb");
	TCase *tc = tcase_create("decoder");
	tcase_add_test(tc, t_smb2_negotiate_request);
	tcase_add_test(tc, t_smb2_negotiate_response);
	tcase_add_test(tc, t_smb2_session_setup);
	tcase_add_test(tc, t_smb2_error_response);
	tcase_add_test(tc, t_smb2_tree_connect);
	tcase_add_test(tc, t_smb2_async_header);
	tcase_add_test(tc, t_smb2_compound);
	tcase_add_test(tc, t_smb2_compound_over_cap);
	tcase_add_test(tc, t_smb2_next_command_hostile);
	tcase_add_test(tc, t_smb1_negotiate);
	tcase_add_test(tc, t_smb1_session_setup_extended);
	tcase_add_test(tc, t_smb1_session_setup_plain);
	tcase_add_test(tc, t_smb1_andx_chain);
	tcase_add_test(tc, t_smb1_andx_hostile);
	tcase_add_test(tc, t_transform_and_others);
	tcase_add_loop_test(tc, t_truncation, 0, N_VALID);
	tcase_add_loop_test(tc, t_bad, 0, N_BAD);
	tcase_add_test(tc, t_peek);
	tcase_add_test(tc, t_names);
	tcase_add_test(tc, t_ntstatus_names);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
