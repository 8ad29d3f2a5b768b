#!/usr/bin/env python3
"""Compare tcpnarrate's TCP header decoding with tshark's, frame by frame.

Usage: tshark_compare.py [--tcpnarrate PATH] [--allow FILE] [-j N]
                         [--timeout S] PATH...

Each PATH is a capture file or a directory (scanned recursively for *.pcap
and *.pcapng).  For every file, tshark and `tcpnarrate --json` are run on it
and every frame where tcpnarrate narrated a segment AND tshark decoded exactly
one TCP header, directly above the only IP header of the frame, is compared:
ports, raw sequence and acknowledgement numbers, the 12 flag bits, raw window,
header length, payload length, urgent pointer, checksum field, and the MSS,
window scale, SACK-permitted and timestamps options.  See README.md.

Output: one line per file `FILE: N compared, M mismatched, K not compared`,
the mismatches under it, and a closing line `N passed, M failed` (files).
Exit status: 0 no mismatch, 1 mismatch or error, 2 usage, 77 tshark missing.
Standard library only.
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys

SKIP = 77

# (tshark field, key in the parsed row)
TSHARK_FIELDS = [
    ("frame.number", "n"),
    ("frame.protocols", "protocols"),
    ("tcp.srcport", "sport"),
    ("tcp.dstport", "dport"),
    ("tcp.seq_raw", "seq_raw"),
    ("tcp.ack_raw", "ack_raw"),
    ("tcp.flags", "flags"),
    ("tcp.window_size_value", "window"),
    ("tcp.hdr_len", "hdr_len"),
    ("tcp.len", "payload_len"),
    ("tcp.urgent_pointer", "urgent"),
    ("tcp.checksum", "checksum"),
    ("tcp.options.mss_val", "mss"),
    ("tcp.options.wscale.shift", "wscale"),
    ("tcp.options.sack_perm", "sack_perm"),
    ("tcp.options.timestamp.tsval", "tsval"),
    ("tcp.options.timestamp.tsecr", "tsecr"),
    ("ip.flags.mf", "ip_mf"),
    ("ipv6.fraghdr.more", "ip6_more"),
]

# Preferences that keep tshark from changing what it reports as the TCP
# header of a frame: no reassembly (IP or TCP), no sequence analysis, no
# SYN-cookie or heuristic reinterpretation.  Name resolution is off (-n).
TSHARK_PREFS = [
    "tcp.analyze_sequence_numbers:FALSE",
    "tcp.relative_sequence_numbers:FALSE",
    "tcp.desegment_tcp_streams:FALSE",
    "tcp.reassemble_out_of_order:FALSE",
    "tcp.try_heuristic_first:FALSE",
    "tcp.read_seq_as_syn_cookie:FALSE",
    "tcp.calculate_timestamps:FALSE",
    "tcp.track_bytes_in_flight:FALSE",
    "tcp.check_checksum:FALSE",
    "ip.defragment:FALSE",
    "ip.try_heuristic_first:FALSE",
    "ipv6.defragment:FALSE",
    "ipv6.try_heuristic_first:FALSE",
    # An IPv6 payload length of 0 (Linux BIG TCP, offloaded super-segments)
    # is read as "the rest of the frame", as tcpnarrate and IPv4 (default
    # ip.tso_support:TRUE) do; otherwise tshark stops before the TCP header.
    "ipv6.tso_support:TRUE",
]

# A TCP header after one of these is a quoted one, not a segment.
ICMP_LAYERS = {"icmp", "icmpv6"}
IP_LAYERS = {"ip", "ipv6"}

HEADER_FIELDS = ["sport", "dport", "seq_raw", "ack_raw", "flags", "window",
                 "hdr_len", "payload_len", "urgent", "checksum"]
OPTION_FIELDS = ["mss", "wscale", "sack_perm", "tsval", "tsecr"]


class FileResult:
    def __init__(self, path):
        self.path = path
        self.compared = 0
        self.mismatches = []     # (frame, field, ours, theirs) header values
        self.opt_values = []     # option present in both, values differ
        self.opt_presence = []   # option present on one side only
        self.known = []          # (frame, field, ours, theirs, reason)
        self.not_compared = {}   # reason -> count
        self.errors = []
        self.notes = []
        self.frag_len = 0        # frames whose payload_len tshark omits

    def skip(self, reason):
        self.not_compared[reason] = self.not_compared.get(reason, 0) + 1

    @property
    def failures(self):
        return len(self.mismatches) + len(self.opt_values) + \
            len(self.opt_presence)

    @property
    def failed(self):
        return bool(self.failures or self.errors)


def run(cmd, timeout):
    """Run cmd; returns (status, stdout, stderr) or raises TimeoutExpired."""
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def first_line(text):
    for line in text.splitlines():
        line = line.strip()
        if line and "Running as user" not in line:
            return line
    return ""


def parse_tshark(out):
    frames = {}
    names = [k for _, k in TSHARK_FIELDS]
    for line in out.splitlines():
        cols = line.split("\t")
        if len(cols) < len(names):
            cols += [""] * (len(names) - len(cols))
        row = dict(zip(names, cols))
        try:
            n = int(row["n"])
        except ValueError:
            continue
        for k in names[2:]:
            row[k] = [v for v in row[k].split(",") if v != ""] \
                if row[k] else []
        frames[n] = row
    return frames


def classify_stack(protocols):
    """Why a tshark frame cannot be compared, or None if it can.

    Comparable: the frame's protocol stack contains exactly one "tcp", and
    before it at least one IP layer; tunnels between IP layers (GRE, VXLAN,
    Geneve, GTP-U, IP in IP, MPLS...) are decoded by tcpnarrate too, so a TCP
    header inside them is compared.  A TCP header quoted by an ICMP error is
    not: tcpnarrate does not narrate those as segments."""
    stack = protocols.split(":") if protocols else []
    ntcp = stack.count("tcp")
    if ntcp == 0:
        return "tshark: no TCP"
    before = stack[:stack.index("tcp")]
    ips = [i for i, p in enumerate(before) if p in IP_LAYERS]
    if not ips:
        return "tshark: TCP not above IP"
    if any(p in ICMP_LAYERS for p in before):
        return "tshark: TCP inside an ICMP error"
    if ntcp > 1:
        return "tshark: more than one TCP header"
    return None


def ints(values, base=10):
    out = []
    for v in values:
        try:
            out.append(int(v, base))
        except ValueError:
            out.append(v)
    return out


def theirs_of(row):
    def one(key, base=10):
        v = ints(row[key], base)
        return v[0] if len(v) == 1 else (v if v else None)
    return {
        "sport": one("sport"),
        "dport": one("dport"),
        "urgent": one("urgent"),
        "checksum": one("checksum", 16),
        "seq_raw": one("seq_raw"),
        "ack_raw": one("ack_raw"),
        "flags": (lambda f: f & 0xFFF if isinstance(f, int) else f)(
            one("flags", 16)),
        "window": one("window"),
        "hdr_len": one("hdr_len"),
        "payload_len": one("payload_len"),
        "mss": ints(row["mss"]),
        "wscale": ints(row["wscale"]),
        "sack_perm": len(row["sack_perm"]),
        "tsval": ints(row["tsval"]),
        "tsecr": ints(row["tsecr"]),
    }


def ours_of(seg):
    tcp = seg.get("tcp") or {}
    opts = tcp.get("options") or []

    def vals(name, key):
        return [o.get(key) for o in opts if o.get("name") == name]
    return {
        "sport": seg.get("sport"),
        "dport": seg.get("dport"),
        "urgent": tcp.get("urgent"),
        "checksum": tcp.get("checksum"),
        "seq_raw": tcp.get("seq_raw"),
        "ack_raw": tcp.get("ack_raw"),
        "flags": tcp.get("flags_raw"),
        "window": tcp.get("window"),
        "hdr_len": tcp.get("hdr_len"),
        "payload_len": seg.get("payload_len"),
        "mss": vals("mss", "value"),
        "wscale": vals("window_scale", "shift"),
        "sack_perm": len(vals("sack_permitted", "name")),
        "tsval": vals("timestamps", "tsval"),
        "tsecr": vals("timestamps", "tsecr"),
    }


def fmt(v):
    if isinstance(v, list):
        if not v:
            return "-"
        return ",".join(str(x) for x in v)
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "present" if v else "absent"
    return str(v)


def fmt_field(field, v):
    if field == "flags" and isinstance(v, int):
        return "0x%03x" % v
    if field == "checksum" and isinstance(v, int):
        return "0x%04x" % v
    if field == "sack_perm":
        return "present x%d" % v if v > 1 else ("present" if v else "absent")
    return fmt(v)


class Allow:
    def __init__(self, path):
        self.entries = []   # [file, frame, field, reason, used]
        if not path:
            return
        with open(path, encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                line = line.rstrip("\n")
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
                cols = line.split("\t")
                if len(cols) < 4:
                    raise ValueError("%s:%d: expected 4 tab-separated columns"
                                     " (file, frame, field, reason)"
                                     % (path, lineno))
                if cols[0] == "file" and cols[1] == "frame":
                    continue    # header line
                self.entries.append([cols[0], cols[1], cols[2],
                                     "\t".join(cols[3:]), False])

    @staticmethod
    def file_matches(entry, path):
        norm = os.path.normpath(path)
        entry = os.path.normpath(entry)
        return norm == entry or norm.endswith(os.sep + entry)

    def reason(self, path, frame, field):
        for e in self.entries:
            if (self.file_matches(e[0], path)
                    and e[1] in ("*", str(frame))
                    and e[2] in ("*", field)):
                e[4] = True
                return e[3]
        return None

    def unused(self, paths):
        out = []
        for e in self.entries:
            if not e[4] and any(self.file_matches(e[0], p) for p in paths):
                out.append(e)
        return out


def compare_file(path, args):
    res = FileResult(path)
    tshark_cmd = ["tshark", "-n", "-r", path, "-T", "fields",
                  "-E", "separator=/t", "-E", "occurrence=a",
                  "-E", "aggregator=,", "-E", "header=n"]
    for pref in TSHARK_PREFS:
        tshark_cmd += ["-o", pref]
    for field, _ in TSHARK_FIELDS:
        tshark_cmd += ["-e", field]
    try:
        tstatus, tout, terr = run(tshark_cmd, args.timeout)
    except subprocess.TimeoutExpired:
        res.errors.append("tshark timed out after %gs" % args.timeout)
        return res
    if tstatus == 1:    # tshark's "invalid option": the command is wrong
        res.errors.append("tshark usage error: %s" % first_line(terr))
        return res
    if tstatus != 0:
        msg = first_line(terr)
        res.notes.append("tshark exit %d%s" % (tstatus,
                                               ": " + msg if msg else ""))
    try:
        nstatus, nout, nerr = run([args.tcpnarrate, "-r", path, "--json"],
                                  args.timeout)
    except subprocess.TimeoutExpired:
        res.errors.append("tcpnarrate timed out after %gs" % args.timeout)
        return res
    if nstatus not in (0, 1):
        res.errors.append("tcpnarrate exit status %d%s" % (
            nstatus, ": " + first_line(nerr) if first_line(nerr) else ""))
    elif nstatus == 1:
        res.notes.append("tcpnarrate exit 1: %s" % first_line(nerr))

    segments = {}
    skipped = {}
    summary = {}
    for lineno, line in enumerate(nout.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            res.errors.append("tcpnarrate line %d is not JSON: %s"
                              % (lineno, e))
            continue
        if obj.get("type") == "segment":
            if obj.get("n") in segments:
                res.errors.append("tcpnarrate narrated frame %s twice"
                                  % obj.get("n"))
            segments[obj.get("n")] = obj
        elif obj.get("type") == "skipped":
            skipped[obj.get("n")] = obj.get("reason", "?")
        elif obj.get("type") == "summary":
            summary = obj

    frames = parse_tshark(tout)
    for n in sorted(set(frames) | set(segments)):
        row = frames.get(n)
        seg = segments.get(n)
        why = classify_stack(row["protocols"]) if row else "tshark: no frame"
        if seg is None:
            if why == "tshark: no TCP" or why == "tshark: no frame":
                continue    # neither side sees TCP: not a TCP frame at all
            if why is None:
                if n in skipped:
                    why = "tcpnarrate: skipped (%s)" % skipped[n]
                elif summary.get("linktype_supported") is False:
                    why = "tcpnarrate: link type %s not decoded" % (
                        summary.get("linktype", "?"))
                else:
                    why = "tcpnarrate: no segment"
            res.skip(why)
            continue
        if why is not None:
            res.skip(why)
            continue
        res.compared += 1
        ours, theirs = ours_of(seg), theirs_of(row)
        fragment = (row["ip_mf"][:1] in (["1"], ["True"])
                    or row["ip6_more"][:1] in (["1"], ["True"]))
        for field in HEADER_FIELDS + OPTION_FIELDS:
            a, b = ours[field], theirs[field]
            if field == "payload_len" and b is None and fragment:
                # tshark computes no tcp.len for an IP fragment (MF set):
                # the segment's length is not known from this packet alone.
                res.frag_len += 1
                continue
            if field in OPTION_FIELDS:
                if field == "sack_perm":
                    present_a, present_b = a > 0, b > 0
                else:
                    present_a, present_b = bool(a), bool(b)
                if not present_a and not present_b:
                    continue
                if present_a != present_b:
                    kind = res.opt_presence
                elif a != b:
                    kind = res.opt_values
                else:
                    continue
            elif a == b:
                continue
            else:
                kind = res.mismatches
            item = (n, field, fmt_field(field, a), fmt_field(field, b))
            reason = args.allow.reason(path, n, field)
            if reason is not None:
                res.known.append(item + (reason,))
            else:
                if field in OPTION_FIELDS:
                    tcp = seg.get("tcp") or {}
                    tags = [t for t in ("options_malformed", "options_cut")
                            if tcp.get(t)]
                    if tags:
                        item = item + ("tcpnarrate: " + ", ".join(tags),)
                kind.append(item)
    return res


def report(res, out):
    nc = sum(res.not_compared.values())
    out.write("%s: %d compared, %d mismatched, %d not compared\n"
              % (res.path, res.compared, res.failures, nc))
    if nc:
        out.write("  not compared: %s\n" % ", ".join(
            "%d %s" % (c, r) for r, c in sorted(res.not_compared.items())))
    if res.frag_len:
        out.write("  payload_len not compared in %d first fragment(s):"
                  " tshark gives no tcp.len for an IP fragment\n"
                  % res.frag_len)
    for e in res.errors:
        out.write("  ERROR %s\n" % e)
    for note in res.notes:
        out.write("  note: %s\n" % note)

    def line(prefix, item):
        s = "  %s frame %d %s: tcpnarrate=%s tshark=%s" % ((prefix,) +
                                                           item[:4])
        if len(item) > 4:
            s += " (%s)" % item[4]
        out.write(s + "\n")
    for item in res.mismatches:
        line("MISMATCH", item)
    for item in res.opt_values:
        line("MISMATCH option value", item)
    if res.opt_presence:
        out.write("  option present on one side only (parsers may stop at a"
                  " malformed option differently; judge by hand):\n")
        for item in res.opt_presence:
            line("  MISMATCH", item)
    for item in res.known:
        line("known", item)


def collect(paths):
    files = []
    for p in paths:
        if os.path.isdir(p):
            found = []
            for root, dirs, names in os.walk(p):
                dirs.sort()
                for name in names:
                    if name.endswith((".pcap", ".pcapng")):
                        found.append(os.path.join(root, name))
            files += sorted(found)
        else:
            files.append(p)
    return files


def main():
    ap = argparse.ArgumentParser(
        description="Compare tcpnarrate --json with tshark, frame by frame.")
    ap.add_argument("paths", nargs="+", metavar="PATH",
                    help="capture files, or directories of *.pcap/*.pcapng")
    ap.add_argument("--tcpnarrate", default="build/tcpnarrate",
                    help="tcpnarrate binary (default: build/tcpnarrate)")
    ap.add_argument("--allow", metavar="FILE",
                    help="TSV of known, explained differences: file, frame,"
                         " field, reason (frame and field may be *)")
    ap.add_argument("-j", "--jobs", type=int, default=2,
                    help="files compared in parallel (default 2)")
    ap.add_argument("--timeout", type=float, default=30.0,
                    help="seconds allowed per tool per file (default 30)")
    args = ap.parse_args()
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)   # quiet under | head

    if shutil.which("tshark") is None:
        print("tshark is not installed: skipping", file=sys.stderr)
        return SKIP
    if not os.path.isfile(args.tcpnarrate) and not os.path.isabs(
            args.tcpnarrate):
        # Fall back to the path relative to the project root.
        root = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))))
        alt = os.path.join(root, args.tcpnarrate)
        if os.path.isfile(alt):
            args.tcpnarrate = alt
    if not os.access(args.tcpnarrate, os.X_OK):
        print("tshark_compare: %s: not an executable" % args.tcpnarrate,
              file=sys.stderr)
        return 2
    try:
        args.allow = Allow(args.allow)
    except (OSError, ValueError) as e:
        print("tshark_compare: %s" % e, file=sys.stderr)
        return 2

    files = collect(args.paths)
    missing = [f for f in files if not os.path.isfile(f)]
    if missing:
        for f in missing:
            print("tshark_compare: %s: no such file" % f, file=sys.stderr)
        return 2
    if not files:
        print("tshark_compare: no capture files found", file=sys.stderr)
        return 2

    passed = failed = 0
    out = sys.stdout
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        for res in pool.map(lambda f: compare_file(f, args), files):
            report(res, out)
            out.flush()
            if res.failed:
                failed += 1
            else:
                passed += 1
    for e in args.allow.unused(files):
        out.write("note: allow-list entry matched nothing: %s\n"
                  % "\t".join(e[:3]))
    out.write("%d passed, %d failed\n" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
