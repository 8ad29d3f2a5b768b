/*
 * inner.h — tcpnarrate's own filter on the decoded (innermost) IP and TCP
 * headers, for picking connections inside tunnels.
 *
 * A BPF filter expression sees the frame as it is on the wire, so through a
 * tunnel it matches the outer headers (as in tcpdump). --inner EXPR is
 * applied after decoding instead, to the addresses and ports tcpnarrate
 * narrates: EXPR is one or more terms joined by "and", each term one of
 *
 *   host ADDR           either address is ADDR (IPv4 or IPv6)
 *   net ADDR/LEN        either address is in that prefix
 *   port N              either port is N
 *   src host ADDR, dst host ADDR, src port N, dst port N, src net …, dst net …
 *
 * A segment is narrated only when every term matches. The filter is a
 * fixed array of terms; parsing it allocates nothing.
 */
#ifndef TCPNARRATE_INNER_H
#define TCPNARRATE_INNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tcpnarrate/decode.h>

#define TN_INNER_MAX_TERMS 8

struct tn_inner_term {
	uint8_t what;          /* 0: host/net, 1: port */
	uint8_t dir;           /* 0: either, 1: source, 2: destination */
	uint8_t family;        /* 4 or 6, for an address */
	uint8_t prefix;        /* bits of addr that must match */
	uint8_t addr[16];
	uint16_t port;
};

struct tn_inner_filter {
	uint8_t n;             /* 0: no filter, everything matches */
	struct tn_inner_term term[TN_INNER_MAX_TERMS];
};

/* Parses EXPR into *f; -1 with a sentence naming what is wrong in errbuf. */
int tn_inner_parse(const char *expr, struct tn_inner_filter *f, char *errbuf, size_t errlen);

/* Does the decoded segment match every term? */
bool tn_inner_match(const struct tn_inner_filter *f, const struct tn_packet *pkt);

#endif
