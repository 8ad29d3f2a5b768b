/*
 * capture.h — the capture source: frames out of a pcap or pcapng file.
 *
 * The first stage of the pipeline. It wraps libpcap, applies a BPF filter
 * itself (so packet numbers stay those of the file, as in Wireshark), and
 * hands out one frame at a time. The frame's bytes belong to the source and
 * stay valid until the next call. Errors are written into a caller buffer.
 */
#ifndef TCPNARRATE_CAPTURE_H
#define TCPNARRATE_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TN_ERRBUF_SIZE 512

struct tn_capture;

struct tn_frame {
	uint64_t n;          /* 1-based position in the file, counting every packet */
	int64_t ts_sec;      /* seconds since the epoch */
	uint32_t ts_nsec;    /* nanoseconds */
	uint32_t caplen;     /* bytes captured */
	uint32_t wirelen;    /* bytes on the wire */
	const uint8_t *data;
	bool over_snaplen;   /* the record claimed more than the file's snapshot length */
	uint32_t file_caplen;/* captured length the record claimed (libpcap trims it to caplen) */
};

/*
 * Opens `path` ("-" for standard input). `filter` may be NULL or a BPF
 * expression. Returns 0, or -1 with a one-line reason in errbuf (no file
 * name: the caller adds it).
 */
int tn_capture_open_file(struct tn_capture **out, const char *path, const char *filter,
			 char *errbuf, size_t errlen);

/* 1 and a frame; 0 at the end; -1 with errbuf filled when the file is damaged. */
int tn_capture_next(struct tn_capture *cap, struct tn_frame *frame, char *errbuf, size_t errlen);

uint32_t tn_capture_linktype(const struct tn_capture *cap);
/* libpcap's name for the link type ("EN10MB"), or NULL when it has none. */
const char *tn_capture_linktype_name(const struct tn_capture *cap);
uint32_t tn_capture_snaplen(const struct tn_capture *cap);
/* Digits after the decimal point the file's timestamps carry: 6 or 9. */
int tn_capture_ts_digits(const struct tn_capture *cap);
/* Packets the filter dropped so far. */
uint64_t tn_capture_filtered(const struct tn_capture *cap);
/* Bytes of the file consumed so far (where a damaged file stopped). */
uint64_t tn_capture_offset(const struct tn_capture *cap);

void tn_capture_destroy(struct tn_capture *cap);

#endif
