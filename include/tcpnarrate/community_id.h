/*
 * community_id.h — the Community ID v1 of a TCP connection: the flow hash
 * that Zeek, Suricata and Wireshark print, so a connection in tcpnarrate's
 * output can be found in theirs by one string comparison.
 *
 * Spec: https://github.com/corelight/community-id-spec (README.md, "Pseudo
 * code" and "Technical details"). The ID is "1:" followed by the base64 of
 * the SHA-1 of, all in network byte order:
 *
 *     seed (2 bytes) . lower IP . higher IP . proto (1 byte, 6 for TCP)
 *     . 0 (1 byte of padding) . lower port . higher port
 *
 * where the endpoints are ordered so the numerically smaller (IP, port)
 * comes first: IP addresses are compared first, ports only when the
 * addresses are equal. IPv4 addresses take 4 bytes, IPv6 ones 16.
 *
 * Ownership: nothing is allocated and nothing is kept; the caller owns the
 * key and the output buffer. SHA-1 and base64 are done here, in
 * src/flow/community_id.c, with no library behind them.
 */
#ifndef TCPNARRATE_COMMUNITY_ID_H
#define TCPNARRATE_COMMUNITY_ID_H

#include <stddef.h>
#include <stdint.h>

#include <tcpnarrate/flow.h>

/* Bytes a Community ID v1 takes, with its NUL: "1:", 28 base64 characters. */
#define TN_COMMUNITY_ID_SIZE 31

/* Bytes of a SHA-1 digest. */
#define TN_SHA1_SIZE 20

/*
 * Writes the Community ID v1 of the TCP flow `key` with `seed` (0 is the
 * spec's and the tools' default) into buf, NUL-terminated. The key's
 * endpoints may be in either order: they are put in the spec's order here,
 * so both directions of a connection give the same ID. When the ID does not
 * fit in len bytes (fewer than TN_COMMUNITY_ID_SIZE), or the key's family
 * is neither 4 nor 6, buf gets the empty string (when len > 0), never a
 * truncated ID that could pass for another flow's; nothing is written past
 * buf[len - 1].
 */
void tn_community_id(const struct tn_flow_key *key, uint16_t seed, char *buf, size_t len);

/*
 * SHA-1 (FIPS 180-4) of len bytes at msg, into digest. The hash the ID is
 * made with, exported so its known-answer tests can reach it; msg may be
 * NULL when len is 0.
 */
void tn_community_id_sha1(const void *msg, size_t len, uint8_t digest[TN_SHA1_SIZE]);

/*
 * SHA-1 runs on the CPU's SHA instructions (x86 SHA-NI) where the CPU has
 * them, else in portable C. use_sha_ni(false) makes it portable C, and
 * (true) returns to the default; the answer is whether the instructions
 * are in use now. For the tests, which check one against the other.
 */
bool tn_community_id_use_sha_ni(bool on);

#endif
