/* check_report_json.c - the JSON report's own serializer writes exactly
 * what jansson would: the document read back by jansson and dumped again
 * with the same flags gives the same bytes, for the bundled samples, for
 * strings that need every kind of escape and for --keytab's records; those
 * records say what they should, never key material; memory running out
 * fails cleanly; and two writers do not share state. */
#include <check.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "base/arena.h"
#include "json_writer.h"
#include "krb5_decrypt.h"
#include "report.h"
#include "rulefix.h"
#include "testutil.h"

/* The report of r, indented or compact, as a NUL-terminated string. */
static char *report(const struct kf_result *r, bool compact)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(kf_report_json(r, f, compact), 0);
	fclose(f);
	return buf;
}

/* jansson's own rendering of the same document.  Keys keep the order they
 * were read in (insertion order), which is the report's: sorted inside
 * objects, the contract's order at the top. */
static char *jansson_again(const char *doc, bool compact)
{
	json_error_t err;
	json_t *v = json_loads(doc, 0, &err);
	ck_assert_msg(v != NULL, "report is not JSON: %s (line %d)", err.text, err.line);
	char *s = json_dumps(v, JSON_ENSURE_ASCII | (compact ? JSON_COMPACT : JSON_INDENT(2)));
	json_decref(v);
	ck_assert_ptr_nonnull(s);
	size_t n = strlen(s);
	char *out = malloc(n + 2);
	memcpy(out, s, n);
	memcpy(out + n, "\n", 2);
	free(s);
	return out;
}

static void same_as_jansson(const struct kf_result *r)
{
	for (int compact = 0; compact < 2; compact++) {
		char *ours = report(r, compact);
		char *theirs = jansson_again(ours, compact);
		ck_assert_str_eq(ours, theirs);
		free(ours);
		free(theirs);
	}
}

static const char *const samples[] = {
	"web-healthy-401first.pcap", "web-ntlm-fallback.pcap", "deleg-works.pcap",
	"kerberos-errors.pcap",      "kerberos-ipv6.pcap",     "kerberos-kdc-unreachable.pcap",
	"samba-account-errors.pcap", "web-cname-canon.pcap",
};

START_TEST(t_samples)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", KF_SAMPLES_DIR, samples[_i]);
	struct kf_config cfg = { 0 };
	struct kf_result r;
	char err[256];
	ck_assert_int_eq(kf_analyze(path, &cfg, &r, err, sizeof err), KF_OK);
	ck_assert_uint_gt(r.n_messages, 0);
	same_as_jansson(&r);
	kf_result_free(&r);
}
END_TEST

/* Quotes, backslashes, control characters, DEL, 2-, 3- and 4-byte UTF-8
 * (a surrogate pair under JSON_ENSURE_ASCII), an empty string. */
START_TEST(t_escapes)
{
	struct kf_result *r = fx_new();
	r->file = "dir/\"odd\" name\\x.pcap";
	r->format = "pcap";
	struct kf_message *m = fx_krb(r, 1, KF_KRB_ERROR, "10.0.0.2:88", "10.0.0.10:40000");
	m->krb.error_code = 6;
	m->krb.e_text = "tab\there\nnl\r\x01\x1f\x7f \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 / end";
	m->krb.cname = "";
	m->krb.sname = "HTTP/web.lab.test";
	m->krb.realm = "LAB.TEST";
	fx_finish(r);
	same_as_jansson(r);
	char *ours = report(r, true);
	ck_assert_ptr_nonnull(strstr(ours, "\\t"));
	ck_assert_ptr_nonnull(strstr(ours, "\\u0001"));
	ck_assert_ptr_nonnull(strstr(ours, "\\u00E9"));
	ck_assert_ptr_nonnull(strstr(ours, "\\uD83D\\uDE00"));
	free(ours);
	fx_free(r);
}
END_TEST

/* ---- --keytab: "decrypted" per message and the "decryption" account ------- */

static void *az(struct kf_result *r, size_t n)
{
	void *p = kf_arena_zalloc(&r->arena, n);
	ck_assert_ptr_nonnull(p);
	return p;
}

/* The n-th message of type (0-based) of a sample's result. */
static struct kf_message *nth(struct kf_result *r, int type, unsigned n)
{
	for (size_t i = 0; i < r->n_messages; i++)
		if (r->messages[i].type == type && n-- == 0)
			return &r->messages[i];
	ck_abort_msg("no message of type %d", type);
	return NULL;
}

#define TF(bit) (0x80000000u >> (bit)) /* TicketFlags, wire bit order */

/* deleg-works.pcap with hand-made decryption records: an AP-REQ opened with
 * a keytab key (PAC, GSS checksum, forwarded TGT), a TGS-REQ whose ticket
 * fails with the wrong key, a TGS-REP and an AP-REP opened with learnt keys,
 * and an account of 22 failures (20 shown in text) plus 3 dropped. */
static void attach_decryption(struct kf_result *r, uint64_t *tgs_req_frame, uint64_t *ap_req_frame)
{
	struct kf_message *ap = nth(r, KF_KRB_AP_REQ, 0);
	struct kf_message *tq = nth(r, KF_KRB_TGS_REQ, 0);
	struct kf_message *tp = nth(r, KF_KRB_TGS_REP, 0);
	struct kf_message *arep = nth(r, KF_KRB_AP_REP, 0);
	*tgs_req_frame = tq->frame;
	*ap_req_frame = ap->frame;

	struct kf_decrypted *d = az(r, sizeof *d);
	struct kf_dec_ticket *t = d->ticket = az(r, sizeof *t);
	t->status = KF_OPEN_OK;
	t->key = (struct kf_dec_key){ .origin = KF_KEY_KEYTAB,
				      .principal = "HTTP/front.lab.test@LAB.TEST",
				      .keytab = "front.keytab",
				      .kvno = 2,
				      .etype = 18 };
	t->server = "HTTP/front.lab.test@LAB.TEST";
	t->etype = 18;
	t->kvno = 2;
	t->flags = TF(1) | TF(8) | TF(10) | TF(13);
	t->cname = "alice";
	t->crealm = "LAB.TEST";
	t->authtime = 1795237000;
	t->endtime = 1795273000;
	t->session_etype = 18;
	struct kf_dec_pac *pac = t->pac = az(r, sizeof *pac);
	pac->n_types = 2;
	pac->types = az(r, 2 * sizeof *pac->types);
	pac->types[0] = 1;
	pac->types[1] = 999;
	pac->logon_user = "alice";
	pac->logon_domain = "LAB";
	pac->user_sid = "S-1-5-21-1-2-3-1104";
	pac->primary_group_rid = 513;
	pac->n_groups = 1;
	pac->n_sids = 1;
	pac->sids = az(r, sizeof *pac->sids);
	pac->sids[0] = "S-1-5-21-1-2-3-513";
	pac->client_name = "alice";
	pac->client_time = 1795237000;
	pac->complete = true;
	struct kf_dec_auth *a = d->auth = az(r, sizeof *a);
	a->status = KF_OPEN_OK;
	a->key = (struct kf_dec_key){ .origin = KF_KEY_TICKET, .etype = 18, .frame = ap->frame };
	a->cname = "alice";
	a->crealm = "LAB.TEST";
	a->ctime = 1795237100;
	a->cusec = 42;
	a->has_seq = true;
	a->seq = 7;
	a->has_cksum = true;
	a->cksum_type = 0x8003;
	a->gss = true;
	a->gss_flags = KF_GSS_DELEG | KF_GSS_MUTUAL | 0x100;
	a->has_deleg = true;
	struct kf_dec_cred *c = a->cred = az(r, sizeof *c);
	c->status = KF_OPEN_OK;
	c->key = (struct kf_dec_key){ .origin = KF_KEY_SUBKEY, .etype = 18, .frame = ap->frame };
	c->etype = 18;
	c->n_tickets = c->n_info = 1;
	c->info = az(r, sizeof *c->info);
	c->info[0] = (struct kf_dec_cred_info){ .sname = "krbtgt/LAB.TEST",
						.srealm = "LAB.TEST",
						.pname = "alice",
						.prealm = "LAB.TEST",
						.has_flags = true,
						.flags = TF(1) | TF(2),
						.endtime = 1795273000,
						.key_etype = 18 };
	ap->dec = d;

	d = az(r, sizeof *d);
	t = d->ticket = az(r, sizeof *t);
	t->status = KF_OPEN_WRONG_KEY;
	t->server = "krbtgt/LAB.TEST@LAB.TEST";
	t->etype = 18;
	t->kvno = 2;
	t->n_keytab = 1;
	t->keytab_kvnos = az(r, sizeof *t->keytab_kvnos);
	t->keytab_etypes = az(r, sizeof *t->keytab_etypes);
	t->keytab_kvnos[0] = 1;
	t->keytab_etypes[0] = 17;
	d->auth = az(r, sizeof *d->auth);
	d->auth->status = KF_OPEN_NO_KEY;
	d->fast = true;
	tq->dec = d;

	d = az(r, sizeof *d);
	struct kf_dec_rep *rp = d->rep = az(r, sizeof *rp);
	rp->status = KF_OPEN_OK;
	rp->key = (struct kf_dec_key){ .origin = KF_KEY_SUBKEY, .etype = 18, .frame = tq->frame };
	rp->flags = TF(1) | TF(8);
	rp->sname = "HTTP/front.lab.test";
	rp->srealm = "LAB.TEST";
	rp->authtime = 1795237000;
	rp->endtime = 1795273000;
	rp->nonce = 12345;
	rp->session_etype = 17;
	tp->dec = d;

	d = az(r, sizeof *d);
	struct kf_dec_ap_rep *ar = d->ap_rep = az(r, sizeof *ar);
	ar->status = KF_OPEN_OK;
	ar->key = (struct kf_dec_key){ .origin = KF_KEY_TICKET, .etype = 18, .frame = ap->frame };
	ar->ctime = 1795237100;
	ar->has_subkey = true;
	ar->subkey_etype = 18;
	ar->has_seq = true;
	ar->seq = 99;
	arep->dec = d;

	struct kf_decryption *acc = r->decryption = az(r, sizeof *acc);
	acc->n_keytabs = 1;
	acc->keytabs = az(r, sizeof *acc->keytabs);
	acc->keytabs[0] =
		(struct kf_keytab_rec){ .file = "front.keytab", .keys = 4, .others_can_read = true };
	acc->opened = 5;
	acc->failed = 25;
	acc->by_status[KF_OPEN_OK] = 5;
	acc->by_status[KF_OPEN_WRONG_KEY] = 24;
	acc->by_status[KF_OPEN_NO_KEY] = 1;
	acc->n_failures = 22;
	acc->failures = az(r, 22 * sizeof *acc->failures);
	acc->failures[0] = (struct kf_dec_failure){ .frame = tq->frame,
						    .part = "tgs-req ticket",
						    .status = KF_OPEN_WRONG_KEY,
						    .reason = "the keytab has kvno 1 only" };
	for (unsigned i = 1; i < 22; i++)
		acc->failures[i] = (struct kf_dec_failure){
			.frame = 1000 + i, .part = "ticket", .status = KF_OPEN_WRONG_KEY, .reason = "wrong"
		};
	acc->failures_dropped = 3;
}

static json_t *load(const char *doc)
{
	json_error_t err;
	json_t *v = json_loads(doc, 0, &err);
	ck_assert_msg(v != NULL, "report is not JSON: %s (line %d)", err.text, err.line);
	return v;
}

/* The value at a path of object keys and array indices ("messages", "#3", ...). */
static json_t *at(json_t *v, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
		ck_assert_msg(v != NULL, "%s: nothing before %s", path, k);
		v = *k == '#' ? json_array_get(v, (size_t)atoi(k + 1)) : json_object_get(v, k);
	}
	return v;
}

static const char *str_at(json_t *v, const char *path)
{
	json_t *s = at(v, path);
	ck_assert_msg(json_is_string(s), "%s is not a string", path);
	return json_string_value(s);
}

static long long int_at(json_t *v, const char *path)
{
	json_t *s = at(v, path);
	ck_assert_msg(json_is_integer(s), "%s is not an integer", path);
	return json_integer_value(s);
}

static bool array_has(json_t *a, const char *s)
{
	size_t i;
	json_t *e;
	ck_assert(json_is_array(a));
	json_array_foreach(a, i,
			   e) if (json_is_string(e) && strcmp(json_string_value(e), s) == 0) return true;
	return false;
}

/* The message object of frame with type name. */
static json_t *msg_json(json_t *doc, uint64_t frame, const char *type)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(doc, "messages"), i,
			   m) if ((uint64_t)json_integer_value(json_object_get(m, "frame")) == frame &&
				  strcmp(json_string_value(json_object_get(m, "type")), type) == 0) return m;
	ck_abort_msg("no %s in frame %llu", type, (unsigned long long)frame);
	return NULL;
}

/* No member anywhere is named like key material; returns members seen. */
static size_t no_key_material(json_t *v)
{
	static const char *const banned[] = { "key_bytes", "contents", "session_key", "keyvalue",
					      "key_value", "keydata",  "bytes_hex",   "secret" };
	size_t n = 0;
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x)
		{
			for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++)
				ck_assert_msg(strcmp(k, banned[i]) != 0, "member %s in the report", k);
			n += 1 + no_key_material(x);
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) n += no_key_material(x);
	}
	return n;
}

START_TEST(t_decrypted)
{
	char path[512];
	snprintf(path, sizeof path, "%s/deleg-works.pcap", KF_SAMPLES_DIR);
	struct kf_config cfg = { 0 };
	struct kf_result r;
	char err[256];
	ck_assert_int_eq(kf_analyze(path, &cfg, &r, err, sizeof err), KF_OK);

	/* without keys: neither member */
	char *plain = report(&r, true);
	ck_assert_ptr_null(strstr(plain, "\"decrypted\""));
	ck_assert_ptr_null(strstr(plain, "\"decryption\""));
	free(plain);

	uint64_t tq, apf;
	attach_decryption(&r, &tq, &apf);
	same_as_jansson(&r);

	char *ours = report(&r, false);
	json_t *doc = load(ours);

	/* top level: the contract's keys in order, "decryption" after "capture" */
	static const char *const order[] = { "krbflow",  "capture", "decryption",
					     "messages", "flows",   "findings" };
	size_t k = 0;
	for (void *it = json_object_iter(doc); it; it = json_object_iter_next(doc, it), k++) {
		ck_assert_uint_lt(k, 6);
		ck_assert_str_eq(json_object_iter_key(it), order[k]);
	}
	ck_assert_uint_eq(k, 6);

	json_t *dc = json_object_get(doc, "decryption");
	ck_assert_str_eq(str_at(dc, "keytabs.#0.file"), "front.keytab");
	ck_assert_int_eq(int_at(dc, "keytabs.#0.keys"), 4);
	ck_assert(json_is_true(at(dc, "keytabs.#0.others_can_read")));
	ck_assert_int_eq(int_at(dc, "opened"), 5);
	ck_assert_int_eq(int_at(dc, "failed"), 25);
	ck_assert_int_eq(int_at(dc, "by_status.wrong-key"), 24);
	ck_assert_int_eq(int_at(dc, "by_status.no-key"), 1);
	ck_assert_int_eq(int_at(dc, "by_status.undecodable"), 0);
	ck_assert_uint_eq(json_array_size(at(dc, "failures")), 22);
	ck_assert_int_eq(int_at(dc, "failures.#0.frame"), (long long)tq);
	ck_assert_str_eq(str_at(dc, "failures.#0.part"), "tgs-req ticket");
	ck_assert_str_eq(str_at(dc, "failures.#0.status"), "wrong-key");
	ck_assert_str_eq(str_at(dc, "failures.#0.reason"), "the keytab has kvno 1 only");
	ck_assert_int_eq(int_at(dc, "failures_dropped"), 3);

	/* AP-REQ: ticket opened with a keytab key */
	json_t *d = json_object_get(msg_json(doc, apf, "AP-REQ"), "decrypted");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(str_at(d, "ticket.status"), "decrypted");
	ck_assert_str_eq(str_at(d, "ticket.client"), "alice@LAB.TEST");
	ck_assert_str_eq(str_at(d, "ticket.server"), "HTTP/front.lab.test@LAB.TEST");
	ck_assert_str_eq(str_at(d, "ticket.key.origin"), "keytab");
	ck_assert_str_eq(str_at(d, "ticket.key.principal"), "HTTP/front.lab.test@LAB.TEST");
	ck_assert_int_eq(int_at(d, "ticket.key.kvno"), 2);
	ck_assert_str_eq(str_at(d, "ticket.key.keytab"), "front.keytab");
	ck_assert_str_eq(str_at(d, "ticket.key.etype.name"), "aes256-cts-hmac-sha1-96");
	ck_assert_ptr_null(at(d, "ticket.key.learnt_in"));
	ck_assert_ptr_null(at(d, "ticket.other_principal"));
	ck_assert_uint_eq(json_array_size(at(d, "ticket.flags")), 4);
	ck_assert_str_eq(str_at(d, "ticket.flags.#0"), "forwardable");
	ck_assert_str_eq(str_at(d, "ticket.flags.#3"), "ok-as-delegate");
	ck_assert_str_eq(str_at(d, "ticket.authtime"), "2026-11-21T04:56:40Z");
	ck_assert_ptr_null(at(d, "ticket.starttime"));
	ck_assert_ptr_null(at(d, "ticket.keytab_has"));
	ck_assert_int_eq(int_at(d, "ticket.session_etype.id"), 18);
	ck_assert(array_has(at(d, "ticket.pac.buffers"), "type-999"));
	ck_assert_str_eq(str_at(d, "ticket.pac.logon.user"), "alice");
	ck_assert_str_eq(str_at(d, "ticket.pac.logon.user_sid"), "S-1-5-21-1-2-3-1104");
	ck_assert_str_eq(str_at(d, "ticket.pac.logon.sids.#0"), "S-1-5-21-1-2-3-513");
	ck_assert_int_eq(int_at(d, "ticket.pac.logon.primary_group_rid"), 513);
	ck_assert_str_eq(str_at(d, "ticket.pac.client_info.name"), "alice");
	ck_assert_ptr_null(at(d, "ticket.pac.upn_dns"));
	ck_assert(json_is_true(at(d, "ticket.pac.complete")));
	ck_assert_str_eq(str_at(d, "authenticator.status"), "decrypted");
	ck_assert_str_eq(str_at(d, "authenticator.client"), "alice@LAB.TEST");
	ck_assert_str_eq(str_at(d, "authenticator.ctime"), "2026-11-21T04:58:20.000042Z");
	ck_assert_str_eq(str_at(d, "authenticator.key.origin"), "ticket");
	ck_assert_int_eq(int_at(d, "authenticator.key.learnt_in"), (long long)apf);
	ck_assert_ptr_null(at(d, "authenticator.key.principal"));
	ck_assert_ptr_null(at(d, "authenticator.key.kvno"));
	ck_assert(array_has(at(d, "authenticator.gss_flags"), "deleg"));
	ck_assert(array_has(at(d, "authenticator.gss_flags"), "mutual"));
	ck_assert(array_has(at(d, "authenticator.gss_flags"), "trans"));
	ck_assert(!array_has(at(d, "authenticator.gss_flags"), "conf"));
	ck_assert(json_is_true(at(d, "authenticator.delegation")));
	ck_assert_int_eq(int_at(d, "authenticator.seq"), 7);
	ck_assert_int_eq(int_at(d, "authenticator.checksum_type"), 0x8003);
	ck_assert_ptr_null(at(d, "authenticator.subkey_etype"));
	ck_assert_str_eq(str_at(d, "authenticator.krb_cred.status"), "decrypted");
	ck_assert_int_eq(int_at(d, "authenticator.krb_cred.tickets"), 1);
	ck_assert_str_eq(str_at(d, "authenticator.krb_cred.key.origin"), "authenticator-subkey");
	ck_assert_str_eq(str_at(d, "authenticator.krb_cred.forwarded.#0.server"), "krbtgt/LAB.TEST@LAB.TEST");
	ck_assert_str_eq(str_at(d, "authenticator.krb_cred.forwarded.#0.client"), "alice@LAB.TEST");
	ck_assert(array_has(at(d, "authenticator.krb_cred.forwarded.#0.flags"), "forwarded"));
	ck_assert_ptr_null(at(d, "fast"));

	/* TGS-REQ: wrong key, what the keytab has instead */
	d = json_object_get(msg_json(doc, tq, "TGS-REQ"), "decrypted");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(str_at(d, "ticket.status"), "wrong-key");
	ck_assert_int_eq(int_at(d, "ticket.kvno"), 2);
	ck_assert(json_is_false(at(d, "ticket.session_key_known")));
	ck_assert_int_eq(int_at(d, "ticket.keytab_has.#0.kvno"), 1);
	ck_assert_str_eq(str_at(d, "ticket.keytab_has.#0.etype.name"), "aes128-cts-hmac-sha1-96");
	ck_assert_ptr_null(at(d, "ticket.key"));
	ck_assert_ptr_null(at(d, "ticket.flags"));
	ck_assert_ptr_null(at(d, "ticket.client"));
	ck_assert_str_eq(str_at(d, "authenticator.status"), "no-key");
	ck_assert_ptr_null(at(d, "authenticator.key"));
	ck_assert(json_is_true(at(d, "fast")));

	/* TGS-REP: reply opened with a key learnt from the request */
	d = json_object_get(msg_json(doc, nth(&r, KF_KRB_TGS_REP, 0)->frame, "TGS-REP"), "decrypted");
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_null(at(d, "ticket"));
	ck_assert_str_eq(str_at(d, "enc_part.status"), "decrypted");
	ck_assert_str_eq(str_at(d, "enc_part.server"), "HTTP/front.lab.test@LAB.TEST");
	ck_assert_str_eq(str_at(d, "enc_part.key.origin"), "authenticator-subkey");
	ck_assert_int_eq(int_at(d, "enc_part.key.learnt_in"), (long long)tq);
	ck_assert_int_eq(int_at(d, "enc_part.nonce"), 12345);
	ck_assert_ptr_null(at(d, "enc_part.key_expiration"));
	ck_assert_str_eq(str_at(d, "enc_part.session_etype.name"), "aes128-cts-hmac-sha1-96");
	ck_assert(array_has(at(d, "enc_part.flags"), "renewable"));

	/* AP-REP */
	d = json_object_get(msg_json(doc, nth(&r, KF_KRB_AP_REP, 0)->frame, "AP-REP"), "decrypted");
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(str_at(d, "ap_rep.status"), "decrypted");
	ck_assert_int_eq(int_at(d, "ap_rep.seq"), 99);
	ck_assert_int_eq(int_at(d, "ap_rep.subkey_etype.id"), 18);

	/* messages without a record have no member */
	ck_assert_ptr_null(
		json_object_get(msg_json(doc, nth(&r, KF_KRB_AS_REP, 0)->frame, "AS-REP"), "decrypted"));

	ck_assert_uint_gt(no_key_material(doc), 100);
	json_decref(doc);
	free(ours);
	kf_result_free(&r);
}
END_TEST

/* The text report: the account after the findings, a line or two under messages. */
START_TEST(t_decrypted_text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/deleg-works.pcap", KF_SAMPLES_DIR);
	struct kf_config cfg = { 0 };
	struct kf_result r;
	char err[256];
	ck_assert_int_eq(kf_analyze(path, &cfg, &r, err, sizeof err), KF_OK);
	uint64_t tq, apf;
	attach_decryption(&r, &tq, &apf);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(kf_report_text(&r, f), 0);
	fclose(f);
	char line[128];
	const char *acc =
		strstr(buf, "\nDecryption: 5 encrypted parts opened, 25 not (1 no-key, 24 wrong-key)\n");
	ck_assert_msg(acc != NULL, "%s", buf);
	const char *fi = strstr(buf, "\nFindings:"), *am = strstr(buf, "\nAuthentication messages:");
	ck_assert(fi && am && fi < acc && acc < am);
	ck_assert_ptr_nonnull(strstr(buf, "\n  keytab front.keytab: 4 keys (readable by others!)\n"));
	snprintf(line, sizeof line,
		 "\n  frame %llu  tgs-req ticket: wrong-key — the keytab has kvno 1 only\n",
		 (unsigned long long)tq);
	ck_assert_ptr_nonnull(strstr(buf, line));
	ck_assert_ptr_nonnull(strstr(buf, "\n  frame 1019  ticket: wrong-key — wrong\n"));
	ck_assert_ptr_null(strstr(buf, "frame 1020 "));
	ck_assert_ptr_nonnull(strstr(buf, "\n  … and 5 more\n"));
	const char *ap = strstr(
		buf, "\n          decrypted: client alice@LAB.TEST; ticket forwardable, renewable, "
		     "pre-authent, ok-as-delegate; PAC LAB\\alice; GSS deleg mutual trans; forwarded TGT "
		     "krbtgt/LAB.TEST@LAB.TEST (forwardable, forwarded)\n");
	ck_assert_msg(ap != NULL, "%s", buf);
	ck_assert_ptr_nonnull(
		strstr(buf, "\n          not decrypted: ticket wrong-key (FAST-armoured; see Decryption)\n"));
	ck_assert_ptr_nonnull(
		strstr(buf, "\n          decrypted: reply for HTTP/front.lab.test@LAB.TEST: forwardable, "
			    "renewable, ends 2026-11-21T14:56:40Z, session key aes128-cts-hmac-sha1-96\n"));
	ck_assert_ptr_nonnull(
		strstr(buf, "\n          decrypted: AP-REP subkey aes256-cts-hmac-sha1-96 seq 99\n"));
	ck_assert_ptr_null(strstr(buf, "authenticator no-key")); /* the closed ticket explains it */
	free(buf);
	kf_result_free(&r);
}
END_TEST

/* Memory running out at any allocation of the report: -1 with ENOMEM, and
 * nothing left allocated (the sanitizer and valgrind runs check that). */
START_TEST(t_out_of_memory)
{
	struct kf_config cfg = { 0 };
	struct kf_result r;
	char err[256];
	ck_assert_int_eq(kf_analyze(KF_SAMPLES_DIR "/deleg-works.pcap", &cfg, &r, err, sizeof err), KF_OK);
	char *full = report(&r, false);
	int rc = -1;
	unsigned long n;
	for (n = 1; n < 64 && rc != 0; n++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		ck_assert_ptr_nonnull(f);
		errno = 0;
		kf_alloc_fail_after(n);
		rc = kf_report_json(&r, f, false);
		kf_alloc_fail_after(0);
		fclose(f);
		if (rc)
			ck_assert_int_eq(errno, ENOMEM);
		else
			ck_assert_str_eq(buf, full);
		free(buf);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_gt(n, 2); /* at least one allocation did fail */
	free(full);
	kf_result_free(&r);
}
END_TEST

/* Two documents written at once, member by member: each writer keeps its
 * own state (buffer, arena, where it is in the document). */
START_TEST(t_two_writers)
{
	char *a_buf = NULL, *b_buf = NULL;
	size_t a_len = 0, b_len = 0;
	FILE *fa = open_memstream(&a_buf, &a_len), *fb = open_memstream(&b_buf, &b_len);
	ck_assert(fa && fb);
	struct kf_json_writer *a = malloc(sizeof *a), *b = malloc(sizeof *b);
	ck_assert(a && b);
	kf_json_open(a, fa, true);
	kf_json_open(b, fb, false);
	struct kf_json_value *o = kf_json_object(a);
	kf_json_set(a, o, "z", kf_json_int(a, -12));
	struct kf_json_value *p = kf_json_object(b);
	kf_json_set(b, p, "s", kf_json_str(b, "\"q\""));
	kf_json_set(a, o, "a", kf_json_bool(a, true));
	kf_json_member(b, "first", p);
	kf_json_member(a, "one", o);
	kf_json_array_open(b, "list");
	kf_json_array_open(a, "list");
	kf_json_element(a, kf_json_null(a));
	kf_json_element(b, kf_json_int(b, 7));
	kf_json_element(a, kf_json_str(a, "x"));
	kf_json_array_close(b);
	kf_json_array_close(a);
	ck_assert_int_eq(kf_json_close(b), 0);
	ck_assert_int_eq(kf_json_close(a), 0);
	fclose(fa);
	fclose(fb);
	ck_assert_str_eq(a_buf, "{\"one\":{\"a\":true,\"z\":-12},\"list\":[null,\"x\"]}\n");
	ck_assert_str_eq(b_buf,
			 "{\n  \"first\": {\n    \"s\": \"\\\"q\\\"\"\n  },\n  \"list\": [\n    7\n  ]\n}\n");
	free(a);
	free(b);
	free(a_buf);
	free(b_buf);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("report_json");
	TCase *tc = tcase_create("serializer");
	tcase_add_loop_test(tc, t_samples, 0, (int)(sizeof samples / sizeof samples[0]));
	tcase_add_test(tc, t_escapes);
	tcase_add_test(tc, t_decrypted);
	tcase_add_test(tc, t_decrypted_text);
	tcase_add_test(tc, t_out_of_memory);
	tcase_add_test(tc, t_two_writers);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
