/*
 * classic.h — the project's reader of classic pcap records (private to
 * src/capture): libpcap opens the file and checks its header, this reads
 * the records after it (see classic.c).
 */
#ifndef TN_CAPTURE_CLASSIC_H
#define TN_CAPTURE_CLASSIC_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "inbuf.h"

struct tn_classic;

struct tn_classic_rec {
	uint64_t start;          /* file offset of the record's header */
	uint32_t ts_sec, ts_frac;  /* seconds, nanoseconds */
	uint32_t caplen;         /* bytes handed on: at most the snapshot length */
	uint32_t file_caplen;    /* bytes the record holds in the file */
	uint32_t wirelen;
	const uint8_t *data;     /* valid until the next call */
};

/* Whether libpcap would hand this file's records over untouched, so this reader may. */
bool tn_classic_suits(pcap_t *p);

/*
 * Reads p's stream from file offset `offset` (just after the file header).
 * With `raw`, the stream's buffer is read out first (`buffered` bytes), then
 * raw(ctx) straight into the reader's block: no copy through the stream's
 * buffer. NULL: no memory.
 */
struct tn_classic *tn_classic_create(pcap_t *p, uint64_t offset, bool usec_file,
				     tn_inbuf_source raw, void *ctx, size_t buffered);
void tn_classic_destroy(struct tn_classic *c);

/* 1 and the next record, 0 at the end, -1 with libpcap's message for a damaged file. */
int tn_classic_next(struct tn_classic *c, struct tn_classic_rec *rec, char *err, size_t errlen);

/* Where the next record begins. */
uint64_t tn_classic_offset(const struct tn_classic *c);

#endif
