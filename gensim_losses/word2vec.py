"""gensim's Word2Vec, trained through this package's kernels, with exact loss records.

The glue between gensim's Word2Vec and the engine: the ``loss=`` and
``backend=`` parameters, the settings and output layers a loss needs. The
training threads, the job paths and the loss records live in
:mod:`gensim_losses.engine`; saving and copying in :mod:`gensim_losses.persistence`.
"""

import logging
import warnings
from collections import defaultdict

import numpy as np
from gensim import utils
from gensim.models import word2vec as gensim_word2vec
from gensim.models.word2vec import MAX_WORDS_IN_BATCH

from gensim_losses import corpus, vocab
from gensim_losses import losses as L
from gensim_losses.engine import KernelTraining, check_shared
from gensim_losses.persistence import Saving
from gensim_losses.plan import split

logger = logging.getLogger(__name__)

BACKENDS = ("auto", "reference")


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


class Word2Vec(KernelTraining, Saving, gensim_word2vec.Word2Vec):
    """gensim's :class:`~gensim.models.word2vec.Word2Vec`, trained by gensim_losses kernels.

    Every parameter keeps gensim's name and meaning; see
    :class:`gensim.models.word2vec.Word2Vec`. Differences:

    loss : gensim_losses.BaseLoss, optional
        The training loss (see docs/losses.md). Its objectives set ``hs``
        and ``negative``; an explicit ``hs``/``negative``/``ns_exponent``
        that contradicts it raises ValueError. None: gensim's behaviour from
        ``hs``/``negative``. Public as ``model.loss``: a loss assigned between
        ``train()`` calls takes effect at the next one.
    backend : {'auto', 'reference'}, optional
        'auto': built-in terms in the kernels, terms written in Python once per
        job (the hybrid path). 'reference': pure numpy, one example at a time,
        any loss; exact and slow.
    compute_loss : bool, optional
        On by default here (it costs little: see docs/benchmarks.md). The loss
        of every training example is summed in float64 per job and merged
        under a lock, so ``get_latest_training_loss()`` is exact and does not
        saturate.
    size : int, optional
        gensim 3's name of ``vector_size``; deprecated.
    shared_negatives : bool, optional
        Skip-gram negative sampling only: one draw of ``negative`` negatives
        per centre word serves every context word of its window, and the
        window's updates are computed from one snapshot of its rows
        (HogBatch's estimator). Faster; see docs/losses.md for what it changes.

    Attributes
    ----------
    loss_history : list of dict
        One record per finished epoch of the last ``train()`` call:
        ``epoch`` (0-based, like gensim's logs), ``total`` (sum of the
        epoch's example losses), ``examples`` ((word, context) pairs in
        skip-gram, centre positions in CBOW) and one key per term (``ns``,
        ``hs``). With ``compute_loss=False`` the loss values are ``None``.

    Notes
    -----
    Scores far from zero: the kernels evaluate the sigmoid and the loss on the
    whole real line (gensim clips scores to [-6, 6]). Every term is counted in
    the loss; its gradient is applied unless ``|label - sigmoid(score)| <
    0.0024726`` (``sigmoid(-6)``). So a score on the right side beyond about
    ±6 is skipped, as gensim skips it, while a score on the wrong side, which
    gensim also skips, gets its full gradient, as in word2vec.c. See
    docs/losses.md for what the skip changes.

    With ``hs=1`` and ``negative > 0`` both objectives add their gradients
    before the input vector is updated once.

    A model that diverges (too large a learning rate) raises
    :class:`~gensim_losses.DivergenceError` from ``train()`` at the first
    NaN or infinite score, with every vector still finite.
    :meth:`to_gensim` gives a stock gensim model for deployments without
    this package; ``save`` writes atomically.
    """

    def __init__(
            self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025, window=5, min_count=5,
            max_vocab_size=None, sample=1e-3, seed=1, workers=3, min_alpha=0.0001,
            sg=0, hs=None, negative=None, ns_exponent=None, cbow_mean=1, hashfxn=hash, epochs=5, null_word=0,
            trim_rule=None, sorted_vocab=1, batch_words=MAX_WORDS_IN_BATCH, compute_loss=True, callbacks=(),
            comment=None, max_final_vocab=None, shrink_windows=True, loss=None, backend="auto", size=None,
            shared_negatives=False,
    ):
        if size is not None:
            if vector_size != 100:
                raise TypeError("give vector_size or its deprecated alias size, not both")
            warnings.warn("size= is gensim 3's name: use vector_size=", DeprecationWarning, stacklevel=2)
            vector_size = size
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        hs, negative, ns_exponent = _settings_for(loss, hs, negative, ns_exponent)
        if shared_negatives:  # refused now rather than at the first train()
            if loss is not None:
                terms = split(loss)[0].weights
            else:
                terms = {t for t, on in (("ns", negative), ("hs", hs)) if on}
            check_shared(sg, terms)
        self.loss = loss
        self.backend = backend
        self.shared_negatives = bool(shared_negatives)
        self.loss_history = []
        self._run = None
        self._listeners = []
        super().__init__(
            sentences=sentences, corpus_file=corpus_file, vector_size=vector_size, alpha=alpha,
            window=window, min_count=min_count, max_vocab_size=max_vocab_size, sample=sample, seed=seed,
            workers=workers, min_alpha=min_alpha, sg=sg, hs=hs, negative=negative, ns_exponent=ns_exponent,
            cbow_mean=cbow_mean, hashfxn=hashfxn, epochs=epochs, null_word=null_word, trim_rule=trim_rule,
            sorted_vocab=sorted_vocab, batch_words=batch_words, compute_loss=compute_loss,
            callbacks=callbacks, comment=comment, max_final_vocab=max_final_vocab,
            shrink_windows=shrink_windows,
        )

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

    def init_weights(self):
        super().init_weights()
        if self._softmax():
            self.syn1softmax = np.zeros((len(self.wv), self.layer1_size), dtype=np.float32)

    def update_weights(self):
        gained = len(self.wv) - len(self.wv.vectors)
        super().update_weights()
        if self._softmax() and getattr(self, "syn1softmax", None) is not None:
            pad = np.zeros((gained, self.layer1_size), dtype=np.float32)
            self.syn1softmax = np.vstack([self.syn1softmax, pad])

    def _get_thread_working_mem(self):
        work, neu1 = super()._get_thread_working_mem()
        scores = np.zeros(len(self.wv) if self._softmax() else 0, dtype=np.float32)
        return work, neu1, scores

    # ------------------------------------------------------------------ corpus items
    def scan_vocab(self, corpus_iterable=None, corpus_file=None, progress_per=10000, workers=None, trim_rule=None):
        """gensim's scan; a plain text file (``corpus_file``, ``LineSentence``,
        ``PathLineSentences``) is counted in C, without the GIL, by ``workers``
        threads (default: the model's), with the same result (see :mod:`gensim_losses.vocab`)."""
        source = vocab.text_files(corpus_iterable, corpus_file)
        if source is None or self.max_vocab_size:  # gensim prunes as it goes: keep its scan
            return super().scan_vocab(corpus_iterable=corpus_iterable, corpus_file=corpus_file,
                                      progress_per=progress_per, workers=workers, trim_rule=trim_rule)
        logger.info("collecting all words and their counts, in C")
        self.raw_vocab, total_words, corpus_count = vocab.scan(*source, workers or self.workers)
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

