"""Doc2Vec's PV-DM with concatenation (``dm=1, dm_concat=1``) on the engine.

h is the document's ``dm_tag_count`` tag vectors, then the ``2 * window``
word vectors of the full window (gensim's null word ``'\\0'`` off the
document), side by side, ``layer1_size`` wide; each row takes its own slice
of h's error. Checked against its definition (``Job.collect``), against
stock gensim's own step, and native against ``backend="reference"``.
Closed-form loss totals of this mode are in test_fasttext_doc2vec (mode
``d2v-dm-concat``), gensim's suite in test_gensim_doc2vec.
"""

import gensim.models
import numpy as np
import pytest
from gensim.models.doc2vec import TaggedDocument
from gensim.models.doc2vec_inner import train_document_dm_concat
from test_loss_records import random_corpus

from gensim_losses import (
    AnchorPenalty,
    BaseLoss,
    DirectionPenalty,
    Doc2Vec,
    HierarchicalSoftmaxLoss,
    L2Penalty,
    LossError,
    NEGSamplingLoss,
    NormPenalty,
    SoftmaxLoss,
    kernels,
)
from gensim_losses.losses import jobs as J
from gensim_losses.training.engine import TrainingRun

CONCAT = dict(dm=1, dm_concat=1, vector_size=8, window=2, min_count=1, sample=0, workers=1, seed=2)


def documents(corpus, tags=1):
    """Document i tagged [i] (and with tags=2 also its group 'g{i % 3}')."""
    return [TaggedDocument(words, [i, f"g{i % 3}"][:tags]) for i, words in enumerate(corpus)]


def test_layer1_size_and_output_layers_are_the_concatenation_wide():
    docs = documents(random_corpus(20, 6, 15, seed=1), tags=2)
    model = Doc2Vec(docs, dm_tag_count=2, hs=1, negative=3, epochs=1, **CONCAT)
    width = (2 + 2 * 2) * 8
    assert model.layer1_size == width
    assert model.syn1neg.shape == model.syn1.shape == (len(model.wv), width)
    assert model.wv.vectors.shape[1] == model.dv.vectors.shape[1] == 8
    assert "\0" in model.wv.key_to_index  # gensim's padding word
    assert str(model).startswith("Doc2Vec<dm/c")


def test_collected_h_is_tags_then_window_padded_with_the_null_word():
    docs = documents(random_corpus(10, 5, 12, seed=2), tags=2)
    model = Doc2Vec(docs, dm_tag_count=2, hs=1, negative=0, epochs=1, **CONCAT)
    doc = TaggedDocument(["w1", "w2", "unknown", "w3"], [4, "g1"])  # the unknown word is dropped
    run = TrainingRun(model, True)
    job = kernels.prepare_batch(run.kernel, [doc], 7)
    view = J.view(run, job)
    assert view.concat and run.kernel.layer1_size == model.layer1_size
    words = [model.wv.key_to_index[w] for w in ("w1", "w2", "w3")]
    null = model.wv.key_to_index["\0"]
    tags = [model.dv.get_index(4), model.dv.get_index("g1")]
    padded = [null, null] + words + [null, null]
    assert list(view.target) == words
    for e in range(3):
        kinds, rows = view.rows(e)
        window = padded[e:e + 2] + padded[e + 3:e + 5]  # never shrunk, centre left out
        assert list(kinds) == [2, 2, 0, 0, 0, 0]
        assert list(rows) == tags + window
        expected = np.concatenate([model.dv.vectors[t] for t in tags] + [model.wv.vectors[w] for w in window])
        np.testing.assert_array_equal(view.hidden(e, (model.wv.vectors, None, model.dv.vectors))[0], expected)
    assert np.all(view.form == 1) and np.all(view.update == 1)


@pytest.mark.parametrize("tags", [1, 2])
def test_one_document_steps_as_stock_gensim(tags):
    """Every row's change over one document (hierarchical softmax, no sampling, no
    negatives to draw) is stock gensim's train_document_dm_concat step, to the
    resolution of gensim's sigmoid table: the same rows move (tags, window words,
    the null word padding both ends of a short document), by their lockf times
    their own slice of the error, and the output layer alike."""
    docs = documents(random_corpus(40, 8, 20, seed=3), tags=tags)
    model = Doc2Vec(docs, dm_tag_count=tags, hs=1, negative=0, epochs=3, window=3,
                    **{k: v for k, v in CONCAT.items() if k != "window"})
    rng = np.random.default_rng(0)
    model.wv.vectors_lockf = rng.uniform(0.2, 1.0, len(model.wv)).astype(np.float32)
    model.dv.vectors_lockf = rng.uniform(0.2, 1.0, len(model.dv)).astype(np.float32)
    stock = model.to_gensim()
    doc = TaggedDocument(["w3", "w5", "w3"], docs[7].tags)  # shorter than the window: null on both sides
    before = [a.copy() for a in (model.wv.vectors, model.dv.vectors, model.syn1)]
    model.train([doc], total_examples=1, epochs=1, start_alpha=0.05, end_alpha=0.05)
    assert model.loss_history[0]["examples"] == 3
    work, neu1 = (np.zeros(stock.layer1_size, dtype=np.float32) for _ in range(2))
    train_document_dm_concat(stock, doc.words, [stock.dv.get_index(t) for t in doc.tags], 0.05, work, neu1)
    for old, ours, theirs in zip(before, (model.wv.vectors, model.dv.vectors, model.syn1),
                                 (stock.wv.vectors, stock.dv.vectors, stock.syn1)):
        ours, theirs = ours - old, theirs - old
        moved = np.abs(theirs).sum(axis=1) > 0
        assert moved.any()
        np.testing.assert_array_equal(np.abs(ours).sum(axis=1) > 0, moved)
        assert np.abs(ours - theirs).max() <= 0.03 * np.abs(theirs).max()
    assert np.abs(model.wv["\0"] - before[0][model.wv.key_to_index["\0"]]).max() > 0  # the padding learns


def test_a_document_with_another_number_of_tags_is_not_trained():
    docs = documents(random_corpus(20, 6, 15, seed=4), tags=2)
    model = Doc2Vec(docs, dm_tag_count=2, hs=1, negative=0, epochs=1, **CONCAT)
    before = model.wv.vectors.copy(), model.syn1.copy()
    model.train([TaggedDocument(docs[0].words, [0])], total_examples=1, epochs=1)
    assert model.loss_history[0]["examples"] == 0
    np.testing.assert_array_equal(before[0], model.wv.vectors)
    np.testing.assert_array_equal(before[1], model.syn1)


# negative=1: a draw of several negatives can hold one row twice, which the kernel scores
# against the row its first occurrence moved and the reference path does not (issue 17, item 5)
@pytest.mark.parametrize("loss", [lambda: NEGSamplingLoss(negative=1), HierarchicalSoftmaxLoss, SoftmaxLoss,
                                  lambda: HierarchicalSoftmaxLoss() + NEGSamplingLoss(negative=1)],
                         ids=["ns", "hs", "softmax", "hs+ns"])
def test_native_trains_what_the_reference_path_defines(loss):
    docs = documents(random_corpus(60, 10, 40, seed=11))
    models = {backend: Doc2Vec(docs, epochs=3, backend=backend, loss=loss(), **CONCAT)
              for backend in ("auto", "reference")}
    native, ref = models["auto"], models["reference"]
    for a, b in zip(native.loss_history, ref.loss_history):
        assert a["examples"] == b["examples"] == 600
        assert a.keys() == b.keys()
        for key in a:
            if key not in ("epoch", "examples"):
                assert a[key] == pytest.approx(b[key], rel=1e-5)
    assert native.loss_history[-1]["total"] < native.loss_history[0]["total"]
    for name in ("syn1neg", "syn1", "syn1softmax"):
        if getattr(native, name, None) is not None:
            np.testing.assert_allclose(getattr(native, name), getattr(ref, name), atol=2e-6)
    np.testing.assert_allclose(native.wv.vectors, ref.wv.vectors, atol=2e-6)
    np.testing.assert_allclose(native.dv.vectors, ref.dv.vectors, atol=2e-6)


def test_penalties_act_on_the_wide_h_and_the_anchor_on_each_word_row():
    """Frozen (alpha 0): the penalties' totals, native and reference, against h computed here."""
    docs = documents(random_corpus(30, 7, 20, seed=5))
    probe = Doc2Vec(docs, hs=1, negative=0, epochs=1, **CONCAT)
    directions = np.random.default_rng(1).normal(size=(2, probe.layer1_size)).astype(np.float32)
    reference = gensim.models.KeyedVectors(8)
    reference.add_vectors(["w1", "w2", "w3"], np.ones((3, 8), dtype=np.float32))
    totals = {}
    for backend in ("auto", "reference"):
        model = Doc2Vec(hs=1, negative=0, alpha=0.0, min_alpha=0.0, backend=backend,
                        loss=(HierarchicalSoftmaxLoss() + NormPenalty(0.3) + L2Penalty(0.2)
                              + DirectionPenalty(directions, 0.1) + AnchorPenalty(reference, 0.5)), **CONCAT)
        model.build_vocab(docs)
        model.train(docs, total_examples=len(docs), epochs=1)
        totals[backend] = model.loss_history[0]
    run = TrainingRun(model, True)
    view = J.view(run, kernels.prepare_batch(run.kernel, docs, 1))
    arrays = (model.wv.vectors, None, model.dv.vectors)
    h = np.concatenate([view.hidden(e, arrays) for e in range(len(view.target))]).astype(np.float64)
    anchor = 0.0
    for e in range(len(view.target)):
        kinds, rows = view.rows(e)
        for w in rows[kinds == J.WORD_ROWS]:
            key = model.wv.index_to_key[w]
            if key in reference:
                anchor += 0.5 * 0.5 / len(rows) * np.sum((model.wv.vectors[w] - reference[key]) ** 2)
    expected = dict(norm=0.3 * np.linalg.norm(h, axis=1).sum(), l2=0.1 * (h ** 2).sum(),
                    direction=0.05 * ((h @ directions.T.astype(np.float64)) ** 2).sum(), anchor=anchor)
    for backend, record in totals.items():
        for term, value in expected.items():
            assert value > 0 and record[term] == pytest.approx(value, rel=1e-5), (backend, term)


def test_direction_penalty_must_be_as_wide_as_h():
    docs = documents(random_corpus(10, 5, 12, seed=6))
    model = Doc2Vec(docs, hs=1, negative=0, epochs=1, **CONCAT)
    with pytest.raises(LossError, match=f"h has size {model.layer1_size}"):
        DirectionPenalty(np.ones(8), 0.1).bind(model)


class Recorder(BaseLoss):
    """A Python term (hybrid path) that keeps the shapes of the ``output`` it is given."""

    def __init__(self):
        self.shapes = []

    def forward(self, target, output):
        self.shapes.append(np.shape(output))
        return 0.01 * np.asarray(output, dtype=np.float64).sum(axis=1)

    def backward(self, target, output):
        return np.full(np.shape(output), 0.01, dtype=np.float32)


def test_python_terms_see_h_layer1_size_wide():
    docs = documents(random_corpus(30, 7, 20, seed=7))
    term = Recorder()
    model = Doc2Vec(docs, epochs=1, loss=NEGSamplingLoss() + term, **CONCAT)
    # the plan's probes when the loss is bound, and the job's examples
    assert term.shapes and {shape[1] for shape in term.shapes} == {model.layer1_size}
    assert model.loss_history[0]["examples"] == 7 * 30 and model.loss_history[0]["recorder"] != 0


def test_corpus_file_trains_each_line_as_a_document(tmp_path):
    corpus = random_corpus(50, 9, 30, seed=8)
    path = tmp_path / "docs.txt"
    path.write_text("\n".join(" ".join(words) for words in corpus) + "\n")
    model = Doc2Vec(corpus_file=str(path), epochs=2, hs=0, negative=3, **{**CONCAT, "workers": 2})
    assert len(model.dv) == 50 and model.syn1neg.shape[1] == model.layer1_size
    assert [r["examples"] for r in model.loss_history] == [450, 450]
    # hierarchical softmax, no sampling, windows never shrunk: nothing random, so a file trains the model
    # its lines tagged with their numbers train as an iterable (stock's corpus_file dm_concat does not)
    from_file = Doc2Vec(corpus_file=str(path), epochs=2, hs=1, negative=0, **CONCAT)
    from_docs = Doc2Vec(documents(corpus), epochs=2, hs=1, negative=0, **CONCAT)
    for a, b in zip(from_file.loss_history, from_docs.loss_history):
        assert a["examples"] == b["examples"] and a["hs"] == pytest.approx(b["hs"], rel=1e-9)
    np.testing.assert_array_equal(from_file.dv.vectors, from_docs.dv.vectors)
    np.testing.assert_array_equal(from_file.syn1, from_docs.syn1)
    with pytest.raises(ValueError, match="dm_tag_count=1"):
        Doc2Vec(corpus_file=str(path), epochs=1, dm_tag_count=2, **CONCAT)


def test_infer_vector_trains_the_new_document_alone_and_reports_its_loss():
    docs = documents(random_corpus(60, 10, 40, seed=9))
    model = Doc2Vec(docs, epochs=5, hs=1, negative=0, **CONCAT)
    before = [a.copy() for a in (model.wv.vectors, model.dv.vectors, model.syn1)]
    vector, records = model.infer_vector(docs[3].words, epochs=20, return_loss=True)
    for old, new in zip(before, (model.wv.vectors, model.dv.vectors, model.syn1)):
        np.testing.assert_array_equal(old, new)
    assert vector.shape == (8,) and np.isfinite(vector).all()
    assert len(records) == 20 and all(r["examples"] == 10 for r in records)
    assert records[-1]["hs"] < records[0]["hs"]
    two = Doc2Vec(documents(random_corpus(10, 5, 12, seed=9), tags=2), dm_tag_count=2, epochs=1,
                  **CONCAT)
    with pytest.raises(ValueError, match="dm_tag_count=2"):
        two.infer_vector(["w1", "w2"])


def test_saved_model_loads_with_its_layer_and_stock_gensim_reads_it(tmp_path):
    docs = documents(random_corpus(40, 8, 30, seed=10))
    model = Doc2Vec(docs, epochs=2, hs=1, negative=3, **CONCAT)
    model.save(str(tmp_path / "m"))
    back = Doc2Vec.load(str(tmp_path / "m"))
    assert type(back) is Doc2Vec and back.dm_concat == 1 and back.layer1_size == model.layer1_size
    np.testing.assert_array_equal(back.syn1neg, model.syn1neg)
    np.testing.assert_array_equal(back.infer_vector(docs[0].words), model.infer_vector(docs[0].words))
    back.train(docs, total_examples=len(docs), epochs=1)
    assert back.loss_history[0]["examples"] == 8 * 40
    model.to_gensim().save(str(tmp_path / "stock"))
    stock = gensim.models.Doc2Vec.load(str(tmp_path / "stock"))
    assert stock.dm_concat == 1 and np.isfinite(stock.infer_vector(docs[0].words)).all()
