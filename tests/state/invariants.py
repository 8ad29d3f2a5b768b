#!/usr/bin/env python3
"""States that never contradict the wire, checked on every segment of every
capture: the shipped ones, the corpus, and the crafted state scenarios.

For each segment of `tcpnarrate --json`:
  - its sender is not in CLOSED or LISTEN when it sends, unless the segment
    is a SYN or a reset (a closed or listening endpoint sends nothing else);
  - every state change shown (before -> after, for both sides) is one that
    RFC 9293's state diagram has (§3.3.2, Figure 5), or a reset's move to
    CLOSED, or SYN-RECEIVED's return to LISTEN on a reset (§3.10.7.4);
  - a `correction` object names frames that were narrated, from_n before
    to_n, and states that differ.

Prints one line per file with a problem, then `N passed, M failed` (files).
usage: invariants.py TCPNARRATE DIR|FILE...
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

DIAGRAM = {
    ("CLOSED", "SYN-SENT"), ("CLOSED", "LISTEN"), ("LISTEN", "SYN-SENT"),
    ("LISTEN", "SYN-RECEIVED"), ("SYN-SENT", "SYN-RECEIVED"), ("SYN-SENT", "ESTABLISHED"),
    ("SYN-RECEIVED", "ESTABLISHED"), ("SYN-RECEIVED", "FIN-WAIT-1"),
    ("ESTABLISHED", "FIN-WAIT-1"), ("ESTABLISHED", "CLOSE-WAIT"),
    ("FIN-WAIT-1", "FIN-WAIT-2"), ("FIN-WAIT-1", "CLOSING"), ("FIN-WAIT-2", "TIME-WAIT"),
    ("CLOSING", "TIME-WAIT"), ("CLOSE-WAIT", "LAST-ACK"), ("LAST-ACK", "CLOSED"),
    ("TIME-WAIT", "CLOSED"),
    # Two steps of the diagram in one segment: a FIN that also acknowledges ours
    # (FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT); its own FIN sent, then the peer's
    # crossing it arrives (ESTABLISHED -> FIN-WAIT-1 -> CLOSING, a simultaneous
    # close); a FIN arriving with the ACK that completes the handshake.
    ("FIN-WAIT-1", "TIME-WAIT"), ("ESTABLISHED", "CLOSING"), ("SYN-RECEIVED", "CLOSE-WAIT"),
    ("SYN-SENT", "CLOSE-WAIT"),
    # Its ACK shows it took the peer's FIN it had held back, and its own FIN
    # goes in the same segment (ESTABLISHED -> CLOSE-WAIT -> LAST-ACK); or it
    # took it in FIN-WAIT-2 and is sending an ACK (-> TIME-WAIT).
    ("ESTABLISHED", "LAST-ACK"),
    # A reset (§3.10.7): anything to CLOSED, SYN-RECEIVED back to LISTEN.
    ("SYN-RECEIVED", "LISTEN"),
}


def check_file(binary, path):
    r = subprocess.run([binary, "--json", "-r", path], capture_output=True, text=True,
                       timeout=300, stdin=subprocess.DEVNULL)
    problems, seen = [], set()
    for line in r.stdout.splitlines():
        try:
            o = json.loads(line)
        except ValueError:
            continue
        if o.get("type") == "correction":
            if o["from_n"] >= o["to_n"] or o["shown"] == o["state"]:
                problems.append("correction %r" % o)
            continue
        if o.get("type") != "segment":
            continue
        seen.add(o["n"])
        flags = set(o["tcp"]["flags"])
        st = o["states"]
        sender = st[o["from"]]
        if sender["before"] in ("CLOSED", "LISTEN") and not flags & {"SYN", "RST"}:
            problems.append("#%d: the %s sends in %s" % (o["n"], o["from"], sender["before"]))
        for role in ("client", "server"):
            b, a = st[role]["before"], st[role]["after"]
            if b != a and a != "CLOSED" and (b, a) not in DIAGRAM:
                problems.append("#%d: %s %s -> %s is not in RFC 9293's diagram" % (o["n"], role, b, a))
    return problems


def crafted(tmp):
    """The state tests' scenarios, written as captures."""
    import test_crafted
    out = []
    for name, (segs, _, _) in test_crafted.SCENARIOS.items():
        path = os.path.join(tmp, name.replace(" ", "-").replace(",", "") + ".pcap")
        test_crafted.write(path, segs)
        out.append(path)
    return out


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    binary = os.path.abspath(sys.argv[1])
    sys.argv = sys.argv[:2]  # test_crafted reads its binary from argv[1]
    files = []
    for p in sys.argv_paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in names
                          if n.endswith((".pcap", ".pcapng", ".cap"))]
        else:
            files.append(p)
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="tn-inv-") as tmp:
        for f in sorted(files) + crafted(tmp):
            problems = check_file(binary, f)
            if problems:
                failed += 1
                print("FAIL %s\n  %s" % (f, "\n  ".join(problems[:10])))
            else:
                passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.argv_paths = sys.argv[2:]
    sys.exit(main())
