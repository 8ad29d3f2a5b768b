/*
 * link_more.c — the less common link types: netfilter's NFLOG, IP over
 * InfiniBand, FDDI, ARCNET as Linux writes it, Juniper's Ethernet pseudo
 * header, 802.11 with or without radiotap, PPP, PPP in HDLC framing, Cisco
 * HDLC and PPPoE without its Ethernet header.
 *
 * Each reads its header through the reader and leaves pkt->ethertype naming
 * what follows (0 when it is not something the walk follows: management
 * frames, encrypted 802.11 data, ARP); link.c's table points at them.
 */
#include "internal.h"

#define NFLOG_PAYLOAD 9          /* NFULA_PAYLOAD */
#define NFLOG_MAX_TLV_TYPE 32
#define AF_INET_LINUX 2
#define AF_INET6_LINUX 10

#define ARC_IP_RFC1201 0xd4
#define ARC_IP6 0xc4
#define ARC_IP_RFC1051 0xf0

#define RT_FLAGS_FCS 0x10       /* radiotap flags: four FCS bytes end the frame */
#define RT_FLAGS_DATAPAD 0x20   /* radiotap flags: 802.11 header padded to 4 bytes */

/*
 * NFLOG (libpcap's LINKTYPE_NFLOG): family, version, resource id, then TLVs
 * whose length and type are in the capturing host's byte order (little
 * endian tried first); each length counts its 4-byte head and is padded to 4.
 */
static bool nflog_tlv(const uint8_t b[4], bool le, uint16_t *len, uint16_t *type)
{
	*len = le ? (uint16_t)(b[0] | b[1] << 8) : (uint16_t)(b[0] << 8 | b[1]);
	*type = le ? (uint16_t)(b[2] | b[3] << 8) : (uint16_t)(b[2] << 8 | b[3]);
	*type &= 0x7fff;
	return *len >= 4 && *type <= NFLOG_MAX_TLV_TYPE;
}

enum tn_decode_result tn_link_nflog(struct tn_rd *r, struct tn_packet *pkt)
{
	uint8_t family = tn_rd_u8(r);
	tn_rd_skip(r, 3);         /* version, resource id */
	if (r->err)
		return tn_link_cut(pkt, r, "NFLOG");
	/* Every TLV is at least 4 bytes, so the frame's end bounds the loop. */
	for (;;) {
		uint16_t len, type;
		uint8_t b[4];
		struct tn_rd peek = *r;
		if (!tn_rd_copy(&peek, b, 4))
			break;
		if (!nflog_tlv(b, true, &len, &type) && !nflog_tlv(b, false, &len, &type)) {
			tn_packet_problem(pkt, TN_PROB_LINK, (uint32_t)r->off,
					  "NFLOG TLV whose length or type cannot be right");
			return TN_DEC_MALFORMED;
		}
		if (type == NFLOG_PAYLOAD) {
			tn_rd_skip(r, 4);
			if (len - 4u < tn_rd_left(r))
				r->len = r->off + (len - 4u);
			pkt->ethertype = family == AF_INET_LINUX ? TN_ETHERTYPE_IPV4
				       : family == AF_INET6_LINUX ? TN_ETHERTYPE_IPV6 : tn_guess_ip(r);
			return TN_DEC_TCP;
		}
		tn_rd_skip(r, ((size_t)len + 3) & ~(size_t)3);
	}
	/* Ended between TLVs: the capture cut it, or it has no payload TLV. */
	if (r->err || tn_rd_left(r) != 0 || pkt->caplen < pkt->wirelen)
		return tn_link_cut(pkt, r, "NFLOG TLV");
	pkt->ethertype = 0;
	return TN_DEC_TCP;
}

/* IPoIB (LINKTYPE_IPOIB): 40 bytes of GRH or destination address, then RFC 4391 §6's type. */
enum tn_decode_result tn_link_ipoib(struct tn_rd *r, struct tn_packet *pkt)
{
	tn_rd_skip(r, 40);
	pkt->ethertype = tn_rd_be16(r);
	tn_rd_skip(r, 2);
	if (r->err)
		return tn_link_cut(pkt, r, "IP over InfiniBand");
	return TN_DEC_TCP;
}

/* FDDI (ANSI X3.139): frame control, destination, source, then 802.2 LLC. */
enum tn_decode_result tn_link_fddi(struct tn_rd *r, struct tn_packet *pkt)
{
	tn_rd_skip(r, 13);
	if (r->err)
		return tn_link_cut(pkt, r, "FDDI");
	return tn_link_llc(r, pkt, &pkt->ethertype);
}

/*
 * ARCNET as Linux writes it: source, destination, a 2-byte offset and the
 * protocol id; RFC 1201 protocols add a split flag and a sequence number
 * (four more bytes again for an exception packet), RFC 1051 adds nothing.
 */
enum tn_decode_result tn_link_arcnet(struct tn_rd *r, struct tn_packet *pkt)
{
	tn_rd_skip(r, 4);
	uint8_t type = tn_rd_u8(r);
	if (type != ARC_IP_RFC1051) {
		uint8_t split = tn_rd_u8(r);
		tn_rd_skip(r, 2);
		if (split == 0xff)
			tn_rd_skip(r, 4);
	}
	if (r->err)
		return tn_link_cut(pkt, r, "ARCNET");
	pkt->ethertype = type == ARC_IP6 ? TN_ETHERTYPE_IPV6
		       : type == ARC_IP_RFC1201 || type == ARC_IP_RFC1051 ? TN_ETHERTYPE_IPV4 : 0;
	return TN_DEC_TCP;
}

/*
 * Juniper's pseudo header: "MGC", flags, and with the extension flag a
 * length and that many bytes; then Ethernet, or with the no-L2 flag four
 * bytes and IP.
 */
enum tn_decode_result tn_link_juniper_ether(struct tn_rd *r, struct tn_packet *pkt)
{
	uint32_t magic_flags = tn_rd_be32(r);
	if (!r->err && (magic_flags >> 8) != 0x4d4743) {
		tn_packet_problem(pkt, TN_PROB_LINK, 0, "Juniper header without its MGC magic");
		return TN_DEC_MALFORMED;
	}
	if (magic_flags & 0x80)
		tn_rd_skip(r, tn_rd_be16(r));
	if (!r->err && (magic_flags & 0x02)) {
		tn_rd_skip(r, 4);
		pkt->ethertype = tn_guess_ip(r);
	}
	if (r->err)
		return tn_link_cut(pkt, r, "Juniper");
	if (magic_flags & 0x02)
		return TN_DEC_TCP;
	return tn_link_ethernet(r, pkt);
}

/*
 * The 802.11 MAC header of a data frame (IEEE 802.11-2020 §9.3.2.1): frame
 * control, duration, three addresses, sequence control, a fourth address
 * between distribution systems, QoS control and HT control; then LLC/SNAP.
 * Encrypted, null and aggregated (A-MSDU) data carry nothing we follow.
 */
static enum tn_decode_result wifi_frame(struct tn_rd *r, struct tn_packet *pkt, bool datapad)
{
	uint8_t fc0 = tn_rd_u8(r), fc1 = tn_rd_u8(r);
	size_t hlen = 24;
	pkt->ethertype = 0;
	bool data = ((fc0 >> 2) & 3) == 2, qos = (fc0 >> 4) & 8, null = (fc0 >> 4) & 4;
	if (r->err)
		return tn_link_cut(pkt, r, "802.11");
	if (!data || null || (fc1 & 0x40))
		return TN_DEC_TCP;
	if ((fc1 & 3) == 3)
		hlen += 6;
	struct tn_rd peek = *r;
	tn_rd_skip(&peek, hlen - 2);
	if (qos && (tn_rd_u8(&peek) & 0x80))
		return TN_DEC_TCP;   /* A-MSDU (QoS control is little endian: bit 7 is in byte 0) */
	if (qos)
		hlen += (fc1 & 0x80) ? 6 : 2;
	if (datapad)
		hlen = (hlen + 3) & ~(size_t)3;
	tn_rd_skip(r, hlen - 2);
	if (r->err)
		return tn_link_cut(pkt, r, "802.11");
	return tn_link_llc(r, pkt, &pkt->ethertype);
}

enum tn_decode_result tn_link_wifi(struct tn_rd *r, struct tn_packet *pkt)
{
	return wifi_frame(r, pkt, false);
}

/*
 * Radiotap (radiotap.org): version, pad, length, presence words (bit 31:
 * another follows). The flags field (bit 1) follows TSFT (bit 0, 8 bytes,
 * aligned to 8) and says whether an FCS ends the frame and whether the
 * 802.11 header is padded.
 */
enum tn_decode_result tn_link_radiotap(struct tn_rd *r, struct tn_packet *pkt)
{
	struct tn_rd h;
	tn_rd_init(&h, tn_rd_here(r), tn_rd_left(r));  /* alignment counts from here */
	tn_rd_skip(&h, 2);
	uint16_t len = tn_rd_u8(&h);
	len = (uint16_t)(len | tn_rd_u8(&h) << 8);
	uint32_t present = tn_rd_le32(&h), first = present;
	while (!h.err && (present & 0x80000000u))
		present = tn_rd_le32(&h);
	uint8_t flags = 0;
	if (first & 1)
		tn_rd_skip(&h, ((h.off + 7) & ~(size_t)7) - h.off + 8);
	if (first & 2)
		flags = tn_rd_u8(&h);
	tn_rd_skip(r, len);
	if (h.err || r->err || h.off > len)
		return tn_link_cut(pkt, r, "radiotap");
	if ((flags & RT_FLAGS_FCS) && tn_rd_left(r) >= 4)
		r->len -= 4;
	return wifi_frame(r, pkt, flags & RT_FLAGS_DATAPAD);
}

enum tn_decode_result tn_link_ppp_dlt(struct tn_rd *r, struct tn_packet *pkt)
{
	return tn_link_ppp(r, pkt, &pkt->ethertype);
}

/* Cisco HDLC: address (0x0F unicast, 0x8F broadcast), control, an ethertype. */
enum tn_decode_result tn_link_chdlc(struct tn_rd *r, struct tn_packet *pkt)
{
	tn_rd_skip(r, 2);
	pkt->ethertype = tn_rd_be16(r);
	if (r->err)
		return tn_link_cut(pkt, r, "Cisco HDLC");
	return TN_DEC_TCP;
}

/* PPP in HDLC-like framing (RFC 1662), where Cisco HDLC also turns up. */
enum tn_decode_result tn_link_ppp_serial(struct tn_rd *r, struct tn_packet *pkt)
{
	if (tn_rd_left(r) > 0 && (tn_rd_here(r)[0] == 0x0f || tn_rd_here(r)[0] == 0x8f))
		return tn_link_chdlc(r, pkt);
	return tn_link_ppp(r, pkt, &pkt->ethertype);
}

/* PPPoE with no Ethernet header in front (LINKTYPE_PPP_ETHER). */
enum tn_decode_result tn_link_ppp_ether(struct tn_rd *r, struct tn_packet *pkt)
{
	(void)r;
	pkt->ethertype = TN_ETHERTYPE_PPPOE;
	return TN_DEC_TCP;
}
