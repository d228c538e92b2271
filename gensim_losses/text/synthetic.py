"""Generated corpora with known properties, for the benchmarks and the demo.

* :func:`zipf_corpus` writes a large, deterministic, Zipf-distributed corpus
  of meaningless words (``w0``, ``w1``, ...): no structure to learn, for
  timing (``gensim-losses bench``).
* :func:`make_world` and :func:`make_sessions` generate Airbnb-style search
  sessions with planted truth (markets, listing types, bookings), and
  :func:`type_share` and :func:`booking_hits` score listing vectors against
  it (``gensim-losses demo``, ``benchmarks/airbnb.py``).

Generators are seeded numpy (:class:`numpy.random.Generator`), so the same
parameters always give the same corpus.
"""

import json
import os
from pathlib import Path

import numpy as np

_META_SUFFIX = ".meta.json"


# ---------------------------------------------------------------------------- helpers
def zipf_probabilities(n, exponent=1.0, offset=2.7):
    """Zipf-Mandelbrot probabilities over ranks ``0 .. n-1``.

    Parameters
    ----------
    n : int
        Number of ranks (words).
    exponent : float, optional
        Zipf exponent ``s``; natural text is close to 1.
    offset : float, optional
        Mandelbrot offset ``q`` in ``p(r) ∝ 1 / (r + q) ** s``; it flattens the
        head the way real text does (the most frequent word is a few per cent,
        not a third, of the tokens).

    Returns
    -------
    numpy.ndarray
        float64 probabilities summing to 1, decreasing with rank.
    """
    weights = 1.0 / np.power(np.arange(n, dtype=np.float64) + offset, exponent)
    return weights / weights.sum()


def _sample(rng, probabilities, size):
    """Draw ``size`` indices from a discrete distribution (inverse CDF)."""
    cdf = np.cumsum(probabilities)
    cdf /= cdf[-1]
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(cdf) - 1)


def _sentence_lengths(rng, n_tokens, mean_len):
    """Sentence lengths, uniform on ``[mean_len // 2, 3 * mean_len // 2]``, adding up to ``n_tokens``."""
    low, high = max(1, mean_len // 2), max(1, (3 * mean_len) // 2)
    lengths = rng.integers(low, high + 1, size=n_tokens // max(1, low) + 1)
    ends = np.cumsum(lengths)
    count = int(np.searchsorted(ends, n_tokens, side="left")) + 1
    lengths = lengths[:count]
    lengths[-1] -= int(ends[count - 1]) - n_tokens  # trim the last one to hit n_tokens exactly
    return lengths[lengths > 0]


def _lines(words, ids, lengths):
    """Render token ids as LineSentence text: words joined by spaces, one sentence a line."""
    tokens = words[ids].tolist()
    seps = np.full(len(tokens), " ", dtype=object)
    seps[np.cumsum(lengths) - 1] = "\n"
    out = [None] * (2 * len(tokens))
    out[0::2] = tokens
    out[1::2] = seps.tolist()
    return "".join(out)


def _cache_ok(path, meta):
    """True if ``path`` and its metadata sidecar describe a finished file made with ``meta``."""
    meta_path = Path(str(path) + _META_SUFFIX)
    if not (path.is_file() and meta_path.is_file()):
        return False
    try:
        stored = json.loads(meta_path.read_text())
    except (OSError, ValueError):
        return False
    return stored.get("params") == meta and stored.get("bytes") == path.stat().st_size


def _write_cached(path, meta, text):
    """Write ``text`` to ``path`` atomically, then its metadata sidecar."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    data = text.encode("utf-8")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    meta_path = Path(str(path) + _META_SUFFIX)
    meta_tmp = meta_path.with_name(f"{meta_path.name}.{os.getpid()}.tmp")
    meta_tmp.write_text(json.dumps({"params": meta, "bytes": len(data)}, sort_keys=True))
    os.replace(meta_tmp, meta_path)


def _resolve(path, stem, meta):
    """A directory gets a file named after the parameters; a file path is used as given."""
    as_dir = os.fspath(path).endswith(("/", os.sep))
    path = Path(path)
    if as_dir or path.is_dir():
        key = "_".join(f"{k}{v}" for k, v in meta.items())
        return path / f"{stem}_{key}.txt"
    return path


def write_sentences(sentences, path):
    """Write tokenised sentences in LineSentence format (space-separated, one per line).

    Parameters
    ----------
    sentences : iterable of list of str
        The corpus.
    path : str or os.PathLike
        Destination file; overwritten.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.writelines(" ".join(sentence) + "\n" for sentence in sentences)
    return path


# ---------------------------------------------------------------------------- Zipf corpus
def zipf_corpus(path, n_tokens=5_000_000, vocab_size=50_000, seed=0, sentence_len=20, exponent=1.0):
    """Write a deterministic Zipf-distributed corpus in LineSentence format.

    Tokens are independent draws from :func:`zipf_probabilities` over the
    words ``w0`` (most frequent) ... ``w{vocab_size - 1}``; sentence lengths
    are uniform on ``[sentence_len // 2, 3 * sentence_len // 2]``. The text has
    no structure to learn: use it for timing, not quality.

    Generation is vectorised (about a second per 5M tokens). A finished file
    is recognised by a sidecar ``<file>.meta.json`` holding the parameters and
    the byte size, and is not written again; files are written atomically, so
    two benchmarks may ask for the same corpus at once.

    Parameters
    ----------
    path : str or os.PathLike
        Output file, or an existing directory (or a path ending in the path
        separator) in which a file named after the parameters is made.
    n_tokens : int, optional
        Exact number of tokens.
    vocab_size : int, optional
        Number of distinct words that may be drawn (rare ones may not occur).
    seed : int, optional
        Seed of the generator.
    sentence_len : int, optional
        Mean sentence length in tokens.
    exponent : float, optional
        Zipf exponent.

    Returns
    -------
    pathlib.Path
        The corpus file.
    """
    meta = {"n": int(n_tokens), "v": int(vocab_size), "seed": int(seed), "len": int(sentence_len),
            "s": float(exponent)}
    path = _resolve(path, "zipf", meta)
    if _cache_ok(path, meta):
        return path
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(vocab_size)], dtype=object)
    ids = _sample(rng, zipf_probabilities(vocab_size, exponent), n_tokens)
    lengths = _sentence_lengths(rng, n_tokens, sentence_len)
    _write_cached(path, meta, _lines(words, ids, lengths))
    return path


# ---------------------------------------------------------------------------- Airbnb-style sessions
def make_world(rng, markets=20, listings=200, types=10, appeal_sigma=1.5):
    """Listings of an Airbnb-style marketplace: their market, type, popularity and appeal.

    ``markets`` markets of ``listings`` listings each; a listing's type is one
    of ``types`` within its market; click popularity is Zipf within the market
    (in random order) and booking appeal log-normal, independent of it.

    Returns
    -------
    dict
        ``names`` (``m{market}_l{i}``), ``market``, ``type``, ``popularity``,
        ``appeal`` (arrays over listings) and the three sizes.
    """
    n = markets * listings
    market = np.repeat(np.arange(markets), listings)
    kind = np.tile(np.arange(listings) % types, markets)
    popularity = np.concatenate([rng.permutation(1.0 / (np.arange(listings) + 3.0)) for _ in range(markets)])
    appeal = rng.lognormal(0.0, appeal_sigma, n)
    names = np.array([f"m{m}_l{i}" for m, i in zip(market, np.arange(n) % listings)])
    return dict(names=names, market=market, type=kind, popularity=popularity, appeal=appeal,
                markets=markets, listings=listings, types=types)


def _tables(world, weights, by_type):
    """Cumulative weights per market (or per market and type), and the listings they index."""
    ids = np.arange(len(weights))
    key = world["market"] * world["types"] + world["type"] if by_type else world["market"]
    groups = [ids[key == k] for k in range(key.max() + 1)]
    return groups, [np.cumsum(weights[g]) / weights[g].sum() for g in groups]


def make_sessions(world, rng, n, focus=0.35, booking_rate=0.3, length=(4, 14)):
    """``n`` search sessions ``(clicks, booked or None)`` of listing indices.

    A session browses one market with one preferred type: each click is a
    listing of that type with probability ``focus``, else any listing of the
    market, by popularity. A share ``booking_rate`` of sessions ends in a
    booking of a listing of the preferred type, drawn by appeal.
    """
    in_market, market_cdf = _tables(world, world["popularity"], False)
    in_type, type_cdf = _tables(world, world["popularity"], True)
    _, appeal_cdf = _tables(world, world["appeal"], True)
    sessions = []
    for _ in range(n):
        m, want = rng.integers(world["markets"]), rng.integers(world["types"])
        k = m * world["types"] + want
        size = rng.integers(*length)
        focused = rng.random(size) < focus
        u = rng.random(size)
        clicks = np.where(focused, in_type[k][np.minimum(np.searchsorted(type_cdf[k], u), len(in_type[k]) - 1)],
                          in_market[m][np.minimum(np.searchsorted(market_cdf[m], u), len(in_market[m]) - 1)])
        booked = None
        if rng.random() < booking_rate:
            booked = int(in_type[k][min(np.searchsorted(appeal_cdf[k], rng.random()), len(in_type[k]) - 1)])
        sessions.append(([int(c) for c in clicks], booked))
    return sessions


def session_corpus(world, sessions, booking="last"):
    """Sessions as :class:`~gensim_losses.Sentence` items of listing names.

    ``booking``: ``"none"`` (clicks only), ``"last"`` (the booked listing
    appended as the last click), ``"context"`` (the booked listing as the
    sentence's ``context``, for :class:`~gensim_losses.GlobalContextLoss`) or
    ``"both"`` (last click and context).
    """
    from gensim_losses.text.corpus import Sentence

    if booking not in ("none", "last", "context", "both"):
        raise ValueError(f"booking must be 'none', 'last', 'context' or 'both', not {booking!r}")
    names = world["names"]
    corpus = []
    for clicks, booked in sessions:
        words = [str(names[i]) for i in clicks]
        context = [str(names[booked])] if booked is not None and booking in ("context", "both") else []
        if booked is not None and booking in ("last", "both"):
            words.append(str(names[booked]))
        corpus.append(Sentence(words, context=context))
    return corpus


def market_groups(world):
    """``{listing name: market}``, the groups of :class:`~gensim_losses.GroupNegativeLoss`."""
    return {str(name): int(m) for name, m in zip(world["names"], world["market"])}


def _unit_rows(wv, world, ids):
    """Row of every listing of ``ids`` that has a vector, and the unit vectors of those."""
    names = world["names"]
    have = np.array([i for i in ids if names[i] in wv.key_to_index], dtype=np.int64)
    vectors = wv.vectors[[wv.key_to_index[names[i]] for i in have]].astype(np.float64)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return have, vectors


def type_share(wv, world, topn=10):
    """Share of each listing's ``topn`` nearest same-market listings (cosine) that have its type.

    Chance: ``(listings / types - 1) / (listings - 1)``.
    """
    shares = []
    for m in range(world["markets"]):
        ids, vecs = _unit_rows(wv, world, range(m * world["listings"], (m + 1) * world["listings"]))
        sims = vecs @ vecs.T
        np.fill_diagonal(sims, -np.inf)
        top = np.argsort(-sims, axis=1)[:, :topn]
        kinds = world["type"][ids]
        shares.append((kinds[top] == kinds[:, None]).mean(axis=1))
    return float(np.concatenate(shares).mean())


def booking_hits(wv, world, sessions, topn=10):
    """Share of booked sessions whose booked listing is among the ``topn`` nearest listings
    (cosine, all listings but the query) of the session's last click.

    Chance: ``topn / (N - 1)`` with ``N`` listings in all.
    """
    ids, vecs = _unit_rows(wv, world, range(len(world["names"])))
    row = np.full(len(world["names"]), -1)
    row[ids] = np.arange(len(ids))
    pairs = np.array([(row[clicks[-1]], row[booked]) for clicks, booked in sessions if booked is not None])
    pairs = pairs[(pairs >= 0).all(axis=1)]
    if not len(pairs):
        return 0.0
    hits = 0
    for chunk in np.array_split(pairs, max(1, len(pairs) // 2048)):
        sims = vecs[chunk[:, 0]] @ vecs.T
        sims[np.arange(len(chunk)), chunk[:, 0]] = -np.inf
        # the booked listing is a hit when fewer than topn listings are strictly nearer
        hits += int(((sims > sims[np.arange(len(chunk)), chunk[:, 1]][:, None]).sum(axis=1) < topn).sum())
    return hits / len(pairs)


def chance(world, topn=10):
    """What :func:`type_share` and :func:`booking_hits` score for random vectors:
    ``{"type_share@10": ..., "booking_hit@10": ...}`` (``topn`` in the names)."""
    listings, n = world["listings"], len(world["names"])
    # a random same-market neighbour has the listing's type with this probability, whatever topn
    return {f"type_share@{topn}": (listings / world["types"] - 1) / (listings - 1),
            f"booking_hit@{topn}": topn / (n - 1)}
