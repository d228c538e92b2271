"""Quality benchmark: does ``gensim_losses.Word2Vec`` learn vectors as good as gensim's?

Stock :class:`gensim.models.Word2Vec` and :class:`gensim_losses.Word2Vec` are
trained with identical parameters and seeds, in every requested mode
(skip-gram / CBOW, negative sampling / hierarchical softmax), on two corpora:

* a **planted** corpus (:func:`benchmarks.corpora.planted_corpus`) with word
  clusters and factorised analogies hidden in Zipf noise, scored against its
  ground truth by :func:`benchmarks.corpora.score_planted`;
* a **real-text** corpus made of the English text shipped in gensim's test
  data (:func:`benchmarks.corpora.real_text_corpus`: 106 Wikipedia articles
  plus the Lee news corpus, about 0.5M tokens; nothing is downloaded), scored
  with gensim's shipped test sets: WordSim-353 and SimLex-999 (Spearman
  correlation, :meth:`~gensim.models.KeyedVectors.evaluate_word_pairs`) and the
  Google analogies ``questions-words.txt``
  (:meth:`~gensim.models.KeyedVectors.evaluate_word_analogies`). The corpus is
  small, so coverage of the test sets is partial and absolute scores are low;
  the coverage is printed under the table. Only the stock-vs-ours comparison
  is meaningful.

With ``--corpus-file`` both train through ``corpus_file=``. That is not a
like-for-like comparison of kernels: with ``workers > 1`` stock gensim measures
each worker's progress against the *whole* corpus, so its learning rate only
decays by ``1 / workers`` of an epoch's share within each epoch (a sawtooth
schedule), which changes its quality by itself. Compare each implementation's
``--corpus-file`` numbers with its in-memory numbers as well.

Each corpus is fixed (generator seed 0); the ``--seeds`` training seeds
(``seed=1..N``) vary the initialisation, negative sampling, window shrinking
and downsampling. With ``workers=2`` runs are not bit-reproducible anyway
(thread scheduling), which is part of the noise being measured.

The table gives, per mode and metric, mean ± sample standard deviation over
seeds for each implementation, the difference ``ours - stock`` and a verdict.
A difference is *within noise* when ``|diff| <= 2 * SE`` with
``SE = sqrt((sd_stock**2 + sd_ours**2) / n)``, the standard error of a
difference of two means of ``n`` seeds (roughly a 95% interval; with n = 3 it
is a coarse screen, not a test). Otherwise the row says which side is better.

Usage::

    PYTHONPATH=. python benchmarks/quality.py --out out/quality.md   # all 4 modes, 3 seeds: ~5 min on 2 cores
    PYTHONPATH=. python benchmarks/quality.py --quick                # NS only, small corpora: ~20 s
    PYTHONPATH=. python benchmarks/quality.py --modes sg-hs --corpora real-text --seeds 8
    PYTHONPATH=. python benchmarks/quality.py --corpus-file          # train through corpus_file=

Corpora are cached under ``out/bench-cache`` (``--cache-dir``). The report
names the gensim_losses build it measured: to benchmark a fixed commit while
the package is being edited, point ``PYTHONPATH`` at a built copy of it.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

# Scoring is many small matrix-vector products: a multi-threaded BLAS only
# spins against the two training threads (4x slower here). Training does not
# use threaded BLAS. Must be set before numpy is first imported.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.append(str(Path(__file__).resolve().parents[1]))  # after PYTHONPATH, which may pin gensim_losses

import numpy as np  # noqa: E402
from gensim.models import Word2Vec as StockWord2Vec  # noqa: E402
from gensim.models.word2vec import LineSentence  # noqa: E402
from gensim.test.utils import datapath  # noqa: E402

from benchmarks import corpora  # noqa: E402
from gensim_losses import Word2Vec as OurWord2Vec  # noqa: E402

IMPLEMENTATIONS = {"stock": StockWord2Vec, "ours": OurWord2Vec}

MODES = {
    "sg-ns": {"sg": 1, "hs": 0, "negative": 5},
    "cbow-ns": {"sg": 0, "hs": 0, "negative": 5},
    "sg-hs": {"sg": 1, "hs": 1, "negative": 0},
    "cbow-hs": {"sg": 0, "hs": 1, "negative": 0},
}

# compute_loss=True is our default; stock gensim's loss tally does not change its updates.
COMMON = {"vector_size": 100, "window": 5, "min_count": 5, "workers": 2, "compute_loss": True}

CORPORA = ("planted", "real-text")

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    """One benchmark configuration.

    Attributes
    ----------
    seeds : int
        Number of training seeds (``seed=1..seeds``).
    modes : tuple of str
        Keys of :data:`MODES`.
    planted_tokens : int
        Size of the planted corpus.
    planted_epochs : int
        Epochs on the planted corpus.
    n_analogies : int
        Planted analogy quadruples scored.
    real_sources : tuple of str
        Sources of :func:`benchmarks.corpora.real_text_corpus`.
    real_epochs : int
        Epochs on the real-text corpus.
    corpora : tuple of str
        Which of ``"planted"`` and ``"real-text"`` to run.
    """

    seeds: int = 3
    modes: tuple = ("sg-ns", "cbow-ns", "sg-hs", "cbow-hs")
    planted_tokens: int = 500_000
    planted_epochs: int = 5
    n_analogies: int = 1000
    real_sources: tuple = ("enwiki", "lee")
    real_epochs: int = 5
    corpora: tuple = CORPORA


DEFAULT = Settings()
QUICK = Settings(seeds=2, modes=("sg-ns", "cbow-ns"), planted_tokens=150_000, n_analogies=300,
                 real_sources=("lee",), real_epochs=5)


# ---------------------------------------------------------------------------- evaluation
def _count_analogy_questions(path):
    with open(path, encoding="utf-8") as fh:
        return sum(1 for line in fh if line.strip() and not line.startswith(":"))


def score_real(wv):
    """Score vectors with gensim's shipped similarity and analogy test sets.

    Parameters
    ----------
    wv : gensim.models.KeyedVectors
        Trained vectors.

    Returns
    -------
    scores : dict of str to float
        ``wordsim353`` and ``simlex999``: Spearman correlation over the pairs
        whose words are both in the vocabulary; ``google_analogy``: accuracy of
        :meth:`~gensim.models.KeyedVectors.evaluate_word_analogies` (3CosAdd
        over the whole vocabulary) over the questions it could answer.
    coverage : dict of str to float
        Share of pairs / questions with all words in the vocabulary.
    """
    scores, coverage = {}, {}
    for name, fname in (("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")):
        _, spearman, oov_percent = wv.evaluate_word_pairs(datapath(fname))
        scores[name] = float(spearman[0])
        coverage[name] = 1.0 - oov_percent / 100.0
    path = datapath("questions-words.txt")
    accuracy, sections = wv.evaluate_word_analogies(path)
    total = next(s for s in sections if s["section"] == "Total accuracy")
    scores["google_analogy"] = float(accuracy)
    answered = len(total["correct"]) + len(total["incorrect"])
    coverage["google_analogy"] = answered / _count_analogy_questions(path)
    return scores, coverage


# ---------------------------------------------------------------------------- statistics and report
def summarise(values):
    """Mean and sample standard deviation (0 for a single value)."""
    arr = np.asarray(values, dtype=np.float64)
    return float(arr.mean()), float(arr.std(ddof=1)) if len(arr) > 1 else 0.0


def mean_se_cell(values, fmt=".3f"):
    """``"mean ± standard error"`` of per-seed values, each formatted by ``fmt``; one value alone, without an
    SE (one seed says nothing of the noise)."""
    mean, sd = summarise(values)
    if len(values) < 2:
        return f"{mean:{fmt}} (1 seed)"
    return f"{mean:{fmt}} ± {sd / np.sqrt(len(values)):{fmt}}"


def verdict(stock, ours):
    """Compare two samples of a higher-is-better metric.

    Parameters
    ----------
    stock, ours : sequence of float
        One value per seed each, of equal length ``n``.

    Returns
    -------
    diff : float
        ``mean(ours) - mean(stock)``.
    label : str
        ``"within noise"`` if ``|diff| <= 2 * sqrt((sd_stock**2 + sd_ours**2) / n)``,
        else ``"ours better"`` or ``"ours WORSE"``.
    """
    (m_s, sd_s), (m_o, sd_o) = summarise(stock), summarise(ours)
    diff = m_o - m_s
    bound = 2.0 * math.sqrt((sd_s**2 + sd_o**2) / len(stock))
    if abs(diff) <= bound:
        return diff, "within noise"
    return diff, "ours better" if diff > 0 else "ours WORSE"


def markdown_table(results, settings):
    """Render ``results[(corpus, mode, metric)][impl] -> list of float`` as a markdown table."""
    lines = [
        f"| corpus | mode | metric | stock (mean ± sd, n={settings.seeds}) | ours (mean ± sd) "
        "| diff (ours - stock) | verdict (2·SE) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for (corpus, mode, metric), by_impl in results.items():
        stock, ours = by_impl["stock"], by_impl["ours"]
        (m_s, sd_s), (m_o, sd_o) = summarise(stock), summarise(ours)
        diff, label = verdict(stock, ours)
        if label != "within noise":
            label = f"**{label}**"
        lines.append(f"| {corpus} | {mode} | {metric} | {m_s:.4f} ± {sd_s:.4f} | {m_o:.4f} ± {sd_o:.4f} "
                     f"| {diff:+.4f} | {label} |")
    return "\n".join(lines)


def provenance():
    """Where the compared code comes from: package paths, versions, git commit of gensim_losses.

    The package may be edited while a benchmark runs; the report says which
    build was measured (each process keeps the modules it imported first).
    """
    import subprocess

    import gensim

    import gensim_losses

    where = Path(gensim_losses.__file__).resolve().parent
    try:
        from gensim_losses import kernels
        isa = getattr(kernels, "ISA", "n/a")
    except ImportError:
        isa = "n/a"
    commit = "no git checkout"
    try:
        head = subprocess.run(["git", "-C", str(where), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, check=True).stdout.strip()
        commit = f"git {head}" + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        pass
    return (f"gensim_losses {gensim_losses.__version__} from {where} ({commit}; kernels {isa}); "
            f"gensim {gensim.__version__}; numpy {np.__version__}")


# ---------------------------------------------------------------------------- training
def train(impl, corpus, mode, seed, epochs, corpus_file=None):
    """Train one model.

    Parameters
    ----------
    impl : str
        Key of :data:`IMPLEMENTATIONS`.
    corpus : list of list of str or None
        Sentences (ignored if ``corpus_file`` is given).
    mode : str
        Key of :data:`MODES`.
    seed : int
        Training seed.
    epochs : int
        Number of epochs.
    corpus_file : str, optional
        Train from this LineSentence file with gensim's ``corpus_file`` path.

    Returns
    -------
    model : gensim.models.Word2Vec
    seconds : float
        Wall time of vocabulary building plus training.
    """
    params = dict(COMMON, **MODES[mode], seed=seed, epochs=epochs)
    start = time.perf_counter()
    if corpus_file is not None:
        model = IMPLEMENTATIONS[impl](corpus_file=str(corpus_file), **params)
    else:
        model = IMPLEMENTATIONS[impl](sentences=corpus, **params)
    return model, time.perf_counter() - start


def run(settings, cache_dir, use_corpus_file=False, log=sys.stderr):
    """Train and score every (corpus, mode, seed, implementation).

    Stock and ours are trained back to back for each (mode, seed), so a
    change in machine load hits both alike.

    Parameters
    ----------
    settings : Settings
        What to run.
    cache_dir : pathlib.Path
        Where corpus files are kept between runs.
    use_corpus_file : bool, optional
        Train through ``corpus_file`` instead of an in-memory sentence list.
    log : file-like, optional
        Where progress goes.

    Returns
    -------
    results : dict
        ``results[(corpus, mode, metric)][impl]`` is the list of per-seed values.
    notes : list of str
        Coverage, vocabulary and timing facts for the report.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    results, notes, seconds = {}, [], {}

    jobs, files, truth = [], {}, None
    if "planted" in settings.corpora:
        planted, truth = corpora.planted_corpus(n_tokens=settings.planted_tokens,
                                                n_analogies=settings.n_analogies)
        jobs.append(("planted", planted, settings.planted_epochs))
        if use_corpus_file:
            files["planted"] = corpora.write_sentences(
                planted, cache_dir / f"planted_{settings.planted_tokens}.txt")
    if "real-text" in settings.corpora:
        real_file = corpora.real_text_corpus(cache_dir, sources=settings.real_sources)
        jobs.append(("real-text", list(LineSentence(str(real_file))), settings.real_epochs))
        if use_corpus_file:
            files["real-text"] = real_file

    coverage_seen = {}
    for corpus_name, sentences, epochs in jobs:
        n_tokens = sum(len(s) for s in sentences)
        notes.append(f"{corpus_name}: {len(sentences)} sentences, {n_tokens} tokens, {epochs} epochs")
        for mode in settings.modes:
            for seed in range(1, settings.seeds + 1):
                for impl in IMPLEMENTATIONS:
                    model, secs = train(impl, sentences, mode, seed, epochs, files.get(corpus_name))
                    seconds.setdefault((corpus_name, mode, impl), []).append(secs)
                    start = time.perf_counter()
                    if corpus_name == "planted":
                        scores = corpora.score_planted(model.wv, truth)
                        coverage = {"planted words": scores.pop("planted_coverage")}
                    else:
                        scores, coverage = score_real(model.wv)
                    for key, value in coverage.items():
                        coverage_seen.setdefault((corpus_name, key), set()).add(round(value, 4))
                    coverage_seen.setdefault((corpus_name, "vocabulary"), set()).add(len(model.wv))
                    for metric, value in scores.items():
                        cell = results.setdefault((corpus_name, mode, metric), {"stock": [], "ours": []})
                        cell[impl].append(value)
                    print(f"[{corpus_name} {mode} seed={seed} {impl}] train {secs:.1f}s, "
                          f"score {time.perf_counter() - start:.1f}s: "
                          + ", ".join(f"{k}={v:.4f}" for k, v in scores.items()), file=log, flush=True)

    for (corpus_name, key), values in coverage_seen.items():
        shown = ", ".join(f"{v:.1%}" if isinstance(v, float) else str(v) for v in sorted(values))
        what = "size" if key == "vocabulary" else "coverage"
        notes.append(f"{corpus_name}: {key} {what} {shown}" + ("" if len(values) == 1 else " (varies!)"))
    for (corpus_name, mode, impl), secs in seconds.items():
        if impl == "stock":
            ours = seconds[(corpus_name, mode, "ours")]
            notes.append(f"train time {corpus_name} {mode}: stock {np.mean(secs):.1f}s, "
                         f"ours {np.mean(ours):.1f}s (mean per model; indicative only)")
    return results, notes


# ---------------------------------------------------------------------------- CLI
def parse_args(argv=None):
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=None,
                        help=f"training seeds per cell (default {DEFAULT.seeds}, {QUICK.seeds} with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="small corpora, NS modes only, 2 seeds: a smoke test in well under a minute "
                        "(its verdicts, from 2 seeds, mean little)")
    parser.add_argument("--modes", default=None,
                        help=f"comma-separated subset of {','.join(MODES)} "
                        "(default: all; NS only with --quick)")
    parser.add_argument("--corpora", default=None,
                        help=f"comma-separated subset of {','.join(CORPORA)} (default: both)")
    parser.add_argument("--corpus-file", action="store_true",
                        help="train through corpus_file= instead of an in-memory sentence list")
    parser.add_argument("--out", type=Path, default=None, help="also write the markdown report to this file")
    parser.add_argument("--cache-dir", type=Path, default=REPO / "out" / "bench-cache",
                        help="where generated corpora are kept (default: out/bench-cache in the repo)")
    return parser.parse_args(argv)


def main(argv=None):
    """Run the benchmark and print the markdown report."""
    args = parse_args(argv)
    settings = QUICK if args.quick else DEFAULT
    if args.seeds is not None:
        if args.seeds < 2:
            raise SystemExit("--seeds must be at least 2 (a standard deviation is needed)")
        settings = replace(settings, seeds=args.seeds)
    if args.modes is not None:
        modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
        unknown = [m for m in modes if m not in MODES]
        if unknown:
            raise SystemExit(f"unknown mode(s) {unknown}; choose from {list(MODES)}")
        settings = replace(settings, modes=modes)
    if args.corpora is not None:
        chosen = tuple(c.strip() for c in args.corpora.split(",") if c.strip())
        unknown = [c for c in chosen if c not in CORPORA]
        if unknown or not chosen:
            raise SystemExit(f"unknown or no corpora {unknown}; choose from {list(CORPORA)}")
        settings = replace(settings, corpora=chosen)

    origin = provenance()
    print(origin, file=sys.stderr)
    start = time.perf_counter()
    results, notes = run(settings, args.cache_dir, use_corpus_file=args.corpus_file)
    elapsed = time.perf_counter() - start

    params = ", ".join(f"{k}={v}" for k, v in COMMON.items())
    report = "\n".join([
        "## Word2Vec quality: stock gensim vs gensim_losses",
        "",
        f"Settings: {'--quick' if args.quick else 'default'}; modes {', '.join(settings.modes)}; "
        f"corpora {', '.join(settings.corpora)}.",
        f"Common parameters: {params}, other gensim defaults; training seeds 1..{settings.seeds}; "
        f"input: {'corpus_file' if args.corpus_file else 'in-memory sentences'}; "
        f"ns = negative=5, hs = hs=1 with negative=0.",
        "Within noise: |diff| <= 2·sqrt((sd_stock² + sd_ours²)/n). All metrics: higher is better.",
        *(["Quick run: a smoke test; with 2 seeds the verdicts mean little."] if args.quick else []),
        *(["With corpus_file and workers > 1, stock gensim's learning rate decays in a sawtooth "
           "(see the module docstring): compare with the in-memory run too."] if args.corpus_file else []),
        "",
        markdown_table(results, settings),
        "",
        f"- {origin}",
        *(f"- {note}" for note in notes),
        f"- total wall time {elapsed:.0f}s on {os.cpu_count()} cores",
        "",
    ])
    print(report)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report, encoding="utf-8")


if __name__ == "__main__":
    main()
