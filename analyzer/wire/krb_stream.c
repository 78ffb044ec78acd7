/* krb_stream.c - Kerberos TCP record framing (RFC 4120 §7.2.2). */
#include "krb_stream.h"

#include <string.h>

#include "base/arena.h"
#include "base/cursor.h"
#include "base/limits.h"
#include "krb5.h"

void kf_krb_stream_init(struct kf_krb_stream *s) { memset(s, 0, sizeof(*s)); }

void kf_krb_stream_free(struct kf_krb_stream *s)
{
	kf_free(s->buf);
	memset(s, 0, sizeof(*s));
}

bool kf_krb_stream_pending(const struct kf_krb_stream *s) { return s->len > 0 || s->skip > 0; }

static uint32_t mark_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A mark we would believe after a gap: sane length and a Kerberos tag after. */
static bool plausible_record(const uint8_t *p, size_t n)
{
	if (n < 10)
		return false;
	uint32_t len = mark_at(p);
	if ((len & 0x80000000u) || len < 6 || len > KF_LIMIT_KRB_RECORD)
		return false;
	return kf_krb5_probe(kf_span_make(p + 4, n - 4));
}

static bool reserve(struct kf_krb_stream *s, size_t need)
{
	if (need <= s->cap)
		return true;
	size_t cap = s->cap ? s->cap : 2048;
	while (cap < need)
		cap *= 2;
	uint8_t *nb = kf_realloc(s->buf, cap);
	if (!nb)
		return false;
	s->buf = nb;
	s->cap = cap;
	return true;
}

/* Check a complete mark; returns the record length or -1 when the stream
 * cannot be framed here (then resync or skip has been arranged). */
static int64_t check_mark(struct kf_krb_stream *s, uint32_t mark, uint64_t frame, struct kf_events *ev)
{
	if (mark & 0x80000000u) {
		/* reserved bit: RFC 4120 says the receiver must not parse further */
		kf_events_add(ev, KF_EV_KRB_RECORD_RESERVED);
		s->resync = true;
		return -1;
	}
	if (mark > KF_LIMIT_KRB_RECORD) {
		kf_events_add(ev, KF_EV_KRB_RECORD_TOO_BIG);
		s->skip = mark;
		s->oversize_len = mark;
		s->oversize_frame = s->len ? s->first_frame : frame;
		return -1;
	}
	return mark;
}

void kf_krb_stream_data(struct kf_krb_stream *s, struct kf_span data, uint64_t frame, kf_krb_record_fn cb,
			void *ctx, struct kf_events *ev)
{
	struct kf_cur c = kf_cur_make(data);
	while (kf_cur_left(&c) > 0 && !s->nomem) {
		if (s->skip) {
			if (s->oversize_len) { /* its first byte says what it is */
				if (s->oversize)
					s->oversize(ctx, s->oversize_len, c.p[0], s->oversize_frame);
				s->oversize_len = 0;
			}
			size_t k = kf_cur_left(&c) < s->skip ? kf_cur_left(&c) : (size_t)s->skip;
			kf_cur_skip(&c, k);
			s->skip -= k;
			continue;
		}
		if (s->resync) {
			size_t n = kf_cur_left(&c);
			size_t i = 0;
			while (i < n && !plausible_record(c.p + i, n - i))
				i++;
			kf_cur_skip(&c, i);
			if (i == n)
				return; /* nothing plausible in this delivery */
			s->resync = false;
			continue;
		}
		if (s->len == 0) {
			size_t n = kf_cur_left(&c);
			if (n >= 4) {
				int64_t rl = check_mark(s, mark_at(c.p), frame, ev);
				if (rl < 0) {
					kf_cur_skip(&c, 4);
					continue;
				}
				if (n - 4 >= (uint64_t)rl) {
					/* whole record in this delivery: no copy */
					kf_cur_skip(&c, 4);
					cb(ctx, kf_cur_bytes(&c, (size_t)rl), frame);
					continue;
				}
			}
			s->first_frame = frame;
		}
		/* gather: first the mark, then the record */
		if (s->len < 4) {
			size_t take = 4 - s->len;
			if (take > kf_cur_left(&c))
				take = kf_cur_left(&c);
			if (!reserve(s, 4)) {
				s->nomem = true;
				kf_events_add(ev, KF_EV_OUT_OF_MEMORY);
				return;
			}
			memcpy(s->buf + s->len, kf_cur_bytes(&c, take).p, take);
			s->len += take;
			if (s->len < 4)
				return;
			if (check_mark(s, mark_at(s->buf), frame, ev) < 0) {
				s->len = 0;
				continue;
			}
		}
		size_t total = 4 + (size_t)mark_at(s->buf);
		size_t take = total - s->len;
		if (take > kf_cur_left(&c))
			take = kf_cur_left(&c);
		if (!reserve(s, total)) {
			s->nomem = true;
			kf_events_add(ev, KF_EV_OUT_OF_MEMORY);
			return;
		}
		memcpy(s->buf + s->len, kf_cur_bytes(&c, take).p, take);
		s->len += take;
		if (s->len == total) {
			s->len = 0;
			cb(ctx, kf_span_make(s->buf + 4, total - 4), s->first_frame);
		}
	}
}

void kf_krb_stream_gap(struct kf_krb_stream *s, uint32_t gap_len)
{
	if (s->skip >= gap_len) {
		/* the hole fell inside a record we were skipping anyway */
		s->skip -= gap_len;
		s->oversize_len = 0; /* its tag, if it was there, is lost */
		return;
	}
	s->oversize_len = 0;
	s->skip = 0;
	s->len = 0;
	s->resync = true;
}
