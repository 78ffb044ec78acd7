/* check_decrypt.c - keytab decryption (decoders/krb5_decrypt.h, analyzer/decrypt.h):
 * reading keytabs (and refusing what is not one), each decryption step on
 * the lab's delegation sample with its test-only keytab (ticket, authenticator,
 * GSS checksum, KRB-CRED, AP-REP, learnt keys), and the same messages with a
 * wrong key, a stale key version, no key, and corrupted ciphertext.
 *
 * Keytabs other than the shipped ones are written by the test (a small
 * writer of the MIT keytab format, version 0x0502) into a private directory.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "analyzer.h"
#include "decrypt.h"
#include "krb5.h"
#include "krb5_decrypt.h"
#include "rules.h"
#include "testutil.h"

static char g_dir[64];

static const char *tmp_path(const char *name)
{
	static char path[4][256];
	static unsigned k;
	char *p = path[k++ % 4];
	snprintf(p, 256, "%s/%s", g_dir, name);
	return p;
}

#define SERVICES_KEYTAB KF_SAMPLES_DIR "/keys/lab-services.keytab"
#define KDC_KEYTAB KF_SAMPLES_DIR "/keys/lab-kdc.keytab"

/* ---- a keytab writer ---------------------------------------------------- */

struct kt {
	uint8_t b[4096];
	size_t n;
};

static void put16(struct kt *k, unsigned v)
{
	k->b[k->n++] = (uint8_t)(v >> 8);
	k->b[k->n++] = (uint8_t)v;
}

static void put32(struct kt *k, uint32_t v)
{
	put16(k, v >> 16);
	put16(k, v & 0xffff);
}

static void put_counted(struct kt *k, const void *p, size_t n)
{
	put16(k, (unsigned)n);
	memcpy(k->b + k->n, p, n);
	k->n += n;
}

/* One entry: principal "a/b@REALM", kvno, etype, key bytes. */
static void kt_entry(struct kt *k, const char *realm, const char *c1, const char *c2, uint32_t kvno,
		     int etype, const uint8_t *key, size_t keylen)
{
	size_t at = k->n;
	put32(k, 0); /* size, filled below */
	put16(k, c2 ? 2 : 1);
	put_counted(k, realm, strlen(realm));
	put_counted(k, c1, strlen(c1));
	if (c2)
		put_counted(k, c2, strlen(c2));
	put32(k, 1);          /* KRB5_NT_PRINCIPAL */
	put32(k, 1700000000); /* timestamp */
	k->b[k->n++] = (uint8_t)kvno;
	put16(k, (unsigned)etype);
	put_counted(k, key, keylen);
	put32(k, kvno);
	uint32_t size = (uint32_t)(k->n - at - 4);
	k->b[at] = (uint8_t)(size >> 24);
	k->b[at + 1] = (uint8_t)(size >> 16);
	k->b[at + 2] = (uint8_t)(size >> 8);
	k->b[at + 3] = (uint8_t)size;
}

static const char *kt_write(const char *name, const struct kt *k)
{
	const char *path = tmp_path(name);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(k->b, 1, k->n, f), k->n);
	fclose(f);
	return path;
}

static struct kt kt_new(void)
{
	struct kt k = { .n = 0 };
	put16(&k, 0x0502);
	return k;
}

/* ---- keytab reading ----------------------------------------------------- */

START_TEST(t_keytab_errors)
{
	struct kf_keyring *kr = kf_keyring_new();
	ck_assert_ptr_nonnull(kr);
	char err[512];
	ck_assert_int_eq(kf_keyring_add_keytab(kr, tmp_path("missing.keytab"), err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "cannot open keytab"));

	struct kt k = { .n = 0 };
	memcpy(k.b, "\xd4\xc3\xb2\xa1 not a keytab", 18);
	k.n = 18;
	ck_assert_int_eq(kf_keyring_add_keytab(kr, kt_write("pcap.keytab", &k), err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "is not a keytab"));

	/* two good entries (a cut entry is not tested: libkrb5 leaks what it read
	 * of it, which a sanitizer build reports) */
	uint8_t key[32];
	memset(key, 0x41, sizeof key);
	k = kt_new();
	kt_entry(&k, "LAB.TEST", "HTTP", "a.lab.test", 3, 18, key, 32);
	kt_entry(&k, "LAB.TEST", "HTTP", "b.lab.test", 3, 18, key, 32);
	size_t good = k.n;
	/* a keytab with no entry at all: nothing readable, an error */
	struct kf_keyring *kr2 = kf_keyring_new();
	struct kt none = kt_new();
	ck_assert_int_eq(kf_keyring_add_keytab(kr2, kt_write("empty.keytab", &none), err, sizeof err), -1);
	ck_assert_ptr_nonnull(strstr(err, "no readable key"));
	kf_keyring_free(kr2);
	kf_keyring_free(kr);
	kr = kf_keyring_new();

	k.n = good;
	ck_assert_int_eq(kf_keyring_add_keytab(kr, kt_write("good.keytab", &k), err, sizeof err), 2);
	ck_assert_uint_eq(kf_keyring_keytab_keys(kr), 2);
	struct kf_key_info ki;
	ck_assert(kf_keyring_key_info(kr, 2, &ki));
	ck_assert_str_eq(ki.principal, "HTTP/b.lab.test@LAB.TEST");
	ck_assert_uint_eq(ki.kvno, 3);
	ck_assert_int_eq(ki.etype, 18);
	ck_assert_int_eq(ki.origin, KF_KEY_KEYTAB);
	ck_assert(!kf_keyring_key_info(kr, 3, &ki));
	ck_assert(!kf_keyring_key_info(kr, 0, &ki));
	struct kf_keytab_view v;
	kf_keyring_principal_keys(kr, "http/A.LAB.TEST@lab.test", &v); /* case-insensitive */
	ck_assert_uint_eq(v.n, 1);
	ck_assert_uint_eq(v.kvno[0], 3);
	uint32_t nkeys;
	ck_assert_str_eq(kf_keyring_keytab(kr, 0, &nkeys), tmp_path("good.keytab"));
	ck_assert_uint_eq(nkeys, 2);
	/* "FILE:" residual accepted, other types refused as files */
	char name[300];
	snprintf(name, sizeof name, "FILE:%s", tmp_path("good.keytab"));
	ck_assert_int_eq(kf_keyring_add_keytab(kr, name, err, sizeof err), 2);
	ck_assert_int_eq(kf_keyring_add_keytab(kr, "MEMORY:x", err, sizeof err), -1);
	kf_keyring_free(kr);
}
END_TEST

START_TEST(t_keytab_mode)
{
	struct kt k = kt_new();
	const char *p = kt_write("mode.keytab", &k);
	ck_assert_int_eq(chmod(p, 0600), 0);
	ck_assert(!kf_keytab_others_can_read(p));
	ck_assert_int_eq(chmod(p, 0640), 0);
	ck_assert(kf_keytab_others_can_read(p));
	ck_assert_int_eq(chmod(p, 0604), 0);
	ck_assert(kf_keytab_others_can_read(p));
}
END_TEST

/* ---- decryption on the lab's samples ------------------------------------ */

static void analyze_with(const char *sample, const char *const *keytabs, size_t n, struct kf_result *res)
{
	struct kf_config cfg = { 0 };
	cfg.keys = kf_keyring_new();
	ck_assert_ptr_nonnull(cfg.keys);
	char err[512];
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(kf_keyring_add_keytab(cfg.keys, keytabs[i], err, sizeof err) > 0, "%s", err);
	char path[512];
	snprintf(path, sizeof path, "%s/%s", KF_SAMPLES_DIR, sample);
	ck_assert_int_eq(kf_analyze(path, &cfg, res, err, sizeof err), KF_OK);
	kf_keyring_free(cfg.keys);
}

static const struct kf_message *msg_at(const struct kf_result *r, uint64_t frame, int type)
{
	const struct kf_message *m = kf_result_message_at(r, frame, type);
	ck_assert_msg(m != NULL, "no message of type %d in frame %llu", type, (unsigned long long)frame);
	return m;
}

/* deleg-works with the services' keytab: the front end's AP-REQ (frame 13)
 * opens with HTTP/front's key, its authenticator with the session key, the
 * GSS checksum carries the delegation flag and a KRB-CRED with alice's
 * forwarded TGT; its AP-REP (36, where the response body ends) opens with the same session key; the front
 * end's TGS-REQ (21) presents that forwarded TGT, whose session key the
 * KRB-CRED revealed (a learnt key). */
START_TEST(t_deleg_works_chain)
{
	const char *kt[] = { SERVICES_KEYTAB };
	struct kf_result res;
	analyze_with("deleg-works.pcap", kt, 1, &res);
	const struct kf_message *ap = msg_at(&res, 13, KF_KRB_AP_REQ);
	ck_assert_ptr_nonnull(ap->dec);
	const struct kf_dec_ticket *t = ap->dec->ticket;
	ck_assert_int_eq(t->status, KF_OPEN_OK);
	ck_assert_str_eq(t->cname, "alice");
	ck_assert_str_eq(t->crealm, "LAB.TEST");
	ck_assert_str_eq(t->key.principal, "HTTP/front.lab.test@LAB.TEST");
	ck_assert_int_eq(t->key.origin, KF_KEY_KEYTAB);
	ck_assert(!t->other_principal);
	ck_assert(t->flags & KF_TKT_FLAG(KF_TKT_OK_AS_DELEGATE));
	ck_assert(t->flags & KF_TKT_FLAG(KF_TKT_FORWARDABLE));
	const struct kf_dec_auth *a = ap->dec->auth;
	ck_assert_int_eq(a->status, KF_OPEN_OK);
	ck_assert_str_eq(a->cname, "alice");
	ck_assert(a->gss && (a->gss_flags & KF_GSS_DELEG) && (a->gss_flags & KF_GSS_MUTUAL));
	ck_assert(a->has_deleg);
	ck_assert_int_eq(a->cred->status, KF_OPEN_OK);
	ck_assert_uint_eq(a->cred->n_info, 1);
	ck_assert_str_eq(a->cred->info[0].sname, "krbtgt/LAB.TEST");
	ck_assert_str_eq(a->cred->info[0].pname, "alice");
	ck_assert(a->cred->info[0].flags & KF_TKT_FLAG(KF_TKT_FORWARDED));

	const struct kf_message *rep = msg_at(&res, 36, KF_KRB_AP_REP);
	ck_assert_int_eq(rep->dec->ap_rep->status, KF_OPEN_OK);

	const struct kf_message *tgs = msg_at(&res, 21, KF_KRB_TGS_REQ);
	ck_assert_int_eq(tgs->dec->ticket->status, KF_OPEN_NO_KEY); /* no krbtgt key */
	ck_assert(tgs->dec->ticket->session_key_known);
	ck_assert_int_eq(tgs->dec->auth->status, KF_OPEN_OK);
	ck_assert_str_eq(tgs->dec->auth->cname, "alice");
	ck_assert_int_eq(tgs->dec->auth->key.origin, KF_KEY_CRED);
	ck_assert_uint_eq(tgs->dec->auth->key.frame, 13);

	ck_assert_ptr_nonnull(res.decryption);
	ck_assert_uint_eq(res.decryption->n_keytabs, 1);
	ck_assert_uint_gt(res.decryption->opened, 5);
	kf_result_free(&res);
}
END_TEST

/* Without keys nothing is kept or opened. */
START_TEST(t_no_keys)
{
	struct kf_config cfg = { 0 };
	struct kf_result res;
	char err[256];
	ck_assert_int_eq(kf_analyze(KF_SAMPLES_DIR "/deleg-works.pcap", &cfg, &res, err, sizeof err), KF_OK);
	ck_assert_ptr_null(res.decryption);
	for (size_t i = 0; i < res.n_messages; i++) {
		ck_assert_ptr_null(res.messages[i].dec);
		ck_assert_ptr_null(res.messages[i].raw);
	}
	kf_result_free(&res);
}
END_TEST

/* A keytab whose HTTP/front key (right principal, kvno, etype) is another
 * key: the ticket fails the integrity check (wrong-key), the authenticator
 * stays closed; a keytab with only kvno 1 of it: no-key, "stale". */
START_TEST(t_wrong_and_stale_key)
{
	uint8_t key[32];
	memset(key, 0x5a, sizeof key);
	struct kt k = kt_new();
	kt_entry(&k, "LAB.TEST", "HTTP", "front.lab.test", 2, 18, key, 32);
	const char *kt1[] = { kt_write("wrong.keytab", &k) };
	struct kf_result res;
	analyze_with("deleg-works.pcap", kt1, 1, &res);
	const struct kf_message *ap = msg_at(&res, 13, KF_KRB_AP_REQ);
	ck_assert_int_eq(ap->dec->ticket->status, KF_OPEN_WRONG_KEY);
	ck_assert_ptr_nonnull(strstr(ap->dec->ticket->why, "integrity"));
	ck_assert_int_eq(ap->dec->auth->status, KF_OPEN_NO_KEY);
	ck_assert_uint_eq(res.decryption->opened, 0);
	kf_result_free(&res);

	k = kt_new();
	kt_entry(&k, "LAB.TEST", "HTTP", "front.lab.test", 1, 18, key, 32);
	const char *kt2[] = { kt_write("stale.keytab", &k) };
	analyze_with("deleg-works.pcap", kt2, 1, &res);
	ap = msg_at(&res, 13, KF_KRB_AP_REQ);
	ck_assert_int_eq(ap->dec->ticket->status, KF_OPEN_NO_KEY);
	ck_assert_ptr_nonnull(strstr(ap->dec->ticket->why, "kvno 1 only"));
	ck_assert_uint_eq(ap->dec->ticket->n_keytab, 1);
	ck_assert_uint_eq(ap->dec->ticket->keytab_kvnos[0], 1);
	kf_result_free(&res);
}
END_TEST

/* Corrupted ciphertext, straight through the decoder: the AP-REQ's last
 * byte is the authenticator's, so the ticket still opens and the
 * authenticator fails its integrity check; a message cut short decodes to
 * nothing. */
START_TEST(t_corrupted)
{
	const char *kt[] = { SERVICES_KEYTAB };
	struct kf_result res;
	analyze_with("deleg-works.pcap", kt, 1, &res);
	const struct kf_message *ap = msg_at(&res, 13, KF_KRB_AP_REQ);
	ck_assert_ptr_nonnull(ap->raw);
	uint8_t *copy = malloc(ap->raw_len);
	memcpy(copy, ap->raw, ap->raw_len);
	struct kf_keyring *kr = kf_keyring_new();
	char err[256];
	ck_assert_int_gt(kf_keyring_add_keytab(kr, SERVICES_KEYTAB, err, sizeof err), 0);
	struct kf_plain *pl = malloc(sizeof *pl);
	struct kf_events ev = { 0 };
	ck_assert(kf_krb5_open(kr, kf_span_make(copy, ap->raw_len), KF_KRB_AP_REQ, NULL, 13, pl, &ev));
	ck_assert_int_eq(pl->ticket.status, KF_OPEN_OK);
	ck_assert_int_eq(pl->auth.status, KF_OPEN_OK);
	copy[ap->raw_len - 1] ^= 0x01;
	ck_assert(kf_krb5_open(kr, kf_span_make(copy, ap->raw_len), KF_KRB_AP_REQ, NULL, 13, pl, &ev));
	ck_assert_int_eq(pl->ticket.status, KF_OPEN_OK);
	ck_assert_int_eq(pl->auth.status, KF_OPEN_WRONG_KEY);
	ck_assert(!kf_krb5_open(kr, kf_span_make(copy, ap->raw_len / 2), KF_KRB_AP_REQ, NULL, 13, pl, &ev));
	ck_assert(!kf_krb5_open(kr, kf_span_make(copy, ap->raw_len), KF_KRB_AS_REQ, NULL, 13, pl, &ev));
	free(pl);
	free(copy);
	kf_keyring_free(kr);
	kf_result_free(&res);
}
END_TEST

/* web-wrong-key-kvno with the web server's own keytab: the ticket (kvno 2)
 * finds only kvno 1, and ap-err-modified names the stale keytab (cause
 * stale-kvno); web-wrong-key-integrity: the keytab's key of the ticket's
 * kvno fails (same-kvno-other-key, where the capture alone is undetermined). */
START_TEST(t_stale_keytab_finding)
{
	static const struct {
		const char *sample, *cause, *said;
	} cases[] = {
		{ "web-wrong-key-kvno.pcap", "stale-kvno", "stale keytab: it has kvno 1, the ticket kvno 2" },
		{ "web-wrong-key-integrity.pcap", "same-kvno-other-key", NULL },
	};
	const char *kt[] = { SERVICES_KEYTAB };
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct kf_result res;
		analyze_with(cases[c].sample, kt, 1, &res);
		bool found = false;
		for (size_t i = 0; i < res.n_findings; i++) {
			const struct kf_finding *f = &res.findings[i];
			if (strcmp(f->rule, "ap-err-modified") != 0)
				continue;
			found = true;
			ck_assert_str_eq(f->cause, cases[c].cause);
			/* wording: the kvnos of the keytab and of the ticket, read from both */
			if (cases[c].said)
				ck_assert_ptr_nonnull(strstr(f->summary, cases[c].said));
		}
		ck_assert(found);
		kf_result_free(&res);
	}
}
END_TEST

/* deleg-not-forwarded: the decrypted AP-REQ has no delegation flag, so
 * missing-forwarded-tgt is certain (the client did not delegate), on the
 * AP-REQ, the front end's answer and its own back-end exchange. */
START_TEST(t_not_forwarded_certain)
{
	const char *kt[] = { SERVICES_KEYTAB };
	struct kf_result res;
	analyze_with("deleg-not-forwarded.pcap", kt, 1, &res);
	bool found = false;
	for (size_t i = 0; i < res.n_findings; i++) {
		const struct kf_finding *f = &res.findings[i];
		if (strcmp(f->rule, "missing-forwarded-tgt") != 0)
			continue;
		found = true;
		ck_assert_str_eq(f->cause, "client-did-not-delegate");
		ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
		ck_assert_uint_eq(f->subject.n[KF_SUBJECT_USER], 1);
		ck_assert_str_eq(f->subject.v[KF_SUBJECT_USER][0], "alice@LAB.TEST");
		/* the decrypted AP-REQ decided: its authenticator, opened, has no delegation;
		 * 25 and 27 are where the front end presented its own ticket to the back end */
		static const uint64_t frames[] = { 10, 23, 24, 25, 27, 36 };
		ck_assert_uint_eq(f->n_frames, 6);
		for (size_t k = 0; k < 6; k++)
			ck_assert_uint_eq(f->frames[k], frames[k]);
		const struct kf_message *ap = msg_at(&res, 10, KF_KRB_AP_REQ);
		ck_assert_ptr_nonnull(ap->dec);
		ck_assert_ptr_nonnull(ap->dec->auth);
		ck_assert_int_eq(ap->dec->auth->status, KF_OPEN_OK);
		ck_assert(ap->dec->auth->gss);
		ck_assert(!ap->dec->auth->has_deleg);
		ck_assert_uint_eq(ap->dec->auth->gss_flags & KF_GSS_DELEG, 0);
	}
	ck_assert(found);
	kf_result_free(&res);
}
END_TEST

static void suite_samples(TCase *tc)
{
	tcase_add_test(tc, t_deleg_works_chain);
	tcase_add_test(tc, t_no_keys);
	tcase_add_test(tc, t_wrong_and_stale_key);
	tcase_add_test(tc, t_corrupted);
	tcase_add_test(tc, t_stale_keytab_finding);
	tcase_add_test(tc, t_not_forwarded_certain);
}

static Suite *suite(void)
{
	Suite *s = suite_create("decrypt");
	TCase *tc = tcase_create("keytab");
	tcase_add_test(tc, t_keytab_errors);
	tcase_add_test(tc, t_keytab_mode);
	suite_add_tcase(s, tc);
	tc = tcase_create("samples");
	suite_samples(tc);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run_in_dir(suite, "decrypt", g_dir, sizeof g_dir); }
