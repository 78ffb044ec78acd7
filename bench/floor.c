/* floor.c - the benchmark's floor: the least any libpcap-based tool can do
 * with a capture.  It reads every packet with pcap_next_ex and touches one
 * byte in every 64 of it, so that the data really comes through memory.
 *
 * usage: krbflow-floor FILE    prints "packets bytes checksum"
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: krbflow-floor FILE\n");
		return 2;
	}
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(argv[1], err);
	if (!p) {
		fprintf(stderr, "krbflow-floor: %s\n", err);
		return 2;
	}
	struct pcap_pkthdr *h;
	const unsigned char *data;
	uint64_t packets = 0, bytes = 0;
	unsigned sum = 0;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		bytes += h->caplen;
		for (uint32_t i = 0; i < h->caplen; i += 64)
			sum += data[i];
	}
	if (rc == PCAP_ERROR)
		fprintf(stderr, "krbflow-floor: %s\n", pcap_geterr(p));
	pcap_close(p);
	/* the sum is printed so that the reads cannot be optimised away */
	printf("%llu %llu %u\n", (unsigned long long)packets, (unsigned long long)bytes, sum);
	return rc == PCAP_ERROR ? 1 : 0;
}
