/* fuzz_gss.c - GSS-API framing and SPNEGO (decoders/gss.c): classify,
 * recognise as a per-message token, unwrap and decode the input, then the tokens found inside it, the way
 * analyzer/auth_token.c walks an HTTP Negotiate token. */
#include "fuzz.h"

#include "gss.h"

static const uint8_t *g_base;
static size_t g_size;

static void one_token(struct kf_span s, unsigned depth)
{
	struct kf_events ev = { 0 };
	char oid[128];

	(void)kf_token_classify(s);

	struct kf_gss_perm perm;
	if (kf_gss_perm_decode(s, &perm)) { /* a per-message token's header */
		FUZZ_CHECK(perm.header_len > 0 && perm.header_len <= s.n);
		FUZZ_CHECK(kf_gss_perm_mech_name(perm.mech) != NULL);
		FUZZ_CHECK(!perm.sealed || perm.wrap);
	}

	struct kf_gss_token t;
	memset(&t, 0, sizeof t);
	if (kf_gss_unwrap(s, &t, &ev)) {
		FUZZ_CHECK(fuzz_span_inside(t.mech_oid, g_base, g_size));
		FUZZ_CHECK(fuzz_span_inside(t.inner, g_base, g_size));
		FUZZ_CHECK(fuzz_span_inside(t.krb_msg, g_base, g_size));
		(void)kf_mech_name(t.mech);
		(void)kf_oid_to_string(t.mech_oid, oid, sizeof oid);
		if (depth < 2 && t.inner.n)
			one_token(t.inner, depth + 1);
	}

	static struct kf_spnego sp;
	memset(&sp, 0, sizeof sp);
	if (kf_spnego_decode(s, &sp, &ev)) {
		FUZZ_CHECK(sp.n_mech_types <= KF_LIMIT_SPNEGO_MECHS);
		for (unsigned i = 0; i < sp.n_mech_types; i++) {
			FUZZ_CHECK(fuzz_span_inside(sp.mech_type_oids[i], g_base, g_size));
			(void)kf_mech_name(sp.mech_types[i]);
			if (kf_oid_to_string(sp.mech_type_oids[i], oid, sizeof oid))
				FUZZ_CSTR(oid);
		}
		FUZZ_CHECK(fuzz_span_inside(sp.mech_token, g_base, g_size));
		FUZZ_CHECK(fuzz_span_inside(sp.hint_name, g_base, g_size));
		FUZZ_CHECK(fuzz_span_inside(sp.supported_mech_oid, g_base, g_size));
		FUZZ_CHECK(fuzz_span_inside(sp.response_token, g_base, g_size));
		(void)fuzz_touch(sp.hint_name);
		if (sp.has_neg_state)
			(void)kf_neg_state_name(sp.neg_state);
		if (sp.has_supported_mech)
			(void)kf_mech_name(sp.supported_mech);
		struct kf_span inner[2] = { sp.mech_token, sp.response_token };
		for (int i = 0; i < 2; i++)
			if (depth < 2 && inner[i].n)
				one_token(inner[i], depth + 1);
	}
	FUZZ_CHECK(ev.n <= KF_EVENT_SINK_CAP);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_base = data;
	g_size = size;
	one_token(kf_span_make(data, size), 0);
	return 0;
}
