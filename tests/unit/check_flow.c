/* check_flow.c - the 5-tuple flow table: lookup both ways, idle and
 * capacity eviction, release callbacks. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "base/limits.h"
#include "flow.h"
#include "net.h"

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

/* ---- tcp.stream: the cases below were checked against tshark 4.0 ---------- */

#define SYN KF_TCP_SYN
#define ACK KF_TCP_ACK
#define RST KF_TCP_RST
#define PSH KF_TCP_PSH

static const uint8_t A_CL[16] = { 10, 0, 0, 1 }, A_SV[16] = { 10, 0, 0, 2 };

/* a segment client → server (to_server) or back, on client port cport */
static uint32_t seg(struct kf_stream_table *t, uint32_t file, uint16_t cport, bool to_server, uint32_t seq,
		    uint32_t ack, uint8_t flags)
{
	return to_server ? kf_stream_number(t, file, 4, A_CL, A_SV, cport, 80, seq, ack, flags)
			 : kf_stream_number(t, file, 4, A_SV, A_CL, 80, cport, seq, ack, flags);
}

START_TEST(t_stream_numbers_like_wireshark)
{
	struct kf_stream_table *t = kf_stream_table_new(0);
	ck_assert_ptr_nonnull(t);
	/* a whole connection, then a new SYN on its ports: a new stream */
	ck_assert_uint_eq(seg(t, 0, 1000, true, 100, 0, SYN), 0);
	ck_assert_uint_eq(seg(t, 0, 1000, false, 500, 101, SYN | ACK), 0);
	ck_assert_uint_eq(seg(t, 0, 1000, true, 101, 501, ACK | KF_TCP_FIN), 0);
	ck_assert_uint_eq(seg(t, 0, 1000, true, 9000, 0, SYN), 1);
	/* a second SYN with another number, nothing closed: new as well */
	ck_assert_uint_eq(seg(t, 0, 1001, true, 100, 0, SYN), 2);
	ck_assert_uint_eq(seg(t, 0, 1001, true, 200, 0, SYN), 3);
	/* a retransmitted SYN: the same */
	ck_assert_uint_eq(seg(t, 0, 1002, true, 100, 0, SYN), 4);
	ck_assert_uint_eq(seg(t, 0, 1002, true, 100, 0, SYN), 4);
	/* a SYN-ACK with another number is never a new stream */
	ck_assert_uint_eq(seg(t, 0, 1004, false, 500, 101, SYN | ACK), 5);
	ck_assert_uint_eq(seg(t, 0, 1004, false, 900, 101, SYN | ACK), 5);
	/* the server's ACK tells the client's base (ack - 1) */
	ck_assert_uint_eq(seg(t, 0, 1005, false, 500, 101, PSH | ACK), 6);
	ck_assert_uint_eq(seg(t, 0, 1005, true, 100, 0, SYN), 6);
	ck_assert_uint_eq(seg(t, 0, 1006, false, 500, 101, PSH | ACK), 7);
	ck_assert_uint_eq(seg(t, 0, 1006, true, 101, 0, SYN), 8);
	/* a first segment without SYN: base is its number minus one */
	ck_assert_uint_eq(seg(t, 0, 1007, true, 100, 0, RST), 9);
	ck_assert_uint_eq(seg(t, 0, 1007, true, 99, 0, SYN), 9);
	ck_assert_uint_eq(seg(t, 0, 1008, true, 100, 0, PSH | ACK), 10);
	ck_assert_uint_eq(seg(t, 0, 1008, true, 100, 0, SYN), 11);
	/* a RST without ACK says nothing of the other side */
	ck_assert_uint_eq(seg(t, 0, 1009, false, 500, 0, RST), 12);
	ck_assert_uint_eq(seg(t, 0, 1009, true, 100, 0, SYN), 12);
	/* the server's own SYN: new only once its side has a base */
	ck_assert_uint_eq(seg(t, 0, 1010, true, 100, 0, SYN), 13);
	ck_assert_uint_eq(seg(t, 0, 1010, false, 500, 0, SYN), 13);
	ck_assert_uint_eq(seg(t, 0, 1010, false, 600, 0, SYN), 14);
	/* an old pair seen again without SYN keeps its number */
	ck_assert_uint_eq(seg(t, 0, 1000, false, 501, 9001, ACK), 1);
	kf_stream_table_free(t);
}
END_TEST

START_TEST(t_stream_numbers_per_file)
{
	struct kf_stream_table *t = kf_stream_table_new(0);
	ck_assert_uint_eq(seg(t, 0, 1000, true, 100, 0, SYN), 0);
	ck_assert_uint_eq(seg(t, 1, 1001, true, 100, 0, SYN), 0); /* file 1 counts on its own */
	ck_assert_uint_eq(seg(t, 1, 1000, true, 101, 0, ACK), 1); /* the same pair, another file */
	ck_assert_uint_eq(seg(t, 0, 1001, true, 100, 0, SYN), 1);
	ck_assert_uint_eq(seg(t, 5, 1000, true, 100, 0, SYN), 0);
	kf_stream_table_free(t);
}
END_TEST

START_TEST(t_stream_table_bounded)
{
	/* past its capacity the least recently seen pair is forgotten; numbers
	 * go on increasing and memory stays bounded */
	struct kf_stream_table *t = kf_stream_table_new(8);
	for (uint32_t i = 0; i < 100; i++)
		ck_assert_uint_eq(seg(t, 0, (uint16_t)(2000 + i), true, 1, 0, SYN), i);
	ck_assert_uint_eq(seg(t, 0, 2099, false, 5, 2, SYN | ACK), 99); /* kept */
	ck_assert_uint_eq(seg(t, 0, 2000, true, 2, 0, ACK), 100);       /* forgotten: renumbered */
	kf_stream_table_free(t);
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
	tcase_add_test(tc, t_stream_numbers_like_wireshark);
	tcase_add_test(tc, t_stream_numbers_per_file);
	tcase_add_test(tc, t_stream_table_bounded);
	suite_add_tcase(s, tc);
	return kf_test_run(s);
}
