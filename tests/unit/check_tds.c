/* check_tds.c - SQL Server logins: the TDS decoder (decoders/tds.c) on
 * messages built here field by field from MS-TDS (PRELOGIN, LOGIN7, SSPI,
 * the server's token stream), hostile ones included, and the TDS carrier
 * (analyzer/wire/carrier_tds.c) through kf_analyze on captures written with
 * capfix.c: an integrated login with NTLM in SPNEGO refused with 18456, a
 * LOGIN7 over several packets, login-only TLS (ENCRYPT_OFF) with the answer
 * in clear, full TLS, a SQL login whose password must appear nowhere, a
 * PRELOGIN on another port; the sessions they make. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "base/limits.h"
#include "capfix.h"
#include "report.h"
#include "result.h"
#include "sessions.h"
#include "smbfix.h"
#include "tds.h"
#include "testutil.h"

#define PASSWORD "Tds-Very-Secret-42"
#define LOGIN_FAILED "Login failed for user 'NT AUTHORITY\\ANONYMOUS LOGON'."

/* ---------------------------------------------------------- builders ---- */

/* One packet: the 8-byte header (length big-endian), then data. */
static void tds_packet(struct sb *out, uint8_t type, uint8_t status, uint8_t id, const void *data, size_t n)
{
	sb_u8(out, type);
	sb_u8(out, status);
	sb_be16(out, (uint16_t)(KF_TDS_HEADER + n));
	sb_be16(out, 0);
	sb_u8(out, id);
	sb_u8(out, 0);
	sb_put(out, data, n);
}

/* A message in packets of at most max data bytes, EOM on the last. */
static void tds_message(struct sb *out, uint8_t type, const struct sb *msg, size_t max)
{
	size_t at = 0;
	uint8_t id = 1;
	do {
		size_t n = msg->n - at < max ? msg->n - at : max;
		tds_packet(out, type, at + n == msg->n ? KF_TDS_STATUS_EOM : 0, id++, msg->p + at, n);
		at += n;
	} while (at < msg->n);
}

/* PRELOGIN's option table: VERSION, ENCRYPTION, INSTOPT, THREADID, MARS. */
static void prelogin(struct sb *out, uint8_t encryption)
{
	static const uint8_t tokens[] = { 0x00, 0x01, 0x02, 0x03, 0x04 };
	static const uint16_t lens[] = { 6, 1, 1, 4, 1 };
	uint16_t off = sizeof tokens * 5 + 1;
	for (size_t i = 0; i < sizeof tokens; i++) {
		sb_u8(out, tokens[i]);
		sb_be16(out, off);
		sb_be16(out, lens[i]);
		off = (uint16_t)(off + lens[i]);
	}
	sb_u8(out, 0xff);
	static const uint8_t version[] = { 0x0f, 0x00, 0x07, 0xd0, 0x00, 0x00 };
	sb_put(out, version, sizeof version);
	sb_u8(out, encryption);
	sb_u8(out, 0);
	sb_le32(out, 0);
	sb_u8(out, 0);
}

/* A TLS record of type ct (a handshake: 0x16) with n bytes of body. */
static void tls_record(struct sb *out, uint8_t ct, size_t n)
{
	sb_u8(out, ct);
	sb_u8(out, 3);
	sb_u8(out, 3);
	sb_be16(out, (uint16_t)n);
	for (size_t i = 0; i < n; i++)
		sb_u8(out, (uint8_t)(0x41 + i % 7));
}

struct login_fields {
	const char *host, *user, *password, *server;
	bool integrated;
	const uint8_t *sspi;
	size_t sspi_n;
	bool sspi_long; /* cbSSPI 0xFFFF, the size in cbSSPILong */
};

/* LOGIN7 (TDS 7.4): the 94-byte fixed part, then the strings and the SSPI
 * block.  The password is written as a client would (nibble swap, xor
 * 0xA5) so that no decoder could print it by chance. */
static void login7(struct sb *out, const struct login_fields *f)
{
	size_t base = out->n;
	sb_le32(out, 0);           /* Length, patched */
	sb_le32(out, 0x74000004u); /* TDSVersion 7.4 */
	sb_le32(out, 4096);        /* PacketSize */
	sb_le32(out, 0x07000000u);
	sb_le32(out, 1234);
	sb_le32(out, 0);
	sb_u8(out, 0xe0);
	sb_u8(out, f->integrated ? 0x83 : 0x03);
	sb_u8(out, 0);
	sb_u8(out, 0);
	sb_le32(out, 0);
	sb_le32(out, 0x0409);
	sb_zero(out, 94 - 36); /* offsets and lengths, patched below */
	const char *strings[9] = { f->host, f->user, f->password, "sqlcmd", f->server,
				   NULL,    "ODBC",  "",          "master" };
	for (int i = 0; i < 9; i++) {
		if (i == 5 || !strings[i])
			continue;
		size_t at = out->n - base;
		if (i == 2) {
			for (const char *c = strings[i]; *c; c++) {
				uint8_t b = (uint8_t)*c;
				sb_u8(out, (uint8_t)(((b << 4) | (b >> 4)) ^ 0xa5));
				sb_u8(out, 0xa5);
			}
		} else {
			sb_utf16(out, strings[i]);
		}
		sb_set16(out, base + 36 + 4 * (size_t)i, (uint16_t)at);
		sb_set16(out, base + 38 + 4 * (size_t)i, (uint16_t)strlen(strings[i]));
	}
	if (f->sspi_n) {
		sb_set16(out, base + 78, (uint16_t)(out->n - base));
		if (f->sspi_long) {
			sb_set16(out, base + 80, 0xffff);
			sb_set32(out, base + 90, (uint32_t)f->sspi_n);
		} else {
			sb_set16(out, base + 80, (uint16_t)f->sspi_n);
		}
		sb_put(out, f->sspi, f->sspi_n);
	}
	sb_set32(out, base, (uint32_t)(out->n - base));
}

static void tok_loginack(struct sb *out)
{
	sb_u8(out, 0xad);
	sb_le16(out, 1 + 4 + 1 + 2 * 10 + 4);
	sb_u8(out, 1);
	sb_be32(out, 0x74000004u);
	sb_u8(out, 10);
	sb_utf16(out, "SQL Server");
	sb_be32(out, 0x0f000000u);
}

static void tok_error(struct sb *out, uint8_t token, uint32_t number, uint8_t state, uint8_t class,
		      const char *text)
{
	size_t n = strlen(text);
	sb_u8(out, token);
	sb_le16(out, (uint16_t)(4 + 1 + 1 + 2 + 2 * n + 1 + 2 * 3 + 1 + 4));
	sb_le32(out, number);
	sb_u8(out, state);
	sb_u8(out, class);
	sb_le16(out, (uint16_t)n);
	sb_utf16(out, text);
	sb_u8(out, 3);
	sb_utf16(out, "SQL");
	sb_u8(out, 0);
	sb_le32(out, 1);
}

static void tok_envchange(struct sb *out)
{
	sb_u8(out, 0xe3);
	sb_le16(out, 1 + 1 + 2 * 6 + 1 + 2 * 6);
	sb_u8(out, 1);
	sb_u8(out, 6);
	sb_utf16(out, "master");
	sb_u8(out, 6);
	sb_utf16(out, "master");
}

static void tok_sspi(struct sb *out, const uint8_t *p, size_t n)
{
	sb_u8(out, 0xed);
	sb_le16(out, (uint16_t)n);
	sb_put(out, p, n);
}

static void tok_done(struct sb *out, uint16_t status)
{
	sb_u8(out, 0xfd);
	sb_le16(out, status);
	sb_le16(out, 0);
	sb_le64(out, 0);
}

static struct kf_span span_of(const struct sb *b) { return kf_span_make(b->p, b->n); }

static bool span_text(struct kf_span s, const char *ascii)
{
	struct sb want = { 0 };
	sb_utf16(&want, ascii);
	bool eq = s.n == want.n && !memcmp(s.p, want.p, want.n);
	sb_free(&want);
	return eq;
}

/* ---------------------------------------------------------- decoder ---- */

START_TEST(test_header)
{
	struct sb b = { 0 };
	struct sb data = { 0 };
	prelogin(&data, KF_TDS_ENCRYPT_OFF);
	tds_packet(&b, KF_TDS_PRELOGIN, KF_TDS_STATUS_EOM, 1, data.p, data.n);
	struct kf_tds_header h;
	ck_assert(kf_tds_header(span_of(&b), &h));
	ck_assert_uint_eq(h.type, KF_TDS_PRELOGIN);
	ck_assert_uint_eq(h.status, KF_TDS_STATUS_EOM);
	ck_assert_uint_eq(h.length, KF_TDS_HEADER + data.n);
	ck_assert_uint_eq(h.packet_id, 1);
	ck_assert(kf_tds_probe_prelogin(span_of(&b)));
	/* a 0-length packet is a header */
	uint8_t empty[8] = { KF_TDS_SSPI, 1, 0, 8, 0, 0, 1, 0 };
	ck_assert(kf_tds_header(kf_span_make(empty, 8), &h));
	ck_assert_uint_eq(h.length, 8);
	ck_assert(!kf_tds_header(kf_span_make(empty, 7), &h));
	uint8_t bad[8];
	memcpy(bad, empty, 8);
	bad[3] = 7; /* shorter than its header */
	ck_assert(!kf_tds_header(kf_span_make(bad, 8), &h));
	memcpy(bad, empty, 8);
	bad[0] = 5; /* no such type */
	ck_assert(!kf_tds_header(kf_span_make(bad, 8), &h));
	memcpy(bad, empty, 8);
	bad[1] = 0x40; /* undefined status bit */
	ck_assert(!kf_tds_header(kf_span_make(bad, 8), &h));

	/* the probe: status EOM alone, a whole table ending 0xFF, options inside */
	b.p[1] = 0;
	ck_assert(!kf_tds_probe_prelogin(span_of(&b)));
	b.p[1] = 1;
	ck_assert(!kf_tds_probe_prelogin(kf_span_make(b.p, 8 + 12))); /* the table cut */
	b.p[8 + 25] = 0xfe;                                           /* no terminator */
	ck_assert(!kf_tds_probe_prelogin(span_of(&b)));
	b.p[8 + 25] = 0xff;
	b.p[8 + 2] = 0xf0; /* VERSION's offset past the packet */
	ck_assert(!kf_tds_probe_prelogin(span_of(&b)));
	b.p[8 + 2] = 26;
	ck_assert(kf_tds_probe_prelogin(span_of(&b)));
	b.p[0] = KF_TDS_LOGIN7;
	ck_assert(!kf_tds_probe_prelogin(span_of(&b)));
	sb_free(&b);
	sb_free(&data);
}
END_TEST

START_TEST(test_prelogin)
{
	struct sb data = { 0 };
	prelogin(&data, KF_TDS_ENCRYPT_NOT_SUP);
	struct kf_tds_prelogin p;
	struct kf_events ev = { 0 };
	ck_assert(kf_tds_prelogin(span_of(&data), &p, &ev));
	ck_assert(!p.tls);
	ck_assert(p.has_version);
	ck_assert_uint_eq(p.version, 0x0f0007d0u);
	ck_assert(p.has_encryption);
	ck_assert_uint_eq(p.encryption, KF_TDS_ENCRYPT_NOT_SUP);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_str_eq(kf_tds_encryption_name(p.encryption), "not-supported");

	/* ENCRYPTION's length past the payload */
	data.p[5 + 4] = 0x40;
	ck_assert(!kf_tds_prelogin(span_of(&data), &p, &ev));
	ck_assert_ptr_nonnull(p.why);
	ck_assert_uint_eq(ev.n, 1);

	struct sb tls = { 0 };
	tls_record(&tls, 0x16, 40);
	ck_assert(kf_tds_prelogin(span_of(&tls), &p, &ev));
	ck_assert(p.tls);
	ck_assert(!p.has_encryption);
	ck_assert(kf_tds_is_tls(span_of(&tls)));
	tls.p[1] = 2;
	ck_assert(!kf_tds_is_tls(span_of(&tls)));
	/* nothing at all */
	ck_assert(!kf_tds_prelogin(kf_span_make(data.p, 0), &p, NULL));
	sb_free(&data);
	sb_free(&tls);
}
END_TEST

START_TEST(test_login7)
{
	static const uint8_t token[] = { 0x60, 0x03, 0x06, 0x01, 0x05 };
	struct login_fields f = {
		"WS01", "app", PASSWORD, "sql.ad.lab.test", true, token, sizeof token, false
	};
	struct sb m = { 0 };
	login7(&m, &f);
	struct kf_tds_login7 l;
	struct kf_events ev = { 0 };
	ck_assert(kf_tds_login7(span_of(&m), &l, &ev));
	ck_assert_uint_eq(l.length, m.n);
	ck_assert_uint_eq(l.tds_version, 0x74000004u);
	ck_assert(l.integrated);
	ck_assert(span_text(l.host_name, "WS01"));
	ck_assert(span_text(l.user_name, "app"));
	ck_assert(span_text(l.server_name, "sql.ad.lab.test"));
	ck_assert_uint_eq(l.sspi.n, sizeof token);
	ck_assert(!memcmp(l.sspi.p, token, sizeof token));
	ck_assert(!l.sspi_cut);
	ck_assert_uint_eq(ev.n, 0);

	/* the SSPI block's size in cbSSPILong */
	struct sb m2 = { 0 };
	f.sspi_long = true;
	f.integrated = false;
	login7(&m2, &f);
	ck_assert(kf_tds_login7(span_of(&m2), &l, &ev));
	ck_assert(!l.integrated);
	ck_assert_uint_eq(l.sspi.n, sizeof token);
	/* cbSSPILong huge: what is in the message is kept, flagged */
	m2.p[90] = 0xff;
	m2.p[91] = 0xff;
	m2.p[92] = 0xff;
	m2.p[93] = 0x7f;
	ck_assert(kf_tds_login7(span_of(&m2), &l, &ev));
	ck_assert(l.sspi_cut);
	ck_assert_uint_eq(l.sspi.n, sizeof token);
	ck_assert_uint_eq(ev.n, 1);
	ck_assert_ptr_nonnull(l.why);

	/* the server name's offset outside: left empty, the rest read */
	sb_set16(&m, 52, 0xfff0);
	ck_assert(kf_tds_login7(span_of(&m), &l, &ev));
	ck_assert_uint_eq(l.server_name.n, 0);
	ck_assert(span_text(l.user_name, "app"));
	ck_assert_uint_eq(ev.n, 2);
	/* a user name whose length runs past the end */
	sb_set16(&m, 42, 0x7fff);
	ck_assert(kf_tds_login7(span_of(&m), &l, &ev));
	ck_assert_uint_eq(l.user_name.n, 0);
	/* SSPI offset past the end */
	sb_set16(&m, 78, 0xffff);
	ck_assert(kf_tds_login7(span_of(&m), &l, &ev));
	ck_assert_uint_eq(l.sspi.n, 0);
	/* shorter than the fixed part */
	ck_assert(!kf_tds_login7(kf_span_make(m.p, 85), &l, &ev));
	sb_free(&m);
	sb_free(&m2);
}
END_TEST

START_TEST(test_login7_no_password)
{
	/* no span of a decoded LOGIN7 reaches the password's bytes */
	struct login_fields f = { "WS01", "sa", PASSWORD, "sql1", false, NULL, 0, false };
	struct sb m = { 0 };
	login7(&m, &f);
	struct kf_tds_login7 l;
	ck_assert(kf_tds_login7(span_of(&m), &l, NULL));
	size_t pw_at = (size_t)(m.p[44] | (m.p[45] << 8)), pw_n = 2u * (size_t)(m.p[46] | (m.p[47] << 8));
	ck_assert_uint_gt(pw_n, 0);
	const struct kf_span spans[] = { l.host_name, l.user_name, l.server_name, l.sspi };
	for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
		if (!spans[i].n)
			continue;
		size_t a = (size_t)(spans[i].p - m.p);
		ck_assert(a + spans[i].n <= pw_at || a >= pw_at + pw_n);
	}
	sb_free(&m);
}
END_TEST

START_TEST(test_tokens)
{
	struct sb s = { 0 };
	tok_envchange(&s);
	tok_error(&s, 0xab, 5701, 2, 0, "Changed database context to 'master'.");
	tok_loginack(&s);
	tok_done(&s, 0);
	struct kf_tds_tokens t;
	struct kf_events ev = { 0 };
	ck_assert(kf_tds_tokens(span_of(&s), &t, &ev));
	ck_assert(t.login_ack);
	ck_assert_uint_eq(t.ack_tds_version, 0x74000004u);
	ck_assert(!t.has_error); /* INFO is stepped over */
	ck_assert(t.done);
	ck_assert(!t.stopped);
	ck_assert_uint_eq(t.n_tokens, 4);
	ck_assert_uint_eq(ev.n, 0);
	sb_free(&s);

	tok_error(&s, 0xaa, 18456, 8, 14, LOGIN_FAILED);
	tok_done(&s, 2);
	ck_assert(kf_tds_tokens(span_of(&s), &t, &ev));
	ck_assert(!t.login_ack);
	ck_assert(t.has_error);
	ck_assert_uint_eq(t.error_number, 18456);
	ck_assert_uint_eq(t.error_state, 8);
	ck_assert_uint_eq(t.error_class, 14);
	ck_assert(span_text(t.error_text, LOGIN_FAILED));
	ck_assert_uint_eq(t.done_status, 2);
	sb_free(&s);

	static const uint8_t blob[] = { 0xa1, 0x03, 0x0a, 0x01, 0x01 };
	tok_sspi(&s, blob, sizeof blob);
	ck_assert(kf_tds_tokens(span_of(&s), &t, &ev));
	ck_assert_uint_eq(t.sspi.n, sizeof blob);
	ck_assert(!memcmp(t.sspi.p, blob, sizeof blob));
	/* a token whose size is known only from its fields (COLMETADATA) stops the walk */
	sb_u8(&s, 0x81);
	sb_le16(&s, 1);
	tok_loginack(&s);
	ck_assert(kf_tds_tokens(span_of(&s), &t, &ev));
	ck_assert(t.stopped);
	ck_assert_uint_eq(t.stopped_at, 0x81);
	ck_assert(!t.login_ack);
	ck_assert_uint_eq(ev.n, 0);
	sb_free(&s);

	/* a length past the message */
	tok_error(&s, 0xaa, 18456, 8, 14, LOGIN_FAILED);
	ck_assert(!kf_tds_tokens(kf_span_make(s.p, s.n - 3), &t, &ev));
	ck_assert(t.stopped);
	ck_assert(!t.has_error);
	ck_assert_uint_eq(ev.n, 1);
	/* an ERROR whose text runs past its token */
	s.p[1] = 10;
	s.p[2] = 0;
	struct kf_events ev2 = { 0 };
	(void)kf_tds_tokens(span_of(&s), &t, &ev2);
	ck_assert(!t.has_error);
	ck_assert_uint_ge(ev2.n, 1);
	sb_free(&s);

	/* garbage: every byte value as a first token, nothing read past the input */
	for (unsigned v = 0; v < 256; v++) {
		uint8_t g[3] = { (uint8_t)v, 0xff, 0xff };
		(void)kf_tds_tokens(kf_span_make(g, sizeof g), &t, NULL);
		ck_assert_uint_le(t.sspi.n, 2);
		ck_assert_uint_le(t.error_text.n, 0);
	}
	ck_assert(!kf_tds_tokens(kf_span_make(blob, 0), &t, NULL));
	ck_assert_str_eq(kf_tds_type_name(KF_TDS_LOGIN7), "LOGIN7");
	ck_assert_ptr_null(kf_tds_type_name(5));
}
END_TEST

/* ---------------------------------------------------------- carrier ---- */

static uint64_t send_msg(struct tconn *t, int dir, struct sb *m, size_t mss)
{
	uint64_t f = tsend(t, dir, m->p, m->n, mss);
	sb_free(m);
	return f;
}

static uint64_t send_prelogin(struct tconn *t, int dir, uint8_t encryption)
{
	struct sb d = { 0 }, m = { 0 };
	prelogin(&d, encryption);
	tds_message(&m, dir ? KF_TDS_TABULAR : KF_TDS_PRELOGIN, &d, 4088);
	sb_free(&d);
	return send_msg(t, dir, &m, 1460);
}

/* ERROR (number, state, class 14, text) and a final DONE from the server; its frame. */
static uint64_t send_error(struct tconn *t, uint32_t number, uint8_t state, const char *text)
{
	struct sb d = { 0 }, m = { 0 };
	tok_error(&d, 0xaa, number, state, 14, text);
	tok_done(&d, 2);
	tds_message(&m, KF_TDS_TABULAR, &d, 4088);
	sb_free(&d);
	return send_msg(t, 1, &m, 1460);
}

static const struct kf_tds_rec *tds_at(const struct kf_result *r, uint64_t frame, int type)
{
	const struct kf_message *m = at(r, frame, type);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(m->carrier, KF_CARRIER_TDS);
	ck_assert_ptr_nonnull(m->tds);
	return m->tds;
}

/* PRELOGIN (not supported) and its answer; LOGIN7 with SPNEGO(NTLM
 * NEGOTIATE) in two packets; the server's SSPI token (CHALLENGE); the
 * client's SSPI packet (AUTHENTICATE, anonymous); ERROR 18456 state 8 and
 * DONE; then a query, not read. */
START_TEST(test_carrier_ntlm_refused)
{
	struct cap c;
	struct tconn t;
	cap_open(&c);
	tconn_open(&t, &c, 50200, 1433);
	uint64_t f_pre = send_prelogin(&t, 0, KF_TDS_ENCRYPT_NOT_SUP);
	uint64_t f_pre_rsp = send_prelogin(&t, 1, KF_TDS_ENCRYPT_NOT_SUP);

	struct sb ntlm = { 0 }, tok = { 0 }, d = { 0 }, m = { 0 };
	ntlm_negotiate(&ntlm);
	spnego_init(&tok, ntlm.p, ntlm.n);
	struct login_fields f = { "WS01", "", "", "sql.ad.lab.test", true, tok.p, tok.n, false };
	login7(&d, &f);
	tds_message(&m, KF_TDS_LOGIN7, &d, 100); /* several packets: the message ends in the last */
	ck_assert_uint_gt(m.n, 2 * (KF_TDS_HEADER + 100));
	uint64_t f_login_first = segment(&t, 0, 0x18, m.p, KF_TDS_HEADER + 100);
	uint64_t f_login = tsend(&t, 0, m.p + KF_TDS_HEADER + 100, m.n - KF_TDS_HEADER - 100, 1460);
	sb_free(&m);
	sb_free(&d);
	sb_free(&tok);
	sb_free(&ntlm);

	ntlm_challenge(&ntlm);
	spnego_resp(&tok, 1, ntlm.p, ntlm.n);
	tok_sspi(&d, tok.p, tok.n);
	tds_message(&m, KF_TDS_TABULAR, &d, 4088);
	uint64_t f_chal = send_msg(&t, 1, &m, 1460);
	sb_free(&d);
	sb_free(&tok);
	sb_free(&ntlm);

	ntlm_authenticate(&ntlm, "", "", true);
	tds_message(&m, KF_TDS_SSPI, &ntlm, 4088);
	uint64_t f_auth = send_msg(&t, 0, &m, 1460);
	sb_free(&ntlm);

	uint64_t f_err = send_error(&t, 18456, 8, LOGIN_FAILED);
	/* a query afterwards: the login is over, nothing more is read */
	struct sb q = { 0 };
	sb_utf16(&q, "select 1");
	tds_message(&m, KF_TDS_SQL_BATCH, &q, 4088);
	send_msg(&t, 0, &m, 1460);
	sb_free(&q);
	tconn_close(&t);
	cap_close(&c);

	struct kf_result r = analyze(&c);
	const struct kf_tds_rec *x = tds_at(&r, f_pre, KF_MSG_TDS_REQUEST);
	ck_assert_uint_eq(x->packet_type, KF_TDS_PRELOGIN);
	ck_assert(x->has_encryption);
	ck_assert_uint_eq(x->encryption, KF_TDS_ENCRYPT_NOT_SUP);
	x = tds_at(&r, f_pre_rsp, KF_MSG_TDS_RESPONSE);
	ck_assert_uint_eq(x->packet_type, KF_TDS_TABULAR);
	ck_assert(x->has_encryption);
	ck_assert_uint_eq(reply_frame(&r, at(&r, f_pre, KF_MSG_TDS_REQUEST)), f_pre_rsp);

	ck_assert_ptr_null(at(&r, f_login_first, KF_MSG_TDS_REQUEST));
	const struct kf_message *lm = at(&r, f_login, KF_MSG_TDS_REQUEST);
	ck_assert_ptr_nonnull(lm);
	ck_assert_uint_eq(lm->first_frame, f_login_first);
	x = lm->tds;
	ck_assert_uint_eq(x->packet_type, KF_TDS_LOGIN7);
	ck_assert(x->integrated);
	ck_assert_str_eq(x->server, "sql.ad.lab.test");
	ck_assert_ptr_null(x->user);
	ck_assert_uint_gt(x->token_bytes, 0);
	const struct kf_message *neg = at(&r, f_login, KF_MSG_NTLM_NEGOTIATE);
	ck_assert_ptr_nonnull(neg);
	ck_assert_int_eq(neg->carrier, KF_CARRIER_TDS);

	x = tds_at(&r, f_chal, KF_MSG_TDS_RESPONSE);
	ck_assert(!x->has_error && !x->login_ack);
	ck_assert_ptr_nonnull(at(&r, f_chal, KF_MSG_NTLM_CHALLENGE));
	ck_assert_uint_eq(at(&r, f_chal, KF_MSG_NTLM_CHALLENGE)->carrier, KF_CARRIER_TDS);
	ck_assert_uint_eq(reply_frame(&r, neg), f_chal);

	x = tds_at(&r, f_auth, KF_MSG_TDS_REQUEST);
	ck_assert_uint_eq(x->packet_type, KF_TDS_SSPI);
	ck_assert_ptr_nonnull(at(&r, f_auth, KF_MSG_NTLM_AUTHENTICATE));

	x = tds_at(&r, f_err, KF_MSG_TDS_RESPONSE);
	ck_assert(x->has_error);
	ck_assert_uint_eq(x->error_number, 18456);
	ck_assert_uint_eq(x->error_state, 8);
	ck_assert_uint_eq(x->error_class, 14);
	ck_assert_str_eq(x->message, LOGIN_FAILED);
	ck_assert_uint_eq(reply_frame(&r, at(&r, f_auth, KF_MSG_TDS_REQUEST)), f_err);
	ck_assert_uint_eq(count_type(&r, KF_MSG_TDS_REQUEST), 3);
	ck_assert_uint_eq(count_type(&r, KF_MSG_TDS_RESPONSE), 3);
	ck_assert(!warned(&r, "tds-framing-lost"));
	ck_assert(!warned(&r, "tds-malformed"));

	ck_assert_uint_eq(r.n_sessions, 1);
	const struct kf_session *se = &r.sessions[0];
	ck_assert_int_eq(se->carrier, KF_CARRIER_TDS);
	ck_assert_str_eq(se->target, "sql.ad.lab.test");
	ck_assert_str_eq(se->mech, "ntlm");
	ck_assert_str_eq(se->as, "anonymous");
	ck_assert_str_eq(se->outcome, "error");
	ck_assert(se->has_sql_error);
	ck_assert_uint_eq(se->sql_error, 18456);
	ck_assert_uint_eq(se->sql_state, 8);

	char *out = report_all(&r);
	ck_assert_ptr_nonnull(strstr(out, "ERROR 18456 state 8 class 14 \"Login failed for user 'NT "
					  "AUTHORITY\\\\ANONYMOUS LOGON'.\""));
	ck_assert_ptr_nonnull(strstr(out, "LOGIN7  integrated (SSPI)  server \"sql.ad.lab.test\""));
	ck_assert_ptr_nonnull(strstr(out, "\"error_number\": 18456"));
	ck_assert_ptr_nonnull(strstr(out, "\"packet_type\": \"LOGIN7\""));
	ck_assert_ptr_nonnull(strstr(out, "\"carrier\": \"tds\""));
	free(out);
	kf_result_free(&r);
}
END_TEST

/* A TLS record of n bytes inside a PRELOGIN packet from dir; its frame. */
static uint64_t send_wrapped(struct tconn *t, int dir, uint8_t ct, size_t n)
{
	struct sb rec = { 0 }, m = { 0 };
	tls_record(&rec, ct, n);
	tds_message(&m, KF_TDS_PRELOGIN, &rec, 4088);
	sb_free(&rec);
	return send_msg(t, dir, &m, 1460);
}

/* A connection from cport whose PRELOGINs both say encryption, then the
 * ClientHello in a PRELOGIN packet: its frame. */
static uint64_t tls_start(struct cap *c, struct tconn *t, uint16_t cport, uint8_t encryption)
{
	cap_open(c);
	tconn_open(t, c, cport, 1433);
	send_prelogin(t, 0, encryption);
	send_prelogin(t, 1, encryption);
	return send_wrapped(t, 0, 0x16, 200);
}

/* ENCRYPT_OFF on both sides: the handshake in PRELOGIN packets, the LOGIN7
 * as a TLS record straight on TCP, then the ERROR in clear. */
START_TEST(test_carrier_login_only_tls)
{
	struct cap c;
	struct tconn t;
	uint64_t f_hello = tls_start(&c, &t, 50201, KF_TDS_ENCRYPT_OFF);
	uint64_t f_server_hello = send_wrapped(&t, 1, 0x16, 3000); /* a certificate: several segments */
	send_wrapped(&t, 0, 0x14, 1);
	send_wrapped(&t, 1, 0x14, 1);
	/* the LOGIN7 inside an application data record, straight on TCP */
	struct sb rec = { 0 };
	tls_record(&rec, 0x17, 2000);
	tsend(&t, 0, rec.p, 700, 700);
	t.seq[0] += 100; /* a segment lost inside the record: counted off, the framing holds */
	tsend(&t, 0, rec.p + 800, rec.n - 800, 700);
	segment(&t, 1, 0x10, NULL, 0); /* the server's ACK past the hole: the gap is delivered */
	sb_free(&rec);
	uint64_t f_err = send_error(&t, 18456, 5, "Login failed for user 'bob'.");
	tconn_close(&t);
	cap_close(&c);

	struct kf_result r = analyze(&c);
	const struct kf_tds_rec *x = tds_at(&r, f_hello, KF_MSG_TDS_REQUEST);
	ck_assert(x->login_encrypted);
	ck_assert_uint_eq(x->packet_type, KF_TDS_PRELOGIN);
	ck_assert(x->tls_wrapped);
	x = tds_at(&r, f_server_hello, KF_MSG_TDS_RESPONSE);
	ck_assert(!x->login_encrypted); /* said once */
	ck_assert(x->tls_wrapped);
	x = tds_at(&r, f_err, KF_MSG_TDS_RESPONSE);
	ck_assert(x->has_error);
	ck_assert_uint_eq(x->error_state, 5);
	ck_assert_str_eq(x->message, "Login failed for user 'bob'.");
	ck_assert(!warned(&r, "tds-framing-lost"));
	ck_assert_uint_eq(r.n_sessions, 1);
	ck_assert_str_eq(r.sessions[0].outcome, "error");
	ck_assert_ptr_null(r.sessions[0].target);
	char *out = report_all(&r);
	ck_assert_ptr_nonnull(strstr(out, "TLS handshake: the login is encrypted"));
	ck_assert_ptr_nonnull(strstr(out, "\"login_encrypted\": true"));
	free(out);
	kf_result_free(&r);
}
END_TEST

/* ENCRYPT_ON: after the handshake everything is TLS; clear-looking bytes
 * inside it are never read. */
START_TEST(test_carrier_full_tls)
{
	struct cap c;
	struct tconn t;
	tls_start(&c, &t, 50202, KF_TDS_ENCRYPT_ON);
	struct sb rec = { 0 }, m = { 0 }, d = { 0 };
	tls_record(&rec, 0x17, 300);
	send_msg(&t, 0, &rec, 1460);
	tok_error(&d, 0xaa, 18456, 5, 14, "not to be read");
	tds_message(&m, KF_TDS_TABULAR, &d, 4088);
	uint64_t f_fake = send_msg(&t, 1, &m, 1460);
	sb_free(&d);
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	ck_assert_ptr_null(at(&r, f_fake, KF_MSG_TDS_RESPONSE));
	ck_assert_uint_eq(count_type(&r, KF_MSG_TDS_REQUEST), 2);
	ck_assert_uint_eq(count_type(&r, KF_MSG_TDS_RESPONSE), 1);
	kf_result_free(&r);
}
END_TEST

/* TDS 8 (strict encryption): TLS from the first byte on 1433. One record,
 * at the ClientHello's frame, says the login is encrypted; nothing after
 * it is read, not even clear-looking TDS. */
START_TEST(test_carrier_strict_tls)
{
	struct cap c;
	struct tconn t;
	cap_open(&c);
	tconn_open(&t, &c, 50204, 1433);
	struct sb rec = { 0 }, m = { 0 }, d = { 0 };
	tls_record(&rec, 0x16, 200);
	uint64_t f_hello = send_msg(&t, 0, &rec, 1460);
	sb_free(&rec);
	tls_record(&rec, 0x16, 90);
	send_msg(&t, 1, &rec, 1460);
	tok_error(&d, 0xaa, 18456, 5, 14, "not to be read");
	tds_message(&m, KF_TDS_TABULAR, &d, 4088);
	uint64_t f_fake = send_msg(&t, 1, &m, 1460);
	sb_free(&d);
	sb_free(&rec);
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	const struct kf_message *q = at(&r, f_hello, KF_MSG_TDS_REQUEST);
	ck_assert_ptr_nonnull(q);
	ck_assert(q->tds->strict_tls && q->tds->login_encrypted);
	ck_assert_ptr_null(at(&r, f_fake, KF_MSG_TDS_RESPONSE));
	ck_assert_uint_eq(count_type(&r, KF_MSG_TDS_REQUEST), 1);
	ck_assert_uint_eq(count_type(&r, KF_MSG_TDS_RESPONSE), 0);
	char *out = report_all(&r);
	ck_assert_ptr_nonnull(strstr(out, "TDS 8 strict encryption"));
	free(out);
	kf_result_free(&r);
}
END_TEST

/* A SQL login (user and password) on a port found by the probe, accepted:
 * the password appears in no report. */
START_TEST(test_carrier_sql_login_probed)
{
	struct cap c;
	struct tconn t;
	cap_open(&c);
	tconn_open(&t, &c, 50203, 14330);
	uint64_t f_pre = send_prelogin(&t, 0, KF_TDS_ENCRYPT_NOT_SUP);
	send_prelogin(&t, 1, KF_TDS_ENCRYPT_NOT_SUP);
	struct sb d = { 0 }, m = { 0 };
	struct login_fields f = { "WS01", "svc_report", PASSWORD, "sql2", false, NULL, 0, false };
	login7(&d, &f);
	tds_message(&m, KF_TDS_LOGIN7, &d, 4088);
	uint64_t f_login = send_msg(&t, 0, &m, 1460);
	sb_free(&d);
	tok_envchange(&d);
	tok_loginack(&d);
	tok_done(&d, 0);
	tds_message(&m, KF_TDS_TABULAR, &d, 4088);
	uint64_t f_ack = send_msg(&t, 1, &m, 1460);
	sb_free(&d);
	/* then 30 KiB of answers after the LOGINACK: never read (the ERROR is data) */
	tok_error(&d, 0xaa, 18456, 8, 14, "after the login");
	sb_zero(&d, 30u << 10);
	tds_message(&m, KF_TDS_TABULAR, &d, 4088);
	send_msg(&t, 1, &m, 1460);
	sb_free(&d);
	tconn_close(&t);
	cap_close(&c);

	struct kf_result r = analyze(&c);
	ck_assert_ptr_nonnull(at(&r, f_pre, KF_MSG_TDS_REQUEST));
	const struct kf_tds_rec *x = tds_at(&r, f_login, KF_MSG_TDS_REQUEST);
	ck_assert(!x->integrated);
	ck_assert_str_eq(x->user, "svc_report");
	ck_assert_str_eq(x->server, "sql2");
	x = tds_at(&r, f_ack, KF_MSG_TDS_RESPONSE);
	ck_assert(x->login_ack);
	ck_assert_uint_eq(r.n_sessions, 1);
	ck_assert_str_eq(r.sessions[0].mech, "sql");
	ck_assert_str_eq(r.sessions[0].as, "svc_report");
	ck_assert_str_eq(r.sessions[0].outcome, "ok");
	ck_assert_uint_eq(count_type(&r, KF_MSG_TDS_RESPONSE), 2);
	char *out = report_all(&r);
	ck_assert_ptr_null(strstr(out, PASSWORD));
	ck_assert_ptr_nonnull(strstr(out, "\"login_ack\": true"));
	free(out);
	kf_result_free(&r);
}
END_TEST

/* A LOGIN7 over the gathering limit is skipped whole (counted), and the
 * framing holds for what follows. */
START_TEST(test_carrier_too_big)
{
	struct cap c;
	struct tconn t;
	cap_open(&c);
	tconn_open(&t, &c, 50204, 1433);
	send_prelogin(&t, 0, KF_TDS_ENCRYPT_NOT_SUP);
	send_prelogin(&t, 1, KF_TDS_ENCRYPT_NOT_SUP);
	struct sb big = { 0 }, d = { 0 }, m = { 0 };
	sb_zero(&big, KF_LIMIT_TDS_MESSAGE + 100);
	struct login_fields f = { "WS01", "", "", "sql1", true, big.p, big.n, true };
	login7(&d, &f);
	tds_message(&m, KF_TDS_LOGIN7, &d, 4088);
	uint64_t f_login = send_msg(&t, 0, &m, 1460);
	sb_free(&d);
	sb_free(&big);
	uint64_t f_err = send_error(&t, 18456, 11, "Login failed.");
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	ck_assert_ptr_null(at(&r, f_login, KF_MSG_TDS_REQUEST));
	ck_assert(warned(&r, "tds-message-too-big"));
	ck_assert_uint_eq(tds_at(&r, f_err, KF_MSG_TDS_RESPONSE)->error_state, 11);
	kf_result_free(&r);
}
END_TEST

/* A message left without its last packet (another type follows): not
 * recorded, said; a 0-length SSPI packet is a message without a token. */
START_TEST(test_carrier_broken_message)
{
	struct cap c;
	struct tconn t;
	cap_open(&c);
	tconn_open(&t, &c, 50206, 1433);
	struct sb d = { 0 }, m = { 0 };
	struct login_fields f = { "WS01", "sa", PASSWORD, "sql1", false, NULL, 0, false };
	login7(&d, &f);
	tds_packet(&m, KF_TDS_LOGIN7, 0, 1, d.p, 40); /* no EOM, and no more of it */
	uint64_t f_part = send_msg(&t, 0, &m, 1460);
	sb_free(&d);
	uint64_t f_pre = send_prelogin(&t, 0, KF_TDS_ENCRYPT_NOT_SUP);
	tds_packet(&m, KF_TDS_SSPI, KF_TDS_STATUS_EOM, 1, NULL, 0);
	uint64_t f_empty = send_msg(&t, 0, &m, 1460);
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	ck_assert_ptr_null(at(&r, f_part, KF_MSG_TDS_REQUEST));
	ck_assert(warned(&r, "tds-malformed"));
	ck_assert_uint_eq(tds_at(&r, f_pre, KF_MSG_TDS_REQUEST)->packet_type, KF_TDS_PRELOGIN);
	const struct kf_tds_rec *x = tds_at(&r, f_empty, KF_MSG_TDS_REQUEST);
	ck_assert_uint_eq(x->packet_type, KF_TDS_SSPI);
	ck_assert_uint_eq(x->token_bytes, 0);
	ck_assert(!warned(&r, "tds-framing-lost"));
	kf_result_free(&r);
}
END_TEST

/* Bytes on 1433 that are not TDS: framing lost, said once, nothing recorded. */
START_TEST(test_carrier_garbage)
{
	struct cap c;
	struct tconn t;
	cap_open(&c);
	tconn_open(&t, &c, 50205, 1433);
	static const uint8_t junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	segment(&t, 0, 0x18, junk, sizeof junk - 1);
	send_prelogin(&t, 0, KF_TDS_ENCRYPT_OFF);
	tconn_close(&t);
	cap_close(&c);
	struct kf_result r = analyze(&c);
	ck_assert(warned(&r, "tds-framing-lost"));
	ck_assert_uint_eq(count_type(&r, KF_MSG_TDS_REQUEST), 0);
	kf_result_free(&r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tds");
	TCase *tc = tcase_create("decoder");
	tcase_add_test(tc, test_header);
	tcase_add_test(tc, test_prelogin);
	tcase_add_test(tc, test_login7);
	tcase_add_test(tc, test_login7_no_password);
	tcase_add_test(tc, test_tokens);
	suite_add_tcase(s, tc);
	tc = tcase_create("carrier");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_carrier_ntlm_refused);
	tcase_add_test(tc, test_carrier_login_only_tls);
	tcase_add_test(tc, test_carrier_full_tls);
	tcase_add_test(tc, test_carrier_strict_tls);
	tcase_add_test(tc, test_carrier_sql_login_probed);
	tcase_add_test(tc, test_carrier_too_big);
	tcase_add_test(tc, test_carrier_broken_message);
	tcase_add_test(tc, test_carrier_garbage);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
