"""Airbnb-style listing embeddings on generated search sessions with planted truth.

Grbovic and Cheng (KDD 2018) train listing vectors on click sessions with
two changes to skip-gram: the booked listing is a *global context* every
listing of a booked session predicts, and extra negatives are drawn from the
*same market*. This script plants the structure those changes are for and
measures whether they recover it, against plain negative sampling.

The world (:func:`make_world`): ``markets`` markets of ``listings`` listings,
each listing of one of ``types`` types within its market, with a click
popularity (Zipf within its market) and a booking appeal (log-normal,
independent of popularity). A session (:func:`make_sessions`) browses one
market with one preferred type: each click is a listing of that type with
probability ``focus``, else any listing of the market, popularity-weighted.
A share ``booking_rate`` of sessions ends in a booking: a listing of the
preferred type, drawn by appeal. Every session is a ``Sentence`` of its
clicks followed by the booked listing (so plain negative sampling sees the
booking too, as the last click); for ``GlobalContextLoss`` the booked
listing is also its ``context``.

Metrics (on held-out sessions for the booking, on the listing vectors for
the types):

* ``type_share@10``: for every listing, the share of its 10 nearest
  listings *of the same market* (cosine) that have its type. Chance:
  ``(listings / types - 1) / (listings - 1)``.
* ``booking_hit@10``: for every held-out booked session, whether the booked
  listing is among the 10 nearest listings (cosine, all listings but the
  query) of the session's last clicked listing. Chance: ``10 / (N - 1)``
  with ``N`` listings in all.

    python benchmarks/airbnb.py --seeds 1 2 3
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import mean_se_cell  # noqa: E402

import gensim_losses as G  # noqa: E402


def make_world(rng, markets=20, listings=200, types=10, appeal_sigma=1.5):
    """Listing names, their market and type, click popularity and booking appeal."""
    n = markets * listings
    market = np.repeat(np.arange(markets), listings)
    kind = np.tile(np.arange(listings) % types, markets)
    popularity = np.concatenate([rng.permutation(1.0 / (np.arange(listings) + 3.0)) for _ in range(markets)])
    appeal = rng.lognormal(0.0, appeal_sigma, n)
    names = np.array([f"m{m}_l{i}" for m, i in zip(market, np.arange(n) % listings)])
    return dict(names=names, market=market, type=kind, popularity=popularity, appeal=appeal,
                markets=markets, listings=listings, types=types)


def _tables(world, weights, by_type):
    """Cumulative weights per market (or per market and type), and the ids they index."""
    ids = np.arange(len(weights))
    key = world["market"] * world["types"] + world["type"] if by_type else world["market"]
    groups = [ids[key == k] for k in range(key.max() + 1)]
    return groups, [np.cumsum(weights[g]) / weights[g].sum() for g in groups]


def make_sessions(world, rng, n, focus=0.35, booking_rate=0.3, length=(4, 14)):
    """``n`` sessions ``(clicks, booked or None)`` of listing indices: each browses one market
    with one preferred type; a click is of that type with probability ``focus``, else any
    listing of the market, by popularity; a booking is of the preferred type, by appeal."""
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


def as_corpus(world, sessions, booking):
    """Sessions as corpus items; ``booking``: 'none' (clicks only), 'last' (the booked
    listing appended as the last click) or 'context' (Sentence.context, for GlobalContextLoss)."""
    names = world["names"]
    corpus = []
    for clicks, booked in sessions:
        words = [names[i] for i in clicks]
        if booked is not None and booking == "last":
            words.append(names[booked])
        context = [names[booked]] if (booking == "context" and booked is not None) else ()
        corpus.append(G.Sentence(words, context=context))
    return corpus


def type_share(wv, world, topn=10):
    """Share of each listing's ``topn`` nearest same-market listings that have its type."""
    shares = []
    for m in range(world["markets"]):
        ids = [i for i in range(m * world["listings"], (m + 1) * world["listings"])
               if world["names"][i] in wv.key_to_index]
        vecs = np.stack([wv.get_vector(world["names"][i], norm=True) for i in ids])
        sims = vecs @ vecs.T
        np.fill_diagonal(sims, -np.inf)
        top = np.argsort(-sims, axis=1)[:, :topn]
        kinds = world["type"][ids]
        shares.append((kinds[top] == kinds[:, None]).mean(axis=1))
    return float(np.concatenate(shares).mean())


def booking_hits(wv, world, sessions, topn=10):
    """Share of booked sessions whose booked listing is among the last click's ``topn`` nearest listings."""
    names = world["names"]
    vocab = [i for i in range(len(names)) if names[i] in wv.key_to_index]
    vecs = np.stack([wv.get_vector(names[i], norm=True) for i in vocab])
    row = {i: r for r, i in enumerate(vocab)}
    hits = total = 0
    for clicks, booked in sessions:
        if booked is None or clicks[-1] not in row or booked not in row:
            continue
        sims = vecs @ vecs[row[clicks[-1]]]
        sims[row[clicks[-1]]] = -np.inf
        total += 1
        hits += row[booked] in np.argpartition(-sims, topn)[:topn]
    return hits / total


def _markets(world):
    return dict(zip(world["names"], world["market"]))


# (label, what the corpus holds of the booking, the loss)
VARIANTS = [
    ("NS, clicks only", "none", lambda world: G.NEGSamplingLoss()),
    ("NS", "last", lambda world: G.NEGSamplingLoss()),
    ("NS + GroupNegativeLoss (markets)", "last",
     lambda world: G.NEGSamplingLoss() + G.GroupNegativeLoss(_markets(world), negative=5)),
    ("NS + GlobalContextLoss (booking)", "both", lambda world: G.NEGSamplingLoss() + G.GlobalContextLoss()),
    ("NS + both", "both", lambda world: G.NEGSamplingLoss() + G.GroupNegativeLoss(_markets(world), negative=5)
     + G.GlobalContextLoss()),
]


def as_items(world, sessions, booking):
    if booking == "both":  # the booked listing as the last click and as the global context
        return [G.Sentence(list(s.words) + list(c.context), context=c.context)
                for s, c in zip(as_corpus(world, sessions, "none"), as_corpus(world, sessions, "context"))]
    return as_corpus(world, sessions, booking)


def run(seeds, sessions=60_000, epochs=5, log=sys.stderr, **world_kw):
    results = {label: {"type_share@10": [], "booking_hit@10": []} for label, _, _ in VARIANTS}
    for seed in seeds:
        rng = np.random.default_rng(seed)
        world = make_world(rng, **world_kw)
        train_sessions = make_sessions(world, rng, sessions)
        test_sessions = make_sessions(world, rng, sessions // 2)
        for label, booking, make_loss in VARIANTS:
            start = time.perf_counter()
            model = G.Word2Vec(as_items(world, train_sessions, booking), vector_size=32, window=5, min_count=1,
                               sg=1, epochs=epochs, workers=2, seed=seed, sample=0, loss=make_loss(world))
            results[label]["type_share@10"].append(type_share(model.wv, world))
            results[label]["booking_hit@10"].append(booking_hits(model.wv, world, test_sessions))
            print(f"seed {seed} {label}: {time.perf_counter() - start:.1f}s "
                  f"type_share {results[label]['type_share@10'][-1]:.3f} "
                  f"booking_hit {results[label]['booking_hit@10'][-1]:.3f}", file=log, flush=True)
    return results, world


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--sessions", type=int, default=60_000)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args(argv)
    results, world = run(args.seeds, args.sessions, args.epochs)
    n = world["markets"] * world["listings"]
    chance = {"type_share@10": (world["listings"] / world["types"] - 1) / (world["listings"] - 1),
              "booking_hit@10": 10 / (n - 1)}
    print(f"| loss | type_share@10 (mean ± SE, n={len(args.seeds)}) | booking_hit@10 (mean ± SE) |")
    print("|---|---|---|")
    for name, metrics in results.items():
        cells = [mean_se_cell(metrics[key]) for key in ("type_share@10", "booking_hit@10")]
        print(f"| {name} | {' | '.join(cells)} |")
    print(f"| chance | {chance['type_share@10']:.3f} | {chance['booking_hit@10']:.4f} |")


if __name__ == "__main__":
    main()
