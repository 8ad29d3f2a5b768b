/*
 * analysis.h — what a segment means, for the renderers.
 *
 * The analysis stage takes a decoded packet and the tracker's view of it and
 * produces a struct tn_segment: everything a renderer shows, including a
 * plain-language sentence about the segment and its verdicts (what the
 * segment is, judged against what the connection sent before: a
 * retransmission, ...). It owns each connection's sequence-space model
 * (struct tn_analysis_conn, fixed in size) that the verdicts are read from,
 * the --compare state held against the textbook connection, and the views of
 * a connection that renderers get instead of tracker internals (roles
 * resolved, endpoints as structures). It also carries the glossary: the
 * meaning of every header field, shared by all renderers so text, JSON and
 * HTML explain a field in the same words. Renderers see only this header.
 */
#ifndef TCPNARRATE_ANALYSIS_H
#define TCPNARRATE_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tcpnarrate/reasm.h>
#include <tcpnarrate/capture.h>
#include <tcpnarrate/decode.h>
#include <tcpnarrate/flow.h>
#include <tcpnarrate/sender.h>
#include <tcpnarrate/track.h>

#define TN_NOTE_LEN 320
#define TN_ENDPOINT_STRLEN 56

/* An idea the reference connection teaches at some step: a title and a paragraph. */
struct tn_idea {
	const char *title;
	const char *text;
};

/* The ideas for step N of the reference connection (0: before any packet). */
const struct tn_idea *tn_reference_ideas(unsigned step, size_t *n);

/*
 * A verdict on a segment, with its evidence. The names and definitions are
 * Wireshark's TCP analysis (epan/dissectors/packet-tcp.c), so users meet the
 * words they know and tshark can be held to them; docs/analysis.md gives
 * each definition and where tcpnarrate's differs. Verdicts are decided once,
 * by the classifiers in src/analysis/verdict.c, and read by the reports,
 * --compare and every renderer.
 */
enum tn_verdict_kind {
	TN_V_RETRANSMISSION = 0,     /* data, SYN or FIN that does not advance the sequence */
	TN_V_FAST_RETRANSMISSION,    /* ... the byte 2+ duplicate ACKs asked for, within 20 ms */
	TN_V_SPURIOUS_RETRANSMISSION,/* ... bytes the receiver had already acknowledged */
	TN_V_OUT_OF_ORDER,           /* ... sent soon after a later segment: reordered, not resent */
	TN_V_LOST_SEGMENT,           /* starts past the next expected byte: a gap before it */
	TN_V_ACK_LOST_SEGMENT,       /* acknowledges bytes never seen in the capture */
	TN_V_DUPLICATE_ACK,          /* repeats the previous ACK, window and sequence, no data */
	TN_V_ZERO_WINDOW,            /* advertises a window of zero */
	TN_V_ZERO_WINDOW_PROBE,      /* one byte at the next sequence into a zero window */
	TN_V_ZERO_WINDOW_PROBE_ACK,  /* the answer to a zero window probe */
	TN_V_WINDOW_FULL,            /* data up to the very edge of the receiver's window */
	TN_V_WINDOW_UPDATE,          /* no data, same ACK, a new window */
	TN_V_KEEP_ALIVE,             /* zero or one byte just below the next sequence */
	TN_V_KEEP_ALIVE_ACK,         /* the answer to a keep-alive */
	TN_V_REUSED_PORTS,           /* a SYN with a new ISN on a port pair already used */
	/* tcpnarrate's own, not Wireshark's: */
	TN_V_DUPLICATE_FRAME,        /* the same frame captured twice (a SPAN port, a mirror) */
	TN_V_DATA_AFTER_FIN,         /* new data past the sequence number its sender's FIN took */
	TN_V_COUNT
};

/* What a retransmission sends again (bits of tn_verdict.what). */
enum tn_retx_what {
	TN_RETX_SYN = 1,
	TN_RETX_FIN = 2,
	TN_RETX_DATA = 4,
};

/*
 * The evidence. Which members mean something depends on the kind
 * (docs/analysis.md): first and last are relative sequence numbers of the
 * bytes concerned (inclusive); ref_n the earlier frame it repeats, answers
 * or follows (0 when it is not known); num a count (the duplicate ACK's
 * number) or a window; dt_ns the time since ref_n.
 */
struct tn_verdict {
	uint8_t kind;        /* enum tn_verdict_kind */
	uint8_t what;        /* retransmissions: enum tn_retx_what bits */
	bool has_range;      /* first and last are set */
	uint32_t first, last;
	uint64_t ref_n, ref2_n;
	uint32_t num, num2;
	int64_t dt_ns;
	uint8_t gap;         /* enum tn_gap_fate: what this segment says of a gap, and gap_n */
	uint64_t gap_n;      /* the segment that first showed the gap */
};

/* What became of a gap the capture showed (a lost_segment), as a later segment proves it. */
enum tn_gap_fate {
	TN_GAP_NONE = 0,
	TN_GAP_RESENT,       /* a retransmission filled it: lost on the way to the receiver */
	TN_GAP_ACKED,        /* acknowledged without ever being seen: the capture missed it */
};

#define TN_MAX_VERDICTS 6

/* What the timing stage says of one segment (timing.c); 0 where it says nothing. */
struct tn_seg_timing {
	uint32_t in_flight;       /* data: bytes the sender has unacknowledged after this one */
	uint32_t peer_window;     /* data: the receiver's last window, scaled (0 unknown) */
	bool in_flight_known, rwnd_limited;
	int64_t idle_ns;          /* silence on the connection before it, when over a second */
	int64_t rtt_ns;           /* an ACK: the round trip it completes (Karn's rule) */
	int64_t rtt_ts_ns;        /* a timestamp echo: the round trip it completes */
	int64_t response_ns;      /* first byte of an answer: time since the request */
	int64_t response_net_ns;  /* ... of which a network round trip (the rest: the server) */
	uint64_t request_n;       /* ... the request's first frame */
	uint16_t oversize_mss;    /* data larger than the MSS the receiver announced: that MSS */
};

/* Stable key of a verdict ("fast_retransmission"), as JSON and -q print them. */
const char *tn_verdict_key(enum tn_verdict_kind kind);
/* The verdict in a few words ("fast retransmission"). */
const char *tn_verdict_name(enum tn_verdict_kind kind);
/* One sentence with the evidence: numbers and frames. */
void tn_verdict_explain(const struct tn_verdict *v, char *buf, size_t len);
/* Is it one of the retransmission kinds (as tshark's tcp.analysis.retransmission)? */
bool tn_verdict_is_retransmission(enum tn_verdict_kind kind);

struct tn_segment {
	const struct tn_frame *frame;
	unsigned step;            /* reference mode: this segment's step (1..11), else 0 */
	const struct tn_idea *ideas;
	size_t n_ideas;
	const struct tn_packet *pkt;
	const struct tn_flow_key *key;   /* its connection's canonical key */
	struct tn_track_view track;
	int64_t rel_ns;           /* nanoseconds since the first packet (negative if time ran back) */
	int64_t now_ns;           /* tn_frame_ns(frame), worked out once */
	uint8_t n_verdicts;       /* verdict[0 .. n_verdicts - 1] are set */
	bool keep_alive_data;     /* its byte is a keep-alive's, not new data */
	uint32_t frame_sig;       /* what identifies the frame's bytes (duplicate frames), IPv4 only */
	struct tn_tw_cut tw_cut;  /* a SYN that cut the previous connection's TIME-WAIT short */
	bool accecn;              /* after an AccECN handshake: AE, CWR, ECE are the ACE counter */
	uint32_t new_bytes;       /* payload bytes the capture shows for the first time */
	uint16_t cmp_steps;       /* --compare: bit i set when it plays the textbook's step i */
	const struct tn_reasm_done *reasm; /* reassembled from IP fragments (listed), or NULL */
	/*
	 * Last: a segment is made a million times a run, and only what comes
	 * before `verdict` is zeroed. A verdict is written whole when added,
	 * the timing by tn_timing_segment(), and only note[0] needs setting.
	 */
	struct tn_verdict verdict[TN_MAX_VERDICTS];
	struct tn_seg_timing timing;
	char note[TN_NOTE_LEN];   /* one plain-language sentence */
};

/* Does the segment carry any retransmission verdict (plain, fast or spurious)? */
bool tn_segment_resent(const struct tn_segment *seg);

/* The ACE counter of an AccECN segment (RFC 9768 §3.2.2): AE, CWR and ECE as one 3-bit number. */
unsigned tn_ace(uint16_t flags);

/* The segment's verdict of this kind, or NULL. */
const struct tn_verdict *tn_segment_verdict(const struct tn_segment *seg,
					    enum tn_verdict_kind kind);

/*
 * The sequence-space model of one connection, per sending side: what the
 * verdicts are judged against. Raw sequence numbers, as Wireshark keeps
 * them. Fixed in size (a ring of the last few segments sent stands in for
 * Wireshark's unbounded list of unacknowledged ones), so analysis costs no
 * allocation per segment and no more memory per connection than this.
 */
#define TN_SENT_RING 4
#define TN_HOLES 2

struct tn_sent_seg {
	uint32_t seq, end;        /* raw: first sequence number and one past its last */
	uint32_t frame;           /* frame number, less the connection's first */
};

/* What the connection report counts of one side's segments. */
struct tn_analysis_counts {
	uint32_t retransmissions, out_of_order, lost, dup_acks, zw_probes, keep_alives;
	uint64_t retransmitted_bytes, unique_bytes;
	int64_t zero_window_ns;   /* time its window stayed at zero */
	int64_t zero_since_ns;    /* when its window went to zero, or -1 */
};

/* Round-trip samples of one kind: microseconds, so a connection's stats stay small. */
struct tn_rtt_stats {
	uint32_t n, min_us, max_us;
	uint64_t sum_us;
};

/*
 * Timing of one sending side (timing.c): one data segment timed at a time
 * until the peer acknowledges it (Karn's rule: a retransmission of it
 * cancels the sample), the last timestamp value it sent and when, and the
 * samples taken, from ACKs and from timestamp echoes. All measured at the
 * capture point: from this side's segment passing it to the peer's answer
 * passing it.
 */
struct tn_timing_side {
	uint32_t timed_end;       /* raw: the ACK that completes the timed segment */
	uint32_t ts_val;          /* the last TSval it sent, waiting for its echo */
	int64_t timed_ns, ts_ns;
	int64_t first_data_ns;    /* its first byte of data, 0 before */
	uint32_t max_in_flight;   /* bytes: the most it had unacknowledged */
	uint32_t rwnd_limited;    /* data segments that filled the peer's window */
	bool timing : 1, ts_pending : 1, cc_untracked : 1;
	uint16_t cc_slot;         /* its sender state in the pool (sender.h), 0 none */
	struct tn_rtt_stats ack, ts;
};

struct tn_analysis_side {
	uint32_t nextseq;         /* one past the highest sequence number sent (SYN, FIN count) */
	uint32_t maxseqtobeacked; /* highest in-order sequence the peer may acknowledge */
	uint32_t lastack;         /* the last acknowledgement number it sent */
	uint32_t window;          /* the last window it advertised, unscaled */
	int32_t dupacknum;        /* duplicate ACKs in a row */
	uint32_t nextseq_frame;   /* frame (less the first) that advanced nextseq */
	uint32_t lastnondupack;   /* frame (less the first) of its last ACK that was no duplicate */
	uint32_t last_frame;      /* frame (less the first) of its last segment */
	int64_t nextseq_ns, lastack_ns;
	uint32_t last_kinds;      /* bits (1 << kind) of its last segment's verdicts */
	uint32_t last_sig;        /* what identifies its last frame's bytes (duplicate frames) */
	int8_t shift;             /* its window scale, -1 while unknown */
	bool has_nextseq : 1, has_maxseq : 1, has_lastack : 1, has_window : 1;
	uint8_t ring_next;
	struct tn_sent_seg sent[TN_SENT_RING];
	/*
	 * Gaps: bytes below nextseq the capture has not shown yet (a lost
	 * segment), raw [start, end). A retransmission that fills one brings
	 * bytes seen for the first time. At most TN_HOLES are remembered.
	 */
	struct { uint32_t start, end, frame; } hole[TN_HOLES];  /* frame: the segment after it */
	uint16_t mss;             /* the MSS it announced in its SYN, 0 when none seen */
	bool has_fin;             /* it sent a FIN, at fin_seq */
	uint32_t fin_seq;
	struct tn_analysis_counts count;
	struct tn_timing_side timing;
};

/* Zeek's view of a connection (zeek.c): which history letters each side earned, in order. */
struct tn_zeek {
	uint32_t seen;            /* bit per letter: low 16 the originator's, high 16 the responder's */
	uint8_t len;
	char history[19];
};

void tn_zeek_segment(struct tn_zeek *z, const struct tn_segment *seg);
/* Zeek's conn_state ("SF", "S0", "REJ", ...); established: the tracker saw the handshake done. */
const char *tn_zeek_conn_state(const struct tn_zeek *z, bool established);

/*
 * The ICMP errors that quoted a connection's segments (icmp.h names the
 * kinds): how many, which kinds, the smallest MTU a "fragmentation needed"
 * or "packet too big" named, and the last error narrated in full, which a
 * later one of the same kind refers back to. 12 bytes: every connection
 * carries it, and few ever get an ICMP error.
 */
#define TN_ICMP_KINDS 9           /* enum tn_icmp_kind's TN_ICMP_KIND_COUNT */
struct tn_icmp_seen {
	uint32_t full_n;          /* the last one narrated in full: frame, less the connection's first */
	uint16_t total;           /* errors, stopping at 65535 */
	uint16_t mtu_min;         /* 0: none named */
	uint16_t kinds : TN_ICMP_KINDS; /* bit k: an error of kind k came */
	uint16_t full_kind : 4;   /* the kind of full_n's error ... */
	uint16_t has_full : 1;    /* ... once there is one */
};

struct tn_analysis_conn {
	struct tn_analysis_side side[2];
	struct tn_zeek zeek;
	int64_t synack_ns;        /* the SYN-ACK that answered the SYN */
	int64_t leg_server_ns;    /* SYN → SYN-ACK at the capture point: to the server and back */
	int64_t leg_client_ns;    /* SYN-ACK → ACK: to the client and back */
	int64_t last_ns;          /* the connection's last segment, for idle gaps */
	int64_t request_ns;       /* HTTP-style exchange: the request waiting for its answer */
	uint32_t request_frame;   /* frame (less the first) of that request's first segment */
	int8_t last_data_side;    /* who sent data last, -1 none */
	bool accecn_asked, accecn; /* Accurate ECN asked for in the SYN, agreed in the SYN-ACK */
	bool leg_client_done;     /* leg_client_ns measured (it may be 0: same timestamp) */
	uint64_t first_frame;     /* frame numbers are kept less this */
	int64_t syn_ns;           /* the most recent SYN */
	int64_t first_rtt_ns;     /* SYN to the ACK that completes the handshake; 0 unknown */
	struct tn_icmp_seen icmp; /* ICMP errors about it (the engine notes them: icmp.h) */
};

void tn_analysis_conn_init(struct tn_analysis_conn *ac);

/* Before a segment is classified: connection-wide timing (the handshake's round trip). */
void tn_analysis_begin(struct tn_analysis_conn *ac, struct tn_segment *seg);

/*
 * Fills seg's verdicts. Each classifier is a small pure function of the
 * model as it was before this segment and of the segment (with the
 * tracker's view of it); nothing is changed.
 */
void tn_analysis_classify(const struct tn_analysis_conn *ac, struct tn_segment *seg);

/* Then brings the model up to date with the segment. */
void tn_analysis_update(struct tn_analysis_conn *ac, const struct tn_segment *seg);

/* Timing (timing.c): fills seg->timing from the model before the segment, then updates it. */
void tn_timing_segment(struct tn_analysis_conn *ac, struct tn_segment *seg);
/*
 * The sender's limits and congestion control (limits.c, congestion.c),
 * after tn_analysis_update: takes a pool slot at a direction's first new
 * data, then judges both directions at every segment. Release gives the
 * slots back (before the connection is forgotten or restarted).
 */
void tn_sender_segment(struct tn_ccpool *pool, struct tn_analysis_conn *ac,
		       const struct tn_segment *seg);
void tn_sender_release(struct tn_ccpool *pool, struct tn_analysis_conn *ac);
/* near: the capture was taken at (or near) this side, so its sending follows ACKs visibly. */
void tn_sender_view(struct tn_ccpool *pool, const struct tn_analysis_side *side, bool near,
		    struct tn_sender_view *v);
/* Where the capture was taken, from the handshake's two legs: "client", "server", "between", "unknown". */
const char *tn_capture_point(const struct tn_analysis_conn *ac);

/* A frame that is not narrated as a TCP segment, and why. */
struct tn_skip {
	const struct tn_frame *frame;
	const struct tn_packet *pkt;   /* problem text, if any */
	enum tn_decode_result why;
	int64_t rel_ns;
};

/* Run totals, for the closing lines. */
struct tn_summary {
	const char *source;            /* file name as given */
	const char *linktype_name;
	uint32_t linktype;
	bool link_supported;
	uint64_t packets;              /* frames read from the file */
	uint64_t filtered;             /* dropped by the filter expression */
	uint64_t inner_filtered;       /* TCP segments --inner left out */
	uint64_t segments;             /* TCP segments narrated */
	uint64_t skipped[TN_DEC_RESULT_COUNT];
	uint64_t over_snaplen;         /* records that claimed more than the snapshot length */
	uint64_t connections;
	uint64_t evictions;
	uint64_t idle_expired;         /* forgotten after --idle-timeout of capture time */
	uint64_t icmp_errors;          /* ICMP errors narrated in the connection they quote */
	struct tn_reasm_stats reasm;   /* IP fragments held, datagrams made whole, limits hit */
	bool have_stats;               /* live capture: libpcap's counters */
	uint64_t received, dropped, if_dropped;
	const char *error;             /* where a damaged file stopped, or NULL */
};

/* Fills seg->note from seg->pkt and seg->track. */
void tn_analysis_segment(struct tn_segment *seg);

/* Header fields that have an explanation in the glossary. */
enum tn_field {
	TN_F_IP_VERSION, TN_F_IP_HDR_LEN, TN_F_IP_DSCP, TN_F_IP_ECN, TN_F_IP_TOTAL_LEN,
	TN_F_IP_ID, TN_F_IP_FLAGS, TN_F_IP_FRAG_OFF, TN_F_IP_TTL, TN_F_IP_PROTO,
	TN_F_IP_CHECKSUM, TN_F_IP_ADDRS,
	TN_F_IP6_TCLASS, TN_F_IP6_FLOW, TN_F_IP6_PLEN, TN_F_IP6_NEXT, TN_F_IP6_HOPS,
	TN_F_IP6_EXT,
	TN_F_TCP_SPORT, TN_F_TCP_DPORT, TN_F_TCP_SEQ, TN_F_TCP_ACK, TN_F_TCP_DOFF,
	TN_F_TCP_RESERVED, TN_F_TCP_FLAGS, TN_F_TCP_WINDOW, TN_F_TCP_CHECKSUM,
	TN_F_TCP_URGENT, TN_F_TCP_OPTIONS, TN_F_PAYLOAD,
	TN_F_COUNT
};

/* The field's label ("sequence number") and what it is for, in one or two sentences. */
const char *tn_glossary_label(enum tn_field f);
const char *tn_glossary_meaning(enum tn_field f);
/*
 * What a port is for, said for its role: the source or the destination port
 * of a segment, and the server's listening port or the client's ephemeral one.
 */
const char *tn_glossary_port(bool source, bool server);

/* Flag bits in the order they are listed (as Wireshark does: FIN first), 0-terminated. */
extern const uint16_t tn_flag_order[];
/* What one flag means in this segment, as a short phrase. */
const char *tn_flag_name(uint16_t flag);
void tn_flag_meaning(uint16_t flag, const struct tn_segment *seg, char *buf, size_t len);
/* What one option kind is for, in a sentence. */
const char *tn_option_meaning(const struct tn_tcp_option *o);

/* "client" or "server": the role of `side` in a connection whose client is `client`. */
const char *tn_role_name(int side, int client);

/* Why an endpoint's state changed, as a sentence and as a short key. */
const char *tn_why_text(enum tn_why why);
const char *tn_why_key(enum tn_why why);
/* How a connection ended: "fin", "rst", ... and a phrase. */
const char *tn_end_key(enum tn_end how);
const char *tn_end_text(enum tn_end how);
const char *tn_report_why_key(enum tn_report_why why);

/* Roles, the index of a connection view's per-role arrays. */
enum tn_role { TN_ROLE_CLIENT = 0, TN_ROLE_SERVER = 1 };

/* "client" or "server". */
const char *tn_role_key(enum tn_role role);

/* One end of a connection, as a structure (the text form is tn_endpoint_format's). */
struct tn_endpoint {
	uint8_t family;           /* 4 or 6 */
	uint8_t addr[16];
	uint16_t port;
};

/* The address alone ("10.0.1.5", "fd00:1::5"), and "10.0.1.5:80" or "[fd00:1::5]:80". */
void tn_endpoint_addr(const struct tn_endpoint *ep, char *buf, size_t len);
void tn_endpoint_format(const struct tn_endpoint *ep, char *buf, size_t len);

/* A connection's end, ready to render: roles resolved, no tracker internals. */
struct tn_conn_view {
	uint64_t id;
	struct tn_endpoint ep[2];         /* by role */
	uint8_t final_state[2];           /* by role: enum tn_state */
	uint64_t segments[2], payload_bytes[2];   /* by role, as sent (retransmissions too) */
	struct tn_analysis_counts count[2];       /* by role: what the analysis found */
	struct tn_timing_side timing[2];          /* by role: round trips, in flight, first data */
	struct tn_sender_view sender[2];          /* by role: limits and congestion control */
	const char *capture_point;/* "client", "server", "between", "unknown" (tn_capture_point) */
	int64_t leg_server_ns, leg_client_ns;     /* the handshake's two legs, 0 unknown */
	bool legs_known;          /* both legs measured (one may be 0: the same timestamp) */
	int64_t first_ns;         /* capture time of its first segment */
	char community_id[32];    /* Community ID v1 (seed 0) */
	uint32_t tunnel;          /* the key's tunnel identity, 0 when not tunnelled */
	const char *conn_state;   /* Zeek's conn_state */
	char history[20];         /* Zeek's history */
	bool roles_inferred, port_reused;
	enum tn_report_why why;
	enum tn_end how;
	int closed_first;         /* role that sent the first FIN, -1 for none */
	int rst_by;               /* role whose reset was accepted, -1 for none */
	int time_wait;            /* role left in TIME-WAIT, -1 for none, 2 for both */
	double duration;          /* seconds from first to last segment */
	double time_wait_sec;     /* how long TIME-WAIT lasts (2 × MSL) */
	struct tn_icmp_seen icmp; /* ICMP errors that quoted its segments */
};

/* Builds the view of a connection's report from the tracker's report, its key and its model. */
void tn_analysis_conn_view(const struct tn_conn_report *rep, const struct tn_flow_key *key,
			   const struct tn_analysis_conn *ac, struct tn_conn_view *out);

/*
 * A state shown earlier for one side was wrong, as a segment it sent proves:
 * the state shown after frame from_n and before frame to_n was `shown`;
 * `held` really held. The segment to_n follows this event.
 */
struct tn_correction {
	uint64_t conn;
	int role;                 /* enum tn_role */
	uint64_t from_n, to_n;
	uint8_t shown, held;      /* enum tn_state */
	uint8_t why;              /* enum tn_corr */
};

/* "sent_after_close", ... and what the wire shows, as a sentence. */
const char *tn_corr_key(enum tn_corr why);
const char *tn_corr_text(enum tn_corr why);

/* TIME-WAIT ran out for one or both sides of a connection (no segment shows it). */
struct tn_state_event {
	uint64_t conn;
	bool expired[2];          /* by role: this role went TIME-WAIT → CLOSED */
	int64_t ts_sec;
	uint32_t ts_nsec;
	struct tn_endpoint ep[2]; /* by role */
};

/*
 * --compare: what a real connection did, held against the textbook one.
 * A struct tn_compare_conn lives beside each connection's tracker state and
 * is updated by every segment; it is fixed in size, so comparing costs no
 * allocation per packet.
 */
#define TN_COMPARE_STEPS 11
#define TN_MAX_DIFFERENCES 24

struct tn_compare_side {
	uint8_t syn_opts;          /* bit per option kind seen in its SYN (TN_CMP_OPT_*) */
	uint16_t syn_mss;
	uint8_t syn_wscale;
	uint32_t syns, data_segs, retransmits, pure_acks, coalesced_acks, requests;
	uint32_t first_retransmit_n;   /* the first of its data retransmissions */
	uint32_t tls_handshake_records;
	uint64_t data_bytes;
	uint32_t app_segs;         /* new data segments from its first application byte on */
	uint64_t app_bytes;        /* (with TLS, the handshake before it is not the response) */
	uint32_t data_end;         /* relative: one past the highest new data byte */
	bool data_end_set;
	uint32_t unacked_segs;     /* its data segments the peer has not acknowledged yet */
	uint32_t first_data_n, first_app_n, fin_n;
	int64_t first_data_ns, first_app_ns;
	bool fin_with_data, fin_acks_peer_fin, tls;
};

struct tn_compare_conn {
	struct tn_compare_side side[2];
	uint32_t step_n[TN_COMPARE_STEPS + 1];  /* the packet that plays reference step i */
	int64_t syn_ns, hs_done_ns;
	uint32_t request_end;      /* relative end of the first request */
	uint32_t response_start;   /* relative start of the first response */
	uint32_t flights_before_request;  /* server turns the client waited for */
	bool last_sender_server;   /* for counting server flights */
	int fin_first;             /* side of the first FIN, -1 */
	bool handshake_ack_carries_data;
	uint32_t syn_data;         /* bytes of data in the client's SYN (Fast Open) */
	uint32_t greeting_n;       /* the server's data before any request (SMTP, FTP, SSH) */
	int64_t response_ns;       /* the first response byte: the server's first data after the request */
	bool fast_open_refused;    /* the SYN-ACK acknowledged the SYN but not its data */
	/*
	 * The first response ends where the client's next request begins (a
	 * keep-alive connection carries several): only its segments are step 6's.
	 */
	uint32_t next_request_n;   /* the client's first new data after the response began */
	uint32_t response_segs;    /* new data segments of the first response */
	uint64_t response_bytes;
};

enum tn_cmp_opt {
	TN_CMP_OPT_MSS = 1, TN_CMP_OPT_WSCALE = 2, TN_CMP_OPT_SACKP = 4, TN_CMP_OPT_TS = 8,
	TN_CMP_OPT_TFO = 16,
};

struct tn_difference {
	const char *kind;          /* stable key: "mss_option", "response_split", ... */
	unsigned step;             /* the reference step it concerns (1..11) */
	uint64_t n;                /* the real packet that shows it, 0 when none does */
	char explanation[320];
};

struct tn_comparison {
	uint64_t conn;
	bool matches;              /* no difference at all: the textbook shape */
	size_t n_diff;
	struct tn_difference diff[TN_MAX_DIFFERENCES];
	uint32_t step_n[TN_COMPARE_STEPS + 1];
	/* who sent the packet that plays each step (enum tn_role), -1 when none does */
	int8_t step_sender[TN_COMPARE_STEPS + 1];
	/* the cost in time: round trips (the reference needs 1 and 2) and milliseconds */
	int rtts_before_request, rtts_before_response;
	double ms_before_request, ms_before_response;   /* < 0 when there was none */
	double handshake_ms;
};

/* The role that sends step `step` in the textbook (enum tn_role). */
int tn_compare_step_role(unsigned step);
/* Reference step names ("SYN", "SYN-ACK", ... "final ACK"), 1-based. */
const char *tn_compare_step_name(unsigned step);
void tn_compare_init(struct tn_compare_conn *cc);
/*
 * Records one segment of the connection, after tracking and analysis: its
 * verdicts are set and ac is the model brought up to date with it.
 */
void tn_compare_segment(struct tn_compare_conn *cc, const struct tn_segment *seg,
			const struct tn_analysis_conn *ac);
/* The textbook steps (bit i for step i) that frame n plays, as far as the connection has gone. */
uint16_t tn_compare_steps_of(const struct tn_compare_conn *cc, uint64_t n);
/* The verdict for a connection, at its end. */
void tn_compare_finish(const struct tn_compare_conn *cc, const struct tn_conn_report *rep,
		       struct tn_comparison *out);

#define TN_ADDR_STRLEN 46
/* The packet's source (src true) or destination address as text. */
void tn_addr_str(const struct tn_packet *pkt, bool src, char *buf, size_t len);
/* "10.0.1.5:43210" or "[fd00:1::5]:43210". */
void tn_endpoint_str(const struct tn_packet *pkt, bool src, char *buf, size_t len);
/* Side i of a flow key, as an endpoint. */
void tn_key_endpoint(const struct tn_flow_key *key, int side, struct tn_endpoint *out);

#endif
