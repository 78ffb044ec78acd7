/* audit.c - `krbflow audit PATH...` and `krbflow merge JSONL...`.
 *
 * The audit walks directories for captures, analyzes each in a worker
 * process of its own (-j at a time: a capture that crashes or exhausts
 * memory takes only its worker down), collects each worker's JSON document
 * through an anonymous temporary file, and writes either the documents as
 * JSON Lines, in file-name order, or the summary (reports/summary.c).
 * Exit status as OUTPUT.md: 2 when a capture could not be read at all,
 * 3 on an internal error, 1 when a finding reaches --fail-on, else 0.
 */
#define _GNU_SOURCE
#include "audit.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "analyzer.h"
#include "base/arena.h"
#include "base/limits.h"
#include "report.h"
#include "finding.h"
#include "summary.h"

#ifndef KRBFLOW_VERSION
#define KRBFLOW_VERSION "0.0.0"
#endif

enum { EXIT_OK = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

#define AUDIT_MAX_JOBS 256
#define AUDIT_TOP 10

static void audit_usage(FILE *out)
{
	fputs("usage: krbflow audit [OPTIONS] PATH...\n"
	      "\n"
	      "Analyze every capture under the given files and directories (recursively:\n"
	      "pcap and pcapng, also gzip- or zstd-compressed), each on its own, several at a\n"
	      "time, and print a summary: per capture its messages, findings by severity and\n"
	      "the rules that fired most; across the archive the rules that fire most and the\n"
	      "users, SPNs and client hosts of the most authentication stories.\n"
	      "\n"
	      "options:\n"
	      "  -j, --jobs N         captures analyzed at a time (default: all CPUs)\n"
	      "  --json               JSON Lines instead: one document per capture, as\n"
	      "                       `krbflow --json` writes it, in file-name order; a\n"
	      "                       capture that cannot be read gives {krbflow, capture:\n"
	      "                       {file, error}}\n"
	      "  --shard K/N          analyze only the K-th of N parts of the sorted file list\n"
	      "                       (for running an audit on several machines; `krbflow\n"
	      "                       merge` joins their --json outputs into one summary)\n"
	      "  --continuous         the files are consecutive pieces of one capture\n"
	      "  --merge              the files were captured at the same time at several\n"
	      "                       points: one analysis, merged by timestamp\n"
	      "  --fail-on LEVEL      exit 1 when any capture has a finding of LEVEL\n"
	      "                       (info|warning|error) or above\n"
	      "  -f, --filter EXPR    BPF filter for every capture\n"
	      "  --top N              entries of each archive-wide list (default 10)\n"
	      "  --no-progress        no progress line on stderr (shown only on a terminal)\n"
	      "  -h, --help           this help\n"
	      "\n"
	      "In directories, files are taken when they start like a pcap or pcapng file, or\n"
	      "are gzip/zstd files named like captures (*.pcap.gz, *.pcapng.zst, *.cap.gz);\n"
	      "files named on the command line are always analyzed.\n"
	      "exit status: 0 done; 1 a finding at or above --fail-on; 2 usage error or a\n"
	      "capture that could not be read; 3 internal error.\n",
	      out);
}

/* ---- the file list ----------------------------------------------------- */

struct file {
	char *path;
	uint64_t size;
};

struct files {
	struct file *v;
	size_t n, cap;
	bool nomem, too_many;
};

static struct files *walk_into; /* nftw has no context argument */

static bool add_file(struct files *fs, const char *path, uint64_t size)
{
	if (fs->n == KF_LIMIT_AUDIT_FILES) {
		fs->too_many = true;
		return false;
	}
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? 2 * fs->cap : 256;
		struct file *v = kf_realloc(fs->v, cap * sizeof(*v));
		if (!v) {
			fs->nomem = true;
			return false;
		}
		fs->v = v;
		fs->cap = cap;
	}
	size_t n = strlen(path);
	char *p = kf_malloc(n + 1);
	if (!p) {
		fs->nomem = true;
		return false;
	}
	memcpy(p, path, n + 1);
	fs->v[fs->n++] = (struct file){ p, size };
	return true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* A capture by its first bytes: pcap (either byte order, micro or nano),
 * pcapng; gzip and zstd only when the name says what is inside. */
static bool looks_like_capture(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	uint8_t m[4] = { 0 };
	size_t got = fread(m, 1, 4, f);
	fclose(f);
	if (got < 4)
		return false;
	uint32_t be = (uint32_t)m[0] << 24 | (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	if (be == 0xa1b2c3d4 || be == 0xd4c3b2a1 || be == 0xa1b23c4d || be == 0x4d3cb2a1 || be == 0x0a0d0d0a)
		return true;
	bool compressed = (m[0] == 0x1f && m[1] == 0x8b) || be == 0x28b52ffd;
	if (!compressed)
		return false;
	static const char *const names[] = { ".pcap.gz",    ".pcapng.gz", ".cap.gz",    ".pcap.zst",
					     ".pcapng.zst", ".cap.zst",   ".pcap.zstd", ".pcapng.zstd" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (ends_with(path, names[i]))
			return true;
	return false;
}

static int on_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_F && S_ISREG(st->st_mode) && looks_like_capture(path) &&
	    !add_file(walk_into, path, (uint64_t)st->st_size))
		return 1; /* stop: out of memory or too many files */
	return 0;
}

static int cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->path, ((const struct file *)b)->path);
}

/* Every capture under the given paths, sorted, each once. */
static int collect(char **paths, int n, struct files *fs)
{
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st) != 0) {
			fprintf(stderr, "krbflow audit: %s: %s\n", paths[i], strerror(errno));
			return EXIT_USAGE;
		}
		if (S_ISDIR(st.st_mode)) {
			walk_into = fs;
			/* FTW_PHYS: symbolic links are not followed, so no loops */
			if (nftw(paths[i], on_entry, 32, FTW_PHYS) < 0) {
				fprintf(stderr, "krbflow audit: %s: %s\n", paths[i], strerror(errno));
				return EXIT_USAGE;
			}
		} else if (!add_file(fs, paths[i], (uint64_t)st.st_size)) {
			break;
		}
		if (fs->nomem || fs->too_many)
			break;
	}
	if (fs->nomem) {
		fprintf(stderr, "krbflow audit: out of memory listing captures\n");
		return EXIT_INTERNAL;
	}
	if (fs->too_many) {
		fprintf(stderr, "krbflow audit: more than %u captures: split the audit (--shard)\n",
			KF_LIMIT_AUDIT_FILES);
		return EXIT_USAGE;
	}
	if (fs->n)
		qsort(fs->v, fs->n, sizeof(*fs->v), cmp_file);
	size_t k = 0;
	for (size_t i = 0; i < fs->n; i++) {
		if (k && !strcmp(fs->v[k - 1].path, fs->v[i].path)) {
			kf_free(fs->v[i].path);
			continue;
		}
		fs->v[k++] = fs->v[i];
	}
	fs->n = k;
	return EXIT_OK;
}

static void files_free(struct files *fs)
{
	for (size_t i = 0; i < fs->n; i++)
		kf_free(fs->v[i].path);
	kf_free(fs->v);
}

/* ---- workers ------------------------------------------------------------ */

struct job {
	size_t first, count; /* files[first .. first+count) */
	uint64_t bytes;
	pid_t pid;
	FILE *out;  /* the worker's document or error text */
	int status; /* wait status; -1 while running */
	bool done;
};

struct options {
	struct kf_config cfg;
	enum kf_multi multi;
	bool json, progress;
	int fail_on;
	unsigned jobs, top;
	unsigned shard_k, shard_n;
};

/* In the worker: analyze, write the compact document (exit 0, or 3 when the
 * analysis ran out of memory) or the reason it could not (exit 2). */
static void worker(const struct options *o, const struct files *fs, const struct job *j)
{
	struct kf_result res;
	char err[512] = "";
	const char *const *paths = (const char *const *)&fs->v[j->first].path;
	enum kf_status st;
	if (o->multi) {
		const char **v = kf_malloc(j->count * sizeof(*v));
		if (!v)
			_exit(EXIT_INTERNAL);
		for (size_t i = 0; i < j->count; i++)
			v[i] = fs->v[j->first + i].path;
		st = kf_analyze_files(v, j->count, o->multi, &o->cfg, &res, err, sizeof err);
	} else {
		st = kf_analyze(paths[0], &o->cfg, &res, err, sizeof err);
	}
	if (st == KF_IO) {
		fprintf(j->out, "%s", err[0] ? err : "cannot be read");
		fflush(j->out);
		_exit(EXIT_USAGE);
	}
	int rc = kf_report_json(&res, j->out, true);
	if (fflush(j->out) != 0)
		rc = -1;
	_exit(st != KF_OK || rc != 0 ? EXIT_INTERNAL : EXIT_OK);
}

static bool start(const struct options *o, const struct files *fs, struct job *j)
{
	j->out = tmpfile();
	if (!j->out)
		return false;
	fflush(NULL); /* nothing buffered is written twice by the child */
	j->pid = fork();
	if (j->pid < 0) {
		fclose(j->out);
		j->out = NULL;
		return false;
	}
	if (j->pid == 0)
		worker(o, fs, j);
	j->status = -1;
	return true;
}

/* The whole of a worker's output (NUL-terminated), or NULL. */
static char *slurp(FILE *f, size_t *len)
{
	if (fseek(f, 0, SEEK_END) != 0)
		return NULL;
	long n = ftell(f);
	if (n < 0 || fseek(f, 0, SEEK_SET) != 0)
		return NULL;
	char *b = kf_malloc((size_t)n + 1);
	if (!b)
		return NULL;
	*len = fread(b, 1, (size_t)n, f);
	b[*len] = 0;
	return b;
}

/* ---- progress ------------------------------------------------------------ */

struct progress {
	bool on;
	size_t total, done;
	uint64_t bytes_total, bytes_done;
	struct timespec t0;
};

static double elapsed(const struct progress *p)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - p->t0.tv_sec) + (double)(t.tv_nsec - p->t0.tv_nsec) / 1e9;
}

static void progress_show(const struct progress *p)
{
	if (!p->on)
		return;
	double t = elapsed(p), rate = t > 0 ? (double)p->bytes_done / t : 0;
	double eta = rate > 0 ? (double)(p->bytes_total - p->bytes_done) / rate : 0;
	unsigned width = 24, fill = p->total ? (unsigned)(width * p->done / p->total) : width;
	char bar[32];
	for (unsigned i = 0; i < width; i++)
		bar[i] = i < fill ? '=' : ' ';
	bar[width] = 0;
	fprintf(stderr, "\r[%s] %zu/%zu captures  %.1f MB/s  ETA %d:%02d ", bar, p->done, p->total,
		rate / 1e6, (int)eta / 60, (int)eta % 60);
	fflush(stderr);
}

static void progress_end(const struct progress *p)
{
	if (p->on)
		fprintf(stderr, "\r%*s\r", 79, "");
}

/* ---- the audit ------------------------------------------------------------- */

static int parse_shard(const char *s, unsigned *k, unsigned *n)
{
	char *end;
	unsigned long a = strtoul(s, &end, 10);
	if (end == s || *end != '/')
		return -1;
	const char *b = end + 1;
	unsigned long c = strtoul(b, &end, 10);
	if (end == b || *end || c == 0 || a == 0 || a > c || c > 100000)
		return -1;
	*k = (unsigned)a;
	*n = (unsigned)c;
	return 0;
}

/* The JSON Lines entry of a capture that could not be analyzed:
 * {"krbflow": {...}, "capture": {"error": ..., "file": ...}}, top-level keys
 * in OUTPUT.md's order, keys inside sorted. */
static void json_line_error(FILE *out, const char *file, const char *why)
{
	json_t *d = json_object(), *v = json_object(), *c = json_object();
	if (d && v && c) {
		json_object_set_new(v, "schema", json_integer(1));
		json_object_set_new(v, "version", json_string(KRBFLOW_VERSION));
		json_object_set_new(c, "error", json_string(why));
		json_object_set_new(c, "file", json_string(file));
		json_object_set(d, "krbflow", v);
		json_object_set(d, "capture", c);
		char *t = json_dumps(d, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
		if (t)
			fprintf(out, "%s\n", t);
		free(t);
	}
	json_decref(v);
	json_decref(c);
	json_decref(d);
}

/* One finished job into the output: its document (JSON Lines) and the summary. */
static int collect_job(const struct options *o, const struct files *fs, struct job *j, struct kf_summary *sum,
		       int *status)
{
	const char *name = j->count == 1 ? fs->v[j->first].path : "(captures)";
	size_t len = 0;
	char *text = slurp(j->out, &len);
	fclose(j->out);
	j->out = NULL;
	int code = WIFEXITED(j->status) ? WEXITSTATUS(j->status) : -1;
	char why[600];
	if (!text) {
		snprintf(why, sizeof why, "cannot read the worker's output");
		code = -1;
	} else if (code == EXIT_USAGE) {
		snprintf(why, sizeof why, "%s", text);
	} else if (WIFSIGNALED(j->status)) {
		snprintf(why, sizeof why, "the analysis crashed (signal %d)", WTERMSIG(j->status));
	} else if (code != EXIT_OK) {
		snprintf(why, sizeof why, "internal error (out of memory?)");
	}
	int rc = 0;
	if (code == EXIT_OK) {
		char err[256];
		if (o->json && fwrite(text, 1, len, stdout) != len)
			rc = -1;
		if (kf_summary_add_json(sum, text, len, err, sizeof err) != 0) {
			fprintf(stderr, "krbflow audit: %s: %s\n", name, err);
			*status = *status == EXIT_USAGE ? EXIT_USAGE : EXIT_INTERNAL;
		}
	} else {
		if (o->json)
			json_line_error(stdout, name, why);
		fprintf(stderr, "krbflow audit: %s: %s\n", name, why);
		if (kf_summary_add_error(sum, name, why) != 0)
			rc = -1;
		if (code == EXIT_USAGE)
			*status = EXIT_USAGE;
		else if (*status != EXIT_USAGE)
			*status = EXIT_INTERNAL;
	}
	kf_free(text);
	return rc;
}

/* ---- options shared by audit and merge ------------------------------------ */

static bool opt_fail_on(const char *cmd, const char *arg, int *level)
{
	*level = (int)kf_severity_from_name(arg);
	if (!*level)
		fprintf(stderr, "krbflow %s: --fail-on takes info, warning or error, not '%s'\n", cmd, arg);
	return *level != 0;
}

static bool opt_top(const char *cmd, const char *arg, unsigned *top)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);
	if (end == arg || *end || n == 0 || n > 100000) {
		fprintf(stderr, "krbflow %s: --top takes a positive number, not '%s'\n", cmd, arg);
		return false;
	}
	*top = (unsigned)n;
	return true;
}

int kf_audit_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "json", no_argument, NULL, 'J' },
		{ "shard", required_argument, NULL, 'S' },
		{ "continuous", no_argument, NULL, 'C' },
		{ "merge", no_argument, NULL, 'M' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "filter", required_argument, NULL, 'f' },
		{ "top", required_argument, NULL, 'T' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .top = AUDIT_TOP, .progress = isatty(STDERR_FILENO) };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	o.jobs = cpus > 0 ? (unsigned)cpus : 1;
	int c;
	char *end;
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "j:f:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': {
			unsigned long n = strtoul(optarg, &end, 10);
			if (end == optarg || *end || n == 0 || n > AUDIT_MAX_JOBS) {
				fprintf(stderr, "krbflow audit: -j takes 1 to %d, not '%s'\n", AUDIT_MAX_JOBS,
					optarg);
				return EXIT_USAGE;
			}
			o.jobs = (unsigned)n;
			break;
		}
		case 'J': o.json = true; break;
		case 'S':
			if (parse_shard(optarg, &o.shard_k, &o.shard_n) != 0) {
				fprintf(stderr,
					"krbflow audit: --shard takes K/N with 1 <= K <= N, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'C':
		case 'M':
			if (o.multi && o.multi != (c == 'C' ? KF_MULTI_CONTINUOUS : KF_MULTI_MERGE)) {
				fprintf(stderr,
					"krbflow audit: --continuous and --merge exclude each other\n");
				return EXIT_USAGE;
			}
			o.multi = c == 'C' ? KF_MULTI_CONTINUOUS : KF_MULTI_MERGE;
			break;
		case 'F':
			if (!opt_fail_on("audit", optarg, &o.fail_on))
				return EXIT_USAGE;
			break;
		case 'f': o.cfg.filter = optarg; break;
		case 'T':
			if (!opt_top("audit", optarg, &o.top))
				return EXIT_USAGE;
			break;
		case 'P': o.progress = false; break;
		case 'h': audit_usage(stdout); return EXIT_OK;
		default: audit_usage(stderr); return EXIT_USAGE;
		}
	}
	int first = optind + 1;
	if (first >= argc) {
		fprintf(stderr, "krbflow audit: no file or directory given\n\n");
		audit_usage(stderr);
		return EXIT_USAGE;
	}
	if (o.cfg.filter) {
		char err[256];
		if (!kf_filter_valid(o.cfg.filter, err, sizeof err)) {
			fprintf(stderr, "krbflow audit: bad filter '%s': %s\n", o.cfg.filter, err);
			return EXIT_USAGE;
		}
	}

	struct files fs = { 0 };
	int status = collect(argv + first, argc - first, &fs);
	if (status != EXIT_OK) {
		files_free(&fs);
		return status;
	}
	if (o.shard_n) { /* every N-th of the sorted list, from the K-th */
		size_t k = 0;
		for (size_t i = 0; i < fs.n; i++) {
			if (i % o.shard_n == o.shard_k - 1)
				fs.v[k++] = fs.v[i];
			else
				kf_free(fs.v[i].path);
		}
		fs.n = k;
	}
	size_t njobs = o.multi ? (fs.n ? 1 : 0) : fs.n;
	struct job *jobs = kf_calloc(njobs + 1, sizeof(*jobs));
	struct kf_summary *sum = kf_summary_new();
	if (!jobs || !sum) {
		fprintf(stderr, "krbflow audit: out of memory\n");
		kf_free(jobs);
		kf_summary_free(sum);
		files_free(&fs);
		return EXIT_INTERNAL;
	}
	struct progress pr = { .on = o.progress, .total = njobs };
	clock_gettime(CLOCK_MONOTONIC, &pr.t0);
	for (size_t i = 0; i < njobs; i++) {
		jobs[i].first = o.multi ? 0 : i;
		jobs[i].count = o.multi ? fs.n : 1;
		for (size_t k = 0; k < jobs[i].count; k++)
			jobs[i].bytes += fs.v[jobs[i].first + k].size;
		pr.bytes_total += jobs[i].bytes;
	}

	/* Run at most o.jobs workers; hand results on in file order. */
	size_t next_start = 0, next_out = 0, running = 0;
	bool failed = false;
	while (next_out < njobs) {
		while (!failed && running < o.jobs && next_start < njobs) {
			if (!start(&o, &fs, &jobs[next_start])) {
				fprintf(stderr, "krbflow audit: cannot start a worker: %s\n",
					strerror(errno));
				failed = true;
				break;
			}
			next_start++;
			running++;
		}
		if (running == 0)
			break;
		int ws;
		pid_t pid = wait(&ws);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t i = next_out; i < next_start; i++) {
			if (jobs[i].pid == pid && !jobs[i].done) {
				jobs[i].status = ws;
				jobs[i].done = true;
				running--;
				pr.done++;
				pr.bytes_done += jobs[i].bytes;
				break;
			}
		}
		while (next_out < next_start && jobs[next_out].done) {
			if (collect_job(&o, &fs, &jobs[next_out], sum, &status) != 0)
				failed = true;
			next_out++;
		}
		progress_show(&pr);
	}
	progress_end(&pr);
	if (next_out < njobs) { /* a worker could not be started or collected */
		while (running && wait(NULL) > 0)
			running--;
		for (size_t i = next_out; i < njobs; i++)
			if (jobs[i].out)
				fclose(jobs[i].out);
		status = status == EXIT_USAGE ? EXIT_USAGE : EXIT_INTERNAL;
	}
	if (!o.json)
		kf_summary_print(sum, stdout, o.top);
	if (fflush(stdout) != 0 && status == EXIT_OK)
		status = EXIT_INTERNAL;
	if (status == EXIT_OK && o.fail_on && kf_summary_at_or_above(sum, o.fail_on))
		status = EXIT_FINDINGS;
	if (njobs == 0)
		fprintf(stderr, "krbflow audit: no capture found\n");
	kf_summary_free(sum);
	kf_free(jobs);
	files_free(&fs);
	return status;
}

/* ---- krbflow merge ------------------------------------------------------------- */

static void merge_usage(FILE *out)
{
	fputs("usage: krbflow merge [OPTIONS] JSONL...\n"
	      "\n"
	      "Read the JSON Lines of one or more `krbflow audit --json` runs (for instance\n"
	      "the shards of an audit: --shard 1/4 ... 4/4), '-' for standard input, and print\n"
	      "the summary of all their captures, as one `krbflow audit` of them would.\n"
	      "\n"
	      "options:\n"
	      "  --fail-on LEVEL      exit 1 when a capture has a finding of LEVEL or above\n"
	      "  --top N              entries of each archive-wide list (default 10)\n"
	      "  -h, --help           this help\n",
	      out);
}

/* One JSON Lines file into the summary; lines may be long (a capture's
 * whole document), so they are read with getline. */
static int merge_file(const char *path, struct kf_summary *sum)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		fprintf(stderr, "krbflow merge: %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long no = 0;
	int status = EXIT_OK;
	while ((n = getline(&line, &cap, f)) > 0) {
		no++;
		if (n == 1 && line[0] == '\n')
			continue;
		json_error_t je;
		json_t *d = json_loadb(line, (size_t)n, 0, &je);
		json_t *c = d ? json_object_get(d, "capture") : NULL;
		const char *e = c ? json_string_value(json_object_get(c, "error")) : NULL;
		const char *file = c ? json_string_value(json_object_get(c, "file")) : NULL;
		char err[256];
		int rc;
		if (e && file) {
			rc = kf_summary_add_error(sum, file, e);
			if (rc == 0)
				status = EXIT_USAGE; /* an unreadable capture, as the audit said */
		} else {
			rc = kf_summary_add_json(sum, line, (size_t)n, err, sizeof err);
			if (rc != 0) {
				fprintf(stderr, "krbflow merge: %s:%lu: %s\n", path, no, err);
				status = EXIT_USAGE;
			}
		}
		json_decref(d);
	}
	free(line);
	if (ferror(f)) {
		fprintf(stderr, "krbflow merge: %s: read error\n", path);
		status = EXIT_USAGE;
	}
	if (f != stdin)
		fclose(f);
	return status;
}

int kf_merge_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "fail-on", required_argument, NULL, 'F' },
		{ "top", required_argument, NULL, 'T' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int fail_on = 0, c;
	unsigned top = AUDIT_TOP;
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (!opt_fail_on("merge", optarg, &fail_on))
				return EXIT_USAGE;
			break;
		case 'T':
			if (!opt_top("merge", optarg, &top))
				return EXIT_USAGE;
			break;
		case 'h': merge_usage(stdout); return EXIT_OK;
		default: merge_usage(stderr); return EXIT_USAGE;
		}
	}
	int first = optind + 1;
	if (first >= argc) {
		fprintf(stderr, "krbflow merge: no JSON Lines file given\n\n");
		merge_usage(stderr);
		return EXIT_USAGE;
	}
	struct kf_summary *sum = kf_summary_new();
	if (!sum) {
		fprintf(stderr, "krbflow merge: out of memory\n");
		return EXIT_INTERNAL;
	}
	int status = EXIT_OK;
	for (int i = first; i < argc; i++)
		if (merge_file(argv[i], sum) == EXIT_USAGE)
			status = EXIT_USAGE;
	kf_summary_print(sum, stdout, top);
	if (fflush(stdout) != 0 && status == EXIT_OK)
		status = EXIT_INTERNAL;
	if (status == EXIT_OK && fail_on && kf_summary_at_or_above(sum, fail_on))
		status = EXIT_FINDINGS;
	kf_summary_free(sum);
	return status;
}
