/*
 * names.c — names for small code points that text and JSON both print.
 */
#include "renderer.h"

const char *tn_dscp_name(uint8_t dscp)
{
	static const struct { uint8_t v; const char *n; } t[] = {
		{ 0, "best effort" }, { 8, "CS1, low priority" }, { 10, "AF11" }, { 12, "AF12" },
		{ 14, "AF13" }, { 16, "CS2" }, { 18, "AF21" }, { 20, "AF22" }, { 22, "AF23" },
		{ 24, "CS3" }, { 26, "AF31" }, { 28, "AF32" }, { 30, "AF33" }, { 32, "CS4" },
		{ 34, "AF41" }, { 36, "AF42" }, { 38, "AF43" }, { 40, "CS5" }, { 44, "voice admit" },
		{ 46, "expedited forwarding" }, { 48, "CS6, network control" },
		{ 56, "CS7" }, { 0, NULL },
	};
	for (unsigned i = 0; t[i].n; i++)
		if (t[i].v == dscp)
			return t[i].n;
	return "unassigned";
}

const char *tn_ecn_name(uint8_t ecn)
{
	static const char *const n[4] = {
		"not ECN-capable", "ECT(1), ECN-capable", "ECT(0), ECN-capable",
		"CE, congestion experienced",
	};
	return n[ecn & 3];
}

const char *tn_ip6_ext_name(uint8_t type)
{
	switch (type) {
	case 0: return "hop-by-hop options";
	case 43: return "routing";
	case 44: return "fragment";
	case 51: return "authentication";
	case 60: return "destination options";
	case 135: return "mobility";
	case 139: return "HIP";
	case 140: return "shim6";
	case 6: return "TCP";
	case 17: return "UDP";
	case 58: return "ICMPv6";
	case 59: return "no next header";
	default: return "other";
	}
}

const char *tn_mptcp_subtype_name(uint8_t subtype)
{
	static const char *const n[] = {
		"MP_CAPABLE", "MP_JOIN", "DSS", "ADD_ADDR", "REMOVE_ADDR", "MP_PRIO",
		"MP_FAIL", "MP_FASTCLOSE", "MP_TCPRST",
	};
	if (subtype < sizeof n / sizeof n[0])
		return n[subtype];
	return subtype == 15 ? "MP_EXPERIMENTAL" : "unknown";
}

const char *tn_csum_status_name(enum tn_csum c)
{
	switch (c) {
	case TN_CSUM_OK: return "ok";
	case TN_CSUM_BAD: return "bad";
	default: return "unverified";
	}
}

const char *tn_skip_reason_key(enum tn_decode_result r)
{
	static const char *const k[TN_DEC_RESULT_COUNT] = {
		[TN_DEC_TCP] = "tcp",
		[TN_DEC_NOT_IP] = "not_ip",
		[TN_DEC_NOT_TCP] = "not_tcp",
		[TN_DEC_FRAGMENT] = "fragment",
		[TN_DEC_UNSUPPORTED_LINK] = "unsupported_link",
		[TN_DEC_MALFORMED] = "malformed",
		[TN_DEC_TRUNCATED] = "truncated",
	};
	return (unsigned)r < TN_DEC_RESULT_COUNT ? k[r] : "unknown";
}

/*
 * A plain retransmission verdict goes without saying when a more specific
 * one (fast, spurious) is there: tshark's tcp.analysis.retransmission is set
 * for those too, and JSON lists it, but a reader needs the one word.
 */
bool tn_render_verdict_shown(const struct tn_segment *seg, unsigned i)
{
	if (seg->verdict[i].kind != TN_V_RETRANSMISSION)
		return true;
	return !tn_segment_verdict(seg, TN_V_FAST_RETRANSMISSION) &&
	       !tn_segment_verdict(seg, TN_V_SPURIOUS_RETRANSMISSION);
}

/* Loss and stalls stand out (bold red); trouble that may pass, yellow; the rest, cyan. */
const char *tn_render_verdict_style(enum tn_verdict_kind k)
{
	switch (k) {
	case TN_V_WINDOW_UPDATE:
	case TN_V_KEEP_ALIVE:
	case TN_V_KEEP_ALIVE_ACK:
	case TN_V_REUSED_PORTS:
		return "\033[36m";
	case TN_V_DUPLICATE_ACK:
	case TN_V_OUT_OF_ORDER:
	case TN_V_ZERO_WINDOW_PROBE_ACK:
	case TN_V_WINDOW_FULL:
		return "\033[33m";
	default:
		return "\033[1;31m";
	}
}
