"""gensim's Doc2Vec, trained through this package's kernels, with exact loss records.

What is Doc2Vec's own: a document's tags have input rows (``dv.vectors``)
beside the word rows. h and where its error goes, per mode:

* PV-DBOW (``dm=0``): each tag's vector alone predicts each word of the
  document, ``h = d_t``, the error of h goes to ``d_t``. With
  ``dbow_words=1`` the words are also trained as skip-gram pairs (the context
  word's vector predicts the centre word), interleaved as gensim does;
* PV-DM (``dm=1``): the window's word vectors and the document's tag vectors
  predict the centre word, ``h`` their mean (``dm_mean=1``, gensim's default)
  or their sum (``dm_mean=0``); each of those rows takes the error of h (the
  mean) or its share (the sum);
* PV-DM with concatenation (``dm=1, dm_concat=1``, Le and Mikolov's PV-DM
  as gensim defines it): ``h`` is the document's ``dm_tag_count`` tag vectors
  followed by the ``2 * window`` word vectors of the full window (never
  shrunk; positions before or after the document read gensim's null word
  ``'\\0'``, a vocabulary word that learns like the others), side by side:
  ``layer1_size = (dm_tag_count + 2 * window) * vector_size`` floats, as wide
  as the rows of the output layers. Each of those rows takes its lockf times
  its own slice of the error of h. A document with another number of known
  tags than ``dm_tag_count`` is not trained, as in gensim.

``build_vocab(update=True)`` adds words and document tags: a new tag gets a
new document vector, trained by the next ``train``; the others keep theirs
(stock gensim crashes there, its issue 1019).

Everything else (the engine, the loss terms, saving) is shared with
:class:`~gensim_losses.Word2Vec`.
"""

import logging

import numpy as np
from gensim.models import doc2vec as gensim_doc2vec
from gensim.models.doc2vec import TaggedDocument, TaggedLineDocument
from gensim.models.keyedvectors import pseudorandom_weak_vector

from gensim_losses.models.base import LossModel
from gensim_losses.models.persistence import Saving
from gensim_losses.training.engine import KernelTraining, TrainingRun
from gensim_losses.training.settings import SETTINGS, check_settings

logger = logging.getLogger(__name__)


class Doc2Vec(LossModel, KernelTraining, Saving, gensim_doc2vec.Doc2Vec):
    """gensim's :class:`~gensim.models.doc2vec.Doc2Vec`, trained by gensim_losses kernels.

    Every parameter keeps gensim's name and meaning; see
    :class:`gensim.models.doc2vec.Doc2Vec`. What this class adds is what
    :class:`gensim_losses.Word2Vec` adds: ``loss``, ``backend``,
    ``compute_loss`` on by default, ``loss_history``, divergence errors and
    atomic saves. ``hs``, ``negative`` and ``ns_exponent`` (keyword
    arguments, as in gensim) default to the loss's settings.

    What a loss term sees in Doc2Vec (module docstring): ``output`` is h, a
    document vector in PV-DBOW's document examples, a word vector in its
    ``dbow_words`` pairs, the mean or sum of the window's word vectors and
    the document's vectors in PV-DM, and with ``dm_concat=1`` the
    concatenation of the document's tag vectors and the window's word
    vectors, ``layer1_size`` wide. The Python contract's ``batch.inputs(e)``
    gives the word ids among the rows of h (none for a PV-DBOW document
    example; with ``dm_concat=1`` the null word where it pads the window).
    ``AnchorPenalty`` anchors word vectors only; ``NormPenalty``,
    ``L2Penalty`` and ``DirectionPenalty`` act on the whole h, so with
    ``dm_concat=1`` a ``DirectionPenalty``'s directions are ``layer1_size``
    wide. ``dm_mean=0`` gives the sum (stock gensim 4 lets the default
    ``cbow_mean=1`` override it).

    ``dm_concat=1`` trains through the kernels like the other modes (every
    objective, the native penalties, the hybrid and reference paths,
    iterable and ``corpus_file`` input, ``infer_vector``). With
    ``corpus_file`` each line has one tag, so ``dm_tag_count`` must be 1;
    ``infer_vector`` infers one vector, so it needs ``dm_tag_count=1`` too.

    Parameters
    ----------
    shared_negatives : bool, optional
        Negative sampling only. PV-DBOW: each document vector predicts 10
        consecutive words of its document with one draw of ``2 * negative``
        negatives (``engine.dbow_sharing``), from one snapshot of the rows,
        and takes its error once per block; the ``dbow_words`` skip-gram pairs
        share a draw per window, as in :class:`~gensim_losses.Word2Vec`.
        PV-DM (not ``dm_concat``): as Word2Vec's CBOW. ``infer_vector``
        takes one draw per example all the same. See docs/losses.md for
        what it changes.
    """

    _kernel_kind = "doc2vec"

    def __init__(
            self, documents=None, corpus_file=None, vector_size=100, dm_mean=None, dm=1, dbow_words=0, dm_concat=0,
            dm_tag_count=1, dv=None, dv_mapfile=None, comment=None, trim_rule=None, callbacks=(), window=5,
            epochs=10, shrink_windows=True, loss=None, backend="auto", compute_loss=True, shared_negatives=False,
            **kwargs,
    ):
        if dm and dm_concat and int(dm_tag_count) < 1:
            raise ValueError(f"dm_concat=1 needs dm_tag_count >= 1 (the tag vectors at the start of h), "
                             f"got {dm_tag_count}")
        check_settings(vector_size=vector_size, window=window, epochs=epochs,
                       **{k: v for k, v in kwargs.items() if k in SETTINGS})
        if dm_mean is not None:
            kwargs["cbow_mean"] = int(dm_mean)
        kwargs["hs"], kwargs["negative"], kwargs["ns_exponent"] = self._set_loss(
            loss, backend, shared_negatives, kwargs.get("hs"), kwargs.get("negative"), kwargs.get("ns_exponent"))
        super().__init__(
            vector_size=vector_size, dm_mean=dm_mean, dm=dm, dbow_words=dbow_words, dm_concat=dm_concat,
            dm_tag_count=dm_tag_count, dv=dv, dv_mapfile=dv_mapfile, comment=comment, callbacks=callbacks,
            window=window, epochs=epochs, shrink_windows=shrink_windows, compute_loss=compute_loss, **kwargs,
        )
        self._build_and_train(documents, corpus_file, trim_rule, callbacks)

    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, progress_per=10000,
                    keep_raw_vocab=False, trim_rule=None, **kwargs):
        """Build the vocabulary, as :meth:`gensim.models.doc2vec.Doc2Vec.build_vocab` does.

        With ``update=True`` new words are added as gensim adds them, and so
        are new document tags: each gets a new row of ``dv.vectors``
        (initialised as gensim initialises them), which ``train`` then trains;
        every tag the model had keeps its row and its vector. A string tag
        takes the next row; an int tag is its own row number, as in gensim, so
        new int tags grow ``dv`` up to the largest (rows between are allocated
        and stay untrained, as gensim's would). A ``corpus_file`` tags line
        ``n`` with ``n``: lines past the documents the model has are new
        documents. Int tags past the int range of a model that also has
        string tags cannot have their own row number: ``ValueError``, before
        anything of the model changes. (gensim's own update makes ``dv`` hold
        more tags than vectors, or renumbers string tags, and training then
        crashes: its issue 1019.)
        """
        if not update or not len(self.dv.index_to_key):  # without a vocabulary gensim refuses the update itself
            return super().build_vocab(corpus_iterable=corpus_iterable, corpus_file=corpus_file, update=update,
                                       progress_per=progress_per, keep_raw_vocab=keep_raw_vocab,
                                       trim_rule=trim_rule, **kwargs)
        dv = self.dv
        saved = list(dv.index_to_key), dict(dv.key_to_index), {k: v.copy() for k, v in dv.expandos.items()}
        if corpus_file is not None:
            corpus_iterable = TaggedLineDocument(corpus_file)
        new = {}  # tag -> [documents, words], in the order first seen
        try:
            super().build_vocab(corpus_iterable=self._new_tags(corpus_iterable, saved[1], new), update=True,
                                progress_per=progress_per, keep_raw_vocab=keep_raw_vocab, trim_rule=trim_rule,
                                **kwargs)
        finally:  # gensim's scan rebuilds dv's index from these documents alone: every tag keeps its row
            dv.index_to_key, dv.key_to_index, dv.expandos = saved
        if new:
            self._add_tags(new)

    def _new_tags(self, documents, key_to_index, new):
        """``documents``, noting in ``new`` the tags that have no row (checked before gensim's scan counts
        anything: a tag that cannot have a row fails here)."""
        rows = len(self.dv.index_to_key)
        int_rows = rows - len(key_to_index)  # gensim puts the int tags' rows before the string tags'
        for document in documents:
            for tag in document.tags:
                if isinstance(tag, (int, np.integer)):
                    if tag < 0:
                        raise ValueError(f"document tag {tag}: an int tag is a row number, so it must be >= 0")
                    if tag < int_rows:
                        continue
                    if key_to_index:
                        raise ValueError(
                            f"document tag {tag}: an int tag is its own row of dv.vectors, and rows from "
                            f"{int_rows} on hold this model's string tags; tag new documents with strings (or "
                            f"ints below {int_rows}, the int-tagged documents it has). The model is unchanged.")
                elif tag in key_to_index:
                    continue
                counts = new.setdefault(tag, [0, 0])
                counts[0] += 1
                counts[1] += len(document.words)
            yield document

    def _add_tags(self, new):
        """Rows of ``dv`` for the ``new`` tags (``{tag: [documents, words]}``), after those the model has."""
        dv = self.dv
        rows = len(dv.index_to_key)
        ints = [t for t in new if isinstance(t, (int, np.integer))]
        if ints:
            dv.index_to_key.extend(range(rows, int(max(ints)) + 1))
        for tag in new:
            if not isinstance(tag, (int, np.integer)):
                dv.key_to_index[tag] = len(dv.index_to_key)
                dv.index_to_key.append(tag)
        old = dv.vectors
        # gensim's initialisation of dv's rows (its own seed), for the new ones; the old are kept as they are
        dv.resize_vectors(seed=self.seed + 7919)
        for tag, (documents, words) in new.items():
            if not isinstance(tag, (int, np.integer)):
                dv.set_vecattr(tag, "doc_count", documents)
                dv.set_vecattr(tag, "word_count", words)
        lockf = np.asarray(dv.vectors_lockf)
        if lockf.size == len(old) and lockf.size != 1:  # one factor per row: the new rows learn
            dv.vectors_lockf = np.concatenate([lockf, np.ones(len(dv.vectors) - len(old), dtype=lockf.dtype)])
        logger.info("build_vocab(update=True): %i new document tags, dv.vectors %s -> %s", len(new), old.shape,
                    dv.vectors.shape)

    def _kernel_inputs(self):
        """Word rows, and the document rows of ``dv``, each ``(vectors, lockf)``."""
        return {"words": (self.wv.vectors, self.wv.vectors_lockf),
                "docs": (self.dv.vectors, self.dv.vectors_lockf, bool(self.dm), bool(self.dbow_words),
                         self._concat())}

    def _concat(self):
        """``(dm_tag_count, null word index)`` for PV-DM with concatenation, else None (see KernelModel)."""
        if not (self.dm and getattr(self, "dm_concat", 0)):
            return None
        null = self.wv.key_to_index.get("\0")
        if null is None:
            raise ValueError("dm_concat=1 pads windows with gensim's null word '\\0', which this model's "
                             "vocabulary lacks: build the vocabulary with this model (null_word=1)")
        return int(self.dm_tag_count), null

    def _train_epoch_corpusfile(self, corpus_file, cur_epoch=0, **kwargs):
        if self._concat() is not None and self.dm_tag_count != 1:
            raise ValueError(f"dm_concat=1 with dm_tag_count={self.dm_tag_count} trains only documents with "
                             f"that many tags, and a corpus_file line has one (its line number): use "
                             f"dm_tag_count=1, or a corpus_iterable of TaggedDocuments")
        return super()._train_epoch_corpusfile(corpus_file, cur_epoch=cur_epoch, **kwargs)

    def _doc_rows(self, tags):
        """The ``dv`` rows of a document's tags (tags unknown to ``dv`` are skipped, as gensim does)."""
        rows = [self.dv.get_index(tag, -1) for tag in tags]
        return [row for row in rows if row >= 0]

    def infer_vector(self, doc_words, alpha=None, min_alpha=None, epochs=None, return_loss=False):
        """Infer a vector for a new document, as gensim does: train one fresh
        document vector on ``doc_words`` for ``epochs`` passes, the learning
        rate falling from ``alpha`` to ``min_alpha``, every word and output
        vector of the model held fixed. It runs through the kernels, with
        the model's loss (its Python terms too). It only reads the model's
        arrays, so a model loaded with ``mmap='r'`` infers too.

        Parameters
        ----------
        doc_words : list of str
        alpha, min_alpha, epochs : optional
            Default: the model's.
        return_loss : bool, optional
            Also return the inferred document's loss records, one per pass,
            as in ``loss_history`` (``epoch``, ``examples``, ``total`` and
            one key per term).

        Returns
        -------
        vector : numpy.ndarray
            Or ``(vector, records)`` with ``return_loss=True``.
        """
        if isinstance(doc_words, str):  # a common mistake; fail with a nicer error
            raise TypeError("Parameter doc_words of infer_vector() must be a list of strings "
                            "(not a single string).")
        concat = self._concat()
        if concat is not None and concat[0] != 1:
            raise ValueError(f"infer_vector infers one document vector, and this dm_concat model's h holds "
                             f"dm_tag_count={concat[0]} of them (stock gensim returns the untrained initial "
                             f"vector here)")
        alpha = alpha or self.alpha
        min_alpha = min_alpha or self.min_alpha
        epochs = epochs or self.epochs
        vector = pseudorandom_weak_vector(self.dv.vector_size, seed_string=" ".join(doc_words))
        vector = vector.reshape(1, self.dv.vector_size)
        self._follow_loss()
        # a zero lockf holds every word vector fixed, in every term that updates one (windows,
        # lexicon pairs, global context); without dbow_words inference trains no word pairs
        frozen = np.zeros(1, dtype=np.float32)
        inputs = {"words": (self.wv.vectors, frozen),
                  "docs": (vector, np.ones(1, dtype=np.float32), bool(self.dm), False, concat)}
        # one step per example, whatever shared_negatives says: a single document's few steps from a
        # random start are where one draw for many words costs most (docs/losses.md, PV-DBOW)
        run = TrainingRun(self, return_loss, inputs=inputs, doc_index=lambda tags: [0], learn_hidden=False,
                          reference=False, shared=False)
        mem = self._get_thread_working_mem()
        step = (alpha - min_alpha) / max(epochs - 1, 1)
        records = []
        for epoch in range(epochs):
            run.start_epoch(epoch)
            self._train_job(run, [TaggedDocument(doc_words, [0])], alpha, mem)
            records.append(run.record(epoch))
            alpha -= step
        return (vector[0], records) if return_loss else vector[0]
