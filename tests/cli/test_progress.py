#!/usr/bin/env python3
"""The progress line on standard error: drawn when standard error is a
terminal and standard output is not, never otherwise.

Standard error is the slave end of a pseudo-terminal (Python's pty module);
what tcpnarrate writes there is read back from the master end. A capture of
many copies of a shipped connection makes the run long enough to matter, and
the last line is drawn at the end of every run anyway, so the test does not
depend on the machine's speed.

usage: test_progress.py TCPNARRATE
"""
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
BIN = os.path.abspath(sys.argv[1])
CAPTURE = os.path.join(ROOT, "captures", "analysis-loss-sack.pcap")


def run_with_pty_stderr(args, stdout):
    """Runs tcpnarrate with stderr on a pty; returns (exit status, stderr text)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([BIN] + args, stdout=stdout, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    for _ in range(10000):                      # bounded: a line every 0.2 s at most
        r, _, _ = select.select([master], [], [], 30)
        if not r:
            break
        try:
            data = os.read(master, 65536)
        except OSError:                         # EIO: the slave end closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return p.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def main():
    passed = failed = 0
    tmp = tempfile.mkdtemp(prefix="tn-progress-")

    def check(name, ok, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("ok   " + name)
        else:
            failed += 1
            print("FAIL %s: %s" % (name, detail))

    try:
        with open(os.path.join(tmp, "out.jsonl"), "wb") as out:
            rc, err = run_with_pty_stderr(["--json", "-r", CAPTURE], out)
        check("--json to a file, stderr a terminal: exit 0", rc == 0, "exit %d" % rc)
        line = re.search(r"\[[#.]{20}\] +100%  [0-9.]+ of [0-9.]+ MiB, 2447 packets, "
                         r"\d+ connections, \d+ packets/s", err)
        check("the progress line: bytes, packets, connections, rate", line is not None, repr(err))
        check("the line is erased at the end", err.endswith("\r\x1b[K"), repr(err[-40:]))
        with open(os.path.join(tmp, "out.jsonl")) as f:
            check("the narration went to stdout untouched",
                  f.read().count('"type":"segment"') == 2447)

        rc, err = run_with_pty_stderr(["--summary", "-r", CAPTURE], subprocess.DEVNULL)
        check("--summary to /dev/null: a line too", "packets" in err and rc == 0, repr(err))

        p = subprocess.run([BIN, "--json", "-r", CAPTURE], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        check("stderr not a terminal: nothing on it", p.returncode == 0 and p.stderr == b"",
              repr(p.stderr[:200]))

        # stdout a terminal too: the narration is on screen, no line over it.
        master, slave = pty.openpty()
        # -c 3: a few lines, so that the unread pty never fills up.
        p = subprocess.run([BIN, "-q", "-c", "3", "-r", CAPTURE], stdout=slave,
                           stderr=subprocess.PIPE, timeout=60)
        os.close(slave)
        os.close(master)
        check("stdout a terminal: no progress line", p.stderr == b"", repr(p.stderr[:200]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
