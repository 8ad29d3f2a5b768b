/*
 * test_track.c — relative sequence numbers and window scaling
 * (include/tcpnarrate/track.h).
 *
 * Each case is a script: segments of one connection in order, each with the
 * view the tracker must give. Segments are struct tn_packet values filled by
 * hand (flags, numbers, window, a window-scale or SACK option); the view is
 * poisoned with 0xA5 before every call.
 *
 * Conventions checked (RFC 9293 §3.4, RFC 7323 §2, RFC 2018 §3): a side's
 * SYN is relative 0 and its first data byte 1; without a SYN the first
 * number seen counts as 1; a window is scaled only when both SYNs were seen
 * and both carried the option, never on a SYN, by the sender's own shift,
 * clamped to 14; SACK blocks count from the peer's origin.
 */
#include <tcpnarrate/track.h>

#include <string.h>

#include "unit.h"

#define C 0   /* the side that sends first in each script */
#define S 1
#define NO_WS (-1)

#define SYN TN_TH_SYN
#define ACK TN_TH_ACK
#define PSH TN_TH_PSH
#define FIN TN_TH_FIN

struct step {
	const char *what;
	int side;
	uint16_t flags;
	uint32_t seq, ack;
	uint16_t win;
	int ws;               /* window scale option value, NO_WS for none */
	uint32_t plen;
	/* the view */
	uint32_t rel_seq, rel_ack;
	bool known;
	int shift;
	uint64_t scaled;
	bool seq_isn, ack_isn;
};

static void make_segment(struct tn_packet *p, const struct step *s)
{
	memset(p, 0, sizeof *p);
	p->ip_version = 4;
	p->tcp.flags = s->flags;
	p->tcp.seq = s->seq;
	p->tcp.ack = s->ack;
	p->tcp.window = s->win;
	p->tcp.hdr_len = 20;
	p->payload_len = s->plen;
	if (s->ws != NO_WS) {
		p->tcp.opts[0] = (struct tn_tcp_option){ .kind = TN_OPT_NOP, .len = 1, .offset = 20 };
		p->tcp.opts[1] = (struct tn_tcp_option){ .kind = TN_OPT_WSCALE, .len = 3, .offset = 21,
							 .u.shift = (uint8_t)s->ws };
		p->tcp.n_opts = 2;
		p->tcp.hdr_len = 24;
	}
}

static const struct step script_both_scale[] = {
	{ "client SYN", C, SYN, 1000, 0, 64240, 7, 0, 0, 0, true, 0, 64240, true, false },
	{ "server SYN-ACK", S, SYN | ACK, 5000, 1001, 65160, 8, 0, 0, 1, true, 0, 65160, true,
	  true },
	{ "client ACK", C, ACK, 1001, 5001, 502, NO_WS, 0, 1, 1, true, 7, 502u << 7, true, true },
	{ "client data", C, PSH | ACK, 1001, 5001, 502, NO_WS, 100, 1, 1, true, 7, 502u << 7,
	  true, true },
	{ "server ACK", S, ACK, 5001, 1101, 509, NO_WS, 0, 1, 101, true, 8, 509u << 8, true, true },
	{ "server data", S, PSH | ACK, 5001, 1101, 509, NO_WS, 1448, 1, 101, true, 8, 509u << 8,
	  true, true },
	{ "client FIN", C, FIN | ACK, 1101, 6449, 501, NO_WS, 0, 101, 1449, true, 7, 501u << 7,
	  true, true },
	{ NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, false, false },
};

static const struct step script_client_scale_only[] = {
	{ "client SYN with WS", C, SYN, 1, 0, 64240, 7, 0, 0, 0, true, 0, 64240, true, false },
	{ "server SYN-ACK without", S, SYN | ACK, 2, 2, 65535, NO_WS, 0, 0, 1, true, 0, 65535,
	  true, true },
	{ "client ACK: not scaled", C, ACK, 2, 3, 502, NO_WS, 0, 1, 1, true, 0, 502, true, true },
	{ "server ACK: not scaled", S, ACK, 3, 2, 509, NO_WS, 0, 1, 1, true, 0, 509, true, true },
	{ NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, false, false },
};

static const struct step script_server_scale_only[] = {
	{ "client SYN without WS", C, SYN, 1, 0, 64240, NO_WS, 0, 0, 0, true, 0, 64240, true,
	  false },
	{ "server SYN-ACK with", S, SYN | ACK, 2, 2, 65535, 9, 0, 0, 1, true, 0, 65535, true,
	  true },
	{ "server ACK: not scaled", S, ACK, 3, 2, 509, NO_WS, 0, 1, 1, true, 0, 509, true, true },
	{ NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, false, false },
};

static const struct step script_scale_zero[] = {
	{ "client SYN WS 0", C, SYN, 1, 0, 100, 0, 0, 0, 0, true, 0, 100, true, false },
	{ "server SYN-ACK WS 0", S, SYN | ACK, 2, 2, 100, 0, 0, 0, 1, true, 0, 100, true, true },
	{ "client ACK: shift 0", C, ACK, 2, 3, 1000, NO_WS, 0, 1, 1, true, 0, 1000, true, true },
	{ NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, false, false },
};

static const struct step script_mid_stream[] = {
	{ "client ACK, no SYN seen", C, ACK, 777777, 3333, 1000, NO_WS, 100, 1, 1, false, 0, 1000,
	  false, false },
	{ "server ACK", S, ACK, 3333, 777877, 2000, NO_WS, 0, 1, 101, false, 0, 2000, false,
	  false },
	{ "client data", C, PSH | ACK, 777877, 3333, 1000, NO_WS, 50, 101, 1, false, 0, 1000,
	  false, false },
	{ "window scale in a non-SYN is ignored", C, ACK, 777927, 3333, 10, 5, 0, 151, 1, false, 0,
	  10, false, false },
	{ NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, false, false },
};

static const struct step script_syn_ack_only[] = {
	{ "server SYN-ACK (client SYN missed)", S, SYN | ACK, 5000, 1001, 65160, 8, 0, 0, 1, true,
	  0, 65160, true, false },
	{ "client ACK: client SYN unseen", C, ACK, 1001, 5001, 502, NO_WS, 0, 1, 1, false, 0, 502,
	  false, true },
	{ "server ACK: still unknown", S, ACK, 5001, 1001, 509, NO_WS, 0, 1, 1, false, 0, 509, true,
	  false },
	{ NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, false, false },
};

static const struct step script_clamp[] = {
	{ "client SYN WS 15", C, SYN, 10, 0, 1000, 15, 0, 0, 0, true, 0, 1000, true, false },
	{ "server SYN-ACK WS 255", S, SYN | ACK, 20, 11, 1000, 255, 0, 0, 1, true, 0, 1000, true,
	  true },
	{ "client ACK: shift 14", C, ACK, 11, 21, 3, NO_WS, 0, 1, 1, true, 14, 3u << 14, true,
	  true },
	{ "server ACK: shift 14", S, ACK, 21, 11, 65535, NO_WS, 0, 1, 1, true, 14,
	  (uint64_t)65535 << 14, true, true },
	{ NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, false, false },
};

static const struct step script_wrap[] = {
	{ "client SYN near 2^32", C, SYN, 0xffffff00u, 0, 100, NO_WS, 0, 0, 0, true, 0, 100, true,
	  false },
	{ "server SYN-ACK at 2^32 - 1", S, SYN | ACK, 0xffffffffu, 0xffffff01u, 100, NO_WS, 0, 0,
	  1, true, 0, 100, true, true },
	{ "client ACK: server's next is 0", C, ACK, 0xffffff01u, 0, 100, NO_WS, 0, 1, 1, true, 0,
	  100, true, true },
	{ "client data across the wrap", C, PSH | ACK, 0xffffff01u, 0, 100, NO_WS, 1000, 1, 1, true,
	  0, 100, true, true },
	{ "client data after the wrap", C, PSH | ACK, 0x000002e9u, 0, 100, NO_WS, 10, 1001, 1,
	  true, 0, 100, true, true },
	{ "server ACK after the wrap", S, ACK, 0, 0x000002f3u, 100, NO_WS, 0, 1, 1011, true, 0, 100,
	  true, true },
	{ NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, false, false },
};

static const struct step script_syn_retransmit[] = {
	{ "client SYN", C, SYN, 42, 0, 100, 6, 0, 0, 0, true, 0, 100, true, false },
	{ "client SYN again", C, SYN, 42, 0, 100, 6, 0, 0, 0, true, 0, 100, true, false },
	{ "server SYN-ACK", S, SYN | ACK, 99, 43, 100, 6, 0, 0, 1, true, 0, 100, true, true },
	{ "server SYN-ACK again", S, SYN | ACK, 99, 43, 100, 6, 0, 0, 1, true, 0, 100, true, true },
	{ "client ACK", C, ACK, 43, 100, 2, NO_WS, 0, 1, 1, true, 6, 128, true, true },
	{ NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, false, false },
};

static const struct script {
	const char *name;
	const struct step *steps;
} scripts[] = {
	{ "handshake, both offer window scale", script_both_scale },
	{ "only the client offers window scale", script_client_scale_only },
	{ "only the server offers window scale", script_server_scale_only },
	{ "both offer shift 0", script_scale_zero },
	{ "mid-stream, no SYN", script_mid_stream },
	{ "SYN-ACK without the SYN", script_syn_ack_only },
	{ "shift over 14 clamped", script_clamp },
	{ "sequence numbers wrap past 2^32", script_wrap },
	{ "retransmitted SYNs", script_syn_retransmit },
	{ NULL, NULL },
};

START_TEST(test_script_table)
{
	const struct script *sc = &scripts[_i];
	struct tn_track tr;
	struct tn_track_conn conn;
	memset(&tr, 0xA5, sizeof tr);
	memset(&conn, 0xA5, sizeof conn);
	tn_track_init(&tr);
	tn_track_conn_start(&tr, &conn, NULL);
	uint64_t segs[2] = { 0, 0 }, bytes[2] = { 0, 0 };
	for (const struct step *s = sc->steps; s->what; s++) {
		struct tn_packet p;
		struct tn_track_view v;
		make_segment(&p, s);
		memset(&v, 0xA5, sizeof v);
		tn_track_segment(&conn, s->side, &p, &v);
		segs[s->side]++;
		bytes[s->side] += s->plen;
#define CHK(cond, ...) ck_assert_msg(cond, "%s / %s: " __VA_ARGS__)
		CHK(v.conn == 1, "conn %llu", sc->name, s->what, (unsigned long long)v.conn);
		CHK(v.side == s->side, "side %d", sc->name, s->what, v.side);
		CHK(v.rel_seq == s->rel_seq, "rel_seq %u, expected %u", sc->name, s->what, v.rel_seq,
		    s->rel_seq);
		CHK(v.rel_ack == s->rel_ack, "rel_ack %u, expected %u", sc->name, s->what, v.rel_ack,
		    s->rel_ack);
		CHK(v.window_known == s->known, "window_known %d", sc->name, s->what, v.window_known);
		CHK(v.shift == s->shift, "shift %d, expected %d", sc->name, s->what, v.shift, s->shift);
		CHK(v.window_scaled == s->scaled, "window_scaled %llu, expected %llu", sc->name,
		    s->what, (unsigned long long)v.window_scaled, (unsigned long long)s->scaled);
		CHK(v.syn_window == ((s->flags & SYN) != 0), "syn_window %d", sc->name, s->what,
		    v.syn_window);
		CHK(v.seq_base_is_isn == s->seq_isn, "seq_base_is_isn %d", sc->name, s->what,
		    v.seq_base_is_isn);
		CHK(v.ack_base_is_isn == s->ack_isn, "ack_base_is_isn %d", sc->name, s->what,
		    v.ack_base_is_isn);
		CHK(v.n_sack == 0, "n_sack %u", sc->name, s->what, v.n_sack);
		CHK(conn.side[s->side].segments == segs[s->side], "segments", sc->name, s->what);
		CHK(conn.side[s->side].payload_bytes == bytes[s->side], "payload bytes", sc->name,
		    s->what);
#undef CHK
	}
}
END_TEST

START_TEST(test_conn_start)
{
	struct tn_track tr;
	struct tn_track_conn a, b;
	memset(&tr, 0xA5, sizeof tr);
	memset(&a, 0xA5, sizeof a);
	memset(&b, 0xA5, sizeof b);
	tn_track_init(&tr);
	tn_track_conn_start(&tr, &a, NULL);
	tn_track_conn_start(&tr, &b, NULL);
	ck_assert_uint_eq(a.id, 1);
	ck_assert_uint_eq(b.id, 2);
	for (int s = 0; s < 2; s++) {
		ck_assert(!a.side[s].base_set);
		ck_assert(!a.side[s].syn_seen);
		ck_assert_int_eq(a.side[s].wscale, TN_WSCALE_NONE);
		ck_assert_uint_eq(a.side[s].segments, 0);
		ck_assert_uint_eq(a.side[s].payload_bytes, 0);
	}
}
END_TEST

static void add_sack(struct tn_packet *p, const uint32_t *edges, unsigned blocks)
{
	struct tn_tcp_option *o = &p->tcp.opts[p->tcp.n_opts++];
	*o = (struct tn_tcp_option){ .kind = TN_OPT_SACK, .len = (uint8_t)(2 + 8 * blocks) };
	o->u.sack.count = (uint8_t)blocks;
	for (unsigned i = 0; i < blocks; i++) {
		o->u.sack.left[i] = edges[2 * i];
		o->u.sack.right[i] = edges[2 * i + 1];
	}
}

/* A step without expectations, for the tests that check the view by hand. */
static struct step st(const char *what, int side, uint16_t flags, uint32_t seq, uint32_t ack,
		      uint16_t win, int ws, uint32_t plen)
{
	return (struct step){ .what = what, .side = side, .flags = flags, .seq = seq, .ack = ack,
			      .win = win, .ws = ws, .plen = plen };
}

static void run(struct tn_track_conn *c, struct step s, struct tn_track_view *v)
{
	struct tn_packet p;
	make_segment(&p, &s);
	memset(v, 0xA5, sizeof *v);
	tn_track_segment(c, s.side, &p, v);
}

START_TEST(test_sack_relative_to_peer)
{
	struct tn_track tr;
	struct tn_track_conn conn;
	struct tn_track_view v;
	tn_track_init(&tr);
	tn_track_conn_start(&tr, &conn, NULL);
	/* Handshake: client ISN 1000, server ISN 0xfffffff0 (its data wraps). */
	run(&conn, st("syn", C, SYN, 1000, 0, 100, NO_WS, 0), &v);
	run(&conn, st("syn-ack", S, SYN | ACK, 0xfffffff0u, 1001, 100, NO_WS, 0), &v);

	/* The server reports holes in the client's data: blocks count from the client's ISN. */
	struct tn_packet p;
	struct step s = st("server SACK", S, ACK, 0xfffffff1u, 1001, 100, NO_WS, 0);
	make_segment(&p, &s);
	static const uint32_t e1[4] = { 1201, 1301, 1401, 1501 };
	add_sack(&p, e1, 2);
	memset(&v, 0xA5, sizeof v);
	tn_track_segment(&conn, S, &p, &v);
	ck_assert_uint_eq(v.n_sack, 2);
	ck_assert_uint_eq(v.sack_rel_left[0], 201);
	ck_assert_uint_eq(v.sack_rel_right[0], 301);
	ck_assert_uint_eq(v.sack_rel_left[1], 401);
	ck_assert_uint_eq(v.sack_rel_right[1], 501);

	/* The client reports holes in the server's data, across the server's wrap. */
	s = st("client SACK", C, ACK, 1001, 0xfffffff1u, 100, NO_WS, 0);
	make_segment(&p, &s);
	static const uint32_t e2[2] = { 0x00000010u, 0x00000020u };
	add_sack(&p, e2, 1);
	memset(&v, 0xA5, sizeof v);
	tn_track_segment(&conn, C, &p, &v);
	ck_assert_uint_eq(v.n_sack, 1);
	ck_assert_uint_eq(v.sack_rel_left[0], 0x20);
	ck_assert_uint_eq(v.sack_rel_right[0], 0x30);

	/* Two SACK options of 3 blocks each: the view keeps the first four blocks. */
	make_segment(&p, &s);
	static const uint32_t e3[6] = { 1, 2, 3, 4, 5, 6 };
	add_sack(&p, e3, 3);
	add_sack(&p, e3, 3);
	memset(&v, 0xA5, sizeof v);
	tn_track_segment(&conn, C, &p, &v);
	ck_assert_uint_eq(v.n_sack, TN_MAX_SACK_BLOCKS);
	ck_assert_uint_eq(v.sack_rel_left[3], 1 + 0x10);
}
END_TEST

START_TEST(test_sack_mid_stream)
{
	/* No SYN: the peer's origin is one before the first ACK it was given. */
	struct tn_track tr;
	struct tn_track_conn conn;
	struct tn_track_view v;
	tn_track_init(&tr);
	tn_track_conn_start(&tr, &conn, NULL);
	run(&conn, st("client data", C, ACK, 5000, 9000, 100, NO_WS, 10), &v);
	struct tn_packet p;
	struct step s = st("server SACK", S, ACK, 9000, 5010, 100, NO_WS, 0);
	make_segment(&p, &s);
	static const uint32_t e[2] = { 5020, 5030 };
	add_sack(&p, e, 1);
	memset(&v, 0xA5, sizeof v);
	tn_track_segment(&conn, S, &p, &v);
	ck_assert_uint_eq(v.rel_ack, 11);
	ck_assert_uint_eq(v.n_sack, 1);
	ck_assert_uint_eq(v.sack_rel_left[0], 21);
	ck_assert_uint_eq(v.sack_rel_right[0], 31);
}
END_TEST

START_TEST(test_two_connections)
{
	struct tn_track tr;
	struct tn_track_conn a, b;
	struct tn_track_view v;
	tn_track_init(&tr);
	tn_track_conn_start(&tr, &a, NULL);
	tn_track_conn_start(&tr, &b, NULL);
	run(&a, st("a syn", C, SYN, 100, 0, 1, 3, 0), &v);
	ck_assert_uint_eq(v.conn, 1);
	run(&b, st("b syn", S, SYN, 200, 0, 1, NO_WS, 0), &v);
	ck_assert_uint_eq(v.conn, 2);
	ck_assert_int_eq(v.side, S);
	/* Their state does not mix. */
	ck_assert_int_eq(a.side[C].wscale, 3);
	ck_assert(!a.side[S].syn_seen);
	ck_assert(b.side[S].syn_seen);
	ck_assert_int_eq(b.side[S].wscale, TN_WSCALE_NONE);
	ck_assert(!b.side[C].base_set);
}
END_TEST

/*
 * Regression (fixed): struct tn_track_view (include/tcpnarrate/track.h) has a new_conn
 * field, but tn_track_segment() (src/track/seqspace.c) never writes it and
 * nothing else does either: the view leaves it holding whatever the caller's
 * memory held (0xA5 here). Expected: true on the first segment of a
 * connection, false after (or the field removed).
 */
START_TEST(test_regression_new_conn_never_written)
{
	struct tn_track tr;
	struct tn_track_conn conn;
	struct tn_track_view v;
	tn_track_init(&tr);
	tn_track_conn_start(&tr, &conn, NULL);
	run(&conn, st("first", C, SYN, 1, 0, 1, NO_WS, 0), &v);
	unsigned char raw;
	memcpy(&raw, &v.new_conn, 1);
	ck_assert_msg(raw == 1, "new_conn on the first segment holds 0x%02x", raw);
	run(&conn, st("second", S, SYN | ACK, 1, 2, 1, NO_WS, 0), &v);
	memcpy(&raw, &v.new_conn, 1);
	ck_assert_msg(raw == 0, "new_conn on the second segment holds 0x%02x", raw);
}
END_TEST

static Suite *track_suite(void)
{
	Suite *s = suite_create("track");
	TCase *tc = tcase_create("track");
	TN_ADD_TABLE_TEST(tc, test_script_table, scripts);
	tcase_add_test(tc, test_conn_start);
	tcase_add_test(tc, test_sack_relative_to_peer);
	tcase_add_test(tc, test_sack_mid_stream);
	tcase_add_test(tc, test_two_connections);
	suite_add_tcase(s, tc);

	/* Regressions: bugs these tests found, fixed since. */
	tc = tcase_create("regressions");
	tcase_add_test(tc, test_regression_new_conn_never_written);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tn_unit_run(track_suite());
}
