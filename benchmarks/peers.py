"""gensim_losses against the trainers a user would pick instead, whole process, one machine, one run.

Builds word2vec.c, fastText and pWord2Vec from ``../shared/peers/``
(``build.sh``; pWord2Vec needs ``apt-get install -y libopenblas-dev``), then
runs every trainer as its own process on one corpus file, repetitions
interleaved (the order rotates each repetition), and times the whole
process: vocabulary scan, training and writing the vectors. Settings are the
same everywhere: dim 100, window 5, negative 5, min_count 5, sample 1e-3, 2
threads, 1 epoch; word2vec.c's learning rate for the mode (0.025 for
skip-gram, 0.05 for CBOW; fastText is given the same, gensim keeps its 0.025).

For each trainer: median wall seconds, speed against stock gensim, words per
second per thread (corpus tokens / wall seconds / 2), and wordsim353,
simlex999 and analogy scores of the vectors it wrote (gensim's test sets).
gensim_losses also reports how its time splits between vocabulary scan,
training and saving.

    python benchmarks/peers.py                      # the shared 20M-token corpus, skip-gram and CBOW
    python benchmarks/peers.py CORPUS.txt --reps 3 --modes sg
"""

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gensim.models import KeyedVectors
from quality import mean_se_cell

from gensim_losses.tools.bench import machine

ROOT = Path(__file__).resolve().parent.parent
# the shared data and peers: beside the checkout, or where GENSIM_LOSSES_SHARED says (a clone made elsewhere)
SHARED = Path(os.environ.get("GENSIM_LOSSES_SHARED", ROOT.parent / "shared"))
PEERS = SHARED / "peers"
DEFAULT_CORPUS = SHARED / "data" / "real_en_20M.txt.gz"
THREADS = 2
METRICS = ("wordsim353", "simlex999", "analogies")
# the gensim side of every comparison with the peers (the C tools get the same as flags, below)
GENSIM_SETTINGS = dict(vector_size=100, window=5, negative=5, hs=0, min_count=5, sample=1e-3, workers=THREADS,
                       epochs=1)

GENSIM_CHILD = """
import json, sys, time
start = time.perf_counter()
module, sg, shared, path, out, seed, settings = sys.argv[1:8]
if module == "stock":
    from gensim.models import Word2Vec
    extra = {}
else:
    from gensim_losses import Word2Vec
    extra = {"shared_negatives": shared == "1"}
model = Word2Vec(sg=int(sg), seed=int(seed), **json.loads(settings), **extra)
imported = time.perf_counter()
model.build_vocab(corpus_file=path)
scanned = time.perf_counter()
model.train(corpus_file=path, total_words=model.corpus_total_words, epochs=1)
trained = time.perf_counter()
model.wv.save_word2vec_format(out, binary=True)
saved = time.perf_counter()
print(json.dumps({"start": imported - start, "vocab": scanned - imported, "train": trained - scanned,
                  "save": saved - trained}))
"""


def trainers(bin_dir, mode, variants=(None,)):
    """``{name: function(corpus, out, seed) -> command}`` for ``mode`` ('sg' or 'cbow'); ``variants``: the
    kernel builds gensim_losses runs (None: the one it picks), each its own rows."""
    sg = mode == "sg"
    common = ["-size", "100", "-window", "5", "-negative", "5", "-sample", "1e-3", "-threads", str(THREADS),
              "-iter", "1", "-min-count", "5", "-binary", "1"]
    table = {
        "word2vec.c": lambda c, o, s: [str(bin_dir / "word2vec"), "-train", c, "-output", o, "-cbow",
                                       "0" if sg else "1", "-hs", "0", *common],
        "fastText (no subwords)": lambda c, o, s: [
            str(bin_dir / "fasttext"), "skipgram" if sg else "cbow", "-input", c, "-output", o, "-dim", "100",
            "-ws", "5", "-neg", "5", "-minCount", "5", "-t", "1e-3", "-thread", str(THREADS), "-epoch", "1",
            "-minn", "0", "-maxn", "0", "-lr", "0.025" if sg else "0.05", "-seed", str(s)],
    }
    if sg:
        table["pWord2Vec (HogBatch)"] = lambda c, o, s: [str(bin_dir / "pWord2Vec"), "-train", c, "-output", o,
                                                         *common]
    sides = [("stock gensim (corpus_file)", "stock", "0", None)]
    for variant in variants:
        tag = f" [{variant}]" if variant else ""
        sides += [(f"gensim_losses (corpus_file){tag}", "ours", "0", variant),
                  (f"gensim_losses, shared_negatives{tag}", "ours", "1", variant)]
    for label, module, shared, variant in sides:
        table[label] = (lambda m, sh, v: lambda c, o, s: [
            *(["env", f"GENSIM_LOSSES_KERNELS={v}"] if v else []),
            sys.executable, "-c", GENSIM_CHILD, m, "1" if sg else "0", sh, c, o, str(s),
            json.dumps(GENSIM_SETTINGS)])(module, shared, variant)
    return table


def vectors_file(out):
    """Where a trainer wrote its vectors (fastText adds .vec)."""
    return out if Path(out).exists() else out + ".vec"


def score(path):
    from gensim_losses.tools.cli import evaluate_vectors

    binary = not path.endswith(".vec")
    return evaluate_vectors(KeyedVectors.load_word2vec_format(path, binary=binary, unicode_errors="ignore"))


def build(bin_dir):
    """The peers as their users build them.

    ``build.sh`` makes fastText's ``fasttext`` target, which its Makefile
    compiles without optimisation (``-O3`` comes with its default target,
    ``opt``, what ``make`` alone builds): unoptimised it ran 7x slower here.
    So fastText is made again with ``opt``, as its README says to."""
    marker = bin_dir / ".fasttext-opt"
    if all((bin_dir / name).exists() for name in ("word2vec", "fasttext", "pWord2Vec")) and marker.exists():
        return
    subprocess.run(["bash", str(PEERS / "build.sh"), str(bin_dir)], check=True)
    source = PEERS / "fastText"
    try:
        subprocess.run(["make", "-s", "-C", str(source), "-j2", "opt"], check=True)
        shutil.move(str(source / "fasttext"), str(bin_dir / "fasttext"))
    finally:
        for obj in source.glob("*.o"):
            obj.unlink()
    marker.touch()


def plain_corpus(path, workdir):
    """A plain-text copy of a gzip corpus (the C tools and corpus_file read plain text)."""
    path = Path(path)
    if path.suffix != ".gz":
        return path
    plain = Path(workdir) / path.stem
    if not plain.exists():
        with gzip.open(path, "rb") as src, open(plain.with_suffix(".part"), "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        plain.with_suffix(".part").rename(plain)
    return plain


def head_lines(tokens, corpus=None):
    """The first whole lines of the shared corpus (or ``corpus``, plain or gzip) that hold ``tokens`` tokens or
    just more, read from its start only."""
    lines, n = [], 0
    path = Path(corpus or DEFAULT_CORPUS)
    if not path.exists():
        raise SystemExit(f"{path}: no such corpus (the shared data live beside the checkout; set "
                         f"GENSIM_LOSSES_SHARED to their folder for a clone made elsewhere)")
    with (gzip.open(path, "rt", encoding="utf8") if path.suffix == ".gz" else open(path, encoding="utf8")) as fh:
        for line in fh:
            lines.append(line)
            n += len(line.split())
            if n >= tokens:
                break
    return lines


def run(corpus, modes, reps, bin_dir, workdir, log=sys.stderr, only=None, variants=(None,)):
    tokens = sum(len(line.split()) for line in open(corpus, encoding="utf8", errors="replace"))
    results = {}
    for mode in modes:
        table = trainers(bin_dir, mode, variants)
        names = [name for name in table if not only or name.startswith(tuple(only))]
        for rep in range(reps):
            order = names[rep % len(names):] + names[:rep % len(names)]
            for name in order:
                out = str(Path(workdir) / f"{mode}-{len(results)}-{rep}-{abs(hash(name))}")
                command = table[name](str(corpus), out, rep + 1)
                start = time.perf_counter()
                proc = subprocess.run(command, capture_output=True, text=True)
                wall = time.perf_counter() - start
                if proc.returncode:
                    raise RuntimeError(f"{name} failed:\n{proc.stderr[-2000:]}")
                entry = results.setdefault((mode, name), {"wall": [], "scores": [], "split": []})
                entry["wall"].append(wall)
                entry["scores"].append(score(vectors_file(out)))
                if name.startswith(("gensim", "stock gensim")):
                    entry["split"].append(json.loads(proc.stdout.strip().splitlines()[-1]))
                for leftover in Path(workdir).glob(Path(out).name + "*"):
                    leftover.unlink()
                print(f"{mode} rep {rep} {name}: {wall:.1f}s", file=log, flush=True)
    return results, tokens


def table(results, tokens, modes):
    lines = []
    for mode in modes:
        rows = {name: v for (m, name), v in results.items() if m == mode}
        base = rows.get("stock gensim (corpus_file)")
        stock = statistics.median(base["wall"]) if base else None
        lines += [f"\n**{'skip-gram' if mode == 'sg' else 'CBOW'} NS**, {tokens / 1e6:.1f}M tokens\n",
                  "| trainer | seconds (median) | speed vs stock gensim | words/s per thread | wordsim353 | "
                  "simlex999 | analogies |", "|---|---|---|---|---|---|---|"]
        for name, v in rows.items():
            wall = statistics.median(v["wall"])
            scores = [mean_se_cell([s[key] for s in v["scores"]]) for key in METRICS]
            speed = f"{stock / wall:.2f}x" if stock else "n/a"
            lines.append(f"| {name} | {wall:.1f} | {speed} | {tokens / wall / THREADS / 1e3:.0f}k "
                         f"| {' | '.join(scores)} |")
        lines.append(f"\nQuality: mean ± standard error over the {len(rows[next(iter(rows))]['scores'])} "
                     "repetitions, each its own seed.\n")
        splits = {name: {k: statistics.median(s[k] for s in v["split"]) for k in v["split"][0]}
                  for name, v in rows.items() if v["split"]}
        for name, parts in splits.items():
            lines.append(f"- {name}: interpreter and imports {parts['start']:.1f}s, build_vocab "
                         f"{parts['vocab']:.1f}s, training {parts['train']:.1f}s "
                         f"({tokens / parts['train'] / THREADS / 1e3:.0f}k words/s per thread), saving "
                         f"{parts['save']:.1f}s")
        stock_vocab = splits.get("stock gensim (corpus_file)", {}).get("vocab")
        for name, parts in splits.items():
            if name.startswith("gensim_losses") and stock_vocab:
                lines.append(f"- build_vocab(corpus_file=...), {name} against stock: "
                             f"{stock_vocab / parts['vocab']:.1f}x faster")
    return "\n".join(lines)


def openblas_core(bin_dir):
    """The kernels OpenBLAS picks on this CPU for pWord2Vec (its SGEMM is pWord2Vec's time)."""
    probe = subprocess.run([str(bin_dir / "pWord2Vec")], capture_output=True, text=True,
                           env=dict(os.environ, OPENBLAS_VERBOSE="2"))
    for line in (probe.stdout + probe.stderr).splitlines():
        if line.startswith("Core:"):
            return line.split(":", 1)[1].strip()
    return "unknown (OpenBLAS printed no core)"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--modes", nargs="+", choices=["sg", "cbow"], default=["sg", "cbow"])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--bin", default=None, help="where the peers are built (default: a cache in the workdir)")
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "gensim_losses_peers"))
    parser.add_argument("--trainers", nargs="+", default=None, metavar="NAME",
                        help="only the trainers whose names start so (e.g. pWord2Vec 'stock gensim' "
                             "'gensim_losses, shared'); default: all")
    parser.add_argument("--variants", nargs="+", default=None, choices=["baseline", "avx2", "avx512"],
                        help="gensim_losses's rows once per kernel build (GENSIM_LOSSES_KERNELS); default: the "
                             "one it picks")
    args = parser.parse_args(argv)
    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    bin_dir = Path(args.bin) if args.bin else workdir / "bin"
    build(bin_dir)
    corpus = plain_corpus(args.corpus, workdir)
    print(f"{machine()}; pWord2Vec's OpenBLAS: {openblas_core(bin_dir)}", flush=True)
    results, tokens = run(corpus, args.modes, args.reps, bin_dir, workdir, only=args.trainers,
                          variants=args.variants or (None,))
    print(table(results, tokens, args.modes))


if __name__ == "__main__":
    main()
