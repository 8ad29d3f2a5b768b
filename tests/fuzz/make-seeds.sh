#!/usr/bin/env bash
# make-seeds.sh OUTDIR — seed corpora for the libFuzzer targets.
#
#   OUTDIR/capture/  every shipped capture (captures/*.pcap*) and every file of
#                    the shared corpus (../shared/corpus, beside the checkout),
#                    plus every reproducer kept in tests/fuzz/crashes/ and
#                    tests/fuzz/regressions/ that is a capture;
#   OUTDIR/decode/   every frame of those captures (at most 48 per file,
#                    duplicates dropped) as a fuzz_decode input: link-type
#                    index, wire-length bytes, frame (see frames.py), plus the
#                    kept fuzz_decode reproducers (named decode-*).
# OUTDIR is emptied first.
set -euo pipefail
if [ $# -ne 1 ]; then
  echo "usage: $0 OUTDIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=$(cd "$root/.." && pwd)/shared/corpus
out=$1

rm -rf "$out/capture" "$out/decode"
mkdir -p "$out/capture" "$out/decode"

# Flattened names (tcpdump/x.pcap -> corpus__tcpdump__x.pcap): no collisions.
copy() { # src name
  cp -- "$1" "$out/capture/$2"
}
shopt -s nullglob
for f in "$root"/captures/*.pcap*; do
  copy "$f" "captures__$(basename "$f")"
done
if [ -d "$corpus" ]; then
  while IFS= read -r -d '' f; do
    rel=${f#"$corpus"/}
    copy "$f" "corpus__${rel//\//__}"
  done < <(find "$corpus" -type f -print0)
else
  echo "make-seeds: no shared corpus at $corpus (only captures/ used)" >&2
fi
for d in crashes regressions; do
  for f in "$here/$d"/*; do
    name=$(basename "$f")
    case $name in
      README.md|.*) ;;
      decode-*) cp -- "$f" "$out/decode/kept__$name" ;;
      *) copy "$f" "kept__$name" ;;
    esac
  done
done

frames=$(python3 "$here/frames.py" extract "$out/decode" "$out"/capture/*)
echo "seeds: $(ls "$out/capture" | wc -l) captures in $out/capture, $frames (+ kept) in $out/decode"
