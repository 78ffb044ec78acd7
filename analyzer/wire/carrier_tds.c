/* carrier_tds.c - SQL Server logins (MS-TDS) on TCP 1433, and on any other
 * TCP port whose client opens with a PRELOGIN packet (a probe).  TDS
 * packets have an 8-byte header with their length; a message is the data
 * of packets of one type up to the one with EOM set.  During the login
 * every message is gathered whole, up to KF_LIMIT_TDS_MESSAGE, and decoded
 * (decoders/tds.c): PRELOGIN and its answer, LOGIN7, SSPI packets and the
 * server's token stream.  SSPI tokens (LOGIN7's SSPI block, SSPI packets,
 * the server's SSPI token) go through the token path (gss_token.c), then
 * each message becomes a TDS-REQUEST / TDS-RESPONSE record, an answer
 * linked to the message before it.  A message sits in the frame where its
 * last packet ends.
 *
 * TLS: the handshake travels inside PRELOGIN packets; the first of them
 * says the login went inside TLS (login_encrypted).  Then TLS records go
 * straight on TCP: when both sides said ENCRYPT_OFF only the LOGIN7 does,
 * the rest (SSPI continuation, LOGINACK or ERROR) in clear, so TLS records
 * where a packet header should be are stepped over by their length; with
 * full encryption the connection is not read any further.  Once the server
 * answered the login (LOGINACK or ERROR), the rest of the connection is
 * queries and rows: not read either. */
#include <string.h>

#include "base/text.h"
#include "carriers.h"
#include "emit.h"
#include "gss_token.h"
#include "tds.h"

#define TDS_PORT 1433
#define TLS_RECORD_HEADER 5u

enum tds_dir_state {
	TD_HEAD,     /* gathering a packet's header */
	TD_DATA,     /* gathering a packet's data into the message */
	TD_SKIP,     /* counting off a packet's data (a message too big) */
	TD_TLS_HEAD, /* gathering a TLS record's header */
	TD_TLS_SKIP, /* counting off a TLS record (the login inside TLS) */
	TD_STOP,     /* framing lost */
};

struct tds_dir {
	enum tds_dir_state st;
	uint8_t hdr[KF_TDS_HEADER];
	uint8_t hdr_have;
	uint32_t left;    /* bytes of the current packet or TLS record still to come */
	bool in_msg;      /* a message's packets are coming */
	bool eom;         /* the current packet ends its message */
	bool too_big;     /* the current message went past the limit: not read */
	bool framed;      /* a packet was framed in this direction */
	uint32_t packets; /* of the current message */
	uint8_t msg_type;
	uint64_t first_frame;
	struct kf_gather g; /* the message's data */
};

struct tds_state {
	struct tds_dir d[2];
	bool prelogin_sent, prelogin_answered;
	int16_t client_enc, server_enc; /* ENCRYPTION values, -1 not seen */
	bool tls;                       /* the TLS handshake went by in PRELOGIN packets */
	bool tls_said;                  /* ... and a record said so */
	uint32_t pend_rec, pend_token;  /* the last client message, awaiting its answer */
};

static bool tds_open(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	struct tds_state *s = kf_calloc(1, sizeof(*s));
	if (!s)
		return false;
	s->client_enc = s->server_enc = -1;
	c->cs = s;
	return true;
}

/* ------------------------------------------------------- the records ---- */

static const char *text_of(struct kf_run *r, struct kf_span utf16)
{
	if (!utf16.n)
		return NULL;
	char buf[KF_LIMIT_TDS_TEXT];
	size_t n = kf_text_utf16le(utf16, buf, sizeof buf, NULL);
	return n ? kf_arena_strndup(&r->res->arena, buf, n) : NULL;
}

/* The login goes on in clear after TLS carried the LOGIN7 only. */
static bool login_only_encrypted(const struct tds_state *s)
{
	return s->client_enc == KF_TDS_ENCRYPT_OFF && s->server_enc == KF_TDS_ENCRYPT_OFF;
}

/* Nothing more to read on this connection: its gathering buffers go now,
 * not when the flow ends. */
static void finish(struct kf_conn *c)
{
	struct tds_state *s = c->cs;
	kf_gather_free(&s->d[0].g);
	kf_gather_free(&s->d[1].g);
	c->done = true;
}

static void on_prelogin(struct kf_run *r, struct tds_state *s, int dir, struct kf_span data,
			struct kf_tds_rec *rec)
{
	struct kf_tds_prelogin p;
	bool ok = kf_tds_prelogin(data, &p, &r->ev);
	if (p.why)
		kf_run_debug(r, p.why);
	if (!ok)
		return;
	if (p.tls) {
		s->tls = true;
		rec->tls_wrapped = true;
		if (!s->tls_said)
			rec->login_encrypted = true;
		s->tls_said = true;
		return;
	}
	if (dir == 0)
		s->prelogin_sent = true;
	else
		s->prelogin_answered = true;
	if (p.has_encryption) {
		rec->has_encryption = true;
		rec->encryption = p.encryption;
		if (dir == 0)
			s->client_enc = p.encryption;
		else
			s->server_enc = p.encryption;
	}
}

static void on_login7(struct kf_run *r, struct kf_span data, struct kf_tds_rec *rec, struct kf_span *token)
{
	struct kf_tds_login7 l;
	bool ok = kf_tds_login7(data, &l, &r->ev);
	if (l.why)
		kf_run_debug(r, l.why);
	if (!ok)
		return;
	rec->integrated = l.integrated;
	rec->user = text_of(r, l.user_name);
	rec->server = text_of(r, l.server_name);
	*token = l.sspi;
}

/* The server's token stream; true when it ends the login. */
static bool on_tokens(struct kf_run *r, struct kf_span data, struct kf_tds_rec *rec, struct kf_span *token)
{
	struct kf_tds_tokens t;
	bool ok = kf_tds_tokens(data, &t, &r->ev);
	if (t.why)
		kf_run_debug(r, t.why);
	if (!ok)
		return false;
	rec->login_ack = t.login_ack;
	if (t.has_error) {
		rec->has_error = true;
		rec->error_number = t.error_number;
		rec->error_state = t.error_state;
		rec->error_class = t.error_class;
		rec->message = text_of(r, t.error_text);
	}
	*token = t.sspi;
	return t.login_ack || t.has_error;
}

static void on_message(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span data)
{
	struct tds_state *s = c->cs;
	const struct tds_dir *d = &s->d[dir];
	uint8_t type = d->msg_type;
	bool response = dir == 1;
	if (response ? type != KF_TDS_TABULAR && type != KF_TDS_PRELOGIN
		     : type != KF_TDS_PRELOGIN && type != KF_TDS_LOGIN7 && type != KF_TDS_SSPI)
		return;
	struct kf_tds_rec *rec = kf_arena_zalloc(&r->res->arena, sizeof(*rec));
	if (!rec) {
		kf_run_nomem(r);
		return;
	}
	rec->packet_type = type;
	struct kf_span tok = { NULL, 0 };
	bool login_over = false;
	if (type == KF_TDS_PRELOGIN)
		on_prelogin(r, s, dir, data, rec);
	else if (type == KF_TDS_LOGIN7)
		on_login7(r, data, rec, &tok);
	else if (type == KF_TDS_SSPI)
		tok = data;
	else if (s->prelogin_sent && !s->prelogin_answered && !kf_tds_is_tls(data) && data.n &&
		 data.p[0] == 0)
		on_prelogin(r, s, dir, data, rec); /* the PRELOGIN answer: an option table, VERSION first */
	else
		login_over = on_tokens(r, data, rec, &tok);

	/* the token first, then the record in the same frame (as SMB) */
	int64_t token = -1;
	struct kf_token_summary sum;
	memset(&sum, 0, sizeof sum);
	if (tok.n) {
		struct kf_token_origin o = { c, dir, KF_CARRIER_TDS, d->first_frame, KF_SENDER_UNKNOWN };
		token = kf_gss_token(r, &o, tok, &sum);
		rec->token_bytes = sum.token_bytes ? sum.token_bytes : (uint32_t)tok.n;
		rec->token_invalid = sum.invalid;
	}
	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.type = response ? KF_MSG_TDS_RESPONSE : KF_MSG_TDS_REQUEST;
	msg.first_frame = d->first_frame;
	msg.tds = rec;
	msg.spnego = sum.bare_spnego;
	uint32_t id;
	if (kf_emit(r, c, dir, KF_CARRIER_TDS, &msg, NULL, &id)) {
		if (!response) {
			s->pend_rec = id;
			s->pend_token = token > 0 ? (uint32_t)token : 0;
		} else if (s->pend_rec) {
			kf_msgstore_link(&r->store, s->pend_rec, id);
			if (s->pend_token && token > 0)
				kf_msgstore_link(&r->store, s->pend_token, (uint32_t)token);
			s->pend_rec = s->pend_token = 0;
		}
	}
	if (login_over)
		finish(c); /* queries and rows from here */
}

/* -------------------------------------------------------- the framing ---- */

static void lost(struct kf_run *r, struct kf_conn *c, struct tds_dir *d)
{
	/* a flow picked up mid-way starts anywhere: the missing start is already said */
	if (d->framed || !c->midstream)
		kf_events_add(&r->ev, KF_EV_TDS_FRAMING_LOST);
	d->st = TD_STOP;
	finish(c); /* the login is what is read: without framing it is over */
}

/* TDS 8 (strict encryption, SQL Server 2022): the client opens with a TLS
 * ClientHello, PRELOGIN and all inside. One record says so, with the
 * frame of the hello, so the connection is not silent. */
static void strict_tls(struct kf_run *r, struct kf_conn *c, const struct tds_dir *d)
{
	struct kf_tds_rec *rec = kf_arena_zalloc(&r->res->arena, sizeof(*rec));
	if (!rec) {
		kf_run_nomem(r);
		return;
	}
	rec->strict_tls = rec->login_encrypted = true;
	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.type = KF_MSG_TDS_REQUEST;
	msg.first_frame = d->first_frame;
	msg.tds = rec;
	uint32_t id;
	(void)kf_emit(r, c, 0, KF_CARRIER_TDS, &msg, NULL, &id);
}

/* A TLS record where a packet should begin. */
static void tls_record(struct kf_run *r, struct kf_conn *c, struct tds_dir *d)
{
	struct tds_state *s = c->cs;
	if (!kf_tds_is_tls(kf_span_make(d->hdr, TLS_RECORD_HEADER))) {
		lost(r, c, d);
		return;
	}
	if (d == &s->d[0] && !d->framed && !s->tls && !s->prelogin_sent && !c->midstream && d->hdr[0] == 22)
		strict_tls(r, c, d); /* a handshake record first: TDS 8 */
	if (!s->tls || !login_only_encrypted(s)) {
		finish(c); /* all of it inside TLS (or TLS from the first byte) */
		return;
	}
	d->left = (uint32_t)((d->hdr[3] << 8) | d->hdr[4]);
	d->st = d->left ? TD_TLS_SKIP : TD_HEAD;
}

/* A packet's header is whole in hdr. */
static void header_done(struct kf_run *r, struct kf_conn *c, struct tds_dir *d)
{
	struct kf_tds_header h;
	if (!kf_tds_header(kf_span_make(d->hdr, KF_TDS_HEADER), &h)) {
		lost(r, c, d);
		return;
	}
	d->framed = true;
	if (d->in_msg && h.type != d->msg_type) {
		d->in_msg = false; /* a message left without its last packet */
		kf_events_add(&r->ev, KF_EV_TDS_MALFORMED);
	}
	if (!d->in_msg) {
		d->in_msg = true;
		d->msg_type = h.type;
		d->too_big = false;
		d->g.len = 0;
		d->packets = 0;
	}
	if (++d->packets > KF_LIMIT_TDS_PACKETS) { /* EOM never comes: tiny packets cost a header each */
		kf_events_add(&r->ev, KF_EV_TDS_PACKET_LIMIT);
		finish(c);
		return;
	}
	bool login = h.type == KF_TDS_PRELOGIN || h.type == KF_TDS_LOGIN7 || h.type == KF_TDS_SSPI ||
		     h.type == KF_TDS_TABULAR;
	if (!login) {
		finish(c); /* queries: the login is over (or was never seen) */
		return;
	}
	d->eom = (h.status & KF_TDS_STATUS_EOM) != 0;
	d->left = h.length - KF_TDS_HEADER;
	d->st = d->too_big ? TD_SKIP : TD_DATA;
}

/* The current packet's data has all come. */
static void packet_done(struct kf_run *r, struct kf_conn *c, int dir, struct tds_dir *d)
{
	d->st = TD_HEAD;
	if (!d->eom)
		return;
	d->in_msg = false;
	if (!d->too_big)
		on_message(r, c, dir, kf_span_make(d->g.buf, d->g.len));
	d->g.len = 0;
}

/* A packet's data or a TLS record has been counted off. */
static void skip_done(struct kf_run *r, struct kf_conn *c, int dir, struct tds_dir *d)
{
	if (d->st == TD_SKIP)
		packet_done(r, c, dir, d);
	else
		d->st = TD_HEAD;
}

static void feed(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span data)
{
	struct tds_dir *d = &((struct tds_state *)c->cs)->d[dir];
	while (data.n && !c->done) {
		switch (d->st) {
		case TD_STOP: return;
		case TD_HEAD:
		case TD_TLS_HEAD: {
			if (!d->hdr_have && !d->in_msg)
				d->first_frame = r->frame;
			if (!d->hdr_have && data.p[0] >= 20 && data.p[0] <= 23)
				d->st = TD_TLS_HEAD; /* TLS content types are no TDS packet type */
			size_t want =
				(d->st == TD_TLS_HEAD ? TLS_RECORD_HEADER : KF_TDS_HEADER) - d->hdr_have;
			size_t take = data.n < want ? data.n : want;
			memcpy(d->hdr + d->hdr_have, data.p, take);
			d->hdr_have = (uint8_t)(d->hdr_have + take);
			data = kf_span_make(data.p + take, data.n - take);
			if (take < want)
				break;
			d->hdr_have = 0;
			if (d->st == TD_TLS_HEAD) {
				tls_record(r, c, d);
				break;
			}
			header_done(r, c, d);
			if (d->st != TD_STOP && !c->done && !d->left)
				packet_done(r, c, dir, d); /* a packet with no data */
			break;
		}
		case TD_DATA: {
			size_t take = data.n < d->left ? data.n : d->left;
			if (!kf_gather_add(r, &d->g, kf_span_make(data.p, take), KF_LIMIT_TDS_MESSAGE)) {
				kf_events_add(&r->ev, KF_EV_TDS_MESSAGE_TOO_BIG);
				d->too_big = true;
				d->g.len = 0;
				d->st = TD_SKIP;
			}
			d->left -= (uint32_t)take;
			data = kf_span_make(data.p + take, data.n - take);
			if (!d->left)
				packet_done(r, c, dir, d);
			break;
		}
		case TD_SKIP:
		case TD_TLS_SKIP: {
			size_t take = data.n < d->left ? data.n : d->left;
			d->left -= (uint32_t)take;
			data = kf_span_make(data.p + take, data.n - take);
			if (!d->left)
				skip_done(r, c, dir, d);
			break;
		}
		}
	}
}

static void tds_stream(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span data, uint32_t gap_len)
{
	struct tds_dir *d = &((struct tds_state *)c->cs)->d[dir];
	if (!gap_len) {
		feed(r, c, dir, data);
		return;
	}
	if ((d->st != TD_SKIP && d->st != TD_TLS_SKIP) || d->left < gap_len) {
		lost(r, c, d);
		return;
	}
	d->left -= gap_len; /* lost bytes nobody wanted */
	if (!d->left)
		skip_done(r, c, dir, d);
}

static bool tds_skippable(struct kf_conn *c, int dir, size_t n)
{
	const struct tds_dir *d = &((struct tds_state *)c->cs)->d[dir];
	return d->st == TD_STOP || ((d->st == TD_SKIP || d->st == TD_TLS_SKIP) && d->left > n);
}

static void tds_skipped(struct kf_run *r, struct kf_conn *c, int dir, size_t n)
{
	(void)r;
	struct tds_dir *d = &((struct tds_state *)c->cs)->d[dir];
	if (d->st == TD_SKIP || d->st == TD_TLS_SKIP)
		d->left -= (uint32_t)n;
}

static void tds_release(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	struct tds_state *s = c->cs;
	kf_gather_free(&s->d[0].g);
	kf_gather_free(&s->d[1].g);
	kf_free(s);
	c->cs = NULL;
}

const struct kf_carrier_ops kf_carrier_tds = {
	.name = "tds",
	.port = TDS_PORT,
	.tcp = true,
	.open = tds_open,
	.stream = tds_stream,
	.skippable = tds_skippable,
	.skipped = tds_skipped,
	.release = tds_release,
};

/* Any other TCP port (named instances, changed ports): a PRELOGIN first. */
static enum kf_probe tds_probe(struct kf_span first, int dir)
{
	return dir != 1 && kf_tds_probe_prelogin(first) ? KF_PROBE_CLIENT : KF_PROBE_NO;
}

const struct kf_carrier_ops kf_carrier_tds_probed = {
	.name = "tds-probed",
	.tcp = true,
	.probe = tds_probe,
	.open = tds_open,
	.stream = tds_stream,
	.skippable = tds_skippable,
	.skipped = tds_skipped,
	.release = tds_release,
};
