"""The Dask adapter: each replica a Dask actor on its own worker.

It only places the work, as :mod:`.on_ray` does. With no client given it starts a
``LocalCluster`` on loopback (one worker process per replica, ``workers`` threads each, no
dashboard) and closes it at the end. A worker that dies takes its actor with it; the driver
hears that as :class:`~gensim_losses.distributed.ReplicaLost` and starts a new actor on a live worker.
"""

import time

from distributed import Client, LocalCluster

from gensim_losses.distributed.driver import ReplicaLost
from gensim_losses.distributed.replica import Replica

POLL_SECONDS = 0.5
LOST = (OSError, EnvironmentError)


class _Actor(Replica):
    def pid(self):
        import os

        return os.getpid()


class DaskEngine:
    """Replicas as Dask actors; ``client``: a ``dask.distributed.Client``, or None for a local cluster."""

    name = "dask"

    def __init__(self, client=None, replicas=2, workers=None, **cluster_options):
        self.workers = workers
        self.owned = client is None
        if client is None:
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
        self._places = [addresses[i % len(addresses)] for i in range(len(specs))]
        futures = [self.client.submit(_Actor, *spec, threads=self.workers, workers=[place], actor=True)
                   for spec, place in zip(specs, self._places)]
        self._futures = futures  # an actor lives as long as its future
        self.actors = [future.result() for future in futures]

    def shared(self, value):
        return value

    def call(self, method, args, indices=None):
        indices = range(len(self.actors)) if indices is None else indices
        futures = [getattr(self.actors[i], method)(*a) for i, a in zip(indices, args)]
        results = []
        for i, future in zip(indices, futures):
            try:
                results.append(_result(future))
            except LOST as exc:
                results.append(ReplicaLost(i, exc))
        return results

    def replace(self, index, spec):
        live = self._worker_addresses()
        place = self._places[index] if self._places[index] in live else live[index % len(live)]
        self._places[index] = place
        future = self.client.submit(_Actor, *spec, threads=self.workers, workers=[place], actor=True)
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
            self.cluster.close()
            self.owned = False


def _result(future):
    while True:  # in slices: a KeyboardInterrupt is not held up by a long round
        try:
            return future.result(timeout=POLL_SECONDS)
        except TimeoutError:
            time.sleep(0)
