/*
 * pcapng.h — the project's own pcapng block reader (internal to the capture source).
 *
 * libpcap 1.10 refuses a pcapng file whose interfaces differ in link type or
 * snapshot length. For such files the capture source falls back to this
 * reader, from the start, or in place where ngread.c stops
 * (tn_pcapng_resume()): it keeps every interface of the current section, with its own link
 * type, snapshot length, timestamp resolution and offset, and hands out
 * packets (EPB, SPB, OPB) each with its interface's link type. Blocks it
 * does not use are skipped. The BPF filter is compiled once per interface
 * for that interface's link type (pcap_open_dead) and applied here.
 */
#ifndef TN_CAPTURE_PCAPNG_H
#define TN_CAPTURE_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <pcap/pcap.h>

#include "inbuf.h"

struct tn_pcapng;

struct tn_pcapng_rec {
	uint32_t linktype;
	uint32_t snaplen;     /* the interface's; 0 when it set none */
	int64_t ts_sec;
	uint32_t ts_nsec;
	uint32_t caplen;      /* trimmed to the snapshot length */
	uint32_t file_caplen; /* what the block claimed */
	uint32_t wirelen;
	const uint8_t *data;
	bool filtered_out;    /* the filter dropped it */
};

/*
 * Reads from `f`, which it closes at destroy, from its current position (the
 * start of a section header); with `raw`, straight from what feeds f, f's
 * own buffer being empty (inbuf.h: a pipe's bytes are taken as they come).
 * `filter` may be NULL. Opening reads nothing: errors show at the first
 * tn_pcapng_next().
 */
int tn_pcapng_create(struct tn_pcapng **out, FILE *f, tn_inbuf_source raw, void *ctx,
		     const char *filter, char *errbuf, size_t errlen);

/* An interface already read by ngread.c, for tn_pcapng_resume(). */
struct tn_pcapng_iface {
	uint32_t linktype;    /* a DLT_ value */
	uint32_t snaplen;     /* as its block gives it; 0 for none */
	bool pow2;            /* timestamps in units of 2^-exp s, else 10^-exp s */
	uint8_t exp;
	uint64_t tsoffset;    /* if_tsoffset's 64 bits: seconds added */
};

/*
 * Takes over where ngread.c stopped, in a section of byte order `le`
 * (little-endian): the file's input (moved from *in, which is left empty)
 * and the section's interfaces so far; the next block is the first it
 * reads. Reads nothing; closes no FILE (libpcap's handle still owns it).
 */
int tn_pcapng_resume(struct tn_pcapng **out, struct tn_inbuf *in, bool le,
		     const struct tn_pcapng_iface *ifs, uint32_t n, const char *filter,
		     char *errbuf, size_t errlen);

/* 1 and a packet record; 0 at the end; -1 with a one-line reason. */
int tn_pcapng_next(struct tn_pcapng *g, struct tn_pcapng_rec *rec, char *errbuf, size_t errlen);

/* Bytes of the file consumed so far; where the block being read started. */
uint64_t tn_pcapng_block_start(const struct tn_pcapng *g);

/*
 * True when the IDBs found in the first `len` bytes of a pcapng file differ
 * in link type or snapshot length: libpcap would refuse the file. The first
 * interface's link type and snapshot length are stored when there is one.
 */
bool tn_pcapng_mixed_interfaces(const uint8_t *p, size_t len, uint32_t *first_lt,
				uint32_t *first_snap);

void tn_pcapng_destroy(struct tn_pcapng *g);

#endif
