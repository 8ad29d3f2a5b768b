#!/usr/bin/env python3
"""Records bulk TCP transfers whose sender runs a chosen congestion control,
for the accuracy tests of tcpnarrate's limits and congestion verdicts.

Three network namespaces (PREFIX-snd, PREFIX-rly, PREFIX-rcv) in a line. The
relay namespace holds every packet for a chosen time WITHOUT netem: its
routes send traffic between the two veths into a TUN device; this script
reads each packet from it, keeps it for the delay, and writes it into a
second TUN device, from which the kernel forwards it on (policy routing by
input interface). The relay's egress toward the receiver carries a tbf
bottleneck (rate, queue size); nftables drops data packets at random
(numgen random mod N). The sender's namespace sets
net.ipv4.tcp_congestion_control where it may, and the sending socket
always sets TCP_CONGESTION (a namespace may refuse the sysctl); its veth has TSO/GSO off so that the
capture (tcpdump on the sender's veth, snaplen 128) shows wire segments.
At the end of each flow the sender's `ss -tin` line is saved (busy,
rwnd_limited, sndbuf_limited, and the count of retransmitted segments). Kinds
of flow: plain bulk; a slow reader (8 KiB at a time, at 0.3, 0.5 or 0.7 of the
path's rate); a small receive buffer (16, 32 or 64 KiB); an application that
pauses 250 ms six times, each time once its send queue is empty (so that the
wire pauses too), and records how long it paused. --mix chooses how often
each kind comes (see MIXES; "balanced" gives every algorithm the same kinds).
A flow whose sender never got going (no busy time) is left out.

Usage: record.py --out DIR --flows N --seed S [--prefix tnc-] [--mix default]
Writes DIR/NNN-ALGO.pcap and DIR/flows.json (the ground truth). Root only.
Every loop is bounded; the namespaces are removed at the end, even on error.
"""
import argparse, fcntl, json, os, random, select, socket, struct, subprocess, sys
import threading, time, collections, ctypes

LIBC = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def setns(fd):
    if LIBC.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns")

TUNSETIFF = 0x400454ca
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
MAX_QUEUE = 20000          # packets held by the relay at most (more are dropped, counted)


def sh(cmd, check=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check and r.returncode:
        raise RuntimeError(f"{cmd}: {r.stderr.strip()}")
    return r.stdout


def ns(name, cmd, check=True):
    return sh(f"ip netns exec {name} {cmd}", check)


def tun_open(name):
    fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    os.set_blocking(fd, False)
    return fd


class Relay:
    """Holds each packet read from tun `a` for `delay` seconds, then writes it to tun `b`."""

    def __init__(self, a, b, delay):
        self.a, self.b, self.delay = a, b, delay
        self.q = collections.deque()
        self.stop = False
        self.dropped = 0

    def run(self):
        while not self.stop:
            now = time.monotonic()
            while self.q and self.q[0][0] <= now:
                try:
                    os.write(self.b, self.q.popleft()[1])
                except OSError:
                    self.dropped += 1
            wait = (self.q[0][0] - now) if self.q else 0.05
            r, _, _ = select.select([self.a], [], [], max(0.0, min(wait, 0.05)))
            for _ in range(256 if r else 0):       # bounded burst per wake-up
                try:
                    pkt = os.read(self.a, 65536)
                except BlockingIOError:
                    break
                if len(self.q) >= MAX_QUEUE:
                    self.dropped += 1
                else:
                    self.q.append((time.monotonic() + self.delay, pkt))


def setup(p, algo, rate_mbit, queue_bytes, loss_mod, relay_ns_setup=True):
    s, r, m = p + "snd", p + "rcv", p + "rly"
    for n in (s, r, m):
        sh(f"ip netns add {n}")
    sh(f"ip link add {p}s0 netns {s} type veth peer name {p}s1 netns {m}")
    sh(f"ip link add {p}r0 netns {r} type veth peer name {p}r1 netns {m}")
    ns(s, f"ip addr add 10.77.1.1/24 dev {p}s0")
    ns(m, f"ip addr add 10.77.1.2/24 dev {p}s1")
    ns(r, f"ip addr add 10.77.2.1/24 dev {p}r0")
    ns(m, f"ip addr add 10.77.2.2/24 dev {p}r1")
    for n, d in ((s, p + "s0"), (m, p + "s1"), (m, p + "r1"), (r, p + "r0")):
        ns(n, f"ip link set {d} up")
        ns(n, "ip link set lo up")
        ns(n, f"ethtool -K {d} tso off gso off gro off", check=False)
    ns(s, "ip route add default via 10.77.1.2")
    ns(r, "ip route add default via 10.77.2.2")
    ns(s, f"sysctl -qw net.ipv4.tcp_congestion_control={algo}", check=False)
    ns(s, "sysctl -qw net.ipv4.tcp_no_metrics_save=1")
    for k in ("ip_forward=1", "conf.all.rp_filter=0", "conf.default.rp_filter=0"):
        ns(m, f"sysctl -qw net.ipv4.{k}")
    burst = max(3000, int(rate_mbit * 1e6 / 8 / 250))
    ns(m, f"tc qdisc add dev {p}r1 root tbf rate {rate_mbit}mbit burst {burst} limit {queue_bytes}")
    if loss_mod:
        ns(m, "nft add table inet tnc")
        ns(m, "nft add chain inet tnc relayfw '{ type filter hook forward priority 0; }'")
        ns(m, f"nft add rule inet tnc relayfw ip daddr 10.77.2.1 tcp dport 5001 "
              f"meta length gt 200 numgen random mod {loss_mod} == 0 drop")


def tuns(p):
    """The relay's two TUN devices, opened inside its namespace, and its routes into the first."""
    m = p + "rly"
    me = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{m}", os.O_RDONLY)
    setns(target)
    try:
        a, b = tun_open(p + "ta"), tun_open(p + "tb")
    finally:
        setns(me)
        os.close(me)
        os.close(target)
    for d in (p + "ta", p + "tb"):
        ns(m, f"ip link set {d} up")
        ns(m, f"sysctl -qw net.ipv4.conf.{d}.rp_filter=0")
    ns(m, f"ip route add default dev {p}ta table 100")
    ns(m, f"ip rule add iif {p}s1 table 100")
    ns(m, f"ip rule add iif {p}r1 table 100")
    return a, b


def teardown(p):
    for n in ("snd", "rcv", "rly"):
        sh(f"ip netns del {p}{n}", check=False)


RECEIVER = r'''
import socket, sys, time
kind, rcvbuf, dur, read_mbit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
if rcvbuf: l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
l.bind(("10.77.2.1", 5001)); l.listen(1); l.settimeout(15)
c, _ = l.accept(); c.settimeout(15)
end = time.monotonic() + dur + 20
while time.monotonic() < end:
    b = c.recv(65536 if kind != "slow" else 8192)
    if not b: break
    if kind == "slow": time.sleep(len(b) * 8 / (read_mbit * 1e6))   # reads slower than the path
c.close()
'''

SENDER = r'''
import fcntl, socket, struct, subprocess, sys, time
SIOCOUTQNSD = 0x894B              # bytes queued but not yet sent
kind, dur, algo = sys.argv[1], float(sys.argv[2]), sys.argv[3]
for _ in range(50):               # the receiver may not listen yet (bounded retries)
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, algo.encode())
    s.settimeout(15)
    try:
        s.connect(("10.77.2.1", 5001)); break
    except ConnectionRefusedError:
        s.close(); time.sleep(0.1)
buf = b"x" * 65536
end = time.monotonic() + dur
pauses, paused = 0, 0.0
while time.monotonic() < end:
    s.sendall(buf)
    if kind == "pause" and pauses < 6 and time.monotonic() > end - dur + 0.4 * (pauses + 1):
        for _ in range(400):      # let the send queue empty first (bounded), so the wire pauses too
            if struct.unpack("i", fcntl.ioctl(s, SIOCOUTQNSD, b"\0" * 4))[0] == 0: break
            time.sleep(0.005)
        t0 = time.monotonic(); time.sleep(0.25); paused += time.monotonic() - t0; pauses += 1
for _ in range(400):              # wait (bounded) until all is acknowledged
    out = subprocess.run(["ss", "-tinH", "dst", "10.77.2.1"], capture_output=True, text=True).stdout
    if "unacked" not in out: break
    time.sleep(0.05)
print(f"paused={paused:.4f} pauses={pauses}")
print(out.replace("\n", " "))
s.close()
'''


def one_flow(p, path, cfg):
    s, r = p + "snd", p + "rcv"
    cap = subprocess.Popen(["ip", "netns", "exec", s, "tcpdump", "-U", "-s", "128", "-i", p + "s0",
                            "-w", path, "tcp port 5001"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    rcv = subprocess.Popen(["ip", "netns", "exec", r, sys.executable, "-c", RECEIVER,
                            cfg["kind"], str(cfg["rcvbuf"]), str(cfg["seconds"]), str(cfg["read_mbit"])])
    time.sleep(0.3)
    out = subprocess.run(["ip", "netns", "exec", s, sys.executable, "-c", SENDER, cfg["kind"],
                          str(cfg["seconds"]), cfg["algo"]], capture_output=True, text=True, timeout=60).stdout
    try:
        rcv.wait(timeout=30)
    except subprocess.TimeoutExpired:
        rcv.kill()
    time.sleep(0.5)
    cap.terminate()
    cap.wait(timeout=10)
    return out.strip()


def parse_sender(out):
    """The sender's two lines: how long it paused (measured), then its `ss -tin` line."""
    head, _, line = out.partition("\n")
    got = dict(kv.split("=") for kv in head.split())
    r = parse_ss(line.strip())
    r["paused_s"], r["pauses"] = float(got.get("paused", 0)), int(got.get("pauses", 0))
    return r


def parse_ss(line):
    def ms(key):
        i = line.find(key + ":")
        if i < 0:
            return 0.0
        v = line[i + len(key) + 1:].split()[0].split("(")[0]
        return float(v.rstrip("ms")) / 1000 if v.endswith("ms") else 0.0
    i = line.find(" retrans:")
    retrans = int(line[i + 9:].split()[0].split("/")[1]) if i >= 0 else 0
    return {"busy_s": ms("busy"), "rwnd_limited_s": ms("rwnd_limited"),
            "sndbuf_limited_s": ms("sndbuf_limited"), "total_retrans": retrans, "ss": line}


MIXES = {   # kinds of flow and their weights (drawn at random)
    "default": ["bulk"] * 5 + ["slow", "smallbuf", "smallbuf", "pause"],
    "rwnd": ["bulk"] * 4 + ["slow", "slow", "smallbuf", "smallbuf", "pause"],
}
# "balanced": each algorithm's n-th flow takes the n-th kind of this cycle, so
# that every algorithm gets the same kinds (7 in 10 set their own pace)
BALANCED = ["bulk", "slow", "bulk", "pause", "bulk", "smallbuf", "bulk", "slow", "pause", "bulk"]


def config(rng, i, algo, mix, n_algos=3):
    kind = rng.choice(MIXES[mix]) if mix in MIXES else BALANCED[(i // n_algos) % len(BALANCED)]
    rate = rng.choice([4, 5, 6])
    rtt = rng.choice([0.05, 0.08, 0.1])
    bdp = rate * 1e6 / 8 * rtt
    return {"n": i, "algo": algo, "kind": kind, "rate_mbit": rate, "rtt_s": rtt,
            "queue_bytes": int(bdp * rng.choice([0.5, 1.0, 2.0])) + 3000,
            "loss_mod": rng.choice([0, 0, 300, 1000]),
            "rcvbuf": rng.choice([16384, 32768, 65536]) if kind == "smallbuf" else 0,
            "read_mbit": rate * rng.choice([0.3, 0.5, 0.7]) if kind == "slow" else 0,
            "seconds": rng.choice([4.0, 5.0])}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--flows", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--prefix", default="tnc-")
    ap.add_argument("--algos", default="reno,cubic,bbr")
    ap.add_argument("--mix", default="default", choices=sorted(MIXES) + ["balanced"])
    a = ap.parse_args()
    if a.flows > 500:
        sys.exit("record.py: at most 500 flows")
    os.makedirs(a.out, exist_ok=True)
    rng = random.Random(a.seed)
    algos = a.algos.split(",")
    truth = []
    for i in range(a.flows):
        cfg = config(rng, i, algos[i % len(algos)], a.mix, len(algos))
        teardown(a.prefix)
        try:
            setup(a.prefix, cfg["algo"], cfg["rate_mbit"], cfg["queue_bytes"], cfg["loss_mod"])
            ta, tb = tuns(a.prefix)
            relay = Relay(ta, tb, cfg["rtt_s"] / 2)
            t = threading.Thread(target=relay.run, daemon=True)
            t.start()
            path = os.path.join(a.out, f"{i:03d}-{cfg['algo']}.pcap")
            cfg.update(parse_sender(one_flow(a.prefix, path, cfg)))
            cfg["file"] = os.path.basename(path)
            relay.stop = True
            t.join(timeout=5)
            cfg["relay_dropped"] = relay.dropped
            os.close(ta)
            os.close(tb)
            print(json.dumps({k: cfg[k] for k in cfg if k != "ss"}), flush=True)
            if not cfg["busy_s"]:      # the sender never got going: no ground truth, left out
                print(f"{cfg['file']}: failed (no busy time), left out", flush=True)
                os.unlink(path)
                continue
            truth.append(cfg)
        finally:
            teardown(a.prefix)
    with open(os.path.join(a.out, "flows.json"), "w") as f:
        json.dump(truth, f, indent=1)


if __name__ == "__main__":
    main()
