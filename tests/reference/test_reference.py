#!/usr/bin/env python3
"""The built-in textbook connection: its values, its states, and its pcap.

- `--write-reference` writes exactly captures/reference.pcap (byte for byte);
- `--reference --json` gives step 0, then 11 segments with the values of the
  textbook (ISNs 1000 and 4500, no options, a 73-byte GET, a 200-byte reply,
  a four-way close by the client) and the RFC 9293 states in the order the
  textbook draws them; `-r captures/reference.pcap` narrates the same.

usage: test_reference.py TCPNARRATE
"""
import json
import os
import subprocess
import sys
import tempfile

BIN = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHIPPED = os.path.join(ROOT, "captures", "reference.pcap")

CLIENT_STATES = ["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"]
SERVER_STATES = ["LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"]
SEGMENTS = [  # from, flags, seq_raw, ack (relative, None without ACK), payload
    ("client", ["SYN"], 1000, None, 0),
    ("server", ["SYN", "ACK"], 4500, 1, 0),
    ("client", ["ACK"], 1001, 1, 0),
    ("client", ["PSH", "ACK"], 1001, 1, 73),
    ("server", ["ACK"], 4501, 74, 0),
    ("server", ["PSH", "ACK"], 4501, 74, 200),
    ("client", ["ACK"], 1074, 201, 0),
    ("client", ["FIN", "ACK"], 1074, 201, 0),
    ("server", ["ACK"], 4701, 75, 0),
    ("server", ["FIN", "ACK"], 4701, 75, 0),
    ("client", ["ACK"], 1075, 202, 0),
]

results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print("%s %s%s" % ("ok  " if cond else "FAIL", name, "" if cond else ": " + str(detail)))


def run(*args):
    r = subprocess.run([BIN] + list(args), capture_output=True, text=True, timeout=30)
    return r, [json.loads(x) for x in r.stdout.splitlines()] if "--json" in args else []


def distinct(seq):
    out = []
    for x in seq:
        if not out or out[-1] != x:
            out.append(x)
    return out


def main():
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "ref.pcap")
        r = subprocess.run([BIN, "--write-reference", path], capture_output=True, text=True)
        check("--write-reference exits 0 quietly", r.returncode == 0 and not r.stdout and not r.stderr,
              r.stderr)
        check("captures/reference.pcap is what --write-reference writes",
              open(path, "rb").read() == open(SHIPPED, "rb").read())

    r, objs = run("--reference", "--json")
    check("--reference --json exits 0", r.returncode == 0, r.stderr)
    step0 = [o for o in objs if o["type"] == "step"]
    check("step 0 before any packet", objs and objs[0]["type"] == "step" and step0[0]["step"] == 0 and
          step0[0]["states"] == {"client": "CLOSED", "server": "LISTEN"} and
          step0[0]["isn"] == {"client": 1000, "server": 4500}, step0)
    segs = [o for o in objs if o["type"] == "segment"]
    check("11 segments, steps 1 to 11", [s.get("step") for s in segs] == list(range(1, 12)),
          [s.get("step") for s in segs])
    got = [(s["from"], s["tcp"]["flags"], s["tcp"]["seq_raw"], s["tcp"]["ack"], s["payload_len"])
           for s in segs]
    check("the textbook's values", got == SEGMENTS, got)
    check("no TCP options anywhere", all(s["tcp"]["options"] == [] for s in segs))
    check("every checksum correct", all(s["tcp"]["checksum_status"] == "ok" and
                                        s["ip"]["checksum_status"] == "ok" for s in segs))
    cl = distinct(["CLOSED"] + [s["states"]["client"]["after"] for s in segs])
    sv = distinct(["LISTEN"] + [s["states"]["server"]["after"] for s in segs])
    check("client states in the textbook's order", cl == CLIENT_STATES, cl)
    check("server states in the textbook's order", sv == SERVER_STATES, sv)
    ideas = {s["step"]: [i["title"] for i in s.get("ideas", [])] for s in segs}
    check("ideas at the right steps", "Ports" in ideas[1] and "Why three segments to open" in ideas[3]
          and "Why four segments to close" in ideas[8] and "TIME-WAIT" in ideas[11]
          and "What the textbook leaves out" in ideas[11], ideas)

    intro = " ".join(i["text"] for i in step0[0].get("ideas", [])) if step0 else ""
    check("step 0: no ISN chosen yet; the server picks its own when the SYN arrives (RFC 6528)",
          "already chosen" not in intro and "when that SYN arrives" in intro and "RFC 6528" in intro,
          intro)
    tw = " ".join(i["text"] for s in segs if s["step"] == 11 for i in s["ideas"] if i["title"] == "TIME-WAIT")
    check("TIME-WAIT: letting the client close moves it to the client, it does not avoid it",
          "does not avoid TIME-WAIT: it moves it" in tw and "avoids it." not in tw, tw)

    r2, objs2 = run("-r", SHIPPED, "--json")
    key = lambda s: (s["n"], s["tcp"], s["states"], s["note"])  # noqa: E731
    check("-r captures/reference.pcap narrates the same segments",
          [key(s) for s in segs] == [key(s) for s in objs2 if s["type"] == "segment"])
    for mode in (["-q"], ["-v"], []):
        r, _ = run("--reference", "--color=never", *mode)
        check("--reference %s" % (mode[0] if mode else "(text)"),
              r.returncode == 0 and "Step 0 of 11" in r.stdout and "11 TCP segments narrated" in r.stdout,
              r.stderr)
        check("--reference %s: step 0 says when each ISN will be picked" % (mode[0] if mode else "(text)"),
              "server LISTEN on port 80; its initial sequence number will be 4500, picked when the SYN "
              "arrives" in r.stdout, r.stdout[:400])
    r, _ = run("--reference", "-r", SHIPPED)
    check("--reference with -r is a usage error", r.returncode == 2, r.returncode)
    print("%d passed, %d failed" % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
