/*
 * zeek.c — a connection in Zeek's words: its conn_state and history, as
 * Zeek's conn.log writes them, so tcpnarrate's reports can be joined with
 * the logs users already have (with the Community ID as the key).
 *
 * History letters, upper case from the originator (here: the client) and
 * lower case from the responder: S a SYN without ACK, H a SYN-ACK, A a pure
 * ACK, D data, T a retransmission of data, G a gap the capture missed
 * (tcpnarrate's lost_segment), W a zero window, C a bad checksum, F a FIN,
 * R a reset, Q a SYN together with FIN or RST, I a FIN together with RST.
 * Each letter is recorded once per direction, in the order first seen
 * (Zeek repeats some: see docs/analysis.md). conn_state follows Zeek's table
 * (S0, S1, SF, REJ, S2, S3, RSTO, RSTR, RSTOS0, RSTRH, SH, SHR, OTH), read
 * from which letters each side earned.
 */
#include <tcpnarrate/analysis.h>

/*
 * Each letter's bit in `seen`: its place in "SHADTGWCFRQI" (the originator's
 * in the low 16 bits, the responder's in the high). A table, because a
 * segment notes a letter or two and strchr() was a call each time.
 */
static const uint8_t letter_bit['Z' - 'A' + 1] = {
	['S' - 'A'] = 0, ['H' - 'A'] = 1, ['A' - 'A'] = 2, ['D' - 'A'] = 3,
	['T' - 'A'] = 4, ['G' - 'A'] = 5, ['W' - 'A'] = 6, ['C' - 'A'] = 7,
	['F' - 'A'] = 8, ['R' - 'A'] = 9, ['Q' - 'A'] = 10, ['I' - 'A'] = 11,
};

static uint32_t bit_of(int orig, char letter)
{
	return 1u << (letter_bit[letter - 'A'] + (orig ? 0 : 16));
}

static void note(struct tn_zeek *z, int orig, char letter)
{
	uint32_t bit = bit_of(orig, letter);
	if ((z->seen & bit) || z->len >= sizeof z->history)
		return;
	z->seen |= bit;
	z->history[z->len++] = orig ? letter : (char)(letter - 'A' + 'a');
}

void tn_zeek_segment(struct tn_zeek *z, const struct tn_segment *seg)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	int orig = seg->track.side == seg->track.client;
	uint16_t f = t->flags;
	if ((f & TN_TH_SYN) && (f & (TN_TH_FIN | TN_TH_RST)))
		note(z, orig, 'Q');
	if ((f & TN_TH_FIN) && (f & TN_TH_RST))
		note(z, orig, 'I');
	if (f & TN_TH_SYN)
		note(z, orig, (f & TN_TH_ACK) ? 'H' : 'S');
	if (seg->pkt->payload_len)
		note(z, orig, 'D');
	else if ((f & (TN_TH_ACK | TN_TH_SYN | TN_TH_FIN | TN_TH_RST)) == TN_TH_ACK)
		note(z, orig, 'A');
	if (tn_segment_resent(seg) && seg->pkt->payload_len)
		note(z, orig, 'T');
	if (tn_segment_verdict(seg, TN_V_LOST_SEGMENT))
		note(z, orig, 'G');
	if (t->window == 0 && !(f & TN_TH_RST))
		note(z, orig, 'W');
	if (t->checksum_status == TN_CSUM_BAD)
		note(z, orig, 'C');
	if (f & TN_TH_FIN)
		note(z, orig, 'F');
	if (f & TN_TH_RST)
		note(z, orig, 'R');
}

static bool saw(const struct tn_zeek *z, int orig, char letter)
{
	return z->seen & bit_of(orig, letter);
}

/* No handshake from the originator: only the responder's side of one, or the middle. */
static const char *without_syn(const struct tn_zeek *z)
{
	if (saw(z, 0, 'H') && saw(z, 0, 'R'))
		return "RSTRH";
	if (saw(z, 0, 'H') && saw(z, 0, 'F'))
		return "SHR";
	return "OTH";
}

const char *tn_zeek_conn_state(const struct tn_zeek *z, bool established)
{
	bool s = saw(z, 1, 'S'), h = saw(z, 0, 'H');
	bool of = saw(z, 1, 'F'), rf = saw(z, 0, 'F'), orr = saw(z, 1, 'R'), rr = saw(z, 0, 'R');
	if (!s)
		return without_syn(z);
	if (!h && !established) {
		if (rr)
			return "REJ";
		if (orr)
			return "RSTOS0";
		if (of)
			return "SH";
		return z->seen >> 16 ? "OTH" : "S0";
	}
	if (orr)
		return "RSTO";
	if (rr)
		return "RSTR";
	if (of && rf)
		return "SF";
	if (of)
		return "S2";
	if (rf)
		return "S3";
	return "S1";
}
