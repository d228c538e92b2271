"""Cost of loss tallying, in instructions (valgrind), which the machine's load does not disturb.

For each mode, three processes train on gensim's lee_background (2 epochs,
one worker): vocabulary only, training with ``compute_loss=False`` and with
``compute_loss=True``. The training's instructions are the difference to the
vocabulary-only run; the table gives the extra instructions of tallying.

    python benchmarks/loss_overhead.py          # needs valgrind on PATH
"""

import re
import subprocess
import sys

CHILD = """
import sys
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath
from gensim_losses import Word2Vec
mode, loss = sys.argv[1], sys.argv[2]
corpus = list(LineSentence(datapath("lee_background.cor")))
hs = int("HS" in mode)
m = Word2Vec(vector_size=100, window=5, min_count=5, workers=1, sg=int(mode.startswith("SG")), hs=hs,
             negative=0 if hs else 5, seed=1)
m.build_vocab(corpus)
if loss != "none":
    m.train(corpus, total_examples=m.corpus_count, epochs=2, compute_loss=(loss == "on"))
"""


def instructions(mode, loss):
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
               sys.executable, "-c", CHILD, mode, loss]
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


def main():
    print("| mode | training instructions, no loss | with loss | extra |")
    print("|---|---|---|---|")
    for mode in ("SG-NS", "CBOW-NS", "SG-HS", "CBOW-HS"):
        base = instructions(mode, "none")
        off, on = instructions(mode, "off") - base, instructions(mode, "on") - base
        print(f"| {mode} | {off / 1e6:.0f}M | {on / 1e6:.0f}M | {100 * (on / off - 1):+.1f}% |", flush=True)


if __name__ == "__main__":
    main()
