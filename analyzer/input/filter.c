/* filter.c - a BPF expression applied to each packet after reading
 * (compiled lazily per link type: one capture can mix them). */
#include "filter.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#include "base/arena.h"
#include "base/limits.h"

struct kf_filter_dlt {
	int dlt;
	bool ok;
	struct bpf_program prog;
};

struct kf_filter {
	const char *expr;
	struct kf_filter_dlt filters[KF_LIMIT_LINKTYPES];
	unsigned n_filters;
};

struct kf_filter *kf_filter_new(const char *expr)
{
	struct kf_filter *f = kf_calloc(1, sizeof(*f));
	if (f)
		f->expr = expr;
	return f;
}

void kf_filter_free(struct kf_filter *f)
{
	if (!f)
		return;
	for (unsigned i = 0; i < f->n_filters; i++)
		if (f->filters[i].ok)
			pcap_freecode(&f->filters[i].prog);
	kf_free(f);
}

bool kf_filter_check(const char *expr, char *err, size_t errlen)
{
	pcap_t *p = pcap_open_dead(DLT_EN10MB, KF_LIMIT_SNAPLEN);
	if (!p) {
		snprintf(err, errlen, "cannot set up the BPF compiler");
		return false;
	}
	struct bpf_program prog;
	bool ok = pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) == 0;
	if (ok)
		pcap_freecode(&prog);
	else
		snprintf(err, errlen, "%s", pcap_geterr(p));
	pcap_close(p);
	return ok;
}

/* True when the packet passes the filter (compiled lazily per link type). */
bool kf_filter_pass(struct kf_filter *r, const struct kf_pkt *p)
{
	struct kf_filter_dlt *fl = NULL;
	for (unsigned i = 0; i < r->n_filters; i++)
		if (r->filters[i].dlt == p->dlt)
			fl = &r->filters[i];
	if (!fl) {
		if (r->n_filters == KF_LIMIT_LINKTYPES)
			return false;
		fl = &r->filters[r->n_filters++];
		fl->dlt = p->dlt;
		pcap_t *dead = pcap_open_dead(p->dlt, KF_LIMIT_SNAPLEN);
		fl->ok = dead && pcap_compile(dead, &fl->prog, r->expr, 1, PCAP_NETMASK_UNKNOWN) == 0;
		if (dead)
			pcap_close(dead);
	}
	if (!fl->ok)
		return false; /* expression meaningless for this link type */
	struct pcap_pkthdr h;
	h.ts.tv_sec = (time_t)(p->ts_us / 1000000u);
	h.ts.tv_usec = (suseconds_t)(p->ts_us % 1000000u);
	h.caplen = p->caplen;
	h.len = p->wirelen;
	return pcap_offline_filter(&fl->prog, &h, p->data) != 0;
}
