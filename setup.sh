#!/usr/bin/env bash
# setup.sh — on a fresh Debian 12 machine: install what tcpnarrate needs from
# Debian, build it, and narrate one of the shipped captures.
#
#   ./setup.sh              install build packages, build, run on a capture
#   ./setup.sh --deps-only  install build packages only
#   ./setup.sh --test-deps  install build and test packages only
#
# Run as root or with sudo available. Only missing packages are installed, so
# a second run is quick and needs no network.
set -euo pipefail
cd "$(dirname "$0")"

BUILD_PKGS=(meson ninja-build pkg-config gcc libc6-dev libpcap-dev libcjson-dev check)
# tshark is the oracle the field-by-field comparison test checks against;
# setpriv (util-linux) lets the tests act as an unprivileged user; iproute2, curl
# and nginx-light make the network-namespace hosts of the live-capture test;
# nftables and tcpdump hold and record segments for the kernel-truth test;
# valgrind checks memory; clang and its runtime build the libFuzzer targets;
# GNU time measures peak memory for the hostile-input test and the benchmark;
# ab (apache2-utils) makes the benchmark capture's short and keep-alive
# connections, ethtool turns off segmentation offloads for it, and tcptrace is
# one of the tools the benchmark measures against.
TEST_PKGS=(python3 python3-distributed tshark util-linux iproute2 curl nginx-light nftables tcpdump valgrind clang libclang-rt-14-dev time
           apache2-utils ethtool tcptrace chromium nodejs)
# The version of playwright-core the browser test (tests/browser/) was written against.
PLAYWRIGHT_CORE=playwright-core@1.65.1

mode=${1:-all}
case "$mode" in
  all|--deps-only|--test-deps) ;;
  *) echo "setup.sh: unknown argument '$mode' (use --deps-only or --test-deps)" >&2; exit 2 ;;
esac

as_root=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup.sh: run as root (no sudo found)" >&2; exit 1; }
  as_root=(sudo)
fi

install_missing() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup.sh: installing ${missing[*]}"
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

install_missing "${BUILD_PKGS[@]}"
if [ "$mode" = --test-deps ]; then
  install_missing "${TEST_PKGS[@]}"
  # Debian's nodejs comes without npm (NodeSource's bundles it): the package
  # only when there is no npm yet, so as not to fight a bundled one.
  command -v npm >/dev/null || install_missing npm
  # The browser test skips itself without it; installing it needs the npm registry.
  if command -v npm >/dev/null && ! (cd / && node -e "require.resolve('playwright-core', {paths: [require('child_process')
        .execSync('npm root -g').toString().trim()]})") >/dev/null 2>&1; then
    echo "setup.sh: installing $PLAYWRIGHT_CORE (npm, global)"
    "${as_root[@]}" npm install -g --silent "$PLAYWRIGHT_CORE" || \
      echo "setup.sh: could not install $PLAYWRIGHT_CORE; the browser test will be skipped" >&2
  fi
fi
[ "$mode" = all ] || exit 0

if [ -d build ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
meson compile -C build >/dev/null
echo "setup.sh: built build/tcpnarrate; narrating captures/http10-python-ipv4.pcap (-q):"
echo
./build/tcpnarrate -q -r captures/http10-python-ipv4.pcap
