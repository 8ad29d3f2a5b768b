#!/usr/bin/env python3
"""Golden-output tests: run tcpnarrate on a capture with some flags and compare
everything it prints (stdout, stderr, exit status) with a reviewed copy.

usage: golden.py --bin TCPNARRATE check NAME...   compare (exit 1 on any difference)
       golden.py --bin TCPNARRATE regen [NAME...] rewrite expected outputs

Runs from the project root, so file names in the output are stable. Colour is
off and the environment is fixed, so output does not depend on the terminal.
"""
import argparse
import difflib
import os
import shlex
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.join(ROOT, "tests", "golden")


def testlist():
    tests = {}
    with open(os.path.join(HERE, "TESTLIST")) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.rstrip("\n").split("\t")
            name, capture = parts[0], parts[1]
            flags = shlex.split(parts[2]) if len(parts) > 2 else []
            tests[name] = (capture, flags)
    return tests


def run(binary, capture, flags):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "TZ": "UTC"}
    source = [] if capture == "(none)" else ["-r", capture]   # (none): e.g. --reference
    # TN_WRAPPER (meson test --setup valgrind) runs the binary under a checker.
    wrapper = shlex.split(os.environ.get("TN_WRAPPER", ""))
    r = subprocess.run(wrapper + [binary, "--color=never"] + source + flags, cwd=ROOT, env=env,
                       capture_output=True, timeout=60)
    return (r.stdout.decode("utf-8", "backslashreplace") + "--- stderr ---\n" +
            r.stderr.decode("utf-8", "backslashreplace") + "--- exit %d ---\n" % r.returncode)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("cmd", choices=["check", "regen"])
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    binary = os.path.abspath(a.bin)
    tests = testlist()
    names = a.names or sorted(tests)
    passed = failed = 0
    for name in names:
        if name not in tests:
            print("no golden test called %r" % name)
            failed += 1
            continue
        capture, flags = tests[name]
        got = run(binary, capture, flags)
        path = os.path.join(HERE, "expected", name + ".out")
        if a.cmd == "regen":
            with open(path, "w") as f:
                f.write(got)
            print("wrote", os.path.relpath(path, ROOT))
            continue
        want = open(path).read() if os.path.exists(path) else ""
        if got == want:
            passed += 1
        else:
            failed += 1
            print("FAIL %s (%s %s)" % (name, capture, " ".join(flags)))
            sys.stdout.writelines(list(difflib.unified_diff(
                want.splitlines(True), got.splitlines(True), "expected", "got"))[:80])
    if a.cmd == "check":
        print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
