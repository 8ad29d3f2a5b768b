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
 * wide accumulator, folded, then swapped into network order: a ones'
 * complement sum does not depend on byte order (RFC 1071 §2 (B)), and this
 * runs on every captured segment.
 */
static uint32_t sum_words(const uint8_t *p, size_t n)
{
	uint64_t acc = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		acc += (w & 0xffffffffu) + (w >> 32);
	}
	for (; i + 2 <= n; i += 2) {
		uint16_t h;
		memcpy(&h, p + i, 2);
		acc += h;
	}
	while (acc > 0xffff)
		acc = (acc & 0xffff) + (acc >> 16);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	acc = ((acc & 0xff) << 8) | (acc >> 8);
#endif
	return (uint32_t)acc;
}

uint32_t tn_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	sum += sum_words(p, len & ~(size_t)1);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	/* Fold early so a long segment cannot overflow the accumulator. */
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t tn_csum_fold(uint32_t sum)
{
	while (sum > 0xffff)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint32_t pseudo_sum(const struct tn_packet *pkt)
{
	uint8_t tail[8];
	uint32_t sum = 0;
	uint32_t l4 = pkt->l4_len;
	if (pkt->ip_version == 4) {
		sum = tn_csum_add(sum, pkt->ip4.src, 4);
		sum = tn_csum_add(sum, pkt->ip4.dst, 4);
		tail[0] = 0;
		tail[1] = 6;
		tail[2] = (uint8_t)(l4 >> 8);
		tail[3] = (uint8_t)l4;
		return tn_csum_add(sum, tail, 4);
	}
	sum = tn_csum_add(sum, pkt->ip6.src, 16);
	sum = tn_csum_add(sum, pkt->ip6.dst, 16);
	tail[0] = (uint8_t)(l4 >> 24);
	tail[1] = (uint8_t)(l4 >> 16);
	tail[2] = (uint8_t)(l4 >> 8);
	tail[3] = (uint8_t)l4;
	tail[4] = tail[5] = tail[6] = 0;
	tail[7] = 6;
	return tn_csum_add(sum, tail, 8);
}

static void verify_ipv4_header(struct tn_packet *pkt, const uint8_t *frame)
{
	struct tn_ipv4 *ip = &pkt->ip4;
	if ((uint64_t)pkt->ip_offset + ip->hdr_len > pkt->caplen)
		return; /* stays unverified */
	uint16_t s = tn_csum_fold(tn_csum_add(0, frame + pkt->ip_offset, ip->hdr_len));
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
	uint32_t ps = pseudo_sum(pkt);
	uint16_t s = tn_csum_fold(tn_csum_add(ps, frame + pkt->tcp_offset, pkt->l4_len));
	if (s == 0xffff) {
		t->checksum_status = TN_CSUM_OK;
		return;
	}
	uint16_t partial = tn_csum_fold(ps);
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
