/*
 * source.c — reading capture files through libpcap.
 *
 * Two things libpcap does not tell us are found by reading the start of the
 * file ourselves: the timestamp precision the file was written with (a
 * nanosecond pcap, or a pcapng interface with if_tsresol), so times print
 * with the digits the file has; and how far into the file a damaged record
 * was, so the error can say where it stopped. Both come from a small stdio
 * cookie that sits between libpcap and the file and counts what it reads.
 * The records of a classic pcap file that libpcap would hand over untouched
 * are then read by classic.c, from the same stream, a block at a time; the
 * blocks of a pcapng file after its first interface by ngread.c, the same
 * way. Both keep libpcap's rules and messages.
 */
#define _GNU_SOURCE
#include "classic.h"
#include "ngread.h"
#include "internal.h"
#include "pcapng.h"

#include <tcpnarrate/rd.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <poll.h>
#include <unistd.h>

#define PEEK_MAX 4096
/*
 * libpcap reads a record header, then the record, through stdio: with the
 * default buffer that is a read() every 4 KiB. A larger buffer on the stream
 * libpcap reads makes whole-file runs spend less time in the kernel.
 */
#define READ_BUF (256 * 1024)

#define PCAP_MAGIC_US 0xa1b2c3d4u
#define PCAP_MAGIC_NS 0xa1b23c4du
#define PCAPNG_SHB 0x0a0d0d0au
#define PCAPNG_IDB 1u
#define PCAPNG_BOM 0x1a2b3c4du
#define IF_TSRESOL 9

struct counted_file {
	FILE *f;
	bool owned;             /* close f when done (not stdin) */
	bool stream;            /* a pipe or the like: read(2) what has come, never wait for more */
	uint8_t peek[PEEK_MAX]; /* the first bytes, replayed to libpcap */
	size_t peek_len, peek_pos;
	uint64_t offset;        /* bytes handed to libpcap */
};


static const volatile sig_atomic_t *g_stop_flag;

void tn_capture_stop_flag(const volatile sig_atomic_t *flag)
{
	g_stop_flag = flag;
}

/*
 * read(2) from a stream, waiting for data in slices of 0.2 s so that a stop
 * is seen: 0 (the end) once the stop flag is set. wait_ms 0: only what has
 * already come, -1 with errno EAGAIN when nothing has.
 */
static ssize_t stream_read(int fd, void *buf, size_t size, int wait_ms)
{
	for (;;) {
		if (wait_ms && g_stop_flag && *g_stop_flag)
			return 0;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, wait_ms ? 200 : 0);
		if (r > 0)
			return read(fd, buf, size);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r == 0 && !wait_ms) {
			errno = EAGAIN;
			return -1;
		}
	}
}

static ssize_t cf_read(void *cookie, char *buf, size_t size)
{
	struct counted_file *cf = cookie;
	size_t got = 0;
	if (cf->peek_pos < cf->peek_len) {
		got = cf->peek_len - cf->peek_pos;
		if (got > size)
			got = size;
		memcpy(buf, cf->peek + cf->peek_pos, got);
		cf->peek_pos += got;
	}
	if (got == 0 && cf->stream) {
		ssize_t n = stream_read(fileno(cf->f), buf, size, 1);
		if (n < 0)
			return -1;
		got = (size_t)n;
	} else if (got < size && !cf->stream) {
		got += fread(buf + got, 1, size - got, cf->f);
	}
	if (got == 0 && !cf->stream && ferror(cf->f))
		return -1;
	cf->offset += got;
	return (ssize_t)got;
}

/* Only "where am I?" is answered, so that ftell() on the stream works. */
static int cf_seek(void *cookie, off64_t *pos, int whence)
{
	struct counted_file *cf = cookie;
	if (whence != SEEK_CUR || *pos != 0)
		return -1;
	*pos = (off64_t)cf->offset;
	return 0;
}

static int cf_close(void *cookie)
{
	struct counted_file *cf = cookie;
	if (cf->owned)
		fclose(cf->f);
	free(cf);
	return 0;
}

/* Digits of precision from a pcapng if_tsresol value (default 10^-6). */
static int tsresol_digits(uint8_t v)
{
	if (v & 0x80) /* a power of two: 2^-20 is about a microsecond */
		return (v & 0x7f) > 20 ? 9 : 6;
	return v > 6 ? 9 : 6;
}

/* Reads the first interface description block's if_tsresol, if it is in the peek buffer. */
static int pcapng_digits(const uint8_t *p, size_t len)
{
	struct tn_rd r;
	tn_rd_init(&r, p, len);
	tn_rd_skip(&r, 8);
	uint32_t bom = tn_rd_le32(&r);
	bool le = bom == PCAPNG_BOM;
	if (r.err || (!le && bom != 0x4d3c2b1au))
		return 6;
#define RD32(rr) (le ? tn_rd_le32(rr) : tn_rd_be32(rr))
	r.off = 4;
	uint32_t shb_len = RD32(&r);
	if (shb_len < 28 || shb_len > len)
		return 6;
	r.off = shb_len;
	uint32_t type = RD32(&r);
	uint32_t blen = RD32(&r);
	if (r.err || type != PCAPNG_IDB || blen < 20)
		return 6;
	struct tn_rd b = tn_rd_sub(&r, blen - 8, NULL);
	tn_rd_skip(&b, 8); /* link type, reserved, snaplen */
	while (tn_rd_left(&b) >= 4) {
		uint16_t code = tn_rd_be16(&b), olen = tn_rd_be16(&b);
		if (le) { /* the option header's two 16-bit fields, byte-swapped */
			code = (uint16_t)(code >> 8 | code << 8);
			olen = (uint16_t)(olen >> 8 | olen << 8);
		}
		if (b.err || code == 0)
			break;
		if (code == IF_TSRESOL && olen >= 1)
			return tsresol_digits(tn_rd_u8(&b));
		tn_rd_skip(&b, (olen + 3u) & ~3u);
	}
#undef RD32
	return 6;
}

static int sniff_digits(const uint8_t *p, size_t len)
{
	struct tn_rd r;
	tn_rd_init(&r, p, len);
	uint32_t be = tn_rd_be32(&r);
	if (r.err)
		return 6;
	uint32_t sw = (be >> 24) | ((be >> 8) & 0xff00) | ((be << 8) & 0xff0000) | (be << 24);
	if (be == PCAP_MAGIC_NS || sw == PCAP_MAGIC_NS)
		return 9;
	if (be == PCAPNG_SHB)
		return pcapng_digits(p, len);
	return 6;
}

static bool is_classic_pcap(const uint8_t *p, size_t len)
{
	struct tn_rd r;
	tn_rd_init(&r, p, len);
	uint32_t be = tn_rd_be32(&r);
	uint32_t sw = (be >> 24) | ((be >> 8) & 0xff00) | ((be << 8) & 0xff0000) | (be << 24);
	return !r.err && (be == PCAP_MAGIC_US || be == PCAP_MAGIC_NS || sw == PCAP_MAGIC_US ||
			  sw == PCAP_MAGIC_NS);
}

/*
 * Whether the first bytes of a stream are enough to open it: a classic
 * file's header, or a pcapng file's blocks up to the first that is not a
 * section or interface header (so every interface declared before the
 * first packet is seen, as the peek of a regular file would see it).
 */
static bool peeked_enough(const uint8_t *p, size_t len)
{
	if (len < 4)
		return false;
	if (is_classic_pcap(p, len))
		return len >= 24;
	struct tn_rd r;
	tn_rd_init(&r, p, len);
	if (tn_rd_be32(&r) != PCAPNG_SHB)
		return true; /* not a capture, or one libpcap will refuse: no use waiting */
	if (len < 12)
		return false;
	r.off = 8;
	bool le = tn_rd_le32(&r) == PCAPNG_BOM;
	for (size_t off = 0; off + 8 <= len;) {
		r.off = off;
		uint32_t type = le ? tn_rd_le32(&r) : tn_rd_be32(&r);
		uint32_t blen = le ? tn_rd_le32(&r) : tn_rd_be32(&r);
		if ((type != PCAPNG_SHB && type != PCAPNG_IDB) || blen < 12 || blen % 4 ||
		    blen > PEEK_MAX - off)
			return true;
		off += blen;
	}
	return false;
}

/*
 * The first bytes of a pipe, as they come: read(2) until they are enough to
 * open it (peeked_enough), then what more has already come, up to
 * PEEK_MAX, without waiting for it. Waiting for a whole PEEK_MAX would hold
 * back the first packets of a slow stream (tcpdump -U -w - writing into a
 * pipe); taking what is there lets a file fed through a pipe open as the
 * file does (an interface declared after the first packet, within the
 * first 4 KiB, is still seen: see open_own_at_start()).
 */
static int peek_stream(struct counted_file *cf)
{
	bool enough = false;
	while (cf->peek_len < sizeof cf->peek) {
		enough = enough || peeked_enough(cf->peek, cf->peek_len);
		ssize_t n = stream_read(fileno(cf->f), cf->peek + cf->peek_len,
					sizeof cf->peek - cf->peek_len, !enough);
		if (n < 0 && enough && errno == EAGAIN)
			break; /* enough, and nothing more has come */
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		cf->peek_len += (size_t)n;
	}
	return 0;
}

static int open_counted(const char *path, struct counted_file **out, FILE **stream,
			char *errbuf, size_t errlen)
{
	struct counted_file *cf = calloc(1, sizeof *cf);
	if (!cf) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	if (strcmp(path, "-") == 0) {
		cf->f = stdin;
	} else {
		struct stat st;
		cf->f = fopen(path, "rb");
		if (!cf->f) {
			snprintf(errbuf, errlen, "%s", strerror(errno));
			goto err_free;
		}
		cf->owned = true;
		if (fstat(fileno(cf->f), &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(errbuf, errlen, "is a directory, not a capture file");
			goto err_close;
		}
	}
	struct stat sb;
	cf->stream = fstat(fileno(cf->f), &sb) == 0 && !S_ISREG(sb.st_mode);
	if (cf->stream ? peek_stream(cf) < 0
		       : (cf->peek_len = fread(cf->peek, 1, sizeof cf->peek, cf->f), ferror(cf->f))) {
		snprintf(errbuf, errlen, "cannot read: %s", strerror(errno));
		goto err_close;
	}
	cookie_io_functions_t io = { .read = cf_read, .seek = cf_seek, .close = cf_close };
	*stream = fopencookie(cf, "rb", io);
	if (!*stream) {
		snprintf(errbuf, errlen, "cannot read: %s", strerror(errno));
		goto err_close;
	}
	setvbuf(*stream, NULL, _IOFBF, READ_BUF); /* a failure leaves the default buffer */
	*out = cf;
	return 0;

err_close:
	if (cf->owned)
		fclose(cf->f);
err_free:
	free(cf);
	return -1;
}

/*
 * Whether a reader taking over libpcap's stream can read the counted file
 * directly once the stream's read-ahead is used up (then *buffered is what
 * the cookie handed the stream, less what ftell() says was consumed): the
 * counted stream is there and the stream has not read past it. *at is the
 * stream's offset, -1 when unknown.
 */
static tn_inbuf_source direct_source(struct tn_capture *cap, long *at, size_t *buffered)
{
	FILE *stream = pcap_file(cap->pcap);
	*at = stream ? ftell(stream) : -1;
	bool direct = cap->cf && *at >= 0 && (uint64_t)*at <= cap->cf->offset;
	*buffered = direct ? (size_t)(cap->cf->offset - (uint64_t)*at) : 0;
	return direct ? cf_read : NULL;
}

static struct tn_classic *classic_reader(struct tn_capture *cap)
{
	long at;
	size_t buffered;
	tn_inbuf_source raw = direct_source(cap, &at, &buffered);
	return tn_classic_create(cap->pcap, cap->record_start, cap->ts_digits != 9, raw, cap->cf,
				 buffered);
}

/*
 * The blocks after a pcapng file's first interface go to ngread.c when
 * libpcap would hand them over untouched and the first interface is in
 * the bytes peeked; else (or with no memory for it) libpcap reads on.
 */
static void ngread_reader(struct tn_capture *cap)
{
	struct tn_ngread_first first;
	long at;
	size_t buffered;
	if (!cap->cf || !tn_ngread_suits(cap->pcap, cap->cf->peek, cap->cf->peek_len, &first))
		return;
	tn_inbuf_source raw = direct_source(cap, &at, &buffered);
	if (at < 0 || (uint64_t)at != first.end)
		return; /* libpcap did not stop where the first interface ends */
	cap->ngread = tn_ngread_create(cap->pcap, &first, raw, cap->cf, buffered);
}

/*
 * The records after the file's header, read by the project's readers where
 * libpcap would hand them over untouched. -1: no memory for the classic one
 * (ngread.c without memory leaves the reading to libpcap).
 */
static int take_over(struct tn_capture *cap)
{
	if (!cap->classic_pcap) {
		ngread_reader(cap);
		return 0;
	}
	if (tn_classic_suits(cap->pcap) && !(cap->classic = classic_reader(cap)))
		return -1;
	return 0;
}

/* libpcap's messages name no file and sometimes end in a newline; tidy them. */
void tn_capture_copy_error(char *dst, size_t len, const char *msg)
{
	snprintf(dst, len, "%s", msg);
	size_t n = strlen(dst);
	while (n > 0 && (dst[n - 1] == '\n' || dst[n - 1] == '.'))
		dst[--n] = '\0';
}

/* The BPF filter for the file's (first) link type; no filter is fine. */
static int compile_filter(struct tn_capture *cap, const char *filter, char *errbuf,
			  size_t errlen)
{
	if (!filter || !*filter)
		return 0;
	if (pcap_compile(cap->pcap, &cap->prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		char msg[PCAP_ERRBUF_SIZE];
		tn_capture_copy_error(msg, sizeof msg, pcap_geterr(cap->pcap));
		snprintf(errbuf, errlen, "bad filter expression '%s': %s", filter, msg);
		return -1;
	}
	cap->have_prog = true;
	return 0;
}

/* Stands in for libpcap's handle: link type, snapshot length and -w for the first interface. */
static int dead_handle(struct tn_capture *cap, uint32_t linktype, uint32_t snaplen,
		       char *errbuf, size_t errlen)
{
	cap->pcap = pcap_open_dead_with_tstamp_precision((int)linktype, (int)(snaplen ? snaplen :
									262144),
							 PCAP_TSTAMP_PRECISION_NANO);
	if (!cap->pcap) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * A pcapng file whose first bytes already show interfaces libpcap would
 * refuse goes to the project's reader from the start. 1 when it did, 0 when libpcap reads
 * the file, -1 on error.
 */
static int open_own_at_start(struct tn_capture *cap, FILE **stream, const char *filter,
			     char *errbuf, size_t errlen)
{
	struct counted_file *cf = cap->cf;
	uint32_t lt = 0, snap = 0;
	struct tn_rd r;
	tn_rd_init(&r, cf->peek, cf->peek_len);
	if (tn_rd_be32(&r) != PCAPNG_SHB ||
	    !tn_pcapng_mixed_interfaces(cf->peek, cf->peek_len, &lt, &snap))
		return 0;
	if (dead_handle(cap, lt, snap, errbuf, errlen) < 0)
		return -1;
	/* Refused here when wrong for the first interface too; the reader compiles its own. */
	if (compile_filter(cap, filter, errbuf, errlen) < 0)
		goto err_handle;
	if (cap->have_prog)
		pcap_freecode(&cap->prog);
	cap->have_prog = false;
	/* Straight from the counted stream's source: the bytes peeked, then the rest as it comes. */
	if (tn_pcapng_create(&cap->ng, *stream, cf_read, cf, filter, errbuf, errlen) < 0)
		goto err_handle;
	*stream = NULL;    /* the reader closes it, and cf with it */
	cap->cf = NULL;
	cap->classic_pcap = false;
	return 1;

err_handle:
	pcap_close(cap->pcap);
	cap->pcap = NULL;
	return -1;
}

int tn_capture_open_file(struct tn_capture **out, const char *path, const char *filter,
			 char *errbuf, size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	FILE *stream = NULL;
	struct tn_capture *cap = calloc(1, sizeof *cap);
	if (!cap) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	if (open_counted(path, &cap->cf, &stream, errbuf, errlen) < 0)
		goto err_free;
	if (cap->cf->peek_len == 0) {
		snprintf(errbuf, errlen, "empty file, not a capture");
		goto err_stream;
	}
	cap->ts_digits = sniff_digits(cap->cf->peek, cap->cf->peek_len);
	cap->classic_pcap = is_classic_pcap(cap->cf->peek, cap->cf->peek_len);
	if ((strcmp(path, "-") != 0 && !(cap->path = strdup(path))) ||
	    (filter && *filter && !(cap->filter = strdup(filter)))) {
		snprintf(errbuf, errlen, "out of memory");
		goto err_stream;
	}
	int own = open_own_at_start(cap, &stream, filter, errbuf, errlen);
	if (own != 0) {
		if (own < 0)
			goto err_stream;
		*out = cap;
		return 0;
	}
	cap->pcap = pcap_fopen_offline_with_tstamp_precision(stream, PCAP_TSTAMP_PRECISION_NANO,
							     pcap_err);
	if (!cap->pcap) {
		tn_capture_copy_error(errbuf, errlen, pcap_err);
		goto err_stream;
	}
	stream = NULL; /* pcap_close() closes it now */
	cap->record_start = tn_capture_offset(cap);
	if (take_over(cap) < 0) {
		snprintf(errbuf, errlen, "out of memory");
		goto err_pcap;
	}
	if (compile_filter(cap, filter, errbuf, errlen) < 0)
		goto err_pcap;
	*out = cap;
	return 0;

err_pcap:
	tn_classic_destroy(cap->classic);
	tn_ngread_destroy(cap->ngread);
	pcap_close(cap->pcap);
err_stream:
	if (stream)
		fclose(stream);
	free(cap->path);
	free(cap->filter);
err_free:
	free(cap);
	return -1;
}

static void fill_frame(struct tn_capture *cap, struct tn_frame *frame,
		       const struct pcap_pkthdr *h, const u_char *data)
{
	frame->n = cap->n;
	frame->ts_sec = (int64_t)h->ts.tv_sec;
	/* Files are opened with NANO precision; a live capture may only have microseconds. */
	frame->ts_nsec = (uint32_t)h->ts.tv_usec * (cap->ts_usec ? 1000u : 1u);
	frame->caplen = h->caplen;
	frame->wirelen = h->len;
	frame->data = data;
	frame->file_caplen = h->caplen;
	frame->over_snaplen = false;
	frame->linktype = (uint32_t)pcap_datalink(cap->pcap);
}

/* The next record could not be read: say after which packet, and where it starts. */
static int read_error(const struct tn_capture *cap, const char *msg, char *errbuf, size_t errlen)
{
	snprintf(errbuf, errlen, "stopped after packet %llu; record at byte %llu: %s",
		 (unsigned long long)cap->n,
		 (unsigned long long)cap->record_start, msg);
	return -1;
}

/* A frame about to be delivered: kept for tn_capture_dump_last(), written with -w unless chosen. */
void tn_capture_delivered(struct tn_capture *cap, const struct pcap_pkthdr *h, const u_char *data)
{
	cap->last_h = *h;
	cap->last_data = data;
	if (cap->dumper && !cap->dump_chosen) {
		pcap_dump((u_char *)cap->dumper, h, data);
		if (cap->live)
			pcap_dump_flush(cap->dumper);
	}
}

void tn_capture_dump_chosen(struct tn_capture *cap)
{
	cap->dump_chosen = true;
}

int tn_capture_dump_last(struct tn_capture *cap)
{
	if (cap->dumper && !cap->last_data)
		cap->not_written++; /* a frame of another link type (own_record()) */
	if (!cap->dumper || !cap->last_data)
		return -1;
	pcap_dump((u_char *)cap->dumper, &cap->last_h, cap->last_data);
	if (cap->live)
		pcap_dump_flush(cap->dumper);
	return 0;
}

/* A live packet: written out at once with -w, then delivered. */
static void live_packet(struct tn_capture *cap, struct tn_frame *frame,
			const struct pcap_pkthdr *h, const u_char *data)
{
	tn_capture_delivered(cap, h, data);
	fill_frame(cap, frame, h, data);
}

/* A record from a file. Returns false when the filter drops it. */
static bool file_record(struct tn_capture *cap, struct tn_frame *frame,
			const struct pcap_pkthdr *h, const u_char *data)
{
	/*
	 * libpcap quietly trims a record whose captured length is over the
	 * file's snapshot length; the record's size on disk tells.
	 */
	uint64_t start = cap->record_start;
	frame->file_caplen = h->caplen;
	cap->record_start = tn_capture_offset(cap); /* the classic reader's count, else ftell() */
	uint64_t on_file = cap->record_start - start;
	if (cap->classic_pcap && on_file >= 16 && on_file - 16 > h->caplen)
		frame->file_caplen = (uint32_t)(on_file - 16);
	if (cap->have_prog && !pcap_offline_filter(&cap->prog, h, data)) {
		cap->filtered++;
		return false;
	}
	tn_capture_delivered(cap, h, data);
	uint32_t claimed = frame->file_caplen;
	fill_frame(cap, frame, h, data);
	frame->file_caplen = claimed;
	/*
	 * A classic pcap record holds its seconds in 32 bits, unsigned by the
	 * format's definition; libpcap 1.10 sign-extends them, which would put
	 * every packet after 2038-01-19 in 1901. Read them back as unsigned:
	 * good to 2106.
	 */
	if (cap->classic_pcap)
		frame->ts_sec = (int64_t)(uint32_t)h->ts.tv_sec;
	frame->over_snaplen = claimed > (uint32_t)pcap_snapshot(cap->pcap);
	return true;
}

/* A packet from the project's pcapng reader, with its own interface's link type. */
static void own_record(struct tn_capture *cap, struct tn_frame *frame,
		       const struct tn_pcapng_rec *rec)
{
	struct pcap_pkthdr h = { .caplen = rec->caplen, .len = rec->wirelen };
	h.ts.tv_sec = (time_t)rec->ts_sec;
	h.ts.tv_usec = (suseconds_t)rec->ts_nsec;
	fill_frame(cap, frame, &h, rec->data);
	frame->ts_sec = rec->ts_sec;
	frame->ts_nsec = rec->ts_nsec;
	frame->linktype = rec->linktype;
	frame->file_caplen = rec->file_caplen;
	frame->over_snaplen = rec->snaplen && rec->file_caplen > rec->snaplen;
	/* -w writes one link type, the first interface's: other frames cannot go in it. */
	if (rec->linktype == (uint32_t)pcap_datalink(cap->pcap))
		tn_capture_delivered(cap, &h, rec->data);
	else if (cap->dumper && !cap->dump_chosen)
		cap->not_written++; /* chosen frames are counted by tn_capture_dump_last() */
}

static int own_next(struct tn_capture *cap, struct tn_frame *frame, char *errbuf, size_t errlen)
{
	struct tn_pcapng_rec rec;
	char msg[TN_ERRBUF_SIZE];
	while (!cap->stop) {
		int rc = tn_pcapng_next(cap->ng, &rec, msg, sizeof msg);
		if (rc == 0)
			return 0;
		if (rc < 0) {
			snprintf(errbuf, errlen, "stopped after packet %llu; %s",
				 (unsigned long long)cap->n, msg);
			return -1;
		}
		cap->n++;
		if (rec.filtered_out) {
			cap->filtered++;
			continue;
		}
		own_record(cap, frame, &rec);
		return 1;
	}
	return 0;
}

/*
 * libpcap stopped at an interface unlike the first (or a section in the
 * other byte order): read the file again with the project's reader, passing
 * over the packets already delivered. Only a regular file opened by name can be
 * read again; true when the switch was made.
 */
static bool switch_to_own(struct tn_capture *cap, const char *why, char *errbuf, size_t errlen)
{
	struct stat sb;
	if (cap->live || !cap->path || (!strstr(why, "different from the") &&
					 !strstr(why, "sections with different byte orders")))
		return false;
	if (stat(cap->path, &sb) < 0 || !S_ISREG(sb.st_mode))
		return false; /* a FIFO read again would take the stream's next bytes, or wait */
	FILE *f = fopen(cap->path, "rb");
	if (!f)
		return false;
	struct tn_pcapng *ng;
	if (tn_pcapng_create(&ng, f, NULL, NULL, cap->filter, errbuf, errlen) < 0) {
		fclose(f);
		return false;
	}
	struct tn_pcapng_rec rec;
	char msg[TN_ERRBUF_SIZE];
	for (uint64_t k = 0; k < cap->n; k++) {
		if (tn_pcapng_next(ng, &rec, msg, sizeof msg) != 1) {
			tn_pcapng_destroy(ng);
			return false;
		}
	}
	pcap_t *old = cap->pcap;
	if (dead_handle(cap, (uint32_t)pcap_datalink(old), (uint32_t)pcap_snapshot(old), errbuf,
			errlen) < 0) {
		cap->pcap = old;
		tn_pcapng_destroy(ng);
		return false;
	}
	tn_ngread_destroy(cap->ngread); /* it read libpcap's stream */
	cap->ngread = NULL;
	pcap_close(old); /* closes the counted stream, and the file with it */
	if (cap->have_prog)
		pcap_freecode(&cap->prog);
	cap->have_prog = false;
	cap->cf = NULL;
	cap->ng = ng;
	cap->classic_pcap = false;
	return true;
}

/*
 * ngread.c stopped at an interface unlike the first (or a section in the
 * other byte order): pcapng.c reads on from there, with the section's
 * interfaces so far, the input taken over in place (a pipe too; nothing is
 * read twice). libpcap's handle stays open: it owns the stream, and still
 * gives the first interface's link type and snapshot length.
 */
static int hand_over(struct tn_capture *cap, char *msg, size_t len)
{
	if (tn_ngread_hand_over(cap->ngread, cap->filter, &cap->ng, msg, len) < 0)
		return -1;
	tn_ngread_destroy(cap->ngread);
	cap->ngread = NULL;
	if (cap->have_prog)
		pcap_freecode(&cap->prog); /* pcapng.c compiles it for each interface */
	cap->have_prog = false;
	return 0;
}

/* The next record, as pcap_next_ex() returns it, from libpcap or the project's readers. */
static int next_record(struct tn_capture *cap, struct pcap_pkthdr **h, const u_char **data,
		       char *msg, size_t len)
{
	if (cap->ngread) {
		int rc = tn_ngread_next(cap->ngread, &cap->classic_h, data, msg, len);
		*h = &cap->classic_h;
		if (rc == TN_NGREAD_OTHER)
			return hand_over(cap, msg, len) < 0 ? PCAP_ERROR : 0; /* 0: read on */
		return rc == 1 ? 1 : rc == 0 ? PCAP_ERROR_BREAK : PCAP_ERROR;
	}
	if (!cap->classic) {
		int rc = pcap_next_ex(cap->pcap, h, data);
		if (rc < 0 && rc != PCAP_ERROR_BREAK)
			tn_capture_copy_error(msg, len, pcap_geterr(cap->pcap));
		return rc;
	}
	struct tn_classic_rec rec;
	int rc = tn_classic_next(cap->classic, &rec, msg, len);
	if (rc <= 0)
		return rc == 0 ? PCAP_ERROR_BREAK : PCAP_ERROR;
	struct pcap_pkthdr *ph = &cap->classic_h;
	ph->ts.tv_sec = (time_t)(int32_t)rec.ts_sec; /* as libpcap reads it; see file_record() */
	ph->ts.tv_usec = (suseconds_t)rec.ts_frac;
	ph->caplen = rec.caplen;
	ph->len = rec.wirelen;
	*h = ph;
	*data = rec.data;
	return 1;
}

int tn_capture_next(struct tn_capture *cap, struct tn_frame *frame, char *errbuf, size_t errlen)
{
	char msg[TN_ERRBUF_SIZE];
	cap->last_data = NULL; /* the last frame's bytes are libpcap's again */
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		if (cap->stop)
			return 0;
		if (cap->reference)
			return tn_capture_next_reference(cap, frame);
		if (cap->ng)
			return own_next(cap, frame, errbuf, errlen);
		int rc = next_record(cap, &h, &data, msg, sizeof msg);
		if (rc == PCAP_ERROR_BREAK || (rc == 0 && cap->stop))
			return 0;
		if (rc == 0)
			continue; /* live: the read timeout passed with no packet */
		if (rc != 1 && !cap->classic && switch_to_own(cap, msg, errbuf, errlen))
			continue;
		if (rc != 1)
			return read_error(cap, msg, errbuf, errlen);
		cap->n++;
		if (cap->live) {
			live_packet(cap, frame, h, data);
			return 1;
		}
		if (file_record(cap, frame, h, data))
			return 1;
	}
}

uint32_t tn_capture_linktype(const struct tn_capture *cap)
{
	return (uint32_t)pcap_datalink(cap->pcap);
}

const char *tn_capture_linktype_name(const struct tn_capture *cap)
{
	return pcap_datalink_val_to_name(pcap_datalink(cap->pcap));
}

uint32_t tn_capture_snaplen(const struct tn_capture *cap)
{
	return (uint32_t)pcap_snapshot(cap->pcap);
}

int tn_capture_ts_digits(const struct tn_capture *cap)
{
	return cap->ts_digits;
}

uint64_t tn_capture_not_written(const struct tn_capture *cap)
{
	return cap->not_written;
}

uint64_t tn_capture_not_held(const struct tn_capture *cap)
{
	return cap->not_held;
}

uint64_t tn_capture_filtered(const struct tn_capture *cap)
{
	return cap->filtered;
}

uint64_t tn_capture_frames(const struct tn_capture *cap)
{
	return cap->n;
}

uint64_t tn_capture_offset(const struct tn_capture *cap)
{
	if (cap->ng)
		return tn_pcapng_block_start(cap->ng);
	if (cap->classic)
		return tn_classic_offset(cap->classic);
	if (cap->ngread)
		return tn_ngread_offset(cap->ngread);
	FILE *f = cap->live || cap->reference ? NULL : pcap_file(cap->pcap);
#ifdef __GLIBC__
	/*
	 * What ftell() works out, without its lock and seek calls (asked for
	 * every record, that was 5% of reading a pcapng file): the bytes the
	 * counted stream took in, less those still in its buffer.
	 */
	if (f && cap->cf && f->_IO_read_ptr <= f->_IO_read_end &&
	    (uint64_t)(f->_IO_read_end - f->_IO_read_ptr) <= cap->cf->offset)
		return cap->cf->offset - (uint64_t)(f->_IO_read_end - f->_IO_read_ptr);
#endif
	long pos = f ? ftell(f) : -1;
	return pos < 0 ? 0 : (uint64_t)pos;
}

void tn_capture_destroy(struct tn_capture *cap)
{
	if (!cap)
		return;
	if (cap->dumper)
		pcap_dump_close(cap->dumper);
	tn_capture_hold_free(cap);
	tn_capture_reference_free(cap);
	tn_pcapng_destroy(cap->ng);
	tn_classic_destroy(cap->classic);
	tn_ngread_destroy(cap->ngread);
	free(cap->path);
	free(cap->filter);
	if (cap->have_prog)
		pcap_freecode(&cap->prog);
	if (cap->pcap)
		pcap_close(cap->pcap);
	free(cap);
}
