#!/usr/bin/env bash
# Record the real tunnel captures in captures/: TCP carried in VXLAN.
#
# Two network namespaces, made here and removed on exit, joined by one veth
# pair (the underlay); VXLAN devices on top of it carry the overlay:
#
#   tne-a  tne-va  192.0.2.1/24  2001:db8:1::1/64
#   tne-b  tne-vb  192.0.2.2/24  2001:db8:1::2/64
#
#   vxlan-ipv4.pcap       VNI 42 over IPv4,  overlay 10.42.0.1 -> 10.42.0.2
#   vxlan-ipv6.pcap       VNI 4242 over IPv6, overlay 10.43.0.1 -> 10.43.0.2
#
# The client is curl in tne-a, the server Python's http.server in tne-b on
# port 80; each capture is taken in tne-a on the underlay veth with the
# filter 'udp port 4789': the BPF filter sees the outer headers, as it does
# in tcpdump. This machine's kernel has no GRE, IP-in-IP, ip6tnl, Geneve or
# VLAN devices, so those captures are crafted (craft-tunnels.py).
#
# Usage: sudo captures/record-tunnels.sh   (root for namespaces and capture)
set -euo pipefail

readonly NS_A=tne-a NS_B=tne-b
CAPDIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly CAPDIR
SCRATCH=$(mktemp -d)
readonly SCRATCH
SERVER_PID=

log() { printf 'record-tunnels.sh: %s\n' "$*" >&2; }

cleanup() {
    if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; fi
    ip netns del "$NS_A" 2>/dev/null || true
    ip netns del "$NS_B" 2>/dev/null || true
    rm -rf -- "$SCRATCH"
}
trap cleanup EXIT

a() { ip netns exec "$NS_A" "$@"; }
b() { ip netns exec "$NS_B" "$@"; }

# One side: underlay addresses and a VXLAN device per overlay.
side() {
    local ns=$1 veth=$2 me=$3 peer=$4 me6=$5 peer6=$6 host=$7
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$me/24" dev "$veth"
    ip -n "$ns" addr add "$me6/64" dev "$veth" nodad
    ip -n "$ns" link set "$veth" up
    ip -n "$ns" link add vx42 type vxlan id 42 dstport 4789 local "$me" remote "$peer" dev "$veth"
    ip -n "$ns" link add vx4242 type vxlan id 4242 dstport 4789 local "$me6" remote "$peer6" \
        dev "$veth"
    ip -n "$ns" addr add "10.42.0.$host/24" dev vx42
    ip -n "$ns" addr add "10.43.0.$host/24" dev vx4242
    for d in vx42 vx4242; do ip -n "$ns" link set "$d" mtu 1400 up; done
}

setup() {
    cleanup_only() { ip netns del "$1" 2>/dev/null || true; }
    cleanup_only "$NS_A"
    cleanup_only "$NS_B"
    ip netns add "$NS_A"
    ip netns add "$NS_B"
    ip link add tne-va netns "$NS_A" type veth peer name tne-vb netns "$NS_B"
    side "$NS_A" tne-va 192.0.2.1 192.0.2.2 2001:db8:1::1 2001:db8:1::2 1
    side "$NS_B" tne-vb 192.0.2.2 192.0.2.1 2001:db8:1::2 2001:db8:1::1 2
    mkdir -p "$SCRATCH/www"
    printf 'hello through the tunnel\n' >"$SCRATCH/www/index.html"
    b python3 -m http.server 80 --bind 0.0.0.0 --directory "$SCRATCH/www" \
        >/dev/null 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 50); do
        b ss -ltn 2>/dev/null | grep -q ':80 ' && return 0
        sleep 0.1
    done
    log "server did not start"; exit 1
}

# record FILE URL: capture on the underlay while curl fetches URL once.
record() {
    local file=$1 url=$2 out=$SCRATCH/$1
    a timeout 20 tcpdump -i tne-va -U --immediate-mode -w "$out" 'udp port 4789' \
        2>"$SCRATCH/tcpdump.err" &
    local cap=$!
    for _ in $(seq 50); do grep -q listening "$SCRATCH/tcpdump.err" && break; sleep 0.1; done
    a curl -s -o /dev/null --noproxy '*' --connect-timeout 5 --max-time 10 "$url"
    sleep 1
    kill -INT "$cap"; wait "$cap" || true
    log "$file: $(tcpdump -r "$out" 2>/dev/null | wc -l) packets"
    cp -- "$out" "$CAPDIR/$file"
}

setup
record vxlan-ipv4.pcap http://10.42.0.2/
record vxlan-ipv6.pcap http://10.43.0.2/
