"""The loss of a held-out corpus, every weight frozen: ``model.evaluate_loss(corpus)``.

It runs the training kernels on the corpus as ``train()`` would, with the
model's loss and settings (subsampling, window draws, negative samples, every
term, ``Sentence`` weights and context), except that nothing learns: every
input row's update factor is 0 and the output layers are read only, so the
kernels count each example's loss and write no weight (the same mechanism
that holds the words fixed in ``infer_vector``); and the objectives compute
no step at all (``frozen``), which is what makes it cheaper than training.

Deterministic: the random draws come from a stream seeded by ``seed`` alone
(not the model's own, which is left as it was), one seed per job in corpus
order, and the jobs' losses are added in that order, whatever the number of
threads. Hierarchical and full softmax are exact; negative sampling's figure
is an estimate from those fixed draws.

Why it is cheaper than training: a frozen example costs its dot products
only, but those are what training spends its time on (each reads output rows
that are rarely in cache; the updates then hit rows already loaded). So for
Word2Vec's negative sampling it draws the negatives once per window
(skip-gram) or per few CBOW positions, as ``shared_negatives=True`` trains:
the rows are read once for the window. Each example's negatives are still
draws from the noise distribution, so the expected loss is the one training
counts; docs/steering.md gives the measured difference and cost. FastText,
Doc2Vec and losses with other objectives draw per example.
"""

import functools
import os
from concurrent.futures import ThreadPoolExecutor
from queue import Queue

import numpy as np

from gensim_losses import kernels
from gensim_losses.text.files import first_lines
from gensim_losses.training.engine import TrainingRun, _describe, batches, check_document_lines, nonfinite_rows


def frozen_inputs(model):
    """The model's input rows (``_kernel_inputs()``), each with an update factor of 0."""
    zero = np.zeros(1, dtype=np.float32)
    inputs = {}
    for name, (rows, _, *rest) in model._kernel_inputs().items():
        inputs[name] = (rows, zero, *rest)
    return inputs


def _job_seeds(seed):
    rng = np.random.default_rng([int(seed), 0x4E1D])  # a stream of its own: not the model's, not training's
    while True:
        yield int(rng.integers(0, 2 ** 48))


def evaluate_loss(model, corpus_iterable=None, corpus_file=None, seed=None, workers=None, share=True):
    """See :meth:`gensim_losses.models.base.LossModel.evaluate_loss`; ``share=False`` draws every example's
    negatives on its own (the estimate ``share=True`` is measured against)."""
    if (corpus_iterable is None) == (corpus_file is None):
        raise TypeError("evaluate_loss takes one corpus: corpus_iterable or corpus_file")
    if not len(model.wv.index_to_key):
        raise RuntimeError("evaluate_loss needs a model with a vocabulary: build_vocab() and train() first")
    if isinstance(corpus_iterable, str):
        raise TypeError("corpus_iterable is a str: pass a path as corpus_file=, or an iterable of token lists")
    bad = nonfinite_rows(model)
    if bad:
        raise ValueError(f"the model holds NaN or infinite weights ({_describe(bad)}): its loss is not defined")
    seed = model.seed if seed is None else seed
    workers = max(1, int(model.workers if workers is None else workers))
    model._follow_loss()
    run = TrainingRun(model, True, inputs=frozen_inputs(model), learn_hidden=False, reference=False, frozen=True,
                      shared="auto" if share else False)
    run.start_epoch(None)
    alpha = float(model.alpha)  # scales the steps the kernels compute and nothing applies
    seeds = _job_seeds(seed)
    if corpus_file is not None:
        jobs = _file_jobs(model, run, os.fspath(corpus_file), seeds)
    else:
        jobs = _iterable_jobs(model, run, corpus_iterable, seeds)
    mems = Queue()
    for _ in range(workers):
        mems.put(model._get_thread_working_mem())

    def evaluate(make):
        mem = mems.get()
        try:
            return model._run_job(run, make(), alpha, mem)
        finally:
            mems.put(mem)

    with ThreadPoolExecutor(workers, thread_name_prefix="gensim_losses.evaluate_loss") as pool:
        pending = []
        for make in jobs:
            pending.append(pool.submit(evaluate, make))
            if len(pending) >= 2 * workers:  # bounded: the corpus is read as the jobs are evaluated
                run.add(*pending.pop(0).result())
        for future in pending:
            run.add(*future.result())
    return run.record(None)


def _iterable_jobs(model, run, corpus, seeds):
    """Makers of the jobs of ``corpus``, cut as training cuts it, each with the next seed (drawn here, in
    corpus order; the job itself is made on the thread that evaluates it)."""
    for batch, first, _ in batches(corpus, model.batch_words, model._raw_word_count):
        yield functools.partial(kernels.prepare_batch, run.kernel, batch, next(seeds), first)


def _file_jobs(model, run, path, seeds):
    """Jobs read from the whole of ``path`` in order, by one reader (each job made when it is asked for)."""
    if "global_context" in run.plan.weights:
        raise ValueError("GlobalContextLoss reads each Sentence's context, which a corpus_file (plain lines) "
                         "cannot carry: evaluate a corpus_iterable of gensim_losses.Sentence items")
    first = -1
    if run.kind == "doc2vec":  # line n is document n, as in training
        _, lines = first_lines(path, [(0, 0)])
        check_document_lines(path, lines, run.kernel, advice=(
            "For held-out documents give TaggedDocuments with tags the model does not have (their word terms "
            "are counted)"))
        first = 0
    reader = kernels.LineReader(path, 0, os.path.getsize(path), kernels.TokenIndex(model.wv.index_to_key), first)
    while True:
        job = reader.fill(run.kernel, model.batch_words, next(seeds))
        if job is None:
            return
        yield functools.partial(_identity, job)


def _identity(job):
    return job
