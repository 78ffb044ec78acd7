/* text.c - the human report: one line per Kerberos message in time order,
 * saying who asked what of whom and how it ended, then what went missing on
 * the way (unanswered requests, resets, ICMP) and the capture's warnings. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "krb5.h"
#include "report.h"

/* A line buffer: appends never overflow, a long line is cut. */
struct line {
	char b[2048];
	size_t n;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (l->n < sizeof l->b) {
		int w = vsnprintf(l->b + l->n, sizeof l->b - l->n, fmt, ap);
		if (w > 0)
			l->n += (size_t)w < sizeof l->b - l->n ? (size_t)w : sizeof l->b - l->n - 1;
	}
	va_end(ap);
}

static void principal(struct line *l, const char *name, const char *realm)
{
	if (name && realm)
		add(l, "%s@%s", name, realm);
	else if (name)
		add(l, "%s", name);
	else if (realm)
		add(l, "@%s", realm);
	else
		add(l, "?");
}

static void etype_list(struct line *l, const int32_t *e, unsigned n)
{
	char b[24];
	for (unsigned i = 0; i < n; i++)
		add(l, "%s%s", i ? "," : "", kf_fmt_etype(e[i], b, sizeof b));
}

static void ticket(struct line *l, const char *label, const struct kf_ticket_rec *t)
{
	char b[24];
	add(l, "  %s %s@%s (%s", label, t->sname, t->realm, kf_fmt_etype(t->etype, b, sizeof b));
	if (t->has_kvno)
		add(l, ", kvno %u", t->kvno);
	add(l, ")");
}

static void describe(struct line *l, const struct kf_message *m)
{
	const struct kf_krb_rec *k = &m->krb;
	char b[512];
	switch (m->type) {
	case KF_KRB_AS_REQ:
	case KF_KRB_TGS_REQ:
		if (m->type == KF_KRB_AS_REQ) {
			principal(l, k->cname, k->crealm ? k->crealm : k->realm);
			add(l, " asks for ");
		} else {
			add(l, "asks for ");
		}
		principal(l, k->sname, k->realm);
		if (k->s4u_user)
			add(l, "  on behalf of %s (S4U2Self)", k->s4u_user);
		if (k->n_addl && k->has_kdc_options && (k->kdc_options & (0x80000000u >> 14)))
			add(l, "  S4U2Proxy");
		if (k->has_kdc_options && k->kdc_options) {
			kf_fmt_flags(k->kdc_options, kf_krb5_kdc_option_name, ",", b, sizeof b);
			add(l, "  options %s", b);
		}
		if (k->n_etypes) {
			add(l, "  etypes ");
			etype_list(l, k->etypes, k->n_etypes);
		}
		if (k->n_padata) {
			add(l, "  pa ");
			for (unsigned i = 0; i < k->n_padata; i++)
				add(l, "%s%s", i ? "," : "", kf_fmt_padata(k->padata[i], b, sizeof b));
		}
		if (k->ticket)
			ticket(l, "with ticket", k->ticket);
		for (unsigned i = 0; i < k->n_addl; i++)
			ticket(l, "additional ticket", &k->addl[i]);
		break;
	case KF_KRB_AS_REP:
	case KF_KRB_TGS_REP:
		add(l, "issues ");
		if (k->ticket)
			add(l, "%s@%s", k->ticket->sname, k->ticket->realm);
		else
			add(l, "a ticket");
		add(l, " to ");
		principal(l, k->cname, k->crealm);
		if (k->ticket) {
			add(l, "  (ticket %s", kf_fmt_etype(k->ticket->etype, b, sizeof b));
			if (k->ticket->has_kvno)
				add(l, ", kvno %u", k->ticket->kvno);
			add(l, ")");
		}
		if (k->has_enc_etype)
			add(l, "  reply key %s", kf_fmt_etype(k->enc_etype, b, sizeof b));
		break;
	case KF_KRB_ERROR:
		add(l, "%s (%d)", kf_fmt_error(k->error_code, b, sizeof b), k->error_code);
		if (k->cname || k->sname) {
			add(l, " for ");
			if (k->cname) {
				principal(l, k->cname, k->crealm);
				if (k->sname)
					add(l, " → ");
			}
			if (k->sname)
				principal(l, k->sname, k->realm);
		}
		if (k->e_text)
			add(l, "  \"%s\"", k->e_text);
		if (k->has_ntstatus) {
			const char *nn = kf_krb5_ntstatus_name(k->ntstatus);
			add(l, "  NTSTATUS 0x%08X%s%s", k->ntstatus, nn ? " " : "", nn ? nn : "");
		}
		if (k->n_etype_info) {
			add(l, "  etype-info2 ");
			for (unsigned i = 0; i < k->n_etype_info; i++) {
				add(l, "%s%s", i ? "," : "", kf_fmt_etype(k->etype_info[i].etype, b, sizeof b));
				if (k->etype_info[i].salt)
					add(l, " salt \"%s\"", k->etype_info[i].salt);
			}
		}
		break;
	case KF_KRB_AP_REQ:
		if (k->ticket)
			ticket(l, "presents", k->ticket);
		if (k->has_ap_options && k->ap_options) {
			kf_fmt_flags(k->ap_options, kf_krb5_ap_option_name, ",", b, sizeof b);
			add(l, "  options %s", b);
		}
		break;
	case KF_KRB_CRED:
		if (k->ticket)
			ticket(l, "carries", k->ticket);
		break;
	default:
		break;
	}
	if (!k->complete)
		add(l, "  [partly decoded]");
}

static void when(char *buf, size_t len, uint64_t us, bool with_date)
{
	char full[40];
	kf_fmt_time_us(us, full, sizeof full);
	/* full is YYYY-MM-DDTHH:MM:SS.ffffffZ */
	if (with_date || strlen(full) < 27)
		snprintf(buf, len, "%s", full);
	else
		snprintf(buf, len, "%.15s", full + 11);
}

int kf_report_text(const struct kf_result *r, FILE *out)
{
	char first[40], last[40];
	kf_fmt_time_us(r->first_ts_us, first, sizeof first);
	kf_fmt_time_us(r->last_ts_us, last, sizeof last);
	bool one_day = r->have_ts && strncmp(first, last, 10) == 0;

	fprintf(out, "%s: %s, %s, %llu packets", r->file, r->format ? r->format : "pcap",
		r->linktype ? r->linktype : "?", (unsigned long long)r->packets);
	if (r->have_ts)
		fprintf(out, ", %s to %s", first, last);
	fputc('\n', out);
	if (r->filtered_out)
		fprintf(out, "  %llu packets left out by the filter\n", (unsigned long long)r->filtered_out);

	size_t counts[32] = { 0 };
	for (size_t i = 0; i < r->n_messages; i++)
		if (r->messages[i].type >= 0 && r->messages[i].type < 32)
			counts[r->messages[i].type]++;
	fprintf(out, "\nKerberos messages: %zu", r->n_messages);
	if (r->n_messages) {
		char b[24];
		const char *sep = " (";
		for (int t = 0; t < 32; t++) {
			if (!counts[t])
				continue;
			fprintf(out, "%s%zu %s", sep, counts[t], kf_fmt_type(t, b, sizeof b));
			sep = ", ";
		}
		fputc(')', out);
	}
	fputc('\n', out);
	if (r->n_messages)
		fprintf(out, "%8s  %-15s  %-s\n", "frame", one_day ? "time (UTC)" : "time (UTC)", "exchange");

	for (size_t i = 0; i < r->n_messages; i++) {
		const struct kf_message *m = &r->messages[i];
		char t[40], src[64], dst[64], tb[24];
		when(t, sizeof t, m->ts_us, !one_day);
		kf_fmt_endpoint(&m->src, src, sizeof src);
		kf_fmt_endpoint(&m->dst, dst, sizeof dst);
		struct line l = { .n = 0 };
		add(&l, "%8llu  %s  %s → %s %s  %-9s ", (unsigned long long)m->frame, t, src, dst,
		    m->transport == KF_TRANSPORT_TCP ? "tcp" : "udp", kf_fmt_type(m->type, tb, sizeof tb));
		describe(&l, m);
		if (m->ip_fragments > 1)
			add(&l, "  [%u IP fragments]", m->ip_fragments);
		if (m->reply_in)
			add(&l, "  → reply in %llu", (unsigned long long)m->reply_in);
		if (m->reply_to)
			add(&l, "  ← reply to %llu", (unsigned long long)m->reply_to);
		fprintf(out, "%s\n", l.b);
	}

	if (r->n_tevents) {
		fprintf(out, "\nUnanswered or refused:\n");
		for (size_t i = 0; i < r->n_tevents; i++) {
			const struct kf_tevent *e = &r->tevents[i];
			char src[64], dst[64];
			kf_fmt_endpoint(&e->src, src, sizeof src);
			kf_fmt_endpoint(&e->dst, dst, sizeof dst);
			const char *proto = e->transport == KF_TRANSPORT_TCP ? "tcp" : "udp";
			fprintf(out, "%8llu  ", (unsigned long long)e->frame);
			switch (e->kind) {
			case KF_TEV_UDP_NO_REPLY:
			case KF_TEV_TCP_NO_REPLY:
				fprintf(out, "request %s → %s over %s got no reply in the capture\n", src, dst, proto);
				break;
			case KF_TEV_TCP_NO_ANSWER:
				fprintf(out, "connection %s → %s never answered (%u SYN%s)\n", src, dst, e->count,
					e->count == 1 ? "" : "s");
				break;
			case KF_TEV_TCP_RESET:
				fprintf(out, "connection %s → %s reset by the KDC before any reply\n", src, dst);
				break;
			case KF_TEV_ICMP_UNREACHABLE:
				fprintf(out, "ICMP destination unreachable (type %u code %u) for %s → %s %s\n",
					e->icmp_type, e->icmp_code, src, dst, proto);
				break;
			case KF_TEV_FRAG_INCOMPLETE:
				fprintf(out, "IP-fragmented %s datagram %s → %s never completed (%u fragments seen)\n",
					proto, src, dst, e->count);
				break;
			default:
				fprintf(out, "%s %s → %s\n", kf_tevent_kind_name(e->kind), src, dst);
			}
		}
	}

	if (r->n_warnings) {
		fprintf(out, "\nWarnings:\n");
		for (size_t i = 0; i < r->n_warnings; i++) {
			const struct kf_warning *w = &r->warnings[i];
			if (w->frame)
				fprintf(out, "  frame %llu: %s [%s]\n", (unsigned long long)w->frame, w->message, w->code);
			else
				fprintf(out, "  %s [%s]\n", w->message, w->code);
		}
	}
	return ferror(out) ? -1 : 0;
}
