/*
 * seqspace.c — relative sequence numbers and window scaling per side.
 *
 * Relative numbers count from a side's initial sequence number, so its SYN
 * is 0 and its first data byte 1 (RFC 9293 §3.4: the SYN occupies one
 * sequence number). When the SYN was not captured we count from one before
 * the first number seen, which keeps the same convention (Wireshark does
 * likewise). A window is scaled only when both SYNs were seen and both
 * offered the option (RFC 7323 §2.2); the SYN's own window never is.
 */
#include <tcpnarrate/seq.h>
#include <tcpnarrate/track.h>


static int8_t syn_wscale(const struct tn_packet *pkt)
{
	for (unsigned i = 0; i < pkt->tcp.n_opts; i++) {
		const struct tn_tcp_option *o = &pkt->tcp.opts[i];
		if (o->kind == TN_OPT_WSCALE)
			return (int8_t)(o->u.shift > TN_WSCALE_MAX ? TN_WSCALE_MAX : o->u.shift);
	}
	return TN_WSCALE_NONE;
}

void tn_track_segment(struct tn_track_conn *c, int side, const struct tn_packet *pkt,
		      struct tn_track_view *out)
{
	struct tn_track_side *me = &c->side[side], *peer = &c->side[!side];
	const struct tn_tcp *t = &pkt->tcp;
	bool syn = t->flags & TN_TH_SYN;

	out->new_conn = me->segments == 0 && peer->segments == 0;
	if (syn && !me->syn_seen) {
		me->syn_seen = true;
		me->base = t->seq;
		me->base_set = true;
		me->wscale = syn_wscale(pkt);
	} else if (!me->base_set) {
		me->base = t->seq - 1;
		me->base_set = true;
	}
	if ((t->flags & TN_TH_ACK) && !peer->base_set) {
		peer->base = t->ack - 1;
		peer->base_set = true;
	}
	me->segments++;
	me->payload_bytes += pkt->payload_len;

	out->conn = c->id;
	out->side = side;
	out->rel_seq = tn_seq_rel(t->seq, me->base);
	out->rel_ack = (t->flags & TN_TH_ACK) ? tn_seq_rel(t->ack, peer->base) : 0;
	out->seq_base_is_isn = me->syn_seen;
	out->ack_base_is_isn = peer->syn_seen;

	out->syn_window = syn;
	if (syn) {
		out->window_known = true;
		out->shift = 0;
	} else if (me->syn_seen && peer->syn_seen) {
		out->window_known = true;
		out->shift = (me->wscale != TN_WSCALE_NONE && peer->wscale != TN_WSCALE_NONE)
				     ? me->wscale : 0;
	} else {
		out->window_known = false;
		out->shift = 0;
	}
	out->window_scaled = (uint64_t)t->window << out->shift;

	/* SACK blocks name the peer's bytes (RFC 2018 §3), so they count from its origin. */
	out->n_sack = 0;
	for (unsigned i = 0; i < t->n_opts; i++) {
		const struct tn_tcp_option *o = &t->opts[i];
		if (o->kind != TN_OPT_SACK)
			continue;
		for (unsigned b = 0; b < o->u.sack.count && out->n_sack < TN_MAX_SACK_BLOCKS; b++) {
			out->sack_rel_left[out->n_sack] = tn_seq_rel(o->u.sack.left[b], peer->base);
			out->sack_rel_right[out->n_sack] = tn_seq_rel(o->u.sack.right[b], peer->base);
			out->n_sack++;
		}
	}
}
