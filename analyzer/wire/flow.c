/* flow.c - 5-tuple flow table: chained hash plus an LRU list for idle and
 * capacity eviction.  Lookups are O(1); nothing is allocated per packet. */
#include "flow.h"

#include <stddef.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "net.h"

/* The oldest-first list shared by the flow and stream tables. */
struct lru_list {
	struct kf_lru_node *oldest, *newest;
};

struct kf_flow_table {
	struct kf_flow **buckets;
	uint32_t nbuckets; /* power of two */
	uint32_t count, cap, next_id;
	struct lru_list lru;
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

/* Hash buckets (chain heads) for a table of cap entries: a power of two. */
static void *new_buckets(uint32_t cap, uint32_t *nbuckets)
{
	uint32_t n = 1024;
	while (n < cap && n < (1u << 20))
		n <<= 1;
	*nbuckets = n;
	return kf_calloc(n, sizeof(void *));
}

struct kf_flow_table *kf_flow_table_new(uint32_t cap, kf_flow_release_fn release, void *ctx)
{
	struct kf_flow_table *t = kf_calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cap = cap ? cap : KF_LIMIT_FLOWS;
	t->buckets = new_buckets(t->cap, &t->nbuckets);
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

static void lru_unlink(struct lru_list *l, struct kf_lru_node *n)
{
	if (n->older)
		n->older->newer = n->newer;
	else
		l->oldest = n->newer;
	if (n->newer)
		n->newer->older = n->older;
	else
		l->newest = n->older;
	n->older = n->newer = NULL;
}

static void lru_append(struct lru_list *l, struct kf_lru_node *n)
{
	n->older = l->newest;
	n->newer = NULL;
	if (l->newest)
		l->newest->newer = n;
	else
		l->oldest = n;
	l->newest = n;
}

static struct kf_flow *flow_of(struct kf_lru_node *n)
{
	return n ? (struct kf_flow *)(void *)((char *)n - offsetof(struct kf_flow, lru)) : NULL;
}

void kf_flow_remove(struct kf_flow_table *t, struct kf_flow *f, enum kf_flow_release_reason why)
{
	struct kf_flow **pp = &t->buckets[f->hash & (t->nbuckets - 1)];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	lru_unlink(&t->lru, &f->lru);
	t->count--;
	if (t->release)
		t->release(t->ctx, f, why);
	kf_free(f);
}

static void expire_idle(struct kf_flow_table *t, uint64_t now)
{
	/* at most a few per call: the cost stays O(1) per packet */
	for (int i = 0; i < 4 && t->lru.oldest; i++) {
		struct kf_flow *o = flow_of(t->lru.oldest);
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
		kf_flow_remove(t, flow_of(t->lru.oldest), KF_FLOW_EVICTED);
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
	lru_append(&t->lru, &f->lru);
	t->count++;
	return f;
}

void kf_flow_touch(struct kf_flow_table *t, struct kf_flow *f, uint64_t ts_us)
{
	if (ts_us > f->last_ts_us)
		f->last_ts_us = ts_us;
	if (t->lru.newest != &f->lru) {
		lru_unlink(&t->lru, &f->lru);
		lru_append(&t->lru, &f->lru);
	}
	expire_idle(t, ts_us);
}

void kf_flow_table_drain(struct kf_flow_table *t)
{
	while (t->lru.oldest)
		kf_flow_remove(t, flow_of(t->lru.oldest), KF_FLOW_END);
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

/* ---- Wireshark's tcp.stream ------------------------------------------------ */

#define KF_STREAM_CHUNK 4096u /* entries allocated at a time */

/* One address/port pair of one file; side 0 is the end that sent its first
 * packet. */
struct stream_entry {
	struct stream_entry *hnext;
	struct kf_lru_node lru;
	uint32_t hash, file, stream;
	uint32_t base[2]; /* base sequence number per side (see flow.h) */
	uint16_t port[2];
	uint8_t ipver;
	uint8_t base_set; /* bit per side */
	uint8_t addr[2][16];
};

struct stream_chunk {
	struct stream_chunk *next;
	uint32_t used;
	struct stream_entry e[KF_STREAM_CHUNK];
};

struct kf_stream_table {
	struct stream_entry **buckets;
	uint32_t nbuckets; /* power of two */
	uint32_t count, cap;
	struct lru_list lru;
	struct stream_chunk *chunks;
	uint32_t *next_stream; /* per file */
	uint32_t n_files;
};

struct kf_stream_table *kf_stream_table_new(uint32_t cap)
{
	struct kf_stream_table *t = kf_calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cap = cap ? cap : KF_LIMIT_TCP_STREAMS;
	/* at most 64 Ki chains (512 KiB): a full table has chains of about 4 */
	t->buckets = new_buckets(t->cap < 65536 ? t->cap : 65536, &t->nbuckets);
	if (!t->buckets) {
		kf_free(t);
		return NULL;
	}
	return t;
}

static uint32_t stream_hash(uint32_t file, uint8_t ipver, const uint8_t *src, const uint8_t *dst,
			    uint16_t sport, uint16_t dport)
{
	uint64_t h = endpoint_hash(src, sport) + endpoint_hash(dst, dport);
	h ^= (uint64_t)file << 8 | ipver;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h;
}

static struct stream_entry *entry_of(struct kf_lru_node *n)
{
	return (struct stream_entry *)(void *)((char *)n - offsetof(struct stream_entry, lru));
}

/* Room for one more entry: a fresh slot, or the least recently seen pair
 * forgotten. */
static struct stream_entry *stream_slot(struct kf_stream_table *t)
{
	if (t->count >= t->cap) {
		struct stream_entry *o = entry_of(t->lru.oldest);
		struct stream_entry **pp = &t->buckets[o->hash & (t->nbuckets - 1)];
		while (*pp && *pp != o)
			pp = &(*pp)->hnext;
		if (*pp)
			*pp = o->hnext;
		lru_unlink(&t->lru, &o->lru);
		t->count--;
		return o;
	}
	if (!t->chunks || t->chunks->used == KF_STREAM_CHUNK) {
		struct stream_chunk *c = kf_malloc(sizeof(*c));
		if (!c)
			return NULL;
		c->next = t->chunks;
		c->used = 0;
		t->chunks = c;
	}
	return &t->chunks->e[t->chunks->used++];
}

/* The next number of file; false when out of memory. */
static bool stream_next(struct kf_stream_table *t, uint32_t file, uint32_t *out)
{
	if (file >= t->n_files) {
		uint32_t n = file + 1;
		uint32_t *v = kf_realloc(t->next_stream, (size_t)n * sizeof(*v));
		if (!v)
			return false;
		memset(v + t->n_files, 0, (size_t)(n - t->n_files) * sizeof(*v));
		t->next_stream = v;
		t->n_files = n;
	}
	*out = t->next_stream[file]++;
	return true;
}

/* Which side of e's pair src:sport -> dst:dport is (0: as first seen, 1:
 * the other way), -1 when it is another pair. */
static int pair_side(const struct stream_entry *e, uint32_t file, uint8_t ipver, const uint8_t *src,
		     const uint8_t *dst, uint16_t sport, uint16_t dport)
{
	if (e->file != file || e->ipver != ipver)
		return -1;
	if (e->port[0] == sport && e->port[1] == dport && memcmp(e->addr[0], src, 16) == 0 &&
	    memcmp(e->addr[1], dst, 16) == 0)
		return 0;
	if (e->port[0] == dport && e->port[1] == sport && memcmp(e->addr[0], dst, 16) == 0 &&
	    memcmp(e->addr[1], src, 16) == 0)
		return 1;
	return -1;
}

uint32_t kf_stream_number(struct kf_stream_table *t, uint32_t file, uint8_t ipver, const uint8_t *src,
			  const uint8_t *dst, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
			  uint8_t tcp_flags)
{
	/* the pair of the last segment first: bulk transfers come in runs, and
	 * the hash costs more than this comparison */
	struct stream_entry *e = t->lru.newest ? entry_of(t->lru.newest) : NULL;
	int side = e ? pair_side(e, file, ipver, src, dst, sport, dport) : -1;
	uint32_t h = 0;
	struct stream_entry **b = NULL;
	if (side < 0) {
		h = stream_hash(file, ipver, src, dst, sport, dport);
		b = &t->buckets[h & (t->nbuckets - 1)];
		for (e = *b; e; e = e->hnext)
			if (e->hash == h && (side = pair_side(e, file, ipver, src, dst, sport, dport)) >= 0)
				break;
		if (!e)
			side = 0;
	}
	bool syn_only = (tcp_flags & (KF_TCP_SYN | KF_TCP_ACK)) == KF_TCP_SYN;
	if (!e) {
		uint32_t n;
		if (!stream_next(t, file, &n) || !(e = stream_slot(t)))
			return UINT32_MAX;
		memset(e, 0, sizeof *e);
		e->hash = h;
		e->file = file;
		e->stream = n;
		e->ipver = ipver;
		e->port[0] = sport;
		e->port[1] = dport;
		memcpy(e->addr[0], src, 16);
		memcpy(e->addr[1], dst, 16);
		e->hnext = *b;
		*b = e;
		t->count++;
		lru_append(&t->lru, &e->lru);
	} else {
		if (syn_only && (e->base_set & (1u << side)) && seq != e->base[side]) {
			/* a new connection on the same ports */
			if (!stream_next(t, file, &e->stream))
				return UINT32_MAX;
			e->base_set = 0;
		}
		if (t->lru.newest != &e->lru) { /* else the pair of the last segment: the common case */
			lru_unlink(&t->lru, &e->lru);
			lru_append(&t->lru, &e->lru);
		}
	}
	if (!(e->base_set & (1u << side))) {
		e->base[side] = tcp_flags & KF_TCP_SYN ? seq : seq - 1;
		e->base_set |= (uint8_t)(1u << side);
	}
	if ((tcp_flags & KF_TCP_ACK) && !(e->base_set & (1u << !side))) {
		e->base[!side] = ack - 1;
		e->base_set |= (uint8_t)(1u << !side);
	}
	return e->stream;
}

void kf_stream_table_free(struct kf_stream_table *t)
{
	if (!t)
		return;
	while (t->chunks) {
		struct stream_chunk *c = t->chunks;
		t->chunks = c->next;
		kf_free(c);
	}
	kf_free(t->next_stream);
	kf_free(t->buckets);
	kf_free(t);
}
