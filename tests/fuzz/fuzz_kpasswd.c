/* fuzz_kpasswd.c - kpasswd messages (decoders/kpasswd.c): the decoder, then
 * what a carrier does with its output (the AP and KRB-ERROR spans through
 * kf_krb5_decode, the result string through kf_text_utf8 with tight
 * buffers), the result reader on the raw input and the name tables. */
#include "fuzz.h"

#include "base/text.h"
#include "kpasswd.h"
#include "krb5.h"

static const uint8_t *g_base;
static size_t g_size;

static void check_span(struct kf_span s) { FUZZ_CHECK(fuzz_span_inside(s, g_base, g_size)); }

/* The UTF-8 printer into buffers of exactly the capacity given. */
static void print_utf8(struct kf_span s)
{
	for (size_t cap = 0; cap < 6; cap++) {
		char *b = malloc(cap ? cap : 1);
		if (!b)
			return;
		bool cut;
		size_t k = kf_text_utf8(s, b, cap, &cut);
		if (cap)
			FUZZ_CHECK(k < cap && b[k] == '\0' && strlen(b) == k);
		else
			FUZZ_CHECK(k == 0 && cut == (s.n > 0));
		free(b);
	}
	static char big[4096];
	size_t k = kf_text_utf8(s, big, sizeof big, NULL);
	FUZZ_CHECK(k < sizeof big && big[k] == '\0' && strlen(big) == k);
}

static void check_result(const struct kf_kpasswd_result *r)
{
	if (!r->present) {
		FUZZ_CHECK(r->string.n == 0 && !r->ad_policy);
		return;
	}
	check_span(r->string);
	FUZZ_CHECK(!r->ad_policy || r->string.n == 30);
	(void)kf_kpasswd_result_name(r->code);
	print_utf8(r->string);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_base = data;
	g_size = size;
	struct kf_span s = kf_span_make(data, size);
	struct kf_events ev = { 0 };
	static struct kf_kpasswd_msg m, again;
	static struct kf_krb_msg k; /* large: off the stack, as the analyzer keeps it */

	bool ok = kf_kpasswd_decode(s, &m, &ev);
	FUZZ_CHECK(ev.n <= KF_EVENT_SINK_CAP);
	FUZZ_CHECK(ok == (m.kind != KF_KPASSWD_NONE));
	FUZZ_CHECK(ok ? (m.complete == (m.why == NULL)) : (m.why != NULL && ev.n > 0));
	check_span(m.ap);
	check_span(m.priv);
	check_span(m.error);
	check_span(m.e_data);
	/* the same answer without a sink */
	FUZZ_CHECK(kf_kpasswd_decode(s, &again, NULL) == ok);
	FUZZ_CHECK(again.kind == m.kind && again.complete == m.complete && again.why == m.why);

	if (ok) {
		FUZZ_CHECK(m.framed ? m.length == size : m.error.n == size);
		FUZZ_CHECK((m.priv.n > 0) != (m.error.n > 0));
		FUZZ_CHECK(m.ap.n == 0 ? m.ap_type == 0 : (m.ap_type == 14 || m.ap_type == 15));
		FUZZ_CHECK(m.kind == KF_KPASSWD_REPLY || (m.ap_type == 14 && m.priv.n > 0));
		FUZZ_CHECK(!m.priv_enc.present || m.priv.n > 0);
		FUZZ_CHECK(!m.has_e_data || m.has_error_code);
		FUZZ_CHECK(!m.result.present || m.has_e_data);
		check_result(&m.result);
		(void)kf_kpasswd_version_name(m.version);
		/* the carrier's next step: the Kerberos messages themselves */
		struct kf_events kev = { 0 };
		if (m.ap.n > 0)
			(void)kf_krb5_decode(m.ap, &k, &kev);
		if (m.error.n > 0) {
			(void)kf_krb5_decode(m.error, &k, &kev);
			FUZZ_CSTR(k.sname);
			FUZZ_CSTR(k.e_text);
		}
		FUZZ_CHECK(kev.n <= KF_EVENT_SINK_CAP);
	}

	/* the result reader on the raw bytes (a decrypted KRB-PRIV's user-data
	 * looks like this) */
	struct kf_kpasswd_result r;
	FUZZ_CHECK(kf_kpasswd_result_decode(s, &r) == (size >= 2));
	check_result(&r);
	return 0;
}
