/*
 * inbuf.h — a file read a large block at a time (private to src/capture).
 *
 * The readers of classic pcap records (classic.c) and of pcapng blocks
 * (ngread.c) take over the stream libpcap opened, just after the file's
 * header. They read what is left of the stream's own buffer first, then
 * straight from where the stream gets its bytes, into one block that grows
 * to hold the largest record asked for. Records are parsed in place.
 */
#ifndef TN_CAPTURE_INBUF_H
#define TN_CAPTURE_INBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Where the stream libpcap reads gets its bytes: up to n of them into buf;
 * 0 at the end, -1 on an error (errno says which).
 */
typedef ssize_t (*tn_inbuf_source)(void *ctx, char *buf, size_t n);

struct tn_inbuf {
	FILE *f;                  /* libpcap's stream, just after the file header */
	tn_inbuf_source raw;      /* what feeds it, read directly once ... */
	void *raw_ctx;
	size_t buffered;          /* ... the stream's own buffer is read out */
	uint8_t *buf;
	size_t cap;
	size_t lo, hi;            /* unread bytes: buf[lo, hi) */
	bool eof;
	uint64_t offset;          /* file offset of buf[lo] */
};

/*
 * Reads f from file offset `offset`. With `raw`, f's buffer is read out
 * first (`buffered` bytes), then raw(ctx). -1 when out of memory.
 */
int tn_inbuf_init(struct tn_inbuf *in, FILE *f, uint64_t offset, tn_inbuf_source raw,
		  void *ctx, size_t buffered);
void tn_inbuf_free(struct tn_inbuf *in);

/* Room for `need` unread bytes: the unread ones moved to the front, the block grown. -1: no memory. */
int tn_inbuf_reserve(struct tn_inbuf *in, size_t need);

/*
 * At least `need` unread bytes, unless the file ends first (then fewer).
 * -1 on a read error (errno set) or when `need` bytes cannot be held.
 */
int tn_inbuf_fill(struct tn_inbuf *in, size_t need);

/* libpcap's message for a failed read (errno's), in err; returns -1. */
int tn_inbuf_failed(char *err, size_t errlen);

/* Unread bytes; the next of them. */
static inline size_t tn_inbuf_avail(const struct tn_inbuf *in)
{
	return in->hi - in->lo;
}

static inline const uint8_t *tn_inbuf_at(const struct tn_inbuf *in)
{
	return in->buf + in->lo;
}

/* n bytes (at most those unread) are used up. */
static inline void tn_inbuf_take(struct tn_inbuf *in, size_t n)
{
	if (n > in->hi - in->lo)
		n = in->hi - in->lo;
	in->lo += n;
	in->offset += n;
}

/* The last n bytes taken are unread again (no fill since: they are still in the block). */
static inline void tn_inbuf_untake(struct tn_inbuf *in, size_t n)
{
	if (n > in->lo)
		n = in->lo;
	in->lo -= n;
	in->offset -= n;
}

#endif
