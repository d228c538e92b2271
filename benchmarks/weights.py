"""Sentence weights against noise: half of a planted corpus replaced by noise.

A planted corpus (``benchmarks/corpora.py``: word clusters and factorised
analogies hidden in Zipf noise) loses half of its sentences to noise: the
same sentences with their tokens shuffled across all of them, so the words
and their frequencies stay and their co-occurrences become random. Three
runs per seed, skip-gram negative sampling:

* ``clean only``: the clean half alone;
* ``clean + noise, unweighted``: both halves, every sentence weight 1;
* ``clean + noise, noise weight 0.1``: both halves, the noise as
  ``Sentence(words, weight=0.1)``.

All three share one vocabulary, built from the whole corpus (clean and
noise): a vocabulary of the clean half alone would drop its rare words from
the sentences, which brings topic words closer inside windows and flatters
that run for a reason unrelated to noise (seed 1: purity 0.695 with its own
vocabulary, 0.575 with the shared one). Scored with the planted truth
(``score_planted``): cluster purity (chance about 1/20) and analogy accuracy
(chance about 1/vocabulary).

    python benchmarks/weights.py --seeds 1 2 3
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpora  # noqa: E402
from quality import mean_se_cell  # noqa: E402

import gensim_losses as G  # noqa: E402


def split_with_noise(sentences, rng):
    """``(clean, noise)``: a random half kept, the other half's tokens shuffled among its sentences."""
    order = rng.permutation(len(sentences))
    clean = [sentences[i] for i in order[: len(order) // 2]]
    dirty = [sentences[i] for i in order[len(order) // 2:]]
    tokens = rng.permutation(np.array([w for s in dirty for w in s], dtype=object))
    ends = np.cumsum([len(s) for s in dirty])
    noise = [list(part) for part in np.split(tokens, ends[:-1])]
    return clean, noise


def run(seeds, tokens=500_000, epochs=5, log=sys.stderr):
    variants = ("clean only", "clean + noise, unweighted", "clean + noise, noise weight 0.1")
    results = {v: {"cluster_purity": [], "analogy_acc": []} for v in variants}
    for seed in seeds:
        sentences, truth = corpora.planted_corpus(n_tokens=tokens, seed=seed)
        clean, noise = split_with_noise(sentences, np.random.default_rng(seed))
        corpora_by_variant = {
            variants[0]: clean,
            variants[1]: clean + noise,
            variants[2]: clean + [G.Sentence(s, weight=0.1) for s in noise],
        }
        for name, corpus in corpora_by_variant.items():
            shuffled = [corpus[i] for i in np.random.default_rng(seed).permutation(len(corpus))]
            model = G.Word2Vec(vector_size=50, window=5, min_count=5, sg=1, negative=5, workers=2, seed=seed)
            model.build_vocab(clean + noise)
            model.train(shuffled, total_examples=len(shuffled), epochs=epochs)
            score = corpora.score_planted(model.wv, truth)
            for key in results[name]:
                results[name][key].append(score[key])
            print(f"seed {seed} {name}: purity {score['cluster_purity']:.3f} analogies {score['analogy_acc']:.3f}",
                  file=log, flush=True)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--tokens", type=int, default=500_000)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args(argv)
    results = run(args.seeds, args.tokens, args.epochs)
    print(f"| corpus | cluster purity (mean ± SE, n={len(args.seeds)}) | analogy accuracy (mean ± SE) |")
    print("|---|---|---|")
    for name, metrics in results.items():
        cells = [mean_se_cell(metrics[key]) for key in ("cluster_purity", "analogy_acc")]
        print(f"| {name} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
