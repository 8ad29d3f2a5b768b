/*
 * text_sender.c — a sending direction's limits and congestion control in
 * text: one plain sentence on what held it back most, the split of its busy
 * time with the frames that show it, and the algorithm named with the
 * numbers behind it (sender.h). Shared by the connection report and the
 * --summary line's short field.
 */
#include "renderer.h"

#include <inttypes.h>

static double pct(double part, double whole)
{
	return whole > 0 ? 100.0 * part / whole : 0;
}

/* The largest share and its reason, in words a user can act on. */
static void headline(FILE *o, const struct tn_sender_view *v, int role)
{
	const char *me = tn_role_key(role), *peer = tn_role_key(!role);
	double part[4] = { v->rwnd_s, v->cwnd_s, v->app_s, v->recovery_s };
	int top = 0;
	for (int i = 1; i < 4; i++)
		if (part[i] > part[top])
			top = i;
	double share = pct(part[top], v->busy_s);
	fprintf(o, "   why the %s was slow: %.0f%% of its busy time ", me, share);
	if (top == 0)
		fprintf(o, "waited on the %s's %.0f KiB window: the %s reads too slowly or its receive "
			"buffer is too small\n", peer, v->max_window / 1024.0, peer);
	else if (top == 1)
		fputs("had a full congestion window out: the network path (its rate or its queue) "
		      "set the pace\n", o);
	else if (top == 2)
		fprintf(o, "had room to send more but did not: the %s's application gave it data "
			"slowly or paused\n", me);
	else
		fputs("went to recovering lost segments\n", o);
}

static void split_line(FILE *o, const struct tn_sender_view *v)
{
	fprintf(o, "     busy %.3f s: receiver's window %.3f s (%.0f%%), congestion window %.3f s "
		"(%.0f%%", v->busy_s, v->rwnd_s, pct(v->rwnd_s, v->busy_s), v->cwnd_s,
		pct(v->cwnd_s, v->busy_s));
	if (v->pacing_s > 0)
		fprintf(o, ", of which %.3f s waiting on its pacing timer, the receiver's window full too", v->pacing_s);
	fprintf(o, "), application %.3f s (%.0f%%", v->app_s, pct(v->app_s, v->busy_s));
	if (v->idle_s > 0)
		fprintf(o, ", of which %.3f s with nothing out", v->idle_s);
	fprintf(o, "), loss recovery %.3f s (%.0f%%)\n", v->recovery_s, pct(v->recovery_s, v->busy_s));
}

static void evidence_line(FILE *o, const struct tn_sender_view *v)
{
	const char *sep = "";
	if (!v->full_episodes && !v->idles && !v->recoveries)
		return;
	fputs("     evidence: ", o);
	if (v->full_episodes) {
		fprintf(o, "the window filled %u time%s, first before frame %" PRIu64, v->full_episodes,
			v->full_episodes == 1 ? "" : "s", v->full_first_n);
		sep = "; ";
	}
	if (v->idles) {
		fprintf(o, "%s%u gap%s with nothing out, the longest %.3f s before frame %" PRIu64, sep,
			v->idles, v->idles == 1 ? "" : "s", v->idle_max_s, v->idle_n);
		sep = "; ";
	}
	if (v->recoveries)
		fprintf(o, "%s%u recovery episode%s (%u after a timeout), the first from frame %" PRIu64,
			sep, v->recoveries, v->recoveries == 1 ? "" : "s", v->rtos, v->recovery_first_n);
	fputc('\n', o);
}

static void algo_line(FILE *o, const struct tn_sender_view *v, int role)
{
	fprintf(o, "   the %s's congestion control: %s", tn_role_key(role),
		tn_cc_algo_key((enum tn_cc_algo)v->algo));
	if (v->algo != TN_CC_UNDETERMINED)
		fprintf(o, " (confidence %.2f)", v->confidence);
	fprintf(o, ", %s; %u round%s, %u loss episode%s", v->reason, v->rounds,
		v->rounds == 1 ? "" : "s", v->losses, v->losses == 1 ? "" : "s");
	if (v->near && v->clocked_pm)
		fprintf(o, "; %.0f%% of its new data sent on an ACK", v->clocked_pm / 10.0);
	if (v->n_cuts) {
		fprintf(o, "; flight after/before a loss: median %.2f of", v->cut_median);
		for (unsigned i = 0; i < v->n_cuts; i++)
			fprintf(o, " %.2f", v->cut_pm[i] / 1000.0);
	}
	if (v->ss_exit_round)
		fprintf(o, "; slow start ended in round %u at %u bytes", v->ss_exit_round,
			v->ss_exit_flight);
	if (v->growth_per_round > 0)
		fprintf(o, "; growth %.2f segments a round", v->growth_per_round);
	if (v->gain_ups || v->probe_rtt)
		fprintf(o, "; %u probe-up round%s, %u drain, %u ProbeRTT dip%s", v->gain_ups,
			v->gain_ups == 1 ? "" : "s", v->gain_downs, v->probe_rtt,
			v->probe_rtt == 1 ? "" : "s");
	fputc('\n', o);
}

static void phases_line(FILE *o, const struct tn_sender_view *v)
{
	if (!v->n_phases)
		return;
	fputs("     phases:", o);
	for (unsigned i = 0; i < v->n_phases; i++)
		fprintf(o, "%s %s from frame %" PRIu64 " (round %u, %u bytes out)", i ? "," : "",
			tn_cc_phase_key((enum tn_cc_phase)v->phases[i].phase), v->phases[i].n,
			v->phases[i].round, v->phases[i].flight);
	fputc('\n', o);
}

void tn_text_sender_lines(FILE *o, const struct tn_conn_view *cv, int role)
{
	const struct tn_sender_view *v = &cv->sender[role];
	if (!v->present)
		return;
	if (v->untracked) {
		fprintf(o, "   the %s's limits: not followed (too many senders at once)\n",
			tn_role_key(role));
		return;
	}
	if (v->busy_s > 0) {
		headline(o, v, role);
		split_line(o, v);
		evidence_line(o, v);
	}
	algo_line(o, v, role);
	phases_line(o, v);
}

void tn_text_sender_field(FILE *o, const struct tn_conn_view *cv)
{
	for (int role = 0; role < 2; role++) {
		const struct tn_sender_view *v = &cv->sender[role];
		if (!v->present || v->untracked)
			continue;
		fprintf(o, "; %s limits rwnd %.0f%% cwnd %.0f%% app %.0f%% recovery %.0f%%, cc %s",
			tn_role_key(role), pct(v->rwnd_s, v->busy_s), pct(v->cwnd_s, v->busy_s),
			pct(v->app_s, v->busy_s), pct(v->recovery_s, v->busy_s),
			tn_cc_algo_key((enum tn_cc_algo)v->algo));
	}
}
