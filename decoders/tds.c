/* tds.c - SQL Server's TDS login messages: see tds.h. */
#include "tds.h"

#include <string.h>

#include "base/cursor.h"

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static bool known_type(uint8_t t)
{
	return (t >= KF_TDS_SQL_BATCH && t <= KF_TDS_FEDAUTH_TOKEN && t != 5) || t == KF_TDS_TRANSACTION ||
	       (t >= KF_TDS_LOGIN7 && t <= KF_TDS_PRELOGIN);
}

bool kf_tds_header(struct kf_span first, struct kf_tds_header *out)
{
	memset(out, 0, sizeof *out);
	if (first.n < KF_TDS_HEADER)
		return false;
	const uint8_t *p = first.p;
	/* §2.2.3.1.2: EOM, ignore, reset connection, reset keeping the transaction;
	 * 0x04 (event notification, as Sybase and tshark know it) is tolerated */
	if (!known_type(p[0]) || (p[1] & ~0x1fu))
		return false;
	out->type = p[0];
	out->status = p[1];
	out->length = (uint16_t)((p[2] << 8) | p[3]);
	out->spid = (uint16_t)((p[4] << 8) | p[5]);
	out->packet_id = p[6];
	out->window = p[7];
	return out->length >= KF_TDS_HEADER;
}

bool kf_tds_is_tls(struct kf_span s)
{
	return s.n >= 3 && s.p[0] >= 20 && s.p[0] <= 23 && s.p[1] == 3 && s.p[2] <= 4;
}

/* The option table (§2.2.6.5): 5-byte entries (token, offset, length: big
 * endian, offsets from the payload's start) up to the 0xFF terminator.
 * Each entry's data must lie in the payload's first `total` bytes.  Returns
 * the number of bytes the table takes, 0 when damaged or not whole in s. */
static size_t option_table(struct kf_span s, size_t total)
{
	size_t at = 0;
	for (;;) {
		if (at >= s.n)
			return 0;
		if (s.p[at] == 0xff)
			return at + 1;
		if (s.n - at < 5u)
			return 0;
		uint16_t off = (uint16_t)((s.p[at + 1] << 8) | s.p[at + 2]);
		uint16_t len = (uint16_t)((s.p[at + 3] << 8) | s.p[at + 4]);
		if ((size_t)off + len > total)
			return 0;
		at += 5;
	}
}

bool kf_tds_probe_prelogin(struct kf_span first)
{
	struct kf_tds_header h;
	if (!kf_tds_header(first, &h) || h.type != KF_TDS_PRELOGIN || h.status != KF_TDS_STATUS_EOM)
		return false;
	if (h.length < KF_TDS_HEADER + 6u || h.length > 4096u)
		return false;
	size_t total = h.length - KF_TDS_HEADER;
	size_t have = first.n - KF_TDS_HEADER < total ? first.n - KF_TDS_HEADER : total;
	struct kf_span payload = kf_span_make(first.p + KF_TDS_HEADER, have);
	size_t table = option_table(payload, total);
	/* the table's first entry is VERSION, which every client sends */
	return table > 5u && payload.p[0] == 0x00;
}

static void malformed(const char **why, struct kf_events *ev, const char *text)
{
	if (!*why)
		*why = text;
	kf_events_add(ev, KF_EV_TDS_MALFORMED);
}

bool kf_tds_prelogin(struct kf_span payload, struct kf_tds_prelogin *out, struct kf_events *ev)
{
	memset(out, 0, sizeof *out);
	if (kf_tds_is_tls(payload)) {
		out->tls = true;
		return true;
	}
	size_t table = option_table(payload, payload.n);
	if (!table) {
		malformed(&out->why, ev, "tds: PRELOGIN option table damaged");
		return false;
	}
	for (size_t at = 0; at + 5u <= table; at += 5) {
		const uint8_t *e = payload.p + at;
		size_t off = (size_t)((e[1] << 8) | e[2]), len = (size_t)((e[3] << 8) | e[4]);
		const uint8_t *v = payload.p + off; /* option_table() checked it lies inside */
		if (e[0] == 0x00 && len >= 6u) {
			out->has_version = true;
			out->version = ((uint32_t)v[0] << 24) | ((uint32_t)v[1] << 16) |
				       ((uint32_t)v[2] << 8) | v[3];
			out->subbuild = (uint16_t)((v[4] << 8) | v[5]);
		} else if (e[0] == 0x01 && len >= 1u) {
			out->has_encryption = true;
			out->encryption = v[0];
		}
	}
	return true;
}

/* An (offset, length) pair of LOGIN7's fixed part: the span it names, in
 * bytes; empty (and *bad set) when it lies outside the payload. */
static struct kf_span login_field(struct kf_span payload, size_t at, size_t unit, bool *bad)
{
	size_t off = le16(payload.p + at), n = (size_t)le16(payload.p + at + 2) * unit;
	struct kf_span s = { NULL, 0 };
	if (!n)
		return s;
	if (off > payload.n || payload.n - off < n) {
		*bad = true;
		return s;
	}
	return kf_span_make(payload.p + off, n);
}

bool kf_tds_login7(struct kf_span payload, struct kf_tds_login7 *out, struct kf_events *ev)
{
	memset(out, 0, sizeof *out);
	/* TDS 7.0 and 7.1 end the fixed part before ibChangePassword: 86 bytes */
	if (payload.n < 86u) {
		malformed(&out->why, ev, "tds: LOGIN7 shorter than its fixed part");
		return false;
	}
	const uint8_t *p = payload.p;
	out->length = le32(p);
	out->tds_version = le32(p + 4);
	out->option_flags2 = p[25];
	out->integrated = (p[25] & 0x80u) != 0;
	bool bad = false;
	out->host_name = login_field(payload, 36, 2, &bad);
	out->user_name = login_field(payload, 40, 2, &bad);
	/* 44: ibPassword / cchPassword, never read */
	out->server_name = login_field(payload, 52, 2, &bad);
	size_t ib_sspi = le16(p + 78);
	uint32_t cb_sspi = le16(p + 80);
	if (cb_sspi == 0xffffu) /* the real size is cbSSPILong (§2.2.6.4) */
		cb_sspi = payload.n >= KF_TDS_LOGIN7_FIXED ? le32(p + 90) : 0;
	if (cb_sspi) {
		if (ib_sspi >= payload.n) {
			bad = true;
		} else {
			size_t have = payload.n - ib_sspi;
			out->sspi_cut = have < cb_sspi;
			out->sspi = kf_span_make(p + ib_sspi, out->sspi_cut ? have : cb_sspi);
		}
	}
	if (bad || out->sspi_cut)
		malformed(&out->why, ev, "tds: a LOGIN7 string or SSPI block outside the message");
	return true;
}

/* ----------------------------------------------------------- tokens ---- */

/* §2.2.7.13 LOGINACK: Interface, TDSVersion, ProgName, ProgVersion. */
static void read_loginack(struct kf_span body, struct kf_tds_tokens *out)
{
	out->login_ack = true;
	if (body.n >= 5u) {
		out->ack_interface = body.p[0];
		out->ack_tds_version = ((uint32_t)body.p[1] << 24) | ((uint32_t)body.p[2] << 16) |
				       ((uint32_t)body.p[3] << 8) | body.p[4];
	}
}

/* §2.2.7.10 ERROR: Number, State, Class, MsgText (US_VARCHAR), then the
 * server and procedure names and the line number, not needed. */
static bool read_error(struct kf_span body, struct kf_tds_tokens *out)
{
	struct kf_cur c = kf_cur_make(body);
	uint32_t number = kf_cur_le32(&c);
	uint8_t state = kf_cur_u8(&c), class = kf_cur_u8(&c);
	uint16_t chars = kf_cur_le16(&c);
	struct kf_span text = kf_cur_bytes(&c, (size_t)chars * 2u);
	if (!kf_cur_ok(&c))
		return false;
	if (!out->has_error) {
		out->has_error = true;
		out->error_number = number;
		out->error_state = state;
		out->error_class = class;
		out->error_text = text;
	}
	return true;
}

/* The size of a token's body after its type byte, from its class (§2.2.4.2.1):
 * *len_bytes the length field in front of the body.  False when the size
 * is known only by reading the token's fields (column metadata, rows,
 * return values, feature acks, data classification). */
static bool token_size(uint8_t t, size_t *len_bytes, size_t *fixed)
{
	*len_bytes = 0;
	*fixed = 0;
	switch (t) {
	case 0xfd:
	case 0xfe:
	case 0xff: *fixed = 12; return true; /* DONE, DONEPROC, DONEINPROC (TDS 7.2+) */
	case 0xee:
	case 0xe4: *len_bytes = 4; return true; /* FEDAUTHINFO, SESSIONSTATE */
	case 0xac:                              /* RETURNVALUE */
	case 0xae:                              /* FEATUREEXTACK */
	case 0xa3:                              /* DATACLASSIFICATION */
	case 0xd1:                              /* ROW */
	case 0xd2:                              /* NBCROW */
	case 0xd3: return false;                /* ALTROW */
	default: break;
	}
	switch (t & 0x30u) {
	case 0x10: return true;                                 /* zero length */
	case 0x30: *fixed = 1u << ((t >> 2) & 3u); return true; /* 1, 2, 4 or 8 bytes */
	case 0x20: *len_bytes = 2; return true;                 /* a USHORT length */
	default: return false;                                  /* variable count: COLMETADATA, ALTMETADATA */
	}
}

bool kf_tds_tokens(struct kf_span payload, struct kf_tds_tokens *out, struct kf_events *ev)
{
	memset(out, 0, sizeof *out);
	struct kf_cur c = kf_cur_make(payload);
	while (kf_cur_left(&c) && out->n_tokens < KF_LIMIT_TDS_TOKENS) {
		uint8_t t = c.p[0];
		size_t len_bytes, size;
		if (!token_size(t, &len_bytes, &size)) {
			out->stopped = true;
			out->stopped_at = t;
			break;
		}
		struct kf_cur probe = c;
		kf_cur_skip(&probe, 1);
		if (len_bytes == 2)
			size = kf_cur_le16(&probe);
		else if (len_bytes == 4)
			size = kf_cur_le32(&probe);
		if ((t == 0xfd || t == 0xfe || t == 0xff) && kf_cur_left(&probe) == 8u)
			size = 8; /* TDS 7.0 / 7.1: a 4-byte row count */
		struct kf_span body = kf_cur_bytes(&probe, size);
		if (!kf_cur_ok(&probe)) {
			out->stopped = true;
			out->stopped_at = t;
			malformed(&out->why, ev, "tds: a token runs past the message");
			break;
		}
		c = probe;
		out->n_tokens++;
		switch (t) {
		case 0xad: read_loginack(body, out); break;
		case 0xaa:
			if (!read_error(body, out))
				malformed(&out->why, ev, "tds: ERROR token damaged");
			break;
		case 0xed:
			if (!out->sspi.n)
				out->sspi = body;
			break;
		case 0xfd:
			out->done = true;
			out->done_status = le16(body.p);
			break;
		default: break; /* INFO, ENVCHANGE, ... */
		}
		if (out->done && !(out->done_status & 0x0001u))
			break; /* no DONE_MORE: the message ends here */
	}
	return out->n_tokens > 0;
}

/* ------------------------------------------------------------- names ---- */

const char *kf_tds_type_name(uint8_t type)
{
	switch (type) {
	case KF_TDS_SQL_BATCH: return "SQL-BATCH";
	case KF_TDS_PRE7_LOGIN: return "PRE-TDS7-LOGIN";
	case KF_TDS_RPC: return "RPC";
	case KF_TDS_TABULAR: return "TABULAR";
	case KF_TDS_ATTENTION: return "ATTENTION";
	case KF_TDS_BULK_LOAD: return "BULK-LOAD";
	case KF_TDS_FEDAUTH_TOKEN: return "FEDAUTH-TOKEN";
	case KF_TDS_TRANSACTION: return "TRANSACTION-MANAGER";
	case KF_TDS_LOGIN7: return "LOGIN7";
	case KF_TDS_SSPI: return "SSPI";
	case KF_TDS_PRELOGIN: return "PRELOGIN";
	default: return NULL;
	}
}

const char *kf_tds_encryption_name(uint8_t encryption)
{
	static const char *const names[] = { "off", "on", "not-supported", "required" };
	return encryption < sizeof names / sizeof names[0] ? names[encryption] : NULL;
}
