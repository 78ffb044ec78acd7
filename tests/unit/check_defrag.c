/* check_defrag.c - IP fragment reassembly: order, overlaps, timeouts, caps. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "defrag.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

#define MAX_INC 8

struct inc_log {
	size_t count;
	struct {
		struct kf_frag_key key;
		uint64_t first_frame, last_frame;
		uint32_t nfrags;
		uint8_t first[256];
		size_t first_n;
	} last[MAX_INC]; /* the first MAX_INC reports */
};

static void on_inc(void *ctx, const struct kf_frag_incomplete *inc)
{
	struct inc_log *log = ctx;
	if (log->count < MAX_INC) {
		ck_assert_ptr_nonnull(inc->key);
		log->last[log->count].key = *inc->key;
		log->last[log->count].first_frame = inc->first_frame;
		log->last[log->count].last_frame = inc->last_frame;
		log->last[log->count].nfrags = inc->nfrags;
		size_t n = inc->first_frag.n < 256 ? inc->first_frag.n : 256;
		if (n)
			memcpy(log->last[log->count].first, inc->first_frag.p, n);
		log->last[log->count].first_n = inc->first_frag.n;
	}
	log->count++;
}

static struct kf_frag_key key4(uint32_t src, uint32_t dst, uint32_t id, uint8_t proto)
{
	struct kf_frag_key k;
	memset(&k, 0, sizeof k);
	k.version = 4;
	k.proto = proto;
	for (int i = 0; i < 4; i++) {
		k.src[i] = (uint8_t)(src >> (24 - 8 * i));
		k.dst[i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	k.id = id;
	return k;
}

static struct kf_frag_key key6(uint8_t src_last, uint32_t id)
{
	struct kf_frag_key k;
	memset(&k, 0, sizeof k);
	k.version = 6;
	k.proto = 17;
	k.src[0] = 0x20;
	k.src[1] = 0x01;
	k.src[15] = src_last;
	k.dst[0] = 0x20;
	k.dst[1] = 0x01;
	k.dst[15] = 0x99;
	k.id = id;
	return k;
}

static void fill(uint8_t *buf, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (uint8_t)(i * 31u + seed * 7u + (i >> 8));
}

static unsigned count_ev(const struct kf_events *ev, enum kf_event e)
{
	unsigned c = 0;
	for (unsigned i = 0; i < ev->n; i++)
		c += ev->ev[i] == e;
	return c;
}

/* Feed fragment [off, off+len) of payload. */
static enum kf_defrag_result feed(struct kf_defrag *d, const struct kf_frag_key *k, uint64_t ts,
				  uint64_t frame, const uint8_t *payload, uint32_t off, uint32_t len,
				  bool more, struct kf_span *out, uint32_t *nf, struct kf_events *ev)
{
	return kf_defrag_add(d, k, ts, frame, off, more, kf_span_make(payload + off, len), out, nf, ev);
}

static struct kf_defrag *new_engine(struct inc_log *log)
{
	memset(log, 0, sizeof(*log));
	struct kf_defrag *d = kf_defrag_new(on_inc, log);
	ck_assert_ptr_nonnull(d);
	return d;
}

/* ---- ordering ----------------------------------------------------------- */

START_TEST(t_in_order)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key k = key4(0x0a000001, 0x0a000002, 0x1234, 17);
	uint8_t p[3000];
	fill(p, sizeof p, 1);
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf = 99;

	ck_assert_int_eq(feed(d, &k, 0, 1, p, 0, 1480, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_uint_eq(out.n, 0);
	ck_assert_uint_eq(kf_defrag_pending(d), 1);
	ck_assert_int_eq(feed(d, &k, 1, 2, p, 1480, 1480, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_int_eq(feed(d, &k, 2, 3, p, 2960, 40, false, &out, &nf, &ev), KF_DEFRAG_DONE);
	ck_assert_uint_eq(out.n, sizeof p);
	ck_assert_mem_eq(out.p, p, sizeof p);
	ck_assert_uint_eq(nf, 3);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_uint_eq(kf_defrag_pending(d), 0);
	kf_defrag_flush(d, &ev);
	ck_assert_uint_eq(log.count, 0);
	kf_defrag_free(d);
}
END_TEST

START_TEST(t_reversed)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key k = key4(0x0a000001, 0x0a000002, 7, 17);
	uint8_t p[4000];
	fill(p, sizeof p, 2);
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf = 0;

	ck_assert_int_eq(feed(d, &k, 0, 1, p, 3000, 1000, false, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_int_eq(feed(d, &k, 0, 2, p, 2000, 1000, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_int_eq(feed(d, &k, 0, 3, p, 1000, 1000, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_int_eq(feed(d, &k, 0, 4, p, 0, 1000, true, &out, &nf, &ev), KF_DEFRAG_DONE);
	ck_assert_uint_eq(out.n, sizeof p);
	ck_assert_mem_eq(out.p, p, sizeof p);
	ck_assert_uint_eq(nf, 4);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_uint_eq(kf_defrag_pending(d), 0);
	kf_defrag_free(d);
}
END_TEST

START_TEST(t_unfragmented)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key k = key4(1, 2, 3, 6);
	uint8_t p[100];
	fill(p, sizeof p, 3);
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf = 0;
	ck_assert_int_eq(feed(d, &k, 0, 1, p, 0, 100, false, &out, &nf, &ev), KF_DEFRAG_DONE);
	ck_assert_ptr_eq(out.p, p);
	ck_assert_uint_eq(out.n, 100);
	ck_assert_uint_eq(nf, 1);
	ck_assert_uint_eq(kf_defrag_pending(d), 0);
	kf_defrag_free(d);
}
END_TEST

/* Four datagrams that differ in one key field each, fragments interleaved. */
START_TEST(t_interleaved)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key k[4] = {
		key4(0x0a000001, 0x0a000002, 42, 17), key4(0x0a000001, 0x0a000002, 43, 17), /* other id */
		key4(0x0a000003, 0x0a000002, 42, 17),                                       /* other src */
		key4(0x0a000001, 0x0a000002, 42, 6),                                        /* other proto */
	};
	uint8_t p[4][900];
	for (int i = 0; i < 4; i++)
		fill(p[i], sizeof p[i], 10 + (uint32_t)i);
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf;
	uint64_t frame = 1;
	/* fragment j of each datagram in turn: [0,300) [300,600) [600,900) */
	for (int j = 0; j < 3; j++) {
		for (int i = 0; i < 4; i++) {
			int jj = (i % 2) ? 2 - j : j; /* odd datagrams arrive reversed */
			enum kf_defrag_result r = feed(d, &k[i], frame, frame, p[i], (uint32_t)jj * 300, 300,
						       jj != 2, &out, &nf, &ev);
			frame++;
			if (j < 2) {
				ck_assert_int_eq(r, KF_DEFRAG_PENDING);
				continue;
			}
			ck_assert_int_eq(r, KF_DEFRAG_DONE);
			ck_assert_uint_eq(out.n, 900);
			ck_assert_mem_eq(out.p, p[i], 900);
			ck_assert_uint_eq(nf, 3);
		}
		ck_assert_uint_eq(kf_defrag_pending(d), j < 2 ? 4 : 0);
	}
	ck_assert_uint_eq(ev.n, 0);
	kf_defrag_free(d);
}
END_TEST

/* ---- duplicates and overlaps --------------------------------------------- */

START_TEST(t_duplicate)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key k = key4(1, 2, 3, 17);
	uint8_t p[64];
	fill(p, sizeof p, 4);
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf;
	ck_assert_int_eq(feed(d, &k, 0, 1, p, 0, 32, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_int_eq(feed(d, &k, 0, 2, p, 0, 32, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_OVERLAP), 1);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_OVERLAP_DIFFERS), 0);
	ck_assert_int_eq(feed(d, &k, 0, 3, p, 32, 32, false, &out, &nf, &ev), KF_DEFRAG_DONE);
	ck_assert_uint_eq(out.n, 64);
	ck_assert_mem_eq(out.p, p, 64);
	ck_assert_uint_eq(nf, 3); /* duplicates count as fragments seen */
	/* the datagram's fragments again after completion (a capture point that
	 * sees packets twice): dropped as duplicates, no datagram left pending
	 * that could never complete (issue 18) */
	ck_assert_int_eq(feed(d, &k, 0, 4, p, 32, 32, false, &out, &nf, &ev), KF_DEFRAG_DROPPED);
	ck_assert_int_eq(feed(d, &k, 0, 5, p, 0, 32, true, &out, &nf, &ev), KF_DEFRAG_DROPPED);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_DUPLICATE), 2);
	ck_assert_uint_eq(kf_defrag_pending(d), 0);
	/* the same id with other bytes is another datagram (an id reused) */
	uint8_t q[32];
	fill(q, sizeof q, 9);
	ck_assert_int_eq(feed(d, &k, 0, 6, q, 0, 32, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_uint_eq(kf_defrag_pending(d), 1);
	/* past the timeout the first bytes again start a datagram */
	ck_assert_int_eq(feed(d, &k, KF_LIMIT_FRAG_TIMEOUT_US + 1, 7, p, 0, 32, true, &out, &nf, &ev),
			 KF_DEFRAG_PENDING);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_DUPLICATE), 2);
	kf_defrag_free(d);
}
END_TEST

START_TEST(t_overlap_same)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key k = key4(1, 2, 3, 17);
	uint8_t p[48];
	fill(p, sizeof p, 5);
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf;
	ck_assert_int_eq(feed(d, &k, 0, 1, p, 0, 24, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_int_eq(feed(d, &k, 0, 2, p, 16, 32, false, &out, &nf, &ev), KF_DEFRAG_DONE);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_OVERLAP), 1);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_OVERLAP_DIFFERS), 0);
	ck_assert_uint_eq(out.n, 48);
	ck_assert_mem_eq(out.p, p, 48);
	kf_defrag_free(d);
}
END_TEST

START_TEST(t_overlap_differs)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key k = key4(1, 2, 3, 17);
	uint8_t first[40], second[40], want[40];
	fill(first, sizeof first, 6);
	memset(second, 0xEE, sizeof second);
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf;
	/* held: [0,8) [16,24) and the last fragment [32,40) */
	ck_assert_int_eq(feed(d, &k, 0, 1, first, 0, 8, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_int_eq(feed(d, &k, 0, 2, first, 16, 8, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_int_eq(feed(d, &k, 0, 3, first, 32, 8, false, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_uint_eq(ev.n, 0);
	/* one fragment covering everything with other bytes: only the holes
	 * [8,16) and [24,32) are taken from it */
	ck_assert_int_eq(feed(d, &k, 0, 4, second, 0, 40, false, &out, &nf, &ev), KF_DEFRAG_DONE);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_OVERLAP_DIFFERS), 1);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_OVERLAP), 0);
	memcpy(want, first, sizeof want);
	memset(want + 8, 0xEE, 8);
	memset(want + 24, 0xEE, 8);
	ck_assert_uint_eq(out.n, 40);
	ck_assert_mem_eq(out.p, want, 40);
	ck_assert_uint_eq(nf, 4);
	kf_defrag_free(d);
}
END_TEST

/* A fragment that contradicts the end set by the first last fragment. */
START_TEST(t_end_conflict)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key k = key4(1, 2, 3, 17);
	uint8_t p[64];
	fill(p, sizeof p, 7);
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf;
	ck_assert_int_eq(feed(d, &k, 0, 1, p, 16, 16, false, &out, &nf, &ev), KF_DEFRAG_PENDING);
	/* second last fragment with another end */
	ck_assert_int_eq(feed(d, &k, 0, 2, p, 16, 32, false, &out, &nf, &ev), KF_DEFRAG_DROPPED);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_IP_MALFORMED), 1);
	/* data past the known end */
	ck_assert_int_eq(feed(d, &k, 0, 3, p, 24, 16, true, &out, &nf, &ev), KF_DEFRAG_DROPPED);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_IP_MALFORMED), 2);
	ck_assert_int_eq(feed(d, &k, 0, 4, p, 0, 16, true, &out, &nf, &ev), KF_DEFRAG_DONE);
	ck_assert_uint_eq(out.n, 32);
	ck_assert_mem_eq(out.p, p, 32);
	ck_assert_uint_eq(nf, 2);

	/* a last fragment ending below bytes already held */
	kf_events_clear(&ev);
	ck_assert_int_eq(feed(d, &k, 0, 5, p, 32, 32, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_int_eq(feed(d, &k, 0, 6, p, 16, 16, false, &out, &nf, &ev), KF_DEFRAG_DROPPED);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_IP_MALFORMED), 1);
	kf_defrag_free(d);
}
END_TEST

/* ---- timeouts and flush ---------------------------------------------------- */

START_TEST(t_timeout_ports)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key k = key4(0xc0a80001, 0xc0a80002, 0xbeef, 17);
	uint8_t p[3000];
	fill(p, sizeof p, 8);
	/* UDP header: 88 -> 50000 */
	p[0] = 0;
	p[1] = 88;
	p[2] = 0xc3;
	p[3] = 0x50;
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf;
	const uint64_t t0 = 1000000000ull;
	ck_assert_int_eq(feed(d, &k, t0, 10, p, 0, 1480, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_int_eq(feed(d, &k, t0 + 1000000, 11, p, 1480, 1480, true, &out, &nf, &ev),
			 KF_DEFRAG_PENDING);
	/* the last fragment never comes; another datagram just before the timeout */
	struct kf_frag_key other = key4(0xc0a80009, 0xc0a80002, 1, 17);
	ck_assert_int_eq(
		feed(d, &other, t0 + KF_LIMIT_FRAG_TIMEOUT_US - 1, 12, p, 8, 8, true, &out, &nf, &ev),
		KF_DEFRAG_PENDING);
	ck_assert_uint_eq(log.count, 0);
	ck_assert_uint_eq(kf_defrag_pending(d), 2);
	ck_assert_uint_eq(ev.n, 0);
	/* time passes */
	ck_assert_int_eq(feed(d, &other, t0 + KF_LIMIT_FRAG_TIMEOUT_US, 13, p, 16, 8, true, &out, &nf, &ev),
			 KF_DEFRAG_PENDING);
	ck_assert_uint_eq(log.count, 1);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_TIMEOUT), 1);
	ck_assert_uint_eq(kf_defrag_pending(d), 1);
	ck_assert_uint_eq(log.last[0].key.version, 4);
	ck_assert_uint_eq(log.last[0].key.id, 0xbeef);
	ck_assert_uint_eq(log.last[0].key.proto, 17);
	ck_assert_mem_eq(log.last[0].key.src, k.src, 16);
	ck_assert_mem_eq(log.last[0].key.dst, k.dst, 16);
	ck_assert_uint_eq(log.last[0].first_frame, 10);
	ck_assert_uint_eq(log.last[0].last_frame, 11);
	ck_assert_uint_eq(log.last[0].nfrags, 2);
	ck_assert_uint_eq(log.last[0].first_n, 1480);
	uint16_t sport = (uint16_t)(log.last[0].first[0] << 8 | log.last[0].first[1]);
	uint16_t dport = (uint16_t)(log.last[0].first[2] << 8 | log.last[0].first[3]);
	ck_assert_uint_eq(sport, 88);
	ck_assert_uint_eq(dport, 50000);
	ck_assert_mem_eq(log.last[0].first, p, 256);

	/* a late last fragment of the expired datagram starts afresh */
	ck_assert_int_eq(feed(d, &k, t0 + KF_LIMIT_FRAG_TIMEOUT_US, 14, p, 2960, 40, false, &out, &nf, &ev),
			 KF_DEFRAG_PENDING);
	ck_assert_uint_eq(kf_defrag_pending(d), 2);

	/* flush reports both; the one without offset 0 has no first_frag */
	kf_events_clear(&ev);
	kf_defrag_flush(d, &ev);
	ck_assert_uint_eq(kf_defrag_pending(d), 0);
	ck_assert_uint_eq(log.count, 3);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_TIMEOUT), 2);
	ck_assert_uint_eq(log.last[1].key.id, 1);
	ck_assert_uint_eq(log.last[1].first_n, 0);
	ck_assert_uint_eq(log.last[1].nfrags, 2);
	ck_assert_uint_eq(log.last[2].key.id, 0xbeef);
	ck_assert_uint_eq(log.last[2].first_frame, 14);
	ck_assert_uint_eq(log.last[2].first_n, 0);
	kf_defrag_free(d);
}
END_TEST

/* The offset-0 fragment arrived after a fragment overlapping its tail: the
 * reported first_frag is still the offset-0 fragment's full extent. */
START_TEST(t_timeout_first_frag_overlapped)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key k = key6(1, 77);
	uint8_t p[200];
	fill(p, sizeof p, 9);
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf;
	ck_assert_int_eq(feed(d, &k, 0, 1, p, 8, 100, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_int_eq(feed(d, &k, 0, 2, p, 0, 48, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	kf_defrag_flush(d, &ev);
	ck_assert_uint_eq(log.count, 1);
	ck_assert_uint_eq(log.last[0].first_n, 48);
	ck_assert_mem_eq(log.last[0].first, p, 48);
	ck_assert_uint_eq(log.last[0].key.version, 6);
	kf_defrag_free(d);
}
END_TEST

/* ---- keys ----------------------------------------------------------------- */

START_TEST(t_ipv6_keys)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key a = key6(1, 5), b = key6(2, 5);
	uint8_t pa[100], pb[100];
	fill(pa, sizeof pa, 11);
	fill(pb, sizeof pb, 12);
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf;
	ck_assert_int_eq(feed(d, &a, 0, 1, pa, 0, 56, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_int_eq(feed(d, &b, 0, 2, pb, 0, 56, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_uint_eq(kf_defrag_pending(d), 2);
	/* same bytes as an IPv4 key: a different datagram */
	struct kf_frag_key a4 = a;
	a4.version = 4;
	ck_assert_int_eq(feed(d, &a4, 0, 3, pa, 56, 44, false, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_uint_eq(kf_defrag_pending(d), 3);
	ck_assert_int_eq(feed(d, &b, 0, 4, pb, 56, 44, false, &out, &nf, &ev), KF_DEFRAG_DONE);
	ck_assert_mem_eq(out.p, pb, 100);
	ck_assert_int_eq(feed(d, &a, 0, 5, pa, 56, 44, false, &out, &nf, &ev), KF_DEFRAG_DONE);
	ck_assert_mem_eq(out.p, pa, 100);
	ck_assert_uint_eq(ev.n, 0);
	ck_assert_uint_eq(kf_defrag_pending(d), 1);
	kf_defrag_free(d);
}
END_TEST

/* IPv4 keys ignore whatever the caller left past the fourth address byte. */
START_TEST(t_ipv4_key_tail_ignored)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key a = key4(1, 2, 3, 17), b = a;
	memset(b.src + 4, 0xAA, 12);
	memset(b.dst + 4, 0x55, 12);
	uint8_t p[16];
	fill(p, sizeof p, 13);
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf;
	ck_assert_int_eq(feed(d, &a, 0, 1, p, 0, 8, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_int_eq(feed(d, &b, 0, 2, p, 8, 8, false, &out, &nf, &ev), KF_DEFRAG_DONE);
	ck_assert_mem_eq(out.p, p, 16);
	kf_defrag_free(d);
}
END_TEST

/* ---- size limits and caps ----------------------------------------------- */

START_TEST(t_too_big)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key k = key4(1, 2, 3, 17);
	static uint8_t p[70000];
	fill(p, sizeof p, 14);
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf;
	/* ends exactly at 65535: fine */
	ck_assert_int_eq(feed(d, &k, 0, 1, p, 65000, 535, false, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_uint_eq(ev.n, 0);
	/* one byte more */
	ck_assert_int_eq(feed(d, &k, 0, 2, p, 65000, 536, false, &out, &nf, &ev), KF_DEFRAG_DROPPED);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_TOO_BIG), 1);
	/* max IPv4 offset (8191 * 8) plus a normal fragment */
	ck_assert_int_eq(feed(d, &k, 0, 3, p, 65528, 16, true, &out, &nf, &ev), KF_DEFRAG_DROPPED);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_TOO_BIG), 2);
	/* a huge fragment, and an offset that would overflow 32 bits */
	ck_assert_int_eq(feed(d, &k, 0, 4, p, 0, 70000, true, &out, &nf, &ev), KF_DEFRAG_DROPPED);
	ck_assert_int_eq(kf_defrag_add(d, &k, 0, 5, UINT32_MAX - 4, true, kf_span_make(p, 8), &out, &nf, &ev),
			 KF_DEFRAG_DROPPED);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_TOO_BIG), 4);
	/* the rest completes a 65535-byte datagram */
	kf_events_clear(&ev);
	ck_assert_int_eq(feed(d, &k, 0, 6, p, 0, 65000, true, &out, &nf, &ev), KF_DEFRAG_DONE);
	ck_assert_uint_eq(out.n, 65535);
	ck_assert_mem_eq(out.p, p, 65535);
	ck_assert_uint_eq(ev.n, 0);
	kf_defrag_free(d);
}
END_TEST

/* A million fragments of datagrams that never complete: the table stays at
 * the cap, the oldest is evicted (and reported) each time. */
START_TEST(t_datagram_cap)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	uint8_t p[16];
	fill(p, sizeof p, 15);
	struct kf_events ev;
	struct kf_span out;
	uint32_t nf;
	const uint32_t total = 1000000;
	unsigned limits = 0;
	for (uint32_t i = 0; i < total; i++) {
		struct kf_frag_key k = key4(0x0a000000 | (i >> 16), 0x0a0000ff, i & 0xffff, 17);
		kf_events_clear(&ev);
		enum kf_defrag_result r =
			kf_defrag_add(d, &k, 5, i + 1, 8, true, kf_span_make(p, 8), &out, &nf, &ev);
		ck_assert_int_eq(r, KF_DEFRAG_PENDING);
		limits += count_ev(&ev, KF_EV_FRAG_LIMIT);
		ck_assert_uint_le(kf_defrag_pending(d), KF_LIMIT_FRAG_DATAGRAMS);
	}
	ck_assert_uint_eq(kf_defrag_pending(d), KF_LIMIT_FRAG_DATAGRAMS);
	ck_assert_uint_eq(limits, total - KF_LIMIT_FRAG_DATAGRAMS);
	ck_assert_uint_eq(log.count, total - KF_LIMIT_FRAG_DATAGRAMS);
	/* evicted in arrival order: the first report is datagram 0 */
	ck_assert_uint_eq(log.last[0].key.id, 0);
	ck_assert_uint_eq(log.last[0].first_frame, 1);
	ck_assert_uint_eq(log.last[1].key.id, 1);
	kf_events_clear(&ev);
	kf_defrag_flush(d, &ev);
	ck_assert_uint_eq(log.count, total);
	/* every flushed datagram is accounted for: repeats of one event are
	 * counted on its slot, none is dropped */
	unsigned long flushed = 0;
	for (unsigned i = 0; i < ev.n; i++)
		flushed += 1 + ev.more[i];
	ck_assert_uint_eq(flushed, KF_LIMIT_FRAG_DATAGRAMS);
	ck_assert_uint_eq(ev.dropped, 0);
	kf_defrag_free(d);
}
END_TEST

START_TEST(t_frags_per_dgram_cap)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key k = key4(1, 2, 3, 17);
	static uint8_t p[2048];
	fill(p, sizeof p, 16);
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf;
	/* every other 8-byte block: pieces never merge */
	for (uint32_t i = 0; i < KF_LIMIT_FRAGS_PER_DGRAM; i++)
		ck_assert_int_eq(feed(d, &k, 0, i + 1, p, 16 * i + 16, 8, true, &out, &nf, &ev),
				 KF_DEFRAG_PENDING);
	ck_assert_uint_eq(ev.n, 0);
	/* the 65th piece drops the datagram */
	ck_assert_int_eq(feed(d, &k, 0, 100, p, 0, 8, true, &out, &nf, &ev), KF_DEFRAG_DROPPED);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_LIMIT), 1);
	ck_assert_uint_eq(kf_defrag_pending(d), 0);
	ck_assert_uint_eq(log.count, 1);
	ck_assert_uint_eq(log.last[0].nfrags, KF_LIMIT_FRAGS_PER_DGRAM + 1);
	ck_assert_uint_eq(log.last[0].first_frame, 1);
	ck_assert_uint_eq(log.last[0].last_frame, 100);

	/* duplicates of held pieces add no piece and do not count against it */
	kf_events_clear(&ev);
	for (uint32_t i = 0; i < KF_LIMIT_FRAGS_PER_DGRAM; i++)
		ck_assert_int_eq(feed(d, &k, 0, i + 1, p, 16 * i + 16, 8, true, &out, &nf, &ev),
				 KF_DEFRAG_PENDING);
	for (uint32_t i = 0; i < 10; i++)
		ck_assert_int_eq(feed(d, &k, 0, 200, p, 16, 8, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_LIMIT), 0);
	ck_assert_uint_eq(kf_defrag_pending(d), 1);
	kf_defrag_free(d);
}
END_TEST

/* Large never-completing datagrams: the byte cap evicts the oldest. */
START_TEST(t_bytes_cap)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	enum { S = 40000, T = 65535 - S };
	static uint8_t p[S], tail[T];
	fill(p, sizeof p, 17);
	fill(tail, sizeof tail, 18);
	struct kf_events ev;
	struct kf_span out;
	uint32_t nf;
	const uint32_t fit = KF_LIMIT_FRAG_BYTES_TOTAL / S;        /* 419 */
	ck_assert_uint_lt(KF_LIMIT_FRAG_BYTES_TOTAL - fit * S, T); /* the tail will not fit */
	unsigned limits = 0;
	for (uint32_t i = 0; i < fit + 50; i++) {
		struct kf_frag_key k = key4(1, 2, i, 17);
		kf_events_clear(&ev);
		ck_assert_int_eq(feed(d, &k, 0, i + 1, p, 0, S, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
		limits += count_ev(&ev, KF_EV_FRAG_LIMIT);
		ck_assert_uint_le(kf_defrag_pending(d), fit);
	}
	ck_assert_uint_eq(kf_defrag_pending(d), fit);
	ck_assert_uint_eq(limits, 50);
	ck_assert_uint_eq(log.count, 50);
	ck_assert_uint_eq(log.last[0].key.id, 0);
	ck_assert_uint_eq(log.last[0].first_n, S);
	ck_assert_mem_eq(log.last[0].first, p, 256);

	/* a duplicate adds no bytes, so evicts nothing */
	struct kf_frag_key newest = key4(1, 2, fit + 49, 17);
	kf_events_clear(&ev);
	ck_assert_int_eq(feed(d, &newest, 0, 999, p, 0, S - 8, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_uint_eq(ev.n, 1);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_OVERLAP), 1);
	/* growing the newest datagram evicts the oldest one, not itself */
	kf_events_clear(&ev);
	ck_assert_int_eq(kf_defrag_add(d, &newest, 0, 1000, S, false, kf_span_make(tail, T), &out, &nf, &ev),
			 KF_DEFRAG_DONE);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_LIMIT), 1);
	ck_assert_uint_eq(log.count, 51);
	ck_assert_uint_eq(log.last[0].key.id, 0);
	ck_assert_uint_eq(out.n, 65535);
	ck_assert_mem_eq(out.p, p, S);
	ck_assert_mem_eq(out.p + S, tail, T);
	ck_assert_uint_eq(nf, 3);
	ck_assert_uint_eq(kf_defrag_pending(d), fit - 2);
	kf_defrag_free(d);
}
END_TEST

/* ---- allocation failure ------------------------------------------------- */

START_TEST(t_nomem_new)
{
	for (unsigned long n = 1; n <= 3; n++) {
		kf_alloc_fail_after(n);
		struct kf_defrag *d = kf_defrag_new(NULL, NULL);
		ck_assert_ptr_null(d);
	}
	kf_alloc_fail_after(0);
}
END_TEST

/* Fail the n-th allocation while feeding; after NOMEM the caller may feed
 * the same fragment again and the datagram still completes exactly. */
START_TEST(t_nomem_add)
{
	uint8_t p[400];
	fill(p, sizeof p, 19);
	static const uint32_t offs[][2] = { { 300, 100 }, { 100, 100 }, { 50, 250 }, { 0, 100 } };
	for (unsigned long fail = 1; fail <= 8; fail++) {
		struct inc_log log;
		struct kf_defrag *d = new_engine(&log);
		struct kf_frag_key k = key4(1, 2, 3, 17);
		struct kf_events ev = { 0 };
		struct kf_span out;
		uint32_t nf = 0;
		enum kf_defrag_result r = KF_DEFRAG_PENDING;
		unsigned nomem = 0;
		kf_alloc_fail_after(fail);
		for (size_t i = 0; i < 4; i++) {
			r = feed(d, &k, 0, i + 1, p, offs[i][0], offs[i][1], offs[i][0] != 300, &out, &nf,
				 &ev);
			if (r == KF_DEFRAG_NOMEM) {
				nomem++;
				r = feed(d, &k, 0, i + 1, p, offs[i][0], offs[i][1], offs[i][0] != 300, &out,
					 &nf, &ev);
			}
			ck_assert_int_ne(r, KF_DEFRAG_NOMEM);
		}
		kf_alloc_fail_after(0);
		ck_assert_int_eq(r, KF_DEFRAG_DONE);
		ck_assert_uint_eq(out.n, 400);
		ck_assert_mem_eq(out.p, p, 400);
		ck_assert_uint_le(nomem, 1);
		ck_assert_uint_eq(kf_defrag_pending(d), 0);
		kf_defrag_free(d);
	}
}
END_TEST

START_TEST(t_bad_args)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key k = key4(1, 2, 3, 17);
	k.version = 5;
	uint8_t p[8] = { 0 };
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf;
	ck_assert_int_eq(feed(d, &k, 0, 1, p, 0, 8, true, &out, &nf, &ev), KF_DEFRAG_DROPPED);
	ck_assert_uint_eq(kf_defrag_pending(d), 0);
	ck_assert_uint_eq(kf_defrag_pending(NULL), 0);
	kf_defrag_flush(NULL, &ev);
	kf_defrag_free(NULL);
	kf_defrag_free(d);
}
END_TEST

/* Random fragments of a few datagrams whose copies always agree: every
 * completed datagram must be exactly its payload, and the table stays
 * bounded.  Time advances so some datagrams also time out. */
static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

START_TEST(t_random_fragments)
{
	rng_state = 0xF00Dull + (uint64_t)_i;
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	enum { NKEYS = 8 };
	static uint8_t payload[NKEYS][65535];
	uint32_t len[NKEYS];
	for (int k = 0; k < NKEYS; k++) {
		len[k] = 1 + rnd() % 65535;
		fill(payload[k], len[k], 100 + (uint32_t)k);
	}
	uint64_t ts = 0;
	unsigned done = 0;
	for (uint32_t step = 0; step < 50000; step++) {
		uint32_t k = rnd() % NKEYS;
		struct kf_frag_key key = k % 2 ? key6((uint8_t)k, 9) : key4(k, 1, 9, 17);
		uint32_t a = rnd() % len[k];
		uint32_t b = a + 1 + rnd() % (rnd() % 2 ? 64 : 8000);
		if (b > len[k] || rnd() % 16 == 0)
			b = len[k];
		if (rnd() % 16 == 0)
			a = 0;
		struct kf_events ev = { 0 };
		struct kf_span out;
		uint32_t nf;
		ts += rnd() % 20000;
		enum kf_defrag_result r = kf_defrag_add(d, &key, ts, step + 1, a, b < len[k],
							kf_span_make(payload[k] + a, b - a), &out, &nf, &ev);
		ck_assert_int_ne(r, KF_DEFRAG_NOMEM);
		ck_assert_uint_eq(count_ev(&ev, KF_EV_FRAG_OVERLAP_DIFFERS), 0);
		ck_assert_uint_eq(count_ev(&ev, KF_EV_IP_MALFORMED), 0);
		if (r == KF_DEFRAG_DONE) {
			ck_assert_uint_eq(out.n, len[k]);
			ck_assert_mem_eq(out.p, payload[k], len[k]);
			ck_assert_uint_ge(nf, 1);
			done++;
		}
		ck_assert_uint_le(kf_defrag_pending(d), NKEYS);
	}
	ck_assert_uint_gt(done, 10);
	struct kf_events ev = { 0 };
	kf_defrag_flush(d, &ev);
	ck_assert_uint_eq(kf_defrag_pending(d), 0);
	ck_assert_uint_gt(log.count, 0); /* some timed out (or were cut by caps) */
	kf_defrag_free(d);
}
END_TEST

/* Capture timestamps that go backwards do not expire anything early. */
START_TEST(t_time_backwards)
{
	struct inc_log log;
	struct kf_defrag *d = new_engine(&log);
	struct kf_frag_key k = key4(1, 2, 3, 17);
	uint8_t p[32];
	fill(p, sizeof p, 20);
	struct kf_events ev = { 0 };
	struct kf_span out;
	uint32_t nf;
	ck_assert_int_eq(feed(d, &k, 5000000000ull, 1, p, 0, 16, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_int_eq(feed(d, &k, 1, 2, p, 16, 8, true, &out, &nf, &ev), KF_DEFRAG_PENDING);
	ck_assert_uint_eq(log.count, 0);
	ck_assert_int_eq(feed(d, &k, 2, 3, p, 24, 8, false, &out, &nf, &ev), KF_DEFRAG_DONE);
	ck_assert_mem_eq(out.p, p, 32);
	kf_defrag_free(d);
}
END_TEST

static Suite *defrag_suite(void)
{
	Suite *s = suite_create("defrag");
	TCase *tc = tcase_create("order");
	tcase_add_test(tc, t_in_order);
	tcase_add_test(tc, t_reversed);
	tcase_add_test(tc, t_unfragmented);
	tcase_add_test(tc, t_interleaved);
	suite_add_tcase(s, tc);

	tc = tcase_create("overlap");
	tcase_add_test(tc, t_duplicate);
	tcase_add_test(tc, t_overlap_same);
	tcase_add_test(tc, t_overlap_differs);
	tcase_add_test(tc, t_end_conflict);
	suite_add_tcase(s, tc);

	tc = tcase_create("timeout");
	tcase_add_test(tc, t_timeout_ports);
	tcase_add_test(tc, t_timeout_first_frag_overlapped);
	tcase_add_test(tc, t_time_backwards);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_test(tc, t_ipv6_keys);
	tcase_add_test(tc, t_ipv4_key_tail_ignored);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, t_too_big);
	tcase_add_test(tc, t_datagram_cap);
	tcase_add_test(tc, t_frags_per_dgram_cap);
	tcase_add_test(tc, t_bytes_cap);
	tcase_add_test(tc, t_nomem_new);
	tcase_add_test(tc, t_nomem_add);
	tcase_add_test(tc, t_bad_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, t_random_fragments, 0, 4);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run(defrag_suite()); }
