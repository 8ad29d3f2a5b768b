/*
 * transitions.c — why an endpoint's state changed, in plain words.
 *
 * One sentence per reason the tracker gives (enum tn_why), and what each way
 * a connection can end means. The wording is ours; the rules are RFC 9293
 * §3.3.2 (the state diagram), §3.10.7 (segment arrival) and RFC 5961 §3.2
 * (resets).
 */
#include <tcpnarrate/analysis.h>

static const struct why_text {
	const char *key;
	const char *text;
} why_texts[TN_WHY_COUNT] = {
	[TN_WHY_NONE] = { "none", "" },
	[TN_WHY_SENT_SYN] = { "sent_syn",
		"it sent its SYN, proposing its starting sequence number, and waits for an answer" },
	[TN_WHY_GOT_SYN] = { "got_syn",
		"a SYN arrived on the port it listens on; it answers with its own SYN and an ACK, "
		"and waits for the final ACK" },
	[TN_WHY_SENT_SYNACK] = { "sent_synack",
		"it answered a SYN (not in the capture) with its SYN-ACK" },
	[TN_WHY_GOT_SYNACK] = { "got_synack",
		"its SYN was acknowledged and it has learnt the other side's starting number: for "
		"this side the connection is open, and its ACK will complete the handshake" },
	[TN_WHY_GOT_ACK_OF_SYN] = { "got_ack_of_syn",
		"the handshake's third segment acknowledged its SYN. One segment could not do this: "
		"each side has to announce its own starting number and hear it acknowledged, and "
		"the middle segment does one of each" },
	[TN_WHY_SIMULTANEOUS_OPEN] = { "simultaneous_open",
		"a SYN arrived while its own SYN was unanswered: both ends opened at once, and each "
		"now acknowledges the other's SYN" },
	[TN_WHY_SENT_FIN] = { "sent_fin",
		"it has nothing more to send and closed its direction; it can still receive, and "
		"waits for its FIN to be acknowledged" },
	[TN_WHY_SENT_FIN_SECOND] = { "sent_fin_second",
		"the other side had already finished; now this side closes its direction too and "
		"waits for the last ACK" },
	[TN_WHY_GOT_FIN] = { "got_fin",
		"the other side will send no more; this side may still send until its application "
		"closes too. Each direction closes on its own, which is why a close takes four "
		"segments" },
	[TN_WHY_GOT_ACK_OF_FIN] = { "got_ack_of_fin",
		"its FIN was acknowledged; it waits for the other side to finish sending and close" },
	[TN_WHY_SIMULTANEOUS_CLOSE] = { "simultaneous_close",
		"the other side's FIN crossed its own: both closed at once, and it waits for its FIN "
		"to be acknowledged" },
	[TN_WHY_GOT_FIN_AFTER_OURS] = { "got_fin_after_ours",
		"the other side closed too. This side closed first, so it keeps the address and port "
		"pair reserved for 2×MSL (60 s on Linux): a delayed segment of this connection "
		"cannot be taken for data of a new one, and a lost final ACK can be sent again. A "
		"busy server that closes first holds one such entry per client" },
	[TN_WHY_GOT_FIN_AND_ACK] = { "got_fin_and_ack",
		"one segment acknowledged its FIN and carried the other side's FIN (a three-segment "
		"close). It closed first, so it holds TIME-WAIT for 2×MSL (60 s on Linux)" },
	[TN_WHY_CLOSING_ACKED] = { "closing_acked",
		"its FIN was acknowledged after a simultaneous close; it holds TIME-WAIT for 2×MSL" },
	[TN_WHY_LAST_ACK_ACKED] = { "last_ack_acked",
		"its FIN was acknowledged: the connection is gone on this side. The side that closes "
		"second keeps no TIME-WAIT" },
	[TN_WHY_TIME_WAIT_OVER] = { "time_wait_over",
		"2×MSL of capture time has passed since it entered TIME-WAIT; the port pair is free "
		"(inferred: nothing on the wire shows this)" },
	[TN_WHY_TIME_WAIT_AGAIN] = { "time_wait_again",
		"a FIN arrived again (its ACK was probably lost): it acknowledges once more and "
		"starts its 2×MSL wait over" },
	[TN_WHY_SENT_RST] = { "sent_rst",
		"it aborted the connection with a reset: no closing exchange, unsent and "
		"undelivered data is thrown away" },
	[TN_WHY_GOT_RST] = { "got_rst",
		"a reset arrived with exactly the sequence number it expected next, so it accepts "
		"it and drops the connection at once" },
	[TN_WHY_REFUSED] = { "refused",
		"its SYN was answered with a reset: the connection was refused (nothing listens on "
		"that port, or a firewall answered for the host)" },
	[TN_WHY_NOT_LISTENING] = { "not_listening",
		"nothing was listening on this port after all: its host refused the SYN with a reset" },
	[TN_WHY_RST_IGNORED] = { "rst_ignored",
		"the reset's sequence number is outside the receive window, so it is not accepted "
		"(RFC 5961 guards against forged resets this way)" },
	[TN_WHY_RST_CHALLENGED] = { "rst_challenged",
		"the reset falls inside the window but not at the exact next sequence number: the "
		"receiver does not drop the connection but answers with a challenge ACK (RFC 5961)" },
	[TN_WHY_RETRANSMISSION] = { "retransmission",
		"it sent this again (the first copy or its acknowledgement was probably lost); a "
		"retransmission changes no state" },
	[TN_WHY_AFTER_CLOSE] = { "after_close",
		"this side has already closed the connection; a live host would answer such a "
		"segment with a reset" },
	[TN_WHY_SYN_CHALLENGED] = { "syn_challenged",
		"a SYN inside a connection that is already open: the receiver neither resets nor "
		"reopens, it answers with a challenge ACK and nothing changes (RFC 9293 §3.10.7.4, "
		"RFC 5961 §4)" },
	[TN_WHY_FIN_TAKEN] = { "fin_taken",
		"its ACK now covers the other side's FIN, which it had not taken before (it was in "
		"flight, or arrived ahead of missing data: a FIN is processed only in sequence, RFC "
		"9293 §3.10.7.4)" },
	[TN_WHY_FIN_TAKEN_THEN_FIN] = { "fin_taken_then_fin",
		"its ACK now covers the other side's FIN, which it had not taken before, and it "
		"closes its own direction in the same segment: CLOSE-WAIT, then at once LAST-ACK" },
};

const char *tn_role_name(int side, int client)
{
	return side == client ? "client" : "server";
}

const char *tn_why_text(enum tn_why why)
{
	return (unsigned)why < TN_WHY_COUNT ? why_texts[why].text : "";
}

const char *tn_why_key(enum tn_why why)
{
	return (unsigned)why < TN_WHY_COUNT ? why_texts[why].key : "none";
}

const char *tn_end_key(enum tn_end how)
{
	switch (how) {
	case TN_END_FIN: return "fin";
	case TN_END_RST: return "rst";
	case TN_END_REFUSED: return "refused";
	case TN_END_HALF_OPEN: return "half_open";
	default: return "open";
	}
}

const char *tn_end_text(enum tn_end how)
{
	switch (how) {
	case TN_END_FIN: return "closed with a FIN from each side";
	case TN_END_RST: return "ended by a reset";
	case TN_END_REFUSED: return "refused: the SYN was answered with a reset";
	case TN_END_HALF_OPEN: return "the handshake never completed";
	default: return "still open";
	}
}

const char *tn_report_why_key(enum tn_report_why why)
{
	switch (why) {
	case TN_REPORT_CLOSED: return "closed";
	case TN_REPORT_END_OF_CAPTURE: return "end_of_capture";
	case TN_REPORT_REUSED: return "port_reused";
	case TN_REPORT_EVICTED: return "evicted";
	default: return "idle";
	}
}

static const struct {
	const char *key, *text;
} corr_names[TN_CORR_COUNT] = {
	[TN_CORR_NONE] = { "none", "" },
	[TN_CORR_SENT_AFTER_CLOSE] = { "sent_after_close",
		"it sent a segment a closed endpoint cannot send: the ACK that would have closed it "
		"had not reached it yet" },
	[TN_CORR_SYN_UNSEEN] = { "syn_unseen",
		"it sent a SYN without ACK, so the other side's SYN had not reached it yet: both "
		"opened at once (RFC 9293 §3.5)" },
	[TN_CORR_FIN_UNSEEN] = { "fin_unseen",
		"its FIN does not acknowledge the other side's FIN, so that FIN had not reached it "
		"yet: both closed at once (RFC 9293 §3.6)" },
	[TN_CORR_FIN_ACK_UNSEEN] = { "fin_ack_unseen",
		"it sent its FIN again, so the ACK of its FIN had not reached it yet" },
	[TN_CORR_FIN_NOT_TAKEN] = { "fin_not_taken",
		"its ACK does not cover the other side's FIN, so it had not taken that FIN yet: the "
		"FIN was still in flight, or arrived ahead of missing data and waits for it" },
	[TN_CORR_FIN_LOST] = { "fin_lost",
		"the other side sent its FIN again after more than 0.5 s in which this side sent "
		"nothing, and a FIN must be acknowledged sooner than that (RFC 9293 §3.8.6.3): the "
		"earlier FIN had not been taken (lost past the capture point, or dropped on arrival)" },
};

const char *tn_corr_key(enum tn_corr why)
{
	return (unsigned)why < TN_CORR_COUNT ? corr_names[why].key : "?";
}

const char *tn_corr_text(enum tn_corr why)
{
	return (unsigned)why < TN_CORR_COUNT ? corr_names[why].text : "";
}
