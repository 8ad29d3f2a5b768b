/*
 * sender.h — what held a sender back (limits.c) and which congestion control
 * it runs (congestion.c), per sending direction of a connection.
 *
 * Both read the sequence-space model (model.c, timing.c) after each segment
 * and keep their own state, which is larger than the connection's memory
 * budget allows for every connection: it lives in a bounded pool of slots
 * (ccpool.c), one per sending direction, taken at the direction's first new
 * data byte and given back when the connection leaves the flow table. A full
 * pool is counted and the direction is reported as untracked; nothing is
 * allocated per packet.
 */
#ifndef TCPNARRATE_SENDER_H
#define TCPNARRATE_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What held the sender at one instant (the kernel's chrono types, plus the wire's own). */
enum tn_lim_cat {
	TN_LIM_NONE = 0,     /* not sending: before its data, or after the last of it */
	TN_LIM_RWND,         /* the next full segment would not fit in the receiver's window */
	TN_LIM_CWND,         /* room in the window, a full flight out: the network (cwnd) */
	TN_LIM_APP,          /* room and a small flight: the application gave it little */
	TN_LIM_RECOVERY,     /* a retransmission is out and not yet acknowledged past */
	TN_LIM_GAP_APP,      /* nothing out, window open: counted as app if more data follows */
	TN_LIM_GAP_RWND,     /* nothing out, window closed: counted as rwnd if more data follows */
	TN_LIM_COUNT
};

/* Phases of a loss-based or model-based sender (congestion.c). */
enum tn_cc_phase {
	TN_PH_SLOW_START = 0, TN_PH_CONG_AVOID, TN_PH_FAST_RECOVERY, TN_PH_RTO,
	TN_PH_IDLE_RESTART, TN_PH_APP_LIMITED, TN_PH_RWND_LIMITED, TN_PH_COUNT
};

enum tn_cc_algo { TN_CC_UNDETERMINED = 0, TN_CC_RENO, TN_CC_CUBIC, TN_CC_BBR };

#define TN_CC_CUTS 16
#define TN_CC_ROUNDS 64
#define TN_CC_PHASES 12

/* One change of phase: where it starts (frame), in which round, with the flight then. */
struct tn_cc_phase_mark {
	uint64_t n;
	uint32_t round, flight;
	uint8_t phase;
};

/* The state of one sending direction, in a pool slot. */
struct tn_sender {
	/* limits.c */
	int64_t last_ns;            /* the connection's last event this side was judged at */
	int64_t pending_app_ns;     /* gaps with nothing out, until more data says what they were */
	int64_t pending_rwnd_ns;
	uint64_t ns[TN_LIM_COUNT];  /* time per category (gaps: only those followed by data) */
	uint64_t idle_ns;           /* of app: gaps with nothing out (not busy for the kernel) */
	uint8_t cat;                /* enum tn_lim_cat since last_ns */
	bool recovering, rto, saw_fin;
	uint32_t recover_end;       /* raw: recovery ends when the peer acknowledges this */
	uint32_t round_end;         /* raw: the round ends when the peer acknowledges this */
	uint32_t round_max, prev_round_max, rounds, max_seg, max_window;
	uint64_t full_first_n, idle_n, recovery_first_n;
	int64_t idle_max_ns;
	uint32_t full_episodes, recoveries, rtos, idles;
	/* congestion.c */
	uint32_t pre_loss;          /* the flight when the loss was found */
	uint32_t post_round;        /* the round after recovery whose flight is the cut's result */
	uint16_t cut_pm[TN_CC_CUTS];/* flight after / before each loss, per mille */
	uint8_t n_cuts;
	uint32_t losses;            /* recovery episodes that were not a timeout */
	uint32_t flight[TN_CC_ROUNDS]; /* the most in flight per round, the last TN_CC_ROUNDS */
	uint32_t ss_exit_round, ss_exit_flight;
	uint32_t cwnd_rounds;       /* rounds mostly limited by the network */
	uint32_t gain_ups, gain_downs, probe_rtt;  /* BBR's marks */
	uint32_t lin_rounds;        /* rounds of growth in congestion avoidance ... */
	uint64_t lin_sum_pm;        /* ... and their growth, per mille of a segment (no wrap on long connections) */
	uint32_t conv_epochs, conc_epochs, flat_epochs;
	uint32_t epoch_round;       /* the round congestion avoidance began after the last loss */
	uint32_t phase_changes;
	int64_t ack_ns;             /* the peer's last ACK that moved its acknowledgement number or window */
	uint32_t last_ack_seen;
	uint32_t new_segs, clocked; /* new data segments, and those sent within ACK_CLOCK_NS of such an ACK */
	uint8_t acks_unanswered;    /* the peer's ACKs since this side's last new data */
	uint32_t last_edge;         /* raw: the right edge of the peer's window, last seen */
	int64_t last_send_ns;       /* this side's last new data */
	int64_t first_ack_ns;       /* the peer's first ACK ... */
	uint64_t acked_bytes;       /* ... the bytes it has acknowledged since ... */
	uint64_t rate_bps;          /* ... and per second */
	uint64_t pacing_ns;         /* of rwnd: the window full within a pacing interval of a send */
	bool round_app;             /* the round now running had the application hold it */
	bool hystart;               /* slow start ended with no loss (Cubic's HyStart, BBR's startup) */
	bool loss_in_ss;            /* the loss being recovered ended slow start */
	uint16_t ss_cut_pm;         /* the cut after slow start's loss (overshoot: not the algorithm's own) */
	uint32_t bad_cuts;          /* cuts left out: the application held the round, or a collapse */
	uint32_t loss_round;        /* the round of the last loss or recovery's end */
	bool in_ss, idle_restart;
	uint8_t phase, n_phases;
	struct tn_cc_phase_mark phases[TN_CC_PHASES];
};

struct tn_ccpool;

/* A pool of `slots` sender states (at most 65535); destroy accepts NULL. */
int tn_ccpool_create(struct tn_ccpool **out, uint32_t slots, char *errbuf, size_t errlen);
void tn_ccpool_destroy(struct tn_ccpool *p);
/* A zeroed slot (1-based), or 0 when the pool is full (counted). */
uint16_t tn_ccpool_take(struct tn_ccpool *p);
void tn_ccpool_give(struct tn_ccpool *p, uint16_t slot);
struct tn_sender *tn_ccpool_at(struct tn_ccpool *p, uint16_t slot);
uint64_t tn_ccpool_full(const struct tn_ccpool *p);

/* The category of one instant from what the wire shows then: a pure function. */
enum tn_lim_cat tn_limits_category(uint32_t outstanding, uint32_t window, bool window_known,
				   uint32_t seg, bool recovering, uint32_t prev_round_max);

/* Congestion control: the cut a loss made (flight after / before, per mille), 0 unknown. */
uint32_t tn_cc_cut_pm(uint32_t before, uint32_t after);
/* The verdict from the cuts and marks; reason gets a short key. */
enum tn_cc_algo tn_cc_decide(const struct tn_sender *s, bool near, double *confidence,
			      const char **reason);
/* The share of new data segments sent right after an ACK (not paced), per mille; 0 unknown. */
uint32_t tn_cc_clocked_pm(const struct tn_sender *s);
/* The shape of growth of one loss-free epoch's flights: -1 concave, 1 convex, 0 linear. */
int tn_cc_epoch_shape(const uint32_t *flight, unsigned n);

/* congestion.c's hooks, called by limits.c as the sender's state changes. */
void tn_cc_loss(struct tn_sender *s, uint64_t n);
void tn_cc_recovered(struct tn_sender *s, uint64_t n);
void tn_cc_round(struct tn_sender *s, uint64_t n);
void tn_cc_phase_note(struct tn_sender *s, enum tn_lim_cat c, uint64_t n);
struct tn_sender_view;
void tn_cc_view(const struct tn_sender *s, bool near, struct tn_sender_view *v);

const char *tn_lim_key(enum tn_lim_cat c);
const char *tn_cc_algo_key(enum tn_cc_algo a);
const char *tn_cc_phase_key(enum tn_cc_phase p);

/* What the reports show of one sending direction. */
struct tn_sender_view {
	bool present;               /* enough data to say (else nothing is shown) */
	bool untracked;             /* the pool was full when it began sending */
	double busy_s, rwnd_s, cwnd_s, app_s, recovery_s, idle_s;
	double pacing_s;            /* of cwnd_s: a paced sender's window full on its pacing timer */
	uint32_t max_window, recoveries, rtos, full_episodes, idles;
	uint64_t full_first_n, idle_n, recovery_first_n;
	double idle_max_s;
	uint8_t algo;               /* enum tn_cc_algo */
	double confidence;
	const char *reason;
	uint8_t n_cuts;
	double cut_median;          /* flight after / before a loss, 0 when none */
	uint16_t cut_pm[TN_CC_CUTS];
	uint32_t clocked_pm;         /* new data sent right after an ACK, per mille (0 unknown) */
	bool near;                   /* the capture was taken near this sender */
	bool hystart;
	double ss_cut;               /* the cut after the loss that ended slow start, 0 none */
	uint32_t losses, rounds, ss_exit_round, ss_exit_flight, gain_ups, gain_downs, probe_rtt;
	double growth_per_round;    /* segments per round in congestion avoidance */
	uint32_t conv_epochs, conc_epochs, flat_epochs;
	int last_shape;              /* the epoch running at the end: -1 concave, 0 linear, 1 convex, 2 short */
	uint8_t n_phases;
	struct tn_cc_phase_mark phases[TN_CC_PHASES];
};

#endif
