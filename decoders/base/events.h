/* events.h - anomaly codes generated from events.def, and a small sink that
 * decoders fill (decoders report; the analyzer attaches frame numbers). */
#ifndef KF_EVENTS_H
#define KF_EVENTS_H

#include <stdint.h>

enum kf_event {
	KF_EV_NONE = 0,
#define KF_EVENT(id, code, desc) KF_EV_##id,
#include "events.def"
#undef KF_EVENT
	KF_EV__COUNT
};

/* JSON code ("tcp-gap") and one-line description of an event. */
const char *kf_event_code(enum kf_event ev);
const char *kf_event_desc(enum kf_event ev);

#define KF_EVENT_SINK_CAP 8

/* Events raised while decoding one unit (packet, record, or the end of the
 * capture, when flushing can raise thousands).  Once the slots are full, an
 * event already held is counted on its slot (more[i]); only a new kind of
 * event past the cap is counted in `dropped`. */
struct kf_events {
	uint16_t ev[KF_EVENT_SINK_CAP];
	uint8_t n;
	uint8_t dropped;
	uint32_t more[KF_EVENT_SINK_CAP]; /* repeats of ev[i] beyond the first */
};

static inline void kf_events_add(struct kf_events *e, enum kf_event ev)
{
	if (!e)
		return;
	if (e->n < KF_EVENT_SINK_CAP) {
		e->more[e->n] = 0;
		e->ev[e->n++] = (uint16_t)ev;
		return;
	}
	for (unsigned i = 0; i < e->n; i++) {
		if (e->ev[i] == ev) {
			if (e->more[i] < UINT32_MAX)
				e->more[i]++;
			return;
		}
	}
	if (e->dropped < 255)
		e->dropped++;
}

static inline void kf_events_clear(struct kf_events *e)
{
	e->n = 0;
	e->dropped = 0;
}

#endif
