"""Synthetic and shipped corpora shared by the benchmarks.

Three kinds of corpus live here:

* :func:`zipf_corpus` (from :mod:`gensim_losses.text.synthetic`) writes a large, deterministic,
  Zipf-distributed corpus
  of meaningless words (``w0``, ``w1``, ...) to a file. It has no structure to
  learn; it is for timing.
* :func:`planted_corpus` builds a corpus with a *known* structure (word
  clusters and factorised analogies hidden in Zipf noise), and
  :func:`score_planted` measures how much of that structure a trained
  :class:`~gensim.models.KeyedVectors` has recovered.
* :func:`real_text_corpus` writes the real English text that gensim ships
  with its tests (no download) as a LineSentence file, for gensim's own
  similarity and analogy test sets.

All generators are vectorised numpy and seeded with
:class:`numpy.random.Generator` (PCG64), so a given set of parameters always
gives the same corpus.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gensim_losses.text.synthetic import (  # the Zipf generator lives in the package (gensim-losses bench)
    _cache_ok,
    _resolve,
    _sample,
    _sentence_lengths,
    _write_cached,
    write_sentences,
    zipf_corpus,
    zipf_probabilities,
)

__all__ = [
    "PlantedTruth",
    "planted_corpus",
    "real_text_corpus",
    "score_planted",
    "write_sentences",
    "zipf_corpus",
    "zipf_probabilities",
]


# ---------------------------------------------------------------------------- planted structure
@dataclass(frozen=True)
class PlantedTruth:
    """The structure hidden in a :func:`planted_corpus`.

    Attributes
    ----------
    clusters : dict of str to int
        Cluster (topic) label of every cluster word ``t{k}_{m}``.
    analogies : list of tuple of str
        Quadruples ``(a, b, c, d)`` read as "a is to b as c is to d", i.e.
        ``vec(d) ≈ vec(b) - vec(a) + vec(c)``, over the grid words ``a{i}_{j}``.
    grid : dict of str to tuple of int
        The two latent factors ``(i, j)`` of every grid word.
    counts : dict of str to int
        Number of occurrences of every planted (cluster or grid) word.
    params : dict
        The generator's parameters.
    """

    clusters: dict
    analogies: list
    grid: dict
    counts: dict = field(repr=False)
    params: dict = field(repr=False)


def planted_corpus(n_tokens=500_000, n_clusters=20, cluster_size=40, cluster_signal=0.15,
                   cluster_exponent=1.0, grid=8, grid_context=6, grid_signal=0.2, background=20_000,
                   mix=(0.5, 0.35, 0.15), sentence_len=16, n_analogies=1000, seed=0):
    """Make a corpus with planted word clusters and factorised analogies.

    Sentences are of three kinds, shuffled together (``mix`` gives their
    shares of the sentences):

    * **topic** sentences pick one of ``n_clusters`` topics; each token is,
      with probability ``cluster_signal``, a word ``t{k}_{m}`` of that topic
      (Zipf-distributed within the topic with ``cluster_exponent``, so the
      tail words of a cluster are rare and hard), and otherwise a background
      word. Words of a topic share contexts, so they should end up close.
    * **grid** sentences pick two independent factors ``(i, j)`` on a
      ``grid x grid`` lattice and mention the grid word ``a{i}_{j}`` among
      context words: with probability ``grid_signal`` a token is, in equal
      parts, ``a{i}_{j}`` itself, one of ``grid_context`` row words
      ``r{i}_{t}`` or one of ``grid_context`` column words ``c{j}_{t}``;
      otherwise it is a background word. The context distribution of
      ``a{i}_{j}`` is thus driven by ``i`` and ``j`` separately, so its vector
      should decompose as ``u_i + v_j`` and
      ``a{i}_{j} - a{i}_{k} + a{l}_{k} ≈ a{l}_{j}``.
    * **background** sentences are Zipf noise only (words ``w{r}`` over a
      vocabulary of ``background``).

    Parameters
    ----------
    n_tokens : int, optional
        Approximate number of tokens.
    n_clusters, cluster_size : int, optional
        Number of planted topics and words per topic.
    cluster_signal : float, optional
        Share of topic words in a topic sentence (the rest is noise).
    cluster_exponent : float, optional
        Zipf exponent of word frequencies inside a topic.
    grid : int, optional
        Side of the analogy lattice: ``grid ** 2`` grid words.
    grid_context : int, optional
        Context words per row and per column.
    grid_signal : float, optional
        Share of non-noise tokens in a grid sentence.
    background : int, optional
        Size of the background (noise) vocabulary.
    mix : tuple of float, optional
        Shares of topic, grid and background sentences.
    sentence_len : int, optional
        Mean sentence length.
    n_analogies : int, optional
        Number of analogy quadruples sampled into the ground truth (out of
        ``grid**2 * (grid-1)**2``).
    seed : int, optional
        Seed of the generator.

    Returns
    -------
    sentences : list of list of str
        The corpus.
    truth : PlantedTruth
        Cluster labels and analogy quadruples.
    """
    params = {k: v for k, v in locals().items() if k != "rng"}
    rng = np.random.default_rng(seed)

    # One id space for every word: background, topic words, grid words, row and column contexts.
    bg_words = [f"w{r}" for r in range(background)]
    topic_words = [f"t{k}_{m}" for k in range(n_clusters) for m in range(cluster_size)]
    grid_words = [f"a{i}_{j}" for i in range(grid) for j in range(grid)]
    row_words = [f"r{i}_{t}" for i in range(grid) for t in range(grid_context)]
    col_words = [f"c{j}_{t}" for j in range(grid) for t in range(grid_context)]
    words = np.array(bg_words + topic_words + grid_words + row_words + col_words, dtype=object)
    topic0 = background
    grid0 = topic0 + len(topic_words)
    row0 = grid0 + len(grid_words)
    col0 = row0 + len(row_words)

    lengths = _sentence_lengths(rng, n_tokens, sentence_len)
    n_sent = len(lengths)
    kind = _sample(rng, np.asarray(mix, dtype=np.float64), n_sent)  # 0 topic, 1 grid, 2 background
    sent_of_token = np.repeat(np.arange(n_sent), lengths)
    tok_kind = kind[sent_of_token]
    n = len(sent_of_token)

    ids = _sample(rng, zipf_probabilities(background), n)  # background everywhere, then overwrite
    u = rng.random(n)

    # Topic sentences.
    topic = rng.integers(0, n_clusters, size=n_sent)[sent_of_token]
    hit = (tok_kind == 0) & (u < cluster_signal)
    within = _sample(rng, zipf_probabilities(cluster_size, cluster_exponent, offset=1.0), int(hit.sum()))
    ids[hit] = topic0 + topic[hit] * cluster_size + within

    # Grid sentences: a third of the signal tokens each for the grid word, its row and its column.
    row = rng.integers(0, grid, size=n_sent)[sent_of_token]
    col = rng.integers(0, grid, size=n_sent)[sent_of_token]
    is_grid = tok_kind == 1
    part = np.where(u < grid_signal, np.floor(3 * u / grid_signal), 3).astype(np.int64)
    ctx = rng.integers(0, grid_context, size=n)
    for p, value in ((0, grid0 + row * grid + col),
                     (1, row0 + row * grid_context + ctx),
                     (2, col0 + col * grid_context + ctx)):
        sel = is_grid & (part == p)
        ids[sel] = value[sel]

    flat = words[ids].tolist()
    bounds = np.concatenate([[0], np.cumsum(lengths)]).tolist()
    sentences = [flat[bounds[s]:bounds[s + 1]] for s in range(n_sent)]

    counts = np.bincount(ids, minlength=len(words))
    planted = slice(topic0, row0)
    truth = PlantedTruth(
        clusters={w: k // cluster_size for k, w in enumerate(topic_words)},
        analogies=_analogy_quadruples(rng, grid, n_analogies),
        grid={f"a{i}_{j}": (i, j) for i in range(grid) for j in range(grid)},
        counts=dict(zip(words[planted].tolist(), counts[planted].tolist())),
        params=params,
    )
    return sentences, truth


def _analogy_quadruples(rng, grid, n):
    """Sample ``n`` distinct quadruples ``(a_i_k, a_i_j, a_l_k, a_l_j)`` with ``i != l`` and ``j != k``."""
    i, i2, j, k = np.meshgrid(*(np.arange(grid),) * 4, indexing="ij")
    keep = (i != i2) & (j != k)
    quads = np.stack([i[keep], k[keep], j[keep], i2[keep]], axis=1)
    quads = quads[rng.permutation(len(quads))[:n]]
    return [(f"a{a}_{b}", f"a{a}_{c}", f"a{d}_{b}", f"a{d}_{c}") for a, b, c, d in quads.tolist()]


def score_planted(wv, truth, topn=10):
    """Score how much of a :func:`planted_corpus`'s structure a model has learnt.

    Metrics
    -------
    ``cluster_purity``
        For every cluster word in the vocabulary, take its ``topn`` nearest
        neighbours by cosine similarity *among the in-vocabulary cluster
        words* (itself excluded) and count the share that belongs to its own
        cluster; average over words. 1.0 is perfect; chance is about
        ``1 / n_clusters``.
    ``cluster_purity_rare``
        The same average over the rarer half of the cluster words (by corpus
        count), where models differ most.
    ``analogy_acc``
        For every quadruple ``(a, b, c, d)`` whose words are all in the
        vocabulary, whether ``wv.most_similar(positive=[b, c], negative=[a],
        topn=1)`` -- gensim's 3CosAdd over the *whole* vocabulary, the three
        query words excluded -- returns ``d``; the share of hits. Chance is
        about ``1 / len(wv)``.
    ``planted_coverage``
        Share of planted words that survived ``min_count`` (should be 1.0;
        it is reported so a low score cannot hide a vocabulary problem).

    Parameters
    ----------
    wv : gensim.models.KeyedVectors
        Trained vectors.
    truth : PlantedTruth
        The ground truth from :func:`planted_corpus`.
    topn : int, optional
        Neighbourhood size for the purity.

    Returns
    -------
    dict of str to float
        The metrics above.
    """
    words = [w for w in truth.clusters if w in wv.key_to_index]
    labels = np.array([truth.clusters[w] for w in words])
    vecs = np.stack([wv.get_vector(w, norm=True) for w in words])
    sims = vecs @ vecs.T
    np.fill_diagonal(sims, -np.inf)
    top = np.argpartition(-sims, topn, axis=1)[:, :topn]
    purity = (labels[top] == labels[:, None]).mean(axis=1)
    counts = np.array([truth.counts[w] for w in words])
    rare = counts <= np.median(counts)

    hits = total = 0
    for a, b, c, d in truth.analogies:
        if all(w in wv.key_to_index for w in (a, b, c, d)):
            total += 1
            hits += wv.most_similar(positive=[b, c], negative=[a], topn=1)[0][0] == d
    planted = list(truth.clusters) + list(truth.grid)
    return {
        "cluster_purity": float(purity.mean()),
        "cluster_purity_rare": float(purity[rare].mean()),
        "analogy_acc": hits / total if total else float("nan"),
        "planted_coverage": sum(w in wv.key_to_index for w in planted) / len(planted),
    }


# ---------------------------------------------------------------------------- real text
def real_text_corpus(path, sources=("enwiki", "lee"), chunk=1000):
    """Write the real English text shipped in gensim's test data as a LineSentence file.

    Nothing is downloaded: the sources are files under
    ``gensim.test.utils.datapath``:

    * ``enwiki``: ``enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2``,
      106 Wikipedia articles, tokenised by :class:`gensim.corpora.WikiCorpus`
      (lower-cased, alphabetic tokens of 2-15 characters): about 453k tokens.
    * ``lee``: ``lee_background.cor``, 300 news articles (Lee et al.), tokenised by
      :func:`gensim.utils.simple_preprocess`: about 60k tokens.

    Articles are cut into lines of at most ``chunk`` tokens (there is no
    sentence punctuation left to split on), well below the 10,000-word
    sentence cap of gensim.

    Parameters
    ----------
    path : str or os.PathLike
        Output file, or an existing directory in which a file named after
        the sources is made. An existing finished file is reused.
    sources : tuple of str, optional
        Any of ``"enwiki"`` and ``"lee"``.
    chunk : int, optional
        Maximum tokens per line.

    Returns
    -------
    pathlib.Path
        The corpus file.
    """
    from gensim.test.utils import datapath
    from gensim.utils import simple_preprocess

    meta = {"src": "+".join(sources), "chunk": int(chunk)}
    path = _resolve(path, "realtext", meta)
    if _cache_ok(path, meta):
        return path
    docs = []
    for source in sources:
        if source == "enwiki":
            from gensim.corpora.wikicorpus import WikiCorpus

            dump = datapath("enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")
            wiki = WikiCorpus(dump, dictionary={}, processes=1)
            docs.extend(wiki.get_texts())
        elif source == "lee":
            with open(datapath("lee_background.cor"), encoding="utf-8") as fh:
                docs.extend(simple_preprocess(line) for line in fh)
        else:
            raise ValueError(f"unknown source {source!r}")
    lines = [" ".join(doc[i:i + chunk]) + "\n" for doc in docs for i in range(0, len(doc), chunk)]
    _write_cached(path, meta, "".join(lines))
    return path
