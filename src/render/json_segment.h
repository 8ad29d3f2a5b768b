/*
 * json_segment.h — the segment object of the JSON renderer, written with the
 * streaming writer (private to src/render; json_segment.c).
 */
#ifndef TN_RENDER_JSON_SEGMENT_H
#define TN_RENDER_JSON_SEGMENT_H

#include "jsonw.h"
#include "renderer.h"

/* "1700000000.123456": a frame's time with the file's digits (6 or 9). */
void tn_json_format_ts(int digits, const struct tn_frame *f, char *buf, size_t len);
/* "0.000250": seconds with the file's digits, without binary floating-point noise. */
void tn_json_format_seconds(int digits, double secs, char *buf, size_t len);

/* Every member of a segment's object, in docs/json.md's order, into the open object. */
void tn_json_segment_members(const struct tn_render_opts *o, struct tn_jw *w,
			     const struct tn_segment *seg, const char *community_id);
/* "ideas": [{"title", "text"}, ...] (the reference connection's). */
void tn_json_ideas(struct tn_jw *w, const struct tn_idea *list, size_t n);

#endif
