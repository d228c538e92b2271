"""shared_negatives=True in FastText and Doc2Vec: FastText skip-gram's window
and PV-DBOW's blocks share one draw among the examples of one h
(``shared_targets``), FastText CBOW and PV-DM share CBOW's slots; the
reference path replays each, draw for draw."""

import numpy as np
import pytest
from gensim.models.doc2vec import TaggedDocument
from gensim.models.keyedvectors import KeyedVectors
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath
from test_shared import rng_steps

import gensim_losses as G
from gensim_losses import BaseLoss, DivergenceError, NEGSamplingLoss
from gensim_losses.training.engine import dbow_sharing

DETERMINISTIC = dict(vector_size=16, window=2, min_count=1, sample=0, shrink_windows=False, workers=1, seed=11,
                     epochs=2, alpha=0.05, min_alpha=0.05)


@pytest.fixture(scope="module")
def lee():
    return list(LineSentence(datapath("lee_background.cor")))


def documents(sentences):
    """Tagged documents, every other one with a second tag shared by a third of them (two windows per block)."""
    return [TaggedDocument(s, [i, f"group{i % 3}"] if i % 2 else [i]) for i, s in enumerate(sentences)]


MODES = {
    "ft-sg": (G.FastText, dict(sg=1, bucket=300)),
    "ft-cbow": (G.FastText, dict(sg=0, bucket=300)),
    "dbow": (G.Doc2Vec, dict(dm=0)),
    "dbow-words": (G.Doc2Vec, dict(dm=0, dbow_words=1)),
    "dm": (G.Doc2Vec, dict(dm=1)),
}


def corpus_of(cls, sentences):
    return documents(sentences) if cls is G.Doc2Vec else sentences


def arrays(model):
    if isinstance(model, G.FastText):
        return {"vectors_vocab": model.wv.vectors_vocab, "vectors_ngrams": model.wv.vectors_ngrams,
                "syn1neg": model.syn1neg}
    return {"wv": model.wv.vectors, "dv": model.dv.vectors, "syn1neg": model.syn1neg}


def assert_replayed(native, reference, terms, rel=1e-5, atol=1e-4):
    """The same draws and the same deferred steps: records and weights agree to float rounding.
    A replay that draws otherwise, or steps a row before its window's end, differs by tens of
    percent on these records (a FastText window through the Word2Vec kernel did: 47865 against 39115)."""
    assert len(native.loss_history) == len(reference.loss_history) > 0
    for a, b in zip(native.loss_history, reference.loss_history):
        assert a["examples"] == b["examples"] > 0
        for term in (*terms, "total"):
            assert a[term] == pytest.approx(b[term], rel=rel), term
    for name, array in arrays(native).items():
        np.testing.assert_allclose(array, arrays(reference)[name], atol=atol, err_msg=name)


def pair(cls, corpus, loss=NEGSamplingLoss, **kw):
    params = dict(DETERMINISTIC, shared_negatives=True, **kw)
    return (cls(corpus, loss=loss(), **params), cls(corpus, loss=loss(), backend="reference", **params))


@pytest.mark.parametrize("mode", list(MODES))
def test_shared_negatives_are_replayed_by_the_reference(lee, mode):
    cls, params = MODES[mode]
    native, reference = pair(cls, corpus_of(cls, lee[:15]), **params)
    assert_replayed(native, reference, ("ns",))


def anchored(model_words, dim=16):
    kv = KeyedVectors(dim)
    words = model_words[::3]
    kv.add_vectors(words, np.random.default_rng(0).normal(size=(len(words), dim)).astype(np.float32))
    return kv


@pytest.mark.parametrize("mode", ["ft-sg", "dbow-words"])
def test_penalties_and_the_anchor_are_replayed_in_a_shared_window(lee, mode):
    """The penalties act at each example's h; the anchor on the word rows among h's rows,
    once per example, all from the window's snapshot (FastText skip-gram's n-gram windows)."""
    cls, params = MODES[mode]
    words = sorted({w for s in lee[:15] for w in s})
    reference_kv = anchored(words)

    def loss():
        return NEGSamplingLoss() + G.NormPenalty(0.02) + G.L2Penalty(0.05) + G.AnchorPenalty(reference_kv, 0.3)

    native, reference = pair(cls, corpus_of(cls, lee[:15]), loss=loss, **params)
    assert native.loss_history[-1]["anchor"] > 0
    assert_replayed(native, reference, ("ns", "norm", "l2", "anchor"))


class InputCount(BaseLoss):
    """A Python term that reads each example's own target and inputs:
    ``0.025 (1 + t mod 2) (1 + sum_i (x_i mod 3)) |h|^2`` over its input word ids ``x_i``. Run at
    another example's row (the kernel's order of examples against Job.collect's), it weighs wrongly."""

    @staticmethod
    def factor(target, batch):
        ids, offsets = np.asarray(batch.input_ids), np.asarray(batch.input_offsets)
        inputs = 1.0 + np.add.reduceat(np.append(ids % 3, 0), offsets[:-1]) * (np.diff(offsets) > 0)
        return (1.0 + np.asarray(target) % 2) * inputs

    def forward(self, target, output, batch):
        return 0.025 * self.factor(target, batch) * (output * output).sum(axis=1)

    def backward(self, target, output, batch):
        return 0.05 * self.factor(target, batch)[:, None] * output


class CalledBack(InputCount):
    """InputCount, reading h's values in Python: it does not compile, and runs called back per example."""

    def forward(self, target, output, batch):
        return 0.025 * self.factor(target, batch) * (np.asarray(output, dtype=np.float64) ** 2).sum(axis=1)

    def backward(self, target, output, batch):
        return 0.05 * self.factor(target, batch)[:, None] * np.asarray(output, dtype=np.float64)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("term", [InputCount, CalledBack])
@pytest.mark.parametrize("mode", ["ft-sg", "dbow", "dbow-words"])
def test_python_terms_run_at_each_examples_own_row(lee, mode, term):
    """The hybrid path records a job's examples, then trains it: with shared windows and
    PV-DBOW's blocks (after the block's skip-gram windows, tag after tag) both walk the same order,
    compiled or called back."""
    cls, params = MODES[mode]
    native, reference = pair(cls, corpus_of(cls, lee[:12]), loss=lambda: NEGSamplingLoss() + term(), **params)
    name = "input_count" if term is InputCount else "called_back"
    assert native.loss_history[-1][name] > 0
    assert_replayed(native, reference, ("ns", name))


@pytest.mark.parametrize("mode", ["ft-sg", "dbow-words"])
def test_a_negative_equal_to_a_target_is_left_out_of_that_example_only(mode):
    """Three words and five negatives: every window draws its own targets among the negatives,
    and a negative drawn twice counts twice; replayed to float rounding."""
    cls, params = MODES[mode]
    words = ["a", "b", "c", "a", "b", "a", "c"]
    corpus = corpus_of(cls, [words] * 20)
    native, reference = pair(cls, corpus, negative=5, vector_size=8, alpha=0.025, min_alpha=0.025,
                             **dict(params, **({"bucket": 50} if cls is G.FastText else {})))
    assert_replayed(native, reference, ("ns",), rel=2e-5, atol=1e-5)


def test_one_draw_per_window_and_per_block(lee):
    """FastText skip-gram draws ``negative`` per position (not per context word); PV-DBOW once
    per tag and block of positions of a document, more rows than ``negative`` (dbow_sharing)."""
    params = dict(vector_size=8, window=3, min_count=1, sample=0, shrink_windows=False, epochs=1, seed=3)
    ft = G.FastText(lee[:30], sg=1, bucket=300, shared_negatives=True, **params)
    steps, examples, positions = rng_steps(ft, lee[:30])
    assert steps == ft.negative * positions < ft.negative * examples / 4
    docs = documents(lee[:30])
    dbow = G.Doc2Vec(docs, dm=0, shared_negatives=True, **params)
    block, negatives = dbow_sharing(dbow.negative)
    assert block > 1 and negatives >= dbow.negative
    blocks = sum(len(d.tags) * -(-len(d.words) // block) for d in docs)
    steps, examples, positions = rng_steps(dbow, docs)
    assert examples == sum(len(d.tags) * len(d.words) for d in docs)
    assert steps == negatives * blocks < dbow.negative * examples / 2


@pytest.mark.parametrize("mode", ["ft-sg", "dbow"])
def test_shared_negatives_learn_like_the_per_pair_kernel(lee, mode):
    cls, params = MODES[mode]
    corpus = corpus_of(cls, lee)
    settings = dict(vector_size=40, min_count=2, epochs=10, workers=2, seed=1, **params)
    shared = cls(corpus, shared_negatives=True, **settings)
    per_pair = cls(corpus, **settings)
    a, b = shared.loss_history[-1], per_pair.loss_history[-1]
    assert abs(a["examples"] - b["examples"]) < 0.01 * b["examples"]
    assert a["ns"] / a["examples"] == pytest.approx(b["ns"] / b["examples"], rel=0.1)
    if cls is G.FastText:
        pairs = [("government", "minister"), ("police", "officers"), ("fire", "fires")]

        def hits(model):
            return sum(y in [w for w, _ in model.wv.most_similar(x, topn=20)] for x, y in pairs)
    else:
        # a document's inferred vector finds the document itself
        def hits(model):
            return sum(model.dv.most_similar([model.infer_vector(corpus[i].words, epochs=20)], topn=5)[0][0] == i
                       for i in range(0, 60, 3))
    assert hits(shared) >= min(hits(per_pair), 2 if cls is G.FastText else 10)


@pytest.mark.parametrize("mode", ["ft-sg", "dbow-words"])
def test_a_diverging_shared_window_raises_and_leaves_vectors_finite(lee, mode):
    cls, params = MODES[mode]
    model = cls(vector_size=20, min_count=2, workers=1, alpha=2.0, shared_negatives=True, **params)
    corpus = corpus_of(cls, lee)
    model.build_vocab(corpus)
    with pytest.raises(DivergenceError, match="learning rate"):
        model.train(corpus, total_examples=len(corpus), epochs=5)
    for name, array in arrays(model).items():
        assert np.isfinite(array).all(), name


@pytest.mark.parametrize("cls, kwargs, message", [
    (G.FastText, dict(sg=1, loss=NEGSamplingLoss() + G.GroupNegativeLoss({"a": 0, "b": 0})),
     "FastText skip-gram shares one draw among several targets"),
    (G.Doc2Vec, dict(dm=0, loss=NEGSamplingLoss() + G.GroupNegativeLoss({"a": 0, "b": 0})),
     "PV-DBOW shares one draw"),
    (G.Doc2Vec, dict(dm=1, dm_concat=1), "does not serve PV-DM with concatenation"),
    (G.FastText, dict(sg=1, hs=1, negative=0), "has no NEGSamplingLoss"),
])
def test_what_the_shared_windows_cannot_serve_is_refused(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(shared_negatives=True, **kwargs)


def test_shared_negatives_survive_saving(lee, tmp_path):
    model = G.FastText(lee[:20], sg=1, bucket=300, shared_negatives=True, **dict(DETERMINISTIC, epochs=1))
    model.save(str(tmp_path / "ft.model"))
    loaded = G.FastText.load(str(tmp_path / "ft.model"))
    assert loaded.shared_negatives
    loaded.train(lee[:20], total_examples=20, epochs=1)
    assert loaded.loss_history[-1]["examples"] == model.loss_history[-1]["examples"]


@pytest.mark.parametrize("mode", ["ft-sg", "dbow-words"])
def test_shared_windows_train_from_a_corpus_file_on_two_threads(lee, tmp_path, mode):
    cls, params = MODES[mode]
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in lee) + "\n")
    model = cls(vector_size=16, min_count=2, workers=2, shared_negatives=True, **params)
    model.build_vocab(corpus_file=str(path))
    model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=2)
    per_pair = cls(vector_size=16, min_count=2, workers=2, **params)
    per_pair.build_vocab(corpus_file=str(path))
    per_pair.train(corpus_file=str(path), total_words=per_pair.corpus_total_words, epochs=2)
    assert abs(model.loss_history[-1]["examples"] - per_pair.loss_history[-1]["examples"]) \
        < 0.01 * per_pair.loss_history[-1]["examples"]
    for name, array in arrays(model).items():
        assert np.isfinite(array).all(), name
