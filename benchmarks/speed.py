"""Throughput of gensim_losses against stock gensim, side by side in one process.

Each repetition trains both sides on the same corpus with the same parameters,
one after the other, alternating which goes first; the table gives median
raw words/s of each side and the median of the per-repetition ratios. Only
``train()`` is timed (``build_vocab`` is not).

Examples
--------
Full table of docs/benchmarks.md (8 modes, 5M-token Zipf corpus and
lee_background)::

    python benchmarks/speed.py --reps 5 --out docs/speed.md

Cost of loss tallying (ours with compute_loss on against off)::

    python benchmarks/speed.py --compare loss --reps 5

Native penalties, and the tutorial's Python ``CustomLoss`` on the hybrid
path, against bare ``NEGSamplingLoss`` (negative-sampling modes only)::

    python benchmarks/speed.py --compare native --modes SG-NS CBOW-NS
    python benchmarks/speed.py --compare hybrid --modes SG-NS CBOW-NS
"""

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import gensim
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpora  # noqa: E402

import gensim_losses  # noqa: E402

MODES = {
    "SG-NS": dict(sg=1, hs=0, negative=5),
    "CBOW-NS": dict(sg=0, hs=0, negative=5),
    "SG-HS": dict(sg=1, hs=1, negative=0),
    "CBOW-HS": dict(sg=0, hs=1, negative=0),
}
BASE = dict(vector_size=100, window=5, min_count=5, workers=2)



class TutorialLoss(gensim_losses.BaseLoss):
    """The tutorial's CustomLoss (DESIGN.md), as users write it: runs on the hybrid path."""

    def __init__(self, penalty):
        self.penalty = penalty
        self.neg_loss = gensim_losses.NEGSamplingLoss()

    def forward(self, target, output):
        loss = self.neg_loss.forward(target, output)
        return loss + self.penalty * output.norm()

    def backward(self, target, output):
        grad = self.neg_loss.backward(target, output)
        grad += self.penalty * output.normalize()
        return grad


# A side is (label, model class, function giving extra constructor arguments):
# loss objects are made fresh for every model.
COMPARISONS = {
    "stock": (("stock", gensim.models.Word2Vec, lambda: dict(compute_loss=True)),
              ("ours", gensim_losses.Word2Vec, lambda: dict(compute_loss=True))),
    "loss": (("ours, no loss", gensim_losses.Word2Vec, lambda: dict(compute_loss=False)),
             ("ours, loss", gensim_losses.Word2Vec, lambda: dict(compute_loss=True))),
    "native": (("NEGSamplingLoss", gensim_losses.Word2Vec,
                lambda: dict(compute_loss=True, loss=gensim_losses.NEGSamplingLoss())),
               ("NS + NormPenalty + L2Penalty", gensim_losses.Word2Vec,
                lambda: dict(compute_loss=True, loss=gensim_losses.NEGSamplingLoss()
                             + gensim_losses.NormPenalty(0.01) + gensim_losses.L2Penalty(0.01)))),
    "hybrid": (("NEGSamplingLoss", gensim_losses.Word2Vec,
                lambda: dict(compute_loss=True, loss=gensim_losses.NEGSamplingLoss())),
               ("tutorial CustomLoss (Python)", gensim_losses.Word2Vec,
                lambda: dict(compute_loss=True, loss=TutorialLoss(0.1)))),
}


def time_training(side, params, corpus, epochs, clock=time.perf_counter):
    """Build the vocabulary, then time ``train()``; return raw words per second."""
    _, cls, make_extra = side
    extra = make_extra()
    if "loss" in extra:  # the loss sets hs/negative
        params = {k: v for k, v in params.items() if k not in ("hs", "negative")}
    model = cls(**params, **extra)
    if isinstance(corpus, Path):
        model.build_vocab(corpus_file=str(corpus))
        start = clock()
        _, raw = model.train(corpus_file=str(corpus), total_words=model.corpus_total_words, epochs=epochs,
                             compute_loss=extra["compute_loss"])
    else:
        model.build_vocab(corpus)
        start = clock()
        _, raw = model.train(corpus, total_examples=model.corpus_count, epochs=epochs,
                             compute_loss=extra["compute_loss"])
    return raw / (clock() - start)


def compare(sides, params, corpus, epochs, reps, clock=time.perf_counter):
    """Median words/s of both sides and the median per-repetition ratio b/a."""
    rates = ([], [])
    for rep in range(reps):
        order = (0, 1) if rep % 2 == 0 else (1, 0)
        for i in order:
            rates[i].append(time_training(sides[i], params, corpus, epochs, clock))
    ratios = [b / a for a, b in zip(*rates)]
    return statistics.median(rates[0]), statistics.median(rates[1]), statistics.median(ratios), ratios


def corpora_for(args, workdir):
    """(name, epochs, iterable corpus, corpus file) for each corpus asked for."""
    out = []
    if "zipf" in args.corpus:
        path = corpora.zipf_corpus(Path(workdir) / "zipf.txt", n_tokens=args.tokens)
        out.append((f"zipf {args.tokens / 1e6:g}M", 1, path))
    if "lee" in args.corpus:
        # lee_background is 60k words: repeat it in the file so one epoch is long enough to time
        path = Path(workdir) / "lee_x20.txt"
        text = Path(datapath("lee_background.cor")).read_text()
        path.write_text(text * 20)
        out.append(("lee_background x20", 1, path))
    return [(name, epochs, list(LineSentence(str(path))), path) for name, epochs, path in out]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", choices=sorted(COMPARISONS), default="stock")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--inputs", nargs="+", choices=["iterable", "corpus_file"],
                        default=["iterable", "corpus_file"])
    parser.add_argument("--corpus", nargs="+", choices=["zipf", "lee"], default=["zipf", "lee"])
    parser.add_argument("--tokens", type=int, default=5_000_000, help="size of the Zipf corpus")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--workers", type=int, default=BASE["workers"])
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="cpu: words per CPU-second of the whole process (steadier on a busy machine; "
                             "use with --workers 1 to measure per-example cost)")
    parser.add_argument("--workdir", default=None, help="where corpora are cached (default: a temp dir)")
    parser.add_argument("--out", help="also write the markdown table here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    sides = COMPARISONS[args.compare]
    a, b = sides[0][0], sides[1][0]
    lines = [
        f"| corpus | mode | input | {a} words/s | {b} words/s | ratio {b}/{a} (median) | ratios |",
        "|---|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, epochs, sentences, path in corpora_for(args, args.workdir or tmp):
            for mode in args.modes:
                for source in args.inputs:
                    corpus = sentences if source == "iterable" else path
                    rate_a, rate_b, ratio, ratios = compare(
                        sides, dict(BASE, workers=args.workers, **MODES[mode]), corpus, epochs, args.reps,
                        time.process_time if args.clock == "cpu" else time.perf_counter)
                    row = (f"| {name} | {mode} | {source} | {rate_a / 1e6:.2f}M | {rate_b / 1e6:.2f}M "
                           f"| **{ratio:.2f}** | {' '.join(f'{r:.2f}' for r in ratios)} |")
                    lines.append(row)
                    print(row, flush=True)
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
