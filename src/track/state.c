/*
 * state.c — both endpoints' RFC 9293 state machines, as a passive observer
 * on the wire infers them.
 *
 * A sender's state changes when it sends (a SYN, a FIN, a reset); a
 * receiver's when the segment reaches it (RFC 9293 §3.10.7, "SEGMENT
 * ARRIVES"). Both happen at the moment of capture: we cannot see when the
 * segment really arrived, nor what an endpoint did not send. Where the wire
 * says nothing (a server in LISTEN before the first SYN, TIME-WAIT running
 * out) the state is inferred and labelled so.
 *
 * Resets are checked as RFC 5961 §3.2 asks: only a reset whose sequence
 * number is exactly the next one the receiver expects closes the connection;
 * one elsewhere in the window gets a challenge ACK; one outside is dropped.
 * In SYN-SENT, a reset counts only if it acknowledges the SYN (§3.10.7.3).
 *
 * tn_track_state dispatches as Suricata's stream-tcp.c does: a reset to the
 * reset handlers; any other segment first to what sending it does to the
 * sender, then to one handler per state the receiver is in. Small named
 * predicates (syn_acceptable, rst_acceptable, ...) carry the RFC tests.
 */
#include <tcpnarrate/seq.h>
#include <tcpnarrate/track.h>

static const char *const state_names[TN_ST_COUNT] = {
	[TN_ST_CLOSED] = "CLOSED",
	[TN_ST_LISTEN] = "LISTEN",
	[TN_ST_SYN_SENT] = "SYN-SENT",
	[TN_ST_SYN_RECEIVED] = "SYN-RECEIVED",
	[TN_ST_ESTABLISHED] = "ESTABLISHED",
	[TN_ST_FIN_WAIT_1] = "FIN-WAIT-1",
	[TN_ST_FIN_WAIT_2] = "FIN-WAIT-2",
	[TN_ST_CLOSE_WAIT] = "CLOSE-WAIT",
	[TN_ST_CLOSING] = "CLOSING",
	[TN_ST_LAST_ACK] = "LAST-ACK",
	[TN_ST_TIME_WAIT] = "TIME-WAIT",
};

const char *tn_state_name(enum tn_state st)
{
	return (unsigned)st < TN_ST_COUNT ? state_names[st] : "?";
}

static void move(struct tn_track_side *s, enum tn_state to, enum tn_why why, uint8_t *why_out)
{
	s->state = to;
	*why_out = why;
}

/*
 * One segment as the state machines take it: S sent it, R receives it. The
 * handlers below each answer for one state or one step, and share this.
 */
struct segment {
	struct tn_track *tr;
	struct tn_track_conn *c;
	struct tn_track_side *S, *R;  /* sender, receiver */
	uint8_t *why_s, *why_r;       /* their reasons in the view */
	const struct tn_packet *pkt;
	const struct tn_tcp *t;
	int side;                     /* the sender's side index */
	int64_t now_ns;
	bool syn, ack, fin, rst;
};

/* RFC 9293 §3.10.7.3: an ACK of s's SYN is acceptable when ISS < SEG.ACK <= SND.NXT. */
static bool syn_acceptable(const struct tn_track_side *s, uint32_t ack)
{
	if (!s->syn_sent || !tn_seq_gt(ack, s->isn))
		return false;
	return !s->snd_nxt_set || tn_seq_leq(ack, s->snd_nxt);
}

/* ack acknowledges s's FIN when it is past the FIN's sequence number. */
static bool fin_acked_by(const struct tn_track_side *s, uint32_t ack)
{
	return s->fin_sent && tn_seq_gt(ack, s->fin_seq);
}

/*
 * s took no step of its own yet: it is closed, taken to be listening, or in
 * SYN-RECEIVED only because a SYN reached it (it has sent no SYN-ACK).
 */
static bool has_not_opened(const struct tn_track_side *s)
{
	return s->state == TN_ST_CLOSED || s->state == TN_ST_LISTEN ||
	       (s->state == TN_ST_SYN_RECEIVED && !s->syn_sent);
}

/* First segment of a connection: who is client and server, and where each starts. */
static void assign_roles(struct tn_track_conn *c, int side, const struct tn_packet *pkt,
			 struct tn_track_view *v)
{
	const struct tn_tcp *t = &pkt->tcp;
	bool syn = t->flags & TN_TH_SYN, ack = t->flags & TN_TH_ACK;
	if (syn && !ack) {
		c->client = (int8_t)side;
		c->side[side].state = TN_ST_CLOSED;
		c->side[!side].state = TN_ST_LISTEN;
		c->side[!side].passive = true;
		return;
	}
	if (syn && ack) {
		/* The SYN itself was missed: the receiver must have sent it. */
		c->client = (int8_t)!side;
		struct tn_track_side *cl = &c->side[!side];
		cl->state = TN_ST_SYN_SENT;
		/* Its SYN is not in the capture, but the SYN-ACK acknowledges it. */
		cl->syn_sent = true;
		cl->isn = t->ack - 1;
		cl->snd_nxt = t->ack;
		cl->snd_nxt_set = true;
		c->side[side].state = TN_ST_LISTEN;
		c->side[side].passive = true;
		v->inferred[!side] = true;
		return;
	}
	/* Mid-stream: the well-known (or else the lower) port is the server's. */
	uint16_t my_port = t->sport, peer_port = t->dport;
	bool me_server;
	if ((my_port < 1024) != (peer_port < 1024))
		me_server = my_port < 1024;
	else
		me_server = my_port < peer_port;
	c->client = (int8_t)(me_server ? !side : side);
	c->roles_inferred = true;
	c->established = true;
	c->side[0].state = c->side[1].state = TN_ST_ESTABLISHED;
	v->inferred[0] = v->inferred[1] = true;
}

static void enter_time_wait(struct tn_track *tr, struct tn_track_conn *c, int64_t now_ns)
{
	/* Requeue at the tail: deadlines stay in order because 2×MSL is constant. */
	tn_track_conn_forget(tr, c);
	c->time_wait_end_ns = now_ns + 2 * tr->msl_ns;
	c->tw_prev = tr->tw_tail;
	c->tw_next = NULL;
	if (tr->tw_tail)
		tr->tw_tail->tw_next = c;
	else
		tr->tw_head = c;
	tr->tw_tail = c;
}

/* s moves to TIME-WAIT; the connection joins the queue of those in it. */
static void time_wait_from(struct segment *g, struct tn_track_side *s, uint8_t *why_out,
			   enum tn_why why)
{
	move(s, TN_ST_TIME_WAIT, why, why_out);
	enter_time_wait(g->tr, g->c, g->now_ns);
}

/* Milliseconds from the connection's first segment to now, saturated. */
static uint32_t ms_into(const struct segment *g)
{
	int64_t ms = (g->now_ns - g->c->first_ns) / 1000000;
	return ms < 0 ? 0 : ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}


/*
 * RFC 5961 §3.2: R accepts a reset whose sequence number is exactly the next
 * one it expects. A sender seen to send nothing but resets leaves nothing to
 * check against.
 */
static bool rst_acceptable(const struct tn_track_side *S, const struct tn_track_side *R,
			   uint32_t seq)
{
	/* What R expects next: what it acknowledged last, or all S had sent. */
	uint32_t expect = R->ack_sent ? R->last_ack : S->snd_nxt;
	bool exact = seq == expect || (S->snd_nxt_set && seq == S->snd_nxt);
	return exact || !S->snd_nxt_set;
}

/* RFC 5961 §3.2: a reset elsewhere in R's window gets a challenge ACK. */
static bool rst_in_window(const struct tn_track_side *R, uint32_t seq)
{
	uint64_t wnd = R->window ? R->window : 1;
	return R->ack_sent && (uint64_t)(uint32_t)(seq - R->last_ack) < wnd;
}

/* RFC 9293 §3.10.7.3: in SYN-SENT, a reset counts only if it acknowledges the SYN. */
static bool rst_in_syn_sent(struct segment *g)
{
	struct tn_track_side *S = g->S, *R = g->R;
	if (!g->ack || !syn_acceptable(R, g->t->ack)) {
		*g->why_r = *g->why_s = TN_WHY_RST_IGNORED;
		return false;
	}
	move(R, TN_ST_CLOSED, TN_WHY_REFUSED, g->why_r);
	/* Taken to be listening until now: it never was, it answers with a reset. */
	if (has_not_opened(S))
		move(S, TN_ST_CLOSED, TN_WHY_NOT_LISTENING, g->why_s);
	else
		move(S, TN_ST_CLOSED, TN_WHY_SENT_RST, g->why_s);
	g->c->refused = !g->c->established;
	g->c->rst_by = (int8_t)g->side;
	return true;
}

/* A reset reaching SYN-RECEIVED or a synchronized state. */
static bool rst_in_synchronized(struct segment *g)
{
	struct tn_track_side *S = g->S, *R = g->R;
	if (!rst_acceptable(S, R, g->t->seq)) {
		*g->why_r = *g->why_s = rst_in_window(R, g->t->seq) ? TN_WHY_RST_CHALLENGED
								   : TN_WHY_RST_IGNORED;
		return false;
	}
	/* RFC 9293 §3.10.7.4: from a passive open, SYN-RECEIVED goes back to LISTEN. */
	if (R->state == TN_ST_SYN_RECEIVED && R->passive)
		move(R, TN_ST_LISTEN, TN_WHY_GOT_RST, g->why_r);
	else
		move(R, TN_ST_CLOSED, TN_WHY_GOT_RST, g->why_r);
	/*
	 * Already closed or not, the sender is closed by its reset; except in
	 * SYN-SENT, where a reset is the answer to an unacceptable SYN-ACK and
	 * the side stays where it is (RFC 9293 §3.10.7.3).
	 */
	if (S->state != TN_ST_SYN_SENT)
		move(S, TN_ST_CLOSED, TN_WHY_SENT_RST, g->why_s);
	if (g->c->rst_by < 0)
		g->c->rst_by = (int8_t)g->side;
	return true;
}

/* A reset from S reaches R. Returns true when R accepts it. */
static bool reset_arrives(struct segment *g)
{
	switch (g->R->state) {
	case TN_ST_SYN_SENT:
		return rst_in_syn_sent(g);
	case TN_ST_LISTEN:
	case TN_ST_CLOSED:
		*g->why_r = *g->why_s = TN_WHY_AFTER_CLOSE;
		return false;
	default:
		return rst_in_synchronized(g);
	}
}

/* A reset that ends the connection leaves nothing on the TIME-WAIT queue. */
static void reset_step(struct segment *g)
{
	struct tn_track_conn *c = g->c;
	uint8_t before = g->R->state;
	if (!reset_arrives(g))
		return;
	/* Its own reset is proof of the sender's step; the receiver's rests on it arriving. */
	g->S->unconfirmed = false;
	g->S->by_receive = false;
	if (g->R->state != before) {
		g->R->unconfirmed = true;
		g->R->by_receive = false;
	}
	if (c->side[0].state != TN_ST_TIME_WAIT && c->side[1].state != TN_ST_TIME_WAIT)
		tn_track_conn_forget(g->tr, c);
}

/* The same SYN (or SYN-ACK) again, from the same ISN. */
static bool syn_is_retransmission(const struct tn_track_side *S, const struct tn_tcp *t, bool ack)
{
	return (ack ? S->synack_sent : S->syn_sent) && t->seq == S->isn;
}

/* S sends a SYN (an active open) or a SYN-ACK (the answer to one). */
static void sends_syn(struct segment *g)
{
	struct tn_track_side *S = g->S;
	if (syn_is_retransmission(S, g->t, g->ack)) {
		*g->why_s = TN_WHY_RETRANSMISSION;
		return;
	}
	/* A new ISN inside an open connection opens nothing (RFC 5961 §4): its ISN stays. */
	if (S->syn_sent && g->c->established && !g->ack) {
		*g->why_s = *g->why_r = TN_WHY_SYN_CHALLENGED;
		return;
	}
	if (!g->ack) {
		/*
		 * A SYN without ACK: an active open. From a side we took to
		 * be in SYN-RECEIVED, it shows that side never listened: it
		 * sent its SYN before the other one reached it.
		 */
		if (has_not_opened(S))
			move(S, TN_ST_SYN_SENT, TN_WHY_SENT_SYN, g->why_s);
	} else if (S->state == TN_ST_LISTEN || S->state == TN_ST_CLOSED) {
		move(S, TN_ST_SYN_RECEIVED, TN_WHY_SENT_SYNACK, g->why_s);
	} else if (S->state == TN_ST_SYN_SENT) {
		/* Its SYN-ACK acknowledges the other SYN: it had arrived. */
		move(S, TN_ST_SYN_RECEIVED, TN_WHY_SIMULTANEOUS_OPEN, g->why_s);
	}
	S->syn_sent = true;
	S->synack_sent = S->synack_sent || g->ack;
	S->isn = g->t->seq;
}

/* S sends a FIN: it closes, unless this is its FIN again. */
static void sends_fin(struct segment *g)
{
	struct tn_track_side *S = g->S;
	uint32_t fseq = g->t->seq + (g->syn ? 1u : 0u) + g->pkt->payload_len;
	if (S->fin_sent) {
		if (fseq == S->fin_seq && *g->why_s == TN_WHY_NONE)
			*g->why_s = TN_WHY_RETRANSMISSION;
		return;
	}
	S->fin_sent = true;
	S->fin_seq = fseq;
	if (g->c->closed_first < 0)
		g->c->closed_first = (int8_t)g->side;
	/*
	 * In CLOSE-WAIT a side's FIN acknowledges the peer's FIN (its ACK field
	 * is RCV.NXT, past that FIN). If it does not, the side had not received
	 * the peer's FIN when it closed: the two FINs crossed (RFC 9293 §3.6,
	 * simultaneous close), it went ESTABLISHED → FIN-WAIT-1, and with the
	 * peer's FIN arriving it is now CLOSING, not LAST-ACK.
	 */
	bool acks_peer_fin = g->ack && fin_acked_by(g->R, g->t->ack);
	if (S->state == TN_ST_ESTABLISHED || S->state == TN_ST_SYN_RECEIVED)
		move(S, TN_ST_FIN_WAIT_1, TN_WHY_SENT_FIN, g->why_s);
	else if (S->state == TN_ST_CLOSE_WAIT && !acks_peer_fin)
		move(S, TN_ST_CLOSING, TN_WHY_SIMULTANEOUS_CLOSE, g->why_s);
	else if (S->state == TN_ST_CLOSE_WAIT)
		move(S, TN_ST_LAST_ACK, *g->why_s == TN_WHY_FIN_TAKEN ? TN_WHY_FIN_TAKEN_THEN_FIN
								 : TN_WHY_SENT_FIN_SECOND, g->why_s);
}

/* s's last change came from the peer's FIN reaching it. */
static bool took_peer_fin(const struct tn_track_side *s)
{
	if (!s->by_receive)
		return false;
	switch (s->recv_why) {
	case TN_WHY_GOT_FIN:
	case TN_WHY_SIMULTANEOUS_CLOSE:
	case TN_WHY_GOT_FIN_AFTER_OURS:
	case TN_WHY_GOT_FIN_AND_ACK:
		return true;
	default:
		return false;
	}
}

/*
 * In a state the peer's FIN put it in, every ACK the side sends covers that
 * FIN (its ACK field is RCV.NXT). One that does not shows the FIN was not
 * taken: RFC 9293 §3.10.7.4 processes a FIN only in sequence.
 */
static enum tn_corr fin_evidence(const struct segment *g)
{
	const struct tn_track_side *S = g->S;
	if (!g->ack || fin_acked_by(g->R, g->t->ack))
		return TN_CORR_NONE;
	if (S->state == TN_ST_CLOSE_WAIT && g->fin && !S->fin_sent)
		return TN_CORR_FIN_UNSEEN;
	return took_peer_fin(S) ? TN_CORR_FIN_NOT_TAKEN : TN_CORR_NONE;
}

/*
 * The sender's own segment is evidence of the state it was in when it sent
 * it. A change a segment reaching it caused (shown at that segment's
 * capture) can be proven too early: it sent this before that segment
 * reached it. Returns what proves it, or TN_CORR_NONE.
 */
static enum tn_corr contradiction(const struct segment *g)
{
	const struct tn_track_side *S = g->S;
	if (!S->by_receive)
		return TN_CORR_NONE;
	switch (S->state) {
	case TN_ST_CLOSED:
		return S->recv_why == TN_WHY_LAST_ACK_ACKED && !g->syn ? TN_CORR_SENT_AFTER_CLOSE
								     : TN_CORR_NONE;
	case TN_ST_SYN_RECEIVED:
		return g->syn && !g->ack && !S->syn_sent ? TN_CORR_SYN_UNSEEN : TN_CORR_NONE;
	case TN_ST_CLOSE_WAIT:
	case TN_ST_CLOSING:
		return fin_evidence(g);
	case TN_ST_FIN_WAIT_2:
		return g->fin && S->fin_sent && S->recv_why == TN_WHY_GOT_ACK_OF_FIN
		       ? TN_CORR_FIN_ACK_UNSEEN : TN_CORR_NONE;
	case TN_ST_TIME_WAIT:
		if (g->fin && S->fin_sent && S->recv_why == TN_WHY_CLOSING_ACKED)
			return TN_CORR_FIN_ACK_UNSEEN;
		return fin_evidence(g);
	default:
		return TN_CORR_NONE;
	}
}

/*
 * After the correction, the segment that was taken too early reaches the
 * sender now, in the state its own step left it in (RFC 9293 §3.5, §3.6:
 * simultaneous open and close are exactly these crossings). Unconfirmed
 * until the side's own segments show it.
 */
static void replay(struct segment *g, uint8_t why)
{
	struct tn_track_side *S = g->S;
	uint8_t st = S->state;
	if (why == TN_WHY_GOT_SYN && st == TN_ST_SYN_SENT)
		move(S, TN_ST_SYN_RECEIVED, TN_WHY_SIMULTANEOUS_OPEN, g->why_s);
	else if (why == TN_WHY_GOT_FIN && st == TN_ST_FIN_WAIT_1)
		move(S, TN_ST_CLOSING, TN_WHY_SIMULTANEOUS_CLOSE, g->why_s);
	else if (why == TN_WHY_LAST_ACK_ACKED && st == TN_ST_LAST_ACK)
		move(S, TN_ST_CLOSED, TN_WHY_LAST_ACK_ACKED, g->why_s);
	else if (why == TN_WHY_GOT_ACK_OF_FIN && st == TN_ST_FIN_WAIT_1)
		move(S, TN_ST_FIN_WAIT_2, TN_WHY_GOT_ACK_OF_FIN, g->why_s);
	else
		return;
	/* Taken again on the strength of a segment reaching it: a later segment may correct it again. */
	S->unconfirmed = true;
	S->by_receive = true;
	S->prev_state = st;
	S->recv_why = why;
	S->changed_n = g->tr->now_n;
	S->changed_ms = ms_into(g);
}

/*
 * Takes back the state shown for side i since its last change: the view
 * says so (the correction comes before this segment), and i is back where
 * it was. A TIME-WAIT taken back leaves the queue unless the other side
 * still holds one.
 */
static void take_back(struct segment *g, int i, enum tn_corr why, struct tn_track_view *v)
{
	struct tn_track_side *s = &g->c->side[i];
	v->corr_side = (int8_t)i;
	v->corr_shown = s->state;
	v->corr_held = s->prev_state;
	v->corr_why = (uint8_t)why;
	v->corr_from_n = s->changed_n;
	v->before[i] = s->prev_state;
	v->inferred[i] = s->prev_state == TN_ST_LISTEN;
	bool was_tw = s->state == TN_ST_TIME_WAIT;
	s->state = s->prev_state;
	s->by_receive = false;
	if (was_tw && g->c->side[!i].state != TN_ST_TIME_WAIT)
		tn_track_conn_forget(g->tr, g->c);
}

/* Takes back a state the sender's segment disproves; returns the change to replay, or 0. */
static uint8_t correct_sender(struct segment *g, struct tn_track_view *v)
{
	enum tn_corr why = contradiction(g);
	if (why == TN_CORR_NONE)
		return 0;
	take_back(g, g->side, why, v);
	return g->S->recv_why;
}

#define ACK_DELAY_MAX_MS 500u /* RFC 9293 §3.8.6.3: an ACK is delayed less than 0.5 s */

/*
 * S sends its FIN again. R was shown taking the earlier copy, and has sent
 * nothing since (anything it sent would have confirmed or corrected that):
 * after more than the longest an ACK may wait, its silence says the earlier
 * copy was never taken. This copy reaches it instead (receiver_step).
 */
static void fin_copy_lost(struct segment *g, struct tn_track_view *v)
{
	const struct tn_track_side *R = g->R;
	if (!g->fin || *g->why_s != TN_WHY_RETRANSMISSION || v->corr_side >= 0 ||
	    !R->unconfirmed || !took_peer_fin(R))
		return;
	if (ms_into(g) - R->changed_ms <= ACK_DELAY_MAX_MS)
		return;
	take_back(g, !g->side, TN_CORR_FIN_LOST, v);
}

/*
 * A FIN held back (in flight when the side sent, or ahead of missing data)
 * is taken when the side's ACK first covers it, before anything this
 * segment sends: ESTABLISHED → CLOSE-WAIT, FIN-WAIT-1 → CLOSING,
 * FIN-WAIT-2 → TIME-WAIT.
 */
static void fin_taken_late(struct segment *g)
{
	struct tn_track_side *S = g->S;
	if (!g->ack || !fin_acked_by(g->R, g->t->ack))
		return;
	if (S->state == TN_ST_ESTABLISHED && !S->fin_sent)
		move(S, TN_ST_CLOSE_WAIT, TN_WHY_FIN_TAKEN, g->why_s);
	else if (S->state == TN_ST_FIN_WAIT_1)
		move(S, TN_ST_CLOSING, TN_WHY_FIN_TAKEN, g->why_s);
	else if (S->state == TN_ST_FIN_WAIT_2)
		time_wait_from(g, S, g->why_s, TN_WHY_FIN_TAKEN);
}

/* The sender: what sending this segment does to it. */
static void sender_step(struct segment *g, struct tn_track_view *v)
{
	uint8_t again = correct_sender(g, v);
	if (!again || v->corr_why == TN_CORR_FIN_NOT_TAKEN)
		fin_taken_late(g);
	uint8_t st = g->S->state;
	if (g->syn)
		sends_syn(g);
	if (g->fin)
		sends_fin(g);
	if (g->S->state != st)
		g->S->by_receive = false;
	if (again && v->corr_why != TN_CORR_FIN_NOT_TAKEN)
		replay(g, again);
	else if (g->ack && tn_seq_geq(g->t->ack, g->S->confirm_ack))
		g->S->unconfirmed = false; /* it acknowledges what moved it */
	fin_copy_lost(g, v);
	if (g->S->state == TN_ST_CLOSED && *g->why_s == TN_WHY_NONE)
		*g->why_s = TN_WHY_AFTER_CLOSE;
}

/*
 * The receiver: one handler per state it is in when the segment arrives.
 * RFC 9293 §3.10.7.4 takes the ACK field first, then SYN, then FIN, so a
 * handler whose ACK moves R on hands the FIN to the handler of its new state.
 */

static void in_established(struct segment *g)
{
	if (g->fin)
		move(g->R, TN_ST_CLOSE_WAIT, TN_WHY_GOT_FIN, g->why_r);
}

static void in_syn_sent(struct segment *g)
{
	if (g->syn && g->ack && g->R->syn_acked) {
		move(g->R, TN_ST_ESTABLISHED, TN_WHY_GOT_SYNACK, g->why_r);
		in_established(g);
	} else if (g->syn && !g->ack) {
		move(g->R, TN_ST_SYN_RECEIVED, TN_WHY_SIMULTANEOUS_OPEN, g->why_r);
	}
}

static void in_listen_or_closed(struct segment *g)
{
	struct tn_track_side *R = g->R;
	if (g->syn && !g->ack && !g->S->fin_sent) {
		R->passive = R->passive || R->state == TN_ST_LISTEN;
		move(R, TN_ST_SYN_RECEIVED, TN_WHY_GOT_SYN, g->why_r);
	} else if (R->state == TN_ST_CLOSED) {
		*g->why_r = TN_WHY_AFTER_CLOSE;
	}
}

static void in_syn_received(struct segment *g)
{
	if (g->R->syn_acked) {
		move(g->R, TN_ST_ESTABLISHED, TN_WHY_GOT_ACK_OF_SYN, g->why_r);
		in_established(g);
	}
}

static void in_fin_wait_1(struct segment *g)
{
	if (g->R->fin_acked) {
		move(g->R, TN_ST_FIN_WAIT_2, TN_WHY_GOT_ACK_OF_FIN, g->why_r);
		if (g->fin)
			time_wait_from(g, g->R, g->why_r, TN_WHY_GOT_FIN_AND_ACK);
	} else if (g->fin) {
		move(g->R, TN_ST_CLOSING, TN_WHY_SIMULTANEOUS_CLOSE, g->why_r);
	}
}

static void in_fin_wait_2(struct segment *g)
{
	if (g->fin)
		time_wait_from(g, g->R, g->why_r, TN_WHY_GOT_FIN_AFTER_OURS);
}

static void in_closing(struct segment *g)
{
	if (g->R->fin_acked)
		time_wait_from(g, g->R, g->why_r, TN_WHY_CLOSING_ACKED);
}

static void in_last_ack(struct segment *g)
{
	if (g->R->fin_acked)
		move(g->R, TN_ST_CLOSED, TN_WHY_LAST_ACK_ACKED, g->why_r);
}

static void in_time_wait(struct segment *g)
{
	if (g->fin) {
		/* RFC 9293 §3.10.7.4: a FIN again restarts the 2×MSL timer. */
		*g->why_r = TN_WHY_TIME_WAIT_AGAIN;
		enter_time_wait(g->tr, g->c, g->now_ns);
	}
}

/* CLOSE-WAIT has none: it waits for its own side to close. */
static void (*const receive_in[TN_ST_COUNT])(struct segment *) = {
	[TN_ST_CLOSED] = in_listen_or_closed,
	[TN_ST_LISTEN] = in_listen_or_closed,
	[TN_ST_SYN_SENT] = in_syn_sent,
	[TN_ST_SYN_RECEIVED] = in_syn_received,
	[TN_ST_ESTABLISHED] = in_established,
	[TN_ST_FIN_WAIT_1] = in_fin_wait_1,
	[TN_ST_FIN_WAIT_2] = in_fin_wait_2,
	[TN_ST_CLOSING] = in_closing,
	[TN_ST_LAST_ACK] = in_last_ack,
	[TN_ST_TIME_WAIT] = in_time_wait,
};

/* A change the segment caused on reaching R: remembered, unconfirmed until R answers it. */
static void note_receive(struct segment *g, uint8_t before)
{
	struct tn_track_side *R = g->R;
	if (R->state == before)
		return;
	R->by_receive = true;
	R->unconfirmed = true;
	R->prev_state = before;
	R->recv_why = *g->why_r;
	R->changed_n = g->tr->now_n;
	R->changed_ms = ms_into(g);
	R->confirm_ack = g->t->seq + g->pkt->payload_len + (g->syn ? 1u : 0u) + (g->fin ? 1u : 0u);
}

static void receiver_step(struct segment *g)
{
	struct tn_track_side *R = g->R;
	uint8_t before = R->state;
	if (g->ack && syn_acceptable(R, g->t->ack))
		R->syn_acked = true;
	if (g->ack && fin_acked_by(R, g->t->ack))
		R->fin_acked = true;
	if ((unsigned)R->state < TN_ST_COUNT && receive_in[R->state])
		receive_in[R->state](g);
	note_receive(g, before);
	if (g->S->syn_acked && R->syn_acked)
		g->c->established = true;
}

/* Bookkeeping the next segments need. A reset takes no sequence space. */
static void record_sent(struct segment *g, const struct tn_track_view *v)
{
	struct tn_track_side *S = g->S;
	const struct tn_tcp *t = g->t;
	uint32_t seg_len = g->pkt->payload_len + (g->syn ? 1u : 0u) + (g->fin ? 1u : 0u);
	uint32_t end = t->seq + seg_len;
	if (!g->rst && (!S->snd_nxt_set || tn_seq_gt(end, S->snd_nxt))) {
		S->snd_nxt = end;
		S->snd_nxt_set = true;
	}
	if (g->ack && !g->rst && (!S->ack_sent || tn_seq_gt(t->ack, S->last_ack))) {
		S->last_ack = t->ack;
		S->ack_sent = true;
	}
	S->window = v->window_known ? v->window_scaled : t->window;
}

/* The view before the segment: roles on a connection's first one, both states. */
static void open_view(struct tn_track_conn *c, int side, const struct tn_packet *pkt,
		      int64_t now_ns, struct tn_track_view *v)
{
	v->inferred[0] = v->inferred[1] = false;
	v->why[0] = v->why[1] = TN_WHY_NONE;
	v->corr_side = -1;
	v->corr_shown = v->corr_held = v->corr_why = 0;
	v->corr_from_n = 0;
	if (c->client < 0) {
		assign_roles(c, side, pkt, v);
		c->first_ns = now_ns;
	}
	c->last_ns = now_ns;
	for (int i = 0; i < 2; i++) {
		v->before[i] = c->side[i].state;
		if (c->side[i].state == TN_ST_LISTEN)
			v->inferred[i] = true;
	}
}

/* The view after it: both states, and whether this segment ended the connection. */
static void close_view(const struct tn_track_conn *c, bool was_over, struct tn_track_view *v)
{
	for (int i = 0; i < 2; i++) {
		v->after[i] = c->side[i].state;
		v->confirmed[i] = !c->side[i].unconfirmed;
	}
	v->client = c->client;
	v->roles_inferred = c->roles_inferred;
	v->port_reused = c->port_reused && c->side[0].segments + c->side[1].segments == 1;
	v->conn_closed = !was_over && tn_track_conn_over(c);
}

void tn_track_state(struct tn_track *tr, struct tn_track_conn *c, int side,
		    const struct tn_packet *pkt, int64_t now_ns, struct tn_track_view *v)
{
	uint16_t flags = pkt->tcp.flags;
	struct segment g = {
		.tr = tr, .c = c, .S = &c->side[side], .R = &c->side[!side],
		.why_s = &v->why[side], .why_r = &v->why[!side],
		.pkt = pkt, .t = &pkt->tcp, .side = side, .now_ns = now_ns,
		.syn = flags & TN_TH_SYN, .ack = flags & TN_TH_ACK,
		.fin = flags & TN_TH_FIN, .rst = flags & TN_TH_RST,
	};

	open_view(c, side, pkt, now_ns, v);
	bool was_over = tn_track_conn_over(c);
	if (g.rst) {
		reset_step(&g);
	} else {
		sender_step(&g, v);
		receiver_step(&g);
	}
	record_sent(&g, v);
	close_view(c, was_over, v);
}
