#!/usr/bin/env bash
# run-all.sh — the whole test suite, from a clean clone, as CI runs it.
#
# Installs missing build and test packages (Debian), builds twice — a normal
# build and one with AddressSanitizer and UndefinedBehaviorSanitizer — and
# runs every suite: unit (Check), golden, cli, oracle (tshark), state,
# reference, live and kernel (network namespaces, as root), and corpus (every
# capture in ../shared/corpus and captures/, every mode); the unit and golden
# tests again under valgrind; the sanitizer build runs unit, cli, golden,
# corpus and state; a clang build runs the fuzz reproducers and a short
# bounded libFuzzer run of each target.
# Ends with one line "tests: N passed, M failed, K skipped".
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

./setup.sh --test-deps || exit 1

configure() { # dir, extra meson options...
  local dir=$1; shift
  if [ -d "$dir" ]; then meson setup --reconfigure "$dir" "$@" >/dev/null
  else meson setup "$dir" "$@" >/dev/null; fi && meson compile -C "$dir" >/dev/null
}

status=0
configure build || { echo "build failed"; exit 1; }
configure build-asan -Db_sanitize=address,undefined -Db_lundef=false || { echo "sanitizer build failed"; exit 1; }

meson test -C build --print-errorlogs --num-processes 2 || status=1
# Valgrind over the unit tests and the golden runs of the binary.
meson test -C build --print-errorlogs --num-processes 2 --setup valgrind --suite unit || status=1
meson test -C build --print-errorlogs --num-processes 2 --setup valgrindcli --suite golden || status=1
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C build-asan --print-errorlogs --num-processes 2 --suite unit --suite cli --suite golden --suite corpus --suite state \
  || status=1

# libFuzzer (clang): every reproducer through its target, and 30 s of fuzzing per target.
if CC=clang configure build-fuzz -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false; then
  meson test -C build-fuzz --print-errorlogs --suite fuzz || status=1
else
  echo "fuzzing build failed"; status=1
fi

# One closing line over all runs, from meson's machine-readable logs.
python3 - build/meson-logs/testlog.json build/meson-logs/testlog-valgrind.json \
  build/meson-logs/testlog-valgrindcli.json build-asan/meson-logs/testlog.json \
  build-fuzz/meson-logs/testlog.json <<'PY'
import json, sys
p = f = s = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).readlines()
    except OSError:
        f += 1
        continue
    for line in lines:
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"): p += 1
        elif r == "SKIP": s += 1
        else: f += 1
print("tests: %d passed, %d failed, %d skipped" % (p, f, s))
PY
exit $status
