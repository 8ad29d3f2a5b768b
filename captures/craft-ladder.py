#!/usr/bin/env python3
"""Write captures/ladder-crossing.pcap: one connection in which segments
cross in flight, for the --ladder golden tests.

usage: captures/craft-ladder.py [--out DIR]

Seen at the client, 10.0.1.5:43210, talking to 10.0.2.10:7000 across a
path with a 20 ms round trip (10 ms each way). Both sides speak at once
after the handshake (the server's greeting left it before the client's
first line arrived), the client's window closes for 0.75 s and opens again,
an ACK is lost and the server sends its data again after a timeout, and both sides
close at the same moment (their FINs cross). Every byte comes from
tests/lib/pcapgen.py; times and sequence numbers are fixed, so the file is
the same on every run. Python 3, standard library only.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
from pcapgen import Pcap, ether, ipv4, tcp  # noqa: E402

C, S = ("10.0.1.5", 43210), ("10.0.2.10", 7000)
CI, SI = 1000, 4500
T0 = 1700000000.0

# (time after T0, sender, flags, seq, ack, payload, window)
SEGMENTS = [
    (0.000, "c", "S", CI, 0, b"", 65535),
    (0.020, "s", "SA", SI, CI + 1, b"", 65535),
    (0.020, "c", "A", CI + 1, SI + 1, b"", 65535),
    # Both speak at once: the greeting left the server at 0.015, before
    # the client's line (sent at 0.021) reached it at 0.031.
    (0.021, "c", "PA", CI + 1, SI + 1, b"HELLO client\r\n", 65535),
    (0.025, "s", "PA", SI + 1, CI + 1, b"220 ready\r\n", 65535),
    (0.026, "c", "A", CI + 15, SI + 12, b"", 65535),
    (0.041, "s", "A", SI + 12, CI + 15, b"", 65535),
    (0.050, "s", "PA", SI + 12, CI + 15, b"d" * 100, 65535),
    # The client's application stops reading: a zero window for 0.75 s.
    (0.051, "c", "A", CI + 15, SI + 112, b"", 0),
    (0.800, "c", "A", CI + 15, SI + 112, b"", 65535),
    # The client's ACK of these 50 bytes is lost on the way: the server
    # sends them again after a timeout, and the client acknowledges again.
    (0.820, "s", "PA", SI + 112, CI + 15, b"e" * 50, 65535),
    (0.821, "c", "A", CI + 15, SI + 162, b"", 65535),
    (1.400, "s", "PA", SI + 112, CI + 15, b"e" * 50, 65535),
    (1.401, "c", "A", CI + 15, SI + 162, b"", 65535),
    # Both close at once: the server's FIN left it before the client's arrived.
    (1.500, "c", "FA", CI + 15, SI + 162, b"", 65535),
    (1.505, "s", "FA", SI + 162, CI + 15, b"", 65535),
    (1.506, "c", "A", CI + 16, SI + 163, b"", 65535),
    (1.520, "s", "A", SI + 163, CI + 16, b"", 65535),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=HERE)
    a = ap.parse_args()
    path = os.path.join(a.out, "ladder-crossing.pcap")
    with Pcap(path) as p:
        for at, frm, flags, seq, ack, data, win in SEGMENTS:
            src, dst = (C, S) if frm == "c" else (S, C)
            p.add(ether(ipv4(src[0], dst[0], tcp(src[1], dst[1], seq=seq, ack=ack, flags=flags,
                                                  payload=data, window=win))), ts=T0 + at)
    print(path)


if __name__ == "__main__":
    main()
