"""gensim_losses against an earlier revision of itself: the cost of a change.

The base revision (and the head revision, if given; else the working tree) is
checked out into a git worktree and its kernels built in place; each
measurement runs in a child process whose ``PYTHONPATH`` and working
directory pick one tree or the other, so both are the same code path from
the same interpreter. Give ``--head`` when you keep editing while it runs.
Two measures:

* ``time`` (default): raw words/s of ``train()`` on the benchmark Zipf
  corpus (``benchmarks/corpora.py``), base and current alternating, order
  swapped every repetition; medians and the per-repetition ratios.
* ``instructions``: training instructions counted by valgrind on
  lee_background (one worker, 2 epochs; the vocabulary-only run of the same
  tree subtracted), which the load on the machine does not disturb.

``--model fasttext`` or ``doc2vec`` measures that model (Doc2Vec: each line
a document; its ``sg`` modes are PV-DBOW with word training, its CBOW modes
PV-DM).

Examples
--------
::

    python benchmarks/ab.py --base HEAD~3 --reps 5
    python benchmarks/ab.py --base HEAD~3 --head HEAD --measure instructions
    python benchmarks/ab.py --base HEAD~3 --model fasttext --modes SG-NS CBOW-NS
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import corpora  # noqa: E402

from gensim_losses.tools.bench import cpu_model  # noqa: E402

MODES = {
    "SG-NS": dict(sg=1, hs=0, negative=5),
    "CBOW-NS": dict(sg=0, hs=0, negative=5),
    "SG-HS": dict(sg=1, hs=1, negative=0),
    "CBOW-HS": dict(sg=0, hs=1, negative=0),
}

CHILD = """
import json, sys, time
from gensim.models.doc2vec import TaggedDocument
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath
import gensim_losses
params, source, path, epochs, train, kind = json.loads(sys.argv[1])
path = path or datapath("lee_background.cor")
if kind == "doc2vec":
    params = dict(params, dm=1 - params.pop("sg"), dbow_words=1)
CLASSES = {"word2vec": "Word2Vec", "fasttext": "FastText", "doc2vec": "Doc2Vec"}
model = getattr(gensim_losses, CLASSES[kind])(**params)
if source == "corpus_file":
    model.build_vocab(corpus_file=path)
    run = lambda: model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=epochs)
else:
    corpus = list(LineSentence(path))
    if kind == "doc2vec":
        corpus = [TaggedDocument(words, [i]) for i, words in enumerate(corpus)]
    model.build_vocab(corpus)
    run = lambda: model.train(corpus, total_examples=model.corpus_count, epochs=epochs)
if train:
    start = time.perf_counter()
    trained = run()  # (effective, raw) words; Doc2Vec's train() returns None, like gensim's
    raw = trained[1] if trained else model.corpus_total_words * epochs
    print(json.dumps({"words_per_s": raw / (time.perf_counter() - start), "file": gensim_losses.__file__}))
"""


def isa(tree):
    """The kernel variant the tree's package picks on this CPU."""
    out = subprocess.run([sys.executable, "-c", "import gensim_losses, importlib, importlib.util; "
                          "m = importlib.import_module('gensim_losses.kernels' if importlib.util.find_spec("
                          "'gensim_losses.kernels') else 'gensim_losses._kernels'); print(m.ISA)"],
                         env=dict(os.environ, PYTHONPATH=str(tree)), cwd=tree, capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def build_tree(rev, workdir, name):
    """A worktree of ``rev`` with its kernels built in place; returns its path."""
    tree = Path(workdir) / name
    if not tree.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev], check=True,
                       capture_output=True)
    subprocess.run([sys.executable, "setup.py", "build_ext", "--inplace"], cwd=tree, check=True,
                   capture_output=True)
    return tree


def child(tree, args, valgrind=False):
    # a fixed hash seed: the same process twice makes the same dict and set orders
    env = dict(os.environ, PYTHONPATH=str(tree), PYTHONHASHSEED="0")
    command = [sys.executable, "-c", CHILD, json.dumps(args)]
    if valgrind:
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command]
    # cwd too: python -c puts the working directory first on sys.path
    out = subprocess.run(command, env=env, cwd=tree, capture_output=True, text=True, check=True)
    if valgrind:
        return int(re.search(r"Collected : (\d+)", out.stderr).group(1))
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not result["file"].startswith(str(tree)):  # the tree must be the one imported
        raise RuntimeError(f"child imported {result['file']}, not the tree {tree}")
    return result["words_per_s"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare against (e.g. HEAD~1)")
    parser.add_argument("--head", default=None, help="git revision to measure (default: the working tree)")
    parser.add_argument("--measure", choices=["time", "instructions"], default="time")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--inputs", nargs="+", choices=["iterable", "corpus_file"],
                        default=["iterable", "corpus_file"])
    parser.add_argument("--tokens", type=int, default=5_000_000, help="size of the Zipf corpus (time)")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", default=None, help="keeps the worktree and corpus between runs")
    parser.add_argument("--model", choices=["word2vec", "fasttext", "doc2vec"], default="word2vec")
    parser.add_argument("--bucket", type=int, default=2_000_000, help="FastText's n-gram buckets")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(args.workdir or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        trees = {"base": build_tree(args.base, workdir, "base"),
                 "current": build_tree(args.head, workdir, "head") if args.head else ROOT}
        if args.measure == "time":
            path = str(corpora.zipf_corpus(workdir / "zipf.txt", n_tokens=args.tokens))
            print(f"{args.model}, CPU {cpu_model()}, kernels {isa(trees['current'])}:", flush=True)
            print(f"| mode | input | {args.base} words/s | {args.head or 'current'} words/s | ratio (median) "
                  f"| ratios |\n|---|---|---|---|---|---|", flush=True)
        else:
            path = None
            head = args.head or "current"
            print(f"| mode | {args.base} instructions | {head} instructions | ratio |\n|---|---|---|---|",
                  flush=True)
        for mode in args.modes:
            params = dict(vector_size=100, window=5, min_count=5, workers=args.workers, seed=1, **MODES[mode])
            if args.model == "fasttext":
                params["bucket"] = args.bucket
            if args.measure == "instructions":
                params["workers"] = 1
                counts = {}
                for name, tree in trees.items():
                    run = [params, "iterable", None, 2, True, args.model]
                    vocab_only = child(tree, run[:4] + [False, args.model], valgrind=True)
                    counts[name] = child(tree, run, valgrind=True) - vocab_only
                print(f"| {mode} | {counts['base'] / 1e6:.0f}M | {counts['current'] / 1e6:.0f}M "
                      f"| {counts['current'] / counts['base']:.4f} |", flush=True)
                continue
            for source in args.inputs:
                rates = {"base": [], "current": []}
                for rep in range(args.reps):
                    order = ("base", "current") if rep % 2 == 0 else ("current", "base")
                    for name in order:
                        rates[name].append(child(trees[name], [params, source, path, 1, True, args.model]))
                ratios = [c / b for b, c in zip(rates["base"], rates["current"])]
                print(f"| {mode} | {source} | {statistics.median(rates['base']) / 1e6:.2f}M "
                      f"| {statistics.median(rates['current']) / 1e6:.2f}M | **{statistics.median(ratios):.3f}** "
                      f"| {' '.join(f'{r:.2f}' for r in ratios)} |", flush=True)
        if not args.workdir:
            for tree in trees.values():
                if tree != ROOT:
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                                   capture_output=True)


if __name__ == "__main__":
    main()
