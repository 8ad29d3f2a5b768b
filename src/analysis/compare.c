/*
 * compare.c — a real connection held against the textbook one (--compare).
 *
 * Alignment is by role and by relative sequence numbers, never by ISNs,
 * ports or timestamps: the client's first SYN plays step 1, the server's
 * SYN-ACK step 2, the client's first data the request (step 4), and so on to
 * the final ACK, which is recognised by what it does to the tracker's state
 * machines. Every way the real connection departs from the picture becomes a
 * named difference with its explanation, tied to the step it concerns and
 * the packet that shows it. The cost in time is counted twice: in round
 * trips (server flights the client had to wait for before its first request
 * byte; the textbook needs one, and two before the first response byte) and
 * in milliseconds from the SYN.
 */
#include <tcpnarrate/analysis.h>
#include <tcpnarrate/seq.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const step_names[TN_COMPARE_STEPS + 1] = {
	"", "client SYN", "server SYN-ACK", "client ACK (handshake done)",
	"client request (GET)", "server ACK of the request", "server response (200 bytes)",
	"client ACK of the response", "client FIN", "server ACK of that FIN", "server FIN",
	"client's final ACK",
};

/* Who sends each textbook step: the client opens, asks and closes first. */
static const int8_t step_roles[TN_COMPARE_STEPS + 1] = {
	-1, TN_ROLE_CLIENT, TN_ROLE_SERVER, TN_ROLE_CLIENT, TN_ROLE_CLIENT, TN_ROLE_SERVER,
	TN_ROLE_SERVER, TN_ROLE_CLIENT, TN_ROLE_CLIENT, TN_ROLE_SERVER, TN_ROLE_SERVER,
	TN_ROLE_CLIENT,
};

int tn_compare_step_role(unsigned step)
{
	return step >= 1 && step <= TN_COMPARE_STEPS ? step_roles[step] : -1;
}

/*
 * Who really sent the packet of each step. The close (steps 8 to 11) is
 * played by whichever side sent the first FIN: when the server closes
 * first, the client sends steps 9 and 10 and the server step 11.
 */
static void step_senders(const struct tn_compare_conn *cc, int cl, struct tn_comparison *out)
{
	bool swapped = cc->fin_first >= 0 && cc->fin_first != cl;
	for (unsigned st = 1; st <= TN_COMPARE_STEPS; st++) {
		int role = step_roles[st];
		if (swapped && st >= 8)
			role = !role;
		out->step_sender[st] = (int8_t)(cc->step_n[st] ? role : -1);
	}
	out->step_sender[0] = -1;
}

const char *tn_compare_step_name(unsigned step)
{
	return step >= 1 && step <= TN_COMPARE_STEPS ? step_names[step] : "";
}

void tn_compare_init(struct tn_compare_conn *cc)
{
	memset(cc, 0, sizeof *cc);
	cc->fin_first = -1;
}

static bool starts_with(const struct tn_packet *pkt, const char *s)
{
	size_t n = strlen(s);
	return pkt->payload_captured >= n && memcmp(pkt->payload, s, n) == 0;
}

static bool http_request_start(const struct tn_packet *pkt)
{
	static const char *const methods[] = { "GET ", "POST ", "HEAD ", "PUT ", "DELETE ",
					       "OPTIONS ", "PATCH ", "CONNECT ", NULL };
	for (size_t i = 0; methods[i]; i++)
		if (starts_with(pkt, methods[i]))
			return true;
	return false;
}

/* TLS records that begin in this segment: handshake records counted, application data noted. */
static void tls_records(struct tn_compare_side *s, const struct tn_packet *pkt, bool *app)
{
	const uint8_t *p = pkt->payload;
	uint32_t n = pkt->payload_captured, off = 0;
	*app = false;
	/* A record header is type, version (3.x) and length; walk while they are whole. */
	for (int guard = 0; guard < 64 && off + 5 <= n; guard++) {
		uint8_t type = p[off];
		if (p[off + 1] != 3 || type < 20 || type > 23)
			break;
		uint32_t len = (uint32_t)p[off + 3] << 8 | p[off + 4];
		if (type == 22)
			s->tls_handshake_records++;
		if (type == 23)
			*app = true;
		s->tls = true;
		off += 5 + len;
	}
}

/* The options of a side's first SYN: which were offered, and the MSS and shift. */
static void syn_options(struct tn_compare_side *S, const struct tn_tcp *t)
{
	for (unsigned i = 0; i < t->n_opts; i++) {
		const struct tn_tcp_option *o = &t->opts[i];
		switch (o->kind) {
		case TN_OPT_MSS: S->syn_opts |= TN_CMP_OPT_MSS; S->syn_mss = o->u.mss; break;
		case TN_OPT_WSCALE:
			S->syn_opts |= TN_CMP_OPT_WSCALE;
			S->syn_wscale = o->u.shift;
			break;
		case TN_OPT_SACK_PERM: S->syn_opts |= TN_CMP_OPT_SACKP; break;
		case TN_OPT_TIMESTAMP: S->syn_opts |= TN_CMP_OPT_TS; break;
		case TN_OPT_FASTOPEN: S->syn_opts |= TN_CMP_OPT_TFO; break;
		case TN_OPT_EXP1:
		case TN_OPT_EXP2:
			/* Fast Open under an experimental kind (RFC 7413 §4.1.1). */
			if (o->u.tfo.experimental)
				S->syn_opts |= TN_CMP_OPT_TFO;
			break;
		default:
			break;
		}
	}
}

/* What one segment of the connection is, in the comparison's terms. */
struct cmp_seg {
	const struct tn_segment *seg;
	const struct tn_track_view *v;
	int from;
	bool from_client, syn, ack, fin, rst;
	uint32_t n, len, start;
	int64_t ns;
};

/* Steps 1 to 3: the SYN, the SYN-ACK and the ACK that completes the handshake. */
static void handshake_steps(struct tn_compare_conn *cc, const struct cmp_seg *g)
{
	struct tn_compare_side *S = &cc->side[g->from];
	if (g->syn && !g->rst) {
		if (S->syns++ == 0)
			syn_options(S, &g->seg->pkt->tcp);
		if (!g->ack && g->from_client && !cc->step_n[1]) {
			cc->step_n[1] = g->n;
			cc->syn_ns = g->ns;
			cc->syn_data = g->len;
		}
		if (g->ack && !g->from_client && !cc->step_n[2]) {
			cc->step_n[2] = g->n;
			/* RFC 7413 §4.2.2: a server that refuses the data acknowledges the SYN only. */
			cc->fast_open_refused = cc->syn_data && g->v->rel_ack == 1;
		}
	}
	if (g->from_client && g->ack && !g->syn && cc->step_n[2] && !cc->step_n[3]) {
		cc->step_n[3] = g->n;
		cc->hs_done_ns = g->ns;
		cc->handshake_ack_carries_data = g->len > 0;
	}
}

/* Server flights the client waited for, until its first request byte. */
static void count_flights(struct tn_compare_conn *cc, const struct cmp_seg *g)
{
	if (!(g->syn || g->len) || g->rst)
		return;
	if (!g->from_client && !cc->last_sender_server && !cc->side[g->v->client].first_app_n)
		cc->flights_before_request++;
	cc->last_sender_server = !g->from_client;
}

/*
 * Steps 4 and 6 are the first application bytes each way: with TLS the
 * ClientHello is not the request, nor the ServerHello the response.
 */
static void app_steps(struct tn_compare_conn *cc, const struct cmp_seg *g, bool app)
{
	if (!app)
		return;
	if (g->from_client && !cc->side[!g->from].first_app_n)
		cc->request_end = g->start + g->len;
	if (g->from_client && !cc->step_n[4])
		cc->step_n[4] = g->n;
	/* A server that speaks first (a greeting) has not answered anything yet. */
	if (!g->from_client && !cc->step_n[4] && !cc->greeting_n)
		cc->greeting_n = g->n;
	if (!g->from_client && cc->step_n[4] && !cc->step_n[6]) {
		cc->step_n[6] = g->n;
		cc->response_start = g->start;
		cc->response_ns = g->ns;
	}
}

/*
 * The first response (step 6) runs from its first byte to the client's next
 * request: on a keep-alive connection the later answers are not part of it.
 * Every server segment counts (a TLS record runs on over several); only
 * application data from the client starts the next request (not a TLS alert).
 */
static void first_exchange(struct tn_compare_conn *cc, const struct cmp_seg *g, bool app)
{
	if (!cc->step_n[6] || cc->next_request_n)
		return;
	if (g->from_client) {
		if (app)
			cc->next_request_n = g->n;
	} else {
		cc->response_segs++;
		cc->response_bytes += g->seg->new_bytes;
	}
}

/* Data: new or sent again (the analysis decided which), requests, steps 4 and 6. */
static void data_step(struct tn_compare_conn *cc, const struct cmp_seg *g)
{
	struct tn_compare_side *S = &cc->side[g->from];
	bool resent = tn_segment_resent(g->seg);
	if (g->seg->keep_alive_data)
		return; /* a keep-alive's byte was sent before: not data, not a request */
	if (resent && S->retransmits++ == 0)
		S->first_retransmit_n = g->n;
	if (!g->seg->new_bytes)
		return; /* seen before: its request or response was counted then */
	S->data_segs++;
	S->data_bytes += g->seg->new_bytes;
	S->unacked_segs++;
	if (!S->data_end_set || tn_seq_gt(g->start + g->len, S->data_end)) {
		S->data_end = g->start + g->len;
		S->data_end_set = true;
	}
	bool app = false;
	if (g->seg->pkt->payload_captured)
		tls_records(S, g->seg->pkt, &app);
	if (!S->tls)
		app = true; /* plain text: every byte is the application's */
	if (g->from_client && http_request_start(g->seg->pkt))
		S->requests++;
	if (!S->first_data_n) {
		S->first_data_n = g->n;
		S->first_data_ns = g->ns;
	}
	if (app && !S->first_app_n) {
		S->first_app_n = g->n;
		S->first_app_ns = g->ns;
	}
	app_steps(cc, g, app);
	first_exchange(cc, g, app);
	/* The response counts from its first byte: not a TLS handshake, nor a greeting. */
	if (S->first_app_n && (g->from_client || cc->step_n[6])) {
		S->app_segs++;
		S->app_bytes += g->seg->new_bytes;
	}
}

/* Steps 5 and 7 (the ACKs of request and response), and ACKs that covered several segments. */
static void ack_steps(struct tn_compare_conn *cc, const struct cmp_seg *g)
{
	struct tn_compare_side *S = &cc->side[g->from], *P = &cc->side[!g->from];
	if (!g->from_client && g->ack && !g->len && !g->syn && cc->step_n[4] && !cc->step_n[5] &&
	    !cc->step_n[6] && tn_seq_geq(g->v->rel_ack, cc->request_end))
		cc->step_n[5] = g->n;
	if (g->from_client && g->ack && !g->len && !g->fin && cc->step_n[6] && !cc->step_n[7] &&
	    tn_seq_gt(g->v->rel_ack, cc->response_start))
		cc->step_n[7] = g->n;
	if (g->ack && P->unacked_segs && P->data_end_set && tn_seq_geq(g->v->rel_ack, P->data_end)) {
		if (P->unacked_segs >= 2)
			S->coalesced_acks++;
		P->unacked_segs = 0;
	}
	if (!g->len && !g->syn && !g->fin && !g->rst)
		S->pure_acks++;
}

/* Steps 8 to 11: the FINs, the ACK of the first, and the final ACK. */
static void close_steps(struct tn_compare_conn *cc, const struct cmp_seg *g)
{
	struct tn_compare_side *S = &cc->side[g->from];
	const struct tn_track_view *v = g->v;
	if (g->fin && !g->rst && !S->fin_n) {
		S->fin_n = g->n;
		S->fin_with_data = g->len > 0;
		S->fin_acks_peer_fin = v->why[!g->from] == TN_WHY_GOT_FIN_AND_ACK;
		if (cc->fin_first < 0) {
			cc->fin_first = g->from;
			cc->step_n[8] = g->n;
		} else if (!cc->step_n[10]) {
			cc->step_n[10] = g->n;
		}
	}
	if (cc->fin_first >= 0 && g->from != cc->fin_first && !cc->step_n[9] &&
	    (v->why[cc->fin_first] == TN_WHY_GOT_ACK_OF_FIN ||
	     v->why[cc->fin_first] == TN_WHY_GOT_FIN_AND_ACK))
		cc->step_n[9] = g->n;
	if (cc->step_n[10] && !cc->step_n[11] &&
	    (v->why[!g->from] == TN_WHY_LAST_ACK_ACKED || v->why[!g->from] == TN_WHY_CLOSING_ACKED))
		cc->step_n[11] = g->n;
}

void tn_compare_segment(struct tn_compare_conn *cc, const struct tn_segment *seg,
			const struct tn_analysis_conn *ac)
{
	uint16_t fl = seg->pkt->tcp.flags;
	struct cmp_seg g = {
		.seg = seg, .v = &seg->track, .from = seg->track.side,
		.from_client = seg->track.side == seg->track.client,
		.syn = fl & TN_TH_SYN, .ack = fl & TN_TH_ACK, .fin = fl & TN_TH_FIN,
		.rst = fl & TN_TH_RST,
		.n = (uint32_t)seg->frame->n, .len = seg->pkt->payload_len,
		.ns = seg->now_ns,
	};
	g.start = seg->track.rel_seq + (g.syn ? 1u : 0u);
	handshake_steps(cc, &g);
	count_flights(cc, &g);
	if (g.len && !g.rst)
		data_step(cc, &g);
	ack_steps(cc, &g);
	close_steps(cc, &g);
}

/* Steps are given their packet as it passes, so the packet just recorded can ask. */
uint16_t tn_compare_steps_of(const struct tn_compare_conn *cc, uint64_t n)
{
	uint16_t bits = 0;
	for (unsigned st = 1; st <= TN_COMPARE_STEPS; st++)
		if (n && cc->step_n[st] == (uint32_t)n)
			bits |= (uint16_t)(1u << st);
	return bits;
}

static void add(struct tn_comparison *out, const char *kind, unsigned step, uint64_t n,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add(struct tn_comparison *out, const char *kind, unsigned step, uint64_t n,
		const char *fmt, ...)
{
	if (out->n_diff == TN_MAX_DIFFERENCES)
		return;
	struct tn_difference *d = &out->diff[out->n_diff++];
	d->kind = kind;
	d->step = step;
	d->n = n;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->explanation, sizeof d->explanation, fmt, ap);
	va_end(ap);
}

/* "1460 bytes", or "none" for a SYN without the option. */
static void mss_words(const struct tn_compare_side *x, char *buf, size_t len)
{
	if (x->syn_opts & TN_CMP_OPT_MSS)
		snprintf(buf, len, "%u byte%s", x->syn_mss, x->syn_mss == 1 ? "" : "s");
	else
		snprintf(buf, len, "none");
}

/*
 * Options that take effect only when both SYNs carry them: SACK (RFC 2018
 * §2) and timestamps (RFC 7323 §3.2). Offered by one side only, the option
 * is off, and the text says what the connection does without it.
 */
static const struct both_sides {
	uint8_t bit;
	const char *kind;
	const char *on;
	const char *off_before, *off_after;    /* around the role that offered it */
} both_sides[] = {
	{ TN_CMP_OPT_SACKP, "sack_permitted",
	  "SACK is permitted by both sides: after a loss the receiver can name exactly which "
	  "later blocks arrived, so only the gaps are sent again.",
	  "SACK was offered by the ", " only, so it is not used: after a loss the receiver can "
	  "acknowledge only the bytes before the first gap, so the sender learns of one lost "
	  "segment per round trip (RFC 6582), or sends everything after the gap again." },
	{ TN_CMP_OPT_TS, "timestamps",
	  "Timestamps are on: each segment carries its sender's clock and echoes the other's, "
	  "which measures the round trip on every ACK and tells old segments from new once "
	  "sequence numbers wrap (PAWS).",
	  "Timestamps were offered by the ", " only, so they are off: no segment carries a "
	  "clock, round trips are timed from ACKs alone, and nothing tells an old segment from a "
	  "new one once sequence numbers wrap (no PAWS)." },
	{ 0, NULL, NULL, NULL, NULL },
};

static void both_sides_options(const struct tn_compare_side *c, const struct tn_compare_side *s,
			       unsigned step, uint64_t n, struct tn_comparison *out)
{
	for (const struct both_sides *o = both_sides; o->kind; o++) {
		if (!((c->syn_opts | s->syn_opts) & o->bit))
			continue;
		if (c->syn_opts & s->syn_opts & o->bit)
			add(out, o->kind, step, n, "%s", o->on);
		else
			add(out, o->kind, step, n, "%s%s%s", o->off_before,
			    (c->syn_opts & o->bit) ? "client" : "server", o->off_after);
	}
}

/* The shift a SYN asked for, as the receiver applies it (RFC 7323 §2.3: over 14 is taken as 14). */
static unsigned shift_used(const struct tn_compare_side *x)
{
	return x->syn_wscale > TN_WSCALE_MAX ? TN_WSCALE_MAX : x->syn_wscale;
}

/* " The client's SYN asked for shift 15, ...": a shift over the maximum, said once per side. */
static void clamped_shifts(const struct tn_compare_side *c, const struct tn_compare_side *s,
			   char *buf, size_t len)
{
	size_t u = 0;
	buf[0] = '\0';
	for (int i = 0; i < 2; i++) {
		const struct tn_compare_side *x = i == 0 ? c : s;
		if (x->syn_wscale <= TN_WSCALE_MAX || u >= len)
			continue;
		int k = snprintf(buf + u, len - u, " The %s's SYN asked for shift %u, over the maximum "
				 "of %u: it is taken as %u (RFC 7323 §2.3).", i == 0 ? "client" : "server",
				 x->syn_wscale, TN_WSCALE_MAX, TN_WSCALE_MAX);
		u += k > 0 ? (size_t)k : 0;
	}
}

static void window_scale(const struct tn_compare_side *c, const struct tn_compare_side *s,
			 unsigned step, uint64_t n, struct tn_comparison *out)
{
	char clamped[256];
	if (!(c->syn_opts & s->syn_opts & TN_CMP_OPT_WSCALE)) {
		add(out, "window_scale", step, n, "Window scaling was offered by the %s only, so "
		    "neither side scales: windows stay under 64 KiB.",
		    (c->syn_opts & TN_CMP_OPT_WSCALE) ? "client" : "server");
		return;
	}
	clamped_shifts(c, s, clamped, sizeof clamped);
	add(out, "window_scale", step, n, "Window scaling is on (client shift %u, server %u): window "
	    "fields are multiplied by 2^shift, so more than 64 KiB can be in flight on a fast or "
	    "long path.%s", shift_used(c), shift_used(s), clamped);
}

static void options(const struct tn_compare_conn *cc, int cl, struct tn_comparison *out)
{
	const struct tn_compare_side *c = &cc->side[cl], *s = &cc->side[!cl];
	uint8_t any = c->syn_opts | s->syn_opts;
	unsigned step = 1;
	uint64_t n = cc->step_n[1] ? cc->step_n[1] : cc->step_n[2];
	if (any & TN_CMP_OPT_MSS) {
		char cm[32], sm[32];
		mss_words(c, cm, sizeof cm);
		mss_words(s, sm, sizeof sm);
		add(out, "mss_option", step, n, "The SYNs carry a maximum segment size (client %s, "
		    "server %s): each side says how large a segment it will take, so the "
		    "other never sends one that has to be fragmented. The textbook leaves "
		    "options out.", cm, sm);
	}
	both_sides_options(c, s, step, n, out);
	if (any & TN_CMP_OPT_WSCALE)
		window_scale(c, s, step, n, out);
	if (any & TN_CMP_OPT_TFO)
		add(out, "fast_open", step, n, "TCP Fast Open: the SYN carries a cookie (or asks "
		    "for one), so a returning client can send its request in the SYN itself.");
}

static void round_trips(const struct tn_compare_conn *cc, int cl, struct tn_comparison *out)
{
	const struct tn_compare_side *c = &cc->side[cl];
	out->ms_before_request = out->ms_before_response = out->handshake_ms = -1;
	out->rtts_before_request = out->rtts_before_response = -1;
	if (!cc->step_n[1])
		return;
	if (cc->hs_done_ns)
		out->handshake_ms = (double)(cc->hs_done_ns - cc->syn_ns) / 1e6;
	if (c->first_app_n) {
		out->rtts_before_request = (int)cc->flights_before_request;
		out->ms_before_request = (double)(c->first_app_ns - cc->syn_ns) / 1e6;
	}
	int64_t resp_ns = cc->response_ns;
	if (c->first_app_n && resp_ns) {
		out->rtts_before_response = out->rtts_before_request + 1;
		out->ms_before_response = (double)(resp_ns - cc->syn_ns) / 1e6;
	}
}

/* Steps 1 to 3: how the connection opened, or failed to. */
static void opening(const struct tn_compare_conn *cc, const struct tn_conn_report *rep,
		    struct tn_comparison *out)
{
	const struct tn_track_conn *conn = rep->conn;
	int cl = rep->client;
	const struct tn_compare_side *c = &cc->side[cl], *s = &cc->side[!cl];
	if (conn->roles_inferred || (!cc->step_n[1] && !cc->step_n[2]))
		add(out, "joined_mid_connection", 1, 0, "The capture starts inside this connection: "
		    "without its handshake, its options and the time it took cannot be compared.");
	options(cc, cl, out);
	if (c->syns > 1)
		add(out, "syn_retransmitted", 1, cc->step_n[1], "The client sent its SYN %u times: "
		    "the first went unanswered, and the handshake waited a retransmission timeout "
		    "(1 s on Linux) for it.", c->syns);
	if (s->syns > 1)
		add(out, "synack_retransmitted", 2, cc->step_n[2], "The server sent its SYN-ACK %u "
		    "times: the client's ACK was slow or lost.", s->syns);
	if (cc->greeting_n)
		add(out, "server_spoke_first", 4, cc->greeting_n, "The server sent data before the "
		    "client asked for anything: a greeting, as SMTP, FTP and SSH servers send. It is "
		    "not a response; the response is what the server sent after the request.");
	if (cc->fast_open_refused)
		add(out, "fast_open_refused", 2, cc->step_n[2], "The client's SYN carried %u bytes of "
		    "data (TCP Fast Open), but the SYN-ACK acknowledged only the SYN: the server "
		    "refused the data (no valid cookie, or Fast Open off), so the client sent it again "
		    "after the handshake and the round trip Fast Open saves was paid after all.",
		    cc->syn_data);
	if (rep->how == TN_END_REFUSED)
		add(out, "refused", 2, 0, "The SYN was answered with a reset: nothing was listening "
		    "on the server's port (or a firewall answered for it). The connection never "
		    "opened.");
	else if (rep->how == TN_END_HALF_OPEN)
		add(out, "handshake_incomplete", 3, 0, "The handshake never completed.");
	if (cc->handshake_ack_carries_data)
		add(out, "handshake_ack_with_data", 3, cc->step_n[3], "The handshake's last ACK was "
		    "not sent on its own: it rode on the client's first data segment.");
}

/* Steps 4 to 7: the request, the response and their acknowledgements. */
static void exchange(const struct tn_compare_conn *cc, const struct tn_conn_report *rep,
		     struct tn_comparison *out)
{
	int cl = rep->client;
	const struct tn_compare_side *c = &cc->side[cl], *s = &cc->side[!cl];
	if (c->tls) {
		unsigned records = c->tls_handshake_records + s->tls_handshake_records;
		int rtts = out->rtts_before_request;
		char when[64] = "no request byte was captured";
		if (rtts >= 0)
			snprintf(when, sizeof when, "the first request byte left after %d round trip%s",
				 rtts, rtts == 1 ? "" : "s");
		add(out, "tls", 4, c->first_data_n, "TLS: before the request, client and server "
		    "exchange a TLS handshake (%u handshake record%s), and the request itself is "
		    "encrypted. Each handshake flight costs a round trip: %s, where the plain "
		    "textbook request needs one.", records, records == 1 ? "" : "s", when);
	} else if (out->rtts_before_request > 1) {
		add(out, "extra_round_trips", 4, c->first_app_n, "The first request byte left after "
		    "%d round trips instead of one.", out->rtts_before_request);
	}
	if (c->requests > 1 && cc->next_request_n)
		add(out, "several_requests", 4, cc->step_n[4], "%u requests travelled on this one "
		    "connection (HTTP keep-alive): the handshake was paid once for all of them. "
		    "Steps 4 to 7 are the first request and its answer; the next request began at "
		    "#%u, and the server sent %llu bytes in all.", c->requests, cc->next_request_n,
		    (unsigned long long)s->app_bytes);
	else if (c->requests > 1)
		add(out, "several_requests", 4, cc->step_n[4], "%u requests travelled on this one "
		    "connection, sent one after another before any answer (HTTP pipelining): the "
		    "handshake was paid once for all of them.", c->requests);
	/* Joined mid-stream, the request may be before the capture: nothing to say of it. */
	bool joined = rep->conn->roles_inferred || (!cc->step_n[1] && !cc->step_n[2]);
	if (!c->first_data_n && rep->how != TN_END_REFUSED && !joined)
		add(out, "no_request", 4, 0, "The client sent no data.");
	if (cc->step_n[4] && cc->step_n[6] && !cc->step_n[5])
		add(out, "ack_piggybacked", 5, cc->step_n[6], "The server sent no ACK of its own for "
		    "the request: the acknowledgement rode on the first response segment.");
	if (cc->response_segs > 1) {
		unsigned mss = c->syn_mss ? c->syn_mss : 536;
		add(out, "response_split", 6, cc->step_n[6], "The %sresponse took %u segments "
		    "(%llu bytes). Anything longer than the client's maximum segment size (%u byte%s) "
		    "is cut into several segments.", cc->next_request_n ? "first " : "",
		    cc->response_segs, (unsigned long long)cc->response_bytes, mss,
		    mss == 1 ? "" : "s");
	}
	if (c->coalesced_acks || s->coalesced_acks)
		add(out, "coalesced_acks", 7, cc->step_n[7], "One ACK covered several segments "
		    "(%u time%s by the client, %u by the server): receivers acknowledge every second "
		    "full segment, or after a short delay (delayed ACK), not each one at once.",
		    c->coalesced_acks, c->coalesced_acks == 1 ? "" : "s", s->coalesced_acks);
	/* Attributed to the side that sent them again: the request's step, or the response's. */
	if (c->retransmits)
		add(out, "retransmissions", 4, c->first_retransmit_n, "The client sent %u data "
		    "segment%s again, the first in #%u: something it sent was lost or delayed, and "
		    "it waited for a timeout or a fast retransmit before the request could go on.",
		    c->retransmits, c->retransmits == 1 ? "" : "s", c->first_retransmit_n);
	if (s->retransmits)
		add(out, "retransmissions", 6, s->first_retransmit_n, "The server sent %u data "
		    "segment%s again, the first in #%u: something it sent was lost or delayed, and "
		    "it waited for a timeout or a fast retransmit.", s->retransmits,
		    s->retransmits == 1 ? "" : "s", s->first_retransmit_n);
}

/* Steps 8 to 11: the close. */
static void closing(const struct tn_compare_conn *cc, const struct tn_conn_report *rep,
		    struct tn_comparison *out)
{
	const struct tn_track_conn *conn = rep->conn;
	int cl = rep->client;
	if (rep->how == TN_END_RST)
		add(out, "rst_instead_of_fin", 8, 0, "The connection ended with a reset from the %s "
		    "instead of the FIN exchange: any data still in flight was thrown away, and "
		    "nobody keeps TIME-WAIT.", tn_role_name(conn->rst_by, cl));
	else if (rep->how == TN_END_OPEN && cc->fin_first < 0)
		add(out, "still_open", 8, 0, "The capture ends before the connection closes.");
	if (cc->fin_first >= 0 && cc->fin_first != cl)
		add(out, "server_closed_first", 8, cc->step_n[8], "The server closed first (as "
		    "HTTP/1.0 servers and 'Connection: close' do), so it is the server that keeps "
		    "TIME-WAIT, one entry per connection it served.");
	for (int i = 0; i < 2; i++) {
		const struct tn_compare_side *x = &cc->side[i];
		if (x->fin_with_data)
			add(out, "fin_with_data", i == cl ? 8 : 10, x->fin_n, "The %s's FIN rode on its "
			    "last data segment.", tn_role_name(i, cl));
		if (x->fin_acks_peer_fin)
			add(out, "three_segment_close", 10, x->fin_n, "The %s's FIN also acknowledged the "
			    "other FIN: the close took three segments, not four.", tn_role_name(i, cl));
	}
}

void tn_compare_finish(const struct tn_compare_conn *cc, const struct tn_conn_report *rep,
		       struct tn_comparison *out)
{
	memset(out, 0, sizeof *out);
	out->conn = rep->conn->id;
	memcpy(out->step_n, cc->step_n, sizeof out->step_n);
	step_senders(cc, rep->client, out);
	round_trips(cc, rep->client, out);
	opening(cc, rep, out);
	exchange(cc, rep, out);
	closing(cc, rep, out);
	out->matches = out->n_diff == 0;
}
