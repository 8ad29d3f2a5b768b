/*
 * timing.c — time on a connection, as seen from the capture point: the
 * handshake split into its two legs (which also tells where the capture was
 * taken), round trips from ACKs (Karn's rule: never from a retransmitted
 * segment) and from TCP timestamps (RFC 7323 §4), bytes in flight against
 * the receiver's window, idle gaps, and for each request the time to the
 * first byte of its answer, split into the network's round trip and the
 * server's own time.
 *
 * Everything is measured between two segments passing the capture point,
 * so a "round trip" is from there to the far end and back: for the whole
 * path, add the two legs. Fixed-size state, kept in the analysis model; the
 * segment gets what this stage says of it in seg->timing.
 */
#include <tcpnarrate/analysis.h>
#include <tcpnarrate/seq.h>

#include <string.h>

#define IDLE_NOTE_NS 1000000000   /* silences of a second or more are worth saying */
#define LOCAL_NS 200000           /* both legs under this: too close to tell where we are */

static void add_sample(struct tn_rtt_stats *st, int64_t ns)
{
	uint64_t us = ns < 0 ? 0 : (uint64_t)ns / 1000;
	uint32_t v = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
	if (!st->n || v < st->min_us)
		st->min_us = v;
	if (v > st->max_us)
		st->max_us = v;
	st->sum_us += v;
	st->n++;
}

/* SYN → SYN-ACK is the trip to the server and back, SYN-ACK → ACK the trip to the client. */
static void handshake_legs(struct tn_analysis_conn *ac, const struct tn_segment *seg, int64_t now)
{
	uint16_t f = seg->pkt->tcp.flags;
	if ((f & (TN_TH_SYN | TN_TH_ACK)) == (TN_TH_SYN | TN_TH_ACK) && ac->syn_ns && !ac->synack_ns) {
		ac->synack_ns = now;
		ac->leg_server_ns = now - ac->syn_ns;
	} else if ((f & (TN_TH_SYN | TN_TH_ACK | TN_TH_RST)) == TN_TH_ACK && ac->synack_ns &&
		   !ac->leg_client_done && seg->track.side == seg->track.client) {
		ac->leg_client_ns = now - ac->synack_ns;
		ac->leg_client_done = true; /* once: a later ACK is not the handshake's */
	}
}

const char *tn_capture_point(const struct tn_analysis_conn *ac)
{
	int64_t s = ac->leg_server_ns, c = ac->leg_client_ns;
	if (!ac->synack_ns || !ac->leg_client_done || s < 0 || c < 0)
		return "unknown";
	int64_t small = s < c ? s : c, big = s < c ? c : s;
	if (big < LOCAL_NS)
		return "unknown";
	if (small * 4 < big)
		return s < c ? "server" : "client";
	return "between";
}

/* The peer's ACK of the segment this side is timing; then the timestamp it echoes. */
static void round_trips(struct tn_analysis_conn *ac, struct tn_segment *seg, int64_t now)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	struct tn_timing_side *peer = &ac->side[!seg->track.side].timing;
	if ((t->flags & TN_TH_ACK) && peer->timing && tn_seq_geq(t->ack, peer->timed_end)) {
		seg->timing.rtt_ns = now - peer->timed_ns;
		add_sample(&peer->ack, seg->timing.rtt_ns);
		peer->timing = false;
	}
	for (unsigned i = 0; i < t->n_opts; i++) {
		const struct tn_tcp_option *o = &t->opts[i];
		if (o->kind != TN_OPT_TIMESTAMP || !peer->ts_pending || o->u.ts.ecr != peer->ts_val)
			continue;
		seg->timing.rtt_ts_ns = now - peer->ts_ns;
		add_sample(&peer->ts, seg->timing.rtt_ts_ns);
		peer->ts_pending = false;
	}
}

/* What this side sends starts a measurement: its new data, the TSval of a segment that takes sequence space. */
static void start_timing(struct tn_timing_side *me, const struct tn_segment *seg, int64_t now)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	uint32_t len = seg->pkt->payload_len;
	if (me->timing && tn_segment_resent(seg) && tn_seq_lt(t->seq, me->timed_end))
		me->timing = false; /* Karn: which copy would the ACK answer? */
	else if (!me->timing && seg->new_bytes && !tn_segment_resent(seg)) {
		me->timing = true;
		me->timed_end = t->seq + len;
		me->timed_ns = now;
	}
	if (me->ts_pending || !(len || (t->flags & (TN_TH_SYN | TN_TH_FIN))))
		return;
	for (unsigned i = 0; i < t->n_opts; i++) {
		if (t->opts[i].kind == TN_OPT_TIMESTAMP) {
			me->ts_val = t->opts[i].u.ts.val;
			me->ts_ns = now;
			me->ts_pending = true;
		}
	}
}

/* Data: what the sender has out after it, against the receiver's last window. */
static void in_flight(struct tn_analysis_conn *ac, struct tn_segment *seg)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	const struct tn_analysis_side *me = &ac->side[seg->track.side];
	const struct tn_analysis_side *peer = &ac->side[!seg->track.side];
	struct tn_timing_side *mt = &ac->side[seg->track.side].timing;
	uint32_t end = t->seq + seg->pkt->payload_len;
	if (!seg->pkt->payload_len || !peer->lastack || !me->nextseq)
		return;
	uint32_t top = tn_seq_gt(end, me->nextseq) ? end : me->nextseq;
	if (!tn_seq_gt(top, peer->lastack))
		return;
	seg->timing.in_flight_known = true;
	seg->timing.in_flight = top - peer->lastack;
	if (seg->timing.in_flight > mt->max_in_flight)
		mt->max_in_flight = seg->timing.in_flight;
	if (peer->shift >= 0 && peer->window != UINT32_MAX) {
		seg->timing.peer_window = peer->window << peer->shift;
		seg->timing.rwnd_limited = seg->timing.in_flight >= seg->timing.peer_window;
		mt->rwnd_limited += seg->timing.rwnd_limited;
	}
}

/*
 * Request and answer: new data from the client after the server's (or
 * first) is a request; the server's first new data after it is the answer.
 * The network's share is the trip from the capture point to the server and
 * back (the least ACK round trip of the client's data, else the handshake's
 * leg); the server's time is the rest.
 */
static void exchange(struct tn_analysis_conn *ac, struct tn_segment *seg, int64_t now)
{
	int from = seg->track.side;
	bool client = from == seg->track.client;
	if (!seg->new_bytes || ac->last_data_side == from)
		return;
	ac->last_data_side = (int8_t)from;
	if (client) {
		ac->request_ns = now;
		ac->request_frame = (uint32_t)(seg->frame->n - ac->first_frame);
		return;
	}
	if (!ac->request_ns)
		return;
	const struct tn_rtt_stats *cs = &ac->side[!from].timing.ack;
	int64_t net = cs->n ? (int64_t)cs->min_us * 1000 : ac->leg_server_ns;
	seg->timing.response_ns = now - ac->request_ns;
	seg->timing.response_net_ns = net < seg->timing.response_ns ? net : seg->timing.response_ns;
	seg->timing.request_n = ac->first_frame + ac->request_frame;
	ac->request_ns = 0;
}

void tn_timing_segment(struct tn_analysis_conn *ac, struct tn_segment *seg)
{
	int64_t now = seg->now_ns;
	struct tn_timing_side *me = &ac->side[seg->track.side].timing;
	memset(&seg->timing, 0, sizeof seg->timing);
	if (ac->last_ns && now - ac->last_ns >= IDLE_NOTE_NS)
		seg->timing.idle_ns = now - ac->last_ns;
	ac->last_ns = now;
	handshake_legs(ac, seg, now);
	round_trips(ac, seg, now);
	in_flight(ac, seg);
	start_timing(me, seg, now);
	uint16_t mss = ac->side[!seg->track.side].mss;
	if (mss && seg->pkt->payload_len > mss)
		seg->timing.oversize_mss = mss;
	if (seg->new_bytes && !me->first_data_ns)
		me->first_data_ns = now;
	exchange(ac, seg, now);
}
