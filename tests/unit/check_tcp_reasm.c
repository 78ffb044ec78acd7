/* check_tcp_reasm.c - TCP stream reassembly: order, retransmission, overlap,
 * wraparound, gaps, caps, and random segment permutations. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "tcp_reasm.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

#define SINK_ITEMS 64

/* Everything delivered: the data bytes concatenated, and the sequence of
 * calls as signed lengths (data > 0, gap < 0), merged nowhere. */
struct sink {
	uint8_t *buf;
	size_t n, cap;
	long items[SINK_ITEMS];
	size_t nitems;
	uint64_t gap_total;
	size_t ngaps;
	const uint8_t *first_ptr; /* pointer of the first data delivery */
};

static void on_data(void *ctx, struct kf_span data, uint32_t gap_len)
{
	struct sink *s = ctx;
	if (gap_len) {
		ck_assert_uint_eq(data.n, 0);
		s->gap_total += gap_len;
		s->ngaps++;
		if (s->nitems < SINK_ITEMS)
			s->items[s->nitems] = -(long)gap_len;
		s->nitems++;
		return;
	}
	ck_assert_uint_gt(data.n, 0);
	ck_assert_ptr_nonnull(data.p);
	if (!s->first_ptr)
		s->first_ptr = data.p;
	if (s->n + data.n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->n + data.n)
			cap *= 2;
		s->buf = realloc(s->buf, cap);
		ck_assert_ptr_nonnull(s->buf);
		s->cap = cap;
	}
	memcpy(s->buf + s->n, data.p, data.n);
	s->n += data.n;
	if (s->nitems < SINK_ITEMS)
		s->items[s->nitems] = (long)data.n;
	s->nitems++;
}

static void sink_reset(struct sink *s)
{
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

static void expect_items(const struct sink *s, const long *want, size_t n)
{
	ck_assert_uint_eq(s->nitems, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(s->items[i] == want[i], "item %zu: got %ld, want %ld", i, s->items[i], want[i]);
}

#define EXPECT_ITEMS(s, ...)                                                                                 \
	do {                                                                                                 \
		static const long want_[] = { __VA_ARGS__ };                                                 \
		expect_items((s), want_, sizeof(want_) / sizeof(want_[0]));                                  \
	} while (0)

static unsigned count_ev(const struct kf_events *ev, enum kf_event e)
{
	unsigned c = 0;
	for (unsigned i = 0; i < ev->n; i++)
		c += ev->ev[i] == e;
	return c;
}

/* The test stream: byte i of every stream is pat(i). */
static uint8_t pat(uint64_t i) { return (uint8_t)(i * 131u + (i >> 8) * 7u + 1u); }

static uint8_t stream[1 << 21];

static void init_stream(void)
{
	for (size_t i = 0; i < sizeof stream; i++)
		stream[i] = pat(i);
}

struct fixture {
	struct kf_reasm_pool pool;
	struct kf_reasm_dir *d;
	struct sink s;
	struct kf_events ev;
	uint32_t base; /* seq of stream offset 0 */
};

static void fx_init(struct fixture *f, uint32_t isn)
{
	memset(f, 0, sizeof(*f));
	f->pool.cap = KF_LIMIT_REASM_TOTAL;
	f->d = kf_reasm_new(&f->pool);
	ck_assert_ptr_nonnull(f->d);
	ck_assert(!kf_reasm_started(f->d));
	kf_reasm_start(f->d, isn, true);
	ck_assert(kf_reasm_started(f->d));
	f->base = isn + 1u;
}

static void fx_done(struct fixture *f)
{
	kf_reasm_free(f->d);
	ck_assert_uint_eq(f->pool.buffered, 0);
	sink_reset(&f->s);
}

/* Feed stream bytes [off, off+n) as one segment. */
static void seg(struct fixture *f, uint64_t off, size_t n)
{
	kf_reasm_segment(f->d, f->base + (uint32_t)off, kf_span_make(stream + off, n), on_data, &f->s,
			 &f->ev);
}

static void seg_bytes(struct fixture *f, uint64_t off, const uint8_t *p, size_t n)
{
	kf_reasm_segment(f->d, f->base + (uint32_t)off, kf_span_make(p, n), on_data, &f->s, &f->ev);
}

static void ack(struct fixture *f, uint64_t off)
{
	kf_reasm_ack(f->d, f->base + (uint32_t)off, on_data, &f->s, &f->ev);
}

static void flush(struct fixture *f) { kf_reasm_flush(f->d, on_data, &f->s, &f->ev); }

/* The sink holds exactly stream bytes [from, from + s.n). */
static void expect_stream_bytes(const struct fixture *f, uint64_t from, size_t n)
{
	ck_assert_uint_eq(f->s.n, n);
	ck_assert_mem_eq(f->s.buf, stream + from, n);
}

/* ---- basic ordering ---------------------------------------------------- */

START_TEST(t_in_order)
{
	struct fixture f;
	fx_init(&f, 1000);
	seg(&f, 0, 10);
	ck_assert_ptr_eq(f.s.first_ptr, stream); /* zero-copy: the packet's own bytes */
	seg(&f, 10, 20);
	EXPECT_ITEMS(&f.s, 10, 20);
	expect_stream_bytes(&f, 0, 30);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 30);
	ck_assert_uint_eq(f.pool.buffered, 0);
	ck_assert_uint_eq(f.ev.n, 0);
	flush(&f);
	EXPECT_ITEMS(&f.s, 10, 20);
	fx_done(&f);
}
END_TEST

START_TEST(t_out_of_order)
{
	struct fixture f;
	fx_init(&f, 5);
	seg(&f, 30, 10);
	seg(&f, 10, 20);
	ck_assert_uint_eq(f.s.nitems, 0);
	ck_assert_uint_eq(f.pool.buffered, 30);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 0);
	seg(&f, 0, 10);
	EXPECT_ITEMS(&f.s, 10, 20, 10);
	ck_assert_ptr_eq(f.s.first_ptr, stream);
	expect_stream_bytes(&f, 0, 40);
	ck_assert_uint_eq(f.pool.buffered, 0);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 40);
	ck_assert_uint_eq(f.ev.n, 0);
	fx_done(&f);
}
END_TEST

START_TEST(t_retransmission)
{
	struct fixture f;
	fx_init(&f, 77);
	seg(&f, 0, 10);
	seg(&f, 0, 10); /* full retransmission */
	seg(&f, 2, 5);  /* inside delivered data */
	EXPECT_ITEMS(&f.s, 10);
	seg(&f, 5, 10); /* partly new: only [10,15) */
	EXPECT_ITEMS(&f.s, 10, 5);
	expect_stream_bytes(&f, 0, 15);
	/* a retransmission with other bytes for delivered data: dropped, the
	 * first copy stands (delivered bytes are not kept to compare) */
	uint8_t other[15];
	memset(other, 0xAB, sizeof other);
	seg_bytes(&f, 0, other, sizeof other);
	expect_stream_bytes(&f, 0, 15);
	/* old data from before the ISN */
	kf_reasm_segment(f.d, f.base - 5, kf_span_make(stream, 5), on_data, &f.s, &f.ev);
	kf_reasm_segment(f.d, f.base - 5, kf_span_make(stream, 25), on_data, &f.s, &f.ev);
	EXPECT_ITEMS(&f.s, 10, 5, 5);
	ck_assert_mem_eq(f.s.buf + 15, stream + 20, 5);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 20);
	ck_assert_uint_eq(f.ev.n, 0);
	fx_done(&f);
}
END_TEST

/* Buffered segments overlapping each other: the first copy wins. */
START_TEST(t_overlap_buffered)
{
	struct fixture f;
	fx_init(&f, 0);
	uint8_t alt[64];
	for (size_t i = 0; i < sizeof alt; i++)
		alt[i] = (uint8_t)~stream[i];
	seg(&f, 10, 10);                 /* [10,20) original */
	seg_bytes(&f, 15, alt + 15, 15); /* [15,30) differs on [15,20) */
	ck_assert_uint_eq(count_ev(&f.ev, KF_EV_TCP_OVERLAP_DIFFERS), 1);
	ck_assert_uint_eq(f.pool.buffered, 20);
	seg(&f, 12, 6); /* same bytes inside: no event, nothing new */
	ck_assert_uint_eq(f.ev.n, 1);
	ck_assert_uint_eq(f.pool.buffered, 20);
	seg(&f, 0, 10);
	EXPECT_ITEMS(&f.s, 10, 10, 10);
	ck_assert_mem_eq(f.s.buf, stream, 20);
	ck_assert_mem_eq(f.s.buf + 20, alt + 20, 10);
	fx_done(&f);
}
END_TEST

/* An in-order segment covering buffered bytes: the buffered copy came first. */
START_TEST(t_overlap_in_order)
{
	struct fixture f;
	fx_init(&f, 0);
	uint8_t alt[64];
	for (size_t i = 0; i < sizeof alt; i++)
		alt[i] = (uint8_t)~stream[i];
	seg(&f, 10, 5);            /* [10,15) */
	seg(&f, 20, 5);            /* [20,25) */
	seg_bytes(&f, 0, alt, 30); /* in order, differs on both buffered ranges */
	EXPECT_ITEMS(&f.s, 10, 5, 5, 5, 5);
	ck_assert_mem_eq(f.s.buf, alt, 10);
	ck_assert_mem_eq(f.s.buf + 10, stream + 10, 5);
	ck_assert_mem_eq(f.s.buf + 15, alt + 15, 5);
	ck_assert_mem_eq(f.s.buf + 20, stream + 20, 5);
	ck_assert_mem_eq(f.s.buf + 25, alt + 25, 5);
	ck_assert_uint_eq(count_ev(&f.ev, KF_EV_TCP_OVERLAP_DIFFERS), 1);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 30);

	/* same situation with identical bytes: no event */
	kf_events_clear(&f.ev);
	seg(&f, 40, 5);
	seg(&f, 30, 20);
	ck_assert_uint_eq(f.ev.n, 0);
	ck_assert_mem_eq(f.s.buf + 30, stream + 30, 20);
	fx_done(&f);
}
END_TEST

START_TEST(t_zero_length)
{
	struct fixture f;
	memset(&f, 0, sizeof f);
	f.pool.cap = KF_LIMIT_REASM_TOTAL;
	f.d = kf_reasm_new(&f.pool);
	kf_reasm_start(f.d, 0, false);
	/* an empty segment does not anchor a mid-stream flow */
	kf_reasm_segment(f.d, 12345, kf_span_make(stream, 0), on_data, &f.s, &f.ev);
	f.base = 50000;
	seg(&f, 0, 10);
	seg(&f, 10, 0);
	kf_reasm_segment(f.d, 1, kf_span_make(NULL, 5), on_data, &f.s, &f.ev);
	EXPECT_ITEMS(&f.s, 10);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 10);
	fx_done(&f);
}
END_TEST

/* ---- sequence numbers ------------------------------------------------- */

START_TEST(t_wraparound)
{
	struct fixture f;
	fx_init(&f, 0xFFFFFFF0u); /* data starts at 0xFFFFFFF1: byte 15 is seq 0 */
	seg(&f, 0, 10);
	seg(&f, 30, 10); /* seq 0x0000000F.. after the wrap */
	seg(&f, 10, 20); /* crosses 0xFFFFFFFF -> 0 */
	EXPECT_ITEMS(&f.s, 10, 20, 10);
	expect_stream_bytes(&f, 0, 40);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 40);
	/* retransmission from before the wrap is still recognised as old */
	kf_reasm_segment(f.d, 0xFFFFFFF1u, kf_span_make(stream, 40), on_data, &f.s, &f.ev);
	EXPECT_ITEMS(&f.s, 10, 20, 10);
	/* ack after the wrap */
	ack(&f, 50);
	EXPECT_ITEMS(&f.s, 10, 20, 10, -10);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 50);
	fx_done(&f);
}
END_TEST

/* A long stream through several wraps: offsets keep growing past 2^32. */
START_TEST(t_multi_wrap)
{
	struct fixture f;
	fx_init(&f, 0x12345678u);
	/* 5 GiB of offsets: mostly acked gaps, a real segment every 256 MiB */
	uint64_t off = 0;
	for (int i = 0; i < 20; i++) {
		seg_bytes(&f, off, stream, 100);
		off += 256ull << 20;
		ack(&f, off);
	}
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 20ull * (256ull << 20));
	ck_assert_uint_eq(f.s.n, 2000);
	ck_assert_uint_eq(f.s.gap_total, 20ull * ((256ull << 20) - 100));
	fx_done(&f);
}
END_TEST

START_TEST(t_midstream)
{
	struct fixture f;
	memset(&f, 0, sizeof f);
	f.pool.cap = KF_LIMIT_REASM_TOTAL;
	f.d = kf_reasm_new(&f.pool);
	kf_reasm_start(f.d, 0xDEAD, false);
	ck_assert(kf_reasm_started(f.d));
	f.base = 0xFFFFFFFBu; /* first segment seen wraps, too */
	/* acks before any data are ignored */
	ack(&f, 100);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 0);
	seg(&f, 0, 10);
	ck_assert_ptr_eq(f.s.first_ptr, stream);
	/* bytes from before the first segment seen are older than the stream */
	kf_reasm_segment(f.d, f.base - 20, kf_span_make(stream, 25), on_data, &f.s, &f.ev);
	seg(&f, 20, 10);
	seg(&f, 10, 10);
	EXPECT_ITEMS(&f.s, 10, 10, 10);
	expect_stream_bytes(&f, 0, 30);
	fx_done(&f);
}
END_TEST

/* Segments fed before kf_reasm_start(): the stream starts there. */
START_TEST(t_implicit_start)
{
	struct fixture f;
	memset(&f, 0, sizeof f);
	f.pool.cap = KF_LIMIT_REASM_TOTAL;
	f.d = kf_reasm_new(&f.pool);
	f.base = 777;
	seg(&f, 0, 10);
	ck_assert(kf_reasm_started(f.d));
	seg(&f, 10, 10);
	EXPECT_ITEMS(&f.s, 10, 10);
	fx_done(&f);
}
END_TEST

/* ---- gaps ------------------------------------------------------------ */

START_TEST(t_ack_gap)
{
	struct fixture f;
	fx_init(&f, 100);
	seg(&f, 0, 10);
	seg(&f, 20, 10);
	ack(&f, 10); /* nothing missing yet */
	ack(&f, 5);  /* old ack */
	EXPECT_ITEMS(&f.s, 10);
	ack(&f, 25); /* the peer has [10,20): it will never be seen */
	EXPECT_ITEMS(&f.s, 10, -10, 10);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 30);
	ck_assert_mem_eq(f.s.buf + 10, stream + 20, 10);

	/* acked beyond the buffered data: gaps on both sides */
	seg(&f, 40, 10);
	seg(&f, 60, 10);
	ack(&f, 80);
	EXPECT_ITEMS(&f.s, 10, -10, 10, -10, 10, -10, 10, -10);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 80);

	/* a hole that extends past the ack: only the acked part is a gap, and
	 * data after the ack point stays buffered */
	seg(&f, 100, 10);
	ack(&f, 90);
	EXPECT_ITEMS(&f.s, 10, -10, 10, -10, 10, -10, 10, -10, -10);
	ck_assert_uint_eq(f.pool.buffered, 10);
	seg(&f, 90, 10);
	EXPECT_ITEMS(&f.s, 10, -10, 10, -10, 10, -10, 10, -10, -10, 10, 10);
	ck_assert_uint_eq(f.ev.n, 0); /* gaps are the caller's events */
	fx_done(&f);
}
END_TEST

/* The ack of a FIN is one past the last byte; it is not a 1-byte gap. */
START_TEST(t_ack_fin)
{
	struct fixture f;
	fx_init(&f, 100);
	seg(&f, 0, 10);
	ack(&f, 11);
	EXPECT_ITEMS(&f.s, 10);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 10);
	/* with a hole and buffered data before the FIN */
	seg(&f, 20, 10);
	ack(&f, 31);
	EXPECT_ITEMS(&f.s, 10, -10, 10);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 30);
	/* two past the end is a real loss */
	ack(&f, 32);
	EXPECT_ITEMS(&f.s, 10, -10, 10, -2);
	fx_done(&f);
}
END_TEST

START_TEST(t_flush_holes)
{
	struct fixture f;
	fx_init(&f, 0);
	flush(&f); /* nothing buffered: nothing happens */
	ck_assert_uint_eq(f.s.nitems, 0);
	seg(&f, 0, 5);
	seg(&f, 10, 10);
	seg(&f, 30, 10);
	seg(&f, 40, 3);
	flush(&f);
	EXPECT_ITEMS(&f.s, 5, -5, 10, -10, 10, 3);
	ck_assert_mem_eq(f.s.buf, stream, 5);
	ck_assert_mem_eq(f.s.buf + 5, stream + 10, 10);
	ck_assert_mem_eq(f.s.buf + 15, stream + 30, 13);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 43);
	ck_assert_uint_eq(f.pool.buffered, 0);
	/* the stream carries on after a flush */
	seg(&f, 43, 7);
	EXPECT_ITEMS(&f.s, 5, -5, 10, -10, 10, 3, 7);
	fx_done(&f);
}
END_TEST

/* ---- caps ------------------------------------------------------------ */

START_TEST(t_cap_segments)
{
	struct fixture f;
	fx_init(&f, 0);
	/* one-byte pieces at 2, 4, ..., 512: exactly the segment cap */
	for (uint32_t i = 1; i <= KF_LIMIT_REASM_SEGMENTS; i++)
		seg(&f, 2 * i, 1);
	ck_assert_uint_eq(f.ev.n, 0);
	ck_assert_uint_eq(f.s.nitems, 0);
	ck_assert_uint_eq(f.pool.buffered, KF_LIMIT_REASM_SEGMENTS);
	/* one more: the hole before the first piece becomes a gap */
	seg(&f, 2 * KF_LIMIT_REASM_SEGMENTS + 2, 1);
	ck_assert_uint_eq(count_ev(&f.ev, KF_EV_REASM_LIMIT), 1);
	EXPECT_ITEMS(&f.s, -2, 1);
	ck_assert_uint_eq(f.s.buf[0], stream[2]);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 3);
	ck_assert_uint_eq(f.pool.buffered, KF_LIMIT_REASM_SEGMENTS);
	flush(&f);
	ck_assert_uint_eq(f.s.ngaps, KF_LIMIT_REASM_SEGMENTS + 1);
	ck_assert_uint_eq(f.s.n, KF_LIMIT_REASM_SEGMENTS + 1);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 2 * KF_LIMIT_REASM_SEGMENTS + 3);
	fx_done(&f);
}
END_TEST

START_TEST(t_cap_bytes)
{
	struct fixture f;
	fx_init(&f, 0);
	const size_t sz = 65536;
	const size_t fit = KF_LIMIT_REASM_BYTES / sz; /* 16 */
	for (size_t i = 0; i < fit; i++)
		seg(&f, 100 + i * sz, sz);
	ck_assert_uint_eq(f.pool.buffered, KF_LIMIT_REASM_BYTES);
	ck_assert_uint_eq(f.ev.n, 0);
	/* one more byte than the cap, after a hole */
	seg(&f, 100 + fit * sz + 50, 1);
	ck_assert_uint_eq(count_ev(&f.ev, KF_EV_REASM_LIMIT), 1);
	ck_assert_uint_eq(f.s.nitems, 1 + fit);
	ck_assert_int_eq(f.s.items[0], -100);
	expect_stream_bytes(&f, 100, fit * sz);
	ck_assert_uint_eq(f.pool.buffered, 1);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 100 + fit * sz);
	/* the segment that hit the cap is itself in order after the skip */
	seg(&f, 0, 10);
	seg(&f, 100 + fit * sz + 100, sz);
	seg(&f, 100 + fit * sz, 200); /* fills [.., +50), keeps the buffered byte, then more */
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 100 + fit * sz + 100 + sz);
	ck_assert_uint_eq(f.pool.buffered, 0);
	ck_assert_mem_eq(f.s.buf, stream + 100, f.s.n);
	fx_done(&f);
}
END_TEST

/* A segment that alone exceeds what the pool allows is delivered in order
 * after a gap, without being copied. */
START_TEST(t_cap_pool)
{
	struct kf_reasm_pool pool = { 0, 100 };
	struct kf_reasm_dir *a = kf_reasm_new(&pool), *b = kf_reasm_new(&pool);
	struct sink sa = { 0 }, sb = { 0 };
	struct kf_events ev = { 0 };
	kf_reasm_start(a, 0, true);
	kf_reasm_start(b, 1000, true);
	kf_reasm_segment(a, 1 + 10, kf_span_make(stream + 10, 60), on_data, &sa, &ev);
	ck_assert_uint_eq(pool.buffered, 60);
	/* b's out-of-order segment does not fit next to a's */
	kf_reasm_segment(b, 1001 + 5, kf_span_make(stream + 5, 50), on_data, &sb, &ev);
	ck_assert_uint_eq(count_ev(&ev, KF_EV_REASM_LIMIT), 1);
	EXPECT_ITEMS(&sb, -5, 50);
	ck_assert_ptr_eq(sb.first_ptr, stream + 5);
	ck_assert_uint_eq(pool.buffered, 60);
	ck_assert_uint_eq(kf_reasm_delivered(b), 55);
	/* a is unaffected */
	ck_assert_uint_eq(sa.nitems, 0);
	kf_reasm_segment(a, 1, kf_span_make(stream, 10), on_data, &sa, &ev);
	EXPECT_ITEMS(&sa, 10, 60);
	ck_assert_uint_eq(pool.buffered, 0);
	/* free returns buffered bytes to the pool */
	kf_reasm_segment(b, 1001 + 60, kf_span_make(stream + 60, 30), on_data, &sb, &ev);
	ck_assert_uint_eq(pool.buffered, 30);
	kf_reasm_free(b);
	ck_assert_uint_eq(pool.buffered, 0);
	kf_reasm_free(a);
	sink_reset(&sa);
	sink_reset(&sb);
}
END_TEST

/* ---- far outside the window ------------------------------------------- */

START_TEST(t_far_ahead_stray)
{
	struct fixture f;
	fx_init(&f, 0);
	seg(&f, 0, 10);
	static uint8_t junk[1000];
	memset(junk, 0x5A, sizeof junk);
	/* 1.5 GiB ahead: not buffered, not delivered */
	seg_bytes(&f, 10 + (3ull << 29), junk, sizeof junk);
	ck_assert_uint_eq(count_ev(&f.ev, KF_EV_REASM_LIMIT), 1);
	ck_assert_uint_eq(f.pool.buffered, 0);
	/* nor does an ack that far ahead declare a gap */
	ack(&f, 10 + (3ull << 29) + 1000);
	EXPECT_ITEMS(&f.s, 10);
	/* the real stream carries on */
	seg(&f, 20, 10);
	seg(&f, 10, 10);
	EXPECT_ITEMS(&f.s, 10, 10, 10);
	expect_stream_bytes(&f, 0, 30);
	/* one just inside the window is buffered normally */
	seg_bytes(&f, 30 + (1ull << 30), junk, 10);
	ck_assert_uint_eq(f.pool.buffered, 10);
	fx_done(&f);
}
END_TEST

START_TEST(t_far_ahead_jump)
{
	struct fixture f;
	fx_init(&f, 0);
	seg(&f, 0, 10);
	seg(&f, 20, 10); /* buffered, hole at [10,20) */
	const uint64_t far = 10 + (3ull << 29);
	static uint8_t junk[100];
	memset(junk, 0x77, sizeof junk);
	seg_bytes(&f, far, junk, 100);
	EXPECT_ITEMS(&f.s, 10);
	/* the far stream continues where the first far segment ended: follow it */
	seg_bytes(&f, far + 100, junk, 50);
	EXPECT_ITEMS(&f.s, 10, -10, 10, -(long)(far + 100 - 30), 50);
	ck_assert_mem_eq(f.s.buf + 20, junk, 50);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), far + 150);
	ck_assert_uint_eq(f.pool.buffered, 0);
	/* the old region is now far behind: dropped */
	seg(&f, 30, 10);
	ck_assert_uint_eq(f.s.nitems, 5);
	fx_done(&f);
}
END_TEST

/* ---- allocation failure -------------------------------------------------- */

START_TEST(t_nomem)
{
	kf_alloc_fail_after(1);
	ck_assert_ptr_null(kf_reasm_new(NULL));
	kf_alloc_fail_after(0);

	struct fixture f;
	fx_init(&f, 0);
	seg(&f, 20, 10);
	seg(&f, 40, 10);
	/* the next out-of-order copy fails: degrade as at a cap */
	kf_alloc_fail_after(1);
	seg(&f, 60, 10);
	kf_alloc_fail_after(0);
	ck_assert_uint_eq(count_ev(&f.ev, KF_EV_OUT_OF_MEMORY), 1);
	EXPECT_ITEMS(&f.s, -20, 10);
	ck_assert_uint_eq(f.pool.buffered, 20);
	/* a segment spanning two holes fails on its second piece: unchanged */
	kf_alloc_fail_after(2);
	seg(&f, 45, 30);
	kf_alloc_fail_after(0);
	ck_assert_uint_eq(count_ev(&f.ev, KF_EV_OUT_OF_MEMORY), 2);
	/* gave up the hole [30,40), then delivered the segment in order */
	EXPECT_ITEMS(&f.s, -20, 10, -10, 10, 10, 10, 5);
	ck_assert_uint_eq(f.pool.buffered, 0);
	ck_assert_uint_eq(kf_reasm_delivered(f.d), 75);
	ck_assert_mem_eq(f.s.buf, stream + 20, 10);
	ck_assert_mem_eq(f.s.buf + 10, stream + 40, 35);
	fx_done(&f);
}
END_TEST

/* ---- random permutations -------------------------------------------------- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	/* xorshift64*: deterministic, seeded per row */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ull) >> 32);
}

static uint32_t rnd_below(uint32_t n) { return n ? rnd() % n : 0; }

struct perm_row {
	uint64_t seed;
	uint32_t len;   /* stream bytes */
	uint32_t nsegs; /* segments the stream is cut into */
	uint32_t ndups; /* extra retransmissions of random ranges */
	uint32_t isn;
	bool midstream; /* no SYN: the first segment is fed first */
	bool drop_one;  /* leave one segment out: exactly one gap */
	bool by_ack;    /* end with an ack of everything instead of a flush */
};

static const struct perm_row perm_rows[] = {
	{ 1, 1000, 10, 0, 0, false, false, false },
	{ 2, 5000, 50, 10, 0xFFFFFF00u, false, false, false },
	{ 3, 5000, 50, 10, 0xFFFFFFFFu, false, false, false },
	{ 4, 20000, 100, 30, 0xFFFFF000u, false, false, false },
	{ 5, 20000, 150, 40, 0x7FFFFFFFu, false, false, false },
	{ 6, 65536, 120, 20, 0x80000000u, false, false, false },
	{ 7, 3000, 200, 0, 12345u, false, false, false },
	{ 8, 100000, 64, 20, 0xFFFF0000u, false, false, false },
	{ 9, 20000, 100, 20, 0xFFFFFFF0u, true, false, false },
	{ 10, 20000, 100, 20, 42u, true, false, false },
	{ 11, 20000, 100, 10, 0xFFFFFF80u, false, true, false },
	{ 12, 20000, 100, 10, 0xFFFFFF80u, false, true, true },
	{ 13, 8000, 80, 40, 0u, false, false, true },
	{ 14, 500000, 100, 5, 0xFFF00000u, false, false, false },
	{ 15, 40000, 150, 50, 0xDEADBEEFu, false, true, false },
	{ 16, 2, 2, 4, 0xFFFFFFFFu, false, false, false },
};

struct piece {
	uint32_t off, len;
	bool skip; /* the segment left out of a drop_one row */
};

START_TEST(t_permutations)
{
	const struct perm_row *row = &perm_rows[_i];
	rng_state = row->seed * 0x9E3779B97F4A7C15ull + 1;
	ck_assert_uint_le(row->len, sizeof stream);
	ck_assert_uint_le(row->nsegs + 2 * row->ndups, KF_LIMIT_REASM_SEGMENTS);

	/* cut the stream at nsegs-1 random points (repeats merge) */
	uint32_t n = row->nsegs;
	uint32_t *cuts = calloc(n + 1, sizeof(*cuts));
	struct piece *p = calloc(n + row->ndups, sizeof(*p));
	ck_assert_ptr_nonnull(cuts);
	ck_assert_ptr_nonnull(p);
	cuts[0] = 0;
	cuts[n] = row->len;
	for (uint32_t i = 1; i < n; i++)
		cuts[i] = 1 + rnd_below(row->len - 1);
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
			uint32_t t = cuts[j];
			cuts[j] = cuts[j - 1];
			cuts[j - 1] = t;
		}
	uint32_t np = 0;
	for (uint32_t i = 0; i < n; i++)
		if (cuts[i + 1] > cuts[i])
			p[np++] = (struct piece){ cuts[i], cuts[i + 1] - cuts[i], false };

	/* the hole of a drop_one row: neither the first nor the last segment */
	uint32_t hs = 0, he = 0;
	if (row->drop_one) {
		ck_assert_uint_ge(np, 3);
		uint32_t k = 1 + rnd_below(np - 2);
		p[k].skip = true;
		hs = p[k].off;
		he = hs + p[k].len;
	}
	/* retransmissions of random ranges, never into the hole */
	for (uint32_t i = 0; i < row->ndups; i++) {
		uint32_t a = rnd_below(row->len), b = rnd_below(row->len + 1);
		if (a > b) {
			uint32_t t = a;
			a = b;
			b = t;
		}
		if (b == a)
			b = a + 1;
		if (row->drop_one) {
			if (a < hs) {
				if (b > hs)
					b = hs;
			} else if (a < he) {
				a = he;
				if (b <= a)
					b = a + 1;
				if (b > row->len)
					b = row->len;
			}
			if (b <= a)
				continue;
		}
		p[np++] = (struct piece){ a, b - a, false };
	}
	/* shuffle; a mid-stream flow must see the stream's first segment first */
	uint32_t start = row->midstream ? 1 : 0;
	for (uint32_t i = np - 1; i > start; i--) {
		uint32_t j = start + rnd_below(i - start + 1);
		struct piece t = p[i];
		p[i] = p[j];
		p[j] = t;
	}

	struct fixture f;
	memset(&f, 0, sizeof f);
	f.pool.cap = KF_LIMIT_REASM_TOTAL;
	f.d = kf_reasm_new(&f.pool);
	ck_assert_ptr_nonnull(f.d);
	if (row->midstream) {
		kf_reasm_start(f.d, 0, false);
		f.base = row->isn;
	} else {
		kf_reasm_start(f.d, row->isn, true);
		f.base = row->isn + 1u;
	}
	uint64_t max_buffered = 0;
	for (uint32_t i = 0; i < np; i++) {
		if (p[i].skip)
			continue;
		kf_events_clear(&f.ev);
		seg(&f, p[i].off, p[i].len);
		ck_assert_uint_eq(f.ev.n, 0); /* no cap, no differing overlap */
		ck_assert_uint_le(f.pool.buffered, row->len);
		ck_assert_uint_eq(f.s.ngaps, 0); /* no hole is given up early */
		if (f.pool.buffered > max_buffered)
			max_buffered = f.pool.buffered;
	}
	if (row->nsegs >= 10)
		ck_assert_uint_gt(max_buffered, 0); /* the permutation did reorder */
	if (row->by_ack)
		ack(&f, row->len);
	else
		flush(&f);

	ck_assert_uint_eq(kf_reasm_delivered(f.d), row->len);
	ck_assert_uint_eq(f.pool.buffered, 0);
	if (!row->drop_one) {
		ck_assert_uint_eq(f.s.ngaps, 0);
		expect_stream_bytes(&f, 0, row->len);
	} else {
		/* exactly one gap, exactly where the missing segment was */
		ck_assert_uint_eq(f.s.ngaps, 1);
		ck_assert_uint_eq(f.s.gap_total, he - hs);
		ck_assert_uint_eq(f.s.n, row->len - (he - hs));
		ck_assert_mem_eq(f.s.buf, stream, hs);
		ck_assert_mem_eq(f.s.buf + hs, stream + he, row->len - he);
		uint64_t at = 0;
		for (size_t i = 0; i < f.s.nitems && i < SINK_ITEMS; i++) {
			if (f.s.items[i] < 0) {
				ck_assert_uint_eq(at, hs);
				break;
			}
			at += (uint64_t)f.s.items[i];
		}
	}
	free(cuts);
	free(p);
	fx_done(&f);
}
END_TEST

/* Random abuse: segments anywhere (near, old, far ahead, across the wrap),
 * acks, flushes, and a small pool.  Every copy of a sequence number carries
 * the same byte, so whatever is delivered must match it, and the running
 * offset (data plus gaps) must agree with kf_reasm_delivered(). */
static uint8_t seq_byte(uint32_t seq) { return (uint8_t)(seq * 2654435761u >> 24); }

struct checking_sink {
	uint32_t base;
	uint64_t at;
	uint64_t data, gaps;
};

static void on_checked(void *ctx, struct kf_span data, uint32_t gap_len)
{
	struct checking_sink *c = ctx;
	if (gap_len) {
		ck_assert_uint_eq(data.n, 0);
		c->at += gap_len;
		c->gaps += gap_len;
		return;
	}
	ck_assert_uint_gt(data.n, 0);
	for (size_t i = 0; i < data.n; i++)
		if (data.p[i] != seq_byte(c->base + (uint32_t)(c->at + i)))
			ck_abort_msg("byte at offset %llu is wrong", (unsigned long long)(c->at + i));
	c->at += data.n;
	c->data += data.n;
}

START_TEST(t_random_abuse)
{
	rng_state = 0xC0FFEEull + (uint64_t)_i;
	struct kf_reasm_pool pool = { 0, _i % 2 ? 200000 : KF_LIMIT_REASM_TOTAL };
	struct kf_reasm_dir *d = kf_reasm_new(&pool);
	struct checking_sink c = { 0 };
	struct kf_events ev;
	static uint8_t buf[4000];
	const uint32_t isn = rnd();
	const bool syn = _i % 3 != 0;
	kf_reasm_start(d, isn, syn);
	bool anchored = syn;
	c.base = isn + 1u;
	uint32_t front = isn + 1u; /* roughly where the sender is */
	for (int step = 0; step < 20000; step++) {
		kf_events_clear(&ev);
		uint32_t r = rnd_below(100);
		if (r < 3) {
			kf_reasm_flush(d, on_checked, &c, &ev);
		} else if (r < 10) {
			kf_reasm_ack(d, front - rnd_below(20000), on_checked, &c, &ev);
		} else {
			uint32_t seq;
			uint32_t kind = rnd_below(100);
			if (kind < 2)
				seq = rnd(); /* anywhere at all */
			else if (kind < 4)
				seq = front + (3u << 29); /* far ahead, and its successor */
			else
				seq = front - 30000 + rnd_below(40000);
			size_t n = rnd_below(sizeof buf);
			for (size_t i = 0; i < n; i++)
				buf[i] = seq_byte(seq + (uint32_t)i);
			if (!anchored && n) {
				c.base = seq;
				anchored = true;
			}
			kf_reasm_segment(d, seq, kf_span_make(buf, n), on_checked, &c, &ev);
			if (kind >= 2 && kind < 4) {
				for (size_t i = 0; i < n; i++)
					buf[i] = seq_byte(seq + (uint32_t)(n + i));
				kf_reasm_segment(d, seq + (uint32_t)n, kf_span_make(buf, n), on_checked, &c,
						 &ev);
				front = seq + 2 * (uint32_t)n;
			}
			front += (uint32_t)rnd_below(3000);
		}
		ck_assert_uint_eq(c.at, kf_reasm_delivered(d));
		ck_assert_uint_le(pool.buffered, pool.cap);
		ck_assert_uint_le(pool.buffered, KF_LIMIT_REASM_BYTES);
		ck_assert_uint_eq(ev.dropped, 0);
		ck_assert_uint_eq(count_ev(&ev, KF_EV_TCP_OVERLAP_DIFFERS), 0);
	}
	kf_events_clear(&ev);
	kf_reasm_flush(d, on_checked, &c, &ev);
	ck_assert_uint_eq(pool.buffered, 0);
	ck_assert_uint_eq(c.at, kf_reasm_delivered(d));
	ck_assert_uint_gt(c.data, 0);
	kf_reasm_free(d);
}
END_TEST

static Suite *reasm_suite(void)
{
	Suite *s = suite_create("tcp_reasm");
	TCase *tc = tcase_create("order");
	tcase_add_test(tc, t_in_order);
	tcase_add_test(tc, t_out_of_order);
	tcase_add_test(tc, t_retransmission);
	tcase_add_test(tc, t_overlap_buffered);
	tcase_add_test(tc, t_overlap_in_order);
	tcase_add_test(tc, t_zero_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("seq");
	tcase_add_test(tc, t_wraparound);
	tcase_add_test(tc, t_multi_wrap);
	tcase_add_test(tc, t_midstream);
	tcase_add_test(tc, t_implicit_start);
	suite_add_tcase(s, tc);

	tc = tcase_create("gaps");
	tcase_add_test(tc, t_ack_gap);
	tcase_add_test(tc, t_ack_fin);
	tcase_add_test(tc, t_flush_holes);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, t_cap_segments);
	tcase_add_test(tc, t_cap_bytes);
	tcase_add_test(tc, t_cap_pool);
	tcase_add_test(tc, t_far_ahead_stray);
	tcase_add_test(tc, t_far_ahead_jump);
	tcase_add_test(tc, t_nomem);
	suite_add_tcase(s, tc);

	tc = tcase_create("permutations");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, t_permutations, 0, (int)(sizeof(perm_rows) / sizeof(perm_rows[0])));
	tcase_add_loop_test(tc, t_random_abuse, 0, 6);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	init_stream();
	return kf_test_run(reasm_suite());
}
