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
extern const struct tn_render_ops tn_render_html_ops;  /* out: the page file */

/* Shared wording: DSCP names, ECN names, IPv6 extension names, MPTCP subtypes. */
const char *tn_dscp_name(uint8_t dscp);
const char *tn_ecn_name(uint8_t ecn);
const char *tn_ip6_ext_name(uint8_t type);
const char *tn_mptcp_subtype_name(uint8_t subtype);
const char *tn_csum_status_name(enum tn_csum c);   /* "ok", "bad", "unverified" */
const char *tn_skip_reason_key(enum tn_decode_result r); /* "not_ip", ... */

/*
 * --summary in text: the connection in one line, every field in a fixed order
 * (text_summary.c); cmp, with --compare, adds the textbook's verdict.
 */
void tn_text_summary_line(FILE *out, const struct tn_conn_view *cv,
			  const struct tn_comparison *cmp);

/* Length of the payload preview, in input bytes. */
#define TN_PREVIEW_BYTES 80

#endif
