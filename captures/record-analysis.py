#!/usr/bin/env python3
"""Record the captures that show tshark's TCP analysis verdicts.

usage: sudo captures/record-analysis.py [--only NAME...] [--out DIR] [--keep]
                                        [--ns-prefix PREFIX]

Like record.sh, everything happens in two network namespaces made here and
deleted on exit (also after Ctrl-C or SIGTERM), joined by one veth pair, so
no packet leaves the machine:

    tnv-c  tnv-veth-c  10.0.1.5/24   fd00:1::5/64   (client: curl, or
                                                   this script)
    tnv-s  tnv-veth-s  10.0.2.10/24  fd00:2::10/64  (server: Python's
                                                   http.server, or this script)

The names differ from record.sh's and the tests' so that both can run at the
same time; --ns-prefix PREFIX makes them PREFIX-c, PREFIX-veth-c and so on,
for a second run next to this one (nothing in the files depends on them).
Segmentation offload is off on both ends (MSS-sized segments on the wire).
Each capture is tcpdump on the client's veth with the filter `tcp port 80`,
started before the client and stopped (SIGINT) once the file has stopped
growing. What each file is for, and how its traffic is made to
show it, is with each recording below and in captures/README.md.

Every file is checked with tshark (verdicts.py) right after it is recorded
and recorded again, up to three times, if it does not show what it is for.
Files are written to a scratch directory first and copied into captures/
(or --out DIR) only when all of them have passed; with --only, only the
named ones are recorded and replaced; --keep keeps the scratch directory.
The namespaces, waits and stopping of processes are tests/lib/netns.py's.
Needs root (namespaces, capture), ip, tc, nft, ethtool, ss, tcpdump, tshark
and curl; Python 3, standard library only.

The script also runs itself inside the namespaces for the clients and the
server that curl and http.server cannot play (the `_`-commands below).
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
import netns  # noqa: E402
from verdicts import verdicts  # noqa: E402

NS_C, NS_S = "tnv-c", "tnv-s"
VETH_C, VETH_S = "tnv-veth-c", "tnv-veth-s"
C4, S4 = "10.0.1.5", "10.0.2.10"
C6, S6 = "fd00:1::5", "fd00:2::10"
PORT = 80
FILTER = "tcp port %d" % PORT
TRIES = 3
# Served files: BIG for the lossy downloads, BULK for the lossier and
# longer one, MEDIUM for the slow reader, SMALL for the rest. Text lines of
# 64 bytes, the same bytes on every run.
BIG, BULK, MEDIUM, SMALL = "big.txt", "bulk.txt", "medium.txt", "index.html"
SIZES = {BIG: 2 * 1024 * 1024, BULK: 12 * 1024 * 1024, MEDIUM: 256 * 1024}


def log(msg):
    print("record-analysis.py: " + msg, file=sys.stderr, flush=True)


class Failed(Exception):
    pass


# ------------------------------------------------------------ in-namespace parts
# Run as `record-analysis.py _NAME ARGS` inside a namespace. Every socket has
# a timeout and every loop a bound in count and time.

def keepalive_options(s):
    """Keep-alive after 1 s idle, then every 1 s, give up after 3 misses."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)


def recv_until(s, done, limit, deadline):
    """Read from s until done(data) or EOF; at most limit reads and until
    deadline (time.monotonic)."""
    data = b""
    for _ in range(limit):
        if done(data) or time.monotonic() > deadline:
            break
        s.settimeout(max(0.1, deadline - time.monotonic()))
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def http_request(path):
    return ("GET /%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tcpnarrate-record\r\n"
            "Accept: */*\r\n\r\n" % (path, S4)).encode()


def body_complete(data):
    """An HTTP response in data has all of its Content-Length body."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


def cmd_slow_reader(a):
    """Zero window: a receive buffer of a.rcvbuf bytes (set before connect,
    so the window scale is chosen for it), a GET for a.path, then nothing
    read for a.stall seconds while the server keeps sending; then slow reads
    of 1 KiB every 50 ms for a.slow seconds, then everything to the end."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, a.rcvbuf)
    s.settimeout(5)
    s.connect((S4, PORT))
    s.sendall(http_request(a.path).replace(b"HTTP/1.1", b"HTTP/1.0"))
    time.sleep(a.stall)
    total = 0
    end = time.monotonic() + a.slow
    for _ in range(int(a.slow / 0.05) + 1):
        if time.monotonic() > end:
            break
        chunk = s.recv(1024)
        if not chunk:
            break
        total += len(chunk)
        time.sleep(0.05)
    deadline = time.monotonic() + 20
    for _ in range(100000):
        if time.monotonic() > deadline:
            raise SystemExit("slow reader: no EOF after 20 s")
        chunk = s.recv(65536)
        if not chunk:
            break
        total += len(chunk)
    s.close()
    print(total)


def cmd_keepalive_server(a):
    """Accept one connection, answer one request with a short 200, then hold
    the idle connection with keep-alive on until the client closes (at most
    a.hold seconds), and close."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((S4, PORT))
    ls.listen(1)
    ls.settimeout(a.hold)
    s, _ = ls.accept()
    ls.close()
    keepalive_options(s)
    end = time.monotonic() + a.hold
    recv_until(s, lambda d: b"\r\n\r\n" in d, 100, end)
    s.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
              b"Content-Length: 3\r\n\r\nok\n")
    rest = recv_until(s, lambda d: False, 100, end)
    s.close()
    if rest:
        raise SystemExit("keep-alive server: unexpected data %r" % rest[:40])


def cmd_keepalive_client(a):
    """Connect with keep-alive on, one request, read the response, stay
    idle a.idle seconds (the keep-alives go both ways), close."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    keepalive_options(s)
    s.settimeout(5)
    s.connect((S4, PORT))
    s.sendall(http_request(""))
    data = recv_until(s, body_complete, 100, time.monotonic() + 5)
    if not data.startswith(b"HTTP/1.1 200"):
        raise SystemExit("keep-alive client: no 200: %r" % data[:40])
    time.sleep(a.idle)
    s.close()


# ------------------------------------------------------------ the recordings

class Recorder:
    def __init__(self, work):
        self.work = work
        self.out = os.path.join(work, "out")
        self.www = os.path.join(work, "www")
        os.makedirs(self.out)
        os.makedirs(self.www)
        self.pair = netns.Pair(NS_C, NS_S, (VETH_C, VETH_S), [C4 + "/24", C6 + "/64"],
                               [S4 + "/24", S6 + "/64"], offloads_off=("tso", "gso"))
        self.servers = {}  # address: http.server process

    # ---- plumbing

    def ns(self, ns, *cmd, **kw):
        return netns.ns_run(ns, list(cmd), **kw)

    def nft(self, ns, ruleset):
        self.ns(ns, "nft", "-f", "-", input=ruleset)

    def self_cmd(self, *args):
        return [sys.executable, os.path.abspath(__file__)] + list(args)

    def write_content(self):
        text = b"the quick brown fox jumps over the lazy dog 0123456789ab\n"
        for name, size in SIZES.items():
            with open(os.path.join(self.www, name), "wb") as f:
                for i in range(size // 64):
                    f.write(b"%06d " % (i + 1) + text)
        page = (b"<!DOCTYPE html>\n<html><head><title>tcpnarrate</title></head>\n"
                b"<body><p>A small page for the TCP analysis captures.</p></body>\n"
                b"</html>\n")
        with open(os.path.join(self.www, SMALL), "wb") as f:
            f.write(page)
        for name in list(SIZES) + [SMALL]:
            path = os.path.join(self.www, name)
            # Fixed mtime: the same Last-Modified on every recording.
            os.utime(path, (1704067200, 1704067200))
            if name in SIZES and os.path.getsize(path) != SIZES[name]:
                raise Failed("%s is not %d bytes" % (name, SIZES[name]))

    def start_http_server(self, addr):
        """http.server on addr (S4 or S6), port 80."""
        logf = open(os.path.join(self.work, "server.log"), "ab")
        self.servers[addr] = self.pair.start(
            NS_S, [sys.executable, "-m", "http.server", str(PORT), "--bind", addr,
                   "--directory", self.www], stdout=logf, stderr=logf)
        logf.close()
        netns.wait_listen(NS_S, addr, PORT, self.servers[addr], "python http.server")

    def stop_server(self):
        for proc in self.servers.values():
            netns.stop(proc)
        self.servers.clear()

    def start_capture(self, path, snaplen):
        errpath = path + ".log"
        with open(errpath, "wb") as err:
            cmd = ["tcpdump", "-i", VETH_C, "-U", "--immediate-mode", "-w", path]
            if snaplen:
                cmd += ["-s", str(snaplen)]
            proc = self.pair.start(NS_C, cmd + [FILTER], stdout=subprocess.DEVNULL,
                                   stderr=err)
        netns.wait_for_text(errpath, "listening on", proc, "tcpdump to start capturing")
        return proc

    def stop_capture(self, proc, path):
        """Wait until the file has not grown for 0.5 s (at least 1 s, at
        most 10 s), then SIGINT, which makes tcpdump close the file."""
        time.sleep(1)
        last, still = -1, 0
        for _ in range(100):
            size = os.path.getsize(path)
            still = still + 1 if size == last else 0
            if still >= 5:
                break
            last = size
            time.sleep(0.1)
        else:
            raise Failed("%s still grows after 10 s" % path)
        if not netns.stop(proc, signal.SIGINT, grace=3) or proc.returncode != 0:
            raise Failed("tcpdump did not stop cleanly on SIGINT: "
                         + open(path + ".log").read().strip())
        os.unlink(path + ".log")

    def curl(self, *args, timeout=30):
        """curl in the client namespace; returns '%{http_code} %{size_download}'."""
        r = self.ns(NS_C, "curl", "-s", "-o", "/dev/null", "--noproxy", "*",
                    "--connect-timeout", "5", "--max-time", str(timeout - 5),
                    "-w", "%{http_code} %{size_download}\n", *args,
                    timeout=timeout, check=False)
        if r.returncode != 0:
            raise Failed("curl %s: exit %d" % (" ".join(args), r.returncode))
        return r.stdout.split()

    def record(self, name, snaplen, run, check):
        """Capture run() into name; check(path, verdicts) returns what is
        missing ("" if nothing). Up to TRIES recordings."""
        path = os.path.join(self.out, name)
        for attempt in range(1, TRIES + 1):
            log("recording %s (try %d of %d)" % (name, attempt, TRIES))
            if os.path.exists(path):
                os.unlink(path)
            cap = self.start_capture(path, snaplen)
            try:
                run()
            finally:
                self.stop_capture(cap, path)
            found = verdicts(path)
            missing = check(path, found)
            summary = ", ".join("%s %d" % (v, len(f)) for v, f in found.items())
            if not missing:
                log("%s: %s" % (name, summary or "no verdicts"))
                return
            log("%s does not show %s (tshark: %s)" % (name, missing, summary or "nothing"))
        raise Failed("%s: no good recording in %d tries" % (name, TRIES))

    # ---- what each file needs from tshark

    @staticmethod
    def need(found, *names):
        return ", ".join(n for n in names if n not in found)

    def fields(self, path, *fields, dfilter=None):
        cmd = ["tshark", "-n", "-r", path, "-T", "fields", "-E", "separator=\t"]
        if dfilter:
            cmd += ["-Y", dfilter]
        for f in fields:
            cmd += ["-e", f]
        r = netns.run(cmd, timeout=60)
        return [line.split("\t") for line in r.stdout.splitlines()]

    def tcp_counters(self, ns):
        """The namespace's TCP counters (/proc/net/snmp and netstat)."""
        counters = {}
        for table in ("/proc/net/snmp", "/proc/net/netstat"):
            lines = self.ns(ns, "cat", table).stdout.splitlines()
            for names, values in zip(lines[::2], lines[1::2]):
                if names.startswith(("Tcp:", "TcpExt:")):
                    counters.update(zip(names.split()[1:], map(int, values.split()[1:])))
        return counters

    def connections(self, path):
        return len({row[0] for row in self.fields(path, "tcp.stream")})

    # ---- the recordings

    def lossy_download(self, name, sack, ipv6=False, path=BIG, one_in=50,
                       min_retransmissions=1, max_bytes=None):
        """A download of path (the 2 MiB file) over a 20 Mbit/s link that
        loses about one in one_in (50) of the server's data segments.

        The link: a tbf qdisc on the server's veth (20 Mbit/s, 16 KB bucket,
        32 KB queue). The loss: an nftables rule on the netdev egress hook
        of the server's veth that diverts a random 1 in 50 of the server's
        data segments to the server's own lo (fwd), where the IP layer
        throws them away as addressed to another host. A drop in the
        server's ip output or postrouting hook, or a qdisc drop, would not
        do: TCP is told of those as local send errors and quietly sends the
        segment again, so the wire never shows a loss (see README.md, the
        loss capture of record.sh). gso_max_segs 1 on the server's veth
        makes each packet TCP hands down one segment, so one verdict is one
        segment. The retransmissions pass the same rule, so one can be lost
        again. sack False turns net.ipv4.tcp_sack off in both namespaces
        (it is IPv6's setting too). ipv6: the download is from S6 to C6 (the
        server on S6 must run), and the rule matches ip6 instead of ip, with
        the IPv6 payload length in place of the IPv4 total length. The check
        wants at least min_retransmissions retransmitted frames and, with
        max_bytes, a file of fewer bytes than that."""
        ip, server, client, url = "ip", S4, C4, "http://%s/%s" % (S4, path)
        if ipv6:
            ip, server, client, url = "ip6", S6, C6, "http://[%s]/%s" % (S6, path)
        rules = """table netdev tnv_loss {
    chain egress {
        type filter hook egress device "%s" priority filter; policy accept;
        %s saddr %s %s daddr %s tcp sport %d tcp flags & (syn | fin | rst) == 0 %s length > 100 numgen random mod %d 0 counter fwd to "lo"
    }
}
""" % (VETH_S, ip, server, ip, client, PORT, ip, one_in)

        def run():
            # --globoff: [S6] is not a glob. The bigger file takes longer.
            extra = ["--globoff"] if ipv6 else []
            out = self.curl(*extra, url, timeout=30 if path == BIG else 60)
            if out != ["200", str(SIZES[path])]:
                raise Failed("%s: curl got %s" % (name, " ".join(out)))

        def check(pcap, found):
            missing = self.need(found, "lost_segment", "duplicate_ack",
                                "fast_retransmission", "retransmission")
            sacks = self.fields(pcap, "frame.number",
                                dfilter="%s.src == %s && tcp.options.sack_le"
                                        % ("ipv6" if ipv6 else "ip", client))
            perm = self.fields(pcap, "frame.number", dfilter="tcp.options.sack_perm")
            if sack and not sacks:
                missing += " SACK blocks from the client"
            if not sack and (sacks or perm):
                missing += " (no SACK at all, but there is)"
            if self.connections(pcap) != 1:
                missing += " (one connection)"
            if len(found.get("retransmission", ())) < min_retransmissions:
                missing += " (%d retransmissions)" % min_retransmissions
            if max_bytes and os.path.getsize(pcap) >= max_bytes:
                missing += " (a file under %d bytes)" % max_bytes
            return missing.strip(", ")

        sysctl = "net.ipv4.tcp_sack=%d" % (1 if sack else 0)
        for ns in (NS_C, NS_S):
            self.ns(ns, "sysctl", "-qw", sysctl)
        self.ns(NS_S, "tc", "qdisc", "replace", "dev", VETH_S, "root", "tbf",
                "rate", "20mbit", "burst", "16kb", "limit", "32kb")
        self.ns(NS_S, "ip", "link", "set", "dev", VETH_S, "gso_max_segs", "1")
        try:
            self.nft(NS_S, rules)
            try:
                self.record(name, 128, run, check)
            finally:
                qdisc = self.ns(NS_S, "tc", "-s", "qdisc", "show", "dev", VETH_S).stdout
                dropped = re.search(r"dropped (\d+)", qdisc)
                log("%s: the tbf qdisc dropped %s packets in all tries"
                    % (name, dropped.group(1) if dropped else "?"))
                listed = self.ns(NS_S, "nft", "list", "table", "netdev", "tnv_loss").stdout
                self.ns(NS_S, "nft", "delete", "table", "netdev", "tnv_loss")
                counted = re.search(r"counter (packets \d+ bytes \d+)", listed)
                log("%s: the loss rule took %s in all tries"
                    % (name, counted.group(1) if counted else "nothing"))
        finally:
            self.ns(NS_S, "ip", "link", "set", "dev", VETH_S, "gso_max_segs", "65535")
            self.ns(NS_S, "tc", "qdisc", "del", "dev", VETH_S, "root", check=False)
            for ns in (NS_C, NS_S):
                self.ns(ns, "sysctl", "-qw", "net.ipv4.tcp_sack=1")

    def zero_window(self, name):
        """A slow reader: 4096-byte SO_RCVBUF, 3 s without reading, 2 s of
        slow reads, then the rest of the 256 KiB file."""
        def run():
            r = self.ns(NS_C, *self.self_cmd("_slow-reader", "--path", MEDIUM,
                                             "--rcvbuf", "4096", "--stall", "3",
                                             "--slow", "2"), timeout=40, check=False)
            if r.returncode != 0:
                raise Failed("slow reader: %s" % r.stderr.strip())
            if int(r.stdout) < SIZES[MEDIUM]:
                raise Failed("slow reader read only %s bytes" % r.stdout.strip())

        def check(path, found):
            # Linux probes a zero window with a segment that repeats the last
            # byte already acknowledged and carries none: tshark calls that a
            # keep-alive (a zero window probe is one new byte to tshark), and
            # the answer, whose window is 0, neither a keep-alive ACK nor a
            # zero window probe ACK. So keep_alive is what shows the probes.
            return self.need(found, "zero_window", "window_full", "window_update",
                             "keep_alive")

        self.record(name, 128, run, check)

    def keepalive(self, name):
        """One request and response, then the connection idle for 4 s with
        keep-alive on both ends (1 s idle, 1 s interval, 3 probes)."""
        def run():
            server = self.pair.start(NS_S, self.self_cmd("_keepalive-server", "--hold", "15"))
            netns.wait_listen(NS_S, S4, PORT, server, "keep-alive server")
            r = self.ns(NS_C, *self.self_cmd("_keepalive-client", "--idle", "4"),
                        timeout=20, check=False)
            if r.returncode != 0:
                raise Failed("keep-alive client: %s" % r.stderr.strip())
            netns.stop(server, None, grace=5)
            if server.returncode != 0:
                raise Failed("keep-alive server exited with %d" % server.returncode)

        def check(path, found):
            return self.need(found, "keep_alive", "keep_alive_ack")

        self.record(name, 0, run, check)

    def request_retransmit(self, name):
        """curl's GET is lost once: an nftables rule in the server namespace
        (inet input hook) drops the first segment from the client that
        carries data, so the request is sent again on a timer."""
        rules = """table inet tnv_drop {
    chain input {
        type filter hook input priority filter; policy accept;
        ip saddr %s ip daddr %s tcp dport %d tcp flags & (syn | fin | rst) == 0 ip length > 60 numgen inc mod 1000000 0 counter drop
    }
}
""" % (C4, S4, PORT)

        def run():
            self.nft(NS_S, rules)
            before = self.tcp_counters(NS_C)
            try:
                out = self.curl("http://%s/%s" % (S4, SMALL))
                after = self.tcp_counters(NS_C)
                log("%s: the client's counters went up by: %s" % (name, ", ".join(
                    "%s %d" % (k, after[k] - before[k]) for k in
                    ("TCPLossProbes", "TCPTimeouts", "RetransSegs"))))
            finally:
                listed = self.ns(NS_S, "nft", "list", "table", "inet", "tnv_drop").stdout
                self.ns(NS_S, "nft", "delete", "table", "inet", "tnv_drop")
            if out[0] != "200":
                raise Failed("curl got %s" % " ".join(out))
            if "counter packets 1 " not in listed:
                raise Failed("the drop rule did not drop exactly one segment: " + listed)

        def check(path, found):
            rtx = self.fields(path, "frame.number",
                              dfilter="ip.src == %s && tcp.len > 0 && "
                                      "tcp.analysis.retransmission" % C4)
            return "" if rtx else "a retransmitted request"

        self.record(name, 0, run, check)

    def reused_ports(self, name):
        """Two curl runs from client port 40000, one right after the other.
        http.server closes first, so its end of the first connection is in
        TIME-WAIT and the client's port is free; the server's TIME-WAIT
        accepts the new SYN (higher sequence number and timestamp).
        --ignore-content-length makes curl wait for the server's FIN."""
        def run():
            for _ in range(2):
                out = self.curl("--local-port", "40000", "--ignore-content-length",
                                "http://%s/%s" % (S4, SMALL))
                if out[0] != "200":
                    raise Failed("curl got %s" % " ".join(out))
                time.sleep(0.1)

        def check(path, found):
            missing = self.need(found, "reused_ports")
            syns = self.fields(path, "tcp.srcport", dfilter="tcp.flags == 0x002")
            if [r[0] for r in syns] != ["40000", "40000"]:
                missing += " (two SYNs from port 40000)"
            return missing.strip()

        self.record(name, 0, run, check)


# (file name, the address http.server listens on, method, its keyword
# arguments) in recording order. The keep-alive recording has no http.server:
# its own server takes port 80.
RECORDINGS = (
    ("analysis-loss-sack.pcap", S4, "lossy_download", dict(sack=True)),
    ("analysis-loss-nosack.pcap", S4, "lossy_download", dict(sack=False)),
    ("analysis-zero-window.pcap", S4, "zero_window", {}),
    ("analysis-request-retransmit.pcap", S4, "request_retransmit", {}),
    ("analysis-reused-ports.pcap", S4, "reused_ports", {}),
    ("analysis-keepalive.pcap", None, "keepalive", {}),
    ("analysis-loss-bulk.pcap", S6, "lossy_download",
     dict(sack=True, ipv6=True, path=BULK, one_in=20, min_retransmissions=300,
          max_bytes=4000000)),
)


def record_all(names, keep, dest):
    for tool in ("ip", "tc", "nft", "ethtool", "ss", "tcpdump", "tshark", "curl"):
        if not shutil.which(tool):
            raise Failed("%s not found (Debian: iproute2 nftables ethtool tcpdump "
                         "tshark curl)" % tool)
    work = tempfile.mkdtemp(prefix="tn-record-analysis.")
    os.chmod(work, 0o755)
    rec = Recorder(work)
    ok = False
    netns.raise_on_signals()
    try:
        rec.pair.up()
        rec.write_content()
        todo = [r for r in RECORDINGS if r[0] in names]
        for name, addr, method, kwargs in todo:
            if addr is None:
                rec.stop_server()
            elif addr not in rec.servers:
                rec.start_http_server(addr)
            getattr(rec, method)(name, **kwargs)
        rec.stop_server()
        st = os.stat(dest)
        for name, _, _, _ in todo:
            dst = os.path.join(dest, name)
            shutil.copyfile(os.path.join(rec.out, name), dst)
            os.chmod(dst, 0o644)
            os.chown(dst, st.st_uid, st.st_gid)
        log("wrote to %s: %s" % (dest, " ".join(r[0] for r in todo)))
        ok = True
    finally:
        netns.ignore_signals()
        rec.pair.down()
        if ok and not keep:
            shutil.rmtree(work)
        else:
            log("scratch files kept in %s%s" % (work, "" if ok else "; nothing written to " + dest))


def main(argv):
    ap = argparse.ArgumentParser(prog="record-analysis.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", nargs="+", metavar="NAME",
                    help="record only these files (names as in captures/)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch directory")
    ap.add_argument("--out", default=HERE, metavar="DIR",
                    help="where to put the files (default: captures/, this directory)")
    ap.add_argument("--ns-prefix", default="tnv", metavar="PREFIX",
                    help="name the namespaces PREFIX-c and PREFIX-s, the veth ends "
                         "PREFIX-veth-c and PREFIX-veth-s (default: tnv)")
    sub = ap.add_subparsers(dest="part")
    p = sub.add_parser("_slow-reader")
    p.add_argument("--path", required=True)
    p.add_argument("--rcvbuf", type=int, required=True)
    p.add_argument("--stall", type=float, required=True)
    p.add_argument("--slow", type=float, required=True)
    p = sub.add_parser("_keepalive-server")
    p.add_argument("--hold", type=float, required=True)
    p = sub.add_parser("_keepalive-client")
    p.add_argument("--idle", type=float, required=True)
    a = ap.parse_args(argv)
    if a.part:
        {"_slow-reader": cmd_slow_reader, "_keepalive-server": cmd_keepalive_server,
         "_keepalive-client": cmd_keepalive_client}[a.part](a)
        return 0

    known = [r[0] for r in RECORDINGS]
    names = set(known)
    if a.only:
        names = {os.path.basename(n) for n in a.only}
        unknown = sorted(names - set(known))
        if unknown:
            ap.error("unknown capture %s; known: %s" % (", ".join(unknown), " ".join(known)))
    if not re.fullmatch(r"[a-z][a-z0-9]{0,4}", a.ns_prefix):
        ap.error("--ns-prefix: 1 to 5 lower-case letters and digits, "
                 "a letter first (interface names have at most 15 characters)")
    global NS_C, NS_S, VETH_C, VETH_S
    NS_C, NS_S = a.ns_prefix + "-c", a.ns_prefix + "-s"
    VETH_C, VETH_S = a.ns_prefix + "-veth-c", a.ns_prefix + "-veth-s"
    if os.geteuid() != 0:
        log("error: must run as root (namespaces and packet capture need it)")
        return 1
    try:
        record_all(names, a.keep, a.out)
    except (Failed, netns.Error, subprocess.TimeoutExpired) as e:
        log("error: %s" % e)
        return 1
    except netns.Interrupted as e:
        log(str(e))
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
