/*
 * renderer.h — what each renderer implements (private to src/render).
 */
#ifndef TN_RENDER_RENDERER_H
#define TN_RENDER_RENDERER_H

#include <tcpnarrate/render.h>

struct tn_renderer {
	const struct tn_render_ops *ops;
	struct tn_render_opts opts;
	void *state;               /* ops->state_size bytes, zeroed; NULL when 0 */
};

extern const struct tn_render_ops tn_render_text_ops;
extern const struct tn_render_ops tn_render_json_ops;
extern const struct tn_render_ops tn_render_ladder_ops;

/*
 * --ascii (r->opts.ascii): r->opts.out is replaced by a stream that spells
 * UTF-8 in ASCII (ascii.c), kept in *kept for the renderer to fclose() at
 * finish; *kept stays NULL otherwise. -1 and errbuf when memory runs out.
 */
int tn_render_ascii_out(struct tn_renderer *r, FILE **kept, char *errbuf, size_t errlen);

/* Is verdict i of seg worth showing to a reader (not a plain retransmission beside a fast one)? */
bool tn_render_verdict_shown(const struct tn_segment *seg, unsigned i);
/* The colour (an ANSI sequence) a verdict stands out in: loss red, trouble yellow, notes cyan. */
const char *tn_render_verdict_style(enum tn_verdict_kind k);
extern const struct tn_render_ops tn_render_html_ops;  /* out: the page file */

/* Shared wording: DSCP names, ECN names, IPv6 extension names, MPTCP subtypes. */
const char *tn_dscp_name(uint8_t dscp);
const char *tn_ecn_name(uint8_t ecn);
const char *tn_ip6_ext_name(uint8_t type);
const char *tn_mptcp_subtype_name(uint8_t subtype);
const char *tn_csum_status_name(enum tn_csum c);   /* "ok", "bad", "unverified" */
const char *tn_skip_reason_key(enum tn_decode_result r); /* "not_ip", ... */

/*
 * One layer a segment was carried in, in words (encap.c): in full for the
 * breakdown ("VXLAN, VNI 42, UDP 51234 → 4789"), or compact for -q
 * ("vxlan:42"; empty for a layer -q leaves out).
 */
void tn_encap_text(const struct tn_encap *e, bool compact, char *buf, size_t len);

/* An IP layer's source or destination address. */
void tn_encap_addr(const struct tn_encap *e, bool src, char *buf, size_t len);

/*
 * --summary in text: the connection in one line, every field in a fixed order
 * (text_summary.c); cmp, with --compare, adds the textbook's verdict.
 */
void tn_text_summary_line(FILE *out, const struct tn_conn_view *cv,
			  const struct tn_comparison *cmp);

/*
 * cJSON's memory while a JSON renderer lives (arena.c): begin installs the
 * arena as cJSON's allocator (process-wide, counted), reset drops every
 * tree the calling thread built since the last reset, end puts cJSON's
 * allocator back after the last user and frees the thread's blocks.
 */
void tn_json_arena_begin(void);
void tn_json_arena_reset(void);
void tn_json_arena_end(void);

/* A sending direction's limits and congestion control (text_sender.c): report lines, summary field. */
void tn_text_sender_lines(FILE *out, const struct tn_conn_view *cv, int role);
void tn_text_sender_field(FILE *out, const struct tn_conn_view *cv);

/* The connection object's "limits" and "congestion" (json_sender.c); digits: of seconds. */
struct cJSON;
void tn_json_sender(struct cJSON *conn, const struct tn_conn_view *cv, int digits);

/* Length of the payload preview, in input bytes. */
#define TN_PREVIEW_BYTES 80

#endif
