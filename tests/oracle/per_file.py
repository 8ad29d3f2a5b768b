"""per_file — the command line the per-file tshark comparisons share
(icmp_compare.py, reasm_compare.py): every capture named is compared by the
script's compare(tcpnarrate, path) -> (frames compared, mismatches); a file
with a mismatch, or with nothing to compare, fails. Exit 0 all passed, 1 some
failed, 77 without tshark."""
import argparse
import shutil
import sys


def main(doc, compare):
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--tcpnarrate", required=True)
    ap.add_argument("captures", nargs="+")
    a = ap.parse_args()
    if shutil.which("tshark") is None:
        print("tshark is not installed: skipping", file=sys.stderr)
        return 77
    passed = failed = 0
    for path in a.captures:
        n, bad = compare(a.tcpnarrate, path)
        print("%s: %d compared, %d mismatched" % (path, n, len(bad)))
        for b in bad:
            print("  " + b)
        if bad or n == 0:
            failed += 1
        else:
            passed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0
