/* check_gss.c - GSS-API framing (RFC 2743 §3.1, RFC 4121 §4.1), SPNEGO
 * (RFC 4178 §4.2, MS-SPNG §2.2.1) and mechanism names (decoders/gss.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "gss.h"
#include "ntlmssp.h"
#include "testutil.h"

/* ------------------------------------------------------------ vectors */

/* Real tokens from the project's lab captures (MIT krb5 + mod_auth_gssapi
 * + curl; gss-ntlmssp for the NTLM fallback), as sent in the headers. */

/* samples/web-healthy-401first.pcap frame 14 */
static const char real_krb_init[] =
	"YIIC7wYGKwYBBQUCoIIC4zCCAt+gDTALBgkqhkiG9xIBAgKiggLMBIICyGCCAsQGCSqGSIb3EgECAgEAboICszCC"
	"Aq+gAwIBBaEDAgEOogcDBQAgAAAAo4IBymGCAcYwggHCoAMCAQWhChsITEFCLlRFU1SiHzAdoAMCAQOhFjAUGwRI"
	"VFRQGwx3ZWIubGFiLnRlc3SjggGMMIIBiKADAgESoQMCAQKiggF6BIIBdoIqpezdT9L9TdWNHud6GOu+Rhfrs5Bm"
	"Nwhqw0gsSWU52wq9gOsNJYxKEx/qAs3+G8HsicdvKzFCrLNJHLy9SLPy+7+U/0GldwXLFTIf7DK3c13hS03S+/+b"
	"i88ptOK+qqzOPkHV5/ScHD3ibyE1yCPLqKtp+d4B/RjtwkvtjbwZ/iokSbqW7xGChh3ZuHAaLRICFGZeAs71YQAX"
	"f1NCuEMld6vM9VJULREYayJkNmy5XaJJm3qlUBJMMDx9kQ2tf3YQ7Sdv1MdtwW5PYMsos3lVO38iUbyjAcsZaXb/"
	"rqP/QWwmmtzGwdQI2vRIbMp3w7IqaZrqgHvq45AMvnadRfMuhrc+G4Hr3s5E3blD3Mfc48+t72WRFuoDHxE9y+4c"
	"5MaT7bpeHpuPy9oNiVIZWplZhBKQWkin3hVynwXI1eotuocpwNVKtRXt1NVjp/s+CEZPIdfCqVgtQ2sYQsWIdfPG"
	"FwZFs/FwhweJzpbCrsIKiOG29pg8pIHLMIHIoAMCARKigcAEgb2mUmfrBotpN1b3lG5Y2lfX8CUhItRPLdPIE0uN"
	"bJIsW5SXHqEJWkaHcTXuu4SfhKiK/RC0BhjYeURwJvmbJPgy/WYhAAo9eeZPhe9DeKpCGzXm7j80NP8GEg2Ms9jP"
	"/B4VnGT2K6yXaVn9QFXeBxhX2c3LrxwO6byqpgPXOiwT3LDqH4alZxYckS98EEoyRMxTH3E87qcE0+5TwTByY568"
	"4Evf1A7aNlQxJLUwKD+/NXX9iMHwpJKCKqkrNS0=";

/* samples/web-healthy-401first.pcap frame 15 */
static const char real_krb_resp[] =
	"oYG3MIG0oAMKAQChCwYJKoZIhvcSAQICooGfBIGcYIGZBgkqhkiG9xIBAgICAG+BiTCBhqADAgEFoQMCAQ+iejB4"
	"oAMCARKicQRvE/I9RC7tm4tswAqdLqtmekb18zPCrSB5Z3qOh703+1NB1zaDO8yuFg053BTQ/sKZFdcJaiAK51Dc"
	"PQMDXA2l4GeQjZO0mCVw/RXm/DA5mWYsjwAr1W+eJ8n6FGmQT16MCwPJoIla393yrOCPgUlJ";

/* samples/web-ntlm-fallback.pcap frame 16 */
static const char real_fb_init[] =
	"YEgGBisGAQUFAqA+MDygDjAMBgorBgEEAYI3AgIKoioEKE5UTE1TU1AAAQAAABeCCOIAAAAAAAAAAAAAAAAAAAAA"
	"BgIAAAAAAA8=";

/* samples/web-ntlm-fallback.pcap frame 17 */
static const char real_fb_chal[] =
	"oYGeMIGboAMKAQGhDAYKKwYBBAGCNwICCqKBhQSBgk5UTE1TU1AAAgAAAAYABgA4AAAAFYKK4r4I6uUFmgc3AAAA"
	"AAAAAABEAEQAPgAAAAYCAAAAAAAPVwBFAEIAAQAGAFcARQBCAAIAFgBXAE8AUgBLAFMAVABBAFQASQBPAE4AAwAE"
	"AHYAbQAGAAQAAAAAAAcACAD27q2APXrdAQAAAAA=";

/* samples/web-ntlm-fallback.pcap frame 18 */
static const char real_fb_auth[] =
	"oYIBPTCCATmgAwoBAaKCARwEggEYTlRMTVNTUAADAAAAAAAAAFgAAACcAJwAWAAAAAYABgD0AAAACgAKAPoAAAAE"
	"AAQABAEAABAAEAAIAQAAFYKK4gYCAAAAAAAPz1SDzkK2OOON5Znuog0sXJRdEMAwywPy93vLkFSn/8oBAQAAAAAA"
	"APburYA9et0B5zOu7QFV7kUAAAAAAQAGAFcARQBCAAIAFgBXAE8AUgBLAFMAVABBAFQASQBPAE4AAwAEAHYAbQAG"
	"AAQAAgAAAAcACAD27q2APXrdAQkAJABIAFQAVABQAC8AdwBlAGIAMgAuAGwAYQBiAC4AdABlAHMAdAAAAAAAAAAA"
	"AEwAQQBCAGEAbABpAGMAZQBWAE0AjKWrz87WeiCOTqkEh6ZG0qMSBBABAAAAS9ThPtFvBXQAAAAA";

/* samples/web-ntlm-fallback.pcap frame 19 */
static const char real_fb_done[] = "oRswGaADCgEAoxIEEAEAAACfpwdF6s28PQAAAAA=";

/* Hand-built tokens (DER written from RFC 4178 / MS-SPNG; each was also
 * checked against tshark's SPNEGO dissector in an HTTP conversation). */

/* GSS-framed NegTokenInit: mechTypes {krb5, ms-krb5, ntlmssp}, reqFlags
 * mutual|integ, mechToken = GSS-framed krb5 token, tok_id 01 00, AP-REQ stub. */
static const char v_init_krb5[] =
	"604f 06062b0601050502"
	"a045 3043"
	" a024 3022 06092a864886f712010202 06092a864882f712010202 060a2b06010401823702020a"
	" a104 03020142"
	" a215 0413 6011 06092a864886f712010202 0100 6e023000";

/* NegTokenResp: accept-incomplete, supportedMech ntlmssp, responseToken =
 * an NTLMSSP CHALLENGE (target LAB). */
static const char v_resp_ntlm[] =
	"a18190 30818d"
	" a003 0a0101"
	" a10c 060a2b06010401823702020a"
	" a278 0476"
	"  4e544c4d53535000 02000000 0600060038000000 058289a2 0123456789abcdef 0000000000000000"
	"  380038003e000000 0a007c4f0000000f 4c0041004200"
	"  020006004c0041004200 01000600570045004200 040010006c00610062002e007400650073007400"
	"  07000800010203040506070800000000";

/* NegTokenResp: accept-completed, supportedMech ms-krb5, responseToken =
 * GSS-framed krb5 token with tok_id 02 00 (AP-REP stub), mechListMIC. */
static const char v_resp_krb5[] = "a133 3031"
				  " a003 0a0100"
				  " a10b 06092a864882f712010202"
				  " a215 0413 6011 06092a864886f712010202 0200 6f023000"
				  " a306 0404deadbeef";

static const char v_resp_reject[] = "a107 3005 a003 0a0102";

static const char v_resp_reqmic[] = "a11b 3019 a003 0a0103 a312 0410 00000000000000000000000000000000";

/* GSS-framed NegTokenInit2 as a Windows-style server sends it: four mechs
 * and negHints { hintName "not_defined_in_RFC4178@please_ignore" }. */
static const char v_init2_hints[] =
	"606a 06062b0601050502"
	"a060 305e"
	" a030 302e 06092a864882f712010202 06092a864886f712010202 060a2b06010401823702021e"
	"  060a2b06010401823702020a"
	" a32a 3028 a026 1b24 6e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265";

/* Raw NegTokenInit2 with negHints [3] and mechListMIC [4]. */
static const char v_init2_hints_mic[] =
	"a052 3050"
	" a00e 300c 060a2b06010401823702020a"
	" a32a 3028 a026 1b24 6e6f745f646566696e65645f696e5f5246433431373840706c656173655f69676e6f7265"
	" a412 0410 11111111111111111111111111111111";

/* Raw NegTokenInit: mechTypes {ntlmssp, 1.2.3.4}, mechToken = NTLMSSP
 * NEGOTIATE, mechListMIC [3] as in RFC 4178. */
static const char v_init_raw_unknown[] =
	"a041 303f"
	" a013 3011 060a2b06010401823702020a 06032a0304"
	" a222 0420 4e544c4d53535000 01000000 07820800 0000000000000000 0000000000000000"
	" a304 04020102";

/* NegTokenResp with an unknown later field [5] (the "..." extension). */
static const char v_resp_extension[] = "a10c 300a a003 0a0101 a503 040178";

/* NegTokenInit without mechTypes (optional in MS-SPNG NegTokenInit2). */
static const char v_init_no_mechtypes[] =
	"a026 3024 a222 0420 4e544c4d53535000 01000000 07820800 0000000000000000 0000000000000000";

/* Bare GSS tokens for kf_gss_unwrap. */
static const char v_gss_apreq[] = "6011 06092a864886f712010202 0100 6e023000";
static const char v_gss_ms_error[] = "6011 06092a864882f712010202 0300 7e023000";
static const char v_gss_u2u[] = "6012 060a2a864886f71201020203 0400 30023000";
static const char v_gss_unknown_mech[] = "6008 06032a0304 abcdef";
static const char v_gss_empty_inner[] = "6008 06062b0601050502";

/* ------------------------------------------------------------ helpers */

/* Exact-size heap copies, so ASan sees any read past the end. */
static uint8_t *hex_load(const char *hex, size_t *n)
{
	size_t cap = strlen(hex) / 2 + 1;
	uint8_t *tmp = malloc(cap);
	*n = kf_test_hex(hex, tmp, cap);
	uint8_t *p = malloc(*n ? *n : 1);
	memcpy(p, tmp, *n);
	free(tmp);
	return p;
}

static uint8_t *b64_load(const char *b64, size_t *n)
{
	size_t cap = kf_base64_decoded_max(strlen(b64));
	uint8_t *tmp = malloc(cap);
	ck_assert(kf_base64_decode(kf_span_make(b64, strlen(b64)), tmp, cap, n));
	uint8_t *p = malloc(*n);
	memcpy(p, tmp, *n);
	free(tmp);
	return p;
}

static bool has_event(const struct kf_events *ev, enum kf_event e)
{
	for (unsigned i = 0; i < ev->n; i++)
		if (ev->ev[i] == (uint16_t)e)
			return true;
	return false;
}

static struct kf_spnego decode_ok(const uint8_t *p, size_t n)
{
	struct kf_spnego sp;
	struct kf_events ev = { 0 };
	ck_assert(kf_spnego_decode(kf_span_make(p, n), &sp, &ev));
	ck_assert_uint_eq(ev.n, 0);
	return sp;
}

static struct kf_gss_token unwrap_ok(struct kf_span s)
{
	struct kf_gss_token t;
	struct kf_events ev = { 0 };
	ck_assert(kf_gss_unwrap(s, &t, &ev));
	ck_assert_uint_eq(ev.n, 0);
	return t;
}

static const char hint[] = "not_defined_in_RFC4178@please_ignore";

/* ------------------------------------------------------- real tokens */

START_TEST(t_real_krb5)
{
	size_t n;
	uint8_t *p = b64_load(real_krb_init, &n);
	ck_assert_uint_eq(n, 755);
	ck_assert_int_eq(kf_token_classify(kf_span_make(p, n)), KF_TOKEN_GSS_FRAMED);
	struct kf_spnego sp = decode_ok(p, n);
	ck_assert(sp.is_init);
	ck_assert_uint_eq(sp.n_mech_types, 1);
	ck_assert_int_eq(sp.mech_types[0], KF_MECH_KRB5);
	ck_assert(!sp.mech_types_truncated);
	ck_assert(!sp.has_req_flags);
	ck_assert(!sp.has_mech_list_mic);
	ck_assert(!sp.has_neg_hints);
	ck_assert(sp.has_mech_token);
	ck_assert_int_eq(kf_token_classify(sp.mech_token), KF_TOKEN_GSS_FRAMED);
	struct kf_gss_token t = unwrap_ok(sp.mech_token);
	ck_assert_int_eq(t.mech, KF_MECH_KRB5);
	ck_assert(t.has_tok_id);
	ck_assert_uint_eq(t.tok_id, 0x0100); /* AP-REQ */
	ck_assert_uint_eq(t.krb_msg.n, 695);
	ck_assert_uint_eq(t.krb_msg.p[0], 0x6e); /* [APPLICATION 14] */
	ck_assert_ptr_eq(t.krb_msg.p + t.krb_msg.n, p + n);
	free(p);

	p = b64_load(real_krb_resp, &n);
	ck_assert_uint_eq(n, 186);
	ck_assert_int_eq(kf_token_classify(kf_span_make(p, n)), KF_TOKEN_SPNEGO_RESP);
	sp = decode_ok(p, n);
	ck_assert(!sp.is_init);
	ck_assert(sp.has_neg_state);
	ck_assert_int_eq(sp.neg_state, KF_NEG_ACCEPT_COMPLETED);
	ck_assert(sp.has_supported_mech);
	ck_assert_int_eq(sp.supported_mech, KF_MECH_KRB5);
	ck_assert(!sp.has_mech_list_mic);
	ck_assert(sp.has_response_token);
	t = unwrap_ok(sp.response_token);
	ck_assert_uint_eq(t.tok_id, 0x0200); /* AP-REP */
	ck_assert_uint_eq(t.krb_msg.p[0], 0x6f);
	free(p);
}
END_TEST

START_TEST(t_real_ntlm_fallback)
{
	size_t n;
	struct kf_ntlm_msg m;
	struct kf_events ev = { 0 };
	char buf[64];

	uint8_t *p = b64_load(real_fb_init, &n);
	struct kf_spnego sp = decode_ok(p, n);
	ck_assert(sp.is_init);
	ck_assert_uint_eq(sp.n_mech_types, 1);
	ck_assert_int_eq(sp.mech_types[0], KF_MECH_NTLMSSP);
	ck_assert_int_eq(kf_token_classify(sp.mech_token), KF_TOKEN_NTLMSSP);
	ck_assert(kf_ntlmssp_decode(sp.mech_token, &m, &ev));
	ck_assert_uint_eq(m.type, 1);
	free(p);

	p = b64_load(real_fb_chal, &n);
	sp = decode_ok(p, n);
	ck_assert(!sp.is_init);
	ck_assert_int_eq(sp.neg_state, KF_NEG_ACCEPT_INCOMPLETE);
	ck_assert_int_eq(sp.supported_mech, KF_MECH_NTLMSSP);
	ck_assert(!sp.has_mech_list_mic);
	ck_assert(kf_ntlmssp_decode(sp.response_token, &m, &ev));
	ck_assert_uint_eq(m.type, 2);
	kf_ntlm_string(m.target_name, m.unicode, buf, sizeof buf);
	ck_assert_str_eq(buf, "WEB");
	free(p);

	p = b64_load(real_fb_auth, &n);
	sp = decode_ok(p, n);
	ck_assert(sp.has_neg_state);
	ck_assert_int_eq(sp.neg_state, KF_NEG_ACCEPT_INCOMPLETE);
	ck_assert(!sp.has_supported_mech);
	ck_assert(sp.has_mech_list_mic);
	ck_assert(kf_ntlmssp_decode(sp.response_token, &m, &ev));
	ck_assert_uint_eq(m.type, 3);
	ck_assert(m.ntlmv2);
	ck_assert(m.has_mic);
	kf_ntlm_string(m.user, m.unicode, buf, sizeof buf);
	ck_assert_str_eq(buf, "alice");
	kf_ntlm_string(m.domain, m.unicode, buf, sizeof buf);
	ck_assert_str_eq(buf, "LAB");
	free(p);

	p = b64_load(real_fb_done, &n);
	sp = decode_ok(p, n);
	ck_assert_int_eq(sp.neg_state, KF_NEG_ACCEPT_COMPLETED);
	ck_assert(sp.has_mech_list_mic);
	ck_assert(!sp.has_response_token);
	ck_assert_uint_eq(ev.n, 0);
	free(p);
}
END_TEST

/* ------------------------------------------------- hand-built tokens */

START_TEST(t_init_krb5)
{
	size_t n;
	uint8_t *p = hex_load(v_init_krb5, &n);
	struct kf_spnego sp = decode_ok(p, n);
	ck_assert(sp.is_init);
	ck_assert_uint_eq(sp.n_mech_types, 3);
	ck_assert_int_eq(sp.mech_types[0], KF_MECH_KRB5);
	ck_assert_int_eq(sp.mech_types[1], KF_MECH_MS_KRB5);
	ck_assert_int_eq(sp.mech_types[2], KF_MECH_NTLMSSP);
	ck_assert_uint_eq(sp.mech_type_oids[1].n, 9);
	ck_assert(sp.has_req_flags);
	ck_assert_uint_eq(sp.req_flags, KF_SPNEGO_FLAG_MUTUAL | KF_SPNEGO_FLAG_INTEG);
	ck_assert(sp.has_mech_token);
	struct kf_gss_token t = unwrap_ok(sp.mech_token);
	ck_assert_int_eq(t.mech, KF_MECH_KRB5);
	ck_assert_uint_eq(t.tok_id, 0x0100);
	ck_assert_uint_eq(t.krb_msg.n, 4);
	ck_assert(!sp.has_mech_list_mic);
	ck_assert(!sp.has_neg_state);
	free(p);
}
END_TEST

START_TEST(t_resp_ntlm)
{
	size_t n;
	uint8_t *p = hex_load(v_resp_ntlm, &n);
	struct kf_spnego sp = decode_ok(p, n);
	ck_assert(!sp.is_init);
	ck_assert_int_eq(sp.neg_state, KF_NEG_ACCEPT_INCOMPLETE);
	ck_assert_str_eq(kf_neg_state_name(sp.neg_state), "accept-incomplete");
	ck_assert_int_eq(sp.supported_mech, KF_MECH_NTLMSSP);
	ck_assert_str_eq(kf_mech_name(sp.supported_mech), "ntlmssp");
	ck_assert(sp.has_response_token);
	ck_assert_uint_eq(sp.response_token.n, 118);
	ck_assert_int_eq(kf_token_classify(sp.response_token), KF_TOKEN_NTLMSSP);
	ck_assert_uint_eq(sp.n_mech_types, 0);
	free(p);
}
END_TEST

START_TEST(t_resp_krb5)
{
	size_t n;
	uint8_t *p = hex_load(v_resp_krb5, &n);
	struct kf_spnego sp = decode_ok(p, n);
	ck_assert_int_eq(sp.neg_state, KF_NEG_ACCEPT_COMPLETED);
	ck_assert_int_eq(sp.supported_mech, KF_MECH_MS_KRB5);
	ck_assert(sp.has_mech_list_mic);
	struct kf_gss_token t = unwrap_ok(sp.response_token);
	ck_assert_uint_eq(t.tok_id, 0x0200);
	ck_assert_int_eq(kf_token_classify(t.krb_msg), KF_TOKEN_KRB5_RAW);
	free(p);
}
END_TEST

START_TEST(t_resp_states)
{
	size_t n;
	uint8_t *p = hex_load(v_resp_reject, &n);
	struct kf_spnego sp = decode_ok(p, n);
	ck_assert(sp.has_neg_state);
	ck_assert_int_eq(sp.neg_state, KF_NEG_REJECT);
	ck_assert(!sp.has_supported_mech && !sp.has_response_token && !sp.has_mech_list_mic);
	free(p);

	p = hex_load(v_resp_reqmic, &n);
	sp = decode_ok(p, n);
	ck_assert_int_eq(sp.neg_state, KF_NEG_REQUEST_MIC);
	ck_assert(sp.has_mech_list_mic);
	free(p);

	p = hex_load(v_resp_extension, &n);
	sp = decode_ok(p, n);
	ck_assert_int_eq(sp.neg_state, KF_NEG_ACCEPT_INCOMPLETE);
	ck_assert(!sp.has_response_token);
	free(p);
}
END_TEST

START_TEST(t_init2_hints)
{
	size_t n;
	uint8_t *p = hex_load(v_init2_hints, &n);
	struct kf_spnego sp = decode_ok(p, n);
	ck_assert(sp.is_init);
	ck_assert_uint_eq(sp.n_mech_types, 4);
	ck_assert_int_eq(sp.mech_types[0], KF_MECH_MS_KRB5);
	ck_assert_int_eq(sp.mech_types[1], KF_MECH_KRB5);
	ck_assert_int_eq(sp.mech_types[2], KF_MECH_NEGOEX);
	ck_assert_int_eq(sp.mech_types[3], KF_MECH_NTLMSSP);
	ck_assert(sp.has_neg_hints);
	ck_assert(sp.has_hint_name);
	ck_assert(sp.hint_name.n == strlen(hint) && memcmp(sp.hint_name.p, hint, sp.hint_name.n) == 0);
	ck_assert(!sp.has_mech_list_mic); /* [3] was negHints, not a MIC */
	ck_assert(!sp.has_mech_token);
	free(p);

	p = hex_load(v_init2_hints_mic, &n);
	sp = decode_ok(p, n);
	ck_assert_uint_eq(sp.n_mech_types, 1);
	ck_assert(sp.has_neg_hints);
	ck_assert(sp.has_mech_list_mic); /* [4] */
	free(p);
}
END_TEST

START_TEST(t_init_raw)
{
	size_t n;
	char buf[64];
	uint8_t *p = hex_load(v_init_raw_unknown, &n);
	struct kf_spnego sp = decode_ok(p, n);
	ck_assert(sp.is_init);
	ck_assert_uint_eq(sp.n_mech_types, 2);
	ck_assert_int_eq(sp.mech_types[0], KF_MECH_NTLMSSP);
	ck_assert_int_eq(sp.mech_types[1], KF_MECH_UNKNOWN);
	ck_assert_ptr_null(kf_mech_name(sp.mech_types[1]));
	ck_assert_str_eq(kf_oid_to_string(sp.mech_type_oids[1], buf, sizeof buf), "1.2.3.4");
	ck_assert_int_eq(kf_token_classify(sp.mech_token), KF_TOKEN_NTLMSSP);
	ck_assert(sp.has_mech_list_mic); /* [3] OCTET STRING: the RFC 4178 mechListMIC */
	ck_assert(!sp.has_neg_hints);
	free(p);

	p = hex_load(v_init_no_mechtypes, &n);
	sp = decode_ok(p, n);
	ck_assert(sp.is_init);
	ck_assert_uint_eq(sp.n_mech_types, 0);
	ck_assert(sp.has_mech_token);
	free(p);
}
END_TEST

/* More mechanisms than KF_LIMIT_SPNEGO_MECHS: the first ones are kept, the
 * list is marked truncated and the event raised once; decoding succeeds. */
START_TEST(t_mech_cap)
{
	enum { N = KF_LIMIT_SPNEGO_MECHS + 3 };
	uint8_t list[N * 11], tok[N * 11 + 16];
	size_t l = 0;
	for (int i = 0; i < N; i++) {
		static const uint8_t krb5[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
						0xf7, 0x12, 0x01, 0x02, 0x02 };
		memcpy(list + l, krb5, sizeof krb5);
		l += sizeof krb5;
	}
	size_t o = 0;
	/* a0 82 LL LL 30 82 LL LL a0 82 LL LL 30 82 LL LL <list> */
	size_t lens[4] = { l + 12, l + 8, l + 4, l };
	uint8_t tags[4] = { 0xa0, 0x30, 0xa0, 0x30 };
	for (int i = 0; i < 4; i++) {
		tok[o++] = tags[i];
		tok[o++] = 0x82;
		tok[o++] = (uint8_t)(lens[i] >> 8);
		tok[o++] = (uint8_t)lens[i];
	}
	memcpy(tok + o, list, l);
	o += l;
	uint8_t *p = malloc(o);
	memcpy(p, tok, o);
	struct kf_spnego sp;
	struct kf_events ev = { 0 };
	ck_assert(kf_spnego_decode(kf_span_make(p, o), &sp, &ev));
	ck_assert_uint_eq(sp.n_mech_types, KF_LIMIT_SPNEGO_MECHS);
	ck_assert(sp.mech_types_truncated);
	ck_assert_uint_eq(ev.n, 1);
	ck_assert_uint_eq(ev.ev[0], KF_EV_TOKEN_LIST_TRUNCATED);
	free(p);
}
END_TEST

START_TEST(t_unwrap)
{
	size_t n;
	char buf[64];
	uint8_t *p = hex_load(v_gss_apreq, &n);
	struct kf_gss_token t = unwrap_ok(kf_span_make(p, n));
	ck_assert_int_eq(t.mech, KF_MECH_KRB5);
	ck_assert_str_eq(kf_oid_to_string(t.mech_oid, buf, sizeof buf), "1.2.840.113554.1.2.2");
	ck_assert_uint_eq(t.inner.n, 6);
	ck_assert(t.has_tok_id);
	ck_assert_uint_eq(t.tok_id, 0x0100);
	ck_assert_ptr_eq(t.krb_msg.p, p + 15);
	ck_assert_uint_eq(t.krb_msg.n, 4);
	free(p);

	p = hex_load(v_gss_ms_error, &n);
	t = unwrap_ok(kf_span_make(p, n));
	ck_assert_int_eq(t.mech, KF_MECH_MS_KRB5);
	ck_assert_uint_eq(t.tok_id, 0x0300); /* KRB-ERROR */
	ck_assert_uint_eq(t.krb_msg.p[0], 0x7e);
	free(p);

	p = hex_load(v_gss_u2u, &n);
	t = unwrap_ok(kf_span_make(p, n));
	ck_assert_int_eq(t.mech, KF_MECH_KRB5_U2U);
	ck_assert_uint_eq(t.tok_id, 0x0400); /* TGT-REQ */
	free(p);

	p = hex_load(v_gss_unknown_mech, &n);
	t = unwrap_ok(kf_span_make(p, n));
	ck_assert_int_eq(t.mech, KF_MECH_UNKNOWN);
	ck_assert(!t.has_tok_id);
	ck_assert_uint_eq(t.inner.n, 3);
	ck_assert_uint_eq(t.krb_msg.n, 0);
	free(p);

	p = hex_load(v_gss_empty_inner, &n);
	t = unwrap_ok(kf_span_make(p, n));
	ck_assert_int_eq(t.mech, KF_MECH_SPNEGO);
	ck_assert_uint_eq(t.inner.n, 0);
	free(p);
}
END_TEST

/* ---------------------------------------------------------- malformed */

enum fn { SPNEGO, UNWRAP };

struct bad {
	const char *name;
	enum fn fn;
	const char *hex;
	enum kf_event ev;  /* must be raised */
	enum kf_event ev2; /* and this too, when not NONE */
};

static const struct bad bads[] = {
	/* kf_spnego_decode */
	{ "empty", SPNEGO, "", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "wrong-choice-a2", SPNEGO, "a205 3003 a00100", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "universal-seq", SPNEGO, "3005 a003 0a0101", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "choice-primitive", SPNEGO, "8105 3003 a00100", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "choice-not-seq", SPNEGO, "a002 0400", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "choice-trailing", SPNEGO, "a107 3005 a003 0a0102 00", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "choice-two-elems", SPNEGO, "a109 3005 a003 0a0102 0500", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "wrapper-two-elems", SPNEGO, "a109 3007 a005 0a0102 0500", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "length-overrun", SPNEGO, "a110 3005 a003 0a0102", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "inner-overrun", SPNEGO, "a107 3005 a004 0a0102", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "negstate-4", SPNEGO, "a107 3005 a003 0a0104", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "negstate-negative", SPNEGO, "a107 3005 a003 0a01ff", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "negstate-integer", SPNEGO, "a107 3005 a003 020101", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "negstate-empty", SPNEGO, "a106 3004 a002 0a00", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "fields-out-of-order", SPNEGO, "a10c 300a a203 040100 a003 0a0101", KF_EV_SPNEGO_MALFORMED,
	  KF_EV_NONE },
	{ "field-twice", SPNEGO, "a10c 300a a003 0a0101 a003 0a0101", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "field-not-context", SPNEGO, "a105 3003 040100", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "field-primitive", SPNEGO, "a105 3003 800100", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "field-empty", SPNEGO, "a104 3002 a000", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "supportedmech-not-oid", SPNEGO, "a107 3005 a103 040100", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "supportedmech-empty-oid", SPNEGO, "a106 3004 a102 0600", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "responsetoken-not-octets", SPNEGO, "a107 3005 a203 020100", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "resp-mic-not-octets", SPNEGO, "a106 3004 a302 3000", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "mechtypes-not-seq", SPNEGO, "a008 3006 a004 0402 0600", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "mechtypes-non-oid", SPNEGO, "a008 3006 a004 3002 0400", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "mechtypes-empty-oid", SPNEGO, "a008 3006 a004 3002 0600", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "mechtypes-oid-overrun", SPNEGO, "a008 3006 a004 3002 0605", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "reqflags-not-bitstring", SPNEGO, "a007 3005 a103 040100", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "reqflags-unused-8", SPNEGO, "a008 3006 a104 03020800", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "reqflags-empty", SPNEGO, "a006 3004 a102 0300", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "mechtoken-not-octets", SPNEGO, "a007 3005 a203 020100", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "init-3-integer", SPNEGO, "a007 3005 a303 020100", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "neghints-name-octets", SPNEGO, "a00a 3008 a306 3004 a002 0400", KF_EV_SPNEGO_MALFORMED,
	  KF_EV_NONE },
	{ "neghints-overrun", SPNEGO, "a00a 3008 a306 3004 a003 1b00", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "init2-mic-not-octets", SPNEGO, "a006 3004 a402 3000", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "indefinite-choice", SPNEGO, "a180 3005 a003 0a0102 0000", KF_EV_SPNEGO_MALFORMED,
	  KF_EV_DER_INDEFINITE_LENGTH },
	{ "indefinite-seq", SPNEGO, "a104 3080 0000", KF_EV_SPNEGO_MALFORMED, KF_EV_DER_INDEFINITE_LENGTH },
	{ "indefinite-field", SPNEGO, "a106 3004 a080 0000", KF_EV_SPNEGO_MALFORMED,
	  KF_EV_DER_INDEFINITE_LENGTH },
	{ "gss-not-spnego", SPNEGO, "6011 06092a864886f712010202 0100 6e023000", KF_EV_SPNEGO_MALFORMED,
	  KF_EV_NONE },
	{ "gss-spnego-trailing", SPNEGO, "6012 06062b0601050502 a107 3005 a003 0a0102 ff",
	  KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "gss-spnego-outer-trailing", SPNEGO, "6011 06062b0601050502 a107 3005 a003 0a0102 ff",
	  KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "gss-spnego-empty", SPNEGO, "6008 06062b0601050502", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	{ "gss-indefinite", SPNEGO, "6080 06062b0601050502 0000", KF_EV_SPNEGO_MALFORMED,
	  KF_EV_DER_INDEFINITE_LENGTH },
	{ "ntlmssp-raw", SPNEGO, "4e544c4d53535000 01000000", KF_EV_SPNEGO_MALFORMED, KF_EV_NONE },
	/* kf_gss_unwrap */
	{ "gss-empty", UNWRAP, "", KF_EV_GSS_MALFORMED, KF_EV_NONE },
	{ "gss-one-byte", UNWRAP, "60", KF_EV_GSS_MALFORMED, KF_EV_NONE },
	{ "gss-not-app0", UNWRAP, "3008 06062b0601050502", KF_EV_GSS_MALFORMED, KF_EV_NONE },
	{ "gss-app0-primitive", UNWRAP, "4008 06062b0601050502", KF_EV_GSS_MALFORMED, KF_EV_NONE },
	{ "gss-app1", UNWRAP, "6108 06062b0601050502", KF_EV_GSS_MALFORMED, KF_EV_NONE },
	{ "gss-no-oid", UNWRAP, "6000", KF_EV_GSS_MALFORMED, KF_EV_NONE },
	{ "gss-not-oid", UNWRAP, "6002 0400", KF_EV_GSS_MALFORMED, KF_EV_NONE },
	{ "gss-empty-oid", UNWRAP, "6002 0600", KF_EV_GSS_MALFORMED, KF_EV_NONE },
	{ "gss-oid-overrun", UNWRAP, "6003 0605 2b", KF_EV_GSS_MALFORMED, KF_EV_NONE },
	{ "gss-outer-overrun", UNWRAP, "6020 06062b0601050502", KF_EV_GSS_MALFORMED, KF_EV_NONE },
	{ "gss-trailing", UNWRAP, "6008 06062b0601050502 00", KF_EV_GSS_MALFORMED, KF_EV_NONE },
	{ "krb5-no-tokid", UNWRAP, "600b 06092a864886f712010202", KF_EV_GSS_MALFORMED, KF_EV_NONE },
	{ "krb5-half-tokid", UNWRAP, "600c 06092a864886f712010202 01", KF_EV_GSS_MALFORMED, KF_EV_NONE },
	{ "gss-indefinite", UNWRAP, "6080 06062b0601050502 0000", KF_EV_GSS_MALFORMED,
	  KF_EV_DER_INDEFINITE_LENGTH },
	{ "gss-5-length-octets", UNWRAP, "6085 0000000008 06062b0601050502", KF_EV_GSS_MALFORMED,
	  KF_EV_NONE },
};
#define N_BAD (sizeof bads / sizeof bads[0])

START_TEST(t_malformed)
{
	const struct bad *b = &bads[_i];
	size_t n;
	uint8_t *p = hex_load(b->hex, &n);
	struct kf_events ev = { 0 };
	bool ok;
	if (b->fn == SPNEGO) {
		struct kf_spnego sp;
		ok = kf_spnego_decode(kf_span_make(p, n), &sp, &ev);
	} else {
		struct kf_gss_token t;
		ok = kf_gss_unwrap(kf_span_make(p, n), &t, &ev);
	}
	ck_assert_msg(!ok, "%s accepted", b->name);
	ck_assert_msg(has_event(&ev, b->ev), "%s: missing %s", b->name, kf_event_code(b->ev));
	if (b->ev2 != KF_EV_NONE)
		ck_assert_msg(has_event(&ev, b->ev2), "%s: missing %s", b->name, kf_event_code(b->ev2));
	/* a NULL sink is allowed */
	if (b->fn == SPNEGO) {
		struct kf_spnego sp;
		ck_assert(!kf_spnego_decode(kf_span_make(p, n), &sp, NULL));
	}
	free(p);
}
END_TEST

/* Fields decoded before the damage stay readable. */
START_TEST(t_partial)
{
	size_t n;
	uint8_t *p = hex_load("a10e 300c a003 0a0107 a105 0603 2a0304", &n);
	struct kf_spnego sp;
	struct kf_events ev = { 0 };
	ck_assert(!kf_spnego_decode(kf_span_make(p, n), &sp, &ev));
	ck_assert(sp.has_neg_state);
	ck_assert_int_eq(sp.neg_state, 7);
	ck_assert_ptr_null(kf_neg_state_name(sp.neg_state));
	ck_assert(sp.has_supported_mech);
	ck_assert_int_eq(sp.supported_mech, KF_MECH_UNKNOWN);
	free(p);
}
END_TEST

/* ---------------------------------------------------------- truncation */

struct valid {
	const char *name;
	enum fn fn;
	const char *text;
	bool b64;
};

static const struct valid valids[] = {
	{ "init_krb5", SPNEGO, v_init_krb5, false },
	{ "resp_ntlm", SPNEGO, v_resp_ntlm, false },
	{ "resp_krb5", SPNEGO, v_resp_krb5, false },
	{ "resp_reject", SPNEGO, v_resp_reject, false },
	{ "resp_reqmic", SPNEGO, v_resp_reqmic, false },
	{ "init2_hints", SPNEGO, v_init2_hints, false },
	{ "init2_hints_mic", SPNEGO, v_init2_hints_mic, false },
	{ "init_raw_unknown", SPNEGO, v_init_raw_unknown, false },
	{ "resp_extension", SPNEGO, v_resp_extension, false },
	{ "init_no_mechtypes", SPNEGO, v_init_no_mechtypes, false },
	{ "real_krb_init", SPNEGO, real_krb_init, true },
	{ "real_krb_resp", SPNEGO, real_krb_resp, true },
	{ "real_fb_init", SPNEGO, real_fb_init, true },
	{ "real_fb_chal", SPNEGO, real_fb_chal, true },
	{ "real_fb_auth", SPNEGO, real_fb_auth, true },
	{ "real_fb_done", SPNEGO, real_fb_done, true },
	{ "gss_apreq", UNWRAP, v_gss_apreq, false },
	{ "gss_ms_error", UNWRAP, v_gss_ms_error, false },
	{ "gss_u2u", UNWRAP, v_gss_u2u, false },
	{ "gss_unknown_mech", UNWRAP, v_gss_unknown_mech, false },
	{ "gss_empty_inner", UNWRAP, v_gss_empty_inner, false },
	{ "real_krb_init_unwrap", UNWRAP, real_krb_init, true },
};
#define N_VALID (sizeof valids / sizeof valids[0])

/* Every proper prefix of every valid token is rejected with an event. */
START_TEST(t_truncation)
{
	const struct valid *v = &valids[_i];
	size_t n;
	uint8_t *full = v->b64 ? b64_load(v->text, &n) : hex_load(v->text, &n);
	for (size_t k = 0; k <= n; k++) {
		uint8_t *p = malloc(k ? k : 1); /* exact size: ASan catches overreads */
		memcpy(p, full, k);
		struct kf_events ev = { 0 };
		bool ok;
		if (v->fn == SPNEGO) {
			struct kf_spnego sp;
			ok = kf_spnego_decode(kf_span_make(p, k), &sp, &ev);
		} else {
			struct kf_gss_token t;
			ok = kf_gss_unwrap(kf_span_make(p, k), &t, &ev);
		}
		if (k == n) {
			ck_assert_msg(ok, "%s: whole token rejected", v->name);
		} else {
			ck_assert_msg(!ok, "%s: prefix %zu accepted", v->name, k);
			ck_assert_uint_ge(ev.n, 1);
		}
		free(p);
	}
	free(full);
}
END_TEST

/* ---------------------------------------------------- names and OIDs */

START_TEST(t_mech_names)
{
	static const struct {
		enum kf_mech m;
		const char *name;
		const char *oid_hex;
		const char *dotted;
	} mechs[] = {
		{ KF_MECH_KRB5, "kerberos", "2a864886f712010202", "1.2.840.113554.1.2.2" },
		{ KF_MECH_MS_KRB5, "ms-kerberos", "2a864882f712010202", "1.2.840.48018.1.2.2" },
		{ KF_MECH_NTLMSSP, "ntlmssp", "2b06010401823702020a", "1.3.6.1.4.1.311.2.2.10" },
		{ KF_MECH_NEGOEX, "negoex", "2b06010401823702021e", "1.3.6.1.4.1.311.2.2.30" },
		{ KF_MECH_SPNEGO, "spnego", "2b0601050502", "1.3.6.1.5.5.2" },
		{ KF_MECH_IAKERB, "iakerb", "2b0601050205", "1.3.6.1.5.2.5" },
		{ KF_MECH_KRB5_U2U, "kerberos-u2u", "2a864886f71201020203", "1.2.840.113554.1.2.2.3" },
	};
	for (size_t i = 0; i < sizeof mechs / sizeof mechs[0]; i++) {
		uint8_t oid[16];
		char buf[64];
		size_t n = kf_test_hex(mechs[i].oid_hex, oid, sizeof oid);
		ck_assert_str_eq(kf_mech_name(mechs[i].m), mechs[i].name);
		ck_assert_int_eq(kf_mech_from_oid(kf_span_make(oid, n)), mechs[i].m);
		ck_assert_str_eq(kf_oid_to_string(kf_span_make(oid, n), buf, sizeof buf), mechs[i].dotted);
		/* a prefix of a known OID is not that mech (kerberos is a prefix of kerberos-u2u) */
		ck_assert_int_ne(kf_mech_from_oid(kf_span_make(oid, n - 1)), mechs[i].m);
	}
	ck_assert_ptr_null(kf_mech_name(KF_MECH_UNKNOWN));
	ck_assert_int_eq(kf_mech_from_oid(kf_span_make("", 0)), KF_MECH_UNKNOWN);
}
END_TEST

START_TEST(t_oid_to_string)
{
	char buf[64];
	uint8_t o[32];
	size_t n;
	n = kf_test_hex("00", o, sizeof o);
	ck_assert_str_eq(kf_oid_to_string(kf_span_make(o, n), buf, sizeof buf), "0.0");
	n = kf_test_hex("27", o, sizeof o); /* 39 */
	ck_assert_str_eq(kf_oid_to_string(kf_span_make(o, n), buf, sizeof buf), "0.39");
	n = kf_test_hex("28", o, sizeof o); /* 40 */
	ck_assert_str_eq(kf_oid_to_string(kf_span_make(o, n), buf, sizeof buf), "1.0");
	n = kf_test_hex("8837", o, sizeof o); /* 1079 = 80 + 999 */
	ck_assert_str_eq(kf_oid_to_string(kf_span_make(o, n), buf, sizeof buf), "2.999");
	n = kf_test_hex("2a 81ffffffffffffffff7f", o, sizeof o); /* 2^64 - 1 */
	ck_assert_str_eq(kf_oid_to_string(kf_span_make(o, n), buf, sizeof buf), "1.2.18446744073709551615");
	/* malformed: empty, dangling continuation, non-minimal, over 64 bits */
	static const char *bad[] = { "", "2a86", "2a 8001", "2a 82ffffffffffffffff7f" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		n = kf_test_hex(bad[i], o, sizeof o);
		buf[0] = 'x';
		ck_assert_ptr_null(kf_oid_to_string(kf_span_make(o, n), buf, sizeof buf));
		ck_assert_str_eq(buf, "");
	}
	/* buffer too small: NULL and an empty string, never a cut OID */
	n = kf_test_hex("2a864886f712010202", o, sizeof o);
	ck_assert_ptr_null(kf_oid_to_string(kf_span_make(o, n), buf, 20));
	ck_assert_str_eq(buf, "");
	ck_assert_ptr_nonnull(kf_oid_to_string(kf_span_make(o, n), buf, 21));
	ck_assert_ptr_null(kf_oid_to_string(kf_span_make(o, n), buf, 0));
}
END_TEST

START_TEST(t_neg_state_names)
{
	ck_assert_str_eq(kf_neg_state_name(KF_NEG_ACCEPT_COMPLETED), "accept-completed");
	ck_assert_str_eq(kf_neg_state_name(KF_NEG_ACCEPT_INCOMPLETE), "accept-incomplete");
	ck_assert_str_eq(kf_neg_state_name(KF_NEG_REJECT), "reject");
	ck_assert_str_eq(kf_neg_state_name(KF_NEG_REQUEST_MIC), "request-mic");
	ck_assert_ptr_null(kf_neg_state_name(4));
	ck_assert_ptr_null(kf_neg_state_name(-1));
}
END_TEST

START_TEST(t_classify)
{
	static const struct {
		const char *hex;
		enum kf_token_kind kind;
	} rows[] = {
		{ "", KF_TOKEN_UNKNOWN },
		{ "60", KF_TOKEN_GSS_FRAMED },
		{ "a0 00", KF_TOKEN_SPNEGO_INIT },
		{ "a1 00", KF_TOKEN_SPNEGO_RESP },
		{ "a2 00", KF_TOKEN_UNKNOWN },
		{ "4e544c4d53535000 01000000", KF_TOKEN_NTLMSSP },
		{ "4e544c4d535350", KF_TOKEN_UNKNOWN }, /* signature cut short */
		{ "4e544c4d53535001", KF_TOKEN_UNKNOWN },
		{ "6a", KF_TOKEN_KRB5_RAW },
		{ "6b", KF_TOKEN_KRB5_RAW },
		{ "6c", KF_TOKEN_KRB5_RAW },
		{ "6d", KF_TOKEN_KRB5_RAW },
		{ "6e", KF_TOKEN_KRB5_RAW },
		{ "6f", KF_TOKEN_KRB5_RAW },
		{ "76", KF_TOKEN_KRB5_RAW },
		{ "7e", KF_TOKEN_KRB5_RAW },
		{ "61", KF_TOKEN_UNKNOWN },
		{ "30", KF_TOKEN_UNKNOWN },
		{ "ff", KF_TOKEN_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		size_t n;
		uint8_t *p = hex_load(rows[i].hex, &n);
		ck_assert_msg(kf_token_classify(kf_span_make(p, n)) == rows[i].kind, "row %zu", i);
		free(p);
	}
}
END_TEST

/* ------------------------------------------------ per-message tokens */

/* RFC 4121 Wrap from a server (elcabezzonn__aug19.pcap frame 127, header
 * only): SentByAcceptor | Sealed | AcceptorSubkey, EC 0, RRC 28. */
static const uint8_t wrap_4121[] = { 0x05, 0x04, 0x07, 0xff, 0x00, 0x00, 0x00, 0x1c, 0x00,
				     0x00, 0x00, 0x00, 0x37, 0x9c, 0x7d, 0x12, 0xaa, 0xbb };
/* RFC 4121 MIC from an initiator, SND_SEQ 0x0102030405060708. */
static const uint8_t mic_4121[] = { 0x04, 0x04, 0x04, 0xff, 0xff, 0xff, 0xff, 0xff,
				    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };
/* RFC 1964 Wrap (zeek__krb5-sign-seal-01.pcap frame 10): HMAC-MD5, RC4;
 * the outer length covers bytes the caller does not have. */
static const uint8_t wrap_1964[] = { 0x60, 0x5e, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02,
				     0x02, 0x02, 0x01, 0x11, 0x00, 0x10, 0x00, 0xff, 0xff, 0x12, 0x34 };
static const uint8_t wrap_1964_clear[] = { 0x60, 0x81, 0x5e, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12,
					   0x01, 0x02, 0x02, 0x02, 0x01, 0x11, 0x00, 0xff, 0xff, 0xff, 0xff };
static const uint8_t ntlm_sig[] = { 0x01, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0 };

/* A copy of v with byte at changed: is it still recognised? */
static bool perm_mutated(const uint8_t *v, size_t n, size_t at, uint8_t byte)
{
	uint8_t b[64];
	ck_assert_uint_le(n, sizeof b);
	memcpy(b, v, n);
	b[at] = byte;
	struct kf_gss_perm p;
	bool ok = kf_gss_perm_decode(kf_span_make(b, n), &p);
	if (!ok)
		ck_assert_int_eq(p.mech, KF_GSS_PERM_NONE);
	return ok;
}

START_TEST(t_perm_4121)
{
	struct kf_gss_perm p;
	ck_assert(kf_gss_perm_decode(kf_span_make(wrap_4121, sizeof wrap_4121), &p));
	ck_assert_int_eq(p.mech, KF_GSS_PERM_KRB5_4121);
	ck_assert_str_eq(kf_gss_perm_mech_name(p.mech), "kerberos-rfc4121");
	ck_assert(p.wrap && p.sealed_known && p.sealed && p.sent_by_acceptor && p.acceptor_subkey);
	ck_assert_uint_eq(p.rrc, 28);
	ck_assert(p.has_seq);
	ck_assert_uint_eq(p.seq, 933002514u); /* as tshark shows it */
	ck_assert_uint_eq(p.header_len, 16);

	ck_assert(kf_gss_perm_decode(kf_span_make(mic_4121, sizeof mic_4121), &p));
	ck_assert(!p.wrap && !p.sealed && !p.sent_by_acceptor && p.acceptor_subkey);
	ck_assert_uint_eq(p.seq, 0x0102030405060708ull);

	uint8_t b[sizeof wrap_4121];
	memcpy(b, wrap_4121, sizeof b);
	b[2] = 0x05; /* signed only, from the acceptor */
	ck_assert(kf_gss_perm_decode(kf_span_make(b, sizeof b), &p));
	ck_assert(p.wrap && p.sealed_known && !p.sealed && p.sent_by_acceptor);
	ck_assert(!perm_mutated(wrap_4121, sizeof wrap_4121, 2, 0x08)); /* a reserved flag */
	ck_assert(!perm_mutated(wrap_4121, sizeof wrap_4121, 3, 0x00)); /* the filler is 0xff */
	ck_assert(!perm_mutated(mic_4121, sizeof mic_4121, 7, 0x00));   /* ... in a MIC too */
	ck_assert(!perm_mutated(wrap_4121, sizeof wrap_4121, 0, 0x06)); /* no TOK_ID 06 04 */
}
END_TEST

START_TEST(t_perm_1964)
{
	struct kf_gss_perm p;
	ck_assert(kf_gss_perm_decode(kf_span_make(wrap_1964, sizeof wrap_1964), &p));
	ck_assert_int_eq(p.mech, KF_GSS_PERM_KRB5_1964);
	ck_assert(p.wrap && p.sealed_known && p.sealed && !p.has_seq);
	ck_assert_uint_eq(p.sgn_alg, 0x11);
	ck_assert_uint_eq(p.seal_alg, 0x10);
	ck_assert_uint_eq(p.header_len, 21);
	ck_assert(kf_gss_perm_decode(kf_span_make(wrap_1964_clear, sizeof wrap_1964_clear), &p));
	ck_assert(p.wrap && p.sealed_known && !p.sealed);

	size_t n = sizeof wrap_1964;
	ck_assert(!perm_mutated(wrap_1964, n, 13, 0x01)); /* MIC (01 01) with a SEAL_ALG: not filler */
	ck_assert(!perm_mutated(wrap_1964, n, 10, 0x13)); /* not a Kerberos OID */
	ck_assert(!perm_mutated(wrap_1964, n, 1, 0x85));  /* a 5-byte length */
	ck_assert(!perm_mutated(wrap_1964, n, 1, 0x80));  /* an indefinite length */
	ck_assert(!perm_mutated(wrap_1964, n, 3, 0xff));  /* an OID longer than the bytes */
	ck_assert(!perm_mutated(wrap_1964, n, 14, 0x03)); /* TOK_ID 02 03 */
}
END_TEST

START_TEST(t_perm_ntlm)
{
	struct kf_gss_perm p;
	ck_assert(kf_gss_perm_decode(kf_span_make(ntlm_sig, sizeof ntlm_sig), &p));
	ck_assert_int_eq(p.mech, KF_GSS_PERM_NTLM);
	ck_assert(!p.sealed_known);
	ck_assert_uint_eq(p.header_len, 16);
	ck_assert(!perm_mutated(ntlm_sig, sizeof ntlm_sig, 0, 2)); /* only version 1 exists */
	ck_assert(!kf_gss_perm_decode(kf_span_make(ntlm_sig, 15), &p));
}
END_TEST

/* Every prefix shorter than the header is refused, never read past. */
START_TEST(t_perm_truncated)
{
	static const struct {
		const uint8_t *p;
		size_t n, header;
	} v[] = { { wrap_4121, sizeof wrap_4121, 16 },
		  { mic_4121, sizeof mic_4121, 16 },
		  { wrap_1964, sizeof wrap_1964, 21 },
		  { ntlm_sig, sizeof ntlm_sig, 16 } };
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		for (size_t n = 0; n < v[i].header; n++) {
			uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan catches an overread */
			memcpy(copy, v[i].p, n);
			struct kf_gss_perm p;
			ck_assert_msg(!kf_gss_perm_decode(kf_span_make(copy, n), &p), "vector %zu len %zu", i,
				      n);
			free(copy);
		}
		struct kf_gss_perm p;
		ck_assert(kf_gss_perm_decode(kf_span_make(v[i].p, v[i].header), &p));
	}
	ck_assert_ptr_null(kf_gss_perm_mech_name(KF_GSS_PERM_NONE));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("gss");
	TCase *tc = tcase_create("gss");
	tcase_add_test(tc, t_real_krb5);
	tcase_add_test(tc, t_real_ntlm_fallback);
	tcase_add_test(tc, t_init_krb5);
	tcase_add_test(tc, t_resp_ntlm);
	tcase_add_test(tc, t_resp_krb5);
	tcase_add_test(tc, t_resp_states);
	tcase_add_test(tc, t_init2_hints);
	tcase_add_test(tc, t_init_raw);
	tcase_add_test(tc, t_mech_cap);
	tcase_add_test(tc, t_unwrap);
	tcase_add_loop_test(tc, t_malformed, 0, (int)N_BAD);
	tcase_add_test(tc, t_partial);
	tcase_add_loop_test(tc, t_truncation, 0, (int)N_VALID);
	tcase_add_test(tc, t_mech_names);
	tcase_add_test(tc, t_oid_to_string);
	tcase_add_test(tc, t_neg_state_names);
	tcase_add_test(tc, t_classify);
	tcase_add_test(tc, t_perm_4121);
	tcase_add_test(tc, t_perm_1964);
	tcase_add_test(tc, t_perm_ntlm);
	tcase_add_test(tc, t_perm_truncated);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(suite()); }
