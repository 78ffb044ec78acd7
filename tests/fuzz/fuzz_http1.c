/* fuzz_http1.c - HTTP/1.x heads, authentication headers and the chunked
 * body skipper (decoders/http1.c).  The input is parsed as a request and as
 * a response (to a method picked by the first byte); every header value goes
 * through the challenge and credential parsers; the bytes after the head, and
 * the whole input, are fed to the chunked skipper in one piece and again in
 * small pieces, which must come to the same result. */
#include "fuzz.h"

#include "http1.h"

static const uint8_t *g_base;
static size_t g_size;

static void check_auth(struct kf_span value)
{
	struct kf_http_auth ch[KF_LIMIT_HTTP_CHALLENGES];
	size_t n = kf_http_auth_challenges(value, ch, KF_LIMIT_HTTP_CHALLENGES);
	FUZZ_CHECK(n <= KF_LIMIT_HTTP_CHALLENGES);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(fuzz_span_inside(ch[i].scheme, value.p, value.n));
		FUZZ_CHECK(fuzz_span_inside(ch[i].token, value.p, value.n));
	}
	/* a capacity of one: only one may be written */
	struct kf_http_auth one[1];
	FUZZ_CHECK(kf_http_auth_challenges(value, one, 1) <= 1);

	struct kf_http_auth cr;
	memset(&cr, 0, sizeof cr);
	(void)kf_http_auth_credentials(value, &cr);
	FUZZ_CHECK(fuzz_span_inside(cr.scheme, value.p, value.n));
	FUZZ_CHECK(fuzz_span_inside(cr.token, value.p, value.n));
}

static void check_head(const struct kf_http_head *h, long r, struct kf_span s)
{
	FUZZ_CHECK((size_t)r <= s.n);
	FUZZ_CHECK(h->header_bytes <= (size_t)r);
	FUZZ_CHECK(h->n_headers <= KF_LIMIT_HTTP_HEADERS);
	FUZZ_CHECK(fuzz_span_inside(h->method, s.p, s.n));
	FUZZ_CHECK(fuzz_span_inside(h->uri, s.p, s.n));
	FUZZ_CHECK(fuzz_span_inside(h->reason, s.p, s.n));
	for (size_t i = 0; i < h->n_headers; i++) {
		FUZZ_CHECK(fuzz_span_inside(h->headers[i].name, s.p, s.n));
		FUZZ_CHECK(fuzz_span_inside(h->headers[i].value, s.p, s.n));
		check_auth(h->headers[i].value);
	}
	static const char *const names[] = {
		"Authorization", "WWW-Authenticate", "Proxy-Authenticate", "Proxy-Authorization",
		"Host",          "Content-Length"
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const struct kf_http_header *hh = kf_http_header_find(h, names[i], 0);
		if (hh)
			FUZZ_CHECK(hh >= h->headers && hh < h->headers + h->n_headers);
		(void)kf_http_header_find(h, names[i], 1);
	}
}

/* Feed body bytes whole and in pieces; both must agree. */
static void chunked(struct kf_span body, const uint8_t *sizes, size_t n_sizes)
{
	struct kf_events ev = { 0 };
	struct kf_http_chunked a;
	kf_http_chunked_init(&a);
	bool done_a = false;
	size_t used_a = kf_http_chunked_feed(&a, body, &done_a, &ev);
	FUZZ_CHECK(used_a <= body.n);
	FUZZ_CHECK(!(done_a && a.error));
	if (done_a || a.error) {
		bool d2 = false;
		FUZZ_CHECK(kf_http_chunked_feed(&a, body, &d2, &ev) == 0);
	}

	struct kf_http_chunked b;
	kf_http_chunked_init(&b);
	bool done_b = false;
	size_t used_b = 0, off = 0, k = 0;
	while (off < body.n && !done_b && !b.error) {
		size_t piece = n_sizes ? (size_t)(sizes[k++ % n_sizes] % 7) + 1 : 1;
		if (piece > body.n - off)
			piece = body.n - off;
		size_t u = kf_http_chunked_feed(&b, kf_span_make(body.p + off, piece), &done_b, &ev);
		FUZZ_CHECK(u <= piece);
		used_b += u;
		if (u < piece) /* the rest is the next message (or an error) */
			break;
		off += piece;
	}
	FUZZ_CHECK(done_a == done_b);
	FUZZ_CHECK(a.error == b.error);
	FUZZ_CHECK(used_a == used_b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_base = data;
	g_size = size;
	struct kf_span s = kf_span_make(data, size);
	static struct kf_http_head h;
	struct kf_events ev = { 0 };

	(void)kf_http_probe_request(s);
	(void)kf_http_probe_response(s);

	memset(&h, 0, sizeof h);
	long r = kf_http_parse_request(s, &h, &ev);
	if (r == KF_HTTP_NEED_MORE)
		FUZZ_CHECK(ev.n == 0 && ev.dropped == 0);
	if (r > 0) {
		check_head(&h, r, s);
		/* the head alone parses to the same length */
		struct kf_events ev2 = { 0 };
		static struct kf_http_head h2;
		long r2 = kf_http_parse_request(kf_span_make(data, (size_t)r), &h2, &ev2);
		FUZZ_CHECK(r2 == r);
		if (h.body == KF_HTTP_BODY_CHUNKED)
			chunked(kf_span_make(data + r, size - (size_t)r), data, size < 16 ? size : 16);
	}

	static const char *const methods[] = { "GET", "HEAD", "CONNECT", "", "POST" };
	const char *m = methods[size ? data[0] % 5 : 0];
	kf_events_clear(&ev);
	memset(&h, 0, sizeof h);
	r = kf_http_parse_response(s, kf_span_make(m, strlen(m)), &h, &ev);
	if (r == KF_HTTP_NEED_MORE)
		FUZZ_CHECK(ev.n == 0 && ev.dropped == 0);
	if (r > 0) {
		check_head(&h, r, s);
		FUZZ_CHECK(h.status >= 100 && h.status <= 999);
		if (h.body == KF_HTTP_BODY_CHUNKED)
			chunked(kf_span_make(data + r, size - (size_t)r), data, size < 16 ? size : 16);
	}

	/* the whole input as credentials / a challenge list, and as a chunked body */
	if (size <= 65536) {
		check_auth(s);
		chunked(s, data, size < 16 ? size : 16);
	}
	return 0;
}
