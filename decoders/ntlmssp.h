/* ntlmssp.h - NTLMSSP messages (MS-NLMP §2.2): NEGOTIATE, CHALLENGE,
 * AUTHENTICATE.  Names and targets only: responses, keys and hashes are never
 * exposed (krbflow must not export credentials).  Security buffers are
 * checked with kf_span_slice_at and never trusted. */
#ifndef KF_NTLMSSP_H
#define KF_NTLMSSP_H

#include <stdbool.h>
#include <stdint.h>

#include "base/events.h"
#include "base/limits.h"
#include "base/span.h"

struct kf_ntlm_av {
	uint16_t id; /* MsvAvNbComputerName = 1 ... MsvAvFlags = 6, MsvAvTimestamp = 7 */
	struct kf_span value;
};

struct kf_ntlm_msg {
	uint32_t type;  /* 1 NEGOTIATE, 2 CHALLENGE, 3 AUTHENTICATE */
	uint32_t flags; /* NegotiateFlags */
	bool unicode;   /* strings are UTF-16LE (else OEM); always false for NEGOTIATE,
				  whose domain/workstation are OEM (MS-NLMP §2.2.1.1) */
	/* NEGOTIATE: domain, workstation (when supplied); AUTHENTICATE: domain, user, workstation */
	struct kf_span domain, user, workstation;
	/* CHALLENGE */
	struct kf_span target_name;
	uint8_t n_av;
	bool av_truncated;
	struct kf_ntlm_av av
		[KF_LIMIT_NTLM_AV_PAIRS]; /* target info (CHALLENGE) or the AUTHENTICATE's NTLMv2 client AVs */
	/* AUTHENTICATE */
	uint16_t nt_response_len, lm_response_len;
	bool ntlmv2;    /* NT response longer than 24 bytes */
	bool anonymous; /* empty user and responses (MS-NLMP §3.2.5.1.2) */
	bool has_mic;   /* MsvAvFlags bit 0x2 in the NTLMv2 client AVs */
	bool damaged;   /* AUTHENTICATE: a buffer points outside the message; the names in
			 * range were read, nothing else (event ntlm-field-out-of-range).
			 * CHALLENGE: its target info is malformed (no MsvAvEOL, a pair
			 * cut short); the pairs before the damage were read (ntlm-malformed) */
	bool has_version;
	uint8_t version_major, version_minor;
	uint16_t version_build;
};

/* Decode an NTLMSSP message (starting with "NTLMSSP\0").  False with an event
 * when it is not one or is malformed; fields decoded before the damage stay.
 * An AUTHENTICATE with a buffer outside the message, or a CHALLENGE whose
 * target info is malformed, is decoded (true) with damaged set and the
 * event: what was in range, nothing else. */
bool kf_ntlmssp_decode(struct kf_span s, struct kf_ntlm_msg *m, struct kf_events *ev);

/* A string field as printable UTF-8 (UTF-16LE when unicode, else OEM as
 * Latin-1), non-printables as '?'; returns the length written (NUL-terminated). */
size_t kf_ntlm_string(struct kf_span s, bool unicode, char *buf, size_t cap);

/* Name of NegotiateFlags bit (0 = NTLMSSP_NEGOTIATE_UNICODE ... 31 =
 * NTLMSSP_NEGOTIATE_56), as MS-NLMP §2.2.2.5 spells it without the prefix,
 * lowercase with hyphens ("unicode", "ntlm", "extended-session-security"); NULL if unused. */
const char *kf_ntlm_flag_name(unsigned bit);

#endif
