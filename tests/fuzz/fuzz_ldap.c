/* fuzz_ldap.c - the LDAP decoder (decoders/ldap.c): kf_ldap_decode on one
 * LDAPMessage as the carrier hands it over, kf_ldap_peek on its first 18
 * bytes and on all of it, kf_ldap_probe_bind, kf_ldap_ad_data on the input
 * as text.  Beyond "no
 * crash": every span lies inside the input, decoding is a pure function of
 * the bytes (the same with and without an event sink), a whole message's
 * peek agrees with its decode, and the names are NULL or short strings. */
#include "fuzz.h"

#include "ldap.h"

static void check_name(const char *s)
{
	if (s)
		FUZZ_CHECK(strlen(s) < 128);
}

static void check_spans(const struct kf_ldap_msg *m, const uint8_t *data, size_t size)
{
	const struct kf_span all[] = { m->name,       m->mechanism,    m->credentials, m->matched_dn,
				       m->diagnostic, m->server_creds, m->oid };
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		FUZZ_CHECK(fuzz_span_inside(all[i], data, size));
		(void)fuzz_touch(all[i]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kf_span s = kf_span_make(data, size);
	struct kf_events ev = { 0 };
	struct kf_ldap_msg m, again;

	bool ok = kf_ldap_decode(s, &m, &ev);
	FUZZ_CHECK(ev.n <= KF_EVENT_SINK_CAP);
	check_spans(&m, data, size);
	if (!ok)
		FUZZ_CHECK(!m.body_ok);
	if (m.simple_password)
		FUZZ_CHECK(m.auth == KF_LDAP_AUTH_SIMPLE && m.credentials.n == 0);
	if (m.has_ad_data)
		FUZZ_CHECK(m.has_result);
	if (m.body_ok)
		FUZZ_CHECK(kf_ldap_op_name(m.op) != NULL);
	check_name(m.why);
	check_name(kf_ldap_op_name(m.op));
	check_name(kf_ldap_result_name(m.result_code));
	check_name(kf_ldap_ad_data_name(m.ad_data_code));

	FUZZ_CHECK(kf_ldap_decode(s, &again, NULL) == ok);
	FUZZ_CHECK(memcmp(&m, &again, sizeof m) == 0);

	/* peek: what the carrier looks at before reading a message */
	struct kf_ldap_peek pk;
	for (int whole = 0; whole < 2; whole++) {
		struct kf_span first = kf_span_make(data, whole || size < 18 ? size : 18);
		int k = kf_ldap_peek(first, &pk);
		FUZZ_CHECK(k >= -1 && k <= 1);
		if (k == 0)
			FUZZ_CHECK(first.n < 18);
		if (k == 1 && ok && pk.total == size) {
			FUZZ_CHECK(pk.message_id == m.message_id);
			FUZZ_CHECK((pk.op_tag & 0x1fu) == m.op || (pk.op_tag & 0x1fu) == 0x1fu);
		}
	}
	/* the probe claims only what the peek calls a bind */
	int probed = kf_ldap_probe_bind(s);
	FUZZ_CHECK(probed >= 0 && probed <= 2);
	if (probed)
		FUZZ_CHECK(kf_ldap_peek(s, &pk) == 1 && pk.op_tag == (probed == 1 ? 0x60 : 0x61));
	uint32_t code;
	(void)kf_ldap_ad_data(s, &code);
	return 0;
}
