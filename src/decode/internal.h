/*
 * internal.h — what the decoder's files share and nobody else sees.
 *
 * Each layer takes a reader positioned at its header and the packet being
 * filled, and returns either TN_DEC_TCP ("go on") or the reason to stop.
 */
#ifndef TN_DECODE_INTERNAL_H
#define TN_DECODE_INTERNAL_H

#include <tcpnarrate/decode.h>
#include <tcpnarrate/rd.h>

#define TN_ETHERTYPE_IPV4 0x0800
#define TN_ETHERTYPE_IPV6 0x86DD

/* Records the first problem of a packet; later ones are dropped. */
void tn_packet_problem(struct tn_packet *pkt, enum tn_problem prob, uint32_t offset,
		       const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Link layer: leaves the reader at the network header and sets pkt->ethertype. */
enum tn_decode_result tn_decode_link(uint32_t linktype, struct tn_rd *r, struct tn_packet *pkt);

/* IP: leaves `*seg` as a reader over the IP payload (as far as captured). */
enum tn_decode_result tn_decode_ipv4(struct tn_rd *r, struct tn_packet *pkt, struct tn_rd *seg);
enum tn_decode_result tn_decode_ipv6(struct tn_rd *r, struct tn_packet *pkt, struct tn_rd *seg);

/* TCP header, options and payload; seg_len is the segment length the IP layer states. */
enum tn_decode_result tn_decode_tcp(struct tn_rd *seg, uint32_t seg_len, struct tn_packet *pkt);

/* Options in [opts, opts+len) where len is as much as was captured; hdr_opt_len as declared. */
void tn_decode_tcp_options(struct tn_rd *opts, size_t hdr_opt_len, struct tn_packet *pkt);

/* Verifies IPv4 header and TCP checksums once everything is decoded. */
void tn_checksum_verify(struct tn_packet *pkt, const uint8_t *frame);

#endif
