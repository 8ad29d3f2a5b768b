/*
 * unit.h — what every unit-test program shares: how it runs its suite.
 *
 * Each module's tests are one Check suite. Test cases that show a known bug
 * carry the tag "bug": meson runs each program once with CK_EXCLUDE_TAGS=bug
 * (must pass) and once with CK_INCLUDE_TAGS=bug marked should_fail, so a fix
 * shows up as an unexpected pass and the test can move to its proper case.
 */
#ifndef TN_TEST_UNIT_H
#define TN_TEST_UNIT_H

#include <check.h>
#include <stdlib.h>

/* Rows in a table that ends with a sentinel whose first member (a name) is NULL. */
#define TN_ROWS(tab) tn_unit_rows((const void *)(tab), sizeof (tab)[0])

static inline int tn_unit_rows(const void *tab, size_t row_size)
{
	int n = 0;
	for (const char *p = tab; *(const char *const *)(const void *)p; p += row_size)
		n++;
	return n;
}

/* A test case that loops over every row of a sentinel-terminated table. */
#define TN_ADD_TABLE_TEST(tc, fn, tab) tcase_add_loop_test((tc), (fn), 0, TN_ROWS(tab))

static inline int tn_unit_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
