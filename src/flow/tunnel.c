/*
 * tunnel.c — which tunnel carried a segment, as one number for the flow key.
 *
 * Two tenants' overlays may both hold a connection 10.0.0.1:80 ↔ 10.0.0.2:
 * 40000; they are two connections because different tunnels carried them.
 * The flow key therefore holds a hash of the tunnel's identity: what both
 * directions of a connection share (the outer endpoints, taken in canonical
 * order, and the tunnel's own identifier where both directions use the
 * same one). The inner addresses and ports stay the key's own; the
 * Community ID is computed from them alone.
 */
#include <tcpnarrate/flow.h>

#include <string.h>

/* FNV-1a, 32 bits: small, and the same on every machine. */
static uint32_t fnv(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static uint32_t fold_ip(uint32_t h, const struct tn_encap *e)
{
	size_t alen = e->kind == TN_ENC_IPV4 ? 4 : 16;
	int lo = memcmp(e->src, e->dst, alen) > 0;
	h = fnv(h, &e->kind, 1);
	h = fnv(h, lo ? e->dst : e->src, alen);
	return fnv(h, lo ? e->src : e->dst, alen);
}

/* Does this layer's identifier name the tunnel the same way in both directions? */
static bool shared_id(const struct tn_encap *e)
{
	switch (e->kind) {
	case TN_ENC_GRE:
		return e->has_id && e->version == 0;  /* version 1 (PPTP): a call id per direction */
	case TN_ENC_VXLAN: case TN_ENC_GENEVE: case TN_ENC_ERSPAN: case TN_ENC_PPPOE:
	case TN_ENC_PBB:
		return e->has_id;
	default:
		return false;
	}
}

uint32_t tn_flow_tunnel_id(const struct tn_packet *pkt)
{
	uint32_t h = 2166136261u;
	bool any = false;
	for (unsigned i = 0; i < pkt->n_encap && i < TN_MAX_ENCAP; i++) {
		const struct tn_encap *e = &pkt->encap[i];
		if (e->kind == TN_ENC_IPV4 || e->kind == TN_ENC_IPV6) {
			h = fold_ip(h, e);
			any = true;
		} else if (shared_id(e)) {
			uint8_t id[4] = { (uint8_t)(e->id >> 24), (uint8_t)(e->id >> 16),
					  (uint8_t)(e->id >> 8), (uint8_t)e->id };
			h = fnv(h, &e->kind, 1);
			h = fnv(h, id, sizeof id);
			any = true;
		}
	}
	return any ? (h ? h : 1) : 0;
}
