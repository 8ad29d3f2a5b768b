/*
 * escape.c — making wire bytes and times safe and readable.
 *
 * Bytes from a capture reach the terminal, JSON and HTML only through
 * tn_escape_preview(): it lets through printable ASCII alone, so a capture
 * cannot move the cursor, change colours or end a JSON string.
 */
#define _POSIX_C_SOURCE 200809L
#include <tcpnarrate/render.h>

#include "strbuf.h"

#include <stdio.h>
#include <time.h>

size_t tn_escape_preview(const uint8_t *p, size_t n, size_t max_in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, i = 0;
	if (outlen == 0)
		return 0;
	for (; i < n && i < max_in; i++) {
		uint8_t c = p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			if (o + 1 >= outlen)
				break; /* printable: as itself (most of a text payload) */
			out[o++] = (char)c;
			continue;
		}
		char e[5];
		size_t el = 0;
		if (c == '\\' || c == '"') {
			e[el++] = '\\';
			e[el++] = (char)c;
		} else if (c == '\r' || c == '\n' || c == '\t') {
			e[el++] = '\\';
			e[el++] = c == '\r' ? 'r' : c == '\n' ? 'n' : 't';
		} else {
			e[el++] = '\\';
			e[el++] = 'x';
			e[el++] = hex[c >> 4];
			e[el++] = hex[c & 15];
		}
		if (o + el >= outlen)
			break;
		for (size_t k = 0; k < el; k++)
			out[o++] = e[k];
		if (c == '\n') {
			i++;
			break;
		}
	}
	out[o] = '\0';
	return i;
}

/*
 * The last second formatted, per thread: lines come in time order, so most
 * share their second with the line before, and gmtime_r and the format are
 * paid once a second rather than once a line. Times are UTC: no time zone
 * file is read, ever.
 */
static _Thread_local struct {
	bool valid;
	int64_t sec;
	char date[48];       /* "2026-11-23 " */
	char hms[16];        /* "21:07:38." */
} t_last;

void tn_format_time(int64_t sec, uint32_t nsec, int digits, bool with_date, char *buf,
		    size_t len)
{
	uint32_t frac = digits >= 9 ? nsec : nsec / 1000;
	int fd = digits >= 9 ? 9 : 6;
	if (!t_last.valid || t_last.sec != sec) {
		struct tm tm;
		time_t t = (time_t)sec;
		if ((int64_t)t != sec || !gmtime_r(&t, &tm)) {
			snprintf(buf, len, "%lld.%0*u", (long long)sec, fd, frac);
			return;
		}
		snprintf(t_last.date, sizeof t_last.date, "%04lld-%02d-%02d ",
			 (long long)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
		snprintf(t_last.hms, sizeof t_last.hms, "%02d:%02d:%02d.", tm.tm_hour, tm.tm_min,
			 tm.tm_sec);
		t_last.sec = sec;
		t_last.valid = true;
	}
	struct tn_sb b;
	tn_sb_init(&b, buf, len);
	if (with_date)
		tn_sb_str(&b, t_last.date);
	tn_sb_str(&b, t_last.hms);
	tn_sb_uint_w(&b, frac, fd);
}

void tn_format_offset(int64_t ns, int digits, char *buf, size_t len)
{
	/* Integer arithmetic: a double would lose nanoseconds over decades. */
	uint64_t mag = ns < 0 ? (uint64_t)0 - (uint64_t)ns : (uint64_t)ns;
	uint64_t sec = mag / 1000000000u, frac = mag % 1000000000u;
	struct tn_sb b;
	tn_sb_init(&b, buf, len);
	tn_sb_chr(&b, ns < 0 ? '-' : '+');
	tn_sb_uint(&b, sec);
	tn_sb_chr(&b, '.');
	if (digits >= 9)
		tn_sb_uint_w(&b, frac, 9);
	else
		tn_sb_uint_w(&b, frac / 1000, 6);
}
