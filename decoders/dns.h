/* dns.h - DNS messages (RFC 1035 §4) as far as krbflow needs them: the
 * question and the A, AAAA and CNAME answers, so a story can show that the
 * URL's host was an alias.  Names are decompressed with a bounded number of
 * pointers (loops are an event, not a hang). */
#ifndef KF_DNS_H
#define KF_DNS_H

#include <stdbool.h>
#include <stdint.h>

#include "base/events.h"
#include "base/limits.h"
#include "base/span.h"

#define KF_DNS_A 1
#define KF_DNS_CNAME 5
#define KF_DNS_AAAA 28
#define KF_DNS_TKEY 249 /* RFC 2930: key exchange; GSS-TSIG (RFC 3645) carries GSS tokens in it */
#define KF_DNS_TSIG 250 /* RFC 8945: a transaction signature; GSS-TSIG's MAC is a GSS MIC token */
#define KF_DNS_TKEY_MODE_GSSAPI 3

struct kf_dns_answer {
	uint16_t type; /* A, AAAA, CNAME (others skipped) */
	uint32_t ttl;
	char name[KF_LIMIT_DNS_NAME]; /* owner name */
	char data[KF_LIMIT_DNS_NAME]; /* address text, or the CNAME target */
};

struct kf_dns_msg {
	uint16_t id;
	bool response;
	uint8_t rcode;
	uint8_t opcode; /* 0 QUERY; answers are read only for QUERY */
	bool has_question;
	char qname[KF_LIMIT_DNS_NAME];
	uint16_t qtype;
	uint8_t n_answers;
	bool answers_truncated;
	struct kf_dns_answer answers[KF_LIMIT_DNS_ANSWERS];
	/* the first TKEY record of any section (RFC 2930 §2): a GSS-TSIG
	 * negotiation's token is its key data.  tkey_key points into the input. */
	bool has_tkey;
	uint16_t tkey_mode, tkey_error;
	char tkey_algorithm[KF_LIMIT_DNS_NAME];
	struct kf_span tkey_key;
	/* the TSIG record, the message's last (RFC 8945 §5.1), of any opcode
	 * (a secure dynamic UPDATE is signed): tsig_mac points into the input.
	 * A TSIG that does not decode is left out without failing the message. */
	bool has_tsig;
	char tsig_algorithm[KF_LIMIT_DNS_NAME]; /* "gss-tsig", "gss.microsoft.com", "hmac-sha256" ... */
	struct kf_span tsig_mac;
};

/* Decode a DNS message (UDP payload, or a TCP message without its 2-byte
 * length) into m; only tkey_key points into s afterwards (names are printed
 * into m, see dns.c for the escaping).  Returns false with DNS_MALFORMED, or
 * DNS_NAME_LOOP for a name with more than KF_LIMIT_DNS_POINTERS pointers,
 * when the header, a question or an answer does not decode; what was decoded
 * before the failure stays in m.  More than KF_LIMIT_DNS_ANSWERS kept answers
 * set answers_truncated (no event: large answer sets are normal). */
bool kf_dns_decode(struct kf_span s, struct kf_dns_msg *m, struct kf_events *ev);

#endif
