/*
 * hold.c — frames kept back for -w with --conn N, until the driver knows
 * whose they are.
 *
 * An IP fragment says nothing of its connection until its datagram is whole
 * (only the first carries the TCP ports), and by then its bytes, which the
 * reader hands out one frame at a time, are gone. The driver asks for a
 * copy of each frame the engine held; when the datagram completes, the
 * pieces are written (its connection was the one chosen) or let go. The
 * store is bounded: past HOLD_FRAMES frames or HOLD_BYTES bytes the oldest
 * copy is dropped, and a dropped frame asked for later is counted
 * (tn_capture_not_held), which the driver reports. A frame of another link
 * type than the file's is held without bytes, to be counted with the other
 * frames -w cannot take.
 */
#define _DEFAULT_SOURCE /* u_int and friends, which pcap.h uses */
#include "internal.h"

#include <stdlib.h>
#include <string.h>

#define HOLD_FRAMES TN_CAPTURE_HOLD_FRAMES
#define HOLD_BYTES ((size_t)TN_CAPTURE_HOLD_MIB << 20)

struct held {
	uint64_t n;                 /* frame number; 0: the slot is free */
	struct pcap_pkthdr h;
	u_char *data;               /* NULL: of another link type, not writable */
};

struct tn_hold {
	struct held slot[HOLD_FRAMES];
	uint32_t oldest, count;     /* a ring, in the order the frames came */
	size_t bytes;
};

static void release(struct tn_hold *hd, struct held *e)
{
	hd->bytes -= e->h.caplen;
	free(e->data);
	e->data = NULL;
	e->n = 0;
}

/* The oldest slot off the ring, freed if still held (written or let go ones are free already). */
static void drop_oldest(struct tn_hold *hd)
{
	struct held *e = &hd->slot[hd->oldest];
	if (e->n)
		release(hd, e);
	hd->oldest = (hd->oldest + 1) % HOLD_FRAMES;
	hd->count--;
}

int tn_capture_hold_last(struct tn_capture *cap, uint64_t n)
{
	if (!cap->dumper)
		return -1;
	if (!cap->hold && !(cap->hold = calloc(1, sizeof *cap->hold)))
		return -1;
	struct tn_hold *hd = cap->hold;
	size_t len = cap->last_data ? cap->last_h.caplen : 0;
	while (hd->count && (hd->count == HOLD_FRAMES || hd->bytes + len > HOLD_BYTES))
		drop_oldest(hd);
	u_char *copy = NULL;
	if (cap->last_data) {
		if (!(copy = malloc(len ? len : 1)))
			return -1;
		memcpy(copy, cap->last_data, len);
	}
	struct held *e = &hd->slot[(hd->oldest + hd->count++) % HOLD_FRAMES];
	*e = (struct held){ .n = n, .h = cap->last_h, .data = copy };
	e->h.caplen = (bpf_u_int32)len; /* what the store counts; a copy is written whole */
	hd->bytes += len;
	return 0;
}

static struct held *find(struct tn_hold *hd, uint64_t n)
{
	for (uint32_t i = 0; hd && i < hd->count; i++) {
		struct held *e = &hd->slot[(hd->oldest + i) % HOLD_FRAMES];
		if (e->n == n)
			return e;
	}
	return NULL;
}

int tn_capture_dump_held(struct tn_capture *cap, uint64_t n)
{
	if (!cap->dumper)
		return -1;
	struct held *e = find(cap->hold, n);
	if (!e) {
		cap->not_held++;          /* dropped from the store before its datagram was whole */
		return -1;
	}
	if (!e->data) {
		cap->not_written++;       /* another link type */
		release(cap->hold, e);
		return -1;
	}
	pcap_dump((u_char *)cap->dumper, &e->h, e->data);
	if (cap->live)
		pcap_dump_flush(cap->dumper);
	release(cap->hold, e);
	return 0;
}

void tn_capture_let_go(struct tn_capture *cap, uint64_t n)
{
	struct held *e = find(cap->hold, n);
	if (e)
		release(cap->hold, e);
}

void tn_capture_hold_free(struct tn_capture *cap)
{
	struct tn_hold *hd = cap->hold;
	while (hd && hd->count)
		drop_oldest(hd);
	free(hd);
	cap->hold = NULL;
}
