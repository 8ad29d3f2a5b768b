#!/usr/bin/env python3
"""Write fragments.pcap: TCP segments sent in IP fragments, IPv4 and IPv6.

usage: captures/craft-fragments.py [--out DIR]

Seen at the client, 10.0.1.5 / fd00:1::5; the server is 10.0.2.10 /
fd00:2::10 port 80. Linux sends TCP with Don't Fragment and sizes its
segments to the path, so real TCP is seldom fragmented; a host without
path-MTU discovery, or a tunnel endpoint, does it. Every IPv4 fragment below
has DF clear and one IP ID per datagram.

  connection 1 (IPv4): handshake, a GET, then the response's segments:
    - 3000 bytes of data in one segment, in three fragments in order
      (1480, 1480 and 60 bytes of IP payload)
    - 1000 bytes in one segment, its two fragments arriving last first
    - 1000 bytes in one segment whose TCP header is split across its
      fragments (a first fragment of 16 bytes, RFC 1858's tiny fragment)
    - 800 bytes in one segment in three fragments: the first, the third
      twice (an exact duplicate), then the second, which overlaps the first
      by 16 bytes with different contents
    - 600 bytes in one segment, of which only the first fragment ever
      arrives (incomplete at the end of the capture)
    then the client's ACKs and the close
  connection 2 (IPv6): handshake, a GET, and a 2000-byte response segment
    in two fragments behind an IPv6 fragment header, then the close

Every byte comes from tests/lib/pcapgen.py: TCP checksums are those of the
whole segments. Python 3, standard library only.
"""
import argparse
import ipaddress
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
from pcapgen import Pcap, csum, ether, ipv4, tcp  # noqa: E402

C4, S4, C6, S6 = "10.0.1.5", "10.0.2.10", "fd00:1::5", "fd00:2::10"
START = 1767261600.0
REQ = b"GET /big HTTP/1.1\r\nHost: 10.0.2.10\r\n\r\n"


def body(n, tag):
    line = ("%s: fragments are put back together by the receiver.\n" % tag).encode()
    return (line * (n // len(line) + 1))[:n]


def frag4(src, dst, ident, payload, pieces, ttl=64):
    """IPv4 fragments of one datagram. pieces: (offset, length) of the
    payload each carries; returns the packets in that order."""
    s, d = ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed
    end = max(o + n for o, n in pieces)
    out = []
    for off, n in pieces:
        more = off + n < end
        flags = (0x2000 if more else 0) | (off // 8)
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + n, ident, flags, ttl, 6, 0, s, d)
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
        out.append(hdr + payload[off:off + n])
    return out


def tcp_bytes4(src, dst, seg):
    s, d = ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed
    return seg.build(lambda n: s + d + struct.pack("!BBH", 0, 6, n))


def frag6(src, dst, ident, seg, pieces):
    s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
    payload = seg.build(lambda n: s + d + struct.pack("!IxxxB", n, 6))
    end = max(o + n for o, n in pieces)
    out = []
    for off, n in pieces:
        more = off + n < end
        fh = struct.pack("!BBHI", 6, 0, off | (1 if more else 0), ident)
        body_ = fh + payload[off:off + n]
        out.append(struct.pack("!IHBB16s16s", 6 << 28, len(body_), 44, 64, s, d) + body_)
    return out


class Clock:
    def __init__(self, t):
        self.t = t

    def next(self, dt=0.0002):
        self.t += dt
        return self.t


def ipv4_connection(p, clk):
    ci, si, cp = 1000, 50000, 40001
    c = lambda **k: ipv4(C4, S4, tcp(cp, 80, **k))  # noqa: E731
    p.add(ether(c(seq=ci, flags="S")), ts=clk.next())
    p.add(ether(ipv4(S4, C4, tcp(80, cp, seq=si, ack=ci + 1, flags="SA"))), ts=clk.next())
    p.add(ether(c(seq=ci + 1, ack=si + 1, flags="A")), ts=clk.next())
    p.add(ether(c(seq=ci + 1, ack=si + 1, flags="PA", payload=REQ)), ts=clk.next())
    cack = ci + 1 + len(REQ)
    seq = si + 1
    plans = [  # (data bytes, pieces of the IP payload, order of arrival)
        (3000, [(0, 1480), (1480, 1480), (2960, 60)], [0, 1, 2]),
        (1000, [(0, 512), (512, 508)], [1, 0]),
        (1000, [(0, 16), (16, 1004)], [0, 1]),
        (800, [(0, 408), (392, 208), (600, 220)], [0, 2, 2, 1]),
        (600, [(0, 312), (312, 308)], [0]),
    ]
    for k, (n, pieces, order) in enumerate(plans):
        seg = tcp(80, cp, seq=seq, ack=cack, flags="PA" if k == 3 else "A",
                  payload=body(n, "segment %d" % (k + 1)))
        raw = tcp_bytes4(S4, C4, seg)
        frags = frag4(S4, C4, 0x4000 + k, raw, pieces)
        if k == 3:  # the overlapping piece carries other bytes where it overlaps
            f = bytearray(frags[1])
            f[20:36] = b"OVERLAPPING-DATA"
            frags[1] = bytes(f)
        for i in order:
            p.add(ether(frags[i]), ts=clk.next())
        if k < 4:
            seq += n
            p.add(ether(c(seq=cack, ack=seq, flags="A")), ts=clk.next())
    p.add(ether(c(seq=cack, ack=seq, flags="FA")), ts=clk.next(0.01))
    p.add(ether(ipv4(S4, C4, tcp(80, cp, seq=seq, ack=cack + 1, flags="FA"))), ts=clk.next())
    p.add(ether(c(seq=cack + 1, ack=seq + 1, flags="A")), ts=clk.next())


def ipv6_connection(p, clk):
    from pcapgen import ipv6  # noqa: E402
    ci, si, cp = 3000, 70000, 40002
    c = lambda **k: ipv6(C6, S6, tcp(cp, 80, **k))  # noqa: E731
    s = lambda **k: ipv6(S6, C6, tcp(80, cp, **k))  # noqa: E731
    p.add(ether(c(seq=ci, flags="S")), ts=clk.next())
    p.add(ether(s(seq=si, ack=ci + 1, flags="SA")), ts=clk.next())
    p.add(ether(c(seq=ci + 1, ack=si + 1, flags="A")), ts=clk.next())
    p.add(ether(c(seq=ci + 1, ack=si + 1, flags="PA", payload=REQ)), ts=clk.next())
    cack = ci + 1 + len(REQ)
    seg = tcp(80, cp, seq=si + 1, ack=cack, flags="PA", payload=body(2000, "ipv6"))
    for f in frag6(S6, C6, 0x1234, seg, [(0, 1232), (1232, 788)]):
        p.add(ether(f), ts=clk.next())
    end = si + 1 + 2000
    p.add(ether(c(seq=cack, ack=end, flags="FA")), ts=clk.next())
    p.add(ether(s(seq=end, ack=cack + 1, flags="FA")), ts=clk.next())
    p.add(ether(c(seq=cack + 1, ack=end + 1, flags="A")), ts=clk.next())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=HERE)
    a = ap.parse_args()
    path = os.path.join(a.out, "fragments.pcap")
    with Pcap(path) as p:
        clk = Clock(START)
        ipv4_connection(p, clk)
        ipv6_connection(p, Clock(START + 1))
    print(path)


if __name__ == "__main__":
    main()
