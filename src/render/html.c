/*
 * html.c — --html FILE: one self-contained page that draws the run.
 *
 * The page is a template compiled into the program (html_assets.h) with its
 * style sheet and script inline; nothing is fetched, so it works offline from
 * file://. Its data are the JSON renderer's own objects, one per line, inside
 * <script type="application/json">: this renderer drives an inner JSON
 * renderer that writes through a stream escaping '<', '>', '&', U+2028 and
 * U+2029 as \uXXXX, so no byte from the wire can close the script element or
 * open markup (the script then puts text on the page with textContent only).
 * Beside each segment it adds one "explain" line with what the glossary says
 * about the flags and options set in it, and once a "glossary" line with
 * every header field's and port's meaning: words the JSON output does not
 * carry.
 *
 * A page past TN_HTML_MAX_SEGMENTS segments would be too slow to open: the
 * renderer stops adding segments there and reports the failure, and the CLI
 * removes the file and exits non-zero.
 */
#define _GNU_SOURCE /* fopencookie */
#include "html_assets.h"
#include "renderer.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

struct html_state {
	struct tn_renderer *json;   /* the JSON renderer, writing into the page through esc */
	FILE *esc;                  /* opts.out, escaped for a script element */
	uint64_t segments;
	bool too_big;
	char failure[160];
};

/* ---- the escaping stream: JSON text made safe inside <script> ---- */

struct esc_stream {
	FILE *under;
	unsigned npend;             /* 1: saw E2, 2: saw E2 80 (maybe U+2028/2029) */
};

static int put(struct esc_stream *e, const char *s, size_t n)
{
	return fwrite(s, 1, n, e->under) == n ? 0 : -1;
}

static int flush_pending(struct esc_stream *e)
{
	static const char pend[] = "\xe2\x80";
	unsigned n = e->npend;
	e->npend = 0;
	return n ? put(e, pend, n) : 0;
}

/* One byte that is not plain: '<', '>', '&' or part of a possible U+2028/2029. */
static int esc_byte(struct esc_stream *e, unsigned char b)
{
	char u[8];
	if (e->npend == 2 && (b == 0xa8 || b == 0xa9)) {
		e->npend = 0;
		snprintf(u, sizeof u, "\\u202%c", b == 0xa8 ? '8' : '9');
		return put(e, u, 6);
	}
	if (e->npend == 1 && b == 0x80) {
		e->npend = 2;
		return 0;
	}
	if (flush_pending(e) < 0)
		return -1;
	if (b == 0xe2) {
		e->npend = 1;
		return 0;
	}
	if (b == '<' || b == '>' || b == '&') {
		snprintf(u, sizeof u, "\\u%04x", b);
		return put(e, u, 6);
	}
	return put(e, (const char *)&b, 1);
}

static bool plain(unsigned char b)
{
	return b != '<' && b != '>' && b != '&' && b != 0xe2;
}

static ssize_t esc_write(void *cookie, const char *buf, size_t size)
{
	struct esc_stream *e = cookie;
	const unsigned char *p = (const unsigned char *)buf;
	size_t i = 0;
	while (i < size) {
		if (!e->npend && plain(p[i])) {
			size_t j = i;
			while (j < size && plain(p[j]))
				j++;
			if (put(e, buf + i, j - i) < 0)
				return -1;
			i = j;
			continue;
		}
		if (esc_byte(e, p[i++]) < 0)
			return -1;
	}
	return (ssize_t)size;
}

static int esc_close(void *cookie)
{
	struct esc_stream *e = cookie;
	int rc = flush_pending(e);
	free(e);
	return rc;
}

static FILE *esc_stream(FILE *under)
{
	struct esc_stream *e = calloc(1, sizeof *e);
	if (!e)
		return NULL;
	e->under = under;
	cookie_io_functions_t io = { .write = esc_write, .close = esc_close };
	FILE *f = fopencookie(e, "w", io);
	if (!f) {
		free(e);
		return NULL;
	}
	return f;
}

/* ---- the page around the data ---- */

/* Writes the template from `from` up to `marker` (or its end); returns what follows the marker. */
static const char *page_until(FILE *out, const char *from, const char *marker)
{
	const char *m = strstr(from, marker);
	if (!m) {
		fputs(from, out);
		return from + strlen(from);
	}
	fwrite(from, 1, (size_t)(m - from), out);
	return m + strlen(marker);
}

static void emit(struct html_state *st, cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);
	if (s) {
		fputs(s, st->esc);
		fputc('\n', st->esc);
		cJSON_free(s); /* cJSON's allocator: the JSON renderer's arena while it lives */
	}
	cJSON_Delete(obj);
}

/* Keys of the header fields in the order of enum tn_field, as the page names them. */
static const char *const field_keys[TN_F_COUNT] = {
	"ip.version", "ip.hdr_len", "ip.dscp", "ip.ecn", "ip.total_len", "ip.id", "ip.flags",
	"ip.frag_off", "ip.ttl", "ip.proto", "ip.checksum", "ip.addrs", "ip6.tclass", "ip6.flow",
	"ip6.plen", "ip6.next", "ip6.hops", "ip6.ext", "tcp.sport", "tcp.dport", "tcp.seq",
	"tcp.ack", "tcp.hdr_len", "tcp.reserved", "tcp.flags", "tcp.window", "tcp.checksum",
	"tcp.urgent", "tcp.options", "payload",
};

/* {"type":"glossary"}: every field's label and meaning, the flag names, the states. */
static void glossary_line(struct html_state *st, const struct tn_run_info *run)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "type", "glossary");
	cJSON_AddStringToObject(j, "source", run->source ? run->source : "");
	cJSON_AddBoolToObject(j, "reference", run->reference);
	cJSON *f = cJSON_AddObjectToObject(j, "fields");
	for (int i = 0; i < TN_F_COUNT; i++) {
		cJSON *o = cJSON_AddObjectToObject(f, field_keys[i]);
		cJSON_AddStringToObject(o, "label", tn_glossary_label((enum tn_field)i));
		cJSON_AddStringToObject(o, "meaning", tn_glossary_meaning((enum tn_field)i));
	}
	/* A port's meaning depends on who sent the segment: the four cases, once. */
	cJSON *p = cJSON_AddObjectToObject(j, "ports");
	cJSON_AddStringToObject(p, "sport_client", tn_glossary_port(true, false));
	cJSON_AddStringToObject(p, "sport_server", tn_glossary_port(true, true));
	cJSON_AddStringToObject(p, "dport_client", tn_glossary_port(false, false));
	cJSON_AddStringToObject(p, "dport_server", tn_glossary_port(false, true));
	cJSON *s = cJSON_AddArrayToObject(j, "states");
	for (int i = 0; i < TN_ST_COUNT; i++)
		cJSON_AddItemToArray(s, cJSON_CreateString(tn_state_name((enum tn_state)i)));
	cJSON_AddNumberToObject(j, "max_segments", TN_HTML_MAX_SEGMENTS);
	emit(st, j);
}

/* {"type":"explain","n"}: the meaning of each flag and option of this segment. */
static void explain_line(struct html_state *st, const struct tn_segment *seg)
{
	const struct tn_tcp *t = &seg->pkt->tcp;
	char buf[512];
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "type", "explain");
	cJSON_AddNumberToObject(j, "n", (double)seg->frame->n);
	cJSON *fl = cJSON_AddObjectToObject(j, "flags");
	for (const uint16_t *b = tn_flag_order; *b; b++) {
		if (!(t->flags & *b))
			continue;
		tn_flag_meaning(*b, seg, buf, sizeof buf);
		cJSON_AddStringToObject(fl, tn_flag_name(*b), buf);
	}
	cJSON *op = cJSON_AddArrayToObject(j, "options");
	for (unsigned i = 0; i < t->n_opts; i++)
		cJSON_AddItemToArray(op, cJSON_CreateString(tn_option_meaning(&t->opts[i])));
	emit(st, j);
}

/* ---- the renderer ---- */

static int html_init(struct tn_renderer *r, char *errbuf, size_t errlen)
{
	struct html_state *st = r->state;
	st->esc = esc_stream(r->opts.out);
	if (!st->esc) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	struct tn_render_opts jo = r->opts;
	jo.out = st->esc;
	jo.focus = TN_FOCUS_ALL; /* the page shows everything; it has its own filters */
	return tn_renderer_create_ops(&st->json, &tn_render_json_ops, &jo, errbuf, errlen);
}

static void html_finish(struct tn_renderer *r)
{
	struct html_state *st = r->state;
	tn_renderer_destroy(st->json);
	if (st->esc)
		fclose(st->esc);
}

static void html_begin(struct tn_renderer *r, const struct tn_run_info *run)
{
	struct html_state *st = r->state;
	const char *rest = page_until(r->opts.out, tn_html_page, "/*@CSS@*/");
	fputs(tn_html_css, r->opts.out);
	page_until(r->opts.out, rest, "@DATA@");
	fputc('\n', r->opts.out);
	glossary_line(st, run);
	tn_render_begin(st->json, run);
}

static void html_segment(struct tn_renderer *r, const struct tn_segment *seg)
{
	struct html_state *st = r->state;
	if (st->too_big)
		return;
	if (++st->segments > TN_HTML_MAX_SEGMENTS) {
		st->too_big = true;
		snprintf(st->failure, sizeof st->failure, "more than %d segments: too many for one "
			 "page (narrow it with --conn N, -c N or a filter)", TN_HTML_MAX_SEGMENTS);
		return;
	}
	tn_render_segment(st->json, seg);
	explain_line(st, seg);
}

static void html_skip(struct tn_renderer *r, const struct tn_skip *skip)
{
	struct html_state *st = r->state;
	if (!st->too_big)
		tn_render_skip(st->json, skip);
}

static void html_state_event(struct tn_renderer *r, const struct tn_state_event *ev)
{
	struct html_state *st = r->state;
	if (!st->too_big)
		tn_render_state(st->json, ev);
}

static void html_correction(struct tn_renderer *r, const struct tn_correction *c)
{
	struct html_state *st = r->state;
	if (!st->too_big)
		tn_render_correction(st->json, c);
}

static void html_connection(struct tn_renderer *r, const struct tn_conn_view *cv,
			    const struct tn_comparison *cmp)
{
	struct html_state *st = r->state;
	if (!st->too_big)
		tn_render_connection(st->json, cv, cmp);
}

static void html_end(struct tn_renderer *r, const struct tn_summary *sum)
{
	struct html_state *st = r->state;
	tn_render_end(st->json, sum);
	fflush(st->esc);
	const char *rest = strstr(tn_html_page, "@DATA@");
	rest = rest ? rest + strlen("@DATA@") : "";
	rest = page_until(r->opts.out, rest, "/*@JS@*/");
	fputs(tn_html_js, r->opts.out);
	fputs(rest, r->opts.out);
}

static const char *html_failure(struct tn_renderer *r)
{
	struct html_state *st = r->state;
	return st->too_big ? st->failure : NULL;
}

const struct tn_render_ops tn_render_html_ops = {
	.name = "html",
	.state_size = sizeof(struct html_state),
	.init = html_init,
	.finish = html_finish,
	.begin = html_begin,
	.segment = html_segment,
	.skip = html_skip,
	.state = html_state_event,
	.correction = html_correction,
	.connection = html_connection,
	.end = html_end,
	.failure = html_failure,
};
