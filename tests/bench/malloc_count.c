/*
 * malloc_count.c — an LD_PRELOAD shim for the benchmark: counts the calls to
 * malloc, calloc, realloc and free (and their aligned forms) a program makes,
 * and at exit writes "allocs N frees M" to the file named by
 * TN_MALLOC_COUNT_OUT. The benchmark runs a tool under it on a capture and
 * on the first half of it: the difference over the difference in segments is
 * the allocations per segment after warm-up.
 *
 * Each call goes straight to glibc's own __libc_* functions, so the shim
 * needs no dlsym() (which itself allocates) and adds a counter increment.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdio.h>
#include <malloc.h>
#include <stdlib.h>

extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t align, size_t n);
extern void __libc_free(void *p);

static unsigned long long allocs, frees;

void *malloc(size_t n)
{
	allocs++;
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	allocs++;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	allocs++;
	return __libc_realloc(p, n);
}

void *memalign(size_t align, size_t n)
{
	allocs++;
	return __libc_memalign(align, n);
}

void *aligned_alloc(size_t align, size_t n)
{
	allocs++;
	return __libc_memalign(align, n);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	allocs++;
	void *p = __libc_memalign(align, n);
	if (!p)
		return 12; /* ENOMEM */
	*out = p;
	return 0;
}

void free(void *p)
{
	if (p)
		frees++;
	__libc_free(p);
}

__attribute__((destructor)) static void report(void)
{
	const char *path = getenv("TN_MALLOC_COUNT_OUT");
	if (!path)
		return;
	unsigned long long a = allocs, f = frees;
	FILE *out = fopen(path, "w");
	if (!out)
		return;
	fprintf(out, "allocs %llu frees %llu\n", a, f);
	fclose(out);
}
