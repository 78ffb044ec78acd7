/* carrier_ldap.c - LDAP on TCP 389 and the global catalog's 3268 (RFC 4511),
 * and on any other TCP port whose stream opens with a bind (a probe):
 * each LDAPMessage is a BER SEQUENCE with its own length.  Its first bytes
 * (the SEQUENCE's length, the messageID, the protocolOp's tag) say whether
 * it takes part in authentication: binds and extended operations (StartTLS)
 * are gathered whole, up to KF_LIMIT_LDAP_MESSAGE, and decoded
 * (decoders/ldap.c); every other message (searches and their results, most
 * of an LDAP connection) is counted off without a copy.  SASL credentials
 * and serverSaslCreds go through the token path (gss_token.c), then each
 * bind becomes an LDAP-REQUEST / LDAP-RESPONSE record, a response linked to
 * its request by messageID.  A message sits in the frame where it ends.
 *
 * Where the connection stops being BER: after a successful StartTLS it is
 * TLS; after a successful SASL bind, bytes that are not an LDAPMessage are
 * SASL-wrapped (signed or sealed: a 4-byte length, then a GSS wrap token),
 * which the bind's response record says once (wrapped_from).  The first
 * SASL buffer of each direction is then counted off and its token's header
 * read (decoders/gss.h kf_gss_perm): one GSS-WRAP record per direction, in
 * the frame where the buffer ends, says whether the traffic is sealed or
 * only signed.  After a StartTLS, or once both directions said it, the rest
 * of the connection is not read. */
#include <string.h>

#include "base/text.h"
#include "carriers.h"
#include "emit.h"
#include "gss.h"
#include "gss_token.h"
#include "ldap.h"

#define LDAP_PEEK 18u   /* kf_ldap_peek never needs more */
#define LDAP_PENDING 8u /* requests awaiting their response on one connection */
/* A SASL buffer's 4-byte length, then enough of its token for the longest
 * header (RFC 1964's, GSS-framed) or an NTLM signature and the BER peek of
 * what follows it (signed only: an LDAPMessage in clear). */
#define WRAP_PEEK (4u + KF_GSS_NTLM_SIGNATURE_LEN + LDAP_PEEK + 14u)
#define WRAP_MAX_BUFFER 0xffffffu /* RFC 4422 §3.7: a 3-byte maximum buffer size */

enum ldap_dir_state {
	LD_HEAD,      /* gathering a message's first bytes */
	LD_GATHER,    /* gathering a bind or extended operation whole */
	LD_SKIP,      /* counting off the rest of any other message */
	LD_STOP,      /* framing lost: the rest of this direction is not read */
	LD_WRAP_HEAD, /* after a SASL bind: gathering the first SASL buffer's start */
	LD_WRAP_SKIP, /* ... counting off the rest of it */
	LD_WRAP_DONE, /* ... said: the rest of this direction is not read */
};

struct ldap_dir {
	enum ldap_dir_state st;
	uint8_t hdr[LDAP_PEEK];
	uint8_t hdr_have;
	uint64_t left; /* bytes of the current message still to come */
	uint64_t first_frame;
	bool framed; /* a message was framed in this direction */
	struct kf_gather g;
	uint8_t wrap[WRAP_PEEK];
	uint8_t wrap_have;
	uint32_t wrap_len; /* the SASL buffer's length (without its 4 bytes) */
	struct kf_gss_perm perm;
};

struct ldap_pending {
	bool used;
	uint32_t msg_id;
	uint32_t rec, token;
	bool starttls;
	const char *mechanism;
	const char *bind_dn;
};

struct ldap_state {
	struct ldap_dir d[2];
	struct ldap_pending pend[LDAP_PENDING];
	uint8_t next_pend;
	bool starttls_asked;         /* a StartTLS request went out: non-BER bytes are TLS */
	struct kf_ldap_rec *sasl_ok; /* the last successful SASL bindResponse */
	uint32_t bind_steps;         /* saslBindInProgress answers in a row */
};

static bool ldap_open(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	struct ldap_state *s = kf_calloc(1, sizeof(*s));
	if (!s)
		return false;
	c->cs = s;
	return true;
}

/* ------------------------------------------------------- the records ---- */

static const char *text_of(struct kf_run *r, struct kf_span s)
{
	if (!s.n)
		return NULL;
	char buf[KF_LIMIT_LDAP_TEXT];
	size_t n = kf_text_utf8(s, buf, sizeof buf, NULL);
	return kf_arena_strndup(&r->res->arena, buf, n);
}

static struct ldap_pending *pending_find(struct ldap_state *s, uint32_t msg_id)
{
	for (unsigned i = 0; i < LDAP_PENDING; i++)
		if (s->pend[i].used && s->pend[i].msg_id == msg_id)
			return &s->pend[i];
	return NULL;
}

static struct ldap_pending *pending_add(struct ldap_state *s, uint32_t msg_id)
{
	struct ldap_pending *p = pending_find(s, msg_id);
	if (!p) { /* the oldest slot is reused: its response is no longer matched */
		p = &s->pend[s->next_pend];
		s->next_pend = (uint8_t)((s->next_pend + 1) % LDAP_PENDING);
	}
	memset(p, 0, sizeof *p);
	p->used = true;
	p->msg_id = msg_id;
	return p;
}

static const char *mechanism_of(struct kf_run *r, const struct kf_ldap_msg *m)
{
	switch (m->auth) {
	case KF_LDAP_AUTH_SIMPLE: return "simple";
	case KF_LDAP_AUTH_SASL: return text_of(r, m->mechanism);
	case KF_LDAP_AUTH_SICILY: return "sicily";
	case KF_LDAP_AUTH_OTHER: return "other";
	default: return NULL;
	}
}

static void on_message(struct kf_run *r, struct kf_conn *c, int dir, const struct ldap_dir *d,
		       const struct kf_ldap_msg *m)
{
	struct ldap_state *s = c->cs;
	struct kf_ldap_rec *rec = kf_arena_zalloc(&r->res->arena, sizeof(*rec));
	if (!rec) {
		kf_run_nomem(r);
		return;
	}
	bool response = m->op == KF_LDAP_BIND_RESPONSE || m->op == KF_LDAP_EXTENDED_RESPONSE;
	rec->message_id = m->message_id;
	rec->operation = m->op;
	rec->has_result = m->has_result;
	rec->result_code = m->result_code;
	rec->diagnostic = text_of(r, m->diagnostic);
	rec->ad_data_code = m->has_ad_data ? m->ad_data_code : 0;
	rec->starttls = m->starttls;
	if (m->op == KF_LDAP_BIND_REQUEST) {
		rec->mechanism = mechanism_of(r, m);
		rec->bind_dn = text_of(r, m->name);
		rec->simple_password = m->simple_password;
	}
	struct ldap_pending *req = response ? pending_find(s, m->message_id) : NULL;
	if (req) {
		if (!rec->mechanism)
			rec->mechanism = req->mechanism;
		if (!rec->bind_dn)
			rec->bind_dn = req->bind_dn;
		if (req->starttls)
			rec->starttls = true;
	}

	/* the token first, as SMB records it: the record follows in the same frame */
	struct kf_span tok = m->op == KF_LDAP_BIND_REQUEST ? m->credentials : m->server_creds;
	int64_t token = -1;
	struct kf_token_summary sum;
	memset(&sum, 0, sizeof sum);
	if (tok.n) {
		struct kf_token_origin o = { c, dir, KF_CARRIER_LDAP, d->first_frame, KF_SENDER_UNKNOWN };
		token = kf_gss_token(r, &o, tok, &sum);
		rec->token_bytes = sum.token_bytes ? sum.token_bytes : (uint32_t)tok.n;
		rec->token_invalid = sum.invalid;
	}

	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.type = response ? KF_MSG_LDAP_RESPONSE : KF_MSG_LDAP_REQUEST;
	msg.first_frame = d->first_frame;
	msg.ldap = rec;
	msg.spnego = sum.bare_spnego;
	uint32_t id;
	if (!kf_emit(r, c, dir, KF_CARRIER_LDAP, &msg, NULL, &id))
		return;
	if (!response) {
		struct ldap_pending *p = pending_add(s, m->message_id);
		p->rec = id;
		p->token = token > 0 ? (uint32_t)token : 0;
		p->starttls = m->starttls;
		p->mechanism = rec->mechanism;
		p->bind_dn = rec->bind_dn;
		if (m->starttls)
			s->starttls_asked = true;
		return;
	}
	if (m->op == KF_LDAP_BIND_RESPONSE)
		s->bind_steps =
			m->result_code == KF_LDAP_RESULT_SASL_BIND_IN_PROGRESS ? s->bind_steps + 1 : 0;
	if (s->bind_steps > KF_LIMIT_LDAP_BIND_STEPS) { /* an endless bind: each step costs a record */
		kf_events_add(&r->ev, KF_EV_LDAP_BIND_STEPS_LIMIT);
		c->done = true;
	}
	if (m->op == KF_LDAP_BIND_RESPONSE && m->result_code == KF_LDAP_RESULT_SUCCESS && rec->mechanism &&
	    strcmp(rec->mechanism, "simple") != 0)
		s->sasl_ok = rec;
	if (rec->starttls && m->result_code == KF_LDAP_RESULT_SUCCESS) {
		c->done = true; /* the rest is TLS */
	} else if (rec->starttls) {
		s->starttls_asked = false; /* refused: the connection goes on in clear */
	}
	if (!req)
		return;
	kf_msgstore_link(&r->store, req->rec, id);
	if (req->token && token > 0)
		kf_msgstore_link(&r->store, req->token, (uint32_t)token);
	req->used = false;
}

static void on_whole(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span bytes)
{
	const struct ldap_dir *d = &((struct ldap_state *)c->cs)->d[dir];
	struct kf_ldap_msg m;
	bool ok = kf_ldap_decode(bytes, &m, &r->ev);
	if (m.why)
		kf_run_debug(r, m.why);
	if (!ok || !kf_ldap_op_name(m.op))
		return;
	on_message(r, c, dir, d, &m);
}

/* ------------------------------------------------ SASL-wrapped traffic ---- */

static void wrap_finish(struct kf_run *r, struct kf_conn *c, struct ldap_dir *d)
{
	struct ldap_state *s = c->cs;
	(void)r;
	d->st = LD_WRAP_DONE;
	bool other_over = s->d[0].st == LD_WRAP_DONE || s->d[0].st == LD_STOP;
	if (other_over && (s->d[1].st == LD_WRAP_DONE || s->d[1].st == LD_STOP))
		c->done = true; /* both directions said (or lost): no per-packet cost from here */
}

/* The first SASL buffer of a direction has ended: its GSS-WRAP record. */
static void wrap_emit(struct kf_run *r, struct kf_conn *c, int dir, struct ldap_dir *d)
{
	struct kf_token_origin o = { c, dir, KF_CARRIER_LDAP, d->first_frame,
				     dir == 0 ? KF_SENDER_CLIENT : KF_SENDER_SERVER };
	d->perm.wrap = true; /* a SASL buffer wraps (an NTLM signature heads signed or sealed data) */
	(void)kf_gss_perm_record(r, &o, &d->perm, d->wrap_len, dir == 0);
	wrap_finish(r, c, d);
}

/* The buffer's length and the token's first bytes are in: what token is it? */
static void wrap_head_done(struct kf_run *r, struct kf_conn *c, int dir, struct ldap_dir *d)
{
	struct kf_span tok = kf_span_make(d->wrap + 4, d->wrap_have - 4u);
	if (!kf_gss_perm_decode(tok, &d->perm)) {
		wrap_finish(r, c, d); /* a security layer krbflow does not know: wrapped_from says it */
		return;
	}
	if (d->perm.mech == KF_GSS_PERM_NTLM && tok.n > KF_GSS_NTLM_SIGNATURE_LEN) {
		/* MS-NLMP sealing encrypts the message after the signature; signing
		 * leaves it an LDAPMessage in clear */
		struct kf_ldap_peek pk;
		struct kf_span rest =
			kf_span_make(tok.p + KF_GSS_NTLM_SIGNATURE_LEN, tok.n - KF_GSS_NTLM_SIGNATURE_LEN);
		d->perm.sealed_known = true;
		d->perm.sealed = kf_ldap_peek(rest, &pk) <= 0;
	}
	d->left = (uint64_t)d->wrap_len + 4u - d->wrap_have;
	if (!d->left)
		wrap_emit(r, c, dir, d);
	else
		d->st = LD_WRAP_SKIP;
}

/* Gather a SASL buffer's start; returns the bytes of data used. */
static size_t wrap_gather(struct kf_run *r, struct kf_conn *c, int dir, struct ldap_dir *d,
			  struct kf_span data)
{
	size_t used = 0;
	while (used < data.n && d->st == LD_WRAP_HEAD) {
		if (!d->wrap_have)
			d->first_frame = r->frame;
		d->wrap[d->wrap_have++] = data.p[used++];
		if (d->wrap_have == 4) {
			d->wrap_len = (uint32_t)d->wrap[0] << 24 | (uint32_t)d->wrap[1] << 16 |
				      (uint32_t)d->wrap[2] << 8 | d->wrap[3];
			if (!d->wrap_len || d->wrap_len > WRAP_MAX_BUFFER) {
				wrap_finish(r, c, d); /* not a SASL buffer */
				break;
			}
		}
		if (d->wrap_have > 4 && (d->wrap_have == sizeof d->wrap || d->wrap_have == d->wrap_len + 4u))
			wrap_head_done(r, c, dir, d);
	}
	return used;
}

/* -------------------------------------------------------- the framing ---- */

/* Bytes that do not open an LDAPMessage where one should begin. */
static void not_ber(struct kf_run *r, struct kf_conn *c, int dir, struct ldap_dir *d)
{
	struct ldap_state *s = c->cs;
	if (s->starttls_asked) { /* a ClientHello after StartTLS: TLS from here */
		c->done = true;
		return;
	}
	if (s->sasl_ok) {
		if (!s->sasl_ok->wrapped_from)
			s->sasl_ok->wrapped_from = r->frame;
		/* signed or sealed from here: never read as BER.  The bytes
		 * peeked so far open the first SASL buffer. */
		uint8_t peeked[LDAP_PEEK];
		uint8_t n = d->hdr_have;
		memcpy(peeked, d->hdr, n);
		d->hdr_have = 0;
		d->st = LD_WRAP_HEAD;
		d->wrap_have = 0;
		uint64_t first = d->first_frame;
		wrap_gather(r, c, dir, d, kf_span_make(peeked, n));
		d->first_frame = first;
		return;
	}
	/* a flow picked up mid-way may start inside a message or a SASL buffer:
	 * the missing handshake is already said (tcp-midstream) */
	if (d->framed || !c->midstream)
		kf_events_add(&r->ev, KF_EV_LDAP_FRAMING_LOST);
	d->st = LD_STOP;
	if (s->d[0].st == LD_STOP && s->d[1].st == LD_STOP)
		c->done = true;
}

static bool wanted(uint8_t op_tag)
{
	return op_tag == 0x60 || op_tag == 0x61 || op_tag == 0x77 || op_tag == 0x78;
}

static void head_done(struct kf_run *r, struct ldap_dir *d, const struct kf_ldap_peek *pk)
{
	d->left = pk->total - d->hdr_have;
	d->g.len = 0;
	if (!wanted(pk->op_tag)) {
		d->st = LD_SKIP;
	} else if (pk->total > KF_LIMIT_LDAP_MESSAGE) {
		kf_events_add(&r->ev, KF_EV_LDAP_MESSAGE_TOO_BIG);
		d->st = LD_SKIP;
	} else {
		d->st = LD_GATHER;
		if (!kf_gather_add(r, &d->g, kf_span_make(d->hdr, d->hdr_have), KF_LIMIT_LDAP_MESSAGE))
			d->st = LD_SKIP;
	}
	d->hdr_have = 0;
}

/* Count off what of data the current message still has; true when it ended. */
static bool count_off(struct ldap_dir *d, struct kf_span *data)
{
	size_t take = data->n < d->left ? data->n : (size_t)d->left;
	d->left -= take;
	*data = kf_span_make(data->p + take, data->n - take);
	return !d->left;
}

static void feed(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span data)
{
	struct ldap_state *s = c->cs;
	struct ldap_dir *d = &s->d[dir];
	while (data.n && !c->done) {
		switch (d->st) {
		case LD_STOP:
		case LD_WRAP_DONE: return;
		case LD_WRAP_HEAD: {
			size_t used = wrap_gather(r, c, dir, d, data);
			data = kf_span_make(data.p + used, data.n - used);
			break;
		}
		case LD_WRAP_SKIP:
			if (count_off(d, &data))
				wrap_emit(r, c, dir, d);
			break;
		case LD_HEAD: {
			if (!d->hdr_have)
				d->first_frame = r->frame;
			d->hdr[d->hdr_have++] = data.p[0];
			data = kf_span_make(data.p + 1, data.n - 1);
			struct kf_ldap_peek pk;
			int k = kf_ldap_peek(kf_span_make(d->hdr, d->hdr_have), &pk);
			if (k < 0 || (k == 0 && d->hdr_have == LDAP_PEEK) ||
			    (pk.total && pk.total < d->hdr_have)) {
				not_ber(r, c, dir, d);
				d->hdr_have = 0;
				if (d->st == LD_WRAP_HEAD || d->st == LD_WRAP_SKIP)
					break; /* the rest of data goes on there */
				return;
			}
			if (k == 0 && pk.total && pk.total == d->hdr_have) {
				d->hdr_have = 0; /* a message too short to hold an op */
				break;
			}
			if (k > 0) {
				d->framed = true;
				head_done(r, d, &pk);
				if (!d->left && d->st == LD_GATHER) {
					on_whole(r, c, dir, kf_span_make(d->g.buf, d->g.len));
					d->st = LD_HEAD;
				} else if (!d->left) {
					d->st = LD_HEAD;
				}
			}
			break;
		}
		case LD_SKIP:
			if (count_off(d, &data))
				d->st = LD_HEAD;
			break;
		case LD_GATHER: {
			size_t take = data.n < d->left ? data.n : (size_t)d->left;
			if (!kf_gather_add(r, &d->g, kf_span_make(data.p, take), KF_LIMIT_LDAP_MESSAGE)) {
				d->st = LD_STOP;
				return;
			}
			d->left -= take;
			data = kf_span_make(data.p + take, data.n - take);
			if (!d->left) {
				on_whole(r, c, dir, kf_span_make(d->g.buf, d->g.len));
				d->g.len = 0;
				d->st = LD_HEAD;
			}
			break;
		}
		}
	}
}

static void ldap_stream(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span data, uint32_t gap_len)
{
	struct ldap_dir *d = &((struct ldap_state *)c->cs)->d[dir];
	if (!gap_len) {
		feed(r, c, dir, data);
		return;
	}
	if (d->st == LD_SKIP && d->left >= gap_len) { /* lost bytes nobody wanted */
		d->left -= gap_len;
		if (!d->left)
			d->st = LD_HEAD;
		return;
	}
	if (d->st == LD_WRAP_SKIP && d->left >= gap_len) { /* inside the first SASL buffer */
		d->left -= gap_len;
		if (!d->left)
			wrap_emit(r, c, dir, d);
		return;
	}
	struct ldap_state *s = c->cs;
	if (d->st == LD_WRAP_HEAD || d->st == LD_WRAP_SKIP || d->st == LD_WRAP_DONE ||
	    (s->sasl_ok && !s->starttls_asked)) {
		/* after a SASL bind the lost bytes were (or opened) SASL buffers:
		 * where the next one starts is lost, nothing more is said */
		wrap_finish(r, c, d);
		return;
	}
	if (d->st != LD_STOP)
		kf_events_add(&r->ev, KF_EV_LDAP_FRAMING_LOST);
	d->st = LD_STOP; /* BER has no marker to find the next message by */
	d->g.len = 0;
}

static bool ldap_skippable(struct kf_conn *c, int dir, size_t n)
{
	const struct ldap_dir *d = &((struct ldap_state *)c->cs)->d[dir];
	return (d->st == LD_SKIP || d->st == LD_WRAP_SKIP) && d->left >= n;
}

static void ldap_skipped(struct kf_run *r, struct kf_conn *c, int dir, size_t n)
{
	struct ldap_dir *d = &((struct ldap_state *)c->cs)->d[dir];
	d->left -= n;
	if (d->left)
		return;
	if (d->st == LD_WRAP_SKIP)
		wrap_emit(r, c, dir, d);
	else
		d->st = LD_HEAD;
}

static void ldap_release(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	struct ldap_state *s = c->cs;
	kf_gather_free(&s->d[0].g);
	kf_gather_free(&s->d[1].g);
	kf_free(s);
	c->cs = NULL;
}

const struct kf_carrier_ops kf_carrier_ldap = {
	.name = "ldap",
	.port = 389,
	.tcp = true,
	.open = ldap_open,
	.stream = ldap_stream,
	.skippable = ldap_skippable,
	.skipped = ldap_skipped,
	.release = ldap_release,
};

/* Any other TCP port: a stream that opens with a bind. */
static enum kf_probe ldap_probe(struct kf_span first, int dir)
{
	int k = kf_ldap_probe_bind(first);
	if (k == 1 && dir != 1)
		return KF_PROBE_CLIENT;
	if (k == 2 && dir != 0)
		return KF_PROBE_SERVER;
	return KF_PROBE_NO;
}

const struct kf_carrier_ops kf_carrier_ldap_any = {
	.name = "ldap-any",
	.tcp = true,
	.probe = ldap_probe,
	.open = ldap_open,
	.stream = ldap_stream,
	.skippable = ldap_skippable,
	.skipped = ldap_skipped,
	.release = ldap_release,
};

const struct kf_carrier_ops kf_carrier_ldap_gc = {
	.name = "ldap-gc",
	.port = 3268,
	.tcp = true,
	.open = ldap_open,
	.stream = ldap_stream,
	.skippable = ldap_skippable,
	.skipped = ldap_skipped,
	.release = ldap_release,
};
