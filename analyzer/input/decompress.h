/* decompress.h - transparent reading of gzip (RFC 1952) and zstd (RFC 8878)
 * compressed captures, streamed: no temporary file, fixed-size buffers.
 *
 * kf_decompress_open() sniffs the first bytes of an open FILE and returns a
 * FILE that reads the decoded bytes from the start: a glibc fopencookie()
 * stream when the data is compressed (or when it is plain but cannot be
 * rewound, a pipe: the sniffed bytes are then replayed), or the FILE itself
 * when it is plain and seekable.  Internal to capture.c.
 */
#ifndef KF_DECOMPRESS_H
#define KF_DECOMPRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum kf_codec {
	KF_CODEC_NONE,
	KF_CODEC_GZIP,
	KF_CODEC_ZSTD,
};

struct kf_decompress; /* the state behind a wrapping FILE */

struct kf_decompress_info {
	enum kf_codec codec;
	uint8_t head[4];          /* the first decoded bytes, still to be read */
	size_t head_len;          /* < 4 only when the decoded stream is that short */
	struct kf_decompress *dz; /* NULL when the FILE returned is f itself */
};

/* f: a FILE not read yet (a stdio buffer may already be set on it).  Returns
 * the FILE to read, with *info filled.  A wrapping FILE owns f: closing it
 * closes f, except stdin, which stays open like libpcap leaves it (the
 * process owns its standard input).
 * NULL on failure with a one-line reason in err and errno set (ENOMEM for
 * "out of memory"); f is then left open for the caller to close. */
FILE *kf_decompress_open(FILE *f, struct kf_decompress_info *info, char *err, size_t errlen);

/* Why the decoder stopped before the end of its compressed data ("gzip: ...",
 * "zstd: ..."), or NULL while it has not.  Valid until its FILE is closed;
 * dz may be NULL. */
const char *kf_decompress_error(const struct kf_decompress *dz);
/* True when that stop was the data ending early or being corrupt (the
 * capture is cut there), false for an allocation or read failure. */
bool kf_decompress_truncated(const struct kf_decompress *dz);
/* True when it stopped because an allocation failed (a later zstd frame
 * asking for a larger window): out of memory, not a damaged capture. */
bool kf_decompress_nomem(const struct kf_decompress *dz);

const char *kf_codec_name(enum kf_codec codec); /* "gzip", "zstd", "none" */

#endif
