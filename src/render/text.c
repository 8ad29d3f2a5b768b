/*
 * text.c — the human narration.
 *
 * Three levels: quiet (one line a segment, close to tcpdump but with
 * relative numbers and flag names), normal (every IP and TCP field on its
 * own labelled row, with its value and what it says here) and verbose (each
 * row followed by what the field is for, from the glossary). Colour is
 * applied only through sty(), so without colour the output is plain text.
 *
 * --summary prints a line per connection report (text_summary.c) and the
 * run's summary. --problems prints the segments with a verdict, each after
 * the quiet line of the segment before it on its connection (marked "…"),
 * which is written for every segment into a memory stream and kept in the
 * bounded table of focus.c until the next one comes.
 */
#define _POSIX_C_SOURCE 200809L
#include "focus.h"
#include "renderer.h"
#include "strbuf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define S_RESET "\033[0m"
#define S_HEAD "\033[1m"
#define S_DIM "\033[2m"
#define S_FLAG "\033[1;33m"
#define S_GOOD "\033[32m"
#define S_BAD "\033[1;31m"
#define S_WARN "\033[33m"
#define S_NOTE "\033[36m"

#define LABEL_W 24
#define WRAP_W 96
#define OUT_BUF 65536

/* What the text renderer remembers between calls. */
struct text_state {
	bool first_line_done;      /* something was printed: blank lines separate what follows */
	FILE *ascii;               /* --ascii: the stream opts.out was replaced with (ascii.c) */
	/* --problems only: */
	struct tn_focus_table *focus; /* each connection's last segment, as a quiet line */
	FILE *scratch;             /* a memory stream the quiet line is written to */
	char *scratch_buf;         /* its buffer, owned by the stream until it is closed */
	size_t scratch_len;
	uint64_t last_conn;        /* connection of the last problem shown */
	/*
	 * Everything is built here and written to opts.out once per call of the
	 * renderer (a segment's breakdown is twenty-odd rows: a stdio call for
	 * each piece cost more than the formatting). Empty between calls.
	 */
	struct tn_sb ob;
	char obuf[OUT_BUF];
	/*
	 * The addresses formatted last: a connection's segments name the same
	 * two, and formatting an IPv6 address costs more than the rest of a -q
	 * line's numbers. Replaced in turn.
	 */
	struct addr_memo {
		uint8_t family;    /* 0: empty */
		uint8_t bytes[16];
		char text[TN_ADDR_STRLEN];
	} addr_memo[4];
	unsigned addr_next;
};

static struct text_state *state_of(struct tn_renderer *r)
{
	return r->state;
}

/* The packet's source or destination address as tn_addr_str() writes it, from the memo when there. */
static const char *addr_text_of(struct tn_renderer *r, const struct tn_packet *pkt, bool src)
{
	struct text_state *st = state_of(r);
	uint8_t fam = pkt->ip_version;
	const uint8_t *a = fam == 4 ? (src ? pkt->ip4.src : pkt->ip4.dst)
				    : (src ? pkt->ip6.src : pkt->ip6.dst);
	size_t n = fam == 4 ? 4 : 16;
	for (unsigned i = 0; i < 4; i++) {
		struct addr_memo *m = &st->addr_memo[i];
		if (m->family == fam && fam && memcmp(m->bytes, a, n) == 0)
			return m->text;
	}
	struct addr_memo *m = &st->addr_memo[st->addr_next++ % 4];
	m->family = fam;
	memcpy(m->bytes, a, n);
	tn_addr_str(pkt, src, m->text, sizeof m->text);
	return m->text;
}

/* "addr:port", or "[addr]:port" for IPv6, as tn_endpoint_str writes it. */
static void endpoint(struct tn_sb *o, const struct tn_packet *pkt, const char *addr,
		     uint16_t port)
{
	if (pkt->ip_version == 6)
		tn_sb_chr(o, '[');
	tn_sb_str(o, addr);
	if (pkt->ip_version == 6)
		tn_sb_chr(o, ']');
	tn_sb_chr(o, ':');
	tn_sb_uint(o, port);
}

/* The output buffer, writing to opts.out (which --problems swaps for its scratch stream). */
static struct tn_sb *ob(struct tn_renderer *r)
{
	struct text_state *st = state_of(r);
	st->ob.out = r->opts.out;
	return &st->ob;
}

static void flush(struct tn_renderer *r)
{
	tn_sb_flush(ob(r));
}

/* "" or "s": the ending a noun takes after the count n. */
static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

static void sty(struct tn_renderer *r, const char *s)
{
	if (r->opts.color)
		tn_sb_str(ob(r), s);
}

/*
 * Text that continues a line already holding `used` columns, wrapped at
 * WRAP_W; continuation lines are indented by `indent` spaces. Each line's
 * text is in `style` ("" for none), ended before its newline, so that no
 * colour runs on into the next line.
 */
static void wrapped_after_in(struct tn_renderer *r, int used, int indent, const char *style,
			     const char *text)
{
	struct tn_sb *o = ob(r);
	const char *p = text;
	int width = WRAP_W - used;
	while (*p) {
		size_t take = strlen(p);
		if ((int)take > width) {
			take = (size_t)width;
			while (take > 0 && p[take] != ' ')
				take--;
			if (take == 0)
				take = (size_t)width;
		}
		sty(r, style);
		tn_sb_mem(o, p, take);
		sty(r, *style ? S_RESET : "");
		tn_sb_chr(o, '\n');
		p += take;
		while (*p == ' ')
			p++;
		if (*p)
			tn_sb_rep(o, ' ', (size_t)indent);
		width = WRAP_W - indent;
	}
}

/* The same, without colour. */
static void wrapped_after(struct tn_renderer *r, int used, int indent, const char *text)
{
	wrapped_after_in(r, used, indent, "", text);
}

/* Prints text wrapped at WRAP_W, each line indented by `indent` spaces, in `style`. */
static void wrapped_in(struct tn_renderer *r, int indent, const char *style, const char *text)
{
	if (!*text)
		return;
	tn_sb_rep(ob(r), ' ', (size_t)indent);
	wrapped_after_in(r, indent, indent, style, text);
}

/* The same, without colour. */
static void wrapped(struct tn_renderer *r, int indent, const char *text)
{
	wrapped_in(r, indent, "", text);
}

/*
 * A labelled row built in the output buffer: row_start writes the indent and
 * the label, the caller appends the value, row_end ends the line (verbose
 * adds `meaning`, what the field is for, under it).
 */
static struct tn_sb *row_start(struct tn_renderer *r, const char *label)
{
	struct tn_sb *o = ob(r);
	tn_sb_str(o, "    ");
	sty(r, S_DIM);
	tn_sb_pad(o, label, LABEL_W);
	sty(r, S_RESET);
	return o;
}

static void row_end(struct tn_renderer *r, const char *meaning)
{
	tn_sb_chr(ob(r), '\n');
	if (r->opts.detail >= TN_DETAIL_VERBOSE && meaning)
		wrapped_in(r, 6, S_DIM, meaning);
}

/* The same for field f: its label from the glossary unless `label` is given, its meaning. */
static struct tn_sb *frow(struct tn_renderer *r, enum tn_field f, const char *label)
{
	return row_start(r, label ? label : tn_glossary_label(f));
}

static void fend(struct tn_renderer *r, enum tn_field f)
{
	row_end(r, (int)f >= 0 ? tn_glossary_meaning(f) : NULL);
}

/* A row for field f printf-style, for the rarer rows. */
static void row(struct tn_renderer *r, enum tn_field f, const char *label, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void row(struct tn_renderer *r, enum tn_field f, const char *label, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tn_sb_vprintf(frow(r, f, label), fmt, ap);
	va_end(ap);
	fend(r, f);
}

/* A style into a line being built, when colour is on. */
static void sb_sty(struct tn_renderer *r, struct tn_sb *b, const char *s)
{
	if (r->opts.color)
		tn_sb_str(b, s);
}

static void section(struct tn_renderer *r, const char *title)
{
	tn_sb_str(ob(r), "  ");
	sty(r, S_HEAD);
	tn_sb_str(ob(r), title);
	sty(r, S_RESET);
	tn_sb_chr(ob(r), '\n');
}

static void csum_text(struct tn_renderer *r, struct tn_sb *b, enum tn_csum c)
{
	switch (c) {
	case TN_CSUM_OK:
		sb_sty(r, b, S_GOOD);
		tn_sb_str(b, "correct");
		sb_sty(r, b, S_RESET);
		break;
	case TN_CSUM_BAD:
		sb_sty(r, b, S_BAD);
		tn_sb_str(b, "BAD: the data was damaged or altered on the way");
		sb_sty(r, b, S_RESET);
		break;
	case TN_CSUM_OFFLOAD:
		sb_sty(r, b, S_WARN);
		tn_sb_str(b, "not verifiable: checksum offload; the sender left it to be filled in after "
			  "the capture point: a NIC with offload fills it in on the way out; a virtual "
			  "device such as veth never does, and the receiver trusts it");
		sb_sty(r, b, S_RESET);
		break;
	default:
		tn_sb_str(b, "not verified: not every byte it covers was captured");
	}
}

static void flags_str(uint16_t flags, char *buf, size_t len)
{
	struct tn_sb b;
	tn_sb_init(&b, buf, len);
	for (size_t i = 0; tn_flag_order[i]; i++) {
		if (!(flags & tn_flag_order[i]))
			continue;
		if (b.n)
			tn_sb_chr(&b, ' ');
		tn_sb_str(&b, tn_flag_name(tn_flag_order[i]));
	}
	if (!b.n)
		tn_sb_str(&b, "none");
}


/* The short form of one option, for quiet lines and the option rows. */
/* SACK blocks in relative numbers; *sack_i walks the view's blocks across options. */
static void sack_value(const struct tn_tcp_option *o, const struct tn_track_view *v,
		       unsigned *sack_i, struct tn_sb *b)
{
	for (unsigned k = 0; k < o->u.sack.count && *sack_i < v->n_sack; k++, (*sack_i)++) {
		if (k)
			tn_sb_str(b, ", ");
		tn_sb_uint(b, v->sack_rel_left[*sack_i]);
		tn_sb_chr(b, '-');
		tn_sb_uint(b, v->sack_rel_right[*sack_i]);
	}
}

/* Fast Open (kind 34, or an experimental kind carrying its magic), or another experiment. */
static void fastopen_value(const struct tn_tcp_option *o, struct tn_sb *b)
{
	if (o->kind != TN_OPT_FASTOPEN && !o->u.tfo.experimental) {
		tn_sb_printf(b, "experiment 0x%04x, %u bytes", o->exid, o->len);
	} else if (o->u.tfo.len == 0) {
		tn_sb_str(b, "cookie request");
	} else {
		tn_sb_str(b, "cookie ");
		for (unsigned i = 0; i < o->u.tfo.len && b->n + 3 < b->cap; i++)
			tn_sb_hex_w(b, o->u.tfo.bytes[i], 2);
	}
}

/* Options whose value is always the same words: the quiet line's and the option row's. */
static const struct fixed_option {
	uint8_t kind;
	const char *compact, *value;
} fixed_option[] = {
	{ TN_OPT_EOL, "eol", "the rest of the option space is padding" },
	{ TN_OPT_NOP, "nop", "padding" },
	{ TN_OPT_SACK_PERM, "sackOK", "yes" },
	{ 0, NULL, NULL },
};

static const struct fixed_option *fixed_words(uint8_t kind)
{
	for (const struct fixed_option *f = fixed_option; f->compact; f++)
		if (f->kind == kind)
			return f;
	return NULL;
}

/* The options seen less often, in words. */
static void rare_option_value(const struct tn_tcp_option *o, struct tn_sb *b)
{
	switch (o->kind) {
	case TN_OPT_MPTCP:
		tn_sb_printf(b, "%s, %u bytes", tn_mptcp_subtype_name(o->u.mptcp.subtype), o->len);
		break;
	case TN_OPT_AO:
		tn_sb_printf(b, "key %u, next key %u, %u bytes", o->u.ao.keyid, o->u.ao.rnextkeyid,
			     o->len);
		break;
	case TN_OPT_MD5:
		tn_sb_str(b, "16-byte signature");
		break;
	case TN_OPT_UTO:
		tn_sb_printf(b, "%u %s%s", o->u.uto.timeout, o->u.uto.minutes ? "minute" : "second",
			     plural(o->u.uto.timeout));
		break;
	default:
		if (fixed_words(o->kind))
			tn_sb_str(b, fixed_words(o->kind)->value);
		else
			tn_sb_printf(b, "kind %u, %u bytes", o->kind, o->len);
	}
}

static void option_value(const struct tn_tcp_option *o, const struct tn_track_view *v, unsigned *sack_i,
			 struct tn_sb *b)
{
	switch (o->kind) {
	case TN_OPT_MSS:
		tn_sb_uint(b, o->u.mss);
		tn_sb_str(b, o->u.mss == 1 ? " byte" : " bytes");
		break;
	case TN_OPT_WSCALE:
		if (o->u.shift > TN_WSCALE_MAX)
			tn_sb_printf(b, "shift %u, over the maximum of %u: taken as %u (windows × %u)",
				     o->u.shift, TN_WSCALE_MAX, TN_WSCALE_MAX, 1u << TN_WSCALE_MAX);
		else
			tn_sb_printf(b, "shift %u (windows × %u)", o->u.shift, 1u << o->u.shift);
		break;
	case TN_OPT_TIMESTAMP:
		tn_sb_str(b, "TSval ");
		tn_sb_uint(b, o->u.ts.val);
		tn_sb_str(b, " TSecr ");
		tn_sb_uint(b, o->u.ts.ecr);
		break;
	case TN_OPT_SACK:
		sack_value(o, v, sack_i, b);
		break;
	case TN_OPT_FASTOPEN:
	case TN_OPT_EXP1:
	case TN_OPT_EXP2:
		fastopen_value(o, b);
		break;
	default:
		rare_option_value(o, b);
	}
}

/* The compact form of SACK and of the rarer options: their value, cut as a quiet line cuts it. */
static void option_compact_other(const struct tn_tcp_option *o, const struct tn_track_view *v,
				 unsigned *sack_i, struct tn_sb *b)
{
	char val[112];
	struct tn_sb vb;
	tn_sb_init(&vb, val, sizeof val);
	option_value(o, v, sack_i, &vb);
	if (o->kind == TN_OPT_SACK) {
		tn_sb_str(b, "sack ");
	} else {
		tn_sb_str(b, tn_tcpopt_name(o));
		if (vb.n)
			tn_sb_chr(b, ' ');
	}
	tn_sb_mem(b, val, vb.n);
}

/* The terse form for quiet lines: "mss 1460", "wscale 7", "ts 123/0", "sack 1-100". */
static void option_compact(const struct tn_tcp_option *o, const struct tn_track_view *v,
			   unsigned *sack_i, struct tn_sb *b)
{
	switch (o->kind) {
	case TN_OPT_MSS:
		tn_sb_str(b, "mss ");
		tn_sb_uint(b, o->u.mss);
		break;
	case TN_OPT_WSCALE:
		tn_sb_str(b, "wscale ");
		tn_sb_uint(b, o->u.shift);
		tn_sb_str(b, o->u.shift > TN_WSCALE_MAX ? " (taken as 14)" : "");
		break;
	case TN_OPT_TIMESTAMP:
		tn_sb_str(b, "ts ");
		tn_sb_uint(b, o->u.ts.val);
		tn_sb_chr(b, '/');
		tn_sb_uint(b, o->u.ts.ecr);
		break;
	default:
		if (fixed_words(o->kind))
			tn_sb_str(b, fixed_words(o->kind)->compact);
		else
			option_compact_other(o, v, sack_i, b);
	}
}

static const char *option_label(const struct tn_tcp_option *o)
{
	switch (o->kind) {
	case TN_OPT_EOL: return "end of options";
	case TN_OPT_NOP: return "no-operation";
	case TN_OPT_MSS: return "MSS";
	case TN_OPT_WSCALE: return "window scale";
	case TN_OPT_SACK_PERM: return "SACK permitted";
	case TN_OPT_SACK: return "SACK";
	case TN_OPT_TIMESTAMP: return "timestamps";
	case TN_OPT_MD5: return "MD5 signature";
	case TN_OPT_UTO: return "user timeout";
	case TN_OPT_AO: return "TCP-AO";
	case TN_OPT_MPTCP: return "MPTCP";
	case TN_OPT_FASTOPEN: return "Fast Open";
	case TN_OPT_ACCECN0: case TN_OPT_ACCECN1: return "AccECN";
	case TN_OPT_EXP1: case TN_OPT_EXP2:
		return o->u.tfo.experimental ? "Fast Open (exp.)" : "experimental";
	default: return "unknown option";
	}
}

static void preview(const struct tn_packet *pkt, char *buf, size_t len, bool *more)
{
	size_t shown = tn_escape_preview(pkt->payload, pkt->payload_captured, TN_PREVIEW_BYTES,
					 buf, len);
	*more = shown < pkt->payload_len;
}

static void problem_line(struct tn_renderer *r, const struct tn_packet *pkt)
{
	if (pkt->problem == TN_PROB_NONE)
		return;
	struct tn_sb *o = ob(r);
	sty(r, pkt->problem == TN_PROB_CUT ? S_WARN : S_BAD);
	tn_sb_str(o, pkt->problem == TN_PROB_CUT ? "  ! cut short: " : "  ! malformed: ");
	tn_sb_str(o, pkt->problem_text);
	tn_sb_str(o, " (byte ");
	tn_sb_uint(o, pkt->problem_offset);
	tn_sb_str(o, " of the frame)");
	sty(r, S_RESET);
	tn_sb_chr(o, '\n');
}

static void snaplen_line(struct tn_renderer *r, const struct tn_frame *f, bool numbered)
{
	sty(r, S_BAD);
	if (numbered)
		tn_sb_printf(ob(r), "#%" PRIu64 " (not TCP)", f->n);
	tn_sb_printf(ob(r), "  ! inconsistent file: the record claims %u captured byte%s, more than "
		"the file's snapshot length; only the first %u %s used", f->file_caplen,
		plural(f->file_caplen), f->caplen, f->caplen == 1 ? "is" : "are");
	sty(r, S_RESET);
	tn_sb_chr(ob(r), '\n');
}

/* One line per verdict under the segment's sentence, with its evidence. */
static void verdict_lines(struct tn_renderer *r, const struct tn_segment *seg)
{
	char buf[TN_NOTE_LEN];
	for (unsigned i = 0; i < seg->n_verdicts; i++) {
		if (!tn_render_verdict_shown(seg, i))
			continue;
		const struct tn_verdict *v = &seg->verdict[i];
		tn_verdict_explain(v, buf, sizeof buf);
		sty(r, tn_render_verdict_style(v->kind));
		const char *name = tn_verdict_name(v->kind);
		int used = 5 + (int)strlen(name);
		tn_sb_str(ob(r), "  ! ");
		tn_sb_str(ob(r), name);
		tn_sb_chr(ob(r), ':');
		sty(r, S_RESET);
		tn_sb_chr(ob(r), ' ');
		wrapped_after(r, used + 1, 4, buf);
	}
}

/* "  ~ text", wrapped with continuation lines under the text. */
static void tilde_line(struct tn_renderer *r, const char *text)
{
	tn_sb_str(ob(r), "  ~ ");
	wrapped_after(r, 4, 4, text);
}

/* What the timing says of a segment, when it is worth a line: silence, an answer, a full window. */
static void timing_lines(struct tn_renderer *r, const struct tn_segment *seg)
{
	const struct tn_seg_timing *t = &seg->timing;
	char buf[320];
	struct tn_sb b;
	tn_sb_init(&b, buf, sizeof buf);
	if (t->idle_ns) {
		tn_sb_str(&b, "after ");
		tn_sb_fixed(&b, (double)t->idle_ns / 1e9, 3);
		tn_sb_str(&b, " s of silence on this connection");
		tilde_line(r, buf);
	}
	if (t->request_n) {
		tn_sb_init(&b, buf, sizeof buf);
		tn_sb_str(&b, "answers the request in #");
		tn_sb_uint(&b, t->request_n);
		tn_sb_str(&b, " after ");
		tn_sb_fixed(&b, (double)t->response_ns / 1e6, 3);
		tn_sb_str(&b, " ms: ");
		tn_sb_fixed(&b, (double)t->response_net_ns / 1e6, 3);
		tn_sb_str(&b, " ms for the network's round trip, ");
		tn_sb_fixed(&b, (double)(t->response_ns - t->response_net_ns) / 1e6, 3);
		tn_sb_str(&b, " ms at the server");
		tilde_line(r, buf);
	}
	if (t->rwnd_limited) {
		snprintf(buf, sizeof buf, "%u byte%s now in flight, the whole %u-byte window the "
			 "receiver offered: the sender must wait for it", t->in_flight,
			 plural(t->in_flight), t->peer_window);
		tilde_line(r, buf);
	}
	if (seg->tw_cut.side >= 0) {
		const struct tn_tw_cut *c = &seg->tw_cut;
		snprintf(buf, sizeof buf, "the %s still held TIME-WAIT for the last connection on these "
			 "ports, cut short after %.3f s of %.0f: a host takes such a SYN only when its "
			 "initial sequence number is above the last one used (RFC 9293 §3.10.7.4) or its "
			 "timestamp is newer (RFC 6191); this ISN is %s", tn_role_name(c->side,
			 seg->track.client), (double)c->after_ns / 1e9, (double)c->full_ns / 1e9,
			 c->isn_above ? "above it" : "not above it, so only a newer timestamp allows it");
		tilde_line(r, buf);
	}
	if (t->oversize_mss) {
		snprintf(buf, sizeof buf, "%u byte%s in one segment, more than the %u-byte MSS the "
			 "receiver announced: not an error; captured on an end host, the sender's NIC "
			 "cuts it up (TSO/GSO), or the receiver's merged what arrived (GRO)",
			 seg->pkt->payload_len, plural(seg->pkt->payload_len), t->oversize_mss);
		tilde_line(r, buf);
	}
}

/* The end of a quiet line: state changes, client first, and the verdicts. */
/* The layers the segment was carried in, outermost first, when there are any. */
static void encap_rows(struct tn_renderer *r, const struct tn_packet *pkt)
{
	if (!pkt->n_encap)
		return;
	section(r, "Carried in (outermost first)");
	for (unsigned i = 0; i < pkt->n_encap; i++) {
		char label[16], text[160];
		snprintf(label, sizeof label, "layer %u", i + 1);
		tn_encap_text(&pkt->encap[i], false, text, sizeof text);
		row(r, -1, label, "%s", text);
	}
}

/* -q: the layers in one bracket, " via 192.0.2.1>192.0.2.2 vxlan:42". */
static void encap_compact(struct tn_renderer *r, const struct tn_packet *pkt)
{
	if (!pkt->n_encap)
		return;
	tn_sb_str(ob(r), " via");
	for (unsigned i = 0; i < pkt->n_encap; i++) {
		char text[112];
		tn_encap_text(&pkt->encap[i], true, text, sizeof text);
		if (text[0])
			tn_sb_printf(ob(r), " %s", text);
	}
}

static void quiet_tail(struct tn_renderer *r, const struct tn_segment *seg)
{
	struct tn_sb *o = ob(r);
	const struct tn_track_view *v = &seg->track;
	for (int k = 0; k < 2; k++) {
		int i = k == 0 ? v->client : !v->client;
		if (v->before[i] == v->after[i])
			continue;
		tn_sb_str(o, " · "); /* not printf: a short connection changes state on most segments */
		tn_sb_str(o, tn_role_name(i, v->client));
		tn_sb_chr(o, ' ');
		tn_sb_str(o, tn_state_name(v->before[i]));
		tn_sb_str(o, "→");
		tn_sb_str(o, tn_state_name(v->after[i]));
	}
	for (unsigned i = 0; i < seg->n_verdicts; i++) {
		if (!tn_render_verdict_shown(seg, i))
			continue;
		sty(r, tn_render_verdict_style(seg->verdict[i].kind));
		tn_sb_str(o, " · ");
		tn_sb_str(o, tn_verdict_name(seg->verdict[i].kind));
		sty(r, S_RESET);
	}
}


/* The numbers of a quiet line: sequence range, ACK, window, options. */
static void quiet_numbers(struct tn_sb *b, const struct tn_segment *seg)
{
	const struct tn_packet *pkt = seg->pkt;
	const struct tn_tcp *t = &pkt->tcp;
	uint32_t s = seg->track.rel_seq + ((t->flags & TN_TH_SYN) ? 1u : 0u);
	tn_sb_str(b, " seq ");
	if (pkt->payload_len) {
		tn_sb_uint(b, s);
		tn_sb_chr(b, ':');
		tn_sb_uint(b, (uint32_t)(s + pkt->payload_len));
	} else {
		tn_sb_uint(b, seg->track.rel_seq);
	}
	if (t->flags & TN_TH_ACK) {
		tn_sb_str(b, " ack ");
		tn_sb_uint(b, seg->track.rel_ack);
	}
	tn_sb_str(b, " win ");
	tn_sb_uint(b, t->window);
	if (seg->track.window_known && seg->track.shift) {
		tn_sb_str(b, " (");
		tn_sb_uint(b, seg->track.window_scaled);
		tn_sb_chr(b, ')');
	}
	if (t->n_opts) {
		tn_sb_str(b, " [");
		unsigned sack_i = 0;
		for (unsigned i = 0; i < t->n_opts; i++) {
			char v[128];
			struct tn_sb vb;
			tn_sb_init(&vb, v, sizeof v);
			option_compact(&t->opts[i], &seg->track, &sack_i, &vb);
			if (i)
				tn_sb_str(b, ", ");
			tn_sb_mem(b, v, vb.n);
		}
		tn_sb_str(b, t->opts_malformed ? ", malformed]" : t->opts_cut ? ", cut]" : "]");
	}
}

/*
 * Only the payload is cut short (a snaplen below the frame's size): the
 * quiet line says so in its length, as "len 88 (62 captured)", rather than
 * on a line of its own under every segment of such a capture.
 */
static bool payload_cut(const struct tn_packet *pkt)
{
	return pkt->problem == TN_PROB_CUT && !pkt->tcp.opts_cut &&
	       pkt->payload_captured < pkt->payload_len;
}

/* " len 88" with what the capture holds of it, and a preview of its first bytes. */
static void quiet_payload(struct tn_sb *b, const struct tn_packet *pkt)
{
	tn_sb_str(b, " len ");
	tn_sb_uint(b, pkt->payload_len);
	if (payload_cut(pkt)) {
		tn_sb_str(b, " (");
		tn_sb_uint(b, pkt->payload_captured);
		tn_sb_str(b, " captured)");
	}
	if (pkt->payload_captured) {
		char pv[4 * TN_PREVIEW_BYTES + 1];
		bool more;
		preview(pkt, pv, sizeof pv, &more);
		tn_sb_str(b, " \"");
		tn_sb_str(b, pv);
		tn_sb_str(b, more ? "\"..." : "\"");
	}
}

/*
 * One line per segment (-q). Built in a buffer without printf and written
 * at once: it is the line a big capture prints a million times.
 */
static void quiet_line(struct tn_renderer *r, const struct tn_segment *seg)
{
	struct tn_sb *o = ob(r);
	const struct tn_packet *pkt = seg->pkt;
	const struct tn_tcp *t = &pkt->tcp;
	char line[2048], ts[48], fl[48];
	struct tn_sb b;
	tn_sb_init(&b, line, sizeof line);
	tn_sb_uint(&b, seg->frame->n);
	tn_sb_chr(&b, ' ');
	tn_format_time(seg->frame->ts_sec, seg->frame->ts_nsec, r->opts.ts_digits, false, ts,
		       sizeof ts);
	tn_sb_str(&b, ts);
	tn_sb_chr(&b, ' ');
	tn_sb_str(&b, tn_role_name(seg->track.side, seg->track.client));
	tn_sb_chr(&b, ' ');
	endpoint(&b, pkt, addr_text_of(r, pkt, true), pkt->tcp.sport);
	tn_sb_str(&b, " → ");
	endpoint(&b, pkt, addr_text_of(r, pkt, false), pkt->tcp.dport);
	tn_sb_chr(&b, ' ');
	flags_str(t->flags, fl, sizeof fl);
	sb_sty(r, &b, S_FLAG);
	tn_sb_chr(&b, '[');
	tn_sb_str(&b, fl);
	tn_sb_chr(&b, ']');
	sb_sty(r, &b, S_RESET);
	quiet_numbers(&b, seg);
	quiet_payload(&b, pkt);
	tn_sb_mem(o, line, b.n);
	if (t->checksum_status == TN_CSUM_BAD) {
		sty(r, S_BAD);
		tn_sb_str(o, " (bad checksum)");
		sty(r, S_RESET);
	}
	encap_compact(r, pkt);
	quiet_tail(r, seg);
	if (seg->reasm)
		tn_sb_printf(o, " · from %u fragments%s", seg->reasm->n_frags,
			seg->reasm->overlap_bytes ? ", overlapping" : "");
	tn_sb_chr(o, '\n');
	if (!payload_cut(pkt))
		problem_line(r, pkt);
	if (seg->frame->over_snaplen)
		snaplen_line(r, seg->frame, false);
}

/* "20 bytes (5 words)": a header length. */
static void size_words(struct tn_sb *o, unsigned len)
{
	tn_sb_uint(o, len);
	tn_sb_str(o, " bytes (");
	tn_sb_uint(o, len / 4u);
	tn_sb_str(o, " words)");
}

/* A row holding only a number. */
static void uint_row(struct tn_renderer *r, enum tn_field f, uint64_t v)
{
	tn_sb_uint(frow(r, f, NULL), v);
	fend(r, f);
}

/* "0x0abc": v in hex, at least `width` digits. */
static void hex_value(struct tn_sb *o, uint64_t v, int width)
{
	tn_sb_str(o, "0x");
	tn_sb_hex_w(o, v, width);
}

/* "0x1c2d (correct)" */
static void checksum_row(struct tn_renderer *r, enum tn_field f, uint16_t sum, enum tn_csum c)
{
	struct tn_sb *o = frow(r, f, NULL);
	hex_value(o, sum, 4);
	tn_sb_str(o, " (");
	csum_text(r, o, c);
	tn_sb_chr(o, ')');
	fend(r, f);
}

/* A row "N (name)". */
static void num_named_row(struct tn_renderer *r, enum tn_field f, unsigned v, const char *name)
{
	struct tn_sb *o = frow(r, f, NULL);
	tn_sb_uint(o, v);
	tn_sb_str(o, " (");
	tn_sb_str(o, name);
	tn_sb_chr(o, ')');
	fend(r, f);
}

/* DF, MF and the reserved bit, and the fragment offset. */
static void ipv4_frag_rows(struct tn_renderer *r, const struct tn_ipv4 *ip)
{
	struct tn_sb *o = frow(r, TN_F_IP_FLAGS, NULL);
	const char *sep = "";
	if (ip->df) {
		tn_sb_str(o, "DF (don't fragment)");
		sep = ", ";
	}
	if (ip->mf) {
		tn_sb_str(o, sep);
		tn_sb_str(o, "MF (more fragments follow)");
		sep = ", ";
	}
	if (ip->rf) {
		tn_sb_str(o, sep);
		tn_sb_str(o, "reserved bit set (should be zero)");
		sep = ", ";
	}
	if (!*sep)
		tn_sb_str(o, "none (routers may fragment it)");
	fend(r, TN_F_IP_FLAGS);
	o = frow(r, TN_F_IP_FRAG_OFF, NULL);
	tn_sb_uint(o, ip->frag_off);
	if (ip->mf)
		tn_sb_str(o, " (first fragment: the rest of the segment follows in others)");
	fend(r, TN_F_IP_FRAG_OFF);
}

/* A segment's two addresses, formatted once for its heading and its address rows. */
struct addrs {
	char src[TN_ADDR_STRLEN], dst[TN_ADDR_STRLEN];
};


/* The source and destination address rows. */
static void addr_rows(struct tn_renderer *r, const struct addrs *a)
{
	tn_sb_str(frow(r, TN_F_IP_ADDRS, "source address"), a->src);
	fend(r, TN_F_IP_ADDRS);
	tn_sb_str(frow(r, TN_F_IP_ADDRS, "destination address"), a->dst);
	fend(r, TN_F_IP_ADDRS);
}

/* TTL, protocol, checksum and the addresses. */
static void ipv4_tail_rows(struct tn_renderer *r, const struct tn_packet *pkt,
			   const struct addrs *a)
{
	const struct tn_ipv4 *ip = &pkt->ip4;
	uint_row(r, TN_F_IP_TTL, ip->ttl);
	struct tn_sb *o = frow(r, TN_F_IP_PROTO, NULL);
	tn_sb_uint(o, ip->proto);
	if (ip->ah_len) {
		tn_sb_str(o, " (IPsec AH, ");
		tn_sb_uint(o, ip->ah_len);
		tn_sb_str(o, " bytes, then TCP)");
	} else {
		tn_sb_str(o, " (TCP)");
	}
	fend(r, TN_F_IP_PROTO);
	checksum_row(r, TN_F_IP_CHECKSUM, ip->checksum, ip->checksum_status);
	addr_rows(r, a);
}

static void ipv4_rows(struct tn_renderer *r, const struct tn_packet *pkt, const struct addrs *a)
{
	const struct tn_ipv4 *ip = &pkt->ip4;
	struct tn_sb *o;
	section(r, "IPv4 header");
	uint_row(r, TN_F_IP_VERSION, ip->version);
	o = frow(r, TN_F_IP_HDR_LEN, NULL);
	size_words(o, ip->hdr_len);
	if (ip->hdr_len > 20) {
		tn_sb_str(o, ", ");
		tn_sb_uint(o, ip->hdr_len - 20u);
		tn_sb_str(o, " of them options");
	}
	fend(r, TN_F_IP_HDR_LEN);
	num_named_row(r, TN_F_IP_DSCP, ip->dscp, tn_dscp_name(ip->dscp));
	num_named_row(r, TN_F_IP_ECN, ip->ecn, tn_ecn_name(ip->ecn));
	o = frow(r, TN_F_IP_TOTAL_LEN, NULL);
	if (ip->tso_zero_len) {
		tn_sb_str(o, "0 (left unset by segmentation offload; the frame holds ");
		tn_sb_uint(o, pkt->wirelen - pkt->ip_offset);
		tn_sb_str(o, " bytes of IP)");
	} else {
		tn_sb_uint(o, ip->total_len);
		tn_sb_str(o, " bytes");
	}
	fend(r, TN_F_IP_TOTAL_LEN);
	o = frow(r, TN_F_IP_ID, NULL);
	hex_value(o, ip->id, 4);
	tn_sb_str(o, " (");
	tn_sb_uint(o, ip->id);
	tn_sb_chr(o, ')');
	fend(r, TN_F_IP_ID);
	ipv4_frag_rows(r, ip);
	ipv4_tail_rows(r, pkt, a);
}

static void ipv6_ext_rows(struct tn_renderer *r, const struct tn_ipv6 *ip)
{
	for (unsigned i = 0; i < ip->n_ext; i++) {
		if (ip->ext[i].type == 44)
			row(r, TN_F_IP6_EXT, "extension header", "%s, %u bytes: id 0x%08x, offset %u%s",
			    tn_ip6_ext_name(ip->ext[i].type), ip->ext[i].len, ip->frag_id,
			    ip->frag_off, ip->frag_mf ? ", more fragments follow" : "");
		else
			row(r, TN_F_IP6_EXT, "extension header", "%s, %u bytes",
			    tn_ip6_ext_name(ip->ext[i].type), ip->ext[i].len);
	}
}

static void ipv6_rows(struct tn_renderer *r, const struct tn_packet *pkt, const struct addrs *a)
{
	const struct tn_ipv6 *ip = &pkt->ip6;
	struct tn_sb *o;
	section(r, "IPv6 header");
	uint_row(r, TN_F_IP_VERSION, ip->version);
	o = frow(r, TN_F_IP6_TCLASS, NULL);
	hex_value(o, ip->tclass, 2);
	tn_sb_str(o, " (DSCP ");
	tn_sb_uint(o, ip->tclass >> 2);
	tn_sb_str(o, ", ");
	tn_sb_str(o, tn_dscp_name(ip->tclass >> 2));
	tn_sb_str(o, "; ECN ");
	tn_sb_uint(o, ip->tclass & 3u);
	tn_sb_str(o, ", ");
	tn_sb_str(o, tn_ecn_name(ip->tclass & 3u));
	tn_sb_chr(o, ')');
	fend(r, TN_F_IP6_TCLASS);
	o = frow(r, TN_F_IP6_FLOW, NULL);
	hex_value(o, ip->flow, 5);
	tn_sb_str(o, ip->flow ? "" : " (not used)");
	fend(r, TN_F_IP6_FLOW);
	o = frow(r, TN_F_IP6_PLEN, NULL);
	if (ip->jumbo) {
		tn_sb_str(o, "0 (a jumbogram or an offloaded super-segment)");
	} else {
		tn_sb_uint(o, ip->payload_len);
		tn_sb_str(o, " bytes");
	}
	fend(r, TN_F_IP6_PLEN);
	num_named_row(r, TN_F_IP6_NEXT, ip->next_header, tn_ip6_ext_name(ip->next_header));
	uint_row(r, TN_F_IP6_HOPS, ip->hop_limit);
	ipv6_ext_rows(r, ip);
	addr_rows(r, a);
}

/* A port, explained for what it is here: the server's listening port or the client's own. */
static void port_row(struct tn_renderer *r, const struct tn_segment *seg, bool source)
{
	const struct tn_track_view *v = &seg->track;
	uint16_t port = source ? seg->pkt->tcp.sport : seg->pkt->tcp.dport;
	bool sender_is_server = v->side != v->client;
	bool server = source ? sender_is_server : !sender_is_server;
	const char *svc = tn_service_name(port);
	enum tn_field f = source ? TN_F_TCP_SPORT : TN_F_TCP_DPORT;
	struct tn_sb *o = frow(r, f, NULL);
	tn_sb_uint(o, port);
	if (svc) {
		tn_sb_str(o, " (");
		tn_sb_str(o, svc);
		tn_sb_chr(o, ')');
	}
	row_end(r, tn_glossary_port(source, server));
}

/* The flags row, then a line per flag set saying what it does here. */
static void flag_rows(struct tn_renderer *r, const struct tn_segment *seg)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	char fl[48], buf[256];
	flags_str(t->flags, fl, sizeof fl);
	struct tn_sb *o = frow(r, TN_F_TCP_FLAGS, NULL);
	sb_sty(r, o, S_FLAG);
	tn_sb_str(o, fl);
	sb_sty(r, o, S_RESET);
	fend(r, TN_F_TCP_FLAGS);
	for (size_t i = 0; tn_flag_order[i]; i++) {
		if (!(t->flags & tn_flag_order[i]))
			continue;
		tn_flag_meaning(tn_flag_order[i], seg, buf, sizeof buf);
		tn_sb_str(o, "      ");
		tn_sb_pad(o, tn_flag_name(tn_flag_order[i]), 4);
		tn_sb_chr(o, ' ');
		tn_sb_str(o, buf);
		tn_sb_chr(o, '\n');
	}
}

static void window_row(struct tn_renderer *r, const struct tn_tcp *t, const struct tn_track_view *v)
{
	struct tn_sb *o = frow(r, TN_F_TCP_WINDOW, NULL);
	tn_sb_uint(o, t->window);
	if (v->syn_window) {
		tn_sb_str(o, t->window == 1 ? " byte" : " bytes");
		tn_sb_str(o, " (never scaled in a SYN)");
	} else if (!v->window_known) {
		tn_sb_str(o, " (scale unknown: the handshake was not captured)");
	} else if (v->shift) {
		tn_sb_str(o, " × ");
		tn_sb_uint(o, 1u << v->shift);
		tn_sb_str(o, " = ");
		tn_sb_uint(o, v->window_scaled);
		tn_sb_str(o, " bytes");
	} else {
		tn_sb_str(o, t->window == 1 ? " byte" : " bytes");
		tn_sb_str(o, t->window == 0 ? " (zero window: the receiver is full)" : "");
	}
	fend(r, TN_F_TCP_WINDOW);
}

static void option_rows(struct tn_renderer *r, const struct tn_tcp *t, const struct tn_track_view *v)
{
	char buf[256];
	if (t->hdr_len <= 20)
		return;
	struct tn_sb *o = frow(r, TN_F_TCP_OPTIONS, NULL);
	tn_sb_uint(o, t->hdr_len - 20u);
	tn_sb_str(o, t->opts_malformed ? " bytes, malformed: decoding stopped at the bad one" :
		  t->opts_cut ? " bytes, cut short by the capture" : " bytes");
	fend(r, TN_F_TCP_OPTIONS);
	unsigned sack_i = 0;
	for (unsigned i = 0; i < t->n_opts; i++) {
		const struct tn_tcp_option *op = &t->opts[i];
		struct tn_sb vb;
		tn_sb_init(&vb, buf, sizeof buf);
		option_value(op, v, &sack_i, &vb);
		tn_sb_str(o, "      ");
		tn_sb_pad(o, option_label(op), LABEL_W - 2);
		tn_sb_mem(o, buf, vb.n);
		if (op->kind == TN_OPT_SACK) /* the wire's form, beside the sentence's inclusive ranges */
			tn_sb_str(o, " (relative; left edge to right edge, exclusive)");
		tn_sb_chr(o, '\n');
		if (r->opts.detail >= TN_DETAIL_VERBOSE)
			wrapped_in(r, 8, S_DIM, tn_option_meaning(op));
	}
}

/* Sequence and acknowledgment numbers, relative and raw. */
static void seq_rows(struct tn_renderer *r, const struct tn_tcp *t, const struct tn_track_view *v)
{
	struct tn_sb *o = frow(r, TN_F_TCP_SEQ, NULL);
	tn_sb_uint(o, v->rel_seq);
	tn_sb_str(o, " (raw ");
	tn_sb_uint(o, t->seq);
	tn_sb_chr(o, ')');
	tn_sb_str(o, (t->flags & TN_TH_SYN) ? ": the initial sequence number" :
		  v->seq_base_is_isn ? "" : "; relative to the first seen, the SYN was not captured");
	fend(r, TN_F_TCP_SEQ);
	o = frow(r, TN_F_TCP_ACK, NULL);
	if (t->flags & TN_TH_ACK) {
		tn_sb_uint(o, v->rel_ack);
		tn_sb_str(o, " (raw ");
		tn_sb_uint(o, t->ack);
		tn_sb_chr(o, ')');
		tn_sb_str(o, v->ack_base_is_isn ? "" : "; relative to the first seen");
	} else {
		tn_sb_str(o, "not in use (no ACK flag); the field holds ");
		tn_sb_uint(o, t->ack);
	}
	fend(r, TN_F_TCP_ACK);
}

static void tcp_rows(struct tn_renderer *r, const struct tn_segment *seg)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	const struct tn_track_view *v = &seg->track;
	struct tn_sb *o;

	section(r, "TCP header");
	port_row(r, seg, true);
	port_row(r, seg, false);
	seq_rows(r, t, v);
	o = frow(r, TN_F_TCP_DOFF, NULL);
	size_words(o, t->hdr_len);
	tn_sb_str(o, t->hdr_len > 20 ? ", so options follow" : "");
	fend(r, TN_F_TCP_DOFF);
	o = frow(r, TN_F_TCP_RESERVED, NULL);
	tn_sb_uint(o, t->reserved);
	tn_sb_str(o, t->reserved ? " (should be zero)" : "");
	fend(r, TN_F_TCP_RESERVED);
	flag_rows(r, seg);
	window_row(r, t, v);
	checksum_row(r, TN_F_TCP_CHECKSUM, t->checksum, t->checksum_status);
	o = frow(r, TN_F_TCP_URGENT, NULL);
	tn_sb_uint(o, t->urgent);
	if (!(t->flags & TN_TH_URG))
		tn_sb_str(o, t->urgent ? " (ignored: URG not set)" : " (not in use)");
	fend(r, TN_F_TCP_URGENT);
	option_rows(r, t, v);
}

static void payload_rows(struct tn_renderer *r, const struct tn_packet *pkt)
{
	section(r, "Payload");
	struct tn_sb *o = frow(r, TN_F_PAYLOAD, "length");
	tn_sb_uint(o, pkt->payload_len);
	if (!pkt->payload_len) {
		tn_sb_str(o, " bytes");
		fend(r, TN_F_PAYLOAD);
		return;
	}
	tn_sb_str(o, pkt->payload_len == 1 ? " byte" : " bytes");
	if (pkt->payload_captured < pkt->payload_len) {
		tn_sb_str(o, " (");
		tn_sb_uint(o, pkt->payload_captured);
		tn_sb_str(o, " captured)");
	}
	fend(r, TN_F_PAYLOAD);
	if (pkt->payload_captured) {
		char pv[4 * TN_PREVIEW_BYTES + 1];
		bool more;
		preview(pkt, pv, sizeof pv, &more);
		tn_sb_str(o, "    ");
		tn_sb_pad(o, "starts with", LABEL_W);
		tn_sb_chr(o, '"');
		tn_sb_str(o, pv);
		tn_sb_str(o, more ? "\"..." : "\"");
		tn_sb_chr(o, '\n');
	}
}

/*
 * "Connection 3: client 10.0.1.5:45174 → server 10.0.2.10:80 (http)" and,
 * at its first segment, how we know.
 */
static void conn_header(struct tn_renderer *r, const struct tn_segment *seg)
{
	const struct tn_track_view *v = &seg->track;
	char cl[TN_ENDPOINT_STRLEN], sv[TN_ENDPOINT_STRLEN];
	bool from_client = v->side == v->client;
	tn_endpoint_str(seg->pkt, from_client, cl, sizeof cl);
	tn_endpoint_str(seg->pkt, !from_client, sv, sizeof sv);
	uint16_t sport = from_client ? seg->pkt->tcp.dport : seg->pkt->tcp.sport;
	const char *svc = tn_service_name(sport);
	struct tn_sb *o = ob(r);
	sty(r, S_HEAD);
	tn_sb_str(o, "== Connection ");
	tn_sb_uint(o, v->conn);
	tn_sb_str(o, ": client ");
	tn_sb_str(o, cl);
	tn_sb_str(o, " → server ");
	tn_sb_str(o, sv);
	if (svc) {
		tn_sb_str(o, " (");
		tn_sb_str(o, svc);
		tn_sb_chr(o, ')');
	}
	encap_compact(r, seg->pkt);   /* two tenants' overlays: which tunnel this one is in */
	sty(r, S_RESET);
	if (v->roles_inferred && v->new_conn)
		tn_sb_str(o, " — joined mid-connection; roles inferred from the ports, both sides "
			  "taken as ESTABLISHED");
	else if (v->new_conn && v->inferred[v->client] && v->before[v->client] == TN_ST_SYN_SENT)
		tn_sb_str(o, " — the client's SYN is not in the capture");
	if (v->port_reused && v->new_conn)
		tn_sb_str(o, " — a new connection on a port pair used before");
	tn_sb_chr(o, '\n');
}

static void conn_opening(struct tn_renderer *r, const struct tn_segment *seg)
{
	if (state_of(r)->first_line_done && r->opts.detail > TN_DETAIL_QUIET && !seg->step)
		tn_sb_chr(ob(r), '\n');
	state_of(r)->first_line_done = true;
	conn_header(r, seg);
}

static void state_lines(struct tn_renderer *r, const struct tn_segment *seg)
{
	const struct tn_track_view *v = &seg->track;
	struct tn_sb *o = ob(r);
	/* The client first, as a reader expects; then the server. */
	for (int k = 0; k < 2; k++) {
		int i = k == 0 ? v->client : !v->client;
		char st[64];
		struct tn_sb sb;
		tn_sb_init(&sb, st, sizeof st);
		tn_sb_str(&sb, tn_state_name(v->before[i]));
		if (v->before[i] == v->after[i]) {
			tn_sb_str(&sb, v->inferred[i] ? ", inferred (unchanged)" : " (unchanged)");
		} else {
			tn_sb_str(&sb, v->inferred[i] ? " (inferred) → " : " → ");
			tn_sb_str(&sb, tn_state_name(v->after[i]));
		}
		tn_sb_str(o, "  ");
		tn_sb_str(o, tn_role_name(i, v->client));
		tn_sb_chr(o, ' ');
		sty(r, v->before[i] != v->after[i] ? S_HEAD : "");
		tn_sb_mem(o, st, sb.n);
		sty(r, v->before[i] != v->after[i] ? S_RESET : "");
		tn_sb_chr(o, '\n');
		if (v->why[i] != TN_WHY_NONE && (v->before[i] != v->after[i] ||
						  r->opts.detail >= TN_DETAIL_NORMAL)) {
			wrapped_in(r, 9, S_DIM, tn_why_text(v->why[i]));
		}
	}
}

static void ideas(struct tn_renderer *r, const struct tn_idea *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		tn_sb_str(ob(r), "  ");
		sty(r, S_NOTE);
		tn_sb_printf(ob(r), "» %s", list[i].title);
		sty(r, S_RESET);
		tn_sb_chr(ob(r), '\n');
		wrapped(r, 4, list[i].text);
	}
}

static void text_begin(struct tn_renderer *r, const struct tn_run_info *run)
{
	struct tn_sb *o = ob(r);
	if (!run->reference || r->opts.focus != TN_FOCUS_ALL)
		return;
	sty(r, S_HEAD);
	tn_sb_printf(o, "Step 0 of %d, before any packet: curl http://10.0.2.10/ from 10.0.1.5",
		TN_REFERENCE_SEGMENTS);
	sty(r, S_RESET);
	tn_sb_chr(o, '\n');
	/* Neither ISN exists yet: each is picked when its SYN is sent or arrives (RFC 6528). */
	tn_sb_printf(o, "  client CLOSED; its initial sequence number will be %d, picked when it sends "
		"its SYN\n", TN_REFERENCE_CLIENT_ISN);
	tn_sb_printf(o, "  server LISTEN on port 80; its initial sequence number will be %d, picked when "
		"the SYN arrives\n", TN_REFERENCE_SERVER_ISN);
	if (r->opts.detail > TN_DETAIL_QUIET)
		ideas(r, run->intro, run->n_intro);
	state_of(r)->first_line_done = true;
}

/* A segment in full (normal and verbose): its heading, sentence, verdicts, states and rows. */
/*
 * A segment made whole from IP fragments: which frames carried which bytes,
 * and any overlap between them (RFC 5722: a receiver may drop the lot).
 */
static void fragment_lines(struct tn_renderer *r, const struct tn_segment *seg)
{
	const struct tn_reasm_done *d = seg->reasm;
	char buf[TN_REASM_MAX_FRAGS * 48 + 160];
	size_t at = 0;
	if (!d)
		return;
	at += (size_t)snprintf(buf, sizeof buf, "reassembled from %u IP fragments:", d->n_frags);
	for (unsigned i = 0; i < d->n_frags && at < sizeof buf; i++) {
		const struct tn_frag_ref *f = &d->frags[i];
		at += (size_t)snprintf(buf + at, sizeof buf - at, "%s #%" PRIu64 " (bytes %" PRIu32
				       "-%" PRIu32 "%s)", i ? "," : "", f->n, f->offset,
				       f->offset + f->len - 1, f->duplicate ? ", a duplicate" :
				       f->overlap ? ", overlapping" : "");
	}
	wrapped_in(r, 2, S_NOTE, buf);
	if (!d->overlap_bytes)
		return;
	bool overlap = false;
	for (unsigned i = 0; i < d->n_frags; i++)
		overlap = overlap || d->frags[i].overlap;
	snprintf(buf, sizeof buf, "%" PRIu32 " byte%s arrived in more than one fragment%s; the first "
		 "copy is shown. %s", d->overlap_bytes, plural(d->overlap_bytes),
		 d->conflict ? ", with different contents" : ", the same each time",
		 overlap ? "Linux, and any IPv6 host (RFC 5722), drops a datagram whose fragments "
		 "overlap: the receiver may never have seen this segment." :
		 "A receiver ignores an exact duplicate fragment.");
	wrapped_in(r, 2, S_WARN, buf);
}

/* A segment's first line: frame, time, offset, sender, endpoints, service, flags, length. */
static void segment_heading(struct tn_renderer *r, const struct tn_segment *seg,
			    const struct addrs *a)
{
	struct tn_sb *o = ob(r);
	const struct tn_packet *pkt = seg->pkt;
	char ts[48], fl[48];
	const char *svc;
	tn_format_time(seg->frame->ts_sec, seg->frame->ts_nsec, r->opts.ts_digits, true, ts,
		       sizeof ts);
	flags_str(pkt->tcp.flags, fl, sizeof fl);
	sty(r, S_HEAD);
	char rel[40];
	tn_format_offset(seg->rel_ns, r->opts.ts_digits, rel, sizeof rel);
	tn_sb_chr(o, '#');
	tn_sb_uint(o, seg->frame->n);
	tn_sb_str(o, "  ");
	tn_sb_str(o, ts);
	tn_sb_str(o, "  ");
	tn_sb_str(o, rel);
	tn_sb_str(o, "s  ");
	tn_sb_str(o, tn_role_name(seg->track.side, seg->track.client));
	tn_sb_chr(o, ' ');
	endpoint(o, pkt, a->src, pkt->tcp.sport);
	tn_sb_str(o, " → ");
	endpoint(o, pkt, a->dst, pkt->tcp.dport);
	if ((svc = tn_service_name(pkt->tcp.dport)) || (svc = tn_service_name(pkt->tcp.sport))) {
		tn_sb_str(o, " (");
		tn_sb_str(o, svc);
		tn_sb_chr(o, ')');
	}
	sty(r, S_RESET);
	tn_sb_str(o, "  ");
	sty(r, S_FLAG);
	tn_sb_chr(o, '[');
	tn_sb_str(o, fl);
	tn_sb_chr(o, ']');
	sty(r, S_RESET);
	tn_sb_str(o, "  ");
	tn_sb_uint(o, pkt->payload_len);
	tn_sb_str(o, pkt->payload_len == 1 ? " byte of data\n" : " bytes of data\n");
}

static void segment_block(struct tn_renderer *r, const struct tn_segment *seg)
{
	const struct tn_packet *pkt = seg->pkt;
	struct addrs a;
	memcpy(a.src, addr_text_of(r, pkt, true), sizeof a.src);  /* both TN_ADDR_STRLEN */
	memcpy(a.dst, addr_text_of(r, pkt, false), sizeof a.dst);
	segment_heading(r, seg, &a);
	wrapped_in(r, 2, S_NOTE, seg->note);
	verdict_lines(r, seg);
	timing_lines(r, seg);
	state_lines(r, seg);
	fragment_lines(r, seg);
	ideas(r, seg->ideas, seg->n_ideas);
	problem_line(r, pkt);
	if (seg->frame->over_snaplen)
		snaplen_line(r, seg->frame, false);
	encap_rows(r, pkt);
	if (pkt->ip_version == 4)
		ipv4_rows(r, pkt, &a);
	else
		ipv6_rows(r, pkt, &a);
	tcp_rows(r, seg);
	payload_rows(r, pkt);
}

/* Keeps seg's quiet line as its connection's context, for a problem that may follow. */
static void keep_context(struct tn_renderer *r, struct tn_focus_conn *fc,
			 const struct tn_segment *seg)
{
	struct text_state *st = state_of(r);
	FILE *out = r->opts.out;
	flush(r);
	rewind(st->scratch);
	r->opts.out = st->scratch;
	quiet_line(r, seg);
	flush(r);
	r->opts.out = out;
	if (fflush(st->scratch) == 0)
		tn_focus_keep_line(fc, st->scratch_buf, st->scratch_len);
}

/*
 * --problems: a segment with a verdict is shown, after its connection's
 * heading when the last problem was on another connection and after the
 * segment before it (unless that was shown already); any other is kept as
 * context.
 */
static void problem_segment(struct tn_renderer *r, const struct tn_segment *seg)
{
	struct text_state *st = state_of(r);
	struct tn_sb *o = ob(r);
	struct tn_focus_conn *fc = tn_focus_conn(st->focus, seg->track.conn);
	bool show = seg->n_verdicts > 0;
	if (!show) {
		tn_focus_seen(fc, seg->frame->n, false, false);
		keep_context(r, fc, seg);
		return;
	}
	if (st->first_line_done && r->opts.detail > TN_DETAIL_QUIET)
		tn_sb_chr(o, '\n');
	st->first_line_done = true;
	if (st->last_conn != seg->track.conn || r->opts.every_heading)
		conn_header(r, seg);
	st->last_conn = seg->track.conn;
	if (fc->prev_n && !fc->prev_shown && fc->line_len) {
		sty(r, S_DIM);
		tn_sb_str(o, "… ");
		sty(r, S_RESET);
		tn_sb_mem(o, fc->line, fc->line_len);
	}
	tn_focus_seen(fc, seg->frame->n, true, true);
	if (r->opts.detail <= TN_DETAIL_QUIET)
		quiet_line(r, seg);
	else
		segment_block(r, seg);
}

static void text_segment(struct tn_renderer *r, const struct tn_segment *seg)
{
	if (r->opts.focus == TN_FOCUS_SUMMARY)
		return;
	if (r->opts.focus == TN_FOCUS_PROBLEMS) {
		problem_segment(r, seg);
		return;
	}
	if (seg->step && r->opts.detail > TN_DETAIL_QUIET) {
		tn_sb_chr(ob(r), '\n');
		sty(r, S_HEAD);
		tn_sb_printf(ob(r), "Step %u of %d", seg->step, TN_REFERENCE_SEGMENTS);
		sty(r, S_RESET);
		tn_sb_chr(ob(r), '\n');
	}
	if (seg->track.new_conn)
		conn_opening(r, seg);
	if (seg->step && r->opts.detail <= TN_DETAIL_QUIET)
		tn_sb_printf(ob(r), "step %u: ", seg->step);
	if (r->opts.detail <= TN_DETAIL_QUIET) {
		quiet_line(r, seg);
		return;
	}
	if (state_of(r)->first_line_done && !seg->track.new_conn && !seg->step)
		tn_sb_chr(ob(r), '\n');
	state_of(r)->first_line_done = true;
	segment_block(r, seg);
}

static void text_skip(struct tn_renderer *r, const struct tn_skip *s)
{
	if (r->opts.focus == TN_FOCUS_SUMMARY)
		return;
	if (s->why != TN_DEC_MALFORMED && s->why != TN_DEC_TRUNCATED && !s->frame->over_snaplen)
		return; /* counted in the summary; nothing is wrong with them */
	if (s->why != TN_DEC_MALFORMED && s->why != TN_DEC_TRUNCATED) {
		snaplen_line(r, s->frame, true);
		return;
	}
	struct tn_sb *o = ob(r);
	char ts[48];
	tn_format_time(s->frame->ts_sec, s->frame->ts_nsec, r->opts.ts_digits,
		       r->opts.detail > TN_DETAIL_QUIET, ts, sizeof ts);
	if (r->opts.detail > TN_DETAIL_QUIET && state_of(r)->first_line_done)
		tn_sb_chr(o, '\n');
	state_of(r)->first_line_done = true;
	tn_sb_printf(o, "%s%" PRIu64 " %s ", r->opts.detail > TN_DETAIL_QUIET ? "#" : "", s->frame->n, ts);
	sty(r, s->why == TN_DEC_TRUNCATED ? S_WARN : S_BAD);
	tn_sb_printf(o, "not narrated, %s: %s (byte %u of the frame)", tn_decode_result_name(s->why),
		s->pkt->problem_text[0] ? s->pkt->problem_text : "no detail", s->pkt->problem_offset);
	sty(r, S_RESET);
	tn_sb_chr(o, '\n');
	if (s->frame->over_snaplen)
		snaplen_line(r, s->frame, false);
}

/* The fragment table's counts, when there were fragments of TCP segments. */
static void reasm_summary(struct tn_sb *o, const struct tn_reasm_stats *st)
{
	uint64_t refused = st->table_full + st->memory_full + st->cut;
	if (!st->fragments && !refused)
		return;
	tn_sb_printf(o, "  %" PRIu64 " IP fragment%s of TCP segments held: %" PRIu64 " segment%s "
		"reassembled", st->fragments, plural(st->fragments), st->reassembled,
		plural(st->reassembled));
	if (st->overlaps)
		tn_sb_printf(o, " (%" PRIu64 " from overlapping fragments)", st->overlaps);
	if (st->timed_out)
		tn_sb_printf(o, "; %" PRIu64 " given up after the timeout", st->timed_out);
	if (st->incomplete)
		tn_sb_printf(o, "; %" PRIu64 " still missing pieces at the end", st->incomplete);
	if (st->too_many)
		tn_sb_printf(o, "; %" PRIu64 " given up for more than %d pieces", st->too_many,
			TN_REASM_MAX_FRAGS);
	if (refused)
		tn_sb_printf(o, "; %" PRIu64 " fragment%s not held (%" PRIu64 " table full, %" PRIu64
			" memory limit, %" PRIu64 " cut short or inconsistent)", refused,
			plural(refused), st->table_full, st->memory_full, st->cut);
	tn_sb_chr(o, '\n');
}

static void text_end(struct tn_renderer *r, const struct tn_summary *sum)
{
	struct tn_sb *o = ob(r);
	uint64_t skipped = 0;
	for (int i = 1; i < TN_DEC_RESULT_COUNT; i++)
		skipped += sum->skipped[i];
	tn_sb_chr(o, '\n');
	sty(r, S_HEAD);
	tn_sb_printf(o, "Summary of %s: %" PRIu64 " packet%s read, %" PRIu64 " TCP segment%s narrated, "
		"%" PRIu64 " skipped", sum->source, sum->packets, sum->packets == 1 ? "" : "s",
		sum->segments, sum->segments == 1 ? "" : "s", skipped);
	sty(r, S_RESET);
	tn_sb_chr(o, '\n');
	if (skipped) {
		tn_sb_str(o, "  skipped:");
		const char *sep = " ";
		for (int i = 1; i < TN_DEC_RESULT_COUNT; i++) {
			if (!sum->skipped[i])
				continue;
			tn_sb_printf(o, "%s%" PRIu64 " %s", sep, sum->skipped[i],
				tn_decode_result_name((enum tn_decode_result)i));
			sep = ", ";
		}
		if (!sum->link_supported)
			tn_sb_printf(o, " (link type %s, %u)", sum->linktype_name, sum->linktype);
		tn_sb_chr(o, '\n');
	}
	if (sum->over_snaplen)
		tn_sb_printf(o, "  %" PRIu64 " record%s claimed more captured bytes than the file's snapshot "
			"length and %s trimmed to it\n", sum->over_snaplen,
			sum->over_snaplen == 1 ? "" : "s", sum->over_snaplen == 1 ? "was" : "were");
	if (sum->filtered)
		tn_sb_printf(o, "  %" PRIu64 " packet%s did not match the filter\n", sum->filtered,
			sum->filtered == 1 ? "" : "s");
	if (sum->icmp_errors)
		tn_sb_printf(o, "  %" PRIu64 " ICMP error%s about tracked connections, narrated in them\n",
			sum->icmp_errors, plural(sum->icmp_errors));
	reasm_summary(o, &sum->reasm);
	if (sum->inner_filtered)
		tn_sb_printf(o, "  %" PRIu64 " TCP segment%s did not match --inner\n", sum->inner_filtered,
			sum->inner_filtered == 1 ? "" : "s");
	tn_sb_printf(o, "  %" PRIu64 " connection%s", sum->connections, sum->connections == 1 ? "" : "s");
	if (sum->evictions)
		tn_sb_printf(o, "; %" PRIu64 " evicted from the full flow table (relative numbers restart "
			"for them)", sum->evictions);
	if (sum->idle_expired)
		tn_sb_printf(o, "; %" PRIu64 " forgotten after the idle timeout", sum->idle_expired);
	tn_sb_chr(o, '\n');
	if (sum->have_stats)
		tn_sb_printf(o, "  capture: %" PRIu64 " packet%s received by the filter, %" PRIu64 " dropped "
			"by the kernel, %" PRIu64 " dropped by the interface\n", sum->received,
			plural(sum->received), sum->dropped, sum->if_dropped);
	if (sum->error) {
		sty(r, S_BAD);
		tn_sb_printf(o, "  the file is damaged: %s", sum->error);
		sty(r, S_RESET);
		tn_sb_chr(o, '\n');
	}
}

/* "1 thing" or "3 things". */
static int count_of(char *buf, size_t len, uint64_t n, const char *one, const char *many)
{
	return snprintf(buf, len, "%" PRIu64 " %s", n, n == 1 ? one : many);
}

/* What went wrong in one direction, if anything: a line under the report. */
static void trouble_line(struct tn_renderer *r, int role, const struct tn_analysis_counts *n)
{
	char part[6][96];
	int k = 0;
	if (n->retransmissions) {
		int w = count_of(part[k], sizeof part[k], n->retransmissions, "retransmission",
				 "retransmissions");
		snprintf(part[k] + w, sizeof part[k] - (size_t)w, " (%" PRIu64 " byte%s)",
			 n->retransmitted_bytes, plural(n->retransmitted_bytes));
		k++;
	}
	if (n->lost)
		count_of(part[k++], 96, n->lost, "gap before a segment (not captured)",
			 "gaps before segments (not captured)");
	if (n->out_of_order)
		count_of(part[k++], 96, n->out_of_order, "segment out of order",
			 "segments out of order");
	if (n->dup_acks)
		count_of(part[k++], 96, n->dup_acks, "duplicate ACK", "duplicate ACKs");
	if (n->zero_window_ns || n->zw_probes)
		snprintf(part[k++], 96, "zero window for %.6f s, %u probe%s into it",
			 (double)n->zero_window_ns / 1e9, n->zw_probes, n->zw_probes == 1 ? "" : "s");
	if (n->keep_alives)
		count_of(part[k++], 96, n->keep_alives, "keep-alive", "keep-alives");
	if (!k)
		return;
	tn_sb_printf(ob(r), "   the %s sent:", tn_role_key(role));
	for (int i = 0; i < k; i++)
		tn_sb_printf(ob(r), "%s %s", i ? "," : "", part[i]);
	tn_sb_chr(ob(r), '\n');
}

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/*
 * The handshake's two legs, what they say about where the capture was
 * taken, and what that means for the states shown: a side's change is shown
 * when the segment causing it passes the capture point, and happens when the
 * segment reaches the side, about half that side's leg later.
 */
static void handshake_line(struct tn_renderer *r, const struct tn_conn_view *cv)
{
	if (!cv->legs_known)
		return;
	struct tn_sb *o = ob(r);
	double to_server = ms(cv->leg_server_ns) / 2, to_client = ms(cv->leg_client_ns) / 2;
	tn_sb_str(o, "   handshake: ");
	tn_sb_fixed(o, ms(cv->leg_server_ns), 3);
	tn_sb_str(o, " ms to the server and back, ");
	tn_sb_fixed(o, ms(cv->leg_client_ns), 3);
	tn_sb_str(o, " ms to the client and back, from the capture point; ");
	if (strcmp(cv->capture_point, "client") == 0) {
		tn_sb_str(o, "taken near the client: its states change where shown, the server's about ");
		tn_sb_fixed(o, to_server, 3);
		tn_sb_str(o, " ms later\n");
	} else if (strcmp(cv->capture_point, "server") == 0) {
		tn_sb_str(o, "taken near the server: its states change where shown, the client's about ");
		tn_sb_fixed(o, to_client, 3);
		tn_sb_str(o, " ms later\n");
	} else if (strcmp(cv->capture_point, "between") == 0) {
		tn_sb_str(o, "taken between the two: the client's states change about ");
		tn_sb_fixed(o, to_client, 3);
		tn_sb_str(o, " ms after they are shown, the server's about ");
		tn_sb_fixed(o, to_server, 3);
		tn_sb_str(o, " ms after\n");
	} else {
		tn_sb_str(o, "both ends within 0.2 ms of the capture: where it was taken cannot be "
			  "told, and states change within that time of where they are shown\n");
	}
}

/* "0.002746 s; client sent 5 segments with 88 bytes of data, server 5 with 1301" */
static void counts_line(struct tn_sb *o, const struct tn_conn_view *cv)
{
	enum { CL = TN_ROLE_CLIENT, SV = TN_ROLE_SERVER };
	tn_sb_str(o, "   ");
	tn_sb_fixed(o, cv->duration, 6);
	tn_sb_str(o, " s; client sent ");
	tn_sb_uint(o, cv->segments[CL]);
	tn_sb_str(o, cv->segments[CL] == 1 ? " segment with " : " segments with ");
	tn_sb_uint(o, cv->count[CL].unique_bytes);
	tn_sb_str(o, cv->count[CL].unique_bytes == 1 ? " byte" : " bytes");
	tn_sb_str(o, " of data, server ");
	tn_sb_uint(o, cv->segments[SV]);
	tn_sb_str(o, " with ");
	tn_sb_uint(o, cv->count[SV].unique_bytes);
	tn_sb_chr(o, '\n');
}

/* "; round trip 1.000/2.500/4.000 ms (min/mean/max of 3 ACKs)": s in milliseconds, in words. */
static void rtt_samples(struct tn_sb *o, const char *before, const struct tn_rtt_stats *s,
			const char *middle, const char *one, const char *many)
{
	tn_sb_str(o, before);
	tn_sb_fixed(o, s->min_us / 1e3, 3);
	tn_sb_chr(o, '/');
	tn_sb_fixed(o, (double)s->sum_us / s->n / 1e3, 3);
	tn_sb_chr(o, '/');
	tn_sb_fixed(o, s->max_us / 1e3, 3);
	tn_sb_str(o, middle);
	tn_sb_uint(o, s->n);
	tn_sb_str(o, s->n == 1 ? one : many);
}

/* One side's data: its round trips, how much it had out, what held it back, how fast. */
static void timing_line(struct tn_renderer *r, const struct tn_conn_view *cv, int role)
{
	const struct tn_timing_side *t = &cv->timing[role];
	struct tn_sb *o = ob(r);
	if (!t->first_data_ns)
		return;
	tn_sb_str(o, "   the ");
	tn_sb_str(o, tn_role_key(role));
	tn_sb_str(o, "'s data: first byte ");
	tn_sb_fixed(o, ms(t->first_data_ns - cv->first_ns), 3);
	tn_sb_str(o, " ms after the first segment");
	if (t->ack.n)
		rtt_samples(o, "; round trip ", &t->ack, " ms (min/mean/max of ", " ACK)", " ACKs)");
	if (t->ts.n)
		rtt_samples(o, ", ", &t->ts, " ms from ", " timestamp echo", " timestamp echoes");
	tn_sb_str(o, "; at most ");
	tn_sb_uint(o, t->max_in_flight);
	tn_sb_str(o, t->max_in_flight == 1 ? " byte in flight" : " bytes in flight");
	if (t->rwnd_limited)
		tn_sb_printf(o, ", %u time%s up to the receiver's window", t->rwnd_limited,
			t->rwnd_limited == 1 ? "" : "s");
	if (cv->duration > 0) {
		double rate = (double)cv->count[role].unique_bytes / cv->duration;
		tn_sb_str(o, "; ");
		tn_sb_fixed(o, rate, 0);
		tn_sb_str(o, rate >= 0.5 && rate < 1.5 ? " byte/s" : " bytes/s");
		tn_sb_str(o, " over the connection");
	}
	tn_sb_chr(o, '\n');
}

/* "ICMP errors that quoted its segments: 3: fragmentation needed (smallest MTU named 1400), ..." */
static void icmp_line(struct tn_sb *o, const struct tn_conn_view *cv)
{
	if (!cv->icmp.total)
		return;
	tn_sb_str(o, "   ICMP errors that quoted its segments: ");
	tn_sb_uint(o, cv->icmp.total);
	const char *sep = ": ";
	for (int k = 0; k < TN_ICMP_KIND_COUNT; k++) {
		if (!(cv->icmp.kinds & (1u << k)))
			continue;
		tn_sb_str(o, sep);
		tn_sb_str(o, tn_icmp_kind_words((enum tn_icmp_kind)k, cv->ep[0].family));
		if (k == TN_ICMP_FRAG_NEEDED && cv->icmp.mtu_min) {
			tn_sb_str(o, " (smallest MTU named ");
			tn_sb_uint(o, cv->icmp.mtu_min);
			tn_sb_chr(o, ')');
		}
		sep = ", ";
	}
	tn_sb_chr(o, '\n');
}

/* How the connection began and ended, its final states, Zeek's view of it, TIME-WAIT. */
static void ending_lines(struct tn_sb *o, const struct tn_conn_view *cv)
{
	enum { CL = TN_ROLE_CLIENT, SV = TN_ROLE_SERVER };
	tn_sb_str(o, cv->roles_inferred ? "   joined mid-connection (roles inferred)" :
		  "   opened by the client");
	if (cv->closed_first >= 0) {
		tn_sb_str(o, "; the ");
		tn_sb_str(o, tn_role_key(cv->closed_first));
		tn_sb_str(o, " closed first");
	}
	tn_sb_str(o, "; ");
	tn_sb_str(o, tn_end_text(cv->how));
	if (cv->how == TN_END_RST && cv->rst_by >= 0) {
		tn_sb_str(o, " from the ");
		tn_sb_str(o, tn_role_key(cv->rst_by));
	}
	tn_sb_str(o, "\n   final states: client ");
	tn_sb_str(o, tn_state_name(cv->final_state[CL]));
	tn_sb_str(o, ", server ");
	tn_sb_str(o, tn_state_name(cv->final_state[SV]));
	tn_sb_str(o, "\n   as Zeek logs it: conn_state ");
	tn_sb_str(o, cv->conn_state);
	tn_sb_str(o, ", history ");
	tn_sb_str(o, cv->history[0] ? cv->history : "-");
	tn_sb_str(o, "; community id ");
	tn_sb_str(o, cv->community_id);
	tn_sb_chr(o, '\n');
	if (cv->time_wait < 0)
		return;
	tn_sb_str(o, cv->time_wait == 2 ? "   both sides hold TIME-WAIT for " :
		  cv->time_wait == CL ? "   the client holds TIME-WAIT for " :
		  "   the server holds TIME-WAIT for ");
	tn_sb_fixed(o, cv->time_wait_sec, 0);
	tn_sb_str(o, cv->time_wait == 2 ? " s of capture time: they closed at the same time\n" :
		  cv->time_wait == CL ? " s of capture time after its last ACK\n" :
		  " s of capture time after its last ACK: on a server closing many connections, "
		  "these entries add up\n");
}

static void text_report(struct tn_renderer *r, const struct tn_conn_view *cv)
{
	struct tn_sb *o = ob(r);
	enum { CL = TN_ROLE_CLIENT, SV = TN_ROLE_SERVER };
	char client[TN_ENDPOINT_STRLEN], server[TN_ENDPOINT_STRLEN];
	const char *svc = tn_service_name(cv->ep[SV].port);
	static const char *const stopped[] = {
		[TN_REPORT_CLOSED] = "ended",
		[TN_REPORT_END_OF_CAPTURE] = "at the end of the capture",
		[TN_REPORT_REUSED] = "replaced by a new connection on the same ports",
		[TN_REPORT_EVICTED] = "evicted: the flow table was full",
		[TN_REPORT_IDLE] = "forgotten after the idle timeout",
	};
	tn_endpoint_format(&cv->ep[CL], client, sizeof client);
	tn_endpoint_format(&cv->ep[SV], server, sizeof server);
	if (r->opts.detail > TN_DETAIL_QUIET)
		tn_sb_chr(o, '\n');
	sty(r, S_HEAD);
	tn_sb_str(o, "== Connection ");
	tn_sb_uint(o, cv->id);
	tn_sb_chr(o, ' ');
	tn_sb_str(o, stopped[cv->why]);
	tn_sb_str(o, ": client ");
	tn_sb_str(o, client);
	tn_sb_str(o, ", server ");
	tn_sb_str(o, server);
	if (svc) {
		tn_sb_str(o, " (");
		tn_sb_str(o, svc);
		tn_sb_chr(o, ')');
	}
	sty(r, S_RESET);
	tn_sb_chr(o, '\n');
	counts_line(o, cv);
	for (int role = 0; role < 2; role++)
		trouble_line(r, role, &cv->count[role]);
	icmp_line(o, cv);
	handshake_line(r, cv);
	for (int role = 0; role < 2; role++)
		timing_line(r, cv, role);
	tn_sb_flush(o);   /* the sender's lines go to the stream itself */
	for (int role = 0; role < 2; role++)
		tn_text_sender_lines(r->opts.out, cv, role);
	ending_lines(o, cv);
}

static void text_state(struct tn_renderer *r, const struct tn_state_event *ev)
{
	struct tn_sb *o = ob(r);
	char ts[48];
	if (r->opts.focus != TN_FOCUS_ALL)
		return;
	tn_format_time(ev->ts_sec, ev->ts_nsec, r->opts.ts_digits, r->opts.detail > TN_DETAIL_QUIET,
		       ts, sizeof ts);
	for (int role = 0; role < 2; role++) {
		if (!ev->expired[role])
			continue;
		char ep[TN_ENDPOINT_STRLEN];
		tn_endpoint_format(&ev->ep[role], ep, sizeof ep);
		if (r->opts.detail > TN_DETAIL_QUIET)
			tn_sb_chr(o, '\n');
		tn_sb_printf(o, "%s connection %" PRIu64 ": %s %s TIME-WAIT → CLOSED (inferred: 2×MSL of "
			"capture time has passed)\n", ts, ev->conn, tn_role_key(role), ep);
	}
}

static void text_comparison(struct tn_renderer *r, const struct tn_comparison *cmp)
{
	struct tn_sb *o = ob(r);
	tn_sb_chr(o, '\n');
	sty(r, S_HEAD);
	if (cmp->matches)
		tn_sb_printf(o, "== Connection %" PRIu64 " against the textbook: the textbook shape",
			cmp->conn);
	else
		tn_sb_printf(o, "== Connection %" PRIu64 " against the textbook: %zu difference%s",
			cmp->conn, cmp->n_diff, cmp->n_diff == 1 ? "" : "s");
	sty(r, S_RESET);
	tn_sb_chr(o, '\n');
	tn_sb_printf(o, "   %-5s %-30s %-8s %s\n", "step", "reference", "real", "difference");
	for (unsigned st = 1; st <= TN_COMPARE_STEPS; st++) {
		char real[16], kinds[160];
		size_t u = 0;
		kinds[0] = '\0';
		for (size_t i = 0; i < cmp->n_diff && u + 2 < sizeof kinds; i++) {
			if (cmp->diff[i].step != st)
				continue;
			int k = snprintf(kinds + u, sizeof kinds - u, "%s%s", u ? ", " : "",
					 cmp->diff[i].kind);
			if (k < 0 || (size_t)k >= sizeof kinds - u)
				break;
			u += (size_t)k;
		}
		if (cmp->step_n[st])
			snprintf(real, sizeof real, "#%u", cmp->step_n[st]);
		else
			snprintf(real, sizeof real, "-");
		int who = cmp->step_sender[st];
		if (who >= 0 && who != tn_compare_step_role(st))
			snprintf(kinds + u, sizeof kinds - u, "%ssent by the %s", u ? ", " : "",
				 tn_role_key(who));
		else if (!u)
			snprintf(kinds, sizeof kinds, "%s", cmp->step_n[st] ? "same" : "no such segment");
		tn_sb_printf(o, "   %-5u %-30s %-8s %s\n", st, tn_compare_step_name(st), real, kinds);
	}
	if (cmp->rtts_before_request >= 0) {
		tn_sb_printf(o, "   before the first request byte: %d round trip%s (textbook: 1), %.3f ms",
			cmp->rtts_before_request, cmp->rtts_before_request == 1 ? "" : "s",
			cmp->ms_before_request);
		if (cmp->rtts_before_response >= 0)
			tn_sb_printf(o, "; before the first response byte: %d (textbook: 2), %.3f ms",
				cmp->rtts_before_response, cmp->ms_before_response);
		tn_sb_chr(o, '\n');
	}
	for (size_t i = 0; i < cmp->n_diff; i++) {
		const struct tn_difference *d = &cmp->diff[i];
		char where[48];
		if (d->n)
			snprintf(where, sizeof where, "step %u, #%" PRIu64, d->step, d->n);
		else
			snprintf(where, sizeof where, "step %u", d->step);
		tn_sb_printf(o, "   %zu. %s (%s)\n", i + 1, d->kind, where);
		wrapped(r, 6, d->explanation);
	}
}

/* A state shown earlier was wrong: what held, between which frames, and the proof. */
static void text_correction(struct tn_renderer *r, const struct tn_correction *c)
{
	char buf[TN_NOTE_LEN + 160];
	if (r->opts.focus != TN_FOCUS_ALL)
		return;
	if (r->opts.detail > TN_DETAIL_QUIET)
		tn_sb_chr(ob(r), '\n');
	snprintf(buf, sizeof buf, "the %s was %s, not %s, from #%" PRIu64 " until #%" PRIu64
		 ": %s.", tn_role_key(c->role), tn_state_name(c->held), tn_state_name(c->shown),
		 c->from_n, c->to_n, tn_corr_text(c->why));
	sty(r, S_WARN);
	tn_sb_str(ob(r), "correction:");
	sty(r, S_RESET);
	tn_sb_chr(ob(r), ' ');
	wrapped_after(r, 12, 4, buf);
}

/* A label, then text wrapped under the value column. */
static void long_row(struct tn_renderer *r, const char *label, const char *text)
{
	tn_sb_str(ob(r), "    ");
	sty(r, S_DIM);
	tn_sb_printf(ob(r), "%-*s", LABEL_W, label);
	sty(r, S_RESET);
	wrapped_after(r, 4 + LABEL_W, 4 + LABEL_W, text);
}

/* The rows under an ICMP error's header line; buf is scratch. */
static void icmp_rows(struct tn_renderer *r, const struct tn_icmp_event *ev, char *buf,
		      size_t len)
{
	const struct tn_icmp_error *e = ev->err;
	long_row(r, "quote checked", tn_icmp_seq_text(ev->seq_check));
	if (r->opts.detail < TN_DETAIL_VERBOSE && ev->repeat_of) {
		snprintf(buf, len, "as #%" PRIu64 " (-v repeats it); tracked state unchanged",
			 ev->repeat_of);
		long_row(r, "meaning", buf);
		return;
	}
	snprintf(buf, len, "%s", ev->meaning);
	if (ev->too_small_quote)
		snprintf(buf + strlen(buf), len - strlen(buf), " But the quoted packet (%" PRIu32
			 " bytes) fits the MTU named: a stale or forged error, which Linux ignores.",
			 e->quoted_len);
	long_row(r, "meaning", buf);
	snprintf(buf, len, "%s", ev->host_action);
	if (ev->mss_after)
		snprintf(buf + strlen(buf), len - strlen(buf), " Under an MTU of %" PRIu32 " a "
			 "segment carries at most %" PRIu32 " bytes of data (IP and TCP headers "
			 "without options).", e->mtu, ev->mss_after);
	long_row(r, "what a host does", buf);
	snprintf(buf, len, "unchanged, the %s still %s: an ICMP error is only a hint (RFC 5927); a "
		 "socket would be told \"%s\"", tn_role_key(ev->role),
		 tn_state_name(ev->sender_state), ev->error_text);
	long_row(r, "tracked state", buf);
}

/* "fragmentation needed, next-hop MTU 1400" and the like: what the error says, in a few words. */
static void icmp_what(const struct tn_icmp_event *ev, char *buf, size_t len)
{
	const struct tn_icmp_error *e = ev->err;
	if (e->kind == TN_ICMP_FRAG_NEEDED && e->mtu)
		snprintf(buf, len, "%s, next-hop MTU %" PRIu32, tn_icmp_kind_text(e), e->mtu);
	else if (e->kind == TN_ICMP_FRAG_NEEDED)
		snprintf(buf, len, "%s, no MTU given", tn_icmp_kind_text(e));
	else
		snprintf(buf, len, "%s", tn_icmp_kind_text(e));
}

static void icmp_quiet(struct tn_renderer *r, const struct tn_icmp_event *ev, const char *what,
		       const char *reporter, const char *to)
{
	static const char *const seq_words[] = { "unchecked", "in flight", "already acknowledged",
						 "never sent" };
	char ts[48];
	tn_format_time(ev->frame->ts_sec, ev->frame->ts_nsec, r->opts.ts_digits, false, ts,
		       sizeof ts);
	tn_sb_printf(ob(r), "%" PRIu64 " %s ICMP %s → %s: ", ev->frame->n, ts, reporter,
		tn_role_key(ev->role));
	sty(r, S_WARN);
	tn_sb_str(ob(r), what);
	sty(r, S_RESET);
	tn_sb_printf(ob(r), "; quotes %s seq %" PRIu32 " to %s (%" PRIu32 " bytes), %s; state "
		"unchanged\n", tn_role_key(ev->role), ev->rel_seq, to, ev->err->quoted_len,
		seq_words[ev->seq_check]);
}

/* An ICMP error about a tracked connection: what it quotes, means, and what a host does. */
static void text_icmp(struct tn_renderer *r, const struct tn_icmp_event *ev)
{
	const struct tn_icmp_error *e = ev->err;
	char what[96], reporter[64], from[64], to[64], ts[48], rel[32], buf[1024];
	if (r->opts.focus == TN_FOCUS_SUMMARY)
		return;
	icmp_what(ev, what, sizeof what);
	tn_endpoint_addr(&ev->reporter, reporter, sizeof reporter);
	tn_endpoint_format(&ev->from, from, sizeof from);
	tn_endpoint_format(&ev->to, to, sizeof to);
	if (r->opts.detail <= TN_DETAIL_QUIET) {
		icmp_quiet(r, ev, what, reporter, to);
		return;
	}
	tn_format_time(ev->frame->ts_sec, ev->frame->ts_nsec, r->opts.ts_digits, true, ts,
		       sizeof ts);
	tn_format_offset(ev->rel_ns, r->opts.ts_digits, rel, sizeof rel);
	if (state_of(r)->first_line_done)
		tn_sb_chr(ob(r), '\n');
	state_of(r)->first_line_done = true;
	tn_sb_printf(ob(r), "#%" PRIu64 "  %s  %ss  ICMP%s error from %s about connection %"
		PRIu64 ": ", ev->frame->n, ts, rel, e->family == 6 ? "v6" : "", reporter, ev->conn);
	sty(r, S_WARN);
	tn_sb_printf(ob(r), "%s", what);
	sty(r, S_RESET);
	tn_sb_printf(ob(r), " (type %u, code %u)\n", e->type, e->code);
	row(r, (enum tn_field)-1, "quotes", "the %s's segment %s → %s, seq %" PRIu32 ", %" PRIu32
	    " bytes of IP%s, %s %u", tn_role_key(ev->role), from, to, ev->rel_seq, e->quoted_len,
	    e->family == 4 ? (e->quoted_df ? ", DF set" : ", DF clear") : "",
	    e->family == 4 ? "TTL" : "hop limit", e->quoted_ttl);
	icmp_rows(r, ev, buf, sizeof buf);
}

static void text_connection(struct tn_renderer *r, const struct tn_conn_view *cv,
			    const struct tn_comparison *cmp)
{
	if (r->opts.focus == TN_FOCUS_SUMMARY) {
		tn_text_summary_line(r->opts.out, cv, cmp);
		return;
	}
	if (r->opts.focus == TN_FOCUS_PROBLEMS && !tn_focus_report(state_of(r)->focus, cv))
		return;
	text_report(r, cv);
	if (cmp)
		text_comparison(r, cmp);
}

static void text_elsewhere(struct tn_renderer *r, uint64_t conn, uint64_t n)
{
	if (r->opts.focus == TN_FOCUS_PROBLEMS)
		tn_focus_elsewhere(state_of(r)->focus, conn, n);
}

/*
 * ASCII only: everything is written through a stream that spells non-ASCII
 * characters in ASCII. --problems: the table of connections and the stream
 * quiet lines are kept through.
 */
static int text_init(struct tn_renderer *r, char *errbuf, size_t errlen)
{
	struct text_state *st = state_of(r);
	tn_sb_init_out(&st->ob, st->obuf, sizeof st->obuf, r->opts.out);
	if (tn_render_ascii_out(r, &st->ascii, errbuf, errlen) < 0)
		return -1;
	if (r->opts.focus != TN_FOCUS_PROBLEMS)
		return 0;
	if (tn_focus_create(&st->focus, true, errbuf, errlen) < 0)
		return -1;
	st->scratch = open_memstream(&st->scratch_buf, &st->scratch_len);
	if (!st->scratch) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	return 0;
}

static void text_finish(struct tn_renderer *r)
{
	struct text_state *st = state_of(r);
	if (st->scratch)
		fclose(st->scratch);
	free(st->scratch_buf);
	tn_focus_destroy(st->focus);
	if (st->ascii)
		fclose(st->ascii);
}

/* The sentence is shown in the full breakdown only (-q and --summary have no room for it). */
static bool text_needs_note(const struct tn_renderer *r)
{
	return r->opts.focus != TN_FOCUS_SUMMARY && r->opts.detail > TN_DETAIL_QUIET;
}

/*
 * The entry points: each writes what it built before it returns, so the
 * output buffer is empty between calls and nothing is held back from a
 * stream that another writer shares.
 */
static void on_begin(struct tn_renderer *r, const struct tn_run_info *run)
{
	text_begin(r, run);
	flush(r);
}

static void on_segment(struct tn_renderer *r, const struct tn_segment *seg)
{
	text_segment(r, seg);
	flush(r);
}

static void on_skip(struct tn_renderer *r, const struct tn_skip *s)
{
	text_skip(r, s);
	flush(r);
}

static void on_state(struct tn_renderer *r, const struct tn_state_event *ev)
{
	text_state(r, ev);
	flush(r);
}

static void on_correction(struct tn_renderer *r, const struct tn_correction *c)
{
	text_correction(r, c);
	flush(r);
}

static void on_icmp(struct tn_renderer *r, const struct tn_icmp_event *ev)
{
	text_icmp(r, ev);
	flush(r);
}

static void on_connection(struct tn_renderer *r, const struct tn_conn_view *cv,
			  const struct tn_comparison *cmp)
{
	text_connection(r, cv, cmp);
	flush(r);
}

static void on_end(struct tn_renderer *r, const struct tn_summary *sum)
{
	text_end(r, sum);
	flush(r);
}

const struct tn_render_ops tn_render_text_ops = {
	.name = "text",
	.state_size = sizeof(struct text_state),
	.init = text_init,
	.finish = text_finish,
	.begin = on_begin,
	.segment = on_segment,
	.skip = on_skip,
	.state = on_state,
	.correction = on_correction,
	.icmp = on_icmp,
	.connection = on_connection,
	.elsewhere = text_elsewhere,
	.end = on_end,
	.needs_note = text_needs_note,
};
