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

#define MAX_FRAMES 8
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
 * The second interface comes after the first 4 KiB: libpcap reads the
 * first packet, stops at the interface, and the reader takes over from
 * there without repeating it.
 */
START_TEST(test_switch_in_mid_file)
{
	static struct ng f;
	static uint8_t big[5000];
	uint8_t c[128];
	uint32_t cl = syn_frame(c, true, 81);
	memset(&f, 0, sizeof f);
	shb(&f, false);
	idb(&f, DLT_EN10MB, 262144, -1, 0);
	epb(&f, 0, 1000000, big, sizeof big, sizeof big);
	idb(&f, DLT_LINUX_SLL, 8192, -1, 0);
	epb(&f, 1, 2000000, c, cl, cl);
	epb(&f, 0, 3000000, big, 60, 60);
	struct got g;
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

static Suite *pcapng_suite(void)
{
	Suite *s = suite_create("pcapng");
	TCase *tc = tcase_create("read");
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_each_packet_its_own_link_type);
	tcase_add_test(tc, test_cut_to_its_interface_snaplen);
	tcase_add_test(tc, test_switch_in_mid_file);
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
	return s;
}

int main(void)
{
	return tn_unit_run(pcapng_suite());
}
