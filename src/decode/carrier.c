/*
 * carrier.c — the layers carriers and bridges put between a link header and
 * IP: MPLS label stacks, PPPoE sessions and PPP, Ethernet frames carried by
 * a tunnel (with their VLAN tags), 802.1ah provider backbone bridging, and
 * 802.2 LLC/SNAP.
 *
 * MPLS does not say what it carries; like tcpdump, the first nibble after
 * the bottom label decides (4: IPv4, 6: IPv6, 0: an Ethernet pseudowire
 * behind its control word, RFC 4448 §4.6).
 */
#include "internal.h"

#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057
#define PPP_MPLS 0x0281
#define PPP_MPLS_MC 0x0283

static bool is_vlan_tpid(uint16_t t)
{
	return t == 0x8100 || t == 0x88a8 || t == 0x9100 || t == 0x9200;
}

/* RFC 3032 §2.1: label (20 bits), traffic class (3), bottom of stack (1), TTL (8). */
enum tn_decode_result tn_step_mpls(struct tn_walk *w)
{
	struct tn_rd *r = &w->r;
	bool bottom = false;
	while (!bottom) {
		uint32_t lse = tn_rd_be32(r);
		if (r->err)
			return tn_walk_cut(w, "MPLS label");
		struct tn_encap *e = tn_encap_push(w, TN_ENC_MPLS);
		if (!e)
			return TN_DEC_MALFORMED;
		e->has_id = true;
		e->id = lse >> 12;
		e->version = (lse >> 9) & 7;
		e->bos = bottom = (lse >> 8) & 1;
		e->ttl = lse & 0xff;
	}
	if (tn_rd_left(r) == 0)
		return tn_walk_cut(w, "IP");   /* what the stack carries is not captured */
	w->next = tn_guess_ip(r);
	if (w->next)
		return TN_WALK_ON;
	if (tn_rd_left(r) > 0 && tn_rd_here(r)[0] >> 4 == 0) {
		tn_rd_skip(r, 4);    /* pseudowire control word, then Ethernet */
		if (r->err)
			return tn_walk_cut(w, "MPLS pseudowire control word");
		w->next = TN_ETHERTYPE_TEB;
		return TN_WALK_ON;
	}
	return TN_DEC_NOT_IP;
}

static uint16_t ppp_to_ethertype(uint16_t proto)
{
	switch (proto) {
	case PPP_IPV4: return TN_ETHERTYPE_IPV4;
	case PPP_IPV6: return TN_ETHERTYPE_IPV6;
	case PPP_MPLS: return TN_ETHERTYPE_MPLS;
	case PPP_MPLS_MC: return TN_ETHERTYPE_MPLS_MC;
	default: return 0;
	}
}

/*
 * A PPP frame (RFC 1661 §2): address and control (FF 03) may be left out
 * (RFC 1662 §3.2's ACFC), and an odd first byte is a one-byte protocol
 * (RFC 1661 §6.5's PFC). False when the capture cuts it.
 */
static bool ppp_header(struct tn_rd *r, uint16_t *proto)
{
	const uint8_t *p = tn_rd_here(r);
	if (tn_rd_left(r) >= 2 && p[0] == 0xff && p[1] == 0x03)
		tn_rd_skip(r, 2);
	*proto = tn_rd_u8(r);
	if (!(*proto & 1))
		*proto = (uint16_t)(*proto << 8 | tn_rd_u8(r));
	return !r->err;
}

enum tn_decode_result tn_link_ppp(struct tn_rd *r, struct tn_packet *pkt, uint16_t *type)
{
	uint16_t proto;
	if (!ppp_header(r, &proto))
		return tn_link_cut(pkt, r, "PPP");
	*type = ppp_to_ethertype(proto);
	return TN_DEC_TCP;
}

/* PPP inside a tunnel (GRE version 1, PPTP). */
enum tn_decode_result tn_step_ppp(struct tn_walk *w)
{
	struct tn_encap *e = tn_encap_push(w, TN_ENC_PPP);
	if (!e)
		return TN_DEC_MALFORMED;
	if (!ppp_header(&w->r, &e->proto))
		return tn_walk_cut(w, "PPP");
	w->next = ppp_to_ethertype(e->proto);
	return w->next ? TN_WALK_ON : TN_DEC_NOT_IP;
}

/* PPPoE session stage (RFC 2516 §4): ver/type 0x11, code 0, session id, length, PPP. */
enum tn_decode_result tn_step_pppoe(struct tn_walk *w)
{
	struct tn_rd *r = &w->r;
	struct tn_encap *e = tn_encap_push(w, TN_ENC_PPPOE);
	if (!e)
		return TN_DEC_MALFORMED;
	uint8_t vt = tn_rd_u8(r), code = tn_rd_u8(r);
	e->id = tn_rd_be16(r);
	e->has_id = true;
	uint16_t len = tn_rd_be16(r);
	e->proto = tn_rd_be16(r);
	if (r->err)
		return tn_walk_cut(w, "PPPoE");
	if (vt != 0x11 || code != 0) {
		tn_packet_problem(w->pkt, TN_PROB_ENCAP, tn_walk_offset(w) - 8,
				  "PPPoE session header with version/type 0x%02x and code 0x%02x "
				  "(0x11 and 0 expected)", vt, code);
		return TN_DEC_MALFORMED;
	}
	if (len >= 2 && len - 2u < tn_rd_left(r))
		r->len = r->off + (len - 2u);  /* Ethernet padding is not payload */
	w->next = ppp_to_ethertype(e->proto);
	return w->next ? TN_WALK_ON : TN_DEC_NOT_IP;
}

/*
 * 802.2 LLC (IEEE 802.2 §3): SNAP (AA AA 03, an OUI and an ethertype, RFC
 * 1042) or the IP SAP 06 (RFC 948's old form); anything else is not IP.
 */
enum tn_decode_result tn_link_llc(struct tn_rd *r, struct tn_packet *pkt, uint16_t *type)
{
	uint8_t dsap = tn_rd_u8(r), ssap = tn_rd_u8(r), ctl = tn_rd_u8(r);
	*type = 0;
	if (r->err)
		return tn_link_cut(pkt, r, "802.2 LLC");
	if (dsap == 0x06 && ssap == 0x06 && ctl == 0x03) {
		*type = TN_ETHERTYPE_IPV4;
		return TN_DEC_TCP;
	}
	if (!(dsap == 0xaa && ssap == 0xaa && ctl == 0x03))
		return TN_DEC_TCP;
	tn_rd_skip(r, 3);   /* OUI */
	*type = tn_rd_be16(r);
	if (r->err)
		return tn_link_cut(pkt, r, "SNAP");
	return TN_DEC_TCP;
}

/* The type after the MAC addresses, through any VLAN tags and an 802.3 length. */
static enum tn_decode_result ether_type(struct tn_walk *w, struct tn_encap *eth)
{
	struct tn_rd *r = &w->r;
	uint16_t type = tn_rd_be16(r);
	while (!r->err && is_vlan_tpid(type)) {
		uint16_t tci = tn_rd_be16(r);
		type = tn_rd_be16(r);
		struct tn_encap *v = r->err ? NULL : tn_encap_push(w, TN_ENC_VLAN);
		if (!r->err && !v)
			return TN_DEC_MALFORMED;
		if (v) {
			v->has_id = true;
			v->id = tci & 0x0fff;
			v->proto = type;
		}
	}
	if (r->err)
		return tn_walk_cut(w, "Ethernet");
	if (type <= 1500) {
		enum tn_decode_result res = tn_link_llc(r, w->pkt, &type);
		if (res != TN_DEC_TCP)
			return res;
	}
	eth->proto = type;
	w->next = type;
	return w->next ? TN_WALK_ON : TN_DEC_NOT_IP;
}

/* An Ethernet frame a tunnel carried (IEEE 802.3 §3.1): addresses, then its type. */
enum tn_decode_result tn_step_ether(struct tn_walk *w)
{
	struct tn_encap *e = tn_encap_push(w, TN_ENC_ETH);
	if (!e)
		return TN_DEC_MALFORMED;
	tn_rd_skip(&w->r, 12);
	if (w->r.err)
		return tn_walk_cut(w, "Ethernet");
	return ether_type(w, e);
}

/* 802.1ah I-TAG: priority, DEI, UCA, reserved, the 24-bit I-SID; the customer's frame follows. */
enum tn_decode_result tn_step_pbb(struct tn_walk *w)
{
	struct tn_encap *e = tn_encap_push(w, TN_ENC_PBB);
	if (!e)
		return TN_DEC_MALFORMED;
	uint32_t itag = tn_rd_be32(&w->r);
	if (w->r.err)
		return tn_walk_cut(w, "802.1ah I-TAG");
	e->has_id = true;
	e->id = itag & 0xffffff;
	w->next = TN_ETHERTYPE_TEB;
	return TN_WALK_ON;
}
