"""What evaluate_loss costs against training the same corpus for one epoch.

A model is trained on the first ``--tokens`` tokens of the shared 20M-token
corpus; then, interleaved over ``--reps`` repetitions, the same corpus is
(a) trained for one more epoch (on a copy, so every repetition starts from
the same weights) and (b) evaluated with ``evaluate_loss``, every weight
frozen (Word2Vec's negatives drawn once per window, the default, and per
example, ``share=False``); the table gives the medians, the ratio of each
repetition, and the held-out loss per example both ways::

    python benchmarks/heldout.py --tokens 2000000 --reps 5

Skip-gram and CBOW with negative sampling (dim 100, window 5, 5 negatives,
gensim's defaults otherwise), ``corpus_file`` input, ``--workers`` threads.
"""

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import head_lines  # noqa: E402

import gensim_losses as G  # noqa: E402
from gensim_losses import kernels  # noqa: E402
from gensim_losses.tools.bench import cpu_model  # noqa: E402
from gensim_losses.training.heldout import evaluate_loss  # noqa: E402

WORKDIR = Path("/tmp/gensim_losses_peers")


def sample(tokens):
    path = WORKDIR / f"first_{tokens}.txt"  # the file benchmarks/distributed.py makes too
    if not path.exists():
        path.write_text("".join(head_lines(tokens)), encoding="utf8")
    return str(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=2_000_000)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    path = sample(args.tokens)
    print(f"{cpu_model()}, kernels {kernels.ISA}, {args.workers} threads; {args.tokens / 1e6:g}M tokens of the "
          f"shared corpus, corpus_file; {args.reps} interleaved repetitions (medians)")
    print("| mode | train 1 epoch s | evaluate_loss s | evaluate / train (per repetition) | per-example draws s "
          "| / train | loss/example: window draws, per-example draws |")
    print("|---|---|---|---|---|---|---|")
    for sg in (1, 0):
        model = G.Word2Vec(corpus_file=path, vector_size=100, window=5, negative=5, min_count=5, epochs=1,
                           workers=args.workers, seed=1, sg=sg)
        trains, evals, alone = [], [], []
        for _ in range(args.reps):
            twin = copy.deepcopy(model)
            start = time.perf_counter()
            twin.train(corpus_file=path, total_words=model.corpus_total_words, epochs=1)
            trains.append(time.perf_counter() - start)
            start = time.perf_counter()
            shared = model.evaluate_loss(corpus_file=path)
            evals.append(time.perf_counter() - start)
            start = time.perf_counter()
            single = evaluate_loss(model, corpus_file=path, share=False)
            alone.append(time.perf_counter() - start)
        ratios = [e / t for e, t in zip(evals, trains)]
        med = statistics.median
        print(f"| {'skip-gram' if sg else 'CBOW'} NS | {med(trains):.2f} | {med(evals):.2f} "
              f"| **{med(ratios):.2f}** ({', '.join(f'{r:.2f}' for r in ratios)}) | {med(alone):.2f} | "
              f"{med(a / t for a, t in zip(alone, trains)):.2f} | {shared['total'] / shared['examples']:.5f}, "
              f"{single['total'] / single['examples']:.5f} |", flush=True)


if __name__ == "__main__":
    main()
