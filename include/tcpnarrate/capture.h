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
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

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
	uint32_t linktype;   /* DLT_ value of the interface it was captured on */
};

/*
 * A frame's capture time in nanoseconds since the epoch, for arithmetic
 * (differences, timeouts). Seconds are clamped to about ±142 years around
 * 1970, so that any two such times can be subtracted and a timeout added
 * without overflowing: a corrupt file may claim any 64-bit time. Printing
 * uses ts_sec itself.
 */
#define TN_NS_SEC_LIMIT 4500000000LL
static inline int64_t tn_frame_ns(const struct tn_frame *f)
{
	int64_t s = f->ts_sec;
	if (s > TN_NS_SEC_LIMIT)
		s = TN_NS_SEC_LIMIT;
	if (s < -TN_NS_SEC_LIMIT)
		s = -TN_NS_SEC_LIMIT;
	return s * 1000000000 + (int64_t)(f->ts_nsec % 1000000000u);
}

/*
 * Opens `path` ("-" for standard input). `filter` may be NULL or a BPF
 * expression. Returns 0, or -1 with a one-line reason in errbuf (no file
 * name: the caller adds it).
 */
int tn_capture_open_file(struct tn_capture **out, const char *path, const char *filter,
			 char *errbuf, size_t errlen);

struct tn_live_opts {
	int snaplen;          /* bytes kept per packet; 0 for libpcap's default (262144) */
	int buffer_kib;       /* kernel buffer in KiB; 0 for libpcap's default */
};

/*
 * Opens interface `iface` for live capture in immediate mode (each packet is
 * delivered as it arrives), with `filter` (may be NULL) compiled into the
 * kernel. -1 with a one-line reason that says what to do: no such interface
 * (and which there are), no permission (run as root or grant
 * CAP_NET_RAW,CAP_NET_ADMIN), interface down, bad filter.
 */
int tn_capture_open_live(struct tn_capture **out, const char *iface, const char *filter,
			 const struct tn_live_opts *lo, char *errbuf, size_t errlen);

/*
 * The textbook connection built in: curl http://10.0.2.10/ from 10.0.1.5,
 * client ISN 1000, server ISN 4500, no options, a GET, a 200-byte response,
 * every segment acknowledged at once, the client closing: 11 segments, as
 * Ethernet frames with correct checksums, starting at TN_REFERENCE_EPOCH.
 */
#define TN_REFERENCE_SEGMENTS 11
#define TN_REFERENCE_CLIENT_PORT 49152
#define TN_REFERENCE_CLIENT_ISN 1000
#define TN_REFERENCE_SERVER_ISN 4500
#define TN_REFERENCE_EPOCH 1767225600 /* 2026-01-01 00:00:00 UTC */
int tn_capture_open_reference(struct tn_capture **out, char *errbuf, size_t errlen);

/* Writes every packet delivered from now on to a pcap file, flushed as it goes. */
int tn_capture_dump_open(struct tn_capture *cap, const char *path, char *errbuf, size_t errlen);

/*
 * -w for the frames the driver chooses (--conn N): from now on
 * tn_capture_next() writes nothing itself, and tn_capture_dump_last() writes
 * the frame it delivered last, with its record header as read (live: flushed
 * at once). dump_last returns 0, or -1 when there is no -w file or no frame.
 */
void tn_capture_dump_chosen(struct tn_capture *cap);
int tn_capture_dump_last(struct tn_capture *cap);

/*
 * Frames whose connection is not known yet (IP fragments held by the
 * engine): hold_last keeps a copy of the frame delivered last, as frame n;
 * dump_held writes held frame n with its header as read and lets it go
 * (-1, and the frame counted as not written, when it is not held: the
 * store is bounded, oldest dropped first); let_go forgets it unwritten.
 */
#define TN_CAPTURE_HOLD_FRAMES 256u        /* frames held at once, at most ... */
#define TN_CAPTURE_HOLD_MIB 8u             /* ... and MiB of them */
int tn_capture_hold_last(struct tn_capture *cap, uint64_t n);
int tn_capture_dump_held(struct tn_capture *cap, uint64_t n);
void tn_capture_let_go(struct tn_capture *cap, uint64_t n);

/* Safe from a signal handler: the next tn_capture_next() returns 0. */
void tn_capture_break(struct tn_capture *cap);

/*
 * The flag a signal handler sets to stop reading (process-wide; NULL: none).
 * A read from a pipe or FIFO waits for data at most 0.2 s at a time and,
 * once *flag is set, reads as the end of the input: so a stop reaches a
 * quiet pipe even when the handler restarts interrupted calls.
 */
void tn_capture_stop_flag(const volatile sig_atomic_t *flag);

struct tn_capture_stats {
	uint64_t received;    /* packets the filter accepted */
	uint64_t dropped;     /* dropped by the kernel: no room in the buffer */
	uint64_t if_dropped;  /* dropped by the interface or its driver */
};
/* Live only: libpcap's counters; -1 when they are not available. */
int tn_capture_stats(struct tn_capture *cap, struct tn_capture_stats *st);

bool tn_capture_is_live(const struct tn_capture *cap);
bool tn_capture_is_reference(const struct tn_capture *cap);

/* Prints the interfaces libpcap can capture on, one per line; -1 and errbuf on failure. */
int tn_capture_list_interfaces(FILE *out, char *errbuf, size_t errlen);

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
/* Records read so far, the filter's included: the number of the last frame read. */
uint64_t tn_capture_frames(const struct tn_capture *cap);
/* Bytes of the file consumed so far (where a damaged file stopped). */
uint64_t tn_capture_offset(const struct tn_capture *cap);

/*
 * Frames -w could not write: a pcap file holds one link type, the first
 * interface's, and a pcapng file whose interfaces differ has frames of others.
 */
uint64_t tn_capture_not_written(const struct tn_capture *cap);
/* Fragments -w had to leave out: the store of held frames dropped them before their datagram was whole. */
uint64_t tn_capture_not_held(const struct tn_capture *cap);

void tn_capture_destroy(struct tn_capture *cap);

#endif
