#!/usr/bin/env python3
"""frames.py — frames out of capture files, and fuzz_decode inputs in and out of pcap.

fuzz_decode's input is not a capture file but
    [link-type index][2 bytes: wire length relation][frame bytes]
(see tests/fuzz/fuzz_decode.c). This module converts both ways:

  extract: every frame of a pcap or pcapng file becomes a fuzz_decode seed
           with the right link-type index (used by make-seeds.sh);
  to_pcap: a fuzz_decode reproducer becomes a one-packet pcap file that the
           tcpnarrate binary reads with the same link type, captured length
           and wire length (used by run_regressions.py).

Standard library only. Malformed capture files are read as far as they go.

usage: frames.py extract OUTDIR CAPTURE...
       frames.py to-pcap INPUT OUTPUT.pcap
"""
import hashlib
import os
import struct
import sys

# Keep in step with link_types[] in fuzz_decode.c: index -> DLT value.
DECODE_LINKS = [1, 113, 276, 0, 108, 12, 14, 228, 229, 147,
                239, 242, 10, 129, 178, 105, 127, 9, 50, 104, 51]
UNSUPPORTED_INDEX = 9

# DLT value (as tn_decode sees it) -> LINKTYPE value to write in a pcap file so
# that libpcap hands tcpnarrate that DLT again.
DLT_TO_LINKTYPE = {1: 1, 113: 113, 276: 276, 0: 0, 108: 108, 12: 101, 14: 101,
                   228: 228, 229: 229, 147: 147, 239: 239, 242: 242, 10: 10, 129: 129,
                   178: 178, 105: 105, 127: 127, 9: 9, 50: 50, 104: 104, 51: 51}

# LINKTYPE in a file -> fuzz_decode index (RAW gets both of its DLT values).
LINKTYPE_TO_INDEX = {1: [0], 113: [1], 276: [2], 0: [3], 108: [4], 101: [5, 6], 12: [5, 6],
                     14: [5, 6], 228: [7], 229: [8], 239: [10], 242: [11], 10: [12],
                     129: [13], 178: [14], 105: [15], 127: [16], 9: [17], 50: [18],
                     104: [19], 51: [20]}

MAX_FRAME = 262144
MAX_FRAMES_PER_FILE = 48
MAX_UNSUPPORTED_PER_FILE = 2


def wire_len(b1, b2, caplen):
    """The wire length fuzz_decode derives; keep in step with wire_len() in fuzz_decode.c."""
    v = b1 << 8 | b2
    delta = v // 3
    if v % 3 == 0:
        return caplen
    if v % 3 == 1:
        return 0xFFFFFFFF if delta == 0xFFFF // 3 else caplen + delta
    return caplen - delta if caplen > delta else 0


def wire_bytes(caplen, wirelen):
    """The two bytes that make wire_len() give wirelen (or the nearest it can)."""
    top = 0xFFFF // 3 - 1
    if wirelen == caplen:
        v = 0
    elif wirelen > caplen:
        v = 3 * min(wirelen - caplen, top) + 1
    else:
        v = 3 * min(caplen - wirelen, top) + 2
    return bytes([v >> 8, v & 0xFF])


def read_pcap(data):
    """Yields (linktype, frame, wirelen) from a classic pcap file, as far as it goes."""
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        return
    if len(data) < 24:
        return
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, wirelen = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        frame = data[off:off + caplen]
        if caplen > MAX_FRAME or len(frame) < caplen:
            return
        off += caplen
        yield linktype, frame, wirelen


def read_pcapng(data):
    """Yields (linktype, frame, wirelen) from a pcapng file, as far as it goes."""
    off = 0
    e = "<"
    ifaces = []  # (linktype, snaplen)
    while off + 12 <= len(data):
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:  # section header: byte order from its magic
            bom = data[off + 8:off + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                e = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                e = ">"
            else:
                return
            ifaces = []
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            return
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 8:  # interface description
            lt, _, snap = struct.unpack(e + "HHI", body[:8])
            ifaces.append((lt, snap))
        elif btype == 6 and len(body) >= 20:  # enhanced packet
            iid, _, _, caplen, wirelen = struct.unpack(e + "IIIII", body[:20])
            frame = body[20:20 + caplen]
            if iid < len(ifaces) and len(frame) == caplen and caplen <= MAX_FRAME:
                yield ifaces[iid][0], frame, wirelen
        elif btype == 3 and len(body) >= 4 and ifaces:  # simple packet
            wirelen = struct.unpack(e + "I", body[:4])[0]
            snap = ifaces[0][1] or MAX_FRAME
            frame = body[4:4 + min(wirelen, snap)]
            if len(frame) <= MAX_FRAME:
                yield ifaces[0][0], frame, wirelen
        elif btype == 2 and len(body) >= 20:  # obsolete packet block
            iid, _, _, _, caplen, wirelen = struct.unpack(e + "HHIIII", body[:20])
            frame = body[20:20 + caplen]
            if iid < len(ifaces) and len(frame) == caplen and caplen <= MAX_FRAME:
                yield ifaces[iid][0], frame, wirelen
        off += blen


def frames_of(path):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return
    try:
        if data[:4] == b"\x0a\x0d\x0d\x0a":
            yield from read_pcapng(data)
        else:
            yield from read_pcap(data)
    except (struct.error, IndexError):
        return


def extract(outdir, paths):
    os.makedirs(outdir, exist_ok=True)
    seen = set()
    for p in paths:
        n = unsupported = 0
        for linktype, frame, wirelen in frames_of(p):
            idxs = LINKTYPE_TO_INDEX.get(linktype)
            if idxs is None:
                if unsupported >= MAX_UNSUPPORTED_PER_FILE:
                    continue
                unsupported += 1
                idxs = [UNSUPPORTED_INDEX]
            for idx in idxs:
                seed = bytes([idx]) + wire_bytes(len(frame), wirelen) + frame
                h = hashlib.sha1(seed).hexdigest()
                if h in seen:
                    continue
                seen.add(h)
                with open(os.path.join(outdir, h), "wb") as f:
                    f.write(seed)
            n += 1
            if n >= MAX_FRAMES_PER_FILE:
                break
    return len(seen)


def to_pcap(data):
    """A fuzz_decode input as a one-packet pcap file (bytes); None if it has no frame."""
    if len(data) < 3 or len(data) - 3 > MAX_FRAME:
        return None
    dlt = DECODE_LINKS[data[0] % len(DECODE_LINKS)]
    frame = data[3:]
    caplen = len(frame)
    wirelen = wire_len(data[1], data[2], caplen)
    hdr = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, MAX_FRAME, DLT_TO_LINKTYPE[dlt])
    rec = struct.pack("<IIII", 1767225600, 0, caplen, wirelen)
    return hdr + rec + frame


def main(argv):
    if len(argv) >= 3 and argv[1] == "extract":
        n = extract(argv[2], argv[3:])
        print("%d frames" % n)
        return 0
    if len(argv) == 4 and argv[1] == "to-pcap":
        with open(argv[2], "rb") as f:
            out = to_pcap(f.read())
        if out is None:
            print("no frame in %s" % argv[2], file=sys.stderr)
            return 1
        with open(argv[3], "wb") as f:
            f.write(out)
        return 0
    print(__doc__.strip().splitlines()[-2:], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
