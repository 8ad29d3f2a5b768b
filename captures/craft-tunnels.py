#!/usr/bin/env python3
"""craft-tunnels.py — crafted captures of TCP inside encapsulations and on the
less common link types, for what this machine cannot record (its kernel has
no GRE, IP-in-IP, Geneve or VLAN devices, and no radio, InfiniBand or FDDI).

Every file holds one short HTTP/1.0 exchange per connection (handshake,
request, response, both FINs), built field by field with tests/lib/pcapgen.py
and then wrapped, frame by frame, in the layers the file is about. Checksums
of every IP and TCP header are computed (UDP's are 0, which IPv4 allows), so tshark agrees with
tcpnarrate on every field (tests/oracle).

    captures/craft-tunnels.py [DIR]     (default: captures/)
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lib"))
from pcapgen import Pcap, ether, ipv4, ipv6, tcp  # noqa: E402

OUTER4 = ("192.0.2.1", "192.0.2.2")
OUTER6 = ("2001:db8:1::1", "2001:db8:1::2")
REQ = b"GET / HTTP/1.0\r\n\r\n"
RESP = b"HTTP/1.0 200 OK\r\n\r\nhello\n"


def conversation(ip, c, s, cport=40000, sport=80):
    """(direction, inner IP packet) of one exchange; direction 0: client to server."""
    cs, ss = 1000, 5000
    segs = [
        (0, dict(seq=cs, flags="S")),
        (1, dict(seq=ss, ack=cs + 1, flags="SA")),
        (0, dict(seq=cs + 1, ack=ss + 1, flags="A")),
        (0, dict(seq=cs + 1, ack=ss + 1, flags="PA", payload=REQ)),
        (1, dict(seq=ss + 1, ack=cs + 1 + len(REQ), flags="PA", payload=RESP)),
        (1, dict(seq=ss + 1 + len(RESP), ack=cs + 1 + len(REQ), flags="FA")),
        (0, dict(seq=cs + 1 + len(REQ), ack=ss + 2 + len(RESP), flags="FA")),
        (1, dict(seq=ss + 2 + len(RESP), ack=cs + 2 + len(REQ), flags="A")),
    ]
    out = []
    for d, k in segs:
        if d == 0:
            out.append((0, ip(c, s, tcp(cport, sport, window=64240, **k))))
        else:
            out.append((1, ip(s, c, tcp(sport, cport, window=64240, **k))))
    return out


def conv4(c="10.0.0.1", s="10.0.0.2", **k):
    return conversation(ipv4, c, s, **k)


def conv6(c="fd00::1", s="fd00::2", **k):
    return conversation(ipv6, c, s, **k)


def outer4(d, payload, proto):
    a, b = OUTER4 if d == 0 else OUTER4[::-1]
    return ipv4(a, b, payload, proto=proto, df=False)


def outer6(d, payload, nh):
    a, b = OUTER6 if d == 0 else OUTER6[::-1]
    return ipv6(a, b, payload, next_header=nh)


def udp(d, dport, payload, sport=50000):
    """A UDP header with checksum 0 (allowed over IPv4; RFC 6935 for tunnels over IPv6)."""
    s, t = (sport, dport) if d == 0 else (sport + 1, dport)
    return struct.pack("!HHHH", s, t, 8 + len(payload), 0) + payload


def inner_eth(pkt, vlans=()):
    return ether(pkt, vlans=vlans, dst=b"\x02\x00\x00\x00\x10\x02", src=b"\x02\x00\x00\x00\x10\x01")


def gre(proto, payload, key=None, seq=None, csum=False):
    flags = (0x8000 if csum else 0) | (0x2000 if key is not None else 0) | \
        (0x1000 if seq is not None else 0)
    h = struct.pack("!HH", flags, proto)
    if csum:
        h += b"\0\0\0\0"
    if key is not None:
        h += struct.pack("!I", key)
    if seq is not None:
        h += struct.pack("!I", seq)
    return h + payload


def vxlan(vni, payload):
    return struct.pack("!II", 0x08000000, vni << 8) + payload


def geneve(vni, proto, payload, options=b""):
    return struct.pack("!BBHI", len(options) // 4, 0, proto, vni << 8) + options + payload


def gtpu(teid, payload, ext=True):
    if not ext:
        return struct.pack("!BBHI", 0x30, 255, len(payload), teid) + payload
    # PDU session container (type 0x85): 1 unit of 4 bytes, QFI 9, then no more.
    body = struct.pack("!HBB", 0, 0, 0x85) + bytes([1, 0x00, 0x09, 0])
    return struct.pack("!BBHI", 0x34, 255, len(body) + len(payload), teid) + body + payload


def mpls(labels, payload, ttl=64):
    out = b""
    for i, lab in enumerate(labels):
        bos = 1 if i == len(labels) - 1 else 0
        out += struct.pack("!I", (lab << 12) | (bos << 8) | ttl)
    return out + payload


def pppoe(session, pkt):
    proto = 0x0057 if pkt[0] >> 4 == 6 else 0x0021
    return struct.pack("!BBHHH", 0x11, 0, session, len(pkt) + 2, proto) + pkt


def write(path, linktype, frames):
    with Pcap(path, linktype=linktype) as p:
        for f in frames:
            p.add(f)


def eth_frames(conv, wrap):
    return [ether(wrap(d, pkt)) for d, pkt in conv]


def gre_files(out):
    write(out("gre-ipv4.pcap"), 1, eth_frames(conv4(), lambda d, p: outer4(
        d, gre(0x0800, p, key=5, seq=d * 100 + 1), 47)))
    write(out("gre-ipv6-inner.pcap"), 1, eth_frames(conv6(), lambda d, p: outer4(
        d, gre(0x86DD, p, csum=False), 47)))
    # ERSPAN II and III: the mirrored frames are Ethernet frames of the conversation.
    e2 = lambda d, p: outer4(d, gre(0x88BE, struct.pack("!HHI", 0x1000 | 10, 0x0000 | 7, 0)
                                    + inner_eth(p), seq=d), 47)
    write(out("gre-erspan2.pcap"), 1, eth_frames(conv4(), e2))
    e3 = lambda d, p: outer4(d, gre(0x22EB, struct.pack("!HHIHH", 0x2000 | 20, 0x0000 | 9,
                                                        123456, 0, 0) + inner_eth(p), seq=d), 47)
    write(out("gre-erspan3.pcap"), 1, eth_frames(conv4(), e3))
    wccp = lambda d, p: outer4(d, gre(0x883E, struct.pack("!BBBB", 0, 0x5a, 0, 0) + p), 47)
    write(out("gre-wccp.pcap"), 1, eth_frames(conv4(), wccp))
    gudp = lambda d, p: outer4(d, udp(d, 4754, gre(0x0800, p, key=11)), 17)
    write(out("gre-udp.pcap"), 1, eth_frames(conv4(), gudp))


def udp_files(out):
    opt = struct.pack("!HBB", 0x0102, 0x80, 1) + b"\xaa\xbb\xcc\xdd"   # one 4-byte option
    gen = lambda d, p: outer4(d, udp(d, 6081, geneve(77, 0x6558, inner_eth(p), opt)), 17)
    write(out("geneve-ipv4.pcap"), 1, eth_frames(conv4(), gen))
    gtp = lambda d, p: outer4(d, udp(d, 2152, gtpu(0x1000 + d, p), sport=2152), 17)
    write(out("gtpu-ipv4.pcap"), 1, eth_frames(conv4(), gtp))
    ter = lambda d, p: outer4(d, udp(d, 3544, p, sport=3544), 17)
    write(out("teredo.pcap"), 1, eth_frames(conv6("2001::1", "2001::2"), ter))
    # Two tenants, the same inner addresses and ports, VNI 1 and VNI 2, interleaved.
    t1 = [ether(outer4(d, udp(d, 4789, vxlan(1, inner_eth(p))), 17)) for d, p in conv4()]
    t2 = [ether(outer4(d, udp(d, 4789, vxlan(2, inner_eth(p))), 17)) for d, p in conv4()]
    write(out("vxlan-two-tenants.pcap"), 1, [f for pair in zip(t1, t2) for f in pair])
    vl = lambda d, p: outer4(d, udp(d, 4789, vxlan(42, inner_eth(p, vlans=[(0x8100, 100)]))), 17)
    write(out("vxlan-vlan.pcap"), 1, eth_frames(conv4(), vl))


def ipip_files(out):
    frames = [ether(outer4(d, p, 4)) for d, p in conv4(cport=40001)]
    frames += [ether(outer4(d, p, 41)) for d, p in conv6(cport=40002)]
    frames += [ether(outer6(d, p, 4)) for d, p in conv4(cport=40003)]
    frames += [ether(outer6(d, p, 41)) for d, p in conv6(cport=40004)]
    write(out("ip-in-ip.pcap"), 1, frames)


def carrier_files(out):
    frames = [ether(mpls([100, 200], p), ethertype=0x8847) for d, p in conv4(cport=40001)]
    frames += [ether(mpls([300], p), ethertype=0x8847) for d, p in conv6(cport=40002)]
    frames += [ether(mpls([400], b"\0\0\0\0" + inner_eth(p)), ethertype=0x8847)
               for d, p in conv4(cport=40003)]
    write(out("mpls.pcap"), 1, frames)
    write(out("pppoe.pcap"), 1, [ether(pppoe(0x1234, p), ethertype=0x8864) for d, p in conv4()])
    pbb = lambda p: struct.pack("!I", 0x00000100) + inner_eth(p)
    write(out("pbb.pcap"), 1, [ether(pbb(p), ethertype=0x88E7) for d, p in conv4()])
    write(out("ppp.pcap"), 9, [b"\xff\x03\x00\x21" + p for d, p in conv4()])
    write(out("ppp-serial.pcap"), 50, [b"\xff\x03\x00\x21" + p for d, p in conv4()])
    write(out("chdlc.pcap"), 104, [b"\x0f\x00\x08\x00" + p for d, p in conv4()])
    write(out("ppp-ether.pcap"), 51, [pppoe(7, p) for d, p in conv4()])


def nested_frame(p, d):
    """Ten layers: IPv4, UDP, VXLAN, Ethernet, VLAN, IPv4, GRE, MPLS, MPLS, IPv4 (IP in IP)."""
    a, b = ("172.16.0.1", "172.16.0.2") if d == 0 else ("172.16.0.2", "172.16.0.1")
    c, e = ("198.51.100.1", "198.51.100.2") if d == 0 else ("198.51.100.2", "198.51.100.1")
    ipip = ipv4(c, e, p, proto=4, df=False)
    g = ipv4(a, b, gre(0x8847, mpls([16, 17], ipip), key=3), proto=47, df=False)
    return ether(outer4(d, udp(d, 4789, vxlan(9, inner_eth(g, vlans=[(0x8100, 30)]))), 17))


def nested_files(out):
    frames = [nested_frame(p, d) for d, p in conv4()]
    # Too deep: 20 labels is more layers than are kept; the frame is annotated.
    deep = ether(mpls(list(range(16, 36)), conv4()[0][1]), ethertype=0x8847)
    write(out("nested.pcap"), 1, frames + [deep])


def wifi_frame(p, d, qos=True):
    fc = struct.pack("<BB", 0x88 if qos else 0x08, 0x01 if d == 0 else 0x02)
    hdr = fc + b"\0\0" + b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x03" + b"\0\0"
    if qos:
        hdr += b"\0\0"
    return hdr + b"\xaa\xaa\x03\0\0\0" + struct.pack("!H", 0x0800) + p


def radiotap(frame):
    # version, pad, length 12, present: flags (bit 1) and rate (bit 2); flags 0, rate 2, pad.
    return struct.pack("<BBHIBBH", 0, 0, 12, 0x6, 0x00, 2, 0) + frame


def nflog(p):
    prefix = b"tne\0"
    tlvs = struct.pack("<HH", 4 + len(prefix), 10) + prefix
    tlvs += struct.pack("<HH", 8, 1) + struct.pack("!HBB", 0x0800, 3, 0)
    body = p + b"\0" * ((-len(p)) % 4)
    return struct.pack("!BBH", 2, 0, 5) + tlvs + struct.pack("<HH", 4 + len(p), 9) + body


def link_files(out):
    c = conv4()
    write(out("nflog.pcap"), 239, [nflog(p) for d, p in c])
    write(out("ipoib.pcap"), 242, [b"\0" * 40 + b"\x08\x00\0\0" + p for d, p in c])
    fddi = lambda p: b"\x50" + b"\x02" * 6 + b"\x04" * 6 + b"\xaa\xaa\x03\0\0\0\x08\x00" + p
    write(out("fddi.pcap"), 10, [fddi(p) for d, p in c])
    arc = lambda d, p: bytes([1 + d, 2 - d]) + b"\0\0" + b"\xd4\x00\x00\x00" + p
    write(out("arcnet.pcap"), 129, [arc(d, p) for d, p in c])
    jun = lambda p: b"MGC\x00" + inner_eth(p)
    write(out("juniper-ether.pcap"), 178, [jun(p) for d, p in c])
    write(out("wifi.pcap"), 105, [wifi_frame(p, d) for d, p in c])
    write(out("radiotap.pcap"), 127, [radiotap(wifi_frame(p, d, qos=False)) for d, p in c])
    sll = lambda p: struct.pack("!HHH8sH", 0, 803, 0, b"", 0x0019) + radiotap(wifi_frame(p, 0))
    write(out("sll-radiotap.pcap"), 113, [sll(p) for d, p in c])
    llc = lambda p: ether(b"\x06\x06\x03" + p, ethertype=len(p) + 3)
    write(out("llc-ip.pcap"), 1, [llc(p) for d, p in c])


def malformed_files(out):
    p = conv4()[0][1]
    frames = [
        ether(outer4(0, gre(0x0800, p, key=5)[:6], 47)),                 # GRE cut in its key
        ether(outer4(0, udp(0, 4789, vxlan(1, b""))[:12], 17)),           # VXLAN cut
        ether(outer4(0, udp(0, 6081, b"\xc0" + geneve(1, 0x0800, p)[1:]), 17)),  # version 3
        ether(outer4(0, udp(0, 2152, gtpu(1, p)[:10]), 17)),              # GTP-U cut
        ether(mpls([100, 200], b"")[:6], ethertype=0x8847),              # label stack cut
        ether(b"\x11\x09" + pppoe(1, p)[2:], ethertype=0x8864),           # PADI code in session
        ether(outer4(0, gre(0x0800, p)[:2], 47)),                         # GRE cut in its flags
        ether(outer4(0, udp(0, 4789, vxlan(1, inner_eth(p)[:9])), 17)),   # inner Ethernet cut
    ]
    write(out("tunnels-malformed.pcap"), 1, frames)


def main(argv):
    d = argv[1] if len(argv) > 1 else HERE
    out = lambda name: os.path.join(d, name)
    gre_files(out)
    udp_files(out)
    ipip_files(out)
    carrier_files(out)
    nested_files(out)
    link_files(out)
    malformed_files(out)


if __name__ == "__main__":
    main(sys.argv)
