/* app_tcp.c - TCP connections on ports other than 88, recognised by content:
 * HTTP/1.x on any port (RFC 9112), whose authentication headers (RFC 9110
 * §11, RFC 4559) are followed request by response; TLS, whose ClientHello
 * names the server (RFC 6066 SNI) before the rest goes dark.
 *
 * Cost model: a segment of a connection that is neither costs one flow
 * lookup (connections seen from their SYN) or a 16-byte probe (connections
 * picked up mid-way, which get no flow until they look like HTTP or TLS).
 * HTTP bodies are skipped by counting, never copied; only a head split over
 * segments is gathered, capped at KF_LIMIT_HTTP_HEADER_BLOCK.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "auth_token.h"
#include "base/cursor.h"
#include "http1.h"
#include "run.h"
#include "tls.h"

#define PROBE_SEGMENTS 4 /* payload segments looked at before giving up on a connection */
#define HOST_MAX 128
#define METHOD_MAX 24
#define SCHEME_MAX 24

enum app_state { APP_PROBING, APP_HTTP, APP_DNS, APP_DONE };
#define DNS_PORT 53
enum hdir_state { HD_HEAD, HD_BODY_LEN, HD_BODY_CHUNKED, HD_BODY_CLOSE, HD_RESYNC, HD_DEAD };

struct http_dir {
	enum hdir_state st;
	uint8_t *buf; /* a head split over segments */
	size_t len, cap;
	uint64_t body_left;
	struct kf_http_chunked ch;
};

/* A request waiting for its response (HTTP/1.1 answers in order). */
struct pending_req {
	char method[METHOD_MAX];
	char uri[KF_LIMIT_HTTP_URI];
	char host[HOST_MAX];
	char scheme[SCHEME_MAX];
	bool uri_truncated, has_auth, proxy, token_invalid;
	uint64_t frame, ts_us;
	uint32_t header_bytes, token_bytes;
	int64_t token_msg;  /* the message its token carried, or -1 */
	int64_t req_msg;    /* its HTTP-REQUEST record once written, or -1 */
	struct kf_spnego_rec *bare_spnego;
};

struct app_conn {
	enum kf_conn_kind kind; /* KF_CONN_APP: first, see run.h */
	enum app_state st;
	uint8_t probes;
	bool syn_seen[2];
	uint32_t isn[2];
	bool authenticated;     /* credentials or a challenge seen: later exchanges matter */
	struct kf_reasm_dir *dir[2]; /* 0: client → server, 1: server → client */
	struct http_dir h[2];
	struct pending_req *pend;    /* ring of pend_cap (up to KF_LIMIT_HTTP_PIPELINE), grown on demand */
	uint8_t pend_head, pend_n, pend_cap;
	bool fin[2];                 /* FIN or RST seen from each side */
	uint64_t last_frame, last_ts;
};

struct app_ctx {
	struct kf_run *r;
	struct kf_flow *f;
	struct app_conn *c;
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

/* Endpoints of the connection as seen from direction dir. */
static void origin(const struct app_ctx *x, struct kf_token_origin *o)
{
	const struct kf_flow_key *k = &x->f->key;
	struct kf_endpoint cl, sv;
	kf_run_endpoint(&cl, k->ipver, k->caddr, k->cport);
	kf_run_endpoint(&sv, k->ipver, k->saddr, k->sport);
	o->src = x->dir == 0 ? cl : sv;
	o->dst = x->dir == 0 ? sv : cl;
	o->connection = x->f->id;
	o->frame = x->r->frame;
	o->ts_us = x->r->ts_us;
}

static void link_msgs(struct kf_run *r, int64_t req, int64_t rep)
{
	if (req >= 0 && rep >= 0)
		kf_msgstore_link(&r->store, (uint32_t)req, (uint32_t)rep);
}

/* ---- HTTP records ------------------------------------------------------- */

static int64_t http_record(struct app_ctx *x, int type, uint64_t frame, uint64_t ts, struct kf_http_rec *h,
			   struct kf_spnego_rec *sp)
{
	struct kf_token_origin o;
	origin(x, &o);
	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.frame = frame;
	msg.ts_us = ts;
	msg.first_frame = frame;
	msg.src = o.src;
	msg.dst = o.dst;
	msg.transport = KF_TRANSPORT_TCP;
	msg.carrier = KF_CARRIER_HTTP;
	msg.type = type;
	msg.connection = o.connection;
	msg.http = h;
	msg.spnego = sp;
	uint32_t idx;
	enum kf_status st = kf_msgstore_add(&x->r->store, &msg, NULL, &idx);
	if (st == KF_LIMIT) {
		kf_events_add(&x->r->ev, KF_EV_MESSAGE_LIMIT);
		return -1;
	}
	if (st != KF_OK) {
		kf_run_nomem(x->r);
		return -1;
	}
	return idx;
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
	struct app_ctx cx = *x;
	cx.dir = 0;
	p->req_msg = http_record(&cx, KF_MSG_HTTP_REQUEST, p->frame, p->ts_us, h, p->bare_spnego);
}

/* ---- pending requests --------------------------------------------------- */

/* Room for one more pending request: most connections have one at a time,
 * so the ring starts small (a request record is most of a kilobyte). */
static bool pending_grow(struct app_conn *c)
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
	struct app_conn *c = x->c;
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

static struct pending_req *pending_front(struct app_conn *c)
{
	return c->pend_n ? &c->pend[c->pend_head] : NULL;
}

static void pending_pop(struct app_conn *c)
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
	case KF_HTTP_BODY_UNTIL_CLOSE:
		h->st = HD_BODY_CLOSE;
		break;
	default:
		h->st = HD_HEAD;
	}
}

static void on_request(struct app_ctx *x, const struct kf_http_head *hd)
{
	struct pending_req *p = pending_push(x);
	set_body(&x->c->h[0], hd);
	if (!p)
		return;
	copy_span(p->method, sizeof p->method, hd->method, NULL);
	copy_span(p->uri, sizeof p->uri, hd->uri, &p->uri_truncated);
	const struct kf_http_header *host = kf_http_header_find(hd, "Host", 0);
	if (host)
		copy_span(p->host, sizeof p->host, host->value, NULL);
	p->frame = x->r->frame;
	p->ts_us = x->r->ts_us;
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
		struct kf_token_origin o;
		origin(x, &o);
		struct kf_token_summary sum;
		p->token_msg = kf_auth_token(x->r, &o, a.token, &sum);
		p->token_bytes = sum.token_bytes;
		p->token_invalid = sum.invalid;
		p->bare_spnego = sum.bare_spnego;
	}
	request_record(x, p); /* credentials: it takes part, whatever the answer */
}

static void on_response(struct app_ctx *x, const struct kf_http_head *hd)
{
	struct app_conn *c = x->c;
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
	bool relevant = (p && p->has_auth) || hd->status == 401 || hd->status == 407 || nch || pa ||
			c->authenticated;
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
				char sc[SCHEME_MAX];
				copy_span(sc, sizeof sc, ch[i].scheme, NULL);
				schemes[i] = arena_str(x->r, sc);
				if (tok < 0 && ch[i].token.n && token_scheme(ch[i].scheme)) {
					struct kf_token_origin o;
					origin(x, &o);
					struct kf_token_summary sum;
					tok = kf_auth_token(x->r, &o, ch[i].token, &sum);
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
			int64_t rep = http_record(x, KF_MSG_HTTP_RESPONSE, x->r->frame, x->r->ts_us, h, bare);
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

/* Append to the split-head buffer; false when the cap is reached. */
static bool gather(struct kf_run *r, struct http_dir *h, struct kf_span s)
{
	size_t room = KF_LIMIT_HTTP_HEADER_BLOCK - h->len;
	size_t take = s.n < room ? s.n : room;
	if (h->len + take > h->cap) {
		size_t cap = h->cap ? h->cap : 4096;
		while (cap < h->len + take)
			cap *= 2;
		if (cap > KF_LIMIT_HTTP_HEADER_BLOCK)
			cap = KF_LIMIT_HTTP_HEADER_BLOCK;
		uint8_t *nb = kf_realloc(h->buf, cap);
		if (!nb) {
			kf_run_nomem(r);
			return false;
		}
		h->buf = nb;
		h->cap = cap;
	}
	memcpy(h->buf + h->len, s.p, take);
	h->len += take;
	return take == s.n;
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
		case HD_BODY_CLOSE:
			return;
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
			if (!h->body_left)
				h->st = HD_HEAD;
			break;
		}
		case HD_BODY_CHUNKED: {
			bool done = false;
			size_t k = kf_http_chunked_feed(&h->ch, rest, &done, &x->r->ev);
			kf_cur_skip(&c, k);
			if (h->ch.error)
				h->st = HD_RESYNC;
			else if (done)
				h->st = HD_HEAD;
			else if (k == 0)
				return;
			break;
		}
		case HD_HEAD: {
			long rc;
			if (h->len == 0) {
				rc = parse_head(x, rest, &hd);
				if (rc > 0) {
					on_head(x, &hd);
					kf_cur_skip(&c, (size_t)rc);
					break;
				}
				if (rc == KF_HTTP_NEED_MORE) {
					if (!gather(x->r, h, rest)) {
						kf_events_add(&x->r->ev, KF_EV_HTTP_HEADER_TOO_BIG);
						h->st = HD_DEAD;
					}
					return;
				}
				h->st = HD_RESYNC;
				return;
			}
			size_t before = h->len;
			bool all = gather(x->r, h, rest);
			/* re-parse only when the new bytes can end the head: a head fed
			 * a byte at a time must not cost a rescan per byte */
			if (!head_may_end(h->buf, h->len, before)) {
				if (!all || h->len == KF_LIMIT_HTTP_HEADER_BLOCK) {
					kf_events_add(&x->r->ev, KF_EV_HTTP_HEADER_TOO_BIG);
					h->st = HD_DEAD;
					h->len = 0;
				}
				return;
			}
			rc = parse_head(x, kf_span_make(h->buf, h->len), &hd);
			if (rc > 0) {
				on_head(x, &hd);
				kf_cur_skip(&c, (size_t)rc - before);
				h->len = 0;
				break;
			}
			if (rc == KF_HTTP_NEED_MORE) {
				if (!all || h->len == KF_LIMIT_HTTP_HEADER_BLOCK) {
					kf_events_add(&x->r->ev, KF_EV_HTTP_HEADER_TOO_BIG);
					h->st = HD_DEAD;
					h->len = 0;
				}
				return;
			}
			h->len = 0;
			h->st = HD_RESYNC;
			return;
		}
		}
	}
}

/* DNS over TCP (RFC 1035 §4.2.2): 2-byte length, then the message; only
 * the server's responses are recorded.  Uses the direction's head buffer. */
static void dns_data(struct app_ctx *x, struct kf_span data)
{
	struct http_dir *h = &x->c->h[x->dir];
	if (x->dir != 1 || h->st == HD_DEAD)
		return;
	if (!gather(x->r, h, data)) {
		h->st = HD_DEAD;
		return;
	}
	struct kf_token_origin o;
	origin(x, &o);
	size_t off = 0;
	while (h->len - off >= 2) {
		size_t need = (size_t)h->buf[off] << 8 | h->buf[off + 1];
		if (h->len - off - 2 < need)
			break;
		kf_dns_record(x->r, &o.src, &o.dst, KF_TRANSPORT_TCP, o.connection,
			      kf_span_make(h->buf + off + 2, need));
		off += 2 + need;
	}
	memmove(h->buf, h->buf + off, h->len - off);
	h->len -= off;
}

static void record_tls(struct app_ctx *x, struct kf_span payload);

/* Decide what a connection carries from the first bytes of one direction. */
static void classify(struct app_ctx *x, struct kf_span first)
{
	struct app_conn *c = x->c;
	if (x->dir == 0 && kf_tls_probe(first)) {
		record_tls(x, first);
		c->st = APP_DONE;
	} else if (head_start(x->dir, first)) {
		c->st = APP_HTTP;
		if (x->dir == 1 && !c->syn_seen[0])
			c->h[0].st = HD_RESYNC; /* its request came before the capture */
	} else if (c->syn_seen[x->dir] || ++c->probes >= PROBE_SEGMENTS) {
		/* the stream's real start is not HTTP or TLS: nothing to follow */
		c->st = APP_DONE;
	}
}

static void on_stream(void *ctx, struct kf_span data, uint32_t gap_len)
{
	struct app_ctx *x = ctx;
	struct http_dir *h = &x->c->h[x->dir];
	if (x->c->st == APP_PROBING) {
		if (gap_len || !data.n)
			return;
		classify(x, data);
		if (x->c->st != APP_HTTP)
			return;
	}
	if (x->c->st == APP_DONE)
		return;
	if (x->c->st == APP_DNS) {
		if (gap_len)
			h->st = HD_DEAD; /* no resynchronising DNS framing: stop */
		else
			dns_data(x, data);
		return;
	}
	if (!gap_len) {
		http_data(x, data);
		return;
	}
	kf_events_add(&x->r->ev, KF_EV_TCP_GAP);
	h->len = 0;
	if (h->st == HD_BODY_LEN && gap_len <= h->body_left) {
		/* the hole fell inside a body we were skipping: still in step */
		h->body_left -= gap_len;
		if (!h->body_left)
			h->st = HD_HEAD;
	} else if (h->st != HD_DEAD && h->st != HD_BODY_CLOSE) {
		h->st = HD_RESYNC;
	}
}

/* ---- connections -------------------------------------------------------- */

static void record_tls(struct app_ctx *x, struct kf_span payload)
{
	struct kf_run *r = x->r;
	char sni[KF_LIMIT_DNS_NAME];
	bool has = kf_tls_client_hello_sni(payload, sni, sizeof sni, &r->ev);
	if (r->n_tls == r->cap_tls) {
		size_t cap = r->cap_tls ? r->cap_tls * 2 : 16;
		struct kf_tls_hello *nt = kf_realloc(r->tls, cap * sizeof(*nt));
		if (!nt) {
			kf_run_nomem(r);
			return;
		}
		r->tls = nt;
		r->cap_tls = cap;
	}
	struct kf_tls_hello *t = &r->tls[r->n_tls++];
	struct kf_token_origin o;
	origin(x, &o);
	t->frame = r->frame;
	t->ts_us = r->ts_us;
	t->src = o.src;
	t->dst = o.dst;
	t->connection = o.connection;
	t->sni = has ? arena_str(r, sni) : NULL;
}

static bool reasm_dir(struct kf_run *r, struct app_conn *c, int dir, uint32_t seq, bool syn)
{
	if (!c->dir[dir]) {
		c->dir[dir] = kf_reasm_new(&r->pool);
		if (!c->dir[dir]) {
			kf_run_nomem(r);
			return false;
		}
	}
	if (!kf_reasm_started(c->dir[dir])) {
		if (c->syn_seen[dir])
			kf_reasm_start(c->dir[dir], c->isn[dir], true);
		else
			kf_reasm_start(c->dir[dir], syn ? seq + 1 : seq, false);
	}
	return true;
}

static void flush(struct kf_run *r, struct kf_flow *f, struct app_conn *c, int dir)
{
	if (!c->dir[dir])
		return;
	struct app_ctx x = { r, f, c, dir };
	kf_reasm_flush(c->dir[dir], on_stream, &x, &r->ev);
}

void kf_app_release(struct kf_run *r, struct kf_flow *f)
{
	struct app_conn *c = f->user;
	uint64_t frame = r->frame, ts = r->ts_us;
	r->frame = c->last_frame;
	r->ts_us = c->last_ts;
	flush(r, f, c, 0);
	flush(r, f, c, 1);
	r->frame = frame;
	r->ts_us = ts;
	/* requests that got no response still tell their part of the story */
	struct app_ctx x = { r, f, c, 0 };
	while (c->pend_n) {
		struct pending_req *p = pending_front(c);
		if (p->has_auth)
			request_record(&x, p);
		pending_pop(c);
	}
	for (int i = 0; i < 2; i++) {
		kf_reasm_free(c->dir[i]);
		kf_free(c->h[i].buf);
	}
	kf_free(c->pend);
	kf_free(c);
	f->user = NULL;
}

/* Nothing to follow on this connection: drop its reassembly state but keep
 * the flow entry, so its later segments cost one lookup. */
static void drop_reasm(struct app_conn *c)
{
	for (int i = 0; i < 2; i++) {
		kf_reasm_free(c->dir[i]);
		c->dir[i] = NULL;
	}
}

static struct kf_flow *new_conn(struct kf_run *r, const struct kf_flow_key *k)
{
	struct kf_flow *f = kf_flow_insert(r->flows, k, r->ts_us, &r->ev);
	if (!f) {
		kf_run_nomem(r);
		return NULL;
	}
	struct app_conn *c = kf_calloc(1, sizeof(*c));
	if (!c) {
		kf_run_nomem(r);
		kf_flow_remove(r->flows, f, KF_FLOW_CLOSED);
		return NULL;
	}
	c->kind = KF_CONN_APP;
	f->user = c;
	return f;
}

/* Most bytes of bulk HTTP are bodies of a known length arriving in order:
 * count them off without a trip through reassembly and the parser. */
static bool skip_body(struct app_conn *c, int dir, uint32_t seq, size_t n)
{
	struct http_dir *h = &c->h[dir];
	if (c->st != APP_HTTP || h->st != HD_BODY_LEN || h->body_left < n)
		return false;
	if (!kf_reasm_skip_next(c->dir[dir], seq, n))
		return false;
	h->body_left -= n;
	if (!h->body_left)
		h->st = HD_HEAD;
	return true;
}

void kf_app_tcp_packet(struct kf_run *r, const struct kf_ip *ip, const struct kf_tcp *t)
{
	bool syn = t->flags & KF_TCP_SYN, ack = t->flags & KF_TCP_ACK;
	bool fin = t->flags & (KF_TCP_FIN | KF_TCP_RST);
	struct kf_flow_key k;
	memset(&k, 0, sizeof k);
	k.ipver = ip->version;
	k.proto = KF_IPPROTO_TCP;
	memcpy(k.caddr, ip->src, 16);
	memcpy(k.saddr, ip->dst, 16);
	k.cport = t->sport;
	k.sport = t->dport;

	bool reversed = false;
	struct kf_flow *f = kf_flow_find(r->flows, &k, &reversed);
	if (!f) {
		/* Who is the client: the SYN's sender; mid-way, the side that
		 * sends a request (or receives a response). */
		bool flip;
		bool dns = t->sport == DNS_PORT || t->dport == DNS_PORT;
		if (dns)
			flip = t->sport == DNS_PORT && t->dport != DNS_PORT;
		else if (syn)
			flip = ack;
		else if (t->payload.n && (kf_http_probe_request(t->payload) || kf_tls_probe(t->payload)))
			flip = false;
		else if (t->payload.n && kf_http_probe_response(t->payload))
			flip = true;
		else
			return; /* not the start of anything we follow */
		if (flip) {
			struct kf_flow_key rk = k;
			memcpy(rk.caddr, ip->dst, 16);
			memcpy(rk.saddr, ip->src, 16);
			rk.cport = t->dport;
			rk.sport = t->sport;
			k = rk;
		}
		reversed = flip;
		f = new_conn(r, &k);
		if (!f)
			return;
		if (dns)
			((struct app_conn *)f->user)->st = APP_DNS;
	}
	struct app_conn *c = f->user;
	if (!c || c->kind != KF_CONN_APP)
		return;
	int dir = reversed ? 1 : 0;
	kf_flow_touch(r->flows, f, r->ts_us);
	c->last_frame = r->frame;
	c->last_ts = r->ts_us;
	if (syn && !c->syn_seen[dir]) {
		c->syn_seen[dir] = true;
		c->isn[dir] = t->seq;
	}
	struct app_ctx x = { r, f, c, dir };

	if (c->st == APP_PROBING && !c->syn_seen[dir]) {
		/* picked up mid-way: judge segment by segment */
		if (t->payload.n)
			classify(&x, t->payload);
		if (c->st == APP_PROBING)
			return;
	}
	if (c->st == APP_DONE) {
		drop_reasm(c);
		return;
	}
	/* From here the segment goes through reassembly: while probing a
	 * connection seen from its SYN, so that the bytes judged are the
	 * stream's in-order start even when its first segment came late. */
	if (t->payload.n && skip_body(c, dir, syn ? t->seq + 1 : t->seq, t->payload.n))
		; /* the middle of a body, in order: nothing to look at */
	else if (t->payload.n && reasm_dir(r, c, dir, t->seq, syn))
		kf_reasm_segment(c->dir[dir], syn ? t->seq + 1 : t->seq, t->payload, on_stream, &x, &r->ev);
	if (c->st == APP_DONE) {
		drop_reasm(c);
		return;
	}
	if (ack && !syn && c->dir[!dir] && kf_reasm_started(c->dir[!dir])) {
		struct app_ctx ox = { r, f, c, !dir };
		kf_reasm_ack(c->dir[!dir], t->ack, on_stream, &ox, &r->ev);
	}
	if (fin) {
		flush(r, f, c, dir);
		/* closed both ways (or reset): finish it now rather than hold its
		 * state until it idles out or the table fills */
		c->fin[dir] = true;
		if ((c->fin[0] && c->fin[1]) || (t->flags & KF_TCP_RST))
			kf_flow_remove(r->flows, f, KF_FLOW_CLOSED);
	}
}
