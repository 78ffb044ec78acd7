/* capfix.c - see capfix.h. */
#include "capfix.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzer.h"
#include "report.h"
#include "smbfix.h"

void cap_open(struct cap *c)
{
	strcpy(c->path, "/tmp/kf-cap-XXXXXX");
	int fd = mkstemp(c->path);
	ck_assert_int_ge(fd, 0);
	c->f = fdopen(fd, "wb");
	ck_assert_ptr_nonnull(c->f);
	const uint32_t gh[6] = { 0xa1b2c3d4u, 0x00040002u, 0, 0, 262144, 1 };
	fwrite(gh, sizeof gh, 1, c->f);
	c->frames = 0;
	c->t_us = 1700000000ull * 1000000ull;
}

void cap_close(struct cap *c) { ck_assert_int_eq(fclose(c->f), 0); }

/* One segment of dir (0 client, 1 server) with flags; the frame written. */
uint64_t segment(struct tconn *t, int dir, uint8_t flags, const uint8_t *data, size_t n)
{
	static const uint8_t mac[2][6] = { { 2, 0, 0, 0, 0, 10 }, { 2, 0, 0, 0, 0, 20 } };
	static const uint8_t addr[2][4] = { { 10, 77, 0, 10 }, { 10, 77, 0, 20 } };
	struct cap *c = t->cap;
	struct sb f = { 0 };
	c->t_us += 100;
	sb_le32(&f, (uint32_t)(c->t_us / 1000000));
	sb_le32(&f, (uint32_t)(c->t_us % 1000000));
	sb_le32(&f, (uint32_t)(54 + n));
	sb_le32(&f, (uint32_t)(54 + n));
	sb_put(&f, mac[!dir], 6);
	sb_put(&f, mac[dir], 6);
	sb_be16(&f, 0x0800);
	sb_be16(&f, 0x4500); /* IPv4, 20-byte header */
	sb_be16(&f, (uint16_t)(40 + n));
	sb_zero(&f, 4);
	sb_be16(&f, 0x4006); /* TTL 64, TCP */
	sb_zero(&f, 2);
	sb_put(&f, addr[dir], 4);
	sb_put(&f, addr[!dir], 4);
	sb_be16(&f, dir ? t->sport : t->cport);
	sb_be16(&f, dir ? t->cport : t->sport);
	sb_be32(&f, t->seq[dir]);
	sb_be32(&f, (flags & 0x10) ? t->seq[!dir] : 0);
	sb_u8(&f, 0x50);
	sb_u8(&f, flags);
	sb_be16(&f, 65535);
	sb_zero(&f, 4);
	sb_put(&f, data, n);
	ck_assert_uint_eq(fwrite(f.p, 1, f.n, c->f), f.n);
	sb_free(&f);
	t->seq[dir] += (uint32_t)n + ((flags & 0x03) ? 1u : 0u); /* SYN, FIN count one */
	return ++c->frames;
}

/* SYN, SYN-ACK, ACK. */
void tconn_open(struct tconn *t, struct cap *c, uint16_t cport, uint16_t sport)
{
	t->cap = c;
	t->cport = cport;
	t->sport = sport;
	t->seq[0] = 0x10000000u + cport;
	t->seq[1] = 0x70000000u;
	segment(t, 0, 0x02, NULL, 0);
	segment(t, 1, 0x12, NULL, 0);
	segment(t, 0, 0x10, NULL, 0);
}

void tconn_close(struct tconn *t)
{
	segment(t, 0, 0x11, NULL, 0);
	segment(t, 1, 0x11, NULL, 0);
	segment(t, 0, 0x10, NULL, 0);
}

/* Bytes from dir in segments of at most mss; the last frame. */
uint64_t tsend(struct tconn *t, int dir, const uint8_t *p, size_t n, size_t mss)
{
	uint64_t f = 0;
	for (size_t i = 0; i < n; i += mss)
		f = segment(t, dir, 0x18, p + i, n - i < mss ? n - i : mss);
	return f;
}

struct kf_result analyze(struct cap *c)
{
	struct kf_result r;
	struct kf_config cfg = { 0 };
	char err[256];
	ck_assert_int_eq(kf_analyze(c->path, &cfg, &r, err, sizeof err), KF_OK);
	unlink(c->path);
	return r;
}

const struct kf_message *at(const struct kf_result *r, uint64_t frame, int type)
{
	return kf_result_message_at(r, frame, type);
}

bool warned(const struct kf_result *r, const char *code)
{
	for (size_t i = 0; i < r->n_warnings; i++)
		if (!strcmp(r->warnings[i].code, code))
			return true;
	return false;
}

size_t count_type(const struct kf_result *r, int type)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_messages; i++)
		n += r->messages[i].type == type;
	return n;
}

uint64_t reply_frame(const struct kf_result *r, const struct kf_message *m)
{
	const struct kf_message *o = kf_msg_reply(r, m);
	return o ? o->frame : 0;
}

char *report_all(const struct kf_result *r)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);
	ck_assert_ptr_nonnull(f);
	kf_report_text(r, f);
	kf_report_json(r, f, false);
	fclose(f);
	return buf;
}
