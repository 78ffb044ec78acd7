/* tds.h - SQL Server's Tabular Data Stream (MS-TDS) as far as a login
 * needs it: the 8-byte packet header (§2.2.3.1), PRELOGIN's option table
 * (§2.2.6.5: VERSION, ENCRYPTION) or the TLS records it wraps, LOGIN7's
 * fixed part and the strings and SSPI block it points to (§2.2.6.4), and
 * the server's token stream (§2.2.7: LOGINACK, ERROR, SSPI, DONE; INFO,
 * ENVCHANGE and other tokens whose length says their size are stepped
 * over).  The password LOGIN7 carries is never read: no span points to it.
 *
 * Input: a message's payload, the packets' data gathered without their
 * headers (the carrier frames them).  Every span points into the input;
 * nothing is allocated.  Strings stay UTF-16LE spans: the caller makes
 * them printable (base/text.h) with its own cap. */
#ifndef KF_TDS_H
#define KF_TDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/events.h"
#include "base/limits.h"
#include "base/span.h"

#define KF_TDS_HEADER 8u        /* bytes of a packet header */
#define KF_TDS_STATUS_EOM 0x01u /* the last packet of a message */
#define KF_TDS_LOGIN7_FIXED 94u /* LOGIN7's fixed part up to and with cbSSPILong (TDS 7.2+) */
#define KF_LIMIT_TDS_TOKENS 64u /* tokens walked in one token stream */

/* §2.2.3.1.1 packet types. */
enum kf_tds_type {
	KF_TDS_SQL_BATCH = 1,
	KF_TDS_PRE7_LOGIN = 2,
	KF_TDS_RPC = 3,
	KF_TDS_TABULAR = 4, /* the server's answers, the PRELOGIN response included */
	KF_TDS_ATTENTION = 6,
	KF_TDS_BULK_LOAD = 7,
	KF_TDS_FEDAUTH_TOKEN = 8,
	KF_TDS_TRANSACTION = 14,
	KF_TDS_LOGIN7 = 16,
	KF_TDS_SSPI = 17,
	KF_TDS_PRELOGIN = 18,
};

/* §2.2.6.5 ENCRYPTION values. */
enum kf_tds_encryption {
	KF_TDS_ENCRYPT_OFF = 0,
	KF_TDS_ENCRYPT_ON = 1,
	KF_TDS_ENCRYPT_NOT_SUP = 2,
	KF_TDS_ENCRYPT_REQ = 3,
};

struct kf_tds_header {
	uint8_t type, status;
	uint16_t length; /* the whole packet, header included (big-endian on the wire) */
	uint16_t spid;
	uint8_t packet_id, window;
};

/* The header from the first 8 bytes.  False when too few or not a TDS
 * header: an unknown type, status bits above 0x10, a length shorter than
 * the header. */
bool kf_tds_header(struct kf_span first, struct kf_tds_header *out);

/* The strict look a probe takes at a stream's first client bytes: a
 * PRELOGIN packet (type 18, status EOM alone, a length from 8 + 6 to 4096)
 * whose option table is whole in the bytes given, each option inside the
 * packet, ending with 0xFF. */
bool kf_tds_probe_prelogin(struct kf_span first);

/* Bytes that open a TLS record (content type 20..23, version 3.x): a
 * PRELOGIN packet that wraps the TLS handshake, or TLS straight on TCP. */
bool kf_tds_is_tls(struct kf_span s);

struct kf_tds_prelogin {
	bool tls; /* the payload is a TLS record (the login goes inside TLS) */
	bool has_version;
	uint32_t version; /* UL_VERSION, e.g. 0x0f000000 for 15.0 */
	uint16_t subbuild;
	bool has_encryption;
	uint8_t encryption;
	const char *why;
};

/* A PRELOGIN payload (the client's request or the server's answer): the
 * option table, or TLS.  False when neither (event TDS_MALFORMED). */
bool kf_tds_prelogin(struct kf_span payload, struct kf_tds_prelogin *out, struct kf_events *ev);

struct kf_tds_login7 {
	uint32_t length, tds_version;
	uint8_t option_flags2;
	bool integrated;            /* OptionFlags2 fIntSecurity */
	struct kf_span host_name;   /* UTF-16LE */
	struct kf_span user_name;   /* UTF-16LE */
	struct kf_span server_name; /* UTF-16LE */
	struct kf_span sspi;        /* the SSPI block (cbSSPILong when cbSSPI is 0xFFFF) */
	bool sspi_cut;              /* the SSPI block runs past the payload: what is there is kept */
	const char *why;
};

/* A LOGIN7 payload.  False when its fixed part is not there (event
 * TDS_MALFORMED); a string or the SSPI block outside the payload is left
 * empty (why says so, event TDS_MALFORMED) and the rest is still read. */
bool kf_tds_login7(struct kf_span payload, struct kf_tds_login7 *out, struct kf_events *ev);

struct kf_tds_tokens {
	bool login_ack;
	uint8_t ack_interface;
	uint32_t ack_tds_version;
	bool has_error; /* the first ERROR token */
	uint32_t error_number;
	uint8_t error_state, error_class;
	struct kf_span error_text; /* UTF-16LE */
	struct kf_span sspi;       /* the first SSPI token's bytes */
	bool done;                 /* a DONE token was reached */
	uint16_t done_status;
	bool stopped; /* a token whose size is unknown (or damaged) ended the walk */
	uint8_t stopped_at;
	uint8_t n_tokens;
	const char *why;
};

/* A tabular result (type 4) walked forward only, at most
 * KF_LIMIT_TDS_TOKENS tokens.  False when no token could be read. */
bool kf_tds_tokens(struct kf_span payload, struct kf_tds_tokens *out, struct kf_events *ev);

/* "PRELOGIN", "LOGIN7", "SSPI", "TABULAR", ... (NULL for others);
 * "off", "on", "not-supported", "required" (NULL for others). */
const char *kf_tds_type_name(uint8_t type);
const char *kf_tds_encryption_name(uint8_t encryption);

#endif
