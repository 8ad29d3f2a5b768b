/*
 * segment.c — the plain-language sentence for a segment, and what each flag
 * means where it is set.
 *
 * The sentence says what the segment does — open, accept, carry data,
 * acknowledge, close, abort — in the order a reader asks about it. Numbers in
 * it are relative, as in the rest of the narration; the SYN's sequence number
 * is given raw because that is the ISN being announced (RFC 9293 §3.4.1).
 */
#define _POSIX_C_SOURCE 200809L
#include <tcpnarrate/analysis.h>
#include <tcpnarrate/community_id.h>
#include <tcpnarrate/seq.h>

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* v in decimal at p (room for 10; 5 for a port); returns the digits written. */
static size_t put_dec(char *p, unsigned v)
{
	char d[10];
	size_t n = 0, i = 0;
	do {
		d[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		p[i++] = d[--n];
	return i;
}

/*
 * Dotted decimal, as inet_ntop writes it: every address of every segment
 * goes through here, and inet_ntop's own formatting is a printf. buf holds
 * INET_ADDRSTRLEN.
 */
static void ipv4_str(const uint8_t a[4], char *buf)
{
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		if (i)
			buf[n++] = '.';
		n += put_dec(buf + n, a[i]);
	}
	buf[n] = '\0';
}

/* The longest run of two or more zero groups (the first of equals), or len 0. */
static void zero_run(const uint16_t w[8], int *base, int *len)
{
	*base = -1;
	*len = 0;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && w[j] == 0)
			j++;
		if (j - i > *len) {
			*base = i;
			*len = j - i;
		}
		i = j == i ? i + 1 : j;
	}
	if (*len < 2)
		*len = 0;
}

/*
 * An IPv6 address as glibc's inet_ntop writes it (RFC 5952's form): hex
 * groups without leading zeros, the longest run of zero groups as "::",
 * and the last 32 bits dotted when the address is IPv4-compatible
 * (::a.b.c.d) or IPv4-mapped (::ffff:a.b.c.d). inet_ntop formats each group
 * with sprintf, which was 3% of --summary on a capture of many IPv6
 * connections. buf holds INET6_ADDRSTRLEN.
 */
static void ipv6_str(const uint8_t a[16], char *buf)
{
	static const char hex[] = "0123456789abcdef";
	uint16_t w[8];
	for (int i = 0; i < 8; i++)
		w[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
	int base, len;
	zero_run(w, &base, &len);
	size_t n = 0;
	for (int i = 0; i < 8; i++) {
		if (len && i >= base && i < base + len) {
			if (i == base)
				buf[n++] = ':';
			continue;
		}
		if (i)
			buf[n++] = ':';
		if (i == 6 && base == 0 && (len == 6 || (len == 5 && w[5] == 0xffff))) {
			ipv4_str(a + 12, buf + n);
			return;
		}
		for (int sh = 12, lead = 1; sh >= 0; sh -= 4) {
			unsigned d = (w[i] >> sh) & 0xfu;
			if (d || !lead || sh == 0) {
				buf[n++] = hex[d];
				lead = 0;
			}
		}
	}
	if (len && base + len == 8)
		buf[n++] = ':';
	buf[n] = '\0';
}

/*
 * An address of family 4 or 6 as inet_ntop writes it, by hand when buf has
 * room for any address of the family; "?" for another family, or when it
 * does not fit: never left unset.
 */
static void addr_text(int family, const uint8_t *a, char *buf, size_t len)
{
	const char *ok = NULL;
	if (family == 4 && len >= INET_ADDRSTRLEN) {
		ipv4_str(a, buf);
		return;
	}
	if (family == 6 && len >= INET6_ADDRSTRLEN) {
		ipv6_str(a, buf);
		return;
	}
	if (family == 4 || family == 6)
		ok = inet_ntop(family == 4 ? AF_INET : AF_INET6, a, buf, (socklen_t)len);
	if (!ok && len)
		snprintf(buf, len, "?");
}

void tn_addr_str(const struct tn_packet *pkt, bool src, char *buf, size_t len)
{
	bool v4 = pkt->ip_version == 4;
	addr_text(pkt->ip_version, v4 ? (src ? pkt->ip4.src : pkt->ip4.dst)
				      : (src ? pkt->ip6.src : pkt->ip6.dst), buf, len);
}

/*
 * a+1 holds an address: "[addr]:port" for IPv6, "addr:port" else, built in
 * place after a[0] (a has room for the address and 10 more), then copied
 * to buf, cut as snprintf would cut it.
 */
static void endpoint_join(char *a, bool v6, unsigned port, char *buf, size_t len)
{
	size_t n = 1 + strlen(a + 1);
	char *start = a + 1;
	if (v6) {
		a[0] = '[';
		a[n++] = ']';
		start = a;
	}
	a[n++] = ':';
	n += put_dec(a + n, port);
	n -= (size_t)(start - a);
	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(buf, start, n);
	buf[n] = '\0';
}

void tn_endpoint_str(const struct tn_packet *pkt, bool src, char *buf, size_t len)
{
	char a[TN_ADDR_STRLEN + 10];
	tn_addr_str(pkt, src, a + 1, TN_ADDR_STRLEN);
	endpoint_join(a, pkt->ip_version == 6, src ? pkt->tcp.sport : pkt->tcp.dport, buf, len);
}

const uint16_t tn_flag_order[] = { TN_TH_FIN, TN_TH_SYN, TN_TH_RST, TN_TH_PSH, TN_TH_ACK,
				    TN_TH_URG, TN_TH_ECE, TN_TH_CWR, TN_TH_AE, 0 };

void tn_key_endpoint(const struct tn_flow_key *key, int side, struct tn_endpoint *out)
{
	memset(out, 0, sizeof *out);
	out->family = key->family;
	memcpy(out->addr, key->addr[side], key->family == 4 ? 4 : 16);
	out->port = key->port[side];
}

void tn_endpoint_addr(const struct tn_endpoint *ep, char *buf, size_t len)
{
	addr_text(ep->family == 4 ? 4 : 6, ep->addr, buf, len);
}

void tn_endpoint_format(const struct tn_endpoint *ep, char *buf, size_t len)
{
	char a[TN_ADDR_STRLEN + 10];
	tn_endpoint_addr(ep, a + 1, TN_ADDR_STRLEN);
	endpoint_join(a, ep->family != 4, ep->port, buf, len);
}

const char *tn_role_key(enum tn_role role)
{
	return role == TN_ROLE_CLIENT ? "client" : "server";
}

/* The role of side `side`, or -1 for none. */
static int role_of(int side, int client)
{
	return side < 0 ? -1 : side == client ? TN_ROLE_CLIENT : TN_ROLE_SERVER;
}

void tn_analysis_conn_view(const struct tn_conn_report *rep, const struct tn_flow_key *key,
			   const struct tn_analysis_conn *ac, struct tn_conn_view *out)
{
	const struct tn_track_conn *c = rep->conn;
	int side_of_role[2] = { rep->client, !rep->client };
	memset(out, 0, sizeof *out);
	out->id = c->id;
	for (int role = 0; role < 2; role++) {
		const struct tn_track_side *s = &c->side[side_of_role[role]];
		tn_key_endpoint(key, side_of_role[role], &out->ep[role]);
		out->final_state[role] = s->state;
		out->segments[role] = s->segments;
		out->payload_bytes[role] = s->payload_bytes;
		out->count[role] = ac->side[side_of_role[role]].count;
		out->timing[role] = ac->side[side_of_role[role]].timing;
		if (out->count[role].zero_since_ns >= 0) /* still at zero when it ended */
			out->count[role].zero_window_ns += c->last_ns - out->count[role].zero_since_ns;
	}
	out->roles_inferred = c->roles_inferred;
	out->port_reused = c->port_reused;
	out->why = rep->why;
	out->how = rep->how;
	out->closed_first = role_of(c->closed_first, rep->client);
	out->rst_by = role_of(c->rst_by, rep->client);
	out->time_wait = rep->time_wait_side == 2 ? 2 : role_of(rep->time_wait_side, rep->client);
	out->duration = rep->duration;
	out->time_wait_sec = rep->time_wait_sec;
	tn_community_id(key, 0, out->community_id, sizeof out->community_id);
	out->tunnel = key->tunnel;
	out->capture_point = tn_capture_point(ac);
	out->leg_server_ns = ac->leg_server_ns;
	out->leg_client_ns = ac->leg_client_ns;
	out->legs_known = ac->synack_ns && ac->leg_client_done;
	out->first_ns = c->first_ns;
	out->conn_state = tn_zeek_conn_state(&ac->zeek, c->established);
	memcpy(out->history, ac->zeek.history, ac->zeek.len);
	out->history[ac->zeek.len] = '\0';
	out->icmp = ac->icmp;
}

static const struct flag_name {
	uint16_t bit;
	const char *name;
} flag_names[] = {
	{ TN_TH_AE, "AE" },
	{ TN_TH_CWR, "CWR" },
	{ TN_TH_ECE, "ECE" },
	{ TN_TH_URG, "URG" },
	{ TN_TH_ACK, "ACK" },
	{ TN_TH_PSH, "PSH" },
	{ TN_TH_RST, "RST" },
	{ TN_TH_SYN, "SYN" },
	{ TN_TH_FIN, "FIN" },
	{ 0, NULL },
};

const char *tn_flag_name(uint16_t flag)
{
	for (const struct flag_name *f = flag_names; f->name; f++)
		if (f->bit == flag)
			return f->name;
	return "?";
}

/* The three ECN bits: in a SYN they negotiate (RFC 3168 §6.1.1, RFC 9768), later they signal. */
/* After an AccECN handshake (RFC 9768 §3.2.2): the three bits are one counter. */
unsigned tn_ace(uint16_t flags)
{
	return ((flags & TN_TH_AE) ? 4u : 0u) | ((flags & TN_TH_CWR) ? 2u : 0u) |
	       ((flags & TN_TH_ECE) ? 1u : 0u);
}

/* n bytes of s at buf + at, as much as fits before the terminator; at + n. */
static size_t put_cut(char *buf, size_t len, size_t at, const char *s, size_t n)
{
	if (at + 1 < len)
		memcpy(buf + at, s, n < len - 1 - at ? n : len - 1 - at);
	return at + n;
}

/* Does fmt use only %s and %u? */
static bool only_s_u(const char *fmt)
{
	for (const char *p = strchr(fmt, '%'); p; p = strchr(p + 2, '%'))
		if (p[1] != 's' && p[1] != 'u')
			return false;
	return true;
}

/*
 * vsnprintf() for the sentences' two conversions, %s and %u: the same
 * bytes, the same cut and the same count (len > 0). A dozen of these build
 * every segment's sentence, and printf's machinery was a tenth of the
 * default text mode, with the flags' meanings. Any other format goes to
 * vsnprintf.
 */
static int format_s_u(char *buf, size_t len, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static int format_s_u(char *buf, size_t len, const char *fmt, va_list ap)
{
	if (!only_s_u(fmt))
		return vsnprintf(buf, len, fmt, ap);
	size_t at = 0;
	for (const char *p = fmt; *p;) {
		const char *pct = strchr(p, '%');
		size_t lit = pct ? (size_t)(pct - p) : strlen(p);
		at = put_cut(buf, len, at, p, lit);
		if (!pct)
			break;
		if (pct[1] == 's') {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = "(null)"; /* as glibc's printf */
			at = put_cut(buf, len, at, str, strlen(str));
		} else {
			char d[10];
			at = put_cut(buf, len, at, d, put_dec(d, va_arg(ap, unsigned)));
		}
		p = pct + 2;
	}
	buf[at < len ? at : len - 1] = '\0';
	return (int)at;
}

/* snprintf() through format_s_u(). */
static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t len, const char *fmt, ...)
{
	if (!len)
		return;
	va_list ap;
	va_start(ap, fmt);
	format_s_u(buf, len, fmt, ap);
	va_end(ap);
}

static void ace_meaning(uint16_t flags, char *buf, size_t len)
{
	unsigned ace = tn_ace(flags);
	say(buf, len, "part of the ACE field (AE CWR ECE = %u): Accurate ECN was agreed, so "
		 "these bits count, modulo 8, the congestion-marked packets this side has received; "
		 "they are not the classic ECN flags", ace);
}

static void ecn_flag_meaning(uint16_t flag, bool syn, bool ack, char *buf, size_t len)
{
	switch (flag) {
	case TN_TH_ECE:
		if (syn && !ack)
			say(buf, len, "with CWR, asks to use Explicit Congestion Notification");
		else if (syn)
			say(buf, len, "agrees to use Explicit Congestion Notification");
		else
			say(buf, len, "echoes a congestion mark (RFC 3168 §6.1.3): a router "
				 "flagged congestion on data that came the other way, so the other "
				 "side, which sent that data, should slow down, not this segment's "
				 "sender");
		break;
	case TN_TH_CWR:
		if (syn)
			say(buf, len, "part of the ECN request in the handshake");
		else
			say(buf, len, "the sender has cut its congestion window in answer to "
				 "an ECN echo");
		break;
	case TN_TH_AE:
		if (syn)
			say(buf, len, "with CWR and ECE, asks for Accurate ECN feedback");
		else
			say(buf, len, "Accurate ECN: the top bit of a counter of "
				 "congestion-marked packets");
		break;
	default:
		break;
	}
}

void tn_flag_meaning(uint16_t flag, const struct tn_segment *seg, char *buf, size_t len)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	bool syn = t->flags & TN_TH_SYN, ack = t->flags & TN_TH_ACK;
	switch (flag) {
	case TN_TH_SYN:
		if (ack)
			say(buf, len, "agrees to open the connection and announces its own "
				 "initial sequence number, %u", t->seq);
		else
			say(buf, len, "asks to open a connection; its initial sequence number "
				 "is %u", t->seq);
		break;
	case TN_TH_ACK:
		if (seg->track.ack_base_is_isn && seg->track.rel_ack == 1)
			say(buf, len, "the other side's SYN has arrived but none of its data "
				 "yet; byte 1 is the next one expected");
		else
			say(buf, len, "every byte before %u from the other side has arrived; "
				 "%u is the next one expected", seg->track.rel_ack, seg->track.rel_ack);
		break;
	case TN_TH_PSH:
		say(buf, len, "asks the receiver to hand the data to the application now "
			 "rather than wait for more");
		break;
	case TN_TH_FIN:
		say(buf, len, "the sender has no more data to send and closes its direction; "
			 "the FIN takes sequence number %u",
			 seg->track.rel_seq + (syn ? 1u : 0u) + seg->pkt->payload_len);
		break;
	case TN_TH_RST:
		say(buf, len, "aborts the connection at once: no closing exchange, and any "
			 "data not yet delivered is thrown away");
		break;
	case TN_TH_URG:
		say(buf, len, "urgent data: the urgent pointer (%u) marks where it ends",
			 t->urgent);
		break;
	case TN_TH_ECE:
	case TN_TH_CWR:
	case TN_TH_AE:
		if (seg->accecn)
			ace_meaning(t->flags, buf, len);
		else
			ecn_flag_meaning(flag, syn, ack, buf, len);
		break;
	default:
		say(buf, len, "unknown flag");
	}
}

/* Appends to a sentence being built; a full buffer just ends it. */
static void add(char *buf, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	if (*used >= len)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = format_s_u(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n;
}

/* "byte 5" or "bytes 5 to 9": an inclusive range of sequence numbers. */
static void add_range(char *b, size_t n, size_t *u, uint32_t first, uint32_t last)
{
	if (first == last)
		add(b, n, u, "byte %u", first);
	else
		add(b, n, u, "bytes %u to %u", first, last);
}

/*
 * SACK blocks in words (RFC 2018): which of the peer's bytes the receiver
 * holds beyond the ACK, and so which it is missing. A first block at or
 * below the ACK, or inside the second, is a D-SACK (RFC 2883 §4): bytes
 * that arrived twice, so the copy sent again was not needed. Ranges are
 * inclusive here; the option's right edges are exclusive.
 */
static void sack_sentence(char *b, size_t n, size_t *u, const struct tn_track_view *v)
{
	unsigned i = 0;
	bool dsack = tn_seq_leq(v->sack_rel_right[0], v->rel_ack) ||
		     (v->n_sack > 1 && tn_seq_geq(v->sack_rel_left[0], v->sack_rel_left[1]) &&
		      tn_seq_leq(v->sack_rel_right[0], v->sack_rel_right[1]));
	if (dsack) {
		bool one = v->sack_rel_right[0] - v->sack_rel_left[0] == 1;
		add(b, n, u, " D-SACK: ");
		add_range(b, n, u, v->sack_rel_left[0], v->sack_rel_right[0] - 1);
		add(b, n, u, " reached the receiver twice, so sending %s again was not needed.",
		    one ? "it" : "them");
		i = 1;
	}
	if (i >= v->n_sack)
		return;
	uint32_t lowest = v->sack_rel_left[i];
	bool one_byte = v->n_sack == i + 1 && v->sack_rel_right[i] - v->sack_rel_left[i] == 1;
	add(b, n, u, " Its SACK blocks say the receiver also holds %s", one_byte ? "byte" : "bytes");
	for (unsigned k = i; k < v->n_sack; k++) {
		uint32_t first = v->sack_rel_left[k], last = v->sack_rel_right[k] - 1;
		add(b, n, u, "%s %u", k > i ? "," : "", first);
		if (last != first)
			add(b, n, u, " to %u", last);
		if (tn_seq_lt(first, lowest))
			lowest = first;
	}
	if (tn_seq_gt(lowest, v->rel_ack)) {
		add(b, n, u, ", so it is still missing ");
		add_range(b, n, u, v->rel_ack, lowest - 1);
	}
	add(b, n, u, ".");
}

/*
 * What a reset means where it comes (RFC 9293 §3.5.2, §3.10.7): read from
 * the states both sides were in before it and what the tracker made of it.
 */
static const char *reset_meaning(const struct tn_track_view *v)
{
	int me = v->side, peer = !v->side;
	uint8_t mine = v->before[me], theirs = v->before[peer];
	if (v->why[me] == TN_WHY_NOT_LISTENING || v->why[peer] == TN_WHY_REFUSED)
		return "Nothing listens on that port (or a firewall answers for it): the connection "
		       "is refused.";
	if (v->why[peer] == TN_WHY_RST_IGNORED)
		return "Its sequence number is outside the receiver's window, so the receiver "
		       "ignores it (RFC 5961 §3.2).";
	if (v->why[peer] == TN_WHY_RST_CHALLENGED)
		return "It is in the window but not exactly at the next expected byte, so the "
		       "receiver answers with a challenge ACK instead of closing (RFC 5961 §3.2).";
	if (mine == TN_ST_CLOSED || mine == TN_ST_TIME_WAIT || mine == TN_ST_LISTEN)
		return "Its sender has no connection for this segment any more: a late or "
		       "unexpected segment is answered with a reset.";
	if (theirs == TN_ST_CLOSE_WAIT || theirs == TN_ST_LAST_ACK || mine == TN_ST_FIN_WAIT_1 ||
	    mine == TN_ST_FIN_WAIT_2)
		return "It comes during the close: typically an application that closed its socket "
		       "with data still unread, or that data arrived after it closed.";
	if (mine == TN_ST_SYN_SENT || mine == TN_ST_SYN_RECEIVED)
		return "The handshake is abandoned.";
	return "In the middle of an open connection: the application aborted it (a close "
	       "with SO_LINGER 0, a crash), or a middlebox cut it; data in flight is lost.";
}

void tn_analysis_segment(struct tn_segment *seg)
{
	const struct tn_packet *pkt = seg->pkt;
	const struct tn_tcp *t = &pkt->tcp;
	const struct tn_track_view *v = &seg->track;
	char from[TN_ADDR_STRLEN + 10], to[TN_ADDR_STRLEN + 10];
	char *b = seg->note;
	size_t n = sizeof seg->note, u = 0;
	bool syn = t->flags & TN_TH_SYN, ack = t->flags & TN_TH_ACK;
	bool fin = t->flags & TN_TH_FIN, rst = t->flags & TN_TH_RST;
	uint32_t data_start = v->rel_seq + (syn ? 1u : 0u);

	tn_endpoint_str(pkt, true, from, sizeof from);
	tn_endpoint_str(pkt, false, to, sizeof to);
	b[0] = '\0';

	if (rst) {
		add(b, n, &u, "%s aborts the connection with %s (RST)", from, to);
		if (ack)
			add(b, n, &u, ", having received everything before byte %u", v->rel_ack);
		add(b, n, &u, ". %s", reset_meaning(v));
		return;
	}
	if (syn && v->why[v->side] == TN_WHY_SYN_CHALLENGED) {
		add(b, n, &u, "%s sends a SYN with a new initial sequence number (%u) inside the "
		    "open connection: nothing reopens; %s answers it with a challenge ACK (RFC "
		    "5961 §4).", from, t->seq, to);
		return;
	}
	if (syn && !ack)
		add(b, n, &u, "%s asks %s to open a connection, starting its byte count at %u",
		    from, to, t->seq);
	else if (syn)
		add(b, n, &u, "%s accepts the connection from %s, acknowledging its SYN and "
		    "starting its own byte count at %u", from, to, t->seq);
	if (pkt->payload_len) {
		add(b, n, &u, u ? "; it also carries " : "%s sends ", from);
		add(b, n, &u, "%u byte%s of data (", pkt->payload_len,
		    pkt->payload_len == 1 ? "" : "s");
		add_range(b, n, &u, data_start, data_start + pkt->payload_len - 1);
		add(b, n, &u, ")");
	}
	if (fin)
		add(b, n, &u, u ? " and closes its sending direction (FIN)" :
		    "%s has nothing more to send and closes its direction (FIN)", from);
	if (ack && !syn) {
		if (u)
			add(b, n, &u, ", acknowledging everything before byte %u", v->rel_ack);
		else
			add(b, n, &u, "%s acknowledges everything before byte %u, carrying no data",
			    from, v->rel_ack);
	}
	if (!u)
		add(b, n, &u, "%s sends a segment with no data and no ACK", from);
	add(b, n, &u, ".");
	if (!syn && t->window == 0 && !rst)
		add(b, n, &u, " Its window is zero: the sender of this segment cannot take "
		    "any more data for now.");
	if (v->n_sack)
		sack_sentence(b, n, &u, v);
}
