/*
 * test_seq.c — sequence-number comparisons modulo 2^32 (include/tcpnarrate/seq.h).
 *
 * RFC 9293 §3.4 compares sequence numbers within half the number space: a
 * is "before" b when b - a, taken modulo 2^32, is under 2^31. Exactly 2^31
 * apart is ambiguous; with the (int32_t)(a - b) definition the number that
 * is 2^31 "ahead" counts as before (the sign bit is set).
 */
#include <tcpnarrate/seq.h>

#include "unit.h"

static const struct cmp_case {
	const char *name;
	uint32_t a, b;
	bool lt, leq, gt, geq;
} cmp_cases[] = {
	{ "equal zero", 0, 0, false, true, false, true },
	{ "equal max", 0xffffffffu, 0xffffffffu, false, true, false, true },
	{ "one after", 1, 0, false, false, true, true },
	{ "one before", 0, 1, true, true, false, false },
	{ "max before zero (wrap)", 0xffffffffu, 0, true, true, false, false },
	{ "zero after max (wrap)", 0, 0xffffffffu, false, false, true, true },
	{ "small after near-max (wrap)", 0x10, 0xfffffff0u, false, false, true, true },
	{ "near-max before small (wrap)", 0xfffffff0u, 0x10, true, true, false, false },
	{ "2^31 - 1 ahead is after", 0x7fffffffu, 0, false, false, true, true },
	{ "2^31 - 1 behind is before", 0, 0x7fffffffu, true, true, false, false },
	{ "2^31 apart: counts as before", 0x80000000u, 0, true, true, false, false },
	{ "2^31 apart, other way round", 0, 0x80000000u, true, true, false, false },
	{ "2^31 + 1 ahead is before", 0x80000001u, 0, true, true, false, false },
	{ "large, across the wrap", 0x00001000u, 0xfff00000u, false, false, true, true },
	{ NULL, 0, 0, false, false, false, false },
};

START_TEST(test_compare_table)
{
	const struct cmp_case *c = &cmp_cases[_i];
	ck_assert_msg(tn_seq_lt(c->a, c->b) == c->lt, "%s: lt", c->name);
	ck_assert_msg(tn_seq_leq(c->a, c->b) == c->leq, "%s: leq", c->name);
	ck_assert_msg(tn_seq_gt(c->a, c->b) == c->gt, "%s: gt", c->name);
	ck_assert_msg(tn_seq_geq(c->a, c->b) == c->geq, "%s: geq", c->name);
	/* The four always agree with each other. */
	ck_assert(tn_seq_leq(c->a, c->b) == (tn_seq_lt(c->a, c->b) || c->a == c->b));
	ck_assert(tn_seq_geq(c->a, c->b) == !tn_seq_lt(c->a, c->b));
	ck_assert(tn_seq_gt(c->a, c->b) == !tn_seq_leq(c->a, c->b));
}
END_TEST

static const struct rel_case {
	const char *name;
	uint32_t a, base, rel;
} rel_cases[] = {
	{ "same", 1000, 1000, 0 },
	{ "ahead", 1001, 1000, 1 },
	{ "across the wrap", 0x00000010u, 0xfffffff0u, 0x20 },
	{ "isn at max", 0, 0xffffffffu, 1 },
	{ "behind the base", 999, 1000, 0xffffffffu },
	{ NULL, 0, 0, 0 },
};

START_TEST(test_rel_table)
{
	const struct rel_case *c = &rel_cases[_i];
	ck_assert_msg(tn_seq_rel(c->a, c->base) == c->rel, "%s: rel 0x%x", c->name,
		      tn_seq_rel(c->a, c->base));
}
END_TEST

static Suite *seq_suite(void)
{
	Suite *s = suite_create("seq");
	TCase *tc = tcase_create("compare");
	TN_ADD_TABLE_TEST(tc, test_compare_table, cmp_cases);
	TN_ADD_TABLE_TEST(tc, test_rel_table, rel_cases);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tn_unit_run(seq_suite());
}
