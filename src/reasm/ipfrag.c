/*
 * ipfrag.c — putting IP fragments of TCP segments back together.
 *
 * A datagram in progress is found by what RFC 791 §3.2 and RFC 8200 §4.5
 * say identifies it: source, destination, identification (and protocol for
 * IPv4). Its fragments' bytes go into one buffer at their offsets; the
 * first fragment (offset 0) also leaves its link and IP headers, up to the
 * fragmentable part, so that the datagram can be rebuilt as the receiver
 * sees it: the IPv4 header with the fragment fields cleared, its total
 * length and checksum redone; the IPv6 headers without the fragment header
 * (RFC 8200 §4.5), the payload length redone. The caller decodes that as an
 * ordinary frame.
 *
 * Overlaps: Linux (and RFC 5722 for IPv6) throws a datagram with
 * overlapping fragments away, and other stacks keep either copy; here the
 * bytes that arrived first are kept and the overlap is reported, with
 * whether the copies differ, so the narration can say what a receiver
 * might have done. An exact duplicate is noted too.
 *
 * Limits: at most max_entries datagrams in progress, max_bytes of fragment
 * buffers, TN_REASM_MAX_FRAGS fragments each; datagrams older than the
 * timeout (capture time since their first fragment) are dropped. Each
 * refusal is counted. Ownership: the table owns every entry, buffer and the
 * output buffer; tn_reasm_done points into the last.
 */
#include <tcpnarrate/reasm.h>
#include <tcpnarrate/rd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX_MAX 512        /* link header + IP header (and IPv6 extensions) kept */
#define DATAGRAM_MAX 65535u   /* bytes of fragmentable part */
#define PROTO_TCP 6
#define NH_FRAGMENT 44

struct range {
	uint32_t off, end;
};

struct entry {
	uint8_t family;
	uint8_t src[16], dst[16];
	uint32_t id;
	int64_t first_ns;
	uint32_t total;            /* length of the fragmentable part, once the last piece came */
	bool total_known, have_first;
	uint16_t prefix_len, ip_at, nh_at;
	uint8_t frag_next;         /* IPv6: the protocol after the fragment header */
	uint8_t prefix[PREFIX_MAX];
	uint8_t *buf;
	uint32_t cap;
	uint8_t n;
	struct tn_frag_ref frags[TN_REASM_MAX_FRAGS];
	uint32_t overlap_bytes;
	bool conflict;
};

struct tn_reasm {
	struct tn_reasm_limits lim;
	struct entry **e;          /* entries in progress, [0, count) */
	uint32_t count;
	size_t bytes;              /* buffers and entries held */
	uint8_t *out;              /* the last datagram made whole */
	struct tn_reasm_stats st;
};

/* One fragment, as found in a decoded frame. */
struct frag {
	uint8_t family;
	const uint8_t *src, *dst;
	uint32_t id, off, len;
	bool more;
	const uint8_t *data;       /* len bytes, checked to be in the frame */
	const uint8_t *head;       /* the frame's first prefix_len bytes, likewise */
	uint32_t prefix_len, ip_at, nh_at;
	uint32_t data_at;          /* where the fragmentable part starts in the frame */
	uint8_t frag_next;
};

int tn_reasm_create(struct tn_reasm **out, const struct tn_reasm_limits *lim, char *errbuf,
		    size_t errlen)
{
	struct tn_reasm *r = calloc(1, sizeof *r);
	if (!r)
		goto err_oom;
	r->lim = *lim;
	if (!r->lim.max_bytes)
		r->lim.max_bytes = TN_REASM_DEFAULT_BYTES;
	if (!r->lim.max_entries)
		r->lim.max_entries = TN_REASM_DEFAULT_ENTRIES;
	if (r->lim.timeout_ns <= 0)
		r->lim.timeout_ns = (int64_t)TN_REASM_DEFAULT_TIMEOUT_SEC * 1000000000;
	r->e = calloc(r->lim.max_entries, sizeof *r->e);
	if (!r->e)
		goto err_table;
	*out = r;
	return 0;

err_table:
	free(r);
err_oom:
	snprintf(errbuf, errlen, "out of memory for the fragment table");
	return -1;
}

static void drop(struct tn_reasm *r, uint32_t i)
{
	struct entry *e = r->e[i];
	r->bytes -= sizeof *e + e->cap;
	free(e->buf);
	free(e);
	r->e[i] = r->e[--r->count];
}

void tn_reasm_destroy(struct tn_reasm *r)
{
	if (!r)
		return;
	while (r->count)
		drop(r, 0);
	free(r->e);
	free(r->out);
	free(r);
}

void tn_reasm_stats(const struct tn_reasm *r, bool at_end, struct tn_reasm_stats *st)
{
	*st = r->st;
	if (at_end)
		st->incomplete += r->count;
}

/* ---------------------------------------------------------------- finding fragments */

static bool ipv4_frag(const struct tn_packet *pkt, uint32_t caplen, struct frag *f)
{
	const struct tn_ipv4 *ip = &pkt->ip4;
	if (!ip->mf && ip->frag_off == 0)
		return false;
	f->family = 4;
	f->src = ip->src;
	f->dst = ip->dst;
	f->id = ip->id;
	f->off = ip->frag_off;
	f->more = ip->mf;
	f->ip_at = pkt->ip_offset;
	f->prefix_len = f->data_at = pkt->ip_offset + ip->hdr_len;
	uint32_t end = pkt->ip_offset + ip->total_len;
	f->len = ip->tso_zero_len || end < f->prefix_len ? 0 : end - f->prefix_len;
	return ip->proto == PROTO_TCP && end <= caplen;
}

static bool ipv6_frag(const struct tn_packet *pkt, const uint8_t *frame, uint32_t caplen,
		      struct frag *f)
{
	const struct tn_ipv6 *ip = &pkt->ip6;
	uint32_t at = pkt->ip_offset + 40, before = pkt->ip_offset + 6;
	unsigned k = 0;
	if (!ip->frag || ip->jumbo)
		return false;
	while (k < ip->n_ext && ip->ext[k].type != NH_FRAGMENT) {
		before = at;
		at += ip->ext[k++].len;
	}
	if (k == ip->n_ext)
		return false;
	struct tn_rd r;
	tn_rd_init(&r, frame, caplen);
	tn_rd_skip(&r, at);
	f->frag_next = tn_rd_u8(&r);
	uint32_t end = pkt->ip_offset + 40 + ip->payload_len;
	f->family = 6;
	f->src = ip->src;
	f->dst = ip->dst;
	f->id = ip->frag_id;
	f->off = ip->frag_off;
	f->more = ip->frag_mf;
	f->ip_at = pkt->ip_offset;
	f->nh_at = before;
	f->prefix_len = at;
	f->data_at = at + 8;
	f->len = end > at + 8 ? end - at - 8 : 0;
	return !r.err && pkt->ip_proto == PROTO_TCP && end <= caplen && end >= at + 8;
}

/*
 * Is this a TCP fragment we can hold? The IP header must have been read
 * whole: the decoder went on to TCP (tcp_offset set) or stopped at a later
 * fragment. Every piece but the last carries a multiple of 8 bytes.
 */
static int fragment_of(const struct tn_packet *pkt, enum tn_decode_result res,
		       const uint8_t *frame, uint32_t caplen, struct frag *f)
{
	if (pkt->ip_version == 0 || (res != TN_DEC_FRAGMENT && pkt->tcp_offset == 0))
		return 0;
	bool ok = pkt->ip_version == 4 ? ipv4_frag(pkt, caplen, f)
				       : ipv6_frag(pkt, frame, caplen, f);
	bool is_frag = pkt->ip_version == 4 ? (pkt->ip4.mf || pkt->ip4.frag_off) : pkt->ip6.frag;
	if (!is_frag || pkt->ip_proto != PROTO_TCP)
		return 0;
	if (!ok || f->len == 0 || (f->more && f->len % 8) || f->prefix_len > PREFIX_MAX ||
	    f->off + f->len > DATAGRAM_MAX)
		return -1;
	/* The fragment's bytes, through the reader: within [frame, frame + caplen). */
	struct tn_rd r;
	bool cut = false;
	tn_rd_init(&r, frame, caplen);
	tn_rd_skip(&r, f->data_at);
	struct tn_rd d = tn_rd_sub(&r, f->len, &cut);
	if (r.err || cut)
		return -1;
	f->data = tn_rd_here(&d);
	f->head = frame;
	return 1;
}

/* ---------------------------------------------------------------- the table */

static bool same_datagram(const struct entry *e, const struct frag *f)
{
	size_t alen = f->family == 4 ? 4 : 16;
	return e->family == f->family && e->id == f->id && memcmp(e->src, f->src, alen) == 0 &&
	       memcmp(e->dst, f->dst, alen) == 0;
}

/* The datagram this fragment belongs to, made when it is the first seen; NULL when full. */
static struct entry *entry_for(struct tn_reasm *r, const struct frag *f, int64_t now_ns)
{
	for (uint32_t i = 0; i < r->count; i++)
		if (same_datagram(r->e[i], f))
			return r->e[i];
	if (r->count >= r->lim.max_entries) {
		r->st.table_full++;
		return NULL;
	}
	if (r->bytes + sizeof(struct entry) > r->lim.max_bytes) {
		r->st.memory_full++;
		return NULL;
	}
	struct entry *e = calloc(1, sizeof *e);
	if (!e) {
		r->st.memory_full++;
		return NULL;
	}
	size_t alen = f->family == 4 ? 4 : 16;
	e->family = f->family;
	e->id = f->id;
	memcpy(e->src, f->src, alen);
	memcpy(e->dst, f->dst, alen);
	e->first_ns = now_ns;
	r->bytes += sizeof *e;
	r->e[r->count++] = e;
	return e;
}

static uint32_t index_of(const struct tn_reasm *r, const struct entry *e)
{
	uint32_t i = 0;
	while (r->e[i] != e)
		i++;
	return i;
}

/* Datagrams whose first fragment is older than the timeout are given up. */
static void expire(struct tn_reasm *r, int64_t now_ns)
{
	for (uint32_t i = 0; i < r->count;) {
		if (now_ns - r->e[i]->first_ns > r->lim.timeout_ns) {
			drop(r, i);
			r->st.timed_out++;
		} else {
			i++;
		}
	}
}

/* Room for bytes up to `end` in the entry's buffer, within the memory limit. */
static bool room(struct tn_reasm *r, struct entry *e, uint32_t end)
{
	if (end <= e->cap)
		return true;
	uint32_t cap = end < 2048 ? 2048 : end;
	if (cap > DATAGRAM_MAX)
		cap = DATAGRAM_MAX;
	if (r->bytes - e->cap + cap > r->lim.max_bytes)
		return false;
	uint8_t *b = realloc(e->buf, cap);
	if (!b)
		return false;
	r->bytes = r->bytes - e->cap + cap;
	e->buf = b;
	e->cap = cap;
	return true;
}

/* The entry's fragments as ranges, sorted by offset (insertion sort: at most 64). */
static unsigned sorted(const struct entry *e, struct range *out)
{
	unsigned n = 0;
	for (unsigned i = 0; i < e->n; i++) {
		struct range v = { e->frags[i].offset, e->frags[i].offset + e->frags[i].len };
		unsigned j = n++;
		while (j > 0 && out[j - 1].off > v.off) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = v;
	}
	return n;
}

/* Overlaps with the fragments before it: counted, compared, flagged on the new one. */
static void overlaps(struct entry *e, const struct frag *f, struct tn_frag_ref *ref)
{
	uint32_t end = f->off + f->len;
	for (unsigned i = 0; i < e->n; i++) {
		const struct tn_frag_ref *o = &e->frags[i];
		uint32_t lo = o->offset > f->off ? o->offset : f->off;
		uint32_t hi = o->offset + o->len < end ? o->offset + o->len : end;
		if (lo >= hi)
			continue;
		if (o->offset == f->off && o->len == f->len)
			ref->duplicate = true;
		else
			ref->overlap = true;
		e->overlap_bytes += hi - lo;
		if (memcmp(e->buf + lo, f->data + (lo - f->off), hi - lo) != 0)
			e->conflict = true;
	}
}

/* The fragment's bytes where no earlier fragment put any: the first copy is kept. */
static void copy_gaps(struct entry *e, const struct frag *f)
{
	struct range rs[TN_REASM_MAX_FRAGS];
	unsigned n = sorted(e, rs);
	uint32_t pos = f->off, end = f->off + f->len;
	for (unsigned i = 0; i < n && pos < end; i++) {
		if (rs[i].off > pos) {
			uint32_t stop = rs[i].off < end ? rs[i].off : end;
			memcpy(e->buf + pos, f->data + (pos - f->off), stop - pos);
		}
		if (rs[i].end > pos)
			pos = rs[i].end;
	}
	if (pos < end)
		memcpy(e->buf + pos, f->data + (pos - f->off), end - pos);
}

static bool complete(const struct entry *e)
{
	struct range rs[TN_REASM_MAX_FRAGS];
	if (!e->total_known || !e->have_first)
		return false;
	unsigned n = sorted(e, rs);
	uint32_t pos = 0;
	for (unsigned i = 0; i < n; i++) {
		if (rs[i].off > pos)
			return false;
		if (rs[i].end > pos)
			pos = rs[i].end;
	}
	return pos >= e->total;
}

/* A last fragment that disagrees with the length known, or a piece past the end. */
static bool bad_end(const struct entry *e, const struct frag *f)
{
	uint32_t end = f->off + f->len;
	if (e->total_known)
		return end > e->total || (!f->more && end != e->total);
	if (f->more)
		return false;
	for (unsigned i = 0; i < e->n; i++)
		if (e->frags[i].offset + e->frags[i].len > end)
			return true;
	return false;
}

/*
 * Holds one fragment in its datagram's entry. -1 (counted) when it cannot;
 * -2 when the datagram must be given up too.
 */
static int take(struct tn_reasm *r, struct entry *e, const struct frag *f, uint64_t n)
{
	if (bad_end(e, f)) {
		r->st.cut++;
		return -1;
	}
	if (e->n >= TN_REASM_MAX_FRAGS) {
		r->st.too_many++;
		return -2;
	}
	if (!room(r, e, f->off + f->len)) {
		r->st.memory_full++;
		return -1;
	}
	struct tn_frag_ref ref = { .n = n, .offset = f->off, .len = f->len };
	overlaps(e, f, &ref);
	copy_gaps(e, f);
	e->frags[e->n++] = ref;
	if (!f->more) {
		e->total = f->off + f->len;
		e->total_known = true;
	}
	if (f->off == 0 && !e->have_first) {
		memcpy(e->prefix, f->head, f->prefix_len);
		e->prefix_len = (uint16_t)f->prefix_len;
		e->ip_at = (uint16_t)f->ip_at;
		e->nh_at = (uint16_t)f->nh_at;
		e->frag_next = f->frag_next;
		e->have_first = true;
	}
	r->st.fragments++;
	return 0;
}

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/*
 * The datagram as the receiver rebuilds it: the first fragment's headers,
 * no longer a fragment, and the whole payload. False when it would be over
 * the 65535 bytes an IP length can say.
 */
static bool rebuild(struct tn_reasm *r, const struct entry *e, struct tn_reasm_done *done)
{
	uint32_t hdr = e->prefix_len - e->ip_at;
	if (hdr + e->total > 65535u + (e->family == 6 ? 40u : 0u))
		return false;
	if (!r->out && !(r->out = malloc(PREFIX_MAX + DATAGRAM_MAX)))
		return false;
	memcpy(r->out, e->prefix, e->prefix_len);
	memcpy(r->out + e->prefix_len, e->buf, e->total);
	uint8_t *ip = r->out + e->ip_at;
	if (e->family == 4) {
		put16(ip + 2, hdr + e->total);
		ip[6] &= 0x40; /* Don't Fragment stays; More Fragments and the offset go */
		ip[7] = 0;
		put16(ip + 10, 0);
		put16(ip + 10, (uint16_t)~tn_csum_fold(tn_csum_add(0, ip, hdr)));
	} else {
		put16(ip + 4, hdr - 40 + e->total);
		r->out[e->nh_at] = e->frag_next;
	}
	done->frame = r->out;
	done->len = e->prefix_len + e->total;
	done->n_frags = e->n;
	memcpy(done->frags, e->frags, e->n * sizeof e->frags[0]);
	done->overlap_bytes = e->overlap_bytes;
	done->conflict = e->conflict;
	return true;
}

enum tn_reasm_result tn_reasm_add(struct tn_reasm *r, const struct tn_packet *pkt,
				  enum tn_decode_result res, const uint8_t *frame,
				  uint32_t caplen, uint64_t n, int64_t now_ns,
				  struct tn_reasm_done *done)
{
	struct frag f;
	memset(&f, 0, sizeof f);
	int is = fragment_of(pkt, res, frame, caplen, &f);
	if (is == 0)
		return TN_REASM_NOT_FRAGMENT;
	expire(r, now_ns);
	if (is < 0) {
		r->st.cut++;
		return TN_REASM_REFUSED;
	}
	struct entry *e = entry_for(r, &f, now_ns);
	if (!e)
		return TN_REASM_REFUSED;
	int took = take(r, e, &f, n);
	if (took < 0) {
		if (took == -2 || e->n == 0) /* given up, or made for this fragment alone */
			drop(r, index_of(r, e));
		return TN_REASM_REFUSED;
	}
	if (!complete(e))
		return TN_REASM_HELD;
	bool ok = rebuild(r, e, done);
	if (ok) {
		r->st.reassembled++;
		r->st.overlaps += e->overlap_bytes ? 1 : 0;
	} else {
		r->st.cut++;
	}
	drop(r, index_of(r, e));
	return ok ? TN_REASM_DONE : TN_REASM_REFUSED;
}
