/*
 * json_segment.c — the JSON object of one segment, the renderer's most
 * frequent line, written member by member with the streaming writer
 * (jsonw.h) instead of a cJSON tree: building, printing and dropping a tree
 * of some 90 items per segment cost more than every other stage together
 * (docs/performance.md has the numbers). The members and their order are
 * those docs/json.md gives; the bytes are what cJSON printed before, as the
 * golden files check.
 *
 * The rarer objects (connections, the summary, state changes) are still
 * built with cJSON in json.c.
 */
#include "json_segment.h"
#include "strbuf.h"

#include <inttypes.h>
#include <stdio.h>

void tn_json_format_ts(int digits, const struct tn_frame *f, char *buf, size_t len)
{
	if (digits >= 9)
		snprintf(buf, len, "%" PRId64 ".%09" PRIu32, f->ts_sec, f->ts_nsec);
	else
		snprintf(buf, len, "%" PRId64 ".%06" PRIu32, f->ts_sec, f->ts_nsec / 1000);
}

/* As "%.*f" prints it (tn_sb_fixed), without printf for the usual value: every segment has two. */
void tn_json_format_seconds(int digits, double secs, char *buf, size_t len)
{
	struct tn_sb b;
	tn_sb_init(&b, buf, len);
	tn_sb_fixed(&b, secs, digits >= 9 ? 9 : 6);
}

/* Seconds with the file's precision, without binary floating-point noise. */
static void seconds(const struct tn_render_opts *o, struct tn_jw *w, const char *key,
		    double secs)
{
	char v[48];
	tn_json_format_seconds(o->ts_digits, secs, v, sizeof v);
	tn_jw_raw(w, key, v);
}

static void ipv4_members(struct tn_jw *w, const struct tn_ipv4 *h)
{
	tn_jw_uint(w, "version", 4);
	tn_jw_uint(w, "hdr_len", h->hdr_len);
	tn_jw_uint(w, "dscp", h->dscp);
	tn_jw_uint(w, "ecn", h->ecn);
	tn_jw_uint(w, "total_len", h->total_len);
	tn_jw_uint(w, "id", h->id);
	tn_jw_bool(w, "df", h->df);
	tn_jw_bool(w, "mf", h->mf);
	tn_jw_bool(w, "rf", h->rf);
	tn_jw_uint(w, "frag_off", h->frag_off);
	tn_jw_uint(w, "ttl", h->ttl);
	tn_jw_uint(w, "proto", h->proto);
	if (h->ah_len)
		tn_jw_uint(w, "ah_len", h->ah_len);
	tn_jw_uint(w, "checksum", h->checksum);
	tn_jw_string(w, "checksum_status", tn_csum_status_name(h->checksum_status));
}

static void ipv6_members(struct tn_jw *w, const struct tn_ipv6 *h)
{
	tn_jw_uint(w, "version", 6);
	tn_jw_uint(w, "tclass", h->tclass);
	tn_jw_uint(w, "dscp", h->tclass >> 2);
	tn_jw_uint(w, "ecn", h->tclass & 3);
	tn_jw_uint(w, "flow_label", h->flow);
	tn_jw_uint(w, "payload_len", h->payload_len);
	tn_jw_uint(w, "next_header", h->next_header);
	tn_jw_uint(w, "hop_limit", h->hop_limit);
	tn_jw_array(w, "ext");
	for (unsigned i = 0; i < h->n_ext; i++) {
		tn_jw_object(w, NULL);
		tn_jw_uint(w, "type", h->ext[i].type);
		tn_jw_string(w, "name", tn_ip6_ext_name(h->ext[i].type));
		tn_jw_uint(w, "len", h->ext[i].len);
		tn_jw_object_end(w);
	}
	tn_jw_array_end(w);
}

static void ip_object(struct tn_jw *w, const struct tn_packet *pkt)
{
	char a[TN_ADDR_STRLEN];
	tn_jw_object(w, "ip");
	if (pkt->ip_version == 4)
		ipv4_members(w, &pkt->ip4);
	else
		ipv6_members(w, &pkt->ip6);
	tn_addr_str(pkt, true, a, sizeof a);
	tn_jw_string(w, "src", a);
	tn_addr_str(pkt, false, a, sizeof a);
	tn_jw_string(w, "dst", a);
	tn_jw_object_end(w);
}

static void pair(struct tn_jw *w, uint64_t a, uint64_t b)
{
	tn_jw_array(w, NULL);
	tn_jw_uint(w, NULL, a);
	tn_jw_uint(w, NULL, b);
	tn_jw_array_end(w);
}

/* SACK blocks, relative and raw; *sack_i walks the view's blocks across options. */
static void sack_blocks(struct tn_jw *w, const struct tn_tcp_option *o,
			const struct tn_track_view *v, unsigned *sack_i)
{
	tn_jw_array(w, "blocks");
	for (unsigned b = 0, i = *sack_i; b < o->u.sack.count; b++, i++) {
		if (i < v->n_sack) {
			pair(w, v->sack_rel_left[i], v->sack_rel_right[i]);
		} else {
			tn_jw_array(w, NULL);
			tn_jw_array_end(w);
		}
	}
	tn_jw_array_end(w);
	tn_jw_array(w, "blocks_raw");
	for (unsigned b = 0; b < o->u.sack.count; b++)
		pair(w, o->u.sack.left[b], o->u.sack.right[b]);
	tn_jw_array_end(w);
	*sack_i += o->u.sack.count;
}

/* Fast Open (kind 34, or an experimental kind carrying its magic), or another experiment. */
static void fastopen(struct tn_jw *w, const struct tn_tcp_option *o)
{
	if (o->kind != TN_OPT_FASTOPEN) {
		tn_jw_uint(w, "exid", o->exid);
		if (!o->u.tfo.experimental)
			return;
	}
	if (o->u.tfo.len == 0) {
		tn_jw_bool(w, "request", 1);
	} else {
		char hex[33];
		for (unsigned i = 0; i < o->u.tfo.len; i++)
			snprintf(hex + 2 * i, 3, "%02x", o->u.tfo.bytes[i]);
		tn_jw_string(w, "cookie", hex);
	}
}

/* The shift as sent, the one applied (RFC 7323 §2.3: over 14 is taken as 14), and its factor. */
static void wscale(struct tn_jw *w, uint8_t shift)
{
	uint8_t used = shift > TN_WSCALE_MAX ? TN_WSCALE_MAX : shift;
	tn_jw_uint(w, "shift", shift);
	tn_jw_uint(w, "shift_used", used);
	tn_jw_bool(w, "clamped", shift != used);
	tn_jw_uint(w, "multiplier", 1u << used);
}

/* The members that only some option kinds have. */
static void option_kind_members(struct tn_jw *w, const struct tn_tcp_option *o,
				const struct tn_track_view *v, unsigned *sack_i)
{
	switch (o->kind) {
	case TN_OPT_MSS:
		tn_jw_uint(w, "value", o->u.mss);
		break;
	case TN_OPT_WSCALE:
		wscale(w, o->u.shift);
		break;
	case TN_OPT_SACK_PERM:
		tn_jw_bool(w, "present", 1);
		break;
	case TN_OPT_SACK:
		sack_blocks(w, o, v, sack_i);
		break;
	case TN_OPT_TIMESTAMP:
		tn_jw_uint(w, "tsval", o->u.ts.val);
		tn_jw_uint(w, "tsecr", o->u.ts.ecr);
		break;
	case TN_OPT_FASTOPEN:
	case TN_OPT_EXP1:
	case TN_OPT_EXP2:
		fastopen(w, o);
		break;
	case TN_OPT_MPTCP:
		tn_jw_uint(w, "subtype", o->u.mptcp.subtype);
		tn_jw_string(w, "subtype_name", tn_mptcp_subtype_name(o->u.mptcp.subtype));
		break;
	case TN_OPT_AO:
		tn_jw_uint(w, "keyid", o->u.ao.keyid);
		tn_jw_uint(w, "rnextkeyid", o->u.ao.rnextkeyid);
		break;
	case TN_OPT_UTO:
		tn_jw_uint(w, "timeout", o->u.uto.timeout);
		tn_jw_string(w, "unit", o->u.uto.minutes ? "minutes" : "seconds");
		break;
	default:
		break;
	}
}

static void options(struct tn_jw *w, const struct tn_tcp *t, const struct tn_track_view *v)
{
	unsigned sack_i = 0;
	tn_jw_array(w, "options");
	for (unsigned i = 0; i < t->n_opts; i++) {
		const struct tn_tcp_option *o = &t->opts[i];
		tn_jw_object(w, NULL);
		tn_jw_uint(w, "kind", o->kind);
		tn_jw_string(w, "name", tn_tcpopt_name(o));
		tn_jw_uint(w, "len", o->len);
		option_kind_members(w, o, v, &sack_i);
		tn_jw_object_end(w);
	}
	tn_jw_array_end(w);
}

static void tcp_object(struct tn_jw *w, const struct tn_segment *seg)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	const struct tn_track_view *v = &seg->track;
	tn_jw_object(w, "tcp");
	tn_jw_uint(w, "seq", v->rel_seq);
	if (t->flags & TN_TH_ACK)
		tn_jw_uint(w, "ack", v->rel_ack);
	else
		tn_jw_null(w, "ack");
	tn_jw_uint(w, "seq_raw", t->seq);
	tn_jw_uint(w, "ack_raw", t->ack);
	tn_jw_array(w, "flags");
	for (size_t i = 0; tn_flag_order[i]; i++)
		if (t->flags & tn_flag_order[i])
			tn_jw_string(w, NULL, tn_flag_name(tn_flag_order[i]));
	tn_jw_array_end(w);
	tn_jw_uint(w, "flags_raw", t->flags | (unsigned)t->reserved << 9);
	if (seg->accecn) /* RFC 9768 §3.2.2: AE, CWR, ECE are one 3-bit counter */
		tn_jw_uint(w, "ace", tn_ace(t->flags));
	tn_jw_uint(w, "window", t->window);
	if (v->window_known) {
		tn_jw_uint(w, "window_scaled", v->window_scaled);
		tn_jw_int(w, "window_shift", v->shift);
	} else {
		tn_jw_null(w, "window_scaled");
		tn_jw_null(w, "window_shift");
	}
	tn_jw_uint(w, "hdr_len", t->hdr_len);
	tn_jw_uint(w, "reserved", t->reserved);
	tn_jw_uint(w, "checksum", t->checksum);
	tn_jw_string(w, "checksum_status", tn_csum_status_name(t->checksum_status));
	tn_jw_bool(w, "checksum_offload", t->checksum_status == TN_CSUM_OFFLOAD);
	tn_jw_uint(w, "urgent", t->urgent);
	options(w, t, v);
	tn_jw_bool(w, "options_malformed", t->opts_malformed);
	tn_jw_bool(w, "options_cut", t->opts_cut);
	tn_jw_object_end(w);
}

/* The numbers only some verdict kinds have. */
static void evidence_kind_members(struct tn_jw *w, const struct tn_verdict *v)
{
	if (v->kind == TN_V_DUPLICATE_ACK) {
		tn_jw_uint(w, "number", v->num);
		tn_jw_uint(w, "ack", v->num2);
	} else if (v->kind == TN_V_FAST_RETRANSMISSION) {
		tn_jw_uint(w, "duplicate_acks", v->num);
		tn_jw_uint(w, "last_duplicate_ack", v->ref2_n);
	} else if (v->kind == TN_V_WINDOW_UPDATE) {
		tn_jw_uint(w, "old_window", v->num);
		tn_jw_uint(w, "new_window", v->num2);
	} else if (v->kind == TN_V_WINDOW_FULL) {
		tn_jw_uint(w, "window", v->num);
	} else if (v->kind == TN_V_SPURIOUS_RETRANSMISSION) {
		tn_jw_uint(w, "acked_before", v->num);
	}
}

/* The evidence of one verdict: only the members its kind gives a meaning (docs/json.md). */
static void evidence_object(const struct tn_render_opts *o, struct tn_jw *w,
			    const struct tn_verdict *v)
{
	char text[TN_NOTE_LEN];
	tn_jw_object(w, tn_verdict_key(v->kind));
	if (v->has_range) {
		tn_jw_uint(w, "first", v->first);
		tn_jw_uint(w, "last", v->last);
	}
	if (v->ref_n)
		tn_jw_uint(w, "frame", v->ref_n);
	evidence_kind_members(w, v);
	if (v->dt_ns)
		seconds(o, w, "seconds", (double)v->dt_ns / 1e9);
	if (v->gap) {
		tn_jw_string(w, "gap", v->gap == TN_GAP_RESENT ? "lost" : "missed_by_capture");
		tn_jw_uint(w, "gap_frame", v->gap_n);
	}
	tn_verdict_explain(v, text, sizeof text);
	tn_jw_string(w, "text", text);
	tn_jw_object_end(w);
}

static void timing_events(const struct tn_render_opts *o, struct tn_jw *w,
			  const struct tn_segment *seg)
{
	const struct tn_seg_timing *t = &seg->timing;
	if (seg->tw_cut.side >= 0) {
		tn_jw_object(w, "time_wait_cut");
		tn_jw_string(w, "side", tn_role_name(seg->tw_cut.side, seg->track.client));
		seconds(o, w, "after", (double)seg->tw_cut.after_ns / 1e9);
		seconds(o, w, "time_wait", (double)seg->tw_cut.full_ns / 1e9);
		tn_jw_bool(w, "isn_above", seg->tw_cut.isn_above);
		tn_jw_object_end(w);
	}
	if (t->request_n) {
		tn_jw_object(w, "response");
		tn_jw_uint(w, "request", t->request_n);
		seconds(o, w, "seconds", (double)t->response_ns / 1e9);
		seconds(o, w, "network", (double)t->response_net_ns / 1e9);
		seconds(o, w, "server", (double)(t->response_ns - t->response_net_ns) / 1e9);
		tn_jw_object_end(w);
	}
}

/* The timing stage's word on a segment: only what it measured (docs/json.md). */
static void timing(const struct tn_render_opts *o, struct tn_jw *w, const struct tn_segment *seg)
{
	const struct tn_seg_timing *t = &seg->timing;
	tn_jw_object(w, "timing");
	if (t->in_flight_known)
		tn_jw_uint(w, "in_flight", t->in_flight);
	if (t->peer_window) {
		tn_jw_uint(w, "peer_window", t->peer_window);
		tn_jw_bool(w, "rwnd_limited", t->rwnd_limited);
	}
	if (t->rtt_ns)
		seconds(o, w, "rtt", (double)t->rtt_ns / 1e9);
	if (t->rtt_ts_ns)
		seconds(o, w, "rtt_timestamps", (double)t->rtt_ts_ns / 1e9);
	if (t->idle_ns)
		seconds(o, w, "idle_before", (double)t->idle_ns / 1e9);
	if (t->oversize_mss)
		tn_jw_uint(w, "over_mss", t->oversize_mss);
	timing_events(o, w, seg);
	tn_jw_object_end(w);
}

static void analysis(const struct tn_render_opts *o, struct tn_jw *w,
		     const struct tn_segment *seg)
{
	tn_jw_array(w, "analysis");
	for (unsigned i = 0; i < seg->n_verdicts; i++)
		tn_jw_string(w, NULL, tn_verdict_key(seg->verdict[i].kind));
	tn_jw_array_end(w);
	tn_jw_object(w, "evidence");
	for (unsigned i = 0; i < seg->n_verdicts; i++)
		evidence_object(o, w, &seg->verdict[i]);
	tn_jw_object_end(w);
}

static void states(struct tn_jw *w, const struct tn_segment *seg)
{
	const struct tn_track_view *v = &seg->track;
	tn_jw_string(w, "from", tn_role_name(v->side, v->client));
	tn_jw_bool(w, "roles_inferred", v->roles_inferred);
	tn_jw_bool(w, "new_connection", v->new_conn);
	tn_jw_bool(w, "port_reused", v->port_reused);
	tn_jw_object(w, "states");
	for (int k = 0; k < 2; k++) {
		int i = k == 0 ? v->client : !v->client;
		tn_jw_object(w, k == 0 ? "client" : "server");
		tn_jw_string(w, "before", tn_state_name(v->before[i]));
		tn_jw_string(w, "after", tn_state_name(v->after[i]));
		tn_jw_bool(w, "inferred", v->inferred[i]);
		tn_jw_bool(w, "confirmed", v->confirmed[i]);
		tn_jw_string(w, "why", tn_why_key(v->why[i]));
		if (v->why[i] != TN_WHY_NONE)
			tn_jw_string(w, "reason", tn_why_text(v->why[i]));
		tn_jw_object_end(w);
	}
	tn_jw_object_end(w);
	tn_jw_bool(w, "retransmission", tn_segment_resent(seg));
	tn_jw_bool(w, "connection_closed", v->conn_closed);
}

void tn_json_ideas(struct tn_jw *w, const struct tn_idea *list, size_t n)
{
	tn_jw_array(w, "ideas");
	for (size_t i = 0; i < n; i++) {
		tn_jw_object(w, NULL);
		tn_jw_string(w, "title", list[i].title);
		tn_jw_string(w, "text", list[i].text);
		tn_jw_object_end(w);
	}
	tn_jw_array_end(w);
}

static void problem(struct tn_jw *w, const struct tn_packet *pkt)
{
	if (pkt->problem == TN_PROB_NONE)
		return;
	tn_jw_object(w, "problem");
	tn_jw_string(w, "kind", pkt->problem == TN_PROB_CUT ? "cut" : "malformed");
	tn_jw_uint(w, "offset", pkt->problem_offset);
	tn_jw_string(w, "text", pkt->problem_text);
	tn_jw_object_end(w);
}

/* The identifier's JSON key for a layer kind ("vni", "key", "label"...), NULL for none. */
static const char *encap_id_key(enum tn_encap_kind k)
{
	switch (k) {
	case TN_ENC_GRE: return "key";
	case TN_ENC_ERSPAN: case TN_ENC_PPPOE: return "session";
	case TN_ENC_WCCP: return "service";
	case TN_ENC_VXLAN: case TN_ENC_GENEVE: return "vni";
	case TN_ENC_GTPU: return "teid";
	case TN_ENC_MPLS: return "label";
	case TN_ENC_VLAN: return "vlan";
	case TN_ENC_PBB: return "isid";
	default: return NULL;
	}
}

/* The members only some kinds of layer have. */
static void encap_kind_members(struct tn_jw *w, const struct tn_encap *e, enum tn_encap_kind k)
{
	if (k == TN_ENC_GRE || k == TN_ENC_GENEVE || k == TN_ENC_PPP || k == TN_ENC_ETH)
		tn_jw_uint(w, "proto", e->proto);
	if (k == TN_ENC_ERSPAN || k == TN_ENC_GRE)
		tn_jw_uint(w, "version", e->version);
	if (k == TN_ENC_GENEVE)
		tn_jw_uint(w, "options_len", e->opt_len);
	if (k == TN_ENC_GTPU)
		tn_jw_uint(w, "extensions", e->opt_len);
	if (k == TN_ENC_MPLS) {
		tn_jw_uint(w, "tc", e->version);
		tn_jw_uint(w, "ttl", e->ttl);
		tn_jw_bool(w, "bottom", e->bos);
	}
}

/* One layer: its type, then only the fields that kind has (docs/json.md, "encap"). */
static void encap_object(struct tn_jw *w, const struct tn_encap *e)
{
	enum tn_encap_kind k = (enum tn_encap_kind)e->kind;
	tn_jw_object(w, NULL);
	tn_jw_string(w, "type", tn_encap_name(k));
	if (k == TN_ENC_IPV4 || k == TN_ENC_IPV6) {
		char a[48];
		tn_encap_addr(e, true, a, sizeof a);
		tn_jw_string(w, "src", a);
		tn_encap_addr(e, false, a, sizeof a);
		tn_jw_string(w, "dst", a);
		tn_jw_uint(w, "proto", e->proto);
		tn_jw_uint(w, "ttl", e->ttl);
	}
	if (e->dport) {     /* UDP, and the tunnels UDP carries */
		tn_jw_uint(w, "sport", e->sport);
		tn_jw_uint(w, "dport", e->dport);
	}
	const char *idk = encap_id_key(k);
	if (idk && e->has_id)
		tn_jw_uint(w, idk, e->id);
	if (e->has_seq)
		tn_jw_uint(w, "seq", e->seq);
	encap_kind_members(w, e, k);
	tn_jw_object_end(w);
}

static void encap(struct tn_jw *w, const struct tn_packet *pkt)
{
	if (!pkt->n_encap)
		return;
	tn_jw_array(w, "encap");
	for (unsigned i = 0; i < pkt->n_encap; i++)
		encap_object(w, &pkt->encap[i]);
	tn_jw_array_end(w);
}

/* "fragments": [{"n", "offset", "len", "overlap", "duplicate"}] and "fragment_overlap". */
static void fragments(struct tn_jw *w, const struct tn_reasm_done *d)
{
	if (!d)
		return;
	tn_jw_array(w, "fragments");
	for (unsigned i = 0; i < d->n_frags; i++) {
		tn_jw_object(w, NULL);
		tn_jw_uint(w, "n", d->frags[i].n);
		tn_jw_uint(w, "offset", d->frags[i].offset);
		tn_jw_uint(w, "len", d->frags[i].len);
		tn_jw_bool(w, "overlap", d->frags[i].overlap);
		tn_jw_bool(w, "duplicate", d->frags[i].duplicate);
		tn_jw_object_end(w);
	}
	tn_jw_array_end(w);
	if (d->overlap_bytes) {
		tn_jw_object(w, "fragment_overlap");
		tn_jw_uint(w, "bytes", d->overlap_bytes);
		tn_jw_bool(w, "conflict", d->conflict);
		tn_jw_object_end(w);
	}
}

/* Who, when and where: the members before the headers. */
static void frame_members(const struct tn_render_opts *o, struct tn_jw *w,
			  const struct tn_segment *seg, const char *community_id)
{
	const struct tn_packet *pkt = seg->pkt;
	char a[TN_ADDR_STRLEN], rel[40];
	tn_jw_string(w, "type", "segment");
	tn_jw_uint(w, "n", seg->frame->n);
	tn_json_format_ts(o->ts_digits, seg->frame, a, sizeof a);
	tn_jw_raw(w, "ts", a);
	tn_format_offset(seg->rel_ns, o->ts_digits, rel, sizeof rel);
	tn_jw_raw(w, "rel_time", rel[0] == '+' ? rel + 1 : rel);
	tn_jw_uint(w, "conn", seg->track.conn);
	tn_jw_string(w, "community_id", community_id);
	tn_addr_str(pkt, true, a, sizeof a);
	tn_jw_string(w, "src", a);
	tn_jw_uint(w, "sport", pkt->tcp.sport);
	tn_addr_str(pkt, false, a, sizeof a);
	tn_jw_string(w, "dst", a);
	tn_jw_uint(w, "dport", pkt->tcp.dport);
	tn_jw_uint(w, "caplen", pkt->caplen);
	tn_jw_uint(w, "len", pkt->wirelen);
	tn_jw_bool(w, "caplen_over_snaplen", seg->frame->over_snaplen);
	if (seg->frame->over_snaplen)
		tn_jw_uint(w, "caplen_claimed", seg->frame->file_caplen);
	if (pkt->n_vlan) {
		tn_jw_array(w, "vlan");
		for (unsigned i = 0; i < pkt->n_vlan; i++)
			tn_jw_uint(w, NULL, pkt->vlan[i]);
		tn_jw_array_end(w);
	}
	encap(w, pkt);
}

void tn_json_segment_members(const struct tn_render_opts *o, struct tn_jw *w,
			     const struct tn_segment *seg, const char *community_id)
{
	const struct tn_packet *pkt = seg->pkt;
	frame_members(o, w, seg, community_id);
	ip_object(w, pkt);
	tcp_object(w, seg);
	tn_jw_uint(w, "payload_len", pkt->payload_len);
	tn_jw_uint(w, "payload_captured", pkt->payload_captured);
	if (pkt->payload_captured) {
		char pv[4 * TN_PREVIEW_BYTES + 1];
		tn_escape_preview(pkt->payload, pkt->payload_captured, TN_PREVIEW_BYTES, pv, sizeof pv);
		tn_jw_string(w, "preview", pv);
	}
	tn_jw_string(w, "note", seg->note);
	problem(w, pkt);
	fragments(w, seg->reasm);
	states(w, seg);
	analysis(o, w, seg);
	timing(o, w, seg);
	if (seg->step) {
		tn_jw_uint(w, "step", seg->step);
		tn_json_ideas(w, seg->ideas, seg->n_ideas);
	}
}
