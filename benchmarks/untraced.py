"""The hybrid path's fallback: the tutorial loss compiled against the same term written so that it
does not trace (``np.asarray(output)``), which then runs in Python at every example.

lee_background (60k words), dim 100, 2 workers, 1 epoch, ``--reps`` interleaved repetitions; prints
words/s of each side and the median ratio::

    python benchmarks/untraced.py --reps 3
"""

import argparse
import logging
import statistics
import time

from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath

import gensim_losses as G
from gensim_losses.tools.bench import TutorialLoss, UntracedTutorialLoss

SIDES = (("compiled", TutorialLoss), ("Python per example", UntracedTutorialLoss))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args(argv)
    logging.disable(logging.WARNING)  # the fallback's warning, once per model
    corpus = list(LineSentence(datapath("lee_background.cor")))
    words = sum(map(len, corpus))
    print("| mode | compiled words/s | Python per example words/s | ratio (median) | ratios |")
    print("|---|---|---|---|---|")
    for sg in (1, 0):
        speeds = {name: [] for name, _ in SIDES}
        for rep in range(args.reps):
            for name, cls in SIDES[::1 if rep % 2 == 0 else -1]:
                model = G.Word2Vec(vector_size=100, sg=sg, min_count=5, workers=2, epochs=1, seed=rep + 1,
                                   loss=cls(0.1))
                model.build_vocab(corpus)
                start = time.perf_counter()
                model.train(corpus, total_examples=model.corpus_count, epochs=1)
                speeds[name].append(words / (time.perf_counter() - start))
        ratios = [p / c for c, p in zip(speeds["compiled"], speeds["Python per example"])]
        compiled, python = statistics.median(speeds["compiled"]), statistics.median(speeds["Python per example"])
        print(f"| {'SG-NS' if sg else 'CBOW-NS'} | {compiled / 1e6:.2f}M | {python / 1e3:.1f}k | "
              f"**{statistics.median(ratios):.3f}** | " + " ".join(f"{r:.3f}" for r in ratios) + " |", flush=True)


if __name__ == "__main__":
    main()
