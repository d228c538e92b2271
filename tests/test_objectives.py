"""The objectives of issue 8: weighted sentences, global context, in-group
negatives, lexicon constraints, and the contract's batch extension."""

import logging

import numpy as np
import pytest
from gensim.models.callbacks import CallbackAny2Vec
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath
from scipy import stats

import gensim_losses as G
from gensim_losses import (
    BaseLoss,
    ExampleBatch,
    GlobalContextLoss,
    GroupNegativeLoss,
    HierarchicalSoftmaxLoss,
    LexiconPenalty,
    NEGSamplingLoss,
    Sentence,
    Word2Vec,
    kernels,
)
from gensim_losses.losses import LossError
from gensim_losses.training.engine import TrainingRun


@pytest.fixture(scope="module")
def lee():
    return list(LineSentence(datapath("lee_background.cor")))


DETERMINISTIC = dict(vector_size=16, window=2, min_count=1, sample=0, shrink_windows=False, workers=1, seed=11,
                     epochs=2, alpha=0.05, min_alpha=0.05)


def pair(corpus, loss_factory, sg, **kw):
    """The same training on the kernels and on the numpy reference path (no random draws with HS)."""
    params = dict(DETERMINISTIC, sg=sg, **kw)
    return (Word2Vec(corpus, loss=loss_factory(), **params),
            Word2Vec(corpus, loss=loss_factory(), backend="reference", **params))


def assert_paths_agree(native, reference, terms):
    for a, b in zip(native.loss_history, reference.loss_history):
        assert a["examples"] == b["examples"]
        for term in (*terms, "total"):
            assert a[term] == pytest.approx(b[term], rel=2e-3), term
    np.testing.assert_allclose(native.wv.vectors, reference.wv.vectors, atol=2e-3)


def sessions(lee, n=15):
    """Lee sentences as weighted sessions; every third one has a 'booked' context."""
    return [Sentence(s, weight=[1.0, 0.5, 2.0][i % 3], context=["police", "fire"] if i % 3 == 0 else ())
            for i, s in enumerate(lee[:n])]


# ---------------------------------------------------------------- Sentence items
def test_sentences_and_plain_lists_mix_and_context_words_are_counted():
    corpus = [["a", "b", "c"], Sentence(["a", "b"], weight=2.0, context=["booked"]), ("b", "c")] * 4
    model = Word2Vec(corpus, vector_size=8, min_count=1, sample=0, workers=1, epochs=1)
    assert model.wv.get_vecattr("booked", "count") == 4  # a context word needs an output vector
    assert model.corpus_total_words == 4 * (3 + 2 + 2)  # words only
    assert model.corpus_count == 12
    assert model.loss_history[0]["examples"] > 0


@pytest.mark.parametrize("item, error, message", [
    (Sentence(["a"], weight=float("nan")), ValueError, r"corpus item 2: Sentence.weight must be finite and >= 0"),
    (Sentence(["a"], weight=-1.0), ValueError, r"corpus item 2: .*>= 0, got -1.0"),
    (Sentence(["a"], weight="1"), ValueError, r"corpus item 2: .*real number"),
    (Sentence(["a"], context="booked"), TypeError, r"corpus item 2: Sentence.context must be a sequence"),
    (Sentence(["a"], context=[1.5, 2]), TypeError,
     r"corpus item 2: Sentence.context must hold tokens \(strings or integer ids\), got float"),
    (Sentence("a b c"), TypeError, r"corpus item 2: Sentence.words is the string"),
])
def test_bad_sentences_are_named_by_index(item, error, message):
    good = [["a", "b", "c"]] * 2
    with pytest.raises(error, match=message):
        Word2Vec(good + [item], vector_size=8, min_count=1)
    # the same at training time, with nothing trained wrong
    model = Word2Vec(good, vector_size=8, min_count=1, workers=1, epochs=1)
    before = model.wv.vectors.copy()
    with pytest.raises(error, match=message):
        model.train(good + [item], total_examples=3, epochs=1)
    assert np.isfinite(model.wv.vectors).all()
    np.testing.assert_array_equal(model.wv.vectors, before)  # one job: it failed before training


def test_corpus_file_cannot_carry_context(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("a b c\n" * 20)
    model = Word2Vec(vector_size=8, min_count=1, loss=NEGSamplingLoss() + GlobalContextLoss())
    model.build_vocab(corpus_file=str(path))
    with pytest.raises(ValueError, match="corpus_iterable of gensim_losses.Sentence"):
        model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=1)


# ---------------------------------------------------------------- weights
def test_weight_zero_trains_nothing_and_is_not_counted(lee):
    model = Word2Vec(lee[:20], vector_size=8, min_count=2, workers=1, epochs=1, hs=1, negative=0)
    before, output = model.wv.vectors.copy(), model.syn1.copy()
    model.train([Sentence(s, weight=0.0) for s in lee[:20]], total_examples=20, epochs=1)
    np.testing.assert_array_equal(model.wv.vectors, before)
    np.testing.assert_array_equal(model.syn1, output)
    assert model.loss_history[0]["examples"] == 0 and model.loss_history[0]["total"] == 0


@pytest.mark.parametrize("settings, term", [
    (dict(sg=1, hs=1, negative=0), "hs"),
    (dict(sg=0, hs=1, negative=0), "hs"),
    (dict(sg=1, negative=5, shared_negatives=True), "ns"),  # a shared window, scaled exactly too
    (dict(sg=0, negative=5, shared_negatives=True), "ns"),  # CBOW's shared draws
])
def test_a_weight_scales_loss_and_gradient(lee, settings, term):
    # weight 2 at learning rate a is plain training at 2a, step for step; its loss is twice as large
    corpus = lee[:15]
    params = dict(DETERMINISTIC, **settings, epochs=1)
    weighted = Word2Vec(**dict(params, alpha=0.025, min_alpha=0.025))
    weighted.build_vocab(corpus)
    plain = Word2Vec(**dict(params, alpha=0.05, min_alpha=0.05))
    plain.build_vocab(corpus)
    weighted.train([Sentence(s, weight=2.0) for s in corpus], total_examples=15, epochs=1)
    plain.train(corpus, total_examples=15, epochs=1)
    np.testing.assert_allclose(weighted.wv.vectors, plain.wv.vectors, atol=1e-6)
    assert weighted.loss_history[0]["examples"] == plain.loss_history[0]["examples"]
    assert weighted.loss_history[0][term] == pytest.approx(2 * plain.loss_history[0][term], rel=1e-6)


@pytest.mark.parametrize("sg", [1, 0])
def test_weights_native_match_reference(lee, sg):
    native, reference = pair(sessions(lee), lambda: HierarchicalSoftmaxLoss() + G.L2Penalty(0.05), sg)
    assert_paths_agree(native, reference, ("hs", "l2"))


# ---------------------------------------------------------------- global context
@pytest.mark.parametrize("sg", [1, 0])
def test_global_context_native_matches_reference(lee, sg):
    native, reference = pair(sessions(lee), lambda: HierarchicalSoftmaxLoss() + GlobalContextLoss(0.5), sg)
    assert_paths_agree(native, reference, ("hs", "global_context"))
    assert native.loss_history[0]["global_context"] > 0


def test_global_context_pulls_centre_words_towards_the_context(lee):
    corpus = [Sentence(s, context=["booked"]) for s in lee[:100]] + [["booked", "x"]] * 5
    params = dict(vector_size=16, min_count=2, workers=1, seed=1, epochs=5, sg=1)
    with_context = Word2Vec(corpus, loss=NEGSamplingLoss() + GlobalContextLoss(), **params)
    without = Word2Vec(corpus, loss=NEGSamplingLoss(), **params)

    def score(model):  # how well the centre words' vectors predict "booked" through the output layer
        words = [model.wv.key_to_index[w] for s in lee[:100] for w in s if w in model.wv.key_to_index]
        return float(np.mean(model.wv.vectors[words] @ model.syn1neg[model.wv.key_to_index["booked"]]))

    assert score(with_context) > score(without) + 1.0
    assert with_context.loss_history[-1]["global_context"] < with_context.loss_history[0]["global_context"]


def test_global_context_gradcheck(lee):
    model = Word2Vec(lee[:30], vector_size=6, min_count=1, hs=1, negative=0, epochs=1, workers=1)
    term = GlobalContextLoss(0.7).use_objectives([(HierarchicalSoftmaxLoss().bind(model), 1.0)])
    model.syn1[:] = np.random.default_rng(0).normal(0, 0.3, model.syn1.shape)
    batch = ExampleBatch.of(context=[[1, 2], [], [3]])
    assert G.gradcheck(term, np.array([0, 4, 5]), np.random.default_rng(1).normal(size=(3, 6)), batch=batch)
    with pytest.raises(LossError, match="batch="):
        term.forward(np.array([0]), np.zeros((1, 6)))


# ---------------------------------------------------------------- group negatives
def test_group_negatives_follow_the_restricted_table(lee):
    model = Word2Vec(lee, vector_size=8, min_count=5, workers=1, epochs=1, negative=5)
    words = model.wv.index_to_key
    groups = {w: i % 7 for i, w in enumerate(words[:700])}
    groups[words[800]] = "alone"
    loss = NEGSamplingLoss() + GroupNegativeLoss(groups, negative=3, ns_exponent=0.75)
    model.loss = loss
    run = TrainingRun(model, True)  # binds the loss and builds the tables, as train() does
    target = model.wv.key_to_index[words[3]]
    draws = kernels.group_sample(run.kernel, target, 60_000, 12345)
    members = [model.wv.key_to_index[w] for w, g in groups.items() if g == groups[words[3]]]
    assert set(np.unique(draws)) <= set(members)
    counts = np.array([model.wv.get_vecattr(words[m], "count") for m in members], dtype=float) ** 0.75
    observed = np.array([(draws == m).sum() for m in members])
    chi2, p = stats.chisquare(observed, counts / counts.sum() * len(draws))
    assert p > 0.001, (chi2, p)
    # a word alone in its group, and a word without one, draw nothing
    assert len(kernels.group_sample(run.kernel, model.wv.key_to_index[words[800]], 10, 1)) == 0
    assert len(kernels.group_sample(run.kernel, model.wv.key_to_index[words[900]], 10, 1)) == 0
    # the reference path's sampler draws from the same table (its draws equal to the target dropped)
    ref_rows, mask = loss.terms[1].draw_negatives(np.full(20_000, target))
    others = np.array([m != target for m in members])
    ref = np.array([(ref_rows[mask] == m).sum() for m in np.array(members)[others]])
    assert stats.chisquare(ref, counts[others] / counts[others].sum() * ref.sum())[1] > 0.001


@pytest.mark.parametrize("sg", [1, 0])
def test_group_negatives_are_recorded_and_train_on_both_paths(lee, sg):
    groups = {w: len(w) % 3 for s in lee[:20] for w in s}
    for backend in ("auto", "reference"):
        model = Word2Vec(lee[:20], vector_size=8, min_count=2, workers=1, epochs=2, sg=sg, backend=backend,
                         loss=NEGSamplingLoss() + GroupNegativeLoss(groups, negative=4))
        rec = model.loss_history[-1]
        assert rec["group_negative"] > 0 and rec["total"] == pytest.approx(rec["ns"] + rec["group_negative"])
        assert np.isfinite(model.syn1neg).all()


def test_group_tables_with_a_large_exponent_are_valid():
    """count**200 overflows float64 (counts above 35): the group's table is built
    relative to its largest count, never from NaN (which crashed a draw with SIGFPE)."""
    model = Word2Vec([["a", "b", "c", "a", "d"]] * 50, min_count=1, vector_size=8, workers=1, epochs=1)
    model.loss = NEGSamplingLoss() + GroupNegativeLoss({w: 0 for w in "abcd"}, negative=5, ns_exponent=200)
    run = TrainingRun(model, True)  # binds the loss and builds the tables, as train() does
    tables = model.loss.terms[1].tables()
    assert tables.cum[-1] == 2**31 - 1 and (np.diff(tables.cum.astype(np.int64)) >= 0).all()
    a, b = model.wv.key_to_index["a"], model.wv.key_to_index["b"]
    # 'a' (100 occurrences) against the others (50): 2**200 to 1, so every draw is 'a'
    assert set(kernels.group_sample(run.kernel, b, 1000, 7)) == {a}
    model.train([["a", "b", "c", "a", "d"]] * 50, total_examples=50, epochs=1)
    assert model.loss_history[-1]["group_negative"] > 0 and np.isfinite(model.syn1neg).all()
    # a table that cannot be built is refused by name, with its group
    model.wv.expandos["count"][b] = 0
    model.loss = NEGSamplingLoss() + GroupNegativeLoss({w: "market" for w in "abcd"}, ns_exponent=-1)
    with pytest.raises(LossError, match=r"GroupNegativeLoss ns_exponent=-1: a word with count 0 .*'market'"):
        model.train([["a", "b"]], total_examples=1, epochs=1)


def test_group_negative_needs_ns_and_hashable_groups():
    with pytest.raises(LossError, match="add NEGSamplingLoss"):
        Word2Vec([["a", "b"]] * 5, min_count=1, loss=HierarchicalSoftmaxLoss() + GroupNegativeLoss({"a": 1}))
    with pytest.raises(LossError, match=r"group of 'b' is a list, which is unhashable"):
        GroupNegativeLoss({"a": 1, "b": [1]})


# ---------------------------------------------------------------- lexicon
@pytest.mark.parametrize("sg", [1, 0])
def test_lexicon_native_matches_reference(lee, sg):
    synonyms = [("police", "officers"), ("government", "minister"), ("fire", "blaze")]
    antonyms = [("good", "bad"), ("first", "last"), ("new", "old")]
    native, reference = pair(lee[:15], lambda: HierarchicalSoftmaxLoss()
                             + LexiconPenalty(synonyms, antonyms, weight=0.5, margin=(0.9, -0.2)), sg)
    assert_paths_agree(native, reference, ("hs", "lexicon"))
    assert native.loss_history[0]["lexicon"] > 0


def test_lexicon_over_many_jobs_reuses_one_map_per_thread(lee):
    """The lexicon pass maps words to their steps in a vocabulary-sized array made once per thread and
    reset by each job where it wrote: jobs after the first still match the reference path, and the
    map is all -1 between jobs."""
    synonyms = [("police", "officers"), ("government", "minister"), ("fire", "blaze"), ("said", "told")]
    native, reference = pair(lee[:40], lambda: HierarchicalSoftmaxLoss() + LexiconPenalty(synonyms, weight=0.5,
                                                                                          margin=(0.99, 0.0)),
                             1, batch_words=300)
    assert_paths_agree(native, reference, ("hs", "lexicon"))
    run = TrainingRun(native, True)
    job = kernels.prepare_batch(run.kernel, lee[:5], 7)
    mem = native._get_thread_working_mem()
    slots = run.kernel.lexicon_slots()
    for _ in range(2):
        kernels.train_job(run.kernel, job, 0.01, *mem)
        assert run.kernel.lexicon_slots() is slots and (slots == -1).all()


def test_lexicon_pulls_synonyms_and_pushes_antonyms(lee):
    synonyms = [("police", "officers"), ("government", "minister"), ("fire", "blaze"), ("man", "woman")]
    antonyms = [("first", "last"), ("new", "old"), ("good", "bad")]
    # the pairs act once per job: lee's 60k words make 6 jobs of the default size, so use smaller ones
    params = dict(vector_size=32, min_count=2, workers=1, seed=2, epochs=5, sg=1, batch_words=1000)
    plain = Word2Vec(lee, **params)
    # in lee's tiny corpus every pair is similar (cosines 0.9+): a synonym margin near 1 keeps synonyms pulling
    penalty = LexiconPenalty(synonyms, antonyms, weight=1.0, margin=(0.999, 0.0))
    lex = Word2Vec(lee, loss=NEGSamplingLoss() + penalty, **params)
    for a, b in synonyms:
        assert lex.wv.similarity(a, b) > plain.wv.similarity(a, b)
    for a, b in antonyms:  # pushed apart against the objective, which pulls them together (similar contexts)
        assert lex.wv.similarity(a, b) < plain.wv.similarity(a, b) - 0.1


def test_lexicon_drops_and_logs_unknown_pairs_and_checks_pairs(lee, caplog):
    model = Word2Vec(lee[:50], vector_size=8, min_count=2, workers=1, epochs=1)
    penalty = LexiconPenalty([("police", "officers"), ("police", "zzzunknown")], [("qqq", "good")])
    with caplog.at_level(logging.INFO, logger="gensim_losses"):
        model.loss = NEGSamplingLoss() + penalty
        model.train(lee[:50], total_examples=50, epochs=2)
    assert [r.getMessage() for r in caplog.records if "LexiconPenalty" in r.getMessage()] == [
        "LexiconPenalty: 2 of 3 pairs dropped (a word outside the vocabulary)"]
    with pytest.raises(LossError, match=r"synonyms\[1\] is 'abc'; expected a 2-tuple"):
        LexiconPenalty([("a", "b"), "abc"])
    with pytest.raises(LossError, match=r"antonyms\[0\] is \('a', 'b', 'c'\)"):
        LexiconPenalty(antonyms=[("a", "b", "c")])


def test_lexicon_gradcheck(lee):
    model = Word2Vec(lee[:30], vector_size=6, min_count=1, epochs=1, workers=1)
    index = model.wv.key_to_index
    words = list(index)[:6]
    penalty = LexiconPenalty([(words[0], words[1]), (words[0], words[2])],
                             [(words[0], words[3]), (words[4], words[5])], weight=0.8,
                             margin=(0.95, -0.5)).bind(model)
    targets = np.array([index[words[0]], index[words[4]], index[words[1]]])
    assert G.gradcheck(penalty, targets, np.random.default_rng(3).normal(size=(3, 6)))


# ---------------------------------------------------------------- the batch extension
class Spy(BaseLoss):
    """A Python term that asks for what the kernel sees, and records it."""

    def __init__(self):
        self.ns = NEGSamplingLoss()
        self.seen = []

    def forward(self, target, output, batch):
        self.seen.append(batch)
        return self.ns.forward(target, output) + 0.01 * np.asarray(batch.weight) * output.norm()

    def backward(self, target, output, batch):
        return self.ns.backward(target, output) + 0.01 * np.asarray(batch.weight)[:, None] * output.normalize()


class RecordSecondEpoch(CallbackAny2Vec):
    """The split checks probe a loss with random batches when training starts: record after them."""

    def __init__(self, spy):
        self.spy, self.epochs = spy, 0

    def on_epoch_end(self, model):
        if self.epochs == 0:
            self.spy.seen = []
        self.epochs += 1


@pytest.mark.parametrize("sg", [1, 0])
@pytest.mark.parametrize("backend", ["auto", "reference"])
def test_python_terms_see_inputs_weights_and_context(lee, sg, backend):
    corpus = sessions(lee, 9)
    spy = Spy()
    model = Word2Vec(vector_size=8, min_count=1, sample=0, window=2, shrink_windows=False, workers=1, sg=sg,
                     loss=spy, backend=backend)
    model.build_vocab(corpus)
    model.train(corpus, total_examples=len(corpus), epochs=2, callbacks=[RecordSecondEpoch(spy)])
    index = model.wv.key_to_index
    batches = [b for b in spy.seen if len(b)]
    weights = np.concatenate([b.weight for b in batches])
    assert set(np.unique(weights)) == {0.5, 1.0, 2.0}
    context = {tuple(b.context(e)) for b in batches for e in range(len(b))}
    assert context == {(), (index["police"], index["fire"])}
    sizes = {len(b.inputs(e)) for b in batches for e in range(len(b))}
    if sg:
        assert sizes == {1}  # the context word
    else:
        assert max(sizes) == 4  # the window, 2 on each side
    assert model.loss_history[0]["spy"] > 0


def test_gradcheck_covers_the_batch_extension():
    class Weighted(BaseLoss):
        def forward(self, target, output, batch):
            return np.asarray(batch.weight) * 0.5 * (np.asarray(output) ** 2).sum(axis=1)

        def backward(self, target, output, batch):
            return np.asarray(batch.weight)[:, None] * np.asarray(output)

    batch = ExampleBatch.of(weight=[1.0, 3.0])
    assert G.gradcheck(Weighted(), np.array([0, 1]), np.ones((2, 4)), batch=batch)

    class Wrong(Weighted):
        def backward(self, target, output, batch):
            return np.asarray(output)  # ignores the weight

    with pytest.raises(LossError, match="gradcheck failed"):
        G.gradcheck(Wrong(), np.array([0, 1]), np.ones((2, 4)), batch=batch)


@pytest.mark.parametrize("sg", [1, 0])
def test_repeated_negative_draws_match_reference(sg):
    """Four words and 8 negatives: nearly every example draws a row twice. The
    kernels take an example's scores together only when its rows are distinct;
    a repeated row must see its own first step, as on the reference path."""
    rng = np.random.default_rng(3)
    corpus = [[str(w) for w in rng.integers(0, 4, 12)] for _ in range(60)]
    kw = dict(DETERMINISTIC, sg=sg, negative=8, epochs=6, alpha=0.2, min_alpha=0.2)
    native = Word2Vec(corpus, loss=NEGSamplingLoss(), **kw)
    reference = Word2Vec(corpus, loss=NEGSamplingLoss(), backend="reference", **kw)
    assert_paths_agree(native, reference, ("ns",))
    np.testing.assert_allclose(native.syn1neg, reference.syn1neg, atol=2e-3)
    assert np.abs(native.syn1neg).max() > 0.1  # the rows moved: a wrong order would show
