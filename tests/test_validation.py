"""Bad values refused where they enter (issue 17, item 6): each test here failed before its fix.

The command line's numeric options and the models' numeric settings, the
benchmark's outputs, the memory a model would need, weights beyond float32's
range, and what a divergence error says.
"""

import os
import re
from pathlib import Path

import numpy as np
import pytest
from gensim.models.doc2vec import TaggedDocument
from gensim.test.utils import common_texts, datapath

import gensim_losses as G
from gensim_losses.tools import bench, options
from gensim_losses.tools.cli import main

LEE = datapath("lee_background.cor")
FAST = ("--vector-size", 8, "--epochs", 1, "--workers", 1, "--min-count", 1, "--no-progress")
NAN, INF = float("nan"), float("inf")


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *words):
    assert code == 2, err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith("gensim-losses") and "Traceback" not in err
    for word in words:
        assert word in err, (word, err)


# ---------------------------------------------------------------- the models' numeric settings
@pytest.mark.parametrize("setting, value, message", [
    ("alpha", NAN, "alpha=nan: the initial learning rate .* must be a finite number >= 0"),
    ("alpha", INF, "alpha=inf: .* finite number >= 0"),
    ("alpha", -1, "alpha=-1: .* >= 0"),
    ("min_alpha", NAN, "min_alpha=nan: the final learning rate .* >= 0"),
    ("vector_size", 0, "vector_size=0: the number of dimensions must be an integer >= 1"),
    ("vector_size", 2.5, "vector_size=2.5: .* integer"),
    ("window", 10**12, r"window=1000000000000: .* <= 2147483647"),
    ("workers", 0, "workers=0: the number of training threads must be an integer >= 1"),
    ("batch_words", 0, "batch_words=0: the words per job"),
    ("sample", -1.0, "sample=-1.0: the downsampling threshold"),
    ("sample", NAN, "sample=nan"),
    ("min_count", -1, "min_count=-1"),
    ("ns_exponent", NAN, "ns_exponent=nan: the exponent of the negative-sampling distribution"),
    ("seed", -1, r"seed=-1: the seed .* >= 0 and <= 4294967295"),
])
@pytest.mark.parametrize("cls", ["Word2Vec", "FastText", "Doc2Vec"])
def test_a_numeric_setting_gensim_takes_silently_is_refused_by_name(cls, setting, value, message):
    """Stock gensim trains a NaN, infinite or negative alpha at min_alpha, and
    workers=0 or batch_words=0 train nothing, without a word."""
    corpus = common_texts if cls != "Doc2Vec" else [TaggedDocument(s, [i]) for i, s in enumerate(common_texts)]
    with pytest.raises(ValueError, match=message):
        getattr(G, cls)(corpus, **{"min_count": 1, setting: value})


def test_train_refuses_a_bad_learning_rate_or_epochs():
    model = G.Word2Vec(common_texts, min_count=1, vector_size=8, epochs=1)
    for kwargs, message in ((dict(start_alpha=NAN), "alpha=nan"), (dict(end_alpha=-0.1), "min_alpha=-0.1"),
                            (dict(start_alpha=INF), "alpha=inf"), (dict(epochs=-1), "epochs=-1")):
        with pytest.raises(ValueError, match=message):
            model.train(common_texts, total_examples=len(common_texts), **{"epochs": 1, **kwargs})


def test_weights_larger_than_memory_are_refused_with_what_they_need():
    """numpy's MemoryError was a 30-line traceback; an allocation that succeeds
    is worse: the system kills the process while gensim fills the vectors."""
    words = len({w for s in common_texts for w in s})
    with pytest.raises(MemoryError, match=rf"would need [\d,.]+ GB \({words} \(wv.vectors\) \+ {words} "
                                          rf"\(syn1neg\) rows x vector_size=10000000000 .* this machine has"):
        G.Word2Vec(common_texts, min_count=1, vector_size=10**10)
    with pytest.raises(MemoryError, match=r"\(wv.vectors_ngrams\) .* lower vector_size, bucket"):
        G.FastText(common_texts, min_count=1, vector_size=10**9)
    model = G.Word2Vec(min_count=1, vector_size=16, hs=1, negative=5)
    model.build_vocab(common_texts)
    assert model.check_memory() == 3 * words * 16 * 4  # float32 wv.vectors, syn1 and syn1neg
    assert sum(a.nbytes for a in (model.wv.vectors, model.syn1, model.syn1neg)) == model.check_memory()
    # Doc2Vec with dm_concat: the output layer is the concatenation's width
    docs = [TaggedDocument(s, [i]) for i, s in enumerate(common_texts)]
    concat = G.Doc2Vec(docs, dm=1, dm_concat=1, window=2, vector_size=8, min_count=1, epochs=1)
    arrays = (concat.wv.vectors, concat.dv.vectors, concat.syn1neg)
    assert concat.syn1neg.shape[1] > 8 and sum(a.nbytes for a in arrays) == concat.check_memory()


# ---------------------------------------------------------------- train's numeric options
@pytest.mark.parametrize("option, value, message", [
    ("--alpha", "nan", "the learning rate must be a finite number > 0"),
    ("--alpha", "inf", "the learning rate must be a finite number > 0"),
    ("--alpha", "-1", "the learning rate must be a finite number > 0"),
    ("--alpha", "0", "the learning rate must be a finite number > 0"),
    ("--alpha", "fast", "'fast' is not a number"),
    ("--window", "0", "at least 1"),
    ("--window", "99999999999", "at most 2147483647"),
    ("--seed", "-1", "at least 0"),
    ("--seed", str(2**40), "at most 4294967295"),
    ("--vector-size", "0", "at least 1"),
    ("--negative", "0", "at least 1"),
])
def test_train_refuses_a_bad_number_in_one_line(option, value, message, tmp_path, capsys):
    code, out, err = run(capsys, "train", LEE, *FAST, option, value, "--out", tmp_path / "m")
    assert_one_line_error(code, err, f"argument {option}", message)
    assert out == "" and os.listdir(tmp_path) == []


def test_train_says_in_one_line_how_much_memory_a_huge_vector_size_needs(tmp_path, capsys):
    code, out, err = run(capsys, "train", LEE, "--vector-size", 10**10, "--workers", 1, "--no-progress",
                         "--out", tmp_path / "m")
    assert_one_line_error(code, err, "--vector-size 10000000000 with 1762 words", "would need", "GB",
                          "this machine has")
    assert "trained" not in out and os.listdir(tmp_path) == []


# ---------------------------------------------------------------- bench's outputs, before anything is timed
@pytest.fixture
def untimed(monkeypatch):
    """The benchmark must refuse before it times anything: timing fails the test."""
    def timed(*args, **kwargs):
        raise AssertionError("the benchmark started timing")
    monkeypatch.setattr(bench, "time_training", timed)


def unwritable_directory(tmp_path):
    """A directory no file can be made in, for whoever runs the tests (root writes through permissions)."""
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    if not options.cannot_create_in(locked):
        locked.chmod(0o700)
        if os.path.isdir("/sys") and options.cannot_create_in("/sys"):
            return Path("/sys")  # sysfs: no new files, not even for root
        pytest.skip("no directory here refuses new files to this user")
    return locked


QUICK = ("bench", "--corpus", "lee", "--modes", "SG-NS", "--inputs", "iterable", "--reps", 1)


def test_bench_refuses_an_out_in_a_missing_directory_before_timing(tmp_path, capsys, untimed):
    code, out, err = run(capsys, *QUICK, "--out", tmp_path / "missing" / "speed.md")
    assert_one_line_error(code, err, "--out", "does not exist")
    assert "| lee_background" not in out


def test_bench_refuses_unwritable_out_and_workdir_before_timing(tmp_path, capsys, untimed):
    locked = unwritable_directory(tmp_path)
    try:
        code, out, err = run(capsys, *QUICK, "--out", locked / "speed.md")
        assert_one_line_error(code, err, f"--out {locked / 'speed.md'}", "not writable")
        code, out, err = run(capsys, *QUICK, "--workdir", locked)
        assert_one_line_error(code, err, f"--workdir {locked}", "not writable")
        code, out, err = run(capsys, *QUICK, "--workdir", locked / "sub")
        assert_one_line_error(code, err, f"--workdir {locked / 'sub'}", "cannot create it")
    finally:
        if locked.is_relative_to(tmp_path):
            locked.chmod(0o700)
    (tmp_path / "file").write_text("x")
    code, out, err = run(capsys, *QUICK, "--workdir", tmp_path / "file")
    assert_one_line_error(code, err, "--workdir", "not a directory")


@pytest.mark.parametrize("option, value", [("--workers", 0), ("--reps", 0), ("--tokens", 0), ("--tokens", -5),
                                           ("--reps", "x")])
def test_bench_refuses_a_bad_number_in_one_line(option, value, capsys, untimed):
    code, out, err = run(capsys, *QUICK, option, value)
    assert_one_line_error(code, err, f"argument {option}")


def test_bench_makes_a_missing_workdir_and_the_script_reports_in_one_line(tmp_path, capsys, untimed):
    assert options.writable_directory(tmp_path / "a" / "b", "--workdir") == tmp_path / "a" / "b"
    assert (tmp_path / "a" / "b").is_dir() and os.listdir(tmp_path / "a" / "b") == []
    with pytest.raises(SystemExit) as stop:
        bench.main([*map(str, QUICK[1:]), "--out", str(tmp_path / "missing" / "t.md")], prog="speed.py")
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("speed.py: error: --out") and err.count("\n") == 1


# ---------------------------------------------------------------- beyond float32; divergence told as it is
@pytest.fixture(scope="module")
def lee50():
    from gensim.models.word2vec import LineSentence

    return list(LineSentence(LEE))[:50]


def weighted(sentences, weight, at=3):
    return [G.Sentence(s, weight=weight if i == at else 1.0) for i, s in enumerate(sentences)]


def test_a_sentence_weight_beyond_float32_is_refused_by_item(lee50):
    """1e39 is a finite Python float but inf in the kernels' float32: it left NaN in wv.vectors."""
    message = r"corpus item 3: Sentence.weight must be finite and >= 0, got 1e\+39; and at most 3.402823e\+38"
    with pytest.raises(ValueError, match=message):
        G.Word2Vec(weighted(lee50, 1e39), vector_size=8, min_count=1, workers=1)
    model = G.Word2Vec(lee50, vector_size=8, min_count=1, workers=1, epochs=1)
    with pytest.raises(ValueError, match="corpus item 3: Sentence.weight"):  # a corpus build_vocab never saw
        model.train(weighted(lee50, 1e39), total_examples=50, epochs=1)
    G.Word2Vec(weighted(lee50, 3.4e38), vector_size=8, min_count=1, workers=1, epochs=1, alpha=0.0,
               min_alpha=0.0)  # in range, accepted


def assert_true_to_the_weights(model, message):
    """The message says what the weights hold: never "finite" when some are not."""
    from gensim_losses.training.engine import nonfinite_rows

    bad = nonfinite_rows(model)
    if bad:
        assert "Every weight is still finite" not in message and "every vector is still finite" not in message
        for name, rows in bad.items():
            assert f"{rows} rows of {name} hold inf or NaN" in message, (bad, message)
    else:
        assert "Every weight is still finite" in message and "hold inf or NaN" not in message


@pytest.mark.parametrize("backend", ["auto", "reference"])
@pytest.mark.parametrize("sg", [1, 0])
def test_a_huge_sentence_weight_is_named_and_the_divergence_message_is_true(lee50, sg, backend):
    """With weight 1e30 the message said "every vector is still finite" and then that
    rows had overflowed, and blamed the learning rate alone."""
    model = G.Word2Vec(vector_size=8, min_count=1, workers=1, sg=sg, backend=backend)
    corpus = weighted(lee50, 1e30)
    model.build_vocab(corpus)
    with pytest.raises(G.DivergenceError) as caught:
        model.train(corpus, total_examples=len(corpus), epochs=1)
    message = str(caught.value)
    assert_true_to_the_weights(model, message)
    causes = message.split("Likely causes, most likely first: ")[1]
    assert causes.startswith("a Sentence.weight of 1e+30 in the job that diverged")
    assert "too high a learning rate" in causes  # named too, after it


def test_a_large_loss_weight_is_named_first_and_one_beyond_float32_is_refused(lee50):
    with pytest.raises(G.DivergenceError) as caught:
        G.Word2Vec(lee50, vector_size=8, min_count=1, workers=1, sg=1, loss=G.NEGSamplingLoss() + G.L2Penalty(1e4))
    message = str(caught.value)
    assert message.split("most likely first: ")[1].startswith("a large loss weight (l2 10000)")
    with pytest.raises(G.LossError, match=r"L2Penalty has the weight 1e\+39 .* float32"):
        G.Word2Vec(lee50, vector_size=8, min_count=1, loss=G.NEGSamplingLoss() + G.L2Penalty(1e39))
    with pytest.raises(G.LossError, match=r"NormPenalty has the weight 1e\+40"):
        G.Word2Vec(lee50, vector_size=8, min_count=1, loss=G.NEGSamplingLoss() + 1e20 * G.NormPenalty(1e20))


def test_a_learning_rate_alone_is_named_alone(lee50):
    with pytest.raises(G.DivergenceError) as caught:
        G.Word2Vec(lee50, vector_size=8, min_count=1, workers=1, sg=1, alpha=5.0)
    message = str(caught.value)
    assert "Likely cause: too high a learning rate: lower the learning rate (alpha=5 now" in message
    assert "Sentence.weight" not in message and "loss weight" not in message


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 1e39])
def test_anchor_reference_vectors_that_are_not_finite_are_named_at_bind(lee50, bad):
    """A NaN anchor made a DivergenceError that blamed the learning rate."""
    from gensim.models import KeyedVectors

    words = sorted({w for s in lee50 for w in s})
    vectors = np.zeros((40, 8))
    vectors[[4, 7]] = bad
    reference = KeyedVectors(8, dtype=np.float64)
    reference.add_vectors(words[:40], vectors)
    reference.add_vectors(["not-in-the-model"], np.full((1, 8), np.nan))  # never read: no complaint
    named = f"{re.escape(repr(words[4]))}, {re.escape(repr(words[7]))}"
    with pytest.raises(G.LossError,
                       match=rf"reference vectors of 2 of the model.s words are not finite.*{named}"):
        G.Word2Vec(lee50, vector_size=8, min_count=1, workers=1,
                   loss=G.NEGSamplingLoss() + G.AnchorPenalty(reference, 0.5))
