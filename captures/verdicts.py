#!/usr/bin/env python3
"""Which frames of a capture tshark gives each TCP analysis verdict.

usage: verdicts.py [--markdown] FILE...

For every file, one line per verdict tshark gives at least once: the
verdict (the last part of its tcp.analysis.* field), how many frames carry
it and their numbers (runs written as 12-15). With --markdown the same as a
table, for captures/README.md. record-analysis.py and craft-analysis.py in
this directory check their captures with verdicts(). Needs tshark (4.0 was
used); Python 3, standard library only.
"""
import subprocess
import sys

# The verdicts, in the order they are printed: the names of tshark's
# tcp.analysis.* fields.
VERDICTS = (
    "retransmission", "fast_retransmission", "spurious_retransmission",
    "out_of_order", "lost_segment", "ack_lost_segment", "duplicate_ack",
    "zero_window", "zero_window_probe", "zero_window_probe_ack",
    "window_full", "window_update", "keep_alive", "keep_alive_ack",
    "reused_ports",
)


def verdicts(path):
    """{verdict: [frame numbers]} for every verdict tshark gives in path
    (with its default preferences: relative sequence numbers, analysis on,
    checksums not checked). One tshark run; a field tshark shows prints as
    1 (or 1,1 when it occurs twice in the frame), an absent one as nothing."""
    fields = ["tcp.analysis." + v for v in VERDICTS]
    cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t",
           "-e", "frame.number"]
    for f in fields:
        cmd += ["-e", f]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if res.returncode != 0:
        raise RuntimeError("tshark -r %s failed: %s" % (path, res.stderr.strip()))
    found = {}
    for line in res.stdout.splitlines():
        cols = line.split("\t")
        for name, value in zip(VERDICTS, cols[1:]):
            if value:
                found.setdefault(name, []).append(int(cols[0]))
    return found


def runs(frames):
    """[3, 4, 5, 9] -> '3-5, 9'."""
    out, start, prev = [], None, None
    for n in frames + [None]:
        if start is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            out.append(str(start) if start == prev else "%d-%d" % (start, prev))
        start = prev = n
    return ", ".join(out)


def main(argv):
    markdown = bool(argv) and argv[0] == "--markdown"
    paths = argv[1:] if markdown else argv
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for path in paths:
        found = verdicts(path)
        print(path)
        if markdown:
            print("\n| verdict | frames | frame numbers |\n|---|---|---|")
        for v in VERDICTS:
            if v in found:
                n = found[v]
                print(("| `%s` | %d | %s |" if markdown else "  %-24s %5d  %s")
                      % (v, len(n), runs(n)))
        if not found:
            print("  (none)")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
