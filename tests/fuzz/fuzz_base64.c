/* fuzz_base64.c - strict base64 (decoders/base/base64.c).  The output buffer
 * is exactly as large as promised (kf_base64_decoded_max) or, for the
 * does-not-fit path, exactly as small as chosen, so any overrun is seen; a
 * successful decode must re-encode to the same text (one spelling per token). */
#include "fuzz.h"

#include "base/base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The canonical encoding of out[0..n) without padding must equal the input
 * without its '=' padding. */
static void check_roundtrip(const uint8_t *in, size_t in_n, const uint8_t *out, size_t n)
{
	size_t data = in_n;
	while (data > 0 && in[data - 1] == '=')
		data--;
	size_t j = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)out[i] << 16;
		size_t k = n - i >= 3 ? 3 : n - i;
		if (k > 1)
			v |= (uint32_t)out[i + 1] << 8;
		if (k > 2)
			v |= out[i + 2];
		for (size_t c = 0; c < k + 1; c++) {
			FUZZ_CHECK(j < data);
			FUZZ_CHECK(in[j] == (uint8_t)alphabet[(v >> (18 - 6 * c)) & 0x3f]);
			j++;
		}
	}
	FUZZ_CHECK(j == data);
	FUZZ_CHECK(in_n == data || in_n % 4 == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	struct kf_span s = kf_span_make(data, size);
	size_t cap = kf_base64_decoded_max(size);
	uint8_t *out = malloc(cap);
	if (!out)
		return 0;
	size_t len = 0;
	bool ok = kf_base64_decode(s, out, cap, &len);
	if (ok) {
		FUZZ_CHECK(len <= cap);
		check_roundtrip(data, size, out, len);
	}
	free(out);

	/* the same input into every smaller capacity near the real length */
	if (ok) {
		for (size_t c = len > 3 ? len - 3 : 0; c < len; c++) {
			uint8_t *small = malloc(c ? c : 1);
			if (!small)
				return 0;
			size_t l2 = 0;
			FUZZ_CHECK(!kf_base64_decode(s, small, c, &l2));
			free(small);
		}
	} else if (size > 0) {
		/* a capacity chosen by the input */
		size_t c = data[0] % 8;
		uint8_t *small = malloc(c ? c : 1);
		if (!small)
			return 0;
		size_t l2 = 0;
		if (kf_base64_decode(s, small, c, &l2))
			FUZZ_CHECK(l2 <= c);
		free(small);
	}
	return 0;
}
