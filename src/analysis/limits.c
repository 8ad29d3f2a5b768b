/*
 * limits.c — why a sender was slow: its busy time split by what held it
 * back, the way Linux accounts for its own sockets (tcp_info's busy,
 * rwnd_limited and sndbuf_limited: the chrono types of include/net/tcp.h,
 * started and stopped in tcp_output.c).
 *
 * The kernel's clock runs while it has data queued or unacknowledged; it
 * calls the time "receive-window limited" while the next segment would not
 * fit in the peer's window (tcp_snd_wnd_test). From the wire the same is
 * read at every segment of the connection, for each sending direction: the
 * bytes it has out (its next sequence number less the peer's last ACK), the
 * peer's last window, the largest segment it has sent, whether a
 * retransmission is outstanding. The time until the next segment goes to
 * what held it then: the receiver's window, loss recovery, the network
 * (a full flight with room in the window: the congestion window) or the
 * application (a flight well under the last round's). A gap with nothing
 * out counts only once more data follows it (the kernel's clock stops when
 * its queue is empty): as the application's if the window was open, the
 * receiver's if it was shut. The wire cannot show send-buffer limits: they
 * look like the application's.
 */
#include <tcpnarrate/analysis.h>
#include <tcpnarrate/seq.h>

#include <string.h>

#define ENOUGH_BYTES 65536        /* a direction with less is not reported */
#define ACK_CLOCK_NS 300000     /* data this soon after an ACK was sent because of it */
#define PACED_ACCT_PM 850        /* at most this share of new data sent on ACKs: paced */
#define APP_ACKS 2                /* ACKs in a row with no new data in reply: nothing to send */
#define IDLE_RESTART_NS 200000000 /* a gap this long restarts the window (RFC 5681 §4.1: an RTO) */

enum tn_lim_cat tn_limits_category(uint32_t outstanding, uint32_t window, bool window_known,
				   uint32_t seg, bool recovering, uint32_t prev_round_max)
{
	if (outstanding == 0)
		return window_known && window < (seg ? seg : 1) ? TN_LIM_GAP_RWND : TN_LIM_GAP_APP;
	if (window_known && (uint64_t)outstanding + seg > window)
		return TN_LIM_RWND;  /* in recovery too: the kernel's window clock does not stop for it */
	if (recovering)
		return TN_LIM_RECOVERY;
	if (prev_round_max && (uint64_t)outstanding * 2 < prev_round_max)
		return TN_LIM_APP;
	return TN_LIM_CWND;
}

const char *tn_lim_key(enum tn_lim_cat c)
{
	static const char *const k[TN_LIM_COUNT] = {
		"none", "rwnd", "cwnd", "app", "recovery", "gap_app", "gap_rwnd",
	};
	return (unsigned)c < TN_LIM_COUNT ? k[c] : "?";
}

/* More data after a gap with nothing out: now the gap's kind is known. */
static void flush_gaps(struct tn_sender *s, uint64_t n)
{
	if (s->pending_app_ns) {
		s->ns[TN_LIM_APP] += (uint64_t)s->pending_app_ns;
		s->idle_ns += (uint64_t)s->pending_app_ns;
		s->idles++;
		s->idle_restart = s->pending_app_ns >= IDLE_RESTART_NS;
		if (s->pending_app_ns > s->idle_max_ns) {
			s->idle_max_ns = s->pending_app_ns;
			s->idle_n = n;
		}
	}
	s->ns[TN_LIM_RWND] += (uint64_t)s->pending_rwnd_ns;
	s->pending_app_ns = s->pending_rwnd_ns = 0;
}

/*
 * A paced sender whose window is full: Linux looks at the receiver's window
 * only when its pacing timer lets it send (tcp_write_xmit checks pacing
 * first), so for a pacing interval after each send it counts nothing
 * against the window. That part is kept apart (pacing_ns; the interval is a
 * segment's time at the rate the peer acknowledges) and, if the sender
 * turns out to be paced, reported as its own rate's (cwnd) at the end.
 */
static int64_t paced_part(const struct tn_sender *s, int64_t from, int64_t dt)
{
	if (!s->rate_bps || !s->last_send_ns)
		return 0;
	int64_t pace_end = s->last_send_ns + (int64_t)((uint64_t)s->max_seg * 1000000000u / s->rate_bps);
	int64_t a = from > s->last_send_ns ? from : s->last_send_ns;
	int64_t b = from + dt < pace_end ? from + dt : pace_end;
	return b > a ? b - a : 0;
}

/* a + b, held at the ends of int64_t: timestamps far apart (a damaged file) cannot overflow. */
static int64_t sat_add(int64_t a, int64_t b)
{
	if (b > 0 && a > INT64_MAX - b)
		return INT64_MAX;
	if (b < 0 && a < INT64_MIN - b)
		return INT64_MIN;
	return a + b;
}

/* The time since the last event goes to what held the sender then. */
static void account(struct tn_sender *s, int64_t dt, bool resent)
{
	enum tn_lim_cat c = (enum tn_lim_cat)s->cat;
	if (resent && (c == TN_LIM_CWND || c == TN_LIM_APP))
		c = TN_LIM_RECOVERY;  /* the silence before a timeout's retransmission */
	if (c == TN_LIM_RWND)
		s->pacing_ns += (uint64_t)paced_part(s, s->last_ns, dt);  /* moved at the end if paced */
	if (c == TN_LIM_GAP_APP)
		s->pending_app_ns = sat_add(s->pending_app_ns, dt);
	else if (c == TN_LIM_GAP_RWND)
		s->pending_rwnd_ns = sat_add(s->pending_rwnd_ns, dt);
	else if (c != TN_LIM_NONE)
		s->ns[c] += (uint64_t)dt;
}

/* The rate the peer acknowledges data at, since its first ACK: bytes a second (64-bit, no wrap). */
static void delivered(struct tn_sender *s, uint32_t ack, int64_t now)
{
	if (!s->first_ack_ns) {
		s->first_ack_ns = now;
		return;
	}
	if (tn_seq_gt(ack, s->last_ack_seen))
		s->acked_bytes += ack - s->last_ack_seen;
	if (now > s->first_ack_ns)
		s->rate_bps = (uint64_t)((double)s->acked_bytes * 1e9 / (double)(now - s->first_ack_ns));
}

/*
 * A sender clocked by ACKs (Reno, Cubic without a pacing qdisc) sends new
 * data the moment an ACK makes room: at a capture near it, within tens of
 * microseconds. A paced one (BBR) sends on its own timer.
 */
static void ack_clock(struct tn_sender *s, const struct tn_analysis_side *peer,
		      const struct tn_segment *seg, bool mine, bool resent, int64_t now)
{
	if (!mine) {
		if (!(seg->pkt->tcp.flags & TN_TH_ACK) || peer->lastack_ns != now)
			return;
		uint32_t edge = peer->shift >= 0 ? peer->lastack + (peer->window << peer->shift) : 0;
		if (seg->pkt->tcp.ack != s->last_ack_seen) {
			s->ack_ns = now;
			s->acks_unanswered += s->acks_unanswered < UINT8_MAX;
			delivered(s, seg->pkt->tcp.ack, now);
		} else if (edge && tn_seq_gt(edge, s->last_edge)) {
			s->ack_ns = now;  /* a window update releases a sender clocked by ACKs too */
		}
		s->last_ack_seen = seg->pkt->tcp.ack;
		s->last_edge = edge;
		return;
	}
	if (seg->new_bytes && !resent) {
		s->acks_unanswered = 0;
		s->last_send_ns = now;
	}
	if (!seg->new_bytes || resent || !s->ack_ns)
		return;
	s->new_segs++;
	s->clocked += now - s->ack_ns <= ACK_CLOCK_NS;
}

/* The peer has acknowledged something (its last ACK and window mean something). */
static bool heard(const struct tn_analysis_side *peer)
{
	return peer->lastack_ns && peer->lastack;
}

/* A retransmission opens a recovery episode; an ACK past the highest byte then sent ends it. */
static void recovery(struct tn_sender *s, const struct tn_analysis_side *me,
		     const struct tn_analysis_side *peer, const struct tn_segment *seg, bool resent)
{
	if (resent && !s->recovering) {
		s->recovering = true;
		s->recover_end = me->nextseq;
		s->recoveries++;
		s->rto = !tn_segment_verdict(seg, TN_V_FAST_RETRANSMISSION);
		s->rtos += s->rto;
		if (!s->recovery_first_n)
			s->recovery_first_n = seg->frame->n;
		tn_cc_loss(s, seg->frame->n);
	} else if (s->recovering && heard(peer) && tn_seq_geq(peer->lastack, s->recover_end)) {
		s->recovering = false;
		tn_cc_recovered(s, seg->frame->n);
	}
}

/* Rounds: one ends when the peer acknowledges a byte sent after it began (BBR's round count). */
static void rounds(struct tn_sender *s, const struct tn_analysis_side *me,
		   const struct tn_analysis_side *peer, uint32_t out, uint64_t n)
{
	if (!s->round_end) {
		s->round_end = me->nextseq;
	} else if (heard(peer) && tn_seq_gt(peer->lastack, s->round_end)) {
		tn_cc_round(s, n);
		s->prev_round_max = s->round_max;
		s->round_max = out;
		s->round_end = me->nextseq;
		s->rounds++;
	}
	if (out > s->round_max)
		s->round_max = out;
}

static uint32_t outstanding(const struct tn_analysis_side *me, const struct tn_analysis_side *peer)
{
	if (!me->nextseq || !heard(peer) || !tn_seq_gt(me->nextseq, peer->lastack))
		return 0;
	return me->nextseq - peer->lastack;
}

/*
 * Data this side sends again. The segment analysis calls data that comes
 * soon after later data "out of order" (overtaken on the way, as Wireshark
 * does); but at the sender's own end nothing can overtake it, and a fast
 * retransmission often leaves right after new data sent on the same ACK.
 */
static bool sent_again(const struct tn_analysis_conn *ac, int side, const struct tn_segment *seg)
{
	if (seg->track.side != side || !seg->pkt->payload_len)
		return false;
	if (tn_segment_resent(seg))
		return true;
	if (!tn_segment_verdict(seg, TN_V_OUT_OF_ORDER))
		return false;
	const char *at = tn_capture_point(ac);
	bool client = side == seg->track.client;
	return !strcmp(at, "unknown") || !strcmp(at, client ? "client" : "server");
}

/* One side's sender state, judged at a segment of the connection (model already updated). */
static void judge(struct tn_sender *s, const struct tn_analysis_conn *ac, int side,
		  const struct tn_segment *seg, int64_t now)
{
	const struct tn_analysis_side *me = &ac->side[side], *peer = &ac->side[!side];
	bool mine = seg->track.side == side;
	uint32_t len = seg->pkt->payload_len;
	bool resent = sent_again(ac, side, seg);
	if (s->last_ns && now > s->last_ns)
		account(s, now - s->last_ns, resent);
	s->last_ns = now;
	if (mine && (seg->new_bytes || resent))
		flush_gaps(s, seg->frame->n);
	if (mine && len > s->max_seg)
		s->max_seg = len;
	ack_clock(s, peer, seg, mine, resent, now);
	recovery(s, me, peer, seg, resent);
	uint32_t out = outstanding(me, peer);
	rounds(s, me, peer, out, seg->frame->n);
	bool known = heard(peer) && peer->shift >= 0;
	uint32_t win = known ? peer->window << peer->shift : 0;
	if (known && win > s->max_window)
		s->max_window = win;
	/*
	 * A small flight is the application's only while ACKs go unanswered
	 * (a sender that answers them had data: its window was cut without a
	 * retransmission on the wire, or it restarts after idle); and not just
	 * after a recovery, where the flight is the cut's.
	 */
	uint32_t prev = s->rounds > s->loss_round + 2 || !s->loss_round ? s->prev_round_max : 0;
	if (s->acks_unanswered < APP_ACKS)
		prev = 0;
	enum tn_lim_cat c = tn_limits_category(out, win, known, s->max_seg, s->recovering, prev);
	if (me->has_fin && out <= 1)
		c = TN_LIM_NONE;  /* only its FIN out: the data is all acknowledged, the sender done */
	if (c == TN_LIM_RWND && s->cat != TN_LIM_RWND) {
		s->full_episodes++;
		if (!s->full_first_n)
			s->full_first_n = seg->frame->n;
	}
	if (c == TN_LIM_GAP_APP && s->cat != TN_LIM_NONE)
		s->round_app = true;
	tn_cc_phase_note(s, c, seg->frame->n);
	s->cat = (uint8_t)c;
}

void tn_sender_segment(struct tn_ccpool *pool, struct tn_analysis_conn *ac,
		       const struct tn_segment *seg)
{
	int64_t now = seg->now_ns;
	struct tn_timing_side *mt = &ac->side[seg->track.side].timing;
	if (!pool)
		return;
	if (!mt->cc_slot && seg->new_bytes && !mt->cc_untracked) {
		mt->cc_slot = tn_ccpool_take(pool);
		mt->cc_untracked = !mt->cc_slot;
	}
	for (int side = 0; side < 2; side++) {
		struct tn_sender *s = tn_ccpool_at(pool, ac->side[side].timing.cc_slot);
		if (s)
			judge(s, ac, side, seg, now);
	}
}

void tn_sender_release(struct tn_ccpool *pool, struct tn_analysis_conn *ac)
{
	for (int side = 0; side < 2; side++) {
		tn_ccpool_give(pool, ac->side[side].timing.cc_slot);
		ac->side[side].timing.cc_slot = 0;
	}
}

static double sec(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* The report's view of one direction's limits (congestion.c adds its verdict). */
void tn_sender_view(struct tn_ccpool *pool, const struct tn_analysis_side *side, bool near,
		    struct tn_sender_view *v)
{
	const struct tn_sender *s = tn_ccpool_at(pool, side->timing.cc_slot);
	memset(v, 0, sizeof *v);
	if (side->count.unique_bytes < ENOUGH_BYTES)
		return;
	v->present = true;
	v->untracked = !s;
	if (!s)
		return;
	uint32_t clocked = tn_cc_clocked_pm(s);
	uint64_t paced = clocked && clocked <= PACED_ACCT_PM ? s->pacing_ns : 0;
	v->rwnd_s = sec(s->ns[TN_LIM_RWND] - paced);
	v->cwnd_s = sec(s->ns[TN_LIM_CWND] + paced);
	v->pacing_s = sec(paced);
	v->app_s = sec(s->ns[TN_LIM_APP]);
	v->recovery_s = sec(s->ns[TN_LIM_RECOVERY]);
	v->idle_s = sec(s->idle_ns);
	v->busy_s = v->rwnd_s + v->cwnd_s + v->app_s + v->recovery_s;
	v->max_window = s->max_window;
	v->recoveries = s->recoveries;
	v->rtos = s->rtos;
	v->full_episodes = s->full_episodes;
	v->full_first_n = s->full_first_n;
	v->idles = s->idles;
	v->idle_n = s->idle_n;
	v->idle_max_s = sec((uint64_t)s->idle_max_ns);
	v->recovery_first_n = s->recovery_first_n;
	tn_cc_view(s, near, v);
}
