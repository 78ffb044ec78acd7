/* http1.c - HTTP/1.x message heads (RFC 9112 §2-§6), challenges and
 * credentials (RFC 9110 §11) and the chunked transfer coding (RFC 9112 §7.1).
 *
 * The subset accepted, and what happens to the rest:
 * - Lines end in CRLF or in a bare LF (RFC 9112 §2.2 allows a recipient to
 *   accept the latter).  A CR anywhere else, NUL and the other controls
 *   except HTAB make the head invalid.
 * - Empty lines before the start line are skipped (RFC 9112 §2.2); they are
 *   part of the returned length but not of header_bytes.
 * - Start lines: method, request-target and version separated by one or more
 *   SP; "HTTP/1.x" only, so the HTTP/2 preface ("PRI * HTTP/2.0") and
 *   HTTP/0.9 requests are errors.  A status line's reason phrase may be
 *   missing ("HTTP/1.1 200"); a status below 100 is an error.
 * - Field lines: token ':' OWS value OWS.  Whitespace between the name and
 *   the colon is rejected (RFC 9112 §5.1), as is a line without a colon.
 * - obs-fold (RFC 9112 §5.2) is joined, not rejected: a user agent MUST
 *   unfold a response's folded fields, so the endpoints see one value.  We
 *   cannot rewrite the bytes, so the value span covers the fold's CR LF and
 *   whitespace; kf_http_auth_* and the framing headers read CR and LF as
 *   whitespace.  The fold raises HTTP_MALFORMED (the head is still parsed).
 *   A fold before the first field line is an error.
 * - The head may be at most KF_LIMIT_HTTP_HEADER_BLOCK bytes: a longer one,
 *   or NEED_MORE at that size, is an error with HTTP_HEADER_TOO_BIG.  Field
 *   lines past KF_LIMIT_HTTP_HEADERS are parsed (framing still applies) but
 *   not kept: headers_truncated, HTTP_TOO_MANY_HEADERS.
 * - Body framing follows RFC 9112 §6.3 in order (see frame_body()).
 *   Content-Length values above 2^63-1 are invalid (HTTP_BAD_LENGTH): no
 *   real message is that long and no arithmetic on them can overflow.
 *
 * Events are only reported with a final result (a length or KF_HTTP_ERROR),
 * never with NEED_MORE, so re-parsing a growing buffer does not repeat them.
 */
#include "http1.h"

#include <string.h>

/* --- character classes (RFC 9110 §5.6.2, §5.5, §11.2) --- */

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }
static bool is_alpha(uint8_t c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static bool is_tchar(uint8_t c)
{
	if (is_digit(c) || is_alpha(c))
		return true;
	switch (c) {
	case '!':
	case '#':
	case '$':
	case '%':
	case '&':
	case '\'':
	case '*':
	case '+':
	case '-':
	case '.':
	case '^':
	case '_':
	case '`':
	case '|':
	case '~': return true;
	default: return false;
	}
}

static bool is_token68_char(uint8_t c)
{
	return is_digit(c) || is_alpha(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' ||
	       c == '/';
}

/* field-vchar / SP / HTAB / obs-text */
static bool is_field_char(uint8_t c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

/* OWS inside a field value; CR and LF only occur there through obs-fold. */
static bool is_ows(uint8_t c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

static uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c; }

static bool span_ieq(struct kf_span s, const char *lit)
{
	size_t n = strlen(lit);
	if (s.n != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lower(s.p[i]) != lower((uint8_t)lit[i]))
			return false;
	return true;
}

static struct kf_span sub(struct kf_span s, size_t b, size_t e)
{
	struct kf_span r = { s.p + b, e - b };
	return r;
}

static struct kf_span trim_ows(struct kf_span s)
{
	while (s.n && is_ows(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_ows(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* Split a comma-separated list (RFC 9110 §5.6.1): the next element from *pos,
 * trimmed; empty elements are returned as empty spans. */
static bool list_next(struct kf_span v, size_t *pos, struct kf_span *elem)
{
	if (*pos > v.n)
		return false;
	size_t b = *pos, e = b;
	while (e < v.n && v.p[e] != ',')
		e++;
	*elem = trim_ows(sub(v, b, e));
	*pos = e + 1;
	return true;
}

/* --- the head --- */

/* The next line from *pos in w: [*b, *e) without its CR LF / LF.  False
 * when no LF has arrived yet. */
static bool take_line(struct kf_span w, size_t *pos, size_t *b, size_t *e)
{
	if (*pos >= w.n)
		return false;
	const uint8_t *lf = memchr(w.p + *pos, '\n', w.n - *pos);
	if (!lf)
		return false;
	size_t end = (size_t)(lf - w.p);
	*b = *pos;
	*e = (end > *pos && w.p[end - 1] == '\r') ? end - 1 : end;
	*pos = end + 1;
	return true;
}

/* "HTTP/1.x" at the start of l; sets the minor version. */
static bool parse_version(struct kf_span l, int *minor)
{
	if (l.n < 8 || memcmp(l.p, "HTTP/", 5) != 0 || l.p[5] != '1' || l.p[6] != '.' || !is_digit(l.p[7]))
		return false;
	*minor = l.p[7] - '0';
	return true;
}

static bool parse_request_line(struct kf_span l, struct kf_http_head *h)
{
	size_t i = 0;
	while (i < l.n && is_tchar(l.p[i]))
		i++;
	if (i == 0 || i >= l.n || l.p[i] != ' ')
		return false;
	h->method = sub(l, 0, i);
	while (i < l.n && l.p[i] == ' ')
		i++;
	size_t ub = i;
	while (i < l.n && l.p[i] > 0x20 && l.p[i] != 0x7f)
		i++;
	if (i == ub || i >= l.n || l.p[i] != ' ')
		return false;
	h->uri = sub(l, ub, i);
	while (i < l.n && l.p[i] == ' ')
		i++;
	struct kf_span ver = sub(l, i, l.n);
	return ver.n == 8 && parse_version(ver, &h->minor_version);
}

static bool parse_status_line(struct kf_span l, struct kf_http_head *h)
{
	if (!parse_version(l, &h->minor_version) || l.n < 12 || l.p[8] != ' ')
		return false;
	size_t i = 9;
	while (i < l.n && l.p[i] == ' ')
		i++;
	if (l.n - i < 3 || !is_digit(l.p[i]) || !is_digit(l.p[i + 1]) || !is_digit(l.p[i + 2]))
		return false;
	h->status = (l.p[i] - '0') * 100 + (l.p[i + 1] - '0') * 10 + (l.p[i + 2] - '0');
	if (h->status < 100)
		return false;
	i += 3;
	if (i == l.n) { /* no reason phrase, not even its SP: accepted */
		h->reason = sub(l, i, i);
		return true;
	}
	if (l.p[i] != ' ')
		return false;
	for (size_t j = i + 1; j < l.n; j++)
		if (!is_field_char(l.p[j]))
			return false;
	h->reason = sub(l, i + 1, l.n);
	return true;
}

/* What the framing headers said, gathered over all field lines. */
struct framing {
	bool have_cl, cl_bad;
	uint64_t cl;
	bool te, te_chunked; /* Transfer-Encoding present; its final coding is chunked */
	bool conn_close, conn_keep_alive;
};

#define KF_HTTP_MAX_LENGTH 0x7fffffffffffffffull

static void framing_content_length(struct kf_span v, struct framing *f)
{
	size_t pos = 0;
	struct kf_span el;
	bool any = false;
	while (list_next(v, &pos, &el)) {
		if (el.n == 0)
			continue; /* empty list elements are allowed (RFC 9110 §5.6.1) */
		uint64_t x = 0;
		for (size_t i = 0; i < el.n; i++) {
			if (!is_digit(el.p[i]) || x > (KF_HTTP_MAX_LENGTH - (el.p[i] - '0')) / 10) {
				f->cl_bad = true;
				return;
			}
			x = x * 10 + (uint64_t)(el.p[i] - '0');
		}
		if (f->have_cl && x != f->cl) {
			f->cl_bad = true; /* differing values (RFC 9110 §8.6) */
			return;
		}
		f->have_cl = true;
		f->cl = x;
		any = true;
	}
	if (!any)
		f->cl_bad = true;
}

static void framing_transfer_encoding(struct kf_span v, struct framing *f)
{
	size_t pos = 0;
	struct kf_span el;
	f->te = true;
	while (list_next(v, &pos, &el)) {
		size_t n = 0;
		while (n < el.n && is_tchar(el.p[n]))
			n++;
		if (el.n == 0)
			continue;
		f->te_chunked = span_ieq(sub(el, 0, n), "chunked"); /* the final coding counts */
	}
}

static void framing_connection(struct kf_span v, struct framing *f)
{
	size_t pos = 0;
	struct kf_span el;
	while (list_next(v, &pos, &el)) {
		if (span_ieq(el, "close"))
			f->conn_close = true;
		else if (span_ieq(el, "keep-alive"))
			f->conn_keep_alive = true;
	}
}

/* A complete field line (folds joined): keep it and note framing headers. */
static void finish_header(const struct kf_http_header *hd, struct kf_http_head *h, struct framing *f,
			  struct kf_events *lev)
{
	if (h->n_headers < KF_LIMIT_HTTP_HEADERS) {
		h->headers[h->n_headers++] = *hd;
	} else if (!h->headers_truncated) {
		h->headers_truncated = true;
		kf_events_add(lev, KF_EV_HTTP_TOO_MANY_HEADERS);
	}
	if (span_ieq(hd->name, "content-length"))
		framing_content_length(hd->value, f);
	else if (span_ieq(hd->name, "transfer-encoding"))
		framing_transfer_encoding(hd->value, f);
	else if (span_ieq(hd->name, "connection"))
		framing_connection(hd->value, f);
}

/* token ":" OWS field-value OWS */
static bool parse_field_line(struct kf_span l, struct kf_http_header *hd)
{
	size_t i = 0;
	while (i < l.n && is_tchar(l.p[i]))
		i++;
	if (i == 0 || i >= l.n || l.p[i] != ':')
		return false; /* no name, no colon, or whitespace before the colon */
	hd->name = sub(l, 0, i);
	for (size_t j = i + 1; j < l.n; j++)
		if (!is_field_char(l.p[j]))
			return false;
	size_t b = i + 1, e = l.n;
	while (b < e && (l.p[b] == ' ' || l.p[b] == '\t'))
		b++;
	while (e > b && (l.p[e - 1] == ' ' || l.p[e - 1] == '\t'))
		e--;
	hd->value = sub(l, b, e);
	return true;
}

/* RFC 9112 §6.3, in its order. */
static bool frame_body(struct kf_http_head *h, struct kf_span request_method, const struct framing *f,
		       struct kf_events *lev)
{
	bool no_body = false;
	if (!h->is_request) {
		no_body = h->status < 200 || h->status == 204 || h->status == 304 ||
			  kf_span_eq_str(request_method, "HEAD") ||
			  (kf_span_eq_str(request_method, "CONNECT") && h->status < 300);
	}
	if (f->te && (f->have_cl || f->cl_bad))
		kf_events_add(lev, KF_EV_HTTP_LENGTH_AND_CHUNKED);
	if (f->cl_bad)
		kf_events_add(lev, KF_EV_HTTP_BAD_LENGTH);
	if (f->have_cl && !f->cl_bad)
		h->content_length = f->cl;

	h->connection_close = f->conn_close || (h->minor_version == 0 && !f->conn_keep_alive);
	if (f->te && (f->have_cl || f->cl_bad || h->minor_version == 0))
		h->connection_close = true; /* §6.1, §6.3 item 3: framing is suspect, close after it */

	if (no_body) {
		h->body = KF_HTTP_BODY_NONE;
	} else if (f->te) {
		if (f->te_chunked) {
			h->body = KF_HTTP_BODY_CHUNKED;
		} else if (h->is_request) {
			kf_events_add(lev, KF_EV_HTTP_BAD_LENGTH); /* §6.3 item 4: 400 and close */
			return false;
		} else {
			h->body = KF_HTTP_BODY_UNTIL_CLOSE;
		}
	} else if (f->cl_bad) {
		return false; /* §6.3 item 5: unrecoverable */
	} else if (f->have_cl) {
		h->body = KF_HTTP_BODY_LENGTH;
	} else {
		h->body = h->is_request ? KF_HTTP_BODY_NONE : KF_HTTP_BODY_UNTIL_CLOSE;
	}
	if (h->body == KF_HTTP_BODY_UNTIL_CLOSE)
		h->connection_close = true;
	return true;
}

static long head_result(long r, const struct kf_events *lev, struct kf_events *ev)
{
	for (uint8_t i = 0; i < lev->n; i++)
		kf_events_add(ev, (enum kf_event)lev->ev[i]);
	return r;
}

static long parse_head(struct kf_span s, bool is_request, struct kf_span request_method,
		       struct kf_http_head *h, struct kf_events *ev)
{
	struct kf_events lev = { 0 };
	struct framing f;
	memset(&f, 0, sizeof f);
	memset(h, 0, sizeof *h);
	h->is_request = is_request;

	struct kf_span w = { s.p, s.n < KF_LIMIT_HTTP_HEADER_BLOCK ? s.n : KF_LIMIT_HTTP_HEADER_BLOCK };
	size_t pos = 0, b = 0, e = 0;
	do {
		if (!take_line(w, &pos, &b, &e))
			goto need_more;
	} while (e == b);
	size_t start = b;
	if (!(is_request ? parse_request_line(sub(w, b, e), h) : parse_status_line(sub(w, b, e), h)))
		goto malformed;

	struct kf_http_header cur;
	bool pending = false, folded = false;
	for (;;) {
		if (!take_line(w, &pos, &b, &e))
			goto need_more;
		if (e == b)
			break;
		if (w.p[b] == ' ' || w.p[b] == '\t') {
			if (!pending)
				goto malformed; /* whitespace before the first field line */
			for (size_t j = b; j < e; j++)
				if (!is_field_char(w.p[j]))
					goto malformed;
			struct kf_span more = trim_ows(sub(w, b, e));
			if (more.n) {
				if (cur.value.n == 0)
					cur.value = more;
				else
					cur.value.n = (size_t)(more.p + more.n - cur.value.p);
			}
			if (!folded)
				kf_events_add(&lev, KF_EV_HTTP_MALFORMED);
			folded = true;
			continue;
		}
		if (pending)
			finish_header(&cur, h, &f, &lev);
		if (!parse_field_line(sub(w, b, e), &cur))
			goto malformed;
		pending = true;
	}
	if (pending)
		finish_header(&cur, h, &f, &lev);
	h->header_bytes = pos - start;
	if (!frame_body(h, request_method, &f, &lev))
		return head_result(KF_HTTP_ERROR, &lev, ev);
	return head_result((long)pos, &lev, ev);

need_more:
	if (s.n < KF_LIMIT_HTTP_HEADER_BLOCK)
		return KF_HTTP_NEED_MORE;
	kf_events_add(&lev, KF_EV_HTTP_HEADER_TOO_BIG);
	return head_result(KF_HTTP_ERROR, &lev, ev);
malformed:
	kf_events_add(&lev, KF_EV_HTTP_MALFORMED);
	return head_result(KF_HTTP_ERROR, &lev, ev);
}

long kf_http_parse_request(struct kf_span s, struct kf_http_head *h, struct kf_events *ev)
{
	struct kf_span none = { NULL, 0 };
	return parse_head(s, true, none, h, ev);
}

long kf_http_parse_response(struct kf_span s, struct kf_span request_method, struct kf_http_head *h,
			    struct kf_events *ev)
{
	return parse_head(s, false, request_method, h, ev);
}

/* --- probes --- */

static const char *const kf_http_methods[] = {
	"GET ",   "HEAD ",   "POST ",     "PUT ",         "DELETE ",       "CONNECT ", "OPTIONS ",
	"TRACE ", "PATCH ",  "PROPFIND ", "PROPPATCH ",   "MKCOL ",        "COPY ",    "MOVE ",
	"LOCK ",  "UNLOCK ", "SEARCH ",   "RPC_IN_DATA ", "RPC_OUT_DATA ",
};

bool kf_http_probe_request(struct kf_span s)
{
	for (size_t i = 0; i < sizeof kf_http_methods / sizeof kf_http_methods[0]; i++) {
		size_t n = strlen(kf_http_methods[i]); /* all <= KF_LIMIT_PROBE_BYTES */
		if (s.n >= n && memcmp(s.p, kf_http_methods[i], n) == 0)
			return true;
	}
	return false;
}

bool kf_http_probe_response(struct kf_span s)
{
	return s.n >= 9 && memcmp(s.p, "HTTP/1.", 7) == 0 && is_digit(s.p[7]) && s.p[8] == ' ';
}

const struct kf_http_header *kf_http_header_find(const struct kf_http_head *h, const char *name, unsigned n)
{
	for (size_t i = 0; i < h->n_headers; i++)
		if (span_ieq(h->headers[i].name, name) && n-- == 0)
			return &h->headers[i];
	return NULL;
}

/* --- challenges and credentials (RFC 9110 §11.3, §11.6.1) --- */

static size_t skip_ows(struct kf_span v, size_t i)
{
	while (i < v.n && is_ows(v.p[i]))
		i++;
	return i;
}

static size_t skip_tchars(struct kf_span v, size_t i)
{
	while (i < v.n && is_tchar(v.p[i]))
		i++;
	return i;
}

/* From i to the next comma that is not inside a quoted-string (or the end). */
static size_t skip_to_comma(struct kf_span v, size_t i)
{
	bool q = false;
	for (; i < v.n; i++) {
		if (q && v.p[i] == '\\')
			i++;
		else if (v.p[i] == '"')
			q = !q;
		else if (!q && v.p[i] == ',')
			break;
	}
	return i < v.n ? i : v.n;
}

/* At i: token68 followed only by OWS up to ',' or the end?  Sets *end to the
 * token68's end and *next past the OWS. */
static bool at_token68(struct kf_span v, size_t i, size_t *end, size_t *next)
{
	size_t j = i;
	while (j < v.n && is_token68_char(v.p[j]))
		j++;
	if (j == i)
		return false;
	while (j < v.n && v.p[j] == '=')
		j++;
	size_t k = skip_ows(v, j);
	if (k < v.n && v.p[k] != ',')
		return false;
	*end = j;
	*next = k;
	return true;
}

/* auth-param = token BWS "=" BWS ( token / quoted-string ), comma-separated.
 * Returns the position after the list: at a comma that starts the next
 * challenge, or the end.  Malformed parameters are skipped to a comma and
 * set *bad. */
static size_t skip_auth_params(struct kf_span v, size_t i, bool *bad)
{
	for (;;) {
		size_t nb = i;
		i = skip_tchars(v, i);
		size_t k = skip_ows(v, i);
		if (i == nb || k >= v.n || v.p[k] != '=') {
			*bad = true;
			return skip_to_comma(v, nb);
		}
		i = skip_ows(v, k + 1);
		if (i < v.n && v.p[i] == '"') {
			for (i++; i < v.n && v.p[i] != '"'; i++)
				if (v.p[i] == '\\')
					i++;
			if (i >= v.n) {
				*bad = true; /* unterminated quoted-string */
				return v.n;
			}
			i++;
		} else {
			i = skip_tchars(v, i);
		}
		i = skip_ows(v, i);
		if (i >= v.n)
			return v.n;
		if (v.p[i] != ',') {
			*bad = true;
			return skip_to_comma(v, i);
		}
		/* Another parameter (token BWS "=") or the next challenge? */
		size_t j = i;
		while (j < v.n && (v.p[j] == ',' || is_ows(v.p[j])))
			j++;
		size_t t = skip_tchars(v, j);
		size_t u = skip_ows(v, t);
		if (t == j || u >= v.n || v.p[u] != '=')
			return i;
		i = j;
	}
}

/* One challenge or credentials at i (after OWS): scheme and token68.
 * Returns the position after it; *ok false when there was no scheme, *bad
 * set when what follows the scheme is malformed (the scheme is kept). */
static size_t parse_auth(struct kf_span v, size_t i, struct kf_http_auth *a, bool *ok, bool *bad)
{
	size_t sb = i;
	i = skip_tchars(v, i);
	a->scheme = sub(v, sb, i);
	a->token = sub(v, i, i);
	*ok = i > sb;
	if (!*ok)
		return skip_to_comma(v, i);
	size_t k = skip_ows(v, i);
	if (k >= v.n || v.p[k] == ',')
		return k;
	if (k == i) { /* the scheme must be followed by 1*SP */
		*ok = false;
		return skip_to_comma(v, k);
	}
	size_t end, next;
	if (at_token68(v, k, &end, &next)) {
		a->token = sub(v, k, end);
		return next;
	}
	return skip_auth_params(v, k, bad);
}

size_t kf_http_auth_challenges(struct kf_span value, struct kf_http_auth *out, size_t cap)
{
	size_t i = 0, n = 0;
	while (n < cap) {
		while (i < value.n && (value.p[i] == ',' || is_ows(value.p[i])))
			i++;
		if (i >= value.n)
			break;
		bool ok, bad = false;
		struct kf_http_auth a;
		i = parse_auth(value, i, &a, &ok, &bad);
		if (ok)
			out[n++] = a;
	}
	return n;
}

bool kf_http_auth_credentials(struct kf_span value, struct kf_http_auth *out)
{
	bool ok, bad = false;
	size_t i = parse_auth(value, skip_ows(value, 0), out, &ok, &bad);
	return ok && !bad && i >= value.n;
}

/* --- chunked transfer coding (RFC 9112 §7.1) --- */

enum {
	CH_SIZE,    /* chunk-size hex digits (accumulated in remaining) */
	CH_EXT,     /* chunk-ext up to the line end */
	CH_SIZE_LF, /* CR seen after the size line */
	CH_DATA,    /* chunk-data: remaining bytes */
	CH_DATA_CR, /* the CRLF after chunk-data */
	CH_DATA_LF,
	CH_TRAILER,      /* at the start of a trailer line or the final empty line */
	CH_TRAILER_LINE, /* inside a trailer field line */
	CH_END_LF,       /* CR of the final empty line seen */
	CH_DONE,
};

void kf_http_chunked_init(struct kf_http_chunked *c)
{
	c->state = CH_SIZE;
	c->remaining = 0;
	c->line_len = 0;
	c->error = false;
}

static int hexval(uint8_t b)
{
	if (is_digit(b))
		return b - '0';
	b = lower(b);
	return (b >= 'a' && b <= 'f') ? b - 'a' + 10 : -1;
}

size_t kf_http_chunked_feed(struct kf_http_chunked *c, struct kf_span data, bool *done, struct kf_events *ev)
{
	size_t i = 0;
	*done = c->state == CH_DONE;
	if (c->error || *done)
		return 0;
	while (i < data.n) {
		uint8_t b = data.p[i];
		if (c->state == CH_DATA) {
			size_t avail = data.n - i;
			size_t take = c->remaining < avail ? (size_t)c->remaining : avail;
			i += take;
			c->remaining -= take;
			if (c->remaining == 0)
				c->state = CH_DATA_CR;
			continue;
		}
		if (c->state == CH_SIZE || c->state == CH_EXT || c->state == CH_SIZE_LF) {
			if (++c->line_len > KF_LIMIT_HTTP_CHUNK_LINE)
				goto bad;
		}
		switch (c->state) {
		case CH_SIZE: {
			int v = hexval(b);
			if (v >= 0) {
				if (c->remaining > (UINT64_MAX >> 4))
					goto bad; /* would overflow 64 bits */
				c->remaining = c->remaining << 4 | (uint64_t)v;
				break;
			}
			if (c->line_len == 1)
				goto bad; /* no digits */
			if (b == ';' || b == ' ' || b == '\t')
				c->state = CH_EXT;
			else if (b == '\r')
				c->state = CH_SIZE_LF;
			else if (b == '\n')
				goto size_line_end;
			else
				goto bad;
			break;
		}
		case CH_EXT:
			if (b == '\r')
				c->state = CH_SIZE_LF;
			else if (b == '\n')
				goto size_line_end;
			else if (!is_field_char(b))
				goto bad;
			break;
		case CH_SIZE_LF:
			if (b != '\n')
				goto bad;
		size_line_end:
			c->line_len = 0;
			c->state = c->remaining ? CH_DATA : CH_TRAILER;
			break;
		case CH_DATA_CR:
			if (b == '\r')
				c->state = CH_DATA_LF;
			else if (b == '\n')
				c->state = CH_SIZE;
			else
				goto bad;
			break;
		case CH_DATA_LF:
			if (b != '\n')
				goto bad;
			c->state = CH_SIZE;
			break;
		case CH_TRAILER:
			if (b == '\r') {
				c->state = CH_END_LF;
			} else if (b == '\n') {
				c->state = CH_DONE;
			} else {
				c->state = CH_TRAILER_LINE;
				c->line_len = 1;
			}
			break;
		case CH_TRAILER_LINE:
			if (b == '\n') {
				c->state = CH_TRAILER;
				c->line_len = 0;
			} else if (++c->line_len > KF_LIMIT_HTTP_HEADER_BLOCK) {
				goto bad;
			}
			break;
		case CH_END_LF:
			if (b != '\n')
				goto bad;
			c->state = CH_DONE;
			break;
		default: goto bad;
		}
		i++;
		if (c->state == CH_DONE) {
			*done = true;
			return i;
		}
	}
	return i;
bad:
	c->error = true;
	kf_events_add(ev, KF_EV_HTTP_BAD_CHUNK);
	return i;
}
