/*
 * test_reasm.c — the IP fragment table (src/reasm/ipfrag.c).
 *
 * A whole TCP segment is built with pktbuild, cut into IPv4 or IPv6
 * fragments here, and fed to the table in the order a table row says; the
 * datagram handed back must decode as the original segment (same TCP bytes,
 * checksum correct). Other rows overlap or duplicate a piece, and each limit
 * is hit once: datagrams in progress, bytes, pieces per datagram, the
 * timeout, a fragment cut by the snapshot length, and a last fragment that
 * disagrees with the length already known. Every refusal must be counted.
 */
#include <tcpnarrate/reasm.h>

#include <string.h>

#include "pktbuild.h"
#include "unit.h"

#define SEC 1000000000LL
#define PAYLOAD 600

/* The whole segment: Ethernet, IP (no DF), TCP with PAYLOAD bytes of data. */
static void whole(struct pb *k, bool v6)
{
	uint8_t data[PAYLOAD];
	struct pb_tcp t = pb_syn_default;
	t.flags = 0x18;
	t.opts = NULL;
	t.opts_len = 0;
	for (int i = 0; i < PAYLOAD; i++)
		data[i] = (uint8_t)(i * 7);
	pb_init(k);
	pb_eth(k, v6 ? 0x86dd : 0x0800);
	if (v6) {
		pb_ipv6(k, &pb_ip6_default);
	} else {
		struct pb_ip4 ip = pb_ip4_default;
		ip.frag = 0;
		ip.id = 0x4242;
		pb_ipv4(k, &ip);
	}
	pb_tcp(k, &t);
	pb_payload(k, data, sizeof data);
	pb_finish(k);
}

/* Fragment [off, off + len) of the whole segment's IP payload, as a frame. */
static uint32_t piece(const struct pb *w, uint32_t off, uint32_t len, bool more, uint32_t id,
		      uint8_t *out)
{
	size_t hdr = w->l4 - w->l3;
	memcpy(out, w->b, w->l3 + hdr);
	struct pb k;
	pb_init(&k);
	memcpy(k.b, out, w->l3 + hdr);
	k.len = w->l3 + hdr;
	if (w->ipver == 4) {
		pb_put16(&k, w->l3 + 2, (uint16_t)(hdr + len));
		pb_put16(&k, w->l3 + 4, (uint16_t)id);
		pb_put16(&k, w->l3 + 6, (uint16_t)((more ? 0x2000 : 0) | off / 8));
		pb_put16(&k, w->l3 + 10, 0);
		pb_put16(&k, w->l3 + 10, (uint16_t)~pb_fold(pb_sum(0, k.b + w->l3, hdr)));
	} else {
		pb_put16(&k, w->l3 + 4, (uint16_t)(8 + len));
		pb_put8(&k, w->l3 + 6, 44);
		pb_put8(&k, k.len, 6);
		pb_put8(&k, k.len, 0);
		pb_put16(&k, k.len, (uint16_t)(off | (more ? 1 : 0)));
		pb_put32(&k, k.len, id);
	}
	memcpy(k.b + k.len, w->b + w->l4 + off, len);
	k.len += len;
	memcpy(out, k.b, k.len);
	return (uint32_t)k.len;
}

struct feed {
	uint32_t off, len;
	bool more;
	uint32_t id;
	int64_t ns;
	int cut;                   /* bytes cut off the frame */
	enum tn_reasm_result want;
};

#define MAX_FEED 6
static const struct reasm_case {
	const char *name;
	bool v6;
	struct tn_reasm_limits lim;
	struct feed f[MAX_FEED];   /* ends at len 0 */
	bool overlap, conflict, duplicate;
	struct tn_reasm_stats want;/* fragments, reassembled, timed_out, incomplete, table_full,
				    * memory_full, too_many, cut, overlaps */
} cases[] = {
	{ "in order", false, { 0 }, { { 0, 200, true, 1, 0, 0, TN_REASM_HELD },
	  { 200, 200, true, 1, 0, 0, TN_REASM_HELD }, { 400, 220, false, 1, 0, 0, TN_REASM_DONE } },
	  false, false, false, { 3, 1, 0, 0, 0, 0, 0, 0, 0 } },
	{ "last first", false, { 0 }, { { 400, 220, false, 1, 0, 0, TN_REASM_HELD },
	  { 200, 200, true, 1, 0, 0, TN_REASM_HELD }, { 0, 200, true, 1, 0, 0, TN_REASM_DONE } },
	  false, false, false, { 3, 1, 0, 0, 0, 0, 0, 0, 0 } },
	{ "overlap, same bytes", false, { 0 }, { { 0, 240, true, 1, 0, 0, TN_REASM_HELD },
	  { 200, 420, false, 1, 0, 0, TN_REASM_DONE } }, true, false, false,
	  { 2, 1, 0, 0, 0, 0, 0, 0, 1 } },
	{ "exact duplicate", false, { 0 }, { { 0, 200, true, 1, 0, 0, TN_REASM_HELD },
	  { 0, 200, true, 1, 0, 0, TN_REASM_HELD }, { 200, 420, false, 1, 0, 0, TN_REASM_DONE } },
	  false, false, true, { 3, 1, 0, 0, 0, 0, 0, 0, 1 } },
	{ "table full", false, { .max_entries = 1 }, { { 0, 200, true, 1, 0, 0, TN_REASM_HELD },
	  { 0, 200, true, 2, 0, 0, TN_REASM_REFUSED } }, false, false, false,
	  { 1, 0, 0, 1, 1, 0, 0, 0, 0 } },
	{ "memory limit", false, { .max_bytes = 64 }, { { 0, 200, true, 1, 0, 0, TN_REASM_REFUSED } },
	  false, false, false, { 0, 0, 0, 0, 0, 1, 0, 0, 0 } },
	{ "timeout", false, { .timeout_ns = SEC }, { { 0, 200, true, 1, 0, 0, TN_REASM_HELD },
	  { 200, 420, false, 1, 2 * SEC, 0, TN_REASM_HELD } }, false, false, false,
	  { 2, 0, 1, 1, 0, 0, 0, 0, 0 } },
	{ "cut by the snapshot length", false, { 0 }, { { 0, 200, true, 1, 0, 5, TN_REASM_REFUSED } },
	  false, false, false, { 0, 0, 0, 0, 0, 0, 0, 1, 0 } },
	{ "two different ends", false, { 0 }, { { 400, 220, false, 1, 0, 0, TN_REASM_HELD },
	  { 400, 200, false, 1, 0, 0, TN_REASM_REFUSED } }, false, false, false,
	  { 1, 0, 0, 1, 0, 0, 0, 1, 0 } },
	{ "a middle piece not a multiple of 8", false, { 0 },
	  { { 0, 201, true, 1, 0, 0, TN_REASM_REFUSED } }, false, false, false,
	  { 0, 0, 0, 0, 0, 0, 0, 1, 0 } },
	{ "IPv6, two pieces", true, { 0 }, { { 320, 300, false, 9, 0, 0, TN_REASM_HELD },
	  { 0, 320, true, 9, 0, 0, TN_REASM_DONE } }, false, false, false,
	  { 2, 1, 0, 0, 0, 0, 0, 0, 0 } },
	{ NULL, false, { 0 }, { { 0 } }, false, false, false, { 0 } },
};

static void check_done(const struct reasm_case *c, const struct pb *w,
		       const struct tn_reasm_done *d)
{
	static struct tn_packet pkt;
	ck_assert_uint_eq(d->len, w->len);
	ck_assert_int_eq(memcmp(d->frame + w->l4, w->b + w->l4, w->len - w->l4), 0);
	ck_assert_int_eq(tn_decode(1, d->frame, d->len, d->len, &pkt), TN_DEC_TCP);
	ck_assert_int_eq(pkt.tcp.checksum_status, TN_CSUM_OK);
	ck_assert_uint_eq(pkt.payload_len, PAYLOAD);
	if (!c->v6)
		ck_assert_int_eq(pkt.ip4.checksum_status, TN_CSUM_OK);
	ck_assert(!pkt.ip6.frag && !pkt.ip4.mf);
	ck_assert(d->conflict == c->conflict);
	bool overlap = false, dup = false;
	for (unsigned i = 0; i < d->n_frags; i++) {
		overlap = overlap || d->frags[i].overlap;
		dup = dup || d->frags[i].duplicate;
	}
	ck_assert_msg(overlap == c->overlap && dup == c->duplicate, "%s: overlap %d dup %d",
		      c->name, overlap, dup);
}

START_TEST(test_reasm_table)
{
	const struct reasm_case *c = &cases[_i];
	static struct tn_packet pkt;
	static uint8_t frame[PB_MAX];
	struct pb w;
	struct tn_reasm *r;
	struct tn_reasm_done d;
	struct tn_reasm_stats st;
	char err[128];
	whole(&w, c->v6);
	ck_assert_int_eq(tn_reasm_create(&r, &c->lim, err, sizeof err), 0);
	for (int i = 0; i < MAX_FEED && c->f[i].len; i++) {
		const struct feed *f = &c->f[i];
		uint32_t len = piece(&w, f->off, f->len, f->more, f->id, frame) - (uint32_t)f->cut;
		enum tn_decode_result res = tn_decode(1, frame, len, len + (uint32_t)f->cut, &pkt);
		enum tn_reasm_result got = tn_reasm_add(r, &pkt, res, frame, len, (uint64_t)i + 1,
							f->ns, &d);
		ck_assert_msg(got == f->want, "%s: piece %d: %d", c->name, i, got);
		if (got == TN_REASM_DONE)
			check_done(c, &w, &d);
	}
	tn_reasm_stats(r, true, &st);
	ck_assert_msg(memcmp(&st, &c->want, sizeof st) == 0, "%s: fragments %llu reassembled %llu "
		      "timed out %llu incomplete %llu full %llu mem %llu many %llu cut %llu "
		      "overlaps %llu", c->name, (unsigned long long)st.fragments,
		      (unsigned long long)st.reassembled, (unsigned long long)st.timed_out,
		      (unsigned long long)st.incomplete, (unsigned long long)st.table_full,
		      (unsigned long long)st.memory_full, (unsigned long long)st.too_many,
		      (unsigned long long)st.cut, (unsigned long long)st.overlaps);
	tn_reasm_destroy(r);
}
END_TEST

/* More than TN_REASM_MAX_FRAGS pieces: the datagram is given up, and counted. */
START_TEST(test_too_many_pieces)
{
	static struct tn_packet pkt;
	static uint8_t frame[PB_MAX];
	struct pb w;
	struct tn_reasm *r;
	struct tn_reasm_done d;
	struct tn_reasm_stats st;
	char err[128];
	struct tn_reasm_limits lim = { 0 };
	whole(&w, false);
	ck_assert_int_eq(tn_reasm_create(&r, &lim, err, sizeof err), 0);
	enum tn_reasm_result got = TN_REASM_HELD;
	for (uint32_t i = 0; i <= TN_REASM_MAX_FRAGS && got == TN_REASM_HELD; i++) {
		uint32_t len = piece(&w, i * 8, 8, true, 3, frame);
		enum tn_decode_result res = tn_decode(1, frame, len, len, &pkt);
		got = tn_reasm_add(r, &pkt, res, frame, len, i + 1, 0, &d);
	}
	ck_assert_int_eq(got, TN_REASM_REFUSED);
	tn_reasm_stats(r, true, &st);
	ck_assert_uint_eq(st.too_many, 1);
	ck_assert_uint_eq(st.fragments, TN_REASM_MAX_FRAGS);
	ck_assert_uint_eq(st.incomplete, 0);
	tn_reasm_destroy(r);
}
END_TEST

/* A packet that is not a fragment is none of the table's business. */
START_TEST(test_not_a_fragment)
{
	static struct tn_packet pkt;
	struct pb w;
	struct tn_reasm *r;
	struct tn_reasm_done d;
	char err[128];
	struct tn_reasm_limits lim = { 0 };
	whole(&w, false);
	ck_assert_int_eq(tn_reasm_create(&r, &lim, err, sizeof err), 0);
	enum tn_decode_result res = tn_decode(1, w.b, (uint32_t)w.len, (uint32_t)w.len, &pkt);
	ck_assert_int_eq(tn_reasm_add(r, &pkt, res, w.b, (uint32_t)w.len, 1, 0, &d),
			 TN_REASM_NOT_FRAGMENT);
	tn_reasm_destroy(r);
	tn_reasm_destroy(NULL);
}
END_TEST

static Suite *reasm_suite(void)
{
	Suite *s = suite_create("reasm");
	TCase *tc = tcase_create("table");
	TN_ADD_TABLE_TEST(tc, test_reasm_table, cases);
	tcase_add_test(tc, test_too_many_pieces);
	tcase_add_test(tc, test_not_a_fragment);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tn_unit_run(reasm_suite());
}
