"""Airbnb-style listing embeddings on generated search sessions with planted truth.

Grbovic and Cheng (KDD 2018) train listing vectors on click sessions with
two changes to skip-gram: the booked listing is a *global context* every
listing of a booked session predicts, and extra negatives are drawn from the
*same market*. This script plants the structure those changes are for and
measures whether they recover it, against plain negative sampling.

The world (:func:`gensim_losses.text.synthetic.make_world`): ``markets`` markets of ``listings`` listings,
each listing of one of ``types`` types within its market, with a click
popularity (Zipf within its market) and a booking appeal (log-normal,
independent of popularity). A session (:func:`~gensim_losses.text.synthetic.make_sessions`) browses one
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
from gensim_losses.text.synthetic import (  # noqa: E402
    booking_hits,
    chance,
    make_sessions,
    make_world,
    market_groups,
    session_corpus,
    type_share,
)

# (label, what the corpus holds of the booking, the loss)
VARIANTS = [
    ("NS, clicks only", "none", lambda world: G.NEGSamplingLoss()),
    ("NS", "last", lambda world: G.NEGSamplingLoss()),
    ("NS + GroupNegativeLoss (markets)", "last",
     lambda world: G.NEGSamplingLoss() + G.GroupNegativeLoss(market_groups(world), negative=5)),
    ("NS + GlobalContextLoss (booking)", "both", lambda world: G.NEGSamplingLoss() + G.GlobalContextLoss()),
    ("NS + both", "both", lambda world: G.NEGSamplingLoss() + G.GroupNegativeLoss(market_groups(world), negative=5)
     + G.GlobalContextLoss()),
]


def run(seeds, sessions=60_000, epochs=5, log=sys.stderr, **world_kw):
    results = {label: {"type_share@10": [], "booking_hit@10": []} for label, _, _ in VARIANTS}
    for seed in seeds:
        rng = np.random.default_rng(seed)
        world = make_world(rng, **world_kw)
        train_sessions = make_sessions(world, rng, sessions)
        test_sessions = make_sessions(world, rng, sessions // 2)
        for label, booking, make_loss in VARIANTS:
            start = time.perf_counter()
            model = G.Word2Vec(session_corpus(world, train_sessions, booking), vector_size=32, window=5,
                               min_count=1, sg=1, epochs=epochs, workers=2, seed=seed, sample=0,
                               loss=make_loss(world))
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
    levels = chance(world)
    print(f"| loss | type_share@10 (mean ± SE, n={len(args.seeds)}) | booking_hit@10 (mean ± SE) |")
    print("|---|---|---|")
    for name, metrics in results.items():
        cells = [mean_se_cell(metrics[key]) for key in ("type_share@10", "booking_hit@10")]
        print(f"| {name} | {' | '.join(cells)} |")
    print(f"| chance | {levels['type_share@10']:.3f} | {levels['booking_hit@10']:.4f} |")


if __name__ == "__main__":
    main()
