/* check_http1.c - HTTP/1.x heads, body framing, challenges/credentials and
 * the chunked skipper (decoders/http1.c; RFC 9112, RFC 9110 §11). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "testutil.h"

static struct kf_span str_span(const char *s) { return kf_span_make(s, strlen(s)); }

static bool has_event(const struct kf_events *ev, enum kf_event e)
{
	for (uint8_t i = 0; i < ev->n; i++)
		if (ev->ev[i] == e)
			return true;
	return false;
}

static bool span_is(struct kf_span s, const char *lit) { return kf_span_eq_str(s, lit) != 0; }

static long parse(bool req, const char *req_method, struct kf_span s, struct kf_http_head *h,
		  struct kf_events *ev)
{
	if (req)
		return kf_http_parse_request(s, h, ev);
	return kf_http_parse_response(s, str_span(req_method ? req_method : ""), h, ev);
}

/* ------------------------------------------------------------ valid heads */

struct valid {
	const char *name;
	bool req;
	const char *req_method; /* responses: the request's method */
	const char *text;       /* the head, possibly followed by body bytes */
	long ret;               /* head length; 0: strlen(text) */
	const char *method, *uri;
	int status;
	const char *reason;
	int minor;
	size_t n_headers;
	enum kf_http_body body;
	uint64_t content_length;
	bool close;
	enum kf_event ev; /* one event expected (KF_EV_NONE: none at all) */
};

static const struct valid valid[] = {
	{ "get-simple", true, NULL, "GET / HTTP/1.1\r\nHost: web.lab.test\r\n\r\n", 0, "GET", "/", 0, NULL, 1,
	  1, KF_HTTP_BODY_NONE, 0, false, KF_EV_NONE },
	{ "get-bare-lf", true, NULL, "GET /a?b=c HTTP/1.1\nHost: x\nAccept: */*\n\n", 0, "GET", "/a?b=c", 0,
	  NULL, 1, 2, KF_HTTP_BODY_NONE, 0, false, KF_EV_NONE },
	{ "get-mixed-eol", true, NULL, "GET / HTTP/1.1\r\nHost: x\n\r\n", 0, "GET", "/", 0, NULL, 1, 1,
	  KF_HTTP_BODY_NONE, 0, false, KF_EV_NONE },
	{ "leading-crlf", true, NULL, "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 0, "GET", "/", 0, NULL, 1,
	  1, KF_HTTP_BODY_NONE, 0, false, KF_EV_NONE },
	{ "post-length+body", true, NULL, "POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
	  (long)sizeof("POST /form HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n") - 1, "POST", "/form", 0,
	  NULL, 1, 2, KF_HTTP_BODY_LENGTH, 5, false, KF_EV_NONE },
	{ "post-chunked", true, NULL, "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0,
	  "POST", "/", 0, NULL, 1, 1, KF_HTTP_BODY_CHUNKED, 0, false, KF_EV_NONE },
	{ "cl-list-same", true, NULL,
	  "PUT /f HTTP/1.1\r\nContent-Length: 42, 42\r\nContent-length: 42\r\n\r\n", 0, "PUT", "/f", 0, NULL,
	  1, 2, KF_HTTP_BODY_LENGTH, 42, false, KF_EV_NONE },
	{ "cl-max", true, NULL, "PUT /f HTTP/1.1\r\nContent-Length: 9223372036854775807\r\n\r\n", 0, "PUT",
	  "/f", 0, NULL, 1, 1, KF_HTTP_BODY_LENGTH, 9223372036854775807ull, false, KF_EV_NONE },
	{ "http10", true, NULL, "GET / HTTP/1.0\r\n\r\n", 0, "GET", "/", 0, NULL, 0, 0, KF_HTTP_BODY_NONE, 0,
	  true, KF_EV_NONE },
	{ "http10-keepalive", true, NULL, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 0, "GET", "/",
	  0, NULL, 0, 1, KF_HTTP_BODY_NONE, 0, false, KF_EV_NONE },
	{ "conn-close", true, NULL, "GET / HTTP/1.1\r\nConnection: TE, close\r\n\r\n", 0, "GET", "/", 0, NULL,
	  1, 1, KF_HTTP_BODY_NONE, 0, true, KF_EV_NONE },
	{ "webdav", true, NULL, "PROPFIND /dav/ HTTP/1.1\r\nDepth: 1\r\nContent-Length: 0\r\n\r\n", 0,
	  "PROPFIND", "/dav/", 0, NULL, 1, 2, KF_HTTP_BODY_LENGTH, 0, false, KF_EV_NONE },
	{ "rpc-in-data", true, NULL,
	  "RPC_IN_DATA /rpc/rpcproxy.dll?h:593 HTTP/1.1\r\nContent-Length: 1073741824\r\n\r\n", 0,
	  "RPC_IN_DATA", "/rpc/rpcproxy.dll?h:593", 0, NULL, 1, 1, KF_HTTP_BODY_LENGTH, 1073741824, false,
	  KF_EV_NONE },
	{ "connect", true, NULL, "CONNECT web.lab.test:443 HTTP/1.1\r\nHost: web.lab.test:443\r\n\r\n", 0,
	  "CONNECT", "web.lab.test:443", 0, NULL, 1, 1, KF_HTTP_BODY_NONE, 0, false, KF_EV_NONE },
	{ "ows-value", true, NULL, "GET / HTTP/1.1\r\nX-A: \t v a l \t\r\nX-Empty:\r\nX-B:v\r\n\r\n", 0,
	  "GET", "/", 0, NULL, 1, 3, KF_HTTP_BODY_NONE, 0, false, KF_EV_NONE },
	{ "obs-fold-joined", true, NULL,
	  "GET / HTTP/1.1\r\nAuthorization: Negotiate\r\n YIIabc==\r\nHost: x\r\n\r\n", 0, "GET", "/", 0,
	  NULL, 1, 2, KF_HTTP_BODY_NONE, 0, false, KF_EV_HTTP_MALFORMED },
	{ "cl+te-request", true, NULL,
	  "POST / HTTP/1.1\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n", 0, "POST", "/", 0,
	  NULL, 1, 2, KF_HTTP_BODY_CHUNKED, 10, true, KF_EV_HTTP_LENGTH_AND_CHUNKED },
	{ "resp-401", false, "GET",
	  "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate\r\nContent-Length: 381\r\n\r\n", 0, NULL,
	  NULL, 401, "Unauthorized", 1, 2, KF_HTTP_BODY_LENGTH, 381, false, KF_EV_NONE },
	{ "resp-no-reason", false, "GET", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 0, NULL, NULL, 200, "",
	  1, 1, KF_HTTP_BODY_LENGTH, 0, false, KF_EV_NONE },
	{ "resp-empty-reason", false, "GET", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", 0, NULL, NULL, 200,
	  "", 1, 1, KF_HTTP_BODY_LENGTH, 0, false, KF_EV_NONE },
	{ "resp-until-close", false, "GET", "HTTP/1.1 200 OK\r\nServer: x\r\n\r\nbody...", 30, NULL, NULL,
	  200, "OK", 1, 1, KF_HTTP_BODY_UNTIL_CLOSE, 0, true, KF_EV_NONE },
	{ "resp-head", false, "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", 0, NULL, NULL, 200,
	  "OK", 1, 1, KF_HTTP_BODY_NONE, 1234, false, KF_EV_NONE },
	{ "resp-204", false, "GET", "HTTP/1.1 204 No Content\r\n\r\n", 0, NULL, NULL, 204, "No Content", 1, 0,
	  KF_HTTP_BODY_NONE, 0, false, KF_EV_NONE },
	{ "resp-304", false, "GET", "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
	  NULL, NULL, 304, "Not Modified", 1, 1, KF_HTTP_BODY_NONE, 0, false, KF_EV_NONE },
	{ "resp-100", false, "POST", "HTTP/1.1 100 Continue\r\n\r\n", 0, NULL, NULL, 100, "Continue", 1, 0,
	  KF_HTTP_BODY_NONE, 0, false, KF_EV_NONE },
	{ "resp-connect-200", false, "CONNECT", "HTTP/1.1 200 Connection established\r\n\r\n", 0, NULL, NULL,
	  200, "Connection established", 1, 0, KF_HTTP_BODY_NONE, 0, false, KF_EV_NONE },
	{ "resp-connect-407", false, "CONNECT",
	  "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Negotiate\r\nContent-Length: "
	  "3\r\n\r\n",
	  0, NULL, NULL, 407, "Proxy Authentication Required", 1, 2, KF_HTTP_BODY_LENGTH, 3, false,
	  KF_EV_NONE },
	{ "resp-chunked", false, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, NULL,
	  NULL, 200, "OK", 1, 1, KF_HTTP_BODY_CHUNKED, 0, false, KF_EV_NONE },
	{ "resp-te-gzip", false, "GET", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 0,
	  NULL, NULL, 200, "OK", 1, 1, KF_HTTP_BODY_UNTIL_CLOSE, 0, true, KF_EV_NONE },
	{ "resp-cl+te", false, "GET",
	  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 7\r\n\r\n", 0, NULL, NULL, 200,
	  "OK", 1, 2, KF_HTTP_BODY_CHUNKED, 7, true, KF_EV_HTTP_LENGTH_AND_CHUNKED },
	{ "resp-10", false, "GET", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", 38, NULL, NULL, 200,
	  "OK", 0, 1, KF_HTTP_BODY_LENGTH, 2, true, KF_EV_NONE },
	{ "resp-999", false, "GET", "HTTP/1.1 999 Odd\r\nContent-Length: 0\r\n\r\n", 0, NULL, NULL, 999,
	  "Odd", 1, 1, KF_HTTP_BODY_LENGTH, 0, false, KF_EV_NONE },
	{ "resp-obs-text-reason", false, "GET", "HTTP/1.1 200 \xc3\x9c\tok\r\nContent-Length: 0\r\n\r\n", 0,
	  NULL, NULL, 200, "\xc3\x9c\tok", 1, 1, KF_HTTP_BODY_LENGTH, 0, false, KF_EV_NONE },
	{ "resp-head-bad-cl", false, "HEAD", "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 0, NULL, NULL,
	  200, "OK", 1, 1, KF_HTTP_BODY_NONE, 0, false, KF_EV_HTTP_BAD_LENGTH },
};
#define N_VALID (sizeof valid / sizeof valid[0])

static size_t valid_len(const struct valid *v) { return strlen(v->text); }

static void check_valid(const struct valid *v, long r, const struct kf_http_head *h,
			const struct kf_events *ev, const uint8_t *base)
{
	long want = v->ret ? v->ret : (long)valid_len(v);
	ck_assert_msg(r == want, "%s: ret %ld want %ld", v->name, r, want);
	ck_assert_msg(h->is_request == v->req, "%s", v->name);
	if (v->req) {
		ck_assert_msg(span_is(h->method, v->method), "%s: method", v->name);
		ck_assert_msg(span_is(h->uri, v->uri), "%s: uri", v->name);
		ck_assert(h->method.p >= base &&
			  h->uri.p + h->uri.n <= base + (size_t)r); /* into the input */
	} else {
		ck_assert_int_eq(h->status, v->status);
		ck_assert_msg(span_is(h->reason, v->reason), "%s: reason '%.*s'", v->name, (int)h->reason.n,
			      (const char *)h->reason.p);
	}
	ck_assert_int_eq(h->minor_version, v->minor);
	ck_assert_msg(h->n_headers == v->n_headers, "%s: %zu headers", v->name, h->n_headers);
	ck_assert_msg(h->body == v->body, "%s: body %d", v->name, h->body);
	ck_assert_msg(h->content_length == v->content_length, "%s: cl", v->name);
	ck_assert_msg(h->connection_close == v->close, "%s: close", v->name);
	ck_assert(!h->headers_truncated);
	if (v->ev == KF_EV_NONE)
		ck_assert_msg(ev->n == 0, "%s: %u events (first %s)", v->name, ev->n,
			      kf_event_code(ev->ev[0]));
	else
		ck_assert_msg(ev->n == 1 && ev->ev[0] == v->ev, "%s: events", v->name);
	for (size_t i = 0; i < h->n_headers; i++) {
		const struct kf_http_header *hd = &h->headers[i];
		ck_assert(hd->name.p >= base && hd->name.p + hd->name.n <= base + (size_t)r);
		ck_assert(hd->value.n == 0 ||
			  (hd->value.p >= base && hd->value.p + hd->value.n <= base + (size_t)r));
		ck_assert(hd->value.n == 0 || (hd->value.p[0] != ' ' && hd->value.p[hd->value.n - 1] != ' '));
	}
}

START_TEST(t_valid)
{
	const struct valid *v = &valid[_i];
	size_t n = valid_len(v);
	uint8_t *buf = malloc(n);
	memcpy(buf, v->text, n);
	struct kf_http_head h;
	struct kf_events ev = { 0 };
	long r = parse(v->req, v->req_method, kf_span_make(buf, n), &h, &ev);
	check_valid(v, r, &h, &ev, buf);
	free(buf);
}
END_TEST

/* Every split point: the prefix is NEED_MORE (no events), prefix + rest gives
 * the same result as the whole.  Prefixes live in exact-size heap buffers so
 * ASan catches a read past them. */
START_TEST(t_valid_split)
{
	const struct valid *v = &valid[_i];
	size_t n = valid_len(v);
	long want = v->ret ? v->ret : (long)n;
	for (size_t k = 0; k < (size_t)want; k++) {
		uint8_t *buf = malloc(k ? k : 1);
		memcpy(buf, v->text, k);
		struct kf_http_head h;
		struct kf_events ev = { 0 };
		long r = parse(v->req, v->req_method, kf_span_make(buf, k), &h, &ev);
		ck_assert_msg(r == KF_HTTP_NEED_MORE, "%s: prefix %zu gave %ld", v->name, k, r);
		ck_assert_uint_eq(ev.n, 0);
		free(buf);
	}
	for (size_t k = (size_t)want; k <= n; k++) {
		uint8_t *buf = malloc(k);
		memcpy(buf, v->text, k);
		struct kf_http_head h;
		struct kf_events ev = { 0 };
		long r = parse(v->req, v->req_method, kf_span_make(buf, k), &h, &ev);
		check_valid(v, r, &h, &ev, buf);
		free(buf);
	}
}
END_TEST

START_TEST(t_header_find)
{
	const char *t = "GET / HTTP/1.1\r\nHost: a\r\nX-Dup: 1\r\nhOsT: b\r\nx-dup: 2\r\n\r\n";
	struct kf_http_head h;
	struct kf_events ev = { 0 };
	ck_assert_int_eq(kf_http_parse_request(str_span(t), &h, &ev), (long)strlen(t));
	const struct kf_http_header *hd = kf_http_header_find(&h, "HOST", 0);
	ck_assert_ptr_nonnull(hd);
	ck_assert(span_is(hd->value, "a"));
	hd = kf_http_header_find(&h, "host", 1);
	ck_assert_ptr_nonnull(hd);
	ck_assert(span_is(hd->value, "b"));
	ck_assert(span_is(hd->name, "hOsT"));
	ck_assert_ptr_null(kf_http_header_find(&h, "host", 2));
	ck_assert(span_is(kf_http_header_find(&h, "X-DUP", 1)->value, "2"));
	ck_assert_ptr_null(kf_http_header_find(&h, "Hos", 0));
	ck_assert_ptr_null(kf_http_header_find(&h, "Hostt", 0));
	/* the folded value spans the fold; its bytes stay in place */
	const char *f = "GET / HTTP/1.1\r\nX: a\r\n\t b\r\n\r\n";
	ck_assert_int_eq(kf_http_parse_request(str_span(f), &h, &ev), (long)strlen(f));
	ck_assert(span_is(kf_http_header_find(&h, "x", 0)->value, "a\r\n\t b"));
	const char *g = "GET / HTTP/1.1\r\nX:\r\n  b \r\n\r\n";
	ck_assert_int_eq(kf_http_parse_request(str_span(g), &h, &ev), (long)strlen(g));
	ck_assert(span_is(kf_http_header_find(&h, "x", 0)->value, "b"));
}
END_TEST

/* -------------------------------------------------------- malformed heads */

struct bad {
	const char *name;
	bool req;
	const char *text;
	size_t len; /* 0: strlen */
	long ret;   /* KF_HTTP_ERROR, or a head length for a success with an event */
	enum kf_event ev;
};

static const struct bad bad[] = {
	{ "cl+te", true, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 0, 66,
	  KF_EV_HTTP_LENGTH_AND_CHUNKED },
	{ "cl-uint64-max", true, "POST / HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n", 0,
	  KF_HTTP_ERROR, KF_EV_HTTP_BAD_LENGTH },
	{ "cl-uint64-max+1", true, "POST / HTTP/1.1\r\nContent-Length: 18446744073709551616\r\n\r\n", 0,
	  KF_HTTP_ERROR, KF_EV_HTTP_BAD_LENGTH },
	{ "cl-2^63", true, "POST / HTTP/1.1\r\nContent-Length: 9223372036854775808\r\n\r\n", 0, KF_HTTP_ERROR,
	  KF_EV_HTTP_BAD_LENGTH },
	{ "cl-huge", false,
	  "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999999999999999999\r\n\r\n", 0,
	  KF_HTTP_ERROR, KF_EV_HTTP_BAD_LENGTH },
	{ "cl-differs", true, "POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", 0,
	  KF_HTTP_ERROR, KF_EV_HTTP_BAD_LENGTH },
	{ "cl-list-differs", false, "HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n", 0, KF_HTTP_ERROR,
	  KF_EV_HTTP_BAD_LENGTH },
	{ "cl-negative", true, "POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 0, KF_HTTP_ERROR,
	  KF_EV_HTTP_BAD_LENGTH },
	{ "cl-plus", true, "POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n", 0, KF_HTTP_ERROR,
	  KF_EV_HTTP_BAD_LENGTH },
	{ "cl-hex", true, "POST / HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n", 0, KF_HTTP_ERROR,
	  KF_EV_HTTP_BAD_LENGTH },
	{ "cl-space-inside", true, "POST / HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n", 0, KF_HTTP_ERROR,
	  KF_EV_HTTP_BAD_LENGTH },
	{ "cl-empty", true, "POST / HTTP/1.1\r\nContent-Length:\r\n\r\n", 0, KF_HTTP_ERROR,
	  KF_EV_HTTP_BAD_LENGTH },
	{ "te-not-final-request", true, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 0,
	  KF_HTTP_ERROR, KF_EV_HTTP_BAD_LENGTH },
	{ "no-colon", true, "GET / HTTP/1.1\r\nHost web\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "space-before-colon", true, "GET / HTTP/1.1\r\nHost : web\r\n\r\n", 0, KF_HTTP_ERROR,
	  KF_EV_HTTP_MALFORMED },
	{ "tab-before-colon", false, "HTTP/1.1 200 OK\r\nContent-Length\t: 0\r\n\r\n", 0, KF_HTTP_ERROR,
	  KF_EV_HTTP_MALFORMED },
	{ "empty-name", true, "GET / HTTP/1.1\r\n: x\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "nul-in-value", true, "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 27, KF_HTTP_ERROR,
	  KF_EV_HTTP_MALFORMED },
	{ "nul-in-uri", true, "GET /\0 HTTP/1.1\r\n\r\n", 19, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "nul-in-method", true, "G\0T / HTTP/1.1\r\n\r\n", 18, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "nul-in-reason", false, "HTTP/1.1 200 O\0K\r\n\r\n", 20, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "bare-cr-value", true, "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 0, KF_HTTP_ERROR,
	  KF_EV_HTTP_MALFORMED },
	{ "del-in-value", true, "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 0, KF_HTTP_ERROR,
	  KF_EV_HTTP_MALFORMED },
	{ "status-099", false, "HTTP/1.1 099 Low\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "status-000", false, "HTTP/1.1 000 Zero\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "status-2digit", false, "HTTP/1.1 20 OK\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "status-4digit", false, "HTTP/1.1 2000 OK\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "status-alpha", false, "HTTP/1.1 2x0 OK\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "resp-http2", false, "HTTP/2.0 200 OK\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "resp-lowercase", false, "http/1.1 200 OK\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "resp-no-space", false, "HTTP/1.1200 OK\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "http2-preface", true, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "http09", true, "GET /\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "version-junk", true, "GET / HTTP/1.1x\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "version-short", true, "GET / HTTP/1.\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "no-uri", true, "GET  HTTP/1.1\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "method-bad-char", true, "GE(T / HTTP/1.1\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "leading-space", true, " GET / HTTP/1.1\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "fold-first", true, "GET / HTTP/1.1\r\n Host: x\r\n\r\n", 0, KF_HTTP_ERROR, KF_EV_HTTP_MALFORMED },
	{ "binary", true, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n", 12, KF_HTTP_ERROR,
	  KF_EV_HTTP_MALFORMED },
	{ "cr-only-line", true, "GET / HTTP/1.1\r\nHost: x\r\n\r\r\n", 0, KF_HTTP_ERROR,
	  KF_EV_HTTP_MALFORMED },
};
#define N_BAD (sizeof bad / sizeof bad[0])

START_TEST(t_bad)
{
	const struct bad *b = &bad[_i];
	size_t n = b->len ? b->len : strlen(b->text);
	uint8_t *buf = malloc(n);
	memcpy(buf, b->text, n);
	struct kf_http_head h;
	struct kf_events ev = { 0 };
	long r = parse(b->req, "GET", kf_span_make(buf, n), &h, &ev);
	ck_assert_msg(r == b->ret, "%s: ret %ld", b->name, r);
	ck_assert_msg(has_event(&ev, b->ev), "%s: event %s missing (%u events)", b->name,
		      kf_event_code(b->ev), ev.n);
	/* every prefix: need-more or the same verdict, never a crash or an overread */
	for (size_t k = 0; k < n; k++) {
		uint8_t *p = malloc(k ? k : 1);
		memcpy(p, b->text, k);
		struct kf_events ev2 = { 0 };
		long r2 = parse(b->req, "GET", kf_span_make(p, k), &h, &ev2);
		ck_assert_msg(r2 == KF_HTTP_NEED_MORE || r2 == KF_HTTP_ERROR || r2 == b->ret, "%s/%zu: %ld",
			      b->name, k, r2);
		free(p);
	}
	free(buf);
}
END_TEST

/* Many headers: the first KF_LIMIT_HTTP_HEADERS kept, the rest still framed. */
START_TEST(t_too_many_headers)
{
	size_t cap = 16384, n = 0;
	char *t = malloc(cap);
	n += (size_t)snprintf(t + n, cap - n, "HTTP/1.1 200 OK\r\n");
	for (int i = 0; i < 130; i++)
		n += (size_t)snprintf(t + n, cap - n, "X-H%d: v%d\r\n", i, i);
	n += (size_t)snprintf(t + n, cap - n, "Content-Length: 12\r\n\r\n");
	struct kf_http_head h;
	struct kf_events ev = { 0 };
	long r = kf_http_parse_response(kf_span_make(t, n), str_span("GET"), &h, &ev);
	ck_assert_int_eq(r, (long)n);
	ck_assert_uint_eq(h.n_headers, KF_LIMIT_HTTP_HEADERS);
	ck_assert(h.headers_truncated);
	ck_assert(has_event(&ev, KF_EV_HTTP_TOO_MANY_HEADERS));
	ck_assert_uint_eq(ev.n, 1);
	ck_assert_int_eq(h.body, KF_HTTP_BODY_LENGTH);
	ck_assert_uint_eq(h.content_length, 12);
	ck_assert(span_is(h.headers[127].name, "X-H127"));
	ck_assert_uint_eq(h.header_bytes, n);
	free(t);
}
END_TEST

/* A 300 KiB block: too big whether or not its end has arrived; a block of
 * exactly the cap still parses. */
START_TEST(t_header_block_cap)
{
	size_t big = 300u << 10;
	char *t = malloc(big);
	size_t n = (size_t)snprintf(t, big, "GET / HTTP/1.1\r\n");
	while (n + 40 < big)
		n += (size_t)snprintf(t + n, big - n, "X-Filler: %026zu\r\n", n);
	memcpy(t + n, "\r\n", 2);
	n += 2;
	struct kf_http_head h;
	struct kf_events ev = { 0 };
	ck_assert_int_eq(kf_http_parse_request(kf_span_make(t, n), &h, &ev), KF_HTTP_ERROR);
	ck_assert(has_event(&ev, KF_EV_HTTP_HEADER_TOO_BIG));
	kf_events_clear(&ev);
	ck_assert_int_eq(kf_http_parse_request(kf_span_make(t, n - 2), &h, &ev), KF_HTTP_ERROR);
	ck_assert(has_event(&ev, KF_EV_HTTP_HEADER_TOO_BIG));
	kf_events_clear(&ev);
	ck_assert_int_eq(kf_http_parse_request(kf_span_make(t, KF_LIMIT_HTTP_HEADER_BLOCK - 1), &h, &ev),
			 KF_HTTP_NEED_MORE);
	ck_assert_uint_eq(ev.n, 0);
	free(t);

	/* exactly KF_LIMIT_HTTP_HEADER_BLOCK bytes, ending in the empty line */
	size_t cap = KF_LIMIT_HTTP_HEADER_BLOCK;
	t = malloc(cap);
	n = (size_t)snprintf(t, cap, "GET / HTTP/1.1\r\nX: ");
	memset(t + n, 'a', cap - n - 4);
	memcpy(t + cap - 4, "\r\n\r\n", 4);
	kf_events_clear(&ev);
	ck_assert_int_eq(kf_http_parse_request(kf_span_make(t, cap), &h, &ev), (long)cap);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_uint_eq(kf_http_header_find(&h, "x", 0)->value.n, cap - n - 4);
	free(t);
}
END_TEST

/* ------------------------------------------------------------------ probes */

START_TEST(t_probes)
{
	static const char *const yes_req[] = {
		"GET / HTTP/1.1",   "HEAD /",  "POST /x", "PUT ",       "DELETE /",    "CONNECT h:443 ",
		"OPTIONS * ",       "TRACE /", "PATCH /", "PROPFIND /", "PROPPATCH /", "MKCOL /",
		"COPY /",           "MOVE /",  "LOCK /",  "UNLOCK /",   "SEARCH /",    "RPC_IN_DATA /rpc",
		"RPC_OUT_DATA /rpc"
	};
	static const char *const no_req[] = { "",
					      "GET",
					      "GET/",
					      "get / HTTP/1.1",
					      "GETS /",
					      "HTTP/1.1 200 OK",
					      "\x16\x03\x01",
					      "PRI * HTTP/2.0",
					      "RPC_IN_DATA",
					      " GET /" };
	for (size_t i = 0; i < sizeof yes_req / sizeof yes_req[0]; i++) {
		size_t n = strlen(yes_req[i]);
		uint8_t *p = malloc(n);
		memcpy(p, yes_req[i], n);
		ck_assert_msg(kf_http_probe_request(kf_span_make(p, n)), "%s", yes_req[i]);
		free(p);
	}
	for (size_t i = 0; i < sizeof no_req / sizeof no_req[0]; i++) {
		size_t n = strlen(no_req[i]);
		uint8_t *p = malloc(n ? n : 1);
		memcpy(p, no_req[i], n);
		ck_assert_msg(!kf_http_probe_request(kf_span_make(p, n)), "%s", no_req[i]);
		free(p);
	}
	ck_assert(kf_http_probe_response(str_span("HTTP/1.1 401 Unauthorized")));
	ck_assert(kf_http_probe_response(str_span("HTTP/1.0 200 ")));
	ck_assert(!kf_http_probe_response(str_span("HTTP/1.1")));
	ck_assert(!kf_http_probe_response(str_span("HTTP/2 200")));
	ck_assert(!kf_http_probe_response(str_span("HTTP/1.x 200")));
	ck_assert(!kf_http_probe_response(str_span("GET / HTTP/1.1")));
	ck_assert(!kf_http_probe_response(kf_span_make(NULL, 0)));
	/* only the first KF_LIMIT_PROBE_BYTES matter */
	const char *longreq = "RPC_OUT_DATA /rpc/rpcproxy.dll HTTP/1.1";
	ck_assert(kf_http_probe_request(kf_span_make(longreq, KF_LIMIT_PROBE_BYTES)));
}
END_TEST

/* ---------------------------------------------------- challenges/credentials */

struct chal {
	const char *value;
	size_t n;
	const char *scheme[4];
	const char *token[4];
};

static const struct chal chals[] = {
	{ "Negotiate", 1, { "Negotiate" }, { "" } },
	{ "Negotiate, NTLM", 2, { "Negotiate", "NTLM" }, { "", "" } },
	{ "Basic realm=\"a, b\", Negotiate", 2, { "Basic", "Negotiate" }, { "", "" } },
	{ "Digest realm=\"x\", qop=\"auth,auth-int\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", Negotiate",
	  2,
	  { "Digest", "Negotiate" },
	  { "", "" } },
	{ "Bearer realm=\"example\", error=\"invalid_token\", error_description=\"The access token expired\"",
	  1,
	  { "Bearer" },
	  { "" } },
	{ "Negotiate "
	  "oYG3MIG0oAMKAQChCwYJKoZIgvcSAQICooGfBIGcYIGZBgkqhkiG9xIBAgICAG+BiTCBhqADAgEFoQMCAQ+iejB4oAMCARKicQRv==",
	  1,
	  { "Negotiate" },
	  { "oYG3MIG0oAMKAQChCwYJKoZIgvcSAQICooGfBIGcYIGZBgkqhkiG9xIBAgICAG+BiTCBhqADAgEFoQMCAQ+iejB4oAMCARKicQRv="
	    "=" } },
	{ "Negotiate abc=, NTLM TlRMTVNTUAACAAAA",
	  2,
	  { "Negotiate", "NTLM" },
	  { "abc=", "TlRMTVNTUAACAAAA" } },
	{ "Newauth realm=\"apps\", type=1, title=\"Login to \\\"apps\\\"\", Basic realm=\"simple\"",
	  2,
	  { "Newauth", "Basic" },
	  { "", "" } },
	{ "Basic realm=simple,Kerberos", 2, { "Basic", "Kerberos" }, { "", "" } },
	{ "  ,, Negotiate ,  , NTLM ,", 2, { "Negotiate", "NTLM" }, { "", "" } },
	{ "Basic realm = \"spaced\" , Negotiate", 2, { "Basic", "Negotiate" }, { "", "" } },
	{ "Negotiate\r\n\tabc==", 1, { "Negotiate" }, { "abc==" } }, /* obs-fold inside the value */
	{ "Basic realm=\"unterminated, Negotiate", 1, { "Basic" }, { "" } },
	{ "Negotiate a!b, NTLM", 2, { "Negotiate", "NTLM" }, { "", "" } },
	{ "Negotiate\"x\", NTLM", 1, { "NTLM" }, { "" } },
	{ "", 0, { NULL }, { NULL } },
	{ ", ,", 0, { NULL }, { NULL } },
	{ "=x, Negotiate", 1, { "Negotiate" }, { "" } },
	{ "Digest realm=\"a\\\\\", Negotiate", 2, { "Digest", "Negotiate" }, { "", "" } },
};
#define N_CHALS (sizeof chals / sizeof chals[0])

START_TEST(t_challenges)
{
	const struct chal *c = &chals[_i];
	size_t n = strlen(c->value);
	uint8_t *buf = malloc(n ? n : 1);
	memcpy(buf, c->value, n);
	struct kf_http_auth a[KF_LIMIT_HTTP_CHALLENGES];
	size_t got = kf_http_auth_challenges(kf_span_make(buf, n), a, KF_LIMIT_HTTP_CHALLENGES);
	ck_assert_msg(got == c->n, "'%s': %zu challenges", c->value, got);
	for (size_t i = 0; i < got; i++) {
		ck_assert_msg(span_is(a[i].scheme, c->scheme[i]), "'%s' #%zu scheme '%.*s'", c->value, i,
			      (int)a[i].scheme.n, (const char *)a[i].scheme.p);
		ck_assert_msg(span_is(a[i].token, c->token[i]), "'%s' #%zu token '%.*s'", c->value, i,
			      (int)a[i].token.n, (const char *)a[i].token.p);
	}
	/* the cap is respected */
	if (c->n > 1)
		ck_assert_uint_eq(kf_http_auth_challenges(kf_span_make(buf, n), a, 1), 1);
	/* prefixes: no overread, never more challenges than the whole */
	for (size_t k = 0; k < n; k++) {
		uint8_t *p = malloc(k ? k : 1);
		memcpy(p, c->value, k);
		ck_assert(kf_http_auth_challenges(kf_span_make(p, k), a, KF_LIMIT_HTTP_CHALLENGES) <=
			  c->n + 1);
		free(p);
	}
	free(buf);
}
END_TEST

struct cred {
	const char *value;
	bool ok;
	const char *scheme, *token;
};

static const struct cred creds[] = {
	{ "Negotiate "
	  "YIIC3AYGKwYBBQUCoIIC0DCCAsygMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHgYKKwYBBAGCNwICCg==",
	  true, "Negotiate",
	  "YIIC3AYGKwYBBQUCoIIC0DCCAsygMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAgYKKwYBBAGCNwICHgYKKwYBBAGCNwICCg==" },
	{ "NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==", true, "NTLM",
	  "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==" },
	{ "Negotiate", true, "Negotiate", "" },
	{ "  Kerberos   abc  ", true, "Kerberos", "abc" },
	{ "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", uri=\"/dir/index.html\"", true,
	  "Digest", "" },
	{ "Basic dXNlcjpwYXNz", true, "Basic", "dXNlcjpwYXNz" },
	{ "Negotiate abc def", false, "Negotiate", "" },
	{ "Negotiate abc=def", true, "Negotiate", "" }, /* auth-param abc=def, no token68 */
	{ "", false, "", "" },
	{ "   ", false, "", "" },
	{ "\"Negotiate\" abc", false, "", "" },
	{ "Negotiate, NTLM", false, "Negotiate", "" },
	{ "Negotiate YII/+abc==xyz", false, "Negotiate", "" },
};
#define N_CREDS (sizeof creds / sizeof creds[0])

START_TEST(t_credentials)
{
	const struct cred *c = &creds[_i];
	size_t n = strlen(c->value);
	uint8_t *buf = malloc(n ? n : 1);
	memcpy(buf, c->value, n);
	struct kf_http_auth a;
	bool ok = kf_http_auth_credentials(kf_span_make(buf, n), &a);
	ck_assert_msg(ok == c->ok, "'%s': %d", c->value, ok);
	ck_assert_msg(span_is(a.scheme, c->scheme), "'%s': scheme", c->value);
	if (ok)
		ck_assert_msg(span_is(a.token, c->token), "'%s': token '%.*s'", c->value, (int)a.token.n,
			      (const char *)a.token.p);
	for (size_t k = 0; k < n; k++) {
		uint8_t *p = malloc(k ? k : 1);
		memcpy(p, c->value, k);
		(void)kf_http_auth_credentials(kf_span_make(p, k), &a);
		free(p);
	}
	free(buf);
}
END_TEST

/* ------------------------------------------------------------------ chunked */

struct chunk_case {
	const char *name;
	const char *body; /* chunked body, possibly followed by the next message */
	long consumed;    /* -1: all of it */
	bool done, error;
};

static const struct chunk_case chunks[] = {
	{ "simple", "5\r\nhello\r\n0\r\n\r\n", -1, true, false },
	{ "two+next", "3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n", 28, true, false },
	{ "ext", "5;name=val;q=\"x y\"\r\nhello\r\n0;last\r\n\r\n", -1, true, false },
	{ "ext-bws", "5 ; name = val\r\nhello\r\n0\r\n\r\n", -1, true, false },
	{ "trailers", "1\r\nx\r\n0\r\nExpires: never\r\nX-T: 1\r\n\r\n", -1, true, false },
	{ "bare-lf", "2\nhi\n0\n\n", -1, true, false },
	{ "upper-hex", "1F\r\n0123456789abcdef0123456789abcde\r\n0\r\n\r\n", -1, true, false },
	{ "leading-zeros", "00000002\r\nhi\r\n000\r\n\r\n", -1, true, false },
	{ "max-size", "ffffffffffffffff\r\nabc", -1, false, false },
	{ "incomplete", "5\r\nhel", -1, false, false },
	{ "no-final-empty-line", "0\r\n", -1, false, false },
	{ "overflow", "10000000000000000\r\n", 16, false, true },
	{ "overflow-long", "fffffffffffffffffffff\r\n", 16, false, true },
	{ "no-digits", "\r\nabc", 0, false, true },
	{ "ext-only", ";x\r\n", 0, false, true },
	{ "not-hex", "5g\r\nhello\r\n", 1, false, true },
	{ "negative", "-5\r\n", 0, false, true },
	{ "data-too-long", "2\r\nabc\r\n0\r\n\r\n", 5, false, true },
	{ "cr-without-lf", "2\r\nab\rx", 6, false, true },
	{ "size-cr-junk", "2\rab", 2, false, true },
	{ "final-cr-junk", "0\r\n\rX", 4, false, true },
	{ "nul-in-ext", "1;a\0\r\nx\r\n0\r\n\r\n", 3, false, true },
};
#define N_CHUNKS (sizeof chunks / sizeof chunks[0])

static size_t chunk_len(const struct chunk_case *c)
{
	if (strcmp(c->name, "nul-in-ext") == 0)
		return 15;
	return strlen(c->body);
}

START_TEST(t_chunked)
{
	const struct chunk_case *c = &chunks[_i];
	size_t n = chunk_len(c);
	size_t want = c->consumed < 0 ? n : (size_t)c->consumed;
	uint8_t *buf = malloc(n);
	memcpy(buf, c->body, n);

	/* in one piece */
	struct kf_http_chunked ch;
	struct kf_events ev = { 0 };
	bool done = false;
	kf_http_chunked_init(&ch);
	size_t used = kf_http_chunked_feed(&ch, kf_span_make(buf, n), &done, &ev);
	ck_assert_msg(used == want, "%s: used %zu want %zu", c->name, used, want);
	ck_assert_msg(done == c->done, "%s: done", c->name);
	ck_assert_msg(ch.error == c->error, "%s: error", c->name);
	ck_assert_msg(has_event(&ev, KF_EV_HTTP_BAD_CHUNK) == c->error && ev.n == (c->error ? 1 : 0), "%s",
		      c->name);
	/* after the end or an error, nothing more is taken, no new event */
	if (c->done || c->error) {
		size_t again = kf_http_chunked_feed(&ch, kf_span_make(buf, n), &done, &ev);
		ck_assert_uint_eq(again, 0);
		ck_assert(done == c->done);
		ck_assert_uint_eq(ev.n, c->error ? 1 : 0);
	}

	/* one byte at a time, each in its own exact-size buffer: same verdict */
	kf_http_chunked_init(&ch);
	kf_events_clear(&ev);
	size_t total = 0;
	done = false;
	for (size_t k = 0; k < n && !done && !ch.error; k++) {
		uint8_t *p = malloc(1);
		p[0] = buf[k];
		total += kf_http_chunked_feed(&ch, kf_span_make(p, 1), &done, &ev);
		free(p);
	}
	ck_assert_msg(total == want, "%s: bytewise used %zu", c->name, total);
	ck_assert(done == c->done);
	ck_assert(ch.error == c->error);

	/* split in two at every point */
	for (size_t k = 0; k <= n; k++) {
		kf_http_chunked_init(&ch);
		kf_events_clear(&ev);
		uint8_t *a = malloc(k ? k : 1), *b = malloc(n - k ? n - k : 1);
		memcpy(a, buf, k);
		memcpy(b, buf + k, n - k);
		size_t u = kf_http_chunked_feed(&ch, kf_span_make(a, k), &done, &ev);
		if (!done && !ch.error)
			u += kf_http_chunked_feed(&ch, kf_span_make(b, n - k), &done, &ev);
		ck_assert_msg(u == want && done == c->done && ch.error == c->error, "%s split %zu", c->name,
			      k);
		free(a);
		free(b);
	}
	free(buf);
}
END_TEST

START_TEST(t_chunked_limits)
{
	/* a size line (digits + extensions) longer than KF_LIMIT_HTTP_CHUNK_LINE */
	size_t n = KF_LIMIT_HTTP_CHUNK_LINE + 16;
	uint8_t *buf = malloc(n);
	buf[0] = '1';
	buf[1] = ';';
	memset(buf + 2, 'a', n - 2);
	struct kf_http_chunked ch;
	struct kf_events ev = { 0 };
	bool done;
	kf_http_chunked_init(&ch);
	size_t used = kf_http_chunked_feed(&ch, kf_span_make(buf, n), &done, &ev);
	ck_assert(ch.error);
	ck_assert(!done);
	ck_assert_uint_eq(used, KF_LIMIT_HTTP_CHUNK_LINE);
	ck_assert(has_event(&ev, KF_EV_HTTP_BAD_CHUNK));
	/* leading zeros alone can also make the line too long */
	memset(buf, '0', n);
	kf_http_chunked_init(&ch);
	kf_events_clear(&ev);
	(void)kf_http_chunked_feed(&ch, kf_span_make(buf, n), &done, &ev);
	ck_assert(ch.error);
	free(buf);

	/* a huge chunk is counted, not buffered: 2^40 bytes announced, 3 fed */
	const char *h = "10000000000\r\nabc";
	kf_http_chunked_init(&ch);
	kf_events_clear(&ev);
	used = kf_http_chunked_feed(&ch, str_span(h), &done, &ev);
	ck_assert_uint_eq(used, strlen(h));
	ck_assert_uint_eq(ch.remaining, (1ull << 40) - 3);
	ck_assert(!done && !ch.error);
}
END_TEST

/* ----------------------------------------------------------- real captures */

/* BEGIN real heads: generated by tshark follow,tcp,raw from samples/web-*.pcap; one message each
 * (head + body); expectations read independently from the bytes. */
struct real_head {
	const char *name;
	bool req;
	const char *req_method;
	const char *hex;
	size_t head_len;
	const char *method, *uri, *host;
	int status;
	enum kf_http_body body;
	uint64_t content_length;
	const char *auth_scheme;
	size_t token_len;
	size_t n_challenges; /* responses: schemes in all WWW-Authenticate headers */
};

static const struct real_head real_heads[] = {
	{ "401first-get (web-healthy-401first.pcap client #0)", true, NULL,
	  "474554202f20485454502f312e310d0a486f73743a207765622e6c61622e746573740d0a557365722d4167656e743a20"
	  "6375726c2f372e38382e310d0a4163636570743a202a2f2a0d0a0d0a",
	  76, "GET", "/", "web.lab.test", 0, KF_HTTP_BODY_NONE, 0, "", 0, 0 },
	{ "401first-401 (web-healthy-401first.pcap server #0)", false, "GET",
	  "485454502f312e312034303120556e617574686f72697a65640d0a446174653a2053756e2c203232204e6f7620323032"
	  "362030343a35333a353320474d540d0a5365727665723a204170616368652f322e342e3731202844656269616e29206d"
	  "6f645f617574685f6773736170692f312e362e340d0a5757572d41757468656e7469636174653a204e65676f74696174"
	  "650d0a436f6e74656e742d4c656e6774683a203432310d0a436f6e74656e742d547970653a20746578742f68746d6c3b"
	  "20636861727365743d69736f2d383835392d310d0a0d0a3c21444f43545950452048544d4c205055424c494320222d2f"
	  "2f5733432f2f4454442048544d4c20342e30312f2f454e222022687474703a2f2f7777772e77332e6f72672f54522f68"
	  "746d6c342f7374726963742e647464223e0a3c68746d6c3e3c686561643e0a3c7469746c653e34303120556e61757468"
	  "6f72697a65643c2f7469746c653e0a3c2f686561643e3c626f64793e0a3c68313e556e617574686f72697a65643c2f68"
	  "313e0a3c703e546869732073657276657220636f756c64206e6f7420766572696679207468617420796f750a61726520"
	  "617574686f72697a656420746f206163636573732074686520646f63756d656e740a7265717565737465642e20204569"
	  "7468657220796f7520737570706c696564207468652077726f6e670a63726564656e7469616c732028652e672e2c2062"
	  "61642070617373776f7264292c206f7220796f75720a62726f7773657220646f65736e277420756e6465727374616e64"
	  "20686f7720746f20737570706c790a7468652063726564656e7469616c732072657175697265642e3c2f703e0a3c2f62"
	  "6f64793e3c2f68746d6c3e0a",
	  215, "", "", "", 401, KF_HTTP_BODY_LENGTH, 421, "Negotiate", 0, 1 },
	{ "401first-get-negotiate (web-healthy-401first.pcap client #1)", true, NULL,
	  "474554202f20485454502f312e310d0a486f73743a207765622e6c61622e746573740d0a417574686f72697a6174696f"
	  "6e3a204e65676f74696174652059494943377759474b775942425155436f494943347a434341742b674454414c42676b"
	  "71686b69473978494241674b6967674c4d42494943794743434173514743537147534962334567454341674541626f49"
	  "43737a434341712b6741774942426145444167454f6f67634442514167414141416f344942796d474341635977676748"
	  "436f414d434151576843687349544546434c6c524655315369487a41646f414d4341514f68466a415547775249564652"
	  "51477778335a574975624746694c6e526c6333536a6767474d4d494942694b4144416745536f514d4341514b69676746"
	  "3642494942646f497170657a6454394c395464574e48756436474f752b526866727335426d4e77687177306773535755"
	  "3532777139674f734e4a59784b45782f714173332b47384873696364764b7a4643724c4e4a484c7939534c50792b372b"
	  "552f30476c6477584c4654496637444b3363313368533033532b2f2b6269383870744f4b2b71717a4f506b4856352f53"
	  "6348443369627945317943504c714b74702b6434422f526a74776b76746a62775a2f696f6b5362715737784743686833"
	  "5a754841614c52494346475a65417337315951415866314e4375454d6c6436764d39564a554c52455961794a6b4e6d79"
	  "3558614a4a6d33716c55424a4d4d4478396b5132746633595137536476314d647477573550594d736f73336c564f3338"
	  "695562796a4163735a6158622f7271502f5157776d6d747a477764514932765249624d703377374971615a7271674876"
	  "713435414d766e616452664d756872632b473448723373354533626c44334d666334382b743732575246756f44487845"
	  "39792b3463354d6154376270654870755079396f4e6956495a57706c5a68424b51576b696e336856796e77584931656f"
	  "74756f6370774e564b74525874314e566a702f732b43455a50496466437156677451327359517357496466504746775a"
	  "46732f46776877654a7a7062437273494b694f4732397067387049484c4d4948496f414d4341524b6967634145676232"
	  "6d556d6672426f74704e3162336c473559326c665838435568497452504c6450494530754e624a497357355358487145"
	  "4a576b61486354587575345366684b694b2f52433042686a59655552774a766d624a5067792f57596841416f3965655a"
	  "5068653944654b7043477a586d376a38304e5038474567324d73396a502f4234566e4754324b36795861566e39514658"
	  "65427868583263334c7278774f36627971706750584f697754334c44714834616c5a7859636b53393845456f79524d78"
	  "544833453837716345302b3554775442795935363834457666314137614e6c51784a4c55774b442b2f4e585839694d48"
	  "77704a4b434b716b724e53303d0d0a557365722d4167656e743a206375726c2f372e38382e310d0a4163636570743a20"
	  "2a2f2a0d0a0d0a",
	  1111, "GET", "/", "web.lab.test", 0, KF_HTTP_BODY_NONE, 0, "Negotiate", 1008, 0 },
	{ "401first-200-mutual (web-healthy-401first.pcap server #1)", false, "GET",
	  "485454502f312e3120323030204f4b0d0a446174653a2053756e2c203232204e6f7620323032362030343a35333a3533"
	  "20474d540d0a5365727665723a204170616368652f322e342e3731202844656269616e29206d6f645f617574685f6773"
	  "736170692f312e362e340d0a5757572d41757468656e7469636174653a204e65676f7469617465206f5947334d494730"
	  "6f414d4b415143684377594a4b6f5a4968766353415149436f6f4766424947635949475a42676b71686b694739784942"
	  "4167494341472b426954434268714144416745466f514d4341512b69656a42346f414d4341524b6963515276452f4939"
	  "524337746d347473774171644c71746d656b6231387a5043725342355a33714f683730332b314e42317a61444f387975"
	  "46673035334254512f734b5a4664634a6169414b3531446350514d445841326c344765516a5a4f306d4356772f52586d"
	  "2f4441356d5759736a77417231572b654a386e3646476d515431364d4377504a6f496c6133393379724f435067556c4a"
	  "0d0a4c6173742d4d6f6469666965643a2053756e2c203232204e6f7620323032362030343a35333a353320474d540d0a"
	  "455461673a20572f2231382d36363064363433386666663238220d0a4163636570742d52616e6765733a206279746573"
	  "0d0a436f6e74656e742d4c656e6774683a2032340d0a0d0a68656c6c6f2066726f6d207765622e6c61622e746573740a",
	  504, "", "", "", 200, KF_HTTP_BODY_LENGTH, 24, "Negotiate", 248, 1 },
	{ "ntlm-fallback-401-two-schemes (web-ntlm-fallback.pcap server #0)", false, "GET",
	  "485454502f312e312034303120556e617574686f72697a65640d0a446174653a2053756e2c203232204e6f7620323032"
	  "362030343a35343a303620474d540d0a5365727665723a204170616368652f322e342e3731202844656269616e29206d"
	  "6f645f617574685f6773736170692f312e362e340d0a5757572d41757468656e7469636174653a204e65676f74696174"
	  "650d0a5757572d41757468656e7469636174653a204e544c4d0d0a436f6e74656e742d4c656e6774683a203432310d0a"
	  "436f6e74656e742d547970653a20746578742f68746d6c3b20636861727365743d69736f2d383835392d310d0a0d0a3c"
	  "21444f43545950452048544d4c205055424c494320222d2f2f5733432f2f4454442048544d4c20342e30312f2f454e22"
	  "2022687474703a2f2f7777772e77332e6f72672f54522f68746d6c342f7374726963742e647464223e0a3c68746d6c3e"
	  "3c686561643e0a3c7469746c653e34303120556e617574686f72697a65643c2f7469746c653e0a3c2f686561643e3c62"
	  "6f64793e0a3c68313e556e617574686f72697a65643c2f68313e0a3c703e546869732073657276657220636f756c6420"
	  "6e6f7420766572696679207468617420796f750a61726520617574686f72697a656420746f2061636365737320746865"
	  "20646f63756d656e740a7265717565737465642e202045697468657220796f7520737570706c69656420746865207772"
	  "6f6e670a63726564656e7469616c732028652e672e2c206261642070617373776f7264292c206f7220796f75720a6272"
	  "6f7773657220646f65736e277420756e6465727374616e6420686f7720746f20737570706c790a746865206372656465"
	  "6e7469616c732072657175697265642e3c2f703e0a3c2f626f64793e3c2f68746d6c3e0a",
	  239, "", "", "", 401, KF_HTTP_BODY_LENGTH, 421, "Negotiate", 0, 2 },
	{ "ntlm-fallback-get-ntlm-in-spnego (web-ntlm-fallback.pcap client #2)", true, NULL,
	  "474554202f20485454502f312e310d0a486f73743a20776562322e6c61622e746573740d0a417574686f72697a617469"
	  "6f6e3a204e65676f7469617465206f5949425054434341546d6741776f4241614b434152774567674559546c524d5456"
	  "4e545541414441414141414141414146674141414363414a7741574141414141594142674430414141414367414b4150"
	  "6f4141414145414151414241454141424141454141494151414146594b4b3467594341414141414141507a3153447a6b"
	  "4b324f4f4f4e355a6e756f673073584a5264454d4177797750793933764c6b46536e2f386f4241514141414141414150"
	  "62757259413965743042357a4f7537514656376b55414141414141514147414663415251424341414941466742584145"
	  "38415567424c41464d415641424241465141535142504145344141774145414859416251414741415141416741414141"
	  "634143414432377132415058726441516b414a4142494146514156414251414338416477426c414749414d6741754147"
	  "774159514269414334416441426c41484d41644141414141414141414141414577415151424341474541624142704147"
	  "4d415a514257414530416a4b57727a3837576569434f54716b4568365a4730714d534242414241414141533954685074"
	  "467642585141414141410d0a557365722d4167656e743a206375726c2f372e38382e310d0a4163636570743a202a2f2a"
	  "0d0a0d0a",
	  532, "GET", "/", "web2.lab.test", 0, KF_HTTP_BODY_NONE, 0, "Negotiate", 428, 0 },
	{ "portless-spn-401-krb-error (web-portless-spn.pcap server #1)", false, "GET",
	  "485454502f312e312034303120556e617574686f72697a65640d0a446174653a2053756e2c203232204e6f7620323032"
	  "362030343a35333a353620474d540d0a5365727665723a204170616368652f322e342e3731202844656269616e29206d"
	  "6f645f617574685f6773736170692f312e362e340d0a5757572d41757468656e7469636174653a204e65676f74696174"
	  "65206f58517763714144436745436f6d73456157426e42676b71686b69473978494241674944414835594d4661674177"
	  "4942426145444167456570424559447a49774d6a59784d5449794d4451314d7a55325771554641674d477144696d4177"
	  "494248366b4b4777684d5155497556455654564b6f664d42326741774942413645574d42516242456855564641624448"
	  "646c59693573595749756447567a64413d3d0d0a436f6e74656e742d4c656e6774683a203432310d0a436f6e74656e74"
	  "2d547970653a20746578742f68746d6c3b20636861727365743d69736f2d383835392d310d0a0d0a3c21444f43545950"
	  "452048544d4c205055424c494320222d2f2f5733432f2f4454442048544d4c20342e30312f2f454e222022687474703a"
	  "2f2f7777772e77332e6f72672f54522f68746d6c342f7374726963742e647464223e0a3c68746d6c3e3c686561643e0a"
	  "3c7469746c653e34303120556e617574686f72697a65643c2f7469746c653e0a3c2f686561643e3c626f64793e0a3c68"
	  "313e556e617574686f72697a65643c2f68313e0a3c703e546869732073657276657220636f756c64206e6f7420766572"
	  "696679207468617420796f750a61726520617574686f72697a656420746f206163636573732074686520646f63756d65"
	  "6e740a7265717565737465642e202045697468657220796f7520737570706c696564207468652077726f6e670a637265"
	  "64656e7469616c732028652e672e2c206261642070617373776f7264292c206f7220796f75720a62726f777365722064"
	  "6f65736e277420756e6465727374616e6420686f7720746f20737570706c790a7468652063726564656e7469616c7320"
	  "72657175697265642e3c2f703e0a3c2f626f64793e3c2f68746d6c3e0a",
	  376, "", "", "", 401, KF_HTTP_BODY_LENGTH, 421, "Negotiate", 160, 1 },
	{ "token-too-large-get (web-token-too-large.pcap client #1)", true, NULL,
	  "474554202f20485454502f312e310d0a486f73743a20736d616c6c2e6c61622e746573740d0a417574686f72697a6174"
	  "696f6e3a204e65676f74696174652059494943385159474b775942425155436f49494335544343417547674454414c42"
	  "676b71686b69473978494241674b6967674c4f42494943796d4343417359474353714753496233456745434167454162"
	  "6f4943745443434172476741774942426145444167454f6f67634442514167414141416f3449427a4747434163677767"
	  "6748456f414d434151576843687349544546434c6c524655315369495441666f414d4341514f68474441574777524956"
	  "4652514777357a6257467362433573595749756447567a644b4f4341597777676747496f414d4341524b684177494241"
	  "614b4341586f4567674632525737704f737466746174645a73576e38752b56696b3850596c49794e3876774c7232494e"
	  "457635596a51766d70462b4d636558427142336a672f4f506b743749536368346246666968727a467430536856374f64"
	  "78342b546a55624e6d74502f467a6a6a7778677136516f427443744130514e45745561586f6d546f5243376d34655069"
	  "594e4c775243796d596b597630303668326f304e316d5255704d67536b73426335497352583053444746532b5361787a"
	  "5a6a616771562b434e316d6e69396f614567335936536c4f6d416a306563554c36564478714556302b6e766d3336784b"
	  "4f4a6d53676c362f65785a46316b34476550473848633269784e3833687a465034777a666d696f4c75613277324e6564"
	  "6757662b417a7955496a6665684a50514c79657a395a44494c486742432b4c7367354e63664a57384d566a31426b4579"
	  "414e325667576d705652412b4c493662726b793075505a646c726335666b70514d652b73795a726a324a355270705536"
	  "4e346556432f504772744532516b2f4139493341555a71582b426343686f51302b4a784e59654a7672594e5a7a546276"
	  "7076337a54666c6b704b4e68696d69586e56582f656e5839476b586c614c79523477457545455532696330425258536d"
	  "71776f41554e3973487568455650575863544634326166455a6b4976492b6b67637377676369674177494245714b4277"
	  "4153427666666361746e4365526f556d2b5973696f4b512b4d554f476e66636e594850674a76547671664d664c635039"
	  "6353354e51764859426d576c4b41376b746b49737064786b6677386579444a38744e6e71634e456e58656f4c384c5441"
	  "7543646962673659745072414f4a6d446e63495a516e67627172394237596c4a343243385244544853625a526849575a"
	  "386670486830797a7150574b514374626559483064766c7855416c526e4c52616f2f4750394c78572f6652725a442b72"
	  "5661444b6164585a684f6d445657386e314952484a2b41373061646a6877335633486e73683958782f5a704a566d5452"
	  "6a6e476b343756454e6d53642f446f2b513d3d0d0a557365722d4167656e743a206375726c2f372e38382e310d0a4163"
	  "636570743a202a2f2a0d0a0d0a",
	  1117, "GET", "/", "small.lab.test", 0, KF_HTTP_BODY_NONE, 0, "Negotiate", 1012, 0 },
	{ "token-too-large-400 (web-token-too-large.pcap server #1)", false, "GET",
	  "485454502f312e31203430302042616420526571756573740d0a446174653a2053756e2c203232204e6f762032303236"
	  "2030343a35343a303720474d540d0a5365727665723a204170616368652f322e342e3731202844656269616e29206d6f"
	  "645f617574685f6773736170692f312e362e340d0a436f6e74656e742d4c656e6774683a203331380d0a436f6e6e6563"
	  "74696f6e3a20636c6f73650d0a436f6e74656e742d547970653a20746578742f68746d6c3b20636861727365743d6973"
	  "6f2d383835392d310d0a0d0a3c21444f43545950452048544d4c205055424c494320222d2f2f5733432f2f4454442048"
	  "544d4c20342e30312f2f454e222022687474703a2f2f7777772e77332e6f72672f54522f68746d6c342f737472696374"
	  "2e647464223e0a3c68746d6c3e3c686561643e0a3c7469746c653e3430302042616420526571756573743c2f7469746c"
	  "653e0a3c2f686561643e3c626f64793e0a3c68313e42616420526571756573743c2f68313e0a3c703e596f7572206272"
	  "6f777365722073656e7420612072657175657374207468617420746869732073657276657220636f756c64206e6f7420"
	  "756e6465727374616e642e3c6272202f3e0a53697a65206f662061207265717565737420686561646572206669656c64"
	  "206578636565647320736572766572206c696d69742e3c2f703e0a3c2f626f64793e3c2f68746d6c3e0a",
	  204, "", "", "", 400, KF_HTTP_BODY_LENGTH, 318, "", 0, 0 },
};
#define N_REAL_HEADS (sizeof real_heads / sizeof real_heads[0])
/* END real heads */

/* Messages of the lab's web-*.pcap: fields, challenges, every split point. */
START_TEST(t_real)
{
	const struct real_head *rh = &real_heads[_i];
	size_t cap = strlen(rh->hex) / 2 + 1;
	uint8_t *tmp = malloc(cap);
	size_t n = kf_test_hex(rh->hex, tmp, cap);
	struct kf_http_head h;
	struct kf_events ev = { 0 };
	uint8_t *buf = malloc(n);
	memcpy(buf, tmp, n);
	long r = parse(rh->req, rh->req_method, kf_span_make(buf, n), &h, &ev);
	ck_assert_msg(r == (long)rh->head_len, "%s: %ld", rh->name, r);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_uint_eq(h.header_bytes, rh->head_len);
	if (rh->req) {
		ck_assert(span_is(h.method, rh->method));
		ck_assert(span_is(h.uri, rh->uri));
		const struct kf_http_header *host = kf_http_header_find(&h, "host", 0);
		ck_assert_ptr_nonnull(host);
		ck_assert(span_is(host->value, rh->host));
	} else {
		ck_assert_int_eq(h.status, rh->status);
	}
	ck_assert_int_eq(h.body, rh->body);
	ck_assert_uint_eq(h.content_length, rh->content_length);
	const char *auth_hdr = rh->req ? "authorization" : "www-authenticate";
	const struct kf_http_header *ah = kf_http_header_find(&h, auth_hdr, 0);
	if (rh->auth_scheme[0]) {
		ck_assert_ptr_nonnull(ah);
		struct kf_http_auth a[KF_LIMIT_HTTP_CHALLENGES];
		if (rh->req) {
			ck_assert(kf_http_auth_credentials(ah->value, &a[0]));
			ck_assert(span_is(a[0].scheme, rh->auth_scheme));
			ck_assert_uint_eq(a[0].token.n, rh->token_len);
		} else {
			/* all WWW-Authenticate headers, first scheme of each */
			size_t k = 0, total = 0;
			while ((ah = kf_http_header_find(&h, auth_hdr, (unsigned)k++)) != NULL)
				total += kf_http_auth_challenges(ah->value, a + total,
								 KF_LIMIT_HTTP_CHALLENGES - total);
			ck_assert_uint_eq(total, rh->n_challenges);
			ck_assert(span_is(a[0].scheme, rh->auth_scheme));
			ck_assert_uint_eq(a[0].token.n, rh->token_len);
		}
	} else {
		ck_assert_ptr_null(ah);
	}
	/* every split point, and every prefix in an exact-size buffer */
	for (size_t k = 0; k < rh->head_len; k++) {
		uint8_t *p = malloc(k ? k : 1);
		memcpy(p, buf, k);
		struct kf_events ev2 = { 0 };
		ck_assert_int_eq(parse(rh->req, rh->req_method, kf_span_make(p, k), &h, &ev2),
				 KF_HTTP_NEED_MORE);
		free(p);
	}
	free(buf);
	free(tmp);
}
END_TEST

static Suite *http1_suite(void)
{
	Suite *s = suite_create("http1");
	TCase *tc = tcase_create("heads");
	tcase_add_loop_test(tc, t_valid, 0, N_VALID);
	tcase_add_loop_test(tc, t_valid_split, 0, N_VALID);
	tcase_add_test(tc, t_header_find);
	tcase_add_loop_test(tc, t_bad, 0, N_BAD);
	tcase_add_test(tc, t_too_many_headers);
	tcase_add_test(tc, t_header_block_cap);
	tcase_add_test(tc, t_probes);
	suite_add_tcase(s, tc);

	tc = tcase_create("auth");
	tcase_add_loop_test(tc, t_challenges, 0, N_CHALS);
	tcase_add_loop_test(tc, t_credentials, 0, N_CREDS);
	suite_add_tcase(s, tc);

	tc = tcase_create("chunked");
	tcase_add_loop_test(tc, t_chunked, 0, N_CHUNKS);
	tcase_add_test(tc, t_chunked_limits);
	suite_add_tcase(s, tc);

	tc = tcase_create("real");
	tcase_add_loop_test(tc, t_real, 0, N_REAL_HEADS);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(http1_suite()); }
