#!/usr/bin/env bash
# Record the reference packet captures in captures/.
#
# Everything happens inside two network namespaces made here and removed on
# exit, joined by one veth pair, so no packet ever leaves this machine and no
# other traffic can end up in the files:
#
#   tn-client  tn-veth-c  10.0.1.5/24   fd00:1::5/64
#   tn-server  tn-veth-s  10.0.2.10/24  fd00:2::10/64
#
# The client is curl, the servers are Python's http.server (HTTP/1.0, server
# closes first) and nginx (HTTP/1.1 keep-alive, client closes first; also
# over TLS on port 443). All captures are taken on the client side. Files are
# first written to a scratch directory and only copied into captures/ once
# every one of them has passed the checks at the end, so a failed run leaves
# the old captures alone.
#
# The namespaces, the veth pair, the waits and the stopping of processes are
# tests/lib/netns.py's (shared with the live and kernel tests); the checks of
# each capture are captures/validate.py's.
#
# Usage: sudo captures/record.sh                  record and replace every file
#        sudo captures/record.sh --only NAME...   only these files, e.g.
#                                 --only http11-nginx-loss-ipv4.pcap
# (needs root for namespaces and capture). With --only, every other file in
# captures/ is left exactly as it is; a relinked file (-loop, -null, -raw)
# named alone is made from its source file as it is in captures/.
# Set PYTHON to use another interpreter for the Python server.

set -euo pipefail

readonly NS_C=tn-client NS_S=tn-server
readonly VETH_C=tn-veth-c VETH_S=tn-veth-s
readonly C4=10.0.1.5 S4=10.0.2.10
readonly C6=fd00:1::5 S6=fd00:2::10
# Capture filter of the recording in progress; the HTTPS one uses port 443.
FILTER='tcp port 80'
PYTHON=${PYTHON:-python3}

CAPDIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly CAPDIR

log() { printf 'record.sh: %s\n' "$*" >&2; }
die() { printf 'record.sh: error: %s\n' "$*" >&2; exit 1; }

# Every file this script makes, in recording order, with the side that must
# send the first FIN and the kind of checks to run on it (see check_capture).
readonly ALL_FILES=(
    http10-python-ipv4.pcap
    http10-python-ipv4.pcapng
    http10-python-ipv6.pcap
    http11-nginx-ipv4.pcap
    http11-nginx-ipv6.pcap
    http11-nginx-ipv4-sll2.pcap
    http11-nginx-keepalive-ipv4.pcap
    http11-nginx-loss-ipv4.pcap
    https-nginx-ipv4.pcap
    http11-nginx-ipv4-loop.pcap
    http10-python-ipv6-null.pcap
    http10-python-ipv4-raw.pcap
)
declare -A FIRST_FIN=(
    [http10-python-ipv4.pcap]=server
    [http10-python-ipv4.pcapng]=server
    [http10-python-ipv6.pcap]=server
    [http10-python-ipv4-raw.pcap]=server
    [http10-python-ipv6-null.pcap]=server
    [http11-nginx-ipv4.pcap]=client
    [http11-nginx-ipv6.pcap]=client
    [http11-nginx-ipv4-sll2.pcap]=client
    [http11-nginx-ipv4-loop.pcap]=client
    [http11-nginx-keepalive-ipv4.pcap]=client
    [http11-nginx-loss-ipv4.pcap]=client
    [https-nginx-ipv4.pcap]=client
)
declare -A KIND=(
    [http11-nginx-keepalive-ipv4.pcap]=keepalive
    [http11-nginx-loss-ipv4.pcap]=loss
    [https-nginx-ipv4.pcap]=tls
)
# Relinked files and the capture each is made from.
declare -A RELINK_SOURCE=(
    [http11-nginx-ipv4-loop.pcap]=http11-nginx-ipv4.pcap
    [http10-python-ipv6-null.pcap]=http10-python-ipv6.pcap
    [http10-python-ipv4-raw.pcap]=http10-python-ipv4.pcap
)

usage() {
    cat <<EOF
Usage: sudo $0 [--only NAME...]
Records the reference captures in $CAPDIR.
  --only NAME...   record (and replace) only the named files; the others in
                   captures/ are not touched. Known names:
$(printf '                     %s\n' "${ALL_FILES[@]}")
EOF
}

# The files to write into captures/ (all of them unless --only is given).
declare -A WANT=()
if (($# == 0)); then
    for f in "${ALL_FILES[@]}"; do WANT[$f]=1; done
else
    case $1 in
        -h | --help) usage; exit 0 ;;
        --only) shift ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
    (($# > 0)) || { usage >&2; die "--only needs at least one file name"; }
    for arg; do
        f=${arg##*/}
        [[ -n ${FIRST_FIN[$f]:-} ]] || { usage >&2; die "unknown capture name: $arg"; }
        WANT[$f]=1
    done
fi
want() { [[ -n ${WANT[$1]:-} ]]; }
want_any() {
    local f
    for f; do want "$f" && return 0; done
    return 1
}

[[ $EUID -eq 0 ]] || die "must run as root (sudo $0): namespaces and packet capture need it"
for tool in ip ss ethtool tcpdump dumpcap tshark nginx curl "$PYTHON"; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian: tcpdump tshark wireshark-common nginx-light curl iproute2 ethtool python3)"
done
if want http11-nginx-loss-ipv4.pcap; then
    command -v nft >/dev/null || die "nft not found (Debian: nftables)"
fi
if want https-nginx-ipv4.pcap; then
    command -v openssl >/dev/null || die "openssl not found (Debian: openssl)"
    for tool in taskset chrt nproc; do
        command -v "$tool" >/dev/null || die "$tool not found (Debian: util-linux, coreutils)"
    done
fi
readonly NETNS=$CAPDIR/../tests/lib/netns.py
for f in "$CAPDIR/relink.py" "$CAPDIR/validate.py" "$NETNS"; do
    [[ -f $f ]] || die "$f is missing"
done

WORK=$(mktemp -d -t tn-record.XXXXXX)
readonly WORK OUT=$WORK/out WWW=$WORK/www NGX=$WORK/nginx
mkdir -p "$OUT" "$WWW" "$NGX"

# PIDs of the background processes this script started and has not yet
# reaped, so the exit trap can stop exactly those and nothing else.
PIDS=()

forget_pid() {
    local keep=() p
    for p in "${PIDS[@]}"; do
        [[ $p == "$1" ]] || keep+=("$p")
    done
    PIDS=("${keep[@]}")
}

# The namespace library (tests/lib/netns.py): "netns up|down|wait-listen|
# wait-text|stop ...". Its waits are bounded (5 s) and it says what it
# waited for when one runs out.
netns() { "$PYTHON" "$NETNS" "$@"; }
# Runs a command in a namespace; the library execs it, so the PID is the
# command's. Background processes are started with this array rather than
# with nsc/nss below: a backgrounded shell function runs in a subshell, so
# $! would be the subshell and our signals would never reach the process.
NSEXEC=("$PYTHON" "$NETNS" exec)
# Shorthands for commands run to completion in a namespace.
nsc() { "${NSEXEC[@]}" "$NS_C" "$@"; }
nss() { "${NSEXEC[@]}" "$NS_S" "$@"; }

# Stop one process by PID and reap it; bounded (5 s), escalating to SIGKILL.
stop_pid() {
    netns stop --signal "$2" "$1" || true
    wait "$1" 2>/dev/null || true
    forget_pid "$1"
}

# Remove our namespaces, stale ones from an earlier, failed run too, and
# stop whatever still runs in them: this script started it.
delete_namespaces() { netns down "$NS_C" "$NS_S"; }

cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do
        stop_pid "$pid" TERM
    done
    delete_namespaces
    if ((rc != 0)) && [[ -n $(ls -A "$OUT" 2>/dev/null) ]]; then
        # Keep what was recorded so the failure can be looked into.
        log "FAILED (exit $rc); captures/ was not changed; scratch files kept in $WORK"
    else
        rm -rf -- "$WORK"
        ((rc == 0)) || log "FAILED (exit $rc); captures/ was not changed"
    fi
    exit "$rc"
}
trap cleanup EXIT
# Turn Ctrl-C / kill into a normal exit so the EXIT trap does the cleanup.
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- network

setup_network() {
    # veth offloads TCP segmentation by default, so one write() of 3000 bytes
    # would show up in the capture as a single 3000-byte "segment" that never
    # existed on any wire. Turn segmentation offload off so captures show
    # MSS-sized segments. Checksum offload stays on (see README.md). Each
    # side gets a device route to the other's subnet (see netns.py); stale
    # namespaces from an interrupted run are deleted first.
    netns up --ns "$NS_C" "$NS_S" --veth "$VETH_C" "$VETH_S" \
        --client "$C4/24" "$C6/64" --server "$S4/24" "$S6/64" \
        --offload-off tso gso || die "could not set up the namespaces"
}

# ---------------------------------------------------------------- content

# A fixed page of exactly 3000 bytes: the body needs three segments at the
# veth's 1500-byte MTU, and nginx and Python serve the very same file.
write_content() {
    cat >"$WWW/index.html" <<'HTML'
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tcpnarrate test page</title>
<style>
body { font-family: sans-serif; max-width: 40em; margin: 2em auto; line-height: 1.5; }
dt { font-weight: bold; margin-top: 0.8em; }
code { background: #eee; padding: 0 0.2em; }
</style>
</head>
<body>
<h1>tcpnarrate test page</h1>
<p>This page exists so that the reference packet captures of the tcpnarrate
project have a response body that does not fit in a single TCP segment. It is
about three thousand bytes long, which on a link with a 1500 byte MTU needs
three full-sized segments or a little less, depending on the TCP options in use.</p>

<h2>The life of one connection</h2>
<dl>
<dt>Opening handshake</dt>
<dd>The client sends a segment with the SYN flag and its initial sequence
number. The server answers with SYN and ACK, choosing its own initial sequence
number and acknowledging the client's. The client's ACK completes the
three-way handshake and both ends enter the ESTABLISHED state.</dd>
<dt>Request</dt>
<dd>The client writes an HTTP request such as <code>GET / HTTP/1.1</code>
followed by a few header lines and an empty line. The server acknowledges the
bytes it received, often in the same segment that carries the response.</dd>
<dt>Response</dt>
<dd>The server writes the status line, its headers and then this body. TCP
cuts the byte stream into segments no larger than the maximum segment size
announced in the handshake, and the client acknowledges them as they arrive,
usually every second segment when the delayed acknowledgement timer is in
effect.</dd>
<dt>Closing</dt>
<dd>The side that closes first sends FIN and moves to FIN-WAIT-1. The other
side acknowledges it and, once its application has also closed the socket,
sends its own FIN. The final ACK of that second FIN ends the exchange. The side
that closed first then waits in TIME-WAIT for twice the maximum segment
lifetime before the connection is forgotten.</dd>
</dl>

<h2>Who closes first?</h2>
<p>With HTTP/1.0 and no keep-alive, the server closes the connection as soon
as it has written the response. With HTTP/1.1 the connection stays open for
further requests, so a client that has nothing more to ask, such as
<code>curl</code> when it exits, is the one that closes first.</p>

<h2>Sequence numbers</h2>
<p>Every byte of data and each of the SYN and FIN flags uses one sequence
number. An acknowledgement number names the next byte the receiver expects,
so the acknowledgement of a FIN is one more than the sequence number the FIN
was sent with.</p>

<h2>Windows</h2>
<p>Each segment also carries a receive window: how many more bytes its sender
is willing to accept. Window scaling, agreed during the handshake, multiplies
that field so that it can describe buffers larger than 64 KiB.
A zero window tells the peer to stop sending more data.</p>

<p>Nothing on this page changes between recordings, so the captured body is
identical every time the captures are made again.</p>
</body>
</html>
HTML
    write_big_page
    local size page
    size=$(stat -c %s "$WWW/index.html")
    [[ $size == 3000 ]] || die "index.html is $size bytes, expected 3000"
    size=$(stat -c %s "$WWW/big.html")
    [[ $size == 30000 ]] || die "big.html is $size bytes, expected 30000"
    # A fixed mtime keeps Last-Modified (and nginx's ETag) the same on every
    # recording. nginx workers run as nobody and must be able to read it.
    for page in index.html big.html; do
        touch -d '2024-01-01 00:00:00 UTC' "$WWW/$page"
        chmod 0644 "$WWW/$page"
    done
    chmod 0755 "$WORK" "$WWW"
}

# big.html, for the capture with a lost segment: exactly 30000 bytes, about
# 21 segments, so the lost one is followed by plenty of others. The content
# is generated, but from fixed text only: the same bytes on every run.
write_big_page() {
    local head tail i
    head='<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tcpnarrate large test page</title>
</head>
<body>
<h1>tcpnarrate large test page</h1>
<p>Thirty thousand bytes of numbered lines, so that the response needs about
twenty TCP segments and one of them can go missing.</p>
<pre>
'
    tail='</pre>
</body>
</html>
'
    {
        printf '%s' "$head"
        # 63 bytes per line: "line 0001: ", 51 fixed characters, newline.
        for ((i = 1; i <= 459; i++)); do
            printf 'line %04d: %s\n' "$i" 'the quick brown fox jumps over the lazy dog 0123456'
        done
        printf '%s' "$tail"
    } >"$WWW/big.html"
    # Pad with an HTML comment to exactly 30000 bytes.
    local size pad
    size=$(stat -c %s "$WWW/big.html")
    pad=$((30000 - size - 8))   # "<!--" + "-->" + "\n"
    ((pad >= 0)) || die "big.html is already $size bytes before padding"
    {
        printf '<!--'
        printf '%*s' "$pad" '' | tr ' ' '.'
        printf -- '-->\n'
    } >>"$WWW/big.html"
}

# ---------------------------------------------------------------- servers

SERVER_PID=

# listening WHAT ADDR [PORT]: wait until the server just started listens
# on ADDR port ${3:-80}. The library asks the kernel (ss) rather than
# connecting: a test connection would be traffic we do not want anywhere
# near a capture.
listening() {
    netns wait-listen --pid "$SERVER_PID" --what "$1" "$NS_S" "$2" "${3:-80}" ||
        die "$1: not listening; server log: $(cat "$WORK"/server.log)"
}

start_python() {
    local bind=$1
    # Python's SimpleHTTPRequestHandler speaks HTTP/1.0 and closes the
    # connection right after the response: the server sends the first FIN.
    "${NSEXEC[@]}" "$NS_S" "$PYTHON" -m http.server 80 --bind "$bind" \
        --directory "$WWW" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    if [[ $bind == *:* ]]; then
        listening "python http.server on [$bind]:80" "$bind"
    else
        listening "python http.server on $bind:80" "$bind"
    fi
}

# Self-signed certificate for the HTTPS capture, made fresh in the scratch
# directory on every run (valid for one day, never used anywhere else).
make_certificate() {
    openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$S4" \
        -keyout "$NGX/key.pem" -out "$NGX/cert.pem" >"$NGX/openssl.log" 2>&1 ||
        die "openssl req failed: $(cat "$NGX/openssl.log")"
}

# Command nginx is run under (taskset, for the HTTPS capture).
NGINX_WRAP=()

# start_nginx [https]: plain HTTP on port 80 (IPv4 and IPv6), or with
# "https" TLS on 10.0.2.10:443 only.
start_nginx() {
    local mode=${1:-http} listen
    if [[ $mode == https ]]; then
        make_certificate
        # TLS 1.2 is nginx 1.22's own default; said explicitly so that a newer
        # nginx (TLS 1.3 by default from 1.23.4 on) makes the same kind of
        # capture, with the handshake messages readable on the wire.
        listen="listen $S4:443 ssl;
        ssl_protocols TLSv1.2;
        ssl_certificate $NGX/cert.pem;
        ssl_certificate_key $NGX/key.pem;"
    else
        listen="listen $S4:80;
        listen [$S6]:80;"
    fi
    # Temp paths are set because the compiled-in ones (/var/lib/nginx/...)
    # may not exist; nginx checks them at startup even if never used.
    cat >"$NGX/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $NGX/nginx.pid;
error_log $NGX/error.log;
events { worker_connections 64; }
http {
    access_log $NGX/access.log;
    client_body_temp_path $NGX/body;
    proxy_temp_path $NGX/proxy;
    fastcgi_temp_path $NGX/fastcgi;
    uwsgi_temp_path $NGX/uwsgi;
    scgi_temp_path $NGX/scgi;
    types { text/html html; }
    default_type application/octet-stream;
    server {
        $listen
        root $WWW;
        index index.html;
    }
}
EOF
    local args=(-p "$NGX/" -e "$NGX/error.log" -c "$NGX/nginx.conf")
    nss nginx -t -q "${args[@]}" || die "nginx rejected $NGX/nginx.conf: $(cat "$NGX/error.log")"
    # daemon off keeps the master in the foreground, so $! is its PID
    # (NGINX_WRAP, when set, is taskset, which execs nginx in turn).
    "${NSEXEC[@]}" "$NS_S" "${NGINX_WRAP[@]}" nginx "${args[@]}" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    if [[ $mode == https ]]; then
        listening "nginx on $S4:443" "$S4" 443
    else
        listening "nginx on $S4:80" "$S4"
        listening "nginx on [$S6]:80" "$S6"
    fi
}

stop_server() {
    # TERM, not INT: a background job of a non-interactive shell starts with
    # SIGINT ignored and Python keeps it that way. nginx's master passes TERM
    # on to its worker.
    stop_pid "$SERVER_PID" TERM
    SERVER_PID=
}

# ---------------------------------------------------------------- capture

CAP_PID=
CAP_FILE=

# start_capture TOOL FILE [extra tool args]
start_capture() {
    local tool=$1 file=$2 ready
    shift 2
    CAP_FILE=$file
    case $tool in
        tcpdump)
            # -U with --immediate-mode: every packet is written to the file
            # as soon as it is seen, nothing waits in a buffer for SIGINT.
            "${NSEXEC[@]}" "$NS_C" tcpdump -U --immediate-mode -w "$file" "$@" \
                "$FILTER" 2>"$file.log" &
            # Printed after the filter is installed and the socket is live.
            ready='listening on'
            ;;
        dumpcap)
            "${NSEXEC[@]}" "$NS_C" dumpcap -f "$FILTER" -w "$file" "$@" \
                2>"$file.log" &
            # "Capturing on ..." is printed before the device is opened;
            # "File: ..." only once the capture is open and the file exists.
            ready='^File: '
            ;;
        *) die "unknown capture tool $tool" ;;
    esac
    CAP_PID=$!
    PIDS+=("$CAP_PID")
    # ready is a regular expression for a line of the capturer's stderr.
    netns wait-text --pid "$CAP_PID" --what "$tool to start capturing" "$file.log" "$ready" ||
        die "$tool did not start capturing: $(cat "$file.log" 2>/dev/null)"
}

stop_capture() {
    local i size last=-1 stable=0 rc=0
    # The teardown's last ACK leaves a few microseconds after curl exits, and
    # libpcap's ring buffer may hold packets for up to a second (dumpcap
    # does not use immediate mode). Wait at least 1.5 s, then until the file
    # has stopped growing for half a second.
    sleep 1.5
    for ((i = 0; i < 50; i++)); do
        size=$(stat -c %s "$CAP_FILE")
        if [[ $size == "$last" ]]; then
            stable=$((stable + 1))
            ((stable < 5)) || break
        else
            stable=0
        fi
        last=$size
        sleep 0.1
    done
    ((stable >= 5)) || die "$CAP_FILE is still growing after 5 s; is other traffic on port 80?"

    # SIGINT makes tcpdump and dumpcap flush and close the file properly.
    netns stop --signal INT "$CAP_PID" || die "capture process $CAP_PID did not stop on SIGINT"
    wait "$CAP_PID" || rc=$?
    forget_pid "$CAP_PID"
    ((rc == 0)) || die "capture of $CAP_FILE exited with status $rc: $(cat "$CAP_FILE.log")"
    rm -f -- "$CAP_FILE.log"
    CAP_PID=
}

# Extra curl options for the server in use; set in main below.
CURL_EXTRA=()
# Environment for curl (only SSLKEYLOGFILE, for the HTTPS capture), and
# commands curl is run under (taskset and chrt, for the HTTPS capture).
CURL_ENV=()
CURL_WRAP=()

# fetch URL...: one curl run fetching every URL (over one connection if the
# server keeps it alive), each body to /dev/null, each status must be 200.
fetch() {
    local url outs=() codes want=
    for url; do
        outs+=(-o /dev/null)
        want+="200 "
    done
    # --noproxy '*': a proxy from the environment must never be used.
    # --globoff: so curl does not read [fd00:2::10] as a glob range.
    codes=$(nsc env "${CURL_ENV[@]}" "${CURL_WRAP[@]}" curl -s "${outs[@]}" --noproxy '*' --globoff \
        "${CURL_EXTRA[@]}" --connect-timeout 5 --max-time 10 -w '%{http_code} ' "$@") ||
        die "curl $* failed"
    [[ $codes == "$want" ]] || die "curl $*: HTTP status $codes, expected $want"
}

# record FILE URL TOOL [capture tool args]; URL may be several URLs
# separated by spaces, fetched by one curl run.
record() {
    local name=$1 url=$2 tool=$3 urls
    shift 3
    read -ra urls <<<"$url"
    log "recording $name"
    start_capture "$tool" "$OUT/$name" "$@"
    fetch "${urls[@]}"
    stop_capture
}

# record_loss FILE URL: like record with tcpdump on the client veth, but the
# server loses its third data segment on the way out, after TCP has handed
# it to the device, as if a wire had eaten it.
#
# Two things make a plain "drop" in the server's ip/inet output hook useless
# for this: (1) TCP hands the IP layer GSO super-packets of several segments
# (segmentation offload is off on the veth, but then the kernel segments in
# software just before the driver, below the netfilter hooks), so one drop
# loses several segments; (2) a drop in the output/postrouting hook comes
# back to TCP as an error from ip_local_out, so TCP keeps the segment queued
# and sends it again at once: the capture shows no gap and no retransmission.
# Hence: gso_max_segs 1 on the server veth, so each of TCP's packets is one
# segment, and a rule on the netdev egress hook of the server veth that
# diverts the segment to the server's own lo with "fwd" (the verdict is
# "stolen", which TCP sees as sent). lo hands the frame back up, addressed to
# the client's MAC address, and the server's IP layer discards it as not
# its own. Nothing reaches the client, nothing leaves the server namespace.
# numgen inc counts the segments the rule looks at, from 0, so "2" is the
# third segment that carries data; the retransmission is a later count and
# passes. The counter must show exactly one packet afterwards.
record_loss() {
    local name=$1 url=$2 segs ruleset
    segs=$(ip -d -netns "$NS_S" link show dev "$VETH_S" |
        sed -n 's/.* gso_max_segs \([0-9]*\).*/\1/p')
    [[ -n $segs ]] || die "cannot read gso_max_segs of $VETH_S"
    ip -netns "$NS_S" link set dev "$VETH_S" gso_max_segs 1
    nss nft -f - <<EOF || die "nft rejected the loss rule"
table netdev tn_loss {
    chain egress {
        type filter hook egress device "$VETH_S" priority filter; policy accept;
        ip saddr $S4 ip daddr $C4 tcp sport 80 tcp flags & (syn | fin | rst) == 0 ip length > 100 numgen inc mod 1000000 2 counter fwd to "lo"
    }
}
EOF
    record "$name" "$url" tcpdump -i "$VETH_C"
    ruleset=$(nss nft list table netdev tn_loss)
    nss nft delete table netdev tn_loss
    ip -netns "$NS_S" link set dev "$VETH_S" gso_max_segs "$segs"
    [[ $ruleset == *"counter packets 1 bytes 1514 "* ]] ||
        die "$name: the loss rule did not drop exactly one full segment: $ruleset"
}

# ---------------------------------------------------------------- checks

# check_capture FILE FIRST_FIN(client|server) [KIND [TLS-KEYLOG]]: the one
# TCP connection in the file must have the full handshake, a GET, a 200, a
# FIN from each side and an ACK for each FIN, and no RST; KIND (http,
# keepalive, loss, tls) adds checks. Prints a summary. See validate.py.
check_capture() {
    "$PYTHON" "$CAPDIR/validate.py" "$1" "$2" "$C4" "$C6" "${3:-http}" "${4:-}"
}

# The TCP fields that must survive relink.py unchanged.
tcp_fields() {
    tshark -n -r "$1" -T fields -e frame.time_epoch -e tcp.seq_raw \
        -e tcp.ack_raw -e tcp.flags -e tcp.len -e tcp.checksum 2>/dev/null
}

# relink SOURCE TARGET-NAME TO: from the source recorded in this run, or,
# if it was not recorded (--only), from the one in captures/.
relink() {
    local src=$OUT/$1 dst=$OUT/$2
    [[ -f $src ]] || src=$CAPDIR/$1
    [[ -f $src ]] || die "$1, the source of $2, is missing"
    "$PYTHON" "$CAPDIR/relink.py" -q --to "$3" "$src" "$dst"
    [[ -n $(tcp_fields "$src") ]] || die "tshark reads no TCP fields from $1"
    if ! diff <(tcp_fields "$src") <(tcp_fields "$dst") >"$WORK/relink.diff"; then
        die "$2 decodes differently from $1: $(head -5 "$WORK/relink.diff")"
    fi
}

# ---------------------------------------------------------------- main

setup_network
write_content

# Python sends Content-Length, so curl knows the body is complete the moment
# the last byte arrives and then closes its end, racing Python, which still
# has to return from its handler before it shuts the socket down. Both orders
# were seen in test runs. --ignore-content-length makes curl read until the
# server closes, so the server's FIN reliably comes first, as HTTP/1.0
# without keep-alive intends. The bytes on the wire are the same.
CURL_EXTRA=(--ignore-content-length)
if want_any http10-python-ipv4.pcap http10-python-ipv4.pcapng; then
    start_python "$S4"
    want http10-python-ipv4.pcap &&
        record http10-python-ipv4.pcap "http://$S4/" tcpdump -i "$VETH_C"
    want http10-python-ipv4.pcapng &&
        record http10-python-ipv4.pcapng "http://$S4/" dumpcap -i "$VETH_C"
    stop_server
fi

if want http10-python-ipv6.pcap; then
    start_python "$S6"
    record http10-python-ipv6.pcap "http://[$S6]/" tcpdump -i "$VETH_C"
    stop_server
fi

# Keep-alive: nginx would hold the connection open, so curl closing it on
# exit is what ends it, client first. No extra options.
CURL_EXTRA=()
if want_any http11-nginx-ipv4.pcap http11-nginx-ipv6.pcap http11-nginx-ipv4-sll2.pcap \
    http11-nginx-keepalive-ipv4.pcap http11-nginx-loss-ipv4.pcap; then
    start_nginx
    want http11-nginx-ipv4.pcap &&
        record http11-nginx-ipv4.pcap "http://$S4/" tcpdump -i "$VETH_C"
    want http11-nginx-ipv6.pcap &&
        record http11-nginx-ipv6.pcap "http://[$S6]/" tcpdump -i "$VETH_C"
    # -i any inside the client namespace: a cooked capture. tcpdump 4.99 picks
    # LINUX_SLL2 for "any" by itself; -y says so explicitly so that a tcpdump
    # that defaults to the older LINUX_SLL (113) gives the same file. The
    # checks below print the link type actually written (276).
    want http11-nginx-ipv4-sll2.pcap &&
        record http11-nginx-ipv4-sll2.pcap "http://$S4/" tcpdump -i any -y LINUX_SLL2
    # Two URLs in one curl run: curl reuses the kept-alive connection for the
    # second request and closes it when it exits.
    want http11-nginx-keepalive-ipv4.pcap &&
        record http11-nginx-keepalive-ipv4.pcap "http://$S4/ http://$S4/index.html" \
            tcpdump -i "$VETH_C"
    want http11-nginx-loss-ipv4.pcap &&
        record_loss http11-nginx-loss-ipv4.pcap "http://$S4/big.html"
    stop_server
fi

# HTTPS: nginx with a fresh self-signed certificate on port 443, curl -k.
# curl writes the TLS secrets to a key log file (SSLKEYLOGFILE) in the
# scratch directory, so that the checks can look inside the TLS stream; the
# key log is not kept.
#
# Who closes first would be a race here: curl sends a TLS close_notify alert
# and some 50 us later its FIN, and nginx closes its end as soon as it reads
# the alert. Left alone, nginx's FIN came first in about one run in ten, and
# in streaks. So nginx runs pinned to one CPU and curl on the same CPU at
# real-time priority (SCHED_FIFO): nginx cannot run, and so cannot read the
# alert, before curl has sent its FIN and exited. curl blocks while it waits
# for the server, so everything before the close goes as usual.
if want https-nginx-ipv4.pcap; then
    cpu=$(($(nproc) - 1))
    chrt -f 10 true 2>/dev/null || die "cannot run with SCHED_FIFO priority (chrt -f 10)"
    NGINX_WRAP=(taskset -c "$cpu")
    start_nginx https
    NGINX_WRAP=()
    FILTER='tcp port 443'
    CURL_EXTRA=(-k)
    CURL_ENV=("SSLKEYLOGFILE=$WORK/tls-keys.log")
    CURL_WRAP=(taskset -c "$cpu" chrt -f 10)
    record https-nginx-ipv4.pcap "https://$S4/" tcpdump -i "$VETH_C"
    CURL_WRAP=()
    FILTER='tcp port 80'
    CURL_EXTRA=()
    CURL_ENV=()
    stop_server
    [[ -s $WORK/tls-keys.log ]] || die "curl wrote no TLS key log (SSLKEYLOGFILE)"
fi

# The -loop, -null and -raw files: relinked copies of their source files.
for f in "${!RELINK_SOURCE[@]}"; do
    if want "$f"; then
        to=${f%.pcap}
        relink "${RELINK_SOURCE[$f]}" "$f" "${to##*-}"
    fi
done

log "checking captures"
files=()
for f in "${ALL_FILES[@]}"; do
    want "$f" || continue
    [[ -s $OUT/$f ]] || die "$f was not written"
    keylog=
    [[ $f == https-* ]] && keylog=$WORK/tls-keys.log
    check_capture "$OUT/$f" "${FIRST_FIN[$f]}" "${KIND[$f]:-http}" "$keylog"
    files+=("$f")
done

# Everything passed: only now replace the files in captures/, owned like the
# directory (not by root or tcpdump when run through sudo).
owner=$(stat -c %u:%g "$CAPDIR")
for f in "${files[@]}"; do
    install -m 0644 -o "${owner%:*}" -g "${owner#*:}" "$OUT/$f" "$CAPDIR/$f"
done
log "wrote ${#files[@]} captures to $CAPDIR: ${files[*]}"
