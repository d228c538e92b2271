"""The driver: one training run over replicas, whatever engine places them.

:func:`fit` is the whole algorithm; an engine adapter (:mod:`.local`,
:mod:`.on_ray`, :mod:`.on_dask`) only starts replicas where the shards are
read, calls their methods and says which were lost. The driver

1. cuts the shards into one part per replica (:func:`shards.split`);
2. has each replica count its part with the C scanner, adds the counts in
   part order and builds the vocabulary with gensim's rules, the same as
   ``build_vocab(corpus_file=...)`` on the concatenated shards;
3. runs rounds: every replica trains its next ``sync_words`` raw words from
   the last synchronised weights, the learning rate following the global
   word count; the driver merges the deltas (:mod:`.sync`) into its own
   model and sends the merge with the next round's call;
4. sums the rounds' loss records into one ``loss_history`` entry per epoch
   and runs the callbacks at epoch ends, here;
5. replaces a replica that was lost with one made from the synchronised
   weights, resuming its part where its last finished round left it: the
   lost round's words are read again and counted once, by the replacement.
"""

import logging
import numbers
import pickle
import time
from dataclasses import dataclass

from gensim.models.word2vec import MAX_WORDS_IN_BATCH

from gensim_losses.distributed import shards, sync
from gensim_losses.distributed.replica import arrays_of
from gensim_losses.training.engine import DivergenceError, EpochCallbacks, StopTraining

logger = logging.getLogger(__name__)

DEFAULT_SYNC_WORDS = 50_000  # raw words per replica between two syncs
DEFAULT_HOT_ROWS = 2_000  # rows synced every round: the most frequent words
DEFAULT_FULL_SYNC_WORDS = 1_000_000  # raw words per replica between two syncs of every row
MAX_REPLACEMENTS = 3  # per replica and run: a replica lost more often than this is an error
# the sync beside training by default up to this many replicas: within 0.013 of one machine at N = 2 and 4,
# but at N = 8 it lost 0.035 on analogies over 3 epochs where synchronous rounds lost 0.029 (docs/distributed.md)
OVERLAP_REPLICAS = 4


class ReplicaLost(RuntimeError):
    """A replica's process or node went away; ``index`` says which, ``cause`` the engine's error.

    An engine adapter returns it in place of the replica's result; the driver replaces the replica.
    """

    def __init__(self, index, cause=None):
        super().__init__(f"replica {index} was lost ({cause!r})")
        self.index, self.cause = index, cause


class Stats:
    """What a run sent and how its time went, per round: ``model.distributed_stats``."""

    def __init__(self):
        self.rounds = 0
        self.round_seconds = 0.0  # the driver's wall time per round: training, transfer and merge
        self.merge_seconds = 0.0  # of which the merge and its application on the driver
        self.train_seconds = 0.0  # the slowest replica's work (reading its words, train()), summed over rounds
        self.replica_sync_seconds = 0.0  # the slowest replica's merge application and delta, summed over rounds
        self.bytes_up = 0  # replicas to driver, all replicas
        self.bytes_down = 0  # driver to replicas, all replicas
        self.replaced = 0

    def as_dict(self):
        return dict(vars(self))


def _dumps(model):
    """The model as bytes for the replicas: with cloudpickle where it is installed (Ray and Dask bring it),
    so that a loss class defined in a notebook or a function reaches them too."""
    try:
        import cloudpickle
    except ImportError:
        return pickle.dumps(model)
    return cloudpickle.dumps(model)


def _built(model):
    return len(getattr(model.wv, "index_to_key", ())) > 0


def _check_model(model):
    from gensim_losses.models.doc2vec import Doc2Vec
    from gensim_losses.models.fasttext import FastText

    if isinstance(model, (FastText, Doc2Vec)):
        raise NotImplementedError(
            f"distributed training takes a gensim_losses.Word2Vec; {type(model).__name__} is not supported yet "
            f"(train it on one machine)")
    if not hasattr(model, "_kernel_kind"):
        raise TypeError(f"expected a gensim_losses.Word2Vec, got {type(model).__module__}.{type(model).__name__} "
                        f"(a stock model converts with gensim_losses.Word2Vec.from_gensim)")
    if getattr(model, "max_vocab_size", None):
        raise ValueError(f"max_vocab_size={model.max_vocab_size}: gensim prunes the counts while it scans, which "
                         f"replicas counting their own parts cannot reproduce; use max_final_vocab (applied to "
                         f"the merged counts) instead")
    if getattr(model, "backend", "auto") == "reference":
        raise ValueError("backend='reference' is the exact one-example-at-a-time check, not for a cluster: "
                         "use backend='auto'")


def _sum_records(records, epoch, terms):
    out = {"epoch": epoch, "examples": sum(r["examples"] for r in records)}
    if records and all(r["total"] is not None for r in records):
        for key in ("total",) + terms:
            out[key] = sum(r.get(key, 0.0) for r in records)
    else:
        out.update(dict.fromkeys(("total",) + terms))
    return out


@dataclass
class Options:
    """How a run synchronises (see :mod:`.sync`) and what it trains."""

    sync_words: int = DEFAULT_SYNC_WORDS
    rule: str = "capped"
    step: float = None
    hot_rows: int = DEFAULT_HOT_ROWS
    full_sync_words: int = DEFAULT_FULL_SYNC_WORDS
    epochs: int = None
    compute_loss: bool = None
    overlap: bool = None  # the sync beside training (None: up to OVERLAP_REPLICAS replicas)
    columns: tuple = None  # (column, weight, context) of Parquet shards; None: text shards

    def check(self, model, replicas):
        self.epochs = model.epochs if self.epochs is None else self.epochs
        names = ("sync_words", "full_sync_words", "epochs") + (("hot_rows",) if self.hot_rows is not None else ())
        for name in names:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name}={value!r}: expected an integer >= 1")
            setattr(self, name, int(value))
        self.step = sync.check_rule(self.rule, self.step, replicas)
        if self.hot_rows is not None and not getattr(model, "sorted_vocab", 1):
            logger.warning("sorted_vocab=0: the first rows are not the most frequent words, so every round "
                           "syncs every row (hot_rows=None)")
            self.hot_rows = None
        if self.compute_loss is None:
            self.compute_loss = getattr(model, "compute_loss", True)
        self.overlap = replicas <= OVERLAP_REPLICAS if self.overlap is None else bool(self.overlap)
        # a round in every full_every syncs every row (all of them, without hot rows)
        self.full_every = 1 if self.hot_rows is None else max(1, self.full_sync_words // self.sync_words)


def plan(model, shards_, replicas, options):
    """Check everything that can be checked before an engine starts: the model, the options, the shards;
    returns the shard paths and the parts (one per replica)."""
    _check_model(model)
    if isinstance(replicas, bool) or not isinstance(replicas, numbers.Integral) or replicas < 1:
        raise ValueError(f"replicas={replicas!r}: expected an integer >= 1")
    options.check(model, int(replicas))
    paths = shards.expand(shards_)
    return paths, shards.split(paths, int(replicas), options.columns)


def fit(model, shards_, engine, replicas, options=None, callbacks=(), trim_rule=None):
    """Train ``model`` on ``shards_`` with ``replicas`` replicas placed by ``engine`` (an adapter, or a
    function of no arguments that makes one once the input is checked) and :class:`Options`; see
    :func:`gensim_losses.distributed.fit`."""
    options = options or Options()
    paths, parts = plan(model, shards_, replicas, options)
    engine = engine() if callable(engine) and not hasattr(engine, "call") else engine
    engine.start([(part, i) for i, part in enumerate(parts)])
    try:
        part_words = _build(model, engine, paths, len(parts), trim_rule)
        return _train(model, engine, parts, part_words, options, callbacks)
    finally:
        engine.close()


def _lost(results):
    lost = [r for r in results if isinstance(r, ReplicaLost)]
    if lost:
        raise RuntimeError(f"replica {lost[0].index} was lost outside training: {lost[0].cause!r}") \
            from lost[0].cause
    return results


def _build(model, engine, paths, replicas, trim_rule):
    """Count the parts where they are, add the counts in part order; build the vocabulary if not built.
    Returns each part's raw word count."""
    counts = _lost(engine.call("count", [(MAX_WORDS_IN_BATCH,)] * replicas))
    raw_vocab, total_words, sentences = shards.merge_counts(counts)
    if total_words == 0:
        raise ValueError(f"the shards hold no words ({len(paths)} file(s))")
    if not _built(model):
        model.build_vocab_from_freq(raw_vocab, corpus_count=sentences, trim_rule=trim_rule)
        model.corpus_total_words = total_words
        model.add_lifecycle_event("build_vocab", distributed=True, shards=len(paths), replicas=replicas)
        if not len(model.wv):
            raise ValueError(f"no word of the shards occurs min_count={model.min_count} times or more "
                             f"({total_words} words)")
    return [words for _, words, _ in counts]


def _train(model, engine, parts, part_words, options, callbacks):
    replicas, step, epochs = len(parts), options.step, options.epochs
    total_words = sum(part_words)
    model.epochs = epochs
    model.compute_loss = options.compute_loss
    stats = model.distributed_stats = Stats()
    model.loss_history = []
    arrays = arrays_of(model)
    base = arrays  # the driver's weights are the synchronised state itself
    shapes = {name: array.shape for name, array in arrays.items()}
    terms = None
    _lost(engine.call("load", [(engine.shared(_dumps(model)),)] * replicas))
    replaced = [0] * replicas
    alpha, min_alpha = model.alpha, model.min_alpha

    def alpha_at(epoch, fraction):
        progress = (epoch + min(fraction, 1.0)) / epochs
        return max(min_alpha, alpha - (alpha - min_alpha) * progress)

    merged = None  # the last round's merge, which the replicas apply at the start of the next
    fresh = set()  # replicas made from the synchronised state: nothing to apply
    # as in train(): Validation before the callbacks that read the record, EarlyStopping's stop honoured
    callbacks = EpochCallbacks(callbacks)
    model._stop_requested = None
    callbacks.on_train_begin(model)
    for epoch in range(epochs):
        callbacks.on_epoch_begin(model)
        positions = [shards.START] * replicas
        for i, result in enumerate(engine.call("start_epoch", [() for _ in range(replicas)])):
            if isinstance(result, ReplicaLost):  # lost between epochs: a new one starts the part afresh
                _replace(model, engine, parts, i, result, positions[i], replaced, epoch)
                stats.replaced += 1
                fresh.add(i)
        done_words, records, finished, read = 0, [], [False] * replicas, [0] * replicas
        rounds, full, flush, ahead = 0, False, False, 0
        overlap = options.overlap
        share = sync.own_share(options.rule, step, replicas)
        # the epoch ends on a round that sends every row; with overlap, on one that trains nothing too,
        # so that no replica trains on into the next epoch
        while not (all(finished) and full and (flush or not overlap)):
            start = time.perf_counter()
            flush = all(finished)  # the part is read everywhere: one more round, training nothing, sends every row
            # the epoch's last round (every part ends in it) sends every row: the epoch ends synchronised
            last = not overlap and all(f or part_words[i] - read[i] < options.sync_words
                                       for i, f in enumerate(finished))
            full = flush or last or (rounds + 1) % options.full_every == 0
            words = 0 if flush else options.sync_words
            # with overlap the round starting now follows the one in flight (the words started last call)
            begun = done_words + ahead
            a0 = alpha_at(epoch, begun / total_words) * step
            a1 = alpha_at(epoch, (begun + words * finished.count(False)) / total_words) * step
            ahead = words * finished.count(False) if overlap else 0
            shared = None if merged is None else engine.shared(merged)
            args = [(None if i in fresh else shared, words, a0, a1, options.compute_loss,
                     None if full else options.hot_rows, overlap, share) for i in range(replicas)]
            fresh = set()
            try:
                results = engine.call("step", args)
            except DivergenceError as exc:  # a replica's: its learning rate was the global one times step
                raise DivergenceError(f"{exc} On replicas: each trains at the learning rate times step={step:g} "
                                      f"(the rate named above is that product): lower the model's alpha or "
                                      f"step=.") from None
            deltas, slowest, slowest_sync = [], 0.0, 0.0
            for i, result in enumerate(results):
                if isinstance(result, ReplicaLost):
                    continue
                delta, record, raw, position, done, (seconds, syncing) = result
                slowest = max(slowest, seconds)
                slowest_sync = max(slowest_sync, syncing)
                deltas.append(delta)
                stats.bytes_up += sync.nbytes(delta)
                if record is not None:
                    records.append(record)
                    terms = terms or tuple(k for k in record if k not in ("epoch", "examples", "total"))
                done_words += raw
                read[i] += raw
                positions[i] = position
                finished[i] = finished[i] or done
            stats.train_seconds += slowest
            stats.replica_sync_seconds += slowest_sync
            merge_start = time.perf_counter()
            merged = sync.merge(deltas, shapes, options.rule, step) if deltas else None
            if merged is not None:
                sync.apply(arrays, base, merged)
                stats.bytes_down += sync.nbytes(merged) * replicas
            stats.merge_seconds += time.perf_counter() - merge_start
            for i, result in enumerate(results):
                if isinstance(result, ReplicaLost):
                    _replace(model, engine, parts, i, result, positions[i], replaced, epoch)
                    stats.replaced += 1
                    fresh.add(i)
                    full = False  # the replacement's part may not be finished: sync it fully again
            rounds += 1
            stats.rounds += 1
            stats.round_seconds += time.perf_counter() - start
        record = _sum_records(records, epoch, terms or ())
        model.loss_history.append(record)
        logger.info("EPOCH %i of %i replicas: %i examples, loss %s", epoch, replicas, record["examples"],
                    record["total"])
        try:
            callbacks.on_epoch_end(model)
        except StopTraining as stop:
            logger.info("training stopped after epoch %i of %i: %s", epoch, epochs - 1, stop)
            break
    callbacks.on_train_end(model)
    model._stop_requested = None
    model.train_count += 1
    beside = "the sync beside training" if options.overlap else "synchronous rounds"
    model.add_lifecycle_event("train", msg=f"trained on {replicas} replicas, {stats.rounds} rounds of "
                                           f"{options.sync_words} words, rule {options.rule}, step x{step:g}, "
                                           f"{beside}")
    if model.loss_history and model.loss_history[-1]["total"] is not None:
        model.running_training_loss = sum(r["total"] for r in model.loss_history)
    return model


def _replace(model, engine, parts, i, lost, position, replaced, epoch):
    """A new replica ``i`` from the synchronised state, reading its part from ``position`` (where its last
    finished round left it). What it had not sent yet (rare words' changes since the last full sync) is
    lost with it; its examples were counted once, in the rounds it finished."""
    replaced[i] += 1
    if replaced[i] > MAX_REPLACEMENTS:
        raise RuntimeError(f"replica {i} was lost {replaced[i]} times in this run; the last cause: "
                           f"{lost.cause!r}") from lost.cause
    logger.warning("replica %i was lost in epoch %i (%r): replacing it from the last synchronised state, "
                   "resuming its part at %s", i, epoch, lost.cause, position)
    engine.replace(i, (parts[i], i))
    _lost(engine.call("load", [(_dumps(model), position)], indices=[i]))
