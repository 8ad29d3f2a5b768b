/*
 * test_sender.c — the sender's limits and congestion verdict (limits.c,
 * congestion.c): the category of an instant from what the wire shows, the
 * cut after a loss, the shape of growth, and whole synthetic flight series
 * (a round's flight at a time, losses where the table says) run through the
 * same hooks limits.c calls, each expected to get its algorithm named.
 */
#include <string.h>

#include <tcpnarrate/sender.h>

#include "unit.h"

#define SEG 1448u

static const struct cat_case {
	const char *name;
	uint32_t out, win;
	bool known;
	bool recovering;
	uint32_t prev;
	enum tn_lim_cat want;
} cat_cases[] = {
	{ "nothing out, window open", 0, 65535, true, false, 0, TN_LIM_GAP_APP },
	{ "nothing out, window shut", 0, 0, true, false, 0, TN_LIM_GAP_RWND },
	{ "nothing out, window unknown", 0, 0, false, false, 0, TN_LIM_GAP_APP },
	{ "a full window wins over recovery (the kernel counts it so)", 60000, 60000, true, true, 0, TN_LIM_RWND },
	{ "recovery with room in the window", 30000, 60000, true, true, 0, TN_LIM_RECOVERY },
	{ "next segment does not fit", 64100, 65535, true, false, 64000, TN_LIM_RWND },
	{ "fits exactly", 64087, 65535, true, false, 64000, TN_LIM_CWND },
	{ "small flight: the application", 10000, 1 << 20, true, false, 64000, TN_LIM_APP },
	{ "half the last round: still the network", 32000, 1 << 20, true, false, 64000, TN_LIM_CWND },
	{ "window unknown: never rwnd", 64000, 0, false, false, 64000, TN_LIM_CWND },
	{ NULL, 0, 0, false, false, 0, TN_LIM_NONE },
};

START_TEST(test_category)
{
	const struct cat_case *c = &cat_cases[_i];
	ck_assert_msg(tn_limits_category(c->out, c->win, c->known, SEG, c->recovering, c->prev) ==
		      c->want, "%s", c->name);
}
END_TEST

START_TEST(test_cut)
{
	ck_assert_uint_eq(tn_cc_cut_pm(100, 50), 500);
	ck_assert_uint_eq(tn_cc_cut_pm(100, 70), 700);
	ck_assert_uint_eq(tn_cc_cut_pm(0, 70), 0);
	ck_assert_uint_eq(tn_cc_cut_pm(1, 100000), 2000);
}
END_TEST

START_TEST(test_shape)
{
	static const uint32_t linear[] = { 10, 11, 12, 13, 14, 15, 16, 17 };
	static const uint32_t concave[] = { 10, 20, 26, 29, 30, 30, 31, 31 };
	static const uint32_t convex[] = { 30, 30, 31, 31, 33, 37, 45, 60 };
	ck_assert_int_eq(tn_cc_epoch_shape(linear, 8), 0);
	ck_assert_int_eq(tn_cc_epoch_shape(concave, 8), -1);
	ck_assert_int_eq(tn_cc_epoch_shape(convex, 8), 1);
	ck_assert_int_eq(tn_cc_epoch_shape(linear, 3), 0);
}
END_TEST

/* Runs a flight series (segments a round) through the hooks, a loss in the rounds marked. */
static void run_series(struct tn_sender *s, const uint32_t *f, const bool *loss, unsigned n)
{
	memset(s, 0, sizeof *s);
	s->max_seg = SEG;
	unsigned recover_at = 0;
	for (unsigned i = 0; i < n; i++) {
		s->round_max = f[i] * SEG;
		s->cat = TN_LIM_CWND;
		s->ns[TN_LIM_CWND] += 1000000;
		if (recover_at == i && s->recovering) {
			s->recovering = false;
			tn_cc_recovered(s, i);
		}
		if (loss[i] && !s->recovering) {
			s->rto = false;
			s->recovering = true;
			tn_cc_loss(s, i);
			recover_at = i + 1;
		}
		tn_cc_round(s, i);
		s->prev_round_max = s->round_max;
		s->rounds++;
	}
}

#define ROUNDS 60

/* Slow start to 64, then a loss every 15 rounds; after each, cut to beta and grow. */
static void loss_based(uint32_t *f, bool *loss, double beta, bool cubic)
{
	uint32_t w = 2, wmax = 0, k = 0;
	memset(loss, 0, ROUNDS * sizeof *loss);
	for (unsigned i = 0; i < ROUNDS; i++) {
		f[i] = w;
		if (w >= 64 || (i > 8 && (i % 15) == 0)) {
			loss[i] = true;
			wmax = w;
			w = (uint32_t)(w * beta);
			k = 0;
			f[++i < ROUNDS ? i : ROUNDS - 1] = wmax; /* the recovery round keeps the old flight */
			continue;
		}
		if (!wmax)
			w *= 2;
		else if (cubic)
			w = w + (w < wmax ? (wmax - w) / 2 + 1 : 1 + k++);
		else
			w++;
	}
}

static const struct series_case {
	const char *name;
	double beta;
	bool cubic;
	enum tn_cc_algo want;
	const char *reason;
} series_cases[] = {
	{ "reno halves and adds a segment a round", 0.5, false, TN_CC_RENO, "cut_to_half" },
	{ "cubic keeps 0.7 and grows back around the maximum", 0.7, true, TN_CC_CUBIC, "cut_to_0.7" },
	{ NULL, 0, false, TN_CC_UNDETERMINED, NULL },
};

START_TEST(test_loss_based_series)
{
	const struct series_case *c = &series_cases[_i];
	uint32_t f[ROUNDS];
	bool loss[ROUNDS];
	struct tn_sender s;
	double conf;
	const char *why;
	loss_based(f, loss, c->beta, c->cubic);
	run_series(&s, f, loss, ROUNDS);
	ck_assert_msg(tn_cc_decide(&s, false, &conf, &why) == c->want, "%s", c->name);
	ck_assert_str_eq(why, c->reason);
	ck_assert(conf >= 0.7);
}
END_TEST

/* Clocked by ACKs at the sender: cuts and growth that agree name Reno with confidence. */
START_TEST(test_clocked_cuts_and_growth)
{
	uint32_t f[ROUNDS];
	bool loss[ROUNDS];
	struct tn_sender s;
	double conf;
	const char *why;
	loss_based(f, loss, 0.5, false);
	run_series(&s, f, loss, ROUNDS);
	s.new_segs = s.clocked = 200;
	ck_assert_int_eq(tn_cc_decide(&s, true, &conf, &why), TN_CC_RENO);
	ck_assert_str_eq(why, "cut_to_half_and_linear_growth");
	ck_assert(conf > 0.9);
}
END_TEST

/* BBR: a flat flight with a 1.25 round and a 0.75 round every 8, a dip to 4 at round 40. */
START_TEST(test_bbr_series)
{
	uint32_t f[ROUNDS];
	bool loss[ROUNDS] = { false };
	struct tn_sender s;
	double conf;
	const char *why;
	for (unsigned i = 0; i < ROUNDS; i++)
		f[i] = i < 5 ? 4u << i : i % 8 == 0 ? 80 : i % 8 == 1 ? 48 : 64;
	f[40] = 4;
	run_series(&s, f, loss, ROUNDS);
	ck_assert_int_eq(tn_cc_decide(&s, false, &conf, &why), TN_CC_BBR);
	ck_assert_uint_ge(s.gain_ups, 3);
	ck_assert_uint_ge(s.probe_rtt, 1);
	/* and isolated losses that do not cut the flight */
	for (unsigned i = 12; i < ROUNDS; i += 12)
		loss[i] = true;
	for (unsigned i = 5; i < ROUNDS; i++)
		f[i] = 64;
	run_series(&s, f, loss, ROUNDS);
	ck_assert_int_eq(tn_cc_decide(&s, false, &conf, &why), TN_CC_BBR);
	ck_assert_str_eq(why, "no_cut_on_loss");
}
END_TEST

START_TEST(test_undetermined)
{
	uint32_t f[ROUNDS];
	bool loss[ROUNDS] = { false };
	struct tn_sender s;
	double conf;
	const char *why;
	for (unsigned i = 0; i < ROUNDS; i++)
		f[i] = i < 5 ? 4u << i : 64;
	run_series(&s, f, loss, 6);
	ck_assert_int_eq(tn_cc_decide(&s, false, &conf, &why), TN_CC_UNDETERMINED);
	ck_assert_str_eq(why, "too_short");
	run_series(&s, f, loss, ROUNDS);
	ck_assert_int_eq(tn_cc_decide(&s, false, &conf, &why), TN_CC_UNDETERMINED);
	ck_assert_str_eq(why, "no_loss");
	s.ns[TN_LIM_RWND] = s.ns[TN_LIM_CWND] * 2;
	ck_assert_int_eq(tn_cc_decide(&s, false, &conf, &why), TN_CC_UNDETERMINED);
	ck_assert_str_eq(why, "rwnd_limited");
	s.new_segs = 200;        /* paced at the sender: its own timer shows, window full or not */
	s.clocked = 40;
	ck_assert_int_eq(tn_cc_decide(&s, true, &conf, &why), TN_CC_BBR);
	ck_assert_str_eq(why, "paced");
	s.clocked = 190;         /* clocked by ACKs and the window full: the receiver set the pace */
	ck_assert_int_eq(tn_cc_decide(&s, true, &conf, &why), TN_CC_UNDETERMINED);
	ck_assert_str_eq(why, "rwnd_limited");
}
END_TEST

START_TEST(test_pool_bounded)
{
	char err[128];
	struct tn_ccpool *p = NULL;
	ck_assert_int_eq(tn_ccpool_create(&p, 0, err, sizeof err), -1);
	ck_assert_int_eq(tn_ccpool_create(&p, 2, err, sizeof err), 0);
	uint16_t a = tn_ccpool_take(p), b = tn_ccpool_take(p);
	ck_assert(a && b && a != b);
	ck_assert_uint_eq(tn_ccpool_take(p), 0);
	ck_assert_uint_eq(tn_ccpool_full(p), 1);
	tn_ccpool_at(p, a)->rounds = 7;
	tn_ccpool_give(p, a);
	uint16_t c = tn_ccpool_take(p);
	ck_assert_uint_eq(c, a);
	ck_assert_uint_eq(tn_ccpool_at(p, c)->rounds, 0);
	ck_assert_ptr_null(tn_ccpool_at(p, 0));
	tn_ccpool_destroy(p);
	tn_ccpool_destroy(NULL);
}
END_TEST

static Suite *sender_suite(void)
{
	Suite *s = suite_create("sender");
	TCase *tc = tcase_create("limits");
	TN_ADD_TABLE_TEST(tc, test_category, cat_cases);
	tcase_add_test(tc, test_pool_bounded);
	suite_add_tcase(s, tc);
	tc = tcase_create("congestion");
	tcase_add_test(tc, test_cut);
	tcase_add_test(tc, test_shape);
	TN_ADD_TABLE_TEST(tc, test_loss_based_series, series_cases);
	tcase_add_test(tc, test_bbr_series);
	tcase_add_test(tc, test_clocked_cuts_and_growth);
	tcase_add_test(tc, test_undetermined);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tn_unit_run(sender_suite());
}
