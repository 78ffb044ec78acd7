/* text.h - untrusted strings made printable: UTF-16LE, Latin-1 or UTF-8 in,
 * NUL-terminated UTF-8 out.  Shared by the decoders whose wire strings are
 * not ASCII (NTLMSSP, the Windows PAC, kpasswd results), so every one of them
 * replaces the same things the same way: C0/C1 controls, DEL, lone
 * surrogates, an odd trailing byte and bytes that are not well-formed UTF-8
 * each become '?'. */
#ifndef KF_TEXT_H
#define KF_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "span.h"

/* Convert s into buf (cap bytes, NUL included) and return the length
 * written.  A character that does not fit whole is left out, and so is
 * everything after it; *cut (when not NULL) says whether that happened.
 * cap 0 writes nothing and returns 0. */
size_t kf_text_utf16le(struct kf_span s, char *buf, size_t cap, bool *cut);
size_t kf_text_latin1(struct kf_span s, char *buf, size_t cap, bool *cut);
/* UTF-8 in: each byte that does not start a well-formed sequence (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF) becomes one '?'
 * and the next byte is looked at afresh. */
size_t kf_text_utf8(struct kf_span s, char *buf, size_t cap, bool *cut);

#endif
