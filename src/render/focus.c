/*
 * focus.c — what --problems remembers of each connection, within a fixed cap.
 *
 * --problems shows a segment with a verdict after the segment before it on
 * its connection (its context), and reports only the connections that had a
 * verdict. Both take a little memory per connection: the frame number of its
 * last segment, whether that segment was shown, whether any segment had a
 * verdict and, for text, the quiet line of its last segment, since the packet
 * itself is gone when the next one arrives. A capture holds any number of
 * connections, so this table holds TN_FOCUS_CONNS of them (as Suricata caps
 * its flows) and forgets the least recently used when a new one needs its
 * place: that connection's next problem then comes without a context line,
 * and whether it is reported is read from the analysis' counts in its view.
 * With lines, the table takes TN_FOCUS_CONNS × (TN_FOCUS_LINE + 48) bytes,
 * about 268 KiB; without (JSON), 12 KiB. Nothing is allocated after create.
 */
#include "focus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tn_focus_table {
	uint64_t clock;                        /* lookups so far */
	struct tn_focus_conn conn[TN_FOCUS_CONNS];
	char lines[];                          /* TN_FOCUS_CONNS × TN_FOCUS_LINE, with lines */
};

int tn_focus_create(struct tn_focus_table **out, bool with_lines, char *errbuf, size_t errlen)
{
	size_t lines = with_lines ? (size_t)TN_FOCUS_CONNS * TN_FOCUS_LINE : 0;
	struct tn_focus_table *f = calloc(1, sizeof *f + lines);
	if (!f) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; with_lines && i < TN_FOCUS_CONNS; i++)
		f->conn[i].line = f->lines + i * TN_FOCUS_LINE;
	*out = f;
	return 0;
}

void tn_focus_destroy(struct tn_focus_table *f)
{
	free(f);
}

static void clear(struct tn_focus_conn *fc, uint64_t id)
{
	char *line = fc->line;
	*fc = (struct tn_focus_conn){ .id = id, .line = line };
}

static struct tn_focus_conn *find(struct tn_focus_table *f, uint64_t id)
{
	for (size_t i = 0; i < TN_FOCUS_CONNS; i++)
		if (f->conn[i].id == id)
			return &f->conn[i];
	return NULL;
}

struct tn_focus_conn *tn_focus_conn(struct tn_focus_table *f, uint64_t id)
{
	struct tn_focus_conn *fc = find(f, id);
	if (!fc) {
		/* A free entry has used 0, so it goes before any connection is forgotten. */
		fc = &f->conn[0];
		for (size_t i = 1; i < TN_FOCUS_CONNS; i++)
			if (f->conn[i].used < fc->used)
				fc = &f->conn[i];
		clear(fc, id);
	}
	fc->used = ++f->clock;
	return fc;
}

void tn_focus_seen(struct tn_focus_conn *fc, uint64_t n, bool problem, bool shown)
{
	fc->prev_n = n;
	fc->prev_shown = shown;
	fc->had_problem |= problem;
	fc->line_len = 0;
}

void tn_focus_keep_line(struct tn_focus_conn *fc, const char *text, size_t len)
{
	static const char more[] = "…\n";
	if (!fc->line)
		return;
	if (len > TN_FOCUS_LINE) {
		len = TN_FOCUS_LINE - (sizeof more - 1);
		while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--; /* not inside a UTF-8 sequence */
		memcpy(fc->line, text, len);
		memcpy(fc->line + len, more, sizeof more - 1);
		fc->line_len = len + sizeof more - 1;
		return;
	}
	memcpy(fc->line, text, len);
	fc->line_len = len;
}

/* What the analysis counted: any of it is a verdict the connection had. */
static bool counted_problem(const struct tn_conn_view *cv)
{
	for (int role = 0; role < 2; role++) {
		const struct tn_analysis_counts *n = &cv->count[role];
		if (n->retransmissions || n->out_of_order || n->lost || n->dup_acks ||
		    n->zw_probes || n->keep_alives || n->zero_window_ns)
			return true;
	}
	return false;
}

void tn_focus_elsewhere(struct tn_focus_table *f, uint64_t id, uint64_t n)
{
	struct tn_focus_conn *fc = n ? tn_focus_conn(f, id) : find(f, id);
	if (n)
		tn_focus_seen(fc, n, false, false);
	else if (fc)
		clear(fc, 0);
}

bool tn_focus_report(struct tn_focus_table *f, const struct tn_conn_view *cv)
{
	struct tn_focus_conn *fc = find(f, cv->id);
	bool had = counted_problem(cv);
	if (fc) {
		had |= fc->had_problem;
		clear(fc, 0);
	}
	return had;
}
