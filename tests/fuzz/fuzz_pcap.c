/* fuzz_pcap.c - whole capture files (pcap or pcapng) through kf_analyze and
 * both reports: libpcap, the built-in pcapng reader, defragmentation, TCP
 * reassembly, every decoder, the rules and the stories (STYLE.md 22). */
#define _GNU_SOURCE /* memfd_create */
#include "fuzz.h"
#include "fuzz_capture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_analyze_bytes(data, size);
	return 0;
}
