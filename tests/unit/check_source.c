/* check_source.c - the packet source of several files (analyzer/source.h):
 * merge order (timestamps, ties by file order), copies of one packet at two
 * capture points (dropped whatever link type, TTL, IP or TCP/UDP checksum;
 * kept when they differ, are too far apart, come from the same file, or are
 * not IP), frame and file-frame numbering, locating frames afterwards, and
 * the continuous mode's pieces, missing files and open errors.
 *
 * Captures are written by the test into a private mkdtemp() directory.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "base/limits.h"
#include "source.h"

static char g_dir[64];

static const char *tmp_path(const char *name)
{
	static char path[4][256];
	static unsigned k;
	char *p = path[k++ % 4];
	snprintf(p, 256, "%s/%s", g_dir, name);
	return p;
}

/* ---- packets ------------------------------------------------------------ */

enum { ETH = 1, SLL = 113 };

/* A packet as the test describes it: an IPv4 UDP datagram (or ARP). */
struct tpkt {
	uint64_t ts_us;
	uint8_t src, dst; /* last byte of 10.0.0.x */
	uint16_t id;      /* IPv4 identification */
	uint8_t ttl;
	uint16_t cksum; /* UDP checksum as captured */
	uint8_t fill;   /* payload bytes */
	bool arp;       /* an ARP request instead */
	uint16_t tag;   /* the test's own number, in the payload */
	uint8_t plen;   /* UDP payload bytes (0: 40) */
};

static size_t ipv4_udp(uint8_t *b, const struct tpkt *t)
{
	size_t plen = t->plen ? t->plen : 40, n = 20 + 8 + plen;
	memset(b, 0, n);
	b[0] = 0x45;
	b[2] = (uint8_t)(n >> 8);
	b[3] = (uint8_t)n;
	b[4] = (uint8_t)(t->id >> 8);
	b[5] = (uint8_t)t->id;
	b[8] = t->ttl;
	b[9] = 17;
	b[10] = t->ttl; /* a header checksum that changes with the TTL */
	b[12] = 10, b[15] = t->src;
	b[16] = 10, b[19] = t->dst;
	uint8_t *u = b + 20;
	u[0] = 0x30, u[1] = 0x39; /* 12345 */
	u[2] = 0x00, u[3] = 0x58; /* 88 */
	u[4] = (uint8_t)((8 + plen) >> 8);
	u[5] = (uint8_t)(8 + plen);
	u[6] = (uint8_t)(t->cksum >> 8);
	u[7] = (uint8_t)t->cksum;
	memset(u + 8, t->fill, plen);
	u[8] = (uint8_t)(t->tag >> 8);
	u[9] = (uint8_t)t->tag;
	return n;
}

/* The frame of t on link type dlt; Ethernet padded to 60 bytes after a
 * short datagram, as on a wire. */
static size_t frame(uint8_t *b, int dlt, const struct tpkt *t)
{
	size_t h = dlt == ETH ? 14 : 16;
	memset(b, 0, h);
	uint16_t type = t->arp ? 0x0806 : 0x0800;
	if (dlt == ETH) {
		b[5] = t->src;
		b[11] = t->dst;
		b[12] = (uint8_t)(type >> 8);
		b[13] = (uint8_t)type;
	} else {
		b[3] = 1; /* ARPHRD_ETHER */
		b[5] = 6;
		b[11] = t->src;
		b[14] = (uint8_t)(type >> 8);
		b[15] = (uint8_t)type;
	}
	size_t n;
	if (t->arp) {
		n = 28;
		memset(b + h, 0, n);
		b[h + 1] = 1, b[h + 2] = 8, b[h + 4] = 6, b[h + 5] = 4, b[h + 7] = 1;
		b[h + 17] = t->src;
		b[h + 27] = t->dst;
	} else {
		n = ipv4_udp(b + h, t);
	}
	n += h;
	if (dlt == ETH && n < 60) {
		memset(b + n, 0xee, 60 - n);
		n = 60;
	}
	return n;
}

static void le32(FILE *f, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	ck_assert_uint_eq(fwrite(b, 1, 4, f), 4);
}

static const char *write_pcap(const char *name, int dlt, const struct tpkt *p, size_t n)
{
	const char *path = tmp_path(name);
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	le32(f, 0xa1b2c3d4u);
	le32(f, 2u | 4u << 16);
	le32(f, 0);
	le32(f, 0);
	le32(f, 65535);
	le32(f, (uint32_t)dlt);
	for (size_t i = 0; i < n; i++) {
		uint8_t b[256];
		size_t len = frame(b, dlt, &p[i]);
		le32(f, (uint32_t)(p[i].ts_us / 1000000u));
		le32(f, (uint32_t)(p[i].ts_us % 1000000u));
		le32(f, (uint32_t)len);
		le32(f, (uint32_t)len);
		ck_assert_uint_eq(fwrite(b, 1, len, f), len);
	}
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

/* The tag a delivered packet carries (0 for ARP). */
static unsigned tag_of(const struct kf_pkt *p)
{
	size_t h = p->dlt == ETH ? 14 : 16;
	if (p->caplen < h + 30 || p->data[h - 2] != 0x08 || p->data[h - 1] != 0x00)
		return 0;
	return (unsigned)(p->data[h + 28] << 8 | p->data[h + 29]);
}

/* Everything a source delivers: tag, file, file frame per stream frame. */
struct got {
	size_t n;
	unsigned tag[64], file[64];
	uint64_t file_frame[64], ts[64];
};

static struct kf_source *open_ok(const char *const *paths, size_t n, enum kf_source_mode mode)
{
	struct kf_source *s;
	char err[256] = "";
	enum kf_status st = kf_source_open(paths, n, mode, &s, err, sizeof err);
	ck_assert_msg(st == KF_OK, "open: %s", err);
	return s;
}

static void drain(struct kf_source *s, struct got *g)
{
	struct kf_source_pkt sp;
	memset(g, 0, sizeof *g);
	int rc;
	while ((rc = kf_source_next(s, &sp)) == KF_CAP_PACKET) {
		ck_assert_uint_lt(g->n, 64);
		ck_assert_uint_eq(sp.p.frame, g->n + 1);
		g->tag[g->n] = tag_of(&sp.p);
		g->file[g->n] = sp.file;
		g->file_frame[g->n] = sp.file_frame;
		g->ts[g->n] = sp.p.ts_us;
		g->n++;
	}
	ck_assert_int_eq(rc, KF_CAP_EOF);
	ck_assert_int_eq(kf_source_next(s, &sp), KF_CAP_EOF); /* and stays so */
}

#define T0 1700000000000000ull

/* ---- merge -------------------------------------------------------------- */

START_TEST(t_merge_order)
{
	/* interleaved timestamps; a tie between file 0 and 1 at +30 and a
	 * three-way tie at +50: the order given decides; no copies (tags differ) */
	struct tpkt a[] = { { .ts_us = T0 + 10, .src = 1, .dst = 2, .id = 1, .ttl = 64, .tag = 1 },
			    { .ts_us = T0 + 30, .src = 1, .dst = 2, .id = 2, .ttl = 64, .tag = 3 },
			    { .ts_us = T0 + 50, .src = 1, .dst = 2, .id = 3, .ttl = 64, .tag = 6 },
			    { .ts_us = T0 + 90, .src = 1, .dst = 2, .id = 4, .ttl = 64, .tag = 10 } };
	struct tpkt b[] = { { .ts_us = T0 + 5, .src = 3, .dst = 2, .id = 1, .ttl = 64, .tag = 0x100 },
			    { .ts_us = T0 + 30, .src = 3, .dst = 2, .id = 2, .ttl = 64, .tag = 4 },
			    { .ts_us = T0 + 50, .src = 3, .dst = 2, .id = 3, .ttl = 64, .tag = 7 } };
	struct tpkt c[] = { { .ts_us = T0 + 20, .src = 4, .dst = 2, .id = 1, .ttl = 64, .tag = 2 },
			    { .ts_us = T0 + 50, .src = 4, .dst = 2, .id = 2, .ttl = 64, .tag = 8 },
			    { .ts_us = T0 + 60, .src = 4, .dst = 2, .id = 3, .ttl = 64, .tag = 9 } };
	const char *paths[3] = { write_pcap("a.pcap", ETH, a, 4), write_pcap("b.pcap", SLL, b, 3),
				 write_pcap("c.pcap", ETH, c, 3) };
	struct kf_source *s = open_ok(paths, 3, KF_SOURCE_MERGE);
	struct got g;
	drain(s, &g);
	const unsigned want_tag[] = { 0x100, 1, 2, 3, 4, 6, 7, 8, 9, 10 };
	const unsigned want_file[] = { 1, 0, 2, 0, 1, 0, 1, 2, 2, 0 };
	const uint64_t want_ff[] = { 1, 1, 1, 2, 2, 3, 3, 2, 3, 4 };
	ck_assert_uint_eq(g.n, 10);
	for (size_t i = 0; i < g.n; i++) {
		ck_assert_uint_eq(g.tag[i], want_tag[i]);
		ck_assert_uint_eq(g.file[i], want_file[i]);
		ck_assert_uint_eq(g.file_frame[i], want_ff[i]);
		ck_assert(i == 0 || g.ts[i] >= g.ts[i - 1]);
	}
	size_t nf;
	const struct kf_source_file *f = kf_source_files(s, &nf);
	ck_assert_uint_eq(nf, 3);
	ck_assert_uint_eq(f[0].packets, 4);
	ck_assert_uint_eq(f[1].packets, 3);
	ck_assert_uint_eq(f[1].first_dlt, SLL);
	ck_assert_uint_eq(f[0].first_frame, 2);
	ck_assert_uint_eq(f[1].first_frame, 1);
	ck_assert_uint_eq(f[2].first_frame, 3);
	ck_assert_uint_eq(kf_source_duplicates(s), 0);
	/* locate: ascending, repeated, then back to the start */
	for (uint64_t fr = 1; fr <= 10; fr++) {
		uint32_t file;
		uint64_t ff;
		ck_assert(kf_source_locate(s, fr, &file, &ff));
		ck_assert_uint_eq(file, want_file[fr - 1]);
		ck_assert_uint_eq(ff, want_ff[fr - 1]);
		ck_assert(kf_source_locate(s, fr, &file, &ff));
		ck_assert_uint_eq(ff, want_ff[fr - 1]);
	}
	uint32_t file;
	uint64_t ff;
	ck_assert(kf_source_locate(s, 2, &file, &ff));
	ck_assert_uint_eq(file, 0);
	ck_assert_uint_eq(ff, 1);
	ck_assert(!kf_source_locate(s, 11, &file, &ff));
	ck_assert(!kf_source_locate(s, 0, &file, &ff));
	kf_source_close(s);
}
END_TEST

START_TEST(t_merge_copies)
{
	/* file 0 (Ethernet) and file 1 (cooked, later by 3 us, TTL one less,
	 * UDP checksum filled in by the receiver's view) */
	struct tpkt a[] = {
		{ .ts_us = T0 + 100,
		  .src = 1,
		  .dst = 2,
		  .id = 7,
		  .ttl = 64,
		  .cksum = 0,
		  .fill = 1,
		  .tag = 1 },
		{ .ts_us = T0 + 200,
		  .src = 1,
		  .dst = 2,
		  .id = 8,
		  .ttl = 64,
		  .fill = 1,
		  .tag = 2 }, /* a retransmission */
		{ .ts_us = T0 + 300,
		  .src = 1,
		  .dst = 2,
		  .id = 8,
		  .ttl = 64,
		  .fill = 1,
		  .tag = 2 },                                           /* ... seen twice */
		{ .ts_us = T0 + 400, .src = 1, .dst = 2, .arp = true }, /* not IP */
		{ .ts_us = T0 + 500, .src = 1, .dst = 2, .id = 9, .ttl = 64, .fill = 1, .tag = 5 },
		{ .ts_us = T0 + 600, .src = 1, .dst = 2, .id = 10, .ttl = 64, .fill = 1, .tag = 6 },
		{ .ts_us = T0 + 700, .src = 1, .dst = 2, .id = 11, .ttl = 64, .fill = 1, .tag = 7 },
		{ .ts_us = T0 + 800,
		  .src = 1,
		  .dst = 2,
		  .id = 12,
		  .ttl = 64,
		  .fill = 1,
		  .tag = 8,
		  .plen = 4 }, /* padded */
	};
	struct tpkt b[] = {
		{ .ts_us = T0 + 103,
		  .src = 1,
		  .dst = 2,
		  .id = 7,
		  .ttl = 63,
		  .cksum = 0xbeef,
		  .fill = 1,
		  .tag = 1 }, /* copy */
		{ .ts_us = T0 + 203,
		  .src = 1,
		  .dst = 2,
		  .id = 8,
		  .ttl = 63,
		  .fill = 1,
		  .tag = 2 }, /* copy of the 1st */
		{ .ts_us = T0 + 303,
		  .src = 1,
		  .dst = 2,
		  .id = 8,
		  .ttl = 63,
		  .fill = 1,
		  .tag = 2 }, /* copy of the 2nd */
		{ .ts_us = T0 + 350,
		  .src = 1,
		  .dst = 2,
		  .id = 8,
		  .ttl = 63,
		  .fill = 1,
		  .tag = 2 },                                           /* a third: kept */
		{ .ts_us = T0 + 403, .src = 1, .dst = 2, .arp = true }, /* not IP: kept */
		{ .ts_us = T0 + 503,
		  .src = 1,
		  .dst = 2,
		  .id = 9,
		  .ttl = 63,
		  .fill = 2,
		  .tag = 5 }, /* other payload */
		{ .ts_us = T0 + 603,
		  .src = 1,
		  .dst = 3,
		  .id = 10,
		  .ttl = 63,
		  .fill = 1,
		  .tag = 6 }, /* other address */
		{ .ts_us = T0 + 803,
		  .src = 1,
		  .dst = 2,
		  .id = 12,
		  .ttl = 63,
		  .fill = 1,
		  .tag = 8,
		  .plen = 4 }, /* copy, unpadded */
		{ .ts_us = T0 + 700 + 1500000,
		  .src = 1,
		  .dst = 2,
		  .id = 11,
		  .ttl = 63,
		  .fill = 1,
		  .tag = 7 }, /* 1.5 s later */
	};
	const char *paths[2] = { write_pcap("ca.pcap", ETH, a, 8), write_pcap("cb.pcap", SLL, b, 9) };
	struct kf_source *s = open_ok(paths, 2, KF_SOURCE_MERGE);
	struct got g;
	drain(s, &g);
	/* stream: a1 a2 a3 b4 a4(arp) b5(arp) a5 b6 a6 b7 a7 a8 b9 */
	const unsigned want_file[] = { 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1 };
	const uint64_t want_ff[] = { 1, 2, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9 };
	ck_assert_uint_eq(g.n, 13);
	for (size_t i = 0; i < g.n; i++) {
		ck_assert_uint_eq(g.file[i], want_file[i]);
		ck_assert_uint_eq(g.file_frame[i], want_ff[i]);
	}
	ck_assert_uint_eq(kf_source_duplicates(s), 4);
	ck_assert_uint_eq(kf_source_forgotten(s), 0);
	size_t nf;
	const struct kf_source_file *f = kf_source_files(s, &nf);
	ck_assert_uint_eq(f[0].duplicates, 0);
	ck_assert_uint_eq(f[1].duplicates, 4);
	ck_assert_uint_eq(f[1].packets, 9);
	ck_assert_uint_eq(f[1].first_frame, 4);
	for (uint64_t fr = 1; fr <= g.n; fr++) { /* the log agrees with the stream */
		uint32_t file;
		uint64_t ff;
		ck_assert(kf_source_locate(s, fr, &file, &ff));
		ck_assert_uint_eq(file, want_file[fr - 1]);
		ck_assert_uint_eq(ff, want_ff[fr - 1]);
	}
	kf_source_close(s);

	/* the same file twice: the second is all copies */
	const char *same[2] = { paths[0], paths[0] };
	s = open_ok(same, 2, KF_SOURCE_MERGE);
	drain(s, &g);
	ck_assert_uint_eq(g.n, 9);
	ck_assert_uint_eq(kf_source_duplicates(s), 7); /* the ARP packet is not IP: kept */
	for (size_t i = 0; i < 9; i++)
		ck_assert_uint_eq(g.file[i], i == 4 ? 1 : 0);
	kf_source_close(s);
}
END_TEST

START_TEST(t_merge_missing_and_errors)
{
	struct tpkt a[] = { { .ts_us = T0, .src = 1, .dst = 2, .id = 1, .ttl = 64, .tag = 1 } };
	const char *ok = write_pcap("m.pcap", ETH, a, 1);
	const char *paths[2] = { tmp_path("nonexistent.pcap"), ok };
	struct kf_source *s = open_ok(paths, 2, KF_SOURCE_MERGE);
	struct got g;
	drain(s, &g);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_uint_eq(g.file[0], 1);
	size_t nf;
	const struct kf_source_file *f = kf_source_files(s, &nf);
	ck_assert(f[0].failed && !f[0].opened);
	ck_assert_ptr_nonnull(strstr(f[0].error, "No such file"));
	ck_assert(!f[1].failed && f[1].opened);
	kf_source_close(s);

	char err[256];
	const char *none[2] = { tmp_path("nonexistent.pcap"), g_dir };
	ck_assert_int_eq(kf_source_open(none, 2, KF_SOURCE_MERGE, &s, err, sizeof err), KF_IO);
	ck_assert_ptr_null(s);
	ck_assert_ptr_nonnull(strstr(err, "none of the 2 captures could be read"));
	const char *many[KF_LIMIT_MERGE_FILES + 1];
	for (size_t i = 0; i <= KF_LIMIT_MERGE_FILES; i++)
		many[i] = ok;
	ck_assert_int_eq(kf_source_open(many, KF_LIMIT_MERGE_FILES + 1, KF_SOURCE_MERGE, &s, err, sizeof err),
			 KF_IO);
	s = open_ok(many, KF_LIMIT_MERGE_FILES, KF_SOURCE_MERGE); /* 64: every bit of the copy mask */
	drain(s, &g);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_uint_eq(kf_source_duplicates(s), KF_LIMIT_MERGE_FILES - 1);
	kf_source_close(s);
}
END_TEST

/* ---- one after another -------------------------------------------------- */

START_TEST(t_continuous)
{
	struct tpkt p[6];
	memset(p, 0, sizeof p);
	for (unsigned i = 0; i < 6; i++)
		p[i] = (struct tpkt){ .ts_us = T0 + i,
				      .src = 1,
				      .dst = 2,
				      .id = (uint16_t)i,
				      .ttl = 64,
				      .tag = (uint16_t)(i + 1) };
	const char *paths[4] = { write_pcap("p1.pcap", ETH, p, 2), tmp_path("p-missing.pcap"),
				 write_pcap("p3.pcap", SLL, p + 2, 3), write_pcap("p4.pcap", ETH, p + 5, 1) };
	struct kf_source *s = open_ok(paths, 4, KF_SOURCE_CONTINUOUS);
	struct got g;
	drain(s, &g);
	const unsigned want_file[] = { 0, 0, 2, 2, 2, 3 };
	const uint64_t want_ff[] = { 1, 2, 1, 2, 3, 1 };
	ck_assert_uint_eq(g.n, 6);
	for (size_t i = 0; i < 6; i++) {
		ck_assert_uint_eq(g.tag[i], i + 1);
		ck_assert_uint_eq(g.file[i], want_file[i]);
		ck_assert_uint_eq(g.file_frame[i], want_ff[i]);
	}
	size_t nf;
	const struct kf_source_file *f = kf_source_files(s, &nf);
	ck_assert_uint_eq(f[0].first_frame, 1);
	ck_assert(f[1].failed && !f[1].opened && f[1].first_frame == 0);
	ck_assert_uint_eq(f[2].first_frame, 3);
	ck_assert_uint_eq(f[2].first_dlt, SLL);
	ck_assert_uint_eq(f[3].first_frame, 6);
	ck_assert_uint_eq(kf_source_frames(s), 6);
	for (uint64_t fr = 1; fr <= 6; fr++) {
		uint32_t file;
		uint64_t ff;
		ck_assert(kf_source_locate(s, fr, &file, &ff));
		ck_assert_uint_eq(file, want_file[fr - 1]);
		ck_assert_uint_eq(ff, want_ff[fr - 1]);
	}
	kf_source_close(s);

	/* the first file unreadable: the stream starts with the second */
	const char *late[2] = { paths[1], paths[0] };
	s = open_ok(late, 2, KF_SOURCE_CONTINUOUS);
	drain(s, &g);
	ck_assert_uint_eq(g.n, 2);
	ck_assert_uint_eq(g.file[0], 1);
	kf_source_close(s);

	/* one file (mode 0): its own frames */
	s = open_ok(paths + 2, 1, 0);
	drain(s, &g);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(g.file_frame[2], 3);
	kf_source_close(s);
	char err[256];
	ck_assert_int_eq(kf_source_open(paths + 1, 1, 0, &s, err, sizeof err), KF_IO);
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	ck_assert_int_eq(kf_source_open(paths, 0, KF_SOURCE_CONTINUOUS, &s, err, sizeof err), KF_IO);
}
END_TEST

START_TEST(t_continuous_truncated_piece)
{
	struct tpkt p[4];
	memset(p, 0, sizeof p);
	for (unsigned i = 0; i < 4; i++)
		p[i] = (struct tpkt){ .ts_us = T0 + i,
				      .src = 1,
				      .dst = 2,
				      .id = (uint16_t)i,
				      .ttl = 64,
				      .tag = (uint16_t)(i + 1) };
	const char *a = write_pcap("t1.pcap", ETH, p, 3);
	const char *b = write_pcap("t2.pcap", ETH, p + 3, 1);
	ck_assert_int_eq(truncate(a, 24 + 3 * (16 + 82) - 10), 0); /* the third record loses 10 bytes */
	const char *paths[2] = { a, b };
	struct kf_source *s = open_ok(paths, 2, KF_SOURCE_CONTINUOUS);
	struct got g;
	drain(s, &g);
	ck_assert_uint_eq(g.n, 3);
	ck_assert_uint_eq(g.tag[2], 4);
	ck_assert_uint_eq(g.file[2], 1);
	size_t nf;
	const struct kf_source_file *f = kf_source_files(s, &nf);
	ck_assert(f[0].failed && f[0].opened && f[0].truncated);
	ck_assert_uint_eq(f[0].packets, 2);
	ck_assert_uint_eq(f[0].end_frame, 2);
	ck_assert_uint_eq(f[1].first_frame, 3);
	kf_source_close(s);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("source");
	TCase *tc = tcase_create("merge");
	tcase_add_test(tc, t_merge_order);
	tcase_add_test(tc, t_merge_copies);
	tcase_add_test(tc, t_merge_missing_and_errors);
	suite_add_tcase(s, tc);
	tc = tcase_create("continuous");
	tcase_add_test(tc, t_continuous);
	tcase_add_test(tc, t_continuous_truncated_piece);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run_in_dir(suite, "source", g_dir, sizeof g_dir); }
