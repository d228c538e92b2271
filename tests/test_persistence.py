"""Saving and loading (issue 17, items 4, 6.2 and 6.4).

* ``save()`` is all or nothing under ``kill -9`` at any moment;
* a stock gensim model loaded through our classes, or converted by ``from_gensim()``, is ours;
* inference on a model loaded with ``mmap='r'``: its arrays are only read.

Each test failed before its fix, but three that guard the new save format (it loads everywhere, it
replaces a stock save's files, two threads' saves take turns: that one fails without the lock).
"""

import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import gensim
import numpy as np
import pytest
from gensim.models.doc2vec import TaggedDocument
from gensim.test.utils import datapath
from tutorial_loss import TutorialLoss

import gensim_losses as G
from gensim_losses import Doc2Vec, FastText, HierarchicalSoftmaxLoss, NEGSamplingLoss, NormPenalty, Word2Vec

LEE = datapath("lee_background.cor")


@pytest.fixture(scope="module")
def lee_docs():
    with open(LEE) as fh:
        return [TaggedDocument(line.split(), [i]) for i, line in enumerate(fh)]


# ---------------------------------------------------------------- 6.4 inference on a read-only model
@pytest.mark.parametrize("dm, dbow_words, loss", [
    (1, 0, NEGSamplingLoss() + HierarchicalSoftmaxLoss() + NormPenalty(0.01)),
    (0, 1, NEGSamplingLoss()),
    (1, 0, TutorialLoss(penalty=0.1)),  # a Python term: the hybrid path
], ids=["pv-dm-native", "pv-dbow-words", "pv-dm-hybrid"])
def test_infer_vector_on_a_read_only_model(lee_docs, tmp_path, dm, dbow_words, loss):
    model = Doc2Vec(lee_docs[:150], dm=dm, dbow_words=dbow_words, vector_size=16, min_count=2, epochs=2,
                    workers=1, seed=1, loss=loss)
    path = str(tmp_path / "d2v.model")
    model.save(path, sep_limit=0)  # every array in a .npy side file, so mmap applies to all of them
    ram, mapped = Doc2Vec.load(path), Doc2Vec.load(path, mmap="r")
    arrays = [mapped.wv.vectors, mapped.dv.vectors] + [getattr(mapped, n) for n in ("syn1neg", "syn1")
                                                       if getattr(mapped, n, None) is not None]
    assert arrays and not any(a.flags.writeable for a in arrays)
    before = [np.array(a) for a in arrays]
    words = lee_docs[3].words
    # the same start vector and the same job seeds (both copies hold the saved random state): the same result
    vector, records = mapped.infer_vector(words, epochs=5, return_loss=True)
    np.testing.assert_array_equal(vector, ram.infer_vector(words, epochs=5))
    assert len(records) == 5 and records[0]["examples"] > 0 and records[0]["total"] > 0
    assert not np.array_equal(vector, Doc2Vec.load(path).infer_vector(words, epochs=1))  # it did train
    for old, new in zip(before, arrays):
        np.testing.assert_array_equal(old, new)
    # training writes them: refused clearly
    with pytest.raises(ValueError, match=r"read-only.*mmap='r'"):
        mapped.train(lee_docs[:20], total_examples=20, epochs=1)


# ---------------------------------------------------------------- 6.2 a save is all or nothing under kill -9
# A process that has the two model versions loaded forks the savers, so each kill costs a fork, not
# an interpreter start. "loop V": a child saving the two versions in turn, from V, until it is killed. "die N V":
# a child saving version V that stops dead (os._exit, like a kill) just before its N-th file operation.
SAVER = r"""
import os, sys
import gensim.utils
import numpy as np
from gensim_losses import FastText

models = [FastText.load(path) for path in sys.argv[1:3]]
target = sys.argv[3]


def dies_at(n):
    count = [0]
    def hook(module, name):
        real = getattr(module, name)
        def operation(*args, **kwargs):
            count[0] += 1
            if count[0] == n:
                os._exit(3)
            return real(*args, **kwargs)
        setattr(module, name, operation)
    for module, name in ((np, "save"), (np, "savez_compressed"), (gensim.utils, "pickle"), (os, "replace"),
                         (os, "rename"), (os, "unlink"), (os, "remove"), (os, "fsync")):
        hook(module, name)


for line in sys.stdin:
    command = line.split()
    if command[0] == "wait":
        print(os.waitpid(int(command[1]), 0)[1], flush=True)
        continue
    pid = os.fork()
    if pid == 0:
        if command[0] == "loop":
            i = int(command[1])
            while True:
                models[i % 2].save(target, sep_limit=1)
                i += 1
        dies_at(int(command[1]))
        models[int(command[2])].save(target, sep_limit=1)
        os._exit(0)
    print(pid, flush=True)
"""


def fasttext_versions(lee_docs):
    """Two FastText models that differ in every array's shape and values."""
    lines = [d.words for d in lee_docs]
    old = FastText(lines[:60], vector_size=4, bucket=300, min_count=2, epochs=1, workers=1, seed=1)
    new = FastText(lines[:120], vector_size=12, bucket=500, min_count=3, epochs=1, workers=1, seed=2)
    return old, new


def same_model(a, b):
    """Every array and the vocabulary of two FastText models are equal."""
    if a.wv.index_to_key != b.wv.index_to_key or a.wv.bucket != b.wv.bucket:
        return False
    pairs = [(a.wv.vectors_vocab, b.wv.vectors_vocab), (a.wv.vectors_ngrams, b.wv.vectors_ngrams),
             (a.wv.vectors, b.wv.vectors), (a.syn1neg, b.syn1neg)]
    return all(x.shape == y.shape and np.array_equal(x, y) for x, y in pairs)


def which(model, versions):
    """0 or 1: the version ``model`` is, complete and consistent; else the test fails."""
    found = [i for i, v in enumerate(versions) if same_model(model, v)]
    assert found, f"a mixed or broken model: vector_size {model.wv.vector_size}, vectors_vocab " \
                  f"{model.wv.vectors_vocab.shape}, vectors_ngrams {model.wv.vectors_ngrams.shape}"
    return found[0]


class Saver:
    def __init__(self, versions, folder, target):
        refs = []
        for i, model in enumerate(versions):
            refs.append(str(folder / f"version{i}.model"))
            model.save(refs[-1], sep_limit=1)
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        self.proc = subprocess.Popen([sys.executable, "-c", SAVER, *refs, str(target)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)

    def ask(self, *command):
        self.proc.stdin.write(" ".join(map(str, command)) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        assert answer, "the saver process died"
        return int(answer)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def saver(lee_docs, tmp_path_factory):
    if not hasattr(os, "fork"):
        pytest.skip("the saver process forks its savers")
    folder = tmp_path_factory.mktemp("saver")
    versions = fasttext_versions(lee_docs)
    target = folder / "out" / "m.model"
    target.parent.mkdir()
    server = Saver(versions, folder, target)
    yield server, versions, target
    server.close()


def saved_files(folder, name):
    """The files in ``folder``, with the save id in the side files' names masked; no temporary ones."""
    names = os.listdir(folder)
    assert not [n for n in names if n.startswith(".tmp-")], names
    return sorted(re.sub(r"^" + re.escape(name) + r"\.s[0-9a-f]{12}\.", name + ".<id>.", n) for n in names)


def one_save(model, folder, name):
    """The files of one save of ``model`` alone in a folder (ids masked)."""
    folder.mkdir(exist_ok=True)
    model.save(str(folder / name), sep_limit=1)
    return saved_files(folder, name)


def test_kill_9_at_random_moments_of_a_save_loop(saver):
    server, versions, target = saver
    start = time.perf_counter()
    versions[0].save(str(target), sep_limit=1)
    took = time.perf_counter() - start  # kills spread over about four saves, however loaded the machine is
    rng = random.Random(17)
    seen = [0]
    for _ in range(20):
        pid = server.ask("loop", 1 - seen[-1])  # from the version that is not there
        time.sleep(rng.uniform(0.0, 4 * took))
        os.kill(pid, signal.SIGKILL)
        status = server.ask("wait", pid)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        seen.append(which(FastText.load(str(target)), versions))
    assert len(set(seen[1:])) == 2, seen  # kills came before and after commits
    # the next save clears what the killed ones left: one save's files remain, all with its id
    versions[1].save(str(target), sep_limit=1)
    assert saved_files(target.parent, target.name) == one_save(versions[1], target.parent.parent / "fresh",
                                                               target.name)
    assert which(FastText.load(str(target)), versions) == 1


def test_death_before_each_file_operation_of_a_save(saver):
    server, versions, target = saver
    outcomes = []
    clean = one_save(versions[0], target.parent.parent / "clean", target.name)
    for step in range(1, 200):
        versions[0].save(str(target), sep_limit=1)
        assert saved_files(target.parent, target.name) == clean  # the previous round's leftovers are gone
        pid = server.ask("die", step, 1)
        status = server.ask("wait", pid)
        loaded = which(FastText.load(str(target)), versions)
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:  # no N-th operation: the save completed
            assert loaded == 1
            break
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 3, status
        outcomes.append(loaded)
    else:
        pytest.fail("the save never completed")
    # before the commit the old version loads, after it the new one, and nothing else
    assert outcomes[0] == 0 and outcomes == sorted(outcomes), outcomes


def test_a_save_with_side_files_loads_everywhere(saver, tmp_path, monkeypatch):
    _, versions, _ = saver
    model = versions[1]
    monkeypatch.chdir(tmp_path)  # a bare file name: the current directory
    for name in ("plain.model", "packed.model.gz"):  # .gz: gensim compresses the side files (.npz)
        model.save(name, sep_limit=1)
        side = [n for n in os.listdir() if n.startswith(name + ".")]
        extension = "npz" if name.endswith(".gz") else "npy"
        assert side and all(re.fullmatch(re.escape(name) + r"\.s[0-9a-f]{12}\..+\." + extension, n) for n in side)
        # this package's load, stock gensim's (the pickle is of our class, whose _load_specials
        # finds the side files) and the CLI's generic one
        for load in (FastText.load, gensim.models.FastText.load, gensim.utils.SaveLoad.load):
            assert which(load(name), versions) == 1
    mapped = FastText.load(tmp_path / "plain.model", mmap="r")  # a pathlib.Path too
    assert not mapped.wv.vectors_ngrams.flags.writeable and which(mapped, versions) == 1


def test_a_save_over_a_stock_save_removes_its_side_files(saver, tmp_path):
    _, versions, _ = saver
    path = str(tmp_path / "m.model")
    versions[0].to_gensim().save(path, sep_limit=1)  # stock gensim: path.wv.vectors_ngrams.npy and so on
    stock_side = [n for n in os.listdir(tmp_path) if n != "m.model"]
    assert "m.model.wv.vectors_ngrams.npy" in stock_side
    versions[1].save(path, sep_limit=1)
    assert not set(stock_side) & set(os.listdir(tmp_path))
    assert saved_files(tmp_path, "m.model") == one_save(versions[1], tmp_path / "fresh", "m.model")
    assert which(FastText.load(path), versions) == 1


def test_load_reads_the_new_save_when_one_replaces_the_model_while_it_loads(saver, tmp_path, monkeypatch):
    _, versions, _ = saver
    path = str(tmp_path / "m.model")
    versions[0].save(path, sep_limit=1)
    real_load, saved = np.load, []

    def load_while_saving(*args, **kwargs):
        if not saved:  # the first side file is about to be read: another process saves meanwhile
            saved.append(True)
            versions[1].save(path, sep_limit=1)  # and removes the side files of the pickle being read
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", load_while_saving)
    assert which(FastText.load(path), versions) == 1


def test_saves_from_two_threads_take_turns(saver, tmp_path):
    _, versions, _ = saver
    path = str(tmp_path / "m.model")
    errors = []

    def save_often(model):
        try:
            for _ in range(6):
                model.save(path, sep_limit=1)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=save_often, args=(v,)) for v in versions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    last = which(FastText.load(path), versions)
    assert saved_files(tmp_path, "m.model") == one_save(versions[last], tmp_path / "fresh", "m.model")



# ---------------------------------------------------------------- 4. stock gensim models through our classes
STOCK = {  # kind: (stock class, ours, parameters)
    "word2vec": (gensim.models.Word2Vec, Word2Vec, dict(sg=1, hs=1, negative=5)),
    "fasttext": (gensim.models.FastText, FastText, dict(bucket=2000)),
    "doc2vec": (gensim.models.Doc2Vec, Doc2Vec, dict(dm=1)),
}


def stock_corpus(kind, lee_docs):
    return lee_docs[:100] if kind == "doc2vec" else [d.words for d in lee_docs[:100]]


def stock_model(kind, lee_docs, **params):
    stock_cls, _, defaults = STOCK[kind]
    return stock_cls(stock_corpus(kind, lee_docs), vector_size=12, min_count=2, epochs=1, workers=1, seed=1,
                     **{**defaults, **params})


def assert_same(a, b, where):
    """``a`` holds what ``b`` holds: arrays equal with their dtype, containers and gensim objects element by
    element, everything else equal."""
    if isinstance(b, np.ndarray) and b.dtype == object:  # HS codes and points: an array of arrays
        assert isinstance(a, np.ndarray) and a.dtype == object and a.shape == b.shape, where
        assert_same(list(a), list(b), where)
    elif isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and a.dtype == b.dtype, where
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(b, gensim.utils.SaveLoad):
        assert type(a) is type(b), where
        assert_same_state(a, b, where)
    elif isinstance(b, np.random.RandomState):
        assert isinstance(a, np.random.RandomState), where
        assert_same(a.get_state(), b.get_state(), where)
    elif isinstance(b, dict):
        assert a.keys() == b.keys(), where
        for key in b:
            assert_same(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(b, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def assert_same_state(ours, stock, where="model", skip=()):
    """Every attribute of ``stock``, its KeyedVectors' too, is in ``ours`` with the same value."""
    for name, value in vars(stock).items():
        if name not in skip:
            assert name in vars(ours), f"{where}.{name}"
            assert_same(getattr(ours, name), value, f"{where}.{name}")


def input_rows(model):
    return model.wv.vectors_vocab if isinstance(model, gensim.models.FastText) else model.wv.vectors


@pytest.mark.parametrize("sep_limit", [None, 0], ids=["one-file", "side-files"])
@pytest.mark.parametrize("kind", STOCK)
def test_a_stock_model_loads_as_ours_and_trains_with_a_loss(lee_docs, tmp_path, kind, sep_limit):
    stock_cls, ours_cls, _ = STOCK[kind]
    path = str(tmp_path / "stock.model")
    stock_model(kind, lee_docs).save(path, **({} if sep_limit is None else {"sep_limit": sep_limit}))
    reference = stock_cls.load(path)  # what stock gensim reads there

    model = ours_cls.load(path)
    assert type(model) is ours_cls
    # the same weights and settings, but for compute_loss: on, as this package's default
    assert_same_state(model, reference, skip=("lifecycle_events", "compute_loss"))
    assert model.compute_loss is True and model.loss is None and model.loss_history == []
    assert model.lifecycle_events[-1]["msg"] == f"from {stock_cls.__module__}.{stock_cls.__name__}"

    model.loss = NEGSamplingLoss() + NormPenalty(0.01)
    before = input_rows(model).copy()
    corpus = stock_corpus(kind, lee_docs)
    model.train(corpus, total_examples=len(corpus), epochs=2)
    assert [r["epoch"] for r in model.loss_history] == [0, 1]
    assert all(r["examples"] > 0 and r["ns"] > 0 and r["norm"] > 0 for r in model.loss_history)
    assert model.get_latest_training_loss() == pytest.approx(sum(r["total"] for r in model.loss_history))
    assert not np.array_equal(input_rows(model), before)

    # and back: a stock model again, which stock gensim saves and loads
    back = model.to_gensim()
    assert type(back) is stock_cls
    back.save(str(tmp_path / "back.model"))
    again = stock_cls.load(str(tmp_path / "back.model"))
    np.testing.assert_array_equal(input_rows(again), input_rows(model))
    np.testing.assert_array_equal(again.syn1neg, model.syn1neg)


@pytest.mark.parametrize("kind", STOCK)
def test_from_gensim_copies_a_stock_model(lee_docs, kind):
    stock_cls, ours_cls, _ = STOCK[kind]
    stock = stock_model(kind, lee_docs)
    kept = input_rows(stock).copy()
    model = ours_cls.from_gensim(stock)
    assert type(model) is ours_cls and type(stock) is stock_cls
    assert_same_state(model, stock, skip=("lifecycle_events", "compute_loss"))
    input_rows(model)[:] += 1.0  # a copy: the stock model does not move
    np.testing.assert_array_equal(input_rows(stock), kept)
    shared = ours_cls.from_gensim(stock, copy=False)
    assert shared.wv is stock.wv and type(shared) is ours_cls
    assert ours_cls.from_gensim(model) is not model  # one of ours: a copy
    assert type(ours_cls.from_gensim(model)) is ours_cls


def test_from_gensim_refuses_another_model_class(lee_docs, tmp_path):
    fasttext = stock_model("fasttext", lee_docs)
    with pytest.raises(TypeError, match=r"Word2Vec.from_gensim\(\) takes a gensim.models.word2vec.Word2Vec, "
                                        r"got gensim.models.fasttext.FastText"):
        Word2Vec.from_gensim(fasttext)  # a FastText is a gensim Word2Vec, but its state is not one
    with pytest.raises(TypeError, match="takes a gensim.models.fasttext.FastText"):
        FastText.from_gensim(Word2Vec.from_gensim(stock_model("word2vec", lee_docs)))
    # loading goes to the class of ours that extends the stock one, as gensim's Word2Vec.load
    # gives a FastText model
    fasttext.save(str(tmp_path / "ft.model"))
    assert type(Word2Vec.load(str(tmp_path / "ft.model"))) is FastText


def test_a_stock_dm_concat_model_becomes_ours_and_trains(lee_docs):
    stock = stock_model("doc2vec", lee_docs, dm_concat=1)
    ours = Doc2Vec.from_gensim(stock)
    assert type(ours) is Doc2Vec and ours.layer1_size == stock.layer1_size == (1 + 2 * 5) * 12
    np.testing.assert_array_equal(ours.syn1neg, stock.syn1neg)
    ours.train(lee_docs, total_examples=len(lee_docs), epochs=1)
    assert ours.loss_history[0]["ns"] > 0 and np.isfinite(ours.dv.vectors).all()
    assert ours.infer_vector(lee_docs[0].words).shape == (12,)


RELEASE = Path(__file__).resolve().parent / "fixtures" / "release-0.1.0"


@pytest.mark.parametrize("name", ["word2vec.model", "fasttext.model", "doc2vec.model"])
def test_a_model_saved_by_release_0_1_0_loads_and_trains(name):
    """Files written by the code before its modules moved into folders (tests/fixtures/make_release_models.py):
    they load into today's classes with their loss, records and vectors, and train on."""
    import hashlib
    import json

    from gensim.models.word2vec import LineSentence

    expected = json.loads((RELEASE / "manifest.json").read_text())[name]
    model = getattr(G, expected["class"]).load(str(RELEASE / name))
    assert type(model) is getattr(G, expected["class"])
    assert repr(model.loss) == expected["loss"] and len(model.wv) == expected["words"]
    assert model.loss_history == expected["loss_history"]
    assert hashlib.sha256(model.wv.vectors.tobytes()).hexdigest() == expected["vectors_sha256"]
    corpus = list(LineSentence(datapath("lee_background.cor")))[:120]
    if expected["class"] == "Doc2Vec":
        corpus = [TaggedDocument(words, [i]) for i, words in enumerate(corpus)]
    before = model.wv.vectors.copy()
    model.train(corpus, total_examples=len(corpus), epochs=1)
    (record,) = model.loss_history  # a train() call's own records
    assert record["examples"] > 0 and set(record) == set(expected["loss_history"][-1])
    assert np.isfinite(model.wv.vectors).all() and not np.array_equal(before, model.wv.vectors)
