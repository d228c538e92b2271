"""Distributed training's core, through the in-process engine (the same driver and replicas that Ray
and Dask place): vocabulary identity, loss-record sums, the sync rule, a lost replica, bad input.
The engines themselves: tests/test_distributed_engines.py."""

import gzip
import logging
import shutil

import numpy as np
import pytest
from gensim.test.utils import datapath

import gensim_losses as G
from gensim_losses.distributed import InProcess, Options, ReplicaLost, fit, shards, sync
from gensim_losses.training.engine import trained_arrays

LEE = datapath("lee_background.cor")
# settings under which a corpus's example count does not depend on random draws
FIXED = dict(vector_size=16, sg=1, min_count=2, sample=0, shrink_windows=False, workers=1, seed=5)


@pytest.fixture(scope="module")
def shard_files(tmp_path_factory):
    """lee_background.cor cut into three shards, the last gzipped, and their concatenation."""
    root = tmp_path_factory.mktemp("shards")
    lines = open(LEE, encoding="utf8").read().splitlines(keepends=True)
    cuts = [0, 100, 210, len(lines)]
    paths = []
    for i in range(3):
        text = "".join(lines[cuts[i]:cuts[i + 1]])
        path = root / f"part{i}.txt"
        path.write_text(text, encoding="utf8")
        if i == 2:
            with open(path, "rb") as src, gzip.open(root / "part2.txt.gz", "wb") as dst:
                shutil.copyfileobj(src, dst)
            path.unlink()
            path = root / "part2.txt.gz"
        paths.append(str(path))
    whole = root / "whole.txt"
    whole.write_text("".join(lines), encoding="utf8")
    return paths, str(whole)


class Recording(InProcess):
    """The in-process engine, keeping its replicas after the run and every round's loss record."""

    def __init__(self, lose=None, **kw):
        super().__init__(**kw)
        self.records, self.lose, self.calls = [], lose or {}, 0

    def call(self, method, args, indices=None):
        results = super().call(method, args, indices)
        if method == "step":
            self.calls += 1
            for i, result in enumerate(results):
                if self.lose.get(self.calls) == i:  # this replica's process "dies" in this round
                    results[i] = ReplicaLost(i, "simulated")
                elif result[1] is not None:
                    self.records.append(result[1])
        return results

    def close(self):
        self.kept = self.replicas


@pytest.mark.parametrize("replicas", [1, 2, 3, 5])
def test_vocabulary_is_one_machines(shard_files, replicas):
    paths, whole = shard_files
    model = G.Word2Vec(**FIXED, epochs=1)
    fit(model, paths, engine="local", replicas=replicas)
    one = G.Word2Vec(**FIXED, epochs=1)
    one.build_vocab(corpus_file=whole)
    assert model.wv.index_to_key == one.wv.index_to_key
    assert [model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key] == \
        [one.wv.get_vecattr(w, "count") for w in one.wv.index_to_key]
    assert (model.corpus_total_words, model.corpus_count) == (one.corpus_total_words, one.corpus_count)
    np.testing.assert_array_equal(model.cum_table, one.cum_table)


def test_split_keeps_file_order_and_covers_every_byte(shard_files):
    paths, _ = shard_files
    parts = shards.split(paths[:2], 4)
    assert len(parts) == 4 and all(parts)
    pieces = [piece for part in parts for piece in part]
    assert [p[0] for p in pieces] == sorted(p[0] for p in pieces)
    for path in paths[:2]:
        own = [(s, e) for p, s, e in pieces if p == path]
        assert own[0][0] == 0 and all(a[1] == b[0] for a, b in zip(own, own[1:]))
    text = open(paths[0], "rb").read()
    assert all(s == 0 or text[s - 1:s] == b"\n" for p, s, e in pieces if p == paths[0])


def test_reading_resumes_at_a_position(shard_files):
    paths, _ = shard_files
    part = shards.split(paths, 1)[0]
    lines = list(shards.read(part))
    middle = lines[150][1]
    assert [t for t, _ in shards.read(part, middle)] == [t for t, _ in lines[151:]]


@pytest.mark.parametrize("replicas, overlap", [(1, True), (2, True), (3, True), (2, False)])
def test_loss_records_sum_the_rounds_exactly(shard_files, replicas, overlap):
    paths, whole = shard_files
    engine = Recording()
    model = G.Word2Vec(**FIXED, epochs=2)
    fit(model, paths, engine=engine, replicas=replicas, sync_words=3000, overlap=overlap)
    one = G.Word2Vec(corpus_file=whole, **FIXED, epochs=2)
    assert [r["examples"] for r in model.loss_history] == [r["examples"] for r in one.loss_history]
    per_epoch = {}
    for record in engine.records:
        per_epoch.setdefault(record["epoch"], []).append(record)
    assert len(engine.records) >= 2 * replicas
    for epoch, record in enumerate(model.loss_history):
        assert record["epoch"] == epoch and record["total"] == pytest.approx(record["ns"])
    total = sum(r["total"] for r in engine.records)
    assert sum(r["total"] for r in model.loss_history) == pytest.approx(total, rel=1e-12)
    assert model.running_training_loss == pytest.approx(total, rel=1e-12)
    assert model.loss_history[-1]["total"] / model.loss_history[-1]["examples"] == pytest.approx(
        one.loss_history[-1]["total"] / one.loss_history[-1]["examples"], rel=0.05)


@pytest.mark.parametrize("overlap", [True, False])
def test_every_replica_ends_a_round_with_the_drivers_weights(shard_files, monkeypatch, overlap):
    """After each sync all replicas and the driver hold the same weights to the bit: the replicas' bases
    are equal, and a base plus the last merge (which the next round would apply) is the driver's model.
    With overlap too: the epoch's last round trains nothing, so no replica holds anything unsent."""
    paths, _ = shard_files
    merges, shares = [], []
    merge, hold = sync.merge, sync.hold
    monkeypatch.setattr(sync, "merge", lambda *a: merges.append(merge(*a)) or merges[-1])
    monkeypatch.setattr(sync, "hold", lambda *a: shares.append(a[-1]) or hold(*a))
    engine = Recording()
    model = G.Word2Vec(**FIXED, epochs=1)
    fit(model, paths, engine=engine, replicas=3, sync_words=4000, overlap=overlap)
    # with overlap each replica holds a third of what it sent (the capped rule's share of a lone change)
    assert shares == ([1 / 3] * len(shares) if overlap else []) and (shares or not overlap)
    assert model.distributed_stats.rounds >= 3 and len(merges) == model.distributed_stats.rounds
    first = engine.kept[0]
    for other in engine.kept[1:]:
        for name in first.base:
            np.testing.assert_array_equal(other.base[name], first.base[name])
    sync.apply(first.arrays, first.base, merges[-1])
    driver = dict(trained_arrays(model))
    for name, array in first.arrays.items():
        np.testing.assert_array_equal(array, driver[name])
    trained = [any(np.any(values) for _, values in m.values()) for m in merges]
    # with overlap the first call of an epoch returns no round (the first trains after it), the last
    # returns the round that read nothing
    assert trained[0] is not overlap and all(trained[1:-1])


def test_one_replica_with_the_default_rule_is_plain_sgd(shard_files):
    """N=1: step 1, every delta applied as it is, so the driver's weights are the replica's (up to the
    rounding of ``base + (W - base)`` in float32)."""
    paths, _ = shard_files
    engine = Recording()
    model = G.Word2Vec(**FIXED, epochs=1)
    fit(model, paths, engine=engine, replicas=1, sync_words=2000)
    replica = engine.kept[0]
    for name, array in replica.arrays.items():
        np.testing.assert_allclose(array, dict(trained_arrays(model))[name], rtol=0, atol=1e-6)


def test_one_replica_trains_the_same_beside_training_and_in_synchronous_rounds(shard_files, caplog):
    """N=1 holds its whole delta (share 1), so a round trained beside the sync starts from the weights
    the synchronous round starts from, up to float rounding: what a replica trains while its delta
    travels is kept, not lost to the merge."""
    paths, _ = shard_files
    models = {}
    for overlap in (True, False):
        models[overlap] = G.Word2Vec(**FIXED, epochs=2)
        fit(models[overlap], paths, engine="local", replicas=1, sync_words=2000, overlap=overlap)
    a, b = models[True], models[False]
    assert [r["examples"] for r in a.loss_history] == [r["examples"] for r in b.loss_history]
    for ra, rb in zip(a.loss_history, b.loss_history):
        assert ra["total"] == pytest.approx(rb["total"], rel=1e-3)  # the in-flight round counted as K words
    np.testing.assert_allclose(a.wv.vectors, b.wv.vectors, rtol=0, atol=0.01)  # 0.0024 measured, |v| <= 1.6
    # the replicas' rounds ran in threads: gensim's logging is as it was before the run
    with caplog.at_level(logging.INFO, logger="gensim.models.word2vec"):
        G.Word2Vec(**FIXED, epochs=1).build_vocab([["a", "b", "a", "b"]])
    assert any(r.name == "gensim.models.word2vec" for r in caplog.records)


@pytest.mark.parametrize("replicas, given, expected", [(2, None, True), (4, None, True), (5, None, False),
                                                       (8, None, False), (8, True, True), (2, False, False)])
def test_the_sync_beside_training_by_default_up_to_four_replicas(replicas, given, expected):
    options = Options(overlap=given)
    options.check(G.Word2Vec(**FIXED), replicas)
    assert options.overlap is expected


def test_a_replica_that_diverges_in_a_round_beside_the_sync_stops_the_run(shard_files):
    import threading

    from gensim_losses import DivergenceError

    paths, _ = shard_files
    model = G.Word2Vec(**{**FIXED, "alpha": 1e6}, epochs=1)
    with pytest.raises(DivergenceError, match="On replicas"):
        fit(model, paths, engine="local", replicas=2, sync_words=2000)
    assert not [t for t in threading.enumerate() if t.name.startswith("replica-")]
    assert np.isfinite(model.wv.vectors).all()


def _rows(change):
    """A merge's ``(rows, values)`` as indices and their rows, whichever form it was sent in."""
    rows, values = change
    if rows.dtype == bool:
        return np.flatnonzero(rows), values[rows]
    return rows, values


@pytest.mark.parametrize("dense", [0.0, 1.0])  # every change as a block / every change as rows
def test_merge_rules(monkeypatch, dense):
    monkeypatch.setattr(sync, "DENSE", dense)
    shapes = {"a": (5, 2)}
    one = {"a": sync._pack(np.array([1, 1, 0, 0]) > 0, np.array([[1, 1], [2, 2], [0, 0], [0, 0]], np.float32))}
    two = {"a": sync._pack(np.array([0, 1, 1]) > 0, np.array([[0, 0], [4, 4], [6, 6]], np.float32))}
    assert (one["a"][0].dtype == bool) == (dense == 0.0)
    rows, values = _rows(sync.merge([one, two], shapes, "capped", 1.5)["a"])
    assert rows.tolist() == [0, 1, 2]  # rows 3 and 4: no replica touched them
    # row 0 and row 2: one replica, sum / step; row 1: two replicas, mean (m >= step)
    np.testing.assert_allclose(values, [[1 / 1.5] * 2, [3, 3], [6 / 1.5] * 2])
    for rule, expected in (("mean", [[1, 1], [3, 3], [6, 6]]), ("sum", [[1, 1], [6, 6], [6, 6]]),
                           ("global-mean", [[.5, .5], [3, 3], [3, 3]])):
        np.testing.assert_allclose(_rows(sync.merge([one, two], shapes, rule, 3)["a"])[1], expected)
    arrays = {"a": np.arange(10, dtype=np.float32).reshape(5, 2)}
    base = {"a": arrays["a"].copy()}
    arrays["a"][3] = 99  # a replica's own change to a row it has not sent (a cold row)
    sync.apply(arrays, base, sync.merge([one, two], shapes, "sum", 3))
    np.testing.assert_allclose(arrays["a"][:3], [[1, 2], [8, 9], [10, 11]])
    assert arrays["a"][3].tolist() == [99, 99] and arrays["a"][4].tolist() == [8, 9]
    np.testing.assert_array_equal(base["a"][:3], arrays["a"][:3])
    assert base["a"][3].tolist() == [6, 7]
    assert sync.default_step(1) == 1 and sync.default_step(8) == 8


@pytest.mark.parametrize("dense", [0.0, 1.0])
@pytest.mark.parametrize("share", [1.0, 0.25])
def test_a_replica_that_trained_on_keeps_what_it_trained_since_its_delta(monkeypatch, dense, share):
    """The sync beside training: the replica holds ``share`` of the delta it sent, trains on, and when the
    merge arrives gets it on top of the synchronised weights and keeps, on top of that, what it trained
    since."""
    monkeypatch.setattr(sync, "DENSE", dense)
    rng = np.random.default_rng(0)
    synced = rng.normal(size=(6, 3)).astype(np.float32)
    arrays, base = {"syn1neg": synced.copy()}, {"syn1neg": synced.copy()}
    arrays["syn1neg"][[0, 1, 4]] += rng.normal(size=(3, 3)).astype(np.float32)  # the round whose delta goes
    # rows 0 and 1 go (syn1neg's rows follow the vocabulary); row 4 waits for a full sync
    sent = sync.delta(arrays, base, hot=3)
    held = sync.hold(arrays, base, sent, share)
    _, values = _rows(sent["syn1neg"])
    np.testing.assert_allclose(arrays["syn1neg"][[0, 1]], synced[[0, 1]] + share * values, rtol=1e-6, atol=1e-6)
    other = {"syn1neg": sync._pack(np.array([0, 1, 1]) > 0, np.full((3, 3), 0.5, np.float32))}
    since = rng.normal(size=3).astype(np.float32)
    arrays["syn1neg"][1] += since  # trained after the delta left
    arrays["syn1neg"][5] += since  # a cold row first trained after it
    cold = arrays["syn1neg"][[4, 5]].copy()
    merged = sync.merge([sent, other], {"syn1neg": (6, 3)}, "capped", 2)
    new = synced.copy()
    rows, values = _rows(merged["syn1neg"])
    new[rows] += values
    sync.apply(arrays, base, merged, held)
    np.testing.assert_array_equal(base["syn1neg"], new)  # the synchronised weights, as the driver computes them
    np.testing.assert_array_equal(arrays["syn1neg"][[0, 2, 3]], new[[0, 2, 3]])  # not trained since: to the bit
    np.testing.assert_allclose(arrays["syn1neg"][1], new[1] + since, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(arrays["syn1neg"][[4, 5]], cold)  # rows the merge does not name stay as trained
    assert rows.tolist() == [0, 1, 2]


@pytest.mark.parametrize("overlap", [True, False])
def test_a_lost_replica_is_replaced_and_nothing_is_counted_twice(shard_files, overlap):
    paths, whole = shard_files
    one = G.Word2Vec(corpus_file=whole, **FIXED, epochs=2)
    engine = Recording(lose={3: 1, 9: 0})  # replica 1 dies in round 3, replica 0 in round 9
    model = G.Word2Vec(**FIXED, epochs=2)
    fit(model, paths, engine=engine, replicas=2, sync_words=2000, overlap=overlap)
    assert model.distributed_stats.replaced == 2
    assert [r["examples"] for r in model.loss_history] == [r["examples"] for r in one.loss_history]
    assert np.isfinite(model.wv.vectors).all() and np.isfinite(model.syn1neg).all()


def test_every_option_trains_distributed(shard_files):
    from tutorial_loss import TutorialLoss

    paths, _ = shard_files
    for kw in (dict(loss=TutorialLoss(0.1)), dict(shared_negatives=True),
               dict(loss=G.NEGSamplingLoss() + G.NormPenalty(0.05)), dict(sg=0, hs=1, negative=0)):
        model = G.Word2Vec(**{**FIXED, **kw}, epochs=1)
        fit(model, paths, engine="local", replicas=2, sync_words=5000)
        record = model.loss_history[0]
        assert record["examples"] > 0 and np.isfinite(record["total"])
        assert np.isfinite(model.wv.vectors).all()
        assert model.wv.most_similar("government", topn=1)


def test_bad_input_is_named(shard_files, tmp_path):
    paths, _ = shard_files
    model = G.Word2Vec(**FIXED)
    with pytest.raises(FileNotFoundError, match="matches no file"):
        fit(model, str(tmp_path / "none*.txt"), engine="local")
    with pytest.raises(FileNotFoundError, match="is not a file"):
        fit(model, [str(tmp_path / "none.txt")], engine="local")
    with pytest.raises(ValueError, match="at least one compressed file per replica"):
        fit(model, [paths[2]], engine="local", replicas=2)
    with pytest.raises(ValueError, match="sync rule"):
        fit(model, paths, engine="local", rule="median")
    with pytest.raises(ValueError, match="replicas=0"):
        fit(model, paths, engine="local", replicas=0)
    with pytest.raises(ValueError, match="engine='spark'"):
        fit(model, paths, engine="spark")
    with pytest.raises(NotImplementedError, match="FastText is not supported yet"):
        fit(G.FastText(vector_size=8), paths, engine="local")
    assert len(model.wv) == 0  # nothing was built by the failed calls


def test_cli_trains_shards_on_replicas(shard_files, tmp_path, capsys):
    from gensim_losses.tools.cli import main

    paths, whole = shard_files
    out = tmp_path / "d.model"
    assert main(["train", *paths, "--engine", "local", "--replicas", "3", "--sg", "--min-count", "2", "--epochs",
                 "2", "--workers", "1", "--vector-size", "16", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "3 shard(s), 3 replicas on local" in printed and "rounds" in printed
    model = G.Word2Vec.load(str(out))
    one = G.Word2Vec(min_count=2, vector_size=16, epochs=1)
    one.build_vocab(corpus_file=whole)
    assert model.wv.index_to_key == one.wv.index_to_key and len(model.loss_history) == 2
    trained = [e["msg"] for e in model.lifecycle_events if e.get("event") == "train"]
    assert "the sync beside training" in trained[-1]
    assert main(["train", *paths, "--engine", "local", "--no-overlap", "--sg", "--min-count", "2", "--epochs", "1",
                 "--workers", "1", "--vector-size", "16", "--out", str(out)]) == 0
    trained = [e["msg"] for e in G.Word2Vec.load(str(out)).lifecycle_events if e.get("event") == "train"]
    assert "synchronous rounds" in trained[-1]


def test_cli_says_what_is_wrong_with_shards(shard_files, capsys):
    from gensim_losses.tools.cli import main

    paths, _ = shard_files
    assert main(["train", *paths[:2]]) == 2
    assert "--engine ray|dask|local trains shards" in capsys.readouterr().err
    assert main(["train", *paths[:2], "--engine", "local", "--model", "fasttext"]) == 2
    assert "--engine trains --model word2vec" in capsys.readouterr().err
    assert main(["train", paths[2], "--engine", "local", "--replicas", "2"]) == 2
    assert "at least one compressed file per replica" in capsys.readouterr().err


def test_hot_rows_send_less_and_every_row_arrives_by_the_epochs_end(shard_files, monkeypatch):
    paths, _ = shard_files
    sent, models = {}, {}
    for hot in (50, None):
        merges = []
        merge = sync.merge
        monkeypatch.setattr(sync, "merge", lambda *a, _m=merges, _f=merge: _m.append(_f(*a)) or _m[-1])
        model = G.Word2Vec(**FIXED, epochs=1)
        fit(model, paths, engine="local", replicas=2, sync_words=1000, hot_rows=hot, full_sync_words=10_000)
        sent[hot] = model.distributed_stats.bytes_up
        models[hot] = model
        extents = [max(sync._extent(rows) for rows, _ in m.values()) for m in merges]
        if hot is not None:  # hot rounds end at row 50; every tenth round and the epoch's last reach the rest
            assert max(extents[:9]) <= 50 and extents[9] > 50 and extents[-1] > 50
    assert sent[50] < sent[None] / 3
    for model in models.values():
        assert np.isfinite(model.wv.vectors).all()
    rare = models[50].wv.index_to_key[-1]  # a rare word's vector moved: its changes arrived at a full sync
    fresh = G.Word2Vec(**FIXED, epochs=1)
    fresh.build_vocab_from_freq({w: models[50].wv.get_vecattr(w, "count") for w in models[50].wv.index_to_key})
    assert not np.array_equal(models[50].wv[rare], fresh.wv[rare])


def test_split_keeps_file_order_for_any_layout(tmp_path):
    """Parts take the pieces in file order, none empty, whatever the sizes (the vocabulary's order of
    first occurrence depends on it)."""
    rng = np.random.default_rng(0)
    for trial in range(300):
        paths = []
        for i in range(int(rng.integers(1, 5))):
            path = tmp_path / f"t{trial}_{i}.txt"
            path.write_text("".join(f"w{j} x\n" for j in range(int(rng.integers(1, 12)))))
            paths.append(str(path))
        replicas = int(rng.integers(1, 7))
        try:
            parts = shards.split(paths, replicas)
        except ValueError as exc:
            assert "non-empty piece(s) of text" in str(exc)
            continue
        assert len(parts) == replicas and all(parts)
        flat = [piece for part in parts for piece in part]
        assert [(p, s) for p, s, _ in flat] == sorted((p, s) for p, s, _ in flat)
        for (p1, _, e1), (p2, s2, _) in zip(flat, flat[1:]):
            assert (p1 == p2 and e1 == s2) or (p1 != p2 and s2 == 0)


def test_a_replica_lost_inside_a_long_line_resumes_inside_it(tmp_path):
    """A line of more than 10,000 words is several sentences; a round can end between them."""
    rng = np.random.default_rng(1)
    words = [f"w{i}" for i in range(300)]
    paths = []
    for i in range(2):
        path = tmp_path / f"long{i}.txt"
        path.write_text(" ".join(rng.choice(words, 25_000)) + "\n" + " ".join(rng.choice(words, 300)) + "\n")
        paths.append(str(path))
    whole = tmp_path / "whole.txt"
    whole.write_text("".join(open(p).read() for p in paths))
    one = G.Word2Vec(corpus_file=str(whole), **FIXED, epochs=1)
    part = shards.split(paths[:1], 1)[0]
    read = list(shards.read(part))
    assert [len(t) for t, _ in read] == [10_000, 10_000, 5_000, 300]
    assert [t for t, _ in shards.read(part, read[0][1])] == [t for t, _ in read[1:]]
    engine = Recording(lose={2: 0})
    model = G.Word2Vec(**FIXED, epochs=1)
    fit(model, paths, engine=engine, replicas=2, sync_words=8_000)
    assert model.distributed_stats.replaced == 1
    assert model.loss_history[0]["examples"] == one.loss_history[0]["examples"]


def test_hot_rows_only_where_rows_follow_the_vocabulary(caplog):
    arrays = {"wv.vectors": np.ones((10, 2), np.float32), "syn1": np.ones((9, 2), np.float32)}
    base = {name: np.zeros_like(a) for name, a in arrays.items()}
    change = sync.delta(arrays, base, hot=3)
    assert _rows(change["wv.vectors"])[0].tolist() == [0, 1, 2]
    assert len(_rows(change["syn1"])[0]) == 9  # the tree's inner nodes: always whole
    model = G.Word2Vec(**FIXED, sorted_vocab=0)
    options = Options()
    with caplog.at_level("WARNING"):
        options.check(model, 2)
    assert options.hot_rows is None and "sorted_vocab=0" in caplog.text


def test_options_that_cannot_be_honoured_are_refused(shard_files):
    paths, _ = shard_files
    with pytest.raises(ValueError, match="max_vocab_size=500.*max_final_vocab"):
        fit(G.Word2Vec(**FIXED, max_vocab_size=500), paths, engine="local")
    with pytest.raises(TypeError, match="sync_word"):
        fit(G.Word2Vec(**FIXED), paths, engine="local", sync_word=1000)
    with pytest.raises(ValueError, match="step=True"):
        fit(G.Word2Vec(**FIXED), paths, engine="local", step=True)
    model = G.Word2Vec(**FIXED, epochs=1)
    fit(model, paths, engine="local", replicas=np.int64(2), sync_words=np.int64(20_000))
    assert model.loss_history[0]["examples"] > 0


def test_text_that_is_not_utf8_is_named(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"good words here\ncaf\xe9 au lait\n")
    with pytest.raises(ValueError, match=r"bad.txt.*UTF-8"):
        fit(G.Word2Vec(**FIXED), [str(bad)], engine="local", replicas=1)
    with gzip.open(tmp_path / "bad.txt.gz", "wb") as fh:
        fh.write(b"good words here\ncaf\xe9 au lait\n")
    with pytest.raises(ValueError, match=r"bad.txt.gz: not UTF-8 text \(line 2"):
        fit(G.Word2Vec(**FIXED), [str(tmp_path / "bad.txt.gz")], engine="local", replicas=1)


NO_EXTRAS = """
import sys
sys.modules["ray"] = None          # as if neither extra were installed
sys.modules["distributed"] = None
import gensim_losses
from gensim_losses.distributed import fit
from gensim.test.utils import datapath
model = gensim_losses.Word2Vec(vector_size=8, min_count=2, epochs=1, workers=1)
fit(model, datapath("lee_background.cor"), engine="local", replicas=2)
assert model.loss_history[0]["examples"] > 0
for engine in ("ray", "dask"):
    try:
        fit(gensim_losses.Word2Vec(vector_size=8, min_count=2), datapath("lee_background.cor"), engine=engine)
    except ImportError as exc:
        print(exc)
"""


def test_the_package_and_the_local_engine_need_no_extra():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", NO_EXTRAS], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "engine='ray' needs ray, which is not installed: pip install 'gensim-losses[ray]'" in proc.stdout
    assert ("engine='dask' needs distributed, which is not installed: pip install 'gensim-losses[dask]'"
            in proc.stdout)


def test_validation_and_early_stopping_on_replicas(shard_files):
    """The driver runs the callbacks as train() does: Validation's figures in the records, the stop honoured,
    the best epoch's synchronised weights restored."""
    paths, whole = shard_files
    held = [line.split() for line in open(whole, encoding="utf8")][:40]
    curve = iter([3.0, 1.0, 2.0, 2.5, 0.5, 0.1])
    snapshots = []

    from gensim.models.callbacks import CallbackAny2Vec

    class Snapshot(CallbackAny2Vec):
        def on_epoch_end(self, model):
            snapshots.append(model.wv.vectors.copy())

    stop = G.EarlyStopping("score", patience=2)
    model = G.Word2Vec(**FIXED)
    fit(model, paths, engine="local", replicas=2, epochs=6, sync_words=5000, callbacks=[
        stop, Snapshot(), G.Validation(held, evaluators=[lambda m: {"score": next(curve)}])])
    assert [r["epoch"] for r in model.loss_history] == [0, 1, 2, 3]
    assert all(r["val_examples"] > 0 and np.isfinite(r["val_total"]) for r in model.loss_history)
    assert model.best_epoch == 1 and stop.stopped_epoch == 3
    assert np.array_equal(model.wv.vectors, snapshots[1])


@pytest.fixture(scope="module")
def parquet_shards(tmp_path_factory):
    """lee_background.cor as two Parquet files of token lists (row groups of 40 rows), with a weight column
    and a context column (each document's first word), and the same sentences as one ParquetCorpus."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    root = tmp_path_factory.mktemp("parquet")
    rows = [line.split() for line in open(LEE, encoding="utf8")]
    paths = []
    for i, chunk in enumerate((rows[:130], rows[130:])):
        table = pa.table({"words": chunk, "weight": [1.0 + (k % 3) for k in range(len(chunk))],
                          "context": [r[:1] for r in chunk]})
        path = root / f"part{i}.parquet"
        pq.write_table(table, path, row_group_size=40)
        paths.append(str(path))
    return paths


@pytest.mark.parametrize("replicas", [1, 2, 4])
def test_parquet_shards_give_one_machines_vocabulary_and_examples(parquet_shards, replicas):
    one = G.Word2Vec(**FIXED, epochs=2)
    corpus = G.ParquetCorpus(parquet_shards, "words")
    one.build_vocab(corpus)
    one.train(corpus, total_examples=one.corpus_count, epochs=2)
    engine = Recording()
    model = G.Word2Vec(**FIXED, epochs=2)
    fit(model, parquet_shards, engine=engine, replicas=replicas, column="words", sync_words=3000)
    assert model.wv.index_to_key == one.wv.index_to_key
    assert [model.wv.get_vecattr(w, "count") for w in model.wv.index_to_key] == \
        [one.wv.get_vecattr(w, "count") for w in one.wv.index_to_key]
    assert (model.corpus_total_words, model.corpus_count) == (one.corpus_total_words, one.corpus_count)
    assert [r["examples"] for r in model.loss_history] == [r["examples"] for r in one.loss_history]
    assert len(engine.records) >= 2 * replicas  # every replica trained rounds of its own row groups


def test_parquet_shards_train_sentence_weights_and_context(parquet_shards):
    """The weight and context columns reach the replicas' train() as Sentence items: the weighted loss
    is the one machine's, and GlobalContextLoss trains on the context column."""
    kw = dict(**FIXED, epochs=1, loss=G.NEGSamplingLoss() + G.GlobalContextLoss())
    one = G.Word2Vec(**kw)
    corpus = G.ParquetCorpus(parquet_shards, "words", weight="weight", context="context")
    one.build_vocab(corpus)
    one.train(corpus, total_examples=one.corpus_count, epochs=1)
    model = G.Word2Vec(**kw)
    fit(model, parquet_shards, engine="local", replicas=2, column="words", weight_column="weight",
        context_column="context", sync_words=3000)
    record, first = model.loss_history[0], one.loss_history[0]
    assert record["examples"] == first["examples"] and record["global_context"] > 0
    # per example, against one machine's; unweighted the same run's ns loss is about half as large
    assert record["ns"] / record["examples"] == pytest.approx(first["ns"] / first["examples"], rel=0.1)
    plain = G.Word2Vec(**kw)
    fit(plain, parquet_shards, engine="local", replicas=2, column="words", context_column="context",
        sync_words=3000)
    assert record["ns"] > 1.5 * plain.loss_history[0]["ns"]


def test_parquet_shards_reading_resumes_inside_a_row_group(parquet_shards):
    part = shards.split(parquet_shards, 1, ("words", None, None))[0]
    assert len(part) == 9 and all(isinstance(p, shards.ParquetPiece) for p in part)  # 130 + 170 rows by 40
    items = list(shards.read(part))
    assert [t for t, _ in items] == list(G.ParquetCorpus(parquet_shards, "words"))
    for k in (15, 39, 40, 200):
        assert [t for t, _ in shards.read(part, items[k][1])] == [t for t, _ in items[k + 1:]]


def test_parquet_shards_bad_input_is_named(parquet_shards, shard_files):
    with pytest.raises(ValueError, match="no column 'items'"):
        fit(G.Word2Vec(**FIXED), parquet_shards, engine="local", replicas=2, column="items")
    with pytest.raises(ValueError, match="row group"):
        fit(G.Word2Vec(**FIXED), parquet_shards, engine="local", replicas=10, column="words")
    with pytest.raises(ValueError, match="give column="):
        fit(G.Word2Vec(**FIXED), parquet_shards, engine="local", replicas=2, weight_column="weight")
    with pytest.raises(ValueError, match="not a Parquet file"):
        fit(G.Word2Vec(**FIXED), shard_files[0][:1], engine="local", replicas=1, column="words")


def test_cli_trains_parquet_shards_on_replicas(parquet_shards, tmp_path, capsys):
    from gensim_losses.tools.cli import main

    out = tmp_path / "p.model"
    assert main(["train", *parquet_shards, "--column", "words", "--weight-column", "weight", "--engine", "local",
                 "--replicas", "2", "--min-count", "2", "--epochs", "1", "--workers", "1", "--vector-size", "16",
                 "--out", str(out)]) == 0
    assert "2 shard(s), 2 replicas on local" in capsys.readouterr().out
    model = G.Word2Vec.load(str(out))
    one = G.Word2Vec(min_count=2, vector_size=16, epochs=1)
    one.build_vocab(G.ParquetCorpus(parquet_shards, "words"))
    assert model.wv.index_to_key == one.wv.index_to_key
    assert main(["train", *parquet_shards, "--column", "items", "--engine", "local"]) == 2
    assert "no column 'items'" in capsys.readouterr().err
