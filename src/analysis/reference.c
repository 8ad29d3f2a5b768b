/*
 * reference.c — what the textbook connection teaches, step by step.
 *
 * When tcpnarrate narrates its built-in reference connection (--reference),
 * some steps carry the ideas a reader needs at that point: what a port and
 * a sequence number are, why opening takes three segments and closing four,
 * what TIME-WAIT holds, and what the textbook picture leaves out. Step 0
 * comes before any packet. The wording is ours (RFC 9293 for the facts).
 */
#include <tcpnarrate/analysis.h>

static const struct tn_idea step0[] = {
	{ "Before the first packet",
	  "The server has opened a socket, bound it to port 80 and called listen(): its "
	  "state is LISTEN. The client's socket exists but is CLOSED; curl is about to call "
	  "connect(). Neither side has chosen yet the number it will count its bytes from, its "
	  "initial sequence number: the client picks its own when connect() sends the SYN, the "
	  "server its own when that SYN arrives, from a clock and a secret hash of the addresses "
	  "and ports (RFC 6528), so that nobody off the path can guess them. Here they will be "
	  "1000 for the client and 4500 for the server." },
};

static const struct tn_idea step1[] = {
	{ "Ports",
	  "A port is a 16-bit number that names one end of a connection on its host. The "
	  "server's is fixed (80 for HTTP) so clients know where to knock; the client's is "
	  "picked by its operating system from the ephemeral range. Two addresses and two "
	  "ports together name this one connection among all others on both hosts." },
	{ "Sequence numbers",
	  "Each side numbers every byte it sends, counting on from its initial sequence "
	  "number; the receiver's acknowledgement names the next byte it expects. The SYN "
	  "takes up one number itself, so the client's first data byte will be 1001 (relative "
	  "byte 1)." },
};

static const struct tn_idea step3[] = {
	{ "Why three segments to open",
	  "Each side has to announce its starting number and learn that the other one "
	  "received it. The SYN carries the client's number; the SYN-ACK confirms it and carries "
	  "the server's; this ACK confirms the server's. Two segments would leave the server "
	  "unsure that its number arrived, and an old SYN still wandering the network could "
	  "open a connection nobody asked for; the third segment rules both out." },
};

static const struct tn_idea step4[] = {
	{ "Data and acknowledgements",
	  "The request fills the client's bytes 1 to 73 (raw 1001 to 1073). The server will "
	  "acknowledge 1074, the next byte it expects, and the client keeps the data until "
	  "then in case it has to send it again." },
};

static const struct tn_idea step8[] = {
	{ "Why four segments to close",
	  "A FIN closes only one direction: it says \"I will send nothing more\" while the "
	  "other side may still have data on the way. So each side sends its own FIN when it "
	  "is done, and each FIN is acknowledged: two FINs and two ACKs. Real stacks often "
	  "fold an ACK into the other side's FIN and close in three." },
};

static const struct tn_idea step11[] = {
	{ "TIME-WAIT",
	  "The client closed first, so it now waits twice the maximum segment lifetime (60 s "
	  "on Linux) before forgetting the connection. Meanwhile it can repeat this last ACK if "
	  "the server's FIN comes again, and no new connection can reuse the same two addresses "
	  "and ports while a late segment of this one might still arrive. Each waiting "
	  "connection holds a port pair: a host that opens thousands of short connections to "
	  "one server can run out of ephemeral ports. Whichever side closes first keeps the "
	  "entry, so letting the client close does not avoid TIME-WAIT: it moves it from the "
	  "server, where the entries of all its clients add up, to each client, which holds "
	  "only its own. Reusing one connection for many requests is what avoids most of "
	  "them." },
	{ "What the textbook leaves out",
	  "No TLS: HTTPS adds its own handshake, one more round trip with TLS 1.3 and two with "
	  "TLS 1.2, before the first request byte. No options: real SYNs carry MSS, window "
	  "scaling, SACK-permitted and timestamps. No loss, so no retransmission, and no "
	  "congestion control ramping the sending rate up. No delayed ACKs or Nagle's "
	  "algorithm, which hold back small segments and ACKs. And a response this small fits "
	  "one segment; real ones are cut into MSS-sized pieces." },
};

const struct tn_idea *tn_reference_ideas(unsigned step, size_t *n)
{
	static const struct step_ideas {
		unsigned step;
		const struct tn_idea *ideas;
		size_t n;
	} table[] = {
		{ 0, step0, sizeof step0 / sizeof step0[0] },
		{ 1, step1, sizeof step1 / sizeof step1[0] },
		{ 3, step3, sizeof step3 / sizeof step3[0] },
		{ 4, step4, sizeof step4 / sizeof step4[0] },
		{ 8, step8, sizeof step8 / sizeof step8[0] },
		{ 11, step11, sizeof step11 / sizeof step11[0] },
		{ 0, NULL, 0 },
	};
	for (size_t i = 0; table[i].ideas; i++) {
		if (table[i].step == step) {
			*n = table[i].n;
			return table[i].ideas;
		}
	}
	*n = 0;
	return NULL;
}
