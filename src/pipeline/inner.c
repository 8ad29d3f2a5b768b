/*
 * inner.c — --inner: a small filter of tcpnarrate's own on the headers it
 * decoded, so connections inside tunnels can be picked by their own
 * addresses and ports (inner.h has the syntax).
 *
 * The expression is split into words in place of a fixed buffer; each term
 * is one to three words. Nothing is allocated.
 */
#include <tcpnarrate/inner.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WORDS 32
#define EXPR_MAX 512

enum { WHAT_ADDR = 0, WHAT_PORT = 1 };
enum { DIR_ANY = 0, DIR_SRC = 1, DIR_DST = 2 };

static int fail(char *errbuf, size_t errlen, const char *what, const char *word)
{
	snprintf(errbuf, errlen, "--inner: %s%s%s%s", what, word ? " '" : "", word ? word : "",
		 word ? "'" : "");
	return -1;
}

/* ADDR or ADDR/LEN into the term; net says a prefix length is expected. */
static int parse_addr(const char *word, bool net, struct tn_inner_term *t, char *errbuf,
		      size_t errlen)
{
	char a[64];
	const char *slash = strchr(word, '/');
	size_t n = slash ? (size_t)(slash - word) : strlen(word);
	if (n >= sizeof a || (net && !slash) || (!net && slash))
		return fail(errbuf, errlen, net ? "net wants ADDR/LEN, not" : "host wants an address, not",
			    word);
	memcpy(a, word, n);
	a[n] = '\0';
	t->family = strchr(a, ':') ? 6 : 4;
	if (inet_pton(t->family == 4 ? AF_INET : AF_INET6, a, t->addr) != 1)
		return fail(errbuf, errlen, "not an IPv4 or IPv6 address:", word);
	unsigned max = t->family == 4 ? 32 : 128;
	t->prefix = (uint8_t)max;
	if (slash) {
		char *end;
		unsigned long len = strtoul(slash + 1, &end, 10);
		if (*end || end == slash + 1 || len > max)
			return fail(errbuf, errlen, "prefix length out of range in", word);
		t->prefix = (uint8_t)len;
	}
	return 0;
}

static int parse_port(const char *word, struct tn_inner_term *t, char *errbuf, size_t errlen)
{
	char *end;
	unsigned long v = strtoul(word, &end, 10);
	if (*end || end == word || v > 65535)
		return fail(errbuf, errlen, "port wants a number from 0 to 65535, not", word);
	t->port = (uint16_t)v;
	return 0;
}

/* One term from words[*i]; *i moves past it. */
static int parse_term(char **words, int n, int *i, struct tn_inner_term *t, char *errbuf,
		      size_t errlen)
{
	memset(t, 0, sizeof *t);
	if (!strcmp(words[*i], "src") || !strcmp(words[*i], "dst"))
		t->dir = !strcmp(words[(*i)++], "src") ? DIR_SRC : DIR_DST;
	if (*i + 1 >= n)
		return fail(errbuf, errlen, "a term needs a keyword and a value after",
			    words[*i < n ? *i : n - 1]);
	const char *kw = words[(*i)++], *val = words[(*i)++];
	if (!strcmp(kw, "host") || !strcmp(kw, "net"))
		return parse_addr(val, kw[0] == 'n', t, errbuf, errlen);
	if (!strcmp(kw, "port")) {
		t->what = WHAT_PORT;
		return parse_port(val, t, errbuf, errlen);
	}
	return fail(errbuf, errlen, "unknown keyword (host, net, port, src, dst, and):", kw);
}

int tn_inner_parse(const char *expr, struct tn_inner_filter *f, char *errbuf, size_t errlen)
{
	char buf[EXPR_MAX], *words[MAX_WORDS];
	int n = 0;
	memset(f, 0, sizeof *f);
	if (strlen(expr) >= sizeof buf)
		return fail(errbuf, errlen, "expression too long", NULL);
	strcpy(buf, expr);
	for (char *w = strtok(buf, " \t"); w; w = strtok(NULL, " \t")) {
		if (n == MAX_WORDS)
			return fail(errbuf, errlen, "expression too long", NULL);
		words[n++] = w;
	}
	if (n == 0)
		return fail(errbuf, errlen, "empty expression", NULL);
	for (int i = 0; i < n;) {
		if (f->n == TN_INNER_MAX_TERMS)
			return fail(errbuf, errlen, "more than 8 terms", NULL);
		if (parse_term(words, n, &i, &f->term[f->n++], errbuf, errlen) < 0)
			return -1;
		if (i < n && strcmp(words[i++], "and"))
			return fail(errbuf, errlen, "terms are joined by 'and', not", words[i - 1]);
		if (i == n && !strcmp(words[n - 1], "and"))
			return fail(errbuf, errlen, "nothing after", "and");
	}
	return 0;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	if (memcmp(a, b, full))
		return false;
	return !rest || ((a[full] ^ b[full]) & (0xff << (8 - rest))) == 0;
}

static bool term_match(const struct tn_inner_term *t, const struct tn_packet *pkt)
{
	if (t->what == WHAT_PORT)
		return (t->dir != DIR_DST && pkt->tcp.sport == t->port) ||
		       (t->dir != DIR_SRC && pkt->tcp.dport == t->port);
	if (t->family != pkt->ip_version)
		return false;
	const uint8_t *s = pkt->ip_version == 4 ? pkt->ip4.src : pkt->ip6.src;
	const uint8_t *d = pkt->ip_version == 4 ? pkt->ip4.dst : pkt->ip6.dst;
	return (t->dir != DIR_DST && prefix_match(s, t->addr, t->prefix)) ||
	       (t->dir != DIR_SRC && prefix_match(d, t->addr, t->prefix));
}

bool tn_inner_match(const struct tn_inner_filter *f, const struct tn_packet *pkt)
{
	for (unsigned i = 0; i < f->n && i < TN_INNER_MAX_TERMS; i++)
		if (!term_match(&f->term[i], pkt))
			return false;
	return true;
}
