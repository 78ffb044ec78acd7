/* tls.h - the server name a TLS client asks for (RFC 8446 §4.1.2 ClientHello,
 * RFC 6066 §3 server_name), from the first bytes of a TLS connection. */
#ifndef KF_TLS_H
#define KF_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/events.h"
#include "base/span.h"

/* Cheap recognition of a TLS handshake record (0x16 0x03 0x0?) starting s. */
bool kf_tls_probe(struct kf_span s);

/* The SNI host name of the ClientHello at the start of s (one TLS record;
 * a ClientHello spread over several records is read from the first only).
 * Returns true and a NUL-terminated printable name in sni (bytes outside
 * 0x21..0x7e as \DDD; give cap >= KF_LIMIT_DNS_NAME); false when s is not a
 * ClientHello, has no server_name, or ends before it (event TLS_MALFORMED
 * only when lengths contradict each other or the name does not fit cap). */
bool kf_tls_client_hello_sni(struct kf_span s, char *sni, size_t cap, struct kf_events *ev);

#endif
