/*
 * options.c — parsing the command line, tcpdump-style: options first, then
 * an optional BPF filter expression made of all remaining arguments.
 */
#define _POSIX_C_SOURCE 200809L /* getdelim, strtok */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum long_only { OPT_JSON = 256, OPT_COLOR, OPT_MAX_FLOWS, OPT_CONN, OPT_MSL, OPT_IDLE, OPT_REFERENCE, OPT_WRITE_REFERENCE, OPT_COMPARE, OPT_STRICT,
		OPT_SUMMARY, OPT_PROBLEMS, OPT_ASCII, OPT_INNER, OPT_READ_LIST, OPT_SHARD, OPT_JOBS,
		OPT_RECORDS, OPT_MERGE, OPT_LADDER, OPT_WIDTH,
		OPT_HTML };

static const struct option long_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "interface", required_argument, NULL, 'i' },
	{ "write", required_argument, NULL, 'w' },
	{ "list-interfaces", no_argument, NULL, 'D' },
	{ "snapshot-length", required_argument, NULL, 's' },
	{ "buffer-size", required_argument, NULL, 'B' },
	{ "relinquish-privileges", required_argument, NULL, 'Z' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "line-buffered", no_argument, NULL, 'l' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "count", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "ladder", no_argument, NULL, OPT_LADDER },
	{ "width", required_argument, NULL, OPT_WIDTH },
	{ "html", required_argument, NULL, OPT_HTML },
	{ "color", required_argument, NULL, OPT_COLOR },
	{ "colour", required_argument, NULL, OPT_COLOR },
	{ "ascii", no_argument, NULL, OPT_ASCII },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "conn", required_argument, NULL, OPT_CONN },
	{ "msl", required_argument, NULL, OPT_MSL },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "reference", no_argument, NULL, OPT_REFERENCE },
	{ "compare", no_argument, NULL, OPT_COMPARE },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "problems", no_argument, NULL, OPT_PROBLEMS },
	{ "inner", required_argument, NULL, OPT_INNER },
	{ "write-reference", required_argument, NULL, OPT_WRITE_REFERENCE },
	{ "read-list", required_argument, NULL, OPT_READ_LIST },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ "jobs", required_argument, NULL, OPT_JOBS },
	{ "records", no_argument, NULL, OPT_RECORDS },
	{ "merge", no_argument, NULL, OPT_MERGE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage_output(FILE *out);

/* The two filters and the exit statuses: the end of --help. */
static void usage_filters(FILE *out)
{
	fputs(
"\n"
"The filter expression uses pcap-filter(7) syntax, as in tcpdump:\n"
"  tcpnarrate -r capture.pcap port 80 and host 10.0.2.10\n"
"Through a tunnel it sees the outer headers, as in tcpdump; --inner sees\n"
"the inner ones:\n"
"  tcpnarrate -r vxlan.pcap --inner 'host 10.0.0.1 and port 80' udp port 4789\n"
"\n"
"Exit status: 0 when the input was read to the end, 1 when it could not be\n"
"read (or was damaged part-way, or has no connection N for --conn N), 2 for\n"
"a usage error, 3 with --compare --strict when a connection differs from\n"
"the textbook.\n", out);
}

/* The options of what to read and how much to show. */
static void usage_first(FILE *out)
{
	fputs(
"Usage: tcpnarrate -r FILE [-r FILE...] [options] [filter expression]\n"
"       tcpnarrate -i INTERFACE [options] [filter expression]\n"
"       tcpnarrate -D\n"
"       tcpnarrate --merge RECORDS...\n"
"Narrates every TCP segment of a capture or of live traffic: each IP and TCP\n"
"header field, labelled, with its value and what it means, and both\n"
"endpoints' TCP states.\n"
"\n"
"  -r, --read FILE      read a .pcap or .pcapng file ('-' for standard input);\n"
"                       several -r: the files in order, as one capture\n"
"      --read-list FILE read the files FILE lists, one a line, as one capture\n"
"  -i, --interface IF   capture live on IF ('any' for all); needs root or\n"
"                       CAP_NET_RAW and CAP_NET_ADMIN; Ctrl-C stops\n"
"  -D                   list the interfaces that can be captured on\n"
"      --reference      narrate the built-in textbook connection (curl fetching\n"
"                       a 200-byte page; 11 segments) with the ideas behind it\n"
"      --write-reference FILE  write the textbook connection to a pcap file\n"
"      --compare        after each connection, how it differs from the textbook\n"
"                       one, step by step, and what that cost in round trips\n"
"      --strict         with --compare: exit 3 when any connection differs\n"
"  -w, --write FILE     also write every packet captured to a pcap file (with\n"
"                       --conn N, only connection N's)\n"
"  -s SNAPLEN           bytes kept of each live packet (default 262144)\n"
"  -B KIB               kernel capture buffer size in KiB\n"
"  -Z USER              user to run as after opening the interface as root\n"
"                       (default nobody)\n", out);
	usage_output(out);
}

/* The options that choose what is shown and how. */
static void usage_output(FILE *out)
{
	fputs(
"  -q, --quiet          one line per segment\n"
"  -v, --verbose        also explain what every field is for\n"
"      --json           JSON Lines: one object per segment, then a summary\n"
"      --ladder         a ladder diagram: client left, server right, one arrow\n"
"                       per segment, each side's state beside its column\n"
"      --width N        columns the ladder may use (default: the terminal's\n"
"                       width, else $COLUMNS, else 80; 64 to 400)\n"
"      --html FILE      also write FILE: one self-contained web page that draws\n"
"                       the run (ladder, headers, states, verdicts, time-\n"
"                       sequence graph); standard output keeps the narration\n"
"                       (add --summary for one line a connection); at most\n"
"                       50000 segments; --html - writes the page alone to\n"
"                       standard output\n"
"      --summary        only the connection reports, one line (object) each\n"
"      --problems       only the segments with a verdict, each after the one\n"
"                       before it on its connection, and the reports of the\n"
"                       connections that had one\n"
"  -c, --count N        stop after N TCP segments\n"
"  -l, --line-buffered  write out what each packet brings at once, not in\n"
"                       large blocks, when standard output is not a terminal\n"
"                       (... | grep, | tee: a live capture always does)\n", out);
}

void tn_cli_usage(FILE *out)
{
	usage_first(out);
	fputs(

"      --color=WHEN     auto (default: on a terminal, unless NO_COLOR is set),\n"
"                       always or never\n"
"      --ascii          text in ASCII only (->, *, x for arrows, dots and signs);\n"
"                       the default when the locale's charset is not UTF-8\n"
"      --conn N         narrate only connection N (numbered as they appear);\n"
"                       exit 1 when there is none\n"
"      --msl SECONDS    maximum segment lifetime; TIME-WAIT lasts twice this in\n"
"                       capture time (default 30, so 60 s as on Linux)\n"
"      --idle-timeout S forget a connection after S seconds of capture time with\n"
"                       no segment (default 7500, longer than the 2-hour\n"
"                       keep-alive interval of Linux, Windows and macOS); it\n"
"                       is reported as idle\n"
"      --max-flows N    connections tracked at once (default 131072); when full,\n"
"                       the least recently active half-open or closed one is\n"
"                       evicted (else the least recently active), and counted\n"
"      --inner EXPR     narrate only segments whose decoded (innermost) headers\n"
"                       match EXPR: terms 'host ADDR', 'net ADDR/LEN', 'port N'\n"
"                       (each may start with src or dst) joined by 'and'\n"
"      --jobs N         narrate in N processes (shards of the connections) and\n"
"                       merge their output: the same bytes as one process\n"
"      --shard I/N      narrate only the connections of shard I (0 to N-1) of N;\n"
"                       shard 0 also shows what belongs to no connection and\n"
"                       the summary\n"
"      --records        with --shard: write merge records, for --merge\n"
"      --merge          merge the record files named as arguments (every shard\n"
"                       of one run) into the run's output\n"
"  -h, --help           this help\n"
"  -V, --version        version and library versions\n", out);
	usage_filters(out);
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static char *join_args(int n, char **args)
{
	size_t len = 1;
	for (int i = 0; i < n; i++)
		len += strlen(args[i]) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, args[i]);
	}
	return s;
}

/* -r FILE: one more file of the capture, after those given before it. */
static int add_read_file(struct tn_cli_opts *o, const char *path, char *err, size_t errlen)
{
	const char **files = realloc(o->read_files, (o->n_read_files + 1) * sizeof *files);
	if (!files) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	files[o->n_read_files++] = path;
	o->read_files = files;
	o->read_file = files[0];
	return 0;
}

/* --read-list FILE: its lines are files to read in order; blank lines and '#' lines are not. */
static int read_list(struct tn_cli_opts *o, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0;
	if (!f || o->list_buf) {
		snprintf(err, errlen, "--read-list %s: %s", path,
			 f ? "give one list" : strerror(errno));
		goto err_file;
	}
	ssize_t n = getdelim(&o->list_buf, &cap, '\0', f);
	if (n < 0 || ferror(f)) {
		snprintf(err, errlen, "--read-list %s: %s", path, n < 0 ? "empty" : strerror(errno));
		goto err_file;
	}
	fclose(f);
	for (char *line = strtok(o->list_buf, "\n"); line; line = strtok(NULL, "\n")) {
		line[strcspn(line, "\r")] = '\0';
		if (*line && *line != '#' && add_read_file(o, line, err, errlen) < 0)
			return -1;
	}
	if (!o->n_read_files) {
		snprintf(err, errlen, "--read-list %s lists no file", path);
		return -1;
	}
	return 0;

err_file:
	if (f)
		fclose(f);
	return -1;
}

/* --shard I/N: 0 <= I < N <= TN_MAX_SHARDS. */
static int parse_shard(const char *s, struct tn_cli_opts *o, char *err, size_t errlen)
{
	char buf[48];
	uint64_t i, n;
	const char *slash = strchr(s, '/');
	if (slash && (size_t)(slash - s) < sizeof buf) {
		memcpy(buf, s, (size_t)(slash - s));
		buf[slash - s] = '\0';
		if (parse_u64(buf, UINT32_MAX, &i) == 0 &&
		    parse_u64(slash + 1, TN_MAX_SHARDS, &n) == 0 && n > 0 && i < n) {
			o->shard = (uint32_t)i;
			o->shards = (uint32_t)n;
			return 0;
		}
	}
	snprintf(err, errlen, "--shard wants I/N with 0 <= I < N <= %u (e.g. 0/4), not '%s'",
		 TN_MAX_SHARDS, s);
	return -1;
}

/* The options of several files and of shards: -r, --read-list, --shard, --jobs, --records, --merge. */
static int parse_scale_opt(int c, const char *arg, struct tn_cli_opts *o, char *err,
			   size_t errlen)
{
	uint64_t v;
	switch (c) {
	case 'r':
		return add_read_file(o, arg, err, errlen);
	case OPT_READ_LIST:
		return read_list(o, arg, err, errlen);
	case OPT_SHARD:
		return parse_shard(arg, o, err, errlen);
	case OPT_JOBS:
		if (parse_u64(arg, TN_MAX_SHARDS, &v) < 0 || v == 0) {
			snprintf(err, errlen, "--jobs wants a number from 1 to %u, not '%s'",
				 TN_MAX_SHARDS, arg);
			return -1;
		}
		o->jobs = (uint32_t)v;
		return 0;
	case OPT_RECORDS:
		o->records = true;
		return 0;
	default:
		o->merge = true;
		return 0;
	}
}

/* The options of --jobs, --shard, --records and --merge that do not go together. */
static const char *conflict_of(const struct tn_cli_opts *o)
{
	bool stdin_read = false;
	for (size_t i = 0; i < o->n_read_files; i++)
		stdin_read |= strcmp(o->read_files[i], "-") == 0;
	if (o->merge)
		return o->n_read_files || o->interface || o->reference || o->jobs > 1 || o->shards
		       ? "--merge reads record files only: give no other source, --jobs or --shard"
		       : !o->n_merge_files ? "--merge wants the record files of every shard" : NULL;
	if (o->records && !o->shards)
		return "--records goes with --shard I/N";
	if ((o->jobs > 1 || o->shards) && o->reference)
		return "--jobs and --shard do not go with --reference (one connection)";
	if (o->jobs > 1 && o->shards)
		return "--jobs and --shard: choose one";
	if ((o->jobs > 1 || o->shards) && o->html_file)
		return "--jobs and --shard do not go with --html (one page, written by one process)";
	if ((o->jobs > 1 || o->shards) && strcmp(o->renderer, "ladder") == 0)
		return "--jobs and --shard do not go with --ladder (one picture, drawn in order)";
	if (o->jobs > 1 && o->interface)
		return "--jobs reads files (every job reads the file itself): record with -w, "
		       "then narrate the file with --jobs";
	if (o->jobs > 1 && stdin_read)
		return "--jobs cannot read standard input: every job reads the file itself";
	if (o->jobs > 1 && o->write_file)
		return "--jobs with -w: write the file in a run without --jobs";
	if (o->n_read_files > 1 && o->write_file)
		return "-w with several -r files: write each file's connection in its own run";
	return NULL;
}

/* true, with the message in err, when options of several files and shards conflict. */
static bool scale_conflict(const struct tn_cli_opts *o, char *err, size_t errlen)
{
	const char *conflict = conflict_of(o);
	err[0] = '\0';
	if (conflict)
		snprintf(err, errlen, "%s", conflict);
	return conflict != NULL;
}

/* The options of the capture: -i, -w, -D, -s, -B, -Z: 1 when c is one of them, 0 when not, -1 with err when its value is wrong. */
static int opt_capture(int c, const char *arg, struct tn_cli_opts *o, char *err, size_t errlen)
{
	uint64_t v;
	switch (c) {
	case 'i':
		o->interface = arg;
		return 1;
	case 'w':
		o->write_file = arg;
		return 1;
	case 'D':
		o->list_interfaces = true;
		return 1;
	case 's':
		if (parse_u64(arg, 262144, &v) < 0) {
			snprintf(err, errlen, "-s wants a snapshot length from 0 to 262144, not '%s'",
				 arg);
			return -1;
		}
		o->snaplen = (int)v;
		return 1;
	case 'B':
		if (parse_u64(arg, 4u << 20, &v) < 0 || v == 0) {
			snprintf(err, errlen, "-B wants a buffer size in KiB from 1 to %u, not '%s'",
				 4u << 20, arg);
			return -1;
		}
		o->buffer_kib = (int)v;
		return 1;
	case 'Z':
		o->user = arg;
		return 1;
	default:
		return 0;
	}
}

/* The options of what is shown and how: 1 when c is one of them, 0 when not, -1 with err when its value is wrong. */
static int opt_output(int c, const char *arg, struct tn_cli_opts *o, char *err, size_t errlen)
{
	uint64_t v;
	switch (c) {
	case 'q':
		o->detail = TN_DETAIL_QUIET;
		return 1;
	case 'v':
		o->detail = TN_DETAIL_VERBOSE;
		return 1;
	case 'l':
		o->line_buffered = true;
		return 1;
	case 'c':
		if (parse_u64(arg, UINT64_MAX, &v) < 0 || v == 0) {
			snprintf(err, errlen, "-c wants a positive whole number, not '%s'", arg);
			return -1;
		}
		o->max_segments = v;
		return 1;
	case OPT_JSON:
	case OPT_LADDER: {
		const char *want = c == OPT_JSON ? "json" : "ladder";
		if (strcmp(o->renderer, "text") != 0 && strcmp(o->renderer, want) != 0) {
			snprintf(err, errlen, "--json and --ladder: choose one");
			return -1;
		}
		o->renderer = want;
		return 1;
	}
	case OPT_WIDTH:
		if (parse_u64(arg, 400, &v) < 0 || v < 64) {
			snprintf(err, errlen, "--width wants columns from 64 to 400, not '%s'",
				 arg);
			return -1;
		}
		o->width = (int)v;
		return 1;
	case OPT_HTML:
		if (!*arg) {
			snprintf(err, errlen, "--html wants a file name");
			return -1;
		}
		o->html_file = arg;
		return 1;
	default:
		return 0;
	}
}
/* The options of colour, character set and focus: as opt_capture. */
static int opt_look(int c, const char *arg, struct tn_cli_opts *o, char *err, size_t errlen)
{
	switch (c) {
	case OPT_COLOR:
		if (strcmp(arg, "auto") == 0)
			o->color = TN_COLOR_AUTO;
		else if (strcmp(arg, "always") == 0)
			o->color = TN_COLOR_ALWAYS;
		else if (strcmp(arg, "never") == 0)
			o->color = TN_COLOR_NEVER;
		else {
			snprintf(err, errlen, "--color wants auto, always or never, not '%s'",
				 arg);
			return -1;
		}
		return 1;
	case OPT_ASCII:
		o->ascii = true;
		return 1;
	case OPT_SUMMARY:
	case OPT_PROBLEMS: {
		enum tn_focus f = c == OPT_SUMMARY ? TN_FOCUS_SUMMARY : TN_FOCUS_PROBLEMS;
		if (o->focus != TN_FOCUS_ALL && o->focus != f) {
			snprintf(err, errlen, "--summary and --problems: choose one");
			return -1;
		}
		o->focus = f;
		return 1;
	}
	default:
		return 0;
	}
}


/* The options of tracking and comparing: 1 when c is one of them, 0 when not, -1 with err when its value is wrong. */
static int opt_tracking(int c, const char *arg, struct tn_cli_opts *o, char *err, size_t errlen)
{
	uint64_t v;
	switch (c) {
	case OPT_MAX_FLOWS:
		if (parse_u64(arg, 1u << 28, &v) < 0 || v == 0) {
			snprintf(err, errlen, "--max-flows wants a number from 1 to %u, not '%s'",
				 1u << 28, arg);
			return -1;
		}
		o->max_flows = (uint32_t)v;
		return 1;
	case OPT_CONN:
		if (parse_u64(arg, UINT64_MAX, &v) < 0 || v == 0) {
			snprintf(err, errlen, "--conn wants a connection number (1, 2, ...), not '%s'",
				 arg);
			return -1;
		}
		o->only_conn = v;
		return 1;
	case OPT_MSL:
		if (parse_u64(arg, 86400, &v) < 0) {
			snprintf(err, errlen, "--msl wants seconds from 0 to 86400, not '%s'", arg);
			return -1;
		}
		o->msl_sec = (uint32_t)v;
		return 1;
	case OPT_REFERENCE:
		o->reference = true;
		return 1;
	case OPT_COMPARE:
		o->compare = true;
		return 1;
	case OPT_STRICT:
		o->strict = true;
		return 1;
	case OPT_WRITE_REFERENCE:
		o->write_reference = arg;
		return 1;
	case OPT_INNER:
		if (tn_inner_parse(arg, &o->inner, err, errlen) < 0)
			return -1;
		return 1;
	case OPT_IDLE:
		if (parse_u64(arg, 30u * 86400, &v) < 0 || v == 0) {
			snprintf(err, errlen, "--idle-timeout wants seconds from 1 to %u, not '%s'",
				 30u * 86400, arg);
			return -1;
		}
		o->idle_sec = (uint32_t)v;
		return 1;
	default:
		return 0;
	}
}

/* The checks once every option is read, and the filter words left. */
static int parse_end(int argc, char **argv, struct tn_cli_opts *o, char *err, size_t errlen)
{
	if (o->list_interfaces || o->write_reference)
		return 0;
	if (strcmp(o->renderer, "ladder") == 0 && o->focus != TN_FOCUS_ALL) {
		snprintf(err, errlen, "--ladder draws every segment: it does not go with %s",
			 o->focus == TN_FOCUS_SUMMARY ? "--summary" : "--problems");
		return -1;
	}
	if (o->merge) {
		o->merge_files = argv + optind;
		o->n_merge_files = (size_t)(argc - optind);
	}
	if (scale_conflict(o, err, errlen) || o->merge)
		return o->merge && !err[0] ? 0 : -1;
	if (o->strict && !o->compare) {
		snprintf(err, errlen, "--strict goes with --compare");
		return -1;
	}
	if ((o->read_file != NULL) + (o->interface != NULL) + o->reference > 1) {
		snprintf(err, errlen, "%s: choose one source of packets",
			 o->reference ? "--reference with -r or -i" : "-r and -i together");
		return -1;
	}
	if (!o->read_file && !o->interface && !o->reference) {
		snprintf(err, errlen, "nothing to read: give a capture file with -r FILE or an "
			 "interface with -i IF");
		return -1;
	}
	if (optind < argc) {
		o->filter = join_args(argc - optind, argv + optind);
		if (!o->filter) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* An option getopt refused: which, and why, in err. */
static void bad_option(char **argv, char *err, size_t errlen)
{
	if (optopt && strchr("riwsBZc", optopt))
		snprintf(err, errlen, "option -%c needs a value", optopt);
	else if (optopt)
		snprintf(err, errlen, "unknown option -%c", optopt);
	else
		snprintf(err, errlen, "unknown or incomplete option '%s'", argv[optind - 1]);
}

int tn_cli_parse(int argc, char **argv, struct tn_cli_opts *o, char *err, size_t errlen)
{
	*o = (struct tn_cli_opts){
		.renderer = "text",
		.detail = TN_DETAIL_NORMAL,
		.color = TN_COLOR_AUTO,
		.max_flows = TN_FLOW_DEFAULT_MAX,
		.msl_sec = 30,
		/* Past the 7200 s keep-alive time of Linux, Windows and macOS: a
		 * connection kept alive at their defaults is never split in two. */
		.idle_sec = 7500,
	};
	int c;
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then forgets a previous parse entirely */
	/* Options may come after filter words too, as with tcpdump on Linux. */
	while ((c = getopt_long(argc, argv, "r:i:w:Ds:B:Z:qvlc:hV", long_opts, NULL)) != -1) {
		if (c == 'h' || c == 'V') {
			o->help = c == 'h';
			o->version = c == 'V';
			return 0;
		}
		int rc = opt_capture(c, optarg, o, err, errlen);
		if (rc == 0)
			rc = opt_output(c, optarg, o, err, errlen);
		if (rc == 0)
			rc = opt_look(c, optarg, o, err, errlen);
		if (rc == 0)
			rc = opt_tracking(c, optarg, o, err, errlen);
		bool scale = c == 'r' || c == OPT_READ_LIST || c == OPT_SHARD || c == OPT_JOBS ||
			     c == OPT_RECORDS || c == OPT_MERGE;
		if (rc == 0 && !scale) {
			bad_option(argv, err, errlen);
			return -1;
		}
		if (rc < 0 || (rc == 0 && parse_scale_opt(c, optarg, o, err, errlen) < 0))
			return -1;
	}
	return parse_end(argc, argv, o, err, errlen);
}

void tn_cli_opts_finish(struct tn_cli_opts *o)
{
	free(o->filter);
	o->filter = NULL;
	free(o->read_files);
	o->read_files = NULL;
	free(o->list_buf);
	o->list_buf = NULL;
}
