/*
 * test_decode.c — link, IP and TCP decoding (include/tcpnarrate/decode.h).
 *
 * Every frame is built in code by pktbuild (never a hand-edited hex blob),
 * copied to a heap buffer of exactly caplen bytes (so a memory checker sees
 * any read past the capture), and decoded into a struct tn_packet that was
 * first filled with 0xA5, so a field the decoder forgets to write shows up.
 *
 * Cases: a SYN over every supported link type with every field checked;
 * VLAN tags and 802.2 SNAP; IPv4 options and fragments; IPv6 extension
 * headers and fragments; frames that are not TCP or not IP; every malformed
 * length the decoder checks; every TCP option kind it knows, with good and
 * bad lengths; snaplen cuts at each layer; checksum verdicts (OK, bad,
 * offload, unverified); and loops over every truncation length and over
 * single-byte corruptions of valid frames.
 */
#include <tcpnarrate/decode.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pktbuild.h"
#include "unit.h"

#define DLT_NULL_ 0
#define DLT_EN10MB_ 1
#define DLT_RAW_ 12
#define DLT_RAW_OPENBSD_ 14
#define DLT_LOOP_ 108
#define DLT_LINUX_SLL_ 113
#define DLT_IPV4_ 228
#define DLT_IPV6_ 229
#define DLT_LINUX_SLL2_ 276
#define DLT_IEEE802_11_RADIO_ 127
#define DLT_NFLOG_ 239

#define ET_IPV4 0x0800
#define ET_IPV6 0x86dd
#define ET_ARP 0x0806

/* Compares two integers and names the expression and the test row on failure. */
#define EQ(a, b)                                                                          \
	ck_assert_msg((long long)(a) == (long long)(b), "%s: %s is %lld, expected %lld", name, \
		      #a, (long long)(a), (long long)(b))

static uint8_t *frame_copy;   /* the exact-size copy the last decode read */

static void poison(struct tn_packet *p)
{
	memset(p, 0xA5, sizeof *p);
}

static enum tn_decode_result decode_raw(uint32_t dlt, const uint8_t *bytes, uint32_t caplen,
					uint32_t wirelen, struct tn_packet *out)
{
	free(frame_copy);
	frame_copy = malloc(caplen ? caplen : 1);
	ck_assert_ptr_nonnull(frame_copy);
	if (caplen)
		memcpy(frame_copy, bytes, caplen);
	poison(out);
	return tn_decode(dlt, frame_copy, caplen, wirelen, out);
}

static enum tn_decode_result decode_pb(uint32_t dlt, const struct pb *k, struct tn_packet *out)
{
	return decode_raw(dlt, k->b, (uint32_t)k->len, (uint32_t)k->len, out);
}

/* A snaplen cut: caplen bytes captured of a frame that was k->len on the wire. */
static enum tn_decode_result decode_cut(uint32_t dlt, const struct pb *k, uint32_t caplen,
					struct tn_packet *out)
{
	return decode_raw(dlt, k->b, caplen, (uint32_t)k->len, out);
}

static void teardown(void)
{
	free(frame_copy);
	frame_copy = NULL;
}

static const uint8_t payload10[10] = "0123456789";

/* ---------------------------------------------------------------- link types */

enum link { L_ETH, L_SLL, L_SLL2, L_NULL, L_LOOP, L_NONE };

static void add_link(struct pb *k, enum link lk, uint32_t param, bool be, int ipver)
{
	uint16_t et = ipver == 4 ? ET_IPV4 : ET_IPV6;
	switch (lk) {
	case L_ETH: pb_eth(k, et); break;
	case L_SLL: pb_sll(k, (uint16_t)param, et); break;
	case L_SLL2: pb_sll2(k, (uint8_t)param, et); break;
	case L_NULL: pb_null(k, param, be); break;
	case L_LOOP: pb_loop(k, param); break;
	case L_NONE: break;
	}
}

static void add_ip(struct pb *k, int ipver)
{
	if (ipver == 4)
		pb_ipv4(k, &pb_ip4_default);
	else
		pb_ipv6(k, &pb_ip6_default);
}

static void build_syn(struct pb *k, enum link lk, uint32_t param, bool be, int ipver)
{
	pb_init(k);
	add_link(k, lk, param, be, ipver);
	add_ip(k, ipver);
	pb_tcp(k, &pb_syn_default);
	pb_finish(k);
}

/* Every field of the standard SYN built by build_syn(). */
static void check_syn(const char *name, const struct pb *k, const struct tn_packet *p, int ipver)
{
	EQ(p->caplen, k->len);
	EQ(p->wirelen, k->len);
	EQ(p->ip_offset, k->l3);
	EQ(p->ip_version, ipver);
	EQ(p->ip_proto, 6);
	EQ(p->l4_len, 40);
	EQ(p->tcp_offset, k->l4);
	if (ipver == 4) {
		const struct tn_ipv4 *ip = &p->ip4;
		EQ(ip->version, 4);
		EQ(ip->hdr_len, 20);
		EQ(ip->dscp, 46);
		EQ(ip->ecn, 1);
		EQ(ip->total_len, 60);
		EQ(ip->id, 0x1234);
		EQ(ip->rf, false);
		EQ(ip->df, true);
		EQ(ip->mf, false);
		EQ(ip->frag_off, 0);
		EQ(ip->ttl, 64);
		EQ(ip->proto, 6);
		EQ(ip->checksum, pb_get16(k, k->l3 + 10));
		EQ(ip->checksum_status, TN_CSUM_OK);
		EQ(ip->tso_zero_len, false);
		ck_assert_mem_eq(ip->src, pb_ip4_default.src, 4);
		ck_assert_mem_eq(ip->dst, pb_ip4_default.dst, 4);
	} else {
		const struct tn_ipv6 *ip = &p->ip6;
		EQ(ip->version, 6);
		EQ(ip->tclass, 0xb9);
		EQ(ip->flow, 0xabcde);
		EQ(ip->payload_len, 40);
		EQ(ip->next_header, 6);
		EQ(ip->hop_limit, 64);
		ck_assert_mem_eq(ip->src, pb_ip6_default.src, 16);
		ck_assert_mem_eq(ip->dst, pb_ip6_default.dst, 16);
		EQ(ip->n_ext, 0);
		EQ(ip->frag, false);
		EQ(ip->upper, 6);
		EQ(ip->jumbo, false);
	}
	const struct tn_tcp *t = &p->tcp;
	EQ(t->sport, 43210);
	EQ(t->dport, 80);
	EQ(t->seq, 0x11223344u);
	EQ(t->ack, 0);
	EQ(t->hdr_len, 40);
	EQ(t->reserved, 0);
	EQ(t->flags, TN_TH_SYN);
	EQ(t->window, 64240);
	EQ(t->checksum, pb_get16(k, k->l4 + 16));
	EQ(t->checksum_status, TN_CSUM_OK);
	EQ(t->urgent, 0);
	EQ(t->n_opts, 5);
	EQ(t->opts[0].kind, TN_OPT_MSS);
	EQ(t->opts[0].len, 4);
	EQ(t->opts[0].offset, 20);
	EQ(t->opts[0].u.mss, 1460);
	EQ(t->opts[1].kind, TN_OPT_SACK_PERM);
	EQ(t->opts[1].len, 2);
	EQ(t->opts[1].offset, 24);
	EQ(t->opts[2].kind, TN_OPT_TIMESTAMP);
	EQ(t->opts[2].len, 10);
	EQ(t->opts[2].offset, 26);
	EQ(t->opts[2].u.ts.val, 4096);
	EQ(t->opts[2].u.ts.ecr, 0);
	EQ(t->opts[3].kind, TN_OPT_NOP);
	EQ(t->opts[3].len, 1);
	EQ(t->opts[3].offset, 36);
	EQ(t->opts[4].kind, TN_OPT_WSCALE);
	EQ(t->opts[4].len, 3);
	EQ(t->opts[4].offset, 37);
	EQ(t->opts[4].u.shift, 7);
	for (unsigned i = 0; i < 5; i++)
		EQ(t->opts[i].exid, 0);
	EQ(t->opts_malformed, false);
	EQ(t->opts_cut, false);
	EQ(t->opts_stop, 40);
	ck_assert_ptr_null(p->payload);
	EQ(p->payload_len, 0);
	EQ(p->payload_captured, 0);
	EQ(p->problem, TN_PROB_NONE);
	ck_assert_str_eq(p->problem_text, "");
}

static const struct link_case {
	const char *name;
	uint32_t dlt;
	enum link lk;
	uint32_t param;     /* SLL packet type, NULL/LOOP address family */
	bool big_endian;    /* NULL only */
	int ipver;
	int sll_pkttype;
	int ethertype;      /* expected, or -1 when the link carries none */
} link_cases[] = {
	{ "EN10MB IPv4", DLT_EN10MB_, L_ETH, 0, false, 4, -1, ET_IPV4 },
	{ "EN10MB IPv6", DLT_EN10MB_, L_ETH, 0, false, 6, -1, ET_IPV6 },
	{ "LINUX_SLL IPv4 host", DLT_LINUX_SLL_, L_SLL, 0, false, 4, 0, ET_IPV4 },
	{ "LINUX_SLL IPv6 outgoing", DLT_LINUX_SLL_, L_SLL, 4, false, 6, 4, ET_IPV6 },
	{ "LINUX_SLL2 IPv4 host", DLT_LINUX_SLL2_, L_SLL2, 0, false, 4, 0, ET_IPV4 },
	{ "LINUX_SLL2 IPv6 outgoing", DLT_LINUX_SLL2_, L_SLL2, 4, false, 6, 4, ET_IPV6 },
	{ "NULL little-endian AF_INET", DLT_NULL_, L_NULL, 2, false, 4, -1, -1 },
	{ "NULL big-endian AF_INET", DLT_NULL_, L_NULL, 2, true, 4, -1, -1 },
	{ "NULL little-endian AF_INET6 (BSD 24)", DLT_NULL_, L_NULL, 24, false, 6, -1, -1 },
	{ "NULL little-endian AF_INET6 (FreeBSD 28)", DLT_NULL_, L_NULL, 28, false, 6, -1, -1 },
	{ "NULL big-endian AF_INET6 (Darwin 30)", DLT_NULL_, L_NULL, 30, true, 6, -1, -1 },
	{ "NULL little-endian AF_INET6 (Darwin 30)", DLT_NULL_, L_NULL, 30, false, 6, -1, -1 },
	{ "NULL little-endian AF_INET6 (Linux 10)", DLT_NULL_, L_NULL, 10, false, 6, -1, -1 },
	{ "LOOP AF_INET", DLT_LOOP_, L_LOOP, 2, false, 4, -1, -1 },
	{ "LOOP AF_INET6 (OpenBSD 24)", DLT_LOOP_, L_LOOP, 24, false, 6, -1, -1 },
	{ "RAW (12) IPv4", DLT_RAW_, L_NONE, 0, false, 4, -1, -1 },
	{ "RAW (12) IPv6", DLT_RAW_, L_NONE, 0, false, 6, -1, -1 },
	{ "RAW (14, OpenBSD) IPv4", DLT_RAW_OPENBSD_, L_NONE, 0, false, 4, -1, -1 },
	{ "RAW (14, OpenBSD) IPv6", DLT_RAW_OPENBSD_, L_NONE, 0, false, 6, -1, -1 },
	{ "IPV4", DLT_IPV4_, L_NONE, 0, false, 4, -1, -1 },
	{ "IPV6", DLT_IPV6_, L_NONE, 0, false, 6, -1, -1 },
	{ NULL, 0, 0, 0, false, 0, 0, 0 },
};

START_TEST(test_link_table)
{
	const struct link_case *c = &link_cases[_i];
	const char *name = c->name;
	struct pb k;
	struct tn_packet p;
	build_syn(&k, c->lk, c->param, c->big_endian, c->ipver);
	EQ(decode_pb(c->dlt, &k, &p), TN_DEC_TCP);
	EQ(p.linktype, c->dlt);
	EQ(p.n_vlan, 0);
	EQ(p.sll_pkttype, c->sll_pkttype);
	if (c->ethertype >= 0)
		EQ(p.ethertype, c->ethertype);
	check_syn(name, &k, &p, c->ipver);
	EQ(tn_decode_link_supported(c->dlt), true);
}
END_TEST

static const struct supported_case {
	const char *name;
	uint32_t dlt;
	bool supported;
} supported_cases[] = {
	{ "NULL", 0, true }, { "EN10MB", 1, true }, { "RAW", 12, true },
	{ "RAW OpenBSD", 14, true }, { "LOOP", 108, true }, { "LINUX_SLL", 113, true },
	{ "IPV4", 228, true }, { "IPV6", 229, true }, { "LINUX_SLL2", 276, true },
	{ "IEEE802_11", 105, true }, { "IEEE802_11_RADIO", 127, true },
	{ "USER0", 147, false }, { "PPP", 9, true }, { "NFLOG", 239, true },
	{ "IPOIB", 242, true }, { "FDDI", 10, true }, { "ARCNET_LINUX", 129, true },
	{ "JUNIPER_ETHER", 178, true }, { "PPP_SERIAL", 50, true }, { "C_HDLC", 104, true },
	{ "PPP_ETHER", 51, true }, { "FRELAY", 107, false }, { "huge", 0xffffffffu, false },
	{ NULL, 0, false },
};

START_TEST(test_link_supported_table)
{
	const struct supported_case *c = &supported_cases[_i];
	ck_assert_msg(tn_decode_link_supported(c->dlt) == c->supported, "%s", c->name);
}
END_TEST

START_TEST(test_unsupported_link)
{
	const char *name = "DLT 147";
	struct pb k;
	struct tn_packet p;
	build_syn(&k, L_ETH, 0, false, 4);
	EQ(decode_pb(147, &k, &p), TN_DEC_UNSUPPORTED_LINK);
	EQ(p.linktype, 147);
	EQ(p.ip_version, 0);
	EQ(p.problem, TN_PROB_NONE);
}
END_TEST

static const struct notip_case {
	const char *name;
	uint32_t dlt;
	enum link lk;
	uint32_t param;
	enum tn_decode_result res;
} notip_cases[] = {
	{ "NULL unknown family 7", DLT_NULL_, L_NULL, 7, TN_DEC_NOT_IP },
	{ "LOOP unknown family", DLT_LOOP_, L_LOOP, 0x1234, TN_DEC_NOT_IP },
	{ "SLL ARP", DLT_LINUX_SLL_, L_SLL, 0, TN_DEC_NOT_IP },
	{ NULL, 0, 0, 0, 0 },
};

START_TEST(test_not_ip_table)
{
	const struct notip_case *c = &notip_cases[_i];
	const char *name = c->name;
	struct pb k;
	struct tn_packet p;
	pb_init(&k);
	if (c->lk == L_SLL)
		pb_sll(&k, 0, ET_ARP);
	else
		add_link(&k, c->lk, c->param, false, 4);
	pb_proto(&k, 0, 28);
	EQ(decode_pb(c->dlt, &k, &p), c->res);
	EQ(p.ip_version, 0);
	EQ(p.problem, TN_PROB_NONE);
}
END_TEST

START_TEST(test_arp)
{
	const char *name = "ARP";
	struct pb k;
	struct tn_packet p;
	pb_init(&k);
	pb_eth(&k, ET_ARP);
	pb_proto(&k, 0, 28);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_NOT_IP);
	EQ(p.ethertype, ET_ARP);
	EQ(p.ip_version, 0);
	EQ(p.problem, TN_PROB_NONE);
}
END_TEST

/* ---------------------------------------------------------------- VLAN and SNAP */

static const struct vlan_case {
	const char *name;
	size_t n;
	uint16_t tpid[6], tci[6];
	enum tn_decode_result res;
	uint8_t n_vlan;
	uint16_t vid[4];
	enum tn_problem problem;
} vlan_cases[] = {
	{ "802.1Q", 1, { 0x8100 }, { 0x2064 }, TN_DEC_TCP, 1, { 100 }, TN_PROB_NONE },
	{ "802.1ad outer, 802.1Q inner", 2, { 0x88a8, 0x8100 }, { 0x00c8, 0xe12c },
	  TN_DEC_TCP, 2, { 200, 300 }, TN_PROB_NONE },
	{ "0x9100 double tag", 2, { 0x9100, 0x8100 }, { 0x0fff, 0x0001 }, TN_DEC_TCP, 2,
	  { 4095, 1 }, TN_PROB_NONE },
	{ "four tags (the maximum)", 4, { 0x88a8, 0x9200, 0x9100, 0x8100 }, { 1, 2, 3, 4 },
	  TN_DEC_TCP, 4, { 1, 2, 3, 4 }, TN_PROB_NONE },
	{ "five tags", 5, { 0x8100, 0x8100, 0x8100, 0x8100, 0x8100 }, { 1, 2, 3, 4, 5 },
	  TN_DEC_MALFORMED, 4, { 1, 2, 3, 4 }, TN_PROB_LINK },
	{ NULL, 0, { 0 }, { 0 }, 0, 0, { 0 }, 0 },
};

START_TEST(test_vlan_table)
{
	const struct vlan_case *c = &vlan_cases[_i];
	const char *name = c->name;
	struct pb k;
	struct tn_packet p;
	pb_init(&k);
	pb_eth_tags(&k, c->tpid, c->tci, c->n, ET_IPV4);
	pb_ipv4(&k, &pb_ip4_default);
	pb_tcp(&k, &pb_syn_default);
	pb_finish(&k);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), c->res);
	EQ(p.n_vlan, c->n_vlan);
	for (unsigned i = 0; i < c->n_vlan; i++)
		EQ(p.vlan[i], c->vid[i]);
	EQ(p.problem, c->problem);
	if (c->res == TN_DEC_TCP) {
		EQ(p.ethertype, ET_IPV4);
		EQ(p.ip_offset, 14 + 4 * c->n);
		check_syn(name, &k, &p, 4);
	} else {
		ck_assert_msg(p.problem_text[0] != '\0', "%s: no problem text", name);
	}
}
END_TEST

START_TEST(test_snap)
{
	const char *name = "802.2 SNAP";
	struct pb k;
	struct tn_packet p;
	pb_init(&k);
	pb_eth_llc(&k, 0xaa, 0xaa, 0x03, ET_IPV4);
	pb_ipv4(&k, &pb_ip4_default);
	pb_tcp(&k, &pb_syn_default);
	pb_finish(&k);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_TCP);
	EQ(p.ip_offset, 22);
	check_syn(name, &k, &p, 4);

	name = "802.2 LLC, not SNAP";
	pb_init(&k);
	pb_eth_llc(&k, 0x42, 0x42, 0x03, ET_IPV4);
	pb_ipv4(&k, &pb_ip4_default);
	pb_tcp(&k, &pb_syn_default);
	pb_finish(&k);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_NOT_IP);
	EQ(p.ip_version, 0);
}
END_TEST

/* ---------------------------------------------------------------- IPv4 */

START_TEST(test_ipv4_options)
{
	const char *name = "IPv4 with 8 option bytes";
	static const uint8_t ipopts[8] = { 0x94, 0x04, 0x00, 0x00, /* router alert */
					   0x01, 0x01, 0x01, 0x00 };
	struct pb_ip4 ip = pb_ip4_default;
	ip.opts = ipopts;
	ip.opts_len = sizeof ipopts;
	struct pb k;
	struct tn_packet p;
	pb_init(&k);
	pb_eth(&k, ET_IPV4);
	pb_ipv4(&k, &ip);
	pb_tcp(&k, &pb_syn_default);
	pb_finish(&k);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_TCP);
	EQ(p.ip4.hdr_len, 28);
	EQ(p.ip4.total_len, 68);
	EQ(p.tcp_offset, 14 + 28);
	EQ(p.l4_len, 40);
	EQ(p.ip4.checksum_status, TN_CSUM_OK);
	EQ(p.tcp.checksum_status, TN_CSUM_OK);
	EQ(p.tcp.sport, 43210);
	EQ(p.tcp.n_opts, 5);
	EQ(p.problem, TN_PROB_NONE);
}
END_TEST

static void build_v4_frag(struct pb *k, uint16_t frag)
{
	struct pb_ip4 ip = pb_ip4_default;
	ip.frag = frag;
	pb_init(k);
	pb_eth(k, ET_IPV4);
	pb_ipv4(k, &ip);
	pb_tcp(k, &pb_syn_default);
	pb_payload(k, payload10, sizeof payload10);
	pb_finish(k);
}

START_TEST(test_ipv4_fragments)
{
	const char *name = "non-first fragment";
	struct pb k;
	struct tn_packet p;
	build_v4_frag(&k, 185); /* offset 185 × 8 = 1480 bytes, last fragment */
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_FRAGMENT);
	EQ(p.ip_version, 4);
	EQ(p.ip4.frag_off, 1480);
	EQ(p.ip4.mf, false);
	EQ(p.ip_proto, 6);

	name = "middle fragment (MF and offset)";
	build_v4_frag(&k, 0x2000 | 185);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_FRAGMENT);
	EQ(p.ip4.mf, true);
	EQ(p.ip4.frag_off, 1480);

	name = "smallest offset (8 bytes)";
	build_v4_frag(&k, 1);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_FRAGMENT);
	EQ(p.ip4.frag_off, 8);

	/*
	 * First fragment: TCP is there and decoded, but the checksum covers
	 * bytes in later fragments, so it cannot be judged. The field holds a
	 * sum over this fragment only, which would be "OK" if it were checked;
	 * flip one payload byte so a verifier that ignored MF would say BAD.
	 */
	name = "first fragment";
	build_v4_frag(&k, 0x2000);
	k.b[k.pay] ^= 0xff;
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_TCP);
	EQ(p.ip4.mf, true);
	EQ(p.ip4.df, false);
	EQ(p.ip4.frag_off, 0);
	EQ(p.ip4.checksum_status, TN_CSUM_OK);
	EQ(p.tcp.checksum_status, TN_CSUM_UNVERIFIED);
	EQ(p.tcp.sport, 43210);
	EQ(p.payload_len, 10);
	EQ(p.payload_captured, 10);
	ck_assert_ptr_eq(p.payload, frame_copy + k.pay);
	EQ(p.problem, TN_PROB_NONE);
}
END_TEST

static const struct notcp_case {
	const char *name;
	int ipver;
	uint8_t proto;   /* 17 UDP, else a bare protocol number */
	uint8_t ext;     /* IPv6: an extension header first (0 none) */
} notcp_cases[] = {
	{ "IPv4 UDP", 4, 17, 0 },
	{ "IPv4 ICMP", 4, 1, 0 },
	{ "IPv4 SCTP", 4, 132, 0 },
	{ "IPv6 UDP", 6, 17, 0 },
	{ "IPv6 ICMPv6", 6, 58, 0 },
	{ "IPv6 UDP after destination options", 6, 17, 60 },
	{ "IPv6 ESP (not walked)", 6, 50, 0 },
	{ "IPv6 no next header", 6, 59, 0 },
	{ NULL, 0, 0, 0 },
};

START_TEST(test_not_tcp_table)
{
	const struct notcp_case *c = &notcp_cases[_i];
	const char *name = c->name;
	struct pb k;
	struct tn_packet p;
	pb_init(&k);
	pb_eth(&k, c->ipver == 4 ? ET_IPV4 : ET_IPV6);
	add_ip(&k, c->ipver);
	if (c->ext)
		pb_ip6_ext(&k, c->ext, 8);
	if (c->proto == 17) {
		pb_udp(&k, 5353, 53);
		pb_payload(&k, payload10, sizeof payload10);
	} else {
		pb_proto(&k, c->proto, 16);
	}
	pb_finish(&k);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_NOT_TCP);
	EQ(p.ip_version, c->ipver);
	EQ(p.ip_proto, c->proto);
	EQ(p.problem, TN_PROB_NONE);
	if (c->ipver == 6)
		EQ(p.ip6.upper, c->proto);
}
END_TEST

START_TEST(test_tso_zero_total_length)
{
	const char *name = "IPv4 total length 0";
	struct pb k;
	struct tn_packet p;
	pb_init(&k);
	pb_eth(&k, ET_IPV4);
	pb_ipv4(&k, &pb_ip4_default);
	pb_tcp(&k, &pb_syn_default);
	pb_payload(&k, payload10, sizeof payload10);
	pb_finish(&k);
	pb_put16(&k, k.l3 + 2, 0);
	pb_fix_checksums(&k);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_TCP);
	EQ(p.ip4.total_len, 0);
	EQ(p.ip4.tso_zero_len, true);
	EQ(p.ip4.checksum_status, TN_CSUM_OK);
	EQ(p.l4_len, 40 + 10);
	EQ(p.payload_len, 10);
	EQ(p.payload_captured, 10);
	EQ(p.tcp.checksum_status, TN_CSUM_UNVERIFIED);
	EQ(p.problem, TN_PROB_NONE);

	name = "IPv6 payload length 0";
	pb_init(&k);
	pb_eth(&k, ET_IPV6);
	pb_ipv6(&k, &pb_ip6_default);
	pb_tcp(&k, &pb_syn_default);
	pb_payload(&k, payload10, sizeof payload10);
	pb_finish(&k);
	pb_put16(&k, k.l3 + 4, 0);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_TCP);
	EQ(p.ip6.jumbo, true);
	EQ(p.l4_len, 50);
	EQ(p.payload_len, 10);
	EQ(p.tcp.checksum_status, TN_CSUM_UNVERIFIED);
}
END_TEST

START_TEST(test_ethernet_padding)
{
	/* A bare ACK is 54 bytes; Ethernet pads it to 60. The padding is not payload. */
	const char *name = "padded minimum frame";
	struct pb_tcp t = { .sport = 80, .dport = 43210, .seq = 1, .ack = 2, .flags = TN_TH_ACK,
			    .window = 501 };
	static const uint8_t pad[6] = { 0 };
	struct pb k;
	struct tn_packet p;
	pb_init(&k);
	pb_eth(&k, ET_IPV4);
	pb_ipv4(&k, &pb_ip4_default);
	pb_tcp(&k, &t);
	pb_finish(&k);
	pb_payload(&k, pad, sizeof pad);
	EQ(k.len, 60);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_TCP);
	EQ(p.l4_len, 20);
	EQ(p.payload_len, 0);
	EQ(p.payload_captured, 0);
	ck_assert_ptr_null(p.payload);
	EQ(p.tcp.checksum_status, TN_CSUM_OK);
	EQ(p.problem, TN_PROB_NONE);
}
END_TEST

/* ---------------------------------------------------------------- IPv6 */

START_TEST(test_ipv6_extension_walk)
{
	const char *name = "hop-by-hop, routing, destination options";
	struct pb k;
	struct tn_packet p;
	pb_init(&k);
	pb_eth(&k, ET_IPV6);
	pb_ipv6(&k, &pb_ip6_default);
	pb_ip6_ext(&k, 0, 8);
	pb_ip6_ext(&k, 43, 24);
	pb_ip6_ext(&k, 51, 24);   /* AH: length in 4-byte units */
	pb_ip6_ext(&k, 60, 16);
	pb_tcp(&k, &pb_syn_default);
	pb_payload(&k, payload10, sizeof payload10);
	pb_finish(&k);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_TCP);
	EQ(p.ip6.next_header, 0);
	EQ(p.ip6.payload_len, 72 + 40 + 10);
	EQ(p.ip6.n_ext, 4);
	EQ(p.ip6.ext[0].type, 0);
	EQ(p.ip6.ext[0].len, 8);
	EQ(p.ip6.ext[1].type, 43);
	EQ(p.ip6.ext[1].len, 24);
	EQ(p.ip6.ext[2].type, 51);
	EQ(p.ip6.ext[2].len, 24);
	EQ(p.ip6.ext[3].type, 60);
	EQ(p.ip6.ext[3].len, 16);
	EQ(p.ip6.frag, false);
	EQ(p.ip6.upper, 6);
	EQ(p.ip_proto, 6);
	EQ(p.tcp_offset, 14 + 40 + 72);
	EQ(p.l4_len, 50);
	EQ(p.tcp.sport, 43210);
	EQ(p.tcp.n_opts, 5);
	EQ(p.payload_len, 10);
	ck_assert_ptr_eq(p.payload, frame_copy + k.pay);
	EQ(p.tcp.checksum_status, TN_CSUM_OK);
	EQ(p.problem, TN_PROB_NONE);
}
END_TEST

START_TEST(test_ipv6_many_extensions)
{
	/* More headers than the packet struct lists: the walk goes on, the list stops at 8. */
	const char *name = "ten destination option headers";
	struct pb k;
	struct tn_packet p;
	pb_init(&k);
	pb_eth(&k, ET_IPV6);
	pb_ipv6(&k, &pb_ip6_default);
	for (int i = 0; i < 10; i++)
		pb_ip6_ext(&k, 60, 8);
	pb_tcp(&k, &pb_syn_default);
	pb_finish(&k);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_TCP);
	EQ(p.ip6.n_ext, TN_MAX_IP6_EXT);
	EQ(p.tcp_offset, 14 + 40 + 80);
	EQ(p.tcp.checksum_status, TN_CSUM_OK);
}
END_TEST

static const struct v6frag_case {
	const char *name;
	uint16_t offset;
	bool mf;
	enum tn_decode_result res;
	enum tn_csum csum;
} v6frag_cases[] = {
	{ "offset 1448", 1448, false, TN_DEC_FRAGMENT, 0 },
	{ "offset 8 with MF", 8, true, TN_DEC_FRAGMENT, 0 },
	{ "first fragment (offset 0, MF)", 0, true, TN_DEC_TCP, TN_CSUM_UNVERIFIED },
	{ "atomic fragment (offset 0, no MF)", 0, false, TN_DEC_TCP, TN_CSUM_OK },
	{ NULL, 0, false, 0, 0 },
};

START_TEST(test_ipv6_fragment_table)
{
	const struct v6frag_case *c = &v6frag_cases[_i];
	const char *name = c->name;
	struct pb k;
	struct tn_packet p;
	pb_init(&k);
	pb_eth(&k, ET_IPV6);
	pb_ipv6(&k, &pb_ip6_default);
	pb_ip6_ext(&k, 0, 8);
	pb_ip6_frag(&k, c->offset, c->mf, 0xdeadbeef);
	pb_tcp(&k, &pb_syn_default);
	pb_payload(&k, payload10, sizeof payload10);
	pb_finish(&k);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), c->res);
	EQ(p.ip6.frag, true);
	EQ(p.ip6.frag_off, c->offset);
	EQ(p.ip6.frag_mf, c->mf);
	EQ(p.ip6.frag_id, 0xdeadbeef);
	EQ(p.ip6.n_ext, 2);
	EQ(p.ip6.ext[1].type, 44);
	EQ(p.ip6.ext[1].len, 8);
	EQ(p.ip6.upper, 6);
	EQ(p.ip_proto, 6);
	if (c->res == TN_DEC_TCP) {
		EQ(p.tcp_offset, 14 + 40 + 16);
		EQ(p.tcp.checksum_status, c->csum);
		EQ(p.payload_len, 10);
	}
}
END_TEST

/* ---------------------------------------------------------------- malformed lengths */

enum base { B_ETH4, B_ETH6, B_RAW };

/* Ethernet (or raw) + IP + TCP without options + 10 payload bytes. */
static uint32_t build_base(struct pb *k, enum base b)
{
	struct pb_tcp t = { .sport = 43210, .dport = 80, .seq = 1000, .ack = 2000,
			    .flags = TN_TH_ACK | TN_TH_PSH, .window = 502 };
	pb_init(k);
	if (b != B_RAW)
		pb_eth(k, b == B_ETH6 ? ET_IPV6 : ET_IPV4);
	add_ip(k, b == B_ETH6 ? 6 : 4);
	pb_tcp(k, &t);
	pb_payload(k, payload10, sizeof payload10);
	pb_finish(k);
	return b == B_RAW ? DLT_RAW_ : DLT_EN10MB_;
}

enum field { F_IP_VHL, F_IP_TOTAL, F_IP6_VTF, F_IP6_PLEN, F_TCP_DOFF };

static const struct bad_case {
	const char *name;
	enum base base;
	enum field field;
	uint32_t value;
	enum tn_decode_result res;
	enum tn_problem problem;
	int where;          /* -1: no offset check; else frame offset of the problem */
} bad_cases[] = {
	{ "IPv4 version 5", B_ETH4, F_IP_VHL, 0x55, TN_DEC_MALFORMED, TN_PROB_IP_VERSION, 14 },
	{ "IPv4 header length 0", B_ETH4, F_IP_VHL, 0x40, TN_DEC_MALFORMED, TN_PROB_IP_HDR_LEN, 14 },
	{ "IPv4 header length 16", B_ETH4, F_IP_VHL, 0x44, TN_DEC_MALFORMED, TN_PROB_IP_HDR_LEN, 14 },
	{ "IPv4 header length 60 > 50-byte packet", B_ETH4, F_IP_VHL, 0x4f, TN_DEC_MALFORMED,
	  TN_PROB_IP_HDR_LEN, 14 },
	{ "IPv4 total length 19 < header", B_ETH4, F_IP_TOTAL, 19, TN_DEC_MALFORMED,
	  TN_PROB_IP_TOTAL_LEN, 16 },
	{ "IPv4 total length 20: no room for TCP", B_ETH4, F_IP_TOTAL, 20, TN_DEC_MALFORMED,
	  TN_PROB_TCP_DATA_OFFSET, 34 },
	{ "IPv4 total length leaves 10 TCP bytes", B_ETH4, F_IP_TOTAL, 30, TN_DEC_MALFORMED,
	  TN_PROB_TCP_DATA_OFFSET, 34 },
	{ "IPv4 total length past the packet", B_ETH4, F_IP_TOTAL, 500, TN_DEC_TCP,
	  TN_PROB_IP_TOTAL_LEN, 16 },
	{ "TCP data offset 0", B_ETH4, F_TCP_DOFF, 0, TN_DEC_MALFORMED, TN_PROB_TCP_DATA_OFFSET,
	  34 + 12 },
	{ "TCP data offset 4 words", B_ETH4, F_TCP_DOFF, 4, TN_DEC_MALFORMED,
	  TN_PROB_TCP_DATA_OFFSET, 34 + 12 },
	{ "TCP data offset 8 words > 30-byte segment", B_ETH4, F_TCP_DOFF, 8, TN_DEC_MALFORMED,
	  TN_PROB_TCP_DATA_OFFSET, 34 + 12 },
	{ "TCP data offset 15 words > segment", B_ETH4, F_TCP_DOFF, 15, TN_DEC_MALFORMED,
	  TN_PROB_TCP_DATA_OFFSET, 34 + 12 },
	{ "IPv6 version 4", B_ETH6, F_IP6_VTF, 0x40000000u, TN_DEC_MALFORMED, TN_PROB_IP_VERSION,
	  14 },
	{ "IPv6 payload length past the packet", B_ETH6, F_IP6_PLEN, 500, TN_DEC_TCP,
	  TN_PROB_IP_TOTAL_LEN, 18 },
	{ "IPv6 payload length 10 < TCP header", B_ETH6, F_IP6_PLEN, 10, TN_DEC_MALFORMED,
	  TN_PROB_TCP_DATA_OFFSET, 54 },
	{ "IPv6 TCP data offset 3 words", B_ETH6, F_TCP_DOFF, 3, TN_DEC_MALFORMED,
	  TN_PROB_TCP_DATA_OFFSET, 54 + 12 },
	{ "raw IP version 7", B_RAW, F_IP_VHL, 0x75, TN_DEC_MALFORMED, TN_PROB_IP_VERSION, 0 },
	{ "raw IP version 0", B_RAW, F_IP_VHL, 0x05, TN_DEC_MALFORMED, TN_PROB_IP_VERSION, 0 },
	{ NULL, 0, 0, 0, 0, 0, 0 },
};

START_TEST(test_malformed_table)
{
	const struct bad_case *c = &bad_cases[_i];
	const char *name = c->name;
	struct pb k;
	struct tn_packet p;
	uint32_t dlt = build_base(&k, c->base);
	switch (c->field) {
	case F_IP_VHL: pb_put8(&k, k.l3, (uint8_t)c->value); break;
	case F_IP_TOTAL: pb_put16(&k, k.l3 + 2, (uint16_t)c->value); break;
	case F_IP6_VTF: pb_put32(&k, k.l3, c->value); break;
	case F_IP6_PLEN: pb_put16(&k, k.l3 + 4, (uint16_t)c->value); break;
	case F_TCP_DOFF: pb_put8(&k, k.l4 + 12, (uint8_t)(c->value << 4)); break;
	}
	pb_fix_checksums(&k);
	EQ(decode_pb(dlt, &k, &p), c->res);
	EQ(p.problem, c->problem);
	if (c->where >= 0)
		EQ(p.problem_offset, c->where);
	ck_assert_msg(p.problem_text[0] != '\0', "%s: no problem text", name);
	ck_assert_msg(strlen(p.problem_text) < TN_PROBLEM_LEN, "%s", name);
}
END_TEST

START_TEST(test_ipv6_ext_past_payload)
{
	const char *name = "hop-by-hop of 88 bytes in a 28-byte payload";
	struct pb k;
	struct tn_packet p;
	pb_init(&k);
	pb_eth(&k, ET_IPV6);
	pb_ipv6(&k, &pb_ip6_default);
	pb_ip6_ext(&k, 60, 8);
	pb_ip6_ext(&k, 0, 8);
	pb_tcp(&k, &pb_syn_default);
	pb_finish(&k);
	pb_put8(&k, k.l3 + 40 + 8 + 1, 10); /* second header: (10 + 1) × 8 = 88 bytes */
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_MALFORMED);
	EQ(p.problem, TN_PROB_IP6_EXT);
	EQ(p.problem_offset, 14 + 40 + 8);
	ck_assert_msg(strstr(p.problem_text, "runs past") != NULL, "%s: %s", name, p.problem_text);
	EQ(p.ip6.n_ext, 1);

	name = "fragment header past the payload";
	pb_init(&k);
	pb_eth(&k, ET_IPV6);
	pb_ipv6(&k, &pb_ip6_default);
	pb_ip6_frag(&k, 0, false, 1);
	pb_tcp(&k, &pb_syn_default);
	pb_finish(&k);
	pb_put16(&k, k.l3 + 4, 4);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_MALFORMED);
	EQ(p.problem, TN_PROB_IP6_EXT);
	EQ(p.problem_offset, 14 + 40);
}
END_TEST

/* ---------------------------------------------------------------- TCP options */

typedef void (*opt_check_fn)(const char *name, const struct tn_packet *p);

struct opt_case {
	const char *name;
	uint8_t opts[40];
	size_t len;
	uint8_t n_opts;
	int bad_at;          /* TCP header offset of the malformed option, -1 when none */
	uint16_t stop;       /* opts_stop */
	int idx;             /* option to check kind/len/offset of, -1 none */
	uint8_t kind, olen;
	uint16_t offset;
	const char *oname;   /* tn_tcpopt_name() of that option */
	opt_check_fn check;  /* its value, or NULL */
};

#define OPT(i) (&p->tcp.opts[(i)])

static void ck_mss(const char *name, const struct tn_packet *p) { EQ(OPT(0)->u.mss, 1460); }
static void ck_ws(const char *name, const struct tn_packet *p) { EQ(OPT(1)->u.shift, 14); }
static void ck_ts(const char *name, const struct tn_packet *p)
{
	EQ(OPT(2)->u.ts.val, 0x01020304u);
	EQ(OPT(2)->u.ts.ecr, 0xa1b2c3d4u);
}
static void ck_sack1(const char *name, const struct tn_packet *p)
{
	EQ(OPT(2)->u.sack.count, 1);
	EQ(OPT(2)->u.sack.left[0], 0x11111111u);
	EQ(OPT(2)->u.sack.right[0], 0x22222222u);
}
static void ck_sack3(const char *name, const struct tn_packet *p)
{
	EQ(OPT(2)->u.sack.count, 3);
	EQ(OPT(2)->u.sack.left[0], 1);
	EQ(OPT(2)->u.sack.right[0], 2);
	EQ(OPT(2)->u.sack.left[1], 3);
	EQ(OPT(2)->u.sack.right[1], 4);
	EQ(OPT(2)->u.sack.left[2], 0xfffffff0u);
	EQ(OPT(2)->u.sack.right[2], 0x00000010u);
}
static void ck_sack4(const char *name, const struct tn_packet *p)
{
	EQ(OPT(2)->u.sack.count, 4);
	for (unsigned i = 0; i < 4; i++) {
		EQ(OPT(2)->u.sack.left[i], 100 * (i + 1));
		EQ(OPT(2)->u.sack.right[i], 100 * (i + 1) + 50);
	}
}
static void ck_tfo8(const char *name, const struct tn_packet *p)
{
	static const uint8_t cookie[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	EQ(OPT(0)->u.tfo.len, 8);
	EQ(OPT(0)->u.tfo.experimental, false);
	ck_assert_mem_eq(OPT(0)->u.tfo.bytes, cookie, 8);
}
static void ck_tfo_req(const char *name, const struct tn_packet *p)
{
	EQ(OPT(0)->u.tfo.len, 0);
	EQ(OPT(0)->u.tfo.experimental, false);
}
static void ck_tfo16(const char *name, const struct tn_packet *p)
{
	EQ(OPT(0)->u.tfo.len, 16);
	EQ(OPT(0)->u.tfo.bytes[15], 0x10);
}
static void ck_tfo_exp(const char *name, const struct tn_packet *p)
{
	static const uint8_t cookie[8] = { 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7 };
	EQ(OPT(0)->exid, 0xf989);
	EQ(OPT(0)->u.tfo.experimental, true);
	EQ(OPT(0)->u.tfo.len, 8);
	ck_assert_mem_eq(OPT(0)->u.tfo.bytes, cookie, 8);
}
static void ck_tfo_exp_req(const char *name, const struct tn_packet *p)
{
	EQ(OPT(0)->exid, 0xf989);
	EQ(OPT(0)->u.tfo.experimental, true);
	EQ(OPT(0)->u.tfo.len, 0);
}
static void ck_exp_other(const char *name, const struct tn_packet *p)
{
	EQ(OPT(0)->exid, 0x1234);
}
static void ck_exp_noid(const char *name, const struct tn_packet *p)
{
	EQ(OPT(0)->exid, 0);
}
static void ck_mptcp_dss(const char *name, const struct tn_packet *p)
{
	EQ(OPT(0)->u.mptcp.subtype, 2);
}
static void ck_mptcp_cap(const char *name, const struct tn_packet *p)
{
	EQ(OPT(0)->u.mptcp.subtype, 0);
}
static void ck_ao(const char *name, const struct tn_packet *p)
{
	EQ(OPT(0)->u.ao.keyid, 5);
	EQ(OPT(0)->u.ao.rnextkeyid, 7);
}
static void ck_uto_min(const char *name, const struct tn_packet *p)
{
	EQ(OPT(0)->u.uto.minutes, true);
	EQ(OPT(0)->u.uto.timeout, 10);
}
static void ck_uto_sec(const char *name, const struct tn_packet *p)
{
	EQ(OPT(0)->u.uto.minutes, false);
	EQ(OPT(0)->u.uto.timeout, 300);
}

static const struct opt_case opt_cases[] = {
	/* name, bytes, len, n_opts, bad_at, stop, idx, kind, olen, offset, oname, check */
	{ "mss", { 2, 4, 0x05, 0xb4 }, 4, 1, -1, 24, 0, 2, 4, 20, "mss", ck_mss },
	{ "mss length 5", { 2, 5, 0x05, 0xb4, 0, 1, 1, 1 }, 8, 0, 20, 20, -1, 0, 0, 0, NULL, NULL },
	{ "mss length 3", { 2, 3, 0x05, 0 }, 4, 0, 20, 20, -1, 0, 0, 0, NULL, NULL },
	{ "window scale 14", { 1, 3, 3, 14 }, 4, 2, -1, 24, 1, 3, 3, 21, "window_scale", ck_ws },
	{ "window scale length 4", { 3, 4, 1, 1 }, 4, 0, 20, 20, -1, 0, 0, 0, NULL, NULL },
	{ "sack permitted", { 4, 2, 1, 1 }, 4, 3, -1, 24, 0, 4, 2, 20, "sack_permitted", NULL },
	{ "sack permitted length 3", { 1, 4, 3, 0 }, 4, 1, 21, 21, -1, 0, 0, 0, NULL, NULL },
	{ "timestamps", { 1, 1, 8, 10, 1, 2, 3, 4, 0xa1, 0xb2, 0xc3, 0xd4 }, 12, 3, -1, 32, 2, 8,
	  10, 22, "timestamps", ck_ts },
	{ "timestamps length 8", { 8, 8, 1, 2, 3, 4, 5, 6 }, 8, 0, 20, 20, -1, 0, 0, 0, NULL, NULL },
	{ "sack 1 block", { 1, 1, 5, 10, 0x11, 0x11, 0x11, 0x11, 0x22, 0x22, 0x22, 0x22 }, 12, 3,
	  -1, 32, 2, 5, 10, 22, "sack", ck_sack1 },
	{ "sack 3 blocks",
	  { 1, 1, 5, 26, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4,
	    0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0x10 },
	  28, 3, -1, 48, 2, 5, 26, 22, "sack", ck_sack3 },
	{ "sack 4 blocks",
	  { 1, 1, 5, 34, 0, 0, 0, 100, 0, 0, 0, 150, 0, 0, 0, 200, 0, 0, 0, 250,
	    0, 0, 1, 44, 0, 0, 1, 94, 0, 0, 1, 144, 0, 0, 1, 194 },
	  36, 3, -1, 56, 2, 5, 34, 22, "sack", ck_sack4 },
	{ "sack 5 blocks: too long for any header", { 5, 42 }, 40, 0, 20, 20, -1, 0, 0, 0, NULL,
	  NULL },
	{ "sack length 11", { 5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1 }, 12, 0, 20, 20, -1, 0, 0, 0, NULL,
	  NULL },
	{ "sack without blocks", { 5, 2, 1, 1 }, 4, 0, 20, 20, -1, 0, 0, 0, NULL, NULL },
	{ "fast open cookie", { 34, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1 }, 12, 3, -1, 32, 0, 34, 10, 20,
	  "fast_open", ck_tfo8 },
	{ "fast open cookie request", { 34, 2, 1, 1 }, 4, 3, -1, 24, 0, 34, 2, 20, "fast_open",
	  ck_tfo_req },
	{ "fast open 16-byte cookie",
	  { 34, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 1, 1 }, 20, 3, -1, 40, 0,
	  34, 18, 20, "fast_open", ck_tfo16 },
	{ "fast open 3-byte cookie", { 34, 5, 1, 2, 3, 1, 1, 1 }, 8, 0, 20, 20, -1, 0, 0, 0, NULL,
	  NULL },
	{ "fast open 5-byte cookie (odd)", { 34, 7, 1, 2, 3, 4, 5, 1 }, 8, 0, 20, 20, -1, 0, 0, 0,
	  NULL, NULL },
	{ "fast open 18-byte cookie", { 34, 20 }, 20, 0, 20, 20, -1, 0, 0, 0, NULL, NULL },
	{ "experimental fast open (254, 0xF989)",
	  { 254, 12, 0xf9, 0x89, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7 }, 12, 1, -1, 32, 0,
	  254, 12, 20, "fast_open", ck_tfo_exp },
	{ "experimental fast open request", { 254, 4, 0xf9, 0x89 }, 4, 1, -1, 24, 0, 254, 4, 20,
	  "fast_open", ck_tfo_exp_req },
	{ "experimental fast open 3-byte cookie", { 254, 7, 0xf9, 0x89, 1, 2, 3, 1 }, 8, 0, 20, 20,
	  -1, 0, 0, 0, NULL, NULL },
	{ "experimental, other id (253)", { 253, 6, 0x12, 0x34, 0xaa, 0xbb, 1, 1 }, 8, 3, -1, 28, 0,
	  253, 6, 20, "experimental", ck_exp_other },
	{ "experimental without id", { 253, 2, 1, 1 }, 4, 3, -1, 24, 0, 253, 2, 20, "experimental",
	  ck_exp_noid },
	{ "mptcp DSS", { 30, 4, 0x20, 0x01 }, 4, 1, -1, 24, 0, 30, 4, 20, "mptcp", ck_mptcp_dss },
	{ "mptcp MP_CAPABLE", { 30, 12, 0x01, 0x81, 1, 2, 3, 4, 5, 6, 7, 8 }, 12, 1, -1, 32, 0, 30,
	  12, 20, "mptcp", ck_mptcp_cap },
	{ "mptcp without subtype", { 30, 2, 1, 1 }, 4, 0, 20, 20, -1, 0, 0, 0, NULL, NULL },
	{ "md5", { 1, 1, 19, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 }, 20, 3, -1,
	  40, 2, 19, 18, 22, "md5", NULL },
	{ "md5 length 10", { 19, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 1 }, 12, 0, 20, 20, -1, 0, 0, 0, NULL,
	  NULL },
	{ "tcp-ao", { 29, 4, 5, 7 }, 4, 1, -1, 24, 0, 29, 4, 20, "tcp_ao", ck_ao },
	{ "tcp-ao length 3", { 29, 3, 5, 1 }, 4, 0, 20, 20, -1, 0, 0, 0, NULL, NULL },
	{ "user timeout in minutes", { 28, 4, 0x80, 0x0a }, 4, 1, -1, 24, 0, 28, 4, 20,
	  "user_timeout", ck_uto_min },
	{ "user timeout in seconds", { 28, 4, 0x01, 0x2c }, 4, 1, -1, 24, 0, 28, 4, 20,
	  "user_timeout", ck_uto_sec },
	{ "accecn0", { 172, 2, 1, 1 }, 4, 3, -1, 24, 0, 172, 2, 20, "accecn0", NULL },
	{ "unknown kind 99", { 99, 4, 0, 0 }, 4, 1, -1, 24, 0, 99, 4, 20, "unknown", NULL },
	{ "length 0", { 1, 1, 8, 0 }, 4, 2, 22, 22, -1, 0, 0, 0, NULL, NULL },
	{ "length 1", { 1, 1, 30, 1 }, 4, 2, 22, 22, -1, 0, 0, 0, NULL, NULL },
	{ "length past the header", { 1, 1, 99, 6 }, 4, 2, 22, 22, -1, 0, 0, 0, NULL, NULL },
	{ "mss past the header", { 1, 1, 2, 4 }, 4, 2, 22, 22, -1, 0, 0, 0, NULL, NULL },
	{ "kind in the last byte, no length", { 1, 1, 1, 99 }, 4, 3, 23, 23, -1, 0, 0, 0, NULL, NULL },
	{ "end of list, then padding", { 1, 0, 2, 4 }, 4, 2, -1, 24, 1, 0, 1, 21, "eol", NULL },
	{ "forty nops", { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
			  1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
	  40, 40, -1, 60, 39, 1, 1, 59, "nop", NULL },
	{ NULL, { 0 }, 0, 0, 0, 0, 0, 0, 0, 0, NULL, NULL },
};

START_TEST(test_option_table)
{
	const struct opt_case *c = &opt_cases[_i];
	const char *name = c->name;
	struct pb_tcp t = { .sport = 43210, .dport = 80, .seq = 1, .ack = 1,
			    .flags = TN_TH_ACK, .window = 100, .opts = c->opts,
			    .opts_len = c->len };
	struct pb k;
	struct tn_packet p;
	ck_assert_msg(c->len % 4 == 0, "%s: table row must be padded", name);
	pb_init(&k);
	pb_eth(&k, ET_IPV4);
	pb_ipv4(&k, &pb_ip4_default);
	pb_tcp(&k, &t);
	pb_payload(&k, "abcd", 4);
	pb_finish(&k);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_TCP);
	EQ(p.tcp.hdr_len, 20 + c->len);
	EQ(p.tcp.n_opts, c->n_opts);
	EQ(p.tcp.opts_stop, c->stop);
	EQ(p.tcp.opts_cut, false);
	EQ(p.tcp.opts_malformed, c->bad_at >= 0);
	if (c->bad_at >= 0) {
		EQ(p.problem, TN_PROB_TCP_OPTION);
		EQ(p.problem_offset, 34 + c->bad_at);
		ck_assert_msg(p.problem_text[0] != '\0', "%s: no text", name);
	} else {
		EQ(p.problem, TN_PROB_NONE);
	}
	/* Whatever the options, the payload and the checksum are found. */
	EQ(p.payload_len, 4);
	ck_assert_ptr_eq(p.payload, frame_copy + k.pay);
	EQ(p.tcp.checksum_status, TN_CSUM_OK);
	if (c->idx >= 0) {
		const struct tn_tcp_option *o = &p.tcp.opts[c->idx];
		EQ(o->kind, c->kind);
		EQ(o->len, c->olen);
		EQ(o->offset, c->offset);
		ck_assert_str_eq(tn_tcpopt_name(o), c->oname);
	}
	if (c->check)
		c->check(name, &p);
}
END_TEST

/* ---------------------------------------------------------------- snaplen cuts */

/* Ethernet, IPv4 with 4 option bytes, TCP with MSS NOP NOP TS, 10 payload bytes: 84 bytes. */
static void build_cut_base(struct pb *k)
{
	static const uint8_t ipopts[4] = { 0x94, 0x04, 0, 0 };
	static const uint8_t topts[16] = { 2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2 };
	struct pb_ip4 ip = pb_ip4_default;
	struct pb_tcp t = { .sport = 43210, .dport = 80, .seq = 0xa0b0c0d0u, .ack = 0x01020304u,
			    .flags = TN_TH_ACK | TN_TH_PSH, .window = 502, .opts = topts,
			    .opts_len = sizeof topts };
	ip.opts = ipopts;
	ip.opts_len = sizeof ipopts;
	pb_init(k);
	pb_eth(k, ET_IPV4);
	pb_ipv4(k, &ip);
	pb_tcp(k, &t);
	pb_payload(k, payload10, sizeof payload10);
	pb_finish(k);
}

enum have { H_LINK = 1, H_IP_START = 2, H_IP_FIXED = 4, H_TCP_PORTS_SEQ = 8, H_TCP_FIXED = 16 };

static const struct cut_case {
	const char *name;
	uint32_t caplen;
	enum tn_decode_result res;
	enum tn_problem problem;
	int have;           /* enum have bits: what must be decoded before the cut */
	uint8_t n_opts;
	uint32_t payload_captured;
} cut_cases[] = {
	{ "no bytes", 0, TN_DEC_TRUNCATED, TN_PROB_CUT, 0, 0, 0 },
	{ "inside the MAC addresses", 5, TN_DEC_TRUNCATED, TN_PROB_CUT, 0, 0, 0 },
	{ "inside the ethertype", 13, TN_DEC_TRUNCATED, TN_PROB_CUT, 0, 0, 0 },
	{ "after Ethernet", 14, TN_DEC_TRUNCATED, TN_PROB_CUT, H_LINK, 0, 0 },
	{ "inside the IPv4 fixed header", 26, TN_DEC_TRUNCATED, TN_PROB_CUT, H_LINK | H_IP_START,
	  0, 0 },
	{ "inside the IPv4 options", 36, TN_DEC_TRUNCATED, TN_PROB_CUT,
	  H_LINK | H_IP_START | H_IP_FIXED, 0, 0 },
	{ "after IPv4", 38, TN_DEC_TRUNCATED, TN_PROB_CUT, H_LINK | H_IP_START | H_IP_FIXED, 0, 0 },
	{ "inside the TCP fixed header", 48, TN_DEC_TRUNCATED, TN_PROB_CUT,
	  H_LINK | H_IP_START | H_IP_FIXED | H_TCP_PORTS_SEQ, 0, 0 },
	{ "after the TCP fixed header", 58, TN_DEC_TCP, TN_PROB_CUT, 31, 0, 0 },
	{ "between options", 64, TN_DEC_TCP, TN_PROB_CUT, 31, 3, 0 },
	{ "inside the timestamps option", 66, TN_DEC_TCP, TN_PROB_CUT, 31, 3, 0 },
	{ "after the options", 74, TN_DEC_TCP, TN_PROB_CUT, 31, 4, 0 },
	{ "inside the payload", 80, TN_DEC_TCP, TN_PROB_CUT, 31, 4, 6 },
	{ "one byte short", 83, TN_DEC_TCP, TN_PROB_CUT, 31, 4, 9 },
	{ "whole frame", 84, TN_DEC_TCP, TN_PROB_NONE, 31, 4, 10 },
	{ NULL, 0, 0, 0, 0, 0, 0 },
};

START_TEST(test_cut_table)
{
	const struct cut_case *c = &cut_cases[_i];
	const char *name = c->name;
	struct pb k;
	struct tn_packet p;
	build_cut_base(&k);
	EQ(k.len, 84);
	EQ(decode_cut(DLT_EN10MB_, &k, c->caplen, &p), c->res);
	EQ(p.caplen, c->caplen);
	EQ(p.wirelen, 84);
	EQ(p.problem, c->problem);
	if (c->problem == TN_PROB_CUT) {
		EQ(p.problem_offset, c->caplen);
		ck_assert_msg(p.problem_text[0] != '\0', "%s: no text", name);
	}
	if (c->have & H_LINK) {
		EQ(p.ethertype, ET_IPV4);
		EQ(p.ip_offset, 14);
		EQ(p.ip_version, 4);
	} else {
		EQ(p.ip_version, 0);
	}
	if (c->have & H_IP_START) {
		EQ(p.ip4.version, 4);
		EQ(p.ip4.hdr_len, 24);
		EQ(p.ip4.total_len, 70);
		EQ(p.ip4.id, 0x1234);
		EQ(p.ip4.df, true);
		EQ(p.ip4.ttl, 64);
		EQ(p.ip4.proto, 6);
	}
	if (c->have & H_IP_FIXED) {
		ck_assert_mem_eq(p.ip4.src, pb_ip4_default.src, 4);
		ck_assert_mem_eq(p.ip4.dst, pb_ip4_default.dst, 4);
	}
	if (c->have & H_TCP_PORTS_SEQ) {
		EQ(p.tcp.sport, 43210);
		EQ(p.tcp.dport, 80);
		EQ(p.tcp.seq, 0xa0b0c0d0u);
	}
	if (c->have & H_TCP_FIXED) {
		EQ(p.tcp_offset, 38);
		EQ(p.tcp.ack, 0x01020304u);
		EQ(p.tcp.hdr_len, 36);
		EQ(p.tcp.flags, TN_TH_ACK | TN_TH_PSH);
		EQ(p.tcp.window, 502);
		EQ(p.tcp.n_opts, c->n_opts);
		EQ(p.tcp.opts_malformed, false);
		EQ(p.tcp.opts_cut, c->caplen < 74);
		EQ(p.payload_len, 10);
		EQ(p.payload_captured, c->payload_captured);
		if (c->payload_captured)
			ck_assert_ptr_eq(p.payload, frame_copy + 74);
		else
			ck_assert_ptr_null(p.payload);
		/* A cut segment's checksum cannot be judged: never "bad". */
		EQ(p.tcp.checksum_status, c->caplen == 84 ? TN_CSUM_OK : TN_CSUM_UNVERIFIED);
		EQ(p.ip4.checksum_status, TN_CSUM_OK);
	}
	if (c->n_opts >= 1)
		EQ(p.tcp.opts[0].u.mss, 1460);
	if (c->n_opts >= 4)
		EQ(p.tcp.opts[3].u.ts.ecr, 2);
}
END_TEST

/* Frames for the loops: valid, with options and payload, one per kind of layering. */
enum loop_frame { LF_ETH4, LF_ETH6_EXT, LF_SLL2_V4, LF_NULL_V6, LF_RAW4, LF_QINQ_V6,
		  LF_VXLAN_VLAN, LF_GRE_MPLS_V6, LF_GTPU_V6, LF_PPPOE, LF_RADIOTAP, LF_NFLOG,
		  LF_COUNT };

/*
 * A cut before this offset may leave a UDP datagram whose ports were not
 * captured: nobody can tell it carried a tunnel, so "not TCP" is right.
 */
static size_t loop_udp_ports_end;

/* A correct IPv4 or IPv6 SYN with options and payload, to go inside a tunnel. */
static void inner_packet(struct pb *in, int ipver)
{
	pb_init(in);
	if (ipver == 4)
		pb_ipv4(in, &pb_ip4_default);
	else
		pb_ipv6(in, &pb_ip6_default);
	pb_tcp(in, &pb_syn_default);
	pb_payload(in, payload10, sizeof payload10);
	pb_finish(in);
}

/* UDP to dport with body bytes, then `in`; the UDP length covers both. */
static void udp_tunnel(struct pb *k, uint16_t dport, const uint8_t *body, size_t n,
		       const struct pb *in)
{
	pb_udp(k, 50000, dport);
	loop_udp_ports_end = k->l4 + 4;
	pb_bytes(k, body, n);
	pb_bytes(k, in->b, in->len);
	pb_put16(k, k->l4 + 4, (uint16_t)(k->len - k->l4));
}

/* The tunnel frames of the loops; returns their link type. */
static uint32_t build_tunnel_frame(struct pb *k, enum loop_frame f)
{
	static const uint8_t vxlan[8] = { 0x08, 0, 0, 0, 0, 0, 42, 0 };
	static const uint16_t tpid[1] = { 0x8100 }, tci[1] = { 30 };
	static const uint8_t gre_mpls[20] = { 0x30, 0x00, 0x88, 0x47, 0, 0, 0, 5, 0, 0, 0, 1,
					      0x00, 0x06, 0x40, 0x40, 0x00, 0x0c, 0x81, 0x40 };
	static const uint8_t gtpu_ext[8] = { 0, 0, 0, 0x85, 1, 0, 9, 0 };
	static const uint8_t radiotap[12] = { 0, 0, 12, 0, 6, 0, 0, 0, 0, 2, 0, 0 };
	static const uint8_t wifi[26] = { 0x88, 0x01, 0, 0, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2,
					  2, 0, 0, 0, 0, 3, 0, 0, 0, 0 };
	static const uint8_t snap[8] = { 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00 };
	static const uint8_t nflog_hdr[4] = { 2, 0, 0, 5 };
	struct pb in;
	uint8_t b[16];
	inner_packet(&in, f == LF_GRE_MPLS_V6 ? 6 : 4);
	pb_init(k);
	switch (f) {
	case LF_VXLAN_VLAN:
		pb_eth(k, ET_IPV4);
		pb_ipv4(k, &pb_ip4_default);
		pb_udp(k, 50000, 4789);
		loop_udp_ports_end = k->l4 + 4;
		pb_bytes(k, vxlan, sizeof vxlan);
		pb_eth_tags(k, tpid, tci, 1, ET_IPV4);
		pb_bytes(k, in.b, in.len);
		pb_put16(k, k->l4 + 4, (uint16_t)(k->len - k->l4));
		break;
	case LF_GRE_MPLS_V6:
		pb_eth(k, ET_IPV4);
		pb_ipv4(k, &pb_ip4_default);
		pb_proto(k, 47, 0);
		pb_bytes(k, gre_mpls, sizeof gre_mpls);
		pb_bytes(k, in.b, in.len);
		break;
	case LF_GTPU_V6:
		pb_eth(k, ET_IPV6);
		pb_ipv6(k, &pb_ip6_default);
		b[0] = 0x34, b[1] = 0xff, b[2] = 0, b[3] = (uint8_t)(8 + in.len);
		b[4] = 0, b[5] = 0, b[6] = 0x10, b[7] = 0x01;
		memcpy(b + 8, gtpu_ext, 8);
		udp_tunnel(k, 2152, b, 16, &in);
		break;
	case LF_PPPOE:
		pb_eth(k, 0x8864);
		b[0] = 0x11, b[1] = 0, b[2] = 0x12, b[3] = 0x34, b[4] = 0;
		b[5] = (uint8_t)(in.len + 2), b[6] = 0x00, b[7] = 0x21;
		pb_bytes(k, b, 8);
		pb_bytes(k, in.b, in.len);
		break;
	case LF_RADIOTAP:
		pb_bytes(k, radiotap, sizeof radiotap);
		pb_bytes(k, wifi, sizeof wifi);
		pb_bytes(k, snap, sizeof snap);
		pb_bytes(k, in.b, in.len);
		return DLT_IEEE802_11_RADIO_;
	case LF_NFLOG:
	default:
		pb_bytes(k, nflog_hdr, sizeof nflog_hdr);
		b[0] = (uint8_t)(4 + in.len), b[1] = 0, b[2] = 9, b[3] = 0;
		pb_bytes(k, b, 4);
		pb_bytes(k, in.b, in.len);
		return DLT_NFLOG_;
	}
	pb_finish(k);
	return DLT_EN10MB_;
}

static uint32_t build_loop_frame(struct pb *k, enum loop_frame f)
{
	static const uint16_t tpid[2] = { 0x88a8, 0x8100 }, tci[2] = { 10, 20 };
	uint32_t dlt = DLT_EN10MB_;
	loop_udp_ports_end = 0;
	if (f == LF_ETH4) {
		build_cut_base(k);
		return dlt;
	}
	if (f >= LF_VXLAN_VLAN)
		return build_tunnel_frame(k, f);
	pb_init(k);
	switch (f) {
	case LF_ETH6_EXT:
		pb_eth(k, ET_IPV6);
		pb_ipv6(k, &pb_ip6_default);
		pb_ip6_ext(k, 0, 8);
		pb_ip6_ext(k, 60, 16);
		pb_ip6_frag(k, 0, false, 7);
		break;
	case LF_SLL2_V4:
		pb_sll2(k, 0, ET_IPV4);
		pb_ipv4(k, &pb_ip4_default);
		dlt = DLT_LINUX_SLL2_;
		break;
	case LF_NULL_V6:
		pb_null(k, 30, false);
		pb_ipv6(k, &pb_ip6_default);
		dlt = DLT_NULL_;
		break;
	case LF_RAW4:
		pb_ipv4(k, &pb_ip4_default);
		dlt = DLT_RAW_;
		break;
	case LF_QINQ_V6:
	default:
		pb_eth_tags(k, tpid, tci, 2, ET_IPV6);
		pb_ipv6(k, &pb_ip6_default);
		break;
	}
	pb_tcp(k, &pb_syn_default);
	pb_payload(k, payload10, sizeof payload10);
	pb_finish(k);
	return dlt;
}

/* The layers each tunnel frame of the loops records, outermost first (kind, id). */
static const struct layers_case {
	enum loop_frame f;
	uint8_t n;
	uint8_t kind[6];
	uint32_t id[6];
	uint8_t ipver;       /* of the innermost header */
} layers_cases[] = {
	{ LF_VXLAN_VLAN, 4, { TN_ENC_IPV4, TN_ENC_VXLAN, TN_ENC_ETH, TN_ENC_VLAN },
	  { 0, 42, 0, 30 }, 4 },
	{ LF_GRE_MPLS_V6, 4, { TN_ENC_IPV4, TN_ENC_GRE, TN_ENC_MPLS, TN_ENC_MPLS },
	  { 0, 5, 100, 200 }, 6 },
	{ LF_GTPU_V6, 2, { TN_ENC_IPV6, TN_ENC_GTPU }, { 0, 0x1001 }, 4 },
	{ LF_PPPOE, 1, { TN_ENC_PPPOE }, { 0x1234 }, 4 },
	{ LF_RADIOTAP, 0, { 0 }, { 0 }, 4 },
	{ LF_NFLOG, 0, { 0 }, { 0 }, 4 },
	{ LF_COUNT, 0, { 0 }, { 0 }, 0 },
};

START_TEST(test_tunnel_layers_table)
{
	const struct layers_case *c = &layers_cases[_i];
	struct pb k;
	struct tn_packet p;
	char name[32];
	snprintf(name, sizeof name, "tunnel frame %d", c->f);
	uint32_t dlt = build_loop_frame(&k, c->f);
	EQ(decode_pb(dlt, &k, &p), TN_DEC_TCP);
	EQ(p.problem, TN_PROB_NONE);
	EQ(p.n_encap, c->n);
	EQ(p.ip_version, c->ipver);
	EQ(p.tcp.checksum_status, TN_CSUM_OK);
	for (unsigned i = 0; i < c->n; i++) {
		ck_assert_msg(p.encap[i].kind == c->kind[i], "frame %d layer %u: %s", c->f, i,
			      tn_encap_name((enum tn_encap_kind)p.encap[i].kind));
		if (c->id[i])
			EQ(p.encap[i].id, c->id[i]);
	}
	if (c->n && p.encap[0].kind == TN_ENC_IPV4)
		EQ(p.encap[0].proto, c->f == LF_GRE_MPLS_V6 ? 47 : 17);
	/* The packet's own IP header is the inner one, where the walk left it. */
	EQ(p.ip_offset + (p.ip_version == 4 ? 20u : 40u), p.tcp_offset);
}
END_TEST

/* Nested past TN_MAX_ENCAP: a problem on the packet, not a crash or a silent skip. */
START_TEST(test_too_many_layers)
{
	const char *name = "twenty MPLS labels";
	struct pb k, in;
	struct tn_packet p;
	inner_packet(&in, 4);
	pb_init(&k);
	pb_eth(&k, 0x8847);
	for (uint32_t i = 0; i < TN_MAX_ENCAP + 4; i++) {
		uint8_t lse[4] = { 0, (uint8_t)(i >> 4), (uint8_t)(i << 4), 64 };
		if (i == TN_MAX_ENCAP + 3)
			lse[2] |= 1;  /* bottom of stack */
		pb_bytes(&k, lse, 4);
	}
	pb_bytes(&k, in.b, in.len);
	EQ(decode_pb(DLT_EN10MB_, &k, &p), TN_DEC_MALFORMED);
	EQ(p.problem, TN_PROB_ENCAP);
	EQ(p.n_encap, TN_MAX_ENCAP);
	ck_assert(strstr(p.problem_text, "layers of encapsulation") != NULL);
}
END_TEST

/* What must hold for any decode of any bytes. */
static void check_sane(const char *name, const struct tn_packet *p, enum tn_decode_result res,
		       uint32_t caplen)
{
	ck_assert_msg((unsigned)res < TN_DEC_RESULT_COUNT, "%s: result %d", name, res);
	EQ(p->caplen, caplen);
	ck_assert_msg(p->wirelen >= p->caplen, "%s: wirelen under caplen", name);
	ck_assert_msg(p->n_vlan <= TN_MAX_VLAN, "%s", name);
	ck_assert_msg(p->n_encap <= TN_MAX_ENCAP, "%s", name);
	ck_assert_msg(strlen(p->problem_text) < TN_PROBLEM_LEN, "%s", name);
	if (res == TN_DEC_MALFORMED || res == TN_DEC_TRUNCATED) {
		ck_assert_msg(p->problem != TN_PROB_NONE, "%s: %s without a problem", name,
			      tn_decode_result_name(res));
		ck_assert_msg(p->problem_text[0] != '\0', "%s: no problem text", name);
	}
	if (p->problem != TN_PROB_NONE)
		ck_assert_msg(p->problem_offset <= caplen || p->problem != TN_PROB_CUT,
			      "%s: cut at %u past caplen %u", name, p->problem_offset, caplen);
	if (res != TN_DEC_TCP)
		return;
	ck_assert_msg(p->ip_version == 4 || p->ip_version == 6, "%s", name);
	ck_assert_msg(p->ip6.n_ext <= TN_MAX_IP6_EXT, "%s", name);
	ck_assert_msg(p->tcp.n_opts <= TN_MAX_TCP_OPTIONS, "%s", name);
	ck_assert_msg(p->tcp.hdr_len >= 20 && p->tcp.hdr_len <= 60, "%s: hdr_len %u", name,
		      p->tcp.hdr_len);
	ck_assert_msg(p->tcp_offset + 20u <= caplen, "%s: TCP header past the capture", name);
	ck_assert_msg(p->payload_captured <= p->payload_len, "%s", name);
	if (p->payload_captured) {
		ck_assert_msg(p->payload >= frame_copy + p->tcp_offset + p->tcp.hdr_len, "%s", name);
		ck_assert_msg(p->payload + p->payload_captured <= frame_copy + caplen,
			      "%s: payload past the capture", name);
	} else {
		ck_assert_ptr_null(p->payload);
	}
	for (unsigned i = 0; i < p->tcp.n_opts; i++)
		ck_assert_msg(p->tcp.opts[i].offset >= 20 &&
				      p->tcp.opts[i].offset + (unsigned)p->tcp.opts[i].len <= p->tcp.hdr_len,
			      "%s: option %u outside the header", name, i);
}

START_TEST(test_every_snaplen)
{
	/* For each loop frame (the _i), every caplen from 0 to the whole frame. */
	struct pb k;
	struct tn_packet p;
	char name[96];
	uint32_t dlt = build_loop_frame(&k, (enum loop_frame)_i);
	for (uint32_t cap = 0; cap <= k.len; cap++) {
		snprintf(name, sizeof name, "frame %d caplen %u of %zu", _i, cap, k.len);
		enum tn_decode_result res = decode_cut(dlt, &k, cap, &p);
		check_sane(name, &p, res, cap);
		EQ(p.wirelen, k.len);
		if (cap == k.len) {
			EQ(res, TN_DEC_TCP);
			EQ(p.problem, TN_PROB_NONE);
			EQ(p.tcp.checksum_status, TN_CSUM_OK);
			continue;
		}
		if (res == TN_DEC_NOT_TCP && cap < loop_udp_ports_end)
			continue;
		ck_assert_msg(res == TN_DEC_TCP || res == TN_DEC_TRUNCATED, "%s: %s", name,
			      tn_decode_result_name(res));
		EQ(p.problem, TN_PROB_CUT);
		ck_assert_msg(p.problem_offset <= cap, "%s: offset %u", name, p.problem_offset);
		if (res == TN_DEC_TCP) {
			EQ(p.tcp.checksum_status, TN_CSUM_UNVERIFIED);
			ck_assert_msg(p.tcp.opts_cut || p.payload_captured < p.payload_len, "%s", name);
		}
	}
}
END_TEST

START_TEST(test_every_short_frame)
{
	/* Frames that really are that short (wirelen == caplen): any verdict, but sane. */
	struct pb k;
	struct tn_packet p;
	char name[96];
	uint32_t dlt = build_loop_frame(&k, (enum loop_frame)_i);
	for (uint32_t len = 0; len <= k.len; len++) {
		snprintf(name, sizeof name, "frame %d length %u of %zu", _i, len, k.len);
		enum tn_decode_result res = decode_raw(dlt, k.b, len, len, &p);
		check_sane(name, &p, res, len);
		if (res == TN_DEC_TCP && p.problem == TN_PROB_NONE && len < k.len)
			ck_assert_msg(false, "%s: a short frame decoded without a problem", name);
	}
}
END_TEST

START_TEST(test_every_byte_corrupted)
{
	/* Each byte of each loop frame set to 0x00, 0xff, 0x80 and 0x0f: no crash, sane output. */
	static const uint8_t vals[] = { 0x00, 0xff, 0x80, 0x0f };
	struct pb k;
	struct tn_packet p;
	char name[96];
	uint32_t dlt = build_loop_frame(&k, (enum loop_frame)_i);
	for (size_t at = 0; at < k.len; at++) {
		for (size_t v = 0; v < sizeof vals; v++) {
			struct pb m = k;
			m.b[at] = vals[v];
			snprintf(name, sizeof name, "frame %d byte %zu = 0x%02x", _i, at, vals[v]);
			enum tn_decode_result res = decode_pb(dlt, &m, &p);
			check_sane(name, &p, res, (uint32_t)m.len);
		}
	}
}
END_TEST

/* ---------------------------------------------------------------- checksums */

enum csum_mut { CM_NONE, CM_PAYLOAD, CM_FIELD, CM_PARTIAL, CM_PARTIAL_INV, CM_IP_HDR };

static const struct csum_case {
	const char *name;
	uint32_t dlt;
	enum link lk;
	uint32_t pkttype;
	int ipver;
	bool ext;           /* IPv6: a hop-by-hop header before TCP */
	enum csum_mut mut;
	enum tn_csum tcp;
	enum tn_csum ip;    /* IPv4 header */
} csum_cases[] = {
	{ "IPv4 correct", DLT_EN10MB_, L_ETH, 0, 4, false, CM_NONE, TN_CSUM_OK, TN_CSUM_OK },
	{ "IPv6 correct", DLT_EN10MB_, L_ETH, 0, 6, false, CM_NONE, TN_CSUM_OK, 0 },
	{ "IPv6 with hop-by-hop correct", DLT_EN10MB_, L_ETH, 0, 6, true, CM_NONE, TN_CSUM_OK, 0 },
	{ "IPv4 payload changed", DLT_EN10MB_, L_ETH, 0, 4, false, CM_PAYLOAD, TN_CSUM_BAD,
	  TN_CSUM_OK },
	{ "IPv6 payload changed", DLT_EN10MB_, L_ETH, 0, 6, false, CM_PAYLOAD, TN_CSUM_BAD, 0 },
	{ "IPv4 field off by one", DLT_EN10MB_, L_ETH, 0, 4, false, CM_FIELD, TN_CSUM_BAD,
	  TN_CSUM_OK },
	{ "IPv4 pseudo-header partial sum", DLT_EN10MB_, L_ETH, 0, 4, false, CM_PARTIAL,
	  TN_CSUM_OFFLOAD, TN_CSUM_OK },
	{ "IPv4 complemented partial sum", DLT_EN10MB_, L_ETH, 0, 4, false, CM_PARTIAL_INV,
	  TN_CSUM_OFFLOAD, TN_CSUM_OK },
	{ "IPv6 pseudo-header partial sum", DLT_EN10MB_, L_ETH, 0, 6, false, CM_PARTIAL,
	  TN_CSUM_OFFLOAD, 0 },
	{ "IPv6 ext, pseudo-header partial sum", DLT_EN10MB_, L_ETH, 0, 6, true, CM_PARTIAL,
	  TN_CSUM_OFFLOAD, 0 },
	{ "Linux cooked outgoing, wrong field", DLT_LINUX_SLL_, L_SLL, 4, 4, false, CM_FIELD,
	  TN_CSUM_OFFLOAD, TN_CSUM_OK },
	{ "Linux cooked v2 outgoing, wrong field", DLT_LINUX_SLL2_, L_SLL2, 4, 6, false, CM_FIELD,
	  TN_CSUM_OFFLOAD, 0 },
	{ "Linux cooked incoming, wrong field", DLT_LINUX_SLL_, L_SLL, 0, 4, false, CM_FIELD,
	  TN_CSUM_BAD, TN_CSUM_OK },
	{ "Linux cooked outgoing, correct", DLT_LINUX_SLL_, L_SLL, 4, 4, false, CM_NONE,
	  TN_CSUM_OK, TN_CSUM_OK },
	{ "IPv4 header checksum wrong", DLT_EN10MB_, L_ETH, 0, 4, false, CM_IP_HDR, TN_CSUM_OK,
	  TN_CSUM_BAD },
	{ NULL, 0, 0, 0, 0, false, 0, 0, 0 },
};

START_TEST(test_checksum_table)
{
	const struct csum_case *c = &csum_cases[_i];
	const char *name = c->name;
	struct pb_tcp t = { .sport = 443, .dport = 51000, .seq = 7, .ack = 9,
			    .flags = TN_TH_ACK | TN_TH_PSH, .window = 1000 };
	struct pb k;
	struct tn_packet p;
	pb_init(&k);
	add_link(&k, c->lk, c->pkttype, false, c->ipver);
	add_ip(&k, c->ipver);
	if (c->ext)
		pb_ip6_ext(&k, 0, 8);
	pb_tcp(&k, &t);
	pb_payload(&k, payload10, sizeof payload10);
	pb_finish(&k);
	uint16_t partial = pb_tcp_pseudo_partial(&k);
	uint16_t good = pb_get16(&k, k.l4_csum_at);
	uint16_t partial_inv = (uint16_t)~partial;
	uint16_t wrong = (uint16_t)(good + 1);
	switch (c->mut) {
	case CM_NONE: break;
	case CM_PAYLOAD: k.b[k.pay + 3] ^= 0x40; break;
	case CM_FIELD: pb_put16(&k, k.l4_csum_at, wrong); break;
	case CM_PARTIAL: pb_put16(&k, k.l4_csum_at, partial); break;
	case CM_PARTIAL_INV: pb_put16(&k, k.l4_csum_at, partial_inv); break;
	case CM_IP_HDR: pb_put16(&k, k.l3 + 10, (uint16_t)(pb_get16(&k, k.l3 + 10) ^ 0x0100)); break;
	}
	if (c->mut == CM_FIELD) {
		ck_assert_msg(wrong != partial && wrong != partial_inv,
			      "%s: test frame collides with the offload sum", name);
	}
	EQ(decode_pb(c->dlt, &k, &p), TN_DEC_TCP);
	EQ(p.tcp.checksum, pb_get16(&k, k.l4_csum_at));
	EQ(p.tcp.checksum_status, c->tcp);
	if (c->ipver == 4)
		EQ(p.ip4.checksum_status, c->ip);
	EQ(p.problem, TN_PROB_NONE);
}
END_TEST

START_TEST(test_csum_helpers)
{
	/* RFC 1071 §3: 00 01 f2 03 f4 f5 f6 f7 sums to 0x2ddf0, folded 0xddf2. */
	static const uint8_t rfc[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	const char *name = "csum helpers";
	EQ(tn_csum_fold(tn_csum_add(0, rfc, 8)), 0xddf2);
	EQ(tn_csum_fold(0x2ddf0), 0xddf2);
	EQ(tn_csum_fold(0), 0);
	EQ(tn_csum_fold(0xffff), 0xffff);
	EQ(tn_csum_fold(0x1fffe), 0xffff);
	/* Odd length: the last byte is the high half of a zero-padded word. */
	EQ(tn_csum_fold(tn_csum_add(0, rfc, 7)), pb_fold(pb_sum(0, rfc, 7)));
	EQ(tn_csum_fold(tn_csum_add(0, rfc, 1)), 0);
	EQ(tn_csum_fold(tn_csum_add(0, rfc + 2, 1)), 0xf200);
	/* Long runs of 0xff do not overflow. */
	static uint8_t big[65536];
	memset(big, 0xff, sizeof big);
	EQ(tn_csum_fold(tn_csum_add(0, big, sizeof big)), 0xffff);
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7 + 3);
	EQ(tn_csum_fold(tn_csum_add(0, big, sizeof big - 1)), pb_fold(pb_sum(0, big, sizeof big - 1)));
	/* Adding in pieces (even lengths) equals adding at once. */
	EQ(tn_csum_fold(tn_csum_add(tn_csum_add(0, big, 1000), big + 1000, 3001)),
	   tn_csum_fold(tn_csum_add(0, big, 4001)));
	/*
	 * The sum runs eight bytes at a time in machine order: against the test's
	 * own byte loop at every length to 80 and every start alignment, from
	 * pseudo-random bytes and a running sum, and unfolded as well as folded.
	 */
	uint32_t x = 12345;
	for (size_t len = 0; len <= 80; len++) {
		for (size_t at = 0; at < 8; at++) {
			for (size_t i = 0; i < len; i++) {
				x = x * 1103515245u + 12345u;
				big[at + i] = (uint8_t)(x >> 16);
			}
			uint32_t start = (x >> 8) & 0xffff;
			EQ(tn_csum_add(start, big + at, len), pb_fold(pb_sum(start, big + at, len)));
		}
	}
}
END_TEST

START_TEST(test_names)
{
	for (int r = 0; r < TN_DEC_RESULT_COUNT; r++) {
		const char *n = tn_decode_result_name((enum tn_decode_result)r);
		ck_assert_ptr_nonnull(n);
		ck_assert_msg(n[0] != '\0' && strcmp(n, "?") != 0, "result %d has no name", r);
	}
	ck_assert_str_eq(tn_decode_result_name(TN_DEC_NOT_TCP), "not TCP");
	ck_assert_str_eq(tn_decode_result_name(TN_DEC_TCP), "TCP");
	ck_assert_str_eq(tn_decode_result_name(TN_DEC_RESULT_COUNT), "?");
	ck_assert_str_eq(tn_decode_result_name((enum tn_decode_result)-1), "?");
	struct tn_tcp_option o = { .kind = 253, .exid = 0xf989 };
	ck_assert_str_eq(tn_tcpopt_name(&o), "fast_open");
	o.exid = 0;
	ck_assert_str_eq(tn_tcpopt_name(&o), "experimental");
	o.kind = 200;
	ck_assert_str_eq(tn_tcpopt_name(&o), "unknown");
}
END_TEST

/*
 * Regression: tn_decode() once reset struct tn_tcp only up to its opts
 * array, and opts_malformed / opts_cut lay after it. The CLI reuses one
 * struct tn_packet for every frame, so one frame with a bad option left
 * every later frame "malformed" with its checksum never verified.
 */
START_TEST(test_opts_flags_reset_on_reuse)
{
	const char *name = "clean frame after a frame with a malformed option";
	static const uint8_t bad_opts[4] = { 2, 5, 5, 0xb4 }; /* MSS length 5 */
	struct pb_tcp t = pb_syn_default;
	t.opts = bad_opts;
	t.opts_len = sizeof bad_opts;
	struct pb bad, cut, good;
	pb_init(&bad);
	pb_eth(&bad, ET_IPV4);
	pb_ipv4(&bad, &pb_ip4_default);
	pb_tcp(&bad, &t);
	pb_finish(&bad);
	build_cut_base(&cut);
	build_syn(&good, L_ETH, 0, false, 4);

	struct tn_packet p;  /* reused, as run.c does; no poisoning */
	memset(&p, 0, sizeof p);
	EQ(tn_decode(DLT_EN10MB_, bad.b, (uint32_t)bad.len, (uint32_t)bad.len, &p), TN_DEC_TCP);
	EQ(p.tcp.opts_malformed, true);
	EQ(tn_decode(DLT_EN10MB_, good.b, (uint32_t)good.len, (uint32_t)good.len, &p), TN_DEC_TCP);
	EQ(p.tcp.opts_malformed, false);

	name = "clean frame after a frame cut inside its options";
	memset(&p, 0, sizeof p);
	EQ(tn_decode(DLT_EN10MB_, cut.b, 64, (uint32_t)cut.len, &p), TN_DEC_TCP);
	EQ(p.tcp.opts_cut, true);
	EQ(tn_decode(DLT_EN10MB_, good.b, (uint32_t)good.len, (uint32_t)good.len, &p), TN_DEC_TCP);
	EQ(p.tcp.opts_cut, false);
	EQ(p.tcp.checksum_status, TN_CSUM_OK);
}
END_TEST

/* ---------------------------------------------------------------- regressions */

/*
 * Regression (fixed): tn_decode_ipv6() (src/decode/ipv6.c) reports an IPv6 payload length
 * too short to hold even the first two bytes of an extension header as
 * TN_DEC_TRUNCATED / TN_PROB_CUT "capture ends inside an IPv6 extension
 * header", although every byte was captured (caplen == wirelen). The reader
 * over the payload is limited by the stated payload length, so the failed
 * read is a length error, not a cut: it should be TN_DEC_MALFORMED with
 * TN_PROB_IP6_EXT (or TN_PROB_IP_TOTAL_LEN), as the same frame with a
 * payload length of 4 is.
 */
START_TEST(test_regression_ipv6_short_payload_is_not_a_cut)
{
	const char *name = "IPv6 payload length 1, hop-by-hop next, full capture";
	struct pb k;
	struct tn_packet p;
	pb_init(&k);
	pb_eth(&k, ET_IPV6);
	pb_ipv6(&k, &pb_ip6_default);
	pb_ip6_ext(&k, 0, 8);
	pb_tcp(&k, &pb_syn_default);
	pb_finish(&k);
	pb_put16(&k, k.l3 + 4, 1);
	enum tn_decode_result res = decode_pb(DLT_EN10MB_, &k, &p);
	ck_assert_msg(p.problem != TN_PROB_CUT,
		      "%s: reported as a capture cut (%s: %s) though nothing was cut", name,
		      tn_decode_result_name(res), p.problem_text);
	EQ(res, TN_DEC_MALFORMED);
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("link");
	tcase_add_checked_fixture(tc, NULL, teardown);
	TN_ADD_TABLE_TEST(tc, test_link_table, link_cases);
	TN_ADD_TABLE_TEST(tc, test_link_supported_table, supported_cases);
	TN_ADD_TABLE_TEST(tc, test_not_ip_table, notip_cases);
	TN_ADD_TABLE_TEST(tc, test_vlan_table, vlan_cases);
	tcase_add_test(tc, test_unsupported_link);
	tcase_add_test(tc, test_arp);
	tcase_add_test(tc, test_snap);
	suite_add_tcase(s, tc);

	tc = tcase_create("ip");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_ipv4_options);
	tcase_add_test(tc, test_ipv4_fragments);
	TN_ADD_TABLE_TEST(tc, test_not_tcp_table, notcp_cases);
	tcase_add_test(tc, test_tso_zero_total_length);
	tcase_add_test(tc, test_ethernet_padding);
	tcase_add_test(tc, test_ipv6_extension_walk);
	tcase_add_test(tc, test_ipv6_many_extensions);
	TN_ADD_TABLE_TEST(tc, test_ipv6_fragment_table, v6frag_cases);
	tcase_add_test(tc, test_ipv6_ext_past_payload);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, NULL, teardown);
	TN_ADD_TABLE_TEST(tc, test_malformed_table, bad_cases);
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_checked_fixture(tc, NULL, teardown);
	TN_ADD_TABLE_TEST(tc, test_option_table, opt_cases);
	tcase_add_test(tc, test_opts_flags_reset_on_reuse);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("cut");
	tcase_add_checked_fixture(tc, NULL, teardown);
	TN_ADD_TABLE_TEST(tc, test_cut_table, cut_cases);
	tcase_add_loop_test(tc, test_every_snaplen, 0, LF_COUNT);
	tcase_add_loop_test(tc, test_tunnel_layers_table, 0, 6);
	tcase_add_test(tc, test_too_many_layers);
	tcase_add_loop_test(tc, test_every_short_frame, 0, LF_COUNT);
	tcase_add_loop_test(tc, test_every_byte_corrupted, 0, LF_COUNT);
	suite_add_tcase(s, tc);

	tc = tcase_create("checksum");
	tcase_add_checked_fixture(tc, NULL, teardown);
	TN_ADD_TABLE_TEST(tc, test_checksum_table, csum_cases);
	tcase_add_test(tc, test_csum_helpers);
	suite_add_tcase(s, tc);

	/* Regressions: bugs these tests found, fixed since. */
	tc = tcase_create("regressions");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_regression_ipv6_short_payload_is_not_a_cut);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tn_unit_run(decode_suite());
}
