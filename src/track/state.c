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

/* RFC 9293 §3.10.7.3: an ACK of our SYN is acceptable when ISS < SEG.ACK <= SND.NXT. */
static bool acks_syn(const struct tn_track_side *s, uint32_t ack)
{
	if (!s->syn_sent || !tn_seq_gt(ack, s->isn))
		return false;
	return !s->snd_nxt_set || tn_seq_leq(ack, s->snd_nxt);
}

static bool is_ack_of(uint32_t ack, uint32_t seq_used)
{
	/* ack acknowledges the sequence number seq_used when it is past it */
	return tn_seq_gt(ack, seq_used);
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

/* A reset from S reaches R. Returns true when R accepts it. */
static bool reset_arrives(struct tn_track_conn *c, int side, const struct tn_packet *pkt,
			  struct tn_track_view *v)
{
	struct tn_track_side *S = &c->side[side], *R = &c->side[!side];
	const struct tn_tcp *t = &pkt->tcp;
	uint8_t *why_s = &v->why[side], *why_r = &v->why[!side];

	switch (R->state) {
	case TN_ST_SYN_SENT:
		if ((t->flags & TN_TH_ACK) && acks_syn(R, t->ack)) {
			move(R, TN_ST_CLOSED, TN_WHY_REFUSED, why_r);
			/* Taken to be listening until now: it never was, it answers with a reset. */
			if (S->state == TN_ST_LISTEN || S->state == TN_ST_CLOSED ||
			    (S->state == TN_ST_SYN_RECEIVED && !S->syn_sent))
				move(S, TN_ST_CLOSED, TN_WHY_NOT_LISTENING, why_s);
			else
				move(S, TN_ST_CLOSED, TN_WHY_SENT_RST, why_s);
			c->refused = !c->established;
			c->rst_by = (int8_t)side;
			return true;
		}
		*why_r = *why_s = TN_WHY_RST_IGNORED;
		return false;
	case TN_ST_LISTEN:
	case TN_ST_CLOSED:
		*why_r = *why_s = TN_WHY_AFTER_CLOSE;
		return false;
	default:
		break;
	}
	/* What R expects next: what it acknowledged last, or all S had sent. */
	uint32_t expect = R->ack_sent ? R->last_ack : S->snd_nxt;
	bool exact = t->seq == expect || (S->snd_nxt_set && t->seq == S->snd_nxt);
	uint64_t wnd = R->window ? R->window : 1;
	bool in_window = R->ack_sent && (uint64_t)(uint32_t)(t->seq - R->last_ack) < wnd;
	if (exact || !S->snd_nxt_set) {
		/* RFC 9293 §3.10.7.4: from a passive open, SYN-RECEIVED goes back to LISTEN. */
		if (R->state == TN_ST_SYN_RECEIVED && R->passive)
			move(R, TN_ST_LISTEN, TN_WHY_GOT_RST, why_r);
		else
			move(R, TN_ST_CLOSED, TN_WHY_GOT_RST, why_r);
		if (S->state != TN_ST_CLOSED)
			move(S, TN_ST_CLOSED, TN_WHY_SENT_RST, why_s);
		else
			*why_s = TN_WHY_SENT_RST;
		if (c->rst_by < 0)
			c->rst_by = (int8_t)side;
		return true;
	}
	*why_r = *why_s = in_window ? TN_WHY_RST_CHALLENGED : TN_WHY_RST_IGNORED;
	return false;
}

void tn_track_state(struct tn_track *tr, struct tn_track_conn *c, int side,
		    const struct tn_packet *pkt, int64_t now_ns, struct tn_track_view *v)
{
	struct tn_track_side *S = &c->side[side], *R = &c->side[!side];
	const struct tn_tcp *t = &pkt->tcp;
	bool syn = t->flags & TN_TH_SYN, ack = t->flags & TN_TH_ACK;
	bool fin = t->flags & TN_TH_FIN, rst = t->flags & TN_TH_RST;
	uint32_t seg_len = pkt->payload_len + (syn ? 1u : 0u) + (fin ? 1u : 0u);

	v->inferred[0] = v->inferred[1] = false;
	v->why[0] = v->why[1] = TN_WHY_NONE;
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
	bool was_over = tn_track_conn_over(c);

	if (rst) {
		if (reset_arrives(c, side, pkt, v) && c->side[0].state != TN_ST_TIME_WAIT &&
		    c->side[1].state != TN_ST_TIME_WAIT)
			tn_track_conn_forget(tr, c);
	} else {
		/* The sender: what sending this segment does to it. */
		if (syn) {
			bool again = (ack ? S->synack_sent : S->syn_sent) && t->seq == S->isn;
			if (again) {
				v->why[side] = TN_WHY_RETRANSMISSION;
			} else if (!ack) {
				/*
				 * A SYN without ACK: an active open. From a side we took to
				 * be in SYN-RECEIVED, it shows that side never listened: it
				 * sent its SYN before the other one reached it.
				 */
				if (S->state == TN_ST_CLOSED || S->state == TN_ST_LISTEN ||
				    (S->state == TN_ST_SYN_RECEIVED && !S->syn_sent))
					move(S, TN_ST_SYN_SENT, TN_WHY_SENT_SYN, &v->why[side]);
			} else if (S->state == TN_ST_LISTEN || S->state == TN_ST_CLOSED) {
				move(S, TN_ST_SYN_RECEIVED, TN_WHY_SENT_SYNACK, &v->why[side]);
			} else if (S->state == TN_ST_SYN_SENT) {
				/* Its SYN-ACK acknowledges the other SYN: it had arrived. */
				move(S, TN_ST_SYN_RECEIVED, TN_WHY_SIMULTANEOUS_OPEN, &v->why[side]);
			}
			if (!again) {
				S->syn_sent = true;
				S->synack_sent = S->synack_sent || ack;
				S->isn = t->seq;
			}
		}
		if (fin) {
			uint32_t fseq = t->seq + (syn ? 1u : 0u) + pkt->payload_len;
			if (S->fin_sent && fseq == S->fin_seq) {
				if (v->why[side] == TN_WHY_NONE)
					v->why[side] = TN_WHY_RETRANSMISSION;
			} else if (!S->fin_sent) {
				S->fin_sent = true;
				S->fin_seq = fseq;
				if (c->closed_first < 0)
					c->closed_first = (int8_t)side;
				/*
				 * In CLOSE-WAIT a side's FIN acknowledges the peer's FIN
				 * (its ACK field is RCV.NXT, past that FIN). If it does not,
				 * the side had not received the peer's FIN when it closed:
				 * the two FINs crossed (RFC 9293 §3.6, simultaneous close),
				 * it went ESTABLISHED → FIN-WAIT-1, and with the peer's FIN
				 * arriving it is now CLOSING, not LAST-ACK.
				 */
				bool acks_peer_fin = ack && R->fin_sent && is_ack_of(t->ack, R->fin_seq);
				if (S->state == TN_ST_ESTABLISHED || S->state == TN_ST_SYN_RECEIVED)
					move(S, TN_ST_FIN_WAIT_1, TN_WHY_SENT_FIN, &v->why[side]);
				else if (S->state == TN_ST_CLOSE_WAIT && !acks_peer_fin)
					move(S, TN_ST_CLOSING, TN_WHY_SIMULTANEOUS_CLOSE, &v->why[side]);
				else if (S->state == TN_ST_CLOSE_WAIT)
					move(S, TN_ST_LAST_ACK, TN_WHY_SENT_FIN_SECOND, &v->why[side]);
			}
		}
		if (S->state == TN_ST_CLOSED && v->why[side] == TN_WHY_NONE)
			v->why[side] = TN_WHY_AFTER_CLOSE;

		/* The receiver: the ACK field first, then SYN, then FIN (§3.10.7.4). */
		enum tn_state r0 = R->state;
		if (ack && acks_syn(R, t->ack))
			R->syn_acked = true;
		if (ack && R->fin_sent && is_ack_of(t->ack, R->fin_seq))
			R->fin_acked = true;
		switch (R->state) {
		case TN_ST_SYN_SENT:
			if (syn && ack && R->syn_acked)
				move(R, TN_ST_ESTABLISHED, TN_WHY_GOT_SYNACK, &v->why[!side]);
			else if (syn && !ack)
				move(R, TN_ST_SYN_RECEIVED, TN_WHY_SIMULTANEOUS_OPEN, &v->why[!side]);
			break;
		case TN_ST_LISTEN:
		case TN_ST_CLOSED:
			if (syn && !ack && !S->fin_sent) {
				R->passive = R->passive || R->state == TN_ST_LISTEN;
				move(R, TN_ST_SYN_RECEIVED, TN_WHY_GOT_SYN, &v->why[!side]);
			}
			else if (R->state == TN_ST_CLOSED)
				v->why[!side] = TN_WHY_AFTER_CLOSE;
			break;
		case TN_ST_SYN_RECEIVED:
			if (R->syn_acked)
				move(R, TN_ST_ESTABLISHED, TN_WHY_GOT_ACK_OF_SYN, &v->why[!side]);
			break;
		case TN_ST_FIN_WAIT_1:
			if (R->fin_acked)
				move(R, TN_ST_FIN_WAIT_2, TN_WHY_GOT_ACK_OF_FIN, &v->why[!side]);
			break;
		case TN_ST_CLOSING:
			if (R->fin_acked) {
				move(R, TN_ST_TIME_WAIT, TN_WHY_CLOSING_ACKED, &v->why[!side]);
				enter_time_wait(tr, c, now_ns);
			}
			break;
		case TN_ST_LAST_ACK:
			if (R->fin_acked)
				move(R, TN_ST_CLOSED, TN_WHY_LAST_ACK_ACKED, &v->why[!side]);
			break;
		default:
			break;
		}
		if (fin) {
			switch (R->state) {
			case TN_ST_ESTABLISHED:
				move(R, TN_ST_CLOSE_WAIT, TN_WHY_GOT_FIN, &v->why[!side]);
				break;
			case TN_ST_FIN_WAIT_1:
				move(R, TN_ST_CLOSING, TN_WHY_SIMULTANEOUS_CLOSE, &v->why[!side]);
				break;
			case TN_ST_FIN_WAIT_2:
				move(R, TN_ST_TIME_WAIT, r0 == TN_ST_FIN_WAIT_1 ? TN_WHY_GOT_FIN_AND_ACK :
				     TN_WHY_GOT_FIN_AFTER_OURS, &v->why[!side]);
				enter_time_wait(tr, c, now_ns);
				break;
			case TN_ST_TIME_WAIT:
				if (r0 == TN_ST_TIME_WAIT) {
					/* RFC 9293 §3.10.7.4: a FIN again restarts the 2×MSL timer. */
					v->why[!side] = TN_WHY_TIME_WAIT_AGAIN;
					enter_time_wait(tr, c, now_ns);
				}
				break;
			default:
				break;
			}
		}
		if (S->syn_acked && R->syn_acked)
			c->established = true;
	}

	/* Bookkeeping the next segments need. A reset takes no sequence space. */
	uint32_t end = t->seq + seg_len;
	if (!rst && (!S->snd_nxt_set || tn_seq_gt(end, S->snd_nxt))) {
		S->snd_nxt = end;
		S->snd_nxt_set = true;
	}
	if (ack && !rst && (!S->ack_sent || tn_seq_gt(t->ack, S->last_ack))) {
		S->last_ack = t->ack;
		S->ack_sent = true;
	}
	S->window = v->window_known ? v->window_scaled : t->window;

	for (int i = 0; i < 2; i++)
		v->after[i] = c->side[i].state;
	v->client = c->client;
	v->roles_inferred = c->roles_inferred;
	v->port_reused = c->port_reused && c->side[0].segments + c->side[1].segments == 1;
	v->conn_closed = !was_over && tn_track_conn_over(c);
}
