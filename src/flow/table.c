/*
 * table.c — a bounded hash table of flows with least-recently-active eviction.
 *
 * Entries live in chunks of CHUNK entries, allocated as the table fills, and
 * are addressed by 32-bit index; buckets chain through `next`. A doubly linked
 * list keeps them in order of last activity, so finding the entry to evict
 * is O(1). The chain, the list and each entry's hash live apart from the
 * entries, 16 bytes an index in a dense array per chunk: moving an entry to
 * the front of its list, or walking past a colliding one, touches its
 * neighbours' links, which stay in cache, and not their 1 KiB entries.
 * A lookup reads one entry, the one it finds, and a removed entry's slot is the next one
 * handed out: once the table has grown, the per-packet path allocates
 * nothing. The table never calls back: what happens to an evicted or idle
 * connection (its report) is the caller's business, done before it removes
 * the entry. The hash is seeded per table
 * so crafted addresses cannot pile every flow into one bucket.
 *
 * Ownership: the table owns every entry and payload; a payload pointer stays
 * valid until its entry is evicted or the table destroyed.
 */
#define _DEFAULT_SOURCE
#include <tcpnarrate/flow.h>
#include <sys/mman.h>

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK_SHIFT 11
#define CHUNK (1u << CHUNK_SHIFT)
#define NIL UINT32_MAX

/* The header is 64 bytes (cls right after the key); the payload starts at 64. */
struct entry {
	struct tn_flow_key key;
	uint8_t cls;               /* enum tn_flow_class: which LRU list */
	uint32_t self;             /* the entry's index */
	int64_t last_ns;           /* capture time of the last packet */
	alignas(max_align_t) unsigned char payload[];
};

/* An index's links, apart from its entry. */
struct link {
	uint32_t next;             /* bucket chain, or free list */
	uint32_t lru_prev, lru_next;
	uint32_t hash;
};

struct tn_flow_table {
	uint32_t max;
	uint32_t count;
	uint32_t used;              /* entries ever handed out (high-water mark) */
	uint32_t *buckets;
	uint32_t mask;
	unsigned char **chunks;
	struct link **links;        /* per chunk, CHUNK links */
	uint32_t n_chunks;
	size_t entry_size;
	uint32_t free_head;         /* removed entries, chained through next */
	uint32_t lru_head[2], lru_tail[2];  /* per class; head: most recent */
	int64_t now_ns;
	uint64_t evictions;
	uint64_t seed;
	uint64_t secret[8];         /* hash_key()'s, drawn from seed */
};

static struct entry *at(const struct tn_flow_table *t, uint32_t i)
{
	return (struct entry *)(t->chunks[i >> CHUNK_SHIFT] + (size_t)(i & (CHUNK - 1)) * t->entry_size);
}

static struct link *ln(const struct tn_flow_table *t, uint32_t i)
{
	return &t->links[i >> CHUNK_SHIFT][i & (CHUNK - 1)];
}

/*
 * A chunk is 2 MiB-aligned anonymous memory, whole 2 MiB pages, offered to
 * the kernel for transparent huge pages: new connections take fresh entries
 * (closed ones stay in the table until evicted or idle), and with 4 KiB pages
 * their first touch was a page fault every four entries. The mapping is cut
 * to the aligned span, so nothing beyond it is ever resident.
 */
#define HUGE_PAGE ((size_t)2 << 20)

static size_t chunk_span(size_t entry_size)
{
	return (CHUNK * entry_size + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

static void *chunk_alloc(size_t span)
{
	unsigned char *m = mmap(NULL, span + HUGE_PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	size_t head = (HUGE_PAGE - (uintptr_t)m % HUGE_PAGE) % HUGE_PAGE;
	if (head)
		munmap(m, head);
	munmap(m + head + span, HUGE_PAGE - head);
	madvise(m + head, span, MADV_HUGEPAGE); /* a hint: without THP, 4 KiB pages */
	return m + head;
}

int tn_flow_table_create(struct tn_flow_table **out, uint32_t max_flows, size_t payload_size,
			 char *errbuf, size_t errlen)
{
	if (max_flows == 0 || max_flows > (1u << 28)) {
		snprintf(errbuf, errlen, "flow limit %u is out of range (1 to %u)", max_flows,
			 1u << 28);
		return -1;
	}
	struct tn_flow_table *t = calloc(1, sizeof *t);
	if (!t)
		goto err_oom;
	uint32_t nb = 1024;
	while (nb < max_flows)
		nb <<= 1;
	t->buckets = malloc((size_t)nb * sizeof *t->buckets);
	if (!t->buckets)
		goto err_table;
	memset(t->buckets, 0xff, (size_t)nb * sizeof *t->buckets);
	t->mask = nb - 1;
	t->n_chunks = (max_flows + CHUNK - 1) / CHUNK;
	t->chunks = calloc(t->n_chunks, sizeof *t->chunks);
	t->links = calloc(t->n_chunks, sizeof *t->links);
	if (!t->chunks || !t->links)
		goto err_buckets;
	size_t es = sizeof(struct entry) + payload_size;
	t->entry_size = (es + alignof(max_align_t) - 1) & ~(alignof(max_align_t) - 1);
	t->max = max_flows;
	t->free_head = NIL;
	t->lru_head[0] = t->lru_tail[0] = t->lru_head[1] = t->lru_tail[1] = NIL;
	t->seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)t;
	uint64_t x = t->seed;
	for (int i = 0; i < 8; i++) { /* splitmix64 */
		uint64_t z = (x += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		t->secret[i] = z ^ (z >> 31);
	}
	*out = t;
	return 0;

err_buckets:
	free(t->chunks);
	free(t->links);
	free(t->buckets);
err_table:
	free(t);
err_oom:
	snprintf(errbuf, errlen, "out of memory for a flow table of %u flows", max_flows);
	return -1;
}

void tn_flow_table_destroy(struct tn_flow_table *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->n_chunks; i++) {
		if (t->chunks[i])
			munmap(t->chunks[i], chunk_span(t->entry_size));
		free(t->links[i]);
	}
	free(t->chunks);
	free(t->links);
	free(t->buckets);
	free(t);
}

/* memcmp()'s answer for two addresses, inline: it runs for every segment, on 4 or 16 bytes. */
static int addr_cmp(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* The two addresses in key order, n bytes each: n a constant at each call, so the copies inline. */
static inline int key_addrs(struct tn_flow_key *key, const uint8_t *src, const uint8_t *dst,
			    uint16_t sport, uint16_t dport, size_t n)
{
	int c = addr_cmp(src, dst, n);
	int side = c > 0 || (c == 0 && sport > dport);
	memcpy(key->addr[side], src, n);
	memcpy(key->addr[!side], dst, n);
	key->port[side] = sport;
	key->port[!side] = dport;
	return side;
}

int tn_flow_key_from(uint8_t family, const uint8_t *src, const uint8_t *dst, uint16_t sport,
		     uint16_t dport, struct tn_flow_key *key)
{
	memset(key, 0, sizeof *key);
	key->family = family;
	if (family == 4)
		return key_addrs(key, src, dst, sport, dport, 4);
	return key_addrs(key, src, dst, sport, dport, 16);
}

int tn_flow_key_make(const struct tn_packet *pkt, struct tn_flow_key *key)
{
	bool v4 = pkt->ip_version == 4;
	int side = tn_flow_key_from(pkt->ip_version, v4 ? pkt->ip4.src : pkt->ip6.src,
				    v4 ? pkt->ip4.dst : pkt->ip6.dst, pkt->tcp.sport,
				    pkt->tcp.dport, key);
	key->tunnel = tn_flow_tunnel_id(pkt);
	return side;
}

uint64_t tn_flow_key_hash(const struct tn_flow_key *k, uint64_t seed)
{
	/*
	 * 64-bit multiply-xorshift over the key's bytes, eight at a time. The key
	 * has no padding and tn_flow_key_make() zeroes unused address bytes, so
	 * every byte hashed is defined.
	 */
	uint64_t h = seed ^ 0x9e3779b97f4a7c15ull;
	const unsigned char *p = (const unsigned char *)k;
	/* The addresses and ports; the tunnel is mixed in apart, so that an
	 * untunnelled connection hashes as it did before keys had one. */
	size_t n = offsetof(struct tn_flow_key, port) + sizeof k->port;
	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t w = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		memcpy(&w, p + i, 8); /* one load; the loop below gives the same value */
#else
		for (int b = 0; b < 8; b++)
			w |= (uint64_t)p[i + (size_t)b] << (8 * b); /* the same on any byte order */
#endif
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	for (size_t i = n & ~(size_t)7; i < n; i++)
		h = (h ^ p[i]) * 0xc4ceb9fe1a85ec53ull;
	if (k->tunnel)
		h = (h ^ k->tunnel) * 0xff51afd7ed558ccdull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 32;
	return h;
}

#ifdef __SIZEOF_INT128__
/* The 128-bit product of a and b, its halves folded: wyhash's "mum". */
static uint64_t mum(uint64_t a, uint64_t b)
{
	unsigned __int128 p = (unsigned __int128)a * b;
	return (uint64_t)p ^ (uint64_t)(p >> 64);
}
#endif

/*
 * The table's own hash, seeded per table: the key's 44 bytes (padding
 * zeroed by tn_flow_key_from) as six words, multiplied in pairs with the
 * table's secrets, three products at once instead of tn_flow_key_hash()'s
 * chain of ten (which --shard keeps: its value must not change). Without
 * a 128-bit product, that one.
 */
static uint32_t hash_key(const struct tn_flow_table *t, const struct tn_flow_key *k)
{
#ifdef __SIZEOF_INT128__
	_Static_assert(sizeof *k <= 48, "a key is at most six words");
	uint64_t w[6] = { 0 };
	memcpy(w, k, sizeof *k);
	const uint64_t *s = t->secret;
	uint64_t h = mum(w[0] ^ s[0], w[1] ^ s[1]) ^ mum(w[2] ^ s[2], w[3] ^ s[3]) ^
		     mum(w[4] ^ s[4], w[5] ^ s[5]);
	return (uint32_t)mum(h ^ s[6], s[7]);
#else
	return (uint32_t)tn_flow_key_hash(k, t->seed);
#endif
}

static void lru_unlink(struct tn_flow_table *t, uint32_t i, uint8_t cls)
{
	struct link *l = ln(t, i);
	if (l->lru_prev != NIL)
		ln(t, l->lru_prev)->lru_next = l->lru_next;
	else
		t->lru_head[cls] = l->lru_next;
	if (l->lru_next != NIL)
		ln(t, l->lru_next)->lru_prev = l->lru_prev;
	else
		t->lru_tail[cls] = l->lru_prev;
}

static void lru_push_front(struct tn_flow_table *t, uint32_t i, uint8_t cls)
{
	struct link *l = ln(t, i);
	l->lru_prev = NIL;
	l->lru_next = t->lru_head[cls];
	if (t->lru_head[cls] != NIL)
		ln(t, t->lru_head[cls])->lru_prev = i;
	t->lru_head[cls] = i;
	if (t->lru_tail[cls] == NIL)
		t->lru_tail[cls] = i;
}

static void bucket_remove(struct tn_flow_table *t, uint32_t i)
{
	uint32_t *link = &t->buckets[ln(t, i)->hash & t->mask];
	while (*link != NIL && *link != i)
		link = &ln(t, *link)->next;
	if (*link == i)
		*link = ln(t, i)->next;
}

static uint32_t new_entry(struct tn_flow_table *t)
{
	if (t->free_head != NIL) {
		uint32_t i = t->free_head;
		t->free_head = ln(t, i)->next;
		return i;
	}
	if (t->used < t->max) {
		uint32_t c = t->used >> CHUNK_SHIFT;
		if (!t->chunks[c]) {
			t->links[c] = malloc(CHUNK * sizeof **t->links);
			if (!t->links[c])
				return NIL;
			t->chunks[c] = chunk_alloc(chunk_span(t->entry_size));
			if (!t->chunks[c]) {
				free(t->links[c]);
				t->links[c] = NULL;
				return NIL;
			}
		}
		return t->used++;
	}
	return NIL;
}

/* The index of key's entry, or NIL. */
static uint32_t lookup(const struct tn_flow_table *t, const struct tn_flow_key *key)
{
	uint32_t h = hash_key(t, key);
	for (uint32_t i = t->buckets[h & t->mask]; i != NIL; i = ln(t, i)->next)
		if (ln(t, i)->hash == h && memcmp(&at(t, i)->key, key, sizeof *key) == 0)
			return i;
	return NIL;
}

void *tn_flow_find(struct tn_flow_table *t, const struct tn_flow_key *key)
{
	uint32_t i = lookup(t, key);
	if (i == NIL)
		return NULL;
	struct entry *e = at(t, i);
	e->last_ns = t->now_ns;
	if (t->lru_head[e->cls] != i) {
		lru_unlink(t, i, e->cls);
		lru_push_front(t, i, e->cls);
	}
	return e->payload;
}

void *tn_flow_peek(struct tn_flow_table *t, const struct tn_flow_key *key)
{
	uint32_t i = lookup(t, key);
	return i == NIL ? NULL : at(t, i)->payload;
}

void *tn_flow_insert(struct tn_flow_table *t, const struct tn_flow_key *key)
{
	if (t->count >= t->max)
		return NULL;
	uint32_t i = new_entry(t);
	if (i == NIL)
		return NULL;
	struct entry *e = at(t, i);
	uint32_t h = hash_key(t, key);
	memcpy(&e->key, key, sizeof *key);
	e->cls = TN_FLOW_EXPENDABLE;
	e->self = i;
	e->last_ns = t->now_ns;
	memset(e->payload, 0, t->entry_size - offsetof(struct entry, payload));
	struct link *l = ln(t, i);
	l->hash = h;
	l->next = t->buckets[h & t->mask];
	t->buckets[h & t->mask] = i;
	lru_push_front(t, i, TN_FLOW_EXPENDABLE);
	t->count++;
	return e->payload;
}

bool tn_flow_table_full(const struct tn_flow_table *t)
{
	return t->count >= t->max;
}

void *tn_flow_oldest(struct tn_flow_table *t)
{
	uint32_t i = t->lru_tail[TN_FLOW_EXPENDABLE];
	if (i == NIL)
		i = t->lru_tail[TN_FLOW_KEEP];
	return i == NIL ? NULL : at(t, i)->payload;
}

void *tn_flow_idle(struct tn_flow_table *t, int64_t now_ns, int64_t idle_ns)
{
	for (int c = 0; c < 2; c++) {
		uint32_t i = t->lru_tail[c];
		if (i != NIL && at(t, i)->last_ns <= now_ns - idle_ns)
			return at(t, i)->payload;
	}
	return NULL;
}

const struct tn_flow_key *tn_flow_key_of(const void *payload)
{
	const unsigned char *p = payload;
	return &((const struct entry *)(p - offsetof(struct entry, payload)))->key;
}

void tn_flow_foreach(struct tn_flow_table *t, void (*fn)(void *payload, void *ctx), void *ctx)
{
	for (int c = 0; c < 2; c++)
		for (uint32_t i = t->lru_head[c]; i != NIL; i = ln(t, i)->lru_next)
			fn(at(t, i)->payload, ctx);
}

static struct entry *entry_of(void *payload)
{
	return (struct entry *)((unsigned char *)payload - offsetof(struct entry, payload));
}

static uint32_t index_of(const struct tn_flow_table *t, const struct entry *e)
{
	uint32_t i = e->self;
	return i < t->used && at(t, i) == e ? i : NIL;
}

void tn_flow_table_set_now(struct tn_flow_table *t, int64_t now_ns)
{
	t->now_ns = now_ns;
}

void tn_flow_set_class(struct tn_flow_table *t, void *payload, enum tn_flow_class cls)
{
	struct entry *e = entry_of(payload);
	if (e->cls == cls)
		return;
	uint32_t i = index_of(t, e);
	if (i == NIL)
		return;
	lru_unlink(t, i, e->cls);
	e->cls = (uint8_t)cls;
	lru_push_front(t, i, e->cls);
}

void tn_flow_remove(struct tn_flow_table *t, void *payload, bool evicted)
{
	struct entry *e = entry_of(payload);
	uint32_t i = index_of(t, e);
	if (i == NIL)
		return;
	lru_unlink(t, i, e->cls);
	bucket_remove(t, i);
	e->self = NIL; /* a payload removed twice is then let be, as before */
	ln(t, i)->next = t->free_head;
	t->free_head = i;
	t->count--;
	if (evicted)
		t->evictions++;
}

size_t tn_flow_entry_size(const struct tn_flow_table *t)
{
	return t->entry_size + sizeof(struct link);
}

uint32_t tn_flow_table_count(const struct tn_flow_table *t)
{
	return t->count;
}

uint64_t tn_flow_table_evictions(const struct tn_flow_table *t)
{
	return t->evictions;
}

uint32_t tn_flow_table_max(const struct tn_flow_table *t)
{
	return t->max;
}
