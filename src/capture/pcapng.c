/*
 * pcapng.c — a small pcapng block reader, for the files libpcap refuses.
 *
 * libpcap 1.10 reads a pcapng file only while every interface has the link
 * type and snapshot length of the first one, and every section the first
 * section's byte order. Wireshark writes files that break both rules when
 * it captures on several interfaces at once. The capture source falls back
 * to this reader for them (source.c decides when); everything else still
 * goes through libpcap.
 *
 * What it reads (pcapng, draft-ietf-opsawg-pcapng): Section Header Blocks in
 * either byte order, any number of sections (a new section forgets the
 * interfaces of the last); Interface Description Blocks with if_tsresol and
 * if_tsoffset; Enhanced, Simple and (obsolete) Packet Blocks. Every other
 * block is skipped whole. The file is read a large block at a time
 * (inbuf.h); each pcapng block is copied into one buffer (at most
 * MAX_BLOCK bytes), and every field inside it through the bounds-checked
 * reader; a block that cannot be right ends the file with one line saying
 * which block, where, and what is wrong with it.
 *
 * Ownership: the reader owns its block buffer, its interface table (at most
 * MAX_IFACES per section) with one compiled filter per interface, and the
 * FILE it reads.
 */
#define _DEFAULT_SOURCE
#include "pcapng.h"

#include <tcpnarrate/rd.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BLOCK (16u << 20)     /* libpcap's own ceiling for one block */
#define MAX_IFACES 4096u
#define DEFAULT_SNAP 262144u
#define GET_CHUNK (256u * 1024u) /* at most this much asked of the file at once */

#define BT_SHB 0x0a0d0d0au
#define BT_IDB 1u
#define BT_OPB 2u
#define BT_SPB 3u
#define BT_EPB 6u
#define BOM 0x1a2b3c4du
#define OPT_END 0
#define OPT_TSRESOL 9
#define OPT_TSOFFSET 14

/*
 * pcapng stores LINKTYPE_ values; libpcap and the decoder speak DLT_ values.
 * They are the same number except for the few that differ between systems
 * (libpcap's linktype_to_dlt(), which it does not export).
 */
static const struct {
	uint32_t linktype, dlt;
} link_map[] = {
	{ 101, DLT_RAW },               /* LINKTYPE_RAW */
	{ 100, DLT_ATM_RFC1483 },       /* LINKTYPE_ATM_RFC1483 */
	{ 0, 0 },                       /* sentinel */
};

static uint32_t dlt_of(uint32_t linktype)
{
	for (size_t i = 0; link_map[i].linktype; i++)
		if (link_map[i].linktype == linktype)
			return link_map[i].dlt;
	return linktype;
}

struct iface {
	uint32_t linktype, snaplen;
	bool pow2;              /* resolution 2^-exp, else 10^-exp */
	uint8_t exp;
	int64_t tsoffset;       /* seconds added to every timestamp */
	struct bpf_program prog;
	bool have_prog;
	bool matches_none;      /* the filter cannot apply to this link type */
};

struct tn_pcapng {
	FILE *f;                /* closed at the end */
	struct tn_inbuf in;     /* what is read of it, a large block at a time */
	uint64_t offset;        /* bytes consumed */
	uint64_t block_start;
	bool le;                /* the current section's byte order */
	bool in_section;
	uint8_t *buf;           /* the block being read, after its first 8 bytes */
	size_t buf_cap;
	struct iface *ifs;
	uint32_t n_if, if_cap;
	char *filter;
};

static uint16_t rd16(struct tn_rd *r, bool le)
{
	uint16_t v = tn_rd_be16(r);
	return le ? (uint16_t)(v >> 8 | v << 8) : v;
}

static uint32_t rd32(struct tn_rd *r, bool le)
{
	return le ? tn_rd_le32(r) : tn_rd_be32(r);
}

static uint64_t rd64(struct tn_rd *r, bool le)
{
	uint64_t a = rd32(r, le), b = rd32(r, le);
	return le ? b << 32 | a : a << 32 | b;
}

/* Up to n bytes of the file, taken from the reader's large block; returns how many it got. */
static size_t get(struct tn_pcapng *g, void *dst, size_t n)
{
	size_t got = 0;
	while (got < n) {
		size_t want = n - got < GET_CHUNK ? n - got : GET_CHUNK;
		if (tn_inbuf_fill(&g->in, want) < 0 || tn_inbuf_avail(&g->in) == 0)
			break; /* a read error reads as the end: the block is cut short */
		size_t take = tn_inbuf_avail(&g->in) < want ? tn_inbuf_avail(&g->in) : want;
		memcpy((uint8_t *)dst + got, tn_inbuf_at(&g->in), take);
		tn_inbuf_take(&g->in, take);
		got += take;
	}
	g->offset += got;
	return got;
}

int tn_pcapng_create(struct tn_pcapng **out, FILE *f, tn_inbuf_source raw, void *ctx,
		     const char *filter, char *errbuf, size_t errlen)
{
	struct tn_pcapng *g = calloc(1, sizeof *g);
	if (!g)
		goto err_oom;
	if (filter && *filter) {
		g->filter = strdup(filter);
		if (!g->filter)
			goto err_reader;
	}
	if (tn_inbuf_init(&g->in, f, 0, raw, ctx, 0) < 0)
		goto err_filter;
	g->f = f;
	*out = g;
	return 0;

err_filter:
	free(g->filter);
err_reader:
	free(g);
err_oom:
	snprintf(errbuf, errlen, "out of memory");
	return -1;
}

static void forget_interfaces(struct tn_pcapng *g)
{
	for (uint32_t i = 0; i < g->n_if; i++)
		if (g->ifs[i].have_prog)
			pcap_freecode(&g->ifs[i].prog);
	g->n_if = 0;
}

void tn_pcapng_destroy(struct tn_pcapng *g)
{
	if (!g)
		return;
	forget_interfaces(g);
	free(g->ifs);
	free(g->buf);
	free(g->filter);
	tn_inbuf_free(&g->in);
	if (g->f)
		fclose(g->f);
	free(g);
}

uint64_t tn_pcapng_block_start(const struct tn_pcapng *g)
{
	return g->block_start;
}

/* ---------------------------------------------------------------- blocks */

static int bad(struct tn_pcapng *g, char *errbuf, size_t errlen, const char *what)
{
	snprintf(errbuf, errlen, "pcapng block at byte %" PRIu64 ": %s", g->block_start, what);
	return -1;
}

static bool grow(struct tn_pcapng *g, size_t need)
{
	if (need <= g->buf_cap)
		return true;
	uint8_t *b = realloc(g->buf, need);
	if (!b)
		return false;
	g->buf = b;
	g->buf_cap = need;
	return true;
}

/*
 * The next block: its type, and its body in g->buf (without the type,
 * length and trailing length). For a Section Header Block the byte-order
 * magic decides the order before the length is read.
 */
static int read_block(struct tn_pcapng *g, uint32_t *type, struct tn_rd *body, char *errbuf,
		      size_t errlen)
{
	uint8_t hdr[12];
	char msg[96];
	g->block_start = g->offset;
	size_t got = get(g, hdr, 8);
	if (got == 0)
		return 0;
	if (got < 8)
		return bad(g, errbuf, errlen, "the file ends inside the block header");
	struct tn_rd r;
	tn_rd_init(&r, hdr, sizeof hdr);
	bool shb = tn_rd_be32(&r) == BT_SHB;
	if (shb) {
		if (get(g, hdr + 8, 4) < 4)
			return bad(g, errbuf, errlen, "the file ends inside the section header");
		r.off = 8;
		uint32_t bom = tn_rd_be32(&r);
		if (bom != BOM && bom != 0x4d3c2b1au)
			return bad(g, errbuf, errlen, "a section header with no byte-order magic");
		g->le = bom != BOM;
		g->in_section = true;
	} else if (!g->in_section) {
		return bad(g, errbuf, errlen, "the file does not start with a section header");
	}
	r.off = 0;
	*type = rd32(&r, g->le);
	uint32_t len = rd32(&r, g->le);
	uint32_t head = shb ? 12 : 8;
	if (len < head + 4 || len % 4 != 0 || len > MAX_BLOCK) {
		snprintf(msg, sizeof msg, "total length %" PRIu32 " cannot be right", len);
		return bad(g, errbuf, errlen, msg);
	}
	if (!grow(g, len - head))
		return bad(g, errbuf, errlen, "out of memory for the block");
	if (get(g, g->buf, len - head) < len - head)
		return bad(g, errbuf, errlen, "the file ends inside the block");
	tn_rd_init(&r, g->buf + (len - head - 4), 4);
	if (rd32(&r, g->le) != len)
		return bad(g, errbuf, errlen, "the length at its end differs from the one at its start");
	tn_rd_init(body, g->buf, len - head - 4);
	return 1;
}

static int section(struct tn_pcapng *g, struct tn_rd *b, char *errbuf, size_t errlen)
{
	uint16_t major = rd16(b, g->le);
	if (b->err)
		return bad(g, errbuf, errlen, "a section header too short for its version");
	if (major != 1)
		return bad(g, errbuf, errlen, "a section of pcapng major version other than 1");
	forget_interfaces(g);
	return 0;
}

/* if_tsoffset as seconds this reader adds, held well inside int64_t. */
static int64_t clamp_offset(uint64_t raw)
{
	int64_t off = (int64_t)raw;
	return off > INT64_MAX / 4 ? INT64_MAX / 4 : off < -(INT64_MAX / 4) ? -(INT64_MAX / 4) : off;
}

/* if_tsresol and if_tsoffset; every other option is stepped over. */
static int iface_options(struct tn_pcapng *g, struct tn_rd *b, struct iface *i, char *errbuf,
			 size_t errlen)
{
	while (tn_rd_left(b) >= 4) {
		uint16_t code = rd16(b, g->le), olen = rd16(b, g->le);
		if (code == OPT_END)
			break;
		bool cut = false;
		struct tn_rd v = tn_rd_sub(b, olen, &cut);
		tn_rd_skip(b, (4u - olen % 4u) % 4u);
		if (cut)
			return bad(g, errbuf, errlen, "an interface option runs past the block");
		if (code == OPT_TSRESOL && olen == 1) {
			uint8_t res = tn_rd_u8(&v);
			i->pow2 = res & 0x80;
			i->exp = res & 0x7f;
			if (i->exp > (i->pow2 ? 63 : 19))
				return bad(g, errbuf, errlen, "an interface timestamp resolution "
					   "finer than tcpnarrate reads (if_tsresol)");
		} else if (code == OPT_TSOFFSET && olen == 8) {
			i->tsoffset = clamp_offset(rd64(&v, g->le));
		}
	}
	return 0;
}

/*
 * The filter, compiled for this interface's link type and snapshot length.
 * An expression that cannot apply to this link type ("ether host" on a
 * Linux cooked interface) matches none of its packets; one that is wrong
 * for every link type was refused when the file was opened.
 */
static int compile_for(struct tn_pcapng *g, struct iface *i, char *errbuf, size_t errlen)
{
	if (!g->filter)
		return 0;
	pcap_t *dead = pcap_open_dead((int)i->linktype, (int)(i->snaplen ? i->snaplen :
									DEFAULT_SNAP));
	if (!dead)
		return bad(g, errbuf, errlen, "out of memory for the filter");
	if (pcap_compile(dead, &i->prog, g->filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
		i->matches_none = true;
	else
		i->have_prog = true;
	pcap_close(dead);
	return 0;
}

/* Room for one more interface in the section. */
static int room_for_iface(struct tn_pcapng *g, char *errbuf, size_t errlen)
{
	if (g->n_if >= MAX_IFACES)
		return bad(g, errbuf, errlen, "more than 4096 interfaces in one section");
	if (g->n_if == g->if_cap) {
		uint32_t cap = g->if_cap ? g->if_cap * 2 : 8;
		struct iface *n = realloc(g->ifs, cap * sizeof *n);
		if (!n)
			return bad(g, errbuf, errlen, "out of memory for the interfaces");
		g->ifs = n;
		g->if_cap = cap;
	}
	return 0;
}

static int interface(struct tn_pcapng *g, struct tn_rd *b, char *errbuf, size_t errlen)
{
	if (room_for_iface(g, errbuf, errlen) < 0)
		return -1;
	struct iface i = { .exp = 6 };
	i.linktype = dlt_of(rd16(b, g->le));
	tn_rd_skip(b, 2);
	i.snaplen = rd32(b, g->le);
	if (b->err)
		return bad(g, errbuf, errlen, "an interface description too short for its fields");
	if (iface_options(g, b, &i, errbuf, errlen) < 0 || compile_for(g, &i, errbuf, errlen) < 0)
		return -1;
	g->ifs[g->n_if++] = i;
	return 0;
}

int tn_pcapng_resume(struct tn_pcapng **out, struct tn_inbuf *in, bool le,
		     const struct tn_pcapng_iface *ifs, uint32_t n, const char *filter,
		     char *errbuf, size_t errlen)
{
	if (tn_pcapng_create(out, NULL, NULL, NULL, filter, errbuf, errlen) < 0)
		return -1;
	struct tn_pcapng *g = *out;
	tn_inbuf_free(&g->in);
	g->in = *in;
	in->buf = NULL;
	g->offset = g->block_start = g->in.offset;
	g->le = le;
	g->in_section = true;
	for (uint32_t k = 0; k < n; k++) {
		struct iface i = { .linktype = ifs[k].linktype, .snaplen = ifs[k].snaplen,
				   .pow2 = ifs[k].pow2, .exp = ifs[k].exp,
				   .tsoffset = clamp_offset(ifs[k].tsoffset) };
		if (room_for_iface(g, errbuf, errlen) < 0 || compile_for(g, &i, errbuf, errlen) < 0) {
			tn_pcapng_destroy(g);
			*out = NULL;
			return -1;
		}
		g->ifs[g->n_if++] = i;
	}
	return 0;
}

/* A timestamp in the interface's units, as seconds and nanoseconds. */
static void timestamp(const struct iface *i, uint64_t t, int64_t *sec, uint32_t *nsec)
{
	uint64_t s, frac;
	if (i->pow2) {
		uint64_t one = (uint64_t)1 << i->exp;
		s = t >> i->exp;
		frac = t & (one - 1);
		*nsec = (uint32_t)((long double)frac * 1e9L / (long double)one);
	} else {
		uint64_t per = 1;
		for (int k = 0; k < i->exp; k++)
			per *= 10;
		s = t / per;
		frac = t % per;
		*nsec = per >= 1000000000u ? (uint32_t)(frac / (per / 1000000000u))
					   : (uint32_t)(frac * (1000000000u / per));
	}
	if (s > (uint64_t)INT64_MAX / 4)
		s = (uint64_t)INT64_MAX / 4;
	*sec = (int64_t)s + i->tsoffset;
}

static int packet_of(struct tn_pcapng *g, uint32_t id, struct tn_pcapng_rec *rec, char *errbuf,
		     size_t errlen)
{
	char msg[128];
	if (id >= g->n_if) {
		snprintf(msg, sizeof msg, "a packet on interface %" PRIu32 ", but the section "
			 "describes %" PRIu32, id, g->n_if);
		return bad(g, errbuf, errlen, msg);
	}
	rec->linktype = g->ifs[id].linktype;
	rec->snaplen = g->ifs[id].snaplen;
	return 0;
}

/* Caplen checked against the block, trimmed to the snapshot length, filtered. */
static int packet_bytes(struct tn_pcapng *g, struct tn_rd *b, uint32_t id,
			struct tn_pcapng_rec *rec, char *errbuf, size_t errlen)
{
	if (b->err)
		return bad(g, errbuf, errlen, "a packet block too short for its fields");
	if (rec->caplen > tn_rd_left(b))
		return bad(g, errbuf, errlen, "a packet block claims more captured bytes than it "
			   "holds");
	rec->data = tn_rd_here(b);
	rec->file_caplen = rec->caplen;
	if (rec->snaplen && rec->caplen > rec->snaplen)
		rec->caplen = rec->snaplen;
	rec->filtered_out = g->ifs[id].matches_none;
	if (g->ifs[id].have_prog) {
		struct pcap_pkthdr h = { .caplen = rec->caplen, .len = rec->wirelen };
		rec->filtered_out = !pcap_offline_filter(&g->ifs[id].prog, &h, rec->data);
	}
	return 1;
}

/* Enhanced (6) and obsolete (2) Packet Blocks differ only in the interface id's width. */
static int timed_packet(struct tn_pcapng *g, struct tn_rd *b, bool epb,
			struct tn_pcapng_rec *rec, char *errbuf, size_t errlen)
{
	uint32_t id = epb ? rd32(b, g->le) : rd16(b, g->le);
	if (!epb)
		tn_rd_skip(b, 2); /* drops count */
	uint64_t hi = rd32(b, g->le), lo = rd32(b, g->le);
	rec->caplen = rd32(b, g->le);
	rec->wirelen = rd32(b, g->le);
	if (b->err)
		return bad(g, errbuf, errlen, "a packet block too short for its fields");
	if (packet_of(g, id, rec, errbuf, errlen) < 0)
		return -1;
	timestamp(&g->ifs[id], hi << 32 | lo, &rec->ts_sec, &rec->ts_nsec);
	return packet_bytes(g, b, id, rec, errbuf, errlen);
}

/*
 * A Simple Packet Block: interface 0, no timestamp (time 0 plus the
 * interface's offset, as libpcap has it), the captured length implied.
 */
static int simple_packet(struct tn_pcapng *g, struct tn_rd *b, struct tn_pcapng_rec *rec,
			 char *errbuf, size_t errlen)
{
	rec->wirelen = rd32(b, g->le);
	if (packet_of(g, 0, rec, errbuf, errlen) < 0)
		return -1;
	timestamp(&g->ifs[0], 0, &rec->ts_sec, &rec->ts_nsec);
	size_t left = tn_rd_left(b);
	rec->caplen = rec->wirelen < left ? rec->wirelen : (uint32_t)left;
	return packet_bytes(g, b, 0, rec, errbuf, errlen);
}

int tn_pcapng_next(struct tn_pcapng *g, struct tn_pcapng_rec *rec, char *errbuf, size_t errlen)
{
	for (;;) {
		uint32_t type;
		struct tn_rd b;
		int rc = read_block(g, &type, &b, errbuf, errlen);
		if (rc <= 0)
			return rc;
		switch (type) {
		case BT_SHB:
			rc = section(g, &b, errbuf, errlen);
			break;
		case BT_IDB:
			rc = interface(g, &b, errbuf, errlen);
			break;
		case BT_EPB:
		case BT_OPB:
			return timed_packet(g, &b, type == BT_EPB, rec, errbuf, errlen);
		case BT_SPB:
			return simple_packet(g, &b, rec, errbuf, errlen);
		default:
			rc = 0; /* name resolution, statistics, custom...: not ours to read */
			break;
		}
		if (rc < 0)
			return -1;
	}
}

/* ---------------------------------------------------------------- sniffing */

/* Walks the blocks in the first bytes of the file; true when two IDBs disagree. */
bool tn_pcapng_mixed_interfaces(const uint8_t *p, size_t len, uint32_t *first_lt,
				uint32_t *first_snap)
{
	struct tn_rd r;
	bool le = true, have = false;
	uint32_t lt0 = 0, snap0 = 0;
	tn_rd_init(&r, p, len);
	while (tn_rd_left(&r) >= 12) {
		size_t start = r.off;
		uint32_t type = tn_rd_be32(&r);
		if (type == BT_SHB) {
			r.off = start + 8;
			uint32_t bom = tn_rd_be32(&r);
			le = bom != BOM;
			r.off = start;
			tn_rd_skip(&r, 4);
		} else {
			r.off = start;
			type = rd32(&r, le);
		}
		uint32_t blen = rd32(&r, le);
		if (r.err || blen < 12 || blen % 4 || blen > tn_rd_left(&r) + 8)
			return false;
		struct tn_rd b = tn_rd_sub(&r, blen - 8, NULL);
		if (type != BT_IDB)
			continue;
		uint32_t lt = dlt_of(rd16(&b, le));
		tn_rd_skip(&b, 2);
		uint32_t snap = rd32(&b, le);
		if (have && (lt != lt0 || snap != snap0))
			return true;
		if (!have) {
			*first_lt = lt0 = lt;
			*first_snap = snap0 = snap;
		}
		have = true;
	}
	return false;
}
