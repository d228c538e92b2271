"""build_vocab(corpus_file=...) of gensim_losses against stock gensim, fresh processes, interleaved.

Each repetition runs both sides, alternating which goes first, each in a
fresh process (a cold interpreter, a warm page cache): ``build_vocab`` is
timed whole, and its two parts, the scan (counting words: in C here, a
Python ``Counter`` over ``LineSentence`` in stock gensim) and the rest
(gensim's ``prepare_vocab`` and ``prepare_weights``, the same code on both
sides but for the negative-sampling table, a numpy cumsum here). Prints the
medians and the median per-repetition ratios, and checks both sides found
the same vocabulary.

    python benchmarks/vocab_scan.py                    # the shared 20M-token corpus
    python benchmarks/vocab_scan.py CORPUS.txt --reps 5
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import DEFAULT_CORPUS, plain_corpus  # noqa: E402

CHILD = """
import hashlib, json, sys, time
side, path = sys.argv[1:3]
if side == "stock":
    from gensim.models import Word2Vec
else:
    from gensim_losses import Word2Vec
model = Word2Vec(vector_size=100, min_count=5, workers=2, sg=1, negative=5, sample=1e-3)
start = time.perf_counter()
total_words, _ = model.scan_vocab(corpus_file=path)
scanned = time.perf_counter()
model.prepare_vocab()
model.prepare_weights()
done = time.perf_counter()
digest = hashlib.sha1(" ".join(model.wv.index_to_key).encode()).hexdigest()
print(json.dumps({"build_vocab": done - start, "scan": scanned - start, "rest": done - scanned,
                  "words": len(model.wv), "total": total_words, "digest": digest}))
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=str(DEFAULT_CORPUS))
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "gensim_losses_peers"))
    args = parser.parse_args(argv)
    Path(args.workdir).mkdir(parents=True, exist_ok=True)
    corpus = str(plain_corpus(args.corpus, args.workdir))
    runs = {"stock": [], "ours": []}
    for rep in range(args.reps):
        for side in (("stock", "ours") if rep % 2 == 0 else ("ours", "stock")):
            out = subprocess.run([sys.executable, "-c", CHILD, side, corpus], capture_output=True, text=True,
                                 check=True)
            runs[side].append(json.loads(out.stdout.strip().splitlines()[-1]))
    same = {(r["words"], r["total"], r["digest"]) for side in runs.values() for r in side}
    print(f"vocabulary: {runs['ours'][0]['words']} words of {runs['ours'][0]['total']} tokens, "
          f"{'the same on both sides' if len(same) == 1 else 'DIFFERENT between the sides'}")
    print("| part | stock gensim s (median) | gensim_losses s (median) | stock / ours (median of reps) |")
    print("|---|---|---|---|")
    for part in ("build_vocab", "scan", "rest"):
        ratios = [s[part] / o[part] for s, o in zip(runs["stock"], runs["ours"])]
        print(f"| {part} | {statistics.median(r[part] for r in runs['stock']):.2f} "
              f"| {statistics.median(r[part] for r in runs['ours']):.2f} | **{statistics.median(ratios):.1f}x** |")
    return 0 if len(same) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
