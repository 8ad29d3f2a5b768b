/*
 * rd.h — the bounds-checked byte reader.
 *
 * Every byte that came off the wire is read through a struct tn_rd: a cursor
 * that knows where the captured bytes end. A read past the end returns 0 and
 * sets a sticky error flag instead of touching memory, so a decoder can read a
 * whole header and check `r.err` once (tcpdump's GET_BE_U_2 idea, without
 * longjmp). Nothing here allocates.
 */
#ifndef TCPNARRATE_RD_H
#define TCPNARRATE_RD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tn_rd {
	const uint8_t *p;  /* first byte this reader may see */
	size_t len;        /* how many bytes it may see */
	size_t off;        /* next byte to read */
	bool err;          /* sticky: a read went past len */
};

static inline void tn_rd_init(struct tn_rd *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = p ? len : 0;
	r->off = 0;
	r->err = false;
}

static inline size_t tn_rd_left(const struct tn_rd *r)
{
	return r->off <= r->len ? r->len - r->off : 0;
}

/* True when n more bytes can be read; sets the error when they cannot. */
static inline bool tn_rd_need(struct tn_rd *r, size_t n)
{
	if (r->err || n > tn_rd_left(r)) {
		r->err = true;
		return false;
	}
	return true;
}

static inline uint8_t tn_rd_u8(struct tn_rd *r)
{
	if (!tn_rd_need(r, 1))
		return 0;
	return r->p[r->off++];
}

static inline uint16_t tn_rd_be16(struct tn_rd *r)
{
	if (!tn_rd_need(r, 2))
		return 0;
	const uint8_t *b = r->p + r->off;
	r->off += 2;
	return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

static inline uint32_t tn_rd_be32(struct tn_rd *r)
{
	if (!tn_rd_need(r, 4))
		return 0;
	const uint8_t *b = r->p + r->off;
	r->off += 4;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline uint32_t tn_rd_le32(struct tn_rd *r)
{
	if (!tn_rd_need(r, 4))
		return 0;
	const uint8_t *b = r->p + r->off;
	r->off += 4;
	return (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
}

static inline void tn_rd_skip(struct tn_rd *r, size_t n)
{
	if (tn_rd_need(r, n))
		r->off += n;
}

/* Copies n bytes out; on a short read copies nothing and sets the error. */
static inline bool tn_rd_copy(struct tn_rd *r, void *dst, size_t n)
{
	if (!tn_rd_need(r, n))
		return false;
	for (size_t i = 0; i < n; i++)
		((uint8_t *)dst)[i] = r->p[r->off + i];
	r->off += n;
	return true;
}

/* Pointer to the unread bytes (tn_rd_left(r) of them); never NULL-deref safe on its own. */
static inline const uint8_t *tn_rd_here(const struct tn_rd *r)
{
	return r->p ? r->p + (r->off <= r->len ? r->off : r->len) : r->p;
}

/*
 * A reader over the next n bytes, then the parent moves past them. When fewer
 * than n are left the child sees only what is there and `*cut` is set; the
 * parent is then exhausted but not in error (the caller decides what a short
 * sub-range means).
 */
static inline struct tn_rd tn_rd_sub(struct tn_rd *r, size_t n, bool *cut)
{
	struct tn_rd c;
	size_t left = tn_rd_left(r);
	size_t take = n <= left ? n : left;
	tn_rd_init(&c, tn_rd_here(r), take);
	r->off += take;
	if (cut)
		*cut = take < n;
	return c;
}

#endif
