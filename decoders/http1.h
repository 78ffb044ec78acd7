/* http1.h - HTTP/1.x message heads and authentication headers
 * (RFC 9112 message syntax, RFC 9110 §11 authentication, RFC 4559 Negotiate,
 * RFC 7615 Proxy-/WWW-Authenticate, Persistent-Auth of MS-N2HT).
 *
 * Pure functions over spans: the caller keeps the bytes; every span in the
 * results points into the input.  Bodies are never parsed here: the head
 * says how the body is framed (length, chunked, until close, none) and the
 * analyzer skips it, without copying, with kf_http_chunked_*.
 */
#ifndef KF_HTTP1_H
#define KF_HTTP1_H

#include <stdbool.h>
#include <stdint.h>

#include "base/events.h"
#include "base/limits.h"
#include "base/span.h"

struct kf_http_header {
	struct kf_span name, value; /* value without surrounding whitespace */
};

enum kf_http_body {
	KF_HTTP_BODY_NONE,        /* no body (HEAD response, 1xx, 204, 304, request without length) */
	KF_HTTP_BODY_LENGTH,      /* content_length bytes */
	KF_HTTP_BODY_CHUNKED,     /* chunked transfer coding */
	KF_HTTP_BODY_UNTIL_CLOSE, /* response delimited by the connection closing */
};

struct kf_http_head {
	bool is_request;
	struct kf_span method, uri; /* requests */
	int status;                 /* responses: 100..999 */
	struct kf_span reason;
	int minor_version;   /* HTTP/1.x */
	size_t header_bytes; /* the whole head: start line to the empty line, inclusive
				     * (empty lines skipped before the start line excluded) */
	size_t n_headers;
	bool headers_truncated; /* more than KF_LIMIT_HTTP_HEADERS lines (event raised) */
	struct kf_http_header headers[KF_LIMIT_HTTP_HEADERS];
	enum kf_http_body body;
	uint64_t content_length;
	bool connection_close; /* Connection: close, or HTTP/1.0 without keep-alive; also
				     * when the body runs until close and when Transfer-Encoding
				     * came with Content-Length or in HTTP/1.0 (RFC 9112 §6.1,
				     * §6.3: the connection is closed after such a message) */
};

/* Results of the head parsers. */
#define KF_HTTP_NEED_MORE 0 /* the head is not complete in s yet */
#define KF_HTTP_ERROR (-1)  /* not HTTP, or malformed beyond recovery (event raised) */

/* Parse the head of a request / response at the start of s.  Returns the head's
 * length (> 0), KF_HTTP_NEED_MORE or KF_HTTP_ERROR.  For a response,
 * request_method is the method of the request it answers (empty when
 * unknown): a response to HEAD or a 2xx to CONNECT has no body.
 * The length includes empty lines skipped before the start line.  Spans in h
 * point into s.  Events are added only with a final result (never with
 * NEED_MORE), so a caller may re-parse a growing buffer; a success can carry
 * events too (obs-fold joined, too many headers, Content-Length together with
 * Transfer-Encoding).  NEED_MORE on KF_LIMIT_HTTP_HEADER_BLOCK bytes or more
 * is KF_HTTP_ERROR with HTTP_HEADER_TOO_BIG.  Grammar subset: http1.c. */
long kf_http_parse_request(struct kf_span s, struct kf_http_head *h, struct kf_events *ev);
long kf_http_parse_response(struct kf_span s, struct kf_span request_method, struct kf_http_head *h,
			    struct kf_events *ev);

/* Cheap recognisers of a stream's first bytes (<= KF_LIMIT_PROBE_BYTES read):
 * "GET /", "POST ", ... (the RFC 9110 methods plus WebDAV's and RPC_IN_DATA)
 * and "HTTP/1." respectively. */
bool kf_http_probe_request(struct kf_span s);
bool kf_http_probe_response(struct kf_span s);

/* Case-insensitive header lookup: the n-th (0-based) header named name. */
const struct kf_http_header *kf_http_header_find(const struct kf_http_head *h, const char *name, unsigned n);

/* One challenge of WWW-Authenticate / Proxy-Authenticate, or the credentials
 * of Authorization / Proxy-Authorization: the scheme and, for Negotiate /
 * NTLM / Kerberos, the token68 (empty when absent; auth-params are skipped). */
struct kf_http_auth {
	struct kf_span scheme;
	struct kf_span token;
};

/* Split a challenge header value into its challenges (comma-separated list,
 * RFC 9110 §11.6.1, auth-params of Basic/Digest/Bearer skipped correctly).
 * Returns how many were written (at most cap); spans point into value.
 * Garbage between challenges is skipped to the next comma outside a
 * quoted-string; a challenge whose parameters are malformed keeps its
 * scheme.  CR and LF count as whitespace (an obs-fold joined by the head
 * parser).  No events: the caller knows which header it was. */
size_t kf_http_auth_challenges(struct kf_span value, struct kf_http_auth *out, size_t cap);
/* Parse a credentials header value ("Negotiate YII...", "Digest username=..").
 * False when there is no scheme or bytes follow the token68 / auth-params;
 * out->scheme is set whenever a scheme could be read. */
bool kf_http_auth_credentials(struct kf_span value, struct kf_http_auth *out);

/* Chunked body skipper: a streaming state machine over body bytes.  Feeds
 * data, returns how many bytes belong to the body (the rest is the next
 * message), and sets *done when the last chunk and trailers are through.
 * Chunk data is skipped by counting, never copied; chunk-size lines longer
 * than a sane bound or sizes overflowing 64 bits are errors (event).
 * Accepted: hex sizes (any case, leading zeros), chunk-ext after BWS or ';'
 * up to the line end, CRLF or bare LF line ends, trailer lines up to
 * KF_LIMIT_HTTP_HEADER_BLOCK bytes each (not parsed).  On an error, error is
 * set, HTTP_BAD_CHUNK raised once, and the return value counts the bytes
 * before the offending one; after an error or the end every call returns 0. */

struct kf_http_chunked {
	int state;
	uint64_t remaining; /* data bytes left in the current chunk */
	uint32_t line_len;  /* bytes of the current size/trailer line so far */
	bool error;
};
void kf_http_chunked_init(struct kf_http_chunked *c);
size_t kf_http_chunked_feed(struct kf_http_chunked *c, struct kf_span data, bool *done, struct kf_events *ev);

#endif
