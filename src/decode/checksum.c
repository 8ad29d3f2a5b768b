/*
 * checksum.c — the Internet checksum (RFC 1071) over the IPv4 header and over
 * the TCP pseudo-header and segment (RFC 9293 §3.1, RFC 8200 §8.1).
 *
 * A checksum is only judged when every byte it covers was captured. A wrong
 * TCP checksum on a segment the capturing host sent is usually not an error:
 * with checksum offload the kernel leaves the pseudo-header sum in the field
 * and a NIC with offload finishes it after the capture point; a virtual
 * device (veth) never does, and the receiving kernel, told the checksum is
 * taken care of, does not check it. We call it "offload" when the field holds
 * exactly that partial sum, or when a Linux cooked header says the capturing
 * host sent the packet.
 */
#include "internal.h"

#include <string.h>

#define SLL_OUTGOING 4

/*
 * Sixteen-bit words in the machine's order, eight bytes at a time into a
 * wide accumulator; fold_net() folds it and swaps it into network order. A
 * ones' complement sum does not depend on byte order or on how the words are
 * grouped (RFC 1071 §2 (A), (B)), and this runs on every captured segment,
 * so the pseudo-header and the segment go into one accumulator and are
 * folded once. An odd last byte is the high half of a zero-padded word.
 */
static uint64_t sum_native(uint64_t acc, const uint8_t *p, size_t n)
{
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		acc += (w & 0xffffffffu) + (w >> 32);
	}
	if (n >= 4) {
		uint32_t h;
		memcpy(&h, p, 4);
		acc += h;
		p += 4;
		n -= 4;
	}
	if (n >= 2) {
		uint16_t h;
		memcpy(&h, p, 2);
		acc += h;
		p += 2;
		n -= 2;
	}
	if (n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		acc += p[0];
#else
		acc += (uint32_t)p[0] << 8;
#endif
	}
	return acc;
}

/* The accumulator folded to sixteen bits, in network order. */
static uint32_t fold_net(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	acc = ((acc & 0xff) << 8) | (acc >> 8);
#endif
	return (uint32_t)acc;
}

uint32_t tn_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	return tn_csum_fold(sum + fold_net(sum_native(0, p, len)));
}

uint16_t tn_csum_fold(uint32_t sum)
{
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The pseudo-header's addresses, in the machine's order (sum_native). */
static uint64_t pseudo_addrs(const struct tn_packet *pkt)
{
	if (pkt->ip_version == 4)
		return sum_native(sum_native(0, pkt->ip4.src, 4), pkt->ip4.dst, 4);
	return sum_native(sum_native(0, pkt->ip6.src, 16), pkt->ip6.dst, 16);
}

/* The rest of the pseudo-header as network-order words: protocol 6 and the length. */
static uint32_t pseudo_tail(const struct tn_packet *pkt)
{
	uint32_t l4 = pkt->l4_len;
	if (pkt->ip_version == 4)
		return 6 + (l4 & 0xffff);
	return 6 + (l4 >> 16) + (l4 & 0xffff);
}

static void verify_ipv4_header(struct tn_packet *pkt, const uint8_t *frame)
{
	struct tn_ipv4 *ip = &pkt->ip4;
	if ((uint64_t)pkt->ip_offset + ip->hdr_len > pkt->caplen)
		return; /* stays unverified */
	uint16_t s = tn_csum_fold(fold_net(sum_native(0, frame + pkt->ip_offset, ip->hdr_len)));
	ip->checksum_status = s == 0xffff ? TN_CSUM_OK : TN_CSUM_BAD;
}

static void verify_tcp(struct tn_packet *pkt, const uint8_t *frame)
{
	struct tn_tcp *t = &pkt->tcp;
	t->checksum_status = TN_CSUM_UNVERIFIED;
	if (t->opts_cut || pkt->payload_captured < pkt->payload_len)
		return;
	if (pkt->ip_version == 4 && (pkt->ip4.mf || pkt->ip4.tso_zero_len))
		return;
	if (pkt->ip_version == 6 && (pkt->ip6.frag_mf || pkt->ip6.jumbo))
		return;
	if ((uint64_t)pkt->tcp_offset + pkt->l4_len > pkt->caplen)
		return;
	uint64_t addrs = pseudo_addrs(pkt);
	uint32_t tail = pseudo_tail(pkt);
	uint64_t all = sum_native(addrs, frame + pkt->tcp_offset, pkt->l4_len);
	if (tn_csum_fold(fold_net(all) + tail) == 0xffff) {
		t->checksum_status = TN_CSUM_OK;
		return;
	}
	uint16_t partial = tn_csum_fold(fold_net(addrs) + tail);
	uint16_t partial_inv = (uint16_t)(0xffffu - partial);
	if (t->checksum == partial || t->checksum == partial_inv ||
	    pkt->sll_pkttype == SLL_OUTGOING)
		t->checksum_status = TN_CSUM_OFFLOAD;
	else
		t->checksum_status = TN_CSUM_BAD;
}

void tn_checksum_verify(struct tn_packet *pkt, const uint8_t *frame)
{
	if (pkt->ip_version == 4)
		verify_ipv4_header(pkt, frame);
	verify_tcp(pkt, frame);
}
