/* capture.c - offline capture reading through libpcap, falling back to the
 * built-in pcapng reader for files libpcap refuses mid-way; gzip (RFC 1952)
 * and zstd (RFC 8878) compressed files are decoded on the fly (decompress.c). */
#include "capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/arena.h"
#include "decompress.h"
#include "pcapng.h"

#define KF_CAPTURE_READ_BUFFER (1u << 20) /* stdio buffer of the capture file */

struct kf_capture {
	char *path;   /* NULL for stdin */
	bool regular; /* path is a regular file: it can be read again */
	char *iobuf;  /* the file's stdio buffer: freed after it is closed */
	pcap_t *pcap;
	struct kf_pcapng *ng;     /* fallback reader, when in use */
	struct kf_decompress *dz; /* decoder of the stream being read, NULL if plain */
	enum kf_codec codec;
	bool is_pcapng;
	int first_dlt;
	uint64_t frame; /* records delivered so far */
	char err[PCAP_ERRBUF_SIZE + 64];
	bool truncated;
	bool done;
};

static bool refused_mixed_interfaces(const char *msg)
{
	return strstr(msg, "different from the type of the first interface") ||
	       strstr(msg, "different from the snapshot length of the first interface");
}

static void set_err(char *err, size_t len, const char *msg) { snprintf(err, len, "%s", msg); }

static bool is_shb_magic(const uint8_t *m, size_t n)
{
	return n >= 4 && m[0] == 0x0a && m[1] == 0x0d && m[2] == 0x0d && m[3] == 0x0a;
}

/* Close a capture stream; stdin stays open (libpcap leaves it open too). */
static void close_stream(FILE *f)
{
	if (f && f != stdin)
		fclose(f);
}

/* Open c->path again from its start, decoded like the first time, for the
 * pcapng reader. */
static FILE *reopen(struct kf_capture *c)
{
	if (!c->regular) /* a FIFO would wait for a writer that is gone */
		return NULL;
	FILE *raw = fopen(c->path, "rb");
	if (!raw)
		return NULL;
	struct kf_decompress_info info;
	char e[128];
	FILE *g = kf_decompress_open(raw, &info, e, sizeof e);
	if (!g) {
		fclose(raw);
		return NULL;
	}
	c->dz = info.dz;
	return g;
}

/* When the decoder stopped early, the capture ends there: report why (after
 * libpcap's or the pcapng reader's message msg, if any), as a truncated
 * capture when the compressed data was cut or corrupt.  False otherwise. */
static bool decoder_stopped(struct kf_capture *c, const char *msg)
{
	const char *why = kf_decompress_error(c->dz);
	if (!why)
		return false;
	if (msg && *msg)
		snprintf(c->err, sizeof c->err, "%s (%s)", msg, why);
	else
		snprintf(c->err, sizeof c->err, "%s", why);
	c->truncated = kf_decompress_truncated(c->dz);
	return true;
}

struct kf_capture *kf_capture_open(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	bool is_stdin = strcmp(path, "-") == 0;
	errno = 0; /* ENOMEM on return tells the caller it was memory, not the file */
	FILE *f;
	bool regular = false;

	if (is_stdin) {
		f = stdin;
	} else {
		struct stat st;
		if (stat(path, &st) != 0) {
			set_err(err, errlen, strerror(errno));
			return NULL;
		}
		if (S_ISDIR(st.st_mode)) {
			set_err(err, errlen, "is a directory");
			return NULL;
		}
		regular = S_ISREG(st.st_mode);
		if (regular && st.st_size == 0) {
			set_err(err, errlen, "empty file, not a capture");
			return NULL;
		}
		f = fopen(path, "rb");
		if (!f) {
			set_err(err, errlen, strerror(errno));
			return NULL;
		}
	}
	struct kf_capture *c = kf_calloc(1, sizeof(*c));
	if (!c) {
		errno = ENOMEM;
		set_err(err, errlen, "out of memory");
		if (!is_stdin)
			fclose(f);
		return NULL;
	}
	if (!is_stdin) {
		size_t n = strlen(path);
		c->path = kf_malloc(n + 1);
		if (!c->path) {
			kf_free(c);
			fclose(f);
			errno = ENOMEM;
			set_err(err, errlen, "out of memory");
			return NULL;
		}
		memcpy(c->path, path, n + 1);
		c->regular = regular;
		/* libpcap reads a record at a time through stdio: a 1 MiB buffer
		 * instead of the default 4 KiB makes 256 times fewer read(2)
		 * calls (without it, stdio's own buffer does) */
		c->iobuf = kf_malloc(KF_CAPTURE_READ_BUFFER);
		if (c->iobuf) /* before the first read, as setvbuf requires */
			setvbuf(f, c->iobuf, _IOFBF, KF_CAPTURE_READ_BUFFER);
	}
	/* Sniff compression; what comes back reads the capture itself from
	 * its start (a pipe's first bytes replayed, since ungetc promises one)
	 * and owns f.  Its first 4 bytes tell pcapng from pcap. */
	struct kf_decompress_info info;
	FILE *df = kf_decompress_open(f, &info, err, errlen);
	if (!df) {
		int e = errno;
		close_stream(f);
		kf_free(c->iobuf);
		kf_free(c->path);
		kf_free(c);
		errno = e;
		return NULL;
	}
	f = df;
	c->dz = info.dz;
	c->codec = info.codec;
	c->is_pcapng = is_shb_magic(info.head, info.head_len);
	if (c->codec != KF_CODEC_NONE && info.head_len == 0 && !kf_decompress_error(c->dz)) {
		/* compressed nothing: the same answer as an empty plain file */
		set_err(err, errlen, "empty file, not a capture");
		close_stream(f);
		kf_free(c->iobuf);
		kf_free(c->path);
		kf_free(c);
		return NULL;
	}

	/* libpcap owns f from here (pcap_close closes it). */
	c->pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!c->pcap) {
		/* the compressed data broke before a capture header: say so */
		const char *dzerr = kf_decompress_error(c->dz);
		bool dz_broke = dzerr != NULL, dz_nomem = false;
		if (dz_broke) {
			dz_nomem = strncmp(dzerr, "out of memory", 13) == 0;
			set_err(err, errlen, dz_nomem ? "out of memory" : dzerr);
		}
		close_stream(f); /* frees c->dz */
		c->dz = NULL;
		if (dz_broke)
			errno = dz_nomem ? ENOMEM : 0;
		else if (strstr(ebuf, "unknown file format") || strstr(ebuf, "bad dump file format"))
			set_err(err, errlen,
				c->codec == KF_CODEC_NONE
					? "not a pcap or pcapng capture (unknown file format)"
				: c->codec == KF_CODEC_GZIP
					? "not a pcap or pcapng capture (unknown file format inside the gzip data)"
					: "not a pcap or pcapng capture (unknown file format inside the zstd data)");
		else if (strstr(ebuf, "truncated dump file") && strstr(ebuf, "file header"))
			set_err(err, errlen, "not a capture: the file is shorter than a capture header");
		else if (!is_stdin && c->is_pcapng && refused_mixed_interfaces(ebuf)) {
			/* refused at the first packet's interface block: use our reader */
			FILE *g = reopen(c);
			c->ng = g ? kf_pcapng_open(g) : NULL;
			if (c->ng) {
				c->first_dlt = -1;
				return c;
			}
			c->dz = NULL;
			set_err(err, errlen, "cannot reopen for the pcapng reader");
		} else
			set_err(err, errlen, ebuf);
		kf_free(c->iobuf);
		kf_free(c->path);
		kf_free(c);
		return NULL;
	}
	c->first_dlt = pcap_datalink(c->pcap);
	return c;
}

/* Switch to the pcapng reader and skip the records already delivered. */
static int switch_to_pcapng(struct kf_capture *c)
{
	FILE *g = reopen(c); /* c->dz is now g's: libpcap's stream is done */
	if (!g)
		return -1;
	c->ng = kf_pcapng_open(g);
	if (!c->ng) {
		c->dz = NULL;
		return -1;
	}
	struct kf_pkt skip;
	for (uint64_t i = 0; i < c->frame; i++)
		if (kf_pcapng_next(c->ng, &skip) != KF_CAP_PACKET)
			return -1;
	return 0;
}

int kf_capture_next(struct kf_capture *c, struct kf_pkt *pkt)
{
	if (c->done)
		return KF_CAP_EOF;
	if (!c->ng) {
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc = pcap_next_ex(c->pcap, &h, &data);
		if (rc == 1) {
			pkt->frame = ++c->frame;
			pkt->ts_us = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
			pkt->dlt = c->first_dlt;
			pkt->caplen = h->caplen;
			pkt->wirelen = h->len;
			pkt->data = data;
			return KF_CAP_PACKET;
		}
		if (rc == PCAP_ERROR_BREAK) {
			c->done = true;
			return decoder_stopped(c, NULL) ? KF_CAP_ERROR : KF_CAP_EOF;
		}
		const char *msg = pcap_geterr(c->pcap);
		if (c->path && c->is_pcapng && refused_mixed_interfaces(msg)) {
			if (switch_to_pcapng(c) == 0)
				return kf_capture_next(c, pkt);
			snprintf(c->err, sizeof c->err,
				 "pcapng interfaces differ and the file could not be re-read");
		} else if (!decoder_stopped(c, msg)) {
			snprintf(c->err, sizeof c->err, "%s", msg);
			c->truncated = strstr(msg, "truncated") != NULL;
		}
		c->done = true;
		return KF_CAP_ERROR;
	}
	int rc = kf_pcapng_next(c->ng, pkt);
	if (rc == KF_CAP_PACKET) {
		pkt->frame = ++c->frame;
		if (c->first_dlt < 0)
			c->first_dlt = pkt->dlt;
		return rc;
	}
	if (rc == KF_CAP_ERROR && !decoder_stopped(c, kf_pcapng_error(c->ng))) {
		snprintf(c->err, sizeof c->err, "%s", kf_pcapng_error(c->ng));
		c->truncated = kf_pcapng_truncated(c->ng);
	}
	if (rc == KF_CAP_EOF && decoder_stopped(c, NULL))
		rc = KF_CAP_ERROR;
	c->done = true;
	return rc;
}

const char *kf_capture_error(const struct kf_capture *c) { return c->err; }
bool kf_capture_truncated(const struct kf_capture *c) { return c->truncated; }
bool kf_capture_nomem(const struct kf_capture *c) { return kf_decompress_nomem(c->dz); }
const char *kf_capture_format(const struct kf_capture *c) { return c->is_pcapng ? "pcapng" : "pcap"; }
int kf_capture_first_dlt(const struct kf_capture *c) { return c->first_dlt; }

const char *kf_capture_dlt_name(int dlt, char *buf, size_t len)
{
	const char *n = dlt >= 0 ? pcap_datalink_val_to_name(dlt) : NULL;
	if (n)
		return n;
	snprintf(buf, len, "DLT-%d", dlt);
	return buf;
}

void kf_capture_close(struct kf_capture *c)
{
	if (!c)
		return;
	if (c->pcap)
		pcap_close(c->pcap);
	kf_pcapng_close(c->ng);
	kf_free(c->iobuf);
	kf_free(c->path);
	kf_free(c);
}
