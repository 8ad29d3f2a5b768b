/*
 * records.h — a shard's output as merge records, and the merge (records.c).
 */
#ifndef TN_CLI_RECORDS_H
#define TN_CLI_RECORDS_H

#include <stddef.h>
#include <stdio.h>

#include <tcpnarrate/pipeline.h>
#include <tcpnarrate/render.h>

#include "cli.h"

struct tn_records;

/*
 * --records: *rend is a renderer that has o->renderer draw each event into
 * memory and writes it to ro->out as one record, tagged with the event's
 * number. The caller destroys *rend (tn_renderer_destroy) and rec.
 */
int tn_records_create(struct tn_records **rec, const struct tn_cli_opts *o,
		      const struct tn_render_opts *ro, struct tn_renderer **rend, char *err,
		      size_t errlen);
/* The engine whose event numbers tag the records. rec NULL: nothing. */
void tn_records_set_pipeline(struct tn_records *rec, const struct tn_pipeline *p);
/* The last record, which says the shard ran to its end. rec NULL: nothing. */
void tn_records_finish(struct tn_records *rec);
void tn_records_destroy(struct tn_records *rec);

/*
 * Merges the record streams of every shard of one run into out, in event
 * order. Returns 0; -1 with err (naming the stream) when a stream is not a
 * complete shard of the same run; -2 when out was closed (EPIPE).
 */
int tn_records_merge(FILE **in, const char *const *names, size_t n, FILE *out, char *err,
		     size_t errlen);

#endif
