/*
 * pcap_mutator.h — a structure-aware mutator for classic pcap inputs.
 *
 * libFuzzer's byte mutations mostly break a pcap's record lengths, and the
 * file then ends at the first damaged record: the tracker and the analysis
 * behind it see few new segment sequences. Half the time this mutator works
 * on records instead: it mutates one frame's bytes and fixes its record
 * header, duplicates, drops or swaps records (retransmissions, losses,
 * reordering), or moves a timestamp (time standing still, running back,
 * jumping far ahead). pcapng and anything it cannot parse get libFuzzer's own
 * mutations. Included by fuzz_capture.c only.
 */
#ifndef TN_PCAP_MUTATOR_H
#define TN_PCAP_MUTATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t LLVMFuzzerMutate(uint8_t *data, size_t size, size_t max_size);
size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed);

#define PM_MAX_RECORDS 4096
#define PM_HDR 24
#define PM_REC 16

struct pm_rec {
	size_t off;     /* of the record header */
	uint32_t caplen;
};

static uint32_t pm_rd32(const uint8_t *p, bool be)
{
	return be ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
		  : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static void pm_wr32(uint8_t *p, uint32_t v, bool be)
{
	for (int i = 0; i < 4; i++)
		p[be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

static uint32_t pm_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Splits a classic pcap into records; false when it is not one. */
static bool pm_parse(const uint8_t *d, size_t n, bool *be, struct pm_rec *recs, size_t *nrec)
{
	if (n < PM_HDR)
		return false;
	uint32_t m = pm_rd32(d, true);
	if (m == 0xa1b2c3d4u || m == 0xa1b23c4du)
		*be = true;
	else if (m == 0xd4c3b2a1u || m == 0x4d3cb2a1u)
		*be = false;
	else
		return false;
	size_t off = PM_HDR, k = 0;
	while (off + PM_REC <= n && k < PM_MAX_RECORDS) {
		uint32_t cl = pm_rd32(d + off + 8, *be);
		if (cl > n - off - PM_REC)
			break;
		recs[k].off = off;
		recs[k].caplen = cl;
		k++;
		off += PM_REC + cl;
	}
	*nrec = k;
	return k > 0;
}

static size_t pm_rec_size(const struct pm_rec *r)
{
	return PM_REC + r->caplen;
}

size_t LLVMFuzzerCustomMutator(uint8_t *data, size_t size, size_t max_size, unsigned int seed)
{
	static struct pm_rec recs[PM_MAX_RECORDS];
	uint32_t s = seed | 1;
	bool be;
	size_t nrec;
	if (pm_rand(&s) % 2 == 0 || !pm_parse(data, size, &be, recs, &nrec))
		return LLVMFuzzerMutate(data, size, max_size);

	uint8_t *out = malloc(max_size + 1);
	if (!out)
		return LLVMFuzzerMutate(data, size, max_size);
	size_t i = pm_rand(&s) % nrec, j = pm_rand(&s) % nrec, o = 0;
	size_t end = recs[nrec - 1].off + pm_rec_size(&recs[nrec - 1]); /* trailing bytes kept */
	memcpy(out, data, PM_HDR);
	o = PM_HDR;
	switch (pm_rand(&s) % 5) {
	case 0: { /* mutate one frame, fix its record header */
		const struct pm_rec *r = &recs[i];
		size_t room = max_size - (size - r->caplen);
		memcpy(out, data, r->off + PM_REC);
		o = r->off + PM_REC;
		memcpy(out + o, data + r->off + PM_REC, r->caplen);
		size_t nl = LLVMFuzzerMutate(out + o, r->caplen, room);
		uint32_t wl = pm_rd32(data + r->off + 12, be);
		pm_wr32(out + r->off + 8, (uint32_t)nl, be);
		pm_wr32(out + r->off + 12, wl >= r->caplen ? (uint32_t)(wl - r->caplen + nl)
							   : (uint32_t)nl, be);
		o += nl;
		size_t rest = size - (r->off + pm_rec_size(r));
		memcpy(out + o, data + r->off + pm_rec_size(r), rest);
		o += rest;
		break;
	}
	case 1: /* duplicate record i after record j (a retransmission) */
		if (size + pm_rec_size(&recs[i]) > max_size)
			goto generic;
		for (size_t k = 0; k < nrec; k++) {
			memcpy(out + o, data + recs[k].off, pm_rec_size(&recs[k]));
			o += pm_rec_size(&recs[k]);
			if (k == j) {
				memcpy(out + o, data + recs[i].off, pm_rec_size(&recs[i]));
				o += pm_rec_size(&recs[i]);
			}
		}
		memcpy(out + o, data + end, size - end);
		o += size - end;
		break;
	case 2: /* drop record i (a loss) */
		for (size_t k = 0; k < nrec; k++) {
			if (k == i)
				continue;
			memcpy(out + o, data + recs[k].off, pm_rec_size(&recs[k]));
			o += pm_rec_size(&recs[k]);
		}
		memcpy(out + o, data + end, size - end);
		o += size - end;
		break;
	case 3: /* swap records i and j (reordering) */
		for (size_t k = 0; k < nrec; k++) {
			size_t src = k == i ? j : k == j ? i : k;
			memcpy(out + o, data + recs[src].off, pm_rec_size(&recs[src]));
			o += pm_rec_size(&recs[src]);
		}
		memcpy(out + o, data + end, size - end);
		o += size - end;
		break;
	default: { /* move a timestamp */
		memcpy(out, data, size);
		o = size;
		uint8_t *ts = out + recs[i].off;
		uint32_t sec = pm_rd32(ts, be), sub = pm_rd32(ts + 4, be);
		switch (pm_rand(&s) % 6) {
		case 0: sec = i ? pm_rd32(data + recs[i - 1].off, be) : sec; /* stands still */
			sub = i ? pm_rd32(data + recs[i - 1].off + 4, be) : sub; break;
		case 1: sec -= 1 + pm_rand(&s) % 120; break;            /* runs back */
		case 2: sec += 1 + pm_rand(&s) % 600; break;            /* a pause */
		case 3: sec = pm_rand(&s); break;                       /* anywhere */
		case 4: sec = 0xffffffffu - pm_rand(&s) % 4; break;     /* 2106 */
		default: sub = pm_rand(&s); break;                      /* bad fraction */
		}
		pm_wr32(ts, sec, be);
		pm_wr32(ts + 4, sub, be);
		break;
	}
	}
	if (o > max_size)
		goto generic;
	memcpy(data, out, o);
	free(out);
	return o;
generic:
	free(out);
	return LLVMFuzzerMutate(data, size, max_size);
}

#endif
