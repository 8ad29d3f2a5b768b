/*
 * evidence.c — a verdict in one sentence, with the numbers and frames that
 * prove it ("fast retransmission of bytes 4345-5792, first sent in #10,
 * after 3 duplicate ACKs (the last #13)"). Sequence numbers are relative,
 * ranges inclusive, as everywhere in the narration.
 */
#include <tcpnarrate/analysis.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void verdict_text(const struct tn_verdict *v, char *buf, size_t len);

static void bytes(const struct tn_verdict *v, char *buf, size_t len)
{
	if (!v->has_range)
		snprintf(buf, len, "no data");
	else if (v->first == v->last)
		snprintf(buf, len, "byte %" PRIu32, v->first);
	else
		snprintf(buf, len, "bytes %" PRIu32 "-%" PRIu32, v->first, v->last);
}

/* Whether the range is one byte (or none): the verb and pronoun that go with it are singular. */
static bool one(const struct tn_verdict *v)
{
	return !v->has_range || v->first == v->last;
}

/* The singular or the plural form, as the range asks. */
static const char *agree(const struct tn_verdict *v, const char *singular, const char *plural)
{
	return one(v) ? singular : plural;
}

static void frame(uint64_t n, const char *prefix, char *buf, size_t len)
{
	if (n)
		snprintf(buf, len, "%s#%" PRIu64, prefix, n);
	else
		buf[0] = '\0';
}

static const char *resent_what(const struct tn_verdict *v)
{
	if (v->what & TN_RETX_SYN)
		return v->what & TN_RETX_DATA ? "the SYN and its data" : "the SYN";
	if (v->what & TN_RETX_FIN)
		return v->what & TN_RETX_DATA ? "data and the FIN" : "the FIN";
	return "data";
}

static void resend(const struct tn_verdict *v, char *buf, size_t len)
{
	char b[48], f[40];
	bytes(v, b, sizeof b);
	frame(v->ref_n, ", first sent in ", f, sizeof f);
	switch (v->kind) {
	case TN_V_FAST_RETRANSMISSION:
		snprintf(buf, len, "%s (%s) sent again%s, %.3f ms after %" PRIu32 " duplicate ACKs "
			 "asked for it (the last #%" PRIu64 "): the sender did not wait for a timeout",
			 resent_what(v), b, f, (double)v->dt_ns / 1e6, v->num, v->ref2_n);
		break;
	case TN_V_SPURIOUS_RETRANSMISSION:
		snprintf(buf, len, "%s (%s) sent again%s although the receiver had acknowledged "
			 "everything before byte %" PRIu32 ": the first copy had arrived", resent_what(v),
			 b, f, v->num);
		break;
	default:
		snprintf(buf, len, "%s (%s) sent again%s, %.3f ms after the highest byte so far",
			 resent_what(v), b, f, (double)v->dt_ns / 1e6);
	}
}

static void window_evidence(const struct tn_verdict *v, char *buf, size_t len)
{
	char b[48];
	bytes(v, b, sizeof b);
	if (v->kind == TN_V_WINDOW_FULL)
		snprintf(buf, len, "%s %s the right edge of the %" PRIu32 "-byte window the "
			 "receiver advertised in #%" PRIu64 ": the sender can send no more until it "
			 "is acknowledged", b, agree(v, "reaches", "reach"), v->num, v->ref_n);
	else if (v->kind == TN_V_WINDOW_UPDATE)
		snprintf(buf, len, "nothing but a new window: %" PRIu32 " where it was %" PRIu32
			 " (unscaled)", v->num2, v->num);
	else
		snprintf(buf, len, "the receiver has no room: the sender must stop and probe");
}

/* What a later segment proved about a gap: appended to the evidence. */
static void gap_fate(const struct tn_verdict *v, char *buf, size_t len)
{
	size_t u = strlen(buf);
	if (v->gap == TN_GAP_RESENT)
		snprintf(buf + u, len - u, "; %s the gap seen at #%" PRIu64 ": %s lost on the "
			 "way, not only missed by the capture", agree(v, "this byte is", "these bytes are"),
			 v->gap_n, agree(v, "it was", "they were"));
	else if (v->gap == TN_GAP_ACKED)
		snprintf(buf + u, len - u, "; %s the gap seen at #%" PRIu64 ", which the receiver "
			 "had: the capture missed %s, the network did not lose %s",
			 agree(v, "it is in", "they include"), v->gap_n,
			 agree(v, "that byte", "those bytes"), agree(v, "it", "them"));
}

void tn_verdict_explain(const struct tn_verdict *v, char *buf, size_t len)
{
	verdict_text(v, buf, len);
	if (v->gap && len)
		gap_fate(v, buf, len);
}

static void verdict_text(const struct tn_verdict *v, char *buf, size_t len)
{
	char b[48], f[40];
	bytes(v, b, sizeof b);
	frame(v->ref_n, "", f, sizeof f);
	switch (v->kind) {
	case TN_V_RETRANSMISSION:
	case TN_V_FAST_RETRANSMISSION:
	case TN_V_SPURIOUS_RETRANSMISSION:
		resend(v, buf, len);
		break;
	case TN_V_OUT_OF_ORDER:
		snprintf(buf, len, "%s %s %.3f ms after %s, which carried later bytes: "
			 "overtaken on the way, not sent again", b, agree(v, "arrives", "arrive"),
			 (double)v->dt_ns / 1e6, f);
		break;
	case TN_V_LOST_SEGMENT:
		snprintf(buf, len, "%s before this segment %s never seen (the sequence after %s "
			 "jumps): lost on the way, or missed by the capture", b, agree(v, "was", "were"),
			 f);
		break;
	case TN_V_ACK_LOST_SEGMENT:
		snprintf(buf, len, "acknowledges %s, which the capture never showed: %s arrived, "
			 "so the capture missed %s", b, agree(v, "it", "they"), agree(v, "it", "them"));
		break;
	case TN_V_DUPLICATE_ACK:
		snprintf(buf, len, "duplicate %" PRIu32 " of the ACK in %s: still asking for byte %"
			 PRIu32 ", which has not arrived", v->num, f, v->num2);
		break;
	case TN_V_ZERO_WINDOW_PROBE:
		snprintf(buf, len, "%s pushed into the zero window the receiver advertised in %s, "
			 "to learn when it opens", b, f);
		break;
	case TN_V_ZERO_WINDOW_PROBE_ACK:
	case TN_V_KEEP_ALIVE_ACK:
		snprintf(buf, len, "answers %s with the same ACK and window: the connection is alive",
			 f);
		break;
	case TN_V_KEEP_ALIVE:
		snprintf(buf, len, "repeats the byte before the next one after %.1f s of silence, "
			 "only to draw an ACK: the connection is idle, not broken",
			 (double)v->dt_ns / 1e9);
		break;
	case TN_V_DUPLICATE_FRAME:
		snprintf(buf, len, "the same frame as %s, byte for byte in every field a new "
			 "transmission would change, %.3f ms later: the capture holds it twice (a SPAN "
			 "port or mirror copied it), the sender sent it once", f, (double)v->dt_ns / 1e6);
		break;
	case TN_V_DATA_AFTER_FIN:
		snprintf(buf, len, "%s %s past sequence number %" PRIu32 ", which its sender's FIN "
			 "took: a FIN promises no more data", b, agree(v, "lies", "lie"), v->num);
		break;
	case TN_V_REUSED_PORTS:
		snprintf(buf, len, "a new connection on a port pair used before, with a new "
			 "initial sequence number");
		break;
	default:
		window_evidence(v, buf, len);
	}
}
