/* kpasswd.h - Kerberos password change and set messages (RFC 3244 §2: the
 * kpasswd service, port 464 over UDP and TCP; as MIT kadmind, Heimdal, Samba
 * and Windows domain controllers speak it).
 *
 * Input: one message.  Over UDP that is the datagram's payload; over TCP it
 * is one record *after* its 4-byte record mark, which the carrier strips and
 * checks (the record mark of Kerberos over TCP, RFC 4120 §7.2.2, as MIT
 * kadmind and tshark frame kpasswd).  A message is
 *
 *     length (2, big-endian, the whole message) | version (2) |
 *     AP length (2) | AP-REQ or AP-REP (AP length bytes) | KRB-PRIV or KRB-ERROR
 *
 * A request carries an AP-REQ and a KRB-PRIV (the new password, encrypted
 * with the authenticator's subkey).  A reply carries an AP-REP and a KRB-PRIV
 * (the result, encrypted), or an AP length of 0 and a KRB-ERROR whose e-data
 * is the result in the clear.  Windows also answers with a bare KRB-ERROR
 * (no header at all), and MIT's client accepts that: it is decoded too.
 *
 * The decoder frames the message, tells request from reply by the AP
 * element's tag (APPLICATION 14 or 15; an empty one is a reply's), reads what
 * the KRB-PRIV's EncryptedData shows in the clear (etype, kvno, cipher size)
 * and the KRB-ERROR's error-code and e-data, and reads the result (code and
 * string) from the e-data.  The AP-REQ, AP-REP and KRB-ERROR themselves are
 * left to kf_krb5_decode() on the spans given here.  Every span points into
 * the input; nothing is allocated.
 */
#ifndef KF_KPASSWD_H
#define KF_KPASSWD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/events.h"
#include "base/span.h"

/* Protocol versions (RFC 3244 §2).  MIT's kadmind answers every request
 * with version 1. */
#define KF_KPASSWD_V_CHANGE 0x0001u /* change one's own password */
#define KF_KPASSWD_V_SET 0xff80u    /* set a password (RFC 3244: ChangePasswdData) */

enum kf_kpasswd_kind {
	KF_KPASSWD_NONE = 0,
	KF_KPASSWD_REQUEST, /* AP-REQ + KRB-PRIV */
	KF_KPASSWD_REPLY,   /* AP-REP + KRB-PRIV, AP length 0 + KRB-ERROR, or a bare KRB-ERROR */
};

/* Result codes (RFC 3244 §2: 0-4 are the original protocol's, 5-7 came with
 * Microsoft's set-password extension). */
enum kf_kpasswd_result_code {
	KF_KPASSWD_SUCCESS = 0,
	KF_KPASSWD_MALFORMED = 1,           /* request could not be parsed */
	KF_KPASSWD_HARDERROR = 2,           /* server failed */
	KF_KPASSWD_AUTHERROR = 3,           /* authentication failed (the AP-REQ) */
	KF_KPASSWD_SOFTERROR = 4,           /* password change refused (policy) */
	KF_KPASSWD_ACCESSDENIED = 5,        /* not authorized */
	KF_KPASSWD_BAD_VERSION = 6,         /* protocol version not supported */
	KF_KPASSWD_INITIAL_FLAG_NEEDED = 7, /* the ticket must come from an AS exchange */
};

/* What an EncryptedData shows in the clear (RFC 4120 §5.2.9). */
struct kf_kpasswd_enc {
	bool present; /* etype and cipher were read */
	int32_t etype;
	bool has_kvno;
	uint32_t kvno;
	size_t cipher_len;
};

/* A result: the 2-byte code and what follows.  Active Directory puts its
 * password policy in the string as 30 bytes starting with two zero bytes
 * (so the string reads as empty UTF-8); those are decoded into `policy`. */
struct kf_kpasswd_result {
	bool present;          /* at least the 2-byte code was there */
	uint16_t code;         /* enum kf_kpasswd_result_code; other values as sent */
	struct kf_span string; /* the rest: UTF-8 text (may be empty), or the AD policy */
	bool ad_policy;        /* string is the AD policy block */
	struct {
		uint32_t min_length; /* minimum password length */
		uint32_t history;    /* passwords remembered */
		uint32_t properties; /* DOMAIN_PASSWORD_COMPLEX = 1, ... */
		uint64_t max_age;    /* 100 ns units */
		uint64_t min_age;    /* 100 ns units */
	} policy;
};

struct kf_kpasswd_msg {
	int kind;         /* enum kf_kpasswd_kind */
	bool framed;      /* false: a bare KRB-ERROR without the 6-byte header */
	bool complete;    /* everything inside the KRB-PRIV / KRB-ERROR read too */
	uint16_t length;  /* length field (the input's size once accepted); 0 when bare */
	uint16_t version; /* KF_KPASSWD_V_*, or whatever was sent; 0 when bare */

	struct kf_span ap; /* AP-REQ (request) or AP-REP (reply) element; empty when AP length 0 */
	int ap_type;       /* 14 AP-REQ, 15 AP-REP, 0 none */

	struct kf_span priv; /* the KRB-PRIV element, or empty */
	struct kf_kpasswd_enc priv_enc;

	struct kf_span error; /* the KRB-ERROR element, or empty */
	bool has_error_code;
	int32_t error_code; /* KRB-ERROR error-code (MIT kadmind sends 60, KRB_ERR_GENERIC) */
	bool has_e_data;
	struct kf_span e_data;
	struct kf_kpasswd_result result; /* read from e_data */

	const char *why; /* NULL, or why the message was refused or is incomplete
			    (static text, for --debug-decode) */
};

/* Decode one kpasswd message (see the top of this file for what s is).
 * Fills *m (zeroed first).
 *
 * Returns false when s is not a well-framed kpasswd message: too short, the
 * length field differs from s's size, the AP length runs past the end, the AP
 * element or the part after it is not exactly one DER element of an expected
 * kind (AP-REQ/AP-REP; KRB-PRIV/KRB-ERROR), a request is followed by a
 * KRB-ERROR, or (no header) a bare KRB-ERROR has no readable error-code.
 * Event KPASSWD_MALFORMED (and DER_INDEFINITE_LENGTH where BER indefinite
 * lengths were the reason), m->why says which; m->kind stays
 * KF_KPASSWD_NONE, the spans read before the damage stay.
 *
 * Returns true for a well-framed message (m->kind set).  m->complete is false
 * when the inside of its KRB-PRIV or KRB-ERROR could not be read (event
 * KPASSWD_MALFORMED) or a KRB-ERROR's e-data is shorter than a result code
 * (event KPASSWD_RESULT_MALFORMED); a KRB-ERROR without e-data is complete,
 * with no result.  The version is not judged: any value is reported. */
bool kf_kpasswd_decode(struct kf_span s, struct kf_kpasswd_msg *m, struct kf_events *ev);

/* Read a result: 2-byte big-endian code, then the string.  `data` is a
 * KRB-ERROR's e-data, or the user-data of a reply's KRB-PRIV once decrypted.
 * Fills *r (zeroed first); false when data is shorter than 2 bytes.  Raises
 * no event (kf_kpasswd_decode does, for the e-data). */
bool kf_kpasswd_result_decode(struct kf_span data, struct kf_kpasswd_result *r);

/* "KRB5_KPASSWD_SOFTERROR" for 4 (the names RFC 3244 and MIT use); NULL for
 * codes it does not define. */
const char *kf_kpasswd_result_name(uint16_t code);

/* "change-password" (1), "set-password" (0xff80); NULL otherwise. */
const char *kf_kpasswd_version_name(uint16_t version);

#endif
