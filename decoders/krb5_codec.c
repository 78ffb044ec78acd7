/* krb5_codec.c - Kerberos messages through libkrb5's ASN.1 decoders
 * (RFC 4120 §5.3-§5.9; MS-KILE/MS-SFU fields via krb5_padata.c).
 *
 * With krb5_decrypt.c, the only file that includes <krb5/krb5.h> (STYLE.md
 * point 16, through krb5_private.h).  It calls the decode_krb5_* functions
 * MIT krb5 exports from libkrb5.so.3 but declares only in its private
 * k5-int.h, converts the result at once
 * into struct kf_krb_msg and frees it with the matching krb5_free_* before
 * returning.  Those free functions take a krb5_context but never use it
 * (MIT src/lib/krb5/krb/kfree.c), so NULL is passed and no context is
 * created; the decoders need none either.
 *
 * When libkrb5 refuses a message (malformed, cut short, or encoded in a way
 * it does not accept), krbflow's own DER skim (kf_krb5_skim) recovers the
 * type and whatever fields it can reach; the message is then reported with
 * complete=false and event KRB_DECODE_FAILED.  KRB-SAFE, KRB-PRIV and the
 * user-to-user TGT-REQ/TGT-REP are read by the skim alone.
 */
#include "krb5.h"

#include <stdint.h>
#include <string.h>

#include "base/der.h"
#include "krb5_private.h"

static bool known_type(unsigned tag) { return kf_krb5_type_name((int)tag) != NULL; }

static void ticket_of(const krb5_ticket *tk, struct kf_krb_ticket *t, struct kf_events *ev)
{
	memset(t, 0, sizeof *t);
	t->present = true;
	if (tk->server) {
		kf_krb5_name_of(tk->server, t->sname, sizeof t->sname, ev);
		kf_krb5_text_of(&tk->server->realm, t->realm, sizeof t->realm, ev);
	}
	t->etype = tk->enc_part.enctype;
	/* libkrb5 leaves kvno 0 when the optional field is absent */
	t->kvno = tk->enc_part.kvno;
	t->has_kvno = tk->enc_part.kvno != 0;
	/* FNV-1a of the ciphertext: the same ticket seen twice (issued in a
	 * TGS-REP, presented in an AP-REQ) has the same value */
	uint64_t h = 0xcbf29ce484222325ull;
	const uint8_t *p = (const uint8_t *)tk->enc_part.ciphertext.data;
	for (unsigned i = 0; p && i < tk->enc_part.ciphertext.length; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	t->cipher_hash = tk->enc_part.ciphertext.length ? h : 0;
}

/* PA-TGS-REQ's AP-REQ: libkrb5 first, our own reader when it refuses. */
static void pa_tgs_req(struct kf_span v, struct kf_krb_msg *m, struct kf_events *ev)
{
	krb5_data d = kf_krb5_as_data(v);
	krb5_ap_req *ap = NULL;
	if (decode_krb5_ap_req(&d, &ap) != 0) {
		kf_events_add(ev, KF_EV_KRB_PADATA_MALFORMED);
		struct kf_events scratch = { 0 };
		kf_krb5_padata_value(KF_KRB5_PA_REQUEST, 1, v, m, &scratch);
		return;
	}
	if (!m->ticket.present && ap->ticket) {
		ticket_of(ap->ticket, &m->ticket, ev);
		m->has_ap_options = true;
		m->ap_options = (uint32_t)ap->ap_options;
	}
	krb5_free_ap_req(NULL, ap);
}

static void padata_of(krb5_pa_data *const *pa, enum kf_krb5_pa_ctx ctx, struct kf_krb_msg *m,
		      struct kf_events *ev)
{
	for (size_t i = 0; pa && pa[i]; i++) {
		struct kf_span v = kf_span_make(pa[i]->contents, pa[i]->contents ? pa[i]->length : 0);
		kf_krb5_list_add(m->padata, &m->n_padata, KF_LIMIT_PADATA, pa[i]->pa_type, ev);
		if (pa[i]->pa_type == 1 && ctx == KF_KRB5_PA_REQUEST)
			pa_tgs_req(v, m, ev);
		else
			kf_krb5_padata_value(ctx, pa[i]->pa_type, v, m, ev);
	}
}

static void kdc_req_of(const krb5_kdc_req *r, struct kf_krb_msg *m, struct kf_events *ev)
{
	padata_of(r->padata, KF_KRB5_PA_REQUEST, m, ev);
	m->has_kdc_options = true;
	m->kdc_options = (uint32_t)r->kdc_options;
	if (r->client) {
		kf_krb5_name_of(r->client, m->cname, sizeof m->cname, ev);
		m->has_cname = true;
		m->cname_type = r->client->type;
		/* the body's one realm is the client's only in an AS-REQ (§5.4.1) */
		if (m->type == KF_KRB_AS_REQ) {
			kf_krb5_text_of(&r->client->realm, m->crealm, sizeof m->crealm, ev);
			m->has_crealm = true;
		}
	}
	if (r->server) {
		kf_krb5_text_of(&r->server->realm, m->realm, sizeof m->realm, ev);
		m->has_realm = true;
		if (r->server->length > 0) {
			kf_krb5_name_of(r->server, m->sname, sizeof m->sname, ev);
			m->has_sname = true;
			m->sname_type = r->server->type;
		}
	}
	/* libkrb5 leaves absent optional times at 0 */
	m->has_from = r->from != 0;
	m->from = kf_krb5_time_of(r->from);
	m->has_till = r->till != 0;
	m->till = kf_krb5_time_of(r->till);
	m->has_rtime = r->rtime != 0;
	m->rtime = kf_krb5_time_of(r->rtime);
	m->has_nonce = true;
	m->nonce = (uint32_t)r->nonce;
	for (int i = 0; i < r->nktypes; i++)
		kf_krb5_list_add(m->etypes, &m->n_etypes, KF_LIMIT_ETYPES, r->ktype[i], ev);
	for (size_t i = 0; r->addresses && r->addresses[i]; i++) {
		const krb5_address *a = r->addresses[i];
		if (m->n_addresses >= KF_LIMIT_ADDRESSES) {
			kf_krb5_event_once(ev, KF_EV_KRB_FIELD_TRUNCATED);
			break;
		}
		kf_krb5_addr_format(a->addrtype, kf_span_make(a->contents, a->contents ? a->length : 0),
				    m->addresses[m->n_addresses], sizeof m->addresses[0]);
		m->n_addresses++;
	}
	for (size_t i = 0; r->second_ticket && r->second_ticket[i]; i++) {
		if (m->n_additional_tickets >= KF_LIMIT_ADDL_TICKETS) {
			kf_krb5_event_once(ev, KF_EV_KRB_FIELD_TRUNCATED);
			break;
		}
		ticket_of(r->second_ticket[i], &m->additional_tickets[m->n_additional_tickets++], ev);
	}
}

static void kdc_rep_of(const krb5_kdc_rep *r, struct kf_krb_msg *m, struct kf_events *ev)
{
	padata_of(r->padata, KF_KRB5_PA_REPLY, m, ev);
	if (r->client) {
		kf_krb5_name_of(r->client, m->cname, sizeof m->cname, ev);
		m->has_cname = true;
		m->cname_type = r->client->type;
		kf_krb5_text_of(&r->client->realm, m->crealm, sizeof m->crealm, ev);
		m->has_crealm = true;
	}
	if (r->ticket)
		ticket_of(r->ticket, &m->ticket, ev);
	m->has_enc_etype = true;
	m->enc_etype = r->enc_part.enctype;
}

static void error_of(const krb5_error *e, struct kf_krb_msg *m, struct kf_events *ev)
{
	m->has_ctime = e->ctime != 0;
	m->ctime = kf_krb5_time_of(e->ctime);
	m->cusec = e->cusec;
	m->has_stime = true;
	m->stime = kf_krb5_time_of(e->stime);
	m->susec = e->susec;
	m->error_code = (int32_t)e->error;
	if (e->client) {
		if (e->client->length > 0) {
			kf_krb5_name_of(e->client, m->cname, sizeof m->cname, ev);
			m->has_cname = true;
			m->cname_type = e->client->type;
		}
		if (e->client->realm.length > 0) {
			kf_krb5_text_of(&e->client->realm, m->crealm, sizeof m->crealm, ev);
			m->has_crealm = true;
		}
	}
	if (e->server) {
		kf_krb5_text_of(&e->server->realm, m->realm, sizeof m->realm, ev);
		m->has_realm = true;
		if (e->server->length > 0) {
			kf_krb5_name_of(e->server, m->sname, sizeof m->sname, ev);
			m->has_sname = true;
			m->sname_type = e->server->type;
		}
	}
	if (e->text.data && e->text.length > 0) {
		/* Windows KDCs terminate e-text with NULs */
		struct kf_span t = kf_krb5_data_span(&e->text);
		while (t.n > 0 && t.p[t.n - 1] == '\0')
			t.n--;
		m->e_text[0] = '\0';
		if (!kf_krb5_text_append(m->e_text, sizeof m->e_text, t))
			kf_krb5_event_once(ev, KF_EV_KRB_FIELD_TRUNCATED);
		m->has_e_text = true;
	}
	if (e->e_data.data && e->e_data.length > 0) {
		m->has_e_data = true;
		kf_krb5_edata(kf_krb5_data_span(&e->e_data), m, ev);
	}
}

/* Decode with the libkrb5 decoder for m->type; false when it refuses. */
static bool decode_lib(struct kf_span elem, struct kf_krb_msg *m, struct kf_events *ev)
{
	krb5_data d = kf_krb5_as_data(elem);
	krb5_error_code rc;
	switch (m->type) {
	case KF_KRB_AS_REQ:
	case KF_KRB_TGS_REQ: {
		krb5_kdc_req *r = NULL;
		rc = m->type == KF_KRB_AS_REQ ? decode_krb5_as_req(&d, &r) : decode_krb5_tgs_req(&d, &r);
		if (rc != 0)
			return false;
		kdc_req_of(r, m, ev);
		krb5_free_kdc_req(NULL, r);
		return true;
	}
	case KF_KRB_AS_REP:
	case KF_KRB_TGS_REP: {
		krb5_kdc_rep *r = NULL;
		rc = m->type == KF_KRB_AS_REP ? decode_krb5_as_rep(&d, &r) : decode_krb5_tgs_rep(&d, &r);
		if (rc != 0)
			return false;
		kdc_rep_of(r, m, ev);
		krb5_free_kdc_rep(NULL, r);
		return true;
	}
	case KF_KRB_AP_REQ: {
		krb5_ap_req *r = NULL;
		if (decode_krb5_ap_req(&d, &r) != 0)
			return false;
		m->has_ap_options = true;
		m->ap_options = (uint32_t)r->ap_options;
		if (r->ticket)
			ticket_of(r->ticket, &m->ticket, ev);
		m->has_enc_etype = true;
		m->enc_etype = r->authenticator.enctype;
		krb5_free_ap_req(NULL, r);
		return true;
	}
	case KF_KRB_AP_REP: {
		krb5_ap_rep *r = NULL;
		if (decode_krb5_ap_rep(&d, &r) != 0)
			return false;
		m->has_enc_etype = true;
		m->enc_etype = r->enc_part.enctype;
		krb5_free_ap_rep(NULL, r);
		return true;
	}
	case KF_KRB_ERROR: {
		krb5_error *r = NULL;
		if (decode_krb5_error(&d, &r) != 0)
			return false;
		error_of(r, m, ev);
		krb5_free_error(NULL, r);
		return true;
	}
	case KF_KRB_CRED: {
		krb5_cred *r = NULL;
		if (decode_krb5_cred(&d, &r) != 0)
			return false;
		for (size_t i = 0; r->tickets && r->tickets[i]; i++) {
			if (i == 0)
				ticket_of(r->tickets[0], &m->ticket, ev);
			if (m->n_cred_tickets < UINT8_MAX)
				m->n_cred_tickets++;
		}
		m->has_enc_etype = true;
		m->enc_etype = r->enc_part.enctype;
		krb5_free_cred(NULL, r);
		return true;
	}
	default: return false;
	}
}

/* The outer [APPLICATION n] header: tag, header length and declared
 * contents length.  False when the bytes cannot start a Kerberos message. */
static bool outer_header(struct kf_span s, unsigned *tag, size_t *hdr, size_t *len, bool *indefinite)
{
	struct kf_cur c = kf_cur_make(s);
	uint8_t id = kf_cur_u8(&c);
	uint8_t l0 = kf_cur_u8(&c);
	*indefinite = false;
	if (!kf_cur_ok(&c) || (id & 0xe0) != 0x60 || !known_type(id & 0x1fu))
		return false;
	*tag = id & 0x1fu;
	if (l0 == 0x80) {
		*indefinite = true;
		*hdr = 2;
		*len = 0;
		return true;
	}
	size_t n = 0;
	if (l0 < 0x80) {
		n = l0;
	} else {
		unsigned nb = l0 & 0x7fu;
		if (nb > 4)
			return false;
		for (unsigned i = 0; i < nb; i++)
			n = (n << 8) | kf_cur_u8(&c);
		if (!kf_cur_ok(&c))
			return false;
	}
	*hdr = s.n - kf_cur_left(&c);
	*len = n;
	return true;
}

bool kf_krb5_probe(struct kf_span s)
{
	unsigned tag;
	size_t hdr, len;
	bool indef;
	if (s.n > 6)
		s.n = 6;
	if (!outer_header(s, &tag, &hdr, &len, &indef) || indef || len < 2 || len > KF_LIMIT_KRB_RECORD)
		return false;
	/* the contents start with a SEQUENCE, when that byte is within reach */
	return hdr >= s.n || s.p[hdr] == 0x30;
}

bool kf_krb5_decode(struct kf_span s, struct kf_krb_msg *m, struct kf_events *ev)
{
	unsigned tag;
	size_t hdr, len;
	bool indef;
	memset(m, 0, sizeof *m);
	if (!outer_header(s, &tag, &hdr, &len, &indef) || (!indef && hdr < s.n && s.p[hdr] != 0x30)) {
		kf_events_add(ev, KF_EV_KRB_NOT_KERBEROS);
		return false;
	}
	m->type = (int)tag;
	if (indef) {
		kf_events_add(ev, KF_EV_DER_INDEFINITE_LENGTH);
		kf_events_add(ev, KF_EV_KRB_DECODE_FAILED);
		return true;
	}
	struct kf_span body;
	if (len > s.n - hdr) { /* cut short: read what is there */
		body = kf_span_make(s.p + hdr, s.n - hdr);
		(void)kf_krb5_skim(body, m, ev);
		kf_events_add(ev, KF_EV_KRB_DECODE_FAILED);
		return true;
	}
	body = kf_span_make(s.p + hdr, len);
	if (len < s.n - hdr)
		kf_events_add(ev, KF_EV_KRB_TRAILING_BYTES);

	struct kf_span elem = kf_span_make(s.p, hdr + len);
	bool lib = m->type != KF_KRB_SAFE && m->type != KF_KRB_PRIV && m->type != KF_KRB_TGT_REQ &&
		   m->type != KF_KRB_TGT_REP;
	if (lib && elem.n <= UINT32_MAX) {
		/* decode_lib converts only after libkrb5 accepted the message,
		 * so a refusal leaves m and ev untouched */
		if (decode_lib(elem, m, ev)) {
			m->pvno = 5; /* libkrb5 rejects any other pvno */
			m->complete = true;
			return true;
		}
		memset(m, 0, sizeof *m);
		m->type = (int)tag;
	}
	m->complete = kf_krb5_skim(body, m, ev) && !lib;
	if (!m->complete)
		kf_events_add(ev, KF_EV_KRB_DECODE_FAILED);
	return true;
}
