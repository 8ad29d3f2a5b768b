#!/usr/bin/env python3
"""Write the crafted captures for the TCP analysis verdicts real traffic
between two namespaces on one machine does not show.

usage: captures/craft-analysis.py [--out DIR] [--no-check]

Each file is one HTTP/1.1 connection seen at the client, 10.0.1.5, fetching
a text file from the server, 10.0.2.10 port 80, 10 ms away (20 ms round
trip), at 100 Mbit/s (a full frame every 121 us): a handshake with the
options Linux sends (MSS 1460, SACK permitted, timestamps, window scale 7),
the GET, the response in 1448-byte segments, the client's ACKs, and a
close by the client. Into that goes the one thing each file is for:

  analysis-reorder.pcap         a data segment arrives 300 us after the
                                one that follows it
  analysis-dsack.pcap           the server resends a segment the client
                                has already acknowledged; the client's
                                answer carries a D-SACK block (RFC 2883)
  analysis-capture-gap.pcap     the capture misses a data segment the
                                client did receive and acknowledge
  analysis-duplicate-frame.pcap one data frame is in the capture twice,
                                byte for byte, 50 us apart (as a SPAN port
                                or a capture on two interfaces gives it)
  analysis-zero-window-probe.pcap
                                the client's window closes; the server
                                probes it with one byte of new data, as
                                Windows and the BSDs do (Linux probes with
                                an old byte and no data, which tshark calls
                                a keep-alive: see analysis-zero-window.pcap)

Every byte comes from tests/lib/pcapgen.py: valid IP and TCP checksums,
Ethernet link type, the same bytes on every run (fixed times, initial
sequence numbers, timestamps and IP IDs). Afterwards each file is read with
tshark (verdicts.py) and must show what it is for; --no-check skips that
(tshark missing). Python 3, standard library only.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
from pcapgen import (Pcap, ether, ipv4, tcp, opt_mss, opt_nop, opt_sack,  # noqa: E402
                     opt_sack_perm, opt_ts, opt_wscale)

CLIENT, SERVER = "10.0.1.5", "10.0.2.10"
MAC = {"c": b"\x02\x00\x0a\x00\x01\x05", "s": b"\x02\x00\x0a\x00\x02\x0a"}
ONE_WAY_US = 10000          # 20 ms round trip
WIRE_US = 121               # a 1514-byte frame at 100 Mbit/s
MSS = 1448                  # 1460 minus the timestamp option
START = 1704103200          # 2024-01-01 10:00:00 UTC


class Conn:
    """One connection as the client's capture sees it. Times are integer
    microseconds since START, when a frame passes the capture point. Each
    side's TCP timestamp clock ticks once a millisecond; the server sent
    its frames one way (10 ms) before the client sees them, and echoes the
    client's clock of one round trip before. The IP ID counts up per
    segment on each side, as Linux does for a connected socket (its SYN-ACK
    has ID 0)."""

    def __init__(self, pcap, cport, c_isn, s_isn):
        self.pcap, self.cport = pcap, cport
        self.isn = {"c": c_isn, "s": s_isn}
        self.ts_base = {"c": 1950221000, "s": 3115017000}
        self.ip_id = {"c": 0x5e21, "s": 0x1c40}
        self.t = 0
        # Sequence numbers relative to the ISNs, as tshark shows them.
        self.nxt = {"c": 0, "s": 0}

    def tsval(self, side, t):
        return (self.ts_base[side] + t // 1000) & 0xFFFFFFFF

    def frame(self, side, flags, seq, ack, payload=b"", window=None,
              sack=(), syn=False, ident=None):
        """The bytes of one Ethernet frame from side ("c" or "s"); seq, ack
        and SACK edges relative to the ISNs."""
        peer = "s" if side == "c" else "c"
        if side == "c":
            ts = opt_ts(self.tsval("c", self.t),
                        0 if flags == "S" else self.tsval("s", self.t - ONE_WAY_US))
        else:
            ts = opt_ts(self.tsval("s", self.t - ONE_WAY_US),
                        self.tsval("c", max(0, self.t - 2 * ONE_WAY_US)))
        if syn:
            options = opt_mss(1460) + opt_sack_perm() + ts + opt_nop() + opt_wscale(7)
            window = 64240 if side == "c" else 65160
        else:
            options = opt_nop() + opt_nop() + ts
            if sack:
                options += opt_nop() + opt_nop() + opt_sack(
                    *[(self.isn[peer] + l, self.isn[peer] + r) for l, r in sack])
            if window is None:
                window = 502 if side == "c" else 509    # x128: 64256, 65152
        if ident is None:
            ident = self.ip_id[side]
            self.ip_id[side] += 1
        sport, dport = (self.cport, 80) if side == "c" else (80, self.cport)
        src, dst = (CLIENT, SERVER) if side == "c" else (SERVER, CLIENT)
        seg = tcp(sport, dport, seq=self.isn[side] + seq,
                  ack=self.isn[peer] + ack if "A" in flags else 0,
                  flags=flags, window=window, options=options, payload=payload)
        return ether(ipv4(src, dst, seg, ident=ident), dst=MAC[peer], src=MAC[side])

    def add(self, frame):
        self.pcap.add(frame, ts=(START + self.t // 1000000, self.t % 1000000))

    def send(self, side, after, flags="A", payload=b"", seq=None, ack=None, **kw):
        """A segment `after` us after the previous one, at the side's next
        sequence number unless seq says otherwise, acknowledging all the peer
        has sent unless ack says otherwise. Returns the frame's bytes."""
        self.t += after
        peer = "s" if side == "c" else "c"
        if seq is None:
            seq = self.nxt[side]
        if ack is None:
            ack = self.nxt[peer]
        frame = self.frame(side, flags, seq, ack, payload, **kw)
        self.add(frame)
        end = seq + len(payload) + ("S" in flags) + ("F" in flags)
        if end - self.nxt[side] > 0:
            self.nxt[side] = end
        return frame

    def handshake_and_get(self, path, window=None):
        """SYN, SYN-ACK 20 ms later, ACK, then the GET (window: the
        client's, if not the usual one)."""
        self.send("c", 0, "S", syn=True)
        self.t += 2 * ONE_WAY_US
        self.send("s", 0, "SA", syn=True, ident=0)
        self.send("c", 40, window=window)
        self.send("c", 60, "PA", request(path), window=window)
        # The server's ACK of the GET: its response needs a moment longer.
        self.send("s", 2 * ONE_WAY_US)

    def close(self, after=300):
        """curl is done: the client's FIN, the server's FIN, the last ACK."""
        self.send("c", after, "FA")
        self.send("s", 2 * ONE_WAY_US, "FA")
        self.send("c", 40)


def request(path):
    return ("GET /%s HTTP/1.1\r\nHost: %s\r\nUser-Agent: curl/7.88.1\r\n"
            "Accept: */*\r\n\r\n" % (path, SERVER)).encode()


def response(segments):
    """An HTTP/1.1 200 whose headers and body fill exactly this many full
    segments: numbered 64-byte text lines, padded at the end."""
    total = segments * MSS
    head_fmt = ("HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 01 Jan 2024 "
                "10:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                "Last-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n"
                "Connection: keep-alive\r\n\r\n")
    body_len = total - len(head_fmt % 0)
    body_len = total - len(head_fmt % body_len)
    line = b"the quick brown fox jumps over the lazy dog 0123456789ab\n"
    body = b"".join(b"%06d " % (i + 1) + line for i in range(body_len // 64 + 1))
    data = (head_fmt % body_len).encode() + body[:body_len]
    assert len(data) == total
    return [data[i:i + MSS] for i in range(0, total, MSS)]


def data(conn, segs, first, last):
    """Server segments first..last (1-based), back to back, PSH on the last."""
    for n in range(first, last + 1):
        conn.send("s", WIRE_US, "PA" if n == len(segs) else "A", segs[n - 1],
                  seq=1 + (n - 1) * MSS)


def seg_end(n):
    """Relative sequence number just after server segment n."""
    return 1 + n * MSS


# ------------------------------------------------------------ the files

def reorder(path):
    """Eight segments; the 5th overtakes the 4th (a path that reorders,
    e.g. two links in a bond): 5 arrives, the client at once sends a
    duplicate ACK with a SACK block for 5, then 4 arrives 300 us after 5
    and the client's next ACK covers both."""
    segs = response(8)
    with Pcap(path) as p:
        c = Conn(p, 51022, 0x6b8b4567, 0x327b23c6)
        c.handshake_and_get("reorder.txt")
        data(c, segs, 1, 2)
        c.send("c", 30)                                     # ACK 1-2
        data(c, segs, 3, 3)
        c.send("s", WIRE_US, "A", segs[4], seq=1 + 4 * MSS)  # 5 before 4
        c.send("c", 30, ack=seg_end(3), sack=[(seg_end(4), seg_end(5))])
        c.send("s", 300 - 30, "A", segs[3], seq=1 + 3 * MSS)  # 4, 300 us after 5
        c.send("c", 30)                                     # ACK 1-5
        data(c, segs, 6, 8)
        c.send("c", 30)
        c.close()


def dsack(path):
    """Four segments; the client acknowledges them at once, but its ACKs
    are held up on the way back (a queue), so the server's tail loss probe
    sends the 4th segment again 2 round trips later. The client already
    has it: its answer repeats the ACK with a D-SACK block for exactly the
    4th segment (RFC 2883: left edge below the cumulative ACK)."""
    segs = response(4)
    with Pcap(path) as p:
        c = Conn(p, 51024, 0x19495cff, 0x2ae8944a)
        c.handshake_and_get("dsack.txt")
        data(c, segs, 1, 2)
        c.send("c", 30)
        data(c, segs, 3, 4)
        c.send("c", 30)                                     # ACK 1-4
        c.send("s", 2 * 2 * ONE_WAY_US, "PA", segs[3], seq=1 + 3 * MSS)
        c.send("c", 30, sack=[(seg_end(3), seg_end(4))])    # D-SACK
        c.close()


def capture_gap(path):
    """Six segments; the capture misses the 3rd (the capture's buffer was
    full, say), though the client received it. Early in a connection Linux
    acknowledges every segment, so the client's ACK for the 3rd follows
    right away: it acknowledges bytes the capture never saw. Then the 4th
    arrives, starting past the last byte seen."""
    segs = response(6)
    with Pcap(path) as p:
        c = Conn(p, 51026, 0x0fa9dd42, 0x7545e146)
        c.handshake_and_get("gap.txt")
        for n in range(1, 7):
            frame_after = WIRE_US
            seq = 1 + (n - 1) * MSS
            if n == 3:
                # Received, not captured: the server's IP ID and clock move
                # on, the client's ACK covers it.
                c.t += frame_after
                c.ip_id["s"] += 1
                c.nxt["s"] = seg_end(3)
            else:
                c.send("s", frame_after, "PA" if n == 6 else "A", segs[n - 1], seq=seq)
            c.send("c", 30)
        c.close()


def duplicate_frame(path):
    """Four segments; the 2nd is in the capture twice: the very same bytes
    (IP ID, checksums, timestamps) 50 us apart."""
    segs = response(4)
    with Pcap(path) as p:
        c = Conn(p, 51028, 0x4db127f8, 0x5cf5e4cf)
        c.handshake_and_get("dup.txt")
        data(c, segs, 1, 1)
        frame = c.send("s", WIRE_US, "A", segs[1], seq=1 + MSS)
        c.t += 50
        c.add(frame)
        c.send("c", 30)                                     # ACK 1-2
        data(c, segs, 3, 4)
        c.send("c", 30)
        c.close()


def zero_window_probe(path):
    """A client with a small receive buffer that reads nothing for a while.
    Its window after the handshake is 5760 bytes (field 45, scale 7); it
    shrinks with every ACK. The server fills it to the last byte (the last
    segment is cut short to fit), the client's ACK announces a window of 0,
    and the server probes: one byte of new data 200 ms later and again
    400 ms after that. The client cannot take the byte and answers each
    probe with the same ACK and a window of 0. Then the application reads
    everything, the client announces its window open again, and the server
    sends the rest from the probed byte on."""
    blob = b"".join(response(8))
    with Pcap(path) as p:
        c = Conn(p, 51030, 0x1190cde7, 0x66ef438d)
        c.handshake_and_get("zwp.txt", window=45)

        def send_bytes(start, end, flags="A"):
            c.send("s", WIRE_US, flags, blob[start - 1:end - 1], seq=start)

        send_bytes(1, seg_end(1))
        send_bytes(seg_end(1), seg_end(2))
        c.send("c", 30, window=22)         # 2896 bytes held: 2816 left
        edge = seg_end(2) + 22 * 128       # the window's right edge
        send_bytes(seg_end(2), seg_end(3))
        send_bytes(seg_end(3), edge)       # exactly up to the edge
        c.send("c", 30, window=0)
        for wait in (200000, 400000):
            c.send("s", wait, "A", blob[edge - 1:edge], seq=edge)
            c.nxt["s"] = edge              # the byte was not taken
            c.send("c", 30, window=0)
        c.send("c", 150000, window=502)    # the application has read it all
        start = edge
        while start < 1 + len(blob):
            end = min(start + MSS, 1 + len(blob))
            send_bytes(start, end, "PA" if end == 1 + len(blob) else "A")
            start = end
        c.send("c", 30)
        c.close()


FILES = (
    ("analysis-reorder.pcap", reorder, ("out_of_order", "lost_segment")),
    ("analysis-dsack.pcap", dsack, ("spurious_retransmission",)),
    ("analysis-capture-gap.pcap", capture_gap, ("lost_segment", "ack_lost_segment")),
    ("analysis-duplicate-frame.pcap", duplicate_frame, ()),
    ("analysis-zero-window-probe.pcap", zero_window_probe,
     ("zero_window", "zero_window_probe", "zero_window_probe_ack", "window_full",
      "window_update")),
)


def main(argv):
    ap = argparse.ArgumentParser(prog="craft-analysis.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=HERE, help="directory to write to (captures/)")
    ap.add_argument("--no-check", action="store_true", help="do not read them with tshark")
    a = ap.parse_args(argv)
    bad = 0
    for name, make, wanted in FILES:
        path = os.path.join(a.out, name)
        make(path)
        if a.no_check:
            continue
        from verdicts import verdicts
        found = verdicts(path)
        missing = [v for v in wanted if v not in found]
        shown = ", ".join("%s %s" % (v, f) for v, f in found.items()) or "no verdicts"
        print("%s: %s" % (name, shown))
        if missing:
            print("craft-analysis.py: %s does not show %s" % (name, ", ".join(missing)),
                  file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
