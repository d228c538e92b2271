"""How exact the hybrid path is: a Python term against the same term run natively.

The tutorial's ``CustomLoss(penalty=0.1)`` (an ``NEGSamplingLoss`` child
plus ``penalty * output.norm()`` in numpy: the hybrid path) against
``NEGSamplingLoss() + NormPenalty(0.1)`` (the same objective, natively), on
real text, skip-gram and CBOW, each run in a fresh process, runs interleaved:

- ``--lines N`` (default 1,000): the first N lines of the shared corpus,
  1 worker, iterable input, default ``batch_words``; adds
  ``backend="reference"`` (exact, pure numpy) as the definition;
- ``--full``: the whole shared 20M-token corpus, ``corpus_file``, 2 workers,
  the benchmarks' gensim settings (dim 100, window 5, negative 5,
  min_count 5, sample 1e-3), 1 epoch, with wordsim353 / simlex999 /
  analogies over the seeds (mean ± standard error).

Prints per path: loss per example (total, ``ns``, the penalty term), the mean
norm of the input vectors and, with ``--full``, the scores.

    python benchmarks/hybrid.py --lines 1000 --seeds 1
    python benchmarks/hybrid.py --full --seeds 1 2 3

It only uses the public API, so it runs against an older checkout too
(``PYTHONPATH=<old tree> python benchmarks/hybrid.py``), which is how the
"before" figures of docs/losses.md were taken.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from peers import DEFAULT_CORPUS, GENSIM_SETTINGS, METRICS, plain_corpus
from quality import mean_se_cell

CHILD = """
import json, sys
import numpy as np
from gensim.models.word2vec import LineSentence
import gensim_losses as G
from gensim_losses.tools.bench import TutorialLoss
from gensim_losses.tools.cli import evaluate_vectors
path, sg, path_kind, seed, full, settings = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), \\
    sys.argv[5] == "1", json.loads(sys.argv[6])
loss = TutorialLoss(0.1) if path_kind == "hybrid" else G.NEGSamplingLoss() + G.NormPenalty(0.1)
backend = "reference" if path_kind == "reference" else "auto"
if full:
    model = G.Word2Vec(sg=sg, seed=seed, loss=loss, **settings)
    model.build_vocab(corpus_file=path)
    model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=1)
else:
    model = G.Word2Vec(list(LineSentence(path)), vector_size=100, sg=sg, epochs=1, workers=1, seed=seed,
                       loss=loss, backend=backend)
rec = model.loss_history[-1]
out = {k: v / rec["examples"] for k, v in rec.items() if k not in ("epoch", "examples")}
out["penalty"] = out.pop("tutorial_loss", None) or out.pop("norm")
out["mean_norm"] = float(np.linalg.norm(model.wv.vectors, axis=1).mean())
if full:
    out.update(evaluate_vectors(model.wv))
print(json.dumps(out))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--full", action="store_true", help="the whole corpus, corpus_file, 2 workers, scores")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1])
    parser.add_argument("--modes", nargs="+", choices=("SG", "CBOW"), default=["SG", "CBOW"])
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "gensim_losses_peers"))
    args = parser.parse_args(argv)
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    corpus = plain_corpus(args.corpus, args.workdir)
    if not args.full:
        head = Path(args.workdir) / f"head_{args.lines}.txt"
        with open(corpus, encoding="utf-8") as src, open(head, "w", encoding="utf-8") as dst:
            for _, line in zip(range(args.lines), src):
                dst.write(line)
        corpus = head
    paths = ["native", "hybrid"] + ([] if args.full else ["reference"])
    results = {(m, p): [] for m in args.modes for p in paths}
    for rep, seed in enumerate(args.seeds):
        for mode in args.modes:
            order = paths[rep % len(paths):] + paths[:rep % len(paths)]
            for kind in order:
                command = [sys.executable, "-c", CHILD, str(corpus), "1" if mode == "SG" else "0", kind, str(seed),
                           "1" if args.full else "0", json.dumps(GENSIM_SETTINGS)]
                out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
                results[mode, kind].append(json.loads(out.strip().splitlines()[-1]))
                print(f"seed {seed} {mode} {kind}: {results[mode, kind][-1]}", file=sys.stderr, flush=True)
    keys = ["total", "ns", "penalty", "mean_norm"] + (list(METRICS) if args.full else [])
    print("| mode | path | " + " | ".join(keys) + " |")
    print("|---|---|" + "---|" * len(keys))
    for (mode, kind), rs in results.items():
        cells = [mean_se_cell([r[k] for r in rs], ".4f") if len(rs) > 1 else f"{rs[0][k]:.4f}" for k in keys]
        print(f"| {mode} | {kind} | {' | '.join(cells)} |")
    where = "20M tokens, corpus_file, 2 workers" if args.full else f"first {args.lines} lines, 1 worker"
    print(f"\n{where}; seeds {' '.join(map(str, args.seeds))}; per example; mean ± standard error over seeds.")


if __name__ == "__main__":
    main()
