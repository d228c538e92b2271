"""The gensim-losses command, run in-process through main([...])."""

import gzip
import os
import shutil
import subprocess
import sys
from pathlib import Path

import gensim
import numpy as np
import pytest
from gensim.models import KeyedVectors

from gensim_losses import Doc2Vec, FastText, Word2Vec
from gensim_losses.tools import cli
from gensim_losses.tools.cli import main


@pytest.fixture(scope="module")
def corpus_path(tmp_path_factory):
    rng = np.random.default_rng(0)
    path = tmp_path_factory.mktemp("corpus") / "corpus.txt"
    # a few real words too, so evaluate finds some wordsim353 pairs
    words = [f"w{i}" for i in range(40)] + ["king", "queen", "man", "woman", "car", "automobile"]
    lines = (" ".join(words[i] for i in rng.integers(0, len(words), 12)) for _ in range(300))
    path.write_text("\n".join(lines) + "\n")
    return path


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def assert_usage_error(code, err):
    assert code == 2
    assert err.endswith("\n") and err.count("\n") == 1, err  # one line
    assert "error:" in err and "Traceback" not in err


FAST = ("--vector-size", 8, "--epochs", 2, "--workers", 1, "--min-count", 1, "--no-progress")


def test_train_writes_model_and_vectors(corpus_path, tmp_path, capsys):
    out, vec = tmp_path / "m.model", tmp_path / "v.txt"
    code, stdout, err = run(capsys, "train", corpus_path, "--sg", "--penalty", "norm=0.01",
                            "--penalty", "l2=0.001", "--out", out, "--vectors", vec, *FAST)
    assert code == 0, err
    lines = stdout.splitlines()
    header = next(line for line in lines if line.startswith("epoch"))
    assert header.split() == ["epoch", "examples", "loss/example", "total", "ns", "norm", "l2"]
    model = Word2Vec.load(str(out))
    assert model.sg == 1 and model.wv.vector_size == 8 and len(model.loss_history) == 2
    rows = [line.split() for line in lines[lines.index(header) + 1:][:2]]
    assert [int(r[1]) for r in rows] == [rec["examples"] for rec in model.loss_history]
    kv = KeyedVectors.load_word2vec_format(str(vec))
    assert np.allclose(kv["w1"], model.wv["w1"], atol=1e-5)
    assert sorted(os.listdir(tmp_path)) == ["m.model", "v.txt"]  # no temporary file left
    assert oct(out.stat().st_mode & 0o777) != oct(0o600)  # not mkstemp's private mode


@pytest.mark.parametrize("arch", ["--sg", "--cbow"])
def test_train_with_shared_negatives(corpus_path, tmp_path, capsys, arch):
    out = tmp_path / "m.model"
    code, _, err = run(capsys, "train", corpus_path, arch, "--shared-negatives", "--corpus-file", "--out", out,
                       *FAST)
    assert code == 0, err
    model = Word2Vec.load(str(out))
    assert model.shared_negatives and model.sg == (arch == "--sg") and model.loss_history[-1]["examples"] > 0


@pytest.mark.parametrize("model_name, cls, arch", [
    ("fasttext", FastText, "--sg"), ("fasttext", FastText, "--cbow"),
    ("doc2vec", Doc2Vec, "--sg"), ("doc2vec", Doc2Vec, "--cbow")])
@pytest.mark.parametrize("corpus_file", [False, True])
def test_train_fasttext_and_doc2vec(model_name, cls, arch, corpus_file, corpus_path, tmp_path, capsys):
    out = tmp_path / "m.model"
    code, stdout, err = run(capsys, "train", corpus_path, "--model", model_name, arch, "--out", out,
                            *(["--corpus-file"] if corpus_file else []), *FAST)
    assert code == 0, err
    model = cls.load(str(out))
    assert len(model.loss_history) == 2 and model.loss_history[-1]["examples"] > 0
    assert model.get_latest_training_loss() == pytest.approx(sum(r["total"] for r in model.loss_history))
    if cls is Doc2Vec:
        assert len(model.dv) == 300 and model.dm == (arch == "--cbow")  # a document per line
    else:
        assert model.sg == (arch == "--sg")
    assert ("PV-" if cls is Doc2Vec else "FastText") in stdout


@pytest.mark.parametrize("model", ["fasttext", "doc2vec"])
def test_shared_negatives_trains_fasttext_and_doc2vec(model, corpus_path, tmp_path, capsys):
    out = str(tmp_path / "m.model")
    code, stdout, err = run(capsys, "train", corpus_path, "--model", model, "--sg", "--shared-negatives", *FAST,
                            "--out", out)
    assert code == 0, err
    loaded = {"fasttext": FastText, "doc2vec": Doc2Vec}[model].load(out)
    assert loaded.shared_negatives and loaded.loss_history[-1]["examples"] > 0


@pytest.mark.parametrize("objective", ["hs", "softmax"])
def test_train_corpus_file_cbow(objective, corpus_path, tmp_path, capsys):
    vec = tmp_path / "v.bin"
    code, stdout, err = run(capsys, "train", corpus_path, "--corpus-file", "--cbow", "--objective", objective,
                            "--vectors", vec, "--binary", *FAST)
    assert code == 0, err
    assert objective in stdout.splitlines()[1].split()  # the term's column in the loss table
    kv = KeyedVectors.load_word2vec_format(str(vec), binary=True)
    assert len(kv) == 46


def test_train_shows_progress_lines(corpus_path, capsys, caplog):
    caplog.set_level("INFO", logger="gensim_losses")
    code, _, err = run(capsys, "train", corpus_path, *FAST[:-1])  # default progress: log lines off a terminal
    assert code == 0, err
    assert any(r.getMessage().startswith("EPOCH 1: done") for r in caplog.records)


def test_evaluate_model_and_vectors(corpus_path, tmp_path, capsys):
    out, vec = tmp_path / "m.model", tmp_path / "v.bin"
    assert run(capsys, "train", corpus_path, "--out", out, "--vectors", vec, "--binary", *FAST)[0] == 0
    for path in (out, vec):
        code, stdout, err = run(capsys, "evaluate", path)
        assert code == 0, err
        lines = stdout.splitlines()
        header = next(i for i, line in enumerate(lines) if line.startswith("vectors"))
        assert "wordsim353" in lines[header] and "simlex999" in lines[header] and "analogies" in lines[header]
        row = lines[header + 1]
        assert row.split()[0] == path.name and row.split()[-1].endswith("/19544")
        # it says what it is doing while it works: each set's score and time as it is done
        assert any(line.strip().startswith("analogies: 19544 questions") for line in lines[:header])
    code, stdout, err = run(capsys, "evaluate", out, vec)  # two side by side, one row each
    assert code == 0, err
    lines = stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("vectors"))
    assert [line.split()[0] for line in lines[header + 1:header + 3]] == [out.name, vec.name]
    code, _, err = run(capsys, "evaluate", out, tmp_path / "missing.txt")
    assert_usage_error(code, err)
    assert "missing.txt: no such file" in err


def test_evaluate_stock_model(tmp_path, capsys):
    import gensim

    model = gensim.models.Word2Vec([["king", "queen", "man", "woman"]] * 20, vector_size=4, min_count=1)
    model.save(str(tmp_path / "stock.model"))
    model.wv.save(str(tmp_path / "stock.kv"))
    for name in ("stock.model", "stock.kv"):
        code, stdout, _ = run(capsys, "evaluate", tmp_path / name)
        assert code == 0 and "4 words, 4 dimensions" in stdout


def test_bench_runs_from_the_package(capsys):
    code, stdout, _ = run(capsys, "bench", "--help")
    assert code == 0 and "--reps" in stdout and "gensim-losses bench" in stdout
    code, stdout, err = run(capsys, "bench", "--corpus", "lee", "--modes", "SG-NS", "--inputs", "iterable",
                            "--reps", 1)
    assert code == 0, err
    from gensim_losses import kernels

    # a speed table names the machine and the kernel variant it ran
    assert stdout.splitlines()[0].startswith("CPU ") and f"kernels {kernels.ISA}" in stdout.splitlines()[0]
    row = next(line for line in stdout.splitlines() if line.startswith("| lee_background x20 | SG-NS | iterable"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    stock, ours, ratio = float(cells[3].rstrip("M")), float(cells[4].rstrip("M")), float(cells[5].strip("*"))
    assert stock > 0 and ours > 0
    # one repetition: the ratio is ours / stock, up to the rounding of the three printed figures
    # (0.005M each: large when a loaded machine makes the rates small)
    assert (ours - 0.005) / (stock + 0.005) - 0.005 <= ratio <= (ours + 0.005) / max(stock - 0.005, 1e-9) + 0.005


def test_bench_refuses_what_it_cannot_time(capsys):
    code, _, err = run(capsys, "bench", "--modes", "NOPE")
    assert_usage_error(code, err)
    code, _, err = run(capsys, "bench", "--compare", "weights", "--inputs", "corpus_file", "--corpus", "lee",
                       "--modes", "SG-NS", "--reps", 1)
    assert_usage_error(code, err)
    assert "iterable" in err


def test_the_package_holds_no_test_machinery():
    package = Path(cli.__file__).parent
    for source in package.glob("*.py"):
        text = source.read_text()
        assert "unittest" not in text and "pytest" not in text, source.name
        assert '"benchmarks"' not in text, source.name  # nothing reaches into a source checkout


def test_help_in_a_subprocess():
    result = subprocess.run([sys.executable, "-m", "gensim_losses", "--help"], capture_output=True, text=True,
                            timeout=60, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert result.returncode == 0, result.stderr
    for command in ("train", "evaluate", "demo", "bench"):
        assert command in result.stdout


@pytest.mark.parametrize("argv, message", [
    ([], "required: COMMAND"),
    (["frob"], "invalid choice"),
    (["train"], "required: CORPUS"),
    (["train", "{corpus}", "--penalty", "dropout=0.1"], "NAME=WEIGHT"),
    (["train", "{corpus}", "--penalty", "norm=-1"], ">= 0"),
    (["train", "{corpus}", "--penalty", "norm=x"], "not a number"),
    (["train", "{corpus}", "--epochs", "0"], "at least 1"),
    (["train", "{corpus}", "--objective", "nce"], "invalid choice"),
    (["train", "{corpus}", "--sg", "--cbow"], "not allowed with"),
    (["train", "{corpus}", "--objective", "hs", "--negative", "3"], "--negative applies"),
    (["train", "{corpus}", "--bogus"], "unrecognized arguments"),
    (["train", "{tmp}/missing.txt", "--out", "{tmp}/m"], "no such file"),
    (["train", "{tmp}/empty.txt", "--out", "{tmp}/m"], "empty"),
    (["train", "{tmp}/blank.txt", "--out", "{tmp}/m"], "holds no words"),
    (["train", "{tmp}", "--out", "{tmp}/m"], "not a file"),
    (["train", "{corpus}", "--out", "{tmp}/nodir/m"], "does not exist"),
    (["train", "{corpus}", "--vectors", "{tmp}"], "is a directory"),
    (["train", "{corpus}", "--out", "{tmp}/m", "--vectors", "{tmp}/m"], "same file"),
    (["train", "{corpus}", "--min-count", "100000", "--out", "{tmp}/m"], "no word occurs"),
    (["train", "{tmp}/corpus.txt.gz", "--corpus-file"], "plain text"),
    (["train", "{corpus}", "--objective", "hs", "--shared-negatives"], "--shared-negatives needs --objective ns"),
    (["train", "{corpus}", "--validation", "{tmp}/missing.txt"], "--validation"),
    (["train", "{corpus}", "--resume", "{tmp}/nodir"], "no such directory"),
    (["train", "{corpus}", "--resume", "{tmp}"], "no checkpoint"),
    (["train", "{corpus}", "--early-stopping", "0"], "at least 1"),
    (["train", "{corpus}", "--engine", "local", "--validation", "{corpus}"], "not with --engine"),
    (["evaluate", "{tmp}/missing.model"], "no such file"),
    (["evaluate", "{corpus}"], "not a saved gensim model"),
])
def test_errors_exit_2_in_one_line_and_write_nothing(argv, message, corpus_path, tmp_path, capsys):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "blank.txt").write_text("\n   \n\t\n")
    (tmp_path / "corpus.txt.gz").write_bytes(gzip.compress(corpus_path.read_bytes()))
    before = sorted(os.listdir(tmp_path))
    argv = [a.format(corpus=corpus_path, tmp=tmp_path) for a in argv]
    code, _, err = run(capsys, *argv, *(("--workers", "1") if argv[:1] == ["train"] else ()))
    assert_usage_error(code, err)
    assert message in err
    assert sorted(os.listdir(tmp_path)) == before


def test_unwritable_output_is_refused_before_training(corpus_path, tmp_path, capsys):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("running as a user who can write anywhere (root)")
        code, stdout, err = run(capsys, "train", corpus_path, "--out", locked / "m", *FAST)
    finally:
        locked.chmod(0o700)
    assert_usage_error(code, err)
    assert "not writable" in err and stdout == ""


def test_failed_write_leaves_nothing_half_written(corpus_path, tmp_path, capsys, monkeypatch):
    out = tmp_path / "m.model"
    out.write_text("the previous model")

    def full_disk(self, fname, *args, **kwargs):
        with open(fname, "wb") as fh:
            fh.write(b"partial")
        raise OSError(28, "No space left on device", fname)

    # the write itself fails: gensim's save, under our atomic one
    monkeypatch.setattr(gensim.models.word2vec.Word2Vec, "save", full_disk)
    code, _, err = run(capsys, "train", corpus_path, "--out", out, *FAST)
    assert_usage_error(code, err)
    assert "No space left on device" in err
    assert os.listdir(tmp_path) == ["m.model"] and out.read_text() == "the previous model"


def test_loss_table_shows_missing_losses():
    table = cli.loss_table([{"epoch": 0, "examples": 10, "total": None, "ns": None}])
    assert table.splitlines()[1].split() == ["0", "10", "-", "-", "-"]


def test_train_with_validation_early_stopping_and_checkpoints_then_resume(corpus_path, tmp_path, capsys):
    lines = corpus_path.read_text().splitlines()
    train, held = tmp_path / "train.txt", tmp_path / "held.txt"
    train.write_text("\n".join(lines[:250]) + "\n")
    held.write_text("\n".join(lines[250:]) + "\n")
    checkpoints = tmp_path / "ck"
    common = ("--vector-size", 8, "--workers", 1, "--min-count", 1, "--no-progress")
    code, stdout, err = run(capsys, "train", train, "--epochs", 4, "--validation", held, "--early-stopping", 2,
                            "--checkpoint-dir", checkpoints, "--vectors", tmp_path / "straight.txt", *common)
    assert code == 0, err
    header = next(line for line in stdout.splitlines() if line.startswith("epoch"))
    assert header.split()[-1] == "loss/example" and "held-out" in header
    rows = [line.split() for line in stdout.splitlines() if line[:1].isdigit()]
    assert len(rows) == 4 and all(float(r[-1]) > 0 for r in rows)
    assert sorted(os.listdir(checkpoints)) == ["epoch-0002", "epoch-0003", "epoch-0004"]
    for name in ("epoch-0003", "epoch-0004"):
        shutil.rmtree(checkpoints / name)  # as if the run had been killed after its second epoch
    code, stdout, err = run(capsys, "train", train, "--resume", checkpoints, "--validation", held,
                            "--vectors", tmp_path / "resumed.txt", "--no-progress")
    assert code == 0, err
    assert "2 of 4 epochs done" in stdout
    assert (tmp_path / "resumed.txt").read_bytes() == (tmp_path / "straight.txt").read_bytes()
    assert sorted(os.listdir(checkpoints)) == ["epoch-0002", "epoch-0003", "epoch-0004"]


def test_resume_of_a_doc2vec_run_reads_documents(corpus_path, tmp_path, capsys):
    checkpoints = tmp_path / "ck"
    common = ("--vector-size", 8, "--workers", 1, "--min-count", 1, "--no-progress")
    code, _, err = run(capsys, "train", corpus_path, "--model", "doc2vec", "--epochs", 3, "--checkpoint-dir",
                       checkpoints, *common)
    assert code == 0, err
    shutil.rmtree(checkpoints / "epoch-0003")
    code, stdout, err = run(capsys, "train", corpus_path, "--resume", checkpoints, "--out", tmp_path / "m",
                            "--no-progress")  # no --model: the checkpoint says what it is
    assert code == 0, err
    assert "a Doc2Vec with 2 of 3 epochs done" in stdout
    assert len(Doc2Vec.load(str(tmp_path / "m")).loss_history) == 3
    code, _, err = run(capsys, "train", corpus_path, "--model", "doc2vec", "--sg", "--validation", corpus_path,
                       *common)
    assert_usage_error(code, err)
    assert "PV-DBOW" in err


def test_train_help_says_every_default(capsys):
    code, out, _ = run(capsys, "train", "--help")
    assert code == 0
    text = " ".join(out.split())
    defaults = (("--vector-size", "default 100"), ("--window", "default 5"), ("--min-count", "default 5"),
                ("--epochs", "default 5"), ("--seed", "default 1"), ("--alpha", "default 0.025"),
                ("--workers", f"this machine's cores, {len(os.sched_getaffinity(0))}"))
    for option, default in defaults:
        assert option in text and default in text, option
    assert cli.build_parser().parse_args(["train", "x"]).workers == len(os.sched_getaffinity(0))


def test_every_option_with_a_default_says_it_in_its_help():
    """Every subcommand's options: one that has a default (not off, not unset) names it in --help."""
    import argparse

    (commands,) = [a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    missing = [(name, action.option_strings) for name, parser in commands.choices.items()
               for action in parser._actions
               if action.default not in (None, False, [], argparse.SUPPRESS)
               and not isinstance(action, argparse._HelpAction) and "default" not in (action.help or "")]
    assert not missing, missing


def test_export_a_model_stock_gensim_loads_without_this_package(corpus_path, tmp_path, capsys):
    stock, vec = tmp_path / "m.gensim", tmp_path / "v.txt"
    code, stdout, err = run(capsys, "train", corpus_path, "--gensim-model", stock, "--vectors", vec, *FAST)
    assert code == 0, err
    assert "stock gensim's Word2Vec" in stdout
    check = ("import sys; sys.modules['gensim_losses'] = None\n"
             "import gensim, numpy as np\n"
             f"m = gensim.models.Word2Vec.load({str(stock)!r})\n"
             f"kv = gensim.models.KeyedVectors.load_word2vec_format({str(vec)!r})\n"
             "assert type(m) is gensim.models.Word2Vec\n"
             "assert np.allclose(m.wv['w1'], kv['w1'], atol=1e-5)\n"
             "m.train([['w1', 'w2']], total_examples=1, epochs=1)\n"
             "print('ok', len(m.wv))")
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("ok"), out.stderr[-2000:]
    code, _, err = run(capsys, "train", corpus_path, "--gensim-model", stock, "--out", stock, *FAST)
    assert_usage_error(code, err)
    assert "--out and --gensim-model name the same file" in err
