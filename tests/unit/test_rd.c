/*
 * test_rd.c — the bounds-checked reader (include/tcpnarrate/rd.h).
 *
 * Every read function at the start, ending exactly at the end, and one byte
 * past it; the sticky error; sub-readers with and without a cut; empty and
 * NULL buffers. Buffers are heap copies of exactly the stated length so a
 * memory checker sees any read past them.
 */
#include <tcpnarrate/rd.h>

#include <stdlib.h>
#include <string.h>

#include "unit.h"

static const uint8_t bytes8[8] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08 };

/* A heap copy of the first len bytes of bytes8 (never NULL, even for 0). */
static uint8_t *buf_of(size_t len)
{
	uint8_t *b = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(b);
	memcpy(b, bytes8, len);
	return b;
}

enum op { OP_U8, OP_BE16, OP_BE32, OP_LE32, OP_SKIP, OP_COPY, OP_NEED };

static const struct read_case {
	const char *name;
	size_t len;         /* buffer length */
	size_t start;       /* skipped before the read */
	enum op op;
	size_t n;           /* for skip, copy, need */
	uint32_t value;     /* value read (copy: bytes as big-endian, up to 4) */
	bool ok;            /* no error after the read */
	size_t off;         /* cursor after the read */
} read_cases[] = {
	{ "u8 first", 8, 0, OP_U8, 0, 0x01, true, 1 },
	{ "u8 last", 8, 7, OP_U8, 0, 0x08, true, 8 },
	{ "u8 past end", 8, 8, OP_U8, 0, 0, false, 8 },
	{ "u8 empty", 0, 0, OP_U8, 0, 0, false, 0 },
	{ "be16 first", 8, 0, OP_BE16, 0, 0x0102, true, 2 },
	{ "be16 ends at end", 8, 6, OP_BE16, 0, 0x0708, true, 8 },
	{ "be16 one short", 8, 7, OP_BE16, 0, 0, false, 7 },
	{ "be16 past end", 8, 8, OP_BE16, 0, 0, false, 8 },
	{ "be32 first", 8, 0, OP_BE32, 0, 0x01020304, true, 4 },
	{ "be32 ends at end", 8, 4, OP_BE32, 0, 0x05060708, true, 8 },
	{ "be32 one short", 8, 5, OP_BE32, 0, 0, false, 5 },
	{ "be32 short buffer", 3, 0, OP_BE32, 0, 0, false, 0 },
	{ "le32 first", 8, 0, OP_LE32, 0, 0x04030201, true, 4 },
	{ "le32 ends at end", 8, 4, OP_LE32, 0, 0x08070605, true, 8 },
	{ "le32 one short", 8, 5, OP_LE32, 0, 0, false, 5 },
	{ "le32 past end", 8, 8, OP_LE32, 0, 0, false, 8 },
	{ "skip all", 8, 0, OP_SKIP, 8, 0, true, 8 },
	{ "skip 0 at end", 8, 8, OP_SKIP, 0, 0, true, 8 },
	{ "skip 1 at end", 8, 8, OP_SKIP, 1, 0, false, 8 },
	{ "skip one too many", 8, 0, OP_SKIP, 9, 0, false, 0 },
	{ "skip huge", 8, 2, OP_SKIP, (size_t)-1, 0, false, 2 },
	{ "copy 3 to end", 8, 5, OP_COPY, 3, 0x060708, true, 8 },
	{ "copy 0 at end", 8, 8, OP_COPY, 0, 0, true, 8 },
	{ "copy one too many", 8, 5, OP_COPY, 4, 0, false, 5 },
	{ "need 0 at end", 8, 8, OP_NEED, 0, 0, true, 8 },
	{ "need all", 8, 0, OP_NEED, 8, 0, true, 0 },
	{ "need one too many", 8, 0, OP_NEED, 9, 0, false, 0 },
	{ "need 1 empty", 0, 0, OP_NEED, 1, 0, false, 0 },
	{ NULL, 0, 0, 0, 0, 0, false, 0 },
};

START_TEST(test_read_table)
{
	const struct read_case *c = &read_cases[_i];
	uint8_t *b = buf_of(c->len);
	struct tn_rd r;
	memset(&r, 0xA5, sizeof r);
	tn_rd_init(&r, b, c->len);
	tn_rd_skip(&r, c->start);
	ck_assert_msg(!r.err, "%s: setup skip failed", c->name);

	uint32_t v = 0xA5A5A5A5u;
	uint8_t dst[8];
	bool ret = true;
	memset(dst, 0xA5, sizeof dst);
	switch (c->op) {
	case OP_U8: v = tn_rd_u8(&r); break;
	case OP_BE16: v = tn_rd_be16(&r); break;
	case OP_BE32: v = tn_rd_be32(&r); break;
	case OP_LE32: v = tn_rd_le32(&r); break;
	case OP_SKIP: tn_rd_skip(&r, c->n); v = 0; break;
	case OP_NEED: ret = tn_rd_need(&r, c->n); v = 0; break;
	case OP_COPY:
		ret = tn_rd_copy(&r, dst, c->n);
		v = 0;
		if (ret)
			for (size_t i = 0; i < c->n && i < 4; i++)
				v = v << 8 | dst[i];
		else
			for (size_t i = 0; i < sizeof dst; i++)
				ck_assert_msg(dst[i] == 0xA5, "%s: failed copy wrote byte %zu", c->name, i);
		break;
	}
	ck_assert_msg(v == c->value, "%s: value 0x%x, expected 0x%x", c->name, v, c->value);
	ck_assert_msg(r.err == !c->ok, "%s: err %d", c->name, r.err);
	ck_assert_msg(r.off == c->off, "%s: off %zu, expected %zu", c->name, r.off, c->off);
	if (c->op == OP_NEED || c->op == OP_COPY)
		ck_assert_msg(ret == c->ok, "%s: returned %d", c->name, ret);
	ck_assert_uint_eq(tn_rd_left(&r), c->len - c->off);
	ck_assert_ptr_eq(tn_rd_here(&r), b + c->off);
	free(b);
}
END_TEST

START_TEST(test_sticky_error)
{
	uint8_t *b = buf_of(4);
	struct tn_rd r;
	tn_rd_init(&r, b, 4);
	ck_assert_uint_eq(tn_rd_be16(&r), 0x0102);
	ck_assert_uint_eq(tn_rd_be32(&r), 0);   /* 2 left: fails */
	ck_assert(r.err);
	ck_assert_uint_eq(r.off, 2);
	/* Two bytes are still there, but every later read fails too. */
	ck_assert_uint_eq(tn_rd_left(&r), 2);
	ck_assert_uint_eq(tn_rd_u8(&r), 0);
	ck_assert_uint_eq(tn_rd_be16(&r), 0);
	ck_assert(!tn_rd_need(&r, 0));
	uint8_t d[2] = { 0xA5, 0xA5 };
	ck_assert(!tn_rd_copy(&r, d, 1));
	ck_assert_uint_eq(d[0], 0xA5);
	tn_rd_skip(&r, 1);
	ck_assert_uint_eq(r.off, 2);
	ck_assert(r.err);
	free(b);
}
END_TEST

START_TEST(test_null_and_empty)
{
	struct tn_rd r;
	memset(&r, 0xA5, sizeof r);
	tn_rd_init(&r, NULL, 100);      /* NULL: the length is ignored */
	ck_assert_uint_eq(r.len, 0);
	ck_assert_uint_eq(tn_rd_left(&r), 0);
	ck_assert_ptr_null(tn_rd_here(&r));
	ck_assert(tn_rd_need(&r, 0));
	ck_assert_uint_eq(tn_rd_u8(&r), 0);
	ck_assert(r.err);

	uint8_t one = 0x42;
	memset(&r, 0xA5, sizeof r);
	tn_rd_init(&r, &one, 0);
	ck_assert_uint_eq(tn_rd_left(&r), 0);
	ck_assert_ptr_eq(tn_rd_here(&r), &one);
	ck_assert_uint_eq(tn_rd_be16(&r), 0);
	ck_assert(r.err);

	/* A sub-reader of a NULL reader is empty and NULL too. */
	tn_rd_init(&r, NULL, 0);
	bool cut = false;
	struct tn_rd c = tn_rd_sub(&r, 4, &cut);
	ck_assert(cut);
	ck_assert_ptr_null(c.p);
	ck_assert_uint_eq(c.len, 0);
	ck_assert(!r.err);
}
END_TEST

static const struct sub_case {
	const char *name;
	size_t len, start, n;
	size_t child_len;
	bool cut;
	size_t parent_off;
} sub_cases[] = {
	{ "part", 8, 2, 3, 3, false, 5 },
	{ "exactly the rest", 8, 2, 6, 6, false, 8 },
	{ "zero bytes", 8, 2, 0, 0, false, 2 },
	{ "one more than left", 8, 2, 7, 6, true, 8 },
	{ "far more than left", 8, 0, 1000, 8, true, 8 },
	{ "at the end", 8, 8, 1, 0, true, 8 },
	{ "empty buffer", 0, 0, 4, 0, true, 0 },
	{ NULL, 0, 0, 0, 0, false, 0 },
};

START_TEST(test_sub_table)
{
	const struct sub_case *c = &sub_cases[_i];
	uint8_t *b = buf_of(c->len);
	struct tn_rd r, child;
	tn_rd_init(&r, b, c->len);
	tn_rd_skip(&r, c->start);
	bool cut = !c->cut;  /* poisoned: the opposite of what must come out */
	memset(&child, 0xA5, sizeof child);
	child = tn_rd_sub(&r, c->n, &cut);
	ck_assert_msg(cut == c->cut, "%s: cut %d", c->name, cut);
	ck_assert_msg(child.len == c->child_len, "%s: child len %zu", c->name, child.len);
	ck_assert_ptr_eq(child.p, b + c->start);
	ck_assert_uint_eq(child.off, 0);
	ck_assert(!child.err);
	ck_assert_msg(r.off == c->parent_off, "%s: parent off %zu", c->name, r.off);
	ck_assert_msg(!r.err, "%s: the parent is exhausted, not in error", c->name);

	/* The child reads its own bytes and fails past them without touching the parent. */
	for (size_t i = 0; i < c->child_len; i++)
		ck_assert_uint_eq(tn_rd_u8(&child), bytes8[c->start + i]);
	ck_assert(!child.err);
	ck_assert_uint_eq(tn_rd_u8(&child), 0);
	ck_assert(child.err);
	ck_assert(!r.err);

	/* A NULL cut pointer is allowed. */
	tn_rd_init(&r, b, c->len);
	tn_rd_skip(&r, c->start);
	child = tn_rd_sub(&r, c->n, NULL);
	ck_assert_uint_eq(child.len, c->child_len);
	free(b);
}
END_TEST

START_TEST(test_left_and_here_clamp)
{
	/* A cursor placed past the end (by hand) still reports nothing left. */
	uint8_t *b = buf_of(4);
	struct tn_rd r;
	tn_rd_init(&r, b, 4);
	r.off = 9;
	ck_assert_uint_eq(tn_rd_left(&r), 0);
	ck_assert_ptr_eq(tn_rd_here(&r), b + 4);
	ck_assert_uint_eq(tn_rd_u8(&r), 0);
	ck_assert(r.err);
	free(b);
}
END_TEST

static Suite *rd_suite(void)
{
	Suite *s = suite_create("rd");
	TCase *tc = tcase_create("reads");
	TN_ADD_TABLE_TEST(tc, test_read_table, read_cases);
	tcase_add_test(tc, test_sticky_error);
	tcase_add_test(tc, test_null_and_empty);
	tcase_add_test(tc, test_left_and_here_clamp);
	suite_add_tcase(s, tc);
	tc = tcase_create("sub");
	TN_ADD_TABLE_TEST(tc, test_sub_table, sub_cases);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tn_unit_run(rd_suite());
}
