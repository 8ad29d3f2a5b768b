#!/usr/bin/env python3
"""Benchmark: tcpnarrate against tcpdump, tshark, tcptrace and a bare libpcap
loop, on one big capture of real traffic, in one run on this machine.

The capture is recorded by record_big.py (network namespaces, ab, keep-alive,
lossy rate-limited bulk downloads, IPv4 and IPv6, snaplen 128) into a cache
directory the first time, and reused after that; --capture names another.

After a warm-up (the file read once, every fast tool run once untimed), the
tools run in turn, round after round, so that a busy moment of the machine
falls on all of them alike. Each timed run of a fast tool follows an untimed
run of the same tool: on a virtual machine whose host reclaims freed memory,
a tool that starts after another one's hundreds of MiB (tshark) pays again
to touch memory it would get back at once otherwise, by 5 to 20% in
tcpnarrate's case, and how much varied from run to run. Each tool's best time counts (CPU time, user
plus system, for the ratios and packets per second; wall time beside it),
and its peak memory (GNU time's maximum resident set, or getrusage). Output goes to
/dev/null, as when piped to a file nobody reads, so the numbers measure
reading, decoding and narrating, not a terminal.

Then the ratios the targets of issue 13 are about, each marked met or not;
the calls to malloc/calloc/realloc/free per segment of `--json` after
warm-up (an LD_PRELOAD counter, malloc_count.c, on the whole capture and on
its first half: the difference over the difference in segments); and how the
time of a SYN flood grows with its size (2.00 is linear).

This reports; it asserts nothing (a slow machine must not fail a build),
except that every tool it runs exits normally.

usage: bench.py [--tcpnarrate PATH] [--capture FILE] [--rounds K] [--slow-rounds K]
                [--fast-rounds K]
                [--pcap-count PATH] [--malloc-count PATH] [--baseline PATH]
                [--no-tshark] [--flood N] [--quick]
"""
import argparse
import json
import os
import shutil
import subprocess
import struct
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, HERE)
from pcapgen import write_syn_flood  # noqa: E402
import record_big  # noqa: E402

MIB = 1024.0


class Tool:
    def __init__(self, name, cmd, env=None, slow=False):
        self.name, self.cmd, self.env, self.slow = name, cmd, env, slow
        self.secs, self.mib, self.wall = None, 0.0, None


def run_once(cmd, env=None):
    """Runs cmd with output to /dev/null; returns (CPU seconds, peak MiB,
    wall seconds). CPU time (user + system) is what the ratios use: on a
    machine shared with other work, wall time also counts the waits for a
    core. GNU time measures the process itself (a child forked from Python
    would start with Python's resident set in its high-water mark)."""
    full_env = dict(os.environ, **(env or {}))
    with tempfile.NamedTemporaryFile("r") as t, open(os.devnull, "wb") as null:
        timed = (["/usr/bin/time", "-f", "%M", "-o", t.name]
                 if os.path.exists("/usr/bin/time") else [])
        t0 = time.perf_counter()
        p = subprocess.Popen(timed + cmd, stdout=null, stderr=subprocess.PIPE, env=full_env)
        err = p.stderr.read()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        # wait4's usage includes the children GNU time waited for (the tool), to the microsecond.
        kib, cpu = float(ru.ru_maxrss), ru.ru_utime + ru.ru_stime
        if timed:
            try:
                kib = float(t.read().strip().splitlines()[-1])
            except (ValueError, IndexError):
                pass
    if p.returncode not in (0, 1):
        raise RuntimeError("%s exited with %d: %s" % (" ".join(cmd), p.returncode,
                                                       err.decode(errors="replace")[-300:]))
    return max(cpu, 1e-6), kib / MIB, wall


def count_packets(pcap_count, path):
    out = subprocess.run([pcap_count, "--fopen", path], stdout=subprocess.PIPE, check=True,
                         text=True).stdout
    return int(out.strip())


def tools_for(a, tn, path):
    t = [Tool("libpcap loop (pcap_open_offline)", [a.pcap_count, path]),
         Tool("libpcap loop (fopen, 256 KiB buffer)", [a.pcap_count, "--fopen", path])]
    for label, args in (("--summary", ["--summary"]), ("--json", ["--json"]),
                        ("(default text)", ["--color=never"]), ("-q", ["-q", "--color=never"])):
        t.append(Tool("tcpnarrate " + label, [tn] + args + ["-r", path]))
        if a.baseline:
            t.append(Tool("baseline " + label, [os.path.abspath(a.baseline)] + args + ["-r", path]))
    if shutil.which("tcptrace"):
        t.append(Tool("tcptrace -l", ["tcptrace", "-l", path]))
    if shutil.which("tcpdump"):
        t.append(Tool("tcpdump -nn", ["tcpdump", "-nn", "-r", path]))
        t.append(Tool("TZ=UTC tcpdump -nn", ["tcpdump", "-nn", "-r", path], {"TZ": "UTC"}))
        t.append(Tool("tcpdump -nn -v", ["tcpdump", "-nn", "-v", "-r", path]))
    if shutil.which("tshark") and not a.no_tshark:
        t.append(Tool("tshark -n -q -z conv,tcp", ["tshark", "-n", "-q", "-z", "conv,tcp", "-r",
                                                   path]))
        t.append(Tool("tshark -n -T json", ["tshark", "-n", "-T", "json", "-r", path], slow=True))
    return t


FAST_SECS = 1.5  # tools under this many CPU seconds get the extra rounds of --fast-rounds


def measure_round(tools, warm):
    for tool in tools:
        if warm and not tool.slow:
            run_once(tool.cmd, tool.env)  # the memory state the tool leaves, not the last one's
        secs, mib, wall = run_once(tool.cmd, tool.env)
        tool.secs = secs if tool.secs is None else min(tool.secs, secs)
        tool.wall = wall if tool.wall is None else min(tool.wall, wall)
        tool.mib = max(tool.mib, mib)


def measure_all(tools, rounds, slow_rounds, warm, fast_rounds=0):
    """Every tool `rounds` times in turn (the slow ones `slow_rounds`), then
    the fast ones (under FAST_SECS) on to `fast_rounds` in all: on a machine
    whose speed drifts by 5-10% from minute to minute, the best of three
    was not enough to order two builds a few percent apart."""
    if warm:
        for tool in tools:
            if not tool.slow:
                run_once(tool.cmd, tool.env)
    for r in range(rounds):
        measure_round([t for t in tools if not (t.slow and r >= slow_rounds)], warm)
        print("  round %d of %d done" % (r + 1, rounds), file=sys.stderr, flush=True)
    fast = [t for t in tools if not t.slow and t.secs is not None and t.secs < FAST_SECS]
    for r in range(rounds, fast_rounds):
        measure_round(fast, warm)
        print("  fast round %d of %d done" % (r + 1, fast_rounds), file=sys.stderr, flush=True)


def print_table(title, tools, packets, floor):
    print("\n" + title)
    print("  %-38s %8s %8s %11s %9s %8s" % ("tool", "CPU s", "wall s", "packets/s", "peak MiB",
                                            "× floor"))
    for t in tools:
        print("  %-38s %8.3f %8.3f %11.0f %9.1f %8.2f"
              % (t.name, t.secs, t.wall, packets / t.secs, t.mib, t.secs / floor.secs))


def targets(by):
    """(what, value, goal text, met) for each target that can be computed."""
    rows = []

    def ratio(what, slow, fast, goal, cmp):
        if slow in by and fast in by:
            v = by[slow].secs / by[fast].secs
            rows.append((what, "%.2f×" % v, goal, cmp(v)))
    ratio("--summary speed-up over tcptrace -l", "tcptrace -l", "tcpnarrate --summary",
          "≥ 4×", lambda v: v >= 4)
    if "tcpnarrate --summary" in by:
        floor = by["libpcap loop (fopen, 256 KiB buffer)"]
        v = by["tcpnarrate --summary"].secs / floor.secs
        rows.append(("--summary time over the bare libpcap loop", "%.2f×" % v, "≤ 3×", v <= 3))
    ratio("--json speed-up over tshark -T json", "tshark -n -T json", "tcpnarrate --json",
          "≥ 20×", lambda v: v >= 20)
    ratio("default text speed-up over tcpdump -nn -v", "tcpdump -nn -v",
          "tcpnarrate (default text)", "≥ 1×", lambda v: v >= 1)
    ratio("-q speed-up over tcpdump -nn", "tcpdump -nn", "tcpnarrate -q", "≥ 2×", lambda v: v >= 2)
    ratio("-q speed-up over TZ=UTC tcpdump -nn", "TZ=UTC tcpdump -nn", "tcpnarrate -q", "≥ 1×",
          lambda v: v >= 1)
    for name, t in by.items():
        if name.startswith("tcpnarrate "):
            rows.append(("peak memory, " + name, "%.1f MiB" % t.mib, "≤ 64 MiB", t.mib <= 64))
    return rows


def mallocs_per_segment(a, tn, path, packets):
    """Calls to the allocator per segment of --json after warm-up: the
    whole capture against its first half, under malloc_count.so."""
    if not a.malloc_count or not os.path.exists(a.malloc_count):
        return None
    res = []
    with tempfile.TemporaryDirectory(prefix="tn-bench-") as tmp:
        out = os.path.join(tmp, "count")
        for n in (packets // 2, packets):
            # Through env(1), so that GNU time itself is not counted.
            run_once(["env", "LD_PRELOAD=" + os.path.abspath(a.malloc_count),
                      "TN_MALLOC_COUNT_OUT=" + out, tn, "--json", "-c", str(n), "-r", path])
            with open(out) as f:
                w = f.read().split()
            res.append((int(w[1]), int(w[3])))
    dn = packets - packets // 2
    return ((res[1][0] - res[0][0]) / dn, (res[1][1] - res[0][1]) / dn, res[1])


def flood_scaling(tn, n, rounds):
    rows = []
    with tempfile.TemporaryDirectory(prefix="tn-bench-") as tmp:
        for random_sources in (False, True):
            half, full = os.path.join(tmp, "half.pcap"), os.path.join(tmp, "full.pcap")
            write_syn_flood(half, n // 2, random_sources)
            write_syn_flood(full, n, random_sources)
            args = ["--json", "--conn", "18446744073709551615", "-r"]
            h = min(run_once([tn] + args + [half])[:2] for _ in range(rounds))
            f = min(run_once([tn] + args + [full])[:2] for _ in range(rounds))
            rows.append(("random" if random_sources else "sequential", h, f))
    print("\nSYN flood (default limits): time at %d SYNs over time at %d (2.00 is linear)"
          % (n, n // 2))
    for kind, h, f in rows:
        print("  %-10s sources: %.2f  (%.3f s, %.3f s; peak %.1f MiB)"
              % (kind, f[0] / h[0], h[0], f[0], f[1]))


def pcapng_copy(a, tn, path, rounds):
    """--summary on a pcapng copy of the capture (editcap -F pcapng), against
    the bare libpcap loop on the same copy: what dumpcap and Wireshark write.
    Best CPU time of `rounds` alternating runs."""
    if not shutil.which("editcap"):
        print("\npcapng copy: skipped (no editcap)")
        return
    with tempfile.TemporaryDirectory(prefix="tn-bench-") as tmp:
        ng = os.path.join(tmp, "copy.pcapng")
        subprocess.run(["editcap", "-F", "pcapng", path, ng], check=True)
        cmds = [("libpcap loop (fopen, 256 KiB buffer)", [a.pcap_count, "--fopen", ng]),
                ("tcpnarrate --summary", [tn, "--summary", "-r", ng])]
        if a.baseline:
            cmds.append(("baseline --summary", [os.path.abspath(a.baseline), "--summary",
                                                "-r", ng]))
        best = {}
        for _ in range(rounds):
            for label, cmd in cmds:
                cpu = run_once(cmd)[0]
                best[label] = min(best.get(label, cpu), cpu)
        floor = best[cmds[0][0]]
        print("\npcapng copy (%.1f MiB), best CPU time of %d alternating runs"
              % (os.path.getsize(ng) / MIB / MIB, rounds))
        for label, _ in cmds:
            print("  %-38s %6.3f s  %5.2f× the loop" % (label, best[label], best[label] / floor))


def jobs_speedup(tn, path, rounds):
    """--jobs 2 against one process on the same capture, per mode. Each shard
    still reads and tracks the whole capture, so --summary gains little; the
    narration, split between the jobs, is what gets faster. Wall time: the
    point of --jobs is to use both cores."""
    print("\n--jobs 2 against one process (wall time, best of %d, on %d CPUs)"
          % (rounds, os.cpu_count() or 1))
    for label, args in [("default text", ["--color=never"]), ("-q", ["-q", "--color=never"]),
                        ("--json", ["--json"]), ("--summary", ["--summary"])]:
        one = min(run_once([tn] + args + ["-r", path])[2] for _ in range(rounds))
        two = min(run_once([tn, "--jobs", "2"] + args + ["-r", path])[2] for _ in range(rounds))
        print("  %-13s one %.2f s, --jobs 2 %.2f s: %.2f× as fast" % (label, one, two, one / two))


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


def build_info(tn):
    """How the measured binary was built (its build directory's buildtype, optimization, LTO),
    so that a table says what it timed."""
    try:
        out = subprocess.run(["meson", "introspect", "--buildoptions", os.path.dirname(tn)],
                             capture_output=True, text=True, timeout=60, check=True).stdout
        opts = {o["name"]: o["value"] for o in json.loads(out)}
    except (OSError, ValueError, subprocess.SubprocessError):
        return "build options unknown (not a meson build directory)"
    return "build: buildtype=%s, optimization=%s, b_lto=%s" % (
        opts.get("buildtype"), opts.get("optimization"), str(opts.get("b_lto")).lower())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tcpnarrate", default=os.path.join(ROOT, "build", "tcpnarrate"))
    ap.add_argument("--capture", help="capture to measure on (default: the recorded big "
                    "capture in the cache directory, recorded first if missing)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--fast-rounds", type=int, default=9,
                    help="rounds in all for the tools under %.1f CPU seconds" % FAST_SECS)
    ap.add_argument("--slow-rounds", type=int, default=1,
                    help="rounds for the slow tools (tshark -T json)")
    ap.add_argument("--pcap-count", default=os.path.join(ROOT, "build", "tests", "bench",
                                                         "pcap_count"))
    ap.add_argument("--malloc-count", default=os.path.join(ROOT, "build", "tests", "bench",
                                                           "libmalloc_count.so"))
    ap.add_argument("--baseline", help="another tcpnarrate binary to time beside this one")
    ap.add_argument("--no-tshark", action="store_true")
    ap.add_argument("--flood", type=int, default=1000000, help="SYN flood size (0 to skip)")
    ap.add_argument("--html", type=int, default=10000,
                    help="segments of the --html page timed in Chromium (0 to skip)")
    ap.add_argument("--quick", action="store_true",
                    help="one round, no warm-up, no flood: does the benchmark run at all")
    a = ap.parse_args()
    if a.quick:
        a.rounds, a.slow_rounds, a.flood = 1, 1, 0
    tn = os.path.abspath(a.tcpnarrate)
    path = a.capture
    if not path:
        path = record_big.cache_path()
        if not os.path.exists(path):
            print("recording the big capture into %s (once)" % path, file=sys.stderr, flush=True)
            rc = subprocess.call([sys.executable, os.path.join(HERE, "record_big.py"),
                                  "--out", path], stdout=subprocess.DEVNULL)
            if rc != 0:
                print("bench.py: could not record the capture (exit %d); give one with "
                      "--capture" % rc, file=sys.stderr)
                return 77 if rc == 77 else 1
    packets = count_packets(a.pcap_count, path)
    with open(path, "rb") as f:       # into the page cache: every tool reads from memory
        while f.read(1 << 20):
            pass
    tools = tools_for(a, tn, path)
    measure_all(tools, a.rounds, a.slow_rounds, warm=not a.quick,
                fast_rounds=0 if a.quick else a.fast_rounds)
    by = {t.name: t for t in tools}
    floor = by["libpcap loop (fopen, 256 KiB buffer)"]
    print_table("%s: %d packets, %.1f MiB; best of %d rounds (tshark -T json: %d; tools "
                "under %.1f s: %d)"
                % (os.path.basename(path), packets, os.path.getsize(path) / MIB / MIB, a.rounds,
                   min(a.rounds, a.slow_rounds), FAST_SECS,
                   max(a.rounds, 0 if a.quick else a.fast_rounds)), tools, packets, floor)
    print(build_info(tn))
    print("\ntargets (issue 13), this run")
    for what, val, goal, met in targets(by):
        print("  %-46s %10s  %-9s %s" % (what, val, goal, "met" if met else "NOT MET"))
    m = mallocs_per_segment(a, tn, path, packets)
    if m:
        print("\n--json allocator calls per segment after warm-up: %.4f allocations, %.4f frees "
              "(whole capture: %d allocations, %d frees)" % (m[0], m[1], m[2][0], m[2][1]))
    if not a.quick:
        pcapng_copy(a, tn, path, a.fast_rounds)
        jobs_speedup(tn, path, a.rounds)
    if a.html and not a.quick:
        tmp = tempfile.mkdtemp(prefix="tn-bench-")
        try:
            html_page(tn, a.html, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    if a.flood:
        flood_scaling(tn, a.flood, a.rounds)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, subprocess.CalledProcessError) as e:
        print("bench.py: %s" % e, file=sys.stderr)
        sys.exit(1)
