/* decompress.c - streamed decoding of gzip (RFC 1952, through zlib) and zstd
 * (RFC 8878, through libzstd) captures behind a glibc fopencookie() FILE. */
#define _GNU_SOURCE /* fopencookie */
#include "decompress.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/types.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_createDCtx_advanced: allocate through kf_malloc */
#include <zstd.h>
#include <zstd_errors.h> /* ZSTD_getErrorCode */

#include "base/arena.h"
#include "base/limits.h"

#define DZ_IN_SIZE (128u << 10)  /* compressed bytes read from the file at a time */
#define DZ_OUT_SIZE (256u << 10) /* stdio buffer of the decoded stream */
#define DZ_MAX_CALL (1u << 30)   /* bytes decoded per read call: fits zlib's uInt */

struct kf_decompress {
	FILE *f; /* the compressed (or plain, unseekable) stream */
	enum kf_codec codec;
	uint8_t replay[4]; /* sniffed or head-decoded bytes, delivered first */
	size_t replay_len, replay_pos;
	uint8_t *in; /* DZ_IN_SIZE compressed bytes, in[in_pos..in_len) unused */
	size_t in_len, in_pos;
	char *out;       /* the wrapping FILE's stdio buffer */
	bool raw_eof;    /* f has no more bytes */
	bool ended;      /* nothing more will be decoded */
	bool z_ready;    /* inflateInit2 done: inflateEnd needed */
	bool between;    /* gzip: a member just ended */
	bool frame_open; /* zstd: the current frame is incomplete */
	bool truncated;
	bool nomem; /* the stop was an allocation failure */
	z_stream z;
	ZSTD_DCtx *zd;
	char err[160];
};

const char *kf_codec_name(enum kf_codec codec)
{
	switch (codec) {
	case KF_CODEC_GZIP: return "gzip";
	case KF_CODEC_ZSTD: return "zstd";
	default: return "none";
	}
}

const char *kf_decompress_error(const struct kf_decompress *dz) { return dz && dz->err[0] ? dz->err : NULL; }

bool kf_decompress_truncated(const struct kf_decompress *dz) { return dz && dz->err[0] && dz->truncated; }

bool kf_decompress_nomem(const struct kf_decompress *dz) { return dz && dz->nomem; }

/* Stop decoding for good; the first reason is kept. */
__attribute__((format(printf, 3, 4))) static void stop(struct kf_decompress *d, bool truncated,
						       const char *fmt, ...)
{
	d->ended = true;
	if (d->err[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->err, sizeof d->err, fmt, ap);
	va_end(ap);
	d->truncated = truncated;
}

static void stop_nomem(struct kf_decompress *d)
{
	if (!d->err[0])
		d->nomem = true;
	stop(d, false, "out of memory while decompressing %s data", kf_codec_name(d->codec));
}

/* Make compressed input available; false at the end of the file. */
static bool fill(struct kf_decompress *d)
{
	if (d->in_pos < d->in_len)
		return true;
	if (d->raw_eof)
		return false;
	d->in_pos = 0;
	d->in_len = fread(d->in, 1, DZ_IN_SIZE, d->f);
	if (d->in_len > 0)
		return true;
	d->raw_eof = true;
	if (ferror(d->f))
		stop(d, false, "read error in the %s file: %s", kf_codec_name(d->codec), strerror(errno));
	return false;
}

/* ---- gzip ---------------------------------------------------------------- */

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
	(void)opaque;
	return kf_calloc(items, size); /* calloc: checks items * size */
}

static void z_free(voidpf opaque, voidpf p)
{
	(void)opaque;
	kf_free(p);
}

static size_t gz_decode(struct kf_decompress *d, uint8_t *out, size_t size)
{
	z_stream *z = &d->z;
	z->next_out = out;
	z->avail_out = (uInt)size;
	while (z->avail_out > 0 && !d->ended) {
		bool more = fill(d);
		if (d->between) {
			/* RFC 1952 §2.2: members may follow one another; zero
			 * padding after the last is ignored, as gzip(1) does */
			while (more && d->in[d->in_pos] == 0) {
				d->in_pos++;
				more = fill(d);
			}
			if (!more) {
				d->ended = true;
				break;
			}
			if (inflateReset(z) != Z_OK) {
				stop(d, false, "gzip decoder failed to reset");
				break;
			}
			d->between = false;
		}
		z->next_in = d->in + d->in_pos;
		z->avail_in = (uInt)(d->in_len - d->in_pos);
		int rc = inflate(z, Z_NO_FLUSH);
		d->in_pos = d->in_len - z->avail_in;
		switch (rc) {
		case Z_OK: break;
		case Z_STREAM_END: d->between = true; break;
		case Z_BUF_ERROR: /* no progress: only when the input ran out */
			stop(d, true,
			     more ? "gzip data is corrupt: decoder stalled" : "gzip data ends early");
			break;
		case Z_MEM_ERROR: stop_nomem(d); break;
		default: stop(d, true, "gzip data is corrupt: %s", z->msg ? z->msg : "bad data"); break;
		}
	}
	return size - z->avail_out;
}

/* ---- zstd ---------------------------------------------------------------- */

static void *zstd_alloc(void *opaque, size_t size)
{
	(void)opaque;
	return kf_malloc(size);
}

static void zstd_free(void *opaque, void *p)
{
	(void)opaque;
	kf_free(p);
}

static size_t zstd_decode(struct kf_decompress *d, uint8_t *out, size_t size)
{
	ZSTD_outBuffer o = { out, size, 0 };
	while (o.pos < o.size && !d->ended) {
		bool more = fill(d);
		ZSTD_inBuffer i = { d->in, d->in_len, d->in_pos };
		size_t in_before = i.pos, out_before = o.pos;
		/* RFC 8878 §3.1: frames (and skippable frames) follow one
		 * another; the decoder goes on to the next by itself */
		size_t r = ZSTD_decompressStream(d->zd, &o, &i);
		d->in_pos = i.pos;
		if (ZSTD_isError(r)) {
			if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
				stop_nomem(d);
			else
				stop(d, true, "zstd data is corrupt: %s", ZSTD_getErrorName(r));
			break;
		}
		if (i.pos != in_before || o.pos != out_before) {
			/* 0: a frame just ended and is flushed (an idle call
			 * would answer the next frame header's size instead) */
			d->frame_open = r != 0;
		} else if (!more) { /* input gone, nothing left to flush */
			if (d->frame_open)
				stop(d, true, "zstd data ends early");
			d->ended = true;
		}
	}
	return o.pos;
}

/* ---- the cookie FILE ------------------------------------------------------ */

static size_t decode(struct kf_decompress *d, uint8_t *out, size_t size)
{
	if (size > DZ_MAX_CALL)
		size = DZ_MAX_CALL;
	return d->codec == KF_CODEC_GZIP ? gz_decode(d, out, size) : zstd_decode(d, out, size);
}

static ssize_t dz_read(void *cookie, char *buf, size_t size)
{
	struct kf_decompress *d = cookie;
	size_t n = 0;
	while (n < size && d->replay_pos < d->replay_len)
		buf[n++] = (char)d->replay[d->replay_pos++];
	if (n == size)
		return (ssize_t)n;
	if (d->codec == KF_CODEC_NONE) {
		size_t got = fread(buf + n, 1, size - n, d->f);
		if (got == 0 && n == 0 && ferror(d->f))
			return -1; /* errno from the read: libpcap reports it as before */
		return (ssize_t)(n + got);
	}
	/* a decoding stop reads as the end of the file: the capture is cut
	 * there (capture.c asks kf_decompress_error why) */
	return (ssize_t)(n + decode(d, (uint8_t *)buf + n, size - n));
}

static void dz_free(struct kf_decompress *d)
{
	if (d->z_ready)
		inflateEnd(&d->z);
	ZSTD_freeDCtx(d->zd); /* accepts NULL */
	kf_free(d->in);
	kf_free(d->out);
	kf_free(d);
}

/* stdio does not touch its buffer (d->out, a user buffer) after this. */
static int dz_close(void *cookie)
{
	struct kf_decompress *d = cookie;
	int rc = d->f == stdin ? 0 : fclose(d->f);
	dz_free(d);
	return rc;
}

static enum kf_codec sniff(const uint8_t *m, size_t n)
{
	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b) /* RFC 1952 §2.3.1 ID1 ID2 */
		return KF_CODEC_GZIP;
	if (n >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd) /* RFC 8878 §3.1.1 */
		return KF_CODEC_ZSTD;
	if (n >= 4 && (m[0] & 0xf0) == 0x50 && m[1] == 0x2a && m[2] == 0x4d && m[3] == 0x18)
		return KF_CODEC_ZSTD; /* skippable frame first (§3.1.2) */
	return KF_CODEC_NONE;
}

static FILE *fail(struct kf_decompress *d, int e, char *err, size_t errlen, const char *msg)
{
	snprintf(err, errlen, "%s", msg);
	if (d)
		dz_free(d);
	errno = e;
	return NULL;
}

FILE *kf_decompress_open(FILE *f, struct kf_decompress_info *info, char *err, size_t errlen)
{
	memset(info, 0, sizeof *info);
	uint8_t magic[4];
	off_t start = ftello(f); /* -1 on a pipe */
	size_t n = fread(magic, 1, sizeof magic, f);
	if (n < sizeof magic && ferror(f)) {
		int e = errno ? errno : EIO;
		return fail(NULL, e, err, errlen, strerror(e));
	}
	enum kf_codec codec = sniff(magic, n);
	if (codec == KF_CODEC_NONE && start >= 0 && fseeko(f, start, SEEK_SET) == 0) {
		memcpy(info->head, magic, n);
		info->head_len = n;
		return f; /* plain and rewound: read it directly */
	}

	struct kf_decompress *d = kf_calloc(1, sizeof *d);
	if (!d)
		return fail(NULL, ENOMEM, err, errlen, "out of memory");
	d->f = f;
	d->codec = codec;
	d->out = kf_malloc(DZ_OUT_SIZE);
	if (!d->out)
		return fail(d, ENOMEM, err, errlen, "out of memory");
	if (codec == KF_CODEC_NONE) {
		/* a plain pipe: the sniffed bytes cannot be pushed back (ungetc
		 * promises one), so they are replayed */
		memcpy(d->replay, magic, n);
		d->replay_len = n;
	} else {
		d->in = kf_malloc(DZ_IN_SIZE);
		if (!d->in)
			return fail(d, ENOMEM, err, errlen, "out of memory");
		memcpy(d->in, magic, n);
		d->in_len = n;
		if (codec == KF_CODEC_GZIP) {
			d->z.zalloc = z_alloc;
			d->z.zfree = z_free;
			int rc = inflateInit2(&d->z, 15 + 32); /* 32: gzip or zlib header */
			if (rc != Z_OK)
				return fail(d, rc == Z_MEM_ERROR ? ENOMEM : EINVAL, err, errlen,
					    rc == Z_MEM_ERROR ? "out of memory"
							      : "cannot start the gzip decoder");
			d->z_ready = true;
		} else {
			ZSTD_customMem mem = { zstd_alloc, zstd_free, NULL };
			d->zd = ZSTD_createDCtx_advanced(mem);
			if (!d->zd)
				return fail(d, ENOMEM, err, errlen, "out of memory");
			if (ZSTD_isError(ZSTD_DCtx_setParameter(d->zd, ZSTD_d_windowLogMax,
								KF_LIMIT_ZSTD_WINDOW_LOG)))
				return fail(d, EINVAL, err, errlen, "cannot set up the zstd decoder");
		}
		/* Decode the first bytes now: the caller sniffs the capture
		 * format from them, and the decoder allocates its window on its
		 * first output, so running out of memory there is reported as
		 * such rather than as a cut capture. */
		d->replay_len = decode(d, d->replay, sizeof d->replay);
		if (d->nomem) /* zlib allocates its window after its first output */
			return fail(d, ENOMEM, err, errlen, "out of memory");
		if (d->replay_len == 0 && d->err[0]) {
			char why[sizeof d->err];
			memcpy(why, d->err, sizeof why);
			return fail(d, EINVAL, err, errlen, why);
		}
	}
	cookie_io_functions_t io = { .read = dz_read, .write = NULL, .seek = NULL, .close = dz_close };
	FILE *g = fopencookie(d, "rb", io);
	if (!g)
		return fail(d, ENOMEM, err, errlen, "out of memory");
	/* before any read, as setvbuf requires; freed by dz_close */
	setvbuf(g, d->out, _IOFBF, DZ_OUT_SIZE);
	info->codec = codec;
	memcpy(info->head, d->replay, d->replay_len);
	info->head_len = d->replay_len;
	info->dz = d;
	return g;
}
