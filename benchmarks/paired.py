"""Two builds of gensim_losses at once, one per core: the cost of a kernel change on a noisy machine.

Each round starts both trees' training at the same moment, each pinned to one core (``taskset``), and
swaps the cores the next round, so that whatever else slows the machine slows both sides alike. Each side
trains one worker on the first ``--tokens`` tokens of the shared real corpus (one epoch, the peers'
settings: dim 100, window 5, negative 5, min_count 5, sample 1e-3) and reports the CPU seconds of
``train()`` alone. A tree is a folder whose ``gensim_losses`` package has its kernels built in place
(``python setup.py build_ext --inplace`` in a worktree of the revision).

Examples
--------
::

    git worktree add /tmp/base HEAD~1 && (cd /tmp/base && python setup.py build_ext --inplace)
    python benchmarks/paired.py --base /tmp/base --head . --rounds 6 --shared
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from peers import GENSIM_SETTINGS, head_lines  # noqa: E402

CHILD = """
import json, sys, time
from gensim.models.word2vec import LineSentence
import gensim_losses, gensim_losses.kernels as k
path, sg, shared, variant = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
settings = dict(json.loads(sys.argv[5]), workers=1)
model = gensim_losses.Word2Vec(sg=sg, seed=1, shared_negatives=shared, **settings)
model.build_vocab(corpus_file=path)
start = time.process_time()
model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=1)
print(json.dumps({"cpu": time.process_time() - start, "isa": k.ISA}))
"""


def side(tree, core, corpus, args):
    env = dict(os.environ, PYTHONPATH=str(Path(tree).resolve()))
    if args.variant:
        env["GENSIM_LOSSES_KERNELS"] = args.variant
    cmd = ["taskset", "-c", str(core), sys.executable, "-c", CHILD, corpus, str(args.sg),
           "1" if args.shared else "0", args.variant or "", json.dumps(GENSIM_SETTINGS)]
    return subprocess.Popen(cmd, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.PIPE, text=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="tree of the earlier build")
    parser.add_argument("--head", required=True, help="tree of the build measured")
    parser.add_argument("--tokens", type=int, default=4_000_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--sg", type=int, default=1)
    parser.add_argument("--shared", action="store_true", help="shared_negatives=True")
    parser.add_argument("--variant", default=None, help="GENSIM_LOSSES_KERNELS for both sides")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = str(Path(tmp) / "corpus.txt")
        Path(corpus).write_text("".join(head_lines(args.tokens)), encoding="utf8")
        ratios, times = [], {"base": [], "head": []}
        for r in range(args.rounds):
            cores = (0, 1) if r % 2 == 0 else (1, 0)
            procs = {name: side(getattr(args, name), core, corpus, args)
                     for name, core in zip(("base", "head"), cores)}
            out = {name: json.loads(p.communicate()[0].strip().splitlines()[-1]) for name, p in procs.items()}
            for name in times:
                times[name].append(out[name]["cpu"])
            ratios.append(out["base"]["cpu"] / out["head"]["cpu"])
            print(f"round {r + 1}: base {out['base']['cpu']:.2f} s, head {out['head']['cpu']:.2f} s "
                  f"({out['head']['isa']}), head speed/base {ratios[-1]:.3f}", flush=True)
    print(f"median head speed/base: {statistics.median(ratios):.3f} over {args.rounds} rounds "
          f"(range {min(ratios):.3f}-{max(ratios):.3f}); medians base {statistics.median(times['base']):.2f} s, "
          f"head {statistics.median(times['head']):.2f} s")


if __name__ == "__main__":
    main()
