/*
 * icmp.c — what an ICMP error means for the connection whose segment it quotes.
 *
 * Small pure functions: who sent the quoted segment, whether its sequence
 * number is one that sender has in flight (RFC 5927 §4.1: a host should
 * ignore an error that quotes anything else, as Linux does), and what the
 * error says about the path and what a host does with it. The wording for
 * each kind is in one const table. Nothing here changes the tracked
 * connection: the error is only evidence of what a host would be told.
 *
 * What hosts do follows RFC 1122 §4.2.3.9 (soft and hard errors), RFC 5461
 * (TCP's reaction to soft errors), RFC 1191 and RFC 8201 (path-MTU
 * discovery), RFC 2923 (the path-MTU black hole) and Linux's tcp_v4_err()
 * and tcp_v6_err(), which abandon a connection attempt on any error but
 * only record one for an established connection.
 */
#include <tcpnarrate/icmp.h>
#include <tcpnarrate/seq.h>

#include <string.h>

struct kind_words {
	const char *key;
	const char *text;
	const char *meaning;
	const char *host_action;
	const char *error_text;   /* what connect() or the next call returns on Linux */
};

static const struct kind_words words[TN_ICMP_KIND_COUNT] = {
	[TN_ICMP_NET_UNREACH] = { "net_unreachable", "network unreachable",
		"A router on the way has no route to the receiver's network.",
		"This is a soft error (RFC 1122 §4.2.3.9): an open connection keeps retransmitting "
		"and may undo its timer backoff (RFC 6069); a connection attempt in SYN-SENT is "
		"given up at once by Linux.", "Network is unreachable" },
	[TN_ICMP_HOST_UNREACH] = { "host_unreachable", "host unreachable",
		"The last router could not reach the receiver on its link (no ARP or neighbour "
		"answer): the host is down or the address is wrong.",
		"A soft error (RFC 1122 §4.2.3.9): an open connection keeps retransmitting and may "
		"undo its timer backoff (RFC 6069); Linux gives up a connection attempt in SYN-SENT "
		"at once.", "No route to host" },
	[TN_ICMP_PROTO_UNREACH] = { "protocol_unreachable", "protocol unreachable",
		"The receiving host does not speak TCP at all.",
		"A hard error (RFC 1122 §4.2.3.9): the connection should be aborted.",
		"Protocol not available" },
	[TN_ICMP_PORT_UNREACH] = { "port_unreachable", "port unreachable",
		"Nothing listens on the receiver's port. A TCP host would answer with a reset, so "
		"an ICMP port unreachable for TCP usually comes from a firewall's reject rule.",
		"A hard error (RFC 1122 §4.2.3.9): a connection attempt fails at once with "
		"\"Connection refused\"; Linux only records it for an open connection.",
		"Connection refused" },
	[TN_ICMP_FRAG_NEEDED] = { "frag_needed", "fragmentation needed",
		"The segment is larger than the next link on the path can carry, and may not be "
		"fragmented on the way (IPv4 with Don't Fragment set; IPv6 routers never fragment).",
		"Path-MTU discovery (RFC 1191, RFC 8201): the sender lowers its path MTU to the one "
		"named and sends the lost data again in smaller segments, at no cost but a "
		"retransmission. If errors like this one are dropped before they reach it (a "
		"firewall filtering ICMP), its large segments vanish while small ones pass and the "
		"connection stalls after the handshake: a path-MTU black hole (RFC 2923).",
		"Message too long" },
	[TN_ICMP_ADMIN_PROHIBITED] = { "admin_prohibited", "administratively prohibited",
		"A filter on the path forbids this traffic.",
		"Linux takes it as a hard error: a connection attempt fails at once; an open "
		"connection records it and keeps retransmitting.", "No route to host" },
	[TN_ICMP_UNREACH_OTHER] = { "unreachable", "destination unreachable",
		"The packet could not be delivered (a code this narration does not name).",
		"A connection attempt in SYN-SENT is given up by Linux; an open connection keeps "
		"retransmitting.", "No route to host" },
	[TN_ICMP_TTL_EXCEEDED] = { "ttl_exceeded", "time to live exceeded",
		"The packet's TTL (hop limit) ran out before it arrived: a routing loop sends "
		"packets round until it does, or the sender set it too low (traceroute does so on "
		"purpose).",
		"A soft error: an open connection keeps retransmitting; Linux gives up a connection "
		"attempt in SYN-SENT at once.", "No route to host" },
	[TN_ICMP_REASSEMBLY_TIMEOUT] = { "reassembly_timeout", "fragment reassembly time exceeded",
		"The receiver gave up putting the packet's fragments together: one of them was lost.",
		"The sender's retransmission timer recovers the segment; nothing else changes.",
		"No route to host" },
};

const char *tn_icmp_kind_key(enum tn_icmp_kind k)
{
	return k < TN_ICMP_KIND_COUNT ? words[k].key : "unknown";
}

const char *tn_icmp_kind_words(enum tn_icmp_kind k, uint8_t family)
{
	if (k == TN_ICMP_FRAG_NEEDED && family == 6)
		return "packet too big";
	return k < TN_ICMP_KIND_COUNT ? words[k].text : "ICMP error";
}

void tn_icmp_note(struct tn_icmp_seen *seen, uint64_t first_frame, const struct tn_icmp_error *e,
		  uint64_t n, struct tn_icmp_event *ev)
{
	if (e->kind >= TN_ICMP_KIND_COUNT)
		return;
	seen->kinds |= (uint16_t)(1u << e->kind);
	if (seen->total < UINT16_MAX)
		seen->total++;
	uint16_t mtu = e->mtu > UINT16_MAX ? UINT16_MAX : (uint16_t)e->mtu;
	if (e->kind == TN_ICMP_FRAG_NEEDED && mtu && (!seen->mtu_min || mtu < seen->mtu_min))
		seen->mtu_min = mtu;
	ev->repeat_of = seen->has_full && seen->full_kind == e->kind ?
			first_frame + seen->full_n : 0;
	if (!ev->repeat_of) {
		seen->has_full = 1;
		seen->full_kind = e->kind & 15u;
		seen->full_n = (uint32_t)(n - first_frame);
	}
}

const char *tn_icmp_kind_text(const struct tn_icmp_error *e)
{
	return tn_icmp_kind_words(e->kind, e->family);
}

static const char *const seq_keys[] = { "unknown", "in_flight", "acknowledged", "not_sent" };
static const char *const seq_texts[] = {
	"the sender's sequence numbers are not known yet, so the quote cannot be checked",
	"the quoted sequence number is one the sender has sent and not yet seen acknowledged, "
	"as a genuine error's is",
	"the quoted sequence number was already acknowledged: a late error, or a forged one; "
	"Linux ignores it (RFC 5927 §4.1)",
	"the quoted sequence number is beyond anything the sender has sent in the capture: "
	"forged, or the capture missed segments; Linux ignores it (RFC 5927 §4.1)",
};

const char *tn_icmp_seq_key(enum tn_icmp_seq s)
{
	return seq_keys[s];
}

const char *tn_icmp_seq_text(enum tn_icmp_seq s)
{
	return seq_texts[s];
}

/*
 * SND.UNA <= seq <= SND.NXT, as Linux checks it (between() in tcp_v4_err),
 * with the capture's view of both: SND.UNA is the highest acknowledgement
 * the receiver sent, SND.NXT one past the highest number the sender sent
 * (a quoted pure ACK carries SND.NXT itself).
 */
static enum tn_icmp_seq check_seq(const struct tn_track_side *snd,
				  const struct tn_track_side *rcv, uint32_t seq)
{
	if (!snd->snd_nxt_set)
		return TN_ICMP_SEQ_UNKNOWN;
	uint32_t una = rcv->ack_sent ? rcv->last_ack : snd->base;
	if (tn_seq_lt(seq, una))
		return TN_ICMP_SEQ_ACKED;
	if (tn_seq_gt(seq, snd->snd_nxt))
		return TN_ICMP_SEQ_NOT_SENT;
	return TN_ICMP_SEQ_IN_FLIGHT;
}

/* Payload bytes a segment can carry under the MTU: IP and TCP headers without options. */
static uint32_t mss_for(const struct tn_icmp_error *e)
{
	uint32_t hdrs = e->family == 4 ? 40 : 60;
	return e->mtu > hdrs ? e->mtu - hdrs : 0;
}

void tn_icmp_event_make(const struct tn_icmp_error *e, const struct tn_flow_key *key,
			const struct tn_track_conn *tc, struct tn_icmp_event *ev)
{
	size_t alen = e->family == 4 ? 4 : 16;
	int side = memcmp(key->addr[0], e->src, alen) == 0 && key->port[0] == e->sport ? 0 : 1;
	const struct tn_track_side *snd = &tc->side[side], *rcv = &tc->side[!side];
	int client = tc->client >= 0 ? tc->client : 0;
	ev->err = e;
	ev->conn = tc->id;
	ev->role = side == client ? TN_ROLE_CLIENT : TN_ROLE_SERVER;
	tn_key_endpoint(key, side, &ev->from);
	tn_key_endpoint(key, !side, &ev->to);
	memset(&ev->reporter, 0, sizeof ev->reporter);
	ev->reporter.family = e->family;
	memcpy(ev->reporter.addr, e->reporter, alen);
	ev->sender_state = (enum tn_state)snd->state;
	ev->rel_seq = e->seq - snd->base;
	ev->seq_check = check_seq(snd, rcv, e->seq);
	ev->mss_after = e->kind == TN_ICMP_FRAG_NEEDED ? mss_for(e) : 0;
	ev->too_small_quote = e->kind == TN_ICMP_FRAG_NEEDED && e->mtu &&
			      e->quoted_len <= e->mtu;
	ev->meaning = words[e->kind].meaning;
	ev->host_action = words[e->kind].host_action;
	ev->error_text = words[e->kind].error_text;
}
