#!/usr/bin/env python3
"""Write icmp-errors.pcap: ICMP and ICMPv6 errors about TCP connections, of
every kind tcpnarrate narrates, and a few it must not believe.

usage: captures/craft-icmp.py [--out DIR]

Seen from the client, 10.0.1.5 / fd00:1::5, in order:

  1  a SYN to 10.0.2.10:81, answered by the server host with ICMP port
     unreachable (type 3 code 3): the connection is refused by ICMP
  2  a SYN to 10.0.9.9:80, answered by the router 10.0.1.1 with host
     unreachable (type 3 code 1), quoting only the 8 bytes of TCP RFC 792
     asks for
  3  a connection to 10.0.2.10:80 that opens and carries a request; then
       - time exceeded in transit (type 11 code 0) from 10.0.5.1, quoting
         the request with TTL 1 left
       - administratively prohibited (type 3 code 13) quoting a sequence
         number the client never sent (a forged error)
       - fragmentation needed with MTU 1400 quoting a 576-byte packet that
         fits it, whose sequence number is already acknowledged
     and the response and close
  4  an IPv6 SYN to [fd00:2::10]:82, answered with ICMPv6 destination
     unreachable, port unreachable (type 1 code 4)
  5  an IPv6 connection to [fd00:2::10]:80 whose request draws ICMPv6 time
     exceeded (type 3 code 0) from fd00:5::1
  6  an ICMP port unreachable quoting a connection the capture never saw:
     skipped as not TCP

Every byte comes from tests/lib/pcapgen.py; ICMP checksums are correct.
Python 3, standard library only.
"""
import argparse
import ipaddress
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
from pcapgen import Pcap, csum, ether, ipv4, ipv6, tcp  # noqa: E402

C4, S4, C6, S6 = "10.0.1.5", "10.0.2.10", "fd00:1::5", "fd00:2::10"
START = 1767261600.0
REQ = b"GET / HTTP/1.1\r\nHost: 10.0.2.10\r\n\r\n"


def icmp4(src, dst, itype, code, quoted, word=0, ttl=64):
    body = struct.pack("!BBHI", itype, code, 0, word) + quoted
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    return ipv4(src, dst, body, proto=1, ttl=ttl, df=False)


def icmp6(src, dst, itype, code, quoted, word=0):
    s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
    body = struct.pack("!BBHI", itype, code, 0, word) + quoted
    pseudo = s + d + struct.pack("!IxxxB", len(body), 58)
    body = body[:2] + struct.pack("!H", csum(pseudo + body)) + body[4:]
    return ipv6(src, dst, body, next_header=58)


def with_ttl(packet, ttl):
    """An IPv4 packet as a router saw it, with `ttl` left (checksum redone)."""
    hdr = bytearray(packet[:20])
    hdr[8] = ttl
    hdr[10:12] = b"\0\0"
    hdr[10:12] = struct.pack("!H", csum(bytes(hdr)))
    return bytes(hdr) + packet[20:]


def conversation(p, t):
    """Connection 3: handshake, request, three ICMP errors, response, close."""
    ci, si = 7000, 9000
    c = lambda **k: ipv4(C4, S4, tcp(40003, 80, **k))  # noqa: E731
    s = lambda **k: ipv4(S4, C4, tcp(80, 40003, **k))  # noqa: E731
    req = c(seq=ci + 1, ack=si + 1, flags="PA", payload=REQ)
    p.add(ether(c(seq=ci, flags="S")), ts=t)
    p.add(ether(s(seq=si, ack=ci + 1, flags="SA")), ts=t + 0.001)
    p.add(ether(c(seq=ci + 1, ack=si + 1, flags="A")), ts=t + 0.002)
    p.add(ether(req), ts=t + 0.003)
    p.add(ether(icmp4("10.0.5.1", C4, 11, 0, with_ttl(req, 1))), ts=t + 0.004)
    forged = c(seq=ci + 500000, ack=si + 1, flags="PA", payload=REQ)
    p.add(ether(icmp4("10.0.1.1", C4, 3, 13, forged[:48])), ts=t + 0.005)
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
    p.add(ether(s(seq=si + 1, ack=ci + 1 + len(REQ), flags="PA", payload=resp)), ts=t + 0.006)
    old = c(seq=ci + 1, ack=si + 1, flags="PA", payload=REQ + b"x" * (576 - 40 - len(REQ)))
    p.add(ether(icmp4("10.0.1.1", C4, 3, 4, old[:28 + 20], word=1400)), ts=t + 0.007)
    end = ci + 1 + len(REQ)
    p.add(ether(c(seq=end, ack=si + 1 + len(resp), flags="FA")), ts=t + 0.008)
    p.add(ether(s(seq=si + 1 + len(resp), ack=end + 1, flags="FA")), ts=t + 0.009)
    p.add(ether(c(seq=end + 1, ack=si + 2 + len(resp), flags="A")), ts=t + 0.010)


def ipv6_part(p, t):
    syn = ipv6(C6, S6, tcp(40004, 82, seq=100, flags="S"))
    p.add(ether(syn), ts=t)
    p.add(ether(icmp6(S6, C6, 1, 4, syn)), ts=t + 0.001)
    ci, si = 300, 600
    c = lambda **k: ipv6(C6, S6, tcp(40005, 80, **k))  # noqa: E731
    s = lambda **k: ipv6(S6, C6, tcp(80, 40005, **k))  # noqa: E731
    p.add(ether(c(seq=ci, flags="S")), ts=t + 0.002)
    p.add(ether(s(seq=si, ack=ci + 1, flags="SA")), ts=t + 0.003)
    p.add(ether(c(seq=ci + 1, ack=si + 1, flags="A")), ts=t + 0.004)
    req = bytearray(c(seq=ci + 1, ack=si + 1, flags="PA", payload=REQ))
    p.add(ether(bytes(req)), ts=t + 0.005)
    req[7] = 1  # the hop limit left when the router dropped it
    p.add(ether(icmp6("fd00:5::1", C6, 3, 0, bytes(req))), ts=t + 0.006)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=HERE)
    a = ap.parse_args()
    path = os.path.join(a.out, "icmp-errors.pcap")
    with Pcap(path) as p:
        t = START
        syn = ipv4(C4, S4, tcp(40001, 81, seq=1000, flags="S"))
        p.add(ether(syn), ts=t)
        p.add(ether(icmp4(S4, C4, 3, 3, syn)), ts=t + 0.001)
        syn = ipv4(C4, "10.0.9.9", tcp(40002, 80, seq=2000, flags="S"))
        p.add(ether(syn), ts=t + 0.010)
        p.add(ether(icmp4("10.0.1.1", C4, 3, 1, syn[:28])), ts=t + 0.013)
        conversation(p, t + 0.100)
        ipv6_part(p, t + 0.200)
        stray = ipv4(C4, "10.0.7.7", tcp(40006, 443, seq=5, flags="S"))
        p.add(ether(icmp4("10.0.7.7", C4, 3, 3, stray)), ts=t + 0.300)
    print(path)


if __name__ == "__main__":
    main()
