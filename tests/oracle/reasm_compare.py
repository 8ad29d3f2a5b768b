#!/usr/bin/env python3
"""tcpnarrate's IP reassembly against tshark's, segment by segment.

Usage: reasm_compare.py --tcpnarrate PATH CAPTURE...

For each capture, tshark is run with IPv4 and IPv6 defragmentation on (TCP
reassembly and analysis off) and `tcpnarrate --json` as usual. Every frame
where tshark shows a TCP header rebuilt from IP fragments (ip.fragments or
ipv6.fragments present) must be a segment tcpnarrate narrated from
fragments at the same frame number, and the other way round; for each, the
TCP fields must agree (ports, raw sequence and acknowledgement numbers, the
12 flag bits, raw window, header length, payload length, checksum field),
and so must the frames the datagram was made of, how many fragments (an
exact duplicate counts) and whether any overlapped (ip.fragment.overlap /
ipv6.fragment.overlap: tshark sets it for a duplicate too).

Output: one line per capture `FILE: N compared, M mismatched`, the
mismatches under it, and `N passed, M failed` (captures). Exit status 0, 1
on a mismatch or error, 77 when tshark is missing. Standard library only.
"""
import json
import subprocess
import sys

import per_file  # noqa: E402  (this folder: the shared command line)

FIELDS = ["frame.number", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.ack_raw",
          "tcp.flags", "tcp.window_size_value", "tcp.hdr_len", "tcp.len", "tcp.checksum",
          "ip.fragment", "ipv6.fragment", "ip.fragment.overlap", "ipv6.fragment.overlap",
          "ip.fragment.count", "ipv6.fragment.count"]
PREFS = ["ip.defragment:TRUE", "ipv6.defragment:TRUE", "tcp.desegment_tcp_streams:FALSE",
         "tcp.analyze_sequence_numbers:FALSE", "tcp.relative_sequence_numbers:FALSE",
         "tcp.check_checksum:FALSE", "tcp.try_heuristic_first:FALSE"]
KEYS = ["sport", "dport", "seq_raw", "ack_raw", "flags", "window", "hdr_len",
        "payload_len", "checksum"]


def tshark_rows(path):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t",
           "-E", "occurrence=a", "-E", "aggregator=,"]
    for p in PREFS:
        cmd += ["-o", p]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    rows = {}
    for line in out.splitlines():
        c = (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]
        frags = c[10] or c[11]
        if not frags or not c[1]:
            continue
        num = lambda s: int(s.split(",")[0], 0)  # noqa: E731
        rows[int(c[0])] = {
            "sport": num(c[1]), "dport": num(c[2]), "seq_raw": num(c[3]),
            "ack_raw": num(c[4]), "flags": num(c[5]) & 0xFFF, "window": num(c[6]),
            "hdr_len": num(c[7]), "payload_len": num(c[8]), "checksum": num(c[9]),
            # tshark's list can leave out the frame that completes the datagram
            # when it overlaps (its item is an overlap subtree): add it back.
            "frames": sorted(set(int(x) for x in frags.split(",")) | {int(c[0])}),
            "count": num(c[14] or c[15]),
            "overlap": bool(c[12] or c[13]),
        }
    return rows


def our_rows(binary, path):
    out = subprocess.run([binary, "--json", "-r", path], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=120).stdout
    rows = {}
    for line in out.splitlines():
        o = json.loads(line)
        if o.get("type") != "segment" or "fragments" not in o:
            continue
        t = o["tcp"]
        rows[o["n"]] = {
            "sport": o["sport"], "dport": o["dport"], "seq_raw": t["seq_raw"],
            "ack_raw": t["ack_raw"], "flags": t["flags_raw"], "window": t["window"],
            "hdr_len": t["hdr_len"], "payload_len": o["payload_len"],
            "checksum": t["checksum"],
            "frames": sorted(f["n"] for f in o["fragments"]),
            "count": len(o["fragments"]),
            "overlap": any(f["overlap"] or f["duplicate"] for f in o["fragments"]),
        }
    return rows


def compare(binary, path):
    theirs, ours = tshark_rows(path), our_rows(binary, path)
    bad = []
    for n in sorted(set(theirs) | set(ours)):
        if n not in ours:
            bad.append("frame %d: tshark reassembled a TCP segment here, tcpnarrate did not" % n)
            continue
        if n not in theirs:
            bad.append("frame %d: tcpnarrate reassembled a TCP segment here, tshark did not" % n)
            continue
        t, o = theirs[n], ours[n]
        for k in KEYS + ["frames", "count", "overlap"]:
            if t[k] != o[k]:
                bad.append("frame %d: %s: tcpnarrate %s, tshark %s" % (n, k, o[k], t[k]))
    return len(set(theirs) & set(ours)), bad


if __name__ == "__main__":
    sys.exit(per_file.main(__doc__, compare))
