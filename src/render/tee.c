/*
 * tee.c — one renderer that hands every event to two others.
 *
 * --html FILE writes the page while standard output keeps the narration the
 * other options ask for: the engine takes one renderer, so the CLI gives it
 * a tee of both. The tee owns the two renderers and destroys them with it.
 */
#include "renderer.h"

#include <stdio.h>

struct tee_state {
	struct tn_renderer *to[2];
};

static void tee_finish(struct tn_renderer *r)
{
	struct tee_state *st = r->state;
	tn_renderer_destroy(st->to[0]);
	tn_renderer_destroy(st->to[1]);
}

static void tee_begin(struct tn_renderer *r, const struct tn_run_info *run)
{
	struct tee_state *st = r->state;
	for (int i = 0; i < 2; i++)
		tn_render_begin(st->to[i], run);
}

static void tee_segment(struct tn_renderer *r, const struct tn_segment *seg)
{
	struct tee_state *st = r->state;
	for (int i = 0; i < 2; i++)
		tn_render_segment(st->to[i], seg);
}

static void tee_skip(struct tn_renderer *r, const struct tn_skip *skip)
{
	struct tee_state *st = r->state;
	for (int i = 0; i < 2; i++)
		tn_render_skip(st->to[i], skip);
}

static void tee_state_event(struct tn_renderer *r, const struct tn_state_event *ev)
{
	struct tee_state *st = r->state;
	for (int i = 0; i < 2; i++)
		tn_render_state(st->to[i], ev);
}

static void tee_correction(struct tn_renderer *r, const struct tn_correction *c)
{
	struct tee_state *st = r->state;
	for (int i = 0; i < 2; i++)
		tn_render_correction(st->to[i], c);
}

static void tee_connection(struct tn_renderer *r, const struct tn_conn_view *cv,
			   const struct tn_comparison *cmp)
{
	struct tee_state *st = r->state;
	for (int i = 0; i < 2; i++)
		tn_render_connection(st->to[i], cv, cmp);
}

static void tee_end(struct tn_renderer *r, const struct tn_summary *sum)
{
	struct tee_state *st = r->state;
	for (int i = 0; i < 2; i++)
		tn_render_end(st->to[i], sum);
}

static const char *tee_failure(struct tn_renderer *r)
{
	struct tee_state *st = r->state;
	const char *f = tn_renderer_failure(st->to[0]);
	return f ? f : tn_renderer_failure(st->to[1]);
}

/* The segment's sentence is written when either renderer shows it. */
static bool tee_needs_note(const struct tn_renderer *r)
{
	const struct tee_state *st = r->state;
	return tn_render_needs_note(st->to[0]) || tn_render_needs_note(st->to[1]);
}

static const struct tn_render_ops tee_ops = {
	.name = "tee",
	.state_size = sizeof(struct tee_state),
	.finish = tee_finish,
	.begin = tee_begin,
	.segment = tee_segment,
	.skip = tee_skip,
	.state = tee_state_event,
	.correction = tee_correction,
	.connection = tee_connection,
	.end = tee_end,
	.failure = tee_failure,
	.needs_note = tee_needs_note,
};

int tn_renderer_create_tee(struct tn_renderer **out, struct tn_renderer *first,
			   struct tn_renderer *second, char *errbuf, size_t errlen)
{
	struct tn_render_opts opts = first->opts;
	if (tn_renderer_create_ops(out, &tee_ops, &opts, errbuf, errlen) < 0) {
		tn_renderer_destroy(first);
		tn_renderer_destroy(second);
		return -1;
	}
	struct tee_state *st = (*out)->state;
	st->to[0] = first;
	st->to[1] = second;
	return 0;
}
