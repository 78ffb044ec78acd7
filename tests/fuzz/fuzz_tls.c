/* fuzz_tls.c - the ClientHello server_name (decoders/tls.c), into the
 * documented buffer size and into tight heap buffers around the name's
 * length, so a write past the capacity is seen. */
#include "fuzz.h"

#include "base/limits.h"
#include "tls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kf_span s = kf_span_make(data, size);
	struct kf_events ev = { 0 };
	char sni[KF_LIMIT_DNS_NAME];

	(void)kf_tls_probe(s);
	bool ok = kf_tls_client_hello_sni(s, sni, sizeof sni, &ev);
	FUZZ_CHECK(ev.n <= KF_EVENT_SINK_CAP);
	size_t len = 0;
	if (ok) {
		FUZZ_CSTR(sni);
		len = strlen(sni);
		FUZZ_CHECK(len > 0);
	}
	/* capacities: len (too small by the NUL), len + 1 (exact), and one
	 * picked by the input; never a byte written past them */
	size_t caps[3] = { len, len + 1, size ? (size_t)(data[size - 1] % 16) + 1 : 1 };
	for (int i = 0; i < 3; i++) {
		if (caps[i] == 0)
			continue;
		char *b = malloc(caps[i]);
		if (!b)
			return 0;
		struct kf_events ev2 = { 0 };
		bool ok2 = kf_tls_client_hello_sni(s, b, caps[i], &ev2);
		if (ok2) {
			FUZZ_CHECK(memchr(b, '\0', caps[i]) != NULL);
			FUZZ_CHECK(ok && strcmp(b, sni) == 0);
		}
		if (ok && i == 1)
			FUZZ_CHECK(ok2);
		free(b);
	}
	return 0;
}
