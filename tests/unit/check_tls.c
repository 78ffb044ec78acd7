/* check_tls.c - the TLS ClientHello server_name (decoders/tls.c; RFC 8446
 * §4.1.2, RFC 6066 §3). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"
#include "base/limits.h"
#include "testutil.h"

/* ClientHellos made by OpenSSL 3.0 (Python's ssl module over a memory BIO,
 * server_hostname set; no network, no capture needed). */
static const char ossl_tls13[] =
	"1603010200010001fc03035dba8c9d3a325f00260d0e9fcde6626feb0717483b75adb6d7340c42a1b09d1f208181854f9f32db5a"
	"b482ff55f04c5b9eb9c227ae8dc0b9e16f39676617d035090024130213031301c02cc030c02bc02fcca9cca8c024c028c023c027"
	"009f009e006b006700ff0100018f00000011000f00000c7765622e6c61622e74657374000b000403000102000a00160014001d00"
	"17001e0019001801000101010201030104002300000016000000170000000d002a0028040305030603080708080809080a080b08"
	"0408050806040105010601030303010302040205020602002b00050403040303002d00020101003300260024001d0020c71de706"
	"e1328a2413479a9f171e8bc2154479e91e2aecf247a0c900e4797b4b001500e10000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";
static const char ossl_tls12[] =
	"16030100b2010000ae03031b101aaf2fdfd232a94950cd614cf55f6a01e7eaa2296919b7de1f407521163e00001ec02cc030c02b"
	"c02fcca9cca8c024c028c023c027009f009e006b006700ff0100006700000011000f00000c7777772e6c61622e74657374000b00"
	"0403000102000a000c000a001d0017001e00190018002300000016000000170000000d002a002804030503060308070808080908"
	"0a080b080408050806040105010601030303010302040205020602";

#define R32 "0000000000000000000000000000000000000000000000000000000000000000"
#define CS_COMP "00 0002 1301 0100"
/* server_name extension for "a.b" (12 bytes) */
#define SNI_AB "0000 0008 0006 00 0003 612e62"

struct row {
	const char *name;
	const char *hex;
	bool ok;          /* a name is returned */
	const char *sni;  /* expected name when ok */
	enum kf_event ev; /* KF_EV_NONE: no event at all */
};

static const struct row rows[] = {
	{ "openssl-tls13", ossl_tls13, true, "web.lab.test", KF_EV_NONE },
	{ "openssl-tls12", ossl_tls12, true, "www.lab.test", KF_EV_NONE },
	{ "minimal", "16 0301 003b 01 000037 0303" R32 CS_COMP "000c" SNI_AB, true, "a.b", KF_EV_NONE },
	{ "escaped-name", "16 0301 003c 01 000038 0303" R32 CS_COMP "000d 0000 0009 0007 00 0004 61 01 62 5c",
	  true, "a\\001b\\\\", KF_EV_NONE },
	{ "second-entry",
	  "16 0301 0041 01 00003d 0303" R32 CS_COMP "0012 0000 000e 000c 01 0003 787878 00 0003 612e62", true,
	  "a.b", KF_EV_NONE },
	{ "after-other-ext", "16 0301 003f 01 00003b 0303" R32 CS_COMP "0010 0017 0000" SNI_AB, true, "a.b",
	  KF_EV_NONE },
	{ "hs-spans-records", "16 0301 003b 01 000100 0303" R32 CS_COMP "00d5" SNI_AB, true, "a.b",
	  KF_EV_NONE },
	/* not a ClientHello, or no name: false without an event */
	{ "no-extensions", "16 0301 002d 01 000029 0303" R32 CS_COMP, false, NULL, KF_EV_NONE },
	{ "other-name-type-only",
	  "16 0301 003b 01 000037 0303" R32 CS_COMP "000c 0000 0008 0006 01 0003 612e62", false, NULL,
	  KF_EV_NONE },
	{ "sni-in-next-record", "16 0301 0037 01 000100 0303" R32 CS_COMP "00d5 0015 0004 00000000", false,
	  NULL, KF_EV_NONE },
	{ "app-data", "17 0303 0005 0102030405", false, NULL, KF_EV_NONE },
	{ "server-hello", "16 0303 0006 02 000002 0303", false, NULL, KF_EV_NONE },
	{ "sslv2", "80 2e 01 0301 0015 0000 0010 010080", false, NULL, KF_EV_NONE },
	{ "record-version-2", "16 0201 003b 01 000037 0303" R32 CS_COMP "000c" SNI_AB, false, NULL,
	  KF_EV_NONE },
	/* malformed */
	{ "record-len-0", "16 0301 0000", false, NULL, KF_EV_TLS_MALFORMED },
	{ "record-too-long", "16 0301 4001 01 000037 0303" R32 CS_COMP "000c" SNI_AB, false, NULL,
	  KF_EV_TLS_MALFORMED },
	{ "hello-version-2", "16 0301 003b 01 000037 0201" R32 CS_COMP "000c" SNI_AB, false, NULL,
	  KF_EV_TLS_MALFORMED },
	{ "session-id-33",
	  "16 0301 005c 01 000058 0303" R32
	  "21 000000000000000000000000000000000000000000000000000000000000000000"
	  " 0002 1301 0100 000c" SNI_AB,
	  false, NULL, KF_EV_TLS_MALFORMED },
	{ "suites-odd", "16 0301 003c 01 000038 0303" R32 "00 0003 130113 0100 000c" SNI_AB, false, NULL,
	  KF_EV_TLS_MALFORMED },
	{ "suites-empty", "16 0301 0039 01 000035 0303" R32 "00 0000 0100 000c" SNI_AB, false, NULL,
	  KF_EV_TLS_MALFORMED },
	{ "suites-past-hello", "16 0301 003b 01 000037 0303" R32 "00 0100 1301 0100 000c" SNI_AB, false, NULL,
	  KF_EV_TLS_MALFORMED },
	{ "compression-empty", "16 0301 003a 01 000036 0303" R32 "00 0002 1301 00 000c" SNI_AB, false, NULL,
	  KF_EV_TLS_MALFORMED },
	{ "ext-len-short", "16 0301 003b 01 000037 0303" R32 CS_COMP "000b" SNI_AB, false, NULL,
	  KF_EV_TLS_MALFORMED },
	{ "ext-len-long", "16 0301 003b 01 000037 0303" R32 CS_COMP "000d" SNI_AB, false, NULL,
	  KF_EV_TLS_MALFORMED },
	{ "ext-overruns-block",
	  "16 0301 003b 01 000037 0303" R32 CS_COMP "000c 0000 0009 0006 00 0003 612e62", false, NULL,
	  KF_EV_TLS_MALFORMED },
	{ "ext-trailing-byte", "16 0301 0034 01 000030 0303" R32 CS_COMP "0005 0017 0000 ff", false, NULL,
	  KF_EV_TLS_MALFORMED },
	{ "sni-list-len", "16 0301 003b 01 000037 0303" R32 CS_COMP "000c 0000 0008 0005 00 0003 612e62",
	  false, NULL, KF_EV_TLS_MALFORMED },
	{ "sni-list-empty", "16 0301 0034 01 000030 0303" R32 CS_COMP "0006 0000 0002 0000", false, NULL,
	  KF_EV_TLS_MALFORMED },
	{ "sni-name-len-0", "16 0301 0038 01 000034 0303" R32 CS_COMP "0009 0000 0005 0003 00 0000", false,
	  NULL, KF_EV_TLS_MALFORMED },
	{ "sni-name-past-list",
	  "16 0301 003b 01 000037 0303" R32 CS_COMP "000c 0000 0008 0006 00 0004 612e62", false, NULL,
	  KF_EV_TLS_MALFORMED },
	{ "hs-shorter-than-hello", "16 0301 003b 01 000030 0303" R32 CS_COMP "000c" SNI_AB, false, NULL,
	  KF_EV_TLS_MALFORMED },
};
#define N_ROWS (sizeof rows / sizeof rows[0])

static size_t row_bytes(const struct row *r, uint8_t **out)
{
	size_t cap = strlen(r->hex) / 2 + 1;
	uint8_t *tmp = malloc(cap);
	size_t n = kf_test_hex(r->hex, tmp, cap);
	*out = malloc(n ? n : 1);
	memcpy(*out, tmp, n);
	free(tmp);
	return n;
}

START_TEST(t_table)
{
	const struct row *r = &rows[_i];
	uint8_t *buf;
	size_t n = row_bytes(r, &buf);
	char sni[KF_LIMIT_DNS_NAME];
	struct kf_events ev = { 0 };
	bool ok = kf_tls_client_hello_sni(kf_span_make(buf, n), sni, sizeof sni, &ev);
	ck_assert_msg(ok == r->ok, "%s: ok=%d", r->name, ok);
	if (ok)
		ck_assert_str_eq(sni, r->sni);
	if (r->ev == KF_EV_NONE)
		ck_assert_msg(ev.n == 0, "%s: %u events", r->name, ev.n);
	else
		ck_assert_msg(ev.n == 1 && ev.ev[0] == r->ev, "%s: events %u", r->name, ev.n);
	free(buf);
}
END_TEST

/* Every prefix of every row in an exact-size buffer: no crash or overread;
 * for valid rows no event (a short ClientHello is not malformed) and once a
 * prefix yields the name, every longer one does too. */
START_TEST(t_truncation)
{
	const struct row *r = &rows[_i];
	uint8_t *full;
	size_t n = row_bytes(r, &full);
	bool seen = false;
	for (size_t k = 0; k < n; k++) {
		uint8_t *p = malloc(k ? k : 1);
		memcpy(p, full, k);
		char sni[KF_LIMIT_DNS_NAME];
		struct kf_events ev = { 0 };
		bool ok = kf_tls_client_hello_sni(kf_span_make(p, k), sni, sizeof sni, &ev);
		if (r->ev == KF_EV_NONE) {
			ck_assert_msg(ev.n == 0, "%s: prefix %zu raised an event", r->name, k);
			ck_assert_msg(!seen || ok, "%s: prefix %zu lost the name", r->name, k);
			if (ok)
				ck_assert_str_eq(sni, r->sni);
		}
		ck_assert(ok == false || r->ok);
		seen = seen || ok;
		free(p);
	}
	free(full);
}
END_TEST

START_TEST(t_cap)
{
	uint8_t *buf;
	size_t n = row_bytes(&rows[2], &buf); /* "a.b" */
	char sni[8];
	struct kf_events ev = { 0 };
	ck_assert(kf_tls_client_hello_sni(kf_span_make(buf, n), sni, 4, &ev));
	ck_assert_str_eq(sni, "a.b");
	ck_assert(!kf_tls_client_hello_sni(kf_span_make(buf, n), sni, 3, &ev));
	ck_assert_str_eq(sni, "");
	ck_assert(ev.n == 1 && ev.ev[0] == KF_EV_TLS_MALFORMED);
	kf_events_clear(&ev);
	ck_assert(!kf_tls_client_hello_sni(kf_span_make(buf, n), sni, 0, &ev));
	ck_assert_uint_eq(ev.n, 0);
	free(buf);
}
END_TEST

START_TEST(t_probe)
{
	static const struct {
		const char *hex;
		bool yes;
	} p[] = {
		{ "16 0301 0200 01", true },
		{ "16 0303 0005", true },
		{ "16 0300", true },
		{ "16 0304 4800", true },
		{ "16 0301 0000", false },
		{ "16 0301 4801", false },
		{ "16 0305", false },
		{ "16 0201", false },
		{ "17 0303 0005", false },
		{ "16 03", false },
		{ "", false },
		{ "4745 5420", false },
	};
	for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
		uint8_t tmp[16];
		size_t n = kf_test_hex(p[i].hex, tmp, sizeof tmp);
		uint8_t *b = malloc(n ? n : 1);
		memcpy(b, tmp, n);
		ck_assert_msg(kf_tls_probe(kf_span_make(b, n)) == p[i].yes, "%s", p[i].hex);
		free(b);
	}
	uint8_t *buf;
	size_t n = row_bytes(&rows[0], &buf);
	ck_assert(kf_tls_probe(kf_span_make(buf, KF_LIMIT_PROBE_BYTES)));
	ck_assert(kf_tls_probe(kf_span_make(buf, n)));
	free(buf);
}
END_TEST

/* Overwrite each byte of a real ClientHello with a few values: no overread,
 * the name stays NUL-terminated, at most one event. */
START_TEST(t_mutations)
{
	uint8_t *buf;
	size_t n = row_bytes(&rows[1], &buf);
	static const uint8_t vals[] = { 0x00, 0x01, 0x20, 0x7f, 0x80, 0xff };
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < sizeof vals; j++) {
			uint8_t save = buf[i];
			buf[i] = vals[j];
			char sni[KF_LIMIT_DNS_NAME];
			struct kf_events ev = { 0 };
			if (kf_tls_client_hello_sni(kf_span_make(buf, n), sni, sizeof sni, &ev))
				ck_assert(memchr(sni, 0, sizeof sni) != NULL);
			ck_assert_uint_le(ev.n, 1);
			buf[i] = save;
		}
	}
	free(buf);
}
END_TEST

static Suite *tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = tcase_create("tls");
	tcase_add_loop_test(tc, t_table, 0, N_ROWS);
	tcase_add_loop_test(tc, t_truncation, 0, N_ROWS);
	tcase_add_test(tc, t_cap);
	tcase_add_test(tc, t_probe);
	tcase_add_test(tc, t_mutations);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(tls_suite()); }
