/*
 * glossary.c — what each header field is for, in plain words.
 *
 * One const table, indexed by enum tn_field, so every renderer explains a
 * field the same way. The wording is ours; the facts follow RFC 791 (IPv4),
 * RFC 8200 (IPv6), RFC 2474/3168 (DSCP, ECN) and RFC 9293 (TCP).
 */
#include <tcpnarrate/analysis.h>

struct gloss {
	const char *label;
	const char *meaning;
};

static const struct gloss glossary[TN_F_COUNT] = {
	[TN_F_IP_VERSION] = { "version",
		"Which IP this is: 4 or 6. Everything after it is laid out accordingly." },
	[TN_F_IP_HDR_LEN] = { "header length",
		"How long the IPv4 header is, counted in 4-byte words; 20 bytes unless options follow." },
	[TN_F_IP_DSCP] = { "DSCP",
		"Differentiated Services code point: a traffic class routers may queue by. 0 is ordinary best-effort traffic." },
	[TN_F_IP_ECN] = { "ECN",
		"Explicit Congestion Notification: whether the endpoints can take a congestion mark from a router instead of a dropped packet, and whether one was set." },
	[TN_F_IP_TOTAL_LEN] = { "total length",
		"Bytes in this IP packet, header included. What is left after the IP and TCP headers is the TCP payload." },
	[TN_F_IP_ID] = { "identification",
		"A number the sender stamps on the packet so fragments of it can be put back together. With DF set it is rarely used." },
	[TN_F_IP_FLAGS] = { "flags",
		"DF (don't fragment) asks routers to drop the packet rather than split it, which is how path MTU discovery works; MF (more fragments) says more pieces follow." },
	[TN_F_IP_FRAG_OFF] = { "fragment offset",
		"Where this piece sits in the original packet, in bytes. 0 for an unfragmented packet." },
	[TN_F_IP_TTL] = { "time to live",
		"Each router lowers it by one and drops the packet at zero, so a routing loop cannot keep it alive. Senders usually start at 64 or 128." },
	[TN_F_IP_PROTO] = { "protocol",
		"What the IP payload carries: 6 is TCP." },
	[TN_F_IP_CHECKSUM] = { "header checksum",
		"Guards the IPv4 header (not the payload) against corruption in transit; a router recomputes it after lowering the TTL." },
	[TN_F_IP_ADDRS] = { "addresses",
		"The sending and the receiving host. With the two ports they name the connection." },
	[TN_F_IP6_TCLASS] = { "traffic class",
		"IPv6's DSCP and ECN bits, with the same meaning as in IPv4." },
	[TN_F_IP6_FLOW] = { "flow label",
		"A number the sender keeps the same for all packets of one flow, so routers can keep them on one path without looking at ports." },
	[TN_F_IP6_PLEN] = { "payload length",
		"Bytes after the 40-byte IPv6 header: extension headers, TCP header and data." },
	[TN_F_IP6_NEXT] = { "next header",
		"What follows the IPv6 header: an extension header, or the transport protocol (6 is TCP)." },
	[TN_F_IP6_HOPS] = { "hop limit",
		"IPv6's time to live: lowered by one at every router, dropped at zero." },
	[TN_F_IP6_EXT] = { "extension headers",
		"Optional headers between IPv6 and TCP: hop-by-hop options, routing, fragment, destination options." },
	[TN_F_TCP_SPORT] = { "source port",
		"The sender's end of the connection on its host: the port a server listens on, or the one a client's operating system picked for this connection." },
	[TN_F_TCP_DPORT] = { "destination port",
		"The receiver's end of the connection on its host: the port a server listens on, or the one a client's operating system picked for this connection." },
	[TN_F_TCP_SEQ] = { "sequence number",
		"Which byte of the sender's stream the first payload byte is. Each side counts its own bytes from a random starting point (the ISN); relative numbers count from that start." },
	[TN_F_TCP_ACK] = { "acknowledgement number",
		"The next byte the sender expects from the other side: everything before it has arrived. Only meaningful when the ACK flag is set." },
	[TN_F_TCP_DOFF] = { "data offset",
		"Length of the TCP header in 4-byte words: 20 bytes plus options. The payload starts right after it." },
	[TN_F_TCP_RESERVED] = { "reserved",
		"Bits kept for future use; senders must set them to zero." },
	[TN_F_TCP_FLAGS] = { "flags",
		"Control bits: what this segment does besides carrying data — open (SYN), acknowledge (ACK), push (PSH), close (FIN), abort (RST), and the congestion-signalling bits." },
	[TN_F_TCP_WINDOW] = { "window",
		"How many more bytes the sender of this segment can take in right now, counted from the acknowledgement number. With window scaling the field is multiplied by 2^shift." },
	[TN_F_TCP_CHECKSUM] = { "checksum",
		"Covers the TCP header, the payload and a pseudo-header of addresses and length, so a segment delivered to the wrong host or damaged on the way is dropped." },
	[TN_F_TCP_URGENT] = { "urgent pointer",
		"With URG set, where urgent data ends. Almost nothing uses it today." },
	[TN_F_TCP_OPTIONS] = { "options",
		"Extra fields after the fixed 20 bytes; most are agreed in the SYN and SYN-ACK." },
	[TN_F_PAYLOAD] = { "payload",
		"The application's bytes carried by this segment; they occupy sequence numbers." },
};

const char *tn_glossary_label(enum tn_field f)
{
	return (unsigned)f < TN_F_COUNT ? glossary[f].label : "?";
}

const char *tn_glossary_meaning(enum tn_field f)
{
	return (unsigned)f < TN_F_COUNT ? glossary[f].meaning : "";
}

/*
 * A port said for what it is in this connection: the server's listening
 * port, well known for common services, or the client's ephemeral one
 * (RFC 6335 §6; Linux picks from 32768 to 60999).
 */
static const char *const port_glossary[2][2] = {
	/* [source][server] */
	[0][0] = "The receiver's end of the connection. The receiver is the client: its operating "
		 "system picked this port from its ephemeral range (32768 to 60999 on Linux) when it "
		 "connected, so each of its connections has a port pair of its own.",
	[0][1] = "The receiver's end of the connection. The receiver is the server, and this is the "
		 "port it listens on: fixed, and well known for common services (80 for HTTP, 443 for "
		 "HTTPS), so clients know where to knock.",
	[1][0] = "The sender's end of the connection. The sender is the client: its operating system "
		 "picked this port from its ephemeral range (32768 to 60999 on Linux) when it "
		 "connected, so each of its connections has a port pair of its own.",
	[1][1] = "The sender's end of the connection. The sender is the server, and this is the port "
		 "it listens on: fixed, and well known for common services (80 for HTTP, 443 for "
		 "HTTPS), so clients know where to knock.",
};

const char *tn_glossary_port(bool source, bool server)
{
	return port_glossary[source][server];
}

static const struct option_gloss {
	uint8_t kind;
	const char *meaning;
} option_glossary[] = {
	{ TN_OPT_EOL, "End of the option list; the rest of the header is padding." },
	{ TN_OPT_NOP, "Padding, so that the next option starts on a 4-byte boundary." },
	{ TN_OPT_MSS, "Maximum segment size: the largest payload this side wants to receive in one segment, so senders avoid IP fragmentation (RFC 9293 §3.7.1)." },
	{ TN_OPT_WSCALE, "Window scale: multiply this side's later window fields by 2^shift, so windows can exceed 64 KiB (RFC 7323). Only takes effect when both SYNs carry it; a shift over 14 is taken as 14." },
	{ TN_OPT_SACK_PERM, "SACK permitted: this side can use selective acknowledgements, naming exactly which blocks arrived after a loss (RFC 2018)." },
	{ TN_OPT_SACK, "Selective acknowledgement: byte ranges received beyond the acknowledgement number, so the sender resends only the gaps (RFC 2018)." },
	{ TN_OPT_TIMESTAMP, "Timestamps: the sender's clock (TSval) and the last one it heard (TSecr). They measure round-trip time and tell old duplicates from new data when sequence numbers wrap (RFC 7323)." },
	{ TN_OPT_MD5, "TCP MD5 signature: a keyed hash over the segment, used by BGP routers (RFC 2385)." },
	{ TN_OPT_UTO, "User timeout: how long this side will wait for data to be acknowledged before giving up (RFC 5482)." },
	{ TN_OPT_AO, "TCP Authentication Option: a keyed MAC over the segment, successor of the MD5 option (RFC 5925)." },
	{ TN_OPT_MPTCP, "Multipath TCP: signalling for one connection spread over several paths (RFC 8684)." },
	{ TN_OPT_FASTOPEN, "TCP Fast Open cookie: lets a returning client send data in its SYN and save a round trip (RFC 7413)." },
	{ TN_OPT_ACCECN0, "Accurate ECN feedback: counts of congestion-marked bytes the receiver saw." },
	{ TN_OPT_ACCECN1, "Accurate ECN feedback: counts of congestion-marked bytes the receiver saw." },
	{ TN_OPT_EXP1, "An experimental option, told apart by its experiment identifier (RFC 6994)." },
	{ TN_OPT_EXP2, "An experimental option, told apart by its experiment identifier (RFC 6994)." },
	{ 0, NULL },
};

const char *tn_option_meaning(const struct tn_tcp_option *o)
{
	/* Fast Open under the experimental kind reads as Fast Open. */
	bool tfo = (o->kind == TN_OPT_EXP1 || o->kind == TN_OPT_EXP2) && o->u.tfo.experimental;
	uint8_t kind = tfo ? TN_OPT_FASTOPEN : o->kind;
	for (const struct option_gloss *g = option_glossary; g->meaning; g++)
		if (g->kind == kind)
			return g->meaning;
	return "An option kind this tool does not know; the receiver skips it by its length.";
}
