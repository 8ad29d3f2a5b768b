/*
 * packet.c — tn_decode(): one frame through link, IP and TCP.
 *
 * The link layer first (link.c), then the walk through IP and any tunnels
 * to TCP (encap.c). The frame is handed down as nested readers: each layer sees only the bytes
 * its parent says it owns, so a wrong length in one header cannot make a
 * later layer read another packet's memory.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void tn_packet_problem(struct tn_packet *pkt, enum tn_problem prob, uint32_t offset,
		       const char *fmt, ...)
{
	if (pkt->problem != TN_PROB_NONE)
		return;
	pkt->problem = prob;
	pkt->problem_offset = offset;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pkt->problem_text, sizeof pkt->problem_text, fmt, ap);
	va_end(ap);
}

/*
 * v in decimal at p; returns the end. Two digits per division, written from
 * the end once the length is known: this runs for every packet of a
 * snaplen-cut capture.
 */
static char *put_uint(char *p, uint32_t v)
{
	static const char pairs[201] =
		"0001020304050607080910111213141516171819"
		"2021222324252627282930313233343536373839"
		"4041424344454647484950515253545556575859"
		"6061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	unsigned n = 1;
	for (uint64_t t = 10; v >= t; t *= 10)
		n++;
	char *e = p + n;
	while (v >= 100) {
		e -= 2;
		memcpy(e, pairs + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10)
		memcpy(e - 2, pairs + 2 * v, 2);
	else
		e[-1] = (char)('0' + v);
	return p + n;
}

void tn_packet_payload_cut(struct tn_packet *pkt, uint32_t offset, uint32_t held, uint32_t total)
{
	static const char a[] = "capture holds ", b[] = " of the ", c[] = " payload bytes";
	_Static_assert(sizeof a + sizeof b + sizeof c + 20 <= TN_PROBLEM_LEN, "problem text fits");
	if (pkt->problem != TN_PROB_NONE)
		return;
	pkt->problem = TN_PROB_CUT;
	pkt->problem_offset = offset;
	char *p = pkt->problem_text;
	memcpy(p, a, sizeof a - 1);
	p = put_uint(p + sizeof a - 1, held);
	memcpy(p, b, sizeof b - 1);
	p = put_uint(p + sizeof b - 1, total);
	memcpy(p, c, sizeof c);
}

static const char *const result_names[TN_DEC_RESULT_COUNT] = {
	[TN_DEC_TCP] = "TCP",
	[TN_DEC_NOT_IP] = "not IP",
	[TN_DEC_NOT_TCP] = "not TCP",
	[TN_DEC_FRAGMENT] = "IP fragment past offset 0",
	[TN_DEC_UNSUPPORTED_LINK] = "unsupported link type",
	[TN_DEC_MALFORMED] = "malformed",
	[TN_DEC_TRUNCATED] = "cut short before the TCP header ended",
};

const char *tn_decode_result_name(enum tn_decode_result r)
{
	return (unsigned)r < TN_DEC_RESULT_COUNT ? result_names[r] : "?";
}

enum tn_decode_result tn_decode(uint32_t linktype, const uint8_t *data, uint32_t caplen,
				uint32_t wirelen, struct tn_packet *out)
{
	/* Only the fields that are read before being written need resetting. */
	out->linktype = linktype;
	out->caplen = caplen;
	out->wirelen = wirelen < caplen ? caplen : wirelen; /* a corrupt header may claim less */
	out->n_vlan = 0;
	out->n_encap = 0;
	out->sll_pkttype = -1;
	out->ethertype = 0;
	out->ip_offset = out->tcp_offset = 0;
	out->ip_version = 0;
	out->ip_proto = 0;
	out->l4_len = 0;
	memset(&out->ip4, 0, sizeof out->ip4);
	/*
	 * In two pieces: one memset of all 92 bytes compiles to `rep stos`,
	 * whose start-up took more time than the rest of this reset.
	 */
	memset(&out->ip6, 0, offsetof(struct tn_ipv6, ext));
	memset(&out->ip6.ext, 0, sizeof out->ip6 - offsetof(struct tn_ipv6, ext));
	memset(&out->tcp, 0, offsetof(struct tn_tcp, opts));
	out->payload = NULL;
	out->payload_len = out->payload_captured = 0;
	out->problem = TN_PROB_NONE;
	out->problem_offset = 0;
	out->problem_text[0] = '\0';

	struct tn_rd r;
	tn_rd_init(&r, data, caplen);
	enum tn_decode_result res = tn_decode_link(linktype, &r, out);
	if (res != TN_DEC_TCP)
		return res;

	struct tn_rd rest = tn_rd_sub(&r, tn_rd_left(&r), NULL);
	return tn_decode_walk(&rest, data, out);
}
