#!/usr/bin/env python3
"""netns — a client and a server network namespace joined by a veth pair.

For the harnesses that need real TCP traffic that never reaches a real
network: tests/live/test_live.py and tests/kernel/kernel_truth.py import it,
captures/record.sh uses the command line below; each names its own
namespaces, veth ends and addresses. A Pair owns its two namespaces, the veth
pair between them, their addresses and routes, and the processes started
through Pair.start: Pair.down() (and `netns.py down`) stops those and
deletes both namespaces, with anything still running inside them. Every wait
here is bounded in tries and in time. Python 3, standard library only.

    netns.py up --ns CLIENT SERVER --veth VC VS --client ADDR/LEN... \\
                --server ADDR/LEN... [--offload-off FEATURE...]
    netns.py down NS...                 stale ones too; never fails
    netns.py exec NS CMD [ARG...]       execs, so the PID stays the command's
    netns.py wait-listen NS ADDR PORT [--pid PID] [--what TEXT] [--timeout S]
    netns.py wait-text FILE REGEX [--pid PID] [--what TEXT] [--timeout S]
    netns.py stop PID [--signal NAME] [--grace S]   exit 1 if it needed SIGKILL

Errors go to stderr with exit status 1.
"""
import argparse
import ipaddress
import math
import os
import re
import signal
import subprocess
import sys
import time

# Signals a harness turns into an exception so that its cleanup runs.
CLEANUP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Error(RuntimeError):
    pass


class Interrupted(Exception):
    pass


def warn(msg):
    print('netns.py: ' + msg, file=sys.stderr, flush=True)


def run(cmd, timeout=10, check=True, input=None):
    """Run cmd to completion, output captured as text; Error if it fails.
    input, if given, is the text written to its stdin (nft -f -)."""
    stdin = subprocess.DEVNULL if input is None else None
    r = subprocess.run(cmd, stdin=stdin, input=input, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise Error('%s failed (%d): %s' % (' '.join(cmd), r.returncode,
                                            r.stderr.strip()))
    return r


def in_ns(ns, *cmd):
    """The command line that runs cmd in namespace ns. `ip netns exec`
    execs the command, so a process started with it has the command's PID."""
    return ['ip', 'netns', 'exec', ns] + list(cmd)


def ns_run(ns, cmd, **kw):
    return run(in_ns(ns, *cmd), **kw)


def wait_for(cond, what, timeout=5.0, interval=0.1):
    """Call cond until it is true: at most timeout seconds and
    timeout / interval + 1 tries. Error when it never is."""
    end = time.monotonic() + timeout
    for _ in range(math.ceil(timeout / interval) + 1):
        if cond():
            return
        if time.monotonic() >= end:
            break
        time.sleep(interval)
    raise Error('timed out after %g s waiting for %s' % (timeout, what))


def alive(proc):
    """proc is a Popen or a PID; a zombie counts as gone."""
    if isinstance(proc, subprocess.Popen):
        return proc.poll() is None
    try:
        with open('/proc/%d/stat' % proc) as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except (OSError, IndexError):
        return False


def _exited(proc, what):
    if proc is not None and not alive(proc):
        pid = proc.pid if isinstance(proc, subprocess.Popen) else proc
        raise Error('%s: process %d exited' % (what, pid))


def wait_listen(ns, addr, port, proc=None, what=None, timeout=5.0):
    """Wait until a TCP socket in ns listens on addr:port. Asks the kernel
    (ss) rather than connecting: a test connection is traffic of its own.
    proc, if given, is the server: Error at once if it exits."""
    shown = '[%s]:%d' % (addr, port) if ':' in addr else '%s:%d' % (addr, port)
    what = what or 'a listener on %s in %s' % (shown, ns)

    def listening():
        _exited(proc, what)
        out = ns_run(ns, ['ss', '-Hltn', 'sport = :%d' % port]).stdout
        return any(line.split()[3:4] == [shown] for line in out.splitlines())
    wait_for(listening, what, timeout)


def wait_for_text(path, pattern, proc=None, what=None, timeout=5.0):
    """Wait until the file (a log) has a line matching the regex pattern;
    proc, if given, is the process writing it: Error at once if it exits."""
    what = what or '%r in %s' % (pattern, path)

    def found():
        try:
            with open(path, errors='replace') as f:
                text = f.read()
        except FileNotFoundError:
            text = ''
        if re.search(pattern, text, re.M):
            return True
        _exited(proc, what)
        return False
    wait_for(found, what, timeout)


def stop(proc, sig=signal.SIGTERM, grace=5.0):
    """Stop proc (a Popen or a PID) with sig (None: only wait for it), then
    SIGKILL if it is still there after grace seconds. A Popen is reaped.
    True if it ended without SIGKILL."""
    pid = proc.pid if isinstance(proc, subprocess.Popen) else proc
    ok = True
    if alive(proc):
        try:
            if sig:
                os.kill(pid, sig)
            wait_for(lambda: not alive(proc), 'process %d to exit' % pid,
                     grace)
        except ProcessLookupError:
            pass
        except Error:
            ok = False
            if sig:
                warn('process %d ignored %s for %g s, killing it'
                     % (pid, signal.Signals(sig).name, grace))
            try:
                os.kill(pid, signal.SIGKILL)
                wait_for(lambda: not alive(proc), 'process %d to die' % pid,
                         grace)
            except (ProcessLookupError, Error):
                pass
    if isinstance(proc, subprocess.Popen):
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            ok = False
    return ok


def namespaces():
    out = run(['ip', 'netns', 'list'], check=False).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def delete(*names, grace=5.0):
    """Delete these namespaces if they exist. Anything still running in one
    was started by its owner (now or in an earlier, interrupted run), so it
    is stopped first: deleting a namespace does not stop its processes, it
    only removes the name. Never raises for a namespace that stays."""
    existing = namespaces()
    for ns in names:
        if ns not in existing:
            continue

        def pids():
            return run(['ip', 'netns', 'pids', ns], check=False).stdout.split()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in pids():
                try:
                    os.kill(int(pid), sig)
                except (ProcessLookupError, ValueError):
                    pass
            try:
                wait_for(lambda: not pids(), 'the processes in %s' % ns, grace)
                break
            except Error:
                pass
        if run(['ip', 'netns', 'del', ns], check=False).returncode != 0:
            warn('could not delete namespace ' + ns)


class Pair:
    """A client and a server namespace joined by a veth pair (veth: the
    client's end, the server's end). Each side gets its addresses
    ('10.0.1.5/24', 'fd00:1::5/64', ...) and a device route (no gateway)
    to each of the other side's subnets, so the two can be in different
    subnets and still talk straight across the veth. offloads_off names
    ethtool features to switch off on both ends; with offloads_required
    False a failure to do so is ignored."""

    def __init__(self, client, server, veth, client_addrs, server_addrs,
                 offloads_off=(), offloads_required=True):
        self.client, self.server = client, server
        self.dev = {client: veth[0], server: veth[1]}
        self.addrs = {client: [ipaddress.ip_interface(a) for a in client_addrs],
                      server: [ipaddress.ip_interface(a) for a in server_addrs]}
        self.offloads_off = tuple(offloads_off)
        self.offloads_required = offloads_required
        self.procs = []

    def up(self):
        """Make the namespaces (deleting stale ones first) and wait for both
        ends of the veth to have carrier."""
        self.down()
        run(['ip', 'netns', 'add', self.client])
        run(['ip', 'netns', 'add', self.server])
        # Both ends are made directly inside the namespaces: no interface
        # ever appears in the host's namespace.
        run(['ip', 'link', 'add', self.dev[self.client], 'netns', self.client,
             'type', 'veth', 'peer', 'name', self.dev[self.server],
             'netns', self.server])
        for ns, peer in ((self.client, self.server), (self.server, self.client)):
            dev = self.dev[ns]
            run(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
            run(['ip', '-n', ns, 'link', 'set', dev, 'up'])
            for a in self.addrs[ns]:
                # nodad: an IPv6 address is usable at once instead of
                # "tentative" while duplicate address detection runs.
                nodad = ['nodad'] if a.version == 6 else []
                run(['ip', '-n', ns, 'addr', 'add', str(a), 'dev', dev] + nodad)
            for a in self.addrs[peer]:
                run(['ip', '-n', ns, 'route', 'add', str(a.network), 'dev', dev])
            if self.offloads_off:
                features = [w for f in self.offloads_off for w in (f, 'off')]
                ns_run(ns, ['ethtool', '-K', dev] + features,
                       check=self.offloads_required)
        for ns in (self.client, self.server):
            wait_for(lambda: 'LOWER_UP' in run(['ip', '-n', ns, '-o', 'link',
                                                'show', 'dev', self.dev[ns]]).stdout,
                     '%s to come up' % self.dev[ns])

    def start(self, ns, cmd, **popen_kw):
        """Start cmd in the background in ns; down() stops it."""
        p = subprocess.Popen(in_ns(ns, *cmd), **popen_kw)
        self.procs.append(p)
        return p

    def down(self):
        """Stop what start() started (SIGTERM, then SIGKILL), delete both
        namespaces. Safe to call at any point, and more than once."""
        for p in self.procs:
            stop(p)
        self.procs.clear()
        delete(self.client, self.server)

    def __enter__(self):
        try:
            self.up()
        except BaseException:
            self.down()
            raise
        return self

    def __exit__(self, *exc):
        self.down()


def raise_on_signals(signums=CLEANUP_SIGNALS, messages=None):
    """Turn these signals into Interrupted, so that finally blocks run."""
    def handler(signum, frame):
        raise Interrupted((messages or {}).get(signum)
                          or 'interrupted by signal %d' % signum)
    for s in signums:
        signal.signal(s, handler)


def ignore_signals(signums=CLEANUP_SIGNALS):
    """For the cleanup itself: a second Ctrl-C must not cut it short."""
    for s in signums:
        signal.signal(s, signal.SIG_IGN)


# ---------------------------------------------------------------- command line

def main(argv):
    ap = argparse.ArgumentParser(prog='netns.py', description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    p = sub.add_parser('up', help='make the namespaces, veth, addresses, routes')
    p.add_argument('--ns', nargs=2, required=True, metavar=('CLIENT', 'SERVER'))
    p.add_argument('--veth', nargs=2, required=True, metavar=('VC', 'VS'))
    p.add_argument('--client', nargs='+', required=True, metavar='ADDR/LEN')
    p.add_argument('--server', nargs='+', required=True, metavar='ADDR/LEN')
    p.add_argument('--offload-off', nargs='+', default=[], metavar='FEATURE')
    p = sub.add_parser('down', help='delete namespaces and what runs in them')
    p.add_argument('names', nargs='+', metavar='NS')
    p = sub.add_parser('exec', help='run a command in a namespace (execs)')
    p.add_argument('ns')
    p.add_argument('command', nargs=argparse.REMAINDER)
    p = sub.add_parser('wait-listen', help='wait for a TCP listener')
    p.add_argument('ns')
    p.add_argument('addr')
    p.add_argument('port', type=int)
    p = sub.add_parser('wait-text', help='wait for a line in a log file')
    p.add_argument('file')
    p.add_argument('pattern')
    for p in (sub.choices['wait-listen'], sub.choices['wait-text']):
        p.add_argument('--pid', type=int, help='fail at once if it exits')
        p.add_argument('--what', help='what is awaited, for the error message')
        p.add_argument('--timeout', type=float, default=5.0)
    p = sub.add_parser('stop', help='signal a process, SIGKILL after a grace time')
    p.add_argument('pid', type=int)
    p.add_argument('--signal', default='TERM')
    p.add_argument('--grace', type=float, default=5.0)
    a = ap.parse_args(argv)

    if a.cmd == 'exec':
        if not a.command:
            ap.error('exec needs a command')
        # Python ignores these; a command run from a shell expects them at
        # their defaults (subprocess does the same for its children).
        for s in ('SIGPIPE', 'SIGXFZ', 'SIGXFSZ'):
            if hasattr(signal, s):
                signal.signal(getattr(signal, s), signal.SIG_DFL)
        argv = in_ns(a.ns, *a.command)
        os.execvp(argv[0], argv)
    try:
        if a.cmd == 'up':
            pair = Pair(a.ns[0], a.ns[1], a.veth, a.client, a.server,
                        a.offload_off)
            try:
                pair.up()
            except BaseException:
                pair.down()
                raise
        elif a.cmd == 'down':
            delete(*a.names)
        elif a.cmd == 'wait-listen':
            wait_listen(a.ns, a.addr, a.port, a.pid, a.what, a.timeout)
        elif a.cmd == 'wait-text':
            wait_for_text(a.file, a.pattern, a.pid, a.what, a.timeout)
        elif a.cmd == 'stop':
            name = a.signal.upper()
            sig = signal.Signals[name if name.startswith('SIG') else 'SIG' + name]
            return 0 if stop(a.pid, sig, a.grace) else 1
    except (Error, ValueError, KeyError, subprocess.TimeoutExpired) as e:
        print('netns.py: error: %s' % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
