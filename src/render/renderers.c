/*
 * renderers.c — the table of renderers and the calls that dispatch to them.
 */
#include "renderer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct tn_render_ops *const renderer_table[] = {
	&tn_render_text_ops,
	&tn_render_json_ops,
	&tn_render_ladder_ops,
	&tn_render_html_ops,
	NULL,
};

int tn_renderer_create_ops(struct tn_renderer **out, const struct tn_render_ops *ops,
			   const struct tn_render_opts *opts, char *errbuf, size_t errlen)
{
	struct tn_renderer *r = calloc(1, sizeof *r);
	if (!r)
		goto err_oom;
	if (ops->state_size) {
		r->state = calloc(1, ops->state_size);
		if (!r->state)
			goto err_renderer;
	}
	r->ops = ops;
	r->opts = *opts;
	if (ops->init && ops->init(r, errbuf, errlen) < 0)
		goto err_init;
	*out = r;
	return 0;

err_init:
	if (ops->finish)
		ops->finish(r); /* releases whatever init took before it failed */
	free(r->state);
	free(r);
	return -1;
err_renderer:
	free(r);
err_oom:
	snprintf(errbuf, errlen, "out of memory");
	return -1;
}

int tn_renderer_create(struct tn_renderer **out, const char *name,
		       const struct tn_render_opts *opts, char *errbuf, size_t errlen)
{
	for (const struct tn_render_ops *const *o = renderer_table; *o; o++)
		if (strcmp((*o)->name, name) == 0)
			return tn_renderer_create_ops(out, *o, opts, errbuf, errlen);
	snprintf(errbuf, errlen, "no renderer called '%s'", name);
	return -1;
}

const char *const *tn_renderer_names(void)
{
	static const char *names[sizeof renderer_table / sizeof renderer_table[0]];
	for (size_t i = 0; renderer_table[i]; i++)
		names[i] = renderer_table[i]->name;
	return names;
}

int tn_render_ascii_out(struct tn_renderer *r, FILE **kept, char *errbuf, size_t errlen)
{
	*kept = NULL;
	if (!r->opts.ascii)
		return 0;
	*kept = tn_render_ascii_stream(r->opts.out);
	if (!*kept) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	r->opts.out = *kept;
	return 0;
}

const struct tn_render_opts *tn_renderer_opts(const struct tn_renderer *r)
{
	return &r->opts;
}

void *tn_renderer_state(struct tn_renderer *r)
{
	return r->state;
}

/* Each call is optional for a renderer: one without it shows nothing for that event. */
void tn_render_begin(struct tn_renderer *r, const struct tn_run_info *run)
{
	if (r->ops->begin)
		r->ops->begin(r, run);
}

bool tn_render_needs_note(const struct tn_renderer *r)
{
	return !r->ops->needs_note || r->ops->needs_note(r);
}

void tn_render_segment(struct tn_renderer *r, const struct tn_segment *seg)
{
	if (r->ops->segment)
		r->ops->segment(r, seg);
}

void tn_render_skip(struct tn_renderer *r, const struct tn_skip *skip)
{
	if (r->ops->skip)
		r->ops->skip(r, skip);
}

void tn_render_state(struct tn_renderer *r, const struct tn_state_event *ev)
{
	if (r->ops->state)
		r->ops->state(r, ev);
}

void tn_render_elsewhere(struct tn_renderer *r, uint64_t conn, uint64_t n)
{
	if (r->ops->elsewhere)
		r->ops->elsewhere(r, conn, n);
}

void tn_render_correction(struct tn_renderer *r, const struct tn_correction *c)
{
	if (r->ops->correction)
		r->ops->correction(r, c);
}

void tn_render_icmp(struct tn_renderer *r, const struct tn_icmp_event *ev)
{
	if (r->ops->icmp)
		r->ops->icmp(r, ev);
}

void tn_render_connection(struct tn_renderer *r, const struct tn_conn_view *cv,
			  const struct tn_comparison *cmp)
{
	if (r->ops->connection)
		r->ops->connection(r, cv, cmp);
}

void tn_render_end(struct tn_renderer *r, const struct tn_summary *sum)
{
	if (r->ops->end)
		r->ops->end(r, sum);
}

const char *tn_renderer_failure(struct tn_renderer *r)
{
	return r->ops->failure ? r->ops->failure(r) : NULL;
}

void tn_renderer_destroy(struct tn_renderer *r)
{
	if (!r)
		return;
	if (r->ops->finish)
		r->ops->finish(r);
	free(r->state);
	free(r);
}
