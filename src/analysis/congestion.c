/*
 * congestion.c — which congestion control a sender runs, read from its
 * flight (the bytes it has out) round trip by round trip, and the phases it
 * goes through.
 *
 * A round ends when the peer acknowledges what was out when it began
 * (limits.c keeps them); its flight is the most the sender had out in it.
 * The evidence, in order of weight:
 * - the cut after each loss: the flight of the first whole round after the
 *   recovery, against the flight when the loss was found. NewReno halves
 *   (RFC 5681 §3.1, ssthresh = flight / 2), Cubic keeps 0.7 (RFC 9438 §4.6,
 *   beta_cubic), BBR v1 does not cut on an isolated loss (it restores its
 *   window after one round of packet conservation);
 * - BBR's marks without loss: ProbeBW's pacing-gain cycle (a round 1.25
 *   times the steady flight, then one at 0.75) and ProbeRTT (the flight
 *   down to four segments for 200 ms every ten seconds);
 * - the shape of growth between losses: Reno adds a segment per round
 *   (linear); Cubic's window is concave up to the last maximum, convex past it.
 * Timeouts are left out of the cuts: every algorithm falls to one segment.
 */
#include <tcpnarrate/sender.h>

#include <string.h>

#define CUT_MIN_SEGS 8       /* a flight smaller than this says too little about a cut */
#define GAIN_UP_PM 1120      /* a round this much over a flat one: a probe up */
#define GAIN_DOWN_PM 920     /* and one this much under the probe: the drain after it */
#define FLAT_PM 100          /* flights within 10% of each other are flat */
#define CUT_FLOOR_PM 300     /* a flight cut below 0.3 collapsed: no algorithm's own cut */
#define RENO_CUBIC_PM 590    /* between a half and 0.7 */
#define CUBIC_BBR_PM 850     /* between 0.7 and no cut */
#define CLOCKED_PM 600       /* at least this share sent right after ACKs: not paced */
#define PACED_PM 400         /* at most this share: paced */
#define MIN_NEW_SEGS 100     /* fewer new data segments say too little of pacing */
#define GROWTH_MIN_ROUNDS 6  /* rounds of growth in congestion avoidance to judge its rate */
#define RENO_GROWTH_LO_PM 800
#define RENO_GROWTH_HI_PM 1300
#define CUBIC_GROWTH_MAX_PM 750
#define CUBIC_CONVEX_PM 1500
#define PROBE_RTT_SEGS 5     /* ProbeRTT keeps 4 segments out; allow one more at the capture */

uint32_t tn_cc_cut_pm(uint32_t before, uint32_t after)
{
	if (!before)
		return 0;
	uint64_t pm = (uint64_t)after * 1000 / before;
	return pm > 2000 ? 2000 : (uint32_t)pm;
}

static uint32_t seg_of(const struct tn_sender *s)
{
	return s->max_seg ? s->max_seg : 1448;
}

static uint32_t ring(const struct tn_sender *s, uint32_t round)
{
	return s->flight[round % TN_CC_ROUNDS];
}

static void mark(struct tn_sender *s, enum tn_cc_phase ph, uint64_t n, uint32_t flight)
{
	if (s->phase == ph && s->n_phases)
		return;
	s->phase = (uint8_t)ph;
	s->phase_changes++;
	struct tn_cc_phase_mark *m = NULL;
	if (s->n_phases && s->phases[s->n_phases - 1].round == s->rounds) {
		/* several in one round: the last counts, and one that only returns is none */
		if (s->n_phases >= 2 && s->phases[s->n_phases - 2].phase == ph) {
			s->n_phases--;
			return;
		}
		m = &s->phases[s->n_phases - 1];
	} else if (s->n_phases < TN_CC_PHASES)
		m = &s->phases[s->n_phases++];
	if (!m)
		return;
	m->n = n;
	m->round = s->rounds;
	m->flight = flight;
	m->phase = (uint8_t)ph;
}

int tn_cc_epoch_shape(const uint32_t *flight, unsigned n)
{
	if (n < 4)
		return 0;
	unsigned half = (n - 1) / 2;
	int64_t early = (int64_t)flight[half] - flight[0];
	int64_t late = (int64_t)flight[n - 1] - flight[n - 1 - half];
	if (early <= 0 && late <= 0)
		return 0;
	if (early * 10 > late * 13 + 1)
		return -1;
	if (late * 10 > early * 13 + 1)
		return 1;
	return 0;
}

/* The shape of the loss-free epoch from epoch_round to now (the last TN_CC_ROUNDS of it); 2: too short. */
static int epoch_shape(const struct tn_sender *s)
{
	uint32_t f[TN_CC_ROUNDS];
	uint32_t from = s->epoch_round, to = s->rounds;
	if (to <= from || to - from < 6)
		return 2;
	if (to - from > TN_CC_ROUNDS)
		from = to - TN_CC_ROUNDS;
	unsigned n = 0;
	for (uint32_t r = from; r < to; r++)
		f[n++] = ring(s, r);
	return tn_cc_epoch_shape(f, n);
}

/* The loss-free epoch that ended now: its shape counted. */
static void epoch_done(struct tn_sender *s)
{
	int shape = epoch_shape(s);
	if (shape == 2)
		return;
	s->conc_epochs += shape < 0;
	s->conv_epochs += shape > 0;
	s->flat_epochs += shape == 0;
}

void tn_cc_loss(struct tn_sender *s, uint64_t n)
{
	uint32_t pre = s->round_max > s->prev_round_max ? s->round_max : s->prev_round_max;
	s->loss_in_ss = s->in_ss;
	if (s->in_ss && !s->ss_exit_round) {
		s->ss_exit_round = s->rounds;
		s->ss_exit_flight = pre;
	}
	s->in_ss = false;
	if (!s->rto) {
		s->losses++;
		s->pre_loss = pre;
		epoch_done(s);
	}
	s->post_round = 0;
	s->loss_round = s->rounds;
	mark(s, s->rto ? TN_PH_RTO : TN_PH_FAST_RECOVERY, n, pre);
}

void tn_cc_recovered(struct tn_sender *s, uint64_t n)
{
	(void)n;
	s->post_round = s->rounds + 1;
	s->loss_round = s->rounds;
	s->epoch_round = s->rounds + 1;
	if (s->rto)
		s->in_ss = true;   /* after a timeout: slow start again, up to ssthresh */
}

/* BBR's marks: a probe round over a flat pair, the drain after it, ProbeRTT's dip. */
static void bbr_marks(struct tn_sender *s, uint32_t f)
{
	if (s->rounds < 3 || s->rounds < s->loss_round + 4)
		return;  /* the rounds around a loss or a timeout say nothing of BBR */
	uint32_t f1 = ring(s, s->rounds - 1), f2 = ring(s, s->rounds - 2);
	uint32_t seg = seg_of(s);
	if (f1 && f2 && (uint64_t)f * 1000 >= (uint64_t)f1 * GAIN_UP_PM &&
	    (uint64_t)(f1 > f2 ? f1 - f2 : f2 - f1) * 1000 <= (uint64_t)f2 * FLAT_PM)
		s->gain_ups++;
	if (f1 && f2 && (uint64_t)f1 * 1000 >= (uint64_t)f2 * GAIN_UP_PM &&
	    (uint64_t)f * 1000 <= (uint64_t)f1 * GAIN_DOWN_PM)
		s->gain_downs++;
	if (f <= PROBE_RTT_SEGS * seg && f1 >= 16 * seg && !s->recovering)
		s->probe_rtt++;
}

/*
 * The cut of the loss before: kept when the round after the recovery was the
 * network's (not the application's) and the flight did not collapse (a
 * second loss in the recovery, a timeout: every algorithm falls then).
 */
static void cut(struct tn_sender *s, uint32_t f, uint32_t seg)
{
	uint32_t pm = tn_cc_cut_pm(s->pre_loss, f);
	s->post_round = 0;
	if (s->pre_loss < CUT_MIN_SEGS * seg || s->n_cuts >= TN_CC_CUTS)
		return;
	if (s->round_app || pm < CUT_FLOOR_PM) {
		s->bad_cuts++;
		return;
	}
	if (s->loss_in_ss) {
		/* slow start overshot by up to a whole flight: the cut says little of the algorithm */
		s->ss_cut_pm = (uint16_t)pm;
		return;
	}
	s->cut_pm[s->n_cuts++] = (uint16_t)pm;
}

void tn_cc_round(struct tn_sender *s, uint64_t n)
{
	uint32_t f = s->round_max, prev = s->rounds ? ring(s, s->rounds - 1) : 0;
	uint32_t seg = seg_of(s);
	if (!s->rounds)
		s->in_ss = true;
	if (s->post_round && s->rounds == s->post_round)
		cut(s, f, seg);
	if (s->in_ss && s->rounds >= 2 && prev && (uint64_t)f * 10 < (uint64_t)prev * 14 &&
	    s->cat == TN_LIM_CWND && !s->round_app) {
		s->in_ss = false;
		s->hystart = !s->losses && !s->recoveries;
		if (!s->ss_exit_round) {
			s->ss_exit_round = s->rounds;
			s->ss_exit_flight = f;
		}
		mark(s, TN_PH_CONG_AVOID, n, f);
	}
	if (!s->in_ss && !s->recovering && s->cat == TN_LIM_CWND && prev) {
		s->cwnd_rounds++;
		if (f >= prev && f - prev < 8 * seg) {
			s->lin_rounds++;
			s->lin_sum_pm += (uint64_t)(f - prev) * 1000 / seg;
		}
	}
	if (!s->recovering)
		bbr_marks(s, f);
	s->flight[s->rounds % TN_CC_ROUNDS] = f;
	s->round_app = false;
}

void tn_cc_phase_note(struct tn_sender *s, enum tn_lim_cat c, uint64_t n)
{
	enum tn_cc_phase ph;
	if (s->recovering)
		ph = s->rto ? TN_PH_RTO : TN_PH_FAST_RECOVERY;
	else if (c == TN_LIM_RWND || c == TN_LIM_GAP_RWND)
		ph = TN_PH_RWND_LIMITED;
	else if (c == TN_LIM_APP)
		ph = TN_PH_APP_LIMITED;
	else if (c == TN_LIM_GAP_APP || c == TN_LIM_NONE)
		return;
	else if (s->idle_restart)
		ph = TN_PH_IDLE_RESTART;
	else
		ph = s->in_ss || !s->rounds ? TN_PH_SLOW_START : TN_PH_CONG_AVOID;
	if (s->idle_restart && ph == TN_PH_IDLE_RESTART) {
		s->idle_restart = false;
		s->in_ss = true;
	}
	mark(s, ph, n, s->round_max);
}

static uint32_t median_pm(const struct tn_sender *s)
{
	uint16_t v[TN_CC_CUTS];
	unsigned n = s->n_cuts;
	memcpy(v, s->cut_pm, n * sizeof v[0]);
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint16_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n ? (n % 2 ? v[n / 2] : (uint32_t)(v[n / 2 - 1] + v[n / 2]) / 2) : 0;
}

/* The verdict from the cuts: under 0.59 Reno, under 0.85 Cubic, above BBR. */
static enum tn_cc_algo by_cut(uint32_t m, unsigned cuts, double *conf, const char **reason)
{
	double c = cuts >= 3 ? 0.9 : cuts == 2 ? 0.75 : 0.55;
	uint32_t lo = m > RENO_CUBIC_PM ? m - RENO_CUBIC_PM : RENO_CUBIC_PM - m;
	uint32_t hi = m > CUBIC_BBR_PM ? m - CUBIC_BBR_PM : CUBIC_BBR_PM - m;
	if (lo < 40 || hi < 40)
		c -= 0.2;
	*conf = c;
	if (m < RENO_CUBIC_PM) {
		*reason = "cut_to_half";
		return TN_CC_RENO;
	}
	if (m < CUBIC_BBR_PM) {
		*reason = "cut_to_0.7";
		return TN_CC_CUBIC;
	}
	*reason = "no_cut_on_loss";
	return TN_CC_BBR;
}

uint32_t tn_cc_clocked_pm(const struct tn_sender *s)
{
	return s->new_segs >= MIN_NEW_SEGS ? (uint32_t)((uint64_t)s->clocked * 1000 / s->new_segs) : 0;
}

/*
 * Growth in congestion avoidance, segments a round: Reno adds one (RFC 5681
 * §3.1); Cubic at small windows grows at its Reno-friendly rate,
 * 3(1 - 0.7)/(1 + 0.7) = 0.53 a round (RFC 9438 §4.3), and faster than Reno
 * in its convex region. 0: no vote.
 */
static enum tn_cc_algo by_growth(const struct tn_sender *s)
{
	if (s->lin_rounds < GROWTH_MIN_ROUNDS)
		return TN_CC_UNDETERMINED;
	uint64_t g = s->lin_sum_pm / s->lin_rounds;
	if (g >= RENO_GROWTH_LO_PM && g <= RENO_GROWTH_HI_PM)
		return TN_CC_RENO;
	if (g < CUBIC_GROWTH_MAX_PM || g > CUBIC_CONVEX_PM)
		return TN_CC_CUBIC;
	return TN_CC_UNDETERMINED;
}

/* A sender clocked by ACKs is loss-based: Reno or Cubic by the cut and the growth between losses. */
static enum tn_cc_algo loss_based(const struct tn_sender *s, double *conf, const char **reason)
{
	enum tn_cc_algo grow = by_growth(s), cutv = TN_CC_UNDETERMINED;
	double cc = 0;
	const char *cr = NULL;
	if (s->n_cuts) {
		uint32_t m = median_pm(s);
		cutv = by_cut(m < CUBIC_BBR_PM ? m : CUBIC_BBR_PM - 1, s->n_cuts, &cc, &cr);
	}
	if (grow && grow == cutv) {
		*conf = 0.95;
		*reason = grow == TN_CC_RENO ? "cut_to_half_and_linear_growth" : "cut_to_0.7_and_cubic_growth";
		return grow;
	}
	if (grow) {
		*conf = cutv ? 0.6 : 0.75;
		*reason = grow == TN_CC_RENO ? "linear_growth" : "cubic_growth";
		return grow;
	}
	if (cutv) {
		*conf = cc;
		*reason = cr;
		return cutv;
	}
	if (s->hystart) {
		*conf = 0.6;
		*reason = "hystart_exit";
		return TN_CC_CUBIC;
	}
	*reason = s->ss_cut_pm ? "only_slow_start_loss" : s->losses ? "cut_not_measured" : "no_loss";
	return TN_CC_UNDETERMINED;
}

enum tn_cc_algo tn_cc_decide(const struct tn_sender *s, bool near, double *confidence,
			      const char **reason)
{
	uint64_t busy = s->ns[TN_LIM_RWND] + s->ns[TN_LIM_CWND] + s->ns[TN_LIM_APP] +
			s->ns[TN_LIM_RECOVERY];
	uint32_t clocked = tn_cc_clocked_pm(s);
	*confidence = 0;
	if (s->rounds < 8) {
		*reason = "too_short";
		return TN_CC_UNDETERMINED;
	}
	/* pacing shows whoever sets the pace: a sender on its own timer even with the window full */
	if (near && clocked && clocked <= PACED_PM) {
		*confidence = clocked < PACED_PM / 2 ? 0.9 : 0.7;
		*reason = "paced";
		return TN_CC_BBR;
	}
	/* the window full (whether or not a paced sender's timer was due): the receiver set the pace */
	if (busy && s->ns[TN_LIM_RWND] * 2 > busy) {
		*reason = "rwnd_limited";
		return TN_CC_UNDETERMINED;
	}
	if (near && clocked >= CLOCKED_PM)
		return loss_based(s, confidence, reason);
	if (s->n_cuts)
		return by_cut(median_pm(s), s->n_cuts, confidence, reason);
	if (s->probe_rtt || (s->gain_ups >= 2 && s->gain_downs >= 1)) {
		*confidence = s->probe_rtt && s->gain_ups >= 2 ? 0.9 : 0.6;
		*reason = s->probe_rtt ? "probe_rtt" : "gain_cycles";
		return TN_CC_BBR;
	}
	*reason = s->losses ? "cut_not_measured" : "no_loss";
	return TN_CC_UNDETERMINED;
}

void tn_cc_view(const struct tn_sender *s, bool near, struct tn_sender_view *v)
{
	v->algo = (uint8_t)tn_cc_decide(s, near, &v->confidence, &v->reason);
	v->clocked_pm = tn_cc_clocked_pm(s);
	v->near = near;
	v->hystart = s->hystart;
	v->ss_cut = s->ss_cut_pm / 1000.0;
	v->n_cuts = s->n_cuts;
	memcpy(v->cut_pm, s->cut_pm, sizeof v->cut_pm);
	v->cut_median = median_pm(s) / 1000.0;
	v->losses = s->losses;
	v->rounds = s->rounds;
	v->ss_exit_round = s->ss_exit_round;
	v->ss_exit_flight = s->ss_exit_flight;
	v->gain_ups = s->gain_ups;
	v->gain_downs = s->gain_downs;
	v->probe_rtt = s->probe_rtt;
	v->growth_per_round = s->lin_rounds ? (double)s->lin_sum_pm / 1000.0 / s->lin_rounds : 0;
	v->last_shape = epoch_shape(s);
	v->conv_epochs = s->conv_epochs;
	v->conc_epochs = s->conc_epochs;
	v->flat_epochs = s->flat_epochs;
	v->n_phases = s->n_phases;
	memcpy(v->phases, s->phases, sizeof v->phases);
}

const char *tn_cc_algo_key(enum tn_cc_algo a)
{
	static const char *const k[] = { "undetermined", "reno", "cubic", "bbr" };
	return (unsigned)a < 4 ? k[a] : "?";
}

const char *tn_cc_phase_key(enum tn_cc_phase p)
{
	static const char *const k[TN_PH_COUNT] = {
		"slow_start", "congestion_avoidance", "fast_recovery", "rto",
		"idle_restart", "app_limited", "rwnd_limited",
	};
	return (unsigned)p < TN_PH_COUNT ? k[p] : "?";
}
