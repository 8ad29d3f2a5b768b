#!/usr/bin/python3
"""Narrate one capture on a Dask cluster: a shard per task, merged.

Each task runs `tcpnarrate --shard I/N --records [options] -r FILE...` on a
worker, reading the capture from storage every worker sees (NFS, a shared
volume; on a local cluster, the local disk), and writes shard I's merge
records to PARTS/part-I.tnrec there. The client then runs `tcpnarrate --merge`
on the N parts, which writes exactly what one process would have written:
with --json, JSON Lines, one object per segment and connection, then the
summary. Every worker needs the same tcpnarrate (the same version).

Each shard still reads the whole capture and tracks every connection (that
is what keeps the connection numbers, evictions and expiry those of one
process); what the shards split is the narration, which is most of the time
in every mode but --summary. See docs/shards.md.

    # a local cluster of 4 worker processes, 8 shards
    python3 contrib/dask/tcpnarrate_dask.py --local 4 --shards 8 -o out.jsonl -- \\
        --json -r /data/big.pcap
    # an existing cluster
    python3 contrib/dask/tcpnarrate_dask.py --scheduler tcp://sched:8786 \\
        --parts /shared/tmp/run1 -o out.jsonl -- --json -r /shared/big.pcap

Uses Debian's python3-distributed (apt-get install python3-distributed).
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile


def shard_task(tn, args, shard, shards, parts):
    """On a worker: shard `shard` of `shards` into parts/part-I.tnrec.
    Returns (shard, exit status, standard error)."""
    path = os.path.join(parts, "part-%d.tnrec" % shard)
    with open(path, "wb") as out:
        p = subprocess.run([tn, "--shard", "%d/%d" % (shard, shards), "--records"] + args,
                           stdout=out, stderr=subprocess.PIPE)
    return shard, p.returncode, p.stderr.decode(errors="replace")


def narrate(client, tn, args, shards, parts, out):
    """Maps the shards over the cluster's workers, then merges their records
    into the file object `out`. Returns the exit status: the worst of the
    shards' (1 over 3 over 0) or the merge's."""
    futures = [client.submit(shard_task, tn, args, k, shards, parts, pure=False)
               for k in range(shards)]
    results = sorted(client.gather(futures))
    errors = []
    for _, _, err in results:
        for line in err.splitlines(keepends=True):
            if line not in errors:
                errors.append(line)
    sys.stderr.write("".join(errors))
    status = max((rc for _, rc, _ in results), key=lambda rc: {1: 3, 3: 2, 0: 1}.get(rc, 4))
    if status not in (0, 3):
        return status
    merge = subprocess.Popen([tn, "--merge"] + [os.path.join(parts, "part-%d.tnrec" % k)
                                                for k in range(shards)], stdout=subprocess.PIPE)
    shutil.copyfileobj(merge.stdout, out, 1 << 20)
    merge.stdout.close()
    return merge.wait() or status


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--scheduler", help="address of a running Dask scheduler")
    where.add_argument("--local", type=int, metavar="WORKERS",
                       help="start a local cluster of this many worker processes")
    ap.add_argument("--shards", type=int, help="shards (default: two per worker)")
    ap.add_argument("--parts", help="directory every worker can write and the client read "
                    "(default: a temporary directory, for a local cluster)")
    ap.add_argument("--tcpnarrate", default=shutil.which("tcpnarrate") or "tcpnarrate")
    ap.add_argument("-o", "--output", help="merged output (default: standard output)")
    ap.add_argument("args", nargs=argparse.REMAINDER,
                    help="-- then tcpnarrate's options and -r FILE (a path the workers see)")
    a = ap.parse_args()
    args = a.args[1:] if a.args[:1] == ["--"] else a.args
    from distributed import Client, LocalCluster
    if a.local:
        cluster = LocalCluster(n_workers=a.local, threads_per_worker=1, processes=True)
        client = Client(cluster)
    else:
        cluster, client = None, Client(a.scheduler)
    workers = len(client.scheduler_info()["workers"]) or 1
    parts = a.parts or tempfile.mkdtemp(prefix="tn-dask-")
    try:
        out = open(a.output, "wb") if a.output else sys.stdout.buffer
        with out:
            return narrate(client, os.path.abspath(a.tcpnarrate), args, a.shards or 2 * workers,
                           parts, out)
    finally:
        if not a.parts:
            shutil.rmtree(parts, ignore_errors=True)
        client.close()
        if cluster:
            cluster.close()


if __name__ == "__main__":
    sys.exit(main())
