/*
 * encap.c — the walk from the network layer to TCP, through any tunnels.
 *
 * After the link header, what follows is named by an ethertype. The walk
 * looks that ethertype up in a const table of steps; each step reads one
 * header (an IP header, a GRE header, an MPLS label stack, a PPPoE session
 * header, an Ethernet frame a tunnel carried...) through the bounds-checked
 * reader, records it in pkt->encap[] when it carries something other than
 * TCP, and names what comes next. An IP header carrying TCP ends the walk.
 *
 * Every step that goes on adds at least one layer record, and the record
 * array is fixed (TN_MAX_ENCAP), so the walk ends after at most that many
 * steps however the bytes are nested; deeper nesting becomes a problem on
 * the packet. Nothing here allocates.
 */
#include "internal.h"

#include <string.h>

#define IPPROTO_IPIP 4
#define IPPROTO_UDP 17
#define IPPROTO_IPV6 41
#define IPPROTO_GRE 47
#define IPPROTO_MPLS 137

static const char *const encap_names[] = {
	[TN_ENC_IPV4] = "ipv4", [TN_ENC_IPV6] = "ipv6", [TN_ENC_GRE] = "gre",
	[TN_ENC_ERSPAN] = "erspan", [TN_ENC_WCCP] = "wccp", [TN_ENC_VXLAN] = "vxlan",
	[TN_ENC_GENEVE] = "geneve", [TN_ENC_GTPU] = "gtpu", [TN_ENC_TEREDO] = "teredo",
	[TN_ENC_MPLS] = "mpls", [TN_ENC_PPPOE] = "pppoe", [TN_ENC_PPP] = "ppp",
	[TN_ENC_ETH] = "ethernet", [TN_ENC_VLAN] = "vlan", [TN_ENC_PBB] = "pbb",
	[TN_ENC_UDP] = "udp",
};

const char *tn_encap_name(enum tn_encap_kind k)
{
	if ((unsigned)k < sizeof encap_names / sizeof encap_names[0] && encap_names[k])
		return encap_names[k];
	return "?";
}

uint32_t tn_walk_offset(const struct tn_walk *w)
{
	return (uint32_t)(tn_rd_here(&w->r) - w->frame);
}

enum tn_decode_result tn_walk_cut(struct tn_walk *w, const char *what)
{
	tn_packet_problem(w->pkt, TN_PROB_CUT, (uint32_t)(w->r.p - w->frame + w->r.len),
			  "capture ends inside the %s header", what);
	return TN_DEC_TRUNCATED;
}

struct tn_encap *tn_encap_push(struct tn_walk *w, enum tn_encap_kind kind)
{
	struct tn_packet *pkt = w->pkt;
	if (pkt->n_encap == TN_MAX_ENCAP) {
		tn_packet_problem(pkt, TN_PROB_ENCAP, tn_walk_offset(w),
				  "more than %d layers of encapsulation; the %s header and what it "
				  "carries are not decoded", TN_MAX_ENCAP, tn_encap_name(kind));
		return NULL;
	}
	struct tn_encap *e = &pkt->encap[pkt->n_encap++];
	memset(e, 0, sizeof *e);
	e->kind = (uint8_t)kind;
	return e;
}

uint16_t tn_guess_ip(const struct tn_rd *r)
{
	if (tn_rd_left(r) == 0)
		return 0;
	switch (tn_rd_here(r)[0] >> 4) {
	case 4: return TN_ETHERTYPE_IPV4;
	case 6: return TN_ETHERTYPE_IPV6;
	default: return 0;
	}
}

/* The IP header just decoded, as a layer record: it carries a tunnel. */
static enum tn_decode_result push_ip(struct tn_walk *w)
{
	struct tn_packet *pkt = w->pkt;
	bool v4 = pkt->ip_version == 4;
	struct tn_encap *e = tn_encap_push(w, v4 ? TN_ENC_IPV4 : TN_ENC_IPV6);
	if (!e)
		return TN_DEC_MALFORMED;
	memcpy(e->src, v4 ? pkt->ip4.src : pkt->ip6.src, v4 ? 4 : 16);
	memcpy(e->dst, v4 ? pkt->ip4.dst : pkt->ip6.dst, v4 ? 4 : 16);
	e->proto = pkt->ip_proto;
	e->ttl = v4 ? pkt->ip4.ttl : pkt->ip6.hop_limit;
	return TN_WALK_ON;
}

/* An IP payload that is not TCP: a tunnel goes on, anything else ends the walk. */
static enum tn_decode_result ip_payload(struct tn_walk *w, struct tn_rd *seg)
{
	uint16_t next;
	switch (w->pkt->ip_proto) {
	case IPPROTO_IPIP: next = TN_ETHERTYPE_IPV4; break;
	case IPPROTO_IPV6: next = TN_ETHERTYPE_IPV6; break;
	case IPPROTO_GRE: next = 0; break;
	case IPPROTO_UDP: next = 0; break;
	case IPPROTO_MPLS: next = TN_ETHERTYPE_MPLS; break;
	default: return TN_DEC_NOT_TCP;
	}
	if (w->pkt->ip_proto == IPPROTO_UDP && !tn_udp_is_tunnel(seg))
		return TN_DEC_NOT_TCP;
	enum tn_decode_result res = push_ip(w);
	if (res != TN_WALK_ON)
		return res;
	w->r = *seg;
	w->next = next;
	if (w->pkt->ip_proto == IPPROTO_GRE)
		return tn_step_gre(w);
	if (w->pkt->ip_proto == IPPROTO_UDP)
		return tn_step_udp(w);
	return TN_WALK_ON;
}

/* An IP header: TCP ends the walk (decoded and checksummed), a tunnel goes on. */
static enum tn_decode_result step_ip(struct tn_walk *w)
{
	struct tn_packet *pkt = w->pkt;
	pkt->ip_offset = tn_walk_offset(w);
	if (pkt->n_encap) {
		/* An inner header: nothing of the outer one may show through. */
		memset(&pkt->ip4, 0, sizeof pkt->ip4);
		memset(&pkt->ip6, 0, sizeof pkt->ip6);
		pkt->ip_proto = 0;
		pkt->l4_len = 0;
	}
	struct tn_rd ip = tn_rd_sub(&w->r, tn_rd_left(&w->r), NULL);
	struct tn_rd seg = { 0 };
	enum tn_decode_result res = w->next == TN_ETHERTYPE_IPV4 ? tn_decode_ipv4(&ip, pkt, &seg)
								 : tn_decode_ipv6(&ip, pkt, &seg);
	if (res == TN_DEC_NOT_TCP)
		return ip_payload(w, &seg);
	if (res != TN_DEC_TCP)
		return res;
	pkt->tcp_offset = (uint32_t)(seg.p - w->frame);
	res = tn_decode_tcp(&seg, pkt->l4_len, pkt);
	if (res != TN_DEC_TCP)
		return res;
	tn_checksum_verify(pkt, w->frame);
	return TN_DEC_TCP;
}

typedef enum tn_decode_result (*step_fn)(struct tn_walk *w);

static const struct step {
	uint16_t ethertype;
	step_fn fn;
} steps[] = {
	{ TN_ETHERTYPE_IPV4, step_ip },
	{ TN_ETHERTYPE_IPV6, step_ip },
	{ TN_ETHERTYPE_MPLS, tn_step_mpls },
	{ TN_ETHERTYPE_MPLS_MC, tn_step_mpls },
	{ TN_ETHERTYPE_PPPOE, tn_step_pppoe },
	{ TN_ETHERTYPE_PPP, tn_step_ppp },
	{ TN_ETHERTYPE_TEB, tn_step_ether },
	{ TN_ETHERTYPE_PBB, tn_step_pbb },
	{ TN_ETHERTYPE_ERSPAN2, tn_step_erspan },
	{ TN_ETHERTYPE_ERSPAN3, tn_step_erspan },
	{ TN_ETHERTYPE_WCCP, tn_step_wccp },
	{ 0, NULL },
};

enum tn_decode_result tn_decode_walk(struct tn_rd *r, const uint8_t *frame, struct tn_packet *pkt)
{
	struct tn_walk w = { .r = *r, .frame = frame, .pkt = pkt, .next = pkt->ethertype };
	/* Each step that goes on adds a record; one more step than records ends it. */
	for (unsigned i = 0; i <= TN_MAX_ENCAP; i++) {
		const struct step *s = steps;
		while (s->fn && s->ethertype != w.next)
			s++;
		if (!s->fn)
			return TN_DEC_NOT_IP;
		enum tn_decode_result res = s->fn(&w);
		if (res != TN_WALK_ON)
			return res;
	}
	tn_packet_problem(pkt, TN_PROB_ENCAP, tn_walk_offset(&w),
			  "more than %d layers of encapsulation", TN_MAX_ENCAP);
	return TN_DEC_MALFORMED;
}
