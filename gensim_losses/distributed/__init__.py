"""Training across machines: replicas on Ray or Dask, one engine-agnostic core.

>>> from gensim_losses import Word2Vec, NEGSamplingLoss, NormPenalty
>>> from gensim_losses.distributed import fit
>>> model = Word2Vec(vector_size=100, sg=1, loss=NEGSamplingLoss() + NormPenalty(0.01))  # doctest: +SKIP
>>> fit(model, "shards/*.txt", engine="ray", replicas=4)  # doctest: +SKIP

The layers: :mod:`.shards` (which replica reads what, the vocabulary
counts), :mod:`.sync` (the synchronisation rule), :mod:`.replica` (one
replica, the same on every engine), :mod:`.driver` (the run), and one
adapter per engine that only places replicas: :mod:`.local` (in this
process), :mod:`.on_ray`, :mod:`.on_dask`. Ray and Dask are optional
(``pip install "gensim-losses[ray]"`` or ``[dask]``). See docs/distributed.md.
"""

from gensim_losses.distributed import driver, sync
from gensim_losses.distributed.driver import (
    DEFAULT_FULL_SYNC_WORDS,
    DEFAULT_HOT_ROWS,
    DEFAULT_SYNC_WORDS,
    Options,
    ReplicaLost,
)
from gensim_losses.distributed.local import InProcess

ENGINES = ("ray", "dask", "local")


def _adapter(name):
    """The adapter module for ``name``, or an ImportError that says which extra to install."""
    import importlib

    module = {"ray": "ray", "dask": "distributed"}[name]
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"engine={name!r} needs {module}, which is not installed: pip install "
                          f"'gensim-losses[{name}]'", name=module) from exc
    return importlib.import_module(f"gensim_losses.distributed.on_{name}")


def engine_for(engine, replicas, workers=None, **options):
    """The adapter for ``engine``: ``"ray"``, a Ray address (``"auto"``, ``"ray://host:10001"``,
    ``"host:6379"``), ``"dask"``, a Dask scheduler address (``"tcp://host:8786"``), a
    ``dask.distributed.Client``, ``"local"`` (every replica in this process), or an adapter object.
    ``options`` go to the adapter (``ray.init`` or ``LocalCluster``)."""
    if hasattr(engine, "call") and hasattr(engine, "start"):
        return engine
    if isinstance(engine, str):
        if engine == "local":
            if options:
                raise TypeError(f"engine='local' takes no engine options, got {', '.join(sorted(options))}")
            return InProcess(workers=workers)
        if engine == "dask" or engine.startswith(("tcp://", "tls://", "inproc://")):
            return _adapter("dask").DaskEngine(None if engine == "dask" else engine, replicas, workers=workers,
                                               **options)
        if engine == "ray" or engine == "auto" or engine.startswith("ray://") or ":" in engine:
            return _adapter("ray").RayEngine(None if engine == "ray" else engine, replicas, workers=workers,
                                             **options)
        raise ValueError(f"engine={engine!r}: expected 'ray', 'dask', 'local', a Ray or Dask address, or a "
                         f"dask.distributed.Client")
    if type(engine).__name__ == "Client" and type(engine).__module__.startswith("distributed"):
        return _adapter("dask").DaskEngine(engine, replicas, workers=workers, **options)
    raise TypeError(f"engine={engine!r}: expected 'ray', 'dask', 'local', a Ray or Dask address, or a "
                    f"dask.distributed.Client")


def fit(model, shards, engine="ray", replicas=2, sync_words=DEFAULT_SYNC_WORDS, hot_rows=DEFAULT_HOT_ROWS,
        full_sync_words=DEFAULT_FULL_SYNC_WORDS, rule="capped", step=None, epochs=None, callbacks=(), workers=None,
        trim_rule=None, compute_loss=None, overlap=None, column=None, weight_column=None, context_column=None,
        **engine_options):
    """Train ``model`` (a ``gensim_losses.Word2Vec``, built or not) on ``shards`` with ``replicas`` replicas.

    Parameters
    ----------
    model : gensim_losses.Word2Vec
        Its settings (loss, ``sg``, ``negative``, ``shared_negatives``, ...) are what every replica
        trains with. Unbuilt: the vocabulary is counted on the replicas and built here, the same as
        ``build_vocab(corpus_file=...)`` on the concatenated shards.
    shards : str, path or list
        Text files, one sentence per line (``.gz``/``.bz2`` too), or a glob. Or Parquet files with
        ``column=`` (dealt out by row groups). Each replica reads its own part where it runs: the
        corpus never passes through this process.
    engine : str, Client or adapter
        ``"ray"`` (a running cluster if ``ray.init`` finds one, else a local one), a Ray address,
        ``"dask"`` (a local cluster), a ``dask.distributed.Client``, or ``"local"`` (all replicas in
        this process: the same code, each replica called in turn).
    replicas : int
        How many replicas train at once.
    sync_words : int
        Raw words each replica trains between two synchronisations (default 50,000).
    hot_rows, full_sync_words : int
        A synchronisation sends the first ``hot_rows`` rows (the most frequent words, default 2,000);
        every ``full_sync_words`` words per replica (default 1,000,000) and at each epoch's end it
        sends every row. ``hot_rows=None``: every row every time.
    rule, step
        The synchronisation rule (``"capped"``, the default, or ``"mean"``, ``"sum"``,
        ``"global-mean"``; see ``gensim_losses.distributed.sync`` and docs/distributed.md) and the
        replicas' learning-rate scale (default: ``replicas``).
    overlap : bool, optional
        The sync beside training: a replica starts its next round as soon as it has sent its delta,
        holding its own share of it (what the merge gives a row no other replica touched), and gets
        the merge at the end of that round, so that transfer and merge hide behind training; each
        round then starts without the other replicas' changes of the round before. ``False``: every
        round starts from the merge of the one before. Default (None): on up to 4 replicas, where it
        trains within 0.013 of one machine; off beyond, where it measured worse than synchronous
        rounds (docs/distributed.md measures both).
    epochs, callbacks, trim_rule, compute_loss
        As in ``train()``/``build_vocab()``; callbacks run here, at epoch ends, on the synchronised model.
    workers : int, optional
        Threads per replica (default: the model's ``workers``).
    column, weight_column, context_column : str, optional
        Parquet shards: the column of token lists (strings or integer ids), and the optional weight and
        context columns, as :class:`~gensim_losses.ParquetCorpus` reads them (the ``[parquet]`` extra).
        The vocabulary is then the same as ``build_vocab(ParquetCorpus(shards, column))``'s.

    Returns
    -------
    model
        The same object, trained: ``loss_history`` holds one record per epoch, the replicas' example
        counts and losses summed; ``distributed_stats`` what was sent and how long rounds took.

    Raises
    ------
    FileNotFoundError, ValueError
        A shard that is missing, fewer pieces of text than replicas, a bad option (naming it).
    NotImplementedError
        A FastText or Doc2Vec model.
    ImportError
        ``engine="ray"`` or ``"dask"`` without the extra installed.
    """
    if column is None and (weight_column is not None or context_column is not None):
        raise ValueError("weight_column= and context_column= name columns of Parquet shards: give column= "
                         "(the token lists) too")
    columns = None if column is None else (column, weight_column, context_column)
    options = driver.Options(sync_words=sync_words, rule=rule, step=step, hot_rows=hot_rows,
                             full_sync_words=full_sync_words, epochs=epochs, compute_loss=compute_loss,
                             overlap=overlap, columns=columns)
    # the engine starts once the model, the options and the shards are checked: a bad input leaves no cluster
    return driver.fit(model, shards, lambda: engine_for(engine, replicas, workers=workers, **engine_options),
                      replicas, options, callbacks=callbacks, trim_rule=trim_rule)


__all__ = ["DEFAULT_FULL_SYNC_WORDS", "DEFAULT_HOT_ROWS", "DEFAULT_SYNC_WORDS", "ENGINES", "InProcess", "Options",
           "ReplicaLost", "engine_for", "fit", "sync"]
