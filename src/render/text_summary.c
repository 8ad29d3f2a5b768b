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
 *   [; joined mid-stream][; ports reused][; icmp errors N]; 1:GVGB...
 *
 * Bytes are the unique bytes each side sent (retransmissions counted once),
 * lost the gaps before segments, zero window how long each side's window
 * stayed at zero. How it ended: "fin both, C first", "rst by C", "refused",
 * "half open" (the handshake never completed) or "open" (with ", fin from C"
 * when one side has closed); why it is reported: "closed", "end of capture",
 * "idle", "evicted" or "reused".
 */
#include "renderer.h"

#include "strbuf.h"

#include <inttypes.h>

/* Seconds, or "0" when nothing was counted. */
static void seconds(struct tn_sb *b, int64_t ns)
{
	if (ns)
		tn_sb_fixed(b, (double)ns / 1e9, 6);
	else
		tn_sb_chr(b, '0');
}

/* How it ended and who did it. */
static void ending(struct tn_sb *b, const struct tn_conn_view *cv)
{
	switch (cv->how) {
	case TN_END_FIN:
		tn_sb_str(b, "fin both");
		if (cv->closed_first >= 0) {
			tn_sb_str(b, ", ");
			tn_sb_str(b, tn_role_key(cv->closed_first));
			tn_sb_str(b, " first");
		}
		return;
	case TN_END_RST:
		tn_sb_str(b, "rst");
		if (cv->rst_by >= 0) {
			tn_sb_str(b, " by ");
			tn_sb_str(b, tn_role_key(cv->rst_by));
		}
		break;
	case TN_END_REFUSED:
		tn_sb_str(b, "refused");
		return;
	case TN_END_HALF_OPEN:
		tn_sb_str(b, "half open");
		break;
	default:
		tn_sb_str(b, "open");
	}
	if (cv->closed_first >= 0) {
		tn_sb_str(b, ", fin from ");
		tn_sb_str(b, tn_role_key(cv->closed_first));
	}
}

/* "A/B" of two counts, then sep. */
static void pair(struct tn_sb *b, const char *name, uint64_t a, uint64_t c, const char *sep)
{
	tn_sb_str(b, name);
	tn_sb_uint(b, a);
	tn_sb_chr(b, '/');
	tn_sb_uint(b, c);
	tn_sb_str(b, sep);
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

/* The fields up to the ending: who, what, how much, what went wrong. */
static void head(struct tn_sb *b, const struct tn_conn_view *cv)
{
	enum { CL = TN_ROLE_CLIENT, SV = TN_ROLE_SERVER };
	const struct tn_analysis_counts *n = cv->count;
	char ep[TN_ENDPOINT_STRLEN];
	const char *svc = tn_service_name(cv->ep[SV].port);
	tn_sb_uint(b, cv->id);
	tn_sb_chr(b, ' ');
	tn_endpoint_format(&cv->ep[CL], ep, sizeof ep);
	tn_sb_str(b, ep);
	tn_sb_str(b, " → ");
	tn_endpoint_format(&cv->ep[SV], ep, sizeof ep);
	tn_sb_str(b, ep);
	tn_sb_chr(b, ' ');
	tn_sb_str(b, svc ? svc : "-");
	tn_sb_chr(b, ' ');
	tn_sb_fixed(b, cv->duration, 6);
	tn_sb_str(b, "s ");
	tn_sb_str(b, cv->conn_state);
	tn_sb_chr(b, ' ');
	tn_sb_str(b, cv->history[0] ? cv->history : "-");
	for (int role = CL; role <= SV; role++) {
		tn_sb_str(b, role == CL ? "; client " : ", server ");
		tn_sb_uint(b, cv->segments[role]);
		tn_sb_str(b, " seg ");
		tn_sb_uint(b, n[role].unique_bytes);
		tn_sb_str(b, " B");
	}
	tn_sb_str(b, "; ");
	pair(b, "retrans ", n[CL].retransmissions, n[SV].retransmissions, ", ");
	pair(b, "dupacks ", n[CL].dup_acks, n[SV].dup_acks, ", ");
	pair(b, "lost ", n[CL].lost, n[SV].lost, ", zero window ");
	seconds(b, n[CL].zero_window_ns);
	tn_sb_chr(b, '/');
	seconds(b, n[SV].zero_window_ns);
	tn_sb_str(b, " s; ");
}

/* Built in a buffer and written at once: a big capture has tens of thousands. */
void tn_text_summary_line(FILE *o, const struct tn_conn_view *cv, const struct tn_comparison *cmp)
{
	char line[1024];
	struct tn_sb b;
	tn_sb_init(&b, line, sizeof line);
	head(&b, cv);
	ending(&b, cv);
	tn_sb_str(&b, "; ");
	tn_sb_str(&b, reported(cv->why));
	if (cmp && cmp->matches) {
		tn_sb_str(&b, "; textbook: same shape");
	} else if (cmp) {
		tn_sb_str(&b, "; textbook: ");
		tn_sb_uint(&b, cmp->n_diff);
		tn_sb_str(&b, cmp->n_diff == 1 ? " difference" : " differences");
	}
	if (cv->roles_inferred)
		tn_sb_str(&b, "; joined mid-stream");
	if (cv->port_reused)
		tn_sb_str(&b, "; ports reused");
	if (cv->icmp.total) {
		tn_sb_str(&b, "; icmp errors ");
		tn_sb_uint(&b, cv->icmp.total);
	}
	fwrite(line, 1, b.n, o);
	if (cv->tunnel)
		fprintf(o, "; tunnel %08x", cv->tunnel);
	tn_text_sender_field(o, cv);
	fputs("; ", o);
	fputs(cv->community_id, o);
	fputc('\n', o);
}
