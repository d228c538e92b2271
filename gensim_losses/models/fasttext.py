"""gensim's FastText, trained through this package's kernels, with exact loss records.

What is FastText's own: a word's input rows are its vector and its character
n-gram buckets' vectors. h and where its error goes, per mode:

* skip-gram: the centre word predicts each context word from
  ``h = (v_w + Σ_g z_g) / G``, ``G`` the word's number of n-gram buckets (gensim
  divides by ``G``, not ``G + 1``; a word without buckets has ``h = v_w``);
  the error of h goes whole to the word row and to every bucket row;
* CBOW: ``h`` is the mean (``cbow_mean=1``) or sum of all the rows of the
  window's words, word rows and bucket rows alike; each row takes the error
  of h (the mean) or its share (the sum).

Everything else (the engine, the loss terms, saving) is shared with
:class:`~gensim_losses.Word2Vec`.
"""

import weakref

import numpy as np
from gensim.models import fasttext as gensim_fasttext
from gensim.models.word2vec import MAX_WORDS_IN_BATCH

from gensim_losses import kernels
from gensim_losses.models.base import LossModel, TextCorpus
from gensim_losses.models.persistence import Saving
from gensim_losses.training.engine import KernelTraining
from gensim_losses.training.settings import check_settings

_TABLES = weakref.WeakKeyDictionary()  # wv -> (its buckets_word, the table made from it)


def bucket_table(wv):
    """``(starts, ids)``: word ``w``'s n-gram buckets are ``ids[starts[w]:starts[w + 1]]`` (CSR).

    Made once per vocabulary: a ``train()`` asks for it at its start, at every epoch's check of the
    weights and when it composes the word vectors at its end, and gensim gives ``wv.buckets_word`` a
    new list whenever the vocabulary or the buckets change."""
    buckets = wv.buckets_word
    if buckets is None or len(buckets) != len(wv.index_to_key):
        wv.recalc_char_ngram_buckets()
        buckets = wv.buckets_word
    made = _TABLES.get(wv)
    if made is not None and made[0] is buckets:
        return made[1]
    table = _csr(buckets)
    _TABLES[wv] = (buckets, table)
    return table


def _csr(buckets):
    lengths = np.fromiter((len(b) for b in buckets), dtype=np.int64, count=len(buckets))
    starts = np.zeros(len(buckets) + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    ids = np.concatenate(buckets).astype(np.uint32, copy=False) if len(buckets) else np.zeros(0, np.uint32)
    return starts, ids


class FastText(LossModel, TextCorpus, KernelTraining, Saving, gensim_fasttext.FastText):
    """gensim's :class:`~gensim.models.fasttext.FastText`, trained by gensim_losses kernels.

    Every parameter keeps gensim's name and meaning; see
    :class:`gensim.models.fasttext.FastText`. What this class adds is what
    :class:`gensim_losses.Word2Vec` adds: ``loss``, ``backend``,
    ``compute_loss`` on by default, ``loss_history``, divergence errors and
    atomic saves. ``hs``, ``negative`` and ``ns_exponent`` default to the
    loss's settings (without a loss: gensim's 0, 5 and 0.75).

    What a loss term sees in FastText (module docstring): ``output`` is h, the
    word's composite vector in skip-gram (the centre word's row plus its
    n-gram rows, over their count) or the window's mean in CBOW; the
    gradient of every term goes to the word row and every bucket row that
    formed h. The Python contract's ``batch.inputs(e)`` gives the word ids
    among those rows (the centre word in skip-gram, the window in CBOW),
    never bucket ids. ``AnchorPenalty`` pulls each word row among the rows
    of h (the centre word's in skip-gram, the window's words in CBOW) toward
    its reference, never a bucket row.

    ``wv.vectors`` (the composite vectors of the vocabulary) is recomputed in
    C after training, in place.

    Parameters
    ----------
    shared_negatives : bool, optional
        Negative sampling only. Skip-gram: the centre word's h (its row and
        n-gram rows, formed once) predicts every context word of its window
        with one draw of ``negative`` negatives, from one snapshot of the
        rows; its error goes to the n-gram rows once per window instead of
        once per context word. A negative equal to a context word is left
        out of that word's example. CBOW: as in
        :class:`~gensim_losses.Word2Vec`. Not with ``GroupNegativeLoss`` in
        skip-gram. See docs/losses.md for what it changes.
    """

    def __init__(
            self, sentences=None, corpus_file=None, sg=0, hs=None, vector_size=100, alpha=0.025, window=5,
            min_count=5, max_vocab_size=None, word_ngrams=1, sample=1e-3, seed=1, workers=3, min_alpha=0.0001,
            negative=None, ns_exponent=None, cbow_mean=1, hashfxn=hash, epochs=5, null_word=0, min_n=3, max_n=6,
            sorted_vocab=1, bucket=2000000, trim_rule=None, batch_words=MAX_WORDS_IN_BATCH, callbacks=(),
            max_final_vocab=None, shrink_windows=True, compute_loss=True, loss=None, backend="auto",
            shared_negatives=False,
    ):
        check_settings(alpha=alpha, min_alpha=min_alpha, vector_size=vector_size, window=window, epochs=epochs,
                       min_count=min_count, workers=workers, batch_words=batch_words, negative=negative,
                       sample=sample, ns_exponent=ns_exponent, seed=seed)
        hs, negative, ns_exponent = self._set_loss(loss, backend, shared_negatives, hs, negative, ns_exponent)
        super().__init__(
            sg=sg, hs=hs, vector_size=vector_size, alpha=alpha, window=window, min_count=min_count,
            max_vocab_size=max_vocab_size, word_ngrams=word_ngrams, sample=sample, seed=seed, workers=workers,
            min_alpha=min_alpha, negative=negative, ns_exponent=ns_exponent, cbow_mean=cbow_mean,
            hashfxn=hashfxn, epochs=epochs, null_word=null_word, min_n=min_n, max_n=max_n,
            sorted_vocab=sorted_vocab, bucket=bucket, batch_words=batch_words, callbacks=callbacks,
            max_final_vocab=max_final_vocab, shrink_windows=shrink_windows,
        )
        self.compute_loss = bool(compute_loss)  # gensim's FastText does not pass it on
        self._build_and_train(sentences, corpus_file, trim_rule, callbacks)

    def _kernel_inputs(self):
        wv = self.wv
        inputs = {"words": (wv.vectors_vocab, wv.vectors_vocab_lockf)}
        if wv.bucket:
            inputs["ngrams"] = (wv.vectors_ngrams, wv.vectors_ngrams_lockf, *bucket_table(wv))
        return inputs

    @property
    def _kernel_kind(self):
        # without buckets (max_n < min_n) a FastText model is a Word2Vec on vectors_vocab
        return "fasttext" if self.wv.bucket else "word2vec"

    def _clear_post_train(self):
        self.wv.norms = None
        wv = self.wv
        if not wv.bucket:
            wv.vectors = wv.vectors_vocab
            return
        if getattr(wv, "vectors", None) is None or wv.vectors.shape != wv.vectors_vocab.shape \
                or wv.vectors is wv.vectors_vocab or not wv.vectors.flags.c_contiguous:
            wv.vectors = np.empty_like(wv.vectors_vocab)
        kernels.compose_words(wv.vectors, wv.vectors_vocab, wv.vectors_ngrams, *bucket_table(wv))
