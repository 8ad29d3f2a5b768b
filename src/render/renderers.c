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
	NULL,
};

int tn_renderer_create(struct tn_renderer **out, const char *name,
		       const struct tn_render_opts *opts, char *errbuf, size_t errlen)
{
	for (const struct tn_render_ops *const *o = renderer_table; *o; o++) {
		if (strcmp((*o)->name, name) != 0)
			continue;
		struct tn_renderer *r = calloc(1, sizeof *r);
		if (!r) {
			snprintf(errbuf, errlen, "out of memory");
			return -1;
		}
		r->ops = *o;
		r->opts = *opts;
		*out = r;
		return 0;
	}
	snprintf(errbuf, errlen, "no renderer called '%s'", name);
	return -1;
}

void tn_render_segment(struct tn_renderer *r, const struct tn_segment *seg)
{
	r->ops->segment(r, seg);
}

void tn_render_skip(struct tn_renderer *r, const struct tn_skip *skip)
{
	r->ops->skip(r, skip);
}

void tn_render_summary(struct tn_renderer *r, const struct tn_summary *sum)
{
	r->ops->summary(r, sum);
}

void tn_render_conn(struct tn_renderer *r, const struct tn_conn_summary *cs)
{
	r->ops->conn(r, cs);
}

void tn_render_event(struct tn_renderer *r, const struct tn_state_event *ev)
{
	r->ops->event(r, ev);
}

void tn_render_intro(struct tn_renderer *r, const struct tn_idea *ideas, size_t n)
{
	r->ops->intro(r, ideas, n);
}

void tn_render_comparison(struct tn_renderer *r, const struct tn_comparison *cmp)
{
	r->ops->comparison(r, cmp);
}

void tn_renderer_destroy(struct tn_renderer *r)
{
	free(r);
}
