/* fuzz_ntlmssp.c - NTLMSSP messages (decoders/ntlmssp.c) and the string
 * printer, with output buffers of exactly the capacity given so a write
 * past it is seen. */
#include "fuzz.h"

#include "ntlmssp.h"

static const uint8_t *g_base;
static size_t g_size;

static void print_string(struct kf_span s, bool unicode)
{
	FUZZ_CHECK(fuzz_span_inside(s, g_base, g_size));
	static char big[1024];
	size_t n = kf_ntlm_string(s, unicode, big, sizeof big);
	FUZZ_CHECK(n < sizeof big && big[n] == '\0' && strlen(big) == n);
	/* tight buffers: every capacity up to a few bytes, at the heap's edge */
	for (size_t cap = 0; cap < 6; cap++) {
		char *b = malloc(cap ? cap : 1);
		if (!b)
			return;
		size_t k = kf_ntlm_string(s, unicode, b, cap);
		if (cap)
			FUZZ_CHECK(k < cap && b[k] == '\0');
		else
			FUZZ_CHECK(k == 0);
		free(b);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_base = data;
	g_size = size;
	struct kf_span s = kf_span_make(data, size);
	struct kf_events ev = { 0 };
	static struct kf_ntlm_msg m;
	memset(&m, 0, sizeof m);

	(void)kf_ntlmssp_decode(s, &m, &ev); /* fields before any damage stay: check them all */
	FUZZ_CHECK(ev.n <= KF_EVENT_SINK_CAP);
	FUZZ_CHECK(m.n_av <= KF_LIMIT_NTLM_AV_PAIRS);
	print_string(m.domain, m.unicode);
	print_string(m.user, m.unicode);
	print_string(m.workstation, m.unicode);
	print_string(m.target_name, m.unicode);
	for (unsigned i = 0; i < m.n_av; i++) {
		FUZZ_CHECK(fuzz_span_inside(m.av[i].value, data, size));
		if (m.av[i].id >= 1 && m.av[i].id <= 5)
			print_string(m.av[i].value, true);
	}
	for (unsigned b = 0; b < 32; b++)
		if (m.flags & (1u << b))
			(void)kf_ntlm_flag_name(b);

	/* the printer over raw bytes, both encodings */
	if (size <= 4096) {
		print_string(s, true);
		print_string(s, false);
	}
	return 0;
}
