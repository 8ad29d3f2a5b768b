#!/usr/bin/env python3
"""Live capture of a real curl run, in network namespaces made for the test.

Two namespaces joined by a veth pair, with the addresses of the textbook
connection: client 10.0.1.5, server 10.0.2.10. A real HTTP server listens on
port 80 in the server namespace (Python's http.server, then nginx);
tcpnarrate captures on the client's veth while curl fetches the page, and is
stopped with SIGINT (or SIGTERM). Nothing leaves the two namespaces.

Checks: the whole connection is narrated (handshake, GET, response,
teardown) with the right states on both sides; the statistics line; the
running process has dropped root and every capability; `-r` of the `-w`
file narrates the same; the errors a user meets (no such interface, down,
no permission, bad filter, -i with -r); a closed pipe ends quietly.

Needs root, ip, and python3; nginx is optional. Exit 77 (skip) otherwise.
The namespaces are tests/lib/netns.py's; they and everything started in them
are removed at the end, also on SIGINT, SIGTERM or SIGHUP.
usage: test_live.py TCPNARRATE
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
import netns  # noqa: E402
from netns import in_ns, run, wait_for  # noqa: E402

BIN = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else "build/tcpnarrate"
NS_C, NS_S = "tnl-client", "tnl-server"
VETH_C, VETH_S = "tnl-vc", "tnl-vs"
CLIENT, SERVER = "10.0.1.5", "10.0.2.10"
PAIR = netns.Pair(NS_C, NS_S, (VETH_C, VETH_S), [CLIENT + "/24"], [SERVER + "/24"])
TMP = tempfile.mkdtemp(prefix="tn-live-")
os.chmod(TMP, 0o755)   # nginx's worker runs as nobody and must read the page
results = []


def teardown():
    netns.ignore_signals()
    PAIR.down()
    shutil.rmtree(TMP, ignore_errors=True)


def setup():
    PAIR.up()
    # A second veth, left down, for the "interface is down" case.
    run(in_ns(NS_C, "ip", "link", "add", "tnl-down0", "type", "veth", "peer", "name", "tnl-down1"))


def curl(*opts):
    run(in_ns(NS_C, "curl", "-s", "-o", "/dev/null", "--noproxy", "*", "-m", "5", *opts,
              "http://%s/" % SERVER))


def start_python_server():
    d = os.path.join(TMP, "www")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "index.html"), "w") as f:
        f.write("<!DOCTYPE html>\n<title>tcpnarrate</title>\n" + "<p>hello, TCP</p>\n" * 150)
    p = PAIR.start(NS_S, ["python3", "-m", "http.server", "80", "--bind", SERVER, "--directory", d],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    netns.wait_listen(NS_S, SERVER, 80, p, "python http.server")
    return p


def start_nginx():
    if not shutil.which("nginx"):
        return None
    conf = os.path.join(TMP, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""daemon off; worker_processes 1; pid %(t)s/nginx.pid; error_log %(t)s/error.log;
events { worker_connections 16; }
http { access_log off; server { listen %(s)s:80; root %(t)s/www; } }
""" % {"t": TMP, "s": SERVER})
    p = PAIR.start(NS_S, ["nginx", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    netns.wait_listen(NS_S, SERVER, 80, p, "nginx")
    return p


def proc_status(pid):
    st = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            st[k] = v.split()
    return st


def dropped(pid):
    """True once tcpnarrate runs as nobody: it has opened the device and set the filter."""
    try:
        return proc_status(pid)["Uid"][0] != "0"
    except (OSError, KeyError):
        return False


def narrator_pid(wrapper):
    # `ip netns exec` execs the command, so the PID is tcpnarrate's own.
    return wrapper.pid


def capture_run(args, stop=signal.SIGINT, fetches=1, stdout_path=None, curl_opts=()):
    out_path = stdout_path or os.path.join(TMP, "out-%d.txt" % len(results))
    with open(out_path, "w") as out:
        p = PAIR.start(NS_C, [BIN, "-i", VETH_C, "--color=never"] + args,
                       stdout=out, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: dropped(p.pid) or p.poll() is not None, "tcpnarrate to open the interface")
    status = proc_status(p.pid) if p.poll() is None else {}
    for _ in range(fetches):
        curl(*curl_opts)
    time.sleep(0.5)   # let the teardown's last ACK be captured
    p.send_signal(stop)
    _, err = p.communicate(timeout=10)
    return p.returncode, open(out_path).read(), err, status


def check(name, cond, detail=""):
    results.append((name, bool(cond), detail))
    print("%s %s%s" % ("ok  " if cond else "FAIL", name, "" if cond else ": " + detail))


def segments(objs):
    return [o for o in objs if o["type"] == "segment"]


def whole_connection(objs, server_closes):
    segs = segments(objs)
    flags = [set(s["tcp"]["flags"]) for s in segs]
    problems = []
    if not segs or flags[0] != {"SYN"} or flags[1] != {"SYN", "ACK"}:
        problems.append("no handshake at the start: %r" % flags[:3])
    if not any(s.get("preview", "").startswith("GET / HTTP/1.1") for s in segs):
        problems.append("no GET")
    if not any(s.get("preview", "").startswith("HTTP/1.") and " 200 " in s.get("preview", "") for s in segs):
        problems.append("no 200 response")
    fins = [s["from"] for s in segs if "FIN" in s["tcp"]["flags"]]
    if len(fins) < 2 or fins[0] != ("server" if server_closes else "client"):
        problems.append("FINs from %r" % fins)
    states = [(s["states"]["client"]["after"], s["states"]["server"]["after"]) for s in segs]
    if states[:3] != [("SYN-SENT", "SYN-RECEIVED"), ("ESTABLISHED", "SYN-RECEIVED"),
                      ("ESTABLISHED", "ESTABLISHED")]:
        problems.append("handshake states %r" % states[:3])
    want_end = ("CLOSED", "TIME-WAIT") if server_closes else ("TIME-WAIT", "CLOSED")
    if states[-1] != want_end:
        problems.append("final states %r, wanted %r" % (states[-1], want_end))
    conns = [o for o in objs if o["type"] == "connection"]
    if not conns or conns[0]["ended_by"] != "fin":
        problems.append("connection report %r" % conns[:1])
    return problems


def replay_same(live_objs, pcap):
    r = subprocess.run([BIN, "--json", "-r", pcap], capture_output=True, text=True, timeout=30)
    file_objs = [json.loads(line) for line in r.stdout.splitlines()]
    key = lambda o: (o["n"], o["tcp"]["seq_raw"], o["tcp"]["flags"], o["states"], o["note"])  # noqa: E731
    a = [key(o) for o in segments(live_objs)]
    b = [key(o) for o in segments(file_objs)]
    return r.returncode == 0 and a == b and len(a) > 0, "%d live vs %d replayed segments" % (len(a), len(b))


def main():
    if os.geteuid() != 0 or not shutil.which("ip"):
        print("skipped: needs root and iproute2")
        return 77
    netns.raise_on_signals()
    try:
        setup()
        python_server = start_python_server()

        # 1. JSON, -w, SIGINT: the whole connection, the server closing first (HTTP/1.0).
        pcap = os.path.join(TMP, "run.pcap")
        # curl would close as soon as Content-Length bytes are in, racing the
        # server's FIN; reading to the end makes the HTTP/1.0 server close first.
        rc, out, err, st = capture_run(["--json", "-w", pcap, "port", "80"],
                                       curl_opts=("--ignore-content-length",))
        objs = [json.loads(line) for line in out.splitlines()]
        check("python: exit 0 after Ctrl-C", rc == 0 and err == "", "rc %d, stderr %r" % (rc, err))
        p = whole_connection(objs, server_closes=True)
        check("python: handshake, GET, response, teardown, states", not p, "; ".join(p))
        summ = [o for o in objs if o["type"] == "summary"]
        check("python: capture statistics in the summary",
              summ and summ[0].get("capture_stats", {}).get("received", 0) >= len(segments(objs)),
              repr(summ))
        check("privileges dropped: not root, no capabilities",
              st and st["Uid"] == ["65534"] * 4 and st["Gid"][0] == "65534" and
              all(int(st[k][0], 16) == 0 for k in ("CapEff", "CapPrm", "CapInh", "CapAmb")),
              repr({k: st.get(k) for k in ("Uid", "CapEff", "CapPrm")}))
        ok, why = replay_same(objs, pcap)
        check("-r of the -w file narrates the same", ok, why)

        # 2. Text, SIGTERM: the statistics line.
        rc, out, err, _ = capture_run(["-q", "port", "80"], stop=signal.SIGTERM)
        check("text: statistics line after SIGTERM", rc == 0 and
              "packets received by the filter" in out and "dropped by the kernel" in out and
              "== Connection 1 ended" in out, out[-400:] + err)

        # 3. -w into a directory only root may write: opened before privileges go.
        private = os.path.join(TMP, "root-only")
        os.makedirs(private, mode=0o700)
        rc, out, err, _ = capture_run(["-q", "-w", os.path.join(private, "x.pcap"), "port", "80"])
        check("-w opened before dropping root", rc == 0 and os.path.getsize(os.path.join(private, "x.pcap")) > 24,
              "rc %d %s" % (rc, err))

        # 4. nginx: HTTP/1.1, the client closes first.
        netns.stop(python_server)
        time.sleep(0.3)
        if start_nginx():
            rc, out, err, _ = capture_run(["--json", "port", "80"])
            objs = [json.loads(line) for line in out.splitlines()]
            p = whole_connection(objs, server_closes=False)
            check("nginx: whole connection, client closes first", rc == 0 and not p, "; ".join(p) + err)
        else:
            print("note: nginx not installed; its run is skipped")

        # 5. Errors a user meets.
        def run_err(args, as_nobody=False):
            cmd = in_ns(NS_C, BIN) + args
            if as_nobody:
                cmd = in_ns(NS_C, "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", BIN) + args
            return subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        r = run_err(["-i", "nosuch0"])
        check("no such interface: lists the ones there are", r.returncode == 1 and
              r.stderr.startswith("tcpnarrate: nosuch0: no such interface; interfaces here: ") and
              VETH_C in r.stderr and r.stderr.count("\n") == 1, r.stderr)
        r = run_err(["-i", "tnl-down0"])
        check("interface down", r.returncode == 1 and r.stderr ==
              "tcpnarrate: tnl-down0: interface is down: bring it up with 'ip link set tnl-down0 up'\n", r.stderr)
        r = run_err(["-i", VETH_C, "port", "eighty"])
        check("bad filter, quoted", r.returncode == 1 and
              r.stderr.startswith("tcpnarrate: %s: bad filter expression 'port eighty': " % VETH_C), r.stderr)
        r = run_err(["-i", VETH_C, "-r", "x.pcap"])
        check("-i with -r is a usage error", r.returncode == 2 and "-r and -i together" in r.stderr, r.stderr)
        if shutil.which("setpriv"):
            r = run_err(["-i", VETH_C], as_nobody=True)
            check("no permission: says what to do", r.returncode == 1 and "no permission to capture: run as root"
                  in r.stderr and "setcap cap_net_raw,cap_net_admin=eip" in r.stderr, r.stderr)

        # 6. A closed pipe (| head) ends quietly, status 0.
        start = PAIR.start(NS_C, [BIN, "-i", VETH_C, "-q", "port", "80"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda: dropped(start.pid), "tcpnarrate to start")
        curl()
        start.stdout.readline()
        start.stdout.close()          # the reader goes away, as `head -1` would
        curl()
        try:
            rc = start.wait(timeout=5)
            err = start.stderr.read().decode()
            check("closed pipe: quiet exit 0", rc == 0 and err == "", "rc %d stderr %r" % (rc, err))
        except subprocess.TimeoutExpired:
            check("closed pipe: quiet exit 0", False, "still running 5 s after its reader went")
    except netns.Interrupted as e:
        check("the run", False, str(e))
    finally:
        teardown()
    failed = sum(1 for r in results if not r[1])
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
