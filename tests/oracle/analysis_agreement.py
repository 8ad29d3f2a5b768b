#!/usr/bin/env python3
"""tcpnarrate's analysis verdicts against tshark's tcp.analysis flags.

Usage: analysis_agreement.py --tcpnarrate PATH [--allow FILE] [-j N] PATH...

Each PATH is a capture file or a directory (scanned recursively for *.pcap,
*.pcapng, *.cap). For every file, tshark (sequence analysis on, its default
preferences) and `tcpnarrate --json` are run, and every frame where
tcpnarrate narrated a segment and tshark decoded exactly one TCP header right
above the frame's only IP header is compared, verdict by verdict: tshark's
tcp.analysis.<name> against the name in tcpnarrate's "analysis" list. The
segment's Community ID must equal tshark's (communityid protocol enabled).

Per verdict it prints: frames where both set it, where only tshark did,
where only tcpnarrate did, and agreement = both / either. It fails when any
verdict's agreement is below 99%, and when a verdict that tshark sets fewer
than 100 times in all has a disagreement that --allow does not explain. An
explained disagreement (docs/analysis.md says why the definitions differ)
still counts against the agreement score.

Exit status: 0 pass, 1 fail or error, 2 usage, 77 tshark missing.
Prints a closing line `N passed, M failed` (verdicts). Standard library only.
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys

SKIP = 77
VERDICTS = [
    "retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order",
    "lost_segment", "ack_lost_segment", "duplicate_ack", "zero_window",
    "zero_window_probe", "zero_window_probe_ack", "window_full", "window_update",
    "keep_alive", "keep_alive_ack", "reused_ports",
]
FIELDS = ["frame.number", "frame.protocols", "communityid"] + \
    ["tcp.analysis." + v for v in VERDICTS]
IPV6_EXT = {"ipv6.hopopts", "ipv6.routing", "ipv6.dstopts", "ipv6.fraghdr", "ah"}
MIN_FREQUENT = 100
MIN_AGREEMENT = 0.99


def plain_tcp(protocols):
    """True when the frame holds one IP header, then (extension headers and) one TCP header."""
    layers = protocols.split(":")
    if layers.count("tcp") != 1 or layers.count("ip") + layers.count("ipv6") != 1:
        return False
    if "icmp" in layers or "icmpv6" in layers:
        return False
    i = layers.index("ip") if "ip" in layers else layers.index("ipv6")
    between = layers[i + 1:layers.index("tcp")]
    return all(x in IPV6_EXT for x in between)


def tshark_flags(path, timeout):
    cmd = ["tshark", "-n", "-r", path, "-o", "tcp.analyze_sequence_numbers:TRUE",
           "--enable-protocol", "communityid",
           "-T", "fields", "-E", "occurrence=f", "-E", "separator=\t"]
    for f in FIELDS:
        cmd += ["-e", f]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    rows = {}
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        cols = line.split("\t")
        if len(cols) != len(FIELDS) or not cols[0].isdigit():
            continue
        if not plain_tcp(cols[1]):
            continue
        rows[int(cols[0])] = ({v for v, c in zip(VERDICTS, cols[3:]) if c.strip()}, cols[2])
    return rows


def ours(binary, path, timeout):
    p = subprocess.run([binary, "--json", "-r", path], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout)
    segs = {}
    for line in p.stdout.decode("utf-8", "replace").splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get("type") == "segment":
            segs[o["n"]] = (set(o.get("analysis", [])), o.get("community_id", ""))
    return segs


def compare_file(binary, path, timeout):
    try:
        theirs = tshark_flags(path, timeout)
        mine = ours(binary, path, timeout)
    except subprocess.TimeoutExpired:
        return path, None, "timed out"
    rows = []
    for n in sorted(set(theirs) & set(mine)):
        rows.append((n, theirs[n][0], mine[n][0], theirs[n][1], mine[n][1]))
    return path, rows, None


def load_allow(path):
    allow = []
    if not path:
        return allow
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) < 4:
                raise SystemExit("%s: want file, frame, verdict, reason: %r" % (path, line))
            allow.append(tuple(parts[:4]))
    return allow


def explained(allow, path, n, verdict):
    for f, frame, v, _ in allow:
        if (path == f or path.endswith("/" + f)) and (frame == "*" or frame == str(n)) \
                and v == verdict:
            return True
    return False


def captures(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                out += [os.path.join(root, n) for n in names
                        if n.endswith((".pcap", ".pcapng", ".cap"))]
        elif os.path.exists(p):
            out.append(p)
    return sorted(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcpnarrate", required=True)
    ap.add_argument("--allow")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--show", type=int, default=5, help="disagreements listed per verdict")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    if not shutil.which("tshark"):
        print("tshark not found: skipped")
        return SKIP
    allow = load_allow(a.allow)
    files = captures(a.paths)
    both = dict.fromkeys(VERDICTS, 0)
    only_t = {v: [] for v in VERDICTS}
    only_o = {v: [] for v in VERDICTS}
    errors = []
    frames = 0
    cid_bad = []
    with concurrent.futures.ThreadPoolExecutor(a.j) as ex:
        jobs = [ex.submit(compare_file, a.tcpnarrate, f, a.timeout) for f in files]
        for job in jobs:
            path, rows, err = job.result()
            if err:
                errors.append("%s: %s" % (path, err))
                continue
            for n, t, o, tcid, ocid in rows:
                frames += 1
                if tcid and tcid != ocid:  # tshark gives none for a few (IPv6 jumbograms)
                    cid_bad.append("%s #%d: community id %s, tshark %s" % (path, n, ocid, tcid))
                for v in VERDICTS:
                    if v in t and v in o:
                        both[v] += 1
                    elif v in t:
                        only_t[v].append((path, n))
                    elif v in o:
                        only_o[v].append((path, n))
    print("%d files, %d frames compared" % (len(files), frames))
    print("%-24s %7s %7s %7s %9s" % ("verdict", "both", "tshark", "ours", "agreement"))
    passed = failed = 0
    for v in VERDICTS:
        either = both[v] + len(only_t[v]) + len(only_o[v])
        agree = both[v] / either if either else 1.0
        tshark_total = both[v] + len(only_t[v])
        diffs = [(p, n, "tshark only") for p, n in only_t[v]] + \
                [(p, n, "tcpnarrate only") for p, n in only_o[v]]
        unexplained = [d for d in diffs if not explained(allow, d[0], d[1], v)]
        bad = agree < MIN_AGREEMENT or (tshark_total < MIN_FREQUENT and bool(unexplained))
        print("%-24s %7d %7d %7d %8.2f%%%s" % (v, both[v], len(only_t[v]), len(only_o[v]),
                                             100 * agree, "  FAIL" if bad else ""))
        for p, n, side in unexplained[:a.show]:
            print("    %s #%d: %s%s" % (os.path.relpath(p), n, side,
                                       "" if bad else " (counted)"))
        if len(unexplained) > a.show:
            print("    ... %d more" % (len(unexplained) - a.show))
        failed += bad
        passed += not bad
    print("community id: %d frames, %d differ from tshark's" % (frames, len(cid_bad)))
    for c in cid_bad[:a.show]:
        print("    " + c)
    errors += ["community id differs" for _ in cid_bad[:1]]
    for e in errors:
        print("error: " + e)
    print("%d passed, %d failed" % (passed, failed + len(errors)))
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
