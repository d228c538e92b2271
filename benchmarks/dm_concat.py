"""Doc2Vec PV-DM with concatenation (``dm_concat=1``): gensim_losses against stock gensim.

On gensim's bundled Lee corpus (``lee_background.cor``, 300 news documents),
with the settings of gensim's own ``test_dmc_neg`` / ``test_dmc_hs``
(vector_size 24, window 4, alpha 0.05, min_count 2, 20 epochs; negative 10,
or hierarchical softmax), per seed and side:

* ``self@1``: the share of the 300 training documents whose inferred vector
  (``infer_vector`` of its own words) has the document's trained vector as
  its nearest document vector; ``self@10``: within the 10 nearest;
* ``lee50``: Pearson correlation, over the 1,225 pairs of the 50 documents
  of ``lee.cor``, between the cosine of their inferred vectors and the mean
  human similarity rating (``similarities0-1.txt``, Lee et al. 2005);
* ``sanity``: whether gensim's ``model_sanity`` checks hold (doc 0 inferred
  within the 10 nearest of itself, doc 8 within the 30 nearest of doc 0,
  doc 0 closer to doc 8 than to doc 29).

Example::

    python benchmarks/dm_concat.py --seeds 1 2 3
"""

import argparse
import sys
from pathlib import Path

import gensim
import numpy as np
from gensim.models.doc2vec import TaggedDocument, TaggedLineDocument
from gensim.test.utils import datapath
from gensim.utils import simple_preprocess

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import mean_se_cell  # noqa: E402

import gensim_losses  # noqa: E402

PARAMS = dict(dm=1, dm_concat=1, vector_size=24, window=4, alpha=0.05, min_count=2, epochs=20, workers=2)
MODES = {"NS": dict(hs=0, negative=10), "HS": dict(hs=1, negative=0)}
SIDES = {"stock": gensim.models.Doc2Vec, "ours": gensim_losses.Doc2Vec}


def lee50():
    """The 50 Lee documents (tokenised as gensim's tutorial does) and their human similarity ratings."""
    with open(datapath("lee.cor"), encoding="latin-1") as fh:
        docs = [simple_preprocess(line) for line in fh]
    ratings = np.loadtxt(datapath("similarities0-1.txt"))
    return docs, ratings


def measure(model, docs, lee_docs, ratings):
    inferred = np.array([model.infer_vector(d.words) for d in docs])
    unit = model.dv.get_normed_vectors()
    cos = (inferred / np.linalg.norm(inferred, axis=1, keepdims=True)) @ unit.T
    rank = (cos > cos[np.arange(len(docs)), np.arange(len(docs))][:, None]).sum(axis=1)
    lee = np.array([model.infer_vector(d) for d in lee_docs])
    lee /= np.linalg.norm(lee, axis=1, keepdims=True)
    upper = np.triu_indices(len(lee_docs), 1)
    r = np.corrcoef((lee @ lee.T)[upper], ratings[upper])[0, 1]
    sims = [tag for tag, _ in model.dv.most_similar(0, topn=len(model.dv))]
    sanity = (int(rank[0]) < 10 and sims.index(8) < 30
              and model.dv.similarity(0, 29) < model.dv.similarity(0, 8))
    return dict(self1=float(np.mean(rank == 0)), self10=float(np.mean(rank < 10)), lee50=float(r),
                sanity=bool(sanity))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args(argv)
    docs = [TaggedDocument(d.words, d.tags) for d in TaggedLineDocument(datapath("lee_background.cor"))]
    lee_docs, ratings = lee50()
    results = {}
    for mode, extra in MODES.items():
        for seed in args.seeds:
            for side, cls in SIDES.items():
                model = cls(docs, seed=seed, **PARAMS, **extra)
                found = measure(model, docs, lee_docs, ratings)
                results.setdefault((mode, side), []).append(found)
                print(mode, side, seed, found, flush=True)
    print()
    print("| mode | side | self@1 | self@10 | lee50 (Pearson) | sanity checks held |")
    print("|---|---|---|---|---|---|")
    for (mode, side), runs in results.items():
        cells = [mean_se_cell([r[k] for r in runs]) for k in ("self1", "self10", "lee50")]
        print(f"| {mode} | {side} | {' | '.join(cells)} | {sum(r['sanity'] for r in runs)} of {len(runs)} |")


if __name__ == "__main__":
    main()
