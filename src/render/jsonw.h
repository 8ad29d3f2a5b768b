/*
 * jsonw.h — a small streaming JSON writer (private to src/render).
 *
 * The JSON renderer writes its most frequent object, the segment, through
 * this instead of building a cJSON tree: members are written in the order
 * they are given, straight into a buffer that goes to the stream once per
 * object. The output is byte for byte what cJSON_PrintUnformatted prints for
 * the same members in the same order (numbers, string escapes, empty
 * containers), so both can write lines of the same file.
 *
 * Each call with a key writes a member of the open object; with key NULL, an
 * element of the open array (or the top-level value). The buffer has a fixed
 * size; a longer object is written in several pieces, never cut.
 */
#ifndef TN_RENDER_JSONW_H
#define TN_RENDER_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TN_JW_BUF 8192

struct tn_jw {
	FILE *out;
	bool comma;              /* a value was written at this level: the next needs a comma */
	size_t len;
	char buf[TN_JW_BUF];
};

void tn_jw_init(struct tn_jw *w, FILE *out);
/* Writes what is buffered to the stream. */
void tn_jw_flush(struct tn_jw *w);

void tn_jw_object(struct tn_jw *w, const char *key);
void tn_jw_object_end(struct tn_jw *w);
void tn_jw_array(struct tn_jw *w, const char *key);
void tn_jw_array_end(struct tn_jw *w);

/* Ends the line of a top-level value and writes it to the stream. */
void tn_jw_line_end(struct tn_jw *w);

void tn_jw_uint(struct tn_jw *w, const char *key, uint64_t v);
void tn_jw_int(struct tn_jw *w, const char *key, int64_t v);
/* A number as cJSON prints a double: an integer, or the shortest of 15 or 17 digits. */
void tn_jw_double(struct tn_jw *w, const char *key, double v);
void tn_jw_bool(struct tn_jw *w, const char *key, bool v);
void tn_jw_null(struct tn_jw *w, const char *key);
/* A string, escaped as cJSON escapes it; NULL writes nothing (cJSON adds no member for it). */
void tn_jw_string(struct tn_jw *w, const char *key, const char *s);
/* Text written as it is: a number already formatted. */
void tn_jw_raw(struct tn_jw *w, const char *key, const char *s);

#endif
