/*
 * strbuf.h — appending text to a caller's fixed buffer without printf (private
 * to src/render).
 *
 * The one-line-per-segment text and the times on every line are written
 * millions of times a run; parsing a printf format for each piece cost more
 * than building the line. A tn_sb never writes past its buffer: what does
 * not fit is dropped and `cut` is set, so a caller sizes the buffer for its
 * longest line and can check.
 *
 * A buffer given a stream (tn_sb_init_out) is the text renderer's output
 * buffer instead: a piece that does not fit makes it write what it holds to
 * the stream and go on, so nothing is cut, and the caller writes the rest
 * with tn_sb_flush. The stream is written once per buffer-full rather than
 * once per piece.
 */
#ifndef TN_RENDER_STRBUF_H
#define TN_RENDER_STRBUF_H

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct tn_sb {
	char *p;
	size_t n, cap;       /* cap includes room for the terminating NUL */
	bool cut;
	FILE *out;           /* NULL, or where a full buffer is written (never cut then) */
};

static inline void tn_sb_init(struct tn_sb *b, char *buf, size_t cap)
{
	b->p = buf;
	b->n = 0;
	b->cap = cap;
	b->cut = false;
	b->out = NULL;
	if (cap)
		buf[0] = '\0';
}

/* An output buffer: what it holds goes to `out` when it is full or flushed. */
static inline void tn_sb_init_out(struct tn_sb *b, char *buf, size_t cap, FILE *out)
{
	tn_sb_init(b, buf, cap);
	b->out = out;
}

/* Writes what the buffer holds to its stream and empties it. */
static inline void tn_sb_flush(struct tn_sb *b)
{
	if (b->out && b->n)
		fwrite(b->p, 1, b->n, b->out);
	b->n = 0;
	if (b->cap)
		b->p[0] = '\0';
}

/* Room for n more bytes and the NUL; an output buffer writes out what it holds to make it. */
static inline bool tn_sb_room(struct tn_sb *b, size_t n)
{
	if (b->n + n < b->cap)
		return true;
	if (b->out)
		tn_sb_flush(b);
	return b->n + n < b->cap;
}

/* A fixed buffer keeps what fits of a piece too long for it and notes the cut. */
static inline void tn_sb_cut(struct tn_sb *b, const char *s, size_t n)
{
	if (b->n + 1 < b->cap) {
		size_t room = b->cap - 1 - b->n;
		memcpy(b->p + b->n, s, room);
		b->n += room;
		b->p[b->n] = '\0';
	}
	if (n)
		b->cut = true;
}

static inline void tn_sb_mem(struct tn_sb *b, const char *s, size_t n)
{
	if (tn_sb_room(b, n)) {
		memcpy(b->p + b->n, s, n);
		b->n += n;
		b->p[b->n] = '\0';
	} else if (b->out) {
		fwrite(s, 1, n, b->out);   /* longer than the whole buffer, which is empty now */
	} else {
		tn_sb_cut(b, s, n);
	}
}

static inline void tn_sb_str(struct tn_sb *b, const char *s)
{
	tn_sb_mem(b, s, strlen(s));
}

static inline void tn_sb_chr(struct tn_sb *b, char c)
{
	if (b->n + 1 < b->cap) {
		b->p[b->n++] = c;
		b->p[b->n] = '\0';
	} else {
		tn_sb_mem(b, &c, 1);
	}
}

/* v in decimal, at least `width` digits (zero-padded); two digits per division. */
static inline void tn_sb_uint_w(struct tn_sb *b, uint64_t v, int width)
{
	static const char pairs[] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	char d[24];
	size_t i = sizeof d;
	while (v > UINT32_MAX && i >= 4) {   /* 20 digits at most: the bound only reassures the compiler */
		unsigned k = (unsigned)(v % 100) * 2;
		v /= 100;
		d[--i] = pairs[k + 1];
		d[--i] = pairs[k];
	}
	uint32_t w = (uint32_t)v;             /* most numbers: 32-bit divisions, cheaper */
	while (w >= 100 && i >= 4) {
		unsigned k = (w % 100) * 2;
		w /= 100;
		d[--i] = pairs[k + 1];
		d[--i] = pairs[k];
	}
	if (w >= 10) {
		d[--i] = pairs[w * 2 + 1];
		d[--i] = pairs[w * 2];
	} else {
		d[--i] = (char)('0' + w);
	}
	while ((int)(sizeof d - i) < width && i > 0)
		d[--i] = '0';
	tn_sb_mem(b, d + i, sizeof d - i);
}

static inline void tn_sb_uint(struct tn_sb *b, uint64_t v)
{
	tn_sb_uint_w(b, v, 1);
}

/* n copies of c (printf's padding). */
static inline void tn_sb_rep(struct tn_sb *b, char c, size_t n)
{
	if (tn_sb_room(b, n)) {
		memset(b->p + b->n, c, n);
		b->n += n;
		b->p[b->n] = '\0';
		return;
	}
	for (size_t i = 0; i < n; i++)
		tn_sb_chr(b, c);
}

/* s left-aligned in at least `width` columns of bytes, as "%-*s" pads it. */
static inline void tn_sb_pad(struct tn_sb *b, const char *s, int width)
{
	size_t len = strlen(s);
	size_t fill = width > 0 && (size_t)width > len ? (size_t)width - len : 0;
	if (tn_sb_room(b, len + fill)) {
		memcpy(b->p + b->n, s, len);
		memset(b->p + b->n + len, ' ', fill);
		b->n += len + fill;
		b->p[b->n] = '\0';
		return;
	}
	tn_sb_mem(b, s, len);
	tn_sb_rep(b, ' ', fill);
}

/* v in lower-case hex, at least `width` digits (zero-padded), as "%0*x". */
static inline void tn_sb_hex_w(struct tn_sb *b, uint64_t v, int width)
{
	static const char hex[] = "0123456789abcdef";
	char d[20];
	size_t i = sizeof d;
	do {
		d[--i] = hex[v & 15];
		v >>= 4;
	} while (v && i > 0);
	while ((int)(sizeof d - i) < width && i > 0)
		d[--i] = '0';
	tn_sb_mem(b, d + i, sizeof d - i);
}

/* printf into the buffer, for the rarer lines: an output buffer is flushed to make room. */
static inline void tn_sb_vprintf(struct tn_sb *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
static inline void tn_sb_vprintf(struct tn_sb *b, const char *fmt, va_list ap)
{
	va_list again;
	va_copy(again, ap);
	size_t room = b->cap > b->n ? b->cap - b->n : 0;
	int k = room ? vsnprintf(b->p + b->n, room, fmt, ap) : -1;
	if (k >= 0 && (size_t)k < room) {
		b->n += (size_t)k;
	} else if (b->out) {
		tn_sb_flush(b);
		vfprintf(b->out, fmt, again);
	} else {
		b->cut = true;
		b->n = b->cap ? b->cap - 1 : 0;
	}
	va_end(again);
}

static inline void tn_sb_printf(struct tn_sb *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static inline void tn_sb_printf(struct tn_sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tn_sb_vprintf(b, fmt, ap);
	va_end(ap);
}

/*
 * x with `decimals` digits after the point (0 to 9), exactly as printf's
 * "%.*f" prints it: the value's own binary digits rounded to nearest, a tie
 * to even. x times 10^decimals is computed with an error under half a unit
 * in its last place; when the fraction is closer to one half than that
 * error bound, or the value is too large or not a number, printf decides.
 */
static inline void tn_sb_fixed(struct tn_sb *b, double x, int decimals)
{
	static const uint64_t pow10[10] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
					    100000000, 1000000000 };
	double p = 0;
	if (decimals >= 0 && decimals <= 9)
		p = fabs(x) * (double)pow10[decimals];
	if (decimals < 0 || decimals > 9 || !(p < 0x1p53)) {
		tn_sb_printf(b, "%.*f", decimals, x);
		return;
	}
	double whole = (double)(uint64_t)p, half = p - whole - 0.5;
	if (fabs(half) <= p * 0x1p-52) {
		tn_sb_printf(b, "%.*f", decimals, x);
		return;
	}
	uint64_t q = (uint64_t)whole + (half > 0);
	if (signbit(x))
		tn_sb_chr(b, '-');
	tn_sb_uint(b, q / pow10[decimals]);
	if (decimals) {
		tn_sb_chr(b, '.');
		tn_sb_uint_w(b, q % pow10[decimals], decimals);
	}
}

#endif
