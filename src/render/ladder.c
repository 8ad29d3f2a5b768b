/*
 * ladder.c — --ladder: each connection as a ladder diagram in the terminal.
 *
 * The picture textbooks draw of a TCP connection: the client's column on the
 * left, the server's on the right, one arrow per segment in the direction it
 * travelled, labelled with its flags, relative sequence and acknowledgement
 * numbers and length; each side's RFC 9293 state written beside its column
 * on the row where it changes; the time since the first packet on the left.
 * What the analysis found of a segment (a retransmission, a lost segment, a
 * duplicate ACK, a zero window, ...) colours its arrow and is said in words on
 * the line under it, so it reads the same without colour.
 *
 * Rows are drawn as segments arrive (a live capture draws as it goes) and
 * nothing is kept but a little per connection, in a table of LADDER_CONNS
 * entries (the least recently drawn forgotten first, and counted). Several
 * connections in one capture are drawn in capture order, interleaved as they
 * happened: each time the picture moves to another connection, a header line
 * says which one and names its ends (--conn N draws one connection alone).
 *
 * Two segments cross in flight when one side sends before the other side's
 * last segment could have reached it: its acknowledgement does not cover that
 * segment (or it carries none). Such an arrow starts dotted on its sender's
 * side, and its note says which segment it crossed.
 *
 * Every line fits the width (80 columns unless the terminal or --width gives
 * more): the middle grows with it, up to MID_MAX, and longer labels and notes
 * are cut or wrapped. Box drawing in UTF-8, or ASCII with --ascii or a
 * locale that is not UTF-8 (then prose is spelled in ASCII, ascii.c, before it
 * is measured).
 */
#define _POSIX_C_SOURCE 200809L
#include "renderer.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <tcpnarrate/seq.h>

#define LADDER_CONNS 64          /* connections whose last rows are remembered */
#define LADDER_MIN_W 64
#define LADDER_MAX_W 400
#define LADDER_DEFAULT_W 80
#define MID_MAX 72               /* the middle stops growing here: arrows stay readable */
#define MID_WIDE 56              /* from here the labels have room for the window */
#define TIME_W 10                /* "999.999999" */
#define STATE_W 13               /* "SYN-RECEIVED" and its mark */
#define SIDE_W (TIME_W + 1 + STATE_W + 1)   /* everything left of the client's column */
#define GAP_NS 500000000LL       /* a pause this long (0.5 s) is drawn as a gap */
#define NO_STATE 0xff

#define S_RESET "\033[0m"
#define S_HEAD "\033[1m"
#define S_DIM "\033[2m"
#define S_WARN "\033[33m"

/* The characters a ladder is drawn with. */
struct glyphs {
	const char *col, *gap_col, *shaft, *lead, *right, *left, *note, *gap, *cut, *top, *bottom;
	const char *rule, *cross, *step;
};

static const struct glyphs unicode_glyphs = {
	.col = "│", .gap_col = "┆", .shaft = "─", .lead = "╌", .right = "▶", .left = "◀",
	.note = "↳", .gap = "⋯", .cut = "…", .top = "┌", .bottom = "└", .rule = "─",
	.cross = "⤫", .step = "≈",
};

static const struct glyphs ascii_glyphs = {
	.col = "|", .gap_col = ":", .shaft = "-", .lead = ".", .right = ">", .left = "<",
	.note = "`-", .gap = "...", .cut = "~", .top = "+", .bottom = "+", .rule = "-",
	.cross = "x", .step = "~",
};

/* What is remembered of one side of a connection between its rows. */
struct side_mem {
	uint8_t shown;          /* state last written beside its column, NO_STATE for none */
	bool corrected;         /* a correction came: the next state written is marked */
	uint64_t last_n;        /* its last segment */
	uint64_t space_n;       /* its last segment that took sequence space, 0 for none */
	uint32_t space_start;   /* relative: that segment's first sequence number */
	uint32_t space_end;     /* ... and one past its last */
	int64_t space_ns;       /* ... and when it passed the capture point */
	int64_t leg_ns;         /* round trip from the capture point to this side, -1 unknown */
};

struct conn_mem {
	uint64_t id;            /* 0: the entry is free */
	uint64_t used;          /* when it was last drawn, in rows */
	int64_t syn_ns, synack_ns;  /* the handshake, to time the two legs; -1 before */
	struct side_mem role[2];
};

struct ladder_state {
	FILE *ascii;            /* --ascii: the stream opts.out was replaced with */
	const struct glyphs *g;
	int width, mid;         /* columns in all, and between the two columns */
	bool reference;
	bool drew;              /* something is on the screen: blank lines separate blocks */
	uint64_t last_conn;     /* connection of the last row drawn, 0 after a block */
	int64_t last_ns;        /* time of the last row */
	bool any_row;
	int64_t first_abs_ns;   /* capture time of the run's first packet (state events) */
	bool first_abs_set;
	uint64_t rows;
	uint64_t forgotten;     /* connections whose entry was taken for another */
	/*
	 * A correction comes just before the segment that proves it: kept until
	 * that segment's connection heading is drawn, then written above it.
	 */
	uint64_t pending_conn;  /* 0: none */
	char pending[TN_NOTE_LEN + 200];
	struct conn_mem conn[LADDER_CONNS];
};

static struct ladder_state *state_of(struct tn_renderer *r)
{
	return r->state;
}

static void sty(struct tn_renderer *r, const char *s)
{
	if (r->opts.color)
		fputs(s, r->opts.out);
}

/* Columns a UTF-8 string takes: each character one (every glyph used here is narrow). */
static int dwidth(const char *s)
{
	int w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static void put_n(FILE *o, const char *glyph, int n)
{
	for (int i = 0; i < n; i++)
		fputs(glyph, o);
}

/* At most max columns of s; returns the columns written. */
static int put_cut(FILE *o, const char *s, int max)
{
	int w = 0;
	const char *p = s;
	while (*p) {
		const char *q = p + 1;
		while (((unsigned char)*q & 0xc0) == 0x80)
			q++;
		if (w + 1 > max)
			break;
		fwrite(p, 1, (size_t)(q - p), o);
		w++;
		p = q;
	}
	return w;
}

/* Prose for a note: as it is, or spelled in ASCII first so its width is known. */
static void prose(struct tn_renderer *r, const char *in, char *out, size_t len)
{
	if (r->opts.ascii)
		tn_render_ascii_spell(in, out, len);
	else
		snprintf(out, len, "%s", in);
}

/*
 * The next line of at most width columns from *p, broken at a space when
 * there is one; false when the text is used up.
 */
static bool next_line(const char **p, int width, char *out, size_t len)
{
	const char *s = *p, *brk = NULL, *q = s;
	while (*s == ' ')
		s++;
	if (!*s)
		return false;
	int w = 0;
	for (q = s; *q && w < width; w++) {
		if (*q == ' ')
			brk = q;
		q++;
		while (((unsigned char)*q & 0xc0) == 0x80)
			q++;
	}
	if (*q && *q != ' ' && brk)
		q = brk;
	size_t n = (size_t)(q - s) < len - 1 ? (size_t)(q - s) : len - 1;
	memcpy(out, s, n);
	out[n] = '\0';
	*p = q;
	return true;
}

/* Text across the width, wrapped, each line indented (and lines after the first two more). */
static void block(struct tn_renderer *r, int indent, const char *style, const char *text)
{
	char buf[1024], line[512];
	prose(r, text, buf, sizeof buf);
	const char *p = buf;
	int ind = indent;
	while (next_line(&p, state_of(r)->width - ind, line, sizeof line)) {
		fprintf(r->opts.out, "%*s", ind, "");
		sty(r, style);
		fputs(line, r->opts.out);
		sty(r, style[0] ? S_RESET : "");
		fputc('\n', r->opts.out);
		ind = indent + 2;
	}
}

/*
 * "0.000123", "12.345678", "1234.567", "-2.147e+09": seconds since the first
 * packet (negative when the capture's clock ran back), in TIME_W columns.
 */
static void fmt_time(int64_t ns, char *buf, size_t len)
{
	double s = (double)ns / 1e9;
	if (s < 1000 && s > -100)
		snprintf(buf, len, "%.6f", s);
	else if (s < 1e6 && s > -1e5)
		snprintf(buf, len, "%.3f", s);
	else if (s < 1e9 && s > -1e8)
		snprintf(buf, len, "%.0f", s);
	else
		snprintf(buf, len, "%.3e", s);
}

/* What left of the client's column: time, then the client's state against its column. */
static void left_part(struct tn_renderer *r, const char *time, const char *cstate)
{
	fprintf(r->opts.out, "%*s %*s ", TIME_W, time, STATE_W, cstate);
}

/* A line with both columns and text in the middle (centred), no arrow. */
static void middle_line(struct tn_renderer *r, const char *time, const char *cstate,
			const char *col, const char *text, const char *style, const char *sstate)
{
	struct ladder_state *st = state_of(r);
	FILE *o = r->opts.out;
	left_part(r, time, cstate);
	fputs(col, o);
	int w = dwidth(text) < st->mid ? dwidth(text) : st->mid;
	int pad = (st->mid - w) / 2;
	fprintf(o, "%*s", pad, "");
	sty(r, style);
	put_cut(o, text, w);
	sty(r, style[0] ? S_RESET : "");
	fprintf(o, "%*s", st->mid - w - pad, "");
	fputs(col, o);
	if (sstate[0])
		fprintf(o, " %s", sstate);
	fputc('\n', o);
}

/* A note under an arrow, wrapped inside the middle: "↳ retransmission of #5". */
static void note_lines(struct tn_renderer *r, const char *style, const char *text)
{
	struct ladder_state *st = state_of(r);
	FILE *o = r->opts.out;
	char buf[1024], line[512];
	prose(r, text, buf, sizeof buf);
	const char *p = buf;
	int lead = dwidth(st->g->note) + 2;   /* " ↳ " */
	bool first = true;
	while (next_line(&p, st->mid - lead - 1, line, sizeof line)) {
		left_part(r, "", "");
		if (first)
			fprintf(o, "%s %s ", st->g->col, st->g->note);
		else
			fprintf(o, "%s %*s ", st->g->col, dwidth(st->g->note), "");
		sty(r, style);
		int w = put_cut(o, line, st->mid - lead);
		sty(r, style[0] ? S_RESET : "");
		fprintf(o, "%*s%s\n", st->mid - lead - w, "", st->g->col);
		first = false;
	}
}

/* The remembered entry of connection id, taken (from the least recently drawn) when it has none. */
static struct conn_mem *conn_mem(struct ladder_state *st, uint64_t id)
{
	struct conn_mem *free_e = NULL, *old = &st->conn[0];
	for (size_t i = 0; i < LADDER_CONNS; i++) {
		struct conn_mem *c = &st->conn[i];
		if (c->id == id) {
			c->used = ++st->rows;
			return c;
		}
		if (!c->id && !free_e)
			free_e = c;
		if (c->used < old->used)
			old = c;
	}
	struct conn_mem *c = free_e ? free_e : old;
	if (!free_e)
		st->forgotten++;
	memset(c, 0, sizeof *c);
	c->id = id;
	c->used = ++st->rows;
	c->role[0].shown = c->role[1].shown = NO_STATE;
	c->syn_ns = c->synack_ns = -1;
	c->role[0].leg_ns = c->role[1].leg_ns = -1;
	return c;
}

/* "┌─ connection 2: client 10.0.0.1:43210, server 10.0.0.2:80 ──", then the column heads. */
static void conn_header(struct tn_renderer *r, uint64_t id, const struct tn_endpoint ep[2],
			bool again)
{
	struct ladder_state *st = state_of(r);
	FILE *o = r->opts.out;
	char c[TN_ENDPOINT_STRLEN], s[TN_ENDPOINT_STRLEN], line[256];
	tn_endpoint_format(&ep[TN_ROLE_CLIENT], c, sizeof c);
	tn_endpoint_format(&ep[TN_ROLE_SERVER], s, sizeof s);
	snprintf(line, sizeof line, " connection %" PRIu64 "%s: client %s, server %s ", id,
		 again ? " (again)" : "", c, s);
	if (st->drew)
		fputc('\n', o);
	sty(r, S_HEAD);
	fprintf(o, "%s%s", st->g->top, st->g->rule);
	int w = 2 + put_cut(o, line, st->width - 2);
	put_n(o, st->g->rule, st->width - w > 4 ? 4 : 0);
	sty(r, S_RESET);
	fputc('\n', o);
	sty(r, S_DIM);
	fprintf(o, "%*s %*s %s%*s%s %s", TIME_W, "seconds", STATE_W, "client", st->g->col, st->mid,
		"", st->g->col, "server");
	sty(r, S_RESET);
	fputc('\n', o);
	st->drew = true;
}

static void role_endpoints(const struct tn_segment *seg, struct tn_endpoint ep[2])
{
	tn_key_endpoint(seg->key, seg->track.client, &ep[TN_ROLE_CLIENT]);
	tn_key_endpoint(seg->key, !seg->track.client, &ep[TN_ROLE_SERVER]);
}

/* "ESTABLISHED", "SYN-RECEIVED?" (not yet proven by the side itself), "CLOSED*" (corrected). */
static void state_slot(struct side_mem *m, uint8_t after, bool confirmed, char *buf, size_t len)
{
	buf[0] = '\0';
	if (after == m->shown && !m->corrected)
		return;
	snprintf(buf, len, "%s%s", tn_state_name((enum tn_state)after),
		 m->corrected ? "*" : confirmed ? "" : "?");
	m->shown = after;
	m->corrected = false;
}

/*
 * SYN, FIN, RST, PSH, ACK, then the rest: the order people say them in
 * ("SYN,ACK"). Short: ACK left out when "ack=" says it (not beside SYN).
 */
static void flag_words(uint16_t flags, bool shorter, char *buf, size_t len)
{
	static const uint16_t order[] = { TN_TH_SYN, TN_TH_FIN, TN_TH_RST, TN_TH_PSH, TN_TH_ACK,
					  TN_TH_URG, TN_TH_ECE, TN_TH_CWR, TN_TH_AE, 0 };
	size_t u = 0;
	buf[0] = '\0';
	for (size_t i = 0; order[i] && u + 1 < len; i++) {
		if (!(flags & order[i]))
			continue;
		if (shorter && order[i] == TN_TH_ACK && !(flags & TN_TH_SYN))
			continue;
		int n = snprintf(buf + u, len - u, "%s%s", u ? "," : "", tn_flag_name(order[i]));
		if (n < 0)
			return;
		u += (size_t)n;
	}
	if (!u && !shorter)
		snprintf(buf, len, "no flags");
}

/* Label room in an arrow: the middle less the head, a space and a shaft glyph each side. */
static int label_room(const struct ladder_state *st)
{
	return st->mid - 1 - 2 - 2;
}

/* Appends to a label what fmt makes, if the label then still fits in room columns. */
static void add_if_fits(char *buf, size_t len, int room, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add_if_fits(char *buf, size_t len, int room, const char *fmt, ...)
{
	char more[96];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(more, sizeof more, fmt, ap);
	va_end(ap);
	size_t u = strlen(buf);
	if (dwidth(buf) + dwidth(more) <= room && u + strlen(more) < len)
		memcpy(buf + u, more, strlen(more) + 1);
}

/*
 * "#4 PSH,ACK seq=1 ack=1 len=77", and a zero window. Shorter (to fit 80
 * columns): ACK goes unsaid beside "ack=", and a segment with no data, SYN
 * or FIN goes without its sequence number.
 */
static void arrow_label(const struct tn_segment *seg, bool shorter, char *buf, size_t len)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	char fl[64];
	flag_words(t->flags, shorter, fl, sizeof fl);
	bool no_space = !seg->pkt->payload_len && !(t->flags & (TN_TH_SYN | TN_TH_FIN));
	int u = snprintf(buf, len, "#%" PRIu64 "%s%s", seg->frame->n, fl[0] ? " " : "", fl);
	if (u >= 0 && (size_t)u < len && !(shorter && no_space))
		u += snprintf(buf + u, len - (size_t)u, " seq=%" PRIu32, seg->track.rel_seq);
	if (u >= 0 && (size_t)u < len && (t->flags & TN_TH_ACK))
		u += snprintf(buf + u, len - (size_t)u, " ack=%" PRIu32, seg->track.rel_ack);
	if (u >= 0 && (size_t)u < len && seg->pkt->payload_len)
		u += snprintf(buf + u, len - (size_t)u, " len=%" PRIu32, seg->pkt->payload_len);
	if (u >= 0 && (size_t)u < len && t->window == 0 && !(t->flags & TN_TH_RST))
		snprintf(buf + u, len - (size_t)u, " win=0");
}

/*
 * The label that fits: the full one, with the newest SACK block when there
 * is one (a loss is read from them), else the shorter, else without the
 * block; then as many more blocks as fit, and the window when the arrow is
 * wide (MID_WIDE columns) and it fits. What still does not fit is cut.
 */
static void compose_label(const struct ladder_state *st, const struct tn_segment *seg, char *buf,
			  size_t len)
{
	const struct tn_track_view *v = &seg->track;
	int room = label_room(st);
	unsigned n_sack = v->n_sack < TN_MAX_SACK_BLOCKS ? v->n_sack : TN_MAX_SACK_BLOCKS;
	for (int attempt = 0; attempt < 4; attempt++) {
		bool with_sack = attempt < 2 && n_sack;
		arrow_label(seg, attempt & 1, buf, len);
		if (with_sack)
			add_if_fits(buf, len, INT32_MAX, " sack=%" PRIu32 "-%" PRIu32,
				    v->sack_rel_left[0], v->sack_rel_right[0]);
		if (dwidth(buf) <= room) {
			for (unsigned i = 1; with_sack && i < n_sack; i++)
				add_if_fits(buf, len, room, ",%" PRIu32 "-%" PRIu32,
					    v->sack_rel_left[i], v->sack_rel_right[i]);
			break;
		}
	}
	if (st->mid >= MID_WIDE && seg->pkt->tcp.window != 0)
		add_if_fits(buf, len, room, " win=%" PRIu64,
			    v->window_known ? v->window_scaled : seg->pkt->tcp.window);
}

/* The worst verdict's colour, or "" when it has none worth one. */
static const char *arrow_style(const struct tn_segment *seg)
{
	const char *worst = "";
	for (unsigned i = 0; i < seg->n_verdicts; i++) {
		if (!tn_render_verdict_shown(seg, i))
			continue;
		const char *s = tn_render_verdict_style((enum tn_verdict_kind)seg->verdict[i].kind);
		if (!worst[0] || strcmp(s, "\033[1;31m") == 0)
			worst = s;
	}
	return worst;
}

/*
 * One arrow, exactly mid columns: the head at the receiver's column, the
 * label in the middle, the shaft dotted on the sender's side when it crossed
 * a segment in flight.
 */
static void put_arrow(struct tn_renderer *r, bool rightward, bool crossed, const char *label)
{
	struct ladder_state *st = state_of(r);
	const struct glyphs *g = st->g;
	FILE *o = r->opts.out;
	int room = label_room(st);
	int lw = dwidth(label) <= room ? dwidth(label) : room - dwidth(g->cut);
	bool cut = lw < dwidth(label);
	int shaft = st->mid - 1 - (lw + (cut ? dwidth(g->cut) : 0) + 2);
	int before = shaft / 2, after = shaft - before;
	if (!rightward)
		fputs(g->left, o);
	put_n(o, rightward && crossed ? g->lead : g->shaft, before);
	fputc(' ', o);
	put_cut(o, label, lw);
	if (cut)
		fputs(g->cut, o);
	fputc(' ', o);
	put_n(o, !rightward && crossed ? g->lead : g->shaft, after);
	if (rightward)
		fputs(g->right, o);
}

static void segment_row(struct tn_renderer *r, const struct tn_segment *seg, struct conn_mem *cm,
			bool crossed)
{
	struct ladder_state *st = state_of(r);
	const struct tn_track_view *v = &seg->track;
	FILE *o = r->opts.out;
	char time[32], cs[32], ss[32], label[160];
	int cl = v->client, sv = !v->client;
	fmt_time(seg->rel_ns, time, sizeof time);
	state_slot(&cm->role[TN_ROLE_CLIENT], v->after[cl], v->confirmed[cl], cs, sizeof cs);
	state_slot(&cm->role[TN_ROLE_SERVER], v->after[sv], v->confirmed[sv], ss, sizeof ss);
	compose_label(st, seg, label, sizeof label);
	left_part(r, time, cs);
	fputs(st->g->col, o);
	const char *style = arrow_style(seg);
	sty(r, style);
	put_arrow(r, v->side == cl, crossed, label);
	sty(r, style[0] ? S_RESET : "");
	fputs(st->g->col, o);
	if (ss[0])
		fprintf(o, " %s", ss);
	fputc('\n', o);
}

/* "retransmission of #5 · duplicate ACK #2 of #7": each verdict, in words, with its frame. */
static void verdict_words(const struct tn_segment *seg, char *buf, size_t len)
{
	size_t u = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < seg->n_verdicts && u + 1 < len; i++) {
		if (!tn_render_verdict_shown(seg, i))
			continue;
		const struct tn_verdict *v = &seg->verdict[i];
		int n = snprintf(buf + u, len - u, "%s%s", u ? " · " : "",
				 tn_verdict_name((enum tn_verdict_kind)v->kind));
		if (n > 0 && (size_t)n < len - u && v->kind == TN_V_DUPLICATE_ACK && v->num)
			n += snprintf(buf + u + (size_t)n, len - u - (size_t)n, " %" PRIu32, v->num);
		if (n > 0 && (size_t)n < len - u && v->ref_n &&
		    (tn_verdict_is_retransmission((enum tn_verdict_kind)v->kind) ||
		     v->kind == TN_V_DUPLICATE_ACK))
			n += snprintf(buf + u + (size_t)n, len - u - (size_t)n, " of #%" PRIu64,
				      v->ref_n);
		if (n > 0 && (size_t)n < len - u && v->gap == TN_GAP_RESENT && v->gap_n)
			n += snprintf(buf + u + (size_t)n, len - u - (size_t)n, ", fills the gap "
				      "seen at #%" PRIu64, v->gap_n);
		if (n < 0 || (size_t)n >= len - u)
			return;
		u += (size_t)n;
	}
}

/*
 * "≈ textbook step 8, client FIN, here the server's": the steps of the
 * textbook this segment plays, and who plays it when that is the other side
 * (a server that closes first plays the client's close).
 */
static void step_words(const struct ladder_state *st, uint16_t steps, int sender, char *buf,
		       size_t len)
{
	size_t u = 0;
	buf[0] = '\0';
	for (unsigned s = 1; s <= TN_COMPARE_STEPS && u + 1 < len; s++) {
		if (!(steps & (1u << s)))
			continue;
		int n = u ? snprintf(buf + u, len - u, "; step %u, %s", s, tn_compare_step_name(s))
			  : snprintf(buf, len, "%s textbook step %u, %s", st->g->step, s,
				     tn_compare_step_name(s));
		if (n > 0 && (size_t)n < len - u && tn_compare_step_role(s) != sender)
			n += snprintf(buf + u + (size_t)n, len - u - (size_t)n, ", here the %s's",
				      tn_role_key((enum tn_role)sender));
		if (n < 0 || (size_t)n >= len - u)
			return;
		u += (size_t)n;
	}
}

/* The lines under an arrow: verdicts, a crossing, the reference's step, the textbook's step. */
static void segment_notes(struct tn_renderer *r, const struct tn_segment *seg, uint64_t crossed)
{
	struct ladder_state *st = state_of(r);
	char buf[TN_NOTE_LEN + 64];
	verdict_words(seg, buf, sizeof buf);
	if (buf[0])
		note_lines(r, arrow_style(seg), buf);
	if (crossed) {
		snprintf(buf, sizeof buf, "%s crossed #%" PRIu64 " in flight", st->g->cross, crossed);
		note_lines(r, S_DIM, buf);
	}
	if (r->opts.detail == TN_DETAIL_VERBOSE && seg->note[0])
		note_lines(r, "", seg->note);
	if (seg->step && seg->n_ideas) {
		snprintf(buf, sizeof buf, "step %u: %s", seg->step, seg->ideas[0].title);
		note_lines(r, S_DIM, buf);
	}
	if (seg->cmp_steps) {
		int sender = seg->track.side == seg->track.client ? TN_ROLE_CLIENT : TN_ROLE_SERVER;
		step_words(st, seg->cmp_steps, sender, buf, sizeof buf);
		note_lines(r, S_DIM, buf);
	}
	if (seg->pkt->tcp.checksum_status == TN_CSUM_BAD)
		note_lines(r, "\033[1;31m", "bad checksum");
	if (seg->pkt->problem != TN_PROB_NONE) {
		snprintf(buf, sizeof buf, "%s: %s (byte %u of the frame)",
			 seg->pkt->problem == TN_PROB_CUT ? "cut short" : "malformed",
			 seg->pkt->problem_text, seg->pkt->problem_offset);
		note_lines(r, seg->pkt->problem == TN_PROB_CUT ? S_WARN : "\033[1;31m", buf);
	}
}

/*
 * Did this segment cross the peer's last one in flight, that is, leave its
 * sender before that one could have reached it? Only when the peer's last
 * segment that took sequence space came after this side's previous one, and
 * this one does not acknowledge it (or acknowledges nothing). When the
 * handshake timed the leg between the capture point and this side, it must
 * also have passed the capture point less than that round trip after the
 * peer's: a segment reaching this side takes half the leg after the capture
 * point, one leaving it half the leg before. An ACK that stops short of the
 * peer's segment (a hole before it), a duplicate ACK, or an ACK with SACK
 * blocks answers data that did arrive: it is held back by a hole, not by
 * time. Returns the frame it crossed, or 0.
 */
static uint64_t crossing(const struct tn_segment *seg, const struct conn_mem *cm, int me)
{
	const struct side_mem *peer = &cm->role[!me];
	const struct tn_tcp *t = &seg->pkt->tcp;
	uint32_t ack = seg->track.rel_ack;
	if (!peer->space_n || peer->space_n < cm->role[me].last_n || (t->flags & TN_TH_RST))
		return 0;
	if (tn_segment_verdict(seg, TN_V_DUPLICATE_ACK) || seg->track.n_sack)
		return 0;
	if ((t->flags & TN_TH_ACK) &&
	    (!tn_seq_lt(ack, peer->space_end) || tn_seq_lt(ack, peer->space_start)))
		return 0;
	int64_t leg = cm->role[me].leg_ns;
	if (leg >= 0 && seg->rel_ns - peer->space_ns >= leg)
		return 0;
	return peer->space_n;
}

/* The handshake's legs: SYN to SYN-ACK is the server's round trip, SYN-ACK to ACK the client's. */
static void time_legs(struct conn_mem *cm, int me, const struct tn_segment *seg)
{
	uint16_t fl = seg->pkt->tcp.flags;
	bool syn = fl & TN_TH_SYN, ack = fl & TN_TH_ACK;
	if (syn && !ack && me == TN_ROLE_CLIENT) {
		cm->syn_ns = seg->rel_ns;
	} else if (syn && ack && me == TN_ROLE_SERVER && cm->syn_ns >= 0) {
		cm->synack_ns = seg->rel_ns;
		cm->role[TN_ROLE_SERVER].leg_ns = seg->rel_ns - cm->syn_ns;
	} else if (!syn && ack && me == TN_ROLE_CLIENT && cm->synack_ns >= 0 &&
		   cm->role[TN_ROLE_CLIENT].leg_ns < 0) {
		cm->role[TN_ROLE_CLIENT].leg_ns = seg->rel_ns - cm->synack_ns;
	}
}

/* Remembers what the next segments are judged against: this one's frame and sequence space. */
static void remember(struct conn_mem *cm, int me, const struct tn_segment *seg)
{
	struct side_mem *m = &cm->role[me];
	const struct tn_tcp *t = &seg->pkt->tcp;
	m->last_n = seg->frame->n;
	uint32_t space = seg->pkt->payload_len + ((t->flags & TN_TH_SYN) ? 1u : 0u) +
			 ((t->flags & TN_TH_FIN) ? 1u : 0u);
	if (!space || (t->flags & TN_TH_RST) || seg->keep_alive_data ||
	    tn_segment_verdict(seg, TN_V_ZERO_WINDOW_PROBE) ||
	    tn_segment_verdict(seg, TN_V_KEEP_ALIVE))
		return;   /* nothing the peer must acknowledge at once */
	m->space_n = seg->frame->n;
	m->space_start = seg->track.rel_seq;
	m->space_end = seg->track.rel_seq + space;
	m->space_ns = seg->rel_ns;
}

/* "0.749 s", "2 min 5 s", "20 h 22 min": a pause, as precisely as it matters. */
static void fmt_pause(int64_t ns, char *buf, size_t len)
{
	int64_t sec = ns / 1000000000;
	if (sec < 60)
		snprintf(buf, len, "%.3f s", (double)ns / 1e9);
	else if (sec < 3600)
		snprintf(buf, len, "%" PRId64 " min %" PRId64 " s", sec / 60, sec % 60);
	else
		snprintf(buf, len, "%" PRId64 " h %" PRId64 " min", sec / 3600, sec % 3600 / 60);
}

/* A pause of GAP_NS or more since the last row: drawn as a gap with its length. */
static void gap_line(struct tn_renderer *r, int64_t now_ns)
{
	struct ladder_state *st = state_of(r);
	if (!st->any_row || now_ns - st->last_ns < GAP_NS)
		return;
	char text[64], len[32];
	fmt_pause(now_ns - st->last_ns, len, sizeof len);
	snprintf(text, sizeof text, "%s %s later %s", st->g->gap, len, st->g->gap);
	middle_line(r, "", "", st->g->gap_col, text, S_DIM, "");
}

/* Writes the correction kept for the connection just headed, if any. */
static void flush_correction(struct tn_renderer *r)
{
	struct ladder_state *st = state_of(r);
	if (!st->pending_conn)
		return;
	block(r, 2, S_WARN, st->pending);
	st->pending_conn = 0;
}

/* The states both sides start in, on a row of their own (LISTEN, inferred, for a server). */
static void opening_row(struct tn_renderer *r, const struct tn_segment *seg, struct conn_mem *cm)
{
	const struct tn_track_view *v = &seg->track;
	char cs[32], ss[32];
	int cl = v->client, sv = !v->client;
	state_slot(&cm->role[TN_ROLE_CLIENT], v->before[cl], true, cs, sizeof cs);
	state_slot(&cm->role[TN_ROLE_SERVER], v->before[sv], true, ss, sizeof ss);
	middle_line(r, "", cs, state_of(r)->g->col, "", "", ss);
}

static void ladder_segment(struct tn_renderer *r, const struct tn_segment *seg)
{
	struct ladder_state *st = state_of(r);
	if (!st->first_abs_set) {
		st->first_abs_ns = tn_frame_ns(seg->frame) - seg->rel_ns;
		st->first_abs_set = true;
	}
	struct conn_mem *cm = conn_mem(st, seg->track.conn);
	int me = seg->track.side == seg->track.client ? TN_ROLE_CLIENT : TN_ROLE_SERVER;
	bool fresh = !cm->role[0].last_n && !cm->role[1].last_n;
	if (st->last_conn != seg->track.conn) {
		struct tn_endpoint ep[2];
		role_endpoints(seg, ep);
		conn_header(r, seg->track.conn, ep, !fresh);
		cm->role[0].shown = cm->role[1].shown = NO_STATE;
		st->last_conn = seg->track.conn;
	}
	gap_line(r, seg->rel_ns);
	flush_correction(r);
	if (fresh && seg->track.new_conn)
		opening_row(r, seg, cm);
	uint64_t crossed = crossing(seg, cm, me);
	segment_row(r, seg, cm, crossed != 0);
	segment_notes(r, seg, crossed);
	remember(cm, me, seg);
	time_legs(cm, me, seg);
	st->last_ns = seg->rel_ns;
	st->any_row = true;
}

/* TIME-WAIT ran out: CLOSED beside the side's column, on a row of its own. */
static void ladder_state_event(struct tn_renderer *r, const struct tn_state_event *ev)
{
	struct ladder_state *st = state_of(r);
	struct conn_mem *cm = conn_mem(st, ev->conn);
	int64_t rel = (int64_t)ev->ts_sec * 1000000000 + ev->ts_nsec - st->first_abs_ns;
	char time[32], cs[32] = "", ss[32] = "";
	if (st->last_conn != ev->conn) {
		conn_header(r, ev->conn, ev->ep, true);
		cm->role[0].shown = cm->role[1].shown = NO_STATE;
		st->last_conn = ev->conn;
	}
	gap_line(r, rel);
	fmt_time(rel, time, sizeof time);
	if (ev->expired[TN_ROLE_CLIENT])
		state_slot(&cm->role[TN_ROLE_CLIENT], TN_ST_CLOSED, true, cs, sizeof cs);
	if (ev->expired[TN_ROLE_SERVER])
		state_slot(&cm->role[TN_ROLE_SERVER], TN_ST_CLOSED, true, ss, sizeof ss);
	middle_line(r, time, cs, st->g->col, "TIME-WAIT over: 2×MSL passed", S_DIM, ss);
	st->last_ns = rel;
	st->any_row = true;
}

/*
 * A state written earlier was wrong: said in words above the segment that
 * proves it, and the next state written for that side is marked '*'.
 */
static void ladder_correction(struct tn_renderer *r, const struct tn_correction *c)
{
	struct ladder_state *st = state_of(r);
	struct conn_mem *cm = conn_mem(st, c->conn);
	int role = c->role == TN_ROLE_SERVER ? TN_ROLE_SERVER : TN_ROLE_CLIENT;
	cm->role[role].corrected = true;
	flush_correction(r);   /* one before it had no segment: not expected, but not lost */
	snprintf(st->pending, sizeof st->pending, "* correction: the %s was %s, not %s, from #%"
		 PRIu64 " until #%" PRIu64 ": %s.", tn_role_key((enum tn_role)role),
		 tn_state_name(c->held), tn_state_name(c->shown), c->from_n, c->to_n,
		 tn_corr_text(c->why));
	st->pending_conn = c->conn;
}

/* What the side got wrong, if anything: "client: 2 retransmissions, 1 duplicate ACK". */
static size_t trouble(char *buf, size_t len, const char *who, const struct tn_analysis_counts *n)
{
	const struct { uint32_t v; const char *one, *many; } t[] = {
		{ n->retransmissions, "retransmission", "retransmissions" },
		{ n->lost, "lost segment", "lost segments" },
		{ n->out_of_order, "out-of-order segment", "out-of-order segments" },
		{ n->dup_acks, "duplicate ACK", "duplicate ACKs" },
		{ n->zw_probes, "zero window probe", "zero window probes" },
	};
	size_t u = 0;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (!t[i].v || u + 1 >= len)
			continue;
		int k = snprintf(buf + u, len - u, "%s%" PRIu32 " %s", u ? ", " : who, t[i].v,
				 t[i].v == 1 ? t[i].one : t[i].many);
		if (k < 0)
			break;
		u += (size_t)k < len - u ? (size_t)k : len - u - 1;
	}
	return u;
}

static void comparison_lines(struct tn_renderer *r, const struct tn_comparison *cmp)
{
	char buf[512];
	if (cmp->matches) {
		block(r, 2, "", "against the textbook: the textbook shape, step for step");
		return;
	}
	snprintf(buf, sizeof buf, "against the textbook: %zu difference%s", cmp->n_diff,
		 cmp->n_diff == 1 ? "" : "s");
	block(r, 2, S_HEAD, buf);
	for (size_t i = 0; i < cmp->n_diff; i++) {
		const struct tn_difference *d = &cmp->diff[i];
		char where[48] = "";
		if (d->n)
			snprintf(where, sizeof where, ", #%" PRIu64, d->n);
		snprintf(buf, sizeof buf, "step %u%s, %s: %s", d->step, where, d->kind,
			 d->explanation);
		block(r, 4, "", buf);
	}
}

/*
 * The handshake's two legs from the capture point, which the crossings are
 * judged by, and where that puts the capture (tn_capture_point).
 */
static void legs_line(struct tn_renderer *r, const struct tn_conn_view *cv)
{
	static const struct { const char *key, *text; } where[] = {
		{ "client", "taken near the client" },
		{ "server", "taken near the server" },
		{ "between", "taken between the two" },
		{ NULL, "where it was taken cannot be told" },
	};
	char buf[256];
	if (!cv->legs_known)
		return;
	size_t i = 0;
	while (where[i].key && strcmp(where[i].key, cv->capture_point) != 0)
		i++;
	snprintf(buf, sizeof buf, "handshake: %.3f ms to the server and back, %.3f ms to the "
		 "client and back, from the capture point (%s)", (double)cv->leg_server_ns / 1e6,
		 (double)cv->leg_client_ns / 1e6, where[i].text);
	block(r, 2, "", buf);
}

/* The connection's end, under its ladder: how it ended, how long, what went wrong. */
static void ladder_connection(struct tn_renderer *r, const struct tn_conn_view *cv,
			      const struct tn_comparison *cmp)
{
	struct ladder_state *st = state_of(r);
	char buf[640];
	int u = snprintf(buf, sizeof buf, "%s connection %" PRIu64 ": %s, %.3f s, client %" PRIu64
			 " segment%s, server %" PRIu64, st->g->bottom, cv->id, tn_end_text(cv->how),
			 cv->duration, cv->segments[TN_ROLE_CLIENT],
			 cv->segments[TN_ROLE_CLIENT] == 1 ? "" : "s", cv->segments[TN_ROLE_SERVER]);
	for (int role = 0; role < 2 && u > 0 && (size_t)u < sizeof buf; role++) {
		char who[16];
		snprintf(who, sizeof who, "; %s: ", tn_role_key((enum tn_role)role));
		u += (int)trouble(buf + u, sizeof buf - (size_t)u, who, &cv->count[role]);
	}
	if (st->last_conn != cv->id)
		fputc('\n', r->opts.out);
	block(r, 0, S_HEAD, buf);
	legs_line(r, cv);
	if (cmp)
		comparison_lines(r, cmp);
	for (size_t i = 0; i < LADDER_CONNS; i++)
		if (st->conn[i].id == cv->id)
			st->conn[i].id = 0;   /* the connection is over */
	st->last_conn = 0;
}

static void ladder_begin(struct tn_renderer *r, const struct tn_run_info *run)
{
	struct ladder_state *st = state_of(r);
	char buf[512];
	st->reference = run->reference;
	if (run->reference)
		snprintf(buf, sizeof buf, "The textbook connection: curl fetching a 200-byte page");
	else
		snprintf(buf, sizeof buf, "%s (%s)", run->source ? run->source : "capture",
			 run->linktype_name ? run->linktype_name : "unknown link type");
	block(r, 0, S_HEAD, buf);
	snprintf(buf, sizeof buf, "time in seconds since the first packet; state? = not yet shown "
		 "by that side's own segments; state* = corrected; an arrow dotted (%s) on its "
		 "sender's side crossed the other side's last segment in flight", st->g->lead);
	block(r, 0, S_DIM, buf);
	st->drew = true;
}

static void ladder_end(struct tn_renderer *r, const struct tn_summary *sum)
{
	struct ladder_state *st = state_of(r);
	char buf[512];
	uint64_t skipped = 0;
	for (int i = 1; i < TN_DEC_RESULT_COUNT; i++)
		skipped += sum->skipped[i];
	int u = snprintf(buf, sizeof buf, "%" PRIu64 " packet%s read, %" PRIu64 " TCP segment%s "
			 "drawn, %" PRIu64 " skipped, %" PRIu64 " connection%s", sum->packets,
			 sum->packets == 1 ? "" : "s", sum->segments, sum->segments == 1 ? "" : "s",
			 skipped, sum->connections, sum->connections == 1 ? "" : "s");
	if (u > 0 && (size_t)u < sizeof buf && sum->filtered)
		u += snprintf(buf + u, sizeof buf - (size_t)u, "; %" PRIu64 " did not match the "
			      "filter", sum->filtered);
	if (u > 0 && (size_t)u < sizeof buf && st->forgotten)
		snprintf(buf + u, sizeof buf - (size_t)u, "; %" PRIu64 " time%s more than %d "
			 "connections were drawn at once (the states beside the columns start afresh)",
			 st->forgotten, st->forgotten == 1 ? "" : "s", LADDER_CONNS);
	flush_correction(r);
	fputc('\n', r->opts.out);
	block(r, 0, S_HEAD, buf);
	if (sum->error) {
		snprintf(buf, sizeof buf, "the file is damaged: %s", sum->error);
		block(r, 2, "\033[1;31m", buf);
	}
}

static int ladder_init(struct tn_renderer *r, char *errbuf, size_t errlen)
{
	struct ladder_state *st = state_of(r);
	int w = r->opts.width ? r->opts.width : LADDER_DEFAULT_W;
	st->width = w < LADDER_MIN_W ? LADDER_MIN_W : w > LADDER_MAX_W ? LADDER_MAX_W : w;
	st->mid = st->width - (SIDE_W + 2 + 1 + STATE_W);
	if (st->mid > MID_MAX)
		st->mid = MID_MAX;
	st->g = r->opts.ascii ? &ascii_glyphs : &unicode_glyphs;
	if (tn_render_ascii_out(r, &st->ascii, errbuf, errlen) < 0)
		return -1;
	return 0;
}

static void ladder_finish(struct tn_renderer *r)
{
	struct ladder_state *st = state_of(r);
	if (st->ascii)
		fclose(st->ascii);
	st->ascii = NULL;
}

const struct tn_render_ops tn_render_ladder_ops = {
	.name = "ladder",
	.state_size = sizeof(struct ladder_state),
	.init = ladder_init,
	.begin = ladder_begin,
	.segment = ladder_segment,
	.state = ladder_state_event,
	.correction = ladder_correction,
	.connection = ladder_connection,
	.end = ladder_end,
	.finish = ladder_finish,
};
