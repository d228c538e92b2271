"""Steering training: Validation, the built-in evaluators, EarlyStopping, Checkpoint and exact resume."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from gensim.models import FastText as StockFastText
from gensim.models import KeyedVectors
from gensim.models import Word2Vec as StockWord2Vec
from gensim.models.callbacks import CallbackAny2Vec
from gensim.models.doc2vec import TaggedDocument
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath

import gensim_losses as G
from gensim_losses.callbacks import LossTracker, analogies, hit_rate, word_pairs
from gensim_losses.training.engine import trained_arrays

SMALL = dict(vector_size=12, min_count=2, workers=1, seed=7)


@pytest.fixture(scope="module")
def lee():
    sentences = list(LineSentence(datapath("lee_background.cor")))
    return sentences[:150], sentences[150:200]


class Scripted:
    """An evaluator whose figure at the n-th call is ``values[n]``: a constructed curve."""

    def __init__(self, values, name="score"):
        self.values, self.name, self.calls = list(values), name, 0

    def __call__(self, model):
        value = self.values[self.calls]
        self.calls += 1
        return {self.name: value}


class Snapshots(CallbackAny2Vec):
    """The input vectors at every epoch end."""

    def __init__(self):
        self.vectors = []

    def on_epoch_end(self, model):
        self.vectors.append(model.wv.vectors.copy())


class Crash(CallbackAny2Vec):
    """Ctrl-C at the end of the ``after``-th epoch, once it is checkpointed (after Checkpoint, which runs
    after the other callbacks)."""

    epoch_order = 4

    def __init__(self, after):
        self.after, self.seen = after, 0

    def on_epoch_end(self, model):
        self.seen += 1
        if self.seen == self.after:
            raise KeyboardInterrupt


# ---------------------------------------------------------------------- Validation
def test_validation_puts_the_held_out_loss_and_figures_in_the_records(lee):
    train, held = lee
    tracker = LossTracker()  # before Validation in the list: it still sees what Validation adds
    validation = G.Validation(held, evaluators=[word_pairs("wordsim353"), Scripted([1, 2, 3], "s")])
    model = G.Word2Vec(train, epochs=3, callbacks=[tracker, validation], **SMALL)
    for record in model.loss_history:
        assert {"val_total", "val_examples", "val_ns", "wordsim353", "s"} <= set(record)
        assert record["val_examples"] > 0 and record["val_total"] == pytest.approx(record["val_ns"])
    assert [r["s"] for r in model.loss_history] == [1, 2, 3]
    # the held-out loss is the frozen loss of the model as it is at that epoch's end
    assert model.loss_history[-1]["val_total"] == model.evaluate_loss(held)["total"]
    assert tracker.terms() == ["ns"]
    assert set(tracker.figures()) == {"val_total", "val_examples", "val_ns", "wordsim353", "s"}
    assert [e["val_total"] for e in tracker.history] == [r["val_total"] for r in model.loss_history]
    assert validation.history[1]["epoch"] == 1 and validation.history[1]["s"] == 2


def test_validation_every_k_epochs_and_the_last(lee):
    train, held = lee
    model = G.Word2Vec(train, epochs=5, callbacks=[G.Validation(held, every=2)], **SMALL)
    assert ["val_total" in r for r in model.loss_history] == [False, True, False, True, True]


def test_tracker_log_and_plot_show_the_held_out_loss(lee, tmp_path, caplog):
    pytest.importorskip("matplotlib")
    train, held = lee
    tracker = LossTracker()
    with caplog.at_level("INFO", logger="gensim_losses"):
        G.Word2Vec(train, epochs=2, callbacks=[G.Validation(held, [Scripted([0.1, 0.2])]), tracker], **SMALL)
    assert any("held-out loss" in r.getMessage() and "score 0.2" in r.getMessage() for r in caplog.records)
    fig = tracker.plot()
    labels = [line.get_label() for a in fig.axes for line in a.get_lines()]
    assert "held-out total" in labels and "score" in labels and "ns" in labels


def test_validation_on_stock_gensim_runs_evaluators_only(lee):
    train, held = lee
    validation = G.Validation(evaluators=[word_pairs("simlex999")])
    StockWord2Vec(train, epochs=2, callbacks=[validation], **SMALL)
    assert [sorted(h) for h in validation.history] == [["epoch", "simlex999"]] * 2
    with pytest.raises(TypeError, match="from_gensim"):
        StockWord2Vec(train, epochs=1, callbacks=[G.Validation(held)], **SMALL)


def test_validation_bad_arguments():
    with pytest.raises(ValueError, match="held-out corpus, evaluators"):
        G.Validation()
    with pytest.raises(ValueError, match="every"):
        G.Validation([["a"]], every=0)
    with pytest.raises(TypeError, match="callable"):
        G.Validation(evaluators=["wordsim353"])
    with pytest.raises(TypeError, match="iterator .*read once"):
        G.Validation(s for s in [["a", "b"]])


# ---------------------------------------------------------------------- evaluators
def test_hit_rate_on_known_geometry():
    wv = KeyedVectors(2)
    angles = {"a": 0.0, "b": 0.1, "c": 0.2, "d": 3.0}
    wv.add_vectors(list(angles), np.array([[np.cos(t), np.sin(t)] for t in angles.values()], dtype=np.float32))
    model = type("Vectors", (), {"wv": wv})()
    # from a, b is nearest and c second; d is far
    assert hit_rate([["x", "a", "b"]], k=1)(model) == {"hit@1": 1.0}
    assert hit_rate([("a", "c")], k=1)(model) == {"hit@1": 0.0}
    assert hit_rate([("a", "c")], k=2)(model) == {"hit@2": 1.0}
    assert hit_rate([("a", "d"), ("a", "b"), ("zz", "b")], k=2, name="h")(model) == {"h": 0.5}
    with pytest.raises(ValueError, match="at least two items"):
        hit_rate([["a"]])


def test_word_pair_and_analogy_evaluators_read_gensims_sets(lee):
    model = G.Word2Vec(lee[0], epochs=1, **SMALL)
    rho = word_pairs("wordsim353")(model)["wordsim353"]
    assert -1 <= rho <= 1
    assert word_pairs(datapath("simlex999.txt"))(model).keys() == {"simlex999"}
    assert 0 <= analogies()(model)["analogies"] <= 1
    with pytest.raises(ValueError, match="neither"):
        word_pairs("no-such-set")


# ---------------------------------------------------------------------- EarlyStopping
def test_early_stopping_on_a_constructed_curve(lee):
    train, _ = lee
    curve = [5.0, 4.0, 3.0, 3.5, 3.6, 2.0, 1.0, 0.5]  # best at epoch 2, then two epochs without improvement
    stop = G.EarlyStopping("score", mode="min", patience=2)
    snaps, tracker = Snapshots(), LossTracker()
    validation = G.Validation(evaluators=[Scripted(curve)])
    model = G.Word2Vec(train, epochs=8, callbacks=[stop, snaps, tracker, validation], **SMALL)
    assert [r["epoch"] for r in model.loss_history] == [0, 1, 2, 3, 4]
    assert len(tracker.history) == 5 and len(snaps.vectors) == 5  # every callback saw the last epoch's end
    assert stop.stopped_epoch == 4 and stop.best_epoch == 2 and model.best_epoch == 2
    assert np.array_equal(model.wv.vectors, snaps.vectors[2])
    assert model.epochs == 8 and model.train_count == 1
    assert model.get_latest_training_loss() == pytest.approx(sum(r["total"] for r in model.loss_history))


def test_early_stopping_max_mode_min_delta_and_no_restore(lee):
    train, _ = lee
    curve = [0.1, 0.2, 0.205, 0.21, 0.5]
    stop = G.EarlyStopping("score", mode="max", patience=2, min_delta=0.01, restore_best=False)
    snaps = Snapshots()
    validation = G.Validation(evaluators=[Scripted(curve)])
    model = G.Word2Vec(train, epochs=5, callbacks=[stop, snaps, validation], **SMALL)
    assert len(model.loss_history) == 4 and model.best_epoch == 1
    assert np.array_equal(model.wv.vectors, snaps.vectors[-1])  # not restored


def test_early_stopping_runs_to_the_end_when_it_keeps_improving(lee):
    train, held = lee
    stop = G.EarlyStopping("val_total", patience=1)
    model = G.Word2Vec(train, epochs=3, callbacks=[stop, G.Validation(held)], **SMALL)
    assert len(model.loss_history) == 3 and stop.stopped_epoch is None


def test_early_stopping_restores_every_array_of_fasttext(lee):
    train, _ = lee
    stop = G.EarlyStopping("score", patience=1)
    copies = []

    class Arrays(CallbackAny2Vec):
        def on_epoch_end(self, model):
            copies.append([a.copy() for _, a in trained_arrays(model)])

    model = G.FastText(train, epochs=4, bucket=2000, callbacks=[stop, Arrays(), G.Validation(
        evaluators=[Scripted([3, 1, 2, 2])])], **SMALL)
    assert model.best_epoch == 1 and len(model.loss_history) == 3
    names = [name for name, _ in trained_arrays(model)]
    assert names == ["wv.vectors_vocab", "wv.vectors_ngrams", "syn1neg"]
    for now, then in zip([a for _, a in trained_arrays(model)], copies[1]):
        np.testing.assert_array_equal(now, then)
    words = model.wv.vectors.copy()
    model.wv.adjust_vectors()  # the word vectors were rebuilt from the restored vocabulary and n-gram rows
    np.testing.assert_array_equal(model.wv.vectors, words)


def test_early_stopping_with_a_key_no_record_holds(lee):
    train, _ = lee
    with pytest.raises(KeyError, match=r"val_total.*'examples', 'total', 'ns'"):
        G.Word2Vec(train, epochs=3, callbacks=[G.EarlyStopping("val_total")], **SMALL)
    with pytest.raises(TypeError, match="from_gensim"):
        StockWord2Vec(train, epochs=1, callbacks=[G.EarlyStopping("total")], **SMALL)
    with pytest.raises(ValueError, match="mode"):
        G.EarlyStopping("total", mode="lowest")
    with pytest.raises(ValueError, match="patience"):
        G.EarlyStopping("total", patience=0)


# ---------------------------------------------------------------------- Checkpoint
def test_checkpoint_keeps_the_last_and_the_best(lee, tmp_path):
    train, _ = lee
    curve = [0.3, 0.9, 0.5, 0.4, 0.2]
    G.Word2Vec(train, epochs=5, callbacks=[
        G.Validation(evaluators=[Scripted(curve)]), G.Checkpoint(tmp_path, keep=2, best="score")], **SMALL)
    assert sorted(os.listdir(tmp_path)) == ["best", "epoch-0004", "epoch-0005"]
    best = json.loads((tmp_path / "best" / "checkpoint.json").read_text())
    assert best["value"] == 0.9 and best["epochs_done"] == 2  # a score: the highest
    model = G.Word2Vec.load(str(tmp_path / "best" / "model"))
    assert len(model.loss_history) == 2 and model.epochs == 5


def test_checkpoint_best_loss_is_the_lowest(lee, tmp_path):
    train, held = lee
    G.Word2Vec(train, epochs=3, callbacks=[G.Validation(held), G.Checkpoint(tmp_path, every=2, best="val_total")],
               **SMALL)
    assert sorted(os.listdir(tmp_path)) == ["best", "epoch-0002", "epoch-0003"]  # every 2nd, and the last
    values = [json.loads((tmp_path / f"epoch-000{n}" / "checkpoint.json").read_text())["record"]["val_total"]
              for n in (2, 3)]
    best = json.loads((tmp_path / "best" / "checkpoint.json").read_text())["value"]
    assert best <= min(values)


def test_checkpoint_refuses_a_directory_of_another_model(lee, tmp_path):
    train, _ = lee
    G.Word2Vec(train, epochs=1, callbacks=[G.Checkpoint(tmp_path)], **SMALL)
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(ValueError, match="vector_size 12, not of this .*vector_size 8"):
        G.Word2Vec(train, epochs=1, callbacks=[G.Checkpoint(tmp_path)], **dict(SMALL, vector_size=8))
    with pytest.raises(ValueError, match="FastText"):
        G.FastText(train, epochs=1, bucket=100, callbacks=[G.Checkpoint(tmp_path)], **SMALL)
    assert sorted(os.listdir(tmp_path)) == before


# ---------------------------------------------------------------------- resume
def _documents(sentences):
    return [TaggedDocument(s, [i]) for i, s in enumerate(sentences)]


MODELS = {"word2vec": (G.Word2Vec, {}), "fasttext": (G.FastText, dict(bucket=3000)),
          "doc2vec": (G.Doc2Vec, dict(dm=1))}


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("source", ["iterable", "corpus_file"])
def test_resume_is_bit_identical(lee, tmp_path, name, source):
    cls, settings = MODELS[name]
    train, _ = lee
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in train) + "\n")
    corpus = _documents(train) if cls is G.Doc2Vec else train
    given = dict(corpus_file=str(path)) if source == "corpus_file" else dict(corpus_iterable=corpus)

    def run(callbacks):
        data = dict(corpus_file=str(path)) if source == "corpus_file" else (
            dict(documents=corpus) if cls is G.Doc2Vec else dict(sentences=corpus))
        return cls(**data, epochs=5, callbacks=callbacks, **settings, **SMALL)

    straight = run([])
    with pytest.raises(KeyboardInterrupt):
        run([G.Checkpoint(tmp_path / "run"), Crash(after=2)])
    assert sorted(os.listdir(tmp_path / "run")) == ["epoch-0001", "epoch-0002"]
    resumed = G.resume(tmp_path / "run", **given, callbacks=[G.Checkpoint(tmp_path / "run")])
    for (a_name, a), (b_name, b) in zip(trained_arrays(straight), trained_arrays(resumed)):
        assert a_name == b_name
        assert np.array_equal(a, b), a_name
    assert np.array_equal(straight.wv.vectors, resumed.wv.vectors)
    assert resumed.loss_history == straight.loss_history
    assert resumed.get_latest_training_loss() == straight.get_latest_training_loss()
    assert resumed.epochs == 5 and resumed.train_count == straight.train_count
    assert sorted(os.listdir(tmp_path / "run")) == ["epoch-0003", "epoch-0004", "epoch-0005"]


KILLED = textwrap.dedent("""
    import os, signal, sys
    import gensim_losses as G
    from gensim.models.callbacks import CallbackAny2Vec

    class Kill(CallbackAny2Vec):
        epoch_order = 4  # after Checkpoint

        def on_epoch_end(self, model):
            if model.loss_history[-1]["epoch"] == 2:
                os.kill(os.getpid(), signal.SIGKILL)

    G.Word2Vec(corpus_file=sys.argv[1], epochs=6, vector_size=12, min_count=2, workers=1, seed=7,
               callbacks=[G.Checkpoint(sys.argv[2]), Kill()])
""")


def test_resume_after_the_process_was_killed(lee, tmp_path):
    train, _ = lee
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in train) + "\n")
    proc = subprocess.run([sys.executable, "-c", KILLED, str(path), str(tmp_path / "run")], capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    assert sorted(os.listdir(tmp_path / "run")) == ["epoch-0001", "epoch-0002", "epoch-0003"]
    resumed = G.resume(tmp_path / "run", corpus_file=str(path))
    straight = G.Word2Vec(corpus_file=str(path), epochs=6, **SMALL)
    assert np.array_equal(resumed.wv.vectors, straight.wv.vectors)
    assert np.array_equal(resumed.syn1neg, straight.syn1neg)
    assert resumed.loss_history == straight.loss_history


def test_resume_bad_directories(lee, tmp_path):
    train, _ = lee
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        G.resume(tmp_path, corpus_iterable=train)
    G.Word2Vec(train, epochs=2, callbacks=[G.Checkpoint(tmp_path / "done")], **SMALL)
    finished = G.resume(tmp_path / "done")  # every epoch done: nothing to train, no corpus needed
    assert len(finished.loss_history) == 2
    manifest = tmp_path / "done" / "epoch-0002" / "checkpoint.json"
    data = json.loads(manifest.read_text())
    data["vector_size"] = 50
    manifest.write_text(json.dumps(data))
    before = {p: p.stat().st_mtime_ns for p in (tmp_path / "done").rglob("*")}
    with pytest.raises(TypeError, match="vector_size 12, but its manifest says .*vector_size 50"):
        G.resume(tmp_path / "done", corpus_iterable=train)
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "done").rglob("*")} == before
    with pytest.raises(KeyboardInterrupt):
        G.Word2Vec(train, epochs=3, callbacks=[G.Checkpoint(tmp_path / "half"), Crash(1)], **SMALL)
    with pytest.raises(TypeError, match="needs the corpus the run trained on.*2 of 3 epochs remain"):
        G.resume(tmp_path / "half")


# ---------------------------------------------------------------------- incremental vocabulary
@pytest.mark.parametrize("ours, stock, settings", [
    (G.Word2Vec, StockWord2Vec, {}),
    (G.FastText, StockFastText, dict(bucket=5000)),
])
def test_update_vocabulary_as_stock_gensim_does(ours, stock, settings):
    sentences = list(LineSentence(datapath("lee_background.cor")))
    first, later = sentences[:150], sentences[150:300]
    seen = {}
    for cls in (ours, stock):
        model = cls(first, epochs=2, **settings, **SMALL)
        rows, before = len(model.wv), _input_rows(model).copy()
        model.build_vocab(later, update=True)
        inputs = _input_rows(model)
        seen[cls] = dict(keys=list(model.wv.index_to_key), rows=rows, corpus_count=model.corpus_count,
                         counts=[model.wv.get_vecattr(k, "count") for k in model.wv.index_to_key],
                         fresh=inputs[rows:].copy(), kept=np.array_equal(inputs[:rows], before))
        kwargs = dict(compute_loss=True) if cls is not StockFastText else {}
        model.train(later, total_examples=model.corpus_count, epochs=2, **kwargs)
        seen[cls]["model"] = model
    a, b = seen[ours], seen[stock]
    assert a["keys"] == b["keys"] and a["counts"] == b["counts"] and a["corpus_count"] == b["corpus_count"]
    assert len(a["keys"]) > a["rows"]  # new words came in
    np.testing.assert_array_equal(a["fresh"], b["fresh"])  # the new rows start where stock's start
    assert a["kept"] and b["kept"]
    model = a["model"]
    assert [r["epoch"] for r in model.loss_history] == [0, 1]  # the records of the new run
    assert all(r["examples"] > 0 for r in model.loss_history) and np.isfinite(model.wv.vectors).all()
    if stock is StockWord2Vec:  # stock's float32 tally, far below where it saturates, of the same run
        ours_total = sum(r["total"] for r in model.loss_history)
        assert ours_total == pytest.approx(b["model"].get_latest_training_loss(), rel=0.1)


def _input_rows(model):
    """The word rows training writes: FastText's vocabulary rows (its word vectors are built from them)."""
    return model.wv.vectors_vocab if hasattr(model.wv, "vectors_vocab") else model.wv.vectors


# ---------------------------------------------------------------------- what a hostile review found
def test_a_second_run_into_the_same_directory_is_refused(lee, tmp_path):
    train, _ = lee
    G.Word2Vec(train, epochs=3, callbacks=[G.Checkpoint(tmp_path)], **SMALL)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")}
    with pytest.raises(ValueError, match="checkpoints of another run"):
        G.Word2Vec(train, epochs=3, callbacks=[G.Checkpoint(tmp_path)], **dict(SMALL, seed=99))
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*")} == before


def test_an_early_stop_ends_the_run_for_resume_too(lee, tmp_path):
    train, _ = lee
    curve = [3.0, 1.0, 2.0, 2.5, 0.1, 0.1]
    model = G.Word2Vec(train, epochs=6, callbacks=[
        G.Checkpoint(tmp_path), G.EarlyStopping("score", patience=2),
        G.Validation(evaluators=[lambda m: {"score": curve[m.loss_history[-1]["epoch"]]}])], **SMALL)
    assert model.best_epoch == 1 and len(model.loss_history) == 4
    manifest = json.loads((tmp_path / "epoch-0004" / "checkpoint.json").read_text())
    assert manifest["finished"] and "not improved" in manifest["finished"]
    again = G.resume(tmp_path, corpus_iterable=train)  # nothing to train: the run stopped
    assert len(again.loss_history) == 4
    assert np.array_equal(again.wv.vectors, model.wv.vectors)  # the best epoch's weights, as restored


def test_early_stopping_goes_on_counting_in_a_resumed_run(lee, tmp_path, caplog):
    train, _ = lee
    curve = [3.0, 1.0, 2.0, 2.5, 0.1, 0.1]

    def callbacks(*extra):
        return [G.EarlyStopping("score", patience=2), *extra,
                G.Validation(evaluators=[lambda m: {"score": curve[m.loss_history[-1]["epoch"]]}])]

    straight = G.Word2Vec(train, epochs=6, callbacks=callbacks(), **SMALL)
    with pytest.raises(KeyboardInterrupt):
        G.Word2Vec(train, epochs=6, callbacks=callbacks(G.Checkpoint(tmp_path), Crash(after=3)), **SMALL)
    with caplog.at_level("WARNING"):
        resumed = G.resume(tmp_path, corpus_iterable=train, callbacks=callbacks())
    assert len(resumed.loss_history) == len(straight.loss_history) == 4  # stopped after the same epoch
    assert resumed.loss_history == straight.loss_history and resumed.best_epoch == 1
    # epoch 1's weights were in the first process's memory only: the resumed run says so and keeps its last
    assert any("came before this run was resumed" in r.getMessage() for r in caplog.records)


def test_evaluators_read_the_weights_of_that_epoch(lee):
    train, _ = lee
    for cls, extra in ((G.Word2Vec, {}), (G.FastText, dict(bucket=2000))):
        validation = G.Validation(evaluators=[analogies(restrict_vocab=3000), word_pairs("wordsim353"),
                                              hit_rate([("the", "of"), ("a", "in")], k=20)])
        model = cls(train, epochs=3, callbacks=[validation], **extra, **SMALL)
        last = model.loss_history[-1]
        model.wv.norms = None
        now = {**analogies(restrict_vocab=3000)(model), **word_pairs("wordsim353")(model),
               **hit_rate([("the", "of"), ("a", "in")], k=20)(model)}
        for key, value in now.items():
            assert last[key] == pytest.approx(value, abs=1e-9), (cls.__name__, key)
        assert validation.history[0]["wordsim353"] != validation.history[-1]["wordsim353"]


def test_a_held_out_loss_of_no_example_is_an_error(lee):
    train, held = lee
    with pytest.raises(ValueError, match="gave no example"):
        new = [TaggedDocument(words, [f"held-out {i}"]) for i, words in enumerate(held)]  # tags it lacks
        G.Doc2Vec(_documents(train), dm=0, epochs=2, callbacks=[G.Validation(new)], **SMALL)
    with pytest.raises(ValueError, match="gave no example"):
        G.Word2Vec(train, epochs=2, callbacks=[G.Validation([["qqq", "zzz"]])], **SMALL)


def test_validation_every_k_with_early_stopping_and_best(lee, tmp_path):
    train, held = lee
    stop = G.EarlyStopping("val_total", patience=1)
    model = G.Word2Vec(train, epochs=5, callbacks=[G.Validation(held, every=2), stop,
                                                   G.Checkpoint(tmp_path, best="val_total")], **SMALL)
    assert ["val_total" in r for r in model.loss_history] == [False, True, False, True, True]
    assert stop.best_epoch in (1, 3, 4) and (tmp_path / "best").exists()


def test_a_new_int_tag_in_a_model_with_string_tags_is_refused(lee):
    train, _ = lee
    docs = [TaggedDocument(train[0], [0]), TaggedDocument(train[1], [1]), TaggedDocument(train[2], ["a"]),
            TaggedDocument(train[3], ["b"])]
    model = G.Doc2Vec(docs, epochs=1, **dict(SMALL, min_count=1))
    vectors = model.dv.vectors.copy()
    with pytest.raises(ValueError, match="document tag 2: an int tag is its own row"):
        model.build_vocab([TaggedDocument(train[4], [2])], update=True)
    assert np.array_equal(model.dv.vectors, vectors) and model.dv.index_to_key == [0, 1, "a", "b"]
    model.build_vocab([TaggedDocument(train[4], [1, "c"])], update=True)  # a known int tag and a new string
    assert model.dv.index_to_key == [0, 1, "a", "b", "c"] and np.array_equal(model.dv.vectors[:4], vectors)


def test_new_document_vectors_start_as_gensims(lee):
    train, _ = lee
    model = G.Doc2Vec(_documents(train[:20]), epochs=1, **SMALL)
    model.build_vocab([TaggedDocument(train[30], ["new"])], update=True)
    fresh = G.Doc2Vec(vector_size=SMALL["vector_size"], seed=SMALL["seed"], min_count=2)
    fresh.build_vocab(_documents(train[:20]) + [TaggedDocument(train[30], ["new"])])
    np.testing.assert_array_equal(model.dv.vectors[20], fresh.dv.vectors[20])  # gensim's dv stream


def test_the_rate_reached_after_an_early_stop_with_a_corpus_file(lee, tmp_path):
    train, _ = lee
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in train) + "\n")
    curve = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    validation = G.Validation(evaluators=[lambda m: {"score": curve.pop(0)}])
    stop = G.EarlyStopping("score", patience=1)
    model = G.Word2Vec(corpus_file=str(path), epochs=6, callbacks=[stop, validation], **SMALL)
    assert len(model.loss_history) == 2
    # two of six epochs: the rate got about a third of the way down
    assert model.alpha * 0.6 < model.min_alpha_yet_reached < model.alpha * 0.7


def test_resume_reads_the_corpus_as_the_run_did(lee, tmp_path):
    train, _ = lee
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in train) + "\n")
    with pytest.raises(KeyboardInterrupt):
        G.Word2Vec(corpus_file=str(path), epochs=3, callbacks=[G.Checkpoint(tmp_path / "ck"), Crash(1)], **SMALL)
    with pytest.raises(TypeError, match="given a corpus_iterable, but the run trained on a corpus_file"):
        G.resume(tmp_path / "ck", corpus_iterable=train)
