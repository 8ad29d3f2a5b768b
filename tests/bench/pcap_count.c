/*
 * pcap_count.c — the benchmark's floor: a bare libpcap loop that reads every
 * record of a capture file and only counts them. Nothing can read a file
 * through libpcap faster, so every tool's time is compared with this one's.
 *
 * With --fopen the file is opened with fopen(), given a 256 KiB stdio buffer
 * and handed to pcap_fopen_offline() (what tcpnarrate does); without, it is
 * pcap_open_offline(), which reads through the default stdio buffer (4 KiB).
 *
 * usage: pcap_count [--fopen] FILE     prints the number of packets
 */
#define _DEFAULT_SOURCE /* u_int, u_char in pcap.h under -std=c11 */
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>

#define READ_BUF (256 * 1024)

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	int use_fopen = argc == 3 && strcmp(argv[1], "--fopen") == 0;
	if (argc != 2 + use_fopen) {
		fprintf(stderr, "usage: pcap_count [--fopen] FILE\n");
		return 2;
	}
	const char *path = argv[argc - 1];
	pcap_t *p;
	if (use_fopen) {
		FILE *f = fopen(path, "rb");
		if (!f || setvbuf(f, NULL, _IOFBF, READ_BUF) != 0) {
			perror(path);
			return 1;
		}
		p = pcap_fopen_offline(f, err);
	} else {
		p = pcap_open_offline(path, err);
	}
	if (!p) {
		fprintf(stderr, "pcap_count: %s: %s\n", path, err);
		return 1;
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned long long n = 0;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1)
		n++;
	if (rc == PCAP_ERROR)
		fprintf(stderr, "pcap_count: %s: %s\n", path, pcap_geterr(p));
	pcap_close(p);
	printf("%llu\n", n);
	return rc == PCAP_ERROR;
}
