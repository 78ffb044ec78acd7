/* fuzz_dns.c - DNS messages (decoders/dns.c): header, question, answers and
 * name decompression with its pointer bound.  The input is read as a UDP
 * payload and, when it starts with a matching 2-byte length, as a TCP one. */
#include "fuzz.h"

#include "dns.h"

static void decode(struct kf_span s)
{
	static struct kf_dns_msg m;
	struct kf_events ev = { 0 };
	(void)kf_dns_decode(s, &m, &ev); /* what decoded before a failure stays: check it all */
	FUZZ_CHECK(ev.n <= KF_EVENT_SINK_CAP);
	FUZZ_CSTR(m.qname);
	FUZZ_CHECK(m.n_answers <= KF_LIMIT_DNS_ANSWERS);
	for (unsigned i = 0; i < m.n_answers; i++) {
		FUZZ_CSTR(m.answers[i].name);
		FUZZ_CSTR(m.answers[i].data);
	}
	FUZZ_CSTR(m.tkey_algorithm);
	FUZZ_CHECK(m.tkey_key.n == 0 || (m.tkey_key.p >= s.p && m.tkey_key.p + m.tkey_key.n <= s.p + s.n));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode(kf_span_make(data, size));
	if (size >= 2 && (size_t)((data[0] << 8) | data[1]) == size - 2)
		decode(kf_span_make(data + 2, size - 2));
	return 0;
}
