#!/usr/bin/env python3
"""--jobs, --shard, --merge and several -r files, end to end.

The promise under test is byte identity: `--jobs N` writes exactly what one
process writes (standard output, standard error and exit status), in every
mode, on every shipped capture, on a sample of ../shared/corpus, and on a
capture made here of many interleaved connections with skipped frames,
evictions and idle expiry, where the blank lines between blocks and the
headings of --problems depend on what other shards printed. Then: the shards
of --shard I/N together narrate every segment exactly once; --shard --records
files merged with --merge equal one process; a capture split with editcap and
read as several -r files (or --read-list) narrates like the whole file.

usage: test_shard.py TCPNARRATE [--corpus-every K]
"""
import argparse
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from pcapgen import Pcap, csum, ether, ipv4, tcp  # noqa: E402

MODES = [[], ["-q"], ["-v"], ["--json"], ["--summary"], ["--summary", "--json"],
         ["--problems"], ["--problems", "-q"], ["--problems", "--json"], ["--compare"],
         ["--compare", "--json"], ["--conn", "2"], ["--conn", "2", "--json"], ["-c", "20"]]
CORPUS_MODES = [[], ["-q"], ["-v"], ["--json"], ["--summary"], ["--problems"], ["--compare"],
                ["--conn", "2"]]

failures = []
runs = 0


def run(bin_, args):
    global runs
    runs += 1
    p = subprocess.run([bin_, "--color=never"] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout, p.stderr


def fail(msg):
    failures.append(msg)
    print("FAIL " + msg)


def same_as_one(bin_, files, mode, jobs, one=None):
    one = one or run(bin_, mode + files)
    many = run(bin_, mode + ["--jobs", str(jobs)] + files)
    if one != many:
        what = "exit %d vs %d" % (one[0], many[0]) if one[0] != many[0] else \
               "stdout" if one[1] != many[1] else "stderr"
        fail("--jobs %d %s %s: %s differs from one process" % (jobs, " ".join(mode),
                                                                " ".join(files), what))
    return one


def read_frames(path):
    """Frames of a little-endian classic pcap with Ethernet framing, or None."""
    with open(path, "rb") as f:
        hdr = f.read(24)
        if len(hdr) < 24 or hdr[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
            return None
        if struct.unpack("<I", hdr[20:24])[0] != 1:
            return None
        scale = 1000 if hdr[:4] == b"\xd4\xc3\xb2\xa1" else 1
        out = []
        while True:
            rh = f.read(16)
            if len(rh) < 16:
                return out
            sec, frac, cap, wire = struct.unpack("<IIII", rh)
            out.append((sec * 10 ** 9 + frac * scale, f.read(cap), wire))


def interleaved(path):
    """The shipped Ethernet captures laid over one another in time (each shifted
    to start within the first seconds), plus frames tcpnarrate skips: many
    connections at once, as a busy server's capture has them."""
    frames = []
    srcs = sorted(glob.glob(os.path.join(ROOT, "captures", "*.pcap")))
    for i, src in enumerate(srcs):
        fr = read_frames(src)
        if not fr:
            continue
        t0 = fr[0][0]
        frames += [(t - t0 + i * 7_000_000, i, k, d, w) for k, (t, d, w) in enumerate(fr)]
    frames.sort()
    junk = ether(ipv4("10.9.0.1", "10.9.0.2", tcp(1, 2, seq=1, flags="S")))
    with Pcap(path) as p:
        for n, (t, _, _, d, w) in enumerate(frames):
            if n % 97 == 50:
                p.add(junk[:40], ts=(1_700_000_000 + t // 10 ** 9, t % 10 ** 9 // 1000))
            if n % 89 == 30:
                p.add(ether(ipv4("10.9.0.1", "10.9.0.2", b"\x00" * 8, proto=17)),
                      ts=(1_700_000_000 + t // 10 ** 9, t % 10 ** 9 // 1000))  # UDP
            p.add(d, ts=(1_700_000_000 + t // 10 ** 9, t % 10 ** 9 // 1000), wirelen=w)
    return len(frames)


def wide(path, conns=300, frames=120):
    """More connections at once than --problems remembers (TN_FOCUS_CONNS,
    256): copies of the first frames of a lossy download, each from its own
    client address, 37 µs apart. A shard must forget context exactly when
    one process does (the renderers' `elsewhere`)."""
    with open(os.path.join(ROOT, "captures", "analysis-loss-sack.pcap"), "rb") as f:
        hdr = f.read(24)
    fr = read_frames(os.path.join(ROOT, "captures", "analysis-loss-sack.pcap"))[:frames]
    client = bytes([10, 0, 1, 5])
    out = []
    for c in range(conns):
        addr = struct.pack("!I", 0x0A010000 + c)
        for k, (t, d, w) in enumerate(fr):
            d = bytearray(d)
            if d[26:30] == client:
                d[26:30] = addr
            else:
                d[30:34] = addr
            out.append((t // 1000 + c * 37, c, k, bytes(d), w))
    out.sort()
    with open(path, "wb") as f:
        f.write(hdr)
        for t, _, _, d, w in out:
            f.write(struct.pack("<IIII", t // 10 ** 6, t % 10 ** 6, len(d), w) + d)


def icmp_alternating(path, conns=6, rounds=3):
    """Connections whose ICMP errors (fragmentation needed) take turns: text shows an
    error short when its connection's last one was of the same kind, which no shard
    may decide from errors about connections it does not show."""
    cli, srv, router = "10.0.1.5", "10.0.2.10", "10.0.1.1"
    t = 1767261600.0
    with Pcap(path) as p:
        def add(frame):
            nonlocal t
            t += 0.001
            p.add(frame, ts=t)
        for i in range(conns):
            add(ether(ipv4(cli, srv, tcp(41000 + i, 80, seq=1000, flags="S"))))
            add(ether(ipv4(srv, cli, tcp(80, 41000 + i, seq=5000, ack=1001, flags="SA"))))
            add(ether(ipv4(cli, srv, tcp(41000 + i, 80, seq=1001, ack=5001, flags="A"))))
        for r in range(rounds):
            for i in range(conns):
                seg = ipv4(srv, cli, tcp(80, 41000 + i, seq=5001 + 1000 * r, ack=1001, flags="A",
                                         payload=b"z" * 1000))
                add(ether(seg))
                body = struct.pack("!BBHI", 3, 4, 0, 1400) + seg[:28]
                body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
                add(ether(ipv4(router, srv, body, proto=1, df=False)))


def check_identity(bin_, tmp, corpus_every):
    caps = sorted(glob.glob(os.path.join(ROOT, "captures", "*.pcap*")))
    for cap in caps:
        for mode in MODES:
            same_as_one(bin_, ["-r", cap], mode, 2)
    mixed = os.path.join(tmp, "mixed.pcap")
    n = interleaved(mixed)
    print("interleaved capture: %d frames" % n)
    extra = [["--max-flows", "3"], ["--max-flows", "5", "--problems"], ["--idle-timeout", "1"],
             ["--idle-timeout", "1", "--json"], ["--msl", "0"], ["--ascii"]]
    for mode in MODES + extra:
        one = run(bin_, mode + ["-r", mixed])
        for jobs in (2, 3, 5):
            same_as_one(bin_, ["-r", mixed], mode, jobs, one)
    icmp = os.path.join(tmp, "icmp.pcap")
    icmp_alternating(icmp)
    for mode in ([], ["-q"], ["--problems"]):
        one = run(bin_, mode + ["-r", icmp])
        if mode == [] and b"as #" not in one[1]:
            fail("icmp.pcap: no ICMP error shown short (as #N): the check proves nothing")
        for jobs in (2, 3):
            same_as_one(bin_, ["-r", icmp], mode, jobs, one)
    many = os.path.join(tmp, "wide.pcap")
    wide(many)
    for mode in (["--problems"], ["--problems", "-q"], ["--problems", "--json"]):
        one = run(bin_, mode + ["-r", many])
        for jobs in (2, 3):
            same_as_one(bin_, ["-r", many], mode, jobs, one)
    corpus = sorted(glob.glob(os.path.join(ROOT, "..", "shared", "corpus", "*", "*.pcap*")))
    sample = corpus[::corpus_every]
    for cap in sample:
        for mode in CORPUS_MODES:
            same_as_one(bin_, ["-r", cap], mode, 2)
    print("identity: %d shipped captures x %d modes, the interleaved capture x %d modes x 3 job "
          "counts, %d of %d corpus files x %d modes" % (len(caps), len(MODES), len(MODES) +
                                                        len(extra), len(sample), len(corpus),
                                                        len(CORPUS_MODES)))
    return mixed


def check_shards(bin_, mixed, tmp):
    """Every segment in exactly one shard; connection numbers are one process's."""
    one = [json.loads(l) for l in run(bin_, ["--json", "-r", mixed])[1].splitlines()]
    want = sorted(o["n"] for o in one if o.get("type") == "segment")
    got, conns = [], set()
    for k in range(3):
        out = run(bin_, ["--json", "--shard", "%d/3" % k, "-r", mixed])[1].splitlines()
        objs = [json.loads(l) for l in out]
        got += [o["n"] for o in objs if o.get("type") == "segment"]
        ends = [o for o in objs if o.get("type") == "summary"]
        if (k == 0) != (len(ends) == 1):
            fail("--shard %d/3: the summary belongs to shard 0 only" % k)
        for o in objs:
            if o.get("type") == "segment":
                conns.add((k, o["conn"]))
    if sorted(got) != want:
        fail("--shard x/3: the shards' segments are not every segment once (%d vs %d)"
             % (len(got), len(want)))
    owners = {}
    for k, c in conns:
        owners.setdefault(c, set()).add(k)
    if any(len(v) > 1 for v in owners.values()):
        fail("--shard: a connection's segments are in more than one shard")
    # Records written by separate runs, merged.
    for mode in ([], ["--json"], ["--problems"]):
        parts = []
        for k in range(3):
            part = os.path.join(tmp, "part%d" % k)
            with open(part, "wb") as f:
                subprocess.run([bin_, "--color=never", "--shard", "%d/3" % k, "--records"] + mode +
                               ["-r", mixed], stdout=f, check=True)
            parts.append(part)
        merged = run(bin_, ["--merge"] + parts)
        if merged[1] != run(bin_, mode + ["-r", mixed])[1] or merged[0] != 0:
            fail("--merge of --shard --records files %s differs from one process" % mode)
    bad = run(bin_, ["--merge"] + parts[:2])
    if bad[0] != 1 or bad[2].count(b"\n") != 1 or b"shards" not in bad[2]:
        fail("--merge with a shard missing: want one line and exit 1, got %r" % (bad,))
    with open(parts[1], "rb") as f:
        data = f.read()
    with open(parts[1], "wb") as f:
        f.write(data[:len(data) // 2])
    bad = run(bin_, ["--merge"] + parts)
    if bad[0] != 1 or bad[2].count(b"\n") != 1 or b"end early" not in bad[2]:
        fail("--merge of a cut record file: want one line and exit 1, got %r" % (bad,))


def check_files(bin_, tmp):
    """A capture cut in pieces by editcap, read as several files, narrates as the whole."""
    if not shutil.which("editcap"):
        print("editcap not installed: several -r files not tested")
        return
    whole = os.path.join(ROOT, "captures", "analysis-loss-sack.pcap")
    d = os.path.join(tmp, "split")
    os.mkdir(d)
    subprocess.run(["editcap", "-c", "7", whole, os.path.join(d, "part.pcap")], check=True)
    parts = sorted(glob.glob(os.path.join(d, "part*")))
    if len(parts) < 3:
        fail("editcap made %d pieces" % len(parts))
    listing = os.path.join(tmp, "list")
    with open(listing, "w") as f:
        f.write("# pieces\n" + "\n".join(parts) + "\n\n")
    name = re.compile(rb"/[^ \"]*/split/part[^ \"]* and \d+ more files")
    for mode in MODES + [["-q", "less", "100"]]:
        want = run(bin_, mode + ["-r", whole])
        want = (want[0], want[1].replace(whole.encode(), b"CAP"))
        args = [a for p in parts for a in ("-r", p)]
        for how in (args, ["--read-list", listing], ["--jobs", "2"] + args):
            got = run(bin_, mode + how)
            got = (got[0], name.sub(b"CAP", got[1]))
            if got != want:
                fail("%s read in %d pieces (%s) differs from the whole file"
                     % (" ".join(mode), len(parts), how[0]))
    other = os.path.join(ROOT, "captures", "http10-python-ipv6-null.pcap")
    bad = run(bin_, ["-r", whole, "-r", other])
    if bad[0] != 1 or bad[2].count(b"\n") != 1 or other.encode() not in bad[2]:
        fail("files of different link types: want one line naming the second, exit 1: %r"
             % (bad[0], bad[2]))


def check_errors(bin_, tmp):
    cap = os.path.join(ROOT, "captures", "analysis-loss-sack.pcap")
    cases = [(["--jobs", "2", "-i", "lo"], 2, b"--jobs reads files"),
             (["--jobs", "2", "-r", "-"], 2, b"standard input"),
             (["--jobs", "2", "-r", cap, "-w", os.path.join(tmp, "w.pcap")], 2, b"-w"),
             (["--jobs", "0", "-r", cap], 2, b"--jobs wants"),
             (["--shard", "3/3", "-r", cap], 2, b"--shard wants"),
             (["--records", "-r", cap], 2, b"--records goes with --shard"),
             (["--jobs", "2", "--ladder", "-r", cap], 2, b"do not go with --ladder"),
             (["--shard", "0/2", "--html", os.path.join(tmp, "p.html"), "-r", cap], 2,
              b"do not go with --html"),
             (["--jobs", "2", "-r", os.path.join(tmp, "none.pcap")], 1, b"none.pcap")]
    for args, status, says in cases:
        rc, _, err = run(bin_, args)
        if rc != status or err.count(b"\n") != 1 or says not in err:
            fail("%s: want exit %d and one line with %r, got %d %r" % (" ".join(args), status,
                                                                     says, rc, err))
    with open(cap, "rb") as f:
        data = f.read()
    cut = os.path.join(tmp, "cut.pcap")
    with open(cut, "wb") as f:
        f.write(data[:len(data) * 2 // 3 + 5])
    one = same_as_one(bin_, ["-r", cut], [], 2)
    if one[0] != 1 or one[2].count(b"\n") != 1:
        fail("a damaged file: want exit 1 and one line, got %d %r" % (one[0], one[2]))
    same_as_one(bin_, ["-r", cap], ["--compare", "--strict"], 2)
    p = subprocess.run("%s --jobs 2 -r %s | head -c 100 >/dev/null; echo ${PIPESTATUS[0]}"
                       % (bin_, os.path.join(tmp, "mixed.pcap")), shell=True,
                       executable="/bin/bash", stdout=subprocess.PIPE, timeout=60)
    if p.stdout.strip() != b"0":
        fail("--jobs 2 | head: want exit 0 when the reader closes, got %r" % p.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("--corpus-every", type=int, default=3)
    a = ap.parse_args()
    bin_ = os.path.abspath(a.bin)
    tmp = tempfile.mkdtemp(prefix="tn-shard-")
    try:
        mixed = check_identity(bin_, tmp, a.corpus_every)
        check_shards(bin_, mixed, tmp)
        check_files(bin_, tmp)
        check_errors(bin_, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d runs, %d failures" % (runs, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
