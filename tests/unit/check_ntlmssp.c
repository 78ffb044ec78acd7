/* check_ntlmssp.c - NTLMSSP NEGOTIATE / CHALLENGE / AUTHENTICATE (MS-NLMP
 * §2.2), string conversion and flag names (decoders/ntlmssp.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/base64.h"
#include "ntlmssp.h"
#include "testutil.h"

/* ------------------------------------------------------------ vectors */

/* Real "Authorization: NTLM" / "WWW-Authenticate: NTLM" tokens from the
 * project's lab capture (curl + Apache with gss-ntlmssp). */

/* samples/web-ntlm-plain.pcap frame 4 */
static const char real_plain_neg[] = "TlRMTVNTUAABAAAAF4II4gAAAAAAAAAAAAAAAAAAAAAGAgAAAAAADw==";

/* samples/web-ntlm-plain.pcap frame 6 */
static const char real_plain_chal[] =
	"TlRMTVNTUAACAAAABgAGADgAAAAVgoriAUw7iENeABkAAAAAAAAAAEQARAA+AAAABgIAAAAAAA9XAEUAQgABAAYA"
	"VwBFAEIAAgAWAFcATwBSAEsAUwBUAEEAVABJAE8ATgADAAQAdgBtAAYABAAAAAAABwAIAECEMoE9et0BAAAAAA==";

/* samples/web-ntlm-plain.pcap frame 8 */
static const char real_plain_auth[] =
	"TlRMTVNTUAADAAAAAAAAAEgAAACcAJwASAAAAAYABgDkAAAACgAKAOoAAAAEAAQA9AAAABAAEAD4AAAAFYKK4gYC"
	"AAAAAAAPY2S6w3D23plnW9XDMYSG/AEBAAAAAAAAQIQygT163QHd4XA8P4KOSwAAAAABAAYAVwBFAEIAAgAWAFcA"
	"TwBSAEsAUwBUAEEAVABJAE8ATgADAAQAdgBtAAYABAAAAAAABwAIAECEMoE9et0BCQAkAEgAVABUAFAALwB3AGUA"
	"YgAyAC4AbABhAGIALgB0AGUAcwB0AAAAAAAAAAAATABBAEIAYQBsAGkAYwBlAFYATQARMBEfG/gepmGrphwBwUMD";

/* Hand-built messages laid out field by field from MS-NLMP §2.2.1 (each
 * was also checked against tshark's NTLMSSP dissector). */

/* NEGOTIATE with OEM domain "DOM" and workstation "WS1" (flags unicode oem request-target ntlm
 * oem-domain-supplied oem-workstation-supplied always-sign extended-session-security version 128 56) */
static const char v_neg_full[] = "4e544c4d53535000" /* 0: signature */
				 "01000000"         /* 8: NEGOTIATE */
				 "07b208a2"         /* 12: flags */
				 "0300030028000000" /* 16: DomainNameFields */
				 "030003002b000000" /* 24: WorkstationFields */
				 "0a00614a0000000f" /* 32: VERSION 10.0.19041 rev 15 */
				 "444f4d"           /* 40: domain (OEM) */
				 "575331" /* 43: workstation (OEM) */;

/* minimal NEGOTIATE: no names, no VERSION (flags unicode oem request-target ntlm always-sign
 * extended-session-security) */
static const char v_neg_min[] = "4e544c4d53535000" /* 0: signature */
				"01000000"         /* 8: NEGOTIATE */
				"07820800"         /* 12: flags */
				"0000000000000000" /* 16: DomainNameFields */
				"0000000000000000" /* 24: WorkstationFields */;

/* CHALLENGE: target name "LAB" and target info (flags unicode request-target ntlm always-sign
 * target-type-domain extended-session-security target-info version 128 56) */
static const char v_chal[] =
	"4e544c4d53535000" /* 0: signature */
	"02000000"         /* 8: CHALLENGE */
	"0600060038000000" /* 12: TargetNameFields */
	"058289a2"         /* 20: flags */
	"0123456789abcdef" /* 24: ServerChallenge */
	"0000000000000000" /* 32: Reserved */
	"380038003e000000" /* 40: TargetInfoFields */
	"0a007c4f0000000f" /* 48: VERSION 10.0.20348 */
	"4c0041004200"     /* 56: target name "LAB" (UTF-16LE) */
	"020006004c004100420001000600570045004200040010006c00610062002e00740065007300740007000800010203040506070800000000" /* 62: AV pairs: NbDomainName LAB, NbComputerName WEB, DnsDomainName lab.test, Timestamp, EOL */
	;

/* NTLMv2 AUTHENTICATE with MsvAvFlags MIC bit, UTF-16 user "j\u00f6rg", VERSION and MIC field
 * (flags unicode request-target ntlm always-sign extended-session-security target-info version 128
 * key-exch 56); responses and keys are placeholder bytes */
static const char v_auth_v2[] =
	"4e544c4d53535000"                                 /* 0: signature */
	"03000000"                                         /* 8: AUTHENTICATE */
	"180018006c000000"                                 /* 12: LmChallengeResponseFields */
	"5a005a0084000000"                                 /* 20: NtChallengeResponseFields */
	"0600060058000000"                                 /* 28: DomainNameFields */
	"080008005e000000"                                 /* 36: UserNameFields */
	"0600060066000000"                                 /* 44: WorkstationFields */
	"10001000de000000"                                 /* 52: EncryptedRandomSessionKeyFields */
	"058288e2"                                         /* 60: flags */
	"0a00614a0000000f"                                 /* 64: VERSION 10.0.19041 */
	"4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d"                 /* 72: MIC (placeholder bytes) */
	"4c0041004200"                                     /* 88: domain "LAB" */
	"6a00f60072006700"                                 /* 94: user "j\u00f6rg" */
	"500043003100"                                     /* 102: workstation "PC1" */
	"000000000000000000000000000000000000000000000000" /* 108: LmChallengeResponse (zeros, as with MsvAvTimestamp) */
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"                 /* 132: NTProofStr (placeholder) */
	"01010000000000001011121314151617202122232425262700000000" /* 148: NTLMv2_CLIENT_CHALLENGE: RespType 1, HiRespType 1, reserved, TimeStamp, ChallengeFromClient, reserved */
	"020006004c004100420006000400020000000900100048005400540050002f007700650062000000000000000000" /* 176: client AVs: NbDomainName LAB, MsvAvFlags 0x2 (MIC), MsvAvTargetName HTTP/web, EOL, padding */
	"55555555555555555555555555555555" /* 222: EncryptedRandomSessionKey (placeholder) */;

/* NTLMv1 AUTHENTICATE (24-byte NT response), OEM strings, 64-byte header without VERSION */
static const char v_auth_v1[] =
	"4e544c4d53535000" /* 0: signature */
	"03000000"         /* 8: AUTHENTICATE */
	"1800180049000000" /* 12: LmChallengeResponseFields */
	"1800180061000000" /* 20: NtChallengeResponseFields */
	"0300030040000000" /* 28: DomainNameFields */
	"0300030043000000" /* 36: UserNameFields */
	"0300030046000000" /* 44: WorkstationFields */
	"0000000000000000" /* 52: EncryptedRandomSessionKeyFields */
	"06820000"         /* 60: flags: oem request-target ntlm always-sign */
	"4c4142"           /* 64: domain (OEM) */
	"626f62"           /* 67: user (OEM) */
	"504332"           /* 70: workstation (OEM) */
	"111111111111111111111111111111111111111111111111" /* 73: LmChallengeResponse (placeholder) */
	"222222222222222222222222222222222222222222222222" /* 97: NtChallengeResponse (placeholder) */;

/* anonymous AUTHENTICATE: empty user and NT response, LM response Z(1) (MS-NLMP 3.2.5.1.2) */
static const char v_auth_anon[] =
	"4e544c4d53535000" /* 0: signature */
	"03000000"         /* 8: AUTHENTICATE */
	"0100010040000000" /* 12: LmChallengeResponseFields: Z(1) */
	"0000000041000000" /* 20: NtChallengeResponseFields: empty */
	"0000000041000000" /* 28: DomainNameFields */
	"0000000041000000" /* 36: UserNameFields */
	"0000000041000000" /* 44: WorkstationFields */
	"0000000041000000" /* 52: EncryptedRandomSessionKeyFields */
	"058a0800" /* 60: flags: unicode request-target ntlm anonymous always-sign extended-session-security */
	"00" /* 64: LmChallengeResponse Z(1) */;

/* NTLMv2 AUTHENTICATE whose client AVs carry no MsvAvFlags, no VERSION */
static const char v_auth_v2_nomic[] =
	"4e544c4d53535000"                                 /* 0: signature */
	"03000000"                                         /* 8: AUTHENTICATE */
	"1800180050000000"                                 /* 12: LmChallengeResponseFields */
	"3c003c0068000000"                                 /* 20: NtChallengeResponseFields */
	"0600060040000000"                                 /* 28: DomainNameFields */
	"0a000a0046000000"                                 /* 36: UserNameFields */
	"0000000000000000"                                 /* 44: WorkstationFields: empty */
	"0000000000000000"                                 /* 52: EncryptedRandomSessionKeyFields: empty */
	"05828820"                                         /* 60: flags (no VERSION) */
	"4c0041004200"                                     /* 64: domain "LAB" */
	"6300610072006f006c00"                             /* 70: user "carol" */
	"000000000000000000000000000000000000000000000000" /* 80: LmChallengeResponse */
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"                 /* 104: NTProofStr (placeholder) */
	"01010000000000000000000000000000000000000000000000000000" /* 120: NTLMv2_CLIENT_CHALLENGE header */
	"07000800000000000000000000000000" /* 148: client AVs: Timestamp, EOL */;

/* ------------------------------------------------------------ helpers */

static uint8_t *hex_load(const char *hex, size_t *n)
{
	size_t cap = strlen(hex) / 2 + 1;
	uint8_t *tmp = malloc(cap);
	*n = kf_test_hex(hex, tmp, cap);
	uint8_t *p = malloc(*n ? *n : 1); /* exact size: ASan catches overreads */
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

static struct kf_ntlm_msg decode_ok(const uint8_t *p, size_t n)
{
	struct kf_ntlm_msg m;
	struct kf_events ev = { 0 };
	ck_assert(kf_ntlmssp_decode(kf_span_make(p, n), &m, &ev));
	ck_assert_uint_eq(ev.n, 0);
	return m;
}

/* Field s as UTF-8, for comparisons. */
static const char *str(struct kf_span s, bool unicode)
{
	static char buf[256];
	kf_ntlm_string(s, unicode, buf, sizeof buf);
	return buf;
}

/* ------------------------------------------------------ valid messages */

START_TEST(t_negotiate)
{
	size_t n;
	uint8_t *p = hex_load(v_neg_full, &n);
	struct kf_ntlm_msg m = decode_ok(p, n);
	ck_assert_uint_eq(m.type, 1);
	ck_assert_uint_eq(m.flags, 0xa208b207u);
	ck_assert(!m.unicode); /* NEGOTIATE strings are OEM whatever the flags say */
	ck_assert_str_eq(str(m.domain, m.unicode), "DOM");
	ck_assert_str_eq(str(m.workstation, m.unicode), "WS1");
	ck_assert_uint_eq(m.user.n, 0);
	ck_assert(m.has_version);
	ck_assert_uint_eq(m.version_major, 10);
	ck_assert_uint_eq(m.version_minor, 0);
	ck_assert_uint_eq(m.version_build, 19041);
	ck_assert_uint_eq(m.n_av, 0);
	free(p);

	p = hex_load(v_neg_min, &n);
	m = decode_ok(p, n);
	ck_assert_uint_eq(m.type, 1);
	ck_assert_uint_eq(m.flags, 0x00088207u);
	ck_assert(!m.has_version);
	ck_assert_uint_eq(m.domain.n, 0);
	ck_assert_uint_eq(m.workstation.n, 0);
	free(p);
}
END_TEST

START_TEST(t_challenge)
{
	size_t n;
	uint8_t *p = hex_load(v_chal, &n);
	struct kf_ntlm_msg m = decode_ok(p, n);
	ck_assert_uint_eq(m.type, 2);
	ck_assert_uint_eq(m.flags, 0xa2898205u);
	ck_assert(m.unicode);
	ck_assert_str_eq(str(m.target_name, m.unicode), "LAB");
	ck_assert(m.has_version);
	ck_assert_uint_eq(m.version_build, 20348);
	ck_assert_uint_eq(m.n_av, 4);
	ck_assert(!m.av_truncated);
	ck_assert_uint_eq(m.av[0].id, 2);
	ck_assert_str_eq(str(m.av[0].value, true), "LAB");
	ck_assert_uint_eq(m.av[1].id, 1);
	ck_assert_str_eq(str(m.av[1].value, true), "WEB");
	ck_assert_uint_eq(m.av[2].id, 4);
	ck_assert_str_eq(str(m.av[2].value, true), "lab.test");
	ck_assert_uint_eq(m.av[3].id, 7);
	ck_assert_uint_eq(m.av[3].value.n, 8);
	ck_assert(!m.has_mic); /* only AUTHENTICATE says anything about a MIC */
	free(p);
}
END_TEST

START_TEST(t_authenticate_v2)
{
	size_t n;
	uint8_t *p = hex_load(v_auth_v2, &n);
	struct kf_ntlm_msg m = decode_ok(p, n);
	ck_assert_uint_eq(m.type, 3);
	ck_assert_uint_eq(m.flags, 0xe2888205u);
	ck_assert(m.unicode);
	ck_assert_str_eq(str(m.domain, m.unicode), "LAB");
	ck_assert_str_eq(str(m.user, m.unicode), "j\xc3\xb6rg");
	ck_assert_str_eq(str(m.workstation, m.unicode), "PC1");
	ck_assert_uint_eq(m.lm_response_len, 24);
	ck_assert_uint_eq(m.nt_response_len, 90);
	ck_assert(m.ntlmv2);
	ck_assert(m.has_mic);
	ck_assert(!m.anonymous);
	ck_assert(m.has_version);
	ck_assert_uint_eq(m.version_major, 10);
	ck_assert_uint_eq(m.version_build, 19041);
	ck_assert_uint_eq(m.n_av, 3);
	ck_assert_uint_eq(m.av[0].id, 2);
	ck_assert_uint_eq(m.av[1].id, 6);
	ck_assert_uint_eq(m.av[2].id, 9);
	ck_assert_str_eq(str(m.av[2].value, true), "HTTP/web");
	ck_assert_uint_eq(m.target_name.n, 0);
	free(p);

	p = hex_load(v_auth_v2_nomic, &n);
	m = decode_ok(p, n);
	ck_assert(m.ntlmv2);
	ck_assert(!m.has_mic);
	ck_assert(!m.has_version);
	ck_assert_str_eq(str(m.user, m.unicode), "carol");
	ck_assert_uint_eq(m.workstation.n, 0);
	ck_assert_uint_eq(m.nt_response_len, 60);
	ck_assert_uint_eq(m.n_av, 1);
	ck_assert_uint_eq(m.av[0].id, 7);
	free(p);
}
END_TEST

START_TEST(t_authenticate_v1_anon)
{
	size_t n;
	uint8_t *p = hex_load(v_auth_v1, &n);
	struct kf_ntlm_msg m = decode_ok(p, n);
	ck_assert_uint_eq(m.type, 3);
	ck_assert(!m.unicode);
	ck_assert_str_eq(str(m.domain, m.unicode), "LAB");
	ck_assert_str_eq(str(m.user, m.unicode), "bob");
	ck_assert_str_eq(str(m.workstation, m.unicode), "PC2");
	ck_assert_uint_eq(m.nt_response_len, 24);
	ck_assert(!m.ntlmv2);
	ck_assert(!m.has_mic);
	ck_assert(!m.anonymous);
	ck_assert(!m.has_version);
	ck_assert_uint_eq(m.n_av, 0);
	free(p);

	p = hex_load(v_auth_anon, &n);
	m = decode_ok(p, n);
	ck_assert(m.anonymous);
	ck_assert_uint_eq(m.lm_response_len, 1);
	ck_assert_uint_eq(m.nt_response_len, 0);
	ck_assert(!m.ntlmv2);
	ck_assert(m.flags & 0x800u);
	free(p);

	/* An empty user with a real NT response is not anonymous. */
	p = hex_load(v_auth_v1, &n);
	p[36] = 0; /* UserNameFields.Len */
	m = decode_ok(p, n);
	ck_assert(!m.anonymous);
	/* LM response of one non-zero byte: not Z(1). */
	free(p);
	p = hex_load(v_auth_anon, &n);
	p[64] = 1;
	m = decode_ok(p, n);
	ck_assert(!m.anonymous);
	free(p);
}
END_TEST

START_TEST(t_real_plain)
{
	size_t n;
	uint8_t *p = b64_load(real_plain_neg, &n);
	struct kf_ntlm_msg m = decode_ok(p, n);
	ck_assert_uint_eq(m.type, 1);
	ck_assert_uint_eq(m.flags, 0xe2088217u);
	ck_assert(m.has_version);
	ck_assert_uint_eq(m.version_major, 6);
	ck_assert_uint_eq(m.version_minor, 2);
	free(p);

	p = b64_load(real_plain_chal, &n);
	m = decode_ok(p, n);
	ck_assert_uint_eq(m.type, 2);
	ck_assert_uint_eq(m.flags, 0xe28a8215u);
	ck_assert_str_eq(str(m.target_name, m.unicode), "WEB");
	ck_assert_uint_eq(m.n_av, 5);
	ck_assert_uint_eq(m.av[0].id, 1);
	ck_assert_str_eq(str(m.av[0].value, true), "WEB");
	ck_assert_uint_eq(m.av[1].id, 2);
	ck_assert_str_eq(str(m.av[1].value, true), "WORKSTATION");
	ck_assert_uint_eq(m.av[2].id, 3);
	ck_assert_str_eq(str(m.av[2].value, true), "vm");
	ck_assert_uint_eq(m.av[3].id, 6);
	ck_assert_uint_eq(m.av[4].id, 7);
	free(p);

	p = b64_load(real_plain_auth, &n);
	m = decode_ok(p, n);
	ck_assert_uint_eq(m.type, 3);
	ck_assert_str_eq(str(m.domain, m.unicode), "LAB");
	ck_assert_str_eq(str(m.user, m.unicode), "alice");
	ck_assert_str_eq(str(m.workstation, m.unicode), "VM");
	ck_assert_uint_eq(m.lm_response_len, 0);
	ck_assert_uint_eq(m.nt_response_len, 156);
	ck_assert(m.ntlmv2);
	ck_assert(!m.has_mic);
	ck_assert(!m.anonymous);
	free(p);
}
END_TEST

/* More target-info pairs than KF_LIMIT_NTLM_AV_PAIRS: the first ones are
 * kept, the list is marked truncated, one event; MsvAvFlags past the cap
 * still counts for the MIC. */
START_TEST(t_av_cap)
{
	enum { EXTRA = KF_LIMIT_NTLM_AV_PAIRS + 4 };
	size_t base_n;
	uint8_t *base = hex_load(v_auth_v2_nomic, &base_n);
	/* Rebuild the NT response: NTProofStr + client challenge header, then
	 * EXTRA empty MsvAvNbComputerName pairs, MsvAvFlags = 2, EOL. */
	size_t av_len = EXTRA * 4 + 8 + 4;
	size_t nt_len = 44 + av_len, n = 104 + nt_len;
	uint8_t *p = malloc(n);
	memcpy(p, base, 148);
	size_t o = 148;
	for (int i = 0; i < EXTRA; i++) {
		static const uint8_t empty_nb[] = { 1, 0, 0, 0 };
		memcpy(p + o, empty_nb, 4);
		o += 4;
	}
	static const uint8_t tail[] = { 6, 0, 4, 0, 2, 0, 0, 0, 0, 0, 0, 0 };
	memcpy(p + o, tail, sizeof tail);
	o += sizeof tail;
	ck_assert_uint_eq(o, n);
	p[20] = (uint8_t)nt_len; /* NtChallengeResponseFields.Len */
	p[21] = (uint8_t)(nt_len >> 8);
	p[22] = p[20];
	p[23] = p[21];
	struct kf_ntlm_msg m;
	struct kf_events ev = { 0 };
	ck_assert(kf_ntlmssp_decode(kf_span_make(p, n), &m, &ev));
	ck_assert_uint_eq(m.n_av, KF_LIMIT_NTLM_AV_PAIRS);
	ck_assert(m.av_truncated);
	ck_assert(m.has_mic);
	ck_assert_uint_eq(ev.n, 1);
	ck_assert_uint_eq(ev.ev[0], KF_EV_TOKEN_LIST_TRUNCATED);
	free(p);
	free(base);
}
END_TEST

/* ---------------------------------------------------------- malformed */

/* Each row (testutil.h: a valid vector, patched, maybe cut) must be
 * rejected with `ev`. */
#define KEEP KF_TEST_KEEP

static const struct kf_test_bad bads[] = {
	{ "empty", v_neg_min, 0, "", 0, KF_EV_NTLM_MALFORMED },
	{ "signature-only", v_neg_min, 0, "", 8, KF_EV_NTLM_MALFORMED },
	{ "bad-signature", v_neg_min, 7, "01", KEEP, KF_EV_NTLM_MALFORMED },
	{ "lowercase-signature", v_neg_min, 0, "6e746c6d", KEEP, KF_EV_NTLM_MALFORMED },
	{ "type-0", v_neg_min, 8, "00000000", KEEP, KF_EV_NTLM_MALFORMED },
	{ "type-4", v_neg_min, 8, "04000000", KEEP, KF_EV_NTLM_MALFORMED },
	{ "type-big-endian-1", v_neg_min, 8, "00000001", KEEP, KF_EV_NTLM_MALFORMED },
	{ "neg-header-short", v_neg_min, 0, "", 24, KF_EV_NTLM_MALFORMED },
	{ "neg-domain-past-end", v_neg_full, 20, "2e000000", KEEP, KF_EV_NTLM_FIELD_OUT_OF_RANGE },
	{ "neg-domain-offset-huge", v_neg_full, 20, "ffffffff", KEEP, KF_EV_NTLM_FIELD_OUT_OF_RANGE },
	{ "neg-domain-len-huge", v_neg_full, 16, "ffff", KEEP, KF_EV_NTLM_FIELD_OUT_OF_RANGE },
	{ "neg-ws-one-past", v_neg_full, 24, "04", KEEP, KF_EV_NTLM_FIELD_OUT_OF_RANGE },
	{ "chal-header-short", v_chal, 0, "", 44, KF_EV_NTLM_MALFORMED },
	{ "chal-version-cut", v_chal, 0, "", 52, KF_EV_NTLM_MALFORMED },
	{ "auth-header-short", v_auth_v1, 0, "", 60, KF_EV_NTLM_MALFORMED },
	{ "auth-v2-blob-short", v_auth_v2_nomic, 20, "1e00", KEEP, KF_EV_NTLM_MALFORMED },
	{ "auth-v2-blob-43", v_auth_v2_nomic, 20, "2b00", KEEP, KF_EV_NTLM_MALFORMED },
	{ "auth-v2-resptype", v_auth_v2_nomic, 120, "02", KEEP, KF_EV_NTLM_MALFORMED },
	{ "auth-v2-hiresptype", v_auth_v2_nomic, 121, "00", KEEP, KF_EV_NTLM_MALFORMED },
	{ "auth-v2-av-unterminated", v_auth_v2_nomic, 160, "0100", KEEP, KF_EV_NTLM_MALFORMED },
	{ "auth-v2-av-overrun", v_auth_v2_nomic, 150, "0900", KEEP, KF_EV_NTLM_MALFORMED },
	{ "auth-v2-no-avs", v_auth_v2_nomic, 20, "2c00", KEEP, KF_EV_NTLM_MALFORMED },
	{ "auth-version-cut", v_auth_v2, 0, "", 70, KF_EV_NTLM_MALFORMED },
};
#define N_BAD (sizeof bads / sizeof bads[0])

/* An AUTHENTICATE with a buffer outside the message is still one (a fuzzed
 * or cut token): accepted, damaged, with the event; only names in range. */
static const struct kf_test_bad damaged_auths[] = {
	{ "auth-user-past-end", v_auth_v1, 40, "ffffffff", KEEP, KF_EV_NTLM_FIELD_OUT_OF_RANGE },
	{ "auth-nt-overrun", v_auth_v1, 20, "ff00", KEEP, KF_EV_NTLM_FIELD_OUT_OF_RANGE },
	{ "auth-lm-past-end", v_auth_v1, 16, "79000000", KEEP, KF_EV_NTLM_FIELD_OUT_OF_RANGE },
	{ "auth-domain-overrun", v_auth_v1, 28, "9000", KEEP, KF_EV_NTLM_FIELD_OUT_OF_RANGE },
	{ "auth-ws-overrun", v_auth_v1, 48, "ff000000", KEEP, KF_EV_NTLM_FIELD_OUT_OF_RANGE },
	{ "auth-key-overrun", v_auth_v2, 52, "2000", KEEP, KF_EV_NTLM_FIELD_OUT_OF_RANGE },
};
#define N_DAMAGED (sizeof damaged_auths / sizeof damaged_auths[0])

/* A CHALLENGE whose target info is malformed is still one: accepted,
 * damaged, with the event (the pairs before the damage kept). */
static const struct kf_test_bad damaged_chals[] = {
	{ "chal-target-past-end", v_chal, 16, "ffffff7f", KEEP, KF_EV_NTLM_FIELD_OUT_OF_RANGE },
	{ "chal-info-overrun", v_chal, 40, "ff00", KEEP, KF_EV_NTLM_FIELD_OUT_OF_RANGE },
	{ "chal-info-offset-wrap", v_chal, 44, "ffffffff", KEEP, KF_EV_NTLM_FIELD_OUT_OF_RANGE },
	{ "chal-av-no-eol", v_chal, 40, "3400", 114, KF_EV_NTLM_MALFORMED },
	{ "chal-av-len-overrun", v_chal, 64, "ff00", KEEP, KF_EV_NTLM_MALFORMED },
	{ "chal-av-half-header", v_chal, 40, "0200", KEEP, KF_EV_NTLM_MALFORMED },
};
#define N_DAMAGED_CHAL (sizeof damaged_chals / sizeof damaged_chals[0])

START_TEST(t_chal_damaged)
{
	const struct kf_test_bad *b = &damaged_chals[_i];
	size_t len;
	uint8_t *p = kf_test_bad_input(b, &len);
	struct kf_ntlm_msg m;
	struct kf_events ev = { 0 };
	ck_assert_msg(kf_ntlmssp_decode(kf_span_make(p, len), &m, &ev), "%s refused", b->name);
	ck_assert_msg(kf_test_has_event(&ev, b->ev), "%s: missing %s", b->name, kf_event_code(b->ev));
	ck_assert_uint_eq(m.type, 2);
	ck_assert(m.damaged);
	ck_assert_uint_le(m.n_av, KF_LIMIT_NTLM_AV_PAIRS);
	free(p);
}
END_TEST

START_TEST(t_auth_damaged)
{
	const struct kf_test_bad *b = &damaged_auths[_i];
	size_t len;
	uint8_t *p = kf_test_bad_input(b, &len);
	struct kf_ntlm_msg m;
	struct kf_events ev = { 0 };
	ck_assert_msg(kf_ntlmssp_decode(kf_span_make(p, len), &m, &ev), "%s refused", b->name);
	ck_assert_msg(kf_test_has_event(&ev, b->ev), "%s: missing %s", b->name, kf_event_code(b->ev));
	ck_assert_uint_eq(m.type, 3);
	ck_assert(m.damaged);
	ck_assert(!m.ntlmv2 && !m.anonymous && !m.has_mic);
	ck_assert_uint_eq(m.nt_response_len, 0);
	ck_assert(m.user.n == 0 || (m.user.p >= p && m.user.p + m.user.n <= p + len));
	ck_assert(kf_ntlmssp_decode(kf_span_make(p, len), &m, NULL)); /* NULL sink allowed */
	free(p);
}
END_TEST

START_TEST(t_malformed)
{
	const struct kf_test_bad *b = &bads[_i];
	size_t len;
	uint8_t *p = kf_test_bad_input(b, &len);
	struct kf_ntlm_msg m;
	struct kf_events ev = { 0 };
	ck_assert_msg(!kf_ntlmssp_decode(kf_span_make(p, len), &m, &ev), "%s accepted", b->name);
	ck_assert_msg(kf_test_has_event(&ev, b->ev), "%s: missing %s", b->name, kf_event_code(b->ev));
	ck_assert(!kf_ntlmssp_decode(kf_span_make(p, len), &m, NULL)); /* NULL sink allowed */
	free(p);
}
END_TEST

/* Names decoded before the damage stay: a broken NTLMv2 blob still leaves
 * the user and domain readable. */
START_TEST(t_partial)
{
	size_t n;
	uint8_t *p = hex_load(v_auth_v2_nomic, &n);
	p[120] = 9; /* RespType */
	struct kf_ntlm_msg m;
	ck_assert(!kf_ntlmssp_decode(kf_span_make(p, n), &m, NULL));
	ck_assert_uint_eq(m.type, 3);
	ck_assert_str_eq(str(m.user, m.unicode), "carol");
	ck_assert(m.ntlmv2);
	free(p);
}
END_TEST

/* ---------------------------------------------------------- truncation */

static const struct {
	const char *name;
	const char *text;
	bool b64;
} valids[] = {
	{ "neg_full", v_neg_full, false },
	{ "neg_min", v_neg_min, false },
	{ "chal", v_chal, false },
	{ "auth_v2", v_auth_v2, false },
	{ "auth_v1", v_auth_v1, false },
	{ "auth_anon", v_auth_anon, false },
	{ "auth_v2_nomic", v_auth_v2_nomic, false },
	{ "real_plain_neg", real_plain_neg, true },
	{ "real_plain_chal", real_plain_chal, true },
	{ "real_plain_auth", real_plain_auth, true },
};
#define N_VALID (sizeof valids / sizeof valids[0])

/* The VERSION flag set on a 32-byte NEGOTIATE without the 8 bytes: some
 * clients send it; the message is kept, with no version (tshark agrees). */
START_TEST(t_neg_version_flag_no_bytes)
{
	size_t n;
	uint8_t *b = hex_load(v_neg_min, &n);
	ck_assert_uint_eq(n, 32);
	b[12] = 0x07;
	b[13] = 0x82;
	b[14] = 0x08;
	b[15] = 0x02; /* flags with NTLMSSP_NEGOTIATE_VERSION */
	struct kf_ntlm_msg m;
	struct kf_events ev = { 0 };
	ck_assert(kf_ntlmssp_decode(kf_span_make(b, n), &m, &ev));
	ck_assert_uint_eq(m.type, 1);
	ck_assert(!m.has_version);
	ck_assert_uint_eq(m.flags & 0x02000000u, 0x02000000u);
	ck_assert_uint_eq(ev.n, 0);
	free(b);
}
END_TEST

/* Every proper prefix of every valid message is rejected with an event
 * (but for the one prefix that is itself a complete NEGOTIATE). */
START_TEST(t_truncation)
{
	size_t n;
	uint8_t *full = valids[_i].b64 ? b64_load(valids[_i].text, &n) : hex_load(valids[_i].text, &n);
	for (size_t k = 0; k <= n; k++) {
		uint8_t *p = malloc(k ? k : 1); /* exact size: ASan catches overreads */
		memcpy(p, full, k);
		struct kf_ntlm_msg m;
		struct kf_events ev = { 0 };
		bool ok = kf_ntlmssp_decode(kf_span_make(p, k), &m, &ev);
		if (k == n) {
			ck_assert_msg(ok, "%s: whole message rejected", valids[_i].name);
		} else if (ok && (m.type == 3 || m.type == 2) && m.damaged) {
			/* an AUTHENTICATE cut inside its payload: the buffers past the
			 * cut are unknown (t_auth_damaged), but it is one */
			ck_assert_uint_ge(ev.n, 1);
		} else if (ok && k == 32 && m.type == 1 && !m.has_version && !m.domain.n &&
			   !m.workstation.n) {
			/* a NEGOTIATE cut right after its fixed part, fields empty: a
			 * complete message without VERSION (see t_neg_version_flag_no_bytes) */
		} else {
			ck_assert_msg(!ok, "%s: prefix %zu accepted", valids[_i].name, k);
			ck_assert_uint_ge(ev.n, 1);
		}
		free(p);
	}
	free(full);
}
END_TEST

/* ------------------------------------------------------------- strings */

struct str_row {
	const char *name;
	const char *hex;
	bool unicode;
	size_t cap;
	const char *want;
};

static const struct str_row str_rows[] = {
	{ "ascii-utf16", "41004200", true, 64, "AB" },
	{ "ascii-oem", "4142", false, 64, "AB" },
	{ "latin1-oem", "4ae9", false, 64, "J\xc3\xa9" },
	{ "bmp", "6a00f6007200670000012000ac20", true, 64, "j\xc3\xb6rg\xc4\x80 \xe2\x82\xac" },
	{ "cjk", "e565", true, 64, "\xe6\x97\xa5" },
	{ "surrogate-pair", "3dd800de", true, 64, "\xf0\x9f\x98\x80" },
	{ "max-code-point", "ffdbffdf", true, 64, "\xf4\x8f\xbf\xbf" },
	{ "high-at-end", "41003dd8", true, 64, "A?" },
	{ "high-then-ascii", "3dd84100", true, 64, "?A" },
	{ "high-then-high", "3dd83dd800de", true, 64, "?\xf0\x9f\x98\x80" },
	{ "lone-low", "00de4100", true, 64, "?A" },
	{ "odd-byte", "410042", true, 64, "A?" },
	{ "control-utf16", "0a000000", true, 64, "??" },
	{ "control-oem", "0a7f", false, 64, "??" },
	{ "c1-oem", "85", false, 64, "?" },
	{ "c1-utf16", "8500", true, 64, "?" },
	{ "empty", "", true, 64, "" },
	{ "cap-1", "41004200", true, 1, "" },
	{ "cap-2", "41004200", true, 2, "A" },
	{ "cap-no-split-2byte", "4100f600", true, 3, "A" },
	{ "cap-no-split-4byte", "41003dd800de", true, 5, "A" },
	{ "cap-exact-4byte", "41003dd800de", true, 6, "A\xf0\x9f\x98\x80" },
	{ "cap-oem", "e9e9", false, 4, "\xc3\xa9" },
};
#define N_STR (sizeof str_rows / sizeof str_rows[0])

START_TEST(t_strings)
{
	const struct str_row *r = &str_rows[_i];
	size_t n;
	uint8_t *p = hex_load(r->hex, &n);
	char *buf = malloc(r->cap); /* exact size: ASan catches overwrites */
	size_t w = kf_ntlm_string(kf_span_make(p, n), r->unicode, buf, r->cap);
	ck_assert_msg(strcmp(buf, r->want) == 0, "%s: got '%s'", r->name, buf);
	ck_assert_uint_eq(w, strlen(r->want));
	free(buf);
	free(p);
}
END_TEST

START_TEST(t_string_cap0)
{
	char c = 'x';
	ck_assert_uint_eq(kf_ntlm_string(kf_span_make("A\0", 2), true, &c, 0), 0);
	ck_assert_int_eq(c, 'x');
}
END_TEST

/* ---------------------------------------------------------- flag names */

START_TEST(t_flag_names)
{
	static const char *const want[32] = {
		"unicode",
		"oem",
		"request-target",
		NULL,
		"sign",
		"seal",
		"datagram",
		"lm-key",
		NULL,
		"ntlm",
		NULL,
		"anonymous",
		"oem-domain-supplied",
		"oem-workstation-supplied",
		NULL,
		"always-sign",
		"target-type-domain",
		"target-type-server",
		NULL,
		"extended-session-security",
		"identify",
		NULL,
		"request-non-nt-session-key",
		"target-info",
		NULL,
		"version",
		NULL,
		NULL,
		NULL,
		"128",
		"key-exch",
		"56",
	};
	for (unsigned bit = 0; bit < 32; bit++) {
		const char *got = kf_ntlm_flag_name(bit);
		if (want[bit] == NULL)
			ck_assert_msg(got == NULL, "bit %u: %s", bit, got);
		else
			ck_assert_msg(got && strcmp(got, want[bit]) == 0, "bit %u: %s", bit,
				      got ? got : "NULL");
	}
	ck_assert_ptr_null(kf_ntlm_flag_name(32));
	ck_assert_ptr_null(kf_ntlm_flag_name(1000));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ntlmssp");
	TCase *tc = tcase_create("ntlmssp");
	tcase_add_test(tc, t_negotiate);
	tcase_add_test(tc, t_challenge);
	tcase_add_test(tc, t_authenticate_v2);
	tcase_add_test(tc, t_authenticate_v1_anon);
	tcase_add_test(tc, t_real_plain);
	tcase_add_test(tc, t_av_cap);
	tcase_add_loop_test(tc, t_malformed, 0, (int)N_BAD);
	tcase_add_loop_test(tc, t_auth_damaged, 0, (int)N_DAMAGED);
	tcase_add_loop_test(tc, t_chal_damaged, 0, (int)N_DAMAGED_CHAL);
	tcase_add_test(tc, t_partial);
	tcase_add_test(tc, t_neg_version_flag_no_bytes);
	tcase_add_loop_test(tc, t_truncation, 0, (int)N_VALID);
	tcase_add_loop_test(tc, t_strings, 0, (int)N_STR);
	tcase_add_test(tc, t_string_cap0);
	tcase_add_test(tc, t_flag_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(suite()); }
