/*
 * progress.c — a progress line on standard error while a file is read.
 *
 * A big capture narrated into a file (--summary, --json > out.jsonl) shows
 * nothing for minutes; this line says how far the run is: bytes read of the
 * file's size, packets, connections, the packet rate and the time left at
 * that rate. It is drawn only when standard error is a terminal and standard
 * output is not (the narration itself would be scrolling past it), redrawn
 * at most five times a second in place (carriage return, erase to the end
 * of the line), and erased when the run ends. The clock is read once every
 * 4096 packets, so the run pays nothing measurable for it.
 */
#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CHECK_EVERY 4096u        /* packets between two looks at the clock */
#define REDRAW_NS 200000000      /* at most five lines a second */
#define BAR_W 20

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void tn_progress_init(struct tn_progress *pg, const char *path, bool live)
{
	struct stat st;
	memset(pg, 0, sizeof *pg);
	if (live || !path || strcmp(path, "-") == 0)
		return;
	if (!isatty(STDERR_FILENO) || isatty(STDOUT_FILENO))
		return;
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	pg->on = true;
	pg->total = (uint64_t)st.st_size;
	pg->start_ns = now_ns();
	pg->last_ns = pg->start_ns;
}

/* "1:05" or "2:03:04". */
static void clock_text(uint64_t secs, char *buf, size_t len)
{
	if (secs >= 3600)
		snprintf(buf, len, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, secs / 3600,
			 secs / 60 % 60, secs % 60);
	else
		snprintf(buf, len, "%" PRIu64 ":%02" PRIu64, secs / 60, secs % 60);
}

static void draw(struct tn_progress *pg, uint64_t bytes, uint64_t packets, uint64_t conns,
		 int64_t t)
{
	double secs = (double)(t - pg->start_ns) / 1e9;
	double frac = pg->total ? (double)bytes / (double)pg->total : 0;
	char bar[BAR_W + 1], left[32] = "";
	if (frac > 1)
		frac = 1;
	for (int i = 0; i < BAR_W; i++)
		bar[i] = i < (int)(frac * BAR_W) ? '#' : '.';
	bar[BAR_W] = '\0';
	double rate = secs > 0 ? (double)packets / secs : 0;
	if (bytes > 0 && secs > 0 && frac < 1) {
		char c[24];
		clock_text((uint64_t)(secs * (1 - frac) / frac + 0.5), c, sizeof c);
		snprintf(left, sizeof left, ", %s left", c);
	}
	fprintf(stderr, "\r\033[K[%s] %3.0f%%  %.1f of %.1f MiB, %" PRIu64 " packets, %" PRIu64
		" connections, %.0f packets/s%s", bar, frac * 100, (double)bytes / 1048576.0,
		(double)pg->total / 1048576.0, packets, conns, rate, left);
	fflush(stderr);
	pg->drawn = true;
	pg->last_ns = t;
}

void tn_progress_update(struct tn_progress *pg, uint64_t bytes, uint64_t conns)
{
	if (!pg->on || ++pg->packets % CHECK_EVERY != 0)
		return;
	int64_t t = now_ns();
	if (t - pg->last_ns >= REDRAW_NS)
		draw(pg, bytes, pg->packets, conns, t);
}

void tn_progress_finish(struct tn_progress *pg, uint64_t bytes, uint64_t conns)
{
	if (!pg->on)
		return;
	draw(pg, bytes, pg->packets, conns, now_ns());
	fputs("\r\033[K", stderr); /* the terminal is left as it was */
	fflush(stderr);
	pg->on = false;
}
