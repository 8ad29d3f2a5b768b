#!/usr/bin/env bash
# run-fuzz.sh [options] [SECONDS] — build the libFuzzer targets and fuzz each
# for SECONDS (default 60), one after the other (or both at once).
#
#   --builddir DIR   the fuzzing build (default build-fuzz at the top); it is
#                    configured when missing:
#                      CC=clang meson setup DIR -Dfuzzing=true \
#                        -Db_sanitize=address,undefined -Db_lundef=false
#   --no-build       use the targets already built in DIR (the meson test does)
#   --parallel       run both targets at the same time (one core each)
#   --only TARGET    decode or capture
# Extra libFuzzer flags can be given in TN_FUZZ_ARGS.
#
# Seeds come from make-seeds.sh (DIR/fuzz-seeds/TARGET) and from what earlier
# runs found (DIR/fuzz-corpus/TARGET, which each run adds to); each target
# gets a fresh work corpus DIR/fuzz-work/TARGET, artifacts in
# DIR/fuzz-artifacts/TARGET and a log DIR/fuzz-logs/TARGET.log. Every crash,
# leak, timeout or out-of-memory reproducer is copied to
# tests/fuzz/crashes/TARGET-NAME, its path and the start of its report are
# printed, and the exit status is 1.
# Each fuzzer is killed if it runs 2×SECONDS+180 s, so the script is bounded.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

build="$root/build-fuzz"
do_build=1
parallel=0
targets=(decode capture)
secs=60
while [ $# -gt 0 ]; do
  case $1 in
    --builddir) build=$(cd "$2" 2>/dev/null && pwd || echo "$2"); shift 2 ;;
    --no-build) do_build=0; shift ;;
    --parallel) parallel=1; shift ;;
    --only) targets=("$2"); shift 2 ;;
    -h|--help) sed -n '2,/^set /{/^set /d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *[!0-9]*|'') echo "run-fuzz.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    *) secs=$1; shift ;;
  esac
done
[ "$secs" -gt 0 ] || { echo "run-fuzz.sh: SECONDS must be positive" >&2; exit 2; }

if [ $do_build = 1 ]; then
  if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" -Dfuzzing=true -Db_sanitize=address,undefined \
      -Db_lundef=false >/dev/null || { echo "run-fuzz.sh: meson setup $build failed" >&2; exit 1; }
  fi
  meson compile -C "$build" fuzz_decode fuzz_capture tcpnarrate >/dev/null \
    || { echo "run-fuzz.sh: building the fuzz targets failed (meson compile -C $build)" >&2; exit 1; }
fi
for t in "${targets[@]}"; do
  [ -x "$build/tests/fuzz/fuzz_$t" ] || {
    echo "run-fuzz.sh: no $build/tests/fuzz/fuzz_$t (configure with -Dfuzzing=true)" >&2; exit 1; }
done

seeds="$build/fuzz-seeds"
"$here/make-seeds.sh" "$seeds" || exit 1
mkdir -p "$build/fuzz-logs" "$here/crashes"

# The start of a report: the sanitizer's, the harness's or libFuzzer's own.
report_head() { # log
  local start
  start=$(grep -n -m1 -E '==[0-9]+==(ERROR|WARNING)|runtime error:|==tcpnarrate-fuzz==|ERROR: libFuzzer|deadly signal|ALARM: working on the last Unit' "$1" | cut -d: -f1)
  if [ -n "$start" ]; then sed -n "${start},$((start + 24))p" "$1"; else tail -n 25 "$1"; fi
}

fuzz_one() { # target
  local t=$1 bin="$build/tests/fuzz/fuzz_$1" work="$build/fuzz-work/$1"
  local art="$build/fuzz-artifacts/$1" log="$build/fuzz-logs/$1.log" dict=()
  rm -rf "$work" "$art"; mkdir -p "$work" "$art"
  [ -f "$here/$t.dict" ] && dict=(-dict="$here/$t.dict")
  # shellcheck disable=SC2086
  # Inputs earlier runs found (kept in the build directory, not in git) seed this one.
  local kept="$build/fuzz-corpus/$t"
  mkdir -p "$kept"
  # Inputs of at most 64 KiB: a whole capture runs ten times per input (every
  # mode, one twice), and the largest shipped captures (megabytes, seeds here)
  # would make each input take seconds under the sanitizers. A hang is an
  # input still running after 60 s, far above any honest run: slowness is
  # the benchmark's business, not a reason for a busy machine to fail this.
  local max_len=()
  [ "$t" = capture ] && max_len=(-max_len=65536)
  timeout -k 10 $((2 * secs + 180)) "$bin" -max_total_time="$secs" -rss_limit_mb=2048 \
    -timeout=60 "${max_len[@]}" -print_final_stats=1 -artifact_prefix="$art/" "${dict[@]}" ${TN_FUZZ_ARGS:-} \
    "$work" "$seeds/$t" "$kept" >"$log" 2>&1
  local rc=$? status=0 found=0
  cp -n "$work"/* "$kept"/ 2>/dev/null
  local execs cov
  execs=$(grep -m1 '^stat::number_of_executed_units' "$log" | awk '{print $2}')
  # -fork mode prints no final stats: take the last status line's count.
  [ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
  cov=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [^ ]+' || true)
  echo "fuzz_$t: ${execs:-?} runs in ${secs} s, ${cov:-no coverage line}, $(ls "$work" | wc -l) new inputs; log $log"
  for a in "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-*; do
    [ -f "$a" ] || continue
    found=1
    local keep="$here/crashes/$t-$(basename "$a")"
    cp -- "$a" "$keep"
    echo "fuzz_$t: FOUND $(basename "$a" | cut -d- -f1): reproducer $keep"
    echo "  reproduce: $bin $keep"
    report_head "$log" | sed 's/^/  | /'
  done
  if [ $rc = 124 ] || [ $rc = 137 ]; then
    echo "fuzz_$t: did not stop by itself after $((2 * secs + 180)) s: killed"; status=1
  elif [ $rc != 0 ] || [ $found = 1 ]; then
    [ $found = 1 ] || { echo "fuzz_$t: exit status $rc and no reproducer:"; report_head "$log" | sed 's/^/  | /'; }
    status=1
  fi
  return $status
}

status=0
if [ $parallel = 1 ]; then
  pids=()
  for t in "${targets[@]}"; do
    fuzz_one "$t" >"$build/fuzz-logs/$t.summary" 2>&1 & pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || status=1
    cat "$build/fuzz-logs/${targets[$i]}.summary"
  done
else
  for t in "${targets[@]}"; do
    fuzz_one "$t" || status=1
  done
fi
[ $status = 0 ] && echo "fuzz: no crash" || echo "fuzz: crashes found (tests/fuzz/crashes/)"
exit $status
