/*
 * test_inner.c — --inner, the filter on decoded headers (include/tcpnarrate/inner.h).
 *
 * A table of expressions, each against the same two segments (one IPv4, one
 * IPv6) with its expected verdicts, and a table of expressions that must be
 * refused with a message naming the bad word.
 */
#include <tcpnarrate/inner.h>

#include <arpa/inet.h>
#include <string.h>

#include "unit.h"

static void seg4(struct tn_packet *p, const char *src, uint16_t sport, const char *dst,
		 uint16_t dport)
{
	memset(p, 0xA5, sizeof *p);
	p->ip_version = 4;
	ck_assert(inet_pton(AF_INET, src, p->ip4.src) == 1);
	ck_assert(inet_pton(AF_INET, dst, p->ip4.dst) == 1);
	p->tcp.sport = sport;
	p->tcp.dport = dport;
}

static void seg6(struct tn_packet *p, const char *src, uint16_t sport, const char *dst,
		 uint16_t dport)
{
	memset(p, 0xA5, sizeof *p);
	p->ip_version = 6;
	ck_assert(inet_pton(AF_INET6, src, p->ip6.src) == 1);
	ck_assert(inet_pton(AF_INET6, dst, p->ip6.dst) == 1);
	p->tcp.sport = sport;
	p->tcp.dport = dport;
}

static const struct match_case {
	const char *expr;
	bool v4, v6;     /* 10.0.0.1:40000 → 10.0.0.2:80; fd00::1:40000 → fd00::2:443 */
} match_cases[] = {
	{ "host 10.0.0.1", true, false },
	{ "host 10.0.0.2 and port 80", true, false },
	{ "host 10.0.0.1 and port 443", false, false },
	{ "port 40000", true, true },
	{ "src port 80", false, false },
	{ "dst port 80", true, false },
	{ "src host 10.0.0.2", false, false },
	{ "dst host 10.0.0.2", true, false },
	{ "net 10.0.0.0/8", true, false },
	{ "net 10.0.0.0/31", true, false },
	{ "net 10.0.0.2/32", true, false },
	{ "src net 10.0.0.2/31", false, false },
	{ "net 0.0.0.0/0", true, false },
	{ "net fd00::/8", false, true },
	{ "host fd00::2 and dst port 443 and src port 40000", false, true },
	{ "  port\t80  ", true, false },
	{ NULL, false, false },
};

START_TEST(test_match_table)
{
	const struct match_case *c = &match_cases[_i];
	struct tn_inner_filter f;
	struct tn_packet p4, p6;
	char err[160] = "";
	seg4(&p4, "10.0.0.1", 40000, "10.0.0.2", 80);
	seg6(&p6, "fd00::1", 40000, "fd00::2", 443);
	ck_assert_msg(tn_inner_parse(c->expr, &f, err, sizeof err) == 0, "%s: %s", c->expr, err);
	ck_assert_msg(tn_inner_match(&f, &p4) == c->v4, "%s (IPv4)", c->expr);
	ck_assert_msg(tn_inner_match(&f, &p6) == c->v6, "%s (IPv6)", c->expr);
}
END_TEST

static const struct bad_case {
	const char *expr;
	const char *names;   /* the message must contain this */
} bad_cases[] = {
	{ "", "empty" },
	{ "host", "after 'host'" },
	{ "host 10.0.0.300", "'10.0.0.300'" },
	{ "host 10.0.0.0/8", "'10.0.0.0/8'" },
	{ "net 10.0.0.0", "'10.0.0.0'" },
	{ "net 10.0.0.0/33", "'10.0.0.0/33'" },
	{ "port 65536", "'65536'" },
	{ "port 80 or port 81", "'or'" },
	{ "port 80 and", "and" },
	{ "proto 6", "'proto'" },
	{ "port 1 and port 2 and port 3 and port 4 and port 5 and port 6 and port 7 and port 8 "
	  "and port 9", "more than 8" },
	{ NULL, NULL },
};

START_TEST(test_bad_table)
{
	const struct bad_case *c = &bad_cases[_i];
	struct tn_inner_filter f;
	char err[160] = "";
	ck_assert_msg(tn_inner_parse(c->expr, &f, err, sizeof err) < 0, "'%s' parsed", c->expr);
	ck_assert_msg(strstr(err, c->names) != NULL, "'%s': %s", c->expr, err);
	ck_assert(strncmp(err, "--inner: ", 9) == 0);
}
END_TEST

START_TEST(test_no_terms_match_everything)
{
	struct tn_inner_filter f = { 0 };
	struct tn_packet p;
	seg4(&p, "10.0.0.1", 1, "10.0.0.2", 2);
	ck_assert(tn_inner_match(&f, &p));
}
END_TEST

static Suite *inner_suite(void)
{
	Suite *s = suite_create("inner");
	TCase *tc = tcase_create("parse and match");
	TN_ADD_TABLE_TEST(tc, test_match_table, match_cases);
	TN_ADD_TABLE_TEST(tc, test_bad_table, bad_cases);
	tcase_add_test(tc, test_no_terms_match_everything);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tn_unit_run(inner_suite());
}
