/* events.c - name tables for events.def and status.h. */
#include "events.h"
#include "status.h"

static const char *const codes[KF_EV__COUNT] = {
	[KF_EV_NONE] = "none",
#define KF_EVENT(id, code, desc) [KF_EV_##id] = code,
#include "events.def"
#undef KF_EVENT
};

static const char *const descs[KF_EV__COUNT] = {
	[KF_EV_NONE] = "no event",
#define KF_EVENT(id, code, desc) [KF_EV_##id] = desc,
#include "events.def"
#undef KF_EVENT
};

const char *kf_event_code(enum kf_event ev)
{
	return (unsigned)ev < KF_EV__COUNT ? codes[ev] : "unknown-event";
}

const char *kf_event_desc(enum kf_event ev)
{
	return (unsigned)ev < KF_EV__COUNT ? descs[ev] : "unknown event";
}

const char *kf_status_name(enum kf_status st)
{
	switch (st) {
	case KF_OK: return "ok";
	case KF_NOMEM: return "out of memory";
	case KF_IO: return "input/output error";
	case KF_LIMIT: return "limit reached";
	case KF_BADARG: return "bad argument";
	}
	return "unknown status";
}
