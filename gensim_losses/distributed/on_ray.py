"""The Ray adapter: each replica a Ray actor, the merge through Ray's object store.

It only places the work: the replicas are :class:`~gensim_losses.distributed.replica.Replica`
actors, the driver is :func:`gensim_losses.distributed.driver.fit`. A merge is put in the object
store once per round and every replica reads it from there; a replica's delta comes back as the
result of its round. An actor whose process dies raises ``RayActorError``, which the driver hears
as :class:`~gensim_losses.distributed.ReplicaLost` and answers with a new actor.
"""

import os

import ray
from ray.exceptions import RayActorError, RayTaskError, WorkerCrashedError

from gensim_losses.distributed.driver import ReplicaLost
from gensim_losses.distributed.replica import Replica

OBJECT_STORE_BYTES = 512 * 2**20  # of a local cluster started here (Ray's default is 30% of RAM)
POLL_SECONDS = 0.5  # ray.get in slices, so that Ctrl-C reaches the driver at once



class RayEngine:
    """Replicas as Ray actors of ``num_cpus=workers`` each.

    ``address``: a cluster to connect to (``"auto"``, ``"ray://host:10001"``, ``"host:6379"``), or None:
    the cluster this process is connected to, else one started here on this machine (shut down at the
    end, its object store capped at ``object_store_memory`` bytes).
    """

    name = "ray"

    def __init__(self, address=None, replicas=2, workers=None, object_store_memory=OBJECT_STORE_BYTES,
                 num_cpus=None, **init_options):
        self.workers = workers
        self.owned = False
        if not ray.is_initialized():
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            if address is None:
                ray.init(num_cpus=num_cpus, object_store_memory=object_store_memory, include_dashboard=False,
                         log_to_driver=False, **init_options)
                self.owned = True
            else:
                ray.init(address=address, log_to_driver=False, **init_options)
        self.actor_class = ray.remote(num_cpus=workers or 1, max_restarts=0)(Replica)
        self.actors = []
        self._shared = None

    def start(self, specs):
        self.actors = [self._actor(spec) for spec in specs]

    def _actor(self, spec):
        return self.actor_class.remote(*spec, threads=self.workers)

    def shared(self, value):
        if self._shared is None or self._shared[0] is not value:  # one put per merge, read by every replica
            self._shared = (value, ray.put(value))
        return self._shared[1]

    def call(self, method, args, indices=None):
        indices = range(len(self.actors)) if indices is None else indices
        refs = [getattr(self.actors[i], method).remote(*a) for i, a in zip(indices, args)]
        return self._get(refs, indices)

    def _get(self, refs, indices):
        pending = list(refs)
        while pending:  # wait in slices: a KeyboardInterrupt is not held up by a long round
            _, pending = ray.wait(pending, num_returns=len(pending), timeout=POLL_SECONDS)
        results = []
        for i, ref in zip(indices, refs):
            try:
                results.append(ray.get(ref))
            except (RayActorError, WorkerCrashedError) as exc:
                results.append(ReplicaLost(i, exc))
            except RayTaskError as exc:  # the replica's own exception (a DivergenceError, a bad file): raise it
                raise exc.as_instanceof_cause() from None
        return results

    def replace(self, index, spec):
        try:
            ray.kill(self.actors[index])
        except Exception:  # already gone
            pass
        self.actors[index] = self._actor(spec)

    def close(self):
        for actor in self.actors:
            try:
                ray.kill(actor)
            except Exception:
                pass
        self.actors = []
        self._shared = None
        if self.owned:
            ray.shutdown()
            self.owned = False
