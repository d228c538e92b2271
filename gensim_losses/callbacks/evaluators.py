"""Evaluators for :class:`~gensim_losses.callbacks.Validation`: each a callable ``f(model) -> {name: float}``.

They read only ``model.wv``, so they work on stock gensim models too, and on
any of the three model classes. gensim ships the word-similarity and analogy
sets (``gensim.test.utils.datapath``); a path to a file of the same format
works as well.
"""

import os

import numpy as np
from gensim.test.utils import datapath

#: the word-pair sets gensim ships, by the name their figure is recorded under
WORD_PAIRS = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}


def _path(name_or_path, known):
    if name_or_path in known:
        return datapath(known[name_or_path])
    if os.path.exists(os.fspath(name_or_path)):
        return os.fspath(name_or_path)
    raise ValueError(f"{name_or_path!r} is neither one of the sets gensim ships ({', '.join(known)}) nor a file")


class word_pairs:
    """Spearman's rank correlation between the model's cosine similarities and human scores of word pairs
    (:meth:`gensim.models.KeyedVectors.evaluate_word_pairs`), recorded as ``{name: rho}``.

    Parameters
    ----------
    dataset : str
        ``"wordsim353"`` or ``"simlex999"`` (gensim's copies), or the path of a file in their format.
    name : str, optional
        The record key; default the dataset's name (its file name without extension for a path).
    restrict_vocab : int
        Only the most frequent words count, as in gensim (pairs with other words are left out).
    """

    def __init__(self, dataset="wordsim353", name=None, restrict_vocab=300000):
        self.path = _path(dataset, WORD_PAIRS)
        self.name = name or (dataset if dataset in WORD_PAIRS else os.path.splitext(os.path.basename(dataset))[0])
        self.restrict_vocab = restrict_vocab

    def __call__(self, model):
        _, spearman, _ = model.wv.evaluate_word_pairs(self.path, restrict_vocab=self.restrict_vocab)
        rho = float(spearman[0]) if spearman is not None else float("nan")
        return {self.name: rho if np.isfinite(rho) else 0.0}


class analogies:
    """Accuracy on word analogies "a is to b as c is to ?" (3CosAdd over the ``restrict_vocab`` most frequent
    words, :meth:`gensim.models.KeyedVectors.evaluate_word_analogies`), recorded as ``{name: accuracy}``.

    Parameters
    ----------
    dataset : str, optional
        The path of a file in the format of gensim's ``questions-words.txt`` (the default).
    name : str
    restrict_vocab : int
    """

    def __init__(self, dataset=None, name="analogies", restrict_vocab=30000):
        self.path = datapath("questions-words.txt") if dataset is None else _path(dataset, {})
        self.name = name
        self.restrict_vocab = restrict_vocab

    def __call__(self, model):
        score, _ = model.wv.evaluate_word_analogies(self.path, restrict_vocab=self.restrict_vocab)
        return {self.name: float(score)}


class hit_rate:
    """The share of held-out sessions whose next item is among the ``k`` items nearest (by cosine) to the
    session's query, recorded as ``{name: share}``: how an item or session model is judged (the demo's
    ``booking_hit@10``).

    .. math::

        \\text{hit@}k = \\frac{1}{|S|} \\sum_{(q, t) \\in S}
            \\mathbb{1}\\big[\\,|\\{v \\notin q : \\cos(\\bar q, v) > \\cos(\\bar q, t)\\}| < k\\,\\big]

    with ``q̄`` the mean of the query items' unit vectors; the query's own items are never counted.

    Parameters
    ----------
    held_out_sessions : iterable
        Each a sequence of items (its last item is the target, the one before it the query), or a pair
        ``(query, target)`` with ``query`` an item or a list of items. Sessions whose target or query
        the model does not know are left out.
    k : int
    name : str, optional
        Default ``"hit@{k}"``.
    """

    def __init__(self, held_out_sessions, k=10, name=None):
        if int(k) < 1:
            raise ValueError(f"k={k!r}: expected an integer >= 1")
        self.k = int(k)
        self.name = name or f"hit@{self.k}"
        self.pairs = []
        for session in held_out_sessions:
            if isinstance(session, tuple) and len(session) == 2:
                query, target = session
                query = list(query) if isinstance(query, (list, tuple)) else [query]
            else:
                session = list(session)
                if len(session) < 2:
                    continue
                query, target = [session[-2]], session[-1]
            self.pairs.append((query, target))
        if not self.pairs:
            raise ValueError("hit_rate needs held-out sessions of at least two items (or (query, target) pairs)")

    def __call__(self, model):
        wv = model.wv
        unit = wv.get_normed_vectors()
        hits = counted = 0
        for query, target in self.pairs:
            rows = [wv.key_to_index[q] for q in query if q in wv.key_to_index]
            t = wv.key_to_index.get(target)
            if not rows or t is None:
                continue
            centre = unit[rows].mean(axis=0)
            sims = unit @ centre
            sims[rows] = -np.inf
            hits += int((sims > sims[t]).sum() < self.k)
            counted += 1
        return {self.name: hits / counted if counted else 0.0}
