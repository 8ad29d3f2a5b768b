/*
 * icmp.h — ICMP and ICMPv6 errors that quote a TCP segment.
 *
 * A router or host that cannot deliver a packet sends an ICMP error back to
 * its source, quoting the packet's IP header and at least the first 8 bytes
 * of what followed (RFC 792, RFC 4443 §2.4): for TCP, the ports and the
 * sequence number. That is enough to find the connection the segment
 * belonged to. tn_decode_icmp_error() reads such an error out of a frame the
 * decoder has already found to be IP but not TCP (decode stage, never
 * allocates); tn_icmp_event_make() says what it means for the connection
 * (analysis stage, a pure function); the engine joins the two and hands the
 * event to the renderer.
 *
 * An ICMP error is only a hint (RFC 5927): anyone on the path can forge
 * one, so it never changes the state tracked for the connection. The
 * narration says what a host would do with it.
 */
#ifndef TCPNARRATE_ICMP_H
#define TCPNARRATE_ICMP_H

#include <stdbool.h>
#include <stdint.h>

#include <tcpnarrate/analysis.h>
#include <tcpnarrate/capture.h>
#include <tcpnarrate/decode.h>
#include <tcpnarrate/flow.h>
#include <tcpnarrate/track.h>

/* What the error says happened, across ICMP and ICMPv6. */
enum tn_icmp_kind {
	TN_ICMP_NET_UNREACH = 0,   /* no route to the network (v6: no route to destination) */
	TN_ICMP_HOST_UNREACH,      /* the host did not answer on its link (v6: address unreachable) */
	TN_ICMP_PROTO_UNREACH,     /* the host does not speak TCP */
	TN_ICMP_PORT_UNREACH,      /* nothing listens on the port (or a firewall says so) */
	TN_ICMP_FRAG_NEEDED,       /* too big for the next link: fragmentation needed / packet too big */
	TN_ICMP_ADMIN_PROHIBITED,  /* a filter forbids it */
	TN_ICMP_UNREACH_OTHER,     /* any other destination-unreachable code */
	TN_ICMP_TTL_EXCEEDED,      /* TTL or hop limit ran out in transit */
	TN_ICMP_REASSEMBLY_TIMEOUT,/* the receiver gave up reassembling its fragments */
	TN_ICMP_KIND_COUNT
};
_Static_assert(TN_ICMP_KIND_COUNT == TN_ICMP_KINDS, "analysis.h counts every kind");

struct tn_icmp_error {
	uint8_t family;            /* 4 (ICMP) or 6 (ICMPv6): of the error and of what it quotes */
	uint8_t type, code;
	enum tn_icmp_kind kind;
	uint32_t mtu;              /* TN_ICMP_FRAG_NEEDED: the next-hop MTU, 0 when not given */
	uint8_t reporter[16];      /* who sent the error (its IP source) */
	uint32_t icmp_offset;      /* where the ICMP header starts in the frame */
	/* the quoted packet: the segment that could not be delivered */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint32_t seq;
	uint32_t quoted_len;       /* its IP length as it claimed (IPv4 total length; IPv6 + 40) */
	bool quoted_df;            /* IPv4: Don't Fragment set (IPv6 routers never fragment) */
	uint8_t quoted_ttl;        /* TTL or hop limit left when it was quoted */
};

/*
 * Reads an ICMP or ICMPv6 error quoting a TCP segment from `frame`, which
 * tn_decode() returned as TN_DEC_NOT_TCP into `pkt`. 0 and *out filled when
 * it is one (with the ports and sequence number quoted); -1 when the frame
 * is anything else or too short to say.
 */
int tn_decode_icmp_error(const struct tn_packet *pkt, const uint8_t *frame, uint32_t caplen,
			 struct tn_icmp_error *out);

/* Where the quoted sequence number lies for its sender (RFC 5927 §4.1). */
enum tn_icmp_seq {
	TN_ICMP_SEQ_UNKNOWN = 0,   /* the sender's numbers are not known yet */
	TN_ICMP_SEQ_IN_FLIGHT,     /* sent and not yet acknowledged: as a real error's would be */
	TN_ICMP_SEQ_ACKED,         /* already acknowledged: late, or forged */
	TN_ICMP_SEQ_NOT_SENT,      /* beyond anything sent: forged, or the capture missed it */
};

/* An ICMP error in a tracked connection, as the renderers see it. */
struct tn_icmp_event {
	const struct tn_frame *frame;
	const struct tn_icmp_error *err;
	uint64_t conn;
	int role;                  /* enum tn_role of the side that sent the quoted segment */
	struct tn_endpoint from, to; /* the quoted segment's sender and receiver */
	struct tn_endpoint reporter; /* port 0 */
	enum tn_state sender_state;/* as tracked, and left as it is */
	uint32_t rel_seq;          /* the quoted sequence number, relative like the segments' */
	enum tn_icmp_seq seq_check;
	uint32_t mss_after;        /* FRAG_NEEDED: the largest segment payload the MTU leaves */
	bool too_small_quote;      /* FRAG_NEEDED: the quoted packet fits the MTU it names */
	int64_t rel_ns;
	const char *meaning;       /* what the error says about the path, one sentence or two */
	const char *host_action;   /* what a host does with it */
	const char *error_text;    /* the error a socket would report ("Connection refused") */
	uint64_t repeat_of;        /* an error of the kind its connection had last in full: that one's frame, else 0 */
};

/*
 * Fills *ev for error `e` about connection `tc` (key `key`): who sent the
 * quoted segment, where its sequence number lies, and what it means. Pure:
 * reads the tracked connection, changes nothing.
 */
void tn_icmp_event_make(const struct tn_icmp_error *e, const struct tn_flow_key *key,
			const struct tn_track_conn *tc, struct tn_icmp_event *ev);

/* Short key for JSON ("frag_needed") and a few words for text ("fragmentation needed"). */
const char *tn_icmp_kind_key(enum tn_icmp_kind k);
/* The kind in a few words as the family names it ("fragmentation needed", v6 "packet too big"). */
const char *tn_icmp_kind_words(enum tn_icmp_kind k, uint8_t family);

/*
 * Counts error e (frame n) in its connection's tally (its frames numbered
 * from first_frame), and sets ev->repeat_of: the connection's last error
 * narrated in full when it was of the same kind (this one can then be shown
 * short), else 0, and this one becomes that error.
 */
void tn_icmp_note(struct tn_icmp_seen *seen, uint64_t first_frame, const struct tn_icmp_error *e,
		  uint64_t n, struct tn_icmp_event *ev);
const char *tn_icmp_kind_text(const struct tn_icmp_error *e);
const char *tn_icmp_seq_key(enum tn_icmp_seq s);
const char *tn_icmp_seq_text(enum tn_icmp_seq s);

#endif
