/* capture.c - offline capture reading through libpcap, falling back to the
 * built-in pcapng reader for files libpcap refuses mid-way. */
#include "capture.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/arena.h"
#include "pcapng.h"

#define KF_CAPTURE_READ_BUFFER (1u << 20) /* stdio buffer of the capture file */

struct kf_capture {
	char *path;           /* NULL for stdin */
	char *iobuf;          /* the file's stdio buffer: freed after it is closed */
	pcap_t *pcap;
	struct kf_pcapng *ng; /* fallback reader, when in use */
	bool is_pcapng;
	int first_dlt;
	uint64_t frame;       /* records delivered so far */
	char err[PCAP_ERRBUF_SIZE + 64];
	bool truncated;
	bool done;
};

static bool refused_mixed_interfaces(const char *msg)
{
	return strstr(msg, "different from the type of the first interface") ||
	       strstr(msg, "different from the snapshot length of the first interface");
}

static void set_err(char *err, size_t len, const char *msg)
{
	snprintf(err, len, "%s", msg);
}

struct kf_capture *kf_capture_open(const char *path, char *err, size_t errlen)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	bool is_stdin = strcmp(path, "-") == 0;
	errno = 0; /* ENOMEM on return tells the caller it was memory, not the file */
	FILE *f;
	uint8_t magic[4] = { 0 };

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
		if (S_ISREG(st.st_mode) && st.st_size == 0) {
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
	if (is_stdin) {
		/* a pipe cannot rewind, but one byte can be pushed back: pcapng
		 * starts with 0x0a, which no pcap magic does */
		int ch = getc(f);
		if (ch != EOF) {
			ungetc(ch, f);
			c->is_pcapng = ch == 0x0a;
		}
	} else {
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
		/* libpcap reads a record at a time through stdio: a 1 MiB buffer
		 * instead of the default 4 KiB makes 256 times fewer read(2)
		 * calls (without it, stdio's own buffer does) */
		c->iobuf = kf_malloc(KF_CAPTURE_READ_BUFFER);
		if (c->iobuf)
			setvbuf(f, c->iobuf, _IOFBF, KF_CAPTURE_READ_BUFFER);
		if (fread(magic, 1, 4, f) == 4)
			c->is_pcapng = magic[0] == 0x0a && magic[1] == 0x0d && magic[2] == 0x0d && magic[3] == 0x0a;
		rewind(f);
	}

	/* libpcap owns f from here (pcap_close closes it). */
	c->pcap = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, ebuf);
	if (!c->pcap) {
		if (!is_stdin)
			fclose(f);
		if (strstr(ebuf, "unknown file format") || strstr(ebuf, "bad dump file format"))
			set_err(err, errlen, "not a pcap or pcapng capture (unknown file format)");
		else if (strstr(ebuf, "truncated dump file") && strstr(ebuf, "file header"))
			set_err(err, errlen, "not a capture: the file is shorter than a capture header");
		else if (!is_stdin && c->is_pcapng && refused_mixed_interfaces(ebuf)) {
			/* refused at the first packet's interface block: use our reader */
			FILE *g = fopen(path, "rb");
			c->ng = g ? kf_pcapng_open(g) : NULL;
			if (c->ng) {
				c->first_dlt = -1;
				return c;
			}
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
	FILE *g = fopen(c->path, "rb");
	if (!g)
		return -1;
	c->ng = kf_pcapng_open(g);
	if (!c->ng)
		return -1;
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
			return KF_CAP_EOF;
		}
		const char *msg = pcap_geterr(c->pcap);
		if (c->path && c->is_pcapng && refused_mixed_interfaces(msg)) {
			if (switch_to_pcapng(c) == 0)
				return kf_capture_next(c, pkt);
			snprintf(c->err, sizeof c->err, "pcapng interfaces differ and the file could not be re-read");
		} else {
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
	if (rc == KF_CAP_ERROR) {
		snprintf(c->err, sizeof c->err, "%s", kf_pcapng_error(c->ng));
		c->truncated = kf_pcapng_truncated(c->ng);
	}
	c->done = true;
	return rc;
}

const char *kf_capture_error(const struct kf_capture *c) { return c->err; }
bool kf_capture_truncated(const struct kf_capture *c) { return c->truncated; }
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
