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

/*
 * Each step below reads or checks one part of the packet and returns
 * TN_DEC_TCP to go on, or the reason to stop; tn_decode_ipv6 runs them in
 * header order.
 */

/* The fixed 40 bytes (§3), then the version they claim. */
static enum tn_decode_result fixed_header(struct tn_rd *r, struct tn_packet *pkt)
{
	struct tn_ipv6 *ip = &pkt->ip6;
	uint32_t start = pkt->ip_offset;
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
	return TN_DEC_TCP;
}

/* The payload length to decode: the field, or the frame's when it is 0 or too long. */
static uint32_t payload_length(struct tn_packet *pkt)
{
	struct tn_ipv6 *ip = &pkt->ip6;
	uint32_t start = pkt->ip_offset;
	uint32_t on_wire = pkt->wirelen > start ? pkt->wirelen - start : 0;
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
	return plen;
}

/* The walk through the extension headers, and how far it got. */
struct walk {
	struct tn_rd p;       /* the payload as far as it was captured */
	bool plen_cut;        /* the capture ends before the payload does */
	uint32_t plen;        /* payload length being decoded */
	uint32_t used;        /* bytes of extension headers walked */
	uint8_t nh;           /* the header that comes next */
};

/*
 * A fragment header is 8 bytes (§4.5); AH counts 4-byte words less 2 (RFC
 * 4302 §2.2); the others count 8-byte words past the first 8 (§4.3).
 */
static uint32_t ext_length(uint8_t nh, uint8_t hlen)
{
	if (nh == NH_FRAGMENT)
		return 8;
	if (nh == NH_AH)
		return (hlen + 2u) * 4u;
	return (hlen + 1u) * 8u;
}

static enum tn_decode_result ext_cut(struct tn_packet *pkt, const struct walk *w)
{
	tn_packet_problem(pkt, TN_PROB_CUT, (uint32_t)(pkt->ip_offset + 40 + w->p.len),
			  "capture ends inside an IPv6 extension header");
	return TN_DEC_TRUNCATED;
}

static void fragment_fields(struct tn_rd *p, struct tn_ipv6 *ip)
{
	uint16_t fo = tn_rd_be16(p);
	ip->frag = true;
	ip->frag_off = fo & 0xfff8;
	ip->frag_mf = fo & 1;
	ip->frag_id = tn_rd_be32(p);
}

/* One extension header: its length checked against the payload, recorded, stepped over. */
static enum tn_decode_result ext_header(struct walk *w, struct tn_packet *pkt)
{
	struct tn_ipv6 *ip = &pkt->ip6;
	uint32_t at = pkt->ip_offset + 40 + w->used;
	uint8_t next = tn_rd_u8(&w->p);
	uint8_t hlen = tn_rd_u8(&w->p);
	uint32_t len = ext_length(w->nh, hlen);
	if (w->p.err && !w->plen_cut) {
		tn_packet_problem(pkt, TN_PROB_IP6_EXT, at,
				  "IPv6 payload length %u leaves no room for the extension header "
				  "(type %u) it announces", w->plen, w->nh);
		return TN_DEC_MALFORMED;
	}
	if (w->p.err)
		return ext_cut(pkt, w);
	if (len > w->plen - w->used) {
		tn_packet_problem(pkt, TN_PROB_IP6_EXT, at,
				  "IPv6 extension header (type %u, %u bytes) runs past the payload "
				  "(%u bytes left)", w->nh, len, w->plen - w->used);
		return TN_DEC_MALFORMED;
	}
	if (ip->n_ext < TN_MAX_IP6_EXT)
		ip->ext[ip->n_ext++] = (struct tn_ip6_ext){ .type = w->nh, .len = (uint16_t)len };
	if (w->nh == NH_FRAGMENT)
		fragment_fields(&w->p, ip);
	else
		tn_rd_skip(&w->p, len - 2);
	if (w->p.err)
		return ext_cut(pkt, w);
	w->used += len;
	w->nh = next;
	return TN_DEC_TCP;
}

/* Every extension header in turn, until the upper-layer protocol or a later fragment. */
static enum tn_decode_result ext_walk(struct walk *w, struct tn_packet *pkt)
{
	while (is_extension(w->nh)) {
		enum tn_decode_result res = ext_header(w, pkt);
		if (res != TN_DEC_TCP)
			return res;
		if (pkt->ip6.frag && pkt->ip6.frag_off != 0) {
			pkt->ip6.upper = w->nh;
			pkt->ip_proto = w->nh;
			return TN_DEC_FRAGMENT;
		}
	}
	return TN_DEC_TCP;
}

/* What follows the extension headers, handed to TCP as *seg. */
static enum tn_decode_result hand_off(struct walk *w, struct tn_packet *pkt, struct tn_rd *seg)
{
	pkt->ip6.upper = w->nh;
	pkt->ip_proto = w->nh;
	/* Not TCP: *seg still holds the payload, for a tunnel it may carry. */
	pkt->l4_len = w->plen - w->used;
	*seg = tn_rd_sub(&w->p, pkt->l4_len, NULL);
	return w->nh == NH_TCP ? TN_DEC_TCP : TN_DEC_NOT_TCP;
}

enum tn_decode_result tn_decode_ipv6(struct tn_rd *r, struct tn_packet *pkt, struct tn_rd *seg)
{
	struct walk w;

	pkt->ip_version = 6;
	enum tn_decode_result res = fixed_header(r, pkt);
	if (res != TN_DEC_TCP)
		return res;
	w.plen = payload_length(pkt);
	/* The payload as far as it was captured; extension headers are read from it. */
	w.plen_cut = false;
	w.p = tn_rd_sub(r, w.plen, &w.plen_cut);
	w.used = 0;
	w.nh = pkt->ip6.next_header;
	res = ext_walk(&w, pkt);
	if (res != TN_DEC_TCP)
		return res;
	return hand_off(&w, pkt, seg);
}
