/*
 * test_state.c — both endpoints' RFC 9293 state machines, the roles, TIME-WAIT
 * in capture time, port reuse and the connection report
 * (include/tcpnarrate/track.h; src/track/state.c and src/track/conn.c).
 *
 * Each case is a script of segments of one connection, written by role
 * (client = the side that sends the first SYN, or the one the ports name when
 * the capture joined mid-stream). After every segment the script gives both
 * sides' state before and after it, the reason for each, which `before` is
 * inferred and whether the segment ended the connection; at the end, the
 * connection's report. Every script runs twice: with the client on side 0 of
 * the flow key and on side 1. Segments are struct tn_packet values filled by
 * hand, as in test_track.c, and fed through tn_track_update(), the tracker's
 * one entry point that the pipeline (src/pipeline/engine.c) calls too. Views
 * and reports are poisoned with 0xA5 before every call.
 *
 * The numbers are the textbook's: client ISN 1000, server ISN 5000, windows
 * of 8192 bytes (no window scaling), one segment a millisecond.
 *
 * Cases that once showed the implementation disagreeing with RFC 9293 (or
 * RFC 5961) sit in the "regressions" test case, each with the section it
 * follows; they were fixed and must keep passing.
 */
#include <tcpnarrate/track.h>

#include <string.h>

#include "unit.h"

/* Roles. */
#define CL 0
#define SV 1
#define NOBODY (-1)
#define ANYROLE (-2)    /* report field not checked */

#define SYN TN_TH_SYN
#define ACK TN_TH_ACK
#define PSH TN_TH_PSH
#define FIN TN_TH_FIN
#define RST TN_TH_RST

/* States and reasons, short enough for a table row. */
#define CLSD TN_ST_CLOSED
#define LSTN TN_ST_LISTEN
#define SSNT TN_ST_SYN_SENT
#define SRCV TN_ST_SYN_RECEIVED
#define ESTB TN_ST_ESTABLISHED
#define FW1 TN_ST_FIN_WAIT_1
#define FW2 TN_ST_FIN_WAIT_2
#define CLWT TN_ST_CLOSE_WAIT
#define CLSG TN_ST_CLOSING
#define LACK TN_ST_LAST_ACK
#define TMWT TN_ST_TIME_WAIT
#define Y(why) TN_WHY_##why
#define ANY 0xff        /* state, reason or report value not checked */

/*
 * A row's states: client before, client after, server before, server after.
 * Designated, so that a row may leave out the fields after the reasons
 * (-Wmissing-field-initializers is quiet about lists with a designator).
 */
#define ST(cb_, ca_, sb_, sa_) .cb = (cb_), .ca = (ca_), .sb = (sb_), .sa = (sa_)

/* Whose `before` is inferred. */
#define IC 1u
#define IS 2u

#define CI 1000u        /* client ISN */
#define SI 5000u        /* server ISN */
#define WND 8192
#define CPORT 51000
#define SPORT 80

#define MS INT64_C(1000000)
#define SEC INT64_C(1000000000)
#define T0 (1000 * SEC)  /* capture time of a script's first segment */

/*
 * One segment and what it must do. A row: name, sender, flags, seq, ack,
 * payload length, window, ST(the four states), client's and server's reason,
 * then, when not 0/false: inferred, closed, and relative numbers to check.
 */
struct step {
	const char *what;
	int from;                 /* CL or SV */
	uint16_t flags;
	uint32_t seq, ack, len;
	uint16_t win;
	uint8_t cb, ca, sb, sa;   /* client before/after, server before/after */
	uint8_t cwhy, swhy;       /* enum tn_why for client and server */
	unsigned inf;             /* IC | IS */
	bool closed;              /* conn_closed: this segment ended the connection */
	bool rel;                 /* check rel_seq and rel_ack */
	uint32_t rel_seq, rel_ack;
};

#define END { NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, false, 0, 0 }

struct script {
	const char *name;
	const struct step *steps;
	/* the report at the end of the script (TN_REPORT_END_OF_CAPTURE) */
	uint8_t how;              /* enum tn_end, or ANY */
	int tw, closed_first, rst_by;   /* roles, NOBODY, or ANYROLE */
	int established;          /* 1, 0, or ANY */
	bool roles_inferred;
};

static const char *const why_names[TN_WHY_COUNT] = {
	[TN_WHY_NONE] = "NONE",
	[TN_WHY_SENT_SYN] = "SENT_SYN",
	[TN_WHY_GOT_SYN] = "GOT_SYN",
	[TN_WHY_SENT_SYNACK] = "SENT_SYNACK",
	[TN_WHY_GOT_SYNACK] = "GOT_SYNACK",
	[TN_WHY_GOT_ACK_OF_SYN] = "GOT_ACK_OF_SYN",
	[TN_WHY_SIMULTANEOUS_OPEN] = "SIMULTANEOUS_OPEN",
	[TN_WHY_SENT_FIN] = "SENT_FIN",
	[TN_WHY_SENT_FIN_SECOND] = "SENT_FIN_SECOND",
	[TN_WHY_GOT_FIN] = "GOT_FIN",
	[TN_WHY_GOT_ACK_OF_FIN] = "GOT_ACK_OF_FIN",
	[TN_WHY_SIMULTANEOUS_CLOSE] = "SIMULTANEOUS_CLOSE",
	[TN_WHY_GOT_FIN_AFTER_OURS] = "GOT_FIN_AFTER_OURS",
	[TN_WHY_GOT_FIN_AND_ACK] = "GOT_FIN_AND_ACK",
	[TN_WHY_CLOSING_ACKED] = "CLOSING_ACKED",
	[TN_WHY_LAST_ACK_ACKED] = "LAST_ACK_ACKED",
	[TN_WHY_TIME_WAIT_OVER] = "TIME_WAIT_OVER",
	[TN_WHY_TIME_WAIT_AGAIN] = "TIME_WAIT_AGAIN",
	[TN_WHY_SENT_RST] = "SENT_RST",
	[TN_WHY_GOT_RST] = "GOT_RST",
	[TN_WHY_REFUSED] = "REFUSED",
	[TN_WHY_NOT_LISTENING] = "NOT_LISTENING",
	[TN_WHY_RST_IGNORED] = "RST_IGNORED",
	[TN_WHY_RST_CHALLENGED] = "RST_CHALLENGED",
	[TN_WHY_RETRANSMISSION] = "RETRANSMISSION",
	[TN_WHY_AFTER_CLOSE] = "AFTER_CLOSE",
	[TN_WHY_SYN_CHALLENGED] = "SYN_CHALLENGED",
	[TN_WHY_FIN_TAKEN] = "FIN_TAKEN",
};

static const char *why_name(unsigned w)
{
	return w < TN_WHY_COUNT && why_names[w] ? why_names[w] : "?";
}

/* ---- the scripts ---- */

#define HANDSHAKE \
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), \
	  Y(GOT_SYN), IS, false, true, 0, 0 }, \
	{ "server SYN-ACK", SV, SYN | ACK, SI, CI + 1, 0, WND, ST(SSNT, ESTB, SRCV, SRCV), \
	  Y(GOT_SYNACK), Y(NONE), 0, false, true, 0, 1 }, \
	{ "client ACK", CL, ACK, CI + 1, SI + 1, 0, WND, ST(ESTB, ESTB, SRCV, ESTB), Y(NONE), \
	  Y(GOT_ACK_OF_SYN), 0, false, true, 1, 1 }

#define CLIENT_FIN \
	{ "client FIN", CL, FIN | ACK, CI + 1, SI + 1, 0, WND, ST(ESTB, FW1, ESTB, CLWT), \
	  Y(SENT_FIN), Y(GOT_FIN) }

/* Four-way close by the client, right after the handshake. */
#define CLIENT_CLOSES \
	CLIENT_FIN, \
	{ "server ACK of the FIN", SV, ACK, SI + 1, CI + 2, 0, WND, ST(FW1, FW2, CLWT, CLWT), \
	  Y(GOT_ACK_OF_FIN), Y(NONE) }, \
	{ "server FIN", SV, FIN | ACK, SI + 1, CI + 2, 0, WND, ST(FW2, TMWT, CLWT, LACK), \
	  Y(GOT_FIN_AFTER_OURS), Y(SENT_FIN_SECOND) }, \
	{ "client ACK of the FIN", CL, ACK, CI + 2, SI + 2, 0, WND, ST(TMWT, TMWT, LACK, CLSD), \
	  Y(NONE), Y(LAST_ACK_ACKED), 0, true }

/*
 * Simultaneous close up to the client's CLOSING. The server's side is left
 * unchecked (ANY) here: the implementation takes it through CLOSE-WAIT and
 * LAST-ACK, RFC 9293 §3.6 through CLOSING (see b_simultaneous_close).
 */
#define BOTH_FINS \
	CLIENT_FIN, \
	{ "server FIN, not acking the client's", SV, FIN | ACK, SI + 1, CI + 1, 0, WND, \
	  ST(FW1, CLSG, ESTB, ANY), Y(SIMULTANEOUS_CLOSE), ANY }

static const struct step s_handshake[] = {
	HANDSHAKE,
	{ "client data", CL, PSH | ACK, CI + 1, SI + 1, 100, WND, ST(ESTB, ESTB, ESTB, ESTB),
	  Y(NONE), Y(NONE), 0, false, true, 1, 1 },
	{ "server data and ACK", SV, PSH | ACK, SI + 1, CI + 101, 200, WND,
	  ST(ESTB, ESTB, ESTB, ESTB), Y(NONE), Y(NONE), 0, false, true, 1, 101 },
	END,
};

static const struct step s_syn_only[] = {
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), Y(GOT_SYN),
	  IS },
	END,
};

/* SYN-ACK seen first: the roles come from it (client = its receiver). */
static const struct step s_synack_first[] = {
	{ "server SYN-ACK, the SYN unseen", SV, SYN | ACK, SI, CI + 1, 0, WND,
	  ST(SSNT, ANY, LSTN, SRCV), ANY, Y(SENT_SYNACK), IC | IS, false, true, 0, 1 },
	{ "client ACK", CL, ACK, CI + 1, SI + 1, 0, WND, ST(ANY, ANY, SRCV, ESTB), ANY,
	  Y(GOT_ACK_OF_SYN), 0, false, true, 1, 1 },
	END,
};

/* Joined mid-stream, then a three-segment close by the server. */
static const struct step s_mid_stream[] = {
	{ "client data, nothing seen before", CL, PSH | ACK, 700000, 300000, 100, WND,
	  ST(ESTB, ESTB, ESTB, ESTB), Y(NONE), Y(NONE), IC | IS, false, true, 1, 1 },
	{ "server ACK", SV, ACK, 300000, 700100, 0, WND, ST(ESTB, ESTB, ESTB, ESTB), Y(NONE),
	  Y(NONE), 0, false, true, 1, 101 },
	{ "server FIN", SV, FIN | ACK, 300000, 700100, 0, WND, ST(ESTB, CLWT, ESTB, FW1),
	  Y(GOT_FIN), Y(SENT_FIN) },
	{ "client FIN and ACK of the FIN", CL, FIN | ACK, 700100, 300001, 0, WND,
	  ST(CLWT, LACK, FW1, TMWT), Y(SENT_FIN_SECOND), Y(GOT_FIN_AND_ACK) },
	{ "server ACK of the FIN", SV, ACK, 300001, 700101, 0, WND, ST(LACK, CLSD, TMWT, TMWT),
	  Y(LAST_ACK_ACKED), Y(NONE), 0, true },
	END,
};

/* Joined mid-stream on a segment from the server (port 80 to 51000). */
static const struct step s_mid_stream_server_first[] = {
	{ "server data, nothing seen before", SV, PSH | ACK, 300000, 700000, 1000, WND,
	  ST(ESTB, ESTB, ESTB, ESTB), Y(NONE), Y(NONE), IC | IS, false, true, 1, 1 },
	{ "client ACK", CL, ACK, 700000, 301000, 0, WND, ST(ESTB, ESTB, ESTB, ESTB), Y(NONE),
	  Y(NONE), 0, false, true, 1, 1001 },
	END,
};

/* Joined mid-stream on a reset. */
static const struct step s_mid_stream_rst[] = {
	{ "client RST, nothing seen before", CL, RST | ACK, 700000, 300000, 0, 0,
	  ST(ESTB, CLSD, ESTB, CLSD), Y(SENT_RST), Y(GOT_RST), IC | IS, true },
	END,
};

/* RFC 9293 §3.5 Figure 7, seen from one capture point. */
static const struct step s_simultaneous_open[] = {
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), Y(GOT_SYN),
	  IS },
	/* Its SYN has no ACK: the client's SYN had not reached it (corrected: it was LISTEN). */
	{ "server SYN, crossing it", SV, SYN, SI, 0, 0, WND, ST(SSNT, SRCV, LSTN, SRCV),
	  Y(SIMULTANEOUS_OPEN), Y(SIMULTANEOUS_OPEN), IS },
	{ "server SYN-ACK", SV, SYN | ACK, SI, CI + 1, 0, WND, ST(SRCV, ESTB, SRCV, SRCV),
	  Y(GOT_ACK_OF_SYN), Y(NONE) },
	{ "client SYN-ACK", CL, SYN | ACK, CI, SI + 1, 0, WND, ST(ESTB, ESTB, SRCV, ESTB), Y(NONE),
	  Y(GOT_ACK_OF_SYN) },
	{ "server SYN-ACK again", SV, SYN | ACK, SI, CI + 1, 0, WND, ST(ESTB, ESTB, ESTB, ESTB),
	  Y(NONE), Y(RETRANSMISSION) },
	END,
};

static const struct step s_client_closes[] = {
	HANDSHAKE,
	CLIENT_CLOSES,
	END,
};

static const struct step s_server_closes[] = {
	HANDSHAKE,
	{ "server FIN", SV, FIN | ACK, SI + 1, CI + 1, 0, WND, ST(ESTB, CLWT, ESTB, FW1),
	  Y(GOT_FIN), Y(SENT_FIN) },
	{ "client ACK of the FIN", CL, ACK, CI + 1, SI + 2, 0, WND, ST(CLWT, CLWT, FW1, FW2),
	  Y(NONE), Y(GOT_ACK_OF_FIN) },
	{ "client FIN", CL, FIN | ACK, CI + 1, SI + 2, 0, WND, ST(CLWT, LACK, FW2, TMWT),
	  Y(SENT_FIN_SECOND), Y(GOT_FIN_AFTER_OURS) },
	{ "server ACK of the FIN", SV, ACK, SI + 2, CI + 2, 0, WND, ST(LACK, CLSD, TMWT, TMWT),
	  Y(LAST_ACK_ACKED), Y(NONE), 0, true },
	END,
};

static const struct step s_three_segment_client[] = {
	HANDSHAKE,
	CLIENT_FIN,
	{ "server FIN and ACK of the FIN", SV, FIN | ACK, SI + 1, CI + 2, 0, WND,
	  ST(FW1, TMWT, CLWT, LACK), Y(GOT_FIN_AND_ACK), Y(SENT_FIN_SECOND) },
	{ "client ACK of the FIN", CL, ACK, CI + 2, SI + 2, 0, WND, ST(TMWT, TMWT, LACK, CLSD),
	  Y(NONE), Y(LAST_ACK_ACKED), 0, true },
	END,
};

static const struct step s_three_segment_server[] = {
	HANDSHAKE,
	{ "server data and FIN", SV, FIN | PSH | ACK, SI + 1, CI + 1, 10, WND,
	  ST(ESTB, CLWT, ESTB, FW1), Y(GOT_FIN), Y(SENT_FIN), 0, false, true, 1, 1 },
	{ "client FIN and ACK of the FIN", CL, FIN | ACK, CI + 1, SI + 12, 0, WND,
	  ST(CLWT, LACK, FW1, TMWT), Y(SENT_FIN_SECOND), Y(GOT_FIN_AND_ACK), 0, false, true, 1,
	  12 },
	{ "server ACK of the FIN", SV, ACK, SI + 12, CI + 2, 0, WND, ST(LACK, CLSD, TMWT, TMWT),
	  Y(LAST_ACK_ACKED), Y(NONE), 0, true, true, 12, 2 },
	END,
};

/* RFC 9293 §3.6 Figure 13, the client's FIN seen first. */
static const struct step s_simultaneous_close[] = {
	HANDSHAKE,
	BOTH_FINS,
	{ "client ACK of the FIN", CL, ACK, CI + 2, SI + 2, 0, WND, ST(CLSG, CLSG, ANY, ANY),
	  Y(NONE), ANY },
	{ "server ACK of the FIN", SV, ACK, SI + 2, CI + 2, 0, WND, ST(CLSG, TMWT, ANY, ANY),
	  Y(CLOSING_ACKED), ANY, 0, true },
	END,
};

static const struct step s_simultaneous_close_acks_cross[] = {
	HANDSHAKE,
	BOTH_FINS,
	{ "server ACK of the FIN", SV, ACK, SI + 2, CI + 2, 0, WND, ST(CLSG, TMWT, ANY, ANY),
	  Y(CLOSING_ACKED), ANY },
	{ "client ACK of the FIN", CL, ACK, CI + 2, SI + 2, 0, WND, ST(TMWT, TMWT, ANY, ANY),
	  Y(NONE), ANY, 0, true },
	END,
};

/* The client closes its half; the server keeps sending, then closes. */
static const struct step s_half_close[] = {
	HANDSHAKE,
	{ "client data", CL, PSH | ACK, CI + 1, SI + 1, 100, WND, ST(ESTB, ESTB, ESTB, ESTB),
	  Y(NONE), Y(NONE) },
	{ "client FIN", CL, FIN | ACK, CI + 101, SI + 1, 0, WND, ST(ESTB, FW1, ESTB, CLWT),
	  Y(SENT_FIN), Y(GOT_FIN), 0, false, true, 101, 1 },
	{ "server ACK of data and FIN", SV, ACK, SI + 1, CI + 102, 0, WND, ST(FW1, FW2, CLWT, CLWT),
	  Y(GOT_ACK_OF_FIN), Y(NONE) },
	{ "server data after the FIN", SV, PSH | ACK, SI + 1, CI + 102, 200, WND,
	  ST(FW2, FW2, CLWT, CLWT), Y(NONE), Y(NONE) },
	{ "client ACK of the data", CL, ACK, CI + 102, SI + 201, 0, WND, ST(FW2, FW2, CLWT, CLWT),
	  Y(NONE), Y(NONE) },
	{ "more server data", SV, PSH | ACK, SI + 201, CI + 102, 300, WND, ST(FW2, FW2, CLWT, CLWT),
	  Y(NONE), Y(NONE) },
	{ "server FIN", SV, FIN | ACK, SI + 501, CI + 102, 0, WND, ST(FW2, TMWT, CLWT, LACK),
	  Y(GOT_FIN_AFTER_OURS), Y(SENT_FIN_SECOND), 0, false, true, 501, 102 },
	{ "client ACK of the FIN", CL, ACK, CI + 102, SI + 502, 0, WND, ST(TMWT, TMWT, LACK, CLSD),
	  Y(NONE), Y(LAST_ACK_ACKED), 0, true, true, 102, 502 },
	END,
};

/* Half-closed when the capture ends: still open. */
static const struct step s_half_closed_at_end[] = {
	HANDSHAKE,
	CLIENT_FIN,
	{ "server ACK of the FIN", SV, ACK, SI + 1, CI + 2, 0, WND, ST(FW1, FW2, CLWT, CLWT),
	  Y(GOT_ACK_OF_FIN), Y(NONE) },
	END,
};

/* The FIN comes after the data it carries: only an ACK past both acknowledges it. */
static const struct step s_fin_with_data[] = {
	HANDSHAKE,
	{ "client data and FIN", CL, FIN | PSH | ACK, CI + 1, SI + 1, 100, WND,
	  ST(ESTB, FW1, ESTB, CLWT), Y(SENT_FIN), Y(GOT_FIN), 0, false, true, 1, 1 },
	/* Its ACK stops short of the FIN: it had not taken it (a correction: ESTABLISHED). */
	{ "server ACK of the data, not the FIN", SV, ACK, SI + 1, CI + 101, 0, WND,
	  ST(FW1, FW1, ESTB, ESTB), Y(NONE), Y(NONE), 0, false, true, 1, 101 },
	{ "client data and FIN again", CL, FIN | PSH | ACK, CI + 1, SI + 1, 100, WND,
	  ST(FW1, FW1, ESTB, CLWT), Y(RETRANSMISSION), Y(GOT_FIN), 0, false, true, 1, 1 },
	{ "client FIN alone again", CL, FIN | ACK, CI + 101, SI + 1, 0, WND,
	  ST(FW1, FW1, CLWT, CLWT), Y(RETRANSMISSION), Y(NONE), 0, false, true, 101, 1 },
	{ "server ACK of the FIN", SV, ACK, SI + 1, CI + 102, 0, WND, ST(FW1, FW2, CLWT, CLWT),
	  Y(GOT_ACK_OF_FIN), Y(NONE), 0, false, true, 1, 102 },
	END,
};

/* RFC 9293 §3.10.7.4, RFC 5961 §4: a SYN inside an open connection changes nothing. */
static const struct step s_syn_in_established[] = {
	HANDSHAKE,
	{ "client SYN with a new ISN", CL, SYN, CI + 900000, 0, 0, WND, ST(ESTB, ESTB, ESTB, ESTB),
	  Y(SYN_CHALLENGED), Y(SYN_CHALLENGED) },
	{ "client data, as before", CL, PSH | ACK, CI + 1, SI + 1, 10, WND,
	  ST(ESTB, ESTB, ESTB, ESTB), Y(NONE), Y(NONE), 0, false, true, 1, 1 },
	END,
};

/* TCP Fast Open (RFC 7413): data on the SYN takes sequence numbers after it. */
static const struct step s_fast_open[] = {
	{ "client SYN with 50 bytes", CL, SYN, CI, 0, 50, WND, ST(CLSD, SSNT, LSTN, SRCV),
	  Y(SENT_SYN), Y(GOT_SYN), IS, false, true, 0, 0 },
	{ "server SYN-ACK of SYN and data", SV, SYN | ACK, SI, CI + 51, 0, WND,
	  ST(SSNT, ESTB, SRCV, SRCV), Y(GOT_SYNACK), Y(NONE), 0, false, true, 0, 51 },
	{ "client ACK", CL, ACK, CI + 51, SI + 1, 0, WND, ST(ESTB, ESTB, SRCV, ESTB), Y(NONE),
	  Y(GOT_ACK_OF_SYN), 0, false, true, 51, 1 },
	{ "client FIN", CL, FIN | ACK, CI + 51, SI + 1, 0, WND, ST(ESTB, FW1, ESTB, CLWT),
	  Y(SENT_FIN), Y(GOT_FIN), 0, false, true, 51, 1 },
	/* Its ACK stops short of the FIN: not taken yet (a correction: ESTABLISHED) ... */
	{ "server ACK up to the FIN", SV, ACK, SI + 1, CI + 51, 0, WND, ST(FW1, FW1, ESTB, ESTB),
	  Y(NONE), Y(NONE), 0, false, true, 1, 51 },
	/* ... until an ACK covers it (§3.10.7.4: a FIN is processed in sequence). */
	{ "server ACK of the FIN", SV, ACK, SI + 1, CI + 52, 0, WND, ST(FW1, FW2, ESTB, CLWT),
	  Y(GOT_ACK_OF_FIN), Y(FIN_TAKEN), 0, false, true, 1, 52 },
	END,
};

/* Fast Open cookie rejected: the SYN-ACK acknowledges the SYN only. */
static const struct step s_fast_open_data_not_acked[] = {
	{ "client SYN with 50 bytes", CL, SYN, CI, 0, 50, WND, ST(CLSD, SSNT, LSTN, SRCV),
	  Y(SENT_SYN), Y(GOT_SYN), IS },
	{ "server SYN-ACK of the SYN only", SV, SYN | ACK, SI, CI + 1, 0, WND,
	  ST(SSNT, ESTB, SRCV, SRCV), Y(GOT_SYNACK), Y(NONE), 0, false, true, 0, 1 },
	{ "client sends the data again", CL, PSH | ACK, CI + 1, SI + 1, 50, WND,
	  ST(ESTB, ESTB, SRCV, ESTB), Y(NONE), Y(GOT_ACK_OF_SYN), 0, false, true, 1, 1 },
	END,
};

/* The server closes in SYN-RECEIVED (RFC 9293 §3.10.4, CLOSE call). */
static const struct step s_server_fin_before_ack[] = {
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), Y(GOT_SYN),
	  IS },
	{ "server SYN-ACK", SV, SYN | ACK, SI, CI + 1, 0, WND, ST(SSNT, ESTB, SRCV, SRCV),
	  Y(GOT_SYNACK), Y(NONE) },
	{ "server FIN before the client's ACK", SV, FIN | ACK, SI + 1, CI + 1, 0, WND,
	  ST(ESTB, CLWT, SRCV, FW1), Y(GOT_FIN), Y(SENT_FIN) },
	{ "client ACK of SYN and FIN", CL, ACK, CI + 1, SI + 2, 0, WND, ST(CLWT, CLWT, FW1, FW2),
	  Y(NONE), Y(GOT_ACK_OF_FIN) },
	{ "client FIN", CL, FIN | ACK, CI + 1, SI + 2, 0, WND, ST(CLWT, LACK, FW2, TMWT),
	  Y(SENT_FIN_SECOND), Y(GOT_FIN_AFTER_OURS) },
	{ "server ACK of the FIN", SV, ACK, SI + 2, CI + 2, 0, WND, ST(LACK, CLSD, TMWT, TMWT),
	  Y(LAST_ACK_ACKED), Y(NONE), 0, true },
	END,
};

/* The handshake's last ACK carries the client's FIN. */
static const struct step s_fin_completes_handshake[] = {
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), Y(GOT_SYN),
	  IS },
	{ "server SYN-ACK", SV, SYN | ACK, SI, CI + 1, 0, WND, ST(SSNT, ESTB, SRCV, SRCV),
	  Y(GOT_SYNACK), Y(NONE) },
	{ "client FIN and ACK of the SYN", CL, FIN | ACK, CI + 1, SI + 1, 0, WND,
	  ST(ESTB, FW1, SRCV, CLWT), Y(SENT_FIN), Y(GOT_FIN) },
	END,
};

/* RFC 9293 §3.10.7.3: an ACK =< ISS is not acceptable in SYN-SENT. */
static const struct step s_synack_acks_iss[] = {
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), Y(GOT_SYN),
	  IS },
	{ "server SYN-ACK acking the ISN itself", SV, SYN | ACK, SI, CI, 0, WND,
	  ST(SSNT, SSNT, SRCV, SRCV), Y(NONE), Y(NONE) },
	END,
};

/* ---- resets ---- */

/* RFC 9293 §3.10.7.3: a reset acknowledging the SYN refuses it. */
static const struct step s_refused[] = {
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), Y(GOT_SYN),
	  IS },
	{ "server RST+ACK of the SYN", SV, RST | ACK, 0, CI + 1, 0, 0, ST(SSNT, CLSD, SRCV, CLSD),
	  Y(REFUSED), ANY, 0, true },
	END,
};

static const struct step s_refused_fast_open_syn_only[] = {
	{ "client SYN with 50 bytes", CL, SYN, CI, 0, 50, WND, ST(CLSD, SSNT, LSTN, SRCV),
	  Y(SENT_SYN), Y(GOT_SYN), IS },
	{ "server RST+ACK of the SYN", SV, RST | ACK, 0, CI + 1, 0, 0, ST(SSNT, CLSD, SRCV, CLSD),
	  Y(REFUSED), ANY, 0, true },
	END,
};

static const struct step s_rst_syn_sent_wrong_ack[] = {
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), Y(GOT_SYN),
	  IS },
	{ "RST+ACK past the SYN", SV, RST | ACK, 0, CI + 77, 0, 0, ST(SSNT, SSNT, SRCV, SRCV),
	  Y(RST_IGNORED), Y(RST_IGNORED) },
	{ "RST+ACK of the ISN itself", SV, RST | ACK, 0, CI, 0, 0, ST(SSNT, SSNT, SRCV, SRCV),
	  Y(RST_IGNORED), Y(RST_IGNORED) },
	{ "RST without ACK", SV, RST, 0, 0, 0, 0, ST(SSNT, SSNT, SRCV, SRCV), Y(RST_IGNORED),
	  Y(RST_IGNORED) },
	END,
};

/* The client resets the server's half-open connection (server side checked in "regressions"). */
static const struct step s_rst_syn_received[] = {
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), Y(GOT_SYN),
	  IS },
	{ "server SYN-ACK", SV, SYN | ACK, SI, CI + 1, 0, WND, ST(SSNT, ESTB, SRCV, SRCV),
	  Y(GOT_SYNACK), Y(NONE) },
	{ "client RST", CL, RST, CI + 1, 0, 0, 0, ST(ESTB, CLSD, SRCV, ANY), Y(SENT_RST),
	  Y(GOT_RST), 0, true },
	END,
};

/* SYN-RECEIVED reached by an active open: a reset closes it (§3.10.7.4). */
static const struct step s_rst_syn_received_active[] = {
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), Y(GOT_SYN),
	  IS },
	/* Its SYN has no ACK: the client's SYN had not reached it (corrected: it was LISTEN). */
	{ "server SYN, crossing it", SV, SYN, SI, 0, 0, WND, ST(SSNT, SRCV, LSTN, SRCV),
	  Y(SIMULTANEOUS_OPEN), Y(SIMULTANEOUS_OPEN), IS },
	{ "server RST", SV, RST, SI + 1, 0, 0, 0, ST(SRCV, CLSD, SRCV, CLSD), Y(GOT_RST),
	  Y(SENT_RST), 0, true },
	END,
};

static const struct step s_rst_established_client[] = {
	HANDSHAKE,
	{ "client data", CL, PSH | ACK, CI + 1, SI + 1, 100, WND, ST(ESTB, ESTB, ESTB, ESTB),
	  Y(NONE), Y(NONE) },
	{ "server ACK", SV, ACK, SI + 1, CI + 101, 0, WND, ST(ESTB, ESTB, ESTB, ESTB), Y(NONE),
	  Y(NONE) },
	{ "client RST+ACK", CL, RST | ACK, CI + 101, SI + 1, 0, 0, ST(ESTB, CLSD, ESTB, CLSD),
	  Y(SENT_RST), Y(GOT_RST), 0, true },
	END,
};

static const struct step s_rst_established_server[] = {
	HANDSHAKE,
	{ "server RST", SV, RST, SI + 1, 0, 0, 0, ST(ESTB, CLSD, ESTB, CLSD), Y(GOT_RST),
	  Y(SENT_RST), 0, true },
	END,
};

/* The sender's next number counts as exact though the receiver has not acked it yet. */
static const struct step s_rst_after_unacked_data[] = {
	HANDSHAKE,
	{ "client data", CL, PSH | ACK, CI + 1, SI + 1, 100, WND, ST(ESTB, ESTB, ESTB, ESTB),
	  Y(NONE), Y(NONE) },
	{ "client RST after it", CL, RST, CI + 101, 0, 0, 0, ST(ESTB, CLSD, ESTB, CLSD),
	  Y(SENT_RST), Y(GOT_RST), 0, true },
	END,
};

/* RFC 5961 §3.2: in the window but not exact: challenge ACK, then the exact one. */
static const struct step s_rst_challenged[] = {
	HANDSHAKE,
	{ "server RST 100 into the window", SV, RST, SI + 101, 0, 0, 0, ST(ESTB, ESTB, ESTB, ESTB),
	  Y(RST_CHALLENGED), Y(RST_CHALLENGED) },
	{ "client challenge ACK", CL, ACK, CI + 1, SI + 1, 0, WND, ST(ESTB, ESTB, ESTB, ESTB),
	  Y(NONE), Y(NONE) },
	{ "server RST, exact", SV, RST, SI + 1, 0, 0, 0, ST(ESTB, CLSD, ESTB, CLSD), Y(GOT_RST),
	  Y(SENT_RST), 0, true },
	END,
};

static const struct step s_rst_challenged_last_byte[] = {
	HANDSHAKE,
	{ "server RST at the window's last byte", SV, RST, SI + WND, 0, 0, 0,
	  ST(ESTB, ESTB, ESTB, ESTB), Y(RST_CHALLENGED), Y(RST_CHALLENGED) },
	END,
};

static const struct step s_rst_outside_window[] = {
	HANDSHAKE,
	{ "server RST past the window", SV, RST, SI + 1 + 100000, 0, 0, 0,
	  ST(ESTB, ESTB, ESTB, ESTB), Y(RST_IGNORED), Y(RST_IGNORED) },
	{ "client data goes on", CL, PSH | ACK, CI + 1, SI + 1, 10, WND, ST(ESTB, ESTB, ESTB, ESTB),
	  Y(NONE), Y(NONE) },
	END,
};

static const struct step s_rst_just_past_window[] = {
	HANDSHAKE,
	{ "server RST one past the window", SV, RST, SI + 1 + WND, 0, 0, 0,
	  ST(ESTB, ESTB, ESTB, ESTB), Y(RST_IGNORED), Y(RST_IGNORED) },
	END,
};

static const struct step s_rst_before_window[] = {
	HANDSHAKE,
	{ "server RST at its ISN (old)", SV, RST, SI, 0, 0, 0, ST(ESTB, ESTB, ESTB, ESTB),
	  Y(RST_IGNORED), Y(RST_IGNORED) },
	END,
};

/* RFC 9293 §3.10.7.4: with a zero window only RCV.NXT is acceptable. */
static const struct step s_rst_zero_window[] = {
	HANDSHAKE,
	{ "client advertises a zero window", CL, ACK, CI + 1, SI + 1, 0, 0,
	  ST(ESTB, ESTB, ESTB, ESTB), Y(NONE), Y(NONE) },
	{ "server RST one past RCV.NXT", SV, RST, SI + 2, 0, 0, 0, ST(ESTB, ESTB, ESTB, ESTB),
	  Y(RST_IGNORED), Y(RST_IGNORED) },
	{ "server RST, exact", SV, RST, SI + 1, 0, 0, 0, ST(ESTB, CLSD, ESTB, CLSD), Y(GOT_RST),
	  Y(SENT_RST), 0, true },
	END,
};

static const struct step s_rst_fin_wait_1[] = {
	HANDSHAKE,
	CLIENT_FIN,
	{ "server RST", SV, RST, SI + 1, 0, 0, 0, ST(FW1, CLSD, CLWT, CLSD), Y(GOT_RST),
	  Y(SENT_RST), 0, true },
	END,
};

static const struct step s_rst_from_fin_wait_1[] = {
	HANDSHAKE,
	CLIENT_FIN,
	{ "client RST after its FIN", CL, RST, CI + 2, 0, 0, 0, ST(FW1, CLSD, CLWT, CLSD),
	  Y(SENT_RST), Y(GOT_RST), 0, true },
	END,
};

static const struct step s_rst_fin_wait_2[] = {
	HANDSHAKE,
	CLIENT_FIN,
	{ "server ACK of the FIN", SV, ACK, SI + 1, CI + 2, 0, WND, ST(FW1, FW2, CLWT, CLWT),
	  Y(GOT_ACK_OF_FIN), Y(NONE) },
	{ "server RST", SV, RST, SI + 1, 0, 0, 0, ST(FW2, CLSD, CLWT, CLSD), Y(GOT_RST),
	  Y(SENT_RST), 0, true },
	END,
};

/* A reset after a FIN, into CLOSE-WAIT. */
static const struct step s_rst_close_wait[] = {
	HANDSHAKE,
	CLIENT_FIN,
	{ "server ACK of the FIN", SV, ACK, SI + 1, CI + 2, 0, WND, ST(FW1, FW2, CLWT, CLWT),
	  Y(GOT_ACK_OF_FIN), Y(NONE) },
	{ "server data", SV, PSH | ACK, SI + 1, CI + 2, 10, WND, ST(FW2, FW2, CLWT, CLWT), Y(NONE),
	  Y(NONE) },
	{ "client RST after its FIN", CL, RST, CI + 2, 0, 0, 0, ST(FW2, CLSD, CLWT, CLSD),
	  Y(SENT_RST), Y(GOT_RST), 0, true },
	END,
};

static const struct step s_rst_closing[] = {
	HANDSHAKE,
	BOTH_FINS,
	{ "server RST after its FIN", SV, RST, SI + 2, 0, 0, 0, ST(CLSG, CLSD, ANY, CLSD),
	  Y(GOT_RST), Y(SENT_RST), 0, true },
	END,
};

static const struct step s_rst_last_ack[] = {
	HANDSHAKE,
	CLIENT_FIN,
	{ "server FIN and ACK of the FIN", SV, FIN | ACK, SI + 1, CI + 2, 0, WND,
	  ST(FW1, TMWT, CLWT, LACK), Y(GOT_FIN_AND_ACK), Y(SENT_FIN_SECOND) },
	{ "client RST", CL, RST, CI + 2, 0, 0, 0, ST(TMWT, CLSD, LACK, CLSD), Y(SENT_RST),
	  Y(GOT_RST), 0, true },
	END,
};

static const struct step s_rst_time_wait_last_ack[] = {
	HANDSHAKE,
	CLIENT_FIN,
	{ "server FIN and ACK of the FIN", SV, FIN | ACK, SI + 1, CI + 2, 0, WND,
	  ST(FW1, TMWT, CLWT, LACK), Y(GOT_FIN_AND_ACK), Y(SENT_FIN_SECOND) },
	{ "server RST after its FIN", SV, RST, SI + 2, 0, 0, 0, ST(TMWT, CLSD, LACK, CLSD),
	  Y(GOT_RST), Y(SENT_RST), 0, true },
	END,
};

/* RFC 9293 §3.10.7.4, TIME-WAIT: a reset closes it (the connection had already ended). */
static const struct step s_rst_time_wait[] = {
	HANDSHAKE,
	CLIENT_CLOSES,
	{ "server RST", SV, RST, SI + 2, 0, 0, 0, ST(TMWT, CLSD, CLSD, CLSD), Y(GOT_RST),
	  Y(SENT_RST) },
	END,
};

static const struct step s_after_rst[] = {
	HANDSHAKE,
	{ "client RST", CL, RST, CI + 1, 0, 0, 0, ST(ESTB, CLSD, ESTB, CLSD), Y(SENT_RST),
	  Y(GOT_RST), 0, true },
	{ "client data after it", CL, PSH | ACK, CI + 1, SI + 1, 10, WND,
	  ST(CLSD, CLSD, CLSD, CLSD), Y(AFTER_CLOSE), Y(AFTER_CLOSE) },
	{ "server RST", SV, RST, SI + 1, 0, 0, 0, ST(CLSD, CLSD, CLSD, CLSD), Y(AFTER_CLOSE),
	  Y(AFTER_CLOSE) },
	{ "server ACK", SV, ACK, SI + 1, CI + 1, 0, WND, ST(CLSD, CLSD, CLSD, CLSD), Y(AFTER_CLOSE),
	  Y(AFTER_CLOSE) },
	END,
};

static const struct step s_after_refused[] = {
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), Y(GOT_SYN),
	  IS },
	{ "server RST+ACK of the SYN", SV, RST | ACK, 0, CI + 1, 0, 0, ST(SSNT, CLSD, SRCV, CLSD),
	  Y(REFUSED), ANY, 0, true },
	{ "the same RST+ACK again", SV, RST | ACK, 0, CI + 1, 0, 0, ST(CLSD, CLSD, CLSD, CLSD),
	  Y(AFTER_CLOSE), Y(AFTER_CLOSE) },
	END,
};

/* ---- retransmissions, after close ---- */

static const struct step s_retransmissions[] = {
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), Y(GOT_SYN),
	  IS },
	{ "client SYN again", CL, SYN, CI, 0, 0, WND, ST(SSNT, SSNT, SRCV, SRCV), Y(RETRANSMISSION),
	  Y(NONE) },
	{ "server SYN-ACK", SV, SYN | ACK, SI, CI + 1, 0, WND, ST(SSNT, ESTB, SRCV, SRCV),
	  Y(GOT_SYNACK), Y(NONE) },
	{ "server SYN-ACK again", SV, SYN | ACK, SI, CI + 1, 0, WND, ST(ESTB, ESTB, SRCV, SRCV),
	  Y(NONE), Y(RETRANSMISSION), 0, false, true, 0, 1 },
	{ "client ACK", CL, ACK, CI + 1, SI + 1, 0, WND, ST(ESTB, ESTB, SRCV, ESTB), Y(NONE),
	  Y(GOT_ACK_OF_SYN) },
	CLIENT_FIN,
	{ "client FIN again", CL, FIN | ACK, CI + 1, SI + 1, 0, WND, ST(FW1, FW1, CLWT, CLWT),
	  Y(RETRANSMISSION), Y(NONE) },
	{ "server ACK of the FIN", SV, ACK, SI + 1, CI + 2, 0, WND, ST(FW1, FW2, CLWT, CLWT),
	  Y(GOT_ACK_OF_FIN), Y(NONE) },
	/* Sent before the ACK of its FIN reached it: it was still in FIN-WAIT-1 (a correction). */
	{ "client FIN again, already acked", CL, FIN | ACK, CI + 1, SI + 1, 0, WND,
	  ST(FW1, FW2, CLWT, CLWT), Y(GOT_ACK_OF_FIN), Y(NONE) },
	{ "server FIN", SV, FIN | ACK, SI + 1, CI + 2, 0, WND, ST(FW2, TMWT, CLWT, LACK),
	  Y(GOT_FIN_AFTER_OURS), Y(SENT_FIN_SECOND) },
	{ "server FIN again: TIME-WAIT restarts", SV, FIN | ACK, SI + 1, CI + 2, 0, WND,
	  ST(TMWT, TMWT, LACK, LACK), Y(TIME_WAIT_AGAIN), Y(RETRANSMISSION) },
	{ "client ACK of the FIN", CL, ACK, CI + 2, SI + 2, 0, WND, ST(TMWT, TMWT, LACK, CLSD),
	  Y(NONE), Y(LAST_ACK_ACKED), 0, true },
	/* Its FIN again: the last ACK had not reached it, it was still in LAST-ACK (a correction). */
	{ "server FIN again from CLOSED", SV, FIN | ACK, SI + 1, CI + 2, 0, WND,
	  ST(TMWT, TMWT, LACK, CLSD), Y(TIME_WAIT_AGAIN), Y(LAST_ACK_ACKED) },
	END,
};

static const struct step s_after_close[] = {
	HANDSHAKE,
	CLIENT_CLOSES,
	/* A closed endpoint sends nothing: the last ACK had not reached it (a correction). */
	{ "server data after it closed", SV, PSH | ACK, SI + 2, CI + 2, 10, WND,
	  ST(TMWT, TMWT, LACK, CLSD), Y(NONE), Y(LAST_ACK_ACKED) },
	{ "client ACK to the closed server", CL, ACK, CI + 2, SI + 12, 0, WND,
	  ST(TMWT, TMWT, CLSD, CLSD), Y(NONE), Y(AFTER_CLOSE) },
	END,
};

/* A report with nobody in TIME-WAIT, no FIN and no reset. */
#define UNCLOSED(how, est) TN_END_##how, NOBODY, NOBODY, NOBODY, est

static const struct script scripts[] = {
	{ "three-way handshake, then data", s_handshake, UNCLOSED(OPEN, 1), false },
	{ "a SYN and nothing else", s_syn_only, UNCLOSED(HALF_OPEN, 0), false },
	{ "SYN-ACK first: roles from it", s_synack_first, ANY, NOBODY, NOBODY, NOBODY, ANY, false },
	{ "mid-stream join, server closes", s_mid_stream, TN_END_FIN, SV, SV, NOBODY, 1, true },
	{ "mid-stream join on a server segment", s_mid_stream_server_first, UNCLOSED(OPEN, 1),
	  true },
	{ "mid-stream join on a reset", s_mid_stream_rst, TN_END_RST, NOBODY, NOBODY, CL, 1, true },
	{ "simultaneous open", s_simultaneous_open, UNCLOSED(OPEN, 1), false },
	{ "four-way close by the client", s_client_closes, TN_END_FIN, CL, CL, NOBODY, 1, false },
	{ "four-way close by the server", s_server_closes, TN_END_FIN, SV, SV, NOBODY, 1, false },
	{ "three-segment close by the client", s_three_segment_client, TN_END_FIN, CL, CL, NOBODY,
	  1, false },
	{ "three-segment close by the server, data on its FIN", s_three_segment_server, TN_END_FIN,
	  SV, SV, NOBODY, 1, false },
	{ "simultaneous close", s_simultaneous_close, TN_END_FIN, ANYROLE, CL, NOBODY, 1, false },
	{ "simultaneous close, the ACKs cross", s_simultaneous_close_acks_cross, TN_END_FIN,
	  ANYROLE, CL, NOBODY, 1, false },
	{ "half-close: data after the client's FIN", s_half_close, TN_END_FIN, CL, CL, NOBODY, 1,
	  false },
	{ "half-closed at the end of the capture", s_half_closed_at_end, TN_END_OPEN, NOBODY, CL,
	  NOBODY, 1, false },
	{ "FIN carrying data", s_fin_with_data, TN_END_OPEN, NOBODY, CL, NOBODY, 1, false },
	{ "SYN carrying data (Fast Open)", s_fast_open, TN_END_OPEN, NOBODY, CL, NOBODY, 1, false },
	{ "SYN with a new ISN while established", s_syn_in_established, TN_END_OPEN, NOBODY, NOBODY,
	  NOBODY, 1, false },
	{ "Fast Open data not acknowledged", s_fast_open_data_not_acked, UNCLOSED(OPEN, 1), false },
	{ "server FIN in SYN-RECEIVED", s_server_fin_before_ack, TN_END_FIN, SV, SV, NOBODY, 1,
	  false },
	{ "the handshake's ACK carries a FIN", s_fin_completes_handshake, TN_END_OPEN, NOBODY, CL,
	  NOBODY, 1, false },
	{ "SYN-ACK acking the ISN is not acceptable", s_synack_acks_iss, UNCLOSED(HALF_OPEN, 0),
	  false },
	{ "refused", s_refused, TN_END_REFUSED, NOBODY, NOBODY, SV, 0, false },
	{ "Fast Open SYN refused, RST acking the SYN only", s_refused_fast_open_syn_only,
	  TN_END_REFUSED, NOBODY, NOBODY, SV, 0, false },
	{ "RST in SYN-SENT not acking the SYN", s_rst_syn_sent_wrong_ack, UNCLOSED(HALF_OPEN, 0),
	  false },
	{ "RST in SYN-RECEIVED", s_rst_syn_received, TN_END_RST, NOBODY, NOBODY, CL, 0, false },
	{ "RST in SYN-RECEIVED after a simultaneous open", s_rst_syn_received_active, TN_END_RST,
	  NOBODY, NOBODY, SV, 0, false },
	{ "RST in ESTABLISHED by the client", s_rst_established_client, TN_END_RST, NOBODY, NOBODY,
	  CL, 1, false },
	{ "RST in ESTABLISHED by the server", s_rst_established_server, TN_END_RST, NOBODY, NOBODY,
	  SV, 1, false },
	{ "RST right after unacknowledged data", s_rst_after_unacked_data, TN_END_RST, NOBODY,
	  NOBODY, CL, 1, false },
	{ "RST in the window, not exact: challenged", s_rst_challenged, TN_END_RST, NOBODY, NOBODY,
	  SV, 1, false },
	{ "RST at the window's last byte: challenged", s_rst_challenged_last_byte,
	  UNCLOSED(OPEN, 1), false },
	{ "RST outside the window: ignored", s_rst_outside_window, UNCLOSED(OPEN, 1), false },
	{ "RST one past the window: ignored", s_rst_just_past_window, UNCLOSED(OPEN, 1), false },
	{ "RST before the window: ignored", s_rst_before_window, UNCLOSED(OPEN, 1), false },
	{ "RST and a zero window", s_rst_zero_window, TN_END_RST, NOBODY, NOBODY, SV, 1, false },
	{ "RST in FIN-WAIT-1", s_rst_fin_wait_1, TN_END_RST, NOBODY, CL, SV, 1, false },
	{ "RST from FIN-WAIT-1", s_rst_from_fin_wait_1, TN_END_RST, NOBODY, CL, CL, 1, false },
	{ "RST in FIN-WAIT-2", s_rst_fin_wait_2, TN_END_RST, NOBODY, CL, SV, 1, false },
	{ "RST after FIN, in CLOSE-WAIT", s_rst_close_wait, TN_END_RST, NOBODY, CL, CL, 1, false },
	{ "RST in CLOSING", s_rst_closing, TN_END_RST, NOBODY, CL, SV, 1, false },
	{ "RST in LAST-ACK", s_rst_last_ack, TN_END_RST, NOBODY, CL, CL, 1, false },
	{ "RST in TIME-WAIT, peer in LAST-ACK", s_rst_time_wait_last_ack, TN_END_RST, NOBODY, CL,
	  SV, 1, false },
	{ "RST in TIME-WAIT, peer closed", s_rst_time_wait, ANY, NOBODY, CL, SV, 1, false },
	{ "segments after a reset", s_after_rst, TN_END_RST, NOBODY, NOBODY, CL, 1, false },
	{ "segments after a refusal", s_after_refused, TN_END_REFUSED, NOBODY, NOBODY, SV, 0,
	  false },
	{ "retransmitted SYN, SYN-ACK and FIN", s_retransmissions, TN_END_FIN, CL, CL, NOBODY, 1,
	  false },
	{ "segments after the close", s_after_close, TN_END_FIN, CL, CL, NOBODY, 1, false },
	{ NULL, NULL, 0, 0, 0, 0, 0, false },
};

/* ---- regressions: what RFC 9293 (or RFC 5961) asks and the implementation once did not ---- */

/*
 * SYN-ACK first, the SYN unseen: the client, in SYN-SENT (inferred), gets a
 * SYN-ACK whose ACK is acceptable, so it enters ESTABLISHED (RFC 9293
 * §3.10.7.3, SYN-SENT, "fourth, check the SYN bit"). Its ACK that follows
 * confirms it. The implementation leaves it in SYN-SENT for good (its SYN was
 * never seen, so nothing marks it acknowledged): its FIN moves nothing, the
 * connection never ends (tn_track_conn_over() stays false after both FINs
 * and the last ACK) and its report says half-open.
 */
static const struct step b_synack_first[] = {
	{ "server SYN-ACK, the SYN unseen", SV, SYN | ACK, SI, CI + 1, 0, WND,
	  ST(SSNT, ESTB, LSTN, SRCV), Y(GOT_SYNACK), Y(SENT_SYNACK), IC | IS },
	{ "client ACK", CL, ACK, CI + 1, SI + 1, 0, WND, ST(ESTB, ESTB, SRCV, ESTB), Y(NONE),
	  Y(GOT_ACK_OF_SYN) },
	CLIENT_FIN,
	{ "server FIN and ACK of the FIN", SV, FIN | ACK, SI + 1, CI + 2, 0, WND,
	  ST(FW1, TMWT, CLWT, LACK), Y(GOT_FIN_AND_ACK), Y(SENT_FIN_SECOND) },
	{ "client ACK of the FIN", CL, ACK, CI + 2, SI + 2, 0, WND, ST(TMWT, TMWT, LACK, CLSD),
	  Y(NONE), Y(LAST_ACK_ACKED), 0, true },
	END,
};

/*
 * Refused: a RST,ACK acking the SYN, with no SYN-ACK before it, is what an
 * endpoint with no listener sends (RFC 9293 §3.10.7.1: CLOSED answers with
 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; in LISTEN a SYN gets a SYN-ACK,
 * §3.10.7.2). track.h names this TN_WHY_NOT_LISTENING. The implementation
 * says TN_WHY_SENT_RST: the client's SYN already moved the server to
 * SYN-RECEIVED, so its test for LISTEN/CLOSED in reset_arrives() never holds
 * and TN_WHY_NOT_LISTENING is never produced.
 */
static const struct step b_refused_not_listening[] = {
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), Y(GOT_SYN),
	  IS },
	{ "server RST+ACK of the SYN", SV, RST | ACK, 0, CI + 1, 0, 0, ST(SSNT, CLSD, ANY, CLSD),
	  Y(REFUSED), Y(NOT_LISTENING), 0, true },
	END,
};

/*
 * Fast Open SYN refused: the closed port acks SEG.SEQ + SEG.LEN = ISN + 51
 * (RFC 9293 §3.10.7.1), an acceptable ACK in SYN-SENT (ISS < SEG.ACK =<
 * SND.NXT, §3.10.7.3), so the reset refuses the connection. The
 * implementation accepts only ACK == ISN + 1 and ignores it.
 */
static const struct step b_refused_fast_open[] = {
	{ "client SYN with 50 bytes", CL, SYN, CI, 0, 50, WND, ST(CLSD, SSNT, LSTN, SRCV),
	  Y(SENT_SYN), Y(GOT_SYN), IS },
	{ "server RST+ACK of SYN and data", SV, RST | ACK, 0, CI + 51, 0, 0,
	  ST(SSNT, CLSD, SRCV, CLSD), Y(REFUSED), ANY, 0, true },
	END,
};

/*
 * A SYN-ACK whose ACK is past SND.NXT is not acceptable in SYN-SENT: the
 * client sends a reset and stays in SYN-SENT (RFC 9293 §3.10.7.3, "If SEG.ACK
 * =< ISS or SEG.ACK > SND.NXT, send a reset ... discard the segment"). The
 * implementation takes any ACK past the ISN and moves it to ESTABLISHED.
 */
static const struct step b_synack_ack_past_snd_nxt[] = {
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), Y(GOT_SYN),
	  IS },
	{ "server SYN-ACK acking 5 past the SYN", SV, SYN | ACK, SI, CI + 5, 0, WND,
	  ST(SSNT, SSNT, SRCV, SRCV), Y(NONE), Y(NONE) },
	END,
};

/*
 * RST in SYN-RECEIVED on a passive open: "If this connection was initiated
 * with a passive OPEN (i.e., came from the LISTEN state), then return this
 * connection to LISTEN state" (RFC 9293 §3.10.7.4, second, SYN-RECEIVED).
 * The implementation moves the server to CLOSED.
 */
static const struct step b_rst_syn_received[] = {
	{ "client SYN", CL, SYN, CI, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN), Y(GOT_SYN),
	  IS },
	{ "server SYN-ACK", SV, SYN | ACK, SI, CI + 1, 0, WND, ST(SSNT, ESTB, SRCV, SRCV),
	  Y(GOT_SYNACK), Y(NONE) },
	{ "client RST", CL, RST, CI + 1, 0, 0, 0, ST(ESTB, CLSD, SRCV, LSTN), Y(SENT_RST),
	  Y(GOT_RST), 0, true },
	END,
};

/*
 * A reset that was challenged (RFC 5961 §3.2) or dropped changes nothing, so
 * the same reset again is challenged or dropped again: RCV.NXT has not moved
 * (RFC 9293 §3.10.7.4, first, an unacceptable segment is dropped). The
 * implementation records the rejected reset's sequence number as the
 * sender's SND.NXT, so the second copy counts as exact and closes the
 * connection: a blind attacker needs only to send each guess twice.
 */
static const struct step b_rst_challenged_twice[] = {
	HANDSHAKE,
	{ "server RST 100 into the window", SV, RST, SI + 101, 0, 0, 0, ST(ESTB, ESTB, ESTB, ESTB),
	  Y(RST_CHALLENGED), Y(RST_CHALLENGED) },
	{ "the same RST again", SV, RST, SI + 101, 0, 0, 0, ST(ESTB, ESTB, ESTB, ESTB),
	  Y(RST_CHALLENGED), Y(RST_CHALLENGED) },
	END,
};

static const struct step b_rst_outside_twice[] = {
	HANDSHAKE,
	{ "server RST past the window", SV, RST, SI + 1 + 100000, 0, 0, 0,
	  ST(ESTB, ESTB, ESTB, ESTB), Y(RST_IGNORED), Y(RST_IGNORED) },
	{ "the same RST again", SV, RST, SI + 1 + 100000, 0, 0, 0, ST(ESTB, ESTB, ESTB, ESTB),
	  Y(RST_IGNORED), Y(RST_IGNORED) },
	END,
};

/*
 * Simultaneous close (RFC 9293 §3.6 Figure 13): the server's FIN does not
 * acknowledge the client's (ACK = CI + 1; an ACK is cumulative and a FIN that
 * arrived must be acknowledged, §3.10.7.4 eighth), so the server had not
 * received the client's FIN when it sent its own: it was in FIN-WAIT-1, goes
 * to CLOSING, and both sides end in TIME-WAIT. The implementation keeps the
 * server in CLOSE-WAIT → LAST-ACK → CLOSED. (state.c already revises a side
 * it took to be in SYN-RECEIVED when its SYN shows an active open; the FIN
 * allows the same correction.)
 */
static const struct step b_simultaneous_close[] = {
	HANDSHAKE,
	{ "client FIN", CL, FIN | ACK, CI + 1, SI + 1, 0, WND, ST(ESTB, FW1, ESTB, ANY),
	  Y(SENT_FIN), ANY },
	{ "server FIN, not acking the client's", SV, FIN | ACK, SI + 1, CI + 1, 0, WND,
	  ST(FW1, CLSG, ANY, CLSG), Y(SIMULTANEOUS_CLOSE), ANY },
	{ "client ACK of the FIN", CL, ACK, CI + 2, SI + 2, 0, WND, ST(CLSG, CLSG, CLSG, TMWT),
	  Y(NONE), Y(CLOSING_ACKED) },
	{ "server ACK of the FIN", SV, ACK, SI + 2, CI + 2, 0, WND, ST(CLSG, TMWT, TMWT, TMWT),
	  Y(CLOSING_ACKED), Y(NONE), 0, true },
	END,
};

static const struct script bug_scripts[] = {
	{ "SYN-ACK first: the client reaches ESTABLISHED", b_synack_first, TN_END_FIN, CL, CL,
	  NOBODY, 1, false },
	{ "refused: the server was not listening", b_refused_not_listening, TN_END_REFUSED, NOBODY,
	  NOBODY, SV, 0, false },
	{ "Fast Open SYN refused, RST acking SYN and data", b_refused_fast_open, TN_END_REFUSED,
	  NOBODY, NOBODY, SV, 0, false },
	{ "SYN-ACK acking past SND.NXT is not acceptable", b_synack_ack_past_snd_nxt,
	  UNCLOSED(HALF_OPEN, 0), false },
	{ "RST in SYN-RECEIVED returns a passive open to LISTEN", b_rst_syn_received, TN_END_RST,
	  NOBODY, NOBODY, CL, 0, false },
	{ "RST challenged twice", b_rst_challenged_twice, UNCLOSED(OPEN, 1), false },
	{ "RST outside the window twice", b_rst_outside_twice, UNCLOSED(OPEN, 1), false },
	{ "simultaneous close: both sides in TIME-WAIT", b_simultaneous_close, TN_END_FIN, ANYROLE,
	  CL, NOBODY, 1, false },
	{ NULL, NULL, 0, 0, 0, 0, 0, false },
};

/* ---- running a script ---- */

/* One connection being fed segments; roles map to sides through cside. */
struct run {
	const char *name;
	int cside;                /* side index of the client */
	uint16_t cport, sport;
	struct tn_track *tr;
	struct tn_track_conn *c;
	int n;                    /* segments fed so far */
	int64_t t0;               /* capture time of segment 0 */
	int64_t tw_ns;            /* when TIME-WAIT last (re)started, -1 for never */
};

static void run_init(struct run *r, const char *name, int cside, struct tn_track *tr,
		     struct tn_track_conn *c)
{
	r->name = name;
	r->cside = cside;
	r->cport = CPORT;
	r->sport = SPORT;
	r->tr = tr;
	r->c = c;
	r->n = 0;
	r->t0 = T0;
	r->tw_ns = -1;
}

static int side_of(const struct run *r, int role)
{
	return role < 0 ? role : role ^ r->cside;
}

static int64_t now_of(const struct run *r)
{
	return r->t0 + r->n * MS;
}

static void make_segment(struct tn_packet *p, const struct run *r, const struct step *s)
{
	memset(p, 0, sizeof *p);
	p->ip_version = 4;
	p->tcp.sport = s->from == CL ? r->cport : r->sport;
	p->tcp.dport = s->from == CL ? r->sport : r->cport;
	p->tcp.flags = s->flags;
	p->tcp.seq = s->seq;
	p->tcp.ack = s->ack;
	p->tcp.window = s->win;
	p->tcp.hdr_len = 20;
	p->payload_len = s->len;
}

/* Through the tracker's entry point, as the pipeline feeds it. */
static void feed(struct run *r, const struct step *s, struct tn_track_view *v)
{
	struct tn_packet p;
	int side = side_of(r, s->from);
	int64_t now = now_of(r);
	make_segment(&p, r, s);
	memset(v, 0xA5, sizeof *v);
	tn_track_update(r->tr, r->c, side, &p, now, v);
	for (int i = 0; i < 2; i++)
		if (v->after[i] == TN_ST_TIME_WAIT &&
		    (v->before[i] != TN_ST_TIME_WAIT || v->why[i] == TN_WHY_TIME_WAIT_AGAIN))
			r->tw_ns = now;
	r->n++;
}

#define AT "%s [client on side %d] #%d \"%s\": "
#define WHERE r->name, r->cside, i, s->what

static void want_state(const struct run *r, int i, const struct step *s, const char *field,
		       unsigned got, unsigned want)
{
	if (want == ANY)
		return;
	ck_assert_msg(got == want, AT "%s %s, expected %s", WHERE, field,
		      tn_state_name((enum tn_state)got), tn_state_name((enum tn_state)want));
}

static void want_why(const struct run *r, int i, const struct step *s, const char *field,
		     unsigned got, unsigned want)
{
	if (want == ANY)
		return;
	ck_assert_msg(got == want, AT "%s %s, expected %s", WHERE, field, why_name(got),
		      why_name(want));
}

static void check_step(const struct run *r, int i, const struct step *s,
		       const struct tn_track_view *v)
{
	int cs = r->cside, ss = !r->cside;
	ck_assert_msg(v->conn == r->c->id, AT "conn %llu", WHERE, (unsigned long long)v->conn);
	ck_assert_msg(v->side == side_of(r, s->from), AT "side %d", WHERE, v->side);
	ck_assert_msg(v->client == cs, AT "client on side %d", WHERE, v->client);
	want_state(r, i, s, "client before", v->before[cs], s->cb);
	want_state(r, i, s, "client after", v->after[cs], s->ca);
	want_state(r, i, s, "server before", v->before[ss], s->sb);
	want_state(r, i, s, "server after", v->after[ss], s->sa);
	want_why(r, i, s, "client why", v->why[cs], s->cwhy);
	want_why(r, i, s, "server why", v->why[ss], s->swhy);
	ck_assert_msg(v->inferred[cs] == ((s->inf & IC) != 0), AT "client inferred %d", WHERE,
		      v->inferred[cs]);
	ck_assert_msg(v->inferred[ss] == ((s->inf & IS) != 0), AT "server inferred %d", WHERE,
		      v->inferred[ss]);
	ck_assert_msg(v->conn_closed == s->closed, AT "conn_closed %d", WHERE, v->conn_closed);
	ck_assert_msg(!v->port_reused, AT "port_reused", WHERE);
	ck_assert_msg(r->c->side[cs].state == v->after[cs] && r->c->side[ss].state == v->after[ss],
		      AT "view and connection disagree", WHERE);
	if (s->rel) {
		ck_assert_msg(v->rel_seq == s->rel_seq, AT "rel_seq %u, expected %u", WHERE,
			      v->rel_seq, s->rel_seq);
		ck_assert_msg(v->rel_ack == s->rel_ack, AT "rel_ack %u, expected %u", WHERE,
			      v->rel_ack, s->rel_ack);
	}
}

#undef WHERE
#define WHERE sc->name, r.cside

static void check_script(const struct script *sc, int cside)
{
	struct tn_track tr;
	struct tn_track_conn c;
	struct run r;
	memset(&tr, 0xA5, sizeof tr);
	memset(&c, 0xA5, sizeof c);
	tn_track_init(&tr);
	tn_track_conn_start(&tr, &c, NULL);
	run_init(&r, sc->name, cside, &tr, &c);
	int i = 0;
	for (const struct step *s = sc->steps; s->what; s++, i++) {
		struct tn_track_view v;
		feed(&r, s, &v);
		check_step(&r, i, s, &v);
		ck_assert_msg(v.roles_inferred == sc->roles_inferred, AT "roles_inferred %d",
			      sc->name, cside, i, s->what, v.roles_inferred);
	}

	struct tn_conn_report rep;
	memset(&rep, 0xA5, sizeof rep);
	tn_track_report(&tr, &c, TN_REPORT_END_OF_CAPTURE, &rep);
	ck_assert_msg(rep.conn == &c, "%s [%d]: report conn", WHERE);
	ck_assert_msg(rep.why == TN_REPORT_END_OF_CAPTURE, "%s [%d]: report why", WHERE);
	ck_assert_msg(c.reported, "%s [%d]: not marked reported", WHERE);
	if (sc->how != ANY)
		ck_assert_msg(rep.how == sc->how, "%s [%d]: report how %d, expected %d", WHERE,
			      rep.how, sc->how);
	if (sc->tw != ANYROLE)
		ck_assert_msg(rep.time_wait_side == side_of(&r, sc->tw),
			      "%s [%d]: time_wait_side %d", WHERE, rep.time_wait_side);
	if (sc->closed_first != ANYROLE)
		ck_assert_msg(c.closed_first == side_of(&r, sc->closed_first),
			      "%s [%d]: closed_first %d", WHERE, c.closed_first);
	if (sc->rst_by != ANYROLE)
		ck_assert_msg(c.rst_by == side_of(&r, sc->rst_by), "%s [%d]: rst_by %d", WHERE,
			      c.rst_by);
	if (sc->established != ANY)
		ck_assert_msg(c.established == (sc->established == 1), "%s [%d]: established %d",
			      WHERE, c.established);
	ck_assert_msg(c.roles_inferred == sc->roles_inferred, "%s [%d]: roles_inferred", WHERE);
	ck_assert_msg(c.client == cside, "%s [%d]: client %d", WHERE, c.client);
	double want_dur = (double)((i - 1) * MS) / 1e9;
	ck_assert_msg(rep.duration > want_dur - 1e-9 && rep.duration < want_dur + 1e-9,
		      "%s [%d]: duration %g, expected %g", WHERE, rep.duration, want_dur);
	ck_assert_msg(rep.time_wait_sec == 2.0 * TN_MSL_DEFAULT_SEC, "%s [%d]: time_wait_sec %g",
		      WHERE, rep.time_wait_sec);
}

#undef WHERE

/* _i: row × 2 + the client's side. */
START_TEST(test_scripts)
{
	check_script(&scripts[_i / 2], _i % 2);
}
END_TEST

START_TEST(test_bug_scripts)
{
	check_script(&bug_scripts[_i / 2], _i % 2);
}
END_TEST

/* ---- roles when the capture joins mid-stream ---- */

static const struct mid_case {
	const char *name;
	uint16_t from_port, to_port;   /* of the first segment */
	bool sender_is_server;
} mid_cases[] = {
	{ "ephemeral to 80", 51000, 80, false },
	{ "80 to ephemeral", 80, 51000, true },
	{ "443 to 8080: the well-known one", 443, 8080, true },
	{ "8080 to 443", 8080, 443, false },
	{ "1023 to 1024: 1023 is well-known", 1023, 1024, true },
	{ "1024 to 1023", 1024, 1023, false },
	{ "both well-known, 22 to 80: the lower", 22, 80, true },
	{ "both well-known, 80 to 22", 80, 22, false },
	{ "both ephemeral, 40000 to 50000: the lower", 40000, 50000, true },
	{ "both ephemeral, 50000 to 40000", 50000, 40000, false },
	{ "5432 to 33000", 5432, 33000, true },
	{ NULL, 0, 0, false },
};

START_TEST(test_mid_stream_roles)
{
	const struct mid_case *m = &mid_cases[_i / 2];
	int side = _i % 2;   /* side of the first segment's sender */
	struct tn_track tr;
	struct tn_track_conn c;
	struct tn_track_view v;
	struct tn_packet p;
	tn_track_init(&tr);
	tn_track_conn_start(&tr, &c, NULL);
	memset(&p, 0, sizeof p);
	p.ip_version = 4;
	p.tcp = (struct tn_tcp){ .sport = m->from_port, .dport = m->to_port, .seq = 123456,
				 .ack = 654321, .flags = ACK | PSH, .window = WND, .hdr_len = 20 };
	p.payload_len = 100;
	memset(&v, 0xA5, sizeof v);
	tn_track_update(&tr, &c, side, &p, T0, &v);
	int want_client = m->sender_is_server ? !side : side;
	ck_assert_msg(v.client == want_client, "%s [sender on side %d]: client %d", m->name, side,
		      v.client);
	ck_assert_msg(c.client == want_client, "%s: conn client", m->name);
	ck_assert(v.roles_inferred && c.roles_inferred);
	ck_assert(c.established);
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(v.before[i] == TN_ST_ESTABLISHED && v.after[i] == TN_ST_ESTABLISHED,
			      "%s: side %d %s → %s", m->name, i, tn_state_name(v.before[i]),
			      tn_state_name(v.after[i]));
		ck_assert_msg(v.inferred[i], "%s: side %d not inferred", m->name, i);
		ck_assert_msg(v.why[i] == TN_WHY_NONE, "%s: side %d why %s", m->name, i,
			      why_name(v.why[i]));
	}
	ck_assert(!v.conn_closed);
	ck_assert_uint_eq(v.rel_seq, 1);

	/* The other side answers: nothing is inferred any more, the roles stay. */
	p.tcp = (struct tn_tcp){ .sport = m->to_port, .dport = m->from_port, .seq = 654321,
				 .ack = 123556, .flags = ACK, .window = WND, .hdr_len = 20 };
	p.payload_len = 0;
	memset(&v, 0xA5, sizeof v);
	tn_track_update(&tr, &c, !side, &p, T0 + MS, &v);
	ck_assert_int_eq(v.client, want_client);
	ck_assert(!v.inferred[0] && !v.inferred[1]);
	ck_assert_int_eq(v.after[0], TN_ST_ESTABLISHED);
	ck_assert_int_eq(v.after[1], TN_ST_ESTABLISHED);
	ck_assert_uint_eq(v.rel_ack, 101);
}
END_TEST

/* ---- fin_seq and snd_nxt accounting ---- */

static const struct seq_case {
	const char *name;
	const struct step *steps;
	uint32_t fin_seq, snd_nxt;    /* the client's, at the end */
} seq_cases[] = {
	{ "FIN after 100 bytes", s_fin_with_data, CI + 101, CI + 102 },
	{ "FIN after a SYN with 50 bytes", s_fast_open, CI + 51, CI + 52 },
	{ "FIN alone", s_client_closes, CI + 1, CI + 2 },
	{ "FIN after 100 bytes, then the server's data", s_half_close, CI + 101, CI + 102 },
	{ NULL, NULL, 0, 0 },
};

START_TEST(test_seq_accounting)
{
	const struct seq_case *k = &seq_cases[_i / 2];
	struct tn_track tr;
	struct tn_track_conn c;
	struct run r;
	struct tn_track_view v;
	tn_track_init(&tr);
	tn_track_conn_start(&tr, &c, NULL);
	run_init(&r, k->name, _i % 2, &tr, &c);
	for (const struct step *s = k->steps; s->what; s++)
		feed(&r, s, &v);
	const struct tn_track_side *cl = &c.side[r.cside];
	ck_assert_msg(cl->fin_sent, "%s: fin_sent", k->name);
	ck_assert_msg(cl->fin_seq == k->fin_seq, "%s: fin_seq %u, expected %u", k->name,
		      cl->fin_seq, k->fin_seq);
	ck_assert_msg(cl->snd_nxt == k->snd_nxt, "%s: snd_nxt %u, expected %u", k->name,
		      cl->snd_nxt, k->snd_nxt);
	ck_assert_msg(cl->syn_sent && cl->isn == CI, "%s: isn %u", k->name, cl->isn);
}
END_TEST

/* ---- TIME-WAIT in capture time ---- */

static const struct tw_case {
	const char *name;
	const struct step *steps;
	int64_t msl_ns;           /* 0: the default */
	int tw;                   /* role left in TIME-WAIT (at least) */
} tw_cases[] = {
	{ "client closes, default MSL", s_client_closes, 0, CL },
	{ "server closes, MSL 1 s", s_server_closes, SEC, SV },
	{ "three-segment close, MSL 2 min", s_three_segment_client, 120 * SEC, CL },
	{ "server closes in three, MSL 5 ms", s_three_segment_server, 5 * MS, SV },
	{ "simultaneous close, MSL 10 s", s_simultaneous_close, 10 * SEC, CL },
	{ "FIN again restarts TIME-WAIT, MSL 1 s", s_retransmissions, SEC, CL },
	{ "mid-stream, server closes, MSL 250 ms", s_mid_stream, 250 * MS, SV },
	{ NULL, NULL, 0, 0 },
};

START_TEST(test_time_wait_expiry)
{
	const struct tw_case *k = &tw_cases[_i / 2];
	struct tn_track tr;
	struct tn_track_conn c;
	struct run r;
	struct tn_track_view v;
	memset(&tr, 0xA5, sizeof tr);
	tn_track_init(&tr);
	if (k->msl_ns)
		tr.msl_ns = k->msl_ns;
	int64_t tw_len = 2 * (k->msl_ns ? k->msl_ns : TN_MSL_DEFAULT_SEC * SEC);
	tn_track_conn_start(&tr, &c, NULL);
	run_init(&r, k->name, _i % 2, &tr, &c);
	for (const struct step *s = k->steps; s->what; s++)
		feed(&r, s, &v);
	int tw_side = side_of(&r, k->tw), in_tw = 0;
	for (int i = 0; i < 2; i++)
		if (c.side[i].state == TN_ST_TIME_WAIT)
			in_tw |= 1 << i;
	ck_assert_msg(r.tw_ns >= 0, "%s: never in TIME-WAIT", k->name);
	ck_assert_msg(in_tw & (1 << tw_side), "%s: side %d not in TIME-WAIT", k->name, tw_side);
	ck_assert_msg(c.time_wait_end_ns == r.tw_ns + tw_len, "%s: ends at %lld, expected %lld",
		      k->name, (long long)c.time_wait_end_ns, (long long)(r.tw_ns + tw_len));

	struct tn_conn_report rep;
	memset(&rep, 0xA5, sizeof rep);
	tn_track_report(&tr, &c, TN_REPORT_CLOSED, &rep);
	/* 2 means both sides, as after a simultaneous close. */
	ck_assert_msg(rep.time_wait_side == 2 ? in_tw == 3 :
		      rep.time_wait_side >= 0 && in_tw == (1 << rep.time_wait_side),
		      "%s: time_wait_side %d", k->name, rep.time_wait_side);
	ck_assert_msg(rep.time_wait_sec > (double)tw_len / 1e9 - 1e-9 &&
		      rep.time_wait_sec < (double)tw_len / 1e9 + 1e-9,
		      "%s: time_wait_sec %g", k->name, rep.time_wait_sec);

	int sides = 0x5A;
	ck_assert_msg(tn_track_time_wait_expired(&tr, r.tw_ns + tw_len - 1, &sides) == NULL,
		      "%s: expired 1 ns early", k->name);
	ck_assert_int_eq(c.side[tw_side].state, TN_ST_TIME_WAIT);
	sides = 0x5A;
	ck_assert_msg(tn_track_time_wait_expired(&tr, r.tw_ns + tw_len, &sides) == &c,
		      "%s: not expired at 2×MSL", k->name);
	ck_assert_int_eq(sides, in_tw);
	ck_assert_int_eq(c.side[0].state, TN_ST_CLOSED);
	ck_assert_int_eq(c.side[1].state, TN_ST_CLOSED);
	ck_assert(tn_track_conn_over(&c));
	ck_assert_msg(tn_track_time_wait_expired(&tr, r.tw_ns + 100 * tw_len, &sides) == NULL,
		      "%s: expired twice", k->name);
	ck_assert_ptr_null(tr.tw_head);
	ck_assert_ptr_null(tr.tw_tail);
}
END_TEST

/* Connections run out in the order they entered TIME-WAIT; a FIN again requeues one. */
START_TEST(test_time_wait_queue)
{
	static const struct step close_steps[] = { HANDSHAKE, CLIENT_CLOSES, END };
	static const struct step fin_again = { "server FIN again", SV, FIN | ACK, SI + 1, CI + 2,
					       0, WND, ST(TMWT, TMWT, LACK, CLSD),
					       Y(TIME_WAIT_AGAIN), Y(LAST_ACK_ACKED) };
	struct tn_track tr;
	struct tn_track_conn a, b;
	struct run ra, rb;
	struct tn_track_view v;
	int sides;
	tn_track_init(&tr);
	tr.msl_ns = SEC;
	tn_track_conn_start(&tr, &a, NULL);
	tn_track_conn_start(&tr, &b, NULL);
	run_init(&ra, "a", _i, &tr, &a);
	run_init(&rb, "b", !_i, &tr, &b);
	rb.t0 = T0 + 100 * MS;
	for (const struct step *s = close_steps; s->what; s++)
		feed(&ra, s, &v);
	for (const struct step *s = close_steps; s->what; s++)
		feed(&rb, s, &v);
	ck_assert(ra.tw_ns < rb.tw_ns);

	/* In order: a, then b. */
	ck_assert_ptr_null(tn_track_time_wait_expired(&tr, ra.tw_ns + 2 * SEC - 1, &sides));
	ck_assert_ptr_eq(tn_track_time_wait_expired(&tr, rb.tw_ns + 2 * SEC, &sides), &a);
	ck_assert_int_eq(sides, 1 << ra.cside);
	ck_assert_ptr_eq(tn_track_time_wait_expired(&tr, rb.tw_ns + 2 * SEC, &sides), &b);
	ck_assert_int_eq(sides, 1 << rb.cside);
	ck_assert_ptr_null(tn_track_time_wait_expired(&tr, rb.tw_ns + 2 * SEC, &sides));

	/* Again, but a's server sends its FIN again after b entered TIME-WAIT. */
	tn_track_conn_start(&tr, &a, NULL);
	tn_track_conn_start(&tr, &b, NULL);
	run_init(&ra, "a", _i, &tr, &a);
	run_init(&rb, "b", !_i, &tr, &b);
	rb.t0 = T0 + 100 * MS;
	for (const struct step *s = close_steps; s->what; s++)
		feed(&ra, s, &v);
	for (const struct step *s = close_steps; s->what; s++)
		feed(&rb, s, &v);
	ra.t0 = T0 + 500 * MS;
	feed(&ra, &fin_again, &v);
	check_step(&ra, 7, &fin_again, &v);
	ck_assert(ra.tw_ns > rb.tw_ns);
	ck_assert(a.time_wait_end_ns == ra.tw_ns + 2 * SEC);
	ck_assert_ptr_eq(tn_track_time_wait_expired(&tr, rb.tw_ns + 2 * SEC, &sides), &b);
	ck_assert_ptr_null(tn_track_time_wait_expired(&tr, ra.tw_ns + 2 * SEC - 1, &sides));
	ck_assert_ptr_eq(tn_track_time_wait_expired(&tr, ra.tw_ns + 2 * SEC, &sides), &a);
	ck_assert_int_eq(sides, 1 << ra.cside);
	ck_assert_ptr_null(tn_track_time_wait_expired(&tr, INT64_MAX, &sides));

	/* Forgetting a queued connection takes it off the queue. */
	tn_track_conn_start(&tr, &a, NULL);
	run_init(&ra, "a", _i, &tr, &a);
	for (const struct step *s = close_steps; s->what; s++)
		feed(&ra, s, &v);
	tn_track_conn_forget(&tr, &a);
	tn_track_conn_forget(&tr, &a);
	ck_assert_ptr_null(tn_track_time_wait_expired(&tr, INT64_MAX, &sides));
}
END_TEST

/*
 * Regression: a reset in TIME-WAIT closes it (RFC 9293 §3.10.7.4, TIME-WAIT: "If
 * the RST bit is set, then enter the CLOSED state"), so its TIME-WAIT never
 * runs out. track.h: tn_track_time_wait_expired() returns connections "whose
 * TIME-WAIT ran out". The implementation once left the connection on the
 * TIME-WAIT queue and, 2×MSL later, returned it with *sides == 0.
 */
START_TEST(test_bug_time_wait_ended_by_rst)
{
	static const struct step steps[] = { HANDSHAKE, CLIENT_CLOSES, END };
	static const struct step rst = { "server RST", SV, RST, SI + 2, 0, 0, 0,
					 ST(TMWT, CLSD, CLSD, CLSD), Y(GOT_RST), Y(SENT_RST) };
	struct tn_track tr;
	struct tn_track_conn c;
	struct run r;
	struct tn_track_view v;
	tn_track_init(&tr);
	tn_track_conn_start(&tr, &c, NULL);
	run_init(&r, "TIME-WAIT ended by a reset", _i, &tr, &c);
	for (const struct step *s = steps; s->what; s++)
		feed(&r, s, &v);
	feed(&r, &rst, &v);
	check_step(&r, 7, &rst, &v);
	int sides = 0;
	struct tn_track_conn *got = tn_track_time_wait_expired(&tr, INT64_MAX, &sides);
	ck_assert_msg(got == NULL, "TIME-WAIT ended by a reset still expires (sides = %d)", sides);
}
END_TEST

/* ---- port reuse ---- */

static const struct step s_nothing[] = { END };
static const struct step s_established[] = { HANDSHAKE, END };
static const struct step s_closing[] = {
	HANDSHAKE,
	CLIENT_FIN,
	{ "server ACK of the FIN", SV, ACK, SI + 1, CI + 2, 0, WND, ST(FW1, FW2, CLWT, CLWT),
	  Y(GOT_ACK_OF_FIN), Y(NONE) },
	END,
};
static const struct step s_reset[] = {
	HANDSHAKE,
	{ "client RST", CL, RST, CI + 1, 0, 0, 0, ST(ESTB, CLSD, ESTB, CLSD), Y(SENT_RST),
	  Y(GOT_RST), 0, true },
	END,
};

static const struct reuse_case {
	const char *name;
	const struct step *before;    /* the old connection */
	int from;                     /* role (in the old connection) of the new segment's sender */
	uint16_t flags;
	uint32_t seq;
	bool reuse;
} reuse_cases[] = {
	{ "nothing seen yet", s_nothing, CL, SYN, 77777, false },
	{ "SYN retransmitted in SYN-SENT", s_syn_only, CL, SYN, CI, false },
	{ "another SYN in SYN-SENT", s_syn_only, CL, SYN, 77777, false },
	{ "SYN while established", s_established, CL, SYN, 77777, false },
	{ "SYN while closing", s_closing, CL, SYN, 77777, false },
	{ "new SYN in TIME-WAIT", s_client_closes, CL, SYN, 77777, true },
	{ "the old SYN again in TIME-WAIT", s_client_closes, CL, SYN, CI, false },
	{ "new SYN from the old server", s_client_closes, SV, SYN, 77777, true },
	{ "new SYN after a simultaneous close", s_simultaneous_close, CL, SYN, 77777, true },
	{ "new SYN after a reset", s_reset, CL, SYN, 77777, true },
	{ "new SYN after a refusal", s_refused, CL, SYN, 77777, true },
	{ "SYN-ACK after the close", s_client_closes, SV, SYN | ACK, 77777, false },
	{ "ACK after the close", s_client_closes, CL, ACK, CI + 2, false },
	{ "SYN+RST after the close", s_client_closes, CL, SYN | RST, 77777, false },
	{ NULL, NULL, 0, 0, 0, false },
};

START_TEST(test_reuse)
{
	const struct reuse_case *k = &reuse_cases[_i / 2];
	struct tn_track tr;
	struct tn_track_conn c;
	struct run r;
	struct tn_track_view v;
	tn_track_init(&tr);
	tn_track_conn_start(&tr, &c, NULL);
	run_init(&r, k->name, _i % 2, &tr, &c);
	for (const struct step *s = k->before; s->what; s++)
		feed(&r, s, &v);
	struct step probe = { .what = "probe", .from = k->from, .flags = k->flags, .seq = k->seq,
			      .win = WND };
	struct tn_packet p;
	make_segment(&p, &r, &probe);
	ck_assert_msg(tn_track_conn_reuse(&c, side_of(&r, k->from), &p) == k->reuse,
		      "%s [client on side %d]: reuse should be %d", k->name, r.cside, k->reuse);
}
END_TEST

/* After a close, a new SYN restarts the entry as a new connection on a reused pair. */
static const struct restart_case {
	const char *name;
	const struct step *before;
	int new_client;               /* role, in the old connection, of the new SYN's sender */
} restart_cases[] = {
	{ "the client connects again from TIME-WAIT", s_client_closes, CL },
	{ "the old server connects back", s_client_closes, SV },
	{ "the client connects again after a reset", s_reset, CL },
	{ "the server connects back after a refusal", s_refused, SV },
	{ NULL, NULL, 0 },
};

START_TEST(test_restart)
{
	const struct restart_case *k = &restart_cases[_i / 2];
	struct tn_track tr;
	struct tn_track_conn c, other;
	struct run r;
	struct tn_track_view v;
	tn_track_init(&tr);
	tn_track_conn_start(&tr, &c, NULL);
	run_init(&r, k->name, _i % 2, &tr, &c);
	for (const struct step *s = k->before; s->what; s++)
		feed(&r, s, &v);
	tn_track_conn_start(&tr, &other, NULL);   /* takes id 2 meanwhile */
	ck_assert_uint_eq(other.id, 2);

	/* The new connection, in its own roles: its client is the old k->new_client. */
	struct run n;
	run_init(&n, k->name, side_of(&r, k->new_client), &tr, &c);
	n.cport = k->new_client == CL ? CPORT : SPORT;
	n.sport = k->new_client == CL ? SPORT : CPORT;
	n.t0 = T0 + 10 * SEC;
	static const struct step hs[] = {
		{ "new SYN", CL, SYN, 90000, 0, 0, WND, ST(CLSD, SSNT, LSTN, SRCV), Y(SENT_SYN),
		  Y(GOT_SYN), IS },
		{ "new SYN-ACK", SV, SYN | ACK, 70000, 90001, 0, WND, ST(SSNT, ESTB, SRCV, SRCV),
		  Y(GOT_SYNACK), Y(NONE), 0, false, true, 0, 1 },
		{ "new ACK", CL, ACK, 90001, 70001, 0, WND, ST(ESTB, ESTB, SRCV, ESTB), Y(NONE),
		  Y(GOT_ACK_OF_SYN), 0, false, true, 1, 1 },
		END,
	};
	struct tn_packet p;
	make_segment(&p, &n, &hs[0]);
	ck_assert_msg(tn_track_conn_reuse(&c, side_of(&n, CL), &p), "%s: not a reuse", k->name);
	struct tn_conn_report rep;
	tn_track_report(&tr, &c, TN_REPORT_REUSED, &rep);
	ck_assert_int_eq(rep.why, TN_REPORT_REUSED);
	tn_track_conn_restart(&tr, &c);
	ck_assert_uint_eq(c.id, 3);
	ck_assert(c.port_reused);
	ck_assert(!c.reported);
	ck_assert_int_eq(c.client, -1);
	ck_assert_int_eq(c.closed_first, -1);
	ck_assert_int_eq(c.rst_by, -1);

	for (int i = 0; hs[i].what; i++) {
		feed(&n, &hs[i], &v);
		ck_assert_uint_eq(v.conn, 3);
		ck_assert_msg(v.port_reused == (i == 0), "%s #%d: port_reused %d", k->name, i,
			      v.port_reused);
		ck_assert_msg(v.new_conn == (i == 0), "%s #%d: new_conn %d", k->name, i,
			      v.new_conn);
		v.port_reused = false;   /* check_step expects it false */
		check_step(&n, i, &hs[i], &v);
	}
	/* The old TIME-WAIT was forgotten with the old connection. */
	int sides;
	ck_assert_ptr_null(tn_track_time_wait_expired(&tr, INT64_MAX, &sides));
	memset(&rep, 0xA5, sizeof rep);
	tn_track_report(&tr, &c, TN_REPORT_END_OF_CAPTURE, &rep);
	ck_assert_int_eq(rep.how, TN_END_OPEN);
	ck_assert_int_eq(rep.time_wait_side, -1);
	ck_assert(c.established);
}
END_TEST

/* ---- reports ---- */

/* A report of a connection nobody has seen a segment of, and the why passed through. */
START_TEST(test_report_fields)
{
	static const enum tn_report_why whys[] = { TN_REPORT_CLOSED, TN_REPORT_END_OF_CAPTURE,
						   TN_REPORT_REUSED, TN_REPORT_EVICTED,
						   TN_REPORT_IDLE };
	struct tn_track tr;
	struct tn_track_conn c;
	struct tn_conn_report rep;
	tn_track_init(&tr);
	tr.msl_ns = 1500 * MS;
	tn_track_conn_start(&tr, &c, NULL);
	ck_assert(!tn_track_conn_over(&c));
	for (size_t i = 0; i < sizeof whys / sizeof whys[0]; i++) {
		c.reported = false;
		memset(&rep, 0xA5, sizeof rep);
		tn_track_report(&tr, &c, whys[i], &rep);
		ck_assert(c.reported);
		ck_assert_int_eq(rep.why, whys[i]);
		ck_assert_ptr_eq(rep.conn, &c);
		ck_assert_int_eq(rep.how, TN_END_HALF_OPEN);
		ck_assert_int_eq(rep.time_wait_side, -1);
		ck_assert(rep.time_wait_sec > 3.0 - 1e-9 && rep.time_wait_sec < 3.0 + 1e-9);
		ck_assert(rep.duration == 0.0);
	}
}
END_TEST

/* RFC 9293 spellings of the states. */
START_TEST(test_state_names)
{
	static const char *const names[TN_ST_COUNT] = {
		"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
		"FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT",
	};
	for (int i = 0; i < TN_ST_COUNT; i++)
		ck_assert_str_eq(tn_state_name((enum tn_state)i), names[i]);
	ck_assert_str_eq(tn_state_name(TN_ST_COUNT), "?");
}
END_TEST

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc = tcase_create("transitions");
	tcase_add_loop_test(tc, test_scripts, 0, 2 * TN_ROWS(scripts));
	tcase_add_loop_test(tc, test_mid_stream_roles, 0, 2 * TN_ROWS(mid_cases));
	tcase_add_loop_test(tc, test_seq_accounting, 0, 2 * TN_ROWS(seq_cases));
	tcase_add_test(tc, test_state_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("time-wait");
	tcase_add_loop_test(tc, test_time_wait_expiry, 0, 2 * TN_ROWS(tw_cases));
	tcase_add_loop_test(tc, test_time_wait_queue, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("conn");
	tcase_add_loop_test(tc, test_reuse, 0, 2 * TN_ROWS(reuse_cases));
	tcase_add_loop_test(tc, test_restart, 0, 2 * TN_ROWS(restart_cases));
	tcase_add_test(tc, test_report_fields);
	suite_add_tcase(s, tc);

	/* Regressions: bugs these tests found against RFC 9293 and RFC 5961, fixed since. */
	tc = tcase_create("regressions");
	tcase_add_loop_test(tc, test_bug_scripts, 0, 2 * TN_ROWS(bug_scripts));
	tcase_add_loop_test(tc, test_bug_time_wait_ended_by_rst, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tn_unit_run(state_suite());
}
