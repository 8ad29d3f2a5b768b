/*
 * ipv6.c — the IPv6 fixed header (RFC 8200 §3) and the walk through its
 * extension headers (§4) to TCP.
 *
 * Each extension header is at least 8 bytes, so the walk ends after at most
 * payload/8 steps whatever the bytes say. A fragment that does not start at
 * offset 0 holds no TCP header and is reported as a fragment.
 */
#include "internal.h"

#define NH_HOPOPTS 0
#define NH_TCP 6
#define NH_ROUTING 43
#define NH_FRAGMENT 44
#define NH_ESP 50
#define NH_AH 51
#define NH_NONE 59
#define NH_DSTOPTS 60
#define NH_MOBILITY 135
#define NH_HIP 139
#define NH_SHIM6 140

static bool is_extension(uint8_t nh)
{
	switch (nh) {
	case NH_HOPOPTS: case NH_ROUTING: case NH_FRAGMENT: case NH_AH:
	case NH_DSTOPTS: case NH_MOBILITY: case NH_HIP: case NH_SHIM6:
		return true;
	default:
		return false;
	}
}

enum tn_decode_result tn_decode_ipv6(struct tn_rd *r, struct tn_packet *pkt, struct tn_rd *seg)
{
	struct tn_ipv6 *ip = &pkt->ip6;
	uint32_t start = pkt->ip_offset;
	uint32_t on_wire = pkt->wirelen > start ? pkt->wirelen - start : 0;

	pkt->ip_version = 6;
	uint32_t vtf = tn_rd_be32(r);
	ip->version = (uint8_t)(vtf >> 28);
	ip->tclass = (uint8_t)(vtf >> 20);
	ip->flow = vtf & 0xfffff;
	ip->payload_len = tn_rd_be16(r);
	ip->next_header = tn_rd_u8(r);
	ip->hop_limit = tn_rd_u8(r);
	tn_rd_copy(r, ip->src, 16);
	tn_rd_copy(r, ip->dst, 16);
	if (r->err) {
		tn_packet_problem(pkt, TN_PROB_CUT, (uint32_t)(start + r->len),
				  "capture ends after %u of the 40 bytes of the IPv6 header",
				  (unsigned)r->len);
		return TN_DEC_TRUNCATED;
	}
	if (ip->version != 6) {
		tn_packet_problem(pkt, TN_PROB_IP_VERSION, start,
				  "link layer says IPv6 but the version field is %u", ip->version);
		return TN_DEC_MALFORMED;
	}
	uint32_t plen = ip->payload_len;
	if (plen == 0) {
		/* A jumbogram or an offloaded super-segment: the frame tells the length. */
		ip->jumbo = true;
		plen = on_wire - 40;
	}
	if (plen > on_wire - 40) {
		tn_packet_problem(pkt, TN_PROB_IP_TOTAL_LEN, start + 4,
				  "IPv6 payload length %u runs past the end of the packet (%u bytes); "
				  "decoding only what is there", plen, on_wire - 40);
		plen = on_wire - 40;
	}

	/* The payload as far as it was captured; extension headers are read from it. */
	bool plen_cut = false;
	struct tn_rd p = tn_rd_sub(r, plen, &plen_cut);
	uint32_t used = 0;
	uint8_t nh = ip->next_header;
	while (is_extension(nh)) {
		uint32_t at = start + 40 + used;
		uint8_t next = tn_rd_u8(&p);
		uint8_t hlen = tn_rd_u8(&p);
		uint32_t len;
		if (nh == NH_FRAGMENT)
			len = 8;
		else if (nh == NH_AH)
			len = (hlen + 2u) * 4u;
		else
			len = (hlen + 1u) * 8u;
		if (p.err && !plen_cut) {
			tn_packet_problem(pkt, TN_PROB_IP6_EXT, at,
					  "IPv6 payload length %u leaves no room for the extension header "
					  "(type %u) it announces", plen, nh);
			return TN_DEC_MALFORMED;
		}
		if (p.err) {
			tn_packet_problem(pkt, TN_PROB_CUT, (uint32_t)(start + 40 + p.len),
					  "capture ends inside an IPv6 extension header");
			return TN_DEC_TRUNCATED;
		}
		if (len > plen - used) {
			tn_packet_problem(pkt, TN_PROB_IP6_EXT, at,
					  "IPv6 extension header (type %u, %u bytes) runs past the payload "
					  "(%u bytes left)", nh, len, plen - used);
			return TN_DEC_MALFORMED;
		}
		if (ip->n_ext < TN_MAX_IP6_EXT)
			ip->ext[ip->n_ext++] = (struct tn_ip6_ext){ .type = nh, .len = (uint16_t)len };
		if (nh == NH_FRAGMENT) {
			uint16_t fo = tn_rd_be16(&p);
			ip->frag = true;
			ip->frag_off = fo & 0xfff8;
			ip->frag_mf = fo & 1;
			ip->frag_id = tn_rd_be32(&p);
		} else {
			tn_rd_skip(&p, len - 2);
		}
		if (p.err) {
			tn_packet_problem(pkt, TN_PROB_CUT, (uint32_t)(start + 40 + p.len),
					  "capture ends inside an IPv6 extension header");
			return TN_DEC_TRUNCATED;
		}
		used += len;
		nh = next;
		if (ip->frag && ip->frag_off != 0) {
			ip->upper = nh;
			pkt->ip_proto = nh;
			return TN_DEC_FRAGMENT;
		}
	}
	ip->upper = nh;
	pkt->ip_proto = nh;
	if (nh != NH_TCP)
		return TN_DEC_NOT_TCP;
	pkt->l4_len = plen - used;
	*seg = tn_rd_sub(&p, pkt->l4_len, NULL);
	return TN_DEC_TCP;
}
