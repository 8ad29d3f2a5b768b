/*
 * test_render.c — the renderers' pure helpers (include/tcpnarrate/render.h):
 * tn_escape_preview(), tn_service_name(), tn_format_time(), and the ASCII
 * stream of tn_render_ascii_stream() and its spelling into a buffer; and
 * the text builder of src/render/strbuf.h (numbers, padding, cuts, output
 * mode, fixed decimals against printf); addresses against inet_ntop.
 *
 * Output buffers are poisoned with 0xA5 and have guard bytes after the
 * length passed in, so a write past outlen or a missing terminator shows.
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include <tcpnarrate/render.h>
#include <tcpnarrate/analysis.h>

#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "../../src/render/strbuf.h"

#define GUARD 8

/* ---------------------------------------------------------------- escape */

static const struct esc_case {
	const char *name;
	const char *in;       /* input bytes (n of them) */
	size_t n;
	size_t max_in;
	size_t outlen;
	const char *out;
	size_t shown;
} esc_cases[] = {
	{ "plain text", "GET /", 5, 64, 64, "GET /", 5 },
	{ "empty input", "", 0, 64, 64, "", 0 },
	{ "stops after the first line end", "GET / HTTP/1.1\r\nHost: x\r\n", 25, 64, 64,
	  "GET / HTTP/1.1\\r\\n", 16 },
	{ "newline first", "\nabc", 4, 64, 64, "\\n", 1 },
	{ "bare CR does not stop", "a\rb", 3, 64, 64, "a\\rb", 3 },
	{ "tab", "a\tb", 3, 64, 64, "a\\tb", 3 },
	{ "quote and backslash", "say \"hi\\there\"", 14, 64, 64, "say \\\"hi\\\\there\\\"", 14 },
	{ "control bytes", "\x00\x01\x07\x7f", 4, 64, 64, "\\x00\\x01\\x07\\x7f", 4 },
	{ "high bytes", "\x80\xff\xc3\xa9", 4, 64, 64, "\\x80\\xff\\xc3\\xa9", 4 },
	{ "ANSI colour sequence", "\x1b[31mred\x1b[0m", 12, 64, 64, "\\x1b[31mred\\x1b[0m", 12 },
	{ "cursor movement", "\x1b[2J\x1b[H", 7, 64, 64, "\\x1b[2J\\x1b[H", 7 },
	{ "space and tilde stay", " ~", 2, 64, 64, " ~", 2 },
	{ "max_in cuts the input", "abcdef", 6, 3, 64, "abc", 3 },
	{ "max_in 0", "abcdef", 6, 0, 64, "", 0 },
	{ "max_in past n", "abc", 3, 100, 64, "abc", 3 },
	{ "max_in before the newline", "ab\ncd", 5, 2, 64, "ab", 2 },
	{ "output of 1 byte", "abc", 3, 64, 1, "", 0 },
	{ "output of 3 bytes", "abcdef", 6, 64, 3, "ab", 2 },
	{ "escape does not fit: stop before it", "ab\x01", 3, 64, 5, "ab", 2 },
	{ "escape exactly fits", "\x01", 1, 64, 5, "\\x01", 1 },
	{ "two-char escape does not fit", "a\"", 2, 64, 3, "a", 1 },
	{ "newline escape does not fit", "a\nb", 3, 64, 3, "a", 1 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 },
};

START_TEST(test_escape_table)
{
	const struct esc_case *c = &esc_cases[_i];
	char out[256 + GUARD];
	ck_assert_uint_le(c->outlen, 256);
	memset(out, 0xA5, sizeof out);
	size_t shown = tn_escape_preview((const uint8_t *)c->in, c->n, c->max_in, out, c->outlen);
	ck_assert_msg(memchr(out, '\0', c->outlen) != NULL, "%s: not NUL-terminated", c->name);
	ck_assert_msg(strcmp(out, c->out) == 0, "%s: '%s', expected '%s'", c->name, out, c->out);
	ck_assert_msg(shown == c->shown, "%s: shown %zu, expected %zu", c->name, shown, c->shown);
	for (size_t i = c->outlen; i < c->outlen + GUARD; i++)
		ck_assert_msg((uint8_t)out[i] == 0xA5, "%s: wrote byte %zu past outlen", c->name, i);
	/* Whatever came in, only printable ASCII goes out. */
	for (const char *p = out; *p; p++)
		ck_assert_msg(*p >= 0x20 && *p < 0x7f, "%s: byte 0x%02x in output", c->name,
			      (unsigned)(uint8_t)*p);
}
END_TEST

START_TEST(test_escape_zero_outlen)
{
	char out[4] = { (char)0xA5, (char)0xA5, (char)0xA5, (char)0xA5 };
	ck_assert_uint_eq(tn_escape_preview((const uint8_t *)"abc", 3, 3, out, 0), 0);
	ck_assert_uint_eq((uint8_t)out[0], 0xA5);
}
END_TEST

START_TEST(test_escape_every_byte)
{
	/* Each of the 256 byte values, alone, in a buffer that always fits. */
	for (unsigned b = 0; b < 256; b++) {
		uint8_t in = (uint8_t)b;
		char out[8];
		memset(out, 0xA5, sizeof out);
		ck_assert_uint_eq(tn_escape_preview(&in, 1, 1, out, sizeof out), 1);
		size_t n = strlen(out);
		if (b == '\\' || b == '"' || b == '\r' || b == '\n' || b == '\t')
			ck_assert_msg(n == 2 && out[0] == '\\', "byte 0x%02x -> '%s'", b, out);
		else if (b >= 0x20 && b < 0x7f)
			ck_assert_msg(n == 1 && (uint8_t)out[0] == b, "byte 0x%02x -> '%s'", b, out);
		else
			ck_assert_msg(n == 4 && out[0] == '\\' && out[1] == 'x', "byte 0x%02x -> '%s'",
				      b, out);
	}
}
END_TEST

/* ---------------------------------------------------------------- services */

static const struct svc_case {
	const char *name;
	uint16_t port;
	const char *service;   /* NULL: none */
} svc_cases[] = {
	{ "http", 80, "http" },
	{ "https", 443, "https" },
	{ "ssh", 22, "ssh" },
	{ "smtp", 25, "smtp" },
	{ "domain (TCP)", 53, "domain" },
	{ "http-alt 8080", 8080, "http-alt" },
	{ "postgresql", 5432, "postgresql" },
	{ "mongodb (last in the table)", 27017, "mongodb" },
	{ "echo (first in the table)", 7, "echo" },
	{ "discard (second)", 9, "discard" },
	{ "memcache (last but one)", 11211, "memcache" },
	{ "mysql", 3306, "mysql" },
	{ "ms-sql-s", 1433, "ms-sql-s" },
	{ "http-alt 8008", 8008, "http-alt" },
	{ "redis", 6379, "redis" },
	{ "between two entries", 3307, NULL },
	{ "above the last", 27018, NULL },
	{ "port 0", 0, NULL },
	{ "port 1", 1, NULL },
	{ "ephemeral port", 43210, NULL },
	{ "port 65535", 65535, NULL },
	{ NULL, 0, NULL },
};

START_TEST(test_service_table)
{
	const struct svc_case *c = &svc_cases[_i];
	const char *s = tn_service_name(c->port);
	if (c->service)
		ck_assert_msg(s && strcmp(s, c->service) == 0, "%s: '%s'", c->name, s ? s : "(null)");
	else
		ck_assert_msg(s == NULL, "%s: '%s'", c->name, s);
}
END_TEST

/* ---------------------------------------------------------------- time */

static const struct time_case {
	const char *name;
	int64_t sec;
	uint32_t nsec;
	int digits;
	bool with_date;
	size_t len;
	const char *out;
} time_cases[] = {
	{ "epoch", 0, 0, 6, true, 64, "1970-01-01 00:00:00.000000" },
	{ "epoch, nanoseconds", 0, 0, 9, true, 64, "1970-01-01 00:00:00.000000000" },
	{ "epoch, no date", 0, 0, 6, false, 64, "00:00:00.000000" },
	{ "microseconds truncate, not round", 0, 999999999, 6, true, 64,
	  "1970-01-01 00:00:00.999999" },
	{ "nanosecond digits", 1700000000, 123456789, 9, true, 64,
	  "2023-11-14 22:13:20.123456789" },
	{ "same, microsecond digits", 1700000000, 123456789, 6, true, 64,
	  "2023-11-14 22:13:20.123456" },
	{ "leading zeros in the fraction", 1700000000, 1000, 6, false, 64, "22:13:20.000001" },
	{ "leading zeros, nanoseconds", 1700000000, 7, 9, false, 64, "22:13:20.000000007" },
	{ "last second of 32-bit time_t", 2147483647, 0, 6, true, 64,
	  "2038-01-19 03:14:07.000000" },
	{ "2038 boundary (2^31)", 2147483648, 0, 6, true, 64, "2038-01-19 03:14:08.000000" },
	{ "unsigned 32-bit limit (2^32)", 4294967296, 0, 6, true, 64,
	  "2106-02-07 06:28:16.000000" },
	{ "2^32 - 1", 4294967295, 999999000, 6, true, 64, "2106-02-07 06:28:15.999999" },
	{ "before the epoch", -1, 0, 6, true, 64, "1969-12-31 23:59:59.000000" },
	{ "leap day", 951782400, 0, 6, true, 64, "2000-02-29 00:00:00.000000" },
	{ "buffer too small: cut, terminated", 0, 0, 6, true, 11, "1970-01-01" },
	{ "out of range for a calendar", INT64_MAX, 5, 9, true, 64,
	  "9223372036854775807.000000005" },
	{ NULL, 0, 0, 0, false, 0, NULL },
};

START_TEST(test_time_table)
{
	const struct time_case *c = &time_cases[_i];
	char buf[128 + GUARD];
	ck_assert_uint_le(c->len, 128);
	memset(buf, 0xA5, sizeof buf);
	tn_format_time(c->sec, c->nsec, c->digits, c->with_date, buf, c->len);
	ck_assert_msg(memchr(buf, '\0', c->len) != NULL, "%s: not terminated", c->name);
	ck_assert_msg(strcmp(buf, c->out) == 0, "%s: '%s', expected '%s'", c->name, buf, c->out);
	for (size_t i = c->len; i < c->len + GUARD; i++)
		ck_assert_msg((uint8_t)buf[i] == 0xA5, "%s: wrote past len", c->name);
}
END_TEST

/* ---------------------------------------------------------------- ascii */

static const struct ascii_case {
	const char *name;
	const char *chunks[4];   /* written one after the other, NULL-terminated */
	const char *out;
} ascii_cases[] = {
	{ "ASCII passes unchanged", { "GET / HTTP/1.1\r\n", NULL }, "GET / HTTP/1.1\r\n" },
	{ "arrow", { "client SYN-SENT→ESTABLISHED", NULL }, "client SYN-SENT->ESTABLISHED" },
	{ "every spelling", { "→←·×…—–§»±≥≤", NULL }, "-><-*x...---section >>+/->=<=" },
	{ "section sign before a number", { "RFC 9293 §3.5", NULL }, "RFC 9293 section 3.5" },
	{ "a character split over two writes", { "a \xe2", "\x86\x92 b", NULL }, "a -> b" },
	{ "a character split over three writes", { "\xe2", "\x86", "\x92", NULL }, "->" },
	{ "a character it does not know", { "caf\xc3\xa9 \xf0\x9f\x98\x80", NULL }, "caf? ?" },
	{ "a stray continuation byte", { "\x80" "a", NULL }, "?a" },
	{ "a byte no character starts with", { "\xff" "a", NULL }, "?a" },
	{ "a character cut short by ASCII", { "\xe2\x86" "a", NULL }, "?a" },
	{ "a character cut short by another", { "\xe2\xc3\xa9", NULL }, "??" },
	{ "the output ends inside a character", { "x\xe2\x86", NULL }, "x?" },
	{ "colour codes pass", { "\033[1m→\033[0m", NULL }, "\033[1m->\033[0m" },
	{ NULL, { NULL }, NULL },
};

START_TEST(test_ascii_table)
{
	const struct ascii_case *c = &ascii_cases[_i];
	char *buf = NULL;
	size_t len = 0;
	FILE *under = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(under);
	FILE *f = tn_render_ascii_stream(under);
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; c->chunks[i]; i++)
		ck_assert_int_ge(fputs(c->chunks[i], f), 0);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(fflush(under), 0);
	ck_assert_msg(strcmp(buf, c->out) == 0, "%s: '%s', expected '%s'", c->name, buf, c->out);
	fclose(under);
	free(buf);
}
END_TEST

/* The same text spelled into a buffer (the ladder measures notes so): what the stream writes. */
START_TEST(test_ascii_spell_table)
{
	const struct ascii_case *c = &ascii_cases[_i];
	char in[64] = "", out[64];
	for (size_t i = 0; c->chunks[i]; i++)
		strcat(in, c->chunks[i]);
	memset(out, 'Z', sizeof out);
	tn_render_ascii_spell(in, out, sizeof out);
	ck_assert_msg(strcmp(out, c->out) == 0, "%s: '%s', expected '%s'", c->name, out, c->out);
}
END_TEST

/* Cut at the buffer: never half a spelling, always terminated. */
START_TEST(test_ascii_spell_cut)
{
	char out[8];
	memset(out, 'Z', sizeof out);
	tn_render_ascii_spell("a→b→c§", out, 5);
	ck_assert_str_eq(out, "a->b");
	tn_render_ascii_spell("§", out, 4);
	ck_assert_str_eq(out, "");
	tn_render_ascii_spell("x", out, 1);
	ck_assert_str_eq(out, "");
	out[0] = 'Z';
	tn_render_ascii_spell("x", out, 0);
	ck_assert_int_eq(out[0], 'Z');
}
END_TEST

/* What is written reaches the stream below at once: a live capture flushes only that one. */
START_TEST(test_ascii_unbuffered)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *under = open_memstream(&buf, &len);
	FILE *f = tn_render_ascii_stream(under);
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#%d %s\n", 4, "10.0.1.5 → 10.0.2.10");
	fflush(under);
	ck_assert_str_eq(buf, "#4 10.0.1.5 -> 10.0.2.10\n");
	fclose(f);
	fputs("under stays open", under);
	fclose(under);
	ck_assert_str_eq(buf, "#4 10.0.1.5 -> 10.0.2.10\nunder stays open");
	free(buf);
}
END_TEST

/* ------------------------------------------------------------- strbuf */

START_TEST(test_sb_numbers)
{
	char buf[128];
	struct tn_sb b;
	tn_sb_init(&b, buf, sizeof buf);
	tn_sb_uint(&b, 0);
	tn_sb_chr(&b, ' ');
	tn_sb_uint(&b, 9);
	tn_sb_chr(&b, ' ');
	tn_sb_uint(&b, 10);
	tn_sb_chr(&b, ' ');
	tn_sb_uint(&b, 99);
	tn_sb_chr(&b, ' ');
	tn_sb_uint(&b, 100);
	tn_sb_chr(&b, ' ');
	tn_sb_uint(&b, 1234567);
	tn_sb_chr(&b, ' ');
	tn_sb_uint(&b, UINT64_MAX);
	tn_sb_chr(&b, ' ');
	tn_sb_uint_w(&b, 42, 6);
	tn_sb_chr(&b, ' ');
	tn_sb_hex_w(&b, 0xabc, 4);
	tn_sb_chr(&b, ' ');
	tn_sb_hex_w(&b, 0x12345, 2);
	tn_sb_chr(&b, '|');
	tn_sb_pad(&b, "ab", 5);
	tn_sb_pad(&b, "toolong", 3);
	tn_sb_rep(&b, '-', 3);
	ck_assert_str_eq(buf, "0 9 10 99 100 1234567 18446744073709551615 000042 0abc 12345|ab   "
			 "toolong---");
	ck_assert(!b.cut);
}
END_TEST

/* A fixed buffer keeps what fits and notes the cut. */
START_TEST(test_sb_cut)
{
	char buf[8];
	struct tn_sb b;
	tn_sb_init(&b, buf, sizeof buf);
	tn_sb_str(&b, "abc");
	tn_sb_uint(&b, 12345678);
	ck_assert_str_eq(buf, "abc1234");
	ck_assert(b.cut);
	tn_sb_chr(&b, 'x');
	tn_sb_pad(&b, "y", 4);
	ck_assert_str_eq(buf, "abc1234");
}
END_TEST

/* An output buffer never cuts: pieces of any length reach the stream whole and in order. */
START_TEST(test_sb_out)
{
	char buf[8], *got = NULL, want[2048];
	size_t got_len = 0, w = 0;
	FILE *f = open_memstream(&got, &got_len);
	struct tn_sb b;
	ck_assert_ptr_nonnull(f);
	tn_sb_init_out(&b, buf, sizeof buf, f);
	for (int i = 0; i < 40; i++) {
		static const char *const piece[] = { "a", "bcdefgh", "ijklmnopqrstuvwxyz", "" };
		tn_sb_str(&b, piece[i % 4]);
		w += (size_t)snprintf(want + w, sizeof want - w, "%s", piece[i % 4]);
		tn_sb_uint(&b, (uint64_t)i * 1000003u);
		w += (size_t)snprintf(want + w, sizeof want - w, "%u", (unsigned)i * 1000003u);
		tn_sb_pad(&b, "p", 9);
		w += (size_t)snprintf(want + w, sizeof want - w, "%-9s", "p");
		tn_sb_printf(&b, "<%d>", i);
		w += (size_t)snprintf(want + w, sizeof want - w, "<%d>", i);
	}
	tn_sb_flush(&b);
	fclose(f);
	ck_assert(!b.cut);
	ck_assert_uint_eq(got_len, w);
	ck_assert_str_eq(got, want);
	free(got);
}
END_TEST

/* ------------------------------------------------------- fixed decimals */

/* tn_sb_fixed against printf's "%.*f" on one value, every number of decimals. */
static void check_fixed(double x)
{
	for (int d = 0; d <= 9; d++) {
		char want[400], got[400];
		struct tn_sb b;
		snprintf(want, sizeof want, "%.*f", d, x);
		tn_sb_init(&b, got, sizeof got);
		tn_sb_fixed(&b, x, d);
		ck_assert_msg(strcmp(want, got) == 0, "%.17g with %d decimals: '%s', printf '%s'", x, d,
			      got, want);
	}
}

START_TEST(test_fixed_like_printf)
{
	static const double edge[] = { 0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 0.0005, 0.0015,
				       1.0005, 2.675, 1e-12, -1e-12, 999.9995, 0.9999999999,
				       4503599627370496.5, 9007199254740993.0, 1e300, -1e300 };
	for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
		check_fixed(edge[i]);
	for (int64_t k = -2000; k <= 2000; k++) {   /* exact ties and their neighbours */
		check_fixed((double)k / 8);
		check_fixed((double)k / 1024);
		check_fixed(nextafter((double)k / 16, 1e9));
		check_fixed(nextafter((double)k / 16, -1e9));
	}
	uint64_t s = 88172645463325252u;   /* xorshift: nanosecond counts as the reports divide them */
	for (int i = 0; i < 20000; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		int64_t ns = (int64_t)(s % 100000000000u);
		check_fixed((double)ns / 1e9);
		check_fixed((double)ns / 1e6);
		check_fixed((double)(s % 1000000u) / 1e3);
		check_fixed(100.0 * (double)(s % 977u) / (double)(s % 1013u + 1));
	}
}
END_TEST

/* One address through tn_endpoint_addr, against the C library's inet_ntop. */
static void check_addr(int family, const uint8_t *a)
{
	struct tn_endpoint ep = { .family = (uint8_t)family };
	memcpy(ep.addr, a, family == 4 ? 4 : 16);
	char got[TN_ADDR_STRLEN], want[TN_ADDR_STRLEN];
	tn_endpoint_addr(&ep, got, sizeof got);
	ck_assert_ptr_nonnull(inet_ntop(family == 4 ? AF_INET : AF_INET6, a, want, sizeof want));
	ck_assert_msg(strcmp(got, want) == 0, "'%s', inet_ntop '%s'", got, want);
}

/*
 * Addresses are formatted by hand (inet_ntop's printf per group was 3% of
 * --summary): the same text as inet_ntop for every pattern of zero groups
 * (all 256, so every run length and tie), with each group drawn from values
 * that test leading zeros, and for the IPv4-compatible and IPv4-mapped forms.
 */
START_TEST(test_addr_like_inet_ntop)
{
	static const uint16_t vals[] = { 1, 0xf, 0x10, 0xff, 0x100, 0xfff, 0x1000, 0xffff, 0xabc,
					 0x2001, 0xdb8 };
	uint64_t s = 0x9e3779b97f4a7c15u;
	for (unsigned zeros = 0; zeros < 256; zeros++) {
		for (int round = 0; round < 40; round++) {
			uint8_t a[16];
			for (int g = 0; g < 8; g++) {
				s ^= s << 13;
				s ^= s >> 7;
				s ^= s << 17;
				uint16_t v = zeros & (1u << g) ? 0 : vals[s % (sizeof vals / sizeof vals[0])];
				if (round == 1 && g == 5 && (zeros & 0x1f) == 0x1f)
					v = 0xffff; /* ::ffff:a.b.c.d and its neighbours */
				a[2 * g] = (uint8_t)(v >> 8);
				a[2 * g + 1] = (uint8_t)v;
			}
			check_addr(6, a);
			check_addr(4, a + 12);
		}
	}
	static const uint8_t fixed[][16] = {
		{ 0 }, { [15] = 1 }, { [12] = 10, [15] = 1 }, { [10] = 0xff, [11] = 0xff, [12] = 1 },
		{ [10] = 0xff, [11] = 0xfe, [12] = 1 }, { [11] = 1, [12] = 1 }, { 0xfe, 0x80, [15] = 1 },
	};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		check_addr(6, fixed[i]);
}
END_TEST

static Suite *render_suite(void)
{
	Suite *s = suite_create("render");
	TCase *tc = tcase_create("escape");
	TN_ADD_TABLE_TEST(tc, test_escape_table, esc_cases);
	tcase_add_test(tc, test_escape_zero_outlen);
	tcase_add_test(tc, test_escape_every_byte);
	suite_add_tcase(s, tc);
	tc = tcase_create("names");
	TN_ADD_TABLE_TEST(tc, test_service_table, svc_cases);
	suite_add_tcase(s, tc);
	tc = tcase_create("strbuf");
	tcase_add_test(tc, test_sb_numbers);
	tcase_add_test(tc, test_sb_cut);
	tcase_add_test(tc, test_sb_out);
	suite_add_tcase(s, tc);
	tc = tcase_create("fixed");
	tcase_add_test(tc, test_fixed_like_printf);
	suite_add_tcase(s, tc);
	tc = tcase_create("addresses");
	tcase_add_test(tc, test_addr_like_inet_ntop);
	suite_add_tcase(s, tc);
	tc = tcase_create("time");
	TN_ADD_TABLE_TEST(tc, test_time_table, time_cases);
	suite_add_tcase(s, tc);
	tc = tcase_create("ascii");
	TN_ADD_TABLE_TEST(tc, test_ascii_table, ascii_cases);
	tcase_add_test(tc, test_ascii_unbuffered);
	TN_ADD_TABLE_TEST(tc, test_ascii_spell_table, ascii_cases);
	tcase_add_test(tc, test_ascii_spell_cut);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tn_unit_run(render_suite());
}
