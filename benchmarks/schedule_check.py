"""Stock gensim and gensim_losses from an iterable: is a corpus_file quality gap the kernel or the schedule?

In ``corpus_file`` mode stock gensim measures each worker's progress against
the whole corpus, so with N workers its learning rate decays only 1/N of the
way within an epoch; from an iterable it decays as word2vec.c's does, as
ours does in both modes. This trains both sides from a ``LineSentence`` with
the settings of ``benchmarks/peers.py`` (dim 100, window 5, negative 5,
min_count 5, sample 1e-3, 2 workers, 1 epoch) and scores the vectors on
gensim's wordsim353, simlex999 and questions-words, per seed.

    python benchmarks/schedule_check.py --mode cbow --seeds 1 2
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import gensim
from gensim.models.word2vec import LineSentence

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import DEFAULT_CORPUS, GENSIM_SETTINGS, plain_corpus  # noqa: E402

import gensim_losses  # noqa: E402
from gensim_losses.tools.cli import evaluate_vectors  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--mode", choices=["sg", "cbow"], default="cbow")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "gensim_losses_peers"))
    args = parser.parse_args(argv)
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    path = str(plain_corpus(args.corpus, args.workdir))
    print("| side, iterable | seed | wordsim353 | simlex999 | analogies | seconds |")
    print("|---|---|---|---|---|---|")
    for seed in args.seeds:
        for side, cls in (("stock gensim", gensim.models.Word2Vec), ("gensim_losses", gensim_losses.Word2Vec)):
            start = time.perf_counter()
            model = cls(LineSentence(path), sg=int(args.mode == "sg"), seed=seed, **GENSIM_SETTINGS)
            s = evaluate_vectors(model.wv)
            print(f"| {side} | {seed} | {s['wordsim353']:.3f} | {s['simlex999']:.3f} | {s['analogies']:.3f} "
                  f"| {time.perf_counter() - start:.0f} |", flush=True)


if __name__ == "__main__":
    main()
