#!/usr/bin/env python3
"""Bad input and usage, end to end: each case runs the real binary.

Every case names the input, what tcpnarrate must exit with, and what it must
say: for unusable input one line `tcpnarrate: FILE: what is wrong` on stderr
and exit 1; for a usage error exit 2; for a damaged packet inside a readable
file, a line naming the packet in the narration and exit 0. Crafted captures
come from tests/lib/pcapgen.py.

usage: test_cli.py TCPNARRATE
"""
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from pcapgen import (Pcap, ether, ipv4, ipv6, tcp, ip6_ext, opt_mss, opt_raw, opt_nop,  # noqa: E402
                     opt_sack, opt_sack_perm, opt_wscale, LINKTYPE_ETHERNET)

BIN = os.path.abspath(sys.argv[1])
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
REUSED = os.path.join(ROOT, "captures", "analysis-reused-ports.pcap")
TMP = tempfile.mkdtemp(prefix="tn-cli-")
C, S = "10.0.1.5", "10.0.2.10"


def path(name):
    return os.path.join(TMP, name)


def one(name, frame, **rec):
    with Pcap(path(name)) as p:
        p.add(frame, **rec)
    return path(name)


def syn(**k):
    return tcp(43210, 80, seq=1000, flags="S", options=opt_mss(1460), **k)


def good_file():
    f = path("good.pcap")
    with Pcap(f) as p:
        p.add(ether(ipv4(C, S, syn())))
        p.add(ether(ipv4(S, C, tcp(80, 43210, seq=4500, ack=1001, flags="SA"))))
        p.add(ether(ipv4(C, S, tcp(43210, 80, seq=1001, ack=4501, flags="A"))))
    return f


def truncated_record():
    f = good_file()
    data = open(f, "rb").read()
    open(path("trunc-rec.pcap"), "wb").write(data[:-10])
    return path("trunc-rec.pcap")


def truncated_header():
    open(path("trunc-hdr.pcap"), "wb").write(open(good_file(), "rb").read()[:10])
    return path("trunc-hdr.pcap")


def caplen_over_snaplen():
    f = path("over-snap.pcap")
    frame = ether(ipv4(C, S, syn()))
    with Pcap(f, snaplen=40) as p:
        p.add(frame)
    return f


def damaged(name, snaplen, tail):
    """The good file's three records with the file's snapshot length set to `snaplen`, then the
    bytes `tail` as a fourth record: what the project's reader of classic records must refuse
    with libpcap's own words (sf-pcap.c, pcap_next_packet)."""
    data = bytearray(open(good_file(), "rb").read())
    struct.pack_into("<I", data, 16, snaplen)
    open(path(name), "wb").write(bytes(data) + tail)
    return path(name)


def rec_hdr(caplen):
    return struct.pack("<IIII", 1700000000, 0, caplen, caplen)


def snaplen_cut(at):
    f = path("cut-%d.pcap" % at)
    frame = ether(ipv4(C, S, tcp(43210, 80, seq=1, ack=1, flags="PA",
                                 options=opt_nop() * 4, payload=b"GET / HTTP/1.1\r\n\r\n")))
    with Pcap(f, snaplen=at) as p:
        p.add(frame[:at], wirelen=len(frame), data=frame[:at])
    return f


def ah_packet():
    import ipaddress
    import struct
    src, dst = ipaddress.IPv4Address(C).packed, ipaddress.IPv4Address(S).packed
    seg = syn().build(lambda n: src + dst + struct.pack("!BBH", 0, 6, n))
    ah = struct.pack("!BBHII", 6, 4, 0, 0x1234, 1) + b"\xaa" * 12   # (4 + 2) * 4 = 24 bytes
    return one("ah.pcap", ether(ipv4(C, S, ah + seg, proto=51)))


def one_byte_everything():
    """A connection where every count the narration gives is 1: one byte of data, an MSS of one
    byte, a one-byte window, a one-minute user timeout, one retransmission of one byte, a one-byte
    gap, a one-byte SACK block and a one-byte D-SACK."""
    f = path("one.pcap")
    uto = opt_raw(28, 4, struct.pack("!H", 0x8001))  # granularity bit: minutes
    segs = [("c", "S", 1000, 0, b"", dict(options=opt_mss(1) + opt_sack_perm() + uto)),
            ("s", "SA", 4500, 1001, b"", dict(options=opt_mss(1) + opt_sack_perm())),
            ("c", "A", 1001, 4501, b""), ("c", "PA", 1001, 4501, b"x"),
            ("s", "A", 4501, 1002, b"", dict(window=1)), ("s", "PA", 4501, 1002, b"a"),
            ("s", "PA", 4502, 1002, b"b"), ("c", "A", 1002, 4503, b""),
            ("c", "PA", 1001, 4503, b"x"),                                      # sent again
            ("s", "A", 4503, 1002, b"", dict(options=opt_sack((1001, 1002)))),  # D-SACK
            ("s", "PA", 4504, 1002, b"d"),                                      # byte 3 lost
            ("c", "A", 1002, 4503, b"", dict(options=opt_sack((4504, 4505)))),
            ("s", "PA", 4503, 1002, b"c"), ("c", "A", 1002, 4505, b""),
            ("c", "FA", 1002, 4505, b""), ("s", "FA", 4505, 1003, b""), ("c", "A", 1003, 4506, b"")]
    with Pcap(f) as p:
        for i, (frm, flags, seq, ack, data, *kw) in enumerate(segs):
            a, b, pa, pb = (C, S, 43210, 80) if frm == "c" else (S, C, 80, 43210)
            p.add(ether(ipv4(a, b, tcp(pa, pb, seq=seq, ack=ack, flags=flags, payload=data,
                                       **(kw[0] if kw else {})))), ts=1700000000 + i * 0.001)
    return f


# A count of one followed by a plural noun, anywhere in the output.
ONE_PLURAL = re.compile(r"(?<![\d.])1 (bytes|segments|times|requests|differences|handshake records|"
                        r"records|packets|ACKs|probes|retransmissions|minutes|seconds|round trips|"
                        r"echoes|keep-alives|connections|words)\b")
# A range of one byte with a plural verb.
ONE_BYTE_PLURAL_VERB = re.compile(r"\bbyte \d+ (arrive|reach|were|lie)\b")


def singular_cases():
    """Counts of one read "1 byte", never "1 bytes", in every mode."""
    passed = failed = 0
    f = one_byte_everything()
    want = [r"sends 1 byte of data \(byte 1\)", r"\]  1 byte of data$",
            r"D-SACK: byte 1 reached the receiver twice, so sending it again was not needed",
            r"also holds byte 4, so it is still missing byte 3\.",
            r"byte 3 before this segment was\s+never seen", r"this byte\s+is the gap seen at #11: it was lost",
            r"user timeout +1 minute$", r"MSS +1 byte$", r"window +1 byte$",
            r"client sent 9 segments with 1 byte of data", r"1 retransmission \(1 byte\)",
            r"at most 1 byte in flight", r"maximum segment size \(client 1 byte, server 1 byte\)",
            r"the client's maximum segment size \(1 byte\)"]
    outputs = []
    for mode in ([], ["-v"], ["-q"], ["--compare"], ["--summary"], ["--json", "--compare"]):
        r = run(["-r", f, "--color=never"] + mode)
        outputs.append(r.stdout)
        bad = ONE_PLURAL.findall(r.stdout) + ONE_BYTE_PLURAL_VERB.findall(r.stdout)
        name = "counts of one are singular (%s)" % (" ".join(mode) or "default")
        if r.returncode or bad:
            failed += 1
            print("FAIL %s: exit %d, %r" % (name, r.returncode, bad))
        else:
            passed += 1
            print("ok   %s" % name)
    missing = [w for w in want if not any(re.search(w, o, re.M) for o in outputs)]
    print("FAIL one-byte wording: missing %r" % missing if missing else "ok   one-byte wording")
    return passed + (not missing), failed + bool(missing)


def wscale_over_max():
    """The client's SYN asks for shift 15, the server's for 7: the client's is taken as 14."""
    f = path("wscale15.pcap")
    with Pcap(f) as p:
        p.add(ether(ipv4(C, S, tcp(43210, 80, seq=1000, flags="S", options=opt_wscale(15)))), ts=1700000000)
        p.add(ether(ipv4(S, C, tcp(80, 43210, seq=4500, ack=1001, flags="SA", options=opt_wscale(7)))),
              ts=1700000000.001)
        p.add(ether(ipv4(C, S, tcp(43210, 80, seq=1001, ack=4501, flags="A", window=2))), ts=1700000000.002)
    return f


def wscale_cases():
    """A shift over 14 is shown as sent, then as used (14), the same way in every output."""
    f = wscale_over_max()
    checks = [
        (["-v"], [r"^      window scale +shift 15, over the maximum of 14: taken as 14 \(windows × 16384\)$",
                  r"^    window +2 × 16384 = 32768 bytes$"]),
        (["-q"], [r"\[wscale 15 \(taken as 14\)[,\]]", r"win 2 \(32768\)"]),
        (["--compare"], [r"Window scaling is on \(client shift 14, server 7\)",
                         r"The client's SYN asked for\s+shift 15, over the maximum of 14: it is taken as 14"]),
    ]
    passed = failed = 0
    for mode, pats in checks:
        r = run(["-r", f, "--color=never"] + mode)
        bad = [p for p in pats if not re.search(p, r.stdout, re.M)]
        bad += ["says × 32768"] if "× 32768" in r.stdout else []
        print("FAIL shift 15 (%s): %r" % (" ".join(mode), bad) if bad else "ok   shift 15 (%s)" % " ".join(mode))
        passed, failed = passed + (not bad), failed + bool(bad)
    r = run(["-r", f, "--json"])
    objs = [json.loads(x) for x in r.stdout.splitlines()]
    opt = objs[0]["tcp"]["options"][0] if objs and objs[0]["type"] == "segment" else {}
    want = {"shift": 15, "shift_used": 14, "clamped": True, "multiplier": 16384}
    got = {k: opt.get(k) for k in want}
    third = objs[2]["tcp"] if len(objs) > 2 else {}
    ok = got == want and third.get("window_shift") == 14 and third.get("window_scaled") == 32768
    print("ok   shift 15 (--json)" if ok else "FAIL shift 15 (--json): %r, %r" % (got, third))
    return passed + ok, failed + (not ok)


def port_glossary_cases():
    """-v explains each port for its role: the client's is ephemeral, the server's listened on."""
    r = run(["-v", "-c", "2", "--color=never", "-r", good_file()])
    rows = re.findall(r"^    (source|destination) port +(\d+).*\n((?:      .*\n)+)", r.stdout, re.M)
    got = [(end, port, "ephemeral" in text, "listens on" in text) for end, port, text in rows]
    want = [("source", "43210", True, False), ("destination", "80", False, True),
            ("source", "80", False, True), ("destination", "43210", True, False)]
    ok = got == want
    print("ok   -v port rows follow the roles" if ok else "FAIL -v port rows follow the roles: %r" % got)
    return int(ok), int(not ok)


def locale_env(**names):
    """The environment with no locale variable but those given."""
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_CTYPE", "LANG")}
    env.update(names)
    return env


def is_ascii(text):
    return all(ord(c) < 128 for c in text)


def ascii_cases():
    """Text is ASCII when the charset is not UTF-8, or with --ascii; JSON stays UTF-8 either way."""
    passed = failed = 0
    loss = os.path.join(ROOT, "captures", "http11-nginx-loss-ipv4.pcap")
    c_env = locale_env(LC_ALL="C")
    cases = [("LC_ALL=C " + " ".join(m), m + ["-r", loss], c_env)
             for m in ([], ["-q"], ["-v"], ["--compare"], ["--summary"], ["--problems"], ["-q", "--problems"])]
    cases += [("LC_ALL=C --reference -v", ["--reference", "-v"], c_env),
              ("no locale at all", ["--compare", "-r", loss], locale_env()),
              ("--ascii in a UTF-8 locale", ["--ascii", "-v", "--compare", "-r", loss], UTF8_ENV),
              ("--ascii --color=always", ["--ascii", "--color=always", "-v", "-r", loss], UTF8_ENV)]
    for name, args, env in cases:
        r = run(args, env=env)
        bad = sorted({c for c in r.stdout if ord(c) >= 128})
        problems = ["exit %d" % r.returncode] if r.returncode else []
        problems += ["non-ASCII %r" % bad] if bad else []
        problems += [] if "->" in r.stdout else ["no '->' in the output"]
        print("FAIL ASCII, %s: %s" % (name, "; ".join(problems)) if problems else "ok   ASCII, %s" % name)
        passed, failed = passed + (not problems), failed + bool(problems)
    # A UTF-8 locale the C library lacks is judged by its name; a UTF-8 one gives UTF-8.
    for name, env in (("a UTF-8 locale not installed", locale_env(LANG="tn_NOWHERE.UTF-8")),
                      ("LC_ALL=C.UTF-8", UTF8_ENV)):
        r = run(["-q", "-r", loss], env=env)
        ok = r.returncode == 0 and "→" in r.stdout and "·" in r.stdout
        print("ok   UTF-8 kept, %s" % name if ok else "FAIL UTF-8 kept, %s: %r" % (name, r.stdout[:200]))
        passed, failed = passed + ok, failed + (not ok)
    want = run(["--json", "--compare", "-r", loss]).stdout
    same = [run(["--json", "--compare", "-r", loss], env=c_env).stdout,
            run(["--json", "--compare", "--ascii", "-r", loss]).stdout]
    ok = not is_ascii(want) and all(x == want for x in same)
    print("ok   JSON stays UTF-8 under LC_ALL=C and --ascii" if ok else
          "FAIL JSON stays UTF-8 under LC_ALL=C and --ascii")
    return passed + ok, failed + (not ok)


SGR = re.compile(r"\x1b\[[0-9;]*m")


def colour_cases():
    """--color=always: every coloured span ends (a reset) before its newline, so a line never
    carries colour into the next, and no line starts with the reset of the line before."""
    loss = os.path.join(ROOT, "captures", "http11-nginx-loss-ipv4.pcap")
    runs = [["-v", "--compare", "-r", loss], ["-q", "--compare", "-r", loss], ["--problems", "-r", loss],
            ["--reference", "-v"], ["-r", truncated_record()], ["-r", caplen_over_snaplen()],
            ["-r", snaplen_cut(60)], ["-r", snaplen_cut(40)], ["--summary", "-r", loss]]
    passed = failed = 0
    for args in runs:
        r = run(["--color=always"] + args)
        bad = []
        for n, line in enumerate(r.stdout.split("\n"), 1):
            codes = SGR.findall(line)
            if codes and codes[-1] != "\x1b[0m" or line.startswith("\x1b[0m"):
                bad.append("line %d: %r" % (n, line[:80]))
        name = "colour ends before the newline (%s)" % " ".join(a for a in args if not a.startswith("/"))
        print("FAIL %s: %s" % (name, "; ".join(bad[:3])) if bad else "ok   %s" % name)
        passed, failed = passed + (not bad), failed + bool(bad)
    return passed, failed


def ladder_lines_over(text, width):
    """Lines of a ladder wider than width (colour left out), as (number, columns)."""
    return [(n, len(SGR.sub("", line))) for n, line in enumerate(text.split("\n"), 1)
            if len(SGR.sub("", line)) > width]


def ladder_cases():
    """--ladder: no line wider than the width it was given (--width, $COLUMNS, else 80) on
    every shipped capture and the reference, in both character sets and in colour; ASCII under
    LC_ALL=C; its usage errors."""
    passed = failed = 0
    caps = sorted(os.path.join(ROOT, "captures", f) for f in os.listdir(os.path.join(ROOT, "captures"))
                  if f.endswith(".pcap") or f.endswith(".pcapng"))
    sources = [["-r", c] for c in caps] + [["--reference"]]
    runs = []
    for src in sources:
        for width, how in ((80, []), (64, ["--width", "64"]), (132, ["--width", "132"]),
                           (132, ["COLUMNS"]), (200, ["--width", "200", "--ascii", "--compare"]),
                           (80, ["--color=always", "--compare"])):
            env = dict(UTF8_ENV, COLUMNS=str(width)) if how == ["COLUMNS"] else \
                {k: v for k, v in UTF8_ENV.items() if k != "COLUMNS"}
            args = ["--ladder"] + [a for a in how if a != "COLUMNS"] + src
            runs.append((width, args, env))
    bad = []
    for width, args, env in runs:
        r = run(args, env=env)
        over = ladder_lines_over(r.stdout, width)
        if r.returncode or over or r.stderr:
            bad.append("%s: exit %d, lines over %d: %r" % (" ".join(os.path.basename(a) for a in args),
                                                          r.returncode, width, over[:3]))
    print("ok   --ladder fits its width (%d runs)" % len(runs) if not bad else
          "FAIL --ladder fits its width: %s" % "; ".join(bad[:4]))
    passed, failed = passed + (not bad), failed + bool(bad)
    loss = os.path.join(ROOT, "captures", "http11-nginx-loss-ipv4.pcap")
    r = run(["--ladder", "--compare", "-r", loss], env=locale_env(LC_ALL="C"))
    ok = r.returncode == 0 and is_ascii(r.stdout) and "|<-" in r.stdout and "->|" in r.stdout
    print("ok   --ladder in ASCII under LC_ALL=C" if ok else
          "FAIL --ladder in ASCII under LC_ALL=C: %r" % r.stdout[:300])
    passed, failed = passed + ok, failed + (not ok)
    r = run(["--ladder", "--color=always", "-r", loss])
    unended = [line for line in r.stdout.split("\n")
               if SGR.findall(line) and SGR.findall(line)[-1] != "\x1b[0m"]
    ok = r.returncode == 0 and "\x1b[1;31m" in r.stdout and not unended
    print("ok   --ladder colours verdicts and ends every colour" if ok else
          "FAIL --ladder colour: %r" % unended[:3])
    passed, failed = passed + ok, failed + (not ok)
    for args, pat in ((["--ladder", "--json"], r"--json and --ladder: choose one"),
                      (["--ladder", "--summary"], r"--ladder draws every segment: it does not go with --summary"),
                      (["--problems", "--ladder"], r"does not go with --problems"),
                      (["--ladder", "--width", "20"], r"--width wants columns from 64 to 400, not '20'")):
        r = run(args + ["-r", loss])
        ok = r.returncode == 2 and re.search(pat, r.stderr) and r.stderr.count("\n") == 1
        print("ok   usage: %s" % " ".join(args) if ok else "FAIL usage: %s: %r" % (" ".join(args), r.stderr))
        passed, failed = passed + bool(ok), failed + (not ok)
    return passed, failed


def deroff(line):
    return line.replace("\\(->", "→").replace("\\-", "-").replace("\\e", "\\")


def manual_cases():
    """docs/tcpnarrate.1: exit statuses in order, and each example of output is what
    tcpnarrate prints for captures/http10-python-ipv4.pcap, word for word."""
    man = open(os.path.join(ROOT, "docs", "tcpnarrate.1")).read()
    section = man[man.index(".SH EXIT STATUS"):man.index(".SH", man.index(".SH EXIT STATUS") + 1)]
    statuses = [int(x) for x in re.findall(r"^\.TP\n\.B (\d+)$", section, re.M)]
    ok_order = statuses == sorted(statuses) and statuses == [0, 1, 2, 3]
    print("ok   manual: exit statuses in order" if ok_order else "FAIL manual: exit statuses %r" % statuses)
    py = os.path.join(ROOT, "captures", "http10-python-ipv4.pcap")
    real = set()
    for mode in ([], ["--summary"], ["-q"]):
        real |= set(run(["--color=never", "-r", py] + mode).stdout.splitlines())
    examples = [deroff(x) for block in re.findall(r"^\.nf\n(.*?)^\.fi$", man, re.M | re.S)
                for x in block.splitlines() if re.match(r"#?\d+ ", x)]
    missing = [x for x in examples if x not in real]
    ok_ex = bool(examples) and not missing
    print("ok   manual: %d examples of output are real" % len(examples) if ok_ex else
          "FAIL manual: examples not in the output: %r" % missing)
    return ok_order + ok_ex, (not ok_order) + (not ok_ex)


def unreadable():
    f = good_file()
    os.chmod(f, 0)
    return f


# A UTF-8 locale unless a case says otherwise: the text's arrows and signs depend on it.
UTF8_ENV = dict(os.environ, LC_ALL="C.UTF-8")


def run(args, as_nobody=False, env=None):
    cmd = [BIN] + args
    if as_nobody:
        cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=20, stdin=subprocess.DEVNULL,
                          env=env or UTF8_ENV)


# (name, args maker, exit status, stderr pattern or None for empty, stdout patterns)
CASES = [
    ("missing file", lambda: ["-r", path("nope.pcap")], 1,
     r"^tcpnarrate: .*nope\.pcap: No such file or directory\n$", []),
    ("directory", lambda: ["-r", TMP], 1, r"^tcpnarrate: .*: is a directory, not a capture file\n$", []),
    ("empty file", lambda: ["-r", (open(path("empty"), "w").close(), path("empty"))[1]], 1,
     r"^tcpnarrate: .*empty: empty file, not a capture\n$", []),
    ("not a capture", lambda: ["-r", (open(path("t.txt"), "w").write("hello, world\n" * 10),
                                       path("t.txt"))[1]], 1,
     r"^tcpnarrate: .*t\.txt: unknown file format\n$", []),
    ("truncated file header", lambda: ["-r", truncated_header()], 1,
     r"^tcpnarrate: .*trunc-hdr\.pcap: truncated dump file; tried to read 4 file header bytes, only got 2\n$|"
     r"^tcpnarrate: .*trunc-hdr\.pcap: truncated dump file.*\n$", []),
    ("truncated last record", lambda: ["-r", truncated_record()], 1,
     r"^tcpnarrate: .*trunc-rec\.pcap: stopped after packet 2; record at byte \d+: truncated dump file; "
     r"tried to read \d+ captured bytes, only got \d+\n$",
     [r"^#1 ", r"^#2 ", r"the file is damaged: stopped after packet 2", r"2 packets read"]),
    ("record header cut short", lambda: ["-r", damaged("rec-hdr.pcap", 65535, rec_hdr(60)[:5])], 1,
     r"^tcpnarrate: .*rec-hdr\.pcap: stopped after packet 3; record at byte 238: truncated dump file; "
     r"tried to read 16 header bytes, only got 5\n$", [r"3 packets read"]),
    ("captured length over libpcap's maximum",
     lambda: ["-r", damaged("over-max.pcap", 65535, rec_hdr(300000) + b"\0" * 64)], 1,
     r"^tcpnarrate: .*over-max\.pcap: stopped after packet 3; record at byte 238: invalid packet "
     r"capture length 300000, bigger than snaplen of 65535\n$", []),
    ("record over the snapshot length, cut within it",
     lambda: ["-r", damaged("over-cut1.pcap", 100, rec_hdr(200) + b"\0" * 50)], 1,
     r"^tcpnarrate: .*over-cut1\.pcap: stopped after packet 3; record at byte 238: truncated dump "
     r"file; tried to read 100 captured bytes, only got 50\n$", []),
    ("record over the snapshot length, cut past it",
     lambda: ["-r", damaged("over-cut2.pcap", 100, rec_hdr(200) + b"\0" * 150)], 1,
     r"^tcpnarrate: .*over-cut2\.pcap: stopped after packet 3; record at byte 238: truncated dump "
     r"file; tried to read 200 captured bytes, only got 150\n$", []),
    ("record over the snapshot length, then one more",
     lambda: ["-r", damaged("over-then.pcap", 56, rec_hdr(80) + bytes(80) +
                            open(good_file(), "rb").read()[24:24 + 16 + 58])], 0, None,
     [r"the record claims 58 captured bytes, more than the file's snapshot length; only the first 56",
      r"^#4 \(not TCP\)  ! inconsistent file: the record claims 80 captured bytes", r"^#5 .*\[SYN\]",
      r"3 records claimed more captured bytes than the file's snapshot length", r"5 packets read"]),
    ("caplen over snaplen", lambda: ["-r", caplen_over_snaplen()], 0, None,
     [r"! inconsistent file: the record claims 58 captured bytes, more than the file's snapshot length; "
      r"only the first 40 are used", r"1 record claimed more captured bytes than the file's snapshot length",
      r"1 packet read"]),
    ("snaplen cut in payload", lambda: ["-r", snaplen_cut(60)], 0, None,
     [r"! cut short: capture holds 2 of the 18 payload bytes \(byte 60 of the frame\)",
      r"length +18 bytes \(2 captured\)", r"not verified"]),
    ("snaplen cut in options", lambda: ["-r", snaplen_cut(56)], 0, None,
     [r"! cut short: capture ends inside the TCP options \(22 of 24 header bytes\)"]),
    ("snaplen cut in TCP header", lambda: ["-r", snaplen_cut(40)], 0, None,
     [r"^#1 .*not narrated, cut short before the TCP header ended: capture ends after 6 of the 20 bytes "
      r"of the TCP header", r"1 cut short before the TCP header ended"]),
    ("snaplen cut in IP header", lambda: ["-r", snaplen_cut(20)], 0, None,
     [r"not narrated, cut short before the TCP header ended: capture ends after 6 of the 20 bytes of the IPv4 header"]),
    ("IP header length under 20", lambda: ["-r", one("ihl4.pcap", ether(ipv4(C, S, syn(), ihl=4)))], 0, None,
     [r"not narrated, malformed: IPv4 header length 16 bytes is under the 20-byte minimum \(byte 14 of the frame\)"]),
    ("IP header length past the packet",
     lambda: ["-r", one("ihl15.pcap", ether(ipv4(C, S, b"\0" * 8, ihl=15, total_len=28)))], 0, None,
     [r"not narrated, malformed: IPv4 header length 60 bytes runs past the end of the packet \(28 bytes\)"]),
    ("TCP data offset under 5",
     lambda: ["-r", one("doff4.pcap", ether(ipv4(C, S, syn(doff=4))))], 0, None,
     [r"not narrated, malformed: TCP data offset 4 words \(16 bytes\) is under the minimum of 5 words"]),
    ("TCP data offset past the segment",
     lambda: ["-r", one("doff15.pcap", ether(ipv4(C, S, tcp(1, 80, flags="S", doff=15))))], 0, None,
     [r"not narrated, malformed: TCP data offset 60 bytes runs past the end of the segment \(20 bytes\)"]),
    ("option length 0",
     lambda: ["-r", one("optlen0.pcap", ether(ipv4(C, S, tcp(1, 80, flags="S", options=opt_raw(2, 0, b"\0\0")))))],
     0, None, [r"! malformed: TCP option kind 2 at header byte 20: length 0 is under the minimum of 2",
               r"options +4 bytes, malformed"]),
    ("option length 1",
     lambda: ["-r", one("optlen1.pcap", ether(ipv4(C, S, tcp(1, 80, flags="S", options=opt_raw(8, 1, b"\0\0")))))],
     0, None, [r"TCP option kind 8 at header byte 20: length 1 is under the minimum of 2"]),
    ("option length past the header",
     lambda: ["-r", one("optlong.pcap", ether(ipv4(C, S, tcp(1, 80, flags="S",
                                                                options=opt_mss(1460) + opt_raw(8, 10, b"\0\0")))))],
     0, None, [r"TCP option kind 8 at header byte 24: length 10 runs past the end of the TCP header",
               r"MSS +1460 bytes"]),
    ("TCP after IPsec AH in IPv4", lambda: ["-r", ah_packet()], 0, None,
     [r"protocol +51 \(IPsec AH, 24 bytes, then TCP\)", r"checksum +0x[0-9a-f]{4} \(correct\)",
      r"1 TCP segment narrated"]),
    ("bad filter", lambda: ["-r", good_file(), "port", "eighty"], 1,
     r"^tcpnarrate: .*good\.pcap: bad filter expression 'port eighty': .*\n$", []),
    ("filter keeps file numbering", lambda: ["-r", good_file(), "-q", "src", "host", S], 0, None,
     [r"^2 .*10\.0\.2\.10:80 → 10\.0\.1\.5:43210 \[SYN ACK\]", r"2 packets did not match the filter"]),
    ("unknown link type",
     lambda: ["-r", (Pcap(path("ltype.pcap"), linktype=195).close(), path("ltype.pcap"))[1]], 0,
     r"^tcpnarrate: .*ltype\.pcap: link type IEEE802_15_4 \(195\) is not one tcpnarrate decodes; "
     r"its packets are counted and skipped\n$", []),
    ("link type libpcap cannot name",
     lambda: ["-r", (Pcap(path("ltype2.pcap"), linktype=147).close(), path("ltype2.pcap"))[1]], 0,
     r"^tcpnarrate: .*ltype2\.pcap: link type LINKTYPE_147 \(147\) is not one tcpnarrate decodes", []),
    ("no -r", lambda: ["-q"], 2, r"^tcpnarrate: nothing to read: give a capture file with -r FILE or an interface with -i IF \(see 'tcpnarrate --help'\)\n$", []),
    ("unknown option", lambda: ["--frobnicate", "-r", "x"], 2, r"^tcpnarrate: unknown or incomplete option '--frobnicate'", []),
    ("bad --color", lambda: ["--color=purple", "-r", "x"], 2, r"^tcpnarrate: --color wants auto, always or never, not 'purple'", []),
    ("bad -c", lambda: ["-c", "0", "-r", "x"], 2, r"^tcpnarrate: -c wants a positive whole number, not '0'", []),
    ("-r without value", lambda: ["-r"], 2, r"^tcpnarrate: option -r needs a value", []),
    ("-c stops early", lambda: ["-r", good_file(), "-q", "-c", "1"], 0, None, [r"1 TCP segment narrated"]),
    ("--summary with --problems", lambda: ["--summary", "--problems", "-r", "x"], 2,
     r"^tcpnarrate: --summary and --problems: choose one", []),
    ("--summary twice", lambda: ["--summary", "--summary", "-r", good_file()], 0, None,
     [r"^1 10\.0\.1\.5:43210 → 10\.0\.2\.10:80 http \d+\.\d{6}s S1 ShA; client 2 seg 0 B, server 1 seg 0 B; "
      r"retrans 0/0, dupacks 0/0, lost 0/0, zero window 0/0 s; open; end of capture; 1:\S+$"]),
    ("--problems without any", lambda: ["--problems", "-r", good_file()], 0, None,
     [r"\A\nSummary of .*good\.pcap: 3 packets read"]),
    ("--conn past the last connection", lambda: ["--conn", "2", "-q", "-r", good_file()], 1,
     r"^tcpnarrate: .*good\.pcap: no connection 2 \(the capture has 1\)\n$",
     [r"Summary of .*good\.pcap: 3 packets read", r"^  1 connection$"]),
    ("--conn of the last connection", lambda: ["--conn", "1", "-q", "-r", good_file()], 0, None,
     [r"^1 .*\[SYN\]"]),
    ("--conn with --summary, past the last", lambda: ["--conn", "5", "--summary", "-r", REUSED], 1,
     r"^tcpnarrate: .*: no connection 5 \(the capture has 2\)\n$", []),
    ("bad --inner", lambda: ["--inner", "port 80 or port 81", "-r", "x"], 2,
     r"^tcpnarrate: --inner: terms are joined by 'and', not 'or' \(see 'tcpnarrate --help'\)\n$", []),
    ("bad --inner address", lambda: ["--inner", "host 10.0.0.300", "-r", "x"], 2,
     r"^tcpnarrate: --inner: not an IPv4 or IPv6 address: '10\.0\.0\.300'", []),
    ("--inner picks one tunnelled connection",
     lambda: ["--inner", "port 40003", "-q", "-r", os.path.join(ROOT, "captures", "ip-in-ip.pcap")], 0,
     None, [r"^== Connection 1: client 10\.0\.0\.1:40003 → server 10\.0\.0\.2:80 \(http\) via ",
            r"24 TCP segments did not match --inner", r"^  1 connection$"]),
    ("the BPF filter sees outer headers",
     lambda: ["-q", "-r", os.path.join(ROOT, "captures", "vxlan-two-tenants.pcap"), "host", "10.0.0.1"],
     0, None, [r"16 packets did not match the filter", r"0 TCP segments narrated"]),
    ("help", lambda: ["--help"], 0, None, [r"^Usage: tcpnarrate -r FILE"]),
    ("version", lambda: ["--version"], 0, None, [r"^tcpnarrate \d+\.\d+\.\d+$", r"libpcap version"]),
    ("standard input", lambda: ["-r", "-", "-q"], 0, None, []),  # stdin from DEVNULL → empty: see below
]


def pcap_records(f):
    """A classic pcap file's records as (seconds, nanoseconds, caplen, len, bytes)."""
    data = open(f, "rb").read()
    magic = data[:4]
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    out, at = [], 24
    while at + 16 <= len(data):
        sec, frac, caplen, wirelen = struct.unpack(order + "IIII", data[at:at + 16])
        out.append((sec, frac if nano else frac * 1000, caplen, wirelen, data[at + 16:at + 16 + caplen]))
        at += 16 + caplen
    return out


def conn_frames(capture, conn, extra=()):
    """Frame numbers tcpnarrate gives connection `conn` in a capture."""
    r = run(["--json", "-r", capture] + list(extra))
    return [o["n"] for o in map(json.loads, r.stdout.splitlines())
            if o["type"] == "segment" and o["conn"] == conn]


# (name, extra arguments, frames of captures/analysis-reused-ports.pcap the -w file must hold)
WRITE_CASES = [
    ("-w writes every packet", [], list(range(1, 25))),
    ("--conn 2 -w writes connection 2 only", ["--conn", "2"], list(range(13, 25))),
    ("--conn 1 -w writes connection 1 only", ["--conn", "1", "-q"], list(range(1, 13))),
    # The filter keeps only the server's side: the port reuse is not seen, one connection.
    ("--conn 1 -w with a filter", ["--conn", "1", "src", "port", "80"],
     [2, 5, 6, 8, 10, 12, 14, 17, 18, 20, 22, 24]),
    ("--conn 3 -w (no such connection) writes nothing", ["--conn", "3"], []),
]
# What a case of WRITE_CASES must exit with and say on stderr, when not 0 and nothing.
WRITE_ERRORS = {"--conn 3 -w (no such connection) writes nothing":
                (1, r"^tcpnarrate: .*analysis-reused-ports\.pcap: no connection 3 \(the capture has 2\)\n$")}


def write_fragments():
    """--conn N -w writes a connection's IP fragments too, and the file narrates as it did."""
    capture = os.path.join(ROOT, "captures", "fragments.pcap")
    original = pcap_records(capture)
    r = run(["--json", "-r", capture])
    objs = list(map(json.loads, r.stdout.splitlines()))
    passed = failed = 0
    for conn in (1, 2):
        segs = [o for o in objs if o["type"] == "segment" and o["conn"] == conn]
        frames = sorted({f["n"] for o in segs for f in o.get("fragments", [])} |
                        {o["n"] for o in segs})
        out = path("frag-%d.pcap" % conn)
        w = run(["-q", "-r", capture, "--conn", str(conn), "-w", out])
        got = pcap_records(out) if os.path.exists(out) else None
        again = run(["--json", "-r", out]) if got else None
        seen = [o for o in map(json.loads, again.stdout.splitlines())
                if o["type"] == "segment"] if again else []
        problems = []
        if w.returncode != 0 or w.stderr:
            problems.append("exit %d, stderr %r" % (w.returncode, w.stderr))
        if not any(o.get("fragments") for o in segs):
            problems.append("connection %d has no reassembled segment in %s" % (conn, capture))
        if got != [original[n - 1] for n in frames]:
            problems.append("the file holds %d records, not frames %s" % (len(got or []), frames))
        # Read back, every segment is there again, reassembled from as many fragments.
        shape = [(o["tcp"]["seq"], len(o.get("fragments", []))) for o in segs]
        if [(o["tcp"]["seq"], len(o.get("fragments", []))) for o in seen] != shape:
            problems.append("read back, its segments differ")
        name = "--conn %d -w writes the connection's IP fragments" % conn
        print("FAIL %s: %s" % (name, "; ".join(problems)) if problems else "ok   %s" % name)
        passed, failed = passed + (not problems), failed + bool(problems)
    return passed, failed


def held_too_long(name, datagrams):
    """A handshake, then the first fragments of `datagrams` 16-byte segments, then their last ones."""
    from pcapgen import Pcap, ether, ipv4, tcp
    c, srv = "10.0.1.5", "10.0.2.10"
    f = path(name)
    with Pcap(f) as p:
        p.add(ether(ipv4(c, srv, tcp(40000, 80, seq=1000, flags="S"))))
        p.add(ether(ipv4(srv, c, tcp(80, 40000, seq=77, ack=1001, flags="SA"))))
        raw = [tcp(40000, 80, seq=1001 + 16 * i, ack=78, flags="A", payload=b"y" * 16).build(
            lambda n: bytes([10, 0, 1, 5, 10, 0, 2, 10]) + struct.pack("!BBH", 0, 6, n))
            for i in range(datagrams)]
        for i, seg in enumerate(raw):   # 24 bytes: the TCP header and 4 of data
            p.add(ether(ipv4(c, srv, seg[:24], ident=i + 1, df=False, mf=True, total_len=44)))
        for i, seg in enumerate(raw):
            p.add(ether(ipv4(c, srv, seg[24:], ident=i + 1, df=False, frag=24, total_len=32)))
    return f


def write_held_too_long():
    """More fragments wait than -w holds back: the oldest are left out, counted and said."""
    capture = held_too_long("held.pcap", 300)
    out = path("held-w.pcap")
    r = run(["-q", "-r", capture, "--conn", "1", "-w", out])
    got = pcap_records(out) if os.path.exists(out) else []
    # 2 + 300 + 300 frames; the first 44 first fragments are dropped from the store of 256.
    ok = r.returncode == 1 and re.fullmatch(
        r"tcpnarrate: .*held-w\.pcap: 44 IP fragments not written: more frames waited for "
        r"their datagrams than -w holds back \(256 frames, 8 MiB\)\n", r.stderr) and \
        len(got) == 602 - 44 and "302 TCP segments narrated" in r.stdout
    name = "--conn 1 -w with more fragments waiting than it holds back"
    print("ok   %s" % name if ok else "FAIL %s: exit %d, stderr %r, %d records" %
          (name, r.returncode, r.stderr, len(got)))
    return int(bool(ok)), int(not ok)


def write_cases():
    """-w from a file: exactly the chosen frames, each as it was in the file."""
    passed, failed = write_fragments()
    p2, f2 = write_held_too_long()
    passed, failed = passed + p2, failed + f2
    original = pcap_records(REUSED)
    if conn_frames(REUSED, 2) != list(range(13, 25)):
        print("FAIL capture: connection 2 of %s is not frames 13-24" % REUSED)
        return 0, 1
    for name, extra, frames in WRITE_CASES:
        out = path("w-%d.pcap" % (passed + failed))
        r = run(["-r", REUSED, "-w", out] + extra)
        want_rc, err_re = WRITE_ERRORS.get(name, (0, r"\A\Z"))
        problems = [] if r.returncode == want_rc and re.search(err_re, r.stderr) else \
            ["exit %d, stderr %r" % (r.returncode, r.stderr)]
        got = pcap_records(out) if os.path.exists(out) else None
        if got != [original[n - 1] for n in frames]:
            problems.append("the file holds %s records, not frames %s" % (len(got or []), frames))
        if frames and "--conn" in extra:
            again = run(["--summary", "-r", out])
            if not re.search(r"^1 10\.0\.1\.5:40000 → 10\.0\.2\.10:80 http .*; 1:\S+$", again.stdout, re.M) or \
                    "%d packets read, %d TCP segments" % (len(frames), len(frames)) not in again.stdout:
                problems.append("tcpnarrate -r of it: %r" % again.stdout)
        print("FAIL %s: %s" % (name, "; ".join(problems)) if problems else "ok   %s" % name)
        failed += bool(problems)
        passed += not problems
    # A pcapng whose interfaces differ in link type: the pcap -w writes holds the first
    # interface's (Ethernet), and the frames of the others are counted and said, never lost quietly.
    mixed = os.path.join(os.path.dirname(REUSED), "pcapng-mixed-links.pcapng")
    for extra, want_rc, want_n, err_re in (
            ([], 1, 8, r"\Atcpnarrate: .*mixed\.pcap: 16 frames not written: a pcap file holds one "
                       r"link type, EN10MB, and they had another\n\Z"),
            (["--conn", "1"], 0, 8, r"\A\Z"),
            (["--conn", "2"], 1, 0, r"\Atcpnarrate: .*mixed\.pcap: 8 frames not written: .*\n\Z")):
        out = path("mixed.pcap")
        r = run(["-q", "-r", mixed, "-w", out] + extra)
        got = pcap_records(out) if os.path.exists(out) else None
        ok = r.returncode == want_rc and re.search(err_re, r.stderr) and got is not None and \
            len(got) == want_n
        name = "-w from mixed link types %s" % " ".join(extra)
        print("ok   %s" % name if ok else "FAIL %s: exit %d, stderr %r, %s records" %
              (name, r.returncode, r.stderr, None if got is None else len(got)))
        passed, failed = passed + bool(ok), failed + (not ok)
    return passed, failed


def many_segments(name, count):
    """One connection: a handshake, then `count` one-byte segments."""
    from pcapgen import Pcap, ether, ipv4, tcp
    f = path(name)
    with Pcap(f) as p:
        p.add(ether(ipv4("10.0.1.5", "10.0.2.10", tcp(40000, 80, seq=1000, flags="S"))))
        p.add(ether(ipv4("10.0.2.10", "10.0.1.5", tcp(80, 40000, seq=77, ack=1001, flags="SA"))))
        for i in range(count):
            p.add(ether(ipv4("10.0.1.5", "10.0.2.10", tcp(40000, 80, seq=1001 + i, ack=78, flags="A",
                                                          payload=b"x"))))
    return f


def html_cases():
    """--html: a whole page, stdout's narration kept; refused past 50000 segments; bad paths."""
    passed = failed = 0
    page = path("page.html")
    checks = []
    r = run(["-q", "-r", good_file(), "--html", page])
    body = open(page, encoding="utf-8").read() if os.path.exists(page) else ""
    checks.append(("page written", r.returncode == 0 and not r.stderr and body.rstrip().endswith("</html>")
                   and '"type":"segment"' in body and not re.search(r"(src|href)=|url\((?!#)|@import", body)))
    checks.append(("stdout keeps the narration", re.search(r"^1 .*\[SYN\]", r.stdout, re.M) is not None))
    big = many_segments("big.pcap", 50000)
    r = run(["--summary", "-r", big, "--html", page])
    checks.append(("past 50000 segments: refused, file removed",
                   r.returncode == 1 and not os.path.exists(page) and re.fullmatch(
                       r"tcpnarrate: .*page\.html: not written: more than 50000 segments: too many for one "
                       r"page \(narrow it with --conn N, -c N or a filter\)\n", r.stderr) is not None))
    r = run(["--summary", "-r", big, "-c", "49000", "--html", page])
    checks.append(("-c narrows a big capture to one page", r.returncode == 0 and os.path.exists(page)))
    r = run(["-r", good_file(), "--html", path("no/such/dir/page.html")])
    checks.append(("unwritable page", r.returncode == 1 and re.fullmatch(
        r"tcpnarrate: .*page\.html: cannot write: No such file or directory\n", r.stderr) is not None))
    hostile = b"GET /</script><img src=x onerror=alert(1)>\x1b[31m\xe2\x80\xa8&amp; HTTP/1.1\r\n"
    from pcapgen import Pcap, ether, ipv4, tcp
    with Pcap(path("hostile.pcap")) as p:
        p.add(ether(ipv4("10.0.1.5", "10.0.2.10", tcp(40000, 80, seq=1000, ack=77, flags="PA",
                                                      payload=hostile))))
    r = run(["-q", "-r", path("hostile.pcap"), "--html", page])
    body = open(page, "rb").read() if os.path.exists(page) else b""
    data = body.split(b'id="tn-data">', 1)[-1].split(b"</script>", 1)[0].decode("utf-8")
    try:
        previews = [json.loads(line).get("preview", "") for line in data.split("\n") if line.strip()]
    except ValueError:
        previews = []
    checks.append(("wire bytes cannot close the data element", r.returncode == 0 and
                   body.count(b"</script>") == 2 and b"<img" not in body and b"\xe2\x80\xa8" not in body
                   and b"&amp;" not in body and b"\x1b" not in body and
                   any("</script><img src=x onerror=alert(1)>\\x1b[31m" in pv for pv in previews)))
    r = run(["-r", good_file(), "--html", ""])
    checks.append(("empty --html", r.returncode == 2 and "--html wants a file name" in r.stderr))
    here = os.getcwd()
    os.chdir(TMP)
    try:
        r = subprocess.run([BIN, "-r", good_file(), "--html", "-"], capture_output=True, timeout=20,
                           stdin=subprocess.DEVNULL, env=UTF8_ENV)
        named_dash = os.path.exists("-")
    finally:
        os.chdir(here)
    checks.append(("--html - writes the page alone to standard output, and no file named '-'",
                   r.returncode == 0 and not r.stderr and not named_dash and
                   r.stdout.startswith(b"<!DOCTYPE html>") and b"== Connection" not in r.stdout and
                   r.stdout.rstrip().endswith(b"</html>")))
    if os.path.exists("/dev/full"):
        subprocess.run([BIN, "--shard", "0/1", "--records", "-r", good_file()], timeout=20,
                       stdout=open(path("part.rec"), "wb"), stdin=subprocess.DEVNULL)
        for args in (["--html", "-"], [], ["--summary"], ["--json"], ["--jobs", "2", "--summary"],
                     ["--merge", path("part.rec")]):
            with open("/dev/full", "w") as full:
                read = [] if args[:1] == ["--merge"] else ["-r", good_file()]
                r = subprocess.run([BIN] + read + args, stdout=full, stderr=subprocess.PIPE,
                                   text=True, timeout=20, stdin=subprocess.DEVNULL, env=UTF8_ENV)
            checks.append(("a full disk under %s is one line and exit 1" % (" ".join(args) or "the text"),
                           r.returncode == 1 and re.fullmatch(
                               r"tcpnarrate: standard output: cannot write: No space left on device\n",
                               r.stderr) is not None))
    for name, ok in checks:
        print("ok   html: %s" % name if ok else "FAIL html: %s" % name)
        passed += ok
        failed += not ok
    return passed, failed


def ece_cases():
    """Classic ECN (RFC 3168 §6.1.3): an ECE on the receiver's ACK asks the other side, the
    data's sender, to slow down, not the ACK's own sender."""
    f = path("ece.pcap")
    with Pcap(f) as p:
        p.add(ether(ipv4(C, S, tcp(43210, 80, seq=1000, flags="SEC"))), ts=1700000000)
        p.add(ether(ipv4(S, C, tcp(80, 43210, seq=4500, ack=1001, flags="SAE"))), ts=1700000000.001)
        p.add(ether(ipv4(C, S, tcp(43210, 80, seq=1001, ack=4501, flags="A"))), ts=1700000000.002)
        p.add(ether(ipv4(S, C, tcp(80, 43210, seq=4501, ack=1001, flags="PA", payload=b"x" * 10))),
              ts=1700000000.003)
        p.add(ether(ipv4(C, S, tcp(43210, 80, seq=1001, ack=4511, flags="AE"))), ts=1700000000.004)
    r = run(["-r", f, "--color=never"])
    block = r.stdout.split("#5 ")[-1]
    ok = re.search(r"ECE +echoes a congestion mark .*the other\s+side, which sent that data, should "
                   r"slow down, not this segment's sender", block, re.S) is not None
    print("ok   ECE asks the other side to slow down" if ok else
          "FAIL ECE asks the other side to slow down: %r" % block[:600])
    return int(ok), int(not ok)


def accecn_cases():
    """After an AccECN handshake (RFC 9768) the AE, CWR and ECE bits are the ACE counter; after a
    classic ECN handshake they are still flags."""
    def capture(name, synack):
        f = path(name)
        with Pcap(f) as p:
            p.add(ether(ipv4(C, S, tcp(43210, 80, seq=1000, flags="SNCE"))), ts=1700000000)
            p.add(ether(ipv4(S, C, tcp(80, 43210, seq=4500, ack=1001, flags=synack))),
                  ts=1700000000.001)
            p.add(ether(ipv4(C, S, tcp(43210, 80, seq=1001, ack=4501, flags="AC"))),
                  ts=1700000000.002)
        return f
    passed = failed = 0
    for name, synack, want_ace in (("accecn.pcap", "SAC", True), ("classic-ecn.pcap", "SAE", False)):
        r = run(["-r", capture(name, synack), "--color=never"])
        block = r.stdout.split("#3 ")[-1]
        ace = re.search(r"CWR +part of the ACE field \(AE CWR ECE = 2\)", block) is not None
        ok = ace == want_ace
        label = "AccECN: CWR is part of ACE" if want_ace else "classic ECN: CWR is a flag"
        print("ok   " + label if ok else "FAIL %s: %r" % (label, block[:500]))
        passed, failed = passed + ok, failed + (not ok)
    return passed, failed


def stop_cases():
    """Ctrl-C while the second of two files is read: the first file's capture
    is freed by then, and the signal handler used to stop it anyway (a
    segmentation fault). Now the run ends as at the end of the input: what
    was read, the summary, exit 0. The second file is a FIFO whose writer
    sends one capture and holds it open, so the read is blocked when the
    signal comes."""
    import signal
    import threading
    import time
    fifo = path("stop.fifo")
    if os.path.exists(fifo):
        os.unlink(fifo)
    os.mkfifo(fifo)
    good = good_file()
    many = path("many.pcap")  # more than the first read of a file takes in
    with Pcap(many) as p:
        for port in range(40000, 40100):
            p.add(ether(ipv4(C, S, tcp(port, 80, seq=1000, flags="S"))))
    release = threading.Event()

    def writer():
        with open(fifo, "wb") as w, open(many, "rb") as g:
            w.write(g.read())
            w.flush()
            release.wait(20)

    t = threading.Thread(target=writer)
    t.start()
    proc = subprocess.Popen([BIN, "--summary", "-r", good, "-r", fifo], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
                            env=UTF8_ENV)
    time.sleep(1.0)  # the second file's records are read; the next read waits
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=20)
    finally:
        release.set()
        t.join()
        os.unlink(fifo)
    ok = proc.returncode == 0 and not err and re.search(
        r"Summary of .*good\.pcap and 1 more file: 103 packets read", out)
    if ok:
        print("ok   SIGINT while reading the second file")
        return 1, 0
    print("FAIL SIGINT while reading the second file: exit %d, stderr %r, stdout %r"
          % (proc.returncode, err, out[-300:]))
    return 0, 1


def pipe_cases():
    """A capture coming through a pipe that stays open (tcpdump -U -w - |
    tcpnarrate -r -): every packet already written is narrated without
    waiting for more. Before, the reader waited for a whole 4 KiB peek and
    then for a whole 256 KiB block, so -c N for the N segments sent never
    ended while the writer kept the pipe open. Classic pcap and pcapng."""
    passed = failed = 0
    for name in ("analysis-dsack.pcap", "http10-python-ipv4.pcapng"):
        cap = os.path.join(ROOT, "captures", name)
        n = sum(1 for line in run(["-q", "-r", cap]).stdout.splitlines() if re.match(r"^\d+ ", line))
        outp = path("pipe.out")
        with open(outp, "wb") as out:
            proc = subprocess.Popen([BIN, "-q", "-c", str(n), "-r", "-"], stdin=subprocess.PIPE,
                                    stdout=out, stderr=subprocess.DEVNULL, env=UTF8_ENV)
        with open(cap, "rb") as f:
            proc.stdin.write(f.read())
        proc.stdin.flush()
        try:
            proc.wait(timeout=15)  # stdin is still open
            with open(outp) as f:
                ok = proc.returncode == 0 and f.read().count("\n%d " % n) == 1
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            ok = False
        proc.stdin.close()
        if ok:
            passed += 1
            print("ok   open pipe: %s's %d segments without the end of the input" % (name, n))
        else:
            failed += 1
            print("FAIL open pipe: %s: -c %d did not end while the pipe stayed open" % (name, n))
    return passed, failed


def damaged_pipe_cases():
    """Damaged input through a pipe (read with read(2) since pipes stopped
    waiting for whole blocks): the same one line on stderr and exit 1 as the
    same bytes read from a file, for text, an empty pipe, a file header cut
    short (classic and pcapng), a record cut short, and a pcapng block cut
    short and one whose trailing length disagrees (read by ngread.c, after
    libpcap has opened the file)."""
    passed = failed = 0
    with open(os.path.join(ROOT, "captures", "analysis-dsack.pcap"), "rb") as f:
        classic = f.read()
    with open(os.path.join(ROOT, "captures", "http10-python-ipv4.pcapng"), "rb") as f:
        ng = f.read()
    bad_trailer = bytearray(ng)
    bad_trailer[-4] ^= 0x10
    for name, data in (("text", b"hello, world\n"), ("empty", b""), ("classic header", classic[:10]),
                       ("pcapng header", ng[:30]), ("record", classic[:300]),
                       ("pcapng block", ng[:-10]), ("pcapng trailer", bytes(bad_trailer))):
        f = path("pipe-%s.bin" % name.replace(" ", "-"))
        with open(f, "wb") as out:
            out.write(data)
        want = run(["-q", "-r", f])
        got = subprocess.run([BIN, "-q", "-r", "-"], input=data, capture_output=True, timeout=20,
                             env=UTF8_ENV)
        err = got.stderr.decode().replace("(standard input)", f)
        out = got.stdout.decode().replace("(standard input)", f)
        if (got.returncode == 1 and want.returncode == 1 and err == want.stderr
                and err.count("\n") == 1 and out == want.stdout):
            passed += 1
            print("ok   damaged input through a pipe: %s" % name)
        else:
            failed += 1
            print("FAIL damaged input through a pipe: %s: exit %d, stderr %r, the file's %r"
                  % (name, got.returncode, err, want.stderr))
    return passed, failed


def late_interface_pipe():
    """captures/pcapng-mixed-links.pcapng with its second interface block
    moved after the first packet of the first interface: libpcap stops at
    it, and the reader takes the file over only if it saw the block in the
    opening peek. Returns the path."""
    import struct as st
    with open(os.path.join(ROOT, "captures", "pcapng-mixed-links.pcapng"), "rb") as f:
        d = f.read()
    blocks, o = [], 0
    while o < len(d):
        kind, length = st.unpack("<II", d[o:o + 8])
        blocks.append((kind, d[o:o + length]))
        o += length
    idbs = [i for i, b in enumerate(blocks) if b[0] == 1]
    second = blocks.pop(idbs[1])
    first_pkt = next(i for i, b in enumerate(blocks)
                     if b[0] == 6 and st.unpack("<I", b[1][8:12])[0] == 0)
    assert all(st.unpack("<I", b[1][8:12])[0] == 0 for b in blocks[:first_pkt] if b[0] == 6)
    blocks.insert(first_pkt + 1, second)
    out = path("late-idb.pcapng")
    with open(out, "wb") as f:
        f.write(b"".join(b[1] for b in blocks))
    return out


def split_after_first_packet(data):
    """The offset just after the first Enhanced Packet Block of a pcapng file."""
    import struct as st
    o = 0
    while o < len(data):
        kind, length = st.unpack("<II", data[o:o + 8])
        o += length
        if kind == 6:
            return o
    raise AssertionError("no packet block")


def peek_cases():
    """A pipe whose bytes have all come but which stays open: the opening
    peek takes what is there, not only the first blocks, so an interface
    declared after the first packet is seen as in the file (a guard: the
    peek once stopped at the first packet block, and a slow writer still
    can make it miss such an interface). And Ctrl-C while standard output
    is blocked (a slow reader): the run ends in order, exit 0, its narration
    as long as its summary says; before, the write failed with EINTR and
    what was buffered was lost ('cannot write', exit 1)."""
    import signal
    import time
    passed = failed = 0
    late = late_interface_pipe()
    want = run(["-q", "-c", "24", "-r", late])
    r_fd, w_fd = os.pipe()
    with open(late, "rb") as f:
        os.write(w_fd, f.read())  # all of it waits in the pipe, which stays open
    proc = subprocess.run([BIN, "-q", "-c", "24", "-r", "-"], stdin=r_fd, capture_output=True,
                          text=True, timeout=20, env=UTF8_ENV)
    os.close(r_fd)
    os.close(w_fd)
    if (want.returncode == 0 and proc.returncode == 0 and not proc.stderr
            and proc.stdout == want.stdout.replace(late, "(standard input)")):
        passed += 1
        print("ok   open pipe: an interface declared after the first packet")
    else:
        failed += 1
        print("FAIL open pipe, late interface: exit %d, stderr %r" % (proc.returncode, proc.stderr))
    # The same file through a slow pipe: the interface comes after the opening
    # peek has stopped. The blocks after the first interface are read by
    # ngread.c, which hands over to pcapng.c in place at that interface;
    # before, libpcap's "an interface has a type ... different from the type
    # of the first interface" ended the run (a pipe cannot be read twice).
    with open(late, "rb") as f:
        data = f.read()
    cut = split_after_first_packet(data)
    r_fd, w_fd = os.pipe()
    proc = subprocess.Popen([BIN, "-q", "-r", "-"], stdin=r_fd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=UTF8_ENV)
    os.close(r_fd)
    os.write(w_fd, data[:cut])
    time.sleep(0.5)
    os.write(w_fd, data[cut:])
    os.close(w_fd)
    out, err = proc.communicate(timeout=20)
    whole = run(["-q", "-r", late])
    if (whole.returncode == 0 and proc.returncode == 0 and not err
            and out == whole.stdout.replace(late, "(standard input)")):
        passed += 1
        print("ok   slow pipe: an interface unlike the first, after the opening peek")
    else:
        failed += 1
        print("FAIL slow pipe, late interface: exit %d, stderr %r" % (proc.returncode, err))
    # Through a shell pipeline into a reader that waits (as the failure was
    # first seen: run from Python with a pipe it reads later, the write
    # happened not to fail).
    bulk = os.path.join(ROOT, "captures", "analysis-loss-bulk.pcap")
    cmd = '"$0" -r "$1" -r "$1" -r "$1" -r "$1" | (sleep 1.5; cat); echo "rc=${PIPESTATUS[0]}" >&2'
    sh = subprocess.Popen(["bash", "-c", cmd, BIN, bulk], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True, env=UTF8_ENV)
    time.sleep(0.7)  # the pipe is full by now: tcpnarrate waits in write()
    pids = subprocess.run(["pgrep", "-P", str(sh.pid), "-x", os.path.basename(BIN)[:15]],
                          capture_output=True, text=True).stdout.split()
    for pid in pids:
        os.kill(int(pid), signal.SIGINT)
    out, err = sh.communicate(timeout=60)
    read = re.search(r"Summary of .*: (\d+) packets? read", out)
    last = re.findall(r"^#(\d+) ", out, re.M)
    if pids and err == "rc=0\n" and read and last and last[-1] == read.group(1):
        passed += 1
        print("ok   SIGINT while standard output is blocked: %s packets, all narrated" % last[-1])
    else:
        failed += 1
        print("FAIL SIGINT while standard output is blocked: tcpnarrate %s, stderr %r, last #%s, "
              "summary %s" % (pids, err, last[-1:] if last else None,
                              read.group(1) if read else None))
    return passed, failed


def line_buffered_cases():
    """-l: each packet's lines reach a pipe as it is narrated. The first 2000
    bytes of a capture (a few segments) go into tcpnarrate's standard input,
    which stays open, and its standard output is a pipe: with -l their
    lines arrive within 5 s; without, they sit in the output buffer (the
    control, which must see nothing, so the test shows what -l changes)."""
    import select
    import time
    with open(os.path.join(ROOT, "captures", "analysis-dsack.pcap"), "rb") as f:
        head = f.read(2000)
    got = {}
    for flag in (["-l"], ["--line-buffered"], []):
        proc = subprocess.Popen([BIN, "-q"] + flag + ["-r", "-"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=UTF8_ENV)
        proc.stdin.write(head)
        proc.stdin.flush()
        out, start = b"", time.monotonic()
        while time.monotonic() - start < (5 if flag else 1.5) and out.count(b"\n") < 4:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                out += chunk
        proc.stdin.close()
        proc.stdout.read()
        proc.wait(timeout=20)
        proc.stdout.close()
        got[" ".join(flag) or "none"] = out
    ok = (all(re.search(rb"^3 .* client ", got[k], re.M) for k in ("-l", "--line-buffered"))
          and got["none"] == b"")
    if ok:
        print("ok   -l: each packet's lines reach a pipe at once")
        return 1, 0
    print("FAIL -l: %r" % {k: v[-200:] for k, v in got.items()})
    return 0, 1


def main():
    passed, failed = write_cases()
    for more in (singular_cases, wscale_cases, port_glossary_cases, ascii_cases, colour_cases,
                 manual_cases, ece_cases, accecn_cases, ladder_cases, html_cases, stop_cases,
                 pipe_cases, line_buffered_cases, peek_cases, damaged_pipe_cases):
        p, f = more()
        passed, failed = passed + p, failed + f
    for name, make, want_rc, err_re, out_res in CASES:
        args = make()
        if name == "standard input":
            # Feed a real capture on stdin.
            with open(good_file(), "rb") as f:
                r = subprocess.run([BIN] + args, stdin=f, capture_output=True, text=True, timeout=20,
                                   env=UTF8_ENV)
            out_res = [r"^1 .*\[SYN\]", r"Summary of \(standard input\): 3 packets read"]
        else:
            r = run(args)
        problems = []
        if r.returncode != want_rc:
            problems.append("exit %d, wanted %d" % (r.returncode, want_rc))
        if err_re is None and r.stderr:
            problems.append("unexpected stderr: %r" % r.stderr)
        if err_re is not None and not re.search(err_re, r.stderr, re.M):
            problems.append("stderr %r does not match %r" % (r.stderr, err_re))
        if r.stderr.count("\n") > 1:
            problems.append("more than one line on stderr")
        for pat in out_res:
            if not re.search(pat, r.stdout, re.M):
                problems.append("stdout lacks %r" % pat)
        if problems:
            failed += 1
            print("FAIL %s: %s" % (name, "; ".join(problems)))
            print("  stdout: " + r.stdout[-600:].replace("\n", "\n          "))
        else:
            passed += 1
            print("ok   %s" % name)

    # Unreadable file: only meaningful when permissions apply to us or to nobody.
    f = unreadable()
    r = run(["-r", f], as_nobody=os.geteuid() == 0 and shutil.which("setpriv") is not None)
    if r.returncode == 1 and re.search(r"^tcpnarrate: .*good\.pcap: Permission denied\n$", r.stderr):
        passed += 1
        print("ok   unreadable file")
    else:
        failed += 1
        print("FAIL unreadable file: exit %d, stderr %r" % (r.returncode, r.stderr))

    shutil.rmtree(TMP, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
