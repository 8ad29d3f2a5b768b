#!/usr/bin/env python3
"""record_big.py — record the benchmark's big capture: real, mixed TCP traffic
made in two network namespaces on this machine, never on a real network.

What is in it (all captured on the client's end of one veth pair, snaplen 128):
  - thousands of short HTTP/1.0 connections from `ab` (apache2-utils), over
    IPv4 and over IPv6: each one a handshake, a request, a response, a close;
  - keep-alive connections (`ab -k`), many requests each, IPv4 and IPv6;
  - bulk downloads (curl) of a large file from a second port, sent through a
    rate-limited link (an htb class with a short packet fifo: queue drops)
    and a random drop of a few segments in a thousand (nftables numgen),
    both in a router namespace between server and client:
    losses, retransmissions, duplicate ACKs and SACK, while the short
    connections run beside them.

The namespaces (tnp-client, tnp-router, tnp-server), their veth pairs and
every process started in them are removed at the end, also on SIGINT/SIGTERM/SIGHUP
(tests/lib/netns.py's waits and stops). Every loop and wait is bounded. Needs root, ip, tc,
nft, nginx, ab, curl and tcpdump; exits 77 when one is missing.

The file is written under a cache directory, never into the source tree:
$XDG_CACHE_HOME/tcpnarrate/bench (or ~/.cache/...), big.pcap, unless --out.

usage: record_big.py [--out PATH] [--scale F] [--force]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import netns  # noqa: E402
from netns import in_ns, run  # noqa: E402

NS_C, NS_R, NS_S = "tnp-client", "tnp-router", "tnp-server"
VETH_C, VETH_S = "tnp-vc", "tnp-vs"
C4, S4, C6, S6 = "10.77.1.5", "10.77.2.10", "fd77:1::5", "fd77:2::10"
R4C, R4S, R6C, R6S = "10.77.1.1", "10.77.2.1", "fd77:1::1", "fd77:2::1"
NEEDED = ("ip", "tc", "nft", "nginx", "ab", "curl", "tcpdump", "ethtool")
BULK_MB = 40


def cache_path():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tcpnarrate", "bench", "big.pcap")


def nginx_conf(tmp):
    listen = "".join("listen %s:%d; " % (a, p) for a in (S4, "[%s]" % S6) for p in (80,))
    bulk = "".join("listen %s:8080; " % a for a in (S4, "[%s]" % S6))
    return """daemon off; worker_processes 2; pid %(t)s/nginx.pid; error_log %(t)s/error.log;
events { worker_connections 2048; }
http { access_log off; keepalive_requests 1000000; keepalive_timeout 30s;
  server { %(l)s root %(t)s/www; }
  server { %(b)s root %(t)s/www; sendfile off; }
}
""" % {"t": tmp, "l": listen, "b": bulk}


class Path:
    """client — router — server: three namespaces, two veth pairs, IPv4 and
    IPv6, the router forwarding. The losses happen in the router, on the
    way from the server to the capture point, so the capture sees real gaps
    (a drop at the sender itself would be reported to its TCP, not lost)."""
    LINKS = ((NS_C, VETH_C, C4, C6, NS_R, "tnp-rc", R4C, R6C),
             (NS_S, VETH_S, S4, S6, NS_R, "tnp-rs", R4S, R6S))

    def __init__(self):
        self.procs = []

    def up(self):
        self.down()
        for ns in (NS_C, NS_R, NS_S):
            run(["ip", "netns", "add", ns])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        for ns, dev, a4, a6, rns, rdev, r4, r6 in self.LINKS:
            run(["ip", "link", "add", dev, "netns", ns, "type", "veth", "peer", "name", rdev,
                 "netns", rns])
            for n, d, v4, v6 in ((ns, dev, a4, a6), (rns, rdev, r4, r6)):
                run(["ip", "-n", n, "addr", "add", v4 + "/24", "dev", d])
                run(["ip", "-n", n, "addr", "add", v6 + "/64", "dev", d, "nodad"])
                run(["ip", "-n", n, "link", "set", d, "up"])
                # Segments of one MTU each, as on a real wire (no TSO/GRO giants).
                run(in_ns(n, "ethtool", "-K", d, "tso", "off", "gso", "off", "gro", "off"),
                    check=False)
            run(["ip", "-n", ns, "route", "add", "default", "via", r4])
            run(["ip", "-n", ns, "-6", "route", "add", "default", "via", r6])
        run(in_ns(NS_R, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1"))
        run(in_ns(NS_R, "sysctl", "-q", "-w", "net.ipv6.conf.all.forwarding=1"))
        run(in_ns(NS_C, "sysctl", "-q", "-w", "net.ipv4.ip_local_port_range=1024 65000"))
        run(in_ns(NS_C, "sysctl", "-q", "-w", "net.ipv4.tcp_tw_reuse=1"))
        for ns, dev in ((NS_C, VETH_C), (NS_S, VETH_S), (NS_R, "tnp-rc"), (NS_R, "tnp-rs")):
            netns.wait_for(lambda: "LOWER_UP" in run(["ip", "-n", ns, "-o", "link", "show", "dev",
                                                      dev]).stdout, "%s to come up" % dev)

    def start(self, ns, cmd, **kw):
        p = subprocess.Popen(in_ns(ns, *cmd), **kw)
        self.procs.append(p)
        return p

    def down(self):
        for p in self.procs:
            netns.stop(p)
        self.procs.clear()
        netns.delete(NS_C, NS_R, NS_S)


def shape_router():
    """Bulk replies (source port 8080) leave the router towards the client
    through a 200 Mbit/s htb class whose leaf is a 100-packet fifo (it
    overflows: queue drops); everything else through a fast class. An
    nftables rule in the router drops 4 in 1000 bulk segments at random."""
    dev = "tnp-rc"
    tc = ["ip", "netns", "exec", NS_R, "tc"]
    run(tc + ["qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", "20"])
    run(tc + ["class", "add", "dev", dev, "parent", "1:", "classid", "1:10", "htb",
              "rate", "200mbit", "ceil", "200mbit"])
    run(tc + ["class", "add", "dev", dev, "parent", "1:", "classid", "1:20", "htb",
              "rate", "10gbit"])
    run(tc + ["qdisc", "add", "dev", dev, "parent", "1:10", "handle", "10:", "pfifo",
              "limit", "100"])
    for prio, proto, match in (("1", "ip", "ip"), ("2", "ipv6", "ip6")):
        run(tc + ["filter", "add", "dev", dev, "parent", "1:", "protocol", proto, "prio", prio,
                  "u32", "match", match, "sport", "8080", "0xffff", "flowid", "1:10"])
    rules = """table inet tnp_bench {
  chain lossy { type filter hook forward priority 0; policy accept;
    tcp sport 8080 numgen random mod 1000 < 4 drop; }
}
"""
    run(in_ns(NS_R, "nft", "-f", "-"), input=rules)


def traffic(pair, scale, log):
    """The load, in two overlapping halves: bulk downloads in the background
    while ab runs its short and keep-alive connections. Every command has a
    time limit."""
    n_short = int(25000 * scale)
    n_keep = int(150000 * scale)
    bulk = []
    for i, host in enumerate((S4, "[%s]" % S6, S4, "[%s]" % S6)):
        bulk.append(pair.start(NS_C, ["curl", "-s", "-o", "/dev/null", "--noproxy", "*",
                                      "-m", "240", "http://%s:8080/bulk%d.bin" % (host, i % 2)],
                               stdout=log, stderr=log))
    jobs = [(["-n", str(n_short), "-c", "16"], S4), (["-n", str(n_short), "-c", "16"], "[%s]" % S6),
            (["-k", "-n", str(n_keep), "-c", "8"], S4),
            (["-k", "-n", str(n_keep * 2 // 3), "-c", "8"], "[%s]" % S6)]
    for args, host in jobs:
        cmd = in_ns(NS_C, "ab", "-q", "-r", "-s", "10") + args + ["http://%s/small.html" % host]
        subprocess.run(cmd, stdout=log, stderr=log, timeout=300, check=False)
    for p in bulk:
        netns.stop(p, sig=None, grace=240)


def record(out, scale):
    tmp = tempfile.mkdtemp(prefix="tnp-bench-")
    os.chmod(tmp, 0o755)   # nginx's workers run as nobody and read the pages
    pair = Path()
    part = out + ".part"
    try:
        netns.raise_on_signals()
        os.makedirs(os.path.join(tmp, "www"))
        with open(os.path.join(tmp, "www", "small.html"), "wb") as f:
            f.write(b"<html><body>" + b"tcpnarrate benchmark page " * 40 + b"</body></html>\n")
        for i in range(2):
            with open(os.path.join(tmp, "www", "bulk%d.bin" % i), "wb") as f:
                f.write(os.urandom(BULK_MB << 20))
        with open(os.path.join(tmp, "nginx.conf"), "w") as f:
            f.write(nginx_conf(tmp))
        pair.up()
        shape_router()
        ng = pair.start(NS_S, ["nginx", "-c", os.path.join(tmp, "nginx.conf")],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        netns.wait_listen(NS_S, S4, 80, ng, "nginx")
        netns.wait_listen(NS_S, S6, 8080, ng, "nginx")
        cap_log = os.path.join(tmp, "tcpdump.log")
        with open(cap_log, "w") as cl:
            cap = pair.start(NS_C, ["tcpdump", "-i", VETH_C, "-s", "128", "-B", "65536", "-n", "-Z", "root",
                                    "-w", part, "tcp"], stdout=cl, stderr=cl)
        netns.wait_for_text(cap_log, "listening on", cap, "tcpdump")
        with open(os.path.join(tmp, "load.log"), "w") as log:
            traffic(pair, scale, log)
        netns.stop(cap, grace=20)
        with open(cap_log) as f:
            sys.stderr.write(f.read())
        os.replace(part, out)
    finally:
        netns.ignore_signals()
        pair.down()
        shutil.rmtree(tmp, ignore_errors=True)
        if os.path.exists(part):
            os.unlink(part)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=cache_path())
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiplies the number of ab requests (0.05 for a quick look)")
    ap.add_argument("--force", action="store_true", help="record again even if the file exists")
    a = ap.parse_args()
    if os.path.exists(a.out) and not a.force:
        print(a.out)
        return 0
    missing = [t for t in NEEDED if not shutil.which(t)]
    if os.geteuid() != 0 or missing:
        print("record_big.py: needs root and %s (missing: %s)"
              % (", ".join(NEEDED), ", ".join(missing) or "root"), file=sys.stderr)
        return 77
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    try:
        record(os.path.abspath(a.out), a.scale)
    except (netns.Error, netns.Interrupted, subprocess.SubprocessError, OSError) as e:
        print("record_big.py: %s" % e, file=sys.stderr)
        return 1
    print(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
