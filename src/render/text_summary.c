/*
 * text_summary.c — --summary in text: one line per connection.
 *
 * Zeek's conn.log says a connection in one line of columns; this says the
 * same in words a person reads, and stays one line so that grep finds a
 * connection by address, state, history, Community ID or trouble. The
 * fields, always in this order and separated by "; " (pairs a/b are the
 * client's, then the server's):
 *
 *   1 10.0.1.5:45174 → 10.0.2.10:80 http 0.004345s SF ShADadfF;
 *   client 8 seg 73 B, server 8 seg 3187 B;
 *   retrans 0/0, dupacks 0/0, lost 0/0, zero window 0/0 s;
 *   fin both, server first; closed[; textbook: 7 differences]
 *   [; joined mid-stream][; ports reused]; 1:GVGB...
 *
 * Bytes are the unique bytes each side sent (retransmissions counted once),
 * lost the gaps before segments, zero window how long each side's window
 * stayed at zero. How it ended: "fin both, C first", "rst by C", "refused",
 * "half open" (the handshake never completed) or "open" (with ", fin from C"
 * when one side has closed); why it is reported: "closed", "end of capture",
 * "idle", "evicted" or "reused".
 */
#include "renderer.h"

#include <inttypes.h>

/* Seconds, or "0" when nothing was counted. */
static void seconds(int64_t ns, char *buf, size_t len)
{
	if (ns)
		snprintf(buf, len, "%.6f", (double)ns / 1e9);
	else
		snprintf(buf, len, "0");
}

/* How it ended and who did it. */
static void ending(FILE *o, const struct tn_conn_view *cv)
{
	switch (cv->how) {
	case TN_END_FIN:
		fputs("fin both", o);
		if (cv->closed_first >= 0)
			fprintf(o, ", %s first", tn_role_key(cv->closed_first));
		return;
	case TN_END_RST:
		fputs("rst", o);
		if (cv->rst_by >= 0)
			fprintf(o, " by %s", tn_role_key(cv->rst_by));
		break;
	case TN_END_REFUSED:
		fputs("refused", o);
		return;
	case TN_END_HALF_OPEN:
		fputs("half open", o);
		break;
	default:
		fputs("open", o);
	}
	if (cv->closed_first >= 0)
		fprintf(o, ", fin from %s", tn_role_key(cv->closed_first));
}

static const char *reported(enum tn_report_why why)
{
	switch (why) {
	case TN_REPORT_CLOSED: return "closed";
	case TN_REPORT_END_OF_CAPTURE: return "end of capture";
	case TN_REPORT_REUSED: return "reused";
	case TN_REPORT_EVICTED: return "evicted";
	default: return "idle";
	}
}

void tn_text_summary_line(FILE *o, const struct tn_conn_view *cv, const struct tn_comparison *cmp)
{
	enum { CL = TN_ROLE_CLIENT, SV = TN_ROLE_SERVER };
	const struct tn_analysis_counts *n = cv->count;
	char client[TN_ENDPOINT_STRLEN], server[TN_ENDPOINT_STRLEN], zc[32], zs[32];
	const char *svc = tn_service_name(cv->ep[SV].port);
	tn_endpoint_format(&cv->ep[CL], client, sizeof client);
	tn_endpoint_format(&cv->ep[SV], server, sizeof server);
	seconds(n[CL].zero_window_ns, zc, sizeof zc);
	seconds(n[SV].zero_window_ns, zs, sizeof zs);
	fprintf(o, "%" PRIu64 " %s → %s %s %.6fs %s %s; ", cv->id, client, server, svc ? svc : "-",
		cv->duration, cv->conn_state, cv->history[0] ? cv->history : "-");
	fprintf(o, "client %" PRIu64 " seg %" PRIu64 " B, server %" PRIu64 " seg %" PRIu64 " B; ",
		cv->segments[CL], n[CL].unique_bytes, cv->segments[SV], n[SV].unique_bytes);
	fprintf(o, "retrans %" PRIu32 "/%" PRIu32 ", dupacks %" PRIu32 "/%" PRIu32 ", lost %" PRIu32
		"/%" PRIu32 ", zero window %s/%s s; ", n[CL].retransmissions, n[SV].retransmissions,
		n[CL].dup_acks, n[SV].dup_acks, n[CL].lost, n[SV].lost, zc, zs);
	ending(o, cv);
	fprintf(o, "; %s", reported(cv->why));
	if (cmp && cmp->matches)
		fputs("; textbook: same shape", o);
	else if (cmp)
		fprintf(o, "; textbook: %zu difference%s", cmp->n_diff, cmp->n_diff == 1 ? "" : "s");
	if (cv->roles_inferred)
		fputs("; joined mid-stream", o);
	if (cv->port_reused)
		fputs("; ports reused", o);
	if (cv->tunnel)
		fprintf(o, "; tunnel %08x", cv->tunnel);
	tn_text_sender_field(o, cv);
	fprintf(o, "; %s\n", cv->community_id);
}
