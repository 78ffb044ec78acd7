/* tls.c - the server_name of a TLS ClientHello (RFC 8446 §4.1.2, §5.1;
 * RFC 5246 §7.4.1.2; RFC 6066 §3).
 *
 * Subset accepted: one TLSPlaintext record of type handshake (22) with
 * version 3.x and a length of 1..2^14; the first handshake message in it
 * must be a ClientHello (type 1).  The ClientHello may continue beyond the
 * bytes we have (a record cut short by the caller, or a ClientHello spread
 * over several records): running out of bytes inside its declared length is
 * not an event, the function just finds no name.  A length field that
 * contradicts the length around it is TLS_MALFORMED.  Extensions after
 * server_name are not read.  SSLv2-style ClientHellos are not recognised.
 * The first host_name (type 0) entry is returned; other name types are
 * skipped.
 */
#include "tls.h"

#include <stdio.h>
#include <string.h>

#include "base/cursor.h"

#define TLS_RECORD_MAX 16384u /* 2^14, RFC 8446 §5.1 */

bool kf_tls_probe(struct kf_span s)
{
	if (s.n < 3 || s.p[0] != 0x16 || s.p[1] != 0x03 || s.p[2] > 0x04)
		return false;
	if (s.n >= 5) {
		size_t len = (size_t)s.p[3] << 8 | s.p[4];
		if (len == 0 || len > TLS_RECORD_MAX + 2048) /* TLSCiphertext may add 2048 */
			return false;
	}
	return true;
}

/* A cursor over a declared length of which possibly only a prefix is here. */
struct part {
	struct kf_cur c;
	const uint8_t *start;
	size_t declared;
	bool cut; /* fewer bytes here than declared */
};

static struct part part_make(struct kf_span have, size_t declared)
{
	struct part p;
	p.cut = have.n < declared;
	p.c = kf_cur_make(kf_span_make(have.p, p.cut ? have.n : declared));
	p.start = have.p;
	p.declared = declared;
	return p;
}

/* Declared bytes not yet read. */
static size_t part_left(const struct part *p) { return p->declared - (size_t)(p->c.p - p->start); }

/* Print a host name: 0x21..0x7e as they are (backslash doubled), other
 * bytes as \DDD.  False when it does not fit cap with its NUL. */
static bool print_name(struct kf_span name, char *out, size_t cap)
{
	size_t len = 0;
	for (size_t i = 0; i < name.n; i++) {
		char tmp[5];
		uint8_t b = name.p[i];
		int k;
		if (b == '\\')
			k = snprintf(tmp, sizeof tmp, "\\\\");
		else if (b > 0x20 && b < 0x7f)
			k = snprintf(tmp, sizeof tmp, "%c", b);
		else
			k = snprintf(tmp, sizeof tmp, "\\%03u", b);
		if (k < 0 || (size_t)k >= cap - len)
			return false;
		memcpy(out + len, tmp, (size_t)k);
		len += (size_t)k;
	}
	out[len] = '\0';
	return true;
}

enum sni_st { SNI_FOUND, SNI_NONE, SNI_MALFORMED };

/* ServerNameList (RFC 6066 §3), all of it present. */
static enum sni_st server_name(struct kf_cur c, char *sni, size_t cap)
{
	uint16_t list_len = kf_cur_be16(&c);
	if (!kf_cur_ok(&c) || list_len != kf_cur_left(&c) || list_len == 0)
		return SNI_MALFORMED;
	while (kf_cur_left(&c)) {
		uint8_t type = kf_cur_u8(&c);
		uint16_t len = kf_cur_be16(&c);
		struct kf_span name = kf_cur_bytes(&c, len);
		if (!kf_cur_ok(&c) || len == 0)
			return SNI_MALFORMED;
		if (type == 0)
			return print_name(name, sni, cap) ? SNI_FOUND : SNI_MALFORMED;
	}
	return SNI_NONE;
}

bool kf_tls_client_hello_sni(struct kf_span s, char *sni, size_t cap, struct kf_events *ev)
{
	if (cap == 0)
		return false;
	sni[0] = '\0';
	struct kf_cur rec = kf_cur_make(s);
	uint8_t ctype = kf_cur_u8(&rec);
	uint16_t rver = kf_cur_be16(&rec);
	uint16_t rlen = kf_cur_be16(&rec);
	if (!kf_cur_ok(&rec) || ctype != 22 || rver >> 8 != 3)
		return false;
	if (rlen == 0 || rlen > TLS_RECORD_MAX)
		goto malformed;
	struct part frag = part_make(kf_cur_rest(&rec), rlen);

	uint8_t htype = kf_cur_u8(&frag.c);
	uint32_t hlen = (uint32_t)kf_cur_u8(&frag.c) << 16;
	hlen |= kf_cur_be16(&frag.c);
	if (!kf_cur_ok(&frag.c) || htype != 1)
		return false; /* header split over records, or not a ClientHello */
	struct part ch = part_make(kf_cur_rest(&frag.c), hlen);

	uint16_t version = kf_cur_be16(&ch.c);
	kf_cur_skip(&ch.c, 32); /* random */
	uint8_t sid_len = kf_cur_u8(&ch.c);
	if (kf_cur_ok(&ch.c) && (version >> 8 != 3 || sid_len > 32))
		goto malformed;
	kf_cur_skip(&ch.c, sid_len);
	uint16_t cs_len = kf_cur_be16(&ch.c);
	if (kf_cur_ok(&ch.c) && (cs_len < 2 || cs_len % 2 || cs_len > part_left(&ch)))
		goto malformed;
	kf_cur_skip(&ch.c, cs_len);
	uint8_t comp_len = kf_cur_u8(&ch.c);
	if (kf_cur_ok(&ch.c) && (comp_len < 1 || comp_len > part_left(&ch)))
		goto malformed;
	kf_cur_skip(&ch.c, comp_len);
	if (!kf_cur_ok(&ch.c))
		goto ran_out;
	if (part_left(&ch) == 0)
		return false; /* no extensions */
	uint16_t ext_len = kf_cur_be16(&ch.c);
	if (kf_cur_ok(&ch.c) && ext_len != part_left(&ch))
		goto malformed;
	struct part ext = part_make(kf_cur_rest(&ch.c), ext_len);
	if (!kf_cur_ok(&ch.c))
		goto ran_out;

	while (part_left(&ext)) {
		if (part_left(&ext) < 4)
			goto malformed;
		uint16_t etype = kf_cur_be16(&ext.c);
		uint16_t elen = kf_cur_be16(&ext.c);
		if (!kf_cur_ok(&ext.c))
			return false; /* cut short */
		if (elen > part_left(&ext))
			goto malformed;
		struct kf_cur data = kf_cur_sub(&ext.c, elen);
		if (!kf_cur_ok(&ext.c))
			return false; /* the extension continues beyond our bytes */
		if (etype != 0)
			continue;
		switch (server_name(data, sni, cap)) {
		case SNI_FOUND: return true;
		case SNI_NONE: return false;
		case SNI_MALFORMED: sni[0] = '\0'; goto malformed;
		}
	}
	return false;

ran_out:
	if (ch.cut)
		return false;
malformed:
	kf_events_add(ev, KF_EV_TLS_MALFORMED);
	return false;
}
