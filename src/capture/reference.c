/*
 * reference.c — the textbook connection, as a capture source.
 *
 * `curl http://10.0.2.10/` from 10.0.1.5, the way a textbook draws it: the
 * server already listening on port 80, client ISN 1000, server ISN 4500, no
 * TCP options, one GET, a 200-byte response in one segment, every segment
 * acknowledged at once, and the client closing with a four-way teardown.
 * Eleven segments. They are built as real Ethernet frames with correct
 * checksums, so every later stage treats them exactly like captured ones,
 * and --write-reference writes them to a pcap that reads back the same.
 */
#define _DEFAULT_SOURCE
#include "internal.h"

#include <tcpnarrate/decode.h>

#include <stdlib.h>
#include <string.h>

#define REF_FRAME_MAX 400

static const uint8_t client_ip[4] = { 10, 0, 1, 5 }, server_ip[4] = { 10, 0, 2, 10 };
static const uint8_t client_mac[6] = { 0x02, 0, 0, 0, 0, 0x05 };
static const uint8_t server_mac[6] = { 0x02, 0, 0, 0, 0, 0x0a };

static const char request[] =
	"GET / HTTP/1.1\r\nHost: 10.0.2.10\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n";

/* Exactly 200 bytes: headers and a short page. */
static const char response[] =
	"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 135\r\n\r\n"
	"<!DOCTYPE html><html><head><title>tcpnarrate</title></head>"
	"<body><p>The textbook connection: one request, one reply.</p></body></html>\n";

_Static_assert(sizeof response - 1 == 200, "the textbook response is 200 bytes");
_Static_assert(sizeof request - 1 == 73, "sequence numbers below assume a 73-byte request");

struct ref_segment {
	bool from_client;
	uint16_t flags;
	uint32_t seq, ack;
	const char *payload;
	uint32_t ms;         /* capture time after the first segment, in milliseconds */
};

/* One-way delay 5 ms, captured at the client: replies arrive 10 ms after the request. */
static const struct ref_segment script[TN_REFERENCE_SEGMENTS] = {
	{ true, TN_TH_SYN, TN_REFERENCE_CLIENT_ISN, 0, NULL, 0 },
	{ false, TN_TH_SYN | TN_TH_ACK, TN_REFERENCE_SERVER_ISN, 1001, NULL, 10 },
	{ true, TN_TH_ACK, 1001, 4501, NULL, 10 },
	{ true, TN_TH_PSH | TN_TH_ACK, 1001, 4501, request, 10 },
	{ false, TN_TH_ACK, 4501, 1074, NULL, 20 },
	{ false, TN_TH_PSH | TN_TH_ACK, 4501, 1074, response, 20 },
	{ true, TN_TH_ACK, 1074, 4701, NULL, 20 },
	{ true, TN_TH_FIN | TN_TH_ACK, 1074, 4701, NULL, 21 },
	{ false, TN_TH_ACK, 4701, 1075, NULL, 31 },
	{ false, TN_TH_FIN | TN_TH_ACK, 4701, 1075, NULL, 31 },
	{ true, TN_TH_ACK, 1075, 4702, NULL, 31 },
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* Builds segment i into f (REF_FRAME_MAX bytes); returns the frame length. */
static uint32_t build(size_t i, uint8_t *f, uint16_t ip_id)
{
	const struct ref_segment *s = &script[i];
	uint32_t plen = s->payload ? (uint32_t)strlen(s->payload) : 0;
	uint32_t ip_len = 20 + 20 + plen;
	memset(f, 0, REF_FRAME_MAX);
	memcpy(f, s->from_client ? server_mac : client_mac, 6);
	memcpy(f + 6, s->from_client ? client_mac : server_mac, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14, *tcp = ip + 20;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)ip_len);
	put16(ip + 4, ip_id);
	put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;
	ip[9] = 6;
	memcpy(ip + 12, s->from_client ? client_ip : server_ip, 4);
	memcpy(ip + 16, s->from_client ? server_ip : client_ip, 4);
	put16(ip + 10, (uint16_t)~tn_csum_fold(tn_csum_add(0, ip, 20)));
	put16(tcp, s->from_client ? TN_REFERENCE_CLIENT_PORT : 80);
	put16(tcp + 2, s->from_client ? 80 : TN_REFERENCE_CLIENT_PORT);
	put32(tcp + 4, s->seq);
	put32(tcp + 8, s->ack);
	put16(tcp + 12, (uint16_t)(5 << 12 | s->flags));
	put16(tcp + 14, 65535);
	if (plen)
		memcpy(tcp + 20, s->payload, plen);
	uint8_t pseudo[12];
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, (uint16_t)(20 + plen));
	uint32_t sum = tn_csum_add(tn_csum_add(0, pseudo, 12), tcp, 20 + plen);
	put16(tcp + 16, (uint16_t)~tn_csum_fold(sum));
	return 14 + ip_len;
}

struct tn_reference {
	uint8_t frames[TN_REFERENCE_SEGMENTS][REF_FRAME_MAX];
	uint32_t len[TN_REFERENCE_SEGMENTS];
	size_t next;
};

int tn_capture_open_reference(struct tn_capture **out, char *errbuf, size_t errlen)
{
	struct tn_capture *cap = calloc(1, sizeof *cap);
	struct tn_reference *ref = calloc(1, sizeof *ref);
	if (!cap || !ref) {
		snprintf(errbuf, errlen, "out of memory");
		free(cap);
		free(ref);
		return -1;
	}
	uint16_t id_c = 0x1000, id_s = 0x2000;
	for (size_t i = 0; i < TN_REFERENCE_SEGMENTS; i++)
		ref->len[i] = build(i, ref->frames[i], script[i].from_client ? id_c++ : id_s++);
	/* A dead handle gives -w a link type and snapshot length to write with. */
	cap->pcap = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535,
							 PCAP_TSTAMP_PRECISION_MICRO);
	if (!cap->pcap) {
		snprintf(errbuf, errlen, "out of memory");
		free(cap);
		free(ref);
		return -1;
	}
	cap->ts_digits = 6;
	cap->reference = ref;
	*out = cap;
	return 0;
}

int tn_capture_next_reference(struct tn_capture *cap, struct tn_frame *frame)
{
	struct tn_reference *ref = cap->reference;
	if (ref->next >= TN_REFERENCE_SEGMENTS || cap->stop)
		return 0;
	size_t i = ref->next++;
	uint64_t us = (uint64_t)script[i].ms * 1000;
	cap->n++;
	frame->n = cap->n;
	frame->ts_sec = TN_REFERENCE_EPOCH + (int64_t)(us / 1000000);
	frame->ts_nsec = (uint32_t)(us % 1000000) * 1000;
	frame->caplen = frame->wirelen = frame->file_caplen = ref->len[i];
	frame->data = ref->frames[i];
	frame->over_snaplen = false;
	frame->linktype = DLT_EN10MB;
	struct pcap_pkthdr h = { .caplen = ref->len[i], .len = ref->len[i] };
	h.ts.tv_sec = (time_t)frame->ts_sec;
	h.ts.tv_usec = (suseconds_t)(frame->ts_nsec / 1000);
	tn_capture_delivered(cap, &h, frame->data);
	return 1;
}

void tn_capture_reference_free(struct tn_capture *cap)
{
	free(cap->reference);
	cap->reference = NULL;
}
