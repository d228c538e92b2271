"""The Dask adapter: each replica a Dask actor on its own worker.

It only places the work, as :mod:`.on_ray` does. With no client given it starts a
``LocalCluster`` on loopback (one worker process per replica, ``workers`` threads each, no
dashboard) and closes it at the end. A worker that dies takes its actor with it; the driver
hears that as :class:`~gensim_losses.distributed.ReplicaLost` and starts a new actor on a live worker.
"""

import time

from distributed import Client, KilledWorker, LocalCluster
from distributed.comm.core import CommClosedError

from gensim_losses.distributed.driver import ReplicaLost
from gensim_losses.distributed.replica import Replica

POLL_SECONDS = 0.5


def _lost(exc):
    """Whether ``exc`` says the actor's worker went away (not an error of the replica's own code, which
    comes back as itself, an OSError for a missing file among them)."""
    if isinstance(exc, (CommClosedError, KilledWorker)):
        return True
    # what distributed.actor raises for an actor whose worker is gone (it has no class of its own)
    return isinstance(exc, (RuntimeError, OSError)) and any(
        text in str(exc) for text in ("Worker holding Actor was lost", "Unable to contact Actor's worker"))



class DaskEngine:
    """Replicas as Dask actors; ``client``: a ``dask.distributed.Client``, a scheduler address, or None
    for a local cluster."""

    name = "dask"

    def __init__(self, client=None, replicas=2, workers=None, **cluster_options):
        self.workers = workers
        self.owned = not isinstance(client, Client)
        self.cluster = None
        if isinstance(client, str):
            client = Client(client)
        elif client is None:
            options = dict(n_workers=replicas, threads_per_worker=workers or 1, processes=True,
                           host="127.0.0.1", dashboard_address=None)
            options.update(cluster_options)
            self.cluster = LocalCluster(**options)
            client = Client(self.cluster)
        self.client = client
        self.actors = []
        self._futures = []
        self._places = []

    def _worker_addresses(self):
        return sorted(self.client.scheduler_info()["workers"])

    def start(self, specs):
        addresses = self._worker_addresses()
        if not addresses:
            raise RuntimeError("the Dask cluster has no workers: start some (dask worker ...), or wait for them "
                               "with client.wait_for_workers(n)")
        self._places = [addresses[i % len(addresses)] for i in range(len(specs))]
        futures = [self.client.submit(Replica, *spec, threads=self.workers, workers=[place], actor=True)
                   for spec, place in zip(specs, self._places)]
        self._futures = futures  # an actor lives as long as its future
        self.actors = [future.result() for future in futures]

    def shared(self, value):
        return value

    def call(self, method, args, indices=None):
        indices = range(len(self.actors)) if indices is None else indices
        futures = []
        for i, a in zip(indices, args):
            try:  # an actor whose worker died since the last call fails here, before any result
                futures.append(getattr(self.actors[i], method)(*a))
            except Exception as exc:
                if not _lost(exc):
                    raise
                futures.append(ReplicaLost(i, exc))
        results = []
        for i, future in zip(indices, futures):
            try:
                results.append(future if isinstance(future, ReplicaLost) else _result(future))
            except Exception as exc:
                if not _lost(exc):
                    raise
                results.append(ReplicaLost(i, exc))
        return results

    def replace(self, index, spec):
        live = self._worker_addresses()
        place = self._places[index] if self._places[index] in live else live[index % len(live)]
        self._places[index] = place
        future = self.client.submit(Replica, *spec, threads=self.workers, workers=[place], actor=True)
        self.client.cancel([self._futures[index]])
        self._futures[index] = future
        self.actors[index] = future.result()

    def close(self):
        """End every actor (a client given by the caller stays usable); close a cluster started here."""
        if self._futures:
            try:
                self.client.cancel(self._futures)
            except Exception:  # the client is closing already
                pass
        self.actors, self._futures = [], []
        if self.owned:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
            self.owned = False


def _result(future):
    while True:  # in slices: a KeyboardInterrupt is not held up by a long round
        try:
            return future.result(timeout=POLL_SECONDS)
        except TimeoutError:
            time.sleep(0)
