/*
 * focus.h — what --problems remembers of each connection (private to src/render).
 */
#ifndef TN_RENDER_FOCUS_H
#define TN_RENDER_FOCUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tcpnarrate/render.h>

/* Bytes kept of a context line (the text renderer's quiet line), its newline included. */
#define TN_FOCUS_LINE 1024

/* One connection, as --problems remembers it. */
struct tn_focus_conn {
	uint64_t id;             /* connection number; 0: the entry is free */
	uint64_t prev_n;         /* frame of its last segment; 0 before the first */
	uint64_t used;           /* when it was last looked up, in lookups */
	bool prev_shown;         /* that segment was shown: it needs no context line */
	bool had_problem;        /* one of its segments had a verdict */
	size_t line_len;         /* bytes in line */
	char *line;              /* text: that segment's quiet line; NULL without lines */
};

struct tn_focus_table;

/*
 * A table of TN_FOCUS_CONNS connections; with_lines keeps a context line of
 * up to TN_FOCUS_LINE bytes for each. -1 and errbuf when memory runs out.
 */
int tn_focus_create(struct tn_focus_table **out, bool with_lines, char *errbuf, size_t errlen);
void tn_focus_destroy(struct tn_focus_table *f);

/* Connection id's entry, made when it has none (forgetting the least recently used). */
struct tn_focus_conn *tn_focus_conn(struct tn_focus_table *f, uint64_t id);

/* Takes frame n as fc's last segment: whether it had a verdict, whether it was shown. */
void tn_focus_seen(struct tn_focus_conn *fc, uint64_t n, bool problem, bool shown);

/* Keeps text as fc's context line, cut (and marked …) to what fits. */
void tn_focus_keep_line(struct tn_focus_conn *fc, const char *text, size_t len);

/*
 * At a connection's report: did it have a verdict? Its entry says so; when
 * the entry was forgotten, the analysis' counts in the view answer. The
 * entry is freed: the connection is over.
 */
bool tn_focus_report(struct tn_focus_table *f, const struct tn_conn_view *cv);

/*
 * --shard: another shard's connection had a segment (frame n) or, with n 0,
 * its report: its entry is used or freed as one process would, so that the
 * table forgets this shard's connections when one process would.
 */
void tn_focus_elsewhere(struct tn_focus_table *f, uint64_t id, uint64_t n);

#endif
