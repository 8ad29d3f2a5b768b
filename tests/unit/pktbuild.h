/*
 * pktbuild.h — builds test frames in code, layer by layer.
 *
 * A struct pb is a frame under construction: each pb_* call appends one
 * header at the end and remembers where the IP and TCP headers start, and
 * which byte holds the "next protocol" value, so the following header can
 * fill it in (IPv4 protocol, IPv6 next header, extension header chain).
 * pb_finish() then writes the lengths and the checksums (RFC 1071 over the
 * IPv4 header and over the TCP pseudo-header, RFC 9293 §3.1 / RFC 8200 §8.1)
 * with its own arithmetic, not the decoder's. A test that wants a broken
 * packet builds a correct one and then pokes bytes with pb_put8/16/32,
 * calling pb_fix_checksums() again when only the checksums should follow.
 *
 * Nothing here allocates; a frame holds at most PB_MAX bytes and a call
 * that would overflow aborts the test.
 */
#ifndef TN_TEST_PKTBUILD_H
#define TN_TEST_PKTBUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PB_MAX 2048
#define PB_NONE ((size_t)-1)

struct pb {
	uint8_t b[PB_MAX];
	size_t len;
	int ipver;          /* 4 or 6 once an IP header was added, else 0 */
	size_t l3;          /* offset of the IP header, PB_NONE before */
	size_t l4;          /* offset of the TCP/UDP header, PB_NONE before */
	size_t pay;         /* offset of the payload, PB_NONE before */
	size_t next_at;     /* byte to receive the next protocol number, PB_NONE when none */
	size_t l4_csum_at;  /* offset of the TCP checksum field, PB_NONE for UDP or none */
};

void pb_init(struct pb *k);

/* Raw bytes and big-endian fields at an absolute offset (len grows when needed). */
void pb_bytes(struct pb *k, const void *p, size_t n);
void pb_put8(struct pb *k, size_t at, uint8_t v);
void pb_put16(struct pb *k, size_t at, uint16_t v);
void pb_put32(struct pb *k, size_t at, uint32_t v);
uint16_t pb_get16(const struct pb *k, size_t at);

/* Link layers. */
void pb_eth(struct pb *k, uint16_t ethertype);
/* Ethernet with n tags: tpid[i] (0x8100, 0x88a8, ...) and tci[i], outermost first. */
void pb_eth_tags(struct pb *k, const uint16_t *tpid, const uint16_t *tci, size_t n,
		 uint16_t ethertype);
/* 802.3 length field followed by 802.2 LLC (dsap, ssap, ctl) and a SNAP header. */
void pb_eth_llc(struct pb *k, uint8_t dsap, uint8_t ssap, uint8_t ctl, uint16_t ethertype);
void pb_sll(struct pb *k, uint16_t pkttype, uint16_t proto);
void pb_sll2(struct pb *k, uint8_t pkttype, uint16_t proto);
/* DLT_NULL: the family in host order of the capturing machine, little or big. */
void pb_null(struct pb *k, uint32_t af, bool big_endian);
/* DLT_LOOP: the family in network order. */
void pb_loop(struct pb *k, uint32_t af);

/* IPv4. opts (a multiple of 4 bytes) go after the fixed header. */
struct pb_ip4 {
	uint8_t src[4], dst[4];
	uint8_t tos, ttl;
	uint16_t id;
	uint16_t frag;       /* the whole flags + fragment offset field */
	const uint8_t *opts;
	size_t opts_len;
};
void pb_ipv4(struct pb *k, const struct pb_ip4 *ip);

struct pb_ip6 {
	uint8_t src[16], dst[16];
	uint8_t tclass;
	uint32_t flow;
	uint8_t hop_limit;
};
void pb_ipv6(struct pb *k, const struct pb_ip6 *ip);
/* An extension header of type `type` (0, 43, 51, 60, ...) that is len bytes (multiple of 8). */
void pb_ip6_ext(struct pb *k, uint8_t type, size_t len);
/* A fragment header; offset in bytes (multiple of 8). */
void pb_ip6_frag(struct pb *k, uint16_t offset, bool mf, uint32_t id);

/* TCP. opts are padded with EOL (zero) bytes to a multiple of 4. */
struct pb_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint16_t flags;      /* the 9 flag bits */
	uint16_t window;
	uint16_t urgent;
	const uint8_t *opts;
	size_t opts_len;
};
void pb_tcp(struct pb *k, const struct pb_tcp *t);
void pb_udp(struct pb *k, uint16_t sport, uint16_t dport);
/* Any other protocol number in the next-protocol byte, and a body. */
void pb_proto(struct pb *k, uint8_t proto, size_t body_len);
void pb_payload(struct pb *k, const void *p, size_t n);

/* Writes IP lengths, the IPv4 header checksum and the TCP checksum. */
void pb_finish(struct pb *k);
/* Only the two checksums (lengths stay as they are in the frame). */
void pb_fix_checksums(struct pb *k);
/* The folded pseudo-header sum, as a NIC with checksum offload expects it in the field. */
uint16_t pb_tcp_pseudo_partial(const struct pb *k);

/* RFC 1071 one's complement sum, exposed for tests that check the builder. */
uint32_t pb_sum(uint32_t sum, const uint8_t *p, size_t n);
uint16_t pb_fold(uint32_t sum);

/* Typical test addresses and a standard SYN, to keep the test tables short. */
extern const struct pb_ip4 pb_ip4_default;
extern const struct pb_ip6 pb_ip6_default;
extern const uint8_t pb_syn_opts[20];   /* MSS 1460, SACK-permitted, TS, NOP, WS 7 */
extern const struct pb_tcp pb_syn_default;

#endif
