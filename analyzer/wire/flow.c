/* flow.c - 5-tuple flow table: chained hash plus an LRU list for idle and
 * capacity eviction.  Lookups are O(1); nothing is allocated per packet. */
#include "flow.h"

#include <string.h>

#include "base/arena.h"
#include "base/limits.h"

struct kf_flow_table {
	struct kf_flow **buckets;
	uint32_t nbuckets; /* power of two */
	uint32_t count, cap, next_id;
	struct kf_flow *oldest, *newest; /* LRU list */
	kf_flow_release_fn release;
	void *ctx;
};

/* One endpoint's share of the hash: addresses read as two 64-bit words. */
static uint64_t endpoint_hash(const uint8_t addr[16], uint16_t port)
{
	uint64_t a, b;
	memcpy(&a, addr, 8);
	memcpy(&b, addr + 8, 8);
	return a * 0x9E3779B97F4A7C15ull ^ b * 0xC2B2AE3D27D4EB4Full ^ (port + 1u) * 0x165667B19E3779F9ull;
}

/* Same hash for both directions of a flow (the endpoints' shares add up);
 * a few multiplies per packet instead of a loop over the address bytes. */
static uint32_t key_hash(const struct kf_flow_key *k)
{
	uint64_t h = endpoint_hash(k->caddr, k->cport) + endpoint_hash(k->saddr, k->sport);
	h ^= (uint64_t)k->proto << 8 | k->ipver;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

static bool key_eq(const struct kf_flow_key *a, const struct kf_flow_key *b)
{
	return a->ipver == b->ipver && a->proto == b->proto && a->cport == b->cport && a->sport == b->sport &&
	       memcmp(a->caddr, b->caddr, 16) == 0 && memcmp(a->saddr, b->saddr, 16) == 0;
}

/* a is b seen from the other end */
static bool key_eq_reversed(const struct kf_flow_key *a, const struct kf_flow_key *b)
{
	return a->cport == b->sport && a->sport == b->cport && memcmp(a->caddr, b->saddr, 16) == 0 &&
	       memcmp(a->saddr, b->caddr, 16) == 0;
}

struct kf_flow_table *kf_flow_table_new(uint32_t cap, kf_flow_release_fn release, void *ctx)
{
	struct kf_flow_table *t = kf_calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cap = cap ? cap : KF_LIMIT_FLOWS;
	t->nbuckets = 1024;
	while (t->nbuckets < t->cap && t->nbuckets < (1u << 20))
		t->nbuckets <<= 1;
	t->buckets = kf_calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets) {
		kf_free(t);
		return NULL;
	}
	t->release = release;
	t->ctx = ctx;
	return t;
}

struct kf_flow *kf_flow_find(struct kf_flow_table *t, const struct kf_flow_key *key, bool *reversed)
{
	uint32_t h = key_hash(key);
	for (struct kf_flow *f = t->buckets[h & (t->nbuckets - 1)]; f; f = f->hnext) {
		if (f->hash != h || f->key.ipver != key->ipver || f->key.proto != key->proto)
			continue;
		if (key_eq(&f->key, key)) {
			*reversed = false;
			return f;
		}
		if (key_eq_reversed(&f->key, key)) {
			*reversed = true;
			return f;
		}
	}
	return NULL;
}

static void lru_unlink(struct kf_flow_table *t, struct kf_flow *f)
{
	if (f->lru_prev)
		f->lru_prev->lru_next = f->lru_next;
	else
		t->oldest = f->lru_next;
	if (f->lru_next)
		f->lru_next->lru_prev = f->lru_prev;
	else
		t->newest = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_append(struct kf_flow_table *t, struct kf_flow *f)
{
	f->lru_prev = t->newest;
	f->lru_next = NULL;
	if (t->newest)
		t->newest->lru_next = f;
	else
		t->oldest = f;
	t->newest = f;
}

void kf_flow_remove(struct kf_flow_table *t, struct kf_flow *f, enum kf_flow_release_reason why)
{
	struct kf_flow **pp = &t->buckets[f->hash & (t->nbuckets - 1)];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	lru_unlink(t, f);
	t->count--;
	if (t->release)
		t->release(t->ctx, f, why);
	kf_free(f);
}

static void expire_idle(struct kf_flow_table *t, uint64_t now)
{
	/* at most a few per call: the cost stays O(1) per packet */
	for (int i = 0; i < 4 && t->oldest; i++) {
		struct kf_flow *o = t->oldest;
		if (now < o->last_ts_us || now - o->last_ts_us <= KF_LIMIT_FLOW_IDLE_US)
			break;
		kf_flow_remove(t, o, KF_FLOW_IDLE);
	}
}

struct kf_flow *kf_flow_insert(struct kf_flow_table *t, const struct kf_flow_key *key, uint64_t ts_us,
			       struct kf_events *ev)
{
	expire_idle(t, ts_us);
	if (t->count >= t->cap) {
		kf_events_add(ev, KF_EV_FLOW_LIMIT);
		kf_flow_remove(t, t->oldest, KF_FLOW_EVICTED);
	}
	struct kf_flow *f = kf_calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->key = *key;
	f->id = ++t->next_id;
	f->last_ts_us = ts_us;
	f->hash = key_hash(key);
	struct kf_flow **b = &t->buckets[f->hash & (t->nbuckets - 1)];
	f->hnext = *b;
	*b = f;
	lru_append(t, f);
	t->count++;
	return f;
}

void kf_flow_touch(struct kf_flow_table *t, struct kf_flow *f, uint64_t ts_us)
{
	if (ts_us > f->last_ts_us)
		f->last_ts_us = ts_us;
	if (t->newest != f) {
		lru_unlink(t, f);
		lru_append(t, f);
	}
	expire_idle(t, ts_us);
}

void kf_flow_table_drain(struct kf_flow_table *t)
{
	while (t->oldest)
		kf_flow_remove(t, t->oldest, KF_FLOW_END);
}

uint32_t kf_flow_table_count(const struct kf_flow_table *t) { return t->count; }

void kf_flow_table_free(struct kf_flow_table *t)
{
	if (!t)
		return;
	kf_flow_table_drain(t);
	kf_free(t->buckets);
	kf_free(t);
}
