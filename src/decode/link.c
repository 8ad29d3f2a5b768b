/*
 * link.c — link-layer headers down to the IP header.
 *
 * One const table maps each supported DLT_ value to a small function that
 * skips its header and says which network protocol follows. Ethernet walks
 * any number (up to TN_MAX_VLAN) of 802.1Q / 802.1ad tags and 802.2 SNAP;
 * Linux cooked v1/v2 keep the packet type, so we know which segments the
 * capturing host sent itself (needed to recognise checksum offload).
 */
#include "internal.h"

#include <pcap/dlt.h>

/* BSD loopback address families: AF_INET is 2 everywhere, AF_INET6 is not. */
#define BSD_AF_INET 2
#define BSD_AF_INET6_BSD 24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30
#define LINUX_AF_INET6 10

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#ifndef DLT_NFLOG
#define DLT_NFLOG 239
#endif
#ifndef DLT_IPOIB
#define DLT_IPOIB 242
#endif

#define SLL_HATYPE_80211 801
#define SLL_HATYPE_RADIOTAP 803
#define SLL_PROTO_802_2 0x0004

typedef enum tn_decode_result (*link_fn)(struct tn_rd *r, struct tn_packet *pkt);

enum tn_decode_result tn_link_cut(struct tn_packet *pkt, struct tn_rd *r, const char *what)
{
	tn_packet_problem(pkt, TN_PROB_CUT, (uint32_t)r->len,
			  "frame ends after %u bytes, inside the %s header", (unsigned)r->len, what);
	return TN_DEC_TRUNCATED;
}

static bool is_vlan_tpid(uint16_t t)
{
	return t == 0x8100 || t == 0x88a8 || t == 0x9100 || t == 0x9200;
}

enum tn_decode_result tn_link_ethernet(struct tn_rd *r, struct tn_packet *pkt)
{
	tn_rd_skip(r, 12);
	uint16_t type = tn_rd_be16(r);
	while (!r->err && is_vlan_tpid(type)) {
		uint16_t tci = tn_rd_be16(r);
		type = tn_rd_be16(r);
		if (r->err)
			break;
		if (pkt->n_vlan == TN_MAX_VLAN) {
			tn_packet_problem(pkt, TN_PROB_LINK, (uint32_t)r->off,
					  "more than %d VLAN tags", TN_MAX_VLAN);
			return TN_DEC_MALFORMED;
		}
		pkt->vlan[pkt->n_vlan++] = tci & 0x0fff;
	}
	if (r->err)
		return tn_link_cut(pkt, r, "Ethernet");
	pkt->ethertype = type;
	if (type <= 1500)  /* 802.3 length field: 802.2 LLC follows */
		return tn_link_llc(r, pkt, &pkt->ethertype);
	return TN_DEC_TCP;
}

/*
 * What a cooked header's protocol and hardware type say follows: mostly the
 * network header with its ethertype; an 802.2 LLC header (ETH_P_802_2); a
 * whole 802.11 frame from a monitor interface (ARPHRD_IEEE80211, and with
 * radiotap in front, ARPHRD_IEEE80211_RADIOTAP).
 */
static enum tn_decode_result sll_payload(struct tn_rd *r, struct tn_packet *pkt, uint16_t hatype,
					 uint16_t proto)
{
	pkt->ethertype = proto;
	if (hatype == SLL_HATYPE_80211)
		return tn_link_wifi(r, pkt);
	if (hatype == SLL_HATYPE_RADIOTAP)
		return tn_link_radiotap(r, pkt);
	if (proto == SLL_PROTO_802_2)
		return tn_link_llc(r, pkt, &pkt->ethertype);
	return TN_DEC_TCP;
}

static enum tn_decode_result linux_sll(struct tn_rd *r, struct tn_packet *pkt)
{
	uint16_t pkttype = tn_rd_be16(r);
	uint16_t hatype = tn_rd_be16(r);
	tn_rd_skip(r, 2 + 8); /* address length, address */
	uint16_t proto = tn_rd_be16(r);
	if (r->err)
		return tn_link_cut(pkt, r, "Linux cooked");
	pkt->sll_pkttype = pkttype;
	return sll_payload(r, pkt, hatype, proto);
}

static enum tn_decode_result linux_sll2(struct tn_rd *r, struct tn_packet *pkt)
{
	uint16_t proto = tn_rd_be16(r);
	tn_rd_skip(r, 2 + 4);     /* reserved, interface index */
	uint16_t hatype = tn_rd_be16(r);
	uint8_t pkttype = tn_rd_u8(r);
	tn_rd_skip(r, 1 + 8);     /* address length, address */
	if (r->err)
		return tn_link_cut(pkt, r, "Linux cooked v2");
	pkt->sll_pkttype = pkttype;
	return sll_payload(r, pkt, hatype, proto);
}

static enum tn_decode_result af_to_ethertype(uint32_t af, struct tn_packet *pkt)
{
	switch (af) {
	case BSD_AF_INET:
		pkt->ethertype = TN_ETHERTYPE_IPV4;
		return TN_DEC_TCP;
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
	case LINUX_AF_INET6:
		pkt->ethertype = TN_ETHERTYPE_IPV6;
		return TN_DEC_TCP;
	default:
		pkt->ethertype = 0;
		return TN_DEC_NOT_IP;
	}
}

/* DLT_NULL: the family is in the capturing host's byte order, so try both. */
static enum tn_decode_result bsd_null(struct tn_rd *r, struct tn_packet *pkt)
{
	uint32_t af = tn_rd_le32(r);
	if (r->err)
		return tn_link_cut(pkt, r, "BSD loopback");
	if (af > 0xffff)
		af = (af >> 24) | ((af >> 8) & 0xff00) | ((af << 8) & 0xff0000) | (af << 24);
	return af_to_ethertype(af, pkt);
}

/* DLT_LOOP: like NULL, but always network byte order (OpenBSD). */
static enum tn_decode_result bsd_loop(struct tn_rd *r, struct tn_packet *pkt)
{
	uint32_t af = tn_rd_be32(r);
	if (r->err)
		return tn_link_cut(pkt, r, "BSD loopback");
	return af_to_ethertype(af, pkt);
}

/* Raw IP: the version nibble says which. */
static enum tn_decode_result raw_ip(struct tn_rd *r, struct tn_packet *pkt)
{
	if (tn_rd_left(r) == 0)
		return tn_link_cut(pkt, r, "IP");
	uint8_t v = tn_rd_here(r)[0] >> 4;
	if (v == 4)
		pkt->ethertype = TN_ETHERTYPE_IPV4;
	else if (v == 6)
		pkt->ethertype = TN_ETHERTYPE_IPV6;
	else {
		tn_packet_problem(pkt, TN_PROB_IP_VERSION, 0, "IP version %u is neither 4 nor 6", v);
		return TN_DEC_MALFORMED;
	}
	return TN_DEC_TCP;
}

static enum tn_decode_result only_ipv4(struct tn_rd *r, struct tn_packet *pkt)
{
	pkt->ethertype = TN_ETHERTYPE_IPV4;
	return TN_DEC_TCP;
}

static enum tn_decode_result only_ipv6(struct tn_rd *r, struct tn_packet *pkt)
{
	pkt->ethertype = TN_ETHERTYPE_IPV6;
	return TN_DEC_TCP;
}

static const struct link_entry {
	uint32_t dlt;
	link_fn fn;
} link_table[] = {
	{ DLT_EN10MB, tn_link_ethernet },
	{ DLT_LINUX_SLL, linux_sll },
	{ DLT_LINUX_SLL2, linux_sll2 },
	{ DLT_NULL, bsd_null },
	{ DLT_LOOP, bsd_loop },
	{ DLT_RAW, raw_ip },
	{ 14, raw_ip },       /* DLT_RAW on OpenBSD */
	{ DLT_IPV4, only_ipv4 },
	{ DLT_IPV6, only_ipv6 },
	{ DLT_NFLOG, tn_link_nflog },
	{ DLT_IPOIB, tn_link_ipoib },
	{ DLT_FDDI, tn_link_fddi },
	{ DLT_ARCNET_LINUX, tn_link_arcnet },
	{ DLT_JUNIPER_ETHER, tn_link_juniper_ether },
	{ DLT_IEEE802_11, tn_link_wifi },
	{ DLT_IEEE802_11_RADIO, tn_link_radiotap },
	{ DLT_PPP, tn_link_ppp_dlt },
	{ DLT_PPP_SERIAL, tn_link_ppp_serial },
	{ DLT_C_HDLC, tn_link_chdlc },
	{ DLT_PPP_ETHER, tn_link_ppp_ether },
	{ 0, NULL },          /* sentinel (DLT_NULL is 0 too: look at fn) */
};

static const struct link_entry *find_link(uint32_t dlt)
{
	for (const struct link_entry *e = link_table; e->fn; e++)
		if (e->dlt == dlt)
			return e;
	return NULL;
}

bool tn_decode_link_supported(uint32_t linktype)
{
	return find_link(linktype) != NULL;
}

enum tn_decode_result tn_decode_link(uint32_t linktype, struct tn_rd *r, struct tn_packet *pkt)
{
	const struct link_entry *e = find_link(linktype);
	if (!e)
		return TN_DEC_UNSUPPORTED_LINK;
	enum tn_decode_result res = e->fn(r, pkt);
	pkt->ip_offset = (uint32_t)r->off;
	if (res != TN_DEC_TCP)
		return res;
	/* What follows is encap.c's to follow; 0 means the link layer found nothing to. */
	return pkt->ethertype ? TN_DEC_TCP : TN_DEC_NOT_IP;
}
