/*
 * classic.c — the records of a classic pcap file, read in large blocks.
 *
 * libpcap reads each record with two fread() calls through stdio and says
 * nothing of a record's size on disk (it trims one longer than the snapshot
 * length without a word), so the file's offset had to be asked of the
 * stream for every packet. On a big capture that reading was about a tenth of
 * --summary. libpcap still opens the file and checks its header; the records
 * after it are read here, from the same stream, a block at a time, with the
 * same rules and the same messages as libpcap 1.10's pcap_next_packet()
 * (sf-pcap.c): a header cut short, a captured length over the maximum or
 * the snapshot length, a record cut short, a read error. Only files libpcap
 * would hand over untouched come here: version 2.4, the machine's byte
 * order, and a link type with no per-packet fix-ups or special maximum.
 */
#define _DEFAULT_SOURCE /* u_int and friends, which pcap.h uses */
#include "classic.h"

#include <tcpnarrate/rd.h>

#include <stdlib.h>
#include <string.h>

#define REC_HDR 16u
#define MAX_SNAPLEN 262144u            /* libpcap's MAXIMUM_SNAPLEN */

struct tn_classic {
	struct tn_inbuf in;                /* libpcap's stream, just after the file header */
	uint32_t snapshot;
	bool usec;                         /* microsecond file: scaled to nanoseconds */
};

bool tn_classic_suits(pcap_t *p)
{
	int lt = pcap_datalink(p);
	return pcap_major_version(p) == 2 && pcap_minor_version(p) == 4 && !pcap_is_swapped(p) &&
	       lt != DLT_USB_LINUX_MMAPPED && lt != DLT_DBUS && lt != DLT_EBHSCR &&
	       lt != DLT_USBPCAP && pcap_snapshot(p) > 0;
}

struct tn_classic *tn_classic_create(pcap_t *p, uint64_t offset, bool usec_file,
				     tn_inbuf_source raw, void *ctx, size_t buffered)
{
	struct tn_classic *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	if (tn_inbuf_init(&c->in, pcap_file(p), offset, raw, ctx, buffered) < 0) {
		free(c);
		return NULL;
	}
	c->snapshot = (uint32_t)pcap_snapshot(p);
	c->usec = usec_file;
	return c;
}

void tn_classic_destroy(struct tn_classic *c)
{
	if (!c)
		return;
	tn_inbuf_free(&c->in);
	free(c);
}

uint64_t tn_classic_offset(const struct tn_classic *c)
{
	return c->in.offset;
}

/* The record's lengths against libpcap's limits; false with its message. */
static bool sane(const struct tn_classic *c, uint32_t caplen, char *err, size_t errlen)
{
	if (caplen <= MAX_SNAPLEN)
		return true;
	if (caplen > c->snapshot)
		snprintf(err, errlen, "invalid packet capture length %u, bigger than snaplen of %u",
			 caplen, c->snapshot);
	else
		snprintf(err, errlen, "invalid packet capture length %u, bigger than maximum of %u",
			 caplen, MAX_SNAPLEN);
	return false;
}

int tn_classic_next(struct tn_classic *c, struct tn_classic_rec *rec, char *err, size_t errlen)
{
	struct tn_inbuf *in = &c->in;
	if (tn_inbuf_fill(in, REC_HDR) < 0)
		return tn_inbuf_failed(err, errlen);
	size_t have = tn_inbuf_avail(in);
	if (have == 0)
		return 0;
	if (have < REC_HDR) {
		snprintf(err, errlen, "truncated dump file; tried to read %u header bytes, only got %zu",
			 REC_HDR, have);
		return -1;
	}
	struct tn_rd h;
	tn_rd_init(&h, tn_inbuf_at(in), REC_HDR);
	rec->ts_sec = tn_rd_le32(&h);
	rec->ts_frac = tn_rd_le32(&h);
	if (c->usec)
		rec->ts_frac *= 1000u; /* as libpcap's SCALE_UP, kept to 32 bits as a frame's field is */
	uint32_t caplen = tn_rd_le32(&h);
	rec->wirelen = tn_rd_le32(&h);
	if (!sane(c, caplen, err, errlen))
		return -1;
	if (tn_inbuf_fill(in, REC_HDR + caplen) < 0)
		return tn_inbuf_failed(err, errlen);
	have = tn_inbuf_avail(in) - REC_HDR;
	uint32_t keep = caplen > c->snapshot ? c->snapshot : caplen;
	if (have < caplen) {
		snprintf(err, errlen, "truncated dump file; tried to read %u captured bytes, only got %zu",
			 have < keep ? keep : caplen, have);
		return -1;
	}
	rec->start = in->offset;
	rec->data = tn_inbuf_at(in) + REC_HDR;
	rec->caplen = keep;
	rec->file_caplen = caplen;
	tn_inbuf_take(in, REC_HDR + caplen);
	return 1;
}
