#!/usr/bin/env python3
"""Compare tcpnarrate's inferred TCP states with the Linux kernel's own.

Two network namespaces joined by a veth pair; real sockets on each side,
driven one step at a time by small agent processes (this same file run with
--agent inside each namespace). After every step the test waits for the
traffic to settle, reads both sockets' states with `ss -tan` and records the
time. tcpdump captures on the client's veth the whole while. At the end the
capture goes through `tcpnarrate --json` and, for every checkpoint, the states
tcpnarrate shows after the last segment captured before the checkpoint time
must equal the kernel's.

Needs root, ip (netns), nft, ss and tcpdump. Exit status: 0 all checkpoints
agree, 1 some disagree (or the test itself failed), 77 skipped (not root, or
a tool missing).

Usage: sudo tests/kernel/kernel_truth.py [--tcpnarrate PATH] [--keep PCAP]
"""

import argparse
import json
import re
import os
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                '..', 'lib'))
import netns  # noqa: E402
from netns import Interrupted, ns_run as nsrun, run  # noqa: E402

SKIP = 77
NS_C, NS_S = 'tnk-client', 'tnk-server'
VETH_C, VETH_S = 'tnk-vc', 'tnk-vs'
C_IP, S_IP = '10.0.1.5', '10.0.2.10'
# TSO/GSO/GRO off where ethtool is there: segments as they would be on a wire.
PAIR = netns.Pair(NS_C, NS_S, (VETH_C, VETH_S), [C_IP + '/24'], [S_IP + '/24'],
                  offloads_off=('tso', 'gso', 'gro') if shutil.which('ethtool')
                  else (), offloads_required=False)
NFT_TABLE = 'tnk'
TIME_BUDGET = 100         # seconds; then the alarm stops the run (cleanup
                          # takes a few more, within the 90 s limit)
CMD_TIMEOUT = 6.0         # seconds an agent gets for one command

SS_STATES = {
    'SYN-SENT': 'SYN-SENT', 'SYN-RECV': 'SYN-RECEIVED', 'ESTAB': 'ESTABLISHED',
    'FIN-WAIT-1': 'FIN-WAIT-1', 'FIN-WAIT-2': 'FIN-WAIT-2',
    'CLOSE-WAIT': 'CLOSE-WAIT', 'CLOSING': 'CLOSING', 'LAST-ACK': 'LAST-ACK',
    'TIME-WAIT': 'TIME-WAIT', 'LISTEN': 'LISTEN',
    'UNCONN': 'CLOSED', 'CLOSE': 'CLOSED', 'CLOSED': 'CLOSED',
}


# --------------------------------------------------------------------------
# Agent: runs inside a namespace, one socket command per stdin line, one
# "ok ..." / "err ..." reply line per command.

def agent_main():
    listeners = {}
    conn = None

    def need_conn():
        if conn is None:
            raise RuntimeError('no connected socket')
        return conn

    def recv_exact(s, n, timeout):
        s.settimeout(timeout)
        got = 0
        while got < n:
            b = s.recv(min(65536, n - got))
            if not b:
                raise RuntimeError('EOF after %d of %d bytes' % (got, n))
            got += len(b)
        return got

    for line in sys.stdin:
        w = line.split()
        if not w:
            continue
        try:
            op = w[0]
            if op == 'listen':           # listen IP PORT
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((w[1], int(w[2])))
                s.listen(8)
                listeners[int(w[2])] = s
                reply = 'listening'
            elif op == 'accept':         # accept PORT TIMEOUT
                s = listeners[int(w[1])]
                s.settimeout(float(w[2]))
                conn, peer = s.accept()
                reply = 'accepted %s:%d' % peer
            elif op == 'close_listener':  # close_listener PORT
                listeners.pop(int(w[1])).close()
                reply = 'closed'
            elif op == 'connect':        # connect LIP LPORT RIP RPORT
                if conn is not None:
                    conn.close()
                conn = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                conn.bind((w[1], int(w[2])))
                conn.setblocking(False)
                rc = conn.connect_ex((w[3], int(w[4])))
                reply = 'connect_ex %d' % rc
            elif op == 'wait_connected':  # wait_connected TIMEOUT
                s = need_conn()
                _, wr, _ = select.select([], [s], [], float(w[1]))
                if not wr:
                    raise RuntimeError('still connecting')
                e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                s.setblocking(True)
                reply = 'connected' if e == 0 else 'error %s' % os.strerror(e)
            elif op == 'send':           # send N
                s = need_conn()
                s.settimeout(5)
                s.sendall(b'x' * int(w[1]))
                reply = 'sent %s' % w[1]
            elif op == 'recv':           # recv N TIMEOUT
                reply = 'received %d' % recv_exact(need_conn(), int(w[1]),
                                                   float(w[2]))
            elif op == 'recv_eof':       # recv_eof TIMEOUT: read to the end
                s = need_conn()
                s.settimeout(float(w[1]))
                got = 0
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    got += len(b)
                reply = 'eof after %d bytes' % got
            elif op == 'shutdown_wr':
                need_conn().shutdown(socket.SHUT_WR)
                reply = 'shut'
            elif op == 'close':
                need_conn().close()
                conn = None
                reply = 'closed'
            elif op == 'abort':          # RST: SO_LINGER on, 0 seconds
                s = need_conn()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack('ii', 1, 0))
                s.close()
                conn = None
                reply = 'aborted'
            elif op == 'quit':
                print('ok bye', flush=True)
                return
            else:
                raise RuntimeError('unknown command %r' % op)
            print('ok ' + reply, flush=True)
        except Exception as e:  # report, stay alive for the next command
            print('err %s: %s' % (type(e).__name__, e), flush=True)


# --------------------------------------------------------------------------
# Controller side

class StepError(Exception):
    pass


def log(msg):
    print('# ' + msg, flush=True)


class Agent:
    def __init__(self, ns):
        self.ns = ns
        self.proc = PAIR.start(
            ns, [sys.executable, '-u', os.path.abspath(__file__), '--agent'],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self.buf = b''

    def cmd(self, line, timeout=CMD_TIMEOUT):
        self.proc.stdin.write((line + '\n').encode())
        self.proc.stdin.flush()
        fd = self.proc.stdout.fileno()
        end = time.monotonic() + timeout
        while b'\n' not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise StepError('%s agent: no answer to %r' % (self.ns, line))
            r, _, _ = select.select([fd], [], [], left)
            if r:
                chunk = os.read(fd, 4096)
                if not chunk:
                    raise StepError('%s agent exited' % self.ns)
                self.buf += chunk
        reply, self.buf = self.buf.split(b'\n', 1)
        reply = reply.decode()
        if not reply.startswith('ok'):
            raise StepError('%s agent: %r -> %s' % (self.ns, line, reply))
        return reply[3:]

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()   # the agent's signal to quit
            except OSError:
                pass
            netns.stop(self.proc, None, grace=1)


# ---- namespaces, nftables, capture

def setup_nft():
    """An nftables table in each namespace, with an output and an input
    chain for hold() and hold_input() to add drops to."""
    for ns in (NS_C, NS_S):
        nsrun(ns, ['nft', 'add', 'table', 'inet', NFT_TABLE])
        for chain, hook in (('out', 'output'), ('in', 'input')):
            nsrun(ns, ['nft', 'add chain inet %s %s { type filter hook %s '
                       'priority 0; policy accept; }' % (NFT_TABLE, chain,
                                                         hook)])


def hold(ns, expr):
    """Drop that namespace's outgoing packets matching expr (output hook, so
    they never reach the veth and never reach the capture)."""
    nsrun(ns, ['nft', 'add rule inet %s out %s drop' % (NFT_TABLE, expr)])


def hold_input(ns, expr):
    """Drop that namespace's incoming packets matching expr (input hook:
    the capture on the client's veth has already seen them)."""
    nsrun(ns, ['nft', 'add rule inet %s in %s drop' % (NFT_TABLE, expr)])


def release(ns):
    for chain in ('out', 'in'):
        nsrun(ns, ['nft', 'flush', 'chain', 'inet', NFT_TABLE, chain])


class Capture:
    """tcpdump on one veth end: the client's (in NS_C) or the server's (in
    NS_S). The two capture points see the same segments at different times:
    each host's own segments when it sends them, the peer's when they
    arrive."""

    def __init__(self, ns, iface, path, errpath):
        self.path, self.errpath = path, errpath
        self.where = 'client' if ns == NS_C else 'server'
        self.err = open(errpath, 'w')
        self.proc = PAIR.start(
            ns, ['tcpdump', '-i', iface, '-n', '-U', '--immediate-mode',
                 '-Z', 'root', '-w', path, 'tcp'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.err)
        try:
            netns.wait_for_text(errpath, 'listening on', self.proc,
                                'tcpdump to start listening')
        except netns.Error as e:
            raise RuntimeError('%s: %s' % (e, open(errpath).read()))

    def stop(self):
        netns.stop(self.proc, signal.SIGINT, grace=3)
        self.err.close()

    def dropped(self):
        """Packets tcpdump reports it lost (None if it did not say)."""
        m = re.search(r'(\d+) packets? dropped by kernel',
                      open(self.errpath).read())
        return int(m.group(1)) if m else None


# ---- kernel state

def ss_sockets(ns, port):
    out = nsrun(ns, ['ss', '-Htan', '( sport = :%d or dport = :%d )'
                     % (port, port)], timeout=5).stdout
    socks = []
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 5:
            socks.append((f[0], f[3], f[4]))
    return socks


class Conn:
    """One scenario's connection: the client's and server's ends, known in
    advance because the client binds its port."""

    def __init__(self, name, cport, sport):
        self.name, self.cport, self.sport = name, cport, sport
        self.client = '%s:%d' % (C_IP, cport)
        self.server = '%s:%d' % (S_IP, sport)
        self.server_seen = False

    def kernel(self):
        cs = ss_sockets(NS_C, self.sport)
        ss_ = ss_sockets(NS_S, self.sport)
        c = 'CLOSED'
        for st, loc, peer in cs:
            if loc == self.client and peer == self.server:
                c = SS_STATES.get(st, st)
        s = None
        for st, loc, peer in ss_:
            if loc == self.server and peer == self.client:
                s = SS_STATES.get(st, st)
        if s is not None:
            self.server_seen = True
        elif not self.server_seen and any(
                st == 'LISTEN' and loc.endswith(':%d' % self.sport)
                for st, loc, _ in ss_):
            s = 'LISTEN'       # the connection has not begun on this side
        else:
            s = 'CLOSED'
        return c, s


class Checkpoint:
    def __init__(self, scenario, step, conn, kstate, t0, t1, settled, error):
        self.scenario, self.step, self.conn = scenario, step, conn
        self.kstate, self.t0, self.t1 = kstate, t0, t1
        self.settled, self.error = settled, error


CHECKPOINTS = []


def settle(conn, until=None, max_wait=3.0):
    """Wait (bounded) until the kernel states are the same twice 100 ms
    apart, and, if `until` is given, equal to it. Returns the states and the
    wall-clock interval of the last reading."""
    time.sleep(0.05)
    prev = conn.kernel()
    end = time.monotonic() + max_wait
    for _ in range(int(max_wait / 0.1) + 1):    # bounded by count and time
        time.sleep(0.1)
        t0 = time.time()
        cur = conn.kernel()
        t1 = time.time()
        ok = cur == prev and (until is None or cur == until)
        if ok or time.monotonic() > end:
            break
        prev = cur
    return cur, t0, t1, ok


def checkpoint(scenario, conn, step, until=None, max_wait=3.0, error=None):
    k, t0, t1, ok = settle(conn, until, max_wait)
    CHECKPOINTS.append(Checkpoint(scenario, step, conn, k, t0, t1, ok, error))


# ---- scenarios

def scenario(name, cport, sport):
    def deco(fn):
        fn.scenario = (name, cport, sport)
        return fn
    return deco


def open_conn(C, S, conn, sc):
    S.cmd('listen %s %d' % (S_IP, conn.sport))
    checkpoint(sc, conn, 'listen')
    C.cmd('connect %s %d %s %d' % (C_IP, conn.cport, S_IP, conn.sport))
    C.cmd('wait_connected 3')
    checkpoint(sc, conn, 'connect')
    S.cmd('accept %d 3' % conn.sport)
    checkpoint(sc, conn, 'accept')


def request_response(C, S, conn, sc):
    C.cmd('send 120')
    S.cmd('recv 120 3')
    checkpoint(sc, conn, 'request')
    S.cmd('send 3000')
    C.cmd('recv 3000 3')
    checkpoint(sc, conn, 'response')


def client_then_server_close(C, S, conn, sc):
    C.cmd('close')
    checkpoint(sc, conn, 'client close')
    S.cmd('recv_eof 3')
    S.cmd('close')
    checkpoint(sc, conn, 'server close')


@scenario('client-closes', 40001, 5001)
def sc_client_closes(C, S, conn, sc):
    open_conn(C, S, conn, sc)
    request_response(C, S, conn, sc)
    client_then_server_close(C, S, conn, sc)


@scenario('server-closes', 40002, 5002)
def sc_server_closes(C, S, conn, sc):
    open_conn(C, S, conn, sc)
    request_response(C, S, conn, sc)
    S.cmd('close')
    checkpoint(sc, conn, 'server close')
    C.cmd('recv_eof 3')
    C.cmd('close')
    checkpoint(sc, conn, 'client close')


@scenario('half-close', 40003, 5003)
def sc_half_close(C, S, conn, sc):
    open_conn(C, S, conn, sc)
    C.cmd('send 120')
    S.cmd('recv 120 3')
    checkpoint(sc, conn, 'request')
    C.cmd('shutdown_wr')
    checkpoint(sc, conn, 'client shutdown_wr')
    S.cmd('recv_eof 3')
    S.cmd('send 2000')
    C.cmd('recv 2000 3')
    checkpoint(sc, conn, 'server sends after FIN')
    S.cmd('send 5000')
    C.cmd('recv 5000 3')
    checkpoint(sc, conn, 'server sends more')
    S.cmd('close')
    C.cmd('recv_eof 3')
    checkpoint(sc, conn, 'server close')
    C.cmd('close')
    checkpoint(sc, conn, 'client close')


@scenario('abort', 40004, 5004)
def sc_abort(C, S, conn, sc):
    open_conn(C, S, conn, sc)
    request_response(C, S, conn, sc)
    C.cmd('abort')
    checkpoint(sc, conn, 'client abort (RST)')
    S.cmd('close')
    checkpoint(sc, conn, 'server close')


@scenario('refused', 40005, 5005)
def sc_refused(C, S, conn, sc):
    C.cmd('connect %s %d %s %d' % (C_IP, conn.cport, S_IP, conn.sport))
    r = C.cmd('wait_connected 3')
    if 'refused' not in r:
        raise StepError('connect to a closed port: %s' % r)
    checkpoint(sc, conn, 'connect refused')
    C.cmd('close')
    checkpoint(sc, conn, 'client close')


@scenario('held-synack', 40006, 5006)
def sc_held_synack(C, S, conn, sc):
    # SYN-SENT: the client's SYN reaches the server, whose SYN-ACKs are
    # dropped at the server's output (never on the wire).
    S.cmd('listen %s %d' % (S_IP, conn.sport))
    checkpoint(sc, conn, 'listen')
    hold(NS_S, 'tcp sport %d' % conn.sport)
    C.cmd('connect %s %d %s %d' % (C_IP, conn.cport, S_IP, conn.sport))
    checkpoint(sc, conn, 'connect, SYN-ACK held')
    time.sleep(1.0)    # past the client's first SYN retransmission (1 s)
    checkpoint(sc, conn, 'still held, SYN retransmitted')
    release(NS_S)
    C.cmd('wait_connected 5', timeout=CMD_TIMEOUT)
    checkpoint(sc, conn, 'released, handshake done',
               until=('ESTABLISHED', 'ESTABLISHED'))
    S.cmd('accept %d 3' % conn.sport)
    checkpoint(sc, conn, 'accept')
    client_then_server_close(C, S, conn, sc)


@scenario('held-ack', 40007, 5007)
def sc_held_ack(C, S, conn, sc):
    # SYN-RECEIVED: the client's SYN goes out, but its handshake ACK (an ACK
    # without SYN) is dropped at the client's output.
    S.cmd('listen %s %d' % (S_IP, conn.sport))
    checkpoint(sc, conn, 'listen')
    hold(NS_C, 'tcp dport %d tcp flags & (syn | ack) == ack' % conn.sport)
    C.cmd('connect %s %d %s %d' % (C_IP, conn.cport, S_IP, conn.sport))
    C.cmd('wait_connected 3')
    checkpoint(sc, conn, 'connect, handshake ACK held')
    release(NS_C)
    # the server retransmits its SYN-ACK (1 s); the client answers with ACK
    checkpoint(sc, conn, 'released, SYN-ACK retransmitted',
               until=('ESTABLISHED', 'ESTABLISHED'), max_wait=4.0)
    S.cmd('accept %d 3' % conn.sport)
    checkpoint(sc, conn, 'accept')
    request_response(C, S, conn, sc)
    client_then_server_close(C, S, conn, sc)


@scenario('held-fin-ack', 40008, 5008)
def sc_held_fin_ack(C, S, conn, sc):
    # FIN-WAIT-1: the client's FIN reaches the server, whose ACK of it is
    # dropped at the server's output.
    open_conn(C, S, conn, sc)
    hold(NS_S, 'tcp sport %d' % conn.sport)
    C.cmd('close')
    checkpoint(sc, conn, 'client close, ACK of FIN held')
    time.sleep(0.5)    # let the client retransmit its FIN at least once
    checkpoint(sc, conn, 'still held, FIN retransmitted')
    release(NS_S)
    checkpoint(sc, conn, 'released, FIN acknowledged',
               until=('FIN-WAIT-2', 'CLOSE-WAIT'), max_wait=4.0)
    S.cmd('recv_eof 3')
    S.cmd('close')
    checkpoint(sc, conn, 'server close')


@scenario('held-last-ack', 40009, 5009)
def sc_held_last_ack(C, S, conn, sc):
    # LAST-ACK: the server's FIN reaches the client, whose final ACK is
    # dropped at the client's output.
    open_conn(C, S, conn, sc)
    C.cmd('close')
    checkpoint(sc, conn, 'client close')
    hold(NS_C, 'tcp dport %d' % conn.sport)
    S.cmd('recv_eof 3')
    S.cmd('close')
    checkpoint(sc, conn, 'server close, final ACK held')
    time.sleep(0.5)    # let the server retransmit its FIN at least once
    checkpoint(sc, conn, 'still held, FIN retransmitted')
    release(NS_C)
    checkpoint(sc, conn, 'released, final ACK through',
               until=('TIME-WAIT', 'CLOSED'), max_wait=4.0)


@scenario('simultaneous-close', 40010, 5010)
def sc_simultaneous_close(C, S, conn, sc):
    # Both FINs cross. The client's FIN is captured on its veth but dropped at
    # the server's input (after the capture point), so the server sends its
    # own FIN before it has received the client's: the server's FIN does not
    # acknowledge the client's FIN, which the capture shows. The drop is
    # lifted at once and the client's retransmitted FIN gets through. Only the
    # final state is compared: while the FIN is held the server's state
    # depends on a loss the capture cannot show.
    open_conn(C, S, conn, sc)
    hold_input(NS_S, 'tcp dport %d tcp flags & fin == fin' % conn.sport)
    C.cmd('close')
    S.cmd('close')
    release(NS_S)
    checkpoint(sc, conn, 'both close, FINs cross',
               until=('TIME-WAIT', 'TIME-WAIT'), max_wait=4.0)


@scenario('fins-cross', 40011, 5011)
def sc_fins_cross(C, S, conn, sc):
    # Both ends close at once and each FIN is dropped at its receiver's input
    # (after both capture points): both FINs are on the wire, neither
    # acknowledges the other, and both ends stay in FIN-WAIT-1 sending their
    # FIN again. The retransmitted FINs still acknowledge nothing of the
    # peer's FIN: that is the wire's evidence that neither FIN arrived.
    open_conn(C, S, conn, sc)
    hold_input(NS_S, 'tcp dport %d tcp flags & fin == fin' % conn.sport)
    hold_input(NS_C, 'tcp sport %d tcp flags & fin == fin' % conn.sport)
    C.cmd('close')
    S.cmd('close')
    time.sleep(0.7)    # each end retransmits its FIN at least once
    checkpoint(sc, conn, 'FINs crossed, both held',
               until=('FIN-WAIT-1', 'FIN-WAIT-1'))
    release(NS_C)
    release(NS_S)
    checkpoint(sc, conn, 'released, both FINs taken',
               until=('TIME-WAIT', 'TIME-WAIT'), max_wait=4.0)


@scenario('fin-overtaken', 40012, 5012)
def sc_fin_overtaken(C, S, conn, sc):
    # The client sends data, then its FIN. The data is dropped at the
    # server's input (both captures saw it), so the FIN arrives out of order
    # and the server does not act on it: it stays ESTABLISHED and its ACKs
    # stop short of the data. The data's retransmission, after the FIN on the
    # wire, fills the hole; only then does the server take the FIN.
    open_conn(C, S, conn, sc)
    hold_input(NS_S, 'tcp dport %d ip length > 100' % conn.sport)
    C.cmd('send 300')
    time.sleep(0.05)   # the data leaves in its own segment, before the FIN
    C.cmd('close')
    checkpoint(sc, conn, 'data held, FIN out of order',
               until=('FIN-WAIT-1', 'ESTABLISHED'))
    release(NS_S)
    checkpoint(sc, conn, 'released, data retransmitted, FIN taken',
               until=('FIN-WAIT-2', 'CLOSE-WAIT'), max_wait=4.0)
    S.cmd('recv_eof 3')
    S.cmd('close')
    checkpoint(sc, conn, 'server close')


@scenario('data-crosses-fin', 40013, 5013)
def sc_data_crosses_fin(C, S, conn, sc):
    # The server half-closes; its FIN is dropped at the client's input, so
    # the client, still ESTABLISHED, sends data whose ACK does not cover the
    # FIN: data and FIN cross. The server, in FIN-WAIT-1, takes the data.
    open_conn(C, S, conn, sc)
    hold_input(NS_C, 'tcp sport %d tcp flags & fin == fin' % conn.sport)
    S.cmd('shutdown_wr')
    time.sleep(0.05)
    C.cmd('send 300')
    S.cmd('recv 300 3')
    checkpoint(sc, conn, 'server FIN held, client data crosses it',
               until=('ESTABLISHED', 'FIN-WAIT-1'))
    release(NS_C)
    checkpoint(sc, conn, 'released, FIN retransmitted and taken',
               until=('CLOSE-WAIT', 'FIN-WAIT-2'), max_wait=4.0)
    C.cmd('close')
    checkpoint(sc, conn, 'client close')
    S.cmd('close')
    checkpoint(sc, conn, 'server close')


SCENARIOS = [sc_client_closes, sc_server_closes, sc_half_close, sc_abort,
             sc_refused, sc_held_synack, sc_held_ack, sc_held_fin_ack,
             sc_held_last_ack, sc_simultaneous_close, sc_fins_cross,
             sc_fin_overtaken, sc_data_crosses_fin]


# ---- tcpnarrate side

def narrate(binary, pcap):
    r = run([binary, '-r', pcap, '--json'], timeout=30)
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def seg_states(seg, conn):
    """The segment's (client, server) states after it, in our roles."""
    st = seg['states']
    ours_is_client = (seg['src'] == C_IP and seg['sport'] == conn.cport)
    if (seg['from'] == 'client') == ours_is_client:
        return st['client']['after'], st['server']['after']
    return st['server']['after'], st['client']['after']


def of_conn(seg, conn):
    ends = {(seg['src'], seg['sport']), (seg['dst'], seg['dport'])}
    return ends == {(C_IP, conn.cport), (S_IP, conn.sport)}


def state_at(segs, t):
    last = None
    for seg in segs:
        if seg['ts'] < t:
            last = seg
    return last


def quiet_dump(binary, pcap, conn, t):
    """tcpnarrate -q lines for the connection, with the checkpoint marked."""
    r = run([binary, '-r', pcap, '-q', '--color=never',
             'host %s and port %d and port %d' % (C_IP, conn.cport,
                                                  conn.sport)],
            timeout=30, check=False)
    lines = r.stdout.splitlines()
    out, marked = [], False
    for line in lines:
        f = line.split()
        if not marked and len(f) > 1 and f[0].isdigit() and ':' in f[1]:
            hh, mm, ss_ = f[1].split(':')
            lt = time.localtime(t)
            sec = lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec + (t % 1)
            if int(hh) * 3600 + int(mm) * 60 + float(ss_) >= sec:
                out.append('   <<< checkpoint here >>>')
                marked = True
        out.append('   ' + line)
    if not marked:
        out.append('   <<< checkpoint here >>>')
    return out


def seg_confirmed(seg, conn):
    """Whether tcpnarrate calls each (client, server) state after the
    segment proven by the wire."""
    st = seg['states']
    ours_is_client = (seg['src'] == C_IP and seg['sport'] == conn.cport)
    if (seg['from'] == 'client') == ours_is_client:
        return st['client']['confirmed'], st['server']['confirmed']
    return st['server']['confirmed'], st['client']['confirmed']


def taken_back(corrections, seg, conn, side, kernel):
    """A later correction of that side that covers this segment and names
    the kernel's state: the narration said "unconfirmed" here and told the
    truth once the wire showed it."""
    ours_is_client = (seg['src'] == C_IP and seg['sport'] == conn.cport)
    role = ('client', 'server')[side] if (seg['from'] == 'client') == \
        ours_is_client else ('server', 'client')[side]
    return any(c['conn'] == seg['conn'] and c['side'] == role and
               c['from_n'] <= seg['n'] < c['to_n'] and c['state'] == kernel
               for c in corrections)


def open_states(tn, last, conn, kstate, corrections):
    """The sides on which tcpnarrate differs from the kernel only where it
    said the wire had not settled the state yet (unconfirmed), and later
    took that state back for the kernel's. None if any difference is not
    of that kind."""
    conf = seg_confirmed(last, conn)
    sides = []
    for i in (0, 1):
        if tn[i] == kstate[i]:
            continue
        if conf[i] or not taken_back(corrections, last, conn, i, kstate[i]):
            return None
        sides.append(('client', 'server')[i])
    return sides


def compare(binary, pcap, records, where):
    segs = [r for r in records if r.get('type') == 'segment']
    corrections = [r for r in records if r.get('type') == 'correction']
    passed = failed = 0
    failures = []
    for cp in CHECKPOINTS:
        conn = cp.conn
        mine = [s for s in segs if of_conn(s, conn)]
        last = state_at(mine, cp.t0)
        tn = seg_states(last, conn) if last else ('CLOSED', 'LISTEN')
        note = ''
        if tn != cp.kstate:
            # a segment captured while ss was being read: accept its result
            late = state_at(mine, cp.t1)
            if late is not last and late is not None \
                    and seg_states(late, conn) == cp.kstate:
                tn = seg_states(late, conn)
                note = ' (segment %d arrived during the ss read)' % late['n']
        agree = tn == cp.kstate
        if not agree and last is not None:
            open_ = open_states(tn, last, conn, cp.kstate, corrections)
            if open_:
                agree = True
                note += (' (%s unconfirmed at #%d, corrected to the kernel\'s '
                         'state later)' % (' and '.join(open_), last['n']))
        if cp.error:
            note += ' [step error: %s]' % cp.error
        if not cp.settled:
            note += ' [kernel states did not settle]'
        good = agree and not cp.error and cp.settled
        if good:
            passed += 1
        else:
            failed += 1
            failures.append((cp, last))
        print('%s %s %s (captured at the %s): kernel client=%s server=%s, '
              'tcpnarrate client=%s server=%s%s'
              % ('ok' if good else 'FAIL', cp.scenario, cp.step, where,
                 cp.kstate[0], cp.kstate[1], tn[0], tn[1], note), flush=True)
    for cp, last in failures:
        print('# --- %s %s (captured at the %s): last segment before the '
              'checkpoint: %s' % (cp.scenario, cp.step, where,
                                  last['n'] if last else 'none'))
        for line in quiet_dump(binary, pcap, cp.conn, cp.t0):
            print('#' + line)
    return passed, failed


# ---- main

def skip(msg):
    print('SKIP: ' + msg, flush=True)
    sys.exit(SKIP)


def main():
    if '--agent' in sys.argv[1:]:
        agent_main()
        return 0
    root = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--tcpnarrate', default=os.path.join(root, 'build',
                                                         'tcpnarrate'))
    ap.add_argument('--keep', metavar='PCAP', help='save the capture here')
    args = ap.parse_args()

    if os.geteuid() != 0:
        skip('needs root (network namespaces, nftables, packet capture)')
    for tool in ('ip', 'nft', 'ss', 'tcpdump'):
        if not shutil.which(tool):
            skip('%s not found' % tool)
    if run(['ip', 'netns', 'list'], check=False).returncode != 0:
        skip('ip netns unavailable')
    if run(['nft', '--version'], check=False).returncode != 0:
        skip('nft unavailable')
    binary = os.path.abspath(args.tcpnarrate)
    if not os.access(binary, os.X_OK):
        print('error: %s is not an executable (build it: ninja -C build)'
              % binary)
        return 1

    netns.raise_on_signals(
        netns.CLEANUP_SIGNALS + (signal.SIGALRM,),
        {signal.SIGALRM: 'time budget of %d s exceeded' % TIME_BUDGET})
    signal.alarm(TIME_BUDGET)

    work = tempfile.mkdtemp(prefix='tnk-')
    os.chmod(work, 0o755)
    points = ((NS_C, VETH_C, 'client'), (NS_S, VETH_S, 'server'))
    agents, caps = [], []
    try:
        try:
            PAIR.up()
            setup_nft()
        except RuntimeError as e:
            if 'nft' in str(e):
                skip('nftables unusable in a namespace: %s' % e)
            raise
        for ns, iface, where in points:
            caps.append(Capture(ns, iface,
                                os.path.join(work, where + '.pcap'),
                                os.path.join(work, where + '.err')))
        C, S = Agent(NS_C), Agent(NS_S)
        agents = [C, S]
        for fn in SCENARIOS:
            name, cport, sport = fn.scenario
            conn = Conn(name, cport, sport)
            try:
                fn(C, S, conn, name)
            except StepError as e:
                log('%s: %s' % (name, e))
                checkpoint(name, conn, 'after step error', max_wait=0.5,
                           error=str(e))
            finally:
                release(NS_C)
                release(NS_S)
        time.sleep(0.3)        # let the last packets reach the files
        done, caps = caps, []
        passed = failed = 0
        for cap in done:
            cap.stop()
            if args.keep:
                base, ext = os.path.splitext(args.keep)
                shutil.copyfile(cap.path, '%s-%s%s' % (base, cap.where,
                                                      ext or '.pcap'))
            p, f = compare(binary, cap.path, narrate(binary, cap.path),
                           cap.where)
            passed, failed = passed + p, failed + f
            lost = cap.dropped()
            if lost:
                print('FAIL capture at the %s: tcpdump lost %d packets'
                      % (cap.where, lost))
                failed += 1
        print('%d passed, %d failed' % (passed, failed), flush=True)
        return 0 if failed == 0 else 1
    except (Interrupted, RuntimeError, subprocess.TimeoutExpired) as e:
        print('error: %s' % e, flush=True)
        print('%d passed, %d failed' % (0, max(1, len(CHECKPOINTS))),
              flush=True)
        return 1
    finally:
        netns.ignore_signals()
        signal.alarm(0)
        for a in agents:
            try:
                a.stop()
            except Exception:
                pass
        for cap in caps:
            cap.stop()
        PAIR.down()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
