/*
 * engine.c — the pipeline, wired once: decode → flow table → tracker →
 * analysis → renderer, with the rules of order that hold between them.
 *
 * This file is the only place that knows every stage. The order of events
 * (pipeline.h) is written here and nowhere else: drivers feed frames and
 * read nothing back but a status. One struct tn_packet is reused for every
 * frame, so after the flow table has grown the per-packet path allocates
 * nothing here, nor in the renderers (the JSON renderer writes segments with
 * a streaming writer and takes cJSON's memory from an arena).
 *
 * Ownership: the engine owns the flow table (and so every struct tn_conn),
 * the tracker, the packet buffer and the list used to report the last
 * connections in order; the renderer is the caller's.
 */
#include <tcpnarrate/pipeline.h>

#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include <tcpnarrate/decode.h>
#include <tcpnarrate/icmp.h>
#include <tcpnarrate/reasm.h>

#define SENDER_SLOTS 4096   /* sending directions followed at once (sender.h) */

struct tn_pipeline {
	struct tn_pipeline_opts o;
	struct tn_renderer *rend;
	struct tn_reasm *reasm;     /* IP fragments held until their datagram is whole */
	struct tn_reasm_done done;  /* the datagram made whole last */
	const struct tn_reasm_done *done_frags; /* this frame's, or NULL */
	struct tn_flow_table *flows;
	struct tn_ccpool *senders;  /* sender states of the directions that carry data */
	struct tn_track tracker;
	struct tn_packet *pkt;
	struct tn_summary sum;      /* the engine's counters */
	bool begun;
	int64_t first_ns;
	int64_t next_idle_check;
	uint64_t differing;
	uint64_t last_conn;         /* the connection of the frame fed last, 0 for none */
	bool last_held;             /* the frame fed last is a fragment the table holds */
	uint64_t events;            /* events so far, rendered or not (tn_pipeline_event_seq) */
};

int tn_pipeline_create(struct tn_pipeline **out, const struct tn_pipeline_opts *opts,
		       struct tn_renderer *rend, char *errbuf, size_t errlen)
{
	struct tn_pipeline *p = calloc(1, sizeof *p);
	if (!p)
		goto err_oom;
	p->o = *opts;
	p->rend = rend;
	if (p->o.run.reference)
		p->o.run.intro = tn_reference_ideas(0, &p->o.run.n_intro);
	p->pkt = malloc(sizeof *p->pkt);
	if (!p->pkt)
		goto err_pipeline;
	memset(p->pkt, opts->packet_fill, sizeof *p->pkt);
	size_t conn_size = sizeof(struct tn_conn) +
			   (opts->compare ? sizeof(struct tn_compare_conn) : 0);
	uint32_t max = opts->max_flows ? opts->max_flows : TN_FLOW_DEFAULT_MAX;
	if (tn_reasm_create(&p->reasm, &opts->reasm, errbuf, errlen) < 0)
		goto err_pkt;
	if (tn_flow_table_create(&p->flows, max, conn_size, errbuf, errlen) < 0)
		goto err_reasm;
	if (tn_ccpool_create(&p->senders, max < SENDER_SLOTS / 2 ? max * 2 : SENDER_SLOTS,
			     errbuf, errlen) < 0)
		goto err_flows;
	tn_track_init(&p->tracker);
	if (opts->msl_ns > 0)
		p->tracker.msl_ns = opts->msl_ns;
	p->next_idle_check = INT64_MIN;
	*out = p;
	return 0;

err_flows:
	tn_flow_table_destroy(p->flows);
err_reasm:
	tn_reasm_destroy(p->reasm);
err_pkt:
	free(p->pkt);
err_pipeline:
	free(p);
	return -1;
err_oom:
	snprintf(errbuf, errlen, "out of memory");
	return -1;
}

void tn_pipeline_destroy(struct tn_pipeline *p)
{
	if (!p)
		return;
	tn_flow_table_destroy(p->flows);
	tn_reasm_destroy(p->reasm);
	tn_ccpool_destroy(p->senders);
	free(p->pkt);
	free(p);
}

uint64_t tn_pipeline_last_conn(const struct tn_pipeline *p)
{
	return p->last_conn;
}

bool tn_pipeline_last_held(const struct tn_pipeline *p)
{
	return p->last_held;
}

const struct tn_reasm_done *tn_pipeline_last_datagram(const struct tn_pipeline *p)
{
	return p->done_frags;
}

uint64_t tn_pipeline_differing(const struct tn_pipeline *p)
{
	return p->differing;
}

uint64_t tn_pipeline_connections(const struct tn_pipeline *p)
{
	return p->tracker.next_id - 1;
}

uint64_t tn_pipeline_event_seq(const struct tn_pipeline *p)
{
	return p->events;
}

uint32_t tn_pipeline_shard_of(const struct tn_flow_key *key, uint32_t shards)
{
	return shards > 1 ? (uint32_t)(tn_flow_key_hash(key, TN_SHARD_SEED) % shards) : 0;
}

/* Whether connection c is rendered: --conn N picks one, --shard I/N a share. */
static bool shown(const struct tn_pipeline *p, const struct tn_conn *c)
{
	if (p->o.only_conn && p->o.only_conn != c->track.id)
		return false;
	return p->o.shards <= 1 || tn_pipeline_shard_of(c->key, p->o.shards) == p->o.shard;
}

/* Connection c is not shown only because another shard renders it. */
static bool elsewhere(const struct tn_pipeline *p, const struct tn_conn *c)
{
	return p->o.shards > 1 && (p->o.only_conn == 0 || p->o.only_conn == c->track.id) &&
	       tn_pipeline_shard_of(c->key, p->o.shards) != p->o.shard;
}

/* What belongs to no connection (begin, skipped frames, the summary): shard 0's. */
static bool shows_frames(const struct tn_pipeline *p)
{
	return p->o.shards <= 1 || p->o.shard == 0;
}

static void begin(struct tn_pipeline *p)
{
	if (p->begun)
		return;
	p->begun = true;
	if (shows_frames(p))
		tn_render_begin(p->rend, &p->o.run);
}

/* A connection's report (and, with --compare, its comparison): once, and only if shown. */
static void report(struct tn_pipeline *p, struct tn_conn *c, enum tn_report_why why)
{
	struct tn_conn_report rep;
	struct tn_conn_view cv;
	struct tn_comparison cmp;
	p->events++;
	tn_track_report(&p->tracker, &c->track, why, &rep);
	if (!shown(p, c)) {
		if (elsewhere(p, c))
			tn_render_elsewhere(p->rend, c->track.id, 0);
		return;
	}
	tn_analysis_conn_view(&rep, c->key, &c->analysis, &cv);
	for (int role = 0; role < 2; role++) {
		/* near the sender: the capture is at its end, or too close to both to tell */
		bool near = !strcmp(cv.capture_point, tn_role_key(role)) ||
			    !strcmp(cv.capture_point, "unknown");
		tn_sender_view(p->senders, &c->analysis.side[role == TN_ROLE_CLIENT ? rep.client :
				!rep.client], near, &cv.sender[role]);
	}
	if (p->o.compare) {
		tn_compare_finish(&c->compare[0], &rep, &cmp);
		if (!cmp.matches)
			p->differing++;
	}
	tn_render_connection(p->rend, &cv, p->o.compare ? &cmp : NULL);
}

/* A connection leaves the table: its report if still owed, then off the TIME-WAIT queue. */
static void forget(struct tn_pipeline *p, struct tn_conn *c, enum tn_report_why why,
		   bool evicted)
{
	if (!c->track.reported)
		report(p, c, why);
	tn_track_conn_forget(&p->tracker, &c->track);
	tn_sender_release(p->senders, &c->analysis);
	tn_flow_remove(p->flows, c, evicted);
}

/* TIME-WAIT that ran out by now: a state change no segment shows. */
static void expire_time_wait(struct tn_pipeline *p, int64_t now_ns)
{
	struct tn_track_conn *tc;
	int sides;
	while ((tc = tn_track_time_wait_expired(&p->tracker, now_ns, &sides))) {
		const struct tn_conn *c = tc->owner;
		p->events++;
		if (!shown(p, c))
			continue;
		int client = tc->client >= 0 ? tc->client : 0;
		struct tn_state_event ev = { .conn = tc->id };
		int64_t end = tc->time_wait_end_ns;
		ev.ts_sec = end / 1000000000;
		ev.ts_nsec = (uint32_t)(end % 1000000000);
		for (int role = 0; role < 2; role++) {
			int side = role == TN_ROLE_CLIENT ? client : !client;
			ev.expired[role] = sides & (1 << side);
			tn_key_endpoint(c->key, side, &ev.ep[role]);
		}
		tn_render_state(p->rend, &ev);
	}
}

/* Once a second of capture time is often enough to forget idle connections. */
static void expire_idle(struct tn_pipeline *p, int64_t now_ns)
{
	struct tn_conn *c;
	if (p->o.idle_ns <= 0 || now_ns < p->next_idle_check)
		return;
	while ((c = tn_flow_idle(p->flows, now_ns, p->o.idle_ns))) {
		forget(p, c, TN_REPORT_IDLE, false);
		p->sum.idle_expired++;
	}
	p->next_idle_check = now_ns + 1000000000;
}

static void conn_start(struct tn_pipeline *p, struct tn_conn *c)
{
	c->key = tn_flow_key_of(c);
	tn_track_conn_start(&p->tracker, &c->track, c);
	tn_analysis_conn_init(&c->analysis);
	if (p->o.compare)
		tn_compare_init(&c->compare[0]);
}

/*
 * The connection this segment belongs to: found, or made (evicting the least
 * recently active first when the table is full), or restarted when its SYN
 * reopens a closed port pair. NULL only when memory runs out.
 */
static struct tn_conn *conn_for(struct tn_pipeline *p, const struct tn_flow_key *key, int side,
				int64_t now_ns, struct tn_tw_cut *cut)
{
	struct tn_conn *c = tn_flow_find(p->flows, key);
	if (c) {
		if (tn_track_conn_reuse(&c->track, side, p->pkt)) {
			tn_track_time_wait_cut(&p->tracker, &c->track, side, p->pkt, now_ns, cut);
			if (!c->track.reported)
				report(p, c, TN_REPORT_REUSED);
			tn_track_conn_restart(&p->tracker, &c->track);
			tn_sender_release(p->senders, &c->analysis);
			tn_analysis_conn_init(&c->analysis);
			if (p->o.compare)
				tn_compare_init(&c->compare[0]);
		}
		return c;
	}
	if (tn_flow_table_full(p->flows))
		forget(p, tn_flow_oldest(p->flows), TN_REPORT_EVICTED, true);
	c = tn_flow_insert(p->flows, key);
	if (c)
		conn_start(p, c);
	return c;
}

/* The tracker took back a state it had shown: say so before the segment that proves it. */
static void correction(struct tn_pipeline *p, const struct tn_track_view *v, uint64_t n)
{
	struct tn_correction ev = {
		.conn = v->conn,
		.role = v->corr_side == v->client ? TN_ROLE_CLIENT : TN_ROLE_SERVER,
		.from_n = v->corr_from_n, .to_n = n,
		.shown = v->corr_shown, .held = v->corr_held, .why = v->corr_why,
	};
	tn_render_correction(p->rend, &ev);
}

/* A decoded TCP segment through tracker, analysis and comparison, then to the renderer. */
static void segment(struct tn_pipeline *p, struct tn_conn *c, int side,
		    const struct tn_frame *frame, int64_t now_ns, const struct tn_tw_cut *cut)
{
	struct tn_segment seg;
	/* Zeroed up to the verdicts: what follows is written before it is read. */
	memset(&seg, 0, offsetof(struct tn_segment, verdict));
	seg.note[0] = '\0';
	seg.frame = frame;
	seg.pkt = p->pkt;
	seg.key = c->key;
	seg.rel_ns = now_ns - p->first_ns;
	seg.now_ns = now_ns;
	seg.tw_cut = *cut;
	seg.reasm = p->done_frags;
	p->tracker.now_n = frame->n;
	tn_track_update(&p->tracker, &c->track, side, p->pkt, now_ns, &seg.track);
	bool show = shown(p, c);
	if (seg.track.corr_side >= 0) {
		p->events++;
		if (show)
			correction(p, &seg.track, frame->n);
	}
	p->sum.segments++;
	p->events++;
	/*
	 * A connection not shown (--conn N, another shard) is tracked, not
	 * analysed: nothing of its analysis reaches the output or the tracker.
	 */
	if (show) {
		tn_analysis_begin(&c->analysis, &seg);
		tn_analysis_classify(&c->analysis, &seg);
		tn_timing_segment(&c->analysis, &seg);
		tn_analysis_update(&c->analysis, &seg);
		tn_sender_segment(p->senders, &c->analysis, &seg);
		if (p->o.run.reference) {
			seg.step = (unsigned)frame->n;
			seg.ideas = tn_reference_ideas(seg.step, &seg.n_ideas);
		}
		if (p->o.compare) {
			tn_compare_segment(&c->compare[0], &seg, &c->analysis);
			seg.cmp_steps = tn_compare_steps_of(&c->compare[0], (uint32_t)frame->n);
		}
		if (tn_render_needs_note(p->rend))
			tn_analysis_segment(&seg);
		tn_render_segment(p->rend, &seg);
	} else if (elsewhere(p, c)) {
		tn_render_elsewhere(p->rend, c->track.id, frame->n);
	}
	if (seg.track.conn_closed)
		report(p, c, TN_REPORT_CLOSED);
	/* Open, established connections are the last to be evicted. */
	tn_flow_set_class(p->flows, c, c->track.established && !tn_track_conn_over(&c->track)
			  ? TN_FLOW_KEEP : TN_FLOW_EXPENDABLE);
}

/*
 * An ICMP error that quotes a segment of a tracked connection is narrated
 * in that connection; it changes nothing tracked (RFC 5927: it is only a
 * hint). True when it was; an error about no known connection is skipped
 * like any other packet that is not TCP.
 */
static bool icmp_error(struct tn_pipeline *p, const struct tn_frame *frame, int64_t now_ns)
{
	struct tn_icmp_error e;
	struct tn_flow_key key;
	if (tn_decode_icmp_error(p->pkt, frame->data, frame->caplen, &e) < 0)
		return false;
	tn_flow_key_from(e.family, e.src, e.dst, e.sport, e.dport, &key);
	key.tunnel = tn_flow_tunnel_id(p->pkt); /* it came back through the same tunnel */
	struct tn_conn *c = tn_flow_peek(p->flows, &key); /* not activity: only a hint */
	if (!c)
		return false;
	p->sum.icmp_errors++;
	p->last_conn = c->track.id;
	p->events++;
	struct tn_icmp_event ev = { .frame = frame, .rel_ns = now_ns - p->first_ns };
	tn_icmp_note(&c->analysis.icmp, c->analysis.first_frame, &e, frame->n, &ev);
	if (!shown(p, c))
		return true;
	tn_icmp_event_make(&e, c->key, &c->track, &ev); /* leaves repeat_of as noted */
	tn_render_icmp(p->rend, &ev);
	return true;
}

/*
 * IP fragments of TCP segments go to the fragment table, before the flow
 * table: a fragment is held (nothing more happens for its frame), or it
 * completes its datagram, which is decoded in its place as one frame with
 * the last fragment's number and time. False when the frame was held.
 */
static bool reassemble(struct tn_pipeline *p, uint32_t linktype, const struct tn_frame **frame,
		       struct tn_frame *whole, enum tn_decode_result *res, int64_t now_ns)
{
	const struct tn_frame *f = *frame;
	p->done_frags = NULL;
	enum tn_reasm_result rr = tn_reasm_add(p->reasm, p->pkt, *res, f->data, f->caplen, f->n,
					       now_ns, &p->done);
	p->last_held = rr == TN_REASM_HELD;
	if (p->last_held)
		return false;
	if (rr != TN_REASM_DONE)
		return true;
	*whole = *f;
	whole->data = p->done.frame;
	whole->caplen = whole->wirelen = whole->file_caplen = p->done.len;
	whole->over_snaplen = false;
	*frame = whole;
	*res = tn_decode(linktype, whole->data, whole->caplen, whole->wirelen, p->pkt);
	p->done_frags = &p->done;
	return true;
}

enum tn_feed tn_pipeline_feed(struct tn_pipeline *p, uint32_t linktype,
			      const struct tn_frame *frame, char *errbuf, size_t errlen)
{
	int64_t now_ns = tn_frame_ns(frame);
	p->last_conn = 0;
	begin(p);
	if (p->sum.packets++ == 0)
		p->first_ns = now_ns;
	expire_time_wait(p, now_ns);
	expire_idle(p, now_ns);
	tn_flow_table_set_now(p->flows, now_ns);
	enum tn_decode_result res = tn_decode(linktype, frame->data, frame->caplen,
					      frame->wirelen, p->pkt);
	if (frame->over_snaplen)
		p->sum.over_snaplen++;
	struct tn_frame whole;
	if (!reassemble(p, linktype, &frame, &whole, &res, now_ns))
		return TN_FEED_MORE;
	if (res == TN_DEC_NOT_TCP && icmp_error(p, frame, now_ns))
		return TN_FEED_MORE;
	if (res != TN_DEC_TCP) {
		p->sum.skipped[res]++;
		struct tn_skip sk = { .frame = frame, .pkt = p->pkt, .why = res,
				      .rel_ns = now_ns - p->first_ns };
		p->events++;
		if (shows_frames(p))
			tn_render_skip(p->rend, &sk);
		return TN_FEED_MORE;
	}
	if (p->o.inner.n && !tn_inner_match(&p->o.inner, p->pkt)) {
		p->sum.inner_filtered++;
		return TN_FEED_MORE;
	}
	struct tn_flow_key key;
	int side = tn_flow_key_make(p->pkt, &key);
	struct tn_tw_cut cut = { .side = -1 };
	struct tn_conn *c = conn_for(p, &key, side, now_ns, &cut);
	if (!c) {
		snprintf(errbuf, errlen, "out of memory for the flow table");
		return TN_FEED_ERROR;
	}
	segment(p, c, side, frame, now_ns, &cut);
	p->last_conn = c->track.id;
	if (p->o.max_segments && p->sum.segments >= p->o.max_segments)
		return TN_FEED_DONE;
	return TN_FEED_MORE;
}

/* Connections still open (or not yet reported) at the end, in order of id. */
struct pending {
	struct tn_conn **list;
	size_t n;
};

static void collect_unreported(void *payload, void *ctx)
{
	struct pending *pd = ctx;
	struct tn_conn *c = payload;
	if (!c->track.reported)
		pd->list[pd->n++] = c;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = (*(struct tn_conn *const *)a)->track.id;
	uint64_t y = (*(struct tn_conn *const *)b)->track.id;
	return x < y ? -1 : x > y;
}

int tn_pipeline_finish(struct tn_pipeline *p, struct tn_summary *sum, char *errbuf,
		       size_t errlen)
{
	begin(p);
	struct pending pd = { .list = malloc((size_t)tn_flow_table_count(p->flows) *
					      sizeof *pd.list + 1) };
	if (!pd.list) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	tn_flow_foreach(p->flows, collect_unreported, &pd);
	qsort(pd.list, pd.n, sizeof *pd.list, by_id);
	for (size_t i = 0; i < pd.n; i++)
		report(p, pd.list[i], TN_REPORT_END_OF_CAPTURE);
	free(pd.list);

	sum->packets = p->sum.packets;
	sum->segments = p->sum.segments;
	memcpy(sum->skipped, p->sum.skipped, sizeof sum->skipped);
	sum->over_snaplen = p->sum.over_snaplen;
	sum->inner_filtered = p->sum.inner_filtered;
	sum->idle_expired = p->sum.idle_expired;
	sum->icmp_errors = p->sum.icmp_errors;
	tn_reasm_stats(p->reasm, true, &sum->reasm);
	sum->connections = p->tracker.next_id - 1;
	sum->evictions = tn_flow_table_evictions(p->flows);
	p->events++;
	if (shows_frames(p))
		tn_render_end(p->rend, sum);
	return 0;
}
