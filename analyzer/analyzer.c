/* analyzer.c - one analysis from capture files to findings: the input's
 * numbered packets through the wire (messages), the keytab decryption, then
 * stories and rules over the finished model; and the capture's warnings. */
#include "analyzer.h"

#include <stdio.h>
#include <string.h>

#include "base/limits.h"
#include "decrypt.h"
#include "filter.h"
#include "net.h"
#include "rules.h"
#include "source.h"
#include "stories.h"
#include "wire.h"

/* What the warnings are built from. */
struct drive {
	struct kf_result *res;
	uint64_t ev_count[KF_EV__COUNT];
	uint64_t ev_first[KF_EV__COUNT];
	int unsupported_dlt;
	const struct kf_undecoded *undecoded; /* what ENCAP_UNDECODED counted, by kind */
	size_t n_undecoded;
};

bool kf_filter_valid(const char *expr, char *err, size_t errlen)
{
	return kf_filter_check(expr, err, errlen);
}

const struct kf_rule_info *const *kf_analyzer_rules(size_t *n) { return kf_rule_catalogue(n); }

/* "ethertype 0x88e7 not decoded (12 packets); PPP protocol 0x002b not decoded (1 packet)" */
static void undecoded_kinds(const struct drive *r, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = 0;
	for (size_t i = 0; i < r->n_undecoded && at < len; i++) {
		const struct kf_undecoded *u = &r->undecoded[i];
		char kind[48];
		if (u->space == KF_SPACE_PPP)
			snprintf(kind, sizeof kind, "PPP protocol 0x%04x", u->type);
		else if (u->space == KF_SPACE_MPLS)
			snprintf(kind, sizeof kind, "MPLS payload starting with nibble 0x%x", u->type);
		else
			snprintf(kind, sizeof kind, "ethertype 0x%04x", u->type);
		int w = snprintf(buf + at, len - at, "%s%s%s not decoded (%llu packet%s)", i ? "; " : "",
				 kind, u->others ? " and others" : "", (unsigned long long)u->packets,
				 u->packets == 1 ? "" : "s");
		if (w < 0)
			break;
		at += (size_t)w;
	}
}

static const char *warning_message(struct drive *r, unsigned e, char *buf, size_t len)
{
	if (e == KF_EV_UNSUPPORTED_LINKTYPE) {
		char nb[32];
		snprintf(buf, len, "link type %s (%d) is not decoded: %llu packets ignored",
			 kf_capture_dlt_name(r->unsupported_dlt, nb, sizeof nb), r->unsupported_dlt,
			 (unsigned long long)r->ev_count[e]);
	} else if (e == KF_EV_ENCAP_UNDECODED) {
		undecoded_kinds(r, buf, len);
	} else if (r->ev_count[e] == 1) {
		snprintf(buf, len, "%s", kf_event_desc((enum kf_event)e));
	} else {
		snprintf(buf, len, "%s (%llu times)", kf_event_desc((enum kf_event)e),
			 (unsigned long long)r->ev_count[e]);
	}
	return buf;
}

/* The warnings of files that could not be read or ended early: one each. */
static size_t file_warnings(struct drive *r, const struct kf_source_file *files, size_t n_files,
			    struct kf_warning *w)
{
	struct kf_result *res = r->res;
	char buf[640];
	size_t k = 0;
	for (size_t i = 0; i < n_files; i++) {
		const struct kf_source_file *f = &files[i];
		if (!f->failed)
			continue;
		if (!w) {
			k++;
			continue;
		}
		struct kf_warning *x = &w[k++];
		if (!f->opened) {
			x->code = kf_event_code(KF_EV_CAPTURE_READ_ERROR);
			snprintf(buf, sizeof buf, "%s: cannot be read: %s", f->path, f->error);
		} else {
			x->code = kf_event_code(f->truncated ? KF_EV_TRUNCATED_CAPTURE
							     : KF_EV_CAPTURE_READ_ERROR);
			snprintf(buf, sizeof buf, "%s%s%s after %llu packets: %s", res->multi ? f->path : "",
				 res->multi ? ": " : "",
				 f->truncated ? "capture is truncated" : "capture is corrupt",
				 (unsigned long long)f->packets, f->error);
			x->frame = f->end_frame + 1; /* where the stream went on without it */
		}
		x->message = kf_arena_strndup(&res->arena, buf, strlen(buf));
		x->count = 1;
	}
	return k;
}

static enum kf_status build_warnings(struct drive *r, struct kf_source *src)
{
	struct kf_result *res = r->res;
	size_t n_files;
	const struct kf_source_file *files = kf_source_files(src, &n_files);
	uint64_t forgotten = kf_source_forgotten(src);
	bool map_full = kf_source_map_full(src);
	size_t n = file_warnings(r, files, n_files, NULL) + (forgotten ? 1 : 0) + (map_full ? 1 : 0);
	for (unsigned e = 1; e < KF_EV__COUNT; e++)
		n += r->ev_count[e] ? 1 : 0;
	if (!n)
		return KF_OK;
	res->warnings = kf_arena_zalloc(&res->arena, n * sizeof(*res->warnings));
	if (!res->warnings)
		return KF_NOMEM;
	char buf[512];
	size_t i = file_warnings(r, files, n_files, res->warnings);
	if (forgotten) {
		struct kf_warning *w = &res->warnings[i++];
		w->code = "merge-window-full";
		snprintf(buf, sizeof buf,
			 "more than %u packets within %u ms: %llu were forgotten before a copy of them could "
			 "arrive from another file, and such a copy is analyzed as a packet of its own",
			 KF_LIMIT_MERGE_RECENT, KF_SOURCE_COPY_WINDOW_US / 1000,
			 (unsigned long long)forgotten);
		w->message = kf_arena_strndup(&res->arena, buf, strlen(buf));
		w->count = forgotten;
	}
	if (map_full) {
		struct kf_warning *w = &res->warnings[i++];
		w->code = "merge-map-full";
		snprintf(buf, sizeof buf,
			 "more than %llu packets merged: later messages do not name their file",
			 (unsigned long long)KF_LIMIT_MERGE_MAP);
		w->message = kf_arena_strndup(&res->arena, buf, strlen(buf));
		w->count = 1;
	}
	for (unsigned e = 1; e < KF_EV__COUNT; e++) {
		if (!r->ev_count[e])
			continue;
		struct kf_warning *w = &res->warnings[i++];
		w->code = kf_event_code((enum kf_event)e);
		warning_message(r, e, buf, sizeof buf);
		w->message = kf_arena_strndup(&res->arena, buf, strlen(buf));
		w->frame = r->ev_first[e];
		w->count = r->ev_count[e];
	}
	res->n_warnings = i;
	for (size_t k = 0; k < i; k++)
		if (!res->warnings[k].message)
			return KF_NOMEM;
	for (size_t a = 1; a < i; a++) { /* insertion sort: few entries */
		struct kf_warning w = res->warnings[a];
		size_t b = a;
		while (b > 0 && (res->warnings[b - 1].frame > w.frame ||
				 (res->warnings[b - 1].frame == w.frame &&
				  strcmp(res->warnings[b - 1].code, w.code) > 0))) {
			res->warnings[b] = res->warnings[b - 1];
			b--;
		}
		res->warnings[b] = w;
	}
	return KF_OK;
}

/* Several files: the files list, and each message's file and file frame. */
static enum kf_status describe_files(struct kf_result *res, struct kf_source *src)
{
	size_t n;
	const struct kf_source_file *files = kf_source_files(src, &n);
	struct kf_arena *a = &res->arena;
	res->files = kf_arena_zalloc(a, n * sizeof(*res->files));
	if (!res->files)
		return KF_NOMEM;
	res->n_files = n;
	bool fail = false;
	for (size_t i = 0; i < n; i++) {
		const struct kf_source_file *f = &files[i];
		struct kf_capture_file *o = &res->files[i];
		char nb[32];
		o->name = kf_arena_strndup(a, f->path, strlen(f->path));
		o->format = f->format;
		if (f->first_dlt >= 0) {
			const char *ln = kf_capture_dlt_name(f->first_dlt, nb, sizeof nb);
			o->linktype = kf_arena_strndup(a, ln, strlen(ln));
			fail |= !o->linktype;
		}
		o->first_frame = f->first_frame;
		o->packets = f->packets;
		o->duplicates = f->duplicates;
		if (f->failed) {
			o->error = kf_arena_strndup(a, f->error, strlen(f->error));
			fail |= !o->error;
		}
		o->truncated = f->truncated;
		fail |= !o->name;
	}
	res->merged_duplicates = kf_source_duplicates(src);
	/* messages are in frame order: the source's cursor walks forward */
	for (size_t i = 0; i < res->n_messages; i++) {
		struct kf_message *m = &res->messages[i];
		if (!kf_source_locate(src, m->frame, &m->file, &m->file_frame))
			m->file_frame = 0;
	}
	return fail ? KF_NOMEM : KF_OK;
}

/* The analysis of src's packet stream into res (its file, multi set):
 * input → wire → decrypt → stories and rules, over the model. */
static enum kf_status analyze_source(struct kf_source *src, const struct kf_config *cfg,
				     struct kf_result *res, char *err, size_t errlen)
{
	struct drive d;
	memset(&d, 0, sizeof d);
	d.res = res;
	struct kf_wire_opts wo = { cfg->debug_decode, cfg->keys != NULL };
	struct kf_run *w = kf_wire_new(res, &wo);
	struct kf_filter *filter = cfg->filter ? kf_filter_new(cfg->filter) : NULL;
	if (!w || (cfg->filter && !filter)) {
		kf_wire_free(w);
		kf_filter_free(filter);
		snprintf(err, errlen, "out of memory");
		return KF_NOMEM;
	}
	enum kf_status st = KF_OK;

	struct kf_source_pkt sp;
	const struct kf_pkt *p = &sp.p;
	int rc;
	kf_source_report_copies(src, true);
	while ((rc = kf_source_next(src, &sp)) == KF_CAP_PACKET) {
		if (sp.copy) { /* merge: not analysed, but its file's tcp.stream numbers count it */
			kf_wire_packet_filtered(w, p, sp.file);
			continue;
		}
		res->packets++;
		res->bytes += p->wirelen;
		if (!res->have_ts || p->ts_us < res->first_ts_us)
			res->first_ts_us = p->ts_us;
		if (!res->have_ts || p->ts_us > res->last_ts_us)
			res->last_ts_us = p->ts_us;
		res->have_ts = true;
		if (filter && !kf_filter_pass(filter, p)) {
			res->filtered_out++;
			kf_wire_packet_filtered(w, p, sp.file);
			continue;
		}
		kf_wire_packet(w, p, sp.file);
		if (kf_wire_out_of_memory(w)) {
			st = KF_NOMEM;
			break;
		}
	}
	if (rc == KF_CAP_ERROR) /* the source ran out of memory */
		st = KF_NOMEM;

	/* end of capture: finish every flow and fragment train */
	if (kf_wire_finish(w, res->packets) != KF_OK)
		st = KF_NOMEM;
	kf_wire_events(w, d.ev_count, d.ev_first, &d.unsupported_dlt);
	d.n_undecoded = kf_wire_undecoded(w, &d.undecoded);

	size_t n_files;
	const struct kf_source_file *files = kf_source_files(src, &n_files);
	for (size_t i = 0; i < n_files; i++)
		res->read_error |= files[i].failed;
	for (size_t i = 0; i < n_files; i++) { /* format and link type: the first file read */
		if (!files[i].opened)
			continue;
		char nb[32];
		const char *ln = kf_capture_dlt_name(files[i].first_dlt, nb, sizeof nb);
		res->format = files[i].format;
		res->linktype = kf_arena_strndup(&res->arena, ln, strlen(ln));
		break;
	}
	if (res->multi && describe_files(res, src) != KF_OK)
		st = KF_NOMEM;
	if (cfg->keys && st != KF_NOMEM && kf_decrypt_messages(res, cfg->keys) != KF_OK)
		st = KF_NOMEM;
	if (kf_sessions_build(res) != KF_OK || kf_stories_build(res) != KF_OK || kf_rules_run(res) != KF_OK)
		st = KF_NOMEM;
	if (res->findings_dropped) {
		d.ev_count[KF_EV_FINDING_LIMIT] = res->findings_dropped;
		d.ev_first[KF_EV_FINDING_LIMIT] = 0;
	}
	if (res->session_frames_dropped) {
		d.ev_count[KF_EV_SESSION_FRAMES_LIMIT] = res->session_frames_dropped;
		d.ev_first[KF_EV_SESSION_FRAMES_LIMIT] = 0;
	}
	if (build_warnings(&d, src) != KF_OK)
		st = KF_NOMEM;
	if (st == KF_NOMEM)
		snprintf(err, errlen, "out of memory; results are partial");

	kf_filter_free(filter);
	kf_wire_free(w);
	return st;
}

enum kf_status kf_analyze(const char *path, const struct kf_config *cfg, struct kf_result *res, char *err,
			  size_t errlen)
{
	memset(res, 0, sizeof *res);
	kf_arena_init(&res->arena, 0);
	res->file = path;
	struct kf_source *src;
	enum kf_status st = kf_source_open(&path, 1, KF_SOURCE_ONE, &src, err, errlen);
	if (st != KF_OK)
		return st;
	st = analyze_source(src, cfg, res, err, errlen);
	kf_source_close(src);
	return st;
}

enum kf_status kf_analyze_files(const char *const *paths, size_t n, enum kf_multi mode,
				const struct kf_config *cfg, struct kf_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof *res);
	kf_arena_init(&res->arena, 0);
	res->file = n ? paths[0] : "";
	res->multi = mode;
	if (mode != KF_MULTI_CONTINUOUS && mode != KF_MULTI_MERGE) {
		snprintf(err, errlen, "unknown way to read several captures (%d)", (int)mode);
		return KF_IO;
	}
	struct kf_source *src;
	enum kf_status st = kf_source_open(paths, n, (enum kf_source_mode)mode, &src, err, errlen);
	if (st != KF_OK)
		return st;
	st = analyze_source(src, cfg, res, err, errlen);
	kf_source_close(src);
	return st;
}
