/* check_krb_stream.c - Kerberos TCP record framing (RFC 4120 §7.2.2). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "base/limits.h"
#include "krb_stream.h"

/* A fake Kerberos message of exactly n bytes (n >= 6): an AS-REQ tag with a
 * DER length that matches, then filler; body byte i is (seed + i). */
static size_t fake_msg(uint8_t *p, size_t n, uint8_t seed)
{
	size_t body = n - 6;
	p[0] = 0x6a; /* [APPLICATION 10] constructed */
	p[1] = 0x84;
	p[2] = (uint8_t)(body >> 24);
	p[3] = (uint8_t)(body >> 16);
	p[4] = (uint8_t)(body >> 8);
	p[5] = (uint8_t)body;
	for (size_t i = 6; i < n; i++)
		p[i] = (uint8_t)(seed + i);
	return n;
}

/* Append a record (mark + message) to buf at *len. */
static void put_record(uint8_t *buf, size_t *len, size_t msglen, uint8_t seed)
{
	buf[*len] = (uint8_t)(msglen >> 24);
	buf[*len + 1] = (uint8_t)(msglen >> 16);
	buf[*len + 2] = (uint8_t)(msglen >> 8);
	buf[*len + 3] = (uint8_t)msglen;
	fake_msg(buf + *len + 4, msglen, seed);
	*len += 4 + msglen;
}

struct big_seen;

struct got {
	int n;
	size_t len[16];
	uint8_t seed[16];
	uint64_t first_frame[16];
	bool intact[16];
	struct big_seen *big;
};

static void on_rec(void *ctx, struct kf_span rec, uint64_t first_frame)
{
	struct got *g = ctx;
	if (g->n >= 16)
		return;
	g->len[g->n] = rec.n;
	g->first_frame[g->n] = first_frame;
	uint8_t seed = rec.n > 6 ? (uint8_t)(rec.p[6] - 6) : 0;
	g->seed[g->n] = seed;
	bool ok = rec.n >= 6 && rec.p[0] == 0x6a;
	for (size_t i = 6; ok && i < rec.n; i++)
		ok = rec.p[i] == (uint8_t)(seed + i);
	g->intact[g->n] = ok;
	g->n++;
}

static uint8_t stream[3 * 70000];

START_TEST(t_many_records_in_one_delivery)
{
	size_t len = 0;
	put_record(stream, &len, 100, 1);
	put_record(stream, &len, 200, 2);
	put_record(stream, &len, 50, 3);
	struct kf_krb_stream s;
	kf_krb_stream_init(&s);
	struct got g = { 0 };
	struct kf_events ev = { 0 };
	kf_krb_stream_data(&s, kf_span_make(stream, len), 7, on_rec, &g, &ev);
	ck_assert_int_eq(g.n, 3);
	ck_assert_uint_eq(g.len[0], 100);
	ck_assert_uint_eq(g.len[1], 200);
	ck_assert_uint_eq(g.len[2], 50);
	for (int i = 0; i < 3; i++) {
		ck_assert(g.intact[i]);
		ck_assert_uint_eq(g.seed[i], (unsigned)(i + 1));
		ck_assert_uint_eq(g.first_frame[i], 7);
	}
	ck_assert(!kf_krb_stream_pending(&s));
	ck_assert_int_eq(ev.n, 0);
	kf_krb_stream_free(&s);
}
END_TEST

/* Every way of cutting the stream into two deliveries (marks split too). */
START_TEST(t_every_split_point)
{
	size_t len = 0;
	put_record(stream, &len, 40, 1);
	put_record(stream, &len, 30, 2);
	for (size_t cut = 0; cut <= len; cut++) {
		struct kf_krb_stream s;
		kf_krb_stream_init(&s);
		struct got g = { 0 };
		struct kf_events ev = { 0 };
		kf_krb_stream_data(&s, kf_span_make(stream, cut), 1, on_rec, &g, &ev);
		kf_krb_stream_data(&s, kf_span_make(stream + cut, len - cut), 2, on_rec, &g, &ev);
		ck_assert_msg(g.n == 2, "cut %zu: %d records", cut, g.n);
		ck_assert(g.intact[0] && g.intact[1]);
		ck_assert_uint_eq(g.len[0], 40);
		ck_assert_uint_eq(g.len[1], 30);
		/* a record is attributed to the frame where it began */
		ck_assert_uint_eq(g.first_frame[0], cut > 0 ? 1 : 2);
		ck_assert_uint_eq(g.first_frame[1], cut > 44 ? 1 : 2);
		ck_assert(!kf_krb_stream_pending(&s));
		kf_krb_stream_free(&s);
	}
}
END_TEST

/* Byte by byte, and a record far larger than 16 KiB (big PACs). */
START_TEST(t_large_record_byte_by_byte)
{
	size_t len = 0;
	put_record(stream, &len, 65000, 9);
	put_record(stream, &len, 10, 4);
	struct kf_krb_stream s;
	kf_krb_stream_init(&s);
	struct got g = { 0 };
	struct kf_events ev = { 0 };
	for (size_t i = 0; i < len; i++)
		kf_krb_stream_data(&s, kf_span_make(stream + i, 1), i + 1, on_rec, &g, &ev);
	ck_assert_int_eq(g.n, 2);
	ck_assert_uint_eq(g.len[0], 65000);
	ck_assert(g.intact[0]);
	ck_assert_uint_eq(g.first_frame[0], 1);
	ck_assert_uint_eq(g.first_frame[1], 65005);
	kf_krb_stream_free(&s);
}
END_TEST

/* A mark above the cap is skipped without buffering; framing stays in step. */
START_TEST(t_oversized_record_skipped)
{
	size_t len = 0;
	uint32_t big = KF_LIMIT_KRB_RECORD + 1;
	uint8_t mark[4] = { (uint8_t)(big >> 24), (uint8_t)(big >> 16), (uint8_t)(big >> 8), (uint8_t)big };
	struct kf_krb_stream s;
	kf_krb_stream_init(&s);
	struct got g = { 0 };
	struct kf_events ev = { 0 };
	kf_krb_stream_data(&s, kf_span_make(mark, 4), 1, on_rec, &g, &ev);
	static uint8_t zeros[65536];
	for (uint32_t left = big; left;) {
		uint32_t k = left < sizeof zeros ? left : (uint32_t)sizeof zeros;
		kf_krb_stream_data(&s, kf_span_make(zeros, k), 2, on_rec, &g, &ev);
		left -= k;
	}
	put_record(stream, &len, 20, 5);
	kf_krb_stream_data(&s, kf_span_make(stream, len), 3, on_rec, &g, &ev);
	ck_assert_int_eq(g.n, 1);
	ck_assert_uint_eq(g.len[0], 20);
	ck_assert_uint_eq(ev.n, 1);
	ck_assert_uint_eq(ev.ev[0], KF_EV_KRB_RECORD_TOO_BIG);
	ck_assert(s.cap < 65536); /* never buffered the big one */
	kf_krb_stream_free(&s);
}
END_TEST

/* The reserved high bit of a mark: event, then resync on the next record. */
START_TEST(t_reserved_bit_then_resync)
{
	uint8_t buf[200];
	size_t len = 0;
	buf[len++] = 0x80;
	buf[len++] = 0;
	buf[len++] = 0;
	buf[len++] = 8;
	memset(buf + len, 0xee, 8);
	len += 8;
	put_record(buf, &len, 30, 6);
	struct kf_krb_stream s;
	kf_krb_stream_init(&s);
	struct got g = { 0 };
	struct kf_events ev = { 0 };
	kf_krb_stream_data(&s, kf_span_make(buf, len), 1, on_rec, &g, &ev);
	ck_assert_int_eq(g.n, 1);
	ck_assert_uint_eq(g.len[0], 30);
	ck_assert(g.intact[0]);
	ck_assert_uint_eq(ev.ev[0], KF_EV_KRB_RECORD_RESERVED);
	kf_krb_stream_free(&s);
}
END_TEST

/* A gap inside a record drops it; the next whole record is found again. */
START_TEST(t_gap_inside_record_resyncs)
{
	size_t len = 0;
	put_record(stream, &len, 100, 1);
	size_t second = len;
	put_record(stream, &len, 60, 2);
	struct kf_krb_stream s;
	kf_krb_stream_init(&s);
	struct got g = { 0 };
	struct kf_events ev = { 0 };
	kf_krb_stream_data(&s, kf_span_make(stream, 50), 1, on_rec, &g, &ev);
	kf_krb_stream_gap(&s, 20);
	/* the rest of record 1 (unusable), then record 2 */
	kf_krb_stream_data(&s, kf_span_make(stream + 70, len - 70), 2, on_rec, &g, &ev);
	ck_assert_int_eq(g.n, 1);
	ck_assert_uint_eq(g.len[0], 60);
	ck_assert(g.intact[0]);
	(void)second;
	kf_krb_stream_free(&s);
}
END_TEST

struct big_seen {
	int n;
	uint32_t length;
	uint8_t tag;
	uint64_t frame;
};

static void on_big(void *ctx, uint32_t length, uint8_t tag, uint64_t first_frame)
{
	struct big_seen *b = ((struct got *)ctx)->big;
	b->n++;
	b->length = length;
	b->tag = tag;
	b->frame = first_frame;
}

/* An oversized record is told once, with its first byte, even when that byte
 * comes in a later delivery; a gap before it loses the tag: nothing told. */
START_TEST(t_oversized_record_told)
{
	uint32_t big = KF_LIMIT_KRB_RECORD + 7;
	uint8_t rec[6] = {
		(uint8_t)(big >> 24), (uint8_t)(big >> 16), (uint8_t)(big >> 8), (uint8_t)big, 0x6d, 0
	};
	struct big_seen b = { 0 };
	struct got g = { 0 };
	g.big = &b;
	struct kf_events ev = { 0 };
	struct kf_krb_stream s;
	kf_krb_stream_init(&s);
	s.oversize = on_big;
	kf_krb_stream_data(&s, kf_span_make(rec, 2), 3, on_rec, &g, &ev); /* half a mark */
	kf_krb_stream_data(&s, kf_span_make(rec + 2, 2), 4, on_rec, &g, &ev);
	ck_assert_int_eq(b.n, 0); /* no byte of it yet */
	kf_krb_stream_data(&s, kf_span_make(rec + 4, 2), 5, on_rec, &g, &ev);
	ck_assert_int_eq(b.n, 1);
	ck_assert_uint_eq(b.length, big);
	ck_assert_uint_eq(b.tag, 0x6d);
	ck_assert_uint_eq(b.frame, 3); /* where its mark began */
	kf_krb_stream_data(&s, kf_span_make(rec + 4, 2), 6, on_rec, &g, &ev);
	ck_assert_int_eq(b.n, 1); /* told once */
	kf_krb_stream_free(&s);

	kf_krb_stream_init(&s);
	s.oversize = on_big;
	kf_krb_stream_data(&s, kf_span_make(rec, 4), 1, on_rec, &g, &ev);
	kf_krb_stream_gap(&s, 100);
	kf_krb_stream_data(&s, kf_span_make(rec + 4, 2), 2, on_rec, &g, &ev);
	ck_assert_int_eq(b.n, 1); /* its first byte was lost */
	ck_assert_int_eq(g.n, 0);
	kf_krb_stream_free(&s);
}
END_TEST

/* A gap that falls inside a record being skipped keeps framing in step. */
START_TEST(t_gap_inside_skipped_record)
{
	struct kf_krb_stream s;
	kf_krb_stream_init(&s);
	struct got g = { 0 };
	struct kf_events ev = { 0 };
	uint32_t big = KF_LIMIT_KRB_RECORD + 100;
	uint8_t mark[4] = { (uint8_t)(big >> 24), (uint8_t)(big >> 16), (uint8_t)(big >> 8), (uint8_t)big };
	kf_krb_stream_data(&s, kf_span_make(mark, 4), 1, on_rec, &g, &ev);
	kf_krb_stream_gap(&s, big);
	size_t len = 0;
	put_record(stream, &len, 12, 3);
	kf_krb_stream_data(&s, kf_span_make(stream, len), 2, on_rec, &g, &ev);
	ck_assert_int_eq(g.n, 1);
	ck_assert_uint_eq(g.len[0], 12);
	kf_krb_stream_free(&s);
}
END_TEST

/* Garbage only: nothing delivered, nothing buffered beyond a record. */
START_TEST(t_garbage_never_grows)
{
	struct kf_krb_stream s;
	kf_krb_stream_init(&s);
	struct got g = { 0 };
	struct kf_events ev = { 0 };
	uint8_t junk[4096];
	uint32_t x = 12345;
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof junk; i++) {
			x = x * 1103515245u + 12345u;
			junk[i] = (uint8_t)(x >> 16);
		}
		kf_krb_stream_data(&s, kf_span_make(junk, sizeof junk), (uint64_t)round, on_rec, &g, &ev);
		if (round % 7 == 0)
			kf_krb_stream_gap(&s, 100);
		ck_assert(s.cap <= 4 + (size_t)KF_LIMIT_KRB_RECORD);
	}
	kf_krb_stream_free(&s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("krb_stream");
	TCase *tc = tcase_create("framing");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_many_records_in_one_delivery);
	tcase_add_test(tc, t_every_split_point);
	tcase_add_test(tc, t_large_record_byte_by_byte);
	tcase_add_test(tc, t_oversized_record_skipped);
	tcase_add_test(tc, t_oversized_record_told);
	tcase_add_test(tc, t_reserved_bit_then_resync);
	tcase_add_test(tc, t_gap_inside_record_resyncs);
	tcase_add_test(tc, t_gap_inside_skipped_record);
	tcase_add_test(tc, t_garbage_never_grows);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(suite()); }
