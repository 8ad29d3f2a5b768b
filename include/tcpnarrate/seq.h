/*
 * seq.h — TCP sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4).
 * Sequence numbers are compared only through these helpers, never with < or >.
 */
#ifndef TCPNARRATE_SEQ_H
#define TCPNARRATE_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool tn_seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool tn_seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool tn_seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool tn_seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }
/* Distance from base to a, as an unsigned offset modulo 2^32. */
static inline uint32_t tn_seq_rel(uint32_t a, uint32_t base) { return a - base; }

#endif
