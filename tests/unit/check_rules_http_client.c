/* check_rules_http_client.c - the HTTP client rules (rules_http_client.c)
 * on fact lists: scheme-mismatch and loopback-auth, each cause, the near
 * misses that must stay silent, and what they take from ntlm-fallback. */
#include <check.h>
#include <string.h>

#include "base/arena.h"
#include "gss.h"
#include "rulefix.h"
#include "testutil.h"

#define C "10.0.0.10:40000"
#define KDC "10.0.0.2:88"
#define WEB "10.0.0.20:80"
#define SELF "10.0.0.20:40000" /* the web host as a client of itself */
#define PROXY "10.0.0.24:8080"

static struct kf_http_rec *get(struct kf_result *r, uint64_t f, uint32_t conn, const char *src,
			       const char *dst, const char *host, const char *scheme)
{
	struct kf_http_rec *h = fx_http_rec(r, fx_http(r, f, KF_MSG_HTTP_REQUEST, conn, src, dst));
	h->method = "GET";
	h->uri = "/";
	h->host = host;
	h->auth_scheme = scheme;
	h->token_bytes = scheme ? 40 : 0;
	h->header_bytes = 120;
	return h;
}

static struct kf_ntlm_rec *ntlm_tok(struct kf_result *r, uint64_t f, int type, uint32_t conn, const char *src,
				    const char *dst, bool wrapped)
{
	struct kf_message *m = fx_http(r, f, type, conn, src, dst);
	m->ntlm = kf_arena_zalloc(&r->arena, sizeof *m->ntlm);
	if (wrapped)
		m->spnego = kf_arena_zalloc(&r->arena, sizeof *m->spnego);
	return m->ntlm;
}

/* NTLM from cli to srv on conn: NEGOTIATE at f → 401 CHALLENGE at f+1 →
 * AUTHENTICATE (LAB\alice from workstation ws) at f+2 → final at f+3.
 * wrapped: inside SPNEGO under "Negotiate", else "NTLM". */
static void ntlm_legs(struct kf_result *r, uint64_t f, uint32_t conn, const char *cli, const char *srv,
		      const char *host, bool wrapped, const char *ws, int final)
{
	const char *scheme = wrapped ? "Negotiate" : "NTLM";
	ntlm_tok(r, f, KF_MSG_NTLM_NEGOTIATE, conn, cli, srv, wrapped);
	get(r, f, conn, cli, srv, host, scheme);
	ntlm_tok(r, f + 1, KF_MSG_NTLM_CHALLENGE, conn, srv, cli, wrapped);
	fx_link(r, f, KF_MSG_NTLM_NEGOTIATE, f + 1, KF_MSG_NTLM_CHALLENGE);
	fx_http_resp(r, f + 1, conn, srv, cli, 401, scheme, NULL, f);
	struct kf_ntlm_rec *a = ntlm_tok(r, f + 2, KF_MSG_NTLM_AUTHENTICATE, conn, cli, srv, wrapped);
	a->domain = "LAB";
	a->user = "alice";
	a->workstation = ws;
	get(r, f + 2, conn, cli, srv, host, scheme);
	fx_http_resp(r, f + 3, conn, srv, cli, final, final == 401 ? scheme : NULL, NULL, f + 2);
}

/* ---- scheme-mismatch -------------------------------------------------------- */

/* curl --ntlm to a Negotiate-only site: the NTLM NEGOTIATE goes first, the
 * 401 answering it offers only Negotiate. ntlm-fallback's finding on the
 * same frames is taken: this NTLM is no fallback. */
START_TEST(t_mismatch_ntlm_preemptive)
{
	struct kf_result *r = fx_new();
	ntlm_tok(r, 4, KF_MSG_NTLM_NEGOTIATE, 1, C, WEB, false);
	get(r, 4, 1, C, WEB, "web.lab.test", "NTLM");
	fx_http_resp(r, 6, 1, WEB, C, 401, "Negotiate", NULL, 4);
	fx_finish(r);
	fx_run_all(r);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "scheme-mismatch",
								     .cause = "ntlm-not-offered",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "4,6",
								     .client = "10.0.0.10",
								     .server = "10.0.0.20:80" });
	ck_assert(contains(f->summary, "Authorization: NTLM"));
	ck_assert(contains(f->summary, "offered Negotiate"));
	ck_assert(contains(f->remediation, "--negotiate -u :"));
	ck_assert(contains(f->remediation, "NTAuthenticationProviders"));
	ck_assert(contains(f->remediation, "trusted-uris = web.lab.test"));
	ck_assert_uint_eq(fx_count(r, "ntlm-fallback", 0), 0);
	ck_assert_uint_eq(r->n_findings, 1);
	fx_free(r);
}
END_TEST

/* Basic after a challenge offering only Negotiate: the challenge it
 * ignored, the request and its refusal; a second such request on another
 * connection joins the same finding. */
START_TEST(t_mismatch_basic_after_challenge)
{
	struct kf_result *r = fx_new();
	get(r, 4, 1, C, WEB, "web.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, C, 401, "Negotiate", NULL, 4);
	get(r, 6, 1, C, WEB, "web.lab.test", "Basic");
	fx_http_resp(r, 7, 1, WEB, C, 401, "Negotiate", NULL, 6);
	get(r, 10, 2, "10.0.0.10:40001", WEB, "web.lab.test", "Basic");
	fx_http_resp(r, 11, 2, WEB, "10.0.0.10:40001", 401, "Negotiate", NULL, 10);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "scheme-mismatch", KF_SEV_ERROR), 1);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "scheme-mismatch",
								     .cause = "basic-not-offered",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "5,6,7,10,11" });
	ck_assert(contains(f->explanation, "offered Negotiate (frame 5)"));
	ck_assert(contains(f->explanation, "2 times"));
	ck_assert(contains(f->remediation, "GssapiBasicAuth"));
	/* the two refusals of credentials are this finding's, not an auth loop
	 * (which, alone, reports them) */
	ck_assert_uint_eq(fx_count(r, "auth-loop", 0), 0);
	fx_run(r, "auth-loop");
	ck_assert_uint_eq(fx_count(r, "auth-loop", 0), 1);
	fx_free(r);
}
END_TEST

/* Negotiate to a site offering only NTLM, and a scheme krbflow has no
 * cause of its own for (the offer is listed in the summary). */
START_TEST(t_mismatch_negotiate_and_other)
{
	struct kf_result *r = fx_new();
	get(r, 4, 1, C, WEB, "web.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, C, 401, "NTLM", NULL, 4);
	get(r, 6, 1, C, WEB, "web.lab.test", "Negotiate");
	fx_http_resp(r, 7, 1, WEB, C, 401, "NTLM", NULL, 6);
	fx_finish(r);
	fx_run(r, "scheme-mismatch");
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "scheme-mismatch",
								     .cause = "negotiate-not-offered",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "5,6,7" });
	ck_assert(contains(f->remediation, "HTTP/web.lab.test SPN"));
	fx_free(r);

	r = fx_new();
	get(r, 4, 1, C, WEB, "web.lab.test", "Digest");
	fx_http_resp(r, 5, 1, WEB, C, 401, "Negotiate", "NTLM", 4);
	fx_finish(r);
	fx_run(r, "scheme-mismatch");
	f = fx_expect(r, &(struct fx_want){ .rule = "scheme-mismatch",
					    .cause = "scheme-not-offered",
					    .sev = KF_SEV_ERROR,
					    .conf = KF_CONF_CERTAIN,
					    .frames = "4,5" });
	ck_assert(contains(f->summary, "offered Negotiate, NTLM"));
	fx_free(r);
}
END_TEST

/* Basic to a forward proxy that offered Negotiate in its 407: the proxy is
 * named as such, the header is Proxy-Authorization, no IIS substatus. */
START_TEST(t_mismatch_proxy)
{
	struct kf_result *r = fx_new();
	get(r, 4, 1, C, PROXY, "app.lab.test", NULL)->uri = "http://app.lab.test/";
	fx_http_resp(r, 5, 1, PROXY, C, 407, "Negotiate", NULL, 4)->proxy = true;
	struct kf_http_rec *q = get(r, 6, 1, C, PROXY, "app.lab.test", "Basic");
	q->uri = "http://app.lab.test/";
	q->proxy = true;
	fx_http_resp(r, 7, 1, PROXY, C, 407, "Negotiate", NULL, 6)->proxy = true;
	fx_finish(r);
	fx_run(r, "scheme-mismatch");
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "scheme-mismatch",
								     .cause = "basic-not-offered",
								     .sev = KF_SEV_ERROR,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "5,6,7",
								     .server = "10.0.0.24:8080" });
	ck_assert(contains(f->summary, "Proxy-Authorization: Basic to the proxy 10.0.0.24:8080 (10.0.0.24)"));
	ck_assert(contains(f->explanation, "The forward proxy at 10.0.0.24:8080"));
	ck_assert(!contains(f->explanation, "401.2"));
	fx_free(r);
}
END_TEST

/* Silent: the client answers an offered scheme (any case); NTLM where
 * Negotiate and NTLM were offered; a scheme not offered that the server
 * accepted anyway; a request with no answer; Proxy-Authorization judged
 * by the proxy's 407, not by the origin's 401. */
START_TEST(t_mismatch_near_misses)
{
	struct kf_result *r = fx_new();
	get(r, 4, 1, C, WEB, "web.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, C, 401, "Negotiate", NULL, 4);
	get(r, 6, 1, C, WEB, "web.lab.test", "negotiate");
	fx_http_resp(r, 7, 1, WEB, C, 200, "Negotiate", NULL, 6);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "scheme-mismatch", 0), 0);
	fx_free(r);

	r = fx_new();
	get(r, 4, 1, C, WEB, "web2.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, C, 401, "Negotiate", "NTLM", 4);
	ntlm_legs(r, 6, 1, C, WEB, "web2.lab.test", false, "CLIENT", 200);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "scheme-mismatch", 0), 0);
	ck_assert_uint_eq(fx_count(r, "ntlm-fallback", 0), 1); /* what that rule says stays */
	fx_free(r);

	/* offered Negotiate, yet the server goes along with NTLM (its CHALLENGE
	 * under "NTLM") and accepts it: the offer was not all it takes */
	r = fx_new();
	get(r, 4, 1, C, WEB, "web2.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, C, 401, "Negotiate", NULL, 4);
	ntlm_legs(r, 6, 1, C, WEB, "web2.lab.test", false, "CLIENT", 200);
	fx_finish(r);
	fx_run(r, "scheme-mismatch");
	ck_assert_uint_eq(fx_count(r, "scheme-mismatch", 0), 0);
	fx_free(r);

	r = fx_new();
	get(r, 4, 1, C, WEB, "web.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, C, 401, "Negotiate", NULL, 4);
	get(r, 6, 1, C, WEB, "web.lab.test", "Basic");
	fx_http_resp(r, 7, 1, WEB, C, 200, NULL, NULL, 6);
	get(r, 8, 1, C, WEB, "web.lab.test", "Basic"); /* unanswered */
	fx_finish(r);
	fx_run(r, "scheme-mismatch");
	ck_assert_uint_eq(fx_count(r, "scheme-mismatch", 0), 0);
	fx_free(r);

	r = fx_new();
	get(r, 4, 1, C, PROXY, "app.lab.test", NULL)->uri = "http://app.lab.test/";
	struct kf_http_rec *p = fx_http_resp(r, 5, 1, PROXY, C, 407, "Negotiate", NULL, 4);
	p->proxy = true;
	struct kf_http_rec *q = get(r, 6, 1, C, PROXY, "app.lab.test", "Negotiate");
	q->uri = "http://app.lab.test/";
	q->proxy = true;
	fx_http_resp(r, 7, 1, PROXY, C, 401, "Basic", NULL,
		     6); /* the origin's own offer, after the proxy's logon */
	fx_finish(r);
	fx_run(r, "scheme-mismatch");
	ck_assert_uint_eq(fx_count(r, "scheme-mismatch", 0), 0);
	fx_free(r);
}
END_TEST

/* ---- loopback-auth ---------------------------------------------------------- */

/* The web host to itself (same address): 401 Negotiate+NTLM, SPNEGO
 * carries NTLM, 200. ntlm-fallback's finding is taken. */
START_TEST(t_loopback_ntlm_fallback)
{
	struct kf_result *r = fx_new();
	get(r, 4, 1, SELF, WEB, "web2.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, SELF, 401, "Negotiate", "NTLM", 4);
	ntlm_legs(r, 6, 1, SELF, WEB, "web2.lab.test", true, "WEB", 200);
	fx_finish(r);
	fx_run_all(r);
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "loopback-auth",
								     .cause = "loopback-ntlm-fallback",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "5,6,7,8,9",
								     .client = "10.0.0.20",
								     .user = "LAB\\alice",
								     .server = "10.0.0.20:80" });
	ck_assert(contains(f->explanation, "both are 10.0.0.20"));
	ck_assert(contains(f->remediation, "BackConnectionHostNames (multi-string: web2.lab.test)"));
	ck_assert(contains(f->remediation, "DisableLoopbackCheck"));
	ck_assert_uint_eq(fx_count(r, "ntlm-fallback", 0), 0);
	ck_assert_uint_eq(r->n_findings, 1);
	fx_free(r);
}
END_TEST

/* Another address of the same host, known by name: the NTLM workstation
 * WEB is the first label of the Host web.lab.test; NTLM offered alone and
 * the AUTHENTICATE refused (Windows' loopback check answers 401.1): an
 * error, as the failed NTLM it takes from ntlm-fallback. */
START_TEST(t_loopback_ntlm_refused_by_name)
{
	struct kf_result *r = fx_new();
	get(r, 4, 1, "10.0.0.30:40000", WEB, "web.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, "10.0.0.30:40000", 401, "NTLM", NULL, 4);
	ntlm_legs(r, 6, 1, "10.0.0.30:40000", WEB, "web.lab.test", false, "web", 401);
	fx_finish(r);
	fx_run_all(r);
	const struct kf_finding *f =
		fx_expect(r, &(struct fx_want){ .rule = "loopback-auth",
						.cause = "loopback-ntlm-refused",
						.sev = KF_SEV_ERROR,
						.conf = KF_CONF_LIKELY,
						.frames = "5,6,8,9", /* with ntlm-fallback's offer */
						.client = "10.0.0.30",
						.server = "10.0.0.20:80" });
	ck_assert(contains(f->explanation, "workstation name web is the host of web.lab.test"));
	ck_assert(contains(
		f->summary,
		"NTLM from 10.0.0.30 to its own web server web.lab.test (10.0.0.20) refused: HTTP 401"));
	fx_free(r);
}
END_TEST

/* The client's own Kerberos name is the web host's machine account (WEB$
 * got a TGT from this address): NTLM from it to web.lab.test, refused. A
 * user's name (alice) says nothing of the host. */
static struct kf_result *machine_client(const char *cname)
{
	struct kf_result *r = fx_new();
	const char *cl = "10.0.0.30:40000";
	fx_krb(r, 1, KF_KRB_AS_REQ, "10.0.0.30:50000", KDC)->krb.cname = cname;
	struct kf_message *rep = fx_krb(r, 2, KF_KRB_AS_REP, KDC, "10.0.0.30:50000");
	rep->krb.cname = cname;
	rep->krb.crealm = "LAB.TEST";
	rep->krb.ticket = fx_ticket(r, "krbtgt/LAB.TEST", "LAB.TEST", 18, 1);
	fx_link(r, 1, KF_KRB_AS_REQ, 2, KF_KRB_AS_REP);
	get(r, 4, 1, cl, WEB, "web.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, cl, 401, "NTLM", NULL, 4);
	ntlm_legs(r, 6, 1, cl, WEB, "web.lab.test", false, "SOMEPC", 401);
	fx_finish(r);
	fx_run(r, "loopback-auth");
	return r;
}

START_TEST(t_loopback_by_machine_principal)
{
	struct kf_result *r = machine_client("WEB$");
	const struct kf_finding *f = fx_find(r, "loopback-auth");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->cause, "loopback-ntlm-refused");
	ck_assert(contains(f->explanation, "Kerberos name WEB$@LAB.TEST is the host of web.lab.test"));
	fx_free(r);
	r = machine_client("host/web.lab.test");
	ck_assert_uint_eq(fx_count(r, "loopback-auth", KF_SEV_ERROR), 1);
	fx_free(r);
	r = machine_client("alice");
	ck_assert_uint_eq(fx_count(r, "loopback-auth", 0), 0);
	fx_free(r);
}
END_TEST

/* A logon to itself that worked once and was refused at the end: the
 * refusal decides (an error; auth-loop's and ntlm-fallback's findings are
 * taken, none is lowered to a warning). */
START_TEST(t_loopback_last_refused)
{
	struct kf_result *r = fx_new();
	get(r, 4, 1, SELF, WEB, "web2.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, SELF, 401, "Negotiate", "NTLM", 4);
	ntlm_legs(r, 6, 1, SELF, WEB, "web2.lab.test", true, "WEB", 200);
	ntlm_legs(r, 20, 2, "10.0.0.20:40001", WEB, "web2.lab.test", true, "WEB", 401);
	fx_finish(r);
	fx_run_all(r);
	const struct kf_finding *f = fx_find(r, "loopback-auth");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->cause, "loopback-ntlm-refused");
	ck_assert_int_eq(f->severity, KF_SEV_ERROR);
	ck_assert(fx_has_frame(f, 9) && fx_has_frame(f, 23));
	ck_assert_uint_eq(r->n_findings, 1);
	fx_free(r);
}
END_TEST

/* Another address of the same host: the AUTHENTICATE's workstation is
 * the computer name the server's own CHALLENGE gave (the Host names a site,
 * web2.lab.test, not the machine). */
/* From 10.0.0.22 to web2.lab.test on 10.0.0.20: 401 Negotiate+NTLM, NTLM
 * from workstation WEB, 200; the server's CHALLENGE names it server_name. */
static struct kf_result *other_address(const char *server_name)
{
	struct kf_result *r = fx_new();
	const char *cl = "10.0.0.22:40000";
	get(r, 4, 1, cl, WEB, "web2.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, cl, 401, "Negotiate", "NTLM", 4);
	ntlm_legs(r, 6, 1, cl, WEB, "web2.lab.test", true, "WEB", 200);
	for (size_t i = 0; i < r->n_messages; i++)
		if (r->messages[i].type == KF_MSG_NTLM_CHALLENGE)
			r->messages[i].ntlm->nb_computer = server_name;
	fx_finish(r);
	fx_run_all(r);
	return r;
}

START_TEST(t_loopback_ntlm_by_server_name)
{
	struct kf_result *r = other_address("web");
	const struct kf_finding *f = fx_expect(r, &(struct fx_want){ .rule = "loopback-auth",
								     .cause = "loopback-ntlm-fallback",
								     .sev = KF_SEV_WARNING,
								     .conf = KF_CONF_CERTAIN,
								     .frames = "5,6,7,8,9",
								     .client = "10.0.0.22",
								     .server = "10.0.0.20:80" });
	ck_assert(contains(f->explanation, "workstation name WEB is the server's own computer name"));
	ck_assert(contains(f->summary,
			   "Negotiate from 10.0.0.22 to its own web server web2.lab.test (10.0.0.20)"));
	fx_free(r);

	/* the server named WEB1: two hosts, ntlm-fallback alone */
	r = other_address("WEB1");
	ck_assert_uint_eq(fx_count(r, "loopback-auth", 0), 0);
	ck_assert_uint_eq(fx_count(r, "ntlm-fallback", 0), 1);
	fx_free(r);
}
END_TEST

/* Silent: Kerberos to itself that works; NTLM fallback between two hosts
 * (ntlm-fallback alone); NTLM to itself where only NTLM was offered and it
 * worked; a workstation that is another host; a fallback whose cause the
 * KDC named (ntlm-fallback's spn-unknown stays). */
START_TEST(t_loopback_near_misses)
{
	struct kf_result *r = fx_new();
	get(r, 4, 1, SELF, WEB, "web.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, SELF, 401, "Negotiate", NULL, 4);
	struct kf_message *ap = fx_http(r, 6, KF_KRB_AP_REQ, 1, SELF, WEB);
	ap->krb.ticket = fx_ticket(r, "HTTP/web.lab.test", "LAB.TEST", 18, 2);
	get(r, 6, 1, SELF, WEB, "web.lab.test", "Negotiate");
	fx_http_resp(r, 7, 1, WEB, SELF, 200, "Negotiate", NULL, 6);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(r->n_findings, 0);
	fx_free(r);

	r = fx_new();
	get(r, 4, 1, C, WEB, "web2.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, C, 401, "Negotiate", "NTLM", 4);
	ntlm_legs(r, 6, 1, C, WEB, "web2.lab.test", true, "CLIENT", 200);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "loopback-auth", 0), 0);
	ck_assert_uint_eq(fx_count(r, "ntlm-fallback", 0), 1);
	fx_free(r);

	r = fx_new();
	get(r, 4, 1, SELF, WEB, "web.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, SELF, 401, "NTLM", NULL, 4);
	ntlm_legs(r, 6, 1, SELF, WEB, "web.lab.test", false, "WEB", 200);
	fx_finish(r);
	fx_run(r, "loopback-auth");
	ck_assert_uint_eq(fx_count(r, "loopback-auth", 0), 0);
	fx_free(r);

	r = fx_new();
	get(r, 4, 1, "10.0.0.30:40000", WEB, "web.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, "10.0.0.30:40000", 401, "NTLM", NULL, 4);
	ntlm_legs(r, 6, 1, "10.0.0.30:40000", WEB, "web.lab.test", false, "WEB2", 401);
	fx_finish(r);
	fx_run(r, "loopback-auth");
	ck_assert_uint_eq(fx_count(r, "loopback-auth", 0), 0);
	fx_free(r);

	r = fx_new();
	get(r, 4, 1, SELF, WEB, "web2.lab.test", NULL);
	fx_http_resp(r, 5, 1, WEB, SELF, 401, "Negotiate", "NTLM", 4);
	fx_tgs(r, 6, SELF, KDC, "HTTP/web2.lab.test", 7);
	ntlm_legs(r, 8, 1, SELF, WEB, "web2.lab.test", true, "WEB", 200);
	fx_finish(r);
	fx_run_all(r);
	ck_assert_uint_eq(fx_count(r, "loopback-auth", 0), 0);
	ck_assert_ptr_nonnull(fx_find(r, "ntlm-fallback"));
	ck_assert_str_eq(fx_find(r, "ntlm-fallback")->cause, "spn-unknown");
	fx_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules_http_client");
	TCase *tc = tcase_create("scheme-mismatch");
	tcase_add_test(tc, t_mismatch_ntlm_preemptive);
	tcase_add_test(tc, t_mismatch_basic_after_challenge);
	tcase_add_test(tc, t_mismatch_negotiate_and_other);
	tcase_add_test(tc, t_mismatch_near_misses);
	tcase_add_test(tc, t_mismatch_proxy);
	suite_add_tcase(s, tc);
	TCase *lo = tcase_create("loopback-auth");
	tcase_add_test(lo, t_loopback_ntlm_fallback);
	tcase_add_test(lo, t_loopback_ntlm_refused_by_name);
	tcase_add_test(lo, t_loopback_ntlm_by_server_name);
	tcase_add_test(lo, t_loopback_last_refused);
	tcase_add_test(lo, t_loopback_by_machine_principal);
	tcase_add_test(lo, t_loopback_near_misses);
	suite_add_tcase(s, lo);
	return kf_test_run(s);
}
