/*
 * test_pipeline.c — the engine (include/tcpnarrate/pipeline.h), driven
 * directly, with no command line: frames built in code are fed one at a
 * time to an engine whose renderer only records what it is told, as one
 * line per event. Each case checks the whole sequence of events, so the
 * order pipeline.h promises (state expiry and idle reports before the
 * frame's own segment, an evicted connection's report before the segment
 * that needed its entry, a connection's report right after the segment that
 * closed it, the rest by id at the end, begin first and end last) is held
 * to, and so are the verdicts the analysis gives each segment, the
 * connection each frame is said to belong to (for --conn N -w) and the
 * memory a connection takes. The built-in renderers' --problems mode is
 * driven here too, past the cap on the connections it remembers. ICMP
 * errors come as events in the connection they quote without changing its
 * state, and IP fragments become one segment at the last of them.
 */
#define _POSIX_C_SOURCE 200809L
#include <tcpnarrate/pipeline.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pktbuild.h"
#include "unit.h"

#define LOG_MAX 8192

/* The recording renderer's private state: one line per event. */
struct rec {
	char log[LOG_MAX];
	size_t len;
};

static void logf_(struct tn_renderer *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct tn_renderer *r, const char *fmt, ...)
{
	struct rec *st = tn_renderer_state(r);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(st->log + st->len, LOG_MAX - st->len, fmt, ap);
	va_end(ap);
	ck_assert_int_ge(n, 0);
	ck_assert_uint_lt(st->len + (size_t)n, LOG_MAX);
	st->len += (size_t)n;
}

static void rec_begin(struct tn_renderer *r, const struct tn_run_info *run)
{
	logf_(r, "begin %s\n", run->source);
}

static void rec_segment(struct tn_renderer *r, const struct tn_segment *seg)
{
	logf_(r, "seg #%" PRIu64 " c%" PRIu64, seg->frame->n, seg->track.conn);
	for (unsigned i = 0; i < seg->n_verdicts; i++) {
		const struct tn_verdict *v = &seg->verdict[i];
		logf_(r, " %s%s%s%s", tn_verdict_key(v->kind), v->what & TN_RETX_SYN ? "+syn" : "",
		      v->what & TN_RETX_FIN ? "+fin" : "", v->what & TN_RETX_DATA ? "+data" : "");
		if (v->what & TN_RETX_DATA)
			logf_(r, "[%u-%u]", v->first, v->last);
	}
	if (seg->timing.oversize_mss)
		logf_(r, " over_mss %u", seg->timing.oversize_mss);
	if (seg->reasm)
		logf_(r, " from %u fragments len %u", seg->reasm->n_frags, seg->pkt->payload_len);
	logf_(r, "\n");
}

static void rec_skip(struct tn_renderer *r, const struct tn_skip *sk)
{
	logf_(r, "skip #%" PRIu64 " %s\n", sk->frame->n, tn_decode_result_name(sk->why));
}

static void rec_state(struct tn_renderer *r, const struct tn_state_event *ev)
{
	logf_(r, "state c%" PRIu64 "%s%s\n", ev->conn, ev->expired[TN_ROLE_CLIENT] ? " client" : "",
	      ev->expired[TN_ROLE_SERVER] ? " server" : "");
}

static void rec_connection(struct tn_renderer *r, const struct tn_conn_view *cv,
			   const struct tn_comparison *cmp)
{
	char cl[TN_ENDPOINT_STRLEN], sv[TN_ENDPOINT_STRLEN];
	tn_endpoint_format(&cv->ep[TN_ROLE_CLIENT], cl, sizeof cl);
	tn_endpoint_format(&cv->ep[TN_ROLE_SERVER], sv, sizeof sv);
	logf_(r, "conn c%" PRIu64 " %s %s>%s%s zeek %s %s\n", cv->id, tn_report_why_key(cv->why),
	      cl, sv, cmp ? " compared" : "", cv->conn_state, cv->history);
}

static void rec_end(struct tn_renderer *r, const struct tn_summary *sum)
{
	logf_(r, "end %" PRIu64 " packets %" PRIu64 " segments %" PRIu64 " conns %" PRIu64
	      " evicted %" PRIu64 " idle\n", sum->packets, sum->segments, sum->connections,
	      sum->evictions, sum->idle_expired);
}

static void rec_icmp(struct tn_renderer *r, const struct tn_icmp_event *ev)
{
	logf_(r, "icmp #%" PRIu64 " c%" PRIu64 " %s %s %s %s\n", ev->frame->n, ev->conn,
	      tn_icmp_kind_key(ev->err->kind), tn_role_key(ev->role),
	      tn_state_name(ev->sender_state), tn_icmp_seq_key(ev->seq_check));
}

static const struct tn_render_ops rec_ops = {
	.name = "record",
	.state_size = sizeof(struct rec),
	.begin = rec_begin,
	.icmp = rec_icmp,
	.segment = rec_segment,
	.skip = rec_skip,
	.state = rec_state,
	.connection = rec_connection,
	.end = rec_end,
};

/* An engine under test and the frames fed to it. */
struct run {
	struct tn_renderer *r;
	struct tn_pipeline *p;
	uint64_t n;
	struct pb k;
};

#define SEC 1000000000LL
#define DLT_ETHERNET 1u
#define T0 (1767225600LL * SEC)

static void run_init(struct run *t, const struct tn_pipeline_opts *o)
{
	char err[128];
	struct tn_render_opts ro = { .out = stdout, .ts_digits = 6 };
	memset(t, 0, sizeof *t);
	ck_assert_msg(tn_renderer_create_ops(&t->r, &rec_ops, &ro, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(tn_pipeline_create(&t->p, o, t->r, err, sizeof err) == 0, "%s", err);
}

/* Client 10.0.1.<host>:<cport> ↔ server 10.0.2.10:80; `from_client` says who sends. */
struct seg {
	int host;
	uint16_t cport;
	bool from_client;
	uint16_t flags;
	uint32_t seq, ack;
	uint16_t len;
	int64_t at_ms;
};

/* Options every SYN of the current test carries (none unless a test sets them). */
static const uint8_t *g_syn_opts;
static size_t g_syn_opts_len;

#define SYN TN_TH_SYN
#define ACK TN_TH_ACK
#define FIN TN_TH_FIN
#define RST TN_TH_RST
#define PSH TN_TH_PSH

static enum tn_feed feed_frame(struct run *t, int64_t at_ms)
{
	char err[128];
	struct tn_frame f = { .n = ++t->n, .caplen = (uint32_t)t->k.len,
			      .wirelen = (uint32_t)t->k.len, .data = t->k.b,
			      .file_caplen = (uint32_t)t->k.len };
	int64_t ns = T0 + at_ms * 1000000;
	f.ts_sec = ns / SEC;
	f.ts_nsec = (uint32_t)(ns % SEC);
	enum tn_feed rc = tn_pipeline_feed(t->p, DLT_ETHERNET, &f, err, sizeof err);
	ck_assert_msg(rc != TN_FEED_ERROR, "%s", err);
	return rc;
}

static enum tn_feed feed(struct run *t, const struct seg *s)
{
	static const uint8_t data[1500];
	struct pb_ip4 ip = pb_ip4_default;
	uint8_t cl[4] = { 10, 0, 1, (uint8_t)s->host }, sv[4] = { 10, 0, 2, 10 };
	memcpy(ip.src, s->from_client ? cl : sv, 4);
	memcpy(ip.dst, s->from_client ? sv : cl, 4);
	struct pb_tcp tcp = { .sport = s->from_client ? s->cport : 80,
			      .dport = s->from_client ? 80 : s->cport, .seq = s->seq,
			      .ack = s->ack, .flags = s->flags, .window = 8192 };
	if (s->flags & SYN) {
		tcp.opts = g_syn_opts;
		tcp.opts_len = g_syn_opts_len;
	}
	pb_init(&t->k);
	pb_eth(&t->k, 0x0800);
	pb_ipv4(&t->k, &ip);
	pb_tcp(&t->k, &tcp);
	pb_payload(&t->k, data, s->len);
	pb_finish(&t->k);
	return feed_frame(t, s->at_ms);
}

/* A UDP datagram: not a TCP segment. */
static void feed_udp(struct run *t, int64_t at_ms)
{
	pb_init(&t->k);
	pb_eth(&t->k, 0x0800);
	pb_ipv4(&t->k, &pb_ip4_default);
	pb_udp(&t->k, 53, 53);
	pb_finish(&t->k);
	feed_frame(t, at_ms);
}

static void feed_all(struct run *t, const struct seg *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(feed(t, &s[i]), TN_FEED_MORE);
}

/* Finishes the run and compares the whole log with `want`. */
static void finish_expect(struct run *t, const char *want)
{
	char err[128];
	struct tn_summary sum = { .source = "test" };
	ck_assert_msg(tn_pipeline_finish(t->p, &sum, err, sizeof err) == 0, "%s", err);
	struct rec *st = tn_renderer_state(t->r);
	ck_assert_msg(strcmp(st->log, want) == 0, "events:\n%s\nexpected:\n%s", st->log, want);
	tn_pipeline_destroy(t->p);
	tn_renderer_destroy(t->r);
}

/* Client ISN 1000, server ISN 5000; the client sends 10 bytes, the server 20, the client closes. */
#define CLIENT_CLOSES(h, port, t0)                                                      \
	{ h, port, true, SYN, 1000, 0, 0, t0 },                                         \
	{ h, port, false, SYN | ACK, 5000, 1001, 0, t0 + 1 },                           \
	{ h, port, true, ACK, 1001, 5001, 0, t0 + 2 },                                  \
	{ h, port, true, PSH | ACK, 1001, 5001, 10, t0 + 3 },                           \
	{ h, port, false, PSH | ACK, 5001, 1011, 20, t0 + 4 },                          \
	{ h, port, true, FIN | ACK, 1011, 5021, 0, t0 + 5 },                            \
	{ h, port, false, FIN | ACK, 5021, 1012, 0, t0 + 6 },                           \
	{ h, port, true, ACK, 1012, 5022, 0, t0 + 7 }

static struct tn_pipeline_opts opts(void)
{
	struct tn_pipeline_opts o = { .run = { .source = "test", .linktype = DLT_ETHERNET },
				      .idle_ns = 300 * SEC };
	return o;
}

START_TEST(test_closed_then_time_wait_runs_out)
{
	struct run t;
	struct tn_pipeline_opts o = opts();
	run_init(&t, &o);
	const struct seg s[] = { CLIENT_CLOSES(5, 40000, 0) };
	feed_all(&t, s, sizeof s / sizeof s[0]);
	/* 61 s later another connection: TIME-WAIT (60 s) ran out before its SYN. */
	const struct seg later = { 6, 40001, true, SYN, 7000, 0, 0, 61000 };
	feed(&t, &later);
	feed_udp(&t, 61001);
	finish_expect(&t,
		"begin test\n"
		"seg #1 c1\nseg #2 c1\nseg #3 c1\nseg #4 c1\nseg #5 c1\nseg #6 c1\nseg #7 c1\n"
		"seg #8 c1\n"
		"conn c1 closed 10.0.1.5:40000>10.0.2.10:80 zeek SF ShADdFf\n"
		"state c1 client\n"
		"seg #9 c2\n"
		"skip #10 not TCP\n"
		"conn c2 end_of_capture 10.0.1.6:40001>10.0.2.10:80 zeek S0 S\n"
		"end 10 packets 9 segments 2 conns 0 evicted 0 idle\n");
}
END_TEST

START_TEST(test_eviction_reports_before_the_segment)
{
	struct run t;
	struct tn_pipeline_opts o = opts();
	o.max_flows = 1;
	o.compare = true;
	run_init(&t, &o);
	const struct seg s[] = {
		{ 5, 40000, true, SYN, 1000, 0, 0, 0 },
		{ 5, 40000, false, SYN | ACK, 5000, 1001, 0, 1 },
		{ 6, 40001, true, SYN, 7000, 0, 0, 2 },
		{ 5, 40000, true, ACK, 1001, 5001, 0, 3 },
	};
	feed_all(&t, s, 4);
	finish_expect(&t,
		"begin test\n"
		"seg #1 c1\nseg #2 c1\n"
		"conn c1 evicted 10.0.1.5:40000>10.0.2.10:80 compared zeek S1 Sh\n"
		"seg #3 c2\n"
		"conn c2 evicted 10.0.1.6:40001>10.0.2.10:80 compared zeek S0 S\n"
		"seg #4 c3\n"
		"conn c3 end_of_capture 10.0.1.5:40000>10.0.2.10:80 compared zeek OTH A\n"
		"end 4 packets 4 segments 3 conns 2 evicted 0 idle\n");
}
END_TEST

START_TEST(test_idle_reports_before_the_segment)
{
	struct run t;
	struct tn_pipeline_opts o = opts();
	o.idle_ns = 10 * SEC;
	run_init(&t, &o);
	const struct seg s[] = {
		{ 5, 40000, true, SYN, 1000, 0, 0, 0 },
		{ 6, 40001, true, SYN, 7000, 0, 0, 5000 },
		{ 6, 40001, true, SYN, 7000, 0, 0, 12000 },   /* c1 idle for 12 s, c2 for 7 */
		{ 5, 40000, true, ACK, 1001, 5001, 0, 30000 }, /* both idle: c2 is older now */
	};
	feed_all(&t, s, 4);
	finish_expect(&t,
		"begin test\n"
		"seg #1 c1\nseg #2 c2\n"
		"conn c1 idle 10.0.1.5:40000>10.0.2.10:80 zeek S0 S\n"
		"seg #3 c2 retransmission+syn\n"
		"conn c2 idle 10.0.1.6:40001>10.0.2.10:80 zeek S0 S\n"
		"seg #4 c3\n"
		"conn c3 end_of_capture 10.0.1.5:40000>10.0.2.10:80 zeek OTH A\n"
		"end 4 packets 4 segments 3 conns 0 evicted 2 idle\n");
}
END_TEST

START_TEST(test_reused_pair)
{
	struct run t;
	struct tn_pipeline_opts o = opts();
	run_init(&t, &o);
	const struct seg s[] = {
		CLIENT_CLOSES(5, 40000, 0),
		/* 5 s into the client's TIME-WAIT, a new SYN on the same pair. */
		{ 5, 40000, true, SYN, 90000, 0, 0, 5000 },
		{ 5, 40000, false, SYN | ACK, 3000, 90001, 0, 5001 },
	};
	feed_all(&t, s, sizeof s / sizeof s[0]);
	finish_expect(&t,
		"begin test\n"
		"seg #1 c1\nseg #2 c1\nseg #3 c1\nseg #4 c1\nseg #5 c1\nseg #6 c1\nseg #7 c1\n"
		"seg #8 c1\n"
		"conn c1 closed 10.0.1.5:40000>10.0.2.10:80 zeek SF ShADdFf\n"
		"seg #9 c2 reused_ports\nseg #10 c2\n"
		"conn c2 end_of_capture 10.0.1.5:40000>10.0.2.10:80 zeek S1 Sh\n"
		"end 10 packets 10 segments 2 conns 0 evicted 0 idle\n");
}
END_TEST

START_TEST(test_only_conn_and_max_segments)
{
	struct run t;
	struct tn_pipeline_opts o = opts();
	o.only_conn = 2;
	o.max_segments = 3;
	run_init(&t, &o);
	const struct seg s[] = {
		{ 5, 40000, true, SYN, 1000, 0, 0, 0 },
		{ 6, 40001, true, SYN, 7000, 0, 0, 1 },
		{ 5, 40000, false, SYN | ACK, 5000, 1001, 0, 2 },
	};
	ck_assert_int_eq(feed(&t, &s[0]), TN_FEED_MORE);
	ck_assert_int_eq(feed(&t, &s[1]), TN_FEED_MORE);
	ck_assert_int_eq(feed(&t, &s[2]), TN_FEED_DONE);
	/* Connection 1 is tracked (it counts) but neither narrated nor reported. */
	finish_expect(&t,
		"begin test\n"
		"seg #2 c2\n"
		"conn c2 end_of_capture 10.0.1.6:40001>10.0.2.10:80 zeek S0 S\n"
		"end 3 packets 3 segments 2 conns 0 evicted 0 idle\n");
}
END_TEST

/* Whose each frame is: the connection's number, 0 for a frame that is not a TCP segment. */
START_TEST(test_last_conn)
{
	struct run t;
	struct tn_pipeline_opts o = opts();
	o.only_conn = 2;   /* said for connections not shown too */
	run_init(&t, &o);
	ck_assert_uint_eq(tn_pipeline_last_conn(t.p), 0);
	const struct seg s[] = {
		CLIENT_CLOSES(5, 40000, 0),
		{ 5, 40000, true, SYN, 90000, 0, 0, 5000 },   /* the pair reused: connection 2 */
		{ 6, 40001, true, SYN, 7000, 0, 0, 5001 },
	};
	const uint64_t want[] = { 1, 1, 1, 1, 1, 1, 1, 1, 2, 3 };
	for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
		feed(&t, &s[i]);
		ck_assert_uint_eq(tn_pipeline_last_conn(t.p), want[i]);
	}
	feed_udp(&t, 5002);
	ck_assert_uint_eq(tn_pipeline_last_conn(t.p), 0);
	tn_pipeline_destroy(t.p);
	tn_renderer_destroy(t.r);
}
END_TEST

/*
 * --problems remembers TN_FOCUS_CONNS connections. Connection 1 sends data,
 * then `others` connections open, then connection 1 sends the data again:
 * while it is remembered, the retransmission comes after its context (frame
 * 4); once more connections than the cap came after it, without. Either
 * way it is reported, and the connections without a verdict are not.
 */
static const struct focus_case {
	const char *name;
	const char *renderer;
	int others;
	const char *want;          /* in the output */
	const char *not_want;      /* not in it */
} focus_cases[] = {
	{ "text, remembered", "text", TN_FOCUS_CONNS - 1, "\n… 4 ", "== Connection 2 " },
	{ "text, forgotten", "text", TN_FOCUS_CONNS, "== Connection 1 at the end", "\n… " },
	{ "json, remembered", "json", TN_FOCUS_CONNS - 1, "\"context\":4", "\"conn\":2," },
	{ "json, forgotten", "json", TN_FOCUS_CONNS, "\"context\":null", "\"conn\":2," },
	{ NULL, NULL, 0, NULL, NULL },
};

START_TEST(test_problems_bounded)
{
	const struct focus_case *c = &focus_cases[_i];
	char err[128], *out = NULL;
	size_t len = 0;
	struct run t = { 0 };
	FILE *f = open_memstream(&out, &len);
	ck_assert_ptr_nonnull(f);
	struct tn_render_opts ro = { .out = f, .ts_digits = 6, .detail = TN_DETAIL_QUIET,
				     .focus = TN_FOCUS_PROBLEMS };
	struct tn_pipeline_opts o = opts();
	ck_assert_msg(tn_renderer_create(&t.r, c->renderer, &ro, err, sizeof err) == 0, "%s", err);
	ck_assert_msg(tn_pipeline_create(&t.p, &o, t.r, err, sizeof err) == 0, "%s", err);
	const struct seg s[] = {
		{ 1, 40000, true, SYN, 1000, 0, 0, 0 },
		{ 1, 40000, false, SYN | ACK, 5000, 1001, 0, 1 },
		{ 1, 40000, true, ACK, 1001, 5001, 0, 2 },
		{ 1, 40000, true, PSH | ACK, 1001, 5001, 10, 3 },
	};
	feed_all(&t, s, 4);
	for (int i = 0; i < c->others; i++) {
		const struct seg other = { 2, (uint16_t)(41000 + i), true, SYN, 100, 0, 0, 4 };
		feed(&t, &other);
	}
	struct seg again = s[3];
	again.at_ms = 500;
	feed(&t, &again);
	struct tn_summary sum = { .source = "test" };
	ck_assert_msg(tn_pipeline_finish(t.p, &sum, err, sizeof err) == 0, "%s", err);
	tn_pipeline_destroy(t.p);
	tn_renderer_destroy(t.r);
	fclose(f);
	ck_assert_msg(strstr(out, c->want), "%s: no %s in\n%s", c->name, c->want, out);
	ck_assert_msg(!strstr(out, c->not_want), "%s: %s in\n%s", c->name, c->not_want, out);
	free(out);
}
END_TEST

START_TEST(test_retransmission_verdicts)
{
	struct run t;
	struct tn_pipeline_opts o = opts();
	run_init(&t, &o);
	const struct seg s[] = {
		{ 5, 40000, true, SYN, 1000, 0, 0, 0 },
		{ 5, 40000, true, SYN, 1000, 0, 0, 1000 },            /* SYN again */
		{ 5, 40000, false, SYN | ACK, 5000, 1001, 0, 1001 },
		{ 5, 40000, true, ACK, 1001, 5001, 0, 1002 },
		{ 5, 40000, false, ACK, 5001, 1001, 100, 1003 },      /* bytes 1-100 */
		{ 5, 40000, false, ACK, 5101, 1001, 100, 1004 },      /* 101-200 */
		{ 5, 40000, false, ACK, 5001, 1001, 100, 1300 },      /* 1-100 again */
		{ 5, 40000, false, ACK, 5051, 1001, 50, 1301 },       /* 51-100 again */
		{ 5, 40000, false, ACK, 5151, 1001, 100, 1302 },      /* 151-250: starts below 201 */
		{ 5, 40000, false, FIN | ACK, 5251, 1001, 0, 1303 },
		{ 5, 40000, false, FIN | ACK, 5251, 1001, 0, 1600 },  /* FIN again */
		{ 5, 40000, false, ACK, 5252, 1001, 10, 1700 },       /* data after its FIN */
	};
	feed_all(&t, s, sizeof s / sizeof s[0]);
	finish_expect(&t,
		"begin test\n"
		"seg #1 c1\n"
		"seg #2 c1 retransmission+syn\n"
		"seg #3 c1\nseg #4 c1\nseg #5 c1\nseg #6 c1\n"
		"seg #7 c1 retransmission+data[1-100]\n"
		"seg #8 c1 retransmission+data[51-100]\n"
		"seg #9 c1 retransmission+data[151-250]\n"
		"seg #10 c1\n"
		"seg #11 c1 retransmission+fin\n"
		"seg #12 c1 data_after_fin\n"
		"conn c1 end_of_capture 10.0.1.5:40000>10.0.2.10:80 zeek S3 ShAdtf\n"
		"end 12 packets 12 segments 1 conns 0 evicted 0 idle\n");
}
END_TEST

/* Zeek's conn_state for the ways a connection can go, one connection each. */
START_TEST(test_zeek_states)
{
	struct run t;
	struct tn_pipeline_opts o = opts();
	run_init(&t, &o);
	const struct seg s[] = {
		/* REJ: a SYN answered by a reset */
		{ 1, 40001, true, SYN, 100, 0, 0, 0 },
		{ 1, 40001, false, RST | ACK, 0, 101, 0, 1 },
		/* RSTO: established, then the client aborts */
		{ 2, 40002, true, SYN, 200, 0, 0, 10 },
		{ 2, 40002, false, SYN | ACK, 900, 201, 0, 11 },
		{ 2, 40002, true, ACK, 201, 901, 0, 12 },
		{ 2, 40002, true, RST, 201, 0, 0, 13 },
		/* S2: established, the client's FIN unanswered */
		{ 3, 40003, true, SYN, 300, 0, 0, 20 },
		{ 3, 40003, false, SYN | ACK, 800, 301, 0, 21 },
		{ 3, 40003, true, ACK, 301, 801, 0, 22 },
		{ 3, 40003, true, FIN | ACK, 301, 801, 0, 23 },
		/* RSTR: the server resets after data */
		{ 4, 40004, true, SYN, 400, 0, 0, 30 },
		{ 4, 40004, false, SYN | ACK, 700, 401, 0, 31 },
		{ 4, 40004, true, PSH | ACK, 401, 701, 10, 32 },
		{ 4, 40004, false, RST | ACK, 701, 411, 0, 33 },
		/* OTH: joined in the middle */
		{ 6, 40006, false, PSH | ACK, 600, 500, 5, 40 },
	};
	feed_all(&t, s, sizeof s / sizeof s[0]);
	finish_expect(&t,
		"begin test\n"
		"seg #1 c1\nseg #2 c1\n"
		"conn c1 closed 10.0.1.1:40001>10.0.2.10:80 zeek REJ Sr\n"
		"seg #3 c2\nseg #4 c2\nseg #5 c2\nseg #6 c2\n"
		"conn c2 closed 10.0.1.2:40002>10.0.2.10:80 zeek RSTO ShAR\n"
		"seg #7 c3\nseg #8 c3\nseg #9 c3\nseg #10 c3\n"
		"seg #11 c4\nseg #12 c4\nseg #13 c4\nseg #14 c4\n"
		"conn c4 closed 10.0.1.4:40004>10.0.2.10:80 zeek RSTR ShDr\n"
		"seg #15 c5\n"
		"conn c3 end_of_capture 10.0.1.3:40003>10.0.2.10:80 zeek S2 ShAF\n"
		"conn c5 end_of_capture 10.0.1.6:40006>10.0.2.10:80 zeek OTH d\n"
		"end 15 packets 15 segments 5 conns 0 evicted 0 idle\n");
}
END_TEST

/* Data bigger than the MSS the receiver announced is noted (TSO/GSO, GRO), not flagged. */
START_TEST(test_over_mss)
{
	static const uint8_t mss536[] = { 2, 4, 0x02, 0x18 };
	struct run t;
	struct tn_pipeline_opts o = opts();
	run_init(&t, &o);
	const struct seg s[] = {
		{ 5, 40000, true, SYN, 1000, 0, 0, 0 },
		{ 5, 40000, false, SYN | ACK, 5000, 1001, 0, 1 },
		{ 5, 40000, true, ACK, 1001, 5001, 0, 2 },
		{ 5, 40000, false, ACK, 5001, 1001, 536, 3 },
		{ 5, 40000, false, ACK, 5537, 1001, 1072, 4 },
	};
	g_syn_opts = mss536;
	g_syn_opts_len = sizeof mss536;
	feed_all(&t, s, sizeof s / sizeof s[0]);
	g_syn_opts = NULL;
	g_syn_opts_len = 0;
	finish_expect(&t,
		"begin test\n"
		"seg #1 c1\nseg #2 c1\nseg #3 c1\nseg #4 c1\nseg #5 c1 over_mss 536\n"
		"conn c1 end_of_capture 10.0.1.5:40000>10.0.2.10:80 zeek S1 ShAd\n"
		"end 5 packets 5 segments 1 conns 0 evicted 0 idle\n");
}
END_TEST

START_TEST(test_nothing_fed)
{
	struct run t;
	struct tn_pipeline_opts o = opts();
	run_init(&t, &o);
	finish_expect(&t, "begin test\nend 0 packets 0 segments 0 conns 0 evicted 0 idle\n");
}
END_TEST

/* The documented 992 bytes per connection, flow-table entry included, without --compare. */
START_TEST(test_conn_memory)
{
	char err[128];
	struct tn_flow_table *t = NULL;
	ck_assert(tn_flow_table_create(&t, 1, sizeof(struct tn_conn), err, sizeof err) == 0);
	ck_assert_uint_le(tn_flow_entry_size(t), 992);
	tn_flow_table_destroy(t);
}
END_TEST

/*
 * An ICMP error quoting the last frame built (t->k): from the router
 * 10.0.9.1, type and code as given; the quote is the whole packet.
 */
static void feed_icmp(struct run *t, uint8_t type, uint8_t code, int64_t at_ms)
{
	struct pb q = t->k;
	struct pb_ip4 ip = pb_ip4_default;
	uint8_t router[4] = { 10, 0, 9, 1 };
	memcpy(ip.src, router, 4);
	memcpy(ip.dst, q.b + q.l3 + 12, 4); /* back to the quoted packet's source */
	pb_init(&t->k);
	pb_eth(&t->k, 0x0800);
	pb_ipv4(&t->k, &ip);
	pb_proto(&t->k, 1, 8);
	pb_put8(&t->k, t->k.l4, type);
	pb_put8(&t->k, t->k.l4 + 1, code);
	pb_payload(&t->k, q.b + q.l3, q.len - q.l3);
	pb_finish(&t->k);
	feed_frame(t, at_ms);
}

/* The last frame built (t->k), sent again as IPv4 fragments of 512 and the rest, last first. */
static void feed_fragments(struct run *t, int64_t at_ms)
{
	struct pb whole = t->k;
	size_t ip = whole.l3, hdr = whole.l4 - whole.l3, body = whole.len - whole.l4;
	for (int i = 1; i >= 0; i--) {
		size_t off = i ? 512 : 0, len = i ? body - 512 : 512;
		pb_init(&t->k);
		pb_bytes(&t->k, whole.b, ip + hdr);
		pb_put16(&t->k, ip + 2, (uint16_t)(hdr + len));
		pb_put16(&t->k, ip + 6, (uint16_t)((i ? 0 : 0x2000) | off / 8));
		pb_bytes(&t->k, whole.b + whole.l4 + off, len);
		t->k.l3 = ip;
		t->k.ipver = 4;
		pb_put16(&t->k, ip + 10, 0);
		pb_put16(&t->k, ip + 10, (uint16_t)~pb_fold(pb_sum(0, t->k.b + ip, hdr)));
		feed_frame(t, at_ms + 1 - i);
	}
}

/*
 * ICMP errors are narrated in the connection they quote and change no state
 * (the connection still opens and closes normally); one about no tracked
 * connection is skipped. A segment sent in two fragments is one segment,
 * whole, at the frame of the fragment that completed it.
 */
START_TEST(test_icmp_and_fragments)
{
	struct run t;
	struct tn_pipeline_opts o = opts();
	run_init(&t, &o);
	const struct seg syn = { 5, 40000, true, SYN, 1000, 0, 0, 0 };
	feed(&t, &syn);
	feed_icmp(&t, 3, 3, 1);                       /* port unreachable, about the SYN */
	const struct seg stray = { 7, 40009, true, SYN, 1, 0, 0, 2 };
	feed(&t, &stray);                             /* a connection of its own... */
	struct pb keep = t.k;
	const struct seg rest[] = {
		{ 5, 40000, false, SYN | ACK, 5000, 1001, 0, 3 },
		{ 5, 40000, true, ACK, 1001, 5001, 0, 4 },
		{ 5, 40000, true, PSH | ACK, 1001, 5001, 1000, 5 },
	};
	feed_all(&t, rest, 3);
	feed_fragments(&t, 6);                        /* the 1000 bytes again, in fragments */
	t.k = keep;
	t.k.b[t.k.l3 + 12 + 3] = 99;                  /* ...and an error about 10.0.1.99 */
	feed_icmp(&t, 11, 0, 8);
	finish_expect(&t,
		"begin test\n"
		"seg #1 c1\n"
		"icmp #2 c1 port_unreachable client SYN-SENT in_flight\n"
		"seg #3 c2\n"
		"seg #4 c1\nseg #5 c1\nseg #6 c1\n"
		"seg #8 c1 retransmission+data[1-1000] from 2 fragments len 1000\n"
		"skip #9 not TCP\n"
		"conn c1 end_of_capture 10.0.1.5:40000>10.0.2.10:80 zeek S1 ShADT\n"
		"conn c2 end_of_capture 10.0.1.7:40009>10.0.2.10:80 zeek S0 S\n"
		"end 9 packets 6 segments 2 conns 0 evicted 0 idle\n");
}
END_TEST

START_TEST(test_destroy_null)
{
	tn_pipeline_destroy(NULL);
}
END_TEST

static Suite *pipeline_suite(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("order");
	tcase_add_test(tc, test_closed_then_time_wait_runs_out);
	tcase_add_test(tc, test_eviction_reports_before_the_segment);
	tcase_add_test(tc, test_idle_reports_before_the_segment);
	tcase_add_test(tc, test_reused_pair);
	tcase_add_test(tc, test_only_conn_and_max_segments);
	tcase_add_test(tc, test_nothing_fed);
	tcase_add_test(tc, test_last_conn);
	suite_add_tcase(s, tc);
	tc = tcase_create("problems");
	TN_ADD_TABLE_TEST(tc, test_problems_bounded, focus_cases);
	suite_add_tcase(s, tc);
	tc = tcase_create("verdicts");
	tcase_add_test(tc, test_retransmission_verdicts);
	tcase_add_test(tc, test_zeek_states);
	tcase_add_test(tc, test_over_mss);
	suite_add_tcase(s, tc);
	tc = tcase_create("memory");
	tcase_add_test(tc, test_conn_memory);
	tcase_add_test(tc, test_destroy_null);
	tcase_add_test(tc, test_icmp_and_fragments);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tn_unit_run(pipeline_suite());
}
