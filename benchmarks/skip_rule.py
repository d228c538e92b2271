"""What the kernels' skip rule changes, against exact SGD (the reference path).

The kernels do not apply a term whose ``|label - sigmoid(score)|`` is below
0.0024726 (a right-side score beyond about ±6); the reference path applies
every term. Both train gensim's first 15 Lee sentences deterministically
(hierarchical softmax, no subsampling, fixed windows, one worker) from the
same initial vectors, at a constant learning rate high enough to saturate
scores; the table gives the relative difference of the vectors and the loss
per example of each.

    python benchmarks/skip_rule.py
"""

import numpy as np
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath

import gensim_losses as G

PARAMS = dict(vector_size=20, window=3, min_count=2, sample=0, shrink_windows=False, sg=1, hs=1, negative=0,
              workers=1, seed=7, batch_words=100_000)


def main(epochs=(10, 40), alpha=0.2, sentences=15):
    corpus = list(LineSentence(datapath("lee_background.cor")))[:sentences]
    print("| epochs | relative difference of the vectors | loss/example, kernels | loss/example, reference |")
    print("|---|---|---|---|")
    for n in epochs:
        native = G.Word2Vec(**PARAMS)
        native.build_vocab(corpus)
        exact = G.Word2Vec(**PARAMS, backend="reference")
        exact.build_vocab(corpus)
        exact.wv.vectors[:] = native.wv.vectors
        for model in (native, exact):
            model.train(corpus, total_examples=len(corpus), epochs=n, start_alpha=alpha, end_alpha=alpha)
        diff = np.linalg.norm(native.wv.vectors - exact.wv.vectors) / np.linalg.norm(exact.wv.vectors)
        per = [m.loss_history[-1]["total"] / m.loss_history[-1]["examples"] for m in (native, exact)]
        print(f"| {n} | {diff:.1e} | {per[0]:.4f} | {per[1]:.4f} |", flush=True)


if __name__ == "__main__":
    main()
