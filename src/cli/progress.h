/*
 * progress.h — the progress line on standard error while a file is read
 * (progress.c). Caller-owned: init, then update for every frame fed, then
 * finish (which erases the line). All of it does nothing when the line is
 * not wanted (live capture, standard input, stderr not a terminal, or
 * stdout a terminal).
 */
#ifndef TN_CLI_PROGRESS_H
#define TN_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct tn_progress {
	bool on;
	bool drawn;
	uint64_t total;        /* the file's size in bytes */
	uint64_t packets;      /* frames fed so far */
	int64_t start_ns, last_ns;
};

void tn_progress_init(struct tn_progress *pg, const char *path, bool live);
/* One frame fed; bytes read of the file so far, connections so far. */
void tn_progress_update(struct tn_progress *pg, uint64_t bytes, uint64_t conns);
void tn_progress_finish(struct tn_progress *pg, uint64_t bytes, uint64_t conns);

#endif
