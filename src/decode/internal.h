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
#define TN_ETHERTYPE_MPLS 0x8847
#define TN_ETHERTYPE_MPLS_MC 0x8848
#define TN_ETHERTYPE_PPPOE 0x8864
#define TN_ETHERTYPE_PPP 0x880B
#define TN_ETHERTYPE_TEB 0x6558   /* an Ethernet frame follows (GRE's name for it) */
#define TN_ETHERTYPE_PBB 0x88E7
#define TN_ETHERTYPE_ERSPAN2 0x88BE
#define TN_ETHERTYPE_ERSPAN3 0x22EB
#define TN_ETHERTYPE_WCCP 0x883E

/*
 * The walk from the network layer down to TCP (encap.c): a reader at the
 * header to decode next, and what that header is.
 */
struct tn_walk {
	struct tn_rd r;
	const uint8_t *frame;     /* the whole frame, for offsets */
	struct tn_packet *pkt;
	uint16_t next;            /* the ethertype of what follows */
	bool erspan_seq;          /* the GRE header had a sequence number (ERSPAN II, not I) */
};

/* Continue the walk: a step's return value that is not a decode result. */
#define TN_WALK_ON TN_DEC_RESULT_COUNT

/* Records the first problem of a packet; later ones are dropped. */
void tn_packet_problem(struct tn_packet *pkt, enum tn_problem prob, uint32_t offset,
		       const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * The same for "capture holds HELD of the TOTAL payload bytes", the problem
 * of every packet of a snaplen-cut bulk flow: formatted without printf.
 */
void tn_packet_payload_cut(struct tn_packet *pkt, uint32_t offset, uint32_t held,
			   uint32_t total);

/* Link layer: leaves the reader at the network header and sets pkt->ethertype. */
enum tn_decode_result tn_decode_link(uint32_t linktype, struct tn_rd *r, struct tn_packet *pkt);

/* Everything after the link header, through any tunnels, to TCP. */
enum tn_decode_result tn_decode_walk(struct tn_rd *r, const uint8_t *frame, struct tn_packet *pkt);

/* A new layer record at the end of pkt->encap, or NULL (a problem recorded) when full. */
struct tn_encap *tn_encap_push(struct tn_walk *w, enum tn_encap_kind kind);

/* Offset of the walk's reader in the frame. */
uint32_t tn_walk_offset(const struct tn_walk *w);

/* A header cut by the capture: the problem recorded, TN_DEC_TRUNCATED returned. */
enum tn_decode_result tn_walk_cut(struct tn_walk *w, const char *what);

/* Steps of the walk, each at its header; TN_WALK_ON with w->next set to go on. */
enum tn_decode_result tn_step_gre(struct tn_walk *w);
enum tn_decode_result tn_step_erspan(struct tn_walk *w);
enum tn_decode_result tn_step_wccp(struct tn_walk *w);
enum tn_decode_result tn_step_udp(struct tn_walk *w);

/* Is this UDP datagram (the reader at its header) sent to or from a tunnel's port? */
bool tn_udp_is_tunnel(const struct tn_rd *udp);
enum tn_decode_result tn_step_mpls(struct tn_walk *w);
enum tn_decode_result tn_step_pppoe(struct tn_walk *w);
enum tn_decode_result tn_step_ppp(struct tn_walk *w);
enum tn_decode_result tn_step_ether(struct tn_walk *w);
enum tn_decode_result tn_step_pbb(struct tn_walk *w);

/*
 * Link-level pieces several link types share (link.c, link_more.c): each
 * reads its header and leaves the ethertype of what follows in *type
 * (0: something that is not IP, nor a header we follow).
 */
enum tn_decode_result tn_link_llc(struct tn_rd *r, struct tn_packet *pkt, uint16_t *type);
enum tn_decode_result tn_link_ppp(struct tn_rd *r, struct tn_packet *pkt, uint16_t *type);
enum tn_decode_result tn_link_cut(struct tn_packet *pkt, struct tn_rd *r, const char *what);

/* IPv4 or IPv6 by the first nibble of what the reader holds; 0 for neither. */
uint16_t tn_guess_ip(const struct tn_rd *r);

/* Ethernet with its VLAN tags and 802.3/LLC (link.c). */
enum tn_decode_result tn_link_ethernet(struct tn_rd *r, struct tn_packet *pkt);

/* The link types link_more.c adds to link.c's table. */
enum tn_decode_result tn_link_nflog(struct tn_rd *r, struct tn_packet *pkt);
enum tn_decode_result tn_link_ipoib(struct tn_rd *r, struct tn_packet *pkt);
enum tn_decode_result tn_link_fddi(struct tn_rd *r, struct tn_packet *pkt);
enum tn_decode_result tn_link_arcnet(struct tn_rd *r, struct tn_packet *pkt);
enum tn_decode_result tn_link_juniper_ether(struct tn_rd *r, struct tn_packet *pkt);
enum tn_decode_result tn_link_wifi(struct tn_rd *r, struct tn_packet *pkt);
enum tn_decode_result tn_link_radiotap(struct tn_rd *r, struct tn_packet *pkt);
enum tn_decode_result tn_link_ppp_dlt(struct tn_rd *r, struct tn_packet *pkt);
enum tn_decode_result tn_link_ppp_serial(struct tn_rd *r, struct tn_packet *pkt);
enum tn_decode_result tn_link_chdlc(struct tn_rd *r, struct tn_packet *pkt);
enum tn_decode_result tn_link_ppp_ether(struct tn_rd *r, struct tn_packet *pkt);

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
