/* check_rules_bind_ntlm.c - ntlm-fallback's bind causes (LDAP, DCE/RPC, SQL
 * Server logins) on fact lists: each cause, the evidence that Kerberos was
 * there to use, and the near misses (anonymous NTLM, nothing showing
 * Kerberos, a domain controller's "local" account). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "rulefix.h"
#include "rules.h"
#include "testutil.h"

#define C "10.0.0.10:50000"
#define DC "10.0.0.2:389"
#define RPC "10.0.0.2:49667"
#define SRV "10.0.0.30:1433"
#define KDC "10.0.0.2:88"

static struct kf_message *app_msg(struct kf_result *r, uint64_t f, int carrier, int type, const char *src,
				  const char *dst)
{
	struct kf_message *m = fx_msg(r, f, carrier, type, src, dst);
	m->transport = KF_TRANSPORT_TCP;
	m->connection = 1;
	return m;
}

/* What one bind looks like. */
struct bind {
	int carrier;         /* KF_CARRIER_LDAP, _DCERPC or _TDS */
	const char *server;  /* its endpoint */
	const char *domain;  /* the NTLM user's domain */
	const char *user;    /* NULL: anonymous */
	const char *spn;     /* MsvAvTargetName, NULL */
	const char *nb_comp; /* the server's CHALLENGE NetBIOS computer name */
	bool spnego_krb;     /* the client's SPNEGO offered Kerberos */
	bool direct;         /* DCE/RPC auth type 10 / SASL NTLM */
};

/* The NEGOTIATE (frame 20), CHALLENGE (21) and AUTHENTICATE (22) of b, with
 * the carrier's record in frame 22. */
static void bind_ntlm(struct kf_result *r, const struct bind *b)
{
	struct kf_message *n = app_msg(r, 20, b->carrier, KF_MSG_NTLM_NEGOTIATE, C, b->server);
	n->ntlm = kf_arena_zalloc(&r->arena, sizeof *n->ntlm);
	if (!b->direct) {
		n->spnego = kf_arena_zalloc(&r->arena, sizeof *n->spnego);
		static const char *krb_ntlm[] = { "kerberos", "ntlmssp" };
		static const char *ntlm_only[] = { "ntlmssp" };
		n->spnego->mech_types = b->spnego_krb ? krb_ntlm : ntlm_only;
		n->spnego->n_mech_types = b->spnego_krb ? 2 : 1;
	}
	struct kf_message *ch = app_msg(r, 21, b->carrier, KF_MSG_NTLM_CHALLENGE, b->server, C);
	ch->ntlm = kf_arena_zalloc(&r->arena, sizeof *ch->ntlm);
	ch->ntlm->nb_computer = b->nb_comp;
	ch->ntlm->nb_domain = "LAB";
	struct kf_message *a = app_msg(r, 22, b->carrier, KF_MSG_NTLM_AUTHENTICATE, C, b->server);
	a->ntlm = kf_arena_zalloc(&r->arena, sizeof *a->ntlm);
	a->ntlm->domain = b->domain;
	a->ntlm->user = b->user;
	a->ntlm->anonymous = !b->user;
	a->ntlm->spn = b->spn;
	a->ntlm->workstation = "CLIENT";
	a->ntlm->ntlmv2 = true;
	struct kf_message *q = app_msg(r, 22, b->carrier,
				       b->carrier == KF_CARRIER_LDAP     ? KF_MSG_LDAP_REQUEST
				       : b->carrier == KF_CARRIER_DCERPC ? KF_MSG_DCERPC_REQUEST
									 : KF_MSG_TDS_REQUEST,
				       C, b->server);
	if (b->carrier == KF_CARRIER_LDAP) {
		q->ldap = kf_arena_zalloc(&r->arena, sizeof *q->ldap);
		q->ldap->mechanism = b->direct ? "NTLM" : "GSS-SPNEGO";
	} else if (b->carrier == KF_CARRIER_DCERPC) {
		q->dcerpc = kf_arena_zalloc(&r->arena, sizeof *q->dcerpc);
		q->dcerpc->ptype = 16;
		q->dcerpc->auth_type = b->direct ? 10 : 9;
	} else {
		q->tds = kf_arena_zalloc(&r->arena, sizeof *q->tds);
		q->tds->packet_type = 17;
	}
}

/* The client's AS exchange with the KDC at 10.0.0.2 (frames 2, 3): the server there is a KDC. */
static void as_exchange(struct kf_result *r)
{
	fx_krb(r, 2, KF_KRB_AS_REQ, C, KDC);
	fx_krb(r, 3, KF_KRB_AS_REP, KDC, C)->krb.cname = "alice";
	fx_link(r, 2, KF_KRB_AS_REQ, 3, KF_KRB_AS_REP);
}

/* Run ntlm-fallback; the cause of its one finding (NULL: none). */
static const char *run(struct kf_result *r, const struct kf_finding **out)
{
	fx_finish(r);
	fx_run(r, "ntlm-fallback");
	ck_assert_uint_le(fx_count(r, "ntlm-fallback", 0), 1);
	const struct kf_finding *f = fx_find(r, "ntlm-fallback");
	*out = f;
	return f ? f->cause : NULL;
}

START_TEST(t_bind_spn_unknown_and_kdc_error)
{
	for (int other = 0; other < 2; other++) {
		struct kf_result *r = fx_new();
		as_exchange(r);
		fx_tgs(r, 10, C, KDC, "ldap/dir.lab.test", other ? 12 : 7);
		bind_ntlm(r, &(struct bind){ KF_CARRIER_LDAP, DC, "LAB", "alice", "ldap/dir.lab.test", "DC1",
					     true, false });
		const struct kf_finding *f;
		const char *c = run(r, &f);
		ck_assert_str_eq(c, other ? "bind-kdc-error" : "bind-spn-unknown");
		ck_assert(fx_has_frame(f, 10) && fx_has_frame(f, 11) && fx_has_frame(f, 22));
		ck_assert_msg(contains(f->summary, "LDAP bind to 10.0.0.2 used NTLM for LAB\\alice"), "%s",
			      f->summary);
		ck_assert_msg(contains(f->explanation, "the server is a KDC in this capture"), "%s",
			      f->explanation);
		fx_free(r);
	}
}
END_TEST

START_TEST(t_bind_ticket_not_used)
{
	struct kf_result *r = fx_new();
	as_exchange(r);
	fx_tgs(r, 10, C, KDC, "MSSQLSvc/sql.lab.test:1433", 0);
	/* the SQL server accepted a Kerberos logon from someone else */
	app_msg(r, 15, KF_CARRIER_TDS, KF_KRB_AP_REP, SRV, "10.0.0.11:50000");
	bind_ntlm(r, &(struct bind){ KF_CARRIER_TDS, SRV, "LAB", "alice", NULL, "SQL1", false, false });
	const struct kf_finding *f;
	ck_assert_str_eq(run(r, &f), "bind-ticket-not-used");
	ck_assert_msg(contains(f->summary, "SQL Server login"), "%s", f->summary);
	ck_assert_msg(contains(f->explanation, "accepted a Kerberos logon in this capture (frame 15)"), "%s",
		      f->explanation);
	fx_free(r);
}
END_TEST

START_TEST(t_bind_local_account)
{
	/* the server's own NetBIOS name as domain, the server not a KDC */
	struct kf_result *r = fx_new();
	app_msg(r, 15, KF_CARRIER_DCERPC, KF_KRB_AP_REP, "10.0.0.30:49667", "10.0.0.11:50000");
	bind_ntlm(r, &(struct bind){ KF_CARRIER_DCERPC, "10.0.0.30:49667", "FS1", "admin", NULL, "FS1", false,
				     true });
	const struct kf_finding *f;
	ck_assert_str_eq(run(r, &f), "bind-local-account");
	fx_free(r);

	/* a domain controller takes any domain as its own: no local account */
	r = fx_new();
	as_exchange(r);
	bind_ntlm(r, &(struct bind){ KF_CARRIER_DCERPC, RPC, "10.0.0.2", "admin", NULL, "DC1", false, true });
	ck_assert_str_eq(run(r, &f), "bind-app-chose-ntlm");
	ck_assert_msg(contains(f->explanation, "NTLMSSP (10)"), "%s", f->explanation);
	fx_free(r);
}
END_TEST

START_TEST(t_bind_ip_address)
{
	struct kf_result *r = fx_new();
	as_exchange(r);
	bind_ntlm(r, &(struct bind){ KF_CARRIER_DCERPC, RPC, "LAB", "alice", "host/10.0.0.2", "DC1", false,
				     true });
	const struct kf_finding *f;
	ck_assert_str_eq(run(r, &f), "bind-ip-address");
	ck_assert_int_eq(f->confidence, KF_CONF_CERTAIN);
	ck_assert_msg(contains(f->summary, "(host/10.0.0.2)"), "%s", f->summary);
	fx_free(r);
}
END_TEST

START_TEST(t_bind_no_kdc_or_no_request)
{
	/* Kerberos offered by the client's SPNEGO, nothing to a KDC */
	struct kf_result *r = fx_new();
	bind_ntlm(r, &(struct bind){ KF_CARRIER_LDAP, DC, "LAB", "alice", NULL, "DC1", true, false });
	const struct kf_finding *f;
	ck_assert_str_eq(run(r, &f), "bind-no-kdc-traffic");
	ck_assert_msg(contains(f->explanation, "the client's own SPNEGO offered Kerberos"), "%s",
		      f->explanation);
	fx_free(r);

	/* KDC traffic, a ticket for another service only */
	r = fx_new();
	as_exchange(r);
	fx_tgs(r, 10, C, KDC, "HTTP/web.lab.test", 0);
	bind_ntlm(r, &(struct bind){ KF_CARRIER_LDAP, DC, "LAB", "alice", "ldap/dc1.lab.test", "DC1", true,
				     false });
	ck_assert_str_eq(run(r, &f), "bind-no-ticket-request");
	ck_assert_msg(contains(f->summary, "no ticket request for ldap/dc1.lab.test"), "%s", f->summary);
	fx_free(r);
}
END_TEST

START_TEST(t_bind_near_misses)
{
	/* anonymous NTLM */
	struct kf_result *r = fx_new();
	as_exchange(r);
	bind_ntlm(r, &(struct bind){ KF_CARRIER_LDAP, DC, NULL, NULL, NULL, "DC1", true, false });
	const struct kf_finding *f;
	ck_assert_ptr_null(run(r, &f));
	fx_free(r);

	/* nothing shows Kerberos was there: no KDC, no Kerberos logon, NTLM-only SPNEGO */
	r = fx_new();
	bind_ntlm(r, &(struct bind){ KF_CARRIER_DCERPC, "10.0.0.30:49667", "LAB", "alice", NULL, "FS1", false,
				     false });
	ck_assert_ptr_null(run(r, &f));
	fx_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules_bind_ntlm");
	TCase *tc = tcase_create("ntlm-fallback-binds");
	tcase_add_test(tc, t_bind_spn_unknown_and_kdc_error);
	tcase_add_test(tc, t_bind_ticket_not_used);
	tcase_add_test(tc, t_bind_local_account);
	tcase_add_test(tc, t_bind_ip_address);
	tcase_add_test(tc, t_bind_no_kdc_or_no_request);
	tcase_add_test(tc, t_bind_near_misses);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
