/* carrier_dcerpc.c - DCE/RPC connection-oriented (C706, MS-RPCE) on TCP 135
 * (the endpoint mapper) and on any other TCP port whose client opens with a
 * bind (the dynamic ports DRSUAPI, SAMR, WMI... get from the endpoint
 * mapper): PDUs framed by their frag_length.  The PDUs of a security
 * context -- bind, bind_ack, bind_nak, alter_context(_resp), auth3 -- and
 * faults are gathered whole, up to KF_LIMIT_DCERPC_PDU, and decoded
 * (decoders/dcerpc.c): their auth_verifier credentials go through the token
 * path (gss_token.c), then each becomes a DCERPC-REQUEST / DCERPC-RESPONSE
 * record, linked to its request by call_id.  request and response PDUs
 * (the calls' stubs: bulk) are counted off without a copy; the answer to
 * the first request after a bind phase is watched for (a fault there is the
 * server refusing an AUTH3's third leg).  A message sits
 * in the frame where its PDU ends.  The conversation (carrier_dcerpc.h) is
 * shared with DCE/RPC over SMB named pipes (carrier_smb.c). */
#include <string.h>

#include "carrier_dcerpc.h"
#include "carriers.h"
#include "dcerpc.h"
#include "emit.h"
#include "gss_token.h"

#define DCERPC_PORT 135

/* frag_length is 16 bits: every PDU fits the gathering limit */
_Static_assert(KF_LIMIT_DCERPC_PDU >= 65535u, "a DCE/RPC PDU is read whole");

static bool rpc_open(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	c->cs = kf_calloc(1, sizeof(struct kf_rpc_conv));
	return c->cs != NULL;
}

static enum kf_probe rpc_probe(struct kf_span first, int dir)
{
	return dir != 1 && kf_dcerpc_probe_bind(first) ? KF_PROBE_CLIENT : KF_PROBE_NO;
}

/* ------------------------------------------------------- the records ---- */

static struct kf_rpc_pending *pending_find(struct kf_rpc_conv *s, uint32_t call_id)
{
	for (unsigned i = 0; i < KF_DCERPC_PENDING; i++)
		if (s->pend[i].used && s->pend[i].call_id == call_id)
			return &s->pend[i];
	return NULL;
}

static void pending_add(struct kf_rpc_conv *s, uint32_t call_id, uint32_t rec, uint32_t token,
			const char *interface)
{
	struct kf_rpc_pending *p = pending_find(s, call_id);
	if (!p) { /* the oldest slot is reused: its answer is no longer matched */
		p = &s->pend[s->next_pend];
		s->next_pend = (uint8_t)((s->next_pend + 1) % KF_DCERPC_PENDING);
	}
	p->used = true;
	p->call_id = call_id;
	p->rec = rec;
	p->token = token;
	p->interface = interface;
}

static bool is_request(uint8_t ptype)
{
	return ptype == KF_DCERPC_BIND || ptype == KF_DCERPC_ALTER_CONTEXT || ptype == KF_DCERPC_AUTH3;
}

static bool wanted(uint8_t ptype)
{
	return ptype == KF_DCERPC_FAULT || (ptype >= KF_DCERPC_BIND && ptype <= KF_DCERPC_AUTH3);
}

static const char *interface_text(struct kf_run *r, const struct kf_dcerpc_pdu *pdu)
{
	if (!pdu->has_abstract)
		return NULL;
	const char *name = kf_dcerpc_interface_name(pdu->abstract_uuid, pdu->h.little_endian);
	if (name)
		return name;
	char t[37];
	kf_dcerpc_uuid_text(pdu->abstract_uuid, pdu->h.little_endian, t);
	return kf_arena_strndup(&r->res->arena, t, strlen(t));
}

static void on_pdu(struct kf_run *r, struct kf_conn *c, struct kf_rpc_conv *s, int dir, struct kf_span bytes)
{
	const struct kf_rpc_dir *d = &s->d[dir];
	struct kf_dcerpc_pdu pdu;
	if (!kf_dcerpc_decode(bytes, &pdu, &r->ev)) {
		if (pdu.why)
			kf_run_debug(r, pdu.why);
		return;
	}
	if (pdu.why)
		kf_run_debug(r, pdu.why);
	bool request = is_request(pdu.h.ptype);
	if (request != (dir == 0))
		return; /* a bind from the server, an answer from the client: not a conversation we know */
	struct kf_dcerpc_rec *rec = kf_arena_zalloc(&r->res->arena, sizeof(*rec));
	if (!rec) {
		kf_run_nomem(r);
		return;
	}
	rec->ptype = pdu.h.ptype;
	rec->pipe = s->pipe;
	rec->call_id = pdu.h.call_id;
	rec->interface = interface_text(r, &pdu);
	if (rec->interface)
		s->interface = rec->interface;
	else if (request)
		rec->interface = s->interface;
	if (pdu.h.ptype == KF_DCERPC_FAULT && s->first_call_open && pdu.h.call_id == s->first_call_id) {
		rec->first_call = true;
		s->first_call_open = false;
	}
	rec->auth_type = pdu.has_auth ? pdu.auth_type : 0;
	rec->auth_level = pdu.has_auth ? pdu.auth_level : 0;
	if (pdu.has_status) {
		rec->has_status = true;
		rec->status = pdu.status;
	} else if (pdu.has_result && pdu.result != 0) {
		rec->has_status = true; /* a rejected presentation context: its result */
		rec->status = pdu.result;
	}
	struct kf_rpc_pending *req = request ? NULL : pending_find(s, pdu.h.call_id);
	if (req && !rec->interface)
		rec->interface = req->interface;

	/* the token first, then the record in the same frame (as SMB) */
	int64_t token = -1;
	struct kf_token_summary sum;
	memset(&sum, 0, sizeof sum);
	if (pdu.has_auth && pdu.credentials.n) {
		struct kf_token_origin o = { c, dir, KF_CARRIER_DCERPC, d->first_frame,
					     request ? KF_SENDER_CLIENT : KF_SENDER_SERVER };
		token = kf_gss_token(r, &o, pdu.credentials, &sum);
		rec->token_bytes = sum.token_bytes ? sum.token_bytes : (uint32_t)pdu.credentials.n;
		rec->token_invalid = sum.invalid;
	}

	struct kf_message msg;
	memset(&msg, 0, sizeof msg);
	msg.type = request ? KF_MSG_DCERPC_REQUEST : KF_MSG_DCERPC_RESPONSE;
	msg.first_frame = d->first_frame;
	msg.dcerpc = rec;
	msg.spnego = sum.bare_spnego;
	uint32_t id;
	if (!kf_emit(r, c, dir, KF_CARRIER_DCERPC, &msg, NULL, &id))
		return;
	if (request) {
		s->next_call_first = true;
		if (pdu.h.ptype != KF_DCERPC_AUTH3) /* auth3 is not answered */
			pending_add(s, pdu.h.call_id, id, token > 0 ? (uint32_t)token : 0, rec->interface);
		return;
	}
	if (!req)
		return;
	kf_msgstore_link(&r->store, req->rec, id);
	if (req->token && token > 0)
		kf_msgstore_link(&r->store, req->token, (uint32_t)token);
	req->used = false;
}

/* -------------------------------------------------------- the framing ---- */

void kf_rpc_conv_lose(struct kf_run *r, struct kf_rpc_conv *s, int dir)
{
	struct kf_rpc_dir *d = &s->d[dir];
	if (d->st != KF_RD_LOST)
		kf_events_add(&r->ev, KF_EV_DCERPC_FRAMING_LOST);
	d->st = KF_RD_LOST;
	d->g.len = 0;
}

bool kf_rpc_conv_lost(const struct kf_rpc_conv *s)
{
	return s->d[0].st == KF_RD_LOST && s->d[1].st == KF_RD_LOST;
}

void kf_rpc_conv_free(struct kf_rpc_conv *s)
{
	kf_gather_free(&s->d[0].g);
	kf_gather_free(&s->d[1].g);
}

/* A request or response PDU's header: the first call after a bind phase and its answer. */
static void call_seen(struct kf_rpc_conv *s, const struct kf_dcerpc_header *h)
{
	s->calls_seen = true;
	if (h->ptype == KF_DCERPC_REQUEST && s->next_call_first) {
		s->next_call_first = false;
		s->first_call_open = true;
		s->first_call_id = h->call_id;
	} else if (h->ptype == KF_DCERPC_RESPONSE && s->first_call_open && h->call_id == s->first_call_id) {
		s->first_call_open = false;
	}
}

/* The header is in g: what the PDU is and what to do with it. */
static void header_done(struct kf_run *r, struct kf_rpc_conv *s, int dir)
{
	struct kf_rpc_dir *d = &s->d[dir];
	struct kf_dcerpc_header h;
	if (!kf_dcerpc_header(kf_span_make(d->g.buf, d->g.len), &h)) {
		kf_rpc_conv_lose(r, s, dir);
		return;
	}
	d->left = h.frag_length - KF_DCERPC_HEADER;
	if (!wanted(h.ptype)) {
		if ((h.ptype == KF_DCERPC_REQUEST && dir == 0) || (h.ptype == KF_DCERPC_RESPONSE && dir == 1))
			call_seen(s, &h);
		d->g.len = 0;
		d->st = d->left ? KF_RD_SKIP : KF_RD_HEADER;
		return;
	}
	/* a bind, alter_context or auth3 fragment after the first (PFC_FIRST
	 * clear): its auth_verifier continues a token krbflow does not
	 * reassemble, so it is counted off; a chain whose last fragment never
	 * comes stops being followed */
	if (!(h.pfc_flags & KF_DCERPC_PFC_FIRST)) {
		d->fragments = h.pfc_flags & KF_DCERPC_PFC_LAST ? 0 : d->fragments + 1;
		if (d->fragments > KF_LIMIT_DCERPC_FRAGMENTS) {
			kf_events_add(&r->ev, KF_EV_DCERPC_FRAGMENT_LIMIT);
			d->st = KF_RD_LOST;
			d->g.len = 0;
			return;
		}
		d->g.len = 0;
		d->st = d->left ? KF_RD_SKIP : KF_RD_HEADER;
		return;
	}
	d->fragments = 0;
	d->st = KF_RD_GATHER;
}

void kf_rpc_conv_feed(struct kf_run *r, struct kf_conn *c, struct kf_rpc_conv *s, int dir,
		      struct kf_span data)
{
	struct kf_rpc_dir *d = &s->d[dir];
	while (data.n) {
		switch (d->st) {
		case KF_RD_LOST: return;
		case KF_RD_SKIP: {
			size_t take = data.n < d->left ? data.n : d->left;
			d->left -= (uint32_t)take;
			data = kf_span_make(data.p + take, data.n - take);
			if (!d->left)
				d->st = KF_RD_HEADER;
			break;
		}
		case KF_RD_HEADER:
		case KF_RD_GATHER: {
			if (d->st == KF_RD_HEADER && d->g.len == 0)
				d->first_frame = r->frame;
			size_t want = d->st == KF_RD_HEADER ? KF_DCERPC_HEADER - d->g.len : d->left;
			size_t take = data.n < want ? data.n : want;
			if (!kf_gather_add(r, &d->g, kf_span_make(data.p, take), KF_LIMIT_DCERPC_PDU)) {
				kf_rpc_conv_lose(r, s, dir);
				return;
			}
			data = kf_span_make(data.p + take, data.n - take);
			if (d->st == KF_RD_HEADER) {
				if (d->g.len == KF_DCERPC_HEADER)
					header_done(r, s, dir);
				if (d->st != KF_RD_GATHER || d->left)
					break;
			} else {
				d->left -= (uint32_t)take;
				if (d->left)
					break;
			}
			on_pdu(r, c, s, dir, kf_span_make(d->g.buf, d->g.len));
			d->g.len = 0;
			d->st = KF_RD_HEADER;
			break;
		}
		}
	}
}

static void rpc_stream(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span data, uint32_t gap_len)
{
	struct kf_rpc_conv *s = c->cs;
	struct kf_rpc_dir *d = &s->d[dir];
	if (!gap_len) {
		kf_rpc_conv_feed(r, c, s, dir, data);
		if (kf_rpc_conv_lost(s))
			c->done = true;
		return;
	}
	if (d->st == KF_RD_SKIP && d->left >= gap_len) { /* lost bytes nobody wanted */
		d->left -= gap_len;
		if (!d->left)
			d->st = KF_RD_HEADER;
		return;
	}
	kf_rpc_conv_lose(r, s, dir);
	if (kf_rpc_conv_lost(s))
		c->done = true;
}

static bool rpc_skippable(struct kf_conn *c, int dir, size_t n)
{
	const struct kf_rpc_dir *d = &((struct kf_rpc_conv *)c->cs)->d[dir];
	return d->st == KF_RD_LOST || (d->st == KF_RD_SKIP && d->left >= n);
}

static void rpc_skipped(struct kf_run *r, struct kf_conn *c, int dir, size_t n)
{
	(void)r;
	struct kf_rpc_dir *d = &((struct kf_rpc_conv *)c->cs)->d[dir];
	if (d->st != KF_RD_SKIP)
		return;
	d->left -= (uint32_t)n;
	if (!d->left)
		d->st = KF_RD_HEADER;
}

static void rpc_release(struct kf_run *r, struct kf_conn *c)
{
	(void)r;
	struct kf_rpc_conv *s = c->cs;
	kf_rpc_conv_free(s);
	kf_free(s);
	c->cs = NULL;
}

const struct kf_carrier_ops kf_carrier_dcerpc = {
	.name = "dcerpc",
	.port = DCERPC_PORT,
	.tcp = true,
	.open = rpc_open,
	.stream = rpc_stream,
	.skippable = rpc_skippable,
	.skipped = rpc_skipped,
	.release = rpc_release,
};

const struct kf_carrier_ops kf_carrier_dcerpc_probed = {
	.name = "dcerpc-probed",
	.probe = rpc_probe,
	.open = rpc_open,
	.stream = rpc_stream,
	.skippable = rpc_skippable,
	.skipped = rpc_skipped,
	.release = rpc_release,
};
