/* spawn.c - run one command as the benchmark measures it: from a small
 * process, so that the peak RSS wait4 reports is the command's own and not
 * inherited from a large parent (ru_maxrss survives fork and exec).
 *
 * usage: krbflow-bench-spawn CPU COMMAND [ARG...]     (CPU -1: no pinning)
 * Prints on stderr, last line: "spawn: wall_s=W cpu_s=C peak_kib=K exit=N"
 * (exit=-S when killed by signal S).  The command's stdout goes to /dev/null.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: krbflow-bench-spawn CPU COMMAND [ARG...]\n");
		return 2;
	}
	int cpu = atoi(argv[1]);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		perror("spawn: fork");
		return 2;
	}
	if (pid == 0) {
		if (cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof set, &set);
		}
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("spawn: wait4");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	double cpu_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
		       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
	fprintf(stderr, "spawn: wall_s=%.6f cpu_s=%.6f peak_kib=%ld exit=%d\n", wall, cpu_s, ru.ru_maxrss,
		code);
	return 0;
}
