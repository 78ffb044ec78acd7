/* memcheck.c - run a command, wait for it, report its peak resident memory
 * (ru_maxrss from wait4) and how it ended; a checking tool for
 * tests/hostile/run-adversarial.sh, not a timed test.
 *
 * usage: memcheck [-l LIMIT_MIB] [-t TIMEOUT_S] [-o STDOUT_FILE] [-e STDERR_FILE] -- COMMAND [ARG...]
 *
 * Prints one line on stderr:
 *   memcheck: exit=N|signal=N|timeout|killed-over-limit peak_rss_kib=K limit_kib=L verdict=ok|over-limit|crashed|timeout
 * Exit status: 0 the command ended by itself (any exit status) within the
 * limit; 1 its peak RSS exceeded the limit (it is killed as soon as its
 * resident set, polled from /proc every 10 ms, passes the limit, so that a
 * runaway run does not take the machine with it); 2 it was killed by a signal
 * (crash); 3 it ran past the timeout (killed); 4 usage or exec error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fputs("usage: memcheck [-l LIMIT_MIB] [-t TIMEOUT_S] [-o OUT] [-e ERR] -- COMMAND [ARG...]\n",
	      stderr);
	exit(4);
}

static int redirect(const char *path, int fd)
{
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (f < 0)
		return -1;
	if (dup2(f, fd) < 0)
		return -1;
	close(f);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long limit_mib = 256, timeout_s = 0;
	const char *out = NULL, *err = NULL;
	int c;
	while ((c = getopt(argc, argv, "+l:t:o:e:")) != -1) {
		switch (c) {
		case 'l': limit_mib = strtoul(optarg, NULL, 10); break;
		case 't': timeout_s = strtoul(optarg, NULL, 10); break;
		case 'o': out = optarg; break;
		case 'e': err = optarg; break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();

	pid_t pid = fork();
	if (pid < 0) {
		perror("memcheck: fork");
		return 4;
	}
	if (pid == 0) {
		if ((out && redirect(out, 1) < 0) || (err && redirect(err, 2) < 0)) {
			perror("memcheck: redirect");
			_exit(127);
		}
		execvp(argv[optind], argv + optind);
		fprintf(stderr, "memcheck: exec %s: %s\n", argv[optind], strerror(errno));
		_exit(127);
	}

	/* Poll so that a timeout needs no signal handler; 10 ms granularity. */
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int status = 0, timed_out = 0;
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	unsigned long limit_kib = limit_mib * 1024, seen_kib = 0;
	int over = 0;
	char statm[64];
	snprintf(statm, sizeof statm, "/proc/%d/statm", (int)pid);
	long page_kib = sysconf(_SC_PAGESIZE) / 1024;
	for (;;) {
		pid_t w = wait4(pid, &status, WNOHANG, &ru);
		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			perror("memcheck: wait4");
			return 4;
		}
		if (w == 0) {
			FILE *f = fopen(statm, "r");
			unsigned long size, rss;
			if (f && fscanf(f, "%lu %lu", &size, &rss) == 2) {
				rss *= (unsigned long)page_kib;
				if (rss > seen_kib)
					seen_kib = rss;
				if (limit_kib && rss > limit_kib && !over && !timed_out) {
					kill(pid, SIGKILL);
					over = 1;
				}
			}
			if (f)
				fclose(f);
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (timeout_s && !timed_out && !over &&
			    (unsigned long)(now.tv_sec - start.tv_sec) >= timeout_s) {
				kill(pid, SIGKILL);
				timed_out = 1;
			}
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	double secs = (double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9;
	unsigned long peak_kib = (unsigned long)ru.ru_maxrss; /* Linux: KiB */
	if (seen_kib > peak_kib)
		peak_kib = seen_kib;
	char how[32];
	int rc;
	const char *verdict;
	if (over) {
		snprintf(how, sizeof how, "killed-over-limit");
		verdict = "over-limit";
		rc = 1;
	} else if (timed_out) {
		snprintf(how, sizeof how, "timeout");
		verdict = "timeout";
		rc = 3;
	} else if (WIFSIGNALED(status)) {
		snprintf(how, sizeof how, "signal=%d", WTERMSIG(status));
		verdict = "crashed";
		rc = 2;
	} else {
		snprintf(how, sizeof how, "exit=%d", WEXITSTATUS(status));
		verdict = limit_kib && peak_kib > limit_kib ? "over-limit" : "ok";
		rc = limit_kib && peak_kib > limit_kib ? 1 : 0;
		if (WEXITSTATUS(status) == 127)
			rc = 4;
	}
	fprintf(stderr, "memcheck: %s peak_rss_kib=%lu limit_kib=%lu seconds=%.2f verdict=%s\n", how,
		peak_kib, limit_kib, secs, verdict);
	return rc;
}
