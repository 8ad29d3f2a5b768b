/*
 * track.h — the per-side tracker: what each endpoint of a connection has
 * shown so far, and what that makes of the current segment.
 *
 * Lives in the flow table's per-connection payload. For now it keeps each
 * side's sequence-number origin and the window scale negotiated by the SYNs
 * (RFC 7323 §2), which turn raw numbers into relative sequence numbers and
 * scaled windows. The RFC 9293 state machines will live here too.
 */
#ifndef TCPNARRATE_TRACK_H
#define TCPNARRATE_TRACK_H

#include <stdbool.h>
#include <stdint.h>

#include <tcpnarrate/decode.h>

#define TN_WSCALE_NONE (-1)   /* the SYN carried no window scale option */
#define TN_WSCALE_MAX 14      /* RFC 7323 §2.3: larger shifts are taken as 14 */

struct tn_track_side {
	uint32_t base;        /* relative numbers count from here (ISN, or first seen - 1) */
	bool base_set;
	bool syn_seen;        /* this side's SYN was seen: base is its ISN */
	int8_t wscale;        /* shift offered in its SYN, or TN_WSCALE_NONE */
	uint64_t segments;
	uint64_t payload_bytes;
};

struct tn_track_conn {
	uint64_t id;          /* 1-based, in order of first appearance */
	struct tn_track_side side[2];
};

struct tn_track {
	uint64_t next_id;
};

/* What the tracker makes of one segment, for analysis and renderers. */
struct tn_track_view {
	uint64_t conn;
	int side;                 /* which side of the flow key sent it */
	bool new_conn;
	uint32_t rel_seq;         /* relative to the sender's origin */
	uint32_t rel_ack;         /* relative to the receiver's origin (when ACK is set) */
	bool window_known;        /* scaling is known (both SYNs seen) or not applied (SYN) */
	int8_t shift;             /* shift applied to this window (0 on a SYN) */
	uint64_t window_scaled;
	bool syn_window;          /* SYN windows are never scaled (RFC 7323 §2.2) */
	uint8_t n_sack;
	uint32_t sack_rel_left[TN_MAX_SACK_BLOCKS], sack_rel_right[TN_MAX_SACK_BLOCKS];
	bool seq_base_is_isn;     /* the sender's SYN was seen */
	bool ack_base_is_isn;     /* the receiver's SYN was seen */
};

void tn_track_init(struct tn_track *tr);

/* Sets up a connection payload the flow table just created. */
void tn_track_conn_start(struct tn_track *tr, struct tn_track_conn *c);

/* Updates `c` with segment pkt sent by `side`, and says what it means. */
void tn_track_segment(struct tn_track_conn *c, int side, const struct tn_packet *pkt,
		      struct tn_track_view *out);

#endif
