/*
 * conn.c — a connection's life in the tracker: start, reuse of its port
 * pair, TIME-WAIT running out in capture time, and the report at its end.
 *
 * TIME-WAIT lasts 2×MSL (RFC 9293 §3.4.2); Linux fixes it at 60 s. Since the
 * duration is the same for every connection, connections entering TIME-WAIT
 * are queued in order and the queue's head is always the next to run out:
 * checking costs nothing per packet unless something expires.
 */
#include <tcpnarrate/seq.h>
#include <tcpnarrate/track.h>

#include <string.h>

void tn_track_init(struct tn_track *tr)
{
	memset(tr, 0, sizeof *tr);
	tr->next_id = 1;
	tr->msl_ns = (int64_t)TN_MSL_DEFAULT_SEC * 1000000000;
}

static void conn_reset(struct tn_track_conn *c, uint64_t id)
{
	memset(c, 0, sizeof *c);
	c->id = id;
	c->client = -1;
	c->closed_first = -1;
	c->rst_by = -1;
	c->side[0].wscale = c->side[1].wscale = TN_WSCALE_NONE;
}

void tn_track_conn_start(struct tn_track *tr, struct tn_track_conn *c, void *owner)
{
	conn_reset(c, tr->next_id++);
	c->owner = owner;
}

void tn_track_conn_restart(struct tn_track *tr, struct tn_track_conn *c)
{
	void *owner = c->owner;
	tn_track_conn_forget(tr, c);
	conn_reset(c, tr->next_id++);
	c->owner = owner;
	c->port_reused = true;
}

static bool closed_or_waiting(uint8_t st)
{
	return st == TN_ST_CLOSED || st == TN_ST_TIME_WAIT || st == TN_ST_LISTEN;
}

bool tn_track_conn_over(const struct tn_track_conn *c)
{
	/* Once a segment has been seen, nobody is left in an opening or closing state. */
	return c->client >= 0 && closed_or_waiting(c->side[0].state) &&
	       closed_or_waiting(c->side[1].state);
}

bool tn_track_conn_reuse(const struct tn_track_conn *c, int side, const struct tn_packet *pkt)
{
	const struct tn_tcp *t = &pkt->tcp;
	if ((t->flags & (TN_TH_SYN | TN_TH_ACK | TN_TH_RST)) != TN_TH_SYN || c->client < 0)
		return false;
	if (!tn_track_conn_over(c))
		return false;
	/* The same SYN again is a retransmission into a closed pair, not a new connection. */
	const struct tn_track_side *s = &c->side[side];
	return !(s->syn_sent && s->isn == t->seq && s->state != TN_ST_CLOSED);
}

void tn_track_conn_forget(struct tn_track *tr, struct tn_track_conn *c)
{
	if (!c->tw_prev && !c->tw_next && tr->tw_head != c)
		return; /* not queued */
	if (c->tw_prev)
		c->tw_prev->tw_next = c->tw_next;
	else
		tr->tw_head = c->tw_next;
	if (c->tw_next)
		c->tw_next->tw_prev = c->tw_prev;
	else
		tr->tw_tail = c->tw_prev;
	c->tw_prev = c->tw_next = NULL;
}

struct tn_track_conn *tn_track_time_wait_expired(struct tn_track *tr, int64_t now_ns, int *sides)
{
	struct tn_track_conn *c;
	while ((c = tr->tw_head) && c->time_wait_end_ns <= now_ns) {
		tn_track_conn_forget(tr, c);
		*sides = 0;
		for (int i = 0; i < 2; i++) {
			if (c->side[i].state == TN_ST_TIME_WAIT) {
				c->side[i].state = TN_ST_CLOSED;
				*sides |= 1 << i;
			}
		}
		if (*sides)
			return c;
	}
	return NULL;
}

void tn_track_report(struct tn_track *tr, struct tn_track_conn *c, enum tn_report_why why,
		     struct tn_conn_report *out)
{
	c->reported = true;
	out->time_wait_sec = 2.0 * (double)tr->msl_ns / 1e9;
	out->conn = c;
	out->client = c->client >= 0 ? c->client : 0;
	out->why = why;
	out->duration = (double)(c->last_ns - c->first_ns) / 1e9;
	out->time_wait_side = -1;
	for (int i = 0; i < 2; i++)
		if (c->side[i].state == TN_ST_TIME_WAIT)
			out->time_wait_side = out->time_wait_side < 0 ? i : 2; /* 2: both */
	if (c->refused)
		out->how = TN_END_REFUSED;
	else if (c->rst_by >= 0)
		out->how = TN_END_RST;
	else if (c->side[0].fin_sent && c->side[1].fin_sent && tn_track_conn_over(c))
		out->how = TN_END_FIN;
	else if (!c->established)
		out->how = TN_END_HALF_OPEN;
	else
		out->how = TN_END_OPEN;
}

void tn_track_update(struct tn_track *tr, struct tn_track_conn *c, int side,
		     const struct tn_packet *pkt, int64_t now_ns, struct tn_track_view *out)
{
	tn_track_segment(c, side, pkt, out);
	tn_track_state(tr, c, side, pkt, now_ns, out);
}

void tn_track_time_wait_cut(const struct tn_track *tr, const struct tn_track_conn *c, int side,
			    const struct tn_packet *pkt, int64_t now_ns, struct tn_tw_cut *out)
{
	out->side = -1;
	for (int i = 0; i < 2; i++)
		if (c->side[i].state == TN_ST_TIME_WAIT)
			out->side = i;
	if (out->side < 0)
		return;
	out->full_ns = 2 * tr->msl_ns;
	out->after_ns = now_ns - (c->time_wait_end_ns - out->full_ns);
	const struct tn_track_side *s = &c->side[side];
	out->isn_above = !s->snd_nxt_set || tn_seq_gt(pkt->tcp.seq, s->snd_nxt);
}
