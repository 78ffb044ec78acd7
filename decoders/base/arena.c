/* arena.c - bump arena and the injectable system allocator. */
#include "arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define KF_ARENA_CHUNK 65536u

struct kf_arena_chunk {
	struct kf_arena_chunk *next;
	size_t size, used;
	max_align_t data[]; /* payload follows, aligned */
};

static unsigned long fail_countdown;
static unsigned long alloc_calls; /* kf_malloc/kf_calloc/kf_realloc calls so far */

void kf_alloc_fail_after(unsigned long n) { fail_countdown = n; }
unsigned long kf_alloc_calls(void) { return alloc_calls; }

static int injected_failure(void)
{
	alloc_calls++;
	if (fail_countdown == 0)
		return 0;
	return --fail_countdown == 0;
}

void *kf_malloc(size_t n) { return injected_failure() ? NULL : malloc(n ? n : 1); }
void *kf_calloc(size_t c, size_t s) { return injected_failure() ? NULL : calloc(c ? c : 1, s ? s : 1); }
void *kf_realloc(void *p, size_t n) { return injected_failure() ? NULL : realloc(p, n ? n : 1); }
void kf_free(void *p) { free(p); }

void kf_arena_init(struct kf_arena *a, size_t cap)
{
	a->head = NULL;
	a->used_total = 0;
	a->cap = cap;
}

void *kf_arena_alloc(struct kf_arena *a, size_t n)
{
	n = (n + 7u) & ~(size_t)7u;
	if (n == 0)
		n = 8;
	struct kf_arena_chunk *c = a->head;
	if (!c || c->size - c->used < n) {
		size_t size = n > KF_ARENA_CHUNK ? n : KF_ARENA_CHUNK;
		if (size > SIZE_MAX - sizeof(*c))
			return NULL;
		if (a->cap && (a->used_total > a->cap || size + sizeof(*c) > a->cap - a->used_total))
			return NULL;
		c = kf_malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = a->head;
		a->head = c;
		a->used_total += sizeof(*c) + size;
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

void *kf_arena_zalloc(struct kf_arena *a, size_t n)
{
	void *p = kf_arena_alloc(a, n);
	if (p)
		memset(p, 0, n);
	return p;
}

char *kf_arena_strndup(struct kf_arena *a, const char *s, size_t n)
{
	char *d = kf_arena_alloc(a, n + 1);
	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = 0;
	return d;
}

void kf_arena_free(struct kf_arena *a)
{
	struct kf_arena_chunk *c = a->head;
	while (c) {
		struct kf_arena_chunk *next = c->next;
		kf_free(c);
		c = next;
	}
	a->head = NULL;
	a->used_total = 0;
}
