/*
 * fuzz_common.h — what both libFuzzer targets share: sanitizer defaults that
 * make every report fatal, an in-memory file to hand bytes to code that wants
 * a path or a FILE, and a way to stop with a message that libFuzzer records
 * as a crash.
 */
#ifndef TN_FUZZ_COMMON_H
#define TN_FUZZ_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

/*
 * UBSan only prints and goes on unless told to halt; a fuzzer must see every
 * report as a crash. These are defaults: ASAN_OPTIONS and UBSAN_OPTIONS in the
 * environment still win. The functions are weak hooks the runtimes call.
 */
const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
const char *__asan_default_options(void)
{
	return "abort_on_error=1:detect_leaks=1:strict_string_checks=1:"
	       "detect_stack_use_after_return=1:check_initialization_order=1";
}
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:abort_on_error=1:print_stacktrace=1";
}

/* Stops the run as a crash, with a message libFuzzer keeps in its log. */
__attribute__((noreturn, format(printf, 1, 2)))
static inline void fuzz_die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("\n==tcpnarrate-fuzz== ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	fflush(stderr);
	abort();
}

/* An anonymous in-memory file (memfd); dies when the kernel has none. */
static inline int fuzz_memfd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	if (fd < 0) {
		perror("memfd_create");
		exit(2);
	}
	return fd;
}

/* Replaces the whole content of fd with data[0..n). */
static inline void fuzz_memfd_set(int fd, const uint8_t *data, size_t n)
{
	if (ftruncate(fd, 0) < 0)
		fuzz_die("ftruncate: %s", strerror(errno));
	size_t done = 0;
	while (done < n) {
		ssize_t w = pwrite(fd, data + done, n - done, (off_t)done);
		if (w <= 0)
			fuzz_die("pwrite to memfd failed");
		done += (size_t)w;
	}
}

/* Environment switch: unset or anything but "0" is on. */
static inline int fuzz_env_on(const char *name, int dflt)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return dflt;
	return strcmp(v, "0") != 0;
}

/*
 * Output written to a FILE that lives in memory, read back after each run
 * so the harness can check it (no control bytes in text, one JSON value a
 * line). The buffer is reused from run to run.
 */
struct fuzz_out {
	int fd;
	FILE *f;
	uint8_t *buf;
	size_t cap, len;
};

static inline void fuzz_out_init(struct fuzz_out *o, const char *name)
{
	o->fd = fuzz_memfd(name);
	o->f = fdopen(dup(o->fd), "w");
	if (!o->f) {
		perror("fdopen");
		exit(2);
	}
	o->buf = NULL;
	o->cap = o->len = 0;
}

/* Empties the file before a run. */
static inline void fuzz_out_begin(struct fuzz_out *o)
{
	fflush(o->f);
	clearerr(o->f);
	if (ftruncate(o->fd, 0) < 0 || fseek(o->f, 0, SEEK_SET) < 0)
		fuzz_die("cannot reset an output memfd: %s", strerror(errno));
}

/* Reads back what the run wrote; o->buf[o->len] is a NUL. */
static inline void fuzz_out_end(struct fuzz_out *o)
{
	fflush(o->f);
	struct stat st;
	if (fstat(o->fd, &st) < 0)
		fuzz_die("fstat on an output memfd: %s", strerror(errno));
	off_t size = st.st_size;
	if ((size_t)size + 1 > o->cap) {
		o->cap = (size_t)size + 1 + 4096;
		o->buf = realloc(o->buf, o->cap);
		if (!o->buf)
			fuzz_die("out of memory for output");
	}
	size_t got = 0;
	while (got < (size_t)size) {
		ssize_t r = pread(o->fd, o->buf + got, (size_t)size - got, (off_t)got);
		if (r <= 0)
			fuzz_die("pread from an output memfd failed");
		got += (size_t)r;
	}
	o->len = got;
	o->buf[got] = '\0';
}

/*
 * Text output may hold no control byte but newline (ESC too when colour is
 * on): a capture must not be able to move the cursor or recolour the
 * terminal. Returns the offset of the first bad byte, or -1.
 */
static inline long fuzz_text_bad_byte(const uint8_t *p, size_t n, int color)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c == '\n' || (color && c == 0x1b))
			continue;
		if (c < 0x20 || c == 0x7f)
			return (long)i;
	}
	return -1;
}

/* Every line of JSON Lines output parses on its own; returns the bad line (1-based) or 0. */
static inline size_t fuzz_json_bad_line(uint8_t *p, size_t n)
{
	size_t line = 0, start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && p[i] != '\n')
			continue;
		line++;
		if (i == n && i == start)
			break;            /* nothing after the last newline */
		uint8_t saved = p[i];
		p[i] = '\0';
		if (memchr(p + start, '\0', i - start)) {
			p[i] = saved;
			return line;
		}
		cJSON *j = cJSON_Parse((const char *)p + start);
		p[i] = saved;
		if (!j)
			return line;
		cJSON_Delete(j);
		start = i + 1;
	}
	return 0;
}

/* FNV-1a, to pick a mode from the input. */
static inline uint64_t fuzz_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

#endif
