#!/usr/bin/env python3
"""Write pcapng-mixed-links.pcapng: a pcapng file libpcap 1.10 refuses.

usage: captures/craft-pcapng-mixed.py [--out DIR]

Wireshark writes such files when it captures on several interfaces at once:
each interface keeps its own link type and snapshot length, and libpcap
1.10 stops at the second one ("an interface has a snapshot length 8192
different from the snapshot length of the first interface"). tcpnarrate
reads them with its own block reader (src/capture/pcapng.c).

The file holds two sections:

  section 1, little-endian:
    interface 0  Ethernet, snaplen 262144, if_tsresol 10^-9
    interface 1  Linux cooked (SLL), snaplen 8192, microseconds,
                 if_tsoffset 100 s (timestamps are 100 s later than stored)
    a name-resolution block and an interface statistics block (skipped)
    connection 1 (10.0.1.5:40001 -> 10.0.2.10:80) on interface 0 and
    connection 2 (10.0.3.7:40002 -> 10.0.2.10:80) on interface 1, in
    enhanced packet blocks, interleaved; one frame of connection 2 is longer
    than interface 1's snapshot length and is stored whole: it is cut to
    8192 bytes on reading, as libpcap cuts it
  section 2, big-endian:
    interface 0  raw IP (101), snaplen 65535, if_tsresol 2^-10
    connection 3 (10.0.4.9:40003 -> 10.0.2.10:80): its handshake in
    obsolete packet blocks (type 2), the rest in enhanced packet blocks

Every byte comes from tests/lib/pcapgen.py (valid checksums); the same bytes
on every run. Python 3, standard library only.
"""
import argparse
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
from pcapgen import ether, ipv4, tcp  # noqa: E402

START = 1767261600  # 2026-01-01 10:00:00 UTC


class Section:
    """Blocks of one pcapng section, in one byte order."""

    def __init__(self, big_endian):
        self.e = ">" if big_endian else "<"
        self.out = bytearray()

    def block(self, btype, body):
        body += b"\0" * ((-len(body)) % 4)
        n = len(body) + 12
        self.out += struct.pack(self.e + "II", btype, n) + body + struct.pack(self.e + "I", n)

    def option(self, code, value):
        pad = b"\0" * ((-len(value)) % 4)
        return struct.pack(self.e + "HH", code, len(value)) + value + pad

    def shb(self):
        body = struct.pack(self.e + "IHHq", 0x1A2B3C4D, 1, 0, -1)
        self.block(0x0A0D0D0A, body)

    def idb(self, linktype, snaplen, options=b""):
        body = struct.pack(self.e + "HHI", linktype, 0, snaplen)
        if options:
            body += options + self.option(0, b"")
        self.block(1, body)

    def epb(self, iface, ticks, data, caplen=None):
        body = struct.pack(self.e + "IIIII", iface, ticks >> 32, ticks & 0xFFFFFFFF,
                           len(data) if caplen is None else caplen, len(data)) + data
        self.block(6, body)

    def opb(self, iface, ticks, data):
        body = struct.pack(self.e + "HHIIII", iface, 0, ticks >> 32, ticks & 0xFFFFFFFF,
                           len(data), len(data)) + data
        self.block(2, body)


def sll(ip_packet, outgoing):
    """A Linux cooked (v1) header: packet type, ARPHRD_ETHER, the MAC, IPv4."""
    return struct.pack("!HHH8sH", 4 if outgoing else 0, 1, 6,
                       b"\x02\x00\x0a\x00\x03\x07\0\0", 0x0800) + ip_packet


def conversation(client, cport, server="10.0.2.10", body_len=300):
    """(from_client, ip_packet) for one short HTTP exchange closed by the client."""
    ci, si = 1000 + cport, 5000 + cport
    req = b"GET / HTTP/1.1\r\nHost: 10.0.2.10\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % body_len
    resp += b"x" * body_len
    c = lambda **k: (True, ipv4(client, server, tcp(cport, 80, **k)))  # noqa: E731
    s = lambda **k: (False, ipv4(server, client, tcp(80, cport, **k)))  # noqa: E731
    return [
        c(seq=ci, flags="S"),
        s(seq=si, ack=ci + 1, flags="SA"),
        c(seq=ci + 1, ack=si + 1, flags="A"),
        c(seq=ci + 1, ack=si + 1, flags="PA", payload=req),
        s(seq=si + 1, ack=ci + 1 + len(req), flags="PA", payload=resp),
        c(seq=ci + 1 + len(req), ack=si + 1 + len(resp), flags="FA"),
        s(seq=si + 1 + len(resp), ack=ci + 2 + len(req), flags="FA"),
        c(seq=ci + 2 + len(req), ack=si + 2 + len(resp), flags="A"),
    ]


def first_section():
    sec = Section(big_endian=False)
    sec.shb()
    sec.idb(1, 262144, sec.option(2, b"eth0") + sec.option(9, b"\x09"))
    sec.idb(113, 8192, sec.option(2, b"any") + sec.option(14, struct.pack("<q", 100)))
    nrb = struct.pack("<HH", 1, 8) + bytes([10, 0, 2, 10]) + b"web\0" + struct.pack("<HH", 0, 0)
    sec.block(4, nrb)
    one = conversation("10.0.1.5", 40001)
    two = conversation("10.0.3.7", 40002, body_len=9000)
    for k in range(len(one)):
        t_ns = (START * 1000000000) + k * 2000000
        out, ip = one[k]
        sec.epb(0, t_ns, ether(ip))
        out, ip = two[k]
        t_us = (START - 100) * 1000000 + k * 2000 + 1000
        sec.epb(1, t_us, sll(ip, out))
    isb = struct.pack("<III", 1, (START * 1000000) >> 32, (START * 1000000) & 0xFFFFFFFF)
    sec.block(5, isb + sec.option(0, b""))
    return bytes(sec.out)


def second_section():
    sec = Section(big_endian=True)
    sec.shb()
    sec.idb(101, 65535, sec.option(9, b"\x8a"))  # 2^-10 s
    for k, (_, ip) in enumerate(conversation("10.0.4.9", 40003)):
        ticks = (START + 1) * 1024 + k * 3
        if k < 3:
            sec.opb(0, ticks, ip)
        else:
            sec.epb(0, ticks, ip)
    return bytes(sec.out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=HERE)
    a = ap.parse_args()
    path = os.path.join(a.out, "pcapng-mixed-links.pcapng")
    with open(path, "wb") as f:
        f.write(first_section() + second_section())
    print(path)


if __name__ == "__main__":
    main()
