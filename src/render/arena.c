/*
 * arena.c — where cJSON's memory comes from while the JSON renderer runs.
 *
 * The renderer builds one cJSON tree per output object, prints it and drops
 * it. Given to malloc and free, that is a hundred or more calls per object.
 * Through cJSON_InitHooks the trees are carved instead from a few blocks
 * kept for the whole run: an allocation moves a cursor, a free does nothing,
 * and after each object is written the whole arena is reset at once. The
 * blocks grow to fit the largest object seen, then no call reaches malloc.
 *
 * The hooks are process-wide, so they are installed by the first renderer
 * that asks and put back by the last one (a count); each thread carves from
 * its own blocks, so renderers in different threads never share memory.
 * Ownership: the blocks are this file's; a tree built here lives until the
 * next tn_json_arena_reset() of its thread.
 */
#include "renderer.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#define BLOCK_MIN (64 * 1024)

struct block {
	struct block *next;
	size_t used, cap;
	alignas(max_align_t) unsigned char data[];
};

static _Thread_local struct block *t_head, *t_cur;
static atomic_int users;

static size_t round_up(size_t n)
{
	size_t a = alignof(max_align_t);
	return (n + a - 1) / a * a;
}

static void *arena_malloc(size_t n)
{
	n = round_up(n ? n : 1);
	if (t_cur && t_cur->used + n > t_cur->cap && t_cur->next && n <= t_cur->next->cap)
		t_cur = t_cur->next;
	if (!t_cur || t_cur->used + n > t_cur->cap) {
		size_t cap = n > BLOCK_MIN ? n : BLOCK_MIN;
		struct block *b = malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->cap = cap;
		/* Linked after the current block: reset walks every block once. */
		b->next = t_cur ? t_cur->next : NULL;
		if (t_cur)
			t_cur->next = b;
		else
			t_head = b;
		t_cur = b;
	}
	void *p = t_cur->data + t_cur->used;
	t_cur->used += n;
	return p;
}

static void arena_free(void *p)
{
	(void)p; /* everything goes at the next reset */
}

void tn_json_arena_begin(void)
{
	if (atomic_fetch_add(&users, 1) == 0) {
		cJSON_Hooks h = { .malloc_fn = arena_malloc, .free_fn = arena_free };
		cJSON_InitHooks(&h);
	}
}

void tn_json_arena_reset(void)
{
	for (struct block *b = t_head; b; b = b->next)
		b->used = 0;
	t_cur = t_head;
}

void tn_json_arena_end(void)
{
	if (atomic_fetch_sub(&users, 1) == 1)
		cJSON_InitHooks(NULL);
	while (t_head) {
		struct block *next = t_head->next;
		free(t_head);
		t_head = next;
	}
	t_cur = NULL;
}
