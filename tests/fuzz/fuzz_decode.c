/*
 * fuzz_decode.c — libFuzzer target: one frame through the decoder, and
 * everything a decoded packet is used for.
 *
 * Input layout:
 *   byte 0     link type: index (mod 21) into link_types[] below — the twenty
 *              tn_decode() supports and one it does not
 *   bytes 1-2  how the wire length relates to the captured length (see
 *              wire_len()): equal, longer, or shorter (a corrupt record)
 *   bytes 3-   the frame, caplen = its length
 *
 * After tn_decode() the packet goes through every consumer that needs no
 * more than one packet: option names and meanings, the escaped payload
 * preview (with small and exact output buffers), address and endpoint
 * strings, the flow key. Then the frame is fed to the engine itself
 * (src/pipeline/, a one-entry flow table, --compare on) once per renderer
 * configuration (text quiet, normal, verbose, verbose with colour; JSON):
 * tracked, classified, compared, rendered, reported and summarised exactly as
 * the command line does it, or rendered as a skip when it is not TCP. The
 * output is checked: no control bytes in text, one JSON value per line. The
 * packet struct is poisoned before each decode (the engine, too, reuses one
 * struct for every frame), and everything runs twice with two different
 * poison bytes: the output must be the same both times.
 *
 * Reproducers are not capture files; tests/fuzz/run_regressions.py turns
 * those whose name starts with "decode-" into one-packet pcap files.
 */
#include "fuzz_common.h"

#include <tcpnarrate/analysis.h>
#include <tcpnarrate/decode.h>
#include <tcpnarrate/flow.h>
#include <tcpnarrate/pipeline.h>
#include <tcpnarrate/render.h>

/* Keep in step with DECODE_LINKS in run_regressions.py. */
static const uint32_t link_types[] = {
	1,   /* EN10MB */
	113, /* LINUX_SLL */
	276, /* LINUX_SLL2 */
	0,   /* NULL */
	108, /* LOOP */
	12,  /* RAW */
	14,  /* RAW (OpenBSD) */
	228, /* IPV4 */
	229, /* IPV6 */
	147, /* USER0: not decoded */
	239, /* NFLOG */
	242, /* IPOIB */
	10,  /* FDDI */
	129, /* ARCNET_LINUX */
	178, /* JUNIPER_ETHER */
	105, /* IEEE802_11 */
	127, /* IEEE802_11_RADIO */
	9,   /* PPP */
	50,  /* PPP_SERIAL */
	104, /* C_HDLC */
	51,  /* PPP_ETHER */
};
#define N_LINKS (sizeof link_types / sizeof link_types[0])

#define MAX_FRAME 262144u /* the largest snapshot length, so a pcap can hold it */

/* Keep in step with wire_len() in run_regressions.py. */
static uint32_t wire_len(uint8_t b1, uint8_t b2, uint32_t caplen)
{
	uint32_t v = (uint32_t)b1 << 8 | b2;
	uint32_t delta = v / 3;
	switch (v % 3) {
	case 0:
		return caplen;
	case 1:
		return delta == 0xffff / 3 ? UINT32_MAX : caplen + delta;
	default:
		return caplen > delta ? caplen - delta : 0;
	}
}

struct rend_cfg {
	const char *name;
	enum tn_detail detail;
	bool color;
};

static const struct rend_cfg rend_cfgs[] = {
	{ "text", TN_DETAIL_QUIET, false },
	{ "text", TN_DETAIL_NORMAL, false },
	{ "text", TN_DETAIL_VERBOSE, false },
	{ "text", TN_DETAIL_VERBOSE, true },
	{ "json", TN_DETAIL_NORMAL, false },
};
#define N_REND (sizeof rend_cfgs / sizeof rend_cfgs[0])

static struct fuzz_out g_out;
static struct tn_packet *g_pkt;
static bool g_oracles;
static uint64_t g_out_hash;   /* of everything rendered for this input, in order */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_out_init(&g_out, "tn-fuzz-out");
	g_pkt = malloc(sizeof *g_pkt);
	if (!g_pkt)
		exit(2);
	g_oracles = fuzz_env_on("TN_FUZZ_ORACLES", 1);
	return 0;
}

/* Reads every byte the packet says was captured, so ASan sees a wrong pointer. */
static void touch(const uint8_t *p, size_t n)
{
	volatile uint8_t sink = 0;
	for (size_t i = 0; i < n; i++)
		sink ^= p[i];
	(void)sink;
}

static void check_packet(enum tn_decode_result res, const uint8_t *frame, uint32_t caplen,
			 const struct tn_packet *pkt)
{
	if ((unsigned)res >= TN_DEC_RESULT_COUNT)
		fuzz_die("tn_decode returned %d", (int)res);
	if (!tn_decode_result_name(res))
		fuzz_die("no name for decode result %d", (int)res);
	if (strnlen(pkt->problem_text, TN_PROBLEM_LEN) == TN_PROBLEM_LEN)
		fuzz_die("problem_text is not NUL-terminated");
	if (pkt->n_vlan > TN_MAX_VLAN)
		fuzz_die("n_vlan %u", pkt->n_vlan);
	if (res != TN_DEC_TCP)
		return;
	if (pkt->ip_version != 4 && pkt->ip_version != 6)
		fuzz_die("TCP with ip_version %u", pkt->ip_version);
	if (pkt->ip6.n_ext > TN_MAX_IP6_EXT)
		fuzz_die("ip6.n_ext %u", pkt->ip6.n_ext);
	if (pkt->tcp.n_opts > TN_MAX_TCP_OPTIONS)
		fuzz_die("tcp.n_opts %u", pkt->tcp.n_opts);
	if (pkt->tcp_offset > caplen || pkt->ip_offset > pkt->tcp_offset)
		fuzz_die("offsets ip %u tcp %u past caplen %u", pkt->ip_offset, pkt->tcp_offset,
			 caplen);
	if (pkt->payload_captured) {
		if (!pkt->payload || pkt->payload < frame ||
		    pkt->payload + pkt->payload_captured > frame + caplen)
			fuzz_die("payload [%p, +%u) outside the frame [%p, +%u)",
				 (const void *)pkt->payload, pkt->payload_captured,
				 (const void *)frame, caplen);
		touch(pkt->payload, pkt->payload_captured);
	}
	if (pkt->payload_captured > pkt->payload_len)
		fuzz_die("payload_captured %u > payload_len %u", pkt->payload_captured,
			 pkt->payload_len);
	for (unsigned i = 0; i < pkt->tcp.n_opts; i++) {
		const struct tn_tcp_option *o = &pkt->tcp.opts[i];
		if (!tn_tcpopt_name(o) || !tn_option_meaning(o))
			fuzz_die("option %u (kind %u) has no name or meaning", i, o->kind);
		if (o->kind == TN_OPT_SACK && o->u.sack.count > TN_MAX_SACK_BLOCKS)
			fuzz_die("sack count %u", o->u.sack.count);
		if ((o->kind == TN_OPT_FASTOPEN || o->kind == TN_OPT_EXP2) &&
		    o->u.tfo.len > sizeof o->u.tfo.bytes)
			fuzz_die("tfo cookie length %u", o->u.tfo.len);
	}
}

/* The preview into heap buffers of exactly the given size, so ASan sees an overrun. */
static void check_preview(const struct tn_packet *pkt)
{
	static const size_t outlens[] = { 0, 1, 2, 3, 4, 5, 7, 17, 4 * 80 + 1 };
	static const size_t max_ins[] = { 0, 1, 80, SIZE_MAX };
	const uint8_t *p = pkt->payload;
	size_t n = p ? pkt->payload_captured : 0;
	for (size_t a = 0; a < sizeof outlens / sizeof outlens[0]; a++) {
		for (size_t b = 0; b < sizeof max_ins / sizeof max_ins[0]; b++) {
			size_t len = outlens[a];
			char *out = malloc(len ? len : 1);
			if (!out)
				fuzz_die("out of memory");
			size_t shown = tn_escape_preview(p, n, max_ins[b], out, len);
			if (shown > n || shown > max_ins[b])
				fuzz_die("preview showed %zu of %zu bytes (max %zu)", shown, n,
					 max_ins[b]);
			if (len) {
				size_t sl = strnlen(out, len);
				if (sl == len)
					fuzz_die("preview not NUL-terminated in %zu bytes", len);
				for (size_t i = 0; i < sl; i++)
					if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
						fuzz_die("preview byte 0x%02x", (unsigned char)out[i]);
			}
			free(out);
		}
	}
}

static void check_strings(const struct tn_packet *pkt)
{
	static const size_t lens[] = { 1, 8, TN_ADDR_STRLEN, TN_ENDPOINT_STRLEN };
	for (int src = 0; src < 2; src++) {
		for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
			char *b = malloc(lens[k]);
			if (!b)
				fuzz_die("out of memory");
			memset(b, 'Z', lens[k]); /* poisoned: the call must terminate it */
			/* inet_ntop writes nothing into a buffer too small for the address,
			 * so tn_addr_str() is only held to its documented size. */
			if (lens[k] >= TN_ADDR_STRLEN) {
				tn_addr_str(pkt, src, b, lens[k]);
				if (strnlen(b, lens[k]) == lens[k])
					fuzz_die("address string not terminated");
				memset(b, 'Z', lens[k]);
			}
			tn_endpoint_str(pkt, src, b, lens[k]);
			if (strnlen(b, lens[k]) == lens[k])
				fuzz_die("endpoint string not terminated");
			free(b);
		}
	}
	struct tn_flow_key key;
	int side = tn_flow_key_make(pkt, &key);
	if (side != 0 && side != 1)
		fuzz_die("flow key side %d", side);
	char ks[TN_ENDPOINT_STRLEN];
	for (int i = 0; i < 2; i++) {
		struct tn_endpoint ep;
		tn_key_endpoint(&key, i, &ep);
		tn_endpoint_format(&ep, ks, sizeof ks);
		if (strnlen(ks, sizeof ks) == sizeof ks)
			fuzz_die("key endpoint string not terminated");
	}
	if (tn_flow_key_hash(&key, 1) != tn_flow_key_hash(&key, 1))
		fuzz_die("flow key hash is not deterministic");
	for (const uint16_t *f = tn_flag_order; *f; f++)
		if ((pkt->tcp.flags & *f) && !tn_flag_name(*f))
			fuzz_die("flag 0x%x has no name", *f);
}

static void check_output(const struct rend_cfg *rc)
{
	fuzz_out_end(&g_out);
	g_out_hash = g_out_hash * 31 + fuzz_hash(g_out.buf, g_out.len);
	if (!g_oracles)
		return;
	if (strcmp(rc->name, "json") == 0) {
		size_t bad = fuzz_json_bad_line(g_out.buf, g_out.len);
		if (bad)
			fuzz_die("JSON output line %zu does not parse:\n%s", bad, (char *)g_out.buf);
	} else {
		long at = fuzz_text_bad_byte(g_out.buf, g_out.len, rc->color);
		if (at >= 0)
			fuzz_die("text output (detail %d) has control byte 0x%02x at offset %ld",
				 rc->detail, g_out.buf[at], at);
	}
}

static struct tn_renderer *make_renderer(const struct rend_cfg *rc)
{
	char err[TN_ERRBUF_SIZE];
	struct tn_renderer *r = NULL;
	struct tn_render_opts ro = { .out = g_out.f, .detail = rc->detail, .color = rc->color,
				     .ts_digits = 6 };
	if (tn_renderer_create(&r, rc->name, &ro, err, sizeof err) < 0)
		fuzz_die("renderer %s: %s", rc->name, err);
	return r;
}

/* The frame through the engine, once per renderer configuration, as the CLI runs it. */
static void run_engine(const struct tn_frame *frame, uint32_t linktype, uint8_t poison)
{
	char err[TN_ERRBUF_SIZE];
	struct tn_pipeline_opts po = {
		.run = { .source = "fuzz", .linktype = linktype, .linktype_name = "FUZZ" },
		.max_flows = 1,
		.msl_ns = (int64_t)TN_MSL_DEFAULT_SEC * 1000000000,
		.idle_ns = 300 * (int64_t)1000000000,
		.compare = true,
		.packet_fill = poison,
	};
	for (size_t i = 0; i < N_REND; i++) {
		struct tn_pipeline *pipe = NULL;
		struct tn_summary sum = { .source = "fuzz", .linktype = linktype,
					  .linktype_name = "FUZZ", .link_supported = true };
		fuzz_out_begin(&g_out);
		struct tn_renderer *r = make_renderer(&rend_cfgs[i]);
		if (tn_pipeline_create(&pipe, &po, r, err, sizeof err) < 0)
			fuzz_die("pipeline: %s", err);
		if (tn_pipeline_feed(pipe, linktype, frame, err, sizeof err) == TN_FEED_ERROR)
			fuzz_die("feed: %s", err);
		if (tn_pipeline_finish(pipe, &sum, err, sizeof err) < 0)
			fuzz_die("finish: %s", err);
		if (sum.packets != 1 || sum.segments + sum.skipped[TN_DEC_TCP] > 1)
			fuzz_die("summary: %llu packets, %llu segments", (unsigned long long)sum.packets,
				 (unsigned long long)sum.segments);
		tn_pipeline_destroy(pipe);
		tn_renderer_destroy(r);
		check_output(&rend_cfgs[i]);
	}
}

/* Decodes and renders the frame on a packet struct first filled with `poison`. */
static enum tn_decode_result run_frame(const uint8_t *frame_bytes, uint32_t caplen,
				       uint32_t linktype, uint32_t wirelen, uint8_t poison)
{
	memset(g_pkt, poison, sizeof *g_pkt); /* stale bytes, as from the previous frame */
	g_out_hash = 0;
	enum tn_decode_result res = tn_decode(linktype, frame_bytes, caplen, wirelen, g_pkt);
	(void)tn_decode_link_supported(linktype);
	check_packet(res, frame_bytes, caplen, g_pkt);

	struct tn_frame frame = {
		.n = 1, .ts_sec = 1767225600, .ts_nsec = 0, .caplen = caplen,
		.wirelen = wirelen, .data = frame_bytes, .file_caplen = caplen,
	};
	if (res == TN_DEC_TCP) {
		check_preview(g_pkt);
		check_strings(g_pkt);
	}
	run_engine(&frame, linktype, poison);
	return res;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3 || size - 3 > MAX_FRAME)
		return -1; /* not added to the corpus */
	uint32_t linktype = link_types[data[0] % N_LINKS];
	const uint8_t *frame_bytes = data + 3;
	uint32_t caplen = (uint32_t)(size - 3);
	uint32_t wirelen = wire_len(data[1], data[2], caplen);

	/*
	 * Twice, over two different stale fillings of the packet struct: what is
	 * rendered must not depend on a field tn_decode() left unwritten.
	 */
	enum tn_decode_result r1 = run_frame(frame_bytes, caplen, linktype, wirelen, 0xa5);
	uint64_t h1 = g_out_hash;
	enum tn_decode_result r2 = run_frame(frame_bytes, caplen, linktype, wirelen, 0x5a);
	if (g_oracles && (r1 != r2 || h1 != g_out_hash))
		fuzz_die("the output depends on what the packet struct held before tn_decode() "
			 "(result %d vs %d): a field read but not written for this frame", r1, r2);
	return 0;
}
