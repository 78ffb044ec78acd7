/* run.c - small services of the packet path that every part of wire/ uses:
 * endpoints, debug lines, out-of-memory and transport events. */
#include "run.h"

#include <stdio.h>
#include <string.h>

void kf_run_endpoint(struct kf_endpoint *e, uint8_t ipver, const uint8_t *addr, uint16_t port)
{
	e->ipver = ipver;
	memcpy(e->addr, addr, 16);
	e->port = port;
}

void kf_run_note_events(struct kf_run *r, uint64_t frame)
{
	for (unsigned i = 0; i < r->ev.n; i++) {
		unsigned e = r->ev.ev[i];
		if (e >= KF_EV__COUNT)
			continue;
		if (r->ev_count[e] == 0)
			r->ev_first[e] = frame;
		r->ev_count[e] += 1 + r->ev.more[i];
		if (e == KF_EV_OUT_OF_MEMORY)
			r->nomem = true;
	}
	kf_events_clear(&r->ev);
}

void kf_run_nomem(struct kf_run *r) { kf_events_add(&r->ev, KF_EV_OUT_OF_MEMORY); }

void kf_run_debug(struct kf_run *r, const char *what)
{
	if (r->debug_decode)
		fprintf(stderr, "krbflow: frame %llu: %s\n", (unsigned long long)r->frame, what);
}

/* Keep a transport event; past the cap say so (once per packet is enough). */
void kf_run_tevent(struct kf_run *r, const struct kf_tevent *t)
{
	enum kf_status st = kf_msgstore_add_tevent(&r->store, t);
	if (st == KF_LIMIT)
		kf_events_add(&r->ev, KF_EV_TRANSPORT_EVENT_LIMIT);
	else if (st != KF_OK)
		kf_events_add(&r->ev, KF_EV_OUT_OF_MEMORY);
}
