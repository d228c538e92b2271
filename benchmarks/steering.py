"""The worked example of docs/steering.md: held-out loss, a held-out metric, an early stop, on real text.

The first ``--tokens`` tokens of the shared 20M-token corpus train a skip-gram
model (negative sampling, dim 100, window 5, min_count 5, gensim's defaults
otherwise) for ``--epochs`` epochs; the ``--held-out`` tokens after them are
the held-out corpus. Two runs from the same seed:

* to the end, with ``Validation`` (held-out loss, wordsim353, simlex999,
  analogies) after every epoch;
* the same with ``EarlyStopping(--monitor, --mode, patience=--patience)``,
  which stops and restores the best epoch's weights.

It prints the per-epoch table of the first run, where the second stopped
and which epoch it kept, and the metrics of the kept model against the
last epoch's::

    python benchmarks/steering.py --tokens 4000000 --held-out 400000 --epochs 15
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import head_lines  # noqa: E402

import gensim_losses as G  # noqa: E402
from gensim_losses.callbacks import analogies, word_pairs  # noqa: E402

WORKDIR = Path("/tmp/gensim_losses_peers")
METRICS = ("wordsim353", "simlex999", "analogies")


def split(tokens, held_out):
    """The first ``tokens`` tokens (whole lines) and the ``held_out`` tokens after them, as two files."""
    train, held = WORKDIR / f"steer_train_{tokens}.txt", WORKDIR / f"steer_held_{tokens}_{held_out}.txt"
    if not (train.exists() and held.exists()):
        lines = head_lines(tokens + held_out)
        cut = len(head_lines(tokens))
        train.write_text("".join(lines[:cut]), encoding="utf8")
        held.write_text("".join(lines[cut:]), encoding="utf8")
    return str(train), str(held)


def run(train, held, args, stop=None):
    evaluators = [word_pairs("wordsim353"), word_pairs("simlex999"), analogies()]
    callbacks = [G.Validation(held, evaluators=evaluators)] + ([stop] if stop else [])
    return G.Word2Vec(corpus_file=train, sg=1, vector_size=100, window=5, negative=5, min_count=5,
                      epochs=args.epochs, workers=args.workers, seed=args.seed, callbacks=callbacks)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=4_000_000)
    parser.add_argument("--held-out", type=int, default=400_000)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--monitor", default="val_total")
    parser.add_argument("--mode", default="min")
    parser.add_argument("--patience", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1,
                        help="1 (the default): both runs are the same to the bit up to the stop")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    train, held = split(args.tokens, args.held_out)
    full = run(train, held, args)
    stop = G.EarlyStopping(args.monitor, mode=args.mode, patience=args.patience)
    stopped = run(train, held, args, stop)
    print(f"{args.tokens / 1e6:g}M training tokens, {args.held_out / 1e6:g}M held out, skip-gram NS, "
          f"{args.epochs} epochs planned, seed {args.seed}")
    print("| epoch | training loss/example | held-out loss/example | " + " | ".join(METRICS) + " |")
    print("|---|---|---|" + "---|" * len(METRICS))
    for r in full.loss_history:
        mark = {stop.best_epoch: " (kept)", stop.stopped_epoch: " (stop)"}.get(r["epoch"], "")
        print(f"| {r['epoch']}{mark} | {r['total'] / r['examples']:.4f} | "
              f"{r['val_total'] / r['val_examples']:.4f} | " + " | ".join(f"{r[m]:.3f}" for m in METRICS) + " |")
    print(f"EarlyStopping({args.monitor!r}, mode={args.mode!r}, patience={args.patience}): stopped after epoch "
          f"{stop.stopped_epoch}, kept epoch {stopped.best_epoch} ({len(stopped.loss_history)} epochs trained)")
    kept = {m: v for e in (word_pairs("wordsim353"), word_pairs("simlex999"), analogies())
            for m, v in e(stopped).items()}
    last = full.loss_history[-1]
    print("| model | held-out loss/example | " + " | ".join(METRICS) + " |")
    print("|---|---|" + "---|" * len(METRICS))
    held_kept = stopped.evaluate_loss(corpus_file=held)
    print(f"| kept (epoch {stopped.best_epoch}) | {held_kept['total'] / held_kept['examples']:.4f} | "
          + " | ".join(f"{kept[m]:.3f}" for m in METRICS) + " |")
    print(f"| last (epoch {last['epoch']}) | {last['val_total'] / last['val_examples']:.4f} | "
          + " | ".join(f"{last[m]:.3f}" for m in METRICS) + " |")


if __name__ == "__main__":
    main()
