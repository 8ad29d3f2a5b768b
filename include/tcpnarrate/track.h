/*
 * track.h — the per-side tracker: what each endpoint of a connection has
 * shown so far, and what that makes of the current segment.
 *
 * Lives in the flow table's per-connection payload. It keeps each side's
 * sequence-number origin and the window scale negotiated by the SYNs
 * (RFC 7323 §2), which turn raw numbers into relative sequence numbers and
 * scaled windows (seqspace.c); each endpoint's RFC 9293 state, inferred by a
 * passive observer (state.c); and the connection's life: who is client and
 * server, port reuse, TIME-WAIT running out in capture time, and the report
 * written when it ends (conn.c).
 */
#ifndef TCPNARRATE_TRACK_H
#define TCPNARRATE_TRACK_H

#include <stdbool.h>
#include <stdint.h>

#include <tcpnarrate/decode.h>

/* RFC 9293 §3.3.2 connection states. */
enum tn_state {
	TN_ST_CLOSED = 0,
	TN_ST_LISTEN,
	TN_ST_SYN_SENT,
	TN_ST_SYN_RECEIVED,
	TN_ST_ESTABLISHED,
	TN_ST_FIN_WAIT_1,
	TN_ST_FIN_WAIT_2,
	TN_ST_CLOSE_WAIT,
	TN_ST_CLOSING,
	TN_ST_LAST_ACK,
	TN_ST_TIME_WAIT,
	TN_ST_COUNT
};

/* Why a side's state changed, or why a segment left it alone. */
enum tn_why {
	TN_WHY_NONE = 0,            /* nothing this segment does moves this side */
	TN_WHY_SENT_SYN,            /* CLOSED → SYN-SENT */
	TN_WHY_GOT_SYN,             /* LISTEN → SYN-RECEIVED */
	TN_WHY_SENT_SYNACK,         /* LISTEN → SYN-RECEIVED, the SYN itself unseen */
	TN_WHY_GOT_SYNACK,          /* SYN-SENT → ESTABLISHED */
	TN_WHY_GOT_ACK_OF_SYN,      /* SYN-RECEIVED → ESTABLISHED */
	TN_WHY_SIMULTANEOUS_OPEN,   /* SYN-SENT → SYN-RECEIVED: both sent SYNs */
	TN_WHY_SENT_FIN,            /* ESTABLISHED/SYN-RECEIVED → FIN-WAIT-1 */
	TN_WHY_SENT_FIN_SECOND,     /* CLOSE-WAIT → LAST-ACK */
	TN_WHY_GOT_FIN,             /* ESTABLISHED → CLOSE-WAIT */
	TN_WHY_GOT_ACK_OF_FIN,      /* FIN-WAIT-1 → FIN-WAIT-2 */
	TN_WHY_SIMULTANEOUS_CLOSE,  /* FIN-WAIT-1 → CLOSING */
	TN_WHY_GOT_FIN_AFTER_OURS,  /* FIN-WAIT-2 → TIME-WAIT */
	TN_WHY_GOT_FIN_AND_ACK,     /* FIN-WAIT-1 → TIME-WAIT in one segment */
	TN_WHY_CLOSING_ACKED,       /* CLOSING → TIME-WAIT */
	TN_WHY_LAST_ACK_ACKED,      /* LAST-ACK → CLOSED */
	TN_WHY_TIME_WAIT_OVER,      /* TIME-WAIT → CLOSED, 2×MSL of capture time later */
	TN_WHY_TIME_WAIT_AGAIN,     /* TIME-WAIT restarted by a retransmitted FIN */
	TN_WHY_SENT_RST,            /* any → CLOSED: it aborted */
	TN_WHY_GOT_RST,             /* any → CLOSED: the peer aborted */
	TN_WHY_REFUSED,             /* SYN-SENT → CLOSED: RST answering the SYN */
	TN_WHY_NOT_LISTENING,       /* LISTEN (inferred) → CLOSED: it refused the SYN */
	TN_WHY_RST_IGNORED,         /* RST outside the window: not accepted (RFC 5961 §3.2) */
	TN_WHY_RST_CHALLENGED,      /* RST in the window but not exact: challenge ACK */
	TN_WHY_RETRANSMISSION,      /* a SYN, SYN-ACK or FIN sent again: no change */
	TN_WHY_AFTER_CLOSE,         /* a segment from or to a side that has closed */
	TN_WHY_SYN_CHALLENGED,      /* a SYN inside a synchronized connection: challenge ACK, no change */
	TN_WHY_FIN_TAKEN,           /* ESTABLISHED → CLOSE-WAIT: its ACK shows a FIN held back is taken now */
	TN_WHY_FIN_TAKEN_THEN_FIN,  /* ESTABLISHED → LAST-ACK: that, and its own FIN in the same segment */
	TN_WHY_COUNT
};

#define TN_WSCALE_NONE (-1)   /* the SYN carried no window scale option */
#define TN_WSCALE_MAX 14      /* RFC 7323 §2.3: larger shifts are taken as 14 */

/*
 * Fields are ordered (and flags are bit-fields) so that a connection stays
 * within its memory budget: see tn_conn in pipeline.h.
 */
struct tn_track_side {
	uint32_t base;        /* relative numbers count from here (ISN, or first seen - 1) */
	/* what the state machine needs to know of this side (state.c) */
	uint32_t isn;         /* sequence number of its SYN */
	uint32_t fin_seq;     /* sequence number its FIN occupies */
	uint32_t snd_nxt;     /* one past the highest sequence number it has sent */
	uint32_t last_ack;    /* highest acknowledgement it has sent */
	int8_t wscale;        /* shift offered in its SYN, or TN_WSCALE_NONE */
	uint8_t state;        /* enum tn_state */
	bool base_set : 1;
	bool syn_seen : 1;    /* this side's SYN was seen: base is its ISN */
	bool syn_sent : 1, synack_sent : 1, fin_sent : 1, syn_acked : 1, fin_acked : 1;
	bool passive : 1;     /* it was listening: its connection came from a passive open */
	bool snd_nxt_set : 1, ack_sent : 1;
	/*
	 * Its last state change, when a segment reaching it caused it: the state
	 * before, why, in which frame, and the ACK it would send to prove the
	 * segment arrived (unconfirmed until it does). Its own segments can
	 * prove such a change came later than the capture shows (state.c).
	 */
	bool by_receive : 1, unconfirmed : 1;
	uint8_t prev_state, recv_why;
	uint32_t confirm_ack;
	uint64_t changed_n;
	uint64_t segments;
	uint64_t payload_bytes;
	uint32_t window;      /* last window it advertised, in bytes when known (≤ 65535 << 14) */
	uint32_t changed_ms;  /* when that change was shown: ms after the connection's first segment */
};

/* How a side's own segment proves an earlier state shown for it wrong. */
enum tn_corr {
	TN_CORR_NONE = 0,
	TN_CORR_SENT_AFTER_CLOSE,   /* it sent a segment a closed endpoint cannot: the ACK that closed it had not reached it */
	TN_CORR_SYN_UNSEEN,         /* its SYN has no ACK: the peer's SYN had not reached it (simultaneous open) */
	TN_CORR_FIN_UNSEEN,         /* its FIN does not acknowledge the peer's: that FIN had not reached it (simultaneous close) */
	TN_CORR_FIN_ACK_UNSEEN,     /* it sent its FIN again: the ACK of it had not reached it */
	TN_CORR_FIN_NOT_TAKEN,      /* its ACK does not cover the peer's FIN: not taken yet (in flight, or out of order) */
	TN_CORR_FIN_LOST,           /* the peer sent its FIN again after 0.5 s of silence: the earlier copy was not taken */
	TN_CORR_COUNT
};

/* How a connection ended, for its report. */
enum tn_end {
	TN_END_OPEN = 0,      /* still open when the capture (or tracking) ended */
	TN_END_FIN,           /* FIN both ways */
	TN_END_RST,           /* a reset */
	TN_END_REFUSED,       /* the SYN was answered with a reset */
	TN_END_HALF_OPEN,     /* the handshake never completed */
};

/* Why the tracker stopped following a connection, for its report. */
enum tn_report_why {
	TN_REPORT_CLOSED = 0, /* both sides closed (or one in TIME-WAIT): the usual end */
	TN_REPORT_END_OF_CAPTURE,
	TN_REPORT_REUSED,     /* a new SYN reused the port pair */
	TN_REPORT_EVICTED,    /* the flow table was full */
	TN_REPORT_IDLE,       /* nothing seen for the idle timeout */
};

struct tn_track_conn {
	uint64_t id;          /* 1-based, in order of first appearance */
	struct tn_track_side side[2];
	int8_t client;        /* side index of the client */
	bool roles_inferred;  /* joined mid-connection: roles from the ports */
	bool port_reused;     /* a SYN reused the pair of an earlier connection */
	bool reported;        /* its report has been written */
	int8_t closed_first;  /* side that sent the first FIN, -1 for none */
	int8_t rst_by;        /* side whose reset was accepted, -1 for none */
	bool refused;
	bool established;     /* both sides reached ESTABLISHED at some point */
	int64_t first_ns, last_ns;     /* capture time of first and last segment */
	int64_t time_wait_end_ns;      /* when TIME-WAIT runs out, if a side is in it */
	struct tn_track_conn *tw_prev, *tw_next; /* queue of connections in TIME-WAIT */
	void *owner;          /* the record that holds this one (the pipeline's tn_conn) */
};

struct tn_track {
	uint64_t next_id;
	int64_t msl_ns;       /* TIME-WAIT lasts 2 × MSL */
	uint64_t now_n;       /* the frame being tracked, for corrections (0 when unknown) */
	struct tn_track_conn *tw_head, *tw_tail; /* in order of TIME-WAIT start */
};

#define TN_MSL_DEFAULT_SEC 30 /* Linux holds TIME-WAIT 60 s (TCP_TIMEWAIT_LEN) */

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

	/* state machines (state.c); indexed by side */
	int client;               /* side index of the client */
	bool roles_inferred;
	bool port_reused;         /* this segment's SYN started a connection on a used pair */
	uint8_t before[2], after[2];      /* enum tn_state */
	uint8_t why[2];                   /* enum tn_why */
	bool inferred[2];                 /* `before` was inferred, not seen (LISTEN) */
	bool confirmed[2];                /* `after` is proven by the side's own segments */
	/*
	 * A correction this segment proves (corr_side >= 0): the state shown for
	 * corr_side after frame corr_from_n and before this one was corr_shown;
	 * it really was corr_held, and corr_why says how the wire shows it.
	 */
	int8_t corr_side;
	uint8_t corr_shown, corr_held, corr_why;
	uint64_t corr_from_n;
	bool conn_closed;         /* this segment ended the connection */
};

/* A connection's report, written when it ends or when tracking stops. */
struct tn_conn_report {
	const struct tn_track_conn *conn;
	int client;               /* side index of the client (the ports decide when unknown) */
	enum tn_report_why why;
	enum tn_end how;
	int time_wait_side;       /* side left in TIME-WAIT, -1 for none, 2 for both */
	double duration;          /* seconds from first to last segment */
	double time_wait_sec;     /* how long TIME-WAIT lasts (2 × MSL) */
};

void tn_track_init(struct tn_track *tr);

/*
 * Sets up a connection record the pipeline just created; owner is the record
 * holding it, handed back by tn_track_time_wait_expired()'s caller through
 * c->owner (NULL when there is none).
 */
void tn_track_conn_start(struct tn_track *tr, struct tn_track_conn *c, void *owner);

/* RFC 9293 spelling of a state ("SYN-RECEIVED"). */
const char *tn_state_name(enum tn_state st);

/*
 * Before a segment is tracked on an existing entry: does this segment's SYN
 * start a new connection on a pair whose old connection has closed (or sits
 * in TIME-WAIT)? If so the caller reports the old one (unless already
 * reported) and calls tn_track_conn_restart().
 */
bool tn_track_conn_reuse(const struct tn_track_conn *c, int side, const struct tn_packet *pkt);
void tn_track_conn_restart(struct tn_track *tr, struct tn_track_conn *c);

/* A new SYN on a port pair one side still holds in TIME-WAIT: TIME-WAIT cut short. */
struct tn_tw_cut {
	int side;             /* the side that was in TIME-WAIT, -1 when none was */
	int64_t after_ns;     /* how long it had held it */
	int64_t full_ns;      /* how long TIME-WAIT lasts (2 × MSL) */
	bool isn_above;       /* the SYN's ISN is above the last sequence number its sender used */
};

/*
 * Before tn_track_conn_restart(): was a side of c in TIME-WAIT when this SYN
 * from `side` reopened the pair? RFC 9293 §3.10.7.4 (and RFC 6191 with
 * timestamps) let a host accept it then only when the new ISN (or
 * timestamp) is above the old connection's.
 */
void tn_track_time_wait_cut(const struct tn_track *tr, const struct tn_track_conn *c, int side,
			    const struct tn_packet *pkt, int64_t now_ns, struct tn_tw_cut *out);

/*
 * Runs both endpoints' state machines over one segment sent by `side` at
 * capture time now_ns (RFC 9293 §3.10), after tn_track_segment(). Fills the
 * view's roles, before/after states and reasons.
 */
void tn_track_state(struct tn_track *tr, struct tn_track_conn *c, int side,
		    const struct tn_packet *pkt, int64_t now_ns, struct tn_track_view *v);

/*
 * Connections whose TIME-WAIT ran out by now_ns, one per call (NULL when
 * none): each side in TIME-WAIT goes to CLOSED, labelled inferred; bit i of
 * *sides is set for each side i that did.
 */
struct tn_track_conn *tn_track_time_wait_expired(struct tn_track *tr, int64_t now_ns, int *sides);

/* Fills a report for c; marks it reported. */
void tn_track_report(struct tn_track *tr, struct tn_track_conn *c, enum tn_report_why why,
		     struct tn_conn_report *out);

/* Has c ended (both sides closed, or one closed and one in TIME-WAIT)? */
bool tn_track_conn_over(const struct tn_track_conn *c);

/* Takes c off the TIME-WAIT queue (before its memory is reused). */
void tn_track_conn_forget(struct tn_track *tr, struct tn_track_conn *c);

/* Updates `c` with segment pkt sent by `side`, and says what it means. */
void tn_track_segment(struct tn_track_conn *c, int side, const struct tn_packet *pkt,
		      struct tn_track_view *out);

/*
 * The tracker's one entry point per segment: relative numbers and windows
 * first (tn_track_segment), then both state machines (tn_track_state), so the
 * state machines see this segment's sequence origins. The pipeline and the
 * state tests both call this, never the two halves in their own order.
 */
void tn_track_update(struct tn_track *tr, struct tn_track_conn *c, int side,
		     const struct tn_packet *pkt, int64_t now_ns, struct tn_track_view *out);

#endif
