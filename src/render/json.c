/*
 * json.c — JSON Lines: one object per segment, per problem packet, and a
 * closing summary. Keys are documented in docs/json.md; new keys may be
 * added, existing ones are never renamed.
 *
 * Timestamps are written as raw numbers with the file's precision, because
 * a double cannot hold nanoseconds since 1970.
 *
 * --summary writes only the connection objects (a comparison folded into
 * its connection as "textbook") and the summary; --problems the segments
 * with a verdict, each naming the frame before it on its connection
 * ("context", remembered in focus.c's bounded table), the skipped packets,
 * and the connection objects of connections that had a verdict.
 */
#include "focus.h"
#include "json_segment.h"
#include "renderer.h"

#include <tcpnarrate/community_id.h>

#include <stddef.h>

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The reused print buffer: cJSON's size estimate can be a few bytes short, hence the margin. */
#define PRINT_BUF (64 * 1024)
#define PRINT_MARGIN 5

/* Community IDs of recent connections, by connection number: SHA-1 once per connection. */
#define ID_CACHE 256

struct json_state {
	struct {
		uint64_t conn;              /* 0: empty */
		char id[TN_COMMUNITY_ID_SIZE + 1];
	} ids[ID_CACHE];
	char scratch[TN_COMMUNITY_ID_SIZE + 1];
	struct tn_focus_table *focus;   /* --problems: each connection's last frame */
	char print_buf[PRINT_BUF + PRINT_MARGIN];
	struct tn_jw w;                 /* segments and the reference's step 0 */
};

/*
 * Prints the object into the reused buffer (or, when it does not fit, into
 * arena memory) and writes it as one line. The tree and anything printed
 * live in the arena (arena.c), so no tree is deleted: the reset drops it.
 */
static void emit(struct tn_renderer *r, cJSON *obj)
{
	struct json_state *st = r->state;
	if (cJSON_PrintPreallocated(obj, st->print_buf, PRINT_BUF, 0)) {
		fputs(st->print_buf, r->opts.out);
	} else {
		char *s = cJSON_PrintUnformatted(obj);
		if (s)
			fputs(s, r->opts.out);
	}
	fputc('\n', r->opts.out);
	tn_json_arena_reset();
}

static void add_ts(struct tn_renderer *r, cJSON *obj, const struct tn_frame *f)
{
	char ts[48];
	tn_json_format_ts(r->opts.ts_digits, f, ts, sizeof ts);
	cJSON_AddRawToObject(obj, "ts", ts);
}

/* Seconds with the file's precision, without binary floating-point noise. */
static void add_seconds(struct tn_renderer *r, cJSON *obj, const char *key, double secs)
{
	char v[48];
	tn_json_format_seconds(r->opts.ts_digits, secs, v, sizeof v);
	cJSON_AddRawToObject(obj, key, v);
}

static void add_problem(cJSON *obj, const struct tn_packet *pkt)
{
	if (pkt->problem == TN_PROB_NONE)
		return;
	cJSON *p = cJSON_AddObjectToObject(obj, "problem");
	cJSON_AddStringToObject(p, "kind", pkt->problem == TN_PROB_CUT ? "cut" : "malformed");
	cJSON_AddNumberToObject(p, "offset", pkt->problem_offset);
	cJSON_AddStringToObject(p, "text", pkt->problem_text);
}

static void json_begin(struct tn_renderer *r, const struct tn_run_info *run)
{
	if (!run->reference || r->opts.focus != TN_FOCUS_ALL)
		return;
	struct tn_jw *w = &((struct json_state *)r->state)->w;
	tn_jw_object(w, NULL);
	tn_jw_string(w, "type", "step");
	tn_jw_uint(w, "step", 0);
	tn_jw_object(w, "states");
	tn_jw_string(w, "client", tn_state_name(TN_ST_CLOSED));
	tn_jw_string(w, "server", tn_state_name(TN_ST_LISTEN));
	tn_jw_object_end(w);
	tn_jw_object(w, "isn");
	tn_jw_uint(w, "client", TN_REFERENCE_CLIENT_ISN);
	tn_jw_uint(w, "server", TN_REFERENCE_SERVER_ISN);
	tn_jw_object_end(w);
	tn_json_ideas(w, run->intro, run->n_intro);
	tn_jw_object_end(w);
	tn_jw_line_end(w);
}

/*
 * A connection number names one connection (one incarnation of its port
 * pair) for the whole run, so its ID can be kept under its number; short
 * connections interleave, and a one-entry cache recomputed the hash for
 * most segments of a busy capture.
 */
static const char *community_id(struct tn_renderer *r, const struct tn_flow_key *key,
				uint64_t conn)
{
	struct json_state *st = r->state;
	if (!key)
		return "";
	if (conn == 0) {                 /* not a connection's: never cached */
		tn_community_id(key, 0, st->scratch, sizeof st->scratch);
		return st->scratch;
	}
	size_t slot = (size_t)(conn % ID_CACHE);
	if (st->ids[slot].conn != conn) {
		st->ids[slot].conn = conn;
		tn_community_id(key, 0, st->ids[slot].id, sizeof st->ids[slot].id);
	}
	return st->ids[slot].id;
}

/* --problems: a segment with a verdict, naming the frame before it on its connection. */
static void problem_segment(struct tn_renderer *r, const struct tn_segment *seg)
{
	struct json_state *st = r->state;
	struct tn_focus_conn *fc = tn_focus_conn(st->focus, seg->track.conn);
	uint64_t context = fc->prev_n;
	bool show = seg->n_verdicts > 0;
	tn_focus_seen(fc, seg->frame->n, show, show);
	if (!show)
		return;
	tn_jw_object(&st->w, NULL);
	tn_json_segment_members(&r->opts, &st->w, seg, community_id(r, seg->key, seg->track.conn));
	if (context)
		tn_jw_uint(&st->w, "context", context);
	else
		tn_jw_null(&st->w, "context");
	tn_jw_object_end(&st->w);
	tn_jw_line_end(&st->w);
}

static void json_segment(struct tn_renderer *r, const struct tn_segment *seg)
{
	struct json_state *st = r->state;
	if (r->opts.focus == TN_FOCUS_SUMMARY)
		return;
	if (r->opts.focus == TN_FOCUS_PROBLEMS) {
		problem_segment(r, seg);
		return;
	}
	tn_jw_object(&st->w, NULL);
	tn_json_segment_members(&r->opts, &st->w, seg, community_id(r, seg->key, seg->track.conn));
	tn_jw_object_end(&st->w);
	tn_jw_line_end(&st->w);
}

static void json_skip(struct tn_renderer *r, const struct tn_skip *s)
{
	if (r->opts.focus == TN_FOCUS_SUMMARY)
		return;
	if (s->why != TN_DEC_MALFORMED && s->why != TN_DEC_TRUNCATED && !s->frame->over_snaplen)
		return;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "type", "skipped");
	cJSON_AddNumberToObject(j, "n", (double)s->frame->n);
	add_ts(r, j, s->frame);
	cJSON_AddStringToObject(j, "reason", tn_skip_reason_key(s->why));
	cJSON_AddBoolToObject(j, "caplen_over_snaplen", s->frame->over_snaplen);
	add_problem(j, s->pkt);
	emit(r, j);
}

/* "ip_fragments": the fragment table's counts, when there were any. */
static void add_reasm_counts(cJSON *j, const struct tn_reasm_stats *st)
{
	if (!st->fragments && !st->table_full && !st->memory_full && !st->cut)
		return;
	cJSON *o = cJSON_AddObjectToObject(j, "ip_fragments");
	cJSON_AddNumberToObject(o, "held", (double)st->fragments);
	cJSON_AddNumberToObject(o, "reassembled", (double)st->reassembled);
	cJSON_AddNumberToObject(o, "overlapping", (double)st->overlaps);
	cJSON_AddNumberToObject(o, "timed_out", (double)st->timed_out);
	cJSON_AddNumberToObject(o, "incomplete", (double)st->incomplete);
	cJSON_AddNumberToObject(o, "too_many_pieces", (double)st->too_many);
	cJSON_AddNumberToObject(o, "table_full", (double)st->table_full);
	cJSON_AddNumberToObject(o, "memory_full", (double)st->memory_full);
	cJSON_AddNumberToObject(o, "cut", (double)st->cut);
}

static void json_end(struct tn_renderer *r, const struct tn_summary *sum)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "type", "summary");
	cJSON_AddStringToObject(j, "source", sum->source);
	cJSON_AddStringToObject(j, "linktype", sum->linktype_name);
	cJSON_AddNumberToObject(j, "linktype_value", sum->linktype);
	cJSON_AddBoolToObject(j, "linktype_supported", sum->link_supported);
	cJSON_AddNumberToObject(j, "packets", (double)sum->packets);
	cJSON_AddNumberToObject(j, "filtered", (double)sum->filtered);
	if (sum->inner_filtered)
		cJSON_AddNumberToObject(j, "inner_filtered", (double)sum->inner_filtered);
	cJSON_AddNumberToObject(j, "segments", (double)sum->segments);
	cJSON *sk = cJSON_AddObjectToObject(j, "skipped");
	for (int i = 1; i < TN_DEC_RESULT_COUNT; i++)
		cJSON_AddNumberToObject(sk, tn_skip_reason_key((enum tn_decode_result)i),
					(double)sum->skipped[i]);
	cJSON_AddNumberToObject(j, "over_snaplen", (double)sum->over_snaplen);
	cJSON_AddNumberToObject(j, "connections", (double)sum->connections);
	cJSON_AddNumberToObject(j, "evictions", (double)sum->evictions);
	cJSON_AddNumberToObject(j, "idle_expired", (double)sum->idle_expired);
	if (sum->icmp_errors)
		cJSON_AddNumberToObject(j, "icmp_errors", (double)sum->icmp_errors);
	add_reasm_counts(j, &sum->reasm);
	if (sum->have_stats) {
		cJSON *cs = cJSON_AddObjectToObject(j, "capture_stats");
		cJSON_AddNumberToObject(cs, "received", (double)sum->received);
		cJSON_AddNumberToObject(cs, "dropped", (double)sum->dropped);
		cJSON_AddNumberToObject(cs, "if_dropped", (double)sum->if_dropped);
	}
	if (sum->error)
		cJSON_AddStringToObject(j, "error", sum->error);
	else
		cJSON_AddNullToObject(j, "error");
	emit(r, j);
}

static cJSON *endpoint(const struct tn_endpoint *ep)
{
	cJSON *e = cJSON_CreateObject();
	char addr[TN_ADDR_STRLEN];
	tn_endpoint_addr(ep, addr, sizeof addr);
	cJSON_AddStringToObject(e, "addr", addr);
	cJSON_AddNumberToObject(e, "port", ep->port);
	return e;
}

/* A role ("client", "server", "both") or null. */
static void add_role(cJSON *j, const char *key, int role)
{
	if (role == 2)
		cJSON_AddStringToObject(j, key, "both");
	else if (role >= 0)
		cJSON_AddStringToObject(j, key, tn_role_key(role));
	else
		cJSON_AddNullToObject(j, key);
}

/* {"client": a, "server": b} */
static void add_by_role(cJSON *j, const char *key, const uint64_t v[2])
{
	cJSON *o = cJSON_AddObjectToObject(j, key);
	cJSON_AddNumberToObject(o, "client", (double)v[TN_ROLE_CLIENT]);
	cJSON_AddNumberToObject(o, "server", (double)v[TN_ROLE_SERVER]);
}

/* {"client": a, "server": b} from two numbers. */
static void add_pair(cJSON *j, const char *key, uint64_t client, uint64_t server)
{
	const uint64_t v[2] = { client, server };
	add_by_role(j, key, v);
}

/* The analysis' counts, each as {"client": n, "server": n} (docs/json.md). */
static void add_counts(struct tn_renderer *r, cJSON *j, const struct tn_conn_view *cv)
{
	const struct tn_analysis_counts *c = &cv->count[TN_ROLE_CLIENT];
	const struct tn_analysis_counts *s = &cv->count[TN_ROLE_SERVER];
	add_pair(j, "unique_bytes", c->unique_bytes, s->unique_bytes);
	add_pair(j, "retransmissions", c->retransmissions, s->retransmissions);
	add_pair(j, "retransmitted_bytes", c->retransmitted_bytes, s->retransmitted_bytes);
	add_pair(j, "lost_segments", c->lost, s->lost);
	add_pair(j, "out_of_order", c->out_of_order, s->out_of_order);
	add_pair(j, "duplicate_acks", c->dup_acks, s->dup_acks);
	add_pair(j, "zero_window_probes", c->zw_probes, s->zw_probes);
	add_pair(j, "keep_alives", c->keep_alives, s->keep_alives);
	cJSON *z = cJSON_AddObjectToObject(j, "zero_window_seconds");
	add_seconds(r, z, "client", (double)c->zero_window_ns / 1e9);
	add_seconds(r, z, "server", (double)s->zero_window_ns / 1e9);
}

/* {"samples", "min", "mean", "max"} in seconds, or null without samples. */
static void add_rtt(struct tn_renderer *r, cJSON *o, const char *key, const struct tn_rtt_stats *st)
{
	if (!st->n) {
		cJSON_AddNullToObject(o, key);
		return;
	}
	cJSON *x = cJSON_AddObjectToObject(o, key);
	cJSON_AddNumberToObject(x, "samples", st->n);
	add_seconds(r, x, "min", st->min_us / 1e6);
	add_seconds(r, x, "mean", (double)st->sum_us / st->n / 1e6);
	add_seconds(r, x, "max", st->max_us / 1e6);
}

static void add_conn_timing(struct tn_renderer *r, cJSON *j, const struct tn_conn_view *cv)
{
	cJSON_AddStringToObject(j, "capture_point", cv->capture_point);
	cJSON *h = cJSON_AddObjectToObject(j, "handshake");
	add_seconds(r, h, "to_server", (double)cv->leg_server_ns / 1e9);
	add_seconds(r, h, "to_client", (double)cv->leg_client_ns / 1e9);
	cJSON *rtt = cJSON_AddObjectToObject(j, "rtt");
	cJSON *rts = cJSON_AddObjectToObject(j, "rtt_timestamps");
	cJSON *fd = cJSON_AddObjectToObject(j, "first_data");
	cJSON *tp = cJSON_AddObjectToObject(j, "throughput");
	uint64_t mif[2], rl[2];
	for (int role = 0; role < 2; role++) {
		const struct tn_timing_side *t = &cv->timing[role];
		add_rtt(r, rtt, tn_role_key(role), &t->ack);
		add_rtt(r, rts, tn_role_key(role), &t->ts);
		if (t->first_data_ns)
			add_seconds(r, fd, tn_role_key(role), (double)(t->first_data_ns - cv->first_ns) / 1e9);
		else
			cJSON_AddNullToObject(fd, tn_role_key(role));
		cJSON_AddNumberToObject(tp, tn_role_key(role), cv->duration > 0 ?
					(double)(uint64_t)((double)cv->count[role].unique_bytes / cv->duration) : 0);
		mif[role] = t->max_in_flight;
		rl[role] = t->rwnd_limited;
	}
	add_by_role(j, "max_in_flight", mif);
	add_by_role(j, "rwnd_limited", rl);
}

/* "icmp_errors": {"count": 3, "kinds": ["frag_needed", ...], "mtu_min": 1400}, when any came. */
static void add_icmp(cJSON *j, const struct tn_conn_view *cv)
{
	if (!cv->icmp.total)
		return;
	cJSON *o = cJSON_AddObjectToObject(j, "icmp_errors");
	cJSON_AddNumberToObject(o, "count", cv->icmp.total);
	cJSON *kinds = cJSON_AddArrayToObject(o, "kinds");
	for (int k = 0; k < TN_ICMP_KIND_COUNT; k++)
		if (cv->icmp.kinds & (1u << k))
			cJSON_AddItemToArray(kinds, cJSON_CreateString(
				tn_icmp_kind_key((enum tn_icmp_kind)k)));
	if (cv->icmp.mtu_min)
		cJSON_AddNumberToObject(o, "mtu_min", cv->icmp.mtu_min);
}

static cJSON *report_object(struct tn_renderer *r, const struct tn_conn_view *cv)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "type", "connection");
	cJSON_AddNumberToObject(j, "conn", (double)cv->id);
	cJSON_AddItemToObject(j, "client", endpoint(&cv->ep[TN_ROLE_CLIENT]));
	cJSON_AddItemToObject(j, "server", endpoint(&cv->ep[TN_ROLE_SERVER]));
	cJSON_AddBoolToObject(j, "roles_inferred", cv->roles_inferred);
	cJSON_AddBoolToObject(j, "port_reused", cv->port_reused);
	cJSON_AddStringToObject(j, "report", tn_report_why_key(cv->why));
	add_seconds(r, j, "duration", cv->duration);
	cJSON *fs = cJSON_AddObjectToObject(j, "final_state");
	cJSON_AddStringToObject(fs, "client", tn_state_name(cv->final_state[TN_ROLE_CLIENT]));
	cJSON_AddStringToObject(fs, "server", tn_state_name(cv->final_state[TN_ROLE_SERVER]));
	add_role(j, "closed_by", cv->closed_first);
	cJSON_AddStringToObject(j, "ended_by", tn_end_key(cv->how));
	add_role(j, "rst_by", cv->rst_by);
	add_role(j, "time_wait", cv->time_wait);
	add_by_role(j, "segments", cv->segments);
	add_by_role(j, "payload_bytes", cv->payload_bytes);
	add_counts(r, j, cv);
	add_conn_timing(r, j, cv);
	tn_json_sender(j, cv, r->opts.ts_digits >= 9 ? 9 : 6);
	cJSON_AddStringToObject(j, "community_id", cv->community_id);
	if (cv->tunnel) {
		char t[12];
		snprintf(t, sizeof t, "%08x", cv->tunnel);
		cJSON_AddStringToObject(j, "tunnel", t);
	}
	cJSON_AddStringToObject(j, "conn_state", cv->conn_state);
	cJSON_AddStringToObject(j, "history", cv->history);
	add_icmp(j, cv);
	return j;
}

static void json_state(struct tn_renderer *r, const struct tn_state_event *ev)
{
	if (r->opts.focus != TN_FOCUS_ALL)
		return;
	for (int role = 0; role < 2; role++) {
		if (!ev->expired[role])
			continue;
		cJSON *j = cJSON_CreateObject();
		struct tn_frame f = { .ts_sec = ev->ts_sec, .ts_nsec = ev->ts_nsec };
		cJSON_AddStringToObject(j, "type", "state");
		cJSON_AddNumberToObject(j, "conn", (double)ev->conn);
		add_ts(r, j, &f);
		cJSON_AddStringToObject(j, "side", tn_role_key(role));
		cJSON_AddStringToObject(j, "before", tn_state_name(TN_ST_TIME_WAIT));
		cJSON_AddStringToObject(j, "after", tn_state_name(TN_ST_CLOSED));
		cJSON_AddBoolToObject(j, "inferred", 1);
		cJSON_AddStringToObject(j, "why", tn_why_key(TN_WHY_TIME_WAIT_OVER));
		emit(r, j);
	}
}

static void json_correction(struct tn_renderer *r, const struct tn_correction *c)
{
	if (r->opts.focus != TN_FOCUS_ALL)
		return;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "type", "correction");
	cJSON_AddNumberToObject(j, "conn", (double)c->conn);
	cJSON_AddStringToObject(j, "side", tn_role_key(c->role));
	cJSON_AddNumberToObject(j, "from_n", (double)c->from_n);
	cJSON_AddNumberToObject(j, "to_n", (double)c->to_n);
	cJSON_AddStringToObject(j, "shown", tn_state_name(c->shown));
	cJSON_AddStringToObject(j, "state", tn_state_name(c->held));
	cJSON_AddStringToObject(j, "why", tn_corr_key(c->why));
	cJSON_AddStringToObject(j, "reason", tn_corr_text(c->why));
	emit(r, j);
}

/* {"version", "type", "code", "kind", "mtu", "from"}: the error itself. */
static cJSON *icmp_object(const struct tn_icmp_event *ev)
{
	const struct tn_icmp_error *e = ev->err;
	char addr[64];
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "version", e->family == 6 ? 6 : 4);
	cJSON_AddNumberToObject(o, "type", e->type);
	cJSON_AddNumberToObject(o, "code", e->code);
	cJSON_AddStringToObject(o, "kind", tn_icmp_kind_key(e->kind));
	if (e->kind == TN_ICMP_FRAG_NEEDED)
		cJSON_AddNumberToObject(o, "mtu", e->mtu);
	tn_endpoint_addr(&ev->reporter, addr, sizeof addr);
	cJSON_AddStringToObject(o, "from", addr);
	return o;
}

/* {"side", "src", "sport", "dst", "dport", "seq", "seq_raw", "ip_len", "df", "ttl"}: what it quotes. */
static cJSON *quoted_object(const struct tn_icmp_event *ev)
{
	const struct tn_icmp_error *e = ev->err;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "side", tn_role_key(ev->role));
	cJSON_AddItemToObject(o, "src", endpoint(&ev->from));
	cJSON_AddItemToObject(o, "dst", endpoint(&ev->to));
	cJSON_AddNumberToObject(o, "seq", ev->rel_seq);
	cJSON_AddNumberToObject(o, "seq_raw", e->seq);
	cJSON_AddNumberToObject(o, "ip_len", e->quoted_len);
	if (e->family == 4)
		cJSON_AddBoolToObject(o, "df", e->quoted_df);
	cJSON_AddNumberToObject(o, "ttl", e->quoted_ttl);
	return o;
}

static void json_icmp(struct tn_renderer *r, const struct tn_icmp_event *ev)
{
	if (r->opts.focus == TN_FOCUS_SUMMARY)
		return;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "type", "icmp_error");
	cJSON_AddNumberToObject(j, "n", (double)ev->frame->n);
	add_ts(r, j, ev->frame);
	cJSON_AddNumberToObject(j, "conn", (double)ev->conn);
	cJSON_AddItemToObject(j, "icmp", icmp_object(ev));
	cJSON_AddItemToObject(j, "quoted", quoted_object(ev));
	cJSON_AddStringToObject(j, "seq_check", tn_icmp_seq_key(ev->seq_check));
	if (ev->mss_after)
		cJSON_AddNumberToObject(j, "mss_after", ev->mss_after);
	if (ev->err->kind == TN_ICMP_FRAG_NEEDED)
		cJSON_AddBoolToObject(j, "fits_mtu", ev->too_small_quote);
	cJSON_AddStringToObject(j, "state", tn_state_name(ev->sender_state));
	cJSON_AddBoolToObject(j, "state_changed", 0);
	cJSON_AddStringToObject(j, "meaning", ev->meaning);
	cJSON_AddStringToObject(j, "host_action", ev->host_action);
	cJSON_AddStringToObject(j, "socket_error", ev->error_text);
	emit(r, j);
}

/* [{"step", "reference", "n", "sender"}]: which real packet plays each textbook step, sent by whom. */
static void add_steps(cJSON *j, const struct tn_comparison *cmp)
{
	cJSON *steps = cJSON_AddArrayToObject(j, "steps");
	for (unsigned st = 1; st <= TN_COMPARE_STEPS; st++) {
		cJSON *s = cJSON_CreateObject();
		cJSON_AddNumberToObject(s, "step", st);
		cJSON_AddStringToObject(s, "reference", tn_compare_step_name(st));
		if (cmp->step_n[st])
			cJSON_AddNumberToObject(s, "n", cmp->step_n[st]);
		else
			cJSON_AddNullToObject(s, "n");
		add_role(s, "sender", cmp->step_sender[st]);
		cJSON_AddItemToArray(steps, s);
	}
}

static void json_comparison(struct tn_renderer *r, const struct tn_comparison *cmp)
{
	cJSON *j = cJSON_CreateObject();
	char verdict[48];
	cJSON_AddStringToObject(j, "type", "comparison");
	cJSON_AddNumberToObject(j, "conn", (double)cmp->conn);
	cJSON_AddBoolToObject(j, "matches", cmp->matches);
	if (cmp->matches)
		snprintf(verdict, sizeof verdict, "the textbook shape");
	else
		snprintf(verdict, sizeof verdict, "%zu difference%s", cmp->n_diff, cmp->n_diff == 1 ? "" : "s");
	cJSON_AddStringToObject(j, "verdict", verdict);
	cJSON *diffs = cJSON_AddArrayToObject(j, "differences");
	for (size_t i = 0; i < cmp->n_diff; i++) {
		cJSON *d = cJSON_CreateObject();
		cJSON_AddStringToObject(d, "kind", cmp->diff[i].kind);
		cJSON_AddNumberToObject(d, "step", cmp->diff[i].step);
		if (cmp->diff[i].n)
			cJSON_AddNumberToObject(d, "n", (double)cmp->diff[i].n);
		else
			cJSON_AddNullToObject(d, "n");
		cJSON_AddStringToObject(d, "explanation", cmp->diff[i].explanation);
		cJSON_AddItemToArray(diffs, d);
	}
	add_steps(j, cmp);
	cJSON *rt = cJSON_AddObjectToObject(j, "rtts_before_first_byte");
	if (cmp->rtts_before_request >= 0)
		cJSON_AddNumberToObject(rt, "request", cmp->rtts_before_request);
	else
		cJSON_AddNullToObject(rt, "request");
	if (cmp->rtts_before_response >= 0)
		cJSON_AddNumberToObject(rt, "response", cmp->rtts_before_response);
	else
		cJSON_AddNullToObject(rt, "response");
	cJSON_AddNumberToObject(rt, "reference_request", 1);
	cJSON_AddNumberToObject(rt, "reference_response", 2);
	cJSON *ms = cJSON_AddObjectToObject(j, "ms_before_first_byte");
	if (cmp->ms_before_request >= 0)
		add_seconds(r, ms, "request", cmp->ms_before_request);
	else
		cJSON_AddNullToObject(ms, "request");
	if (cmp->ms_before_response >= 0)
		add_seconds(r, ms, "response", cmp->ms_before_response);
	else
		cJSON_AddNullToObject(ms, "response");
	if (cmp->handshake_ms >= 0)
		add_seconds(r, j, "handshake_ms", cmp->handshake_ms);
	else
		cJSON_AddNullToObject(j, "handshake_ms");
	emit(r, j);
}

static void json_connection(struct tn_renderer *r, const struct tn_conn_view *cv,
			    const struct tn_comparison *cmp)
{
	struct json_state *st = r->state;
	if (r->opts.focus == TN_FOCUS_PROBLEMS && !tn_focus_report(st->focus, cv))
		return;
	cJSON *j = report_object(r, cv);
	if (r->opts.focus == TN_FOCUS_SUMMARY && cmp) {
		/* One object a connection: the comparison's verdict rides on it. */
		cJSON *t = cJSON_AddObjectToObject(j, "textbook");
		cJSON_AddBoolToObject(t, "matches", cmp->matches);
		cJSON_AddNumberToObject(t, "differences", (double)cmp->n_diff);
		cmp = NULL;
	}
	emit(r, j);
	if (cmp)
		json_comparison(r, cmp);
}

static void json_elsewhere(struct tn_renderer *r, uint64_t conn, uint64_t n)
{
	struct json_state *st = r->state;
	if (r->opts.focus == TN_FOCUS_PROBLEMS)
		tn_focus_elsewhere(st->focus, conn, n);
}

static bool json_needs_note(const struct tn_renderer *r)
{
	return r->opts.focus != TN_FOCUS_SUMMARY;
}

static int json_init(struct tn_renderer *r, char *errbuf, size_t errlen)
{
	struct json_state *st = r->state;
	if (r->opts.focus == TN_FOCUS_PROBLEMS &&
	    tn_focus_create(&st->focus, false, errbuf, errlen) < 0)
		return -1;
	tn_jw_init(&st->w, r->opts.out);
	tn_json_arena_begin();
	return 0;
}

static void json_finish(struct tn_renderer *r)
{
	struct json_state *st = r->state;
	tn_focus_destroy(st->focus);
	tn_json_arena_end();
}

const struct tn_render_ops tn_render_json_ops = {
	.name = "json",
	.state_size = sizeof(struct json_state),
	.init = json_init,
	.finish = json_finish,
	.begin = json_begin,
	.segment = json_segment,
	.skip = json_skip,
	.state = json_state,
	.correction = json_correction,
	.icmp = json_icmp,
	.connection = json_connection,
	.elsewhere = json_elsewhere,
	.end = json_end,
	.needs_note = json_needs_note,
};
