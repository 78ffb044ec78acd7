/* fuzz_tds.c - the TDS decoder (decoders/tds.c): the input as a message's
 * payload for each of kf_tds_prelogin, kf_tds_login7 and kf_tds_tokens,
 * and as the first bytes of a stream for kf_tds_header and
 * kf_tds_probe_prelogin (then its data as a payload again).  Beyond "no
 * crash": every span lies inside the input, names are whole UTF-16
 * characters, decoding is a pure function of the bytes (the same with and
 * without an event sink), and the names are NULL or short. */
#include "fuzz.h"

#include "tds.h"

static void check_name(const char *s)
{
	if (s)
		FUZZ_CHECK(strlen(s) < 128);
}

static void payload(const uint8_t *data, size_t size)
{
	struct kf_span s = kf_span_make(data, size);
	struct kf_events ev = { 0 };

	struct kf_tds_prelogin p, p2;
	bool ok = kf_tds_prelogin(s, &p, &ev);
	FUZZ_CHECK(kf_tds_prelogin(s, &p2, NULL) == ok);
	FUZZ_CHECK(memcmp(&p, &p2, sizeof p) == 0);
	if (p.tls)
		FUZZ_CHECK(ok && kf_tds_is_tls(s) && !p.has_encryption);
	check_name(p.why);

	struct kf_tds_login7 l, l2;
	ok = kf_tds_login7(s, &l, &ev);
	FUZZ_CHECK(kf_tds_login7(s, &l2, NULL) == ok);
	FUZZ_CHECK(memcmp(&l, &l2, sizeof l) == 0);
	const struct kf_span spans[] = { l.host_name, l.user_name, l.server_name, l.sspi };
	for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++) {
		FUZZ_CHECK(fuzz_span_inside(spans[i], data, size));
		(void)fuzz_touch(spans[i]);
		if (i < 3) /* names are whole UTF-16 characters */
			FUZZ_CHECK(spans[i].n % 2 == 0);
	}
	if (!ok)
		FUZZ_CHECK(size < 86u);
	check_name(l.why);

	struct kf_tds_tokens t, t2;
	ok = kf_tds_tokens(s, &t, &ev);
	FUZZ_CHECK(kf_tds_tokens(s, &t2, NULL) == ok);
	FUZZ_CHECK(memcmp(&t, &t2, sizeof t) == 0);
	FUZZ_CHECK(fuzz_span_inside(t.sspi, data, size));
	FUZZ_CHECK(fuzz_span_inside(t.error_text, data, size));
	(void)fuzz_touch(t.sspi);
	(void)fuzz_touch(t.error_text);
	FUZZ_CHECK(t.n_tokens <= KF_LIMIT_TDS_TOKENS);
	FUZZ_CHECK(ok == (t.n_tokens > 0));
	if (t.has_error)
		FUZZ_CHECK(t.error_text.n % 2 == 0);
	check_name(t.why);
	FUZZ_CHECK(ev.n <= KF_EVENT_SINK_CAP);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	payload(data, size);
	struct kf_tds_header h;
	if (kf_tds_header(kf_span_make(data, size), &h)) {
		FUZZ_CHECK(h.length >= KF_TDS_HEADER);
		check_name(kf_tds_type_name(h.type));
		FUZZ_CHECK(kf_tds_type_name(h.type) != NULL);
		size_t n = size - KF_TDS_HEADER < (size_t)h.length - KF_TDS_HEADER
				   ? size - KF_TDS_HEADER
				   : (size_t)h.length - KF_TDS_HEADER;
		payload(data + KF_TDS_HEADER, n);
	}
	if (kf_tds_probe_prelogin(kf_span_make(data, size)))
		FUZZ_CHECK(size > KF_TDS_HEADER && h.type == KF_TDS_PRELOGIN &&
			   h.status == KF_TDS_STATUS_EOM);
	check_name(kf_tds_encryption_name(size ? data[0] : 0));
	return 0;
}
