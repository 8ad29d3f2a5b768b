#!/usr/bin/env python3
"""--compare: real and crafted connections held against the textbook one.

The textbook compared with itself shows no difference; the real curl
captures show what they should (Python's HTTP/1.0 server closes first and
splits its response; nginx closes in three segments); crafted captures, made
by tests/lib/pcapgen.py, show each other named difference. --strict turns a
difference into exit status 3.

usage: test_compare.py TCPNARRATE
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pcapgen import Pcap, ether, ipv4, tcp, opt_mss, opt_sack_perm, opt_ts  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
C, S = "10.0.1.5", "10.0.2.10"
results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print("%s %s%s" % ("ok  " if cond else "FAIL", name, "" if cond else ": " + str(detail)))


def write(path, segs, sport=43210, dport=80):
    """segs: (from 'c'|'s', flags, seq, ack, payload[, seconds after start])"""
    with Pcap(path) as p:
        t0 = 1700000000.0
        for i, s in enumerate(segs):
            frm, flags, seq, ack, data = s[:5]
            t = t0 + (s[5] if len(s) > 5 else i * 0.001)
            a, b, pa, pb = (C, S, sport, dport) if frm == "c" else (S, C, dport, sport)
            p.add(ether(ipv4(a, b, tcp(pa, pb, seq=seq, ack=ack, flags=flags, payload=data))), ts=t)


def compare(args):
    r = subprocess.run([BIN, "--json", "--compare"] + args, capture_output=True, text=True, timeout=30)
    objs = [json.loads(x) for x in r.stdout.splitlines()]
    return r, [o for o in objs if o["type"] == "comparison"]


def kinds(cmp):
    return [d["kind"] for d in cmp["differences"]]


GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"         # 27 bytes
OPEN = [("c", "S", 1000, 0, b""), ("s", "SA", 4500, 1001, b""), ("c", "A", 1001, 4501, b"")]


def close_by_client(cseq, sseq):
    return [("c", "FA", cseq, sseq, b""), ("s", "A", sseq, cseq + 1, b""),
            ("s", "FA", sseq, cseq + 1, b""), ("c", "A", cseq + 1, sseq + 1, b"")]


def textbook_like(resp=b"x" * 200):
    return OPEN + [("c", "PA", 1001, 4501, GET), ("s", "A", 4501, 1028, b""),
                   ("s", "PA", 4501, 1028, resp), ("c", "A", 1028, 4501 + len(resp), b"")] + \
        close_by_client(1028, 4501 + len(resp))


CRAFTED = {
    # name: (segments, port, differences that must be there, differences that must not)
    "crafted textbook shape": (textbook_like(), 80, [], None),
    "reset instead of FIN": (OPEN + [("c", "PA", 1001, 4501, GET), ("s", "A", 4501, 1028, b""),
                                     ("s", "PA", 4501, 1028, b"x" * 200), ("c", "RA", 1028, 4701, b"")],
                             80, ["rst_instead_of_fin"], None),
    "refused": ([("c", "S", 1000, 0, b""), ("s", "RA", 0, 1001, b"")], 80, ["refused"], None),
    "retransmission": (OPEN + [("c", "PA", 1001, 4501, GET), ("s", "A", 4501, 1028, b""),
                               ("s", "PA", 4501, 1028, b"x" * 200), ("s", "PA", 4501, 1028, b"x" * 200, 0.3),
                               ("c", "A", 1028, 4701, b"", 0.301)] + close_by_client(1028, 4701),
                       80, ["retransmissions"], None),
    "SYN sent twice": ([("c", "S", 1000, 0, b""), ("c", "S", 1000, 0, b"", 1.0)] +
                       [(x[0], x[1], x[2], x[3], x[4], 1.01 + i * 0.001) for i, x in enumerate(textbook_like()[1:])],
                       80, ["syn_retransmitted"], None),
    "keep-alive": (OPEN + [("c", "PA", 1001, 4501, GET), ("s", "PA", 4501, 1028, b"x" * 100),
                           ("c", "PA", 1028, 4601, GET), ("s", "PA", 4601, 1055, b"y" * 100),
                           ("c", "A", 1055, 4701, b"")] + close_by_client(1055, 4701),
                   80, ["several_requests", "ack_piggybacked"], ["response_split"]),
    "FIN carrying data, three-segment close": (
        OPEN + [("c", "PA", 1001, 4501, GET), ("s", "FPA", 4501, 1028, b"x" * 50),
                ("c", "FA", 1028, 4552, b""), ("s", "A", 4552, 1029, b"")],
        80, ["fin_with_data", "server_closed_first", "three_segment_close", "ack_piggybacked"], None),
    "coalesced ACKs": (OPEN + [("c", "PA", 1001, 4501, GET), ("s", "A", 4501, 1028, b""),
                               ("s", "A", 4501, 1028, b"a" * 100), ("s", "A", 4601, 1028, b"b" * 100),
                               ("s", "PA", 4701, 1028, b"c" * 100), ("c", "A", 1028, 4801, b"")] +
                       close_by_client(1028, 4801),
                       80, ["coalesced_acks", "response_split"], None),
    "options in the SYN": ([("c", "S", 1000, 0, b"")] + textbook_like()[1:], 80, [], None),
    "handshake ACK carries the request": (
        OPEN[:2] + [("c", "PA", 1001, 4501, GET), ("s", "A", 4501, 1028, b""),
                    ("s", "PA", 4501, 1028, b"x" * 200), ("c", "A", 1028, 4701, b"")] + close_by_client(1028, 4701),
        80, ["handshake_ack_with_data"], None),
    # Fast Open refused: the SYN's data is not acknowledged by the SYN-ACK and is sent again;
    # it is one request and its bytes count once.
    "Fast Open refused": ([("c", "S", 1000, 0, GET), ("s", "SA", 4500, 1001, b""),
                           ("c", "A", 1001, 4501, b""), ("c", "PA", 1001, 4501, GET),
                           ("s", "A", 4501, 1028, b""), ("s", "PA", 4501, 1028, b"x" * 200),
                           ("c", "A", 1028, 4701, b"")] + close_by_client(1028, 4701),
                          80, ["fast_open_refused", "retransmissions"], ["several_requests"]),
    # A server that speaks first (an SMTP greeting) has not answered a request yet.
    "server speaks first": (OPEN + [("s", "PA", 4501, 1001, b"220 mail.example ESMTP\r\n"),
                                    ("c", "PA", 1001, 4525, b"EHLO c\r\n"),
                                    ("s", "PA", 4525, 1009, b"250 ok\r\n"),
                                    ("c", "A", 1009, 4533, b"")] + close_by_client(1009, 4533),
                            25, ["server_spoke_first", "ack_piggybacked"], ["response_split"]),
    # Joined mid-stream: no request was captured, so none is missing and no ACK rode on one.
    "mid-stream": ([("s", "PA", 9000, 7000, b"x" * 100), ("c", "A", 7000, 9100, b"")], 80,
                   ["joined_mid_connection"], ["no_request", "ack_piggybacked"]),
}


def tls_capture(path):
    rec = lambda t, n: bytes([t, 3, 3, n >> 8, n & 255]) + b"\0" * n  # noqa: E731
    segs = OPEN + [
        ("c", "PA", 1001, 4501, rec(22, 200)),                     # ClientHello
        ("s", "PA", 4501, 1206, rec(22, 90) + rec(20, 1) + rec(23, 400)),  # ServerHello, CCS, encrypted
        ("c", "PA", 1206, 4507 + 90 + 1 + 400 - 2, rec(20, 1) + rec(23, 53)),  # CCS, Finished
        ("c", "PA", 1206 + 64, 4996, rec(23, 80)),                 # the request
        ("s", "PA", 4996, 1355, rec(23, 300)),                     # the response
        ("c", "A", 1355, 5301, b"")] + close_by_client(1355, 5301)
    write(path, segs, dport=443)


def tls_one_record_capture(path, request=True):
    """A ClientHello in one handshake record, a server that answers with application data only;
    without `request`, the client never sends application data."""
    rec = lambda t, n: bytes([t, 3, 3, n >> 8, n & 255]) + b"\0" * n  # noqa: E731
    segs = OPEN + [("c", "PA", 1001, 4501, rec(22, 200)), ("s", "PA", 4501, 1206, rec(23, 100))]
    cseq = 1206
    if request:
        segs += [("c", "PA", 1206, 4606, rec(23, 80)), ("s", "PA", 4606, 1291, rec(23, 300))]
        cseq = 1291
    sseq = 4906 if request else 4606
    write(path, segs + [("c", "A", cseq, sseq, b"")] + close_by_client(cseq, sseq), dport=443)


def syn_options_capture(path, client_opts, server_opts=b""):
    """The crafted textbook connection, its SYN and SYN-ACK carrying these options."""
    with Pcap(path) as p:
        t = 1700000000.0
        for i, (frm, flags, seq, ack, data) in enumerate(textbook_like()):
            a, b, pa, pb = (C, S, 43210, 80) if frm == "c" else (S, C, 80, 43210)
            opts = client_opts if i == 0 else server_opts if i == 1 else b""
            p.add(ether(ipv4(a, b, tcp(pa, pb, seq=seq, ack=ack, flags=flags, payload=data,
                                       options=opts))), ts=t + i * 0.001)


def one_sided_options(d):
    """SACK and timestamps offered by the client only: not used, and the text says what that means."""
    path = os.path.join(d, "one-sided.pcap")
    syn_options_capture(path, opt_sack_perm() + opt_ts(1, 0))
    r, cmps = compare(["-r", path])
    sack = explanation(cmps[0], "sack_permitted") if cmps else ""
    ts = explanation(cmps[0], "timestamps") if cmps else ""
    check("SACK offered by one side: not used, and what happens without it",
          "offered by the client only, so it is not used" in sack and "can name exactly" not in sack and
          "before the first gap" in sack, sack)
    check("timestamps offered by one side: off, and what that leaves out",
          "offered by the client only, so they are off" in ts and "measures the round trip on every" not in ts,
          ts)


def explanation(cmp, kind):
    return " ".join(d["explanation"] for d in cmp.get("differences", []) if d["kind"] == kind)


def singular_explanations(d):
    """Counts of one in the explanations: one time, one handshake record, one round trip."""
    path = os.path.join(d, "coalesced.pcap")
    write(path, CRAFTED["coalesced ACKs"][0])
    r, cmps = compare(["-r", path])
    text = explanation(cmps[0], "coalesced_acks") if cmps else ""
    check("one coalesced ACK: '1 time by the client'", "(1 time by the client, 0 by the server)" in text,
          text)
    tls_one_record_capture(path)
    r, cmps = compare(["-r", path])
    text = explanation(cmps[0], "tls") if cmps else ""
    check("TLS with one handshake record: singular", "(1 handshake record)" in text and
          "after 2 round trips" in text, text)
    tls_one_record_capture(path, request=False)
    r, cmps = compare(["-r", path])
    text = explanation(cmps[0], "tls") if cmps else ""
    check("TLS without a request byte: said so, no negative round trips",
          "no request byte was captured" in text and "-1" not in text, text)


def main():
    r, cmps = compare(["--reference"])
    check("the textbook against itself: no difference", r.returncode == 0 and len(cmps) == 1 and
          cmps[0]["matches"] and cmps[0]["differences"] == [] and cmps[0]["verdict"] == "the textbook shape" and
          cmps[0]["rtts_before_first_byte"]["request"] == 1 and cmps[0]["rtts_before_first_byte"]["response"] == 2,
          cmps)
    r = subprocess.run([BIN, "--compare", "--strict", "--reference"], capture_output=True, text=True)
    check("--strict on the textbook: exit 0", r.returncode == 0, r.returncode)

    py = os.path.join(ROOT, "captures", "http10-python-ipv4.pcap")
    r, cmps = compare(["-r", py])
    k = kinds(cmps[0]) if cmps else []
    check("python http.server: options, split response, server closes first",
          all(x in k for x in ["mss_option", "sack_permitted", "timestamps", "window_scale",
                               "response_split", "server_closed_first"]), k)
    check("python: every difference tied to a step and explained",
          all(1 <= d["step"] <= 11 and len(d["explanation"]) > 30 for d in cmps[0]["differences"]))
    check("python: one round trip before the request, two before the response",
          cmps[0]["rtts_before_first_byte"] == {"request": 1, "response": 2, "reference_request": 1,
                                                  "reference_response": 2}, cmps[0]["rtts_before_first_byte"])
    r = subprocess.run([BIN, "--compare", "--strict", "-q", "-r", py], capture_output=True, text=True)
    check("--strict on a real capture: exit 3", r.returncode == 3, r.returncode)
    check("text: side-by-side table and verdict", "against the textbook: " in r.stdout and
          "step  reference" in r.stdout and "server_closed_first" in r.stdout, r.stdout[-300:])

    ng = os.path.join(ROOT, "captures", "http11-nginx-ipv4.pcap")
    r, cmps = compare(["-r", ng])
    k = kinds(cmps[0]) if cmps else []
    check("nginx: the client closes, in three segments",
          "three_segment_close" in k and "server_closed_first" not in k, k)

    for extra, want in (("http11-nginx-keepalive-ipv4.pcap", ["several_requests"]),
                        ("http11-nginx-loss-ipv4.pcap", ["retransmissions"]),
                        ("https-nginx-ipv4.pcap", ["tls"])):
        path = os.path.join(ROOT, "captures", extra)
        r, cmps = compare(["-r", path])
        k = kinds(cmps[0]) if cmps else []
        check("%s: %s" % (extra, ", ".join(want)), r.returncode == 0 and all(x in k for x in want), k)
        if extra.startswith("http11-nginx-keepalive"):
            split = [d for d in cmps[0]["differences"] if d["kind"] == "response_split"]
            check("keep-alive: step 6 is the first response only (3 of the 6 server segments)",
                  len(split) == 1 and "first response took 3 segments (3239 bytes)" in
                  split[0]["explanation"], split)
        if extra.startswith("https"):
            check("TLS 1.2 costs three round trips before the request",
                  cmps[0]["rtts_before_first_byte"]["request"] == 3, cmps[0]["rtts_before_first_byte"])

    with tempfile.TemporaryDirectory() as d:
        for name, (segs, port, must, must_not) in CRAFTED.items():
            path = os.path.join(d, "x.pcap")
            if name == "options in the SYN":
                with Pcap(path) as p:
                    p.add(ether(ipv4(C, S, tcp(43210, 80, seq=1000, flags="S", options=opt_mss(1400)))))
                    t = 1700000000.001
                    for frm, flags, seq, ack, data in textbook_like()[1:]:
                        a, b, pa, pb = (C, S, 43210, 80) if frm == "c" else (S, C, 80, 43210)
                        p.add(ether(ipv4(a, b, tcp(pa, pb, seq=seq, ack=ack, flags=flags, payload=data))), ts=t)
                        t += 0.001
                must = ["mss_option"]
            else:
                write(path, segs, dport=port)
            r, cmps = compare(["-r", path])
            k = kinds(cmps[0]) if cmps else None
            if not must:
                check(name + ": no difference", k == [] and cmps[0]["matches"], k)
            else:
                check(name + ": " + ", ".join(must), k is not None and all(x in k for x in must), k)
            if must_not:
                check(name + ": not " + ", ".join(must_not),
                      k is not None and not any(x in k for x in must_not), k)
        path = os.path.join(d, "tls.pcap")
        tls_capture(path)
        r, cmps = compare(["-r", path])
        c = cmps[0] if cmps else {}
        check("TLS on 443: handshake records counted, two round trips before the request",
              "tls" in kinds(c) and c["rtts_before_first_byte"]["request"] == 2 and
              "handshake records" in [x for x in c["differences"] if x["kind"] == "tls"][0]["explanation"], c)
        singular_explanations(d)
        one_sided_options(d)
    print("%d passed, %d failed" % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
