/* arena.h - bump allocator for run-lifetime data (messages, names, events).
 *
 * Objects are never freed one by one; kf_arena_free releases everything.
 * `cap` bounds the total bytes an arena may take from the system, so hostile
 * input cannot grow it without limit: past the cap, allocation returns NULL.
 * kf_alloc_fail_after() is the test hook that makes the n-th system
 * allocation fail (allocation-failure injection).
 */
#ifndef KF_ARENA_H
#define KF_ARENA_H

#include <stddef.h>

struct kf_arena_chunk;

struct kf_arena {
	struct kf_arena_chunk *head;
	size_t used_total; /* bytes obtained from the system */
	size_t cap;        /* 0 = no cap */
};

void kf_arena_init(struct kf_arena *a, size_t cap);
void *kf_arena_alloc(struct kf_arena *a, size_t n);  /* 8-aligned, uninitialised */
void *kf_arena_zalloc(struct kf_arena *a, size_t n); /* zeroed */
char *kf_arena_strndup(struct kf_arena *a, const char *s, size_t n);
void kf_arena_free(struct kf_arena *a);

/* System allocation wrappers used by every krbflow module, so failures can be
 * injected in tests.  kf_alloc_fail_after(n): the n-th call from now fails
 * (0 = never fail). */
void *kf_malloc(size_t n);
void *kf_calloc(size_t count, size_t size);
void *kf_realloc(void *p, size_t n);
void kf_free(void *p);
void kf_alloc_fail_after(unsigned long n);
unsigned long kf_alloc_calls(void); /* allocation calls made so far (test hook) */

#endif
