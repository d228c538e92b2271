"""ParquetCorpus: token lists (strings or integer ids) streamed from Parquet; integer ids everywhere."""

import subprocess
import sys

import numpy as np
import pytest
from gensim.models.word2vec import LineSentence
from gensim.test.utils import datapath

import gensim_losses as G
from gensim_losses.losses import loss as L
from gensim_losses.tools.cli import main

pa = pytest.importorskip("pyarrow", reason="the [parquet] extra (pyarrow) is not installed")
import pyarrow.parquet as pq  # noqa: E402

SETTINGS = dict(vector_size=12, min_count=2, epochs=2, workers=1, seed=3)


@pytest.fixture(scope="module")
def lee():
    return list(LineSentence(datapath("lee_background.cor")))[:200]


def write(path, columns, row_group_size=None):
    pq.write_table(pa.table(columns), str(path), row_group_size=row_group_size)
    return path


def arrays(model):
    return [model.wv.vectors, model.syn1neg]


def test_strings_train_as_the_same_lists_do(lee, tmp_path):
    path = write(tmp_path / "s.parquet", {"items": lee}, row_group_size=37)
    corpus = G.ParquetCorpus(path, "items", batch_rows=16)
    assert len(corpus) == len(lee) and list(corpus) == lee and list(corpus) == lee  # restartable, in order
    assert pq.ParquetFile(str(path)).metadata.num_row_groups == 6
    a, b = G.Word2Vec(corpus, **SETTINGS), G.Word2Vec(lee, **SETTINGS)
    assert a.wv.index_to_key == b.wv.index_to_key
    assert all(np.array_equal(x, y) for x, y in zip(arrays(a), arrays(b)))
    assert a.loss_history == b.loss_history


def test_integer_ids_with_weights_and_context(lee, tmp_path):
    ids = {w: i for i, w in enumerate(sorted({w for s in lee for w in s}))}
    sessions = [[ids[w] for w in s] for s in lee]
    booked = [s[-1] for s in sessions]
    weights = [1.0 + (i % 3) for i in range(len(lee))]
    path = write(tmp_path / "i.parquet", {"items": sessions, "w": weights, "booked": booked})
    corpus = G.ParquetCorpus(path, "items", weight="w", context="booked")
    first = next(iter(corpus))
    assert first == G.Sentence(sessions[0], 1.0, [booked[0]])
    loss = L.NEGSamplingLoss() + L.GlobalContextLoss()
    a = G.Word2Vec(corpus, loss=loss, **SETTINGS)
    b = G.Word2Vec([G.Sentence(s, w, [c]) for s, w, c in zip(sessions, weights, booked)], loss=loss, **SETTINGS)
    assert all(isinstance(k, int) for k in a.wv.index_to_key)
    assert a.loss_history == b.loss_history and a.loss_history[-1]["global_context"] > 0
    assert np.array_equal(a.wv.vectors, b.wv.vectors)
    assert a.evaluate_loss(corpus)["global_context"] > 0


def test_null_rows_and_lists_of_context(tmp_path):
    rows = {"items": [["a", "b"], None, ["b", "c"]], "ctx": [["c"], None, ["a", "b"]]}
    path = write(tmp_path / "n.parquet", rows)
    assert list(G.ParquetCorpus(path, "items", context="ctx")) == [
        G.Sentence(["a", "b"], 1.0, ["c"]), G.Sentence([], 1.0, ()), G.Sentence(["b", "c"], 1.0, ["a", "b"])]
    assert list(G.ParquetCorpus(path, "items")) == [["a", "b"], [], ["b", "c"]]


def test_several_files_and_a_glob(lee, tmp_path):
    write(tmp_path / "part0.parquet", {"items": lee[:120]})
    write(tmp_path / "part1.parquet", {"items": lee[120:]})
    corpus = G.ParquetCorpus(str(tmp_path / "part*.parquet"), "items")
    assert len(corpus) == len(lee) and list(corpus) == lee


def test_bad_input(tmp_path):
    path = write(tmp_path / "b.parquet", {"items": [["a"]], "n": [1], "s": ["x"]})
    with pytest.raises(ValueError, match=r"no column 'words' .*its columns: items, n, s"):
        G.ParquetCorpus(path, "words")
    with pytest.raises(ValueError, match="must be a list of strings or of integers"):
        G.ParquetCorpus(path, "n")
    with pytest.raises(ValueError, match="weight column 's'"):
        G.ParquetCorpus(path, "items", weight="s")
    (tmp_path / "text.parquet").write_text("not parquet\n")
    with pytest.raises(ValueError, match="is not a Parquet file"):
        G.ParquetCorpus(tmp_path / "text.parquet", "items")
    with pytest.raises(FileNotFoundError, match="no Parquet file matches"):
        G.ParquetCorpus(str(tmp_path / "none*.parquet"), "items")


def test_the_cli_trains_a_parquet_column(lee, tmp_path, capsys):
    path = write(tmp_path / "sessions.parquet", {"items": lee})
    code = main(["train", str(path), "--column", "items", "--vector-size", "8", "--epochs", "1", "--workers", "1",
                 "--min-count", "2", "--no-progress", "--out", str(tmp_path / "m")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"{len(lee)} sentences" in out
    assert G.Word2Vec.load(str(tmp_path / "m")).wv.index_to_key == G.Word2Vec(lee, **SETTINGS).wv.index_to_key
    code = main(["train", str(path), "--workers", "1"])
    assert code == 2 and "name its column of token lists with --column" in capsys.readouterr().err
    text = tmp_path / "c.txt"
    text.write_text("a b c\n")
    code = main(["train", str(text), "--column", "items", "--workers", "1"])
    assert code == 2 and "--column: for a Parquet CORPUS" in capsys.readouterr().err


def test_group_keys_of_another_type_than_the_tokens_are_an_error(lee):
    ids = {w: i for i, w in enumerate(sorted({w for s in lee for w in s}))}
    sessions = [[ids[w] for w in s] for s in lee]
    groups = {str(i): i % 4 for i in range(200)}  # strings, against integer tokens
    with pytest.raises(G.LossError, match="keys are str .* tokens int"):
        G.Word2Vec(sessions, loss=L.NEGSamplingLoss() + L.GroupNegativeLoss(groups), **SETTINGS)
    model = G.Word2Vec(sessions, loss=L.NEGSamplingLoss() + L.GroupNegativeLoss({i: i % 4 for i in range(200)}),
                       **SETTINGS)
    assert model.loss_history[-1]["group_negative"] > 0


def test_integer_context_in_a_sentence(lee):
    sessions = [[hash(w) % 500 for w in s] for s in lee]
    model = G.Word2Vec([G.Sentence(s, context=[8]) for s in sessions] + [[8, 8, 8]],
                       loss=L.NEGSamplingLoss() + L.GlobalContextLoss(), **SETTINGS)
    assert model.loss_history[-1]["global_context"] > 0
    with pytest.raises(TypeError, match="strings or integer ids"):
        G.Word2Vec([G.Sentence(["a", "b"], context=[1.5])], **SETTINGS)


def test_the_package_imports_without_pyarrow():
    code = ("import sys; sys.modules['pyarrow'] = None; sys.modules['pyarrow.parquet'] = None\n"
            "import gensim_losses as G\n"
            "try:\n    G.ParquetCorpus('x.parquet', 'items')\n"
            "except ImportError as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'gensim-losses[parquet]'" in out
