/* text.h - untrusted strings made printable: UTF-16LE or Latin-1 in,
 * NUL-terminated UTF-8 out.  Shared by the decoders whose wire strings are
 * not ASCII (NTLMSSP, the Windows PAC), so every one of them replaces the
 * same things the same way: C0/C1 controls, DEL, lone surrogates and an odd
 * trailing byte each become '?'. */
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

#endif
