"""LossTracker and ProgressBar on gensim_losses' Word2Vec and on stock gensim."""

import io
import logging
import pickle
import sys
import warnings
from queue import Queue

import gensim
import numpy as np
import pytest
from gensim.models.callbacks import CallbackAny2Vec

from gensim_losses import NEGSamplingLoss, NormPenalty, Word2Vec
from gensim_losses.callbacks import STOCK_SATURATION, LossTracker, ProgressBar


def random_corpus(n_sentences, length, vocab, seed=0):
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(vocab)])
    return words[rng.integers(0, vocab, (n_sentences, length))].tolist()


@pytest.fixture(scope="module")
def corpus():
    return random_corpus(200, 10, 40)


def ours(corpus, **kw):
    params = dict(vector_size=8, min_count=1, workers=1, epochs=2, seed=1,
                  loss=NEGSamplingLoss() + NormPenalty(0.01))
    params.update(kw)
    return Word2Vec(corpus, **params)


def stock(corpus, **kw):
    params = dict(vector_size=8, min_count=1, workers=1, epochs=2, seed=1, compute_loss=True)
    params.update(kw)
    return gensim.models.Word2Vec(corpus, **params)


def test_ours_copies_every_epoch_record_exactly(corpus, caplog):
    tracker = LossTracker()
    with caplog.at_level(logging.INFO, logger="gensim_losses"):
        model = ours(corpus, epochs=3, callbacks=[tracker])
    assert tracker.epochs == [0, 1, 2]
    assert tracker.losses == [r["total"] for r in model.loss_history]
    for entry, record in zip(tracker.history, model.loss_history):
        assert entry["model"] == "model0"
        assert entry["examples"] == record["examples"] > 0
        assert entry["ns"] == record["ns"] and entry["norm"] == record["norm"] > 0
        assert entry["loss_per_example"] == pytest.approx(record["total"] / record["examples"])
        assert entry["saturated"] is False
    assert tracker.terms() == ["ns", "norm"]
    lines = [r.getMessage() for r in caplog.records if r.name == "gensim_losses"]
    assert sum("model0 epoch" in line for line in lines) == 3
    assert "per example" in lines[0] and "ns " in lines[0] and "norm " in lines[0]


def test_epochs_continue_across_train_calls(corpus):
    tracker = LossTracker()
    model = ours(corpus, epochs=3, callbacks=[tracker])
    model.train(corpus, total_examples=len(corpus), epochs=2, callbacks=[tracker])
    assert tracker.epochs == [0, 1, 2, 3, 4]
    assert [e["train_call"] for e in tracker.history] == [0, 0, 0, 1, 1]
    assert [e["train_epoch"] for e in tracker.history] == [0, 1, 2, 0, 1]
    # the last call's records are the model's own (it resets loss_history per train())
    assert tracker.losses[3:] == [r["total"] for r in model.loss_history]


def test_compute_loss_off_records_none(corpus):
    tracker = LossTracker()
    ours(corpus, compute_loss=False, callbacks=[tracker])
    assert tracker.losses == [None, None]
    assert all(e["loss_per_example"] is None and e["examples"] > 0 for e in tracker.history)


def test_stock_per_epoch_deltas(corpus):
    tracker = LossTracker()
    model = stock(corpus, epochs=3, callbacks=[tracker])
    assert tracker.epochs == [0, 1, 2]
    assert all(loss > 0 for loss in tracker.losses)
    # the deltas add up to gensim's cumulative tally
    assert sum(tracker.losses) == pytest.approx(model.get_latest_training_loss(), rel=1e-6)
    assert all(e["examples"] is None and e["loss_per_example"] is None for e in tracker.history)
    assert not any(e["saturated"] for e in tracker.history)


def test_stock_without_compute_loss_records_none(corpus):
    tracker = LossTracker()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no saturation warning for a tally that is just off
        stock(corpus, compute_loss=False, callbacks=[tracker])
    assert tracker.losses == [None, None]


class FakeStock:
    """Just what LossTracker reads of a stock model, with a scripted tally."""

    compute_loss = True
    comment = None

    def __init__(self, tallies):
        self.tallies = list(tallies)
        self.tally = 0.0

    def get_latest_training_loss(self):
        return self.tally

    def run(self, tracker):
        self.tally = 0.0  # as gensim's train() does before on_train_begin
        tracker.on_train_begin(self)
        for tally in self.tallies:
            self.tally = tally
            tracker.on_epoch_end(self)


def test_stock_tally_that_stops_moving_warns_once():
    tracker = LossTracker()
    with pytest.warns(RuntimeWarning, match="stopped moving.*no longer true") as caught:
        FakeStock([1000.0, 1500.0, 1500.0, 1500.0]).run(tracker)
    assert len([w for w in caught if "LossTracker" in str(w.message)]) == 1
    assert tracker.losses == [1000.0, 500.0, 0.0, 0.0]
    assert [e["saturated"] for e in tracker.history] == [False, False, True, True]


def test_saturation_is_per_train_call_and_warned_once():
    tracker, model = LossTracker(), FakeStock([100.0, 100.0])
    with pytest.warns(RuntimeWarning):
        model.run(tracker)
    model.tallies = [50.0, 80.0]  # gensim restarts its tally at every train()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.run(tracker)
    assert [e["saturated"] for e in tracker.history] == [False, True, False, False]
    assert tracker.losses == [100.0, 0.0, 50.0, 30.0]


def test_stock_tally_past_2_24_warns():
    tracker = LossTracker()
    with pytest.warns(RuntimeWarning, match="2\\*\\*24"):
        FakeStock([1e7, 2e7]).run(tracker)
    assert [e["saturated"] for e in tracker.history] == [False, True]


def test_stock_saturation_on_a_real_run(caplog):
    """Stock gensim's float32 tally on a run whose true loss passes 2**27.

    Skip-gram, hierarchical softmax, 1-d vectors, 250k tokens over 2**14 words
    (14 tree nodes a word), 4 epochs. Every node scores 5.5 (``vectors = 1``,
    ``syn1 = 5.5``) and the learning rate is too small to change that, so
    half the nodes cost ~5.5 and the true loss is ~45M an epoch, 181M in
    all: gensim's float32 tally sticks at 134217728 within the fourth epoch,
    which it reports as 0. gensim_losses on the same run counts the true loss.
    Takes ~5 s (stock gensim's 4 epochs are ~4 of them).
    """
    corpus = random_corpus(25_000, 10, 2**14, seed=1)

    def model(cls, **kw):
        m = cls(sg=1, hs=1, negative=0, vector_size=1, window=5, min_count=1, sample=0, alpha=1e-9,
                min_alpha=1e-9, workers=1, seed=1, **kw)
        m.build_vocab(corpus)
        m.wv.vectors[:] = 1.0
        m.syn1[:] = 5.5
        return m

    true = model(Word2Vec)
    true.train(corpus, total_examples=len(corpus), epochs=1)
    true_per_epoch = true.loss_history[0]["total"]
    assert 4 * true_per_epoch > 1.3 * STOCK_SATURATION

    tracker = LossTracker()
    stock = model(gensim.models.Word2Vec)
    with caplog.at_level(logging.WARNING, logger="gensim_losses"), \
            pytest.warns(RuntimeWarning, match="no longer true") as caught:
        stock.train(corpus, total_examples=len(corpus), epochs=4, compute_loss=True, callbacks=[tracker])
    assert stock.get_latest_training_loss() == STOCK_SATURATION == 134217728.0
    assert tracker.losses[-1] == 0.0 and sum(tracker.losses) == STOCK_SATURATION
    assert all(e["saturated"] for e in tracker.history)  # past 2**24 from the first epoch on
    assert len([w for w in caught if "LossTracker" in str(w.message)]) == 1
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "no longer true"
            in r.getMessage()]


def test_one_tracker_two_models(corpus):
    tracker = LossTracker()
    a = ours(corpus, callbacks=[tracker])
    b = stock(corpus, callbacks=[tracker], comment="stock")
    a.train(corpus, total_examples=len(corpus), epochs=1, callbacks=[tracker])
    assert tracker.models() == ["model0", "stock"]
    assert [e["model"] for e in tracker.history] == ["model0", "model0", "stock", "stock", "model0"]
    assert tracker.epochs == [0, 1, 0, 1, 2]  # counted per model
    assert [e["epoch"] for e in tracker.for_model(a)] == [0, 1, 2]
    assert [e["epoch"] for e in tracker.for_model("stock")] == [0, 1]
    assert tracker.for_model(b) == tracker.for_model("stock")
    assert tracker.terms("stock") == [] and tracker.terms(a) == ["ns", "norm"]


def test_same_comment_on_two_models_keeps_them_apart(corpus):
    tracker = LossTracker()
    ours(corpus, epochs=1, comment="run", callbacks=[tracker])
    ours(corpus, epochs=1, comment="run", callbacks=[tracker])
    assert tracker.models() == ["run", "run#1"]


def test_tracker_pickles_with_its_records(corpus):
    tracker = LossTracker()
    model = ours(corpus, callbacks=[tracker])
    copy = pickle.loads(pickle.dumps(tracker))
    assert copy.history == tracker.history and copy.models() == ["model0"]
    model.train(corpus, total_examples=len(corpus), epochs=1, callbacks=[copy])  # still usable
    assert len(copy.history) == 3


def test_plot_without_matplotlib_says_what_to_install(corpus, monkeypatch):
    tracker = LossTracker()
    ours(corpus, callbacks=[tracker])
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"pip install gensim-losses\[plot\]"):
        tracker.plot()


def test_plot_curves_per_model_and_term(corpus, tmp_path):
    pytest.importorskip("matplotlib")
    tracker = LossTracker()
    ours(corpus, callbacks=[tracker])
    stock(corpus, callbacks=[tracker], comment="stock")
    fig = tracker.plot()
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == ["model0: ns", "model0: norm", "model0: total", "stock: total"]
    assert list(fig.axes[0].get_lines()[0].get_xdata()) == [0, 1]
    path = tmp_path / "loss.png"
    assert tracker.plot(path, per_example=True) == path
    assert path.stat().st_size > 1000


def test_plot_needs_records():
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="no epoch"):
        LossTracker().plot()


# ---------------------------------------------------------------------- progress
def report(model, **kw):
    """Call gensim's mid-epoch progress report as its training loop does."""
    args = dict(job_queue=None, progress_queue=Queue(), cur_epoch=0, example_count=50, total_examples=200,
                raw_word_count=500, total_words=2000, trained_word_count=400, elapsed=2.0)
    args.update(kw)
    model._log_progress(**args)


def test_progress_log_lines_per_epoch(corpus, caplog):
    with caplog.at_level(logging.INFO, logger="gensim_losses"):
        model = ours(corpus, callbacks=[ProgressBar(bar=False)])
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("EPOCH")]
    assert len(lines) == 2
    assert lines[1].startswith("EPOCH 1: done in") and "loss/example" in lines[1]
    per = model.loss_history[1]["total"] / model.loss_history[1]["examples"]
    assert f"{per:.4f}" in lines[1]


def test_progress_mid_epoch_report_in_gensims_style(corpus, caplog):
    model = stock(corpus)
    bar = ProgressBar(bar=False, interval=0)
    bar.on_train_begin(model)
    bar.on_epoch_begin(model)
    base = dict(cur_epoch=0, example_count=50, total_examples=200, raw_word_count=500, total_words=2000,
                trained_word_count=400, elapsed=2.0)
    with caplog.at_level(logging.INFO, logger="gensim_losses"):
        bar.on_progress(model, base)  # 50 of 200 sentences, 400 words in 2 s
        bar.on_progress(model, dict(base, total_examples=None))  # words-based, as with corpus_file
    lines = [r.getMessage() for r in caplog.records if r.name == "gensim_losses"]
    assert lines[0].startswith("EPOCH 0 - PROGRESS: at 25.00% examples, 200 words/s")
    assert lines[1].startswith("EPOCH 0 - PROGRESS: at 25.00% words, 200 words/s")
    assert len(lines) == 2


def test_corpus_file_workers_report_every_job(corpus, tmp_path, monkeypatch):
    """gensim reports progress as reports arrive: corpus_file workers send one per job."""
    from gensim_losses.training import engine

    puts = []

    class CountingQueue(engine.Queue):
        def put(self, item, *args, **kwargs):
            puts.append(item)
            return super().put(item, *args, **kwargs)

    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
    model = ours(corpus, batch_words=100, workers=2)
    monkeypatch.setattr(engine, "Queue", CountingQueue)  # after the constructor's own (iterable) training
    model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=1)
    reports = [p for p in puts if p is not None]
    assert len(reports) >= 15  # 2000 words in jobs of ~100
    assert sum(r[2] for r in reports) == model.corpus_total_words


def test_progress_shows_our_running_loss(corpus, caplog):
    model = ours(corpus)
    bar = ProgressBar(bar=False, interval=0)

    class Probe(CallbackAny2Vec):
        def on_epoch_end(self, m):
            report(m)  # within train(): the epoch's run is still open

    with caplog.at_level(logging.INFO, logger="gensim_losses"):
        model.train(corpus, total_examples=len(corpus), epochs=1, callbacks=[bar, Probe()])
    line = next(r.getMessage() for r in caplog.records if "PROGRESS" in r.getMessage())
    rec = model.loss_history[0]
    assert f"loss/example {rec['total'] / rec['examples']:.4f}" in line


def test_progress_bar_with_tqdm(corpus):
    pytest.importorskip("tqdm")
    out = io.StringIO()
    ours(corpus, epochs=3, callbacks=[ProgressBar(bar=True, file=out)])
    text = out.getvalue()
    assert "3.00/3 epochs" in text and "loss/example" in text


def test_progress_auto_is_log_lines_off_a_terminal(corpus, caplog):
    out = io.StringIO()  # not a terminal
    with caplog.at_level(logging.INFO, logger="gensim_losses"):
        ours(corpus, callbacks=[ProgressBar(file=out)])
    assert out.getvalue() == ""
    assert any(r.getMessage().startswith("EPOCH 0: done") for r in caplog.records)


def test_model_with_progress_bar_still_saves(corpus, tmp_path):
    class SaveEachEpoch(CallbackAny2Vec):
        def on_epoch_end(self, m):
            m.save(str(tmp_path / "checkpoint"))  # mid-training, bar registered

    model = ours(corpus, callbacks=[ProgressBar(bar=False), SaveEachEpoch()])
    assert Word2Vec.load(str(tmp_path / "checkpoint")).wv.vector_size == model.wv.vector_size
