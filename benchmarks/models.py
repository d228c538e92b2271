"""FastText and Doc2Vec: gensim_losses against stock gensim, side by side.

``throughput``: each repetition trains both sides on the same corpus with the
same parameters, one after the other, alternating which goes first; the table
gives median raw words/s of ``train()`` and the median per-repetition ratio
ours/stock (``build_vocab`` is not timed). Modes: FastText skip-gram and
CBOW NS with default n-grams (bucket 2M, n 3..6), Doc2Vec PV-DBOW, PV-DBOW
with ``dbow_words``, PV-DM (mean); each from an iterable and from a
``corpus_file``. Our side trains with ``compute_loss`` on (its default),
stock with its default (off: its FastText and Doc2Vec have no loss).

``memory``: peak resident memory (ru_maxrss) of a fresh process that builds
the vocabulary and trains one epoch, per side and mode, median of the reps.

``ft-quality``: FastText skip-gram NS on the first ``--tokens`` tokens of the
shared real English corpus (default 3M), one epoch, per seed: Spearman
correlation on wordsim353 and simlex999 over the pairs with both words in
the vocabulary, and over all pairs (out-of-vocabulary words built from their
n-grams). Trained from a ``corpus_file``, or from an iterable with
``--inputs iterable``.

``quality``: Doc2Vec on a corpus with planted document topics (each
document draws most of its words from its topic's word list): the share of
each document's 10 nearest documents with the same topic, for trained
vectors and for ``infer_vector`` on held-out documents, per seed.

Examples
--------
::

    python benchmarks/models.py throughput --reps 3 --tokens 1000000
    python benchmarks/models.py memory --reps 3 --tokens 1000000
    python benchmarks/models.py quality --seeds 1 2 3
    python benchmarks/models.py ft-quality --seeds 1 2 3 --tokens 3000000
    python benchmarks/models.py throughput --sides ours ours-shared --corpus real --tokens 2000000 \\
        --modes FT-SG-NS FT-CBOW-NS D2V-DBOW D2V-DBOW-words D2V-DM-mean
    python benchmarks/models.py ft-quality --sides ours ours-shared --seeds 1 2 3 --tokens 3000000
    python benchmarks/models.py d2v-real --sides ours ours-shared --seeds 1 2 3 --tokens 2000000

``--sides ours ours-shared`` compares our per-pair kernels with ``shared_negatives=True``;
``d2v-real``: PV-DBOW on real text (a line a document), scored by how often a document's
inferred vector finds the document itself.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gensim
import numpy as np
from gensim.models.doc2vec import TaggedDocument
from gensim.models.word2vec import LineSentence

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpora  # noqa: E402
from peers import DEFAULT_CORPUS, head_lines  # noqa: E402
from quality import mean_se_cell  # noqa: E402

import gensim_losses  # noqa: E402

BASE = dict(vector_size=100, window=5, min_count=5, workers=2, epochs=1)
MODES = {
    "FT-SG-NS": ("FastText", dict(sg=1, negative=5)),
    "FT-CBOW-NS": ("FastText", dict(sg=0, negative=5)),
    "D2V-DBOW": ("Doc2Vec", dict(dm=0, negative=5)),
    "D2V-DBOW-words": ("Doc2Vec", dict(dm=0, dbow_words=1, negative=5)),
    "D2V-DM-mean": ("Doc2Vec", dict(dm=1, dm_mean=1, negative=5)),
}
# a side: the package that trains, and what it adds to every mode's parameters
SIDES = {"stock": (gensim.models, {}), "ours": (gensim_losses, {}),
         "ours-shared": (gensim_losses, {"shared_negatives": True})}


def make(side, mode, **extra):
    name, params = MODES[mode]
    package, own = SIDES[side]
    return getattr(package, name)(**{**BASE, **params, **own, **extra})


def items(mode, sentences):
    if MODES[mode][0] == "Doc2Vec":
        return [TaggedDocument(words, [i]) for i, words in enumerate(sentences)]
    return sentences


def train_rate(side, mode, path, sentences, source, epochs=None):
    """Build the vocabulary, then time ``train()`` (``epochs`` of them, BASE's by default);
    raw words per second."""
    model = make(side, mode, **({"epochs": epochs} if epochs else {}))
    if source == "corpus_file":
        model.build_vocab(corpus_file=str(path))
        start = time.perf_counter()
        model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=model.epochs)
    else:
        corpus = items(mode, sentences)
        model.build_vocab(corpus)
        start = time.perf_counter()
        model.train(corpus, total_examples=model.corpus_count, epochs=model.epochs)
    # Doc2Vec.train returns nothing (gensim's neither): the raw words of the epochs trained
    return model.corpus_total_words * model.epochs / (time.perf_counter() - start)


def throughput(args, path):
    sentences = list(LineSentence(str(path)))
    base, other = args.sides
    print(f"| mode | input | {base} words/s | {other} words/s | {other}/{base} (median) | ratios |")
    print("|---|---|---|---|---|---|")
    for mode in args.modes:
        for source in args.inputs:
            rates = {base: [], other: []}
            for rep in range(args.reps):
                for side in ((base, other) if rep % 2 == 0 else (other, base)):
                    rates[side].append(train_rate(side, mode, path, sentences, source, args.epochs))
            ratios = [o / s for s, o in zip(rates[base], rates[other])]
            print(f"| {mode} | {source} | {statistics.median(rates[base]):,.0f} | "
                  f"{statistics.median(rates[other]):,.0f} | **{statistics.median(ratios):.2f}** | "
                  f"{' '.join(f'{r:.2f}' for r in ratios)} |", flush=True)


CHILD = """
import json, resource, sys
sys.path.insert(0, {bench!r})
import models
m = models.make({side!r}, {mode!r})
m.build_vocab(corpus_file={path!r})
m.train(corpus_file={path!r}, total_words=m.corpus_total_words, epochs=m.epochs)
print(json.dumps(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
"""


def memory(args, path):
    print("| mode | stock peak RSS (MB) | ours peak RSS (MB) | ours/stock |")
    print("|---|---|---|---|")
    for mode in args.modes:
        peaks = {"stock": [], "ours": []}
        for rep in range(args.reps):
            for side in (("stock", "ours") if rep % 2 == 0 else ("ours", "stock")):
                code = CHILD.format(bench=str(Path(__file__).resolve().parent), side=side, mode=mode,
                                    path=str(path))
                out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                peaks[side].append(json.loads(out.stdout.strip().splitlines()[-1]) / 1024)
        s, o = statistics.median(peaks["stock"]), statistics.median(peaks["ours"])
        print(f"| {mode} | {s:,.0f} | {o:,.0f} | **{o / s:.3f}** |", flush=True)


def topic_corpus(n_docs, n_topics=20, words_per_topic=50, length=50, signal=0.25, seed=0):
    """Documents whose words come from their topic's list with probability ``signal``, else
    from a shared Zipf background of 5000 words; returns (documents, topics)."""
    rng = np.random.default_rng(seed)
    background = corpora.zipf_probabilities(5000)
    topics = rng.integers(0, n_topics, n_docs)
    docs = []
    for t in topics:
        own = rng.random(length) < signal
        words = np.where(own, rng.integers(0, words_per_topic, length) + 10_000 * (t + 1),
                         rng.choice(5000, length, p=background))
        docs.append([f"t{w}" if w >= 10_000 else f"w{w}" for w in words])
    return docs, topics


def same_topic_share(vectors, topics, query, query_topics, topn=10, skip=0):
    """Mean share of each query vector's ``topn`` nearest training documents with its topic,
    after its ``skip`` nearest (1 for a training document: itself)."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    q = query / np.linalg.norm(query, axis=1, keepdims=True)
    sims = q @ unit.T
    return float(np.mean([np.mean(topics[np.argsort(-row)[skip:skip + topn]] == t)
                          for row, t in zip(sims, query_topics)]))


def quality(args, _path):
    docs, topics = topic_corpus(6000)
    held, held_topics = topic_corpus(300, seed=99)
    train = [TaggedDocument(words, [i]) for i, words in enumerate(docs)]
    print("| mode | side | seed | trained: same-topic share@10 | inferred: same-topic share@10 |")
    print("|---|---|---|---|---|")
    scores = {}
    for mode in ("D2V-DBOW", "D2V-DM-mean"):
        for seed in args.seeds:
            for side in args.sides:
                model = make(side, mode, seed=seed, min_count=2)
                model.build_vocab(train)
                model.train(train, total_examples=len(train), epochs=10)
                vectors = model.dv.vectors
                trained = same_topic_share(vectors, topics, vectors[:500], topics[:500], skip=1)
                inferred = same_topic_share(vectors, topics, np.array([model.infer_vector(d) for d in held]),
                                            held_topics)
                scores.setdefault((mode, side), []).append((trained, inferred))
                print(f"| {mode} | {side} | {seed} | {trained:.3f} | {inferred:.3f} |", flush=True)
    print("\nmeans ± standard errors over seeds (chance 0.05):")
    for (mode, side), vals in scores.items():
        trained, inferred = zip(*vals)
        print(f"{mode} {side}: trained {mean_se_cell(trained)}, inferred {mean_se_cell(inferred)}")


REAL = DEFAULT_CORPUS


def real_slice(path, n_tokens):
    """The first ``n_tokens`` tokens (whole lines) of the shared real corpus, as a plain text file."""
    Path(path).write_text("".join(head_lines(n_tokens, REAL)), encoding="utf-8")
    return path


def pair_scores(wv, fname):
    """Spearman rho over the pairs in the vocabulary, over all pairs, and the share of pairs in it."""
    from gensim.test.utils import datapath
    from scipy.stats import spearmanr
    gold, known, model, model_known = [], [], [], []
    for line in open(datapath(fname), encoding="utf-8"):
        if line.startswith("#"):
            continue
        a, b, score = line.lower().split("\t")[:3]
        sim = float(np.dot(wv[a], wv[b]) / (np.linalg.norm(wv[a]) * np.linalg.norm(wv[b]) + 1e-12))
        gold.append(float(score))
        model.append(sim)
        if a in wv.key_to_index and b in wv.key_to_index:
            known.append(float(score))
            model_known.append(sim)
    return spearmanr(known, model_known)[0], spearmanr(gold, model)[0], len(known) / len(gold)


def ft_quality(args, _path):
    with tempfile.TemporaryDirectory() as tmp:
        path = real_slice(Path(tmp) / "real.txt", args.tokens)
        print("| side | seed | wordsim353 (vocab) | wordsim353 (all) | simlex999 (vocab) | simlex999 (all) |")
        print("|---|---|---|---|---|---|")
        scores = {}
        for seed in args.seeds:
            for side in (args.sides if seed % 2 else args.sides[::-1]):
                model = make(side, "FT-SG-NS", seed=seed)
                if args.inputs == ["iterable"]:
                    sentences = LineSentence(str(path))
                    model.build_vocab(sentences)
                    model.train(sentences, total_examples=model.corpus_count, epochs=model.epochs)
                else:  # corpus_file, the default
                    model.build_vocab(corpus_file=str(path))
                    model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=model.epochs)
                ws, ws_all, ws_cov = pair_scores(model.wv, "wordsim353.tsv")
                sl, sl_all, sl_cov = pair_scores(model.wv, "simlex999.txt")
                scores.setdefault(side, []).append((ws, ws_all, sl, sl_all))
                print(f"| {side} | {seed} | {ws:.3f} | {ws_all:.3f} | {sl:.3f} | {sl_all:.3f} |", flush=True)
        print(f"\npairs in the vocabulary: wordsim353 {ws_cov:.0%}, simlex999 {sl_cov:.0%}")
        for side, vals in scores.items():
            print(f"{side}: " + ", ".join(f"{n} {mean_se_cell(column)}" for n, column in zip(
                ("ws-vocab", "ws-all", "sl-vocab", "sl-all"), zip(*vals))))


def d2v_real(args, _path):
    """PV-DBOW on the first ``--tokens`` tokens of the real corpus, a line a document: the share
    of 500 documents whose ``infer_vector`` finds the document itself first, and its mean rank,
    with ``--negative`` negatives per example in training and in ``infer_vector``."""
    with tempfile.TemporaryDirectory() as tmp:
        path = real_slice(Path(tmp) / "real.txt", args.tokens)
        docs = [TaggedDocument(words, [i]) for i, words in enumerate(LineSentence(str(path)))]
        probe = np.random.default_rng(0).choice(len(docs), 500, replace=False)
        print(f"{len(docs)} documents")
        print("| mode | side | seed | self found first | mean rank | train s |")
        print("|---|---|---|---|---|---|")
        scores = {}
        for mode in ("D2V-DBOW",):
            for seed in args.seeds:
                for side in (args.sides if seed % 2 else args.sides[::-1]):
                    model = make(side, mode, seed=seed, negative=args.negative)
                    model.build_vocab(docs)
                    start = time.perf_counter()
                    model.train(docs, total_examples=len(docs), epochs=args.epochs or 5)
                    seconds = time.perf_counter() - start
                    unit = model.dv.vectors / np.linalg.norm(model.dv.vectors, axis=1, keepdims=True)
                    ranks = []
                    for i in probe:
                        v = model.infer_vector(docs[i].words)
                        sims = unit @ (v / np.linalg.norm(v))
                        ranks.append(int(np.sum(sims > sims[i])))
                    ranks = np.array(ranks)
                    first, mean_rank = float(np.mean(ranks == 0)), float(np.mean(ranks))
                    scores.setdefault((mode, side), []).append((first, mean_rank))
                    print(f"| {mode} | {side} | {seed} | {first:.3f} | {mean_rank:.1f} | {seconds:.1f} |",
                          flush=True)
        for (mode, side), vals in scores.items():
            first, rank = zip(*vals)
            print(f"{mode} {side}: self found first {mean_se_cell(first)}, mean rank {mean_se_cell(rank)}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("throughput", "memory", "quality", "ft-quality", "d2v-real"))
    parser.add_argument("--sides", nargs=2, default=["stock", "ours"], choices=list(SIDES),
                        help="the two sides compared (ours-shared: ours with shared_negatives=True)")
    parser.add_argument("--corpus", choices=["zipf", "real"], default="zipf",
                        help="throughput's corpus: synthetic Zipf, or the first --tokens of the real one")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs per train() call: throughput's (default 1) and d2v-real's (default 5)")
    parser.add_argument("--negative", type=int, default=5, help="d2v-real's negatives per example (both sides)")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=list(MODES))
    parser.add_argument("--inputs", nargs="+", default=["iterable", "corpus_file"],
                        choices=["iterable", "corpus_file"])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--tokens", type=int, default=1_000_000, help="size of the Zipf corpus")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.what in ("ft-quality", "d2v-real"):
            return {"ft-quality": ft_quality, "d2v-real": d2v_real}[args.what](args, None)
        if args.corpus == "real":
            path = real_slice(Path(tmp) / "real.txt", args.tokens)
        else:
            path = corpora.zipf_corpus(Path(tmp) / "zipf.txt", n_tokens=args.tokens)
        {"throughput": throughput, "memory": memory, "quality": quality}[args.what](args, path)


if __name__ == "__main__":
    main()
