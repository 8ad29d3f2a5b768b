/*
 * ascii.c — text output for a terminal whose character set is not UTF-8.
 *
 * The narration's sentences come from many places (the analysis, the
 * glossary, the renderer's own rows) and use a few characters beyond ASCII:
 * arrows, middle dots, multiplication signs, dashes, ellipses, section
 * signs. Under LC_ALL=C, or with --ascii, the text renderer writes through
 * this stream, which spells each of them in ASCII ("->", "*", "x", "--",
 * "...", "section ") and any other non-ASCII character as "?", so nothing
 * needs to know about the charset but this file. Wire bytes never reach it
 * unescaped (escape.c), and JSON never goes through it: JSON is data, and
 * stays UTF-8.
 *
 * The stream is unbuffered: each write reaches the stream below at once,
 * so flushing that one (as a live capture does after every segment) is
 * enough. A character split across two writes is put together first.
 */
#define _GNU_SOURCE /* fopencookie */
#include <tcpnarrate/render.h>

#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

static const struct spelling {
	const char *utf8;
	const char *ascii;
} spellings[] = {
	{ "→", "->" },
	{ "←", "<-" },
	{ "·", "*" },
	{ "×", "x" },
	{ "…", "..." },
	{ "—", "--" },
	{ "–", "-" },
	{ "§", "section " },      /* "RFC 9293 section 3.5" */
	{ "»", ">>" },
	{ "±", "+/-" },
	{ "≥", ">=" },
	{ "≤", "<=" },
	{ NULL, NULL },
};

/* What the stream holds between writes: a character begun but not finished. */
struct ascii_stream {
	FILE *under;
	unsigned char pend[4];
	size_t npend;
};

/* Bytes in the UTF-8 character that starts with b; 0 for a byte no character starts with. */
static size_t char_len(unsigned char b)
{
	if (b < 0x80)
		return 1;
	if ((b & 0xe0) == 0xc0)
		return 2;
	if ((b & 0xf0) == 0xe0)
		return 3;
	if ((b & 0xf8) == 0xf0)
		return 4;
	return 0;
}

static const char *spelled(const unsigned char *p, size_t n)
{
	for (const struct spelling *s = spellings; s->utf8; s++)
		if (strlen(s->utf8) == n && memcmp(s->utf8, p, n) == 0)
			return s->ascii;
	return "?";
}

static int put(struct ascii_stream *a, const char *s, size_t n)
{
	return fwrite(s, 1, n, a->under) == n ? 0 : -1;
}

/* One byte that is not ASCII: begins, continues or ends a character, or is not one. */
static int take(struct ascii_stream *a, unsigned char b, bool *consumed)
{
	*consumed = true;
	if (a->npend && (b & 0xc0) != 0x80) {
		a->npend = 0; /* the character was cut short: say so, then read b afresh */
		*consumed = false;
		return put(a, "?", 1);
	}
	if (!a->npend && char_len(b) < 2)
		return put(a, "?", 1); /* a stray continuation byte, or no UTF-8 at all */
	a->pend[a->npend++] = b;
	if (a->npend < char_len(a->pend[0]))
		return 0;
	const char *s = spelled(a->pend, a->npend);
	a->npend = 0;
	return put(a, s, strlen(s));
}

static ssize_t ascii_write(void *cookie, const char *buf, size_t size)
{
	struct ascii_stream *a = cookie;
	const unsigned char *p = (const unsigned char *)buf;
	size_t i = 0;
	while (i < size) {
		if (p[i] < 0x80 && !a->npend) {
			size_t j = i;
			while (j < size && p[j] < 0x80)
				j++;
			if (put(a, buf + i, j - i) < 0)
				return -1;
			i = j;
			continue;
		}
		bool consumed;
		if (take(a, p[i], &consumed) < 0)
			return -1;
		i += consumed;
	}
	return (ssize_t)size;
}

static int ascii_close(void *cookie)
{
	struct ascii_stream *a = cookie;
	int rc = a->npend ? put(a, "?", 1) : 0; /* the output ended inside a character */
	free(a);
	return rc;
}

void tn_render_ascii_spell(const char *in, char *out, size_t outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t u = 0;
	if (!outlen)
		return;
	while (*p) {
		size_t n = char_len(*p), k = 1;
		while (k < n && (p[k] & 0xc0) == 0x80)
			k++;
		const char *s = n == 1 ? (const char *)p : k == n && n > 1 ? spelled(p, n) : "?";
		size_t len = n == 1 ? 1 : strlen(s);
		if (u + len >= outlen)
			break;
		memcpy(out + u, s, len);
		u += len;
		p += n == 1 ? 1 : k;
	}
	out[u] = '\0';
}

FILE *tn_render_ascii_stream(FILE *under)
{
	struct ascii_stream *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->under = under;
	cookie_io_functions_t io = { .write = ascii_write, .close = ascii_close };
	FILE *f = fopencookie(a, "w", io);
	if (!f) {
		free(a);
		return NULL;
	}
	setvbuf(f, NULL, _IONBF, 0);
	return f;
}
