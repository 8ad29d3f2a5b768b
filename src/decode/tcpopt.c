/*
 * tcpopt.c — TCP options (RFC 9293 §3.2 and the RFCs of each kind).
 *
 * Options are a run of kind/length/value records in at most 40 bytes. Every
 * length byte is checked against what the header declares and what was
 * captured; the first bad one is reported and the walk stops there, because
 * after a bad length nothing later can be trusted to start where it seems to.
 * Known kinds must also have their specified length.
 */
#include "internal.h"

#define TFO_EXP_MAGIC 0xF989

/*
 * The value of each known kind, read from its body (len - 2 bytes); false
 * when the body does not fit the kind's format. Fixed lengths are checked
 * before these run.
 */
static bool mss_value(struct tn_tcp_option *o, struct tn_rd *b)
{
	o->u.mss = tn_rd_be16(b);
	return true;
}

static bool wscale_value(struct tn_tcp_option *o, struct tn_rd *b)
{
	o->u.shift = tn_rd_u8(b);
	return true;
}

static bool timestamp_value(struct tn_tcp_option *o, struct tn_rd *b)
{
	o->u.ts.val = tn_rd_be32(b);
	o->u.ts.ecr = tn_rd_be32(b);
	return true;
}

static bool sack_value(struct tn_tcp_option *o, struct tn_rd *b)
{
	size_t n = tn_rd_left(b);
	if (n == 0 || n % 8 != 0 || n / 8 > TN_MAX_SACK_BLOCKS)
		return false;
	o->u.sack.count = (uint8_t)(n / 8);
	for (unsigned i = 0; i < o->u.sack.count; i++) {
		o->u.sack.left[i] = tn_rd_be32(b);
		o->u.sack.right[i] = tn_rd_be32(b);
	}
	return true;
}

/* RFC 7413 §4.1.1: no cookie (a request) or 4 to 16 bytes, even. */
static bool tfo_cookie(struct tn_tcp_option *o, struct tn_rd *b)
{
	size_t n = tn_rd_left(b);
	if (n != 0 && (n < 4 || n > 16 || n % 2))
		return false;
	o->u.tfo.len = (uint8_t)n;
	tn_rd_copy(b, o->u.tfo.bytes, n);
	return true;
}

/* An experiment id first; Fast Open's is followed by the same cookie as kind 34. */
static bool experimental_value(struct tn_tcp_option *o, struct tn_rd *b)
{
	if (tn_rd_left(b) >= 2)
		o->exid = tn_rd_be16(b);
	if (o->exid != TFO_EXP_MAGIC)
		return true;
	if (!tfo_cookie(o, b))
		return false;
	o->u.tfo.experimental = true;
	return true;
}

static bool mptcp_value(struct tn_tcp_option *o, struct tn_rd *b)
{
	if (tn_rd_left(b) < 1)
		return false;
	o->u.mptcp.subtype = tn_rd_u8(b) >> 4;
	return true;
}

static bool ao_value(struct tn_tcp_option *o, struct tn_rd *b)
{
	if (tn_rd_left(b) < 2)
		return false;
	o->u.ao.keyid = tn_rd_u8(b);
	o->u.ao.rnextkeyid = tn_rd_u8(b);
	return true;
}

static bool uto_value(struct tn_tcp_option *o, struct tn_rd *b)
{
	uint16_t v = tn_rd_be16(b);
	o->u.uto.minutes = v & 0x8000;
	o->u.uto.timeout = v & 0x7fff;
	return true;
}

/* Rows in the order kinds are met most often: find_opt() runs on every option. */
static const struct opt_kind {
	uint8_t kind;
	const char *name;
	uint8_t fixed_len;   /* required length, 0 when variable */
	bool (*value)(struct tn_tcp_option *o, struct tn_rd *b); /* NULL: nothing to read */
} opt_kinds[] = {
	{ TN_OPT_TIMESTAMP, "timestamps", 10, timestamp_value },
	{ TN_OPT_SACK, "sack", 0, sack_value },
	{ TN_OPT_MSS, "mss", 4, mss_value },
	{ TN_OPT_WSCALE, "window_scale", 3, wscale_value },
	{ TN_OPT_SACK_PERM, "sack_permitted", 2, NULL },
	{ TN_OPT_NOP, "nop", 1, NULL },
	{ TN_OPT_EOL, "eol", 1, NULL },
	{ TN_OPT_MD5, "md5", 18, NULL },
	{ TN_OPT_UTO, "user_timeout", 4, uto_value },
	{ TN_OPT_AO, "tcp_ao", 0, ao_value },
	{ TN_OPT_MPTCP, "mptcp", 0, mptcp_value },
	{ TN_OPT_FASTOPEN, "fast_open", 0, tfo_cookie },
	{ TN_OPT_ACCECN0, "accecn0", 0, NULL },
	{ TN_OPT_ACCECN1, "accecn1", 0, NULL },
	{ TN_OPT_EXP1, "experimental", 0, experimental_value },
	{ TN_OPT_EXP2, "experimental", 0, experimental_value },
	{ 0, NULL, 0, NULL },
};

static const struct opt_kind *find_opt(uint8_t kind)
{
	for (const struct opt_kind *o = opt_kinds; o->name; o++)
		if (o->kind == kind)
			return o;
	return NULL;
}

const char *tn_tcpopt_name(const struct tn_tcp_option *o)
{
	if ((o->kind == TN_OPT_EXP1 || o->kind == TN_OPT_EXP2) && o->exid == TFO_EXP_MAGIC)
		return "fast_open";
	const struct opt_kind *n = find_opt(o->kind);
	return n ? n->name : "unknown";
}

/* The capture ended inside the options: what came before stands. */
static void stop_cut(struct tn_packet *pkt, uint16_t at)
{
	pkt->tcp.opts_stop = at;
}

/* A malformed option: report it and decode no further. */
static void stop_bad(struct tn_packet *pkt, uint16_t at, const char *what, unsigned kind,
		     unsigned len)
{
	pkt->tcp.opts_stop = at;
	pkt->tcp.opts_malformed = true;
	tn_packet_problem(pkt, TN_PROB_TCP_OPTION, pkt->tcp_offset + at,
			  "TCP option kind %u at header byte %u: length %u %s", kind, at, len, what);
}

/* Fills the value of an option from its body; false when the body does not fit its kind. */
static bool parse_value(const struct opt_kind *known, struct tn_tcp_option *o, struct tn_rd *b)
{
	if (!known || !known->value)
		return !b->err;
	/* Timestamps are on nearly every segment: a direct call the compiler can inline. */
	bool fits = known->value == timestamp_value ? timestamp_value(o, b) : known->value(o, b);
	return fits && !b->err;
}

/* What one option says about the walk: go on, stop after it, or stop before it. */
enum opt_step {
	OPT_NEXT,   /* counted; the next option follows */
	OPT_LAST,   /* counted; the walk ends here (end of option list) */
	OPT_STOP,   /* not counted: bad or cut, opts_stop is set */
};

/* One option record at the reader into *o, its length checked before its value is read. */
static enum opt_step one_option(struct tn_rd *r, size_t hdr_opt_len, struct tn_packet *pkt,
				struct tn_tcp_option *o)
{
	uint16_t at = (uint16_t)(20 + r->off);
	size_t declared_left = hdr_opt_len - r->off;
	uint8_t kind = tn_rd_u8(r);
	*o = (struct tn_tcp_option){ .kind = kind, .len = 1, .offset = at };
	if (kind == TN_OPT_NOP)
		return OPT_NEXT;
	if (kind == TN_OPT_EOL) {
		pkt->tcp.opts_stop = (uint16_t)(20 + hdr_opt_len);
		return OPT_LAST; /* the rest is padding */
	}
	if (declared_left < 2) {
		stop_bad(pkt, at, "(no room left for the length byte)", kind, 0);
		return OPT_STOP;
	}
	if (tn_rd_left(r) < 1) {
		stop_cut(pkt, at); /* cut by the capture */
		return OPT_STOP;
	}
	uint8_t len = tn_rd_u8(r);
	o->len = len;
	if (len < 2) {
		stop_bad(pkt, at, "is under the minimum of 2", kind, len);
		return OPT_STOP;
	}
	if (len > declared_left) {
		stop_bad(pkt, at, "runs past the end of the TCP header", kind, len);
		return OPT_STOP;
	}
	const struct opt_kind *known = find_opt(kind);
	if (known && known->fixed_len && len != known->fixed_len) {
		stop_bad(pkt, at, "is not the length this kind must have", kind, len);
		return OPT_STOP;
	}
	bool body_cut = false;
	struct tn_rd body = tn_rd_sub(r, len - 2u, &body_cut);
	if (body_cut) {
		stop_cut(pkt, at);
		return OPT_STOP;
	}
	if (!parse_value(known, o, &body)) {
		stop_bad(pkt, at, "does not fit this kind's format", kind, len);
		return OPT_STOP;
	}
	return OPT_NEXT;
}

void tn_decode_tcp_options(struct tn_rd *r, size_t hdr_opt_len, struct tn_packet *pkt)
{
	struct tn_tcp *t = &pkt->tcp;
	unsigned n = 0;    /* counted here, stored once: no trip through memory per option */
	enum opt_step step = OPT_NEXT;
	while (step == OPT_NEXT && tn_rd_left(r) > 0 && n < TN_MAX_TCP_OPTIONS) {
		step = one_option(r, hdr_opt_len, pkt, &t->opts[n]);
		if (step != OPT_STOP)
			n++;
	}
	t->n_opts = (uint8_t)n;
	if (step == OPT_NEXT)
		t->opts_stop = (uint16_t)(20 + r->off);
}
