/*
 * icmp.c — reading an ICMP or ICMPv6 error that quotes a TCP segment.
 *
 * Only errors are read: ICMP destination unreachable (type 3) and time
 * exceeded (11) (RFC 792), ICMPv6 destination unreachable (1), packet too
 * big (2) and time exceeded (3) (RFC 4443). Each carries, after its 8-byte
 * header, as much of the offending packet as fits: its IP header and at
 * least 8 bytes of TCP, the ports and the sequence number. The next-hop MTU
 * of "fragmentation needed" is in the second half of the ICMP header's
 * last word (RFC 1191 §4); packet too big's MTU is that whole word.
 *
 * Everything is read from the frame through the bounds-checked reader;
 * nothing is allocated. The ICMP checksum is not checked: a quote cut by
 * the snapshot length could not be checked anyway, and the engine never
 * lets an error change what it tracks.
 */
#include <tcpnarrate/icmp.h>
#include <tcpnarrate/rd.h>

#include <string.h>

#define PROTO_TCP 6
#define PROTO_ICMP 1
#define PROTO_ICMPV6 58

/* Destination-unreachable codes of ICMP (RFC 792, RFC 1812 §5.2.7.1), as kinds. */
static enum tn_icmp_kind unreach4(uint8_t code)
{
	switch (code) {
	case 0: case 6: case 11: return TN_ICMP_NET_UNREACH;
	case 1: case 7: case 12: return TN_ICMP_HOST_UNREACH;
	case 2: return TN_ICMP_PROTO_UNREACH;
	case 3: return TN_ICMP_PORT_UNREACH;
	case 4: return TN_ICMP_FRAG_NEEDED;
	case 9: case 10: case 13: return TN_ICMP_ADMIN_PROHIBITED;
	default: return TN_ICMP_UNREACH_OTHER;
	}
}

/* ICMPv6 destination-unreachable codes (RFC 4443 §3.1). */
static enum tn_icmp_kind unreach6(uint8_t code)
{
	switch (code) {
	case 0: return TN_ICMP_NET_UNREACH;
	case 3: return TN_ICMP_HOST_UNREACH;
	case 4: return TN_ICMP_PORT_UNREACH;
	case 1: case 5: case 6: return TN_ICMP_ADMIN_PROHIBITED;
	default: return TN_ICMP_UNREACH_OTHER;
	}
}

/* Type and code into a kind; false for anything that is not an error we narrate. */
static bool classify(struct tn_icmp_error *e)
{
	if (e->family == 4) {
		if (e->type == 3)
			e->kind = unreach4(e->code);
		else if (e->type == 11)
			e->kind = e->code == 1 ? TN_ICMP_REASSEMBLY_TIMEOUT : TN_ICMP_TTL_EXCEEDED;
		else
			return false;
		return true;
	}
	if (e->type == 1)
		e->kind = unreach6(e->code);
	else if (e->type == 2)
		e->kind = TN_ICMP_FRAG_NEEDED;
	else if (e->type == 3)
		e->kind = e->code == 1 ? TN_ICMP_REASSEMBLY_TIMEOUT : TN_ICMP_TTL_EXCEEDED;
	else
		return false;
	return true;
}

/* The quoted IPv4 header; leaves r at the quoted TCP header. */
static bool quoted_ipv4(struct tn_rd *r, struct tn_icmp_error *e)
{
	uint8_t vihl = tn_rd_u8(r);
	tn_rd_skip(r, 1);
	e->quoted_len = tn_rd_be16(r);
	tn_rd_skip(r, 2);
	uint16_t frag = tn_rd_be16(r);
	e->quoted_ttl = tn_rd_u8(r);
	uint8_t proto = tn_rd_u8(r);
	tn_rd_skip(r, 2);
	tn_rd_copy(r, e->src, 4);
	tn_rd_copy(r, e->dst, 4);
	size_t ihl = (size_t)(vihl & 0x0f) * 4;
	if (r->err || vihl >> 4 != 4 || ihl < 20 || proto != PROTO_TCP || (frag & 0x1fff) != 0)
		return false;
	e->quoted_df = frag & 0x4000;
	tn_rd_skip(r, ihl - 20);
	return !r->err;
}

/* The quoted IPv6 header and extension headers; leaves r at the quoted TCP header. */
static bool quoted_ipv6(struct tn_rd *r, struct tn_icmp_error *e)
{
	uint8_t ver = tn_rd_u8(r) >> 4;
	tn_rd_skip(r, 3);
	e->quoted_len = tn_rd_be16(r) + 40u;
	uint8_t nh = tn_rd_u8(r);
	e->quoted_ttl = tn_rd_u8(r);
	tn_rd_copy(r, e->src, 16);
	tn_rd_copy(r, e->dst, 16);
	for (int i = 0; i < TN_MAX_IP6_EXT && !r->err && ver == 6; i++) {
		if (nh == PROTO_TCP)
			return true;
		if (nh != 0 && nh != 43 && nh != 44 && nh != 60)
			return false; /* not TCP, or behind a header we do not walk */
		uint8_t next = tn_rd_u8(r), len = tn_rd_u8(r);
		uint16_t frag = tn_rd_be16(r);
		if (nh == 44 && (frag & 0xfff8) != 0)
			return false; /* a later fragment: no TCP header in it */
		tn_rd_skip(r, nh == 44 ? 4 : (size_t)len * 8 + 4);
		nh = next;
	}
	return false;
}

/* The ICMP header's type, code and MTU; the error's IP source. */
static bool icmp_header(struct tn_rd *r, const struct tn_packet *pkt, struct tn_icmp_error *e)
{
	e->type = tn_rd_u8(r);
	e->code = tn_rd_u8(r);
	tn_rd_skip(r, 2); /* checksum */
	uint32_t word = tn_rd_be32(r);
	if (r->err || !classify(e))
		return false;
	e->mtu = 0;
	if (e->kind == TN_ICMP_FRAG_NEEDED)
		e->mtu = e->family == 4 ? (word & 0xffff) : word;
	memset(e->reporter, 0, sizeof e->reporter);
	memcpy(e->reporter, e->family == 4 ? pkt->ip4.src : pkt->ip6.src, e->family == 4 ? 4 : 16);
	return true;
}

/* Where the ICMP message starts: after the IP header (and IPv6's extension headers). */
static uint32_t icmp_start(const struct tn_packet *pkt)
{
	if (pkt->ip_version == 4)
		return pkt->ip_offset + pkt->ip4.hdr_len;
	uint32_t at = pkt->ip_offset + 40;
	for (unsigned i = 0; i < pkt->ip6.n_ext && i < TN_MAX_IP6_EXT; i++)
		at += pkt->ip6.ext[i].len;
	return at;
}

int tn_decode_icmp_error(const struct tn_packet *pkt, const uint8_t *frame, uint32_t caplen,
			 struct tn_icmp_error *out)
{
	struct tn_icmp_error e = { .family = pkt->ip_version };
	bool v4 = pkt->ip_version == 4;
	if ((v4 && (pkt->ip_proto != PROTO_ICMP || pkt->ip4.frag_off != 0 || pkt->ip4.mf)) ||
	    (!v4 && (pkt->ip_version != 6 || pkt->ip_proto != PROTO_ICMPV6 || pkt->ip6.frag)))
		return -1;
	e.icmp_offset = icmp_start(pkt);
	if (e.icmp_offset >= caplen)
		return -1;
	struct tn_rd r;
	tn_rd_init(&r, frame + e.icmp_offset, caplen - e.icmp_offset);
	if (!icmp_header(&r, pkt, &e))
		return -1;
	if (!(v4 ? quoted_ipv4(&r, &e) : quoted_ipv6(&r, &e)))
		return -1;
	e.sport = tn_rd_be16(&r);
	e.dport = tn_rd_be16(&r);
	e.seq = tn_rd_be32(&r);
	if (r.err)
		return -1;
	*out = e;
	return 0;
}
