#!/usr/bin/env python3
"""Check one capture made by record.sh, and print its summary.

usage: validate.py FILE FIRST_FIN CLIENT4 CLIENT6 KIND KEYLOG

The one TCP connection in FILE must have the full handshake, a GET, a 200,
a FIN from each side (FIRST_FIN, client or server, sending the first) and
an ACK for each FIN, and no RST; its first packet must come from CLIENT4 or
CLIENT6. Prints a one-line summary (format, link type, packets, who sent the
first FIN, TCP checksum state per direction). KIND adds checks and a second
summary line: http (exactly one GET and one 200), keepalive (two of each on
the one connection), loss (a gap in the server's data, a retransmission that
fills it, duplicate ACKs or SACK blocks from the client) or tls (ClientHello,
ServerHello, application data from both sides; with KEYLOG, curl's
SSLKEYLOGFILE, one GET and one 200 inside the TLS stream; KEYLOG may be "").
Reads FILE with tshark. A failed check is one line on stderr, in record.sh's
name as it is record.sh's check, and exit status 1.
"""
import struct
import subprocess
import sys

path, want_first_fin, client4, client6, mode, keylog = sys.argv[1:]
name = path.rsplit("/", 1)[-1]
LINKTYPES = {0: "NULL", 1: "EN10MB", 101: "RAW", 108: "LOOP",
             113: "LINUX_SLL", 276: "LINUX_SLL2"}


def fail(msg):
    print(f"record.sh: error: {name}: {msg}", file=sys.stderr)
    sys.exit(1)


def tshark_lines(fields, opts, what="tshark"):
    """tshark's lines of tab-separated FIELDS (first occurrence of each),
    one per frame it shows with these options."""
    cmd = ["tshark", "-n", "-r", path, *opts, "-T", "fields",
           "-E", "separator=\t", "-E", "occurrence=f"]
    for field in fields:
        cmd += ["-e", field]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        fail(f"{what} failed: " + res.stderr.strip())
    return res.stdout.splitlines()


def link_type():
    with open(path, "rb") as f:
        head = f.read(64)
    if head[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        return "pcap", struct.unpack_from("<I", head, 20)[0] & 0xFFFF
    if head[:4] in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        return "pcap", struct.unpack_from(">I", head, 20)[0] & 0xFFFF
    if head[:4] == b"\x0a\x0d\x0d\x0a":
        order = "<" if head[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        shb_len = struct.unpack_from(order + "I", head, 4)[0]
        with open(path, "rb") as f:
            f.seek(shb_len)
            idb = f.read(12)
        btype = struct.unpack_from(order + "I", idb, 0)[0]
        if btype != 1:
            fail("pcapng block after the section header is not an IDB")
        return "pcapng", struct.unpack_from(order + "H", idb, 8)[0]
    fail("neither pcap nor pcapng")


FIELDS = ["frame.number", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
          "tcp.stream", "tcp.flags", "tcp.seq_raw", "tcp.ack_raw", "tcp.len",
          "tcp.hdr_len", "tcp.checksum", "tcp.checksum.status",
          "http.request.method", "http.response.code"]
TLS_OPTS = ["-o", "tls.keylog_file:" + keylog] if keylog else []
pkts = []
for line in tshark_lines(FIELDS, ["-o", "tcp.check_checksum:TRUE", *TLS_OPTS]):
    p = dict(zip(FIELDS, line.split("\t")))
    p["src"] = p["ip.src"] or p["ipv6.src"]
    p["dst"] = p["ip.dst"] or p["ipv6.dst"]
    for k in ("tcp.flags", "tcp.checksum"):
        p[k] = int(p[k], 16) if p[k] else None
    for k in ("tcp.seq_raw", "tcp.ack_raw", "tcp.len", "tcp.hdr_len"):
        p[k] = int(p[k]) if p[k] else None
    pkts.append(p)
if not pkts:
    fail("no packets")
# tshark does not reassemble segments whose checksum it has found bad, and
# here they all are (see README.md), so a response spread over several
# segments is only decoded with checksum validation off: take the HTTP
# fields from a second pass without it.
HTTP_FIELDS = ["http.request.method", "http.response.code"]
rows = tshark_lines(HTTP_FIELDS, ["-o", "tcp.check_checksum:FALSE", *TLS_OPTS])
if len(rows) != len(pkts):
    fail("the two tshark passes disagree on the number of packets")
for p, line in zip(pkts, rows):
    p.update(zip(HTTP_FIELDS, line.split("\t")))
if any(p["tcp.flags"] is None for p in pkts):
    fail("contains non-TCP packets")
if {p["tcp.stream"] for p in pkts} != {"0"}:
    fail("expected exactly one TCP connection")

SYN, ACK, FIN, RST = 0x02, 0x10, 0x01, 0x04
client = pkts[0]["src"]
if client not in (client4, client6):
    fail(f"first packet is from {client}, not the client")
server = pkts[0]["dst"]
side = lambda p: "client" if p["src"] == client else "server"


def first(pred, what):
    for i, p in enumerate(pkts):
        if pred(p):
            return i
    fail("no " + what)


syn = first(lambda p: p["tcp.flags"] & (SYN | ACK) == SYN and side(p) == "client", "SYN from the client")
synack = first(lambda p: p["tcp.flags"] & (SYN | ACK) == SYN | ACK and side(p) == "server", "SYN-ACK from the server")
isn_c, isn_s = pkts[syn]["tcp.seq_raw"], pkts[synack]["tcp.seq_raw"]
if pkts[synack]["tcp.ack_raw"] != (isn_c + 1) % 2**32:
    fail("SYN-ACK does not acknowledge the SYN")
ack3 = first(lambda p: side(p) == "client" and p["tcp.flags"] & (SYN | FIN | RST) == 0
             and p["tcp.flags"] & ACK and p["tcp.ack_raw"] == (isn_s + 1) % 2**32, "handshake ACK")
if not syn < synack < ack3:
    fail("handshake packets out of order")
gets = [p["frame.number"] for p in pkts if p["http.request.method"] == "GET" and side(p) == "client"]
oks = [p["frame.number"] for p in pkts if p["http.response.code"] == "200" and side(p) == "server"]
if mode == "tls" and not keylog:
    pass    # encrypted: no HTTP to be seen
else:
    want_http = 2 if mode == "keepalive" else 1
    if not gets:
        fail("no HTTP GET from the client")
    if not oks:
        fail("no HTTP 200 response")
    if len(gets) != want_http or len(oks) != want_http:
        fail(f"{len(gets)} GET requests and {len(oks)} 200 responses, "
             f"expected {want_http} of each")
    if any(p["http.request.method"] not in ("", "GET") for p in pkts) or \
            any(p["http.response.code"] not in ("", "200") for p in pkts):
        fail("unexpected HTTP method or status code")
if any(p["tcp.flags"] & RST for p in pkts):
    fail("connection was reset (RST seen)")

fins = {}
for i, p in enumerate(pkts):
    if p["tcp.flags"] & FIN and side(p) not in fins:
        fins[side(p)] = i
for s in ("client", "server"):
    if s not in fins:
        fail(f"no FIN from the {s}")
    fin = pkts[fins[s]]
    want_ack = (fin["tcp.seq_raw"] + fin["tcp.len"] + 1) % 2**32
    if not any(side(q) != s and q["tcp.ack_raw"] == want_ack for q in pkts[fins[s] + 1:]):
        fail(f"the {s}'s FIN is never acknowledged (final ACK missing?)")
first_fin = min(fins, key=fins.get)
if first_fin != want_first_fin:
    fail(f"the {first_fin} sent the first FIN, expected the {want_first_fin}")
last = pkts[-1]
if last["tcp.flags"] != ACK or last["tcp.len"]:
    fail("last packet is not the bare ACK that ends the teardown")


# Checksums: status 1 = correct, 0 = wrong. Wrong ones are expected to hold
# the pseudo-header sum that the kernel leaves for the NIC to complete.
def pseudo_sum(p):
    import ipaddress
    src = ipaddress.ip_address(p["src"]).packed
    dst = ipaddress.ip_address(p["dst"]).packed
    tcp_len = p["tcp.hdr_len"] + p["tcp.len"]
    if len(src) == 4:   # zero, protocol, 16-bit TCP length
        data = src + dst + struct.pack(">HH", 6, tcp_len)
    else:               # 32-bit TCP length, 3 zero bytes, next header
        data = src + dst + struct.pack(">IxxxB", tcp_len, 6)
    total = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


csum = {}
for p in pkts:
    status = p["tcp.checksum.status"]
    kind = ("ok" if status == "1" else
            "partial" if status == "0" and p["tcp.checksum"] == pseudo_sum(p) else
            "bad" if status == "0" else "unchecked")
    key = f"{side(p)}->{'server' if side(p) == 'client' else 'client'}"
    csum.setdefault(key, {}).setdefault(kind, 0)
    csum[key][kind] += 1
csum_text = "; ".join(f"{k}: " + ", ".join(f"{n} {kind}" for kind, n in sorted(v.items()))
                      for k, v in sorted(csum.items()))
fmt, lt = link_type()
print(f"{name}: {fmt}, linktype {lt} ({LINKTYPES.get(lt, '?')}), "
      f"{len(pkts)} packets, first FIN from the {first_fin}; "
      f"tcp checksums {csum_text}")


def tshark_rows(display_filter, fields, opts=()):
    """Rows of FIELDS for the frames matching a tshark display filter."""
    return [line.split("\t") for line in
            tshark_lines(fields, [*opts, "-Y", display_filter], f"tshark -Y '{display_filter}'")]


def frames(display_filter, opts=()):
    """Frame numbers matching a tshark display filter."""
    return [int(row[0]) for row in tshark_rows(display_filter, ["frame.number"], opts)]


def listing(numbers):
    return ",".join(map(str, numbers)) if numbers else "none"


C_FILTER = f"ip.src == {client}" if "." in client else f"ipv6.src == {client}"
S_FILTER = C_FILTER.replace(".src ==", ".dst ==")

if mode == "keepalive":
    print(f"  {name}: GET in frames {listing(gets)}, 200 in frames {listing(oks)}, "
          "all on the one TCP connection")

elif mode == "loss":
    # Relative sequence numbers of the server's data segments, in order.
    data = [tuple(map(int, row)) for row in
            tshark_rows(f"{S_FILTER} && tcp.len > 0", ["frame.number", "tcp.seq", "tcp.nxtseq"])]
    lost = frames(f"{S_FILTER} && tcp.analysis.lost_segment")
    retr = frames(f"{S_FILTER} && tcp.analysis.retransmission")
    fast = frames(f"{S_FILTER} && tcp.analysis.fast_retransmission")
    ooo = frames(f"{S_FILTER} && tcp.analysis.out_of_order")
    dup = frames(f"{C_FILTER} && tcp.analysis.duplicate_ack")
    sack = frames(f"{C_FILTER} && tcp.options.sack_le")
    if len(lost) != 1:
        fail("expected one gap in the server's data, tshark reports 'previous "
             f"segment not captured' in frames {listing(lost)}")
    # The hole: from the highest sequence number sent before the gap up to
    # the first segment after it.
    i = next(k for k, d in enumerate(data) if d[0] == lost[0])
    hole = (max(d[2] for d in data[:i]), data[i][1])
    fills = [d[0] for d in data[i + 1:] if d[1] == hole[0]]
    if not fills:
        fail(f"no segment starting at relative seq {hole[0]} fills the hole {hole}")
    if any(d[1] < hole[0] for d in data[i + 1:]):
        fail("the server retransmits data from before the hole too")
    if fills[0] not in retr + fast + ooo:
        fail(f"frame {fills[0]} fills the hole but tshark does not flag it as a retransmission")
    if not (dup or sack):
        fail("the client sends neither duplicate ACKs nor SACK blocks")
    print(f"  {name}: server bytes at relative seq {hole[0]}-{hole[1] - 1} "
          f"({hole[1] - hole[0]} bytes) missing, gap flagged in frame {lost[0]} "
          f"(lost_segment); resent in frame {listing(fills)}; server frames flagged "
          f"retransmission {listing(retr)}, fast_retransmission {listing(fast)}, "
          f"out_of_order {listing(ooo)}; client frames flagged duplicate_ack "
          f"{listing(dup)}; client frames with SACK blocks {listing(sack)}")

elif mode == "tls":
    # Looked at without the keys, as any tool would see the file.
    ch = frames(f"{C_FILTER} && tls.handshake.type == 1")
    sh = frames(f"{S_FILTER} && tls.handshake.type == 2")
    c_app = frames(f"{C_FILTER} && tls.record.content_type == 23")
    s_app = frames(f"{S_FILTER} && tls.record.content_type == 23")
    if len(ch) != 1 or len(sh) != 1:
        fail(f"expected one ClientHello and one ServerHello, found frames "
             f"{listing(ch)} and {listing(sh)}")
    if not c_app or not s_app:
        fail("no TLS application data records from "
             + ("the client" if not c_app else "the server"))
    if not ch[0] < sh[0] < min(c_app[0], s_app[0]):
        fail("ClientHello, ServerHello and application data are out of order")
    # TLS 1.3 puts the real version in an extension, TLS 1.2 in the hello.
    ext_version, version, suite = tshark_rows(
        f"frame.number == {sh[0]}",
        ["tls.handshake.extensions.supported_version", "tls.handshake.version",
         "tls.handshake.ciphersuite"])[0]
    version = ext_version or version
    version = {"0x0303": "TLS 1.2", "0x0304": "TLS 1.3"}.get(version, version or "?")

    def first_app(app):
        """The first frame with an application data record, and the frame
        that record starts in (tshark shows it where reassembly ends)."""
        res = subprocess.run(["tshark", "-n", "-r", path, "-Y", f"frame.number == {app[0]}",
                              "-T", "fields", "-e", "tcp.segment", "-E", "occurrence=a",
                              "-E", "aggregator=,"], capture_output=True, text=True)
        segments = [int(x) for x in res.stdout.strip().split(",") if x]
        if len(segments) > 1:
            return f"{app[0]} (the record spans frames {listing(segments)})"
        return f"{app[0]}"

    line = (f"  {name}: ClientHello in frame {ch[0]}, ServerHello in frame {sh[0]} "
            f"({version}, cipher suite {suite}); first application data record from "
            f"the client in frame {first_app(c_app)}, from the server in frame "
            f"{first_app(s_app)}")
    if keylog:
        line += f"; decrypted: GET in frame {listing(gets)}, 200 in frame {listing(oks)}"
    print(line)
