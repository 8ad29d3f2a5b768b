#!/usr/bin/env python3
"""The Dask recipe (contrib/dask/tcpnarrate_dask.py) on a two-worker local
cluster: the shards mapped over the workers and merged give exactly the
output of one process, in JSON Lines and in text.

Debian's python3-distributed is installed for /usr/bin/python3; when the
Python running this lacks it, the test runs itself again under that one.
Exit 77 (skipped) when no Python has it.

usage: test_dask.py TCPNARRATE
"""
import io
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

try:
    from distributed import Client, LocalCluster
except ImportError:
    if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != \
            os.path.realpath("/usr/bin/python3") and not os.environ.get("TN_DASK_REEXEC"):
        os.environ["TN_DASK_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
    print("python3-distributed is not installed: skipped")
    sys.exit(77)

sys.path.insert(0, os.path.join(ROOT, "contrib", "dask"))
sys.path.insert(0, HERE)
import tcpnarrate_dask  # noqa: E402
import test_shard  # noqa: E402


def main():
    tn = os.path.abspath(sys.argv[1])
    failures = 0
    with tempfile.TemporaryDirectory(prefix="tn-dask-") as tmp:
        mixed = os.path.join(tmp, "mixed.pcap")
        test_shard.interleaved(mixed)
        caps = [mixed, os.path.join(ROOT, "captures", "analysis-loss-sack.pcap")]
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
        try:
            print("workers: %d" % len(client.scheduler_info()["workers"]))
            for cap in caps:
                for mode in (["--json"], [], ["--summary", "--json"]):
                    args = mode + ["--color=never", "-r", cap]
                    parts = tempfile.mkdtemp(dir=tmp)
                    out = io.BytesIO()
                    rc = tcpnarrate_dask.narrate(client, tn, args, 3, parts, out)
                    one = subprocess.run([tn] + args, stdout=subprocess.PIPE)
                    ok = rc == one.returncode and out.getvalue() == one.stdout
                    failures += not ok
                    print("%s %s %s: %d bytes" % ("ok  " if ok else "FAIL", " ".join(mode),
                                                  os.path.basename(cap), len(one.stdout)))
        finally:
            client.close()
            cluster.close()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
