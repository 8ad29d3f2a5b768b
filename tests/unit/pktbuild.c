/*
 * pktbuild.c — the test frame builder (see pktbuild.h).
 *
 * Deliberately naive: byte by byte, big-endian by hand, its own checksum
 * loop. It must not share code with the decoder it checks.
 */
#include "pktbuild.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IPPROTO_TCP_NUM 6
#define IPPROTO_UDP_NUM 17

const struct pb_ip4 pb_ip4_default = {
	.src = { 10, 0, 1, 5 },
	.dst = { 10, 0, 2, 10 },
	.tos = 0xb9,    /* DSCP 46 (EF), ECN 1: both parts non-zero */
	.ttl = 64,
	.id = 0x1234,
	.frag = 0x4000, /* DF */
};

const struct pb_ip6 pb_ip6_default = {
	.src = { 0xfd, 0x00, 0, 1, [15] = 5 },
	.dst = { 0xfd, 0x00, 0, 2, [15] = 0x10 },
	.tclass = 0xb9,
	.flow = 0xabcde,
	.hop_limit = 64,
};

const uint8_t pb_syn_opts[20] = {
	2, 4, 0x05, 0xb4,               /* MSS 1460 */
	4, 2,                           /* SACK permitted */
	8, 10, 0, 0, 0x10, 0, 0, 0, 0, 0, /* TS val 4096 ecr 0 */
	1,                              /* NOP */
	3, 3, 7,                        /* WS 7 */
};

const struct pb_tcp pb_syn_default = {
	.sport = 43210,
	.dport = 80,
	.seq = 0x11223344,
	.ack = 0,
	.flags = 0x002,
	.window = 64240,
	.opts = pb_syn_opts,
	.opts_len = sizeof pb_syn_opts,
};

static void room(const struct pb *k, size_t at, size_t n)
{
	if (at > PB_MAX || n > PB_MAX - at) {
		fprintf(stderr, "pktbuild: frame would exceed %d bytes\n", PB_MAX);
		abort();
	}
}

static void grow(struct pb *k, size_t end)
{
	if (end > k->len) {
		memset(k->b + k->len, 0, end - k->len);
		k->len = end;
	}
}

void pb_init(struct pb *k)
{
	memset(k->b, 0, sizeof k->b);
	k->len = 0;
	k->ipver = 0;
	k->l3 = k->l4 = k->pay = k->next_at = k->l4_csum_at = PB_NONE;
}

void pb_bytes(struct pb *k, const void *p, size_t n)
{
	room(k, k->len, n);
	if (n)
		memcpy(k->b + k->len, p, n);
	k->len += n;
}

void pb_put8(struct pb *k, size_t at, uint8_t v)
{
	room(k, at, 1);
	grow(k, at + 1);
	k->b[at] = v;
}

void pb_put16(struct pb *k, size_t at, uint16_t v)
{
	pb_put8(k, at, (uint8_t)(v >> 8));
	pb_put8(k, at + 1, (uint8_t)v);
}

void pb_put32(struct pb *k, size_t at, uint32_t v)
{
	pb_put16(k, at, (uint16_t)(v >> 16));
	pb_put16(k, at + 2, (uint16_t)v);
}

uint16_t pb_get16(const struct pb *k, size_t at)
{
	return (uint16_t)(k->b[at] << 8 | k->b[at + 1]);
}

static void app8(struct pb *k, uint8_t v)
{
	pb_put8(k, k->len, v);
}

static void app16(struct pb *k, uint16_t v)
{
	pb_put16(k, k->len, v);
}

static void app32(struct pb *k, uint32_t v)
{
	pb_put32(k, k->len, v);
}

static void zeros(struct pb *k, size_t n)
{
	room(k, k->len, n);
	grow(k, k->len + n);
}

static void set_next(struct pb *k, uint8_t proto)
{
	if (k->next_at != PB_NONE)
		k->b[k->next_at] = proto;
}

/* ---- link layers ---- */

static const uint8_t mac_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t mac_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

void pb_eth_tags(struct pb *k, const uint16_t *tpid, const uint16_t *tci, size_t n,
		 uint16_t ethertype)
{
	pb_bytes(k, mac_dst, 6);
	pb_bytes(k, mac_src, 6);
	for (size_t i = 0; i < n; i++) {
		app16(k, tpid[i]);
		app16(k, tci[i]);
	}
	app16(k, ethertype);
}

void pb_eth(struct pb *k, uint16_t ethertype)
{
	pb_eth_tags(k, NULL, NULL, 0, ethertype);
}

void pb_eth_llc(struct pb *k, uint8_t dsap, uint8_t ssap, uint8_t ctl, uint16_t ethertype)
{
	pb_bytes(k, mac_dst, 6);
	pb_bytes(k, mac_src, 6);
	app16(k, 46);   /* an 802.3 length; the decoder does not check its value */
	app8(k, dsap);
	app8(k, ssap);
	app8(k, ctl);
	zeros(k, 3);    /* OUI 00-00-00: the SNAP type is an ethertype */
	app16(k, ethertype);
}

void pb_sll(struct pb *k, uint16_t pkttype, uint16_t proto)
{
	app16(k, pkttype);
	app16(k, 1);    /* ARPHRD_ETHER */
	app16(k, 6);
	pb_bytes(k, mac_src, 6);
	zeros(k, 2);
	app16(k, proto);
}

void pb_sll2(struct pb *k, uint8_t pkttype, uint16_t proto)
{
	app16(k, proto);
	zeros(k, 2);       /* reserved */
	app32(k, 3);       /* interface index */
	app16(k, 1);       /* ARPHRD_ETHER */
	app8(k, pkttype);
	app8(k, 6);
	pb_bytes(k, mac_src, 6);
	zeros(k, 2);
}

void pb_null(struct pb *k, uint32_t af, bool big_endian)
{
	if (big_endian) {
		app32(k, af);
	} else {
		app8(k, (uint8_t)af);
		app8(k, (uint8_t)(af >> 8));
		app8(k, (uint8_t)(af >> 16));
		app8(k, (uint8_t)(af >> 24));
	}
}

void pb_loop(struct pb *k, uint32_t af)
{
	app32(k, af);
}

/* ---- IP ---- */

void pb_ipv4(struct pb *k, const struct pb_ip4 *ip)
{
	size_t hl = 20 + ip->opts_len;
	k->l3 = k->len;
	k->ipver = 4;
	app8(k, (uint8_t)(0x40 | (hl / 4)));
	app8(k, ip->tos);
	app16(k, 0);            /* total length: pb_finish */
	app16(k, ip->id);
	app16(k, ip->frag);
	app8(k, ip->ttl);
	k->next_at = k->len;
	app8(k, 0);             /* protocol: the next header fills it in */
	app16(k, 0);            /* checksum: pb_finish */
	pb_bytes(k, ip->src, 4);
	pb_bytes(k, ip->dst, 4);
	pb_bytes(k, ip->opts, ip->opts_len);
}

void pb_ipv6(struct pb *k, const struct pb_ip6 *ip)
{
	k->l3 = k->len;
	k->ipver = 6;
	app32(k, 6u << 28 | (uint32_t)ip->tclass << 20 | (ip->flow & 0xfffff));
	app16(k, 0);            /* payload length: pb_finish */
	k->next_at = k->len;
	app8(k, 59);            /* no next header, until one is added */
	app8(k, ip->hop_limit);
	pb_bytes(k, ip->src, 16);
	pb_bytes(k, ip->dst, 16);
}

void pb_ip6_ext(struct pb *k, uint8_t type, size_t len)
{
	set_next(k, type);
	k->next_at = k->len;
	app8(k, 59);
	/* AH counts 4-byte words minus 2 (RFC 4302 §2.2), the others 8-byte words minus 1. */
	app8(k, (uint8_t)(type == 51 ? len / 4 - 2 : len / 8 - 1));
	if (type == 0 || type == 60) {
		/* PadN covering the rest, so the options are well formed. */
		app8(k, 1);
		app8(k, (uint8_t)(len - 4));
		zeros(k, len - 4);
	} else if (type == 43) {
		app8(k, 4);     /* routing type 4 (segment routing) */
		app8(k, 0);     /* segments left 0: dst is the final destination */
		zeros(k, len - 4);
	} else {
		zeros(k, len - 2);
	}
}

void pb_ip6_frag(struct pb *k, uint16_t offset, bool mf, uint32_t id)
{
	set_next(k, 44);
	k->next_at = k->len;
	app8(k, 59);
	app8(k, 0);
	app16(k, (uint16_t)((offset & 0xfff8) | (mf ? 1 : 0)));
	app32(k, id);
}

/* ---- transport ---- */

void pb_tcp(struct pb *k, const struct pb_tcp *t)
{
	size_t ol = (t->opts_len + 3) & ~(size_t)3;
	set_next(k, IPPROTO_TCP_NUM);
	k->next_at = PB_NONE;
	k->l4 = k->len;
	app16(k, t->sport);
	app16(k, t->dport);
	app32(k, t->seq);
	app32(k, t->ack);
	app16(k, (uint16_t)(((20 + ol) / 4) << 12 | (t->flags & 0x1ff)));
	app16(k, t->window);
	k->l4_csum_at = k->len;
	app16(k, 0);
	app16(k, t->urgent);
	pb_bytes(k, t->opts, t->opts_len);
	zeros(k, ol - t->opts_len);
	k->pay = k->len;
}

void pb_udp(struct pb *k, uint16_t sport, uint16_t dport)
{
	set_next(k, IPPROTO_UDP_NUM);
	k->next_at = PB_NONE;
	k->l4 = k->len;
	app16(k, sport);
	app16(k, dport);
	app16(k, 8);
	app16(k, 0);
	k->pay = k->len;
}

void pb_proto(struct pb *k, uint8_t proto, size_t body_len)
{
	set_next(k, proto);
	k->next_at = PB_NONE;
	k->l4 = k->len;
	zeros(k, body_len);
	k->pay = k->len;
}

void pb_payload(struct pb *k, const void *p, size_t n)
{
	pb_bytes(k, p, n);
}

/* ---- lengths and checksums ---- */

uint32_t pb_sum(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum += (i % 2 == 0) ? (uint32_t)p[i] << 8 : p[i];
	return sum;
}

uint16_t pb_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t pseudo(const struct pb *k)
{
	uint32_t sum = 0;
	uint32_t l4len = (uint32_t)(k->len - k->l4);
	if (k->ipver == 4) {
		sum = pb_sum(sum, k->b + k->l3 + 12, 8);
		sum += IPPROTO_TCP_NUM;
		sum += l4len;
	} else {
		sum = pb_sum(sum, k->b + k->l3 + 8, 32);
		sum += l4len >> 16;
		sum += l4len & 0xffff;
		sum += IPPROTO_TCP_NUM;
	}
	return sum;
}

uint16_t pb_tcp_pseudo_partial(const struct pb *k)
{
	return pb_fold(pseudo(k));
}

void pb_fix_checksums(struct pb *k)
{
	if (k->ipver == 4) {
		size_t hl = (size_t)(k->b[k->l3] & 0x0f) * 4;
		pb_put16(k, k->l3 + 10, 0);
		pb_put16(k, k->l3 + 10, (uint16_t)~pb_fold(pb_sum(0, k->b + k->l3, hl)));
	}
	if (k->l4_csum_at != PB_NONE) {
		pb_put16(k, k->l4_csum_at, 0);
		uint32_t s = pseudo(k) + pb_sum(0, k->b + k->l4, k->len - k->l4);
		pb_put16(k, k->l4_csum_at, (uint16_t)~pb_fold(s));
	}
}

void pb_finish(struct pb *k)
{
	if (k->ipver == 4)
		pb_put16(k, k->l3 + 2, (uint16_t)(k->len - k->l3));
	else if (k->ipver == 6)
		pb_put16(k, k->l3 + 4, (uint16_t)(k->len - k->l3 - 40));
	pb_fix_checksums(k);
}
