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
#include "renderer.h"

#include <tcpnarrate/community_id.h>

#include <stddef.h>

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static void emit(struct tn_renderer *r, cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	if (s) {
		fputs(s, r->opts.out);
		fputc('\n', r->opts.out);
		free(s);
	}
	cJSON_Delete(obj);
}

static void add_ts(struct tn_renderer *r, cJSON *obj, const struct tn_frame *f)
{
	char ts[48];
	if (r->opts.ts_digits >= 9)
		snprintf(ts, sizeof ts, "%" PRId64 ".%09" PRIu32, f->ts_sec, f->ts_nsec);
	else
		snprintf(ts, sizeof ts, "%" PRId64 ".%06" PRIu32, f->ts_sec, f->ts_nsec / 1000);
	cJSON_AddRawToObject(obj, "ts", ts);
}

/* Seconds with the file's precision, without binary floating-point noise. */
static void add_seconds(struct tn_renderer *r, cJSON *obj, const char *key, double secs)
{
	char v[48];
	snprintf(v, sizeof v, "%.*f", r->opts.ts_digits >= 9 ? 9 : 6, secs);
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

static cJSON *ip_object(const struct tn_packet *pkt)
{
	char a[TN_ADDR_STRLEN];
	cJSON *ip = cJSON_CreateObject();
	if (pkt->ip_version == 4) {
		const struct tn_ipv4 *h = &pkt->ip4;
		cJSON_AddNumberToObject(ip, "version", 4);
		cJSON_AddNumberToObject(ip, "hdr_len", h->hdr_len);
		cJSON_AddNumberToObject(ip, "dscp", h->dscp);
		cJSON_AddNumberToObject(ip, "ecn", h->ecn);
		cJSON_AddNumberToObject(ip, "total_len", h->total_len);
		cJSON_AddNumberToObject(ip, "id", h->id);
		cJSON_AddBoolToObject(ip, "df", h->df);
		cJSON_AddBoolToObject(ip, "mf", h->mf);
		cJSON_AddBoolToObject(ip, "rf", h->rf);
		cJSON_AddNumberToObject(ip, "frag_off", h->frag_off);
		cJSON_AddNumberToObject(ip, "ttl", h->ttl);
		cJSON_AddNumberToObject(ip, "proto", h->proto);
		if (h->ah_len)
			cJSON_AddNumberToObject(ip, "ah_len", h->ah_len);
		cJSON_AddNumberToObject(ip, "checksum", h->checksum);
		cJSON_AddStringToObject(ip, "checksum_status", tn_csum_status_name(h->checksum_status));
	} else {
		const struct tn_ipv6 *h = &pkt->ip6;
		cJSON_AddNumberToObject(ip, "version", 6);
		cJSON_AddNumberToObject(ip, "tclass", h->tclass);
		cJSON_AddNumberToObject(ip, "dscp", h->tclass >> 2);
		cJSON_AddNumberToObject(ip, "ecn", h->tclass & 3);
		cJSON_AddNumberToObject(ip, "flow_label", h->flow);
		cJSON_AddNumberToObject(ip, "payload_len", h->payload_len);
		cJSON_AddNumberToObject(ip, "next_header", h->next_header);
		cJSON_AddNumberToObject(ip, "hop_limit", h->hop_limit);
		cJSON *ext = cJSON_AddArrayToObject(ip, "ext");
		for (unsigned i = 0; i < h->n_ext; i++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddNumberToObject(e, "type", h->ext[i].type);
			cJSON_AddStringToObject(e, "name", tn_ip6_ext_name(h->ext[i].type));
			cJSON_AddNumberToObject(e, "len", h->ext[i].len);
			cJSON_AddItemToArray(ext, e);
		}
	}
	tn_addr_str(pkt, true, a, sizeof a);
	cJSON_AddStringToObject(ip, "src", a);
	tn_addr_str(pkt, false, a, sizeof a);
	cJSON_AddStringToObject(ip, "dst", a);
	return ip;
}

/* SACK blocks, relative and raw; *sack_i walks the view's blocks across options. */
static void add_sack_blocks(cJSON *j, const struct tn_tcp_option *o,
			    const struct tn_track_view *v, unsigned *sack_i)
{
	cJSON *rel = cJSON_AddArrayToObject(j, "blocks");
	cJSON *raw = cJSON_AddArrayToObject(j, "blocks_raw");
	for (unsigned b = 0; b < o->u.sack.count; b++, (*sack_i)++) {
		cJSON *pr = cJSON_CreateArray(), *pw = cJSON_CreateArray();
		if (*sack_i < v->n_sack) {
			cJSON_AddItemToArray(pr, cJSON_CreateNumber(v->sack_rel_left[*sack_i]));
			cJSON_AddItemToArray(pr, cJSON_CreateNumber(v->sack_rel_right[*sack_i]));
		}
		cJSON_AddItemToArray(pw, cJSON_CreateNumber(o->u.sack.left[b]));
		cJSON_AddItemToArray(pw, cJSON_CreateNumber(o->u.sack.right[b]));
		cJSON_AddItemToArray(rel, pr);
		cJSON_AddItemToArray(raw, pw);
	}
}

/* Fast Open (kind 34, or an experimental kind carrying its magic), or another experiment. */
static void add_fastopen(cJSON *j, const struct tn_tcp_option *o)
{
	if (o->kind != TN_OPT_FASTOPEN) {
		cJSON_AddNumberToObject(j, "exid", o->exid);
		if (!o->u.tfo.experimental)
			return;
	}
	if (o->u.tfo.len == 0) {
		cJSON_AddBoolToObject(j, "request", 1);
	} else {
		char hex[33];
		for (unsigned i = 0; i < o->u.tfo.len; i++)
			snprintf(hex + 2 * i, 3, "%02x", o->u.tfo.bytes[i]);
		cJSON_AddStringToObject(j, "cookie", hex);
	}
}

/* The shift as sent, the one applied (RFC 7323 §2.3: over 14 is taken as 14), and its factor. */
static void add_wscale(cJSON *j, uint8_t shift)
{
	uint8_t used = shift > TN_WSCALE_MAX ? TN_WSCALE_MAX : shift;
	cJSON_AddNumberToObject(j, "shift", shift);
	cJSON_AddNumberToObject(j, "shift_used", used);
	cJSON_AddBoolToObject(j, "clamped", shift != used);
	cJSON_AddNumberToObject(j, "multiplier", 1u << used);
}

static cJSON *option_object(const struct tn_tcp_option *o, const struct tn_track_view *v,
			    unsigned *sack_i)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "kind", o->kind);
	cJSON_AddStringToObject(j, "name", tn_tcpopt_name(o));
	cJSON_AddNumberToObject(j, "len", o->len);
	switch (o->kind) {
	case TN_OPT_MSS:
		cJSON_AddNumberToObject(j, "value", o->u.mss);
		break;
	case TN_OPT_WSCALE:
		add_wscale(j, o->u.shift);
		break;
	case TN_OPT_SACK_PERM:
		cJSON_AddBoolToObject(j, "present", 1);
		break;
	case TN_OPT_SACK:
		add_sack_blocks(j, o, v, sack_i);
		break;
	case TN_OPT_TIMESTAMP:
		cJSON_AddNumberToObject(j, "tsval", o->u.ts.val);
		cJSON_AddNumberToObject(j, "tsecr", o->u.ts.ecr);
		break;
	case TN_OPT_FASTOPEN:
	case TN_OPT_EXP1:
	case TN_OPT_EXP2:
		add_fastopen(j, o);
		break;
	case TN_OPT_MPTCP:
		cJSON_AddNumberToObject(j, "subtype", o->u.mptcp.subtype);
		cJSON_AddStringToObject(j, "subtype_name", tn_mptcp_subtype_name(o->u.mptcp.subtype));
		break;
	case TN_OPT_AO:
		cJSON_AddNumberToObject(j, "keyid", o->u.ao.keyid);
		cJSON_AddNumberToObject(j, "rnextkeyid", o->u.ao.rnextkeyid);
		break;
	case TN_OPT_UTO:
		cJSON_AddNumberToObject(j, "timeout", o->u.uto.timeout);
		cJSON_AddStringToObject(j, "unit", o->u.uto.minutes ? "minutes" : "seconds");
		break;
	default:
		break;
	}
	return j;
}

static cJSON *tcp_object(const struct tn_segment *seg)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	const struct tn_track_view *v = &seg->track;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "seq", v->rel_seq);
	if (t->flags & TN_TH_ACK)
		cJSON_AddNumberToObject(j, "ack", v->rel_ack);
	else
		cJSON_AddNullToObject(j, "ack");
	cJSON_AddNumberToObject(j, "seq_raw", t->seq);
	cJSON_AddNumberToObject(j, "ack_raw", t->ack);
	cJSON *fl = cJSON_AddArrayToObject(j, "flags");
	for (size_t i = 0; tn_flag_order[i]; i++)
		if (t->flags & tn_flag_order[i])
			cJSON_AddItemToArray(fl, cJSON_CreateString(tn_flag_name(tn_flag_order[i])));
	cJSON_AddNumberToObject(j, "flags_raw", t->flags | (unsigned)t->reserved << 9);
	if (seg->accecn) /* RFC 9768 §3.2.2: AE, CWR, ECE are one 3-bit counter */
		cJSON_AddNumberToObject(j, "ace", tn_ace(t->flags));
	cJSON_AddNumberToObject(j, "window", t->window);
	if (v->window_known)
		cJSON_AddNumberToObject(j, "window_scaled", (double)v->window_scaled);
	else
		cJSON_AddNullToObject(j, "window_scaled");
	if (v->window_known)
		cJSON_AddNumberToObject(j, "window_shift", v->shift);
	else
		cJSON_AddNullToObject(j, "window_shift");
	cJSON_AddNumberToObject(j, "hdr_len", t->hdr_len);
	cJSON_AddNumberToObject(j, "reserved", t->reserved);
	cJSON_AddNumberToObject(j, "checksum", t->checksum);
	cJSON_AddStringToObject(j, "checksum_status", tn_csum_status_name(t->checksum_status));
	cJSON_AddBoolToObject(j, "checksum_offload", t->checksum_status == TN_CSUM_OFFLOAD);
	cJSON_AddNumberToObject(j, "urgent", t->urgent);
	cJSON *opts = cJSON_AddArrayToObject(j, "options");
	unsigned sack_i = 0;
	for (unsigned i = 0; i < t->n_opts; i++)
		cJSON_AddItemToArray(opts, option_object(&t->opts[i], v, &sack_i));
	cJSON_AddBoolToObject(j, "options_malformed", t->opts_malformed);
	cJSON_AddBoolToObject(j, "options_cut", t->opts_cut);
	return j;
}

/* The evidence of one verdict: only the members its kind gives a meaning (docs/json.md). */
static cJSON *evidence_object(struct tn_renderer *r, const struct tn_verdict *v)
{
	char text[TN_NOTE_LEN];
	cJSON *e = cJSON_CreateObject();
	if (v->has_range) {
		cJSON_AddNumberToObject(e, "first", v->first);
		cJSON_AddNumberToObject(e, "last", v->last);
	}
	if (v->ref_n)
		cJSON_AddNumberToObject(e, "frame", (double)v->ref_n);
	if (v->kind == TN_V_DUPLICATE_ACK) {
		cJSON_AddNumberToObject(e, "number", v->num);
		cJSON_AddNumberToObject(e, "ack", v->num2);
	} else if (v->kind == TN_V_FAST_RETRANSMISSION) {
		cJSON_AddNumberToObject(e, "duplicate_acks", v->num);
		cJSON_AddNumberToObject(e, "last_duplicate_ack", (double)v->ref2_n);
	} else if (v->kind == TN_V_WINDOW_UPDATE) {
		cJSON_AddNumberToObject(e, "old_window", v->num);
		cJSON_AddNumberToObject(e, "new_window", v->num2);
	} else if (v->kind == TN_V_WINDOW_FULL) {
		cJSON_AddNumberToObject(e, "window", v->num);
	} else if (v->kind == TN_V_SPURIOUS_RETRANSMISSION) {
		cJSON_AddNumberToObject(e, "acked_before", v->num);
	}
	if (v->dt_ns)
		add_seconds(r, e, "seconds", (double)v->dt_ns / 1e9);
	if (v->gap) {
		cJSON_AddStringToObject(e, "gap", v->gap == TN_GAP_RESENT ? "lost" : "missed_by_capture");
		cJSON_AddNumberToObject(e, "gap_frame", (double)v->gap_n);
	}
	tn_verdict_explain(v, text, sizeof text);
	cJSON_AddStringToObject(e, "text", text);
	return e;
}

/* The timing stage's word on a segment: only what it measured (docs/json.md). */
static void add_timing(struct tn_renderer *r, cJSON *j, const struct tn_segment *seg)
{
	const struct tn_seg_timing *t = &seg->timing;
	cJSON *o = cJSON_AddObjectToObject(j, "timing");
	if (t->in_flight_known)
		cJSON_AddNumberToObject(o, "in_flight", t->in_flight);
	if (t->peer_window) {
		cJSON_AddNumberToObject(o, "peer_window", t->peer_window);
		cJSON_AddBoolToObject(o, "rwnd_limited", t->rwnd_limited);
	}
	if (t->rtt_ns)
		add_seconds(r, o, "rtt", (double)t->rtt_ns / 1e9);
	if (t->rtt_ts_ns)
		add_seconds(r, o, "rtt_timestamps", (double)t->rtt_ts_ns / 1e9);
	if (t->idle_ns)
		add_seconds(r, o, "idle_before", (double)t->idle_ns / 1e9);
	if (t->oversize_mss)
		cJSON_AddNumberToObject(o, "over_mss", t->oversize_mss);
	if (seg->tw_cut.side >= 0) {
		cJSON *c = cJSON_AddObjectToObject(o, "time_wait_cut");
		cJSON_AddStringToObject(c, "side", tn_role_name(seg->tw_cut.side, seg->track.client));
		add_seconds(r, c, "after", (double)seg->tw_cut.after_ns / 1e9);
		add_seconds(r, c, "time_wait", (double)seg->tw_cut.full_ns / 1e9);
		cJSON_AddBoolToObject(c, "isn_above", seg->tw_cut.isn_above);
	}
	if (t->request_n) {
		cJSON *a = cJSON_AddObjectToObject(o, "response");
		cJSON_AddNumberToObject(a, "request", (double)t->request_n);
		add_seconds(r, a, "seconds", (double)t->response_ns / 1e9);
		add_seconds(r, a, "network", (double)t->response_net_ns / 1e9);
		add_seconds(r, a, "server", (double)(t->response_ns - t->response_net_ns) / 1e9);
	}
}

static void add_analysis(struct tn_renderer *r, cJSON *j, const struct tn_segment *seg)
{
	cJSON *names = cJSON_AddArrayToObject(j, "analysis");
	cJSON *ev = cJSON_AddObjectToObject(j, "evidence");
	for (unsigned i = 0; i < seg->n_verdicts; i++) {
		const struct tn_verdict *v = &seg->verdict[i];
		cJSON_AddItemToArray(names, cJSON_CreateString(tn_verdict_key(v->kind)));
		cJSON_AddItemToObject(ev, tn_verdict_key(v->kind), evidence_object(r, v));
	}
}

static void add_states(cJSON *j, const struct tn_segment *seg)
{
	const struct tn_track_view *v = &seg->track;
	cJSON_AddStringToObject(j, "from", tn_role_name(v->side, v->client));
	cJSON_AddBoolToObject(j, "roles_inferred", v->roles_inferred);
	cJSON_AddBoolToObject(j, "new_connection", v->new_conn);
	cJSON_AddBoolToObject(j, "port_reused", v->port_reused);
	cJSON *st = cJSON_AddObjectToObject(j, "states");
	for (int k = 0; k < 2; k++) {
		int i = k == 0 ? v->client : !v->client;
		cJSON *s = cJSON_AddObjectToObject(st, k == 0 ? "client" : "server");
		cJSON_AddStringToObject(s, "before", tn_state_name(v->before[i]));
		cJSON_AddStringToObject(s, "after", tn_state_name(v->after[i]));
		cJSON_AddBoolToObject(s, "inferred", v->inferred[i]);
		cJSON_AddBoolToObject(s, "confirmed", v->confirmed[i]);
		cJSON_AddStringToObject(s, "why", tn_why_key(v->why[i]));
		if (v->why[i] != TN_WHY_NONE)
			cJSON_AddStringToObject(s, "reason", tn_why_text(v->why[i]));
	}
	cJSON_AddBoolToObject(j, "retransmission", tn_segment_resent(seg));
	cJSON_AddBoolToObject(j, "connection_closed", v->conn_closed);
}

static void add_ideas(cJSON *j, const struct tn_idea *list, size_t n)
{
	cJSON *a = cJSON_AddArrayToObject(j, "ideas");
	for (size_t i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "title", list[i].title);
		cJSON_AddStringToObject(o, "text", list[i].text);
		cJSON_AddItemToArray(a, o);
	}
}

static void json_begin(struct tn_renderer *r, const struct tn_run_info *run)
{
	if (!run->reference || r->opts.focus != TN_FOCUS_ALL)
		return;
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "type", "step");
	cJSON_AddNumberToObject(j, "step", 0);
	cJSON *st = cJSON_AddObjectToObject(j, "states");
	cJSON_AddStringToObject(st, "client", tn_state_name(TN_ST_CLOSED));
	cJSON_AddStringToObject(st, "server", tn_state_name(TN_ST_LISTEN));
	cJSON *isn = cJSON_AddObjectToObject(j, "isn");
	cJSON_AddNumberToObject(isn, "client", TN_REFERENCE_CLIENT_ISN);
	cJSON_AddNumberToObject(isn, "server", TN_REFERENCE_SERVER_ISN);
	add_ideas(j, run->intro, run->n_intro);
	emit(r, j);
}

/* What the JSON renderer remembers: the last connection's Community ID, as segments come in runs. */
struct json_state {
	struct tn_flow_key key;
	bool have;
	char id[TN_COMMUNITY_ID_SIZE + 1];
	struct tn_focus_table *focus;   /* --problems: each connection's last frame */
};

static const char *community_id(struct tn_renderer *r, const struct tn_flow_key *key)
{
	struct json_state *st = r->state;
	if (!key)
		return "";
	if (!st->have || memcmp(&st->key, key, sizeof *key) != 0) {
		st->key = *key;
		st->have = true;
		tn_community_id(key, 0, st->id, sizeof st->id);
	}
	return st->id;
}

static cJSON *segment_object(struct tn_renderer *r, const struct tn_segment *seg)
{
	const struct tn_packet *pkt = seg->pkt;
	char a[TN_ADDR_STRLEN];
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "type", "segment");
	cJSON_AddNumberToObject(j, "n", (double)seg->frame->n);
	add_ts(r, j, seg->frame);
	char rel[40];
	tn_format_offset(seg->rel_ns, r->opts.ts_digits, rel, sizeof rel);
	cJSON_AddRawToObject(j, "rel_time", rel[0] == '+' ? rel + 1 : rel);
	cJSON_AddNumberToObject(j, "conn", (double)seg->track.conn);
	cJSON_AddStringToObject(j, "community_id", community_id(r, seg->key));
	tn_addr_str(pkt, true, a, sizeof a);
	cJSON_AddStringToObject(j, "src", a);
	cJSON_AddNumberToObject(j, "sport", pkt->tcp.sport);
	tn_addr_str(pkt, false, a, sizeof a);
	cJSON_AddStringToObject(j, "dst", a);
	cJSON_AddNumberToObject(j, "dport", pkt->tcp.dport);
	cJSON_AddNumberToObject(j, "caplen", pkt->caplen);
	cJSON_AddNumberToObject(j, "len", pkt->wirelen);
	cJSON_AddBoolToObject(j, "caplen_over_snaplen", seg->frame->over_snaplen);
	if (seg->frame->over_snaplen)
		cJSON_AddNumberToObject(j, "caplen_claimed", seg->frame->file_caplen);
	if (pkt->n_vlan) {
		cJSON *vl = cJSON_AddArrayToObject(j, "vlan");
		for (unsigned i = 0; i < pkt->n_vlan; i++)
			cJSON_AddItemToArray(vl, cJSON_CreateNumber(pkt->vlan[i]));
	}
	cJSON_AddItemToObject(j, "ip", ip_object(pkt));
	cJSON_AddItemToObject(j, "tcp", tcp_object(seg));
	cJSON_AddNumberToObject(j, "payload_len", pkt->payload_len);
	cJSON_AddNumberToObject(j, "payload_captured", pkt->payload_captured);
	if (pkt->payload_captured) {
		char pv[4 * TN_PREVIEW_BYTES + 1];
		tn_escape_preview(pkt->payload, pkt->payload_captured, TN_PREVIEW_BYTES, pv, sizeof pv);
		cJSON_AddStringToObject(j, "preview", pv);
	}
	cJSON_AddStringToObject(j, "note", seg->note);
	add_problem(j, pkt);
	add_states(j, seg);
	add_analysis(r, j, seg);
	add_timing(r, j, seg);
	if (seg->step) {
		cJSON_AddNumberToObject(j, "step", seg->step);
		add_ideas(j, seg->ideas, seg->n_ideas);
	}
	return j;
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
	cJSON *j = segment_object(r, seg);
	if (context)
		cJSON_AddNumberToObject(j, "context", (double)context);
	else
		cJSON_AddNullToObject(j, "context");
	emit(r, j);
}

static void json_segment(struct tn_renderer *r, const struct tn_segment *seg)
{
	if (r->opts.focus == TN_FOCUS_SUMMARY)
		return;
	if (r->opts.focus == TN_FOCUS_PROBLEMS)
		problem_segment(r, seg);
	else
		emit(r, segment_object(r, seg));
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
	cJSON_AddNumberToObject(j, "segments", (double)sum->segments);
	cJSON *sk = cJSON_AddObjectToObject(j, "skipped");
	for (int i = 1; i < TN_DEC_RESULT_COUNT; i++)
		cJSON_AddNumberToObject(sk, tn_skip_reason_key((enum tn_decode_result)i),
					(double)sum->skipped[i]);
	cJSON_AddNumberToObject(j, "over_snaplen", (double)sum->over_snaplen);
	cJSON_AddNumberToObject(j, "connections", (double)sum->connections);
	cJSON_AddNumberToObject(j, "evictions", (double)sum->evictions);
	cJSON_AddNumberToObject(j, "idle_expired", (double)sum->idle_expired);
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
	cJSON_AddStringToObject(j, "conn_state", cv->conn_state);
	cJSON_AddStringToObject(j, "history", cv->history);
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

static int json_init(struct tn_renderer *r, char *errbuf, size_t errlen)
{
	struct json_state *st = r->state;
	if (r->opts.focus != TN_FOCUS_PROBLEMS)
		return 0;
	return tn_focus_create(&st->focus, false, errbuf, errlen);
}

static void json_finish(struct tn_renderer *r)
{
	struct json_state *st = r->state;
	tn_focus_destroy(st->focus);
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
	.connection = json_connection,
	.end = json_end,
};
