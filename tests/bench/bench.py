#!/usr/bin/env python3
"""Benchmark: tcpnarrate against tcpdump and tshark on the same captures, in
the same run, on this machine; and how a SYN flood scales.

Prints seconds (best of --repeat runs), packets per second and peak memory
for each tool, and the ratios that matter: tcpnarrate's time over tcpdump's
and tshark's, and the SYN flood's time at N over its time at N/2 (2.0 means
linear). Output goes to /dev/null, as when piped to a file nobody reads, so
the numbers measure decoding and narrating, not a terminal.

This reports; it asserts nothing (a slow CI machine must not fail a build).

usage: bench.py [--tcpnarrate PATH] [--packets N] [--flood N] [--repeat K] [--no-tshark]
                [--lossy N] [--baseline PATH]
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from pcapgen import write_syn_flood  # noqa: E402


def read_pcap(path):
    with open(path, "rb") as f:
        hdr = f.read(24)
        frames = []
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                break
            sec, usec, cap, ln = struct.unpack("<IIII", rh)
            frames.append((sec, usec, f.read(cap), ln))
    return hdr, frames


def many_connections(path, packets, source="http10-python-ipv4.pcap"):
    """A shipped IPv4 capture (client 10.0.1.5) copied with a new client
    address and port for every copy, until `packets` packets: many
    real-shaped connections, one after another. With a lossy source, each
    copy carries its losses, retransmissions and duplicate ACKs."""
    hdr, frames = read_pcap(os.path.join(ROOT, "captures", source))
    client = bytes([10, 0, 1, 5])
    copies = packets // len(frames) + 1
    n = 0
    with open(path, "wb") as f:
        f.write(hdr)
        for c in range(copies):
            addr = struct.pack("!I", 0x0A000000 + (c >> 8 << 0) + 0x10000)
            port = struct.pack("!H", 1024 + c % 60000)
            chunk = []
            for sec, usec, data, wire in frames:
                d = bytearray(data)
                if d[26:30] == client:          # client → server
                    d[26:30] = addr
                    d[34:36] = port
                else:
                    d[30:34] = addr
                    d[36:38] = port
                chunk.append(struct.pack("<IIII", sec + c // 1000, usec, len(d), wire) + bytes(d))
                n += 1
                if n >= packets:
                    break
            f.write(b"".join(chunk))
            if n >= packets:
                break
    return n


def tiny_segments(path, count):
    """One connection: a handshake, then `count` one-byte segments, its
    sequence numbers starting just below 2^32 so they wrap."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
    from pcapgen import Pcap, ether, ipv4, tcp
    isn = 2 ** 32 - 5000
    with Pcap(path) as p:
        p.add(ether(ipv4("10.0.1.5", "10.0.2.10", tcp(40000, 80, seq=isn, flags="S"))))
        p.add(ether(ipv4("10.0.2.10", "10.0.1.5", tcp(80, 40000, seq=77, ack=isn + 1, flags="SA"))))
    frame = bytearray(ether(ipv4("10.0.1.5", "10.0.2.10",
                                 tcp(40000, 80, seq=0, ack=78, flags="A", payload=b"x"))))
    rec = struct.pack("<IIII", 1700000001, 0, len(frame), len(frame))
    with open(path, "ab") as f:
        out = []
        for i in range(count):
            struct.pack_into("!I", frame, 38, (isn + 1 + i) & 0xFFFFFFFF)
            out.append(rec)
            out.append(bytes(frame))
            if len(out) >= 40000:
                f.write(b"".join(out))
                out.clear()
        f.write(b"".join(out))


def peak_kib(cmd, stdout):
    """Runs cmd; returns (exit status, peak RSS in KiB). GNU time measures the
    process itself: a child forked from Python would start with Python's RSS
    in its high-water mark."""
    with tempfile.NamedTemporaryFile("r") as t:
        if os.path.exists("/usr/bin/time"):
            rc = subprocess.call(["/usr/bin/time", "-f", "%M", "-o", t.name] + cmd, stdout=stdout,
                                 stderr=subprocess.DEVNULL)
            try:
                return rc, float(t.read().strip().splitlines()[-1])
            except (ValueError, IndexError):
                return rc, 0.0
        p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(p.pid, 0)
        return os.waitstatus_to_exitcode(status), float(ru.ru_maxrss)


def measure(cmd, repeat):
    best, rss = None, 0.0
    for _ in range(repeat):
        with open(os.devnull, "wb") as null:
            t0 = time.perf_counter()
            rc, kib = peak_kib(cmd, null)
            dt = time.perf_counter() - t0
        if rc not in (0, 1):
            return None, None
        best = dt if best is None else min(best, dt)
        rss = max(rss, kib / 1024.0)
    return best, rss


def table(title, rows, packets):
    """rows: (name, seconds, peak MiB[, packets when not `packets`])"""
    print("\n" + title)
    print("  %-34s %9s %12s %9s" % ("tool", "seconds", "packets/s", "peak MiB"))
    for row in rows:
        name, secs, rss = row[:3]
        n = row[3] if len(row) > 3 else packets
        if secs is None:
            print("  %-34s %9s" % (name, "failed"))
        else:
            print("  %-34s %9.3f %12.0f %9.1f" % (name, secs, n / secs, rss))


def lossy(tn, a, tmp):
    """Copies of the SACK loss capture: every verdict's classifier busy, on a million packets."""
    path = os.path.join(tmp, "lossy.pcap")
    n = many_connections(path, a.lossy, "analysis-loss-sack.pcap")
    modes = [("-q", ["-q", "--color=never"]), ("--json", ["--json"]), ("--summary", ["--summary"])]
    rows = []
    for label, args in modes:
        rows.append(("tcpnarrate %s" % label, *measure([tn] + args + ["-r", path], a.repeat)))
        if a.baseline:
            rows.append(("baseline %s" % label,
                         *measure([os.path.abspath(a.baseline)] + args + ["-r", path], a.repeat)))
    if shutil.which("tcpdump"):
        rows.append(("tcpdump -n -r", *measure(["tcpdump", "-n", "-r", path], a.repeat)))
    table("%d packets of lossy bulk downloads (copies of analysis-loss-sack.pcap)" % n, rows, n)
    if a.baseline:
        for i in range(0, 2 * len(modes), 2):
            if rows[i][1] and rows[i + 1][1]:
                print("  cost: %s takes %.2f× the baseline's time" % (rows[i][0], rows[i][1] /
                                                                    rows[i + 1][1]))
    os.unlink(path)


def html_page(tn, segments, tmp):
    """The --html page of one connection of `segments` segments, in headless Chromium."""
    cap, page = os.path.join(tmp, "html.pcap"), os.path.join(tmp, "page.html")
    tiny_segments(cap, segments - 2)
    t0 = time.monotonic()
    subprocess.run([tn, "--summary", "-r", cap, "--html", page], stdout=subprocess.DEVNULL, check=True)
    made = time.monotonic() - t0
    print("\n--html, one connection of %d segments: page of %.1f MB written in %.2f s"
          % (segments, os.path.getsize(page) / 1e6, made))
    if not shutil.which("node"):
        print("  Chromium: skipped (no node)")
        return
    r = subprocess.run(["node", os.path.join(ROOT, "tests", "bench", "html_bench.js"), page],
                       capture_output=True, text=True)
    print("  Chromium: " + (r.stdout.strip() or r.stderr.strip()))
    os.unlink(cap)
    os.unlink(page)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcpnarrate", default=os.path.join(ROOT, "build", "tcpnarrate"))
    ap.add_argument("--packets", type=int, default=500000)
    ap.add_argument("--flood", type=int, default=1000000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--tiny", type=int, default=10000000,
                    help="one-byte segments on one connection (0 to skip)")
    ap.add_argument("--no-tshark", action="store_true")
    ap.add_argument("--html", type=int, default=10000,
                    help="segments of the --html page timed in Chromium (0 to skip)")
    ap.add_argument("--lossy", type=int, default=1000000,
                    help="packets of copies of a lossy bulk download (0 to skip)")
    ap.add_argument("--baseline", help="another tcpnarrate binary to time beside this one "
                    "(e.g. a build from before a change: the change's cost)")
    a = ap.parse_args()
    tn = os.path.abspath(a.tcpnarrate)
    tmp = tempfile.mkdtemp(prefix="tn-bench-")
    try:
        path = os.path.join(tmp, "http.pcap")
        n = many_connections(path, a.packets)
        rows = [("tcpnarrate -q", *measure([tn, "-q", "--color=never", "-r", path], a.repeat)),
                ("tcpnarrate (full breakdown)", *measure([tn, "--color=never", "-r", path], a.repeat)),
                ("tcpnarrate --json", *measure([tn, "--json", "-r", path], a.repeat))]
        peers = []
        if shutil.which("tcpdump"):
            peers.append(("tcpdump -n -r", *measure(["tcpdump", "-n", "-r", path], a.repeat)))
        if shutil.which("tshark") and not a.no_tshark:
            peers.append(("tshark -n -r", *measure(["tshark", "-n", "-r", path], 1)))
        table("%d packets of real-shaped HTTP connections (%d each)" % (n, 16), rows + peers, n)
        q = rows[0][1]
        for name, secs, _ in peers:
            if secs and q:
                print("  ratio: tcpnarrate -q takes %.2f× the time of %s (below 1 is faster)"
                      % (q / secs, name.split()[0]))

        if a.lossy:
            lossy(tn, a, tmp)

        for random_sources in (False, True):
            kind = "random" if random_sources else "sequential"
            half, full = os.path.join(tmp, "half.pcap"), os.path.join(tmp, "full.pcap")
            write_syn_flood(half, a.flood // 2, random_sources)
            write_syn_flood(full, a.flood, random_sources)
            args = ["--json", "--conn", "18446744073709551615", "-r"]
            h = measure([tn] + args + [half], a.repeat)
            f = measure([tn] + args + [full], a.repeat)
            table("SYN flood, %s sources (default limits)" % kind,
                  [("tcpnarrate, %d SYNs" % (a.flood // 2), *h, a.flood // 2),
                   ("tcpnarrate, %d SYNs" % a.flood, *f)],
                  a.flood)
            if h[0] and f[0]:
                print("  scaling: %d SYNs take %.2f× the time of %d (2.00 is linear); peak %.1f MiB"
                      % (a.flood, f[0] / h[0], a.flood // 2, f[1]))

        if a.html:
            html_page(tn, a.html, tmp)

        if a.tiny:
            path = os.path.join(tmp, "tiny.pcap")
            tiny_segments(path, a.tiny)
            rows = [("tcpnarrate -q", *measure([tn, "-q", "--color=never", "-r", path], 1))]
            if shutil.which("tcpdump"):
                rows.append(("tcpdump -n -r", *measure(["tcpdump", "-n", "-r", path], 1)))
            table("one connection, %d one-byte segments, sequence numbers wrapping" % a.tiny,
                  rows, a.tiny + 2)
            os.unlink(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
