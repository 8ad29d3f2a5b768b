/*
 * json_sender.c — a connection's "limits" and "congestion" objects: per
 * sending direction ("client", "server"), what held it back and which
 * congestion control it runs, with the evidence (docs/json.md). A direction
 * with too little data to say is null.
 */
#include "renderer.h"

#include <cjson/cJSON.h>
#include <stdio.h>

static void secs(cJSON *o, const char *key, double s, int digits)
{
	char v[48];
	snprintf(v, sizeof v, "%.*f", digits, s);
	cJSON_AddRawToObject(o, key, v);
}

static cJSON *limits_object(const struct tn_sender_view *v, int digits)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddBoolToObject(o, "tracked", !v->untracked);
	secs(o, "busy_s", v->busy_s, digits);
	secs(o, "rwnd_limited_s", v->rwnd_s, digits);
	secs(o, "cwnd_limited_s", v->cwnd_s, digits);
	secs(o, "app_limited_s", v->app_s, digits);
	secs(o, "recovery_s", v->recovery_s, digits);
	secs(o, "idle_s", v->idle_s, digits);
	secs(o, "pacing_s", v->pacing_s, digits);
	cJSON_AddNumberToObject(o, "max_window", v->max_window);
	cJSON *e = cJSON_AddObjectToObject(o, "evidence");
	cJSON_AddNumberToObject(e, "window_full", v->full_episodes);
	cJSON_AddNumberToObject(e, "window_full_first_n", (double)v->full_first_n);
	cJSON_AddNumberToObject(e, "idle_gaps", v->idles);
	secs(e, "idle_longest_s", v->idle_max_s, digits);
	cJSON_AddNumberToObject(e, "idle_longest_n", (double)v->idle_n);
	cJSON_AddNumberToObject(e, "recoveries", v->recoveries);
	cJSON_AddNumberToObject(e, "timeouts", v->rtos);
	cJSON_AddNumberToObject(e, "recovery_first_n", (double)v->recovery_first_n);
	return o;
}

static void cc_evidence(cJSON *e, const struct tn_sender_view *v)
{
	cJSON_AddNumberToObject(e, "rounds", v->rounds);
	cJSON_AddNumberToObject(e, "losses", v->losses);
	cJSON *cuts = cJSON_AddArrayToObject(e, "cuts");
	for (unsigned i = 0; i < v->n_cuts; i++)
		cJSON_AddItemToArray(cuts, cJSON_CreateNumber(v->cut_pm[i] / 1000.0));
	cJSON_AddNumberToObject(e, "cut_median", v->cut_median);
	cJSON_AddNumberToObject(e, "slow_start_cut", v->ss_cut);
	cJSON_AddBoolToObject(e, "slow_start_exit_without_loss", v->hystart);
	cJSON_AddNumberToObject(e, "sent_on_ack", v->clocked_pm / 1000.0);
	cJSON_AddBoolToObject(e, "capture_near_sender", v->near);
	cJSON_AddNumberToObject(e, "slow_start_exit_round", v->ss_exit_round);
	cJSON_AddNumberToObject(e, "slow_start_exit_flight", v->ss_exit_flight);
	cJSON_AddNumberToObject(e, "growth_per_round", v->growth_per_round);
	cJSON_AddNumberToObject(e, "concave_epochs", v->conc_epochs);
	cJSON_AddNumberToObject(e, "convex_epochs", v->conv_epochs);
	cJSON_AddNumberToObject(e, "linear_epochs", v->flat_epochs);
	cJSON_AddNumberToObject(e, "last_epoch_shape", v->last_shape);
	cJSON_AddNumberToObject(e, "gain_up_rounds", v->gain_ups);
	cJSON_AddNumberToObject(e, "gain_down_rounds", v->gain_downs);
	cJSON_AddNumberToObject(e, "probe_rtt", v->probe_rtt);
}

static cJSON *congestion_object(const struct tn_sender_view *v)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "algorithm", tn_cc_algo_key((enum tn_cc_algo)v->algo));
	cJSON_AddNumberToObject(o, "confidence", v->confidence);
	cJSON_AddStringToObject(o, "reason", v->reason ? v->reason : "untracked");
	cc_evidence(cJSON_AddObjectToObject(o, "evidence"), v);
	cJSON *ph = cJSON_AddArrayToObject(o, "phases");
	for (unsigned i = 0; i < v->n_phases; i++) {
		cJSON *p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "phase", tn_cc_phase_key((enum tn_cc_phase)v->phases[i].phase));
		cJSON_AddNumberToObject(p, "n", (double)v->phases[i].n);
		cJSON_AddNumberToObject(p, "round", v->phases[i].round);
		cJSON_AddNumberToObject(p, "flight", v->phases[i].flight);
		cJSON_AddItemToArray(ph, p);
	}
	return o;
}

void tn_json_sender(struct cJSON *conn, const struct tn_conn_view *cv, int digits)
{
	cJSON *lim = cJSON_AddObjectToObject(conn, "limits");
	cJSON *cc = cJSON_AddObjectToObject(conn, "congestion");
	for (int role = 0; role < 2; role++) {
		const struct tn_sender_view *v = &cv->sender[role];
		const char *k = tn_role_key(role);
		if (!v->present) {
			cJSON_AddNullToObject(lim, k);
			cJSON_AddNullToObject(cc, k);
			continue;
		}
		cJSON_AddItemToObject(lim, k, limits_object(v, digits));
		cJSON_AddItemToObject(cc, k, congestion_object(v));
	}
}
