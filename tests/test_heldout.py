"""model.evaluate_loss: the loss of a held-out corpus with every weight frozen."""

import hashlib
import pickle

import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.models.doc2vec import TaggedDocument
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath

import gensim_losses as G
from gensim_losses.losses import loss as L
from gensim_losses.training.engine import trained_arrays


@pytest.fixture(scope="module")
def lee():
    sentences = list(LineSentence(datapath("lee_background.cor")))
    return sentences[:200], sentences[200:260]


def fingerprint(model):
    """Every trained array's bytes, the random state and the records: what a frozen evaluation must not move."""
    digest = hashlib.sha256()
    for name, array in trained_arrays(model):
        digest.update(name.encode() + np.ascontiguousarray(array).tobytes())
    for name in ("syn1neg", "syn1", "syn1softmax"):
        array = getattr(model, name, None)
        if array is not None:
            digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(pickle.dumps(model.random.get_state()))
    digest.update(repr((model.loss_history, model.running_training_loss, model.train_count)).encode())
    return digest.hexdigest()


def tokens(sentences):
    return [TaggedDocument(s, [i]) for i, s in enumerate(sentences)]


CASES = {
    "sg ns + norm penalty": (G.Word2Vec, dict(sg=1, loss=L.NEGSamplingLoss() + L.NormPenalty(0.1))),
    "cbow hs + anchor": (G.Word2Vec, dict(sg=0, hs=1, negative=0)),
    "sg softmax": (G.Word2Vec, dict(sg=1, loss=L.SoftmaxLoss())),
    "fasttext": (G.FastText, dict(sg=1, bucket=5000)),
    "doc2vec dm": (G.Doc2Vec, dict(dm=1)),
    "doc2vec dbow words": (G.Doc2Vec, dict(dm=0, dbow_words=1)),
    "doc2vec dm_concat": (G.Doc2Vec, dict(dm=1, dm_concat=1, window=2)),
}


def build(name, train):
    cls, settings = CASES[name]
    corpus = tokens(train) if cls is G.Doc2Vec else train
    model = cls(corpus, vector_size=16, min_count=2, epochs=2, workers=2, seed=3, **settings)
    if name == "cbow hs + anchor":  # a loss of several terms on h formed from several rows
        reference = KeyedVectors(16)
        reference.add_vectors(model.wv.index_to_key[::2], model.wv.vectors[::2] + 0.1)
        model = G.Word2Vec(train, vector_size=16, min_count=2, epochs=2, workers=2, seed=3, sg=0,
                           loss=L.HierarchicalSoftmaxLoss() + L.AnchorPenalty(reference, 0.5))
    return model


@pytest.mark.parametrize("name", list(CASES))
def test_no_weight_changes_to_the_bit(lee, name, tmp_path):
    train, held = lee
    model = build(name, train)
    before = fingerprint(model)
    corpus = tokens(held) if isinstance(model, G.Doc2Vec) else held
    record = model.evaluate_loss(corpus)
    assert fingerprint(model) == before
    path = tmp_path / "held.txt"
    path.write_text("\n".join(" ".join(s) for s in (train[:40] if isinstance(model, G.Doc2Vec) else held)) + "\n")
    from_file = model.evaluate_loss(corpus_file=str(path))
    assert fingerprint(model) == before
    for rec in (record, from_file):
        assert rec["examples"] > 0 and np.isfinite(rec["total"]) and rec["total"] > 0
        assert set(rec) == set(model.loss_history[-1]) and rec["epoch"] is None
        terms = [k for k in rec if k not in ("epoch", "examples", "total")]
        assert rec["total"] == pytest.approx(sum(rec[k] for k in terms))
    if name == "cbow hs + anchor":  # counted on every word row of h, though none may learn
        assert record["anchor"] > 0


def test_deterministic_for_a_seed_with_any_number_of_threads(lee):
    train, held = lee
    model = G.Word2Vec(train, vector_size=16, min_count=2, epochs=1, workers=2, seed=1, batch_words=500)
    one = model.evaluate_loss(held, workers=1)
    assert model.evaluate_loss(held, workers=3) == one
    assert model.evaluate_loss(held, workers=2, seed=1) == one
    other = model.evaluate_loss(held, seed=2)
    assert other["examples"] != one["examples"] or other["total"] != one["total"]  # the draws follow the seed


def test_equals_training_at_a_vanishing_rate_on_the_reference_path(lee):
    """Hierarchical softmax without subsampling or window draws is exact: the frozen loss is what the
    numpy reference implementation counts while training at a rate too small to move anything."""
    train, held = lee
    settings = dict(vector_size=16, min_count=2, epochs=1, workers=1, seed=1, sg=1, hs=1, negative=0, sample=0,
                    shrink_windows=False)
    model = G.Word2Vec(train, **settings)
    frozen = model.evaluate_loss(held)
    copy = pickle.loads(pickle.dumps(model))
    copy.backend = "reference"
    copy.train(held, total_examples=len(held), epochs=1, start_alpha=1e-30, end_alpha=1e-30)
    trained = copy.loss_history[-1]
    assert frozen["examples"] == trained["examples"]
    assert frozen["total"] == pytest.approx(trained["total"], rel=1e-5)


def test_sentence_weights_and_unknown_words(lee):
    train, held = lee
    model = G.Word2Vec(train, vector_size=16, min_count=2, epochs=1, seed=1, sg=1, hs=1, negative=0, sample=0,
                       shrink_windows=False)
    plain = model.evaluate_loss(held)
    doubled = model.evaluate_loss([G.Sentence(s, weight=2.0) for s in held])
    assert doubled["examples"] == plain["examples"]
    assert doubled["total"] == pytest.approx(2 * plain["total"], rel=1e-6)
    nothing = model.evaluate_loss([["qqqzzz", "xxyyzz"], []])
    assert nothing == {"epoch": None, "examples": 0, "total": 0.0, "hs": 0.0}


def test_doc2vec_tags_it_lacks_are_skipped(lee):
    train, held = lee
    model = G.Doc2Vec(tokens(train), vector_size=16, min_count=2, epochs=1, seed=1, dm=0)
    new = model.evaluate_loss([TaggedDocument(s, ["unseen"]) for s in held])
    assert new["examples"] == 0  # PV-DBOW without word pairs: an unknown document has nothing to predict from
    known = model.evaluate_loss(tokens(train[:30]))
    assert known["examples"] > 0


def test_bad_input(lee, tmp_path):
    train, held = lee
    model = G.Word2Vec(train, vector_size=16, min_count=2, epochs=1, seed=1)
    with pytest.raises(TypeError, match="one corpus"):
        model.evaluate_loss()
    with pytest.raises(TypeError, match="corpus_file"):
        model.evaluate_loss("some text")
    with pytest.raises(RuntimeError, match="vocabulary"):
        G.Word2Vec(vector_size=8).evaluate_loss(held)
    with pytest.raises(FileNotFoundError):
        model.evaluate_loss(corpus_file=str(tmp_path / "missing.txt"))
    model.wv.vectors[3, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.evaluate_loss(held)


@pytest.mark.parametrize("sg", [1, 0])
def test_window_shared_negatives_estimate_the_same_loss(lee, sg):
    """Word2Vec's held-out NS draws negatives once per window: the same expected loss as drawing them per
    example (the mean over seeds of both agree far within their spread)."""
    from gensim_losses.training.heldout import evaluate_loss

    train, held = lee
    model = G.Word2Vec(train, vector_size=16, min_count=2, epochs=2, workers=1, seed=1, sg=sg, sample=0)
    shared = [evaluate_loss(model, held, seed=s) for s in range(8)]
    alone = [evaluate_loss(model, held, seed=s, share=False) for s in range(8)]
    assert {r["examples"] for r in shared} == {r["examples"] for r in alone}
    per = [np.mean([r["total"] / r["examples"] for r in rs]) for rs in (shared, alone)]
    spread = np.std([r["total"] / r["examples"] for r in alone])
    assert abs(per[0] - per[1]) < max(3 * spread, 0.01 * per[1])
    assert shared[0] != alone[0]  # they do draw differently


def test_sentence_context_is_honoured(lee):
    """GlobalContextLoss reads each Sentence's context words: the held-out record has its term, and it
    grows with the context given."""
    train, held = lee
    items = [G.Sentence(s, context=s[:2]) for s in train]
    model = G.Word2Vec(items, vector_size=16, min_count=2, epochs=1, seed=1, sg=1,
                       loss=L.NEGSamplingLoss() + L.GlobalContextLoss())
    none = model.evaluate_loss([G.Sentence(s) for s in held])
    some = model.evaluate_loss([G.Sentence(s, context=s[:2]) for s in held])
    more = model.evaluate_loss([G.Sentence(s, context=s[:4]) for s in held])
    assert none["global_context"] == 0 and 0 < some["global_context"] < more["global_context"]
    assert none["examples"] == some["examples"] == more["examples"]  # the context adds a term, not examples
    with pytest.raises(ValueError, match="corpus_file"):
        model.evaluate_loss(corpus_file=datapath("lee_background.cor"))
