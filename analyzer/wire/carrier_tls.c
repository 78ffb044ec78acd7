/* carrier_tls.c - TLS on any TCP port: the ClientHello names the server
 * (RFC 6066 SNI), so a story can say which site a ticket was for; the rest
 * of the connection is encrypted and not followed. */
#include <string.h>

#include "carriers.h"
#include "tls.h"

static enum kf_probe tls_probe(struct kf_span first, int dir)
{
	return dir != 1 && kf_tls_probe(first) ? KF_PROBE_CLIENT : KF_PROBE_NO;
}

static void tls_stream(struct kf_run *r, struct kf_conn *c, int dir, struct kf_span data, uint32_t gap_len)
{
	c->done = true; /* one look at the hello is all */
	if (dir != 0 || gap_len)
		return;
	char sni[KF_LIMIT_DNS_NAME];
	bool has = kf_tls_client_hello_sni(data, sni, sizeof sni, &r->ev);
	if (r->n_tls == r->cap_tls) {
		size_t cap = r->cap_tls ? r->cap_tls * 2 : 16;
		struct kf_tls_hello *nt = kf_realloc(r->tls, cap * sizeof(*nt));
		if (!nt) {
			kf_run_nomem(r);
			return;
		}
		r->tls = nt;
		r->cap_tls = cap;
	}
	struct kf_tls_hello *t = &r->tls[r->n_tls++];
	t->frame = r->frame;
	t->ts_us = r->ts_us;
	kf_conn_ends(c, 0, &t->src, &t->dst);
	t->connection = c->flow->id;
	t->tcp_stream = c->tcp_stream;
	t->sni = has && *sni ? kf_arena_strndup(&r->res->arena, sni, strlen(sni)) : NULL;
}

const struct kf_carrier_ops kf_carrier_tls = {
	.name = "tls",
	.probe = tls_probe,
	.stream = tls_stream,
};
