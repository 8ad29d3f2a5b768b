/*
 * inbuf.c — a file read a large block at a time (see inbuf.h).
 *
 * The block starts at 512 KiB, room for the largest classic record
 * (16 + 262144 bytes), and grows only when a longer record is asked for
 * (a pcapng block may be up to 16 MiB).
 */
#define _DEFAULT_SOURCE
#include "inbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BLOCK (512u * 1024u)

int tn_inbuf_init(struct tn_inbuf *in, FILE *f, uint64_t offset, tn_inbuf_source raw,
		  void *ctx, size_t buffered)
{
	memset(in, 0, sizeof *in);
	in->buf = malloc(BLOCK);
	if (!in->buf)
		return -1;
	in->cap = BLOCK;
	in->f = f;
	in->raw = raw;
	in->raw_ctx = ctx;
	in->buffered = buffered;
	in->offset = offset;
	return 0;
}

void tn_inbuf_free(struct tn_inbuf *in)
{
	free(in->buf);
	in->buf = NULL;
}

/* Up to n bytes into to: the stream's buffered ones first, then from its source. */
static ssize_t read_some(struct tn_inbuf *in, uint8_t *to, size_t n)
{
	if (in->raw && !in->buffered)
		return in->raw(in->raw_ctx, (char *)to, n);
	if (in->raw && n > in->buffered)
		n = in->buffered;
	size_t got = fread(to, 1, n, in->f);
	if (got == 0 && ferror(in->f))
		return -1;
	if (in->raw)
		in->buffered = got ? in->buffered - got : 0;
	return (ssize_t)got;
}

int tn_inbuf_reserve(struct tn_inbuf *in, size_t need)
{
	if (in->lo > 0) {
		memmove(in->buf, in->buf + in->lo, in->hi - in->lo);
		in->hi -= in->lo;
		in->lo = 0;
	}
	if (need <= in->cap)
		return 0;
	uint8_t *b = realloc(in->buf, need);
	if (!b) {
		errno = ENOMEM;
		return -1;
	}
	in->buf = b;
	in->cap = need;
	return 0;
}

int tn_inbuf_fill(struct tn_inbuf *in, size_t need)
{
	if (in->hi - in->lo >= need || in->eof)
		return 0;
	if (tn_inbuf_reserve(in, need) < 0)
		return -1;
	while (in->hi < need && !in->eof) {
		ssize_t got = read_some(in, in->buf + in->hi, in->cap - in->hi);
		if (got < 0)
			return -1;
		in->hi += (size_t)got;
		in->eof = got == 0;
	}
	return 0;
}

int tn_inbuf_failed(char *err, size_t errlen)
{
	snprintf(err, errlen, "error reading dump file: %s", strerror(errno));
	return -1;
}
