/* krbflow.c - command line: options → analysis of each capture → report;
 * owns the exit codes of OUTPUT.md (2 usage/unreadable, 3 internal,
 * 1 findings at or above --fail-on, 0 otherwise). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzer.h"
#include "base/arena.h"
#include "audit.h"
#include "krb5_decrypt.h"
#include "expect.h"
#include "report.h"

#ifndef KRBFLOW_VERSION
#define KRBFLOW_VERSION "0.0.0"
#endif

enum { EXIT_OK = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2, EXIT_INTERNAL = 3 };

static void usage(FILE *out)
{
	fputs("usage: krbflow [OPTIONS] CAPTURE...\n"
	      "       krbflow audit [OPTIONS] PATH...     (krbflow audit --help)\n"
	      "       krbflow merge [OPTIONS] JSONL...    (summary of sharded audits)\n"
	      "       krbflow rules\n"
	      "\n"
	      "Read pcap/pcapng captures offline and explain Kerberos and HTTP Negotiate\n"
	      "authentication: findings (what went wrong, the evidence frames, the fix), then\n"
	      "each client's story (KDC exchanges, HTTP requests and the SPNEGO/NTLM tokens\n"
	      "they carried), with frame numbers as Wireshark counts them.\n"
	      "CAPTURE may be '-' for standard input, and gzip- or zstd-compressed.\n"
	      "\n"
	      "options:\n"
	      "  --json               one JSON document per capture (JSON Lines for several)\n"
	      "  -f, --filter EXPR    BPF filter applied to each packet after reading;\n"
	      "                       frame numbers still count every packet of the file\n"
	      "  --fail-on LEVEL      exit 1 when a finding of LEVEL (info|warning|error)\n"
	      "                       or above is reported\n"
	      "  --continuous         the captures are consecutive pieces of one (rotated with\n"
	      "                       tcpdump -C/-G): one analysis, frames continue across files\n"
	      "  --merge              the captures were taken at the same time at different\n"
	      "                       points: merged by timestamp into one analysis; a packet\n"
	      "                       seen at two points counts once\n"
	      "  --expect FILE        compare the findings (rule, severity, evidence frames)\n"
	      "                       with FILE; exit 1 and print the differences if any\n"
	      "  --write-expect FILE  write the findings to FILE for later --expect runs\n"
	      "  -k, --keytab FILE    decrypt tickets, authenticators and replies with the keys\n"
	      "                       of FILE (repeatable; default: $KRB5_KTNAME when set), and\n"
	      "                       use what they say in the diagnoses. Key material is never\n"
	      "                       printed; a keytab others can read is warned about\n"
	      "  --debug-decode       say on stderr which packets the decoders rejected\n"
	      "  -h, --help           this help\n"
	      "  rules                list the findings krbflow can report (the rule catalogue)\n"
	      "  -V, --version        print the version\n"
	      "\n"
	      "exit status: 0 done; 1 a finding at or above --fail-on, or --expect found a\n"
	      "difference; 2 usage error or a\n"
	      "capture that could not be read at all; 3 internal error (out of memory).\n"
	      "A truncated or partly corrupt capture is reported as far as it could be read,\n"
	      "with a warning.\n",
	      out);
}

static int level_of(const char *s) { return (int)kf_severity_from_name(s); }

/* `krbflow rules`: the catalogue, one rule a line (docs/rules.md has each in full). */
static int list_rules(int argc, char **argv)
{
	if (argc > 2) {
		fprintf(stderr, "krbflow: 'rules' takes no arguments (got '%s')\n", argv[2]);
		return EXIT_USAGE;
	}
	size_t n;
	const struct kf_rule_info *const *all = kf_analyzer_rules(&n);
	printf("%-26s %-8s %-7s %s\n", "rule", "severity", "window", "finds");
	for (size_t i = 0; i < n; i++) {
		char w[24];
		if (all[i]->window_us == KF_RULE_WINDOW_WHOLE)
			snprintf(w, sizeof w, "whole");
		else
			snprintf(w, sizeof w, "%llu s", (unsigned long long)(all[i]->window_us / 1000000));
		printf("%-26s %-8s %-7s %s\n", all[i]->id, kf_severity_name(all[i]->severity), w,
		       all[i]->title);
		/* the causes a finding of it can name (its JSON "cause") */
		for (const char *const *c = all[i]->causes; c && *c; c++) {
			if (c == all[i]->causes)
				printf("%-26s causes: %s", "", *c);
			else
				printf(", %s", *c);
		}
		if (all[i]->causes && *all[i]->causes)
			putchar('\n');
	}
	printf("\n%zu rules; the severity is the usual one, a finding may say less or more.\n"
	       "The window is the capture time a rule draws on to decide about a message:\n"
	       "seconds around it, or the whole capture.  The causes are those a finding\n"
	       "names in its \"cause\" (JSON) and an --expect line may name.\n"
	       "Each rule's evidence and fix: docs/rules.md.\n",
	       n);
	return EXIT_OK;
}

/* --keytab: read every keytab into one keyring; warn about keytabs other
 * users can read (they hold secrets, and so should be mode 0600). */
static int load_keytabs(struct kf_config *cfg, const char *const *paths, unsigned n)
{
	cfg->keys = kf_keyring_new();
	if (!cfg->keys) {
		fprintf(stderr, "krbflow: cannot set up decryption (out of memory)\n");
		return EXIT_USAGE;
	}
	for (unsigned i = 0; i < n; i++) {
		char err[512];
		if (kf_keyring_add_keytab(cfg->keys, paths[i], err, sizeof err) < 0) {
			fprintf(stderr, "krbflow: %s\n", err);
			kf_keyring_free(cfg->keys);
			cfg->keys = NULL;
			return EXIT_USAGE;
		}
		if (kf_keytab_others_can_read(paths[i]))
			fprintf(stderr,
				"krbflow: warning: keytab %s can be read by other users; it holds secret keys "
				"(chmod 600)\n",
				paths[i]);
	}
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	/* clang-format off */
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "filter", required_argument, NULL, 'f' },
		{ "fail-on", required_argument, NULL, 'F' },
		{ "debug-decode", no_argument, NULL, 'D' },
		{ "continuous", no_argument, NULL, 'C' },
		{ "merge", no_argument, NULL, 'M' },
		{ "expect", required_argument, NULL, 'E' },
		{ "write-expect", required_argument, NULL, 'W' },
		{ "keytab", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	/* clang-format on */
	if (argc >= 2 && strcmp(argv[1], "rules") == 0)
		return list_rules(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "audit") == 0)
		return kf_audit_main(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "merge") == 0)
		return kf_merge_main(argc, argv);
	struct kf_config cfg = { 0 };
	bool json = false;
	int fail_on = 0;
	enum kf_multi multi = 0;
	const char *expect = NULL, *write_expect = NULL;
	const char *keytabs[KF_LIMIT_KEYTABS];
	unsigned n_keytabs = 0;
	int c;

	while ((c = getopt_long(argc, argv, "f:hk:V", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'f': cfg.filter = optarg; break;
		case 'F':
			fail_on = level_of(optarg);
			if (!fail_on) {
				fprintf(stderr, "krbflow: --fail-on takes info, warning or error, not '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 'D': cfg.debug_decode = true; break;
		case 'C':
		case 'M':
			if (multi && multi != (c == 'C' ? KF_MULTI_CONTINUOUS : KF_MULTI_MERGE)) {
				fprintf(stderr, "krbflow: --continuous and --merge exclude each other\n");
				return EXIT_USAGE;
			}
			multi = c == 'C' ? KF_MULTI_CONTINUOUS : KF_MULTI_MERGE;
			break;
		case 'E': expect = optarg; break;
		case 'W': write_expect = optarg; break;
		case 'k':
			if (n_keytabs == KF_LIMIT_KEYTABS) {
				fprintf(stderr, "krbflow: at most %u --keytab files\n", KF_LIMIT_KEYTABS);
				return EXIT_USAGE;
			}
			keytabs[n_keytabs++] = optarg;
			break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'V': printf("krbflow %s\n", KRBFLOW_VERSION); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "krbflow: no capture given\n\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	int ncaptures = multi ? 1 : argc - optind;
	if ((expect || write_expect) && ncaptures != 1) {
		fprintf(stderr, "krbflow: --expect and --write-expect take one capture (or several with "
				"--continuous or --merge)\n");
		return EXIT_USAGE;
	}
	if (cfg.filter) {
		char err[256];
		if (!kf_filter_valid(cfg.filter, err, sizeof err)) {
			fprintf(stderr, "krbflow: bad filter '%s': %s\n", cfg.filter, err);
			return EXIT_USAGE;
		}
	}

	const char *ktname = getenv("KRB5_KTNAME");
	if (n_keytabs == 0 && ktname && *ktname) {
		keytabs[n_keytabs++] = ktname;
		fprintf(stderr, "krbflow: decrypting with KRB5_KTNAME=%s\n", ktname);
	}
	if (n_keytabs && load_keytabs(&cfg, keytabs, n_keytabs) != EXIT_OK)
		return EXIT_USAGE;

	/* Test hooks for tests/hostile/run-oom.sh, deliberately left out of --help:
	 * KRBFLOW_FAIL_ALLOC=N makes the N-th kf_malloc/kf_calloc/kf_realloc from
	 * here on fail (allocation-failure injection, decoders/base/arena.h);
	 * KRBFLOW_COUNT_ALLOC=1 prints "krbflow: allocations: N" on stderr at exit,
	 * N counting from here, so that N+1 is the first value that injects nothing. */
	unsigned long alloc_base = kf_alloc_calls();
	const char *fail_alloc = getenv("KRBFLOW_FAIL_ALLOC");
	if (fail_alloc && *fail_alloc)
		kf_alloc_fail_after(strtoul(fail_alloc, NULL, 10));

	int status = EXIT_OK;
	for (int i = optind; i < argc; i++) {
		struct kf_result res;
		char err[512] = "";
		const char *name = multi ? "(captures)" : argv[i];
		enum kf_status st =
			multi ? kf_analyze_files((const char *const *)argv + optind, (size_t)(argc - optind),
						 multi, &cfg, &res, err, sizeof err)
			      : kf_analyze(argv[i], &cfg, &res, err, sizeof err);
		if (multi)
			i = argc; /* one analysis of them all */
		if (st == KF_IO) {
			fprintf(stderr, "krbflow: %s: %s\n", name, err);
			kf_result_free(&res);
			status = EXIT_USAGE;
			continue;
		}
		if (st != KF_OK) {
			fprintf(stderr, "krbflow: %s: %s\n", name, err[0] ? err : kf_status_name(st));
			if (status != EXIT_USAGE)
				status = EXIT_INTERNAL;
		}
		if (res.read_error)
			for (size_t w = 0; w < res.n_warnings; w++)
				if (strcmp(res.warnings[w].code, "truncated") == 0 ||
				    strcmp(res.warnings[w].code, "read-error") == 0)
					fprintf(stderr, "krbflow: %s: warning: %s\n", name,
						res.warnings[w].message);
		int rc;
		errno = 0;
		if (json) {
			rc = kf_report_json(&res, stdout, ncaptures > 1);
		} else {
			if (i > optind && !multi)
				fputc('\n', stdout);
			rc = kf_report_text(&res, stdout);
		}
		if (rc != 0) {
			fprintf(stderr, "krbflow: %s: cannot write the report: %s\n", name,
				errno == ENOMEM ? "out of memory"
				: errno         ? strerror(errno)
						: "write error");
			if (status == EXIT_OK)
				status = EXIT_INTERNAL;
		}
		for (size_t f = 0; fail_on && f < res.n_findings; f++)
			if ((int)res.findings[f].severity >= fail_on && status == EXIT_OK)
				status = EXIT_FINDINGS;
		if (write_expect && st == KF_OK &&
		    kf_expect_write(&res, write_expect, err, sizeof err) != 0) {
			fprintf(stderr, "krbflow: %s: %s\n", write_expect, err);
			status = EXIT_USAGE;
		}
		if (expect && st == KF_OK) {
			fflush(stdout);
			errno = 0;
			int d = kf_expect_compare(&res, expect, stderr, err, sizeof err);
			if (d < 0) {
				bool nomem = errno == ENOMEM;
				fprintf(stderr, "krbflow: %s\n", err); /* err names the file (and line) */
				if (status != EXIT_USAGE)
					status = nomem ? EXIT_INTERNAL : EXIT_USAGE;
			} else if (d > 0 && status == EXIT_OK) {
				status = EXIT_FINDINGS;
			}
		}
		kf_result_free(&res);
	}
	kf_keyring_free(cfg.keys);
	if (fflush(stdout) != 0 && status == EXIT_OK)
		status = EXIT_INTERNAL;
	const char *count_alloc = getenv("KRBFLOW_COUNT_ALLOC");
	if (count_alloc && *count_alloc && strcmp(count_alloc, "0") != 0)
		fprintf(stderr, "krbflow: allocations: %lu\n", kf_alloc_calls() - alloc_base);
	return status;
}
