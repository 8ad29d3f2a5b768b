/*
 * render.h — renderers: the last stage before the user.
 *
 * A renderer turns analysed segments, skipped frames and the run summary into
 * output on a stream. Renderers are chosen by name from a const table
 * ("text", "json"); each keeps its own state behind struct tn_renderer.
 */
#ifndef TCPNARRATE_RENDER_H
#define TCPNARRATE_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <tcpnarrate/analysis.h>

enum tn_detail {
	TN_DETAIL_QUIET = -1,   /* one line per segment */
	TN_DETAIL_NORMAL = 0,   /* every field, labelled, with its value */
	TN_DETAIL_VERBOSE = 1,  /* and what every field means */
};

struct tn_render_opts {
	FILE *out;
	enum tn_detail detail;
	bool color;
	int ts_digits;          /* 6 or 9 */
};

struct tn_renderer;

/* Creates renderer `name`; -1 and errbuf when there is no such renderer. */
int tn_renderer_create(struct tn_renderer **out, const char *name,
		       const struct tn_render_opts *opts, char *errbuf, size_t errlen);
void tn_render_segment(struct tn_renderer *r, const struct tn_segment *seg);
void tn_render_skip(struct tn_renderer *r, const struct tn_skip *skip);
void tn_render_summary(struct tn_renderer *r, const struct tn_summary *sum);
/* A connection's report, when it ends or when tracking of it stops. */
void tn_render_conn(struct tn_renderer *r, const struct tn_conn_summary *cs);
/* --compare: a connection held against the textbook one. */
void tn_render_comparison(struct tn_renderer *r, const struct tn_comparison *cmp);
/* Step 0 of the reference connection: the states and numbers before any packet. */
void tn_render_intro(struct tn_renderer *r, const struct tn_idea *ideas, size_t n);
/* A state change no segment shows (TIME-WAIT running out). */
void tn_render_event(struct tn_renderer *r, const struct tn_state_event *ev);
void tn_renderer_destroy(struct tn_renderer *r);

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
