"""Distributed training: quality by number of replicas, the sync overhead on Ray and Dask, Spark MLlib.

Quality at equal total words (the shared 20M-token corpus, skip-gram NS, dim 100, the settings of
benchmarks/peers.py), N replicas simulated in one process by the in-process engine (the same driver
and replicas as on Ray and Dask), against one machine's ordinary ``train()``::

    python benchmarks/distributed.py quality --replicas 1 2 4 8 --epochs 1 3 --seeds 1 2 3

Every run is a fresh process; results are appended to ``--results`` (JSON lines) and a run already
there is not repeated, so an interrupted table resumes. ``--rule``, ``--step`` and ``--sync-words``
select the synchronisation (docs/distributed.md has the table of rules tried)::

    python benchmarks/distributed.py quality --replicas 8 --seeds 1 --rule mean
    python benchmarks/distributed.py table            # the table of what --results holds

The overhead of the engines, 2 replicas on a local Ray cluster and a Dask LocalCluster (loopback
only; Ray inside a network namespace with only ``lo``, which needs root and ``unshare``)::

    python benchmarks/distributed.py overhead --engines ray dask --tokens 4000000
    python benchmarks/distributed.py overhead --engines ray dask ray:sync dask:sync "one machine"

What Dask's calls and transfer cost alone (two actors, payloads of a hot and a full round)::

    python benchmarks/distributed.py comm

Spark MLlib's Word2Vec (``pip install pyspark``; Java 17), skip-gram HS as it only offers, against
ours on Ray with 2 replicas and the same settings::

    python benchmarks/distributed.py spark --tokens 4000000
"""

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import DEFAULT_CORPUS, GENSIM_SETTINGS, METRICS, head_lines, plain_corpus  # noqa: E402

WORKDIR = Path("/tmp/gensim_losses_peers")
RESULTS = WORKDIR / "distributed_quality.jsonl"


def settings(epochs):
    out = dict(GENSIM_SETTINGS, sg=1, epochs=epochs)
    return out


def one_run(config):
    """Train one configuration (a dict) and return its scores: runs in a child process."""
    import gensim_losses as G
    from gensim_losses.distributed import fit
    from gensim_losses.tools.cli import evaluate_vectors

    corpus = config["corpus"]
    start = time.perf_counter()
    if config["replicas"] == 0:  # one machine, ordinary train()
        model = G.Word2Vec(corpus_file=corpus, seed=config["seed"], **settings(config["epochs"]))
        stats = {}
    else:
        model = G.Word2Vec(seed=config["seed"], **settings(config["epochs"]))
        fit(model, corpus, engine="local", replicas=config["replicas"], sync_words=config["sync_words"],
            rule=config["rule"], step=config["step"], hot_rows=config["hot_rows"],
            full_sync_words=config["full_sync_words"], overlap=bool(config.get("overlap")))
        stats = model.distributed_stats.as_dict()
    seconds = time.perf_counter() - start
    scores = evaluate_vectors(model.wv)
    record = model.loss_history[-1]
    return dict(config, seconds=seconds, stats=stats, loss=record["total"] / record["examples"],
                **{m: scores[m] for m in METRICS})


KEYS = ("replicas", "epochs", "seed", "sync_words", "rule", "step", "hot_rows", "full_sync_words", "overlap")


def key(config):
    # rows from before the sync beside training existed have no "overlap": they were synchronous
    return json.dumps({k: config.get(k, False if k == "overlap" else None) for k in KEYS}, sort_keys=True)


def quality(args):
    corpus = str(plain_corpus(args.corpus, WORKDIR))
    done = {}
    if args.results.exists():
        for line in args.results.read_text().splitlines():
            row = json.loads(line)
            done[key(row)] = row
    configs = []
    for epochs in args.epochs:
        for seed in args.seeds:
            if args.baseline:
                configs.append(dict(replicas=0, epochs=epochs, seed=seed, sync_words=0, rule="", step=None,
                                    hot_rows=None, full_sync_words=None))
            for n in args.replicas:
                configs.append(dict(replicas=n, epochs=epochs, seed=seed, sync_words=args.sync_words,
                                    rule=args.rule, step=args.step, hot_rows=args.hot_rows,
                                    full_sync_words=args.full_sync_words, overlap=args.overlap))
    for config in configs:
        if key(config) in done:
            continue
        config = dict(config, corpus=corpus)
        proc = subprocess.run([sys.executable, __file__, "one", json.dumps(config)], capture_output=True,
                              text=True)
        if proc.returncode:
            sys.stderr.write(proc.stderr[-3000:])
            raise SystemExit(f"run failed: {config}")
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        with open(args.results, "a") as fh:
            fh.write(json.dumps(row) + "\n")
        done[key(row)] = row
        print(f"N={row['replicas']} epochs={row['epochs']} seed={row['seed']} K={row['sync_words']} "
              f"rule={row['rule']} step={row['step']} overlap={row.get('overlap', False)}: "
              + " ".join(f"{m} {row[m]:.3f}" for m in METRICS)
              + f" loss {row['loss']:.4f} {row['seconds']:.0f} s", flush=True)
    table(args)


def table(args):
    rows = [json.loads(line) for line in args.results.read_text().splitlines()] if args.results.exists() else []
    groups = {}
    for row in rows:
        group = tuple(row.get(k) for k in ("epochs", "replicas", "sync_words", "rule", "step", "hot_rows",
                                             "full_sync_words")) + (bool(row.get("overlap")),)
        groups.setdefault(group, []).append(row)
    base = {(e, s): r for (e, n, *_), rs in groups.items() if n == 0 for r in rs for s in [r["seed"]]}
    print("| epochs | replicas | sync words | rows synced | rule | step | sync beside training | seeds | "
          + " | ".join(METRICS) + " | Δ vs one machine (" + " / ".join(METRICS) + ") | loss "
          "| GB sent per replica |")
    print("|---|---|---|---|---|---|---|---|" + "---|" * (len(METRICS) + 3))
    order = sorted(groups.items(), key=lambda g: (g[0][0], g[0][1], str(g[0][2:])))
    for (epochs, n, k, rule, step, hot, full, overlap), rs in order:
        cells = [mean_se(rs, m) for m in METRICS]
        deltas = []
        for m in METRICS:
            paired = [r[m] - base[(epochs, r["seed"])][m] for r in rs if (epochs, r["seed"]) in base]
            deltas.append(f"{statistics.mean(paired):+.3f}" if paired and n else "")
        sent = (statistics.mean(r["stats"]["bytes_up"] + r["stats"]["bytes_down"] for r in rs) / max(n, 1) / 1e9
                if n else 0)
        label = "1 (one machine, train())" if n == 0 else str(n)
        shown = "" if n == 0 else (step or "default")
        rows = "" if n == 0 else ("all" if hot is None else f"top {hot}; all every {full / 1e6:g}M")
        beside = "" if n == 0 else ("yes" if overlap else "no")
        print(f"| {epochs} | {label} | {k or ''} | {rows} | {rule} | {shown} | {beside} "
              f"| {len(rs)} | " + " | ".join(cells) + f" | {' / '.join(deltas)} | "
              f"{statistics.mean(r['loss'] for r in rs):.4f} | {sent:.2f} |")


def sample_corpus(tokens, shards=2):
    """The first ``tokens`` tokens of the shared corpus, whole lines, as one file and as ``shards`` files."""
    whole = WORKDIR / f"first_{tokens}.txt"
    parts = [WORKDIR / f"first_{tokens}.shard{i}.txt" for i in range(shards)]
    if not whole.exists():
        lines = head_lines(tokens)
        whole.write_text("".join(lines), encoding="utf8")
        cut = [len(lines) * i // shards for i in range(shards + 1)]
        for i, path in enumerate(parts):
            path.write_text("".join(lines[cut[i]:cut[i + 1]]), encoding="utf8")
    return str(whole), [str(p) for p in parts]


ENGINE_CHILD = """
import json, os, sys, time
os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
config = json.loads(sys.argv[1])
import gensim_losses as G
from gensim_losses.distributed import fit
start = time.perf_counter()
if config["engine"] == "one machine":
    model = G.Word2Vec(corpus_file=config["whole"], seed=config["seed"], **config["settings"])
    stats = {}
else:
    model = G.Word2Vec(seed=config["seed"], **dict(config["settings"], workers=1))
    fit(model, config["shards"], engine=config["engine"], replicas=len(config["shards"]), workers=1,
        overlap=config["overlap"])
    stats = model.distributed_stats.as_dict()
if config["vectors"]:
    model.wv.save_word2vec_format(config["vectors"])
wall = time.perf_counter() - start
print(json.dumps(dict(wall=wall, stats=stats, words=model.corpus_total_words * model.epochs,
                      vectors=config["vectors"])))
"""


def engine_run(engine, whole, shards, seed, settings_, save=False, overlap=True):
    vectors = str(WORKDIR / f"{engine}_{seed}.vectors.txt") if save else None
    config = json.dumps(dict(engine=engine, whole=whole, shards=shards, seed=seed, settings=settings_,
                             vectors=vectors, overlap=overlap))
    command = [sys.executable, "-c", ENGINE_CHILD, config]
    if engine == "ray":  # loopback only: a network namespace that has nothing but lo
        command = ["unshare", "-n", "sh", "-c", "ip link set lo up && exec \"$0\" \"$@\"", *command]
    # not in the checkout: its uncompiled sources would shadow a package installed without -e
    proc = subprocess.run(command, capture_output=True, text=True, cwd=WORKDIR)
    if proc.returncode:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(f"{engine} run failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def overhead(args):
    whole, shards = sample_corpus(args.tokens)
    runs = {engine: [] for engine in args.engines}
    for rep in range(args.reps):
        order = args.engines[rep % len(args.engines):] + args.engines[:rep % len(args.engines)]
        for engine in order:
            name, _, mode = engine.partition(":")  # "dask:sync": synchronous rounds (overlap=False)
            run = engine_run(name, whole, shards, rep + 1, settings(1), overlap=mode != "sync")
            runs[engine].append(run)
            st = run["stats"]
            extra = (f" rounds {st['rounds']} sync {st['round_seconds'] - st['train_seconds']:.2f} s of "
                     f"{st['round_seconds']:.2f} s" if st else "")
            print(f"rep {rep} {engine}: {run['wall']:.1f} s whole process{extra}", file=sys.stderr, flush=True)
    print(f"2 replicas x 1 thread, {args.tokens / 1e6:g}M tokens of the shared corpus, skip-gram NS, 1 epoch, "
          f"sync every {50_000} words, {args.reps} interleaved repetitions (medians)")
    print("| engine | whole process s | rounds | round s | of which training s | sync overhead (% of training) "
          "| of which replicas' apply and delta s | driver's merge s | calls and transfer s "
          "| MB sent per replica per round |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for engine, rs in runs.items():
        med = statistics.median
        if not rs[0]["stats"]:
            print(f"| {engine} (train(), 2 threads) | {med(r['wall'] for r in rs):.1f} | | | | | | | | |")
            continue
        over = [100 * (r["stats"]["round_seconds"] - r["stats"]["train_seconds"]) / r["stats"]["train_seconds"]
                for r in rs]
        mb = [(r["stats"]["bytes_up"] + r["stats"]["bytes_down"]) / len(shards) / r["stats"]["rounds"] / 1e6
              for r in rs]
        round_s = med(r["stats"]["round_seconds"] for r in rs)
        train_s = med(r["stats"]["train_seconds"] for r in rs)
        replica_s = med(r["stats"]["replica_sync_seconds"] for r in rs)
        merge_s = med(r["stats"]["merge_seconds"] for r in rs)
        rest = med(r["stats"]["round_seconds"] - r["stats"]["train_seconds"] - r["stats"]["replica_sync_seconds"]
                   - r["stats"]["merge_seconds"] for r in rs)
        print(f"| {engine} | {med(r['wall'] for r in rs):.1f} | {med(r['stats']['rounds'] for r in rs)} | "
              f"{round_s:.1f} | {train_s:.1f} "
              f"| **{med(over):.1f}** ({', '.join(f'{o:.1f}' for o in over)}) | {replica_s:.2f} | {merge_s:.2f} "
              f"| {rest:.2f} | {med(mb):.1f} |")


SPARK_CHILD = """
import json, sys, time
start = time.perf_counter()
config = json.loads(sys.argv[1])
from pyspark.sql import SparkSession
from pyspark.ml.feature import Word2Vec
spark = (SparkSession.builder.master("local[2]").appName("w2v")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.ui.enabled", "false").config("spark.driver.memory", "6g").getOrCreate())
spark.sparkContext.setLogLevel("ERROR")
lines = spark.read.text(config["whole"]).rdd.map(lambda row: (row[0].split(),))
frame = spark.createDataFrame(lines, ["words"])
w2v = Word2Vec(vectorSize=100, windowSize=5, minCount=5, numPartitions=2, maxIter=1, stepSize=0.025,
               seed=config["seed"], inputCol="words", outputCol="vec")
model = w2v.fit(frame)
vectors = model.getVectors().collect()
wall = time.perf_counter() - start
with open(config["out"], "w", encoding="utf8") as fh:
    fh.write(f"{len(vectors)} 100\\n")
    for row in vectors:
        fh.write(row["word"] + " " + " ".join(f"{x:.6f}" for x in row["vector"]) + "\\n")
spark.stop()
print(json.dumps(dict(wall=wall)))
"""

SPARK_SETTINGS = dict(vector_size=100, window=5, min_count=5, sg=1, hs=1, negative=0, sample=0, epochs=1)


def spark(args):
    """Spark MLlib against ours on Ray, 2 replicas, skip-gram HS, no subsampling (Spark has none)."""
    from gensim.models import KeyedVectors

    from gensim_losses.tools.cli import evaluate_vectors

    whole, shards = sample_corpus(args.tokens)
    rows = {"Spark MLlib Word2Vec (local[2], numPartitions=2)": [], "gensim_losses on Ray (2 replicas)": []}
    for rep in range(args.reps):
        names = list(rows)[rep % 2:] + list(rows)[:rep % 2]
        for name in names:
            if name.startswith("Spark"):
                out = str(WORKDIR / f"spark_{rep}.txt")
                config = json.dumps(dict(whole=whole, out=out, seed=rep + 1))
                proc = subprocess.run([sys.executable, "-c", SPARK_CHILD, config], capture_output=True, text=True)
                if proc.returncode:
                    sys.stderr.write(proc.stderr[-3000:])
                    raise SystemExit("spark run failed")
                wall = json.loads(proc.stdout.strip().splitlines()[-1])["wall"]
                scores = evaluate_vectors(KeyedVectors.load_word2vec_format(out))
            else:
                run = engine_run("ray", whole, shards, rep + 1, dict(SPARK_SETTINGS, workers=1), save=True)
                wall = run["wall"]
                scores = evaluate_vectors(KeyedVectors.load_word2vec_format(run["vectors"]))
            rows[name].append(dict(wall=wall, **{m: scores[m] for m in METRICS}))
            print(f"rep {rep} {name}: {wall:.1f} s " + " ".join(f"{m} {scores[m]:.3f}" for m in METRICS),
                  file=sys.stderr, flush=True)
    print(f"{args.tokens / 1e6:g}M tokens of the shared corpus, skip-gram hierarchical softmax, dim 100, "
          f"window 5, min_count 5, no subsampling, 1 epoch, 2 cores; whole process (start-up, vocabulary, "
          f"training, collecting the vectors); {args.reps} interleaved repetitions, seeds 1..{args.reps}")
    print("| trainer | whole process s (median) | " + " | ".join(METRICS) + " |")
    print("|---|---|" + "---|" * len(METRICS))
    for name, rs in rows.items():
        print(f"| {name} | {statistics.median(r['wall'] for r in rs):.1f} | "
              + " | ".join(mean_se(rs, m) for m in METRICS) + " |")


def scaling(args):
    """Predicted words/s against N, from measured inputs (see docs/distributed.md, "A scaling model")."""
    full_every = max(1, args.full_sync_words // args.sync_words)
    hot = 2 * args.hot_rows * args.dim * 4  # both arrays, float32
    full = 2 * args.vocab * args.dim * 4
    per_round = ((full_every - 1) * hot + full) / full_every  # bytes per replica per direction, averaged
    link = args.gbits * 1e9 / 8
    mode = "the sync beside training" if args.overlap else "synchronous rounds"
    print(f"{mode}; vocabulary {args.vocab}, dim {args.dim}, sync every {args.sync_words} words, top "
          f"{args.hot_rows} rows; all rows every {full_every} rounds: {per_round / 1e6:.1f} MB per replica per "
          f"direction per round on average (hot {hot / 1e6:.1f} MB, full {full / 1e6:.1f} MB); "
          f"{args.gbits:g} Gb/s at the driver; {args.thread_rate / 1e3:.0f}k words/s per thread; "
          f"{args.rpc * 1e3:.0f} ms fixed and "
          f"{args.merge * 1e3:.1f} ms of merging per replica per round; {args.apply * 1e3:.0f} ms a round on each "
          f"replica applying the merge and taking its delta")
    print("| threads per replica | N | training s per round | sync s per round (hot / full) | words/s "
          "| speed-up vs N=1 | efficiency |")
    print("|---|---|---|---|---|---|---|")
    for threads in args.threads:
        train = args.sync_words / (threads * args.thread_rate)
        base = None
        for n in args.replicas:
            syncs = [args.rpc + n * (args.merge + 2 * size / link) if n > 1 else 0.0 for size in (hot, full)]
            apply = args.apply if n > 1 else 0.0
            # with overlap a round lasts as long as the longer of its training and the sync of the round
            # before, plus the replica's apply and delta; synchronous, as long as both one after the other
            period = [(max(train, sync_s) if args.overlap else train + sync_s) + apply for sync_s in syncs]
            cycle = (full_every - 1) * period[0] + period[1]
            rate = n * args.sync_words * full_every / cycle
            base = base or rate / n
            print(f"| {threads} | {n} | {train:.3f} | {syncs[0]:.3f} / {syncs[1]:.3f} | {rate / 1e6:.2f}M "
                  f"| {rate / base:.1f}x | {rate / base / n:.0%} |")


def mean_se(rows, metric):
    values = [r[metric] for r in rows]
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values) / len(values) ** 0.5:.3f}"


COMM_CHILD = """
import json, statistics, sys, time
import numpy as np
from distributed import Client, LocalCluster

class Echo:  # a replica's round with no training: take a merge, send a delta of the same size back
    def step(self, payload):
        return None if payload is None else {k: (rows, values + 0) for k, (rows, values) in payload.items()}

if __name__ == "__main__":
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None)
    client = Client(cluster)
    actors = [client.submit(Echo, workers=[a], actor=True).result()
              for a in sorted(client.scheduler_info()["workers"])]
    out = {}
    for mb in json.loads(sys.argv[1]):
        n = int(mb * 1e6 / 2 / 400)  # two arrays of dim-100 float32 rows
        payload = {name: (np.arange(n, dtype=np.int32), np.ones((n, 100), np.float32))
                   for name in ("wv.vectors", "syn1neg")} if n else None
        times = []
        for _ in range(int(sys.argv[2])):
            start = time.perf_counter()
            [f.result() for f in [a.step(payload) for a in actors]]
            times.append(time.perf_counter() - start)
        out[mb] = statistics.median(times)
    client.close()
    cluster.close()
    print(json.dumps(out))
"""


def comm(args):
    """What a round's calls and transfer cost on Dask, without training: 2 actors, a payload each way."""
    proc = subprocess.run([sys.executable, "-c", COMM_CHILD, json.dumps(args.mb), str(args.reps)],
                          capture_output=True, text=True, cwd=WORKDIR)
    if proc.returncode:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit("comm probe failed")
    times = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"Dask LocalCluster on loopback, 2 worker processes, 2 actors called at once; medians of {args.reps} "
          f"round trips")
    print("| MB each way per actor | round trip ms | MB/s moved (both actors, both ways) |")
    print("|---|---|---|")
    for mb, seconds in times.items():
        rate = 4 * float(mb) / seconds if float(mb) else 0
        print(f"| {mb} | {1e3 * seconds:.1f} | {rate:.0f} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("quality")
    q.add_argument("--replicas", type=int, nargs="+", default=[2, 4, 8])
    q.add_argument("--epochs", type=int, nargs="+", default=[1])
    q.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    q.add_argument("--sync-words", type=int, default=50_000)
    q.add_argument("--rule", default="capped")
    q.add_argument("--step", type=float, default=None)
    q.add_argument("--hot-rows", type=int, default=2000, help="0: every row every round")
    q.add_argument("--full-sync-words", type=int, default=1_000_000)
    q.add_argument("--no-baseline", dest="baseline", action="store_false")
    q.add_argument("--overlap", action=argparse.BooleanOptionalAction, default=True,
                   help="the sync beside training (fit's default; --no-overlap: synchronous rounds)")
    q.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    for p in (q, sub.add_parser("table")):
        p.add_argument("--results", type=Path, default=RESULTS)
    h = sub.add_parser("overhead")
    h.add_argument("--engines", nargs="+", default=["ray", "dask", "one machine"],
                   help="ray, dask, 'one machine'; ray:sync, dask:sync for synchronous rounds (overlap=False)")
    h.add_argument("--tokens", type=int, default=4_000_000)
    h.add_argument("--reps", type=int, default=3)
    k = sub.add_parser("spark")
    k.add_argument("--tokens", type=int, default=4_000_000)
    k.add_argument("--reps", type=int, default=3)
    c = sub.add_parser("scaling")
    c.add_argument("--vocab", type=int, default=86_886, help="the shared 20M corpus at min_count 5")
    c.add_argument("--dim", type=int, default=100)
    c.add_argument("--sync-words", type=int, default=50_000)
    c.add_argument("--hot-rows", type=int, default=2000)
    c.add_argument("--full-sync-words", type=int, default=1_000_000)
    c.add_argument("--gbits", type=float, default=10.0)
    c.add_argument("--thread-rate", type=float, default=220e3, help="training words/s of one replica thread")
    c.add_argument("--rpc", type=float, default=0.007, help="fixed seconds per round (calls, latency)")
    c.add_argument("--merge", type=float, default=0.004, help="driver seconds per replica per round")
    c.add_argument("--apply", type=float, default=0.004,
                   help="replica seconds per round applying the merge and taking its delta")
    c.add_argument("--overlap", action=argparse.BooleanOptionalAction, default=True,
                   help="the sync beside training (fit's default)")
    c.add_argument("--threads", type=int, nargs="+", default=[1, 8])
    c.add_argument("--replicas", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64])
    m = sub.add_parser("comm")
    m.add_argument("--mb", type=float, nargs="+", default=[0, 1.6, 8, 35])
    m.add_argument("--reps", type=int, default=20)
    o = sub.add_parser("one")
    o.add_argument("config")
    args = parser.parse_args(argv)
    if getattr(args, "hot_rows", None) == 0:
        args.hot_rows = None
    if args.command == "one":
        print(json.dumps(one_run(json.loads(args.config))))
    elif args.command == "quality":
        quality(args)
    elif args.command == "table":
        table(args)
    elif args.command == "overhead":
        overhead(args)
    elif args.command == "spark":
        spark(args)
    elif args.command == "scaling":
        scaling(args)
    elif args.command == "comm":
        comm(args)


if __name__ == "__main__":
    main()
