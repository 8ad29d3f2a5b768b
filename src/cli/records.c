/*
 * records.c — a shard's output as merge records, and the merge that turns
 * the records of every shard back into one process's output, byte for byte.
 *
 * Every shard runs the whole engine on the whole capture (--shard in
 * pipeline.h): it tracks every connection, so it numbers them, evicts them
 * and lets them expire exactly as one process would, but renders only its
 * own. Each rendered event becomes one record tagged with the engine's event
 * number, which is the same in every shard; the merge writes the records of
 * all shards in that order. The format is in docs/shards.md:
 *
 *   header   "tnrec01\n", shard (u32), shards (u32)
 *   record   seq (u64), conn (u64), len (u32), kind (u8), flags (u8), 0 (u16),
 *            then len bytes of output
 *   trailer  a record of kind TRAILER: the shard ran to its end
 *
 * all integers little-endian. Two things the text renderer carries from one
 * event to the next depend on what other shards printed, and the flags let
 * the merge put them right: the blank line that separates blocks once
 * anything was printed (F_SEP, F_SETS), and --problems' connection heading,
 * printed only when the last problem shown was another connection's (every
 * shard heads every problem, and the merge drops the repeats: F_HEAD).
 */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "records.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char magic[8] = { 't', 'n', 'r', 'e', 'c', '0', '1', '\n' };

enum rec_kind {
	K_BEGIN = 1, K_SEGMENT, K_SKIP, K_STATE, K_CORRECTION, K_CONNECTION, K_END, K_ICMP,
	K_TRAILER = 0xFF,
};

enum rec_flag {
	F_SETS = 1,  /* text: after this record, something was printed */
	F_SEP = 2,   /* text: starts with a blank line exactly when something was printed */
	F_HEAD = 4,  /* text --problems: after F_SEP's line, a heading the merge may drop */
};

#define HDR_LEN 24

/* No event's output comes near this; a longer record is a damaged file, not a reason to allocate. */
#define RECORD_MAX (16u << 20)

struct rec_hdr {
	uint64_t seq, conn;
	uint32_t len;
	uint8_t kind, flags;
};

struct tn_records {
	struct tn_renderer *inner;   /* draws each event into mem */
	FILE *mem;
	char *mem_buf;
	size_t mem_len;
	FILE *dest;
	const struct tn_pipeline *pipe;
	bool text;
	enum tn_detail detail;
	enum tn_focus focus;
};

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void write_record(FILE *dest, const struct rec_hdr *h, const char *data)
{
	unsigned char b[HDR_LEN] = { 0 };
	put_le(b, h->seq, 8);
	put_le(b + 8, h->conn, 8);
	put_le(b + 16, h->len, 4);
	b[20] = h->kind;
	b[21] = h->flags;
	fwrite(b, 1, sizeof b, dest);
	if (h->len)
		fwrite(data, 1, h->len, dest);
}

/* What the inner renderer drew for the event just passed to it, as one record. */
static void emit(struct tn_records *rec, enum rec_kind kind, uint64_t conn, uint8_t flags)
{
	if (fflush(rec->mem) != 0 || rec->mem_len == 0)
		return;
	struct rec_hdr h = { .seq = tn_pipeline_event_seq(rec->pipe), .conn = conn,
			     .len = (uint32_t)rec->mem_len, .kind = (uint8_t)kind, .flags = flags };
	write_record(rec->dest, &h, rec->mem_buf);
	rewind(rec->mem);
}

static struct tn_records *rec_of(struct tn_renderer *r)
{
	return *(struct tn_records **)tn_renderer_state(r);
}

static void rec_begin(struct tn_renderer *r, const struct tn_run_info *run)
{
	struct tn_records *rec = rec_of(r);
	tn_render_begin(rec->inner, run);
	emit(rec, K_BEGIN, 0, 0);
}

/* The text renderer's rules for the blank line and the heading (text.c), as flags. */
static uint8_t segment_flags(const struct tn_records *rec, const struct tn_segment *seg)
{
	if (!rec->text || rec->focus == TN_FOCUS_SUMMARY)
		return 0;
	uint8_t sep = rec->detail > TN_DETAIL_QUIET ? F_SETS | F_SEP : 0;
	if (rec->focus == TN_FOCUS_PROBLEMS)
		return seg->n_verdicts > 0 ? sep | F_HEAD : 0;
	return sep;
}

static void rec_segment(struct tn_renderer *r, const struct tn_segment *seg)
{
	struct tn_records *rec = rec_of(r);
	tn_render_segment(rec->inner, seg);
	emit(rec, K_SEGMENT, seg->track.conn, segment_flags(rec, seg));
}

static void rec_skip(struct tn_renderer *r, const struct tn_skip *s)
{
	struct tn_records *rec = rec_of(r);
	bool shown = s->why == TN_DEC_MALFORMED || s->why == TN_DEC_TRUNCATED;
	uint8_t flags = rec->text && shown && rec->detail > TN_DETAIL_QUIET &&
			rec->focus != TN_FOCUS_SUMMARY ? F_SETS | F_SEP : 0;
	tn_render_skip(rec->inner, s);
	emit(rec, K_SKIP, 0, flags);
}

static void rec_state(struct tn_renderer *r, const struct tn_state_event *ev)
{
	struct tn_records *rec = rec_of(r);
	tn_render_state(rec->inner, ev);
	emit(rec, K_STATE, ev->conn, 0);
}

static void rec_correction(struct tn_renderer *r, const struct tn_correction *c)
{
	struct tn_records *rec = rec_of(r);
	tn_render_correction(rec->inner, c);
	emit(rec, K_CORRECTION, c->conn, 0);
}

static void rec_connection(struct tn_renderer *r, const struct tn_conn_view *cv,
			   const struct tn_comparison *cmp)
{
	struct tn_records *rec = rec_of(r);
	tn_render_connection(rec->inner, cv, cmp);
	emit(rec, K_CONNECTION, cv->id, 0);
}

static void rec_end(struct tn_renderer *r, const struct tn_summary *sum)
{
	struct tn_records *rec = rec_of(r);
	tn_render_end(rec->inner, sum);
	emit(rec, K_END, 0, 0);
}

/* An ICMP error about a connection: in text, a block of its own like a segment's. */
static void rec_icmp(struct tn_renderer *r, const struct tn_icmp_event *ev)
{
	struct tn_records *rec = rec_of(r);
	bool block = rec->text && rec->focus != TN_FOCUS_SUMMARY && rec->detail > TN_DETAIL_QUIET;
	tn_render_icmp(rec->inner, ev);
	emit(rec, K_ICMP, ev->conn, block ? F_SETS | F_SEP : 0);
}

static void rec_elsewhere(struct tn_renderer *r, uint64_t conn, uint64_t n)
{
	tn_render_elsewhere(rec_of(r)->inner, conn, n);
}

/* The segment's sentence is written only when the renderer inside shows it. */
static bool rec_needs_note(const struct tn_renderer *r)
{
	/* the state is only read: the accessor has no const form */
	return tn_render_needs_note(rec_of((struct tn_renderer *)r)->inner);
}

static const struct tn_render_ops records_ops = {
	.name = "records",
	.state_size = sizeof(struct tn_records *),
	.begin = rec_begin,
	.segment = rec_segment,
	.skip = rec_skip,
	.state = rec_state,
	.correction = rec_correction,
	.connection = rec_connection,
	.end = rec_end,
	.icmp = rec_icmp,
	.elsewhere = rec_elsewhere,
	.needs_note = rec_needs_note,
};

int tn_records_create(struct tn_records **out, const struct tn_cli_opts *o,
		      const struct tn_render_opts *ro, struct tn_renderer **rend, char *err,
		      size_t errlen)
{
	struct tn_records *rec = calloc(1, sizeof *rec);
	if (!rec || !(rec->mem = open_memstream(&rec->mem_buf, &rec->mem_len)))
		goto err_oom;
	struct tn_render_opts inner = *ro;
	inner.out = rec->mem;
	inner.every_heading = true;
	if (tn_renderer_create(&rec->inner, o->renderer, &inner, err, errlen) < 0)
		goto err_rec;
	if (tn_renderer_create_ops(rend, &records_ops, ro, err, errlen) < 0)
		goto err_rec;
	*(struct tn_records **)tn_renderer_state(*rend) = rec;
	rec->dest = ro->out;
	rec->text = strcmp(o->renderer, "text") == 0;
	rec->detail = ro->detail;
	rec->focus = ro->focus;
	unsigned char h[16];
	memcpy(h, magic, sizeof magic);
	put_le(h + 8, o->shard, 4);
	put_le(h + 12, o->shards, 4);
	fwrite(h, 1, sizeof h, rec->dest);
	*out = rec;
	return 0;

err_rec:
	tn_records_destroy(rec);
	return -1;
err_oom:
	free(rec);
	snprintf(err, errlen, "out of memory");
	return -1;
}

void tn_records_set_pipeline(struct tn_records *rec, const struct tn_pipeline *p)
{
	if (rec)
		rec->pipe = p;
}

void tn_records_finish(struct tn_records *rec)
{
	if (!rec)
		return;
	struct rec_hdr h = { .seq = UINT64_MAX, .kind = K_TRAILER };
	write_record(rec->dest, &h, NULL);
}

void tn_records_destroy(struct tn_records *rec)
{
	if (!rec)
		return;
	tn_renderer_destroy(rec->inner);
	if (rec->mem)
		fclose(rec->mem);
	free(rec->mem_buf);
	free(rec);
}

/* One shard's stream during the merge: its next record, and what it printed so far. */
struct part {
	FILE *in;
	const char *name;
	struct rec_hdr h;
	char *buf;
	size_t cap;
	bool printed;        /* this shard's renderer has printed a block (F_SETS) */
	bool done;           /* its trailer was read */
};

struct merge {
	FILE *out;
	bool printed;        /* one process's renderer would have printed a block */
	uint64_t last_head;  /* the connection of the last problem shown */
};

static int read_record(struct part *pt, char *err, size_t errlen)
{
	unsigned char b[HDR_LEN];
	if (fread(b, 1, sizeof b, pt->in) != sizeof b)
		goto err_short;
	pt->h = (struct rec_hdr){ .seq = get_le(b, 8), .conn = get_le(b + 8, 8),
				  .len = (uint32_t)get_le(b + 16, 4), .kind = b[20],
				  .flags = b[21] };
	if (pt->h.kind == K_TRAILER) {
		pt->done = true;
		return 0;
	}
	if (pt->h.len > RECORD_MAX) {
		snprintf(err, errlen, "%s: a record of %u bytes: not records tcpnarrate wrote",
			 pt->name, pt->h.len);
		return -1;
	}
	if (pt->h.len > pt->cap) {
		char *nb = realloc(pt->buf, pt->h.len);
		if (!nb) {
			snprintf(err, errlen, "%s: out of memory for a record of %u bytes", pt->name,
				 pt->h.len);
			return -1;
		}
		pt->buf = nb;
		pt->cap = pt->h.len;
	}
	if (fread(pt->buf, 1, pt->h.len, pt->in) != pt->h.len)
		goto err_short;
	return 0;

err_short:
	snprintf(err, errlen, "%s: the records end early (the shard did not finish)", pt->name);
	return -1;
}

/* Each stream's header: every shard of one run, each once. */
static int read_headers(struct part *parts, size_t n, char *err, size_t errlen)
{
	uint32_t shards = 0;
	unsigned char seen[TN_MAX_SHARDS] = { 0 };
	for (size_t i = 0; i < n; i++) {
		unsigned char h[16];
		if (fread(h, 1, sizeof h, parts[i].in) != sizeof h ||
		    memcmp(h, magic, sizeof magic) != 0) {
			snprintf(err, errlen, "%s: not tcpnarrate merge records (--shard I/N "
				 "--records writes them)", parts[i].name);
			return -1;
		}
		uint32_t k = (uint32_t)get_le(h + 8, 4), of = (uint32_t)get_le(h + 12, 4);
		if (i == 0)
			shards = of;
		if (of != shards || of > TN_MAX_SHARDS || k >= of || seen[k]++) {
			snprintf(err, errlen, "%s: shard %u of %u does not fit the others (%u shards, "
				 "each once)", parts[i].name, k, of, shards);
			return -1;
		}
	}
	if (n != shards) {
		snprintf(err, errlen, "%zu record files for %u shards: give every shard's", n,
			 shards);
		return -1;
	}
	return 0;
}

/* One record to the output, its blank line and heading as one process would have had them. */
static void put_record(struct merge *m, struct part *pt)
{
	const char *b = pt->buf;
	size_t n = pt->h.len, at = 0;
	if ((pt->h.flags & F_SEP) && m->printed && !pt->printed)
		fputc('\n', m->out); /* the shard had printed nothing yet, one process had */
	if ((pt->h.flags & F_SEP) && pt->printed && n && b[0] == '\n')
		at = 1;
	fwrite(b, 1, at, m->out);
	if ((pt->h.flags & F_HEAD) && m->last_head == pt->h.conn) {
		const char *nl = memchr(b + at, '\n', n - at);
		if (nl)
			at = (size_t)(nl + 1 - b);
	}
	fwrite(b + at, 1, n - at, m->out);
	if (pt->h.flags & F_HEAD)
		m->last_head = pt->h.conn;
	if (pt->h.flags & F_SETS)
		m->printed = pt->printed = true;
}

static int merge_parts(struct part *parts, size_t n, FILE *out, char *err, size_t errlen)
{
	struct merge m = { .out = out };
	for (size_t i = 0; i < n; i++)
		if (read_record(&parts[i], err, errlen) < 0)
			return -1;
	for (;;) {
		struct part *next = NULL;
		for (size_t i = 0; i < n; i++)
			if (!parts[i].done && (!next || parts[i].h.seq < next->h.seq))
				next = &parts[i];
		if (!next)
			return 0;
		put_record(&m, next);
		if (ferror(out))
			return -2;
		if (read_record(next, err, errlen) < 0)
			return -1;
	}
}

int tn_records_merge(FILE **in, const char *const *names, size_t n, FILE *out, char *err,
		     size_t errlen)
{
	struct part *parts = calloc(n ? n : 1, sizeof *parts);
	if (!parts) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		parts[i] = (struct part){ .in = in[i], .name = names[i] };
	int rc = read_headers(parts, n, err, errlen);
	if (rc == 0)
		rc = merge_parts(parts, n, out, err, errlen);
	for (size_t i = 0; i < n; i++)
		free(parts[i].buf);
	free(parts);
	return rc;
}
