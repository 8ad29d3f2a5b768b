/*
 * flow.h — the flow table: both directions of an address/port pair, one entry.
 *
 * Each entry is found by a canonical key (the lower endpoint first, so A→B
 * and B→A meet) and carries a fixed-size, zeroed payload that the next stage
 * (the tracker) owns the meaning of. The table is created with its limit;
 * when full, the least recently active entry of the expendable class
 * (half-open or closed connections) is evicted first, then of the rest, and
 * counted. Entries idle longer than a timeout, in capture time, can be
 * expired. Memory grows in chunks as flows appear, is reused as they go, and
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
};

/* Called with the payload of an entry about to be evicted (may be NULL). */
typedef void (*tn_flow_evict_fn)(void *payload, void *ctx);

#define TN_FLOW_DEFAULT_MAX 262144u

int tn_flow_table_create(struct tn_flow_table **out, uint32_t max_flows, size_t payload_size,
			 tn_flow_evict_fn on_evict, void *evict_ctx, char *errbuf, size_t errlen);
void tn_flow_table_destroy(struct tn_flow_table *t);

/*
 * The entry for pkt's address/port pair, created (payload zeroed) when new.
 * *side is 0 when pkt was sent by endpoint 0 of the key, else 1. Returns
 * NULL only when memory runs out.
 */
void *tn_flow_lookup(struct tn_flow_table *t, const struct tn_packet *pkt, int *side,
		     bool *created);

/* The key of the entry whose payload this is. */
const struct tn_flow_key *tn_flow_key_of(const void *payload);

/* Calls fn on every entry's payload, in no particular order. */
void tn_flow_foreach(struct tn_flow_table *t, void (*fn)(void *payload, void *ctx), void *ctx);

/* The capture time of the packet being looked up; stamps entries' activity. */
void tn_flow_table_set_now(struct tn_flow_table *t, int64_t now_ns);

/* Eviction classes: expendable entries go first when the table is full. */
enum tn_flow_class { TN_FLOW_EXPENDABLE = 0, TN_FLOW_KEEP = 1 };
void tn_flow_set_class(struct tn_flow_table *t, void *payload, enum tn_flow_class cls);

/*
 * Removes every entry with no activity since now_ns - idle_ns, least recent
 * first, calling fn on each payload before it goes. Returns how many.
 */
uint64_t tn_flow_expire_idle(struct tn_flow_table *t, int64_t now_ns, int64_t idle_ns,
			     void (*fn)(void *payload, void *ctx), void *ctx);

/* Bytes one entry takes (key, links and payload). */
size_t tn_flow_entry_size(const struct tn_flow_table *t);

uint32_t tn_flow_table_count(const struct tn_flow_table *t);
uint64_t tn_flow_table_evictions(const struct tn_flow_table *t);
uint32_t tn_flow_table_max(const struct tn_flow_table *t);

/* Builds the canonical key of a decoded packet; returns the side pkt came from. */
int tn_flow_key_make(const struct tn_packet *pkt, struct tn_flow_key *key);

#endif
