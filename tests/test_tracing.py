"""Python loss terms traced into programs the kernels run per example (gensim_losses.losses.tracing, hybrid).

Each traced program is run by the kernels' own interpreter (``CompiledTerms.run``)
and compared with the term's numpy, example by example; then whole trainings
on the hybrid path are compared with the reference path, for terms that
compile and for terms that fall back to Python per example.
"""

import logging

import numpy as np
import pytest
from gensim.models.callbacks import CallbackAny2Vec
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath
from tutorial_loss import TutorialLoss

import gensim_losses as G
from gensim_losses import kernels
from gensim_losses.losses import loss as L
from gensim_losses.losses import tracing
from gensim_losses.losses.plan import PythonTerm


@pytest.fixture(scope="module")
def lee():
    return list(LineSentence(datapath("lee_background.cor")))


D = 12
RNG = np.random.default_rng(5)
DIRECTIONS = RNG.normal(size=(3, D)).astype(np.float32)
TABLE = RNG.uniform(0.5, 2.0, size=50).astype(np.float32)


class Hinge(G.BaseLoss):
    """max(0, |h|^2 - 1), through where and maximum."""

    def forward(self, target, output):
        sq = (output ** 2).sum(axis=1)
        return np.maximum(sq - 1.0, 0.0)

    def backward(self, target, output):
        sq = np.einsum("ij,ij->i", output, output)
        return np.where((sq > 1.0)[:, None], 2 * output, np.zeros_like(output))


class Smooth(G.BaseLoss):
    """log(1 + exp(h . d_0)) + 0.5 tanh(sum_i sqrt(|h_i|^2 + 1)), through matmul, logaddexp, tanh and abs."""

    def forward(self, target, output):
        s = output @ DIRECTIONS[0]
        return np.logaddexp(0.0, s) + 0.5 * np.tanh(np.sqrt(np.abs(output) ** 2 + 1).sum(axis=1))

    def backward(self, target, output):
        s = output @ DIRECTIONS[0]
        sig = 1.0 / (1.0 + np.exp(-s))
        root = np.sqrt(output * output + 1)
        t = np.tanh(root.sum(axis=1, keepdims=True))
        return sig[:, None] * DIRECTIONS[0] + 0.5 * (1 - t ** 2) * output / root


class Kinks(G.BaseLoss):
    """Non-smooth functions (sign, |.|_1, max, floor, clip): compared example by example only,
    since a training's trajectory through a kink is chaotic."""

    def forward(self, target, output):
        return (np.linalg.norm(output, ord=1, axis=1) + np.abs(output).max(axis=1)
                + np.floor(output[:, 1] * 3) + np.clip(output, -0.2, 0.3).sum(axis=-1))

    def backward(self, target, output):
        inside = ((output > -0.2) & (output < 0.3)).astype(np.float32)
        return np.sign(output) + inside + np.ceil(output) * 0.0


class Projection(G.BaseLoss):
    """0.5 |D h|^2 over a constant matrix, and column slices."""

    def forward(self, target, output):
        p = output @ DIRECTIONS.T
        return 0.5 * (p * p).sum(1) + output[:, 0] ** 2 + output[:, 2:5].mean(axis=1) ** 2

    def backward(self, target, output):
        p = np.dot(output, DIRECTIONS.T)
        g = p @ DIRECTIONS
        col = np.zeros(D, np.float32)
        col[0] = 1.0
        part = np.zeros(D, np.float32)
        part[2:5] = 2.0 / 3
        return g + 2 * output[:, 0:1] * col + output[:, 2:5].mean(axis=1, keepdims=True) * part


class UnitNorm(G.BaseLoss):
    """(|h| - 1)^2 with the user's own normalisation (division by a keepdims norm)."""

    def forward(self, target, output):
        return (np.linalg.norm(output, axis=1) - 1.0) ** 2

    def backward(self, target, output):
        norm = np.linalg.norm(output, axis=1, keepdims=True)
        return 2 * (norm - 1.0) * output / np.maximum(norm, 1e-12)


class PerWord(G.BaseLoss):
    """Weight decay with a per-target factor from a table: the program reads per-example rows.
    (Smooth on purpose: a norm penalty this stiff makes a training's trajectory chaotic, and then
    float rounding alone parts two runs, on any path.)"""

    def forward(self, target, output):
        return TABLE[np.asarray(target) % len(TABLE)] * 0.5 * (output * output).sum(axis=1)

    def backward(self, target, output):
        return TABLE[np.asarray(target) % len(TABLE)][:, None] * output


class WindowSize(G.BaseLoss):
    """The contract's batch extension: a penalty on |h| scaled by the number of input words."""

    def forward(self, target, output, batch):
        sizes = np.diff(batch.input_offsets)
        return 0.05 / sizes * output.norm()

    def backward(self, target, output, batch):
        return (0.05 / np.diff(batch.input_offsets))[:, None] * output.normalize()


class Opaque(G.BaseLoss):
    """Reads h through np.asarray: does not trace, runs per example in Python."""

    def forward(self, target, output):
        h = np.asarray(output, dtype=np.float64)
        return 0.05 * (h * h).sum(axis=1)

    def backward(self, target, output):
        return 0.1 * np.asarray(output)


class BatchMean(G.BaseLoss):
    """Mixes examples (centres each h on the batch's mean): refused by the tracer."""

    def forward(self, target, output):
        centred = output - output.mean(axis=0)
        return 0.01 * (centred ** 2).sum(axis=1)

    def backward(self, target, output):
        return 0.02 * (output - output.mean(axis=0))


class BatchSize(G.BaseLoss):
    """Averages over the batch it is given: traces (len(target) is a constant), but its
    program, traced on a batch of 7, cannot match its numpy on a batch of one, which is how
    the reference path calls it."""

    def forward(self, target, output):
        return 0.5 * (output * output).sum(axis=1) / len(target)

    def backward(self, target, output):
        return output / len(target)


COMPILING = [Hinge, Smooth, Projection, UnitNorm, PerWord]


def numpy_per_example(term, target, h):
    losses, grads = [], []
    for e in range(len(target)):
        out = L.as_output(h[e:e + 1])
        losses.append(term.forward(target[e:e + 1], out)[0])
        grads.append(term.backward(target[e:e + 1], out)[0])
    return np.array(losses), np.array(grads)


@pytest.mark.parametrize("cls", COMPILING + [Kinks])
def test_traced_program_matches_the_terms_numpy(cls):
    term = PythonTerm(cls.__name__, cls(), scale=0.7)
    target = np.arange(9) * 5
    program = tracing.trace([term], target, D)
    compiled = kernels.CompiledTerms(program)
    h = RNG.normal(size=(len(target), D)).astype(np.float32) * RNG.uniform(0.05, 2.0, (len(target), 1)).astype(
        np.float32)
    losses, grads, status = compiled.run(h, np.arange(len(target)))
    want_f, want_g = numpy_per_example(term, target, h)
    assert (status == 0).all()
    np.testing.assert_allclose(losses[:, 0], want_f, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(grads, want_g, rtol=1e-4, atol=1e-5)
    assert program.per_example == (cls is PerWord)  # only the table look-up reads rows per example


def test_tutorial_gradient_is_one_axpy_on_h():
    """lambda * normalize(h) compiles to (lambda / |h|) * h: a scalar program and one axpy, as native."""
    loss = TutorialLoss(0.1)
    term = PythonTerm("tutorial", loss, muted=(loss.neg_loss,))
    program = tracing.trace([term], np.arange(7), D)
    (_, scalar, vector, _), = program.outputs
    assert vector == program.tracer.h and scalar is not None
    grads, _ = program.live()
    assert all(program.nodes[i].length == 1 for i in grads if i != vector)


class Operands(L.BaseLoss):
    """Every kind of operand the tracer meets beside h: Python scalars, an array of the full
    per-example shape, a column and a row that it broadcasts."""

    def __init__(self, rows):
        self.rows = rows  # (n, D), per example

    def forward(self, target, output):
        return 2.0 * (output * self.rows).sum(axis=1) + 0.5

    def backward(self, target, output):
        column = np.full((len(target), 1), 0.75, dtype=np.float32)  # (n, 1): over the vector axis
        row = np.linspace(-1.0, 1.0, output.shape[1], dtype=np.float32)  # (D,): over the examples
        return (output * column + row) * 2.0 + self.rows


@pytest.mark.parametrize("rows", ["distinct", "equal", "equal with NaN"])
def test_operands_trace_as_numpy_broadcasts_them(rows):
    """Each kind of operand gives what numpy gives; rows that are all the same (NaNs equal to
    NaNs) are one constant, rows that differ are read per example, and the program does not
    hold a writable alias of the term's array."""
    n = 9
    values = RNG.normal(size=(n, D)).astype(np.float32)
    if rows != "distinct":
        values[:] = values[0]
    if rows == "equal with NaN":
        values[:, 3] = np.nan
    term = PythonTerm("operands", Operands(values))
    program = tracing.trace([term], np.arange(n), D)
    assert program.per_example == (rows == "distinct")
    assert not any(node.value is not None and node.value.flags.writeable and np.shares_memory(node.value, values)
                   for node in program.nodes)
    compiled = kernels.CompiledTerms(program)
    h = RNG.normal(size=(n, D)).astype(np.float32)
    losses, grads, status = compiled.run(h, np.arange(n))
    if rows == "equal with NaN":  # every example's loss is NaN: reported, nothing added
        assert (status != 0).all()
        return
    assert (status == 0).all()
    want_g = (h * 0.75 + np.linspace(-1.0, 1.0, D, dtype=np.float32)) * 2.0 + values
    np.testing.assert_allclose(losses[:, 0], 2.0 * (h * values).sum(axis=1) + 0.5, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(grads, want_g, rtol=1e-5, atol=1e-5)


def test_operands_that_do_not_broadcast_say_so():
    class Misfit(L.BaseLoss):
        def forward(self, target, output):
            return (output * output).sum(axis=1)

        def backward(self, target, output):
            return output + np.ones((len(target), output.shape[1] + 1), dtype=np.float32)

    with pytest.raises(tracing.TraceError, match="do not broadcast"):
        tracing.trace([PythonTerm("misfit", Misfit())], np.arange(5), D)


@pytest.mark.parametrize("cls,reason", [(Opaque, "np.asarray"), (BatchMean, "mixes examples")])
def test_what_does_not_trace_says_why(cls, reason):
    term = PythonTerm(cls.__name__, cls())
    with pytest.raises(tracing.TraceError, match=reason):
        tracing.trace([term], np.arange(7), D)


def test_watched_targets_tell_whether_a_term_reads_them():
    for cls, reads in ((Hinge, False), (PerWord, True)):
        watched = tracing.WatchedTargets(np.arange(7))
        tracing.trace([PythonTerm(cls.__name__, cls())], watched, D)
        assert watched.read == reads


def test_a_per_example_program_refuses_rows_past_its_arrays():
    program = tracing.trace([PythonTerm("per_word", PerWord())], np.arange(4), D)
    compiled = kernels.CompiledTerms(program)
    _, grads, status = compiled.run(np.ones((2, D), np.float32), [3, 4])
    assert status[0] == 0 and status[1] == kernels.PY_ROWS
    assert not grads[1].any()


# ----------------------------------------------------------------------------- whole trainings
PARAMS = dict(vector_size=D, window=2, min_count=2, sample=0, shrink_windows=False, workers=1, seed=11, epochs=2,
              alpha=0.05, min_alpha=0.05)


def hybrid_and_reference(corpus, make, sg, model=G.Word2Vec, **kw):
    """The same training on the hybrid and the reference path. Hierarchical softmax: its
    kernel and its reference agree to float rounding (no draws; scores stay far from the skip
    rule's |6| at this learning rate), so what differs is the Python term's path."""
    params = dict(PARAMS, **kw)
    if model is not G.Doc2Vec:
        params["sg"] = sg
    hybrid = model(corpus, loss=G.HierarchicalSoftmaxLoss() + make(), **params)
    reference = model(corpus, loss=G.HierarchicalSoftmaxLoss() + make(), backend="reference", **params)
    return hybrid, reference


def assert_same_training(a, b, atol=5e-4):
    for ra, rb in zip(a.loss_history, b.loss_history):
        assert ra["examples"] == rb["examples"]
        for key in ra:
            if key not in ("epoch", "examples"):
                assert ra[key] == pytest.approx(rb[key], rel=1e-4, abs=1e-6 * rb["total"]), key
    np.testing.assert_allclose(a.wv.vectors, b.wv.vectors, atol=atol)
    np.testing.assert_allclose(a.syn1, b.syn1, atol=atol)


@pytest.mark.parametrize("sg", [1, 0])
@pytest.mark.parametrize("cls", COMPILING + [Opaque])
def test_hybrid_trains_what_the_reference_trains(lee, cls, sg):
    """Compiled (Hinge ... PerWord) and per-example Python (Opaque) terms alike. (A term that
    mixes examples, like BatchMean, is defined example by example, as the reference calls it:
    a batch of one.)"""
    hybrid, reference = hybrid_and_reference(lee[:25], cls, sg)
    assert_same_training(hybrid, reference)
    assert hybrid.loss_history[-1][cls().name] != 0


@pytest.mark.parametrize("sg", [1, 0])
def test_batch_terms_compile_per_job_and_match_the_reference(lee, sg):
    hybrid, reference = hybrid_and_reference(lee[:25], WindowSize, sg)
    assert_same_training(hybrid, reference)


def test_fasttext_and_doc2vec_python_terms_match_the_reference(lee):
    from gensim.models.doc2vec import TaggedDocument

    hybrid, reference = hybrid_and_reference(lee[:20], UnitNorm, 1, model=G.FastText, min_n=3, max_n=4,
                                             bucket=500)
    assert_same_training(hybrid, reference)
    np.testing.assert_allclose(hybrid.wv.vectors_ngrams, reference.wv.vectors_ngrams, atol=2e-4)
    docs = [TaggedDocument(words, [i]) for i, words in enumerate(lee[:20])]
    for dm in (0, 1):
        hybrid, reference = hybrid_and_reference(docs, PerWord, None, model=G.Doc2Vec, dm=dm)
        assert_same_training(hybrid, reference)
        np.testing.assert_allclose(hybrid.dv.vectors, reference.dv.vectors, atol=2e-4)


@pytest.mark.parametrize("sg", [1, 0])
def test_tutorial_loss_trains_the_model_its_math_defines(lee, sg):
    """Issue 17: at default settings (one job per epoch here) the tutorial's CustomLoss on the
    hybrid path trains what the reference path and the native NormPenalty train; evaluated
    once per job (the old rule) its mean norm was 9x the reference's."""
    params = dict(vector_size=16, window=3, min_count=2, sg=sg, workers=1, seed=3, epochs=2)
    hybrid = G.Word2Vec(lee[:120], loss=TutorialLoss(0.1), **params)
    reference = G.Word2Vec(lee[:120], loss=TutorialLoss(0.1), backend="reference", **params)
    native = G.Word2Vec(lee[:120], loss=G.NEGSamplingLoss() + G.NormPenalty(0.1), **params)
    norm = [float(np.linalg.norm(m.wv.vectors, axis=1).mean()) for m in (hybrid, reference, native)]
    assert norm[0] == pytest.approx(norm[1], rel=0.1)  # the bound; it holds far tighter:
    assert norm[0] == pytest.approx(norm[1], rel=1e-3) and norm[0] == pytest.approx(norm[2], rel=1e-3)
    for h, r, n in zip(hybrid.loss_history, reference.loss_history, native.loss_history):
        assert h["tutorial_loss"] == pytest.approx(r["tutorial_loss"], rel=1e-3)
        assert h["tutorial_loss"] == pytest.approx(n["norm"], rel=1e-3)
        assert h["ns"] == pytest.approx(r["ns"], rel=1e-4)


def test_untraceable_terms_are_logged_once(lee, caplog):
    with caplog.at_level(logging.WARNING, logger="gensim_losses.training.hybrid"):
        G.Word2Vec(lee[:10], vector_size=8, min_count=1, epochs=2, workers=1, loss=G.NEGSamplingLoss() + Opaque())
    notes = [r.getMessage() for r in caplog.records if "does not compile" in r.getMessage()]
    assert len(notes) == 1 and "'opaque'" in notes[0] and "np.asarray" in notes[0]


def test_a_program_that_differs_from_its_numpy_is_not_used(lee, caplog):
    with caplog.at_level(logging.WARNING, logger="gensim_losses.training.hybrid"):
        hybrid, reference = hybrid_and_reference(lee[:25], BatchSize, 1)
    assert any("'batch_size'" in r.getMessage() and "differs from numpy" in r.getMessage()
               for r in caplog.records)
    assert_same_training(hybrid, reference)


class SetPenalty(CallbackAny2Vec):
    def __init__(self, loss, value):
        self.loss, self.value = loss, value

    def on_epoch_end(self, model):
        self.loss.penalty = self.value


def test_a_term_changed_by_a_callback_takes_effect_at_the_next_job(lee):
    loss = TutorialLoss(0.1)
    model = G.Word2Vec(lee[:30], vector_size=8, min_count=1, epochs=2, workers=1, loss=loss,
                       callbacks=[SetPenalty(loss, 0.0)])
    first, second = (r["tutorial_loss"] for r in model.loss_history)
    assert first > 0 and second == 0


class RootBound(G.BaseLoss):
    """Finite at small h, NaN once |h| passes a bound: fails in the middle of a job."""

    def __init__(self, bound):
        self.bound = bound

    def forward(self, target, output):
        return np.sqrt(self.bound - output.norm())

    def backward(self, target, output):
        return -0.5 / np.sqrt(self.bound - output.norm())[:, None] * output.normalize()


@pytest.mark.parametrize("opaque", [False, True])
def test_a_python_term_that_turns_nan_stops_training_with_finite_vectors(lee, opaque):
    loss = G.NEGSamplingLoss() + RootBound(0.5) + (Opaque() if opaque else 0)
    model = G.Word2Vec(vector_size=8, min_count=1, workers=2, alpha=0.5, loss=loss)
    model.build_vocab(lee[:40])
    with pytest.raises(G.LossError, match=r"'root_bound' gave a NaN or infinite .* every vector is still finite"):
        model.train(lee[:40] * 20, total_examples=800, epochs=3)
    assert np.isfinite(model.wv.vectors).all() and np.isfinite(model.syn1neg).all()


class Raises(G.BaseLoss):
    def __init__(self):
        self.calls = 0

    def forward(self, target, output):
        self.calls += 1
        if self.calls > 50:
            raise RuntimeError("the term broke")
        return np.asarray(output).sum(axis=1) * 0.0

    def backward(self, target, output):
        return np.zeros(np.shape(output), np.float32)


def test_an_exception_in_a_per_example_term_reaches_train(lee):
    model = G.Word2Vec(vector_size=8, min_count=1, workers=2, loss=G.NEGSamplingLoss() + Raises())
    model.build_vocab(lee[:40])
    with pytest.raises(RuntimeError, match="the term broke"):
        model.train(lee[:40] * 10, total_examples=400, epochs=1)
