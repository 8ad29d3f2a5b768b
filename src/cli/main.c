/*
 * main.c — tcpnarrate's entry point: parse options, run, choose the exit
 * status. The only place that decides what the process exits with.
 */
#define _DEFAULT_SOURCE /* pcap.h needs the BSD u_int types */
#include "cli.h"

#include <cjson/cJSON.h>
#include <tcpnarrate/capture.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	struct tn_cli_opts o;
	char err[256];

	/* A closed pipe shows up as EPIPE on write, which the run handles quietly. */
	signal(SIGPIPE, SIG_IGN);

	if (tn_cli_parse(argc, argv, &o, err, sizeof err) < 0) {
		fprintf(stderr, "tcpnarrate: %s (see 'tcpnarrate --help')\n", err);
		tn_cli_opts_finish(&o);
		return TN_EXIT_USAGE;
	}
	if (o.help) {
		tn_cli_usage(stdout);
		return TN_EXIT_OK;
	}
	if (o.list_interfaces) {
		if (tn_capture_list_interfaces(stdout, err, sizeof err) < 0) {
			fprintf(stderr, "tcpnarrate: cannot list interfaces: %s\n", err);
			return TN_EXIT_INPUT;
		}
		return TN_EXIT_OK;
	}
	if (o.version) {
		printf("tcpnarrate %s\n%s\ncJSON %s\n", TN_VERSION, pcap_lib_version(),
		       cJSON_Version());
		return TN_EXIT_OK;
	}
	int status = o.write_reference ? tn_cli_write_reference(o.write_reference) : tn_cli_run(&o);
	tn_cli_opts_finish(&o);
	return status;
}
