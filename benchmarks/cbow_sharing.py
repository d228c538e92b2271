"""CBOW with shared negatives: how a draw is shared, measured on real text.

CBOW has one example per position, so what it can share is a draw of
negatives between positions. Three ways, each a fresh process per run on the
shared 20M-token corpus (corpus_file, dim 100, window 5, negative 5,
min_count 5, sample 1e-3, 2 workers, 1 epoch), runs interleaved, one seed per
repetition:

- ``per-pair``: the default kernel, a fresh draw for every position;
- ``shared``: ``shared_negatives=True`` as built (``engine.cbow_sharing``):
  a draw serves 5 positions ``2 * window + 1`` apart, whose windows do not
  overlap;
- ``consecutive``: the rejected design, a draw serving 5 consecutive
  positions (stride 1), whose windows overlap.

Prints median training seconds, the speed against the first design given
(``per-pair`` by default), and
wordsim353 / simlex999 / analogies as mean ± standard error over the seeds.

    python benchmarks/cbow_sharing.py --seeds 1 2 3 4 5 6
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from peers import DEFAULT_CORPUS, GENSIM_SETTINGS, METRICS, plain_corpus
from quality import mean_se_cell

CHILD = """
import json, sys, time
import gensim_losses.training.engine as engine
from gensim_losses import Word2Vec
from gensim_losses.tools.cli import evaluate_vectors
design, path, seed, settings = sys.argv[1], sys.argv[2], int(sys.argv[3]), json.loads(sys.argv[4])
if design == "consecutive":  # TrainingRun looks the rule up at each train(): this replaces it
    engine.cbow_sharing = lambda window: (engine.CBOW_DRAW_USES, 1)
model = Word2Vec(sg=0, seed=seed, shared_negatives=design != "per-pair", **settings)
model.build_vocab(corpus_file=path)
start = time.perf_counter()
model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=1)
seconds = time.perf_counter() - start
print(json.dumps({"train": seconds, **evaluate_vectors(model.wv)}))
"""
DESIGNS = ("per-pair", "shared", "consecutive")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--designs", nargs="+", choices=DESIGNS, default=list(DESIGNS))
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "gensim_losses_peers"))
    args = parser.parse_args(argv)
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    corpus = str(plain_corpus(args.corpus, args.workdir))
    runs = {d: [] for d in args.designs}
    for rep, seed in enumerate(args.seeds):
        order = args.designs[rep % len(args.designs):] + args.designs[:rep % len(args.designs)]
        for design in order:
            command = [sys.executable, "-c", CHILD, design, corpus, str(seed), json.dumps(GENSIM_SETTINGS)]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
            runs[design].append(json.loads(out.strip().splitlines()[-1]))
            r = runs[design][-1]
            print(f"seed {seed} {design}: {r['train']:.1f}s " + " ".join(f"{m} {r[m]:.4f}" for m in METRICS),
                  file=sys.stderr, flush=True)
    base = statistics.median(r["train"] for r in runs[args.designs[0]])
    print("| design | training s (median) | speed vs " + args.designs[0] + " | " + " | ".join(METRICS) + " |")
    print("|---|---|---|" + "---|" * len(METRICS))
    for design, rs in runs.items():
        train = statistics.median(r["train"] for r in rs)
        cells = [mean_se_cell([r[m] for r in rs]) for m in METRICS]
        print(f"| {design} | {train:.1f} | {base / train:.2f}x | {' | '.join(cells)} |")
    print(f"\n{len(args.seeds)} seeds ({' '.join(map(str, args.seeds))}); quality: mean ± standard error.")


if __name__ == "__main__":
    main()
