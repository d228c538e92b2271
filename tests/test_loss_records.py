"""Loss accounting: exact, float64, nothing lost between workers.

Most tests train with a zero learning rate from a fresh output layer, where
every binary-logistic term scores 0 and costs exactly ln 2: the expected
totals are then known in closed form for any number of workers.
"""

import math

import numpy as np
import pytest

from gensim_losses import Word2Vec

LN2 = math.log(2)


def random_corpus(n_sentences, length, vocab, seed=0):
    rng = np.random.default_rng(seed)
    return [[f"w{i}" for i in rng.integers(0, vocab, length)] for _ in range(n_sentences)]


def contexts_per_position(length, window):
    """How many context words each position has with a fixed window."""
    pos = np.arange(length)
    return np.minimum(pos, window) + np.minimum(length - 1 - pos, window)


def frozen(sg, hs, negative, workers=2, **kw):
    """A model that counts examples and losses without learning."""
    params = dict(vector_size=8, window=3, min_count=1, sample=0, shrink_windows=False, alpha=0.0,
                  min_alpha=0.0, sg=sg, hs=hs, negative=negative, workers=workers, seed=3)
    params.update(kw)
    return Word2Vec(**params)


def expected_hs(model, corpus, window):
    """ln 2 times the Huffman code length of every predicted word, and the example count."""
    codelen = {k: len(model.wv.get_vecattr(k, "code")) for k in model.wv.index_to_key}
    total, examples = 0.0, 0
    for sent in corpus:
        lengths = np.array([codelen[w] for w in sent])
        # skip-gram predicts each word once per context word; CBOW once per position with context
        per_word = contexts_per_position(len(sent), window) if model.sg else np.full(len(sent), len(sent) > 1)
        total += LN2 * float(lengths @ per_word)
        examples += int(per_word.sum())
    return total, examples


@pytest.mark.parametrize("sg", [1, 0])
@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("source", ["iterable", "corpus_file"])
def test_hs_totals_exact_for_any_worker_count(sg, workers, source, tmp_path):
    corpus = random_corpus(300, 12, 50)
    model = frozen(sg=sg, hs=1, negative=0, workers=workers)
    if source == "iterable":
        model.build_vocab(corpus)
        model.train(corpus, total_examples=len(corpus), epochs=2)
    else:
        path = tmp_path / "corpus.txt"
        path.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
        model.build_vocab(corpus_file=str(path))
        model.train(corpus_file=str(path), total_words=model.corpus_total_words, epochs=2)
    total, examples = expected_hs(model, corpus, window=3)
    assert [r["epoch"] for r in model.loss_history] == [0, 1]
    for rec in model.loss_history:
        assert rec["examples"] == examples
        assert rec["hs"] == pytest.approx(total, rel=1e-6)
        assert rec["total"] == rec["hs"]
        assert "ns" not in rec
    assert model.get_latest_training_loss() == pytest.approx(2 * total, rel=1e-6)


def test_cumulative_equals_sum_of_epochs_while_learning():
    corpus = random_corpus(400, 15, 80, seed=1)
    model = Word2Vec(corpus, vector_size=16, min_count=1, sg=1, hs=1, negative=5, workers=2, epochs=4)
    hist = model.loss_history
    assert len(hist) == 4
    for rec in hist:
        assert rec["total"] == pytest.approx(rec["ns"] + rec["hs"], rel=1e-12)
        assert rec["examples"] > 0
    assert model.get_latest_training_loss() == pytest.approx(sum(r["total"] for r in hist), rel=1e-12)
    # learning happens: the last epoch costs less than the first
    assert hist[-1]["total"] / hist[-1]["examples"] < hist[0]["total"] / hist[0]["examples"]


def test_first_epoch_ns_loss_starts_at_k_plus_one_ln2():
    """Fresh NS model: output layer is zero, every term costs ln 2."""
    k = 5
    corpus = random_corpus(300, 12, 200, seed=2)
    model = frozen(sg=1, hs=0, negative=k, workers=2)
    model.build_vocab(corpus)
    model.train(corpus, total_examples=len(corpus), epochs=1)
    rec = model.loss_history[0]
    per_example = rec["total"] / rec["examples"]
    # negatives that hit the target word are skipped, so slightly under (k+1) ln 2
    assert (k + 1) * LN2 * 0.97 < per_example <= (k + 1) * LN2 + 1e-6
    # and a real (learning) first epoch starts there and goes down
    model = Word2Vec(corpus, vector_size=16, min_count=1, sg=1, negative=k, workers=2, epochs=1)
    assert model.loss_history[0]["total"] / model.loss_history[0]["examples"] < (k + 1) * LN2


def test_no_saturation_past_2_pow_27():
    """gensim's float32 tally sticks at 134217728; ours keeps counting."""
    corpus = random_corpus(6000, 100, 2**14, seed=4)
    model = frozen(sg=1, hs=1, negative=0, vector_size=1, window=5, workers=2)
    model.build_vocab(corpus)
    model.train(corpus, total_examples=len(corpus), epochs=3)
    total, examples = expected_hs(model, corpus, window=5)
    assert 3 * total > 2**27 + 1e6
    assert model.get_latest_training_loss() == pytest.approx(3 * total, rel=1e-6)
    assert sum(r["examples"] for r in model.loss_history) == 3 * examples


def test_compute_loss_false_records_examples_only():
    corpus = random_corpus(100, 10, 30)
    model = Word2Vec(corpus, min_count=1, compute_loss=False, workers=2, epochs=2)
    assert model.get_latest_training_loss() == 0
    assert [r["total"] for r in model.loss_history] == [None, None]
    assert all(r["examples"] > 0 for r in model.loss_history)
    model.train(corpus, total_examples=len(corpus), epochs=1, compute_loss=True)
    assert model.loss_history[0]["total"] > 0


def test_default_is_compute_loss_on():
    corpus = random_corpus(50, 10, 30)
    model = Word2Vec(corpus, min_count=1, workers=1, epochs=1)
    assert model.compute_loss
    assert model.get_latest_training_loss() > 0
    # train() without compute_loss keeps the model's setting (gensim would turn it off)
    model.train(corpus, total_examples=len(corpus), epochs=1)
    assert model.get_latest_training_loss() > 0
