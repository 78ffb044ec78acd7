/* pcapng.c - minimal pcapng reader for files libpcap refuses
 * (draft-ietf-opsawg-pcapng §4: SHB, IDB, EPB, SPB, obsolete PB). */
#include "pcapng.h"

#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "net.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_PB 0x00000002u /* obsolete Packet Block */
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u
#define BOM 0x1A2B3C4Du

struct iface {
	int dlt;
	uint32_t snaplen;
	uint64_t units_per_sec; /* timestamp resolution */
	int64_t offset_s;       /* if_tsoffset */
};

struct kf_pcapng {
	FILE *f;
	bool swap;
	bool in_section;
	uint32_t n_ifaces;
	struct iface ifaces[KF_LIMIT_PCAPNG_IFACES];
	uint8_t *block;
	char err[160];
	bool truncated;
};

static uint32_t rd32(const struct kf_pcapng *r, const uint8_t *p)
{
	uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	return r->swap ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const struct kf_pcapng *r, const uint8_t *p)
{
	uint16_t v = (uint16_t)(p[0] | p[1] << 8);
	return r->swap ? __builtin_bswap16(v) : v;
}

int kf_linktype_to_dlt(uint32_t linktype)
{
	switch (linktype) {
	case 101: return KF_DLT_RAW;   /* LINKTYPE_RAW */
	case 104: return 104;          /* C_HDLC */
	default: return (int)linktype; /* most LINKTYPE_ values equal their DLT_ */
	}
}

struct kf_pcapng *kf_pcapng_open(FILE *f)
{
	struct kf_pcapng *r = kf_calloc(1, sizeof(*r));
	if (!r) {
		fclose(f);
		return NULL;
	}
	r->block = kf_malloc(KF_LIMIT_PCAPNG_BLOCK);
	if (!r->block) {
		kf_free(r);
		fclose(f);
		return NULL;
	}
	r->f = f;
	return r;
}

void kf_pcapng_close(struct kf_pcapng *r)
{
	if (!r)
		return;
	if (r->f)
		fclose(r->f);
	kf_free(r->block);
	kf_free(r);
}

const char *kf_pcapng_error(const struct kf_pcapng *r) { return r->err; }
bool kf_pcapng_truncated(const struct kf_pcapng *r) { return r->truncated; }
int kf_pcapng_first_linktype(const struct kf_pcapng *r) { return r->n_ifaces ? r->ifaces[0].dlt : -1; }

static int fail(struct kf_pcapng *r, const char *msg, bool truncated)
{
	snprintf(r->err, sizeof r->err, "%s", msg);
	r->truncated = truncated;
	return KF_CAP_ERROR;
}

static void parse_idb(struct kf_pcapng *r, const uint8_t *body, uint32_t len)
{
	if (len < 8 || r->n_ifaces >= KF_LIMIT_PCAPNG_IFACES)
		return;
	struct iface *ifc = &r->ifaces[r->n_ifaces++];
	ifc->dlt = kf_linktype_to_dlt(rd16(r, body));
	ifc->snaplen = rd32(r, body + 4);
	ifc->units_per_sec = 1000000;
	ifc->offset_s = 0;
	uint32_t off = 8;
	while (off + 4 <= len) {
		uint16_t code = rd16(r, body + off);
		uint16_t olen = rd16(r, body + off + 2);
		off += 4;
		if (code == 0 || olen > len - off)
			break;
		if (code == 9 && olen == 1) { /* if_tsresol */
			uint8_t v = body[off];
			uint64_t u = 1;
			unsigned exp = v & 0x7f;
			if (exp <= (v & 0x80 ? 63u : 19u)) {
				for (unsigned i = 0; i < exp; i++)
					u *= (v & 0x80) ? 2 : 10;
				ifc->units_per_sec = u;
			}
		} else if (code == 14 && olen == 8) { /* if_tsoffset, seconds */
			uint64_t lo = rd32(r, body + off), hi = rd32(r, body + off + 4);
			if (r->swap) {
				uint64_t t = lo;
				lo = hi;
				hi = t;
			}
			ifc->offset_s = (int64_t)(hi << 32 | lo);
		}
		off += (olen + 3u) & ~3u;
	}
}

static uint64_t to_us(const struct iface *ifc, uint64_t ts)
{
	uint64_t u = ifc->units_per_sec ? ifc->units_per_sec : 1000000;
	uint64_t sec = ts / u, frac = ts % u;
	/* frac < u <= 2^63: the product needs 128 bits (binary resolutions
	 * such as 2^-20 do not divide a microsecond evenly) */
	uint64_t us = (uint64_t)((unsigned __int128)frac * 1000000u / u);
	return (uint64_t)((int64_t)sec + ifc->offset_s) * 1000000u + us;
}

int kf_pcapng_next(struct kf_pcapng *r, struct kf_pkt *pkt)
{
	for (;;) {
		uint8_t hdr[8];
		size_t got = fread(hdr, 1, 8, r->f);
		if (got == 0)
			return KF_CAP_EOF;
		if (got < 8)
			return fail(r, "truncated pcapng block header", true);
		uint32_t type = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 |
				(uint32_t)hdr[3] << 24;
		if (type == BT_SHB) {
			uint8_t bom[4];
			if (fread(bom, 1, 4, r->f) != 4)
				return fail(r, "truncated section header", true);
			uint32_t b = (uint32_t)bom[0] | (uint32_t)bom[1] << 8 | (uint32_t)bom[2] << 16 |
				     (uint32_t)bom[3] << 24;
			if (b == BOM)
				r->swap = false;
			else if (b == __builtin_bswap32(BOM))
				r->swap = true;
			else
				return fail(r, "bad pcapng byte-order magic", false);
			r->in_section = true;
			r->n_ifaces = 0;
			uint32_t len = rd32(r, hdr + 4);
			if (len < 28 || len % 4 || len > KF_LIMIT_PCAPNG_BLOCK)
				return fail(r, "bad pcapng section header length", false);
			if (fread(r->block, 1, len - 12, r->f) != len - 12)
				return fail(r, "truncated section header", true);
			continue;
		}
		if (!r->in_section)
			return fail(r, "pcapng block before the section header", false);
		uint32_t len = rd32(r, hdr + 4);
		if (len < 12 || len % 4 || len > KF_LIMIT_PCAPNG_BLOCK)
			return fail(r, "bad pcapng block length", false);
		uint32_t body_len = len - 12;
		if (fread(r->block, 1, body_len + 4, r->f) != body_len + 4)
			return fail(r, "truncated pcapng block", true);
		type = r->swap ? __builtin_bswap32(type) : type;
		const uint8_t *b = r->block;
		switch (type) {
		case BT_IDB: parse_idb(r, b, body_len); continue;
		case BT_EPB:
		case BT_PB: {
			if (body_len < 20)
				return fail(r, "short packet block", false);
			uint32_t ifid = type == BT_EPB ? rd32(r, b) : rd16(r, b);
			uint64_t ts = (uint64_t)rd32(r, b + 4) << 32 | rd32(r, b + 8);
			uint32_t cap = rd32(r, b + 12), wire = rd32(r, b + 16);
			if (ifid >= r->n_ifaces)
				return fail(r, "packet block names an undefined interface", false);
			if (cap > body_len - 20)
				return fail(r, "packet block captured length exceeds the block", false);
			pkt->ts_us = to_us(&r->ifaces[ifid], ts);
			pkt->dlt = r->ifaces[ifid].dlt;
			pkt->caplen = cap;
			pkt->wirelen = wire;
			pkt->data = b + 20;
			return KF_CAP_PACKET;
		}
		case BT_SPB: {
			if (body_len < 4 || r->n_ifaces == 0)
				return fail(r, "bad simple packet block", false);
			uint32_t wire = rd32(r, b);
			uint32_t cap = wire < body_len - 4 ? wire : body_len - 4;
			if (r->ifaces[0].snaplen && cap > r->ifaces[0].snaplen)
				cap = r->ifaces[0].snaplen;
			pkt->ts_us = 0;
			pkt->dlt = r->ifaces[0].dlt;
			pkt->caplen = cap;
			pkt->wirelen = wire;
			pkt->data = b + 4;
			return KF_CAP_PACKET;
		}
		default: continue; /* statistics, name resolution, custom blocks */
		}
	}
}
