/*
 * verdict.c — what a segment is, judged against what its connection sent
 * before: the verdicts and the per-connection model they are read from.
 *
 * Each verdict is decided by one small pure classifier over the model as it
 * stood before the segment and the segment itself (with the tracker's view),
 * and nowhere else: the reports, --compare and every renderer read the
 * verdict instead of deciding again. The model (struct tn_analysis_conn) is
 * fixed in size; it is brought up to date only after every classifier ran.
 *
 * Retransmission is decided as the tracker and the comparison always have:
 * a SYN, SYN-ACK or FIN the tracker has seen from that side before, and data
 * that ends at or below the highest data byte its side had sent.
 */
#include <tcpnarrate/analysis.h>
#include <tcpnarrate/seq.h>

#include <string.h>

static const char *const verdict_keys[TN_VERDICT_COUNT] = {
	[TN_VERDICT_RETRANSMISSION] = "retransmission",
};

const char *tn_verdict_key(enum tn_verdict_kind kind)
{
	return (unsigned)kind < TN_VERDICT_COUNT ? verdict_keys[kind] : "?";
}

void tn_analysis_conn_init(struct tn_analysis_conn *ac)
{
	memset(ac, 0, sizeof *ac);
}

/* Data a segment carries, in relative sequence numbers; false when it carries none. */
static bool data_range(const struct tn_segment *seg, uint32_t *start, uint32_t *end)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	if (!seg->pkt->payload_len || (t->flags & TN_TH_RST))
		return false;
	*start = seg->track.rel_seq + ((t->flags & TN_TH_SYN) ? 1u : 0u);
	*end = *start + seg->pkt->payload_len;
	return true;
}

/* A SYN, SYN-ACK or FIN sent again: the tracker recognised it (state.c). */
static bool control_retransmission(const struct tn_analysis_conn *ac,
				   const struct tn_segment *seg, struct tn_verdict *v)
{
	(void)ac;
	const struct tn_track_view *tv = &seg->track;
	if (tv->why[tv->side] != TN_WHY_RETRANSMISSION)
		return false;
	v->what |= (seg->pkt->tcp.flags & TN_TH_SYN) ? TN_RETX_SYN : TN_RETX_FIN;
	return true;
}

/* Data wholly at or below the highest data byte its side had already sent. */
static bool data_retransmission(const struct tn_analysis_conn *ac, const struct tn_segment *seg,
				struct tn_verdict *v)
{
	const struct tn_analysis_side *s = &ac->side[seg->track.side];
	uint32_t start, end;
	if (!data_range(seg, &start, &end) || !s->data_end_set || !tn_seq_leq(end, s->data_end))
		return false;
	v->what |= TN_RETX_DATA;
	v->first = start;
	v->last = end - 1;
	v->sent_end = s->data_end;
	return true;
}

/*
 * The classifiers, in the order their verdicts are listed. Several may add
 * to one verdict (a FIN retransmitted with its data is one retransmission).
 */
static const struct classifier {
	enum tn_verdict_kind kind;
	bool (*fn)(const struct tn_analysis_conn *ac, const struct tn_segment *seg,
		   struct tn_verdict *v);
} classifiers[] = {
	{ TN_VERDICT_RETRANSMISSION, control_retransmission },
	{ TN_VERDICT_RETRANSMISSION, data_retransmission },
	{ TN_VERDICT_COUNT, NULL },
};

static struct tn_verdict *verdict_slot(struct tn_segment *seg, enum tn_verdict_kind kind)
{
	for (unsigned i = 0; i < seg->n_verdicts; i++)
		if (seg->verdict[i].kind == kind)
			return &seg->verdict[i];
	if (seg->n_verdicts == TN_MAX_VERDICTS)
		return NULL;
	struct tn_verdict *v = &seg->verdict[seg->n_verdicts];
	memset(v, 0, sizeof *v);
	v->kind = (uint8_t)kind;
	return v;
}

void tn_analysis_classify(const struct tn_analysis_conn *ac, struct tn_segment *seg)
{
	seg->n_verdicts = 0;
	for (const struct classifier *c = classifiers; c->fn; c++) {
		struct tn_verdict *v = verdict_slot(seg, c->kind);
		if (!v)
			break;
		bool fresh = v == &seg->verdict[seg->n_verdicts];
		if (c->fn(ac, seg, v) && fresh)
			seg->n_verdicts++;
	}
}

void tn_analysis_update(struct tn_analysis_conn *ac, const struct tn_segment *seg)
{
	struct tn_analysis_side *s = &ac->side[seg->track.side];
	uint32_t start, end;
	if (!data_range(seg, &start, &end))
		return;
	if (!s->data_end_set || !tn_seq_leq(end, s->data_end)) {
		s->data_end = end;
		s->data_end_set = true;
	}
}

const struct tn_verdict *tn_segment_verdict(const struct tn_segment *seg,
					    enum tn_verdict_kind kind)
{
	for (unsigned i = 0; i < seg->n_verdicts && i < TN_MAX_VERDICTS; i++)
		if (seg->verdict[i].kind == kind)
			return &seg->verdict[i];
	return NULL;
}
