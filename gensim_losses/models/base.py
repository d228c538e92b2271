"""The glue every model class shares: losses on a gensim model.

:class:`LossModel` holds what ``loss=``, ``backend=`` and
``shared_negatives=`` add to a gensim Word2Vec-family model: the settings a
loss implies (``hs``, ``negative``, ``ns_exponent``), the output layers it
needs, and gensim's construct-then-train step. :class:`TextCorpus` adds what
corpora of token lists get (``Sentence`` items, the vocabulary scan in C);
Doc2Vec's ``TaggedDocument`` corpora keep gensim's scan.

Each model class (``Word2Vec``, ``FastText``, ``Doc2Vec``) combines these
with :class:`~gensim_losses.training.engine.KernelTraining` and
:class:`~gensim_losses.models.persistence.Saving`, and says in two hooks what is
its own: ``_kernel_kind`` and ``_kernel_inputs()``, the rows whose sum forms
an example's h.
"""

import logging
import os
from collections import defaultdict

import numpy as np
from gensim import utils
from gensim.models import word2vec as gensim_word2vec

from gensim_losses.losses import loss as L
from gensim_losses.losses.plan import split
from gensim_losses.text import corpus
from gensim_losses.text.vocab import cum_table
from gensim_losses.training import heldout, scan
from gensim_losses.training.engine import check_shared
from gensim_losses.training.settings import C_INT_MAX

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "reference")
def _available_memory():
    """Bytes of memory and swap on this machine, or None where it cannot be read."""
    try:
        with open("/proc/meminfo") as fh:
            fields = dict(line.split(":", 1) for line in fh)
        return sum(int(fields[k].split()[0]) * 1024 for k in ("MemTotal", "SwapTotal") if k in fields)
    except (OSError, ValueError, KeyError):
        try:
            return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        except (ValueError, OSError, AttributeError):
            return None


def _gb(n):
    return f"{n / 1e9:,.3g} GB" if n < 1e12 else f"{n / 1e9:,.0f} GB"


def _settings_for(loss, hs, negative, ns_exponent):
    """gensim's ``hs``/``negative``/``ns_exponent`` for a loss; None means not given."""
    if loss is None:
        return (0 if hs is None else hs, 5 if negative is None else negative,
                0.75 if ns_exponent is None else ns_exponent)
    plan, _ = split(loss)
    kinds = {type(obj): obj for obj in plan.objectives}
    ns = kinds.get(L.NEGSamplingLoss)
    if ns is not None:
        if negative is not None and (negative == 0 or (ns.negative is not None and ns.negative != negative)):
            raise ValueError(f"negative={negative} contradicts the loss's NEGSamplingLoss(negative="
                             f"{ns.negative}): give the number of negatives in one place")
        if ns_exponent is not None and ns.ns_exponent is not None and ns.ns_exponent != ns_exponent:
            raise ValueError(f"ns_exponent={ns_exponent} contradicts the loss's NEGSamplingLoss(ns_exponent="
                             f"{ns.ns_exponent})")
        negative = ns.negative or negative or 5
        ns_exponent = ns.ns_exponent if ns.ns_exponent is not None else ns_exponent
    elif negative:
        raise ValueError(f"negative={negative} contradicts the loss, which has no NEGSamplingLoss")
    else:
        negative = 0
    has_hs = L.HierarchicalSoftmaxLoss in kinds
    if hs is not None and bool(hs) != has_hs:
        raise ValueError(f"hs={hs} contradicts the loss, which "
                         f"{'has' if has_hs else 'has no'} HierarchicalSoftmaxLoss")
    return int(has_hs), negative, 0.75 if ns_exponent is None else ns_exponent


class LossModel:
    """``loss=``, ``backend=`` and ``shared_negatives=`` on a gensim model (a mixin)."""

    _kernel_kind = "word2vec"

    def _kernel_inputs(self):
        """``{"words": (vectors, lockf), ...}``: the input rows the kernels form h from (see KernelModel)."""
        raise NotImplementedError

    def evaluate_loss(self, corpus_iterable=None, corpus_file=None, seed=None, workers=None):
        r"""The loss of a held-out corpus under the model's loss, every weight frozen.

        The kernels read the corpus as ``train()`` would (the same loss terms,
        subsampling, windows, negative draws, ``Sentence`` weights and
        context) and count every example's loss, writing no weight: every
        array of the model stays as it was, to the bit, and so does its random
        state. For a record of one epoch's examples ``E`` it gives

        .. math::

            \mathcal{L}_{\text{held-out}} = \sum_{e \in E} w_e \sum_t \lambda_t\, \ell_t(h_e, y_e)

        (``w_e`` the sentence weight, ``λ_t`` each term's weight), the sum
        ``loss_history`` reports for training, at fixed weights. Word2Vec's
        negative sampling draws the negatives once per window, as
        ``shared_negatives=True`` does (the same expected loss, at a third of
        the cost: see "Steering training" in the docs).

        Parameters
        ----------
        corpus_iterable : iterable of list of str or Sentence or TaggedDocument, optional
        corpus_file : str or path, optional
            One of the two, as in ``train()``. Doc2Vec: a document's tags
            that the model has use their vectors, others are skipped (a
            ``corpus_file``'s line ``n`` is document ``n``, as in training).
        seed : int, optional
            Seeds the draws (subsampling, window sizes, negatives); default
            the model's ``seed``. The same seed gives the same record, with any
            number of ``workers``.
        workers : int, optional
            Threads; default the model's ``workers``.

        Returns
        -------
        dict
            Shaped like a ``loss_history`` entry: ``epoch`` (None),
            ``examples``, ``total`` and one key per loss term. A corpus with no
            word of the vocabulary gives 0 examples and a total of 0.0.
        """
        return heldout.evaluate_loss(self, corpus_iterable=corpus_iterable, corpus_file=corpus_file, seed=seed,
                             workers=workers)

    def _set_loss(self, loss, backend, shared_negatives, hs, negative, ns_exponent):
        """Check and keep the loss settings; return the ``hs, negative, ns_exponent`` they imply."""
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        hs, negative, ns_exponent = _settings_for(loss, hs, negative, ns_exponent)
        if shared_negatives:  # refused now rather than at the first train()
            if loss is not None:
                terms = split(loss)[0].weights
            else:
                terms = {t for t, on in (("ns", negative), ("hs", hs)) if on}
            check_shared(terms)
        self.loss = loss
        self.backend = backend
        self.shared_negatives = bool(shared_negatives)
        self.loss_history = []
        self._run = None
        self._listeners = []
        return hs, negative, ns_exponent

    def _build_and_train(self, corpus_iterable, corpus_file, trim_rule, callbacks):
        """gensim's constructor step: given a corpus, build the vocabulary and train on it.

        The model classes run gensim's constructor without the corpus and call
        this once their own settings are in place (gensim's would train before
        them: FastText's without a loss tally, for one).
        """
        if self.shared_negatives:  # what only the model's mode can tell, refused before any training
            check_shared(self._loss_terms(), self)
        if corpus_iterable is None and corpus_file is None:
            return
        self._check_corpus_sanity(corpus_iterable=corpus_iterable, corpus_file=corpus_file, passes=self.epochs + 1)
        self.build_vocab(corpus_iterable=corpus_iterable, corpus_file=corpus_file, trim_rule=trim_rule)
        self.train(corpus_iterable=corpus_iterable, corpus_file=corpus_file, total_examples=self.corpus_count,
                   total_words=self.corpus_total_words, epochs=self.epochs, start_alpha=self.alpha,
                   end_alpha=self.min_alpha, compute_loss=self.compute_loss, callbacks=callbacks)

    def _loss_terms(self):
        """The kernel terms of the loss (without one, of ``hs`` and ``negative``)."""
        if getattr(self, "loss", None) is not None:
            return set(split(self.loss)[0].weights)
        return {t for t, on in (("ns", self.negative), ("hs", self.hs)) if on}

    def _follow_loss(self):
        """Give the model what ``self.loss`` needs (it may have been assigned since
        the last ``train()``): the objectives' hs/negative and output layers."""
        loss = getattr(self, "loss", None)
        if loss is None or not len(self.wv.index_to_key):
            return
        self.hs, self.negative, exponent = _settings_for(loss, None, None, None)
        ns = [obj for obj in split(loss)[0].objectives if isinstance(obj, L.NEGSamplingLoss)]
        if ns and ns[0].ns_exponent is not None and exponent != self.ns_exponent:
            self.ns_exponent, self.cum_table = exponent, None  # rebuilt below
        vocab, size = len(self.wv.index_to_key), self.layer1_size
        if self.hs and "code" not in self.wv.expandos:
            self.create_binary_tree()
        for name, needed in (("syn1", self.hs), ("syn1neg", self.negative), ("syn1softmax", self._softmax())):
            if needed and getattr(self, name, None) is None:
                setattr(self, name, np.zeros((vocab, size), dtype=np.float32))
        if self.negative and (self.cum_table is None or len(self.cum_table) != vocab):
            self.make_cum_table()

    def _check_training_sanity(self, *args, **kwargs):
        if getattr(self, "loss", None) is None:
            return super()._check_training_sanity(*args, **kwargs)
        # With a loss, its plan checks the objectives: a full-softmax model has
        # neither hs nor negative, and ns + hs together is intended, not the
        # mistake gensim warns of. Its other checks still apply.
        settings = self.hs, self.negative
        self.hs, self.negative = 0, 1
        try:
            return super()._check_training_sanity(*args, **kwargs)
        finally:
            self.hs, self.negative = settings

    def _softmax(self):
        loss = getattr(self, "loss", None)
        return loss is not None and any(type(m) is L.SoftmaxLoss for m in loss.modules())

    def weight_arrays(self):
        """``[(name, rows, width)]`` of the float32 weight arrays the model holds (or will,
        once ``build_vocab`` has set them up): the input rows ``vector_size`` wide, the
        output layers ``layer1_size`` wide (wider with Doc2Vec's ``dm_concat``)."""
        words, size = len(self.wv.index_to_key), self.vector_size
        out = getattr(self, "layer1_size", size)
        arrays = [("wv.vectors", words, size)]
        bucket = getattr(self.wv, "bucket", 0)  # FastText: the word rows, and the n-gram buckets
        if bucket:
            arrays += [("wv.vectors_vocab", words, size), ("wv.vectors_ngrams", bucket, size)]
        if getattr(self, "dv", None) is not None:
            arrays.append(("dv.vectors", len(self.dv), size))
        for name, needed in (("syn1", self.hs), ("syn1neg", self.negative), ("syn1softmax", self._softmax())):
            if needed:
                arrays.append((name, words, out))
        return arrays

    def check_memory(self):
        """Refuse weights larger than this machine's memory and swap together, with a
        ``MemoryError`` saying how much they need, before they are allocated
        (numpy's own error is a traceback, or the allocation succeeds and the
        system kills the process while gensim fills the vectors); and a
        ``vector_size`` beyond the kernels' C ints, with a ``ValueError``.
        Returns the bytes the weights need."""
        arrays, size = self.weight_arrays(), self.vector_size
        needed = sum(n * width for _, n, width in arrays) * 4
        parts = " + ".join(f"{n} ({name}{'' if width == size else f', {width} wide'})"
                           for name, n, width in arrays if n)
        need = (f"the model's weights would need {_gb(needed)} ({parts} rows x vector_size={size} x "
                f"4 bytes of float32)")
        available = _available_memory()
        if available is not None and needed > available:
            lower = "bucket, " if getattr(self.wv, "bucket", 0) else ""
            raise MemoryError(f"{need}, and this machine has {_gb(available)} of memory and swap: lower "
                              f"vector_size, {lower}or the vocabulary (min_count, max_final_vocab)")
        if max(width for _, _, width in arrays) > C_INT_MAX:
            raise ValueError(f"vector_size={size}: the kernels take at most {C_INT_MAX} dimensions "
                             f"({need})")
        return needed

    def init_weights(self):
        """gensim's initial weights, plus the full-softmax output layer when the loss has one
        (refused first, by :meth:`check_memory`, when they cannot fit in memory)."""
        self.check_memory()
        super().init_weights()
        if self._softmax():
            self.syn1softmax = np.zeros((len(self.wv), self.layer1_size), dtype=np.float32)

    def update_weights(self):
        """gensim's weights for words added by ``build_vocab(update=True)``, the softmax layer's rows, and
        a per-word lockf's factors (1: the new words learn; gensim leaves it short, so its factors wrap)."""
        self.check_memory()
        before = len(self.wv.vectors)
        gained = len(self.wv) - before
        super().update_weights()
        if self._softmax() and getattr(self, "syn1softmax", None) is not None:
            pad = np.zeros((gained, self.layer1_size), dtype=np.float32)
            self.syn1softmax = np.vstack([self.syn1softmax, pad])
        for name in ("vectors_lockf", "vectors_vocab_lockf"):  # Word2Vec's and Doc2Vec's, FastText's
            lockf = getattr(self.wv, name, None)
            if lockf is not None and before > 1 and np.size(lockf) == before and gained > 0:
                setattr(self.wv, name, np.concatenate([lockf, np.ones(gained, dtype=lockf.dtype)]))

    def make_cum_table(self, domain=2**31 - 1):
        """gensim's negative-sampling table (the same values), without its Python loop over the vocabulary."""
        size = len(self.wv.index_to_key)
        counts = self.wv.expandos["count"][:size] if size else []
        self.cum_table = cum_table(counts, self.ns_exponent, domain)

    def _get_thread_working_mem(self):
        work, neu1 = super()._get_thread_working_mem()
        scores = np.zeros(len(self.wv) if self._softmax() else 0, dtype=np.float32)
        return work, neu1, scores


class TextCorpus:
    """Corpora of token lists: ``Sentence`` items, and plain text files counted in C (a mixin)."""

    def scan_vocab(self, corpus_iterable=None, corpus_file=None, progress_per=10000, workers=None, trim_rule=None):
        """gensim's scan; a plain text file (``corpus_file``, ``LineSentence``,
        ``PathLineSentences``) is counted in C, without the GIL, by ``workers``
        threads (default: the model's), with the same result (see :mod:`gensim_losses.training.scan`)."""
        source = scan.text_files(corpus_iterable, corpus_file)
        if source is None or self.max_vocab_size:  # gensim prunes as it goes: keep its scan
            return super().scan_vocab(corpus_iterable=corpus_iterable, corpus_file=corpus_file,
                                      progress_per=progress_per, workers=workers, trim_rule=trim_rule)
        logger.info("collecting all words and their counts, in C")
        self.raw_vocab, total_words, corpus_count = scan.scan(*source, workers or self.workers)
        logger.info("collected %i word types from a corpus of %i raw words and %i sentences",
                    len(self.raw_vocab), total_words, corpus_count)
        return total_words, corpus_count

    def _raw_word_count(self, job):
        return corpus.raw_word_count(job)

    def _scan_vocab(self, sentences, progress_per, trim_rule):
        """gensim's vocabulary scan, reading :class:`~gensim_losses.Sentence` items too:
        their words and their context words are counted (context words need
        output vectors), ``corpus_total_words`` counts the words only, and a
        bad weight or context is reported with the item's index."""
        vocab = defaultdict(int)
        total_words, min_reduce, count = 0, 1, 0
        for count, item in enumerate(sentences, start=1):
            if count == 1 and isinstance(item, str):
                gensim_word2vec.logger.warning(
                    "Each 'sentences' item should be a list of words (usually unicode strings). "
                    "First item here is instead plain %s.", type(item))
            if (count - 1) % progress_per == 0:
                logger.info("PROGRESS: at sentence #%i, processed %i words, keeping %i word types",
                            count - 1, total_words, len(vocab))
            words, _, context = corpus.parts(item, count - 1)
            for word in words:
                vocab[word] += 1
            for word in context:
                vocab[word] += 1
            total_words += len(words)
            if self.max_vocab_size and len(vocab) > self.max_vocab_size:
                utils.prune_vocab(vocab, min_reduce, trim_rule=trim_rule)
                min_reduce += 1
        self.raw_vocab = vocab
        return total_words, count
