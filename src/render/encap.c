/*
 * encap.c — the layers a segment was carried in, in words.
 *
 * The full form names the layer and every field that tells one tunnel from
 * another (endpoints, VNI, key, label, TEID, session); the compact form,
 * for -q, keeps only the identifier, and leaves out the layers that are
 * only plumbing (UDP, a carried Ethernet header).
 */
#include "renderer.h"

#include <arpa/inet.h>
#include <stdio.h>

void tn_encap_addr(const struct tn_encap *e, bool src, char *buf, size_t len)
{
	int af = e->kind == TN_ENC_IPV4 ? AF_INET : AF_INET6;
	if (!inet_ntop(af, src ? e->src : e->dst, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static void endpoints(const struct tn_encap *e, char *a, char *b, size_t len)
{
	tn_encap_addr(e, true, a, len);
	tn_encap_addr(e, false, b, len);
}

static const char *erspan_type(uint8_t version)
{
	return version == 0 ? "I" : version == 1 ? "II" : "III";
}

/* IP and tunnel headers; false for a layer carrier_words() names. */
static bool tunnel_words(const struct tn_encap *e, char *buf, size_t len)
{
	char a[48], b[48], seq[32] = "", ports[32] = "";
	if (e->dport)
		snprintf(ports, sizeof ports, ", UDP %u → %u", e->sport, e->dport);
	switch (e->kind) {
	case TN_ENC_IPV4: case TN_ENC_IPV6:
		endpoints(e, a, b, sizeof a);
		snprintf(buf, len, "%s %s → %s, protocol %u, TTL %u",
			 e->kind == TN_ENC_IPV4 ? "IPv4" : "IPv6", a, b, e->proto, e->ttl);
		return true;
	case TN_ENC_UDP:
		snprintf(buf, len, "UDP %u → %u", e->sport, e->dport);
		return true;
	case TN_ENC_GRE:
		if (e->has_seq)
			snprintf(seq, sizeof seq, ", sequence %u", e->seq);
		if (e->has_id)
			snprintf(buf, len, "GRE, key %u (0x%08x)%s, carrying 0x%04x", e->id, e->id,
				 seq, e->proto);
		else
			snprintf(buf, len, "GRE%s, carrying 0x%04x", seq, e->proto);
		return true;
	case TN_ENC_ERSPAN:
		if (e->has_id)
			snprintf(buf, len, "ERSPAN type %s, session %u, VLAN %u",
				 erspan_type(e->version), e->id, e->proto);
		else
			snprintf(buf, len, "ERSPAN type I");
		return true;
	case TN_ENC_WCCP:
		snprintf(buf, len, e->has_id ? "WCCP redirect, service %u" : "WCCP redirect",
			 e->id);
		return true;
	case TN_ENC_VXLAN:
		snprintf(buf, len, "VXLAN, VNI %u%s", e->id, ports);
		return true;
	case TN_ENC_GENEVE:
		snprintf(buf, len, "Geneve, VNI %u, %u bytes of options, carrying 0x%04x%s", e->id,
			 e->opt_len, e->proto, ports);
		return true;
	case TN_ENC_GTPU:
		snprintf(buf, len, "GTP-U, TEID 0x%08x, %u extension header%s%s", e->id, e->opt_len,
			 e->opt_len == 1 ? "" : "s", ports);
		return true;
	case TN_ENC_TEREDO:
		snprintf(buf, len, "Teredo%s", ports);
		return true;
	default:
		return false;
	}
}

static void carrier_words(const struct tn_encap *e, char *buf, size_t len)
{
	switch (e->kind) {
	case TN_ENC_MPLS:
		snprintf(buf, len, "MPLS label %u, traffic class %u, TTL %u%s", e->id, e->version,
			 e->ttl, e->bos ? ", bottom of stack" : "");
		return;
	case TN_ENC_PPPOE:
		snprintf(buf, len, "PPPoE session 0x%04x", e->id);
		return;
	case TN_ENC_PPP:
		snprintf(buf, len, "PPP, protocol 0x%04x", e->proto);
		return;
	case TN_ENC_ETH:
		snprintf(buf, len, "Ethernet, type 0x%04x", e->proto);
		return;
	case TN_ENC_VLAN:
		snprintf(buf, len, "VLAN %u", e->id);
		return;
	case TN_ENC_PBB:
		snprintf(buf, len, "802.1ah backbone, I-SID %u", e->id);
		return;
	default:
		snprintf(buf, len, "%s", tn_encap_name((enum tn_encap_kind)e->kind));
		return;
	}
}

static void compact(const struct tn_encap *e, char *buf, size_t len)
{
	char a[48], b[48];
	const char *name = tn_encap_name((enum tn_encap_kind)e->kind);
	switch (e->kind) {
	case TN_ENC_IPV4: case TN_ENC_IPV6:
		endpoints(e, a, b, sizeof a);
		snprintf(buf, len, "%s>%s", a, b);
		return;
	case TN_ENC_UDP: case TN_ENC_ETH:
		buf[0] = '\0';
		return;
	case TN_ENC_GTPU: case TN_ENC_PPPOE:
		snprintf(buf, len, "%s:0x%x", name, e->id);
		return;
	default:
		if (e->has_id)
			snprintf(buf, len, "%s:%u", name, e->id);
		else
			snprintf(buf, len, "%s", name);
		return;
	}
}

void tn_encap_text(const struct tn_encap *e, bool short_form, char *buf, size_t len)
{
	if (short_form)
		compact(e, buf, len);
	else if (!tunnel_words(e, buf, len))
		carrier_words(e, buf, len);
}
