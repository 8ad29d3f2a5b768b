#!/usr/bin/env python3
"""Every hostile and real-world capture through tcpnarrate, in every output mode.

For each file under the given directories (default: ../shared/corpus and
captures/) and each mode (text, -v, -q, --json), checks that tcpnarrate:
  - does not crash (no signal), and exits 0 (read to the end) or 1 (unusable
    or damaged file), never anything else;
  - on exit 1 prints exactly one line `tcpnarrate: FILE: ...` on stderr; on
    exit 0 prints nothing on stderr but the one unsupported-link-type line;
  - prints no sanitizer or UBSan report;
  - writes no control byte but newline in text, and only valid JSON lines;
  - does not hang: a run still going after --hang-seconds (default 120 s, far
    above any honest run, even under the sanitizers on a loaded machine) is
    killed and reported. Speed is not checked here: a test a busy machine can
    fail is a defect; the benchmark (tests/bench/) measures speed;
  - prints exactly the same thing on a second run;
  - with --html, writes a whole page (ending in </html>, the data unable to
    close its script element) when it exits 0; exiting 1, either no page or,
    for a file damaged part-way, a whole page of what was read; never half.
Run it with a binary built with -Db_sanitize=address,undefined to make memory
errors fatal.

usage: run_corpus.py --bin TCPNARRATE [--hang-seconds S] [DIR|FILE ...]
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HTML = "@HTML@"  # replaced by a temporary file per run: the page is checked, then removed
MODES = [[], ["-v"], ["-q"], ["--json"], ["--json", "--compare"],
         ["--summary", "--compare"], ["--json", "--summary"], ["--problems"], ["-q", "--problems"],
         ["--json", "--problems"], ["-v", "--ascii", "--compare"], ["--ladder", "--width", "80"],
         ["--ladder", "--width", "64", "--ascii", "--compare"],
         ["-q", "--compare", "--html", HTML]]
SAN = re.compile(r"(AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:)")
CTRL = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]")
NON_ASCII = re.compile(rb"[\x80-\xff]")


def files_in(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for d, _, names in os.walk(p):
                out += [os.path.join(d, n) for n in names
                        if n.endswith((".pcap", ".pcapng", ".cap", ".dmp"))]
        else:
            out.append(p)
    return sorted(out)


def read_page(path):
    """The page --html wrote, or None when there is none; removed either way."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        os.unlink(path)
        return data
    except OSError:
        return None


def check_page(r):
    if not hasattr(r, "page"):
        return []
    if r.returncode != 0 and not r.page:
        return []  # nothing written (or, for a damaged file, see below)
    if not r.page or not r.page.rstrip().endswith(b"</html>"):
        return ["--html wrote no whole page (exit %d)" % r.returncode]
    if r.page.count(b"</script>") != 2 or b"\x1b" in r.page:
        return ["--html: wire bytes escaped the data element"]
    return []


def run_once(binary, f, mode, limit):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1", LC_ALL="C.UTF-8")
    page = None
    if HTML in mode:
        fd, page = tempfile.mkstemp(suffix=".html", prefix="tn-corpus-")
        os.close(fd)
        mode = [page if m == HTML else m for m in mode]
    t0 = time.monotonic()
    try:
        r = subprocess.run([binary, "--color=never", "-r", f] + mode, capture_output=True,
                           timeout=limit, env=env)
    except subprocess.TimeoutExpired:
        return None, 1e9
    finally:
        if page:
            r_page = read_page(page)
    if page:
        r.page = r_page
    return r, time.monotonic() - t0


def check(binary, f, mode, limit):
    problems = []
    r, secs = run_once(binary, f, mode, limit)
    if r is None:
        return ["hung (killed after %.0f s)" % limit], secs
    err = r.stderr.decode("utf-8", "replace")
    if r.returncode < 0:
        problems.append("killed by signal %d" % -r.returncode)
    elif r.returncode not in (0, 1):
        problems.append("exit status %d" % r.returncode)
    if SAN.search(err):
        problems.append("sanitizer report: " + SAN.search(err).group(0) + " " +
                        err[err.find(SAN.search(err).group(0)):][:300].replace("\n", " | "))
    lines = err.splitlines()
    prefix = "tcpnarrate: %s: " % f
    if r.returncode == 1 and (len(lines) != 1 or not lines[0].startswith(prefix)):
        problems.append("exit 1 wants one line '%s...' on stderr, got %r" % (prefix, err[:300]))
    if r.returncode == 0 and lines and not (len(lines) == 1 and "is not one tcpnarrate decodes" in lines[0]):
        problems.append("unexpected stderr: %r" % err[:300])
    if "--json" in mode:
        for i, line in enumerate(r.stdout.splitlines()):
            try:
                json.loads(line)
            except ValueError as e:
                problems.append("line %d is not JSON: %s" % (i + 1, e))
                break
    elif CTRL.search(r.stdout):
        problems.append("control byte 0x%02x in text output" % CTRL.search(r.stdout).group(0)[0])
    elif "--ascii" in mode and NON_ASCII.search(r.stdout):
        problems.append("byte 0x%02x in --ascii output" % NON_ASCII.search(r.stdout).group(0)[0])
    if "--ladder" in mode:
        width = int(mode[mode.index("--width") + 1])
        wide = [i + 1 for i, line in enumerate(r.stdout.decode("utf-8", "replace").splitlines())
                if len(line) > width]
        if wide:
            problems.append("ladder line %d is wider than %d columns" % (wide[0], width))
    problems += check_page(r)
    r2, _ = run_once(binary, f, mode, limit)
    if r2 is None or r2.stdout != r.stdout or r2.returncode != r.returncode or \
            getattr(r2, "page", None) != getattr(r, "page", None):
        problems.append("a second run printed something else")
    return problems, secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--hang-seconds", type=float, default=120.0)
    ap.add_argument("paths", nargs="*")
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    paths = a.paths or [os.path.join(ROOT, "..", "shared", "corpus"), os.path.join(ROOT, "captures")]
    files = files_in(paths)
    if not files:
        print("no capture files found under %s" % ", ".join(paths))
        print("0 passed, 1 failed")
        return 1
    jobs = [(f, m) for f in files for m in MODES]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        results = list(ex.map(lambda job: (job, check(binary, job[0], job[1], a.hang_seconds)), jobs))
    bad = {}
    slowest = (0.0, "")
    for (f, m), (problems, secs) in results:
        if secs > slowest[0] and secs < 1e9:
            slowest = (secs, "%s %s" % (os.path.relpath(f, ROOT), " ".join(m)))
        if problems:
            bad.setdefault(f, []).append((m, problems))
    for f, items in sorted(bad.items()):
        for m, problems in items:
            print("FAIL %s %s: %s" % (os.path.relpath(f, ROOT), " ".join(m) or "(text)", "; ".join(problems)))
    print("%d files x %d modes; slowest run %.3f s (%s)" % (len(files), len(MODES), slowest[0], slowest[1]))
    print("%d passed, %d failed" % (len(files) - len(bad), len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
