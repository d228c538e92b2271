"""Where the kernels sit against this machine's compute and memory bounds (docs/benchmarks.md, "Roofline").

For each mode (skip-gram and CBOW, negative sampling per pair and with shared
negatives, hierarchical softmax) and each kernel variant, one child process
trains one epoch of the first ``--tokens`` tokens of the shared corpus with 2
threads and reports its words/s and the examples it trained. The work per
example is counted from the model, not measured:

* a dot product or an axpy of two rows of ``d`` floats is ``2d`` FLOPs;
* skip-gram NS, per (context, centre) pair: for each of the ``k + 1`` output
  rows a dot product, an axpy into the pair's input delta and one into the
  output row, then an axpy into the input row: ``6d(k + 1) + 2d``; shared
  negatives make the same arithmetic per pair (``6d n_out`` for the window's
  ``n_out`` output rows, as pWord2Vec's three GEMMs per window do);
* CBOW NS, per centre word with ``m`` context words: their mean (``d m``), the
  same ``6d(k + 1)``, and an axpy into each context row (``2d m``);
* hierarchical softmax: ``k + 1`` replaced by the mean code length ``L`` of the
  trained words (weighted by their counts, after subsampling).

Bytes per example are the rows it reads and writes (4 bytes a float, each row
read once and written once): an upper bound on memory traffic, since the
frequent rows stay in cache. The bounds are measured here: the compute bound
by OpenBLAS's SGEMM through numpy on the same threads (the best this CPU does
on float32 with every vector unit busy), the memory bound by a numpy triad
over arrays far larger than the caches. Words/s and SGEMM are medians of
``--reps`` interleaved repetitions. pWord2Vec, if built (benchmarks/peers.py),
is timed on the same tokens for comparison.

    python benchmarks/roofline.py --tokens 4000000 --reps 3
    python benchmarks/roofline.py --variants avx512 avx2 baseline
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import head_lines  # noqa: E402

from gensim_losses.tools.bench import cpu_model  # noqa: E402

THREADS = 2
MODES = {
    "SG-NS per pair": dict(sg=1, hs=0, negative=5),
    "SG-NS shared": dict(sg=1, hs=0, negative=5, shared_negatives=True),
    "CBOW-NS per pair": dict(sg=0, hs=0, negative=5),
    "CBOW-NS shared": dict(sg=0, hs=0, negative=5, shared_negatives=True),
    "SG-HS": dict(sg=1, hs=1, negative=0),
    "CBOW-HS": dict(sg=0, hs=1, negative=0),
}
SETTINGS = dict(vector_size=100, window=5, min_count=5, sample=1e-3, workers=THREADS, epochs=1)

CHILD = """
import json, sys, time
import numpy as np
import gensim_losses as G
from gensim_losses import kernels
path, params = sys.argv[1], json.loads(sys.argv[2])
model = G.Word2Vec(**params)
model.build_vocab(corpus_file=path)
start = time.perf_counter()
model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=1)
seconds = time.perf_counter() - start
counts = np.array([model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key], dtype=np.float64)
keep = np.minimum(1.0, model.wv.expandos["sample_int"].astype(np.float64) / 2**32)  # gensim's keep chance
trained = counts * keep
codes = ([len(model.wv.expandos["code"][i]) for i in range(len(counts))] if params.get("hs") else None)
mean_code = float(np.dot(trained, codes) / trained.sum()) if codes else 0.0
print(json.dumps(dict(seconds=seconds, words=model.corpus_total_words, examples=model.loss_history[-1]["examples"],
                      trained_words=float(trained.sum()), mean_code=mean_code, isa=kernels.ISA)))
"""

BOUNDS_CHILD = """
import json, os, time
import numpy as np
n = 2048
a, b = np.ones((n, n), np.float32), np.ones((n, n), np.float32)
a @ b
best = 0.0
for _ in range(5):
    start = time.perf_counter(); a @ b; best = max(best, 2 * n**3 / (time.perf_counter() - start))
x, y = np.ones(64 * 2**20, np.float32), np.ones(64 * 2**20, np.float32)  # 256 MB each
z = np.empty_like(x)
rate = 0.0
for _ in range(5):
    start = time.perf_counter(); np.multiply(y, 1.5, out=z); np.add(z, x, out=z)
    rate = max(rate, 4 * x.nbytes / (time.perf_counter() - start))  # y read, z written, z and x read, z written
print(json.dumps(dict(flops=best, bytes=rate)))
"""


def flops_bytes(mode, params, run):
    """FLOPs and bytes per example of ``mode`` (see the module's docstring)."""
    d, k = params["vector_size"], params.get("negative", 0)
    outputs = run["mean_code"] if params.get("hs") else k + 1
    if params["sg"]:
        return 6 * d * outputs + 2 * d, 8 * d * (outputs + 1)
    # CBOW: examples are centre words; m context words each (mean 2 x the mean shrunk window of 1..window)
    m = 2 * (params["window"] + 1) / 2
    return 6 * d * outputs + 3 * d * m, 8 * d * outputs + 8 * d * m


def bounds(threads):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, "-c", BOUNDS_CHILD], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=4_000_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--variants", nargs="+", choices=["baseline", "avx2", "avx512"], default=[None],
                        help="kernel builds (GENSIM_LOSSES_KERNELS); default: the one the package picks")
    parser.add_argument("--pword2vec", default=str(Path(tempfile.gettempdir()) / "gensim_losses_peers" / "bin"
                                                   / "pWord2Vec"))
    args = parser.parse_args(argv)
    work = Path(tempfile.gettempdir()) / "gensim_losses_peers"
    work.mkdir(exist_ok=True)
    corpus = work / f"first_{args.tokens}.txt"
    if not corpus.exists():
        corpus.write_text("".join(head_lines(args.tokens)), encoding="utf8")
    jobs = [(mode, variant) for mode in args.modes for variant in args.variants]
    if Path(args.pword2vec).exists() and "SG-NS shared" in args.modes:
        jobs.append(("pWord2Vec (HogBatch)", None))
    runs = {job: [] for job in jobs}
    limits = []
    for rep in range(args.reps):
        limits.append(bounds(THREADS))
        for mode, variant in jobs[rep % len(jobs):] + jobs[:rep % len(jobs)]:
            if mode.startswith("pWord2Vec"):
                out = work / "roofline_pword2vec.bin"
                start = time.perf_counter()
                subprocess.run([args.pword2vec, "-train", str(corpus), "-output", str(out), "-size", "100",
                                "-window", "5", "-negative", "5", "-sample", "1e-3", "-threads", str(THREADS),
                                "-iter", "1", "-min-count", "5", "-binary", "1"], check=True,
                               capture_output=True)
                runs[(mode, variant)].append(dict(seconds=time.perf_counter() - start, whole=True))
                out.unlink(missing_ok=True)
                continue
            params = dict(SETTINGS, seed=rep + 1, **MODES[mode])
            env = dict(os.environ, **({"GENSIM_LOSSES_KERNELS": variant} if variant else {}))
            proc = subprocess.run([sys.executable, "-c", CHILD, str(corpus), json.dumps(params)],
                                  capture_output=True, text=True, env=env)
            if proc.returncode:
                raise SystemExit(proc.stderr[-2000:])
            runs[(mode, variant)].append(json.loads(proc.stdout.strip().splitlines()[-1]))
            print(f"rep {rep} {mode} {variant or 'auto'}: {runs[(mode, variant)][-1]['seconds']:.2f} s",
                  file=sys.stderr, flush=True)
    peak = statistics.median(x["flops"] for x in limits)
    bandwidth = statistics.median(x["bytes"] for x in limits)
    print(f"CPU {cpu_model()} ({os.cpu_count()} cores), {THREADS} threads; compute bound (OpenBLAS SGEMM via "
          f"numpy) {peak / 1e9:.1f} GFLOP/s, memory bound (numpy triad) {bandwidth / 1e9:.1f} GB/s, ridge point "
          f"{peak / bandwidth:.1f} FLOPs/byte; first {args.tokens / 1e6:g}M tokens of the shared corpus, dim 100, "
          f"window 5, 5 negatives, 1 epoch, medians of {args.reps}")
    print("| kernel | variant | words/s (training) | examples per trained word | FLOPs per example "
          "| bytes per example (bound) | FLOPs/byte | GFLOP/s | of the compute bound |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (mode, _variant), rs in runs.items():
        if mode.startswith("pWord2Vec"):
            # pWord2Vec trains what shared negatives train: count its examples from our run of that mode
            base = next(v for (m, _), v in runs.items() if m == "SG-NS shared")
            seconds = statistics.median(r["seconds"] for r in rs)
            words = base[0]["words"]
            fl, by = flops_bytes("SG-NS shared", dict(SETTINGS, **MODES["SG-NS shared"]), base[0])
            examples = statistics.median(r["examples"] for r in base)
            rate = examples * fl / seconds
            print(f"| {mode}, whole process | OpenBLAS | {words / seconds / 1e3:.0f}k | "
                  f"{examples / base[0]['trained_words']:.2f} | {fl:.0f} | {by:.0f} | {fl / by:.2f} "
                  f"| ≥ {rate / 1e9:.1f} | ≥ {rate / peak:.0%} |")
            continue
        params = dict(SETTINGS, **MODES[mode])
        seconds = statistics.median(r["seconds"] for r in rs)
        run = rs[0]
        examples = statistics.median(r["examples"] for r in rs)
        fl, by = flops_bytes(mode, params, run)
        rate = examples * fl / seconds
        print(f"| {mode} | {run['isa']} | {run['words'] / seconds / 1e3:.0f}k | "
              f"{examples / run['trained_words']:.2f} | {fl:.0f} | {by:.0f} | {fl / by:.2f} | {rate / 1e9:.1f} "
              f"| {rate / peak:.0%} |")


if __name__ == "__main__":
    main()
