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

/*
 * Each step below reads or checks one part of the header and returns
 * TN_DEC_TCP to go on, or the reason to stop; tn_decode_ipv4 runs them in
 * header order.
 */

/* The first byte, version and header length: both checked before anything else is read. */
static enum tn_decode_result version_ihl(struct tn_rd *r, struct tn_packet *pkt)
{
	struct tn_ipv4 *ip = &pkt->ip4;
	uint32_t start = pkt->ip_offset;
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
	return TN_DEC_TCP;
}

/* The rest of the fixed 20 bytes, in wire order, as far as the reader holds them. */
static inline void fields(struct tn_rd *r, struct tn_ipv4 *ip)
{
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
}

/* The fixed fields; what was captured stays decoded. */
static enum tn_decode_result fixed_fields(struct tn_rd *r, struct tn_packet *pkt)
{
	struct tn_ipv4 *ip = &pkt->ip4;
	ip->checksum_status = TN_CSUM_UNVERIFIED;
	if (!r->err && tn_rd_left(r) >= 19) {
		/*
		 * The common case, through a reader that holds exactly these 19
		 * bytes: the compiler sees its length and drops each read's check.
		 */
		struct tn_rd h = tn_rd_sub(r, 19, NULL);
		fields(&h, ip);
		pkt->ip_proto = ip->proto;
		return TN_DEC_TCP;
	}
	fields(r, ip);
	pkt->ip_proto = ip->proto;
	if (r->err) {
		tn_packet_problem(pkt, TN_PROB_CUT, (uint32_t)(pkt->ip_offset + r->len),
				  "capture ends after %u of the 20 bytes of the IPv4 header",
				  (unsigned)r->len);
		return TN_DEC_TRUNCATED;
	}
	return TN_DEC_TCP;
}

/*
 * Header length within the packet, then total length between the header and
 * the packet's end; *total is the length to decode (0 on the wire: TSO/GSO).
 */
static enum tn_decode_result lengths(struct tn_packet *pkt, uint32_t on_wire, uint32_t *total)
{
	struct tn_ipv4 *ip = &pkt->ip4;
	uint32_t start = pkt->ip_offset;
	if (ip->hdr_len > on_wire) {
		tn_packet_problem(pkt, TN_PROB_IP_HDR_LEN, start,
				  "IPv4 header length %u bytes runs past the end of the packet (%u bytes)",
				  ip->hdr_len, on_wire);
		return TN_DEC_MALFORMED;
	}
	*total = ip->total_len;
	if (*total == 0) {
		ip->tso_zero_len = true;
		*total = on_wire;
	}
	if (*total < ip->hdr_len) {
		tn_packet_problem(pkt, TN_PROB_IP_TOTAL_LEN, start + 2,
				  "IPv4 total length %u is shorter than its own header (%u bytes)",
				  *total, ip->hdr_len);
		return TN_DEC_MALFORMED;
	}
	if (*total > on_wire) {
		tn_packet_problem(pkt, TN_PROB_IP_TOTAL_LEN, start + 2,
				  "IPv4 total length %u runs past the end of the packet (%u bytes); "
				  "decoding only what is there", *total, on_wire);
		*total = on_wire;
	}
	return TN_DEC_TCP;
}

/* Options: we name none of them, but they must be there. */
static enum tn_decode_result options(struct tn_rd *r, struct tn_packet *pkt)
{
	struct tn_ipv4 *ip = &pkt->ip4;
	tn_rd_skip(r, ip->hdr_len - 20u);
	if (r->err) {
		tn_packet_problem(pkt, TN_PROB_CUT, (uint32_t)(pkt->ip_offset + r->len),
				  "capture ends inside the IPv4 options (%u of %u header bytes)",
				  (unsigned)r->len, ip->hdr_len);
		return TN_DEC_TRUNCATED;
	}
	return TN_DEC_TCP;
}

static enum tn_decode_result ah_cut(struct tn_packet *pkt)
{
	tn_packet_problem(pkt, TN_PROB_CUT, pkt->ip_offset + pkt->ip4.hdr_len,
			  "capture ends inside the IPsec AH header");
	return TN_DEC_TRUNCATED;
}

/*
 * RFC 4302 §2.2: an AH header is (payload length + 2) 4-byte words. Steps
 * over it; *proto becomes the protocol after it and *l4 loses its length.
 */
static enum tn_decode_result skip_ah(struct tn_rd *body, struct tn_packet *pkt, uint8_t *proto,
				     uint32_t *l4)
{
	uint8_t next = tn_rd_u8(body);
	uint32_t ah_len = (tn_rd_u8(body) + 2u) * 4u;
	if (body->err)
		return ah_cut(pkt);
	if (ah_len > *l4) {
		tn_packet_problem(pkt, TN_PROB_IP6_EXT, pkt->ip_offset + pkt->ip4.hdr_len,
				  "IPsec AH header of %u bytes runs past the IPv4 payload (%u bytes)",
				  ah_len, *l4);
		return TN_DEC_MALFORMED;
	}
	tn_rd_skip(body, ah_len - 2);
	if (body->err)
		return ah_cut(pkt);
	*proto = next;
	*l4 -= ah_len;
	pkt->ip4.ah_len = (uint16_t)ah_len;
	return TN_DEC_TCP;
}

/* The payload, past an AH header if there is one, handed to TCP as *seg. */
static enum tn_decode_result hand_off(struct tn_rd *r, struct tn_packet *pkt, uint32_t total,
				      struct tn_rd *seg)
{
	uint32_t l4 = total - pkt->ip4.hdr_len;
	struct tn_rd body = tn_rd_sub(r, l4, NULL);
	uint8_t proto = pkt->ip4.proto;
	if (proto == IPPROTO_AH_NUM) {
		enum tn_decode_result res = skip_ah(&body, pkt, &proto, &l4);
		if (res != TN_DEC_TCP)
			return res;
	}
	pkt->ip_proto = proto;
	/* Not TCP: *seg still holds the payload, for a tunnel it may carry. */
	pkt->l4_len = l4;
	*seg = tn_rd_sub(&body, l4, NULL);
	return proto == IPPROTO_TCP_NUM ? TN_DEC_TCP : TN_DEC_NOT_TCP;
}

enum tn_decode_result tn_decode_ipv4(struct tn_rd *r, struct tn_packet *pkt, struct tn_rd *seg)
{
	uint32_t start = pkt->ip_offset;
	uint32_t on_wire = pkt->wirelen > start ? pkt->wirelen - start : 0;
	uint32_t total = 0;
	enum tn_decode_result res;

	pkt->ip_version = 4;
	res = version_ihl(r, pkt);
	if (res != TN_DEC_TCP)
		return res;
	res = fixed_fields(r, pkt);
	if (res != TN_DEC_TCP)
		return res;
	res = lengths(pkt, on_wire, &total);
	if (res != TN_DEC_TCP)
		return res;
	res = options(r, pkt);
	if (res != TN_DEC_TCP)
		return res;
	if (pkt->ip4.frag_off != 0)
		return TN_DEC_FRAGMENT;
	return hand_off(r, pkt, total, seg);
}
