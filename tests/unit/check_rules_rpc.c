/* check_rules_rpc.c - rpc-bind-failed on fact lists: a DCE/RPC binding phase
 * refused by bind_nak (each reason's cause), by a fault to the bind, by a
 * fault to the first call after an NTLM AUTH3; and the near misses (a
 * Kerberos AUTH3 followed by access denied: the call's authorization; a
 * fault saying the server ran the call; a rejected presentation context; a
 * bind retried successfully). */
#include <check.h>
#include <string.h>

#include "base/arena.h"
#include "dcerpc.h"
#include "rulefix.h"
#include "sessions.h"
#include "rules.h"
#include "testutil.h"

#define C "10.0.0.10:50000"
#define S "10.0.0.2:49667"

static struct kf_message *rpc(struct kf_result *r, uint64_t f, int type, uint32_t conn, uint8_t ptype,
			      uint32_t call)
{
	bool req = type == KF_MSG_DCERPC_REQUEST;
	struct kf_message *m = fx_msg(r, f, KF_CARRIER_DCERPC, type, req ? C : S, req ? S : C);
	m->transport = KF_TRANSPORT_TCP;
	m->connection = conn;
	m->dcerpc = kf_arena_zalloc(&r->arena, sizeof *m->dcerpc);
	m->dcerpc->ptype = ptype;
	m->dcerpc->call_id = call;
	m->dcerpc->interface = "SAMR";
	return m;
}

static void token(struct kf_result *r, uint64_t f, uint32_t conn, int type)
{
	bool client =
		type == KF_MSG_NTLM_NEGOTIATE || type == KF_MSG_NTLM_AUTHENTICATE || type == KF_KRB_AP_REQ;
	struct kf_message *m = fx_msg(r, f, KF_CARRIER_DCERPC, type, client ? C : S, client ? S : C);
	m->transport = KF_TRANSPORT_TCP;
	m->connection = conn;
	m->sender = client ? KF_SENDER_CLIENT : KF_SENDER_SERVER;
	if (type == KF_MSG_NTLM_AUTHENTICATE) {
		m->ntlm = kf_arena_zalloc(&r->arena, sizeof *m->ntlm);
		m->ntlm->domain = "LAB";
		m->ntlm->user = "alice";
		m->ntlm->ntlmv2 = true;
	}
}

/* An NTLM (or, kerberos: Kerberos) bind from frame f: bind, bind_ack,
 * AUTH3, then the first call answered by a fault of status. */
static void bind_auth3_fault(struct kf_result *r, uint64_t f, uint32_t conn, bool kerberos, uint32_t status)
{
	token(r, f, conn, kerberos ? KF_KRB_AP_REQ : KF_MSG_NTLM_NEGOTIATE);
	rpc(r, f, KF_MSG_DCERPC_REQUEST, conn, KF_DCERPC_BIND, 1)->dcerpc->auth_type = kerberos ? 16 : 10;
	token(r, f + 1, conn, kerberos ? KF_KRB_AP_REP : KF_MSG_NTLM_CHALLENGE);
	rpc(r, f + 1, KF_MSG_DCERPC_RESPONSE, conn, KF_DCERPC_BIND_ACK, 1);
	fx_link(r, f, KF_MSG_DCERPC_REQUEST, f + 1, KF_MSG_DCERPC_RESPONSE);
	if (!kerberos)
		token(r, f + 2, conn, KF_MSG_NTLM_AUTHENTICATE);
	rpc(r, f + 2, KF_MSG_DCERPC_REQUEST, conn, KF_DCERPC_AUTH3, 1)->dcerpc->auth_type =
		kerberos ? 16 : 10;
	struct kf_message *fault = rpc(r, f + 4, KF_MSG_DCERPC_RESPONSE, conn, KF_DCERPC_FAULT, 2);
	fault->dcerpc->has_status = true;
	fault->dcerpc->status = status;
	fault->dcerpc->first_call = true;
}

/* A bind answered in f + 1 by a bind_nak (nak) or a fault, with status. */
static void bind_refused(struct kf_result *r, uint64_t f, uint32_t conn, bool nak, uint32_t status)
{
	token(r, f, conn, KF_MSG_NTLM_NEGOTIATE);
	rpc(r, f, KF_MSG_DCERPC_REQUEST, conn, KF_DCERPC_BIND, 1)->dcerpc->auth_type = 10;
	struct kf_message *p =
		rpc(r, f + 1, KF_MSG_DCERPC_RESPONSE, conn, nak ? KF_DCERPC_BIND_NAK : KF_DCERPC_FAULT, 1);
	p->dcerpc->has_status = true;
	p->dcerpc->status = status;
	fx_link(r, f, KF_MSG_DCERPC_REQUEST, f + 1, KF_MSG_DCERPC_RESPONSE);
}

static const struct kf_finding *run(struct kf_result *r)
{
	fx_finish(r);
	fx_run(r, "rpc-bind-failed");
	ck_assert_uint_le(fx_count(r, "rpc-bind-failed", 0), 1);
	return fx_find(r, "rpc-bind-failed");
}

START_TEST(t_rpc_ntlm_logon_refused)
{
	static const struct {
		uint32_t status;
		int conf;
	} v[] = { { 0x1c01000bu, KF_CONF_CERTAIN }, { 5, KF_CONF_LIKELY } };
	for (size_t i = 0; i < 2; i++) {
		struct kf_result *r = fx_new();
		bind_auth3_fault(r, 10, 1, false, v[i].status);
		const struct kf_finding *f = run(r);
		ck_assert_ptr_nonnull(f);
		ck_assert_str_eq(f->cause, "ntlm-logon-refused");
		ck_assert_int_eq(f->confidence, v[i].conf);
		ck_assert(fx_has_frame(f, 12) && fx_has_frame(f, 14));
		ck_assert_msg(contains(f->summary, "refused LAB\\alice's bind to SAMR") &&
				      contains(f->summary, "to the first call after AUTH3"),
			      "%s", f->summary);
		ck_assert(fx_subject_is(f, KF_SUBJECT_USER, "LAB\\alice"));
		fx_free(r);
	}
}
END_TEST

START_TEST(t_rpc_bind_causes)
{
	static const struct {
		bool nak;
		uint32_t status;
		const char *cause;
	} v[] = {
		{ true, 8, "auth-type-refused" }, { true, 9, "invalid-checksum" }, { true, 4, "other" },
		{ false, 5, "access-denied" },    { false, 0x1c010002u, "other" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct kf_result *r = fx_new();
		bind_refused(r, 10, 1, v[i].nak, v[i].status);
		const struct kf_finding *f = run(r);
		ck_assert_msg(f && !strcmp(f->cause, v[i].cause), "row %zu: %s", i, f ? f->cause : "(none)");
		ck_assert(fx_has_frame(f, 10) && fx_has_frame(f, 11));
		fx_free(r);
	}
}
END_TEST

START_TEST(t_rpc_near_misses)
{
	/* Kerberos accepted at bind_ack; access denied to the first call: authorization */
	struct kf_result *r = fx_new();
	bind_auth3_fault(r, 10, 1, true, 5);
	ck_assert_ptr_null(run(r));
	fx_free(r);

	/* NTLM, then a fault that says the server ran the call (nca_op_rng_error) */
	r = fx_new();
	bind_auth3_fault(r, 10, 1, false, 0x1c010002u);
	ck_assert_ptr_null(run(r));
	/* and the session is a good logon: the fault is the call's */
	ck_assert_uint_eq(r->n_sessions, 1);
	ck_assert_str_eq(r->sessions[0].outcome, "ok");
	ck_assert(!r->sessions[0].has_rpc_status);
	fx_free(r);

	/* the first presentation context rejected (abstract syntax not supported) */
	r = fx_new();
	token(r, 10, 1, KF_MSG_NTLM_NEGOTIATE);
	rpc(r, 10, KF_MSG_DCERPC_REQUEST, 1, KF_DCERPC_BIND, 1)->dcerpc->auth_type = 10;
	struct kf_message *ack = rpc(r, 11, KF_MSG_DCERPC_RESPONSE, 1, KF_DCERPC_BIND_ACK, 1);
	ack->dcerpc->has_status = true;
	ack->dcerpc->status = 2;
	ck_assert_ptr_null(run(r));
	fx_free(r);

	/* refused, then the same user's bind accepted 2 s later: recovered */
	r = fx_new();
	bind_auth3_fault(r, 10, 1, false, 0x1c01000bu);
	token(r, 2000, 2, KF_MSG_NTLM_NEGOTIATE);
	rpc(r, 2000, KF_MSG_DCERPC_REQUEST, 2, KF_DCERPC_BIND, 1)->dcerpc->auth_type = 10;
	rpc(r, 2001, KF_MSG_DCERPC_RESPONSE, 2, KF_DCERPC_BIND_ACK, 1);
	token(r, 2002, 2, KF_MSG_NTLM_AUTHENTICATE);
	rpc(r, 2002, KF_MSG_DCERPC_REQUEST, 2, KF_DCERPC_AUTH3, 1)->dcerpc->auth_type = 10;
	ck_assert_ptr_null(run(r));
	fx_free(r);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rules_rpc");
	TCase *tc = tcase_create("rpc-bind-failed");
	tcase_add_test(tc, t_rpc_ntlm_logon_refused);
	tcase_add_test(tc, t_rpc_bind_causes);
	tcase_add_test(tc, t_rpc_near_misses);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
