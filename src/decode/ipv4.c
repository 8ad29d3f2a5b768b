/*
 * ipv4.c — the IPv4 header (RFC 791), checked in header order.
 *
 * Lengths are checked before they are trusted: header length at least 20 and
 * within the packet, total length at least the header. Ethernet padding past
 * the total length is not payload. A total length of 0 is what Linux writes on
 * a TSO/GSO super-segment captured before the NIC split it; we then take the
 * length from the frame, as Wireshark does.
 */
#include "internal.h"

#define IPPROTO_TCP_NUM 6
#define IPPROTO_AH_NUM 51

enum tn_decode_result tn_decode_ipv4(struct tn_rd *r, struct tn_packet *pkt, struct tn_rd *seg)
{
	struct tn_ipv4 *ip = &pkt->ip4;
	uint32_t start = pkt->ip_offset;
	uint32_t on_wire = pkt->wirelen > start ? pkt->wirelen - start : 0;

	pkt->ip_version = 4;
	uint8_t vhl = tn_rd_u8(r);
	if (r->err) {
		tn_packet_problem(pkt, TN_PROB_CUT, start, "frame ends before the IPv4 header");
		return TN_DEC_TRUNCATED;
	}
	ip->version = vhl >> 4;
	ip->hdr_len = (uint8_t)((vhl & 0x0f) * 4);
	if (ip->version != 4) {
		tn_packet_problem(pkt, TN_PROB_IP_VERSION, start,
				  "link layer says IPv4 but the version field is %u", ip->version);
		return TN_DEC_MALFORMED;
	}
	if (ip->hdr_len < 20) {
		tn_packet_problem(pkt, TN_PROB_IP_HDR_LEN, start,
				  "IPv4 header length %u bytes is under the 20-byte minimum",
				  ip->hdr_len);
		return TN_DEC_MALFORMED;
	}
	uint8_t tos = tn_rd_u8(r);
	ip->dscp = tos >> 2;
	ip->ecn = tos & 3;
	ip->total_len = tn_rd_be16(r);
	ip->id = tn_rd_be16(r);
	uint16_t frag = tn_rd_be16(r);
	ip->rf = frag & 0x8000;
	ip->df = frag & 0x4000;
	ip->mf = frag & 0x2000;
	ip->frag_off = (uint16_t)((frag & 0x1fff) * 8);
	ip->ttl = tn_rd_u8(r);
	ip->proto = tn_rd_u8(r);
	ip->checksum = tn_rd_be16(r);
	tn_rd_copy(r, ip->src, 4);
	tn_rd_copy(r, ip->dst, 4);
	pkt->ip_proto = ip->proto;
	ip->checksum_status = TN_CSUM_UNVERIFIED;
	if (r->err) {
		tn_packet_problem(pkt, TN_PROB_CUT, (uint32_t)(start + r->len),
				  "capture ends after %u of the 20 bytes of the IPv4 header",
				  (unsigned)r->len);
		return TN_DEC_TRUNCATED;
	}
	if (ip->hdr_len > on_wire) {
		tn_packet_problem(pkt, TN_PROB_IP_HDR_LEN, start,
				  "IPv4 header length %u bytes runs past the end of the packet (%u bytes)",
				  ip->hdr_len, on_wire);
		return TN_DEC_MALFORMED;
	}

	uint32_t total = ip->total_len;
	if (total == 0) {
		ip->tso_zero_len = true;
		total = on_wire;
	}
	if (total < ip->hdr_len) {
		tn_packet_problem(pkt, TN_PROB_IP_TOTAL_LEN, start + 2,
				  "IPv4 total length %u is shorter than its own header (%u bytes)",
				  total, ip->hdr_len);
		return TN_DEC_MALFORMED;
	}
	if (total > on_wire) {
		tn_packet_problem(pkt, TN_PROB_IP_TOTAL_LEN, start + 2,
				  "IPv4 total length %u runs past the end of the packet (%u bytes); "
				  "decoding only what is there", total, on_wire);
		total = on_wire;
	}

	/* Options: we name none of them, but they must be there. */
	tn_rd_skip(r, ip->hdr_len - 20u);
	if (r->err) {
		tn_packet_problem(pkt, TN_PROB_CUT, (uint32_t)(start + r->len),
				  "capture ends inside the IPv4 options (%u of %u header bytes)",
				  (unsigned)r->len, ip->hdr_len);
		return TN_DEC_TRUNCATED;
	}
	if (ip->frag_off != 0)
		return TN_DEC_FRAGMENT;

	uint32_t l4 = total - ip->hdr_len;
	struct tn_rd body = tn_rd_sub(r, l4, NULL);
	uint8_t proto = ip->proto;
	if (proto == IPPROTO_AH_NUM) {
		/* RFC 4302 §2.2: an AH header is (payload length + 2) 4-byte words. */
		uint8_t next = tn_rd_u8(&body);
		uint32_t ah_len = (tn_rd_u8(&body) + 2u) * 4u;
		if (body.err) {
			tn_packet_problem(pkt, TN_PROB_CUT, start + ip->hdr_len,
					  "capture ends inside the IPsec AH header");
			return TN_DEC_TRUNCATED;
		}
		if (ah_len > l4) {
			tn_packet_problem(pkt, TN_PROB_IP6_EXT, start + ip->hdr_len,
					  "IPsec AH header of %u bytes runs past the IPv4 payload (%u bytes)",
					  ah_len, l4);
			return TN_DEC_MALFORMED;
		}
		tn_rd_skip(&body, ah_len - 2);
		if (body.err) {
			tn_packet_problem(pkt, TN_PROB_CUT, start + ip->hdr_len,
					  "capture ends inside the IPsec AH header");
			return TN_DEC_TRUNCATED;
		}
		proto = next;
		l4 -= ah_len;
		ip->ah_len = (uint16_t)ah_len;
	}
	pkt->ip_proto = proto;
	if (proto != IPPROTO_TCP_NUM)
		return TN_DEC_NOT_TCP;

	pkt->l4_len = l4;
	*seg = tn_rd_sub(&body, l4, NULL);
	return TN_DEC_TCP;
}
