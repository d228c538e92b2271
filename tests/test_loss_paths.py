"""Word2Vec(loss=...): the three paths, their agreement, penalties at work, bad input."""

import pickle
import sys
import threading
import time
import types

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.models.callbacks import CallbackAny2Vec
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath
from tutorial_loss import TutorialLoss

import gensim_losses as G
from gensim_losses import BaseLoss, NEGSamplingLoss, Word2Vec


@pytest.fixture(scope="module")
def lee():
    return list(LineSentence(datapath("lee_background.cor")))


def mean_norm(model):
    return float(np.linalg.norm(model.wv.vectors, axis=1).mean())


def test_tutorial_example_runs_as_written(lee):
    with pytest.warns(DeprecationWarning, match="vector_size"):
        model = Word2Vec(lee, size=100, window=5, sg=1, negative=5, loss=TutorialLoss(penalty=0.1))
    assert model.wv.vector_size == 100
    rec = model.loss_history[-1]
    assert set(rec) == {"epoch", "examples", "total", "ns", "tutorial_loss"}
    assert rec["total"] == pytest.approx(rec["ns"] + rec["tutorial_loss"])
    assert rec["tutorial_loss"] > 0
    assert np.isfinite(model.wv.vectors).all()


def test_model_settings_follow_the_loss_and_contradictions_are_refused():
    m = Word2Vec(loss=NEGSamplingLoss(negative=7) + G.HierarchicalSoftmaxLoss())
    assert (m.negative, m.hs) == (7, 1)
    m = Word2Vec(loss=G.HierarchicalSoftmaxLoss())
    assert (m.negative, m.hs) == (0, 1)
    with pytest.raises(ValueError, match=r"negative=0.*NEGSamplingLoss"):
        Word2Vec(hs=1, negative=0, loss=NEGSamplingLoss())
    with pytest.raises(ValueError, match=r"negative=10.*negative=5"):
        Word2Vec(negative=10, loss=NEGSamplingLoss(negative=5))
    with pytest.raises(ValueError, match=r"hs=1.*no HierarchicalSoftmaxLoss"):
        Word2Vec(hs=1, loss=NEGSamplingLoss())
    with pytest.raises(TypeError, match="BaseLoss"):
        Word2Vec(loss="ns")
    with pytest.raises(TypeError, match="vector_size"):
        Word2Vec(size=50, vector_size=60)
    with pytest.raises(G.LossError, match="no objective"):
        Word2Vec([["a", "b"]], min_count=1, loss=G.NormPenalty(0.1))


def test_objectives_add_and_records_name_each_term(lee):
    model = Word2Vec(lee, vector_size=30, min_count=2, sg=1, epochs=2, workers=2,
                     loss=NEGSamplingLoss() + G.HierarchicalSoftmaxLoss() + G.L2Penalty(0.01))
    rec = model.loss_history[-1]
    assert {"ns", "hs", "l2"} <= set(rec)
    assert rec["total"] == pytest.approx(rec["ns"] + rec["hs"] + rec["l2"])


def deterministic_pair(corpus, loss_factory, sg, epochs=2, **kw):
    """The same training on the native kernels and on the numpy reference path."""
    params = dict(vector_size=16, window=2, min_count=1, sample=0, shrink_windows=False, sg=sg,
                  workers=1, seed=11, epochs=epochs, alpha=0.05, min_alpha=0.05)
    params.update(kw)
    native = Word2Vec(corpus, loss=loss_factory(), **params)
    reference = Word2Vec(corpus, loss=loss_factory(), backend="reference", **params)
    return native, reference


@pytest.mark.parametrize("sg", [1, 0])
def test_native_matches_reference_exactly_without_random_draws(lee, sg):
    """HS draws no random numbers: kernel and numpy reference do the same SGD steps."""
    corpus = lee[:15]
    native, reference = deterministic_pair(
        corpus, lambda: G.HierarchicalSoftmaxLoss() + G.L2Penalty(0.05) + G.NormPenalty(0.02), sg)
    for a, b in zip(native.loss_history, reference.loss_history):
        assert a["examples"] == b["examples"]
        for term in ("hs", "l2", "norm", "total"):
            # the kernel skips steps of terms already right to 0.25%; float32 vs float64
            assert a[term] == pytest.approx(b[term], rel=2e-3), term
    np.testing.assert_allclose(native.wv.vectors, reference.wv.vectors, atol=2e-3)


@pytest.mark.parametrize("sg", [1, 0])
def test_softmax_anchor_direction_native_match_reference(lee, sg):
    """Full softmax, anchor and direction penalties: no random draws either."""
    corpus = lee[:6]
    words = sorted({w for s in corpus for w in s})
    rng = np.random.default_rng(5)
    reference_kv = KeyedVectors(16)
    reference_kv.add_vectors(words[::2], rng.normal(0, 0.3, (len(words[::2]), 16)).astype(np.float32))
    direction = rng.normal(size=16)

    def loss():
        return (G.SoftmaxLoss() + G.AnchorPenalty(reference_kv, 0.5)
                + G.DirectionPenalty(direction / np.linalg.norm(direction), 0.3))

    native, reference = deterministic_pair(corpus, loss, sg)
    for a, b in zip(native.loss_history, reference.loss_history):
        assert a["examples"] == b["examples"]
        for term in ("softmax", "anchor", "direction", "total"):
            assert a[term] == pytest.approx(b[term], rel=2e-3), term
    np.testing.assert_allclose(native.wv.vectors, reference.wv.vectors, atol=2e-3)
    np.testing.assert_allclose(native.syn1softmax, reference.syn1softmax, atol=2e-3)
    assert native.loss_history[-1]["softmax"] < native.loss_history[0]["softmax"]


@pytest.mark.parametrize("penalty", [G.NormPenalty(0.2), G.L2Penalty(1.0)])
@pytest.mark.parametrize("sg", [1, 0])
def test_shrinking_penalties_lower_the_norm(lee, penalty, sg):
    params = dict(vector_size=30, min_count=2, sg=sg, workers=2, seed=1, epochs=3)
    bare = Word2Vec(lee, loss=NEGSamplingLoss(), **params)
    shrunk = Word2Vec(lee, loss=NEGSamplingLoss() + penalty, **params)
    assert mean_norm(shrunk) < 0.9 * mean_norm(bare)


def test_direction_penalty_removes_the_direction(lee):
    params = dict(vector_size=30, min_count=2, sg=1, workers=2, seed=1, epochs=3)
    bare = Word2Vec(lee, loss=NEGSamplingLoss(), **params)
    direction = bare.wv.vectors.mean(axis=0)  # the common direction all vectors share
    direction /= np.linalg.norm(direction)
    kept = Word2Vec(lee, loss=NEGSamplingLoss() + G.DirectionPenalty(direction, 1.0), **params)
    before = np.abs(bare.wv.vectors @ direction).mean()
    after = np.abs(kept.wv.vectors @ direction).mean()
    assert after < 0.5 * before


@pytest.mark.parametrize("sg, weight", [(1, 1.0), (0, 5.0)])  # CBOW shares the pull over the window
def test_anchor_keeps_continued_training_close(lee, sg, weight):
    params = dict(vector_size=30, min_count=2, sg=sg, workers=1, seed=1, epochs=3)  # one worker: repeatable
    first = Word2Vec(lee[:150], loss=NEGSamplingLoss(), **params)
    reference = first.wv

    def drift(loss):
        model = Word2Vec(lee[:150], loss=NEGSamplingLoss(), **params)
        model.loss = loss  # takes effect at the next train()
        model.train(lee[150:], total_examples=150, epochs=3)
        words = [w for w in model.wv.index_to_key if w in reference]
        return np.linalg.norm(model.wv[words] - reference[words], axis=1).mean(), model

    free, _ = drift(NEGSamplingLoss())
    anchored, model = drift(NEGSamplingLoss() + G.AnchorPenalty(reference, weight))
    assert "anchor" in model.loss_history[-1]
    assert anchored < 0.7 * free


class WrongShape(BaseLoss):
    def __init__(self):
        self.ns = NEGSamplingLoss()

    def forward(self, target, output):
        return self.ns.forward(target, output)

    def backward(self, target, output):
        return self.ns.backward(target, output)[:, :3]


class Exploding(BaseLoss):
    def __init__(self):
        self.ns = NEGSamplingLoss()
        self.armed = False

    def forward(self, target, output):
        f = self.ns.forward(target, output)
        return f * np.nan if self.armed else f

    def backward(self, target, output):
        return self.ns.backward(target, output)


class Raising(Exploding):
    def forward(self, target, output):
        if self.armed:
            raise RuntimeError("term failed")
        return super().forward(target, output)


def trained(lee, **kw):
    return Word2Vec(lee[:100], vector_size=20, min_count=2, sg=1, epochs=1, **kw)


def test_wrong_backward_shape_is_refused_before_training(lee):
    model = trained(lee, workers=1)
    before = model.wv.vectors.copy()
    with pytest.raises(G.LossError, match=r"WrongShape.*\(\d+, 3\).*expected.*\(\d+, 20\)"):
        model.loss = WrongShape()
        model.train(lee[:100], total_examples=100, epochs=1)
    assert np.array_equal(model.wv.vectors, before)


class ArmAfterFirstEpoch(CallbackAny2Vec):
    def __init__(self, loss):
        self.loss, self.snapshot = loss, None

    def on_epoch_end(self, model):
        self.loss.armed = True
        self.snapshot = model.wv.vectors.copy()


def test_nan_from_a_python_term_names_epoch_and_term_and_changes_nothing(lee):
    loss = Exploding()
    model = trained(lee, workers=1, loss=loss)
    arm = ArmAfterFirstEpoch(loss)
    with pytest.raises(G.LossError, match=r"'exploding'.*epoch 1"):
        model.train(lee[:100], total_examples=100, epochs=2, callbacks=[arm])
    assert np.array_equal(model.wv.vectors, arm.snapshot)  # the failing job changed nothing
    loss.armed = False  # fixed: training resumes
    model.train(lee[:100], total_examples=100, epochs=1)
    assert np.isfinite(model.wv.vectors).all()
    # its own share is zero: all of Exploding's loss is the objective the kernel trains
    assert model.loss_history[0]["exploding"] == 0 and model.loss_history[0]["ns"] > 0


def test_exception_in_a_python_term_with_two_workers_reaches_the_caller(lee):
    loss = Raising()
    model = trained(lee, workers=2, loss=loss, batch_words=200)
    loss.armed = True
    start = time.time()
    with pytest.raises(RuntimeError, match="term failed"):
        model.train(lee, total_examples=len(lee), epochs=3)
    assert time.time() - start < 30
    deadline = time.time() + 5
    while [t for t in threading.enumerate() if _is_training_thread(t)] and time.time() < deadline:
        time.sleep(0.05)
    assert not [t for t in threading.enumerate() if _is_training_thread(t)]
    assert np.isfinite(model.wv.vectors).all()


def test_non_additive_composite_is_refused_with_a_pointer_to_reference(lee):
    class Product(BaseLoss):
        def __init__(self):
            self.ns = NEGSamplingLoss()

        def forward(self, target, output):
            return self.ns.forward(target, output) * (1 + output.norm())

        def backward(self, target, output):
            f = self.ns.forward(target, output)[:, None]
            return self.ns.backward(target, output) * (1 + output.norm()[:, None]) + f * output.normalize()

    with pytest.raises(G.LossError, match="backend='reference'"):
        Word2Vec(lee[:50], min_count=2, loss=Product())
    model = Word2Vec(lee[:20], vector_size=10, min_count=2, epochs=1, loss=Product(), backend="reference")
    assert model.loss_history[0]["product"] > 0


def test_custom_loss_saves_and_loads(lee, tmp_path):
    model = trained(lee, workers=2, loss=TutorialLoss(0.1))
    model.save(str(tmp_path / "m"))
    loaded = Word2Vec.load(str(tmp_path / "m"))
    assert type(loaded.loss) is TutorialLoss and loaded.loss.penalty == 0.1
    loaded.train(lee[:100], total_examples=100, epochs=1)
    assert loaded.loss_history[0]["tutorial_loss"] > 0


def test_loading_without_the_loss_class_names_it(lee, tmp_path):
    module = types.ModuleType("vanishing_losses")
    exec("from gensim_losses import BaseLoss, NEGSamplingLoss\n"
         "class GoneLoss(BaseLoss):\n"
         "    def __init__(self):\n        self.ns = NEGSamplingLoss()\n"
         "    def forward(self, t, o):\n        return self.ns.forward(t, o)\n"
         "    def backward(self, t, o):\n        return self.ns.backward(t, o)\n", module.__dict__)
    sys.modules["vanishing_losses"] = module
    try:
        model = trained(lee, workers=1, loss=module.GoneLoss())
        model.save(str(tmp_path / "m"))
    finally:
        del sys.modules["vanishing_losses"]
    with pytest.raises(ImportError, match="GoneLoss|vanishing_losses"):
        Word2Vec.load(str(tmp_path / "m"))


def test_loss_pickles_without_its_model(lee):
    model = trained(lee, workers=1, loss=TutorialLoss(0.1))
    data = pickle.dumps(model.loss)
    assert len(data) < 10_000  # the bound model is not carried along


def test_assigned_loss_brings_its_settings_and_output_layer(lee):
    model = Word2Vec(lee[:100], vector_size=20, min_count=2, hs=1, negative=0, epochs=1, workers=1)
    assert getattr(model, "syn1neg", None) is None
    model.loss = NEGSamplingLoss(ns_exponent=0.5)
    model.train(lee[:100], total_examples=100, epochs=1)
    assert (model.negative, model.hs, model.ns_exponent) == (5, 0, 0.5)
    assert model.syn1neg.shape == model.wv.vectors.shape
    assert set(model.loss_history[0]) == {"epoch", "examples", "total", "ns"}


def _is_training_thread(thread):
    """A worker or job producer of train() (others, e.g. tqdm's monitor, may outlive a test)."""
    return any(name in thread.name for name in ("_worker_loop", "_job_producer"))
