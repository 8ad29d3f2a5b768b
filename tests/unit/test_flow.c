/*
 * test_flow.c — the flow table (include/tcpnarrate/flow.h).
 *
 * Packets are struct tn_packet values filled by hand with only what a flow
 * key is made of (IP version, addresses, ports); everything else is 0xA5.
 * Cases: both directions of a connection meet in one entry with opposite
 * sides; distinct flows and families get distinct entries; a full table
 * refuses an insert and names the least recently active entry, which the
 * caller evicts (counted); idle entries are found oldest first; payloads
 * start zeroed, also when an evicted entry's slot is reused; the limits; the
 * exported key hash (deterministic, the same both ways and for every
 * incarnation of a port pair, spread over shards).
 */
#include <tcpnarrate/flow.h>

#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <tcpnarrate/community_id.h>

#include "unit.h"

/* tn_flow_key_hash of 10.0.1.5:45174 ↔ 10.0.2.10:80 with seed 0, as first computed. */
#define HASH_10_0_1_5_45174_10_0_2_10_80 0xf02993ae32be23cfull

static void pkt4(struct tn_packet *p, const uint8_t src[4], uint16_t sport, const uint8_t dst[4],
		 uint16_t dport)
{
	memset(p, 0xA5, sizeof *p);
	p->ip_version = 4;
	memcpy(p->ip4.src, src, 4);
	memcpy(p->ip4.dst, dst, 4);
	p->tcp.sport = sport;
	p->tcp.dport = dport;
}

static void pkt6(struct tn_packet *p, const uint8_t src[16], uint16_t sport,
		 const uint8_t dst[16], uint16_t dport)
{
	memset(p, 0xA5, sizeof *p);
	p->ip_version = 6;
	memcpy(p->ip6.src, src, 16);
	memcpy(p->ip6.dst, dst, 16);
	p->tcp.sport = sport;
	p->tcp.dport = dport;
}

/* The packet going the other way. */
static void reverse(struct tn_packet *r, const struct tn_packet *p)
{
	if (p->ip_version == 4)
		pkt4(r, p->ip4.dst, p->tcp.dport, p->ip4.src, p->tcp.sport);
	else
		pkt6(r, p->ip6.dst, p->tcp.dport, p->ip6.src, p->tcp.sport);
}

typedef void (*evict_fn)(void *payload, void *ctx);

/* The table and, for the tests of eviction, who is told of each evicted payload. */
struct table {
	struct tn_flow_table *t;
	evict_fn on_evict;
	void *ctx;
};

static struct table g_tables[8];

static struct tn_flow_table *make_table(uint32_t max, size_t payload, evict_fn fn, void *ctx)
{
	char err[128] = "";
	struct tn_flow_table *t = NULL;
	ck_assert_msg(tn_flow_table_create(&t, max, payload, err, sizeof err) == 0, "%s", err);
	ck_assert_ptr_nonnull(t);
	for (size_t i = 0; i < sizeof g_tables / sizeof g_tables[0]; i++) {
		if (!g_tables[i].t) {
			g_tables[i] = (struct table){ t, fn, ctx };
			return t;
		}
	}
	ck_abort_msg("too many tables");
	return NULL;
}

static void drop_table(struct tn_flow_table *t)
{
	for (size_t i = 0; i < sizeof g_tables / sizeof g_tables[0]; i++)
		if (g_tables[i].t == t)
			g_tables[i].t = NULL;
	tn_flow_table_destroy(t);
}

/*
 * Find or insert, evicting the oldest entry first when the table is full:
 * what the pipeline does with the table (src/pipeline/engine.c).
 */
static void *lookup(struct tn_flow_table *t, const struct tn_packet *p, int *side, bool *created)
{
	struct tn_flow_key key;
	*side = tn_flow_key_make(p, &key);
	void *pl = tn_flow_find(t, &key);
	*created = pl == NULL;
	if (pl)
		return pl;
	if (tn_flow_table_full(t)) {
		ck_assert_ptr_null(tn_flow_insert(t, &key));
		void *old = tn_flow_oldest(t);
		ck_assert_ptr_nonnull(old);
		for (size_t i = 0; i < sizeof g_tables / sizeof g_tables[0]; i++)
			if (g_tables[i].t == t && g_tables[i].on_evict)
				g_tables[i].on_evict(old, g_tables[i].ctx);
		tn_flow_remove(t, old, true);
	}
	return tn_flow_insert(t, &key);
}

static const struct dir_case {
	const char *name;
	int family;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	int side;            /* side of the packet src → dst */
} dir_cases[] = {
	{ "IPv4 client lower", 4, { 10, 0, 1, 5 }, { 10, 0, 2, 10 }, 43210, 80, 0 },
	{ "IPv4 client higher", 4, { 192, 168, 1, 1 }, { 10, 0, 0, 1 }, 50000, 443, 1 },
	{ "IPv4 same address, port decides", 4, { 127, 0, 0, 1 }, { 127, 0, 0, 1 }, 5000, 80, 1 },
	{ "IPv4 same address, lower port first", 4, { 127, 0, 0, 1 }, { 127, 0, 0, 1 }, 80, 5000,
	  0 },
	{ "IPv4 last byte decides", 4, { 10, 0, 0, 2 }, { 10, 0, 0, 1 }, 1, 2, 1 },
	{ "IPv6", 6, { 0xfd, 0, 0, 1, [15] = 5 }, { 0xfd, 0, 0, 2, [15] = 0x10 }, 43210, 80, 0 },
	{ "IPv6 last byte decides", 6, { 0xfe, 0x80, [15] = 9 }, { 0xfe, 0x80, [15] = 8 }, 1, 1, 1 },
	{ NULL, 0, { 0 }, { 0 }, 0, 0, 0 },
};

START_TEST(test_both_directions_table)
{
	const struct dir_case *c = &dir_cases[_i];
	struct tn_flow_table *t = make_table(16, 32, NULL, NULL);
	struct tn_packet fwd, rev;
	if (c->family == 4)
		pkt4(&fwd, c->src, c->sport, c->dst, c->dport);
	else
		pkt6(&fwd, c->src, c->sport, c->dst, c->dport);
	reverse(&rev, &fwd);

	int side_f = -7, side_r = -7;
	bool created_f = false, created_r = true;
	void *a = lookup(t, &fwd, &side_f, &created_f);
	void *b = lookup(t, &rev, &side_r, &created_r);
	ck_assert_ptr_nonnull(a);
	ck_assert_msg(a == b, "%s: the two directions got different entries", c->name);
	ck_assert_msg(created_f && !created_r, "%s", c->name);
	ck_assert_msg(side_f == c->side, "%s: side %d", c->name, side_f);
	ck_assert_msg(side_r == !c->side, "%s: reverse side %d", c->name, side_r);
	ck_assert_uint_eq(tn_flow_table_count(t), 1);

	/* The key names endpoint `side` as the sender of that packet. */
	const struct tn_flow_key *k = tn_flow_key_of(a);
	size_t alen = c->family == 4 ? 4 : 16;
	ck_assert_uint_eq(k->family, c->family);
	ck_assert_mem_eq(k->addr[side_f], c->src, alen);
	ck_assert_mem_eq(k->addr[!side_f], c->dst, alen);
	ck_assert_uint_eq(k->port[side_f], c->sport);
	ck_assert_uint_eq(k->port[!side_f], c->dport);
	/* Endpoint 0 is the lower (address, port). */
	int cmp = memcmp(k->addr[0], k->addr[1], alen);
	ck_assert(cmp < 0 || (cmp == 0 && k->port[0] <= k->port[1]));

	/* tn_flow_key_make agrees, from either direction. */
	struct tn_flow_key kf, kr;
	memset(&kf, 0xA5, sizeof kf);
	memset(&kr, 0x5A, sizeof kr);
	ck_assert_int_eq(tn_flow_key_make(&fwd, &kf), c->side);
	ck_assert_int_eq(tn_flow_key_make(&rev, &kr), !c->side);
	ck_assert_mem_eq(&kf, &kr, sizeof kf);
	ck_assert_mem_eq(&kf, k, sizeof kf);
	drop_table(t);
}
END_TEST

START_TEST(test_distinct_flows)
{
	static const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
	enum { N = 200 };
	struct tn_flow_table *t = make_table(1000, 8, NULL, NULL);
	void *seen[N];
	struct tn_packet p;
	int side;
	bool created;
	for (int i = 0; i < N; i++) {
		pkt4(&p, a, (uint16_t)(10000 + i), b, 80);
		seen[i] = lookup(t, &p, &side, &created);
		ck_assert_ptr_nonnull(seen[i]);
		ck_assert_msg(created, "flow %d not new", i);
		for (int j = 0; j < i; j++)
			ck_assert_msg(seen[j] != seen[i], "flows %d and %d share an entry", j, i);
	}
	ck_assert_uint_eq(tn_flow_table_count(t), N);
	/* Found again, both ways, nothing new. */
	for (int i = 0; i < N; i++) {
		pkt4(&p, b, 80, a, (uint16_t)(10000 + i));
		ck_assert_ptr_eq(lookup(t, &p, &side, &created), seen[i]);
		ck_assert(!created);
		ck_assert_int_eq(side, 1);
	}
	/* Only the destination port differs: still another flow. */
	pkt4(&p, a, 10000, b, 81);
	lookup(t, &p, &side, &created);
	ck_assert(created);
	ck_assert_uint_eq(tn_flow_table_count(t), N + 1);
	ck_assert_uint_eq(tn_flow_table_evictions(t), 0);
	drop_table(t);
}
END_TEST

START_TEST(test_ipv4_vs_ipv6)
{
	/* An IPv6 address whose first four bytes equal the IPv4 one must not meet it. */
	static const uint8_t a4[4] = { 10, 0, 0, 1 }, b4[4] = { 10, 0, 0, 2 };
	static const uint8_t a6[16] = { 10, 0, 0, 1 }, b6[16] = { 10, 0, 0, 2 };
	struct tn_flow_table *t = make_table(8, 8, NULL, NULL);
	struct tn_packet p4, p6;
	int s4, s6;
	bool c4, c6;
	pkt4(&p4, a4, 1234, b4, 80);
	pkt6(&p6, a6, 1234, b6, 80);
	void *e4 = lookup(t, &p4, &s4, &c4);
	void *e6 = lookup(t, &p6, &s6, &c6);
	ck_assert(c4 && c6);
	ck_assert_ptr_ne(e4, e6);
	ck_assert_uint_eq(tn_flow_key_of(e4)->family, 4);
	ck_assert_uint_eq(tn_flow_key_of(e6)->family, 6);
	ck_assert_uint_eq(tn_flow_table_count(t), 2);
	drop_table(t);
}
END_TEST

struct evict_log {
	int calls;
	uint32_t ids[16];
	void *payloads[16];
};

static void on_evict(void *payload, void *ctx)
{
	struct evict_log *log = ctx;
	ck_assert_ptr_nonnull(payload);
	if (log->calls < 16) {
		memcpy(&log->ids[log->calls], payload, sizeof(uint32_t));
		log->payloads[log->calls] = payload;
	}
	log->calls++;
}

/* Looks up flow `id` (client port 1000 + id) and, when new, writes id into its payload. */
static void *touch(struct tn_flow_table *t, uint32_t id, bool *created)
{
	static const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
	struct tn_packet p;
	int side;
	pkt4(&p, a, (uint16_t)(1000 + id), b, 80);
	void *pl = lookup(t, &p, &side, created);
	ck_assert_ptr_nonnull(pl);
	if (*created)
		memcpy(pl, &id, sizeof id);
	return pl;
}

START_TEST(test_lru_eviction)
{
	struct evict_log log = { 0 };
	struct tn_flow_table *t = make_table(3, sizeof(uint32_t), on_evict, &log);
	bool created;
	ck_assert_uint_eq(tn_flow_table_max(t), 3);
	touch(t, 1, &created);
	touch(t, 2, &created);
	touch(t, 3, &created);
	ck_assert_uint_eq(tn_flow_table_count(t), 3);
	/* Flow 1 becomes active again: flow 2 is now the least recently active. */
	touch(t, 1, &created);
	ck_assert(!created);
	ck_assert_int_eq(log.calls, 0);

	void *p4 = touch(t, 4, &created);
	ck_assert(created);
	ck_assert_uint_eq(tn_flow_table_count(t), 3);
	ck_assert_uint_eq(tn_flow_table_evictions(t), 1);
	ck_assert_int_eq(log.calls, 1);
	ck_assert_uint_eq(log.ids[0], 2);
	ck_assert_uint_eq(*(uint32_t *)p4, 4);

	/* 1, 3 and 4 are still there; 2 is not. */
	touch(t, 3, &created);
	ck_assert(!created);
	touch(t, 1, &created);
	ck_assert(!created);
	touch(t, 4, &created);
	ck_assert(!created);
	ck_assert_uint_eq(tn_flow_table_evictions(t), 1);
	/* Order now (oldest first): 3, 1, 4; flow 2 returning evicts 3. */
	touch(t, 2, &created);
	ck_assert(created);
	ck_assert_int_eq(log.calls, 2);
	ck_assert_uint_eq(log.ids[1], 3);
	ck_assert_uint_eq(tn_flow_table_evictions(t), 2);
	ck_assert_uint_eq(tn_flow_table_count(t), 3);
	drop_table(t);
}
END_TEST

START_TEST(test_eviction_without_callback)
{
	struct tn_flow_table *t = make_table(1, 16, NULL, NULL);
	bool created;
	touch(t, 1, &created);
	touch(t, 2, &created);
	touch(t, 1, &created);
	ck_assert(created);
	ck_assert_uint_eq(tn_flow_table_count(t), 1);
	ck_assert_uint_eq(tn_flow_table_evictions(t), 2);
	drop_table(t);
}
END_TEST

START_TEST(test_payload_zeroed)
{
	enum { PAYLOAD = 72 };
	static const uint8_t zero[PAYLOAD];
	struct tn_flow_table *t = make_table(2, PAYLOAD, NULL, NULL);
	bool created;
	for (uint32_t id = 1; id <= 6; id++) {
		uint8_t *pl = touch(t, id, &created);
		ck_assert(created);
		ck_assert_msg((uintptr_t)pl % alignof(max_align_t) == 0, "payload not aligned");
		/* touch() wrote the id; everything after it must still be zero. */
		ck_assert_mem_eq(pl + sizeof id, zero, PAYLOAD - sizeof id);
		/* Dirty the whole payload: a reused entry must come back zeroed. */
		memset(pl, 0xA5, PAYLOAD);
	}
	ck_assert_uint_eq(tn_flow_table_evictions(t), 4);
	drop_table(t);
}
END_TEST

START_TEST(test_many_flows)
{
	/* More than one allocation chunk, then a wave of evictions. */
	enum { MAX = 3000, MORE = 500 };
	struct tn_flow_table *t = make_table(MAX, 4, NULL, NULL);
	bool created;
	static const uint8_t a[4] = { 10, 1, 0, 0 };
	struct tn_packet p;
	int side;
	for (uint32_t i = 0; i < MAX + MORE; i++) {
		uint8_t b[4] = { 10, 2, (uint8_t)(i >> 8), (uint8_t)i };
		pkt4(&p, a, 40000, b, 443);
		lookup(t, &p, &side, &created);
		ck_assert_msg(created, "flow %u not new", i);
		if (i < MAX)
			ck_assert_uint_eq(tn_flow_table_count(t), i + 1);
	}
	ck_assert_uint_eq(tn_flow_table_count(t), MAX);
	ck_assert_uint_eq(tn_flow_table_evictions(t), MORE);
	/* The MORE oldest are gone; the rest are all found. */
	for (uint32_t i = MORE; i < MAX + MORE; i++) {
		uint8_t b[4] = { 10, 2, (uint8_t)(i >> 8), (uint8_t)i };
		pkt4(&p, b, 443, a, 40000);
		lookup(t, &p, &side, &created);
		ck_assert_msg(!created, "flow %u was lost", i);
		ck_assert_int_eq(side, 1);
	}
	ck_assert_uint_eq(tn_flow_table_evictions(t), MORE);
	drop_table(t);
}
END_TEST

static const struct limit_case {
	const char *name;
	uint32_t max;
	int rc;
} limit_cases[] = {
	{ "zero flows", 0, -1 },
	{ "one flow", 1, 0 },
	{ "default", TN_FLOW_DEFAULT_MAX, 0 },
	{ "2^28 + 1", (1u << 28) + 1, -1 },
	{ "UINT32_MAX", UINT32_MAX, -1 },
	{ NULL, 0, 0 },
};

START_TEST(test_create_limits_table)
{
	const struct limit_case *c = &limit_cases[_i];
	char err[128];
	memset(err, 0xA5, sizeof err);
	err[sizeof err - 1] = '\0';
	struct tn_flow_table *t = (struct tn_flow_table *)(uintptr_t)0xA5A5A5A5u;
	int rc = tn_flow_table_create(&t, c->max, 16, err, sizeof err);
	ck_assert_msg(rc == c->rc, "%s: rc %d", c->name, rc);
	if (rc == 0) {
		ck_assert_uint_eq(tn_flow_table_max(t), c->max);
		ck_assert_uint_eq(tn_flow_table_count(t), 0);
		ck_assert_uint_eq(tn_flow_table_evictions(t), 0);
		tn_flow_table_destroy(t);
	} else {
		ck_assert_msg(strlen(err) > 0 && strlen(err) < sizeof err, "%s: no error text", c->name);
		ck_assert_msg(strstr(err, "out of range") != NULL, "%s: '%s'", c->name, err);
	}
}
END_TEST

/* Flow `id` (client port 1000 + id), looked up without creating it. */
static void *find(struct tn_flow_table *t, uint32_t id)
{
	static const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
	struct tn_packet p;
	struct tn_flow_key key;
	pkt4(&p, a, (uint16_t)(1000 + id), b, 80);
	tn_flow_key_make(&p, &key);
	return tn_flow_find(t, &key);
}

START_TEST(test_full_refuses_insert)
{
	struct tn_flow_table *t = make_table(2, sizeof(uint32_t), NULL, NULL);
	bool created;
	touch(t, 1, &created);
	ck_assert(!tn_flow_table_full(t));
	touch(t, 2, &created);
	ck_assert(tn_flow_table_full(t));
	/* Nothing is evicted behind the caller's back: insert says no. */
	struct tn_packet p;
	struct tn_flow_key key;
	static const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
	pkt4(&p, a, 1003, b, 80);
	tn_flow_key_make(&p, &key);
	ck_assert_ptr_null(tn_flow_insert(t, &key));
	ck_assert_uint_eq(tn_flow_table_count(t), 2);
	ck_assert_uint_eq(tn_flow_table_evictions(t), 0);
	ck_assert_ptr_nonnull(find(t, 1));
	ck_assert_ptr_nonnull(find(t, 2));
	/* Expendable entries are named first, then the rest, least recent first. */
	tn_flow_set_class(t, find(t, 1), TN_FLOW_KEEP);
	ck_assert_uint_eq(*(uint32_t *)tn_flow_oldest(t), 2);
	tn_flow_set_class(t, find(t, 2), TN_FLOW_KEEP);
	ck_assert_uint_eq(*(uint32_t *)tn_flow_oldest(t), 1);
	/* Removal without eviction (idle, say) is not counted. */
	tn_flow_remove(t, find(t, 1), false);
	ck_assert_ptr_null(find(t, 1));
	ck_assert_uint_eq(tn_flow_table_evictions(t), 0);
	ck_assert_ptr_nonnull(tn_flow_insert(t, &key));
	ck_assert_uint_eq(tn_flow_table_count(t), 2);
	drop_table(t);
}
END_TEST

START_TEST(test_idle)
{
	struct tn_flow_table *t = make_table(8, sizeof(uint32_t), NULL, NULL);
	bool created;
	const int64_t S = 1000000000;
	tn_flow_table_set_now(t, 10 * S);
	touch(t, 1, &created);
	tn_flow_table_set_now(t, 20 * S);
	touch(t, 2, &created);
	touch(t, 3, &created);
	tn_flow_set_class(t, find(t, 3), TN_FLOW_KEEP);
	tn_flow_table_set_now(t, 30 * S);
	touch(t, 4, &created);
	/* Idle 15 s at 34 s: flow 1 (last seen at 10 s) only. */
	ck_assert_uint_eq(*(uint32_t *)tn_flow_idle(t, 34 * S, 15 * S), 1);
	tn_flow_remove(t, find(t, 1), false);
	ck_assert_ptr_null(tn_flow_idle(t, 34 * S, 15 * S));
	/* At 40 s: 2 (expendable) before 3 (kept), both seen at 20 s; never 4. */
	ck_assert_uint_eq(*(uint32_t *)tn_flow_idle(t, 40 * S, 15 * S), 2);
	tn_flow_remove(t, find(t, 2), false);
	ck_assert_uint_eq(*(uint32_t *)tn_flow_idle(t, 40 * S, 15 * S), 3);
	tn_flow_remove(t, find(t, 3), false);
	ck_assert_ptr_null(tn_flow_idle(t, 40 * S, 15 * S));
	ck_assert_uint_eq(tn_flow_table_count(t), 1);
	ck_assert_uint_eq(tn_flow_table_evictions(t), 0);
	drop_table(t);
}
END_TEST

/* Known values: the hash must not change between builds, runs or machines. */
START_TEST(test_hash_deterministic)
{
	static const uint8_t a[4] = { 10, 0, 1, 5 }, b[4] = { 10, 0, 2, 10 };
	struct tn_packet p, r;
	struct tn_flow_key k1, k2;
	pkt4(&p, a, 45174, b, 80);
	reverse(&r, &p);
	memset(&k1, 0x11, sizeof k1);
	memset(&k2, 0x22, sizeof k2);
	tn_flow_key_make(&p, &k1);
	tn_flow_key_make(&r, &k2);
	/* Both directions, and any number of later connections on the same pair. */
	ck_assert_uint_eq(tn_flow_key_hash(&k1, 0), tn_flow_key_hash(&k2, 0));
	ck_assert_uint_eq(tn_flow_key_hash(&k1, 7), tn_flow_key_hash(&k2, 7));
	/* Another seed, another value; another port, another value. */
	ck_assert_uint_ne(tn_flow_key_hash(&k1, 0), tn_flow_key_hash(&k1, 1));
	pkt4(&p, a, 45175, b, 80);
	tn_flow_key_make(&p, &k2);
	ck_assert_uint_ne(tn_flow_key_hash(&k1, 0), tn_flow_key_hash(&k2, 0));
	/* The value itself is fixed (shards on other machines must agree). */
	ck_assert_uint_eq(tn_flow_key_hash(&k1, 0), HASH_10_0_1_5_45174_10_0_2_10_80);
}
END_TEST

/* Adds an outer IPv4 header and a layer with an identifier to a packet. */
static void tunnel(struct tn_packet *p, const uint8_t o_src[4], const uint8_t o_dst[4],
		   enum tn_encap_kind kind, uint32_t id)
{
	p->n_encap = 2;
	memset(p->encap, 0, sizeof p->encap[0] * 2);
	p->encap[0].kind = TN_ENC_IPV4;
	memcpy(p->encap[0].src, o_src, 4);
	memcpy(p->encap[0].dst, o_dst, 4);
	p->encap[1].kind = (uint8_t)kind;
	p->encap[1].has_id = true;
	p->encap[1].id = id;
}

/*
 * Two overlays with the same inner addresses are two connections; both
 * directions of one are one; a per-direction identifier (an MPLS label, a
 * GTP-U TEID) does not split a connection; the Community ID stays the inner
 * 5-tuple's.
 */
START_TEST(test_tunnel_identity)
{
	static const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };
	static const uint8_t oa[4] = { 192, 0, 2, 1 }, ob[4] = { 192, 0, 2, 2 };
	struct tn_packet p, r, q;
	struct tn_flow_key kp, kr, kq, plain;
	char id1[TN_COMMUNITY_ID_SIZE], id2[TN_COMMUNITY_ID_SIZE];
	pkt4(&p, a, 40000, b, 80);
	p.n_encap = 0;
	tn_flow_key_make(&p, &plain);
	ck_assert_uint_eq(plain.tunnel, 0);
	tunnel(&p, oa, ob, TN_ENC_VXLAN, 1);
	reverse(&r, &p);
	tunnel(&r, ob, oa, TN_ENC_VXLAN, 1);
	pkt4(&q, a, 40000, b, 80);
	tunnel(&q, oa, ob, TN_ENC_VXLAN, 2);
	tn_flow_key_make(&p, &kp);
	tn_flow_key_make(&r, &kr);
	tn_flow_key_make(&q, &kq);
	ck_assert_uint_ne(kp.tunnel, 0);
	ck_assert(memcmp(&kp, &kr, sizeof kp) == 0);
	ck_assert(memcmp(&kp, &kq, sizeof kp) != 0);
	ck_assert(memcmp(&kp, &plain, sizeof kp) != 0);
	ck_assert_uint_ne(tn_flow_key_hash(&kp, 0), tn_flow_key_hash(&kq, 0));
	tn_community_id(&kp, 0, id1, sizeof id1);
	tn_community_id(&kq, 0, id2, sizeof id2);
	ck_assert_str_eq(id1, id2);
	/* Labels differ per direction: the same connection all the same. */
	tunnel(&p, oa, ob, TN_ENC_MPLS, 100);
	tunnel(&r, ob, oa, TN_ENC_MPLS, 200);
	tn_flow_key_make(&p, &kp);
	tn_flow_key_make(&r, &kr);
	ck_assert(memcmp(&kp, &kr, sizeof kp) == 0);
	/* So do PPTP's call ids (GRE version 1); a version 0 key is the tunnel's. */
	tunnel(&p, oa, ob, TN_ENC_GRE, 100);
	tunnel(&r, ob, oa, TN_ENC_GRE, 200);
	tn_flow_key_make(&p, &kp);
	tn_flow_key_make(&r, &kr);
	ck_assert(memcmp(&kp, &kr, sizeof kp) != 0);
	p.encap[1].version = r.encap[1].version = 1;
	tn_flow_key_make(&p, &kp);
	tn_flow_key_make(&r, &kr);
	ck_assert(memcmp(&kp, &kr, sizeof kp) == 0);
}
END_TEST

/* 64 shards by hash % 64 over 64k flows: none empty, none more than twice its share. */
START_TEST(test_hash_spread)
{
	enum { SHARDS = 64, FLOWS = 65536 };
	static unsigned count[SHARDS];
	memset(count, 0, sizeof count);
	static const uint8_t srv[16] = { 0xfd, 0, 0, 2, [15] = 0x10 };
	struct tn_packet p;
	struct tn_flow_key k;
	for (uint32_t i = 0; i < FLOWS; i++) {
		uint8_t cl[16] = { 0xfd, 0, 0, 1, [14] = (uint8_t)(i >> 12), [15] = 5 };
		pkt6(&p, cl, (uint16_t)(32768 + (i & 0xfff)), srv, 443);
		tn_flow_key_make(&p, &k);
		count[tn_flow_key_hash(&k, 0) % SHARDS]++;
	}
	for (int s = 0; s < SHARDS; s++)
		ck_assert_msg(count[s] > 0 && count[s] < 2 * FLOWS / SHARDS, "shard %d has %u", s,
			      count[s]);
}
END_TEST

START_TEST(test_destroy_null)
{
	tn_flow_table_destroy(NULL);
}
END_TEST

static Suite *flow_suite(void)
{
	Suite *s = suite_create("flow");
	TCase *tc = tcase_create("keys");
	TN_ADD_TABLE_TEST(tc, test_both_directions_table, dir_cases);
	tcase_add_test(tc, test_distinct_flows);
	tcase_add_test(tc, test_ipv4_vs_ipv6);
	suite_add_tcase(s, tc);
	tc = tcase_create("limits");
	tcase_add_test(tc, test_lru_eviction);
	tcase_add_test(tc, test_eviction_without_callback);
	tcase_add_test(tc, test_payload_zeroed);
	tcase_add_test(tc, test_many_flows);
	TN_ADD_TABLE_TEST(tc, test_create_limits_table, limit_cases);
	tcase_add_test(tc, test_full_refuses_insert);
	tcase_add_test(tc, test_idle);
	tcase_add_test(tc, test_destroy_null);
	suite_add_tcase(s, tc);
	tc = tcase_create("hash");
	tcase_add_test(tc, test_hash_deterministic);
	tcase_add_test(tc, test_tunnel_identity);
	tcase_add_test(tc, test_hash_spread);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tn_unit_run(flow_suite());
}
