"""shared_negatives=True (one draw of negatives per skip-gram window, or per
block of CBOW positions) and the reference path's replay of the kernels' own
random draws."""

import numpy as np
import pytest
from gensim.models.doc2vec import TaggedDocument
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath
from tutorial_loss import TutorialLoss

import gensim_losses as G
from gensim_losses import (
    DivergenceError,
    GroupNegativeLoss,
    HierarchicalSoftmaxLoss,
    NEGSamplingLoss,
    Sentence,
    Word2Vec,
    kernels,
)
from gensim_losses.training.engine import TrainingRun, cbow_sharing
from gensim_losses.training.reference import KernelRandom

LEE = datapath("lee_background.cor")


@pytest.fixture(scope="module")
def lee():
    return list(LineSentence(LEE))


DETERMINISTIC = dict(vector_size=16, window=2, min_count=1, sample=0, shrink_windows=False, workers=1, seed=11,
                     epochs=2, alpha=0.05, min_alpha=0.05)


def pair(corpus, loss_factory, **kw):
    params = dict(DETERMINISTIC, **kw)
    return (Word2Vec(corpus, loss=loss_factory(), **params),
            Word2Vec(corpus, loss=loss_factory(), backend="reference", **params))


def assert_paths_agree(native, reference, terms, tolerance=5e-3):
    """Same draws, so the same steps (a negative drawn twice included), up to
    float rounding and the kernels' skip of terms already right to 0.25%
    (docs/losses.md), which the reference applies. Unreplayed draws differ by
    tens of percent on these terms and vectors."""
    for a, b in zip(native.loss_history, reference.loss_history):
        assert a["examples"] == b["examples"]
        for term in (*terms, "total"):
            assert a[term] == pytest.approx(b[term], rel=tolerance), term
    np.testing.assert_allclose(native.wv.vectors, reference.wv.vectors, atol=tolerance)
    np.testing.assert_allclose(native.syn1neg, reference.syn1neg, atol=tolerance)


@pytest.mark.parametrize("sg", [1, 0])
def test_reference_replays_the_kernels_negatives(lee, sg):
    """The per-pair kernel's negative sampling, step for step on the reference path."""
    native, reference = pair(lee[:15], lambda: NEGSamplingLoss() + G.L2Penalty(0.05) + G.NormPenalty(0.05), sg=sg)
    assert_paths_agree(native, reference, ("ns", "l2", "norm"))


def test_reference_replays_group_and_global_context_draws(lee):
    sessions = [Sentence(s, context=["police"] if i % 2 else ()) for i, s in enumerate(lee[:12])]
    groups = {w: len(w) % 3 for s in lee[:12] for w in s}
    native, reference = pair(sessions, lambda: NEGSamplingLoss() + GroupNegativeLoss(groups, negative=3)
                             + G.GlobalContextLoss(), sg=1)
    assert_paths_agree(native, reference, ("ns", "group_negative", "global_context"))


@pytest.mark.parametrize("sg", [1, 0])
@pytest.mark.parametrize("extra", ["none", "penalties", "groups"])
def test_shared_negatives_match_the_reference(lee, extra, sg):
    groups = {w: len(w) % 3 for s in lee[:15] for w in s}

    def loss():
        base = NEGSamplingLoss()
        if extra == "penalties":
            return base + G.NormPenalty(0.02) + G.L2Penalty(0.05)
        if extra == "groups":
            return base + GroupNegativeLoss(groups, negative=3)
        return base

    native, reference = pair(lee[:15], loss, sg=sg, shared_negatives=True)
    assert_paths_agree(native, reference, {"none": ("ns",), "penalties": ("ns", "norm", "l2"),
                                           "groups": ("ns", "group_negative")}[extra])


def test_cbow_shares_negative_sampling_draws_alone(lee):
    """CBOW's slots share negative sampling's draws; the group negatives
    (drawn from each centre word's group) and the global context's draws stay
    per example, in the kernels' order: replayed step for step, over several
    jobs and through one-word sentences (positions that draw, not train)."""
    sessions = []
    for i, s in enumerate(lee[:12]):
        sessions += [Sentence(s, context=["police"] if i % 2 else ()), Sentence(s[:1])]
    groups = {w: len(w) % 3 for s in lee[:12] for w in s}
    native, reference = pair(sessions, lambda: NEGSamplingLoss() + GroupNegativeLoss(groups, negative=3)
                             + G.GlobalContextLoss(), sg=0, shared_negatives=True, batch_words=300)
    assert_paths_agree(native, reference, ("ns", "group_negative", "global_context"))


@pytest.mark.parametrize("sg", [1, 0])
@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("extra", ["none", "groups", "global_context"])
def test_a_negative_drawn_twice_is_replayed_as_the_kernels_apply_it(sg, shared, extra):
    """Three words, five negatives: every example draws some negative twice. The
    kernels step each output row right after its term, so the second draw is
    scored against the moved row (and group negatives after negative sampling
    read the rows it left); the shared skip-gram window reads every row at its
    start. The reference path replays exactly that: records and weights agree
    to float rounding (the kernels' sigmoid table is exact to 2e-6)."""
    corpus = [Sentence(["a", "b", "c", "a", "b", "a", "c"], context=["b"] if i % 2 and extra == "global_context"
                       else ()) for i in range(20)]

    def loss():
        base = NEGSamplingLoss()
        if extra == "groups":
            return base + GroupNegativeLoss({"a": 0, "b": 0, "c": 0}, negative=4)
        if extra == "global_context":
            return base + G.GlobalContextLoss()
        return base

    native, reference = pair(corpus, loss, sg=sg, shared_negatives=shared, negative=5, vector_size=8,
                             alpha=0.025, min_alpha=0.025)
    terms = {"none": ("ns",), "groups": ("ns", "group_negative"), "global_context": ("ns", "global_context")}
    for a, b in zip(native.loss_history, reference.loss_history):
        assert a["examples"] == b["examples"]
        for term in (*terms[extra], "total"):
            assert a[term] == pytest.approx(b[term], rel=2e-5), term
    np.testing.assert_allclose(native.wv.vectors, reference.wv.vectors, atol=1e-5)
    np.testing.assert_allclose(native.syn1neg, reference.syn1neg, atol=1e-5)


@pytest.mark.parametrize("model", ["fasttext", "doc2vec"])
def test_fasttext_and_doc2vec_replay_a_negative_drawn_twice(model):
    words = ["a", "b", "c", "a", "b", "a", "c"]
    params = dict(DETERMINISTIC, negative=5, vector_size=8, alpha=0.025, min_alpha=0.025)
    if model == "fasttext":
        cls, corpus, params = G.FastText, [words] * 10, dict(params, sg=1, bucket=50)
    else:
        cls, corpus, params = G.Doc2Vec, [TaggedDocument(words, [i]) for i in range(10)], dict(params, dm=0,
                                                                                               dbow_words=1)
    native, reference = (cls(corpus, backend=backend, **params) for backend in ("auto", "reference"))
    for a, b in zip(native.loss_history, reference.loss_history):
        assert a["ns"] == pytest.approx(b["ns"], rel=2e-5)
    np.testing.assert_allclose(native.syn1neg, reference.syn1neg, atol=1e-5)


def rng_steps(model, corpus):
    """How many random numbers one job of ``corpus`` takes in the kernels."""
    run = TrainingRun(model, True)
    job = kernels.prepare_batch(run.kernel, corpus, 12345)
    start = KernelRandom(job.rng_state)
    examples, _, _, _ = kernels.train_job(run.kernel, job, 0.01, *model._get_thread_working_mem())
    steps = 0
    while start.state != job.rng_state:
        start.next()
        steps += 1
    return steps, examples, len(job.words())


def test_cbow_draws_once_per_slot_use_and_keeps_sharing_positions_apart(lee):
    """The rule itself: positions sharing a draw are more than two windows
    apart (so their windows do not overlap), a draw serves several, and the
    kernel draws exactly at each slot's first use and every ``uses`` uses."""
    window = 3
    uses, stride = cbow_sharing(window)
    assert stride > 2 * window and uses > 1
    params = dict(vector_size=8, window=window, min_count=1, sample=0, shrink_windows=False, epochs=1, seed=3)
    per_pair = Word2Vec(lee[:40], **params)
    steps, examples, positions = rng_steps(per_pair, lee[:40])
    assert steps == per_pair.negative * examples
    shared = Word2Vec(lee[:40], shared_negatives=True, **params)
    steps, examples, positions = rng_steps(shared, lee[:40])
    fresh = sum((p // stride) % uses == 0 for p in range(positions))
    assert steps == shared.negative * fresh < per_pair.negative * examples / (uses - 1)


@pytest.mark.parametrize("sg", [1, 0])
def test_shared_negatives_count_every_example_and_learn_like_the_per_pair_kernel(lee, sg):
    params = dict(vector_size=50, min_count=2, sg=sg, epochs=10, workers=2, seed=1)
    shared = Word2Vec(lee, shared_negatives=True, **params)
    per_pair = Word2Vec(lee, **params)
    for a, b in zip(shared.loss_history, per_pair.loss_history):
        # the same windows: one example per (context, centre) pair, or per CBOW position, either way
        assert abs(a["examples"] - b["examples"]) < 0.01 * b["examples"]
    assert shared.loss_history[-1]["ns"] / shared.loss_history[-1]["examples"] == pytest.approx(
        per_pair.loss_history[-1]["ns"] / per_pair.loss_history[-1]["examples"], rel=0.05)
    pairs = [("government", "minister"), ("police", "arrested"), ("fire", "firefighters")]

    def hits(model):
        return sum(b in [w for w, _ in model.wv.most_similar(a, topn=20)] for a, b in pairs)

    assert hits(shared) >= min(hits(per_pair), 2)


@pytest.mark.parametrize("sg", [1, 0])
def test_shared_negatives_in_corpus_file_mode_and_with_python_terms(lee, tmp_path, sg):
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in lee) + "\n")
    model = Word2Vec(vector_size=16, min_count=2, sg=sg, workers=2, shared_negatives=True)
    model.build_vocab(corpus_file=str(path))
    model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=2)
    assert model.loss_history[-1]["examples"] > 0 and np.isfinite(model.wv.vectors).all()
    hybrid = Word2Vec(lee, vector_size=16, min_count=2, sg=sg, epochs=1, workers=2, shared_negatives=True,
                      loss=TutorialLoss(0.1))
    assert hybrid.loss_history[0]["tutorial_loss"] > 0
    # the hybrid path walks each job twice (recording, then training): the draws are the native path's
    params = dict(DETERMINISTIC, sg=sg, shared_negatives=True)
    native = Word2Vec(lee[:30], loss=NEGSamplingLoss(), **params)
    silent = Word2Vec(lee[:30], loss=TutorialLoss(0.0), **params)
    np.testing.assert_array_equal(native.wv.vectors, silent.wv.vectors)


def test_a_compiled_term_reads_one_h_while_the_other_worker_moves_the_rows(lee):
    """sg_window runs the Python terms on the context's live syn0 row, which the other worker moves as it
    is read. The tutorial term's |h|^2 loads each element twice, so it came out negative, its sqrt NaN and
    the model failed ("gave a NaN or infinite loss") about once in 10 (2 workers, lee, dim 16): this loop
    passed in about 1.5% of runs then. The program runs on a copy of h."""
    for _ in range(40):
        model = Word2Vec(lee, vector_size=16, min_count=2, sg=1, epochs=1, workers=2, shared_negatives=True,
                         loss=TutorialLoss(0.1))
        assert model.loss_history[0]["tutorial_loss"] > 0 and np.isfinite(model.wv.vectors).all()


@pytest.mark.parametrize("sg", [1, 0])
def test_a_diverging_shared_window_raises_and_leaves_vectors_finite(lee, sg):
    model = Word2Vec(vector_size=20, min_count=2, sg=sg, workers=1, alpha=1.0, shared_negatives=True)
    model.build_vocab(lee)
    with pytest.raises(DivergenceError, match="learning rate"):
        model.train(lee, total_examples=len(lee), epochs=3)
    assert np.isfinite(model.wv.vectors).all() and np.isfinite(model.syn1neg).all()


@pytest.mark.parametrize("kwargs, message", [
    (dict(sg=0, hs=1, negative=5), r"cannot serve HierarchicalSoftmaxLoss"),
    (dict(sg=1, hs=1, negative=0), "has no NEGSamplingLoss"),
    (dict(sg=1, hs=1, negative=5), r"cannot serve HierarchicalSoftmaxLoss"),
    (dict(sg=1, loss=NEGSamplingLoss() + G.SoftmaxLoss()), "cannot serve SoftmaxLoss"),
    (dict(sg=1, loss=HierarchicalSoftmaxLoss()), "has no NEGSamplingLoss"),
])
def test_what_shared_negatives_cannot_serve_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Word2Vec(shared_negatives=True, **kwargs)


def test_a_loss_assigned_later_is_checked_at_train(lee):
    model = Word2Vec(lee[:20], vector_size=8, min_count=1, sg=1, epochs=1, shared_negatives=True)
    model.loss = NEGSamplingLoss() + HierarchicalSoftmaxLoss()
    with pytest.raises(ValueError, match="cannot serve HierarchicalSoftmaxLoss"):
        model.train(lee[:20], total_examples=20, epochs=1)
