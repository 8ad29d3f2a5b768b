#!/usr/bin/env bash
# Record pmtu-ipv4.pcap and pmtu-ipv6.pcap: a router on the path with a
# smaller MTU than the server's link, so the server's full-size segments draw
# ICMP "fragmentation needed" (IPv4, DF set) and ICMPv6 "packet too big".
# Then frag-ipv4.pcap: the same with path-MTU discovery off on the server,
# so its segments go without DF and the router fragments them.
#
# Three network namespaces, made here and removed on exit (stale ones first),
# so no packet leaves this machine:
#
#   tnf-cli  tnf-c0  10.0.1.5/24   fd00:1::5/64    MTU 1500
#   tnf-rtr  tnf-r0  10.0.1.1/24   fd00:1::1/64    MTU 1280  (toward the client)
#            tnf-r1  10.0.2.1/24   fd00:2::1/64    MTU 1500
#   tnf-srv  tnf-s0  10.0.2.10/24  fd00:2::10/64   MTU 1500
#
# The client's link is 1500 bytes, so its SYN offers MSS 1460 (1440 over
# IPv6); the server sends 1500-byte packets, the router cannot forward them
# onto its 1280-byte link and answers each with an ICMP error naming MTU
# 1280; the server lowers its path MTU and sends the data again in smaller
# segments. The capture is taken on the server's link, with segmentation
# offloads off there (so the file shows the segments as they go on the
# wire), filter: TCP port 80 and the two ICMP errors. The server is Python's
# http.server serving a 6000-byte file; the client is curl.
#
# Usage: sudo captures/record-pmtu.sh   (needs root for namespaces and capture)
# Every wait is bounded; the namespaces go away on exit, failure or Ctrl-C.
set -euo pipefail

readonly NS_C=tnf-cli NS_R=tnf-rtr NS_S=tnf-srv
CAPDIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly CAPDIR
readonly NETNS="$CAPDIR/../tests/lib/netns.py"
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d)

log() { printf 'record-pmtu.sh: %s\n' "$*" >&2; }

cleanup() {
    "$PYTHON" "$NETNS" down "$NS_C" "$NS_R" "$NS_S" || true
    rm -rf -- "$WORK"
}
trap cleanup EXIT

# Background processes are started through netns.py exec, which execs: $! is
# then the process itself (a backgrounded shell function would be a subshell).
NSEXEC=("$PYTHON" "$NETNS" exec)
inr() { ip netns exec "$NS_R" "$@"; }
inc() { ip netns exec "$NS_C" "$@"; }
ins() { ip netns exec "$NS_S" "$@"; }

setup() {
    "$PYTHON" "$NETNS" down "$NS_C" "$NS_R" "$NS_S"
    for ns in "$NS_C" "$NS_R" "$NS_S"; do
        ip netns add "$ns"
        ip -n "$ns" link set lo up
    done
    ip link add tnf-c0 netns "$NS_C" type veth peer name tnf-r0 netns "$NS_R"
    ip link add tnf-s0 netns "$NS_S" type veth peer name tnf-r1 netns "$NS_R"
    inr sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
    for ns in "$NS_C" "$NS_R" "$NS_S"; do
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
            net.ipv6.conf.default.accept_dad=0
    done
    ip -n "$NS_C" addr add 10.0.1.5/24 dev tnf-c0
    ip -n "$NS_C" addr add fd00:1::5/64 dev tnf-c0 nodad
    ip -n "$NS_R" addr add 10.0.1.1/24 dev tnf-r0
    ip -n "$NS_R" addr add fd00:1::1/64 dev tnf-r0 nodad
    ip -n "$NS_R" addr add 10.0.2.1/24 dev tnf-r1
    ip -n "$NS_R" addr add fd00:2::1/64 dev tnf-r1 nodad
    ip -n "$NS_S" addr add 10.0.2.10/24 dev tnf-s0
    ip -n "$NS_S" addr add fd00:2::10/64 dev tnf-s0 nodad
    ip -n "$NS_R" link set tnf-r0 mtu 1280
    for pair in "$NS_C tnf-c0" "$NS_R tnf-r0" "$NS_R tnf-r1" "$NS_S tnf-s0"; do
        set -- $pair
        ip -n "$1" link set "$2" up
    done
    ip -n "$NS_C" route add default via 10.0.1.1
    ip -n "$NS_C" -6 route add default via fd00:1::1
    ip -n "$NS_S" route add default via 10.0.2.1
    ip -n "$NS_S" -6 route add default via fd00:2::1
    ins ethtool -K tnf-s0 tso off gso off gro off >/dev/null
    inr ethtool -K tnf-r1 tso off gso off gro off >/dev/null
}

# A 6000-byte page: enough for several full-size segments.
make_site() {
    mkdir -p "$WORK/site"
    "$PYTHON" - "$WORK/site/big.html" <<'EOF'
import sys
line = "<p>path MTU discovery: the router's next link carries 1280 bytes.</p>\n"
body = (line * 200)[:6000]
open(sys.argv[1], "w").write(body)
EOF
    touch -d '2024-01-01 00:00:00 UTC' "$WORK/site/big.html"
}

# record FILE FAMILY SERVER_ADDR URL [NS DEV]: captured on the server's link,
# or on DEV in NS.
record() {
    local file=$1 fam=$2 addr=$3 url=$4 ns=${5:-$NS_S} dev=${6:-tnf-s0} filter
    if [ "$fam" = 4 ]; then
        filter='tcp port 80 or icmp[icmptype] == 3 or (ip[6:2] & 0x3fff != 0)'
    else
        filter='tcp port 80 or (icmp6 and ip6[40] == 2)'
    fi
    "${NSEXEC[@]}" "$NS_S" "$PYTHON" -m http.server 80 --bind "$addr" --directory "$WORK/site" \
        >"$WORK/server.log" 2>&1 &
    local srv=$!
    "$PYTHON" "$NETNS" wait-listen "$NS_S" "$addr" 80 --pid "$srv" --what http.server
    "${NSEXEC[@]}" "$ns" tcpdump -i "$dev" -U --immediate-mode -w "$WORK/$file" "$filter" \
        >"$WORK/tcpdump.log" 2>&1 &
    local cap=$!
    "$PYTHON" "$NETNS" wait-text "$WORK/tcpdump.log" 'listening on' --pid "$cap" \
        --what tcpdump
    inc curl -s -o /dev/null --noproxy '*' --globoff --connect-timeout 5 --max-time 10 "$url"
    sleep 0.5
    "$PYTHON" "$NETNS" stop "$cap" --signal INT
    wait "$cap" 2>/dev/null || true
    "$PYTHON" "$NETNS" stop "$srv"
    wait "$srv" 2>/dev/null || true
    log "$file: $(tcpdump -r "$WORK/$file" 2>/dev/null | wc -l) packets"
}

setup
make_site
# Fragments first: with path-MTU discovery off the server sends its segments
# without DF, and the router fragments them onto its 1280-byte link; they
# are captured on the client's link, before the client puts them together.
# (First, because a path MTU learnt from the ICMP errors below would make
# the server send segments small enough to need no fragments.)
ins sysctl -qw net.ipv4.ip_no_pmtu_disc=1
inc ethtool -K tnf-c0 gro off >/dev/null
record frag-ipv4.pcap 4 10.0.2.10 'http://10.0.2.10/big.html' "$NS_C" tnf-c0
n=$(tcpdump -r "$WORK/frag-ipv4.pcap" 'ip[6:2] & 0x3fff != 0' 2>/dev/null | wc -l)
[ "$n" -ge 2 ] || { log "frag-ipv4.pcap: no fragments were captured"; exit 1; }
ins sysctl -qw net.ipv4.ip_no_pmtu_disc=0
record pmtu-ipv4.pcap 4 10.0.2.10 'http://10.0.2.10/big.html'
record pmtu-ipv6.pcap 6 fd00:2::10 'http://[fd00:2::10]/big.html'
for f in pmtu-ipv4.pcap pmtu-ipv6.pcap; do
    n=$(tcpdump -r "$WORK/$f" 'icmp or icmp6' 2>/dev/null | wc -l)
    [ "$n" -ge 1 ] || { log "$f: no ICMP error was captured"; exit 1; }
done
for f in pmtu-ipv4.pcap pmtu-ipv6.pcap frag-ipv4.pcap; do
    cp -- "$WORK/$f" "$CAPDIR/$f"
done
log "wrote pmtu-ipv4.pcap, pmtu-ipv6.pcap and frag-ipv4.pcap"
