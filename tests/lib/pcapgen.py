"""pcapgen — write pcap files of packets built field by field, for tests.

Crafted captures are made here in code, never by editing bytes by hand, so a
test says what is wrong with a packet ("IP header length 4 words") rather than
carrying an opaque blob. Checksums are computed unless a test overrides them.

    from pcapgen import Pcap, ipv4, tcp, ether
    with Pcap(path) as p:
        p.add(ether(ipv4("10.0.1.5", "10.0.2.10", tcp(43210, 80, seq=1000, flags="S"))))
"""
import ipaddress
import struct

LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276

FLAG_BITS = {"F": 0x01, "S": 0x02, "R": 0x04, "P": 0x08, "A": 0x10, "U": 0x20,
             "E": 0x40, "C": 0x80, "N": 0x100}


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Tcp:
    """A TCP segment; its checksum is filled in by the IP layer that carries it."""

    def __init__(self, sport, dport, seq=0, ack=0, flags="", window=65535, options=b"",
                 payload=b"", doff=None, urgent=0, reserved=0, checksum=None):
        self.sport, self.dport, self.seq, self.ack = sport, dport, seq, ack
        self.flags = flags if isinstance(flags, int) else sum(FLAG_BITS[c] for c in flags)
        self.window, self.options, self.payload = window, options, payload
        self.urgent, self.reserved, self.checksum = urgent, reserved, checksum
        pad = (-len(options)) % 4
        self.opt_bytes = options + b"\0" * pad
        self.doff = doff if doff is not None else (20 + len(self.opt_bytes)) // 4

    def build(self, pseudo):
        off_flags = (self.doff << 12) | (self.reserved << 9) | self.flags
        hdr = struct.pack("!HHIIHHHH", self.sport, self.dport, self.seq & 0xFFFFFFFF,
                          self.ack & 0xFFFFFFFF, off_flags, self.window, 0, self.urgent)
        seg = hdr + self.opt_bytes + self.payload
        c = self.checksum if self.checksum is not None else csum(pseudo(len(seg)) + seg)
        return seg[:16] + struct.pack("!H", c) + seg[18:]


def tcp(*a, **k):
    return Tcp(*a, **k)


# TCP options, as bytes
def opt_mss(v): return struct.pack("!BBH", 2, 4, v)
def opt_wscale(s): return struct.pack("!BBB", 3, 3, s)
def opt_sack_perm(): return b"\x04\x02"
def opt_ts(val, ecr): return struct.pack("!BBII", 8, 10, val, ecr)
def opt_nop(): return b"\x01"
def opt_eol(): return b"\x00"
def opt_sack(*blocks):
    return struct.pack("!BB", 5, 2 + 8 * len(blocks)) + b"".join(
        struct.pack("!II", l & 0xFFFFFFFF, r & 0xFFFFFFFF) for l, r in blocks)
def opt_raw(kind, length, body=b""): return struct.pack("!BB", kind, length) + body


def ipv4(src, dst, payload, proto=6, ttl=64, ident=0, df=True, mf=False, frag=0,
         ihl=None, total_len=None, options=b"", tos=0, checksum=None):
    s, d = ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed
    if isinstance(payload, Tcp):
        payload = payload.build(lambda n: s + d + struct.pack("!BBH", 0, proto, n))
    ihl = ihl if ihl is not None else 5 + len(options) // 4
    total = total_len if total_len is not None else 20 + len(options) + len(payload)
    flags = (0x4000 if df else 0) | (0x2000 if mf else 0) | (frag // 8)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | (ihl & 15), tos, total, ident, flags, ttl,
                      proto, 0, s, d) + options
    c = checksum if checksum is not None else csum(hdr)
    return hdr[:10] + struct.pack("!H", c) + hdr[12:] + payload


def ipv6(src, dst, payload, next_header=6, hops=64, tclass=0, flow=0, ext=b"",
         payload_len=None):
    """ext: extension headers already built (their first next-header chain is the
    caller's business); next_header is the value in the fixed header."""
    s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
    if isinstance(payload, Tcp):
        payload = payload.build(lambda n: s + d + struct.pack("!IxxxB", n, 6))
    body = ext + payload
    plen = payload_len if payload_len is not None else len(body)
    vtf = (6 << 28) | (tclass << 20) | flow
    return struct.pack("!IHBB16s16s", vtf, plen, next_header, hops, s, d) + body


def ip6_ext(next_header, length_units=0, body=None):
    """A generic extension header of (length_units + 1) * 8 bytes."""
    n = (length_units + 1) * 8 - 2
    return struct.pack("!BB", next_header, length_units) + (body or b"\0" * n)[:n].ljust(n, b"\0")


def ether(payload, ethertype=None, vlans=(), dst=b"\x02\x00\x00\x00\x00\x02",
          src=b"\x02\x00\x00\x00\x00\x01"):
    """dst and src: the 6-byte MAC addresses (by default the same two for
    every frame, whichever way it goes)."""
    if ethertype is None:
        ethertype = 0x86DD if payload[0] >> 4 == 6 else 0x0800
    hdr = dst + src
    for tpid, vid in vlans:
        hdr += struct.pack("!HH", tpid, vid)
    return hdr + struct.pack("!H", ethertype) + payload


class Pcap:
    """A classic pcap writer. add() takes the frame and optional caplen/wirelen
    overrides, so tests can write records that lie about their lengths."""

    def __init__(self, path, linktype=LINKTYPE_ETHERNET, snaplen=262144, nanosecond=False):
        self.f = open(path, "wb")
        magic = 0xA1B23C4D if nanosecond else 0xA1B2C3D4
        self.f.write(struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))
        self.t = 1700000000.0
        self.nano = nanosecond

    def add(self, frame, ts=None, caplen=None, wirelen=None, data=None):
        ts = self.t if ts is None else ts
        if isinstance(ts, tuple):      # (seconds, fraction in the file's units): exact
            sec, frac = ts
            self.t = sec + 0.001
        else:
            self.t = ts + 0.001
            sec = int(ts)
            frac = int(round((ts - sec) * (1e9 if self.nano else 1e6)))
        data = frame if data is None else data
        self.f.write(struct.pack("<IIII", sec, frac,
                                 len(data) if caplen is None else caplen,
                                 len(frame) if wirelen is None else wirelen))
        self.f.write(data)

    def close(self):
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def write_syn_flood(path, count, random_sources=False, seed=1):
    """A capture of `count` SYNs, each from a distinct source address and port,
    to 10.0.2.10:80: sequential sources (10.x.y.z counting up) or random ones.
    Built from one template with only the changing fields patched, so a
    million packets take seconds. Checksums are left zero (reported as bad):
    the point is the flow table, not the checksums."""
    import random as _random
    rng = _random.Random(seed)
    frame = bytearray(ether(ipv4("10.0.0.1", "10.0.2.10", tcp(1024, 80, seq=1, flags="S"),
                                 checksum=0)))
    # zero the TCP checksum too: offsets 14 (IP) + 20 (TCP) + 16
    frame[14 + 20 + 16:14 + 20 + 18] = b"\0\0"
    rec = struct.Struct("<IIII")
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, LINKTYPE_ETHERNET))
        t = 1700000000
        out = []
        for i in range(count):
            if random_sources:
                addr = rng.getrandbits(32)
                port = rng.randrange(1024, 65536)
            else:
                addr = 0x0A000000 + (i >> 6)       # 10.0.0.0 upwards, 64 ports each
                port = 1024 + (i & 63)
            struct.pack_into("!I", frame, 14 + 12, addr)
            struct.pack_into("!HHI", frame, 34, port, 80, (i * 7919) & 0xFFFFFFFF)
            out.append(rec.pack(t + i // 100000, (i % 100000) * 10, len(frame), len(frame)))
            out.append(bytes(frame))
            if len(out) >= 20000:
                f.write(b"".join(out))
                out.clear()
        f.write(b"".join(out))
