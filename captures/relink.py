#!/usr/bin/env python3
"""Copy an Ethernet pcap file to one with a different link-layer header.

Usage: relink.py --to {null,loop,raw} INPUT.pcap OUTPUT.pcap

The input must be a classic pcap file (not pcapng) with link type
ETHERNET (1). For each frame the Ethernet header, with any 802.1Q/802.1ad
VLAN tags, is removed and replaced by the header of the chosen link type:

  null  DLT_NULL (0). 4-byte address family in the byte order of the file,
        which is the byte order of the input (little-endian for captures made
        on x86 or ARM Linux). IPv4 = 2, IPv6 = 30. 30 is the value macOS uses
        for AF_INET6; the value differs between systems (Linux 10,
        FreeBSD 28, OpenBSD/NetBSD 24) and readers accept all of them.
  loop  DLT_LOOP (108). 4-byte address family, always big-endian (network
        byte order). IPv4 = 2, IPv6 = 24, as OpenBSD writes it.
  raw   LINKTYPE_RAW (101). No link-layer header: the frame is the IP packet.

The IP packet itself is copied byte for byte, timestamps are kept, and so are
the file's byte order, timestamp resolution, version and snaplen. Frames that
are not IPv4 or IPv6 (ARP, LLDP, ...) are dropped. Bytes after the end of the
IP packet, as given by its length field (Ethernet padding of short frames, a
trailing FCS), are dropped too, since they are not part of the packet and the
new link types have no place for them.

Only the Python standard library is used.
"""

import argparse
import os
import struct
import sys

LINKTYPE_ETHERNET = 1

# --to value -> link type number written to the output file header.
TARGETS = {
    "null": 0,
    "loop": 108,
    "raw": 101,
}

# Address family values. DLT_NULL's value depends on the OS that wrote the
# file; we follow macOS for IPv6. DLT_LOOP exists because OpenBSD wanted a
# byte-order-independent variant, so we use OpenBSD's AF_INET6.
NULL_AF = {4: 2, 6: 30}
LOOP_AF = {4: 2, 6: 24}

ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_IPV6 = 0x86DD
# 802.1Q, 802.1ad (QinQ) and the old pre-standard QinQ value.
VLAN_ETHERTYPES = {0x8100, 0x88A8, 0x9100}

# Magic number as it appears in the file -> (struct byte order, description).
PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", "microsecond"),
    b"\xa1\xb2\xc3\xd4": (">", "microsecond"),
    b"\x4d\x3c\xb2\xa1": ("<", "nanosecond"),
    b"\xa1\xb2\x3c\x4d": (">", "nanosecond"),
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"

# In the link type field of the file header, the low 16 bits are the link
# type; bit 26 ("F") says frames carry an FCS and bits 28-31 give its length
# in 16-bit words.
LINKTYPE_MASK = 0x0000FFFF
FCS_PRESENT = 0x04000000


class RelinkError(Exception):
    """The input cannot be converted; the message says why."""


def link_header(target, version, order):
    """Bytes to put before an IP packet of the given version."""
    if target == "raw":
        return b""
    if target == "null":
        return struct.pack(order + "I", NULL_AF[version])
    return struct.pack(">I", LOOP_AF[version])


def ip_length(packet, version):
    """Length of the IP packet according to its header, or None if unknown."""
    if version == 4:
        if len(packet) < 4:
            return None
        total = struct.unpack_from(">H", packet, 2)[0]
        header = (packet[0] & 0x0F) * 4
        # 0 is used for TSO/"big TCP" packets; anything below the header
        # length is nonsense. Either way we cannot trust it.
        return total if total >= max(header, 20) else None
    if len(packet) < 6:
        return None
    payload = struct.unpack_from(">H", packet, 4)[0]
    # 0 means a jumbogram whose real length is in a hop-by-hop option.
    return 40 + payload if payload else None


def strip_ethernet(frame):
    """Split a frame into (IP version, offset of the IP packet).

    Returns None for frames that do not carry IPv4 or IPv6.
    """
    if len(frame) < 14:
        return None
    offset = 12
    ethertype = struct.unpack_from(">H", frame, offset)[0]
    offset += 2
    while ethertype in VLAN_ETHERTYPES:
        # A tag is the 2-byte TPID we just read plus a 2-byte TCI; the real
        # EtherType (or another tag) follows.
        if len(frame) < offset + 4:
            return None
        ethertype = struct.unpack_from(">H", frame, offset + 2)[0]
        offset += 4
    if ethertype == ETHERTYPE_IPV4:
        version = 4
    elif ethertype == ETHERTYPE_IPV6:
        version = 6
    else:
        return None
    if len(frame) <= offset:
        return None
    # If the EtherType and the IP version nibble disagree the frame is
    # broken; skip it rather than guess which one is right.
    if frame[offset] >> 4 != version:
        return None
    return version, offset


def relink(src, dst, target):
    """Convert the open binary file src into dst. Returns (kept, skipped)."""
    header = src.read(24)
    if len(header) >= 4 and header[:4] == PCAPNG_MAGIC:
        raise RelinkError(
            "input is pcapng, not classic pcap "
            "(convert it first, e.g. editcap -F pcap in.pcapng out.pcap)")
    if len(header) < 24 or header[:4] not in PCAP_MAGICS:
        raise RelinkError("input is not a classic pcap file (bad magic number)")
    order, _resolution = PCAP_MAGICS[header[:4]]
    (_magic, major, minor, thiszone, sigfigs, snaplen,
     network) = struct.unpack(order + "4sHHiIII", header)
    linktype = network & LINKTYPE_MASK
    if linktype != LINKTYPE_ETHERNET:
        raise RelinkError(
            f"input link type is {linktype}, not ETHERNET (1); "
            "only Ethernet captures can be converted")
    has_fcs = bool(network & FCS_PRESENT)

    dst.write(struct.pack(order + "4sHHiIII", header[:4], major, minor,
                          thiszone, sigfigs, snaplen, TARGETS[target]))

    kept = skipped = 0
    record_number = 0
    while True:
        record = src.read(16)
        if not record:
            break
        record_number += 1
        if len(record) < 16:
            raise RelinkError(
                f"record {record_number}: file ends inside a record header")
        ts_sec, ts_frac, incl_len, orig_len = struct.unpack(
            order + "IIII", record)
        frame = src.read(incl_len)
        if len(frame) < incl_len:
            raise RelinkError(
                f"record {record_number}: file ends inside the frame "
                f"({len(frame)} of {incl_len} bytes)")

        split = strip_ethernet(frame)
        if split is None:
            skipped += 1
            continue
        version, offset = split
        packet = frame[offset:]
        declared = ip_length(packet, version)
        if declared is not None and declared < len(packet):
            # Padding or FCS after the IP packet: not part of the packet.
            tail = len(packet) - declared
            packet = packet[:declared]
        elif has_fcs and incl_len == orig_len and len(packet) >= 4:
            # No usable length field but we know a 4-byte FCS is there.
            tail = 4
            packet = packet[:-4]
        else:
            tail = 0

        prefix = link_header(target, version, order)
        new_incl = len(prefix) + len(packet)
        new_orig = max(orig_len - offset - tail + len(prefix), new_incl)
        dst.write(struct.pack(order + "IIII", ts_sec, ts_frac,
                              new_incl, new_orig))
        dst.write(prefix)
        dst.write(packet)
        kept += 1
    return kept, skipped


def main(argv=None):
    parser = argparse.ArgumentParser(
        description="Copy an Ethernet pcap, replacing each frame's Ethernet "
                    "header with a DLT_NULL, DLT_LOOP or LINKTYPE_RAW one.")
    parser.add_argument("--to", required=True, choices=sorted(TARGETS),
                        help="link type to write")
    parser.add_argument("input", help="classic pcap file, link type ETHERNET")
    parser.add_argument("output", help="file to write")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="do not print a summary line")
    args = parser.parse_args(argv)

    prog = os.path.basename(sys.argv[0])
    try:
        if os.path.exists(args.output) and os.path.samefile(args.input,
                                                            args.output):
            raise RelinkError("input and output are the same file")
        with open(args.input, "rb") as src:
            # Write to a temporary name so a failed run leaves no half file.
            tmp = args.output + ".tmp"
            try:
                with open(tmp, "wb") as dst:
                    kept, skipped = relink(src, dst, args.to)
                os.replace(tmp, args.output)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
    except RelinkError as err:
        print(f"{prog}: {args.input}: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"{prog}: {err}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"{prog}: {args.input} -> {args.output} ({args.to}, "
              f"linktype {TARGETS[args.to]}): {kept} frames written, "
              f"{skipped} non-IP frames skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
