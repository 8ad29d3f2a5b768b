/*
 * tcp.c — the TCP header (RFC 9293 §3.1): fixed part, options, payload.
 *
 * The data offset is checked against the minimum (5 words) and against the
 * segment length the IP layer gave before any option is read. A segment cut
 * by the snapshot length keeps everything decoded up to the cut, and the
 * packet records where the cut fell.
 */
#include "internal.h"

/* The fixed 20 bytes, in wire order, as far as the reader holds them. */
static inline void fixed_fields(struct tn_rd *h, struct tn_tcp *t)
{
	t->sport = tn_rd_be16(h);
	t->dport = tn_rd_be16(h);
	t->seq = tn_rd_be32(h);
	t->ack = tn_rd_be32(h);
	uint16_t off_flags = tn_rd_be16(h);
	t->hdr_len = (uint8_t)((off_flags >> 12) * 4);
	t->reserved = (off_flags >> 9) & 7;
	t->flags = off_flags & 0x1ff;
	t->window = tn_rd_be16(h);
	t->checksum = tn_rd_be16(h);
	t->urgent = tn_rd_be16(h);
}

/* The fixed header; what was captured stays decoded. */
static enum tn_decode_result fixed_header(struct tn_rd *seg, uint32_t seg_len,
					  struct tn_packet *pkt)
{
	struct tn_tcp *t = &pkt->tcp;
	uint32_t start = pkt->tcp_offset;

	t->checksum_status = TN_CSUM_UNVERIFIED;
	if (!seg->err && tn_rd_left(seg) >= 20) {
		/*
		 * The common case, through a reader that holds exactly the 20
		 * bytes: the compiler sees its length and drops each read's check.
		 */
		struct tn_rd h = tn_rd_sub(seg, 20, NULL);
		fixed_fields(&h, t);
		return TN_DEC_TCP;
	}
	fixed_fields(seg, t);
	if (seg->err) {
		/* Too short by what IP says is malformed; cut by the capture is truncated. */
		if (seg_len < 20) {
			tn_packet_problem(pkt, TN_PROB_TCP_DATA_OFFSET, start,
					  "IP says the TCP segment is %u bytes, too short for the "
					  "20-byte TCP header", seg_len);
			return TN_DEC_MALFORMED;
		}
		tn_packet_problem(pkt, TN_PROB_CUT, (uint32_t)(start + seg->len),
				  "capture ends after %u of the 20 bytes of the TCP header",
				  (unsigned)seg->len);
		return TN_DEC_TRUNCATED;
	}
	return TN_DEC_TCP;
}

/* The data offset against the minimum and the segment length, before any option is read. */
static enum tn_decode_result data_offset(uint32_t seg_len, struct tn_packet *pkt)
{
	const struct tn_tcp *t = &pkt->tcp;
	if (t->hdr_len < 20) {
		tn_packet_problem(pkt, TN_PROB_TCP_DATA_OFFSET, pkt->tcp_offset + 12,
				  "TCP data offset %u words (%u bytes) is under the minimum of 5 words",
				  t->hdr_len / 4u, t->hdr_len);
		return TN_DEC_MALFORMED;
	}
	if (t->hdr_len > seg_len) {
		tn_packet_problem(pkt, TN_PROB_TCP_DATA_OFFSET, pkt->tcp_offset + 12,
				  "TCP data offset %u bytes runs past the end of the segment (%u bytes)",
				  t->hdr_len, seg_len);
		return TN_DEC_MALFORMED;
	}
	return TN_DEC_TCP;
}

/* The options, as far as captured. Returns true when the capture cut them. */
static bool options(struct tn_rd *seg, struct tn_packet *pkt)
{
	struct tn_tcp *t = &pkt->tcp;
	size_t opt_len = t->hdr_len - 20u;
	bool opts_cut = false;
	struct tn_rd opts = tn_rd_sub(seg, opt_len, &opts_cut);
	tn_decode_tcp_options(&opts, opt_len, pkt);
	if (opts_cut) {
		t->opts_cut = true;
		tn_packet_problem(pkt, TN_PROB_CUT, (uint32_t)(pkt->tcp_offset + 20 + opts.len),
				  "capture ends inside the TCP options (%u of %u header bytes)",
				  (unsigned)(20 + opts.len), t->hdr_len);
	}
	return opts_cut;
}

/* The payload: its length from IP, and the bytes of it the capture holds. */
static void payload(struct tn_rd *seg, uint32_t seg_len, bool opts_cut, struct tn_packet *pkt)
{
	uint8_t hdr_len = pkt->tcp.hdr_len;
	pkt->payload_len = seg_len - hdr_len;
	pkt->payload_captured = (uint32_t)tn_rd_left(seg);
	if (pkt->payload_captured > pkt->payload_len)
		pkt->payload_captured = pkt->payload_len;
	pkt->payload = pkt->payload_captured ? tn_rd_here(seg) : NULL;
	if (pkt->payload_captured < pkt->payload_len && !opts_cut)
		tn_packet_payload_cut(pkt, pkt->tcp_offset + hdr_len + pkt->payload_captured,
				      pkt->payload_captured, pkt->payload_len);
}

enum tn_decode_result tn_decode_tcp(struct tn_rd *seg, uint32_t seg_len, struct tn_packet *pkt)
{
	enum tn_decode_result res = fixed_header(seg, seg_len, pkt);
	if (res != TN_DEC_TCP)
		return res;
	res = data_offset(seg_len, pkt);
	if (res != TN_DEC_TCP)
		return res;
	bool opts_cut = options(seg, pkt);
	payload(seg, seg_len, opts_cut, pkt);
	return TN_DEC_TCP;
}
