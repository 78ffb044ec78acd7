/* krb5_decrypt.c - keyring and opening of encrypted parts (see krb5_decrypt.h).
 *
 * With krb5_codec.c, the only libkrb5 user (STYLE.md point 16).  Messages
 * are decoded again here with libkrb5 (the clear-text pass keeps no
 * ciphertext), parts are decrypted with krb5_c_decrypt / krb5_decrypt_tkt_part
 * under the key usages of RFC 4120 §7.5.1, and the plaintexts are decoded
 * with libkrb5's decoders and converted at once into fixed-size fields.
 * Every libkrb5 result is freed before returning; key material lives only
 * in the keyring's keyblocks, which kf_keyring_free() wipes.
 */
#include "krb5_decrypt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/arena.h"
#include "krb5.h"
#include "krb5_private.h"

/* RFC 4120 §7.5.1 key usages */
enum {
	USAGE_AS_REP_ENCPART = 3,
	USAGE_TGS_REQ_AUTH = 7,
	USAGE_TGS_REP_SESSKEY = 8,
	USAGE_TGS_REP_SUBKEY = 9,
	USAGE_AP_REQ_AUTH = 11,
	USAGE_AP_REP_ENCPART = 12,
	USAGE_KRB_CRED_ENCPART = 14,
};

#define CKSUMTYPE_GSS 0x8003 /* RFC 4121 §4.1.1 */
#define PA_TGS_REQ 1
#define PA_FX_FAST 136

struct ring_key {
	krb5_keyblock kb; /* contents owned by the keyring, wiped on free */
	enum kf_key_origin origin;
	uint32_t kvno;
	uint64_t frame;
	uint64_t ticket_hash; /* learnt session keys: the ticket they belong to */
	uint16_t keytab;      /* keytab keys: index in keytabs[] */
	char principal[KF_LIMIT_NAME];
};

struct kf_keyring {
	krb5_context ctx;
	struct ring_key *keys;
	size_t n, cap;
	size_t n_keytab;     /* keys[0 .. n_keytab) came from keytabs */
	uint32_t *by_ticket; /* open addressing: ticket hash -> key id */
	size_t by_ticket_cap, n_by_ticket;
	char keytabs[KF_LIMIT_KEYTABS][KF_LIMIT_NAME];
	uint32_t keytab_keys[KF_LIMIT_KEYTABS];
	unsigned n_keytabs;
};

/* ---- keyring -------------------------------------------------------------- */

struct kf_keyring *kf_keyring_new(void)
{
	struct kf_keyring *kr = kf_calloc(1, sizeof *kr);
	if (!kr)
		return NULL;
	/* secure: no KRB5_CONFIG from the environment; no config is needed */
	if (krb5_init_secure_context(&kr->ctx) != 0) {
		kf_free(kr);
		return NULL;
	}
	return kr;
}

void kf_keyring_free(struct kf_keyring *kr)
{
	if (!kr)
		return;
	for (size_t i = 0; i < kr->n; i++)
		krb5_free_keyblock_contents(kr->ctx, &kr->keys[i].kb); /* zeroes before freeing */
	kf_free(kr->keys);
	kf_free(kr->by_ticket);
	krb5_free_context(kr->ctx);
	kf_free(kr);
}

static uint32_t add_key(struct kf_keyring *kr, const krb5_keyblock *kb, enum kf_key_origin origin)
{
	size_t limit = KF_LIMIT_KEYTAB_KEYS + KF_LIMIT_LEARNT_KEYS;
	if (kr->n >= limit)
		return 0;
	if (kr->n == kr->cap) {
		size_t cap = kr->cap ? kr->cap * 2 : 16;
		struct ring_key *k = kf_realloc(kr->keys, cap * sizeof *k);
		if (!k)
			return 0;
		kr->keys = k;
		kr->cap = cap;
	}
	struct ring_key *k = &kr->keys[kr->n];
	memset(k, 0, sizeof *k);
	if (krb5_copy_keyblock_contents(kr->ctx, kb, &k->kb) != 0)
		return 0;
	k->origin = origin;
	return (uint32_t)++kr->n;
}

/* Drop the keys of a keytab that could not be read to the end. */
static void drop_keys_from(struct kf_keyring *kr, size_t from)
{
	while (kr->n > from)
		krb5_free_keyblock_contents(kr->ctx, &kr->keys[--kr->n].kb);
}

static const struct ring_key *key_at(const struct kf_keyring *kr, uint32_t id)
{
	return id >= 1 && id <= kr->n ? &kr->keys[id - 1] : NULL;
}

static void principal_text(krb5_context ctx, krb5_const_principal p, char *out, size_t cap)
{
	struct kf_events scratch = { 0 };
	char name[KF_LIMIT_NAME], realm[KF_LIMIT_NAME];
	(void)ctx;
	kf_krb5_name_of(p, name, sizeof name, &scratch);
	kf_krb5_text_of(&p->realm, realm, sizeof realm, &scratch);
	snprintf(out, cap, "%s@%s", name, realm);
}

long kf_keyring_add_keytab(struct kf_keyring *kr, const char *path, char *err, size_t errlen)
{
	if (kr->n_keytabs >= KF_LIMIT_KEYTABS) {
		snprintf(err, errlen, "more than %u keytabs", KF_LIMIT_KEYTABS);
		return -1;
	}
	if (kr->n != kr->n_keytab) {
		snprintf(err, errlen, "keytabs must be added before any key is learnt");
		return -1;
	}
	/* a bare path is a FILE: keytab; other residual types (MEMORY:, KCM:) are refused */
	const char *file = path;
	if (strncmp(path, "FILE:", 5) == 0)
		file = path + 5;
	else if (strncmp(path, "WRFILE:", 7) == 0)
		file = path + 7;
	char name[4096];
	if (snprintf(name, sizeof name, "FILE:%s", file) >= (int)sizeof name) {
		snprintf(err, errlen, "keytab path too long");
		return -1;
	}
	FILE *probe = fopen(file, "rb");
	if (!probe) {
		snprintf(err, errlen, "cannot open keytab %s: %s", file, strerror(errno));
		return -1;
	}
	int v = fgetc(probe);
	fclose(probe);
	if (v != 0x05) { /* keytab files start 0x05 0x01 or 0x05 0x02 */
		snprintf(err, errlen, "%s is not a keytab file", file);
		return -1;
	}
	krb5_keytab kt;
	if (krb5_kt_resolve(kr->ctx, name, &kt) != 0) {
		snprintf(err, errlen, "cannot read keytab %s", file);
		return -1;
	}
	krb5_kt_cursor cur;
	krb5_error_code rc = krb5_kt_start_seq_get(kr->ctx, kt, &cur);
	if (rc != 0) {
		snprintf(err, errlen, "cannot read keytab %s: %s", file, krb5_get_error_message(kr->ctx, rc));
		krb5_kt_close(kr->ctx, kt);
		return -1;
	}
	unsigned ix = kr->n_keytabs;
	snprintf(kr->keytabs[ix], sizeof kr->keytabs[ix], "%s", file);
	long added = 0;
	krb5_keytab_entry e;
	while ((rc = krb5_kt_next_entry(kr->ctx, kt, &e, &cur)) == 0) {
		bool ok = kr->n < KF_LIMIT_KEYTAB_KEYS;
		uint32_t id = ok ? add_key(kr, &e.key, KF_KEY_KEYTAB) : 0;
		if (id) {
			struct ring_key *k = &kr->keys[id - 1];
			k->kvno = e.vno;
			k->keytab = (uint16_t)ix;
			principal_text(kr->ctx, e.principal, k->principal, sizeof k->principal);
			added++;
		}
		krb5_free_keytab_entry_contents(kr->ctx, &e);
		if (!id) {
			if (ok)
				snprintf(err, errlen, "out of memory reading keytab %s", file);
			else
				snprintf(err, errlen, "too many keys in the keytabs (more than %u)",
					 KF_LIMIT_KEYTAB_KEYS);
			krb5_kt_end_seq_get(kr->ctx, kt, &cur);
			krb5_kt_close(kr->ctx, kt);
			drop_keys_from(kr, kr->n_keytab);
			return -1;
		}
	}
	krb5_kt_end_seq_get(kr->ctx, kt, &cur);
	krb5_kt_close(kr->ctx, kt);
	if (rc != KRB5_KT_END || added == 0) {
		/* libkrb5 ends a keytab quietly at a damaged entry: none read is an error */
		if (added == 0)
			snprintf(err, errlen, "keytab %s holds no readable key", file);
		else
			snprintf(err, errlen, "keytab %s is corrupt after %ld keys", file, added);
		drop_keys_from(kr, kr->n_keytab);
		return -1;
	}
	kr->n_keytab = kr->n;
	kr->keytab_keys[ix] = (uint32_t)added;
	kr->n_keytabs++;
	return added;
}

size_t kf_keyring_keytab_keys(const struct kf_keyring *kr) { return kr->n_keytab; }

unsigned kf_keyring_keytab_count(const struct kf_keyring *kr) { return kr->n_keytabs; }

const char *kf_keyring_keytab(const struct kf_keyring *kr, unsigned i, uint32_t *keys)
{
	if (i >= kr->n_keytabs)
		return NULL;
	*keys = kr->keytab_keys[i];
	return kr->keytabs[i];
}

bool kf_keyring_key_info(const struct kf_keyring *kr, uint32_t id, struct kf_key_info *out)
{
	memset(out, 0, sizeof *out);
	const struct ring_key *k = key_at(kr, id);
	if (!k)
		return false;
	out->origin = k->origin;
	out->etype = k->kb.enctype;
	out->frame = k->frame;
	if (k->origin == KF_KEY_KEYTAB) {
		snprintf(out->principal, sizeof out->principal, "%s", k->principal);
		snprintf(out->keytab, sizeof out->keytab, "%s", kr->keytabs[k->keytab]);
		out->kvno = k->kvno;
	}
	return true;
}

void kf_keyring_principal_keys(const struct kf_keyring *kr, const char *principal, struct kf_keytab_view *out)
{
	memset(out, 0, sizeof *out);
	for (size_t i = 0; i < kr->n_keytab && out->n < KF_LIMIT_KEY_VIEW; i++) {
		if (strcasecmp(kr->keys[i].principal, principal) != 0)
			continue;
		out->kvno[out->n] = kr->keys[i].kvno;
		out->etype[out->n] = kr->keys[i].kb.enctype;
		out->n++;
	}
}

/* ---- learnt keys ---------------------------------------------------------- */

static uint64_t hash_bytes(const krb5_data *d)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (unsigned i = 0; d->data && i < d->length; i++)
		h = (h ^ (uint8_t)d->data[i]) * 0x100000001b3ull;
	return h ? h : 1;
}

static uint32_t find_by_ticket(const struct kf_keyring *kr, uint64_t hash)
{
	if (!kr->by_ticket_cap)
		return 0;
	for (size_t j = hash & (kr->by_ticket_cap - 1);; j = (j + 1) & (kr->by_ticket_cap - 1)) {
		uint32_t id = kr->by_ticket[j];
		if (!id)
			return 0;
		if (kr->keys[id - 1].ticket_hash == hash)
			return id;
	}
}

static bool index_ticket(struct kf_keyring *kr, uint32_t id)
{
	if ((kr->n_by_ticket + 1) * 2 > kr->by_ticket_cap) {
		size_t cap = kr->by_ticket_cap ? kr->by_ticket_cap * 2 : 64;
		uint32_t *t = kf_calloc(cap, sizeof *t);
		if (!t)
			return false;
		for (size_t i = 0; i < kr->by_ticket_cap; i++) {
			uint32_t o = kr->by_ticket[i];
			if (!o)
				continue;
			size_t j = kr->keys[o - 1].ticket_hash & (cap - 1);
			while (t[j])
				j = (j + 1) & (cap - 1);
			t[j] = o;
		}
		kf_free(kr->by_ticket);
		kr->by_ticket = t;
		kr->by_ticket_cap = cap;
	}
	size_t j = kr->keys[id - 1].ticket_hash & (kr->by_ticket_cap - 1);
	while (kr->by_ticket[j])
		j = (j + 1) & (kr->by_ticket_cap - 1);
	kr->by_ticket[j] = id;
	kr->n_by_ticket++;
	return true;
}

/* Remember a key learnt in frame; ticket_hash != 0 ties it to the ticket
 * whose session key it is.  A key already known for that ticket is reused. */
static uint32_t learn(struct kf_keyring *kr, const krb5_keyblock *kb, enum kf_key_origin origin,
		      uint64_t frame, uint64_t ticket_hash)
{
	if (!kb || !kb->contents || kb->length == 0)
		return 0;
	if (ticket_hash) {
		uint32_t old = find_by_ticket(kr, ticket_hash);
		if (old)
			return old;
	}
	uint32_t id = add_key(kr, kb, origin);
	if (!id)
		return 0;
	kr->keys[id - 1].frame = frame;
	kr->keys[id - 1].ticket_hash = ticket_hash;
	if (ticket_hash && !index_ticket(kr, id))
		kr->keys[id - 1].ticket_hash = 0;
	return id;
}

/* ---- decrypting ------------------------------------------------------------ */

/* Decrypt enc under key id with usage; *plain must be freed by the caller
 * (krb5_free_data_contents) when 0 is returned. */
static krb5_error_code decrypt_with(struct kf_keyring *kr, uint32_t id, krb5_keyusage usage,
				    const krb5_enc_data *enc, krb5_data *plain)
{
	const struct ring_key *k = key_at(kr, id);
	if (!k || k->kb.enctype != enc->enctype)
		return KRB5_BAD_ENCTYPE;
	plain->magic = KV5M_DATA;
	plain->length = enc->ciphertext.length;
	plain->data = calloc(1, plain->length ? plain->length : 1);
	if (!plain->data)
		return ENOMEM;
	krb5_error_code rc = krb5_c_decrypt(kr->ctx, &k->kb, usage, NULL, enc, plain);
	if (rc != 0) {
		krb5_free_data_contents(kr->ctx, plain);
		plain->data = NULL;
	}
	return rc;
}

static void copy_principal(krb5_const_principal p, char *name, char *realm, struct kf_events *ev)
{
	name[0] = realm[0] = '\0';
	if (!p)
		return;
	kf_krb5_name_of(p, name, KF_LIMIT_NAME, ev);
	kf_krb5_text_of(&p->realm, realm, KF_LIMIT_NAME, ev);
}

static void ticket_pac(struct kf_keyring *kr, krb5_authdata *const *ad, struct kf_plain_ticket *t,
		       struct kf_events *ev)
{
	krb5_authdata **found = NULL;
	if (!ad || krb5_find_authdata(kr->ctx, ad, NULL, KRB5_AUTHDATA_WIN2K_PAC, &found) != 0 || !found)
		return;
	if (found[0])
		t->has_pac = kf_pac_decode(kf_span_make(found[0]->contents, found[0]->length), &t->pac, ev);
	krb5_free_authdata(kr->ctx, found);
}

static void ticket_fields(struct kf_keyring *kr, const krb5_enc_tkt_part *p, uint64_t frame,
			  struct kf_plain_ticket *t, struct kf_events *ev)
{
	t->flags = (uint32_t)p->flags;
	copy_principal(p->client, t->cname, t->crealm, ev);
	t->authtime = kf_krb5_time_of(p->times.authtime);
	t->starttime = kf_krb5_time_of(p->times.starttime);
	t->endtime = kf_krb5_time_of(p->times.endtime);
	t->renew_till = kf_krb5_time_of(p->times.renew_till);
	if (p->transited.tr_contents.length > 0)
		kf_krb5_text_of(&p->transited.tr_contents, t->transited, sizeof t->transited, ev);
	if (p->session) {
		t->session_etype = p->session->enctype;
		uint32_t id = learn(kr, p->session, KF_KEY_TICKET, frame, t->hash);
		if (id)
			t->session_key_id = id;
	}
	ticket_pac(kr, p->authorization_data, t, ev);
}

/* Try keytab keys on a ticket: its own principal's (same kvno first), then,
 * when none of those opens it, other principals' keys of the same etype
 * (which tells a ticket encrypted for another account).  WRONG_KEY only when
 * a key of the right principal, kvno and etype failed: a missing kvno (a
 * stale keytab) is NO_KEY. */
static void open_ticket(struct kf_keyring *kr, krb5_ticket *tk, uint64_t frame, struct kf_plain_ticket *t,
			struct kf_events *ev)
{
	memset(t, 0, sizeof *t);
	t->status = KF_OPEN_NO_KEY;
	t->etype = tk->enc_part.enctype;
	t->kvno = tk->enc_part.kvno;
	t->hash = hash_bytes(&tk->enc_part.ciphertext);
	if (tk->server)
		principal_text(kr->ctx, tk->server, t->server, sizeof t->server);
	bool own_tried = false; /* a key of the ticket's principal and kvno failed */
	for (int pass = 0; pass < 3 && t->status != KF_OPEN_OK; pass++) {
		for (size_t i = 0; i < kr->n_keytab && t->n_tried < KF_LIMIT_KEY_TRIES; i++) {
			const struct ring_key *k = &kr->keys[i];
			if (k->kb.enctype != t->etype)
				continue;
			bool own = strcasecmp(k->principal, t->server) == 0;
			bool same_kvno = !t->kvno || k->kvno == t->kvno;
			if ((pass == 0 && !(own && same_kvno)) || (pass == 1 && !(own && !same_kvno)) ||
			    (pass == 2 && own))
				continue;
			t->n_tried++;
			own_tried |= own && same_kvno;
			if (krb5_decrypt_tkt_part(kr->ctx, &k->kb, tk) != 0)
				continue;
			t->status = KF_OPEN_OK;
			t->key_id = (uint32_t)i + 1;
			t->other_principal = !own;
			break;
		}
	}
	if (t->status == KF_OPEN_OK && tk->enc_part2) {
		ticket_fields(kr, tk->enc_part2, frame, t, ev);
	} else {
		if (own_tried)
			t->status = KF_OPEN_WRONG_KEY;
		/* an earlier reply or KRB-CRED may have delivered its session key */
		t->session_key_id = find_by_ticket(kr, t->hash);
	}
}

/* A KRB-CRED (RFC 4120 §5.8) under one of keys[] (or unencrypted). */
static void open_cred(struct kf_keyring *kr, struct kf_span der, const uint32_t keys[2], uint64_t frame,
		      struct kf_plain_cred *c, struct kf_events *ev)
{
	krb5_data d = kf_krb5_as_data(der);
	krb5_cred *cred = NULL;
	if (decode_krb5_cred(&d, &cred) != 0) {
		c->status = KF_OPEN_UNDECODABLE;
		return;
	}
	c->etype = cred->enc_part.enctype;
	for (size_t i = 0; cred->tickets && cred->tickets[i]; i++)
		if (c->n_tickets < UINT8_MAX)
			c->n_tickets++;
	krb5_data plain = { 0 };
	bool have = false;
	if (cred->enc_part.enctype == ENCTYPE_NULL) {
		/* sent unencrypted (RFC 4120 §5.8.1 allows it; Heimdal does) */
		plain = cred->enc_part.ciphertext;
		have = true;
	} else {
		c->status = KF_OPEN_NO_KEY;
		for (int i = 0; i < 2 && !have; i++) {
			if (!keys[i] || !key_at(kr, keys[i]) || key_at(kr, keys[i])->kb.enctype != c->etype)
				continue;
			if (decrypt_with(kr, keys[i], USAGE_KRB_CRED_ENCPART, &cred->enc_part, &plain) == 0) {
				have = true;
				c->key_id = keys[i];
			} else {
				c->status = KF_OPEN_WRONG_KEY;
			}
		}
	}
	krb5_cred_enc_part *ep = NULL;
	if (have && decode_krb5_enc_cred_part(&plain, &ep) == 0) {
		c->status = KF_OPEN_OK;
		for (size_t i = 0; ep->ticket_info && ep->ticket_info[i]; i++) {
			const krb5_cred_info *ci = ep->ticket_info[i];
			if (c->n_info < KF_LIMIT_CRED_TICKETS) {
				struct kf_plain_cred_info *o = &c->info[c->n_info++];
				copy_principal(ci->server, o->sname, o->srealm, ev);
				copy_principal(ci->client, o->pname, o->prealm, ev);
				o->has_flags = true; /* libkrb5 leaves absent flags 0 */
				o->flags = (uint32_t)ci->flags;
				o->endtime = kf_krb5_time_of(ci->times.endtime);
				o->key_etype = ci->session ? ci->session->enctype : 0;
			}
			/* the forwarded ticket's session key opens what the front end does with it */
			if (ci->session && cred->tickets && i < c->n_tickets && cred->tickets[i])
				(void)learn(kr, ci->session, KF_KEY_CRED, frame,
					    hash_bytes(&cred->tickets[i]->enc_part.ciphertext));
		}
		krb5_free_cred_enc_part(kr->ctx, ep); /* frees the contents only */
		free(ep);
	} else if (have) {
		c->status = KF_OPEN_UNDECODABLE;
	}
	if (have && cred->enc_part.enctype != ENCTYPE_NULL)
		krb5_free_data_contents(kr->ctx, &plain);
	krb5_free_cred(kr->ctx, cred);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* RFC 4121 §4.1.1: Lgth(4) Bnd(16) Flags(4) [DlgOpt(2) Dlgth(2) Deleg(Dlgth)] [Exts] */
static void gss_checksum(struct kf_keyring *kr, const krb5_checksum *ck, uint64_t frame,
			 struct kf_plain_auth *a, struct kf_events *ev)
{
	const uint8_t *p = ck->contents;
	size_t n = ck->contents ? ck->length : 0;
	if (n < 24 || le32(p) != 16)
		return;
	a->gss = true;
	a->gss_flags = le32(p + 20);
	if (!(a->gss_flags & KF_GSS_DELEG) || n < 28)
		return;
	size_t dlen = (size_t)p[26] | (size_t)p[27] << 8;
	if (p[24] != 1 || p[25] != 0 || dlen > n - 28) {
		a->cred.status = KF_OPEN_UNDECODABLE;
		a->has_deleg = true;
		return;
	}
	a->has_deleg = true;
	/* MIT encrypts the KRB-CRED in the subkey, Windows in the session key */
	uint32_t keys[2] = { a->subkey_id, a->key_id };
	open_cred(kr, kf_span_make(p + 28, dlen), keys, frame, &a->cred, ev);
}

static void open_authenticator(struct kf_keyring *kr, const krb5_enc_data *enc, uint32_t session_id,
			       krb5_keyusage usage, uint64_t frame, struct kf_plain_auth *a,
			       struct kf_events *ev)
{
	memset(a, 0, sizeof *a);
	a->status = KF_OPEN_NO_KEY;
	if (!session_id)
		return;
	krb5_data plain;
	if (decrypt_with(kr, session_id, usage, enc, &plain) != 0) {
		a->status = KF_OPEN_WRONG_KEY;
		return;
	}
	krb5_authenticator *au = NULL;
	if (decode_krb5_authenticator(&plain, &au) != 0) {
		a->status = KF_OPEN_UNDECODABLE;
		krb5_free_data_contents(kr->ctx, &plain);
		return;
	}
	a->status = KF_OPEN_OK;
	a->key_id = session_id;
	copy_principal(au->client, a->cname, a->crealm, ev);
	a->ctime = kf_krb5_time_of(au->ctime);
	a->cusec = au->cusec;
	if (au->subkey) {
		a->has_subkey = true;
		a->subkey_etype = au->subkey->enctype;
		a->subkey_id = learn(kr, au->subkey, KF_KEY_SUBKEY, frame, 0);
	}
	a->has_seq = au->seq_number != 0;
	a->seq = au->seq_number;
	if (au->checksum) {
		a->has_cksum = true;
		a->cksum_type = au->checksum->checksum_type;
		if (au->checksum->checksum_type == CKSUMTYPE_GSS)
			gss_checksum(kr, au->checksum, frame, a, ev);
	}
	krb5_free_authenticator(kr->ctx, au);
	krb5_free_data_contents(kr->ctx, &plain);
}

/* AP-REQ (bare, or PA-TGS-REQ's): ticket, then authenticator. */
static void open_ap_req(struct kf_keyring *kr, krb5_ap_req *ap, krb5_keyusage usage, uint64_t frame,
			struct kf_plain *out, struct kf_events *ev)
{
	if (ap->ticket)
		open_ticket(kr, ap->ticket, frame, &out->ticket, ev);
	open_authenticator(kr, &ap->authenticator, out->ticket.session_key_id, usage, frame, &out->auth, ev);
}

static void rep_fields(struct kf_keyring *kr, const krb5_enc_kdc_rep_part *p, const krb5_ticket *issued,
		       uint64_t frame, struct kf_plain_rep *r, struct kf_events *ev)
{
	r->flags = (uint32_t)p->flags;
	copy_principal(p->server, r->sname, r->srealm, ev);
	r->authtime = kf_krb5_time_of(p->times.authtime);
	r->starttime = kf_krb5_time_of(p->times.starttime);
	r->endtime = kf_krb5_time_of(p->times.endtime);
	r->renew_till = kf_krb5_time_of(p->times.renew_till);
	r->key_expiration = kf_krb5_time_of(p->key_exp);
	r->nonce = (uint32_t)p->nonce;
	if (p->session) {
		r->session_etype = p->session->enctype;
		if (issued)
			(void)learn(kr, p->session, KF_KEY_KDC_REP, frame,
				    hash_bytes(&issued->enc_part.ciphertext));
	}
}

/* AS-REP: the client's long-term key; TGS-REP: the request's subkey or TGT session key. */
static void open_kdc_rep(struct kf_keyring *kr, krb5_kdc_rep *rep, bool as, const uint32_t req_keys[2],
			 uint64_t frame, struct kf_plain *out, struct kf_events *ev)
{
	struct kf_plain_rep *r = &out->rep;
	r->status = KF_OPEN_NO_KEY;
	krb5_data plain = { 0 };
	bool have = false;
	if (as && rep->client) {
		char client[KF_LIMIT_NAME];
		principal_text(kr->ctx, rep->client, client, sizeof client);
		for (size_t i = 0; i < kr->n_keytab && !have; i++) {
			const struct ring_key *k = &kr->keys[i];
			if (k->kb.enctype != rep->enc_part.enctype || strcasecmp(k->principal, client) != 0)
				continue;
			if (decrypt_with(kr, (uint32_t)i + 1, USAGE_AS_REP_ENCPART, &rep->enc_part, &plain) ==
			    0) {
				have = true;
				r->key_id = (uint32_t)i + 1;
			} else {
				r->status = KF_OPEN_WRONG_KEY;
			}
		}
	} else if (!as && req_keys) {
		/* RFC 4120 §5.4.2: the subkey when the authenticator had one */
		const krb5_keyusage usage[2] = { USAGE_TGS_REP_SUBKEY, USAGE_TGS_REP_SESSKEY };
		for (int i = 0; i < 2 && !have; i++) {
			if (!req_keys[i])
				continue;
			if (decrypt_with(kr, req_keys[i], usage[i], &rep->enc_part, &plain) == 0) {
				have = true;
				r->key_id = req_keys[i];
			} else {
				r->status = KF_OPEN_WRONG_KEY;
			}
		}
	}
	krb5_enc_kdc_rep_part *ep = NULL;
	if (have && decode_krb5_enc_kdc_rep_part(&plain, &ep) == 0) {
		r->status = KF_OPEN_OK;
		rep_fields(kr, ep, rep->ticket, frame, r, ev);
		krb5_free_enc_kdc_rep_part(kr->ctx, ep);
	} else if (have) {
		r->status = KF_OPEN_UNDECODABLE;
	}
	if (have)
		krb5_free_data_contents(kr->ctx, &plain);
	/* the issued ticket, when the keytab holds its service's key */
	if (rep->ticket)
		open_ticket(kr, rep->ticket, frame, &out->ticket, ev);
}

static void open_ap_rep(struct kf_keyring *kr, krb5_ap_rep *rep, const uint32_t req_keys[2], uint64_t frame,
			struct kf_plain_ap_rep *a, struct kf_events *ev)
{
	(void)ev;
	a->status = KF_OPEN_NO_KEY;
	krb5_data plain = { 0 };
	bool have = false;
	/* RFC 4120 §5.5.2: the ticket's session key (some use the subkey) */
	for (int i = 1; req_keys && i >= 0 && !have; i--) {
		if (!req_keys[i])
			continue;
		if (decrypt_with(kr, req_keys[i], USAGE_AP_REP_ENCPART, &rep->enc_part, &plain) == 0) {
			have = true;
			a->key_id = req_keys[i];
		} else {
			a->status = KF_OPEN_WRONG_KEY;
		}
	}
	krb5_ap_rep_enc_part *ep = NULL;
	if (have && decode_krb5_ap_rep_enc_part(&plain, &ep) == 0) {
		a->status = KF_OPEN_OK;
		a->ctime = kf_krb5_time_of(ep->ctime);
		a->cusec = ep->cusec;
		if (ep->subkey) {
			a->has_subkey = true;
			a->subkey_etype = ep->subkey->enctype;
			(void)learn(kr, ep->subkey, KF_KEY_AP_REP_SUBKEY, frame, 0);
		}
		a->has_seq = ep->seq_number != 0;
		a->seq = ep->seq_number;
		krb5_free_ap_rep_enc_part(kr->ctx, ep);
	} else if (have) {
		a->status = KF_OPEN_UNDECODABLE;
	}
	if (have)
		krb5_free_data_contents(kr->ctx, &plain);
}

static void open_kdc_req(struct kf_keyring *kr, krb5_kdc_req *req, uint64_t frame, struct kf_plain *out,
			 struct kf_events *ev)
{
	for (size_t i = 0; req->padata && req->padata[i]; i++) {
		const krb5_pa_data *pa = req->padata[i];
		if (pa->pa_type == PA_FX_FAST)
			out->fast = true;
		if (pa->pa_type != PA_TGS_REQ || out->ticket.status != KF_OPEN_NONE)
			continue;
		krb5_data d = kf_krb5_as_data(kf_span_make(pa->contents, pa->length));
		krb5_ap_req *ap = NULL;
		if (decode_krb5_ap_req(&d, &ap) != 0)
			continue;
		open_ap_req(kr, ap, USAGE_TGS_REQ_AUTH, frame, out, ev);
		krb5_free_ap_req(kr->ctx, ap);
	}
	out->reply_keys[0] = out->auth.subkey_id;
	out->reply_keys[1] = out->ticket.session_key_id;
	for (size_t i = 0; req->second_ticket && req->second_ticket[i]; i++) {
		if (out->n_addl >= KF_LIMIT_ADDL_TICKETS)
			break;
		open_ticket(kr, req->second_ticket[i], frame, &out->addl[out->n_addl++], ev);
	}
}

bool kf_krb5_open(struct kf_keyring *kr, struct kf_span msg, int type, const uint32_t req_keys[2],
		  uint64_t frame, struct kf_plain *out, struct kf_events *ev)
{
	memset(out, 0, sizeof *out);
	if (msg.n > UINT32_MAX)
		return false;
	krb5_data d = kf_krb5_as_data(msg);
	switch (type) {
	case KF_KRB_AS_REQ:
	case KF_KRB_TGS_REQ: {
		krb5_kdc_req *r = NULL;
		if ((type == KF_KRB_AS_REQ ? decode_krb5_as_req(&d, &r) : decode_krb5_tgs_req(&d, &r)) != 0)
			return false;
		open_kdc_req(kr, r, frame, out, ev);
		krb5_free_kdc_req(kr->ctx, r);
		return type == KF_KRB_TGS_REQ;
	}
	case KF_KRB_AS_REP:
	case KF_KRB_TGS_REP: {
		krb5_kdc_rep *r = NULL;
		if ((type == KF_KRB_AS_REP ? decode_krb5_as_rep(&d, &r) : decode_krb5_tgs_rep(&d, &r)) != 0)
			return false;
		for (size_t i = 0; r->padata && r->padata[i]; i++)
			out->fast |= r->padata[i]->pa_type == PA_FX_FAST;
		open_kdc_rep(kr, r, type == KF_KRB_AS_REP, req_keys, frame, out, ev);
		krb5_free_kdc_rep(kr->ctx, r);
		return true;
	}
	case KF_KRB_AP_REQ: {
		krb5_ap_req *r = NULL;
		if (decode_krb5_ap_req(&d, &r) != 0)
			return false;
		open_ap_req(kr, r, USAGE_AP_REQ_AUTH, frame, out, ev);
		out->reply_keys[0] = out->auth.subkey_id;
		out->reply_keys[1] = out->ticket.session_key_id;
		krb5_free_ap_req(kr->ctx, r);
		return true;
	}
	case KF_KRB_AP_REP: {
		krb5_ap_rep *r = NULL;
		if (decode_krb5_ap_rep(&d, &r) != 0)
			return false;
		open_ap_rep(kr, r, req_keys, frame, &out->ap_rep, ev);
		krb5_free_ap_rep(kr->ctx, r);
		return true;
	}
	default: return false;
	}
}

const char *kf_open_status_name(enum kf_open_status s)
{
	switch (s) {
	case KF_OPEN_OK: return "decrypted";
	case KF_OPEN_NO_KEY: return "no-key";
	case KF_OPEN_WRONG_KEY: return "wrong-key";
	case KF_OPEN_UNDECODABLE: return "undecodable";
	default: return "not-tried";
	}
}

const char *kf_key_origin_name(enum kf_key_origin o)
{
	switch (o) {
	case KF_KEY_KEYTAB: return "keytab";
	case KF_KEY_TICKET: return "ticket";
	case KF_KEY_KDC_REP: return "kdc-reply";
	case KF_KEY_SUBKEY: return "authenticator-subkey";
	case KF_KEY_AP_REP_SUBKEY: return "ap-rep-subkey";
	case KF_KEY_CRED: return "krb-cred";
	default: return "unknown";
	}
}

/* TicketFlags, RFC 4120 §5.3, RFC 6806 (enc-pa-rep), RFC 6112 (anonymous). */
const char *kf_krb5_ticket_flag_name(unsigned bit)
{
	static const char *const names[17] = {
		"reserved",
		"forwardable",
		"forwarded",
		"proxiable",
		"proxy",
		"may-postdate",
		"postdated",
		"invalid",
		"renewable",
		"initial",
		"pre-authent",
		"hw-authent",
		"transited-policy-checked",
		"ok-as-delegate",
		NULL,
		"enc-pa-rep",
		"anonymous",
	};
	return bit < 17 ? names[bit] : NULL;
}

bool kf_keytab_others_can_read(const char *path)
{
	struct stat st;
	if (strncmp(path, "FILE:", 5) == 0)
		path += 5;
	else if (strncmp(path, "WRFILE:", 7) == 0)
		path += 7;
	return stat(path, &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH));
}
