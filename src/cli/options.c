/*
 * options.c — parsing the command line, tcpdump-style: options first, then
 * an optional BPF filter expression made of all remaining arguments.
 */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum long_only { OPT_JSON = 256, OPT_COLOR, OPT_MAX_FLOWS, OPT_CONN, OPT_MSL, OPT_IDLE, OPT_REFERENCE, OPT_WRITE_REFERENCE, OPT_COMPARE, OPT_STRICT,
		OPT_SUMMARY, OPT_PROBLEMS, OPT_ASCII, OPT_HTML };

static const struct option long_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "interface", required_argument, NULL, 'i' },
	{ "write", required_argument, NULL, 'w' },
	{ "list-interfaces", no_argument, NULL, 'D' },
	{ "snapshot-length", required_argument, NULL, 's' },
	{ "buffer-size", required_argument, NULL, 'B' },
	{ "relinquish-privileges", required_argument, NULL, 'Z' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "count", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, OPT_JSON },
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
	{ "write-reference", required_argument, NULL, OPT_WRITE_REFERENCE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* The options that choose what the narration looks like. */
static void usage_output(FILE *out)
{
	fputs(
"  -q, --quiet          one line per segment\n"
"  -v, --verbose        also explain what every field is for\n"
"      --json           JSON Lines: one object per segment, then a summary\n"
"      --html FILE      also write FILE: one self-contained web page that draws\n"
"                       the run (ladder, headers, states, verdicts, time-\n"
"                       sequence graph); standard output keeps the narration\n"
"                       (add --summary for one line a connection); at most\n"
"                       50000 segments\n"
"      --summary        only the connection reports, one line (object) each\n"
"      --problems       only the segments with a verdict, each after the one\n"
"                       before it on its connection, and the reports of the\n"
"                       connections that had one\n"
"  -c, --count N        stop after N TCP segments\n"
"      --color=WHEN     auto (default: on a terminal, unless NO_COLOR is set),\n"
"                       always or never\n"
"      --ascii          text in ASCII only (->, *, x for arrows, dots and signs);\n"
"                       the default when the locale's charset is not UTF-8\n", out);
}

void tn_cli_usage(FILE *out)
{
	fputs(
"Usage: tcpnarrate -r FILE [options] [filter expression]\n"
"       tcpnarrate -i INTERFACE [options] [filter expression]\n"
"       tcpnarrate -D\n"
"Narrates every TCP segment of a capture or of live traffic: each IP and TCP\n"
"header field, labelled, with its value and what it means, and both\n"
"endpoints' TCP states.\n"
"\n"
"  -r, --read FILE      read a .pcap or .pcapng file ('-' for standard input)\n"
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
	fputs(
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
"  -h, --help           this help\n"
"  -V, --version        version and library versions\n"
"\n"
"The filter expression uses pcap-filter(7) syntax, as in tcpdump:\n"
"  tcpnarrate -r capture.pcap port 80 and host 10.0.2.10\n"
"\n"
"Exit status: 0 when the input was read to the end, 1 when it could not be\n"
"read (or was damaged part-way, or has no connection N for --conn N), 2 for\n"
"a usage error, 3 with --compare --strict when a connection differs from\n"
"the textbook.\n", out);
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
	uint64_t v;
	opterr = 0;
	optind = 0; /* 0, not 1: glibc then forgets a previous parse entirely */
	/* Options may come after filter words too, as with tcpdump on Linux. */
	while ((c = getopt_long(argc, argv, "r:i:w:Ds:B:Z:qvc:hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			o->read_file = optarg;
			break;
		case 'i':
			o->interface = optarg;
			break;
		case 'w':
			o->write_file = optarg;
			break;
		case 'D':
			o->list_interfaces = true;
			break;
		case 's':
			if (parse_u64(optarg, 262144, &v) < 0) {
				snprintf(err, errlen, "-s wants a snapshot length from 0 to 262144, not '%s'",
					 optarg);
				return -1;
			}
			o->snaplen = (int)v;
			break;
		case 'B':
			if (parse_u64(optarg, 4u << 20, &v) < 0 || v == 0) {
				snprintf(err, errlen, "-B wants a buffer size in KiB from 1 to %u, not '%s'",
					 4u << 20, optarg);
				return -1;
			}
			o->buffer_kib = (int)v;
			break;
		case 'Z':
			o->user = optarg;
			break;
		case 'q':
			o->detail = TN_DETAIL_QUIET;
			break;
		case 'v':
			o->detail = TN_DETAIL_VERBOSE;
			break;
		case 'c':
			if (parse_u64(optarg, UINT64_MAX, &v) < 0 || v == 0) {
				snprintf(err, errlen, "-c wants a positive whole number, not '%s'", optarg);
				return -1;
			}
			o->max_segments = v;
			break;
		case OPT_JSON:
			o->renderer = "json";
			break;
		case OPT_HTML:
			if (!*optarg) {
				snprintf(err, errlen, "--html wants a file name");
				return -1;
			}
			o->html_file = optarg;
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") == 0)
				o->color = TN_COLOR_AUTO;
			else if (strcmp(optarg, "always") == 0)
				o->color = TN_COLOR_ALWAYS;
			else if (strcmp(optarg, "never") == 0)
				o->color = TN_COLOR_NEVER;
			else {
				snprintf(err, errlen, "--color wants auto, always or never, not '%s'",
					 optarg);
				return -1;
			}
			break;
		case OPT_ASCII:
			o->ascii = true;
			break;
		case OPT_MAX_FLOWS:
			if (parse_u64(optarg, 1u << 28, &v) < 0 || v == 0) {
				snprintf(err, errlen, "--max-flows wants a number from 1 to %u, not '%s'",
					 1u << 28, optarg);
				return -1;
			}
			o->max_flows = (uint32_t)v;
			break;
		case OPT_CONN:
			if (parse_u64(optarg, UINT64_MAX, &v) < 0 || v == 0) {
				snprintf(err, errlen, "--conn wants a connection number (1, 2, ...), not '%s'",
					 optarg);
				return -1;
			}
			o->only_conn = v;
			break;
		case OPT_MSL:
			if (parse_u64(optarg, 86400, &v) < 0) {
				snprintf(err, errlen, "--msl wants seconds from 0 to 86400, not '%s'", optarg);
				return -1;
			}
			o->msl_sec = (uint32_t)v;
			break;
		case OPT_REFERENCE:
			o->reference = true;
			break;
		case OPT_COMPARE:
			o->compare = true;
			break;
		case OPT_STRICT:
			o->strict = true;
			break;
		case OPT_SUMMARY:
		case OPT_PROBLEMS: {
			enum tn_focus f = c == OPT_SUMMARY ? TN_FOCUS_SUMMARY : TN_FOCUS_PROBLEMS;
			if (o->focus != TN_FOCUS_ALL && o->focus != f) {
				snprintf(err, errlen, "--summary and --problems: choose one");
				return -1;
			}
			o->focus = f;
			break;
		}
		case OPT_WRITE_REFERENCE:
			o->write_reference = optarg;
			break;
		case OPT_IDLE:
			if (parse_u64(optarg, 30u * 86400, &v) < 0 || v == 0) {
				snprintf(err, errlen, "--idle-timeout wants seconds from 1 to %u, not '%s'",
					 30u * 86400, optarg);
				return -1;
			}
			o->idle_sec = (uint32_t)v;
			break;
		case 'h':
			o->help = true;
			return 0;
		case 'V':
			o->version = true;
			return 0;
		case '?':
		default:
			if (optopt && strchr("riwsBZc", optopt))
				snprintf(err, errlen, "option -%c needs a value", optopt);
			else if (optopt)
				snprintf(err, errlen, "unknown option -%c", optopt);
			else
				snprintf(err, errlen, "unknown or incomplete option '%s'",
					 argv[optind - 1]);
			return -1;
		}
	}
	if (o->list_interfaces || o->write_reference)
		return 0;
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

void tn_cli_opts_finish(struct tn_cli_opts *o)
{
	free(o->filter);
	o->filter = NULL;
}
