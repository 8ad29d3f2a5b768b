/*
 * verdict.c — what a segment is, judged against what its connection sent
 * before: Wireshark's TCP analysis, as small pure classifiers over a
 * fixed-size model of each direction's sequence space.
 *
 * The definitions are those of Wireshark's tcp_analyze_sequence_number()
 * (epan/dissectors/packet-tcp.c, 4.0), step for step, so that tshark's
 * tcp.analysis flags and tcpnarrate's verdicts can be compared frame by
 * frame (tests/oracle/analysis_agreement.py); docs/analysis.md states each
 * one in words and where tcpnarrate's differs. Like Wireshark's, the model
 * keeps raw sequence numbers and takes 0 for "not seen yet".
 *
 * tn_analysis_classify() only reads the model: each classifier looks at the
 * model as it was before the segment and adds at most one verdict, with its
 * evidence. tn_analysis_update() then brings the model up to date, in the
 * order Wireshark does. Nothing here allocates; a connection's model is the
 * same size whatever it carries.
 */
#include <tcpnarrate/analysis.h>
#include <tcpnarrate/seq.h>

#include <stdio.h>
#include <string.h>

static const struct {
	const char *key, *name;
} verdict_names[TN_V_COUNT] = {
	[TN_V_RETRANSMISSION] = { "retransmission", "retransmission" },
	[TN_V_FAST_RETRANSMISSION] = { "fast_retransmission", "fast retransmission" },
	[TN_V_SPURIOUS_RETRANSMISSION] = { "spurious_retransmission", "spurious retransmission" },
	[TN_V_OUT_OF_ORDER] = { "out_of_order", "out of order" },
	[TN_V_LOST_SEGMENT] = { "lost_segment", "previous segment not captured" },
	[TN_V_ACK_LOST_SEGMENT] = { "ack_lost_segment", "acknowledges a segment not captured" },
	[TN_V_DUPLICATE_ACK] = { "duplicate_ack", "duplicate ACK" },
	[TN_V_ZERO_WINDOW] = { "zero_window", "zero window" },
	[TN_V_ZERO_WINDOW_PROBE] = { "zero_window_probe", "zero window probe" },
	[TN_V_ZERO_WINDOW_PROBE_ACK] = { "zero_window_probe_ack", "zero window probe ACK" },
	[TN_V_WINDOW_FULL] = { "window_full", "window full" },
	[TN_V_WINDOW_UPDATE] = { "window_update", "window update" },
	[TN_V_KEEP_ALIVE] = { "keep_alive", "keep-alive" },
	[TN_V_KEEP_ALIVE_ACK] = { "keep_alive_ack", "keep-alive ACK" },
	[TN_V_REUSED_PORTS] = { "reused_ports", "port numbers reused" },
	[TN_V_DUPLICATE_FRAME] = { "duplicate_frame", "duplicate frame" },
	[TN_V_DATA_AFTER_FIN] = { "data_after_fin", "data after FIN" },
};

const char *tn_verdict_key(enum tn_verdict_kind kind)
{
	return (unsigned)kind < TN_V_COUNT ? verdict_names[kind].key : "?";
}

const char *tn_verdict_name(enum tn_verdict_kind kind)
{
	return (unsigned)kind < TN_V_COUNT ? verdict_names[kind].name : "?";
}

bool tn_verdict_is_retransmission(enum tn_verdict_kind kind)
{
	return kind == TN_V_RETRANSMISSION || kind == TN_V_FAST_RETRANSMISSION ||
	       kind == TN_V_SPURIOUS_RETRANSMISSION;
}

void tn_analysis_conn_init(struct tn_analysis_conn *ac)
{
	memset(ac, 0, sizeof *ac);
	for (int i = 0; i < 2; i++) {
		ac->side[i].window = UINT32_MAX; /* no window seen: never equal to a real one */
		ac->side[i].shift = -1;
		ac->side[i].count.zero_since_ns = -1;
	}
	ac->last_data_side = -1;
}

/* Everything a classifier reads: the segment, both sides' models, and derived numbers. */
struct ctx {
	const struct tn_analysis_conn *ac;
	const struct tn_analysis_side *fwd, *rev;
	const struct tn_segment *seg;
	uint32_t seq, ack, seglen, window;
	uint16_t flags;
	int64_t now_ns;
	uint32_t seq_base, ack_base;   /* raw = relative + base */
	bool ack_base_known;
	bool stop_fwd;                 /* Wireshark's `goto finished_fwd` */
};

static bool has(const struct tn_segment *seg, enum tn_verdict_kind k)
{
	return tn_segment_verdict(seg, k) != NULL;
}

static struct tn_verdict *add(struct tn_segment *seg, enum tn_verdict_kind kind)
{
	if (seg->n_verdicts == TN_MAX_VERDICTS)
		return NULL;
	struct tn_verdict *v = &seg->verdict[seg->n_verdicts++];
	memset(v, 0, sizeof *v);
	v->kind = (uint8_t)kind;
	return v;
}

static void range(struct tn_verdict *v, uint32_t first_raw, uint32_t end_raw, uint32_t base)
{
	if (end_raw == first_raw)
		return;
	v->has_range = true;
	v->first = first_raw - base;
	v->last = end_raw - 1 - base;
}

static uint64_t frame_of(const struct ctx *c, uint32_t delta)
{
	return c->ac->first_frame + delta;
}

#define NO_SYN_FIN_RST(c) (((c)->flags & (TN_TH_SYN | TN_TH_FIN | TN_TH_RST)) == 0)

/* One byte at the next sequence number while the peer's window is zero. */
static void zero_window_probe(struct ctx *c, struct tn_segment *seg)
{
	if (c->seglen != 1 || c->seq != c->fwd->nextseq || c->rev->window != 0)
		return;
	struct tn_verdict *v = add(seg, TN_V_ZERO_WINDOW_PROBE);
	if (v) {
		range(v, c->seq, c->seq + 1, c->seq_base);
		v->ref_n = frame_of(c, c->rev->last_frame);
	}
	c->stop_fwd = true;
}

static void zero_window(struct ctx *c, struct tn_segment *seg)
{
	if (c->window == 0 && NO_SYN_FIN_RST(c))
		add(seg, TN_V_ZERO_WINDOW);
}

/* Data starting past the next expected byte: what lies between was not captured. */
static void lost_segment(struct ctx *c, struct tn_segment *seg)
{
	if (!c->fwd->nextseq || !tn_seq_gt(c->seq, c->fwd->nextseq) || (c->flags & TN_TH_RST))
		return;
	struct tn_verdict *v = add(seg, TN_V_LOST_SEGMENT);
	if (v) {
		range(v, c->fwd->nextseq, c->seq, c->seq_base);
		v->ref_n = frame_of(c, c->fwd->nextseq_frame);
	}
}

static void keep_alive(struct ctx *c, struct tn_segment *seg)
{
	if (c->seglen > 1 || c->seq != c->fwd->nextseq - 1 || !NO_SYN_FIN_RST(c))
		return;
	struct tn_verdict *v = add(seg, TN_V_KEEP_ALIVE);
	if (v) {
		v->ref_n = frame_of(c, c->fwd->last_frame);
		v->dt_ns = c->now_ns - c->fwd->nextseq_ns;
	}
}

/* No data, the same sequence and ACK as before: the window alone changed, or nothing did. */
static bool repeats_ack(const struct ctx *c)
{
	return c->seglen == 0 && c->seq == c->fwd->nextseq && c->ack == c->fwd->lastack &&
	       NO_SYN_FIN_RST(c);
}

static void window_update(struct ctx *c, struct tn_segment *seg)
{
	if (!repeats_ack(c) || !c->window || c->window == c->fwd->window)
		return;
	struct tn_verdict *v = add(seg, TN_V_WINDOW_UPDATE);
	if (v) {
		v->num = c->fwd->window;
		v->num2 = c->window;
	}
}

/* Data up to the very edge of the window the receiver last advertised. */
static void window_full(struct ctx *c, struct tn_segment *seg)
{
	if (!c->seglen || c->rev->shift < 0 || !NO_SYN_FIN_RST(c))
		return;
	uint32_t edge = c->rev->lastack + (c->rev->window << c->rev->shift);
	if (c->seq + c->seglen != edge)
		return;
	struct tn_verdict *v = add(seg, TN_V_WINDOW_FULL);
	if (v) {
		range(v, c->seq, c->seq + c->seglen, c->seq_base);
		v->num = c->rev->window << c->rev->shift;
		v->ref_n = frame_of(c, c->rev->last_frame);
	}
}

/* The same ACK again, answering the peer's last segment of kind `asked`. */
static void probe_answer(struct ctx *c, struct tn_segment *seg, enum tn_verdict_kind asked,
			 enum tn_verdict_kind kind, bool zero)
{
	if (c->stop_fwd || !repeats_ack(c) || c->window != c->fwd->window ||
	    (c->window == 0) != zero || !(c->rev->last_kinds & (1u << asked)))
		return;
	struct tn_verdict *v = add(seg, kind);
	if (v)
		v->ref_n = frame_of(c, c->rev->last_frame);
	c->stop_fwd = true;
}

static void duplicate_ack(struct ctx *c, struct tn_segment *seg)
{
	if (c->stop_fwd || !repeats_ack(c) || !c->window || c->window != c->fwd->window)
		return;
	struct tn_verdict *v = add(seg, TN_V_DUPLICATE_ACK);
	if (v) {
		v->num = (uint32_t)c->fwd->dupacknum + 1;
		v->ref_n = frame_of(c, c->fwd->lastnondupack);
		if (c->ack_base_known)
			v->num2 = c->ack - c->ack_base;
	}
}

/* The gap, if any, that bytes [a, b) of `side` fall in: its opening frame, else 0. */
static uint64_t gap_of(const struct ctx *c, const struct tn_analysis_side *side, uint32_t a,
		       uint32_t b)
{
	for (int i = 0; i < TN_HOLES; i++) {
		uint32_t hs = side->hole[i].start, he = side->hole[i].end;
		if (hs != he && tn_seq_lt(a, he) && tn_seq_gt(b, hs))
			return frame_of(c, side->hole[i].frame);
	}
	return 0;
}

/*
 * An ACK beyond the highest in-order byte the peer was seen to send: bytes
 * the capture missed. As tshark 4.0 does, the mark is then moved up to what
 * the peer has sent (model.c), so one gap is reported once per ACK that
 * still reaches past it.
 */
static void ack_lost_segment(struct ctx *c, struct tn_segment *seg)
{
	if (!(c->flags & TN_TH_ACK) || !c->rev->maxseqtobeacked ||
	    !tn_seq_gt(c->ack, c->rev->maxseqtobeacked))
		return;
	struct tn_verdict *v = add(seg, TN_V_ACK_LOST_SEGMENT);
	if (v) {
		if (c->ack_base_known)
			range(v, c->rev->maxseqtobeacked, c->ack, c->ack_base);
		v->ref_n = frame_of(c, c->rev->nextseq_frame);
		if ((v->gap_n = gap_of(c, c->rev, c->rev->maxseqtobeacked, c->ack)))
			v->gap = TN_GAP_ACKED;
	}
}

/* The frame that first carried byte `seq` of this side, if still in the ring; else 0. */
static uint64_t original_frame(const struct ctx *c, uint32_t seq)
{
	for (int i = 0; i < TN_SENT_RING; i++) {
		const struct tn_sent_seg *s = &c->fwd->sent[i];
		if (s->end != s->seq && tn_seq_leq(s->seq, seq) && tn_seq_lt(seq, s->end))
			return frame_of(c, s->frame);
	}
	return 0;
}

static struct tn_verdict *resend(struct ctx *c, struct tn_segment *seg, enum tn_verdict_kind k)
{
	struct tn_verdict *v = add(seg, k);
	if (!v)
		return NULL;
	v->what = (uint8_t)(((c->flags & TN_TH_SYN) ? TN_RETX_SYN : 0) |
			    ((c->flags & TN_TH_FIN) ? TN_RETX_FIN : 0) |
			    (c->seglen ? TN_RETX_DATA : 0));
	range(v, c->seq, c->seq + c->seglen, c->seq_base);
	v->ref_n = original_frame(c, c->seq);
	if ((v->gap_n = gap_of(c, c->fwd, c->seq, c->seq + c->seglen)))
		v->gap = TN_GAP_RESENT;
	return v;
}

/* Bytes the receiver had already acknowledged: nothing was missing. */
static bool spurious(struct ctx *c, struct tn_segment *seg)
{
	if (!c->seglen || !c->rev->lastack || !tn_seq_leq(c->seq + c->seglen, c->rev->lastack))
		return false;
	struct tn_verdict *v = resend(c, seg, TN_V_SPURIOUS_RETRANSMISSION);
	if (v)
		v->num = c->rev->lastack - c->seq_base;
	resend(c, seg, TN_V_RETRANSMISSION); /* a kind of retransmission, as in tshark */
	return true;
}

/* The byte two or more duplicate ACKs asked for, within 20 ms of the last of them. */
static bool fast(struct ctx *c, struct tn_segment *seg, bool not_advanced)
{
	int64_t since = c->now_ns - c->rev->lastack_ns;
	if (!not_advanced || c->rev->dupacknum < 2 || c->rev->lastack != c->seq || since >= 20000000)
		return false;
	struct tn_verdict *v = resend(c, seg, TN_V_FAST_RETRANSMISSION);
	if (v) {
		v->num = (uint32_t)c->rev->dupacknum;
		v->ref2_n = frame_of(c, c->rev->last_frame);
		v->dt_ns = since;
	}
	resend(c, seg, TN_V_RETRANSMISSION); /* a kind of retransmission, as in tshark */
	return true;
}

/* Sent soon after the segment that carried the highest sequence: overtaken, not resent. */
static bool out_of_order(struct ctx *c, struct tn_segment *seg, bool not_advanced)
{
	int64_t since = c->now_ns - c->fwd->nextseq_ns;
	int64_t thres = c->ac->first_rtt_ns ? c->ac->first_rtt_ns : 3000000;
	uint32_t end = c->seq + c->seglen + ((c->flags & (TN_TH_SYN | TN_TH_FIN)) ? 1u : 0u);
	if (!not_advanced || since >= thres || c->fwd->nextseq == end)
		return false;
	struct tn_verdict *v = add(seg, TN_V_OUT_OF_ORDER);
	if (v) {
		range(v, c->seq, c->seq + c->seglen, c->seq_base);
		v->ref_n = frame_of(c, c->fwd->nextseq_frame);
		v->dt_ns = since;
	}
	return true;
}

/* Data, a SYN or a FIN that does not advance the sequence: which kind of resend. */
static void retransmission(struct ctx *c, struct tn_segment *seg)
{
	if (!c->seglen && !(c->flags & (TN_TH_SYN | TN_TH_FIN)))
		return;
	if (has(seg, TN_V_KEEP_ALIVE))
		return;
	bool not_advanced = c->fwd->nextseq && tn_seq_lt(c->seq, c->fwd->nextseq);
	/* More than one byte from just below nextseq: new data after a zero window probe. */
	if (c->seglen > 1 && c->fwd->nextseq - 1 == c->seq)
		not_advanced = false;
	if (spurious(c, seg) || fast(c, seg, not_advanced) || out_of_order(c, seg, not_advanced))
		return;
	if (not_advanced) {
		struct tn_verdict *v = resend(c, seg, TN_V_RETRANSMISSION);
		if (v)
			v->dt_ns = c->now_ns - c->fwd->nextseq_ns;
	}
}

/*
 * Data past the sequence number its sender's FIN took: a FIN says no more
 * data will follow (RFC 9293 §3.6), so a stack or middlebox broke the rule,
 * or the FIN was not the end of the stream the capture thinks it was.
 */
static void data_after_fin(struct ctx *c, struct tn_segment *seg)
{
	if (!c->fwd->has_fin || !c->seglen || (c->flags & TN_TH_RST) ||
	    !tn_seq_gt(c->seq + c->seglen, c->fwd->fin_seq))
		return;
	struct tn_verdict *v = add(seg, TN_V_DATA_AFTER_FIN);
	if (v) {
		range(v, c->seq, c->seq + c->seglen, c->seq_base);
		v->num = c->fwd->fin_seq - c->seq_base;
	}
}

/* A SYN with a new initial sequence number on a port pair seen before. */
static void reused_ports(struct ctx *c, struct tn_segment *seg)
{
	const struct tn_track_view *v = &seg->track;
	if ((c->flags & (TN_TH_SYN | TN_TH_ACK)) != TN_TH_SYN)
		return;
	if (v->port_reused || (v->seq_base_is_isn && v->rel_seq != 0 && !v->new_conn))
		add(seg, TN_V_REUSED_PORTS);
}

static void ctx_init(struct ctx *c, const struct tn_analysis_conn *ac, const struct tn_segment *seg)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	memset(c, 0, sizeof *c);
	c->ac = ac;
	c->seg = seg;
	c->fwd = &ac->side[seg->track.side];
	c->rev = &ac->side[!seg->track.side];
	c->seq = t->seq;
	c->ack = t->ack;
	c->seglen = seg->pkt->payload_len;
	c->window = t->window;
	c->flags = t->flags;
	c->now_ns = seg->now_ns;
	c->seq_base = t->seq - seg->track.rel_seq;
	c->ack_base_known = (t->flags & TN_TH_ACK) != 0;
	c->ack_base = t->ack - seg->track.rel_ack;
}

/* How many of [a, b) lie in [lo, hi) (sequence arithmetic, a <= b, lo <= hi). */
static uint32_t overlap(uint32_t a, uint32_t b, uint32_t lo, uint32_t hi)
{
	uint32_t s = tn_seq_gt(a, lo) ? a : lo, e = tn_seq_lt(b, hi) ? b : hi;
	return tn_seq_gt(e, s) ? e - s : 0;
}

/* Bytes beyond everything sent so far, and bytes that fill a gap the capture left. */
static uint32_t new_bytes(const struct ctx *c, const struct tn_segment *seg)
{
	uint32_t end = c->seq + c->seglen, n = 0;
	if (!c->seglen || (c->flags & TN_TH_RST) || has(seg, TN_V_ZERO_WINDOW_PROBE) ||
	    seg->keep_alive_data)
		return 0;
	if (!c->fwd->nextseq)
		return c->seglen;
	if (tn_seq_gt(end, c->fwd->nextseq))
		n += end - (tn_seq_gt(c->seq, c->fwd->nextseq) ? c->seq : c->fwd->nextseq);
	for (int i = 0; i < TN_HOLES; i++)
		n += overlap(c->seq, end, c->fwd->hole[i].start, c->fwd->hole[i].end);
	return n > c->seglen ? c->seglen : n;
}

/* The fields a copy of the same frame repeats, folded: IP ID, numbers, flags, window, checksum. */
static uint32_t fold(uint32_t h, uint32_t w)
{
	return (h ^ w) * 16777619u;
}

static uint32_t frame_sig(const struct tn_packet *pkt)
{
	const struct tn_tcp *t = &pkt->tcp;
	uint32_t words[] = { pkt->ip4.id, t->seq, t->ack, pkt->payload_len, t->flags, t->window,
			     t->checksum };
	uint32_t h = 2166136261u;
	if (pkt->ip_version != 4)
		return 0; /* no IP ID to tell two sendings of the same bytes apart */
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		h = fold(h, words[i]);
	for (unsigned i = 0; i < t->n_opts; i++) {
		const struct tn_tcp_option *o = &t->opts[i];
		h = fold(h, o->kind);
		if (o->kind == TN_OPT_TIMESTAMP)
			h = fold(fold(h, o->u.ts.val), o->u.ts.ecr);
		for (unsigned b = 0; o->kind == TN_OPT_SACK && b < o->u.sack.count; b++)
			h = fold(fold(h, o->u.sack.left[b]), o->u.sack.right[b]);
	}
	return h ? h : 1;
}

/*
 * The same IPv4 frame again within a millisecond, identical in every field
 * a new transmission would change (the IP ID, numbers, flags, window,
 * checksum, timestamps, SACK blocks): a SPAN port or a mirror that copied
 * it twice, not the sender sending again. IPv6 has no IP ID, so two ACKs
 * alike in every field can be two sendings: no verdict there. Wireshark
 * calls a copied data frame a retransmission; docs/analysis.md says why not
 * here.
 */
static bool duplicate_frame(const struct ctx *c, struct tn_segment *seg)
{
	if (!c->fwd->last_sig || c->fwd->last_sig != seg->frame_sig ||
	    c->now_ns - c->fwd->lastack_ns > 1000000 || c->now_ns < c->fwd->lastack_ns)
		return false;
	struct tn_verdict *v = add(seg, TN_V_DUPLICATE_FRAME);
	if (v) {
		v->ref_n = frame_of(c, c->fwd->last_frame);
		v->dt_ns = c->now_ns - c->fwd->lastack_ns;
	}
	return true;
}

void tn_analysis_classify(const struct tn_analysis_conn *ac, struct tn_segment *seg)
{
	struct ctx c;
	ctx_init(&c, ac, seg);
	seg->n_verdicts = 0;
	seg->keep_alive_data = false;
	seg->new_bytes = 0;
	seg->frame_sig = frame_sig(seg->pkt);
	if (duplicate_frame(&c, seg))
		return; /* a copy: nothing new to judge */
	reused_ports(&c, seg);
	zero_window_probe(&c, seg);
	if (!c.stop_fwd) {
		zero_window(&c, seg);
		lost_segment(&c, seg);
		keep_alive(&c, seg);
		window_update(&c, seg);
		window_full(&c, seg);
		probe_answer(&c, seg, TN_V_KEEP_ALIVE, TN_V_KEEP_ALIVE_ACK, false);
		probe_answer(&c, seg, TN_V_ZERO_WINDOW_PROBE, TN_V_ZERO_WINDOW_PROBE_ACK, true);
		duplicate_ack(&c, seg);
	}
	ack_lost_segment(&c, seg);
	retransmission(&c, seg);
	data_after_fin(&c, seg);
	seg->keep_alive_data = has(seg, TN_V_KEEP_ALIVE) && c.seglen;
	seg->new_bytes = new_bytes(&c, seg);
}

bool tn_segment_resent(const struct tn_segment *seg)
{
	for (unsigned i = 0; i < seg->n_verdicts && i < TN_MAX_VERDICTS; i++)
		if (tn_verdict_is_retransmission(seg->verdict[i].kind))
			return true;
	return false;
}

const struct tn_verdict *tn_segment_verdict(const struct tn_segment *seg,
					    enum tn_verdict_kind kind)
{
	for (unsigned i = 0; i < seg->n_verdicts && i < TN_MAX_VERDICTS; i++)
		if (seg->verdict[i].kind == kind)
			return &seg->verdict[i];
	return NULL;
}
