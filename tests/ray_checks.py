"""Distributed training on a real local Ray cluster, run by tests/test_distributed_engines.py inside a
network namespace that holds only the loopback interface (``unshare -n``), so that no Ray process can
bind or send anywhere else. Prints one JSON object of what it saw.

    unshare -n sh -c 'ip link set lo up && python tests/ray_checks.py SHARD...'
"""

import json
import os
import signal
import subprocess
import sys
import threading
import time

os.environ["RAY_USAGE_STATS_ENABLED"] = "0"

import interrupting  # noqa: E402
import numpy as np  # noqa: E402
import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

import gensim_losses as G  # noqa: E402
from gensim_losses.distributed import fit  # noqa: E402
from gensim_losses.distributed.on_ray import RayEngine  # noqa: E402

FIXED = dict(vector_size=16, sg=1, min_count=2, sample=0, shrink_windows=False, workers=1, seed=5)
STORE = 80 * 2**20

DRIVER = """
import os, sys, time
import gensim_losses as G
from gensim_losses.distributed import fit
from gensim_losses.distributed.on_ray import RayEngine
import ray
ray.init(address=sys.argv[1], log_to_driver=False)
engine = RayEngine(workers=1)
class Started:
    def on_train_begin(self, m): pass
    def on_epoch_begin(self, m):
        if m.loss_history == []:  # the replicas' processes, once
            print("training", *ray.get([a.pid.remote() for a in engine.actors]), flush=True)
    def on_epoch_end(self, m): pass
    def on_train_end(self, m): pass
m = G.Word2Vec(vector_size=16, sg=1, min_count=2, workers=1, epochs=200)
fit(m, sys.argv[2:], engine=engine, replicas=2, sync_words=2000, callbacks=[Started()])
"""


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def listening():
    out = subprocess.run(["ss", "-Htlnu"], capture_output=True, text=True).stdout
    return sorted({line.split()[4].rsplit(":", 1)[0] for line in out.splitlines() if line.strip()})


def main(shards):
    seen = {"interfaces": subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout.split("\n")}
    start = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args=dict(num_cpus=1, object_store_memory=STORE))
    cluster.add_node(num_cpus=1, object_store_memory=STORE)
    ray.init(address=cluster.address, log_to_driver=False)
    seen["cluster_seconds"] = time.perf_counter() - start
    seen["nodes"] = len([n for n in ray.nodes() if n["Alive"]])

    # the same run on Ray and in this process: the same weights, to the bit
    engine = RayEngine(workers=1)
    on_ray = G.Word2Vec(**FIXED, epochs=2)
    fit(on_ray, shards, engine=engine, replicas=2, sync_words=2000)
    seen["listening"] = listening()
    local = G.Word2Vec(**FIXED, epochs=2)
    fit(local, shards, engine="local", replicas=2, sync_words=2000)
    seen["same_vectors"] = bool(np.array_equal(on_ray.wv.vectors, local.wv.vectors)
                                and np.array_equal(on_ray.syn1neg, local.syn1neg))
    seen["same_history"] = on_ray.loss_history == local.loss_history
    seen["history"] = on_ray.loss_history
    seen["stats"] = on_ray.distributed_stats.as_dict()

    # a replica's process killed mid-epoch
    engine = RayEngine(workers=1)
    killed = G.Word2Vec(**FIXED, epochs=2)
    where = {}

    def kill():
        while getattr(killed, "distributed_stats", None) is None or killed.distributed_stats.rounds < 4:
            time.sleep(0.005)
        pid = ray.get(engine.actors[1].pid.remote())
        where["pid"] = pid
        os.kill(pid, signal.SIGKILL)

    threading.Thread(target=kill, daemon=True).start()
    fit(killed, shards, engine=engine, replicas=2, sync_words=2000)
    seen["killed_pid"] = where.get("pid")
    seen["killed_history"] = killed.loss_history
    seen["killed_replaced"] = killed.distributed_stats.replaced
    seen["killed_finite"] = bool(np.isfinite(killed.wv.vectors).all() and np.isfinite(killed.syn1neg).all())

    # Ctrl-C on a driver of this cluster: it ends within seconds, its actors with it, the cluster serves on
    driver, line = interrupting.start(DRIVER, cluster.address, *shards)
    pids = [int(p) for p in line[1:]]
    seen["interrupt"] = dict(started=line[:1], replicas=len(pids), **interrupting.interrupt(driver))
    deadline = time.perf_counter() + 10
    while any(alive(p) for p in pids) and time.perf_counter() < deadline:
        time.sleep(0.1)
    seen["replicas_alive_after"] = sum(alive(p) for p in pids)
    after = G.Word2Vec(**FIXED, epochs=1)
    fit(after, shards, engine=RayEngine(workers=1), replicas=2, sync_words=5000)
    seen["after_examples"] = after.loss_history[0]["examples"]
    ray.shutdown()
    cluster.shutdown()
    print(json.dumps(seen))


if __name__ == "__main__":
    main(sys.argv[1:])
