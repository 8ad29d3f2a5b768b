/*
 * run.c — the pipeline, wired: capture source → decoder → flow table →
 * tracker → analysis → renderer. Data flows one way; this file is the only
 * place that knows every stage.
 *
 * One struct tn_packet is reused for every frame, so the per-packet path
 * allocates only inside the JSON renderer (cJSON) and when the flow table
 * grows.
 */
#define _DEFAULT_SOURCE
#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tcpnarrate/analysis.h>
#include <tcpnarrate/capture.h>
#include <tcpnarrate/decode.h>
#include <tcpnarrate/flow.h>
#include <tcpnarrate/track.h>

static bool want_color(enum tn_color_mode m)
{
	if (m == TN_COLOR_ALWAYS)
		return true;
	if (m == TN_COLOR_NEVER)
		return false;
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	if (nc && *nc)
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(STDOUT_FILENO);
}

/* Both times come from tn_frame_ns(), so the difference cannot overflow. */
static int64_t ts_diff(const struct tn_frame *a, int64_t first_ns)
{
	return tn_frame_ns(a) - first_ns;
}

/* A closed reader (`| head`) is not an error: stop quietly. */
static bool output_gone(FILE *out)
{
	return ferror(out) && errno == EPIPE;
}

/*
 * What the flow table holds per connection: the tracker's state first (the
 * flow key is found from it), then, with --compare, the comparison record.
 */
struct conn_payload {
	struct tn_track_conn track;
	struct tn_compare_conn cmp;
};

/* What the flow table's eviction callback needs to write the evicted connection's report. */
struct run_ctx {
	const struct tn_cli_opts *o;
	struct tn_renderer *rend;
	struct tn_track *tracker;
	struct tn_track_conn **pending;   /* end of run: connections still to report */
	size_t n_pending;
	uint64_t differing;               /* --compare: connections not of the textbook shape */
};

static bool shown(const struct run_ctx *rc, uint64_t conn)
{
	return rc->o->only_conn == 0 || rc->o->only_conn == conn;
}

static void report(struct run_ctx *rc, struct tn_track_conn *c, enum tn_report_why why)
{
	struct tn_conn_report rep;
	struct tn_conn_summary cs;
	tn_track_report(rc->tracker, c, why, &rep);
	if (!shown(rc, c->id))
		return;
	tn_analysis_conn_summary(&rep, &cs);
	tn_render_conn(rc->rend, &cs);
	if (rc->o->compare) {
		struct tn_comparison cmp;
		tn_compare_finish(&((struct conn_payload *)c)->cmp, &rep, &cmp);
		if (!cmp.matches)
			rc->differing++;
		tn_render_comparison(rc->rend, &cmp);
	}
}

/* A connection the flow table is about to drop: report it if that is still owed. */
static void forget(struct run_ctx *rc, struct tn_track_conn *c, enum tn_report_why why)
{
	if (!c->reported)
		report(rc, c, why);
	tn_track_conn_forget(rc->tracker, c);
}

static void on_evict(void *payload, void *ctx)
{
	forget(ctx, payload, TN_REPORT_EVICTED);
}

static void on_idle(void *payload, void *ctx)
{
	forget(ctx, payload, TN_REPORT_IDLE);
}

static void collect_unreported(void *payload, void *ctx)
{
	struct run_ctx *rc = ctx;
	struct tn_track_conn *c = payload;
	if (!c->reported)
		rc->pending[rc->n_pending++] = c;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = (*(struct tn_track_conn *const *)a)->id;
	uint64_t y = (*(struct tn_track_conn *const *)b)->id;
	return x < y ? -1 : x > y;
}

/* TIME-WAIT that ran out by `now`: a state change no segment shows. */
static void expire_time_wait(struct run_ctx *rc, int64_t now_ns)
{
	struct tn_track_conn *c;
	int sides;
	while ((c = tn_track_time_wait_expired(rc->tracker, now_ns, &sides))) {
		if (!shown(rc, c->id))
			continue;
		const struct tn_flow_key *key = tn_flow_key_of(c);
		struct tn_state_event ev = { .conn = c, .sides = sides };
		int64_t end = c->time_wait_end_ns;
		ev.ts_sec = end / 1000000000;
		ev.ts_nsec = (uint32_t)(end % 1000000000);
		tn_key_endpoint_str(key, c->client, ev.client, sizeof ev.client);
		tn_key_endpoint_str(key, !c->client, ev.server, sizeof ev.server);
		tn_render_event(rc->rend, &ev);
	}
}

/* The capture a signal handler stops; only ever one per process. */
static struct tn_capture *volatile g_capture;

static void on_stop_signal(int sig)
{
	(void)sig;
	if (g_capture)
		tn_capture_break(g_capture);
}

static void catch_stop_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Under sudo, the capture file belongs to the user who ran sudo, not to root. */
static void give_dump_to_sudo_user(const char *path)
{
	const char *u = getenv("SUDO_UID"), *g = getenv("SUDO_GID");
	if (geteuid() != 0 || !u || !g)
		return;
	if (chown(path, (uid_t)strtoul(u, NULL, 10), (gid_t)strtoul(g, NULL, 10)) < 0)
		fprintf(stderr, "tcpnarrate: %s: cannot hand the file to the sudo user: %s\n", path,
			strerror(errno));
}

/* Opens the file or the interface, the -w file, and gives up privileges. */
static int open_source(const struct tn_cli_opts *o, struct tn_capture **cap, char *err,
		       size_t errlen)
{
	int rc;
	if (o->reference) {
		rc = tn_capture_open_reference(cap, err, errlen);
	} else if (o->interface) {
		struct tn_live_opts lo = { .snaplen = o->snaplen, .buffer_kib = o->buffer_kib };
		rc = tn_capture_open_live(cap, o->interface, o->filter, &lo, err, errlen);
	} else {
		rc = tn_capture_open_file(cap, o->read_file, o->filter, err, errlen);
	}
	if (rc < 0)
		return -1;
	if (o->write_file) {
		if (tn_capture_dump_open(*cap, o->write_file, err, errlen) < 0)
			return -1;
		give_dump_to_sudo_user(o->write_file);
	}
	if (o->interface && tn_cli_drop_privileges(o->user, err, errlen) < 0)
		return -1;
	return 0;
}

int tn_cli_write_reference(const char *path)
{
	char err[TN_ERRBUF_SIZE];
	struct tn_capture *cap = NULL;
	struct tn_frame frame;
	if (tn_capture_open_reference(&cap, err, sizeof err) < 0 ||
	    tn_capture_dump_open(cap, path, err, sizeof err) < 0) {
		fprintf(stderr, "tcpnarrate: %s: %s\n", path, err);
		tn_capture_destroy(cap);
		return TN_EXIT_INPUT;
	}
	while (tn_capture_next(cap, &frame, err, sizeof err) == 1)
		;
	tn_capture_destroy(cap);
	return TN_EXIT_OK;
}

int tn_cli_run(const struct tn_cli_opts *o)
{
	char err[TN_ERRBUF_SIZE];
	const char *name = o->reference ? "the reference connection" : o->interface ? o->interface :
			   strcmp(o->read_file, "-") == 0 ? "(standard input)" : o->read_file;
	struct tn_capture *cap = NULL;
	struct tn_renderer *rend = NULL;
	struct tn_flow_table *flows = NULL;
	struct tn_packet *pkt = NULL;
	struct tn_track tracker;
	struct run_ctx rc = { .o = o, .tracker = &tracker };
	int status = TN_EXIT_INPUT;

	tn_track_init(&tracker);
	tracker.msl_ns = (int64_t)o->msl_sec * 1000000000;
	if (open_source(o, &cap, err, sizeof err) < 0) {
		fprintf(stderr, "tcpnarrate: %s: %s\n", name, err);
		tn_capture_destroy(cap);
		return TN_EXIT_INPUT;
	}
	bool live = tn_capture_is_live(cap);
	g_capture = cap;
	catch_stop_signals();
	struct tn_render_opts ro = {
		.out = stdout,
		.detail = o->detail,
		.color = want_color(o->color),
		.ts_digits = tn_capture_ts_digits(cap),
	};
	if (tn_renderer_create(&rend, o->renderer, &ro, err, sizeof err) < 0)
		goto err_msg;
	rc.rend = rend;
	size_t payload = o->compare ? sizeof(struct conn_payload) : sizeof(struct tn_track_conn);
	if (tn_flow_table_create(&flows, o->max_flows, payload, on_evict, &rc, err, sizeof err) < 0)
		goto err_msg;
	pkt = malloc(sizeof *pkt);
	if (!pkt) {
		snprintf(err, sizeof err, "out of memory");
		goto err_msg;
	}

	char ltname[32];
	uint32_t linktype = tn_capture_linktype(cap);
	struct tn_summary sum = {
		.source = name,
		.linktype = linktype,
		.linktype_name = tn_capture_linktype_name(cap),
		.link_supported = tn_decode_link_supported(linktype),
	};
	if (!sum.linktype_name) {
		snprintf(ltname, sizeof ltname, "LINKTYPE_%u", linktype);
		sum.linktype_name = ltname;
	}
	if (!sum.link_supported)
		fprintf(stderr, "tcpnarrate: %s: link type %s (%u) is not one tcpnarrate decodes; "
			"its packets are counted and skipped\n", name, sum.linktype_name, linktype);

	bool reference = tn_capture_is_reference(cap);
	if (reference) {
		size_t n;
		const struct tn_idea *intro = tn_reference_ideas(0, &n);
		tn_render_intro(rend, intro, n);
	}

	struct tn_frame frame;
	int64_t first_ns = 0;
	int rc_next;
	char file_err[TN_ERRBUF_SIZE] = "";
	int64_t idle_ns = (int64_t)o->idle_sec * 1000000000, next_idle_check = INT64_MIN;
	while ((rc_next = tn_capture_next(cap, &frame, file_err, sizeof file_err)) == 1) {
		int64_t now_ns = tn_frame_ns(&frame);
		if (sum.packets++ == 0)
			first_ns = now_ns;
		expire_time_wait(&rc, now_ns);
		if (now_ns >= next_idle_check) {
			/* Once a second of capture time is often enough to forget idle flows. */
			sum.idle_expired += tn_flow_expire_idle(flows, now_ns, idle_ns, on_idle, &rc);
			next_idle_check = now_ns + 1000000000;
		}
		tn_flow_table_set_now(flows, now_ns);
		enum tn_decode_result res = tn_decode(linktype, frame.data, frame.caplen,
						      frame.wirelen, pkt);
		if (frame.over_snaplen)
			sum.over_snaplen++;
		if (res != TN_DEC_TCP) {
			sum.skipped[res]++;
			struct tn_skip sk = { .frame = &frame, .pkt = pkt, .why = res,
					      .rel_ns = ts_diff(&frame, first_ns) };
			tn_render_skip(rend, &sk);
			continue;
		}
		int side;
		bool created;
		struct tn_track_conn *conn = tn_flow_lookup(flows, pkt, &side, &created);
		if (!conn) {
			snprintf(err, sizeof err, "out of memory for the flow table");
			goto err_msg;
		}
		struct tn_segment seg = { .frame = &frame, .pkt = pkt,
					  .rel_ns = ts_diff(&frame, first_ns) };
		if (created) {
			tn_track_conn_start(&tracker, conn);
			if (o->compare)
				tn_compare_init(&((struct conn_payload *)conn)->cmp);
		} else if (tn_track_conn_reuse(conn, side, pkt)) {
			if (!conn->reported)
				report(&rc, conn, TN_REPORT_REUSED);
			tn_track_conn_restart(&tracker, conn);
			if (o->compare)
				tn_compare_init(&((struct conn_payload *)conn)->cmp);
		}
		tn_track_segment(conn, side, pkt, &seg.track);
		tn_track_state(&tracker, conn, side, pkt, now_ns, &seg.track);
		sum.segments++;
		if (reference) {
			seg.step = (unsigned)frame.n;
			seg.ideas = tn_reference_ideas(seg.step, &seg.n_ideas);
		}
		if (o->compare)
			tn_compare_segment(&((struct conn_payload *)conn)->cmp, &seg);
		if (shown(&rc, conn->id)) {
			tn_analysis_segment(&seg);
			tn_render_segment(rend, &seg);
			if (live)
				fflush(stdout); /* each segment as it happens */
		}
		if (seg.track.conn_closed)
			report(&rc, conn, TN_REPORT_CLOSED);
		/* Open, established connections are the last to be evicted. */
		tn_flow_set_class(flows, conn, conn->established && !tn_track_conn_over(conn)
				  ? TN_FLOW_KEEP : TN_FLOW_EXPENDABLE);
		if (output_gone(stdout))
			goto quiet_exit;
		if (o->max_segments && sum.segments >= o->max_segments)
			break;
	}

	/* Connections still open (or not yet reported) at the end, in order. */
	rc.pending = malloc((size_t)tn_flow_table_count(flows) * sizeof *rc.pending + 1);
	if (!rc.pending) {
		snprintf(err, sizeof err, "out of memory");
		goto err_msg;
	}
	tn_flow_foreach(flows, collect_unreported, &rc);
	qsort(rc.pending, rc.n_pending, sizeof *rc.pending, by_id);
	for (size_t i = 0; i < rc.n_pending; i++)
		report(&rc, rc.pending[i], TN_REPORT_END_OF_CAPTURE);

	struct tn_capture_stats cs;
	if (live && tn_capture_stats(cap, &cs) == 0) {
		sum.have_stats = true;
		sum.received = cs.received;
		sum.dropped = cs.dropped;
		sum.if_dropped = cs.if_dropped;
	}
	sum.filtered = tn_capture_filtered(cap);
	sum.connections = tracker.next_id - 1;
	sum.evictions = tn_flow_table_evictions(flows);
	if (rc_next < 0)
		sum.error = file_err;
	tn_render_summary(rend, &sum);
	fflush(stdout);
	if (output_gone(stdout))
		goto quiet_exit;
	if (rc_next < 0) {
		fprintf(stderr, "tcpnarrate: %s: %s\n", name, file_err);
		status = TN_EXIT_INPUT;
	} else {
		status = o->strict && rc.differing ? TN_EXIT_DIFFERS : TN_EXIT_OK;
	}
	goto done;

quiet_exit:
	status = TN_EXIT_OK;
	goto done;
err_msg:
	fflush(stdout);
	fprintf(stderr, "tcpnarrate: %s: %s\n", name, err);
	status = TN_EXIT_INPUT;
done:
	g_capture = NULL;
	free(rc.pending);
	free(pkt);
	tn_flow_table_destroy(flows);
	tn_renderer_destroy(rend);
	tn_capture_destroy(cap);
	return status;
}
