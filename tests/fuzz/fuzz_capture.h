/* fuzz_capture.h - run bytes through the whole pipeline as a capture file:
 * written into a memfd and opened as /proc/self/fd/N by kf_analyze (libpcap
 * reads a FILE, so no temporary file touches the disk), then rendered by both
 * reports into /dev/null and freed.  For fuzz_flow and fuzz_pcap. */
#ifndef KF_FUZZ_CAPTURE_H
#define KF_FUZZ_CAPTURE_H

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "analyzer.h"
#include "report.h"

static inline void fuzz_analyze_bytes(const uint8_t *data, size_t size)
{
	static int fd = -1;
	static FILE *devnull;
	static char path[64];
	if (fd < 0) {
		fd = memfd_create("krbflow-fuzz", MFD_CLOEXEC);
		if (fd < 0) {
			perror("memfd_create");
			abort();
		}
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		devnull = fopen("/dev/null", "w");
		if (!devnull) {
			perror("/dev/null");
			abort();
		}
	}
	if (ftruncate(fd, 0) != 0)
		abort();
	size_t off = 0;
	while (off < size) {
		ssize_t w = pwrite(fd, data + off, size - off, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			abort();
		off += (size_t)w;
	}

	struct kf_config cfg = { 0 };
	struct kf_result res;
	memset(&res, 0, sizeof res);
	char err[256];
	enum kf_status st = kf_analyze(path, &cfg, &res, err, sizeof err);
	if (getenv("KF_REPLAY_VERBOSE")) /* what the replay saw, for triage */
		fprintf(stderr, "  status %d%s%s: %llu packets, %zu messages, %zu findings\n", (int)st,
			st != KF_OK ? " " : "", st != KF_OK ? err : "", (unsigned long long)res.packets,
			res.n_messages, res.n_findings);
	if (st == KF_OK) {
		(void)kf_report_json(&res, devnull, false);
		(void)kf_report_json(&res, devnull, true);
		(void)kf_report_text(&res, devnull);
	}
	kf_result_free(&res);
}

#endif
