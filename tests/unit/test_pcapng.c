/*
 * test_pcapng.c — the capture source's own pcapng reader (src/capture/pcapng.c),
 * reached through tn_capture_open_file() as every driver reaches it.
 *
 * Each case writes a pcapng file that libpcap 1.10 refuses (interfaces of
 * different link types or snapshot lengths, sections in both byte orders)
 * and checks what comes out: each packet with its own interface's link
 * type, timestamps under if_tsresol and if_tsoffset, records cut to their
 * interface's snapshot length, Simple and obsolete Packet Blocks, unknown
 * blocks passed over, the filter compiled per link type, and one clear
 * error for each kind of corrupt block. Files are built here field by
 * field, in a scratch directory made per test.
 *
 * Files libpcap accepts are read after their first interface by ngread.c
 * (libpcap's rules, faster): those cases ("as libpcap") read each file with
 * libpcap and with the capture source side by side and want the same
 * packets, timestamps, bytes and end, message included: under every
 * timestamp resolution and offset, later interfaces and sections, every
 * kind of damage libpcap names, and a few hundred random mutations.
 */
#define _DEFAULT_SOURCE
#include <tcpnarrate/capture.h>

#include <pcap/dlt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pktbuild.h"
#include "unit.h"

#include "../../src/capture/internal.h" /* which reader took the file */

/* ---------------------------------------------------------------- building */

struct ng {
	uint8_t b[65536];
	size_t len;
	bool be;
	size_t block;       /* where the open block started */
};

static void put(struct ng *f, const void *p, size_t n)
{
	ck_assert_uint_le(f->len + n, sizeof f->b);
	if (n)
		memcpy(f->b + f->len, p, n); /* an empty option comes with NULL */
	f->len += n;
}

static void put16(struct ng *f, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
	if (f->be) {
		b[0] = (uint8_t)(v >> 8);
		b[1] = (uint8_t)v;
	}
	put(f, b, 2);
}

static void put32(struct ng *f, uint32_t v)
{
	put16(f, (uint16_t)(f->be ? v >> 16 : v));
	put16(f, (uint16_t)(f->be ? v : v >> 16));
}

static void pad(struct ng *f)
{
	static const uint8_t z[4] = { 0 };
	put(f, z, (4 - f->len % 4) % 4);
}

static void open_block(struct ng *f, uint32_t type)
{
	f->block = f->len;
	put32(f, type);
	put32(f, 0); /* patched by close_block */
}

static void close_block(struct ng *f)
{
	pad(f);
	uint32_t blen = (uint32_t)(f->len - f->block + 4);
	put32(f, blen);
	size_t end = f->len;
	f->len = f->block + 4;
	put32(f, blen);
	f->len = end;
}

static void shb(struct ng *f, bool be)
{
	f->be = be;
	open_block(f, 0x0a0d0d0au);
	put32(f, 0x1a2b3c4du);
	put16(f, 1);
	put16(f, 0);
	put32(f, 0xffffffffu);
	put32(f, 0xffffffffu);
	close_block(f);
}

static void opt(struct ng *f, uint16_t code, const void *v, uint16_t n)
{
	put16(f, code);
	put16(f, n);
	put(f, v, n);
	pad(f);
}

/* tsresol < 0: none; tsoffset 0: none. */
static void idb(struct ng *f, uint16_t linktype, uint32_t snaplen, int tsresol, int64_t tsoffset)
{
	open_block(f, 1);
	put16(f, linktype);
	put16(f, 0);
	put32(f, snaplen);
	if (tsresol >= 0) {
		uint8_t v = (uint8_t)tsresol;
		opt(f, 9, &v, 1);
	}
	if (tsoffset) {
		put16(f, 14);
		put16(f, 8);
		put32(f, (uint32_t)(f->be ? (uint64_t)tsoffset >> 32 : (uint64_t)tsoffset));
		put32(f, (uint32_t)(f->be ? (uint64_t)tsoffset : (uint64_t)tsoffset >> 32));
	}
	if (tsresol >= 0 || tsoffset)
		opt(f, 0, NULL, 0);
	close_block(f);
}

static void epb(struct ng *f, uint32_t iface, uint64_t ts, const uint8_t *d, uint32_t caplen,
		uint32_t len)
{
	open_block(f, 6);
	put32(f, iface);
	put32(f, (uint32_t)(ts >> 32));
	put32(f, (uint32_t)ts);
	put32(f, caplen);
	put32(f, len);
	put(f, d, caplen);
	close_block(f);
}

static void opb(struct ng *f, uint16_t iface, uint64_t ts, const uint8_t *d, uint32_t caplen)
{
	open_block(f, 2);
	put16(f, iface);
	put16(f, 0);
	put32(f, (uint32_t)(ts >> 32));
	put32(f, (uint32_t)ts);
	put32(f, caplen);
	put32(f, caplen);
	put(f, d, caplen);
	close_block(f);
}

static void spb(struct ng *f, const uint8_t *d, uint32_t len)
{
	open_block(f, 3);
	put32(f, len);
	put(f, d, len);
	close_block(f);
}

static void custom(struct ng *f)
{
	open_block(f, 0x00000badu);
	put32(f, 32473);
	put(f, "not ours", 8);
	close_block(f);
}

/* A TCP SYN in Ethernet, or the same IP packet behind a Linux cooked header. */
static uint32_t syn_frame(uint8_t *out, bool cooked, uint16_t dport)
{
	struct pb k;
	struct pb_tcp t = pb_syn_default;
	t.dport = dport;
	pb_init(&k);
	if (cooked)
		pb_sll(&k, 0, 0x0800);
	else
		pb_eth(&k, 0x0800);
	pb_ipv4(&k, &pb_ip4_default);
	pb_tcp(&k, &t);
	pb_finish(&k);
	memcpy(out, k.b, k.len);
	return (uint32_t)k.len;
}

/* The usual start, in an emptied file: Ethernet (snaplen 262144), then Linux cooked (8192). */
static void two_ifaces(struct ng *f)
{
	memset(f, 0, sizeof *f);
	shb(f, false);
	idb(f, DLT_EN10MB, 262144, 9, 0);
	idb(f, DLT_LINUX_SLL, 8192, -1, 0);
}

/* ---------------------------------------------------------------- reading */

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/tn-unit-pcapng-XXXXXX");
	if (!mkdtemp(dir))
		abort();
}

static void teardown(void)
{
	char p[300];
	snprintf(p, sizeof p, "%s/f.pcapng", dir);
	unlink(p);
	rmdir(dir);
}

static const char *write_ng(const struct ng *f)
{
	static char p[300];
	snprintf(p, sizeof p, "%s/f.pcapng", dir);
	FILE *out = fopen(p, "wb");
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(fwrite(f->b, 1, f->len, out), f->len);
	ck_assert_int_eq(fclose(out), 0);
	return p;
}

#define MAX_FRAMES 16
struct got {
	int n;
	struct tn_frame fr[MAX_FRAMES];
	int rc;              /* of the call that ended the reading */
	char err[TN_ERRBUF_SIZE];
	uint64_t filtered;
};

static void read_all(const struct ng *f, const char *filter, struct got *g)
{
	char err[TN_ERRBUF_SIZE] = "";
	struct tn_capture *cap = NULL;
	const char *path = write_ng(f);
	memset(g, 0, sizeof *g);
	ck_assert_msg(tn_capture_open_file(&cap, path, filter, err, sizeof err) == 0, "open: %s",
		      err);
	for (;;) {
		struct tn_frame fr;
		memset(&fr, 0xA5, sizeof fr);
		g->rc = tn_capture_next(cap, &fr, g->err, sizeof g->err);
		if (g->rc != 1)
			break;
		ck_assert_int_lt(g->n, MAX_FRAMES);
		fr.data = NULL; /* the bytes do not outlive the call */
		g->fr[g->n++] = fr;
	}
	g->filtered = tn_capture_filtered(cap);
	tn_capture_destroy(cap);
}

START_TEST(test_each_packet_its_own_link_type)
{
	static struct ng f;
	uint8_t a[128], c[128];
	uint32_t al = syn_frame(a, false, 80), cl = syn_frame(c, true, 81);
	two_ifaces(&f);
	epb(&f, 0, 1000000000ull * 1767261600 + 5, a, al, al);
	epb(&f, 1, 1000000ull * 1767261601 + 7, c, cl, cl);
	custom(&f);
	epb(&f, 0, 1000000000ull * 1767261602, a, al, al);
	struct got g;
	read_all(&f, NULL, &g);
	ck_assert_int_eq(g.rc, 0);
	ck_assert_int_eq(g.n, 3);
	ck_assert_uint_eq(g.fr[0].linktype, DLT_EN10MB);
	ck_assert_uint_eq(g.fr[1].linktype, DLT_LINUX_SLL);
	ck_assert_uint_eq(g.fr[2].linktype, DLT_EN10MB);
	ck_assert_uint_eq(g.fr[0].ts_nsec, 5);
	ck_assert_int_eq(g.fr[1].ts_sec, 1767261601);
	ck_assert_uint_eq(g.fr[1].ts_nsec, 7000);
	ck_assert_uint_eq(g.fr[1].caplen, cl);
	ck_assert_uint_eq(g.fr[2].n, 3);
}
END_TEST

/* A record longer than its interface's snapshot length is cut to it, and says so. */
START_TEST(test_cut_to_its_interface_snaplen)
{
	static struct ng f;
	static uint8_t big[9000];
	two_ifaces(&f);
	epb(&f, 1, 1, big, sizeof big, sizeof big);
	epb(&f, 0, 2, big, sizeof big, sizeof big);
	struct got g;
	read_all(&f, NULL, &g);
	ck_assert_int_eq(g.n, 2);
	ck_assert_uint_eq(g.fr[0].caplen, 8192);
	ck_assert_uint_eq(g.fr[0].file_caplen, 9000);
	ck_assert(g.fr[0].over_snaplen);
	ck_assert_uint_eq(g.fr[1].caplen, 9000);
	ck_assert(!g.fr[1].over_snaplen);
}
END_TEST

/*
 * Ethernet (262144) with a 5000-byte packet, then, past the first 4 KiB, a
 * Linux cooked interface (8192) and a packet on each: in the machine's byte
 * order (be false) or the other.
 */
static void late_interface(struct ng *f, bool be)
{
	static uint8_t big[5000];
	uint8_t c[128];
	uint32_t cl = syn_frame(c, true, 81);
	memset(f, 0, sizeof *f);
	shb(f, be);
	idb(f, DLT_EN10MB, 262144, -1, 0);
	epb(f, 0, 1000000, big, sizeof big, sizeof big);
	idb(f, DLT_LINUX_SLL, 8192, -1, 0);
	epb(f, 1, 2000000, c, cl, cl);
	epb(f, 0, 3000000, big, 60, 60);
}

/*
 * The second interface comes after the first 4 KiB: libpcap reads the
 * first packet, stops at the interface, and the reader takes over from
 * there without repeating it.
 */
START_TEST(test_switch_in_mid_file)
{
	static struct ng f;
	struct got g;
	late_interface(&f, false);
	read_all(&f, NULL, &g);
	ck_assert_msg(g.rc == 0, "%s", g.err);
	ck_assert_int_eq(g.n, 3);
	ck_assert_uint_eq(g.fr[0].n, 1);
	ck_assert_uint_eq(g.fr[0].caplen, 5000);
	ck_assert_uint_eq(g.fr[1].n, 2);
	ck_assert_uint_eq(g.fr[1].linktype, DLT_LINUX_SLL);
	ck_assert_int_eq(g.fr[1].ts_sec, 2);
	ck_assert_uint_eq(g.fr[2].n, 3);
	ck_assert_uint_eq(g.fr[2].caplen, 60);
}
END_TEST

/*
 * The same in the other byte order than the machine's: libpcap reads the
 * file (ngread.c takes only the machine's order), stops at the interface,
 * and the file is read again from the start by pcapng.c, skipping the
 * packet already delivered.
 */
START_TEST(test_switch_in_mid_file_other_order)
{
	static struct ng f;
	struct got g;
	late_interface(&f, true);
	read_all(&f, NULL, &g);
	ck_assert_msg(g.rc == 0, "%s", g.err);
	ck_assert_int_eq(g.n, 3);
	ck_assert_uint_eq(g.fr[0].caplen, 5000);
	ck_assert_uint_eq(g.fr[1].linktype, DLT_LINUX_SLL);
	ck_assert_int_eq(g.fr[1].ts_sec, 2);
	ck_assert_uint_eq(g.fr[2].n, 3);
}
END_TEST

/*
 * A second section in the other byte order forgets the first section's
 * interfaces; its own have 2^-10 s ticks and a 100 s offset; obsolete and
 * simple packet blocks are read too.
 */
START_TEST(test_sections_both_orders)
{
	static struct ng f;
	uint8_t a[128], c[128];
	uint32_t al = syn_frame(a, false, 80), cl = syn_frame(c, true, 81);
	two_ifaces(&f);
	epb(&f, 1, 5, c, cl, cl);
	shb(&f, true);
	idb(&f, DLT_LINUX_SLL, 65535, 0x8a, 100);
	opb(&f, 0, 1024 * 7 + 512, c, cl);
	spb(&f, c, cl);
	shb(&f, false);
	idb(&f, DLT_EN10MB, 0, -1, 0);
	epb(&f, 0, 1, a, al, al);
	struct got g;
	read_all(&f, NULL, &g);
	ck_assert_msg(g.rc == 0, "%s", g.err);
	ck_assert_int_eq(g.n, 4);
	ck_assert_int_eq(g.fr[1].ts_sec, 107);
	ck_assert_uint_eq(g.fr[1].ts_nsec, 500000000);
	ck_assert_uint_eq(g.fr[1].linktype, DLT_LINUX_SLL);
	ck_assert_uint_eq(g.fr[2].linktype, DLT_LINUX_SLL);
	ck_assert_uint_eq(g.fr[2].caplen, cl);
	ck_assert_int_eq(g.fr[2].ts_sec, 100); /* a simple packet: no time but the offset */
	ck_assert_uint_eq(g.fr[3].linktype, DLT_EN10MB);
}
END_TEST

/* "ether host" cannot apply to Linux cooked frames: they match nothing, and are counted. */
START_TEST(test_filter_per_link_type)
{
	static struct ng f;
	uint8_t a[128], c[128], b[128];
	uint32_t al = syn_frame(a, false, 80), cl = syn_frame(c, true, 80);
	uint32_t a2 = syn_frame(b, false, 443);
	two_ifaces(&f);
	epb(&f, 0, 1, a, al, al);
	epb(&f, 1, 2, c, cl, cl);
	epb(&f, 0, 3, b, a2, a2);
	struct got g;
	read_all(&f, "tcp port 80", &g);
	ck_assert_int_eq(g.n, 2);
	ck_assert_uint_eq(g.fr[1].linktype, DLT_LINUX_SLL);
	ck_assert_uint_eq(g.filtered, 1);
	read_all(&f, "ether src 02:00:00:00:00:01", &g);
	ck_assert_int_eq(g.n, 2);
	ck_assert_uint_eq(g.fr[0].n, 1);
	ck_assert_uint_eq(g.fr[1].n, 3);
	ck_assert_uint_eq(g.filtered, 1);
}
END_TEST

START_TEST(test_bad_filter_refused_at_open)
{
	static struct ng f;
	char err[TN_ERRBUF_SIZE] = "";
	struct tn_capture *cap = NULL;
	two_ifaces(&f);
	ck_assert_int_eq(tn_capture_open_file(&cap, write_ng(&f), "tcp port", err, sizeof err),
			 -1);
	ck_assert_ptr_nonnull(strstr(err, "bad filter expression"));
}
END_TEST

/* ---------------------------------------------------------------- corrupt */

enum damage { D_TRAILER, D_LENGTH, D_IFACE, D_CAPLEN, D_CUT, D_TSRESOL, D_OPTION };

static const struct damage_case {
	const char *name;
	enum damage d;
	const char *want;
} damage_cases[] = {
	{ "trailing length differs", D_TRAILER, "differs from the one at its start" },
	{ "length not a multiple of 4", D_LENGTH, "total length 47 cannot be right" },
	{ "packet on an undescribed interface", D_IFACE, "interface 5, but the section "
	  "describes 2" },
	{ "captured length over the block", D_CAPLEN, "claims more captured bytes" },
	{ "file ends inside a block", D_CUT, "the file ends inside the block" },
	{ "resolution of 10^-40 s", D_TSRESOL, "finer than tcpnarrate reads" },
	{ "option longer than its block", D_OPTION, "runs past the block" },
	{ NULL, 0, NULL },
};

static void damage(struct ng *f, enum damage d)
{
	uint8_t a[64] = { 0 };
	size_t at = f->len;
	switch (d) {
	case D_TRAILER:
		epb(f, 0, 1, a, 60, 60);
		f->b[f->len - 4] ^= 0x10;
		break;
	case D_LENGTH:
		epb(f, 0, 1, a, 60, 60);
		f->b[at + 4] = 47;
		break;
	case D_IFACE:
		epb(f, 5, 1, a, 60, 60);
		break;
	case D_CAPLEN:
		epb(f, 0, 1, a, 60, 60);
		f->b[at + 20] = 200;
		break;
	case D_CUT:
		epb(f, 0, 1, a, 60, 60);
		f->len -= 10;
		break;
	case D_TSRESOL:
		idb(f, DLT_EN10MB, 0, 40, 0);
		break;
	case D_OPTION:
		idb(f, DLT_EN10MB, 0, 9, 0);
		f->b[at + 18] = 40; /* if_tsresol's length */
		break;
	}
}

START_TEST(test_damaged_table)
{
	const struct damage_case *c = &damage_cases[_i];
	static struct ng f;
	uint8_t a[64] = { 0 };
	two_ifaces(&f);
	epb(&f, 0, 1, a, 60, 60);
	damage(&f, c->d);
	struct got g;
	read_all(&f, NULL, &g);
	ck_assert_msg(g.rc == -1, "%s: read to the end", c->name);
	ck_assert_int_eq(g.n, 1);
	ck_assert_msg(strstr(g.err, c->want), "%s: '%s' lacks '%s'", c->name, g.err, c->want);
	ck_assert_msg(strstr(g.err, "stopped after packet 1; pcapng block at byte"), "%s: %s",
		      c->name, g.err);
	ck_assert_ptr_null(strchr(g.err, '\n'));
}
END_TEST

/* ---------------------------------------------------------------- as libpcap */

/*
 * The file read by libpcap (nanosecond timestamps) and by the capture
 * source, side by side: the same packets and the same end. Where libpcap
 * stops at an interface or section it does not take, the capture source
 * goes on with pcapng.c (the cases above): compared up to there. So it
 * does from the start when the first 4 KiB already show an interface
 * unlike the first (open_own_at_start()): not compared, -1. Returns the
 * packets compared; *fast says whether ngread.c read them.
 */
static int same_as_libpcap(const struct ng *f, const char *label, bool *fast)
{
	const char *path = write_ng(f);
	char perr[PCAP_ERRBUF_SIZE] = "", err[TN_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, perr);
	struct tn_capture *cap = NULL;
	int orc = tn_capture_open_file(&cap, path, NULL, err, sizeof err);
	ck_assert_msg((p != NULL) == (orc == 0), "%s: opened by one only: '%s' / '%s'", label,
		      perr, err);
	*fast = cap && cap->ngread;
	if (cap && cap->ng) {
		pcap_close(p);
		tn_capture_destroy(cap);
		return -1;
	}
	int n = 0;
	for (; p; n++) {
		struct pcap_pkthdr *h;
		const u_char *d;
		struct tn_frame fr;
		int prc = pcap_next_ex(p, &h, &d);
		int trc = tn_capture_next(cap, &fr, err, sizeof err);
		if (prc == PCAP_ERROR && (strstr(pcap_geterr(p), "different from the") ||
					  strstr(pcap_geterr(p), "different byte orders")))
			break;
		if (prc != 1 || trc != 1) {
			ck_assert_msg(trc == (prc == PCAP_ERROR_BREAK ? 0 : -1),
				      "%s: packet %d: libpcap %d, tcpnarrate %d (%s)", label, n + 1,
				      prc, trc, err);
			ck_assert_msg(trc == 0 || strstr(err, pcap_geterr(p)),
				      "%s: '%s' is not libpcap's '%s'", label, err, pcap_geterr(p));
			break;
		}
		ck_assert_msg(fr.ts_sec == (int64_t)h->ts.tv_sec &&
			      fr.ts_nsec == (uint32_t)h->ts.tv_usec && fr.caplen == h->caplen &&
			      fr.wirelen == h->len && memcmp(fr.data, d, h->caplen) == 0,
			      "%s: packet %d differs: %lld.%09u %u/%u against %lld.%09u %u/%u", label,
			      n + 1, (long long)fr.ts_sec, fr.ts_nsec, fr.caplen, fr.wirelen,
			      (long long)h->ts.tv_sec, (unsigned)h->ts.tv_usec, h->caplen, h->len);
	}
	if (p)
		pcap_close(p);
	tn_capture_destroy(cap);
	return n;
}

/* A file of one interface (if_tsresol res, if_tsoffset off) and a few packets of each kind. */
static void plain(struct ng *f, int res, int64_t off, uint32_t snaplen)
{
	uint8_t a[128];
	uint32_t al = syn_frame(a, false, 80);
	memset(f, 0, sizeof *f);
	shb(f, false);
	idb(f, DLT_EN10MB, snaplen, res, off);
	epb(f, 0, 0x123456789abcdefull, a, al, al);
	custom(f);
	opb(f, 0, 1ull << 40, a, al);
	spb(f, a, al);
	epb(f, 0, UINT64_MAX, a, al, 1514);
}

START_TEST(test_resolutions_as_libpcap)
{
	static const int res[] = { -1, 0, 3, 6, 9, 12, 19, 0x80 | 10, 0x80 | 30, 0x80 | 34,
				   0x80 | 40, 0x80 | 63 };
	static const int64_t off[] = { 0, 100, -7, INT64_MAX };
	static struct ng f;
	char label[64];
	for (size_t i = 0; i < sizeof res / sizeof *res; i++) {
		for (size_t k = 0; k < sizeof off / sizeof *off; k++) {
			bool fast;
			plain(&f, res[i], off[k], k % 2 ? 0 : 262144);
			snprintf(label, sizeof label, "if_tsresol %#x, if_tsoffset %lld", res[i],
				 (long long)off[k]);
			ck_assert_int_eq(same_as_libpcap(&f, label, &fast), 4);
			ck_assert_msg(fast, "%s: not read by ngread.c", label);
		}
	}
}
END_TEST

/* plain(), then a later interface with its own clock, a later section, an unknown block. */
static void busy(struct ng *f)
{
	uint8_t a[128];
	uint32_t al = syn_frame(a, false, 80);
	plain(f, 9, 3, 262144);
	idb(f, DLT_EN10MB, 262144, 0x80 | 20, 5);
	epb(f, 1, 3ull << 20, a, al, al);
	epb(f, 0, 2000000, a, al, al);
	shb(f, false);
	custom(f);
	idb(f, DLT_EN10MB, 262144, 3, 0);
	epb(f, 0, 1500, a, al, al);
}

START_TEST(test_more_interfaces_and_sections_as_libpcap)
{
	static struct ng f;
	bool fast;
	busy(&f);
	ck_assert_int_eq(same_as_libpcap(&f, "three interfaces, two sections", &fast), 7);
	ck_assert(fast);
}
END_TEST

/* An interface of the first one's kind with the options given (little-endian bytes). */
static void idb_opts(struct ng *f, const uint8_t *opts, size_t n)
{
	open_block(f, 1);
	put16(f, DLT_EN10MB);
	put16(f, 0);
	put32(f, 1000);
	put(f, opts, n);
	close_block(f);
}

static const struct { const uint8_t b[24]; size_t n; } bad_opts[] = {
	{ { 9, 0, 2, 0, 6, 6, 0, 0 }, 8 },                           /* if_tsresol of 2 bytes */
	{ { 9, 0, 40, 0, 6, 0, 0, 0 }, 8 },                          /* longer than the block */
	{ { 9, 0, 1, 0, 6, 0, 0, 0, 9, 0, 1, 0, 9, 0, 0, 0 }, 16 },  /* if_tsresol twice */
	{ { 14, 0, 8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 14, 0, 8, 0, 2, 0, 0, 0, 0, 0, 0, 0 }, 24 },
	{ { 0, 0, 4, 0, 0, 0, 0, 0 }, 8 },                           /* opt_endofopt of 4 bytes */
	{ { 14, 0, 4, 0, 1, 0, 0, 0 }, 8 },                          /* if_tsoffset of 4 bytes */
	{ { 9, 0, 1, 0, 40, 0, 0, 0 }, 8 },                          /* 10^-40 s */
	{ { 9, 0, 1, 0, 0xc0, 0, 0, 0 }, 8 },                        /* 2^-64 s */
};

/* plain(), then packets enough that what follows is past the first 4 KiB. */
static void past_peek(struct ng *f)
{
	static const uint8_t z[900];
	plain(f, 6, 0, 1000);
	for (int i = 0; i < 5; i++)
		epb(f, 0, 5, z, sizeof z, sizeof z);
}

/* Each thing libpcap says of a damaged block, said the same way after the same packets. */
static void damage_as_libpcap(struct ng *f, int which)
{
	uint8_t a[64] = { 0 };
	size_t at = f->len;
	if (which >= 16) {
		idb_opts(f, bad_opts[which - 16].b, bad_opts[which - 16].n);
		return;
	}
	switch (which) {
	case 0: epb(f, 0, 1, a, 60, 60); f->b[f->len - 4] ^= 0x10; break; /* trailer */
	case 1: epb(f, 0, 1, a, 60, 60); f->b[at + 4] = 8; f->b[at + 5] = 0; break;
	case 2: epb(f, 0, 1, a, 60, 60); f->b[at + 4] = 47; break;
	case 3: epb(f, 0, 1, a, 60, 60); f->b[at + 7] = 2; break; /* 32 MiB */
	case 4: epb(f, 0, 1, a, 60, 60); f->len = at + 5; break;
	case 5: epb(f, 0, 1, a, 60, 60); f->len -= 10; break;
	case 6: epb(f, 3, 1, a, 60, 60); break;
	case 7: epb(f, 0, 1, a, 60, 60); f->b[at + 20] = 200; break; /* over the block */
	case 8: epb(f, 0, 1, a, 60, 60); f->b[at + 21] = 0x10; break; /* over the snapshot */
	case 9: open_block(f, 6); put32(f, 0); close_block(f); break;
	case 10: open_block(f, 3); close_block(f); break;
	case 11: open_block(f, 1); put16(f, DLT_EN10MB); close_block(f); break;
	case 12: shb(f, false); f->b[at + 8] = 0x1b; break; /* byte-order magic */
	case 13: shb(f, false); f->b[at + 12] = 2; break; /* major version */
	case 14: shb(f, true); break;
	default: open_block(f, 0x0a0d0d0au); put32(f, 0x1a2b3c4du); close_block(f); break;
	}
}

START_TEST(test_damaged_as_libpcap)
{
	static struct ng f;
	char label[32];
	bool fast;
	past_peek(&f);
	damage_as_libpcap(&f, _i);
	snprintf(label, sizeof label, "damage %d", _i);
	ck_assert_int_eq(same_as_libpcap(&f, label, &fast), 9);
	ck_assert(fast);
}
END_TEST

/* An interface libpcap does not take: compared up to it, and the reading goes on past it. */
START_TEST(test_other_kind_of_interface)
{
	static struct ng f;
	uint8_t a[128];
	uint32_t al = syn_frame(a, false, 80);
	bool fast;
	struct got g;
	past_peek(&f);
	idb(&f, 101, 262144, -1, 0);
	epb(&f, 1, 1, a + 14, al - 14, al - 14);
	ck_assert_int_eq(same_as_libpcap(&f, "a raw IP interface", &fast), 9);
	ck_assert(fast);
	read_all(&f, NULL, &g);
	ck_assert_msg(g.rc == 0, "%s", g.err);
	ck_assert_int_eq(g.n, 10);
	ck_assert_uint_eq(g.fr[9].linktype, DLT_RAW);
}
END_TEST

/* Bytes flipped, overwritten with telling lengths, cut or inserted after the first interface. */
START_TEST(test_mutants_as_libpcap)
{
	static const uint32_t telling[] = { 0, 8, 12, 13, 20, 1u << 24, 0x0a0d0d0au, 0xffffffffu };
	static struct ng base, f;
	char label[32];
	unsigned seed = 20261128, fast_runs = 0;
	busy(&base);
	size_t start = 28 + 32; /* after the section header and the interface */
	for (int m = 0; m < 400; m++) {
		f = base;
		for (int k = 0; k <= m % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			if (f.len <= start)
				break;
			size_t at = start + (seed >> 8) % (f.len - start);
			switch ((seed >> 4) % 4) {
			case 0: f.b[at] ^= (uint8_t)(1u << (seed % 8)); break;
			case 1: f.len = at; break;
			case 2: if (at + 4 <= f.len) memcpy(f.b + at, &telling[seed % 8], 4); break;
			default:
				memmove(f.b + at + 4, f.b + at, f.len - at);
				memcpy(f.b + at, &telling[seed % 8], 4);
				f.len += 4;
			}
		}
		bool fast;
		snprintf(label, sizeof label, "mutant %d", m);
		same_as_libpcap(&f, label, &fast);
		fast_runs += fast;
	}
	ck_assert_uint_gt(fast_runs, 300);
}
END_TEST

static Suite *pcapng_suite(void)
{
	Suite *s = suite_create("pcapng");
	TCase *tc = tcase_create("read");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_each_packet_its_own_link_type);
	tcase_add_test(tc, test_cut_to_its_interface_snaplen);
	tcase_add_test(tc, test_switch_in_mid_file);
	tcase_add_test(tc, test_switch_in_mid_file_other_order);
	tcase_add_test(tc, test_sections_both_orders);
	suite_add_tcase(s, tc);

	tc = tcase_create("filter");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_filter_per_link_type);
	tcase_add_test(tc, test_bad_filter_refused_at_open);
	suite_add_tcase(s, tc);

	tc = tcase_create("damaged");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	TN_ADD_TABLE_TEST(tc, test_damaged_table, damage_cases);
	suite_add_tcase(s, tc);

	tc = tcase_create("as libpcap");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_resolutions_as_libpcap);
	tcase_add_test(tc, test_more_interfaces_and_sections_as_libpcap);
	tcase_add_loop_test(tc, test_damaged_as_libpcap, 0,
			    16 + (int)(sizeof bad_opts / sizeof *bad_opts));
	tcase_add_test(tc, test_other_kind_of_interface);
	tcase_add_test(tc, test_mutants_as_libpcap);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tn_unit_run(pcapng_suite());
}
