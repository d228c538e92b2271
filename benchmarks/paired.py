"""Two builds of gensim_losses at once, one per core: the cost of a kernel change on a noisy machine.

Each round starts both trees' training at the same moment, each pinned to one core (``taskset``), and
swaps the cores the next round, so that whatever else slows the machine slows both sides alike. Each side
trains one worker on the first ``--tokens`` tokens of the shared real corpus (one epoch, the peers'
settings: dim 100, window 5, negative 5, min_count 5, sample 1e-3) and reports the CPU seconds of
``train()`` alone. A tree is a folder whose ``gensim_losses`` package has its kernels built in place
(``python setup.py build_ext --inplace`` in a worktree of the revision).

With ``--peer BIN``, the base side is pWord2Vec (``BIN``, as benchmarks/peers.py builds it) with one
thread, and both sides are timed whole, as in the peers' table: the process's wall time, from its
start to its exit, with the vocabulary scan and the vectors written.

Examples
--------
::

    git worktree add /tmp/base HEAD~1 && (cd /tmp/base && python setup.py build_ext --inplace)
    python benchmarks/paired.py --base /tmp/base --head . --rounds 6 --shared
    python benchmarks/paired.py --peer /tmp/peers/pWord2Vec --head . --tokens 30000000 --shared --rounds 4
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from peers import GENSIM_SETTINGS, head_lines, trainers  # noqa: E402

from gensim_losses.tools.bench import cpu_model  # noqa: E402

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
cpu = time.process_time() - start
if len(sys.argv) > 6:
    model.wv.save_word2vec_format(sys.argv[6], binary=True)
print(json.dumps({"cpu": cpu, "isa": k.ISA}))
"""


def side(tree, core, corpus, args, out):
    """Start one side on ``core``: ours from ``tree``, or the peer when ``tree`` is None."""
    if tree is None:
        cmd = trainers(Path(args.peer).parent, "sg")["pWord2Vec (HogBatch)"](corpus, out, 1)
        cmd[0] = args.peer
        cmd[cmd.index("-threads") + 1] = "1"
        return subprocess.Popen(["taskset", "-c", str(core), *cmd], stdout=subprocess.DEVNULL), time.perf_counter()
    env = dict(os.environ, PYTHONPATH=str(Path(tree).resolve()))
    if args.variant:
        env["GENSIM_LOSSES_KERNELS"] = args.variant
    cmd = ["taskset", "-c", str(core), sys.executable, "-c", CHILD, corpus, str(args.sg),
           "1" if args.shared else "0", args.variant or "", json.dumps(GENSIM_SETTINGS),
           *([out] if args.peer else [])]
    proc = subprocess.Popen(cmd, env=env, cwd=tempfile.gettempdir(), stdout=subprocess.PIPE, text=True)
    return proc, time.perf_counter()


def finish(proc, started, whole, result):
    """Put the side's seconds (whole: wall time of the process; else the CPU time of ``train()``) and ISA
    in ``result`` (run in a thread a side, so that each side's end is its own)."""
    stdout = proc.communicate()[0]
    wall = time.perf_counter() - started
    if proc.returncode:
        raise SystemExit(f"a side failed (exit status {proc.returncode})")
    report = json.loads(stdout.strip().splitlines()[-1]) if stdout else {"isa": "pWord2Vec"}
    result.extend([wall if whole else report["cpu"], report["isa"]])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", help="tree of the earlier build")
    parser.add_argument("--peer", help="pWord2Vec's binary, the base side instead of a tree")
    parser.add_argument("--head", required=True, help="tree of the build measured")
    parser.add_argument("--tokens", type=int, default=4_000_000)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--sg", type=int, default=1)
    parser.add_argument("--shared", action="store_true", help="shared_negatives=True")
    parser.add_argument("--variant", default=None, help="GENSIM_LOSSES_KERNELS for both sides")
    args = parser.parse_args(argv)
    if not args.base and not args.peer:
        parser.error("give --base (a tree) or --peer (pWord2Vec's binary)")
    measure = "whole-process wall seconds" if args.peer else "train() CPU seconds"
    with tempfile.TemporaryDirectory() as tmp:
        corpus = str(Path(tmp) / "corpus.txt")
        Path(corpus).write_text("".join(head_lines(args.tokens)), encoding="utf8")
        ratios, times = [], {"base": [], "head": []}
        for r in range(args.rounds):
            cores = (0, 1) if r % 2 == 0 else (1, 0)
            trees = {"base": None if args.peer else args.base, "head": args.head}
            procs = {name: side(trees[name], core, corpus, args, str(Path(tmp) / f"{name}.bin"))
                     for name, core in zip(("base", "head"), cores)}
            out = {name: [] for name in procs}
            waiting = [threading.Thread(target=finish, args=(*procs[name], bool(args.peer), out[name]))
                       for name in procs]
            for thread in waiting:
                thread.start()
            for thread in waiting:
                thread.join()
            if not all(out.values()):
                raise SystemExit("a side failed (its error is above)")
            for name in times:
                times[name].append(out[name][0])
            ratios.append(out["base"][0] / out["head"][0])
            print(f"round {r + 1}: base {out['base'][0]:.2f} s ({out['base'][1]}), head {out['head'][0]:.2f} s "
                  f"({out['head'][1]}), head speed/base {ratios[-1]:.3f}", flush=True)
    print(f"{measure}, one thread a side; CPU {cpu_model()}")
    print(f"median head speed/base: {statistics.median(ratios):.3f} over {args.rounds} rounds "
          f"(range {min(ratios):.3f}-{max(ratios):.3f}); medians base {statistics.median(times['base']):.2f} s, "
          f"head {statistics.median(times['head']):.2f} s")


if __name__ == "__main__":
    main()
