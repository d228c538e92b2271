"""Distributed training on real engines: a local Ray cluster of two nodes (inside a loopback-only network
namespace, tests/ray_checks.py) and a Dask LocalCluster on 127.0.0.1. Each is skipped, with the reason,
when its extra is not installed."""

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import interrupting
import numpy as np
import pytest
from gensim.test.utils import datapath

import gensim_losses as G
from gensim_losses.distributed import fit

LEE = datapath("lee_background.cor")
FIXED = dict(vector_size=16, sg=1, min_count=2, sample=0, shrink_windows=False, workers=1, seed=5)
HERE = Path(__file__).resolve().parent
# what a listening socket may be bound to in a namespace that has only lo (a wildcard there is lo)
LOOPBACK = {"127.0.0.1", "[::ffff:127.0.0.1]", "[::1]", "0.0.0.0", "*", "[::]"}


@pytest.fixture(scope="module")
def shard_paths(tmp_path_factory):
    root = tmp_path_factory.mktemp("engine_shards")
    lines = open(LEE, encoding="utf8").read().splitlines(keepends=True)
    paths = []
    for i, (a, b) in enumerate([(0, 150), (150, len(lines))]):
        path = root / f"shard{i}.txt"
        path.write_text("".join(lines[a:b]), encoding="utf8")
        paths.append(str(path))
    return paths


@pytest.fixture(scope="module")
def one_machine(shard_paths, tmp_path_factory):
    whole = tmp_path_factory.mktemp("whole") / "whole.txt"
    whole.write_text("".join(open(p, encoding="utf8").read() for p in shard_paths), encoding="utf8")
    return G.Word2Vec(corpus_file=str(whole), **FIXED, epochs=2)


# ---------------------------------------------------------------------------------------------- Ray
def _loopback_namespace_reason():
    if os.geteuid() != 0:
        return "Ray must run in a loopback-only network namespace, which needs root (unshare -n)"
    for tool in ("unshare", "ip", "ss"):
        if shutil.which(tool) is None:
            return f"{tool} is missing: Ray cannot be confined to loopback"
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True)
    if probe.returncode:
        return f"unshare -n failed here ({probe.stderr.decode().strip()})"
    return None


@pytest.fixture(scope="module")
def ray_run(shard_paths):
    pytest.importorskip("ray", reason="the [ray] extra is not installed (pip install 'gensim-losses[ray]')")
    reason = _loopback_namespace_reason()
    if reason:
        pytest.skip(reason)
    command = f"ip link set lo up && exec {sys.executable} {HERE / 'ray_checks.py'} " + " ".join(shard_paths)
    proc = subprocess.run(["unshare", "-n", "sh", "-c", command], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, RAY_USAGE_STATS_ENABLED="0"))
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_ray_runs_on_loopback_only(ray_run):
    interfaces = [line for line in ray_run["interfaces"] if line.strip()]
    assert len(interfaces) == 1 and ": lo:" in interfaces[0]
    assert ray_run["listening"] and set(ray_run["listening"]) <= LOOPBACK


def test_ray_two_nodes_train_what_the_in_process_engine_trains(ray_run, one_machine):
    assert ray_run["nodes"] == 2
    assert ray_run["same_vectors"] and ray_run["same_history"]
    assert [r["examples"] for r in ray_run["history"]] == [r["examples"] for r in one_machine.loss_history]
    assert ray_run["stats"]["rounds"] > 4 and ray_run["stats"]["bytes_up"] > 0


def test_ray_killed_replica_is_replaced_and_no_example_is_lost_or_doubled(ray_run, one_machine):
    assert ray_run["killed_pid"] and ray_run["killed_replaced"] >= 1
    assert [r["examples"] for r in ray_run["killed_history"]] == [r["examples"] for r in one_machine.loss_history]
    assert ray_run["killed_finite"]


def test_ray_ctrl_c_stops_the_driver_and_leaves_the_cluster_usable(ray_run, one_machine):
    interrupt = ray_run["interrupt"]
    assert interrupt["started"] == ["training"] and interrupt["replicas"] == 2
    assert interrupt["returncode"] != 0 and interrupt["keyboard_interrupt"]
    assert interrupt["seconds"] < 10
    assert ray_run["replicas_alive_after"] == 0  # the replicas' processes ended within 10 s of the driver
    assert ray_run["after_examples"] == one_machine.loss_history[0]["examples"]


# --------------------------------------------------------------------------------------------- Dask
@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip(
        "distributed", reason="the [dask] extra is not installed (pip install 'gensim-losses[dask]')")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_trains_what_the_in_process_engine_trains(dask_client, shard_paths, one_machine):
    on_dask = G.Word2Vec(**FIXED, epochs=2)
    fit(on_dask, shard_paths, engine=dask_client, replicas=2, sync_words=2000, workers=1)
    local = G.Word2Vec(**FIXED, epochs=2)
    fit(local, shard_paths, engine="local", replicas=2, sync_words=2000)
    np.testing.assert_array_equal(on_dask.wv.vectors, local.wv.vectors)
    np.testing.assert_array_equal(on_dask.syn1neg, local.syn1neg)
    assert on_dask.loss_history == local.loss_history
    assert [r["examples"] for r in on_dask.loss_history] == [r["examples"] for r in one_machine.loss_history]
    assert len(dask_client.scheduler_info()["workers"]) == 2  # the caller's cluster is left as it was


def test_dask_trains_parquet_shards_read_on_its_workers(dask_client, tmp_path):
    """Parquet shards with a weight column: each actor reads its row groups (with pyarrow, in its own
    process) and trains what the in-process engine trains."""
    pa = pytest.importorskip("pyarrow", reason="the [parquet] extra is not installed")
    import pyarrow.parquet as pq

    rows = [line.split() for line in open(datapath("lee_background.cor"), encoding="utf8")]
    paths = []
    for i, chunk in enumerate((rows[:150], rows[150:])):
        paths.append(str(tmp_path / f"s{i}.parquet"))
        pq.write_table(pa.table({"words": chunk, "w": [1.0 + k % 2 for k in range(len(chunk))]}), paths[-1],
                       row_group_size=50)
    on_dask, local = G.Word2Vec(**FIXED, epochs=1), G.Word2Vec(**FIXED, epochs=1)
    fit(on_dask, paths, engine=dask_client, replicas=2, sync_words=2000, workers=1, column="words",
        weight_column="w")
    fit(local, paths, engine="local", replicas=2, sync_words=2000, column="words", weight_column="w")
    np.testing.assert_array_equal(on_dask.wv.vectors, local.wv.vectors)
    assert on_dask.loss_history == local.loss_history and on_dask.loss_history[0]["examples"] > 0


def test_dask_killed_worker_is_replaced_and_no_example_is_lost_or_doubled(dask_client, shard_paths, one_machine):
    from gensim_losses.distributed.on_dask import DaskEngine

    engine = DaskEngine(dask_client, 2, workers=1)
    model = G.Word2Vec(**FIXED, epochs=2)
    killed = {}

    def kill():
        while getattr(model, "distributed_stats", None) is None or model.distributed_stats.rounds < 4:
            time.sleep(0.005)
        killed["pid"] = engine.actors[1].pid().result()
        os.kill(killed["pid"], signal.SIGKILL)

    threading.Thread(target=kill, daemon=True).start()
    fit(model, shard_paths, engine=engine, replicas=2, sync_words=2000)
    assert killed["pid"] and model.distributed_stats.replaced >= 1
    assert [r["examples"] for r in model.loss_history] == [r["examples"] for r in one_machine.loss_history]
    assert np.isfinite(model.wv.vectors).all() and np.isfinite(model.syn1neg).all()
    dask_client.wait_for_workers(2, timeout=60)  # the nanny restarted the killed worker


DASK_DRIVER = """
import sys
import gensim_losses as G
from distributed import Client
from gensim_losses.distributed import fit
class Started:
    def on_train_begin(self, m): pass
    def on_epoch_begin(self, m): print("training", flush=True)
    def on_epoch_end(self, m): pass
    def on_train_end(self, m): pass
if __name__ == "__main__":
    client = Client(sys.argv[1])
    m = G.Word2Vec(vector_size=16, sg=1, min_count=2, workers=1, epochs=200)
    fit(m, sys.argv[2:], engine=client, replicas=2, sync_words=2000, callbacks=[Started()])
"""


def test_dask_ctrl_c_stops_the_driver_and_leaves_the_cluster_usable(dask_client, shard_paths, one_machine):
    driver, line = interrupting.start(DASK_DRIVER, dask_client.scheduler.address, *shard_paths)
    assert line == ["training"]
    stopped = interrupting.interrupt(driver)
    assert stopped["seconds"] < 10 and stopped["returncode"] != 0 and stopped["keyboard_interrupt"]
    after = G.Word2Vec(**FIXED, epochs=2)
    fit(after, shard_paths, engine=dask_client, replicas=2, sync_words=5000, workers=1)
    assert [r["examples"] for r in after.loss_history] == [r["examples"] for r in one_machine.loss_history]


def test_dask_worker_killed_between_rounds_is_replaced(dask_client, shard_paths, one_machine):
    """A worker that dies while the driver is busy (here: an epoch-end callback) fails the next call at
    once, before any result: that too is a lost replica."""
    from gensim_losses.distributed.on_dask import DaskEngine

    engine = DaskEngine(dask_client, 2, workers=1)

    class KillAtFirstEpochEnd:
        done = False

        def on_train_begin(self, model):
            pass

        def on_epoch_begin(self, model):
            pass

        def on_epoch_end(self, model):
            if not self.done:
                self.done = True
                os.kill(engine.actors[0].pid().result(), signal.SIGKILL)
                time.sleep(1.0)  # let the scheduler see the worker go

        def on_train_end(self, model):
            pass

    model = G.Word2Vec(**FIXED, epochs=2)
    fit(model, shard_paths, engine=engine, replicas=2, sync_words=2000, callbacks=[KillAtFirstEpochEnd()])
    assert model.distributed_stats.replaced >= 1
    assert [r["examples"] for r in model.loss_history] == [r["examples"] for r in one_machine.loss_history]
    dask_client.wait_for_workers(2, timeout=60)
