/* check_decompress.c - compressed captures (analyzer/decompress.h, RFC 1952
 * gzip and RFC 8878 zstd): decoded bytes equal the original, through files
 * and pipes; whole analyses of compressed samples equal the plain ones;
 * truncated and corrupt compressed data ends the capture like a truncated
 * file; the pcapng reader's re-reads decode too; allocation failures.
 *
 * The compressed files are written by the test (zlib's gzopen/gzwrite,
 * libzstd) into a private mkdtemp() directory.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "testutil.h"
#include "analyzer.h"
#include "base/arena.h"
#include "capture.h"
#include "decompress.h"
#include "result.h"
#include "rules.h"

static char g_dir[64];

static const char *tmp_path(const char *name)
{
	static char path[4][256];
	static unsigned next;
	char *p = path[next++ % 4];
	snprintf(p, sizeof path[0], "%s/%s", g_dir, name);
	return p;
}

static const char *sample(const char *name)
{
	static char path[512];
	snprintf(path, sizeof path, "%s/%s", KF_SAMPLES_DIR, name);
	return path;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

/* ---- writing compressed files ------------------------------------------- */

enum variant {
	V_GZIP,         /* one gzip member */
	V_GZIP_MULTI,   /* three members, split at arbitrary bytes */
	V_GZIP_PADDED,  /* one member then zero padding (ignored, as gzip(1) does) */
	V_ZSTD,         /* one zstd frame */
	V_ZSTD_MULTI,   /* two frames, a skippable frame between them */
	V_ZSTD_FLUSHED, /* one frame made of many small flushed blocks */
	V__COUNT
};

static const char *const VNAME[V__COUNT] = {
	"gz", "gz-multi", "gz-padded", "zst", "zst-multi", "zst-flushed"
};

static void gz_member(const char *path, const char *mode, const uint8_t *p, size_t n)
{
	gzFile g = gzopen(path, mode);
	ck_assert_ptr_nonnull(g);
	if (n)
		ck_assert_int_eq(gzwrite(g, p, (unsigned)n), (int)n);
	ck_assert_int_eq(gzclose(g), Z_OK);
}

static void append_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "ab");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

static void zstd_frame(const char *path, const uint8_t *p, size_t n, int level)
{
	size_t cap = ZSTD_compressBound(n);
	uint8_t *z = malloc(cap);
	size_t zn = ZSTD_compress(z, cap, p, n, level);
	ck_assert(!ZSTD_isError(zn));
	append_file(path, z, zn);
	free(z);
}

/* A frame flushed every `step` bytes, as a streaming writer makes: many
 * blocks, so a cut file still decodes up to the cut. */
static void zstd_flushed(const char *path, const uint8_t *p, size_t n, size_t step)
{
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	ck_assert_ptr_nonnull(cc);
	ck_assert(!ZSTD_isError(ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 1)));
	size_t cap = ZSTD_compressBound(n) + n / step * 16 + 64;
	uint8_t *z = malloc(cap);
	ZSTD_outBuffer o = { z, cap, 0 };
	for (size_t at = 0; at < n; at += step) {
		size_t len = n - at < step ? n - at : step;
		ZSTD_inBuffer i = { p + at, len, 0 };
		size_t r;
		do
			r = ZSTD_compressStream2(cc, &o, &i, ZSTD_e_flush);
		while (!ZSTD_isError(r) && r != 0);
		ck_assert(!ZSTD_isError(r));
	}
	ZSTD_inBuffer none = { NULL, 0, 0 };
	size_t r;
	do
		r = ZSTD_compressStream2(cc, &o, &none, ZSTD_e_end);
	while (!ZSTD_isError(r) && r != 0);
	ck_assert(!ZSTD_isError(r));
	append_file(path, z, o.pos);
	free(z);
	ZSTD_freeCCtx(cc);
}

/* Write p[0..n) compressed as v into a fresh file; returns its path. */
static const char *compress_to(const uint8_t *p, size_t n, enum variant v, const char *name)
{
	char fname[128];
	snprintf(fname, sizeof fname, "%s.%s", name, VNAME[v]);
	const char *path = tmp_path(fname);
	unlink(path);
	switch (v) {
	case V_GZIP: gz_member(path, "wb9", p, n); break;
	case V_GZIP_MULTI: {
		size_t a = n / 3, b = n / 3 + 17 < n ? n / 3 + 17 : n / 2;
		gz_member(path, "wb", p, a);
		gz_member(path, "ab1", p + a, b - a);
		gz_member(path, "ab6", p + b, n - b);
		break;
	}
	case V_GZIP_PADDED: {
		static const uint8_t zeros[1000];
		gz_member(path, "wb", p, n);
		append_file(path, zeros, sizeof zeros);
		break;
	}
	case V_ZSTD: zstd_frame(path, p, n, 19); break;
	case V_ZSTD_MULTI: {
		/* RFC 8878 §3.1.2 skippable frame: magic 0x184D2A5?, size, data */
		static const uint8_t skip[12] = { 0x53, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 'k', 'f', '!', '!' };
		zstd_frame(path, p, n / 2, 3);
		append_file(path, skip, sizeof skip);
		zstd_frame(path, p + n / 2, n - n / 2, 1);
		break;
	}
	case V_ZSTD_FLUSHED: zstd_flushed(path, p, n, 300); break;
	default: ck_abort();
	}
	return path;
}

/* ---- reading ------------------------------------------------------------- */

/* Everything kf_decompress_open's FILE gives, from path (or via a pipe). */
static uint8_t *decode_file(FILE *raw, size_t *len, struct kf_decompress_info *info)
{
	char err[128];
	FILE *f = kf_decompress_open(raw, info, err, sizeof err);
	ck_assert_msg(f != NULL, "kf_decompress_open: %s", err);
	size_t cap = 1 << 16, n = 0;
	uint8_t *buf = malloc(cap);
	size_t got;
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	ck_assert_ptr_null(kf_decompress_error(info->dz));
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

/* A pipe fed with p[0..n) by a child process; the read end as a FILE. */
static FILE *pipe_of(const uint8_t *p, size_t n, pid_t *child)
{
	int fd[2];
	ck_assert_int_eq(pipe(fd), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(fd[0]);
		for (size_t at = 0; at < n;) {
			/* small writes: the reader sees short reads */
			size_t len = n - at < 1000 ? n - at : 1000;
			ssize_t w = write(fd[1], p + at, len);
			if (w <= 0)
				_exit(1);
			at += (size_t)w;
		}
		_exit(0);
	}
	close(fd[1]);
	*child = pid;
	FILE *f = fdopen(fd[0], "rb");
	ck_assert_ptr_nonnull(f);
	return f;
}

static void reap(pid_t pid)
{
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static const char *const SAMPLES[] = {
	"web-healthy-401first.pcap",
	"kerberos-tcp.pcap",
	"kerberos-udp-fragmented.pcap",
	"web-ntlm-fallback.pcap",
};
#define N_SAMPLES (sizeof SAMPLES / sizeof SAMPLES[0])

START_TEST(t_bytes_equal)
{
	/* _i: sample × variant; decoded bytes equal the original, from a
	 * file and from a pipe (no seeking back possible) */
	const char *name = SAMPLES[(size_t)_i / V__COUNT];
	enum variant v = (enum variant)(_i % V__COUNT);
	size_t n;
	uint8_t *orig = kf_test_read_file(sample(name), &n);
	const char *path = compress_to(orig, n, v, name);

	struct kf_decompress_info info;
	size_t dn;
	uint8_t *dec = decode_file(fopen(path, "rb"), &dn, &info);
	ck_assert_int_eq(info.codec, v <= V_GZIP_PADDED ? KF_CODEC_GZIP : KF_CODEC_ZSTD);
	ck_assert_uint_eq(info.head_len, 4);
	ck_assert_mem_eq(info.head, orig, 4);
	ck_assert_uint_eq(dn, n);
	ck_assert_mem_eq(dec, orig, n);
	free(dec);

	size_t zn;
	uint8_t *z = kf_test_read_file(path, &zn);
	pid_t child;
	dec = decode_file(pipe_of(z, zn, &child), &dn, &info);
	reap(child);
	ck_assert_uint_eq(dn, n);
	ck_assert_mem_eq(dec, orig, n);
	free(dec);
	free(z);
	free(orig);
}
END_TEST

START_TEST(t_plain_passthrough)
{
	/* plain file: the FILE itself comes back, rewound; plain pipe: a
	 * wrapper replays the sniffed bytes */
	size_t n;
	uint8_t *orig = kf_test_read_file(sample("kerberos-udp.pcap"), &n);
	FILE *raw = fopen(sample("kerberos-udp.pcap"), "rb");
	struct kf_decompress_info info;
	char err[128];
	FILE *f = kf_decompress_open(raw, &info, err, sizeof err);
	ck_assert_ptr_eq(f, raw);
	ck_assert_ptr_null(info.dz);
	ck_assert_int_eq(info.codec, KF_CODEC_NONE);
	ck_assert_uint_eq(info.head_len, 4);
	ck_assert_int_eq(ftell(f), 0);
	fclose(f);

	pid_t child;
	size_t dn;
	uint8_t *dec = decode_file(pipe_of(orig, n, &child), &dn, &info);
	reap(child);
	ck_assert_int_eq(info.codec, KF_CODEC_NONE);
	ck_assert_ptr_nonnull(info.dz);
	ck_assert_uint_eq(dn, n);
	ck_assert_mem_eq(dec, orig, n);
	free(dec);

	/* shorter than a magic: delivered as is */
	dec = decode_file(pipe_of((const uint8_t *)"\x1f", 1, &child), &dn, &info);
	reap(child);
	ck_assert_uint_eq(dn, 1);
	ck_assert_uint_eq(dec[0], 0x1f);
	free(dec);
	free(orig);
}
END_TEST

/* ---- whole analyses ------------------------------------------------------ */

static void analyze_ok(const char *path, struct kf_result *r)
{
	struct kf_config cfg = { 0 };
	char err[256] = "";
	ck_assert_msg(kf_analyze(path, &cfg, r, err, sizeof err) == KF_OK, "%s: %s", path, err);
}

/* Same analysis; a: the plain capture, b: from compressed data. */
static void expect_same(const struct kf_result *a, const struct kf_result *b)
{
	ck_assert_str_eq(a->format, b->format);
	ck_assert_str_eq(a->linktype, b->linktype);
	ck_assert_uint_eq(a->packets, b->packets);
	ck_assert_uint_eq(a->bytes, b->bytes);
	ck_assert_uint_eq(a->first_ts_us, b->first_ts_us);
	ck_assert_uint_eq(a->last_ts_us, b->last_ts_us);
	ck_assert_int_eq(a->read_error, b->read_error);
	ck_assert_uint_eq(a->n_messages, b->n_messages);
	for (size_t i = 0; i < a->n_messages; i++) {
		ck_assert_uint_eq(a->messages[i].frame, b->messages[i].frame);
		ck_assert_int_eq(a->messages[i].type, b->messages[i].type);
	}
	ck_assert_uint_eq(a->n_findings, b->n_findings);
	for (size_t i = 0; i < a->n_findings; i++)
		ck_assert_str_eq(a->findings[i].rule, b->findings[i].rule);
	ck_assert_uint_eq(a->n_warnings, b->n_warnings);
	ck_assert_uint_eq(a->n_stories, b->n_stories);
}

START_TEST(t_analysis_equal)
{
	const char *name = SAMPLES[(size_t)_i / V__COUNT];
	enum variant v = (enum variant)(_i % V__COUNT);
	size_t n;
	uint8_t *orig = kf_test_read_file(sample(name), &n);
	const char *path = compress_to(orig, n, v, name);
	struct kf_result a, b;
	analyze_ok(sample(name), &a);
	analyze_ok(path, &b);
	ck_assert_uint_gt(a.n_messages, 0);
	expect_same(&a, &b);
	kf_result_free(&b);
	free(orig);

	/* the same on standard input, a pipe */
	size_t zn;
	uint8_t *z = kf_test_read_file(path, &zn);
	pid_t child;
	FILE *pf = pipe_of(z, zn, &child);
	int saved = dup(0);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(fileno(pf), 0), 0);
	fclose(pf);
	clearerr(stdin);
	analyze_ok("-", &b);
	ck_assert_int_eq(dup2(saved, 0), 0);
	close(saved);
	clearerr(stdin);
	reap(child);
	expect_same(&a, &b);
	kf_result_free(&b);
	kf_result_free(&a);
	free(z);
}
END_TEST

static bool has_warning(const struct kf_result *r, const char *code)
{
	for (size_t i = 0; i < r->n_warnings; i++)
		if (strcmp(r->warnings[i].code, code) == 0)
			return true;
	return false;
}

START_TEST(t_truncated)
{
	/* cut compressed data (_i 0 gzip, 1 flushed zstd): KF_OK, a read
	 * error, a truncation warning, and the messages before the cut */
	enum variant v = _i ? V_ZSTD_FLUSHED : V_GZIP;
	size_t n;
	uint8_t *orig = kf_test_read_file(sample("kerberos-tcp.pcap"), &n);
	const char *path = compress_to(orig, n, v, "kerberos-tcp.pcap");
	size_t zn;
	uint8_t *z = kf_test_read_file(path, &zn);
	const char *cut = tmp_path("cut");
	write_file(cut, z, zn * 3 / 4);

	struct kf_result a, b;
	analyze_ok(sample("kerberos-tcp.pcap"), &a);
	analyze_ok(cut, &b);
	ck_assert(b.read_error);
	ck_assert(has_warning(&b, "truncated"));
	ck_assert_uint_gt(b.packets, 0);
	ck_assert_uint_lt(b.packets, a.packets);
	ck_assert_uint_gt(b.n_messages, 0);
	ck_assert_uint_le(b.n_messages, a.n_messages);
	for (size_t i = 0; i < b.n_messages; i++) {
		ck_assert_uint_eq(a.messages[i].frame, b.messages[i].frame);
		ck_assert_int_eq(a.messages[i].type, b.messages[i].type);
	}
	kf_result_free(&a);
	kf_result_free(&b);
	free(z);
	free(orig);
}
END_TEST

static struct kf_capture *open_capture(const char *path, char *err, size_t len)
{
	err[0] = 0;
	return kf_capture_open(path, err, len);
}

/* Read a capture to its end: packets delivered, and how it ended. */
static uint64_t read_all(struct kf_capture *c, int *end_rc)
{
	struct kf_pkt p;
	uint64_t n = 0;
	int rc;
	while ((rc = kf_capture_next(c, &p)) == KF_CAP_PACKET)
		n++;
	*end_rc = rc;
	return n;
}

START_TEST(t_truncation_sweep)
{
	/* every prefix of small compressed captures: never a crash, at most
	 * the packets of the whole file, a cut reported as truncated */
	size_t n;
	uint8_t *orig = kf_test_read_file(sample("kerberos-udp.pcap"), &n);
	enum variant v = _i ? V_ZSTD_FLUSHED : V_GZIP_MULTI;
	const char *path = compress_to(orig, n, v, "kerberos-udp.pcap");
	size_t zn;
	uint8_t *z = kf_test_read_file(path, &zn);
	char err[256];
	struct kf_capture *c = open_capture(path, err, sizeof err);
	ck_assert_ptr_nonnull(c);
	int rc;
	uint64_t all = read_all(c, &rc);
	ck_assert_int_eq(rc, KF_CAP_EOF);
	kf_capture_close(c);

	const char *cut = tmp_path("sweep");
	for (size_t len = 1; len < zn; len += 3) {
		write_file(cut, z, len);
		c = open_capture(cut, err, sizeof err);
		if (!c) {
			ck_assert_str_ne(err, "");
			continue;
		}
		uint64_t got = read_all(c, &rc);
		ck_assert_uint_le(got, all);
		ck_assert_msg(rc == KF_CAP_ERROR, "prefix %zu of %zu read as complete", len, zn);
		ck_assert(kf_capture_truncated(c));
		ck_assert_str_ne(kf_capture_error(c), "");
		kf_capture_close(c);
	}
	free(z);
	free(orig);
}
END_TEST

START_TEST(t_garbage)
{
	/* a compression magic and garbage after it: a clear error, or a
	 * truncated result; flipped bytes mid-stream: never a crash */
	static const char *const files[] = { "\x1f\x8bthis is not deflate data at all, no",
					     "\x28\xb5\x2f\xfdthis is not a zstd frame either......" };
	char err[256];
	for (int k = 0; k < 2; k++) {
		const char *path = tmp_path("garbage");
		write_file(path, files[k], strlen(files[k]));
		struct kf_result r;
		struct kf_config cfg = { 0 };
		err[0] = 0;
		ck_assert_int_eq(kf_analyze(path, &cfg, &r, err, sizeof err), KF_IO);
		ck_assert_msg(strstr(err, k ? "zstd" : "gzip") != NULL, "unclear error: %s", err);
		kf_result_free(&r);
	}

	size_t n;
	uint8_t *orig = kf_test_read_file(sample("web-healthy-401first.pcap"), &n);
	for (int v = 0; v < V__COUNT; v++) {
		const char *path = compress_to(orig, n, (enum variant)v, "web-healthy-401first.pcap");
		size_t zn;
		uint8_t *z = kf_test_read_file(path, &zn);
		for (size_t at = 10; at + 8 < zn; at += zn / 13) {
			for (size_t k = 0; k < 8; k++)
				z[at + k] ^= 0xa5;
			const char *bad = tmp_path("flipped");
			write_file(bad, z, zn);
			for (size_t k = 0; k < 8; k++)
				z[at + k] ^= 0xa5;
			struct kf_result r;
			struct kf_config cfg = { 0 };
			err[0] = 0;
			enum kf_status st = kf_analyze(bad, &cfg, &r, err, sizeof err);
			ck_assert_msg(st == KF_OK || st == KF_IO, "%s at %zu: status %d", VNAME[v], at, st);
			if (st == KF_IO)
				ck_assert_str_ne(err, "");
			kf_result_free(&r);
		}
		free(z);
	}
	free(orig);
}
END_TEST

START_TEST(t_open_errors)
{
	char err[256];
	/* compressed nothing: as an empty file */
	const char *path = tmp_path("empty.gz");
	gz_member(path, "wb", NULL, 0);
	ck_assert_ptr_null(open_capture(path, err, sizeof err));
	ck_assert_str_eq(err, "empty file, not a capture");
	/* compressed text */
	path = tmp_path("text.zst");
	unlink(path);
	zstd_frame(path, (const uint8_t *)"hello, world\n", 13, 3);
	ck_assert_ptr_null(open_capture(path, err, sizeof err));
	ck_assert_msg(strstr(err, "not a pcap or pcapng capture") != NULL, "%s", err);
	/* a lone gzip magic */
	path = tmp_path("magic.gz");
	write_file(path, "\x1f\x8b", 2);
	ck_assert_ptr_null(open_capture(path, err, sizeof err));
	ck_assert_msg(strstr(err, "gzip") != NULL, "%s", err);
}
END_TEST

START_TEST(t_big_expansion)
{
	/* a pcap header then 24 MiB of zeros (1.5 million empty records)
	 * compress to a few kB: a big capture, read with fixed buffers */
	static const uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2,    0,    4, 0, 0, 0, 0, 0,
					 0,    0,    0,    0,    0xff, 0xff, 0, 0, 1, 0, 0, 0 };
	const size_t zeros = 24u << 20;
	const char *path = tmp_path("zeros.pcap.gz");
	gzFile g = gzopen(path, "wb9");
	ck_assert_ptr_nonnull(g);
	ck_assert_int_eq(gzwrite(g, hdr, sizeof hdr), (int)sizeof hdr);
	static uint8_t block[1 << 16];
	for (size_t at = 0; at < zeros; at += sizeof block)
		ck_assert_int_eq(gzwrite(g, block, sizeof block), (int)sizeof block);
	ck_assert_int_eq(gzclose(g), Z_OK);

	char err[256];
	struct kf_capture *c = open_capture(path, err, sizeof err);
	ck_assert_msg(c != NULL, "%s", err);
	int rc;
	ck_assert_uint_eq(read_all(c, &rc), zeros / 16);
	ck_assert_int_eq(rc, KF_CAP_EOF);
	kf_capture_close(c);
}
END_TEST

/* ---- pcapng re-read by the built-in reader -------------------------------- */

struct fb {
	uint8_t d[4096];
	size_t n;
};

static void w32(struct fb *b, uint32_t v)
{
	ck_assert_uint_le(b->n + 4, sizeof b->d);
	memcpy(b->d + b->n, &v, 4); /* host order: the SHB's byte-order magic says which */
	b->n += 4;
}

static void ng_block(struct fb *b, uint32_t type, const uint8_t *body, size_t len)
{
	uint32_t total = (uint32_t)(12 + (len + 3) / 4 * 4);
	w32(b, type);
	w32(b, total);
	ck_assert_uint_le(b->n + len + 8, sizeof b->d);
	memcpy(b->d + b->n, body, len);
	memset(b->d + b->n + len, 0, (len + 3) / 4 * 4 - len);
	b->n += (len + 3) / 4 * 4;
	w32(b, total);
}

static void ng_idb(struct fb *b, uint16_t linktype)
{
	uint8_t body[8] = { 0 };
	memcpy(body, &linktype, 2);
	uint32_t snap = 65535;
	memcpy(body + 4, &snap, 4);
	ng_block(b, 1, body, sizeof body);
}

static void ng_epb(struct fb *b, uint32_t ifid, uint32_t ts, uint32_t len, unsigned seed)
{
	uint8_t body[20 + 128];
	ck_assert_uint_le(len, 128);
	uint32_t f[5] = { ifid, 0, ts, len, len };
	memcpy(body, f, sizeof f);
	for (uint32_t i = 0; i < len; i++)
		body[20 + i] = (uint8_t)(seed * 31 + i * 7);
	ng_block(b, 6, body, 20 + len);
}

START_TEST(t_pcapng_fallback)
{
	/* two link types, the second interface after two packets: libpcap
	 * refuses it mid-way and capture.c re-reads the file with its own
	 * pcapng reader, decoding again; the plain file's packets come out */
	struct fb b = { .n = 0 };
	uint8_t shb[16] = { 0 };
	uint32_t bom = 0x1A2B3C4Du, ver = 1, unk = UINT32_MAX;
	memcpy(shb, &bom, 4);
	memcpy(shb + 4, &ver, 4);
	memcpy(shb + 8, &unk, 4);
	memcpy(shb + 12, &unk, 4);
	ng_block(&b, 0x0A0D0D0Au, shb, sizeof shb);
	ng_idb(&b, 1);
	ng_epb(&b, 0, 100, 60, 1);
	ng_epb(&b, 0, 101, 64, 2);
	ng_idb(&b, 101);
	ng_epb(&b, 1, 102, 48, 3);
	ng_epb(&b, 0, 103, 80, 4);
	ng_epb(&b, 1, 104, 40, 5);
	const char *plain = tmp_path("two.pcapng");
	write_file(plain, b.d, b.n);

	char err[256];
	for (int v = 0; v < V__COUNT; v++) {
		const char *path = compress_to(b.d, b.n, (enum variant)v, "two.pcapng");
		struct kf_capture *p = open_capture(plain, err, sizeof err);
		struct kf_capture *c = open_capture(path, err, sizeof err);
		ck_assert_msg(p && c, "%s: %s", VNAME[v], err);
		ck_assert_str_eq(kf_capture_format(c), "pcapng");
		struct kf_pkt x, y;
		int n = 0, rp, rc;
		for (;;) {
			rp = kf_capture_next(p, &x);
			rc = kf_capture_next(c, &y);
			ck_assert_int_eq(rp, rc);
			if (rp != KF_CAP_PACKET)
				break;
			n++;
			ck_assert_uint_eq(x.frame, y.frame);
			ck_assert_uint_eq(x.ts_us, y.ts_us);
			ck_assert_int_eq(x.dlt, y.dlt);
			ck_assert_uint_eq(x.caplen, y.caplen);
			ck_assert_mem_eq(x.data, y.data, x.caplen);
		}
		ck_assert_int_eq(rc, KF_CAP_EOF);
		ck_assert_int_eq(n, 5);
		kf_capture_close(p);
		kf_capture_close(c);

		if (v != V_GZIP)
			continue;
		/* cut in the last packet: the pcapng reader stops short */
		size_t zn;
		uint8_t *z = kf_test_read_file(path, &zn);
		const char *cut = tmp_path("two-cut.pcapng.gz");
		write_file(cut, z, zn - 12);
		free(z);
		c = open_capture(cut, err, sizeof err);
		ck_assert_ptr_nonnull(c);
		ck_assert_uint_le(read_all(c, &rc), 4);
		ck_assert_int_eq(rc, KF_CAP_ERROR);
		ck_assert(kf_capture_truncated(c));
		ck_assert_msg(strstr(kf_capture_error(c), "gzip") != NULL, "%s", kf_capture_error(c));
		kf_capture_close(c);
	}
}
END_TEST

/* ---- allocation failures --------------------------------------------------- */

START_TEST(t_alloc_failure)
{
	/* the n-th allocation fails: opening says "out of memory" with ENOMEM,
	 * or the capture reads in full */
	enum variant v = _i ? V_ZSTD_MULTI : V_GZIP_MULTI;
	size_t n;
	uint8_t *orig = kf_test_read_file(sample("kerberos-tcp.pcap"), &n);
	const char *path = compress_to(orig, n, v, "kerberos-tcp.pcap");
	char err[256];
	unsigned long before = kf_alloc_calls();
	struct kf_capture *c = open_capture(path, err, sizeof err);
	ck_assert_ptr_nonnull(c);
	int rc;
	uint64_t all = read_all(c, &rc);
	kf_capture_close(c);
	unsigned long calls = kf_alloc_calls() - before;
	ck_assert_uint_gt(calls, 3);
	int nomem = 0;
	for (unsigned long k = 1; k <= calls + 1; k++) {
		kf_alloc_fail_after(k);
		c = open_capture(path, err, sizeof err);
		int e = errno;
		if (!c) {
			ck_assert_msg(e == ENOMEM, "failure %lu: errno %d (%s)", k, e, err);
			ck_assert_str_eq(err, "out of memory");
			nomem++;
		} else {
			ck_assert_uint_eq(read_all(c, &rc), all);
			ck_assert_int_eq(rc, KF_CAP_EOF);
			kf_capture_close(c);
		}
		kf_alloc_fail_after(0);
	}
	ck_assert_int_gt(nomem, 0);
	free(orig);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("decompress");

	TCase *tc = tcase_create("decode");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, t_bytes_equal, 0, (int)(N_SAMPLES * V__COUNT));
	tcase_add_test(tc, t_plain_passthrough);
	tcase_add_test(tc, t_big_expansion);
	suite_add_tcase(s, tc);

	tc = tcase_create("analysis");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, t_analysis_equal, 0, (int)(N_SAMPLES * V__COUNT));
	tcase_add_test(tc, t_pcapng_fallback);
	suite_add_tcase(s, tc);

	tc = tcase_create("broken");
	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, t_truncated, 0, 2);
	tcase_add_loop_test(tc, t_truncation_sweep, 0, 2);
	tcase_add_test(tc, t_garbage);
	tcase_add_test(tc, t_open_errors);
	tcase_add_loop_test(tc, t_alloc_failure, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void) { return kf_test_run_in_dir(suite, "decompress", g_dir, sizeof g_dir); }
