/*
 * run.c — one run of the command line: open the capture source, pick the
 * renderer, feed every frame to the engine (src/pipeline/), and turn what
 * happened into the exit status. Signals (Ctrl-C and SIGTERM stop a live
 * capture cleanly), privileges and a closed output are handled here; the
 * stages and their order are the engine's.
 */
#define _GNU_SOURCE /* strcasestr */
#include "cli.h"
#include "records.h"
#include "progress.h"

#include <errno.h>
#include <inttypes.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <tcpnarrate/capture.h>
#include <tcpnarrate/decode.h>
#include <tcpnarrate/pipeline.h>

#define OUT_BUF (256 * 1024)

static bool want_color(enum tn_color_mode m)
{
	if (m == TN_COLOR_ALWAYS)
		return true;
	if (m == TN_COLOR_NEVER)
		return false;
	const char *nc = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	if (nc && *nc)
		return false;
	if (term && strcmp(term, "dumb") == 0)
		return false;
	return isatty(STDOUT_FILENO);
}

/*
 * Whether the user's charset is UTF-8 (LC_ALL, LC_CTYPE, LANG), else the
 * text is written in ASCII. The locale is read and set back to "C" at once:
 * nothing else in tcpnarrate depends on it. A locale the C library does not
 * have (LANG=en_US.UTF-8 on a system without it) is judged by its name.
 */
static bool charset_is_utf8(void)
{
	if (setlocale(LC_CTYPE, "")) {
		const char *cs = nl_langinfo(CODESET);
		bool utf8 = cs && strcmp(cs, "UTF-8") == 0;
		setlocale(LC_CTYPE, "C");
		return utf8;
	}
	const char *names[] = { getenv("LC_ALL"), getenv("LC_CTYPE"), getenv("LANG") };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i] && *names[i])
			return strcasestr(names[i], "UTF-8") || strcasestr(names[i], "utf8");
	return false;
}

/*
 * The ladder's width: --width, else the terminal standard output is (when it
 * is one), else $COLUMNS, else 0 (the renderer's default, 80).
 */
static int output_width(int asked)
{
	struct winsize ws;
	if (asked)
		return asked;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *cols = getenv("COLUMNS");
	if (cols && *cols) {
		char *end;
		long v = strtol(cols, &end, 10);
		if (!*end && v > 0 && v <= 400)
			return (int)v;
	}
	return 0;
}

/* A closed reader (`| head`) is not an error: stop quietly. */
static bool output_gone(FILE *out)
{
	return ferror(out) && errno == EPIPE;
}

/*
 * Everything written is flushed; true when some of it could not be (a full
 * disk, an I/O error), with why in err. A closed reader is output_gone().
 */
static bool output_failed(FILE *out, char *err, size_t errlen)
{
	int rc = fflush(out);
	int e = errno;
	if (!ferror(out))
		return false;
	snprintf(err, errlen, "cannot write: %s", rc != 0 ? strerror(e) : "write error");
	errno = e;
	return true;
}

/*
 * What a signal stops: the live capture (one per process), or reading files,
 * which next_frame() looks at before each frame. A file is not stopped
 * through its capture: with several files, next_file() frees the capture a
 * handler would otherwise still point to.
 */
static struct tn_capture *volatile g_live;
static volatile sig_atomic_t g_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	g_stop = 1;
	if (g_live)
		tn_capture_break(g_live);
}

/*
 * Interrupted calls are restarted (a write to a slow reader of standard
 * output must not fail with EINTR and lose what was buffered); reading a
 * pipe waits in slices and looks at g_stop (tn_capture_stop_flag), and a
 * live capture is broken out of. The first signal ends the run in order,
 * a second one as the default does.
 */
static void catch_stop_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART | SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Under sudo, the capture file belongs to the user who ran sudo, not to root. */
static void give_dump_to_sudo_user(const char *path)
{
	const char *u = getenv("SUDO_UID"), *g = getenv("SUDO_GID");
	if (geteuid() != 0 || !u || !g)
		return;
	if (chown(path, (uid_t)strtoul(u, NULL, 10), (gid_t)strtoul(g, NULL, 10)) < 0)
		fprintf(stderr, "tcpnarrate: %s: cannot hand the file to the sudo user: %s\n", path,
			strerror(errno));
}

/*
 * Where the packets come from. Files given with several -r (or --read-list)
 * are read in order as one capture: frame numbers continue from one file to
 * the next, and so do the connections, since the engine never learns where
 * one file ended.
 */
struct source {
	const struct tn_cli_opts *o;
	struct tn_capture *cap;     /* the file (or interface) being read */
	size_t next;                /* the next of o->read_files to open */
	uint64_t base;              /* records in the files read before this one */
	uint64_t filtered;          /* their packets the filter dropped */
	const char *name;           /* what is being read, as errors name it */
};

/* Opens the file or the interface, the -w file, and gives up privileges. */
static int open_source(struct source *src, char *err, size_t errlen)
{
	const struct tn_cli_opts *o = src->o;
	struct tn_capture **cap = &src->cap;
	int rc;
	if (o->reference) {
		rc = tn_capture_open_reference(cap, err, errlen);
	} else if (o->interface) {
		struct tn_live_opts lo = { .snaplen = o->snaplen, .buffer_kib = o->buffer_kib };
		rc = tn_capture_open_live(cap, o->interface, o->filter, &lo, err, errlen);
	} else {
		rc = tn_capture_open_file(cap, o->read_files[0], o->filter, err, errlen);
		src->next = 1;
	}
	if (rc < 0)
		return -1;
	if (o->write_file) {
		if (tn_capture_dump_open(*cap, o->write_file, err, errlen) < 0)
			return -1;
		give_dump_to_sudo_user(o->write_file);
		if (o->only_conn)
			tn_capture_dump_chosen(*cap); /* feed_all writes connection N's frames */
	}
	if (o->interface && tn_cli_drop_privileges(o->user, err, errlen) < 0)
		return -1;
	return 0;
}

/* The next file of the capture, which must have the first one's link type. */
static int next_file(struct source *src, char *err, size_t errlen)
{
	const char *path = src->o->read_files[src->next++];
	uint32_t linktype = tn_capture_linktype(src->cap);
	struct tn_capture *cap;
	src->base += tn_capture_frames(src->cap);
	src->filtered += tn_capture_filtered(src->cap);
	src->name = strcmp(path, "-") == 0 ? "(standard input)" : path;
	if (tn_capture_open_file(&cap, path, src->o->filter, err, errlen) < 0)
		return -1;
	tn_capture_destroy(src->cap);
	src->cap = cap;
	if (tn_capture_linktype(cap) != linktype) {
		snprintf(err, errlen, "link type %u, not %u as in %s: the files are not one capture",
			 tn_capture_linktype(cap), linktype, src->o->read_files[0]);
		return -1;
	}
	return 0;
}

/* The next frame of the capture, across its files: 1, 0 at the end, -1 on a damaged file. */
static int next_frame(struct source *src, struct tn_frame *frame, char *err, size_t errlen)
{
	for (;;) {
		if (g_stop && !tn_capture_is_live(src->cap))
			return 0;
		int rc = tn_capture_next(src->cap, frame, err, errlen);
		if (rc < 0 && g_stop)
			return 0; /* the read the signal interrupted */
		if (rc == 1)
			frame->n += src->base;
		if (rc != 0 || src->next >= src->o->n_read_files)
			return rc;
		if (next_file(src, err, errlen) < 0)
			return g_stop ? 0 : -1; /* the open the signal interrupted, or a bad file */
	}
}

int tn_cli_write_reference(const char *path)
{
	char err[TN_ERRBUF_SIZE];
	struct tn_capture *cap = NULL;
	struct tn_frame frame;
	if (tn_capture_open_reference(&cap, err, sizeof err) < 0 ||
	    tn_capture_dump_open(cap, path, err, sizeof err) < 0) {
		fprintf(stderr, "tcpnarrate: %s: %s\n", path, err);
		tn_capture_destroy(cap);
		return TN_EXIT_INPUT;
	}
	while (tn_capture_next(cap, &frame, err, sizeof err) == 1)
		;
	tn_capture_destroy(cap);
	return TN_EXIT_OK;
}

/* The run's description, as begin and the summary tell it; warns of a link type not decoded. */
static void describe_source(struct tn_capture *cap, const char *name, char *ltname, size_t ltlen,
			    struct tn_summary *sum)
{
	uint32_t linktype = tn_capture_linktype(cap);
	sum->source = name;
	sum->linktype = linktype;
	sum->linktype_name = tn_capture_linktype_name(cap);
	sum->link_supported = tn_decode_link_supported(linktype);
	if (!sum->linktype_name) {
		snprintf(ltname, ltlen, "LINKTYPE_%u", linktype);
		sum->linktype_name = ltname;
	}
	if (!sum->link_supported)
		fprintf(stderr, "tcpnarrate: %s: link type %s (%u) is not one tcpnarrate decodes; "
			"its packets are counted and skipped\n", name, sum->linktype_name, linktype);
}

/* --html -: the page is standard output, and the only output. */
static bool html_to_stdout(const struct tn_cli_opts *o)
{
	return o->html_file && strcmp(o->html_file, "-") == 0;
}

/*
 * The renderer for standard output, and with --html a tee of it and the page
 * renderer writing to `page` (opened by the caller, who closes it after the
 * renderer is destroyed).
 */
static int make_renderer(const struct tn_cli_opts *o, const struct tn_render_opts *ro,
			 FILE *page, struct tn_renderer **rend, char *err, size_t errlen)
{
	struct tn_renderer *out = NULL, *html = NULL;
	struct tn_render_opts ho = *ro;
	ho.out = page;
	ho.color = false;
	ho.ascii = false;
	if (html_to_stdout(o))
		return tn_renderer_create(rend, "html", &ho, err, errlen);
	if (tn_renderer_create(&out, o->renderer, ro, err, errlen) < 0)
		return -1;
	if (!page) {
		*rend = out;
		return 0;
	}
	if (tn_renderer_create(&html, "html", &ho, err, errlen) < 0) {
		tn_renderer_destroy(out);
		return -1;
	}
	return tn_renderer_create_tee(rend, out, html, err, errlen);
}

static int make_pipeline(const struct tn_cli_opts *o, struct tn_capture *cap, FILE *out,
			 const struct tn_summary *sum, FILE *page, struct tn_renderer **rend,
			 struct tn_records **rec, struct tn_pipeline **pipe, char *err, size_t errlen)
{
	struct tn_render_opts ro = {
		.out = out,
		.detail = o->detail,
		.focus = o->focus,
		.color = want_color(o->color),
		.ascii = o->ascii || !charset_is_utf8(),
		.ts_digits = tn_capture_ts_digits(cap),
		.width = output_width(o->width),
	};
	if (o->records) {
		if (tn_records_create(rec, o, &ro, rend, err, errlen) < 0)
			return -1;
	} else if (make_renderer(o, &ro, page, rend, err, errlen) < 0) {
		return -1;
	}
	struct tn_pipeline_opts po = {
		.run = { .source = sum->source, .linktype = sum->linktype,
			 .linktype_name = sum->linktype_name,
			 .reference = tn_capture_is_reference(cap) },
		.max_flows = o->max_flows,
		.msl_ns = (int64_t)o->msl_sec * 1000000000,
		.idle_ns = (int64_t)o->idle_sec * 1000000000,
		.compare = o->compare,
		.only_conn = o->only_conn,
		.max_segments = o->max_segments,
		.inner = o->inner,
		.shard = o->shard,
		.shards = o->shards,
	};
	if (tn_pipeline_create(pipe, &po, *rend, err, errlen) < 0)
		return -1;
	tn_records_set_pipeline(*rec, *pipe);
	return 0;
}

/*
 * --conn N with -w: the frame fed last goes to the file when it is
 * connection N's. An IP fragment is held back until its datagram is whole;
 * the frame that completes it brings the others out, into the file (before
 * it, in the order they came) or let go.
 */
static void dump_chosen(struct tn_capture *cap, const struct tn_pipeline *pipe, uint64_t conn,
			uint64_t n)
{
	if (tn_pipeline_last_held(pipe)) {
		tn_capture_hold_last(cap, n);
		return;
	}
	bool mine = tn_pipeline_last_conn(pipe) == conn;
	const struct tn_reasm_done *d = tn_pipeline_last_datagram(pipe);
	for (unsigned i = 0; d && i < d->n_frags; i++) {
		if (d->frags[i].n == n)
			continue;
		if (mine)
			tn_capture_dump_held(cap, d->frags[i].n);
		else
			tn_capture_let_go(cap, d->frags[i].n);
	}
	if (mine)
		tn_capture_dump_last(cap);
}

/*
 * Frames from the source into the engine until the end, a stop, or a closed
 * output. dump_conn (--conn N with -w): only the frames of that connection
 * are written, once the engine has said whose each frame is.
 */
static int feed_frames(struct source *src, struct tn_pipeline *pipe, FILE *out,
		       struct tn_progress *pg, bool *gone, char *err, size_t errlen,
		       char *file_err, size_t file_errlen)
{
	struct tn_frame frame;
	bool live = tn_capture_is_live(src->cap);
	uint64_t dump_conn = src->o->write_file ? src->o->only_conn : 0;
	int rc;
	while ((rc = next_frame(src, &frame, file_err, file_errlen)) == 1) {
		enum tn_feed f = tn_pipeline_feed(pipe, frame.linktype, &frame, err, errlen);
		if (f == TN_FEED_ERROR)
			return -2;
		if (pg->on) /* where the file is read to: asked only for the line on the terminal */
			tn_progress_update(pg, tn_capture_offset(src->cap),
					   tn_pipeline_connections(pipe));
		if (dump_conn)
			dump_chosen(src->cap, pipe, dump_conn, frame.n);
		if (live || src->o->line_buffered)
			fflush(out); /* each segment as it happens */
		if (output_gone(out)) {
			*gone = true;
			return 0;
		}
		if (f == TN_FEED_DONE)
			return 0;
	}
	return rc < 0 ? -1 : 0;
}

/* Every frame, with the progress line on standard error while a file is read. */
static int feed_all(struct source *src, struct tn_pipeline *pipe, FILE *out, bool *gone,
		    char *err, size_t errlen, char *file_err, size_t file_errlen)
{
	const struct tn_cli_opts *o = src->o;
	struct tn_progress pg;
	tn_progress_init(&pg, o->reference ? NULL : o->read_file, o->interface != NULL);
	int fed = feed_frames(src, pipe, out, &pg, gone, err, errlen, file_err, file_errlen);
	tn_progress_finish(&pg, tn_capture_offset(src->cap), tn_pipeline_connections(pipe));
	return fed;
}

/* What only the capture knows for the summary: filter and kernel counters, where it broke. */
static void capture_totals(const struct source *src, const char *error, struct tn_summary *sum)
{
	struct tn_capture *cap = src->cap;
	struct tn_capture_stats cs;
	if (tn_capture_is_live(cap) && tn_capture_stats(cap, &cs) == 0) {
		sum->have_stats = true;
		sum->received = cs.received;
		sum->dropped = cs.dropped;
		sum->if_dropped = cs.if_dropped;
	}
	sum->filtered = src->filtered + tn_capture_filtered(cap);
	sum->error = error;
}

/* How a run that read its input ends: a damaged file, no connection N, --strict, or well. */
static int end_status(const struct tn_cli_opts *o, const char *name, const char *file_err,
		      const struct tn_pipeline *pipe, const struct tn_summary *sum)
{
	if (file_err) {
		fprintf(stderr, "tcpnarrate: %s: %s\n", name, file_err);
		return TN_EXIT_INPUT;
	}
	if (o->only_conn > sum->connections) {
		/* --conn N past the last connection: the run showed nothing, and says why. */
		fprintf(stderr, "tcpnarrate: %s: no connection %" PRIu64 " (the capture has %" PRIu64
			")\n", name, o->only_conn, sum->connections);
		return TN_EXIT_INPUT;
	}
	return o->strict && tn_pipeline_differing(pipe) ? TN_EXIT_DIFFERS : TN_EXIT_OK;
}

/*
 * -w could not take every frame (other link types, or IP fragments held
 * back too long): one line each, and the run fails.
 */
static int written_all(const struct tn_cli_opts *o, const struct tn_capture *cap, int status)
{
	if (!o->write_file)
		return status;
	uint64_t held = tn_capture_not_held(cap), n = tn_capture_not_written(cap);
	if (held)
		fprintf(stderr, "tcpnarrate: %s: %" PRIu64 " IP fragment%s not written: more frames "
			"waited for their datagrams than -w holds back (%u frames, %u MiB)\n",
			o->write_file, held, held == 1 ? "" : "s", TN_CAPTURE_HOLD_FRAMES,
			TN_CAPTURE_HOLD_MIB);
	if (n == 0)
		return held ? TN_EXIT_INPUT : status;
	fprintf(stderr, "tcpnarrate: %s: %" PRIu64 " frame%s not written: a pcap file holds one "
		"link type, %s, and %s another\n", o->write_file, n, n == 1 ? "" : "s",
		tn_capture_linktype_name(cap) ? tn_capture_linktype_name(cap) : "the first",
		n == 1 ? "it had" : "they had");
	return TN_EXIT_INPUT;
}

/* The run's name: the file, or the first file and how many follow it. */
static const char *run_name(const struct tn_cli_opts *o, char *buf, size_t len)
{
	if (o->reference)
		return "the reference connection";
	if (o->interface)
		return o->interface;
	const char *first = strcmp(o->read_file, "-") == 0 ? "(standard input)" : o->read_file;
	if (o->n_read_files < 2)
		return first;
	snprintf(buf, len, "%s and %zu more file%s", first, o->n_read_files - 1,
		 o->n_read_files == 2 ? "" : "s");
	return buf;
}

/* --html FILE: opens the page for writing; NULL without --html, or -1 with err. */
static int open_page(const struct tn_cli_opts *o, FILE **page, char *err, size_t errlen)
{
	*page = NULL;
	if (!o->html_file)
		return 0;
	if (html_to_stdout(o)) {
		*page = stdout;
		return 0;
	}
	*page = fopen(o->html_file, "w");
	if (!*page) {
		snprintf(err, errlen, "cannot write: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * Destroys the renderer and closes the page. A page is kept only when the run
 * reached its end and the page renderer did not refuse it (too many
 * segments); else it is removed and, when refused or not written, the run
 * fails with one line naming the page.
 */
static int finish_page(const struct tn_cli_opts *o, struct tn_renderer *rend, FILE *page,
		       bool ended, int status)
{
	char why[TN_ERRBUF_SIZE] = "";
	/* Standard output's failure is said once: by the run, when it saw it first. */
	bool said = page && html_to_stdout(o) && ferror(page);
	const char *f = rend && ended ? tn_renderer_failure(rend) : NULL;
	if (f)
		snprintf(why, sizeof why, "not written: %s", f);
	tn_renderer_destroy(rend);
	if (!page)
		return status;
	struct stat sb;
	bool own = !html_to_stdout(o);  /* standard output is flushed, never removed */
	bool regular = own && fstat(fileno(page), &sb) == 0 && S_ISREG(sb.st_mode); /* not /dev/null */
	if ((own ? fclose(page) : fflush(page) | ferror(page)) != 0 && !why[0] && ended && !said)
		snprintf(why, sizeof why, "cannot write: %s", strerror(errno));
	if ((why[0] || !ended) && regular)
		remove(o->html_file);
	if (!why[0])
		return status;
	fprintf(stderr, "tcpnarrate: %s: %s\n", own ? o->html_file : "standard output", why);
	return TN_EXIT_INPUT;
}

int tn_cli_run(const struct tn_cli_opts *o)
{
	if (o->merge)
		return tn_cli_merge(o);
	if (o->jobs > 1)
		return tn_cli_jobs(o);
	return tn_cli_run_to(o, stdout);
}

/*
 * The source opened (stdout buffered for it) and, with --html, the page:
 * -1 after the one line that says why not.
 */
static int start(struct source *src, FILE **page, char *err, size_t errlen)
{
	/* To a file or a pipe in large writes (a live capture flushes each segment). */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, OUT_BUF);
	if (strcmp(src->name, "-") == 0)
		src->name = "(standard input)";
	if (open_source(src, err, errlen) < 0) {
		fprintf(stderr, "tcpnarrate: %s: %s\n", src->name, err);
		tn_capture_destroy(src->cap);
		return -1;
	}
	if (tn_capture_is_live(src->cap))
		g_live = src->cap;
	g_stop = 0; /* a run before this one in the process (the fuzzer's) may have set it */
	tn_capture_stop_flag(&g_stop);
	catch_stop_signals();
	if (open_page(src->o, page, err, errlen) < 0) {
		fprintf(stderr, "tcpnarrate: %s: %s\n", src->o->html_file, err);
		g_live = NULL;
		tn_capture_destroy(src->cap);
		return -1;
	}
	return 0;
}

int tn_cli_run_to(const struct tn_cli_opts *o, FILE *out)
{
	char err[TN_ERRBUF_SIZE], file_err[TN_ERRBUF_SIZE] = "", ltname[32], namebuf[4200];
	const char *name = run_name(o, namebuf, sizeof namebuf);
	struct source src = { .o = o, .name = o->n_read_files ? o->read_files[0] : name };
	struct tn_renderer *rend = NULL;
	struct tn_records *rec = NULL;
	struct tn_pipeline *pipe = NULL;
	struct tn_summary sum = { 0 };
	FILE *page = NULL;
	bool gone = false, ended = false;
	int status = TN_EXIT_INPUT;

	if (start(&src, &page, err, sizeof err) < 0)
		return TN_EXIT_INPUT;
	describe_source(src.cap, name, ltname, sizeof ltname, &sum);
	if (make_pipeline(o, src.cap, out, &sum, page, &rend, &rec, &pipe, err, sizeof err) < 0)
		goto err_msg;
	int fed = feed_all(&src, pipe, out, &gone, err, sizeof err, file_err, sizeof file_err);
	if (fed == -2)
		goto err_msg;
	if (gone)
		goto quiet_exit;

	capture_totals(&src, fed < 0 ? file_err : NULL, &sum);
	if (tn_pipeline_finish(pipe, &sum, err, sizeof err) < 0)
		goto err_msg;
	tn_records_finish(rec);
	ended = true;
	if (output_failed(out, err, sizeof err))
		goto out_err;
	status = end_status(o, fed < 0 ? src.name : name, fed < 0 ? file_err : NULL, pipe, &sum);
	status = written_all(o, src.cap, status);
	goto done;

out_err:
	if (output_gone(out))
		goto quiet_exit;
	fprintf(stderr, "tcpnarrate: standard output: %s\n", err);
	status = TN_EXIT_INPUT;
	goto done;

quiet_exit:
	status = TN_EXIT_OK;
	goto done;
err_msg:
	fflush(out);
	fprintf(stderr, "tcpnarrate: %s: %s\n", src.name, err);
	status = TN_EXIT_INPUT;
done:
	g_live = NULL;
	tn_pipeline_destroy(pipe);
	tn_records_destroy(rec);
	status = finish_page(o, rend, page, ended, status);
	tn_capture_destroy(src.cap);
	return status;
}
