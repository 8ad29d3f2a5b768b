/*
 * community_id.c — Community ID v1 of a flow key, with the SHA-1 and base64
 * it needs.
 *
 * The spec (https://github.com/corelight/community-id-spec, README.md)
 * hashes a fixed layout of at most 40 bytes; it is laid out here in a stack
 * buffer, hashed, and base64-encoded straight into the caller's buffer, so
 * nothing is allocated and the function can run for every connection. The
 * endpoint order is decided here from the key's own bytes (IP first, then
 * port, as the spec says) rather than trusted from the flow table, so a key
 * built by hand in either direction gives the same ID.
 *
 * SHA-1 follows FIPS 180-4 section 6.1 (with the padding of section 5.1.1);
 * base64 follows RFC 4648 section 4, with '=' padding. Both are small and
 * used for nothing else, so they are not worth a dependency.
 */
#include <tcpnarrate/community_id.h>

#include <stdatomic.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#define HAVE_SHA_NI 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#define PROTO_TCP 6
#define SHA1_BLOCK 64

/* The longest hash input: seed 2, two IPv6 addresses 32, proto and pad 2, ports 4. */
#define INPUT_MAX 40

static uint32_t rol32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32u - n));
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* One round of section 6.1.2 step 3, with its f(b, c, d) already computed. */
#define SHA1_ROUND(f, k, t)                                                        \
	do {                                                                       \
		uint32_t tmp_ = rol32(a, 5) + (f) + e + (k) + w[t];                \
		e = d;                                                             \
		d = c;                                                             \
		c = rol32(b, 30);                                                  \
		b = a;                                                             \
		a = tmp_;                                                          \
	} while (0)

/*
 * FIPS 180-4 section 6.1.2: one 512-bit block into the hash state h. The
 * 80 rounds run as the four groups of 20 that share f and K (section
 * 4.1.1, 4.2.1): one loop each, with no test of t inside.
 */
static void sha1_block(uint32_t h[5], const uint8_t block[SHA1_BLOCK])
{
	uint32_t w[80];
	for (int t = 0; t < 16; t++)
		w[t] = get_be32(block + 4 * t);
	for (int t = 16; t < 80; t++)
		w[t] = rol32(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
	uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
	for (int t = 0; t < 20; t++)
		SHA1_ROUND((b & c) | (~b & d), 0x5a827999u, t);
	for (int t = 20; t < 40; t++)
		SHA1_ROUND(b ^ c ^ d, 0x6ed9eba1u, t);
	for (int t = 40; t < 60; t++)
		SHA1_ROUND((b & c) | (b & d) | (c & d), 0x8f1bbcdcu, t);
	for (int t = 60; t < 80; t++)
		SHA1_ROUND(b ^ c ^ d, 0xca62c1d6u, t);
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

#ifdef HAVE_SHA_NI
/*
 * The same block with the SHA extensions: four rounds an instruction, the
 * message schedule by sha1msg1/sha1msg2 (Intel's "New Instructions
 * Supporting the Secure Hash Algorithm", 2013). Group g of four rounds
 * takes message words MSG[g % 4]; the two E registers take turns.
 */
#define NI_GROUP(f, ecur, eoth, mi, mn1, mn2, mn3)                           \
	do {                                                                   \
		ecur = _mm_sha1nexte_epu32(ecur, mi);                          \
		eoth = abcd;                                                   \
		mn1 = _mm_sha1msg2_epu32(mn1, mi);                             \
		abcd = _mm_sha1rnds4_epu32(abcd, ecur, f);                     \
		mn3 = _mm_sha1msg1_epu32(mn3, mi);                             \
		mn2 = _mm_xor_si128(mn2, mi);                                  \
	} while (0)

__attribute__((target("sha,sse4.1,ssse3")))
static void sha1_block_ni(uint32_t h[5], const uint8_t block[SHA1_BLOCK])
{
	const __m128i bswap = _mm_set_epi64x(0x0001020304050607ll, 0x08090a0b0c0d0e0fll);
	__m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(const void *)h), 0x1b);
	__m128i e0 = _mm_set_epi32((int)h[4], 0, 0, 0), e1;
	const __m128i abcd_in = abcd, e_in = e0;
	__m128i m0 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)block), bswap);
	__m128i m1 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(block + 16)), bswap);
	__m128i m2 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(block + 32)), bswap);
	__m128i m3 = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(block + 48)), bswap);
	e0 = _mm_add_epi32(e0, m0);                      /* rounds 0-3 */
	e1 = abcd;
	abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);
	e1 = _mm_sha1nexte_epu32(e1, m1);                /* 4-7 */
	e0 = abcd;
	abcd = _mm_sha1rnds4_epu32(abcd, e1, 0);
	m0 = _mm_sha1msg1_epu32(m0, m1);
	e0 = _mm_sha1nexte_epu32(e0, m2);                /* 8-11 */
	e1 = abcd;
	abcd = _mm_sha1rnds4_epu32(abcd, e0, 0);
	m1 = _mm_sha1msg1_epu32(m1, m2);
	m0 = _mm_xor_si128(m0, m2);
	NI_GROUP(0, e1, e0, m3, m0, m1, m2);             /* 12-15 */
	NI_GROUP(0, e0, e1, m0, m1, m2, m3);             /* 16-19 */
	NI_GROUP(1, e1, e0, m1, m2, m3, m0);
	NI_GROUP(1, e0, e1, m2, m3, m0, m1);
	NI_GROUP(1, e1, e0, m3, m0, m1, m2);
	NI_GROUP(1, e0, e1, m0, m1, m2, m3);
	NI_GROUP(1, e1, e0, m1, m2, m3, m0);             /* 36-39 */
	NI_GROUP(2, e0, e1, m2, m3, m0, m1);
	NI_GROUP(2, e1, e0, m3, m0, m1, m2);
	NI_GROUP(2, e0, e1, m0, m1, m2, m3);
	NI_GROUP(2, e1, e0, m1, m2, m3, m0);
	NI_GROUP(2, e0, e1, m2, m3, m0, m1);             /* 56-59 */
	NI_GROUP(3, e1, e0, m3, m0, m1, m2);
	NI_GROUP(3, e0, e1, m0, m1, m2, m3);             /* 64-67 */
	e1 = _mm_sha1nexte_epu32(e1, m1);                /* 68-71 */
	e0 = abcd;
	m2 = _mm_sha1msg2_epu32(m2, m1);
	abcd = _mm_sha1rnds4_epu32(abcd, e1, 3);
	m3 = _mm_xor_si128(m3, m1);
	e0 = _mm_sha1nexte_epu32(e0, m2);                /* 72-75 */
	e1 = abcd;
	m3 = _mm_sha1msg2_epu32(m3, m2);
	abcd = _mm_sha1rnds4_epu32(abcd, e0, 3);
	e1 = _mm_sha1nexte_epu32(e1, m3);                /* 76-79 */
	e0 = abcd;
	abcd = _mm_sha1rnds4_epu32(abcd, e1, 3);
	e0 = _mm_sha1nexte_epu32(e0, e_in);
	abcd = _mm_shuffle_epi32(_mm_add_epi32(abcd, abcd_in), 0x1b);
	_mm_storeu_si128((__m128i *)(void *)h, abcd);
	h[4] = (uint32_t)_mm_extract_epi32(e0, 3);
}

/* CPUID: the SHA extensions (leaf 7, EBX bit 29), SSSE3 and SSE4.1 (leaf 1, ECX bits 9 and 19). */
static bool cpu_has_sha_ni(void)
{
	unsigned a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 9)) || !(c & (1u << 19)))
		return false;
	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 29));
}
#endif

/* 0 not asked yet, 1 portable C, 2 the SHA instructions. */
static atomic_int sha_impl;

bool tn_community_id_use_sha_ni(bool on)
{
	int impl = 1;
#ifdef HAVE_SHA_NI
	if (on && cpu_has_sha_ni())
		impl = 2;
#endif
	atomic_store_explicit(&sha_impl, impl, memory_order_relaxed);
	return impl == 2;
}

static void sha1_blocks(uint32_t h[5], const uint8_t *p, size_t len)
{
	int impl = atomic_load_explicit(&sha_impl, memory_order_relaxed);
	if (!impl) {
		tn_community_id_use_sha_ni(true);
		impl = atomic_load_explicit(&sha_impl, memory_order_relaxed);
	}
	for (size_t off = 0; off < len; off += SHA1_BLOCK) {
#ifdef HAVE_SHA_NI
		if (impl == 2) {
			sha1_block_ni(h, p + off);
			continue;
		}
#endif
		sha1_block(h, p + off);
	}
}

void tn_community_id_sha1(const void *msg, size_t len, uint8_t digest[TN_SHA1_SIZE])
{
	uint32_t h[5] = { 0x67452301u, 0xefcdab89u, 0x98badcfeu, 0x10325476u, 0xc3d2e1f0u };
	const uint8_t *p = msg;
	size_t whole = len - len % SHA1_BLOCK;
	sha1_blocks(h, p, whole);

	/* Section 5.1.1: the rest, a 1 bit, zeros, and the length in bits as 64 bits. */
	uint8_t tail[2 * SHA1_BLOCK] = { 0 };
	size_t rest = len - whole;
	if (rest)
		memcpy(tail, p + whole, rest);
	tail[rest] = 0x80;
	size_t tail_len = rest < SHA1_BLOCK - 8 ? SHA1_BLOCK : 2 * SHA1_BLOCK;
	uint64_t bits = (uint64_t)len * 8u;
	put_be32(tail + tail_len - 8, (uint32_t)(bits >> 32));
	put_be32(tail + tail_len - 4, (uint32_t)bits);
	sha1_blocks(h, tail, tail_len);

	for (int i = 0; i < 5; i++)
		put_be32(digest + 4 * i, h[i]);
}

/* RFC 4648 section 4: n bytes as base64 with '=' padding, NUL-terminated; out holds 4 * ceil(n / 3) + 1. */
static void base64(const uint8_t *in, size_t n, char *out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		*out++ = alphabet[(v >> 18) & 63];
		*out++ = alphabet[(v >> 12) & 63];
		*out++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		*out++ = i + 2 < n ? alphabet[v & 63] : '=';
	}
	*out = '\0';
}

/*
 * The spec's hash input for key; returns its length. The endpoint whose
 * (address, port) is numerically smaller goes first: addresses compare as
 * big-endian byte strings, ports only break a tie.
 */
static size_t hash_input(const struct tn_flow_key *key, uint16_t seed, uint8_t out[INPUT_MAX])
{
	size_t alen = key->family == 4 ? 4 : 16;
	int c = memcmp(key->addr[0], key->addr[1], alen);
	int lo = c > 0 || (c == 0 && key->port[0] > key->port[1]);
	size_t n = 0;
	put_be16(out, seed);
	n += 2;
	memcpy(out + n, key->addr[lo], alen);
	n += alen;
	memcpy(out + n, key->addr[!lo], alen);
	n += alen;
	out[n++] = PROTO_TCP;
	out[n++] = 0;
	put_be16(out + n, key->port[lo]);
	n += 2;
	put_be16(out + n, key->port[!lo]);
	n += 2;
	return n;
}

void tn_community_id(const struct tn_flow_key *key, uint16_t seed, char *buf, size_t len)
{
	if (len == 0)
		return;
	buf[0] = '\0';
	if (len < TN_COMMUNITY_ID_SIZE || (key->family != 4 && key->family != 6))
		return;
	uint8_t input[INPUT_MAX];
	uint8_t digest[TN_SHA1_SIZE];
	tn_community_id_sha1(input, hash_input(key, seed, input), digest);
	buf[0] = '1';
	buf[1] = ':';
	base64(digest, sizeof digest, buf + 2);
}
