"""The in-process engine: every replica in this process, called one after another (with the sync
beside training their rounds then train in threads side by side).

It runs the same :class:`~gensim_losses.distributed.replica.Replica` and the
same driver as Ray and Dask do, so it is how the synchronisation rule is
measured on a machine with fewer cores than replicas (each replica still
trains on the model's ``workers`` threads), and how the driver's logic is
tested without a cluster.
"""

from gensim_losses.distributed.replica import Replica


class InProcess:
    """Replicas as plain objects of this process."""

    name = "in-process"

    def __init__(self, workers=None):
        self.workers = workers
        self.replicas = []

    def start(self, specs):
        self.replicas = [Replica(*spec, threads=self.workers) for spec in specs]

    def shared(self, value):
        return value

    def call(self, method, args, indices=None):
        indices = range(len(self.replicas)) if indices is None else indices
        return [getattr(self.replicas[i], method)(*a) for i, a in zip(indices, args)]

    def replace(self, index, spec):
        self.replicas[index] = Replica(*spec, threads=self.workers)

    def close(self):
        for replica in self.replicas:  # a round training ahead ends before its replica goes
            try:
                replica.finish()
            except Exception:  # its error was raised already, or the run is ending on another one
                pass
        self.replicas = []
