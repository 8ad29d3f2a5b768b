/*
 * flow.h — the flow table: both directions of an address/port pair, one entry.
 *
 * Each entry is found by a canonical key (the lower endpoint first, so A→B
 * and B→A meet) and carries a fixed-size, zeroed payload whose meaning the
 * pipeline gives it (struct tn_conn). The table is created with its limit;
 * when full, the least recently active entry of the expendable class
 * (half-open or closed connections) is evicted first, then of the rest, and
 * counted. Entries idle longer than a timeout, in capture time, can be
 * found and removed. The table never calls out: eviction and expiry are the
 * caller's moves (the pipeline's), made between lookups. Memory grows in chunks as flows appear, is reused as they go, and
 * is never more than the limit allows.
 */
#ifndef TCPNARRATE_FLOW_H
#define TCPNARRATE_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <tcpnarrate/decode.h>

struct tn_flow_table;

struct tn_flow_key {
	uint8_t family;        /* 4 or 6 */
	uint8_t addr[2][16];   /* endpoint 0 is the lower (address, port) */
	uint16_t port[2];
	uint32_t tunnel;       /* tn_flow_tunnel_id(): 0 when not carried in a tunnel */
};

#define TN_FLOW_DEFAULT_MAX 131072u

int tn_flow_table_create(struct tn_flow_table **out, uint32_t max_flows, size_t payload_size,
			 char *errbuf, size_t errlen);
void tn_flow_table_destroy(struct tn_flow_table *t);

/*
 * The entry for `key`, or NULL when there is none. A hit counts as activity
 * at the table's current time (tn_flow_table_set_now) and moves the entry to
 * the front of its eviction class.
 */
void *tn_flow_find(struct tn_flow_table *t, const struct tn_flow_key *key);

/* The same, but not as activity: nothing about the entry changes (an ICMP error's look-up). */
void *tn_flow_peek(struct tn_flow_table *t, const struct tn_flow_key *key);

/*
 * A new entry for `key` (not in the table), its payload zeroed. NULL when the
 * table is full (the caller evicts first: tn_flow_oldest, tn_flow_remove) or
 * memory runs out. Nothing is evicted here, so nothing happens behind the
 * caller's back in the middle of a lookup.
 */
void *tn_flow_insert(struct tn_flow_table *t, const struct tn_flow_key *key);

/* Has the table reached its limit? */
bool tn_flow_table_full(const struct tn_flow_table *t);

/*
 * The least recently active entry's payload, expendable ones first: the one
 * to evict when the table is full. NULL when the table is empty.
 */
void *tn_flow_oldest(struct tn_flow_table *t);

/*
 * The least recently active entry with no activity since now_ns - idle_ns,
 * expendable ones first, or NULL when none has been idle that long.
 */
void *tn_flow_idle(struct tn_flow_table *t, int64_t now_ns, int64_t idle_ns);

/*
 * Removes an entry; its payload pointer is dead afterwards. `evicted` counts
 * it in tn_flow_table_evictions().
 */
void tn_flow_remove(struct tn_flow_table *t, void *payload, bool evicted);

/* The key of the entry whose payload this is (a pointer tn_flow_find/insert returned). */
const struct tn_flow_key *tn_flow_key_of(const void *payload);

/* Calls fn on every entry's payload, in no particular order. */
void tn_flow_foreach(struct tn_flow_table *t, void (*fn)(void *payload, void *ctx), void *ctx);

/* The capture time of the packet being looked up; stamps entries' activity. */
void tn_flow_table_set_now(struct tn_flow_table *t, int64_t now_ns);

/* Eviction classes: expendable entries go first when the table is full. */
enum tn_flow_class { TN_FLOW_EXPENDABLE = 0, TN_FLOW_KEEP = 1 };
void tn_flow_set_class(struct tn_flow_table *t, void *payload, enum tn_flow_class cls);

/* Bytes one entry takes (key, links and payload). */
size_t tn_flow_entry_size(const struct tn_flow_table *t);

uint32_t tn_flow_table_count(const struct tn_flow_table *t);
uint64_t tn_flow_table_evictions(const struct tn_flow_table *t);
uint32_t tn_flow_table_max(const struct tn_flow_table *t);

/*
 * The identity of the tunnels a segment was carried in, the same for both
 * directions: a hash of every outer IP header's two endpoints (in canonical
 * order) and of the identifiers both directions share — VXLAN and Geneve
 * VNI, GRE key (version 0), ERSPAN session, PPPoE session, 802.1ah I-SID. MPLS labels,
 * GTP-U TEIDs and VLAN ids are left out: they differ per direction or per
 * hop, or (VLAN) never told connections apart. 0 for a segment carried in
 * none of these (docs/encap.md).
 */
uint32_t tn_flow_tunnel_id(const struct tn_packet *pkt);

/* Builds the canonical key of a decoded packet; returns the side pkt came from. */
int tn_flow_key_make(const struct tn_packet *pkt, struct tn_flow_key *key);

/*
 * The same from a 4-tuple (family 4 or 6): a segment quoted in an ICMP
 * error. The tunnel is left 0; the caller sets it (the error's own).
 */
int tn_flow_key_from(uint8_t family, const uint8_t *src, const uint8_t *dst, uint16_t sport,
		     uint16_t dport, struct tn_flow_key *key);

/*
 * A deterministic 64-bit hash of a canonical key. Both directions of a
 * connection share one key, and so one hash; so does every connection that
 * later reuses the port pair. The same key and seed give the same value in
 * every process and on every machine, so shards can split a capture by it
 * (hash % N) and agree on where each connection goes. The flow table uses
 * it with a seed of its own.
 */
uint64_t tn_flow_key_hash(const struct tn_flow_key *key, uint64_t seed);

#endif
