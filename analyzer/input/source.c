/* source.c - 1..n capture files as one numbered packet stream (see source.h). */
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"
#include "net.h"

#define NONE ((size_t)-1)

/* Copy detection: a set-associative table of recent packets' identities. */
#define COPY_WAYS 4u
#define COPY_BUCKETS (KF_LIMIT_MERGE_RECENT / COPY_WAYS)

struct copy_slot {
	uint64_t key; /* hash of the packet's IP-level identity */
	uint64_t ts_us;
	uint64_t files; /* bit per file that delivered this packet; 0 = empty slot */
};

/* The merge's record log: one byte per record read, in the order read
 * (file index, LOG_COPY when dropped as a copy), so a frame of the stream can
 * be traced back to its file's frame without a per-packet table. */
#define LOG_COPY 0x80u
#define LOG_BLOCK_SHIFT 16
#define LOG_BLOCK ((size_t)1 << LOG_BLOCK_SHIFT)

struct kf_source {
	enum kf_source_mode mode; /* 0: one file */
	size_t n;
	struct kf_source_file *files;
	struct kf_capture **caps; /* open files (NULL: not open, or ended) */
	uint64_t frame;           /* frames delivered */
	bool nomem;
	bool report_copies; /* merge: hand copies out flagged instead of dropping them */

	/* one after another: the file being read, and the frames before it */
	struct kf_capture *seq; /* caps[cur] while it delivers packets, else NULL */
	size_t cur;
	uint32_t cur32;
	uint64_t base;

	/* merge */
	struct kf_pkt *heads; /* each open file's next packet, in its capture's buffer */
	size_t last;          /* file whose head was delivered last, NONE */
	struct copy_slot *recent;
	uint64_t all_files; /* the bits of every file */
	uint64_t duplicates, forgotten;
	uint8_t **log;
	size_t log_blocks, log_cap;
	uint64_t log_n;
	bool log_full;

	/* kf_source_locate's cursor */
	uint64_t at_rec, at_frame, at_file_frame;
	size_t at_file;
	uint64_t *at_count; /* merge: records per file up to at_rec */
};

static bool open_file(struct kf_source *s, size_t i)
{
	struct kf_source_file *f = &s->files[i];
	s->caps[i] = kf_capture_open(f->path, f->error, sizeof f->error);
	if (!s->caps[i]) {
		if (errno == ENOMEM) /* the machine, not the file: no analysis can be right */
			s->nomem = true;
		f->failed = true;
		return false;
	}
	f->opened = true;
	f->format = kf_capture_format(s->caps[i]);
	return true;
}

/* Sequential: the current file's counts follow from the stream's frame
 * (its records are numbered from 1 by the capture): kept up to date here
 * instead of per packet. */
static void seq_sync(struct kf_source *s)
{
	if (s->mode == KF_SOURCE_MERGE || !s->seq)
		return;
	struct kf_source_file *f = &s->files[s->cur];
	f->packets = s->frame - s->base;
	f->first_frame = f->packets ? s->base + 1 : 0;
}

/* The file's reading is over (rc: KF_CAP_EOF or KF_CAP_ERROR): keep what
 * the report needs, and close it. */
static void file_end(struct kf_source *s, size_t i, int rc)
{
	struct kf_source_file *f = &s->files[i];
	struct kf_capture *c = s->caps[i];
	seq_sync(s);
	f->first_dlt = kf_capture_first_dlt(c);
	if (rc == KF_CAP_ERROR) {
		if (kf_capture_nomem(c))
			s->nomem = true; /* not a damaged file: the analysis is out of memory */
		f->failed = true;
		f->truncated = kf_capture_truncated(c);
		f->end_frame = s->frame;
		snprintf(f->error, sizeof f->error, "%s", kf_capture_error(c));
	}
	kf_capture_close(c);
	s->caps[i] = NULL;
	s->seq = NULL;
}

/* ---- one file, or pieces one after another ------------------------------ */

/* Start reading file i (sequential): false when it cannot be. */
static bool seq_start(struct kf_source *s, size_t i)
{
	s->cur = i;
	s->cur32 = (uint32_t)i;
	s->base = s->frame;
	if (!open_file(s, i))
		return false;
	s->seq = s->caps[i];
	return true;
}

/* The current file ended with rc (or none is open): go on with the next
 * readable one.  Out of the per-packet path. */
static int __attribute__((noinline)) next_file(struct kf_source *s, struct kf_source_pkt *sp, int rc)
{
	for (;;) {
		if (s->seq)
			file_end(s, s->cur, rc);
		if (s->nomem)
			return KF_CAP_ERROR;
		if (s->cur + 1 >= s->n)
			return KF_CAP_EOF;
		if (!seq_start(s, s->cur + 1)) {
			if (s->nomem)
				return KF_CAP_ERROR;
			continue;
		}
		rc = kf_capture_next(s->seq, &sp->p);
		if (rc == KF_CAP_PACKET) {
			sp->file = s->cur32;
			sp->copy = false;
			sp->file_frame = sp->p.frame;
			sp->p.frame = s->frame = s->base + sp->p.frame;
			return KF_CAP_PACKET;
		}
	}
}

/* ---- merge -------------------------------------------------------------- */

static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	const uint64_t k = 0x9e3779b97f4a7c15ull;
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * k;
		h ^= h >> 29;
	}
	uint64_t w = (uint64_t)n << 56; /* the tail, tagged with its length */
	if (n)
		memcpy(&w, p, n);
	h = (h ^ w ^ ((uint64_t)n << 59)) * k;
	return h ^ (h >> 31);
}

/* What makes a packet the same packet at two capture points: IP version,
 * addresses, protocol, identification and fragment position, and the
 * transport bytes; not what routers or offloading change (TTL, the header
 * checksum, the link layer and its padding, TCP/UDP checksums computed by
 * the NIC after a sender-side capture).  False for what is not IP. */
static bool packet_identity(const struct kf_pkt *p, uint64_t *key)
{
	struct kf_l3 l3;
	struct kf_ip ip;
	if (!kf_link_decode(p->dlt, kf_span_make(p->data, p->caplen), &l3, NULL) ||
	    (l3.ethertype != KF_ETH_IPV4 && l3.ethertype != KF_ETH_IPV6) || !kf_ip_decode(l3.data, &ip, NULL))
		return false;
	struct {
		uint8_t version, proto, more_fragments, pad;
		uint32_t id, offset, len;
		uint8_t src[16], dst[16];
	} hd;
	memset(&hd, 0, sizeof hd);
	hd.version = ip.version;
	hd.proto = ip.proto;
	hd.more_fragments = ip.more_fragments;
	hd.id = ip.frag_id;
	hd.offset = ip.frag_offset;
	hd.len = (uint32_t)ip.payload.n;
	memcpy(hd.src, ip.src, 16);
	memcpy(hd.dst, ip.dst, 16);
	uint64_t h = hash_bytes(0x6b72626c6f77ull, (const uint8_t *)&hd, sizeof hd);
	const uint8_t *b = ip.payload.p;
	size_t n = ip.payload.n, ck = NONE;
	if (ip.frag_offset == 0 && ip.proto == KF_IPPROTO_TCP && n >= 18)
		ck = 16;
	else if (ip.frag_offset == 0 && ip.proto == KF_IPPROTO_UDP && n >= 8)
		ck = 6;
	if (ck != NONE) {
		h = hash_bytes(h, b, ck);
		h = hash_bytes(h, b + ck + 2, n - ck - 2);
	} else {
		h = hash_bytes(h, b, n);
	}
	*key = h;
	return true;
}

static bool ts_near(uint64_t a, uint64_t b) { return (a > b ? a - b : b - a) <= KF_SOURCE_COPY_WINDOW_US; }

/* True when another file delivered this packet within the window; else it
 * is remembered for the files still to deliver their copies.  A file that
 * repeats a packet (a retransmission it saw twice) makes a new entry. */
static bool is_copy(struct kf_source *s, size_t file, const struct kf_pkt *p)
{
	uint64_t key;
	if (!packet_identity(p, &key))
		return false;
	struct copy_slot *b = &s->recent[(key >> 7) % COPY_BUCKETS * COPY_WAYS];
	uint64_t bit = (uint64_t)1 << file;
	struct copy_slot *victim = NULL;
	bool victim_live = true;
	for (unsigned w = 0; w < COPY_WAYS; w++) {
		struct copy_slot *e = &b[w];
		bool live = e->files && ts_near(e->ts_us, p->ts_us);
		if (live && e->key == key && !(e->files & bit)) {
			e->files |= bit;
			return true;
		}
		if (!live) {
			if (victim_live) {
				victim = e;
				victim_live = false;
			}
		} else if (victim_live && (!victim || e->ts_us < victim->ts_us)) {
			victim = e;
		}
	}
	if (victim_live && victim->files != s->all_files)
		s->forgotten++;
	victim->key = key;
	victim->ts_us = p->ts_us;
	victim->files = bit;
	return false;
}

static bool log_record(struct kf_source *s, size_t file, bool copy)
{
	if (s->log_n >= KF_LIMIT_MERGE_MAP) {
		s->log_full = true;
		return true;
	}
	size_t blk = (size_t)(s->log_n >> LOG_BLOCK_SHIFT);
	if (blk == s->log_blocks) {
		if (blk == s->log_cap) {
			size_t cap = s->log_cap ? 2 * s->log_cap : 16;
			uint8_t **nl = kf_realloc(s->log, cap * sizeof(*nl));
			if (!nl)
				return false;
			s->log = nl;
			s->log_cap = cap;
		}
		s->log[blk] = kf_malloc(LOG_BLOCK);
		if (!s->log[blk])
			return false;
		s->log_blocks++;
	}
	s->log[blk][s->log_n & (LOG_BLOCK - 1)] = (uint8_t)(file | (copy ? LOG_COPY : 0));
	s->log_n++;
	return true;
}

/* Read file i's next record into its head (or end it). */
static void advance(struct kf_source *s, size_t i)
{
	int rc = kf_capture_next(s->caps[i], &s->heads[i]);
	if (rc == KF_CAP_PACKET)
		s->files[i].packets++;
	else
		file_end(s, i, rc);
}

static int __attribute__((noinline)) next_merged(struct kf_source *s, struct kf_source_pkt *sp)
{
	/* the packet delivered last is still in its capture's buffer: only now
	 * may that file read on (each capture has its own buffer, so the other
	 * heads stay valid without a copy) */
	if (s->last != NONE) {
		advance(s, s->last);
		s->last = NONE;
	}
	for (;;) {
		if (s->nomem) /* a file ended for want of memory */
			return KF_CAP_ERROR;
		size_t best = NONE; /* earliest head; the first file given on ties */
		for (size_t i = 0; i < s->n; i++)
			if (s->caps[i] && (best == NONE || s->heads[i].ts_us < s->heads[best].ts_us))
				best = i;
		if (best == NONE)
			return KF_CAP_EOF;
		const struct kf_pkt *h = &s->heads[best];
		bool copy = is_copy(s, best, h);
		if (!log_record(s, best, copy)) {
			s->nomem = true;
			return KF_CAP_ERROR;
		}
		struct kf_source_file *f = &s->files[best];
		if (copy) {
			f->duplicates++;
			s->duplicates++;
			if (!s->report_copies) {
				advance(s, best);
				continue;
			}
			sp->p = *h;
			sp->p.frame = 0; /* not in the analysis' stream */
			sp->file = (uint32_t)best;
			sp->file_frame = h->frame;
			sp->copy = true;
			s->last = best;
			return KF_CAP_PACKET;
		}
		sp->p = *h;
		sp->copy = false;
		sp->file = (uint32_t)best;
		sp->file_frame = h->frame;
		sp->p.frame = ++s->frame;
		if (!f->first_frame)
			f->first_frame = s->frame;
		s->last = best;
		return KF_CAP_PACKET;
	}
}

/* ---- the interface ------------------------------------------------------ */

int kf_source_next(struct kf_source *s, struct kf_source_pkt *sp)
{
	if (s->seq) { /* the per-packet path of one file: a few stores */
		int rc = kf_capture_next(s->seq, &sp->p);
		if (rc == KF_CAP_PACKET) {
			sp->file = s->cur32;
			sp->copy = false;
			sp->file_frame = sp->p.frame;
			sp->p.frame = s->frame = s->base + sp->p.frame;
			return KF_CAP_PACKET;
		}
		return next_file(s, sp, rc);
	}
	if (s->nomem)
		return KF_CAP_ERROR;
	return s->mode == KF_SOURCE_MERGE ? next_merged(s, sp) : next_file(s, sp, KF_CAP_EOF);
}

enum kf_status kf_source_open(const char *const *paths, size_t n, enum kf_source_mode mode,
			      struct kf_source **out, char *err, size_t errlen)
{
	*out = NULL;
	if (n == 0 || (mode == 0 && n != 1)) {
		snprintf(err, errlen, "%s", n ? "several captures need a mode" : "no capture given");
		return KF_IO;
	}
	if (n > KF_LIMIT_CAPTURE_FILES || (mode == KF_SOURCE_MERGE && n > KF_LIMIT_MERGE_FILES)) {
		snprintf(err, errlen, "too many captures: at most %u in one analysis, %u merged",
			 KF_LIMIT_CAPTURE_FILES, KF_LIMIT_MERGE_FILES);
		return KF_IO;
	}
	struct kf_source *s = kf_calloc(1, sizeof(*s));
	if (!s)
		goto nomem;
	s->mode = mode;
	s->n = n;
	s->last = NONE;
	s->files = kf_calloc(n, sizeof(*s->files));
	s->caps = kf_calloc(n, sizeof(*s->caps));
	if (!s->files || !s->caps)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		s->files[i].path = paths[i];
		s->files[i].first_dlt = -1;
	}
	bool any = false;
	if (mode == KF_SOURCE_MERGE) {
		s->heads = kf_calloc(n, sizeof(*s->heads));
		s->recent = kf_calloc(KF_LIMIT_MERGE_RECENT, sizeof(*s->recent));
		s->at_count = kf_calloc(n, sizeof(*s->at_count));
		if (!s->heads || !s->recent || !s->at_count)
			goto nomem;
		s->all_files = n == 64 ? ~(uint64_t)0 : ((uint64_t)1 << n) - 1;
		for (size_t i = 0; i < n && !s->nomem; i++) {
			if (open_file(s, i)) {
				any = true;
				advance(s, i);
			}
		}
	} else {
		for (size_t i = 0; i < n && !any && !s->nomem; i++)
			any = seq_start(s, i);
	}
	if (s->nomem) {
		snprintf(err, errlen, "out of memory");
		kf_source_close(s);
		return KF_NOMEM;
	}
	if (!any) {
		if (n == 1)
			snprintf(err, errlen, "%s", s->files[0].error);
		else
			snprintf(err, errlen, "none of the %zu captures could be read (%s: %s)", n,
				 s->files[0].path, s->files[0].error);
		kf_source_close(s);
		return KF_IO;
	}
	*out = s;
	return KF_OK;
nomem:
	snprintf(err, errlen, "out of memory");
	kf_source_close(s);
	return KF_NOMEM;
}

static bool locate_merged(struct kf_source *s, uint64_t frame, uint32_t *file, uint64_t *file_frame)
{
	if (frame < s->at_frame || !s->at_frame) { /* (re)start the cursor */
		s->at_rec = s->at_frame = 0;
		memset(s->at_count, 0, s->n * sizeof(*s->at_count));
	}
	while (s->at_frame < frame && s->at_rec < s->log_n) {
		uint8_t b = s->log[s->at_rec >> LOG_BLOCK_SHIFT][s->at_rec & (LOG_BLOCK - 1)];
		s->at_rec++;
		size_t f = b & ~LOG_COPY & 0xffu;
		s->at_count[f]++;
		if (b & LOG_COPY)
			continue;
		s->at_frame++;
		s->at_file = f;
		s->at_file_frame = s->at_count[f];
	}
	if (s->at_frame != frame)
		return false;
	*file = (uint32_t)s->at_file;
	*file_frame = s->at_file_frame;
	return true;
}

bool kf_source_locate(struct kf_source *s, uint64_t frame, uint32_t *file, uint64_t *file_frame)
{
	if (frame == 0 || frame > s->frame)
		return false;
	if (s->mode == KF_SOURCE_MERGE)
		return locate_merged(s, frame, file, file_frame);
	seq_sync(s);
	size_t i = s->at_file < s->n && s->files[s->at_file].first_frame &&
				   s->files[s->at_file].first_frame <= frame
			   ? s->at_file
			   : 0;
	for (; i < s->n; i++) {
		const struct kf_source_file *f = &s->files[i];
		if (f->first_frame && frame >= f->first_frame && frame - f->first_frame < f->packets) {
			s->at_file = i;
			*file = (uint32_t)i;
			*file_frame = frame - f->first_frame + 1;
			return true;
		}
	}
	return false;
}

const struct kf_source_file *kf_source_files(struct kf_source *s, size_t *n)
{
	seq_sync(s);
	for (size_t i = 0; i < s->n; i++) /* still open when the analysis stopped early */
		if (s->caps[i] && s->files[i].first_dlt < 0)
			s->files[i].first_dlt = kf_capture_first_dlt(s->caps[i]);
	*n = s->n;
	return s->files;
}

uint64_t kf_source_frames(const struct kf_source *s) { return s->frame; }
uint64_t kf_source_duplicates(const struct kf_source *s) { return s->duplicates; }

void kf_source_report_copies(struct kf_source *s, bool on) { s->report_copies = on; }
uint64_t kf_source_forgotten(const struct kf_source *s) { return s->forgotten; }
bool kf_source_map_full(const struct kf_source *s) { return s->log_full; }

void kf_source_close(struct kf_source *s)
{
	if (!s)
		return;
	for (size_t i = 0; s->caps && i < s->n; i++)
		kf_capture_close(s->caps[i]);
	for (size_t i = 0; i < s->log_blocks; i++)
		kf_free(s->log[i]);
	kf_free(s->log);
	kf_free(s->at_count);
	kf_free(s->recent);
	kf_free(s->heads);
	kf_free(s->caps);
	kf_free(s->files);
	kf_free(s);
}
