"""The ``gensim-losses`` command (also ``python -m gensim_losses``)."""

import argparse
import logging
import sys
import time

from gensim_losses.word2vec import Word2Vec


def loss_table(history):
    """Per-epoch loss records as an aligned text table."""
    terms = [k for k in history[0] if k not in ("epoch", "total", "examples")] if history else []
    header = ["epoch", "examples", "loss/example", "total", *terms]
    rows = [header]
    for rec in history:
        per = rec["total"] / rec["examples"] if rec["total"] is not None and rec["examples"] else float("nan")
        rows.append([str(rec["epoch"]), str(rec["examples"]), f"{per:.4f}", f"{rec['total']:.1f}",
                     *(f"{rec[t]:.1f}" for t in terms)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows)


def demo(args):
    """Train on gensim's bundled lee_background corpus and print the loss per epoch."""
    from gensim.models.word2vec import LineSentence
    from gensim.test.utils import datapath

    corpus = list(LineSentence(datapath("lee_background.cor")))
    words = sum(len(s) for s in corpus)
    print(f"lee_background.cor: {len(corpus)} sentences, {words} words; "
          f"skip-gram, negative sampling, {args.epochs} epochs, {args.workers} workers")
    start = time.perf_counter()
    model = Word2Vec(corpus, vector_size=100, window=5, min_count=2, sg=1, negative=5,
                     epochs=args.epochs, workers=args.workers, seed=args.seed)
    elapsed = time.perf_counter() - start
    print(loss_table(model.loss_history))
    print(f"trained in {elapsed:.1f}s; get_latest_training_loss() = {model.get_latest_training_loss():.1f}")
    for word in ("government", "police"):
        if word in model.wv:
            near = ", ".join(w for w, _ in model.wv.most_similar(word, topn=5))
            print(f"nearest to {word!r}: {near}")
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog="gensim-losses", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log gensim's training progress")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help=demo.__doc__)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.set_defaults(func=demo)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        level=logging.INFO if args.verbose else logging.WARNING)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
