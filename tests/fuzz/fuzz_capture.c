/*
 * fuzz_capture.c — libFuzzer target: the whole input is a capture file, run
 * through the whole pipeline exactly as the tcpnarrate binary runs it.
 *
 * The CLI's own tn_cli_parse() and tn_cli_run() are compiled into this
 * executable (src/cli/ is not a library), so every stage and every renderer
 * runs as it does for `tcpnarrate -r FILE`. The input is written to a memfd
 * and opened by path (/proc/self/fd/N), so the capture source reads it
 * through libpcap like any file.
 *
 * Each input is run in the nine core modes — text, -v, -q, --json, each
 * without and with --compare, and --ladder — and in one extra mode picked by
 * a hash of the input (tiny flow tables that evict, --msl 0, --idle-timeout
 * 1, --conn, -c, --strict, colour, a filter, --summary, --problems, the
 * ladder in ASCII, in colour, with --compare), which is run twice
 * to check that nothing carried over from one run to the next changes the
 * result.
 *
 * Oracles besides sanitizers (TN_FUZZ_ORACLES=0 turns them off): the exit
 * status is 0 or 1 (3 with --strict); exit 1 comes with one
 * `tcpnarrate: FILE: ...` line on stderr; exit 0 prints nothing on stderr but
 * the unsupported-link-type line; text has no control bytes but newline
 * (and ESC with colour); every JSON line parses; no ladder line is wider
 * than 80 columns (colour aside); the second run of the extra
 * mode prints the same bytes and exits the same.
 *
 * Process state the run touches, and how it is kept from leaking between
 * inputs: stdout is redirected once at startup to a memfd that is emptied
 * before each run (to /dev/null when the oracles are off); stderr is the
 * `stderr` FILE pointer swapped for a memfd-backed one during each run (the
 * sanitizers and libFuzzer write to fd 2 directly, so their reports still
 * show); tn_cli_run() installs SIGINT and SIGTERM handlers on every call and
 * never restores them, so libFuzzer's handlers are put back after each run;
 * getopt's globals are reset by tn_cli_parse() itself (optind = 1).
 *
 * TN_FUZZ_DEBUG=1 prints each run's exit status and output sizes.
 *
 * Mutations: half libFuzzer's own, half record-aware ones on classic pcap
 * inputs (pcap_mutator.h): a frame mutated with its record header fixed,
 * records duplicated, dropped or swapped, timestamps moved.
 */
#include "fuzz_common.h"
#include "pcap_mutator.h"

#include <signal.h>

#include "cli.h"

/*
 * Arguments after `tcpnarrate --color=never --max-flows 8192 -r FILE`.
 * Keep in step with CORE_MODES and EXTRA_MODES in run_regressions.py.
 *
 * --max-flows 8192 instead of the default 262144: the default's 1 MiB hash
 * index, allocated and cleared ten times per input, took most of the time.
 * An input would need more than 8192 connections (over 450 KB of capture)
 * to evict anything, far beyond libFuzzer's input sizes here, so the runs
 * behave as with the default; the extra modes still set tiny limits that do
 * evict.
 */
#define MAX_ARGS 8
struct mode {
	const char *args[MAX_ARGS];
	bool color;
};

static const struct mode core_modes[] = {
	{ { NULL }, false },
	{ { "-v", NULL }, false },
	{ { "-q", NULL }, false },
	{ { "--json", NULL }, false },
	{ { "--compare", NULL }, false },
	{ { "-v", "--compare", NULL }, false },
	{ { "-q", "--compare", NULL }, false },
	{ { "--json", "--compare", NULL }, false },
	{ { "--ladder", "--width", "80", NULL }, false },
};

static const struct mode extra_modes[] = {
	{ { "-q", "--max-flows", "1", NULL }, false },
	{ { "--json", "--max-flows", "2", "--compare", NULL }, false },
	{ { "-v", "--msl", "0", NULL }, false },
	{ { "-q", "--idle-timeout", "1", "--compare", NULL }, false },
	{ { "--conn", "2", NULL }, false },
	{ { "--json", "-c", "3", NULL }, false },
	{ { "-q", "--compare", "--strict", NULL }, false },
	{ { "-v", "--color=always", NULL }, true },
	{ { "-q", "tcp", "port", "80", NULL }, false },
	{ { "--summary", "--compare", NULL }, false },
	{ { "--json", "--summary", "--max-flows", "2", NULL }, false },
	{ { "--problems", "--idle-timeout", "1", NULL }, false },
	{ { "-q", "--problems", "--max-flows", "1", NULL }, false },
	{ { "--json", "--problems", "--compare", NULL }, false },
	{ { "-v", "--ascii", "--problems", NULL }, false },
	{ { "--ladder", "--width", "80", "--ascii", "--compare", "--max-flows", "1", NULL }, false },
	{ { "--ladder", "--width", "80", "--color=always", "--conn", "2", NULL }, true },
	{ { "--ladder", "--width", "80", "--idle-timeout", "1", "--msl", "0", NULL }, false },
	{ { "-q", "--compare", "--html", "/dev/null", NULL }, false },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static int g_in_fd;
static char g_path[64];
static struct fuzz_out g_stdout, g_stderr;
static bool g_oracles, g_debug;
static struct sigaction g_sigint, g_sigterm;

/* One run's result, kept for the determinism check. */
struct result {
	int status;
	uint64_t out_hash, err_hash;
	size_t out_len, err_len;
};

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	g_oracles = fuzz_env_on("TN_FUZZ_ORACLES", 1);
	g_debug = fuzz_env_on("TN_FUZZ_DEBUG", 0);
	g_in_fd = fuzz_memfd("tn-fuzz-capture");
	snprintf(g_path, sizeof g_path, "/proc/self/fd/%d", g_in_fd);

	/* stdout, once: everything tn_cli_run() prints goes to a memfd (or /dev/null). */
	fflush(stdout);
	if (g_oracles) {
		fuzz_out_init(&g_stdout, "tn-fuzz-stdout");
		if (dup2(g_stdout.fd, STDOUT_FILENO) < 0) {
			perror("dup2");
			exit(2);
		}
		/* g_stdout.f is not used: stdout itself writes to the memfd. */
	} else if (!freopen("/dev/null", "w", stdout)) {
		perror("freopen /dev/null");
		exit(2);
	}
	fuzz_out_init(&g_stderr, "tn-fuzz-stderr");

	/* SIGPIPE as in main(); cannot happen on a memfd, but the same process state. */
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, NULL, &g_sigint);
	sigaction(SIGTERM, NULL, &g_sigterm);
	return 0;
}

static void stdout_begin(void)
{
	fflush(stdout);
	clearerr(stdout);
	if (!g_oracles)
		return;
	if (ftruncate(STDOUT_FILENO, 0) < 0 || lseek(STDOUT_FILENO, 0, SEEK_SET) < 0)
		fuzz_die("cannot reset stdout memfd: %s", strerror(errno));
}

static void stdout_end(void)
{
	fflush(stdout);
	if (!g_oracles)
		return;
	/* g_stdout.fd and fd 1 are one open file: read it back through g_stdout. */
	fuzz_out_end(&g_stdout);
}

static size_t count_lines(const uint8_t *p, size_t n)
{
	size_t lines = 0;
	for (size_t i = 0; i < n; i++)
		lines += p[i] == '\n';
	if (n && p[n - 1] != '\n')
		lines++;
	return lines;
}

/* Columns of the widest line: UTF-8 characters, colour (ESC [ ... m) left out. */
static size_t widest_line(const uint8_t *p, size_t n)
{
	size_t most = 0, cols = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n') {
			cols = 0;
		} else if (p[i] == 0x1b) {
			while (i < n && p[i] != 'm' && p[i] != '\n')
				i++;
		} else if ((p[i] & 0xc0) != 0x80 && ++cols > most) {
			most = cols;
		}
	}
	return most;
}

static void describe(const struct mode *m, char *buf, size_t len)
{
	size_t o = (size_t)snprintf(buf, len, "tcpnarrate --color=never --max-flows 8192 -r FILE");
	for (size_t i = 0; m->args[i] && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, " %s", m->args[i]);
}

/* Checks what one run printed, as tests/corpus/run_corpus.py does for the binary. */
static void check(const struct mode *m, bool strict, int status)
{
	char what[256];
	describe(m, what, sizeof what);
	if (status != 0 && status != 1 && !(strict && status == 3))
		fuzz_die("%s: exit status %d", what, status);

	/* stderr: one line per problem, naming the file. */
	char prefix[128];
	snprintf(prefix, sizeof prefix, "tcpnarrate: %s: ", g_path);
	const char *err = (const char *)g_stderr.buf;
	size_t lines = count_lines(g_stderr.buf, g_stderr.len);
	const char *unsupported = strstr(err, "is not one tcpnarrate decodes");
	size_t allowed_extra = unsupported ? 1 : 0;
	if (status == 1) {
		const char *last = err;
		for (const char *nl; (nl = strchr(last, '\n')) && nl[1]; last = nl + 1)
			;
		if (lines < 1 || lines > 1 + allowed_extra ||
		    strncmp(last, prefix, strlen(prefix)) != 0)
			fuzz_die("%s: exit 1 wants one line '%s...' on stderr, got:\n%s", what,
				 prefix, err);
	} else if (lines > allowed_extra) {
		fuzz_die("%s: exit %d with unexpected stderr:\n%s", what, status, err);
	}

	/* stdout */
	bool json = false, ascii = false, ladder = false;
	for (size_t i = 0; m->args[i]; i++) {
		json |= strcmp(m->args[i], "--json") == 0;
		ascii |= strcmp(m->args[i], "--ascii") == 0;
		ladder |= strcmp(m->args[i], "--ladder") == 0;
	}
	size_t wide = ladder ? widest_line(g_stdout.buf, g_stdout.len) : 0;
	if (wide > 80)
		fuzz_die("%s: a ladder line %zu columns wide", what, wide);
	if (json) {
		size_t bad = fuzz_json_bad_line(g_stdout.buf, g_stdout.len);
		if (bad)
			fuzz_die("%s: JSON output line %zu does not parse", what, bad);
	} else {
		long at = fuzz_text_bad_byte(g_stdout.buf, g_stdout.len, m->color);
		if (at >= 0)
			fuzz_die("%s: control byte 0x%02x at output offset %ld", what,
				 g_stdout.buf[at], at);
		for (size_t i = 0; ascii && i < g_stdout.len; i++)
			if (g_stdout.buf[i] >= 0x80)
				fuzz_die("%s: byte 0x%02x in --ascii output at offset %zu", what,
					 g_stdout.buf[i], i);
	}
}

static struct result run_mode(const struct mode *m)
{
	/* getopt may permute argv: give it writable copies every time. */
	char a0[] = "tcpnarrate", a1[] = "--color=never", a2[] = "--max-flows", a3[] = "8192",
	     a4[] = "-r";
	char *argv[MAX_ARGS + 7] = { a0, a1, a2, a3, a4, g_path };
	char copies[MAX_ARGS][32];
	int argc = 6;
	for (size_t i = 0; m->args[i]; i++) {
		snprintf(copies[i], sizeof copies[i], "%s", m->args[i]);
		argv[argc++] = copies[i];
	}
	argv[argc] = NULL;

	struct tn_cli_opts o;
	char perr[256];
	if (tn_cli_parse(argc, argv, &o, perr, sizeof perr) < 0)
		fuzz_die("harness: tcpnarrate rejects its own mode: %s", perr);
	bool strict = o.strict;

	stdout_begin();
	fuzz_out_begin(&g_stderr);
	FILE *real_stderr = stderr;
	stderr = g_stderr.f;
	int status = tn_cli_run(&o);
	stderr = real_stderr;
	/* tn_cli_run() took SIGINT and SIGTERM for itself: give them back to libFuzzer. */
	sigaction(SIGINT, &g_sigint, NULL);
	sigaction(SIGTERM, &g_sigterm, NULL);
	stdout_end();
	fuzz_out_end(&g_stderr);
	tn_cli_opts_finish(&o);

	struct result r = { .status = status };
	if (g_debug) {
		char what[256];
		describe(m, what, sizeof what);
		fprintf(stderr, "%s: exit %d, %zu bytes on stdout, %zu on stderr\n", what, status,
			g_oracles ? g_stdout.len : 0, g_stderr.len);
	}
	if (g_oracles) {
		check(m, strict, status);
		r.out_hash = fuzz_hash(g_stdout.buf, g_stdout.len);
		r.out_len = g_stdout.len;
		r.err_hash = fuzz_hash(g_stderr.buf, g_stderr.len);
		r.err_len = g_stderr.len;
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_memfd_set(g_in_fd, data, size);
	for (size_t i = 0; i < N(core_modes); i++)
		run_mode(&core_modes[i]);

	const struct mode *extra = &extra_modes[fuzz_hash(data, size) % N(extra_modes)];
	struct result a = run_mode(extra);
	struct result b = run_mode(extra);
	if (g_oracles && (a.status != b.status || a.out_hash != b.out_hash ||
			  a.out_len != b.out_len || a.err_hash != b.err_hash)) {
		char what[256];
		describe(extra, what, sizeof what);
		fuzz_die("%s: a second run gave something else (exit %d, %zu bytes out, %zu err; "
			 "then exit %d, %zu bytes out, %zu err)", what, a.status, a.out_len,
			 a.err_len, b.status, b.out_len, b.err_len);
	}
	return 0;
}
