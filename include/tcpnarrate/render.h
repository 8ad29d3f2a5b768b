/*
 * render.h — renderers: the last stage before the user.
 *
 * A renderer turns analysed segments, skipped frames, connection reports and
 * the run summary into output on a stream. Renderers are chosen by name from
 * a const table ("text", "json", "ladder",
 * "html"), or supplied by the caller; each
 * keeps its own state behind struct tn_renderer. A renderer owns its private state and
 * nothing else: the views it is given belong to the pipeline and live only
 * for the call.
 */
#ifndef TCPNARRATE_RENDER_H
#define TCPNARRATE_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <tcpnarrate/analysis.h>
#include <tcpnarrate/icmp.h>

enum tn_detail {
	TN_DETAIL_QUIET = -1,   /* one line per segment */
	TN_DETAIL_NORMAL = 0,   /* every field, labelled, with its value */
	TN_DETAIL_VERBOSE = 1,  /* and what every field means */
};

/*
 * What a run shows, whatever the detail: every renderer honours it, so the
 * engine emits the same events in every mode.
 */
enum tn_focus {
	TN_FOCUS_ALL = 0,       /* everything */
	/*
	 * --summary: the connection reports only, one line (one object) each,
	 * and the run's summary; no segment, skipped packet or state change.
	 */
	TN_FOCUS_SUMMARY,
	/*
	 * --problems: the segments with a verdict, each after one line of
	 * context (the segment before it on its connection), packets that could
	 * not be narrated, and the reports of connections that had a verdict.
	 * What this remembers per connection is bounded: TN_FOCUS_CONNS
	 * connections, the least recently active forgotten first.
	 */
	TN_FOCUS_PROBLEMS,
};

/* --problems: connections whose last segment is remembered for context. */
#define TN_FOCUS_CONNS 256

struct tn_render_opts {
	FILE *out;
	enum tn_detail detail;
	bool color;
	/*
	 * Text: ASCII only, for a terminal whose charset is not UTF-8 (or
	 * --ascii): arrows, dots, signs and dashes spelled out ("->", "*",
	 * "x", "--"). JSON ignores it: it is data, and stays UTF-8.
	 */
	bool ascii;
	int ts_digits;          /* 6 or 9 */
	enum tn_focus focus;
	/*
	 * Text, --problems: head every problem with its connection's line, even
	 * right after a problem of the same connection. A shard of --jobs does,
	 * since the last problem shown may be another shard's; the merge drops
	 * the headings one process would not have printed (docs/shards.md).
	 */
	bool every_heading;
	/*
	 * Ladder: the columns it may use (the terminal's, or --width); 0 for
	 * the default, 80. The other renderers ignore it.
	 */
	int width;
};

/* What a run is about, given to a renderer before anything else. */
struct tn_run_info {
	const char *source;            /* file or interface name, as the user gave it */
	uint32_t linktype;
	const char *linktype_name;
	bool reference;                /* the built-in textbook connection */
	const struct tn_idea *intro;   /* reference: step 0's ideas, else NULL */
	size_t n_intro;
};

struct tn_renderer;

/*
 * The renderer contract. The pipeline calls begin once, then segment, skip,
 * state and connection as they happen, then end once. A renderer sees
 * views only (struct tn_segment, tn_conn_view, tn_state_event): roles
 * resolved, endpoints as structures, never the tracker's records. Private
 * state of state_size bytes, zeroed, lives at tn_renderer_state() from
 * create to destroy; init (may be NULL) acquires what it holds beyond those
 * bytes, once the options are set, and finish (may be NULL) releases it.
 */
struct tn_render_ops {
	const char *name;
	size_t state_size;
	/* 0, or -1 with errbuf filled: creating the renderer fails. */
	int (*init)(struct tn_renderer *r, char *errbuf, size_t errlen);
	void (*begin)(struct tn_renderer *r, const struct tn_run_info *run);
	void (*segment)(struct tn_renderer *r, const struct tn_segment *seg);
	void (*skip)(struct tn_renderer *r, const struct tn_skip *skip);
	/* A state change no segment shows (TIME-WAIT running out). */
	void (*state)(struct tn_renderer *r, const struct tn_state_event *ev);
	/* A state shown earlier was wrong, as the segment that follows proves. */
	void (*correction)(struct tn_renderer *r, const struct tn_correction *c);
	/* An ICMP error quoting a segment of a tracked connection (may be NULL). */
	void (*icmp)(struct tn_renderer *r, const struct tn_icmp_event *ev);
	/* A connection's report; with --compare, cmp holds it against the textbook (else NULL). */
	void (*connection)(struct tn_renderer *r, const struct tn_conn_view *cv,
			   const struct tn_comparison *cmp);
	void (*end)(struct tn_renderer *r, const struct tn_summary *sum);
	void (*finish)(struct tn_renderer *r);
	/*
	 * --shard: connection conn, which another shard renders, had a segment
	 * (frame n), or with n 0 its report. Nothing is shown; a renderer that
	 * remembers connections in a bounded table (--problems) keeps it as one
	 * process would, so the connections it does render are remembered and
	 * forgotten alike. May be NULL.
	 */
	void (*elsewhere)(struct tn_renderer *r, uint64_t conn, uint64_t n);
	/*
	 * Whether the segments given to segment() must carry their sentence
	 * (seg->note, written by tn_analysis_segment); NULL means they must.
	 * Writing it is a good part of a segment's cost, so modes that never
	 * show it (one line per segment, --summary) say no.
	 */
	bool (*needs_note)(const struct tn_renderer *r);
	/* After end: why the output is unusable (a page too big), or NULL. May be NULL. */
	const char *(*failure)(struct tn_renderer *r);
};

/* Creates renderer `name` from the built-in table; -1 and errbuf when there is none. */
int tn_renderer_create(struct tn_renderer **out, const char *name,
		       const struct tn_render_opts *opts, char *errbuf, size_t errlen);
/* Creates a renderer from caller-supplied operations (tests, other front ends). */
int tn_renderer_create_ops(struct tn_renderer **out, const struct tn_render_ops *ops,
			   const struct tn_render_opts *opts, char *errbuf, size_t errlen);
/*
 * One renderer that passes every event to `first`, then to `second` (stdout's
 * narration and --html's page). It owns both from the call on, and destroys
 * them even when it fails.
 */
int tn_renderer_create_tee(struct tn_renderer **out, struct tn_renderer *first,
			   struct tn_renderer *second, char *errbuf, size_t errlen);
/* Why the renderer's output is unusable, once the run has ended, or NULL. */
const char *tn_renderer_failure(struct tn_renderer *r);
/*
 * --html: the most segments one page holds; past it the page is refused
 * (tn_renderer_failure says so). The page stays quick up to here because it
 * draws only the rows in view.
 */
#define TN_HTML_MAX_SEGMENTS 50000

/* The built-in renderers' names, NULL-terminated. */
const char *const *tn_renderer_names(void);
void tn_renderer_destroy(struct tn_renderer *r);

const struct tn_render_opts *tn_renderer_opts(const struct tn_renderer *r);
void *tn_renderer_state(struct tn_renderer *r);

/* Whether segments must carry their sentence (seg->note) for this renderer. */
bool tn_render_needs_note(const struct tn_renderer *r);
void tn_render_begin(struct tn_renderer *r, const struct tn_run_info *run);
void tn_render_segment(struct tn_renderer *r, const struct tn_segment *seg);
void tn_render_skip(struct tn_renderer *r, const struct tn_skip *skip);
void tn_render_state(struct tn_renderer *r, const struct tn_state_event *ev);
void tn_render_correction(struct tn_renderer *r, const struct tn_correction *c);
void tn_render_icmp(struct tn_renderer *r, const struct tn_icmp_event *ev);
void tn_render_connection(struct tn_renderer *r, const struct tn_conn_view *cv,
			  const struct tn_comparison *cmp);
void tn_render_end(struct tn_renderer *r, const struct tn_summary *sum);
void tn_render_elsewhere(struct tn_renderer *r, uint64_t conn, uint64_t n);

/*
 * A stream that writes to `under` in ASCII only: each UTF-8 character the
 * narration uses is spelled in ASCII ("→" as "->", "·" as "*", "×" as "x",
 * "…" as "...", "—" as "--", "§" as "section "), any other as "?"; ASCII
 * passes unchanged. Unbuffered: every write reaches `under` at once. Close
 * it with fclose(), which leaves `under` open. NULL when out of memory.
 */
FILE *tn_render_ascii_stream(FILE *under);

/*
 * The same spelling into a buffer: `in` (UTF-8) as ASCII in out, always
 * NUL-terminated, cut at outlen. For a renderer that must know how wide the
 * ASCII text will be before writing it (the ladder wraps its notes).
 */
void tn_render_ascii_spell(const char *in, char *out, size_t outlen);

/* Well-known service name for a TCP port from a built-in table, or NULL. */
const char *tn_service_name(uint16_t port);

/*
 * Escapes wire bytes for display: printable ASCII stays, backslash and the
 * quote become \\ and \", CR LF TAB become \r \n \t, anything else \xHH.
 * Stops after the first line end (kept, escaped) or max_in input bytes.
 * Always NUL-terminates; returns how many input bytes were shown.
 */
size_t tn_escape_preview(const uint8_t *p, size_t n, size_t max_in, char *out, size_t outlen);

/* "+1.000250" or "-0.000003": a signed duration in seconds, with 6 or 9 digits. */
void tn_format_offset(int64_t ns, int digits, char *buf, size_t len);

/* "2026-11-23 21:07:38.123456" (UTC) into buf, with `digits` fractional digits. */
void tn_format_time(int64_t sec, uint32_t nsec, int digits, bool with_date, char *buf,
		    size_t len);

#endif
