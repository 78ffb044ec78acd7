/* report.h - renderers of a finished kf_result (read-only: reports compute
 * nothing from packets).  Text for people, JSON (OUTPUT.md) for machines. */
#ifndef KF_REPORT_H
#define KF_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "result.h"

/* JSON document of one capture.  compact: one line (JSON Lines); otherwise
 * indented.  Top-level keys in OUTPUT.md's order (with --keytab, "decryption"
 * after "capture"), keys inside objects sorted.
 * Returns 0, or -1 when memory ran out (nothing useful written). */
int kf_report_json(const struct kf_result *r, FILE *out, bool compact);

/* Human report of one capture: each story drawn from its ladder (ladder.h).
 * Returns 0, or -1 on a write error or when memory ran out (errno ENOMEM). */
int kf_report_text(const struct kf_result *r, FILE *out);

/* "10.0.0.1:88", "[fd00::1]:88" */
void kf_fmt_endpoint(const struct kf_endpoint *e, char *buf, size_t len);
/* "10.0.0.1", "fd00::1" */
void kf_fmt_addr(const struct kf_endpoint *e, char *buf, size_t len);
/* "2026-11-22T04:10:00.123456Z" from microseconds since the epoch */
void kf_fmt_time_us(uint64_t us, char *buf, size_t len);
/* "2037-09-13T02:48:05Z" from seconds (Kerberos times); out-of-range as a number */
void kf_fmt_time_s(int64_t s, char *buf, size_t len);
/* KDC option / AP option / PAC option names of a wire-order flag word,
 * joined with sep into buf ("forwardable,renewable"); unknown bits "bit-N". */
void kf_fmt_flags(uint32_t flags, const char *(*name)(unsigned bit), const char *sep, char *buf, size_t len);
/* Name of one flag bit, or "bit-N" written into tmp. */
const char *kf_fmt_flag_name(unsigned bit, const char *(*name)(unsigned bit), char *tmp, size_t len);
/* Name of an etype, error, pa-data type, or "etype-N"/"error-N"/"PA-N". */
const char *kf_fmt_etype(int32_t e, char *buf, size_t len);
const char *kf_fmt_error(int32_t code, char *buf, size_t len);
const char *kf_fmt_padata(int32_t t, char *buf, size_t len);
const char *kf_fmt_type(int type, char *buf, size_t len);
const char *kf_tevent_kind_name(int kind);
const char *kf_fmt_carrier(int carrier);                        /* "kerberos" | "http" | "dns" */
const char *kf_fmt_dns_type(uint16_t t, char *buf, size_t len); /* "A", "CNAME", "AAAA", "TYPEn" */
/* --keytab: name of a GSS checksum flag (RFC 4121 §4.1.1.1), counting bits
 * from the least significant (0 = "deleg"); NULL for an unknown bit. */
const char *kf_fmt_gss_flag_name(unsigned bit);

#endif
