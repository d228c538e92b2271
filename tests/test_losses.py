"""Loss objects and their numpy reference math (gensim_losses.losses, gensim_losses.losses.functional)."""

import copy
import math
import pickle

import numpy as np
import pytest
from gensim.models import KeyedVectors
from scipy.special import expit, logsumexp
from tutorial_loss import TutorialLoss

from gensim_losses import Word2Vec
from gensim_losses.losses import (
    AnchorPenalty,
    BaseLoss,
    CustomLoss,
    DirectionPenalty,
    HierarchicalSoftmaxLoss,
    L2Penalty,
    LossArray,
    LossError,
    NEGSamplingLoss,
    NormPenalty,
    Objective,
    ScaledLoss,
    SoftmaxLoss,
    SumLoss,
    as_output,
    call_backward,
    call_forward,
    gradcheck,
)
from gensim_losses.losses import functional as F

DIM = 8
VOCAB = 20


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(0)
    corpus = [[f"w{i}" for i in rng.integers(0, VOCAB, 12)] for _ in range(60)]
    m = Word2Vec(corpus, vector_size=DIM, window=3, min_count=1, hs=1, negative=5, epochs=1, workers=1, seed=7)
    m.syn1softmax = rng.normal(size=(len(m.wv), DIM)).astype(np.float32) * 0.1
    return m


@pytest.fixture
def batch(model):
    rng = np.random.default_rng(1)
    n = 6
    target = rng.integers(0, len(model.wv), n)
    output = as_output(rng.normal(size=(n, DIM)) * 0.5)  # float64 LossArray
    return target, output


def reference_kv(words, dim, seed=0):
    kv = KeyedVectors(dim)
    kv.add_vectors(list(words), np.random.default_rng(seed).normal(size=(len(words), dim)).astype(np.float32))
    return kv


# ----------------------------------------------------------------------------- gradcheck
def all_builtins(model):
    present = model.wv.index_to_key[::2]
    return [
        NEGSamplingLoss(),
        NEGSamplingLoss(negative=3, ns_exponent=0.5, seed=11),
        HierarchicalSoftmaxLoss(),
        SoftmaxLoss(),
        NormPenalty(0.3),
        L2Penalty(0.7),
        AnchorPenalty(reference_kv(present, DIM), 0.4),
        DirectionPenalty(np.random.default_rng(2).normal(size=(2, DIM)), 0.6),
        DirectionPenalty(np.ones(DIM), 0.2),
        CustomLoss(penalty=0.1),
        CustomLoss(penalty=0.2, base=HierarchicalSoftmaxLoss()),
        TutorialLoss(penalty=0.1),
        NEGSamplingLoss() + 0.1 * NormPenalty(1.0) + L2Penalty(0.05) * 2,
        0.5 * (HierarchicalSoftmaxLoss() + SoftmaxLoss()),
    ]


@pytest.mark.parametrize("index", range(14))
def test_gradcheck_passes_for_builtins(model, batch, index):
    loss = all_builtins(model)[index].bind(model)
    target, output = batch
    assert gradcheck(loss, target, output)


def test_gradcheck_float32_output_is_promoted(model, batch):
    target, output = batch
    assert gradcheck(HierarchicalSoftmaxLoss().bind(model), target, np.asarray(output, dtype=np.float32))


class WrongBackward(NormPenalty):
    def backward(self, target, output):
        return 2.0 * super().backward(target, output)


def test_gradcheck_fails_on_wrong_backward(batch):
    target, output = batch
    with pytest.raises(LossError, match=r"WrongBackward.*worst at output\[\d+, \d+\]"):
        gradcheck(WrongBackward(1.0), target, output)


def test_gradcheck_fails_on_nan_backward(batch):
    class NanBackward(L2Penalty):
        def backward(self, target, output):
            grad = super().backward(target, output)
            grad[0, 0] = np.nan
            return grad

    with pytest.raises(LossError, match=r"output\[0, 0\]"):
        gradcheck(NanBackward(1.0), *batch)


# ----------------------------------------------------------------------------- functional
def test_binary_logistic_values_and_stability():
    s = np.array([-1000.0, -2.0, 0.0, 3.0, 1000.0])
    for label in (0.0, 1.0):
        loss, grad = F.binary_logistic(s, np.full_like(s, label))
        y = label
        expected = [-(y * math.log(expit(x)) + (1 - y) * math.log(expit(-x))) if abs(x) < 50
                    else (max(x, 0.0) - y * x) for x in s]
        np.testing.assert_allclose(loss, expected, rtol=1e-12)
        np.testing.assert_allclose(grad, expit(s) - y, rtol=1e-12, atol=1e-300)
    loss, grad = F.binary_logistic(s.astype(np.float32), np.ones(5), mask=[1, 1, 0, 1, 1])
    assert loss.dtype == grad.dtype == np.float32
    assert np.isfinite(loss).all() and loss[2] == 0 and grad[2] == 0
    assert loss[0] == pytest.approx(1000.0)


def test_negative_sampling_one_example_by_hand():
    rng = np.random.default_rng(3)
    h = rng.normal(size=4)
    rows = rng.normal(size=(4, 4))  # target, then 3 negatives
    loss, grad_h, grad_rows = F.negative_sampling(h[None], rows[None])
    sig = [1 / (1 + math.exp(-float(r @ h))) for r in rows]
    expected = -math.log(sig[0]) - sum(math.log(1 - s) for s in sig[1:])
    assert loss.shape == (1,) and loss[0] == pytest.approx(expected, rel=1e-12)
    g = np.array([sig[0] - 1] + sig[1:])
    np.testing.assert_allclose(grad_h[0], g @ rows, rtol=1e-12)
    np.testing.assert_allclose(grad_rows[0], np.outer(g, h), rtol=1e-12)
    # a masked negative contributes nothing
    mask = np.array([[True, True, False, True]])
    loss_m, grad_h_m, grad_rows_m = F.negative_sampling(h[None], rows[None], mask=mask)
    assert loss_m[0] == pytest.approx(expected + math.log(1 - sig[2]), rel=1e-12)
    np.testing.assert_allclose(grad_h_m[0], g @ rows - g[2] * rows[2], rtol=1e-12)
    assert not grad_rows_m[0, 2].any()


def test_negative_sampling_step_replays_sgd_on_a_row_drawn_twice():
    """With ``step``, each row steps right after its term (what the kernels do), so a
    negative drawn twice is scored the second time against its moved row."""
    rng = np.random.default_rng(5)
    h = rng.normal(size=4)
    layer = rng.normal(size=(3, 4))
    ids = np.array([0, 2, 1, 2, 2, 1])  # target 0, then negatives 2, 1, 2, 2, 1
    labels = np.array([1.0, 0, 0, 0, 0, 0])
    mask = ids != 7  # all in
    step = 0.3
    # by hand: SGD, one term at a time
    w = layer.copy()
    loss, grad_h = 0.0, np.zeros(4)
    for row, y in zip(ids, labels):
        s = float(w[row] @ h)
        loss += math.log1p(math.exp(s)) - y * s
        g = expit(s) - y
        grad_h += g * w[row]
        w[row] -= step * g * h
    got, got_h, got_rows = F.negative_sampling(h[None], layer[ids][None], labels, mask[None], ids[None], step)
    assert got[0] == pytest.approx(loss, rel=1e-12)
    np.testing.assert_allclose(got_h[0], grad_h, rtol=1e-12)
    scattered = layer.copy()
    np.add.at(scattered, ids, -step * got_rows[0])
    np.testing.assert_allclose(scattered, w, rtol=1e-12)
    # without step: every draw from the given rows, the gradient of the loss there
    exact, exact_h, _ = F.negative_sampling(h[None], layer[ids][None])
    assert exact[0] != pytest.approx(loss, rel=1e-6)
    g = expit(layer[ids] @ h) - labels
    np.testing.assert_allclose(exact_h[0], g @ layer[ids], rtol=1e-12)
    # a masked entry neither scores nor moves its row; the group form replays too
    mask = np.array([True, True, True, False, True, True])
    w = layer.copy()
    for row, y, on in zip(ids, labels, mask):
        if on:
            w[row] -= step * (expit(float(w[row] @ h)) - y) * h
    _, _, rows_m = F.negative_sampling(h[None], layer[ids][None], labels, mask[None], ids[None], step)
    scattered = layer.copy()
    np.add.at(scattered, ids, -step * rows_m[0])
    np.testing.assert_allclose(scattered, w, rtol=1e-12)
    g_loss, _, _ = F.group_negative_sampling(h[None], layer[ids[1:]][None], None, ids[None, 1:], step)
    assert g_loss[0] == pytest.approx(loss - (math.log1p(math.exp(layer[0] @ h)) - layer[0] @ h), rel=1e-12)
    with pytest.raises(ValueError, match="needs ids"):
        F.negative_sampling(h[None], layer[ids][None], step=step)


def test_hierarchical_softmax_labels_are_one_minus_code():
    rng = np.random.default_rng(4)
    h = rng.normal(size=(2, 3))
    rows = rng.normal(size=(2, 3, 3))
    codes = np.array([[0, 1, 1], [1, 0, 0]])
    mask = np.array([[True, True, True], [True, True, False]])
    loss, _, grad_rows = F.hierarchical_softmax(h, rows, codes, mask)
    for i in range(2):
        expected = sum(-math.log(expit((1 - 2 * codes[i, b]) * rows[i, b] @ h[i])) for b in range(3) if mask[i, b])
        assert loss[i] == pytest.approx(expected, rel=1e-12)
    assert not grad_rows[1, 2].any()


def test_softmax_against_logsumexp():
    rng = np.random.default_rng(5)
    h = rng.normal(size=(4, 3)) * 10  # large logits: the max shift matters
    w = rng.normal(size=(7, 3))
    target = np.array([0, 6, 3, 3])
    loss, grad_h, grad_w = F.softmax(h, w, target)
    logits = h @ w.T
    np.testing.assert_allclose(loss, logsumexp(logits, axis=1) - logits[np.arange(4), target], rtol=1e-12)
    p = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
    p[np.arange(4), target] -= 1
    np.testing.assert_allclose(grad_h, p @ w, rtol=1e-10)
    np.testing.assert_allclose(grad_w, p.T @ h, rtol=1e-10, atol=1e-12)
    assert grad_w.shape == w.shape


def test_penalties_per_row_by_hand():
    rng = np.random.default_rng(6)
    h = rng.normal(size=(3, 4))
    h[1] = 0.0
    ref = rng.normal(size=(3, 4))
    dirs = rng.normal(size=(2, 4))
    loss, grad = F.norm_penalty(h, 0.5)
    for i in range(3):
        nrm = math.sqrt(sum(x * x for x in h[i]))
        assert loss[i] == pytest.approx(0.5 * nrm)
        np.testing.assert_allclose(grad[i], 0.5 * h[i] / nrm if nrm else 0.0)
    loss, grad = F.l2_penalty(h, 0.5)
    np.testing.assert_allclose(loss, 0.25 * (h**2).sum(axis=1))
    np.testing.assert_allclose(grad, 0.5 * h)
    loss, grad = F.anchor_penalty(h, ref, np.array([True, False, True]), 2.0)
    assert loss[0] == pytest.approx(((h[0] - ref[0]) ** 2).sum())
    assert loss[1] == 0 and not grad[1].any()
    np.testing.assert_allclose(grad[2], 2.0 * (h[2] - ref[2]))
    loss, grad = F.direction_penalty(h, dirs, 3.0)
    for i in range(3):
        assert loss[i] == pytest.approx(1.5 * sum((h[i] @ d) ** 2 for d in dirs))
        np.testing.assert_allclose(grad[i], 3.0 * sum((h[i] @ d) * d for d in dirs))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_functional_follows_input_dtype(dtype):
    h = np.ones((2, 3), dtype=dtype)
    outs = [
        F.negative_sampling(h, np.ones((2, 2, 3), dtype=np.float32)),
        F.softmax(h, np.ones((4, 3), dtype=np.float32), [0, 1]),
        F.norm_penalty(h, 0.1),
        F.l2_penalty(h, 0.1),
        F.anchor_penalty(h, np.zeros((2, 3)), [True, False], 0.1),
        F.direction_penalty(h, np.ones(3), 0.1),
    ]
    for out in outs:
        assert all(a.dtype == dtype for a in out)


# ----------------------------------------------------------------------------- objectives on a model
def test_negative_sampling_loss_matches_manual_loop(model, batch):
    target, output = batch
    loss = NEGSamplingLoss().bind(model)
    res = loss.compute(target, output)
    k = model.negative
    assert res.rows.shape == (len(target), k + 1)
    np.testing.assert_array_equal(res.rows[:, 0], target)
    np.testing.assert_array_equal(res.rows[:, 1:], loss.draw_negatives(len(target)))
    h = np.asarray(output)
    for i in range(len(target)):
        expected = -math.log(expit(model.syn1neg[target[i]] @ h[i]))
        for w in res.rows[i, 1:]:
            if w != target[i]:  # the kernels skip a negative equal to the target
                expected -= math.log(expit(-(model.syn1neg[w] @ h[i])))
        assert res.loss[i] == pytest.approx(expected, rel=1e-10)
    # forward and backward of one call see the same negatives; calls repeat
    np.testing.assert_array_equal(loss.forward(target, output), res.loss)
    np.testing.assert_array_equal(loss.backward(target, output), res.grad_h)


def test_negatives_follow_unigram_table(model):
    loss = NEGSamplingLoss(negative=50, seed=3).bind(model)
    draws = loss.draw_negatives(400).ravel()
    assert draws.min() >= 0 and draws.max() < len(model.wv)
    counts = np.bincount(draws, minlength=len(model.wv)) / draws.size
    p = model.wv.expandos["count"] ** model.ns_exponent
    np.testing.assert_allclose(counts, p / p.sum(), atol=0.01)
    loss.seed = 4
    assert not np.array_equal(loss.draw_negatives(400).ravel(), draws)
    own = NEGSamplingLoss(ns_exponent=0.0).bind(model)  # uniform: its own table, model's left alone
    assert np.ptp(np.diff(own.cum_table().astype(np.int64))) <= 1
    assert model.cum_table is loss.cum_table()


def test_hs_loss_matches_huffman_paths(model, batch):
    target, output = batch
    res = HierarchicalSoftmaxLoss().bind(model).compute(target, output)
    h = np.asarray(output)
    for i, t in enumerate(target):
        code = model.wv.expandos["code"][t]
        point = model.wv.expandos["point"][t]
        expected = sum(-math.log(expit((1 - 2 * float(c)) * (model.syn1[p] @ h[i]))) for c, p in zip(code, point))
        assert res.loss[i] == pytest.approx(expected, rel=1e-10)
        np.testing.assert_array_equal(res.rows[i, :len(point)], point)


def test_softmax_loss_uses_syn1softmax(model, batch):
    target, output = batch
    res = SoftmaxLoss().bind(model).compute(target, output)
    logits = np.asarray(output) @ model.syn1softmax.T.astype(np.float64)
    np.testing.assert_allclose(res.loss, logsumexp(logits, axis=1) - logits[np.arange(len(target)), target])
    assert res.grad_rows.shape == model.syn1softmax.shape


def test_objectives_read_weights_at_call_time(model, batch):
    target, output = batch
    loss = NEGSamplingLoss().bind(model)
    before = loss.forward(target, output)
    saved = model.syn1neg.copy()
    try:
        model.syn1neg[:] = 0.0
        np.testing.assert_allclose(loss.forward(target, output), (model.negative + 1) * math.log(2), rtol=1e-6)
    finally:
        model.syn1neg[:] = saved
    np.testing.assert_array_equal(loss.forward(target, output), before)


def test_unbound_objective_raises(batch):
    for loss in (NEGSamplingLoss(), HierarchicalSoftmaxLoss(), SoftmaxLoss()):
        with pytest.raises(LossError, match="bind"):
            loss.forward(*batch)


def test_bind_errors(model):
    saved = model.syn1softmax
    del model.syn1softmax
    try:
        with pytest.raises(LossError, match="syn1softmax"):
            SoftmaxLoss().bind(model)
    finally:
        model.syn1softmax = saved
    with pytest.raises(LossError, match="vocabulary"):
        NEGSamplingLoss().bind(Word2Vec(vector_size=DIM))
    with pytest.raises(LossError, match="positive integer"):
        NEGSamplingLoss(negative=0)


def test_objective_checks_batch_shapes(model):
    loss = NEGSamplingLoss().bind(model)
    with pytest.raises(LossError, match=rf"\(n, {DIM}\)"):
        loss.forward(np.array([0, 1]), np.zeros((2, DIM + 1)))
    with pytest.raises(LossError, match=r"\[0, \d+\)"):
        loss.forward(np.array([0, 10_000]), np.zeros((2, DIM)))


def test_pickle_and_deepcopy_drop_the_model(model):
    loss = CustomLoss(0.1).bind(model)
    for clone in (pickle.loads(pickle.dumps(loss)), copy.deepcopy(loss)):
        assert clone.penalty == 0.1 and not clone.base.is_bound
        clone.bind(model)
        assert clone.base.is_bound
    assert loss.base.is_bound


# ----------------------------------------------------------------------------- children, names, composition
def test_tutorial_class_finds_its_child_without_super_init(model, batch):
    loss = TutorialLoss(penalty=0.1)
    children = list(loss.named_children())
    assert [(name, type(c)) for name, c in children] == [("neg_loss", NEGSamplingLoss)]
    mods = list(loss.modules())
    assert mods[0] is loss and mods[1] is loss.neg_loss and len(mods) == 2
    loss.bind(model)  # binds the child
    assert loss.neg_loss.is_bound
    target, output = batch
    expected = loss.neg_loss.forward(target, output) + 0.1 * np.linalg.norm(output, axis=1)
    np.testing.assert_allclose(call_forward(loss, target, output), expected)
    assert loss.name == "tutorial_loss"


def test_children_in_containers_and_nested_modules():
    class Holder(BaseLoss):
        def __init__(self):
            self.parts = [NormPenalty(1.0), "not a loss"]
            self.extra = {"l2": L2Penalty(1.0)}
            self.inner = CustomLoss(0.1)

    holder = Holder()
    assert [name for name, _ in holder.named_children()] == ["parts.0", "extra.l2", "inner"]
    names = [name for name, _ in holder.named_modules()]
    assert names == ["", "parts.0", "extra.l2", "inner", "inner.base"]
    assert sum(isinstance(m, Objective) for m in holder.modules()) == 1


def test_names():
    objectives = (NEGSamplingLoss, HierarchicalSoftmaxLoss, SoftmaxLoss)
    assert [cls().name for cls in objectives] == ["ns", "hs", "softmax"]
    assert NormPenalty(1).name == "norm" and L2Penalty(1).name == "l2"
    assert DirectionPenalty(np.ones(3), 1).name == "direction"
    assert AnchorPenalty(reference_kv(["a"], 3), 1).name == "anchor"
    assert CustomLoss().name == "custom_loss"

    class MyHTTPPenalty(BaseLoss):
        pass

    assert MyHTTPPenalty().name == "my_http_penalty"
    p = NormPenalty(1)
    p.name = "renamed"
    assert p.name == "renamed" and NormPenalty(1).name == "norm"


def test_composition_values(batch):
    target, output = batch
    a, b = NormPenalty(0.3), L2Penalty(0.7)
    fa, fb = call_forward(a, target, output), call_forward(b, target, output)
    ga, gb = call_backward(a, target, output), call_backward(b, target, output)
    total = a + b
    assert isinstance(total, SumLoss) and total.terms == [a, b]
    np.testing.assert_allclose(call_forward(total, target, output), fa + fb)
    np.testing.assert_allclose(call_backward(total, target, output), ga + gb)
    scaled = 0.1 * a
    assert isinstance(scaled, ScaledLoss) and scaled.scale == 0.1
    np.testing.assert_allclose(call_forward(scaled, target, output), 0.1 * fa)
    np.testing.assert_allclose(call_backward(a * 0.1, target, output), 0.1 * ga)
    np.testing.assert_allclose(call_forward(np.float32(2) * a, target, output), 2 * fa, rtol=1e-6)
    summed = sum([a, b])
    assert isinstance(summed, SumLoss) and summed.terms == [a, b]
    np.testing.assert_allclose(summed(target, output), fa + fb)
    # nested sums flatten, nested scalings fold
    c = NormPenalty(1.0)
    assert (a + b + c).terms == [a, b, c] and (a + (b + c)).terms == [a, b, c]
    folded = 2 * (3 * a)
    assert folded.scale == 6 and folded.loss is a
    mods = list((a + 0.5 * b).modules())
    assert mods[1] is a and isinstance(mods[2], ScaledLoss) and mods[3] is b
    with pytest.raises(TypeError):
        a + 1
    with pytest.raises(TypeError):
        "x" * a


# ----------------------------------------------------------------------------- arrays and the call contract
def test_loss_array_norm_and_normalize():
    x = as_output(np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 0.0]], dtype=np.float32))
    assert isinstance(x, LossArray) and x.dtype == np.float32
    norm = x.norm()
    assert type(norm) is np.ndarray and norm.shape == (3,)
    np.testing.assert_allclose(norm, [5.0, 0.0, 1.0])
    unit = x.normalize()
    assert type(unit) is np.ndarray and unit.dtype == np.float32
    np.testing.assert_allclose(unit, [[0.6, 0.8], [0.0, 0.0], [1.0, 0.0]])
    assert as_output(np.zeros((2, 3))).dtype == np.float64
    assert as_output(np.zeros((2, 3), dtype=np.int64)).dtype == np.float32
    with pytest.raises(LossError, match="shape"):
        as_output(np.zeros(3))


class ScalarForward(BaseLoss):
    def forward(self, target, output):
        return 0.5

    def backward(self, target, output):
        return np.zeros((len(target), 2), dtype=np.int32)


class BadShapes(BaseLoss):
    def forward(self, target, output):
        return np.zeros((len(target), 1))

    def backward(self, target, output):
        return np.zeros(output.shape[::-1])


def test_call_forward_broadcasts_a_scalar():
    out = call_forward(ScalarForward(), [0, 1, 2], np.zeros((3, 2)))
    assert out.dtype == np.float64 and out.shape == (3,)
    np.testing.assert_array_equal(out, 0.5)


def test_call_contract_errors_name_class_and_shapes():
    target, output = [0, 1, 2], np.zeros((3, 2))
    with pytest.raises(LossError, match=r"BadShapes\.forward returned shape \(3, 1\), expected shape \(3,\)"):
        call_forward(BadShapes(), target, output)
    with pytest.raises(LossError, match=r"BadShapes\.backward returned shape \(2, 3\), expected shape \(3, 2\)"):
        call_backward(BadShapes(), target, output)
    with pytest.raises(LossError, match=r"ScalarForward\.backward returned dtype int32, expected a float dtype"):
        call_backward(ScalarForward(), target, output)


def test_default_forward_backward_not_implemented():
    with pytest.raises(NotImplementedError, match="BaseLoss does not implement forward"):
        BaseLoss()([0], np.zeros((1, 2)))
    with pytest.raises(NotImplementedError, match="backward"):
        BaseLoss().backward([0], np.zeros((1, 2)))


# ----------------------------------------------------------------------------- penalties
@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf"), "0.1", None, True])
def test_penalty_weight_validation(bad):
    for make in (NormPenalty, L2Penalty, lambda w: DirectionPenalty(np.ones(3), w)):
        with pytest.raises(LossError, match="weight"):
            make(bad)
    with pytest.raises(ValueError):  # LossError is a ValueError
        CustomLoss(penalty=bad)
    p = NormPenalty(0.0)
    with pytest.raises(LossError):
        p.weight = bad
    assert p.weight == 0.0


def test_anchor_penalty_bind_with_partial_reference(model, batch):
    present = set(model.wv.index_to_key[1::3])
    kv = reference_kv(sorted(present) + ["not_in_model"], DIM)
    loss = AnchorPenalty(kv, 2.0).bind(model)
    expected_mask = np.array([w in present for w in model.wv.index_to_key])
    np.testing.assert_array_equal(loss.mask, expected_mask)
    assert loss.vectors.dtype == np.float32 and loss.vectors.shape == (len(model.wv), DIM)
    for i, w in enumerate(model.wv.index_to_key):
        np.testing.assert_array_equal(loss.vectors[i], kv[w] if w in present else 0.0)
    target = np.arange(len(model.wv))
    output = as_output(np.random.default_rng(8).normal(size=(len(target), DIM)))
    values = call_forward(loss, target, output)
    assert (values[~expected_mask] == 0).all() and (values[expected_mask] > 0).all()
    i = int(np.flatnonzero(expected_mask)[0])
    assert values[i] == pytest.approx(((output[i] - kv[model.wv.index_to_key[i]]) ** 2).sum(), rel=1e-6)


def test_anchor_and_direction_size_checks(model):
    with pytest.raises(LossError, match=rf"size {DIM + 2}.*size {DIM}"):
        AnchorPenalty(reference_kv(["w1"], DIM + 2), 1.0).bind(model)
    with pytest.raises(LossError, match="KeyedVectors"):
        AnchorPenalty({"w1": np.ones(DIM)}, 1.0)
    with pytest.raises(LossError, match="not bound"):
        AnchorPenalty(reference_kv(["w1"], DIM), 1.0).forward(np.array([0]), np.zeros((1, DIM)))
    with pytest.raises(LossError, match=rf"size {DIM - 1}.*size {DIM}"):
        DirectionPenalty(np.ones(DIM - 1), 1.0).bind(model)
    d = DirectionPenalty([1.0, 0.0, 0.0], 1.0)
    assert d.directions.dtype == np.float32 and d.directions.shape == (1, 3)
    with pytest.raises(LossError, match="finite"):
        DirectionPenalty([np.nan, 0.0], 1.0)
