#!/usr/bin/env python3
"""Every fuzz reproducer ever kept, through tcpnarrate in every mode: no crash.

Files in tests/fuzz/crashes/ and tests/fuzz/regressions/ (README.md and dot
files aside) are reproducers: those named decode-* are fuzz_decode inputs and
are turned into one-packet pcap files first (frames.py); every other file is
a capture. Each is run through the tcpnarrate binary in the modes the
fuzz_capture target uses (the nine core modes and every extra mode), and
must not crash: no signal, no sanitizer report, exit status 0 or 1 (3 with
--strict), within the time limit.

With --fuzz-decode / --fuzz-capture (the fuzzing build), each reproducer is
also run once through its own libFuzzer target, which applies the harness's
stricter checks (output oracles, small buffers, poisoned packet struct).

An empty directory passes.

usage: run_regressions.py --bin TCPNARRATE [--fuzz-decode EXE] [--fuzz-capture EXE]
                          [--timeout S] [DIR|FILE ...]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import frames  # noqa: E402

# Keep in step with core_modes[] and extra_modes[] in fuzz_capture.c.
CORE_MODES = [[], ["-v"], ["-q"], ["--json"],
              ["--compare"], ["-v", "--compare"], ["-q", "--compare"], ["--json", "--compare"],
              ["--ladder", "--width", "80"]]
EXTRA_MODES = [["-q", "--max-flows", "1"],
               ["--json", "--max-flows", "2", "--compare"],
               ["-v", "--msl", "0"],
               ["-q", "--idle-timeout", "1", "--compare"],
               ["--conn", "2"],
               ["--json", "-c", "3"],
               ["-q", "--compare", "--strict"],
               ["-v", "--color=always"],
               ["-q", "tcp", "port", "80"],
               ["--summary", "--compare"],
               ["--json", "--summary", "--max-flows", "2"],
               ["--problems", "--idle-timeout", "1"],
               ["-q", "--problems", "--max-flows", "1"],
               ["--json", "--problems", "--compare"],
               ["-v", "--ascii", "--problems"],
               ["--ladder", "--width", "80", "--ascii", "--compare", "--max-flows", "1"],
               ["--ladder", "--width", "80", "--color=always", "--conn", "2"],
               ["--ladder", "--width", "80", "--idle-timeout", "1", "--msl", "0"]]
SAN = re.compile(r"(AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:"
                 r"|==tcpnarrate-fuzz==)")
ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
           UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1", LC_ALL="C.UTF-8")


def reproducers(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for n in sorted(os.listdir(p)):
                f = os.path.join(p, n)
                if os.path.isfile(f) and n != "README.md" and not n.startswith("."):
                    out.append(f)
        elif os.path.isfile(p):
            out.append(p)
    return out


def run(cmd, timeout):
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=timeout, env=ENV)
    except subprocess.TimeoutExpired:
        return None
    return r


def problems_of(r, allowed):
    if r is None:
        return ["hung (killed after the timeout)"]
    out = []
    err = r.stderr.decode("utf-8", "replace")
    if r.returncode < 0:
        out.append("killed by signal %d" % -r.returncode)
    elif r.returncode not in allowed:
        out.append("exit status %d" % r.returncode)
    m = SAN.search(err)
    if m:
        out.append("report: " + err[m.start():m.start() + 600].replace("\n", " | "))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--fuzz-decode")
    ap.add_argument("--fuzz-capture")
    ap.add_argument("--timeout", type=float, default=20)
    ap.add_argument("paths", nargs="*")
    a = ap.parse_args()
    paths = a.paths or [os.path.join(HERE, "crashes"), os.path.join(HERE, "regressions")]
    files = reproducers(paths)
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for f in files:
            name = os.path.basename(f)
            is_decode = name.startswith("decode-")
            capture = f
            if is_decode:
                with open(f, "rb") as fh:
                    pcap = frames.to_pcap(fh.read())
                if pcap is None:
                    print("SKIP %s: no frame in it" % name)
                    continue
                capture = os.path.join(tmp, name + ".pcap")
                with open(capture, "wb") as fh:
                    fh.write(pcap)
            bad = []
            for mode in CORE_MODES + EXTRA_MODES:
                allowed = (0, 1, 3) if "--strict" in mode else (0, 1)
                r = run([a.bin, "--color=never", "-r", capture] + mode, a.timeout)
                for p in problems_of(r, allowed):
                    bad.append("tcpnarrate %s: %s" % (" ".join(mode) or "(text)", p))
            target = a.fuzz_decode if is_decode else a.fuzz_capture
            if target:
                r = run([target, "-runs=1", f], a.timeout * 10)
                for p in problems_of(r, (0,)):
                    bad.append("%s: %s" % (os.path.basename(target), p))
            if bad:
                failed += 1
                print("FAIL %s: %d problem%s; the first: %s" % (
                    name, len(bad), "" if len(bad) == 1 else "s", bad[0]))
                for b in bad[1:]:
                    print("     %s" % b[:160])
            else:
                print("ok   %s" % name)
    print("%d reproducers, %d passed, %d failed" % (len(files), len(files) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
