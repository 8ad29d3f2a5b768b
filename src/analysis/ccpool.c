/*
 * ccpool.c — a bounded pool of sender states (struct tn_sender), one per
 * sending direction that carries data. The connection's own state has a
 * fixed memory budget; the sender's flight history does not fit in it, so it
 * is taken from here at the direction's first new data byte and given back
 * when the connection leaves the flow table. All slots are allocated at
 * creation; taking one when none is free is counted, never grown.
 * Ownership: the pipeline owns the pool; a connection side holds a slot
 * number (1-based, 0 for none) in its timing state.
 */
#include <tcpnarrate/sender.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tn_ccpool {
	uint32_t slots, free_head;   /* free list through next[], 0 ends it */
	uint64_t full;               /* takes refused */
	uint16_t *next;
	struct tn_sender *s;
};

int tn_ccpool_create(struct tn_ccpool **out, uint32_t slots, char *errbuf, size_t errlen)
{
	if (slots == 0 || slots > UINT16_MAX) {
		snprintf(errbuf, errlen, "sender pool size %u is out of range (1 to %u)", slots,
			 UINT16_MAX);
		return -1;
	}
	struct tn_ccpool *p = calloc(1, sizeof *p);
	if (!p)
		goto err_oom;
	p->next = calloc(slots + 1u, sizeof *p->next);
	if (!p->next)
		goto err_pool;
	p->s = calloc(slots + 1u, sizeof *p->s);
	if (!p->s)
		goto err_next;
	p->slots = slots;
	for (uint32_t i = 1; i <= slots; i++)
		p->next[i] = (uint16_t)(i < slots ? i + 1 : 0);
	p->free_head = 1;
	*out = p;
	return 0;

err_next:
	free(p->next);
err_pool:
	free(p);
err_oom:
	snprintf(errbuf, errlen, "out of memory for the sender pool");
	return -1;
}

void tn_ccpool_destroy(struct tn_ccpool *p)
{
	if (!p)
		return;
	free(p->s);
	free(p->next);
	free(p);
}

uint16_t tn_ccpool_take(struct tn_ccpool *p)
{
	if (!p)
		return 0;
	uint16_t i = (uint16_t)p->free_head;
	if (!i) {
		p->full++;
		return 0;
	}
	p->free_head = p->next[i];
	memset(&p->s[i], 0, sizeof p->s[i]);
	return i;
}

void tn_ccpool_give(struct tn_ccpool *p, uint16_t slot)
{
	if (!p || !slot || slot > p->slots)
		return;
	p->next[slot] = (uint16_t)p->free_head;
	p->free_head = slot;
}

struct tn_sender *tn_ccpool_at(struct tn_ccpool *p, uint16_t slot)
{
	return p && slot && slot <= p->slots ? &p->s[slot] : NULL;
}

uint64_t tn_ccpool_full(const struct tn_ccpool *p)
{
	return p ? p->full : 0;
}
