#!/usr/bin/env python3
"""Both endpoints' states, end to end, on crafted captures.

Each scenario is a list of segments written by tests/lib/pcapgen.py (never
bytes edited by hand) into a pcap, narrated with `tcpnarrate --json`, and
checked segment by segment: the state of client and server after it, and the
connection report at the end.

usage: test_crafted.py TCPNARRATE
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pcapgen import Pcap, ether, ipv4, tcp  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
C, S = ("10.0.1.5", 43210), ("10.0.2.10", 80)
CI, SI = 1000, 4500   # initial sequence numbers, as in the textbook


def seg(frm, flags, seq, ack=0, data=b"", t=None):
    return (frm, flags, seq, ack, data, t)


def write(path, segs, client=C, server=S):
    with Pcap(path) as p:
        t = 1700000000.0
        for frm, flags, seq, ack, data, at in segs:
            src, dst = (client, server) if frm == "c" else (server, client)
            t = at if at is not None else t + 0.001
            p.add(ether(ipv4(src[0], dst[0], tcp(src[1], dst[1], seq=seq, ack=ack, flags=flags,
                                                  payload=data, window=65535))), ts=t)


HANDSHAKE = [seg("c", "S", CI), seg("s", "SA", SI, CI + 1), seg("c", "A", CI + 1, SI + 1)]
HS_STATES = [("SYN-SENT", "SYN-RECEIVED"), ("ESTABLISHED", "SYN-RECEIVED"), ("ESTABLISHED", "ESTABLISHED")]
GET = seg("c", "PA", CI + 1, SI + 1, b"GET / HTTP/1.1\r\n\r\n")   # 18 bytes
RESP = seg("s", "PA", SI + 1, CI + 19, b"x" * 200)

# name: (segments, [(client after, server after) per segment], {report field: value}, extra)
SCENARIOS = {
    "textbook, client closes (four-way)": (
        HANDSHAKE + [GET, seg("s", "A", SI + 1, CI + 19), RESP, seg("c", "A", CI + 19, SI + 201),
                     seg("c", "FA", CI + 19, SI + 201), seg("s", "A", SI + 201, CI + 20),
                     seg("s", "FA", SI + 201, CI + 20), seg("c", "A", CI + 20, SI + 202)],
        HS_STATES + [("ESTABLISHED", "ESTABLISHED")] * 4 +
        [("FIN-WAIT-1", "CLOSE-WAIT"), ("FIN-WAIT-2", "CLOSE-WAIT"), ("TIME-WAIT", "LAST-ACK"),
         ("TIME-WAIT", "CLOSED")],
        {"closed_by": "client", "ended_by": "fin", "time_wait": "client", "report": "closed",
         "final_state": {"client": "TIME-WAIT", "server": "CLOSED"}}),
    "server closes, three-segment close": (
        HANDSHAKE + [GET, seg("s", "FPA", SI + 1, CI + 19, b"x" * 10),
                     seg("c", "FA", CI + 19, SI + 12), seg("s", "A", SI + 12, CI + 20)],
        HS_STATES + [("ESTABLISHED", "ESTABLISHED"), ("CLOSE-WAIT", "FIN-WAIT-1"),
                     ("LAST-ACK", "TIME-WAIT"), ("CLOSED", "TIME-WAIT")],
        {"closed_by": "server", "ended_by": "fin", "time_wait": "server"}),
    "simultaneous open": (
        [seg("c", "S", CI), seg("s", "S", SI), seg("s", "SA", SI, CI + 1), seg("c", "SA", CI, SI + 1)],
        # The server's SYN has no ACK: the client's SYN had not reached it; it reaches it
        # right after (a correction, then SYN-SENT → SYN-RECEIVED), as RFC 9293 §3.5 draws it.
        [("SYN-SENT", "SYN-RECEIVED"), ("SYN-RECEIVED", "SYN-RECEIVED"), ("ESTABLISHED", "SYN-RECEIVED"),
         ("ESTABLISHED", "ESTABLISHED")],
        {"ended_by": "open", "report": "end_of_capture",
         "corrections": [("server", 1, 2, "LISTEN", "syn_unseen")]}),
    "simultaneous close": (
        HANDSHAKE + [seg("c", "FA", CI + 1, SI + 1), seg("s", "FA", SI + 1, CI + 1),
                     seg("c", "A", CI + 2, SI + 2), seg("s", "A", SI + 2, CI + 2)],
        # The server's FIN does not acknowledge the client's: it had not got it, so
        # both were closing at once (FIN-WAIT-1 → CLOSING), and both end in TIME-WAIT.
        HS_STATES + [("FIN-WAIT-1", "CLOSE-WAIT"), ("CLOSING", "CLOSING"),
                     ("CLOSING", "TIME-WAIT"), ("TIME-WAIT", "TIME-WAIT")],
        {"ended_by": "fin", "time_wait": "both",
         "corrections": [("server", 4, 5, "ESTABLISHED", "fin_unseen")]}),
    "both FINs cross": (
        HANDSHAKE + [seg("c", "FA", CI + 1, SI + 1, t=1700000000.010),
                     seg("s", "FA", SI + 1, CI + 1, t=1700000000.011),
                     seg("s", "A", SI + 2, CI + 2), seg("c", "A", CI + 2, SI + 2)],
        HS_STATES + [("FIN-WAIT-1", "CLOSE-WAIT"), ("CLOSING", "CLOSING"), ("TIME-WAIT", "CLOSING"),
                     ("TIME-WAIT", "TIME-WAIT")],
        {"ended_by": "fin", "time_wait": "both",
         "corrections": [("server", 4, 5, "ESTABLISHED", "fin_unseen")]}),
    "second FIN acknowledges the first: LAST-ACK": (
        HANDSHAKE + [seg("c", "FA", CI + 1, SI + 1), seg("s", "FA", SI + 1, CI + 2),
                     seg("c", "A", CI + 2, SI + 2)],
        HS_STATES + [("FIN-WAIT-1", "CLOSE-WAIT"), ("TIME-WAIT", "LAST-ACK"), ("TIME-WAIT", "CLOSED")],
        {"ended_by": "fin", "time_wait": "client"}),
    "half-close, data after the FIN": (
        HANDSHAKE + [GET, seg("c", "FA", CI + 19, SI + 1), seg("s", "A", SI + 1, CI + 20),
                     seg("s", "PA", SI + 1, CI + 20, b"y" * 100), seg("c", "A", CI + 20, SI + 101),
                     seg("s", "FA", SI + 101, CI + 20), seg("c", "A", CI + 20, SI + 102)],
        HS_STATES + [("ESTABLISHED", "ESTABLISHED"), ("FIN-WAIT-1", "CLOSE-WAIT"),
                     ("FIN-WAIT-2", "CLOSE-WAIT"), ("FIN-WAIT-2", "CLOSE-WAIT"),
                     ("FIN-WAIT-2", "CLOSE-WAIT"), ("TIME-WAIT", "LAST-ACK"), ("TIME-WAIT", "CLOSED")],
        {"closed_by": "client", "ended_by": "fin"}),
    "FIN carrying data": (
        HANDSHAKE + [seg("c", "FPA", CI + 1, SI + 1, b"bye"), seg("s", "A", SI + 1, CI + 5)],
        HS_STATES + [("FIN-WAIT-1", "CLOSE-WAIT"), ("FIN-WAIT-2", "CLOSE-WAIT")],
        {"closed_by": "client"}),
    "SYN carrying data (Fast Open)": (
        [seg("c", "S", CI, data=b"GET /"), seg("s", "SA", SI, CI + 6), seg("c", "A", CI + 6, SI + 1)],
        HS_STATES, {}),
    "refused": (
        [seg("c", "S", CI), seg("s", "RA", 0, CI + 1)],
        [("SYN-SENT", "SYN-RECEIVED"), ("CLOSED", "CLOSED")],
        {"ended_by": "refused", "rst_by": "server", "report": "closed"}),
    "RST in SYN-SENT that does not acknowledge the SYN": (
        [seg("c", "S", CI), seg("s", "RA", 0, CI + 77)],
        [("SYN-SENT", "SYN-RECEIVED"), ("SYN-SENT", "SYN-RECEIVED")],
        {"ended_by": "half_open", "report": "end_of_capture"}),
    "RST in SYN-RECEIVED": (
        [seg("c", "S", CI), seg("s", "SA", SI, CI + 1), seg("c", "R", CI + 1)],
        # RFC 9293 §3.10.7.4: after a passive open, a reset sends SYN-RECEIVED back to LISTEN.
        [("SYN-SENT", "SYN-RECEIVED"), ("ESTABLISHED", "SYN-RECEIVED"), ("CLOSED", "LISTEN")],
        {"ended_by": "rst", "rst_by": "client"}),
    "RST in ESTABLISHED (abort)": (
        HANDSHAKE + [GET, seg("c", "RA", CI + 19, SI + 1)],
        HS_STATES + [("ESTABLISHED", "ESTABLISHED"), ("CLOSED", "CLOSED")],
        {"ended_by": "rst", "rst_by": "client", "closed_by": None}),
    "RST after FIN (FIN-WAIT-2 gets data)": (
        HANDSHAKE + [seg("c", "FA", CI + 1, SI + 1), seg("s", "A", SI + 1, CI + 2),
                     seg("s", "PA", SI + 1, CI + 2, b"z" * 10), seg("c", "R", CI + 2)],
        HS_STATES + [("FIN-WAIT-1", "CLOSE-WAIT"), ("FIN-WAIT-2", "CLOSE-WAIT"),
                     ("FIN-WAIT-2", "CLOSE-WAIT"), ("CLOSED", "CLOSED")],
        {"ended_by": "rst", "rst_by": "client", "closed_by": "client"}),
    "RST in LAST-ACK": (
        HANDSHAKE + [seg("c", "FA", CI + 1, SI + 1), seg("s", "FA", SI + 1, CI + 2),
                     seg("c", "R", CI + 2)],
        HS_STATES + [("FIN-WAIT-1", "CLOSE-WAIT"), ("TIME-WAIT", "LAST-ACK"), ("CLOSED", "CLOSED")],
        {"ended_by": "rst"}),
    "RST outside the window is not accepted": (
        HANDSHAKE + [seg("s", "R", SI + 5000000)],
        HS_STATES + [("ESTABLISHED", "ESTABLISHED")],
        {"ended_by": "open"}),
    "RST in the window but not exact: challenge ACK": (
        HANDSHAKE + [seg("s", "R", SI + 100)],
        HS_STATES + [("ESTABLISHED", "ESTABLISHED")],
        {"ended_by": "open"}),
    "retransmitted SYN, SYN-ACK and FIN change nothing": (
        [seg("c", "S", CI), seg("c", "S", CI), seg("s", "SA", SI, CI + 1), seg("s", "SA", SI, CI + 1),
         seg("c", "A", CI + 1, SI + 1), seg("c", "FA", CI + 1, SI + 1), seg("c", "FA", CI + 1, SI + 1)],
        [("SYN-SENT", "SYN-RECEIVED")] * 2 + [("ESTABLISHED", "SYN-RECEIVED")] * 2 +
        [("ESTABLISHED", "ESTABLISHED"), ("FIN-WAIT-1", "CLOSE-WAIT"), ("FIN-WAIT-1", "CLOSE-WAIT")],
        {}),
    # Both FINs cross and are lost after the capture point; each side's FIN
    # sent again still acknowledges nothing of the other's: corrections.
    "FINs cross, both lost past the capture point": (
        HANDSHAKE + [seg("c", "FA", CI + 1, SI + 1), seg("s", "FA", SI + 1, CI + 1),
                     seg("c", "FA", CI + 1, SI + 1, t=1700000000.2),
                     seg("s", "FA", SI + 1, CI + 1), seg("c", "FA", CI + 1, SI + 1, t=1700000001.2),
                     seg("s", "A", SI + 2, CI + 2), seg("s", "FA", SI + 1, CI + 2),
                     seg("c", "A", CI + 2, SI + 2)],
        HS_STATES + [("FIN-WAIT-1", "CLOSE-WAIT"), ("CLOSING", "CLOSING"),
                     ("FIN-WAIT-1", "CLOSING"), ("CLOSING", "FIN-WAIT-1"),
                     ("FIN-WAIT-1", "CLOSING"), ("FIN-WAIT-2", "CLOSING"),
                     ("TIME-WAIT", "CLOSING"), ("TIME-WAIT", "TIME-WAIT")],
        {"ended_by": "fin", "time_wait": "both",
         "corrections": [("server", 4, 5, "ESTABLISHED", "fin_unseen"),
                         ("client", 5, 6, "FIN-WAIT-1", "fin_not_taken"),
                         ("server", 5, 7, "FIN-WAIT-1", "fin_not_taken"),
                         ("client", 7, 8, "FIN-WAIT-1", "fin_not_taken")]}),
    # Data crosses the server's FIN, which is lost; the FIN sent again 0.3 s
    # later is lost too, and the third copy 1 s after that is taken: the
    # client's silence past 0.5 s takes back the second copy's CLOSE-WAIT.
    "data crosses a FIN, the FIN lost twice": (
        HANDSHAKE + [seg("s", "FA", SI + 1, CI + 1), seg("c", "PA", CI + 1, SI + 1, b"d" * 100),
                     seg("s", "A", SI + 2, CI + 101),
                     seg("s", "FA", SI + 1, CI + 101, t=1700000000.3),
                     seg("s", "FA", SI + 1, CI + 101, t=1700000001.3),
                     seg("c", "A", CI + 101, SI + 2), seg("c", "FA", CI + 101, SI + 2),
                     seg("s", "A", SI + 2, CI + 102)],
        HS_STATES + [("CLOSE-WAIT", "FIN-WAIT-1"), ("ESTABLISHED", "FIN-WAIT-1"),
                     ("ESTABLISHED", "FIN-WAIT-1"), ("CLOSE-WAIT", "FIN-WAIT-1"),
                     ("CLOSE-WAIT", "FIN-WAIT-1"), ("CLOSE-WAIT", "FIN-WAIT-2"),
                     ("LAST-ACK", "TIME-WAIT"), ("CLOSED", "TIME-WAIT")],
        {"ended_by": "fin", "time_wait": "server",
         "corrections": [("client", 4, 5, "ESTABLISHED", "fin_not_taken"),
                         ("client", 7, 8, "ESTABLISHED", "fin_lost")]}),
    # The client's ACK stops short of the server's FIN; its next segment both
    # acknowledges that FIN and carries its own: ESTABLISHED -> LAST-ACK.
    "FIN taken late, with the side's own FIN": (
        HANDSHAKE + [seg("s", "FA", SI + 1, CI + 1), seg("c", "A", CI + 1, SI + 1),
                     seg("c", "FA", CI + 1, SI + 2), seg("s", "A", SI + 2, CI + 2)],
        HS_STATES + [("CLOSE-WAIT", "FIN-WAIT-1"), ("ESTABLISHED", "FIN-WAIT-1"),
                     ("LAST-ACK", "TIME-WAIT"), ("CLOSED", "TIME-WAIT")],
        {"ended_by": "fin", "time_wait": "server",
         "corrections": [("client", 4, 5, "ESTABLISHED", "fin_not_taken")]}),
    "mid-stream join": (
        [seg("s", "PA", 777000, 555000, b"x" * 100), seg("c", "A", 555000, 777100)],
        [("ESTABLISHED", "ESTABLISHED")] * 2,
        {"roles_inferred": True, "ended_by": "open"}),
}


def port_reuse(path):
    """Two connections on the same port pair, the second after the first closed."""
    first = HANDSHAKE + [seg("c", "FA", CI + 1, SI + 1), seg("s", "FA", SI + 1, CI + 2),
                         seg("c", "A", CI + 2, SI + 2)]
    second = [seg("c", "S", 90000, t=1700000000.5), seg("s", "SA", 70000, 90001),
              seg("c", "A", 90001, 70001)]
    write(path, first + second)


def narrate(path):
    r = subprocess.run([BIN, "--json", "-r", path], capture_output=True, text=True, timeout=30)
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    return r, objs


def check_scenario(tmp, name, segs, states, report):
    path = os.path.join(tmp, "s.pcap")
    write(path, segs)
    r, objs = narrate(path)
    problems = []
    report = dict(report)
    want_corr = report.pop("corrections", [])
    got_corr = [(o["side"], o["from_n"], o["to_n"], o["state"], o["why"])
                for o in objs if o["type"] == "correction"]
    if got_corr != want_corr:
        problems.append("corrections %r, wanted %r" % (got_corr, want_corr))
    if r.returncode != 0:
        problems.append("exit %d: %s" % (r.returncode, r.stderr))
    got = [(o["states"]["client"]["after"], o["states"]["server"]["after"])
           for o in objs if o["type"] == "segment"]
    for i, (want, have) in enumerate(zip(states, got)):
        if want != have:
            problems.append("segment %d: want client %s server %s, got client %s server %s"
                            % (i + 1, want[0], want[1], have[0], have[1]))
    if len(got) != len(states):
        problems.append("%d segments narrated, %d expected" % (len(got), len(states)))
    conns = [o for o in objs if o["type"] == "connection"]
    if len(conns) != 1:
        problems.append("%d connection reports, wanted 1" % len(conns))
    else:
        for k, v in report.items():
            if conns[0].get(k) != v:
                problems.append("report %s = %r, wanted %r" % (k, conns[0].get(k), v))
    return problems


def check_port_reuse(tmp):
    path = os.path.join(tmp, "reuse.pcap")
    port_reuse(path)
    r, objs = narrate(path)
    problems = []
    segs = [o for o in objs if o["type"] == "segment"]
    conns = [o for o in objs if o["type"] == "connection"]
    if [s["conn"] for s in segs] != [1] * 6 + [2] * 3:
        problems.append("connection numbers %r" % [s["conn"] for s in segs])
    if not segs[6]["port_reused"] or segs[6]["tcp"]["seq"] != 0:
        problems.append("the second SYN should start connection 2 on a reused pair, seq 0")
    if [c["conn"] for c in conns] != [1, 2] or conns[1]["port_reused"] is not True:
        problems.append("reports %r" % [(c["conn"], c["port_reused"]) for c in conns])
    if (segs[8]["states"]["client"]["after"], segs[8]["states"]["server"]["after"]) != \
            ("ESTABLISHED", "ESTABLISHED"):
        problems.append("second connection not established")
    return problems


def check_time_wait_expiry(tmp):
    """TIME-WAIT ends 2×MSL of capture time later, announced before the next packet."""
    path = os.path.join(tmp, "tw.pcap")
    close = HANDSHAKE + [seg("c", "FA", CI + 1, SI + 1), seg("s", "FA", SI + 1, CI + 2),
                         seg("c", "A", CI + 2, SI + 2)]
    other = [seg("c", "S", 123, t=1700000000.006 + 61)]  # another connection, 61 s later
    with Pcap(path) as p:
        t = 1700000000.0
        for frm, flags, seq, ack, data, at in close:
            src, dst = (C, S) if frm == "c" else (S, C)
            t = t + 0.001
            p.add(ether(ipv4(src[0], dst[0], tcp(src[1], dst[1], seq=seq, ack=ack, flags=flags))), ts=t)
        frm, flags, seq, ack, data, at = other[0]
        p.add(ether(ipv4(C[0], S[0], tcp(50000, 80, seq=seq, flags=flags))), ts=at)
    problems = []
    r, objs = narrate(path)
    ev = [o for o in objs if o["type"] == "state"]
    if len(ev) != 1 or ev[0]["side"] != "client" or ev[0]["after"] != "CLOSED" or not ev[0]["inferred"]:
        problems.append("state events %r" % ev)
    order = [o["type"] for o in objs]
    if "state" in order and order.index("state") > [i for i, o in enumerate(objs) if o["type"] == "segment"][-1]:
        problems.append("the TIME-WAIT end should come before the later packet")
    r2, objs2 = subprocess.run([BIN, "--json", "--msl", "60", "-r", path], capture_output=True,
                               text=True), None
    if '"type":"state"' in r2.stdout:
        problems.append("with --msl 60, TIME-WAIT (120 s) must not end after 61 s")
    return problems


def check_conn_filter(tmp):
    path = os.path.join(tmp, "reuse.pcap")
    port_reuse(path)
    r = subprocess.run([BIN, "--json", "--conn", "2", "-r", path], capture_output=True, text=True)
    objs = [json.loads(line) for line in r.stdout.splitlines()]
    conns = {o["conn"] for o in objs if o["type"] in ("segment", "connection")}
    return [] if conns == {2} else ["--conn 2 narrated connections %r" % conns]


def check_reset_confirmed(tmp):
    """An accepted reset: its sender's CLOSED is its own step (confirmed);
    the receiver's rests on the reset arriving (unconfirmed)."""
    path = os.path.join(tmp, "rst.pcap")
    write(path, HANDSHAKE + [seg("s", "FA", SI + 1, CI + 1), seg("c", "R", CI + 1)])
    _, objs = narrate(path)
    last = [o for o in objs if o["type"] == "segment"][-1]["states"]
    got = {side: (last[side]["after"], last[side]["confirmed"]) for side in ("client", "server")}
    want = {"client": ("CLOSED", True), "server": ("CLOSED", False)}
    return [] if got == want else ["reset: %r, wanted %r" % (got, want)]


def main():
    tmp = tempfile.mkdtemp(prefix="tn-state-")
    passed = failed = 0
    checks = [(n, lambda n=n: check_scenario(tmp, n, *SCENARIOS[n])) for n in SCENARIOS]
    checks += [("port reuse", lambda: check_port_reuse(tmp)),
               ("TIME-WAIT ends in capture time", lambda: check_time_wait_expiry(tmp)),
               ("--conn N", lambda: check_conn_filter(tmp)),
               ("a reset: sender confirmed, receiver not", lambda: check_reset_confirmed(tmp))]
    for name, fn in checks:
        problems = fn()
        if problems:
            failed += 1
            print("FAIL %s:\n  %s" % (name, "\n  ".join(problems)))
        else:
            passed += 1
            print("ok   %s" % name)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
