/*
 * cli.h — command-line options and the run that they describe.
 */
#ifndef TN_CLI_H
#define TN_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <tcpnarrate/inner.h>
#include <tcpnarrate/render.h>

enum tn_exit {
	TN_EXIT_OK = 0,
	TN_EXIT_INPUT = 1,   /* the input could not be used (or not all of it) */
	TN_EXIT_USAGE = 2,
	TN_EXIT_DIFFERS = 3, /* --compare --strict: a connection is not the textbook shape */
};

enum tn_color_mode { TN_COLOR_AUTO, TN_COLOR_ALWAYS, TN_COLOR_NEVER };

/* --jobs and --shard: at most this many shards. */
#define TN_MAX_SHARDS 256u

/* Who a capture started as root runs as once the device is open (tcpdump's -Z). */
#define TN_DEFAULT_USER "nobody"

struct tn_cli_opts {
	const char *read_file;      /* the first -r file (or the first of --read-list) */
	const char **read_files;    /* every -r file, in order, read as one capture; owned array */
	size_t n_read_files;
	char *list_buf;             /* --read-list: the file's text, which read_files points into */
	uint32_t shard, shards;     /* --shard I/N (shards 0: not sharded) */
	uint32_t jobs;              /* --jobs N: N shards in N processes, merged (0, 1: one) */
	bool line_buffered;         /* -l: the output written out after each packet */
	bool records;               /* --records: with --shard, merge records instead of output */
	bool merge;                 /* --merge: the arguments are record files to merge */
	char **merge_files;         /* --merge: argv's remaining arguments */
	size_t n_merge_files;
	const char *interface;      /* -i */
	const char *write_file;     /* -w */
	const char *user;           /* -Z */
	bool list_interfaces;       /* -D */
	bool reference;             /* --reference: narrate the built-in textbook connection */
	bool compare;               /* --compare: hold each connection against the textbook */
	bool strict;                /* --strict: exit 3 when any connection differs */
	const char *write_reference;/* --write-reference FILE */
	int snaplen;                /* -s, 0 for the default */
	int buffer_kib;             /* -B */
	const char *renderer;       /* "text", "json" or "ladder" */
	const char *html_file;      /* --html FILE: also write the page there */
	enum tn_detail detail;
	enum tn_focus focus;        /* --summary, --problems */
	enum tn_color_mode color;
	bool ascii;                 /* --ascii: text in ASCII only, whatever the locale */
	int width;                  /* --width: the ladder's columns (0: the terminal's) */
	uint64_t max_segments;      /* -c, 0 for no limit */
	uint32_t max_flows;
	uint64_t only_conn;         /* --conn N: narrate only connection N (0: all) */
	uint32_t msl_sec;           /* --msl: TIME-WAIT lasts twice this */
	uint32_t idle_sec;          /* --idle-timeout: forget a flow after this much quiet */
	char *filter;               /* joined from the remaining arguments, owned */
	struct tn_inner_filter inner; /* --inner: on the decoded headers (n == 0: none) */
	bool help, version;
};

/*
 * Parses argv. Returns 0, or -1 with a one-line message in err. The filter
 * string is allocated; tn_cli_opts_finish() frees it.
 */
int tn_cli_parse(int argc, char **argv, struct tn_cli_opts *o, char *err, size_t errlen);
void tn_cli_opts_finish(struct tn_cli_opts *o);
void tn_cli_usage(FILE *out);

/* Runs the pipeline on a file or an interface; returns the exit status. Errors go to stderr. */
int tn_cli_run(const struct tn_cli_opts *o);

/*
 * The same, output to `out`: the narration, or with o->records the shard's
 * merge records (records.c).
 */
int tn_cli_run_to(const struct tn_cli_opts *o, FILE *out);

/* --jobs N: N shards in N child processes, their records merged to stdout (jobs.c). */
int tn_cli_jobs(const struct tn_cli_opts *o);

/* --merge FILE...: record files of every shard of one run, merged to stdout (jobs.c). */
int tn_cli_merge(const struct tn_cli_opts *o);

/* Writes the textbook connection to a pcap file; returns the exit status. */
int tn_cli_write_reference(const char *path);

/* Become -Z USER (or TN_DEFAULT_USER) when root, and give up every capability. */
int tn_cli_drop_privileges(const char *user, char *err, size_t errlen);

#endif
