/* check_flow.c - the 5-tuple flow table: lookup both ways, idle and
 * capacity eviction, release callbacks. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "base/limits.h"
#include "flow.h"

struct released {
	int n;
	uint32_t ids[64];
	enum kf_flow_release_reason why[64];
};

static void on_release(void *ctx, struct kf_flow *f, enum kf_flow_release_reason why)
{
	struct released *r = ctx;
	if (r->n < 64) {
		r->ids[r->n] = f->id;
		r->why[r->n] = why;
	}
	r->n++;
}

static struct kf_flow_key key(uint32_t client, uint16_t cport)
{
	struct kf_flow_key k;
	memset(&k, 0, sizeof k);
	k.ipver = 4;
	k.proto = 6;
	k.caddr[0] = 10;
	memcpy(k.caddr + 1, &client, 3);
	k.saddr[0] = 10;
	k.saddr[3] = 1;
	k.cport = cport;
	k.sport = 88;
	return k;
}

START_TEST(t_find_both_directions)
{
	struct released rel = { 0 };
	struct kf_flow_table *t = kf_flow_table_new(16, on_release, &rel);
	struct kf_flow_key k = key(1, 40000);
	struct kf_flow *f = kf_flow_insert(t, &k, 1000, NULL);
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->id, 1);
	bool rev = true;
	ck_assert_ptr_eq(kf_flow_find(t, &k, &rev), f);
	ck_assert(!rev);
	struct kf_flow_key r;
	memset(&r, 0, sizeof r);
	r.ipver = 4;
	r.proto = 6;
	memcpy(r.caddr, k.saddr, 16);
	memcpy(r.saddr, k.caddr, 16);
	r.cport = 88;
	r.sport = 40000;
	ck_assert_ptr_eq(kf_flow_find(t, &r, &rev), f);
	ck_assert(rev);
	struct kf_flow_key other = key(1, 40001);
	ck_assert_ptr_null(kf_flow_find(t, &other, &rev));
	other = key(1, 40000);
	other.proto = 17; /* same tuple over UDP is another flow */
	ck_assert_ptr_null(kf_flow_find(t, &other, &rev));
	kf_flow_table_free(t);
	ck_assert_int_eq(rel.n, 1);
	ck_assert_int_eq(rel.why[0], KF_FLOW_END);
}
END_TEST

START_TEST(t_capacity_evicts_oldest)
{
	struct released rel = { 0 };
	struct kf_flow_table *t = kf_flow_table_new(4, on_release, &rel);
	struct kf_events ev = { 0 };
	for (uint32_t i = 0; i < 4; i++) {
		struct kf_flow_key k = key(i, 1000);
		ck_assert_ptr_nonnull(kf_flow_insert(t, &k, 10, &ev));
	}
	/* using flow 1 makes flow 2 the oldest */
	bool rev;
	struct kf_flow_key k0 = key(0, 1000);
	kf_flow_touch(t, kf_flow_find(t, &k0, &rev), 11);
	struct kf_flow_key k4 = key(4, 1000);
	ck_assert_ptr_nonnull(kf_flow_insert(t, &k4, 12, &ev));
	ck_assert_int_eq(rel.n, 1);
	ck_assert_uint_eq(rel.ids[0], 2);
	ck_assert_int_eq(rel.why[0], KF_FLOW_EVICTED);
	ck_assert_uint_eq(ev.n, 1);
	ck_assert_uint_eq(ev.ev[0], KF_EV_FLOW_LIMIT);
	ck_assert_uint_eq(kf_flow_table_count(t), 4);
	kf_flow_table_free(t);
}
END_TEST

START_TEST(t_idle_flows_expire)
{
	struct released rel = { 0 };
	struct kf_flow_table *t = kf_flow_table_new(16, on_release, &rel);
	struct kf_flow_key a = key(1, 1), b = key(2, 2);
	kf_flow_insert(t, &a, 0, NULL);
	struct kf_flow *fb = kf_flow_insert(t, &b, 0, NULL);
	kf_flow_touch(t, fb, KF_LIMIT_FLOW_IDLE_US); /* a idle exactly the limit: kept */
	ck_assert_int_eq(rel.n, 0);
	kf_flow_touch(t, fb, KF_LIMIT_FLOW_IDLE_US + 1); /* now over it */
	ck_assert_int_eq(rel.n, 1);
	ck_assert_uint_eq(rel.ids[0], 1);
	ck_assert_int_eq(rel.why[0], KF_FLOW_IDLE);
	/* time going backwards (merged or disordered captures) expires nothing */
	kf_flow_touch(t, fb, 5);
	ck_assert_int_eq(rel.n, 1);
	kf_flow_table_free(t);
}
END_TEST

START_TEST(t_many_flows_bounded)
{
	struct released rel = { 0 };
	struct kf_flow_table *t = kf_flow_table_new(1000, on_release, &rel);
	for (uint32_t i = 0; i < 200000; i++) {
		struct kf_flow_key k = key(i, (uint16_t)i);
		ck_assert_ptr_nonnull(kf_flow_insert(t, &k, i, NULL));
		ck_assert_uint_le(kf_flow_table_count(t), 1000);
	}
	ck_assert_int_eq(rel.n, 199000);
	/* the newest are still findable */
	bool rev;
	struct kf_flow_key last = key(199999, (uint16_t)199999);
	ck_assert_ptr_nonnull(kf_flow_find(t, &last, &rev));
	kf_flow_table_free(t);
	ck_assert_int_eq(rel.n, 200000);
}
END_TEST

START_TEST(t_remove_then_reinsert)
{
	struct released rel = { 0 };
	struct kf_flow_table *t = kf_flow_table_new(8, on_release, &rel);
	struct kf_flow_key k = key(9, 9);
	struct kf_flow *f = kf_flow_insert(t, &k, 1, NULL);
	kf_flow_remove(t, f, KF_FLOW_CLOSED);
	ck_assert_int_eq(rel.why[0], KF_FLOW_CLOSED);
	bool rev;
	ck_assert_ptr_null(kf_flow_find(t, &k, &rev));
	f = kf_flow_insert(t, &k, 2, NULL);
	ck_assert_uint_eq(f->id, 2);
	kf_flow_table_free(t);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("flow");
	TCase *tc = tcase_create("table");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_find_both_directions);
	tcase_add_test(tc, t_capacity_evicts_oldest);
	tcase_add_test(tc, t_idle_flows_expire);
	tcase_add_test(tc, t_many_flows_bounded);
	tcase_add_test(tc, t_remove_then_reinsert);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
