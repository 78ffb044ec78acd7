/* fuzz_flow.c - whole TCP conversations through dispatch (STYLE.md 22;
 * Suricata's fuzz_applayerparserparse.c).
 *
 * Input: one control byte, then chunks separated by "\xffFLOW\xff", which
 * alternate client → server, server → client, client → server...  They are
 * written as the TCP segments of one connection (SYN, SYN-ACK, ACK, data with
 * correct sequence numbers, FINs) into an in-memory Ethernet pcap, which
 * kf_analyze then reads like any capture.
 *
 * Control byte:
 *   bits 0-2  server port: 88, 80, 3128, 53, 443, 464, 445 (SMB), 139 (NetBIOS)
 *   bit 3     IPv6 instead of IPv4
 *   bit 4     small segments: 1, 7, 31 or 64 bytes (bits 5-6); else 1460
 *   bit 7     picked up mid-way: no handshake and no FINs
 */
#define _GNU_SOURCE /* memfd_create */
#include "fuzz.h"
#include "fuzz_capture.h"
#include "net.h"

static const uint8_t sep[] = { 0xff, 'F', 'L', 'O', 'W', 0xff };
static const uint16_t ports[8] = { 88, 80, 3128, 53, 443, 464, 445, 139 };

struct pcap_buf {
	uint8_t *p;
	size_t n, cap;
	bool v6, failed;
	uint16_t sport, dport;
	uint32_t seq[2]; /* next sequence number of each side */
	uint64_t ts_us;
};

static void put(struct pcap_buf *b, const void *src, size_t n)
{
	if (b->failed || n == 0)
		return;
	if (b->n + n > b->cap) {
		size_t nc = b->cap ? b->cap : 4096;
		while (nc < b->n + n)
			nc *= 2;
		uint8_t *np = realloc(b->p, nc);
		if (!np) {
			b->failed = true;
			return;
		}
		b->p = np;
		b->cap = nc;
	}
	memcpy(b->p + b->n, src, n);
	b->n += n;
}

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, (uint16_t)(v >> 16));
	be16(p + 2, (uint16_t)v);
}

/* One TCP segment from side dir (0 client, 1 server) as a pcap record. */
static void segment(struct pcap_buf *b, int dir, uint8_t flags, const uint8_t *pl, size_t n)
{
	uint8_t h[16 + 14 + 40 + 20];
	size_t ipl = b->v6 ? 40 : 20;
	size_t frame = 14 + ipl + 20 + n;
	memset(h, 0, sizeof h);
	b->ts_us += 1000;
	le32(h, (uint32_t)(b->ts_us / 1000000));
	le32(h + 4, (uint32_t)(b->ts_us % 1000000));
	le32(h + 8, (uint32_t)frame);
	le32(h + 12, (uint32_t)frame);
	uint8_t *e = h + 16;
	static const uint8_t mac[2][6] = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 } };
	memcpy(e, mac[!dir], 6);
	memcpy(e + 6, mac[dir], 6);
	be16(e + 12, b->v6 ? 0x86dd : 0x0800);
	uint8_t *ip = e + 14;
	uint8_t src = dir ? 2 : 1, dst = dir ? 1 : 2;
	if (b->v6) {
		ip[0] = 0x60;
		be16(ip + 4, (uint16_t)(20 + n));
		ip[6] = 6;
		ip[7] = 64;
		ip[8] = 0xfd;
		ip[23] = src;
		ip[24] = 0xfd;
		ip[39] = dst;
	} else {
		ip[0] = 0x45;
		be16(ip + 2, (uint16_t)(20 + 20 + n));
		ip[8] = 64;
		ip[9] = 6;
		ip[12] = 10;
		ip[15] = src;
		ip[16] = 10;
		ip[19] = dst;
	}
	uint8_t *t = ip + ipl;
	be16(t, dir ? b->dport : b->sport);
	be16(t + 2, dir ? b->sport : b->dport);
	be32(t + 4, b->seq[dir]);
	be32(t + 8, (flags & KF_TCP_ACK) ? b->seq[!dir] : 0);
	t[12] = 5 << 4;
	t[13] = flags;
	be16(t + 14, 65535);
	put(b, h, 16 + 14 + ipl + 20);
	put(b, pl, n);
	b->seq[dir] += (uint32_t)n + ((flags & (KF_TCP_SYN | KF_TCP_FIN)) ? 1u : 0u);
}

static const uint8_t *find_sep(const uint8_t *p, const uint8_t *end)
{
	while ((size_t)(end - p) >= sizeof sep) {
		const uint8_t *q = memchr(p, sep[0], (size_t)(end - p) - (sizeof sep - 1));
		if (!q)
			return NULL;
		if (memcmp(q, sep, sizeof sep) == 0)
			return q;
		p = q + 1;
	}
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 20))
		return 0;
	uint8_t ctl = data[0];
	static const size_t small[] = { 1, 7, 31, 64 };
	size_t mss = (ctl & 0x10) ? small[(ctl >> 5) & 3] : 1460;
	bool midstream = ctl & 0x80;

	struct pcap_buf b;
	memset(&b, 0, sizeof b);
	b.v6 = ctl & 0x08;
	b.dport = ports[ctl & 7];
	b.sport = 49152;
	b.seq[0] = 0x01000000;
	b.seq[1] = 0x7f000000;
	b.ts_us = 1700000000ull * 1000000ull;

	uint8_t gh[24];
	memset(gh, 0, sizeof gh);
	le32(gh, 0xa1b2c3d4);
	gh[4] = 2;
	gh[6] = 4;
	le32(gh + 16, 262144);
	le32(gh + 20, 1); /* LINKTYPE_ETHERNET */
	put(&b, gh, sizeof gh);

	if (!midstream) {
		segment(&b, 0, KF_TCP_SYN, NULL, 0);
		segment(&b, 1, KF_TCP_SYN | KF_TCP_ACK, NULL, 0);
		segment(&b, 0, KF_TCP_ACK, NULL, 0);
	}
	const uint8_t *p = data + 1, *end = data + size;
	int dir = 0;
	for (;;) {
		const uint8_t *s = find_sep(p, end);
		const uint8_t *ce = s ? s : end;
		for (const uint8_t *q = p; q < ce;) {
			size_t n = (size_t)(ce - q) < mss ? (size_t)(ce - q) : mss;
			segment(&b, dir, KF_TCP_ACK | KF_TCP_PSH, q, n);
			q += n;
		}
		if (!s)
			break;
		p = s + sizeof sep;
		dir = !dir;
	}
	if (!midstream) {
		segment(&b, 0, KF_TCP_FIN | KF_TCP_ACK, NULL, 0);
		segment(&b, 1, KF_TCP_FIN | KF_TCP_ACK, NULL, 0);
		segment(&b, 0, KF_TCP_ACK, NULL, 0);
	}
	if (!b.failed)
		fuzz_analyze_bytes(b.p, b.n);
	free(b.p);
	return 0;
}
