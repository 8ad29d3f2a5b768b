/*
 * ngread.c — the blocks of a pcapng file after libpcap has opened it.
 *
 * libpcap reads each pcapng block with two fread() calls through stdio and
 * divides every timestamp by the interface's resolution in 64 bits: on a big
 * capture that was about 540 instructions a packet, a third more than the
 * whole reading of a classic file. As with classic files (classic.c),
 * libpcap still opens the file, reads the section header and the first
 * interface, and so says what is wrong with a damaged header. The blocks
 * after it are read here, from the same stream, a large block at a time
 * (inbuf.h), with the rules and the messages of libpcap 1.10's
 * pcap_ng_next_packet() (sf-pcapng.c): a block's lengths, its trailer, an
 * interface's options, a later section, a packet on an unknown interface or
 * longer than the snapshot, and timestamps converted with the same integer
 * arithmetic. Where libpcap stops and pcapng.c reads on (an interface unlike
 * the first, a section in the other byte order), that block is left unread
 * and pcapng.c takes over the input in place (tn_ngread_hand_over()), so a
 * pipe is narrated past it too. Only files libpcap would hand over untouched come here: the
 * machine's byte order, and a link type with no per-packet fix-ups or
 * special maximum.
 */
#define _DEFAULT_SOURCE /* u_int and friends, which pcap.h uses */
#include "ngread.h"

#include <tcpnarrate/rd.h>

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 1u
#define BT_PB 2u
#define BT_SPB 3u
#define BT_EPB 6u
#define BOM 0x1a2b3c4du
#define BOM_SWAPPED 0x4d3c2b1au
#define BLOCK_MIN 12u                 /* header and trailer */
#define MAX_BLOCK (16u * 1024u * 1024u) /* libpcap's maximum for these link types */
#define MAX_SNAPLEN 262144u           /* ... and their maximum snapshot length */
#define NANO 1000000000u              /* the resolution the capture source asks for */
#define OPT_END 0
#define OPT_TSRESOL 9
#define OPT_TSOFFSET 14

enum scale { PASS, UP_DEC, UP_BIN, DOWN_DEC, DOWN_BIN };

struct iface {
	uint64_t tsresol, tsoffset, factor;
	enum scale scale;
	struct tn_pcapng_iface desc; /* as pcapng.c would have read it */
};

struct tn_ngread {
	struct tn_inbuf in;
	uint32_t linktype;      /* the first interface's, as a DLT_ value */
	uint32_t snapshot;      /* the first interface's, as libpcap adjusted it */
	struct iface *ifs;      /* the current section's interfaces */
	uint32_t n_if, if_cap;
};

/* ------------------------------------------------------------ native order */

/* The file is in the machine's byte order (tn_ngread_suits()). */
static bool host_le(void)
{
	const uint16_t one = 1;
	uint8_t b;
	memcpy(&b, &one, 1);
	return b == 1;
}

static uint16_t n16(struct tn_rd *r)
{
	uint16_t v = tn_rd_be16(r);
	return host_le() ? (uint16_t)(v >> 8 | v << 8) : v;
}

static uint32_t n32(struct tn_rd *r)
{
	return host_le() ? tn_rd_le32(r) : tn_rd_be32(r);
}

static uint64_t n64(struct tn_rd *r)
{
	uint64_t a = n32(r), b = n32(r);
	return host_le() ? b << 32 | a : a << 32 | b;
}

/* ------------------------------------------------------------ interfaces */

static int too_short(uint32_t type, char *err, size_t errlen)
{
	snprintf(err, errlen, "block of type %u in pcapng dump file is too short", type);
	return -1;
}

static int say(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return -1;
}

/* libpcap's message, formatted. */
__attribute__((format(printf, 3, 4)))
static int sayf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* if_tsresol's byte as units a second, or -1 with libpcap's message. */
static int tsresol_of(uint8_t opt, struct tn_ngread_first *i, char *err, size_t errlen)
{
	if (opt & 0x80) {
		if ((opt & 0x7f) > 63)
			return sayf(err, errlen, "Interface Description Block if_tsresol option "
					 "resolution 2^-%u is too high", opt & 0x7fu);
		i->binary = true;
		i->exp = opt & 0x7f;
		i->tsresol = (uint64_t)1 << i->exp;
		return 0;
	}
	if (opt > 19)
		return sayf(err, errlen, "Interface Description Block if_tsresol option "
				 "resolution 10^-%u is too high", opt);
	i->binary = false;
	i->exp = opt;
	i->tsresol = 1;
	for (unsigned k = 0; k < opt; k++)
		i->tsresol *= 10;
	return 0;
}

/* One IDB option (libpcap's process_idb_options()); 1 at opt_endofopt. */
static int idb_option(uint16_t code, uint16_t olen, struct tn_rd *v, unsigned *seen,
		      struct tn_ngread_first *i, char *err, size_t errlen)
{
	switch (code) {
	case OPT_END:
		if (olen != 0)
			return sayf(err, errlen, "Interface Description Block has opt_endofopt "
					 "option with length %u != 0", olen);
		return 1;
	case OPT_TSRESOL:
		if (olen != 1)
			return sayf(err, errlen, "Interface Description Block has if_tsresol "
					 "option with length %u != 1", olen);
		if (*seen & 1)
			return say(err, errlen, "Interface Description Block has more than one "
				   "if_tsresol option");
		*seen |= 1;
		return tsresol_of(tn_rd_u8(v), i, err, errlen);
	case OPT_TSOFFSET:
		if (olen != 8)
			return sayf(err, errlen, "Interface Description Block has if_tsoffset "
					 "option with length %u != 8", olen);
		if (*seen & 2)
			return say(err, errlen, "Interface Description Block has more than one "
				   "if_tsoffset option");
		*seen |= 2;
		i->tsoffset = n64(v);
		return 0;
	default:
		return 0;
	}
}

/* An IDB's options after its fixed part: its timestamps' resolution and offset. */
static int idb_options(struct tn_rd *b, struct tn_ngread_first *i, char *err, size_t errlen)
{
	unsigned seen = 0;
	*i = (struct tn_ngread_first){ .tsresol = 1000000, .exp = 6 };
	while (tn_rd_left(b) != 0) {
		if (tn_rd_left(b) < 4)
			return too_short(BT_IDB, err, errlen);
		uint16_t code = n16(b), olen = n16(b);
		size_t padded = ((size_t)olen + 3) / 4 * 4;
		if (tn_rd_left(b) < padded)
			return too_short(BT_IDB, err, errlen);
		struct tn_rd v = tn_rd_sub(b, padded, NULL);
		int rc = idb_option(code, olen, &v, &seen, i, err, errlen);
		if (rc != 0)
			return rc < 0 ? -1 : 0;
	}
	return 0;
}

/* How a timestamp's fraction becomes nanoseconds (libpcap's add_interface()). */
static struct iface iface_of(const struct tn_ngread_first *f)
{
	struct iface i = { .tsresol = f->tsresol, .tsoffset = f->tsoffset, .scale = PASS };
	if (f->tsresol > NANO) {
		i.scale = f->binary ? DOWN_BIN : DOWN_DEC;
		i.factor = f->binary ? 0 : f->tsresol / NANO;
	} else if (f->tsresol < NANO) {
		i.scale = f->binary ? UP_BIN : UP_DEC;
		i.factor = f->binary ? 0 : NANO / f->tsresol;
	}
	return i;
}

static int add_interface(struct tn_ngread *g, const struct tn_ngread_first *f, char *err,
			 size_t errlen)
{
	if (g->n_if == g->if_cap) {
		uint32_t cap = g->if_cap ? g->if_cap * 2 : 4;
		struct iface *n = cap > g->if_cap ? realloc(g->ifs, (size_t)cap * sizeof *n) : NULL;
		if (!n)
			return sayf(err, errlen, "out of memory for per-interface information "
					 "(%u interfaces)", g->n_if + 1);
		g->ifs = n;
		g->if_cap = cap;
	}
	struct iface *i = &g->ifs[g->n_if++];
	*i = iface_of(f);
	i->desc = (struct tn_pcapng_iface){ .linktype = g->linktype, .snaplen = f->snaplen,
					    .pow2 = f->binary, .exp = f->exp,
					    .tsoffset = f->tsoffset };
	return 0;
}

/* ------------------------------------------------------------ opening */

bool tn_ngread_suits(pcap_t *p, const uint8_t *peek, size_t len,
		     struct tn_ngread_first *first)
{
	int lt = pcap_datalink(p);
	if (pcap_is_swapped(p) || lt == DLT_USB_LINUX_MMAPPED || lt == DLT_DBUS ||
	    lt == DLT_EBHSCR || lt == DLT_USBPCAP)
		return false;
	struct tn_rd r;
	char msg[PCAP_ERRBUF_SIZE];
	tn_rd_init(&r, peek, len);
	tn_rd_skip(&r, 4);
	size_t off = n32(&r);
	while (!r.err && off <= len && len - off >= 8) {
		r.off = off;
		uint32_t type = n32(&r), blen = n32(&r);
		if (blen < BLOCK_MIN || blen % 4 || blen > len - off || type == BT_EPB ||
		    type == BT_SPB || type == BT_PB)
			return false;
		if (type == BT_IDB) {
			struct tn_rd b = tn_rd_sub(&r, blen - BLOCK_MIN, NULL);
			tn_rd_skip(&b, 4); /* link type, reserved */
			uint32_t snaplen = n32(&b);
			if (b.err || idb_options(&b, first, msg, sizeof msg) < 0)
				return false;
			first->snaplen = snaplen;
			first->end = off + blen;
			return true;
		}
		off += blen;
	}
	return false;
}

struct tn_ngread *tn_ngread_create(pcap_t *p, const struct tn_ngread_first *first,
				   tn_inbuf_source raw, void *ctx, size_t buffered)
{
	char msg[PCAP_ERRBUF_SIZE];
	struct tn_ngread *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	if (tn_inbuf_init(&g->in, pcap_file(p), first->end, raw, ctx, buffered) < 0) {
		free(g);
		return NULL;
	}
	g->linktype = (uint32_t)pcap_datalink(p);
	g->snapshot = (uint32_t)pcap_snapshot(p);
	if (add_interface(g, first, msg, sizeof msg) < 0) {
		tn_ngread_destroy(g);
		return NULL;
	}
	return g;
}

void tn_ngread_destroy(struct tn_ngread *g)
{
	if (!g)
		return;
	tn_inbuf_free(&g->in);
	free(g->ifs);
	free(g);
}

uint64_t tn_ngread_offset(const struct tn_ngread *g)
{
	return g->in.offset;
}

/* ------------------------------------------------------------ blocks */

/* The next block (libpcap's read_block()): its type and its body, without header and trailer. */
static int read_block(struct tn_ngread *g, uint32_t *type, struct tn_rd *body, char *err,
		      size_t errlen)
{
	struct tn_inbuf *in = &g->in;
	if (tn_inbuf_fill(in, 8) < 0)
		return tn_inbuf_failed(err, errlen);
	size_t have = tn_inbuf_avail(in);
	if (have == 0)
		return 0;
	if (have < 8)
		return sayf(err, errlen, "truncated pcapng dump file; tried to read %zu bytes, "
			    "only got %zu", (size_t)8, have);
	struct tn_rd r;
	tn_rd_init(&r, tn_inbuf_at(in), 8);
	*type = n32(&r);
	uint32_t len = n32(&r);
	if (len < BLOCK_MIN)
		return sayf(err, errlen, "block in pcapng dump file has a length of %u < %zu", len,
			    (size_t)BLOCK_MIN);
	if (len % 4 != 0)
		return sayf(err, errlen, "block in pcapng dump file has a length of %u that is "
			    "not a multiple of 4", len);
	if (len > MAX_BLOCK)
		return sayf(err, errlen, "pcapng block size %u > maximum %u", len, MAX_BLOCK);
	if (len > tn_inbuf_avail(in) && tn_inbuf_reserve(in, len) < 0)
		return say(err, errlen, "out of memory"); /* libpcap's word when its buffer cannot grow */
	if (tn_inbuf_fill(in, len) < 0)
		return tn_inbuf_failed(err, errlen);
	have = tn_inbuf_avail(in);
	if (have < len)
		return sayf(err, errlen, "truncated pcapng dump file; tried to read %zu bytes, "
			    "only got %zu", (size_t)len - 8, have - 8);
	tn_rd_init(&r, tn_inbuf_at(in) + len - 4, 4);
	if (n32(&r) != len)
		return say(err, errlen, "block total length in header and trailer don't match");
	tn_rd_init(body, tn_inbuf_at(in) + 8, len - BLOCK_MIN);
	tn_inbuf_take(in, len);
	return 1;
}

/* A later section: the same byte order, major version 1, and interfaces of its own. */
static int section(struct tn_ngread *g, struct tn_rd *b, char *err, size_t errlen)
{
	if (tn_rd_left(b) < 16)
		return too_short(BT_SHB, err, errlen);
	uint32_t bom = n32(b);
	uint16_t major = n16(b);
	if (bom == BOM_SWAPPED)
		return TN_NGREAD_OTHER; /* libpcap: "the file has sections with different byte orders" */
	if (bom != BOM)
		return say(err, errlen, "the file has a section with a bad byte order magic field");
	if (major != 1)
		return sayf(err, errlen, "unknown pcapng savefile major version number %u", major);
	g->n_if = 0;
	return 0;
}

/* A later interface: libpcap stops at one unlike the first; pcapng.c takes over there. */
static int interface(struct tn_ngread *g, struct tn_rd *b, char *err, size_t errlen)
{
	if (tn_rd_left(b) < 8)
		return too_short(BT_IDB, err, errlen);
	uint16_t lt = n16(b);
	tn_rd_skip(b, 2);
	uint32_t file_snaplen = n32(b), snaplen = file_snaplen;
	if (snaplen == 0 || snaplen > INT_MAX)
		snaplen = MAX_SNAPLEN; /* pcap_adjust_snapshot() */
	if (lt != g->linktype || snaplen != g->snapshot)
		return TN_NGREAD_OTHER; /* libpcap: "an interface has a type / snapshot length ... */
	struct tn_ngread_first f;
	if (idb_options(b, &f, err, errlen) < 0)
		return -1;
	f.snaplen = file_snaplen;
	return add_interface(g, &f, err, errlen);
}

/*
 * Seconds and nanoseconds of timestamp t on interface i, in libpcap's
 * unsigned 64-bit arithmetic (overflow included), with microseconds and
 * nanoseconds, the usual resolutions, divided by a constant.
 */
static void timestamp(const struct iface *i, uint64_t t, struct pcap_pkthdr *h)
{
	uint64_t sec, frac;
	if (i->tsresol == 1000000) {
		sec = t / 1000000;
		frac = t % 1000000 * 1000;
	} else if (i->tsresol == NANO) {
		sec = t / NANO;
		frac = t % NANO;
	} else {
		sec = t / i->tsresol;
		frac = t % i->tsresol;
		if (i->scale == UP_DEC)
			frac *= i->factor;
		else if (i->scale == DOWN_DEC)
			frac /= i->factor;
		else if (i->scale != PASS)
			frac = frac * NANO / i->tsresol;
	}
	h->ts.tv_sec = (time_t)(sec + i->tsoffset);
	h->ts.tv_usec = (int)frac;
}

/* A packet block's packet: on a known interface, within the snapshot, held by the block. */
static int packet(struct tn_ngread *g, struct tn_rd *b, uint32_t type, uint32_t id, uint64_t t,
		  struct pcap_pkthdr *h, const uint8_t **data, char *err, size_t errlen)
{
	if (id >= g->n_if)
		return sayf(err, errlen, "a packet arrived on interface %u, but there's no "
			    "Interface Description Block for that interface", id);
	if (h->caplen > g->snapshot)
		return sayf(err, errlen, "invalid packet capture length %u, bigger than snaplen "
			    "of %d", h->caplen, (int)g->snapshot);
	timestamp(&g->ifs[id], t, h);
	if (tn_rd_left(b) < h->caplen)
		return too_short(type, err, errlen);
	*data = tn_rd_here(b);
	return 1;
}

/* Enhanced (6) and obsolete (2) Packet Blocks differ in the interface id's width. */
static int timed_packet(struct tn_ngread *g, struct tn_rd *b, uint32_t type,
			struct pcap_pkthdr *h, const uint8_t **data, char *err, size_t errlen)
{
	if (tn_rd_left(b) < 20)
		return too_short(type, err, errlen);
	uint32_t id = type == BT_EPB ? n32(b) : n16(b);
	if (type != BT_EPB)
		tn_rd_skip(b, 2); /* drops count */
	uint64_t hi = n32(b), lo = n32(b);
	h->caplen = n32(b);
	h->len = n32(b);
	return packet(g, b, type, id, hi << 32 | lo, h, data, err, errlen);
}

/* A Simple Packet Block: interface 0, no timestamp, the captured length implied. */
static int simple_packet(struct tn_ngread *g, struct tn_rd *b, struct pcap_pkthdr *h,
			 const uint8_t **data, char *err, size_t errlen)
{
	if (tn_rd_left(b) < 4)
		return too_short(BT_SPB, err, errlen);
	h->len = n32(b);
	h->caplen = h->len > g->snapshot ? g->snapshot : h->len;
	return packet(g, b, BT_SPB, 0, 0, h, data, err, errlen);
}

int tn_ngread_next(struct tn_ngread *g, struct pcap_pkthdr *h, const uint8_t **data,
		   char *err, size_t errlen)
{
	for (;;) {
		uint32_t type = 0;
		struct tn_rd b = { 0 };
		int rc = read_block(g, &type, &b, err, errlen);
		if (rc <= 0)
			return rc;
		switch (type) {
		case BT_EPB:
		case BT_PB:
			return timed_packet(g, &b, type, h, data, err, errlen);
		case BT_SPB:
			return simple_packet(g, &b, h, data, err, errlen);
		case BT_IDB:
			rc = interface(g, &b, err, errlen);
			break;
		case BT_SHB:
			rc = section(g, &b, err, errlen);
			break;
		default:
			rc = 0; /* not a packet, an interface or a section: libpcap skips it */
			break;
		}
		if (rc == TN_NGREAD_OTHER) {
			tn_inbuf_untake(&g->in, b.len + BLOCK_MIN); /* pcapng.c reads it */
			return rc;
		}
		if (rc < 0)
			return -1;
	}
}

int tn_ngread_hand_over(struct tn_ngread *g, const char *filter, struct tn_pcapng **out,
			char *err, size_t errlen)
{
	struct tn_pcapng_iface *d = malloc(((size_t)g->n_if + 1) * sizeof *d);
	if (!d)
		return say(err, errlen, "out of memory");
	for (uint32_t k = 0; k < g->n_if; k++)
		d[k] = g->ifs[k].desc;
	int rc = tn_pcapng_resume(out, &g->in, host_le(), d, g->n_if, filter, err, errlen);
	free(d);
	return rc;
}
