"""Training paths, persistence and failures of gensim_losses.Word2Vec."""

import importlib
import os
import threading
import time

import gensim
import numpy as np
import pytest
from gensim.models import KeyedVectors
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath

import gensim_losses
from gensim_losses import kernels
from gensim_losses.kernels import _baseline as baseline_kernels
from gensim_losses.training import engine

LEE = datapath("lee_background.cor")


@pytest.fixture(scope="module")
def lee():
    return list(LineSentence(LEE))


def deterministic(**kw):
    """No subsampling, fixed windows, HS only: training draws no random numbers."""
    params = dict(vector_size=20, window=3, min_count=2, sample=0, shrink_windows=False, sg=1, hs=1,
                  negative=0, workers=1, seed=7, epochs=2)
    params.update(kw)
    return gensim_losses.Word2Vec(**params)


@pytest.mark.parametrize("sg", [1, 0])
def test_corpus_file_and_iterable_train_the_same_examples(lee, sg):
    a = deterministic(sg=sg)
    a.build_vocab(lee)
    a.train(lee, total_examples=a.corpus_count, epochs=2)
    b = deterministic(sg=sg)
    b.build_vocab(corpus_file=LEE)
    b.train(corpus_file=LEE, total_words=b.corpus_total_words, epochs=2)
    assert [r["examples"] for r in a.loss_history] == [r["examples"] for r in b.loss_history]
    # same data, same order, one worker: only the alpha schedule differs (per job vs per line)
    for ra, rb in zip(a.loss_history, b.loss_history):
        assert rb["total"] == pytest.approx(ra["total"], rel=0.01)


VECTOR_VARIANTS = [name for name in kernels.runnable() if name != "baseline"]


@pytest.mark.skipif(not VECTOR_VARIANTS, reason="this CPU runs only the baseline build of the kernels")
@pytest.mark.parametrize("variant", VECTOR_VARIANTS or ["none"])
@pytest.mark.parametrize("settings", [dict(sg=1, negative=5, hs=1), dict(sg=0, negative=5, hs=0),
                                      # 52 floats: whole blocks, a lone vector, then a tail that overlaps it
                                      # (in every vector width) in the shared window's tiles
                                      dict(sg=1, negative=5, hs=0, shared_negatives=True, vector_size=52)],
                         ids=["sg-ns-hs", "cbow-ns", "sg-shared"])
def test_every_kernel_variant_agrees_with_the_baseline(lee, monkeypatch, variant, settings):
    """Each vector build (AVX2+FMA, AVX-512) draws what the baseline draws; only float rounding (FMA,
    summation order, vector width) differs."""
    runs = []
    for module in (importlib.import_module(f"gensim_losses.kernels._{variant}"), baseline_kernels):
        monkeypatch.setattr(engine, "kernels", module)
        model = deterministic(sample=1e-3, **settings)
        model.build_vocab(lee)
        model.train(lee, total_examples=model.corpus_count, epochs=1)
        runs.append(model)
    a, b = runs
    assert a.loss_history[0]["examples"] == b.loss_history[0]["examples"]
    assert b.loss_history[0]["total"] == pytest.approx(a.loss_history[0]["total"], rel=1e-3)
    assert np.corrcoef(a.wv.vectors.ravel(), b.wv.vectors.ravel())[0, 1] > 0.99


def test_a_variant_is_forced_or_refused_by_name():
    import subprocess
    import sys

    for name in kernels.runnable():
        probe = subprocess.run([sys.executable, "-c", "from gensim_losses import kernels; print(kernels.ISA)"],
                               capture_output=True, text=True, env={**os.environ, "GENSIM_LOSSES_KERNELS": name})
        assert probe.stdout.strip() == name, probe.stderr
    probe = subprocess.run([sys.executable, "-c", "import gensim_losses"], capture_output=True, text=True,
                           env={**os.environ, "GENSIM_LOSSES_KERNELS": "sse9"})
    assert probe.returncode != 0 and "expected auto, avx2, avx512, baseline" in probe.stderr
    assert kernels.ISA == kernels.runnable()[0] or os.environ.get("GENSIM_LOSSES_KERNELS")


def test_learns_lee_neighbours(lee):
    model = gensim_losses.Word2Vec(lee, vector_size=50, min_count=2, sg=1, epochs=10, workers=2, seed=1)
    stock = gensim.models.Word2Vec(lee, vector_size=50, min_count=2, sg=1, epochs=10, workers=2, seed=1)
    # gensim's own sanity check for lee: a related word in the top neighbours
    pairs = [("government", "minister"), ("police", "arrested"), ("fire", "firefighters")]

    def hits(m):
        return sum(b in [w for w, _ in m.wv.most_similar(a, topn=20)] for a, b in pairs)

    assert hits(model) >= min(hits(stock), 2)


def test_save_load_roundtrip_and_continue(lee, tmp_path):
    model = gensim_losses.Word2Vec(lee, vector_size=20, min_count=2, epochs=2, workers=2)
    path = tmp_path / "model"
    model.save(str(path))
    loaded = gensim_losses.Word2Vec.load(str(path))
    assert type(loaded) is gensim_losses.Word2Vec
    assert np.array_equal(loaded.wv.vectors, model.wv.vectors)
    assert loaded.loss_history == model.loss_history
    loaded.train(lee, total_examples=loaded.corpus_count, epochs=1)
    assert len(loaded.loss_history) == 1 and loaded.loss_history[0]["total"] > 0
    assert np.isfinite(loaded.wv.vectors).all()


def test_mmap_load_queries_and_refuses_to_train_clearly(lee, tmp_path):
    model = gensim_losses.Word2Vec(lee, vector_size=20, min_count=2, epochs=1, workers=2)
    path = tmp_path / "model"
    model.save(str(path), sep_limit=0)  # arrays in separate .npy files, so mmap applies
    loaded = gensim_losses.Word2Vec.load(str(path), mmap="r")
    assert np.allclose(loaded.wv["government"], model.wv["government"])
    assert loaded.wv.most_similar("government", topn=3)
    with pytest.raises(ValueError, match="read-only"):
        loaded.train(lee, total_examples=loaded.corpus_count, epochs=1)


def test_vectors_readable_by_stock_gensim(lee, tmp_path):
    model = gensim_losses.Word2Vec(lee, vector_size=20, min_count=2, epochs=1, workers=2)
    model.wv.save(str(tmp_path / "wv.kv"))
    model.wv.save_word2vec_format(str(tmp_path / "wv.bin"), binary=True)
    kv = KeyedVectors.load(str(tmp_path / "wv.kv"))
    bin_kv = KeyedVectors.load_word2vec_format(str(tmp_path / "wv.bin"), binary=True)
    assert np.array_equal(kv["police"], model.wv["police"])
    assert np.array_equal(bin_kv["police"], model.wv["police"])


def test_vocab_update_then_train(lee):
    model = gensim_losses.Word2Vec(lee[:150], vector_size=20, min_count=2, epochs=1, workers=2, hs=1)
    before = len(model.wv)
    model.build_vocab(lee[150:], update=True)
    assert len(model.wv) > before
    model.train(lee[150:], total_examples=150, epochs=2)
    assert [r["epoch"] for r in model.loss_history] == [0, 1]
    assert np.isfinite(model.wv.vectors).all()
    assert model.syn1.shape == model.syn1neg.shape == model.wv.vectors.shape


def assert_no_training_threads_left():
    deadline = time.time() + 5
    while time.time() < deadline:
        if not [t for t in threading.enumerate() if _is_training_thread(t)]:
            return
        time.sleep(0.05)
    raise AssertionError(f"threads left running: {threading.enumerate()}")


def test_bad_token_in_a_worker_reaches_the_caller(lee):
    model = gensim_losses.Word2Vec(vector_size=20, min_count=2, workers=2, batch_words=500)
    model.build_vocab(lee)
    bad = lee[:200] + [["fine", ["unhashable"]]] + lee[200:]
    with pytest.raises(TypeError, match="unhashable"):
        model.train(bad, total_examples=len(bad), epochs=2)
    assert_no_training_threads_left()
    assert np.isfinite(model.wv.vectors).all()
    model.train(lee, total_examples=len(lee), epochs=1)  # usable afterwards
    assert model.loss_history[0]["examples"] > 0


def test_failing_corpus_iterator_reaches_the_caller(lee):
    class Broken:
        def __iter__(self):
            yield from lee[:100]
            raise OSError("disk went away")

    model = gensim_losses.Word2Vec(vector_size=20, min_count=2, workers=2)
    model.build_vocab(lee)
    with pytest.raises(OSError, match="disk went away"):
        model.train(Broken(), total_examples=len(lee), epochs=1)
    assert_no_training_threads_left()


def test_corpus_file_worker_failure_reaches_the_caller(lee, monkeypatch):
    model = gensim_losses.Word2Vec(vector_size=20, min_count=2, workers=2)
    model.build_vocab(corpus_file=LEE)
    real = kernels.LineReader

    def flaky(path, start, end, *args):
        if start > 0:
            raise RuntimeError("worker 1 failed")
        return real(path, start, end, *args)

    monkeypatch.setattr(engine.kernels, "LineReader", flaky)
    with pytest.raises(RuntimeError, match="worker 1 failed"):
        model.train(corpus_file=LEE, total_words=model.corpus_total_words, epochs=2)
    assert_no_training_threads_left()


def test_line_ranges_partition_the_file(tmp_path):
    path = tmp_path / "c.txt"
    lines = [" ".join(["w"] * (i % 7 + 1)) for i in range(101)]
    path.write_text("\n".join(lines) + "\n")
    for parts in (1, 2, 3, 8, 200):
        ranges = engine.line_ranges(str(path), parts)
        assert ranges[0][0] == 0 and ranges[-1][1] == path.stat().st_size
        data = path.read_bytes()
        assert b"".join(data[a:b] for a, b in ranges) == data
        assert all(a == 0 or data[a - 1:a] == b"\n" for a, b in ranges)


def test_long_lines_are_cut_like_linesentence(tmp_path):
    path = tmp_path / "long.txt"
    path.write_text(" ".join(f"w{i % 50}" for i in range(25_000)) + "\n")
    model = deterministic(min_count=1, sg=1, window=3)
    model.build_vocab(corpus_file=str(path))
    model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=1)
    # skip-gram, window 3: 6 pairs a word, less 1+2+3 at each end of each sentence
    assert model.loss_history[0]["examples"] == 6 * 25_000 - 3 * 2 * (1 + 2 + 3)
    sentences = list(LineSentence(str(path)))
    assert [len(s) for s in sentences] == [10_000, 10_000, 5_000]


def test_corpus_file_learning_rate_decays_within_epochs(lee):
    model = deterministic(sg=1, workers=2, batch_words=2000)
    model.build_vocab(corpus_file=LEE)
    seen = []
    alpha_at = model._alpha_at

    def spy(epoch, progress):
        seen.append((epoch, progress))
        return alpha_at(epoch, progress)

    model._alpha_at = spy
    model.train(corpus_file=LEE, total_words=model.corpus_total_words, epochs=2, start_alpha=0.025,
                end_alpha=0.0001)
    progress = [p for _, p in seen]
    assert min(progress) == 0 and 0.8 < max(progress) <= 1
    last = max(seen)
    assert alpha_at(*last) < 0.1 * 0.025  # near min_alpha by the end of the last epoch


def _is_training_thread(thread):
    """A worker or job producer of train() (others, e.g. tqdm's monitor, may outlive a test)."""
    return any(name in thread.name for name in ("_worker_loop", "_job_producer"))
