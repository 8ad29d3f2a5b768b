#!/usr/bin/env python3
"""Hostile input: what an attacker's bytes can and cannot do to tcpnarrate.

- A SYN flood of 1,000,000 distinct sources (sequential and random): it
  completes, peak memory stays under 200 MiB with the default limits, and
  every eviction is counted and reported.
- One connection of many tiny segments, sequence numbers wrapping past 2^32,
  timestamps going backwards or standing still, the years 2038 and 2106,
  a nanosecond file: narrated correctly, no crash.
- Bytes from the wire cannot move the cursor, change colours or break JSON.
Timing is not asserted here (tests/bench/ measures it).

usage: test_hostile.py TCPNARRATE [--flood N]
"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pcapgen import Pcap, ether, ipv4, tcp, write_syn_flood  # noqa: E402

BIN = os.path.abspath(sys.argv[1])
FLOOD = int(sys.argv[sys.argv.index("--flood") + 1]) if "--flood" in sys.argv else 1000000
DEFAULT_MAX_FLOWS = 131072
results = []


def check(name, cond, detail=""):
    results.append(bool(cond))
    print("%s %s%s" % ("ok  " if cond else "FAIL", name, "" if cond else ": " + str(detail)))


def run_measured(args):
    """Runs tcpnarrate; returns (exit status, stdout, stderr, peak RSS in MiB).
    GNU time measures the process itself; without it, wait4's figure is an
    upper bound (a child forked from Python starts with Python's RSS)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as t:
        gnu_time = os.path.exists("/usr/bin/time")
        cmd = ([("/usr/bin/time"), "-f", "%M", "-o", t.name] if gnu_time else []) + [BIN] + args
        p = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)
        out.seek(0)
        err.seek(0)
        rc = os.waitstatus_to_exitcode(status)
        kib = float(ru.ru_maxrss)
        if gnu_time:
            try:
                kib = float(t.read().strip().splitlines()[-1])
            except (ValueError, IndexError):
                pass
        return rc, out.read().decode("utf-8", "replace"), err.read().decode(), kib / 1024.0


def summary(stdout):
    return [json.loads(x) for x in stdout.splitlines() if '"type":"summary"' in x][0]


def flood(tmp, random_sources):
    name = "random" if random_sources else "sequential"
    path = os.path.join(tmp, "flood-%s.pcap" % name)
    write_syn_flood(path, FLOOD, random_sources)
    # --conn past the last connection: only the summary is printed, all the work is done, and
    # exit 1 with one line says there was no such connection.
    no_conn = "18446744073709551615"
    rc, out, err, rss = run_measured(["--json", "--conn", no_conn, "-r", path])
    s = summary(out) if rc == 1 else {}
    said = "tcpnarrate: %s: no connection %s (the capture has %d)\n" % (path, no_conn, FLOOD)
    check("SYN flood, %d %s sources: completes" % (FLOOD, name),
          rc == 1 and err == said and s.get("segments") == FLOOD, "rc %d %s" % (rc, err))
    check("SYN flood, %s: peak memory %.0f MiB < 200 MiB" % (name, rss), rss < 200, rss)
    want_ev = max(0, FLOOD - DEFAULT_MAX_FLOWS)
    check("SYN flood, %s: %d evictions counted" % (name, want_ev),
          s.get("evictions") == want_ev and s.get("connections") == FLOOD, s)
    rc, out, err, _ = run_measured(["-q", "--conn", no_conn, "-r", path])
    check("SYN flood, %s: evictions reported in the text summary" % name,
          ("%d evicted from the full flow table" % want_ev) in out or want_ev == 0, out[-300:])
    os.unlink(path)


def segments(path, *args):
    rc, out, err, _ = run_measured(["--json", "-r", path] + list(args))
    return rc, [json.loads(x) for x in out.splitlines()], err


def main():
    tmp = tempfile.mkdtemp(prefix="tn-hostile-")
    flood(tmp, False)
    flood(tmp, True)

    # Many tiny segments on one connection, wrapping the sequence space.
    path = os.path.join(tmp, "tiny.pcap")
    n_tiny = 200000
    isn = 2 ** 32 - 5000
    with Pcap(path) as p:
        p.add(ether(ipv4("10.0.1.5", "10.0.2.10", tcp(40000, 80, seq=isn, flags="S"))))
        p.add(ether(ipv4("10.0.2.10", "10.0.1.5", tcp(80, 40000, seq=77, ack=isn + 1, flags="SA"))))
        frame = bytearray(ether(ipv4("10.0.1.5", "10.0.2.10",
                                     tcp(40000, 80, seq=0, ack=78, flags="A", payload=b"x"))))
        import struct
        for i in range(n_tiny):
            struct.pack_into("!I", frame, 14 + 20 + 4, (isn + 1 + i) & 0xFFFFFFFF)
            p.add(bytes(frame))
    rc, out, err, rss = run_measured(["-q", "-r", path])
    lines = out.splitlines()
    last_seg = [ln for ln in lines if " seq " in ln][-1]
    check("%d one-byte segments on one connection: all narrated, memory %.0f MiB" % (n_tiny, rss),
          rc == 0 and ("%d TCP segments narrated" % (n_tiny + 2)) in out and rss < 100, (rc, err, rss))
    check("relative numbers run on past the 2^32 wrap",
          ("seq %d:%d" % (n_tiny, n_tiny + 1)) in last_seg, last_seg)

    # Timestamps backwards, standing still, 2038, 2106; a nanosecond file.
    path = os.path.join(tmp, "time.pcap")
    with Pcap(path, nanosecond=True) as p:
        pk = lambda flags, seq, ack=0: ether(ipv4("10.0.1.5", "10.0.2.10", tcp(40001, 80, seq=seq, ack=ack, flags=flags)))  # noqa: E731
        p.add(pk("S", 1), ts=2 ** 31 - 1)              # 2038-01-19 03:14:07
        p.add(pk("A", 2, 5), ts=2 ** 31)               # 2038-01-19 03:14:08
        p.add(pk("A", 2, 5), ts=2 ** 31)               # standing still
        p.add(pk("A", 2, 5), ts=(1000, 1))             # backwards, to 1970
        p.add(pk("A", 2, 5), ts=(2 ** 32 - 1, 999999999))  # 2106-02-07 06:28:15.999999999
    rc, objs, err = segments(path)
    ts = [o["ts"] for o in objs if o["type"] == "segment"]
    check("timestamps: 2038, still, backwards, 2106, nanoseconds", rc == 0 and len(ts) == 5, (rc, err))
    rc, out, err, _ = run_measured(["-r", path, "--color=never"])
    check("dates print right across 2038 and 2106", rc == 0 and "2038-01-19 03:14:08.000000000" in out and
          "2106-02-07 06:28:15.999999999" in out and "1970-01-01 00:16:40.000000001" in out, out[:200] + err)
    check("time since the first packet, exact to the nanosecond, also backwards",
          "-2147482646.999999999s" in out and "+2147483648.999999999s" in out, out[:600])
    rc, out, err, _ = run_measured(["--ladder", "--color=never", "-r", path])
    wide = [ln for ln in out.splitlines() if len(ln) > 80]
    check("the ladder's time column holds 2038, 2106 and a clock run backwards in 80 columns",
          rc == 0 and not wide and "-2.147e+09" in out, (rc, wide[:2], err))

    # Bytes from the wire stay inert.
    path = os.path.join(tmp, "evil.pcap")
    evil = b"\x1b[2J\x1b[31mRED\x1b]0;title\x07\r\n\"quote\\ \x00\xff\xfe" + b"\x9b" * 4
    with Pcap(path) as p:
        p.add(ether(ipv4("10.0.1.5", "10.0.2.10", tcp(40002, 80, seq=1, ack=1, flags="PA", payload=evil))))
    for mode in ([], ["-v"], ["-q"], ["--color=always"]):
        rc, out, err, _ = run_measured(["-r", path] + mode)
        body = out.replace("\x1b[0m", "").replace("\x1b[1m", "").replace("\x1b[2m", "")
        for code in ("\x1b[1;33m", "\x1b[32m", "\x1b[1;31m", "\x1b[33m", "\x1b[36m", "\x1b[39m", "\x1b[49m"):
            body = body.replace(code, "")
        check("escape sequences from the wire are escaped (%s)" % (" ".join(mode) or "text"),
              rc == 0 and "\x1b" not in body and "\x07" not in body and "\\x1b[2J" in out, repr(out[:400]))
    for mode in (["--ladder"], ["--ladder", "--color=always", "--ascii"]):
        rc, out, err, _ = run_measured(["-r", path] + mode)
        body = out
        for code in ("\x1b[0m", "\x1b[1m", "\x1b[2m", "\x1b[1;31m", "\x1b[33m", "\x1b[36m"):
            body = body.replace(code, "")
        check("escape sequences from the wire stay off the ladder (%s)" % " ".join(mode),
              rc == 0 and "\x1b" not in body and "\x07" not in body and "#1 PSH,ACK" in out, repr(out[:400]))
    rc, objs, err = segments(path)
    seg = [o for o in objs if o["type"] == "segment"][0]
    check("JSON stays valid and the preview is escaped", seg["preview"].startswith("\\x1b[2J\\x1b[31mRED"),
          seg.get("preview"))
    print("%d passed, %d failed" % (results.count(True), results.count(False)))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
