/* carrier_http.c - HTTP/1.x on any TCP port (RFC 9112), recognised by its
 * first bytes: the authentication headers (RFC 9110 §11, RFC 4559) followed
 * request by response, their tokens handed to the token path (gss_token.c).
 *
 * HTTP bodies are skipped by counting, never copied (in order, they skip
 * reassembly too); only a head split over segments is gathered, capped at
 * KF_LIMIT_HTTP_HEADER_BLOCK.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/cursor.h"
#include "carriers.h"
#include "emit.h"
#include "gss_token.h"
#include "http1.h"

enum hdir_state { HD_HEAD, HD_BODY_LEN, HD_BODY_CHUNKED, HD_BODY_CLOSE, HD_RESYNC, HD_DEAD };

struct http_dir {
	enum hdir_state st;
	struct kf_gather head; /* a head split over segments */
	uint64_t body_left;
	struct kf_http_chunked ch;
	/* The messages the PDU whose body is being read wrote at its head: they
	 * move to the frame where the body ends, where Wireshark shows the PDU. */
	bool pdu_open;
	uint8_t n_pdu;
	uint32_t pdu_ids[2];
};

/* A request waiting for its response (HTTP/1.1 answers in order). */
struct pending_req {
	char method[KF_LIMIT_HTTP_METHOD];
	char uri[KF_LIMIT_HTTP_URI];
	char host[KF_LIMIT_HTTP_HOST];
	char scheme[KF_LIMIT_HTTP_SCHEME];
	bool uri_truncated, has_auth, proxy, token_invalid;
	uint64_t frame, ts_us; /* where the request is complete (its body's end) */
	uint64_t first_frame;  /* where its head was */
	bool body_open;        /* its body has not ended yet */
	uint32_t header_bytes, token_bytes;
	int64_t token_msg; /* the message its token carried, or -1 */
	int64_t req_msg;   /* its HTTP-REQUEST record once written, or -1 */
	struct kf_spnego_rec *bare_spnego;
};

struct http_state {
	bool started;             /* bytes seen: the first tell whether the request came before the capture */
	bool authenticated;       /* credentials or a challenge seen: later exchanges matter */
	struct http_dir h[2];     /* 0: client → server, 1: server → client */
	struct pending_req *pend; /* ring of pend_cap (up to KF_LIMIT_HTTP_PIPELINE), grown on demand */
	uint8_t pend_head, pend_n, pend_cap;
};

struct app_ctx {
	struct kf_run *r;
	struct kf_conn *conn;
	struct http_state *c;
	int dir;
};

/* ---- helpers ------------------------------------------------------------ */

static void copy_span(char *dst, size_t cap, struct kf_span s, bool *truncated)
{
	size_t n = s.n < cap - 1 ? s.n : cap - 1;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = s.p[i];
		dst[i] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	dst[n] = 0;
	if (truncated)
		*truncated = s.n > n;
}

static const char *arena_str(struct kf_run *r, const char *s)
{
	return s && *s ? kf_arena_strndup(&r->res->arena, s, strlen(s)) : NULL;
}

static bool scheme_is(struct kf_span s, const char *name)
{
	return s.n == strlen(name) && strncasecmp((const char *)s.p, name, s.n) == 0;
}

static bool token_scheme(struct kf_span s)
{
	return scheme_is(s, "Negotiate") || scheme_is(s, "NTLM") || scheme_is(s, "Kerberos");
}

/* Where a token on this direction was seen, for the token path. */
static struct kf_token_origin origin(const struct app_ctx *x)
{
	struct kf_token_origin o = { x->conn, x->dir, KF_CARRIER_HTTP, 0, KF_SENDER_UNKNOWN };
	return o;
}

static void link_msgs(struct kf_run *r, int64_t req, int64_t rep)
{
	if (req >= 0 && rep >= 0)
		kf_msgstore_link(&r->store, (uint32_t)req, (uint32_t)rep);
}

/* ---- HTTP records ------------------------------------------------------- */

static int64_t http_record(struct app_ctx *x, int dir, int type, uint64_t frame, uint64_t ts,
			   uint64_t first_frame, struct kf_http_rec *h, struct kf_spnego_rec *sp)
{
	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.frame = frame;
	msg.ts_us = ts;
	msg.first_frame = first_frame;
	msg.type = type;
	msg.http = h;
	msg.spnego = sp;
	uint32_t id;
	return kf_emit(x->r, x->conn, dir, KF_CARRIER_HTTP, &msg, NULL, &id) ? (int64_t)id : -1;
}

/* ---- where a PDU completes ------------------------------------------------- */

static bool body_follows(const struct http_dir *h)
{
	return h->st == HD_BODY_LEN || h->st == HD_BODY_CHUNKED || h->st == HD_BODY_CLOSE;
}

static void pdu_add(struct http_dir *h, int64_t id)
{
	if (h->pdu_open && id >= 0 && h->n_pdu < sizeof h->pdu_ids / sizeof h->pdu_ids[0])
		h->pdu_ids[h->n_pdu++] = (uint32_t)id;
}

static struct pending_req *pending_newest(struct http_state *c)
{
	return c->pend_n ? &c->pend[(c->pend_head + c->pend_n - 1) % c->pend_cap] : NULL;
}

/* The body of dir's PDU ended in frame: its messages move there. */
static void pdu_end(struct kf_run *r, struct http_state *c, int dir, uint64_t frame, uint64_t ts)
{
	struct http_dir *h = &c->h[dir];
	if (!h->pdu_open)
		return;
	for (unsigned i = 0; i < h->n_pdu; i++)
		kf_msgstore_retime(&r->store, h->pdu_ids[i], frame, ts);
	struct pending_req *p = dir == 0 ? pending_newest(c) : NULL;
	if (p && p->body_open) { /* its record, when written later, is complete here */
		p->frame = frame;
		p->ts_us = ts;
		p->body_open = false;
	}
	h->pdu_open = false;
	h->n_pdu = 0;
}

/* The body will not be seen to its end (a gap, garbage): the messages stay
 * at the head. */
static void pdu_abandon(struct http_state *c, int dir)
{
	c->h[dir].pdu_open = false;
	c->h[dir].n_pdu = 0;
	struct pending_req *p = dir == 0 ? pending_newest(c) : NULL;
	if (p)
		p->body_open = false;
}

/* Write the HTTP-REQUEST record of a pending request (once). */
static void request_record(struct app_ctx *x, struct pending_req *p)
{
	if (p->req_msg >= 0)
		return;
	struct kf_http_rec *h = kf_arena_zalloc(&x->r->res->arena, sizeof(*h));
	if (!h) {
		kf_run_nomem(x->r);
		return;
	}
	h->method = arena_str(x->r, p->method);
	h->uri = arena_str(x->r, p->uri);
	h->uri_truncated = p->uri_truncated;
	h->host = arena_str(x->r, p->host);
	h->auth_scheme = arena_str(x->r, p->scheme);
	h->header_bytes = p->header_bytes;
	h->token_bytes = p->token_bytes;
	h->token_invalid = p->token_invalid;
	h->proxy = p->proxy;
	p->req_msg =
		http_record(x, 0, KF_MSG_HTTP_REQUEST, p->frame, p->ts_us, p->first_frame, h, p->bare_spnego);
	if (p->body_open) /* only the newest request's body can still be open */
		pdu_add(&x->c->h[0], p->req_msg);
}

/* ---- pending requests --------------------------------------------------- */

/* Room for one more pending request: most connections have one at a time,
 * so the ring starts small (a request record is most of a kilobyte). */
static bool pending_grow(struct http_state *c)
{
	unsigned cap = c->pend_cap ? 2u * c->pend_cap : 1u;
	if (cap > KF_LIMIT_HTTP_PIPELINE)
		cap = KF_LIMIT_HTTP_PIPELINE;
	struct pending_req *np = kf_malloc(cap * sizeof(*np));
	if (!np)
		return false;
	for (unsigned i = 0; i < c->pend_n; i++) /* oldest first, from 0 */
		np[i] = c->pend[(c->pend_head + i) % c->pend_cap];
	kf_free(c->pend);
	c->pend = np;
	c->pend_head = 0;
	c->pend_cap = (uint8_t)cap;
	return true;
}

static struct pending_req *pending_push(struct app_ctx *x)
{
	struct http_state *c = x->c;
	if (c->pend_n == c->pend_cap && c->pend_cap < KF_LIMIT_HTTP_PIPELINE && !pending_grow(c)) {
		kf_run_nomem(x->r);
		return NULL;
	}
	if (c->pend_n == c->pend_cap) {
		kf_events_add(&x->r->ev, KF_EV_HTTP_PIPELINE_LIMIT);
		c->pend_head = (uint8_t)((c->pend_head + 1) % c->pend_cap);
		c->pend_n--;
	}
	struct pending_req *p = &c->pend[(c->pend_head + c->pend_n) % c->pend_cap];
	c->pend_n++;
	memset(p, 0, sizeof *p);
	p->token_msg = -1;
	p->req_msg = -1;
	return p;
}

static struct pending_req *pending_front(struct http_state *c)
{
	return c->pend_n ? &c->pend[c->pend_head] : NULL;
}

static void pending_pop(struct http_state *c)
{
	if (!c->pend_n)
		return;
	c->pend_head = (uint8_t)((c->pend_head + 1) % c->pend_cap);
	c->pend_n--;
}

/* ---- heads -------------------------------------------------------------- */

static void set_body(struct http_dir *h, const struct kf_http_head *hd)
{
	switch (hd->body) {
	case KF_HTTP_BODY_LENGTH:
		h->body_left = hd->content_length;
		h->st = hd->content_length ? HD_BODY_LEN : HD_HEAD;
		break;
	case KF_HTTP_BODY_CHUNKED:
		kf_http_chunked_init(&h->ch);
		h->st = HD_BODY_CHUNKED;
		break;
	case KF_HTTP_BODY_UNTIL_CLOSE: h->st = HD_BODY_CLOSE; break;
	default: h->st = HD_HEAD;
	}
}

static void on_request(struct app_ctx *x, const struct kf_http_head *hd)
{
	pdu_abandon(x->c, 0); /* a new head: any earlier body is over */
	struct pending_req *p = pending_push(x);
	struct http_dir *h = &x->c->h[0];
	set_body(h, hd);
	h->pdu_open = body_follows(h);
	if (!p)
		return;
	p->body_open = h->pdu_open;
	copy_span(p->method, sizeof p->method, hd->method, NULL);
	copy_span(p->uri, sizeof p->uri, hd->uri, &p->uri_truncated);
	const struct kf_http_header *host = kf_http_header_find(hd, "Host", 0);
	if (host)
		copy_span(p->host, sizeof p->host, host->value, NULL);
	p->frame = x->r->frame;
	p->ts_us = x->r->ts_us;
	p->first_frame = x->r->frame;
	p->header_bytes = (uint32_t)hd->header_bytes;

	const struct kf_http_header *cred = kf_http_header_find(hd, "Authorization", 0);
	if (!cred) {
		cred = kf_http_header_find(hd, "Proxy-Authorization", 0);
		p->proxy = cred != NULL;
	}
	struct kf_http_auth a;
	if (!cred || !kf_http_auth_credentials(cred->value, &a))
		return;
	copy_span(p->scheme, sizeof p->scheme, a.scheme, NULL);
	p->has_auth = true;
	x->c->authenticated = true;
	if (token_scheme(a.scheme)) {
		struct kf_token_origin o = origin(x);
		struct kf_token_summary sum;
		p->token_msg = kf_gss_token_base64(x->r, &o, a.token, &sum);
		pdu_add(h, p->token_msg);
		p->token_bytes = sum.token_bytes;
		p->token_invalid = sum.invalid;
		p->bare_spnego = sum.bare_spnego;
	}
	request_record(x, p); /* credentials: it takes part, whatever the answer */
}

static void on_response(struct app_ctx *x, const struct kf_http_head *hd)
{
	struct http_state *c = x->c;
	int64_t rep = -1, tok_id = -1; /* the records it writes, for where its body ends */
	if (hd->status >= 100 && hd->status < 200 && hd->status != 101) {
		x->c->h[1].st = HD_HEAD; /* interim: the final response follows */
		return;
	}
	struct pending_req *p = pending_front(c);
	if (!p)
		kf_events_add(&x->r->ev, KF_EV_HTTP_UNMATCHED_RESPONSE);
	bool connect = p && strcmp(p->method, "CONNECT") == 0;

	/* challenges, and the tokens they carry (AP-REP, KRB-ERROR, NTLM CHALLENGE) */
	struct kf_http_auth ch[KF_LIMIT_HTTP_CHALLENGES];
	size_t nch = 0;
	bool proxy = hd->status == 407;
	const char *hname = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
	for (unsigned i = 0; nch < KF_LIMIT_HTTP_CHALLENGES; i++) {
		const struct kf_http_header *wa = kf_http_header_find(hd, hname, i);
		if (!wa)
			break;
		nch += kf_http_auth_challenges(wa->value, ch + nch, KF_LIMIT_HTTP_CHALLENGES - nch);
	}
	const struct kf_http_header *pa = kf_http_header_find(hd, "Persistent-Auth", 0);
	bool relevant =
		(p && p->has_auth) || hd->status == 401 || hd->status == 407 || nch || pa || c->authenticated;
	if (relevant) {
		c->authenticated = true;
		struct kf_http_rec *h = kf_arena_zalloc(&x->r->res->arena, sizeof(*h));
		const char **schemes = nch ? kf_arena_alloc(&x->r->res->arena, nch * sizeof(char *)) : NULL;
		if (!h || (nch && !schemes)) {
			kf_run_nomem(x->r);
		} else {
			int64_t tok = -1;
			struct kf_spnego_rec *bare = NULL;
			for (size_t i = 0; i < nch; i++) {
				char sc[KF_LIMIT_HTTP_SCHEME];
				copy_span(sc, sizeof sc, ch[i].scheme, NULL);
				schemes[i] = arena_str(x->r, sc);
				if (tok < 0 && ch[i].token.n && token_scheme(ch[i].scheme)) {
					struct kf_token_origin o = origin(x);
					struct kf_token_summary sum;
					tok = kf_gss_token_base64(x->r, &o, ch[i].token, &sum);
					h->token_bytes = sum.token_bytes;
					h->token_invalid = sum.invalid;
					bare = sum.bare_spnego;
				}
			}
			h->status = hd->status;
			h->n_challenges = (uint8_t)nch;
			h->www_authenticate = schemes;
			h->header_bytes = (uint32_t)hd->header_bytes;
			h->proxy = proxy || (p && p->proxy);
			if (pa) {
				char v[64];
				copy_span(v, sizeof v, pa->value, NULL);
				h->persistent_auth = arena_str(x->r, v);
			}
			rep = http_record(x, x->dir, KF_MSG_HTTP_RESPONSE, x->r->frame, x->r->ts_us, 0, h,
					  bare);
			tok_id = tok;
			if (p) {
				request_record(x, p);
				link_msgs(x->r, p->req_msg, rep);
				link_msgs(x->r, p->token_msg, tok);
			}
		}
	}
	if (hd->status == 101 || (connect && hd->status >= 200 && hd->status < 300)) {
		/* the connection now carries another protocol (WebSocket, a tunnel) */
		c->h[0].st = HD_DEAD;
		c->h[1].st = HD_DEAD;
	} else {
		set_body(&c->h[1], hd);
		c->h[1].pdu_open = body_follows(&c->h[1]);
		c->h[1].n_pdu = 0;
		pdu_add(&c->h[1], rep);
		pdu_add(&c->h[1], tok_id);
	}
	pending_pop(c);
}

/* Parse a head at the start of s for direction dir. */
static long parse_head(struct app_ctx *x, struct kf_span s, struct kf_http_head *hd)
{
	if (x->dir == 0)
		return kf_http_parse_request(s, hd, &x->r->ev);
	struct pending_req *p = pending_front(x->c);
	struct kf_span m = p ? kf_span_make(p->method, strlen(p->method)) : kf_span_make("", 0);
	return kf_http_parse_response(s, m, hd, &x->r->ev);
}

static void on_head(struct app_ctx *x, const struct kf_http_head *hd)
{
	if (x->dir == 0)
		on_request(x, hd);
	else
		on_response(x, hd);
}

static bool head_start(int dir, struct kf_span s)
{
	return dir == 0 ? kf_http_probe_request(s) : kf_http_probe_response(s);
}

/* True when buf[0..len) has an empty line ("\n\n" or "\n\r\n") ending at
 * or after offset `from`: only then can a head gathered so far be complete. */
static bool head_may_end(const uint8_t *buf, size_t len, size_t from)
{
	size_t i = from > 3 ? from - 3 : 0;
	for (; i + 1 < len; i++) {
		if (buf[i] != '\n')
			continue;
		if (buf[i + 1] == '\n' || (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n'))
			return true;
	}
	return false;
}

static void http_data(struct app_ctx *x, struct kf_span data)
{
	struct http_dir *h = &x->c->h[x->dir];
	struct kf_cur c = kf_cur_make(data);
	struct kf_http_head hd;
	while (kf_cur_left(&c)) {
		struct kf_span rest = kf_span_make(c.p, kf_cur_left(&c));
		switch (h->st) {
		case HD_DEAD:
		case HD_BODY_CLOSE: return;
		case HD_RESYNC:
			/* after a gap or garbage: a new head may start a delivery */
			if (!head_start(x->dir, rest))
				return;
			h->st = HD_HEAD;
			break;
		case HD_BODY_LEN: {
			size_t k = rest.n < h->body_left ? rest.n : (size_t)h->body_left;
			kf_cur_skip(&c, k);
			h->body_left -= k;
			if (!h->body_left) {
				h->st = HD_HEAD;
				pdu_end(x->r, x->c, x->dir, x->r->frame, x->r->ts_us);
			}
			break;
		}
		case HD_BODY_CHUNKED: {
			bool done = false;
			size_t k = kf_http_chunked_feed(&h->ch, rest, &done, &x->r->ev);
			kf_cur_skip(&c, k);
			if (h->ch.error) {
				h->st = HD_RESYNC;
				pdu_abandon(x->c, x->dir);
			} else if (done) {
				h->st = HD_HEAD;
				pdu_end(x->r, x->c, x->dir, x->r->frame, x->r->ts_us);
			} else if (k == 0)
				return;
			break;
		}
		case HD_HEAD: {
			long rc;
			if (h->head.len == 0) {
				rc = parse_head(x, rest, &hd);
				if (rc > 0) {
					on_head(x, &hd);
					kf_cur_skip(&c, (size_t)rc);
					break;
				}
				if (rc == KF_HTTP_NEED_MORE) {
					if (!kf_gather_add(x->r, &h->head, rest,
							   KF_LIMIT_HTTP_HEADER_BLOCK)) {
						kf_events_add(&x->r->ev, KF_EV_HTTP_HEADER_TOO_BIG);
						h->st = HD_DEAD;
					}
					return;
				}
				h->st = HD_RESYNC;
				return;
			}
			size_t before = h->head.len;
			bool all = kf_gather_add(x->r, &h->head, rest, KF_LIMIT_HTTP_HEADER_BLOCK);
			/* re-parse only when the new bytes can end the head: a head fed
			 * a byte at a time must not cost a rescan per byte */
			if (!head_may_end(h->head.buf, h->head.len, before)) {
				if (!all || h->head.len == KF_LIMIT_HTTP_HEADER_BLOCK) {
					kf_events_add(&x->r->ev, KF_EV_HTTP_HEADER_TOO_BIG);
					h->st = HD_DEAD;
					h->head.len = 0;
				}
				return;
			}
			rc = parse_head(x, kf_span_make(h->head.buf, h->head.len), &hd);
			if (rc > 0) {
				on_head(x, &hd);
				kf_cur_skip(&c, (size_t)rc - before);
				h->head.len = 0;
				break;
			}
			if (rc == KF_HTTP_NEED_MORE) {
				if (!all || h->head.len == KF_LIMIT_HTTP_HEADER_BLOCK) {
					kf_events_add(&x->r->ev, KF_EV_HTTP_HEADER_TOO_BIG);
					h->st = HD_DEAD;
					h->head.len = 0;
				}
				return;
			}
			h->head.len = 0;
			h->st = HD_RESYNC;
			return;
		}
		}
	}
}

/* ---- the carrier ---------------------------------------------------------- */

static enum kf_probe http_probe(struct kf_span first, int dir)
{
	if (dir != 1 && kf_http_probe_request(first))
		return KF_PROBE_CLIENT;
	if (dir != 0 && kf_http_probe_response(first))
		return KF_PROBE_SERVER;
	return KF_PROBE_NO;
}

static bool http_open(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	c->cs = kf_calloc(1, sizeof(struct http_state));
	return c->cs != NULL;
}

static void http_stream(struct kf_run *r, struct kf_conn *conn, int dir, struct kf_span data,
			uint32_t gap_len)
{
	struct http_state *c = conn->cs;
	struct app_ctx x = { r, conn, c, dir };
	struct http_dir *h = &c->h[dir];
	if (!c->started) {
		c->started = true;
		if (dir == 1 && !conn->syn_seen[0])
			c->h[0].st = HD_RESYNC; /* its request came before the capture */
	}
	if (!gap_len) {
		http_data(&x, data);
		return;
	}
	kf_events_add(&r->ev, KF_EV_TCP_GAP);
	h->head.len = 0;
	pdu_abandon(c, dir); /* a body with a hole is never shown whole */
	if (h->st == HD_BODY_LEN && gap_len <= h->body_left) {
		/* the hole fell inside a body we were skipping: still in step */
		h->body_left -= gap_len;
		if (!h->body_left)
			h->st = HD_HEAD;
	} else if (h->st != HD_DEAD && h->st != HD_BODY_CLOSE) {
		h->st = HD_RESYNC;
	}
}

/* Most bytes of bulk HTTP are bodies of a known length arriving in order:
 * they are counted off without a trip through reassembly and the parser. */
static bool http_skippable(struct kf_conn *conn, int dir, size_t n)
{
	const struct http_dir *h = &((struct http_state *)conn->cs)->h[dir];
	return h->st == HD_BODY_LEN && h->body_left >= n;
}

static void http_skipped(struct kf_run *r, struct kf_conn *conn, int dir, size_t n)
{
	struct http_state *c = conn->cs;
	struct http_dir *h = &c->h[dir];
	h->body_left -= n;
	if (!h->body_left) {
		h->st = HD_HEAD;
		pdu_end(r, c, dir, r->frame, r->ts_us);
	}
}

static void http_release(struct kf_run *r, struct kf_conn *conn)
{
	struct http_state *c = conn->cs;
	/* a body that runs to the connection's close ends with the FIN */
	for (int dir = 0; dir < 2; dir++) {
		if (c->h[dir].st == HD_BODY_CLOSE)
			pdu_end(r, c, dir, conn->fin[dir] ? conn->fin_frame[dir] : conn->last_frame,
				conn->fin[dir] ? conn->fin_ts[dir] : conn->last_ts);
		else
			pdu_abandon(c, dir); /* cut by the end of the capture */
	}
	/* requests that got no response still tell their part of the story */
	struct app_ctx x = { r, conn, c, 0 };
	while (c->pend_n) {
		struct pending_req *p = pending_front(c);
		if (p->has_auth)
			request_record(&x, p);
		pending_pop(c);
	}
	kf_gather_free(&c->h[0].head);
	kf_gather_free(&c->h[1].head);
	kf_free(c->pend);
	kf_free(c);
	conn->cs = NULL;
}

const struct kf_carrier_ops kf_carrier_http = {
	.name = "http",
	.probe = http_probe,
	.open = http_open,
	.stream = http_stream,
	.skippable = http_skippable,
	.skipped = http_skipped,
	.release = http_release,
};
