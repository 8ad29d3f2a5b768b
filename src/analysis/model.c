/*
 * model.c — each direction's sequence space, brought up to date after a
 * segment has been classified (verdict.c reads it, this file writes it).
 *
 * Per sending side: the next sequence number expected (one past the highest
 * sent, SYN and FIN counting one), the highest in-order number the peer may
 * acknowledge, the last ACK and window it sent and when, its run of
 * duplicate ACKs, the verdicts of its last segment, a ring of the last few
 * segments it sent (to name the frame a retransmission repeats), and the
 * counts its connection report gives. The order of the updates is
 * Wireshark's (tcp_analyze_sequence_number, after "finished_fwd"), so the
 * next segment is judged against the same state tshark would judge it by.
 */
#include <tcpnarrate/analysis.h>
#include <tcpnarrate/seq.h>

static bool has(const struct tn_segment *seg, enum tn_verdict_kind k)
{
	return tn_segment_verdict(seg, k) != NULL;
}

static uint16_t syn_mss(const struct tn_packet *pkt)
{
	for (unsigned i = 0; i < pkt->tcp.n_opts; i++)
		if (pkt->tcp.opts[i].kind == TN_OPT_MSS)
			return pkt->tcp.opts[i].u.mss;
	return 0;
}

static uint32_t rel_frame(const struct tn_analysis_conn *ac, const struct tn_segment *seg)
{
	return (uint32_t)(seg->frame->n - ac->first_frame);
}

/* Wireshark's first RTT: from the most recent SYN (not a SYN-ACK) to the first ACK without SYN. */
static void handshake_time(struct tn_analysis_conn *ac, const struct tn_segment *seg,
			   int64_t now_ns)
{
	uint16_t fl = seg->pkt->tcp.flags;
	if ((fl & (TN_TH_SYN | TN_TH_ACK)) == TN_TH_ACK && ac->syn_ns && !ac->first_rtt_ns)
		ac->first_rtt_ns = now_ns - ac->syn_ns;
	if ((fl & (TN_TH_SYN | TN_TH_ACK)) == TN_TH_SYN)
		ac->syn_ns = now_ns;
}

/*
 * Accurate ECN (RFC 9768 §3.1.1): a SYN with AE, CWR and ECE all set asks
 * for it; a SYN-ACK agrees with any of the combinations its Table 2 gives
 * (anything but none of them, ECE alone, or all three). From then on the
 * three bits of every other segment are the ACE counter, not ECN flags.
 */
static void accecn_handshake(struct tn_analysis_conn *ac, uint16_t f)
{
	uint16_t ecn = f & (TN_TH_AE | TN_TH_CWR | TN_TH_ECE);
	if ((f & (TN_TH_SYN | TN_TH_ACK)) == TN_TH_SYN)
		ac->accecn_asked = ecn == (TN_TH_AE | TN_TH_CWR | TN_TH_ECE);
	else if ((f & (TN_TH_SYN | TN_TH_ACK)) == (TN_TH_SYN | TN_TH_ACK) && ac->accecn_asked)
		ac->accecn = ecn && ecn != TN_TH_ECE && ecn != (TN_TH_AE | TN_TH_CWR | TN_TH_ECE);
}

void tn_analysis_begin(struct tn_analysis_conn *ac, struct tn_segment *seg)
{
	accecn_handshake(ac, seg->pkt->tcp.flags);
	seg->accecn = ac->accecn && !(seg->pkt->tcp.flags & TN_TH_SYN);
	if (!ac->first_frame)
		ac->first_frame = seg->frame->n;
	handshake_time(ac, seg, seg->now_ns);
}

/* Duplicate ACKs in a row, and the last ACK that was not one (finished_fwd). */
static void dup_acks(struct tn_analysis_side *fwd, const struct tn_segment *seg, uint32_t frame)
{
	uint32_t ack = seg->pkt->tcp.ack;
	if (has(seg, TN_V_DUPLICATE_ACK))
		fwd->dupacknum++;
	if (ack != fwd->lastack) {
		fwd->lastnondupack = frame;
		fwd->dupacknum = 0;
	}
}

/* After an ACK of bytes never seen: the mark moves up to what the peer has sent. */
static void ack_lost_update(struct tn_analysis_side *rev, const struct tn_segment *seg)
{
	if (tn_segment_verdict(seg, TN_V_ACK_LOST_SEGMENT))
		rev->maxseqtobeacked = rev->nextseq;
}

/*
 * Gaps: a lost segment opens one; data shrinks them. A segment in the middle
 * of a gap splits it when a slot is free, else keeps the larger part (the
 * bound on memory; the bytes of the part let go are never counted as new).
 */
static void holes(struct tn_analysis_side *fwd, const struct tn_segment *seg, uint64_t first)
{
	uint32_t a = seg->pkt->tcp.seq, b = a + seg->pkt->payload_len;
	if (tn_segment_verdict(seg, TN_V_LOST_SEGMENT)) {
		int slot = 0;
		for (int i = 1; i < TN_HOLES; i++)
			if (fwd->hole[i].end - fwd->hole[i].start < fwd->hole[slot].end - fwd->hole[slot].start)
				slot = i;
		fwd->hole[slot].start = fwd->nextseq;
		fwd->hole[slot].end = a;
		fwd->hole[slot].frame = (uint32_t)(seg->frame->n - first);
	}
	for (int i = 0; i < TN_HOLES && b != a; i++) {
		uint32_t hs = fwd->hole[i].start, he = fwd->hole[i].end;
		if (hs == he || !tn_seq_lt(a, he) || !tn_seq_gt(b, hs))
			continue;
		bool left = tn_seq_lt(hs, a), right = tn_seq_gt(he, b);
		if (left && right && a - hs < he - b)
			fwd->hole[i].start = b; /* keep the larger part */
		else if (left)
			fwd->hole[i].end = a;
		else if (right)
			fwd->hole[i].start = b;
		else
			fwd->hole[i].start = fwd->hole[i].end = 0;
	}
}

static void advance(struct tn_analysis_side *fwd, const struct tn_segment *seg, uint32_t frame,
		    int64_t now_ns)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	uint32_t len = seg->pkt->payload_len;
	bool probe = has(seg, TN_V_ZERO_WINDOW_PROBE);
	uint32_t next = t->seq + len;
	if (len || (t->flags & (TN_TH_SYN | TN_TH_FIN))) {
		if (t->flags & (TN_TH_SYN | TN_TH_FIN))
			next++;
		struct tn_sent_seg *s = &fwd->sent[fwd->ring_next];
		s->seq = t->seq;
		s->end = next;
		s->frame = frame;
		fwd->ring_next = (uint8_t)((fwd->ring_next + 1) % TN_SENT_RING);
	}
	/* A zero window probe's byte does not advance: the window had no room for it. */
	if ((tn_seq_gt(next, fwd->nextseq) || !fwd->nextseq) && !probe) {
		fwd->nextseq = next;
		fwd->nextseq_frame = frame;
		fwd->nextseq_ns = now_ns;
	}
	if ((t->seq == fwd->maxseqtobeacked || !fwd->maxseqtobeacked) && !probe)
		fwd->maxseqtobeacked = fwd->nextseq;
}

static void count(struct tn_analysis_side *fwd, const struct tn_segment *seg, int64_t now_ns)
{
	struct tn_analysis_counts *n = &fwd->count;
	uint32_t len = seg->pkt->payload_len;
	if (tn_segment_resent(seg)) {
		n->retransmissions++;
		n->retransmitted_bytes += len;
	}
	n->unique_bytes += seg->new_bytes;
	n->out_of_order += has(seg, TN_V_OUT_OF_ORDER);
	n->lost += has(seg, TN_V_LOST_SEGMENT);
	n->dup_acks += has(seg, TN_V_DUPLICATE_ACK);
	n->zw_probes += has(seg, TN_V_ZERO_WINDOW_PROBE);
	n->keep_alives += has(seg, TN_V_KEEP_ALIVE);
	/* Time at zero window: from the first zero to the next non-zero advertisement. */
	bool zero = seg->pkt->tcp.window == 0 && !(seg->pkt->tcp.flags & TN_TH_RST);
	if (zero && n->zero_since_ns < 0) {
		n->zero_since_ns = now_ns;
	} else if (!zero && n->zero_since_ns >= 0) {
		n->zero_window_ns += now_ns - n->zero_since_ns;
		n->zero_since_ns = -1;
	}
}

void tn_analysis_update(struct tn_analysis_conn *ac, const struct tn_segment *seg)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	struct tn_analysis_side *fwd = &ac->side[seg->track.side];
	struct tn_analysis_side *rev = &ac->side[!seg->track.side];
	int64_t now_ns = seg->now_ns;
	uint32_t frame = rel_frame(ac, seg);

	if (tn_segment_verdict(seg, TN_V_DUPLICATE_FRAME))
		return; /* the same frame again: the model has it already */
	fwd->last_sig = seg->frame_sig;
	dup_acks(fwd, seg, frame);
	ack_lost_update(rev, seg);
	holes(fwd, seg, ac->first_frame);
	if ((t->flags & TN_TH_SYN) && !fwd->mss)
		fwd->mss = syn_mss(seg->pkt);
	if ((t->flags & TN_TH_FIN) && !(t->flags & TN_TH_RST) && !fwd->has_fin) {
		fwd->has_fin = true;
		fwd->fin_seq = t->seq + seg->pkt->payload_len + ((t->flags & TN_TH_SYN) ? 1u : 0u);
	}
	advance(fwd, seg, frame, now_ns);
	fwd->window = t->window;
	fwd->shift = seg->track.window_known ? seg->track.shift : -1;
	fwd->lastack = t->ack;
	fwd->lastack_ns = now_ns;
	fwd->last_frame = frame;
	fwd->last_kinds = 0;
	for (unsigned i = 0; i < seg->n_verdicts; i++)
		fwd->last_kinds |= 1u << seg->verdict[i].kind;
	count(fwd, seg, now_ns);
	tn_zeek_segment(&ac->zeek, seg);
}
