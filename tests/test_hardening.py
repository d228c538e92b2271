"""Failures a hostile user found (issue 7): each test here failed before its fix.

Divergence, Ctrl-C, failing saves, rollback on the reference path, copies
inside callbacks, the CLI's file errors, the documented skip rule, and
handing a model to stock gensim.
"""

import copy
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import gensim
import numpy as np
import pytest
from gensim.models.callbacks import CallbackAny2Vec
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath

import gensim_losses as G
from gensim_losses import BaseLoss, DivergenceError, NEGSamplingLoss, Word2Vec, kernels
from gensim_losses.tools.cli import main

LEE = datapath("lee_background.cor")
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def lee():
    return list(LineSentence(LEE))


def all_finite(model):
    return all(np.isfinite(a).all() for a in (model.wv.vectors, model.syn1neg))


# ---------------------------------------------------------------- 1. divergence
@pytest.mark.parametrize("sg, alpha", [(1, 1.0), (0, 1.0), (1, 1e6)])
def test_divergence_raises_naming_epoch_and_rate_and_leaves_vectors_finite(lee, sg, alpha):
    with pytest.raises(DivergenceError, match=r"epoch 0 at learning rate [\d.e+]+.*lower the learning rate"):
        Word2Vec(lee, alpha=alpha, seed=1, workers=1, sg=sg)
    model = Word2Vec(alpha=alpha, seed=1, workers=1, sg=sg)
    model.build_vocab(lee)
    with pytest.raises(DivergenceError):
        model.train(lee, total_examples=len(lee), epochs=5)
    assert all_finite(model)
    assert model.loss_history == []  # no record of a diverged epoch


@pytest.mark.parametrize("compute_loss", [True, False])
def test_divergence_is_caught_in_corpus_file_mode_and_without_loss(compute_loss):
    model = Word2Vec(alpha=1.0, seed=1, workers=2, sg=1, compute_loss=compute_loss)
    model.build_vocab(corpus_file=LEE)
    with pytest.raises(DivergenceError, match="diverged"):
        model.train(corpus_file=LEE, total_words=model.corpus_total_words, epochs=2)
    assert all_finite(model)


def test_reference_backend_rolls_a_diverging_job_back(lee):
    model = Word2Vec(vector_size=10, min_count=2, sg=1, alpha=50.0, seed=1, workers=1, batch_words=200,
                     backend="reference", epochs=1)
    model.build_vocab(lee[:20])
    with pytest.raises(DivergenceError):
        model.train(lee[:20], total_examples=20, epochs=50)
    assert all_finite(model)


def test_non_finite_weights_before_training_are_refused(lee):
    model = Word2Vec(lee[:50], vector_size=10, min_count=2, epochs=1, workers=1)
    model.wv.vectors[3, 0] = np.nan
    with pytest.raises(ValueError, match=r"NaN or infinite weights before training \(1 rows of wv.vectors\)"):
        model.train(lee[:50], total_examples=50, epochs=1)


def test_logistic_table_handles_nan_inf_and_scores_just_below_its_end():
    logistic = kernels._module.logistic
    x = float(np.float32(16) - np.float32(2**-20))  # rounds the table position up to its very end
    g, loss, diverged = logistic(x, 1.0)
    assert not diverged
    assert g == pytest.approx(1 / (1 + np.exp(x)), abs=2e-7)
    assert loss == pytest.approx(np.log1p(np.exp(-x)), abs=2e-6)
    g, loss, diverged = logistic(x, 0.0)
    assert g == pytest.approx(-1.0, abs=2e-7) and loss == pytest.approx(x, rel=1e-6)
    for bad in (float("nan"), float("inf"), float("-inf")):
        assert logistic(bad, 1.0) == (0.0, 0.0, True)  # nothing learnt, job marked
    assert logistic(-1e30, 0.0) == (0.0, 0.0, False)  # huge but finite: a right answer, not a divergence


def test_cli_divergence_is_one_line_and_writes_nothing(tmp_path, capsys):
    vectors = tmp_path / "v.txt"
    code = main(["train", LEE, "--alpha", "1e6", "--vectors", str(vectors), "--workers", "1", "--epochs", "1",
                 "--no-progress"])
    _, err = capsys.readouterr()
    assert code == 2 and err.count("\n") == 1 and "diverged" in err and "--alpha" in err
    assert not vectors.exists() and os.listdir(tmp_path) == []


# ---------------------------------------------------------------- 2. Ctrl-C
def big_corpus(lee, copies=17):
    return lee * copies  # about a million words


@pytest.mark.parametrize("mode", ["iterable", "corpus_file"])
def test_ctrl_c_stops_every_thread_and_leaves_a_usable_model(lee, tmp_path, mode, request):
    corpus = big_corpus(lee)
    params = dict(vector_size=32, sg=1, workers=3, min_count=2, sample=0, shrink_windows=False, seed=1)
    model = Word2Vec(**params)
    path = tmp_path / "corpus.txt"
    if mode == "iterable":
        model.build_vocab(corpus)
        source = dict(corpus_iterable=corpus, total_examples=len(corpus))
    else:
        path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
        model.build_vocab(corpus_file=str(path))
        source = dict(corpus_file=str(path), total_words=model.corpus_total_words)
    threads_before = threading.active_count()
    # a shell starts background jobs with SIGINT ignored, and Python then keeps it so: install
    # Python's own handler for this test, as an interactive session or a Jupyter kernel has it
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    request.addfinalizer(lambda: signal.signal(signal.SIGINT, previous))
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        model.train(**source, epochs=20)
    stopped_at = time.monotonic()
    timer.join()
    while threading.active_count() > threads_before and time.monotonic() - stopped_at < 2:
        time.sleep(0.01)
    assert threading.active_count() == threads_before, threading.enumerate()
    assert time.monotonic() - stopped_at < 2

    # usable: save, load, query, train again, and the next train() counts only its own examples
    model.save(str(tmp_path / "m.model"))
    loaded = Word2Vec.load(str(tmp_path / "m.model"))
    assert loaded.wv.most_similar("government", topn=3)
    model.train(lee, total_examples=len(lee), epochs=1)
    fresh = Word2Vec(**params)
    fresh.build_vocab(corpus)
    fresh.train(lee, total_examples=len(lee), epochs=1)
    assert model.loss_history[0]["examples"] == fresh.loss_history[0]["examples"]


def test_an_exception_in_the_callers_thread_stops_the_workers(lee):
    class Boom(CallbackAny2Vec):
        def on_progress(self, model, report):
            raise RuntimeError("callback failed")

    model = Word2Vec(vector_size=100, min_count=2, workers=3, sg=1)
    model.build_vocab(lee)
    threads_before = threading.active_count()
    # gensim reports progress only after an epoch's first second: on a fast CPU a million words took
    # less (no report, nothing raised); this epoch lasts several seconds, and the raise ends it after one
    corpus = big_corpus(lee, copies=80)
    with pytest.raises(RuntimeError, match="callback failed"):
        model.train(corpus, total_examples=len(corpus), epochs=3, report_delay=0.0, callbacks=[Boom()])
    assert threading.active_count() == threads_before


# ---------------------------------------------------------------- 3. a failing save
class LambdaLoss(BaseLoss):
    """A loss holding a lambda: it cannot be pickled."""

    def __init__(self):
        self.ns = NEGSamplingLoss()
        self.transform = lambda x: x

    def forward(self, target, output):
        return self.ns.forward(target, output)

    def backward(self, target, output):
        return self.ns.backward(target, output)


@pytest.mark.parametrize("sep_limit", [None, 0])  # one file; arrays in .npy side files
def test_a_failing_save_keeps_the_previous_files(lee, tmp_path, sep_limit):
    model = Word2Vec(lee[:100], vector_size=16, min_count=2, epochs=1, workers=1)
    path = tmp_path / "a.model"
    kwargs = {} if sep_limit is None else {"sep_limit": sep_limit}
    model.save(str(path), **kwargs)
    before = {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)}
    assert sep_limit is None or len(before) > 1
    model.wv.vectors += 1.0
    model.loss = LambdaLoss()
    with pytest.raises(pickle.PicklingError, match=r"LambdaLoss cannot be pickled.*module level.*lambdas"):
        model.save(str(path), **kwargs)
    assert {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path)} == before
    loaded = Word2Vec.load(str(path))
    assert np.array_equal(loaded.wv.vectors + 1.0, model.wv.vectors)
    model.loss = None  # the advice in the message works
    model.save(str(path), **kwargs)
    assert np.array_equal(Word2Vec.load(str(path)).wv.vectors, model.wv.vectors)
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".tmp-")]
    saving = [e for e in Word2Vec.load(str(path)).lifecycle_events if e["event"] == "saving"]
    assert saving[-1]["fname_or_handle"] == str(path)  # not the temporary name


# ---------------------------------------------------------------- 4. reference rollback
class NaNAfterArming(BaseLoss):
    def __init__(self):
        self.ns = NEGSamplingLoss()
        self.armed = False
        self.calls = 0

    def forward(self, target, output):
        self.calls += 1
        f = self.ns.forward(target, output)
        return f * np.nan if self.armed and self.calls > 200 else f

    def backward(self, target, output):
        return self.ns.backward(target, output)


def test_reference_backend_failing_job_changes_nothing(lee):
    loss = NaNAfterArming()
    model = Word2Vec(lee[:30], vector_size=10, min_count=2, sg=1, epochs=1, workers=1, loss=loss,
                     backend="reference")
    vectors, output = model.wv.vectors.copy(), model.syn1neg.copy()
    loss.armed, loss.calls = True, 0
    with pytest.raises(G.LossError, match="non-finite"):
        model.train(lee[:30], total_examples=30, epochs=1)
    assert loss.calls > 200  # it failed after many examples had been applied
    assert np.array_equal(model.wv.vectors, vectors)
    assert np.array_equal(model.syn1neg, output)


# ---------------------------------------------------------------- 5. copies in callbacks
class KeepBest(CallbackAny2Vec):
    def __init__(self):
        self.best, self.best_loss, self.pickled = None, float("inf"), []

    def on_epoch_end(self, model):
        self.pickled.append(len(pickle.dumps(model)))
        loss = model.loss_history[-1]["total"]
        if loss < self.best_loss:
            self.best, self.best_loss = copy.deepcopy(model), loss


def test_keep_the_best_epoch_callback_copies_and_pickles_the_model(lee):
    keep = KeepBest()
    model = Word2Vec(lee, vector_size=16, min_count=2, epochs=3, workers=2, callbacks=[keep])
    assert keep.best is not model and len(keep.pickled) == 3
    assert keep.best.wv.most_similar("police", topn=3)
    assert getattr(keep.best, "_run", None) is None
    keep.best.train(lee[:100], total_examples=100, epochs=1)
    assert keep.best.loss_history[0]["examples"] > 0


# ---------------------------------------------------------------- 6. the CLI's file errors
def unprivileged():
    """A command prefix that runs unprivileged, so permissions apply (root ignores them)."""
    if os.geteuid() != 0:
        return []
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-U", "true"], capture_output=True).returncode == 0:
        return [unshare, "-U"]  # a new user namespace: no capability over the files outside it
    pytest.skip("running as root, without unshare -U: permissions cannot be tested")


@pytest.fixture
def noperm(tmp_path):
    folder = tmp_path / "noperm"
    folder.mkdir()
    (folder / "x.txt").write_text("a b c\n" * 10)
    folder.chmod(0)
    yield folder
    folder.chmod(0o755)


def cli(*argv, cwd):
    proc = subprocess.run([*unprivileged(), sys.executable, "-m", "gensim_losses", *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stderr


def test_cli_unwritable_output_directory_is_one_line(tmp_path, noperm):
    (tmp_path / "small.txt").write_text("a b c d\n" * 20)
    code, err = cli("train", "small.txt", "--min-count", "1", "--out", "noperm/m.model", cwd=tmp_path)
    assert code == 2 and err.count("\n") == 1, err
    assert "permission denied on directory noperm" in err


def test_cli_names_permission_and_directory_problems(tmp_path, noperm):
    code, err = cli("train", "noperm/x.txt", cwd=tmp_path)
    assert code == 2 and "permission denied on directory noperm" in err and "no such file" not in err, err
    code, err = cli("evaluate", ".", cwd=tmp_path)
    assert code == 2 and "is a directory" in err, err


def test_cli_evaluate_shows_why_a_loss_class_cannot_be_loaded(lee, tmp_path, capsys):
    module = tmp_path / "my_losses.py"
    module.write_text("from gensim_losses import BaseLoss, NEGSamplingLoss\n"
                      "class MyLoss(BaseLoss):\n"
                      "    def __init__(self):\n        self.ns = NEGSamplingLoss()\n"
                      "    def forward(self, t, o):\n        return self.ns.forward(t, o)\n"
                      "    def backward(self, t, o):\n        return self.ns.backward(t, o)\n")
    sys.path.insert(0, str(tmp_path))
    try:
        import my_losses
        Word2Vec(lee[:50], vector_size=8, min_count=2, epochs=1, loss=my_losses.MyLoss()).save(
            str(tmp_path / "m.model"))
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("my_losses", None)
    code = main(["evaluate", str(tmp_path / "m.model")])
    _, err = capsys.readouterr()
    assert code == 2 and "'my_losses', which cannot be imported" in err, err


# ---------------------------------------------------------------- 7. the skip rule, documented
def test_skip_rule_is_stated_where_users_read_it():
    threshold = f"{kernels._module.SKIP_BELOW:.7f}"
    assert threshold == "0.0024726"
    for text in ((ROOT / "docs" / "losses.md").read_text(), Word2Vec.__doc__):
        assert threshold in text and "wrong side" in text


def test_right_side_terms_beyond_the_threshold_are_counted_but_not_applied():
    # two words, one HS inner node, vector size 1: each score is exactly v_context * u
    model = Word2Vec([["a", "b"]] * 3, vector_size=1, min_count=1, hs=1, negative=0, sample=0, sg=1, window=1,
                     shrink_windows=False, workers=1, epochs=1)
    index = model.wv.key_to_index
    label_b = 1 - int(model.wv.expandos["code"][index["b"]][0])
    model.wv.vectors[:] = 1.0
    model.syn1[0] = 7.0 if label_b else -7.0  # predicting b is right by a score of 7; predicting a, wrong by 7
    before = model.wv.vectors.copy()
    # "b a": first b is predicted from a (right side: counted, not applied), then a from b (applied in full)
    model.train([["b", "a"]], total_examples=1, epochs=1, start_alpha=0.5, end_alpha=0.5)
    record = model.loss_history[0]
    assert record["examples"] == 2
    assert record["hs"] == pytest.approx(np.log1p(np.exp(-7.0)) + np.log1p(np.exp(7.0)), rel=1e-5)
    assert model.wv.vectors[index["a"]] == before[index["a"]]  # 1 - s(7) = 9e-4 < 0.0024726: skipped
    assert abs(model.wv.vectors[index["b"]] - before[index["b"]]) > 1.0  # 0.5 * (0 - s(7)) * 7


# ---------------------------------------------------------------- 8. stock gensim
def test_to_gensim_loads_where_gensim_losses_cannot_be_imported(lee, tmp_path):
    model = Word2Vec(lee, vector_size=16, min_count=2, epochs=1, workers=1, hs=1, negative=5,
                     loss=NEGSamplingLoss() + G.HierarchicalSoftmaxLoss() + G.NormPenalty(0.01))
    stock = model.to_gensim()
    assert type(stock) is gensim.models.Word2Vec
    assert np.array_equal(stock.wv.vectors, model.wv.vectors) and stock.wv.vectors is not model.wv.vectors
    stock.save(str(tmp_path / "stock.model"), sep_limit=0)
    np.save(tmp_path / "expected.npy", model.wv.vectors)
    script = f"""
import sys, numpy as np
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'gensim_losses':
            raise ImportError('gensim_losses is not installed here')
sys.meta_path.insert(0, Block())
from gensim.models import Word2Vec
m = Word2Vec.load({str(tmp_path / 'stock.model')!r})
assert np.array_equal(m.wv.vectors, np.load({str(tmp_path / 'expected.npy')!r}))
assert m.syn1neg.shape == m.syn1.shape == m.wv.vectors.shape
m.train([['police', 'government', 'fire']] * 20, total_examples=20, epochs=1)
print(type(m).__module__, m.wv.most_similar('police', topn=1)[0][0] != '')
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["gensim.models.word2vec", "True"]
    assert "gensim_losses" not in re.sub(r"\s", "", proc.stderr)
