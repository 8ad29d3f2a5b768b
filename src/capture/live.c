/*
 * live.c — capturing from an interface with libpcap.
 *
 * The handle is created, configured and activated in steps (pcap_create,
 * pcap_set_*, pcap_activate) so each failure can be told apart and answered
 * with what to do about it. Immediate mode hands each packet over as soon as
 * it arrives, which is what a narrator watching a curl run needs; a short
 * read timeout lets a stop request be noticed even when nothing arrives.
 */
#define _DEFAULT_SOURCE
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_TIMEOUT_MS 100

/* "eth0, lo, veth0" into buf: the interfaces there are, for an error message. */
static void interface_names(char *buf, size_t len)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_if_t *all = NULL;
	size_t u = 0;
	buf[0] = '\0';
	if (pcap_findalldevs(&all, err) < 0 || !all) {
		snprintf(buf, len, "none found");
		return;
	}
	for (pcap_if_t *d = all; d && u + 1 < len; d = d->next) {
		int n = snprintf(buf + u, len - u, "%s%s", u ? ", " : "", d->name);
		if (n < 0 || (size_t)n >= len - u)
			break;
		u += (size_t)n;
	}
	pcap_freealldevs(all);
}

static void activate_error(pcap_t *p, int rc, const char *iface, char *errbuf, size_t errlen)
{
	char msg[PCAP_ERRBUF_SIZE];
	tn_capture_copy_error(msg, sizeof msg, pcap_geterr(p));
	switch (rc) {
	case PCAP_ERROR_NO_SUCH_DEVICE: {
		char names[256];
		interface_names(names, sizeof names);
		snprintf(errbuf, errlen, "no such interface; interfaces here: %s (tcpnarrate -D lists them)",
			 names);
		break;
	}
	case PCAP_ERROR_PERM_DENIED:
	case PCAP_ERROR_PROMISC_PERM_DENIED:
		snprintf(errbuf, errlen, "no permission to capture: run as root, or grant the "
			 "capabilities once with 'setcap cap_net_raw,cap_net_admin=eip %s'",
			 "$(command -v tcpnarrate)");
		break;
	case PCAP_ERROR_IFACE_NOT_UP:
		snprintf(errbuf, errlen, "interface is down: bring it up with 'ip link set %s up'",
			 iface);
		break;
	default:
		snprintf(errbuf, errlen, "cannot capture: %s", msg[0] ? msg : pcap_statustostr(rc));
	}
}

int tn_capture_open_live(struct tn_capture **out, const char *iface, const char *filter,
			 const struct tn_live_opts *lo, char *errbuf, size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	struct tn_capture *cap = calloc(1, sizeof *cap);
	if (!cap) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	cap->live = true;
	cap->ts_digits = 6;
	cap->pcap = pcap_create(iface, pcap_err);
	if (!cap->pcap) {
		tn_capture_copy_error(errbuf, errlen, pcap_err);
		goto err_free;
	}
	pcap_set_snaplen(cap->pcap, lo && lo->snaplen > 0 ? lo->snaplen : 262144);
	if (lo && lo->buffer_kib > 0)
		pcap_set_buffer_size(cap->pcap, lo->buffer_kib * 1024);
	pcap_set_immediate_mode(cap->pcap, 1);
	pcap_set_timeout(cap->pcap, READ_TIMEOUT_MS);
	/* Nanoseconds where the kernel has them; microseconds otherwise. */
	if (pcap_set_tstamp_precision(cap->pcap, PCAP_TSTAMP_PRECISION_NANO) == 0)
		cap->ts_digits = 9;
	int rc = pcap_activate(cap->pcap);
	if (rc < 0) {
		activate_error(cap->pcap, rc, iface, errbuf, errlen);
		goto err_pcap;
	}
	if (pcap_get_tstamp_precision(cap->pcap) != PCAP_TSTAMP_PRECISION_NANO) {
		cap->ts_digits = 6;
		cap->ts_usec = true; /* tv_usec then holds microseconds */
	}
	if (filter && *filter) {
		if (pcap_compile(cap->pcap, &cap->prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			char msg[PCAP_ERRBUF_SIZE];
			tn_capture_copy_error(msg, sizeof msg, pcap_geterr(cap->pcap));
			snprintf(errbuf, errlen, "bad filter expression '%s': %s", filter, msg);
			goto err_pcap;
		}
		if (pcap_setfilter(cap->pcap, &cap->prog) < 0) {
			char msg[PCAP_ERRBUF_SIZE];
			tn_capture_copy_error(msg, sizeof msg, pcap_geterr(cap->pcap));
			snprintf(errbuf, errlen, "cannot set the filter '%s': %s", filter, msg);
			pcap_freecode(&cap->prog);
			goto err_pcap;
		}
		/* The kernel filters now: nothing left to do per packet. */
		pcap_freecode(&cap->prog);
	}
	*out = cap;
	return 0;

err_pcap:
	pcap_close(cap->pcap);
err_free:
	free(cap);
	return -1;
}

int tn_capture_dump_open(struct tn_capture *cap, const char *path, char *errbuf, size_t errlen)
{
	cap->dumper = pcap_dump_open(cap->pcap, path);
	if (!cap->dumper) {
		char msg[PCAP_ERRBUF_SIZE];
		tn_capture_copy_error(msg, sizeof msg, pcap_geterr(cap->pcap));
		snprintf(errbuf, errlen, "cannot write %s: %s", path, msg);
		return -1;
	}
	return 0;
}

void tn_capture_break(struct tn_capture *cap)
{
	cap->stop = 1;
	pcap_breakloop(cap->pcap);
}

int tn_capture_stats(struct tn_capture *cap, struct tn_capture_stats *st)
{
	struct pcap_stat ps;
	if (!cap->live || pcap_stats(cap->pcap, &ps) < 0)
		return -1;
	st->received = ps.ps_recv;
	st->dropped = ps.ps_drop;
	st->if_dropped = ps.ps_ifdrop;
	return 0;
}

bool tn_capture_is_reference(const struct tn_capture *cap)
{
	return cap->reference != NULL;
}

bool tn_capture_is_live(const struct tn_capture *cap)
{
	return cap->live;
}

int tn_capture_list_interfaces(FILE *out, char *errbuf, size_t errlen)
{
	char err[PCAP_ERRBUF_SIZE];
	pcap_if_t *all = NULL;
	if (pcap_findalldevs(&all, err) < 0) {
		tn_capture_copy_error(errbuf, errlen, err);
		return -1;
	}
	int i = 1;
	for (pcap_if_t *d = all; d; d = d->next, i++) {
		fprintf(out, "%d. %s", i, d->name);
		if (d->description)
			fprintf(out, " (%s)", d->description);
		fprintf(out, " [%s%s%s]\n", (d->flags & PCAP_IF_UP) ? "Up" : "Down",
			(d->flags & PCAP_IF_RUNNING) ? ", Running" : "",
			(d->flags & PCAP_IF_LOOPBACK) ? ", Loopback" : "");
	}
	pcap_freealldevs(all);
	return 0;
}
