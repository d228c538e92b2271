"""FastText and Doc2Vec on the shared engine: exact loss records, the three
paths agreeing on what h is, inference, interop with stock gensim.

As in test_loss_records, frozen models (zero learning rate, fresh output
layer) make every binary-logistic term cost exactly ln 2, so totals are
known in closed form for any number of workers.
"""

import gensim.models
import numpy as np
import pytest
from gensim.models.doc2vec import TaggedDocument
from gensim.test.utils import datapath
from test_loss_records import LN2, contexts_per_position, random_corpus

from gensim_losses import (
    BaseLoss,
    Doc2Vec,
    FastText,
    HierarchicalSoftmaxLoss,
    L2Penalty,
    LexiconPenalty,
    NEGSamplingLoss,
    Word2Vec,
)
from gensim_losses.models.persistence import _gensim_class

WINDOW = 3
FROZEN = dict(vector_size=8, window=WINDOW, min_count=1, sample=0, shrink_windows=False, alpha=0.0,
              min_alpha=0.0, seed=3)
# every mode of the two models, as (class, its parameters)
MODES = {
    "ft-sg": (FastText, dict(sg=1, bucket=5000)),
    "ft-cbow": (FastText, dict(sg=0, bucket=5000)),
    "d2v-dbow": (Doc2Vec, dict(dm=0)),
    "d2v-dbow-words": (Doc2Vec, dict(dm=0, dbow_words=1)),
    "d2v-dm-mean": (Doc2Vec, dict(dm=1, dm_mean=1)),
    "d2v-dm-sum": (Doc2Vec, dict(dm=1, dm_mean=0)),
    "d2v-dm-concat": (Doc2Vec, dict(dm=1, dm_concat=1)),
}


def documents(corpus):
    return [TaggedDocument(words, [i]) for i, words in enumerate(corpus)]


def corpus_for(cls, corpus):
    return documents(corpus) if cls is Doc2Vec else corpus


def frozen(mode, **kw):
    cls, params = MODES[mode]
    return cls(**{**FROZEN, **params, **kw})


def expected_hs(model, corpus):
    """ln 2 times the code length of every predicted word, and the example count, per epoch.

    FastText skip-gram predicts each context word from the centre word (the
    same ordered pairs as Word2Vec's, the other way round); CBOW and PV-DM
    predict each position (PV-DM: also without context, its tag is one; with
    dm_concat, every position, its window padded with the null word);
    PV-DBOW predicts every word from the document's tag, plus the skip-gram
    pairs with dbow_words.
    """
    code = {k: len(model.wv.get_vecattr(k, "code")) for k in model.wv.index_to_key}
    total, examples = 0.0, 0
    d2v = isinstance(model, Doc2Vec)
    for sent in corpus:
        lengths = np.array([code[w] for w in sent])
        pairs = contexts_per_position(len(sent), WINDOW)
        if d2v and model.dbow:
            per_word = 1 + (pairs if model.dbow_words else 0 * pairs)
        elif model.sg:
            per_word = pairs
        else:
            per_word = np.full(len(sent), d2v or len(sent) > 1)
        total += LN2 * float(lengths @ per_word)
        examples += int(np.sum(per_word))
    return total, examples


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("workers", [1, 2])
def test_hs_totals_exact(mode, workers):
    corpus = random_corpus(200, 12, 50, seed=5)
    model = frozen(mode, hs=1, negative=0, workers=workers)
    model.build_vocab(corpus_for(type(model), corpus))
    model.train(corpus_for(type(model), corpus), total_examples=len(corpus), epochs=2)
    total, examples = expected_hs(model, corpus)
    assert [r["epoch"] for r in model.loss_history] == [0, 1]
    for rec in model.loss_history:
        assert rec["examples"] == examples
        assert rec["hs"] == pytest.approx(total, rel=1e-6)
    assert model.get_latest_training_loss() == pytest.approx(2 * total, rel=1e-6)


@pytest.mark.parametrize("mode", ["ft-sg", "ft-cbow", "d2v-dbow-words", "d2v-dm-mean", "d2v-dm-concat"])
def test_hs_totals_exact_from_corpus_file(mode, tmp_path):
    corpus = random_corpus(200, 12, 50, seed=6)
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
    model = frozen(mode, hs=1, negative=0, workers=2)
    model.build_vocab(corpus_file=str(path))
    model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=2)
    total, examples = expected_hs(model, corpus)
    for rec in model.loss_history:
        assert rec["examples"] == examples
        assert rec["hs"] == pytest.approx(total, rel=1e-6)
    if isinstance(model, Doc2Vec):  # one document per line, tagged with its line number
        assert len(model.dv) == len(corpus)


@pytest.mark.parametrize("mode", list(MODES))
def test_first_epoch_ns_loss_starts_at_k_plus_one_ln2(mode):
    k = 5
    corpus = random_corpus(200, 12, 200, seed=7)
    model = frozen(mode, negative=k, workers=2)
    model.build_vocab(corpus_for(type(model), corpus))
    model.train(corpus_for(type(model), corpus), total_examples=len(corpus), epochs=1)
    rec = model.loss_history[0]
    # negatives that hit the target are skipped: slightly under (k+1) ln 2
    assert (k + 1) * LN2 * 0.97 < rec["total"] / rec["examples"] <= (k + 1) * LN2 + 1e-6


@pytest.mark.parametrize("mode", ["ft-sg", "ft-cbow", "d2v-dbow-words", "d2v-dm-mean"])
def test_cumulative_equals_sum_of_epochs_while_learning(mode):
    cls, params = MODES[mode]
    corpus = random_corpus(300, 15, 80, seed=8)
    model = cls(corpus_for(cls, corpus), vector_size=16, min_count=1, workers=2, epochs=4, **params)
    hist = model.loss_history
    assert len(hist) == 4 and all(r["examples"] > 0 for r in hist)
    assert model.get_latest_training_loss() == pytest.approx(sum(r["total"] for r in hist), rel=1e-12)
    assert hist[-1]["total"] / hist[-1]["examples"] < hist[0]["total"] / hist[0]["examples"]


@pytest.mark.parametrize("mode", ["ft-sg", "ft-cbow", "d2v-dbow", "d2v-dm-mean"])
def test_one_and_two_workers_agree_in_expectation(mode):
    cls, params = MODES[mode]
    corpus = random_corpus(400, 15, 100, seed=9)
    per_example = []
    for workers in (1, 2):
        model = cls(corpus_for(cls, corpus), vector_size=16, min_count=1, workers=workers, epochs=3, seed=1,
                    **params)
        per_example.append([r["total"] / r["examples"] for r in model.loss_history])
    # thread timing changes the order of updates, not what is learnt: each epoch within 3%
    np.testing.assert_allclose(per_example[0], per_example[1], rtol=0.03)


@pytest.mark.parametrize("mode", ["ft-sg", "d2v-dbow-words"])
def test_no_saturation_past_2_pow_27(mode):
    corpus = random_corpus(9000, 100, 2**14, seed=4)
    model = frozen(mode, hs=1, negative=0, vector_size=1, workers=2)
    model.build_vocab(corpus_for(type(model), corpus))
    model.train(corpus_for(type(model), corpus), total_examples=len(corpus), epochs=3)
    total, examples = expected_hs(model, corpus)
    assert 3 * total > 2**27 + 1e6
    assert model.get_latest_training_loss() == pytest.approx(3 * total, rel=1e-6)


class PythonL2(BaseLoss):
    """L2Penalty written as a Python term: the hybrid path evaluates it on the h it collects."""

    def __init__(self, weight):
        self.weight = weight

    def forward(self, target, output):
        h = np.asarray(output, dtype=np.float64)
        return 0.5 * self.weight * (h ** 2).sum(axis=1)

    def backward(self, target, output):
        return self.weight * np.asarray(output)


@pytest.mark.parametrize("mode", list(MODES))
def test_native_hybrid_and_reference_see_the_same_h(mode):
    """A penalty on h, natively, in Python (hybrid) and on the reference path,
    on a frozen model: the same h means the same penalty, example by example."""
    corpus = random_corpus(60, 10, 40, seed=10)
    totals = {}
    for name, loss, backend in (("native", HierarchicalSoftmaxLoss() + L2Penalty(0.5), "auto"),
                                ("hybrid", HierarchicalSoftmaxLoss() + PythonL2(0.5), "auto"),
                                ("reference", HierarchicalSoftmaxLoss() + L2Penalty(0.5), "reference")):
        model = frozen(mode, loss=loss, backend=backend, workers=1)
        model.build_vocab(corpus_for(type(model), corpus))
        model.train(corpus_for(type(model), corpus), total_examples=len(corpus), epochs=1)
        rec = model.loss_history[0]
        penalty = rec["total"] - rec["hs"]
        totals[name] = (rec["examples"], rec["hs"], penalty)
    assert totals["native"][2] > 0
    for name in ("hybrid", "reference"):
        assert totals[name][0] == totals["native"][0]
        assert totals[name][1] == pytest.approx(totals["native"][1], rel=1e-6)
        assert totals[name][2] == pytest.approx(totals["native"][2], rel=1e-4)


@pytest.mark.parametrize("mode", ["ft-sg", "d2v-dbow-words", "d2v-dm-mean"])
def test_reference_path_learns_like_the_kernels(mode):
    cls, params = MODES[mode]
    corpus = random_corpus(60, 10, 40, seed=11)
    first = {}
    for backend in ("auto", "reference"):
        model = cls(corpus_for(cls, corpus), vector_size=8, min_count=1, workers=1, epochs=2, seed=2,
                    backend=backend, hs=1, negative=0, sample=0, **params)
        first[backend] = [r["total"] for r in model.loss_history]
    np.testing.assert_allclose(first["reference"], first["auto"], rtol=1e-3)


def test_fasttext_lexicon_term_reads_the_word_rows_on_both_paths():
    """The kernels pull a FastText word's own row (``vectors_vocab``) towards its partners' own rows; the
    reference path must read those rows too, not the vectors composed with n-grams."""
    corpus = random_corpus(60, 10, 40, seed=11)
    pairs = [("w1", "w2"), ("w3", "w4"), ("w5", "w6")]
    loss = {}
    for backend in ("auto", "reference"):
        model = FastText(corpus, vector_size=8, min_count=1, bucket=500, workers=1, epochs=2, seed=2, hs=1,
                         negative=0, sample=0, backend=backend,
                         loss=HierarchicalSoftmaxLoss() + LexiconPenalty(pairs, weight=1.0, margin=(0.99, 0.0)))
        loss[backend] = [r["lexicon"] for r in model.loss_history]
    assert min(loss["auto"]) > 0
    np.testing.assert_allclose(loss["reference"], loss["auto"], rtol=1e-4)


def test_fasttext_bucket_table_is_built_once_per_vocabulary(monkeypatch):
    from gensim_losses.models import fasttext

    made = []
    real = fasttext._csr
    monkeypatch.setattr(fasttext, "_csr", lambda buckets: made.append(len(buckets)) or real(buckets))
    corpus = random_corpus(60, 10, 40, seed=11)
    model = FastText(vector_size=8, min_count=1, bucket=500, workers=1, epochs=3, seed=2)
    model.build_vocab(corpus)
    model.train(corpus, total_examples=len(corpus), epochs=3)
    assert made == [len(model.wv)]  # the run's start, every epoch's check and the composition at its end
    model.train(corpus, total_examples=len(corpus), epochs=1)
    assert len(made) == 1
    model.build_vocab([["a", "brand", "new", "word"]] * 2, update=True)  # a new vocabulary: a new table
    model.train(corpus, total_examples=len(corpus), epochs=1)
    assert made == [len(model.wv) - 4, len(model.wv)]


def test_fasttext_composite_vectors_are_gensims():
    corpus = random_corpus(100, 10, 60, seed=12)
    model = FastText(corpus, vector_size=8, min_count=1, bucket=3000, workers=1, epochs=2)
    stored = model.wv.vectors.copy()
    model.wv.adjust_vectors()  # gensim's own composition, in Python
    np.testing.assert_array_equal(stored, model.wv.vectors)
    assert np.all(np.isfinite(model.wv["never-seen-word"]))  # out of vocabulary: built from n-grams


@pytest.mark.parametrize("cls", [FastText, Doc2Vec])
def test_saved_vectors_load_in_stock_gensim(cls, tmp_path):
    corpus = random_corpus(100, 10, 60, seed=13)
    model = cls(corpus_for(cls, corpus), vector_size=8, min_count=1, workers=1, epochs=1)
    model.wv.save_word2vec_format(str(tmp_path / "v.txt"))
    kv = gensim.models.KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"))
    np.testing.assert_allclose(kv["w1"], model.wv["w1"], atol=1e-6)
    stock = model.to_gensim()
    assert type(stock) is _gensim_class(model) and type(stock).__module__.startswith("gensim.")
    stock.save(str(tmp_path / "m.model"))
    back = type(stock).load(str(tmp_path / "m.model"))
    np.testing.assert_array_equal(back.wv["w1"], model.wv["w1"])
    if cls is FastText:
        np.testing.assert_array_equal(back.wv["unseen"], model.wv["unseen"])
    else:
        np.testing.assert_array_equal(back.dv[0], model.dv[0])


def test_infer_vector_reports_its_loss_and_finds_the_document():
    docs = list(gensim.models.doc2vec.TaggedLineDocument(datapath("lee_background.cor")))
    model = Doc2Vec(docs, dm=0, vector_size=24, min_count=2, epochs=20, workers=2, seed=1)
    before = model.dv.vectors.copy(), model.syn1neg.copy(), model.wv.vectors.copy()
    vector, records = model.infer_vector(docs[5].words, return_loss=True)
    # nothing of the model moved
    for old, new in zip(before, (model.dv.vectors, model.syn1neg, model.wv.vectors)):
        np.testing.assert_array_equal(old, new)
    assert len(records) == model.epochs and all(r["examples"] > 0 for r in records)
    assert records[-1]["total"] < records[0]["total"]
    assert 5 in [tag for tag, _ in model.dv.most_similar([vector], topn=3)]
    np.testing.assert_array_equal(model.infer_vector(docs[5].words, epochs=3).shape, (24,))


def test_loss_objects_set_the_objectives():
    model = FastText(loss=NEGSamplingLoss(negative=3))
    assert (model.hs, model.negative) == (0, 3)
    model = Doc2Vec(loss=HierarchicalSoftmaxLoss())
    assert (model.hs, model.negative) == (1, 0)
    with pytest.raises(ValueError, match="contradicts"):
        Doc2Vec(loss=HierarchicalSoftmaxLoss(), negative=5)
    assert Word2Vec().compute_loss and FastText().compute_loss and Doc2Vec().compute_loss


def test_divergence_is_reported():
    from gensim_losses import DivergenceError
    corpus = random_corpus(200, 12, 50, seed=14)
    model = FastText(min_count=1, alpha=1e6, workers=1, epochs=2, bucket=2000)
    model.build_vocab(corpus)
    with pytest.raises(DivergenceError, match="diverged"):
        model.train(corpus, total_examples=len(corpus), epochs=2)
    assert np.isfinite(model.wv.vectors_vocab).all() and np.isfinite(model.wv.vectors_ngrams).all()


def test_infer_vector_with_word_terms_moves_no_word_vector():
    """Terms that act on word vectors directly (lexicon pairs, PV-DM's windows) must hold them
    fixed during inference too: inference trains the new document's vector alone."""
    docs = list(gensim.models.doc2vec.TaggedLineDocument(datapath("lee_background.cor")))
    antonyms = [("police", "government"), ("the", "said"), ("police", "the")]  # near: the hinge is active
    model = Doc2Vec(docs, dm=1, vector_size=16, min_count=2, epochs=2, workers=1, seed=1,
                    loss=NEGSamplingLoss() + LexiconPenalty(antonyms=antonyms, weight=1.0))
    before = model.wv.vectors.copy(), model.syn1neg.copy(), model.dv.vectors.copy()
    vector, records = model.infer_vector("the police and the government said".split(), return_loss=True)
    for old, new in zip(before, (model.wv.vectors, model.syn1neg, model.dv.vectors)):
        np.testing.assert_array_equal(old, new)
    assert records[0]["lexicon"] > 0 and np.isfinite(vector).all()
