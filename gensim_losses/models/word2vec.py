"""gensim's Word2Vec, trained through this package's kernels, with exact loss records.

What is Word2Vec's own: its parameters, and its input rows (one word vector
in skip-gram, the window's in CBOW). The loss glue is :mod:`gensim_losses.models.base`,
the training engine :mod:`gensim_losses.training.engine`, saving :mod:`gensim_losses.models.persistence`.
"""

import warnings

from gensim.models import word2vec as gensim_word2vec
from gensim.models.word2vec import MAX_WORDS_IN_BATCH

from gensim_losses.models.base import LossModel, TextCorpus
from gensim_losses.models.persistence import Saving
from gensim_losses.training.engine import KernelTraining
from gensim_losses.training.settings import check_settings


class Word2Vec(LossModel, TextCorpus, KernelTraining, Saving, gensim_word2vec.Word2Vec):
    """gensim's :class:`~gensim.models.word2vec.Word2Vec`, trained by gensim_losses kernels.

    Every parameter keeps gensim's name and meaning; see
    :class:`gensim.models.word2vec.Word2Vec`. The parameters below are added
    or changed.

    Parameters
    ----------
    loss : gensim_losses.BaseLoss, optional
        The training loss (see docs/losses.md). Its objectives set ``hs``
        and ``negative``; an explicit ``hs``/``negative``/``ns_exponent``
        that contradicts it raises ValueError. None: gensim's behaviour from
        ``hs``/``negative``. Public as ``model.loss``: a loss assigned between
        ``train()`` calls takes effect at the next one.
    backend : {'auto', 'reference'}, optional
        'auto': built-in terms in the kernels; terms written in Python traced
        into programs the kernels run at every example (the hybrid path; a
        term that does not trace is called in Python per example).
        'reference': pure numpy, one example at a time, any loss; exact and
        slow. All three train the same model (docs/losses.md).
    compute_loss : bool, optional
        On by default here (it costs little: see docs/benchmarks.md). The loss
        of every training example is summed in float64 per job and merged
        under a lock, so ``get_latest_training_loss()`` is exact and does not
        saturate.
    size : int, optional
        gensim 3's name of ``vector_size``; deprecated.
    shared_negatives : bool, optional
        Negative sampling only. Skip-gram: one draw of ``negative`` negatives
        per centre word serves every context word of its window, and the
        window's updates are computed from one snapshot of its rows
        (HogBatch's estimator). CBOW: one draw serves 5 positions,
        ``2 * window + 1`` apart (so their windows do not overlap), each
        trained in turn as usual. Faster; see docs/losses.md for what it
        changes.

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

    Numeric settings that gensim takes silently (a NaN or negative ``alpha``,
    ``workers=0``, ...) raise ``ValueError`` naming them; weights too large for
    the machine's memory raise ``MemoryError`` from ``build_vocab``, saying
    what they need, before they are allocated (:meth:`check_memory`).

    A model that diverges (too large a learning rate) raises
    :class:`~gensim_losses.DivergenceError` from ``train()`` at the first
    NaN or infinite score, with every vector still finite.
    :meth:`to_gensim` gives a stock gensim model for deployments without
    this package, :meth:`from_gensim` (and ``load`` of a stock model) one of
    this class; ``save`` is all or nothing, even under ``kill -9``.
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
        check_settings(alpha=alpha, min_alpha=min_alpha, vector_size=vector_size, window=window, epochs=epochs,
                       min_count=min_count, workers=workers, batch_words=batch_words, negative=negative,
                       sample=sample, ns_exponent=ns_exponent, seed=seed)
        hs, negative, ns_exponent = self._set_loss(loss, backend, shared_negatives, hs, negative, ns_exponent)
        super().__init__(
            vector_size=vector_size, alpha=alpha, window=window, min_count=min_count,
            max_vocab_size=max_vocab_size, sample=sample, seed=seed, workers=workers, min_alpha=min_alpha, sg=sg,
            hs=hs, negative=negative,
            ns_exponent=ns_exponent, cbow_mean=cbow_mean, hashfxn=hashfxn, epochs=epochs, null_word=null_word,
            sorted_vocab=sorted_vocab, batch_words=batch_words, compute_loss=compute_loss, comment=comment,
            max_final_vocab=max_final_vocab, shrink_windows=shrink_windows,
        )
        self._build_and_train(sentences, corpus_file, trim_rule, callbacks)

    def _kernel_inputs(self):
        return {"words": (self.wv.vectors, self.wv.vectors_lockf)}
