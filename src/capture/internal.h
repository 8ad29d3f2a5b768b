/*
 * internal.h — the capture source's state, shared by its file and live halves.
 */
#ifndef TN_CAPTURE_INTERNAL_H
#define TN_CAPTURE_INTERNAL_H

#include <tcpnarrate/capture.h>

#include <pcap/pcap.h>
#include <signal.h>
#include <stdbool.h>

struct counted_file;

struct tn_capture {
	pcap_t *pcap;
	struct bpf_program prog;
	bool have_prog;               /* files: applied here, so numbering stays the file's */
	struct counted_file *cf;      /* files only */
	uint64_t n;
	uint64_t filtered;
	uint64_t record_start;        /* file offset where the next record begins */
	bool classic_pcap;            /* records are a 16-byte header and the bytes */
	int ts_digits;
	bool ts_usec;                 /* libpcap hands tv_usec in microseconds (live, no NANO) */
	bool live;
	volatile sig_atomic_t stop;   /* set from a signal handler: end after this packet */
	pcap_dumper_t *dumper;        /* -w: every packet delivered is written here */
	bool dump_chosen;             /* ... unless the driver chooses: tn_capture_dump_last() */
	uint64_t not_written;         /* frames -w could not take: another link type */
	struct pcap_pkthdr last_h;    /* the frame delivered last, as read, for dump_last */
	const u_char *last_data;      /* its bytes (libpcap's or the reference's), or NULL */
	struct tn_reference *reference; /* the built-in textbook connection, or NULL */
	char *path;                   /* files by name: to reopen for the pcapng fallback */
	char *filter;                 /* the BPF expression, for the fallback to compile */
	struct tn_pcapng *ng;         /* the project's pcapng reader, when libpcap refused */
	struct tn_classic *classic;   /* the project's reader of classic records, or NULL */
	struct tn_ngread *ngread;     /* the project's reader of pcapng blocks, or NULL */
	struct pcap_pkthdr classic_h; /* the header of either's last record */
	struct tn_hold *hold;         /* -w with --conn: frames held back (hold.c), or NULL */
	uint64_t not_held;            /* held frames asked for after the store dropped them */
};

void tn_capture_delivered(struct tn_capture *cap, const struct pcap_pkthdr *h,
			  const u_char *data);
int tn_capture_next_reference(struct tn_capture *cap, struct tn_frame *frame);
void tn_capture_reference_free(struct tn_capture *cap);

void tn_capture_hold_free(struct tn_capture *cap);

void tn_capture_copy_error(char *dst, size_t len, const char *msg);

#endif
