/*
 * pipeline.h — the engine: every stage wired, in one place.
 *
 * capture frame → decoder → flow table → tracker → analysis (verdicts,
 * --compare) → renderer. A driver (the CLI, a fuzz target, a test, a shard)
 * creates an engine with a renderer, feeds it frames one at a time, and
 * finishes it; it never calls the stages itself.
 *
 * The engine owns the IP fragment table, the flow table, the tracker, TIME-WAIT expiry, idle expiry
 * and eviction, and one struct tn_conn per connection inside the flow table.
 * The renderer belongs to the caller, who destroys it after the engine.
 *
 * Events reach the renderer in this order, and only here:
 *   begin                       once, before anything else
 *   for each frame fed:
 *     state                     TIME-WAIT that ran out by the frame's time
 *     connection (idle)         connections quiet for the idle timeout,
 *                               checked once a second of capture time
 *     (held)                    an IP fragment of a TCP segment is held for
 *                               reassembly: nothing more for this frame; the
 *                               last one brings the whole segment, which
 *                               goes on as this frame
 *     icmp                      an ICMP error quoting a segment of a tracked
 *                               connection: nothing more
 *     skip                      the frame is not a TCP segment: nothing more
 *                               (a segment --inner leaves out is only counted)
 *     connection (evicted)      the table is full and this segment needs an
 *                               entry: the least recently active goes first
 *     connection (reused)       this SYN reopens a closed port pair: the old
 *                               connection's report, before the new one starts
 *     correction                the segment proves a state shown earlier for
 *                               its sender wrong (it sent it before a
 *                               segment captured earlier reached it)
 *     segment                   the segment, tracked, classified, compared
 *     connection (closed)       this segment ended its connection
 *   at finish:
 *     connection (end)          every connection not yet reported, by id
 *     end                       the run's summary
 * A connection is reported once; with --compare its comparison comes with
 * its report. With --shard, a segment or report of a connection another
 * shard renders reaches the renderer as `elsewhere` instead, in its place. A connection's record is forgotten (taken off the TIME-WAIT
 * queue) before its memory is reused.
 */
#ifndef TCPNARRATE_PIPELINE_H
#define TCPNARRATE_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tcpnarrate/analysis.h>
#include <tcpnarrate/capture.h>
#include <tcpnarrate/flow.h>
#include <tcpnarrate/inner.h>
#include <tcpnarrate/render.h>
#include <tcpnarrate/track.h>

/*
 * One connection, as the flow table holds it: with the table's own entry
 * header (64 bytes) and links (16, kept apart) it is the documented 992
 * bytes per connection; the
 * comparison state follows only when --compare asks for it.
 */
struct tn_conn {
	const struct tn_flow_key *key;      /* the flow table's copy, valid while the entry lives */
	struct tn_track_conn track;
	struct tn_analysis_conn analysis;
	struct tn_compare_conn compare[];   /* one, with --compare; none otherwise */
};

struct tn_pipeline_opts {
	struct tn_run_info run;     /* what begin is told; intro is filled for reference */
	uint32_t max_flows;         /* 0: TN_FLOW_DEFAULT_MAX */
	int64_t msl_ns;             /* 0: TN_MSL_DEFAULT_SEC */
	int64_t idle_ns;            /* 0: connections are never forgotten for being idle */
	bool compare;               /* hold every connection against the textbook */
	uint64_t only_conn;         /* render only connection N (0: all) */
	uint64_t max_segments;      /* stop after this many TCP segments (0: no limit) */
	struct tn_reasm_limits reasm; /* the IP fragment table's limits (zeros: defaults) */
	struct tn_inner_filter inner; /* --inner: segments must match it (n == 0: all do) */
	/*
	 * --shard I/N: render only the connections whose canonical key hashes
	 * (tn_pipeline_shard_of) to shard I of N; shard 0 also renders begin,
	 * the frames that are not TCP segments and the summary. Every shard
	 * still tracks every connection, so connection numbers, evictions, idle
	 * and TIME-WAIT expiry are those of one process. shards 0 or 1: no sharding.
	 */
	uint32_t shard, shards;
	/*
	 * The byte the reused packet buffer is filled with at creation. Tests
	 * vary it: what is rendered must not depend on a field the decoder left
	 * unwritten.
	 */
	uint8_t packet_fill;
};

struct tn_pipeline;

int tn_pipeline_create(struct tn_pipeline **out, const struct tn_pipeline_opts *opts,
		       struct tn_renderer *rend, char *errbuf, size_t errlen);
void tn_pipeline_destroy(struct tn_pipeline *p);

/* What tn_pipeline_feed() says. */
enum tn_feed {
	TN_FEED_ERROR = -1,   /* out of memory: errbuf says so */
	TN_FEED_MORE = 0,     /* ready for the next frame */
	TN_FEED_DONE = 1,     /* max_segments reached: feed no more */
};

/* Runs one captured frame of link type `linktype` through every stage. */
enum tn_feed tn_pipeline_feed(struct tn_pipeline *p, uint32_t linktype,
			      const struct tn_frame *frame, char *errbuf, size_t errlen);

/*
 * Reports every connection not yet reported, then hands the summary to the
 * renderer. The caller fills what only it knows (source, link type, filter
 * and capture counters, error); the engine fills its counters. Returns 0, or
 * -1 when memory runs out.
 */
int tn_pipeline_finish(struct tn_pipeline *p, struct tn_summary *sum, char *errbuf,
		       size_t errlen);

/*
 * The connection the frame just fed belongs to (its number, as --conn counts
 * them), or 0 when it was not a TCP segment; with --conn N, also for frames
 * of connections not shown. The driver uses it to write only connection N's
 * frames to a -w file.
 */
uint64_t tn_pipeline_last_conn(const struct tn_pipeline *p);

/*
 * Whether the frame just fed was an IP fragment held until its datagram is
 * whole (its connection is not known yet), and the datagram it completed,
 * with the frame numbers of its pieces, or NULL. With these the driver
 * writes a connection's fragments too, once their datagram says whose they are.
 */
bool tn_pipeline_last_held(const struct tn_pipeline *p);
const struct tn_reasm_done *tn_pipeline_last_datagram(const struct tn_pipeline *p);

/*
 * Events so far, rendered or not (in a shard, those of other shards count
 * too): the same number in every shard at the same point of the run, so a
 * merge orders the shards' output by it. Read inside a renderer call, it is
 * that event's own number.
 */
uint64_t tn_pipeline_event_seq(const struct tn_pipeline *p);

/* The seed --shard hashes keys with: fixed, so every shard on every machine agrees. */
#define TN_SHARD_SEED 0x7463706e61727261ull

/* The shard of N a connection's canonical key belongs to. */
uint32_t tn_pipeline_shard_of(const struct tn_flow_key *key, uint32_t shards);

/* --compare: connections reported so far that are not of the textbook shape. */
uint64_t tn_pipeline_differing(const struct tn_pipeline *p);
/* Connections seen so far (every incarnation of a port pair counts). */
uint64_t tn_pipeline_connections(const struct tn_pipeline *p);

#endif
