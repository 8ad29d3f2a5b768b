/*
 * test_community_id.c — Community ID v1 and its SHA-1
 * (include/tcpnarrate/community_id.h).
 *
 * Vectors come from three places, named in each row:
 *  - the spec repository, corelight/community-id-spec at b1fe530:
 *    baseline/README.md (the "Default settings" and "seed=1" tables) and
 *    baseline/baseline_deflt.json, baseline_seed1.json (the TCP rows);
 *  - tshark 4.0.17 on the shipped captures captures/http10-python-ipv4.pcap
 *    and captures/http10-python-ipv6.pcap, run as
 *      tshark -r FILE --enable-protocol communityid -o communityid.seed:N \
 *        -T fields -e ip.src -e ipv6.src -e tcp.srcport -e ip.dst \
 *        -e ipv6.dst -e tcp.dstport -e communityid
 *    (the dissector is off by default in 4.0), the key built by hand from
 *    the addresses and ports it printed;
 *  - the same tshark on packets written for the purpose and not shipped,
 *    for equal addresses (ports decide the order) and a seed of 65535.
 * 10.0.1.5:45174 ↔ 10.0.2.10:80 has the lower address on the higher port,
 * so it tells comparing addresses first from comparing ports first.
 *
 * Every vector is checked with the key in both endpoint orders and with the
 * canonical key tn_flow_key_make builds from a packet either way. SHA-1 is
 * checked against FIPS 180 examples ("abc", the 448-bit message, a million
 * 'a') plus the empty string and lengths around the padding boundaries
 * (expected values from Python's hashlib). Output buffers are heap blocks
 * of exactly the size given, poisoned before each call, so a memory checker
 * sees any write past them.
 */
#include <tcpnarrate/community_id.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"

static const struct cid_case {
	const char *name;
	int family;              /* AF_INET or AF_INET6 */
	const char *src;
	uint16_t sport;
	const char *dst;
	uint16_t dport;
	uint16_t seed;
	const char *id;
} cid_cases[] = {
	{ "spec README: TCP 1.2.3.4, seed 0", AF_INET, "1.2.3.4", 1122, "5.6.7.8", 3344, 0,
	  "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
	{ "spec README: TCP 1.2.3.4, seed 1", AF_INET, "1.2.3.4", 1122, "5.6.7.8", 3344, 1,
	  "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk=" },
	{ "baseline_deflt.json: IPv4", AF_INET, "128.232.110.120", 34855, "66.35.250.204", 80, 0,
	  "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ "baseline_seed1.json: IPv4", AF_INET, "128.232.110.120", 34855, "66.35.250.204", 80, 1,
	  "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ "baseline_deflt.json: IPv6", AF_INET6, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943,
	  "2607:f8b0:400c:c03::1a", 25, 0, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=" },
	{ "baseline_seed1.json: IPv6", AF_INET6, "2001:470:e5bf:dead:4957:2174:e82c:4887", 63943,
	  "2607:f8b0:400c:c03::1a", 25, 1, "1:eJYTW6AOzFLlSUoESovMjnu7rMw=" },
	{ "tshark: http10-python-ipv4.pcap, seed 0", AF_INET, "10.0.1.5", 45174, "10.0.2.10", 80, 0,
	  "1:GVGBszOa+cGiSzCEwK85F06XR+0=" },
	{ "tshark: http10-python-ipv4.pcap, seed 1", AF_INET, "10.0.1.5", 45174, "10.0.2.10", 80, 1,
	  "1:HLsBXsvR9JdXIHwHEzDBRnCmeYk=" },
	{ "tshark: http10-python-ipv6.pcap, seed 0", AF_INET6, "fd00:1::5", 49930, "fd00:2::10", 80, 0,
	  "1:E/0BC23b1ZAVhy58LOuc5euno58=" },
	{ "tshark: http10-python-ipv6.pcap, seed 1", AF_INET6, "fd00:1::5", 49930, "fd00:2::10", 80, 1,
	  "1:hE/Lov7wjDj+dKHr3zLgm9AG04U=" },
	{ "tshark: equal IPv4 addresses", AF_INET, "127.0.0.1", 1234, "127.0.0.1", 80, 0,
	  "1:CClrqgOo/86/YM8mzzGpJkw9tqQ=" },
	{ "tshark: equal IPv4 addresses, seed 1", AF_INET, "127.0.0.1", 1234, "127.0.0.1", 80, 1,
	  "1:IwgHTZ208yzT9wfmiuVlsY59fpM=" },
	{ "tshark: equal IPv6 addresses", AF_INET6, "::1", 1234, "::1", 80, 0,
	  "1:uz+qT2wzYwWbFitct9GrWu8v/g4=" },
	{ "tshark: spec README's 10.0.0.1 ↔ 127.0.0.1", AF_INET, "10.0.0.1", 1234, "127.0.0.1", 80, 0,
	  "1:F/BCgQTUT/FXrTnSBgdsKwJ26iE=" },
	{ "tshark: seed 65535", AF_INET, "1.2.3.4", 1122, "5.6.7.8", 3344, 65535,
	  "1:hnoXDUiOLCOYtDgQ61b3biU9uUk=" },
	{ NULL, 0, NULL, 0, NULL, 0, 0, NULL },
};

static void addr_of(const struct cid_case *c, const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	ck_assert_msg(inet_pton(c->family, text, out) == 1, "%s: bad address %s", c->name, text);
}

/* The key as written in the row (src is endpoint 0), or the other way round. */
static void key_of(const struct cid_case *c, int swap, struct tn_flow_key *k)
{
	memset(k, 0xA5, sizeof *k);
	k->family = c->family == AF_INET ? 4 : 6;
	addr_of(c, c->src, k->addr[swap]);
	addr_of(c, c->dst, k->addr[!swap]);
	k->port[swap] = c->sport;
	k->port[!swap] = c->dport;
}

/* The canonical key of a packet from src to dst, or back. */
static void canonical_key_of(const struct cid_case *c, int back, struct tn_flow_key *k)
{
	struct tn_packet p;
	uint8_t a[16], b[16];
	memset(&p, 0xA5, sizeof p);
	addr_of(c, back ? c->dst : c->src, a);
	addr_of(c, back ? c->src : c->dst, b);
	p.ip_version = c->family == AF_INET ? 4 : 6;
	memcpy(p.ip_version == 4 ? p.ip4.src : p.ip6.src, a, p.ip_version == 4 ? 4 : 16);
	memcpy(p.ip_version == 4 ? p.ip4.dst : p.ip6.dst, b, p.ip_version == 4 ? 4 : 16);
	p.tcp.sport = back ? c->dport : c->sport;
	p.tcp.dport = back ? c->sport : c->dport;
	tn_flow_key_make(&p, k);
}

static void check_id(const struct cid_case *c, const struct tn_flow_key *k, const char *how)
{
	char *buf = malloc(TN_COMMUNITY_ID_SIZE);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 0x5A, TN_COMMUNITY_ID_SIZE);
	tn_community_id(k, c->seed, buf, TN_COMMUNITY_ID_SIZE);
	ck_assert_msg(memchr(buf, '\0', TN_COMMUNITY_ID_SIZE) != NULL, "%s (%s): no NUL", c->name, how);
	ck_assert_msg(strcmp(buf, c->id) == 0, "%s (%s): got %s, want %s", c->name, how, buf, c->id);
	free(buf);
}

START_TEST(test_vector)
{
	const struct cid_case *c = &cid_cases[_i];
	struct tn_flow_key k;
	key_of(c, 0, &k);
	check_id(c, &k, "as written");
	key_of(c, 1, &k);
	check_id(c, &k, "endpoints swapped");
	canonical_key_of(c, 0, &k);
	check_id(c, &k, "canonical key, forward packet");
	canonical_key_of(c, 1, &k);
	check_id(c, &k, "canonical key, reverse packet");
}
END_TEST

static const struct sha1_case {
	const char *name;
	const char *msg;     /* repeated `reps` times */
	size_t reps;
	const char *digest;  /* hex */
} sha1_cases[] = {
	{ "FIPS 180: abc", "abc", 1, "a9993e364706816aba3e25717850c26c9cd0d89d" },
	{ "empty", "", 1, "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
	{ "FIPS 180: 448 bits", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
	  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	{ "FIPS 180: a million a", "a", 1000000, "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
	{ "55 bytes: padding fits one block", "a", 55, "c1c8bbdc22796e28c0e15163d20899b65621d65a" },
	{ "63 bytes: padding takes a second block", "a", 63, "03f09f5b158a7a8cdad920bddc29b81c18a551f5" },
	{ "64 bytes: one whole block", "a", 64, "0098ba824b5c16427bd7a1122a5a442a25ec644d" },
	{ "65 bytes", "a", 65, "11655326c708d70319be2610e8a57d9a5b959d3b" },
	{ NULL, NULL, 0, NULL },
};

static void check_sha1_case(int row)
{
	const struct sha1_case *c = &sha1_cases[row];
	size_t part = strlen(c->msg), len = part * c->reps;
	uint8_t *msg = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(msg);
	for (size_t i = 0; i < c->reps; i++)
		memcpy(msg + i * part, c->msg, part);
	uint8_t digest[TN_SHA1_SIZE];
	memset(digest, 0x5A, sizeof digest);
	tn_community_id_sha1(len ? msg : NULL, len, digest);
	char hex[2 * TN_SHA1_SIZE + 1];
	for (size_t i = 0; i < TN_SHA1_SIZE; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	ck_assert_msg(strcmp(hex, c->digest) == 0, "%s: got %s, want %s", c->name, hex, c->digest);
	free(msg);
}

START_TEST(test_sha1)
{
	check_sha1_case(_i);
}
END_TEST

/* Buffers too small, and keys of no family: the empty string, nothing written past len. */
static const struct small_case {
	const char *name;
	size_t len;
	uint8_t family;
	const char *want;    /* NULL: len is 0, nothing may be written */
} small_cases[] = {
	{ "len 0", 0, 4, NULL },
	{ "len 1", 1, 4, "" },
	{ "len 2", 2, 4, "" },
	{ "one short of the NUL", TN_COMMUNITY_ID_SIZE - 1, 4, "" },
	{ "exactly enough", TN_COMMUNITY_ID_SIZE, 4, "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
	{ "room to spare", TN_COMMUNITY_ID_SIZE + 9, 4, "1:wCb3OG7yAFWelaUydu0D+125CLM=" },
	{ "family 0", TN_COMMUNITY_ID_SIZE, 0, "" },
	{ "family 5", TN_COMMUNITY_ID_SIZE, 5, "" },
	{ NULL, 0, 0, NULL },
};

START_TEST(test_small)
{
	const struct small_case *c = &small_cases[_i];
	struct tn_flow_key k;
	key_of(&cid_cases[0], 0, &k);
	k.family = c->family;
	char *buf = malloc(c->len ? c->len : 1);
	ck_assert_ptr_nonnull(buf);
	memset(buf, 0x5A, c->len ? c->len : 1);
	tn_community_id(&k, 0, buf, c->len);
	if (!c->want)
		ck_assert_msg(buf[0] == 0x5A, "%s: written to", c->name);
	else
		ck_assert_msg(strcmp(buf, c->want) == 0, "%s: got \"%s\", want \"%s\"", c->name, buf,
			      c->want);
	free(buf);
}
END_TEST

/* The FIPS vectors again in portable C, whichever the CPU would use. */
START_TEST(test_sha1_portable)
{
	tn_community_id_use_sha_ni(false);
	check_sha1_case(_i);
	tn_community_id_use_sha_ni(true);
}
END_TEST

/*
 * The SHA instructions against portable C on every length from 0 to 300
 * bytes (one to six blocks with the padding), pseudo-random contents; where
 * the CPU lacks the instructions both runs are portable and the test says so.
 */
START_TEST(test_sha1_ni_like_portable)
{
	uint8_t msg[300], a[TN_SHA1_SIZE], b[TN_SHA1_SIZE];
	uint64_t x = 0x243f6a8885a308d3u;
	for (size_t i = 0; i < sizeof msg; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		msg[i] = (uint8_t)x;
	}
	bool ni = tn_community_id_use_sha_ni(true);
	if (!ni)
		fprintf(stderr, "test_sha1_ni_like_portable: this CPU has no SHA instructions\n");
	for (size_t len = 0; len <= sizeof msg; len++) {
		tn_community_id_use_sha_ni(true);
		tn_community_id_sha1(msg, len, a);
		tn_community_id_use_sha_ni(false);
		tn_community_id_sha1(msg, len, b);
		ck_assert_msg(memcmp(a, b, sizeof a) == 0, "length %zu differs", len);
	}
	tn_community_id_use_sha_ni(true);
}
END_TEST

static Suite *community_id_suite(void)
{
	Suite *s = suite_create("community_id");
	TCase *tc = tcase_create("vectors");
	TN_ADD_TABLE_TEST(tc, test_vector, cid_cases);
	suite_add_tcase(s, tc);
	tc = tcase_create("sha1");
	TN_ADD_TABLE_TEST(tc, test_sha1, sha1_cases);
	TN_ADD_TABLE_TEST(tc, test_sha1_portable, sha1_cases);
	tcase_add_test(tc, test_sha1_ni_like_portable);
	suite_add_tcase(s, tc);
	tc = tcase_create("buffers");
	TN_ADD_TABLE_TEST(tc, test_small, small_cases);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tn_unit_run(community_id_suite());
}
