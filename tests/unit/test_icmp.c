/*
 * test_icmp.c — ICMP and ICMPv6 errors that quote TCP (src/decode/icmp.c)
 * and what they mean for a connection (src/analysis/icmp.c).
 *
 * Decoding is table-driven: each row builds an error frame with pktbuild
 * (Ethernet, IP, the ICMP header, the quoted packet), runs it through
 * tn_decode() and tn_decode_icmp_error(), and says whether it must be read
 * and what it must say: kind, MTU, the quoted ports and sequence number.
 * Rows that must be refused are errors we do not narrate (echo), quotes of
 * something else (UDP, a later fragment) and quotes too short to hold the
 * ports and sequence number. The sequence check is tested on a hand-made
 * tracked connection, each row a place for the quoted number.
 */
#include <tcpnarrate/icmp.h>

#include <string.h>

#include "pktbuild.h"
#include "unit.h"

#define SEQ 0x11223344u

enum quote { Q_TCP, Q_TCP8, Q_TCP7, Q_UDP, Q_LATER_FRAG, Q_HOPOPTS };

static const struct icmp_case {
	const char *name;
	bool v6;
	uint8_t type, code;
	uint32_t word;           /* the ICMP header's second word */
	enum quote quote;
	int cut;                 /* bytes cut off the end of the frame */
	bool ok;                 /* read as an error quoting TCP */
	enum tn_icmp_kind kind;
	uint32_t mtu;
} icmp_cases[] = {
	{ "v4 port unreachable", false, 3, 3, 0, Q_TCP, 0, true, TN_ICMP_PORT_UNREACH, 0 },
	{ "v4 fragmentation needed", false, 3, 4, 1400, Q_TCP, 0, true, TN_ICMP_FRAG_NEEDED, 1400 },
	{ "v4 frag needed, no MTU", false, 3, 4, 0, Q_TCP, 0, true, TN_ICMP_FRAG_NEEDED, 0 },
	{ "v4 host unreachable, 8 bytes", false, 3, 1, 0, Q_TCP8, 0, true, TN_ICMP_HOST_UNREACH, 0 },
	{ "v4 net unreachable", false, 3, 0, 0, Q_TCP, 0, true, TN_ICMP_NET_UNREACH, 0 },
	{ "v4 admin prohibited", false, 3, 13, 0, Q_TCP, 0, true, TN_ICMP_ADMIN_PROHIBITED, 0 },
	{ "v4 protocol unreachable", false, 3, 2, 0, Q_TCP, 0, true, TN_ICMP_PROTO_UNREACH, 0 },
	{ "v4 source route failed", false, 3, 5, 0, Q_TCP, 0, true, TN_ICMP_UNREACH_OTHER, 0 },
	{ "v4 TTL exceeded", false, 11, 0, 0, Q_TCP, 0, true, TN_ICMP_TTL_EXCEEDED, 0 },
	{ "v4 reassembly timeout", false, 11, 1, 0, Q_TCP, 0, true, TN_ICMP_REASSEMBLY_TIMEOUT, 0 },
	{ "v4 echo request", false, 8, 0, 0, Q_TCP, 0, false, 0, 0 },
	{ "v4 quote of 7 TCP bytes", false, 3, 3, 0, Q_TCP7, 0, false, 0, 0 },
	{ "v4 quote of UDP", false, 3, 3, 0, Q_UDP, 0, false, 0, 0 },
	{ "v4 quote of a later fragment", false, 3, 3, 0, Q_LATER_FRAG, 0, false, 0, 0 },
	{ "v4 cut by the snapshot length", false, 3, 3, 0, Q_TCP8, 3, false, 0, 0 },
	{ "v6 packet too big", true, 2, 0, 1280, Q_TCP, 0, true, TN_ICMP_FRAG_NEEDED, 1280 },
	{ "v6 port unreachable", true, 1, 4, 0, Q_TCP, 0, true, TN_ICMP_PORT_UNREACH, 0 },
	{ "v6 no route", true, 1, 0, 0, Q_TCP, 0, true, TN_ICMP_NET_UNREACH, 0 },
	{ "v6 address unreachable", true, 1, 3, 0, Q_TCP, 0, true, TN_ICMP_HOST_UNREACH, 0 },
	{ "v6 admin prohibited", true, 1, 1, 0, Q_TCP, 0, true, TN_ICMP_ADMIN_PROHIBITED, 0 },
	{ "v6 hop limit exceeded", true, 3, 0, 0, Q_TCP, 0, true, TN_ICMP_TTL_EXCEEDED, 0 },
	{ "v6 quote with hop-by-hop", true, 1, 4, 0, Q_HOPOPTS, 0, true, TN_ICMP_PORT_UNREACH, 0 },
	{ "v6 quote of a later fragment", true, 1, 4, 0, Q_LATER_FRAG, 0, false, 0, 0 },
	{ "v6 echo request", true, 128, 0, 0, Q_TCP, 0, false, 0, 0 },
	{ NULL, false, 0, 0, 0, 0, 0, false, 0, 0 },
};

/* The packet the error quotes: a data segment from the default source, on port 80. */
static void quoted(struct pb *q, const struct icmp_case *c)
{
	struct pb_tcp t = pb_syn_default;
	t.seq = SEQ;
	t.opts = NULL;
	t.opts_len = 0;
	pb_init(q);
	if (c->v6) {
		pb_ipv6(q, &pb_ip6_default);
		if (c->quote == Q_HOPOPTS)
			pb_ip6_ext(q, 0, 8);
		if (c->quote == Q_LATER_FRAG)
			pb_ip6_frag(q, 1448, false, 7);
	} else {
		struct pb_ip4 ip = pb_ip4_default;
		if (c->quote == Q_LATER_FRAG)
			ip.frag = 1448 / 8;
		pb_ipv4(q, &ip);
	}
	if (c->quote == Q_UDP)
		pb_udp(q, 5353, 53);
	else
		pb_tcp(q, &t);
	pb_payload(q, "data", 4);
	pb_finish(q);
	if (c->quote == Q_TCP8 || c->quote == Q_TCP7)
		q->len = q->l4 + (c->quote == Q_TCP8 ? 8 : 7);
}

static uint32_t error_frame(struct pb *k, const struct icmp_case *c)
{
	struct pb q;
	quoted(&q, c);
	pb_init(k);
	if (c->v6) {
		struct pb_ip6 ip = pb_ip6_default; /* from the quoted packet's receiver */
		memcpy(ip.src, pb_ip6_default.dst, 16);
		memcpy(ip.dst, pb_ip6_default.src, 16);
		pb_eth(k, 0x86dd);
		pb_ipv6(k, &ip);
		pb_proto(k, 58, 8);
	} else {
		struct pb_ip4 ip = pb_ip4_default;
		memcpy(ip.src, pb_ip4_default.dst, 4);
		memcpy(ip.dst, pb_ip4_default.src, 4);
		ip.frag = 0;
		pb_eth(k, 0x0800);
		pb_ipv4(k, &ip);
		pb_proto(k, 1, 8);
	}
	pb_put8(k, k->l4, c->type);
	pb_put8(k, k->l4 + 1, c->code);
	pb_put32(k, k->l4 + 4, c->word);
	pb_payload(k, q.b, q.len);
	pb_finish(k);
	return (uint32_t)k->len - (uint32_t)c->cut;
}

START_TEST(test_icmp_table)
{
	const struct icmp_case *c = &icmp_cases[_i];
	static struct tn_packet pkt;
	struct pb k;
	struct tn_icmp_error e;
	uint32_t len = error_frame(&k, c);
	memset(&pkt, 0x5a, sizeof pkt);
	memset(&e, 0x5a, sizeof e);
	ck_assert_int_eq(tn_decode(1, k.b, len, len, &pkt), TN_DEC_NOT_TCP);
	int rc = tn_decode_icmp_error(&pkt, k.b, len, &e);
	ck_assert_msg((rc == 0) == c->ok, "%s: rc %d", c->name, rc);
	if (!c->ok)
		return;
	ck_assert_int_eq(e.family, c->v6 ? 6 : 4);
	ck_assert_msg(e.kind == c->kind, "%s: kind %s", c->name, tn_icmp_kind_key(e.kind));
	ck_assert_uint_eq(e.mtu, c->mtu);
	ck_assert_uint_eq(e.sport, pb_syn_default.sport);
	ck_assert_uint_eq(e.dport, pb_syn_default.dport);
	ck_assert_uint_eq(e.seq, SEQ);
	ck_assert_int_eq(memcmp(e.src, c->v6 ? pb_ip6_default.src : pb_ip4_default.src,
				c->v6 ? 16 : 4), 0);
	ck_assert_int_eq(memcmp(e.reporter, c->v6 ? pb_ip6_default.dst : pb_ip4_default.dst,
				c->v6 ? 16 : 4), 0);
}
END_TEST

/* ---------------------------------------------------------------- sequence check */

static const struct seq_case {
	const char *name;
	bool known;              /* the sender's numbers are known */
	uint32_t quoted;         /* relative to the sender's ISN (1000) */
	enum tn_icmp_seq want;
} seq_cases[] = {
	{ "nothing known", false, 5, TN_ICMP_SEQ_UNKNOWN },
	{ "first unacknowledged byte", true, 101, TN_ICMP_SEQ_IN_FLIGHT },
	{ "inside the flight", true, 150, TN_ICMP_SEQ_IN_FLIGHT },
	{ "SND.NXT itself (a pure ACK)", true, 201, TN_ICMP_SEQ_IN_FLIGHT },
	{ "already acknowledged", true, 100, TN_ICMP_SEQ_ACKED },
	{ "never sent", true, 202, TN_ICMP_SEQ_NOT_SENT },
	{ "far beyond, across the wrap", true, 0x90000000u, TN_ICMP_SEQ_ACKED },
	{ NULL, false, 0, 0 },
};

START_TEST(test_seq_table)
{
	const struct seq_case *c = &seq_cases[_i];
	struct tn_track_conn tc;
	struct tn_flow_key key;
	struct tn_icmp_error e = { .family = 4, .kind = TN_ICMP_TTL_EXCEEDED, .sport = 40000,
				   .dport = 80 };
	struct tn_icmp_event ev;
	memcpy(e.src, pb_ip4_default.src, 4);
	memcpy(e.dst, pb_ip4_default.dst, 4);
	int side = tn_flow_key_from(4, e.src, e.dst, 40000, 80, &key);
	memset(&tc, 0, sizeof tc);
	tc.id = 7;
	tc.client = (int8_t)side;
	tc.side[side].base = 1000;
	tc.side[side].snd_nxt = 1000 + 201;
	tc.side[side].snd_nxt_set = c->known;
	tc.side[side].state = TN_ST_ESTABLISHED;
	tc.side[!side].last_ack = 1000 + 101;
	tc.side[!side].ack_sent = true;
	e.seq = 1000 + c->quoted;
	tn_icmp_event_make(&e, &key, &tc, &ev);
	ck_assert_msg(ev.seq_check == c->want, "%s: %s", c->name, tn_icmp_seq_key(ev.seq_check));
	ck_assert_int_eq(ev.role, TN_ROLE_CLIENT);
	ck_assert_uint_eq(ev.rel_seq, c->quoted);
	ck_assert_uint_eq(ev.conn, 7);
	ck_assert_uint_eq(ev.from.port, 40000);
	ck_assert_int_eq(ev.sender_state, TN_ST_ESTABLISHED);
}
END_TEST

/* The segment size left under an MTU, and a quote that fits the MTU it names. */
START_TEST(test_frag_needed_sizes)
{
	struct tn_track_conn tc;
	struct tn_flow_key key;
	struct tn_icmp_event ev;
	struct tn_icmp_error e = { .family = 6, .kind = TN_ICMP_FRAG_NEEDED, .mtu = 1280,
				   .quoted_len = 1500, .sport = 80, .dport = 40000 };
	memcpy(e.src, pb_ip6_default.dst, 16);
	memcpy(e.dst, pb_ip6_default.src, 16);
	tn_flow_key_from(6, e.src, e.dst, 80, 40000, &key);
	memset(&tc, 0, sizeof tc);
	tn_icmp_event_make(&e, &key, &tc, &ev);
	ck_assert_uint_eq(ev.mss_after, 1220);
	ck_assert(!ev.too_small_quote);
	e.family = 4;
	memcpy(e.src, pb_ip4_default.dst, 4);
	memcpy(e.dst, pb_ip4_default.src, 4);
	e.quoted_len = 576;
	e.mtu = 1400;
	tn_flow_key_from(4, e.src, e.dst, 80, 40000, &key);
	tn_icmp_event_make(&e, &key, &tc, &ev);
	ck_assert_uint_eq(ev.mss_after, 1360);
	ck_assert(ev.too_small_quote);
	ck_assert_str_eq(tn_icmp_kind_text(&e), "fragmentation needed");
}
END_TEST

/*
 * A connection's tally: an error is shown short when the connection's last
 * one explained in full was of its kind, whatever came between for others.
 */
START_TEST(test_note_tally)
{
	struct tn_icmp_seen seen;
	struct tn_icmp_event ev;
	struct tn_icmp_error frag = { .family = 4, .kind = TN_ICMP_FRAG_NEEDED, .mtu = 1400 };
	struct tn_icmp_error port = { .family = 4, .kind = TN_ICMP_PORT_UNREACH };
	memset(&seen, 0, sizeof seen);
	tn_icmp_note(&seen, 100, &frag, 110, &ev);
	ck_assert_uint_eq(ev.repeat_of, 0);
	frag.mtu = 1280;
	tn_icmp_note(&seen, 100, &frag, 112, &ev);
	ck_assert_uint_eq(ev.repeat_of, 110);       /* the first, in full, is the one referred to */
	tn_icmp_note(&seen, 100, &frag, 113, &ev);
	ck_assert_uint_eq(ev.repeat_of, 110);
	tn_icmp_note(&seen, 100, &port, 114, &ev);
	ck_assert_uint_eq(ev.repeat_of, 0);          /* another kind: in full */
	tn_icmp_note(&seen, 100, &frag, 115, &ev);
	ck_assert_uint_eq(ev.repeat_of, 0);          /* the last in full was the port's */
	ck_assert_uint_eq(seen.total, 5);
	ck_assert_uint_eq(seen.kinds, (1u << TN_ICMP_FRAG_NEEDED) | (1u << TN_ICMP_PORT_UNREACH));
	ck_assert_uint_eq(seen.mtu_min, 1280);
	for (int i = 0; i < 70000; i++)              /* the count stops, it does not wrap */
		tn_icmp_note(&seen, 100, &port, 200, &ev);
	ck_assert_uint_eq(seen.total, 65535);
	ck_assert_str_eq(tn_icmp_kind_words(TN_ICMP_PORT_UNREACH, 4), "port unreachable");
}
END_TEST

static Suite *icmp_suite(void)
{
	Suite *s = suite_create("icmp");
	TCase *tc = tcase_create("decode");
	TN_ADD_TABLE_TEST(tc, test_icmp_table, icmp_cases);
	suite_add_tcase(s, tc);
	tc = tcase_create("analysis");
	TN_ADD_TABLE_TEST(tc, test_seq_table, seq_cases);
	tcase_add_test(tc, test_frag_needed_sizes);
	tcase_add_test(tc, test_note_tally);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tn_unit_run(icmp_suite());
}
