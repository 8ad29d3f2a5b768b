/*
 * reasm.h — IPv4 and IPv6 fragment reassembly, in a bounded table.
 *
 * Between the decoder and the flow table. A TCP segment sent in IP fragments
 * (RFC 791 §3.2, RFC 8200 §4.5) is held here fragment by fragment and handed
 * back whole, as the datagram the receiver would rebuild, at its last
 * fragment, with the list of fragments it was made of. The table is
 * created with its limits: datagrams in progress, bytes of fragment data,
 * and a timeout in capture time; a fragment that would go past a limit is
 * not held (the caller handles it as if there were no reassembly) and is
 * counted. Overlapping fragments are reported as such: the bytes that
 * arrived first are kept, and whether the copies differ is said.
 *
 * The decoder never allocates; this table does, within its limits, and owns
 * every byte it holds. What tn_reasm_add() hands back lives until the next
 * call on the table.
 */
#ifndef TCPNARRATE_REASM_H
#define TCPNARRATE_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tcpnarrate/decode.h>

#define TN_REASM_MAX_FRAGS 64          /* fragments of one datagram */
#define TN_REASM_DEFAULT_BYTES (4u << 20)
#define TN_REASM_DEFAULT_ENTRIES 1024u
#define TN_REASM_DEFAULT_TIMEOUT_SEC 30 /* Linux's ipfrag_time */

struct tn_reasm;

struct tn_reasm_limits {
	size_t max_bytes;      /* fragment data held at once; 0: TN_REASM_DEFAULT_BYTES */
	uint32_t max_entries;  /* datagrams in progress at once; 0: TN_REASM_DEFAULT_ENTRIES */
	int64_t timeout_ns;    /* capture time from a datagram's first fragment; 0: default */
};

/* One fragment of a reassembled datagram, in the order of the capture. */
struct tn_frag_ref {
	uint64_t n;            /* frame number */
	uint32_t offset, len;  /* bytes of the fragmentable part it carried */
	bool overlap;          /* it overlapped a fragment that came before it */
	bool duplicate;        /* exactly the range of one that came before it */
};

/* A datagram made whole. */
struct tn_reasm_done {
	const uint8_t *frame;  /* link header, IP header (no longer a fragment), whole payload */
	uint32_t len;
	uint8_t n_frags;
	struct tn_frag_ref frags[TN_REASM_MAX_FRAGS];
	uint32_t overlap_bytes;/* bytes that arrived more than once */
	bool conflict;         /* ... and some of them differed: the first copy was kept */
};

enum tn_reasm_result {
	TN_REASM_NOT_FRAGMENT = 0, /* not a TCP fragment this table takes: decode as usual */
	TN_REASM_HELD,             /* held until the datagram is complete */
	TN_REASM_DONE,             /* this was the last piece: *done is the datagram */
	TN_REASM_REFUSED,          /* a limit, or a fragment that cannot be held: counted */
};

struct tn_reasm_stats {
	uint64_t fragments;    /* fragments held */
	uint64_t reassembled;  /* datagrams made whole */
	uint64_t timed_out;    /* datagrams given up after the timeout */
	uint64_t incomplete;   /* datagrams still missing pieces at the end */
	uint64_t table_full;   /* fragments refused: max_entries datagrams in progress */
	uint64_t memory_full;  /* fragments refused: max_bytes held */
	uint64_t too_many;     /* datagrams given up: more than TN_REASM_MAX_FRAGS pieces */
	uint64_t cut;          /* fragments refused: cut by the snapshot length, or bad sizes */
	uint64_t overlaps;     /* reassembled datagrams with overlapping fragments */
};

int tn_reasm_create(struct tn_reasm **out, const struct tn_reasm_limits *lim, char *errbuf,
		    size_t errlen);
void tn_reasm_destroy(struct tn_reasm *r);

/*
 * Frame `frame` (caplen bytes, number n, capture time now_ns), decoded into
 * pkt with result res. A TCP fragment is held, or completes its datagram.
 * Datagrams past the timeout are dropped first.
 */
enum tn_reasm_result tn_reasm_add(struct tn_reasm *r, const struct tn_packet *pkt,
				  enum tn_decode_result res, const uint8_t *frame,
				  uint32_t caplen, uint64_t n, int64_t now_ns,
				  struct tn_reasm_done *done);

/* Counts so far; at the end, datagrams still held count as incomplete. */
void tn_reasm_stats(const struct tn_reasm *r, bool at_end, struct tn_reasm_stats *st);

#endif
