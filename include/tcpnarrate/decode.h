/*
 * decode.h — link, IP and TCP decoding into host-order structs.
 *
 * tn_decode() takes one captured frame and fills a caller-owned struct
 * tn_packet: every header field in host order, the TCP options parsed, where
 * the payload is, and — for anything malformed or cut short — a problem code,
 * the byte offset where it was found and one sentence. It never allocates and
 * never reads outside [data, data + caplen): all reads go through struct tn_rd.
 * The packet struct points into `data`, so it lives only as long as the frame.
 */
#ifndef TCPNARRATE_DECODE_H
#define TCPNARRATE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What a frame turned out to be. Everything except TN_DEC_TCP is skipped. */
enum tn_decode_result {
	TN_DEC_TCP = 0,          /* a TCP header was decoded (maybe with problems) */
	TN_DEC_NOT_IP,           /* link layer carries something else (ARP, LLDP, ...) */
	TN_DEC_NOT_TCP,          /* IP, but not TCP (UDP, ICMP, ...) */
	TN_DEC_FRAGMENT,         /* an IP fragment that does not start at offset 0 */
	TN_DEC_UNSUPPORTED_LINK, /* link type we do not decode */
	TN_DEC_MALFORMED,        /* header lengths that cannot be right */
	TN_DEC_TRUNCATED,        /* cut (snaplen or short frame) before the TCP header ended */
	TN_DEC_RESULT_COUNT
};

/* Checksum verdicts, for IPv4 header and TCP. */
enum tn_csum {
	TN_CSUM_OK = 0,
	TN_CSUM_BAD,
	TN_CSUM_UNVERIFIED,   /* not every byte it covers was captured, or a fragment */
	TN_CSUM_OFFLOAD,      /* wrong, but holds the partial sum a NIC completes on transmit */
};

/* TCP flag bits in the order of the header (RFC 9293 §3.1; AE from AccECN). */
enum tn_tcp_flag {
	TN_TH_FIN = 0x001,
	TN_TH_SYN = 0x002,
	TN_TH_RST = 0x004,
	TN_TH_PSH = 0x008,
	TN_TH_ACK = 0x010,
	TN_TH_URG = 0x020,
	TN_TH_ECE = 0x040,
	TN_TH_CWR = 0x080,
	TN_TH_AE  = 0x100,
};

/* TCP option kinds we name (IANA "TCP Option Kind Numbers"). */
enum tn_tcpopt_kind {
	TN_OPT_EOL = 0,
	TN_OPT_NOP = 1,
	TN_OPT_MSS = 2,
	TN_OPT_WSCALE = 3,
	TN_OPT_SACK_PERM = 4,
	TN_OPT_SACK = 5,
	TN_OPT_TIMESTAMP = 8,
	TN_OPT_MD5 = 19,
	TN_OPT_UTO = 28,
	TN_OPT_AO = 29,
	TN_OPT_MPTCP = 30,
	TN_OPT_FASTOPEN = 34,
	TN_OPT_ACCECN0 = 172,
	TN_OPT_ACCECN1 = 174,
	TN_OPT_EXP1 = 253,
	TN_OPT_EXP2 = 254,
};

#define TN_MAX_SACK_BLOCKS 4
#define TN_MAX_TCP_OPTIONS 40   /* 40 option bytes, at least one byte each */
#define TN_MAX_VLAN 4
#define TN_MAX_IP6_EXT 8
#define TN_PROBLEM_LEN 160
#define TN_MAX_ENCAP 16      /* layers between the link header and the innermost IP */

/* The layers a segment was carried in, outermost first (encap.c). */
enum tn_encap_kind {
	TN_ENC_IPV4 = 1,      /* an outer IPv4 header carrying a tunnel */
	TN_ENC_IPV6,          /* an outer IPv6 header carrying a tunnel */
	TN_ENC_GRE,           /* RFC 2784/2890: id = key (version 1: call id), seq = sequence */
	TN_ENC_ERSPAN,        /* ERSPAN type I/II/III: version, id = session */
	TN_ENC_WCCP,          /* WCCP redirect header: id = service id */
	TN_ENC_VXLAN,         /* RFC 7348: id = VNI */
	TN_ENC_GENEVE,        /* RFC 8926: id = VNI, opt_len = option bytes */
	TN_ENC_GTPU,          /* 3GPP TS 29.281: id = TEID, opt_len = extension headers */
	TN_ENC_TEREDO,        /* RFC 4380: IPv6 in UDP */
	TN_ENC_MPLS,          /* RFC 3032: id = label, tc, ttl, bos */
	TN_ENC_PPPOE,         /* RFC 2516 session stage: id = session id */
	TN_ENC_PPP,           /* RFC 1661: proto = PPP protocol */
	TN_ENC_ETH,           /* Ethernet carried by a tunnel: proto = ethertype */
	TN_ENC_VLAN,          /* an 802.1Q/ad tag inside a tunnel: id = VLAN id */
	TN_ENC_PBB,           /* 802.1ah I-TAG: id = I-SID */
	TN_ENC_UDP,           /* UDP to a port no tunnel listens on: never recorded alone */
};

struct tn_encap {
	uint8_t kind;         /* enum tn_encap_kind */
	uint8_t version;      /* GRE and ERSPAN version; MPLS traffic class */
	bool has_id, has_seq;
	bool bos;             /* MPLS: bottom of the stack */
	uint8_t ttl;          /* MPLS TTL */
	uint16_t proto;       /* what the layer says follows (IP protocol, ethertype, PPP) */
	uint16_t sport, dport;/* UDP ports of a UDP-carried tunnel */
	uint16_t opt_len;     /* Geneve option bytes; GTP-U extension headers */
	uint32_t id;          /* key, VNI, TEID, label, session, VLAN, I-SID */
	uint32_t seq;         /* GRE sequence number */
	uint8_t src[16], dst[16]; /* outer IP endpoints (4 or 16 bytes used) */
};

struct tn_tcp_option {
	uint8_t kind;
	uint8_t len;          /* length byte as sent (1 for EOL/NOP) */
	uint16_t offset;      /* offset of the kind byte from the start of the TCP header */
	uint16_t exid;        /* experiment id of kinds 253/254 (RFC 6994), 0 when absent */
	union {
		uint16_t mss;
		uint8_t shift;    /* window scale */
		struct {
			uint8_t count;
			uint32_t left[TN_MAX_SACK_BLOCKS];
			uint32_t right[TN_MAX_SACK_BLOCKS];
		} sack;
		struct {
			uint32_t val;
			uint32_t ecr;
		} ts;
		struct {
			uint8_t len;      /* bytes of cookie (0: a cookie request) */
			uint8_t bytes[16];
			bool experimental;/* kind 254 with magic 0xF989 (RFC 7413 §4.1.1) */
		} tfo;
		struct {
			uint8_t subtype;
		} mptcp;
		struct {
			uint8_t keyid, rnextkeyid;
		} ao;
		struct {
			uint16_t timeout;
			bool minutes;
		} uto;
	} u;
};

struct tn_ipv4 {
	uint8_t version;
	uint8_t hdr_len;      /* bytes */
	uint8_t dscp, ecn;
	uint16_t total_len;
	uint16_t id;
	bool rf, df, mf;
	uint16_t frag_off;    /* in bytes (field × 8) */
	uint8_t ttl, proto;
	uint16_t checksum;
	enum tn_csum checksum_status;
	bool tso_zero_len;    /* total length 0: sent with segmentation offload */
	uint16_t ah_len;      /* bytes of an IPsec AH header before TCP, 0 when none */
	uint8_t src[4], dst[4];
};

struct tn_ip6_ext {
	uint8_t type;         /* next-header value that introduced this header */
	uint16_t len;         /* bytes */
};

struct tn_ipv6 {
	uint8_t version;
	uint8_t tclass;       /* DSCP << 2 | ECN */
	uint32_t flow;
	uint16_t payload_len;
	uint8_t next_header;  /* as in the fixed header */
	uint8_t hop_limit;
	uint8_t src[16], dst[16];
	uint8_t n_ext;
	struct tn_ip6_ext ext[TN_MAX_IP6_EXT];
	bool frag;            /* a fragment header was present */
	bool frag_mf;
	uint16_t frag_off;
	uint32_t frag_id;
	uint8_t upper;        /* protocol after the extension headers */
	bool jumbo;           /* payload length 0: jumbogram (RFC 2675) */
};

struct tn_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t hdr_len;      /* data offset in bytes */
	uint8_t reserved;     /* the three reserved bits */
	uint16_t flags;       /* enum tn_tcp_flag bits */
	uint16_t window;
	uint16_t checksum;
	enum tn_csum checksum_status;
	uint16_t urgent;
	bool opts_malformed;  /* decoding of options stopped at a bad one */
	bool opts_cut;        /* options were cut by the capture */
	uint16_t opts_stop;   /* offset (from TCP header) where option decoding stopped */
	uint8_t n_opts;
	struct tn_tcp_option opts[TN_MAX_TCP_OPTIONS]; /* last: only n_opts are written */
};

enum tn_problem {
	TN_PROB_NONE = 0,
	TN_PROB_CUT,          /* snaplen or short frame cut the packet; decoded what is there */
	TN_PROB_IP_HDR_LEN,
	TN_PROB_IP_TOTAL_LEN,
	TN_PROB_IP_VERSION,
	TN_PROB_IP6_EXT,
	TN_PROB_TCP_DATA_OFFSET,
	TN_PROB_TCP_OPTION,
	TN_PROB_LINK,
	TN_PROB_ENCAP,        /* a tunnel or label header that cannot be right, or too deep */
};

struct tn_packet {
	/* link layer */
	uint32_t linktype;       /* DLT_ value as libpcap reports it */
	uint32_t caplen, wirelen;
	uint8_t n_vlan;
	uint16_t vlan[TN_MAX_VLAN];
	int sll_pkttype;         /* Linux cooked packet type, -1 when not cooked */
	uint16_t ethertype;      /* or address family for NULL/LOOP */
	uint32_t ip_offset;      /* where the (innermost) IP header starts in the frame */
	uint8_t n_encap;         /* layers in encap[], outermost first */
	struct tn_encap encap[TN_MAX_ENCAP];

	/* IP layer */
	uint8_t ip_version;      /* 4 or 6, 0 before IP */
	struct tn_ipv4 ip4;
	struct tn_ipv6 ip6;
	uint8_t ip_proto;        /* upper protocol (after IPv6 extension headers) */
	uint32_t l4_len;         /* TCP segment length (header + data) the IP layer states */

	/* TCP */
	uint32_t tcp_offset;     /* where the TCP header starts in the frame */
	struct tn_tcp tcp;
	const uint8_t *payload;  /* captured payload bytes (payload_captured of them) */
	uint32_t payload_len;    /* payload length from the IP lengths */
	uint32_t payload_captured;

	/* what went wrong, first problem wins; the run goes on */
	enum tn_problem problem;
	uint32_t problem_offset; /* byte offset in the frame */
	char problem_text[TN_PROBLEM_LEN];
};

/* Decodes one frame; data must hold caplen bytes. */
enum tn_decode_result tn_decode(uint32_t linktype, const uint8_t *data, uint32_t caplen,
				uint32_t wirelen, struct tn_packet *out);

/* Is this link type one tn_decode understands? */
bool tn_decode_link_supported(uint32_t linktype);

/* A layer kind's short name ("vxlan", "gre", "mpls"). */
const char *tn_encap_name(enum tn_encap_kind k);

/* The reason a result was skipped, in a few words ("not TCP"). */
const char *tn_decode_result_name(enum tn_decode_result r);

/* Internet checksum helpers (RFC 1071); exposed for tests. */
uint32_t tn_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t tn_csum_fold(uint32_t sum);

/* The option's IANA-ish short name ("mss", "sack_permitted", "unknown"). */
const char *tn_tcpopt_name(const struct tn_tcp_option *o);

#endif
