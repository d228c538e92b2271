"""The vocabulary scan in C gives what gensim's build_vocab gives, for plain text files."""

import gzip
import shutil

import gensim
import numpy as np
import pytest
from gensim.models.word2vec import LineSentence, PathLineSentences
from gensim.test.utils import datapath

import gensim_losses
from gensim_losses.text.vocab import cum_guide, cum_table
from gensim_losses.training import scan

LEE = datapath("lee_background.cor")


@pytest.fixture(scope="module")
def lee_sentences():
    return list(LineSentence(LEE))


def tricky_text():
    """Every way a line can be cut: Unicode whitespace, CRLF, empty lines, a very long line, ties, accents."""
    lines = [
        "alpha beta\u00a0gamma\u3000delta\x1cepsilon",          # NBSP, ideographic space, file separator
        "caf\u00e9 na\u00efve \u65e5\u672c beta\r",              # accents, CJK, a CRLF ending
        "",
        "   \t  ",
        "beta\u2028alpha\u0085gamma\u202fzeta\u205feta",        # line separator, NEL, narrow NBSP, MMSP
        " ".join(f"w{i % 37}" for i in range(25_000)),          # cut into 10000 + 10000 + 5000
        "tie1 tie2 tie3 tie2 tie3 tie1",                          # equal counts: first occurrence decides
        "last line without newline",
    ]
    return "\n".join(lines)


def stock_and_ours(**source):
    stock = gensim.models.Word2Vec(min_count=1, workers=1)
    stock.build_vocab(**source)
    ours = gensim_losses.Word2Vec(min_count=1, workers=3)
    ours.build_vocab(**source)
    return stock, ours


def assert_same_vocabulary(stock, ours):
    assert ours.wv.index_to_key == stock.wv.index_to_key
    assert np.array_equal(ours.wv.expandos["count"], stock.wv.expandos["count"])
    assert (ours.corpus_count, ours.corpus_total_words) == (stock.corpus_count, stock.corpus_total_words)


@pytest.fixture
def tricky(tmp_path):
    path = tmp_path / "tricky.txt"
    path.write_bytes(tricky_text().encode("utf8"))
    return path


def test_same_vocabulary_as_gensim_on_lee():
    stock, ours = stock_and_ours(corpus_file=LEE)
    assert scan.text_files(corpus_file=LEE) is not None  # the C scan did it
    assert_same_vocabulary(stock, ours)


def test_same_vocabulary_on_every_edge_of_line_splitting(tricky):
    assert_same_vocabulary(*stock_and_ours(corpus_file=str(tricky)))
    assert_same_vocabulary(*stock_and_ours(corpus_iterable=LineSentence(str(tricky))))
    _, ours = stock_and_ours(corpus_file=str(tricky))
    assert {"gamma", "delta", "epsilon", "\u65e5\u672c", "zeta", "eta"} <= set(ours.wv.key_to_index)


def test_same_vocabulary_for_a_folder_of_files(tmp_path, tricky):
    folder = tmp_path / "parts"
    folder.mkdir()
    shutil.copy(LEE, folder / "a.txt")
    shutil.copy(tricky, folder / "b.txt")
    (folder / "c.txt").write_text("tie3 extra words\n")
    assert scan.text_files(PathLineSentences(str(folder))) is not None
    assert_same_vocabulary(*stock_and_ours(corpus_iterable=PathLineSentences(str(folder))))


def test_compressed_files_and_pruning_keep_gensims_scan(tmp_path):
    path = tmp_path / "lee.txt.gz"
    with open(LEE, "rb") as src, gzip.open(path, "wb") as dst:
        dst.write(src.read())
    assert scan.text_files(LineSentence(str(path))) is None
    assert_same_vocabulary(*stock_and_ours(corpus_iterable=LineSentence(str(path))))
    stock = gensim.models.Word2Vec(min_count=1, max_vocab_size=500)
    stock.build_vocab(corpus_file=LEE)
    ours = gensim_losses.Word2Vec(min_count=1, max_vocab_size=500)
    ours.build_vocab(corpus_file=LEE)
    assert_same_vocabulary(stock, ours)


def test_invalid_utf8_raises_as_gensim_does(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good words here\nbad \xff\xfe bytes\n")
    with pytest.raises(UnicodeDecodeError):
        gensim.models.Word2Vec(min_count=1).build_vocab(corpus_file=str(path))
    with pytest.raises(UnicodeDecodeError, match="invalid UTF-8"):
        gensim_losses.Word2Vec(min_count=1).build_vocab(corpus_file=str(path))


def test_corpus_file_training_reads_tokens_as_linesentence_does(tricky):
    params = dict(vector_size=8, min_count=1, sample=0, shrink_windows=False, sg=1, hs=1, negative=0, workers=1,
                  epochs=1)
    from_file = gensim_losses.Word2Vec(**params)
    from_file.build_vocab(corpus_file=str(tricky))
    from_file.train(corpus_file=str(tricky), total_words=from_file.corpus_total_words, epochs=1)
    from_lines = gensim_losses.Word2Vec(**params)
    corpus = list(LineSentence(str(tricky)))
    from_lines.build_vocab(corpus)
    from_lines.train(corpus, total_examples=len(corpus), epochs=1)
    assert from_file.loss_history[0]["examples"] == from_lines.loss_history[0]["examples"]


@pytest.mark.parametrize("exponent", [0.75, 0.0, 1.0, -0.5])
def test_the_negative_sampling_table_is_gensims_to_the_bit(exponent):
    stock = gensim.models.Word2Vec(min_count=1, workers=1, ns_exponent=exponent)
    stock.build_vocab(corpus_file=LEE)
    ours = gensim_losses.Word2Vec(min_count=1, workers=1, ns_exponent=exponent)
    ours.build_vocab(corpus_file=LEE)
    assert len(ours.cum_table) == len(stock.wv) > 10_000
    np.testing.assert_array_equal(ours.cum_table, stock.cum_table)
    assert ours.cum_table.dtype == np.uint32 and ours.cum_table[-1] == 2**31 - 1
    assert len(cum_table([], exponent)) == 0


@pytest.mark.parametrize("exponent", [200.0, 1000.0, -300.0])
def test_a_large_exponent_gives_the_same_distribution_without_overflow(exponent):
    """count**200 overflows float64 from count 35 on: the table is built from the
    powers relative to the largest, which is the same distribution."""
    counts = np.array([100, 50, 3, 100, 1])
    table = cum_table(counts, exponent)
    assert table.dtype == np.uint32 and table[-1] == 2**31 - 1
    log_p = exponent * np.log(counts)
    p = np.exp(log_p - log_p.max())
    np.testing.assert_allclose(np.diff(table, prepend=0) / (2**31 - 1), p / p.sum(), atol=1e-9)


def test_a_model_with_a_huge_exponent_builds_a_table_that_draws_its_most_frequent_word(lee_sentences):
    model = gensim_losses.Word2Vec(lee_sentences[:50], min_count=1, vector_size=8, workers=1, epochs=1,
                                   ns_exponent=1000)
    counts = model.wv.expandos["count"]
    top = np.flatnonzero(counts == counts.max())
    np.testing.assert_array_equal(model.cum_table, cum_table(counts, 1000))
    # all of the table on the most frequent words (count**1000 / (count - 1)**1000 > 1e4 here)
    widths = np.diff(model.cum_table.astype(np.int64), prepend=0)
    assert widths[top].sum() == 2**31 - 1
    assert np.isfinite(model.wv.vectors).all() and model.loss_history[-1]["ns"] > 0


@pytest.mark.parametrize("counts, exponent, message", [
    ([1, 2], float("nan"), r"ns_exponent=nan: .* needs a finite real exponent"),
    ([1, 2], float("inf"), r"ns_exponent=inf: .* needs a finite real exponent"),
    ([1, 2], "0.75", r"ns_exponent='0.75': .* needs a finite real exponent"),
    ([0, 3], -1.0, r"ns_exponent=-1: a word with count 0 would weigh .* infinity; expected ns_exponent >= 0"),
    ([0, 0], 0.75, r"every word has count\*\*ns_exponent = 0"),
    ([-1, 2], 0.75, r"counts must be finite and >= 0"),
])
def test_a_table_that_cannot_be_built_is_refused_by_name(counts, exponent, message):
    with pytest.raises(ValueError, match=message):
        cum_table(counts, exponent)


@pytest.mark.parametrize("counts, exponent", [
    (np.arange(1, 5000) ** -1.0 * 1e7, 0.75),  # Zipf: most of the mass on few words, a long flat tail
    (np.ones(7), 0.75),
    (np.array([5.0]), 0.75),
    (np.array([1e9, 1.0, 1.0]), 1.0),  # one word holds almost every draw
])
def test_the_guide_spans_the_index_a_full_search_finds(counts, exponent):
    """The kernels search a draw ``x`` only between its bucket's guide entry and
    the next; the index a search of the whole table returns must lie there."""
    cum = cum_table(counts, exponent)
    guide, shift = cum_guide(cum)
    rng = np.random.default_rng(0)
    xs = np.concatenate([rng.integers(0, int(cum[-1]), 200_000), cum[:-1], cum[:-1] - 1, [0, int(cum[-1]) - 1]])
    xs = xs[(xs >= 0) & (xs < int(cum[-1]))].astype(np.uint64)
    found = np.searchsorted(cum, xs, side="right")
    q = xs >> np.uint64(shift)
    assert np.all(guide[q] <= found) and np.all(found <= guide[q + 1])
    # about one bucket per word: the guide stays small and the spans short
    assert len(guide) <= 2 * len(cum) + 2
    spans = guide[q + 1].astype(np.int64) - guide[q]
    assert np.median(spans) <= 1


def test_the_guide_of_an_empty_table_is_empty_of_words():
    guide, shift = cum_guide(cum_table([], 0.75))
    assert shift == 0 and not guide.any()
