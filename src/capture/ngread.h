/*
 * ngread.h — the project's reader of pcapng blocks after libpcap has opened
 * the file (private to src/capture; see ngread.c).
 */
#ifndef TN_CAPTURE_NGREAD_H
#define TN_CAPTURE_NGREAD_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>

#include "inbuf.h"
#include "pcapng.h"

/* tn_ngread_next(): a block libpcap stops at, left unread for pcapng.c. */
#define TN_NGREAD_OTHER 2

struct tn_ngread;

/*
 * The first interface libpcap read when it opened the file (its options
 * are libpcap's private state), and where the blocks after it begin.
 */
struct tn_ngread_first {
	uint64_t tsresol;       /* units a second: 10^exp or 2^exp */
	bool binary;            /* a power of 2 */
	uint8_t exp;
	uint64_t tsoffset;      /* seconds added to every timestamp */
	uint32_t snaplen;       /* as the block gives it */
	uint64_t end;           /* file offset just after its block */
};

/*
 * Whether libpcap would hand this file's packets over untouched (its byte
 * order, a link type with no per-packet fix-ups or special maximum), and
 * the first interface found in the first `len` bytes of the file, as libpcap
 * found it. False: libpcap reads the file.
 */
bool tn_ngread_suits(pcap_t *p, const uint8_t *peek, size_t len,
		     struct tn_ngread_first *first);

/* Reads p's stream from first->end on (inbuf.h for raw and buffered). NULL: no memory. */
struct tn_ngread *tn_ngread_create(pcap_t *p, const struct tn_ngread_first *first,
				   tn_inbuf_source raw, void *ctx, size_t buffered);
void tn_ngread_destroy(struct tn_ngread *g);

/*
 * 1 and the next packet (its header as pcap_next_ex() gives it; the bytes
 * valid until the next call), 0 at the end, -1 with libpcap's message.
 * TN_NGREAD_OTHER: the next block is an interface unlike the first or a
 * section in the other byte order, where libpcap stops: it is left unread,
 * for tn_ngread_hand_over().
 */
int tn_ngread_next(struct tn_ngread *g, struct pcap_pkthdr *h, const uint8_t **data,
		   char *err, size_t errlen);

/*
 * pcapng.c's reader, taking over the input and the section's interfaces
 * where tn_ngread_next() returned TN_NGREAD_OTHER. -1 with a reason.
 */
int tn_ngread_hand_over(struct tn_ngread *g, const char *filter, struct tn_pcapng **out,
			char *err, size_t errlen);

/* The file offset the next block begins at. */
uint64_t tn_ngread_offset(const struct tn_ngread *g);

#endif
