/*
 * strbuf.h — appending text to a caller's fixed buffer without printf (private
 * to src/render).
 *
 * The one-line-per-segment text and the times on every line are written
 * millions of times a run; parsing a printf format for each piece cost more
 * than building the line. A tn_sb never writes past its buffer: what does
 * not fit is dropped and `cut` is set, so a caller sizes the buffer for its
 * longest line and can check.
 */
#ifndef TN_RENDER_STRBUF_H
#define TN_RENDER_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct tn_sb {
	char *p;
	size_t n, cap;       /* cap includes room for the terminating NUL */
	bool cut;
};

static inline void tn_sb_init(struct tn_sb *b, char *buf, size_t cap)
{
	b->p = buf;
	b->n = 0;
	b->cap = cap;
	b->cut = false;
	if (cap)
		buf[0] = '\0';
}

static inline void tn_sb_mem(struct tn_sb *b, const char *s, size_t n)
{
	if (b->n + 1 >= b->cap) {
		b->cut = b->cut || n > 0;
		return;
	}
	size_t room = b->cap - 1 - b->n;
	if (n > room) {
		b->cut = true;
		n = room;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static inline void tn_sb_str(struct tn_sb *b, const char *s)
{
	tn_sb_mem(b, s, strlen(s));
}

static inline void tn_sb_chr(struct tn_sb *b, char c)
{
	tn_sb_mem(b, &c, 1);
}

/* v in decimal, at least `width` digits (zero-padded). */
static inline void tn_sb_uint_w(struct tn_sb *b, uint64_t v, int width)
{
	char d[24];
	size_t i = sizeof d;
	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	while ((int)(sizeof d - i) < width && i > 0)
		d[--i] = '0';
	tn_sb_mem(b, d + i, sizeof d - i);
}

static inline void tn_sb_uint(struct tn_sb *b, uint64_t v)
{
	tn_sb_uint_w(b, v, 1);
}

#endif
