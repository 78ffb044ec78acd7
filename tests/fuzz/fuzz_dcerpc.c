/* fuzz_dcerpc.c - the DCE/RPC decoder (decoders/dcerpc.c): kf_dcerpc_decode
 * on one PDU as the carrier hands it over, kf_dcerpc_header on its first 16
 * bytes and kf_dcerpc_probe_bind on all.  Beyond "no crash": the credentials
 * lie inside the input and end where the PDU ends, decoding is a pure
 * function of the bytes (the same with and without an event sink), the
 * header agrees with the decode, a probed bind decodes as a bind, and the
 * names are NULL or short NUL-terminated strings. */
#include "fuzz.h"

#include "dcerpc.h"

static void check_name(const char *s)
{
	if (s)
		FUZZ_CHECK(strlen(s) < 64);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kf_span s = kf_span_make(data, size);
	struct kf_events ev = { 0 };
	struct kf_dcerpc_pdu p, again;

	bool ok = kf_dcerpc_decode(s, &p, &ev);
	FUZZ_CHECK(ev.n <= KF_EVENT_SINK_CAP);
	FUZZ_CHECK(fuzz_span_inside(p.credentials, data, size));
	(void)fuzz_touch(p.credentials);
	if (ok) {
		FUZZ_CHECK(p.h.frag_length <= size);
		if (p.has_auth) {
			FUZZ_CHECK(p.credentials.n == p.h.auth_length);
			FUZZ_CHECK(p.credentials.p + p.credentials.n == data + p.h.frag_length);
		}
		if (!p.body_ok)
			FUZZ_CHECK(p.why != NULL);
		if (p.has_abstract) {
			char t[37];
			kf_dcerpc_uuid_text(p.abstract_uuid, p.h.little_endian, t);
			FUZZ_CHECK(strlen(t) == 36);
			check_name(kf_dcerpc_interface_name(p.abstract_uuid, p.h.little_endian));
		}
	} else {
		FUZZ_CHECK(!p.has_auth && !p.body_ok);
	}
	if (ev.n)
		FUZZ_CHECK(p.why != NULL);
	check_name(p.why);
	check_name(kf_dcerpc_ptype_name(p.h.ptype));
	check_name(kf_dcerpc_auth_type_name(p.auth_type));
	check_name(kf_dcerpc_auth_level_name(p.auth_level));
	check_name(kf_dcerpc_status_name(p.status));
	check_name(kf_dcerpc_reject_name(p.status));

	FUZZ_CHECK(kf_dcerpc_decode(s, &again, NULL) == ok);
	FUZZ_CHECK(memcmp(&p, &again, sizeof p) == 0);

	/* the header from the first 16 bytes: what the carrier frames by */
	struct kf_dcerpc_header h;
	bool hdr = kf_dcerpc_header(kf_span_make(data, size < 16 ? size : 16), &h);
	if (ok)
		FUZZ_CHECK(hdr && memcmp(&h, &p.h, sizeof h) == 0);
	if (kf_dcerpc_probe_bind(s)) {
		FUZZ_CHECK(hdr && h.ptype == KF_DCERPC_BIND);
		if (ok)
			FUZZ_CHECK(p.h.ptype == KF_DCERPC_BIND);
	}
	return 0;
}
