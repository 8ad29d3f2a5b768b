#!/usr/bin/env python3
"""tcpnarrate's reading of ICMP errors that quote TCP, against tshark's.

Usage: icmp_compare.py --tcpnarrate PATH CAPTURE...

tshark decodes the packet quoted in an ICMP or ICMPv6 error, TCP header
included (as far as it was quoted). For every frame where it shows an ICMP
destination unreachable / time exceeded or ICMPv6 destination unreachable /
packet too big / time exceeded with TCP inside, tcpnarrate must have
written an `icmp_error` object for the same frame when the quoted ports and
addresses are a connection it narrated, and none when they are not; where
it did, the ICMP type, code and MTU and the quoted ports and raw sequence
number must agree.

Output: `FILE: N compared, M mismatched` per capture, the mismatches, and
`N passed, M failed`. Exit status 0, 1 on a mismatch, 77 without tshark.
Standard library only.
"""
import json
import subprocess
import sys

import per_file  # noqa: E402  (this folder: the shared command line)

FIELDS = ["frame.number", "icmp.type", "icmp.code", "icmp.mtu", "icmpv6.type", "icmpv6.code",
          "icmpv6.mtu", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport",
          "tcp.dstport", "tcp.seq_raw", "tcp.seq"]
ERRORS = {4: {3, 11}, 6: {1, 2, 3}}


def first(s):
    return s.split(",")[0] if s else ""


def last(s):
    return s.split(",")[-1] if s else ""


def tshark_errors(path):
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "occurrence=a",
           "-E", "aggregator=,", "-o", "tcp.relative_sequence_numbers:FALSE"]
    for f in FIELDS:
        cmd += ["-e", f]
    # a damaged file makes tshark exit non-zero after the frames it could read
    out = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         timeout=120).stdout
    rows = {}
    for line in out.splitlines():
        c = (line.split("\t") + [""] * len(FIELDS))[:len(FIELDS)]
        v6 = bool(c[4])
        itype = first(c[4] if v6 else c[1])
        if not itype or not c[11] or int(itype) not in ERRORS[6 if v6 else 4]:
            continue
        src, dst = (c[9], c[10]) if v6 else (c[7], c[8])
        mtu = first(c[6] if v6 else c[3])
        rows[int(c[0])] = {
            "type": int(itype), "code": int(first(c[5] if v6 else c[2])),
            "mtu": int(mtu) if mtu else None,
            # the quoted packet's addresses are the last IP header's
            "tuple": (last(src), int(first(c[11])), last(dst), int(first(c[12]))),
            # inside an ICMPv4 error tshark gives tcp.seq (raw, with relative
            # numbers off) but no tcp.seq_raw
            "seq_raw": int(first(c[13] or c[14])) if (c[13] or c[14]) else None,
        }
    return rows


def ours(binary, path):
    out = subprocess.run([binary, "--json", "-r", path], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=120).stdout
    errors, tuples = {}, set()
    for line in out.splitlines():
        o = json.loads(line)
        if o.get("type") == "segment" and "src" in o:
            tuples.add((o["src"], o["sport"], o["dst"], o["dport"]))
            tuples.add((o["dst"], o["dport"], o["src"], o["sport"]))
        elif o.get("type") == "icmp_error":
            q, i = o["quoted"], o["icmp"]
            errors[o["n"]] = {
                "type": i["type"], "code": i["code"], "mtu": i.get("mtu"),
                "tuple": (q["src"]["addr"], q["src"]["port"], q["dst"]["addr"],
                          q["dst"]["port"]),
                "seq_raw": q["seq_raw"],
            }
    return errors, tuples


def compare(binary, path):
    theirs = tshark_errors(path)
    mine, tuples = ours(binary, path)
    bad, n = [], 0
    for fr in sorted(set(theirs) | set(mine)):
        t, o = theirs.get(fr), mine.get(fr)
        if t is None:
            bad.append("frame %d: tcpnarrate narrated an ICMP error tshark does not show" % fr)
            continue
        if o is None:
            if t["tuple"] in tuples:
                bad.append("frame %d: an ICMP error about connection %s not narrated" %
                           (fr, t["tuple"]))
            continue
        n += 1
        for k in ("type", "code", "mtu", "tuple", "seq_raw"):
            if k == "mtu" and t[k] is None:
                continue
            if t[k] != o[k]:
                bad.append("frame %d: %s: tcpnarrate %s, tshark %s" % (fr, k, o[k], t[k]))
    return n, bad


if __name__ == "__main__":
    sys.exit(per_file.main(__doc__, compare))
