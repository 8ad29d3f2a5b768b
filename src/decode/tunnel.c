/*
 * tunnel.c — tunnel headers an IP packet may carry: GRE (with ERSPAN and
 * WCCP behind it) and the UDP tunnels (VXLAN, Geneve, GTP-U, Teredo, GRE and
 * MPLS in UDP).
 *
 * Each step reads its header through the walk's reader, records what names
 * the tunnel (key, VNI, TEID, session) in a layer record and says which
 * ethertype follows. A header cut by the capture is a truncation, one whose
 * fields cannot be right is a problem on the packet; either way the walk
 * stops there and the run goes on.
 */
#include "internal.h"

#define UDP_VXLAN 4789
#define UDP_GENEVE 6081
#define UDP_GTPU 2152
#define UDP_TEREDO 3544
#define UDP_GRE 4754     /* RFC 8086 */
#define UDP_MPLS 6635    /* RFC 7510 */

#define GRE_C 0x8000
#define GRE_R 0x4000
#define GRE_K 0x2000
#define GRE_S 0x1000
#define GRE_A 0x0080     /* version 1 (RFC 2637): acknowledgment number present */

/* A header whose fields cannot be right: what it is, and the value that is wrong. */
static enum tn_decode_result bad(struct tn_walk *w, const char *what, const char *field,
				 unsigned v)
{
	tn_packet_problem(w->pkt, TN_PROB_ENCAP, tn_walk_offset(w), "%s header with %s %u", what,
			  field, v);
	return TN_DEC_MALFORMED;
}

/*
 * GRE, RFC 2784 §2 with the key and sequence number of RFC 2890 §2, and
 * version 1 of RFC 2637 §4.1 (PPTP: the key field holds length and call id).
 * Source routing (RFC 1701's R bit) is not followed.
 */
enum tn_decode_result tn_step_gre(struct tn_walk *w)
{
	struct tn_rd *r = &w->r;
	struct tn_encap *e = tn_encap_push(w, TN_ENC_GRE);
	if (!e)
		return TN_DEC_MALFORMED;
	uint16_t fl = tn_rd_be16(r);
	e->proto = tn_rd_be16(r);
	e->version = fl & 7;
	if (!r->err && (e->version > 1 || (fl & GRE_R)))
		return bad(w, "GRE", "source routing or version (not followed)",
			   e->version);
	if (fl & GRE_C)
		tn_rd_skip(r, 4);  /* checksum and reserved */
	if (fl & GRE_K) {
		e->has_id = true;
		e->id = tn_rd_be32(r);
		if (e->version == 1)
			e->id &= 0xffff;  /* RFC 2637 §4.1: payload length, then the call id */
	}
	if (fl & GRE_S) {
		e->has_seq = true;
		e->seq = tn_rd_be32(r);
	}
	if (e->version == 1 && (fl & GRE_A))
		tn_rd_skip(r, 4);
	if (r->err)
		return tn_walk_cut(w, "GRE");
	w->erspan_seq = fl & GRE_S;
	w->next = e->proto;
	return TN_WALK_ON;
}

/*
 * ERSPAN behind GRE (draft-foschiano-erspan): type I has no header of its
 * own (GRE without a sequence number), type II an 8-byte one (version 1),
 * type III a 12-byte one (version 2) and an 8-byte platform subheader when
 * its O bit is set. A mirrored Ethernet frame follows.
 */
enum tn_decode_result tn_step_erspan(struct tn_walk *w)
{
	struct tn_rd *r = &w->r;
	struct tn_encap *e = tn_encap_push(w, TN_ENC_ERSPAN);
	if (!e)
		return TN_DEC_MALFORMED;
	bool type1 = w->next == TN_ETHERTYPE_ERSPAN2 && !w->erspan_seq;
	w->next = TN_ETHERTYPE_TEB;
	if (type1) {
		e->version = 0;   /* type I */
		return TN_WALK_ON;
	}
	uint16_t ver_vlan = tn_rd_be16(r);
	uint16_t sess = tn_rd_be16(r);
	e->version = (uint8_t)(ver_vlan >> 12);
	e->has_id = true;
	e->id = sess & 0x3ff;
	e->proto = ver_vlan & 0xfff;  /* the mirrored frame's VLAN */
	tn_rd_skip(r, 4);             /* type II: index; type III: timestamp */
	if (e->version == 2) {
		tn_rd_skip(r, 3);     /* security group tag, P, FT, HW ID */
		uint8_t last = tn_rd_u8(r);
		if (last & 1)
			tn_rd_skip(r, 8);
	} else if (!r->err && e->version != 1) {
		return bad(w, "ERSPAN", "a version other than 1 or 2:", e->version);
	}
	if (r->err)
		return tn_walk_cut(w, "ERSPAN");
	return TN_WALK_ON;
}

/* WCCP redirect (draft-wilson-wrec-wccp-v2 §4.12): 4 bytes, then IPv4; v1 has none. */
enum tn_decode_result tn_step_wccp(struct tn_walk *w)
{
	struct tn_encap *e = tn_encap_push(w, TN_ENC_WCCP);
	if (!e)
		return TN_DEC_MALFORMED;
	w->next = TN_ETHERTYPE_IPV4;
	if (tn_guess_ip(&w->r) == TN_ETHERTYPE_IPV4)
		return TN_WALK_ON;
	tn_rd_u8(&w->r);
	e->has_id = true;
	e->id = tn_rd_u8(&w->r);     /* service id */
	tn_rd_skip(&w->r, 2);
	if (w->r.err)
		return tn_walk_cut(w, "WCCP redirect");
	return TN_WALK_ON;
}

/* VXLAN, RFC 7348 §5: flags (I set), 24 reserved bits, the VNI, 8 reserved bits. */
static enum tn_decode_result vxlan(struct tn_walk *w, struct tn_encap *e)
{
	struct tn_rd *r = &w->r;
	uint8_t flags = tn_rd_u8(r);
	tn_rd_skip(r, 3);
	uint32_t vni = tn_rd_be32(r);
	if (r->err)
		return tn_walk_cut(w, "VXLAN");
	e->has_id = (flags & 0x08) != 0;
	e->id = vni >> 8;
	w->next = TN_ETHERTYPE_TEB;
	return TN_WALK_ON;
}

/* Geneve, RFC 8926 §3.4: version, option length, protocol type, VNI, options. */
static enum tn_decode_result geneve(struct tn_walk *w, struct tn_encap *e)
{
	struct tn_rd *r = &w->r;
	uint8_t ver_opt = tn_rd_u8(r);
	tn_rd_u8(r);                 /* O, C, reserved */
	e->proto = tn_rd_be16(r);
	uint32_t vni = tn_rd_be32(r);
	e->opt_len = (uint16_t)((ver_opt & 0x3f) * 4);
	tn_rd_skip(r, e->opt_len);
	if (r->err)
		return tn_walk_cut(w, "Geneve");
	if (ver_opt >> 6)
		return bad(w, "Geneve", "a version other than 0:", ver_opt >> 6u);
	e->has_id = true;
	e->id = vni >> 8;
	w->next = e->proto;
	return TN_WALK_ON;
}

/* GTP-U extension headers (TS 29.281 §5.2): length in 4-byte units, next type last. */
static enum tn_decode_result gtpu_extensions(struct tn_walk *w, struct tn_encap *e,
					     uint8_t next)
{
	struct tn_rd *r = &w->r;
	/* Each header is at least 4 bytes, so the reader's end bounds the loop. */
	while (next != 0 && !r->err) {
		uint8_t len = tn_rd_u8(r);
		if (!r->err && len == 0)
			return bad(w, "GTP-U extension", "length", len);
		tn_rd_skip(r, (size_t)len * 4 - 2);
		next = tn_rd_u8(r);
		e->opt_len++;
	}
	if (r->err)
		return tn_walk_cut(w, "GTP-U extension");
	return TN_WALK_ON;
}

/* GTP-U, 3GPP TS 29.281 §5.1: only a G-PDU (type 255) carries a user's packet. */
static enum tn_decode_result gtpu(struct tn_walk *w, struct tn_encap *e)
{
	struct tn_rd *r = &w->r;
	uint8_t flags = tn_rd_u8(r);
	uint8_t type = tn_rd_u8(r);
	tn_rd_skip(r, 2);            /* length */
	e->id = tn_rd_be32(r);
	e->has_id = true;
	uint8_t next = 0;
	if (flags & 0x07) {          /* E, S or PN: the optional 4 bytes are there */
		tn_rd_skip(r, 3);
		next = tn_rd_u8(r);
	}
	if (r->err)
		return tn_walk_cut(w, "GTP-U");
	if ((flags >> 5) != 1)
		return bad(w, "GTP", "a version other than GTP-U's 1:", flags >> 5u);
	if (type != 255)
		return TN_DEC_NOT_IP;
	enum tn_decode_result res = gtpu_extensions(w, e, (flags & 0x04) ? next : 0);
	if (res != TN_WALK_ON)
		return res;
	if (tn_rd_left(r) == 0)
		return tn_walk_cut(w, "IP");
	w->next = tn_guess_ip(r);
	return w->next ? TN_WALK_ON : TN_DEC_NOT_IP;
}

/* Teredo, RFC 4380 §5.1.1: an authentication and an origin indication may precede IPv6. */
static enum tn_decode_result teredo(struct tn_walk *w)
{
	struct tn_rd *r = &w->r;
	const uint8_t *p = tn_rd_here(r);
	if (tn_rd_left(r) >= 4 && p[0] == 0 && p[1] == 1) {
		tn_rd_skip(r, 4);
		size_t id_len = p[2], auth_len = p[3];
		tn_rd_skip(r, id_len + auth_len + 8 + 1);
	}
	p = tn_rd_here(r);
	if (tn_rd_left(r) >= 2 && p[0] == 0 && p[1] == 0)
		tn_rd_skip(r, 8);
	if (r->err || tn_rd_left(r) == 0)
		return tn_walk_cut(w, r->err ? "Teredo" : "IPv6");
	w->next = TN_ETHERTYPE_IPV6;
	return tn_guess_ip(r) == TN_ETHERTYPE_IPV6 ? TN_WALK_ON : TN_DEC_NOT_IP;
}

static const uint16_t tunnel_ports[] = {
	UDP_VXLAN, UDP_GENEVE, UDP_GTPU, UDP_TEREDO, UDP_GRE, UDP_MPLS, 0,
};

/* The tunnel port of a datagram: the destination's first, then the source's; 0 for none. */
static uint16_t tunnel_port(uint16_t sport, uint16_t dport)
{
	for (const uint16_t *p = tunnel_ports; *p; p++)
		if (dport == *p)
			return dport;
	for (const uint16_t *p = tunnel_ports; *p; p++)
		if (sport == *p)
			return sport;
	return 0;
}

bool tn_udp_is_tunnel(const struct tn_rd *udp)
{
	struct tn_rd r = *udp;
	uint16_t sport = tn_rd_be16(&r), dport = tn_rd_be16(&r);
	return !r.err && tunnel_port(sport, dport) != 0;
}

static enum tn_decode_result udp_tunnel(struct tn_walk *w, struct tn_encap *e, uint16_t port)
{
	switch (port) {
	case UDP_VXLAN: e->kind = TN_ENC_VXLAN; return vxlan(w, e);
	case UDP_GENEVE: e->kind = TN_ENC_GENEVE; return geneve(w, e);
	case UDP_GTPU: e->kind = TN_ENC_GTPU; return gtpu(w, e);
	case UDP_TEREDO: e->kind = TN_ENC_TEREDO; return teredo(w);
	case UDP_MPLS: w->next = TN_ETHERTYPE_MPLS; return TN_WALK_ON;
	default: return tn_step_gre(w);
	}
}

/*
 * UDP (RFC 768) to a tunnel's port: the ports go into the tunnel's record,
 * the payload to the tunnel's step.
 */
enum tn_decode_result tn_step_udp(struct tn_walk *w)
{
	struct tn_rd *r = &w->r;
	uint16_t sport = tn_rd_be16(r), dport = tn_rd_be16(r);
	uint16_t len = tn_rd_be16(r);
	tn_rd_skip(r, 2);
	if (r->err)
		return tn_walk_cut(w, "UDP");
	if (len >= 8 && len - 8u < tn_rd_left(r))
		r->len = r->off + (len - 8u);
	struct tn_encap *e = tn_encap_push(w, TN_ENC_UDP);
	if (!e)
		return TN_DEC_MALFORMED;
	e->sport = sport;
	e->dport = dport;
	return udp_tunnel(w, e, tunnel_port(sport, dport));
}
