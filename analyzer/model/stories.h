/* stories.h - authentication stories: the messages of a capture joined per
 * client (DIAGNOSES.md "What flow means"): where the user got a TGT, which
 * service tickets it asked for and got, which HTTP connection carried which
 * ticket and what the server said, and what was done on the user's behalf
 * afterwards (a forwarded TGT, a front end's ticket naming the user, S4U).
 * Built from the finished message list; rendered as `flows` in the JSON and
 * as the ladder of the text report. */
#ifndef KF_STORIES_H
#define KF_STORIES_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "result.h"
#include "sessions.h"

/* Outcomes, as OUTPUT.md names them for services. */
#define KF_OUTCOME_OK "ok"
#define KF_OUTCOME_ERROR "error"
#define KF_OUTCOME_NTLM "ntlm"
#define KF_OUTCOME_UNKNOWN "unknown"
#define KF_OUTCOME_REFERRAL "referral" /* answered with a cross-realm TGT, not the service ticket */

struct kf_story_service {
	const char *sname, *realm; /* realm NULL when unknown (NTLM-only services) */
	const char *outcome;       /* ok | error | ntlm | referral | unknown */
	int32_t error_code;        /* the last KRB-ERROR's code when outcome is error */
	uint64_t *frames;          /* requests and replies */
	size_t n_frames;
};

/* One HTTP connection of the client that took part in authentication. */
struct kf_story_http {
	uint32_t connection;
	uint32_t tcp_stream; /* Wireshark's tcp.stream of its first message */
	struct kf_endpoint server;
	const char *host;           /* Host header of the first request (with port) */
	const char *mech;           /* kerberos | ntlm | basic | ... | none */
	const char *ticket;         /* sname@realm of the ticket presented (Kerberos) */
	const char *outcome;        /* ok | rejected | challenged | error | unknown */
	int final_status;           /* status of the last response (0: none) */
	uint32_t requests, ap_reqs; /* requests seen, AP-REQs among them */
	uint64_t *frames;
	size_t n_frames;
};

/* Something done on the user's behalf (delegation). */
struct kf_story_delegation {
	const char *kind;          /* forwarded-tgt | on-behalf | s4u2self | s4u2proxy */
	struct kf_endpoint by;     /* who asked (address, port 0) */
	const char *sname, *realm; /* what for */
	const char *outcome;       /* ok | error | unknown */
	int32_t error_code;
	uint64_t *frames;
	size_t n_frames;
};

struct kf_story_tls {
	uint64_t frame;
	uint32_t tcp_stream;
	struct kf_endpoint server;
	const char *sni;
};

struct kf_story {
	struct kf_endpoint client; /* address (port 0) */
	const char *user;          /* user@REALM, or DOMAIN\user for NTLM; NULL when no message names one */
	const char *kdc;           /* first KDC address it talked to, NULL if none */
	bool tgt_seen;             /* an AS exchange of its own is in the capture */
	uint64_t tgt_frame;        /* the AS-REP (or last AS reply) frame */
	struct kf_story_service *services;
	size_t n_services;
	struct kf_story_http *http;
	size_t n_http;
	struct kf_story_delegation *delegation;
	size_t n_delegation;
	struct kf_story_tls *tls;
	size_t n_tls;
	/* authenticated sessions of other protocols (SMB) this client opened */
	const struct kf_session **sessions;
	size_t n_sessions;
	/* the back-end hop: sessions another host (a front end) opened as this
	 * story's user, or anonymously while serving this client over HTTP */
	const struct kf_session **backend;
	size_t n_backend;
	uint64_t *frames; /* every frame of the story, ascending */
	size_t n_frames;
};

/* Build r->stories from r->messages and r->tls (into r's arena).  Stories
 * are ordered by their first frame. */
enum kf_status kf_stories_build(struct kf_result *r) KF_WUR;

/* Which end of a message is the client of its story (the KDC's or server's
 * peer); false for messages without one. */
bool kf_message_client(const struct kf_message *m, struct kf_endpoint *client);

#endif
