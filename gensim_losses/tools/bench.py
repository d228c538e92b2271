"""``gensim-losses bench``: throughput of gensim_losses against stock gensim, side by side in one process.

Each repetition trains both sides on the same corpus with the same parameters,
one after the other, alternating which goes first; the table gives median
raw words/s of each side and the median of the per-repetition ratios. Only
``train()`` is timed (``build_vocab`` is not). The corpora are a generated
Zipf corpus (:func:`gensim_losses.text.synthetic.zipf_corpus`, cached in
``--workdir``) and gensim's bundled ``lee_background.cor``; nothing is
downloaded. ``benchmarks/speed.py`` in a source checkout runs the same.

Examples
--------
Full table of docs/benchmarks.md (8 modes, 5M-token Zipf corpus and
lee_background)::

    gensim-losses bench --reps 5 --out speed.md

Cost of loss tallying (ours with compute_loss on against off)::

    gensim-losses bench --compare loss --reps 5

Native penalties, and the tutorial's Python ``CustomLoss`` on the hybrid
path, against bare ``NEGSamplingLoss`` (negative-sampling modes only)::

    gensim-losses bench --compare native --modes SG-NS CBOW-NS
    gensim-losses bench --compare hybrid --modes SG-NS CBOW-NS

The sentence-level terms against bare negative sampling (iterable input:
``Sentence`` items), and group negatives against negative sampling with as
many negatives in all::

    gensim-losses bench --compare weights global global-third lexicon group --modes SG-NS \\
        --inputs iterable --corpus zipf
"""

import argparse
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

import gensim
import numpy as np
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath

from gensim_losses.losses import (
    BaseLoss,
    GlobalContextLoss,
    GroupNegativeLoss,
    L2Penalty,
    LexiconPenalty,
    NEGSamplingLoss,
    NormPenalty,
)
from gensim_losses.models.persistence import atomic_write
from gensim_losses.models.word2vec import Word2Vec
from gensim_losses.text.corpus import Sentence
from gensim_losses.text.synthetic import zipf_corpus
from gensim_losses.tools.options import CLIError, _int_option, check_writable, writable_directory

MODES = {
    "SG-NS": dict(sg=1, hs=0, negative=5),
    "CBOW-NS": dict(sg=0, hs=0, negative=5),
    "SG-HS": dict(sg=1, hs=1, negative=0),
    "CBOW-HS": dict(sg=0, hs=1, negative=0),
}
BASE = dict(vector_size=100, window=5, min_count=5, workers=2)
MIN_TOKENS = 10_000  # a smaller Zipf corpus may have no word seen min_count times



class TutorialLoss(BaseLoss):
    """The tutorial's CustomLoss (DESIGN.md), as users write it: runs on the hybrid path."""

    def __init__(self, penalty):
        self.penalty = penalty
        self.neg_loss = NEGSamplingLoss()

    def forward(self, target, output):
        loss = self.neg_loss.forward(target, output)
        return loss + self.penalty * output.norm()

    def backward(self, target, output):
        grad = self.neg_loss.backward(target, output)
        grad += self.penalty * output.normalize()
        return grad


class UntracedTutorialLoss(TutorialLoss):
    """The same loss read through ``np.asarray(output)``: it does not trace, so it runs in Python at
    every example (the hybrid path's fallback; timed by benchmarks/untraced.py)."""

    def forward(self, target, output):
        h = np.asarray(output)
        return self.neg_loss.forward(target, output) + self.penalty * np.sqrt((h * h).sum(axis=1))

    def backward(self, target, output):
        return self.neg_loss.backward(target, output) + self.penalty * output.normalize()


def weighted(corpus):
    """Every sentence a Sentence with a weight in [0.5, 1.5]."""
    rng = np.random.default_rng(0)
    weights = rng.uniform(0.5, 1.5, len(corpus))
    return [Sentence(s, weight=float(w)) for s, w in zip(corpus, weights)]


def booked(share):
    """Sentences of which ``share`` carry one context token, drawn from the sentence's own words."""
    def transform(corpus):
        rng = np.random.default_rng(0)
        return [Sentence(s, context=[s[rng.integers(len(s))]] if rng.random() < share and s else ())
                for s in corpus]
    return transform


def ns(**kw):
    return lambda: dict(compute_loss=True, loss=NEGSamplingLoss(**kw))


def lexicon_pairs(top=10_000, synonyms=15_000, antonyms=3_000, seed=0):
    """Random pairs among the Zipf corpus's ``top`` most frequent words (3.6 partners each, as in WordNet)."""
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(top)])
    pick = rng.integers(0, top, size=(synonyms + antonyms, 2))
    pairs = [tuple(words[p]) for p in pick if p[0] != p[1]]
    return pairs[:synonyms], pairs[synonyms:]


def zipf_groups():
    """100 'markets' of 500 words over the Zipf vocabulary."""
    return {f"w{i}": i % 100 for i in range(50_000)}


# A side is (label, model class, function giving extra constructor arguments[,
# function transforming the iterable corpus]): loss objects are made fresh for every model.
COMPARISONS = {
    "stock": (("stock", gensim.models.Word2Vec, lambda: dict(compute_loss=True)),
              ("ours", Word2Vec, lambda: dict(compute_loss=True))),
    "loss": (("ours, no loss", Word2Vec, lambda: dict(compute_loss=False)),
             ("ours, loss", Word2Vec, lambda: dict(compute_loss=True))),
    "native": (("NEGSamplingLoss", Word2Vec,
                lambda: dict(compute_loss=True, loss=NEGSamplingLoss())),
               ("NS + NormPenalty + L2Penalty", Word2Vec,
                lambda: dict(compute_loss=True, loss=NEGSamplingLoss()
                             + NormPenalty(0.01) + L2Penalty(0.01)))),
    "hybrid": (("NEGSamplingLoss", Word2Vec,
                lambda: dict(compute_loss=True, loss=NEGSamplingLoss())),
               ("tutorial CustomLoss (Python)", Word2Vec,
                lambda: dict(compute_loss=True, loss=TutorialLoss(0.1)))),
    "shared": (("per-pair kernel", Word2Vec, lambda: dict(compute_loss=True)),
               ("shared_negatives=True", Word2Vec,
                lambda: dict(compute_loss=True, shared_negatives=True))),
    "weights": (("NEGSamplingLoss", Word2Vec, ns()),
                ("NS, weighted Sentence items", Word2Vec, ns(), weighted)),
    "global": (("NEGSamplingLoss", Word2Vec, ns()),
               ("NS + GlobalContextLoss, context on every sentence", Word2Vec,
                lambda: dict(compute_loss=True,
                             loss=NEGSamplingLoss() + GlobalContextLoss()),
                booked(1.0))),
    "global-third": (("NEGSamplingLoss", Word2Vec, ns()),
                     ("NS + GlobalContextLoss, context on a third of sentences", Word2Vec,
                      lambda: dict(compute_loss=True,
                                   loss=NEGSamplingLoss() + GlobalContextLoss()),
                      booked(1 / 3))),
    "group": (("NEGSamplingLoss(negative=10)", Word2Vec, ns(negative=10)),
              ("NEGSamplingLoss(5) + GroupNegativeLoss(negative=5)", Word2Vec,
               lambda: dict(compute_loss=True, loss=NEGSamplingLoss(negative=5)
                            + GroupNegativeLoss(zipf_groups(), negative=5)))),
    "lexicon": (("NEGSamplingLoss", Word2Vec, ns()),
                ("NS + LexiconPenalty (18k pairs)", Word2Vec,
                 lambda: dict(compute_loss=True, loss=NEGSamplingLoss()
                              + LexiconPenalty(*lexicon_pairs(), weight=0.1)))),
}


def time_training(side, params, corpus, epochs, clock=time.perf_counter):
    """Build the vocabulary, then time ``train()``; return raw words per second."""
    cls, make_extra = side[1], side[2]
    if len(side) > 3:
        if isinstance(corpus, Path):
            raise ValueError(f"{side[0]}: Sentence items need an iterable corpus (use --inputs iterable)")
        corpus = side[3](corpus)
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
        path = zipf_corpus(Path(workdir) / "zipf.txt", n_tokens=args.tokens)
        out.append((f"zipf {args.tokens / 1e6:g}M", 1, path))
    if "lee" in args.corpus:
        # lee_background is 60k words: repeat it in the file so one epoch is long enough to time
        path = Path(workdir) / "lee_x20.txt"
        text = Path(datapath("lee_background.cor")).read_text()
        path.write_text(text * 20)
        out.append(("lee_background x20", 1, path))
    return [(name, epochs, list(LineSentence(str(path))), path) for name, epochs, path in out]


def add_arguments(parser):
    """The benchmark's options, on ``parser`` (``gensim-losses bench`` and ``benchmarks/speed.py``)."""
    parser.add_argument("--compare", nargs="+", choices=sorted(COMPARISONS), default=["stock"], metavar="PAIR",
                        help="the pairs of sides to time: " + ", ".join(sorted(COMPARISONS))
                             + " (default: stock, stock gensim against ours)")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES), metavar="MODE",
                        help=f"{', '.join(MODES)} (default: all)")
    parser.add_argument("--inputs", nargs="+", choices=["iterable", "corpus_file"],
                        default=["iterable", "corpus_file"], metavar="INPUT",
                        help="iterable, corpus_file (default: both)")
    parser.add_argument("--corpus", nargs="+", choices=["zipf", "lee"], default=["zipf", "lee"],
                        metavar="CORPUS", help="zipf (generated, --tokens long), lee (gensim's "
                                               "lee_background.cor x20) (default: both)")
    parser.add_argument("--tokens", type=_int_option(MIN_TOKENS), default=5_000_000,
                        help=f"size of the Zipf corpus (default 5000000, at least {MIN_TOKENS})")
    parser.add_argument("--reps", type=_int_option(1), default=5, help="repetitions (default 5)")
    parser.add_argument("--workers", type=_int_option(1), default=BASE["workers"],
                        help=f"training threads (default {BASE['workers']})")
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                        help="wall: words per second of train() (default); cpu: words per CPU-second of the "
                             "whole process (steadier on a busy machine; use with --workers 1 to measure "
                             "per-example cost)")
    parser.add_argument("--workdir", default=None,
                        help="where corpora are cached, made if missing (default: a temp dir)")
    parser.add_argument("--out", help="also write the markdown table here")
    return parser


def _temporary_directory():
    try:
        return tempfile.TemporaryDirectory(prefix="gensim-losses-bench-")
    except OSError as exc:
        raise CLIError(f"cannot make a temporary directory for the corpora in {tempfile.gettempdir()} "
                       f"({exc.strerror or exc}): give --workdir, or set TMPDIR") from None


def cpu_model():
    """The CPU's model name (Linux's /proc/cpuinfo, else what ``platform`` says)."""
    import platform

    try:
        with open("/proc/cpuinfo") as fh:
            return next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def machine():
    """What a speed table must name: the CPU, its cores, and the kernel variant this process runs."""
    from gensim_losses import kernels

    return f"CPU {cpu_model()} ({os.cpu_count()} cores), gensim_losses kernels {kernels.ISA}"


def run(args):
    """Time every comparison, mode, input and corpus of ``args``; print the table as it grows.

    The outputs (``--out``, ``--workdir``) are checked first, before anything is
    timed: a ``CLIError`` (one line from the command) says what is wrong with them."""
    if args.out:
        check_writable(args.out, "--out")
    workdir = writable_directory(args.workdir, "--workdir") if args.workdir else None
    lines = [machine(), ""]
    print(lines[0], flush=True)
    with _temporary_directory() as tmp:
        corpora = corpora_for(args, workdir or tmp)
        for comparison in args.compare:
            sides = COMPARISONS[comparison]
            a, b = sides[0][0], sides[1][0]
            header = [f"| corpus | mode | input | {a} words/s | {b} words/s | ratio (median) | ratios |",
                      "|---|---|---|---|---|---|---|"]
            lines += ([""] if len(lines) > 2 else []) + header
            print("\n" + "\n".join(header), flush=True)
            for name, epochs, sentences, path in corpora:
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
        try:
            atomic_write(args.out, lambda tmp: Path(tmp).write_text("\n".join(lines) + "\n"))
        except OSError as exc:  # checked before timing, but a disk can fill up meanwhile
            raise CLIError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    return lines


def main(argv=None, prog=None):
    parser = add_arguments(argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0]))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    try:
        run(args)
    except (CLIError, ValueError) as exc:
        parser.exit(2, f"{parser.prog}: error: {exc}\n")
