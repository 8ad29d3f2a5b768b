/*
 * jsonw.c — the streaming JSON writer (jsonw.h): members straight into a
 * buffer, formatted as cJSON_PrintUnformatted formats them.
 *
 * cJSON prints a number that equals its int value with "%d", any other
 * with "%1.15g", or "%1.17g" when 15 digits do not read back as the same
 * double; an unsigned integer below 10^15 is printed the same way by all
 * three, so it is written here digit by digit without printf. Strings are
 * escaped as cJSON does: the quote, the backslash and the control
 * characters (\b \f \n \r \t by name, others as \u00XX); every other byte,
 * UTF-8 included, as it is.
 */
#include "jsonw.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tn_jw_init(struct tn_jw *w, FILE *out)
{
	w->out = out;
	w->comma = false;
	w->len = 0;
}

void tn_jw_flush(struct tn_jw *w)
{
	if (w->len)
		fwrite(w->buf, 1, w->len, w->out);
	w->len = 0;
}

static void put(struct tn_jw *w, const char *s, size_t n)
{
	if (w->len + n > sizeof w->buf) {
		tn_jw_flush(w);
		if (n > sizeof w->buf) {
			fwrite(s, 1, n, w->out);
			return;
		}
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void put_c(struct tn_jw *w, char c)
{
	if (w->len == sizeof w->buf)
		tn_jw_flush(w);
	w->buf[w->len++] = c;
}

/* The comma before a value, and its key when it is a member. */
static void lead(struct tn_jw *w, const char *key)
{
	if (w->comma)
		put_c(w, ',');
	w->comma = true;
	if (key) {
		put_c(w, '"');
		put(w, key, strlen(key)); /* keys are the renderer's own words: nothing to escape */
		put(w, "\":", 2);
	}
}

void tn_jw_object(struct tn_jw *w, const char *key)
{
	lead(w, key);
	put_c(w, '{');
	w->comma = false;
}

void tn_jw_object_end(struct tn_jw *w)
{
	put_c(w, '}');
	w->comma = true;
}

void tn_jw_array(struct tn_jw *w, const char *key)
{
	lead(w, key);
	put_c(w, '[');
	w->comma = false;
}

void tn_jw_array_end(struct tn_jw *w)
{
	put_c(w, ']');
	w->comma = true;
}

static void put_uint(struct tn_jw *w, uint64_t v)
{
	char d[24];
	size_t i = sizeof d;
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(w, d + i, sizeof d - i);
}

/* cJSON's compare_double: equal within the precision of the larger. */
static bool same_double(double a, double b)
{
	double larger = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
	return fabs(a - b) <= larger * DBL_EPSILON;
}

/* cJSON's print_number, for any double. */
static void put_double(struct tn_jw *w, double v)
{
	char b[32];
	int n;
	int as_int = v >= INT_MAX ? INT_MAX : v <= (double)INT_MIN ? INT_MIN : (int)v;
	if (isnan(v) || isinf(v)) {
		n = snprintf(b, sizeof b, "null");
	} else if (v == (double)as_int) {
		n = snprintf(b, sizeof b, "%d", as_int);
	} else {
		double back = 0;
		n = snprintf(b, sizeof b, "%1.15g", v);
		if (sscanf(b, "%lg", &back) != 1 || !same_double(back, v))
			n = snprintf(b, sizeof b, "%1.17g", v);
	}
	put(w, b, (size_t)n);
}

void tn_jw_uint(struct tn_jw *w, const char *key, uint64_t v)
{
	lead(w, key);
	if (v < 1000000000000000ull)
		put_uint(w, v);
	else
		put_double(w, (double)v);
}

void tn_jw_int(struct tn_jw *w, const char *key, int64_t v)
{
	if (v >= 0) {
		tn_jw_uint(w, key, (uint64_t)v);
		return;
	}
	lead(w, key);
	uint64_t mag = 0 - (uint64_t)v;
	if (mag < 1000000000000000ull) {
		put_c(w, '-');
		put_uint(w, mag);
	} else {
		put_double(w, (double)v);
	}
}

void tn_jw_line_end(struct tn_jw *w)
{
	put_c(w, '\n');
	w->comma = false;
	tn_jw_flush(w);
}

void tn_jw_double(struct tn_jw *w, const char *key, double v)
{
	lead(w, key);
	put_double(w, v);
}

void tn_jw_bool(struct tn_jw *w, const char *key, bool v)
{
	lead(w, key);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void tn_jw_null(struct tn_jw *w, const char *key)
{
	lead(w, key);
	put(w, "null", 4);
}

static void put_escaped(struct tn_jw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 32 && c != '"' && c != '\\')
			continue;
		put(w, run, (size_t)(s - run));
		run = s + 1;
		char e[6] = { '\\', 0 };
		size_t n = 2;
		switch (c) {
		case '"': e[1] = '"'; break;
		case '\\': e[1] = '\\'; break;
		case '\b': e[1] = 'b'; break;
		case '\f': e[1] = 'f'; break;
		case '\n': e[1] = 'n'; break;
		case '\r': e[1] = 'r'; break;
		case '\t': e[1] = 't'; break;
		default:
			memcpy(e + 1, "u00", 3);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 15];
			n = 6;
		}
		put(w, e, n);
	}
	put(w, run, (size_t)(s - run));
}

void tn_jw_string(struct tn_jw *w, const char *key, const char *s)
{
	if (!s)
		return;
	lead(w, key);
	put_c(w, '"');
	put_escaped(w, s);
	put_c(w, '"');
}

void tn_jw_raw(struct tn_jw *w, const char *key, const char *s)
{
	lead(w, key);
	put(w, s, strlen(s));
}
